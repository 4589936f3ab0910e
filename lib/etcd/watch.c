/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A watch on a key prefix: one POST /v3/watch whose answer is a stream of
 * JSON objects, one a line ({"result": {...}}), driven by a libcurl multi
 * handle whose sockets and timer are events on the caller's libevent base
 * (as control/health_probe.c does).
 *
 * Events are delivered in revision order, each revision at most once: the
 * watch remembers the revision after the last one delivered and reconnects
 * from it (the next endpoint, backoff 50 ms doubling to 1 s) when the stream
 * breaks. When etcd compacted past it, resync() is called and the watch
 * goes on from the compaction revision: the caller has read the range again
 * and the events replayed from there converge to the same state.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "curlev.h"
#include "etcd_int.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000

struct sg_etcd_watch {
	struct sg_etcd *c;
	struct event_base *base;
	char prefix[SG_ETCD_KEY_MAX + 1];
	size_t plen;
	sg_etcd_kv_cb cb;
	void (*resync)(void *arg);
	void *arg;
	CURLM *multi;
	CURL *easy;
	struct curl_slist *hdr;
	char *req;		   /**< the request body of the current stream */
	struct event *curl_timer;  /**< libcurl's timeout */
	struct sg_etcd_curlev cev; /**< libcurl's sockets and timer on base */
	struct event *retry;	   /**< reconnect after a backoff */
	char *buf;		   /**< bytes of the stream not parsed yet */
	size_t len, cap;
	int64_t next_rev; /**< the first revision not delivered (0: now) */
	unsigned int ep;  /**< the endpoint of the current stream */
	unsigned int backoff_ms;
	bool broken;	  /**< the stream is aborted (a bad line) */
	bool in_cb, dead; /**< stopped from inside a callback: freed after it */
};

static void connect_stream(struct sg_etcd_watch *w);

static void
watch_free(struct sg_etcd_watch *w)
{
	if (w->easy != NULL) {
		curl_multi_remove_handle(w->multi, w->easy);
		curl_easy_cleanup(w->easy);
	}
	if (w->multi != NULL)
		curl_multi_cleanup(w->multi);
	curl_slist_free_all(w->hdr);
	if (w->curl_timer != NULL)
		event_free(w->curl_timer);
	if (w->retry != NULL)
		event_free(w->retry);
	free(w->req);
	free(w->buf);
	free(w);
}

/* Validate (deliver false) or deliver the events of one answer. @return 0 or -EPROTO. */
static int
events_pass(struct sg_etcd_watch *w, const json_t *evs, bool deliver, int64_t *max_rev)
{
	struct sg_etcd_kv kv;
	size_t i;
	char *k, *v;

	for (i = 0; i < json_array_size(evs); i++) {
		const json_t *ev = json_array_get(evs, i);
		const char *type = json_string_value(json_object_get(ev, "type"));
		bool del;

		if (!json_is_object(ev) || (json_object_get(ev, "type") != NULL && type == NULL))
			return -EPROTO;
		del = type != NULL && strcmp(type, "DELETE") == 0;
		if (type != NULL && !del && strcmp(type, "PUT") != 0)
			return -EPROTO;
		if (sg_etcd_kv_parse(json_object_get(ev, "kv"), !del, &kv, &k, &v) < 0)
			return -EPROTO;
		if (kv.key_len < w->plen || memcmp(k, w->prefix, w->plen) != 0 || kv.mod_rev <= 0 ||
		    kv.mod_rev < *max_rev) {
			free(k);
			free(v);
			return -EPROTO; /* outside the prefix or out of order */
		}
		*max_rev = kv.mod_rev;
		if (deliver && kv.mod_rev >= w->next_rev && !w->dead)
			w->cb(&kv, w->arg);
		free(k);
		free(v);
	}
	return 0;
}

