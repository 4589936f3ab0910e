/* SPDX-License-Identifier: BSD-3-Clause */
/* Harness of the data-plane core unit tests (see dp_test.h). */
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dp_test.h"
#include "sessiongate/sg_msg.h"
#include "session/syncookie.h"

struct dp_env env;

void
dp_eal_init(const char *prog)
{
	dp_eal_init_mem(prog, 256);
}

void
dp_eal_init_mem(const char *prog, unsigned int mem_mb)
{
	char prefix[64], mem[16];
	char *argv[16];
	const char *huge;
	int argc = 0;

	(void)snprintf(prefix, sizeof(prefix), "--file-prefix=sgdp-ut%d", (int)getpid());
	argv[argc++] = (char *)(uintptr_t)prog;
	/* SG_DP_TEST_HUGE=1: hugepages, as the data plane runs (dp_flowperf's timings) */
	huge = getenv("SG_DP_TEST_HUGE");
	if (huge == NULL || strcmp(huge, "1") != 0)
		argv[argc++] = "--no-huge";
	(void)snprintf(mem, sizeof(mem), "%u", mem_mb);
	argv[argc++] = "-m";
	argv[argc++] = mem;
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-shconf";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = "-l";
	argv[argc++] = "0";
	argv[argc++] = prefix;
	argv[argc++] = "--log-level=lib.eal:error";
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		(void)fprintf(stderr, "%s: rte_eal_init failed: %s\n", prog,
			      rte_strerror(rte_errno));
		exit(1);
	}
	env.mp = rte_pktmbuf_pool_create("sgdp_ut", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	env.neigh = sg_dp_neigh_create(1024, SOCKET_ID_ANY);
	if (env.mp == NULL || env.neigh == NULL) {
		(void)fprintf(stderr, "%s: mbuf pool / neighbour table: %s\n", prog,
			      rte_strerror(rte_errno));
		exit(1);
	}
}

void
dp_eal_fini(void)
{
	sg_dp_neigh_free(env.neigh);
	rte_mempool_free(env.mp);
	rte_eal_cleanup();
}

uint64_t
now_s(double s)
{
	return (uint64_t)1000000000000ull + (uint64_t)(s * (double)rte_get_tsc_hz());
}

/* ---- configuration ---- */

void
cfg_addr(struct sg_cfg_addr *a, const char *text)
{
	char buf[64];
	char *slash;
	uint8_t b[16];

	memset(a, 0, sizeof(*a));
	(void)snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	pb_ip_parse(buf, b, &a->family);
	if (a->family == AF_INET)
		memcpy(&a->v4, b, 4);
	else
		memcpy(a->v6, b, 16);
	a->prefixlen =
		slash ? (uint8_t)strtoul(slash, NULL, 10) : (a->family == AF_INET ? 32 : 128);
}

static struct sg_cfg_pool *
pool(struct cfg_store *cs, const char *name)
{
	struct sg_cfg_pool *p = &cs->pools[cs->cfg.n_pools];

	(void)snprintf(p->name, sizeof(p->name), "%s", name);
	p->members = cs->members[cs->cfg.n_pools];
	cs->cfg.n_pools++;
	return p;
}

static struct sg_cfg_member *
member(struct sg_cfg_pool *p, const char *name, const char *addr, uint32_t weight)
{
	struct sg_cfg_member *m = &p->members[p->n_members++];

	memset(m, 0, sizeof(*m));
	(void)snprintf(m->name, sizeof(m->name), "%s", name);
	cfg_addr(&m->addr, addr);
	m->weight = weight;
	return m;
}

static struct sg_cfg_vs *
vs(struct cfg_store *cs, unsigned int idx, const char *name, const char *vip, uint16_t port,
   enum sg_cfg_proto proto, enum sg_cfg_mode mode, unsigned int pool_idx)
{
	struct sg_cfg_vs *v = &cs->vs[idx];

	memset(v, 0, sizeof(*v));
	(void)snprintf(v->name, sizeof(v->name), "%s", name);
	cfg_addr(&v->vip, vip);
	v->port = port;
	v->proto = proto;
	v->mode = mode;
	v->scheduler = SG_CFG_SCHED_MAGLEV;
	v->encap = SG_CFG_ENCAP_IPIP;
	v->pool = pool_idx;
	v->maglev_size = 65537;
	sg_cfg_brokered_defaults(&v->brokered);
	if (idx + 1 > cs->cfg.n_vs)
		cs->cfg.n_vs = idx + 1;
	return v;
}

