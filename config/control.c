/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * appliance.control: the data plane's end of the shared-memory channel to
 * sg-control (DESIGN.md section 3; doc/configuration.md, doc/sessions.md).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ctx.h"
#include "error.h"
#include "sections.h"

#define DEF_SHM		   "/sessiongate"
#define DEF_RING_SIZE	   4096
#define RING_SIZE_MAX	   (1u << 20)
#define DEF_MAX_HELD	   4096
#define MAX_HELD_MAX	   (1u << 20)
#define DEF_HOLD_BUDGET_KB 16384
#define HOLD_BUDGET_KB_MAX (4u << 20) /* 4 GiB per worker */
#define MBUFS_MAX	   (1u << 24)
#define DEF_PFX_HELD	   128
#define DEF_NEW_RATE	   50
#define DEF_NEW_BURST	   100
#define NEW_RATE_MAX	   1000000

/* "" (no control path) or "/" and then [A-Za-z0-9_.-]. */
static bool
shm_name_ok(const char *shm)
{
	return shm[0] == '\0' ||
	       (shm[0] == '/' && shm[1] != '\0' && strchr(shm + 1, '/') == NULL &&
		strspn(shm + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789_.-") == strlen(shm + 1));
}

/*
 * What one source and the whole hold may take: mbufs (0 = derived from the
 * pool at start), held sessions and new sessions per source prefix.
 */
static int
parse_hold_limits(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
		  struct sg_cfg_control *ctl)
{
	int rc;

	rc = sg_cfg_ctx_u32(c, n, prefix, "hold_mbufs", 0, MBUFS_MAX, 0, &ctl->hold_mbufs);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "hold_reserve_mbufs", 0, MBUFS_MAX, 0,
				    &ctl->hold_reserve_mbufs);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "max_held_per_prefix", 1, MAX_HELD_MAX,
				    DEF_PFX_HELD, &ctl->max_held_per_prefix);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "new_per_prefix_rate", 0, NEW_RATE_MAX,
				    DEF_NEW_RATE, &ctl->new_per_prefix_rate);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "new_per_prefix_burst", 1, NEW_RATE_MAX,
				    DEF_NEW_BURST, &ctl->new_per_prefix_burst);
	return rc;
}

int
sg_cfg_parse_control(struct sg_cfg_ctx *c, const struct sg_cfg_node *n)
{
	static const char *const keys[] = {"shm",
					   "ring_size",
					   "max_held",
					   "hold_budget_kb",
					   "hold_mbufs",
					   "hold_reserve_mbufs",
					   "max_held_per_prefix",
					   "new_per_prefix_rate",
					   "new_per_prefix_burst",
					   NULL};
	const char *prefix = "appliance.control";
	struct sg_cfg_control *ctl = &c->cfg->appliance.control;
	const struct sg_cfg_node *v;
	char path[SG_CFG_PATH_MAX];
	uint64_t u;
	int rc;

	sg_cfg_strlcpy(ctl->shm, DEF_SHM, sizeof(ctl->shm));
	ctl->ring_size = DEF_RING_SIZE;
	ctl->max_held = DEF_MAX_HELD;
	ctl->hold_budget_kb = DEF_HOLD_BUDGET_KB;
	ctl->max_held_per_prefix = DEF_PFX_HELD;
	ctl->new_per_prefix_rate = DEF_NEW_RATE;
	ctl->new_per_prefix_burst = DEF_NEW_BURST;
	if (n == NULL || sg_cfg_node_is_null(n))
		return 0;
	rc = sg_cfg_node_map(c->doc, n, prefix, true, c->err);
	if (rc == 0)
		rc = sg_cfg_node_check_keys(c->doc, n, prefix, keys, c->err);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(n, "shm");
	if (v != NULL) {
		sg_cfg_ctx_path(path, prefix, "shm");
		rc = sg_cfg_node_string(c->doc, v, path, ctl->shm, sizeof(ctl->shm), c->err);
		if (rc != 0)
			return rc;
		if (!shm_name_ok(ctl->shm))
			return sg_cfg_ctx_fail(
				c, v, path,
				"a POSIX shm name is \"/\" and then [A-Za-z0-9_.-] (or \"\" "
				"for no control path), not \"%s\"",
				ctl->shm);
	}
	rc = sg_cfg_ctx_uint(c, n, prefix, "ring_size", 64, RING_SIZE_MAX, DEF_RING_SIZE, &u);
	if (rc != 0)
		return rc;
	if ((u & (u - 1)) != 0) {
		sg_cfg_ctx_path(path, prefix, "ring_size");
		return sg_cfg_ctx_fail(c, sg_cfg_node_get(n, "ring_size"), path,
				       "%llu is not a power of two", (unsigned long long)u);
	}
	ctl->ring_size = (uint32_t)u;
	rc = sg_cfg_ctx_u32(c, n, prefix, "max_held", 1, MAX_HELD_MAX, DEF_MAX_HELD,
			    &ctl->max_held);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "hold_budget_kb", 64, HOLD_BUDGET_KB_MAX,
				    DEF_HOLD_BUDGET_KB, &ctl->hold_budget_kb);
	if (rc == 0)
		rc = parse_hold_limits(c, n, prefix, ctl);
	return rc;
}
