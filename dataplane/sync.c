/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state-sync channel of sg-dataplane (doc/dataplane.md, "State sync:
 * the channel"; format include/sessiongate/sg_sync.h): set-up at start
 * when appliance.cluster.sync is on, one control thread, clean shut-down.
 *
 * The thread sleeps in poll() on its UDP socket (SG_DP_SYNC_POLL_MS when
 * idle) and on each pass: reads the peers' datagrams (sync_rx.c), drains
 * the workers' sync_out rings into batches (sync_tx.c), flushes a batch
 * SG_DP_SYNC_FLUSH_US old, and runs its timers: HELLO every second, a
 * peer down after SG_DP_SYNC_DOWN_MS of silence, the start-up dump.
 *
 * Start-up dump and readiness: the thread asks every peer for a full dump
 * (DUMP_REQ, again every SG_DP_SYNC_DUMP_RETRY_MS); the appliance is ready
 * once a peer's DUMP_DONE arrived and the workers took every record
 * (their sync_in rings are empty), or after dump_wait_ms when no peer
 * answered at all (the first appliance up), or after
 * SG_DP_SYNC_DUMP_HARD_FACTOR times that when a peer answers but never
 * finishes. /sg/cluster says which (ready_reason).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_cycles.h>
#include <rte_lcore.h>

#include "app.h"
#include "sync.h"

/* Socket buffers: a few hundred ms of datagrams at the default rate. */
#define SYNC_SOCKBUF (4 << 20)

static void
sync_defaults(struct sg_cfg_sync *c)
{
	if (c->port == 0)
		c->port = SG_CFG_SYNC_PORT;
	if (c->rate == 0)
		c->rate = SG_DP_SYNC_RATE_DEFAULT;
	if (c->queue == 0)
		c->queue = SG_DP_SYNC_QUEUE_DEFAULT;
	if (c->refresh_s == 0)
		c->refresh_s = SG_DP_SYNC_REFRESH_DEFAULT;
	if (c->dump_wait_ms == 0)
		c->dump_wait_ms = SG_DP_SYNC_DUMP_WAIT_DEFAULT;
	for (unsigned int i = 0; i < c->n_peers; i++)
		if (c->peers[i].port == 0)
			c->peers[i].port = SG_CFG_SYNC_PORT;
}

/* @p a:@p port as a socket address. */
static socklen_t
sockaddr_of(const struct sg_cfg_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = a->v4;
		return sizeof(*in);
	}
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	memcpy(&in6->sin6_addr, a->v6, 16);
	return sizeof(*in6);
}

static int
peers_setup(struct sg_dp_sync *s)
{
	for (unsigned int i = 0; i < s->cfg.n_peers; i++) {
		const struct sg_cfg_sync_peer *cp = &s->cfg.peers[i];
		struct sg_dp_sync_peer *p = &s->peer[i];

		if (cp->addr.family != s->cfg.listen.family) {
			SG_DP_LOG(ERR,
				  "appliance.cluster.sync.peers[%u] (%s): its address family is "
				  "not the one of sync.listen",
				  i, cp->name);
			return -EINVAL;
		}
		snprintf(p->name, sizeof(p->name), "%s", cp->name[0] ? cp->name : "peer");
		p->salen = sockaddr_of(&cp->addr, cp->port, &p->sa);
		inet_ntop(cp->addr.family,
			  cp->addr.family == AF_INET ? (const void *)&cp->addr.v4
						     : (const void *)cp->addr.v6,
			  p->addr_str, sizeof(p->addr_str));
	}
	s->n_peers = s->cfg.n_peers;
	return 0;
}

