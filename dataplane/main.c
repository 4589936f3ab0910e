/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-dataplane: the DPDK poll-mode front end of sessiongate.
 *
 * One main lcore (housekeeping: neighbour solicitation, reload, telemetry
 * runs in DPDK's telemetry thread) and N worker lcores, each running to
 * completion on its own rx/tx queue of every port: rx burst -> process ->
 * tx burst, with a quiescent-state report after each round so that the main
 * lcore can retire old tables (RCU).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "app.h"
#include "idle.h"
#include "portguard.h"
#include "sync.h"
#include "testmode.h"

static struct sg_dp_app g_app;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		g_app.reload_requested = true;
	else
		g_app.quit = true;
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -c CONFIG.yaml [--check] [--ready-file FILE]\n"
		"  -c, --config FILE   appliance configuration (doc/configuration.md)\n"
		"      --check         validate the configuration and exit\n"
		"      --ready-file F  write F once every port and worker is up\n"
		"      --test-deterministic  tests only: fixed keys, clock, epoch (testmode.h)\n"
		"      --test-neigh A=MAC    tests only: a static neighbour (repeatable)\n"
		"Signals: SIGHUP reloads the configuration, SIGINT/SIGTERM stop.\n",
		prog);
}

/** True when the device string names a DPDK virtual device. */
static bool
is_vdev(const char *device)
{
	return strncmp(device, "net_", 4) == 0;
}

static bool
eal_args_have(const struct sg_cfg_appliance *a, const char *opt)
{
	size_t n = strlen(opt);

	for (unsigned int i = 0; i < a->n_eal_args; i++)
		if (strncmp(a->eal_args[i], opt, n) == 0)
			return true;
	return false;
}

/*
 * EAL arguments from the appliance section: lcores (main + workers), memory,
 * file prefix, one --vdev per virtual port, then the operator's extra
 * arguments. The operator's -l/--lcores wins over the computed list.
 */
#define EAL_ARGV_MAX (16 + SG_CFG_PORTS_MAX * 2 + SG_CFG_EAL_ARGS_MAX)
/* With hugepages: where EAL maps memory unless eal_args say --base-virtaddr (32 TiB). */
#define SG_DP_BASE_VIRTADDR "0x200000000000"
#define POOL_CACHE	    256 /* mbufs cached per lcore */
#define HOLD_MBUFS_MIN	    256 /* per worker, whatever the pool */

/*
 * The pool's free mbufs that held sessions never take (issue 12, defect 1):
 * control.hold_reserve_mbufs, by default an eighth of the pool.
 */
static uint32_t
hold_reserve(const struct sg_cfg_appliance *a)
{
	return a->control.hold_reserve_mbufs != 0 ? a->control.hold_reserve_mbufs : a->mbufs / 8;
}

/*
 * Mbufs the held sessions of one worker may pin: control.hold_mbufs, or
 * what is left of the pool once every rx and tx ring is full, every
 * lcore's cache too and the reserve is kept, shared by the workers.
 */
