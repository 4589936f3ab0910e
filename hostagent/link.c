/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The link to sg-control: one TCP connection opened by the agent, mutual
 * HMAC-SHA256 challenge/response, length-prefixed messages of bounded size
 * (include/sessiongate/sg_agent_proto.h), keepalive pings, reconnect with
 * backoff, and a bounded queue of messages while not authenticated.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

static void link_io(int watch, int fd, int events, void *opaque);

static void
watch_update(struct sg_ha_agent *a)
{
	int ev = VIR_EVENT_HANDLE_READABLE;

	if (a->fd_watch < 0)
		return;
	if (a->link == SG_HA_LINK_CONNECTING || a->woff < a->wlen)
		ev |= VIR_EVENT_HANDLE_WRITABLE;
	virEventUpdateHandle(a->fd_watch, ev);
}

void
sg_ha_link_drop(struct sg_ha_agent *a, const char *why)
{
	if (a->fd < 0)
		return;
	if (a->link != SG_HA_LINK_UP)
		a->ctr.link_failures++;
	sg_ha_log(LOG_WARNING, "control: connection dropped (%s); reconnect in %u ms", why,
		  a->link_backoff_ms);
	if (a->fd_watch >= 0)
		virEventRemoveHandle(a->fd_watch);
	close(a->fd);
	a->fd = -1;
	a->fd_watch = -1;
	a->link = SG_HA_LINK_DOWN;
	a->rlen = 0;
	a->wlen = a->woff = 0;
	a->link_next_try = sg_ha_now_ms() + a->link_backoff_ms;
	a->link_backoff_ms = a->link_backoff_ms * 2 > a->cfg->reconnect_max_ms
				     ? a->cfg->reconnect_max_ms
				     : a->link_backoff_ms * 2;
}

/* Append raw bytes to the socket's write buffer (bounded: 64 messages). */
static int
wbuf_put(struct sg_ha_agent *a, const uint8_t *b, size_t n)
{
	if (a->woff == a->wlen)
		a->woff = a->wlen = 0;
	if (a->wlen + n > a->wcap) {
		if (a->woff > 0) {
			memmove(a->wbuf, a->wbuf + a->woff, a->wlen - a->woff);
			a->wlen -= a->woff;
			a->woff = 0;
		}
		if (a->wlen + n > a->wcap)
			return -ENOBUFS;
	}
	memcpy(a->wbuf + a->wlen, b, n);
	a->wlen += n;
	return 0;
}

static void
flush(struct sg_ha_agent *a)
{
	while (a->fd >= 0 && a->woff < a->wlen) {
		ssize_t n = send(a->fd, a->wbuf + a->woff, a->wlen - a->woff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			sg_ha_link_drop(a, strerror(errno));
			return;
		}
		a->woff += (size_t)n;
	}
	watch_update(a);
}

/* Write now, no queueing (handshake and UP). */
static void
send_now(struct sg_ha_agent *a, const struct sg_agent_msg *m)
{
	uint8_t buf[SG_AGENT_MSG_MAX];
	int n = sg_agent_msg_encode(m, buf, sizeof(buf));

	if (n < 0) {
		sg_ha_log(LOG_ERR, "control: cannot encode %s: %s", sg_agent_msg_type_name(m->type),
			  strerror(-n));
		return;
	}
	if (wbuf_put(a, buf, (size_t)n)) {
		sg_ha_link_drop(a, "peer does not read (send buffer full)");
		return;
	}
	flush(a);
}

static void
queue_push(struct sg_ha_agent *a, const uint8_t *b, size_t n)
{
	unsigned int max = a->cfg->queue_max, slot;

	if (a->q_count == max) {
		a->q_head = (a->q_head + 1) % max; /* drop the oldest */
		a->q_count--;
		a->ctr.queue_drops++;
	}
	slot = (a->q_head + a->q_count) % max;
	memcpy(a->queue + (size_t)slot * SG_AGENT_MSG_MAX, b, n);
	a->queue_len[slot] = (uint32_t)n;
	a->q_count++;
}

void
sg_ha_link_send(struct sg_ha_agent *a, const struct sg_agent_msg *m)
{
	uint8_t buf[SG_AGENT_MSG_MAX];
	int n;

	if (a->link == SG_HA_LINK_UP) {
		send_now(a, m);
		return;
	}
	n = sg_agent_msg_encode(m, buf, sizeof(buf));
	if (n > 0)
		queue_push(a, buf, (size_t)n);
}

