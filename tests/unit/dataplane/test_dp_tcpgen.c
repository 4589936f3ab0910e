/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP segment builders: SYN-ACK, ACK, RST, data (HTTP 503 / 307, FIN) as
 * in-place replies to parsed frames (IPv4, IPv6, with and without a VLAN
 * tag), and a SYN and a RST into an empty mbuf. Every field is checked and the
 * checksums are verified with DPDK's own functions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "session/tcpgen.h"

#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define FIN RTE_TCP_FIN_FLAG
#define RST RTE_TCP_RST_FLAG
#define PSH RTE_TCP_PSH_FLAG

static unsigned int in_use0;

struct view {
	const struct rte_ether_hdr *eh;
	uint16_t l2_len;
	const uint8_t *ip;
	const struct rte_tcp_hdr *th;
	const uint8_t *opt, *data;
	size_t opt_len, data_len;
};

/* Client frame: v4/v6, optional VLAN tag 0x0123, flags, payload bytes. */
static struct rte_mbuf *
client_frame(bool v6, bool vlan, uint8_t flags, size_t payload, struct sg_dp_pkt *p)
{
	uint8_t b[PKT_MAX], t[PKT_MAX];
	size_t n =
		v6 ? pb_frame_tcp6(b, L2_GW, CLIENT6, "2001:2:0:10::3", 40000, 443, flags, 60,
				   payload)
		   : pb_frame_tcp4(b, L2_GW, CLIENT4, "198.18.10.3", 40000, 80, flags, 60, payload);
	struct rte_mbuf *m;

	if (vlan) { /* insert 802.1Q after the MAC addresses */
		memcpy(t, b, 12);
		t[12] = 0x81;
		t[13] = 0x00;
		t[14] = 0x01;
		t[15] = 0x23;
		memcpy(t + 16, b + 12, n - 12);
		memcpy(b, t, n + 4);
		n += 4;
	}
	m = mbuf_from(b, n);
	assert_int_equal(sg_dp_pkt_parse(m, p), SG_DP_CNT_MAX);
	assert_int_equal(p->vlan, vlan);
	return m;
}

static void
view_of(struct rte_mbuf *m, bool v6, uint16_t l2_len, struct view *v)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t l3 = v6 ? 40 : 20, ip_len, doff;

	assert_int_equal(m->nb_segs, 1);
	v->eh = (const struct rte_ether_hdr *)d;
	v->l2_len = l2_len;
	v->ip = d + l2_len;
	v->th = (const struct rte_tcp_hdr *)(v->ip + l3);
	doff = (v->th->data_off >> 4) * 4u;
	v->opt = (const uint8_t *)(v->th + 1);
	v->opt_len = doff - 20;
	v->data = (const uint8_t *)v->th + doff;
	if (v6) {
		const struct rte_ipv6_hdr *h = (const struct rte_ipv6_hdr *)v->ip;

		assert_int_equal(ntohl(h->vtc_flow), 6u << 28);
		assert_int_equal(h->hop_limits, 64);
		assert_int_equal(h->proto, IPPROTO_TCP);
		ip_len = 40 + ntohs(h->payload_len);
		assert_int_equal(rte_ipv6_udptcp_cksum_verify(h, v->th), 0);
	} else {
		const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)v->ip;

		assert_int_equal(h->version_ihl, 0x45);
		assert_int_equal(h->time_to_live, 64);
		assert_int_equal(h->next_proto_id, IPPROTO_TCP);
		assert_int_equal(ntohs(h->fragment_offset), RTE_IPV4_HDR_DF_FLAG);
		assert_int_equal(rte_raw_cksum(h, 20), 0xffff);
		assert_int_equal(rte_ipv4_udptcp_cksum_verify(h, v->th), 0);
		ip_len = ntohs(h->total_length);
	}
	assert_int_equal(pb_check_csums(v->ip), 0);
	assert_int_equal(rte_pktmbuf_pkt_len(m), l2_len + ip_len);
	v->data_len = ip_len - l3 - doff;
}

