/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-control: the control-path daemon. One process, one libevent loop:
 *
 *   ring poll   every ring_poll_us while idle, back to back while messages
 *               flow (the shm rings cannot wake a file descriptor)
 *   tick        every 10 ms: deadlines, idle VMs, bus request deadlines
 *   sync        every db_sync_ms (default off): mdb_env_sync (the DB runs
 *               MDB_WRITEMAP | MDB_NOSYNC; see sessiondb.c)
 *   admin       Unix socket, JSON lines
 *   metrics     HTTP GET /metrics
 *   agents      TCP, host agents (pre-shared key)
 *
 * Restartable at any time: the session DB is written before any message
 * leaves for the data plane, and SESSION_RESYNC recovers what is held.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <event2/event.h>
#include <jansson.h>

#include "ctl.h"
#include "admin.h"
#include "cluster.h"
#include "health_probe.h"
#include "agent.h"
#include "metrics.h"
#include "ids.h"
#include "inventory.h"
#include "sessiondb.h"
#include "shm.h"

#define TICK_US 10000

struct daemon {
	struct sg_ctl c;
	struct sg_ctl_cfg cfg;
	struct event *poll_ev, *tick_ev, *sync_ev, *sig_term, *sig_int, *sig_hup;
	struct sg_ctl_probe *probe;	/**< active health checks */
	struct sg_ctl_cluster *cluster; /**< cluster mode; NULL: standalone */
	uint32_t idle_polls;
};

static void
arm(struct event *ev, uint32_t us)
{
	struct timeval tv = {.tv_sec = us / 1000000, .tv_usec = us % 1000000};

	evtimer_add(ev, &tv);
}

/* The view's reload (admin "reload", SIGHUP): the YAML reader is the daemon's. */
static int
reload(void *ctx, char *err, size_t errlen)
{
	struct sg_ctl *c = ctx;
	struct daemon *d = (struct daemon *)c; /* c is its first member */
	int rc;

	sg_ctl_usage_flush(&c->usage, c->clock.now_ns); /* the old paths get their lines */
	/* objects matched by name: added, changed in place, retiring (inventory_store.c) */
	rc = sg_ctl_inventory_reload(&c->invm, err, errlen);
	if (rc < 0)
		return rc;
	if (c->cfg->appliance_config[0] != '\0') {
		/* Checks in flight name members by index: abandoned, started again. */
		sg_ctl_probe_cancel_all(d->probe);
		rc = sg_ctl_health_load(&c->health, c->cfg->appliance_config, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (sg_ctl_ids_users(c->ids) < 0)
		syslog(LOG_WARNING, "reload: users could not all be written to idmgr");
	return 0;
}

/* The inventory's hooks into the agent links (no agent_listen: nothing to tell). */
static void
inv_push_vm(void *ctx, const struct sg_ctl_vm *vm)
{
	struct sg_ctl *c = ctx;

	if (c->agents != NULL)
		sg_ctl_agent_push_vm(c->agents, vm);
}

static void
inv_forget_vm(void *ctx, const struct sg_ctl_host *h, const char *name)
{
	struct sg_ctl *c = ctx;

	if (c->agents != NULL)
		sg_ctl_agent_forget_vm(c->agents, h, name);
}

static void
inv_host_gone(void *ctx, struct sg_ctl_host *h)
{
	struct sg_ctl *c = ctx;

	if (c->agents != NULL)
		sg_ctl_agent_drop_host(c->agents, h);
}

static void
step_end(void *ctx)
{
	sg_ctl_commit(ctx);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	unsigned int n;

	(void)fd;
	(void)what;
	n = sg_ctl_poll(&d->c, 4096);
	if (n > 0) {
		d->idle_polls = 0;
		arm(d->poll_ev, 0);
	} else {
		/* Idle for a second: poll 5x less often (at most 1 ms late). */
		d->idle_polls++;
		arm(d->poll_ev,
		    d->idle_polls > 1000000 / d->cfg.ring_poll_us
			    ? d->cfg.ring_poll_us * 5 > 1000 ? 1000 : d->cfg.ring_poll_us * 5
			    : d->cfg.ring_poll_us);
	}
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	sg_ctl_tick(&d->c);
}

static void
sync_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	sg_ctl_db_sync(d->c.db);
}

static void
sig_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	char err[512];

	(void)what;
	if (sig == SIGHUP) {
		if (reload(&d->c, err, sizeof(err)) < 0)
			syslog(LOG_ERR, "reload refused: %s", err);
		return;
	}
	syslog(LOG_NOTICE, "signal %d: stopping", (int)sig);
	event_base_loopbreak(d->c.base);
}

