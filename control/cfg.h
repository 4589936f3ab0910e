/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sg-control configuration: the structs every module reads (cfg.c:
 * defaults and cross-checks; cfg_yaml.c: the YAML schema and reload).
 */
#ifndef SG_CTL_CFG_H
#define SG_CTL_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sessiongate/sg_msg.h"
#include "sg_token_lib.h"

#define SG_CTL_NAME_MAX	     64
#define SG_CTL_PATH_MAX	     256
#define SG_CTL_APPS_MAX	     256
#define SG_CTL_POOLS_MAX     64
#define SG_CTL_VMS_MAX	     1024
#define SG_CTL_HOSTS_MAX     256
#define SG_CTL_USERS_MAX     4096
#define SG_CTL_PROVIDERS_MAX 8 /**< providers one controlling session may engage */
#define SG_CTL_SESSIONS_MAX  (1u << 22)

enum sg_ctl_match {
	SG_CTL_MATCH_ANY = 0, /**< L4 only: VIP, port, protocol */
	SG_CTL_MATCH_HTTP_HOST,
	SG_CTL_MATCH_HTTP_PATH,
	SG_CTL_MATCH_HTTP_COOKIE,
	SG_CTL_MATCH_TLS_SNI,
	SG_CTL_MATCH_RDP_COOKIE,
	SG_CTL_MATCH_PREFIX,
	SG_CTL_MATCH_HTTP_HEADER, /**< value: the header's name; the key is "Name: value" */
	SG_CTL_MATCH_MAX
};

/** Who may use an application (apps[].auth.mode). */
enum sg_ctl_auth_mode {
	SG_CTL_AUTH_ANONYMOUS = 0, /**< anyone; placement by pool (and affinity) as before */
	SG_CTL_AUTH_TOKEN,	   /**< a valid token of the app (sg_token.h) */
};

/**
 * What a session without a valid token gets (apps[].auth.on_fail); a valid
 * token the graph refuses is always answered FORBIDDEN.
 */
enum sg_ctl_auth_fail {
	SG_CTL_AUTH_FAIL_FORBID = 0, /**< SG_MSG_REASON_FORBIDDEN: HTTP 403, else RST */
	SG_CTL_AUTH_FAIL_LOGIN,	     /**< SG_MSG_REASON_LOGIN: HTTP 302 to login_url, else RST */
};

/**
 * apps[].auth: tokens and access from the relationship graph
 * (doc/control.md "Authenticated applications"). YAML:
 *   auth: { mode: token, keys: [{id: 2, file: PATH}, {id: 1, file: PATH}],
 *           on_fail: forbid|login, login_url: URL, graph: true }
 * The first key listed signs (sgctl token mint); every key listed verifies.
 * Keys and on_fail change on reload; mode needs a restart.
 */
struct sg_ctl_app_auth {
	uint8_t mode;	 /**< enum sg_ctl_auth_mode */
	uint8_t on_fail; /**< enum sg_ctl_auth_fail */
	/**
	 * Token apps: the session is placed only where idmgr's graph allows: the
	 * user subscribes to the app, and the VM is one idmgr resolves as serving
	 * the user for the app (assigned + served_by), in the address tree under
	 * a host whose agent is up. Default true with control.idmgr_dir set;
	 * false: the token alone decides, placement by pool.
	 */
	bool graph;
	char login_url[SG_MSG_LOCATION_MAX]; /**< on_fail: login (0x21-0x7e) */
	struct sg_token_key keys[SG_TOKEN_KEYS_MAX];
	unsigned int n_keys;
};

/**
 * apps[].qos: limits and accounting (doc/control.md "QoS and usage").
 * YAML: qos: { user_sessions: N, rate_bps: N, burst_bytes: N, usage_interval_s: N }
 * A user's idmgr attributes "qos.user_sessions" and "qos.rate_bps" (sgid
 * attr set) override the app's for that user. All change on reload.
 */
