/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sessiongate configuration: the validated, in-memory form of the appliance
 * YAML file (doc/configuration.md is the reference of every key).
 *
 * sg_cfg_load_file() parses and validates a whole file; on any error it
 * returns a negative errno, fills a struct sg_cfg_error that names
 * file:line:column and the key, and allocates nothing the caller must free.
 * A loaded struct sg_cfg is immutable and owned by the caller
 * (sg_cfg_free()). Nothing here touches DPDK: the data plane turns a
 * struct sg_cfg into its own tables off the worker path.
 *
 * All addresses are stored in network byte order; ports in host order.
 */
#ifndef SG_CFG_H
#define SG_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bounds. A file over any of them is rejected with a clear error. */
#define SG_CFG_FILE_MAX	     (1u << 20) /**< bytes in one YAML file */
#define SG_CFG_NAME_MAX	     64		/**< names incl. NUL: [A-Za-z0-9_.-]{1,63} */
#define SG_CFG_DEVARGS_MAX   256	/**< one EAL --vdev / device string incl. NUL */
#define SG_CFG_EAL_ARGS_MAX  32		/**< extra EAL arguments */
#define SG_CFG_PORTS_MAX     8
#define SG_CFG_VS_MAX	     256
#define SG_CFG_POOLS_MAX     256
#define SG_CFG_MEMBERS_MAX   256 /**< per pool */
#define SG_CFG_NAT_ADDRS_MAX 16
#define SG_CFG_WORKERS_MAX   64

/** An IPv4 or IPv6 address, optionally with a prefix length. */
struct sg_cfg_addr {
	uint8_t family;	   /**< AF_INET, AF_INET6, or 0 when unset */
	uint8_t prefixlen; /**< 32/128 when written without a prefix */
	union {
		uint32_t v4; /**< network order */
		uint8_t v6[16];
	};
};

/** One data-plane port: a DPDK device plus the appliance's addresses on it. */
struct sg_cfg_port {
	char name[SG_CFG_NAME_MAX];
	/** DPDK device: a vdev string ("net_af_packet0,iface=veth0") or a PCI address. */
	char device[SG_CFG_DEVARGS_MAX];
	struct sg_cfg_addr addr4;    /**< own IPv4 address with prefix; family 0 if none */
	struct sg_cfg_addr addr6;    /**< own IPv6 address with prefix; family 0 if none */
	struct sg_cfg_addr gateway4; /**< IPv4 next hop for off-link destinations */
	struct sg_cfg_addr gateway6; /**< IPv6 next hop for off-link destinations */
	uint16_t mtu;		     /**< default 1500 */
	uint16_t rx_desc;	     /**< default 1024 */
	uint16_t tx_desc;	     /**< default 1024 */
};

/** The data plane's end of the channel to sg-control (DESIGN.md section 3). */
struct sg_cfg_control {
	char shm[SG_CFG_NAME_MAX]; /**< POSIX shm name ("/sessiongate"); "" = no control path */
	uint32_t ring_size;	   /**< messages per ring, power of two; default 4096 */
	uint32_t max_held;	   /**< held brokered sessions per worker; default 4096 */
	uint32_t hold_budget_kb;   /**< held client bytes per worker; default 16384 */

	/* what one client may hold (doc/sessions.md, "Limits") */
	uint32_t hold_mbufs;	       /**< held mbufs per worker; 0 = derived from the pool */
	uint32_t hold_reserve_mbufs;   /**< pool mbufs a hold never takes; 0 = mbufs / 8 */
	uint32_t max_held_per_prefix;  /**< held sessions per /24 or /64 per worker; default 128 */
	uint32_t new_per_prefix_rate;  /**< new sessions per second per prefix; 0 = no limit */
	uint32_t new_per_prefix_burst; /**< ... and their burst; default 100 */
};

/**
 * The exception path (doc/dataplane.md, "Exception path"): a net_tap
 * interface per port gives the appliance's kernel the port's address and
 * MAC; what the data plane does not handle for its own addresses goes
 * there, what the kernel sends leaves through the port.
 */
struct sg_cfg_exception {
	bool enabled;		/**< default false */
	char ifname_prefix[16]; /**< kernel interface = prefix + port index; default "sgx" */
	uint32_t rate_pps;	/**< packets/s to the kernel, all workers; default 20000 */
	uint32_t burst;		/**< ... and their burst; default 512 */
	uint32_t queue;		/**< packets queued to / from the kernel, power of two; 1024 */
	bool routes;		/**< add the ports' gateways as kernel routes; default true */
};

