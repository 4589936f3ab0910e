/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-routed: announce the appliance's prefixes through BIRD 2 while its data
 * plane is alive (doc/cluster.md, "BGP and liveness").
 *
 *   sg-routed -c APPLIANCE.yaml [--write-config-only]
 *
 * At start it writes BIRD's configuration (appliance.cluster.bgp.
 * bird_config); then, every check_ms: query the data plane's /sg/cluster,
 * decide, send BIRD the changes, write the status file. SIGTERM / SIGINT
 * withdraw everything and exit. Meant to run under a supervisor, beside
 * `bird -c <bird_config> -s <bird_socket>`.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "announce.h"
#include "birdconf.h"
#include "birdctl.h"
#include "liveness.h"
#include "sg_cfg.h"
#include "sg_telemetry.h"
#include "status.h"

#define STATUS_EVERY_MS 1000 /* status file and "show protocols" at least this often */

static volatile sig_atomic_t stop_sig;

static void
on_signal(int sig)
{
	stop_sig = sig;
}

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The daemon's state: built once in main(), passed to each step. */
struct routed {
	const struct sg_cfg_bgp *bgp;
	char tel_path[256];
	struct sg_rt_plan plan;
	struct sg_rt_liveness live;
	struct sg_rt_announce ann;
	struct sg_rt_birdctl bird;
	struct sg_rt_proto protos[SG_RT_BIRD_PROTOS_MAX];
	unsigned int n_protos;
	struct sg_rt_status st;
	int64_t status_ms; /* monotonic ms of the last status write */
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: sg-routed -c APPLIANCE.yaml [--write-config-only]\n"
		   "  writes BIRD's configuration (appliance.cluster.bgp.bird_config), then\n"
		   "  announces / withdraws the appliance's prefixes from the data plane's\n"
		   "  liveness (doc/cluster.md, \"BGP and liveness\")\n");
}

/* Create the parent folder of @p path if missing (one level). */
static void
make_parent(const char *path)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0755) != 0 && errno != EEXIST)
		syslog(LOG_WARNING, "mkdir %s: %s", dir, strerror(errno));
}

/* Poll the data plane; log a change of what it says. */
static void
step_liveness(struct routed *r, int64_t mono, int64_t wall)
{
	static char buf[SG_TEL_REPLY_MAX + 1];
	struct sg_rt_liveness before = r->live;
	int timeout = r->bgp->stale_ms / 2 > 50 ? (int)r->bgp->stale_ms / 2 : 50;
	int n = sg_tel_query(r->tel_path, "/sg/cluster", buf, sizeof(buf), timeout);

	sg_rt_liveness_update(&r->live, buf, n > 0 ? (size_t)n : 0, n < 0 ? n : 0, mono);
	if (before.alive == r->live.alive && before.ready == r->live.ready &&
	    before.ctl_up == r->live.ctl_up)
		return;
	r->st.live_changed_ms = wall;
	syslog(LOG_NOTICE, "data plane: alive %d ready %d ctl_up %d (%s)", r->live.alive,
	       r->live.ready, r->live.ctl_up,
	       r->live.last_error ? strerror(-r->live.last_error) : "answering");
}

/* Keep a connection to BIRD; a new one re-sends every group. */
static void
step_bird(struct routed *r)
{
	static int last_err;
	int rc;

	if (!sg_rt_birdctl_gone(&r->bird))
		return;
	rc = sg_rt_birdctl_open(&r->bird, r->bgp->bird_socket);
	if (rc != 0) {
		if (rc != last_err)
			syslog(LOG_WARNING, "BIRD at %s: %s", r->bgp->bird_socket, strerror(-rc));
		last_err = rc;
		r->n_protos = 0;
		return;
	}
	last_err = 0;
	r->st.bird_connects++;
	sg_rt_announce_forget(&r->ann);
	syslog(LOG_INFO, "connected to BIRD at %s", r->bgp->bird_socket);
}

static void
step_status(struct routed *r, bool changed, int64_t mono, int64_t wall)
{
	int rc;

	if (!changed && mono - r->status_ms < STATUS_EVERY_MS)
		return;
	r->status_ms = mono;
	if (r->bird.fd >= 0)
		sg_rt_birdctl_protocols(&r->bird, r->protos, SG_RT_BIRD_PROTOS_MAX, &r->n_protos);
	r->st.n_protos = r->n_protos;
	rc = sg_rt_status_write(r->bgp->status_file, &r->st, wall);
	if (rc != 0)
		syslog(LOG_WARNING, "status %s: %s", r->bgp->status_file, strerror(-rc));
}

