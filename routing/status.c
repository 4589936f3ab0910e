/* SPDX-License-Identifier: BSD-3-Clause */
/* The status file: jansson builds it, sg_rt_file_replace() puts it in place. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "status.h"

static json_t *
dataplane_json(const struct sg_rt_status *st)
{
	const struct sg_rt_liveness *lv = st->live;

	return json_pack("{s:b, s:b, s:b, s:b, s:I, s:i, s:I, s:I, s:I}", "answering",
			 lv->answering, "alive", lv->alive, "ready", lv->ready, "ctl_up",
			 lv->ctl_up, "heartbeat", (json_int_t)lv->heartbeat, "error",
			 lv->last_error, "query_errors", (json_int_t)lv->query_errors,
			 "bad_answers", (json_int_t)lv->bad_answers, "changed_ms",
			 (json_int_t)st->live_changed_ms);
}

static json_t *
groups_json(const struct sg_rt_announce *a)
{
	json_t *o = json_object();

	for (unsigned int g = 0; g < SG_RT_GROUPS; g++) {
		json_t *protos = json_array();

		for (unsigned int k = 0; k < a->plan->n_proto[g]; k++)
			json_array_append_new(protos, json_string(a->plan->proto[g][k]));
		json_object_set_new(o, sg_rt_group_name(g),
				    json_pack("{s:b, s:i, s:I, s:I, s:o}", "want", a->want[g],
					      "applied", a->applied[g], "prefixes",
					      (json_int_t)a->plan->n_prefix[g], "changed_ms",
					      (json_int_t)a->changed_ms[g], "protocols", protos));
	}
	return o;
}

static json_t *
bird_json(const struct sg_rt_status *st)
{
	json_t *protos = json_array();

	for (unsigned int i = 0; i < st->n_protos; i++) {
		const struct sg_rt_proto *p = &st->protos[i];

		json_array_append_new(protos,
				      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "name",
						p->name, "proto", p->proto, "state", p->state,
						"since", p->since, "info", p->info, "bgp_state",
						p->bgp_state, "exported", (json_int_t)p->exported));
	}
	return json_pack("{s:b, s:I, s:I, s:I, s:I, s:o}", "connected", st->bird->fd >= 0,
			 "connects", (json_int_t)st->bird_connects, "bad_replies",
			 (json_int_t)st->bird->bad_replies, "commands",
			 (json_int_t)st->ann->commands, "command_errors",
			 (json_int_t)st->ann->command_errors, "protocols", protos);
}

/* The BGP peers: name, address and AS, and their session's state from BIRD. */
static json_t *
peers_json(const struct sg_rt_status *st)
{
	const struct sg_rt_plan *plan = st->ann->plan;
	json_t *peers = json_array();
	char a[INET6_ADDRSTRLEN];

	for (unsigned int i = 0; st->bgp != NULL && i < plan->n_bgp; i++) {
		const struct sg_cfg_bgp_peer *p = &st->bgp->peers[i];
		const struct sg_rt_proto *pr = NULL;

		for (unsigned int k = 0; k < st->n_protos && pr == NULL; k++)
			if (strcmp(st->protos[k].name, plan->bgp[i]) == 0)
				pr = &st->protos[k];
		if (inet_ntop(p->addr.family,
			      p->addr.family == AF_INET ? (const void *)&p->addr.v4 : p->addr.v6, a,
			      sizeof(a)) == NULL)
			a[0] = '\0';
		json_array_append_new(peers,
				      json_pack("{s:s, s:s, s:I, s:b, s:s, s:s, s:s, s:I}", "name",
						p->name, "address", a, "asn", (json_int_t)p->asn,
						"bfd", p->bfd, "protocol", plan->bgp[i], "state",
						pr ? pr->state : "unknown", "bgp_state",
						pr ? pr->bgp_state : "", "exported",
						(json_int_t)(pr ? pr->exported : -1)));
	}
	return peers;
}

int
sg_rt_status_write(const char *path, const struct sg_rt_status *st, int64_t wall_ms)
{
	json_t *root =
		json_pack("{s:s, s:I, s:o, s:o, s:o, s:o}", "node", st->node, "time_ms",
			  (json_int_t)wall_ms, "dataplane", dataplane_json(st), "groups",
			  groups_json(st->ann), "bird", bird_json(st), "peers", peers_json(st));
	char *text;
	int rc;

	if (root == NULL)
		return -ENOMEM;
	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (text == NULL)
		return -ENOMEM;
	rc = sg_rt_file_replace(path, text, strlen(text), 0644);
	free(text);
	return rc;
}
