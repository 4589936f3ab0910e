/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The appliance schema: a bounded YAML document (cfg_doc.c) turned into a
 * validated struct sg_cfg. doc/configuration.md documents every key; keep
 * both in step.
 *
 * Sections are read in a fixed order (appliance, nat, pools,
 * virtual_services) whatever their order in the file, so that references
 * (a virtual service's pool, NAT addresses of a member's family) can be
 * checked in one pass. The first error stops the load; the partly built
 * struct sg_cfg is freed and nothing is returned.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cfg_internal.h"
#include "sg_cfg_doc.h"

#define PATH_MAX_LEN 128 /* = sizeof(struct sg_cfg_error.key) */

/* Defaults (doc/configuration.md). */
#define DEF_WORKERS	   1
#define DEF_MEMORY_MB	   0
#define DEF_FILE_PREFIX	   "sessiongate"
#define DEF_MBUFS	   16383
#define DEF_FLOW_TABLE	   65536
#define DEF_MTU		   1500
#define DEF_DESC	   1024
#define DEF_NAT_PORT_MIN   1024
#define DEF_NAT_PORT_MAX   65535
#define DEF_WEIGHT	   1
#define DEF_GUE_PORT	   6080
#define DEF_MAGLEV_SIZE	   65537
#define DEF_TCP_TIMEOUT	   300
#define DEF_TCP_TRANSITORY 30
#define DEF_UDP_TIMEOUT	   60
#define MAGLEV_SIZE_MIN	   7
#define MAGLEV_SIZE_MAX	   1048573 /* largest prime below 2^20 */
#define WEIGHT_MAX	   1000
#define MEMORY_MB_MAX	   (1024u * 1024u)
#define MBUFS_MIN	   1023
#define MBUFS_MAX	   (16u * 1024u * 1024u)
#define FLOW_TABLE_MIN	   1024
#define FLOW_TABLE_MAX	   (64u * 1024u * 1024u)
#define MTU_MIN		   576
#define MTU_MIN_V6	   1280
#define MTU_MAX		   9216
#define DESC_MIN	   64
#define DESC_MAX	   16384
#define TIMEOUT_MAX	   604800 /* one week */
#define TRANSITORY_MAX	   3600

struct ctx {
	const struct sg_cfg_doc *doc;
	struct sg_cfg_error *err;
	struct sg_cfg *cfg;
};

static const char *const mode_names[] = {"dsr", "nat", "brokered", "redirect", NULL};
static const char *const sched_names[] = {"maglev", "wrr", "lc", NULL};
static const char *const encap_names[] = {"ipip", "gue", NULL};
static const char *const proto_names[] = {"tcp", "udp", NULL};

const char *
sg_cfg_mode_name(enum sg_cfg_mode m)
{
	return (unsigned int)m < 4 ? mode_names[m] : "unknown";
}

const char *
sg_cfg_sched_name(enum sg_cfg_sched s)
{
	return (unsigned int)s < 3 ? sched_names[s] : "unknown";
}

const char *
sg_cfg_proto_name(enum sg_cfg_proto p)
{
	switch (p) {
	case SG_CFG_PROTO_TCP:
		return "tcp";
	case SG_CFG_PROTO_UDP:
		return "udp";
	}
	return "unknown";
}

const char *
sg_cfg_encap_name(enum sg_cfg_encap e)
{
	return (unsigned int)e < 2 ? encap_names[e] : "unknown";
}

static const char *
family_name(uint8_t family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* out = prefix + "." + key (or prefix + fmt) */
static void __attribute__((format(printf, 3, 4)))
mkpath(char out[PATH_MAX_LEN], const char *prefix, const char *fmt, ...)
{
	char tail[PATH_MAX_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);
	if (prefix[0] == '\0' || tail[0] == '[')
		snprintf(out, PATH_MAX_LEN, "%.64s%.63s", prefix, tail);
	else
		snprintf(out, PATH_MAX_LEN, "%.64s.%.62s", prefix, tail);
}

static int __attribute__((format(printf, 4, 5)))
fail(struct ctx *c, const struct sg_cfg_node *n, const char *path, const char *fmt, ...)
{
	va_list ap;

	if (c->err == NULL)
		return -EINVAL;
	sg_cfg_error_set(c->err, c->doc, n, path, "%s", "");
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A required key: its value, or an error placed at the map. */
static const struct sg_cfg_node *
need(struct ctx *c, const struct sg_cfg_node *map, const char *prefix, const char *key, int *rc)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(map, key);
	char path[PATH_MAX_LEN];

	*rc = 0;
	if (v == NULL) {
		mkpath(path, prefix, "%s", key);
		*rc = fail(c, map, path, "required key is missing");
	}
	return v;
}

static int
opt_uint(struct ctx *c, const struct sg_cfg_node *map, const char *prefix, const char *key,
	 uint64_t min, uint64_t max, uint64_t def, uint64_t *out)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(map, key);
	char path[PATH_MAX_LEN];

	if (v == NULL) {
		*out = def;
		return 0;
	}
	mkpath(path, prefix, "%s", key);
	return sg_cfg_node_uint(c->doc, v, path, min, max, out, c->err);
}

