/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The identity keys of the cluster store (sessiongate/sg_cluster_keys.h):
 * build and parse keys and their JSON values. The one codec of the format,
 * used by the writer (cluster.c) and the follower (apply.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sessiongate/sg_cluster_keys.h>

#include "ckey.h"

static int
id_text(uint64_t id, char *buf, size_t len)
{
	return sg_id_text_format(id, buf, len) < 0 ? -EINVAL : 0;
}

int
sg_id_ck_key(const char *prefix, const struct sg_id_ck *ck, char *key, size_t len)
{
	const char *rel, *ns, *type;
	int n;

	switch (ck->kind) {
	case SG_ID_CK_OBJ:
		n = snprintf(key, len, "%s/" SG_CK_ID_OBJ SG_CK_ID_FMT, prefix, ck->id);
		break;
	case SG_ID_CK_TREE:
		n = snprintf(key, len, "%s/" SG_CK_ID_TREE SG_CK_ID_FMT, prefix, ck->id);
		break;
	case SG_ID_CK_REF:
		n = snprintf(key, len, "%s/" SG_CK_ID_REF SG_CK_ID_FMT, prefix, ck->id);
		break;
	case SG_ID_CK_REL:
		rel = sg_id_rel_name(ck->rel);
		if (rel == NULL)
			return -EINVAL;
		n = snprintf(key, len, "%s/" SG_CK_ID_REL SG_CK_ID_FMT "/%s/" SG_CK_ID_FMT, prefix,
			     ck->id, rel, ck->other);
		break;
	case SG_ID_CK_NAME:
		ns = sg_id_ns_name(ck->obj.ns);
		type = sg_id_type_name(ck->obj.type);
		if (ns == NULL || type == NULL)
			return -EINVAL;
		n = snprintf(key, len, "%s/" SG_CK_ID_NAME "%s/%s/%s", prefix, ns, type,
			     ck->obj.name);
		break;
	default:
		return -EINVAL;
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static json_t *
obj_json(const struct sg_id_ck *ck)
{
	char id[SG_ID_TEXT_MAX];
	json_t *o, *attrs = json_object();
	unsigned int i;

	if (id_text(ck->id, id, sizeof(id)) < 0 || attrs == NULL) {
		json_decref(attrs);
		return NULL;
	}
	for (i = 0; i < ck->nattrs; i++)
		json_object_set_new(attrs, ck->attrs[i].key, json_string(ck->attrs[i].value));
	o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:o}", "id", id, "ns", sg_id_ns_name(ck->obj.ns),
		      "type", sg_id_type_name(ck->obj.type), "name", ck->obj.name, "created_ns",
		      (json_int_t)ck->obj.created_ns, "attrs", attrs);
	return o;
}

char *
sg_id_ck_value(const struct sg_id_ck *ck)
{
	char other[SG_ID_TEXT_MAX];
	json_t *o = NULL;
	char *text;

	switch (ck->kind) {
	case SG_ID_CK_OBJ:
		o = obj_json(ck);
		break;
	case SG_ID_CK_NAME:
		if (id_text(ck->id, other, sizeof(other)) == 0)
			o = json_pack("{s:s}", "id", other);
		break;
	case SG_ID_CK_TREE:
		if (id_text(ck->other, other, sizeof(other)) == 0)
			o = json_pack("{s:s}", "parent", other);
		break;
	case SG_ID_CK_REF:
		if (id_text(ck->other, other, sizeof(other)) == 0)
			o = json_pack("{s:s}", "component", other);
		break;
	case SG_ID_CK_REL:
		o = json_object();
		break;
	}
	if (o == NULL)
		return NULL;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

/* 16 hex digits of a persistent ID at @p s; @return 0 or -EPROTO. */
static int
hex_id(const char *s, size_t len, uint64_t *id)
{
	char buf[SG_CK_ID_LEN + 1], *end;

	if (len != SG_CK_ID_LEN)
		return -EPROTO;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strspn(buf, "0123456789abcdef") != len)
		return -EPROTO;
	*id = strtoull(buf, &end, 16);
	return sg_id_valid(*id) && !sg_id_is_temp(*id) ? 0 : -EPROTO;
}

/* A member of @p o that is an ID text ("vm#3"); @return 0 or -EPROTO. */
static int
json_id(const json_t *o, const char *field, uint64_t *id)
{
	const char *t = json_string_value(json_object_get(o, field));

	if (t == NULL || sg_id_text_parse(t, id) < 0 || sg_id_is_temp(*id))
		return -EPROTO;
	return 0;
}

static int
parse_obj(struct sg_id_ck *ck, const json_t *o, char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(o, "name"));
	int type = sg_id_type_from_name(json_string_value(json_object_get(o, "type")) ?: "");
	int ns = sg_id_ns_from_name(json_string_value(json_object_get(o, "ns")) ?: "");
	const json_t *attrs = json_object_get(o, "attrs"),
		     *created = json_object_get(o, "created_ns");
	const char *k;
	json_t *v;
	uint64_t id;

	if (json_id(o, "id", &id) < 0 || id != ck->id || type < 0 || ns < 0 || name == NULL ||
	    (unsigned int)type != sg_id_type_of(id) ||
	    (created != NULL && !json_is_integer(created)) ||
	    (attrs != NULL && !json_is_object(attrs)) ||
	    sg_id_name_check((unsigned int)ns, (unsigned int)type, name, strlen(name), err,
			     errlen) < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "object record malformed");
		return -EPROTO;
	}
	ck->obj.id = id;
	ck->obj.type = (uint8_t)type;
	ck->obj.ns = (uint8_t)ns;
	snprintf(ck->obj.name, sizeof(ck->obj.name), "%s", name);
	ck->obj.created_ns = created != NULL ? (uint64_t)json_integer_value(created) : 0;
	json_object_foreach((json_t *)attrs, k, v)
	{
		if (!json_is_string(v) || ck->nattrs == SG_ID_ATTRS_MAX) {
			snprintf(err, errlen, "attribute '%.64s' not a string, or too many", k);
			return -EPROTO;
		}
		ck->attrs[ck->nattrs].key = k;
		ck->attrs[ck->nattrs++].value = json_string_value(v);
	}
	return 0;
}

