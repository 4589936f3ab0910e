/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgctl identities: the inventory's objects with their IDs, or one object
 * looked up in the identity store (idmgr) with its neighbours.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "admin.h"
#include "bus.h"
#include "ids.h"
#include "inventory.h"
#include "view.h"

#include "sg_idmgr.h"

static void
ident_add(json_t *a, const char *filter, const char *type, const char *name, uint64_t id,
	  const char *rel, const char *to)
{
	char idtxt[24];
	json_t *o;

	snprintf(idtxt, sizeof(idtxt), "%#llx", (unsigned long long)id);
	if (filter[0] != '\0' && strcmp(filter, name) != 0 && strcmp(filter, idtxt) != 0 &&
	    (to == NULL || strcmp(filter, to) != 0))
		return;
	o = json_object();
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "id", json_string(idtxt));
	if (rel != NULL)
		json_object_set_new(o, rel, json_string(to));
	json_array_append_new(a, o);
}

static json_t *
j_idobj(struct sg_id_store *st, uint64_t id)
{
	struct sg_id_object obj;
	char text[SG_ID_TEXT_MAX], handle[SG_ID_HANDLE_MAX + 1];
	json_t *o = json_object();

	sg_id_text_format(id, text, sizeof(text));
	json_object_set_new(o, "id", json_string(text));
	if (sg_id_handle_of(st, id, handle, sizeof(handle)) > 0)
		json_object_set_new(o, "handle", json_string(handle));
	if (sg_id_get(st, id, &obj) == 0) {
		json_object_set_new(o, "type", json_string(sg_id_type_name(obj.type)));
		json_object_set_new(o, "name", json_string(obj.name));
		if (obj.parent != SG_ID_NONE &&
		    sg_id_text_format(obj.parent, text, sizeof(text)) > 0)
			json_object_set_new(o, "parent", json_string(text));
		if (obj.ref != SG_ID_NONE && sg_id_text_format(obj.ref, text, sizeof(text)) > 0)
			json_object_set_new(o, "ref", json_string(text));
	}
	return o;
}

/* "namespace/type/name" or "type#serial": the object in idmgr and its neighbours. */
static json_t *
identity_lookup(const struct sg_ctl_view *v, const char *what, char *err, size_t errlen)
{
	struct sg_id_query q = {.dir = SG_ID_DIR_BOTH, .max_depth = 1};
	struct sg_id_store *st = sg_ctl_ids_store(v->ids);
	uint64_t id, rel[64];
	size_t n = 0, i;
	json_t *o, *r;
	int rc;

	if (st == NULL) {
		snprintf(err, errlen, "no identity store (control.idmgr_dir): look up by name");
		return NULL;
	}
	rc = sg_id_lookup_handle(st, what, &id);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", what, sg_id_store_errmsg(st));
		return NULL;
	}
	o = j_idobj(st, id);
	if (!sg_id_is_temp(id) && sg_id_related(st, id, &q, rel, 64, &n) >= -ENOBUFS) {
		r = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(r, j_idobj(st, rel[i]));
		json_object_set_new(o, "related", r);
	}
	return json_pack("[o]", o);
}

/* Hosts, VMs, applications, users and service providers, by name or ID (@p filter). */
static json_t *
identities(const struct sg_ctl_view *v, const char *filter)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; i < v->cfg->n_hosts; i++)
		if (!SG_CTL_SLOT_FREE(&v->cfg->hosts[i]))
			ident_add(a, filter, "host", v->cfg->hosts[i].name, v->inv->hosts[i].id,
				  NULL, NULL);
	for (i = 0; i < v->cfg->n_vms; i++)
		if (!SG_CTL_SLOT_FREE(&v->cfg->vms[i]))
			ident_add(a, filter, "vm", v->cfg->vms[i].name, v->inv->vms[i].id, "host",
				  v->inv->vms[i].host->cfg->name);
	for (i = 0; i < v->cfg->n_apps; i++)
		if (!SG_CTL_SLOT_FREE(&v->cfg->apps[i]))
			ident_add(a, filter, "app", v->cfg->apps[i].name, v->inv->apps[i].id, NULL,
				  NULL);
	for (i = 0; i < v->cfg->n_users; i++)
		ident_add(a, filter, "user", v->cfg->users[i].name,
			  sg_ctl_ids_user_id(v->ids, v->cfg->users[i].name), "vm",
			  v->cfg->vms[v->cfg->users[i].vm].name);
	for (i = 0; i < sg_ctl_bus_count(v->bus); i++)
		ident_add(a, filter, "service_provider", sg_ctl_bus_provider(v->bus, i)->name,
			  sg_ctl_bus_provider(v->bus, i)->id, NULL, NULL);
	return a;
}

json_t *
sg_ctl_admin_identities(const struct sg_ctl_view *v, const char *what, char *err, size_t errlen)
{
	if (strchr(what, '/') != NULL || strchr(what, '#') != NULL)
		return identity_lookup(v, what, err, errlen);
	return identities(v, what);
}