/* One line of the stream. @return 0, 1 (compacted: reconnect now), -EPROTO. */
static int
handle_line(struct sg_etcd_watch *w, const char *line, size_t len)
{
	json_t *o = json_loadb(line, len, 0, NULL), *res, *evs;
	int64_t rev = 0, compact = 0, max_rev = 0;
	int rc = -EPROTO;

	res = json_object_get(o, "result");
	evs = json_object_get(res, "events");
	if (!json_is_object(res) || (evs != NULL && !json_is_array(evs)) ||
	    sg_etcd_int(json_object_get(res, "header"), "revision", &rev) < 0 ||
	    sg_etcd_int(res, "compact_revision", &compact) < 0 || rev < 0 || compact < 0)
		goto out;
	if (json_is_true(json_object_get(res, "canceled"))) {
		if (compact > 0) {
			w->next_rev = compact;
			if (w->resync != NULL && !w->dead)
				w->resync(w->arg);
			rc = 1;
		}
		goto out; /* canceled for another reason: reconnect after a backoff */
	}
	max_rev = w->next_rev > 0 ? w->next_rev - 1 : 0;
	if (evs != NULL && events_pass(w, evs, false, &max_rev) < 0)
		goto out;
	max_rev = 0;
	if (evs != NULL)
		events_pass(w, evs, true, &max_rev);
	if (max_rev >= w->next_rev)
		w->next_rev = max_rev + 1;
	if (w->next_rev == 0 && json_is_true(json_object_get(res, "created")) && rev > 0)
		w->next_rev = rev + 1; /* "now" is this revision: resume after it */
	w->backoff_ms = 0;
	rc = 0;
out:
	json_decref(o);
	return rc;
}

static size_t
stream_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sg_etcd_watch *w = arg;
	size_t n = size * nmemb, off = 0;
	char *nl, *nb;
	int rc;

	if (w->dead || w->broken)
		return 0;
	if (w->len + n > SG_ETCD_BODY_MAX) {
		sg_etcd_set_error(w->c, "etcd watch %.64s: message over %u bytes", w->prefix,
				  SG_ETCD_BODY_MAX);
		w->broken = true;
		return 0;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap != 0 ? w->cap : 4096;

		while (cap < w->len + n)
			cap *= 2;
		if ((nb = realloc(w->buf, cap)) == NULL)
			return 0;
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, ptr, n);
	w->len += n;
	while (!w->dead && (nl = memchr(w->buf + off, '\n', w->len - off)) != NULL) {
		rc = handle_line(w, w->buf + off, (size_t)(nl - (w->buf + off)));
		off = (size_t)(nl - w->buf) + 1;
		if (rc != 0) {
			if (rc < 0)
				sg_etcd_set_error(w->c, "etcd watch %.64s: malformed message",
						  w->prefix);
			w->broken = rc < 0;
			w->backoff_ms = rc > 0 ? 0 : w->backoff_ms;
			w->len = 0;
			return 0; /* end this stream; reconnect */
		}
	}
	memmove(w->buf, w->buf + off, w->len - off);
	w->len -= off;
	return n;
}

static void
retry_ev(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	connect_stream(arg);
}

/* Reconnect to the next endpoint after a backoff. */
static void
schedule_retry(struct sg_etcd_watch *w)
{
	struct timeval tv;

	w->ep = (w->ep + 1) % w->c->n_endpoints;
	w->backoff_ms = w->backoff_ms == 0 ? BACKOFF_MIN_MS : w->backoff_ms * 2;
	if (w->backoff_ms > BACKOFF_MAX_MS)
		w->backoff_ms = BACKOFF_MAX_MS;
	tv.tv_sec = w->backoff_ms / 1000;
	tv.tv_usec = (w->backoff_ms % 1000) * 1000;
	evtimer_add(w->retry, &tv);
}

/* The stream ended (broken, refused, or etcd went away). */
static void
stream_ended(struct sg_etcd_watch *w)
{
	curl_multi_remove_handle(w->multi, w->easy);
	curl_easy_cleanup(w->easy);
	w->easy = NULL;
	w->len = 0;
	w->broken = false;
	schedule_retry(w);
}

static void
multi_read(struct sg_etcd_watch *w)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(w->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == w->easy) {
			stream_ended(w);
			break;
		}
}

