/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The link to sg-control (link.h): connection, handshake, framing,
 * keepalive, reconnect with backoff, queue while not authenticated.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "addr.h"
#include "clock.h"
#include "link.h"
#include "log.h"

static void link_io(int watch, int fd, int events, void *opaque);

static void
watch_update(struct sg_ha_link *l)
{
	int ev = VIR_EVENT_HANDLE_READABLE;

	if (l->fd_watch < 0)
		return;
	if (l->state == SG_HA_LINK_CONNECTING || l->woff < l->wlen)
		ev |= VIR_EVENT_HANDLE_WRITABLE;
	virEventUpdateHandle(l->fd_watch, ev);
}

void
sg_ha_link_drop(struct sg_ha_link *l, const char *why)
{
	if (l->fd < 0)
		return;
	if (l->state != SG_HA_LINK_UP)
		l->ctr.failures++;
	sg_ha_log(LOG_WARNING, "control: connection dropped (%s); reconnect in %u ms", why,
		  l->backoff_ms);
	if (l->fd_watch >= 0)
		virEventRemoveHandle(l->fd_watch);
	close(l->fd);
	l->fd = -1;
	l->fd_watch = -1;
	l->state = SG_HA_LINK_DOWN;
	l->rlen = 0;
	l->wlen = l->woff = 0;
	l->tx_seq = l->rx_seq = 0;
	explicit_bzero(l->ks, sizeof(l->ks));
	l->next_try = sg_ha_now_ms() + l->backoff_ms;
	l->backoff_ms = sg_ha_backoff_next(l->backoff_ms, l->cfg->reconnect_max_ms);
}

/* Append raw bytes to the socket's write buffer (bounded: 64 messages). */
static int
wbuf_put(struct sg_ha_link *l, const uint8_t *b, size_t n)
{
	if (l->woff == l->wlen)
		l->woff = l->wlen = 0;
	if (l->wlen + n > l->wcap) {
		if (l->woff > 0) {
			memmove(l->wbuf, l->wbuf + l->woff, l->wlen - l->woff);
			l->wlen -= l->woff;
			l->woff = 0;
		}
		if (l->wlen + n > l->wcap)
			return -ENOBUFS;
	}
	memcpy(l->wbuf + l->wlen, b, n);
	l->wlen += n;
	return 0;
}

static void
flush(struct sg_ha_link *l)
{
	while (l->fd >= 0 && l->woff < l->wlen) {
		ssize_t n = send(l->fd, l->wbuf + l->woff, l->wlen - l->woff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			sg_ha_link_drop(l, strerror(errno));
			return;
		}
		l->woff += (size_t)n;
	}
	watch_update(l);
}

/* Tag the encoded message in @p buf (room: SG_AGENT_FRAME_MAX) once UP; drop on failure. */
static int
seal(struct sg_ha_link *l, uint8_t *buf, int n)
{
	if (n < 0 || l->state != SG_HA_LINK_UP)
		return n;
	n = sg_agent_msg_seal(l->ks, false, l->tx_seq++, buf, (size_t)n, SG_AGENT_FRAME_MAX);
	if (n < 0)
		sg_ha_link_drop(l, "cannot tag a message");
	return n;
}

/* Write now, no queueing (handshake and UP). */
static void
send_now(struct sg_ha_link *l, const struct sg_agent_msg *m)
{
	uint8_t buf[SG_AGENT_FRAME_MAX];
	int n = sg_agent_msg_encode(m, buf, SG_AGENT_MSG_MAX);

	if (n >= 0 && (n = seal(l, buf, n)) < 0)
		return;
	if (n < 0) {
		sg_ha_log(LOG_ERR, "control: cannot encode %s: %s", sg_agent_msg_type_name(m->type),
			  strerror(-n));
		return;
	}
	if (wbuf_put(l, buf, (size_t)n)) {
		sg_ha_link_drop(l, "peer does not read (send buffer full)");
		return;
	}
	flush(l);
}

