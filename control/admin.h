/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * admin.c (server, commands) and admin_req.c (request parser): the admin
 * API, one JSON object per line on a Unix stream socket.
 */
#ifndef SG_CTL_ADMIN_H
#define SG_CTL_ADMIN_H

#include "model.h"

struct sg_ctl_view;
struct sg_ctl_admin;

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
	SG_CTL_ADM_CLOSE,   /**< end a session, free its slots (leak safety net) */
	SG_CTL_ADM_HEALTH,  /**< pool members: state, checks, ejections, drains */
	SG_CTL_ADM_UNDRAIN, /**< end a drain of a member, a VM or all */
	SG_CTL_ADM_CLUSTER, /**< cluster mode: node, etcd, owners, sync, BGP */
	SG_CTL_ADM_TOKEN,   /**< mint or check a user token of a token application */
	SG_CTL_ADM_USAGE,   /**< usage records: filter by user, app, time (admin_usage.c) */
	SG_CTL_ADM_APP,	    /**< op add (spec) | remove (name): admin_inv.c */
	SG_CTL_ADM_VM,	  /**< op add | remove (admin_inv.c), start | stop | save (admin_vmops.c) */
	SG_CTL_ADM_HOST,  /**< op add (spec) | remove (name): admin_inv.c */
	SG_CTL_ADM_ABORT, /**< end an installed session with SESSION_ABORT (admin_vmops.c) */
	SG_CTL_ADM_POOL,  /**< op add (spec) | remove (name): admin_inv.c */
	SG_CTL_ADM_CMD_MAX
};

#define SG_CTL_ADMIN_REQ_MAX   4096 /**< bytes in one request line */
#define SG_CTL_ADMIN_CONNS_MAX 32   /**< connections at once; a new one closes the oldest */
#define SG_CTL_ADMIN_IDLE_S    10 /**< a connection with no request (or unread answer) this long */
#define SG_CTL_ADMIN_OUT_MAX   (4u << 20) /**< bytes of answers a client may leave unread */
#define SG_CTL_ADMIN_LIMIT_MAX 100000
#define SG_CTL_ADMIN_SPEC_MAX  3584 /**< bytes of an add's YAML flow map, NUL included */

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
	/* drain: legacy "on" (true/false), or a target; neither: show the drains */
	bool on;
	bool legacy;			  /**< "on" given */
	char target[16];		  /**< "member", "vm", "all"; "" = show */
	char member[2 * SG_CTL_NAME_MAX]; /**< member: POOL/MEMBER; vm: its name */
	uint32_t deadline_s;		  /**< reset after; 0 = never */
	/* identities: a name or ID to look up, "" = all */
	char name[SG_CTL_NAME_MAX];
	/* token: op "mint" (app, user, ttl_s) or "check" (app, token) */
	char op[8];
	uint32_t ttl_s;
	char token[SG_CTL_NAME_MAX];
	/* usage: records that ended in [since, until] (unix seconds; 0 = open); user, app, limit */
	int64_t since;
	int64_t until;
	/* app / vm / host add: the object as one YAML flow map, the same keys as in
	 * the configuration file ("{name: web2, host: h1, pool: p, address: ...}") */
	char spec[SG_CTL_ADMIN_SPEC_MAX];
	/* abort: action "reset" (default) or "drain" with deadline_s */
};

/**
 * Parse and validate one request line. @return 0, or -EINVAL with @p err
 * naming the field and what is expected.
 */
int sg_ctl_admin_parse(const char *buf, size_t len, struct sg_ctl_admin_req *req, char *err,
		       size_t errlen);
const char *sg_ctl_admin_cmd_name(unsigned int cmd);
/** Run a request; @return a JSON text (malloc'd, one line) the caller frees. */
char *sg_ctl_admin_exec(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req);
/**
 * Serve the admin API of @p v on the Unix socket @p path; *@p out on
 * success. Every connection is bounded (request line, idle time, unread
 * answers, their number); what is refused or closed is counted in @p stats.
 * @return 0, -ENAMETOOLONG, -ENOMEM, -EADDRINUSE.
 */
