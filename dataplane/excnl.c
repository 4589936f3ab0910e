/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path's kernel side (exception.c creates the taps): with
 * libnl-route-3, a stale interface of the same name removed, then each tap
 * up with the port's MTU, addresses and, with exception.routes, default
 * routes via its gateways; IPv6 is turned on for the tap through its
 * sysctl, the only knob.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "app.h"

/* A tap left by an earlier run of the same name (it should go with its process). */
void
sg_dp_exc_nl_stale_remove(struct nl_sock *sk, const char *ifname)
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
int
sg_dp_exc_nl_config(struct sg_dp_app *app, struct nl_sock *sk, unsigned int i)
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
