/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgid: command-line access to the identity store.
 *
 * Exit codes: 0 success; 1 not found (or an empty answer where one was
 * required); 2 usage error or invalid input; 3 refused (exists, not empty,
 * cycle, not subscribed); 4 store or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "sg_idmgr.h"

#define EX_OK	    0
#define EX_NOTFOUND 1
#define EX_USAGE_   2
#define EX_REFUSED  3
#define EX_STORE    4

#define REL_NAMES                                                                             \
	"subscribes has_domain has_component served_by assigned attached uplink cabled uses " \
	"provides exposes"

#define LIST_MAX   100000
#define IMPORT_MAX (UINT64_C(1) << 30)

static const char *store_dir;
static unsigned int open_flags;

/* A diagnostic on stderr; a failed write there has nowhere to be reported. */
static void __attribute__((format(printf, 1, 2))) errf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void
usage(FILE *f)
{
	(void)fputs(
		"usage: sgid [-d DIR] [--nosync] COMMAND [ARGS]\n"
		"  register HANDLE [-p PARENT] [-a KEY=VALUE]...   register (or find) an object\n"
		"  show OBJ                       ID, handle, parent, reference, attributes\n"
		"  where OBJ                      containment path up to the root\n"
		"  contained OBJ [-n DEPTH]       objects inside OBJ\n"
		"  related OBJ [--in|--both] [-r REL,...] [-t TYPE] [-n DEPTH] [-m MAX]\n"
		"  serving USER APP               VMs that serve USER for APP\n"
		"  affected OBJ [-t TYPE] [-r REL,...]   who depends on OBJ\n"
		"  relate FROM REL TO | unrelate FROM REL TO\n"
		"  ref VM COMPONENT|-             set or clear a VM's reference ID\n"
		"  move OBJ PARENT|-              move OBJ (\"-\": make it a root)\n"
		"  set OBJ KEY=VALUE | unset OBJ KEY\n"
		"  unregister OBJ\n"
		"  list [-t TYPE]                 one handle per line\n"
		"  session TYPE [-o OWNER] [--ttl MS] | release ID | sweep\n"
		"  export [FILE] | import FILE    JSON (\"-\" = stdout/stdin)\n"
		"  stats\n"
		"OBJ is a handle namespace/type/name (infra/vm/web-1) or an ID (vm#42).\n"
		"Store: -d DIR, else $SGID_STORE, else /var/lib/sessiongate/id.\n"
		"Exit: 0 ok, 1 not found, 2 bad input, 3 refused, 4 store error.\n",
		f);
}

static int
exit_code(int rc)
{
	switch (rc) {
	case 0:
		return EX_OK;
	case -ENOENT:
		return EX_NOTFOUND;
	case -EINVAL:
	case -ENAMETOOLONG:
	case -E2BIG:
	case -ERANGE:
	case -EMLINK:
		return EX_USAGE_;
	case -EEXIST:
	case -ENOTEMPTY:
	case -ELOOP:
	case -ENOLINK:
	case -EROFS:
	case -ENOBUFS:
		return EX_REFUSED;
	}
	return EX_STORE;
}

static int
fail(struct sg_id_store *s, int rc, const char *what)
{
	const char *msg = s ? sg_id_store_errmsg(s) : "";

	errf("sgid: %s: %s\n", what, msg[0] ? msg : sg_id_strerror(rc));
	return exit_code(rc);
}

static int
open_store(int write, struct sg_id_store **s)
{
	struct sg_id_open_opts o = {.flags = open_flags};
	int rc;

	if (!write)
		o.flags |= SG_ID_OPEN_RDONLY;
	rc = sg_id_store_open(store_dir, &o, s);
	if (rc < 0) {
		errf("sgid: cannot open store %s: %s%s\n", store_dir, sg_id_strerror(rc),
		     rc == -ENOENT ? " (register something first, or check -d)" : "");
		return rc == -ENOENT ? EX_NOTFOUND : EX_STORE;
	}
	return 0;
}

static int
resolve(struct sg_id_store *s, const char *text, uint64_t *id)
{
	int rc = sg_id_lookup_handle(s, text, id);

	if (rc < 0)
		return fail(s, rc, text);
	return 0;
}