/**
 * Idle mode of the workers (doc/dataplane.md, "Idle mode"): a worker that
 * finds no packet for a while sleeps, longer each empty poll, and is back
 * within max_us of the next packet.
 */
struct sg_cfg_idle {
	bool enabled;	      /**< default false: workers poll flat out */
	uint32_t after_polls; /**< empty polls in a row before the first sleep; default 512 */
	uint32_t min_us;      /**< first sleep; default 5 */
	uint32_t max_us;      /**< longest sleep = wake-up latency bound; default 500 */
};

#define SG_CFG_SYNC_PEERS_MAX	8
#define SG_CFG_BGP_PEERS_MAX	8
#define SG_CFG_BGP_BACKUP_MAX	64
#define SG_CFG_SYNC_PORT	7450
#define SG_CFG_CLUSTER_NODE_MAX 15

/** A peer appliance on the state-sync channel. */
struct sg_cfg_sync_peer {
	char name[SG_CFG_NAME_MAX];
	struct sg_cfg_addr addr; /**< its sync address */
	uint16_t port;		 /**< default SG_CFG_SYNC_PORT */
};

/**
 * State sync between appliances (doc/cluster.md): flows and installed
 * brokered sessions, in authenticated batches over a kernel UDP socket on
 * a dedicated interface (never the exception path).
 */
struct sg_cfg_sync {
	bool enabled;			   /**< default false */
	struct sg_cfg_addr listen;	   /**< local sync address (required when enabled) */
	uint16_t port;			   /**< default SG_CFG_SYNC_PORT */
	char key_file[SG_CFG_DEVARGS_MAX]; /**< shared HMAC-SHA256 key: 32..1024 bytes, not
					      readable by group or others */
	struct sg_cfg_sync_peer peers[SG_CFG_SYNC_PEERS_MAX];
	unsigned int n_peers;
	uint32_t rate;	       /**< records sent per second, all workers; default 1000000 */
	uint32_t queue;	       /**< records per worker ring, power of two; default 16384 */
	uint32_t refresh_s;    /**< an active synced flow is re-sent this often; default 60 */
	uint32_t dump_wait_ms; /**< at start, wait this long for a peer's full dump; 5000 */
	bool dsr;	       /**< sync DSR flows of non-Maglev VSs; default true */
};

/** A BGP neighbour of the appliance (usually the ECMP router). */
struct sg_cfg_bgp_peer {
	char name[SG_CFG_NAME_MAX];
	struct sg_cfg_addr addr;
	uint32_t asn;
	bool bfd; /**< default true */
};

/**
 * Route announcement through BIRD 2 (doc/cluster.md): sg-routed writes
 * BIRD's configuration from this and enables / withdraws the appliance's
 * prefixes from the data plane's liveness.
 */
struct sg_cfg_bgp {
	bool enabled;		      /**< default false */
	uint32_t asn;		      /**< local AS (required when enabled) */
	struct sg_cfg_addr router_id; /**< IPv4; default the first port's address */
	struct sg_cfg_bgp_peer peers[SG_CFG_BGP_PEERS_MAX];
	unsigned int n_peers;
	uint32_t local_pref_owned;  /**< own VIPs and NAT addresses; default 200 */
	uint32_t local_pref_backup; /**< the peers' NAT addresses; default 100 */
	/** the peers' NAT addresses this appliance announces as a backup route */
	struct sg_cfg_addr backup[SG_CFG_BGP_BACKUP_MAX];
	unsigned int n_backup;
	uint32_t hold_s;		      /**< BGP hold time; default 9 */
	uint32_t bfd_interval_ms;	      /**< BFD tx/rx interval; default 100 */
	uint32_t bfd_multiplier;	      /**< default 3 */
	uint32_t check_ms;		      /**< sg-routed's liveness poll; default 100 */
	uint32_t stale_ms;		      /**< no progress this long withdraws; default 500 */
	char bird_socket[SG_CFG_DEVARGS_MAX]; /**< default "/run/bird/bird.ctl" */
	char bird_config[SG_CFG_DEVARGS_MAX]; /**< file sg-routed writes; default
						 "/run/sessiongate/bird.conf" */
	char status_file[SG_CFG_DEVARGS_MAX]; /**< JSON status sg-routed writes; default
						 "/run/sessiongate/routed.json" */
};

/** Several appliances active/active (doc/cluster.md). */
struct sg_cfg_cluster {
	unsigned int node_id; /**< 1..SG_CFG_CLUSTER_NODE_MAX, in session IDs; 0 = standalone */
	char name[SG_CFG_NAME_MAX]; /**< default "node<id>" */
	struct sg_cfg_sync sync;
	struct sg_cfg_bgp bgp;
};