/* Cluster mode: etcd client, the session and VM hooks (before the session DB is read). */
static int
cluster_wire(struct daemon *d)
{
	struct sg_ctl_cluster_deps deps = {.cfg = &d->cfg,
					   .base = d->c.base,
					   .clk = &d->c.clock,
					   .inv = &d->c.inv,
					   .vmm = &d->c.vmm,
					   .ids = d->c.ids,
					   .st = &d->c.st.cluster,
					   .step_end = step_end,
					   .ctx = &d->c};
	char err[256];

	if (sg_ctl_cluster_create(&d->cluster, &deps, err, sizeof(err)) < 0) {
		syslog(LOG_ERR, "cluster: %s", err);
		return -1;
	}
	d->c.csm.claim = sg_ctl_cluster_claim;
	d->c.csm.foreign_closed = sg_ctl_cluster_foreign_closed;
	d->c.csm.cl_ctx = d->cluster;
	d->c.committed = sg_ctl_cluster_committed;
	d->c.committed_ctx = d->cluster;
	d->c.vmm.want = sg_ctl_cluster_want;
	d->c.vmm.want_ctx = d->cluster;
	d->c.view.cluster = d->cluster;
	sg_ctl_ids_cluster(d->c.ids, d->cluster->etcd, d->cfg.cluster.prefix);
	syslog(LOG_INFO, "cluster mode: node %s, etcd %s (%u endpoints), lease TTL %u s",
	       d->cfg.cluster.node, d->cfg.cluster.endpoints[0], d->cfg.cluster.n_endpoints,
	       d->cfg.cluster.lease_ttl_s);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: sg-control -c FILE [-f] [-v] [--check]\n"
		   "  -c, --config FILE   sg-control YAML file (doc/control.md)\n"
		   "  -f, --foreground    log to stderr as well\n"
		   "  -v, --verbose       log debug messages\n"
		   "      --check         validate the file and exit\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"foreground", no_argument, NULL, 'f'},
		{"verbose", no_argument, NULL, 'v'},	  {"check", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0}};
	const char *path = NULL;
	bool fg = false, verbose = false, check = false;
	struct event_config *ecfg;
	struct event_base *base;
	struct sg_ctl_agent_deps agents;
	struct sg_ctl_probe_deps probe;
	struct daemon *d;
	json_t *specs = NULL;
	char err[512];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:fvh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			fg = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'C':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return 1;
	rc = sg_ctl_cfg_load(path, &d->cfg, err, sizeof(err));
	if (rc == 0) /* the objects sgctl added: <db_dir>/inventory.json */
		rc = sg_ctl_inventory_load(&d->cfg, &specs, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sg-control: %s\n", err);
		return 2;
	}
	if (check && d->cfg.appliance_config[0] != '\0') {
		struct sg_ctl_health h;
		struct sg_ctl_clock clk = {0};

		sg_ctl_health_init(&h, &clk, NULL, NULL);
		rc = sg_ctl_health_load(&h, d->cfg.appliance_config, err, sizeof(err));
		if (rc == 0)
			printf("%s: ok (%u pools, %u members to check)\n", d->cfg.appliance_config,
			       h.n_pools, h.n);
		sg_ctl_health_fini(&h);
		if (rc < 0) {
			fprintf(stderr, "sg-control: %s\n", err);
			return 2;
		}
	}
	if (check) {
		printf("%s: ok (%u applications, %u pools, %u VMs, %u hosts)\n", path,
		       d->cfg.n_apps, d->cfg.n_pools, d->cfg.n_vms, d->cfg.n_hosts);
		return 0;
	}
	openlog("sg-control", LOG_PID | (fg ? LOG_PERROR : 0), LOG_DAEMON);
	setlogmask(LOG_UPTO(verbose ? LOG_DEBUG : LOG_INFO));
	signal(SIGPIPE, SIG_IGN);
	/* Precise timers (timerfd): epoll's millisecond timeouts would round the
	 * ring poll interval of ~100 us up to 1 ms. */
	ecfg = event_config_new();
	if (ecfg != NULL)
		event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = ecfg != NULL ? event_base_new_with_config(ecfg) : NULL;
	if (ecfg != NULL)
		event_config_free(ecfg);
	rc = sg_ctl_init(&d->c, &d->cfg, base);
	if (rc < 0 || d->c.base == NULL) {
		syslog(LOG_ERR, "init failed: %s", strerror(-rc));
		return 1;
	}
	d->c.cfg_path = path;
	d->c.view.reload = reload;
	sg_ctl_inventory_attach(&d->c.invm, path, specs);
	if (d->cfg.cluster.enabled && cluster_wire(d) < 0)
		return 1;
	if (sg_ctl_ids_open(d->c.ids) < 0)
		return 1;
	rc = sg_ctl_db_open(d->c.db, d->cfg.db_dir, d->cfg.db_map_mb);
	if (rc < 0)
		return 1;
	if (sg_ctl_db_load(d->c.db) < 0)
		return 1;
	if (sg_ctl_shm_open(d->c.shm, d->cfg.shm_name) < 0)
		return 1;
	if (d->cfg.appliance_config[0] != '\0') {
		rc = sg_ctl_health_load(&d->c.health, d->cfg.appliance_config, err, sizeof(err));
		if (rc < 0) {
			syslog(LOG_ERR, "%s", err);
			fprintf(stderr, "sg-control: %s\n", err);
			return 2;
		}
	}
	probe = (struct sg_ctl_probe_deps){.base = d->c.base,
					   .clk = &d->c.clock,
					   .health = &d->c.health,
					   .step_end = step_end,
					   .ctx = &d->c};
	if (sg_ctl_probe_create(&d->probe, &probe) < 0)
		return 1;
	if (sg_ctl_admin_listen(&d->c.admin, &d->c.view, &d->c.st, d->cfg.admin_socket) < 0)
		return 1;
	if (d->cfg.metrics_listen[0] != '\0' &&
	    sg_ctl_metrics_listen(&d->c.metrics, &d->c.view, d->cfg.metrics_listen) < 0)
		return 1;
	agents = (struct sg_ctl_agent_deps){.cfg = &d->cfg,
					    .base = d->c.base,
					    .clk = &d->c.clock,
					    .bus = d->c.bus,
					    .inv = &d->c.inv,
					    .st = &d->c.st.agent,
					    .step_end = step_end,
					    .ctx = &d->c};
	if (d->cfg.agent_listen[0] != '\0' && sg_ctl_agent_listen(&d->c.agents, &agents) < 0)
		return 1;
	/* VMs added at run time: pushed to their host's agent, forgotten once removed */
	d->c.invm.push_vm = inv_push_vm;
	d->c.invm.forget_vm = inv_forget_vm;
	d->c.invm.host_gone = inv_host_gone;
	d->c.invm.agent_ctx = &d->c;
	if (d->cluster != NULL)
		sg_ctl_cluster_start(d->cluster); /* a lease, the view, then VM claims */
	sg_ctl_commit(&d->c); /* sessions dropped or re-admitted while restoring */
	d->poll_ev = evtimer_new(d->c.base, poll_cb, d);
	d->tick_ev = event_new(d->c.base, -1, EV_PERSIST, tick_cb, d);
	d->sync_ev = event_new(d->c.base, -1, EV_PERSIST, sync_cb, d);
	/* (armed only with control.db_sync_ms) */
	d->sig_term = evsignal_new(d->c.base, SIGTERM, sig_cb, d);
	d->sig_int = evsignal_new(d->c.base, SIGINT, sig_cb, d);
	d->sig_hup = evsignal_new(d->c.base, SIGHUP, sig_cb, d);
	arm(d->poll_ev, 0);
	arm(d->tick_ev, TICK_US);
	if (d->cfg.db_sync_ms > 0)
		arm(d->sync_ev, d->cfg.db_sync_ms * 1000);
	evsignal_add(d->sig_term, NULL);
	evsignal_add(d->sig_int, NULL);
	evsignal_add(d->sig_hup, NULL);
	syslog(LOG_INFO, "ready: %u applications, %u VMs on %u hosts, admin %s", d->cfg.n_apps,
	       d->cfg.n_vms, d->cfg.n_hosts, d->cfg.admin_socket);
	event_base_dispatch(d->c.base);
	sg_ctl_commit(&d->c);
	sg_ctl_cluster_destroy(d->cluster); /* lease revoked: peers take its VMs at once */
	sg_ctl_probe_destroy(d->probe);
	sg_ctl_agent_close(d->c.agents);
	sg_ctl_metrics_close(d->c.metrics);
	sg_ctl_admin_close(d->c.admin);
	event_free(d->poll_ev);
	event_free(d->tick_ev);
	event_free(d->sync_ev);
	event_free(d->sig_term);
	event_free(d->sig_int);
	event_free(d->sig_hup);
	sg_ctl_inventory_store_fini(&d->c.invm);
	sg_ctl_fini(&d->c);
	event_base_free(d->c.base);
	free(d);
	closelog();
	return 0;
}
