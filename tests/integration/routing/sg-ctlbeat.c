/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-ctlbeat: test driver that plays sg-control's heartbeat only. It maps
 * the shared-memory region sg-dataplane creates (appliance.control.shm) as
 * sg-control does and increments ctl_heartbeat every 100 ms, so the data
 * plane reports ctl_up; it stops after --seconds or on SIGTERM / SIGINT.
 *
 *   sg-ctlbeat --shm /NAME [--seconds N]   (N: 1..600, default 120)
 *
 * Exit status 0 after a clean stop, 1 when the region cannot be mapped.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ring.h>

#include "sessiongate/sg_msg.h"
#include "sessiongate/sg_shm.h"

#define SHM_SIZE_MAX (1ull << 30)

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"shm", required_argument, NULL, 's'},
		{"seconds", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	struct sigaction sa = {.sa_handler = on_signal};
	struct sg_shm_map map = {0};
	const char *shm = NULL;
	long seconds = 120;
	char why[256] = "";
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			shm = optarg;
		else if (c == 't')
			seconds = strtol(optarg, NULL, 10);
		else
			shm = NULL, seconds = 0;
	}
	if (shm == NULL || seconds < 1 || seconds > 600) {
		fprintf(stderr, "usage: sg-ctlbeat --shm /NAME [--seconds 1..600]\n");
		return 1;
	}
	if (sg_shm_map_open(&map, shm, SHM_SIZE_MAX, why, sizeof(why)) < 0 ||
	    map.size < sizeof(struct sg_shm_hdr)) {
		fprintf(stderr, "sg-ctlbeat: %s: %s\n", shm, why[0] ? why : "region too small");
		sg_shm_map_close(&map);
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	struct sg_shm_hdr *hdr = map.base;
	for (long i = 0; i < seconds * 10 && !stop; i++) {
		__atomic_fetch_add(&hdr->ctl_heartbeat, 1, __ATOMIC_RELAXED);
		nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
	}
	sg_shm_map_close(&map);
	return 0;
}
