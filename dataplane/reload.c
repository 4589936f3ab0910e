/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Table publication and hot reload.
 *
 * A reload parses and validates the whole file, builds new tables off the
 * worker path, swaps the published pointer atomically, waits for every
 * worker to pass a quiescent state (RCU) and only then frees the old
 * tables. Flows already in the workers' flow tables carry their own copy of
 * their backend, so they keep it; a member that disappeared drains.
 * Anything wrong (syntax, validation, a change that needs a restart) leaves
 * the tables in service untouched.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "app.h"

int
sg_dp_tables_publish_initial(struct sg_dp_app *app)
{
	char err[256] = "";
	struct sg_dp_tables *t;
	int rc;

	rc = sg_dp_tables_build(app->cfg, NULL, app->port_info, &t, err, sizeof(err));
	if (rc != 0) {
		SG_DP_LOG(ERR, "%s: cannot build tables: %s", app->config_path, err);
		return rc;
	}
	__atomic_store_n(&app->tables, t, __ATOMIC_RELEASE);
	app->generation = 1;
	return 0;
}

void
sg_dp_tables_swap(struct sg_dp_app *app, struct sg_dp_tables *nt)
{
	struct sg_dp_tables *old = app->tables;

	__atomic_store_n(&app->tables, nt, __ATOMIC_RELEASE);
	/* Every worker has left any burst that could still read the old tables. */
	rte_rcu_qsbr_synchronize(app->qsbr, RTE_QSBR_THRID_INVALID);
	sg_dp_tables_free(old);
	app->generation++;
}

/* Fields that need a restart (ports, queues, memory) must not change on reload. */
static int
appliance_unchanged(const struct sg_cfg_appliance *a, const struct sg_cfg_appliance *b, char *msg,
		    size_t len)
{
	if (a->workers != b->workers || a->mbufs != b->mbufs ||
	    a->flow_table_size != b->flow_table_size || a->memory_mb != b->memory_mb ||
	    a->no_huge != b->no_huge || strcmp(a->file_prefix, b->file_prefix) != 0) {
		snprintf(msg, len, "appliance workers/memory/table sizes changed: restart needed");
		return -EINVAL;
	}
	if (a->n_ports != b->n_ports) {
		snprintf(msg, len, "appliance.ports count changed (%u -> %u): restart needed",
			 a->n_ports, b->n_ports);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < a->n_ports; i++) {
		if (strcmp(a->ports[i].device, b->ports[i].device) != 0 ||
		    a->ports[i].mtu != b->ports[i].mtu) {
			snprintf(msg, len,
				 "appliance.ports[%u] device or mtu changed: restart needed", i);
			return -EINVAL;
		}
	}
	return 0;
}

int
sg_dp_reload(struct sg_dp_app *app, char *msg, size_t msglen)
{
	struct sg_cfg_error cerr;
	struct sg_dp_tables *nt;
	struct sg_cfg *ncfg = NULL;
	char err[256] = "";
	int rc;

	pthread_mutex_lock(&app->ctl_lock);
	rc = sg_cfg_load_file(app->config_path, &ncfg, &cerr);
	if (rc != 0) {
		sg_cfg_error_format(&cerr, msg, msglen);
		goto fail;
	}
	rc = appliance_unchanged(&app->cfg->appliance, &ncfg->appliance, msg, msglen);
	if (rc != 0)
		goto fail;
	/* member state (core/health.h) survives the reload, matched by name */
	rc = sg_dp_tables_build_health(ncfg, app->tables, app->port_info, app->health, &nt, err,
				       sizeof(err));
	if (rc != 0) {
		snprintf(msg, msglen, "%s: cannot build tables: %s", app->config_path, err);
		goto fail;
	}

	sg_dp_tables_swap(app, nt);
	sg_cfg_free(app->cfg);
	app->cfg = ncfg;
	if (app->health != NULL)
		sg_dp_health_prune(app->health, ncfg); /* members gone from the file */
	app->reloads_ok++;
	app->last_error[0] = '\0';
	snprintf(msg, msglen, "reloaded %s: generation %llu, %u virtual services, %u pools",
		 app->config_path, (unsigned long long)app->generation, ncfg->n_vs, ncfg->n_pools);
	pthread_mutex_unlock(&app->ctl_lock);
	SG_DP_LOG(NOTICE, "%s", msg);
	return 0;

fail:
	sg_cfg_free(ncfg);
	app->reloads_failed++;
	snprintf(app->last_error, sizeof(app->last_error), "%s", msg);
	pthread_mutex_unlock(&app->ctl_lock);
	SG_DP_LOG(ERR, "reload rejected, nothing changed: %s", msg);
	return rc;
}
