/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's cluster view (doc/cluster.md, doc/dataplane.md "State
 * sync: the channel"): the main lcore's heartbeat and telemetry
 * /sg/cluster, which sg-routed reads to announce or withdraw the
 * appliance's routes and `sgctl cluster` shows.
 *
 * The heartbeat moves only when every worker passed an RCU quiescent
 * state since the last move, so it stalls when a worker hangs (or the main
 * lcore does). /sg/cluster is one dict: node_id, name, ready (0/1),
 * ready_reason, ctl_up, heartbeat, workers; "sync" (the channel's settings
 * and totals, flat); "dump" (the start-up dump: state, requested, done,
 * records); "peers" (names) and one "peer/NAME" dict per peer. DPDK 22.11
 * telemetry nests containers one level deep only, hence the flat layout.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_rcu_qsbr.h>
#include <rte_telemetry.h>

#include "app.h"
#include "sync.h"

/* Telemetry callbacks get no user pointer: one data plane per process. */
static struct sg_dp_app *cl_app;

void
sg_dp_cluster_heartbeat(struct sg_dp_app *app)
{
	if (app->qsbr == NULL)
		return;
	if (app->hb_token != 0 && rte_rcu_qsbr_check(app->qsbr, app->hb_token, false) != 1)
		return;
	__atomic_store_n(&app->heartbeat, app->heartbeat + 1, __ATOMIC_RELAXED);
	app->hb_token = rte_rcu_qsbr_start(app->qsbr);
}

const char *
sg_dp_sync_ready_name(enum sg_dp_sync_ready r)
{
	static const char *const names[] = {
		[SG_DP_READY_WAITING] = "waiting",	     [SG_DP_READY_SYNC_OFF] = "sync_off",
		[SG_DP_READY_DUMP_DONE] = "dump_done",	     [SG_DP_READY_NO_PEER] = "no_peer",
		[SG_DP_READY_DUMP_TIMEOUT] = "dump_timeout",
	};

	return (unsigned int)r < RTE_DIM(names) ? names[r] : "?";
}

const char *
sg_dp_sync_dump_state_name(enum sg_dp_sync_dump_state st)
{
	static const char *const names[] = {
		[SG_DP_DUMP_IDLE] = "idle",	    [SG_DP_DUMP_REQUESTED] = "requested",
		[SG_DP_DUMP_DRAINING] = "draining", [SG_DP_DUMP_DONE] = "done",
		[SG_DP_DUMP_GAVE_UP] = "gave_up",
	};

	return (unsigned int)st < RTE_DIM(names) ? names[st] : "?";
}

static uint64_t
sync_queued(const struct sg_dp_sync *s)
{
	uint64_t n = 0;

	for (unsigned int w = 0; w < s->n_workers; w++)
		n += rte_ring_count(s->out[w]);
	return n;
}

static void
peer_dict(struct rte_tel_data *c, const struct sg_dp_sync_peer *p, uint64_t now_ms)
{
	const struct sg_dp_sync_peer_stats *st = &p->st;
	uint64_t last = __atomic_load_n(&p->last_rx_ms, __ATOMIC_RELAXED);

	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_string(c, "name", p->name);
	rte_tel_data_add_dict_string(c, "address", p->addr_str);
	rte_tel_data_add_dict_u64(c, "port", ntohs(((const struct sockaddr_in *)&p->sa)->sin_port));
	rte_tel_data_add_dict_string(c, "state", p->up ? "up" : "down");
	rte_tel_data_add_dict_int(c, "last_rx_ms", last == 0 ? -1 : (int)(now_ms - last));
	rte_tel_data_add_dict_u64(c, "node", p->node);
	rte_tel_data_add_dict_u64(c, "boot", p->boot);
	rte_tel_data_add_dict_u64(c, "tx_datagrams", st->tx_datagrams);
	rte_tel_data_add_dict_u64(c, "tx_records", st->tx_records);
	rte_tel_data_add_dict_u64(c, "tx_errors", st->tx_errors);
	rte_tel_data_add_dict_u64(c, "rx_datagrams", st->rx_datagrams);
	rte_tel_data_add_dict_u64(c, "rx_records", st->rx_records);
	rte_tel_data_add_dict_u64(c, "rx_lost", st->rx_lost);
	rte_tel_data_add_dict_u64(c, "rx_bad_mac", st->rx_bad_mac);
	rte_tel_data_add_dict_u64(c, "rx_replay", st->rx_replay);
	rte_tel_data_add_dict_u64(c, "rx_bad", st->rx_bad);
	rte_tel_data_add_dict_u64(c, "rx_in_full", st->rx_in_full);
	rte_tel_data_add_dict_u64(c, "dumps_served", st->dumps_served);
}