/** The appliance: EAL, lcores, memory, ports and table sizes. */
struct sg_cfg_appliance {
	char eal_args[SG_CFG_EAL_ARGS_MAX][SG_CFG_DEVARGS_MAX]; /**< passed to rte_eal_init */
	unsigned int n_eal_args;
	unsigned int workers;			/**< worker lcores (main lcore extra); default 1 */
	unsigned int memory_mb;			/**< 0: EAL default */
	bool no_huge;				/**< run with --no-huge (tests) */
	char file_prefix[SG_CFG_NAME_MAX];	/**< EAL --file-prefix; default "sessiongate" */
	uint32_t mbufs;				/**< mbufs in the pool; default 16383 */
	uint32_t flow_table_size;		/**< flows per worker; default 65536 */
	char telemetry_dir[SG_CFG_DEVARGS_MAX]; /**< EAL runtime dir (telemetry socket); "" =
						   default */
	struct sg_cfg_port ports[SG_CFG_PORTS_MAX];
	unsigned int n_ports;
	struct sg_cfg_control control;
	/** neighbour (ARP/ND) table entries; default 4096 */
	uint32_t neighbours;
	struct sg_cfg_exception exception;
	struct sg_cfg_idle idle;
	struct sg_cfg_cluster cluster;
};

enum sg_cfg_proto {
	SG_CFG_PROTO_TCP = 6,
	SG_CFG_PROTO_UDP = 17,
};

enum sg_cfg_mode {
	SG_CFG_MODE_DSR,      /**< encapsulate to the member's host; member answers directly */
	SG_CFG_MODE_NAT,      /**< full NAT through the data plane */
	SG_CFG_MODE_BROKERED, /**< terminate, hold, hand off (control path) */
	SG_CFG_MODE_REDIRECT, /**< terminate, then L7 redirect (control path) */
};

enum sg_cfg_sched {
	SG_CFG_SCHED_MAGLEV, /**< weighted Maglev consistent hashing (default) */
	SG_CFG_SCHED_WRR,    /**< weighted round robin */
	SG_CFG_SCHED_LC,     /**< weighted least connections */
};

enum sg_cfg_encap {
	SG_CFG_ENCAP_IPIP, /**< IPv4-in-IPv4 / IPv6-in-IPv6 (proto 4 / 41) (default) */
	SG_CFG_ENCAP_GUE,  /**< GUE (UDP) variant 1: inner IP directly after UDP */
};

/** The L7 key a brokered VS extracts from the client's first bytes. */
enum sg_cfg_l7 {
	SG_CFG_L7_NONE,	       /**< no key: the session is brokered on VIP/port alone */
	SG_CFG_L7_HTTP_HOST,   /**< HTTP/1.x Host header */
	SG_CFG_L7_HTTP_PATH,   /**< HTTP/1.x request path */
	SG_CFG_L7_HTTP_COOKIE, /**< value of the cookie named key_name */
	SG_CFG_L7_TLS_SNI,     /**< TLS ClientHello server_name */
	SG_CFG_L7_RDP_COOKIE,  /**< RDP X.224 mstshash / routing token */
	SG_CFG_L7_PREFIX,      /**< the first prefix_len payload bytes */
	SG_CFG_L7_HTTP_HEADER, /**< value of the HTTP/1.x header named key_name */
};

/** What a new brokered session gets while sg-control is absent or its ring full. */
enum sg_cfg_ctl_down {
	SG_CFG_CTL_DOWN_HOLD,	/**< hold it and re-send until the hold timeout */
	SG_CFG_CTL_DOWN_REJECT, /**< answer at once (HTTP 503 or RST) */
};

/** Brokered / redirect settings of a virtual service. */
struct sg_cfg_brokered {
	enum sg_cfg_l7 key;
	char key_name[SG_CFG_NAME_MAX]; /**< cookie name (http_cookie), header name (http_header) */
	uint16_t prefix_len;		/**< bytes (prefix); default 16, at most 160 */
	uint32_t hold_timeout_ms;	/**< default 30000 */
	uint32_t hold_bytes;		/**< per session; default 16384 */
	uint32_t max_held;		/**< sessions of this VS per worker; default 1024 */
	enum sg_cfg_ctl_down control_down;
	uint16_t retry_after_s; /**< HTTP 503 Retry-After on a local reject; default 5 */
};

/** SYN proxy of a nat TCP virtual service (doc/sessions.md, "SYN proxy"). */
enum sg_cfg_syn_proxy {
	SG_CFG_SYN_PROXY_OFF,  /**< SYNs go to the member as they are (default) */
	SG_CFG_SYN_PROXY_ON,   /**< every SYN answered with a SYN cookie */
	SG_CFG_SYN_PROXY_AUTO, /**< on above a SYN rate or table fill, off again below */
};

