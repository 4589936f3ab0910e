/* SPDX-License-Identifier: BSD-3-Clause */
/* sgid: the read commands (show, where, related/contained/affected, serving, list, stats). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define LIST_MAX 100000

static int
print_attr(const char *key, const char *value, void *arg)
{
	(void)arg;
	printf("attr     %s=%s\n", key, value);
	return 0;
}

int
sg_id_cli_show(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	struct sg_id_object o;
	struct sg_id_temp t;
	char tx[SG_ID_TEXT_MAX], h[SG_ID_HANDLE_MAX + 1];
	uint64_t id;
	int rc;

	if (argc != 2) {
		sg_id_cli_errf("sgid: show OBJ\n");
		return EX_USAGE_;
	}
	if ((rc = sg_id_cli_resolve(s, argv[1], &id)) != 0)
		return rc;
	sg_id_text_format(id, tx, sizeof(tx));
	sg_id_handle_of(s, id, h, sizeof(h));
	printf("id       %s (0x%016" PRIx64 ")\nhandle   %s\n", tx, id, h);
	if (sg_id_is_temp(id)) {
		rc = sg_id_temp_get(s, id, &t);
		if (rc < 0)
			return sg_id_cli_fail(s, rc, argv[1]);
		if (t.owner && sg_id_text_format(t.owner, tx, sizeof(tx)) > 0)
			printf("owner    %s\n", tx);
		printf("expires  %" PRIu64 ".%09" PRIu64 "\n", t.expires_ns / 1000000000u,
		       t.expires_ns % 1000000000u);
		return 0;
	}
	rc = sg_id_get(s, id, &o);
	if (rc < 0)
		return sg_id_cli_fail(s, rc, argv[1]);
	if (o.parent) {
		sg_id_handle_of(s, o.parent, h, sizeof(h));
		printf("parent   %s\n", h);
	}
	if (o.ref) {
		sg_id_handle_of(s, o.ref, h, sizeof(h));
		printf("ref      %s\n", h);
	}
	rc = sg_id_attr_foreach(s, id, print_attr, NULL);
	return rc < 0 ? sg_id_cli_fail(s, rc, argv[1]) : 0;
}

int
sg_id_cli_where(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	uint64_t id, path[SG_ID_DEPTH_MAX + 1];
	size_t n;
	int rc;

	if (argc != 2) {
		sg_id_cli_errf("sgid: where OBJ\n");
		return EX_USAGE_;
	}
	if ((rc = sg_id_cli_resolve(s, argv[1], &id)) != 0)
		return rc;
	rc = sg_id_resolve_where(s, id, path, SG_ID_DEPTH_MAX + 1, &n);
	if (rc < 0)
		return sg_id_cli_fail(s, rc, argv[1]);
	for (size_t i = 0; i < n; i++)
		sg_id_cli_print_obj(s, path[i]);
	return 0;
}

int
sg_id_cli_query(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	static const struct option lo[] = {{"in", no_argument, NULL, 'I'},
					   {"out", no_argument, NULL, 'O'},
					   {"both", no_argument, NULL, 'B'},
					   {NULL, 0, NULL, 0}};
	struct sg_id_query q = {.dir = SG_ID_DIR_OUT, .max_depth = 1};
	unsigned long long max = 1000, v;
	unsigned int depth = 0;
	const char *cmd = argv[0];
	uint64_t id, *out;
	size_t n;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "r:t:n:m:", lo, NULL)) != -1) {
		switch (c) {
		case 'I':
			q.dir = SG_ID_DIR_IN;
			break;
		case 'O':
			q.dir = SG_ID_DIR_OUT;
			break;
		case 'B':
			q.dir = SG_ID_DIR_BOTH;
			break;
		case 'r':
			if (sg_id_cli_parse_rels(optarg, &q.rel_mask) < 0)
				return EX_USAGE_;
			break;
		case 't':
			if (sg_id_cli_parse_type(optarg, &q.type) < 0)
				return EX_USAGE_;
			break;
		case 'n':
			if (sg_id_cli_parse_uint(optarg, SG_ID_DEPTH_MAX, &v) < 0)
				return EX_USAGE_;
			depth = (unsigned int)v;
			break;
		case 'm':
			if (sg_id_cli_parse_uint(optarg, LIST_MAX, &max) < 0)
				return EX_USAGE_;
			break;
		default:
			return EX_USAGE_;
		}
	}
	if (optind + 1 != argc) {
		sg_id_cli_errf("sgid: %s OBJ [options] (see sgid --help)\n", cmd);
		return EX_USAGE_;
	}
	if ((rc = sg_id_cli_resolve(s, argv[optind], &id)) != 0)
		return rc;
	out = calloc(max ? max : 1, sizeof(*out));
	if (out == NULL)
		return EX_STORE;
	if (strcmp(cmd, "contained") == 0)
		rc = sg_id_resolve_contained(s, id, depth ? depth : SG_ID_DEPTH_MAX, out, max, &n);
	else if (strcmp(cmd, "affected") == 0)
		rc = sg_id_resolve_affected(s, id, q.type, q.rel_mask, out, max, &n);
	else {
		q.max_depth = depth ? depth : 1;
		rc = sg_id_related(s, id, &q, out, max, &n);
	}
	rc = sg_id_cli_print_list(s, rc, out, n, argv[optind]);
	free(out);
	return rc;
}

int
sg_id_cli_serving(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	uint64_t u, a, vms[256];
	size_t n;
	int rc;

	if (argc != 3) {
		sg_id_cli_errf("sgid: serving USER APP\n");
		return EX_USAGE_;
	}
	if ((rc = sg_id_cli_resolve(s, argv[1], &u)) != 0 ||
	    (rc = sg_id_cli_resolve(s, argv[2], &a)) != 0)
		return rc;
	rc = sg_id_resolve_serving(s, u, a, vms, 256, &n);
	rc = sg_id_cli_print_list(s, rc, vms, n, "serving");
	if (rc == 0 && n == 0) {
		sg_id_cli_errf("sgid: no VM serves %s for %s\n", argv[1], argv[2]);
		return EX_NOTFOUND;
	}
	return rc;
}

static int
list_cb(const struct sg_id_object *o, void *arg)
{
	char t[SG_ID_TEXT_MAX];

	(void)arg;
	sg_id_text_format(o->id, t, sizeof(t));
	printf("%-22s %s/%s/%s\n", t, sg_id_ns_name(o->ns), sg_id_type_name(o->type), o->name);
	return 0;
}

int
sg_id_cli_list(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	unsigned int type = 0;
	int c, rc;

	optind = 0;
	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't' || sg_id_cli_parse_type(optarg, &type) < 0)
			return EX_USAGE_;
	}
	if (optind != argc || (type && sg_id_type_is_temp(type))) {
		sg_id_cli_errf("sgid: list [-t TYPE] (persistent types)\n");
		return EX_USAGE_;
	}
	rc = sg_id_foreach(s, type, list_cb, NULL);
	return rc < 0 ? sg_id_cli_fail(s, rc, "list") : 0;
}

int
sg_id_cli_stats(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	struct sg_id_stats st;
	int rc = sg_id_store_stats(s, &st);

	(void)argc;
	(void)argv;
	if (rc < 0)
		return sg_id_cli_fail(s, rc, "stats");
	printf("objects %" PRIu64 "\ntemporary %" PRIu64 "\nedges %" PRIu64 "\nmap_size %" PRIu64
	       "\nmap_used %" PRIu64 "\n",
	       st.objects, st.temps, st.edges, st.map_size, st.map_used);
	return 0;
}
