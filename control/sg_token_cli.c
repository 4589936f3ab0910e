/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-token: mint, verify and find user tokens (sessiongate/sg_token.h)
 * without a running sg-control, for login services, operators and tests.
 *
 *   sg-token mint --key-file F --key-id N --user-id ID --app-id ID
 *                 (--ttl S | --expires UNIX)
 *   sg-token verify --key-file F --key-id N [--key-file F --key-id N]...
 *                   --app-id ID [--now UNIX] TOKEN|-
 *   sg-token find --type TYPE KEY
 *
 * IDs in sg_id text form ("user#12", "vapp#3") or hex ("0x0d0000000000000c").
 * Exit codes: 0 done (verify: the token is valid); 1 refused (verify: the
 * reason is printed; find: no token); 2 usage or a bad key file.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sessiongate/sg_msg.h"
#include "sg_idmgr.h"
#include "sg_token_lib.h"

struct opts {
	const char *files[SG_TOKEN_KEYS_MAX];
	unsigned int n_files, n_ids;
	uint8_t ids[SG_TOKEN_KEYS_MAX];
	uint64_t user, app, ttl, expires, now;
	bool has_user, has_app, has_ttl, has_expires, has_now;
	int type;
};

static const char *const key_types[SG_MSG_L7_MAX] = {
	[SG_MSG_L7_HTTP_HOST] = "http_host",	 [SG_MSG_L7_HTTP_PATH] = "http_path",
	[SG_MSG_L7_HTTP_COOKIE] = "http_cookie", [SG_MSG_L7_TLS_SNI] = "tls_sni",
	[SG_MSG_L7_RDP_COOKIE] = "rdp_cookie",	 [SG_MSG_L7_PREFIX] = "prefix",
	[SG_MSG_L7_HTTP_HEADER] = "http_header",
};

static void
usage(FILE *f)
{
	fprintf(f, "usage:\n"
		   "  sg-token mint --key-file F --key-id N --user-id ID --app-id ID\n"
		   "                (--ttl SECONDS | --expires UNIX)\n"
		   "  sg-token verify --key-file F --key-id N [--key-file F --key-id N]...\n"
		   "                  --app-id ID [--now UNIX] TOKEN|-\n"
		   "  sg-token find --type http_host|http_path|http_cookie|http_header|tls_sni|"
		   "rdp_cookie KEY\n"
		   "IDs: \"user#12\", \"vapp#3\" or hex \"0x0d0000000000000c\"; key files: 32..64 "
		   "bytes, raw or hex, mode 0600.\n"
		   "exit codes: 0 ok, 1 refused / no token, 2 usage or key file\n");
}

static int
bad(const char *what, const char *arg)
{
	fprintf(stderr, "sg-token: %s: '%s'\n", what, arg);
	return -1;
}

static int
num(const char *arg, uint64_t max, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 || *v > max)
		return bad("not a number in range", arg);
	return 0;
}

/* A persistent ID of one of @p types (0-terminated). */
static int
id_arg(const char *arg, const unsigned int *types, uint64_t *id)
{
	unsigned int i;

	if (sg_id_text_parse(arg, id) < 0)
		return bad("not an ID (user#12, vapp#3 or 0x...)", arg);
	for (i = 0; types[i] != 0; i++)
		if (sg_id_type_of(*id) == types[i])
			return 0;
	return bad("an ID of the wrong type", arg);
}

