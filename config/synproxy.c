/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SYN-proxy keys of a virtual service: syn_proxy (off | on | auto) and
 * the thresholds of auto, and syn_proxy_dsr (off | handoff). A nat TCP
 * service can be proxied: the data plane translates the member's sequence
 * numbers on the return path it sees. A dsr member answers the client
 * directly, so a dsr TCP service can be proxied only when its members run
 * sg-hostagent's datapath (syn_proxy_dsr: handoff): their host translates,
 * as in the brokered DSR hand-off.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"
#include "names.h"
#include "sections.h"

#define DEF_RATE     2000 /* SYN/s to the VS */
#define DEF_FILL_PCT 50	  /* % of the flow table or of the NAT ports */
#define DEF_HOLD_S   10	  /* calm seconds before auto turns the proxy off */
#define RATE_MAX     100000000
#define HOLD_S_MAX   3600

static const char *const syn_proxy_names[] = {"off", "on", "auto", NULL};
static const char *const syn_proxy_dsr_names[] = {"off", "handoff", NULL};

/* syn_proxy_dsr: only on a dsr TCP service; s->mode and s->proto are parsed. */
static int
parse_dsr(struct sg_cfg_ctx *c, const struct sg_cfg_node *vs, const char *prefix,
	  struct sg_cfg_vs *s)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(vs, "syn_proxy_dsr");
	char path[SG_CFG_PATH_MAX];
	unsigned int e;
	int rc;

	rc = sg_cfg_ctx_enum(c, vs, prefix, "syn_proxy_dsr", syn_proxy_dsr_names, 0, &e);
	if (rc != 0)
		return rc;
	s->syn_proxy_handoff = e == 1;
	if (v != NULL && (s->mode != SG_CFG_MODE_DSR || s->proto != SG_CFG_PROTO_TCP)) {
		sg_cfg_ctx_path(path, prefix, "syn_proxy_dsr");
		return sg_cfg_ctx_fail(c, v, path, "only for mode: dsr and protocol: tcp");
	}
	return 0;
}

int
sg_cfg_parse_syn_proxy(struct sg_cfg_ctx *c, const struct sg_cfg_node *vs, const char *prefix,
		       struct sg_cfg_vs *s)
{
	static const char *const autokeys[] = {"syn_proxy_rate", "syn_proxy_fill_pct",
					       "syn_proxy_hold_s", NULL};
	const struct sg_cfg_node *v = sg_cfg_node_get(vs, "syn_proxy");
	char path[SG_CFG_PATH_MAX];
	unsigned int e, i;
	bool dsr;
	int rc;

	rc = sg_cfg_ctx_enum(c, vs, prefix, "syn_proxy", syn_proxy_names, SG_CFG_SYN_PROXY_OFF, &e);
	if (rc != 0)
		return rc;
	s->syn_proxy = (enum sg_cfg_syn_proxy)e;
	rc = parse_dsr(c, vs, prefix, s);
	if (rc != 0)
		return rc;
	dsr = s->mode == SG_CFG_MODE_DSR && s->proto == SG_CFG_PROTO_TCP;
	if (s->syn_proxy == SG_CFG_SYN_PROXY_OFF ||
	    (s->mode == SG_CFG_MODE_NAT && s->proto == SG_CFG_PROTO_TCP) ||
	    (dsr && s->syn_proxy_handoff)) {
		/* proxied, or not */
	} else if (dsr) {
		sg_cfg_ctx_path(path, prefix, "syn_proxy");
		return sg_cfg_ctx_fail(
			c, v, path,
			"a dsr service takes %s only with syn_proxy_dsr: handoff (its "
			"members run sg-hostagent's datapath, which translates their "
			"sequence numbers); a plain dsr member answers the client itself, "
			"so its sequence numbers cannot be translated",
			syn_proxy_names[e]);
	} else {
		sg_cfg_ctx_path(path, prefix, "syn_proxy");
		return sg_cfg_ctx_fail(c, v, path,
				       "%s needs protocol: tcp and mode: nat, or mode: dsr with "
				       "syn_proxy_dsr: handoff (this one is %s/%s)",
				       syn_proxy_names[e], sg_cfg_mode_name(s->mode),
				       sg_cfg_proto_name(s->proto));
	}
	for (i = 0; autokeys[i] != NULL; i++) {
		const struct sg_cfg_node *a = sg_cfg_node_get(vs, autokeys[i]);

		if (a != NULL && s->syn_proxy != SG_CFG_SYN_PROXY_AUTO) {
			sg_cfg_ctx_path(path, prefix, "%s", autokeys[i]);
			return sg_cfg_ctx_fail(c, a, path, "only used with syn_proxy: auto");
		}
	}
	rc = sg_cfg_ctx_u32(c, vs, prefix, "syn_proxy_rate", 1, RATE_MAX, DEF_RATE,
			    &s->syn_proxy_rate);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, vs, prefix, "syn_proxy_fill_pct", 1, 100, DEF_FILL_PCT,
				    &s->syn_proxy_fill_pct);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, vs, prefix, "syn_proxy_hold_s", 1, HOLD_S_MAX, DEF_HOLD_S,
				    &s->syn_proxy_hold_s);
	return rc;
}
