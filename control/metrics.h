/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * metrics.c: the Prometheus text endpoint.
 */
#ifndef SG_CTL_METRICS_H
#define SG_CTL_METRICS_H

#include "model.h"

struct sg_ctl;

/** Render every metric into a malloc'd buffer. */
char *sg_ctl_metrics_render(struct sg_ctl *c, size_t *len);
int sg_ctl_metrics_listen(struct sg_ctl *c, const char *hostport);
void sg_ctl_metrics_close(struct sg_ctl *c);

#endif /* SG_CTL_METRICS_H */
