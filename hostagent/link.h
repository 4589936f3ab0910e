/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A link to one sg-control (an agent keeps one per sg-control of its
 * cluster: config control: a list): one TCP connection opened by the agent, mutual
 * HMAC-SHA256 challenge/response with this host's key, length-prefixed
 * messages of bounded size, each tagged after the handshake (session key,
 * sequence: include/sessiongate/sg_agent_proto.h), keepalive pings, reconnect with
 * backoff, and a bounded queue of messages while not authenticated. What
 * control asks is handed to the callbacks the wiring registers at init.
 */
#ifndef SG_HA_LINK_H
#define SG_HA_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ha_config.h"
#include "sessiongate/sg_agent_proto.h"

enum sg_ha_link_state {
	SG_HA_LINK_DOWN,
	SG_HA_LINK_CONNECTING,
	SG_HA_LINK_HELLO_SENT,
	SG_HA_LINK_AUTH_SENT,
	SG_HA_LINK_UP,
};

/** The link's owner; @p ctx is the pointer given at init. */
struct sg_ha_link_ops {
	/** Authenticated (the queued messages are sent): report the full inventory. */
	void (*up)(void *ctx);
	/** A message of control's once UP, other than PING, PONG and ERROR. */
	void (*message)(void *ctx, const struct sg_agent_msg *m);
};

struct sg_ha_link_counters {
	uint64_t connects; /**< authenticated control sessions */
	uint64_t failures; /**< connects/handshakes that failed */
	uint64_t auth_failures;
	uint64_t proto_errors;
	uint64_t bad_tags;    /**< control's messages refused: tag missing or wrong */
	uint64_t queue_drops; /**< messages dropped: queue full while disconnected */
};

struct sg_ha_link {
	const struct sg_ha_config *cfg;
	const struct sg_ha_control *ctl; /**< the sg-control of this link (cfg->controls[i]) */
	struct sg_ha_link_ops ops;
	void *ctx;
	int fd;
	int fd_watch;
	enum sg_ha_link_state state;
	uint8_t nonce_a[SG_AGENT_NONCE_LEN];
	uint8_t rbuf[SG_AGENT_FRAME_MAX];
	uint8_t ks[SG_AGENT_MAC_LEN]; /**< session key of the tags, once UP */
	uint64_t tx_seq, rx_seq;
	size_t rlen;
	uint8_t *wbuf; /**< bytes being written on the socket */
	size_t wlen, woff, wcap;
	uint8_t *queue; /**< queue_max slots of SG_AGENT_MSG_MAX: messages waiting for UP */
	uint32_t *queue_len;
	unsigned int q_head, q_count;
	uint32_t backoff_ms;
	uint64_t next_try;
	uint64_t last_rx;
	uint64_t next_ping;
	struct sg_ha_link_counters ctr;
};

/**
 * Allocate the buffers of a link to sg-control @p ctl (one of cfg->controls);
 * the first connection is made by the tick. @return 0 or -ENOMEM.
 */
int sg_ha_link_init(struct sg_ha_link *l, const struct sg_ha_config *cfg,
		    const struct sg_ha_control *ctl, const struct sg_ha_link_ops *ops, void *ctx);
/** Connect when due, keepalive pings, peer timeout. */
void sg_ha_link_tick(struct sg_ha_link *l, uint64_t now);
void sg_ha_link_fini(struct sg_ha_link *l);

/** Send @p m, or queue it (oldest dropped when full) while not authenticated. */
void sg_ha_link_send(struct sg_ha_link *l, const struct sg_agent_msg *m);
/** Close the connection; reconnect after the backoff. */
void sg_ha_link_drop(struct sg_ha_link *l, const char *why);
/** "down", "connecting", "hello-sent", "auth-sent", "up". */
const char *sg_ha_link_state_name(const struct sg_ha_link *l);

#endif /* SG_HA_LINK_H */