/* The channel's totals: the sum of the peers' counters and its own. */
static void
sync_dict(struct rte_tel_data *c, const struct sg_dp_sync *s, uint64_t now_tsc)
{
	struct sg_dp_sync_peer_stats t;
	uint64_t lag = 0, since = s->batch_tsc;

	memset(&t, 0, sizeof(t));
	for (unsigned int i = 0; i < s->n_peers; i++) {
		const struct sg_dp_sync_peer_stats *st = &s->peer[i].st;

		t.tx_datagrams += st->tx_datagrams;
		t.tx_records += st->tx_records;
		t.rx_datagrams += st->rx_datagrams;
		t.rx_records += st->rx_records;
		t.rx_lost += st->rx_lost;
		t.rx_bad_mac += st->rx_bad_mac;
		t.rx_replay += st->rx_replay;
		t.rx_bad += st->rx_bad;
		t.rx_in_full += st->rx_in_full;
	}
	if (s->backlog_tsc != 0 && (since == 0 || s->backlog_tsc < since))
		since = s->backlog_tsc;
	if (since != 0 && now_tsc > since)
		lag = (now_tsc - since) * 1000 / rte_get_tsc_hz();

	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_u64(c, "enabled", 1);
	rte_tel_data_add_dict_u64(c, "port", s->cfg.port);
	rte_tel_data_add_dict_u64(c, "rate", s->cfg.rate);
	rte_tel_data_add_dict_u64(c, "queue", s->cfg.queue);
	rte_tel_data_add_dict_u64(c, "boot", s->boot);
	rte_tel_data_add_dict_u64(c, "queued", sync_queued(s));
	rte_tel_data_add_dict_u64(c, "lag_ms", lag);
	rte_tel_data_add_dict_u64(c, "tx_datagrams", t.tx_datagrams);
	rte_tel_data_add_dict_u64(c, "tx_records", t.tx_records);
	rte_tel_data_add_dict_u64(c, "rx_datagrams", t.rx_datagrams);
	rte_tel_data_add_dict_u64(c, "rx_records", t.rx_records);
	rte_tel_data_add_dict_u64(c, "rx_lost", t.rx_lost);
	rte_tel_data_add_dict_u64(c, "rx_bad_mac", t.rx_bad_mac);
	rte_tel_data_add_dict_u64(c, "rx_replay", t.rx_replay);
	rte_tel_data_add_dict_u64(c, "rx_bad", t.rx_bad);
	rte_tel_data_add_dict_u64(c, "rx_in_full", t.rx_in_full);
	rte_tel_data_add_dict_u64(c, "rx_not_peer", s->st.rx_not_peer);
	rte_tel_data_add_dict_u64(c, "rx_short", s->st.rx_short);
	rte_tel_data_add_dict_u64(c, "rx_bad_magic", s->st.rx_bad_magic);
	rte_tel_data_add_dict_u64(c, "rx_bad_version", s->st.rx_bad_version);
	rte_tel_data_add_dict_u64(c, "rx_errors", s->st.rx_errors);
	rte_tel_data_add_dict_u64(c, "out_records", s->st.out_records);
	rte_tel_data_add_dict_u64(c, "dump_ends", s->st.dump_ends);
	rte_tel_data_add_dict_u64(c, "rate_limited", s->st.rate_limited);
	rte_tel_data_add_dict_u64(c, "dumps_started", s->st.dumps_started);
	rte_tel_data_add_dict_u64(c, "serving", s->serve_id);
}