void
sg_ha_reply(struct sg_ha_agent *a, uint32_t seq, uint16_t status, const char *text,
	    const struct sg_ha_vm *vm)
{
	struct sg_agent_msg m;

	sg_agent_msg_init(&m, SG_AGENT_MSG_RESULT, seq);
	m.status = status;
	m.present |= 1u << SG_AGENT_ATTR_STATUS;
	if (text && text[0])
		sg_agent_msg_set_str(&m, SG_AGENT_ATTR_TEXT, text);
	if (vm)
		sg_ha_vm_fill(vm, &m);
	if (status != SG_AGENT_OK)
		sg_ha_log(LOG_NOTICE, "command seq %u%s%s: %s: %s", seq, vm ? " vm " : "",
			  vm ? vm->cfg->name : "", sg_agent_status_name(status), text ? text : "");
	sg_ha_link_send(a, &m);
}

void
sg_ha_link_send_inventory(struct sg_ha_agent *a)
{
	struct sg_agent_msg m;

	if (a->link != SG_HA_LINK_UP)
		return; /* sent after authentication */
	for (unsigned int i = 0; i < a->n_vms; i++) {
		sg_agent_msg_init(&m, SG_AGENT_MSG_VM_STATE, 0);
		sg_ha_vm_fill(&a->vms[i], &m);
		send_now(a, &m);
	}
	sg_agent_msg_init(&m, SG_AGENT_MSG_SYNC, 0);
	m.generation = ++a->generation;
	m.count = a->n_vms;
	m.present |= 1u << SG_AGENT_ATTR_GENERATION | 1u << SG_AGENT_ATTR_COUNT;
	send_now(a, &m);
}

static void
link_up(struct sg_ha_agent *a)
{
	a->link = SG_HA_LINK_UP;
	a->link_backoff_ms = a->cfg->reconnect_min_ms;
	a->ctr.link_connects++;
	sg_ha_log(LOG_INFO, "control: authenticated session %llu; %u queued message(s)",
		  (unsigned long long)a->ctr.link_connects, a->q_count);
	/* Queued messages first, then the full inventory that supersedes them. */
	while (a->q_count > 0 && a->fd >= 0) {
		unsigned int slot = a->q_head;

		if (wbuf_put(a, a->queue + (size_t)slot * SG_AGENT_MSG_MAX, a->queue_len[slot]))
			break;
		a->q_head = (a->q_head + 1) % a->cfg->queue_max;
		a->q_count--;
	}
	flush(a);
	sg_ha_link_send_inventory(a);
}

static void
counters_reply(struct sg_ha_agent *a, uint32_t seq)
{
	struct sg_agent_msg m;
	uint64_t dp[SG_HA_CTR_MAX];
	const struct {
		const char *name;
		uint64_t v;
	} ag[] = {
		{"lv_events", a->ctr.lv_events},
		{"lv_events_lost", a->ctr.lv_events_lost},
		{"lv_connects", a->ctr.lv_connects},
		{"resyncs", a->ctr.resyncs},
		{"resync_repairs", a->ctr.resync_repairs},
		{"link_connects", a->ctr.link_connects},
		{"queue_drops", a->ctr.queue_drops},
	};

	sg_agent_msg_init(&m, SG_AGENT_MSG_RESULT, seq);
	m.present |= 1u << SG_AGENT_ATTR_STATUS;
	for (size_t i = 0; i < sizeof(ag) / sizeof(ag[0]); i++) {
		snprintf(m.counters[m.n_counters].name, SG_AGENT_COUNTER_NAME_MAX, "%s",
			 ag[i].name);
		m.counters[m.n_counters++].value = ag[i].v;
	}
	if (a->dp && sg_ha_dp_counters(a->dp, dp) == 0)
		for (unsigned int i = 0; i < SG_HA_CTR_MAX && m.n_counters < SG_AGENT_COUNTERS_MAX;
		     i++) {
			snprintf(m.counters[m.n_counters].name, SG_AGENT_COUNTER_NAME_MAX, "bpf_%s",
				 sg_ha_dp_ctr_name(i));
			m.counters[m.n_counters++].value = dp[i];
		}
	sg_ha_link_send(a, &m);
}

