/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Test harness of the data-plane core unit tests: one EAL per process, a
 * hand-built configuration (struct sg_cfg), tables and workers; packets are
 * built with tests/lib/pktbuild.h. Fixtures follow katran_tester: input bytes -> exact
 * expected output bytes and port, or exactly one drop counter.
 */
#ifndef DP_TEST_H
#define DP_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pktbuild.h"

#include "sg_dp.h"
#include "core/addr.h"
#include "core/encap.h"
#include "core/flow.h"
#include "core/nat.h"
#include "core/neigh.h"
#include "core/parse.h"
#include "core/sched.h"
#include "core/state.h"
#include "core/tables.h"

#define PKT_MAX 9216

/* Addresses of the test topology (RFC 2544 / RFC 5180 ranges). */
#define MAC_PORT0  "02:00:00:00:00:01" /* outside */
#define MAC_PORT1  "02:00:00:00:00:02" /* inside */
#define MAC_GW	   "02:00:00:00:01:01" /* 198.18.2.1 / 2001:2:0:2::1 */
#define MAC_CLIENT "02:00:00:00:02:02"
#define MAC_HOST1  "02:00:00:00:03:11" /* 198.18.1.11 */
#define MAC_HOST2  "02:00:00:00:03:12" /* 198.18.1.12 */
#define MAC_UNDER  "02:00:00:00:03:c8" /* 198.18.1.200 (underlay of "hosted") */
#define MAC_HOST6  "02:00:00:00:06:11" /* 2001:2:0:1::11 */

#define CLIENT4 "198.18.0.50"
#define CLIENT6 "2001:2:0:99::50"

/* virtual services of the test configuration */
enum {
	VS_DSR_IPIP, /* 198.18.10.1:80 tcp dsr ipip -> pool one (host1) */
	VS_DSR_GUE,  /* 198.18.10.1:5353 udp dsr gue 6080 -> pool one */
	VS_NAT_TCP,  /* 198.18.10.2:80 tcp nat -> pool one */
	VS_NAT_UDP,  /* 198.18.10.2:53 udp nat -> pool one, member port 5353 */
	VS_V6_DSR,   /* [2001:2:0:10::1]:80 tcp dsr ipip -> pool one6 */
	VS_V6_NAT,   /* [2001:2:0:10::2]:80 tcp nat -> pool one6 */
	VS_HOSTED,   /* 198.18.10.1:443 tcp dsr ipip -> pool hosted (underlay 198.18.1.200) */
	VS_BROKERED, /* 198.18.10.3:80 tcp brokered */
	VS_ZERO,     /* 198.18.10.3:81 tcp dsr, every weight 0 */
	VS_DARK,     /* 198.18.10.4:80 tcp dsr, member MAC never learned */
	VS_WEIGHTED, /* 198.18.10.5:80 tcp dsr maglev, weights 1,2,3,4 */
	VS_LIMITED,  /* 198.18.10.5:81 tcp dsr maglev, max_flows 2 */
	VS_V4_IN_V6, /* 198.18.10.1:8080 tcp dsr ipip -> member with IPv6 underlay */
	VS_COUNT
};

struct cfg_store {
	struct sg_cfg cfg;
	struct sg_cfg_vs vs[VS_COUNT];
	struct sg_cfg_pool pools[16];
	struct sg_cfg_member members[16][8];
};

struct dp_env {
	struct rte_mempool *mp;
	struct sg_dp_neigh *neigh;
	struct sg_dp_port_info ports[SG_DP_PORTS_MAX];
	struct sg_dp_tables *t;
	struct sg_dp_worker *w[2];
	struct rte_ring *ring[2];
	struct cfg_store *cs;
	unsigned int n_workers;
	uint32_t flow_entries;
	struct rte_ring *member_mbox; /* worker 0's MEMBER_STATE mailbox (test_dp_health.c) */
};

extern struct dp_env env;

