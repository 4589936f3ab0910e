/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgctl: the operator's command line for sg-control's admin socket.
 *
 * Exit codes: 0 done; 1 sg-control refused the request (its error is
 * printed); 2 usage error; 3 sg-control not reachable or answered garbage.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define ANSWER_MAX (64u << 20)
#define TIMEOUT_MS 10000

static const char *default_socket = "/run/sessiongate/control.sock";

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sgctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
		"commands:\n"
		"  status                      data plane, sessions by state, counters\n"
		"  vs                          per-VS counters reported by the data plane\n"
		"  apps                        virtual applications and their queues\n"
		"  sessions [--state S] [--app A] [--vm V] [--user U] [--limit N]\n"
		"  session ID                  one session with every linked ID\n"
		"  close ID                    end streaming session ID, free its slots\n"
		"  vms | hosts | providers     VMs, hosts and their agents, service providers\n"
		"  health                      pool members: state, since, last check, reason\n"
		"  drain                       what is draining, deadlines, sessions left\n"
		"  drain member POOL/MEMBER | vm NAME | all [--deadline S]\n"
		"                              no new flows (all: no new sessions either);\n"
		"                              at the deadline the rest is reset\n"
		"  undrain member POOL/MEMBER | vm NAME | all\n"
		"  drain on|off                = drain all / undrain all\n"
		"  vm start|stop|save NAME     start (or resume) a VM; stop or save one that\n"
		"                              holds no session (drain it first)\n"
		"  session abort ID [--drain [--deadline S]]\n"
		"                              end a session: installed: reset (or drain, reset\n"
		"                              after S); held: rejected\n"
		"  reload                      re-read sg-control's YAML file\n"
		"  identities [NAME|ID]        IDs of hosts, VMs, apps, users, providers\n"
		"  cluster                     node, etcd, peers, VM owners, state sync, BGP\n"
		"  token mint APP USER [--ttl S]  a user token of token app APP (printed alone;\n"
		"                              default ttl 3600 s)\n"
		"  token check APP TOKEN       the token's claims and verdict (exit 1: not valid)\n"
		"  app|vm|host|pool add '{name: ..., ...}'  add an object at run time (the\n"
		"                              YAML file's keys; a VM's also pool:)\n"
		"  app|vm|host|pool remove NAME  remove one added with sgctl (retires it)\n"
		"  usage [--user U] [--app A] [--since T] [--until T] [--limit N]\n"
		"                              usage records, newest first (T: unix seconds\n"
		"                              or ISO 8601, e.g. 2026-01-31T12:00:00Z)\n"
		"options:\n"
		"  -s, --socket PATH   admin socket (default %s)\n"
		"  -j, --json          print the JSON answer instead of a table\n"
		"exit codes: 0 ok, 1 refused by sg-control, 2 usage, 3 sg-control unreachable\n",
		default_socket);
}

static int
xfer(const char *path, const char *req, json_t **answer)
{
	struct sockaddr_un sa;
	struct pollfd pfd;
	json_error_t jerr;
	size_t len = 0, cap = 65536;
	char *buf;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sgctl: socket path too long: %s\n", path);
		return 3;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr,
			"sgctl: cannot reach sg-control at %s: %s (is it running? -s PATH)\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 3;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req) || write(fd, "\n", 1) != 1) {
		fprintf(stderr, "sgctl: cannot send to %s: %s\n", path, strerror(errno));
		close(fd);
		return 3;
	}
	buf = malloc(cap);
	while (buf != NULL) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, TIMEOUT_MS) != 1) {
			fprintf(stderr, "sgctl: no answer from sg-control within %d s\n",
				TIMEOUT_MS / 1000);
			break;
		}
		if (len + 1 >= cap) {
			char *nb = cap < ANSWER_MAX ? realloc(buf, cap * 2) : NULL;

			if (nb == NULL) {
				fprintf(stderr, "sgctl: answer too large\n");
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (buf[len - 1] == '\n') {
			close(fd);
			*answer = json_loadb(buf, len, 0, &jerr);
			free(buf);
			if (*answer == NULL) {
				fprintf(stderr, "sgctl: garbled answer: %s\n", jerr.text);
				return 3;
			}
			return 0;
		}
	}
	free(buf);
	close(fd);
	return 3;
}

