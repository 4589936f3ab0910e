/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Messages between sg-dataplane and sg-control over the shared-memory
 * rings (DESIGN.md section 3), and the layout of the region that holds the
 * rings.
 *
 * Every message is one fixed-size ring element of SG_MSG_SIZE bytes: a
 * struct sg_msg_hdr followed by the body of its type. A message never
 * carries a pointer. The receiver treats every element as hostile:
 * sg_msg_check() validates version, type, length and every field with a
 * closed range before anything reads the body.
 *
 * Version rules: SG_MSG_VERSION changes when a message's layout or meaning
 * changes; a receiver rejects other versions (counted, never guessed at).
 */
#ifndef SG_MSG_H
#define SG_MSG_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sessiongate/sg_wire.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * 2: SESSION_AUDIT / SESSION_ALIVE; 3: MEMBER_STATE, MEMBER_SUSPECT, SESSION_ABORT;
 * 4: L7 key HTTP_HEADER; HTTP_COOKIE / HTTP_HEADER keys carry their name;
 *    SESSION_CLOSED carries usage each way; SESSION_USAGE; VS_STATS names
 *    its VS; INSTALL carries QoS and the usage interval; REJECT reasons
 *    FORBIDDEN, LOGIN (with a Location), LIMIT
 */
#define SG_MSG_VERSION 4
#define SG_MSG_SIZE    256 /**< bytes per ring element */
#define SG_MSG_KEY_MAX 160 /**< bytes of L7 key carried in SESSION_NEW */

/** Shared-memory region header (the rings follow at ring_offset[]). */
#define SG_SHM_MAGIC	 0x53474d31u /* "SGM1" */
#define SG_SHM_LAYOUT	 1
#define SG_SHM_RINGS_MAX 128 /**< two per worker */

struct sg_shm_hdr {
	uint32_t magic;	      /**< SG_SHM_MAGIC */
	uint16_t layout;      /**< SG_SHM_LAYOUT */
	uint16_t msg_version; /**< SG_MSG_VERSION of the writer */
	uint32_t n_rings;     /**< rings in the region: dp->ctl and ctl->dp per worker */
	uint32_t elem_size;   /**< SG_MSG_SIZE */
	uint32_t ring_size;   /**< elements per ring (power of two) */
	uint32_t reserved;
	uint64_t epoch;				/**< changes on every data-plane start */
	volatile uint64_t dp_heartbeat;		/**< incremented by the data plane */
	volatile uint64_t ctl_heartbeat;	/**< incremented by sg-control */
	uint64_t ring_offset[SG_SHM_RINGS_MAX]; /**< from the start of the region */
};

/*
 * Ring numbering (added with sg-control; layout unchanged): worker w owns
 * ring 2w (dp -> ctl, produced by the worker, consumed by sg-control) and
 * ring 2w+1 (ctl -> dp). Every ring is SP/SC, initialised with
 * rte_ring_init(RING_F_SP_ENQ | RING_F_SC_DEQ) at a 64-byte aligned offset,
 * and used with the rte_ring_*_elem calls and an element of SG_MSG_SIZE.
 */
#define SG_SHM_RING_DP2CTL(w) (2u * (w))
#define SG_SHM_RING_CTL2DP(w) (2u * (w) + 1u)

enum sg_msg_type {
	SG_MSG_SESSION_NEW = 1,	    /**< dp -> ctl: a new brokered session is held */
	SG_MSG_SESSION_INSTALL = 2, /**< ctl -> dp: hand the session off */
	SG_MSG_SESSION_REJECT = 3,  /**< ctl -> dp: answer the client and close */
	SG_MSG_SESSION_CLOSED = 4,  /**< dp -> ctl: the session ended */
	SG_MSG_SESSION_RESYNC = 5,  /**< ctl -> dp: re-send every held session */
	SG_MSG_VS_STATS = 6,	    /**< dp -> ctl: periodic per-VS counters */
	SG_MSG_SESSION_AUDIT = 7,   /**< ctl -> dp: list every live session (SESSION_ALIVE) */
	SG_MSG_SESSION_ALIVE = 8,   /**< dp -> ctl: live session IDs of an audit; last: done */
	SG_MSG_MEMBER_STATE = 9, /**< ctl -> dp (worker 0's ring): a pool member's health/drain */
	SG_MSG_MEMBER_SUSPECT = 10, /**< dp -> ctl: passive detection saw a member fail */
	SG_MSG_SESSION_ABORT = 11,  /**< ctl -> dp (owning worker's ring): end a session's flows */
	SG_MSG_SESSION_USAGE = 12,  /**< dp -> ctl: an installed session's usage so far */
	SG_MSG_TYPE_MAX
};

