/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgid: the write commands (register, relate/unrelate, move/ref, set/unset,
 * unregister/release, session, sweep).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int
sg_id_cli_register(struct sg_id_cli *cli, int argc, char **argv)
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
				sg_id_cli_errf("sgid: -a wants KEY=VALUE (at most %d)\n",
					       SG_ID_ATTRS_MAX);
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
		sg_id_cli_errf("sgid: register HANDLE [-p PARENT] [-a KEY=VALUE]...\n");
		return EX_USAGE_;
	}
	rc = sg_id_handle_parse(argv[optind], strlen(argv[optind]), &h, err, sizeof(err));
	if (rc < 0) {
		sg_id_cli_errf("sgid: handle '%s': %s\n", argv[optind], err);
		return EX_USAGE_;
	}
	if (h.ns == SG_ID_NS_SESSION) {
		sg_id_cli_errf("sgid: sessions are not registered: use 'sgid session TYPE'\n");
		return EX_USAGE_;
	}
	ret = sg_id_cli_open(cli, 1, &s);
	if (ret)
		return ret;
	if (parent != NULL && (ret = sg_id_cli_resolve(s, parent, &r.parent)) != 0)
		goto out;
	r.type = h.type;
	r.ns = h.ns;
	r.name = h.name;
	r.attrs = attrs;
	r.nattrs = na;
	if ((ret = sg_id_cli_cluster_open(cli, s)) != 0)
		goto out;
	rc = cli->cl != NULL ? sg_id_cluster_register(cli->cl, &r, &id, &created)
			     : sg_id_register(s, &r, &id, &created);
	if (rc < 0) {
		ret = sg_id_cli_fail(s, rc, "register");
		goto out;
	}
	sg_id_cli_print_obj(s, id);
	if (!created)
		sg_id_cli_errf("sgid: %s was already registered (unchanged)\n", argv[optind]);
out:
	sg_id_store_close(s);
	return ret;
}

int
sg_id_cli_relate(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	uint64_t from, to;
	int rel, rc;

	if (argc != 4) {
		sg_id_cli_errf("sgid: %s FROM REL TO\n", argv[0]);
		return EX_USAGE_;
	}
	rel = sg_id_rel_from_name(argv[2]);
	if (rel < 0) {
		/* a comma list is valid for "related -r" but not here: name the rule */
		sg_id_cli_errf("sgid: %s: '%s' is not one relation (give one of: " REL_NAMES ")\n",
			       argv[0], argv[2]);
		return EX_USAGE_;
	}
	if ((rc = sg_id_cli_resolve(s, argv[1], &from)) != 0 ||
	    (rc = sg_id_cli_resolve(s, argv[3], &to)) != 0)
		return rc;
	if (cli->cl != NULL)
		rc = argv[0][0] == 'r'
			     ? sg_id_cluster_relate(cli->cl, from, (unsigned int)rel, to)
			     : sg_id_cluster_unrelate(cli->cl, from, (unsigned int)rel, to);
	else
		rc = argv[0][0] == 'r' ? sg_id_relate(s, from, (unsigned int)rel, to)
				       : sg_id_unrelate(s, from, (unsigned int)rel, to);
	return rc < 0 ? sg_id_cli_fail(s, rc, argv[0]) : 0;
}

int
sg_id_cli_move_ref(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	uint64_t id, to = SG_ID_NONE;
	int rc;

	if (argc != 3) {
		sg_id_cli_errf("sgid: %s OBJ TARGET|-\n", argv[0]);
		return EX_USAGE_;
	}
	if ((rc = sg_id_cli_resolve(s, argv[1], &id)) != 0)
		return rc;
	if (strcmp(argv[2], "-") != 0 && (rc = sg_id_cli_resolve(s, argv[2], &to)) != 0)
		return rc;
	if (cli->cl != NULL)
		rc = argv[0][0] == 'm' ? sg_id_cluster_move(cli->cl, id, to)
				       : sg_id_cluster_set_ref(cli->cl, id, to);
	else
		rc = argv[0][0] == 'm' ? sg_id_move(s, id, to) : sg_id_set_ref(s, id, to);
	return rc < 0 ? sg_id_cli_fail(s, rc, argv[0]) : 0;
}

