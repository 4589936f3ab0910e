/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-path benchmark: session setups per second and setup latency
 * through the shared-memory rings, for sessions to a running VM, against
 * the ceiling of a ring round trip with no work (an echo thread answering
 * each SESSION_NEW with a SESSION_INSTALL at once, same rings, same
 * driver).
 *
 * Two measurements for each of ceiling and sg-control:
 *  - throughput: closed loop, up to WINDOW sessions in flight;
 *  - latency: open loop at a fixed offered rate (default 100k/s), p50/p99
 *    of SESSION_NEW enqueued -> SESSION_INSTALL dequeued.
 * Every session is closed (SESSION_CLOSED) once installed, so the session
 * DB stays at its steady state; the control path does both.
 *
 *   bench_control BUILD_DIR/control [SESSIONS] [RATE]
 *
 * The driver, the ceiling and the in-process core are in bench_drive.c
 * and bench_inproc.c (shared with bench_auth.c, control-setups-auth).
 *
 * Exit status 1 on a lost or wrong answer; targets (>= 100k setups/s,
 * p99 < 1 ms) are reported, and enforced only with SGCTL_BENCH_ENFORCE=1
 * (this machine's 2 cores are shared with other builds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "sessiongate/sg_agent_proto.h"

int
main(int argc, char **argv)
{
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 0) : 200000;
	uint64_t rate = argc > 3 ? strtoull(argv[3], NULL, 0) : 100000;
	struct bench_run ceil_t, ceil_l, ceil_s, ctl_t, ctl_l, ctl_s;
	struct sg_msg plain;
	struct bench_tmpl tp = {&plain, 1};
	char light[32];
	double tput, p99, rates[2];
	char body[1024];
	bool ok;

	if (argc < 2 || n < 10 || n > 1000000 || rate < 10) {
		fprintf(stderr, "usage: bench_control BUILD_DIR/control [SESSIONS] [RATE]\n");
		return 2;
	}
	alarm(500);
	it_init(&bench_it, argv[1], "bench");
	bench_run_alloc(&ceil_t, "ring round trip, no work (ceiling)", n);
	ceil_l = ceil_t;
	dpsim_make_new(&plain, 0, 0, BENCH_VIP, BENCH_PORT, SG_MSG_L7_NONE, NULL);

	/* 1. Ceiling: the echo thread on the same region, before sg-control attaches. */
	bench_echo_start(&bench_it.dp);
	bench_drive(&ceil_t, 0, n, 0, true, &tp);
	bench_report(&ceil_t, "max");
	bench_drive(&ceil_l, n, n, rate, true, &tp);
	snprintf(light, sizeof(light), "@%llu/s", (unsigned long long)rate);
	bench_report(&ceil_l, light);
	ceil_s = ceil_l;
	bench_drive(&ceil_s, 2 * n, n / 10, rate / 10, true, &tp);
	snprintf(light, sizeof(light), "@%llu/s", (unsigned long long)(rate / 10));
	bench_report(&ceil_s, light);
	bench_echo_stop();

	{
		char db[256];

		snprintf(db, sizeof(db), "%s/inproc-db", bench_it.dir);
		bench_inproc(n, BENCH_CORE_ECHO, db, NULL, &tp, 1, &rates[0]);
		bench_inproc(n, BENCH_CORE_PLAIN, db, NULL, &tp, 1, &rates[1]);
		printf("%-34s %-10s %9.0f setups/s\n", "in-process ring echo (ceiling)", "1 thread",
		       rates[0]);
		printf("%-34s %-10s %9.0f setups/s  = %.1f us of CPU per setup+close (%.0f%% of the "
		       "ceiling)\n",
		       "in-process sg-control core", "1 thread", rates[1], 1e6 / rates[1],
		       100.0 * rates[1] / rates[0]);
	}

	/* 2. sg-control with one running VM and room for every session. */
	snprintf(body, sizeof(body),
		 "hosts:\n  - { name: h1, address: 198.18.3.11, agent_address: 127.0.0.1 }\n"
		 "pools:\n  - name: p1\n    session_cap: 1000000\n    vms:\n"
		 "      - { name: vm1, host: h1, address: 198.18.4.10 }\n"
		 "applications:\n  - { name: web, vip: " BENCH_VIP
		 ", port: 80, pool: p1, mode: nat, "
		 "exec_limit: 1000000, wait_limit: 100000 }\n");
	snprintf(bench_it.agent.vms[0].name, 64, "vm1");
	bench_it.agent.vms[0].state = SG_AGENT_VM_RUNNING;
	bench_it.agent.n_vms = 1;
	bench_ctl_start(body);
	bench_ctl_settle();
	ctl_t = ceil_t;
	ctl_t.name = "sg-control, running VM";
	ctl_l = ctl_t;
	bench_drive(&ctl_t, 3 * n, n, 0, false, &tp);
	bench_report(&ctl_t, "max");
	usleep(200000);
	bench_drive(&ctl_l, 4 * n, n, rate, false, &tp);
	snprintf(light, sizeof(light), "@%llu/s", (unsigned long long)rate);
	p99 = bench_report(&ctl_l, light);
	usleep(200000);
	ctl_s = ctl_l;
	bench_drive(&ctl_s, 5 * n, n / 10, rate / 10, false, &tp);
	snprintf(light, sizeof(light), "@%llu/s", (unsigned long long)(rate / 10));
	bench_report(&ctl_s, light);
	bench_ctl_stop();
	tput = (double)ctl_t.n / ctl_t.secs;
	ok = tput >= 100000 && p99 < 1.0;
	printf("target >= 100000 setups/s and p99 < 1 ms at %llu/s: %s (%.0f/s = %.0f%% of the "
	       "ceiling, p99 %.3f ms)\n",
	       (unsigned long long)rate, ok ? "met" : "NOT met", tput,
	       100.0 * tput / ((double)ceil_t.n / ceil_t.secs), p99);
	free(ceil_t.t_sent);
	free(ceil_t.lat_ns);
	free(ceil_t.to_close);
	return !ok && getenv("SGCTL_BENCH_ENFORCE") != NULL ? 1 : 0;
}