/* Run libcurl on @p fd (or its timeout); free the watch if stopped meanwhile. */
static void
curl_run(struct sg_etcd_watch *w, curl_socket_t fd, int mask)
{
	int running;

	w->in_cb = true;
	curl_multi_socket_action(w->multi, fd, mask, &running);
	if (!w->dead)
		multi_read(w);
	w->in_cb = false;
	if (w->dead)
		watch_free(w);
}

static void
curl_sock_ev(evutil_socket_t fd, short what, void *arg)
{
	curl_run(arg, fd,
		 ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
			 ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0));
}

static void
curl_timer_ev(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	curl_run(arg, CURL_SOCKET_TIMEOUT, 0);
}

/* The request of a stream from w->next_rev. @return its text (free()) or NULL. */
static char *
stream_req(const struct sg_etcd_watch *w)
{
	char end[SG_ETCD_KEY_MAX + 2], rev[24];
	size_t end_len = sg_etcd_prefix_end(w->prefix, w->plen, end);
	json_t *o;
	char *text;

	snprintf(rev, sizeof(rev), "%" PRId64, w->next_rev);
	o = json_pack("{s:{s:o,s:o,s:s}}", "create_request", "key", sg_etcd_b64(w->prefix, w->plen),
		      "range_end", sg_etcd_b64(end, end_len), "start_revision", rev);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}

static void
connect_stream(struct sg_etcd_watch *w)
{
	char url[320];
	CURL *e;

	free(w->req);
	w->req = stream_req(w);
	e = curl_easy_init();
	if (w->req == NULL || e == NULL) {
		if (e != NULL)
			curl_easy_cleanup(e);
		schedule_retry(w); /* out of memory: later */
		return;
	}
	snprintf(url, sizeof(url), "%s/v3/watch", w->c->endpoints[w->ep]);
	sg_etcd_curl_common(w->c, e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, w->hdr);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, w->req);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, stream_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 1L);
	w->easy = e;
	if (curl_multi_add_handle(w->multi, e) != CURLM_OK) {
		sg_etcd_set_error(w->c, "etcd watch %.64s: cannot start a stream", w->prefix);
		stream_ended(w);
	}
}

struct sg_etcd_watch *
sg_etcd_watch_start(struct sg_etcd *c, struct event_base *base, const char *prefix,
		    int64_t start_rev, sg_etcd_kv_cb cb, void (*resync)(void *arg), void *arg)
{
	struct sg_etcd_watch *w;

	if (prefix == NULL || prefix[0] == '\0' || strlen(prefix) > SG_ETCD_KEY_MAX ||
	    start_rev < 0 || cb == NULL) {
		sg_etcd_set_error(c, "etcd watch: a prefix of 1 to %u bytes and a callback",
				  SG_ETCD_KEY_MAX);
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->c = c;
	w->base = base;
	w->plen = strlen(prefix);
	memcpy(w->prefix, prefix, w->plen + 1);
	w->cb = cb;
	w->resync = resync;
	w->arg = arg;
	w->next_rev = start_rev;
	w->ep = c->cur;
	w->multi = curl_multi_init();
	w->hdr = curl_slist_append(NULL, "Content-Type: application/json");
	w->curl_timer = evtimer_new(base, curl_timer_ev, w);
	w->retry = evtimer_new(base, retry_ev, w);
	if (w->multi == NULL || w->hdr == NULL || w->curl_timer == NULL || w->retry == NULL) {
		sg_etcd_set_error(c, "etcd watch: out of memory");
		watch_free(w);
		return NULL;
	}
	w->cev = (struct sg_etcd_curlev){.multi = w->multi,
					 .base = base,
					 .timer = w->curl_timer,
					 .sock_ev = curl_sock_ev,
					 .arg = w};
	sg_etcd_curlev_attach(&w->cev);
	connect_stream(w);
	return w;
}

void
sg_etcd_watch_stop(struct sg_etcd_watch *w)
{
	if (w == NULL)
		return;
	if (w->in_cb) {
		w->dead = true; /* freed when libcurl returns to curl_run() */
		return;
	}
	watch_free(w);
}