int
sg_id_cli_set(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	uint64_t id;
	char *eq;
	int rc;

	if (argc != 3) {
		sg_id_cli_errf("sgid: %s OBJ %s\n", argv[0],
			       argv[0][0] == 's' ? "KEY=VALUE" : "KEY");
		return EX_USAGE_;
	}
	if ((rc = sg_id_cli_resolve(s, argv[1], &id)) != 0)
		return rc;
	if (argv[0][0] == 'u') {
		rc = cli->cl != NULL ? sg_id_cluster_attr_del(cli->cl, id, argv[2])
				     : sg_id_attr_del(s, id, argv[2]);
	} else {
		eq = strchr(argv[2], '=');
		if (eq == NULL) {
			sg_id_cli_errf("sgid: set wants KEY=VALUE\n");
			return EX_USAGE_;
		}
		*eq = '\0';
		rc = cli->cl != NULL ? sg_id_cluster_attr_set(cli->cl, id, argv[2], eq + 1)
				     : sg_id_attr_set(s, id, argv[2], eq + 1);
	}
	return rc < 0 ? sg_id_cli_fail(s, rc, argv[0]) : 0;
}

int
sg_id_cli_unregister(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	uint64_t id;
	int rc;

	if (argc != 2) {
		sg_id_cli_errf("sgid: unregister OBJ\n");
		return EX_USAGE_;
	}
	if ((rc = sg_id_cli_resolve(s, argv[1], &id)) != 0)
		return rc;
	if (sg_id_is_temp(id))
		rc = sg_id_temp_release(s, id); /* session IDs stay local */
	else
		rc = cli->cl != NULL ? sg_id_cluster_unregister(cli->cl, id)
				     : sg_id_unregister(s, id);
	return rc < 0 ? sg_id_cli_fail(s, rc, argv[1]) : 0;
}

int
sg_id_cli_session(struct sg_id_cli *cli, int argc, char **argv)
{
	struct sg_id_store *s = cli->s;
	static const struct option lo[] = {{"ttl", required_argument, NULL, 'T'},
					   {NULL, 0, NULL, 0}};
	unsigned long long ttl = 3600000, v;
	unsigned int type;
	uint64_t owner = 0, id;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		if (c == 'T') {
			if (sg_id_cli_parse_uint(optarg, UINT32_MAX, &v) < 0)
				return EX_USAGE_;
			ttl = v;
		} else if (c == 'o') {
			if ((rc = sg_id_cli_resolve(s, optarg, &owner)) != 0)
				return rc;
		} else {
			return EX_USAGE_;
		}
	}
	if (optind + 1 != argc || sg_id_cli_parse_type(argv[optind], &type) < 0) {
		sg_id_cli_errf(
			"sgid: session stream|ctlsess|usersess|svcsess [-o OWNER] [--ttl MS]\n");
		return EX_USAGE_;
	}
	rc = sg_id_temp_alloc(s, type, owner, (uint32_t)ttl, &id);
	if (rc < 0)
		return sg_id_cli_fail(s, rc, "session");
	sg_id_cli_print_obj(s, id);
	return 0;
}

int
sg_id_cli_sweep(struct sg_id_cli *cli, int argc, char **argv)
{
	size_t n;
	int rc;

	(void)argv;
	if (argc != 1)
		return EX_USAGE_;
	rc = sg_id_temp_sweep(cli->s, 0, 0, &n);
	if (rc < 0)
		return sg_id_cli_fail(cli->s, rc, "sweep");
	printf("released %zu expired session ID(s)\n", n);
	return 0;
}