static void
print_obj(struct sg_id_store *s, uint64_t id)
{
	char t[SG_ID_TEXT_MAX], h[SG_ID_HANDLE_MAX + 1];
	const char *hp = h;

	sg_id_text_format(id, t, sizeof(t));
	if (sg_id_handle_of(s, id, h, sizeof(h)) < 0)
		hp = "?";
	printf("%-22s %s\n", t, hp);
}

static int
parse_rels(const char *list, uint32_t *mask)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(list) >= sizeof(buf)) {
		errf("sgid: relation list longer than %zu bytes\n", sizeof(buf) - 1);
		return -EINVAL;
	}
	strcpy(buf, list);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int r = sg_id_rel_from_name(tok);

		if (r < 0) {
			errf("sgid: unknown relation '%s' (" REL_NAMES ")\n", tok);
			return -EINVAL;
		}
		*mask |= SG_ID_REL_BIT(r);
	}
	return 0;
}

static int
parse_uint(const char *text, unsigned long long max, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(text, &end, 10);
	if (errno || end == text || *end || *v > max || text[0] == '-') {
		errf("sgid: '%s' is not a number in 0..%llu\n", text, max);
		return -EINVAL;
	}
	return 0;
}

static int
parse_type(const char *text, unsigned int *type)
{
	int t = sg_id_type_from_name(text);

	if (t < 0) {
		errf("sgid: unknown type '%s'\n", text);
		return -EINVAL;
	}
	*type = (unsigned int)t;
	return 0;
}

/* ---- commands ---- */

static int
cmd_register(int argc, char **argv)
{
	struct sg_id_attr attrs[SG_ID_ATTRS_MAX];
	struct sg_id_handle h;
	struct sg_id_reg r = {0};
	struct sg_id_store *s;
	const char *parent = NULL;
	char err[256];
	unsigned int na = 0;
	bool created;
	uint64_t id;
	int rc, c, ret;

	optind = 0;
	while ((c = getopt(argc, argv, "p:a:")) != -1) {
		if (c == 'p') {
			parent = optarg;
		} else if (c == 'a') {
			char *eq = strchr(optarg, '=');

			if (eq == NULL || na == SG_ID_ATTRS_MAX) {
				errf("sgid: -a wants KEY=VALUE (at most %d)\n", SG_ID_ATTRS_MAX);
				return EX_USAGE_;
			}
			*eq = '\0';
			attrs[na].key = optarg;
			attrs[na++].value = eq + 1;
		} else {
			return EX_USAGE_;
		}
	}
	if (optind + 1 != argc) {
		errf("sgid: register HANDLE [-p PARENT] [-a KEY=VALUE]...\n");
		return EX_USAGE_;
	}
	rc = sg_id_handle_parse(argv[optind], strlen(argv[optind]), &h, err, sizeof(err));
	if (rc < 0) {
		errf("sgid: handle '%s': %s\n", argv[optind], err);
		return EX_USAGE_;
	}
	if (h.ns == SG_ID_NS_SESSION) {
		errf("sgid: sessions are not registered: use 'sgid session TYPE'\n");
		return EX_USAGE_;
	}
	ret = open_store(1, &s);
	if (ret)
		return ret;
	if (parent != NULL && (ret = resolve(s, parent, &r.parent)) != 0)
		goto out;
	r.type = h.type;
	r.ns = h.ns;
	r.name = h.name;
	r.attrs = attrs;
	r.nattrs = na;
	rc = sg_id_register(s, &r, &id, &created);
	if (rc < 0) {
		ret = fail(s, rc, "register");
		goto out;
	}
	print_obj(s, id);
	if (!created)
		errf("sgid: %s was already registered (unchanged)\n", argv[optind]);
out:
	sg_id_store_close(s);
	return ret;
}

static int
print_attr(const char *key, const char *value, void *arg)
{
	(void)arg;
	printf("attr     %s=%s\n", key, value);
	return 0;
}

