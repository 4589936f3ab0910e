/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port guard (portguard.h): bursts on memif ports armed against the
 * driver's unmap when the peer leaves, the fault handler, the gates the main
 * lcore closes while a link is down, and the restart of memif clients.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_telemetry.h>

#include "app.h"
#include "portguard.h"

enum pg_state {
	PG_RUNNING,  /**< gate open, link up */
	PG_DRAINING, /**< gate closed: waiting for every worker to stop polling */
	PG_RESTART,  /**< memif client, every worker away: restart it when due */
	PG_WAIT_UP,  /**< gate closed: waiting for the link (the peer, or our restart) */
};

/* One guarded port: the main lcore's (telemetry reads the counters). */
struct pg_port {
	uint32_t gen; /**< the gate: even open, odd closed (workers read it atomically) */
	enum pg_state state;
	bool guarded;
	bool client;	    /**< role=client: DPDK does not reconnect it by itself */
	bool started;	    /**< not stopped by a restart that failed to start it again */
	unsigned int tries; /**< restarts since the link went down */
	uint64_t down_tsc;  /**< timer cycles: when the gate closed */
	uint64_t next_try;  /**< timer cycles: the next restart */
	uint64_t wait_tsc;  /**< timer cycles: since when PG_WAIT_UP waits */
	uint64_t link_down, link_up;
};

struct sg_dp_portguard {
	struct pg_port port[SG_DP_PORTS_MAX];
	unsigned int n_guarded;
	bool handlers;
	struct sg_dp_portguard_worker wk[SG_DP_WORKERS_MAX];
};

/* The worker of this thread (NULL on every other thread). */
static __thread struct sg_dp_portguard_worker *tls_worker;
static struct sigaction old_segv, old_bus;

/*
 * SIGSEGV / SIGBUS. Async-signal-safe: a thread-local pointer, the armed
 * port's link, siglongjmp or sigaction. rte_eth_devices is internal to
 * DPDK; rte_eth_link_get_nowait() on a memif port (the only kind armed) is
 * memif_link_update(), which does nothing in a primary process, and a copy
 * of dev->data->dev_link: plain memory reads. A fault that is not a guarded
 * burst on a port whose link went down gets the disposition we found
 * (ASan's report, or the default: a core) when it happens again on return,
 * in its own context; a signal sent with kill() is raised again.
 */
static void
on_fault(int sig, siginfo_t *si, void *uc __rte_unused)
{
	struct sg_dp_portguard_worker *g = tls_worker;
	uint32_t armed = g != NULL ? g->armed : 0;
	struct rte_eth_link l;

	if (armed != 0 && rte_eth_link_get_nowait((uint16_t)(armed - 1), &l) == 0 &&
	    l.link_status == RTE_ETH_LINK_DOWN)
		siglongjmp(g->jb, 1);
	sigaction(sig, sig == SIGBUS ? &old_bus : &old_segv, NULL);
	if (si == NULL || si->si_code <= 0)
		raise(sig); /* sent (kill, raise): it would not happen again by itself */
}

bool
sg_dp_portguard_memif_client(const struct rte_eth_dev_info *info, const char *device)
{
	return info->driver_name != NULL && strcmp(info->driver_name, "net_memif") == 0 &&
	       (strstr(device, "role=client") != NULL || strstr(device, "role=slave") != NULL);
}

int
sg_dp_portguard_init(struct sg_dp_app *app)
{
	struct sg_dp_portguard *pg;
	uint64_t now = rte_get_timer_cycles();
	struct sigaction sa;

	pg = rte_zmalloc("sg_portguard", sizeof(*pg), RTE_CACHE_LINE_SIZE);
	if (pg == NULL) {
		SG_DP_LOG(ERR, "cannot allocate the port guard");
		return -ENOMEM;
	}
	app->guard = pg;
	for (unsigned int p = 0; p < app->n_ports; p++) {
		struct rte_eth_dev_info info;
		struct pg_port *pp = &pg->port[p];

		if (rte_eth_dev_info_get(app->port_id[p], &info) != 0 || info.driver_name == NULL ||
		    strcmp(info.driver_name, "net_memif") != 0)
			continue;
		pp->guarded = true;
		pp->client =
			sg_dp_portguard_memif_client(&info, app->cfg->appliance.ports[p].device);
		pp->started = true;
		/* closed until the main lcore first sees the link up */
		pp->gen = 1;
		pp->state = PG_WAIT_UP;
		pp->wait_tsc = pp->down_tsc = now;
		pg->n_guarded++;
	}
	for (unsigned int i = 0; i < SG_DP_WORKERS_MAX; i++) {
		struct sg_dp_portguard_worker *g = &pg->wk[i];

		g->pg = pg;
		g->poll_every = rte_get_tsc_hz() / 1000000 * SG_DP_PORTGUARD_POLL_US;
		for (unsigned int p = 0; p < app->n_ports; p++) {
			g->guarded[p] = pg->port[p].guarded;
			g->parked[p] =
				pg->port[p].guarded; /* the gates open at the first link up */
			g->port_id[p] = app->port_id[p];
			g->fault_gen[p] = 1; /* odd: no fault */
		}
		g->n_guarded = pg->n_guarded;
	}
	if (pg->n_guarded == 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	/* SA_NODEFER: siglongjmp(savemask 0) would leave the signal blocked */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old_segv) != 0 || sigaction(SIGBUS, &sa, &old_bus) != 0) {
		int rc = -errno;

		SG_DP_LOG(ERR, "port guard: cannot install the fault handler: %s", strerror(errno));
		sigaction(SIGSEGV, &old_segv, NULL);
		return rc;
	}
	pg->handlers = true;
	SG_DP_LOG(INFO, "port guard: %u memif port(s) guarded against their peer leaving",
		  pg->n_guarded);
	return 0;
}