static void
cell(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	else if (v == NULL || json_is_null(v))
		snprintf(buf, len, "-");
	else {
		char *t = json_dumps(v, JSON_COMPACT);

		snprintf(buf, len, "%s", t ? t : "?");
		free(t);
	}
}

/* An aligned table of @p cols from an array of objects. */
static void
table(const json_t *arr, const char *const *cols)
{
	size_t w[16] = {0}, n_cols, i, r;
	char buf[512];

	for (n_cols = 0; cols[n_cols] != NULL && n_cols < 16; n_cols++)
		w[n_cols] = strlen(cols[n_cols]);
	for (r = 0; r < json_array_size(arr); r++)
		for (i = 0; i < n_cols; i++) {
			cell(json_object_get(json_array_get(arr, r), cols[i]), buf, sizeof(buf));
			if (strlen(buf) > w[i])
				w[i] = strlen(buf);
		}
	for (i = 0; i < n_cols; i++)
		printf("%-*s%s", (int)w[i], cols[i], i + 1 < n_cols ? "  " : "\n");
	for (r = 0; r < json_array_size(arr); r++)
		for (i = 0; i < n_cols; i++) {
			cell(json_object_get(json_array_get(arr, r), cols[i]), buf, sizeof(buf));
			printf("%-*s%s", (int)w[i], buf, i + 1 < n_cols ? "  " : "\n");
		}
}

static void
kv(const json_t *o, const char *prefix)
{
	const char *k;
	json_t *v;
	char buf[512], key[128];

	json_object_foreach((json_t *)o, k, v)
	{
		snprintf(key, sizeof(key), "%s%s", prefix, k);
		if (json_is_object(v)) {
			snprintf(buf, sizeof(buf), "%s.", key);
			kv(v, buf);
			continue;
		}
		cell(v, buf, sizeof(buf));
		printf("%-32s %s\n", key, buf);
	}
}

/* sgctl cluster: scalars, then peers and VM owners as tables, then each source. */
static void
print_cluster(const json_t *res)
{
	static const char *const c_peers[] = {"node", "self", NULL};
	static const char *const c_vms[] = {"name",	"owner",  "mine",      "state",
					    "sessions", "others", "preferred", NULL};
	static const char *const parts[] = {"etcd",	 "counters", "identities",
					    "dataplane", "bgp",	     NULL};
	json_t *copy = json_deep_copy(res);
	unsigned int i;

	json_object_del(copy, "peers");
	json_object_del(copy, "vms");
	for (i = 0; parts[i] != NULL; i++)
		json_object_del(copy, parts[i]);
	kv(copy, "");
	json_decref(copy);
	for (i = 0; parts[i] != NULL; i++) {
		const json_t *p = json_object_get(res, parts[i]);

		if (p == NULL)
			continue;
		printf("%s:%s\n", parts[i],
		       json_is_false(json_object_get(p, "available")) ? " unavailable" : "");
		kv(p, "  ");
	}
	if (json_object_get(res, "peers") != NULL) {
		printf("peers:\n");
		table(json_object_get(res, "peers"), c_peers);
	}
	if (json_object_get(res, "vms") != NULL) {
		printf("vms:\n");
		table(json_object_get(res, "vms"), c_vms);
	}
}

/* sgctl usage: the records with their end time in UTC, then how far the scan went. */
static void
print_usage(const json_t *res, const char *const *cols)
{
	json_t *recs = json_object_get(res, "records"), *r;
	char when[32];
	size_t i;
	time_t t;

	json_array_foreach(recs, i, r)
	{
		t = (time_t)(json_integer_value(json_object_get(r, "end_ms")) / 1000);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		json_object_set_new(r, "end", json_string(when));
	}
	table(recs, cols);
	printf("%zu records, %lld lines in %lld files read%s\n", json_array_size(recs),
	       (long long)json_integer_value(json_object_get(res, "lines")),
	       (long long)json_integer_value(json_object_get(res, "files")),
	       json_is_true(json_object_get(res, "truncated")) ? " (scan limit reached: narrow it)"
							       : "");
}