static void
queue_push(struct sg_ha_link *l, const uint8_t *b, size_t n)
{
	unsigned int max = l->ctl->queue_max, slot;

	if (l->q_count == max) {
		l->q_head = (l->q_head + 1) % max; /* drop the oldest */
		l->q_count--;
		l->ctr.queue_drops++;
	}
	slot = (l->q_head + l->q_count) % max;
	memcpy(l->queue + (size_t)slot * SG_AGENT_MSG_MAX, b, n);
	l->queue_len[slot] = (uint32_t)n;
	l->q_count++;
}

void
sg_ha_link_send(struct sg_ha_link *l, const struct sg_agent_msg *m)
{
	uint8_t buf[SG_AGENT_MSG_MAX];
	int n;

	if (l->state == SG_HA_LINK_UP) {
		send_now(l, m);
		return;
	}
	n = sg_agent_msg_encode(m, buf, sizeof(buf));
	if (n > 0)
		queue_push(l, buf, (size_t)n);
}

static void
link_up(struct sg_ha_link *l)
{
	l->state = SG_HA_LINK_UP;
	l->backoff_ms = l->cfg->reconnect_min_ms;
	l->ctr.connects++;
	sg_ha_log(LOG_INFO, "control: authenticated session %llu; %u queued message(s)",
		  (unsigned long long)l->ctr.connects, l->q_count);
	/* Queued messages first, then the full inventory that supersedes them. */
	while (l->q_count > 0 && l->fd >= 0) {
		unsigned int slot = l->q_head;
		uint8_t buf[SG_AGENT_FRAME_MAX];
		int n = (int)l->queue_len[slot];

		memcpy(buf, l->queue + (size_t)slot * SG_AGENT_MSG_MAX, (size_t)n);
		n = seal(l, buf, n);
		if (n < 0 || wbuf_put(l, buf, (size_t)n))
			break;
		l->q_head = (l->q_head + 1) % l->ctl->queue_max;
		l->q_count--;
	}
	flush(l);
	l->ops.up(l->ctx);
}

/* Once UP: keepalive and errors here, everything else to the owner. */
static void
handle_up(struct sg_ha_link *l, const struct sg_agent_msg *m)
{
	struct sg_agent_msg r;

	switch (m->type) {
	case SG_AGENT_MSG_PING:
		sg_agent_msg_init(&r, SG_AGENT_MSG_PONG, m->seq);
		send_now(l, &r);
		break;
	case SG_AGENT_MSG_PONG:
		break;
	case SG_AGENT_MSG_ERROR:
		sg_ha_log(LOG_ERR, "control: peer error %s: %s", sg_agent_status_name(m->status),
			  m->text);
		sg_ha_link_drop(l, "peer sent ERROR");
		break;
	default:
		l->ops.message(l->ctx, m);
		break;
	}
}

