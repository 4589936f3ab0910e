/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters through DPDK telemetry (read with dpdk-telemetry.py or sgctl):
 *
 *   /sg/info            configuration, generation, reload results
 *   /sg/stats           every drop reason and event, summed over workers
 *   /sg/ports           per port rx/tx packets and bytes, drops
 *   /sg/vs              per virtual service packets, bytes, flows
 *   /sg/members[,POOL]  per pool member (optionally one pool): counters and
 *                       health (state, weights, last change, generation)
 *   /sg/flows           flow-table occupancy per worker
 *   /sg/sessions[,CUR]  live brokered sessions of every worker, a page of
 *                       TEL_SESS_PAGE from cursor CUR ("next" of the last page)
 *   /sg/nat             free and used NAT source ports per NAT address
 *   /sg/reload          reload the configuration file now
 *   /sg/exception       the exception path's settings and counters (exception.c)
 *
 * Callbacks run in DPDK's telemetry thread. Worker counters are read
 * without synchronisation (each is a monotonic 64-bit value written by one
 * lcore); names come from the tables in service, read under ctl_lock so a
 * concurrent reload cannot free them underneath. Keys are names with every
 * character other than letters, digits, '_' and '/' replaced by '_' (what
 * DPDK telemetry accepts); each entry carries the real "name".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_telemetry.h>

#include "app.h"
#include "portguard.h"
#include "core/tables.h"
#include "session/session.h"

/* Telemetry callbacks get no user pointer: one data plane per process. */
static struct sg_dp_app *tel_app;

static struct sg_dp_stats *
stats_sum(const struct sg_dp_app *app)
{
	struct sg_dp_stats *sum = calloc(1, sizeof(*sum));

	if (sum == NULL)
		return NULL;
	for (unsigned int w = 0; w < app->n_workers; w++) {
		const struct sg_dp_stats *s = sg_dp_worker_stats(app->wctx[w].worker);

		for (unsigned int i = 0; i < SG_DP_CNT_MAX; i++)
			sum->cnt[i] += s->cnt[i];
		for (unsigned int p = 0; p < SG_DP_PORTS_MAX; p++) {
			sum->port[p].rx_pkts += s->port[p].rx_pkts;
			sum->port[p].rx_bytes += s->port[p].rx_bytes;
			sum->port[p].tx_pkts += s->port[p].tx_pkts;
			sum->port[p].tx_bytes += s->port[p].tx_bytes;
			sum->port[p].drops += s->port[p].drops;
		}
		for (unsigned int v = 0; v < SG_DP_VS_SLOTS; v++) {
			sum->vs[v].pkts += s->vs[v].pkts;
			sum->vs[v].bytes += s->vs[v].bytes;
			sum->vs[v].flows += s->vs[v].flows;
			sum->vs[v].active_flows += s->vs[v].active_flows;
		}
		for (unsigned int m = 0; m < SG_DP_MEMBER_SLOTS; m++) {
			sum->member[m].pkts += s->member[m].pkts;
			sum->member[m].bytes += s->member[m].bytes;
			sum->member[m].flows += s->member[m].flows;
			sum->member[m].active_flows += s->member[m].active_flows;
		}
	}
	return sum;
}

/*
 * Telemetry accepts dict keys of letters, digits, '_' and '/' only: keys
 * are names with every other character replaced by '_'; the entry carries
 * the real name.
 */
static void
tel_key(char *key, size_t len, const char *a, const char *b)
{
	size_t i;

	snprintf(key, len, "%s%s%s", a, b ? "/" : "", b ? b : "");
	for (i = 0; key[i] != '\0'; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '/'))
			key[i] = '_';
	}
}

static void
obj_dict(struct rte_tel_data *d, const char *name, const struct sg_dp_obj_stats *o)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", name);
	rte_tel_data_add_dict_u64(d, "pkts", o->pkts);
	rte_tel_data_add_dict_u64(d, "bytes", o->bytes);
	rte_tel_data_add_dict_u64(d, "flows", o->flows);
	rte_tel_data_add_dict_u64(d, "active_flows", o->active_flows);
}

static int
tel_info(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct sg_dp_app *app = tel_app;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&app->ctl_lock);
	rte_tel_data_add_dict_string(d, "config", app->config_path);
	rte_tel_data_add_dict_u64(d, "generation", app->generation);
	rte_tel_data_add_dict_u64(d, "reloads_ok", app->reloads_ok);
	rte_tel_data_add_dict_u64(d, "reloads_failed", app->reloads_failed);
	rte_tel_data_add_dict_string(d, "last_error", app->last_error);
	rte_tel_data_add_dict_u64(d, "workers", app->n_workers);
	rte_tel_data_add_dict_u64(d, "ports", app->n_ports);
	rte_tel_data_add_dict_u64(d, "virtual_services", app->cfg->n_vs);
	rte_tel_data_add_dict_u64(d, "ctl_tx_ring_full", app->ctl_tx_ring_full);
	rte_tel_data_add_dict_u64(d, "ctl_tx_queue_full", app->ctl_tx_queue_full);
	pthread_mutex_unlock(&app->ctl_lock);
	return 0;
}