static void
print_human(const char *cmd, const json_t *res)
{
	static const char *const c_apps[] = {
		"name", "vip",	      "port", "protocol",   "match",	"value", "pool",
		"exec", "exec_limit", "wait", "wait_limit", "installs", NULL};
	static const char *const c_sessions[] = {
		"session_id", "controlling_id", "state",  "app",    "vm",
		"user",	      "client",		"age_ms", "reason", NULL};
	static const char *const c_vms[] = {
		"name",	 "id",	    "host",	     "pool",	 "address",
		"state", "why",	    "changed_s_ago", "sessions", "waiting",
		"cap",	 "starts",  "stops",	     "draining", "downs",
		"saved", "crashes", "restart_in_ms", NULL};
	static const char *const c_hosts[] = {
		"name", "id", "address", "agent", "requests_inflight", "requests_queued", NULL};
	static const char *const c_prov[] = {"name",   "id",   "service", "up",	    "inflight",
					     "queued", "sent", "done",	  "failed", NULL};
	static const char *const c_vs[] = {"name",     "held",	 "installed", "rejected",
					   "held_now", "age_ms", NULL};
	static const char *const c_usage[] = {
		"end",	    "kind",	"session_id", "user",	   "app",    "vm", "client",
		"pkts_c2s", "pkts_s2c", "bytes_c2s",  "bytes_s2c", "reason", NULL};
	static const char *const c_ids[] = {"type", "name", "id", "host", "vm", NULL};
	static const char *const c_health[] = {"pool",	 "member",    "address", "port",
					       "check",	 "state",     "since_s", "last",
					       "reason", "ejections", NULL};
	static const char *const c_drain[] = {"pool", "member", "state", "deadline_left_s", NULL};

	if (strcmp(cmd, "apps") == 0)
		table(res, c_apps);
	else if (strcmp(cmd, "sessions") == 0)
		table(res, c_sessions);
	else if (strcmp(cmd, "vms") == 0)
		table(res, c_vms);
	else if (strcmp(cmd, "hosts") == 0)
		table(res, c_hosts);
	else if (strcmp(cmd, "providers") == 0)
		table(res, c_prov);
	else if (strcmp(cmd, "vs") == 0)
		table(res, c_vs);
	else if (strcmp(cmd, "usage") == 0)
		print_usage(res, c_usage);
	else if (strcmp(cmd, "identities") == 0)
		table(res, c_ids);
	else if (strcmp(cmd, "health") == 0) {
		table(json_object_get(res, "members"), c_health);
		kv(json_object_get(res, "counters"), "");
	} else if (strcmp(cmd, "drain") == 0 || strcmp(cmd, "undrain") == 0) {
		json_t *copy = json_deep_copy(res);

		json_object_del(copy, "members");
		kv(copy, "");
		json_decref(copy);
		if (json_array_size(json_object_get(res, "members")) > 0)
			table(json_object_get(res, "members"), c_drain);
	} else if (strcmp(cmd, "cluster") == 0) {
		print_cluster(res);
	} else if (strcmp(cmd, "session") == 0) {
		static const char *const c_p[] = {"id", "name", "service", NULL};
		json_t *copy = json_deep_copy(res);

		json_object_del(copy, "providers");
		kv(copy, "");
		json_decref(copy);
		printf("providers:\n");
		table(json_object_get(res, "providers"), c_p);
	} else
		kv(res, "");
}

/* token: mint prints the token alone (for scripts); check its claims, exit 1 unless valid. */
static int
token_answer(const json_t *res, bool as_json)
{
	const char *tok = json_string_value(json_object_get(res, "token"));
	char *txt;

	if (as_json) {
		txt = json_dumps(res, JSON_INDENT(2));
		puts(txt ? txt : "null");
		free(txt);
	} else if (tok != NULL) {
		puts(tok);
	} else {
		kv(res, "");
	}
	return json_object_get(res, "valid") == NULL || json_is_true(json_object_get(res, "valid"))
		       ? 0
		       : 1;
}

