/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgid, the identity store's command line: what the command files share
 * (the invocation, exit codes, argument parsing, output and error reports).
 *
 * Exit codes: 0 success; 1 not found (or an empty answer where one was
 * required); 2 usage error or invalid input; 3 refused (exists, not empty,
 * cycle, not subscribed); 4 store or I/O error.
 */
#ifndef SG_ID_CLI_H
#define SG_ID_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "sg_idmgr.h"
#include "sg_idmgr_cluster.h"

#define EX_OK	    0
#define EX_NOTFOUND 1
#define EX_USAGE_   2
#define EX_REFUSED  3
#define EX_STORE    4

#define REL_NAMES                                                                             \
	"subscribes has_domain has_component served_by assigned attached uplink cabled uses " \
	"provides exposes"

/* One invocation: where the store is, how to open it, and the open store. */
struct sg_id_cli {
	const char *store_dir;
	unsigned int open_flags; /* SG_ID_OPEN_* */
	struct sg_id_store *s;	 /* NULL for commands that open it themselves */
	const char *etcd_urls;	 /* --etcd / $SGID_ETCD: clustered (cluster.c) */
	const char *etcd_prefix; /* --etcd-prefix / $SGID_ETCD_PREFIX */
	struct sg_etcd *etcd;
	struct sg_id_cluster *cl; /* write commands when clustered: etcd first */
};

/* ---- report.c: diagnostics, exit codes, output ---- */

/** A diagnostic on stderr; a failed write there has nowhere to be reported. */
void sg_id_cli_errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** The exit code for a negative errno from the library. */
int sg_id_cli_exit_code(int rc);

/** Report "sgid: WHAT: message" for a failed call and return its exit code. */
int sg_id_cli_fail(struct sg_id_store *s, int rc, const char *what);

/** Print one line "ID handle" for @id. */
void sg_id_cli_print_obj(struct sg_id_store *s, uint64_t id);

/** Print @n IDs; report a truncated (-ENOBUFS) or failed answer. @return an exit code. */
int sg_id_cli_print_list(struct sg_id_store *s, int rc, const uint64_t *ids, size_t n,
			 const char *what);

/* ---- args.c: the store and command arguments ---- */

/** Open the store of @cli (read-only unless @write). @return 0 or an exit code. */
int sg_id_cli_open(struct sg_id_cli *cli, int write, struct sg_id_store **s);

/** Resolve a handle or ID argument, reporting failure. @return 0 or an exit code. */
int sg_id_cli_resolve(struct sg_id_store *s, const char *text, uint64_t *id);

/** Parse a comma list of relation names into a mask. @return 0 or -EINVAL (reported). */
int sg_id_cli_parse_rels(const char *list, uint32_t *mask);

/** Parse a decimal number in 0..@max. @return 0 or -EINVAL (reported). */
int sg_id_cli_parse_uint(const char *text, unsigned long long max, unsigned long long *v);

/** Parse a type name. @return 0 or -EINVAL (reported). */
int sg_id_cli_parse_type(const char *text, unsigned int *type);

/*
 * The commands: argv[0] is the command name; each returns an exit code.
 */

/* ---- query.c: the read commands ---- */

/** show OBJ */
int sg_id_cli_show(struct sg_id_cli *cli, int argc, char **argv);
/** where OBJ */
int sg_id_cli_where(struct sg_id_cli *cli, int argc, char **argv);
/** related|contained|affected OBJ [options] */
int sg_id_cli_query(struct sg_id_cli *cli, int argc, char **argv);
/** serving USER APP */
int sg_id_cli_serving(struct sg_id_cli *cli, int argc, char **argv);
/** list [-t TYPE] */
int sg_id_cli_list(struct sg_id_cli *cli, int argc, char **argv);
/** stats */
int sg_id_cli_stats(struct sg_id_cli *cli, int argc, char **argv);

/* ---- edit.c: the write commands ---- */

/** register HANDLE [-p PARENT] [-a KEY=VALUE]... (opens the store itself) */
int sg_id_cli_register(struct sg_id_cli *cli, int argc, char **argv);
/** relate|unrelate FROM REL TO */
int sg_id_cli_relate(struct sg_id_cli *cli, int argc, char **argv);
/** move|ref OBJ TARGET|- */
int sg_id_cli_move_ref(struct sg_id_cli *cli, int argc, char **argv);
/** set OBJ KEY=VALUE | unset OBJ KEY */
int sg_id_cli_set(struct sg_id_cli *cli, int argc, char **argv);
/** unregister|release OBJ */
int sg_id_cli_unregister(struct sg_id_cli *cli, int argc, char **argv);
/** session TYPE [-o OWNER] [--ttl MS] */
int sg_id_cli_session(struct sg_id_cli *cli, int argc, char **argv);
/** sweep */
int sg_id_cli_sweep(struct sg_id_cli *cli, int argc, char **argv);

/* ---- cluster.c: etcd as the cluster-wide copy (doc/identity.md) ---- */

/** Connect @cli->etcd when clustered (no request yet). @return 0 or an exit code. */
int sg_id_cli_etcd_open(struct sg_id_cli *cli);
/** Clustered: @cli->cl over the open store @s. @return 0 or an exit code. */
int sg_id_cli_cluster_open(struct sg_id_cli *cli, struct sg_id_store *s);
/** Free what the two calls above made. */
void sg_id_cli_cluster_close(struct sg_id_cli *cli);
/** follow [--once] */
int sg_id_cli_follow(struct sg_id_cli *cli, int argc, char **argv);

/* ---- export.c, import.c: the JSON dump of a store ---- */

/** export [FILE|-] */
int sg_id_cli_export(struct sg_id_cli *cli, int argc, char **argv);
/** import FILE|- */
int sg_id_cli_import(struct sg_id_cli *cli, int argc, char **argv);

#endif
