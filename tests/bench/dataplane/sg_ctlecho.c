/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-ctlecho: the brokered-session benchmark's control path.
 *
 * A stand-in for sg-control with no work in it: it attaches the
 * shared-memory region sg-dataplane creates (appliance.control.shm,
 * include/sessiongate/sg_msg.h), and answers every SESSION_NEW on worker
 * w's dp->ctl ring at once with SESSION_INSTALL (NAT, IPv4, the VM address
 * given, port 80) on the same worker's ctl->dp ring. SESSION_CLOSED and
 * VS_STATS are counted and ignored; the usage SESSION_CLOSED carries is
 * summed (bytes each way, QoS drops). --rate-bps, --burst and --usage-s set
 * the INSTALL's QoS rate and usage interval (the adversarial qos-flood test). It beats
 * ctl_heartbeat every 50 ms (the data plane treats control as down after 3 s without a beat and
 * then sends no SESSION_NEW at all).
 *
 * No EAL: only the inline rte_ring_*_elem calls on the mapped region, as
 * sg-control does. Every element is checked with sg_msg_check() before it
 * is read. A full ctl->dp ring is retried (answers wait in a bounded
 * per-worker queue, the dp->ctl ring is not read meanwhile, so the data
 * plane sees back-pressure as ctl_ring_full); nothing is dropped silently.
 *
 * It busy-polls (--idle-sleep-us makes it sleep when it found nothing, for
 * machines where it shares a CPU), exits on SIGINT / SIGTERM, when the
 * region disappears or is re-created, or at --deadline, and prints its
 * counters as one JSON line.
 *
 *   sg-ctlecho --shm /NAME [--vm A] [--vms N] [--port P] [--wait S]
 *              [--deadline S] [--idle-sleep-us U] [--rate-bps R] [--burst B]
 *              [--usage-s S]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "sessiongate/sg_msg.h"
#include "sessiongate/sg_shm.h"

#define WORKERS_MAX  (SG_SHM_RINGS_MAX / 2)
#define BURST	     32
#define PENDING	     4096 /* answers waiting for ring space, per worker */
#define HB_NS	     (50ull * 1000 * 1000)
#define CHECK_NS     (100ull * 1000 * 1000)
#define SHM_SIZE_MAX (1ull << 30)

struct pending {
	struct sg_msg q[PENDING];
	uint32_t head;
	uint32_t n;
};

struct echo {
	const char *name;
	struct sg_shm_map map;
	struct sg_shm_hdr *hdr;
	uint64_t epoch;
	unsigned int workers;
	struct rte_ring *rx[WORKERS_MAX]; /* dp -> ctl */
	struct rte_ring *tx[WORKERS_MAX]; /* ctl -> dp */
	uint32_t tx_seq[WORKERS_MAX];
	struct pending *out[WORKERS_MAX];
	uint8_t vm[4];
	uint32_t vms;
	uint16_t port;
	uint32_t next_vm;
	uint32_t rate_bps, burst, usage_s; /* the INSTALL's QoS and usage interval */
	/* counters */
	uint64_t rx_msgs, news, closed, stats, other, invalid, wrong_worker;
	uint64_t installs, retries, ring_full_polls;
	uint64_t usage_msgs, closed_c2s, closed_s2c, closed_qos_dropped;
};

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double
parse_num(const char *what, const char *s, double min, double max)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "sg-ctlecho: --%s wants a number in %g..%g, not '%s'\n", what, min,
			max, s);
		exit(2);
	}
	return v;
}

static void
detach(struct echo *e)
{
	sg_shm_map_close(&e->map);
	e->hdr = NULL;
}

static int
attach(struct echo *e, char *why, size_t whylen)
{
	unsigned int n = 0;
	int rc;

	rc = sg_shm_map_open(&e->map, e->name, SHM_SIZE_MAX, why, whylen);
	if (rc < 0)
		return rc;
	e->hdr = e->map.base;
	rc = sg_shm_attach_rings(e->map.base, e->map.size, e->rx, e->tx, &n, why, whylen);
	if (rc < 0) {
		detach(e);
		return rc;
	}
	e->workers = n;
	e->epoch = e->hdr->epoch;
	return 0;
}

/* The region was removed or re-created (another data-plane start). */
static bool
region_gone(const struct echo *e)
{
	return sg_shm_map_replaced(&e->map, e->name) || e->hdr->epoch != e->epoch;
}

