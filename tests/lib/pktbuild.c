/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet builder of the C tests (see pktbuild.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktbuild.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_ARP	 0x0806
#define ETH_VLAN 0x8100
#define TCP_ACK	 0x10

static void __attribute__((noreturn)) bad_literal(const char *what, const char *text)
{
	(void)fprintf(stderr, "pktbuild: bad %s in test: %s\n", what, text);
	abort();
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- checksums (one's complement sums of big-endian 16-bit words) ---- */

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static size_t
l4_csum_off(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2;
}

/* Sum of the pseudo header (none for ICMP over IPv4) and the L4 bytes; sets *proto, *l4. */
static uint32_t
l4_sum(const uint8_t *ip, uint8_t *proto, size_t *l4_off)
{
	size_t hl, len;
	uint32_t sum = 0;

	if ((ip[0] >> 4) == 4) {
		hl = (ip[0] & 0xfu) * 4u;
		len = get16(ip + 2) - hl;
		*proto = ip[9];
		if (*proto != IPPROTO_ICMP)
			sum = csum_add(0, ip + 12, 8) + *proto + (uint32_t)len;
	} else {
		hl = 40;
		len = get16(ip + 4);
		*proto = ip[6];
		sum = csum_add(0, ip + 8, 32) + *proto + (uint32_t)len;
	}
	*l4_off = hl;
	return csum_add(sum, ip + hl, len);
}

void
pb_fix_ip4_csum(uint8_t *ip)
{
	size_t hl = (ip[0] & 0xfu) * 4u;

	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, hl)));
}

void
pb_fix_l4_csum(uint8_t *ip)
{
	size_t l4, off;
	uint8_t proto = (ip[0] >> 4) == 4 ? ip[9] : ip[6];
	uint16_t ck;

	off = ((ip[0] >> 4) == 4 ? (ip[0] & 0xfu) * 4u : 40u) + l4_csum_off(proto);
	put16(ip + off, 0);
	ck = (uint16_t)~csum_fold(l4_sum(ip, &proto, &l4));
	if (ck == 0 && proto == IPPROTO_UDP)
		ck = 0xffff;
	put16(ip + off, ck);
}

int
pb_check_csums(const uint8_t *ip)
{
	uint8_t proto;
	size_t l4;
	uint32_t sum;

	if ((ip[0] >> 4) == 4 && csum_fold(csum_add(0, ip, 20)) != 0xffff)
		return -1;
	sum = l4_sum(ip, &proto, &l4);
	if ((ip[0] >> 4) == 4 && proto == IPPROTO_UDP && get16(ip + l4 + 6) == 0)
		return 0;
	return csum_fold(sum) == 0xffff ? 0 : -1;
}

/* ---- addresses ---- */

void
pb_mac_parse(const char *text, uint8_t out[6])
{
	const char *p = text;
	unsigned int i;

	for (i = 0; i < 6; i++) {
		char *end;
		unsigned long v = strtoul(p, &end, 16);

		if (end == p || v > 0xff || (i < 5 && *end != ':') || (i == 5 && *end != '\0'))
			bad_literal("MAC", text);
		out[i] = (uint8_t)v;
		p = end + 1;
	}
}

void
pb_ip_parse(const char *text, uint8_t out[16], uint8_t *family)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1) {
		*family = AF_INET;
		return;
	}
	if (inet_pton(AF_INET6, text, out) == 1) {
		*family = AF_INET6;
		return;
	}
	bad_literal("address", text);
}

static bool
is_ip4(const char *text)
{
	uint8_t a[16], fam;

	pb_ip_parse(text, a, &fam);
	return fam == AF_INET;
}

/* ---- headers ---- */

size_t
pb_put_eth(uint8_t *b, const char *dst, const char *src, uint16_t type)
{
	pb_mac_parse(dst, b);
	pb_mac_parse(src, b + 6);
	put16(b + 12, type);
	return 14;
}