static void
handle(struct sg_ha_link *l, const struct sg_agent_msg *m)
{
	struct sg_agent_msg r;
	uint8_t mac[SG_AGENT_MAC_LEN];

	l->last_rx = sg_ha_now_ms();
	switch (l->state) {
	case SG_HA_LINK_HELLO_SENT:
		if (m->type != SG_AGENT_MSG_CHALLENGE || !SG_AGENT_HAS(m, SG_AGENT_ATTR_NONCE) ||
		    !SG_AGENT_HAS(m, SG_AGENT_ATTR_MAC)) {
			l->ctr.proto_errors++;
			sg_ha_link_drop(l, m->type == SG_AGENT_MSG_ERROR ? "peer refused HELLO"
									 : "expected CHALLENGE");
			return;
		}
		if (sg_agent_auth_mac(l->ctl->key, l->ctl->keylen, true, l->nonce_a, m->nonce,
				      l->cfg->host, mac) ||
		    !sg_agent_auth_verify(mac, m->mac)) {
			l->ctr.auth_failures++;
			sg_ha_link_drop(l, "control failed authentication (wrong key?)");
			return;
		}
		sg_agent_msg_init(&r, SG_AGENT_MSG_AUTH, 0);
		if (sg_agent_auth_mac(l->ctl->key, l->ctl->keylen, false, l->nonce_a, m->nonce,
				      l->cfg->host, r.mac) ||
		    sg_agent_session_key(l->ctl->key, l->ctl->keylen, l->nonce_a, m->nonce,
					 l->cfg->host, l->ks))
			return sg_ha_link_drop(l, "HMAC failed");
		r.present |= 1u << SG_AGENT_ATTR_MAC;
		l->state = SG_HA_LINK_AUTH_SENT;
		send_now(l, &r);
		return;
	case SG_HA_LINK_AUTH_SENT:
		if (m->type == SG_AGENT_MSG_AUTH_OK) {
			link_up(l);
			return;
		}
		if (m->type == SG_AGENT_MSG_ERROR)
			l->ctr.auth_failures++;
		else
			l->ctr.proto_errors++;
		sg_ha_link_drop(l, m->type == SG_AGENT_MSG_ERROR ? "control refused our AUTH"
								 : "expected AUTH_OK");
		return;
	case SG_HA_LINK_UP:
		handle_up(l, m);
		return;
	default:
		return;
	}
}

static void
on_readable(struct sg_ha_link *l)
{
	for (int rounds = 0; rounds < 64 && l->fd >= 0; rounds++) {
		ssize_t n = recv(l->fd, l->rbuf + l->rlen, sizeof(l->rbuf) - l->rlen, MSG_DONTWAIT);

		if (n == 0) {
			sg_ha_link_drop(l, "closed by peer");
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				sg_ha_link_drop(l, strerror(errno));
			return;
		}
		l->rlen += (size_t)n;
		for (;;) {
			struct sg_agent_msg m;
			int total = sg_agent_msg_peek(l->rbuf, l->rlen), rc;

			if (total == 0 || (total > 0 && (size_t)total > l->rlen))
				break;
			if (total < 0) {
				l->ctr.proto_errors++;
				sg_ha_link_drop(l, total == -EMSGSIZE ? "oversized message"
								      : "garbled header");
				return;
			}
			if ((l->state == SG_HA_LINK_UP) != sg_agent_msg_tagged(l->rbuf) ||
			    (l->state == SG_HA_LINK_UP &&
			     sg_agent_msg_open(l->ks, true, l->rx_seq++, l->rbuf, (size_t)total))) {
				l->ctr.bad_tags++;
				sg_ha_link_drop(l,
						"message with a missing or wrong tag (injected or "
						"altered)");
				return;
			}
			rc = sg_agent_msg_decode(l->rbuf, (size_t)total, &m);
			if (rc) {
				l->ctr.proto_errors++;
				sg_ha_link_drop(l, "garbled message");
				return;
			}
			memmove(l->rbuf, l->rbuf + total, l->rlen - (size_t)total);
			l->rlen -= (size_t)total;
			handle(l, &m);
			if (l->fd < 0)
				return;
		}
	}
}

static void
link_io(int watch, int fd, int events, void *opaque)
{
	struct sg_ha_link *l = opaque;
	struct sg_agent_msg m;
	socklen_t el = sizeof(int);
	int err = 0;

	(void)watch;
	(void)fd;
	if (l->fd < 0)
		return;
	if (l->state == SG_HA_LINK_CONNECTING) {
		if (!(events & (VIR_EVENT_HANDLE_WRITABLE | VIR_EVENT_HANDLE_ERROR |
				VIR_EVENT_HANDLE_HANGUP)))
			return;
		if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
			sg_ha_link_drop(l, strerror(err ? err : errno));
			return;
		}
		if (sg_agent_auth_nonce(l->nonce_a)) {
			sg_ha_link_drop(l, "no random source");
			return;
		}
		sg_agent_msg_init(&m, SG_AGENT_MSG_HELLO, 0);
		sg_agent_msg_set_str(&m, SG_AGENT_ATTR_HOST, l->cfg->host);
		memcpy(m.nonce, l->nonce_a, SG_AGENT_NONCE_LEN);
		m.present |= 1u << SG_AGENT_ATTR_NONCE;
		l->state = SG_HA_LINK_HELLO_SENT;
		l->last_rx = sg_ha_now_ms();
		send_now(l, &m);
		return;
	}
	if (events & VIR_EVENT_HANDLE_WRITABLE)
		flush(l);
	if (l->fd >= 0 && (events & (VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_HANGUP |
				     VIR_EVENT_HANDLE_ERROR)))
		on_readable(l);
}