static int
opt_u32(struct ctx *c, const struct sg_cfg_node *map, const char *prefix, const char *key,
	uint32_t min, uint32_t max, uint32_t def, uint32_t *out)
{
	uint64_t v;
	int rc = opt_uint(c, map, prefix, key, min, max, def, &v);

	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

static int
opt_u16(struct ctx *c, const struct sg_cfg_node *map, const char *prefix, const char *key,
	uint16_t min, uint16_t max, uint16_t def, uint16_t *out)
{
	uint64_t v;
	int rc = opt_uint(c, map, prefix, key, min, max, def, &v);

	if (rc == 0)
		*out = (uint16_t)v;
	return rc;
}

static int
opt_enum(struct ctx *c, const struct sg_cfg_node *map, const char *prefix, const char *key,
	 const char *const *names, unsigned int def, unsigned int *out)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(map, key);
	char path[PATH_MAX_LEN];

	if (v == NULL) {
		*out = def;
		return 0;
	}
	mkpath(path, prefix, "%s", key);
	return sg_cfg_node_enum(c->doc, v, path, names, out, c->err);
}

/* An address that must be a usable unicast host address of any family. */
static int
unicast_addr(struct ctx *c, const struct sg_cfg_node *v, const char *path, struct sg_cfg_addr *out)
{
	const char *why;
	int rc = sg_cfg_node_addr(c->doc, v, path, false, out, c->err);

	if (rc != 0)
		return rc;
	why = sg_cfg_addr_not_unicast(out);
	if (why != NULL)
		return fail(c, v, path, "%s %s; a unicast host address is needed", v->value, why);
	return 0;
}

static int
check_no_ctl(struct ctx *c, const struct sg_cfg_node *v, const char *path, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f)
			return fail(c, v, path,
				    "must be printable ASCII without spaces or control characters");
	}
	return 0;
}

/* ---- appliance ---------------------------------------------------------- */

static int
port_addr(struct ctx *c, const struct sg_cfg_node *p, const char *prefix, const char *key,
	  uint8_t family, struct sg_cfg_addr *out)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(p, key);
	char path[PATH_MAX_LEN];
	const char *why;
	int rc;

	if (v == NULL)
		return 0;
	mkpath(path, prefix, "%s", key);
	rc = sg_cfg_node_addr(c->doc, v, path, true, out, c->err);
	if (rc != 0)
		return rc;
	if (out->family != family)
		return fail(c, v, path, "%s is an %s address; %s takes an %s address", v->value,
			    family_name(out->family), key, family_name(family));
	if (strchr(v->value, '/') == NULL)
		return fail(c, v, path, "needs a prefix length (e.g. %s)",
			    family == AF_INET ? "198.18.2.2/24" : "2001:2:0:2::2/64");
	if (out->prefixlen == 0)
		return fail(c, v, path,
			    "a /0 prefix puts every address on-link; use the "
			    "subnet's real prefix length");
	why = sg_cfg_addr_not_unicast(out);
	if (why != NULL)
		return fail(c, v, path, "%s %s; a unicast host address is needed", v->value, why);
	return 0;
}

static int
port_gateway(struct ctx *c, const struct sg_cfg_node *p, const char *prefix, const char *key,
	     const char *addr_key, const struct sg_cfg_addr *own, struct sg_cfg_addr *out)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(p, key);
	char path[PATH_MAX_LEN];
	char net[64];
	int rc;

	if (v == NULL)
		return 0;
	mkpath(path, prefix, "%s", key);
	rc = unicast_addr(c, v, path, out);
	if (rc != 0)
		return rc;
	if (own->family == 0)
		return fail(c, v, path, "a gateway needs the port's own %s (%s)",
			    family_name(out->family), addr_key);
	if (out->family != own->family)
		return fail(c, v, path, "%s is an %s address; %s takes an %s address", v->value,
			    family_name(out->family), key, family_name(own->family));
	if (sg_cfg_addr_equal(out, own))
		return fail(c, v, path, "the gateway is the port's own address");
	if (!sg_cfg_addr_in_subnet(own, out))
		return fail(c, v, path, "%s is not on-link: outside the port's subnet %s", v->value,
			    sg_cfg_addr_format(own, net, sizeof(net)));
	return 0;
}

