/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin "cluster" answer (sgctl cluster): this node, etcd (endpoints,
 * reachable, lease, revision), the nodes up (nodes/), who owns each VM, the
 * cluster counters, the data plane's /sg/cluster (state-sync peers, lag,
 * entries sent and received, readiness) read through its telemetry socket,
 * and sg-routed's BGP status file. The last two come from the appliance
 * configuration (control.appliance_config); each source is optional and
 * reported as {"available": false, "why": ...} when it cannot be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "admin.h"
#include "cluster.h"
#include "sg_cfg.h"
#include "sg_idmgr_cluster.h"
#include "sg_telemetry.h"
#include "view.h"
#include "vm.h"

#define TEL_TIMEOUT_MS 500

/* {"available": false, "why": "<what><detail>: <strerror(rc)>"} */
static json_t *
unavailable(const char *what, const char *detail, int rc)
{
	char why[800];

	snprintf(why, sizeof(why), "%s%s: %s", what, detail, strerror(rc < 0 ? -rc : rc));
	return json_pack("{s:b,s:s}", "available", 0, "why", why);
}

/* The data plane's /sg/cluster, from its telemetry socket. */
static json_t *
dataplane(const struct sg_cfg *acfg)
{
	char path[256], *buf;
	json_t *o, *inner;
	int rc;

	if (sg_tel_socket_path(acfg, path, sizeof(path)) < 0)
		return unavailable("telemetry socket path", "", ENAMETOOLONG);
	buf = malloc(SG_TEL_REPLY_MAX);
	if (buf == NULL)
		return unavailable("telemetry", "", ENOMEM);
	rc = sg_tel_query(path, "/sg/cluster", buf, SG_TEL_REPLY_MAX, TEL_TIMEOUT_MS);
	if (rc < 0) {
		free(buf);
		return unavailable("no data plane at ", path, rc);
	}
	o = json_loadb(buf, (size_t)rc, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	inner = json_object_get(o, "/sg/cluster");
	if (!json_is_object(inner)) {
		json_decref(o);
		return unavailable("/sg/cluster: not an object (older data plane?)", "", EPROTO);
	}
	json_incref(inner);
	json_decref(o);
	json_object_set_new(inner, "available", json_true());
	return inner;
}

/* sg-routed's status file (appliance.cluster.bgp.status_file), bounded. */
static json_t *
bgp(const struct sg_cfg *acfg)
{
	const char *file = acfg->appliance.cluster.bgp.status_file;
	json_error_t e;
	json_t *o;
	FILE *f;

	if (file[0] == '\0')
		return unavailable("no appliance.cluster.bgp.status_file", "", ENOENT);
	f = fopen(file, "r");
	if (f == NULL)
		return unavailable(file, "", errno);
	o = json_loadf(f, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &e);
	fclose(f);
	if (!json_is_object(o)) {
		json_decref(o);
		return unavailable(file, ": not a JSON object", EPROTO);
	}
	json_object_set_new(o, "available", json_true());
	return o;
}

static void
appliance(const struct sg_ctl_view *v, json_t *out)
{
	struct sg_cfg_error cerr;
	struct sg_cfg *acfg = NULL;
	char buf[400];

	memset(&cerr, 0, sizeof(cerr));
	if (v->cfg->appliance_config[0] == '\0') {
		json_object_set_new(out, "dataplane",
				    unavailable("no control.appliance_config", "", ENOENT));
		json_object_set_new(out, "bgp",
				    unavailable("no control.appliance_config", "", ENOENT));
		return;
	}
	if (sg_cfg_load_file(v->cfg->appliance_config, &acfg, &cerr) < 0) {
		sg_cfg_error_format(&cerr, buf, sizeof(buf));
		json_object_set_new(out, "dataplane", unavailable(buf, "", EINVAL));
		json_object_set_new(out, "bgp", unavailable(buf, "", EINVAL));
		return;
	}
	json_object_set_new(out, "dataplane", dataplane(acfg));
	json_object_set_new(out, "bgp", bgp(acfg));
	sg_cfg_free(acfg);
}

#define C(n, h)                                                 \
	{                                                       \
#n, h, offsetof(struct sg_ctl_cluster_stats, n) \
	}
const struct sg_ctl_cluster_counter sg_ctl_cluster_counters[] = {
	C(etcd_errors, "etcd requests that failed (unreachable, 5xx, bad answer)."),
	C(lease_grants, "Leases granted to this node (the first, then after each loss)."),
	C(lease_lost, "Leases lost: expired, or etcd unreachable past the TTL."),
	C(vm_claims, "VMs this node took ownership of."),
	C(vm_takeovers, "VMs taken over from a node that is gone."),
	C(vm_released, "VMs this node stopped owning (lease lost, handed back)."),
	C(sessions_claimed, "Session keys created in etcd before placing."),
	C(sessions_refused_dup, "Sessions refused: their key existed (never brokered twice)."),
	C(sessions_refused_etcd, "Sessions refused: no lease or etcd unreachable."),
	C(sessions_deleted, "Session keys deleted when their session ended."),
	C(sessions_foreign_closed, "Another node's session keys deleted on SESSION_CLOSED."),
	C(wants_sent, "Start requests put for VMs another node owns."),
	C(wants_served, "Start requests of other nodes that started an owned VM."),
	C(watch_events, "etcd watch events applied."),
	C(watch_bad, "etcd keys or values ignored: malformed."),
	C(resyncs, "Full re-reads of the cluster view."),
};
#undef C
const unsigned int sg_ctl_cluster_n_counters =
	sizeof(sg_ctl_cluster_counters) / sizeof(sg_ctl_cluster_counters[0]);

json_t *
sg_ctl_admin_cluster_counters(const struct sg_ctl_cluster_stats *s)
{
	json_t *o = json_object();
	unsigned int i;

	for (i = 0; i < sg_ctl_cluster_n_counters; i++)
		json_object_set_new(
			o, sg_ctl_cluster_counters[i].name,
			json_integer((json_int_t) *
				     (const uint64_t *)((const char *)s +
							sg_ctl_cluster_counters[i].off)));
	return o;
}

/* idmgr's follower: etcd's identities into this node's identity store. */
static json_t *
identities(const struct sg_ctl_cluster *cl)
{
	struct sg_id_follow_stats s;

	if (cl->follower == NULL)
		return json_pack("{s:b}", "following", 0);
	sg_id_follow_stats(cl->follower, &s);
	return json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "following", 1, "applied",
			 (json_int_t)s.applied, "skipped", (json_int_t)s.skipped, "rejected",
			 (json_int_t)s.rejected, "failed", (json_int_t)s.failed, "resyncs",
			 (json_int_t)s.resyncs, "removed", (json_int_t)s.removed, "revision",
			 (json_int_t)s.revision);
}