static void
make_install(struct echo *e, const struct sg_msg *in, struct sg_msg *m)
{
	uint32_t a;

	memset(m, 0, sizeof(*m));
	m->hdr.version = SG_MSG_VERSION;
	m->hdr.type = SG_MSG_SESSION_INSTALL;
	m->hdr.len = (uint16_t)(sizeof(m->hdr) + sizeof(m->install));
	m->hdr.worker = in->hdr.worker;
	m->hdr.session_id = in->hdr.session_id;
	m->install.mode = SG_MSG_INSTALL_NAT;
	m->install.family = 4;
	m->install.backend_port = e->port;
	memcpy(&a, e->vm, 4);
	a = htonl(ntohl(a) + e->next_vm);
	e->next_vm = e->next_vm + 1 == e->vms ? 0 : e->next_vm + 1;
	memcpy(m->install.backend_addr, &a, 4);
	memcpy(m->install.host_addr, &a, 4);
	m->install.rate_bps = e->rate_bps;
	m->install.burst_bytes = e->burst;
	m->install.usage_interval_s = e->usage_s;
}

/* Enqueue what waits for worker @p w; true when nothing is left waiting. */
static bool
flush(struct echo *e, unsigned int w)
{
	struct pending *p = e->out[w];

	while (p->n > 0) {
		uint32_t k = p->n < PENDING - p->head ? p->n : PENDING - p->head;
		uint32_t i, n;

		for (i = 0; i < k; i++)
			p->q[p->head + i].hdr.seq = e->tx_seq[w] + i;
		n = rte_ring_sp_enqueue_burst_elem(e->tx[w], &p->q[p->head], SG_MSG_SIZE, k, NULL);
		e->installs += n;
		e->tx_seq[w] += n;
		p->head = (p->head + n) % PENDING;
		p->n -= n;
		if (n < k) {
			e->retries++;
			return false;
		}
	}
	return true;
}

