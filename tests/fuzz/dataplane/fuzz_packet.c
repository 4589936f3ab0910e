/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the input is one received frame. It goes through
 * sg_dp_worker_process() on both workers of a two-worker test appliance
 * (tables of the unit tests, port 0 for worker 0, port 1 for worker 1),
 * hand-off rings are drained, idle flows expire as time advances, and the
 * door invariant is checked after every input on every worker:
 *   rx + handoff_in + generated + released ==
 *       transmitted + drops + handoff_out + consumed + held
 * Both workers serve brokered sessions (SYN cookies answered, ring to a
 * control path that never answers, so held sessions time out).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "dp_test.h"
#include "sessiongate/sg_msg.h"
#include "session/syncookie.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sg_dp_txq *txq;
static uint64_t fuzz_now;
static uint64_t tx_seen[2];
static struct sg_dp_syncookie_secret cookies;
static struct rte_ring *to_ctl[2], *from_ctl[2];
static bool ctl_up = true;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	dp_eal_init((*argv)[0]);
	if (env_setup(2, 4096) != 0) {
		(void)fprintf(stderr, "fuzz_packet: test appliance setup failed\n");
		exit(1);
	}
	if (sg_dp_syncookie_init(&cookies) != 0)
		exit(1);
	for (unsigned int w = 0; w < 2; w++) {
		char name[32];

		(void)snprintf(name, sizeof(name), "fz_to_ctl%u", w);
		to_ctl[w] = rte_ring_create_elem(name, SG_MSG_SIZE, 64, SOCKET_ID_ANY,
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		(void)snprintf(name, sizeof(name), "fz_from_ctl%u", w);
		from_ctl[w] = rte_ring_create_elem(name, SG_MSG_SIZE, 64, SOCKET_ID_ANY,
						   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (to_ctl[w] == NULL || from_ctl[w] == NULL ||
		    env_enable_broker(w, to_ctl[w], from_ctl[w], &ctl_up, &cookies, 64) != 0) {
			(void)fprintf(stderr, "fuzz_packet: brokered sessions setup failed\n");
			exit(1);
		}
	}
	txq = calloc(1, sizeof(*txq));
	if (txq == NULL)
		exit(1);
	fuzz_now = now_s(0);
	return 0;
}

static void
flush(unsigned int w)
{
	unsigned int p, i;

	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		uint16_t n = txq->n[p];

		if (n == 0)
			continue;
		/* every frame we transmit must be a sane Ethernet frame */
		for (i = 0; i < n; i++) {
			struct rte_mbuf *m = txq->pkts[p][i];

			if (rte_pktmbuf_pkt_len(m) < RTE_ETHER_HDR_LEN ||
			    rte_pktmbuf_pkt_len(m) > RTE_MBUF_DEFAULT_DATAROOM + 100)
				abort();
		}
		tx_seen[w] += n;
		sg_dp_worker_count_tx(env.w[w], (uint16_t)p, txq->pkts[p], n, 0);
		rte_pktmbuf_free_bulk(txq->pkts[p], n);
		txq->n[p] = 0;
	}
}

static void
check_doors(unsigned int w)
{
	const struct sg_dp_stats *s = sg_dp_worker_stats(env.w[w]);
	uint64_t rx = 0, tx = 0, drops = 0;
	unsigned int c, p;

	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		rx += s->port[p].rx_pkts;
		tx += s->port[p].tx_pkts;
	}
	for (c = 0; c < SG_DP_DROP_END; c++)
		drops += s->cnt[c];
	if (tx != tx_seen[w] || rx + s->cnt[SG_DP_EV_HANDOFF_IN] + s->cnt[SG_DP_EV_GENERATED] +
						s->cnt[SG_DP_EV_RELEASED] !=
					tx + drops + s->cnt[SG_DP_EV_HANDOFF_OUT] +
						s->cnt[SG_DP_EV_CONSUMED] + s->cnt[SG_DP_EV_HELD]) {
		(void)fprintf(stderr,
			      "worker %u: rx %llu + handoff_in %llu != tx %llu + drops %llu + "
			      "handoff_out %llu + consumed %llu\n",
			      w, (unsigned long long)rx,
			      (unsigned long long)s->cnt[SG_DP_EV_HANDOFF_IN],
			      (unsigned long long)tx, (unsigned long long)drops,
			      (unsigned long long)s->cnt[SG_DP_EV_HANDOFF_OUT],
			      (unsigned long long)s->cnt[SG_DP_EV_CONSUMED]);
		abort();
	}
	if (sg_dp_worker_flow_count(env.w[w]) > 4096)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int w;

	if (size > RTE_MBUF_DEFAULT_DATAROOM)
		return -1;				/* one segment */
	fuzz_now += rte_get_tsc_hz() / 10 * (size % 8); /* time moves: flows expire */
	if (size >= SG_MSG_SIZE && (data[0] & 1)) {
		/* the same bytes as a message from sg-control */
		uint8_t msg[SG_MSG_SIZE];

		memcpy(msg, data, sizeof(msg));
		(void)rte_ring_enqueue_elem(from_ctl[0], msg, SG_MSG_SIZE);
	}
	for (w = 0; w < 2; w++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(env.mp);

		if (m == NULL)
			abort(); /* an mbuf leaked somewhere */
		if (size > 0)
			memcpy(rte_pktmbuf_append(m, (uint16_t)size), data, size);
		sg_dp_worker_process(env.w[w], env.t, (uint16_t)w, &m, 1, txq, fuzz_now);
		flush(w);
	}
	for (w = 0; w < 2; w++) {
		sg_dp_worker_handoff_drain(env.w[w], env.t, txq, fuzz_now);
		flush(w);
		sg_dp_worker_expire(env.w[w], env.t, fuzz_now, 64);
		sg_dp_worker_poll_control(env.w[w], env.t, txq, fuzz_now);
		flush(w);
		while (rte_ring_count(to_ctl[w]) > 32) { /* sg-control reads some */
			uint8_t msg[SG_MSG_SIZE];

			(void)rte_ring_dequeue_elem(to_ctl[w], msg, SG_MSG_SIZE);
		}
	}
	for (w = 0; w < 2; w++)
		check_doors(w);
	if (rte_mempool_in_use_count(env.mp) != 0)
		abort(); /* an mbuf did not leave through a door */
	return 0;
}