static void
etcd_view(const struct sg_ctl_view *v, const struct sg_ctl_cluster *cl, json_t *o)
{
	const struct sg_ctl_cluster_cfg *cc = &v->cfg->cluster;
	json_t *e = json_object(), *eps = json_array(), *peers = json_array(), *vms = json_array();
	char lease[24];
	unsigned int i;

	for (i = 0; i < cc->n_endpoints; i++)
		json_array_append_new(eps, json_string(cc->endpoints[i]));
	json_object_set_new(e, "endpoints", eps);
	json_object_set_new(e, "prefix", json_string(cc->prefix));
	json_object_set_new(e, "reachable", json_boolean(cl->reachable));
	snprintf(lease, sizeof(lease), "%" PRIx64, (uint64_t)cl->lease);
	json_object_set_new(e, "lease", cl->lease != 0 ? json_string(lease) : json_null());
	json_object_set_new(e, "lease_ttl_s", json_integer(cc->lease_ttl_s));
	json_object_set_new(e, "revision", json_integer(cl->rev));
	json_object_set_new(e, "last_error", json_string(cl->last_error));
	json_object_set_new(o, "etcd", e);
	for (i = 0; i < cl->n_nodes; i++)
		json_array_append_new(peers, json_pack("{s:s,s:b}", "node", cl->nodes[i], "self",
						       strcmp(cl->nodes[i], cc->node) == 0));
	json_object_set_new(o, "peers", peers);
	for (i = 0; i < v->cfg->n_vms; i++) {
		const struct sg_ctl_vm *vm = &v->inv->vms[i];
		const char *pref = sg_ctl_cluster_vm_preferred(cl, i);

		if (SG_CTL_SLOT_FREE(&v->cfg->vms[i]))
			continue;
		json_array_append_new(
			vms, json_pack("{s:s,s:s,s:b,s:s,s:i,s:i,s:s}", "name", vm->cfg->name,
				       "owner", cl->vms[i].owner, "mine", cl->vms[i].mine, "state",
				       sg_ctl_vm_state_name(vm->state), "sessions",
				       (int)(vm->n_sessions + vm->n_reserved), "others",
				       (int)vm->others, "preferred", pref != NULL ? pref : ""));
	}
	json_object_set_new(o, "vms", vms);
	json_object_set_new(o, "identities", identities(cl));
}

json_t *
sg_ctl_admin_cluster(const struct sg_ctl_view *v)
{
	const struct sg_ctl_cluster *cl = v->cluster;
	json_t *o = json_object();
	unsigned int owned = 0, i;

	json_object_set_new(o, "mode", json_string(cl != NULL ? "cluster" : "standalone"));
	if (cl != NULL) {
		json_object_set_new(o, "node", json_string(v->cfg->cluster.node));
		etcd_view(v, cl, o);
		for (i = 0; i < v->cfg->n_vms; i++)
			owned += cl->vms[i].mine;
		json_object_set_new(o, "vms_owned", json_integer(owned));
		json_object_set_new(o, "counters", sg_ctl_admin_cluster_counters(&v->st->cluster));
	}
	appliance(v, o);
	return o;
}