struct sg_ctl_app_qos {
	uint32_t user_sessions;	   /**< sessions one user holds at once in the app; 0 = unlimited */
	uint32_t rate_bps;	   /**< bytes/s each way per session (data plane); 0 = unlimited */
	uint32_t burst_bytes;	   /**< 0: rate_bps / 10, at least 64 KiB */
	uint32_t usage_interval_s; /**< interim usage records of long sessions; 0 = at close only */
};

struct sg_ctl_app_cfg {
	char name[SG_CTL_NAME_MAX];
	uint8_t family; /**< SG_WIRE_FAMILY_V4 or _V6 (sg_wire.h) */
	uint8_t proto;	/**< 6 or 17 */
	uint16_t port;
	uint8_t vip[16];
	uint8_t match; /**< enum sg_ctl_match */
	uint8_t mode;  /**< enum sg_msg_install_mode */
	bool affinity; /**< the L7 key names a user: prefer the user's VM */
	uint16_t backend_port;
	uint16_t value_len;
	char value[SG_MSG_KEY_MAX + 1]; /**< match value (host, path prefix, cookie name, ...) */
	uint32_t exec_limit;		/**< sessions served at once (ready + installed) */
	uint32_t wait_limit;		/**< sessions waiting at once */
	unsigned int pool;		/**< index in cfg.pools */
	char domain[SG_CTL_NAME_MAX];	/**< application domain ("" = none) */
	uint8_t on_vm_down;	  /**< SG_MSG_ABORT_RESET (0 too) or _DRAIN: installed sessions
				       of a VM that went down */
	uint32_t vm_down_drain_s; /**< on_vm_down: drain: reset after this (0 = never) */
	struct sg_ctl_app_auth auth;
	struct sg_ctl_app_qos qos;
	uint8_t origin; /**< enum sg_ctl_origin */
	bool retiring;	/**< removed: kept until its last session ended (inventory.c) */
};

/**
 * Where an object of the inventory comes from. Objects added with sgctl
 * (app|vm|host add) live in <db_dir>/inventory.json and survive restarts
 * and reloads; sgctl removes only those; the YAML's objects change by
 * editing the file and reloading (doc/control.md "Changing the inventory").
 */
enum sg_ctl_origin {
	SG_CTL_ORIGIN_FILE = 0, /**< the YAML file */
	SG_CTL_ORIGIN_RUNTIME,	/**< sgctl, kept in <db_dir>/inventory.json */
};

/**
 * Slots: cfg.apps, .vms, .hosts and .pools keep every object at the index
 * it was given (sessions, VMs and apps refer to each other by index), so a
 * removed object leaves a free slot (name[0] == '\0') that a later add may
 * reuse; n_apps, n_vms, n_hosts, n_pools are high-water marks. Every loop
 * over them skips free slots: SG_CTL_SLOT_FREE(&cfg->vms[i]).
 */
#define SG_CTL_SLOT_FREE(o) ((o)->name[0] == '\0')

struct sg_ctl_vm_cfg {
	char name[SG_CTL_NAME_MAX];
	unsigned int host; /**< index in cfg.hosts */
	unsigned int pool; /**< index in cfg.pools */
	uint8_t family;
	uint8_t addr[16];
	uint8_t origin; /**< enum sg_ctl_origin */
	/**
	 * The host agent's template (its YAML templates[].name) that defines the
	 * domain: sg-control pushes the VM to its host's agent (VM_DEFINE).
	 * "" = nothing pushed: the VM is in the agent's own YAML inventory.
	 */
	char template_name[SG_CTL_NAME_MAX];
	uint16_t port; /**< service port (probe, app_check); default 80 */
	uint8_t proto; /**< 6 or 17; default 6 */
	bool probe;    /**< TCP probe before running; default true with a template */
	bool retiring; /**< removed: stopped once idle, then forgotten (inventory.c) */
};

/** What a VM idle for idle_stop_ms gets (pools[].idle_action). */
enum sg_ctl_idle_action {
	SG_CTL_IDLE_STOP = 0, /**< shut down: the next session cold-boots it */
	SG_CTL_IDLE_SAVE,     /**< managed save: the next session resumes it */
};

