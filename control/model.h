/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The objects the control path shares as data: virtual applications,
 * pools, VMs, hosts, controlling sessions, and the counters. Each object is
 * changed by the module that owns its concern (broker: app queues; vm:
 * VM state and slots; cs: session state); the others read it.
 */
#ifndef SG_CTL_MODEL_H
#define SG_CTL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "cfg.h"
#include "clock.h"

enum sg_ctl_vm_state {
	SG_CTL_VM_UNKNOWN = 0, /**< no agent has reported it yet */
	SG_CTL_VM_STOPPED,
	SG_CTL_VM_STARTING,
	SG_CTL_VM_RUNNING,
	SG_CTL_VM_STOPPING,
	SG_CTL_VM_FAILED,
	SG_CTL_VM_APP_DOWN, /**< running, but its app port stopped answering (agent's app check) */
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
	uint64_t graph_id;	     /**< its APP object in idmgr; 0 = none */
	uint32_t n_exec;	     /**< ready + installed */
	uint32_t n_wait;	     /**< negotiating + waiting */
	struct sg_ctl_cs_list queue; /**< NEGOTIATING sessions, FIFO */
	uint64_t rejects[SG_MSG_REASON_MAX];
	uint64_t installs;
	/** Removed (sgctl app remove, or gone from the YAML at a reload): takes no new
	 * session; its slot is freed once its last session ended. */
	bool retiring;
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
	/* why it is in its state (sgctl vms), failures and drain (vm.c, vm_drain.c) */
	char why[64];		    /**< the reason of its last state change */
	uint64_t changed_ms;	    /**< wall clock of its last state change; 0 = never */
	bool boot_seen;		    /**< its agent reported it booting since the last start */
	bool quarantined;	    /**< while its sessions are re-brokered: never chosen */
	uint64_t downs;		    /**< left running (or booting) unasked */
	uint64_t down_aborted;	    /**< installed sessions aborted when it went down */
	uint64_t down_rebrokered;   /**< held sessions placed elsewhere when it went down */
	uint64_t down_rejected;	    /**< held sessions nobody could take: rejected VM_DOWN */
	bool draining;		    /**< sgctl drain vm: no new sessions */
	uint64_t drain_deadline_ns; /**< reset what is left then; 0 = none (or done) */
	uint64_t drain_reset;	    /**< sessions reset at its drain deadline */
	/* cluster mode (cluster*.c; standalone: every VM is this node's) */
	bool remote;	     /**< owned by another node, or by none: never started or stopped
				  here; its state comes from its owner's vms/<vm>/state key */
	uint8_t agent_state; /**< the last state its host agent reported to this node */
	uint32_t others;     /**< sessions other nodes hold on it (cap and idle stop) */
	/* real guests (issue 15): saved state, how it started, removal */
	bool saved;		   /**< its agent reports a managed-save image (state SAVED) */
	uint8_t start_kind;	   /**< enum sg_agent_start_kind of its last start */
	uint32_t start_libvirt_ms; /**< its last start: libvirt's create / restore call */
	uint32_t start_ready_ms;   /**< its last start: command to running (agent's clock) */
	uint64_t resumes;	   /**< starts that restored a saved image */
	uint64_t saves;		   /**< idle or sgctl saves done */
	uint32_t start_total_ms;   /**< its last start: request to RUNNING (sg-control's clock) */
	/** Removed: no new session; stopped (or saved) once idle, then forgotten
	 * (VM_UNDEFINE to its agent) and its slot freed. */
	bool retiring;
	/* crash policy (vm_crash.c): a failed VM startable again after a backoff */
	uint32_t crashes;	 /**< failures within SG_CTL_VM_CRASH_WINDOW_MS of the first */
	uint64_t crash_first_ns; /**< the first failure of that window */
	uint64_t restart_at_ns;	 /**< end of its backoff (clock); 0 = none */
	bool restartable;	 /**< failed, backoff over: placement may start it */
	bool crash_loop;	 /**< restart_max failures in the window: only sgctl vm start */
	uint64_t restarts;	 /**< starts after a failure, by placement */
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
	uint8_t reason; /**< last reject/close reason; installed: the SESSION_ABORT's, 0 = none */
	bool dirty;	/**< rows to write at the next commit */
	bool doomed;	/**< rows to delete at the next commit, then freed */
	bool queued;	/**< on the change list */
	bool stored;	/**< rows exist in the DB */
	bool in_tlist;
	bool user_counted; /**< counted in its user's sessions of its app (qos.c) */
	struct sg_msg_flow flow;
	uint8_t key_type;
	uint16_t key_len;
	uint8_t key[SG_MSG_KEY_MAX];
	char user[SG_CTL_NAME_MAX];
	struct sg_ctl_app *app;
	struct sg_ctl_vm *vm;
	uint64_t providers[SG_CTL_PROVIDERS_MAX];
	uint8_t n_providers;
	uint32_t audit_born;	  /**< the last audit token when it was created (audit.c) */
	uint32_t audit_seen;	  /**< the last audit that found it in the data plane */
	uint8_t cl_pub;		  /**< cluster mode: its sessions/<sid> key: 0 none, 1 created,
				       2 written installed (cluster_sess.c) */
	struct sg_ctl_cs *hnext;  /**< hash chain by session_id */
	struct sg_ctl_cs *dnext;  /**< change list */
	TAILQ_ENTRY(sg_ctl_cs) q; /**< app queue or VM waiters */
	TAILQ_ENTRY(sg_ctl_cs) t; /**< timeout list of its state */
	/** Detail of a refusal for the access log (a static string, e.g. the token's error
	 * name); NULL = none. */
	const char *why;
	/* its user's QoS attributes, read once at admission (qos.c) */
	bool qos_read;	   /**< qos_rate_set / qos_rate hold the user's attribute */
	bool qos_rate_set; /**< the user has qos.rate_bps: qos_rate overrides the app's */
	uint32_t qos_rate; /**< bytes/s */
};