/* Summed counters into a new dict @p d (NULL: no memory, nothing started). */
static struct sg_dp_stats *
tel_dict_begin(struct rte_tel_data *d)
{
	struct sg_dp_stats *sum = stats_sum(tel_app);

	if (sum != NULL)
		rte_tel_data_start_dict(d);
	return sum;
}

/* tel_dict_begin() for lists of named objects: the tables are locked. */
static struct sg_dp_stats *
tel_objs_begin(struct rte_tel_data *d)
{
	struct sg_dp_stats *sum = tel_dict_begin(d);

	if (sum != NULL)
		pthread_mutex_lock(&tel_app->ctl_lock);
	return sum;
}

static int
tel_objs_end(struct sg_dp_stats *sum)
{
	pthread_mutex_unlock(&tel_app->ctl_lock);
	free(sum);
	return 0;
}

/* The shared neighbour table's counters (neigh_evicted, neigh_full, ...). */
static void
tel_neigh_stats(struct rte_tel_data *d)
{
	const char *names[8];
	uint64_t vals[8];
	unsigned int n = sg_dp_neigh_stats(tel_app->neigh, names, vals, RTE_DIM(names));

	for (unsigned int i = 0; i < n; i++)
		rte_tel_data_add_dict_u64(d, names[i], vals[i]);
}

/* The member state overlay's counters (main lcore, read under ctl_lock). */
static void
tel_health_stats(struct rte_tel_data *d)
{
	struct sg_dp_health_stats hs = {0};

	pthread_mutex_lock(&tel_app->ctl_lock);
	if (tel_app->health != NULL)
		hs = *sg_dp_health_stats(tel_app->health);
	pthread_mutex_unlock(&tel_app->ctl_lock);
	rte_tel_data_add_dict_u64(d, "member_state_applied", hs.applied);
	rte_tel_data_add_dict_u64(d, "member_state_unknown", hs.unknown);
	rte_tel_data_add_dict_u64(d, "member_state_changes", hs.changes);
	rte_tel_data_add_dict_u64(d, "member_state_rebuilds", hs.rebuilds);
	rte_tel_data_add_dict_u64(d, "member_state_rebuild_failed", hs.rebuild_failed);
}

static int
tel_stats(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct sg_dp_stats *sum = tel_dict_begin(d);

	if (sum == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < SG_DP_CNT_MAX; i++)
		rte_tel_data_add_dict_u64(d, sg_dp_cnt_name(i), sum->cnt[i]);
	tel_neigh_stats(d);
	sg_dp_exc_stats(tel_app, d);
	tel_health_stats(d);
	free(sum);
	return 0;
}

static int
tel_ports(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct sg_dp_app *app = tel_app;
	struct sg_dp_stats *sum = tel_objs_begin(d);

	if (sum == NULL)
		return -ENOMEM;
	for (unsigned int p = 0; p < app->n_ports; p++) {
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (c == NULL)
			break;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "dpdk_port", app->port_id[p]);
		rte_tel_data_add_dict_u64(c, "rx_pkts", sum->port[p].rx_pkts);
		rte_tel_data_add_dict_u64(c, "rx_bytes", sum->port[p].rx_bytes);
		rte_tel_data_add_dict_u64(c, "tx_pkts", sum->port[p].tx_pkts);
		rte_tel_data_add_dict_u64(c, "tx_bytes", sum->port[p].tx_bytes);
		rte_tel_data_add_dict_u64(c, "drops", sum->port[p].drops);
		sg_dp_portguard_tel_port(app, p, c);
		char key[RTE_TEL_MAX_STRING_LEN];

		rte_tel_data_add_dict_string(c, "name", app->cfg->appliance.ports[p].name);
		tel_key(key, sizeof(key), app->cfg->appliance.ports[p].name, NULL);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	return tel_objs_end(sum);
}