struct cfg_store *
cfg_new(void)
{
	struct cfg_store *cs = calloc(1, sizeof(*cs));
	struct sg_cfg *c = &cs->cfg;
	struct sg_cfg_port *p;
	struct sg_cfg_pool *pl;
	struct sg_cfg_vs *v;

	c->vs = cs->vs;
	c->pools = cs->pools;
	c->appliance.n_ports = 2;
	p = &c->appliance.ports[0];
	(void)snprintf(p->name, sizeof(p->name), "outside");
	cfg_addr(&p->addr4, "198.18.2.2/24");
	cfg_addr(&p->addr6, "2001:2:0:2::2/64");
	cfg_addr(&p->gateway4, "198.18.2.1");
	cfg_addr(&p->gateway6, "2001:2:0:2::1");
	p->mtu = 1500;
	p = &c->appliance.ports[1];
	(void)snprintf(p->name, sizeof(p->name), "inside");
	cfg_addr(&p->addr4, "198.18.1.2/24");
	cfg_addr(&p->addr6, "2001:2:0:1::2/64");
	p->mtu = 1500;

	cfg_addr(&c->nat.addrs[0], "198.18.1.100");
	cfg_addr(&c->nat.addrs[1], "2001:2:0:1::100");
	c->nat.n_addrs = 2;
	c->nat.port_min = 1024;
	c->nat.port_max = 65535;

	pl = pool(cs, "one"); /* 0 */
	member(pl, "host1", "198.18.1.11", 1);
	pl = pool(cs, "one6"); /* 1 */
	member(pl, "host1-v6", "2001:2:0:1::11", 1);
	pl = pool(cs, "hosted"); /* 2 */
	cfg_addr(&member(pl, "vm1", "198.18.1.21", 1)->host, "198.18.1.200");
	pl = pool(cs, "zero"); /* 3 */
	member(pl, "z1", "198.18.1.31", 0);
	member(pl, "z2", "198.18.1.32", 0);
	pl = pool(cs, "dark"); /* 4 */
	member(pl, "d1", "198.18.1.99", 1);
	pl = pool(cs, "weighted"); /* 5 */
	member(pl, "w1", "198.18.1.41", 1);
	member(pl, "w2", "198.18.1.42", 2);
	member(pl, "w3", "198.18.1.43", 3);
	member(pl, "w4", "198.18.1.44", 4);
	pl = pool(cs, "one-5353"); /* 6 */
	member(pl, "host1", "198.18.1.11", 1)->port = 5353;
	pl = pool(cs, "v6under"); /* 7 */
	cfg_addr(&member(pl, "vm6", "198.18.1.22", 1)->host, "2001:2:0:1::200");

	vs(cs, VS_DSR_IPIP, "dsr-ipip", "198.18.10.1", 80, SG_CFG_PROTO_TCP, SG_CFG_MODE_DSR, 0);
	v = vs(cs, VS_DSR_GUE, "dsr-gue", "198.18.10.1", 5353, SG_CFG_PROTO_UDP, SG_CFG_MODE_DSR,
	       0);
	v->encap = SG_CFG_ENCAP_GUE;
	v->gue_port = 6080;
	vs(cs, VS_NAT_TCP, "nat-tcp", "198.18.10.2", 80, SG_CFG_PROTO_TCP, SG_CFG_MODE_NAT, 0);
	vs(cs, VS_NAT_UDP, "nat-udp", "198.18.10.2", 53, SG_CFG_PROTO_UDP, SG_CFG_MODE_NAT, 6);
	vs(cs, VS_V6_DSR, "v6-dsr", "2001:2:0:10::1", 80, SG_CFG_PROTO_TCP, SG_CFG_MODE_DSR, 1);
	vs(cs, VS_V6_NAT, "v6-nat", "2001:2:0:10::2", 80, SG_CFG_PROTO_TCP, SG_CFG_MODE_NAT, 1);
	vs(cs, VS_HOSTED, "hosted", "198.18.10.1", 443, SG_CFG_PROTO_TCP, SG_CFG_MODE_DSR, 2);
	vs(cs, VS_BROKERED, "brokered", "198.18.10.3", 80, SG_CFG_PROTO_TCP, SG_CFG_MODE_BROKERED,
	   0);
	vs(cs, VS_ZERO, "zero", "198.18.10.3", 81, SG_CFG_PROTO_TCP, SG_CFG_MODE_DSR, 3);
	vs(cs, VS_DARK, "dark", "198.18.10.4", 80, SG_CFG_PROTO_TCP, SG_CFG_MODE_DSR, 4);
	vs(cs, VS_WEIGHTED, "weighted", "198.18.10.5", 80, SG_CFG_PROTO_TCP, SG_CFG_MODE_DSR, 5);
	v = vs(cs, VS_LIMITED, "limited", "198.18.10.5", 81, SG_CFG_PROTO_TCP, SG_CFG_MODE_DSR, 5);
	v->max_flows = 2;
	vs(cs, VS_V4_IN_V6, "v4-in-v6", "198.18.10.1", 8080, SG_CFG_PROTO_TCP, SG_CFG_MODE_DSR, 7);
	return cs;
}