static int
cmd_show(struct sg_id_store *s, int argc, char **argv)
{
	struct sg_id_object o;
	struct sg_id_temp t;
	char tx[SG_ID_TEXT_MAX], h[SG_ID_HANDLE_MAX + 1];
	uint64_t id;
	int rc;

	if (argc != 2) {
		errf("sgid: show OBJ\n");
		return EX_USAGE_;
	}
	if ((rc = resolve(s, argv[1], &id)) != 0)
		return rc;
	sg_id_text_format(id, tx, sizeof(tx));
	sg_id_handle_of(s, id, h, sizeof(h));
	printf("id       %s (0x%016" PRIx64 ")\nhandle   %s\n", tx, id, h);
	if (sg_id_is_temp(id)) {
		rc = sg_id_temp_get(s, id, &t);
		if (rc < 0)
			return fail(s, rc, argv[1]);
		if (t.owner && sg_id_text_format(t.owner, tx, sizeof(tx)) > 0)
			printf("owner    %s\n", tx);
		printf("expires  %" PRIu64 ".%09" PRIu64 "\n", t.expires_ns / 1000000000u,
		       t.expires_ns % 1000000000u);
		return 0;
	}
	rc = sg_id_get(s, id, &o);
	if (rc < 0)
		return fail(s, rc, argv[1]);
	if (o.parent) {
		sg_id_handle_of(s, o.parent, h, sizeof(h));
		printf("parent   %s\n", h);
	}
	if (o.ref) {
		sg_id_handle_of(s, o.ref, h, sizeof(h));
		printf("ref      %s\n", h);
	}
	rc = sg_id_attr_foreach(s, id, print_attr, NULL);
	return rc < 0 ? fail(s, rc, argv[1]) : 0;
}

static int
cmd_where(struct sg_id_store *s, int argc, char **argv)
{
	uint64_t id, path[SG_ID_DEPTH_MAX + 1];
	size_t n;
	int rc;

	if (argc != 2) {
		errf("sgid: where OBJ\n");
		return EX_USAGE_;
	}
	if ((rc = resolve(s, argv[1], &id)) != 0)
		return rc;
	rc = sg_id_resolve_where(s, id, path, SG_ID_DEPTH_MAX + 1, &n);
	if (rc < 0)
		return fail(s, rc, argv[1]);
	for (size_t i = 0; i < n; i++)
		print_obj(s, path[i]);
	return 0;
}

static int
print_list(struct sg_id_store *s, int rc, const uint64_t *ids, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		print_obj(s, ids[i]);
	if (rc == -ENOBUFS)
		errf("sgid: %s: output truncated at %zu entries (raise -m)\n", what, n);
	else if (rc < 0)
		return fail(s, rc, what);
	return rc < 0 ? exit_code(rc) : 0;
}

static int
cmd_query(struct sg_id_store *s, int argc, char **argv)
{
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
			if (parse_rels(optarg, &q.rel_mask) < 0)
				return EX_USAGE_;
			break;
		case 't':
			if (parse_type(optarg, &q.type) < 0)
				return EX_USAGE_;
			break;
		case 'n':
			if (parse_uint(optarg, SG_ID_DEPTH_MAX, &v) < 0)
				return EX_USAGE_;
			depth = (unsigned int)v;
			break;
		case 'm':
			if (parse_uint(optarg, LIST_MAX, &max) < 0)
				return EX_USAGE_;
			break;
		default:
			return EX_USAGE_;
		}
	}
	if (optind + 1 != argc) {
		errf("sgid: %s OBJ [options] (see sgid --help)\n", cmd);
		return EX_USAGE_;
	}
	if ((rc = resolve(s, argv[optind], &id)) != 0)
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
	rc = print_list(s, rc, out, n, argv[optind]);
	free(out);
	return rc;
}

static int
cmd_serving(struct sg_id_store *s, int argc, char **argv)
{
	uint64_t u, a, vms[256];
	size_t n;
	int rc;

	if (argc != 3) {
		errf("sgid: serving USER APP\n");
		return EX_USAGE_;
	}
	if ((rc = resolve(s, argv[1], &u)) != 0 || (rc = resolve(s, argv[2], &a)) != 0)
		return rc;
	rc = sg_id_resolve_serving(s, u, a, vms, 256, &n);
	rc = print_list(s, rc, vms, n, "serving");
	if (rc == 0 && n == 0) {
		errf("sgid: no VM serves %s for %s\n", argv[1], argv[2]);
		return EX_NOTFOUND;
	}
	return rc;
}