/**
 * The L7 key of a SESSION_NEW: what the client sent, never cut (a key
 * over SG_MSG_KEY_MAX bytes, its name included, is malformed: the session
 * comes without a key; only PREFIX takes the first bytes):
 *  - HTTP_HOST: the Host header's value; HTTP_PATH: the request target;
 *  - HTTP_COOKIE: "NAME=value" of the cookie the VS names (v4: the name is
 *    kept, as RDP_COOKIE keeps "mstshash=", so sg-control's rule can check it);
 *  - HTTP_HEADER: "Name: value" of the header the VS names, the name as
 *    the VS spells it (v4);
 *  - TLS_SNI: the server_name; RDP_COOKIE: "mstshash=NAME" or "msts=TOKEN";
 *  - PREFIX: the first bytes of the payload.
 */
enum sg_msg_l7 {
	SG_MSG_L7_NONE = 0,
	SG_MSG_L7_HTTP_HOST = 1,
	SG_MSG_L7_HTTP_PATH = 2,
	SG_MSG_L7_HTTP_COOKIE = 3,
	SG_MSG_L7_TLS_SNI = 4,
	SG_MSG_L7_RDP_COOKIE = 5,
	SG_MSG_L7_PREFIX = 6,
	SG_MSG_L7_HTTP_HEADER = 7, /**< v4 */
	SG_MSG_L7_MAX
};

enum sg_msg_install_mode {
	SG_MSG_INSTALL_NAT = 1,	     /**< data plane opens the connection to the VM */
	SG_MSG_INSTALL_DSR = 2,	     /**< encapsulate to the VM's host, host eBPF completes */
	SG_MSG_INSTALL_REDIRECT = 3, /**< answer with an L7 redirect to the VM */
	SG_MSG_INSTALL_MAX
};

enum sg_msg_reason {
	SG_MSG_REASON_NONE = 0,
	SG_MSG_REASON_NO_APP = 1,	 /**< no virtual application matches */
	SG_MSG_REASON_QUEUE_FULL = 2,	 /**< waiting queue over its limit */
	SG_MSG_REASON_VM_FAILED = 3,	 /**< the VM could not be started */
	SG_MSG_REASON_TIMEOUT = 4,	 /**< the VM was not ready in time */
	SG_MSG_REASON_CLIENT_CLOSED = 5, /**< the client went away */
	SG_MSG_REASON_IDLE = 6,		 /**< idle timeout */
	SG_MSG_REASON_SHUTDOWN = 7,	 /**< data plane or control stopping */
	SG_MSG_REASON_VM_DOWN = 8,	 /**< its VM crashed, stopped or failed its checks */
	SG_MSG_REASON_DRAINED = 9,	 /**< a drain's deadline passed (sgctl drain) */
	SG_MSG_REASON_ADMIN = 10,	 /**< ended by an operator (sgctl session abort / close) */
	SG_MSG_REASON_FORBIDDEN =
		11, /**< v4: no valid token, or the graph refuses: HTTP 403, else RST */
	SG_MSG_REASON_LOGIN = 12, /**< v4: no valid token: HTTP 302 to reject.location, else RST */
	SG_MSG_REASON_LIMIT = 13, /**< v4: a QoS limit (user's sessions): HTTP 429, else RST */
	SG_MSG_REASON_MAX
};

