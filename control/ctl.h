/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sg-control internals: the objects every part of the control path shares
 * (configuration, virtual applications, pools, VMs, hosts, controlling
 * sessions) and the entry points of each part. doc/control.md describes
 * the design; each part lives in its own file:
 *
 *  ctl_cfg.c    YAML schema of sg-control (on the config library's helpers)
 *  shm.c        the shared-memory ring channel to sg-dataplane
 *  broker.c     virtual-application matching and admission
 *  csm.c        controlling-session manager (state machine, timeouts)
 *  vm.c         VM selection, start, idle stop
 *  bus.c        service bus (providers, fair request queues, events)
 *  sessiondb.c  the LMDB session database
 *  agent.c      the host-agent TCP endpoint
 *  admin.c      admin API (Unix socket, JSON)
 *  metrics.c    Prometheus text endpoint
 */
#ifndef SG_CTL_H
#define SG_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

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

struct event_base;
struct sg_ctl;

/* ---------------------------------------------------------------- config */

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
	uint8_t family; /**< 4 or 6 */
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
	uint8_t addr[16]; /**< underlay address (DSR) */
};

struct sg_ctl_user_cfg {
	char name[SG_CTL_NAME_MAX];
	unsigned int vm; /**< index in cfg.vms */
};

struct sg_ctl_cfg {
	char shm_name[SG_CTL_NAME_MAX];
	char admin_socket[SG_CTL_PATH_MAX];
	char db_dir[SG_CTL_PATH_MAX];
	char agent_key_file[SG_CTL_PATH_MAX];
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
};

/** Defaults for every optional key. */
void sg_ctl_cfg_defaults(struct sg_ctl_cfg *cfg);
/** Load and validate @p path; on error fill @p err ("file:line:col: key: what"). */
int sg_ctl_cfg_load(const char *path, struct sg_ctl_cfg *cfg, char *err, size_t errlen);
/** Re-read the file of @p c: tunables change at once, structure needs a restart. */
int sg_ctl_reload(struct sg_ctl *c, char *err, size_t errlen);
/** Cross-checks after loading or building a config by hand. */
int sg_ctl_cfg_check(const struct sg_ctl_cfg *cfg, char *err, size_t errlen);

/* ---------------------------------------------------------------- objects */

enum sg_ctl_vm_state {
	SG_CTL_VM_UNKNOWN = 0, /**< no agent has reported it yet */
	SG_CTL_VM_STOPPED,
	SG_CTL_VM_STARTING,
	SG_CTL_VM_RUNNING,
	SG_CTL_VM_STOPPING,
	SG_CTL_VM_FAILED,
	SG_CTL_VM_STATE_MAX
};

enum sg_ctl_cs_state {
	SG_CTL_CS_NEW = 0,
	SG_CTL_CS_NEGOTIATING, /**< admitted, queued for a slot in the execution queue */
	SG_CTL_CS_WAITING,     /**< waiting for its VM to run */
	SG_CTL_CS_READY,       /**< placed, INSTALL not yet delivered to the ring */
	SG_CTL_CS_INSTALLED,
	SG_CTL_CS_CLOSED,
	SG_CTL_CS_FAILED,
	SG_CTL_CS_STATE_MAX
};

TAILQ_HEAD(sg_ctl_cs_list, sg_ctl_cs);

struct sg_ctl_app {
	const struct sg_ctl_app_cfg *cfg;
	uint64_t id;		     /**< persistent application ID */
	uint64_t domain_id;	     /**< its domain (0 = none) */
	uint32_t n_exec;	     /**< ready + installed */
	uint32_t n_wait;	     /**< negotiating + waiting */
	struct sg_ctl_cs_list queue; /**< NEGOTIATING sessions, FIFO */
	uint64_t rejects[SG_MSG_REASON_MAX];
	uint64_t installs;
};

struct sg_ctl_host {
	const struct sg_ctl_host_cfg *cfg;
	uint64_t id;
	struct sg_ctl_agent_conn *agent; /**< NULL while no agent is connected */
	unsigned int provider;		 /**< its VM-manager provider on the bus */
	uint64_t provider_id;
};