/* The value of a tree, ref, name or obj key. */
static int
parse_value(struct sg_id_ck *ck, const char *val, size_t vlen, char *err, size_t errlen)
{
	json_t *o = json_loadb(val, vlen, JSON_REJECT_DUPLICATES, NULL);

	ck->doc = o;
	if (!json_is_object(o)) {
		snprintf(err, errlen, "value is not a JSON object");
		return -EPROTO;
	}
	switch (ck->kind) {
	case SG_ID_CK_OBJ:
		return parse_obj(ck, o, err, errlen);
	case SG_ID_CK_TREE:
		return json_id(o, "parent", &ck->other) < 0 ? -EPROTO : 0;
	case SG_ID_CK_REF:
		return json_id(o, "component", &ck->other) < 0 ? -EPROTO : 0;
	case SG_ID_CK_NAME:
		return json_id(o, "id", &ck->id) < 0 ? -EPROTO : 0;
	default:
		return 0;
	}
}

static int
parse_key(struct sg_id_ck *ck, const char *k, size_t len)
{
	const char *p;

#define HAS(s) (len > strlen(s) && memcmp(k, s, strlen(s)) == 0 && (p = k + strlen(s)) != NULL)
	if (HAS("obj/")) {
		ck->kind = SG_ID_CK_OBJ;
		return hex_id(p, len - 4, &ck->id);
	}
	if (HAS("tree/")) {
		ck->kind = SG_ID_CK_TREE;
		return hex_id(p, len - 5, &ck->id);
	}
	if (HAS("ref/")) {
		ck->kind = SG_ID_CK_REF;
		return hex_id(p, len - 4, &ck->id);
	}
	if (HAS("name/")) {
		ck->kind = SG_ID_CK_NAME; /* the claim: its ID is in the value */
		return 0;
	}
	if (HAS("rel/")) {
		char rel[32];
		size_t rl;
		int r;

		ck->kind = SG_ID_CK_REL;
		len -= 4;
		if (len < 2 * SG_CK_ID_LEN + 3 || p[SG_CK_ID_LEN] != '/' ||
		    p[len - SG_CK_ID_LEN - 1] != '/')
			return -EPROTO;
		rl = len - 2 * SG_CK_ID_LEN - 2;
		if (rl >= sizeof(rel))
			return -EPROTO;
		memcpy(rel, p + SG_CK_ID_LEN + 1, rl);
		rel[rl] = '\0';
		r = sg_id_rel_from_name(rel);
		if (r < 0 || hex_id(p, SG_CK_ID_LEN, &ck->id) < 0 ||
		    hex_id(p + len - SG_CK_ID_LEN, SG_CK_ID_LEN, &ck->other) < 0)
			return -EPROTO;
		ck->rel = (unsigned int)r;
		return 0;
	}
#undef HAS
	return 1;
}

int
sg_id_ck_parse(const char *prefix, const char *key, size_t klen, const char *val, size_t vlen,
	       struct sg_id_ck *ck, char *err, size_t errlen)
{
	char root[SG_ID_CK_KEY_MAX];
	int n = snprintf(root, sizeof(root), "%s/" SG_CK_ID, prefix), rc;

	memset(ck, 0, sizeof(*ck));
	err[0] = '\0';
	if (n < 0 || (size_t)n >= sizeof(root) || klen <= (size_t)n ||
	    memcmp(key, root, (size_t)n) != 0)
		return 1;
	rc = parse_key(ck, key + n, klen - (size_t)n);
	if (rc < 0)
		snprintf(err, errlen, "key malformed");
	if (rc != 0 || val == NULL || ck->kind == SG_ID_CK_REL)
		return rc;
	rc = parse_value(ck, val, vlen, err, errlen);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "value malformed");
	return rc;
}

void
sg_id_ck_free(struct sg_id_ck *ck)
{
	json_decref(ck->doc);
	ck->doc = NULL;
}