/* Reply addressing: MACs, IPs and ports swapped; the VLAN tag kept. */
static void
assert_reply_addr(const struct view *v, bool v6, bool vlan)
{
	uint8_t mac[6], a[16], fam;

	pb_mac_parse(MAC_GW, mac);
	assert_memory_equal(v->eh->dst_addr.addr_bytes, mac, 6);
	pb_mac_parse(MAC_PORT0, mac);
	assert_memory_equal(v->eh->src_addr.addr_bytes, mac, 6);
	if (vlan) {
		const uint8_t *d = (const uint8_t *)v->eh;

		assert_int_equal(v->l2_len, 18);
		assert_memory_equal(d + 12, "\x81\x00\x01\x23", 4);
		assert_int_equal(d[16] << 8 | d[17],
				 v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	}
	pb_ip_parse(v6 ? "2001:2:0:10::3" : "198.18.10.3", a, &fam);
	assert_memory_equal(v->ip + (v6 ? 8 : 12), a, v6 ? 16 : 4);
	pb_ip_parse(v6 ? CLIENT6 : CLIENT4, a, &fam);
	assert_memory_equal(v->ip + (v6 ? 24 : 16), a, v6 ? 16 : 4);
	assert_int_equal(ntohs(v->th->src_port), v6 ? 443 : 80);
	assert_int_equal(ntohs(v->th->dst_port), 40000);
	assert_int_equal(v->th->tcp_urp, 0);
}

static int
setup(void **state)
{
	(void)state;
	in_use0 = rte_mempool_in_use_count(env.mp);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rte_mempool_in_use_count(env.mp) == in_use0 ? 0 : -1;
}

static void
test_synack(void **state)
{
	static const uint8_t want_opt[] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08,
					   0x0a, 0xaa, 0xbb, 0xcc, 0xdd, 0x01, 0x02,
					   0x03, 0x04, 0x01, 0x03, 0x03, 0x09};
	const struct sg_dp_tcp_opts o = {.mss = 1460,
					 .wscale = 9,
					 .has_wscale = true,
					 .sack_ok = true,
					 .has_ts = true,
					 .tsval = 0xaabbccdd,
					 .tsecr = 0x01020304};
	unsigned int c;

	(void)state;
	for (c = 0; c < 4; c++) {
		bool v6 = c & 1, vlan = c & 2;
		struct sg_dp_pkt p;
		struct rte_mbuf *m = client_frame(v6, vlan, SYN, 0, &p);
		struct view v;

		assert_int_equal(sg_dp_tcpgen_synack(m, &p, 0xcafef00d, 0x01020305, 29200, &o), 0);
		view_of(m, v6, p.l2_len, &v);
		assert_reply_addr(&v, v6, vlan);
		assert_int_equal(v.th->tcp_flags, SYN | ACK);
		assert_int_equal(ntohl(v.th->sent_seq), 0xcafef00d);
		assert_int_equal(ntohl(v.th->recv_ack), 0x01020305);
		assert_int_equal(ntohs(v.th->rx_win), 29200);
		assert_int_equal(v.opt_len, sizeof(want_opt));
		assert_memory_equal(v.opt, want_opt, sizeof(want_opt));
		assert_int_equal(v.data_len, 0);
		/* the reply parses as a valid frame */
		assert_int_equal(sg_dp_pkt_parse(m, &p), SG_DP_CNT_MAX);
		rte_pktmbuf_free(m);
	}
}

static void
test_ack_rst(void **state)
{
	unsigned int c;

	(void)state;
	for (c = 0; c < 4; c++) {
		bool v6 = c & 1, vlan = c & 2;
		struct sg_dp_pkt p;
		struct rte_mbuf *m = client_frame(v6, vlan, ACK, 100, &p);
		struct view v;

		assert_int_equal(sg_dp_tcpgen_ack(m, &p, 1000, 2000, 512), 0);
		view_of(m, v6, p.l2_len, &v);
		assert_reply_addr(&v, v6, vlan);
		assert_int_equal(v.th->tcp_flags, ACK);
		assert_int_equal(ntohl(v.th->sent_seq), 1000);
		assert_int_equal(ntohl(v.th->recv_ack), 2000);
		assert_int_equal(v.opt_len + v.data_len, 0); /* the 100 bytes are gone */
		rte_pktmbuf_free(m);

		/* RST to a segment with ACK: seq = its ack */
		m = client_frame(v6, vlan, ACK, 100, &p);
		assert_int_equal(sg_dp_tcpgen_rst(m, &p), 0);
		view_of(m, v6, p.l2_len, &v);
		assert_reply_addr(&v, v6, vlan);
		assert_int_equal(v.th->tcp_flags, RST);
		assert_int_equal(ntohl(v.th->sent_seq), 0x01020305);
		rte_pktmbuf_free(m);

		/* RST to a SYN: RST|ACK, ack = seq + 1 */
		m = client_frame(v6, vlan, SYN, 0, &p);
		assert_int_equal(sg_dp_tcpgen_rst(m, &p), 0);
		view_of(m, v6, p.l2_len, &v);
		assert_int_equal(v.th->tcp_flags, RST | ACK);
		assert_int_equal(ntohl(v.th->sent_seq), 0);
		assert_int_equal(ntohl(v.th->recv_ack), 0x01020305);
		rte_pktmbuf_free(m);
	}
}