static int
cmd_relate(struct sg_id_store *s, int argc, char **argv)
{
	uint64_t from, to;
	int rel, rc;

	if (argc != 4) {
		errf("sgid: %s FROM REL TO\n", argv[0]);
		return EX_USAGE_;
	}
	rel = sg_id_rel_from_name(argv[2]);
	if (rel < 0) {
		/* a comma list is valid for "related -r" but not here: name the rule */
		errf("sgid: %s: '%s' is not one relation (give one of: " REL_NAMES ")\n", argv[0],
		     argv[2]);
		return EX_USAGE_;
	}
	if ((rc = resolve(s, argv[1], &from)) != 0 || (rc = resolve(s, argv[3], &to)) != 0)
		return rc;
	rc = argv[0][0] == 'r' ? sg_id_relate(s, from, (unsigned int)rel, to)
			       : sg_id_unrelate(s, from, (unsigned int)rel, to);
	return rc < 0 ? fail(s, rc, argv[0]) : 0;
}

static int
cmd_move_ref(struct sg_id_store *s, int argc, char **argv)
{
	uint64_t id, to = SG_ID_NONE;
	int rc;

	if (argc != 3) {
		errf("sgid: %s OBJ TARGET|-\n", argv[0]);
		return EX_USAGE_;
	}
	if ((rc = resolve(s, argv[1], &id)) != 0)
		return rc;
	if (strcmp(argv[2], "-") != 0 && (rc = resolve(s, argv[2], &to)) != 0)
		return rc;
	rc = argv[0][0] == 'm' ? sg_id_move(s, id, to) : sg_id_set_ref(s, id, to);
	return rc < 0 ? fail(s, rc, argv[0]) : 0;
}

static int
cmd_set(struct sg_id_store *s, int argc, char **argv)
{
	uint64_t id;
	char *eq;
	int rc;

	if (argc != 3) {
		errf("sgid: %s OBJ %s\n", argv[0], argv[0][0] == 's' ? "KEY=VALUE" : "KEY");
		return EX_USAGE_;
	}
	if ((rc = resolve(s, argv[1], &id)) != 0)
		return rc;
	if (argv[0][0] == 'u') {
		rc = sg_id_attr_del(s, id, argv[2]);
	} else {
		eq = strchr(argv[2], '=');
		if (eq == NULL) {
			errf("sgid: set wants KEY=VALUE\n");
			return EX_USAGE_;
		}
		*eq = '\0';
		rc = sg_id_attr_set(s, id, argv[2], eq + 1);
	}
	return rc < 0 ? fail(s, rc, argv[0]) : 0;
}

static int
cmd_unregister(struct sg_id_store *s, int argc, char **argv)
{
	uint64_t id;
	int rc;

	if (argc != 2) {
		errf("sgid: unregister OBJ\n");
		return EX_USAGE_;
	}
	if ((rc = resolve(s, argv[1], &id)) != 0)
		return rc;
	rc = sg_id_is_temp(id) ? sg_id_temp_release(s, id) : sg_id_unregister(s, id);
	return rc < 0 ? fail(s, rc, argv[1]) : 0;
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

static int
cmd_list(struct sg_id_store *s, int argc, char **argv)
{
	unsigned int type = 0;
	int c, rc;

	optind = 0;
	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't' || parse_type(optarg, &type) < 0)
			return EX_USAGE_;
	}
	if (optind != argc || (type && sg_id_type_is_temp(type))) {
		errf("sgid: list [-t TYPE] (persistent types)\n");
		return EX_USAGE_;
	}
	rc = sg_id_foreach(s, type, list_cb, NULL);
	return rc < 0 ? fail(s, rc, "list") : 0;
}

static int
cmd_session(struct sg_id_store *s, int argc, char **argv)
{
	static const struct option lo[] = {{"ttl", required_argument, NULL, 'T'},
					   {NULL, 0, NULL, 0}};
	unsigned long long ttl = 3600000, v;
	unsigned int type;
	uint64_t owner = 0, id;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		if (c == 'T') {
			if (parse_uint(optarg, UINT32_MAX, &v) < 0)
				return EX_USAGE_;
			ttl = v;
		} else if (c == 'o') {
			if ((rc = resolve(s, optarg, &owner)) != 0)
				return rc;
		} else {
			return EX_USAGE_;
		}
	}
	if (optind + 1 != argc || parse_type(argv[optind], &type) < 0) {
		errf("sgid: session stream|ctlsess|usersess|svcsess [-o OWNER] [--ttl MS]\n");
		return EX_USAGE_;
	}
	rc = sg_id_temp_alloc(s, type, owner, (uint32_t)ttl, &id);
	if (rc < 0)
		return fail(s, rc, "session");
	print_obj(s, id);
	return 0;
}