/* EAL, pool, neighbour table (once per process) */
void dp_eal_init(const char *prog);
/** dp_eal_init() with @p mem_mb MB of (non-huge) memory: large flow tables. */
void dp_eal_init_mem(const char *prog, unsigned int mem_mb);
void dp_eal_fini(void);
/* configuration */
struct cfg_store *cfg_new(void);
void cfg_addr(struct sg_cfg_addr *a, const char *text); /* "198.18.1.2/24", "2001:2::1" */
/* environment: tables + 1 or 2 workers with flow_entries flows each */
int env_setup(unsigned int n_workers, uint32_t flow_entries);
void env_teardown(void);
int env_rebuild(struct cfg_store *cs); /* new tables with prev = current */
void env_learn(uint16_t port, const char *ip, const char *mac);
/* worker @p w again, with brokered sessions on these rings (doc/sessions.md) */
struct sg_dp_syncookie_secret;
int env_enable_broker(unsigned int w, struct rte_ring *to_ctl, struct rte_ring *from_ctl,
		      const bool *ctl_up, const struct sg_dp_syncookie_secret *cookies,
		      uint32_t max_held);

/* Frames to the appliance (port 0 MAC) from the gateway, and from host1 to port 1. */
#define L2_GW	 (&(const struct pb_eth){MAC_PORT0, MAC_GW, 0})
#define L2_HOST1 (&(const struct pb_eth){MAC_PORT1, MAC_HOST1, 0})

/* running packets */
struct run_result {
	int out_port; /* -1: nothing transmitted */
	uint8_t out[PKT_MAX];
	size_t out_len;
	/* frames a run may transmit: 0 means 1; with 2, the first one is also in first[] */
	unsigned int max_out;
	unsigned int n_out;
	int first_port;
	uint8_t first[PKT_MAX];
	size_t first_len;
	struct sg_dp_stats *before, *after; /* of the worker that processed it */
};
struct rte_mbuf *mbuf_from(const uint8_t *b, size_t len);
void run_pkt(unsigned int worker, uint16_t port, const uint8_t *b, size_t len, struct run_result *r,
	     uint64_t now);
/* As run_pkt(), for an mbuf the test built itself (the worker takes it). */
void run_mbuf(unsigned int worker, uint16_t port, struct rte_mbuf *m, struct run_result *r,
	      uint64_t now);
/* Assert counters: each listed one moved by +1 per listing; every other cnt unchanged. */
void assert_stats_delta(const struct sg_dp_stats *before, const struct sg_dp_stats *after,
			const enum sg_dp_cnt *moved, unsigned int n);
void assert_cnt_delta(const struct run_result *r, const enum sg_dp_cnt *moved, unsigned int n);
void assert_drop(const struct run_result *r, enum sg_dp_cnt c, uint16_t port);
void assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len);
void run_result_init(struct run_result *r);
void run_result_fini(struct run_result *r);
uint64_t now_s(double s); /* TSC at s seconds after a fixed origin */

/*
 * One-packet tests' shared fixture: R holds the last run_pkt() result;
 * dp_setup1/2 build one or two workers with 1024 flow entries each;
 * CNT_MOVED(...) asserts that exactly the named counters moved in R.
 */
extern struct run_result R;
int dp_setup1(void **state);
int dp_setup2(void **state);
int dp_teardown(void **state);
#define CNT_MOVED(...)                                     \
	do {                                               \
		const enum sg_dp_cnt c_[] = {__VA_ARGS__}; \
		assert_cnt_delta(&R, c_, RTE_DIM(c_));     \
	} while (0)

/*
 * Worker 0 with brokered sessions on two new rings (to / from sg-control,
 * 64 messages), sg-control up, SYN cookies under the fixed key @p key;
 * env_broker_stop() tears the environment and the rings down.
 */
int env_broker_start(const uint8_t key[16], uint32_t max_held, struct rte_ring **to_ctl,
		     struct rte_ring **from_ctl);
void env_broker_stop(struct rte_ring *to_ctl, struct rte_ring *from_ctl);
/* A message of @p type about session @p sid with @p body on the ring from sg-control. */
void env_ctl_put(struct rte_ring *from_ctl, uint16_t type, uint64_t sid, const void *body,
		 size_t body_len);

/*
 * A solicited neighbour advertisement from @p src (the target, with @p smac
 * as its target link-layer address) to @p dst, Ethernet @p smac -> @p dmac.
 */
size_t na_frame(uint8_t *b, const char *dmac, const char *smac, const char *src, const char *dst);

#endif /* DP_TEST_H */
