/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * appliance.idle: the workers' idle mode (doc/configuration.md, "Idle
 * mode"): after after_polls empty polls in a row a worker sleeps, min_us
 * first, longer each empty poll, at most max_us (its wake-up latency).
 */
#include <string.h>

#include "ctx.h"
#include "sections.h"

#define DEF_AFTER_POLLS 512
#define AFTER_POLLS_MAX 1000000
#define DEF_MIN_US	5
#define DEF_MAX_US	500
#define MAX_US_MAX	100000

int
sg_cfg_parse_idle(struct sg_cfg_ctx *c, const struct sg_cfg_node *n)
{
	static const char *const keys[] = {"enabled", "after_polls", "min_us", "max_us", NULL};
	const char *prefix = "appliance.idle";
	struct sg_cfg_idle *d = &c->cfg->appliance.idle;
	char path[SG_CFG_PATH_MAX];
	int rc;

	memset(d, 0, sizeof(*d));
	d->after_polls = DEF_AFTER_POLLS;
	d->min_us = DEF_MIN_US;
	d->max_us = DEF_MAX_US;
	if (n == NULL || sg_cfg_node_is_null(n))
		return 0;
	rc = sg_cfg_node_map(c->doc, n, prefix, true, c->err);
	if (rc == 0)
		rc = sg_cfg_node_check_keys(c->doc, n, prefix, keys, c->err);
	if (rc == 0)
		rc = sg_cfg_ctx_bool(c, n, prefix, "enabled", &d->enabled);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "after_polls", 1, AFTER_POLLS_MAX,
				    DEF_AFTER_POLLS, &d->after_polls);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "max_us", 1, MAX_US_MAX, DEF_MAX_US, &d->max_us);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "min_us", 1, MAX_US_MAX, DEF_MIN_US, &d->min_us);
	if (rc != 0 || d->min_us <= d->max_us)
		return rc;
	sg_cfg_ctx_path(path, prefix, "min_us");
	return sg_cfg_ctx_fail(c,
			       sg_cfg_node_get(n, "min_us") ? sg_cfg_node_get(n, "min_us")
							    : sg_cfg_node_get(n, "max_us"),
			       path,
			       "%u is over max_us (%u): the first sleep cannot be longer "
			       "than the longest",
			       d->min_us, d->max_us);
}