static int
tel_vs(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct sg_dp_app *app = tel_app;
	struct sg_dp_stats *sum = tel_objs_begin(d);

	if (sum == NULL)
		return -ENOMEM;
	for (unsigned int v = 0; v < SG_DP_VS_SLOTS; v++) {
		const char *name = sg_dp_tables_vs_name(app->tables, v);
		struct rte_tel_data *c;

		char key[RTE_TEL_MAX_STRING_LEN];

		if (name == NULL || (c = rte_tel_data_alloc()) == NULL)
			continue;
		obj_dict(c, name, &sum->vs[v]);
		tel_key(key, sizeof(key), name, NULL);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	return tel_objs_end(sum);
}

/* A member's health (memberstate.c): state, weights, last change, generation. */
static void
tel_member_health(struct rte_tel_data *c, const struct sg_dp_member *mb)
{
	struct sg_dp_health_member h = sg_dp_health_get(tel_app->health, mb->pool, mb->name);
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	rte_tel_data_add_dict_string(c, "state", sg_dp_member_state_name(mb->state));
	rte_tel_data_add_dict_u64(c, "weight", mb->weight);
	rte_tel_data_add_dict_u64(c, "effective_weight", mb->eff_weight);
	/* -1: never changed since the data plane started */
	rte_tel_data_add_dict_int(c, "last_change_s",
				  h.changed_ns ? (int)((now - h.changed_ns) / 1000000000ull) : -1);
	rte_tel_data_add_dict_u64(c, "generation", h.generation);
}

/* Telemetry dicts hold at most RTE_TEL_MAX_DICT_ENTRIES: filter by pool when given. */
static int
tel_members(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct sg_dp_app *app = tel_app;
	struct sg_dp_stats *sum = tel_objs_begin(d);
	unsigned int listed = 0;

	if (sum == NULL)
		return -ENOMEM;
	for (unsigned int m = 0; m < SG_DP_MEMBER_SLOTS && listed < RTE_TEL_MAX_DICT_ENTRIES; m++) {
		const char *pool = NULL;
		const char *name = sg_dp_tables_member_name(app->tables, m, &pool);
		struct rte_tel_data *c;
		char key[RTE_TEL_MAX_STRING_LEN];

		if (name == NULL)
			continue;
		if (params != NULL && params[0] != '\0' &&
		    (pool == NULL || strcmp(pool, params) != 0))
			continue;
		c = rte_tel_data_alloc();
		if (c == NULL)
			break;
		obj_dict(c, name, &sum->member[m]);
		rte_tel_data_add_dict_string(c, "pool", pool ? pool : "");
		tel_member_health(c, app->tables->member_by_slot[m]);
		tel_key(key, sizeof(key), pool ? pool : "_", name);
		rte_tel_data_add_dict_container(d, key, c, 0);
		listed++;
	}
	return tel_objs_end(sum);
}

static int
tel_flows(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct sg_dp_app *app = tel_app;
	uint64_t total = 0;

	rte_tel_data_start_dict(d);
	for (unsigned int w = 0; w < app->n_workers; w++) {
		char key[32];
		uint32_t n = sg_dp_worker_flow_count(app->wctx[w].worker);

		snprintf(key, sizeof(key), "worker%u", w);
		rte_tel_data_add_dict_u64(d, key, n);
		total += n;
	}
	rte_tel_data_add_dict_u64(d, "total", total);
	return 0;
}

#define TEL_SESS_PAGE 48 /**< sessions per /sg/sessions reply (16 KiB of JSON at most) */

/* "ADDR:PORT" ("[ADDR]:PORT" for IPv6) of @p a (data-plane family), port in network order. */
static void
tel_endpoint(char *buf, size_t len, uint8_t family, const uint8_t *a, uint16_t port_be)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, a, ip, sizeof(ip));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, rte_be_to_cpu_16(port_be));
}

static void
tel_session(struct rte_tel_data *d, unsigned int worker, const struct sg_dp_session_info *si)
{
	const char *vs = sg_dp_tables_vs_name(tel_app->tables, si->vs_slot);
	struct rte_tel_data *c = rte_tel_data_alloc();
	char key[32], buf[RTE_TEL_MAX_STRING_LEN];

	if (c == NULL)
		return;
	rte_tel_data_start_dict(c);
	snprintf(key, sizeof(key), "%#018" PRIx64, si->sid);
	rte_tel_data_add_dict_string(c, "id", key);
	rte_tel_data_add_dict_u64(c, "worker", worker);
	rte_tel_data_add_dict_string(c, "vs", vs != NULL ? vs : "");
	rte_tel_data_add_dict_string(c, "state", sg_dp_session_state_name(si->state));
	rte_tel_data_add_dict_u64(c, "proto", si->key.proto);
	tel_endpoint(buf, sizeof(buf), si->key.family, si->key.src, si->key.sport);
	rte_tel_data_add_dict_string(c, "client", buf);
	buf[0] = '\0';
	if (si->member.family != 0)
		tel_endpoint(buf, sizeof(buf), si->member.family, si->member.a, si->mport);
	rte_tel_data_add_dict_string(c, "member", buf);
	rte_tel_data_add_dict_container(d, key, c, 0);
}

