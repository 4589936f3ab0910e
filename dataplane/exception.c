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
 * Kernel configuration is done with libnl-route-3 (addresses, routes, link
 * state); IPv6 is turned on for the tap through its sysctl, the only knob.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "app.h"

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

/* A tap left by an earlier run of the same name (it should go with its process). */
static void
stale_remove(struct nl_sock *sk, const char *ifname)
{
	struct rtnl_link *link = NULL;
	int rc;

	if (rtnl_link_get_kernel(sk, 0, ifname, &link) != 0)
		return;
	rc = rtnl_link_delete(sk, link);
	SG_DP_LOG(NOTICE, "exception path: removed a stale interface %s: %s", ifname,
		  rc == 0 ? "ok" : nl_geterror(rc));
	rtnl_link_put(link);
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

/* IPv6 on the tap (a namespace may have it off by default): its sysctl. */
static int
ipv6_enable(const char *ifname)
{
	static const char *const knobs[][2] = {
		{"disable_ipv6", "0"},
		{"accept_ra", "0"},
	};
	char path[96];

	for (unsigned int k = 0; k < RTE_DIM(knobs); k++) {
		int fd;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname, knobs[k][0]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = write(fd, knobs[k][1], 1);
		close(fd);
		if (n != 1)
			return -EIO;
	}
	return 0;
}

static struct nl_addr *
nl_addr_of(const struct sg_cfg_addr *a, unsigned int prefixlen)
{
	struct nl_addr *na = nl_addr_build(
		a->family, a->family == AF_INET ? (const void *)&a->v4 : (const void *)a->v6,
		a->family == AF_INET ? 4 : 16);

	if (na != NULL)
		nl_addr_set_prefixlen(na, prefixlen);
	return na;
}

static int
addr_add(struct nl_sock *sk, int ifindex, const struct sg_cfg_addr *a)
{
	struct nl_addr *local;
	struct rtnl_addr *ra;
	int rc;

	if (a->family == 0)
		return 0;
	local = nl_addr_of(a, a->prefixlen);
	ra = rtnl_addr_alloc();
	if (local == NULL || ra == NULL) {
		rc = -NLE_NOMEM;
	} else {
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_local(ra, local);
		if (a->family == AF_INET6)
			rtnl_addr_set_flags(ra, IFA_F_NODAD);
		rc = rtnl_addr_add(sk, ra, 0);
	}
	rtnl_addr_put(ra);
	nl_addr_put(local);
	return rc;
}

/* A default route via @p gw on the tap, metric @p metric (a management route keeps priority). */
static int
route_add(struct nl_sock *sk, int ifindex, const struct sg_cfg_addr *gw, uint32_t metric)
{
	struct nl_addr *dst = NULL, *via;
	struct rtnl_route *r;
	struct rtnl_nexthop *nh;
	int rc;

	if (gw->family == 0)
		return 0;
	via = nl_addr_of(gw, gw->family == AF_INET ? 32 : 128);
	r = rtnl_route_alloc();
	nh = rtnl_route_nh_alloc();
	rc = nl_addr_parse("default", gw->family, &dst);
	if (rc == 0 && (via == NULL || r == NULL || nh == NULL))
		rc = -NLE_NOMEM;
	if (rc == 0) {
		rtnl_route_set_family(r, gw->family);
		rtnl_route_set_dst(r, dst);
		rtnl_route_set_table(r, RT_TABLE_MAIN);
		rtnl_route_set_protocol(r, RTPROT_STATIC);
		rtnl_route_set_priority(r, metric);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_nh_set_gateway(nh, via);
		rtnl_route_add_nexthop(r, nh); /* the route owns it now */
		nh = NULL;
		rc = rtnl_route_add(sk, r, NLM_F_EXCL);
		if (rc == -NLE_EXIST)
			rc = 0;
	}
	if (nh != NULL)
		rtnl_route_nh_free(nh);
	rtnl_route_put(r);
	nl_addr_put(dst);
	nl_addr_put(via);
	return rc;
}

/* The tap's kernel side: up, the port's MTU and addresses, its gateways as routes. */
static int
kernel_config(struct sg_dp_app *app, struct nl_sock *sk, unsigned int i)
{
	const struct sg_cfg_port *cp = &app->cfg->appliance.ports[i];
	struct sg_dp_exc_port *xp = &app->exc.port[i];
	struct rtnl_link *link = NULL, *change = rtnl_link_alloc();
	const char *what = "link";
	int rc;

	rc = change == NULL ? -NLE_NOMEM : rtnl_link_get_kernel(sk, 0, xp->ifname, &link);
	if (rc == 0) {
		xp->ifindex = rtnl_link_get_ifindex(link);
		rtnl_link_set_flags(change, IFF_UP);
		rtnl_link_set_mtu(change, xp->mtu);
		rc = rtnl_link_change(sk, link, change, 0);
	}
	if (rc == 0 && cp->addr6.family != 0 && ipv6_enable(xp->ifname) != 0) {
		what = "IPv6 sysctl";
		rc = -NLE_PERM;
	}
	if (rc == 0 && (rc = addr_add(sk, xp->ifindex, &cp->addr4)) != 0)
		what = "IPv4 address";
	if (rc == 0 && (rc = addr_add(sk, xp->ifindex, &cp->addr6)) != 0)
		what = "IPv6 address";
	if (rc == 0 && app->exc.cfg.routes) {
		if ((rc = route_add(sk, xp->ifindex, &cp->gateway4, SG_DP_EXC_METRIC + i)) != 0)
			what = "IPv4 route";
		else if ((rc = route_add(sk, xp->ifindex, &cp->gateway6, SG_DP_EXC_METRIC + i)) !=
			 0)
			what = "IPv6 route";
	}
	if (rc != 0)
		SG_DP_LOG(ERR, "exception path: port %s: %s %s: %s", cp->name, xp->ifname, what,
			  nl_geterror(rc));
	rtnl_link_put(link);
	rtnl_link_put(change);
	return rc == 0 ? 0 : -EIO;
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
	sk = nl_socket_alloc();
	if (x->ring == NULL || sk == NULL || nl_connect(sk, NETLINK_ROUTE) != 0) {
		SG_DP_LOG(ERR, "exception path: no ring of %u or no netlink socket", x->cfg.queue);
		nl_socket_free(sk);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < app->n_ports && rc == 0; i++) {
		stale_remove(sk, x->port[i].ifname);
		rc = tap_start(app, i);
		if (rc == 0)
			rc = kernel_config(app, sk, i);
		if (rc == 0)
			SG_DP_LOG(INFO, "exception path: port %s <-> kernel interface %s",
				  app->cfg->appliance.ports[i].name, x->port[i].ifname);
	}
	nl_socket_free(sk);
	return rc;
}

/* Ring -> taps: what the workers passed, each packet to its port's tap. */
static void
to_kernel(struct sg_dp_app *app)
{
	struct sg_dp_exc *x = &app->exc;
	struct rte_mbuf *pkts[SG_DP_BURST], *mine[SG_DP_BURST];
	unsigned int n, budget = x->cfg.queue;

	while (budget > 0 &&
	       (n = rte_ring_dequeue_burst(x->ring, (void **)pkts, SG_DP_BURST, NULL)) > 0) {
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
	to_kernel(app);
	for (unsigned int i = 0; i < app->n_ports; i++)
		if (app->exc.port[i].present)
			from_kernel(app, i);
}

void
sg_dp_exc_stop(struct sg_dp_app *app)
{
	struct sg_dp_exc *x = &app->exc;
	struct rte_mbuf *m = NULL;

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
	if (x->ring != NULL) {
		while (rte_ring_dequeue(x->ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(x->ring);
		x->ring = NULL;
	}
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

void
sg_dp_exc_stats(const struct sg_dp_app *app, struct rte_tel_data *d)
{
	uint64_t v[4] = {0};

	for (unsigned int i = 0; i < app->n_ports; i++) {
		v[0] += app->exc.port[i].tap_full;
		v[1] += app->exc.port[i].from_kernel;
		v[2] += app->exc.port[i].from_kernel_bad;
		v[3] += app->exc.port[i].from_kernel_full;
	}
	rte_tel_data_add_dict_u64(d, "exc_tap_full", v[0]);
	rte_tel_data_add_dict_u64(d, "exc_from_kernel", v[1]);
	rte_tel_data_add_dict_u64(d, "exc_from_kernel_bad", v[2]);
	rte_tel_data_add_dict_u64(d, "exc_from_kernel_queue_full", v[3]);
}

int
sg_dp_exc_telemetry(const char *cmd __rte_unused, const char *params __rte_unused,
		    struct rte_tel_data *d)
{
	const struct sg_dp_app *app = exc_app;
	const struct sg_dp_exc *x = &app->exc;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "enabled", x->ring != NULL);
	rte_tel_data_add_dict_string(d, "ifname_prefix", x->cfg.ifname_prefix);
	rte_tel_data_add_dict_u64(d, "rate_pps", x->cfg.rate_pps);
	rte_tel_data_add_dict_u64(d, "burst", x->cfg.burst);
	rte_tel_data_add_dict_u64(d, "queue", x->cfg.queue);
	rte_tel_data_add_dict_u64(d, "routes", x->cfg.routes);
	rte_tel_data_add_dict_u64(d, "queued", x->ring != NULL ? rte_ring_count(x->ring) : 0);
	rte_tel_data_add_dict_u64(d, "no_tap", x->no_tap);
	rte_tel_data_add_dict_u64(d, "to_kernel", worker_sum(app, SG_DP_EV_EXC_TO_KERNEL));
	rte_tel_data_add_dict_u64(d, "drop_exc_rate", worker_sum(app, SG_DP_DROP_EXC_RATE));
	rte_tel_data_add_dict_u64(d, "drop_exc_queue", worker_sum(app, SG_DP_DROP_EXC_QUEUE));
	sg_dp_exc_stats(app, d);
	for (unsigned int i = 0; i < app->n_ports && x->ring != NULL; i++) {
		const struct sg_dp_exc_port *xp = &x->port[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		char key[16];

		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "port", xp->name);
		rte_tel_data_add_dict_string(c, "ifname", xp->ifname);
		rte_tel_data_add_dict_u64(c, "tap_port", xp->tap);
		rte_tel_data_add_dict_u64(c, "to_kernel", xp->to_kernel);
		rte_tel_data_add_dict_u64(c, "tap_full", xp->tap_full);
		rte_tel_data_add_dict_u64(c, "from_kernel", xp->from_kernel);
		rte_tel_data_add_dict_u64(c, "from_kernel_bad", xp->from_kernel_bad);
		rte_tel_data_add_dict_u64(c, "from_kernel_queue_full", xp->from_kernel_full);
		snprintf(key, sizeof(key), "port%u", i);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	return 0;
}