struct sg_ctl_vm {
	const struct sg_ctl_vm_cfg *cfg;
	uint64_t id;	       /**< persistent VM ID */
	uint64_t component_id; /**< the component it serves (idmgr reference ID) */
	struct sg_ctl_host *host;
	uint8_t state; /**< enum sg_ctl_vm_state */
	bool stop_requested;
	uint32_t n_sessions;	/**< ready + installed on it */
	uint32_t n_reserved;	/**< WAITING sessions that will run on it */
	uint64_t idle_since_ns; /**< running with no session since */
	uint64_t starts, stops, failures;
	struct sg_ctl_cs_list waiters; /**< WAITING sessions */
};

struct sg_ctl_pool {
	const struct sg_ctl_pool_cfg *cfg;
	uint64_t storage_id;	      /**< 0 = none */
	uint64_t storage_provider_id; /**< its storage-manager provider */
	struct sg_ctl_vm **vms;
	unsigned int n_vms;
};

/** A controlling session: one per streaming session. */
struct sg_ctl_cs {
	uint64_t session_id;	     /**< streaming session (data plane) */
	uint64_t ctl_id;	     /**< controlling session */
	uint64_t user_session_id;    /**< user session */
	uint64_t service_session_id; /**< key of the relationship row */
	uint64_t user_id;
	uint64_t t_new_ns;    /**< SESSION_NEW seen (latency) */
	uint64_t deadline_ns; /**< of the current waiting state */
	uint64_t created_ms;  /**< wall clock, for operators */
	uint16_t worker;
	uint8_t state;
	uint8_t reason; /**< last reject/close reason */
	bool dirty;	/**< rows to write at the next commit */
	bool doomed;	/**< rows to delete at the next commit, then freed */
	bool queued;	/**< on the change list */
	bool stored;	/**< rows exist in the DB */
	bool in_tlist;
	struct sg_msg_flow flow;
	uint8_t key_type;
	uint16_t key_len;
	uint8_t key[SG_MSG_KEY_MAX];
	char user[SG_CTL_NAME_MAX];
	struct sg_ctl_app *app;
	struct sg_ctl_vm *vm;
	uint64_t providers[SG_CTL_PROVIDERS_MAX];
	uint8_t n_providers;
	struct sg_ctl_cs *hnext;  /**< hash chain by session_id */
	struct sg_ctl_cs *dnext;  /**< change list */
	TAILQ_ENTRY(sg_ctl_cs) q; /**< app queue or VM waiters */
	TAILQ_ENTRY(sg_ctl_cs) t; /**< timeout list of its state */
};

/* ---------------------------------------------------------------- counters */

enum sg_ctl_invalid {
	SG_CTL_INV_SIZE = 0,  /**< -EMSGSIZE */
	SG_CTL_INV_VERSION,   /**< -EPROTONOSUPPORT */
	SG_CTL_INV_TYPE,      /**< -EBADMSG */
	SG_CTL_INV_FIELD,     /**< -EPROTO */
	SG_CTL_INV_DIRECTION, /**< a ctl->dp type on a dp->ctl ring */
	SG_CTL_INV_MAX
};

#define SG_CTL_LAT_BUCKETS 16

struct sg_ctl_stats {
	uint64_t msgs_in[SG_MSG_TYPE_MAX];
	uint64_t msgs_out[SG_MSG_TYPE_MAX];
	uint64_t invalid[SG_CTL_INV_MAX];
	uint64_t seq_gaps;
	uint64_t ring_full;	 /**< enqueue refused: message kept for a retry */
	uint64_t out_dropped;	 /**< retry list full: session failed */
	uint64_t dup_new;	 /**< SESSION_NEW for a known session */
	uint64_t unknown_closed; /**< SESSION_CLOSED for no known session */
	uint64_t rejects[SG_MSG_REASON_MAX];
	uint64_t timeouts[SG_CTL_CS_STATE_MAX];
	uint64_t setups; /**< sessions installed */
	uint64_t closed;
	uint64_t vm_starts, vm_stops, vm_start_failures;
	uint64_t dp_attaches, dp_restarts, resyncs_sent;
	uint64_t db_commits, db_errors, db_map_grows;
	uint64_t id_errors; /**< idmgr refused an ID: a local one was used */
	uint64_t lat_bucket[SG_CTL_LAT_BUCKETS + 1]; /**< setup latency histogram, +Inf last */
	double lat_sum_s;
};

/** Upper bounds (seconds) of the latency histogram buckets. */
extern const double sg_ctl_lat_bounds[SG_CTL_LAT_BUCKETS];

struct sg_ctl_vs_stats {
	uint64_t held, installed, rejected;
	uint64_t updated_ms;
};

/* ---------------------------------------------------------------- the daemon */