static void
run(struct routed *r)
{
	int64_t next = clock_ms(CLOCK_MONOTONIC);

	while (stop_sig == 0) {
		int64_t mono = clock_ms(CLOCK_MONOTONIC), wall = clock_ms(CLOCK_REALTIME);
		bool changed;

		step_liveness(r, mono, wall);
		step_bird(r);
		sg_rt_announce_want(&r->ann, &r->live);
		sg_rt_announce_apply(&r->ann, &r->bird, wall, &changed);
		step_status(r, changed, mono, wall);
		next += r->bgp->check_ms;
		if (next < mono)
			next = mono + r->bgp->check_ms;
		struct timespec ts = {.tv_sec = next / 1000, .tv_nsec = (next % 1000) * 1000000};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

/* Withdraw everything that BIRD (if reachable) announces, once. */
static void
shutdown_routes(struct routed *r)
{
	bool changed;

	syslog(LOG_NOTICE, "signal %d: withdrawing and stopping", (int)stop_sig);
	step_bird(r);
	sg_rt_announce_forget(&r->ann);
	sg_rt_announce_want(&r->ann, NULL);
	sg_rt_announce_apply(&r->ann, &r->bird, clock_ms(CLOCK_REALTIME), &changed);
	step_status(r, true, clock_ms(CLOCK_MONOTONIC), clock_ms(CLOCK_REALTIME));
	sg_rt_birdctl_close(&r->bird);
}

static int
setup(struct routed *r, const struct sg_cfg *cfg, bool config_only)
{
	char why[512];
	int rc;

	r->bgp = &cfg->appliance.cluster.bgp;
	rc = sg_rt_birdconf_plan(cfg, &r->plan, why, sizeof(why));
	if (rc != 0) {
		syslog(LOG_ERR, "%s: %s", cfg->path, why);
		return rc;
	}
	make_parent(r->bgp->bird_config);
	rc = sg_rt_birdconf_write(cfg, &r->plan, r->bgp->bird_config);
	if (rc != 0) {
		syslog(LOG_ERR, "BIRD configuration %s: %s", r->bgp->bird_config, strerror(-rc));
		return rc;
	}
	syslog(LOG_INFO, "wrote BIRD configuration %s", r->bgp->bird_config);
	if (config_only)
		return 0;
	rc = sg_tel_socket_path(cfg, r->tel_path, sizeof(r->tel_path));
	if (rc != 0) {
		syslog(LOG_ERR, "telemetry socket path too long");
		return rc;
	}
	make_parent(r->bgp->status_file);
	sg_rt_liveness_init(&r->live, r->bgp->stale_ms);
	sg_rt_announce_init(&r->ann, &r->plan);
	sg_rt_birdctl_init(&r->bird, 1000);
	r->st = (struct sg_rt_status){.node = cfg->appliance.cluster.name,
				      .bgp = r->bgp,
				      .live = &r->live,
				      .ann = &r->ann,
				      .bird = &r->bird,
				      .protos = r->protos};
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"write-config-only", no_argument, NULL, 'w'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	static struct routed r;
	struct sigaction sa = {.sa_handler = on_signal};
	struct sg_cfg_error err;
	struct sg_cfg *cfg = NULL;
	const char *path = NULL;
	bool config_only = false;
	char msg[512];
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'w')
			config_only = true;
		else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	openlog("sg-routed", LOG_PID | LOG_PERROR, LOG_DAEMON);
	rc = sg_cfg_load_file(path, &cfg, &err);
	if (rc != 0) {
		syslog(LOG_ERR, "%s", sg_cfg_error_format(&err, msg, sizeof(msg)));
		return 1;
	}
	rc = setup(&r, cfg, config_only);
	if (rc != 0 || config_only) {
		sg_cfg_free(cfg);
		return rc != 0 ? 1 : 0;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	syslog(LOG_INFO, "watching %s every %u ms (stale after %u ms), BIRD at %s", r.tel_path,
	       r.bgp->check_ms, r.bgp->stale_ms, r.bgp->bird_socket);
	run(&r);
	shutdown_routes(&r);
	sg_cfg_free(cfg);
	return 0;
}