void
sg_dp_portguard_fini(struct sg_dp_app *app)
{
	struct sg_dp_portguard *pg = app->guard;

	if (pg == NULL)
		return;
	if (pg->handlers) {
		sigaction(SIGSEGV, &old_segv, NULL);
		sigaction(SIGBUS, &old_bus, NULL);
	}
	rte_free(pg);
	app->guard = NULL;
}

struct sg_dp_portguard_worker *
sg_dp_portguard_worker_enter(struct sg_dp_app *app, unsigned int id, struct sg_dp_worker *w)
{
	struct sg_dp_portguard_worker *g = &app->guard->wk[id];

	g->w = w;
	tls_worker = g;
	return g;
}

void
sg_dp_portguard_worker_leave(void)
{
	tls_worker = NULL;
}

/* After a recovered fault on port @p p: stop polling it until its gate cycles. */
static void
fault_taken(struct sg_dp_portguard_worker *g, unsigned int p)
{
	g->armed = 0;
	g->parked[p] = true;
	__atomic_store_n(&g->fault_gen[p], __atomic_load_n(&g->pg->port[p].gen, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
}

uint16_t
sg_dp_portguard_rx(struct sg_dp_portguard_worker *g, unsigned int p, uint16_t q,
		   struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t got;

	if (g->parked[p])
		return 0;
	if (sigsetjmp(g->jb, 0) != 0) {
		/* the mbufs the driver took for this burst are lost (not counted) */
		fault_taken(g, p);
		sg_dp_worker_count_port_fault(g->w, p, 0);
		return 0;
	}
	g->armed = (uint32_t)g->port_id[p] + 1;
	rte_compiler_barrier();
	got = rte_eth_rx_burst(g->port_id[p], q, pkts, n);
	rte_compiler_barrier();
	g->armed = 0;
	return got;
}

void
sg_dp_portguard_tx(struct sg_dp_portguard_worker *g, unsigned int p, uint16_t q,
		   struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent;

	if (g->parked[p]) {
		sg_dp_worker_count_tx(g->w, p, pkts, 0, n);
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	if (sigsetjmp(g->jb, 0) != 0) {
		/* the driver may have freed some of them: leak all rather than free twice */
		fault_taken(g, p);
		sg_dp_worker_count_port_fault(g->w, p, n);
		return;
	}
	g->armed = (uint32_t)g->port_id[p] + 1;
	rte_compiler_barrier();
	sent = rte_eth_tx_burst(g->port_id[p], q, pkts, n);
	rte_compiler_barrier();
	g->armed = 0;
	sg_dp_worker_count_tx(g->w, p, pkts, sent, n - sent);
	if (sent < n)
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
}

void
sg_dp_portguard_worker_poll(struct sg_dp_portguard_worker *g, uint64_t now_tsc)
{
	if (now_tsc < g->next_poll)
		return;
	g->next_poll = now_tsc + g->poll_every;
	for (unsigned int p = 0; p < SG_DP_PORTS_MAX; p++) {
		uint32_t gen;

		if (!g->guarded[p])
			continue;
		gen = __atomic_load_n(&g->pg->port[p].gen, __ATOMIC_ACQUIRE);
		if (gen & 1) {
			g->parked[p] = true; /* out of every burst on it: say so */
			__atomic_store_n(&g->ack[p], gen, __ATOMIC_RELEASE);
		} else if (g->parked[p] && g->fault_gen[p] != gen) {
			g->parked[p] = false;
		}
	}
}

static void
gate_set(struct pg_port *pp, uint32_t gen)
{
	__atomic_store_n(&pp->gen, gen, __ATOMIC_RELEASE);
}

static bool
all_parked(const struct sg_dp_portguard *pg, unsigned int n_workers, unsigned int p)
{
	for (unsigned int i = 0; i < n_workers; i++)
		if (__atomic_load_n(&pg->wk[i].ack[p], __ATOMIC_ACQUIRE) != pg->port[p].gen)
			return false;
	return true;
}

static bool
any_fault(const struct sg_dp_portguard *pg, unsigned int n_workers, unsigned int p)
{
	for (unsigned int i = 0; i < n_workers; i++)
		if (__atomic_load_n(&pg->wk[i].fault_gen[p], __ATOMIC_ACQUIRE) == pg->port[p].gen)
			return true;
	return false;
}

static uint64_t
ms_since(uint64_t tsc, uint64_t now)
{
	return (now - tsc) * 1000 / rte_get_timer_hz();
}

/* Memif client @p p, every worker away from it: stop and start it (a new connection). */
static void
restart(struct sg_dp_app *app, struct pg_port *pp, unsigned int p, uint64_t now)
{
	uint64_t ms = (uint64_t)SG_DP_PORTGUARD_RETRY_MS << RTE_MIN(pp->tries, 4u);

	pp->next_try = now + rte_get_timer_hz() * ms / 1000;
	if (pp->tries++ == 0)
		SG_DP_LOG(NOTICE, "port %s: connecting to its memif peer again",
			  app->cfg->appliance.ports[p].name);
	if (pp->started)
		rte_eth_dev_stop(app->port_id[p]);
	pp->started = rte_eth_dev_start(app->port_id[p]) == 0;
	if (pp->started) {
		pp->state = PG_WAIT_UP;
		pp->wait_tsc = now;
	}
}

void
sg_dp_portguard_tick(struct sg_dp_app *app)
{
	struct sg_dp_portguard *pg = app->guard;
	uint64_t now = rte_get_timer_cycles();

	if (pg == NULL || pg->n_guarded == 0)
		return;
	for (unsigned int p = 0; p < app->n_ports; p++) {
		struct pg_port *pp = &pg->port[p];
		const char *name = app->cfg->appliance.ports[p].name;
		struct rte_eth_link l;
		bool up, faulted;

		if (!pp->guarded)
			continue;
		up = rte_eth_link_get_nowait(app->port_id[p], &l) == 0 &&
		     l.link_status == RTE_ETH_LINK_UP;
		switch (pp->state) {
		case PG_RUNNING:
			faulted = any_fault(pg, app->n_workers, p);
			if (up && !faulted)
				break;
			gate_set(pp, pp->gen + 1);
			pp->link_down++;
			pp->down_tsc = now;
			pp->tries = 0;
			pp->state = PG_DRAINING;
			SG_DP_LOG(WARNING,
				  "port %s: memif link down (its peer left)%s: not polled%s", name,
				  faulted ? ", a burst on it cut short" : "",
				  pp->client ? " until it connects again"
					     : " until its peer is back");
			break;
		case PG_DRAINING:
			if (!all_parked(pg, app->n_workers, p))
				break;
			pp->state = pp->client ? PG_RESTART : PG_WAIT_UP;
			pp->next_try = now;
			pp->wait_tsc = now;
			break;
		case PG_RESTART:
			if (now >= pp->next_try)
				restart(app, pp, p, now);
			break;
		case PG_WAIT_UP:
			if (up) {
				gate_set(pp, pp->gen + 1);
				pp->link_up++;
				pp->state = PG_RUNNING;
				if (pp->link_down == 0)
					SG_DP_LOG(NOTICE, "port %s: memif link up", name);
				else
					SG_DP_LOG(NOTICE,
						  "port %s: memif link up again (%" PRIu64
						  " ms down)",
						  name, ms_since(pp->down_tsc, now));
			} else if (pp->client &&
				   ms_since(pp->wait_tsc, now) >= SG_DP_PORTGUARD_CONNECT_MS) {
				pp->state = PG_DRAINING; /* then a restart, every worker away */
			}
			break;
		}
	}
}

void
sg_dp_portguard_tel_port(const struct sg_dp_app *app, unsigned int p, struct rte_tel_data *c)
{
	const struct sg_dp_portguard *pg = app->guard;
	struct rte_eth_link l;

	if (rte_eth_link_get_nowait(app->port_id[p], &l) == 0)
		rte_tel_data_add_dict_string(c, "link",
					     l.link_status == RTE_ETH_LINK_UP ? "up" : "down");
	if (pg == NULL || !pg->port[p].guarded)
		return;
	rte_tel_data_add_dict_string(c, "guard", "memif");
	rte_tel_data_add_dict_u64(c, "link_down", pg->port[p].link_down);
	rte_tel_data_add_dict_u64(c, "link_up", pg->port[p].link_up);
}