size_t
pb_put_l2(uint8_t *b, const struct pb_eth *l2, uint16_t type)
{
	if (l2->vlan == 0)
		return pb_put_eth(b, l2->dst, l2->src, type);
	pb_put_eth(b, l2->dst, l2->src, ETH_VLAN);
	put16(b + 14, l2->vlan & 0xfff);
	put16(b + 16, type);
	return 18;
}

size_t
pb_put_ip4(uint8_t *b, const char *src, const char *dst, uint8_t proto, uint8_t ttl,
	   uint16_t payload_len)
{
	uint8_t a[16], fam;

	memset(b, 0, 20);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)(20 + payload_len));
	b[8] = ttl;
	b[9] = proto;
	pb_ip_parse(src, a, &fam);
	memcpy(b + 12, a, 4);
	pb_ip_parse(dst, a, &fam);
	memcpy(b + 16, a, 4);
	pb_fix_ip4_csum(b);
	return 20;
}

size_t
pb_put_ip6(uint8_t *b, const char *src, const char *dst, uint8_t proto, uint8_t hop,
	   uint16_t payload_len)
{
	uint8_t fam;

	memset(b, 0, 40);
	b[0] = 0x60;
	put16(b + 4, payload_len);
	b[6] = proto;
	b[7] = hop;
	pb_ip_parse(src, b + 8, &fam);
	pb_ip_parse(dst, b + 24, &fam);
	return 40;
}

size_t
pb_put_tcp(uint8_t *b, uint16_t sport, uint16_t dport, uint8_t flags)
{
	/* an answer built with these acknowledges a SYN built with them (seq + 1) */
	static const uint8_t seq[4] = {0x01, 0x02, 0x03, 0x04}, ack[4] = {0x01, 0x02, 0x03, 0x05};

	memset(b, 0, 20);
	put16(b, sport);
	put16(b + 2, dport);
	memcpy(b + 4, seq, 4);
	if (flags & TCP_ACK)
		memcpy(b + 8, ack, 4);
	b[12] = 0x50;
	b[13] = flags;
	put16(b + 14, 65535);
	return 20;
}

size_t
pb_put_udp(uint8_t *b, uint16_t sport, uint16_t dport, uint16_t len)
{
	put16(b, sport);
	put16(b + 2, dport);
	put16(b + 4, len);
	put16(b + 6, 0);
	return 8;
}

/* ---- IP packets ---- */

static size_t
put_ip(uint8_t *b, const char *src, const char *dst, uint8_t proto, uint8_t ttl, size_t len)
{
	if (is_ip4(src))
		return pb_put_ip4(b, src, dst, proto, ttl, (uint16_t)len);
	return pb_put_ip6(b, src, dst, proto, ttl, (uint16_t)len);
}

/* IP + TCP/UDP; the payload is copied, or @p len bytes of @p fill when NULL. */
static size_t
ip_l4(uint8_t *b, uint8_t proto, const char *src, const char *dst, uint16_t sport, uint16_t dport,
      uint8_t flags, uint8_t ttl, const void *payload, size_t len, uint8_t fill)
{
	size_t l4 = proto == IPPROTO_TCP ? 20 : 8;
	size_t off = put_ip(b, src, dst, proto, ttl, l4 + len);

	if (proto == IPPROTO_TCP)
		pb_put_tcp(b + off, sport, dport, flags);
	else
		pb_put_udp(b + off, sport, dport, (uint16_t)(l4 + len));
	if (payload)
		memcpy(b + off + l4, payload, len);
	else
		memset(b + off + l4, fill, len);
	pb_fix_l4_csum(b);
	return off + l4 + len;
}

size_t
pb_ip_tcp(uint8_t *b, const char *src, const char *dst, uint16_t sport, uint16_t dport,
	  uint8_t flags, uint8_t ttl, const void *payload, size_t len)
{
	return ip_l4(b, IPPROTO_TCP, src, dst, sport, dport, flags, ttl, payload, len, 0);
}

size_t
pb_ip_udp(uint8_t *b, const char *src, const char *dst, uint16_t sport, uint16_t dport,
	  const void *payload, size_t len)
{
	return ip_l4(b, IPPROTO_UDP, src, dst, sport, dport, 0, 64, payload, len, 0);
}

