/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin commands of accounting (admin.c dispatches):
 *
 *   {"cmd":"vs"}      VS_STATS summed over workers, per VS
 *   {"cmd":"usage","user":"alice","app":"desk","since":"2026-01-31T00:00:00Z",
 *    "until":1769900000,"limit":100}
 *
 * "usage" reads the usage file and its rotated copies (path, path.1, ...
 * path.keep) backwards, newest record first, and stops at "limit" matching
 * records, at the first record older than "since", or after
 * SG_CTL_USAGE_SCAN_MAX bytes: the answer says whether the scan was
 * complete. Lines that are not records (a torn last line) are counted and
 * skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "admin.h"
#include "csm.h"
#include "usage.h"
#include "view.h"
#include "vsstats.h"

#define SG_CTL_USAGE_SCAN_MAX (32u << 20) /**< bytes one "usage" request reads at most */
#define CHUNK		      65536u
#define LINE_MAX_B	      SG_CTL_JLOG_LINE_MAX

json_t *
sg_ctl_admin_vs(const struct sg_ctl_view *v)
{
	uint64_t now = sg_ctl_usage_wall_ms();
	struct sg_ctl_vs_sum s;
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; i < SG_CTL_VS_SLOTS; i++) {
		sg_ctl_vs_sum(v->csm->vs, i, &s);
		if (s.name == NULL)
			continue;
		json_array_append_new(
			a, json_pack("{s:s,s:i,s:I,s:I,s:I,s:I,s:I}", "name", s.name, "slot", i,
				     "held", (json_int_t)s.held, "installed",
				     (json_int_t)s.installed, "rejected", (json_int_t)s.rejected,
				     "held_now", (json_int_t)s.held_now, "age_ms",
				     (json_int_t)(now > s.updated_ms ? now - s.updated_ms : 0)));
	}
	return a;
}

struct uq {
	const struct sg_ctl_admin_req *req;
	char user_pat[SG_CTL_NAME_MAX + 16]; /**< "user":"NAME" as the writer spells it */
	char app_pat[SG_CTL_NAME_MAX + 16];
	json_t *out;
	uint64_t scanned; /**< bytes */
	uint64_t lines, bad;
	bool stop;	/**< limit reached, or older than since */
	bool truncated; /**< the scan budget ran out first */
};

static bool
str_is(json_t *o, const char *key, const char *want)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && strcmp(s, want) == 0;
}

/* One line (not NUL-terminated) of a usage file, newest first. */
static void
uq_line(struct uq *q, const char *p, size_t len)
{
	const struct sg_ctl_admin_req *r = q->req;
	json_t *o, *end;
	int64_t end_s;

	q->lines++;
	/* cheap refusals first: the writer spells the fields compactly */
	if ((r->user[0] && !memmem(p, len, q->user_pat, strlen(q->user_pat))) ||
	    (r->app[0] && !memmem(p, len, q->app_pat, strlen(q->app_pat))))
		return;
	o = json_loadb(p, len, JSON_REJECT_DUPLICATES, NULL);
	end = json_object_get(o, "end_ms");
	if (!json_is_object(o) || !json_is_integer(end)) {
		q->bad++;
		json_decref(o);
		return;
	}
	end_s = json_integer_value(end) / 1000;
	if (r->since != 0 && end_s < r->since)
		q->stop = true; /* the files are in time order: everything before is older */
	else if ((r->until == 0 || end_s <= r->until) &&
		 (!r->user[0] || str_is(o, "user", r->user)) &&
		 (!r->app[0] || str_is(o, "app", r->app))) {
		json_array_append(q->out, o);
		if (json_array_size(q->out) >= r->limit)
			q->stop = true;
	}
	json_decref(o);
}

/*
 * Scan @p path backwards in CHUNK reads: buf[CHUNK - n, CHUNK) holds the
 * chunk read, buf[CHUNK, CHUNK + carry) the start of the line that the
 * previous (later) chunk began in the middle of.
 */
static void
uq_file(struct uq *q, const char *path, char *buf)
{
	struct stat st;
	off_t pos;
	size_t carry = 0, n, start, end, i;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	pos = st.st_size;
	while (!q->stop && (pos > 0 || carry > 0)) {
		if (q->scanned >= SG_CTL_USAGE_SCAN_MAX) {
			q->truncated = q->stop = true;
			break;
		}
		n = pos > (off_t)CHUNK ? CHUNK : (size_t)pos;
		if (n > 0 && pread(fd, buf + CHUNK - n, n, pos - (off_t)n) != (ssize_t)n)
			break;
		pos -= (off_t)n;
		q->scanned += n;
		start = CHUNK - n;
		end = CHUNK + carry;
		for (i = end; i > start && !q->stop; i--) {
			if (buf[i - 1] != '\n')
				continue;
			if (end > i)
				uq_line(q, buf + i, end - i);
			end = i - 1;
		}
		if (q->stop)
			break;
		if (pos == 0) { /* the file's first line */
			if (end > start)
				uq_line(q, buf + start, end - start);
			break;
		}
		carry = end - start;
		if (carry > LINE_MAX_B) { /* no record is that long: skip it */
			q->bad++;
			carry = 0;
		}
		memmove(buf + CHUNK, buf + start, carry);
	}
	close(fd);
}

json_t *
sg_ctl_admin_usage(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req, char *err,
		   size_t errlen)
{
	const struct sg_ctl_usage_cfg *uc = &v->cfg->usage;
	char name[SG_CTL_PATH_MAX + 8];
	struct uq q = {.req = req};
	unsigned int i, files = 0;
	char *buf;

	if (uc->path[0] == '\0') {
		snprintf(err, errlen, "usage records are off (usage.path)");
		return NULL;
	}
	if (v->usage != NULL) /* the lines held back (jlog.h) are read too */
		sg_ctl_usage_flush(v->usage, v->clk != NULL ? v->clk->now_ns : 0);
	buf = malloc(CHUNK + LINE_MAX_B + CHUNK);
	q.out = json_array();
	if (buf == NULL || q.out == NULL) {
		free(buf);
		json_decref(q.out);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(q.user_pat, sizeof(q.user_pat), "\"user\":\"%s\"", req->user);
	snprintf(q.app_pat, sizeof(q.app_pat), "\"app\":\"%s\"", req->app);
	for (i = 0; i <= uc->keep && i <= SG_CTL_JLOG_KEEP_MAX && !q.stop; i++) {
		if (sg_ctl_jlog_name(name, sizeof(name), uc->path, i) < 0)
			break;
		if (access(name, R_OK) == 0)
			files++;
		uq_file(&q, name, buf);
	}
	free(buf);
	return json_pack("{s:o,s:I,s:I,s:I,s:i,s:b}", "records", q.out, "lines",
			 (json_int_t)q.lines, "bad_lines", (json_int_t)q.bad, "bytes_scanned",
			 (json_int_t)q.scanned, "files", files, "truncated", q.truncated);
}