struct sg_ctl_pool_cfg {
	char name[SG_CTL_NAME_MAX];
	uint32_t session_cap;	       /**< sessions per VM */
	uint32_t idle_stop_ms;	       /**< stop a VM idle this long; 0 = never */
	uint8_t idle_action;	       /**< enum sg_ctl_idle_action; default stop */
	uint32_t starts_inflight;      /**< VM starts at once per host agent */
	uint32_t restart_backoff_ms;   /**< a failed VM startable again after; 0 = never */
	uint32_t restart_max;	       /**< failures in 10 min that quarantine a VM */
	char storage[SG_CTL_NAME_MAX]; /**< storage its VMs use ("" = none) */
	uint8_t origin;		       /**< enum sg_ctl_origin */
	bool retiring; /**< removed: freed once no app or VM slot names it (inventory.c) */
};

struct sg_ctl_host_cfg {
	char name[SG_CTL_NAME_MAX];
	uint8_t family;
	uint8_t addr[16];     /**< underlay address (DSR) */
	uint8_t agent_family; /**< source of its agent link; 0 = same as addr */
	uint8_t agent_addr[16];
	uint8_t origin; /**< enum sg_ctl_origin */
	bool retiring;	/**< removed: freed once no VM slot names it (inventory.c) */
};

struct sg_ctl_user_cfg {
	char name[SG_CTL_NAME_MAX];
	unsigned int vm; /**< index in cfg.vms */
};

#define SG_CTL_ETCD_ENDPOINTS_MAX 8
#define SG_CTL_URL_MAX		  128

/** Cluster mode (cluster: in sg-control's YAML; doc/control.md "Cluster mode"). */
struct sg_ctl_cluster_cfg {
	bool enabled;		    /**< a cluster: section is present; else standalone */
	char node[SG_CTL_NAME_MAX]; /**< this sg-control's node name (etcd nodes/<node>) */
	char endpoints[SG_CTL_ETCD_ENDPOINTS_MAX][SG_CTL_URL_MAX]; /**< http://host:port */
	unsigned int n_endpoints;
	char prefix[SG_CTL_URL_MAX]; /**< key prefix; default "/sessiongate" */
	uint32_t lease_ttl_s;	     /**< ownership lease TTL = takeover time; default 5 */
	uint32_t timeout_ms;	     /**< per etcd request; default 1000 */
};

/**
 * Usage records and the access log (top-level usage: in sg-control's YAML).
 * YAML: usage: { path: FILE, max_mb: 64, keep: 8, access_log: FILE }
 */
struct sg_ctl_usage_cfg {
	char path[SG_CTL_PATH_MAX]; /**< usage records, JSON lines; default <db_dir>/usage.jsonl */
	uint32_t max_mb;	    /**< rotate at this size (path.1 .. path.<keep>); default 64 */
	uint32_t keep;		    /**< rotated files kept; default 8 */
	char access_log[SG_CTL_PATH_MAX]; /**< one JSON line per session decision; "" = off */
};