static bool
is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static int
parse_port(struct ctx *c, const struct sg_cfg_node *p, unsigned int idx)
{
	static const char *const keys[] = {"name",     "device", "address", "address6", "gateway",
					   "gateway6", "mtu",	 "rx_desc", "tx_desc",	NULL};
	struct sg_cfg_port *port = &c->cfg->appliance.ports[idx];
	char prefix[PATH_MAX_LEN], path[PATH_MAX_LEN];
	const struct sg_cfg_node *v;
	unsigned int j;
	int rc;

	mkpath(prefix, "appliance.ports", "[%u]", idx);
	rc = sg_cfg_node_check_keys(c->doc, p, prefix, keys, c->err);
	if (rc != 0)
		return rc;
	v = need(c, p, prefix, "name", &rc);
	if (v == NULL)
		return rc;
	mkpath(path, prefix, "name");
	rc = sg_cfg_node_name(c->doc, v, path, port->name, c->err);
	if (rc != 0)
		return rc;
	for (j = 0; j < idx; j++) {
		if (strcmp(c->cfg->appliance.ports[j].name, port->name) == 0)
			return fail(c, v, path,
				    "duplicate port name \"%s\" (also appliance.ports[%u])",
				    port->name, j);
	}
	v = need(c, p, prefix, "device", &rc);
	if (v == NULL)
		return rc;
	mkpath(path, prefix, "device");
	rc = sg_cfg_node_string(c->doc, v, path, port->device, sizeof(port->device), c->err);
	if (rc != 0)
		return rc;
	if (port->device[0] == '\0')
		return fail(c, v, path, "the device string is empty");
	rc = check_no_ctl(c, v, path, port->device);
	if (rc != 0)
		return rc;
	for (j = 0; j < idx; j++) {
		if (strcmp(c->cfg->appliance.ports[j].device, port->device) == 0)
			return fail(c, v, path, "device already used by appliance.ports[%u]", j);
	}
	rc = port_addr(c, p, prefix, "address", AF_INET, &port->addr4);
	if (rc == 0)
		rc = port_addr(c, p, prefix, "address6", AF_INET6, &port->addr6);
	if (rc != 0)
		return rc;
	if (port->addr4.family == 0 && port->addr6.family == 0) {
		mkpath(path, prefix, "address");
		return fail(c, p, path,
			    "a port needs an address, an address6 or both (e.g. 198.18.2.2/24)");
	}
	rc = port_gateway(c, p, prefix, "gateway", "address", &port->addr4, &port->gateway4);
	if (rc == 0)
		rc = port_gateway(c, p, prefix, "gateway6", "address6", &port->addr6,
				  &port->gateway6);
	if (rc != 0)
		return rc;
	rc = opt_u16(c, p, prefix, "mtu", MTU_MIN, MTU_MAX, DEF_MTU, &port->mtu);
	if (rc != 0)
		return rc;
	if (port->addr6.family != 0 && port->mtu < MTU_MIN_V6) {
		mkpath(path, prefix, "mtu");
		return fail(c, sg_cfg_node_get(p, "mtu"), path,
			    "IPv6 (address6) needs an MTU of at least %u", MTU_MIN_V6);
	}
	rc = opt_u16(c, p, prefix, "rx_desc", DESC_MIN, DESC_MAX, DEF_DESC, &port->rx_desc);
	if (rc == 0)
		rc = opt_u16(c, p, prefix, "tx_desc", DESC_MIN, DESC_MAX, DEF_DESC, &port->tx_desc);
	if (rc != 0)
		return rc;
	if (!is_pow2(port->rx_desc) || !is_pow2(port->tx_desc)) {
		const char *k = is_pow2(port->rx_desc) ? "tx_desc" : "rx_desc";

		mkpath(path, prefix, "%s", k);
		return fail(c, sg_cfg_node_get(p, k), path,
			    "descriptor counts must be a power of two (64, 128, ... 16384)");
	}
	/* Two ports on overlapping subnets would make the next hop ambiguous. */
	for (j = 0; j < idx; j++) {
		const struct sg_cfg_port *o = &c->cfg->appliance.ports[j];
		const struct sg_cfg_addr *mine[2] = {&port->addr4, &port->addr6};
		const struct sg_cfg_addr *theirs[2] = {&o->addr4, &o->addr6};
		const char *k[2] = {"address", "address6"};
		unsigned int f;

		for (f = 0; f < 2; f++) {
			const struct sg_cfg_addr *a = mine[f], *b = theirs[f];
			const struct sg_cfg_addr *wide = a->prefixlen <= b->prefixlen ? a : b;
			const struct sg_cfg_addr *other = wide == a ? b : a;

			if (a->family == 0 || b->family == 0)
				continue;
			if (sg_cfg_addr_in_subnet(wide, other)) {
				mkpath(path, prefix, "%s", k[f]);
				return fail(c, sg_cfg_node_get(p, k[f]), path,
					    "subnet overlaps appliance.ports[%u].%s; each port "
					    "needs its own subnet",
					    j, k[f]);
			}
		}
	}
	return 0;
}

static int
check_eal_arg(struct ctx *c, const struct sg_cfg_node *v, const char *path, const char *arg)
{
	static const struct {
		const char *opt;
		const char *key;
	} owned[] = {
		{"--file-prefix", "appliance.file_prefix"},
		{"--no-huge", "appliance.no_huge"},
		{"-m", "appliance.memory_mb"},
	};
	unsigned int i;

	if (arg[0] == '\0')
		return fail(c, v, path, "an empty EAL argument");
	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		size_t l = strlen(owned[i].opt);

		if (strncmp(arg, owned[i].opt, l) == 0 &&
		    (arg[l] == '\0' || arg[l] == '=' || (l == 2 && arg[l] >= '0' && arg[l] <= '9')))
			return fail(c, v, path, "%s is set by %s; remove it from eal_args",
				    owned[i].opt, owned[i].key);
	}
	return 0;
}

