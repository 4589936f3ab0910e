/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's counters in sg-control's /metrics (control/dpmetrics.c)
 * read from a fake DPDK telemetry server (SOCK_SEQPACKET, protocol v2:
 * greeting, command, answer) with canned answers in dataplane/telemetry.c's
 * shapes: the families and labels, escaping of hostile names, the 1 s
 * cache, the 200 ms bound; and VS_STATS kept per worker and summed
 * (control/vsstats.c, the "vs" admin answer).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "admin.h"
#include "csm.h"
#include "dpmetrics.h"
#include "dpsim.h"
#include "view.h"
#include "vsstats.h"

#define GREETING "{\"version\": \"DPDK 22.11.4\", \"pid\": 1, \"max_output_len\": 16384}"

static const char *const canned[][2] = {
	{"/sg/stats", "{\"/sg/stats\": {\"drop_bad_csum\": 3, \"syn_cookies_sent\": 10, "
		      "\"exc_mode\": \"tap\", \"neigh_entries\": 4}}"},
	{"/sg/ports",
	 "{\"/sg/ports\": {\"p0\": {\"dpdk_port\": 0, \"rx_pkts\": 100, \"rx_bytes\": "
	 "6400, \"tx_pkts\": 90, \"tx_bytes\": 5000, \"drops\": 1, \"name\": \"p0\"}}}"},
	{"/sg/flows", "{\"/sg/flows\": {\"worker0\": 5, \"worker1\": 7, \"total\": 12}}"},
	{"/sg/vs",
	 "{\"/sg/vs\": {\"web_v6\": {\"name\": \"web-v6\", \"pkts\": 50, \"bytes\": 4000, "
	 "\"flows\": 4, \"active_flows\": 2}}}"},
	{"/sg/members",
	 "{\"/sg/members\": {\"pool_a/m1\": {\"name\": \"m1\", \"pool\": \"pool-a\", \"pkts\": 20, "
	 "\"bytes\": 2000, \"flows\": 2, \"active_flows\": 1, \"state\": \"up\", \"weight\": 10, "
	 "\"effective_weight\": 10, \"last_change_s\": -1, \"generation\": 0}, "
	 "\"x\": {\"name\": \"we\\\"ird\\\\\", \"pool\": \"p\\n\", \"pkts\": 1, "
	 "\"state\": \"Up\\\"} 1\"}}}"},
};

struct fake {
	char dir[64];
	char path[96];
	int lfd;
	bool silent;	     /* accept, never answer */
	const char *garbage; /* answer every command with this */
	volatile bool stop;
	volatile unsigned int conns;
	pthread_t th;
};

static void
fake_serve(struct fake *f, int c)
{
	char cmd[128];
	ssize_t n;
	size_t i;

	send(c, GREETING, strlen(GREETING), MSG_NOSIGNAL);
	n = recv(c, cmd, sizeof(cmd) - 1, 0);
	if (n <= 0)
		return;
	cmd[n] = '\0';
	for (i = 0; i < sizeof(canned) / sizeof(canned[0]); i++) {
		if (strcmp(cmd, canned[i][0]) != 0)
			continue;
		const char *a = f->garbage != NULL && i == 0 ? f->garbage : canned[i][1];

		send(c, a, strlen(a), MSG_NOSIGNAL);
	}
}

static void *
fake_run(void *arg)
{
	struct fake *f = arg;
	struct pollfd p = {.fd = f->lfd, .events = POLLIN};

	while (!f->stop) {
		if (poll(&p, 1, 20) != 1)
			continue;
		int c = accept(f->lfd, NULL, NULL);

		if (c < 0)
			continue;
		f->conns++;
		if (f->silent)
			usleep(300 * 1000);
		else
			fake_serve(f, c);
		close(c);
	}
	return NULL;
}

static void
fake_start(struct fake *f)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	strcpy(f->dir, "/tmp/sgdpm.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/dpdk_telemetry.v2", f->dir);
	f->lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(f->lfd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(f->lfd, 8), 0);
	assert_int_equal(pthread_create(&f->th, NULL, fake_run, f), 0);
}

