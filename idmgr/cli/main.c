/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgid: command-line access to the identity store. Global options, the
 * command table, opening the store for the command, and the exit status.
 * Exit codes are listed in cli.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*run)(struct sg_id_cli *c, int argc, char **argv);
	int write;     /* open the store read-write */
	int self_open; /* the command opens the store itself, after checking its arguments */
};

static const struct command commands[] = {
	{"register", sg_id_cli_register, 1, 1},
	{"show", sg_id_cli_show, 0, 0},
	{"where", sg_id_cli_where, 0, 0},
	{"related", sg_id_cli_query, 0, 0},
	{"contained", sg_id_cli_query, 0, 0},
	{"affected", sg_id_cli_query, 0, 0},
	{"serving", sg_id_cli_serving, 0, 0},
	{"list", sg_id_cli_list, 0, 0},
	{"export", sg_id_cli_export, 0, 0},
	{"stats", sg_id_cli_stats, 0, 0},
	{"relate", sg_id_cli_relate, 1, 0},
	{"unrelate", sg_id_cli_relate, 1, 0},
	{"ref", sg_id_cli_move_ref, 1, 0},
	{"move", sg_id_cli_move_ref, 1, 0},
	{"set", sg_id_cli_set, 1, 0},
	{"unset", sg_id_cli_set, 1, 0},
	{"unregister", sg_id_cli_unregister, 1, 0},
	{"release", sg_id_cli_unregister, 1, 0},
	{"session", sg_id_cli_session, 1, 0},
	{"sweep", sg_id_cli_sweep, 1, 0},
	{"import", sg_id_cli_import, 1, 0},
	{"follow", sg_id_cli_follow, 1, 0},
};

static void
usage(FILE *f)
{
	(void)fputs(
		"usage: sgid [-d DIR] [--nosync] [--etcd URL[,URL]] [--etcd-prefix P] COMMAND [ARGS]\n"
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
		"  follow [--once]                keep the store a copy of etcd's identities\n"
		"OBJ is a handle namespace/type/name (infra/vm/web-1) or an ID (vm#42).\n"
		"Store: -d DIR, else $SGID_STORE, else /var/lib/sessiongate/id.\n"
		"Clustered (--etcd, else $SGID_ETCD): writes go to etcd first, then the store;\n"
		"  prefix --etcd-prefix, else $SGID_ETCD_PREFIX, else /sessiongate.\n"
		"Exit: 0 ok, 1 not found, 2 bad input, 3 refused, 4 store error.\n",
		f);
}

static const struct command *
command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {{"nosync", no_argument, NULL, 'N'},
					   {"help", no_argument, NULL, 'h'},
					   {"etcd", required_argument, NULL, 'E'},
					   {"etcd-prefix", required_argument, NULL, 'P'},
					   {NULL, 0, NULL, 0}};
	struct sg_id_cli cli = {0};
	const struct command *cmd;
	int c, rc;

	cli.store_dir = getenv("SGID_STORE");
	if (cli.store_dir == NULL || cli.store_dir[0] == '\0')
		cli.store_dir = "/var/lib/sessiongate/id";
	cli.etcd_urls = getenv("SGID_ETCD");
	cli.etcd_prefix = getenv("SGID_ETCD_PREFIX");
	while ((c = getopt_long(argc, argv, "+d:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			cli.store_dir = optarg;
			break;
		case 'N':
			cli.open_flags |= SG_ID_OPEN_NOSYNC;
			break;
		case 'E':
			cli.etcd_urls = optarg;
			break;
		case 'P':
			cli.etcd_prefix = optarg;
			break;
		case 'h': /* asked for: stdout and success; anything else is a usage error */
		default:
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : EX_USAGE_;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE_;
	}
	argc -= optind;
	argv += optind;
	cmd = command_find(argv[0]);
	if (cmd == NULL) {
		sg_id_cli_errf("sgid: unknown command '%s' (see sgid --help)\n", argv[0]);
		return EX_USAGE_;
	}
	if (cli.etcd_urls != NULL && cli.etcd_urls[0] != '\0' && cmd->run == sg_id_cli_import) {
		sg_id_cli_errf("sgid: import writes this store only, not etcd: run it without "
			       "--etcd (unset SGID_ETCD) on a store that is not clustered\n");
		return EX_USAGE_;
	}
	if ((rc = sg_id_cli_etcd_open(&cli)) != 0)
		return rc;
	if (cmd->self_open) {
		rc = cmd->run(&cli, argc, argv);
		sg_id_cli_cluster_close(&cli);
		return rc;
	}
	/* import: one transaction per object; flush once at the end instead */
	if (cmd->run == sg_id_cli_import)
		cli.open_flags |= SG_ID_OPEN_NOSYNC;
	rc = sg_id_cli_open(&cli, cmd->write, &cli.s);
	if (rc == 0 && cmd->write)
		rc = sg_id_cli_cluster_open(&cli, cli.s);
	if (rc) {
		sg_id_store_close(cli.s);
		sg_id_cli_cluster_close(&cli);
		return rc;
	}
	rc = cmd->run(&cli, argc, argv);
	sg_id_cli_cluster_close(&cli);
	sg_id_store_close(cli.s);
	/* stdout errors are sticky: one check covers every printf (sgid list >/dev/full) */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		sg_id_cli_errf("sgid: %s: cannot write output: %s\n", cmd->name, strerror(errno));
		if (rc == 0)
			rc = EX_STORE;
	}
	return rc;
}
