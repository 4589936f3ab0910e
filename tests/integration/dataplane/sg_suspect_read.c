/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-suspect-read: the passive-detection test's stand-in for sg-control.
 * It attaches the data plane's shared-memory region (no EAL, as sg-control
 * does), beats ctl_heartbeat every 50 ms (the data plane only sends while
 * control is up), and prints every MEMBER_SUSPECT of every worker's dp->ctl
 * ring as one line "suspect POOL MEMBER REASON FAILURES WORKER" (REASON:
 * refused, timeout, reset_early, replay); other messages are counted. Each
 * element is checked with sg_msg_check() first (a bad one: "invalid").
 * Exits after --seconds, or on SIGINT / SIGTERM, printing its counts.
 *
 *   sg-suspect-read --shm /NAME [--seconds S]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "sessiongate/sg_msg.h"
#include "sessiongate/sg_shm.h"

#define WORKERS_MAX (SG_SHM_RINGS_MAX / 2)

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *
reason_name(uint8_t r)
{
	static const char *const names[SG_MSG_SUSPECT_MAX] = {
		[SG_MSG_SUSPECT_REFUSED] = "refused",
		[SG_MSG_SUSPECT_TIMEOUT] = "timeout",
		[SG_MSG_SUSPECT_RESET_EARLY] = "reset_early",
		[SG_MSG_SUSPECT_REPLAY] = "replay",
	};

	return r < SG_MSG_SUSPECT_MAX && names[r] != NULL ? names[r] : "?";
}

int
main(int argc, char **argv)
{
	struct rte_ring *rx[WORKERS_MAX], *tx[WORKERS_MAX];
	unsigned long suspects = 0, other = 0, invalid = 0;
	const char *name = NULL;
	double seconds = 30, t0, last_hb = 0;
	struct sg_shm_map map;
	struct sigaction sa;
	unsigned int n = 0, w;
	char why[160] = "", *end = NULL;
	int i, rc;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--shm") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = strtod(argv[i + 1], &end);
		else
			break;
	}
	if (name == NULL || i != argc || (end != NULL && *end != '\0') || !(seconds > 0) ||
	    seconds > 3600) {
		fprintf(stderr, "usage: sg-suspect-read --shm /NAME [--seconds S]\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	t0 = now_s();
	for (;;) {
		rc = sg_shm_map_open(&map, name, 1ull << 30, why, sizeof(why));
		if (rc == 0) {
			rc = sg_shm_attach_rings(map.base, map.size, rx, tx, &n, why, sizeof(why));
			if (rc == 0)
				break;
			sg_shm_map_close(&map);
		}
		if ((rc != -ENOENT && rc != -EAGAIN) || now_s() - t0 > 10) {
			fprintf(stderr, "sg-suspect-read: %s: %s\n", name, why);
			return 1;
		}
		usleep(10000);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fprintf(stderr, "sg-suspect-read: attached %s, %u workers\n", name, n);
	while (!quit && now_s() - t0 < seconds) {
		struct sg_shm_hdr *hdr = map.base;
		struct sg_msg m;
		bool idle = true;

		if (now_s() - last_hb >= 0.05) {
			__atomic_fetch_add(&hdr->ctl_heartbeat, 1, __ATOMIC_RELAXED);
			last_hb = now_s();
		}
		for (w = 0; w < n; w++) {
			while (rte_ring_sc_dequeue_elem(rx[w], &m, SG_MSG_SIZE) == 0) {
				idle = false;
				if (sg_msg_check(&m, SG_MSG_SIZE) != 0) {
					invalid++;
				} else if (m.hdr.type == SG_MSG_MEMBER_SUSPECT) {
					suspects++;
					printf("suspect %s %s %s %u %u\n", m.suspect.pool,
					       m.suspect.member, reason_name(m.suspect.reason),
					       m.suspect.failures, m.hdr.worker);
				} else {
					other++;
				}
			}
		}
		if (idle)
			usleep(1000);
	}
	fprintf(stderr, "sg-suspect-read: %lu suspects, %lu other, %lu invalid\n", suspects, other,
		invalid);
	sg_shm_map_close(&map);
	return invalid == 0 ? 0 : 1;
}