struct sg_ctl_shm;
struct sg_ctl_db;
struct sg_ctl_bus;
struct sg_ctl_agent_srv;
struct sg_ctl_ids;
struct sg_ctl_admin;
struct sg_ctl_metrics;

struct sg_ctl {
	struct sg_ctl_cfg *cfg;
	struct event_base *base;
	uint64_t now_ns; /**< monotonic, refreshed per event */
	struct sg_ctl_app apps[SG_CTL_APPS_MAX];
	struct sg_ctl_pool pools[SG_CTL_POOLS_MAX];
	struct sg_ctl_vm vms[SG_CTL_VMS_MAX];
	struct sg_ctl_host hosts[SG_CTL_HOSTS_MAX];
	/* controlling sessions by streaming session ID */
	struct sg_ctl_cs **htab;
	uint32_t hmask;
	uint32_t n_cs;
	uint32_t n_state[SG_CTL_CS_STATE_MAX];
	struct sg_ctl_cs_list tlist[SG_CTL_CS_STATE_MAX]; /**< per state, deadline order */
	struct sg_ctl_cs *changed; /**< sessions to write or delete at the next commit */
	uint64_t dispatch_pools;   /**< pools with a freed slot: place queued sessions */
	struct sg_ctl_vs_stats vs[256];
	bool draining;
	uint64_t next_local_id;
	uint64_t last_epoch;
	uint64_t net_provider_id;
	unsigned int net_provider;
	struct sg_ctl_shm *shm;
	struct sg_ctl_db *db;
	struct sg_ctl_bus *bus;
	struct sg_ctl_agent_srv *agents;
	struct sg_ctl_ids *ids;
	struct sg_ctl_admin *admin;
	struct sg_ctl_metrics *metrics;
	const char *cfg_path; /**< for reload */
	struct sg_ctl_stats st;
};

/* Kinds of IDs (top byte of a local ID; see doc/control.md). */
enum sg_ctl_id_kind {
	SG_CTL_ID_CONTROLLING = 1,
	SG_CTL_ID_USER_SESSION,
	SG_CTL_ID_SERVICE_SESSION,
	SG_CTL_ID_APP,
	SG_CTL_ID_VM,
	SG_CTL_ID_HOST,
	SG_CTL_ID_PROVIDER,
	SG_CTL_ID_USER,
	SG_CTL_ID_COMPONENT,
	SG_CTL_ID_DOMAIN,
	SG_CTL_ID_STORAGE,
};

/* ctl.c: lifecycle shared by the daemon, the tests and the bench */
/* ids.c: identities (idmgr when control.idmgr_dir is set, else local). */
int sg_ctl_ids_open(struct sg_ctl *c);
void sg_ctl_ids_close(struct sg_ctl *c);
/** Register the configured users and their ASSIGNED edges (open, reload). */
int sg_ctl_ids_users(struct sg_ctl *c);
void sg_ctl_ids_release(struct sg_ctl *c, const struct sg_ctl_cs *cs);
struct sg_id_store;
/** The identity store (NULL without idmgr), for tests and tools. */
struct sg_id_store *sg_ctl_ids_store(struct sg_ctl *c);
void sg_ctl_ids_set_lease(struct sg_ctl *c, bool lease);
/** "type#serial" */
int sg_ctl_id_text(uint64_t id, char *buf, size_t len);
uint64_t sg_ctl_id_new(struct sg_ctl *c, unsigned int kind);
uint64_t sg_ctl_id_named(unsigned int kind, const char *name);
uint64_t sg_ctl_user_id(struct sg_ctl *c, const char *user);
/** The user's VM from the identity relations, or NULL. */
struct sg_ctl_vm *sg_ctl_user_vm(struct sg_ctl *c, const char *user);
/** Attach check, ring poll (up to @p budget messages), dispatch, commit. */
unsigned int sg_ctl_poll(struct sg_ctl *c, unsigned int budget);
/** Timeouts, idle VMs, bus deadlines, commit. */
void sg_ctl_tick(struct sg_ctl *c);
int sg_ctl_init(struct sg_ctl *c, struct sg_ctl_cfg *cfg, struct event_base *base);
void sg_ctl_fini(struct sg_ctl *c);
uint64_t sg_ctl_now_ns(void);
const char *sg_ctl_cs_state_name(unsigned int s);
const char *sg_ctl_vm_state_name(unsigned int s);
const char *sg_ctl_reason_name(unsigned int r);
struct sg_ctl_vm *sg_ctl_vm_by_name(struct sg_ctl *c, const char *name);
struct sg_ctl_host *sg_ctl_host_by_name(struct sg_ctl *c, const char *name);
struct sg_ctl_app *sg_ctl_app_by_name(struct sg_ctl *c, const char *name);
/** Write dirty sessions to the DB, then flush outgoing ring messages. */
int sg_ctl_commit(struct sg_ctl *c);