/** One pool member (a backend, usually a VM). */
struct sg_cfg_member {
	char name[SG_CFG_NAME_MAX];
	struct sg_cfg_addr addr;	 /**< the member's own (service) address */
	uint16_t port;			 /**< service port; 0 = the VS port */
	uint32_t weight;		 /**< 0..1000, default 1; 0 = drain (no new flows) */
	struct sg_cfg_addr host;	 /**< DSR: underlay address of its host; family 0 = addr */
	uint16_t check_port;		 /**< health checks: port; 0 = health_check.port */
	struct sg_cfg_addr check_source; /**< health checks: source; family 0 = the pool's */
};

/** Active health check of a pool's members (doc/configuration.md, "Health checks"). */
enum sg_cfg_check_type {
	SG_CFG_CHECK_NONE = 0, /**< no active check (default): members count as up */
	SG_CFG_CHECK_TCP,      /**< connect */
	SG_CFG_CHECK_HTTP,     /**< request, status range, optional body match */
	SG_CFG_CHECK_HTTPS,    /**< as http, over TLS (certificate not verified unless ca set) */
	SG_CFG_CHECK_UDP,      /**< send a payload, expect an answer (optionally matching) */
};

#define SG_CFG_CHECK_TEXT_MAX 256 /**< path, host, body match, udp payloads incl. NUL */

struct sg_cfg_health_check {
	enum sg_cfg_check_type type;
	uint32_t interval_ms; /**< default 2000 */
	uint32_t timeout_ms;  /**< default 1000, < interval */
	uint32_t rise;	      /**< consecutive successes that make a down member up; default 2 */
	uint32_t fall;	      /**< consecutive failures that make an up member down; default 3 */
	uint16_t port;	      /**< 0 = the member's service port (or the VS port) */
	struct sg_cfg_addr source; /**< family 0: the kernel picks (the port's address) */
	/* http / https */
	char method[16];			/**< default "GET" */
	char path[SG_CFG_CHECK_TEXT_MAX];	/**< default "/" */
	char host[SG_CFG_CHECK_TEXT_MAX];	/**< Host header; "" = the member address */
	uint16_t status_min, status_max;	/**< expected status range; default 200..399 */
	char body_match[SG_CFG_CHECK_TEXT_MAX]; /**< substring of the body; "" = any */
	char ca_file[SG_CFG_CHECK_TEXT_MAX];	/**< https: verify against it; "" = no verify */
	/* udp */
	char send[SG_CFG_CHECK_TEXT_MAX];   /**< payload (default "ping") */
	char expect[SG_CFG_CHECK_TEXT_MAX]; /**< substring of the answer; "" = any answer */
};

/** Passive detection (outlier ejection) of a pool's members. */
struct sg_cfg_passive {
	uint32_t consecutive_failures; /**< validated connect failures; 0 = off; default 5 */
	uint32_t ejection_s;	       /**< base ejection time, doubled per re-ejection; 30 */
	uint32_t max_ejected_pct;      /**< never eject more of the pool than this; 50 */
};

struct sg_cfg_pool {
	char name[SG_CFG_NAME_MAX];
	struct sg_cfg_member *members;
	unsigned int n_members;
	struct sg_cfg_health_check check;
	struct sg_cfg_passive passive;
};

/** What a new flow of a VS gets when its pool has no live member. */
enum sg_cfg_no_member {
	SG_CFG_NO_MEMBER_DROP = 0, /**< dropped and counted (default) */
	SG_CFG_NO_MEMBER_RESET,	   /**< TCP: RST; UDP: ICMP port unreachable */
	SG_CFG_NO_MEMBER_FALLBACK, /**< scheduled on fallback_pool's live members */
};