static uint32_t
hold_mbufs(const struct sg_cfg_appliance *a, unsigned int n_workers)
{
	uint64_t pinned = (uint64_t)POOL_CACHE * (n_workers + 1) + hold_reserve(a);
	unsigned int p;

	if (a->control.hold_mbufs != 0)
		return a->control.hold_mbufs;
	for (p = 0; p < a->n_ports; p++)
		pinned += ((uint64_t)a->ports[p].rx_desc + a->ports[p].tx_desc) * n_workers;
	if (pinned + (uint64_t)HOLD_MBUFS_MIN * n_workers > a->mbufs) {
		SG_DP_LOG(WARNING,
			  "appliance.mbufs %u leaves under %u mbufs per worker for held sessions "
			  "once rx/tx rings, caches and the reserve are full: holding %u; raise "
			  "appliance.mbufs",
			  a->mbufs, HOLD_MBUFS_MIN, HOLD_MBUFS_MIN);
		return HOLD_MBUFS_MIN;
	}
	return (uint32_t)((a->mbufs - pinned) / n_workers);
}
static int
build_eal_argv(const struct sg_cfg *cfg, const char *prog, char **argv, char bufs[][64])
{
	const struct sg_cfg_appliance *a = &cfg->appliance;
	bool all_vdev = true;
	int argc = 0;
	int b = 0;

	argv[argc++] = (char *)(uintptr_t)prog;
	if (!eal_args_have(a, "-l") && !eal_args_have(a, "--lcores") && !eal_args_have(a, "-c")) {
		snprintf(bufs[b], 64, "0-%u", a->workers);
		argv[argc++] = "-l";
		argv[argc++] = bufs[b++];
	}
	argv[argc++] = "--file-prefix";
	argv[argc++] = (char *)(uintptr_t)(a->file_prefix[0] ? a->file_prefix : "sessiongate");
	if (a->no_huge)
		argv[argc++] = "--no-huge";
	else if (!eal_args_have(a, "--base-virtaddr"))
		/* A capture process (dpdk-dumpcap) maps our memory at the addresses we
		 * got: left to the kernel they may be taken by its own libraries
		 * ("Cannot get a virtual area"; often under ASan). This address is free
		 * in a plain process and in ASan's high memory alike. */
		argv[argc++] = "--base-virtaddr=" SG_DP_BASE_VIRTADDR;
	if (a->memory_mb) {
		snprintf(bufs[b], 64, "%u", a->memory_mb);
		argv[argc++] = "-m";
		argv[argc++] = bufs[b++];
	}
	for (unsigned int i = 0; i < a->n_ports; i++) {
		if (!is_vdev(a->ports[i].device)) {
			all_vdev = false;
			continue;
		}
		argv[argc++] = "--vdev";
		argv[argc++] = (char *)(uintptr_t)a->ports[i].device;
	}
	if (all_vdev && !eal_args_have(a, "--no-pci") && !eal_args_have(a, "-a"))
		argv[argc++] = "--no-pci";
	for (unsigned int i = 0; i < a->n_eal_args; i++)
		argv[argc++] = (char *)(uintptr_t)a->eal_args[i];
	argv[argc] = NULL;
	return argc;
}

/*
 * The control-plane polls of a worker round (sg-control's ring and the
 * broker's timers, state sync, the main lcore's packets) run at most every
 * SG_DP_CTL_POLL_US: a round with a packet or two (paced traffic, a NIC at
 * part load) then costs the rx polls, the packets and the tx, and control
 * messages wait a microsecond at most. A loaded round takes longer than that
 * and polls every time.
 */
#define SG_DP_CTL_POLL_US 1

/* Worker 0: append the main lcore's packets to its output queues. */
static void
ctl_tx_take(struct sg_dp_app *app, struct sg_dp_txq *txq)
{
	struct rte_mbuf *m = NULL;

	while (rte_ring_dequeue(app->ctl_tx, (void **)&m) == 0) {
		uint16_t p = m->port;

		if (p >= app->n_ports || txq->n[p] >= SG_DP_TXQ_MAX) {
			rte_pktmbuf_free(m);
			app->ctl_tx_queue_full++;
			continue;
		}
		txq->pkts[p][txq->n[p]++] = m;
	}
}

