/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet fixtures through the real host datapath program
 * (bpf_prog_test_run_opts): each input packet is built from scratch, and
 * the expected output is built from scratch too (checksums computed in
 * full), so the program's incremental checksum updates are checked byte
 * for byte. Needs root (BPF): fails, never skips, without it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/pkt_cls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "datapath.h"
#include "pktbuild.h"
#include "sessiongate/sg_wire.h"

static int failures;

#define CHECK(cond, ...)                                                                \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                   \
			fprintf(stderr, "\n");                                          \
			failures++;                                                     \
		}                                                                       \
	} while (0)

/* ---- packets (tests/lib/pktbuild.h) ---- */

struct pkt {
	uint8_t b[2048];
	size_t len;
};

static const struct pb_eth l2 = {"02:00:00:00:00:01", "02:00:00:00:00:02", 0};

/* An inner IPv4 or IPv6 packet at @at: TCP (PSH|ACK) or UDP (checksum 0 if @zero_csum). */
static size_t
inner_ip(uint8_t *at, uint8_t proto, const char *src, uint16_t sport, const char *dst,
	 uint16_t dport, const char *payload, bool zero_csum)
{
	size_t n;

	if (proto == IPPROTO_TCP)
		return pb_ip_tcp(at, src, dst, sport, dport, 0x18, 64, payload, strlen(payload));
	n = pb_ip_udp(at, src, dst, sport, dport, payload, strlen(payload));
	if (zero_csum)
		memset(at + (at[0] >> 4 == 4 ? 20 : 40) + 6, 0, 2);
	return n;
}

/* IPIP: outer IPv4 (protocol 4, whatever the inner bytes are) around an inner packet. */
static void
ipip(struct pkt *p, const char *osrc, const char *odst, const struct pkt *in)
{
	const struct pb_tunnel t = {.src = osrc, .dst = odst, .ipproto = IPPROTO_IPIP};

	p->len = pb_frame_tunnel(p->b, &l2, &t, in->b, in->len);
}

static void
ip6ip6(struct pkt *p, const char *osrc, const char *odst, const struct pkt *in)
{
	const struct pb_tunnel t = {.src = osrc, .dst = odst, .ipproto = IPPROTO_IPV6};

	p->len = pb_frame_tunnel(p->b, &l2, &t, in->b, in->len);
}

static void
gue4(struct pkt *p, const char *osrc, const char *odst, uint16_t port, const struct pkt *in)
{
	const struct pb_tunnel t = {
		.src = osrc, .dst = odst, .gue_sport = 40000, .gue_dport = port};

	p->len = pb_frame_tunnel(p->b, &l2, &t, in->b, in->len);
}

/* A plain Ethernet frame around an IP packet. */
static void
plain(struct pkt *p, const struct pkt *in)
{
	p->len = pb_frame_ip(p->b, &l2, in->b, in->len);
}

/* ---- runner ---- */

static struct sg_ha_dp *dp;
static uint64_t ctr_before[SG_HA_CTR_MAX];

/* Run @in through a program; expect verdict, output (NULL: don't care), one counter +1. */
static void
run(const char *name, bool ingress, const struct pkt *in, int verdict, const struct pkt *want,
    unsigned int ctr)
{
	uint8_t out[2048];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->b, .data_size_in = (__u32)in->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	uint64_t after[SG_HA_CTR_MAX];
	int rc = bpf_prog_test_run_opts(sg_ha_dp_prog_fd(dp, ingress), &opts);

	CHECK(rc == 0, "%s: bpf_prog_test_run_opts: %s", name, strerror(errno));
	CHECK((int)opts.retval == verdict, "%s: verdict %d, want %d", name, (int)opts.retval,
	      verdict);
	if (want)
		CHECK(pb_diff(stderr, out, opts.data_size_out, want->b, want->len) == 0,
		      "%s: output differs", name);
	sg_ha_dp_counters(dp, after);
	for (unsigned int i = 0; i < SG_HA_CTR_MAX; i++) {
		uint64_t d = after[i] - ctr_before[i];

		CHECK(d == (i == ctr), "%s: counter %s moved by %llu", name, sg_ha_dp_ctr_name(i),
		      (unsigned long long)d);
	}
	memcpy(ctr_before, after, sizeof(after));
	fprintf(stderr, "ok: %s\n", name);
}

static void
ep(struct sg_ha_ep *e, int family, const char *addr, uint16_t port, uint8_t proto)
{
	memset(e, 0, sizeof(*e));
	e->family = (uint8_t)family;
	inet_pton(family == 4 ? AF_INET : AF_INET6, addr, e->addr);
	e->port = htons(port);
	e->proto = proto;
}