/** A virtual service: VIP + port + protocol -> pool. */
struct sg_cfg_vs {
	char name[SG_CFG_NAME_MAX];
	struct sg_cfg_addr vip;
	uint16_t port;
	enum sg_cfg_proto proto;
	enum sg_cfg_mode mode;
	enum sg_cfg_sched scheduler;
	enum sg_cfg_encap encap;	 /**< dsr only */
	uint16_t gue_port;		 /**< dsr+gue: UDP port, default SG_WIRE_GUE_PORT */
	unsigned int pool;		 /**< index into sg_cfg.pools */
	uint32_t maglev_size;		 /**< prime, default 65537 */
	uint32_t max_flows;		 /**< per worker; 0 = no VS limit (table limit applies) */
	uint32_t tcp_timeout_s;		 /**< established TCP idle, default 300 */
	uint32_t tcp_transitory_s;	 /**< SYN/FIN/RST states, default 30 */
	uint32_t udp_timeout_s;		 /**< UDP idle, default 60 */
	struct sg_cfg_brokered brokered; /**< brokered / redirect modes only */
	enum sg_cfg_syn_proxy syn_proxy; /**< nat + tcp (dsr: with handoff); default off */
	uint32_t syn_proxy_rate;	 /**< auto: SYN/s to this VS that turn it on */
	uint32_t syn_proxy_fill_pct;	 /**< auto: flow-table / NAT-port fill that turns it on */
	uint32_t syn_proxy_hold_s;	 /**< auto: seconds calm before it turns off */
	bool syn_proxy_handoff; /**< syn_proxy_dsr: handoff (dsr members run sg-hostagent) */
	enum sg_cfg_no_member no_live_member; /**< default drop */
	unsigned int fallback_pool;	      /**< index into sg_cfg.pools (fallback only) */
};

/** Local source addresses for NAT mode (the data plane answers ARP/ND for them). */
struct sg_cfg_nat {
	struct sg_cfg_addr addrs[SG_CFG_NAT_ADDRS_MAX];
	unsigned int n_addrs;
	uint16_t port_min; /**< default 1024 */
	uint16_t port_max; /**< default 65535 */
};

struct sg_cfg {
	char path[SG_CFG_DEVARGS_MAX]; /**< file it was loaded from */
	struct sg_cfg_appliance appliance;
	struct sg_cfg_vs *vs;
	unsigned int n_vs;
	struct sg_cfg_pool *pools;
	unsigned int n_pools;
	struct sg_cfg_nat nat;
};

/** Where and why a file was rejected. */
struct sg_cfg_error {
	char file[SG_CFG_DEVARGS_MAX];
	unsigned int line;   /**< 1-based; 0 when not tied to a place */
	unsigned int column; /**< 1-based */
	char key[128];	     /**< dotted path of the key, e.g. "virtual_services[2].pool" */
	char msg[256];
};

/**
 * Load, parse and validate a configuration file.
 *
 * @param path  YAML file.
 * @param out   Set to a new configuration on success.
 * @param err   Filled on failure (may be NULL).
 * @return 0, or -EINVAL (bad content), -ENOENT/-EACCES (open), -EFBIG (too
 *   large), -ENOMEM.
 */
int sg_cfg_load_file(const char *path, struct sg_cfg **out, struct sg_cfg_error *err);

/** As sg_cfg_load_file() from a buffer; @p name is used in errors. */
int sg_cfg_load_buffer(const char *buf, size_t len, const char *name, struct sg_cfg **out,
		       struct sg_cfg_error *err);

/** Free a configuration (NULL is fine). */
void sg_cfg_free(struct sg_cfg *cfg);

/**
 * Format an error as "file:line:col: key: message" into @p buf.
 * @return @p buf.
 */
char *sg_cfg_error_format(const struct sg_cfg_error *err, char *buf, size_t len);

/** Text of an address ("198.18.0.1", "2001:2::1/64") into buf; returns buf. */
char *sg_cfg_addr_format(const struct sg_cfg_addr *a, char *buf, size_t len);

/** Names of enum values as written in YAML. */
const char *sg_cfg_mode_name(enum sg_cfg_mode m);
const char *sg_cfg_sched_name(enum sg_cfg_sched s);
const char *sg_cfg_proto_name(enum sg_cfg_proto p);

/* Added after the first contract: */

/** Name of an encapsulation as written in YAML ("ipip", "gue"). */
const char *sg_cfg_encap_name(enum sg_cfg_encap e);

/** Fill @p b with the defaults of a virtual service's "brokered" map. */
void sg_cfg_brokered_defaults(struct sg_cfg_brokered *b);

/** Names of the brokered settings as written in YAML. */
const char *sg_cfg_l7_name(enum sg_cfg_l7 k);
const char *sg_cfg_ctl_down_name(enum sg_cfg_ctl_down d);

/** Name of a health check type as written in YAML ("none" for SG_CFG_CHECK_NONE). */
const char *sg_cfg_check_type_name(enum sg_cfg_check_type t);

/** Name of a no_live_member action as written in YAML ("drop", "reset", "fallback"). */
const char *sg_cfg_no_member_name(enum sg_cfg_no_member m);

/**
 * Write @p cfg as a complete YAML configuration with every default made
 * explicit (sg-config-check --dump). Loading the output gives an equal
 * configuration. @return 0 or -EIO.
 */
int sg_cfg_dump(const struct sg_cfg *cfg, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* SG_CFG_H */
