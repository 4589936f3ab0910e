/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host-agent endpoint: sg-control listens, each sg-hostagent connects,
 * proves its host's key (HMAC handshake of sg_agent_proto.h, both sides),
 * and then is the VM-manager provider of its host on the service bus:
 * ENSURE_RUNNING / STOP requests go out, RESULT answers and VM_STATE events
 * come back, every one tagged (session key, sequence). One connection per
 * host; a new one that authenticated as that host replaces the old.
 * A silent connection is closed after 3 missed PINGs.
 *
 * Before authentication a connection holds one of AGENT_UNAUTH_MAX slots
 * (at most AGENT_UNAUTH_PER_SRC per source address), accepted only from a
 * configured host's address (agent_gate.c), and is closed at an absolute
 * deadline AGENT_HANDSHAKE_MS after accept. Authenticated links hold no
 * slot: they hang off their host, so nothing unauthenticated competes
 * with them.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "agent.h"
#include "agent_conn.h"
#include "agent_gate.h"
#include "agent_msg.h"
#include "bus.h"
#include "ids.h"
#include "vm.h"

#include "sessiongate/sg_agent_proto.h"

static void conn_close(struct sg_ctl_agent_conn *a, const char *why);

static void
conn_error(struct sg_ctl_agent_conn *a, uint16_t status, const char *text)
{
	struct sg_agent_msg m;

	sg_agent_msg_init(&m, SG_AGENT_MSG_ERROR, 0);
	m.status = status;
	m.present |= 1u << SG_AGENT_ATTR_STATUS;
	sg_agent_msg_set_str(&m, SG_AGENT_ATTR_TEXT, text);
	sg_ctl_agent_conn_send(a, &m);
}

static int
agent_send(struct sg_ctl_provider *p, const struct sg_ctl_req *r)
{
	struct sg_ctl_agent_conn *a = p->ctx;
	struct sg_agent_msg m;

	if (a == NULL || a->state != CONN_UP)
		return -ENOTCONN;
	sg_agent_msg_init(&m,
			  r->op == SG_CTL_REQ_VM_START	? SG_AGENT_MSG_ENSURE_RUNNING
			  : r->op == SG_CTL_REQ_VM_SAVE ? SG_AGENT_MSG_SAVE
							: SG_AGENT_MSG_STOP,
			  (uint32_t)r->req_id);
	sg_agent_msg_set_str(&m, SG_AGENT_ATTR_VM_NAME, r->vm->cfg->name);
	return sg_ctl_agent_conn_send(a, &m);
}

/* Returns -ENOTCONN when it closed (and freed) a, 0 otherwise. */
static int
on_hello(struct sg_ctl_agent_conn *a, const struct sg_agent_msg *m)
{
	struct sg_ctl_agent_srv *s = a->srv;
	struct sg_agent_msg out;

	if (m->type != SG_AGENT_MSG_HELLO || !SG_AGENT_HAS(m, SG_AGENT_ATTR_HOST) ||
	    !SG_AGENT_HAS(m, SG_AGENT_ATTR_NONCE)) {
		conn_error(a, SG_AGENT_E_BAD_REQUEST, "expected HELLO with HOST and NONCE");
		conn_close(a, "no HELLO");
		return -ENOTCONN;
	}
	a->host = sg_ctl_vm_host_by_name(s->d.inv, m->host);
	if (a->host == NULL ||
	    !sg_ctl_agent_host_allows(a->host->cfg, (struct sockaddr *)&a->src)) {
		s->d.st->auth_failures++;
		conn_error(a, SG_AGENT_E_AUTH, "unknown host");
		conn_close(a, a->host == NULL ? "HELLO from a host not in the configuration"
					      : "HELLO names a host that is not at this address");
		return -ENOTCONN;
	}
	if (sg_ctl_agent_host_key(s->d.cfg, a->host->cfg->name, a->key, &a->keylen) < 0) {
		s->d.st->auth_failures++;
		conn_error(a, SG_AGENT_E_AUTH, "unknown host");
		syslog(LOG_ERR, "agents: no valid key %s/%s.key (16..256 bytes)",
		       s->d.cfg->agent_key_dir, a->host->cfg->name);
		conn_close(a, "no key for this host");
		return -ENOTCONN;
	}
	memcpy(a->na, m->nonce, sizeof(a->na));
	sg_agent_msg_init(&out, SG_AGENT_MSG_CHALLENGE, m->seq);
	if (sg_agent_auth_nonce(a->nc) < 0 ||
	    sg_agent_auth_mac(a->key, a->keylen, true, a->na, a->nc, a->host->cfg->name, out.mac) <
		    0) {
		conn_close(a, "cannot compute the handshake");
		return -ENOTCONN;
	}
	memcpy(out.nonce, a->nc, sizeof(out.nonce));
	out.present |= (1u << SG_AGENT_ATTR_NONCE) | (1u << SG_AGENT_ATTR_MAC);
	sg_ctl_agent_conn_send(a, &out);
	a->state = CONN_AUTH;
	return 0;
}