struct sg_ctl_cfg {
	char shm_name[SG_CTL_NAME_MAX];
	char admin_socket[SG_CTL_PATH_MAX];
	char db_dir[SG_CTL_PATH_MAX];
	char agent_key_dir[SG_CTL_PATH_MAX];  /**< <dir>/<host name>.key: each host's key */
	char agent_listen[SG_CTL_NAME_MAX];   /**< host:port; "" = no agents */
	char metrics_listen[SG_CTL_NAME_MAX]; /**< 127.0.0.1:port; "" = off */
	char idmgr_dir[SG_CTL_PATH_MAX];      /**< identity store; "" = local IDs */
	bool idmgr_lease;		      /**< session IDs leased in blocks, not one by one */
	uint32_t db_map_mb;
	uint32_t db_sync_ms; /**< msync the session DB this often; 0 = kernel writeback only */
	uint32_t queue_timeout_ms;    /**< NEGOTIATING (in the waiting queue) */
	uint32_t vm_start_timeout_ms; /**< WAITING for a VM to run */
	uint32_t install_timeout_ms;  /**< READY, INSTALL not yet delivered */
	uint32_t ring_poll_us;	      /**< ring poll interval when idle */
	uint32_t dp_dead_ms;	      /**< data-plane heartbeat stall that marks it down */
	char appliance_config[SG_CTL_PATH_MAX]; /**< appliance YAML (health checks); "" = none */
	/** The data plane's DPDK telemetry socket, scraped for Prometheus; "" = not scraped.
	 * YAML: dataplane_telemetry: PATH (default "" ) */
	char dp_telemetry[SG_CTL_PATH_MAX];
	struct sg_ctl_usage_cfg usage;
	struct sg_ctl_app_cfg apps[SG_CTL_APPS_MAX];
	unsigned int n_apps;
	struct sg_ctl_pool_cfg pools[SG_CTL_POOLS_MAX];
	unsigned int n_pools;
	struct sg_ctl_vm_cfg vms[SG_CTL_VMS_MAX];
	unsigned int n_vms;
	struct sg_ctl_host_cfg hosts[SG_CTL_HOSTS_MAX];
	unsigned int n_hosts;
	struct sg_ctl_user_cfg users[SG_CTL_USERS_MAX];
	unsigned int n_users;
	struct sg_ctl_cluster_cfg cluster;
};

/** Defaults for every optional key. */
void sg_ctl_cfg_defaults(struct sg_ctl_cfg *cfg);
/** Load and validate @p path; on error fill @p err ("file:line:col: key: what"). */
int sg_ctl_cfg_load(const char *path, struct sg_ctl_cfg *cfg, char *err, size_t errlen);
/**
 * Re-read @p path into @p cfg, with the objects added at run time: objects
 * matched by name (sg_ctl_cfg_merge: tunables in place, new ones in free
 * slots, gone ones retiring); what needs a restart or cannot change in
 * place is refused (then @p cfg is unchanged and @p err says why). The
 * running objects follow with sg_ctl_inventory_apply (inventory.h).
 */
int sg_ctl_cfg_reload(struct sg_ctl_cfg *cfg, const char *path, char *err, size_t errlen);
/**
 * Read the optional cluster: section @p n (NULL: standalone) of @p doc into
 * @p out (cfg_cluster.c). @return 0 or -EINVAL with @p err filled.
 */
struct sg_cfg_doc;
struct sg_cfg_node;
struct sg_cfg_error;
int sg_ctl_cfg_cluster(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n,
		       struct sg_ctl_cluster_cfg *out, struct sg_cfg_error *err);
/** The same cluster: section (a change needs a restart). */
bool sg_ctl_cfg_cluster_same(const struct sg_ctl_cluster_cfg *a,
			     const struct sg_ctl_cluster_cfg *b);
/**
 * Read an application's optional auth: and qos: sections of map @p an
 * ("applications[i]" in @p base) into @p a (cfg_auth.c; key files are
 * read). @p idmgr: control.idmgr_dir is set (auth.graph's default).
 * @return 0 or -EINVAL with @p err filled.
 */
int sg_ctl_cfg_app_auth(const struct sg_cfg_doc *doc, const struct sg_cfg_node *an,
			const char *base, bool idmgr, struct sg_ctl_app_cfg *a,
			struct sg_cfg_error *err);
/** A VM's defaults for the keys of cfg_vm.c: no template, port 80, tcp, no probe. */
void sg_ctl_cfg_vm_defaults(struct sg_ctl_vm_cfg *vc);
/**
 * Read VM map @p v's optional template, port, protocol, probe ("pools[i].vms[k]"
 * in @p base) into @p vc (cfg_vm.c); the rest of the VM is the caller's.
 * @return 0 or -EINVAL with @p err filled.
 */
int sg_ctl_cfg_vm_keys(const struct sg_cfg_doc *doc, const struct sg_cfg_node *v, const char *base,
		       struct sg_ctl_vm_cfg *vc, struct sg_cfg_error *err);