static int
parse_appliance(struct ctx *c, const struct sg_cfg_node *a)
{
	static const char *const keys[] = {
		"workers",	 "memory_mb", "no_huge", "file_prefix", "mbufs", "flow_table_size",
		"telemetry_dir", "eal_args",  "ports",	 "control",	NULL};
	struct sg_cfg_appliance *ap = &c->cfg->appliance;
	const char *prefix = "appliance";
	char path[PATH_MAX_LEN];
	const struct sg_cfg_node *v;
	uint32_t u;
	unsigned int i;
	int rc;

	rc = sg_cfg_node_check_keys(c->doc, a, prefix, keys, c->err);
	if (rc != 0)
		return rc;
	rc = opt_u32(c, a, prefix, "workers", 1, SG_CFG_WORKERS_MAX, DEF_WORKERS, &u);
	if (rc != 0)
		return rc;
	ap->workers = u;
	rc = opt_u32(c, a, prefix, "memory_mb", 0, MEMORY_MB_MAX, DEF_MEMORY_MB, &u);
	if (rc != 0)
		return rc;
	ap->memory_mb = u;
	ap->no_huge = false;
	v = sg_cfg_node_get(a, "no_huge");
	if (v != NULL) {
		rc = sg_cfg_node_bool(c->doc, v, "appliance.no_huge", &ap->no_huge, c->err);
		if (rc != 0)
			return rc;
	}
	sg_cfg_strlcpy(ap->file_prefix, DEF_FILE_PREFIX, sizeof(ap->file_prefix));
	v = sg_cfg_node_get(a, "file_prefix");
	if (v != NULL) {
		rc = sg_cfg_node_name(c->doc, v, "appliance.file_prefix", ap->file_prefix, c->err);
		if (rc != 0)
			return rc;
	}
	rc = opt_u32(c, a, prefix, "mbufs", MBUFS_MIN, MBUFS_MAX, DEF_MBUFS, &ap->mbufs);
	if (rc == 0)
		rc = opt_u32(c, a, prefix, "flow_table_size", FLOW_TABLE_MIN, FLOW_TABLE_MAX,
			     DEF_FLOW_TABLE, &ap->flow_table_size);
	if (rc != 0)
		return rc;
	rc = sg_cfg_parse_control(c->doc, sg_cfg_node_get(a, "control"), ap, c->err);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(a, "telemetry_dir");
	if (v != NULL) {
		rc = sg_cfg_node_string(c->doc, v, "appliance.telemetry_dir", ap->telemetry_dir,
					sizeof(ap->telemetry_dir), c->err);
		if (rc != 0)
			return rc;
		if (ap->telemetry_dir[0] != '\0' && ap->telemetry_dir[0] != '/')
			return fail(c, v, "appliance.telemetry_dir",
				    "must be an absolute path (or \"\" for EAL's default)");
		rc = check_no_ctl(c, v, "appliance.telemetry_dir", ap->telemetry_dir);
		if (rc != 0)
			return rc;
	}
	v = sg_cfg_node_get(a, "eal_args");
	if (v != NULL) {
		rc = sg_cfg_node_seq(c->doc, v, "appliance.eal_args", SG_CFG_EAL_ARGS_MAX, c->err);
		if (rc != 0)
			return rc;
		for (i = 0; i < v->n_items; i++) {
			mkpath(path, "appliance.eal_args", "[%u]", i);
			rc = sg_cfg_node_string(c->doc, v->items[i], path, ap->eal_args[i],
						SG_CFG_DEVARGS_MAX, c->err);
			if (rc == 0)
				rc = check_eal_arg(c, v->items[i], path, ap->eal_args[i]);
			if (rc != 0)
				return rc;
		}
		ap->n_eal_args = v->n_items;
	}
	v = need(c, a, prefix, "ports", &rc);
	if (v == NULL)
		return rc;
	rc = sg_cfg_node_seq(c->doc, v, "appliance.ports", SG_CFG_PORTS_MAX, c->err);
	if (rc != 0)
		return rc;
	if (v->n_items == 0)
		return fail(c, v, "appliance.ports", "at least one port is needed");
	for (i = 0; i < v->n_items; i++) {
		rc = parse_port(c, v->items[i], i);
		if (rc != 0)
			return rc;
		ap->n_ports = i + 1;
	}
	return 0;
}

/* ---- nat ---------------------------------------------------------------- */

static int
parse_nat_ports(struct ctx *c, const struct sg_cfg_node *v)
{
	const char *path = "nat.ports";
	struct sg_cfg_nat *nat = &c->cfg->nat;
	unsigned long lo, hi;
	char *end;

	if (v->type == SG_CFG_NODE_SCALAR && !v->quoted && v->len > 0 &&
	    strspn(v->value, "0123456789") == v->len) {
		uint64_t p;
		int rc = sg_cfg_node_uint(c->doc, v, path, 1, 65535, &p, c->err);

		if (rc != 0)
			return rc;
		nat->port_min = nat->port_max = (uint16_t)p;
		return 0;
	}
	if (v->type != SG_CFG_NODE_SCALAR || sg_cfg_node_is_null(v) || strlen(v->value) != v->len ||
	    v->value[0] < '0' || v->value[0] > '9')
		goto bad;
	lo = strtoul(v->value, &end, 10);
	if (end == v->value || *end != '-' || end[1] < '0' || end[1] > '9')
		goto bad;
	hi = strtoul(end + 1, &end, 10);
	if (*end != '\0')
		goto bad;
	if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535)
		return fail(c, v, path, "ports must be within 1..65535");
	if (lo > hi)
		return fail(c, v, path, "range %lu-%lu is reversed; write %lu-%lu", lo, hi, hi, lo);
	nat->port_min = (uint16_t)lo;
	nat->port_max = (uint16_t)hi;
	return 0;
bad:
	return fail(c, v, path,
		    "expected a port range like 1024-65535 or one port, found %s%.32s%s",
		    v->type == SG_CFG_NODE_SCALAR ? "\"" : "",
		    v->type == SG_CFG_NODE_SCALAR ? v->value : sg_cfg_node_type_name(v),
		    v->type == SG_CFG_NODE_SCALAR ? "\"" : "");
}

static int
parse_nat(struct ctx *c, const struct sg_cfg_node *n)
{
	static const char *const keys[] = {"addresses", "ports", NULL};
	struct sg_cfg_nat *nat = &c->cfg->nat;
	char path[PATH_MAX_LEN];
	const struct sg_cfg_node *v;
	unsigned int i, j;
	int rc;

	nat->port_min = DEF_NAT_PORT_MIN;
	nat->port_max = DEF_NAT_PORT_MAX;
	if (n == NULL || sg_cfg_node_is_null(n))
		return 0;
	rc = sg_cfg_node_check_keys(c->doc, n, "nat", keys, c->err);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(n, "addresses");
	if (v != NULL) {
		rc = sg_cfg_node_seq(c->doc, v, "nat.addresses", SG_CFG_NAT_ADDRS_MAX, c->err);
		if (rc != 0)
			return rc;
		for (i = 0; i < v->n_items; i++) {
			mkpath(path, "nat.addresses", "[%u]", i);
			rc = unicast_addr(c, v->items[i], path, &nat->addrs[i]);
			if (rc != 0)
				return rc;
			for (j = 0; j < i; j++) {
				if (sg_cfg_addr_equal(&nat->addrs[i], &nat->addrs[j]))
					return fail(c, v->items[i], path,
						    "duplicate address (also nat.addresses[%u])",
						    j);
			}
			nat->n_addrs = i + 1;
		}
	}
	v = sg_cfg_node_get(n, "ports");
	if (v != NULL)
		return parse_nat_ports(c, v);
	return 0;
}