static void
dump_dict(struct rte_tel_data *c, const struct sg_dp_sync *s)
{
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_string(c, "state", sg_dp_sync_dump_state_name(s->dump_state));
	rte_tel_data_add_dict_u64(c, "requested", s->dump_requested);
	rte_tel_data_add_dict_u64(c, "done", s->dump_done);
	rte_tel_data_add_dict_u64(c, "records", s->dump_records);
}

/* Add container @p c under @p key (freed on failure). */
static void
add_container(struct rte_tel_data *d, const char *key, struct rte_tel_data *c)
{
	if (c != NULL && rte_tel_data_add_dict_container(d, key, c, 0) != 0)
		rte_tel_data_free(c);
}

static void
sync_containers(struct rte_tel_data *d, const struct sg_dp_sync *s)
{
	uint64_t now_ms = sg_dp_sync_now_ms(), now_tsc = rte_get_tsc_cycles();
	struct rte_tel_data *c = rte_tel_data_alloc();
	char key[SG_CFG_NAME_MAX + 8];

	if (c != NULL)
		sync_dict(c, s, now_tsc);
	add_container(d, "sync", c);
	c = rte_tel_data_alloc();
	if (c != NULL)
		dump_dict(c, s);
	add_container(d, "dump", c);
	c = rte_tel_data_alloc();
	if (c != NULL) {
		rte_tel_data_start_array(c, RTE_TEL_STRING_VAL);
		for (unsigned int i = 0; i < s->n_peers; i++)
			rte_tel_data_add_array_string(c, s->peer[i].name);
	}
	add_container(d, "peers", c);
	for (unsigned int i = 0; i < s->n_peers; i++) {
		c = rte_tel_data_alloc();
		if (c != NULL)
			peer_dict(c, &s->peer[i], now_ms);
		snprintf(key, sizeof(key), "peer/%s", s->peer[i].name);
		for (char *k = key; *k != '\0'; k++)
			if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
			      (*k >= '0' && *k <= '9') || *k == '_' || *k == '/'))
				*k = '_';
		add_container(d, key, c);
	}
}

static int
tel_cluster(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct sg_dp_app *app = cl_app;
	const struct sg_cfg_cluster *cl = &app->cfg->appliance.cluster;
	const struct sg_dp_sync *s = app->sync;
	enum sg_dp_sync_ready r = s != NULL ? s->ready : SG_DP_READY_SYNC_OFF;
	char name[SG_CFG_NAME_MAX];
	struct rte_tel_data *c;

	if (cl->name[0] != '\0')
		snprintf(name, sizeof(name), "%s", cl->name);
	else
		snprintf(name, sizeof(name), "node%u", cl->node_id);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "node_id", cl->node_id);
	rte_tel_data_add_dict_string(d, "name", name);
	rte_tel_data_add_dict_u64(d, "ready", r != SG_DP_READY_WAITING);
	rte_tel_data_add_dict_string(d, "ready_reason", sg_dp_sync_ready_name(r));
	rte_tel_data_add_dict_u64(d, "ctl_up", __atomic_load_n(&app->ctl.ctl_up, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "heartbeat",
				  __atomic_load_n(&app->heartbeat, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "workers", app->n_workers);
	if (s != NULL) {
		sync_containers(d, s);
		return 0;
	}
	c = rte_tel_data_alloc();
	if (c != NULL) {
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "enabled", 0);
	}
	add_container(d, "sync", c);
	return 0;
}

int
sg_dp_cluster_register(struct sg_dp_app *app)
{
	int rc;

	cl_app = app;
	rc = rte_telemetry_register_cmd(
		"/sg/cluster", tel_cluster,
		"Cluster: node, readiness, heartbeat, state-sync channel and peers.");
	if (rc != 0)
		SG_DP_LOG(ERR, "cannot register telemetry command /sg/cluster: %s", strerror(-rc));
	return rc;
}
