/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin API server: a Unix stream socket, one JSON request per line, one
 * JSON answer per line: {"ok": true, "result": ...} or
 * {"ok": false, "error": "..."}. A thin adapter: admin_req.c parses,
 * admin.c runs the command.
 *
 * Every connection is bounded: a request line over SG_CTL_ADMIN_REQ_MAX is
 * answered with an error and the connection closed once the error is
 * written; a connection idle (no request, or answers not read) for
 * SG_CTL_ADMIN_IDLE_S is closed; a client that leaves more than
 * SG_CTL_ADMIN_OUT_MAX of answers unread is dropped; at most
 * SG_CTL_ADMIN_CONNS_MAX connections: a new one closes the oldest, so
 * connections held open cannot lock the operator out. Each is counted.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "admin.h"
#include "view.h"

/* One client connection, in accept order (the oldest first). */
struct admin_conn {
	TAILQ_ENTRY(admin_conn) link;
	struct bufferevent *bev;
	struct sg_ctl_admin *a;
};

struct sg_ctl_admin {
	struct evconnlistener *lis;
	char path[SG_CTL_PATH_MAX];
	unsigned int n_conns;
	TAILQ_HEAD(, admin_conn) conns;
	const struct sg_ctl_view *v;
	struct sg_ctl_stats *st;
};

static void
admin_answer(struct bufferevent *bev, const char *txt)
{
	struct evbuffer *out = bufferevent_get_output(bev);

	evbuffer_add(out, txt, strlen(txt));
	evbuffer_add(out, "\n", 1);
}

static void
admin_error(struct bufferevent *bev, const char *msg)
{
	json_t *o = json_pack("{s:b,s:s}", "ok", 0, "error", msg);
	char *txt = json_dumps(o, JSON_COMPACT);

	admin_answer(bev, txt);
	free(txt);
	json_decref(o);
}

static void
admin_free(struct admin_conn *c)
{
	TAILQ_REMOVE(&c->a->conns, c, link);
	c->a->n_conns--;
	bufferevent_free(c->bev);
	free(c);
}

static void
admin_event(struct bufferevent *bev, short what, void *arg)
{
	struct admin_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT) {
		if (what & BEV_EVENT_WRITING)
			c->a->st->admin_slow_dropped++; /* its answer was not read in time */
		else
			c->a->st->admin_idle_closed++;
		admin_free(c);
	} else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		admin_free(c);
	}
}

/* The last answer is written: close. */
static void
admin_flushed(struct bufferevent *bev, void *arg)
{
	(void)bev;
	admin_free(arg);
}

/* Answer @p msg, then close once it is written (nothing more is read). */
static void
admin_close_after(struct admin_conn *c, const char *msg)
{
	bufferevent_disable(c->bev, EV_READ);
	admin_error(c->bev, msg);
	bufferevent_setcb(c->bev, NULL, admin_flushed, admin_event, c);
}

static void
admin_read(struct bufferevent *bev, void *arg)
{
	struct admin_conn *c = arg;
	struct sg_ctl_admin *a = c->a;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct sg_ctl_admin_req req;
	char err[256], *line, *txt;
	bool oversize = false;
	size_t len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) > SG_CTL_ADMIN_OUT_MAX) {
			/* answers pile up unread: this client does not read */
			free(line);
			a->st->admin_slow_dropped++;
			admin_free(c);
			return;
		}
		if (len > SG_CTL_ADMIN_REQ_MAX) {
			free(line);
			oversize = true;
			break;
		}
		if (sg_ctl_admin_parse(line, len, &req, err, sizeof(err)) < 0) {
			admin_error(bev, err);
		} else {
			txt = sg_ctl_admin_exec(a->v, &req);
			admin_answer(bev, txt != NULL ? txt : "{\"ok\":false}");
			free(txt);
			a->v->step_end(a->v->ctx);
		}
		free(line);
	}
	if (oversize || evbuffer_get_length(in) > SG_CTL_ADMIN_REQ_MAX) {
		a->st->admin_oversize++;
		evbuffer_drain(in, evbuffer_get_length(in));
		admin_close_after(c, "request line too long (at most 4096 bytes)");
	}
}

static void
admin_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int salen,
	     void *arg)
{
	static const struct timeval idle = {.tv_sec = SG_CTL_ADMIN_IDLE_S};
	struct sg_ctl_admin *a = arg;
	struct admin_conn *c;

	(void)lis;
	(void)sa;
	(void)salen;
	if (a->n_conns >= SG_CTL_ADMIN_CONNS_MAX) {
		/* Full: the oldest connection makes room (an operator's sgctl lives
		 * milliseconds, a connection held open to block the socket does not). */
		a->st->admin_evicted++;
		admin_free(TAILQ_FIRST(&a->conns));
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->a = a;
	c->bev = bufferevent_socket_new(a->v->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&a->conns, c, link);
	a->n_conns++;
	bufferevent_setwatermark(c->bev, EV_READ, 0, SG_CTL_ADMIN_REQ_MAX * 2);
	bufferevent_setcb(c->bev, admin_read, NULL, admin_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

int
sg_ctl_admin_listen(struct sg_ctl_admin **out, const struct sg_ctl_view *v,
		    struct sg_ctl_stats *stats, const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	struct sg_ctl_admin *a;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		syslog(LOG_ERR, "admin: socket path '%s' too long", path);
		return -ENAMETOOLONG;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->v = v;
	a->st = stats;
	TAILQ_INIT(&a->conns);
	snprintf(a->path, sizeof(a->path), "%s", path);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path); /* left by a killed sg-control */
	{
		char dir[SG_CTL_PATH_MAX];
		char *slash;

		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0750) < 0 && errno != EEXIST)
				syslog(LOG_WARNING, "admin: cannot create %s: %s", dir,
				       strerror(errno));
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	a->lis = evconnlistener_new_bind(
		v->base, admin_accept, a, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
		2 * SG_CTL_ADMIN_CONNS_MAX, /* a burst of clients waits, not fails */
		(struct sockaddr *)&sa, sizeof(sa));
	if (a->lis == NULL) {
		syslog(LOG_ERR, "admin: cannot listen on %s: %s", path, strerror(errno));
		free(a);
		return -EADDRINUSE;
	}
	chmod(path, 0660);
	*out = a;
	return 0;
}

void
sg_ctl_admin_close(struct sg_ctl_admin *a)
{
	struct admin_conn *c, *next;

	if (a == NULL)
		return;
	evconnlistener_free(a->lis);
	for (c = TAILQ_FIRST(&a->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		bufferevent_free(c->bev);
		free(c);
	}
	unlink(a->path);
	free(a);
}
