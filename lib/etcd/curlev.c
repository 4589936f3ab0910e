/* SPDX-License-Identifier: BSD-3-Clause */
/* libcurl multi on libevent (curlev.h). */
#include "curlev.h"

/* libcurl: watch socket @p s for @p what (CURLMOPT_SOCKETFUNCTION). */
static int
sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct sg_etcd_curlev *c = userp;
	struct event *ev = socketp;
	short kind;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL)
			event_free(ev);
		curl_multi_assign(c->multi, s, NULL);
		return 0;
	}
	kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
		       ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);
	if (ev != NULL) {
		event_del(ev);
		event_assign(ev, c->base, s, kind, c->sock_ev, c->arg);
	} else {
		ev = event_new(c->base, s, kind, c->sock_ev, c->arg);
		if (ev == NULL)
			return -1;
		curl_multi_assign(c->multi, s, ev);
	}
	event_add(ev, NULL);
	return 0;
}

/* libcurl: call back in @p ms (CURLMOPT_TIMERFUNCTION). */
static int
timer_cb(CURLM *multi, long ms, void *userp)
{
	struct sg_etcd_curlev *c = userp;
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	(void)multi;
	if (ms < 0)
		evtimer_del(c->timer);
	else
		evtimer_add(c->timer, &tv);
	return 0;
}

void
sg_etcd_curlev_attach(struct sg_etcd_curlev *c)
{
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
}