static void
handle_up(struct sg_ha_agent *a, const struct sg_agent_msg *m)
{
	struct sg_agent_msg r;
	char err[SG_AGENT_TEXT_MAX] = "";
	int rc;

	switch (m->type) {
	case SG_AGENT_MSG_PING:
		sg_agent_msg_init(&r, SG_AGENT_MSG_PONG, m->seq);
		send_now(a, &r);
		break;
	case SG_AGENT_MSG_PONG:
		break;
	case SG_AGENT_MSG_ENSURE_RUNNING:
		sg_ha_cmd_ensure_running(a, m);
		break;
	case SG_AGENT_MSG_STOP:
		sg_ha_cmd_stop(a, m);
		break;
	case SG_AGENT_MSG_STATUS:
		sg_ha_cmd_status(a, m);
		break;
	case SG_AGENT_MSG_FLOW_ADD:
		rc = sg_ha_flow_add(a, m, err, sizeof(err));
		sg_ha_reply(a, m->seq,
			    rc == 0		? SG_AGENT_OK
			    : rc == -ENOSPC	? SG_AGENT_E_FULL
			    : rc == -ENOENT	? SG_AGENT_E_NO_SUCH_VM
			    : rc == -EOPNOTSUPP ? SG_AGENT_E_UNAVAILABLE
						: SG_AGENT_E_BAD_REQUEST,
			    err, NULL);
		break;
	case SG_AGENT_MSG_FLOW_DEL:
		rc = sg_ha_flow_del(a, m);
		sg_ha_reply(a, m->seq, rc == 0 ? SG_AGENT_OK : SG_AGENT_E_BAD_REQUEST,
			    rc == 0 ? "" : "no such flow", NULL);
		break;
	case SG_AGENT_MSG_COUNTERS:
		counters_reply(a, m->seq);
		break;
	case SG_AGENT_MSG_ERROR:
		sg_ha_log(LOG_ERR, "control: peer error %s: %s", sg_agent_status_name(m->status),
			  m->text);
		sg_ha_link_drop(a, "peer sent ERROR");
		break;
	default:
		sg_ha_reply(a, m->seq, SG_AGENT_E_BAD_REQUEST, "unexpected message type", NULL);
		break;
	}
}

static void
handle(struct sg_ha_agent *a, const struct sg_agent_msg *m)
{
	struct sg_agent_msg r;
	uint8_t mac[SG_AGENT_MAC_LEN];

	a->last_rx = sg_ha_now_ms();
	switch (a->link) {
	case SG_HA_LINK_HELLO_SENT:
		if (m->type != SG_AGENT_MSG_CHALLENGE || !SG_AGENT_HAS(m, SG_AGENT_ATTR_NONCE) ||
		    !SG_AGENT_HAS(m, SG_AGENT_ATTR_MAC)) {
			a->ctr.link_proto_errors++;
			sg_ha_link_drop(a, m->type == SG_AGENT_MSG_ERROR ? "peer refused HELLO"
									 : "expected CHALLENGE");
			return;
		}
		if (sg_agent_auth_mac(a->cfg->key, a->cfg->keylen, true, a->nonce_a, m->nonce,
				      a->cfg->host, mac) ||
		    !sg_agent_auth_verify(mac, m->mac)) {
			a->ctr.link_auth_failures++;
			sg_ha_link_drop(a, "control failed authentication (wrong key?)");
			return;
		}
		sg_agent_msg_init(&r, SG_AGENT_MSG_AUTH, 0);
		if (sg_agent_auth_mac(a->cfg->key, a->cfg->keylen, false, a->nonce_a, m->nonce,
				      a->cfg->host, r.mac))
			return sg_ha_link_drop(a, "HMAC failed");
		r.present |= 1u << SG_AGENT_ATTR_MAC;
		a->link = SG_HA_LINK_AUTH_SENT;
		send_now(a, &r);
		return;
	case SG_HA_LINK_AUTH_SENT:
		if (m->type == SG_AGENT_MSG_AUTH_OK) {
			link_up(a);
			return;
		}
		if (m->type == SG_AGENT_MSG_ERROR)
			a->ctr.link_auth_failures++;
		else
			a->ctr.link_proto_errors++;
		sg_ha_link_drop(a, m->type == SG_AGENT_MSG_ERROR ? "control refused our AUTH"
								 : "expected AUTH_OK");
		return;
	case SG_HA_LINK_UP:
		handle_up(a, m);
		return;
	default:
		return;
	}
}

static void
on_readable(struct sg_ha_agent *a)
{
	for (int rounds = 0; rounds < 64 && a->fd >= 0; rounds++) {
		ssize_t n = recv(a->fd, a->rbuf + a->rlen, sizeof(a->rbuf) - a->rlen, MSG_DONTWAIT);

		if (n == 0) {
			sg_ha_link_drop(a, "closed by peer");
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				sg_ha_link_drop(a, strerror(errno));
			return;
		}
		a->rlen += (size_t)n;
		for (;;) {
			struct sg_agent_msg m;
			int total = sg_agent_msg_peek(a->rbuf, a->rlen), rc;

			if (total == 0 || (total > 0 && (size_t)total > a->rlen))
				break;
			if (total < 0) {
				a->ctr.link_proto_errors++;
				sg_ha_link_drop(a, total == -EMSGSIZE ? "oversized message"
								      : "garbled header");
				return;
			}
			rc = sg_agent_msg_decode(a->rbuf, (size_t)total, &m);
			if (rc) {
				a->ctr.link_proto_errors++;
				sg_ha_link_drop(a, "garbled message");
				return;
			}
			memmove(a->rbuf, a->rbuf + total, a->rlen - (size_t)total);
			a->rlen -= (size_t)total;
			handle(a, &m);
			if (a->fd < 0)
				return;
		}
	}
}