static void
link_connect(struct sg_ha_link *l)
{
	struct sockaddr_storage ss;
	struct sg_agent_addr ad;
	int one = 1, sl;

	sg_ha_addr_from_cfg(&l->ctl->addr, &ad);
	sl = sg_agent_addr_to_sockaddr(&ad, l->ctl->port, &ss);
	l->fd = sl < 0 ? -1 : socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		sg_ha_log(LOG_ERR, "control: socket: %s", strerror(sl < 0 ? -sl : errno));
		l->next_try = sg_ha_now_ms() + l->backoff_ms;
		return;
	}
	setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(l->fd, (struct sockaddr *)&ss, (socklen_t)sl) && errno != EINPROGRESS) {
		l->state = SG_HA_LINK_CONNECTING;
		sg_ha_link_drop(l, strerror(errno));
		return;
	}
	l->state = SG_HA_LINK_CONNECTING;
	l->last_rx = sg_ha_now_ms();
	l->fd_watch = virEventAddHandle(l->fd, VIR_EVENT_HANDLE_WRITABLE, link_io, l, NULL);
	if (l->fd_watch < 0)
		sg_ha_link_drop(l, "cannot watch socket");
}

void
sg_ha_link_tick(struct sg_ha_link *l, uint64_t now)
{
	if (l->fd < 0) {
		if (now >= l->next_try)
			link_connect(l);
		return;
	}
	if (now - l->last_rx > l->ctl->peer_timeout_ms) {
		l->ctr.proto_errors++;
		sg_ha_link_drop(l, l->state == SG_HA_LINK_UP ? "peer silent (no PONG)"
							     : "handshake timed out");
		return;
	}
	if (l->state == SG_HA_LINK_UP && now >= l->next_ping) {
		struct sg_agent_msg m;

		sg_agent_msg_init(&m, SG_AGENT_MSG_PING, (uint32_t)now);
		send_now(l, &m);
		l->next_ping = now + l->ctl->ping_ms;
	}
}

const char *
sg_ha_link_state_name(const struct sg_ha_link *l)
{
	static const char *const names[] = {"down", "connecting", "hello-sent", "auth-sent", "up"};

	return names[l->state];
}

int
sg_ha_link_init(struct sg_ha_link *l, const struct sg_ha_config *cfg,
		const struct sg_ha_control *ctl, const struct sg_ha_link_ops *ops, void *ctx)
{
	l->cfg = cfg;
	l->ctl = ctl;
	l->ops = *ops;
	l->ctx = ctx;
	l->fd = -1;
	l->fd_watch = -1;
	l->backoff_ms = l->cfg->reconnect_min_ms;
	l->wcap = 64u * SG_AGENT_MSG_MAX;
	l->wbuf = malloc(l->wcap);
	l->queue = malloc((size_t)l->ctl->queue_max * SG_AGENT_MSG_MAX);
	l->queue_len = calloc(l->ctl->queue_max, sizeof(*l->queue_len));
	if (l->wbuf == NULL || l->queue == NULL || l->queue_len == NULL)
		return -ENOMEM;
	return 0;
}

void
sg_ha_link_fini(struct sg_ha_link *l)
{
	if (l->fd >= 0) {
		if (l->fd_watch >= 0)
			virEventRemoveHandle(l->fd_watch);
		close(l->fd);
	}
	free(l->wbuf);
	free(l->queue);
	free(l->queue_len);
}
