/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reloading sg-control's configuration (SIGHUP, `sgctl reload`): the file
 * read again, what needs a restart refused, the rest merged by name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cfg.h"

int
sg_ctl_cfg_reread(const struct sg_ctl_cfg *o, const char *path, struct sg_ctl_cfg *n, char *err,
		  size_t errlen)
{
	int rc;

	if (path == NULL) {
		snprintf(err, errlen, "no configuration file to reload");
		return -EINVAL;
	}
	rc = sg_ctl_cfg_load(path, n, err, errlen);
	if (rc < 0)
		return rc;
	if (strcmp(n->shm_name, o->shm_name) != 0 || strcmp(n->db_dir, o->db_dir) != 0 ||
	    strcmp(n->admin_socket, o->admin_socket) != 0 ||
	    strcmp(n->agent_listen, o->agent_listen) != 0 ||
	    strcmp(n->metrics_listen, o->metrics_listen) != 0 ||
	    !sg_ctl_cfg_cluster_same(&n->cluster, &o->cluster)) {
		snprintf(err, errlen,
			 "shm_name, db_dir, admin_socket, agent_listen, metrics_listen or cluster "
			 "changed: restart sg-control");
		return -EINVAL;
	}
	return 0;
}

void
sg_ctl_cfg_take_tunables(struct sg_ctl_cfg *o, const struct sg_ctl_cfg *n)
{
	o->queue_timeout_ms = n->queue_timeout_ms;
	o->vm_start_timeout_ms = n->vm_start_timeout_ms;
	o->install_timeout_ms = n->install_timeout_ms;
	o->ring_poll_us = n->ring_poll_us;
	o->dp_dead_ms = n->dp_dead_ms;
	snprintf(o->agent_key_dir, sizeof(o->agent_key_dir), "%s", n->agent_key_dir);
	snprintf(o->appliance_config, sizeof(o->appliance_config), "%s", n->appliance_config);
	o->usage = n->usage; /* the next record follows (jlog.c reopens a new path) */
	memcpy(o->dp_telemetry, n->dp_telemetry, sizeof(o->dp_telemetry));
}

/*
 * Reload: read the file again, add the objects sgctl added (those the file
 * now defines: the file's), and merge by name (cfg_merge.c): tunables
 * change in place, new objects take free slots, objects gone retire. All
 * or nothing; what needs a restart is refused.
 */
int
sg_ctl_cfg_reload(struct sg_ctl_cfg *o, const char *path, char *err, size_t errlen)
{
	struct sg_ctl_cfg *n = malloc(sizeof(*n));
	int rc;

	if (n == NULL)
		return -ENOMEM;
	rc = sg_ctl_cfg_reread(o, path, n, err, errlen);
	if (rc == 0)
		rc = sg_ctl_cfg_append(n, o, true, SG_CTL_KIND_MAX, NULL, err, errlen);
	if (rc == 0)
		rc = sg_ctl_cfg_merge(o, n, err, errlen);
	if (rc == 0) {
		sg_ctl_cfg_take_tunables(o, n);
		syslog(LOG_NOTICE, "reloaded %s", path);
	}
	free(n);
	return rc;
}