/**
 * The inventory: the objects built from the configuration by the wiring
 * (ctl.c). VM and host state is changed by vm.c, the application queues
 * by broker.c; the provider IDs are rewritten once by ids.c when idmgr
 * registers them. Modules receive a pointer to it at init.
 */
struct sg_ctl_inv {
	const struct sg_ctl_cfg *cfg;
	struct sg_ctl_app apps[SG_CTL_APPS_MAX];
	struct sg_ctl_pool pools[SG_CTL_POOLS_MAX];
	struct sg_ctl_vm vms[SG_CTL_VMS_MAX];
	struct sg_ctl_host hosts[SG_CTL_HOSTS_MAX];
	uint64_t dispatch_pools;   /**< pools with a freed slot: place queued sessions */
	unsigned int net_provider; /**< the network manager (data plane) on the bus */
	uint64_t net_provider_id;
};

/**
 * The way back from placement (broker.c, vm.c) to the session manager
 * (csm.c), registered by the wiring: never a call up.
 */
struct sg_ctl_place_hooks {
	/** @p cs holds a running VM slot: install it. */
	void (*install)(void *ctx, struct sg_ctl_cs *cs);
	/** Refuse @p cs with an SG_MSG_REASON_*. */
	void (*reject)(void *ctx, struct sg_ctl_cs *cs, unsigned int reason);
	/** End installed @p cs: SESSION_ABORT (enum sg_msg_abort_action, SG_MSG_REASON_*). */
	void (*abort)(void *ctx, struct sg_ctl_cs *cs, unsigned int action, unsigned int reason,
		      uint32_t deadline_s);
	/** @p cs (WAITING or READY) lost its VM: place it again, or reject it VM_DOWN. */
	void (*rebroker)(void *ctx, struct sg_ctl_cs *cs);
	void *ctx;
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

#define SG_CTL_LAT_BUCKETS     16
#define SG_CTL_VMSTART_BUCKETS 10 /**< vm.c: sg_ctl_vm_start_bounds */

/** Count @p v (seconds) in histogram @p bucket of @p n bounds @p le (+Inf in bucket[n]). */
static inline void
sg_ctl_hist_add(const double *le, unsigned int n, uint64_t *bucket, double *sum, double v)
{
	unsigned int i;

	for (i = 0; i < n && v > le[i]; i++)
		;
	bucket[i]++;
	*sum += v;
}

/** The agent links' defences (agent.c), in the metrics as sg_ctl_agent_*_total. */
struct sg_ctl_agent_stats {
	uint64_t refused_addr;	    /**< connection from no configured host's address */
	uint64_t unauth_full;	    /**< no unauthenticated slot (global or per source) */
	uint64_t handshake_timeout; /**< handshake not done by its absolute deadline */
	uint64_t auth_failures;	    /**< wrong key, unknown host, HOST not of the source */
	uint64_t bad_tag;	    /**< message after AUTH_OK with a missing or wrong tag */
	uint64_t replaced;	    /**< link replaced by a new one of the same host */
	uint64_t pushed;	    /**< VM_DEFINE sent (inventory push, sgctl vm add) */
	uint64_t push_failures;	    /**< VM_DEFINE refused by the agent: that VM failed */
	uint64_t forgotten;	    /**< VM_UNDEFINE sent */
	uint64_t out_full; /**< messages not sent: AGENT_OUT_MAX bytes already queued to it */
	uint64_t ignored;  /**< messages of an up link about nothing of its host: a VM_STATE of
			       another host's VM, a RESULT to no pending request, a type only
			       sg-control sends */
};

/** Cluster mode (cluster*.c), in the metrics as sg_ctl_cluster_*_total and sgctl status. */
struct sg_ctl_cluster_stats {
	uint64_t etcd_errors;	   /**< etcd requests that failed (unreachable, 5xx, bad) */
	uint64_t lease_grants;	   /**< leases granted (the first, then after each loss) */
	uint64_t lease_lost;	   /**< lease expired, or etcd unreachable past its TTL */
	uint64_t vm_claims;	   /**< VMs this node took ownership of */
	uint64_t vm_takeovers;	   /**< of them, VMs another node owned before */
	uint64_t vm_released;	   /**< VMs this node stopped owning (lease lost, handed back) */
	uint64_t sessions_claimed; /**< sessions/<sid> created before placing */
	uint64_t sessions_refused_dup;	  /**< sessions/<sid> existed: not brokered twice */
	uint64_t sessions_refused_etcd;	  /**< no lease or etcd unreachable: not placed */
	uint64_t sessions_deleted;	  /**< sessions/<sid> deleted when they ended */
	uint64_t sessions_foreign_closed; /**< SESSION_CLOSED of another node's session: deleted */
	uint64_t wants_sent;		  /**< vms/<vm>/want put for a VM another node owns */
	uint64_t wants_served;		  /**< wants for an owned VM that started it */
	uint64_t watch_events;		  /**< etcd watch events applied */
	uint64_t watch_bad;		  /**< watch events ignored: malformed key or value */
	uint64_t resyncs;		  /**< full re-reads (watch compacted, lease regained) */
};

/** Why a session of an authenticated application was refused (auth.c, access.c, qos.c). */
enum sg_ctl_auth_refusal {
	SG_CTL_AUTH_R_ABSENT = 0,     /**< no token where the application carries it */
	SG_CTL_AUTH_R_FORMAT,	      /**< not a token (length, characters, version) */
	SG_CTL_AUTH_R_KEY,	      /**< signed with a key id the application does not have */
	SG_CTL_AUTH_R_MAC,	      /**< forged or altered */
	SG_CTL_AUTH_R_EXPIRED,	      /**< past its expiry */
	SG_CTL_AUTH_R_APP,	      /**< signed for another application */
	SG_CTL_AUTH_R_UNKNOWN_USER,   /**< graph: the token's user is no user of idmgr */
	SG_CTL_AUTH_R_NOT_SUBSCRIBED, /**< graph: the user does not subscribe to the app */
	SG_CTL_AUTH_R_NO_VM,	      /**< graph: no VM of the app's pool serves the user */
	SG_CTL_AUTH_R_USER_SESSIONS,  /**< QoS: the user holds user_sessions of the app already */
	SG_CTL_AUTH_R_MAX
};

/** Authenticated applications (auth.c, access.c, qos.c), in the metrics and sgctl status. */
struct sg_ctl_auth_stats {
	uint64_t refused[SG_CTL_AUTH_R_MAX];
	uint64_t verified;	/**< tokens that verified */
	uint64_t graph_checks;	/**< graph queries (subscription + serving VMs + where-is) */
	uint64_t graph_ns;	/**< time spent in them */
	uint64_t cache_hits;	/**< idmgr answers found in the (user, app) cache (ucache.c) */
	uint64_t cache_misses;	/**< ... read from idmgr */
	uint64_t cache_flushes; /**< store writes seen: every cached answer stale */
};

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
	uint64_t commit_retries; /**< failed commits kept and retried (nothing applied) */
	uint64_t ring_replayed;	 /**< messages a killed predecessor took but never acked: read again
				  */
	uint64_t audits;	 /**< SESSION_AUDIT sent (one per worker) */
	uint64_t audit_closed;	 /**< sessions the data plane no longer had: closed */
	uint64_t audit_unknown;	 /**< IDs listed by the data plane that sg-control lacks */
	uint64_t audit_stale;	 /**< SESSION_ALIVE of a superseded audit, ignored */
	uint64_t admin_closed;	 /**< sessions ended by the operator (admin "close") */
	/* VM failures and drains (vm.c, vm_drain.c) */
	uint64_t vm_downs;	     /**< VMs that left running (or booting) unasked */
	uint64_t vm_down_aborted;    /**< installed sessions sent SESSION_ABORT (VM_DOWN) */
	uint64_t vm_down_rebrokered; /**< held sessions placed on another VM */
	uint64_t vm_down_rejected;   /**< held sessions rejected VM_DOWN: no VM could take them */
	uint64_t vm_replacements;    /**< stopped VMs started to replace one that went down */
	uint64_t drain_reset;	     /**< sessions sent SESSION_ABORT (DRAINED) at a deadline */
	uint64_t aborts_sent;	     /**< SESSION_ABORT messages queued */
	/* admin socket (admin_srv.c) */
	uint64_t admin_evicted;	     /**< oldest connections closed: SG_CTL_ADMIN_CONNS_MAX open */
	uint64_t admin_oversize;     /**< request line over SG_CTL_ADMIN_REQ_MAX: closed */
	uint64_t admin_idle_closed;  /**< no request for SG_CTL_ADMIN_IDLE_S: closed */
	uint64_t admin_slow_dropped; /**< answers unread past SG_CTL_ADMIN_OUT_MAX: dropped */
	uint64_t id_errors;	     /**< idmgr refused an ID: a local one was used */
	uint64_t lat_bucket[SG_CTL_LAT_BUCKETS + 1]; /**< setup latency histogram, +Inf last */
	double lat_sum_s;
	uint64_t vm_start_bucket[SG_CTL_VMSTART_BUCKETS + 1]; /**< STARTING -> RUNNING, +Inf last */
	double vm_start_sum_s;
	uint64_t vs_stats_dropped; /**< VS_STATS ignored: slot, worker or name out of range */
	/* real guests (issue 15): save and resume (vm.c), operator verbs (admin_vmops.c) */
	uint64_t vm_saves;   /**< VMs saved (managed save done: idle or sgctl vm save) */
	uint64_t vm_resumes; /**< starts that restored a saved image */
	uint64_t vm_resume_bucket[SG_CTL_VMSTART_BUCKETS + 1]; /**< resume: request -> RUNNING */
	double vm_resume_sum_s;
	uint64_t admin_vm_ops;	      /**< sgctl vm start|stop|save done */
	uint64_t admin_vm_refused;    /**< sgctl vm start|stop|save refused */
	uint64_t admin_aborts;	      /**< sessions ended by sgctl session abort */
	uint64_t admin_abort_refused; /**< sgctl session abort refused (unknown ID, not ended) */
	uint64_t vm_restarts;	      /**< failed VMs started again after their backoff */
	uint64_t vm_crash_loops;      /**< VMs quarantined: restart_max failures in 10 min */
	struct sg_ctl_agent_stats agent;
	struct sg_ctl_cluster_stats cluster;
	struct sg_ctl_auth_stats auth;
};

#define SG_CTL_VS_SLOTS	  256 /**< virtual-service slots of the data plane */
#define SG_CTL_VS_WORKERS 64  /**< workers whose VS_STATS are kept (SG_SHM_RINGS_MAX / 2) */

/** The last VS_STATS of one VS slot from each worker (vsstats.c sums them). */
struct sg_ctl_vs_stats {
	char name[SG_MSG_VS_NAME_MAX];	  /**< "" = never reported */
	uint64_t updated_ms;		  /**< wall clock of the last report */
	uint64_t w[SG_CTL_VS_WORKERS][4]; /**< held, installed, rejected, held_now */
};

#endif /* SG_CTL_MODEL_H */
