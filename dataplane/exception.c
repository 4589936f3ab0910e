/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path, program side (doc/dataplane.md, "Exception path"):
 * one net_tap interface per data-plane port gives the appliance's kernel
 * the port's MAC and addresses (and, with exception.routes, its gateways as
 * routes). Workers pass what the kernel wants (core/exc.h) on a bounded
 * MP/SC ring; the main lcore, every SG_DP_EXC_POLL_US, writes it to the
 * port's tap and reads what the kernel sends, which worker 0 transmits on
 * the port (app->ctl_tx). The taps belong to the process: they go with it,
 * however it ends, and a stale one of the same name is removed at start.
 *
 * The kernel side of each tap is set up by excnl.c (libnl-route-3).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "app.h"
#include "core/exc.h"

/* Telemetry callbacks get no user pointer: one data plane per process. */
static struct sg_dp_app *exc_app;

static void
exc_defaults(struct sg_cfg_exception *x)
{
	if (x->ifname_prefix[0] == '\0')
		snprintf(x->ifname_prefix, sizeof(x->ifname_prefix), "sgx");
	if (x->rate_pps == 0)
		x->rate_pps = SG_DP_EXC_RATE_DEFAULT;
	if (x->burst == 0)
		x->burst = SG_DP_EXC_BURST_DEFAULT;
	if (x->queue == 0)
		x->queue = SG_DP_EXC_QUEUE_DEFAULT;
}