static void
fake_stop(struct fake *f)
{
	f->stop = true;
	pthread_join(f->th, NULL);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Each family's samples follow its own # TYPE line, and no family is typed twice. */
static void
check_families(const char *text)
{
	char fam[128] = "", seen[8192] = " ", line[512], name[128], key[130];
	const char *p = text, *nl;

	while ((nl = strchr(p, '\n')) != NULL) {
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		p = nl + 1;
		if (sscanf(line, "# TYPE %127s", name) == 1) {
			snprintf(key, sizeof(key), " %s ", name);
			assert_null(strstr(seen, key));
			strncat(seen, key + 1, sizeof(seen) - strlen(seen) - 1);
			snprintf(fam, sizeof(fam), "%s", name);
		} else if (line[0] != '#') {
			assert_int_equal(strncmp(line, fam, strlen(fam)), 0);
			assert_true(line[strlen(fam)] == '{' || line[strlen(fam)] == ' ');
		}
	}
}

static void
test_scrape(void **state)
{
	struct fake f = {0};
	struct sg_ctl_dpm d = {0};
	const char *t, *t2;
	size_t len;

	(void)state;
	fake_start(&f);
	t = sg_ctl_dpm_get(&d, f.path, now_ns(), &len);
	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	assert_int_equal(f.conns, SG_CTL_DPM_CMDS);
	assert_true(d.up);
	assert_non_null(strstr(t, "\nsg_dp_up 1\n"));
	assert_non_null(strstr(t, "\nsg_dp_events_total{counter=\"drop_bad_csum\"} 3\n"));
	assert_null(strstr(t, "exc_mode"));
	assert_non_null(strstr(t, "\nsg_dp_stats_level{name=\"neigh_entries\"} 4\n"));
	assert_null(strstr(t, "counter=\"neigh_entries"));
	assert_non_null(strstr(t, "\nsg_dp_port_rx_packets_total{port=\"p0\"} 100\n"));
	assert_non_null(strstr(t, "\nsg_dp_port_drops_total{port=\"p0\"} 1\n"));
	assert_non_null(strstr(t, "\nsg_dp_worker_flows{worker=\"1\"} 7\n"));
	assert_null(strstr(t, "} 12\n")); /* "total" is no worker */
	assert_non_null(strstr(t, "\nsg_dp_vs_bytes_total{vs=\"web-v6\"} 4000\n"));
	assert_non_null(strstr(t, "\nsg_dp_vs_active_flows{vs=\"web-v6\"} 2\n"));
	assert_non_null(
		strstr(t, "\nsg_dp_member_packets_total{pool=\"pool-a\",member=\"m1\"} 20\n"));
	assert_non_null(
		strstr(t, "\nsg_dp_member_state{pool=\"pool-a\",member=\"m1\",state=\"up\"} 1\n"));
	/* hostile names escaped; a state that is not a word is left out */
	assert_non_null(strstr(
		t, "\nsg_dp_member_packets_total{pool=\"p\\n\",member=\"we\\\"ird\\\\\"} 1\n"));
	assert_null(strstr(t, "Up"));
	check_families(t);
	/* within a second: the cached reading, no new connection */
	t2 = sg_ctl_dpm_get(&d, f.path, d.fetched_ns + 500000000ull, &len);
	assert_ptr_equal(t, t2);
	assert_int_equal(f.conns, SG_CTL_DPM_CMDS);
	t2 = sg_ctl_dpm_get(&d, f.path, d.fetched_ns + 1000000001ull, &len);
	assert_non_null(t2);
	assert_int_equal(f.conns, 2 * SG_CTL_DPM_CMDS);
	assert_int_equal(d.scrapes, 2);
	assert_int_equal(d.errors, 0);
	/* one answer that is not JSON: sg_dp_up 0, the rest still rendered */
	f.garbage = "{\"/sg/stats\": [1, 2";
	t = sg_ctl_dpm_get(&d, f.path, d.fetched_ns + 2000000000ull, &len);
	assert_non_null(strstr(t, "\nsg_dp_up 0\n"));
	assert_non_null(strstr(t, "\nsg_dp_vs_bytes_total{vs=\"web-v6\"} 4000\n"));
	assert_int_equal(d.errors, 1);
	check_families(t);
	fake_stop(&f);
	sg_ctl_dpm_fini(&d);
}

static void
test_bounded(void **state)
{
	struct fake f = {.silent = true};
	struct sg_ctl_dpm d = {0};
	uint64_t t0;
	const char *t;
	size_t len;

	(void)state;
	/* nobody there */
	t0 = now_ns();
	t = sg_ctl_dpm_get(&d, "/tmp/sg-no-such-dir/dpdk_telemetry.v2", t0, &len);
	assert_non_null(strstr(t, "\nsg_dp_up 0\n"));
	assert_int_equal(d.errors, 1);
	check_families(t);
	/* a data plane that never answers: all queries within 200 ms (and scheduling) */
	fake_start(&f);
	t0 = now_ns();
	t = sg_ctl_dpm_get(&d, f.path, t0 + 5000000000ull, &len);
	assert_true(now_ns() - t0 < 400000000ull);
	assert_non_null(strstr(t, "\nsg_dp_up 0\n"));
	assert_int_equal(d.errors, 2);
	fake_stop(&f);
	/* not configured: sg_dp_up 0, nothing counted */
	t = sg_ctl_dpm_get(&d, "", t0 + 10000000000ull, &len);
	assert_non_null(strstr(t, "\nsg_dp_up 0\n"));
	assert_int_equal(d.scrapes, 2);
	sg_ctl_dpm_fini(&d);
}

static void
vs_msg(struct sg_msg *m, uint16_t worker, uint16_t slot, const char *name, uint64_t base)
{
	dpsim_make(m, SG_MSG_VS_STATS, worker, 0);
	m->vs_stats.vs_slot = slot;
	m->vs_stats.held = base;
	m->vs_stats.installed = base / 2;
	m->vs_stats.rejected = 1;
	m->vs_stats.held_now = 2;
	snprintf(m->vs_stats.vs_name, sizeof(m->vs_stats.vs_name), "%s", name);
	assert_int_equal(sg_msg_check(m, sizeof(*m)), 0);
}

static void
test_vs_sums(void **state)
{
	struct sg_ctl_csm *csm = calloc(1, sizeof(*csm));
	struct sg_ctl_view v = {.csm = csm};
	struct sg_ctl_vs_sum s;
	struct sg_msg m;
	json_t *a, *o;

	(void)state;
	assert_non_null(csm);
	vs_msg(&m, 0, 3, "web", 10);
	assert_int_equal(sg_ctl_vs_update(csm->vs, &m, 1000), 0);
	vs_msg(&m, 1, 3, "web", 20);
	assert_int_equal(sg_ctl_vs_update(csm->vs, &m, 2000), 0);
	vs_msg(&m, 0, 3, "web", 30); /* cumulative: replaces worker 0's 10 */
	assert_int_equal(sg_ctl_vs_update(csm->vs, &m, 3000), 0);
	vs_msg(&m, 0, 3, "web", 30); /* repeated: counted once */
	assert_int_equal(sg_ctl_vs_update(csm->vs, &m, 3000), 0);
	sg_ctl_vs_sum(csm->vs, 3, &s);
	assert_string_equal(s.name, "web");
	assert_int_equal(s.held, 50);
	assert_int_equal(s.installed, 25);
	assert_int_equal(s.rejected, 2);
	assert_int_equal(s.held_now, 4);
	assert_int_equal(s.updated_ms, 3000);
	sg_ctl_vs_sum(csm->vs, 4, &s);
	assert_null(s.name);
	/* hostile: out of range, names that would break labels */
	vs_msg(&m, 0, 256, "web", 1);
	assert_int_equal(sg_ctl_vs_update(csm->vs, &m, 4000), -ERANGE);
	vs_msg(&m, 64, 3, "web", 1);
	assert_int_equal(sg_ctl_vs_update(csm->vs, &m, 4000), -ERANGE);
	vs_msg(&m, 0, 3, "we\"b", 1);
	assert_int_equal(sg_ctl_vs_update(csm->vs, &m, 4000), -EPROTO);
	vs_msg(&m, 0, 3, "", 1);
	assert_int_equal(sg_ctl_vs_update(csm->vs, &m, 4000), -EPROTO);
	sg_ctl_vs_sum(csm->vs, 3, &s);
	assert_int_equal(s.held, 50);
	/* after a data-plane reload the slot names another VS: it starts again */
	vs_msg(&m, 1, 3, "desk", 4);
	assert_int_equal(sg_ctl_vs_update(csm->vs, &m, 5000), 0);
	sg_ctl_vs_sum(csm->vs, 3, &s);
	assert_string_equal(s.name, "desk");
	assert_int_equal(s.held, 4);
	/* the admin answer (sgctl vs) */
	vs_msg(&m, 2, 9, "rdp", 8);
	assert_int_equal(sg_ctl_vs_update(csm->vs, &m, 5000), 0);
	a = sg_ctl_admin_vs(&v);
	assert_int_equal(json_array_size(a), 2);
	o = json_array_get(a, 1);
	assert_string_equal(json_string_value(json_object_get(o, "name")), "rdp");
	assert_int_equal(json_integer_value(json_object_get(o, "held")), 8);
	assert_int_equal(json_integer_value(json_object_get(o, "held_now")), 2);
	json_decref(a);
	free(csm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrape),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_vs_sums),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
