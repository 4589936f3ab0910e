/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Active checks over ordinary sockets, on sg-control's libevent loop.
 *
 *   tcp        non-blocking connect(); writable + SO_ERROR 0: ok
 *   udp        send the payload, wait for one answer (SG_CTL_PROBE_UDP_MAX
 *              bytes read); an ICMP unreachable shows as ECONNREFUSED
 *   http/https libcurl's multi interface, its sockets and timer driven by
 *              libevent (lib/etcd/curlev.h, shared with the etcd watch): status
 *              range, optional body substring (at most
 *              SG_CTL_PROBE_BODY_MAX bytes read), Host / SNI through
 *              CURLOPT_RESOLVE, source address through CURLOPT_INTERFACE
 *
 * A scheduler event every 10 ms starts the checks that are due (health.c
 * decides when); every check ends by its own timeout at the latest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "curlev.h"
#include "health_probe.h"

#define SCHED_US 10000

struct check {
	TAILQ_ENTRY(check) link;
	struct sg_ctl_probe *p;
	unsigned int idx;
	const struct sg_cfg_health_check *c;
	int fd;
	struct event *ev;
	CURL *easy;
	struct curl_slist *resolve;
	char *body;
	size_t body_len;
	bool stopped; /**< http: body read ended on purpose (match found or bound) */
	bool found;
	uint64_t deadline_ns; /**< udp: a spurious wake-up waits only what is left */
	char err[CURL_ERROR_SIZE];
};

struct sg_ctl_probe {
	struct sg_ctl_probe_deps d;
	CURLM *multi;
	struct event *sched;
	struct event *curl_timer;
	struct sg_etcd_curlev cev; /**< libcurl's sockets and timer on d.base */
	TAILQ_HEAD(, check) checks;
	unsigned int n;
	bool results; /**< a result since the last step_end */
};

static void
arm_sched(struct sg_ctl_probe *p)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = SCHED_US};

	evtimer_add(p->sched, &tv);
}

static void
check_free(struct check *k)
{
	struct sg_ctl_probe *p = k->p;

	if (k->easy != NULL) {
		curl_multi_remove_handle(p->multi, k->easy);
		curl_easy_cleanup(k->easy);
	}
	curl_slist_free_all(k->resolve);
	if (k->ev != NULL)
		event_free(k->ev);
	if (k->fd >= 0)
		close(k->fd);
	free(k->body);
	TAILQ_REMOVE(&p->checks, k, link);
	p->n--;
	free(k);
}

static void
finish(struct check *k, enum sg_ctl_check_result res, const char *text)
{
	struct sg_ctl_probe *p = k->p;

	sg_ctl_health_result(p->d.health, k->idx, res, text);
	p->results = true;
	check_free(k);
}

static void
step_end(struct sg_ctl_probe *p)
{
	if (p->results && p->d.step_end != NULL)
		p->d.step_end(p->d.ctx);
	p->results = false;
}

static socklen_t
sockaddr_of(const struct sg_cfg_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = a->v4;
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, a->v6, 16);
	return sizeof(*s6);
}

/* ------------------------------------------------------------- tcp, udp */

static void
sock_io(evutil_socket_t fd, short what, void *arg)
{
	struct check *k = arg;
	struct sg_ctl_probe *p = k->p;
	char buf[SG_CTL_PROBE_UDP_MAX], text[SG_CTL_HEALTH_TEXT];
	socklen_t len = sizeof(int);
	ssize_t n;
	int err = 0;

	sg_ctl_clock_update(p->d.clk);
	if (what & EV_TIMEOUT) {
		snprintf(text, sizeof(text), "no answer within %u ms", k->c->timeout_ms);
		finish(k, SG_CTL_CHECK_TIMEOUT, text);
	} else if (k->c->type == SG_CFG_CHECK_TCP) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0)
			finish(k, SG_CTL_CHECK_OK, "connected");
		else
			finish(k, SG_CTL_CHECK_FAIL, strerror(err));
	} else {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR) &&
		    k->deadline_ns > p->d.clk->now_ns) {
			uint64_t left = (k->deadline_ns - p->d.clk->now_ns) / 1000;
			struct timeval tv = {.tv_sec = (time_t)(left / 1000000),
					     .tv_usec = (suseconds_t)(left % 1000000)};

			event_add(k->ev, &tv);
			return;
		}
		if (n < 0)
			finish(k, SG_CTL_CHECK_FAIL, strerror(errno));
		else if (k->c->expect[0] != '\0' &&
			 memmem(buf, (size_t)n, k->c->expect, strlen(k->c->expect)) == NULL)
			finish(k, SG_CTL_CHECK_FAIL, "answer does not contain expect");
		else
			finish(k, SG_CTL_CHECK_OK, "answered");
	}
	step_end(p);
}