/*
 * Live brokered sessions, paged: the parameter is the cursor ("next" of the
 * previous page, worker << 32 | flow index); "more" says whether to go on.
 */
static int
tel_sessions(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct sg_dp_app *app = tel_app;
	struct sg_dp_session_info si[TEL_SESS_PAGE];
	uint64_t cur = 0;
	unsigned int w, n = 0, i, got;
	uint32_t idx;
	char *end;

	if (params != NULL && params[0] != '\0') {
		cur = strtoull(params, &end, 0);
		if (*end != '\0')
			return -EINVAL;
	}
	w = (unsigned int)(cur >> 32);
	idx = (uint32_t)cur;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&app->ctl_lock);
	for (; w < app->n_workers && n < TEL_SESS_PAGE; w++, idx = 0) {
		got = sg_dp_session_dump(app->wctx[w].worker, &idx, si, TEL_SESS_PAGE - n);
		for (i = 0; i < got; i++)
			tel_session(d, w, &si[i]);
		n += got;
		if (n == TEL_SESS_PAGE)
			break;
	}
	pthread_mutex_unlock(&app->ctl_lock);
	rte_tel_data_add_dict_u64(d, "count", n);
	rte_tel_data_add_dict_u64(d, "more", w < app->n_workers);
	rte_tel_data_add_dict_u64(d, "next", w < app->n_workers ? (uint64_t)w << 32 | idx : 0);
	return 0;
}

/* Per NAT address (key: the address with '_'), free and used source ports over workers. */
static int
tel_nat(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct sg_dp_app *app = tel_app;
	char name[64], key[RTE_TEL_MAX_STRING_LEN];

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&app->ctl_lock);
	for (unsigned int i = 0;; i++) {
		uint64_t n_free = 0, n_used = 0;
		struct rte_tel_data *c;
		int rc = 0;

		for (unsigned int w = 0; w < app->n_workers && rc == 0; w++) {
			uint32_t f, u;

			rc = sg_dp_worker_nat_ports(app->wctx[w].worker, app->tables, i, name,
						    sizeof(name), &f, &u);
			n_free += f;
			n_used += u;
		}
		if (rc != 0 || app->n_workers == 0 || (c = rte_tel_data_alloc()) == NULL)
			break;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "name", name);
		rte_tel_data_add_dict_u64(c, "free", n_free);
		rte_tel_data_add_dict_u64(c, "used", n_used);
		tel_key(key, sizeof(key), name, NULL);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	pthread_mutex_unlock(&app->ctl_lock);
	return 0;
}

static int
tel_reload(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	char msg[512];
	char shortmsg[RTE_TEL_MAX_STRING_LEN];
	int rc = sg_dp_reload(tel_app, msg, sizeof(msg));

	/* Telemetry strings are bounded; the full message is in the log and /sg/info. */
	memcpy(shortmsg, msg, sizeof(shortmsg) - 1);
	shortmsg[sizeof(shortmsg) - 1] = '\0';
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "result", rc == 0 ? "ok" : "error");
	rte_tel_data_add_dict_string(d, "message", shortmsg);
	return 0;
}

int
sg_dp_telemetry_register(struct sg_dp_app *app)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{"/sg/info", tel_info, "Configuration, generation and reload results."},
		{"/sg/stats", tel_stats, "Drop reasons and events summed over workers."},
		{"/sg/ports", tel_ports, "Per-port packets, bytes and drops."},
		{"/sg/vs", tel_vs, "Per virtual service packets, bytes and flows."},
		{"/sg/members", tel_members, "Per pool member counters. Parameter: pool name."},
		{"/sg/flows", tel_flows, "Flow-table occupancy per worker."},
		{"/sg/sessions", tel_sessions,
		 "Live brokered sessions of every worker, paged. Parameter: cursor (\"next\")."},
		{"/sg/nat", tel_nat, "Free and used NAT source ports per NAT address."},
		{"/sg/reload", tel_reload, "Reload the configuration file (atomic)."},
		{"/sg/exception", sg_dp_exc_telemetry,
		 "Exception path: settings, counters both ways per port (kernel interfaces)."},
	};

	tel_app = app;
	for (unsigned int i = 0; i < RTE_DIM(cmds); i++) {
		int rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help);

		if (rc != 0) {
			SG_DP_LOG(ERR, "cannot register telemetry command %s: %s", cmds[i].cmd,
				  strerror(-rc));
			return rc;
		}
	}
	return 0;
}