static int
worker_main(void *arg)
{
	struct sg_dp_worker_ctx *ctx = arg;
	struct sg_dp_app *app = ctx->app;
	struct sg_dp_worker *w = ctx->worker;
	const uint16_t q = ctx->id;
	struct rte_mbuf *pkts[SG_DP_RX_BURST];
	struct sg_dp_txq *txq;
	const uint64_t expire_every = rte_get_tsc_hz() / 1000000 * SG_DP_EXPIRE_US;
	const uint32_t slices = SG_DP_EXPIRE_PASS_S * (1000000 / SG_DP_EXPIRE_US);
	const unsigned int expire_budget =
		RTE_MAX(64u, app->cfg->appliance.flow_table_size / slices + 1);
	const uint64_t ctl_every = rte_get_tsc_hz() / 1000000 * SG_DP_CTL_POLL_US;
	uint64_t last_expire = 0, last_ctl = 0;
	struct sg_dp_idle idle;
	struct sg_dp_portguard_worker *guard;

	txq = rte_zmalloc_socket("sg_txq", sizeof(*txq), RTE_CACHE_LINE_SIZE, rte_socket_id());
	if (txq == NULL) {
		SG_DP_LOG(ERR, "worker %u: cannot allocate its output queue", ctx->id);
		app->quit = true;
		return -ENOMEM;
	}
	guard = sg_dp_portguard_worker_enter(app, ctx->id, w);
	rte_rcu_qsbr_thread_register(app->qsbr, ctx->id);
	rte_rcu_qsbr_thread_online(app->qsbr, ctx->id);
	sg_dp_idle_init(&idle, &app->cfg->appliance.idle, w, app->qsbr, ctx->id);
	sg_dp_idle_watch(&idle, app->handoff[q]);
	sg_dp_idle_watch(&idle, app->ctl.from_ctl[q]);
	sg_dp_idle_watch(&idle, q == 0 ? app->ctl_tx : NULL);
	SG_DP_LOG(INFO, "worker %u running on lcore %u%s", ctx->id, ctx->lcore,
		  sg_dp_idle_enabled(&idle) ? " (idle mode)" : "");

	while (!app->quit) {
		const struct sg_dp_tables *t = __atomic_load_n(&app->tables, __ATOMIC_ACQUIRE);
		uint64_t now = rte_rdtsc();
		bool busy = false;

		for (unsigned int p = 0; p < app->n_ports; p++) {
			uint16_t n;

			/* a memif port: armed against its peer leaving mid-burst */
			if (guard->guarded[p])
				n = sg_dp_portguard_rx(guard, p, q, pkts, SG_DP_RX_BURST);
			else
				n = rte_eth_rx_burst(app->port_id[p], q, pkts, SG_DP_RX_BURST);
			if (n == 0)
				continue;
			busy = true;
			sg_dp_worker_process(w, t, p, pkts, n, txq, now);
		}
		if (!busy)
			busy = sg_dp_idle_rings_busy(&idle);
		if (!rte_ring_empty(app->handoff[q])) /* no call when nothing was handed over */
			sg_dp_worker_handoff_drain(w, t, txq, now);
		if (now - last_ctl >= ctl_every) {
			last_ctl = now;
			if (guard->n_guarded != 0)
				sg_dp_portguard_worker_poll(guard, now);
			sg_dp_worker_poll_control(w, t, txq, now);
			if (sg_dp_worker_sync_poll(w, t, now))
				busy = true;
			if (q == 0 && unlikely(!rte_ring_empty(app->ctl_tx)))
				ctl_tx_take(app, txq);
		}

		for (unsigned int p = 0; p < app->n_ports; p++) {
			uint16_t n = txq->n[p];
			uint16_t sent;

			if (n == 0)
				continue;
			busy = true;
			txq->n[p] = 0;
			if (guard->guarded[p]) {
				sg_dp_portguard_tx(guard, p, q, txq->pkts[p], n);
				continue;
			}
			sent = rte_eth_tx_burst(app->port_id[p], q, txq->pkts[p], n);
			sg_dp_worker_count_tx(w, p, txq->pkts[p], sent, n - sent);
			if (unlikely(sent < n))
				rte_pktmbuf_free_bulk(&txq->pkts[p][sent], n - sent);
		}
		/*
		 * Expiry is paced by time, busy or idle: a slice of the table
		 * every SG_DP_EXPIRE_US, so a full pass takes about
		 * SG_DP_EXPIRE_PASS_S whatever the table size, and an idle poll
		 * never pays a burst of cache misses before the next rx.
		 */
		if (now - last_expire >= expire_every) {
			sg_dp_worker_expire(w, t, now, expire_budget);
			last_expire = now;
		}
		rte_rcu_qsbr_quiescent(app->qsbr, ctx->id);
		sg_dp_idle_round(&idle, busy);
	}
	rte_rcu_qsbr_thread_offline(app->qsbr, ctx->id);
	rte_rcu_qsbr_thread_unregister(app->qsbr, ctx->id);
	sg_dp_portguard_worker_leave();
	rte_free(txq);
	return 0;
}