/* ---- pools -------------------------------------------------------------- */

static int
parse_member(struct ctx *c, const struct sg_cfg_node *m, const char *pool_path,
	     struct sg_cfg_pool *pool, unsigned int idx)
{
	static const char *const keys[] = {"name", "address", "port", "weight", "host", NULL};
	struct sg_cfg_member *mb = &pool->members[idx];
	char prefix[PATH_MAX_LEN], path[PATH_MAX_LEN];
	const struct sg_cfg_node *v;
	unsigned int j;
	int rc;

	mkpath(prefix, pool_path, "members[%u]", idx);
	rc = sg_cfg_node_check_keys(c->doc, m, prefix, keys, c->err);
	if (rc != 0)
		return rc;
	v = need(c, m, prefix, "name", &rc);
	if (v == NULL)
		return rc;
	mkpath(path, prefix, "name");
	rc = sg_cfg_node_name(c->doc, v, path, mb->name, c->err);
	if (rc != 0)
		return rc;
	for (j = 0; j < idx; j++) {
		if (strcmp(pool->members[j].name, mb->name) == 0)
			return fail(c, v, path, "duplicate member name \"%s\" (also members[%u])",
				    mb->name, j);
	}
	v = need(c, m, prefix, "address", &rc);
	if (v == NULL)
		return rc;
	mkpath(path, prefix, "address");
	rc = unicast_addr(c, v, path, &mb->addr);
	if (rc != 0)
		return rc;
	rc = opt_u16(c, m, prefix, "port", 1, 65535, 0, &mb->port);
	if (rc == 0)
		rc = opt_u32(c, m, prefix, "weight", 0, WEIGHT_MAX, DEF_WEIGHT, &mb->weight);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(m, "host");
	if (v != NULL) {
		mkpath(path, prefix, "host");
		rc = unicast_addr(c, v, path, &mb->host);
		if (rc != 0)
			return rc;
	}
	for (j = 0; j < idx; j++) {
		const struct sg_cfg_member *o = &pool->members[j];

		if (sg_cfg_addr_equal(&o->addr, &mb->addr) && o->port == mb->port) {
			mkpath(path, prefix, "address");
			return fail(c, sg_cfg_node_get(m, "address"), path,
				    "member \"%s\" has the same address and port", o->name);
		}
	}
	return 0;
}

static int
parse_pools(struct ctx *c, const struct sg_cfg_node *n)
{
	static const char *const keys[] = {"name", "members", NULL};
	struct sg_cfg *cfg = c->cfg;
	char prefix[PATH_MAX_LEN], path[PATH_MAX_LEN];
	unsigned int i, j;
	int rc;

	if (n == NULL || sg_cfg_node_is_null(n))
		return 0;
	rc = sg_cfg_node_seq(c->doc, n, "pools", SG_CFG_POOLS_MAX, c->err);
	if (rc != 0)
		return rc;
	if (n->n_items == 0)
		return 0;
	cfg->pools = calloc(n->n_items, sizeof(*cfg->pools));
	if (cfg->pools == NULL)
		return -ENOMEM;
	for (i = 0; i < n->n_items; i++) {
		const struct sg_cfg_node *p = n->items[i], *v, *ms;
		struct sg_cfg_pool *pool = &cfg->pools[i];

		cfg->n_pools = i + 1;
		mkpath(prefix, "pools", "[%u]", i);
		rc = sg_cfg_node_check_keys(c->doc, p, prefix, keys, c->err);
		if (rc != 0)
			return rc;
		v = need(c, p, prefix, "name", &rc);
		if (v == NULL)
			return rc;
		mkpath(path, prefix, "name");
		rc = sg_cfg_node_name(c->doc, v, path, pool->name, c->err);
		if (rc != 0)
			return rc;
		for (j = 0; j < i; j++) {
			if (strcmp(cfg->pools[j].name, pool->name) == 0)
				return fail(c, v, path,
					    "duplicate pool name \"%s\" (also pools[%u])",
					    pool->name, j);
		}
		ms = sg_cfg_node_get(p, "members");
		if (ms == NULL || sg_cfg_node_is_null(ms))
			continue;
		mkpath(path, prefix, "members");
		rc = sg_cfg_node_seq(c->doc, ms, path, SG_CFG_MEMBERS_MAX, c->err);
		if (rc != 0)
			return rc;
		if (ms->n_items == 0)
			continue;
		pool->members = calloc(ms->n_items, sizeof(*pool->members));
		if (pool->members == NULL)
			return -ENOMEM;
		for (j = 0; j < ms->n_items; j++) {
			rc = parse_member(c, ms->items[j], prefix, pool, j);
			if (rc != 0)
				return rc;
			pool->n_members = j + 1;
		}
	}
	return 0;
}

/* ---- virtual services --------------------------------------------------- */

static bool
is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; d <= n / d; d += 2) {
		if (n % d == 0)
			return false;
	}
	return true;
}