/* app|vm|host|pool add SPEC | remove NAME; true if argv[*i] was that. */
static bool
inv_args(const char *cmd, int argc, char **argv, int *i, json_t *req)
{
	bool obj = strcmp(cmd, "app") == 0 || strcmp(cmd, "vm") == 0 || strcmp(cmd, "host") == 0 ||
		   strcmp(cmd, "pool") == 0;

	if (!obj || *i + 2 != argc ||
	    (strcmp(argv[*i], "add") != 0 && strcmp(argv[*i], "remove") != 0))
		return false;
	json_object_set_new(req, "op", json_string(argv[*i]));
	json_object_set_new(req, argv[*i][0] == 'a' ? "spec" : "name", json_string(argv[*i + 1]));
	*i += 2;
	return true;
}

static int
done(json_t *req, int rc)
{
	json_decref(req);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
					     {"json", no_argument, NULL, 'j'},
					     {"state", required_argument, NULL, 'S'},
					     {"app", required_argument, NULL, 'A'},
					     {"vm", required_argument, NULL, 'V'},
					     {"user", required_argument, NULL, 'U'},
					     {"limit", required_argument, NULL, 'L'},
					     {"deadline", required_argument, NULL, 'D'},
					     {"ttl", required_argument, NULL, 'T'},
					     {"since", required_argument, NULL, 'G'},
					     {"until", required_argument, NULL, 'W'},
					     {"drain", no_argument, NULL, 'R'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *sock = getenv("SGCTL_SOCKET") ? getenv("SGCTL_SOCKET") : default_socket;
	json_t *req, *ans = NULL;
	bool as_json = false, drain = false;
	const char *cmd;
	char cmdbuf[64], *txt, *end;
	long limit;
	int opt, rc;

	req = json_object();
	/* GNU getopt permutes: options may follow the command ("sessions --state x"). */
	while ((opt = getopt_long(argc, argv, "s:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 'S':
			json_object_set_new(req, "state", json_string(optarg));
			break;
		case 'A':
			json_object_set_new(req, "app", json_string(optarg));
			break;
		case 'V':
			json_object_set_new(req, "vm", json_string(optarg));
			break;
		case 'U':
			json_object_set_new(req, "user", json_string(optarg));
			break;
		case 'L':
			limit = strtol(optarg, &end, 10);
			if (*end != '\0' || limit < 1) {
				fprintf(stderr, "sgctl: --limit: expected a positive integer\n");
				return done(req, 2);
			}
			json_object_set_new(req, "limit", json_integer(limit));
			break;
		case 'D':
			errno = 0;
			limit = strtol(optarg, &end, 10);
			if (*end != '\0' || *optarg == '\0' || errno != 0) {
				fprintf(stderr, "sgctl: --deadline: expected seconds\n");
				return done(req, 2);
			}
			json_object_set_new(req, "deadline", json_integer(limit));
			break;
		case 'T':
			errno = 0;
			limit = strtol(optarg, &end, 10);
			if (*end != '\0' || *optarg == '\0' || errno != 0 || limit < 1) {
				fprintf(stderr, "sgctl: --ttl: expected seconds\n");
				return done(req, 2);
			}
			json_object_set_new(req, "ttl", json_integer(limit));
			break;
		case 'G':
		case 'W':
			/* digits: unix seconds; else ISO 8601, checked by sg-control */
			json_object_set_new(req, opt == 'G' ? "since" : "until",
					    optarg[0] != '\0' &&
							    strspn(optarg, "0123456789") ==
								    strlen(optarg) &&
							    strlen(optarg) < 16
						    ? json_integer(strtoll(optarg, NULL, 10))
						    : json_string(optarg));
			break;
		case 'R':
			drain = true;
			break;
		case 'h':
			usage(stdout);
			return done(req, 0);
		default:
			usage(stderr);
			return done(req, 2);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return done(req, 2);
	}
	json_object_set_new(req, "cmd", json_string(argv[optind++]));
	snprintf(cmdbuf, sizeof(cmdbuf), "%s", json_string_value(json_object_get(req, "cmd")));
	cmd = cmdbuf; /* req is freed before the answer is printed */
	if (strcmp(cmd, "session") == 0 && optind < argc && strcmp(argv[optind], "abort") == 0) {
		if (optind + 2 != argc) {
			fprintf(stderr, "sgctl: session abort ID [--drain [--deadline S]]\n");
			return done(req, 2);
		}
		snprintf(cmdbuf, sizeof(cmdbuf), "abort");
		json_object_set_new(req, "cmd", json_string("abort"));
		json_object_set_new(req, "id", json_string(argv[optind + 1]));
		json_object_set_new(req, "action", json_string(drain ? "drain" : "reset"));
		optind += 2;
	} else if (strcmp(cmd, "vm") == 0 && optind + 2 == argc &&
		   (strcmp(argv[optind], "start") == 0 || strcmp(argv[optind], "stop") == 0 ||
		    strcmp(argv[optind], "save") == 0)) {
		json_object_set_new(req, "op", json_string(argv[optind]));
		json_object_set_new(req, "name", json_string(argv[optind + 1]));
		optind += 2;
	} else if (strcmp(cmd, "session") == 0 || strcmp(cmd, "close") == 0) {
		if (optind + 1 != argc) {
			fprintf(stderr, "sgctl: %s needs one ID\n", cmd);
			return done(req, 2);
		}
		json_object_set_new(req, "id", json_string(argv[optind++]));
	} else if (strcmp(cmd, "drain") == 0 && optind < argc &&
		   (strcmp(argv[optind], "on") == 0 || strcmp(argv[optind], "off") == 0)) {
		json_object_set_new(req, "on", json_boolean(strcmp(argv[optind++], "on") == 0));
	} else if (strcmp(cmd, "drain") == 0 || strcmp(cmd, "undrain") == 0) {
		if (optind < argc) {
			json_object_set_new(req, "target", json_string(argv[optind++]));
			if (strcmp(json_string_value(json_object_get(req, "target")), "all") != 0 &&
			    optind < argc)
				json_object_set_new(req, "name", json_string(argv[optind++]));
		} else if (strcmp(cmd, "undrain") == 0) {
			fprintf(stderr, "sgctl: undrain member POOL/MEMBER | vm NAME | all\n");
			return done(req, 2);
		}
	} else if (strcmp(cmd, "identities") == 0 && optind < argc) {
		json_object_set_new(req, "name", json_string(argv[optind++]));
	} else if (strcmp(cmd, "token") == 0) {
		if (optind + 3 != argc ||
		    (strcmp(argv[optind], "mint") != 0 && strcmp(argv[optind], "check") != 0)) {
			fprintf(stderr,
				"sgctl: token mint APP USER [--ttl S] | token check APP TOKEN\n");
			return done(req, 2);
		}
		json_object_set_new(req, "op", json_string(argv[optind]));
		json_object_set_new(req, "app", json_string(argv[optind + 1]));
		json_object_set_new(req, argv[optind][0] == 'm' ? "user" : "token",
				    json_string(argv[optind + 2]));
		optind += 3;
	} else if (inv_args(cmd, argc, argv, &optind, req)) {
		/* the inventory at run time: doc/control.md "Changing the inventory" */
	}
	if (optind != argc) {
		fprintf(stderr, "sgctl: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return done(req, 2);
	}
	txt = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	rc = xfer(sock, txt, &ans);
	free(txt);
	if (rc != 0)
		return rc;
	if (!json_is_true(json_object_get(ans, "ok"))) {
		fprintf(stderr, "sgctl: %s: %s\n", cmd,
			json_string_value(json_object_get(ans, "error")) ?: "refused");
		json_decref(ans);
		return 1;
	}
	if (strcmp(cmd, "token") == 0)
		rc = token_answer(json_object_get(ans, "result"), as_json);
	else if (as_json) {
		txt = json_dumps(json_object_get(ans, "result"), JSON_INDENT(2));
		puts(txt ? txt : "null");
		free(txt);
	} else {
		print_human(cmd, json_object_get(ans, "result"));
	}
	json_decref(ans);
	return rc;
}
