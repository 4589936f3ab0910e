/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-lines files with size rotation (usage records, access log). Lines
 * are held in a bounded buffer and appended with one write(2) on an
 * O_APPEND descriptor (jlog.h says when), so concurrent readers (sgctl
 * usage) see whole lines but the last, and a write that fails keeps the
 * lines for the next try instead of cutting one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "jlog.h"

#define RETRY_NS 1000000000ull

void
sg_ctl_jlog_init(struct sg_ctl_jlog *l)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}

void
sg_ctl_jlog_close(struct sg_ctl_jlog *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int
sg_ctl_jlog_name(char *buf, size_t len, const char *path, unsigned int i)
{
	int n = i == 0 ? snprintf(buf, len, "%s", path) : snprintf(buf, len, "%s.%u", path, i);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A failure: logged once per episode, no new try for a second (the caller counts losses). */
static int
jlog_fail(struct sg_ctl_jlog *l, int rc, const char *what, uint64_t now_ns)
{
	l->retry_ns = now_ns + RETRY_NS;
	sg_ctl_jlog_close(l);
	if (!l->failing)
		syslog(LOG_WARNING, "%s: %s: %s (records lost until it works again)", l->path, what,
		       strerror(-rc));
	l->failing = true;
	return rc;
}

static int
jlog_open(struct sg_ctl_jlog *l)
{
	struct stat st;

	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		     0640);
	if (l->fd < 0)
		return -errno;
	if (fstat(l->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		sg_ctl_jlog_close(l);
		return -EINVAL;
	}
	l->size = (uint64_t)st.st_size + l->held; /* held lines go there next */
	return 0;
}

/* path.(keep-1) -> path.keep (the oldest goes), ..., path -> path.1; then a new path. */
static int
jlog_rotate(struct sg_ctl_jlog *l)
{
	char from[SG_CTL_PATH_MAX + 8], to[SG_CTL_PATH_MAX + 8];
	unsigned int i;

	sg_ctl_jlog_close(l);
	if (l->keep == 0) {
		if (unlink(l->path) < 0 && errno != ENOENT)
			return -errno;
	}
	for (i = l->keep; i >= 1; i--) {
		if (sg_ctl_jlog_name(from, sizeof(from), l->path, i - 1) < 0 ||
		    sg_ctl_jlog_name(to, sizeof(to), l->path, i) < 0)
			return -ENAMETOOLONG;
		if (rename(from, to) < 0 && errno != ENOENT)
			return -errno;
	}
	l->rotations++;
	return jlog_open(l);
}

int
sg_ctl_jlog_flush(struct sg_ctl_jlog *l, uint64_t now_ns)
{
	const char *p;
	ssize_t w;
	int rc;

	if (l->held == 0)
		return 0;
	if (l->fd < 0) {
		if (now_ns < l->retry_ns)
			return -EAGAIN;
		rc = jlog_open(l);
		if (rc < 0)
			return jlog_fail(l, rc, "cannot open", now_ns);
	}
	w = write(l->fd, l->buf, l->held);
	if (w == (ssize_t)l->held) {
		l->lines += l->held_lines;
		l->held = 0;
		l->held_lines = 0;
		if (l->failing)
			syslog(LOG_NOTICE, "%s: written again", l->path);
		l->failing = false;
		return 0;
	}
	rc = w < 0 ? -errno : -ENOSPC;
	if (w > 0) { /* the rest of a cut line follows with the next write */
		for (p = l->buf; (p = memchr(p, '\n', (size_t)(l->buf + w - p))) != NULL; p++) {
			l->lines++;
			l->held_lines--;
		}
		l->held -= (size_t)w;
		memmove(l->buf, l->buf + w, l->held);
	}
	return jlog_fail(l, rc, "cannot write", now_ns);
}

void
sg_ctl_jlog_tick(struct sg_ctl_jlog *l, uint64_t now_ns)
{
	if (l->held > 0 && now_ns - l->held_since_ns >= SG_CTL_JLOG_FLUSH_MS * 1000000ull)
		sg_ctl_jlog_flush(l, now_ns);
}

/* Write what is held now, pause or not; what cannot be written is lost (counted). */
static void
jlog_drain(struct sg_ctl_jlog *l)
{
	l->retry_ns = 0;
	if (sg_ctl_jlog_flush(l, 0) == 0)
		return;
	l->errors += l->held_lines;
	syslog(LOG_WARNING, "%s: %u lines lost", l->path, l->held_lines);
	l->held = 0;
	l->held_lines = 0;
}

void
sg_ctl_jlog_fini(struct sg_ctl_jlog *l)
{
	jlog_drain(l);
	sg_ctl_jlog_close(l);
	free(l->buf);
	l->buf = NULL;
}

void
sg_ctl_jlog_config(struct sg_ctl_jlog *l, const char *path, uint32_t max_mb, uint32_t keep)
{
	if (strcmp(l->path, path) != 0) {
		jlog_drain(l);
		sg_ctl_jlog_close(l);
		snprintf(l->path, sizeof(l->path), "%s", path);
		l->failing = false;
		l->retry_ns = 0;
	}
	l->max_bytes = (uint64_t)(max_mb != 0 ? max_mb : 1) << 20;
	l->keep = keep < SG_CTL_JLOG_KEEP_MAX ? keep : SG_CTL_JLOG_KEEP_MAX;
}

int
sg_ctl_jlog_put(struct sg_ctl_jlog *l, const char *line, size_t n, uint64_t now_ns)
{
	int rc;

	if (l->path[0] == '\0')
		return 0;
	if (n == 0 || n > SG_CTL_JLOG_LINE_MAX) {
		l->errors++;
		return -EMSGSIZE;
	}
	if (l->buf == NULL && (l->buf = malloc(SG_CTL_JLOG_BUF)) == NULL) {
		l->errors++;
		return -ENOMEM;
	}
	if (l->fd < 0) {
		if (now_ns < l->retry_ns) {
			l->errors++;
			return -EAGAIN;
		}
		rc = jlog_open(l);
		if (rc < 0) {
			l->errors++;
			return jlog_fail(l, rc, "cannot open", now_ns);
		}
	}
	if (l->size > 0 && l->size + n > l->max_bytes) {
		rc = sg_ctl_jlog_flush(l, now_ns); /* the held lines belong to this file */
		if (rc < 0) {
			l->errors++;
			return rc;
		}
		rc = jlog_rotate(l);
		if (rc < 0) {
			l->errors++;
			return jlog_fail(l, rc, "cannot rotate", now_ns);
		}
	}
	if (l->held + n > SG_CTL_JLOG_BUF && sg_ctl_jlog_flush(l, now_ns) < 0) {
		l->errors++;
		return -ENOBUFS;
	}
	if (l->held == 0)
		l->held_since_ns = now_ns;
	memcpy(l->buf + l->held, line, n);
	l->held += n;
	l->held_lines++;
	l->size += n;
	if (l->held >= SG_CTL_JLOG_BUF / 2)
		sg_ctl_jlog_flush(l, now_ns);
	return 0;
}