static int
start_sock(struct check *k, const struct sg_ctl_member *m)
{
	struct sockaddr_storage ss;
	struct timeval tv = {.tv_sec = k->c->timeout_ms / 1000,
			     .tv_usec = (k->c->timeout_ms % 1000) * 1000};
	bool udp = k->c->type == SG_CFG_CHECK_UDP;
	socklen_t sl;
	const char *payload = k->c->send[0] != '\0' ? k->c->send : "ping";

	k->fd = socket(m->addr.family,
		       (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->fd < 0)
		return -errno;
	if (m->source.family != 0) {
		sl = sockaddr_of(&m->source, 0, &ss);
		if (bind(k->fd, (struct sockaddr *)&ss, sl) < 0)
			return -errno;
	}
	sl = sockaddr_of(&m->addr, m->port, &ss);
	if (connect(k->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		return -errno;
	if (udp && send(k->fd, payload, strlen(payload), MSG_DONTWAIT) < 0)
		return -errno;
	k->deadline_ns = k->p->d.clk->now_ns + (uint64_t)k->c->timeout_ms * 1000000ull;
	k->ev = event_new(k->p->d.base, k->fd, udp ? EV_READ : EV_WRITE, sock_io, k);
	if (k->ev == NULL || event_add(k->ev, &tv) < 0)
		return -ENOMEM;
	return 0;
}

/* ------------------------------------------------------------ http(s) */

static size_t
body_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct check *k = arg;
	size_t n = size * nmemb, room;

	if (k->c->body_match[0] == '\0') {
		k->body_len += n; /* not kept: only bounded */
		if (k->body_len <= SG_CTL_PROBE_BODY_MAX)
			return n;
		k->stopped = true;
		return 0;
	}
	if (k->body == NULL && (k->body = malloc(SG_CTL_PROBE_BODY_MAX)) == NULL)
		return 0;
	room = SG_CTL_PROBE_BODY_MAX - k->body_len;
	memcpy(k->body + k->body_len, ptr, n < room ? n : room);
	k->body_len += n < room ? n : room;
	if (memmem(k->body, k->body_len, k->c->body_match, strlen(k->c->body_match)) != NULL)
		k->found = true;
	if (k->found || k->body_len == SG_CTL_PROBE_BODY_MAX) {
		k->stopped = true; /* enough read */
		return 0;
	}
	return n;
}

static void
http_done(struct check *k, CURLcode rc)
{
	char text[SG_CTL_HEALTH_TEXT];
	long status = 0;

	curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(text, sizeof(text), "no answer within %u ms", k->c->timeout_ms);
		finish(k, SG_CTL_CHECK_TIMEOUT, text);
	} else if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && k->stopped)) {
		snprintf(text, sizeof(text), "%.90s", k->err[0] ? k->err : curl_easy_strerror(rc));
		finish(k, SG_CTL_CHECK_FAIL, text);
	} else if (status < k->c->status_min || status > k->c->status_max) {
		snprintf(text, sizeof(text), "status %ld, expected %u-%u", status, k->c->status_min,
			 k->c->status_max);
		finish(k, SG_CTL_CHECK_FAIL, text);
	} else if (k->c->body_match[0] != '\0' && !k->found) {
		snprintf(text, sizeof(text), "status %ld, body does not contain body_match",
			 status);
		finish(k, SG_CTL_CHECK_FAIL, text);
	} else {
		snprintf(text, sizeof(text), "status %ld", status);
		finish(k, SG_CTL_CHECK_OK, text);
	}
}

static void
multi_read(struct sg_ctl_probe *p)
{
	struct check *k;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		k = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&k);
		if (k != NULL)
			http_done(k, msg->data.result);
	}
	step_end(p);
}

static void
curl_sock_ev(evutil_socket_t fd, short what, void *arg)
{
	struct sg_ctl_probe *p = arg;
	int running;

	sg_ctl_clock_update(p->d.clk);
	curl_multi_socket_action(p->multi, fd,
				 ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
					 ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0),
				 &running);
	multi_read(p);
}

static void
curl_timer_ev(evutil_socket_t fd, short what, void *arg)
{
	struct sg_ctl_probe *p = arg;
	int running;

	(void)fd;
	(void)what;
	sg_ctl_clock_update(p->d.clk);
	curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	multi_read(p);
}