static void
test_data_http(void **state)
{
	char body[512];
	size_t n;
	unsigned int c;

	(void)state;
	n = sg_dp_http_503(body, sizeof(body), 30);
	assert_string_equal(body, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 30\r\n"
				  "Content-Length: 0\r\nConnection: close\r\n\r\n");
	assert_int_equal(n, strlen(body));
	assert_int_equal(sg_dp_http_503(body, n, 30), 0); /* no room for the NUL */
	assert_int_equal(sg_dp_http_503(body, 10, 30), 0);
	for (c = 0; c < 4; c++) {
		bool v6 = c & 1, vlan = c & 2;
		struct sg_dp_pkt p;
		struct rte_mbuf *m = client_frame(v6, vlan, ACK, 10, &p);
		struct view v;

		n = sg_dp_http_503(body, sizeof(body), 30);
		assert_int_equal(sg_dp_tcpgen_data(m, &p, 0xfffffffe, 77, 1024,
						   (const uint8_t *)body, (uint16_t)n, true),
				 0);
		view_of(m, v6, p.l2_len, &v);
		assert_reply_addr(&v, v6, vlan);
		assert_int_equal(v.th->tcp_flags, ACK | PSH | FIN);
		assert_int_equal(ntohl(v.th->sent_seq), 0xfffffffe);
		assert_int_equal(ntohl(v.th->recv_ack), 77);
		assert_int_equal(v.data_len, n);
		assert_memory_equal(v.data, body, n);
		rte_pktmbuf_free(m);
	}
	/* 307 */
	n = sg_dp_http_307(body, sizeof(body), "http://198.18.1.11:8080/x", 25);
	assert_string_equal(body, "HTTP/1.1 307 Temporary Redirect\r\n"
				  "Location: http://198.18.1.11:8080/x\r\n"
				  "Content-Length: 0\r\nConnection: close\r\n\r\n");
	assert_int_equal(n, strlen(body));
	assert_int_equal(sg_dp_http_307(body, sizeof(body), "http://a/\r\nSet-Cookie: x", 24), 0);
	assert_int_equal(sg_dp_http_307(body, sizeof(body), "http://a b", 10), 0);
	assert_int_equal(sg_dp_http_307(body, sizeof(body), "", 0), 0);
	assert_int_equal(sg_dp_http_307(body, 40, "http://a/", 9), 0);
	{
		static char big[4096];

		memset(big, 'a', sizeof(big));
		assert_int_equal(sg_dp_http_307(body, sizeof(body), big, 2049), 0);
	}
}

static void
test_reply_chain_and_errors(void **state)
{
	struct sg_dp_pkt p;
	struct rte_mbuf *m = client_frame(false, false, ACK, 100, &p), *tail;
	static uint8_t huge[UINT16_MAX];
	struct view v;

	(void)state;
	tail = rte_pktmbuf_alloc(env.mp);
	assert_non_null(tail);
	assert_non_null(rte_pktmbuf_append(tail, 100));
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	assert_int_equal(sg_dp_tcpgen_ack(m, &p, 1, 2, 3), 0); /* tail freed */
	view_of(m, false, p.l2_len, &v);
	/* payload larger than the buffer */
	assert_int_equal(sg_dp_tcpgen_data(m, &p, 1, 2, 3, huge, sizeof(huge), false), -ENOSPC);
	/* not TCP */
	p.key.proto = IPPROTO_UDP;
	assert_int_equal(sg_dp_tcpgen_rst(m, &p), -EINVAL);
	rte_pktmbuf_free(m);
}