/* csm.c */
struct sg_ctl_cs *sg_ctl_cs_find(struct sg_ctl *c, uint64_t session_id);
/** Handle one validated dp->ctl message. */
void sg_ctl_csm_on_msg(struct sg_ctl *c, const struct sg_msg *m);
/** Move @p cs to @p state (lists, counters, deadline, dirty). */
void sg_ctl_cs_set_state(struct sg_ctl *c, struct sg_ctl_cs *cs, unsigned int state);
/** End a session that is not installed: send REJECT with @p reason. */
void sg_ctl_cs_reject(struct sg_ctl *c, struct sg_ctl_cs *cs, unsigned int reason);
/** The session holds a running VM slot: send INSTALL. */
void sg_ctl_cs_install(struct sg_ctl *c, struct sg_ctl_cs *cs);
void sg_ctl_cs_engage(struct sg_ctl_cs *cs, uint64_t provider_id);
/** Expire sessions whose waiting state ran past its deadline. */
void sg_ctl_csm_timeouts(struct sg_ctl *c);
/** Re-create a session from the DB after a restart. */
int sg_ctl_csm_restore(struct sg_ctl *c, const struct sg_ctl_cs *saved, const char *app,
		       const char *vm);
/** The data plane restarted: every session it held or installed is gone. */
void sg_ctl_csm_dp_restarted(struct sg_ctl *c);
struct sg_ctl_cs *sg_ctl_cs_alloc(struct sg_ctl *c, uint64_t session_id);

/* broker.c */
struct sg_ctl_app *sg_ctl_broker_match(struct sg_ctl *c, const struct sg_msg_flow *f,
				       uint8_t key_type, const uint8_t *key, uint16_t key_len);
/** Extract the user named by the L7 key (RDP mstshash, cookie value, ...). */
int sg_ctl_broker_user(const struct sg_ctl_app_cfg *app, uint8_t key_type, const uint8_t *key,
		       uint16_t key_len, char *user, size_t userlen);
/** Admit a NEW session: place it, queue it, or reject it. */
void sg_ctl_broker_admit(struct sg_ctl *c, struct sg_ctl_cs *cs);
/** A slot was freed: place queued sessions of apps served by @p pool. */
void sg_ctl_broker_dispatch(struct sg_ctl *c, unsigned int pool);
/** Remove @p cs from every queue and give back what it holds. */
void sg_ctl_broker_release(struct sg_ctl *c, struct sg_ctl_cs *cs);

/* vm.c */
/**
 * Find a place for @p cs in its app's pool. @return 1 placed on a running
 * VM (READY), 0 waiting for a VM start (WAITING), -ENOSPC no VM can take it
 * now (caller queues it), -ENOENT the user's VM is unknown.
 */
int sg_ctl_vm_place(struct sg_ctl *c, struct sg_ctl_cs *cs);
/** An agent reported the state of a VM. */
void sg_ctl_vm_on_state(struct sg_ctl *c, struct sg_ctl_vm *vm, unsigned int state,
			const char *why);
/** Stop VMs idle past their pool's timeout. */
void sg_ctl_vm_idle_check(struct sg_ctl *c);
/** Every VM of @p host becomes UNKNOWN (agent lost). */
void sg_ctl_vm_host_lost(struct sg_ctl *c, struct sg_ctl_host *host);

/* shm.c */
int sg_ctl_shm_open(struct sg_ctl *c, const char *name);
void sg_ctl_shm_close(struct sg_ctl *c);
/** Attach or re-attach when the region (re)appears; @return 1 on a new attach. */
int sg_ctl_shm_check(struct sg_ctl *c);
/** Dequeue and handle up to @p budget messages; @return the number handled. */
unsigned int sg_ctl_shm_poll(struct sg_ctl *c, unsigned int budget);
/** Queue a ctl->dp message (sent at the next flush). */
void sg_ctl_shm_send(struct sg_ctl *c, uint16_t worker, struct sg_msg *m);
/** Enqueue queued messages; a full ring keeps them for the next flush. */
void sg_ctl_shm_flush(struct sg_ctl *c);
bool sg_ctl_shm_attached(const struct sg_ctl *c);
uint64_t sg_ctl_shm_epoch(const struct sg_ctl *c);
void sg_ctl_shm_status(const struct sg_ctl *c, uint64_t *epoch, uint32_t *rings, uint64_t *dp_hb,
		       bool *dp_alive, uint32_t *pending);