/** Read pool map @p pn's optional idle_action (stop|save) into @p pc (cfg_vm.c). */
int sg_ctl_cfg_pool_idle_action(const struct sg_cfg_doc *doc, const struct sg_cfg_node *pn,
				const char *base, struct sg_ctl_pool_cfg *pc,
				struct sg_cfg_error *err);
/** Cross-checks after loading or building a config by hand. */
int sg_ctl_cfg_check(const struct sg_ctl_cfg *cfg, char *err, size_t errlen);

/* ------------------------------------------ the inventory at run time (cfg_merge.c) */

/** The kinds of object an operator adds and removes (sgctl app|vm|host|pool add|remove). */
enum sg_ctl_kind {
	SG_CTL_KIND_APP = 0,
	SG_CTL_KIND_VM,
	SG_CTL_KIND_HOST,
	SG_CTL_KIND_POOL,
	SG_CTL_KIND_MAX
};

/** "application", "vm", "host", "pool". */
const char *sg_ctl_cfg_kind_name(unsigned int kind);
/** Where object @p slot of @p kind comes from (enum sg_ctl_origin). */
uint8_t sg_ctl_cfg_origin(const struct sg_ctl_cfg *cfg, unsigned int kind, unsigned int slot);
/** Whether object @p slot of @p kind is retiring (removed, not yet freed). */
bool sg_ctl_cfg_retiring(const struct sg_ctl_cfg *cfg, unsigned int kind, unsigned int slot);
/** The slot of the object of @p kind named @p name (retiring ones too), or -1. */
int sg_ctl_cfg_find(const struct sg_ctl_cfg *cfg, unsigned int kind, const char *name);
/**
 * Append to the dense @p d the live (not free, not retiring) objects of
 * @p o: all of them, or (@p runtime_only) those added at run time whose
 * name @p d does not define (a name it defines: the file's wins, logged).
 * References (VM -> host, pool; app -> pool; user -> VM) are found again
 * by name in @p d. The object of @p skip_kind named @p skip (NULL: none)
 * is left out; one that names it makes this fail ("named by ...").
 * @return 0 or -EINVAL / -ENOSPC with @p err filled.
 */
int sg_ctl_cfg_append(struct sg_ctl_cfg *d, const struct sg_ctl_cfg *o, bool runtime_only,
		      unsigned int skip_kind, const char *skip, char *err, size_t errlen);
/**
 * Make the objects of @p o those of the dense @p d, matched by name: the
 * same name keeps its slot and takes @p d's values (a VM moved to another
 * host or pool, an app to another pool or with another VIP, port,
 * protocol, match or auth.mode is refused); a new name takes a free slot;
 * a name @p d lacks is marked retiring (inventory.c frees its slot). Users
 * are @p d's. All or nothing. @return 0, -EINVAL or -ENOSPC with @p err.
 */
int sg_ctl_cfg_merge(struct sg_ctl_cfg *o, const struct sg_ctl_cfg *d, char *err, size_t errlen);
/**
 * Parse @p spec, one object of @p kind as a YAML flow map with the keys of
 * the file's (a VM's also "pool"), and append it to the dense @p d with
 * origin RUNTIME (cfg_yaml.c). Errors name "spec:LINE:COL: key: what".
 */
int sg_ctl_cfg_spec(struct sg_ctl_cfg *d, unsigned int kind, const char *spec, char *err,
		    size_t errlen);
/**
 * Read the file @p path into the fresh @p n (as sg_ctl_cfg_load), then
 * check that nothing needing a restart differs from @p o (shm_name,
 * db_dir, listen addresses, cluster). @return 0 or -EINVAL with @p err.
 */
int sg_ctl_cfg_reread(const struct sg_ctl_cfg *o, const char *path, struct sg_ctl_cfg *n, char *err,
		      size_t errlen);
/** Take @p n's tunables that are not objects (timeouts, usage, key dir, ...). */
void sg_ctl_cfg_take_tunables(struct sg_ctl_cfg *o, const struct sg_ctl_cfg *n);

#endif /* SG_CTL_CFG_H */
