/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The agent endpoint's connection and server (agent.c: accept, handshake,
 * receive; agent_push.c: send, the pushed inventory), shared by the two.
 */
#ifndef SG_CTL_AGENT_CONN_H
#define SG_CTL_AGENT_CONN_H

#include <stdint.h>
#include <sys/socket.h>

#include "agent.h"

#include "sessiongate/sg_agent_proto.h"

#define AGENT_UNAUTH_MAX     32
#define AGENT_UNAUTH_PER_SRC 4
#define AGENT_HANDSHAKE_MS   5000
#define AGENT_PING_S	     5
#define AGENT_DEAD_NS	     (3ull * AGENT_PING_S * 1000000000ull)
#define AGENT_OUT_MAX	     (4u << 20) /**< bytes queued to one agent, at most */

/*
 * Request ids (seq) of what sg-control sends on its own: bus requests use
 * small ids, PINGs bit 31, VM_DEFINE bit 30 (bits 10..28 a counter, 0..9 the
 * VM's slot), VM_UNDEFINE and INVENTORY bit 29.
 */
#define SEQ_DEFINE    0x40000000u
#define SEQ_OTHER     0x20000000u
#define SEQ_KIND_MASK 0xe0000000u
#define SEQ_SLOT_BITS 10
_Static_assert(SG_CTL_VMS_MAX <= 1u << SEQ_SLOT_BITS, "VM slot in a VM_DEFINE seq");

enum sg_ctl_agent_conn_state { CONN_HELLO, CONN_AUTH, CONN_UP };

struct sg_ctl_agent_conn {
	struct sg_ctl_agent_srv *srv;
	struct bufferevent *bev;
	int state;
	struct sg_ctl_host *host;
	uint8_t na[SG_AGENT_NONCE_LEN];
	uint8_t nc[SG_AGENT_NONCE_LEN];
	uint32_t seq;
	uint64_t last_rx_ns;
	char peer[64];
	unsigned int slot; /**< in srv->unauth while not CONN_UP */
	struct sockaddr_storage src;
	struct event *deadline;	       /**< absolute handshake deadline */
	uint8_t key[SG_AGENT_KEY_MAX]; /**< the claimed host's, during the handshake */
	size_t keylen;
	uint8_t ks[SG_AGENT_MAC_LEN]; /**< session key of the tags, once CONN_UP */
	uint64_t tx_seq, rx_seq;
};

struct sg_ctl_agent_srv {
	struct evconnlistener *lis;
	struct event *ka;
	struct sg_ctl_agent_conn *unauth[AGENT_UNAUTH_MAX];
	struct sg_ctl_agent_deps d;
	uint32_t def_seq[SG_CTL_VMS_MAX]; /**< seq of each VM's unanswered VM_DEFINE; 0 none */
	uint32_t push_ctr;
	uint64_t generation; /**< of the last INVENTORY sent */
};

/** Send @p m on @p a (tagged once the link is up). @return 0, -ENOBUFS (over AGENT_OUT_MAX), <0. */
int sg_ctl_agent_conn_send(struct sg_ctl_agent_conn *a, const struct sg_agent_msg *m);
/** After AUTH_OK: VM_DEFINE for every VM of @p a's host with a template, then INVENTORY. */
void sg_ctl_agent_push_inventory(struct sg_ctl_agent_conn *a);
/** A RESULT whose seq has SEQ_DEFINE: a refusal fails that VM. */
void sg_ctl_agent_define_result(struct sg_ctl_agent_conn *a, const struct sg_agent_msg *m);

#endif /* SG_CTL_AGENT_CONN_H */
