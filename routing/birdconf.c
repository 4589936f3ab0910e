/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BIRD 2 configuration from the appliance YAML. The routes are static
 * blackholes in protocols that start disabled; BGP exports them with next
 * hop self and never imports; there is no kernel protocol, so nothing BIRD
 * learns or originates reaches the appliance's own routing table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "atomic.h"
#include "birdconf.h"

#define FAM_V4 0
#define FAM_V6 1

static const char *const group_name[SG_RT_GROUPS] = {
	[SG_RT_VIPS] = "vips",
	[SG_RT_BROKERED] = "brokered",
	[SG_RT_NAT] = "nat",
	[SG_RT_BACKUP] = "backup",
};

const char *
sg_rt_group_name(enum sg_rt_group g)
{
	return (unsigned int)g < SG_RT_GROUPS ? group_name[g] : "?";
}

static int
fam_index(const struct sg_cfg_addr *a)
{
	return a->family == AF_INET6 ? FAM_V6 : FAM_V4;
}

/* Does the prefix @p net contain @p a (same family)? */
static bool
on_link(const struct sg_cfg_addr *net, const struct sg_cfg_addr *a)
{
	const uint8_t *n, *x;
	unsigned int bits = net->prefixlen, i;

	if (net->family == 0 || net->family != a->family)
		return false;
	n = net->family == AF_INET ? (const uint8_t *)&net->v4 : net->v6;
	x = a->family == AF_INET ? (const uint8_t *)&a->v4 : a->v6;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (n[i] != x[i])
			return false;
	return bits == 0 || ((n[i] ^ x[i]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

/* The port address (addr4/addr6) on-link with @p peer, or NULL. */
static const struct sg_cfg_addr *
local_for(const struct sg_cfg_appliance *ap, const struct sg_cfg_addr *peer)
{
	for (unsigned int i = 0; i < ap->n_ports; i++) {
		const struct sg_cfg_port *p = &ap->ports[i];
		const struct sg_cfg_addr *l = peer->family == AF_INET ? &p->addr4 : &p->addr6;

		if (on_link(l, peer))
			return l;
	}
	return NULL;
}

static bool
same_prefix(const struct sg_cfg_addr *a, const struct sg_cfg_addr *b)
{
	if (a->family != b->family || a->prefixlen != b->prefixlen)
		return false;
	return a->family == AF_INET ? a->v4 == b->v4 : memcmp(a->v6, b->v6, 16) == 0;
}

/* The prefixes of a group, in configuration order, without repeats. */
struct prefixes {
	const struct sg_cfg_addr *p[SG_CFG_VS_MAX + SG_CFG_BGP_BACKUP_MAX];
	unsigned int n;
};

static void
prefixes_add(struct prefixes *ps, const struct sg_cfg_addr *a)
{
	if (a->family == 0 || ps->n == sizeof(ps->p) / sizeof(ps->p[0]))
		return;
	for (unsigned int i = 0; i < ps->n; i++)
		if (same_prefix(ps->p[i], a))
			return;
	ps->p[ps->n++] = a;
}

static void
group_prefixes(const struct sg_cfg *cfg, enum sg_rt_group g, struct prefixes *ps)
{
	const struct sg_cfg_bgp *bgp = &cfg->appliance.cluster.bgp;

	ps->n = 0;
	switch (g) {
	case SG_RT_VIPS:
	case SG_RT_BROKERED:
		for (unsigned int i = 0; i < cfg->n_vs; i++) {
			enum sg_cfg_mode m = cfg->vs[i].mode;
			bool brokered = m == SG_CFG_MODE_BROKERED || m == SG_CFG_MODE_REDIRECT;

			if (brokered == (g == SG_RT_BROKERED))
				prefixes_add(ps, &cfg->vs[i].vip);
		}
		break;
	case SG_RT_NAT:
		for (unsigned int i = 0; i < cfg->nat.n_addrs; i++)
			prefixes_add(ps, &cfg->nat.addrs[i]);
		break;
	default:
		for (unsigned int i = 0; i < bgp->n_backup; i++)
			prefixes_add(ps, &bgp->backup[i]);
		break;
	}
}

static int
fail(char *why, size_t len, const char *msg, const char *peer)
{
	snprintf(why, len, "appliance.cluster.bgp: %s%s%s", peer ? "peer " : "", peer ? peer : "",
		 msg);
	return -EINVAL;
}

int
sg_rt_birdconf_plan(const struct sg_cfg *cfg, struct sg_rt_plan *plan, char *why, size_t why_len)
{
	const struct sg_cfg_appliance *ap = &cfg->appliance;
	const struct sg_cfg_bgp *bgp = &ap->cluster.bgp;
	struct prefixes ps;

	memset(plan, 0, sizeof(*plan));
	if (!bgp->enabled)
		return fail(why, why_len, "enabled is false: nothing to announce", NULL);
	if (!ap->exception.enabled)
		return fail(why, why_len,
			    "BGP and BFD speak through the exception path: set "
			    "appliance.exception.enabled",
			    NULL);
	if (bgp->n_peers == 0 || bgp->n_peers > SG_CFG_BGP_PEERS_MAX)
		return fail(why, why_len, "needs 1..8 peers", NULL);
	if (bgp->router_id.family != AF_INET &&
	    (ap->n_ports == 0 || ap->ports[0].addr4.family != AF_INET))
		return fail(why, why_len, "router_id unset and the first port has no IPv4 address",
			    NULL);
	for (unsigned int i = 0; i < bgp->n_peers; i++) {
		if (local_for(ap, &bgp->peers[i].addr) == NULL)
			return fail(why, why_len,
				    ": no port address on-link with it (BGP is single-hop "
				    "through a port's exception interface)",
				    bgp->peers[i].name);
		snprintf(plan->bgp[i], SG_RT_PROTO_MAX, "sg_bgp%u", i + 1);
	}
	plan->n_bgp = bgp->n_peers;
	for (unsigned int g = 0; g < SG_RT_GROUPS; g++) {
		bool fam[2] = {false, false};

		group_prefixes(cfg, g, &ps);
		plan->n_prefix[g] = ps.n;
		for (unsigned int i = 0; i < ps.n; i++)
			fam[fam_index(ps.p[i])] = true;
		for (int f = FAM_V4; f <= FAM_V6; f++)
			if (fam[f])
				snprintf(plan->proto[g][plan->n_proto[g]++], SG_RT_PROTO_MAX,
					 "sg_%s%s", group_name[g], f == FAM_V6 ? "6" : "");
	}
	return 0;
}

static const char *
addr_text(const struct sg_cfg_addr *a, char *buf, size_t len)
{
	if (inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->v4 : a->v6, buf,
		      (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

static uint32_t
group_pref(const struct sg_cfg_bgp *bgp, enum sg_rt_group g)
{
	return g == SG_RT_BACKUP ? bgp->local_pref_backup : bgp->local_pref_owned;
}

static void
emit_static(const struct sg_cfg *cfg, const struct sg_rt_plan *plan, enum sg_rt_group g, FILE *f)
{
	const struct sg_cfg_bgp *bgp = &cfg->appliance.cluster.bgp;
	struct prefixes ps;
	char a[INET6_ADDRSTRLEN];

	group_prefixes(cfg, g, &ps);
	for (unsigned int k = 0; k < plan->n_proto[g]; k++) {
		const char *name = plan->proto[g][k];
		bool v6 = name[strlen(name) - 1] == '6';

		fprintf(f,
			"\n# %s: enabled by sg-routed while the data plane is alive and "
			"ready%s\n",
			group_name[g], g == SG_RT_BROKERED ? " and sg-control is up" : "");
		fprintf(f, "protocol static %s {\n\tdisabled;\n", name);
		fprintf(f, "\t%s { import filter { bgp_local_pref = %u; accept; }; };\n",
			v6 ? "ipv6" : "ipv4", group_pref(bgp, g));
		for (unsigned int i = 0; i < ps.n; i++)
			if ((ps.p[i]->family == AF_INET6) == v6)
				fprintf(f, "\troute %s/%u blackhole;\n",
					addr_text(ps.p[i], a, sizeof(a)), ps.p[i]->prefixlen);
		fprintf(f, "}\n");
	}
}

/* Only our static protocols' routes leave; eBGP peers see backups prepended. */
static void
emit_filters(const struct sg_cfg_bgp *bgp, FILE *f)
{
	fprintf(f, "\nfunction sg_ours() {\n"
		   "\treturn source = RTS_STATIC && proto ~ \"sg_*\";\n}\n");
	fprintf(f, "\nfilter sg_export_ibgp {\n\tif !sg_ours() then reject;\n\taccept;\n}\n");
	fprintf(f, "\n# local pref does not cross eBGP: the backup routes get a longer AS path\n"
		   "filter sg_export_ebgp {\n\tif !sg_ours() then reject;\n"
		   "\tif proto ~ \"sg_backup*\" then {\n");
	for (int i = 0; i < 3; i++)
		fprintf(f, "\t\tbgp_path.prepend(%u);\n", bgp->asn);
	fprintf(f, "\t}\n\taccept;\n}\n");
}

static void
emit_bgp(const struct sg_cfg *cfg, const struct sg_rt_plan *plan, unsigned int i, FILE *f)
{
	const struct sg_cfg_bgp *bgp = &cfg->appliance.cluster.bgp;
	const struct sg_cfg_bgp_peer *p = &bgp->peers[i];
	const struct sg_cfg_addr *l = local_for(&cfg->appliance, &p->addr);
	char la[INET6_ADDRSTRLEN], pa[INET6_ADDRSTRLEN];
	bool ibgp = p->asn == bgp->asn;

	fprintf(f, "\nprotocol bgp %s {\n\tdescription \"%s\";\n", plan->bgp[i], p->name);
	fprintf(f, "\tlocal %s as %u;\n\tneighbor %s as %u;\n", addr_text(l, la, sizeof(la)),
		bgp->asn, addr_text(&p->addr, pa, sizeof(pa)), p->asn);
	fprintf(f, "\tdirect;\n\thold time %u;\n\tkeepalive time %u;\n", bgp->hold_s,
		bgp->hold_s / 3 > 0 ? bgp->hold_s / 3 : 1);
	fprintf(f, "\tconnect retry time 2;\n\terror wait time 1, 16;\n"
		   "\tgraceful restart off;\n");
	if (p->bfd)
		fprintf(f, "\tbfd on;\n");
	fprintf(f,
		"\t%s {\n\t\timport none;\n\t\texport filter sg_export_%s;\n"
		"\t\tnext hop self;\n\t};\n}\n",
		p->addr.family == AF_INET6 ? "ipv6" : "ipv4", ibgp ? "ibgp" : "ebgp");
}

int
sg_rt_birdconf_emit(const struct sg_cfg *cfg, const struct sg_rt_plan *plan, FILE *f)
{
	const struct sg_cfg_appliance *ap = &cfg->appliance;
	const struct sg_cfg_bgp *bgp = &ap->cluster.bgp;
	const struct sg_cfg_addr *rid =
		bgp->router_id.family == AF_INET ? &bgp->router_id : &ap->ports[0].addr4;
	char a[INET6_ADDRSTRLEN];
	bool bfd = false;

	fprintf(f,
		"# BIRD 2 configuration written by sg-routed from %s (node %s): do not edit,\n"
		"# change the appliance YAML (doc/cluster.md, \"BGP and liveness\").\n",
		cfg->path, ap->cluster.name);
	fprintf(f, "router id %s;\n\nprotocol device sg_device {\n\tscan time 10;\n}\n",
		addr_text(rid, a, sizeof(a)));
	for (unsigned int i = 0; i < bgp->n_peers; i++)
		bfd |= bgp->peers[i].bfd;
	if (bfd)
		fprintf(f,
			"\n# BFD runs through the data plane: it stops with sg-dataplane\n"
			"protocol bfd sg_bfd {\n\tinterface \"%s*\" {\n"
			"\t\tmin rx interval %u ms;\n\t\tmin tx interval %u ms;\n"
			"\t\tmultiplier %u;\n\t};\n}\n",
			ap->exception.ifname_prefix[0] ? ap->exception.ifname_prefix : "sgx",
			bgp->bfd_interval_ms, bgp->bfd_interval_ms, bgp->bfd_multiplier);
	for (unsigned int g = 0; g < SG_RT_GROUPS; g++)
		emit_static(cfg, plan, g, f);
	emit_filters(bgp, f);
	for (unsigned int i = 0; i < plan->n_bgp; i++)
		emit_bgp(cfg, plan, i, f);
	return ferror(f) ? -EIO : 0;
}

int
sg_rt_birdconf_write(const struct sg_cfg *cfg, const struct sg_rt_plan *plan, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (f == NULL)
		return -errno;
	rc = sg_rt_birdconf_emit(cfg, plan, f);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc == 0)
		rc = sg_rt_file_replace(path, text, len, 0644);
	free(text);
	return rc;
}
