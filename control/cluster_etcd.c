/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cluster mode: the outcome of each etcd call, counted (etcd_errors) and
 * logged once per outage, for cluster.c, cluster_vm.c and cluster_sess.c.
 */
#include <errno.h>
#include <stdio.h>
#include <syslog.h>

#include "cluster.h"
#include "sg_etcd.h"

int
sg_ctl_cluster_etcd_rc(struct sg_ctl_cluster *cl, int rc, const char *what)
{
	if (rc >= 0 || rc == -EEXIST || rc == -ENOENT) {
		if (!cl->reachable)
			syslog(LOG_NOTICE, "cluster: etcd answers again");
		cl->reachable = true;
		return rc;
	}
	cl->d.st->etcd_errors++;
	snprintf(cl->last_error, sizeof(cl->last_error), "%s: %s", what, sg_etcd_error(cl->etcd));
	if (cl->reachable)
		syslog(LOG_WARNING, "cluster: etcd: %s", cl->last_error);
	cl->reachable = false;
	return rc;
}
