/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgid, clustered (doc/identity.md "Clustered identities"): --etcd URL[,URL]
 * (or $SGID_ETCD) makes every write command go to etcd first and then to the
 * store; `sgid follow` keeps a store a copy of etcd's identity keys.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sessiongate/sg_cluster_keys.h>

#include "cli.h"
#include "sg_etcd.h"

#define URLS_MAX 2048

int
sg_id_cli_etcd_open(struct sg_id_cli *cli)
{
	struct sg_etcd_opts o = {.timeout_ms = 2000};
	char urls[URLS_MAX], err[256], *save = NULL, *tok;

	if (cli->etcd_urls == NULL || cli->etcd_urls[0] == '\0')
		return 0;
	if (cli->etcd_prefix == NULL || cli->etcd_prefix[0] == '\0')
		cli->etcd_prefix = SG_CK_PREFIX_DEFAULT;
	if (cli->etcd_prefix[0] != '/' || strlen(cli->etcd_prefix) > 200) {
		sg_id_cli_errf("sgid: --etcd-prefix '%s': a key path starting with '/' (at most "
			       "200 bytes)\n",
			       cli->etcd_prefix);
		return EX_USAGE_;
	}
	if (strlen(cli->etcd_urls) >= sizeof(urls)) {
		sg_id_cli_errf("sgid: --etcd: longer than %d bytes\n", URLS_MAX - 1);
		return EX_USAGE_;
	}
	strcpy(urls, cli->etcd_urls);
	for (tok = strtok_r(urls, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (o.n_endpoints == SG_ETCD_ENDPOINTS_MAX) {
			sg_id_cli_errf("sgid: --etcd: at most %d endpoints\n",
				       SG_ETCD_ENDPOINTS_MAX);
			return EX_USAGE_;
		}
		o.endpoints[o.n_endpoints++] = tok;
	}
	cli->etcd = sg_etcd_new(&o, err, sizeof(err));
	if (cli->etcd == NULL) {
		sg_id_cli_errf("sgid: --etcd: %s\n", err);
		return EX_USAGE_;
	}
	return 0;
}

int
sg_id_cli_cluster_open(struct sg_id_cli *cli, struct sg_id_store *s)
{
	if (cli->etcd == NULL || cli->cl != NULL)
		return 0;
	cli->cl = sg_id_cluster_new(s, cli->etcd, cli->etcd_prefix);
	if (cli->cl == NULL) {
		sg_id_cli_errf("sgid: out of memory\n");
		return EX_STORE;
	}
	return 0;
}

void
sg_id_cli_cluster_close(struct sg_id_cli *cli)
{
	sg_id_cluster_free(cli->cl);
	cli->cl = NULL;
	sg_etcd_free(cli->etcd);
	cli->etcd = NULL;
}

static void
print_stats(const char *what, const struct sg_id_follow_stats *st)
{
	printf("%s: revision %lld applied %llu skipped %llu rejected %llu failed %llu "
	       "resyncs %llu removed %llu\n",
	       what, (long long)st->revision, (unsigned long long)st->applied,
	       (unsigned long long)st->skipped, (unsigned long long)st->rejected,
	       (unsigned long long)st->failed, (unsigned long long)st->resyncs,
	       (unsigned long long)st->removed);
	(void)fflush(stdout);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

struct follow_run {
	struct sg_id_follower *f;
	struct event *tick;
	uint64_t last;
};

/* Once a second: a line when something was applied since the last one. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct follow_run *r = arg;
	struct sg_id_follow_stats st;

	(void)fd;
	(void)what;
	sg_id_follow_stats(r->f, &st);
	if (st.applied + st.rejected + st.failed != r->last)
		print_stats("follow", &st);
	r->last = st.applied + st.rejected + st.failed;
}

static int
follow_loop(struct sg_id_cli *cli)
{
	struct event_base *base = event_base_new();
	struct event *sigs[2] = {NULL, NULL};
	struct timeval sec = {1, 0};
	struct sg_id_follow_stats st;
	struct follow_run r = {0};
	char err[256];

	if (base == NULL)
		return EX_STORE;
	r.f = sg_id_follow_start(cli->s, cli->etcd, base, cli->etcd_prefix, err, sizeof(err));
	if (r.f == NULL) {
		sg_id_cli_errf("sgid: follow: %s\n", err);
		event_base_free(base);
		return EX_STORE;
	}
	sg_id_follow_stats(r.f, &st);
	print_stats("follow: started", &st);
	sigs[0] = evsignal_new(base, SIGTERM, on_signal, base);
	sigs[1] = evsignal_new(base, SIGINT, on_signal, base);
	r.tick = event_new(base, -1, EV_PERSIST, on_tick, &r);
	if (sigs[0] != NULL && sigs[1] != NULL && r.tick != NULL) {
		evsignal_add(sigs[0], NULL);
		evsignal_add(sigs[1], NULL);
		event_add(r.tick, &sec);
		event_base_dispatch(base);
	}
	sg_id_follow_stats(r.f, &st);
	print_stats("follow: stopped", &st);
	sg_id_follow_stop(r.f);
	for (int i = 0; i < 2; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	if (r.tick != NULL)
		event_free(r.tick);
	event_base_free(base);
	return EX_OK;
}

int
sg_id_cli_follow(struct sg_id_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {{"once", no_argument, NULL, 'o'}, {NULL, 0, NULL, 0}};
	struct sg_id_follow_stats st = {0};
	char err[256];
	int c, once = 0, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c != 'o')
			return EX_USAGE_;
		once = 1;
	}
	if (optind != argc) {
		sg_id_cli_errf("sgid: follow [--once]\n");
		return EX_USAGE_;
	}
	if (cli->etcd == NULL) {
		sg_id_cli_errf("sgid: follow needs --etcd URL[,URL] (or $SGID_ETCD)\n");
		return EX_USAGE_;
	}
	if (!once)
		return follow_loop(cli);
	rc = sg_id_follow_once(cli->s, cli->etcd, cli->etcd_prefix, &st, err, sizeof(err));
	if (rc < 0) {
		sg_id_cli_errf("sgid: follow: %s\n", err);
		return EX_STORE;
	}
	print_stats("follow --once", &st);
	return EX_OK;
}
