/* SPDX-License-Identifier: BSD-3-Clause */
/* sgid export: the store as one JSON document (objects, edges, next serials). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static json_t *
id_json(uint64_t id)
{
	char t[SG_ID_TEXT_MAX];

	if (id == SG_ID_NONE)
		return json_null();
	sg_id_text_format(id, t, sizeof(t));
	return json_string(t);
}

struct export_ctx {
	struct sg_id_store *s;
	json_t *arr;
	int rc;
};

static int
export_attr(const char *key, const char *value, void *arg)
{
	return json_object_set_new(arg, key, json_string(value)) ? -ENOMEM : 0;
}

static int
export_obj(const struct sg_id_object *o, void *arg)
{
	struct export_ctx *x = arg;
	char h[SG_ID_HANDLE_MAX + 1];
	struct sg_id_handle hd = {.ns = o->ns, .type = o->type};
	json_t *j, *attrs;

	hd.name_len = (uint16_t)strlen(o->name);
	memcpy(hd.name, o->name, hd.name_len + 1);
	if (sg_id_handle_format(&hd, h, sizeof(h)) < 0)
		return -EIO;
	attrs = json_object();
	j = json_pack("{s:o, s:s, s:o, s:o, s:I}", "id", id_json(o->id), "handle", h, "parent",
		      id_json(o->parent), "ref", id_json(o->ref), "created_ns",
		      (json_int_t)o->created_ns);
	if (j == NULL || attrs == NULL)
		return -ENOMEM;
	json_object_set_new(j, "attrs", attrs);
	/* attributes are read after the walk: one handle has one read at a time */
	json_array_append_new(x->arr, j);
	return 0;
}

static int
export_edge(uint64_t from, unsigned int rel, uint64_t to, void *arg)
{
	json_t *arr = arg;

	return json_array_append_new(arr, json_pack("{s:o, s:s, s:o}", "from", id_json(from), "rel",
						    sg_id_rel_name(rel), "to", id_json(to)))
		       ? -ENOMEM
		       : 0;
}

int
sg_id_cli_export(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	struct export_ctx x = {.s = s};
	json_t *root, *edges, *counters;
	size_t i;
	json_t *o;
	int rc;

	if (argc > 2) {
		sg_id_cli_errf("sgid: export [FILE|-]\n");
		return EX_USAGE_;
	}
	x.arr = json_array();
	edges = json_array();
	counters = json_object();
	rc = sg_id_foreach(s, 0, export_obj, &x);
	if (rc < 0)
		return sg_id_cli_fail(s, rc, "export");
	json_array_foreach(x.arr, i, o)
	{
		uint64_t id;

		sg_id_text_parse(json_string_value(json_object_get(o, "id")), &id);
		rc = sg_id_attr_foreach(s, id, export_attr, json_object_get(o, "attrs"));
		if (rc < 0)
			return sg_id_cli_fail(s, rc, "export attributes");
	}
	rc = sg_id_foreach_edge(s, export_edge, edges);
	if (rc < 0)
		return sg_id_cli_fail(s, rc, "export edges");
	for (unsigned int t = 1; t < 256; t++) {
		uint64_t next;

		if (!sg_id_type_valid(t))
			continue;
		rc = sg_id_serial_next(s, t, &next);
		if (rc < 0)
			return sg_id_cli_fail(s, rc, "export counters");
		if (next > 1)
			json_object_set_new(counters, sg_id_type_name(t),
					    json_integer((json_int_t)next));
	}
	root = json_pack("{s:s, s:i, s:i, s:o, s:o, s:o}", "format", "sessiongate-ids", "version",
			 1, "encoding", SG_ID_ENCODING_VERSION, "next_serial", counters, "objects",
			 x.arr, "edges", edges);
	if (root == NULL)
		return EX_STORE;
	if (argc == 2 && strcmp(argv[1], "-") != 0)
		rc = json_dump_file(root, argv[1], JSON_INDENT(1) | JSON_SORT_KEYS);
	else
		rc = json_dumpf(root, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (rc < 0) {
		sg_id_cli_errf("sgid: export: cannot write %s\n", argc == 2 ? argv[1] : "stdout");
		return EX_STORE;
	}
	if (argc < 2 || strcmp(argv[1], "-") == 0)
		putchar('\n');
	return 0;
}