/* ---- environment ---- */

void
env_learn(uint16_t port, const char *ip, const char *mac)
{
	struct rte_ether_addr m;
	uint8_t a[16] = {0}, fam = 0;

	pb_ip_parse(ip, a, &fam);
	pb_mac_parse(mac, m.addr_bytes);
	assert_true(sg_dp_neigh_learn(env.neigh, port, fam, a, &m, now_s(0)));
}

static void
base_conf(struct sg_dp_worker_conf *wc, unsigned int i)
{
	memset(wc, 0, sizeof(*wc));
	wc->id = i;
	wc->n_workers = env.n_workers;
	wc->socket = SOCKET_ID_ANY;
	wc->flow_entries = env.flow_entries;
	wc->neigh = env.neigh;
	memcpy(wc->ports, env.ports, sizeof(wc->ports));
	wc->handoff[0] = env.ring[0];
	wc->handoff[1] = env.n_workers > 1 ? env.ring[1] : NULL;
	wc->member_mbox = i == 0 ? env.member_mbox : NULL;
}

int
env_enable_broker(unsigned int w, struct rte_ring *to_ctl, struct rte_ring *from_ctl,
		  const bool *ctl_up, const struct sg_dp_syncookie_secret *cookies,
		  uint32_t max_held)
{
	struct sg_dp_worker_conf wc;

	if (w >= env.n_workers)
		return -EINVAL;
	sg_dp_worker_free(env.w[w]);
	base_conf(&wc, w);
	wc.to_ctl = to_ctl;
	wc.from_ctl = from_ctl;
	wc.ctl_up = ctl_up;
	wc.dp_epoch = 0xabcd;
	wc.max_held = max_held;
	wc.hold_budget = 1 << 20;
	wc.pool = env.mp;
	wc.cookies = cookies;
	env.w[w] = sg_dp_worker_create(&wc);
	return env.w[w] == NULL ? -ENOMEM : 0;
}