struct sg_msg_hdr {
	uint16_t version; /**< SG_MSG_VERSION */
	uint16_t type;	  /**< enum sg_msg_type */
	uint16_t len;	  /**< header + body bytes, <= SG_MSG_SIZE */
	uint16_t worker;  /**< worker that owns the session */
	uint32_t seq;	  /**< per-ring sequence number (gaps = drops) */
	uint32_t reserved;
	uint64_t session_id; /**< streaming session ID (sg_id.h encoding) */
};

/** A client flow as the data plane sees it. Addresses in network order. */
struct sg_msg_flow {
	uint8_t family; /**< SG_WIRE_FAMILY_V4 or _V6 (4 or 6) */
	uint8_t proto;	/**< 6 (TCP) or 17 (UDP) */
	uint16_t vs_slot;
	uint16_t sport; /**< host order */
	uint16_t dport; /**< host order */
	uint8_t saddr[16];
	uint8_t daddr[16]; /**< the VIP */
};

struct sg_msg_session_new {
	struct sg_msg_flow flow;
	uint8_t key_type; /**< enum sg_msg_l7 */
	uint8_t pad;
	uint16_t key_len; /**< <= SG_MSG_KEY_MAX */
	uint32_t held_bytes;
	uint8_t key[SG_MSG_KEY_MAX];
};

struct sg_msg_session_install {
	uint8_t mode;	/**< enum sg_msg_install_mode */
	uint8_t family; /**< of the backend: SG_WIRE_FAMILY_V4 or _V6 */
	uint16_t backend_port;
	uint8_t backend_addr[16]; /**< the VM's address */
	uint8_t host_addr[16];	  /**< DSR: the VM's host underlay address */
	uint64_t vm_id;		  /**< persistent ID of the VM */
	uint64_t controlling_id;  /**< controlling session ID */
	/* v4 */
	uint32_t rate_bps;	   /**< QoS: bytes/s each way for the session; 0 = unlimited */
	uint32_t burst_bytes;	   /**< QoS: bucket depth; 0 = rate_bps / 10, at least 64 KiB */
	uint32_t usage_interval_s; /**< SESSION_USAGE every this many seconds; 0 = at close only */
	uint32_t pad;
};

#define SG_MSG_LOCATION_MAX 192 /**< bytes of reject.location, NUL included */

struct sg_msg_session_reject {
	uint16_t reason;      /**< enum sg_msg_reason */
	uint16_t retry_after; /**< seconds, for HTTP 503 / 429; 0 = none */
	uint32_t pad;
	/** LOGIN: the HTTP redirect's target, NUL-terminated (checked: 0x21-0x7e, no
	 * CR/LF/space); other reasons: empty. */
	char location[SG_MSG_LOCATION_MAX];
};

/** Usage flags (SESSION_CLOSED, SESSION_USAGE). */
#define SG_MSG_USAGE_S2C_ACKED \
	0x1 /**< DSR: bytes_s2c from the client's ACKs, pkts_s2c unknown (0) */
#define SG_MSG_USAGE_QOS_DROPS 0x2 /**< the QoS rate dropped packets of the session */

/**
 * SESSION_CLOSED and SESSION_USAGE: the session's totals so far (an
 * installed session; a session that never was installed: zeros). "c2s":
 * from the client, as received; "s2c": to the client, as sent (NAT,
 * redirect) or acknowledged by the client (DSR, flag S2C_ACKED).
 */
struct sg_msg_session_closed {
	uint16_t reason; /**< enum sg_msg_reason (SESSION_USAGE: 0) */
	uint8_t flags;	 /**< SG_MSG_USAGE_* */
	uint8_t pad;
	uint32_t installed_ms; /**< milliseconds since it was installed (0: never was) */
	uint64_t pkts_c2s;
	uint64_t pkts_s2c;
	uint64_t bytes_c2s;
	uint64_t bytes_s2c;
	uint64_t qos_dropped; /**< packets the QoS rate dropped */
};

#define SG_MSG_VS_NAME_MAX 64

/**
 * VS_STATS (hdr.session_id unused, hdr.worker the sender): one brokered
 * VS's counters on that worker since the data plane started (cumulative;
 * the receiver sums workers). Sent about once a second per VS while they
 * change, and once after a reload.
 */