/* One pass over the workers: answers first, then new questions. */
static unsigned int
poll_once(struct echo *e, struct sg_msg *burst)
{
	unsigned int w, i, n, done = 0;

	for (w = 0; w < e->workers; w++) {
		struct pending *p = e->out[w];

		if (!flush(e, w) && p->n + BURST > PENDING) {
			/* back-pressure: read no more questions until answers fit */
			e->ring_full_polls++;
			continue;
		}
		n = rte_ring_sc_dequeue_burst_elem(e->rx[w], burst, SG_MSG_SIZE, BURST, NULL);
		done += n;
		e->rx_msgs += n;
		for (i = 0; i < n; i++) {
			const struct sg_msg *m = &burst[i];

			if (sg_msg_check(m, SG_MSG_SIZE) != 0) {
				e->invalid++;
				continue;
			}
			switch (m->hdr.type) {
			case SG_MSG_SESSION_NEW:
				if (m->hdr.worker != w) {
					e->wrong_worker++;
					continue;
				}
				e->news++;
				make_install(e, m, &p->q[(p->head + p->n) % PENDING]);
				p->n++;
				break;
			case SG_MSG_SESSION_CLOSED:
				e->closed++;
				e->closed_c2s += m->closed.bytes_c2s;
				e->closed_s2c += m->closed.bytes_s2c;
				e->closed_qos_dropped += m->closed.qos_dropped;
				break;
			case SG_MSG_SESSION_USAGE:
				e->usage_msgs++;
				break;
			case SG_MSG_VS_STATS:
				e->stats++;
				break;
			default:
				e->other++; /* not a dp -> ctl message */
				break;
			}
		}
		(void)flush(e, w);
	}
	return done;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sg-ctlecho --shm /NAME [--vm A] [--vms N] [--port P] [--wait S]\n"
			"                  [--deadline S] [--idle-sleep-us U] [--rate-bps R]\n"
			"                  [--burst B] [--usage-s S]\n");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"shm", required_argument, NULL, 's'},
		{"vm", required_argument, NULL, 'v'},
		{"vms", required_argument, NULL, 'n'},
		{"port", required_argument, NULL, 'p'},
		{"wait", required_argument, NULL, 'w'},
		{"deadline", required_argument, NULL, 'd'},
		{"idle-sleep-us", required_argument, NULL, 'i'},
		{"rate-bps", required_argument, NULL, 'r'},
		{"burst", required_argument, NULL, 'b'},
		{"usage-s", required_argument, NULL, 'u'},
		{NULL, 0, NULL, 0},
	};
	static struct sg_msg burst[BURST];
	static struct echo e;
	double wait_s = 30, deadline_s = 600;
	unsigned int idle_us = 0, w;
	uint64_t t_start, t_end, last_hb = 0, last_check = 0, t_attach;
	const char *exit_why = "signal";
	char why[160] = "";
	struct sigaction sa;
	int c, rc;

	e.vms = 1;
	e.port = 80;
	inet_pton(AF_INET, "198.18.1.11", e.vm);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			e.name = optarg;
			break;
		case 'v':
			if (inet_pton(AF_INET, optarg, e.vm) != 1) {
				fprintf(stderr, "sg-ctlecho: bad IPv4 address %s\n", optarg);
				return 2;
			}
			break;
		case 'n':
			e.vms = (uint32_t)parse_num("vms", optarg, 1, 65536);
			break;
		case 'p':
			e.port = (uint16_t)parse_num("port", optarg, 1, 65535);
			break;
		case 'w':
			wait_s = parse_num("wait", optarg, 0, 3600);
			break;
		case 'd':
			deadline_s = parse_num("deadline", optarg, 0.001, 86400);
			break;
		case 'i':
			idle_us = (unsigned int)parse_num("idle-sleep-us", optarg, 0, 1000000);
			break;
		case 'r':
			e.rate_bps = (uint32_t)parse_num("rate-bps", optarg, 0, UINT32_MAX);
			break;
		case 'b':
			e.burst = (uint32_t)parse_num("burst", optarg, 0, UINT32_MAX);
			break;
		case 'u':
			e.usage_s = (uint32_t)parse_num("usage-s", optarg, 0, 86400);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (e.name == NULL || e.name[0] != '/' || strchr(e.name + 1, '/') != NULL ||
	    strlen(e.name) > 255 || optind != argc) {
		usage();
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	t_start = now_ns();
	t_end = t_start + (uint64_t)(deadline_s * 1e9);
	/* The data plane creates the region when it starts: wait for it (magic last). */
	for (;;) {
		rc = attach(&e, why, sizeof(why));
		if (rc == 0)
			break;
		if (rc != -ENOENT && rc != -EAGAIN) {
			fprintf(stderr, "sg-ctlecho: %s: %s\n", e.name, why);
			return 1;
		}
		if (quit || now_ns() - t_start > (uint64_t)(wait_s * 1e9)) {
			fprintf(stderr, "sg-ctlecho: %s not there after %.1f s: %s\n", e.name,
				wait_s, why);
			return 1;
		}
		usleep(10000);
	}
	for (w = 0; w < e.workers; w++) {
		e.out[w] = calloc(1, sizeof(struct pending));
		if (e.out[w] == NULL) {
			fprintf(stderr, "sg-ctlecho: out of memory\n");
			return 1;
		}
	}
	t_attach = now_ns();
	fprintf(stderr, "sg-ctlecho: attached %s, epoch %#" PRIx64 ", %u workers, ring size %u\n",
		e.name, e.epoch, e.workers, e.hdr->ring_size);

	while (!quit) {
		uint64_t now = now_ns();

		if (now - last_hb >= HB_NS) {
			__atomic_fetch_add(&e.hdr->ctl_heartbeat, 1, __ATOMIC_RELAXED);
			last_hb = now;
		}
		if (now - last_check >= CHECK_NS) {
			last_check = now;
			if (region_gone(&e)) {
				exit_why = "region gone";
				break;
			}
			if (now > t_end) {
				exit_why = "deadline";
				break;
			}
		}
		if (poll_once(&e, burst) == 0 && idle_us > 0)
			usleep(idle_us);
	}
	{
		uint64_t waiting = 0;

		for (w = 0; w < e.workers; w++)
			waiting += e.out[w]->n;
		printf("{\"ctlecho\": true, \"exit\": \"%s\", \"workers\": %u, \"seconds\": %.3f, "
		       "\"rx_msgs\": %" PRIu64 ", \"session_new\": %" PRIu64
		       ", \"session_closed\": %" PRIu64 ", \"vs_stats\": %" PRIu64
		       ", \"other\": %" PRIu64 ", \"invalid\": %" PRIu64
		       ", \"wrong_worker\": %" PRIu64 ", \"installs\": %" PRIu64
		       ", \"ring_full_retries\": %" PRIu64 ", \"backpressure_polls\": %" PRIu64
		       ", \"unsent\": %" PRIu64 ", \"session_usage\": %" PRIu64
		       ", \"closed_bytes_c2s\": %" PRIu64 ", \"closed_bytes_s2c\": %" PRIu64
		       ", \"closed_qos_dropped\": %" PRIu64 "}\n",
		       exit_why, e.workers, (double)(now_ns() - t_attach) / 1e9, e.rx_msgs, e.news,
		       e.closed, e.stats, e.other, e.invalid, e.wrong_worker, e.installs, e.retries,
		       e.ring_full_polls, waiting, e.usage_msgs, e.closed_c2s, e.closed_s2c,
		       e.closed_qos_dropped);
		fflush(stdout);
	}
	detach(&e);
	for (w = 0; w < e.workers; w++)
		free(e.out[w]);
	return 0;
}