static int
start_http(struct check *k, const struct sg_ctl_member *m)
{
	const struct sg_cfg_health_check *c = k->c;
	bool tls = c->type == SG_CFG_CHECK_HTTPS;
	char addr[INET6_ADDRSTRLEN + 2], url[SG_CFG_CHECK_TEXT_MAX * 2 + 64];
	char line[SG_CFG_CHECK_TEXT_MAX + INET6_ADDRSTRLEN + 16];
	const char *path = c->path[0] != '\0' ? c->path : "/";
	char raw[INET6_ADDRSTRLEN];
	CURL *e;

	inet_ntop(m->addr.family,
		  m->addr.family == AF_INET ? (const void *)&m->addr.v4 : (const void *)m->addr.v6,
		  raw, sizeof(raw));
	snprintf(addr, sizeof(addr), m->addr.family == AF_INET6 ? "[%s]" : "%s", raw);
	if (c->host[0] != '\0') {
		/* Host header and TLS name: the configured host, resolved to the member. */
		snprintf(line, sizeof(line), "%s:%u:%s", c->host, m->port, addr);
		k->resolve = curl_slist_append(NULL, line);
		if (k->resolve == NULL)
			return -ENOMEM;
	}
	snprintf(url, sizeof(url), "%s://%s:%u%s%s", tls ? "https" : "http",
		 c->host[0] != '\0' ? c->host : addr, m->port, path[0] == '/' ? "" : "/", path);
	e = k->easy = curl_easy_init();
	if (e == NULL)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, k);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, k->err);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never a proxy from the environment */
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "sg-control-health/1");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
	if (k->resolve != NULL)
		curl_easy_setopt(e, CURLOPT_RESOLVE, k->resolve);
	if (strcmp(c->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (c->method[0] != '\0' && strcmp(c->method, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
	if (m->source.family != 0) {
		inet_ntop(m->source.family,
			  m->source.family == AF_INET ? (const void *)&m->source.v4
						      : (const void *)m->source.v6,
			  raw, sizeof(raw));
		snprintf(line, sizeof(line), "host!%s", raw);
		curl_easy_setopt(e, CURLOPT_INTERFACE, line);
	}
	if (tls && c->ca_file[0] != '\0') {
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
		/* The name checked is the host key's; without it the URL holds an address. */
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->host[0] != '\0' ? 2L : 0L);
	} else if (tls) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return curl_multi_add_handle(k->p->multi, e) == CURLM_OK ? 0 : -ENOMEM;
}

/* ------------------------------------------------------------- scheduler */

static void
start(struct sg_ctl_probe *p, unsigned int idx)
{
	const struct sg_ctl_member *m = &p->d.health->m[idx];
	struct check *k = calloc(1, sizeof(*k));
	int rc;

	if (k == NULL) {
		sg_ctl_health_cancelled(p->d.health, idx);
		return;
	}
	k->p = p;
	k->idx = idx;
	k->fd = -1;
	k->c = &p->d.health->pools[m->pool_idx].check;
	TAILQ_INSERT_TAIL(&p->checks, k, link);
	p->n++;
	if (k->c->type == SG_CFG_CHECK_HTTP || k->c->type == SG_CFG_CHECK_HTTPS)
		rc = start_http(k, m);
	else
		rc = start_sock(k, m);
	if (rc < 0)
		finish(k, SG_CTL_CHECK_FAIL, strerror(-rc));
}

static void
sched_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sg_ctl_probe *p = arg;
	unsigned int from = 0;
	int i;

	(void)fd;
	(void)what;
	sg_ctl_clock_update(p->d.clk);
	while (p->n < SG_CTL_PROBE_INFLIGHT_MAX &&
	       (i = sg_ctl_health_due(p->d.health, from)) >= 0) {
		start(p, (unsigned int)i);
		from = (unsigned int)i + 1;
	}
	step_end(p);
	arm_sched(p);
}

int
sg_ctl_probe_create(struct sg_ctl_probe **out, const struct sg_ctl_probe_deps *d)
{
	struct sg_ctl_probe *p;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->d = *d;
	TAILQ_INIT(&p->checks);
	p->multi = curl_multi_init();
	p->sched = evtimer_new(d->base, sched_cb, p);
	p->curl_timer = evtimer_new(d->base, curl_timer_ev, p);
	if (p->multi == NULL || p->sched == NULL || p->curl_timer == NULL) {
		sg_ctl_probe_destroy(p);
		return -ENOMEM;
	}
	p->cev = (struct sg_etcd_curlev){.multi = p->multi,
					 .base = d->base,
					 .timer = p->curl_timer,
					 .sock_ev = curl_sock_ev,
					 .arg = p};
	sg_etcd_curlev_attach(&p->cev);
	arm_sched(p);
	*out = p;
	return 0;
}

void
sg_ctl_probe_cancel_all(struct sg_ctl_probe *p)
{
	struct check *k, *next;

	if (p == NULL)
		return;
	for (k = TAILQ_FIRST(&p->checks); k != NULL; k = next) {
		next = TAILQ_NEXT(k, link);
		sg_ctl_health_cancelled(p->d.health, k->idx);
		check_free(k);
	}
}

void
sg_ctl_probe_destroy(struct sg_ctl_probe *p)
{
	if (p == NULL)
		return;
	sg_ctl_probe_cancel_all(p);
	if (p->sched != NULL)
		event_free(p->sched);
	if (p->curl_timer != NULL)
		event_free(p->curl_timer);
	if (p->multi != NULL)
		curl_multi_cleanup(p->multi);
	free(p);
	curl_global_cleanup();
}