/* Returns -ENOTCONN when it closed (and freed) a, 0 otherwise. */
static int
on_auth(struct sg_ctl_agent_conn *a, const struct sg_agent_msg *m)
{
	struct sg_ctl_agent_srv *s = a->srv;
	struct sg_agent_msg out;
	uint8_t mac[SG_AGENT_MAC_LEN];

	if (m->type != SG_AGENT_MSG_AUTH || !SG_AGENT_HAS(m, SG_AGENT_ATTR_MAC) ||
	    sg_agent_auth_mac(a->key, a->keylen, false, a->na, a->nc, a->host->cfg->name, mac) <
		    0 ||
	    !sg_agent_auth_verify(mac, m->mac) ||
	    sg_agent_session_key(a->key, a->keylen, a->na, a->nc, a->host->cfg->name, a->ks) < 0) {
		s->d.st->auth_failures++;
		conn_error(a, SG_AGENT_E_AUTH, "authentication failed");
		conn_close(a, "authentication failed (wrong key?)");
		return -ENOTCONN;
	}
	explicit_bzero(a->key, sizeof(a->key));
	if (a->host->agent != NULL) {
		s->d.st->replaced++;
		conn_close(a->host->agent, "replaced by a new connection of this host");
	}
	sg_agent_msg_init(&out, SG_AGENT_MSG_AUTH_OK, m->seq);
	sg_ctl_agent_conn_send(a, &out); /* the last untagged message */
	a->state = CONN_UP;
	a->host->agent = a;
	s->unauth[a->slot] = NULL; /* an authenticated link holds no slot */
	evtimer_del(a->deadline);
	syslog(LOG_INFO, "agent %s: connected from %s", a->host->cfg->name, a->peer);
	sg_ctl_bus_set_up(s->d.bus, a->host->provider, true, agent_send, a);
	sg_ctl_agent_push_inventory(a);
	return 0;
}

/*
 * Handles one message. Returns -ENOTCONN when the connection was closed (a is freed and must
 * not be touched, nor its bufferevent), 0 otherwise.
 */