static int
parse_maglev_size(struct ctx *c, const struct sg_cfg_node *vs, const char *prefix,
		  struct sg_cfg_vs *s)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(vs, "maglev_size");
	char path[PATH_MAX_LEN];
	uint32_t lo, hi;
	int rc;

	s->maglev_size = DEF_MAGLEV_SIZE;
	if (v == NULL)
		return 0;
	mkpath(path, prefix, "maglev_size");
	if (s->scheduler != SG_CFG_SCHED_MAGLEV)
		return fail(c, v, path, "only used with scheduler: maglev (this one is %s)",
			    sg_cfg_sched_name(s->scheduler));
	rc = opt_u32(c, vs, prefix, "maglev_size", MAGLEV_SIZE_MIN, MAGLEV_SIZE_MAX,
		     DEF_MAGLEV_SIZE, &s->maglev_size);
	if (rc != 0)
		return rc;
	if (is_prime(s->maglev_size))
		return 0;
	for (lo = s->maglev_size - 1; !is_prime(lo); lo--)
		;
	/* MAGLEV_SIZE_MAX is prime, so hi stops there at the latest. */
	for (hi = s->maglev_size + 1; !is_prime(hi); hi++)
		;
	return fail(c, v, path, "%u is not prime (the nearest primes are %u and %u)",
		    s->maglev_size, lo, hi);
}

static int
parse_timeouts(struct ctx *c, const struct sg_cfg_node *vs, const char *prefix, struct sg_cfg_vs *s)
{
	static const char *const keys[] = {"tcp", "tcp_transitory", "udp", NULL};
	const struct sg_cfg_node *t = sg_cfg_node_get(vs, "timeouts");
	char path[PATH_MAX_LEN];
	int rc;

	s->tcp_timeout_s = DEF_TCP_TIMEOUT;
	s->tcp_transitory_s = DEF_TCP_TRANSITORY;
	s->udp_timeout_s = DEF_UDP_TIMEOUT;
	if (t == NULL)
		return 0;
	mkpath(path, prefix, "timeouts");
	rc = sg_cfg_node_check_keys(c->doc, t, path, keys, c->err);
	if (rc == 0)
		rc = opt_u32(c, t, path, "tcp", 1, TIMEOUT_MAX, DEF_TCP_TIMEOUT, &s->tcp_timeout_s);
	if (rc == 0)
		rc = opt_u32(c, t, path, "tcp_transitory", 1, TRANSITORY_MAX, DEF_TCP_TRANSITORY,
			     &s->tcp_transitory_s);
	if (rc == 0)
		rc = opt_u32(c, t, path, "udp", 1, TIMEOUT_MAX, DEF_UDP_TIMEOUT, &s->udp_timeout_s);
	return rc;
}

/* Member rules that depend on the VS mode (family, ports, NAT sources). */
static int
check_vs_members(struct ctx *c, const struct sg_cfg_node *pool_node, const char *path,
		 const struct sg_cfg_vs *s)
{
	const struct sg_cfg_pool *pool = &c->cfg->pools[s->pool];
	const struct sg_cfg_nat *nat = &c->cfg->nat;
	unsigned int i, j;

	if (pool->n_members == 0)
		return fail(c, pool_node, path, "pool \"%s\" has no members", pool->name);
	if (s->scheduler == SG_CFG_SCHED_MAGLEV && s->maglev_size < pool->n_members)
		return fail(c, pool_node, path,
			    "pool \"%s\" has %u members, more than maglev_size %u", pool->name,
			    pool->n_members, s->maglev_size);
	for (i = 0; i < pool->n_members; i++) {
		const struct sg_cfg_member *m = &pool->members[i];
		const struct sg_cfg_addr *under = m->host.family ? &m->host : &m->addr;

		switch (s->mode) {
		case SG_CFG_MODE_DSR:
			if (m->addr.family != s->vip.family)
				return fail(c, pool_node, path,
					    "member \"%s\" has an %s address but the VIP is %s; "
					    "dsr cannot change the family",
					    m->name, family_name(m->addr.family),
					    family_name(s->vip.family));
			if (under->family != s->vip.family)
				return fail(c, pool_node, path,
					    "member \"%s\" has an %s host but the VIP is %s; dsr "
					    "encapsulates %s in %s: give it an %s host",
					    m->name, family_name(under->family),
					    family_name(s->vip.family), family_name(s->vip.family),
					    family_name(s->vip.family), family_name(s->vip.family));
			if (m->port != 0 && m->port != s->port)
				return fail(c, pool_node, path,
					    "member \"%s\" listens on port %u but dsr keeps the "
					    "VS port %u (remove the member port)",
					    m->name, m->port, s->port);
			break;
		case SG_CFG_MODE_NAT:
			for (j = 0; j < nat->n_addrs; j++) {
				if (nat->addrs[j].family == m->addr.family)
					break;
			}
			if (j == nat->n_addrs)
				return fail(c, pool_node, path,
					    "member \"%s\" is %s but nat.addresses has no %s "
					    "address (needed by mode nat)",
					    m->name, family_name(m->addr.family),
					    family_name(m->addr.family));
			break;
		case SG_CFG_MODE_BROKERED:
		case SG_CFG_MODE_REDIRECT:
			break;
		}
	}
	return 0;
}

