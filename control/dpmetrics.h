/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpmetrics.c: the data plane's counters in sg-control's /metrics, read at
 * scrape time from its DPDK telemetry socket (cfg dataplane_telemetry):
 * /sg/stats, /sg/ports, /sg/flows, /sg/vs, /sg/members, each rendered as
 * Prometheus families with labels (doc/control.md "Prometheus: the data
 * plane"). A reading is kept SG_CTL_DPM_CACHE_MS; all its queries
 * together take at most SG_CTL_DPM_TIMEOUT_MS.
 */
#ifndef SG_CTL_DPMETRICS_H
#define SG_CTL_DPMETRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SG_CTL_DPM_CACHE_MS   1000
#define SG_CTL_DPM_TIMEOUT_MS 200

enum sg_ctl_dpm_cmd {
	SG_CTL_DPM_STATS = 0, /**< /sg/stats */
	SG_CTL_DPM_PORTS,     /**< /sg/ports */
	SG_CTL_DPM_FLOWS,     /**< /sg/flows */
	SG_CTL_DPM_VS,	      /**< /sg/vs */
	SG_CTL_DPM_MEMBERS,   /**< /sg/members */
	SG_CTL_DPM_CMDS
};

/** The scraper's cache and counters (one per metrics endpoint). */
struct sg_ctl_dpm {
	char *text; /**< the last rendering, NUL-terminated (malloc'd); NULL: none */
	size_t len;
	uint64_t fetched_ns; /**< monotonic time of the last reading; 0: never */
	bool up;	     /**< the last reading answered every query */
	uint64_t scrapes;    /**< readings of the telemetry socket */
	uint64_t errors;     /**< readings that failed (socket, timeout, bad JSON) */
};

/**
 * The data plane's families read from the telemetry socket @p path (""
 * = not configured: sg_dp_up 0), a cached reading if younger than
 * SG_CTL_DPM_CACHE_MS at @p now_ns (monotonic). @return the text (owned by
 * @p d, valid until the next call) with its length in *@p len, or NULL
 * (no memory).
 */
const char *sg_ctl_dpm_get(struct sg_ctl_dpm *d, const char *path, uint64_t now_ns, size_t *len);
/**
 * Render the telemetry answers @p ans (a NULL entry: that query failed;
 * each the whole JSON answer, {"/sg/...": {...}}) to @p f.
 * @return 0, or -EPROTO when an answer is not the JSON expected (what
 * could be read is still rendered).
 */
int sg_ctl_dpm_render(FILE *f, const char *const ans[SG_CTL_DPM_CMDS]);
/** Free the cache. */
void sg_ctl_dpm_fini(struct sg_ctl_dpm *d);

#endif /* SG_CTL_DPMETRICS_H */
