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
	SG_CTL_MATCH_MAX
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
};

struct sg_ctl_vm_cfg {
	char name[SG_CTL_NAME_MAX];
	unsigned int host; /**< index in cfg.hosts */
	unsigned int pool; /**< index in cfg.pools */
	uint8_t family;
	uint8_t addr[16];
};

struct sg_ctl_pool_cfg {
	char name[SG_CTL_NAME_MAX];
	uint32_t session_cap;	       /**< sessions per VM */
	uint32_t idle_stop_ms;	       /**< stop a VM idle this long; 0 = never */
	uint32_t starts_inflight;      /**< VM starts at once per host agent */
	char storage[SG_CTL_NAME_MAX]; /**< storage its VMs use ("" = none) */
};

struct sg_ctl_host_cfg {
	char name[SG_CTL_NAME_MAX];
	uint8_t family;
	uint8_t addr[16];     /**< underlay address (DSR) */
	uint8_t agent_family; /**< source of its agent link; 0 = same as addr */
	uint8_t agent_addr[16];
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
 * Re-read @p path into @p cfg: tunables change at once, structure needs a
 * restart (then @p cfg is unchanged and @p err says why).
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
/** Cross-checks after loading or building a config by hand. */
int sg_ctl_cfg_check(const struct sg_ctl_cfg *cfg, char *err, size_t errlen);

#endif /* SG_CTL_CFG_H */
