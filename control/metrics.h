/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * metrics.c: the Prometheus text endpoint.
 */
#ifndef SG_CTL_METRICS_H
#define SG_CTL_METRICS_H

#include "model.h"

struct sg_ctl_view;
struct sg_ctl_metrics;

/** Render every metric of @p v into a malloc'd buffer. */
char *sg_ctl_metrics_render(const struct sg_ctl_view *v, size_t *len);
/** Serve GET /metrics on @p hostport; *@p out is set (close it) even on error. */
int sg_ctl_metrics_listen(struct sg_ctl_metrics **out, const struct sg_ctl_view *v,
			  const char *hostport);
/** Stop and free @p m (NULL: nothing). */
void sg_ctl_metrics_close(struct sg_ctl_metrics *m);

#endif /* SG_CTL_METRICS_H */