static int
cmd_sweep(struct sg_id_store *s)
{
	size_t n;
	int rc = sg_id_temp_sweep(s, 0, 0, &n);

	if (rc < 0)
		return fail(s, rc, "sweep");
	printf("released %zu expired session ID(s)\n", n);
	return 0;
}

static int
cmd_stats(struct sg_id_store *s)
{
	struct sg_id_stats st;
	int rc = sg_id_store_stats(s, &st);

	if (rc < 0)
		return fail(s, rc, "stats");
	printf("objects %" PRIu64 "\ntemporary %" PRIu64 "\nedges %" PRIu64 "\nmap_size %" PRIu64
	       "\nmap_used %" PRIu64 "\n",
	       st.objects, st.temps, st.edges, st.map_size, st.map_used);
	return 0;
}

/* ---- export / import ---- */

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

static int
cmd_export(struct sg_id_store *s, int argc, char **argv)
{
	struct export_ctx x = {.s = s};
	json_t *root, *edges, *counters;
	size_t i;
	json_t *o;
	int rc;

	if (argc > 2) {
		errf("sgid: export [FILE|-]\n");
		return EX_USAGE_;
	}
	x.arr = json_array();
	edges = json_array();
	counters = json_object();
	rc = sg_id_foreach(s, 0, export_obj, &x);
	if (rc < 0)
		return fail(s, rc, "export");
	json_array_foreach(x.arr, i, o)
	{
		uint64_t id;

		sg_id_text_parse(json_string_value(json_object_get(o, "id")), &id);
		rc = sg_id_attr_foreach(s, id, export_attr, json_object_get(o, "attrs"));
		if (rc < 0)
			return fail(s, rc, "export attributes");
	}
	rc = sg_id_foreach_edge(s, export_edge, edges);
	if (rc < 0)
		return fail(s, rc, "export edges");
	for (unsigned int t = 1; t < 256; t++) {
		uint64_t next;

		if (!sg_id_type_valid(t))
			continue;
		rc = sg_id_serial_next(s, t, &next);
		if (rc < 0)
			return fail(s, rc, "export counters");
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
		errf("sgid: export: cannot write %s\n", argc == 2 ? argv[1] : "stdout");
		return EX_STORE;
	}
	if (argc < 2 || strcmp(argv[1], "-") == 0)
		putchar('\n');
	return 0;
}

static int
json_id(json_t *v, const char *where, uint64_t *id, int nullable)
{
	if (nullable && (v == NULL || json_is_null(v))) {
		*id = SG_ID_NONE;
		return 0;
	}
	if (!json_is_string(v) || sg_id_text_parse(json_string_value(v), id) < 0) {
		errf("sgid: import: %s: expected an ID like \"vm#42\"\n", where);
		return -EINVAL;
	}
	return 0;
}

static int
import_fail(struct sg_id_store *s, int rc, const char *where)
{
	errf("sgid: import: %s: %s\n", where,
	     sg_id_store_errmsg(s)[0] ? sg_id_store_errmsg(s) : sg_id_strerror(rc));
	return exit_code(rc);
}