#define HOST4	"198.18.1.2"
#define APPL4	"198.18.0.1"
#define CLIENT4 "198.18.50.7"
#define VIP4	"198.18.100.1"
#define VM4	"198.18.2.10"
#define HOST6	"2001:2::1:2"
#define APPL6	"2001:2::1"
#define CLIENT6 "2001:2::50:7"
#define VIP6	"2001:2::100:1"
#define VM6	"2001:2::2:10"

int
main(void)
{
	struct sg_ha_bpf_cfg bcfg = {.gue_port = htons(SG_WIRE_GUE_PORT)};
	struct sg_ha_ep vip, vm, vipu, vmu, vip6, vm6;
	struct pkt in, inner, want, tmp;
	char pin[] = "/tmp/sgha-bpffs-XXXXXX";
	struct sg_ha_vstats st;
	int rc;

	if (geteuid() != 0) {
		fprintf(stderr, "FAIL: needs root (BPF programs, bpffs)\n");
		return 1;
	}
	if (mkdtemp(pin) == NULL || mount("bpf", pin, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "FAIL: cannot mount a bpffs on %s: %s\n", pin, strerror(errno));
		return 1;
	}
	inet_pton(AF_INET, HOST4, &bcfg.host4);
	inet_pton(AF_INET6, HOST6, bcfg.host6);
	rc = sg_ha_dp_open(pin, NULL, &bcfg, &dp);
	if (rc) {
		fprintf(stderr, "FAIL: sg_ha_dp_open: %s\n", strerror(-rc));
		umount(pin);
		rmdir(pin);
		return 1;
	}
	ep(&vip, 4, VIP4, 80, 6);
	ep(&vm, 4, VM4, 8080, 6);
	ep(&vipu, 4, VIP4, 53, 17);
	ep(&vmu, 4, VM4, 53, 17);
	ep(&vip6, 6, VIP6, 443, 6);
	ep(&vm6, 6, VM6, 8443, 6);
	CHECK(sg_ha_dp_vip_add(dp, &vip, &vm, 0) == 0, "vip_add v4 tcp");
	CHECK(sg_ha_dp_vip_add(dp, &vipu, &vmu, 0) == 0, "vip_add v4 udp");
	CHECK(sg_ha_dp_vip_add(dp, &vip6, &vm6, 0) == 0, "vip_add v6 tcp");
	CHECK(sg_ha_dp_vip_add(dp, &vip, &vm6, 0) == -EINVAL, "family mismatch refused");
	CHECK(sg_ha_dp_vip_count(dp) == 3, "3 entries");
	sg_ha_dp_counters(dp, ctr_before);

	/* 1. IPIP, TCP: decapsulate, VIP:80 -> VM:8080. */
	inner.len = inner_ip(inner.b, 6, CLIENT4, 33000, VIP4, 80, "GET / HTTP/1.0\r\n\r\n", false);
	ipip(&in, APPL4, HOST4, &inner);
	tmp.len = inner_ip(tmp.b, 6, CLIENT4, 33000, VM4, 8080, "GET / HTTP/1.0\r\n\r\n", false);
	plain(&want, &tmp);
	run("ipip tcp decap+rewrite", true, &in, TC_ACT_OK, &want, SG_HA_CTR_DECAP_IPIP);
	CHECK(sg_ha_dp_vip_stats(dp, &vip, &st) == 0 && st.rx_packets == 1 &&
		      st.rx_bytes == want.len,
	      "vstats rx %llu/%llu", (unsigned long long)st.rx_packets,
	      (unsigned long long)st.rx_bytes);

	/* 2. GUE, UDP with checksum; port unchanged (53 -> 53). */
	inner.len = inner_ip(inner.b, 17, CLIENT4, 5353, VIP4, 53, "query", false);
	gue4(&in, APPL4, HOST4, SG_WIRE_GUE_PORT, &inner);
	tmp.len = inner_ip(tmp.b, 17, CLIENT4, 5353, VM4, 53, "query", false);
	plain(&want, &tmp);
	run("gue udp decap+rewrite", true, &in, TC_ACT_OK, &want, SG_HA_CTR_DECAP_GUE);

	/* 3. GUE, UDP without checksum: stays 0. */
	inner.len = inner_ip(inner.b, 17, CLIENT4, 5353, VIP4, 53, "query", true);
	gue4(&in, APPL4, HOST4, SG_WIRE_GUE_PORT, &inner);
	tmp.len = inner_ip(tmp.b, 17, CLIENT4, 5353, VM4, 53, "query", true);
	plain(&want, &tmp);
	run("gue udp zero checksum", true, &in, TC_ACT_OK, &want, SG_HA_CTR_DECAP_GUE);

	/* 4. GUE, TCP inner (same VIP entry as IPIP). */
	inner.len = inner_ip(inner.b, 6, CLIENT4, 33001, VIP4, 80, "x", false);
	gue4(&in, APPL4, HOST4, SG_WIRE_GUE_PORT, &inner);
	tmp.len = inner_ip(tmp.b, 6, CLIENT4, 33001, VM4, 8080, "x", false);
	plain(&want, &tmp);
	run("gue tcp decap+rewrite", true, &in, TC_ACT_OK, &want, SG_HA_CTR_DECAP_GUE);

	/* 5. IPv6-in-IPv6. */
	inner.len = inner_ip(inner.b, 6, CLIENT6, 40000, VIP6, 443, "hello6", false);
	ip6ip6(&in, APPL6, HOST6, &inner);
	tmp.len = inner_ip(tmp.b, 6, CLIENT6, 40000, VM6, 8443, "hello6", false);
	plain(&want, &tmp);
	run("ip6ip6 tcp decap+rewrite", true, &in, TC_ACT_OK, &want, SG_HA_CTR_DECAP_IP6IP6);

	/* 6. Return path: VM:8080 -> client becomes VIP:80 -> client. */
	inner.len = inner_ip(inner.b, 6, VM4, 8080, CLIENT4, 33000, "HTTP/1.0 200 OK\r\n", false);
	plain(&in, &inner);
	tmp.len = inner_ip(tmp.b, 6, VIP4, 80, CLIENT4, 33000, "HTTP/1.0 200 OK\r\n", false);
	plain(&want, &tmp);
	run("return tcp rewrite", false, &in, TC_ACT_OK, &want, SG_HA_CTR_RETURN_REWRITE);
	CHECK(sg_ha_dp_vip_stats(dp, &vip, &st) == 0 && st.tx_packets == 1, "vstats tx");

	inner.len = inner_ip(inner.b, 6, VM6, 8443, CLIENT6, 40000, "reply6", false);
	plain(&in, &inner);
	tmp.len = inner_ip(tmp.b, 6, VIP6, 443, CLIENT6, 40000, "reply6", false);
	plain(&want, &tmp);
	run("return tcp6 rewrite", false, &in, TC_ACT_OK, &want, SG_HA_CTR_RETURN_REWRITE);

	/* Two VIPs to one VM service: each connection's replies leave from its VIP. */
	{
		struct sg_ha_ep vip2;

		ep(&vip2, 4, "198.18.100.2", 8000, 6);
		CHECK(sg_ha_dp_vip_add(dp, &vip2, &vm, 0) == 0, "vip_add second VIP");
		inner.len = inner_ip(inner.b, 6, CLIENT4, 33100, "198.18.100.2", 8000, "a", false);
		ipip(&in, APPL4, HOST4, &inner);
		tmp.len = inner_ip(tmp.b, 6, CLIENT4, 33100, VM4, 8080, "a", false);
		plain(&want, &tmp);
		run("second VIP decap+rewrite", true, &in, TC_ACT_OK, &want, SG_HA_CTR_DECAP_IPIP);
		inner.len = inner_ip(inner.b, 6, VM4, 8080, CLIENT4, 33100, "b", false);
		plain(&in, &inner);
		tmp.len = inner_ip(tmp.b, 6, "198.18.100.2", 8000, CLIENT4, 33100, "b", false);
		plain(&want, &tmp);
		run("reply leaves from the VIP the client used", false, &in, TC_ACT_OK, &want,
		    SG_HA_CTR_RETURN_REWRITE);
		inner.len = inner_ip(inner.b, 6, VM4, 8080, CLIENT4, 33000, "c", false);
		plain(&in, &inner);
		tmp.len = inner_ip(tmp.b, 6, VIP4, 80, CLIENT4, 33000, "c", false);
		plain(&want, &tmp);
		run("first connection still answers from the first VIP", false, &in, TC_ACT_OK,
		    &want, SG_HA_CTR_RETURN_REWRITE);
		CHECK(sg_ha_dp_vip_del(dp, &vip2) == 0, "vip_del second VIP");
	}

	/* A VIP with a device: bpf_redirect_neigh (verdict TC_ACT_REDIRECT), same rewrite. */
	{
		struct sg_ha_ep vip3;

		ep(&vip3, 4, "198.18.100.3", 80, 6);
		CHECK(sg_ha_dp_vip_add(dp, &vip3, &vm, 1) == 0, "vip_add with ifindex");
		inner.len = inner_ip(inner.b, 6, CLIENT4, 33200, "198.18.100.3", 80, "r", false);
		ipip(&in, APPL4, HOST4, &inner);
		tmp.len = inner_ip(tmp.b, 6, CLIENT4, 33200, VM4, 8080, "r", false);
		plain(&want, &tmp);
		run("redirect_neigh to the VM device", true, &in, TC_ACT_REDIRECT, &want,
		    SG_HA_CTR_DECAP_IPIP);
		CHECK(sg_ha_dp_vip_del(dp, &vip3) == 0, "vip_del redirect VIP");
	}

	/* Return traffic from another port of the VM is not touched. */
	inner.len = inner_ip(inner.b, 6, VM4, 22, CLIENT4, 33000, "ssh", false);
	plain(&in, &inner);
	run("return other port passes unchanged", false, &in, TC_ACT_OK, &in, SG_HA_CTR_PASS);

	/* 7. Not ours: plain TCP to the host, IPIP to another host, GUE to another port. */
	inner.len = inner_ip(inner.b, 6, CLIENT4, 1000, HOST4, 22, "ssh", false);
	plain(&in, &inner);
	run("plain to host passes", true, &in, TC_ACT_OK, &in, SG_HA_CTR_PASS);
	inner.len = inner_ip(inner.b, 6, CLIENT4, 33000, VIP4, 80, "x", false);
	ipip(&in, APPL4, "198.18.1.3", &inner);
	run("ipip to another host passes", true, &in, TC_ACT_OK, &in, SG_HA_CTR_PASS);
	gue4(&in, APPL4, HOST4, 6081, &inner);
	run("udp to another port passes", true, &in, TC_ACT_OK, &in, SG_HA_CTR_PASS);
	in.len = pb_put_eth(in.b, l2.dst, l2.src, 0x0806);
	memset(in.b + 14, 0, 28);
	in.len += 28;
	run("ARP passes unchanged", true, &in, TC_ACT_OK, &in, SG_HA_CTR_PASS);

	/* 8. Drops, each with its counter. */
	inner.len = inner_ip(inner.b, 6, CLIENT4, 33000, "198.18.100.9", 80, "x", false);
	ipip(&in, APPL4, HOST4, &inner);
	run("unknown VIP dropped", true, &in, TC_ACT_SHOT, NULL, SG_HA_CTR_DROP_NO_VIP);
	inner.len = inner_ip(inner.b, 6, CLIENT4, 33000, VIP4, 81, "x", false);
	ipip(&in, APPL4, HOST4, &inner);
	run("unknown VIP port dropped", true, &in, TC_ACT_SHOT, NULL, SG_HA_CTR_DROP_NO_VIP);
	inner.len = inner_ip(inner.b, 17, CLIENT4, 33000, VIP4, 80, "x", false);
	ipip(&in, APPL4, HOST4, &inner);
	run("VIP with other protocol dropped", true, &in, TC_ACT_SHOT, NULL, SG_HA_CTR_DROP_NO_VIP);

	inner.len = inner_ip(inner.b, 6, CLIENT4, 33000, VIP4, 80, "x", false);
	ipip(&in, APPL4, HOST4, &inner);
	in.len -= 15; /* cut into the inner TCP header */
	in.b[14 + 2] = 0;
	in.b[14 + 3] = (uint8_t)(in.len - 14); /* outer total length consistent */
	run("truncated inner dropped", true, &in, TC_ACT_SHOT, NULL, SG_HA_CTR_DROP_MALFORMED);

	ipip(&in, APPL4, HOST4, &inner);
	in.b[14 + 3] += 100; /* outer total length beyond the frame */
	run("outer length beyond frame dropped", true, &in, TC_ACT_SHOT, NULL,
	    SG_HA_CTR_DROP_MALFORMED);

	ipip(&in, APPL4, HOST4, &inner);
	in.b[14 + 20 + 3] += 1; /* inner total length beyond the frame */
	run("inner length beyond frame dropped", true, &in, TC_ACT_SHOT, NULL,
	    SG_HA_CTR_DROP_MALFORMED);

	ipip(&in, APPL4, HOST4, &inner);
	in.b[14 + 20] = 0x00; /* inner version 0 */
	run("inner not IP dropped", true, &in, TC_ACT_SHOT, NULL, SG_HA_CTR_DROP_MALFORMED);

	ipip(&in, APPL4, HOST4, &inner);
	in.b[14 + 20] = 0x44; /* inner IHL 4 (< 5) */
	run("inner IHL < 5 dropped", true, &in, TC_ACT_SHOT, NULL, SG_HA_CTR_DROP_MALFORMED);

	ipip(&in, APPL4, HOST4, &inner);
	in.b[14 + 6] = 0x20; /* MF */
	pb_fix_ip4_csum(in.b + 14);
	run("outer fragment dropped", true, &in, TC_ACT_SHOT, NULL, SG_HA_CTR_DROP_FRAGMENT);

	inner.len = inner_ip(inner.b, 6, CLIENT4, 33000, VIP4, 80, "x", false);
	inner.b[7] = 8; /* fragment offset 8 */
	ipip(&in, APPL4, HOST4, &inner);
	run("inner fragment dropped", true, &in, TC_ACT_SHOT, NULL, SG_HA_CTR_DROP_FRAGMENT);

	inner.len = pb_put_ip4(inner.b, CLIENT4, VIP4, IPPROTO_ICMP, 64, 8);
	memset(inner.b + 20, 0, 8);
	inner.len += 8;
	ipip(&in, APPL4, HOST4, &inner);
	run("inner ICMP dropped", true, &in, TC_ACT_SHOT, NULL, SG_HA_CTR_DROP_UNSUPPORTED);

	inner.len = inner_ip(inner.b, 6, CLIENT6, 40000, VIP6, 443, "x", false);
	gue4(&in, APPL4, HOST4, SG_WIRE_GUE_PORT, &inner);
	run("GUE v6-in-v4 dropped", true, &in, TC_ACT_SHOT, NULL, SG_HA_CTR_DROP_UNSUPPORTED);

	inner.len = inner_ip(inner.b, 6, CLIENT4, 33000, VIP4, 80, "x", false);
	ipip(&in, APPL4, HOST4, &inner);
	in.len = 14 + 20; /* outer only */
	in.b[14 + 3] = 20;
	run("IPIP without inner dropped", true, &in, TC_ACT_SHOT, NULL, SG_HA_CTR_DROP_MALFORMED);

	/* 9. Garbage after the outer header: never a crash, always one counter. */
	srand(42);
	for (int i = 0; i < 2000; i++) {
		uint64_t before[SG_HA_CTR_MAX], after[SG_HA_CTR_MAX], moved = 0;
		size_t n = 1 + (size_t)(rand() % 120);
		uint8_t out[2048];
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_out = out, .data_size_out = sizeof(out));

		for (size_t k = 0; k < n; k++)
			inner.b[k] = (uint8_t)rand();
		if (i % 2)
			inner.b[0] = 0x45;
		inner.len = n;
		if (i % 3 == 0)
			gue4(&in, APPL4, HOST4, SG_WIRE_GUE_PORT, &inner);
		else
			ipip(&in, APPL4, HOST4, &inner);
		o.data_in = in.b;
		o.data_size_in = (__u32)in.len;
		sg_ha_dp_counters(dp, before);
		rc = bpf_prog_test_run_opts(sg_ha_dp_prog_fd(dp, true), &o);
		sg_ha_dp_counters(dp, after);
		for (unsigned int c = 0; c < SG_HA_CTR_MAX; c++)
			moved += after[c] - before[c];
		CHECK(rc == 0 && moved == 1 && (o.retval == TC_ACT_SHOT || o.retval == TC_ACT_OK),
		      "garbage %d: rc %d verdict %u counters %llu", i, rc, o.retval,
		      (unsigned long long)moved);
	}
	sg_ha_dp_counters(dp, ctr_before);
	fprintf(stderr, "ok: 2000 garbage packets, each counted once\n");

	/* 10. Deleting an entry stops delivery. */
	CHECK(sg_ha_dp_vip_del(dp, &vip) == 0, "vip_del");
	CHECK(sg_ha_dp_vip_del(dp, &vip) == -ENOENT, "vip_del twice");
	inner.len = inner_ip(inner.b, 6, CLIENT4, 33000, VIP4, 80, "x", false);
	ipip(&in, APPL4, HOST4, &inner);
	run("deleted VIP dropped", true, &in, TC_ACT_SHOT, NULL, SG_HA_CTR_DROP_NO_VIP);

	sg_ha_dp_detach(dp);
	sg_ha_dp_close(dp);
	umount(pin);
	rmdir(pin);
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	fprintf(stderr, "all BPF fixtures passed\n");
	return 0;
}
