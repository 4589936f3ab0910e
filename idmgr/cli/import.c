/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgid import: load an export into a store, in passes (objects with IDs and
 * attributes, then containment and references, then edges, then counters).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"

#define IMPORT_MAX (UINT64_C(1) << 30)

static int
json_id(json_t *v, const char *where, uint64_t *id, int nullable)
{
	if (nullable && (v == NULL || json_is_null(v))) {
		*id = SG_ID_NONE;
		return 0;
	}
	if (!json_is_string(v) || sg_id_text_parse(json_string_value(v), id) < 0) {
		sg_id_cli_errf("sgid: import: %s: expected an ID like \"vm#42\"\n", where);
		return -EINVAL;
	}
	return 0;
}

static int
import_fail(struct sg_id_store *s, int rc, const char *where)
{
	sg_id_cli_errf("sgid: import: %s: %s\n", where,
		       sg_id_store_errmsg(s)[0] ? sg_id_store_errmsg(s) : sg_id_strerror(rc));
	return sg_id_cli_exit_code(rc);
}

int
sg_id_cli_import(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	json_t *root, *objs, *edges, *counters, *o, *v;
	json_error_t jerr;
	char where[96], err[256];
	const char *key, *format;
	struct stat st;
	size_t i;
	int rc = 0;

	if (argc != 2) {
		sg_id_cli_errf("sgid: import FILE|-\n");
		return EX_USAGE_;
	}
	if (strcmp(argv[1], "-") == 0) {
		root = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	} else {
		if (stat(argv[1], &st) == 0 && (uint64_t)st.st_size > IMPORT_MAX) {
			sg_id_cli_errf("sgid: import: %s is larger than 1 GiB\n", argv[1]);
			return EX_USAGE_;
		}
		root = json_load_file(argv[1], JSON_REJECT_DUPLICATES, &jerr);
	}
	if (root == NULL) {
		sg_id_cli_errf("sgid: import: %s:%d:%d: %s\n", argv[1], jerr.line, jerr.column,
			       jerr.text);
		return EX_USAGE_;
	}
	format = json_string_value(json_object_get(root, "format")); /* NULL if not there */
	if (!json_is_object(root) || format == NULL || strcmp(format, "sessiongate-ids") != 0 ||
	    json_integer_value(json_object_get(root, "version")) != 1 ||
	    json_integer_value(json_object_get(root, "encoding")) != SG_ID_ENCODING_VERSION ||
	    !json_is_array(objs = json_object_get(root, "objects")) ||
	    !json_is_array(edges = json_object_get(root, "edges"))) {
		sg_id_cli_errf("sgid: import: %s is not a sessiongate-ids version 1 export "
			       "(need format, version, encoding, objects[], edges[])\n",
			       argv[1]);
		json_decref(root);
		return EX_USAGE_;
	}
	/* pass 1: objects with their IDs and attributes */
	json_array_foreach(objs, i, o)
	{
		struct sg_id_object ob = {0};
		struct sg_id_handle h;
		const char *ht = json_string_value(json_object_get(o, "handle"));
		json_t *attrs = json_object_get(o, "attrs");

		/* fits: a short word, "[", at most 20 digits, "]" */
		(void)snprintf(where, sizeof(where), "objects[%zu]", i);
		if (json_id(json_object_get(o, "id"), where, &ob.id, 0) < 0) {
			rc = EX_USAGE_;
			goto out;
		}
		if (ht == NULL || sg_id_handle_parse(ht, strlen(ht), &h, err, sizeof(err)) < 0) {
			sg_id_cli_errf("sgid: import: %s.handle: %s\n", where,
				       ht ? err : "missing");
			rc = EX_USAGE_;
			goto out;
		}
		ob.type = h.type;
		ob.ns = h.ns;
		memcpy(ob.name, h.name, h.name_len + 1);
		ob.created_ns = (uint64_t)json_integer_value(json_object_get(o, "created_ns"));
		rc = sg_id_restore(s, &ob);
		if (rc < 0) {
			rc = import_fail(s, rc, where);
			goto out;
		}
		if (attrs != NULL && !json_is_object(attrs)) {
			sg_id_cli_errf("sgid: import: %s.attrs must be an object\n", where);
			rc = EX_USAGE_;
			goto out;
		}
		json_object_foreach(attrs, key, v)
		{
			if (!json_is_string(v)) {
				sg_id_cli_errf("sgid: import: %s.attrs.%s must be a string\n",
					       where, key);
				rc = EX_USAGE_;
				goto out;
			}
			rc = sg_id_attr_set(s, ob.id, key, json_string_value(v));
			if (rc < 0) {
				rc = import_fail(s, rc, where);
				goto out;
			}
		}
	}
	/* pass 2: containment and references */
	json_array_foreach(objs, i, o)
	{
		uint64_t id, parent, ref;

		/* fits: a short word, "[", at most 20 digits, "]" */
		(void)snprintf(where, sizeof(where), "objects[%zu]", i);
		if (json_id(json_object_get(o, "id"), where, &id, 0) < 0 ||
		    json_id(json_object_get(o, "parent"), where, &parent, 1) < 0 ||
		    json_id(json_object_get(o, "ref"), where, &ref, 1) < 0) {
			rc = EX_USAGE_;
			goto out;
		}
		rc = parent ? sg_id_move(s, id, parent) : 0;
		if (rc == 0 && ref)
			rc = sg_id_set_ref(s, id, ref);
		if (rc < 0) {
			rc = import_fail(s, rc, where);
			goto out;
		}
	}
	json_array_foreach(edges, i, o)
	{
		uint64_t from, to;
		int rel = sg_id_rel_from_name(json_string_value(json_object_get(o, "rel")));

		/* fits: a short word, "[", at most 20 digits, "]" */
		(void)snprintf(where, sizeof(where), "edges[%zu]", i);
		if (rel < 0 || json_id(json_object_get(o, "from"), where, &from, 0) < 0 ||
		    json_id(json_object_get(o, "to"), where, &to, 0) < 0) {
			sg_id_cli_errf("sgid: import: %s: needs from, rel (a known relation), to\n",
				       where);
			rc = EX_USAGE_;
			goto out;
		}
		rc = sg_id_relate(s, from, (unsigned int)rel, to);
		if (rc < 0) {
			rc = import_fail(s, rc, where);
			goto out;
		}
	}
	counters = json_object_get(root, "next_serial");
	json_object_foreach(counters, key, v)
	{
		int t = sg_id_type_from_name(key);

		if (t < 0 || !json_is_integer(v) || json_integer_value(v) < 1) {
			sg_id_cli_errf("sgid: import: next_serial.%s: unknown type or bad value\n",
				       key);
			rc = EX_USAGE_;
			goto out;
		}
		rc = sg_id_serial_reserve(s, (unsigned int)t, (uint64_t)json_integer_value(v));
		if (rc < 0) {
			rc = import_fail(s, rc, "next_serial");
			goto out;
		}
	}
	rc = sg_id_store_sync(s);
	if (rc < 0) {
		rc = import_fail(s, rc, "sync");
		goto out;
	}
	printf("imported %zu object(s), %zu edge(s)\n", json_array_size(objs),
	       json_array_size(edges));
	rc = 0;
out:
	json_decref(root);
	return rc;
}