static int
parse_vs(struct ctx *c, const struct sg_cfg_node *n, unsigned int idx)
{
	static const char *const keys[] = {
		"name",	    "vip",  "port",	   "protocol",	"mode",	    "scheduler", "encap",
		"gue_port", "pool", "maglev_size", "max_flows", "timeouts", "brokered",	 NULL};
	struct sg_cfg *cfg = c->cfg;
	struct sg_cfg_vs *s = &cfg->vs[idx];
	char prefix[PATH_MAX_LEN], path[PATH_MAX_LEN];
	const struct sg_cfg_node *v, *pool_node;
	unsigned int e, j;
	int rc;

	mkpath(prefix, "virtual_services", "[%u]", idx);
	rc = sg_cfg_node_check_keys(c->doc, n, prefix, keys, c->err);
	if (rc != 0)
		return rc;
	v = need(c, n, prefix, "name", &rc);
	if (v == NULL)
		return rc;
	mkpath(path, prefix, "name");
	rc = sg_cfg_node_name(c->doc, v, path, s->name, c->err);
	if (rc != 0)
		return rc;
	for (j = 0; j < idx; j++) {
		if (strcmp(cfg->vs[j].name, s->name) == 0)
			return fail(c, v, path,
				    "duplicate virtual service name \"%s\" (also "
				    "virtual_services[%u])",
				    s->name, j);
	}
	v = need(c, n, prefix, "vip", &rc);
	if (v == NULL)
		return rc;
	mkpath(path, prefix, "vip");
	rc = unicast_addr(c, v, path, &s->vip);
	if (rc != 0)
		return rc;
	for (j = 0; j < cfg->appliance.n_ports; j++) {
		const struct sg_cfg_port *p = &cfg->appliance.ports[j];

		if (sg_cfg_addr_equal(&p->addr4, &s->vip) || sg_cfg_addr_equal(&p->addr6, &s->vip))
			return fail(c, v, path, "the VIP is the address of appliance.ports[%u]", j);
	}
	for (j = 0; j < cfg->nat.n_addrs; j++) {
		if (sg_cfg_addr_equal(&cfg->nat.addrs[j], &s->vip))
			return fail(c, v, path, "the VIP is also nat.addresses[%u]", j);
	}
	v = need(c, n, prefix, "port", &rc);
	if (v == NULL)
		return rc;
	rc = opt_u16(c, n, prefix, "port", 1, 65535, 0, &s->port);
	if (rc != 0)
		return rc;
	rc = opt_enum(c, n, prefix, "protocol", proto_names, 0, &e);
	if (rc != 0)
		return rc;
	s->proto = e == 0 ? SG_CFG_PROTO_TCP : SG_CFG_PROTO_UDP;
	for (j = 0; j < idx; j++) {
		const struct sg_cfg_vs *o = &cfg->vs[j];

		if (sg_cfg_addr_equal(&o->vip, &s->vip) && o->port == s->port &&
		    o->proto == s->proto) {
			mkpath(path, prefix, "port");
			return fail(c, sg_cfg_node_get(n, "port"), path,
				    "virtual_services[%u] (\"%s\") already uses this VIP, port "
				    "and protocol",
				    j, o->name);
		}
	}
	v = need(c, n, prefix, "mode", &rc);
	if (v == NULL)
		return rc;
	rc = opt_enum(c, n, prefix, "mode", mode_names, 0, &e);
	if (rc != 0)
		return rc;
	s->mode = (enum sg_cfg_mode)e;
	if (s->mode == SG_CFG_MODE_REDIRECT && s->proto != SG_CFG_PROTO_TCP) {
		mkpath(path, prefix, "mode");
		return fail(c, v, path, "mode %s answers with HTTP: it needs protocol: tcp",
			    sg_cfg_mode_name(s->mode));
	}
	rc = opt_enum(c, n, prefix, "scheduler", sched_names, SG_CFG_SCHED_MAGLEV, &e);
	if (rc != 0)
		return rc;
	s->scheduler = (enum sg_cfg_sched)e;
	if (s->mode == SG_CFG_MODE_DSR && s->scheduler == SG_CFG_SCHED_LC) {
		mkpath(path, prefix, "scheduler");
		return fail(c, sg_cfg_node_get(n, "scheduler"), path,
			    "lc counts connections on the return path, which dsr never sees; "
			    "use maglev or wrr");
	}
	v = sg_cfg_node_get(n, "encap");
	if (v != NULL && s->mode != SG_CFG_MODE_DSR) {
		mkpath(path, prefix, "encap");
		return fail(c, v, path, "only used with mode: dsr (this one is %s)",
			    sg_cfg_mode_name(s->mode));
	}
	rc = opt_enum(c, n, prefix, "encap", encap_names, SG_CFG_ENCAP_IPIP, &e);
	if (rc != 0)
		return rc;
	s->encap = (enum sg_cfg_encap)e;
	v = sg_cfg_node_get(n, "gue_port");
	if (v != NULL && (s->mode != SG_CFG_MODE_DSR || s->encap != SG_CFG_ENCAP_GUE)) {
		mkpath(path, prefix, "gue_port");
		return fail(c, v, path, "only used with mode: dsr and encap: gue");
	}
	rc = opt_u16(c, n, prefix, "gue_port", 1, 65535, DEF_GUE_PORT, &s->gue_port);
	if (rc != 0)
		return rc;
	rc = parse_maglev_size(c, n, prefix, s);
	if (rc != 0)
		return rc;
	rc = opt_u32(c, n, prefix, "max_flows", 0, cfg->appliance.flow_table_size, 0,
		     &s->max_flows);
	if (rc != 0)
		return rc;
	rc = parse_timeouts(c, n, prefix, s);
	if (rc == 0)
		rc = sg_cfg_parse_brokered(c->doc, n, prefix, s, c->err);
	if (rc != 0)
		return rc;
	pool_node = need(c, n, prefix, "pool", &rc);
	if (pool_node == NULL)
		return rc;
	mkpath(path, prefix, "pool");
	{
		char pname[SG_CFG_NAME_MAX];

		rc = sg_cfg_node_name(c->doc, pool_node, path, pname, c->err);
		if (rc != 0)
			return rc;
		for (j = 0; j < cfg->n_pools; j++) {
			if (strcmp(cfg->pools[j].name, pname) == 0)
				break;
		}
		if (j == cfg->n_pools)
			return fail(c, pool_node, path, "no pool named \"%s\"", pname);
		s->pool = j;
	}
	return check_vs_members(c, pool_node, path, s);
}