/* Main lcore: neighbour solicitation for next hops the workers asked for. */
static void
housekeeping(struct sg_dp_app *app)
{
	struct rte_mbuf *out[SG_DP_BURST];
	uint16_t out_port[SG_DP_BURST];
	unsigned int n;

	pthread_mutex_lock(&app->ctl_lock);
	sg_dp_neigh_pin(app->neigh, app->tables, rte_rdtsc()); /* once per publication */
	n = sg_dp_neigh_solicit(app->neigh, app->tables, app->pool, rte_rdtsc(), out, out_port,
				SG_DP_BURST);
	pthread_mutex_unlock(&app->ctl_lock);
	for (unsigned int i = 0; i < n; i++) {
		out[i]->port = out_port[i];
		if (rte_ring_enqueue(app->ctl_tx, out[i]) != 0) {
			rte_pktmbuf_free(out[i]);
			app->ctl_tx_ring_full++;
		}
	}
}

/* A new SYN-cookie key every SG_DP_COOKIE_ROTATE_S (the cookie lifetime is 64-128 s). */
static void
cookie_rotate(struct sg_dp_app *app)
{
	uint64_t now = rte_get_timer_cycles();
	uint8_t key[16];

	if (app->cookie_rotated == 0) {
		app->cookie_rotated = now;
		return;
	}
	if (now - app->cookie_rotated < rte_get_timer_hz() * SG_DP_COOKIE_ROTATE_S)
		return;
	app->cookie_rotated = now;
	if (getrandom(key, sizeof(key), 0) != sizeof(key)) {
		SG_DP_LOG(WARNING, "no random bytes for a new SYN-cookie key: keeping the old one");
		return;
	}
	sg_dp_syncookie_rotate(&app->cookies, key);
}

/* The main lcore's periodic work, every SG_DP_HOUSEKEEPING_US. */
static void
main_housekeeping(struct sg_dp_app *app)
{
	if (app->reload_requested) {
		char msg[512];

		app->reload_requested = false;
		sg_dp_reload(app, msg, sizeof(msg));
	}
	housekeeping(app);
	sg_dp_portguard_tick(app);
	sg_dp_member_state_poll(app);
	sg_dp_ctlchan_tick(app);
	sg_dp_cluster_heartbeat(app);
	if (!sg_dp_testmode_enabled())
		cookie_rotate(app);
}