struct sg_msg_vs_stats {
	uint16_t vs_slot;
	uint16_t pad[3];
	uint64_t held;	    /**< sessions held (SESSION_NEW sent) */
	uint64_t installed; /**< INSTALLs applied */
	uint64_t rejected;  /**< sessions refused (REJECT, local reject, hold timeout) */
	uint64_t held_now;  /**< sessions held at this moment */
	char vs_name[SG_MSG_VS_NAME_MAX]; /**< as in the appliance YAML, NUL-terminated */
};

/** SESSION_AUDIT: the audit's token, echoed in every SESSION_ALIVE it causes. */
struct sg_msg_audit {
	uint32_t token;
	uint32_t pad;
};

#define SG_MSG_ALIVE_MAX 28 /**< session IDs per SESSION_ALIVE */

/**
 * SESSION_ALIVE: up to SG_MSG_ALIVE_MAX live session IDs of the worker
 * (hdr.session_id unused). The worker's sessions of the audit are the IDs
 * of every SESSION_ALIVE up to the one with @c last set.
 */
struct sg_msg_alive {
	uint32_t token; /**< of the SESSION_AUDIT */
	uint8_t n;	/**< IDs in @c sid, <= SG_MSG_ALIVE_MAX */
	uint8_t last;	/**< 1: the audit of this worker is complete */
	uint16_t pad;
	uint64_t sid[SG_MSG_ALIVE_MAX];
};

/** What MEMBER_STATE sets a pool member (or every member) to. */
enum sg_msg_member_st {
	SG_MSG_MEMBER_UP = 1,	 /**< gets new flows (its configured weight) */
	SG_MSG_MEMBER_DOWN = 2,	 /**< failed: no new flows; Maglev moves only its share */
	SG_MSG_MEMBER_DRAIN = 3, /**< no new flows; its existing flows finish */
	SG_MSG_MEMBER_RESET = 4, /**< no new flows; its existing flows are reset now */
	SG_MSG_MEMBER_STATE_MAX
};

#define SG_MSG_MEMBER_ALL 0x1 /**< flags: every member of every pool (names empty) */

/**
 * MEMBER_STATE (hdr.session_id unused): sg-control's verdict on one member,
 * named as in the appliance YAML (pool, member: NUL-terminated). The data
 * plane keeps the state across reloads (by name) and republishes its
 * tables; a name it does not know is counted and ignored.
 */
struct sg_msg_member_state {
	uint8_t state; /**< enum sg_msg_member_st */
	uint8_t flags; /**< SG_MSG_MEMBER_ALL */
	uint16_t pad;
	uint32_t generation; /**< sg-control's change counter (telemetry shows the last) */
	char pool[64];
	char member[64];
};

/** Why passive detection suspects a member. */
enum sg_msg_suspect_reason {
	SG_MSG_SUSPECT_REFUSED = 1,	/**< a validated RST answered the data plane's SYN */
	SG_MSG_SUSPECT_TIMEOUT = 2,	/**< no SYN-ACK to a NAT or hand-off SYN in time */
	SG_MSG_SUSPECT_RESET_EARLY = 3, /**< a validated RST before any byte from the member */
	SG_MSG_SUSPECT_REPLAY = 4,	/**< a hand-off's replay of held bytes failed */
	SG_MSG_SUSPECT_MAX
};

/**
 * MEMBER_SUSPECT (hdr.session_id unused, hdr.worker the reporter): a
 * worker saw @c failures consecutive validated connect failures of a member
 * (at most one per member per second and worker).
 */
struct sg_msg_member_suspect {
	uint8_t reason; /**< enum sg_msg_suspect_reason of the last failure */
	uint8_t pad;
	uint16_t member_slot; /**< the data plane's counter slot (telemetry /sg/members) */
	uint32_t failures;    /**< consecutive, on this worker */
	char pool[64];
	char member[64];
};

/** What SESSION_ABORT does to a session's flows. */
enum sg_msg_abort_action {
	SG_MSG_ABORT_RESET = 1, /**< RST to both sides now */
	SG_MSG_ABORT_DRAIN = 2, /**< no new flows of the session; reset after @c deadline_s */
	SG_MSG_ABORT_MAX
};