size_t
pb_put_tunnel(uint8_t *b, const struct pb_tunnel *t, const uint8_t *inner, size_t inner_len)
{
	uint8_t iproto = t->ipproto		? t->ipproto
			 : (inner[0] >> 4) == 4 ? IPPROTO_IPIP
						: IPPROTO_IPV6;
	size_t ul = t->gue_dport ? 8 : 0;
	uint8_t proto = t->gue_dport ? IPPROTO_UDP : iproto;
	size_t off = put_ip(b, t->src, t->dst, proto, 64, ul + inner_len);
	bool v6 = off == 40;

	if (v6) {
		b[1] |= (uint8_t)((t->flow_label >> 16) & 0xf);
		b[2] = (uint8_t)(t->flow_label >> 8);
		b[3] = (uint8_t)t->flow_label;
	}
	if (ul)
		pb_put_udp(b + off, t->gue_sport, t->gue_dport, (uint16_t)(ul + inner_len));
	memcpy(b + off + ul, inner, inner_len);
	if (ul && v6)
		pb_fix_l4_csum(b);
	return off + ul + inner_len;
}

/* ---- frames ---- */

size_t
pb_frame_ip(uint8_t *b, const struct pb_eth *l2, const uint8_t *ip, size_t len)
{
	size_t off = pb_put_l2(b, l2, (ip[0] >> 4) == 4 ? ETH_IPV4 : ETH_IPV6);

	memcpy(b + off, ip, len);
	return off + len;
}

size_t
pb_frame_tunnel(uint8_t *b, const struct pb_eth *l2, const struct pb_tunnel *t,
		const uint8_t *inner, size_t inner_len)
{
	size_t off = pb_put_l2(b, l2, is_ip4(t->src) ? ETH_IPV4 : ETH_IPV6);

	return off + pb_put_tunnel(b + off, t, inner, inner_len);
}

size_t
pb_frame_tcp4(uint8_t *b, const struct pb_eth *l2, const char *src, const char *dst, uint16_t sport,
	      uint16_t dport, uint8_t flags, uint8_t ttl, size_t payload)
{
	size_t off = pb_put_l2(b, l2, ETH_IPV4);

	return off +
	       ip_l4(b + off, IPPROTO_TCP, src, dst, sport, dport, flags, ttl, NULL, payload, 'x');
}

size_t
pb_frame_udp4(uint8_t *b, const struct pb_eth *l2, const char *src, const char *dst, uint16_t sport,
	      uint16_t dport, size_t payload)
{
	size_t off = pb_put_l2(b, l2, ETH_IPV4);

	return off + ip_l4(b + off, IPPROTO_UDP, src, dst, sport, dport, 0, 64, NULL, payload, 'u');
}

size_t
pb_frame_tcp6(uint8_t *b, const struct pb_eth *l2, const char *src, const char *dst, uint16_t sport,
	      uint16_t dport, uint8_t flags, uint8_t hop, size_t payload)
{
	size_t off = pb_put_l2(b, l2, ETH_IPV6);

	return off +
	       ip_l4(b + off, IPPROTO_TCP, src, dst, sport, dport, flags, hop, NULL, payload, 'y');
}

/* ICMP / ICMPv6 echo: type, code 0, id, sequence, payload first + 0, 1, 2... */
static size_t
frame_echo(uint8_t *b, const struct pb_eth *l2, const char *src, const char *dst, uint8_t type,
	   size_t payload, uint16_t id, uint16_t seq, uint8_t first)
{
	bool v4 = is_ip4(src);
	size_t off = pb_put_l2(b, l2, v4 ? ETH_IPV4 : ETH_IPV6);
	uint8_t *ip = b + off;
	size_t i;

	off += put_ip(ip, src, dst, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, 64, 8 + payload);
	b[off] = type;
	b[off + 1] = 0;
	put16(b + off + 2, 0);
	put16(b + off + 4, id);
	put16(b + off + 6, seq);
	off += 8;
	for (i = 0; i < payload; i++)
		b[off + i] = (uint8_t)(first + i);
	pb_fix_l4_csum(ip);
	return off + payload;
}