static int
conn_msg(struct sg_ctl_agent_conn *a, const struct sg_agent_msg *m)
{
	struct sg_agent_msg out;

	switch (a->state) {
	case CONN_HELLO:
		return on_hello(a, m);
	case CONN_AUTH:
		return on_auth(a, m);
	default:
		break;
	}
	switch (m->type) {
	case SG_AGENT_MSG_VM_STATE:
		sg_ctl_agent_vm_state(&a->srv->d, a->host, m);
		break;
	case SG_AGENT_MSG_RESULT:
		if ((m->seq & SEQ_KIND_MASK) == SEQ_DEFINE)
			sg_ctl_agent_define_result(a, m);
		else if ((m->seq & SEQ_KIND_MASK) == SEQ_OTHER && m->status != SG_AGENT_OK)
			syslog(LOG_WARNING, "agent %s: VM_UNDEFINE or INVENTORY refused: %s %s",
			       a->host->cfg->name, sg_agent_status_name(m->status), m->text);
		else if ((m->seq & SEQ_KIND_MASK) == 0)
			sg_ctl_agent_result(&a->srv->d, a->host, m);
		else if ((m->seq & SEQ_KIND_MASK) != SEQ_OTHER)
			a->srv->d.st->ignored++; /* no request of ours has that id */
		break;
	case SG_AGENT_MSG_PING:
		sg_agent_msg_init(&out, SG_AGENT_MSG_PONG, m->seq);
		sg_ctl_agent_conn_send(a, &out);
		break;
	case SG_AGENT_MSG_SYNC:
		syslog(LOG_DEBUG, "agent %s: inventory of %u VMs", a->host->cfg->name, m->count);
		break;
	case SG_AGENT_MSG_ERROR:
		conn_close(a, m->text[0] ? m->text : "agent sent ERROR");
		return -ENOTCONN;
	case SG_AGENT_MSG_PONG:
		break;
	default: /* a type only sg-control sends */
		a->srv->d.st->ignored++;
		break;
	}
	return 0;
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct sg_ctl_agent_conn *a = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct sg_agent_msg m;
	struct sg_ctl_agent_srv *s = a->srv;
	uint8_t *p;
	size_t have;
	int len;

	a->last_rx_ns = sg_ctl_clock_mono_ns();
	s->d.clk->now_ns = a->last_rx_ns;
	for (;;) {
		have = evbuffer_get_length(in);
		if (have < SG_AGENT_HDR_LEN)
			break;
		p = evbuffer_pullup(in, SG_AGENT_HDR_LEN);
		len = sg_agent_msg_peek(p, have);
		if (len < 0) {
			conn_close(a, "garbled stream");
			goto out;
		}
		if (len == 0 || (size_t)len > have)
			break;
		p = evbuffer_pullup(in, len);
		if ((a->state == CONN_UP) != sg_agent_msg_tagged(p) ||
		    (a->state == CONN_UP &&
		     sg_agent_msg_open(a->ks, false, a->rx_seq++, p, (size_t)len) < 0)) {
			s->d.st->bad_tag++;
			conn_close(a, "message with a missing or wrong tag (injected or altered)");
			goto out;
		}
		if (sg_agent_msg_decode(p, (size_t)len, &m) < 0) {
			conn_close(a, "garbled message");
			goto out;
		}
		evbuffer_drain(in, (size_t)len);
		if (conn_msg(a, &m) < 0)
			goto out; /* closed while handling: a, bev and in are freed */
	}
out:
	s->d.step_end(s->d.ctx);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct sg_ctl_agent_conn *a = arg;
	struct sg_ctl_agent_srv *s = a->srv;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_close(a, "connection closed");
	s->d.step_end(s->d.ctx);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sg_ctl_agent_conn *a = arg;
	struct sg_ctl_agent_srv *s = a->srv;

	(void)fd;
	(void)what;
	s->d.st->handshake_timeout++;
	conn_close(a, "handshake not done in time");
	s->d.step_end(s->d.ctx);
}

static void
conn_close(struct sg_ctl_agent_conn *a, const char *why)
{
	struct sg_ctl_agent_srv *s = a->srv;
	struct sg_ctl_host *h = a->host;

	syslog(a->state == CONN_UP ? LOG_WARNING : LOG_NOTICE, "agent %s (%s): %s",
	       h ? h->cfg->name : "?", a->peer, why);
	if (a->state != CONN_UP)
		s->unauth[a->slot] = NULL;
	event_free(a->deadline);
	bufferevent_free(a->bev);
	if (h != NULL && h->agent == a) {
		h->agent = NULL;
		sg_ctl_bus_set_up(s->d.bus, h->provider, false, NULL, NULL);
	}
	explicit_bzero(a, sizeof(*a));
	free(a);
}

static void
agent_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int salen,
	     void *arg)
{
	struct sg_ctl_agent_srv *s = arg;
	struct sg_ctl_agent_conn *a;
	struct timeval dl = {AGENT_HANDSHAKE_MS / 1000, (AGENT_HANDSHAKE_MS % 1000) * 1000};
	unsigned int i, free_slot = AGENT_UNAUTH_MAX, same = 0;

	(void)lis;
	if (!sg_ctl_agent_src_known(s->d.cfg, sa)) {
		s->d.st->refused_addr++;
		close(fd);
		return;
	}
	for (i = 0; i < AGENT_UNAUTH_MAX; i++) {
		if (s->unauth[i] == NULL)
			free_slot = free_slot < i ? free_slot : i;
		else if (sg_ctl_agent_same_addr((struct sockaddr *)&s->unauth[i]->src, sa))
			same++;
	}
	a = free_slot < AGENT_UNAUTH_MAX && same < AGENT_UNAUTH_PER_SRC &&
			    (size_t)salen <= sizeof(a->src)
		    ? calloc(1, sizeof(*a))
		    : NULL;
	if (a == NULL) {
		s->d.st->unauth_full++;
		close(fd);
		return;
	}
	i = free_slot;
	memcpy(&a->src, sa, (size_t)salen);
	a->bev = bufferevent_socket_new(s->d.base, fd, BEV_OPT_CLOSE_ON_FREE);
	a->deadline = evtimer_new(s->d.base, deadline_cb, a);
	if (a->bev == NULL || a->deadline == NULL) {
		if (a->bev != NULL)
			bufferevent_free(a->bev);
		else
			close(fd);
		if (a->deadline != NULL)
			event_free(a->deadline);
		free(a);
		return;
	}
	a->srv = s;
	a->slot = i;
	a->state = CONN_HELLO;
	a->last_rx_ns = sg_ctl_clock_mono_ns();
	sg_ctl_agent_peer_name(sa, a->peer, sizeof(a->peer));
	s->unauth[i] = a;
	bufferevent_setwatermark(a->bev, EV_READ, 0, SG_AGENT_FRAME_MAX * 16);
	bufferevent_setcb(a->bev, conn_read, NULL, conn_event, a);
	evtimer_add(a->deadline, &dl);
	bufferevent_enable(a->bev, EV_READ | EV_WRITE);
}