/* bus.c: the service bus. Providers register with a service type; the bus
 * routes requests to them (at most max_inflight at once each, the rest
 * queued fairly: one FIFO per requester, served round robin) and events to
 * subscribers. */
enum sg_ctl_svc {
	SG_CTL_SVC_VM = 0,  /**< VM manager: a host agent */
	SG_CTL_SVC_NETWORK, /**< network manager: the data plane */
	SG_CTL_SVC_STORAGE,
	SG_CTL_SVC_MONITOR,
	SG_CTL_SVC_MAX
};

enum sg_ctl_req_op {
	SG_CTL_REQ_VM_START = 1,
	SG_CTL_REQ_VM_STOP = 2,
};

struct sg_ctl_req {
	uint32_t op;	    /**< enum sg_ctl_req_op */
	uint32_t requester; /**< fairness class (pool index) */
	uint64_t req_id;    /**< set by the bus */
	uint64_t deadline_ns;
	struct sg_ctl_vm *vm;
};

struct sg_ctl_provider;
/** Deliver @p r to the provider; 0 sent (await sg_ctl_bus_done), <0 failed. */
typedef int (*sg_ctl_provider_send_fn)(struct sg_ctl *c, struct sg_ctl_provider *p,
				       const struct sg_ctl_req *r);

#define SG_CTL_BUS_CLASSES  16
#define SG_CTL_BUS_QLEN	    256 /**< queued requests per class */
#define SG_CTL_BUS_INFLIGHT 16

struct sg_ctl_req_q {
	struct sg_ctl_req q[SG_CTL_BUS_QLEN];
	uint32_t head, n;
};

struct sg_ctl_provider {
	uint64_t id; /**< persistent service-provider ID */
	uint8_t svc; /**< enum sg_ctl_svc */
	bool up;
	char name[SG_CTL_NAME_MAX];
	uint32_t max_inflight;
	uint32_t n_inflight;
	struct sg_ctl_req inflight[SG_CTL_BUS_INFLIGHT];
	struct sg_ctl_req_q *classes; /**< SG_CTL_BUS_CLASSES FIFOs */
	uint32_t rr;
	uint32_t queued;
	uint64_t sent, done, failed, dropped;
	sg_ctl_provider_send_fn send;
	void *ctx;
};

enum sg_ctl_event_type {
	SG_CTL_EV_VM_STATE = 0, /**< vm, state, why */
	SG_CTL_EV_PROVIDER,	/**< provider up/down */
	SG_CTL_EV_REQ_FAILED,	/**< req could not be delivered or timed out */
	SG_CTL_EV_MAX
};

struct sg_ctl_event {
	uint32_t type;
	uint32_t state;
	struct sg_ctl_vm *vm;
	struct sg_ctl_provider *provider;
	const struct sg_ctl_req *req;
	const char *why;
};

typedef void (*sg_ctl_event_fn)(struct sg_ctl *c, const struct sg_ctl_event *ev, void *arg);

int sg_ctl_bus_init(struct sg_ctl *c);
void sg_ctl_bus_fini(struct sg_ctl *c);
/** @return the provider's index, or -ENOSPC/-ENOMEM. */
int sg_ctl_bus_register(struct sg_ctl *c, unsigned int svc, const char *name, uint64_t id,
			uint32_t max_inflight);
struct sg_ctl_provider *sg_ctl_bus_provider(struct sg_ctl *c, unsigned int idx);
unsigned int sg_ctl_bus_count(const struct sg_ctl *c);
/** Provider reachable (agent connected) or not; going down fails what it holds. */
void sg_ctl_bus_set_up(struct sg_ctl *c, unsigned int idx, bool up, sg_ctl_provider_send_fn send,
		       void *ctx);