int
env_setup(unsigned int n_workers, uint32_t flow_entries)
{
	char err[256];
	unsigned int i;
	int rc;

	memset(env.ports, 0, sizeof(env.ports));
	env.ports[0].present = env.ports[1].present = true;
	pb_mac_parse(MAC_PORT0, env.ports[0].mac.addr_bytes);
	pb_mac_parse(MAC_PORT1, env.ports[1].mac.addr_bytes);
	env.cs = cfg_new();
	rc = sg_dp_tables_build(&env.cs->cfg, NULL, env.ports, &env.t, err, sizeof(err));
	if (rc != 0) {
		print_error("tables: %s\n", err);
		return rc;
	}
	for (i = 0; i < n_workers; i++) {
		char name[32];

		(void)snprintf(name, sizeof(name), "sgdp_ut_ho%u", i);
		env.ring[i] = rte_ring_create(name, 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
		if (env.ring[i] == NULL)
			return -ENOMEM;
	}
	env.n_workers = n_workers;
	env.flow_entries = flow_entries;
	for (i = 0; i < n_workers; i++) {
		struct sg_dp_worker_conf wc;

		base_conf(&wc, i);
		env.w[i] = sg_dp_worker_create(&wc);
		if (env.w[i] == NULL)
			return -ENOMEM;
	}
	env_learn(0, "198.18.2.1", MAC_GW);
	env_learn(0, "2001:2:0:2::1", MAC_GW);
	env_learn(1, "198.18.1.11", MAC_HOST1);
	env_learn(1, "198.18.1.12", MAC_HOST2);
	env_learn(1, "198.18.1.200", MAC_UNDER);
	env_learn(1, "2001:2:0:1::11", MAC_HOST6);
	env_learn(1, "2001:2:0:1::200", MAC_UNDER);
	env_learn(1, "198.18.1.41", MAC_HOST1);
	env_learn(1, "198.18.1.42", MAC_HOST1);
	env_learn(1, "198.18.1.43", MAC_HOST1);
	env_learn(1, "198.18.1.44", MAC_HOST1);
	return 0;
}

int
env_rebuild(struct cfg_store *cs)
{
	struct sg_dp_tables *nt;
	char err[256];
	int rc;

	rc = sg_dp_tables_build(&cs->cfg, env.t, env.ports, &nt, err, sizeof(err));
	if (rc != 0) {
		print_error("rebuild: %s\n", err);
		return rc;
	}
	sg_dp_tables_free(env.t);
	env.t = nt;
	free(env.cs);
	env.cs = cs;
	return 0;
}

void
env_teardown(void)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct rte_mbuf *m;

		sg_dp_worker_free(env.w[i]);
		env.w[i] = NULL;
		while (env.ring[i] && rte_ring_dequeue(env.ring[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(env.ring[i]);
		env.ring[i] = NULL;
	}
	sg_dp_tables_free(env.t);
	env.t = NULL;
	free(env.cs);
	env.cs = NULL;
}

/* ---- running ---- */

struct rte_mbuf *
mbuf_from(const uint8_t *b, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(env.mp);
	char *d;

	assert_non_null(m);
	if (len > 0) {
		d = rte_pktmbuf_append(m, (uint16_t)len);
		assert_non_null(d);
		memcpy(d, b, len);
	}
	return m;
}

void
run_result_init(struct run_result *r)
{
	memset(r, 0, offsetof(struct run_result, before));
	r->before = calloc(1, sizeof(*r->before));
	r->after = calloc(1, sizeof(*r->after));
	assert_non_null(r->before);
	assert_non_null(r->after);
}

void
run_result_fini(struct run_result *r)
{
	free(r->before);
	free(r->after);
}

void
run_pkt(unsigned int worker, uint16_t port, const uint8_t *b, size_t len, struct run_result *r,
	uint64_t now)
{
	run_mbuf(worker, port, mbuf_from(b, len), r, now);
}

void
run_mbuf(unsigned int worker, uint16_t port, struct rte_mbuf *m, struct run_result *r, uint64_t now)
{
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	unsigned int p, total = 0;

	assert_non_null(q);
	memcpy(r->before, sg_dp_worker_stats(env.w[worker]), sizeof(*r->before));
	sg_dp_worker_process(env.w[worker], env.t, port, &m, 1, q, now);
	memcpy(r->after, sg_dp_worker_stats(env.w[worker]), sizeof(*r->after));
	r->out_port = -1;
	r->out_len = 0;
	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		unsigned int i;

		for (i = 0; i < q->n[p]; i++) {
			struct rte_mbuf *o = q->pkts[p][i];

			total++;
			r->out_port = (int)p;
			r->out_len = rte_pktmbuf_pkt_len(o);
			assert_true(r->out_len <= sizeof(r->out));
			memcpy(r->out, rte_pktmbuf_read(o, 0, (uint32_t)r->out_len, r->out),
			       r->out_len);
			if (total == 1) {
				r->first_port = r->out_port;
				r->first_len = r->out_len;
				memcpy(r->first, r->out, r->out_len);
			}
			rte_pktmbuf_free(o);
		}
	}
	sg_dp_worker_count_tx(env.w[worker], 0, NULL, 0, 0);
	sg_dp_worker_count_tx(env.w[worker], 1, NULL, 0, 0);
	r->n_out = total;
	assert_true(total <= (r->max_out > 0 ? r->max_out : 1));
	free(q);
}

void
assert_stats_delta(const struct sg_dp_stats *before, const struct sg_dp_stats *after,
		   const enum sg_dp_cnt *moved, unsigned int n)
{
	unsigned int c, i, bad = 0;

	for (c = 0; c < SG_DP_CNT_MAX; c++) {
		uint64_t want = 0, got = after->cnt[c] - before->cnt[c];

		for (i = 0; i < n; i++)
			want += moved[i] == c;
		if (got != want) {
			print_error("counter %s moved by %llu, expected %llu\n", sg_dp_cnt_name(c),
				    (unsigned long long)got, (unsigned long long)want);
			bad++;
		}
	}
	if (bad)
		fail_msg("%u counters off", bad);
}

void
assert_cnt_delta(const struct run_result *r, const enum sg_dp_cnt *moved, unsigned int n)
{
	assert_stats_delta(r->before, r->after, moved, n);
}

void
assert_drop(const struct run_result *r, enum sg_dp_cnt c, uint16_t port)
{
	assert_cnt_delta(r, &c, 1);
	assert_int_equal(r->out_port, -1);
	assert_int_equal(r->after->port[port].rx_pkts - r->before->port[port].rx_pkts, 1);
	assert_int_equal(r->after->port[port].drops - r->before->port[port].drops, 1);
}

void
assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	if (pb_diff(stderr, got, got_len, want, want_len) != 0)
		fail_msg("output differs from the expected packet");
}