static int
rings_setup(struct sg_dp_sync *s)
{
	for (unsigned int w = 0; w < s->n_workers; w++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "sg_sync_out_%u", w);
		s->out[w] = rte_ring_create_elem(name, sizeof(struct sg_sync_rec), s->cfg.queue,
						 rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "sg_sync_in_%u", w);
		s->in[w] = rte_ring_create_elem(name, sizeof(struct sg_sync_rec), s->cfg.queue,
						rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (s->out[w] == NULL || s->in[w] == NULL) {
			SG_DP_LOG(ERR,
				  "sync: cannot create worker %u's rings of %u records: %s "
				  "(lower appliance.cluster.sync.queue or raise memory_mb)",
				  w, s->cfg.queue, rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	return 0;
}

static int
socket_setup(struct sg_dp_sync *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(&s->cfg.listen, s->cfg.port, &ss);
	int buf = SYNC_SOCKBUF;
	char addr[INET6_ADDRSTRLEN];

	s->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		SG_DP_LOG(ERR, "sync: socket: %s", strerror(errno));
		return -errno;
	}
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(s->fd, (struct sockaddr *)&ss, len) != 0) {
		int e = errno;

		inet_ntop(ss.ss_family,
			  ss.ss_family == AF_INET ? (const void *)&s->cfg.listen.v4
						  : (const void *)s->cfg.listen.v6,
			  addr, sizeof(addr));
		SG_DP_LOG(ERR,
			  "sync: cannot bind appliance.cluster.sync.listen %s port %u: %s (is the "
			  "address on the sync interface of this namespace?)",
			  addr, s->cfg.port, strerror(e));
		return -e;
	}
	return 0;
}

static int
sync_check(const struct sg_dp_app *app)
{
	const struct sg_cfg_cluster *cl = &app->cfg->appliance.cluster;

	if (cl->node_id == 0 || cl->node_id > SG_CFG_CLUSTER_NODE_MAX) {
		SG_DP_LOG(ERR, "appliance.cluster.node_id must be 1..%d when sync is enabled",
			  SG_CFG_CLUSTER_NODE_MAX);
		return -EINVAL;
	}
	if (cl->sync.listen.family != AF_INET && cl->sync.listen.family != AF_INET6) {
		SG_DP_LOG(ERR, "appliance.cluster.sync.listen is required when sync is enabled");
		return -EINVAL;
	}
	if (cl->sync.queue != 0 && !rte_is_power_of_2(cl->sync.queue)) {
		SG_DP_LOG(ERR, "appliance.cluster.sync.queue %u is not a power of two",
			  cl->sync.queue);
		return -EINVAL;
	}
	return 0;
}

int
sg_dp_sync_setup(struct sg_dp_app *app)
{
	const struct sg_cfg_cluster *cl = &app->cfg->appliance.cluster;
	struct sg_dp_sync *s;
	int rc;

	if (!cl->sync.enabled)
		return 0;
	rc = sync_check(app);
	if (rc != 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->fd = -1;
	app->sync = s;
	s->cfg = cl->sync;
	sync_defaults(&s->cfg);
	s->node_id = cl->node_id;
	s->n_workers = app->n_workers;
	/* the start time orders a peer's boots: a restart is always larger */
	s->boot = (uint32_t)time(NULL);
	s->rec_cost = RTE_MAX(UINT64_C(1), rte_get_tsc_hz() / s->cfg.rate);
	s->burst_tsc =
		rte_get_tsc_hz() / 1000 * SG_DP_SYNC_BURST_MS + s->rec_cost * SG_SYNC_REC_MAX;
	rc = sg_dp_sync_key_load(s, s->cfg.key_file);
	if (rc == 0)
		rc = peers_setup(s);
	if (rc == 0)
		rc = rings_setup(s);
	if (rc == 0)
		rc = socket_setup(s);
	if (rc != 0)
		return rc;
	SG_DP_LOG(NOTICE, "sync: node %u, %u peers, port %u, rate %u records/s, queue %u",
		  s->node_id, s->n_peers, s->cfg.port, s->cfg.rate, s->cfg.queue);
	return 0;
}

void
sg_dp_sync_worker_conf(struct sg_dp_app *app, unsigned int i, struct sg_dp_worker_conf *wc)
{
	struct sg_dp_sync *s = app->sync;

	wc->node_id = app->cfg->appliance.cluster.node_id;
	if (s == NULL)
		return;
	wc->sync_out = s->out[i];
	wc->sync_in = s->in[i];
	wc->sync_dump = &s->dump_id;
	wc->sync_refresh_s = s->cfg.refresh_s;
	wc->sync_dsr = s->cfg.dsr;
}

static void
ready_set(struct sg_dp_sync *s, enum sg_dp_sync_ready r, uint64_t now_ms)
{
	s->ready_ms = now_ms - s->start_ms;
	s->dump_state = r == SG_DP_READY_DUMP_DONE ? SG_DP_DUMP_DONE : SG_DP_DUMP_GAVE_UP;
	__atomic_store_n(&s->ready, r, __ATOMIC_RELEASE);
	SG_DP_LOG(NOTICE, "sync: ready (%s) %" PRIu64 " ms after start", sg_dp_sync_ready_name(r),
		  s->ready_ms);
}

static void
dump_request(struct sg_dp_sync *s, uint64_t now_ms)
{
	for (unsigned int i = 0; i < s->n_peers; i++)
		sg_dp_sync_send_ctl(s, &s->peer[i], SG_SYNC_T_DUMP_REQ, s->dump_req_id);
	s->dump_requested++;
	s->last_dump_req_ms = now_ms;
}

static bool
sync_in_empty(const struct sg_dp_sync *s)
{
	for (unsigned int w = 0; w < s->n_workers; w++)
		if (!rte_ring_empty(s->in[w]))
			return false;
	return true;
}

/* The start-up dump: retries, readiness. */
static void
dump_timer(struct sg_dp_sync *s, uint64_t now_ms)
{
	uint64_t age = now_ms - s->start_ms;
	bool heard = false;

	for (unsigned int i = 0; i < s->n_peers; i++)
		heard |= s->peer[i].last_rx_ms != 0;
	if (s->dump_state == SG_DP_DUMP_DRAINING && sync_in_empty(s))
		ready_set(s, SG_DP_READY_DUMP_DONE, now_ms);
	else if (!heard && age >= s->cfg.dump_wait_ms)
		ready_set(s, SG_DP_READY_NO_PEER, now_ms);
	else if (age >= (uint64_t)s->cfg.dump_wait_ms * SG_DP_SYNC_DUMP_HARD_FACTOR)
		ready_set(s, SG_DP_READY_DUMP_TIMEOUT, now_ms);
	else if (s->dump_state == SG_DP_DUMP_REQUESTED &&
		 now_ms - s->last_dump_req_ms >= SG_DP_SYNC_DUMP_RETRY_MS)
		dump_request(s, now_ms);
}

/* A dump served that a worker never finished: abandoned, the peer asks again. */
static void
serve_timer(struct sg_dp_sync *s, uint64_t now_ms)
{
	if (s->serve_id == 0 || now_ms - s->serve_ms < SG_DP_SYNC_SERVE_MAX_MS)
		return;
	SG_DP_LOG(WARNING, "sync: dump %u abandoned: not every worker finished it in %d ms",
		  s->serve_id, SG_DP_SYNC_SERVE_MAX_MS);
	for (unsigned int i = 0; i < s->n_peers; i++)
		if (s->peer[i].dump_serving == s->serve_id)
			s->peer[i].dump_serving = 0;
	s->serve_id = 0;
	sg_dp_sync_serve_start(s);
}

static void
timers(struct sg_dp_sync *s, uint64_t now_ms)
{
	bool hello = now_ms - s->last_hello_ms >= SG_DP_SYNC_HELLO_MS;

	for (unsigned int i = 0; i < s->n_peers; i++) {
		struct sg_dp_sync_peer *p = &s->peer[i];

		if (hello)
			sg_dp_sync_send_ctl(s, p, SG_SYNC_T_HELLO, 0);
		if (p->up && now_ms - p->last_rx_ms >= SG_DP_SYNC_DOWN_MS) {
			p->up = false;
			SG_DP_LOG(WARNING, "sync: peer %s (%s) is down: nothing for %d ms", p->name,
				  p->addr_str, SG_DP_SYNC_DOWN_MS);
		}
	}
	if (hello)
		s->last_hello_ms = now_ms;
	if (s->ready == SG_DP_READY_WAITING)
		dump_timer(s, now_ms);
	serve_timer(s, now_ms);
}

static void *
sync_main(void *arg)
{
	struct sg_dp_sync *s = arg;
	struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
	bool busy = false;

	s->start_ms = sg_dp_sync_now_ms();
	if (s->n_peers == 0) {
		ready_set(s, SG_DP_READY_NO_PEER, s->start_ms);
	} else {
		s->dump_state = SG_DP_DUMP_REQUESTED;
		dump_request(s, s->start_ms);
	}
	while (!s->stop) {
		uint64_t now_tsc;
		uint64_t out_before = s->st.out_records;

		poll(&pfd, 1, busy ? 0 : SG_DP_SYNC_POLL_MS);
		busy = sg_dp_sync_receive(s) != 0;
		now_tsc = rte_get_tsc_cycles();
		sg_dp_sync_drain(s, now_tsc);
		sg_dp_sync_flush(s, now_tsc, false);
		timers(s, sg_dp_sync_now_ms());
		busy |= s->st.out_records != out_before;
	}
	sg_dp_sync_flush(s, rte_get_tsc_cycles(), true);
	return NULL;
}

int
sg_dp_sync_start(struct sg_dp_app *app)
{
	struct sg_dp_sync *s = app->sync;
	int rc;

	if (s == NULL)
		return 0;
	while (s->dump_req_id == 0)
		if (getrandom(&s->dump_req_id, sizeof(s->dump_req_id), 0) != sizeof(uint32_t))
			s->dump_req_id = s->boot;
	rc = rte_ctrl_thread_create(&s->thread, "sg-sync", NULL, sync_main, s);
	if (rc != 0) {
		SG_DP_LOG(ERR, "sync: cannot start its thread: %s", strerror(rc));
		return -rc;
	}
	s->thread_started = true;
	return 0;
}

void
sg_dp_sync_stop(struct sg_dp_app *app)
{
	struct sg_dp_sync *s = app->sync;

	if (s == NULL)
		return;
	if (s->thread_started) {
		s->stop = true;
		pthread_join(s->thread, NULL);
	}
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_lock(&app->ctl_lock); /* telemetry reads it under the lock */
	app->sync = NULL;
	pthread_mutex_unlock(&app->ctl_lock);
	for (unsigned int w = 0; w < s->n_workers; w++) {
		rte_ring_free(s->out[w]);
		rte_ring_free(s->in[w]);
	}
	free(s);
}