static int
cmd_import(struct sg_id_store *s, int argc, char **argv)
{
	json_t *root, *objs, *edges, *counters, *o, *v;
	json_error_t jerr;
	char where[96], err[256];
	const char *key, *format;
	struct stat st;
	size_t i;
	int rc = 0;

	if (argc != 2) {
		errf("sgid: import FILE|-\n");
		return EX_USAGE_;
	}
	if (strcmp(argv[1], "-") == 0) {
		root = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	} else {
		if (stat(argv[1], &st) == 0 && (uint64_t)st.st_size > IMPORT_MAX) {
			errf("sgid: import: %s is larger than 1 GiB\n", argv[1]);
			return EX_USAGE_;
		}
		root = json_load_file(argv[1], JSON_REJECT_DUPLICATES, &jerr);
	}
	if (root == NULL) {
		errf("sgid: import: %s:%d:%d: %s\n", argv[1], jerr.line, jerr.column, jerr.text);
		return EX_USAGE_;
	}
	format = json_string_value(json_object_get(root, "format")); /* NULL if not there */
	if (!json_is_object(root) || format == NULL || strcmp(format, "sessiongate-ids") != 0 ||
	    json_integer_value(json_object_get(root, "version")) != 1 ||
	    json_integer_value(json_object_get(root, "encoding")) != SG_ID_ENCODING_VERSION ||
	    !json_is_array(objs = json_object_get(root, "objects")) ||
	    !json_is_array(edges = json_object_get(root, "edges"))) {
		errf("sgid: import: %s is not a sessiongate-ids version 1 export "
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
			errf("sgid: import: %s.handle: %s\n", where, ht ? err : "missing");
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
			errf("sgid: import: %s.attrs must be an object\n", where);
			rc = EX_USAGE_;
			goto out;
		}
		json_object_foreach(attrs, key, v)
		{
			if (!json_is_string(v)) {
				errf("sgid: import: %s.attrs.%s must be a string\n", where, key);
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
			errf("sgid: import: %s: needs from, rel (a known relation), to\n", where);
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
			errf("sgid: import: next_serial.%s: unknown type or bad value\n", key);
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

static int
cmd_in(const char *cmd, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cmd, names[i]) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {{"nosync", no_argument, NULL, 'N'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	static const char *const writers[] = {"relate",	 "unrelate", "ref",	   "move",
					      "set",	 "unset",    "unregister", "session",
					      "release", "sweep",    "import"};
	static const char *const readers[] = {"show",	   "where",    "related",
					      "contained", "affected", "serving",
					      "list",	   "export",   "stats"};
	struct sg_id_store *s;
	const char *cmd;
	int c, rc, write = 0;

	store_dir = getenv("SGID_STORE");
	if (store_dir == NULL || store_dir[0] == '\0')
		store_dir = "/var/lib/sessiongate/id";
	while ((c = getopt_long(argc, argv, "+d:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			store_dir = optarg;
			break;
		case 'N':
			open_flags |= SG_ID_OPEN_NOSYNC;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE_;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE_;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "register") == 0)
		return cmd_register(argc, argv);
	write = cmd_in(cmd, writers, sizeof(writers) / sizeof(writers[0]));
	if (!write && !cmd_in(cmd, readers, sizeof(readers) / sizeof(readers[0]))) {
		errf("sgid: unknown command '%s' (see sgid --help)\n", cmd);
		return EX_USAGE_;
	}
	/* import: one transaction per object; flush once at the end instead */
	if (!strcmp(cmd, "import"))
		open_flags |= SG_ID_OPEN_NOSYNC;
	rc = open_store(write, &s);
	if (rc)
		return rc;
	if (!strcmp(cmd, "show"))
		rc = cmd_show(s, argc, argv);
	else if (!strcmp(cmd, "where"))
		rc = cmd_where(s, argc, argv);
	else if (!strcmp(cmd, "related") || !strcmp(cmd, "contained") || !strcmp(cmd, "affected"))
		rc = cmd_query(s, argc, argv);
	else if (!strcmp(cmd, "serving"))
		rc = cmd_serving(s, argc, argv);
	else if (!strcmp(cmd, "relate") || !strcmp(cmd, "unrelate"))
		rc = cmd_relate(s, argc, argv);
	else if (!strcmp(cmd, "move") || !strcmp(cmd, "ref"))
		rc = cmd_move_ref(s, argc, argv);
	else if (!strcmp(cmd, "set") || !strcmp(cmd, "unset"))
		rc = cmd_set(s, argc, argv);
	else if (!strcmp(cmd, "unregister") || !strcmp(cmd, "release"))
		rc = cmd_unregister(s, argc, argv);
	else if (!strcmp(cmd, "list"))
		rc = cmd_list(s, argc, argv);
	else if (!strcmp(cmd, "session"))
		rc = cmd_session(s, argc, argv);
	else if (!strcmp(cmd, "sweep"))
		rc = argc == 1 ? cmd_sweep(s) : EX_USAGE_;
	else if (!strcmp(cmd, "stats"))
		rc = cmd_stats(s);
	else if (!strcmp(cmd, "export"))
		rc = cmd_export(s, argc, argv);
	else
		rc = cmd_import(s, argc, argv);
	sg_id_store_close(s);
	/* stdout errors are sticky: one check covers every printf (sgid list >/dev/full) */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		errf("sgid: %s: cannot write output: %s\n", cmd, strerror(errno));
		if (rc == 0)
			rc = EX_STORE;
	}
	return rc;
}