static int
type_arg(const char *arg, int *type)
{
	unsigned int i;

	for (i = 1; i < SG_MSG_L7_MAX; i++)
		if (key_types[i] != NULL && strcmp(arg, key_types[i]) == 0) {
			*type = (int)i;
			return 0;
		}
	return bad("unknown key type", arg);
}

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {{"key-file", required_argument, NULL, 'f'},
					   {"key-id", required_argument, NULL, 'k'},
					   {"user-id", required_argument, NULL, 'u'},
					   {"app-id", required_argument, NULL, 'a'},
					   {"ttl", required_argument, NULL, 't'},
					   {"expires", required_argument, NULL, 'e'},
					   {"now", required_argument, NULL, 'n'},
					   {"type", required_argument, NULL, 'y'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	static const unsigned int users[] = {SG_ID_T_USER, 0};
	static const unsigned int apps[] = {SG_ID_T_VAPP, SG_ID_T_APP, 0};
	uint64_t v;
	int c, rc = 0;

	memset(o, 0, sizeof(*o));
	o->type = -1;
	while (rc == 0 && (c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (o->n_files == SG_TOKEN_KEYS_MAX)
				return bad("at most 4 keys", optarg);
			o->files[o->n_files++] = optarg;
			break;
		case 'k':
			if (o->n_ids == SG_TOKEN_KEYS_MAX)
				return bad("at most 4 keys", optarg);
			rc = num(optarg, 255, &v);
			if (rc == 0 && v == 0)
				rc = bad("a key id is 1..255", optarg);
			o->ids[o->n_ids++] = (uint8_t)v;
			break;
		case 'u':
			rc = id_arg(optarg, users, &o->user);
			o->has_user = true;
			break;
		case 'a':
			rc = id_arg(optarg, apps, &o->app);
			o->has_app = true;
			break;
		case 't':
			rc = num(optarg, SG_TOKEN_TTL_MAX, &o->ttl);
			if (rc == 0 && o->ttl == 0)
				rc = bad("a ttl is 1..31622400 seconds", optarg);
			o->has_ttl = true;
			break;
		case 'e':
			rc = num(optarg, UINT32_MAX, &o->expires);
			o->has_expires = true;
			break;
		case 'n':
			rc = num(optarg, UINT32_MAX, &o->now);
			o->has_now = true;
			break;
		case 'y':
			rc = type_arg(optarg, &o->type);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (rc == 0 && o->n_files != o->n_ids)
		return bad("each --key-file needs its --key-id", o->n_files ? o->files[0] : "");
	return rc;
}

static int
load_keys(const struct opts *o, struct sg_token_key *keys)
{
	char err[512];
	unsigned int i;

	if (o->n_files == 0) {
		fprintf(stderr, "sg-token: --key-file and --key-id are required\n");
		return -1;
	}
	for (i = 0; i < o->n_files; i++)
		if (sg_token_key_load(o->files[i], o->ids[i], &keys[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "sg-token: %s\n", err);
			return -1;
		}
	return 0;
}

static int
cmd_mint(const struct opts *o)
{
	struct sg_token_key keys[SG_TOKEN_KEYS_MAX];
	struct sg_token t = {.user_id = o->user, .app_id = o->app};
	char out[SG_TOKEN_TEXT_LEN + 1];

	if (!o->has_user || !o->has_app || o->has_ttl == o->has_expires) {
		fprintf(stderr, "sg-token mint: --user-id, --app-id and one of --ttl, --expires "
				"are required\n");
		return 2;
	}
	if (load_keys(o, keys) < 0)
		return 2;
	if (o->has_ttl && (uint64_t)time(NULL) + o->ttl > UINT32_MAX) {
		fprintf(stderr, "sg-token mint: the expiry is past 2106\n");
		return 2;
	}
	t.expires = (uint32_t)(o->has_ttl ? (uint64_t)time(NULL) + o->ttl : o->expires);
	if (sg_token_mint(&keys[0], &t, out, sizeof(out)) < 0) {
		fprintf(stderr, "sg-token mint: cannot sign\n");
		return 2;
	}
	printf("%s\n", out);
	return 0;
}

/* The token argument, or a line of standard input for "-". */
static const char *
token_arg(const char *arg, char *buf, size_t len)
{
	if (strcmp(arg, "-") != 0)
		return arg;
	if (fgets(buf, (int)len, stdin) == NULL)
		return "";
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

static int
cmd_verify(const struct opts *o, const char *arg)
{
	struct sg_token_key keys[SG_TOKEN_KEYS_MAX];
	char buf[256], user[64], app[64];
	const char *text = token_arg(arg, buf, sizeof(buf));
	struct sg_token t;
	enum sg_token_err e;

	if (!o->has_app) {
		fprintf(stderr, "sg-token verify: --app-id is required\n");
		return 2;
	}
	if (load_keys(o, keys) < 0)
		return 2;
	memset(&t, 0, sizeof(t));
	e = sg_token_verify(text, strlen(text), keys, o->n_files, o->app,
			    o->has_now ? o->now : (uint64_t)time(NULL), &t);
	if (e != SG_TOKEN_OK && e != SG_TOKEN_E_EXPIRED && e != SG_TOKEN_E_APP) {
		printf("refused: %s\n", sg_token_err_name(e));
		return 1;
	}
	if (sg_id_text_format(t.user_id, user, sizeof(user)) < 0)
		snprintf(user, sizeof(user), "0x%016" PRIx64, t.user_id);
	if (sg_id_text_format(t.app_id, app, sizeof(app)) < 0)
		snprintf(app, sizeof(app), "0x%016" PRIx64, t.app_id);
	printf("%s: user %s app %s key %u expires %" PRIu32 "\n",
	       e == SG_TOKEN_OK ? "valid" : "refused", user, app, t.key_id, t.expires);
	if (e != SG_TOKEN_OK)
		printf("refused: %s\n", sg_token_err_name(e));
	return e == SG_TOKEN_OK ? 0 : 1;
}

static int
cmd_find(const struct opts *o, const char *key)
{
	size_t len = 0, klen = strlen(key);
	const char *t;

	if (o->type < 0) {
		fprintf(stderr, "sg-token find: --type is required\n");
		return 2;
	}
	t = sg_token_find((unsigned int)o->type, (const uint8_t *)key,
			  (uint16_t)(klen > UINT16_MAX ? UINT16_MAX : klen), &len);
	if (t == NULL)
		return 1;
	printf("%.*s\n", (int)len, t);
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	if (parse(argc - 1, argv + 1, &o) < 0) {
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "mint") == 0 && optind + 1 == argc)
		return cmd_mint(&o);
	if (strcmp(cmd, "verify") == 0 && optind + 2 == argc)
		return cmd_verify(&o, argv[optind + 1]);
	if (strcmp(cmd, "find") == 0 && optind + 2 == argc)
		return cmd_find(&o, argv[optind + 1]);
	usage(stderr);
	return 2;
}