static void
link_io(int watch, int fd, int events, void *opaque)
{
	struct sg_ha_agent *a = opaque;
	struct sg_agent_msg m;
	socklen_t el = sizeof(int);
	int err = 0;

	(void)watch;
	(void)fd;
	if (a->fd < 0)
		return;
	if (a->link == SG_HA_LINK_CONNECTING) {
		if (!(events & (VIR_EVENT_HANDLE_WRITABLE | VIR_EVENT_HANDLE_ERROR |
				VIR_EVENT_HANDLE_HANGUP)))
			return;
		if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
			sg_ha_link_drop(a, strerror(err ? err : errno));
			return;
		}
		if (sg_agent_auth_nonce(a->nonce_a)) {
			sg_ha_link_drop(a, "no random source");
			return;
		}
		sg_agent_msg_init(&m, SG_AGENT_MSG_HELLO, 0);
		sg_agent_msg_set_str(&m, SG_AGENT_ATTR_HOST, a->cfg->host);
		memcpy(m.nonce, a->nonce_a, SG_AGENT_NONCE_LEN);
		m.present |= 1u << SG_AGENT_ATTR_NONCE;
		a->link = SG_HA_LINK_HELLO_SENT;
		a->last_rx = sg_ha_now_ms();
		send_now(a, &m);
		return;
	}
	if (events & VIR_EVENT_HANDLE_WRITABLE)
		flush(a);
	if (a->fd >= 0 && (events & (VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_HANGUP |
				     VIR_EVENT_HANDLE_ERROR)))
		on_readable(a);
}

static void
link_connect(struct sg_ha_agent *a)
{
	struct sockaddr_storage ss = {0};
	const struct sg_cfg_addr *ad = &a->cfg->control_addr;
	socklen_t sl;
	int one = 1;

	if (ad->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->cfg->control_port);
		s4->sin_addr.s_addr = ad->v4;
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->cfg->control_port);
		memcpy(&s6->sin6_addr, ad->v6, 16);
		sl = sizeof(*s6);
	}
	a->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->fd < 0) {
		sg_ha_log(LOG_ERR, "control: socket: %s", strerror(errno));
		a->link_next_try = sg_ha_now_ms() + a->link_backoff_ms;
		return;
	}
	setsockopt(a->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(a->fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
		a->link = SG_HA_LINK_CONNECTING;
		sg_ha_link_drop(a, strerror(errno));
		return;
	}
	a->link = SG_HA_LINK_CONNECTING;
	a->last_rx = sg_ha_now_ms();
	a->fd_watch = virEventAddHandle(a->fd, VIR_EVENT_HANDLE_WRITABLE, link_io, a, NULL);
	if (a->fd_watch < 0)
		sg_ha_link_drop(a, "cannot watch socket");
}

void
sg_ha_link_tick(struct sg_ha_agent *a, uint64_t now)
{
	if (a->fd < 0) {
		if (now >= a->link_next_try)
			link_connect(a);
		return;
	}
	if (now - a->last_rx > a->cfg->peer_timeout_ms) {
		a->ctr.link_proto_errors++;
		sg_ha_link_drop(a, a->link == SG_HA_LINK_UP ? "peer silent (no PONG)"
							    : "handshake timed out");
		return;
	}
	if (a->link == SG_HA_LINK_UP && now >= a->next_ping) {
		struct sg_agent_msg m;

		sg_agent_msg_init(&m, SG_AGENT_MSG_PING, (uint32_t)now);
		send_now(a, &m);
		a->next_ping = now + a->cfg->ping_ms;
	}
}

int
sg_ha_link_init(struct sg_ha_agent *a)
{
	a->fd = -1;
	a->fd_watch = -1;
	a->link_backoff_ms = a->cfg->reconnect_min_ms;
	a->wcap = 64u * SG_AGENT_MSG_MAX;
	a->wbuf = malloc(a->wcap);
	a->queue = malloc((size_t)a->cfg->queue_max * SG_AGENT_MSG_MAX);
	a->queue_len = calloc(a->cfg->queue_max, sizeof(*a->queue_len));
	if (a->wbuf == NULL || a->queue == NULL || a->queue_len == NULL)
		return -ENOMEM;
	return 0;
}

void
sg_ha_link_fini(struct sg_ha_agent *a)
{
	if (a->fd >= 0) {
		if (a->fd_watch >= 0)
			virEventRemoveHandle(a->fd_watch);
		close(a->fd);
	}
	free(a->wbuf);
	free(a->queue);
	free(a->queue_len);
}