struct run_result R;

int
dp_setup1(void **state)
{
	(void)state;
	run_result_init(&R);
	return env_setup(1, 1024);
}

int
dp_setup2(void **state)
{
	(void)state;
	run_result_init(&R);
	return env_setup(2, 1024);
}

int
dp_teardown(void **state)
{
	(void)state;
	env_teardown();
	run_result_fini(&R);
	return 0;
}

int
env_broker_start(const uint8_t key[16], uint32_t max_held, struct rte_ring **to_ctl,
		 struct rte_ring **from_ctl)
{
	static struct sg_dp_syncookie_secret cookies;
	static const bool up = true;
	static unsigned int n;
	char name[2][32];
	unsigned int i;

	if (sg_dp_syncookie_init(&cookies) != 0)
		return -1;
	sg_dp_syncookie_rotate(&cookies, key);
	for (i = 0; i < 2; i++) {
		(void)snprintf(name[i], sizeof(name[i]), "ut_br%u_%u", n, i);
		(i == 0 ? to_ctl : from_ctl)[0] = rte_ring_create_elem(
			name[i], SG_MSG_SIZE, 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	}
	n++;
	if (*to_ctl == NULL || *from_ctl == NULL)
		return -1;
	return env_enable_broker(0, *to_ctl, *from_ctl, &up, &cookies, max_held);
}

void
env_broker_stop(struct rte_ring *to_ctl, struct rte_ring *from_ctl)
{
	env_teardown();
	rte_ring_free(to_ctl);
	rte_ring_free(from_ctl);
}

size_t
na_frame(uint8_t *b, const char *dmac, const char *smac, const char *src, const char *dst)
{
	size_t off = pb_put_eth(b, dmac, smac, RTE_ETHER_TYPE_IPV6);
	uint8_t *ip = b + off, *icmp, fam;

	off += pb_put_ip6(ip, src, dst, IPPROTO_ICMPV6, 255, 32);
	icmp = b + off;
	memset(icmp, 0, 32);
	icmp[0] = 136;
	icmp[4] = 0x60; /* solicited, override */
	pb_ip_parse(src, icmp + 8, &fam);
	icmp[24] = 2; /* target link-layer address */
	icmp[25] = 1;
	pb_mac_parse(smac, icmp + 26);
	pb_fix_l4_csum(ip);
	return off + 32;
}

void
env_ctl_put(struct rte_ring *from_ctl, uint16_t type, uint64_t sid, const void *body,
	    size_t body_len)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.version = SG_MSG_VERSION;
	m.hdr.type = type;
	m.hdr.len = (uint16_t)(sizeof(m.hdr) + body_len);
	m.hdr.session_id = sid;
	memcpy(m.raw, body, body_len);
	assert_int_equal(rte_ring_enqueue_elem(from_ctl, &m, SG_MSG_SIZE), 0);
}