static int
tap_start(struct sg_dp_app *app, unsigned int i)
{
	struct sg_dp_exc_port *xp = &app->exc.port[i];
	char name[RTE_ETH_NAME_MAX_LEN], args[96];
	struct rte_eth_conf conf;
	int rc;

	snprintf(name, sizeof(name), "net_tap_sgexc%u", i);
	snprintf(args, sizeof(args), "iface=%s,mac=" RTE_ETHER_ADDR_PRT_FMT, xp->ifname,
		 RTE_ETHER_ADDR_BYTES(&app->port_info[i].mac));
	rc = rte_eal_hotplug_add("vdev", name, args);
	if (rc == 0)
		rc = rte_eth_dev_get_port_by_name(name, &xp->tap);
	if (rc != 0) {
		SG_DP_LOG(ERR, "exception path: cannot create tap %s (%s,%s): %s", xp->ifname, name,
			  args, strerror(-rc));
		return rc;
	}
	xp->present = true;
	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(xp->tap, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(xp->tap, 0, SG_DP_EXC_TAP_DESC, rte_socket_id(), NULL,
					    app->pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(xp->tap, 0, SG_DP_EXC_TAP_DESC, rte_socket_id(), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(xp->tap);
	if (rc != 0)
		SG_DP_LOG(ERR, "exception path: cannot start tap %s: %s", xp->ifname,
			  strerror(-rc));
	return rc;
}

/*
 * The priority class (core/exc.h): the BGP peers of appliance.cluster.bgp
 * (when enabled) and their ring; none without peers.
 */
static int
prio_setup(struct sg_dp_app *app)
{
	const struct sg_cfg_bgp *b = &app->cfg->appliance.cluster.bgp;
	struct sg_dp_exc *x = &app->exc;

	x->n_peers = 0;
	for (unsigned int i = 0; b->enabled && i < b->n_peers && i < SG_DP_EXC_PRIO_PEERS; i++) {
		const struct sg_cfg_addr *a = &b->peers[i].addr;
		struct sg_dp_exc_peer *pe = &x->peers[x->n_peers];

		if (a->family != AF_INET && a->family != AF_INET6)
			continue;
		pe->family = a->family;
		memset(pe->a, 0, sizeof(pe->a));
		memcpy(pe->a, a->family == AF_INET ? (const uint8_t *)&a->v4 : a->v6,
		       a->family == AF_INET ? 4 : 16);
		x->n_peers++;
	}
	if (x->n_peers == 0)
		return 0;
	x->prio_ring =
		rte_ring_create("sg_exc_prio", SG_DP_EXC_PRIO_RING, rte_socket_id(), RING_F_SC_DEQ);
	if (x->prio_ring == NULL) {
		SG_DP_LOG(ERR, "exception path: no priority ring of %u", SG_DP_EXC_PRIO_RING);
		return -ENOMEM;
	}
	SG_DP_LOG(INFO, "exception path: priority class for %u BGP peer(s)", x->n_peers);
	return 0;
}

int
sg_dp_exc_setup(struct sg_dp_app *app)
{
	struct sg_dp_exc *x = &app->exc;
	struct nl_sock *sk;
	int rc = 0;

	exc_app = app;
	x->cfg = app->cfg->appliance.exception;
	if (!x->cfg.enabled)
		return 0;
	exc_defaults(&x->cfg);
	for (unsigned int i = 0; i < app->n_ports; i++) {
		const struct sg_cfg_port *cp = &app->cfg->appliance.ports[i];
		int n;

		snprintf(x->port[i].name, sizeof(x->port[i].name), "%s", cp->name);
		x->port[i].mtu = cp->mtu ? cp->mtu : 1500;
		n = snprintf(x->port[i].ifname, sizeof(x->port[i].ifname), "%s%u",
			     x->cfg.ifname_prefix, i);

		if (n < 0 || (size_t)n >= IFNAMSIZ) {
			SG_DP_LOG(ERR,
				  "exception path: interface name %s%u is longer than %u "
				  "characters: shorten appliance.exception.ifname_prefix",
				  x->cfg.ifname_prefix, i, IFNAMSIZ - 1);
			return -EINVAL;
		}
	}
	x->ring = rte_ring_create("sg_exc", rte_align32pow2(x->cfg.queue), rte_socket_id(),
				  RING_F_SC_DEQ);
	if (prio_setup(app) != 0)
		return -ENOMEM;
	sk = nl_socket_alloc();
	if (x->ring == NULL || sk == NULL || nl_connect(sk, NETLINK_ROUTE) != 0) {
		SG_DP_LOG(ERR, "exception path: no ring of %u or no netlink socket", x->cfg.queue);
		nl_socket_free(sk);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < app->n_ports && rc == 0; i++) {
		sg_dp_exc_nl_stale_remove(sk, x->port[i].ifname);
		rc = tap_start(app, i);
		if (rc == 0)
			rc = sg_dp_exc_nl_config(app, sk, i);
		if (rc == 0)
			SG_DP_LOG(INFO, "exception path: port %s <-> kernel interface %s",
				  app->cfg->appliance.ports[i].name, x->port[i].ifname);
	}
	nl_socket_free(sk);
	return rc;
}

/* @p ring -> taps: what the workers passed, each packet to its port's tap. */
static void
to_kernel(struct sg_dp_app *app, struct rte_ring *ring, unsigned int budget)
{
	struct sg_dp_exc *x = &app->exc;
	struct rte_mbuf *pkts[SG_DP_BURST], *mine[SG_DP_BURST];
	unsigned int n;

	while (budget > 0 &&
	       (n = rte_ring_dequeue_burst(ring, (void **)pkts, SG_DP_BURST, NULL)) > 0) {
		budget -= RTE_MIN(n, budget);
		for (unsigned int j = 0; j < n; j++) {
			if (pkts[j]->port >= app->n_ports || !x->port[pkts[j]->port].present) {
				rte_pktmbuf_free(pkts[j]); /* cannot happen: workers set the port */
				pkts[j] = NULL;
				x->no_tap++;
			}
		}
		for (unsigned int p = 0; p < app->n_ports; p++) {
			struct sg_dp_exc_port *xp = &x->port[p];
			uint16_t k = 0, sent;

			for (unsigned int j = 0; j < n; j++)
				if (pkts[j] != NULL && pkts[j]->port == p)
					mine[k++] = pkts[j];
			if (k == 0)
				continue;
			sent = rte_eth_tx_burst(xp->tap, 0, mine, k);
			xp->to_kernel += sent;
			xp->tap_full += k - sent;
			if (sent < k)
				rte_pktmbuf_free_bulk(&mine[sent], k - sent);
		}
	}
}

/* What the kernel sent is an Ethernet frame of IPv4, IPv6 or ARP from the port's MAC. */
static bool
frame_ok(const struct sg_dp_app *app, unsigned int i, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t len = rte_pktmbuf_data_len(m), min;

	if (m->nb_segs != 1 || len < sizeof(*eh) || len > sizeof(*eh) + app->exc.port[i].mtu)
		return false;
	switch (rte_be_to_cpu_16(eh->ether_type)) {
	case RTE_ETHER_TYPE_IPV4:
		min = 20;
		break;
	case RTE_ETHER_TYPE_IPV6:
		min = 40;
		break;
	case RTE_ETHER_TYPE_ARP:
		min = 28;
		break;
	default:
		return false;
	}
	if (len < sizeof(*eh) + min)
		return false;
	eh->src_addr = app->port_info[i].mac; /* the tap has it; whatever the kernel was told */
	m->ol_flags = 0;
	m->port = (uint16_t)i;
	return true;
}

/* Tap -> worker 0's output queue of the port: at most SG_DP_EXC_RX_BURSTS bursts a poll. */
static void
from_kernel(struct sg_dp_app *app, unsigned int i)
{
	struct sg_dp_exc_port *xp = &app->exc.port[i];
	struct rte_mbuf *pkts[SG_DP_BURST], *ok[SG_DP_BURST];

	for (unsigned int b = 0; b < SG_DP_EXC_RX_BURSTS; b++) {
		uint16_t n = rte_eth_rx_burst(xp->tap, 0, pkts, SG_DP_BURST);
		unsigned int k = 0, sent;

		for (uint16_t j = 0; j < n; j++) {
			if (frame_ok(app, i, pkts[j])) {
				ok[k++] = pkts[j];
			} else {
				xp->from_kernel_bad++;
				rte_pktmbuf_free(pkts[j]);
			}
		}
		sent = rte_ring_enqueue_burst(app->ctl_tx, (void **)ok, k, NULL);
		xp->from_kernel += sent;
		xp->from_kernel_full += k - sent;
		if (sent < k)
			rte_pktmbuf_free_bulk(&ok[sent], k - sent);
		if (n < SG_DP_BURST)
			break;
	}
}

void
sg_dp_exc_poll(struct sg_dp_app *app)
{
	if (app->exc.ring == NULL)
		return;
	if (app->exc.prio_ring != NULL) /* first: the tap's room goes to the BGP peers */
		to_kernel(app, app->exc.prio_ring, SG_DP_EXC_PRIO_RING);
	to_kernel(app, app->exc.ring, app->exc.cfg.queue);
	for (unsigned int i = 0; i < app->n_ports; i++)
		if (app->exc.port[i].present)
			from_kernel(app, i);
}

/* Free *@p r with the packets it still holds. */
static void
ring_free(struct rte_ring **r)
{
	struct rte_mbuf *m = NULL;

	if (*r == NULL)
		return;
	while (rte_ring_dequeue(*r, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(*r);
	*r = NULL;
}

void
sg_dp_exc_stop(struct sg_dp_app *app)
{
	struct sg_dp_exc *x = &app->exc;

	for (unsigned int i = 0; i < SG_DP_PORTS_MAX; i++) {
		char name[RTE_ETH_NAME_MAX_LEN];

		if (!x->port[i].present)
			continue;
		rte_eth_dev_stop(x->port[i].tap);
		rte_eth_dev_close(x->port[i].tap); /* the kernel interface goes with it */
		snprintf(name, sizeof(name), "net_tap_sgexc%u", i);
		rte_eal_hotplug_remove("vdev", name);
		x->port[i].present = false;
	}
	ring_free(&x->ring);
	ring_free(&x->prio_ring);
}

/* Worker counters of the exception path, summed. */
static uint64_t
worker_sum(const struct sg_dp_app *app, enum sg_dp_cnt c)
{
	uint64_t v = 0;

	for (unsigned int w = 0; w < app->n_workers; w++)
		v += sg_dp_worker_stats(app->wctx[w].worker)->cnt[c];
	return v;
}

/* (name, value) pairs into dict @p d. */
struct kv {
	const char *k;
	uint64_t v;
};

static void
dict_add(struct rte_tel_data *d, const struct kv *kv, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		rte_tel_data_add_dict_u64(d, kv[i].k, kv[i].v);
}

void
sg_dp_exc_stats(const struct sg_dp_app *app, struct rte_tel_data *d)
{
	struct kv kv[] = {{"exc_tap_full", 0},
			  {"exc_from_kernel", 0},
			  {"exc_from_kernel_bad", 0},
			  {"exc_from_kernel_queue_full", 0}};

	for (unsigned int i = 0; i < app->n_ports; i++) {
		kv[0].v += app->exc.port[i].tap_full;
		kv[1].v += app->exc.port[i].from_kernel;
		kv[2].v += app->exc.port[i].from_kernel_bad;
		kv[3].v += app->exc.port[i].from_kernel_full;
	}
	dict_add(d, kv, RTE_DIM(kv));
}

/* One port's tap: its names and counters both ways. */
static struct rte_tel_data *
port_dict(const struct sg_dp_exc_port *xp)
{
	const struct kv kv[] = {
		{"tap_port", xp->tap},
		{"to_kernel", xp->to_kernel},
		{"tap_full", xp->tap_full},
		{"from_kernel", xp->from_kernel},
		{"from_kernel_bad", xp->from_kernel_bad},
		{"from_kernel_queue_full", xp->from_kernel_full},
	};
	struct rte_tel_data *c = rte_tel_data_alloc();

	if (c == NULL)
		return NULL;
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_string(c, "port", xp->name);
	rte_tel_data_add_dict_string(c, "ifname", xp->ifname);
	dict_add(c, kv, RTE_DIM(kv));
	return c;
}

int
sg_dp_exc_telemetry(const char *cmd __rte_unused, const char *params __rte_unused,
		    struct rte_tel_data *d)
{
	const struct sg_dp_app *app = exc_app;
	const struct sg_dp_exc *x = &app->exc;
	const struct kv kv[] = {
		{"enabled", x->ring != NULL},
		{"rate_pps", x->cfg.rate_pps},
		{"burst", x->cfg.burst},
		{"queue", x->cfg.queue},
		{"routes", x->cfg.routes},
		{"queued", x->ring != NULL ? rte_ring_count(x->ring) : 0},
		{"no_tap", x->no_tap},
		{"to_kernel", worker_sum(app, SG_DP_EV_EXC_TO_KERNEL)},
		{"drop_exc_rate", worker_sum(app, SG_DP_DROP_EXC_RATE)},
		{"drop_exc_queue", worker_sum(app, SG_DP_DROP_EXC_QUEUE)},
		{"prio_peers", x->n_peers},
		{"prio_queued", x->prio_ring != NULL ? rte_ring_count(x->prio_ring) : 0},
		{"exc_prio_to_kernel", worker_sum(app, SG_DP_EV_EXC_PRIO_TO_KERNEL)},
		{"drop_exc_prio_rate", worker_sum(app, SG_DP_DROP_EXC_PRIO_RATE)},
	};

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "ifname_prefix", x->cfg.ifname_prefix);
	dict_add(d, kv, RTE_DIM(kv));
	sg_dp_exc_stats(app, d);
	for (unsigned int i = 0; i < app->n_ports && x->ring != NULL; i++) {
		struct rte_tel_data *c = port_dict(&x->port[i]);
		char key[16];

		if (c == NULL)
			return -ENOMEM;
		snprintf(key, sizeof(key), "port%u", i);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	return 0;
}
