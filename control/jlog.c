/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-lines files with size rotation (usage records, access log). Each
 * record is rendered into a bounded stack buffer and written with one
 * write(2) on an O_APPEND descriptor, so concurrent readers (sgctl usage)
 * never see half a line and a crash leaves at most one partial last line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

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

void
sg_ctl_jlog_config(struct sg_ctl_jlog *l, const char *path, uint32_t max_mb, uint32_t keep)
{
	if (strcmp(l->path, path) != 0) {
		sg_ctl_jlog_close(l);
		snprintf(l->path, sizeof(l->path), "%s", path);
		l->failing = false;
		l->retry_ns = 0;
	}
	l->max_bytes = (uint64_t)(max_mb != 0 ? max_mb : 1) << 20;
	l->keep = keep < SG_CTL_JLOG_KEEP_MAX ? keep : SG_CTL_JLOG_KEEP_MAX;
}

int
sg_ctl_jlog_name(char *buf, size_t len, const char *path, unsigned int i)
{
	int n = i == 0 ? snprintf(buf, len, "%s", path) : snprintf(buf, len, "%s.%u", path, i);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A failure: counted, logged once per episode, no new try for a second. */
static int
jlog_fail(struct sg_ctl_jlog *l, int rc, const char *what, uint64_t now_ns)
{
	l->errors++;
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
	l->size = (uint64_t)st.st_size;
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
sg_ctl_jlog_write(struct sg_ctl_jlog *l, const json_t *rec, uint64_t now_ns)
{
	char line[SG_CTL_JLOG_LINE_MAX];
	size_t n;
	ssize_t w;
	int rc;

	if (l->path[0] == '\0')
		return 0;
	n = json_dumpb(rec, line, sizeof(line) - 1, JSON_COMPACT);
	if (n == 0 || n > sizeof(line) - 1) {
		l->errors++;
		return -EMSGSIZE;
	}
	line[n++] = '\n';
	if (l->fd < 0) {
		if (now_ns < l->retry_ns) {
			l->errors++;
			return -EAGAIN;
		}
		rc = jlog_open(l);
		if (rc < 0)
			return jlog_fail(l, rc, "cannot open", now_ns);
	}
	if (l->size > 0 && l->size + n > l->max_bytes) {
		rc = jlog_rotate(l);
		if (rc < 0)
			return jlog_fail(l, rc, "cannot rotate", now_ns);
	}
	w = write(l->fd, line, n);
	if (w != (ssize_t)n)
		return jlog_fail(l, w < 0 ? -errno : -ENOSPC, "cannot write", now_ns);
	if (l->failing)
		syslog(LOG_NOTICE, "%s: written again", l->path);
	l->failing = false;
	l->size += n;
	l->lines++;
	return 0;
}