static int
parse_vss(struct ctx *c, const struct sg_cfg_node *n)
{
	struct sg_cfg *cfg = c->cfg;
	unsigned int i;
	int rc;

	if (n == NULL || sg_cfg_node_is_null(n))
		return 0;
	rc = sg_cfg_node_seq(c->doc, n, "virtual_services", SG_CFG_VS_MAX, c->err);
	if (rc != 0)
		return rc;
	if (n->n_items == 0)
		return 0;
	cfg->vs = calloc(n->n_items, sizeof(*cfg->vs));
	if (cfg->vs == NULL)
		return -ENOMEM;
	for (i = 0; i < n->n_items; i++) {
		rc = parse_vs(c, n->items[i], i);
		if (rc != 0)
			return rc;
		cfg->n_vs = i + 1;
	}
	return 0;
}

/* ---- entry points ------------------------------------------------------- */

void
sg_cfg_free(struct sg_cfg *cfg)
{
	unsigned int i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n_pools; i++)
		free(cfg->pools[i].members);
	free(cfg->pools);
	free(cfg->vs);
	free(cfg);
}

static int
build(struct ctx *c, const struct sg_cfg_node *root, const char *const *extra)
{
	const char *keys[4 + SG_CFG_EXTRA_SECTIONS_MAX + 1] = {"appliance", "nat", "pools",
							       "virtual_services"};
	const struct sg_cfg_node *v;
	unsigned int n = 4;
	int rc;

	for (; extra != NULL && extra[n - 4] != NULL; n++) {
		if (n - 4 >= SG_CFG_EXTRA_SECTIONS_MAX)
			return fail(c, NULL, "", "more than %u extra sections requested",
				    SG_CFG_EXTRA_SECTIONS_MAX);
		keys[n] = extra[n - 4];
	}
	keys[n] = NULL;

	if (root == NULL || sg_cfg_node_is_null(root))
		return fail(c, NULL, "",
			    "the configuration is empty; it needs at least an appliance section "
			    "(see config/examples/minimal.yaml)");
	if (root->type != SG_CFG_NODE_MAP)
		return fail(c, root, "", "expected a map of sections at the top, found %s",
			    sg_cfg_node_type_name(root));
	rc = sg_cfg_node_check_keys(c->doc, root, "", keys, c->err);
	if (rc != 0)
		return rc;
	v = need(c, root, "", "appliance", &rc);
	if (v == NULL)
		return rc;
	rc = sg_cfg_node_map(c->doc, v, "appliance", false, c->err);
	if (rc == 0)
		rc = parse_appliance(c, v);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(root, "nat");
	if (v != NULL) {
		rc = sg_cfg_node_map(c->doc, v, "nat", true, c->err);
		if (rc != 0)
			return rc;
	}
	rc = parse_nat(c, v);
	if (rc == 0)
		rc = parse_pools(c, sg_cfg_node_get(root, "pools"));
	if (rc == 0)
		rc = parse_vss(c, sg_cfg_node_get(root, "virtual_services"));
	return rc;
}

int
sg_cfg_load_buffer_ext(const char *buf, size_t len, const char *name, const char *const *extra,
		       struct sg_cfg **out, struct sg_cfg_doc **doc_out, struct sg_cfg_error *err)
{
	struct sg_cfg_doc *doc = NULL;
	struct ctx c;
	int rc;

	if (doc_out != NULL)
		*doc_out = NULL;
	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (name == NULL)
		name = "<buffer>";
	rc = sg_cfg_doc_parse(buf, len, name, &doc, err);
	if (rc != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	c.doc = doc;
	c.err = err;
	c.cfg = calloc(1, sizeof(*c.cfg));
	if (c.cfg == NULL) {
		rc = -ENOMEM;
	} else {
		sg_cfg_strlcpy(c.cfg->path, name, sizeof(c.cfg->path));
		rc = build(&c, doc->root, extra);
	}
	if (rc == -ENOMEM)
		sg_cfg_error_at(err, name, 0, 0, "", "out of memory");
	if (rc != 0 || doc_out == NULL)
		sg_cfg_doc_free(doc);
	if (rc != 0) {
		sg_cfg_free(c.cfg);
		return rc;
	}
	if (doc_out != NULL)
		*doc_out = doc;
	*out = c.cfg;
	return 0;
}

int
sg_cfg_load_buffer(const char *buf, size_t len, const char *name, struct sg_cfg **out,
		   struct sg_cfg_error *err)
{
	return sg_cfg_load_buffer_ext(buf, len, name, NULL, out, NULL, err);
}

int
sg_cfg_load_file_ext(const char *path, const char *const *extra, struct sg_cfg **out,
		     struct sg_cfg_doc **doc_out, struct sg_cfg_error *err)
{
	size_t len;
	char *buf;
	int rc;

	if (doc_out != NULL)
		*doc_out = NULL;
	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	rc = sg_cfg_read_file(path, &buf, &len, err);
	if (rc != 0)
		return rc;
	rc = sg_cfg_load_buffer_ext(buf, len, path, extra, out, doc_out, err);
	free(buf);
	return rc;
}

int
sg_cfg_load_file(const char *path, struct sg_cfg **out, struct sg_cfg_error *err)
{
	return sg_cfg_load_file_ext(path, NULL, out, NULL, err);
}
