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
	SG_CTL_ADM_CMD_MAX
};

#define SG_CTL_ADMIN_REQ_MAX   4096 /**< bytes in one request line */
#define SG_CTL_ADMIN_CONNS_MAX 32   /**< connections at once; a new one closes the oldest */
#define SG_CTL_ADMIN_IDLE_S    10 /**< a connection with no request (or unread answer) this long */
#define SG_CTL_ADMIN_OUT_MAX   (4u << 20) /**< bytes of answers a client may leave unread */
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

#endif /* SG_CTL_ADMIN_H */