size_t
pb_frame_icmp4_echo(uint8_t *b, const struct pb_eth *l2, const char *src, const char *dst,
		    uint8_t type, size_t payload)
{
	return frame_echo(b, l2, src, dst, type, payload, 0x1234, 1, 0);
}

size_t
pb_frame_icmp6_echo(uint8_t *b, const struct pb_eth *l2, const char *src, const char *dst,
		    uint8_t type, size_t payload)
{
	return frame_echo(b, l2, src, dst, type, payload, 0x5678, 2, 0xa0);
}

size_t
pb_frame_arp(uint8_t *b, uint16_t op, const char *sha, const char *sip, const char *tha,
	     const char *tip, const char *eth_dst)
{
	size_t off = pb_put_eth(b, eth_dst, sha, ETH_ARP);
	uint8_t a[16], fam;

	put16(b + off, 1);	      /* hardware: Ethernet */
	put16(b + off + 2, ETH_IPV4); /* protocol: IPv4 */
	b[off + 4] = 6;
	b[off + 5] = 4;
	put16(b + off + 6, op);
	pb_mac_parse(sha, b + off + 8);
	pb_ip_parse(sip, a, &fam);
	memcpy(b + off + 14, a, 4);
	pb_mac_parse(tha, b + off + 18);
	pb_ip_parse(tip, a, &fam);
	memcpy(b + off + 24, a, 4);
	off += 28;
	memset(b + off, 0, 60 - off); /* Ethernet minimum frame (without FCS) */
	return 60;
}

size_t
pb_frame_ns(uint8_t *b, const char *eth_src, const char *src, const char *target, const char *slla)
{
	uint8_t t[16], fam, *ip, *icmp;
	char dmac[32];
	size_t off, ilen = slla ? 32 : 24;

	pb_ip_parse(target, t, &fam);
	(void)snprintf(dmac, sizeof(dmac), "33:33:ff:%02x:%02x:%02x", t[13], t[14], t[15]);
	off = pb_put_eth(b, dmac, slla ? slla : eth_src, ETH_IPV6);
	ip = b + off;
	off += pb_put_ip6(ip, src, "::", IPPROTO_ICMPV6, 255, (uint16_t)ilen);
	/* destination: solicited-node multicast ff02::1:ffXX:XXXX */
	ip[24] = 0xff;
	ip[25] = 0x02;
	ip[35] = 0x01;
	ip[36] = 0xff;
	memcpy(ip + 37, t + 13, 3);
	icmp = b + off;
	memset(icmp, 0, ilen);
	icmp[0] = 135;
	memcpy(icmp + 8, t, 16);
	if (slla) {
		icmp[24] = 1;
		icmp[25] = 1;
		pb_mac_parse(slla, icmp + 26);
	}
	pb_fix_l4_csum(ip);
	return off + ilen;
}

/* ---- comparison ---- */

void
pb_hexdump(FILE *f, const char *what, const uint8_t *b, size_t len)
{
	size_t i;

	(void)fprintf(f, "%s (%zu bytes):", what, len);
	for (i = 0; i < len; i++)
		(void)fprintf(f, "%s%02x", i % 16 == 0 ? "\n  " : " ", b[i]);
	(void)fprintf(f, "\n");
}

int
pb_diff(FILE *f, const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	size_t i, n = got_len < want_len ? got_len : want_len, shown = 0;

	if (got_len == want_len && memcmp(got, want, got_len) == 0)
		return 0;
	pb_hexdump(f, "got", got, got_len);
	pb_hexdump(f, "want", want, want_len);
	if (got_len != want_len)
		(void)fprintf(f, "length: got %zu, want %zu\n", got_len, want_len);
	for (i = 0; i < n && shown < 16; i++) {
		if (got[i] == want[i])
			continue;
		(void)fprintf(f, "byte %zu (0x%zx): got %02x, want %02x\n", i, i, got[i], want[i]);
		shown++;
	}
	return -1;
}