/**
 * SESSION_ABORT (hdr.session_id, hdr.worker: the session): end an installed
 * or held session. A held session is answered as a REJECT with @c reason.
 * The data plane answers with SESSION_CLOSED carrying @c reason once the
 * session's flows are gone; an unknown session ID is counted and ignored.
 */
struct sg_msg_session_abort {
	uint8_t action; /**< enum sg_msg_abort_action */
	uint8_t pad;
	uint16_t reason;     /**< enum sg_msg_reason, echoed in SESSION_CLOSED */
	uint32_t deadline_s; /**< DRAIN: reset after this; 0 = let the flows end by themselves */
};

/** One ring element. */
struct sg_msg {
	struct sg_msg_hdr hdr;
	union {
		struct sg_msg_session_new session_new;
		struct sg_msg_session_install install;
		struct sg_msg_session_reject reject;
		struct sg_msg_session_closed closed;
		struct sg_msg_vs_stats vs_stats;
		struct sg_msg_audit audit;
		struct sg_msg_alive alive;
		struct sg_msg_member_state member_state;
		struct sg_msg_member_suspect suspect;
		struct sg_msg_session_abort abort;
		uint8_t raw[SG_MSG_SIZE - sizeof(struct sg_msg_hdr)];
	};
};

_Static_assert(sizeof(struct sg_msg) == SG_MSG_SIZE, "ring element size");

/** Body size of each type (0: header only). */
static inline size_t
sg_msg_body_size(uint16_t type)
{
	switch (type) {
	case SG_MSG_SESSION_NEW:
		return sizeof(struct sg_msg_session_new);
	case SG_MSG_SESSION_INSTALL:
		return sizeof(struct sg_msg_session_install);
	case SG_MSG_SESSION_REJECT:
		return sizeof(struct sg_msg_session_reject);
	case SG_MSG_SESSION_CLOSED:
		return sizeof(struct sg_msg_session_closed);
	case SG_MSG_SESSION_RESYNC:
		return 0;
	case SG_MSG_VS_STATS:
		return sizeof(struct sg_msg_vs_stats);
	case SG_MSG_SESSION_AUDIT:
		return sizeof(struct sg_msg_audit);
	case SG_MSG_SESSION_ALIVE:
		return sizeof(struct sg_msg_alive);
	case SG_MSG_MEMBER_STATE:
		return sizeof(struct sg_msg_member_state);
	case SG_MSG_MEMBER_SUSPECT:
		return sizeof(struct sg_msg_member_suspect);
	case SG_MSG_SESSION_ABORT:
		return sizeof(struct sg_msg_session_abort);
	case SG_MSG_SESSION_USAGE:
		return sizeof(struct sg_msg_session_closed);
	default:
		return SIZE_MAX;
	}
}

static inline int
sg_msg_check_flow(const struct sg_msg_flow *f)
{
	if (f->family != SG_WIRE_FAMILY_V4 && f->family != SG_WIRE_FAMILY_V6)
		return -EPROTO;
	if (f->proto != 6 && f->proto != 17)
		return -EPROTO;
	if (f->dport == 0 || f->sport == 0)
		return -EPROTO;
	return 0;
}

/** reject.location: NUL-terminated, printable without space; set only for LOGIN. */
static inline int
sg_msg_check_location(const char *loc, uint16_t reason)
{
	size_t i;

	for (i = 0; i < SG_MSG_LOCATION_MAX && loc[i] != 0; i++)
		if ((unsigned char)loc[i] < 0x21 || (unsigned char)loc[i] > 0x7e)
			return -EPROTO;
	if (i == SG_MSG_LOCATION_MAX)
		return -EPROTO;
	if ((reason == SG_MSG_REASON_LOGIN) != (i > 0))
		return -EPROTO;
	return 0;
}

/**
 * Validate one ring element of @p len bytes.
 *
 * @return 0 when every field is in range; -EMSGSIZE (wrong element size or
 *   header length), -EPROTONOSUPPORT (other version), -EBADMSG (unknown
 *   type, body length wrong for the type), -EPROTO (a field out of range).
 */
