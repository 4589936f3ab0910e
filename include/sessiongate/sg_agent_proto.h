/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Host agent <-> control path protocol (sg-hostagent <-> sg-control).
 *
 * One long-lived TCP connection, opened by the agent. Every message is a
 * 16-byte header followed by a payload of TLV attributes; all integers are
 * big-endian. The whole message (header + payload) is at most
 * SG_AGENT_MSG_MAX bytes: a peer that announces more, a bad magic, a bad
 * version or a garbled attribute closes that connection (and only it).
 *
 * Header:
 *   u16 magic   SG_AGENT_MAGIC
 *   u8  version SG_AGENT_VERSION
 *   u8  type    enum sg_agent_msg_type
 *   u32 length  payload bytes after the header
 *   u32 seq     request id; answers (RESULT) echo the request's seq
 *   u32 flags   0, or SG_AGENT_FLAG_TAG (every other bit must be 0)
 *
 * Attribute: u16 type, u16 length (value bytes), value. Attributes not
 * known to the receiver are skipped (forward compatibility within a
 * version); a known attribute with a wrong length, or a duplicate, is an
 * error.
 *
 * Authentication (pre-shared key K, HMAC-SHA256), before anything else:
 *   agent   -> HELLO     {HOST, NONCE=Na}
 *   control -> CHALLENGE {NONCE=Nc, MAC=HMAC(K, "sg-ctl\0" | Na | Nc | HOST)}
 *   agent   -> AUTH      {MAC=HMAC(K, "sg-agent\0" | Nc | Na | HOST)}
 *   control -> AUTH_OK   {} or ERROR then close
 * K is the key of the host named HOST (one key per host: sg-control holds
 * every host's, an agent only its own), so a HELLO can claim only the name
 * whose key the agent holds. Both sides prove the key; a wrong MAC closes
 * the connection. No other message is accepted before AUTH_OK.
 *
 * After AUTH_OK (version 2), every message in both directions carries
 * SG_AGENT_FLAG_TAG and, after its payload, a tag of SG_AGENT_TAG_LEN bytes:
 *   Ks  = HMAC(K, "sg-session\0" | Na | Nc | HOST)       (per connection)
 *   tag = HMAC(Ks, dir | seq64 | header | payload)
 * dir is 'C' (control -> agent) or 'A' (agent -> control), seq64 the
 * big-endian count of tagged messages this side sent before on this
 * connection (0, 1, ...; never on the wire). A missing, wrong, replayed,
 * reordered or dropped message fails the tag and closes the connection;
 * an untagged message after AUTH_OK, or a tagged one before, too.
 * doc/hostagent.md is the reference.
 *
 * Addresses (ADDR, VIP) carry the family as include/sessiongate/sg_wire.h
 * encodes it (SG_WIRE_FAMILY_V4 / _V6), on the wire and in the decoded
 * struct sg_agent_addr alike; the socket API's AF_INET / AF_INET6 appear
 * only in sg_agent_addr_from_af() / sg_agent_addr_to_sockaddr(). (The
 * decoded struct carried AF_* values before; the wire bytes did not change,
 * hence no SG_AGENT_VERSION bump.)
 *
 * Implemented by lib/agentproto/ (codec.c, names.c, auth.c, sockaddr.c).
 */
#ifndef SG_AGENT_PROTO_H
#define SG_AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sessiongate/sg_wire.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SG_AGENT_MAGIC 0x5347u /**< "SG" */
/**
 * 2: per-host keys, every message after AUTH_OK tagged; 3: VM state APP_DOWN;
 * 4: pushed inventory (VM_DEFINE, VM_UNDEFINE, INVENTORY), SAVE, VM state
 * SAVED, start kind and timings in VM_STATE.
 */
#define SG_AGENT_VERSION	  4u
#define SG_AGENT_HDR_LEN	  16u
#define SG_AGENT_MSG_MAX	  4096u /**< header + payload */
#define SG_AGENT_NAME_MAX	  64u	/**< VM and host names incl. NUL */
#define SG_AGENT_TEXT_MAX	  256u	/**< error texts incl. NUL */
#define SG_AGENT_NONCE_LEN	  32u
#define SG_AGENT_MAC_LEN	  32u /**< HMAC-SHA256 */
#define SG_AGENT_KEY_MIN	  16u /**< bytes of pre-shared key, at least */
#define SG_AGENT_KEY_MAX	  256u
#define SG_AGENT_COUNTERS_MAX	  32u /**< COUNTER attributes in one message */
#define SG_AGENT_COUNTER_NAME_MAX 32u
#define SG_AGENT_FLAG_TAG	  0x1u /**< header flag: an SG_AGENT_TAG_LEN tag follows */
#define SG_AGENT_TAG_LEN	  32u  /**< HMAC-SHA256 of a message after AUTH_OK */
#define SG_AGENT_FRAME_MAX	  (SG_AGENT_MSG_MAX + SG_AGENT_TAG_LEN) /**< on the wire */

/** Message types. Direction: A = agent -> control, C = control -> agent. */
enum sg_agent_msg_type {
	SG_AGENT_MSG_HELLO = 1,		 /**< A: HOST, NONCE */
	SG_AGENT_MSG_CHALLENGE = 2,	 /**< C: NONCE, MAC */
	SG_AGENT_MSG_AUTH = 3,		 /**< A: MAC */
	SG_AGENT_MSG_AUTH_OK = 4,	 /**< C: - */
	SG_AGENT_MSG_ERROR = 5,		 /**< both: STATUS, TEXT; sender then closes */
	SG_AGENT_MSG_PING = 6,		 /**< both: - ; answered by PONG with the same seq */
	SG_AGENT_MSG_PONG = 7,		 /**< both: - */
	SG_AGENT_MSG_ENSURE_RUNNING = 8, /**< C: VM_NAME */
	SG_AGENT_MSG_STOP = 9,		 /**< C: VM_NAME, [DEADLINE_MS] */
	SG_AGENT_MSG_STATUS = 10,	 /**< C: VM_NAME */
	SG_AGENT_MSG_RESULT = 11,	 /**< A: STATUS, [TEXT], [VM_STATE...] answer to seq */
	SG_AGENT_MSG_VM_STATE = 12, /**< A: VM_NAME, VM_UUID, VM_STATE, [ADDR, PORT], [TEXT: why] */
	SG_AGENT_MSG_SYNC = 13,	    /**< A: GENERATION, COUNT: end of a full inventory */
	SG_AGENT_MSG_FLOW_ADD = 14, /**< C: VIP, VIP_PORT, PROTO, ADDR, PORT */
	SG_AGENT_MSG_FLOW_DEL = 15, /**< C: VIP, VIP_PORT, PROTO */
	SG_AGENT_MSG_COUNTERS = 16, /**< C: - (request); A: COUNTER... in the RESULT */
	/** C: VM_NAME, [DEADLINE_MS]: managed save (libvirt); OK once saved (state SAVED) */
	SG_AGENT_MSG_SAVE = 17,
	/**
	 * C: VM_NAME, TEMPLATE, ADDR, PORT, PROTO, [VIP, VIP_PORT], [FLAGS]: add or
	 * change a VM of the inventory sg-control pushes (doc/hostagent.md
	 * "Pushed inventory"); answered by RESULT (OK, E_BAD_REQUEST: unknown
	 * template or a VM of the agent's own YAML, E_FULL).
	 */
	SG_AGENT_MSG_VM_DEFINE = 18,
	/** C: VM_NAME: forget a pushed VM (stopped first by sg-control); RESULT */
	SG_AGENT_MSG_VM_UNDEFINE = 19,
	/**
	 * C: GENERATION, COUNT: end of a full push (sent after AUTH_OK): every
	 * VM_DEFINE since the previous INVENTORY is the whole pushed inventory;
	 * pushed VMs not in it are forgotten. RESULT.
	 */
	SG_AGENT_MSG_INVENTORY = 20,
	SG_AGENT_MSG_TYPE_MAX = 20,
};

/** Attribute types. */
enum sg_agent_attr {
	SG_AGENT_ATTR_HOST = 1,		/**< string, 1..63 bytes, no NUL */
	SG_AGENT_ATTR_NONCE = 2,	/**< 32 bytes */
	SG_AGENT_ATTR_MAC = 3,		/**< 32 bytes */
	SG_AGENT_ATTR_STATUS = 4,	/**< u16 enum sg_agent_status */
	SG_AGENT_ATTR_TEXT = 5,		/**< string, 0..255 bytes */
	SG_AGENT_ATTR_VM_NAME = 6,	/**< string, 1..63 bytes */
	SG_AGENT_ATTR_VM_UUID = 7,	/**< 16 bytes */
	SG_AGENT_ATTR_VM_STATE = 8,	/**< u8 enum sg_agent_vm_state */
	SG_AGENT_ATTR_ADDR = 9,		/**< u8 SG_WIRE_FAMILY_V4/_V6 + 4 or 16 bytes: VM address */
	SG_AGENT_ATTR_PORT = 10,	/**< u16: VM service port */
	SG_AGENT_ATTR_DEADLINE_MS = 11, /**< u32 */
	SG_AGENT_ATTR_VIP = 12,		/**< as ADDR */
	SG_AGENT_ATTR_VIP_PORT = 13,	/**< u16 */
	SG_AGENT_ATTR_PROTO = 14,	/**< u8: 6 TCP, 17 UDP */
	SG_AGENT_ATTR_GENERATION = 15,	/**< u64 */
	SG_AGENT_ATTR_COUNT = 16,	/**< u32 */
	SG_AGENT_ATTR_COUNTER = 17,	/**< u64 value + name (1..31 bytes); repeatable */
	SG_AGENT_ATTR_TEMPLATE = 18,	/**< string, 1..63 bytes: a template the agent names */
	SG_AGENT_ATTR_FLAGS = 19,	/**< u32 SG_AGENT_VMF_* (other bits: E_BAD_REQUEST) */
	SG_AGENT_ATTR_START_KIND = 20,	/**< u8 enum sg_agent_start_kind */
	SG_AGENT_ATTR_LIBVIRT_MS = 21,	/**< u32: ms libvirt's create / restore call took */
	SG_AGENT_ATTR_READY_MS = 22,	/**< u32: ms from the start command to RUNNING */
	SG_AGENT_ATTR_MAX = 22,
};

/** Outcome of a command (RESULT.STATUS, ERROR.STATUS). */
enum sg_agent_status {
	SG_AGENT_OK = 0,
	SG_AGENT_E_NO_SUCH_VM = 1,  /**< not in the agent's inventory, nor in libvirt */
	SG_AGENT_E_LIBVIRT = 2,	    /**< libvirt refused; TEXT has libvirt's message */
	SG_AGENT_E_TIMEOUT = 3,	    /**< deadline passed */
	SG_AGENT_E_BAD_REQUEST = 4, /**< missing/invalid attribute, unknown type */
	SG_AGENT_E_AUTH = 5,	    /**< authentication failed */
	SG_AGENT_E_UNAVAILABLE = 6, /**< libvirt not connected right now; retry */
	SG_AGENT_E_FULL = 7,	    /**< a table is full (flows) */
	SG_AGENT_E_INTERNAL = 8,
	SG_AGENT_STATUS_MAX = 8,
};

/** VM state as the control path sees it. */
enum sg_agent_vm_state {
	SG_AGENT_VM_UNKNOWN = 0,   /**< libvirt not reachable, or not yet read */
	SG_AGENT_VM_UNDEFINED = 1, /**< in the inventory, not defined in libvirt (template) */
	SG_AGENT_VM_SHUTOFF = 2,
	SG_AGENT_VM_BOOTING = 3,  /**< libvirt: running; service not yet ready */
	SG_AGENT_VM_RUNNING = 4,  /**< running AND service address known/ready: usable */
	SG_AGENT_VM_STOPPING = 5, /**< shutdown requested */
	SG_AGENT_VM_PAUSED = 6,
	SG_AGENT_VM_CRASHED = 7,
	SG_AGENT_VM_APP_DOWN =
		8, /**< libvirt: running; its app port stopped answering (app_check) */
	/** libvirt: shut off with a managed-save image: ENSURE_RUNNING resumes it */
	SG_AGENT_VM_SAVED = 9,
	SG_AGENT_VM_STATE_MAX = 9,
};

/** VM_DEFINE's FLAGS. */
#define SG_AGENT_VMF_PROBE 0x1u /**< TCP probe of ADDR:PORT before RUNNING, and app_check */
#define SG_AGENT_VMF_ALL   SG_AGENT_VMF_PROBE

/**
 * How the VM reached RUNNING the last time (VM_STATE RUNNING after a start
 * carries START_KIND, LIBVIRT_MS, READY_MS).
 */
enum sg_agent_start_kind {
	SG_AGENT_START_NONE = 0,   /**< not started by this agent (found running) */
	SG_AGENT_START_BOOT = 1,   /**< cold boot */
	SG_AGENT_START_RESUME = 2, /**< restored from its managed-save image */
	SG_AGENT_START_KIND_MAX = 2,
};

/** An address in a message. family 0 = absent. */
struct sg_agent_addr {
	uint8_t family;	   /**< SG_WIRE_FAMILY_V4 or _V6 (never AF_*), 0 = none */
	uint8_t bytes[16]; /**< network order; 4 used for SG_WIRE_FAMILY_V4 */
};

struct sg_agent_counter {
	char name[SG_AGENT_COUNTER_NAME_MAX];
	uint64_t value;
};

/** Presence bits of struct sg_agent_msg fields (1u << enum sg_agent_attr). */
#define SG_AGENT_HAS(m, attr) (((m)->present >> (attr)) & 1u)

/** A decoded message: header fields plus every known attribute. */
struct sg_agent_msg {
	uint8_t type;
	uint32_t seq;
	uint32_t present; /**< bit per enum sg_agent_attr */
	char host[SG_AGENT_NAME_MAX];
	uint8_t nonce[SG_AGENT_NONCE_LEN];
	uint8_t mac[SG_AGENT_MAC_LEN];
	uint16_t status;
	char text[SG_AGENT_TEXT_MAX];
	char vm_name[SG_AGENT_NAME_MAX];
	uint8_t vm_uuid[16];
	uint8_t vm_state;
	struct sg_agent_addr addr;
	uint16_t port;
	uint32_t deadline_ms;
	struct sg_agent_addr vip;
	uint16_t vip_port;
	uint8_t proto;
	uint64_t generation;
	uint32_t count;
	struct sg_agent_counter counters[SG_AGENT_COUNTERS_MAX];
	unsigned int n_counters;
	char template_name[SG_AGENT_NAME_MAX];
	uint32_t vm_flags; /**< FLAGS */
	uint8_t start_kind;
	uint32_t libvirt_ms;
	uint32_t ready_ms;
};

/** Initialise @p m as an empty message of @p type with @p seq. */
void sg_agent_msg_init(struct sg_agent_msg *m, uint8_t type, uint32_t seq);

/** Set a string attribute (HOST, TEXT, VM_NAME, TEMPLATE); truncates to the bound. */
void sg_agent_msg_set_str(struct sg_agent_msg *m, enum sg_agent_attr attr, const char *s);

/**
 * Encode @p m into @p buf (header + attributes present).
 * @return bytes written, or -EMSGSIZE when over @p len or SG_AGENT_MSG_MAX,
 *   -EINVAL for a bad field (unknown type, bad string).
 */
int sg_agent_msg_encode(const struct sg_agent_msg *m, uint8_t *buf, size_t len);

/**
 * Look at the first bytes of a stream.
 * @return 0 when fewer than SG_AGENT_HDR_LEN bytes are there, the total
 *   length of the first message (> 0) once the header is there, or
 *   -EPROTO (bad magic/version/flags) / -EMSGSIZE (over SG_AGENT_MSG_MAX).
 */
int sg_agent_msg_peek(const uint8_t *buf, size_t len);

/**
 * Decode exactly one whole message of @p len bytes.
 * @return 0, or -EPROTO (garbled), -EMSGSIZE, -EINVAL (bad attribute).
 */
int sg_agent_msg_decode(const uint8_t *buf, size_t len, struct sg_agent_msg *m);

/** Names for logs and docs ("ENSURE_RUNNING", "RUNNING", "no such VM"). */
const char *sg_agent_msg_type_name(unsigned int type);
const char *sg_agent_vm_state_name(unsigned int state);
const char *sg_agent_status_name(unsigned int status);

/**
 * The MACs of the handshake. @p role_ctl: true = MAC sent by control
 * (label "sg-ctl"), false = by the agent (label "sg-agent").
 * @return 0 or -EINVAL (key length out of bounds) / -EIO (libcrypto).
 */
int sg_agent_auth_mac(const uint8_t *key, size_t keylen, bool role_ctl,
		      const uint8_t na[SG_AGENT_NONCE_LEN], const uint8_t nc[SG_AGENT_NONCE_LEN],
		      const char *host, uint8_t out[SG_AGENT_MAC_LEN]);

/** Constant-time compare of a received MAC with the expected one. */
bool sg_agent_auth_verify(const uint8_t a[SG_AGENT_MAC_LEN], const uint8_t b[SG_AGENT_MAC_LEN]);

/**
 * The per-connection session key Ks of the message tags, from the host's
 * key and the handshake's nonces. @return 0 or -EINVAL / -EIO.
 */
int sg_agent_session_key(const uint8_t *key, size_t keylen, const uint8_t na[SG_AGENT_NONCE_LEN],
			 const uint8_t nc[SG_AGENT_NONCE_LEN], const char *host,
			 uint8_t ks[SG_AGENT_MAC_LEN]);

/** True when the header at @p buf (SG_AGENT_HDR_LEN bytes) announces a tag. */
bool sg_agent_msg_tagged(const uint8_t *buf);

/**
 * Tag the encoded message of @p len bytes in @p buf (room for @p cap):
 * sets SG_AGENT_FLAG_TAG and appends the tag of sender @p from_ctl and
 * sequence @p seq under session key @p ks.
 * @return the new length, or -EMSGSIZE (no room) / -EIO (libcrypto).
 */
int sg_agent_msg_seal(const uint8_t ks[SG_AGENT_MAC_LEN], bool from_ctl, uint64_t seq, uint8_t *buf,
		      size_t len, size_t cap);

/**
 * Check the tag of the whole frame @p buf of @p len bytes (as
 * sg_agent_msg_peek() measured it), sent by @p from_ctl as number @p seq.
 * @return 0, or -EBADMSG (untagged, wrong tag, replayed or reordered).
 */
int sg_agent_msg_open(const uint8_t ks[SG_AGENT_MAC_LEN], bool from_ctl, uint64_t seq,
		      const uint8_t *buf, size_t len);

/** Fill @p nonce from the system's random source. @return 0 or -EIO. */
int sg_agent_auth_nonce(uint8_t nonce[SG_AGENT_NONCE_LEN]);

/**
 * Read the pre-shared key from the file @p path: its bytes, without
 * trailing CR/LF, must number SG_AGENT_KEY_MIN..SG_AGENT_KEY_MAX. Logs
 * nothing: the caller reports the error where it knows the context.
 * @param key receives the key (SG_AGENT_KEY_MAX bytes of room).
 * @param len receives the key's length; on -EINVAL, the length found.
 * @return 0, -errno of open/read, or -EINVAL (length out of range).
 */
int sg_agent_key_load(const char *path, uint8_t key[SG_AGENT_KEY_MAX], size_t *len);

/**
 * Fill @p a from an address of the socket API's family @p af (AF_INET:
 * 4 bytes at @p bytes, AF_INET6: 16 bytes).
 * @return 0, or -EAFNOSUPPORT for any other family (@p a is then absent).
 */
int sg_agent_addr_from_af(struct sg_agent_addr *a, int af, const void *bytes);

/**
 * The socket API's family of @p a: AF_INET, AF_INET6, or AF_UNSPEC when
 * @p a is absent or of no known family.
 */
int sg_agent_addr_af(const struct sg_agent_addr *a);

/**
 * Build the socket address of @p a and @p port (host order) in @p ss.
 * @return its length, or -EAFNOSUPPORT when @p a is absent or of no known
 *   family.
 */
int sg_agent_addr_to_sockaddr(const struct sg_agent_addr *a, uint16_t port,
			      struct sockaddr_storage *ss);

#ifdef __cplusplus
}
#endif

#endif /* SG_AGENT_PROTO_H */