/** Route a request: sent now, or queued. @return 0, -ENOBUFS (class queue full), -ENOTCONN. */
int sg_ctl_bus_request(struct sg_ctl *c, unsigned int idx, struct sg_ctl_req *r);
/** The provider answered request @p req_id. */
void sg_ctl_bus_done(struct sg_ctl *c, unsigned int idx, uint64_t req_id);
/** Fail in-flight requests past their deadline. */
void sg_ctl_bus_timeouts(struct sg_ctl *c);
int sg_ctl_bus_subscribe(struct sg_ctl *c, unsigned int type, sg_ctl_event_fn fn, void *arg);
void sg_ctl_bus_publish(struct sg_ctl *c, const struct sg_ctl_event *ev);
const char *sg_ctl_svc_name(unsigned int svc);

/* admin.c: admin API, one JSON object per line on a Unix stream socket. */
enum sg_ctl_admin_cmd {
	SG_CTL_ADM_STATUS = 0,
	SG_CTL_ADM_VS,
	SG_CTL_ADM_APPS,
	SG_CTL_ADM_SESSIONS,
	SG_CTL_ADM_SESSION,
	SG_CTL_ADM_VMS,
	SG_CTL_ADM_HOSTS,
	SG_CTL_ADM_PROVIDERS,
	SG_CTL_ADM_DRAIN,
	SG_CTL_ADM_RELOAD,
	SG_CTL_ADM_IDENTITIES,
	SG_CTL_ADM_CMD_MAX
};

#define SG_CTL_ADMIN_REQ_MAX   4096 /**< bytes in one request line */
#define SG_CTL_ADMIN_LIMIT_MAX 100000

struct sg_ctl_admin_req {
	unsigned int cmd;
	/* sessions filters ("" / -1 = any) */
	int state;
	char app[SG_CTL_NAME_MAX];
	char vm[SG_CTL_NAME_MAX];
	char user[SG_CTL_NAME_MAX];
	uint32_t limit;
	/* session: a streaming, controlling, user or service session ID */
	uint64_t id;
	/* drain */
	bool on;
	/* identities: a name or ID to look up, "" = all */
	char name[SG_CTL_NAME_MAX];
};

/**
 * Parse and validate one request line. @return 0, or -EINVAL with @p err
 * naming the field and what is expected.
 */
int sg_ctl_admin_parse(const char *buf, size_t len, struct sg_ctl_admin_req *req, char *err,
		       size_t errlen);
const char *sg_ctl_admin_cmd_name(unsigned int cmd);
/** Run a request; @return a JSON text (malloc'd, one line) the caller frees. */
char *sg_ctl_admin_exec(struct sg_ctl *c, const struct sg_ctl_admin_req *req);
int sg_ctl_admin_listen(struct sg_ctl *c, const char *path);
void sg_ctl_admin_close(struct sg_ctl *c);

/* metrics.c: Prometheus text format. */
/** Render every metric into a malloc'd buffer. */
char *sg_ctl_metrics_render(struct sg_ctl *c, size_t *len);
int sg_ctl_metrics_listen(struct sg_ctl *c, const char *hostport);
void sg_ctl_metrics_close(struct sg_ctl *c);

/* agent.c: the host-agent endpoint (include/sessiongate/sg_agent_proto.h). */
int sg_ctl_agent_listen(struct sg_ctl *c);
void sg_ctl_agent_close(struct sg_ctl *c);

/* ctl.c: called by shm.c on every (re)attach */
void sg_ctl_on_dp_attach(struct sg_ctl *c, uint64_t epoch);

/* sessiondb.c: the LMDB session database (streaming, controlling, user and
 * relationship tables, plus meta). Writes are batched: sg_ctl_db_commit()
 * writes every dirty session and deletes every doomed one in one
 * transaction, before the messages they caused leave for the ring. */
int sg_ctl_db_open(struct sg_ctl *c, const char *dir, uint32_t map_mb);
void sg_ctl_db_close(struct sg_ctl *c);
int sg_ctl_db_commit(struct sg_ctl *c);
void sg_ctl_db_sync(struct sg_ctl *c);
/** Re-create every stored session (sg_ctl_csm_restore). @return sessions restored. */
int sg_ctl_db_load(struct sg_ctl *c);
int sg_ctl_db_meta_get(struct sg_ctl *c, const char *key, uint64_t *val);
int sg_ctl_db_meta_put(struct sg_ctl *c, const char *key, uint64_t val);
/** Rows per table: streaming, controlling, user, relationship. */
int sg_ctl_db_counts(struct sg_ctl *c, uint64_t counts[4]);

#endif /* SG_CTL_H */
