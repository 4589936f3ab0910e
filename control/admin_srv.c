/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin API server: a Unix stream socket, one JSON request per line, one
 * JSON answer per line: {"ok": true, "result": ...} or
 * {"ok": false, "error": "..."}. A thin adapter: admin_req.c parses,
 * admin.c runs the command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#define ADMIN_CONNS_MAX 32

struct sg_ctl_admin {
	struct evconnlistener *lis;
	char path[SG_CTL_PATH_MAX];
	unsigned int n_conns;
	const struct sg_ctl_view *v;
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
admin_free(struct sg_ctl_admin *a, struct bufferevent *bev)
{
	bufferevent_free(bev);
	a->n_conns--;
}

static void
admin_read(struct bufferevent *bev, void *arg)
{
	struct sg_ctl_admin *a = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct sg_ctl_admin_req req;
	char err[256], *line, *txt;
	size_t len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
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
	if (evbuffer_get_length(in) > SG_CTL_ADMIN_REQ_MAX) {
		admin_error(bev, "request line too long (at most 4096 bytes)");
		evbuffer_drain(in, evbuffer_get_length(in));
		bufferevent_disable(bev, EV_READ);
	}
}

static void
admin_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		admin_free(arg, bev);
}

static void
admin_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int salen,
	     void *arg)
{
	struct sg_ctl_admin *a = arg;
	struct bufferevent *bev;

	(void)lis;
	(void)sa;
	(void)salen;
	if (a->n_conns >= ADMIN_CONNS_MAX) {
		close(fd);
		return;
	}
	bev = bufferevent_socket_new(a->v->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	a->n_conns++;
	bufferevent_setwatermark(bev, EV_READ, 0, SG_CTL_ADMIN_REQ_MAX * 2);
	bufferevent_setcb(bev, admin_read, NULL, admin_event, a);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int
sg_ctl_admin_listen(struct sg_ctl_admin **out, const struct sg_ctl_view *v, const char *path)
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
	a->lis = evconnlistener_new_bind(v->base, admin_accept, a,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
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
	if (a == NULL)
		return;
	evconnlistener_free(a->lis);
	unlink(a->path);
	free(a);
}
