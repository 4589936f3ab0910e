/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * appliance.idle: the workers' idle mode (doc/configuration.md, "Idle
 * mode"): after after_polls empty polls in a row a worker sleeps, min_us
 * first, longer each empty poll, at most max_us (its wake-up latency).
 */
#include <stddef.h>
#include <string.h>

#include "ctx.h"
#include "sections.h"

#define AFTER_POLLS_MAX 1000000
#define MAX_US_MAX	100000

int
sg_cfg_parse_idle(struct sg_cfg_ctx *c, const struct sg_cfg_node *n)
{
	static const char *const keys[] = {"enabled", "after_polls", "min_us", "max_us", NULL};
	static const struct sg_cfg_ctx_u32_key nums[] = {
		{"after_polls", 1, AFTER_POLLS_MAX, 512, offsetof(struct sg_cfg_idle, after_polls)},
		{"max_us", 1, MAX_US_MAX, 500, offsetof(struct sg_cfg_idle, max_us)},
		{"min_us", 1, MAX_US_MAX, 5, offsetof(struct sg_cfg_idle, min_us)},
		{NULL, 0, 0, 0, 0},
	};
	const char *prefix = "appliance.idle";
	struct sg_cfg_idle *d = &c->cfg->appliance.idle;
	char path[SG_CFG_PATH_MAX];
	int rc;

	memset(d, 0, sizeof(*d));
	rc = sg_cfg_ctx_map(c, n, prefix, keys);
	if (rc == 0)
		rc = sg_cfg_ctx_bool(c, n, prefix, "enabled", &d->enabled);
	if (rc == 0)
		rc = sg_cfg_ctx_u32_table(c, n, prefix, nums, d);
	if (rc != 0 || d->min_us <= d->max_us)
		return rc;
	sg_cfg_ctx_path(path, prefix, "min_us");
	return sg_cfg_ctx_fail(c, sg_cfg_ctx_either(n, "min_us", "max_us"), path,
			       "%u is over max_us (%u): the first sleep cannot be longer than "
			       "the longest",
			       d->min_us, d->max_us);
}
