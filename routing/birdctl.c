/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BIRD's control socket. A command's whole reply must arrive within the
 * timeout (one deadline for all its reads, so a peer that dribbles bytes
 * cannot hold sg-routed's loop), in lines of at most SG_RT_BIRD_LINE_MAX
 * bytes, SG_RT_BIRD_LINES_MAX lines and SG_RT_BIRD_REPLY_MAX bytes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "birdctl.h"

#define CODE_WELCOME	      1
#define CODE_DISABLED_ALREADY 8
#define CODE_DISABLED	      9
#define CODE_ENABLED_ALREADY  10
#define CODE_ENABLED	      11
#define CODE_PROTO_LIST	      1002
#define CODE_PROTO_DETAIL     1006

/* A reply being read: its deadline and what it has cost so far. */
struct reply {
	int64_t deadline_ms;
	size_t bytes;
	unsigned int lines;
	unsigned int code; /* of the previous line, for continuations */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sg_rt_birdctl_init(struct sg_rt_birdctl *b, int timeout_ms)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->timeout_ms = timeout_ms > 0 ? timeout_ms : 1000;
}

void
sg_rt_birdctl_close(struct sg_rt_birdctl *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	b->len = 0;
}

/* Wait for @p events until the deadline: 0, or -ETIMEDOUT / -errno. */
static int
wait_fd(int fd, short events, int64_t deadline_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left = deadline_ms - now_ms();
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	do
		n = poll(&p, 1, (int)left);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

/* The next line into @p line (without its newline): 0, or -errno. */
static int
read_line(struct sg_rt_birdctl *b, struct reply *r, char *line)
{
	for (;;) {
		char *nl = memchr(b->buf, '\n', b->len);

		if (nl != NULL) {
			size_t n = (size_t)(nl - b->buf);

			if (n >= SG_RT_BIRD_LINE_MAX)
				return -E2BIG;
			memcpy(line, b->buf, n);
			line[n] = '\0';
			b->len -= n + 1;
			memmove(b->buf, nl + 1, b->len);
			r->bytes += n + 1;
			if (++r->lines > SG_RT_BIRD_LINES_MAX || r->bytes > SG_RT_BIRD_REPLY_MAX)
				return -E2BIG;
			return memchr(line, '\0', n) != NULL ? -EPROTO : 0;
		}
		if (b->len >= SG_RT_BIRD_LINE_MAX)
			return -E2BIG;
		int rc = wait_fd(b->fd, POLLIN, r->deadline_ms);
		if (rc != 0)
			return rc;
		ssize_t got = recv(b->fd, b->buf + b->len, sizeof(b->buf) - b->len, MSG_DONTWAIT);
		if (got == 0)
			return -ECONNRESET;
		if (got < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (got > 0)
			b->len += (size_t)got;
	}
}

/*
 * Split "DDDD-text" / "DDDD text" / " text": the code (the previous one for
 * a continuation), whether it is the last line, the text. 0 or -EPROTO.
 */
static int
parse_line(const char *line, struct reply *r, bool *last, const char **text)
{
	unsigned int code = 0;

	if (line[0] == ' ') {
		if (r->lines == 1) /* a continuation needs a line before it */
			return -EPROTO;
		*last = false;
		*text = line + 1;
		return 0;
	}
	for (int i = 0; i < 4; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -EPROTO;
		code = code * 10 + (unsigned int)(line[i] - '0');
	}
	if (line[4] != ' ' && line[4] != '-')
		return -EPROTO;
	r->code = code;
	*last = line[4] == ' ';
	*text = line + 5;
	return 0;
}

/* Read one reply: the last line's code, or -errno. */
static int
read_reply(struct sg_rt_birdctl *b, sg_rt_birdctl_line_fn fn, void *arg)
{
	struct reply r = {.deadline_ms = now_ms() + b->timeout_ms};
	char line[SG_RT_BIRD_LINE_MAX] = "";

	for (;;) {
		const char *text;
		bool last;
		int rc = read_line(b, &r, line);

		if (rc == 0)
			rc = parse_line(line, &r, &last, &text);
		if (rc != 0) {
			if (rc == -EPROTO || rc == -E2BIG)
				b->bad_replies++;
			sg_rt_birdctl_close(b);
			return rc;
		}
		if (fn != NULL)
			fn(r.code, text, arg);
		if (last)
			return (int)r.code;
	}
}

int
sg_rt_birdctl_open(struct sg_rt_birdctl *b, const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int rc;

	sg_rt_birdctl_close(b);
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (b->fd < 0)
		return -errno;
	if (connect(b->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
		sg_rt_birdctl_close(b);
		return rc;
	}
	rc = read_reply(b, NULL, NULL);
	if (rc >= 0 && rc != CODE_WELCOME) {
		b->bad_replies++;
		sg_rt_birdctl_close(b);
		return -EPROTO;
	}
	return rc < 0 ? rc : 0;
}

bool
sg_rt_birdctl_gone(struct sg_rt_birdctl *b)
{
	struct pollfd p = {.fd = b->fd, .events = POLLIN};

	if (b->fd < 0)
		return true;
	if (poll(&p, 1, 0) == 0)
		return false;
	sg_rt_birdctl_close(b);
	return true;
}

static bool
cmd_valid(const char *cmd)
{
	size_t n = strnlen(cmd, SG_RT_BIRD_LINE_MAX);

	if (n == 0 || n >= SG_RT_BIRD_LINE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (cmd[i] < 0x20 || cmd[i] > 0x7e)
			return false;
	return true;
}

int
sg_rt_birdctl_cmd(struct sg_rt_birdctl *b, const char *cmd, sg_rt_birdctl_line_fn fn, void *arg)
{
	char line[SG_RT_BIRD_LINE_MAX + 1];
	int64_t deadline = now_ms() + b->timeout_ms;
	size_t n, off = 0;

	if (!cmd_valid(cmd))
		return -EINVAL;
	if (b->fd < 0)
		return -ENOTCONN;
	n = (size_t)snprintf(line, sizeof(line), "%s\n", cmd);
	while (off < n) {
		ssize_t w = send(b->fd, line + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		int rc = 0;

		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno == EAGAIN)
			rc = wait_fd(b->fd, POLLOUT, deadline);
		else if (w < 0 && errno != EINTR)
			rc = errno == EPIPE ? -ECONNRESET : -errno;
		if (rc != 0) {
			sg_rt_birdctl_close(b);
			return rc;
		}
	}
	return read_reply(b, fn, arg);
}

static void
set_line(unsigned int code, const char *text, void *arg)
{
	unsigned int *seen = arg;

	(void)text;
	if (code >= CODE_DISABLED_ALREADY && code <= CODE_ENABLED)
		*seen = code;
}

int
sg_rt_birdctl_set(struct sg_rt_birdctl *b, const char *proto, bool enable)
{
	unsigned int seen = 0;
	char cmd[96];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s %s", enable ? "enable" : "disable", proto);
	rc = sg_rt_birdctl_cmd(b, cmd, set_line, &seen);
	if (rc < 0)
		return rc;
	/* "0011-sg_vips: enabled" or "0010-...: already enabled", then "0000 " */
	if (rc != 0)
		return -EREMOTEIO;
	if (enable ? seen == CODE_ENABLED || seen == CODE_ENABLED_ALREADY
		   : seen == CODE_DISABLED || seen == CODE_DISABLED_ALREADY)
		return 0;
	b->bad_replies++;
	return -EPROTO;
}

/* "show protocols all", line by line. */
struct proto_list {
	struct sg_rt_proto *out;
	unsigned int max, n;
	bool routes_seen; /* of the current protocol's first channel */
};

/* Copy a reply field, printable ASCII only (it goes into the JSON status). */
static void
copy_field(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = src[i] < 0x20 || src[i] > 0x7e ? '?' : src[i];
	dst[i] = '\0';
}

/* "sg_bgp1    BGP        ---        up     11:14:18.125  Established" */
static void
proto_summary(struct proto_list *l, const char *text)
{
	char f[5][SG_RT_BIRD_LINE_MAX];
	struct sg_rt_proto *p;
	int used = 0;

	if (l->n == l->max)
		return;
	if (sscanf(text, "%511s %511s %511s %511s %511s %n", f[0], f[1], f[2], f[3], f[4], &used) <
	    5)
		return;
	p = &l->out[l->n++];
	memset(p, 0, sizeof(*p));
	copy_field(p->name, sizeof(p->name), f[0]);
	copy_field(p->proto, sizeof(p->proto), f[1]);
	copy_field(p->state, sizeof(p->state), f[3]);
	copy_field(p->since, sizeof(p->since), f[4]);
	copy_field(p->info, sizeof(p->info), text + used);
	for (size_t k = strlen(p->info); k > 0 && p->info[k - 1] == ' '; k--)
		p->info[k - 1] = '\0';
	p->exported = -1;
	l->routes_seen = false;
}

/* "  BGP state:          Established", "    Routes:         0 imported, 2 exported, ..." */
static void
proto_detail(struct proto_list *l, const char *text)
{
	struct sg_rt_proto *p = l->n > 0 ? &l->out[l->n - 1] : NULL;
	const char *v;
	char *end;
	long exp;

	if (p == NULL)
		return;
	while (*text == ' ')
		text++;
	if (strncmp(text, "BGP state:", 10) == 0) {
		for (v = text + 10; *v == ' '; v++)
			;
		copy_field(p->bgp_state, sizeof(p->bgp_state), v);
	} else if (strncmp(text, "Routes:", 7) == 0 && !l->routes_seen) {
		/* "Routes:         0 imported, 2 exported, 0 preferred" */
		errno = 0;
		(void)strtol(text + 7, &end, 10);
		if (errno != 0 || strncmp(end, " imported, ", 11) != 0)
			return;
		v = end + 11;
		exp = strtol(v, &end, 10);
		if (errno != 0 || end == v || exp < 0 || strncmp(end, " exported", 9) != 0)
			return;
		p->exported = exp;
		l->routes_seen = true;
	}
}

static void
protocols_line(unsigned int code, const char *text, void *arg)
{
	if (code == CODE_PROTO_LIST)
		proto_summary(arg, text);
	else if (code == CODE_PROTO_DETAIL)
		proto_detail(arg, text);
}

int
sg_rt_birdctl_protocols(struct sg_rt_birdctl *b, struct sg_rt_proto *out, unsigned int max,
			unsigned int *n)
{
	struct proto_list l = {.out = out, .max = max};
	int rc = sg_rt_birdctl_cmd(b, "show protocols all", protocols_line, &l);

	*n = l.n;
	if (rc < 0)
		return rc;
	return rc == 0 ? 0 : -EREMOTEIO;
}