static void
test_syn(void **state)
{
	struct sg_dp_tcp_opts o = {.mss = 1460,
				   .wscale = 7,
				   .has_wscale = true,
				   .sack_ok = true,
				   .has_ts = true,
				   .tsval = 5,
				   .tsecr = 99};
	static const uint8_t want_opt[] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08,
					   0x0a, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00,
					   0x00, 0x00, 0x01, 0x03, 0x03, 0x07};
	struct rte_ether_addr smac, dmac;
	unsigned int v6;

	(void)state;
	pb_mac_parse(MAC_PORT1, smac.addr_bytes);
	pb_mac_parse(MAC_HOST1, dmac.addr_bytes);
	for (v6 = 0; v6 < 2; v6++) {
		struct sg_dp_flow_key k;
		struct rte_mbuf *m = rte_pktmbuf_alloc(env.mp);
		struct sg_dp_pkt p;
		struct view v;
		uint8_t fam;

		assert_non_null(m);
		memset(&k, 0, sizeof(k));
		pb_ip_parse(v6 ? "2001:2:0:1::100" : "198.18.1.100", k.src, &fam);
		pb_ip_parse(v6 ? "2001:2:0:1::11" : "198.18.1.11", k.dst, &k.family);
		k.sport = htons(33000);
		k.dport = htons(8080);
		k.proto = IPPROTO_TCP;
		assert_int_equal(sg_dp_tcpgen_syn(m, &smac, &dmac, &k, 0x89abcdef, 64240, &o), 0);
		view_of(m, v6, RTE_ETHER_HDR_LEN, &v);
		assert_memory_equal(v.eh->src_addr.addr_bytes, smac.addr_bytes, 6);
		assert_memory_equal(v.eh->dst_addr.addr_bytes, dmac.addr_bytes, 6);
		assert_memory_equal(v.ip + (v6 ? 8 : 12), k.src, v6 ? 16 : 4);
		assert_memory_equal(v.ip + (v6 ? 24 : 16), k.dst, v6 ? 16 : 4);
		assert_int_equal(ntohs(v.th->src_port), 33000);
		assert_int_equal(ntohs(v.th->dst_port), 8080);
		assert_int_equal(v.th->tcp_flags, SYN);
		assert_int_equal(ntohl(v.th->sent_seq), 0x89abcdef);
		assert_int_equal(ntohl(v.th->recv_ack), 0);
		assert_int_equal(ntohs(v.th->rx_win), 64240);
		assert_int_equal(v.opt_len, sizeof(want_opt));
		assert_memory_equal(v.opt, want_opt, sizeof(want_opt)); /* TSecr 0 in a SYN */
		assert_int_equal(sg_dp_pkt_parse(m, &p), SG_DP_CNT_MAX);
		/* not empty: refused */
		assert_int_equal(sg_dp_tcpgen_syn(m, &smac, &dmac, &k, 1, 1, NULL), -EINVAL);
		rte_pktmbuf_free(m);
		m = rte_pktmbuf_alloc(env.mp);
		assert_non_null(m);
		assert_int_equal(sg_dp_tcpgen_syn(m, &smac, &dmac, &k, 1, 1, NULL), 0);
		view_of(m, v6, RTE_ETHER_HDR_LEN, &v);
		assert_int_equal(v.opt_len, 0);
		rte_pktmbuf_free(m);
		m = rte_pktmbuf_alloc(env.mp);
		assert_non_null(m);
		k.family = 0;
		assert_int_equal(sg_dp_tcpgen_syn(m, &smac, &dmac, &k, 1, 1, NULL), -EINVAL);
		rte_pktmbuf_free(m);
	}
}

/* The other side's RST into an empty mbuf: RST only, the given seq, no ack, window 0, nothing else.
 */
static void
test_rst_to(void **state)
{
	struct rte_ether_addr smac, dmac;
	unsigned int v6;

	(void)state;
	pb_mac_parse(MAC_PORT0, smac.addr_bytes);
	pb_mac_parse(MAC_GW, dmac.addr_bytes);
	for (v6 = 0; v6 < 2; v6++) {
		struct sg_dp_flow_key k;
		struct rte_mbuf *m = rte_pktmbuf_alloc(env.mp);
		struct view v;
		uint8_t fam;

		assert_non_null(m);
		memset(&k, 0, sizeof(k));
		pb_ip_parse(v6 ? "2001:2:0:10::2" : "198.18.10.2", k.src, &fam);
		pb_ip_parse(v6 ? CLIENT6 : CLIENT4, k.dst, &k.family);
		k.sport = htons(80);
		k.dport = htons(40000);
		k.proto = IPPROTO_TCP;
		assert_int_equal(sg_dp_tcpgen_rst_to(m, &smac, &dmac, &k, 0xfedcba98), 0);
		view_of(m, v6, RTE_ETHER_HDR_LEN, &v);
		assert_memory_equal(v.eh->src_addr.addr_bytes, smac.addr_bytes, 6);
		assert_memory_equal(v.eh->dst_addr.addr_bytes, dmac.addr_bytes, 6);
		assert_memory_equal(v.ip + (v6 ? 8 : 12), k.src, v6 ? 16 : 4);
		assert_memory_equal(v.ip + (v6 ? 24 : 16), k.dst, v6 ? 16 : 4);
		assert_int_equal(ntohs(v.th->src_port), 80);
		assert_int_equal(ntohs(v.th->dst_port), 40000);
		assert_int_equal(v.th->tcp_flags, RST);
		assert_int_equal(ntohl(v.th->sent_seq), 0xfedcba98);
		assert_int_equal(ntohl(v.th->recv_ack), 0);
		assert_int_equal(v.th->rx_win, 0);
		assert_int_equal(v.opt_len, 0);
		assert_int_equal(v.data_len, 0);
		/* not empty: refused */
		assert_int_equal(sg_dp_tcpgen_rst_to(m, &smac, &dmac, &k, 1), -EINVAL);
		rte_pktmbuf_free(m);
	}
}

