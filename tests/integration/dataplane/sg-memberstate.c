/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-memberstate: test driver that plays sg-control's health checker for
 * one message. It attaches the shared-memory region sg-dataplane creates
 * (appliance.control.shm), as sg-control does (no EAL, the inline
 * rte_ring_*_elem calls on the mapped region), and enqueues one
 * MEMBER_STATE on worker 0's ctl->dp ring. A raw mode writes a message with
 * a pool name that has no NUL (hostile input, for the adversarial tests).
 *
 *   sg-memberstate --shm /NAME (--pool P --member M | --all | --raw-bad)
 *                  --state up|down|drain|reset [--generation G]
 *
 * Exit status 0 when the message was enqueued, 1 otherwise (with why).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "sessiongate/sg_msg.h"
#include "sessiongate/sg_shm.h"

#define WORKERS_MAX  (SG_SHM_RINGS_MAX / 2)
#define SHM_SIZE_MAX (1ull << 30)

static int
parse_state(const char *s)
{
	static const char *const names[] = {NULL, "up", "down", "drain", "reset"};

	for (int i = 1; i < SG_MSG_MEMBER_STATE_MAX; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sg-memberstate --shm /NAME (--pool P --member M | --all | "
			"--raw-bad) --state up|down|drain|reset [--generation G]\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"shm", required_argument, NULL, 's'},
		{"pool", required_argument, NULL, 'p'},
		{"member", required_argument, NULL, 'm'},
		{"all", no_argument, NULL, 'a'},
		{"state", required_argument, NULL, 't'},
		{"generation", required_argument, NULL, 'g'},
		{"raw-bad", no_argument, NULL, 'b'},
		{NULL, 0, NULL, 0},
	};
	struct rte_ring *dp2ctl[WORKERS_MAX], *ctl2dp[WORKERS_MAX];
	const char *shm = NULL, *pool = "", *member = "";
	struct sg_shm_map map = {0};
	unsigned int n = 0, tries;
	int c, state = -1, all = 0, bad = 0;
	uint32_t gen = 1;
	char why[256] = "";
	struct sg_msg m;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			shm = optarg;
			break;
		case 'p':
			pool = optarg;
			break;
		case 'm':
			member = optarg;
			break;
		case 'a':
			all = 1;
			break;
		case 'b':
			bad = 1;
			break;
		case 't':
			state = parse_state(optarg);
			break;
		case 'g':
			gen = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (shm == NULL || state < 0 || strlen(pool) >= 64 || strlen(member) >= 64 ||
	    (!all && !bad && (pool[0] == 0 || member[0] == 0)))
		usage();
	memset(&m, 0, sizeof(m));
	m.hdr.version = SG_MSG_VERSION;
	m.hdr.type = SG_MSG_MEMBER_STATE;
	m.hdr.len = (uint16_t)(sizeof(m.hdr) + sizeof(m.member_state));
	m.member_state.state = (uint8_t)state;
	m.member_state.flags = all ? SG_MSG_MEMBER_ALL : 0;
	m.member_state.generation = gen;
	if (bad) {
		memset(m.member_state.pool, 'A', sizeof(m.member_state.pool)); /* no NUL */
		memset(m.member_state.member, 'B', sizeof(m.member_state.member) - 1);
	} else {
		(void)snprintf(m.member_state.pool, sizeof(m.member_state.pool), "%s", pool);
		(void)snprintf(m.member_state.member, sizeof(m.member_state.member), "%s", member);
		if (sg_msg_check(&m, SG_MSG_SIZE) != 0) {
			fprintf(stderr, "sg-memberstate: message does not pass sg_msg_check\n");
			return 1;
		}
	}
	if (sg_shm_map_open(&map, shm, SHM_SIZE_MAX, why, sizeof(why)) < 0 ||
	    sg_shm_attach_rings(map.base, map.size, dp2ctl, ctl2dp, &n, why, sizeof(why)) < 0 ||
	    n == 0) {
		fprintf(stderr, "sg-memberstate: %s: %s\n", shm, why[0] ? why : "no rings");
		sg_shm_map_close(&map);
		return 1;
	}
	/* a full ring (sg-control would retry): up to 2 s */
	for (tries = 0; tries < 200; tries++) {
		if (rte_ring_enqueue_elem(ctl2dp[0], &m, SG_MSG_SIZE) == 0) {
			sg_shm_map_close(&map);
			return 0;
		}
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	fprintf(stderr, "sg-memberstate: worker 0's ring stayed full\n");
	sg_shm_map_close(&map);
	return 1;
}