static inline int
sg_msg_check(const void *buf, size_t len)
{
	const struct sg_msg *m = (const struct sg_msg *)buf;
	size_t body;

	if (buf == NULL || len != SG_MSG_SIZE)
		return -EMSGSIZE;
	if (m->hdr.version != SG_MSG_VERSION)
		return -EPROTONOSUPPORT;
	body = sg_msg_body_size(m->hdr.type);
	if (body == SIZE_MAX)
		return -EBADMSG;
	if (m->hdr.len != sizeof(m->hdr) + body)
		return -EBADMSG;
	switch (m->hdr.type) {
	case SG_MSG_SESSION_NEW:
		if (m->session_new.key_type >= SG_MSG_L7_MAX ||
		    m->session_new.key_len > SG_MSG_KEY_MAX ||
		    (m->session_new.key_type == SG_MSG_L7_NONE && m->session_new.key_len != 0))
			return -EPROTO;
		return sg_msg_check_flow(&m->session_new.flow);
	case SG_MSG_SESSION_INSTALL:
		if (m->install.mode == 0 || m->install.mode >= SG_MSG_INSTALL_MAX)
			return -EPROTO;
		if (m->install.family != SG_WIRE_FAMILY_V4 &&
		    m->install.family != SG_WIRE_FAMILY_V6)
			return -EPROTO;
		if (m->install.mode != SG_MSG_INSTALL_REDIRECT && m->install.backend_port == 0)
			return -EPROTO;
		return 0;
	case SG_MSG_SESSION_REJECT:
		if (m->reject.reason >= SG_MSG_REASON_MAX)
			return -EPROTO;
		return sg_msg_check_location(m->reject.location, m->reject.reason);
	case SG_MSG_SESSION_CLOSED:
		return m->closed.reason >= SG_MSG_REASON_MAX ? -EPROTO : 0;
	case SG_MSG_SESSION_USAGE:
		return m->closed.reason != 0 ? -EPROTO : 0;
	case SG_MSG_VS_STATS:
		return memchr(m->vs_stats.vs_name, 0, sizeof(m->vs_stats.vs_name)) == NULL ? -EPROTO
											   : 0;
	case SG_MSG_SESSION_ALIVE:
		return m->alive.n > SG_MSG_ALIVE_MAX || m->alive.last > 1 ? -EPROTO : 0;
	case SG_MSG_MEMBER_STATE:
		if (m->member_state.state == 0 ||
		    m->member_state.state >= SG_MSG_MEMBER_STATE_MAX ||
		    (m->member_state.flags & ~SG_MSG_MEMBER_ALL) != 0)
			return -EPROTO;
		if (memchr(m->member_state.pool, 0, sizeof(m->member_state.pool)) == NULL ||
		    memchr(m->member_state.member, 0, sizeof(m->member_state.member)) == NULL)
			return -EPROTO;
		if (!(m->member_state.flags & SG_MSG_MEMBER_ALL) &&
		    (m->member_state.pool[0] == 0 || m->member_state.member[0] == 0))
			return -EPROTO;
		return 0;
	case SG_MSG_MEMBER_SUSPECT:
		if (m->suspect.reason == 0 || m->suspect.reason >= SG_MSG_SUSPECT_MAX)
			return -EPROTO;
		if (memchr(m->suspect.pool, 0, sizeof(m->suspect.pool)) == NULL ||
		    memchr(m->suspect.member, 0, sizeof(m->suspect.member)) == NULL ||
		    m->suspect.pool[0] == 0 || m->suspect.member[0] == 0)
			return -EPROTO;
		return 0;
	case SG_MSG_SESSION_ABORT:
		if (m->abort.action == 0 || m->abort.action >= SG_MSG_ABORT_MAX ||
		    m->abort.reason >= SG_MSG_REASON_MAX)
			return -EPROTO;
		return 0;
	default:
		return 0;
	}
}

#ifdef __cplusplus
}
#endif

#endif /* SG_MSG_H */
