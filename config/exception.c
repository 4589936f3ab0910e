/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * appliance.exception: the data plane's exception path to the appliance's
 * own kernel, one net_tap interface per port (doc/configuration.md,
 * doc/dataplane.md "Exception path"): its interface names, the rate and
 * queue of what goes to the kernel, and whether the ports' gateways become
 * kernel routes.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <string.h>

#include "ctx.h"
#include "error.h"
#include "sections.h"

#define DEF_IFNAME_PREFIX "sgx"
#define IFNAME_PREFIX_MAX 8
#define DEF_RATE_PPS	  20000
#define RATE_PPS_MAX	  10000000
#define DEF_BURST	  512
#define BURST_MAX	  65535
#define DEF_QUEUE	  1024
#define QUEUE_MIN	  64
#define QUEUE_MAX	  65536

/* Port indexes are below SG_CFG_PORTS_MAX: one decimal digit after the prefix. */
_Static_assert(SG_CFG_PORTS_MAX <= 10 && IFNAME_PREFIX_MAX + 1 < IFNAMSIZ,
	       "exception interface name (prefix + port index) must fit IFNAMSIZ");

static int
parse_ifname_prefix(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
		    struct sg_cfg_exception *x)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(n, "ifname_prefix");
	char path[SG_CFG_PATH_MAX], text[SG_CFG_CHECK_TEXT_MAX];
	size_t l;
	int rc;

	if (v == NULL)
		return 0;
	sg_cfg_ctx_path(path, prefix, "ifname_prefix");
	rc = sg_cfg_node_string(c->doc, v, path, text, sizeof(text), c->err);
	if (rc != 0)
		return rc;
	l = strlen(text);
	if (l == 0 || l > IFNAME_PREFIX_MAX ||
	    strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789_-") != l)
		return sg_cfg_ctx_fail(c, v, path,
				       "an interface name prefix is 1 to %u of [a-z0-9_-] (the "
				       "port index follows it), not \"%.32s\"",
				       IFNAME_PREFIX_MAX, text);
	sg_cfg_strlcpy(x->ifname_prefix, text, sizeof(x->ifname_prefix));
	return 0;
}

int
sg_cfg_parse_exception(struct sg_cfg_ctx *c, const struct sg_cfg_node *n)
{
	static const char *const keys[] = {"enabled", "ifname_prefix", "rate_pps", "burst",
					   "queue",   "routes",	       NULL};
	const char *prefix = "appliance.exception";
	struct sg_cfg_exception *x = &c->cfg->appliance.exception;
	char path[SG_CFG_PATH_MAX];
	uint32_t q;
	int rc;

	memset(x, 0, sizeof(*x));
	sg_cfg_strlcpy(x->ifname_prefix, DEF_IFNAME_PREFIX, sizeof(x->ifname_prefix));
	x->rate_pps = DEF_RATE_PPS;
	x->burst = DEF_BURST;
	x->queue = DEF_QUEUE;
	x->routes = true;
	if (n == NULL || sg_cfg_node_is_null(n))
		return 0;
	rc = sg_cfg_node_map(c->doc, n, prefix, true, c->err);
	if (rc == 0)
		rc = sg_cfg_node_check_keys(c->doc, n, prefix, keys, c->err);
	if (rc == 0)
		rc = sg_cfg_ctx_bool(c, n, prefix, "enabled", &x->enabled);
	if (rc == 0)
		rc = parse_ifname_prefix(c, n, prefix, x);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "rate_pps", 1, RATE_PPS_MAX, DEF_RATE_PPS,
				    &x->rate_pps);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "burst", 1, BURST_MAX, DEF_BURST, &x->burst);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "queue", QUEUE_MIN, QUEUE_MAX, DEF_QUEUE, &q);
	if (rc != 0)
		return rc;
	if ((q & (q - 1)) != 0) {
		sg_cfg_ctx_path(path, prefix, "queue");
		return sg_cfg_ctx_fail(c, sg_cfg_node_get(n, "queue"), path,
				       "%u is not a power of two", q);
	}
	x->queue = q;
	return sg_cfg_ctx_bool(c, n, prefix, "routes", &x->routes);
}