/* Both checksum fields of the IPv4 segment in @p m are what DPDK's functions give (issue 17). */
static void
assert_cksums_as_dpdk(const struct rte_mbuf *m)
{
	uint8_t f[PKT_MAX];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + m->l2_len);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)((uint8_t *)ip + m->l3_len);
	uint16_t ipc, tcpc;

	assert_true(rte_pktmbuf_data_len(m) <= sizeof(f));
	memcpy(f, rte_pktmbuf_mtod(m, const void *), rte_pktmbuf_data_len(m));
	ipc = ip->hdr_checksum;
	tcpc = th->cksum;
	ip->hdr_checksum = 0;
	th->cksum = 0;
	assert_int_equal(ipc, rte_ipv4_cksum(ip));
	assert_int_equal(tcpc, rte_ipv4_udptcp_cksum(ip, th));
}

/*
 * The IPv4 checksums summed as 32-bit words (tcpgen.c cksum4()) are
 * DPDK's, field for field: ACKs, data of every length 0..300 (odd ones
 * too), SYN-ACKs with every option set, RSTs, and every value of a 2-byte
 * payload (so every checksum value, 0x0000 and 0xffff's neighbours included).
 */
static void
test_cksum_as_dpdk(void **state)
{
	uint8_t data[300];
	struct sg_dp_pkt p;
	struct rte_mbuf *m;
	uint32_t x = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37 + 11);
	for (unsigned int len = 0; len <= sizeof(data); len++) {
		for (int vlan = 0; vlan < 2; vlan++) {
			x = x * 1103515245u + 12345u;
			m = client_frame(false, vlan, ACK, 0, &p);
			assert_int_equal(sg_dp_tcpgen_data(m, &p, x, ~x, (uint16_t)(x >> 7), data,
							   (uint16_t)len, (len & 1) != 0),
					 0);
			assert_cksums_as_dpdk(m);
			rte_pktmbuf_free(m);
		}
		m = client_frame(false, false, (uint8_t)(len & 1 ? SYN : ACK), 0, &p);
		assert_int_equal(sg_dp_tcpgen_rst(m, &p), 0);
		assert_cksums_as_dpdk(m);
		rte_pktmbuf_free(m);
	}
	for (unsigned int k = 0; k < 64; k++) {
		const struct sg_dp_tcp_opts o = {.mss = (uint16_t)(k & 1 ? 1460 + k : 0),
						 .has_ts = (k & 2) != 0,
						 .tsval = 0x01020304u * k,
						 .tsecr = ~k,
						 .sack_ok = (k & 4) != 0,
						 .has_wscale = (k & 8) != 0,
						 .wscale = (uint8_t)(k % 15)};

		m = client_frame(false, (k & 16) != 0, SYN, 0, &p);
		assert_int_equal(
			sg_dp_tcpgen_synack(m, &p, 0xcafef00d * k, k, (uint16_t)(k * 999), &o), 0);
		assert_cksums_as_dpdk(m);
		rte_pktmbuf_free(m);
	}
	for (uint32_t v = 0; v < 65536; v++) {
		uint8_t two[2] = {(uint8_t)(v >> 8), (uint8_t)v};

		m = client_frame(false, false, ACK, 0, &p);
		assert_int_equal(sg_dp_tcpgen_data(m, &p, 7, 9, 1000, two, 2, false), 0);
		assert_cksums_as_dpdk(m);
		rte_pktmbuf_free(m);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_synack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_chain_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_to, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cksum_as_dpdk, setup, teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
