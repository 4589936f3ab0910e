/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sync channel's receiving side (doc/dataplane.md, "State sync: the
 * channel"). Every datagram is hostile until checked, cheapest check
 * first: the source must be a configured peer's address and port; then
 * the length, magic, version and n_rec against the length; then the MAC
 * (constant time); then the node (the first one seen from that peer) and
 * the sequence window of the peer's boot (64 datagrams, IPsec style: a
 * larger boot is a restart and resets it, a smaller one is a replay).
 * Records go to the sync_in ring of the worker they name, once their
 * one-byte fields are in range (the worker checks the rest, core/sync.c).
 * Each refusal has a counter; a line is logged at most once a second.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_byteorder.h>

#include "core/log.h"
#include "sync.h"

static struct sg_dp_sync_peer *
peer_find(struct sg_dp_sync *s, const struct sockaddr_storage *from, socklen_t fromlen)
{
	for (unsigned int i = 0; i < s->n_peers; i++) {
		struct sg_dp_sync_peer *p = &s->peer[i];

		if (p->sa.ss_family != from->ss_family || fromlen < p->salen)
			continue;
		if (from->ss_family == AF_INET) {
			const struct sockaddr_in *a = (const void *)from, *b = (const void *)&p->sa;

			if (a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port)
				return p;
		} else if (from->ss_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const void *)from,
						  *b = (const void *)&p->sa;

			if (memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0 &&
			    a->sin6_port == b->sin6_port)
				return p;
		}
	}
	return NULL;
}

static void
refuse(struct sg_dp_sync *s, uint64_t *counter, const struct sg_dp_sync_peer *p, const char *why)
{
	(*counter)++;
	if (sg_dp_sync_log_ok(s, SG_DP_SYNC_LOG_RX))
		SG_DP_LOG(WARNING,
			  "sync: datagram from %s refused: %s (counted; one line a second)",
			  p != NULL ? p->name : "a non-peer", why);
}

/* Header checks before the MAC. @return n_rec, or -1 (counted). */
static int
hdr_check(struct sg_dp_sync *s, const struct sg_dp_sync_peer *p, const struct sg_sync_hdr *h,
	  size_t len)
{
	if (len < sizeof(*h) + SG_SYNC_MAC_LEN || len > SG_SYNC_DGRAM_MAX) {
		refuse(s, &s->st.rx_short, p, "length out of range");
		return -1;
	}
	if (rte_be_to_cpu_32(h->magic) != SG_SYNC_MAGIC) {
		refuse(s, &s->st.rx_bad_magic, p, "bad magic");
		return -1;
	}
	if (h->version != SG_SYNC_VERSION) {
		refuse(s, &s->st.rx_bad_version, p, "other version");
		return -1;
	}
	if (h->n_rec > SG_SYNC_REC_MAX ||
	    len != sizeof(*h) + (size_t)h->n_rec * SG_SYNC_REC_SIZE + SG_SYNC_MAC_LEN) {
		refuse(s, &s->st.rx_short, p, "n_rec does not match the length");
		return -1;
	}
	return h->n_rec;
}

/* Fields after the MAC: node, type, workers. @return 0 or -1 (counted). */
static int
hdr_fields(struct sg_dp_sync *s, struct sg_dp_sync_peer *p, const struct sg_sync_hdr *h)
{
	const char *why = NULL;

	if (h->node == 0 || h->node > SG_CFG_CLUSTER_NODE_MAX || h->node == s->node_id)
		why = "node id out of range or ours";
	else if (p->node_known && h->node != p->node)
		why = "node id is not the one this peer had";
	else if (h->type < SG_SYNC_T_RECORDS || h->type > SG_SYNC_T_DUMP_DONE || h->flags != 0)
		why = "unknown type or flags";
	else if (h->type != SG_SYNC_T_RECORDS && h->n_rec != 0)
		why = "records in a control datagram";
	else if (h->type == SG_SYNC_T_RECORDS && rte_be_to_cpu_16(h->n_workers) != s->n_workers)
		why = "the peer runs another number of workers";
	if (why != NULL) {
		refuse(s, &p->st.rx_bad, p, why);
		return -1;
	}
	if (!p->node_known) {
		p->node_known = true;
		p->node = h->node;
	}
	return 0;
}

/* The peer's sequence window. @return 0 (accepted, window moved) or -1 (counted). */
static int
replay_check(struct sg_dp_sync *s, struct sg_dp_sync_peer *p, const struct sg_sync_hdr *h)
{
	uint32_t boot = rte_be_to_cpu_32(h->boot);
	uint64_t seq = rte_be_to_cpu_64(h->seq);

	if (seq == 0 || boot == 0) {
		refuse(s, &p->st.rx_bad, p, "sequence or boot 0");
		return -1;
	}
	if (p->boot_known && boot < p->boot) {
		refuse(s, &p->st.rx_replay, p, "an earlier boot's datagram");
		return -1;
	}
	if (!p->boot_known || boot > p->boot) {
		if (p->boot_known)
			SG_DP_LOG(NOTICE, "sync: peer %s restarted (boot %u -> %u)", p->name,
				  p->boot, boot);
		p->boot_known = true;
		p->boot = boot;
		p->seq_top = 0;
		p->window = 0;
	}
	if (seq > p->seq_top) {
		uint64_t shift = seq - p->seq_top;

		if (p->seq_top != 0)
			p->st.rx_lost += shift - 1;
		p->window = shift >= 64 ? 0 : p->window << shift;
		p->window |= 1;
		p->seq_top = seq;
		return 0;
	}
	if (p->seq_top - seq >= 64 || (p->window & (UINT64_C(1) << (p->seq_top - seq))) != 0) {
		refuse(s, &p->st.rx_replay, p, "replayed or too old");
		return -1;
	}
	p->window |= UINT64_C(1) << (p->seq_top - seq);
	if (p->st.rx_lost != 0)
		p->st.rx_lost--; /* late, not lost */
	return 0;
}