int sg_ctl_admin_listen(struct sg_ctl_admin **out, const struct sg_ctl_view *v,
			struct sg_ctl_stats *stats, const char *path);
/** Stop and free @p a (NULL: nothing). */
void sg_ctl_admin_close(struct sg_ctl_admin *a);

struct json_t;
/** One cluster counter (struct sg_ctl_cluster_stats): metrics, status, "cluster". */
struct sg_ctl_cluster_counter {
	const char *name; /**< "lease_lost": sg_ctl_cluster_lease_lost_total */
	const char *help;
	size_t off;
};
extern const struct sg_ctl_cluster_counter sg_ctl_cluster_counters[];
extern const unsigned int sg_ctl_cluster_n_counters;
struct sg_ctl_cluster_stats;
/** admin_cluster.c: the cluster counters as a JSON object. */
struct json_t *sg_ctl_admin_cluster_counters(const struct sg_ctl_cluster_stats *s);
/** admin_cluster.c: the "cluster" answer (sgctl cluster). */
struct json_t *sg_ctl_admin_cluster(const struct sg_ctl_view *v);
/** admin_token.c: "token" mint / check; NULL with @p err on a refusal. */
struct json_t *sg_ctl_admin_token(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req,
				  char *err, size_t errlen);
/** admin_health.c: the "health" answer (members and counters). */
struct json_t *sg_ctl_admin_health(const struct sg_ctl_view *v);
/** admin_health.c: "drain" / "undrain"; NULL with @p err on a refusal. */
struct json_t *sg_ctl_admin_drain(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req,
				  char *err, size_t errlen);

/** admin_usage.c: the "vs" answer: VS_STATS summed over workers, per VS. */
struct json_t *sg_ctl_admin_vs(const struct sg_ctl_view *v);
/** admin_usage.c: the "usage" answer (records, newest first); NULL with @p err on failure. */
struct json_t *sg_ctl_admin_usage(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req,
				  char *err, size_t errlen);
/**
 * admin_inv.c: "app" / "vm" (op add|remove) / "host": change the inventory
 * at run time. NULL with @p err on a refusal ("spec:1:12: port: ...").
 */
struct json_t *sg_ctl_admin_inv(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req,
				char *err, size_t errlen);
/** admin_vmops.c: "vm" op start|stop|save NAME. NULL with @p err on a refusal. */
struct json_t *sg_ctl_admin_vmop(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req,
				 char *err, size_t errlen);
/** admin_vmops.c: "abort" ID: SESSION_ABORT of an installed session. NULL with @p err. */
struct json_t *sg_ctl_admin_abort(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req,
				  char *err, size_t errlen);
/** admin_vmops.c: a VM's saved image and last start ("saved", "last_start": sgctl vms). */
struct json_t *sg_ctl_admin_vm_guest(const struct sg_ctl_vm *vm);
/** admin_vmops.c: the counters of pushes, saves, resumes and the verbs (sgctl status). */
struct json_t *sg_ctl_admin_guest_counters(const struct sg_ctl_stats *st);
/**
 * admin_ident.c: "identities" [FILTER]: every host, VM, application, user
 * and service provider (FILTER: a name or ID); FILTER "namespace/type/name"
 * or "type#serial": that object in the identity store and its neighbours.
 * NULL with @p err on a refusal.
 */
struct json_t *sg_ctl_admin_identities(const struct sg_ctl_view *v, const char *what, char *err,
				       size_t errlen);
/** admin_req.c: unix seconds of @p s (digits, or ISO 8601). @return 0 or -EINVAL. */
int sg_ctl_admin_parse_time(const char *s, int64_t *out);

#endif /* SG_CTL_ADMIN_H */