static int
create_workers(struct sg_dp_app *app)
{
	const struct sg_cfg_appliance *a = &app->cfg->appliance;
	unsigned int lcore, i = 0;
	size_t qsz;

	if (rte_lcore_count() < 2) {
		SG_DP_LOG(ERR, "need at least 2 lcores (main + 1 worker), EAL gave %u",
			  rte_lcore_count());
		return -EINVAL;
	}
	app->n_workers = rte_lcore_count() - 1;
	if (app->n_workers > SG_DP_WORKERS_MAX)
		app->n_workers = SG_DP_WORKERS_MAX;
	if (app->n_workers != a->workers)
		SG_DP_LOG(NOTICE,
			  "appliance.workers is %u but EAL lcores give %u workers: using %u",
			  a->workers, app->n_workers, app->n_workers);

	qsz = rte_rcu_qsbr_get_memsize(app->n_workers);
	app->qsbr = rte_zmalloc("sg_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (app->qsbr == NULL || rte_rcu_qsbr_init(app->qsbr, app->n_workers) != 0) {
		SG_DP_LOG(ERR, "cannot set up RCU for %u workers", app->n_workers);
		return -ENOMEM;
	}
	app->neigh = sg_dp_neigh_create(app->cfg->appliance.neighbours, rte_socket_id());
	if (app->neigh == NULL) {
		SG_DP_LOG(ERR, "cannot allocate the neighbour table");
		return -ENOMEM;
	}
	for (i = 0; i < app->n_workers; i++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "sg_handoff_%u", i);
		app->handoff[i] =
			rte_ring_create(name, SG_DP_HANDOFF_RING, rte_socket_id(), RING_F_SC_DEQ);
		if (app->handoff[i] == NULL) {
			SG_DP_LOG(ERR, "cannot create hand-off ring %u: %s", i,
				  rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}

	/* the kernel's packets (exception path) come this way too: its queue size at least */
	app->ctl_tx =
		rte_ring_create("sg_ctl_tx", RTE_MAX(256u, rte_align32pow2(app->exc.cfg.queue)),
				rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (app->ctl_tx == NULL) {
		SG_DP_LOG(ERR, "cannot create the main lcore's tx ring: %s",
			  rte_strerror(rte_errno));
		return -ENOMEM;
	}

	if (sg_dp_member_state_init(app) != 0)
		return -ENOMEM;

	i = 0;
	RTE_LCORE_FOREACH_WORKER (lcore) {
		struct sg_dp_worker_conf wc;

		if (i == app->n_workers)
			break;
		memset(&wc, 0, sizeof(wc));
		wc.id = i;
		wc.n_workers = app->n_workers;
		wc.socket = (int)rte_lcore_to_socket_id(lcore);
		wc.flow_entries = a->flow_table_size;
		wc.neigh = app->neigh;
		memcpy(wc.ports, app->port_info, sizeof(wc.ports));
		memcpy(wc.handoff, app->handoff, app->n_workers * sizeof(struct rte_ring *));
		wc.to_ctl = app->ctl.to_ctl[i];
		wc.from_ctl = app->ctl.from_ctl[i];
		wc.ctl_up = &app->ctl.ctl_up;
		wc.vs_stats = true; /* VS_STATS about once a second (session/vsstats.h) */
		wc.dp_epoch = app->ctl.epoch;
		wc.max_held = a->control.max_held;
		wc.hold_budget = (uint64_t)a->control.hold_budget_kb * 1024;
		wc.hold_mbufs = hold_mbufs(a, app->n_workers);
		wc.hold_reserve = hold_reserve(a);
		wc.pfx_max_held = a->control.max_held_per_prefix;
		wc.pfx_new_rate = a->control.new_per_prefix_rate;
		wc.pfx_new_burst = a->control.new_per_prefix_burst;
		wc.cookies = &app->cookies;
		wc.pool = app->pool;
		wc.exc_ring = app->exc.ring;
		wc.exc_rate_pps = app->exc.cfg.rate_pps;
		wc.exc_burst = app->exc.cfg.burst;
		wc.exc_prio_ring = app->exc.prio_ring;
		memcpy(wc.exc_prio_peers, app->exc.peers, sizeof(wc.exc_prio_peers));
		wc.n_exc_prio_peers = app->exc.n_peers;
		wc.member_mbox = i == 0 ? app->member_mbox : NULL; /* MEMBER_STATE: worker 0 */
		sg_dp_sync_worker_conf(app, i, &wc);
		sg_dp_testmode_worker_conf(&wc);
		app->wctx[i].app = app;
		app->wctx[i].id = i;
		app->wctx[i].lcore = lcore;
		app->wctx[i].worker = sg_dp_worker_create(&wc);
		if (app->wctx[i].worker == NULL) {
			SG_DP_LOG(ERR, "cannot create worker %u (flow table of %u entries)", i,
				  wc.flow_entries);
			return -ENOMEM;
		}
		i++;
	}
	return 0;
}

static void
write_ready_file(const char *path)
{
	FILE *f;

	if (path == NULL)
		return;
	f = fopen(path, "w");
	if (f == NULL) {
		SG_DP_LOG(WARNING, "cannot write ready file %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

static void
cleanup(struct sg_dp_app *app)
{
	sg_dp_capture_fini(); /* no capture process adds callbacks from here on */
	sg_dp_sync_stop(app); /* the workers are stopped: their rings go */
	sg_dp_exc_stop(app);
	sg_dp_ports_stop(app);
	sg_dp_portguard_fini(app);
	for (unsigned int i = 0; i < app->n_workers; i++) {
		sg_dp_worker_free(app->wctx[i].worker);
		rte_ring_free(app->handoff[i]);
	}
	if (app->ctl_tx != NULL) {
		struct rte_mbuf *m = NULL;

		while (rte_ring_dequeue(app->ctl_tx, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(app->ctl_tx);
	}
	sg_dp_ctlchan_destroy(app);
	sg_dp_member_state_destroy(app);
	sg_dp_tables_free(app->tables);
	sg_dp_neigh_free(app->neigh);
	rte_free(app->qsbr);
	rte_mempool_free(app->pool);
	sg_cfg_free(app->cfg);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'k'},
		{"ready-file", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{"test-deterministic", no_argument, NULL, 'T'},
		{"test-neigh", required_argument, NULL, 'N'},
		{NULL, 0, NULL, 0},
	};
	struct sg_dp_app *app = &g_app;
	const char *ready_file = NULL;
	struct sg_cfg_error cerr;
	char *eal_argv[EAL_ARGV_MAX + 1];
	char eal_bufs[4][64];
	bool check_only = false;
	uint64_t next_housekeeping = 0, hk_cycles;
	unsigned int lcore;
	int eal_argc, opt, rc;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			app->config_path = optarg;
			break;
		case 'k':
			check_only = true;
			break;
		case 'r':
			ready_file = optarg;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		case 'T':
			sg_dp_testmode_enable();
			break;
		case 'N':
			if (sg_dp_testmode_add_neigh(optarg) != 0) {
				fprintf(stderr, "sg-dataplane: bad --test-neigh %s (ADDR=MAC)\n",
					optarg);
				return 2;
			}
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (app->config_path == NULL || optind != argc) {
		usage(argv[0]);
		return 2;
	}

	rc = sg_cfg_load_file(app->config_path, &app->cfg, &cerr);
	if (rc != 0) {
		char msg[768];

		fprintf(stderr, "sg-dataplane: %s\n", sg_cfg_error_format(&cerr, msg, sizeof(msg)));
		return 1;
	}
	if (check_only) {
		printf("%s: ok\n", app->config_path);
		sg_cfg_free(app->cfg);
		return 0;
	}

	eal_argc = build_eal_argv(app->cfg, argv[0], eal_argv, eal_bufs);
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "sg-dataplane: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		sg_cfg_free(app->cfg);
		return 1;
	}
	pthread_mutex_init(&app->ctl_lock, NULL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	app->pool = rte_pktmbuf_pool_create("sg_mbufs", app->cfg->appliance.mbufs, POOL_CACHE, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (app->pool == NULL) {
		SG_DP_LOG(ERR, "cannot create a pool of %u mbufs: %s (raise appliance.memory_mb)",
			  app->cfg->appliance.mbufs, rte_strerror(rte_errno));
		rc = 1;
		goto out;
	}
	app->n_workers = rte_lcore_count() - 1;
	if (sg_dp_syncookie_init(&app->cookies) != 0) {
		SG_DP_LOG(ERR, "no random bytes for the SYN-cookie keys");
		rc = 1;
		goto out;
	}
	if (sg_dp_ports_setup(app) != 0 || sg_dp_exc_setup(app) != 0 ||
	    sg_dp_ctlchan_create(app) != 0 || sg_dp_sync_setup(app) != 0 ||
	    create_workers(app) != 0 || sg_dp_portguard_init(app) != 0 ||
	    sg_dp_tables_publish_initial(app) != 0 || sg_dp_telemetry_register(app) != 0 ||
	    sg_dp_cluster_register(app) != 0 || sg_dp_capture_init(app) != 0 ||
	    sg_dp_testmode_apply(app) != 0 || sg_dp_sync_start(app) != 0) {
		rc = 1;
		goto out;
	}

	for (unsigned int i = 0; i < app->n_workers; i++)
		rte_eal_remote_launch(worker_main, &app->wctx[i], app->wctx[i].lcore);
	SG_DP_LOG(NOTICE, "ready: %u ports, %u workers, config %s", app->n_ports, app->n_workers,
		  app->config_path);
	write_ready_file(ready_file);
	hk_cycles = rte_get_timer_hz() / 1000000 * SG_DP_HOUSEKEEPING_US;

	while (!app->quit) {
		uint64_t now = rte_get_timer_cycles();

		if (now >= next_housekeeping) {
			next_housekeeping = now + hk_cycles;
			main_housekeeping(app);
		}
		/* the exception path's latency: a poll per SG_DP_EXC_POLL_US when on */
		sg_dp_exc_poll(app);
		rte_delay_us_sleep(app->exc.ring != NULL ? SG_DP_EXC_POLL_US
							 : SG_DP_HOUSEKEEPING_US);
	}
	SG_DP_LOG(NOTICE, "stopping");
	rc = 0;
	RTE_LCORE_FOREACH_WORKER (lcore) {
		if (rte_eal_wait_lcore(lcore) < 0)
			rc = 1;
	}
out:
	if (ready_file != NULL)
		unlink(ready_file);
	cleanup(app);
	rte_eal_cleanup();
	return rc;
}