/* One-byte fields of a record; the worker checks the rest. */
static bool
rec_ok(const struct sg_dp_sync *s, const struct sg_sync_rec *r)
{
	if ((r->op != SG_SYNC_OP_ADD && r->op != SG_SYNC_OP_DEL) || r->worker >= s->n_workers)
		return false;
	if ((r->proto != 6 && r->proto != 17) || (r->family != 4 && r->family != 6))
		return false;
	if (r->op == SG_SYNC_OP_DEL)
		return true;
	return (r->mode == SG_SYNC_MODE_DSR || r->mode == SG_SYNC_MODE_NAT) &&
	       (r->state == SG_SYNC_ST_EST || r->state == SG_SYNC_ST_CLOSING);
}

static void
records_in(struct sg_dp_sync *s, struct sg_dp_sync_peer *p, const uint8_t *buf, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct sg_sync_rec r;

		memcpy(&r, buf + (size_t)i * SG_SYNC_REC_SIZE, sizeof(r));
		if (!rec_ok(s, &r)) {
			refuse(s, &p->st.rx_bad, p,
			       "a record's op, worker, proto, family, mode "
			       "or state out of range");
			continue;
		}
		if (rte_ring_enqueue_elem(s->in[r.worker], &r, sizeof(r)) != 0) {
			p->st.rx_in_full++;
			if (sg_dp_sync_log_ok(s, SG_DP_SYNC_LOG_IN))
				SG_DP_LOG(WARNING,
					  "sync: worker %u's sync_in is full: records "
					  "dropped (counted rx_in_full)",
					  r.worker);
			continue;
		}
		p->st.rx_records++;
		if (s->dump_state == SG_DP_DUMP_REQUESTED)
			s->dump_records++;
	}
}

static void
dump_req(struct sg_dp_sync *s, struct sg_dp_sync_peer *p, uint32_t id)
{
	if ((p->dump_serving != 0 && p->dump_serving_req == id) ||
	    (p->dump_pending && p->dump_req == id))
		return; /* asked again while we answer */
	p->dump_req = id;
	p->dump_pending = true;
	SG_DP_LOG(INFO, "sync: peer %s asks for a full dump (its dump %u)", p->name, id);
	sg_dp_sync_serve_start(s);
}

static void
dump_done(struct sg_dp_sync *s, struct sg_dp_sync_peer *p, uint32_t id)
{
	if (s->dump_state != SG_DP_DUMP_REQUESTED || id != s->dump_req_id)
		return; /* late or for an earlier start */
	s->dump_done++;
	s->dump_state = SG_DP_DUMP_DRAINING;
	SG_DP_LOG(NOTICE, "sync: peer %s's full dump arrived (%" PRIu64 " records)", p->name,
		  s->dump_records);
}

void
sg_dp_sync_input(struct sg_dp_sync *s, uint8_t *buf, size_t len,
		 const struct sockaddr_storage *from, socklen_t fromlen)
{
	const struct sg_sync_hdr *h = (const struct sg_sync_hdr *)buf;
	struct sg_dp_sync_peer *p = peer_find(s, from, fromlen);
	int n;

	if (p == NULL) {
		refuse(s, &s->st.rx_not_peer, NULL,
		       "not from a configured peer's address and port");
		return;
	}
	n = hdr_check(s, p, h, len);
	if (n < 0)
		return;
	if (!sg_dp_sync_verify(s, buf, len - SG_SYNC_MAC_LEN)) {
		refuse(s, &p->st.rx_bad_mac, p, "bad MAC (another key?)");
		return;
	}
	if (hdr_fields(s, p, h) != 0 || replay_check(s, p, h) != 0)
		return;
	p->st.rx_datagrams++;
	__atomic_store_n(&p->last_rx_ms, sg_dp_sync_now_ms(), __ATOMIC_RELAXED);
	if (!p->up) {
		p->up = true;
		SG_DP_LOG(NOTICE, "sync: peer %s (%s, node %u) is up", p->name, p->addr_str,
			  p->node);
	}
	switch (h->type) {
	case SG_SYNC_T_RECORDS:
		records_in(s, p, buf + sizeof(*h), (unsigned int)n);
		break;
	case SG_SYNC_T_DUMP_REQ:
		dump_req(s, p, rte_be_to_cpu_32(h->dump_id));
		break;
	case SG_SYNC_T_DUMP_DONE:
		dump_done(s, p, rte_be_to_cpu_32(h->dump_id));
		break;
	default: /* HELLO */
		break;
	}
}

unsigned int
sg_dp_sync_receive(struct sg_dp_sync *s)
{
	unsigned int i;

	for (i = 0; i < SG_DP_SYNC_RX_MAX; i++) {
		uint8_t buf[SG_SYNC_DGRAM_MAX];
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(s->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &fromlen);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				s->st.rx_errors++;
			break;
		}
		/* MSG_TRUNC: n is the datagram's real length, too long ones fail the checks */
		sg_dp_sync_input(s, buf, (size_t)n, &from, fromlen);
	}
	return i;
}