static void
keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sg_ctl_agent_srv *s = arg;
	struct sg_agent_msg m;
	uint64_t now = sg_ctl_clock_mono_ns();
	unsigned int i;

	(void)fd;
	(void)what;
	for (i = 0; i < s->d.cfg->n_hosts; i++) {
		struct sg_ctl_agent_conn *a = s->d.inv->hosts[i].agent;

		if (a == NULL)
			continue;
		if (now - a->last_rx_ns > AGENT_DEAD_NS) {
			conn_close(a, "no answer to keepalive");
			continue;
		}
		sg_agent_msg_init(&m, SG_AGENT_MSG_PING, ++a->seq | 0x80000000u);
		sg_ctl_agent_conn_send(a, &m);
	}
	s->d.step_end(s->d.ctx);
}

int
sg_ctl_agent_listen(struct sg_ctl_agent_srv **out, const struct sg_ctl_agent_deps *deps)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	struct timeval ka = {AGENT_PING_S, 0};
	struct sg_ctl_agent_srv *s;
	unsigned int i;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->d = *deps;
	*out = s;
	if (s->d.cfg->agent_key_dir[0] == '\0') {
		syslog(LOG_ERR, "agents: control.agent_key_dir is required with agent_listen");
		return -EINVAL;
	}
	for (i = 0; i < s->d.cfg->n_hosts; i++) {
		uint8_t key[SG_AGENT_KEY_MAX];
		size_t len;

		if (SG_CTL_SLOT_FREE(&s->d.cfg->hosts[i]))
			continue;
		if (sg_ctl_agent_host_key(s->d.cfg, s->d.cfg->hosts[i].name, key, &len) < 0)
			syslog(LOG_WARNING,
			       "agents: no valid key %s/%s.key: host %s cannot connect",
			       s->d.cfg->agent_key_dir, s->d.cfg->hosts[i].name,
			       s->d.cfg->hosts[i].name);
		explicit_bzero(key, sizeof(key));
	}
	if (evutil_parse_sockaddr_port(s->d.cfg->agent_listen, (struct sockaddr *)&ss, &sslen) <
	    0) {
		syslog(LOG_ERR, "agents: '%s' is not ADDRESS:PORT", s->d.cfg->agent_listen);
		return -EINVAL;
	}
	s->lis = evconnlistener_new_bind(s->d.base, agent_accept, s,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
						 LEV_OPT_CLOSE_ON_EXEC,
					 16, (struct sockaddr *)&ss, sslen);
	if (s->lis == NULL) {
		syslog(LOG_ERR, "agents: cannot listen on %s: %s", s->d.cfg->agent_listen,
		       strerror(errno));
		return -EADDRINUSE;
	}
	s->ka = event_new(s->d.base, -1, EV_PERSIST, keepalive_cb, s);
	event_add(s->ka, &ka);
	syslog(LOG_INFO, "agents: listening on %s", s->d.cfg->agent_listen);
	return 0;
}

void
sg_ctl_agent_close(struct sg_ctl_agent_srv *s)
{
	unsigned int i;

	if (s == NULL)
		return;
	for (i = 0; i < AGENT_UNAUTH_MAX; i++)
		if (s->unauth[i] != NULL)
			conn_close(s->unauth[i], "sg-control stopping");
	for (i = 0; i < s->d.cfg->n_hosts; i++)
		if (s->d.inv->hosts[i].agent != NULL)
			conn_close(s->d.inv->hosts[i].agent, "sg-control stopping");
	if (s->ka != NULL)
		event_free(s->ka);
	if (s->lis != NULL)
		evconnlistener_free(s->lis);
	free(s);
}

/* Issue 15 (inventory): a removed host's link is closed. */
void
sg_ctl_agent_drop_host(struct sg_ctl_agent_srv *s, struct sg_ctl_host *h)
{
	(void)s;
	if (h->agent != NULL)
		conn_close(h->agent, "host removed from the inventory");
}
