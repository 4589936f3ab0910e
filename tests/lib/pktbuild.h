/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Packet builder of the C tests (unit and integration, with or without DPDK):
 * Ethernet (with an optional 802.1Q tag), ARP, IPv4, IPv6, TCP, UDP, ICMP
 * echo, IPv6 neighbour solicitation, IP-in-IP / GUE / IPv6-in-IPv6 tunnels,
 * checksums computed in full, address and MAC parsing, and a byte diff for
 * failed comparisons. Plain libc and the kernel's network headers only.
 *
 * Every builder writes at @p b (the caller's buffer, large enough) and returns
 * the number of bytes written. Addresses are text ("198.18.0.1", "2001:2::1",
 * "02:00:00:00:00:01"); a malformed literal is a bug of the test: the builder
 * prints it and aborts. Checksums follow RFC 768 / DPDK: a computed UDP
 * checksum of 0 is sent as 0xffff, a TCP or ICMP one stays 0.
 */
#ifndef PKTBUILD_H
#define PKTBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Ethernet header of a frame: destination, source, 802.1Q VLAN id (0: untagged). */
struct pb_eth {
	const char *dst;
	const char *src;
	uint16_t vlan;
};

/**
 * An IP tunnel around an inner packet: outer IPv4 or IPv6 (by the address),
 * IP-in-IP (protocol 4 or 41, by the inner packet's version) or, with
 * @c gue_dport set, GUE over UDP (variant 1: the inner packet follows the UDP
 * header). The outer UDP checksum is 0 over IPv4, computed over IPv6.
 */
struct pb_tunnel {
	const char *src;     /**< outer source */
	const char *dst;     /**< outer destination */
	uint16_t gue_sport;  /**< outer UDP source port (GUE only) */
	uint16_t gue_dport;  /**< outer UDP destination port; 0: IP-in-IP */
	uint32_t flow_label; /**< outer IPv6 flow label (20 bits) */
	uint8_t ipproto;     /**< IP-in-IP protocol; 0: by the inner packet's version */
};

/** Parse "xx:xx:xx:xx:xx:xx" into @p out. */
void pb_mac_parse(const char *text, uint8_t out[6]);

/** Parse an IPv4 or IPv6 address into @p out (16 bytes, zero-filled); @p family: AF_INET(6). */
void pb_ip_parse(const char *text, uint8_t out[16], uint8_t *family);

/** Ethernet header, no tag: 14 bytes. */
size_t pb_put_eth(uint8_t *b, const char *dst, const char *src, uint16_t type);

/** Ethernet header of @p l2, with its 802.1Q tag when l2->vlan is set: 14 or 18 bytes. */
size_t pb_put_l2(uint8_t *b, const struct pb_eth *l2, uint16_t type);

/** IPv4 header (20 bytes, id 0, no fragment bits) with its checksum; @p payload_len after it. */
size_t pb_put_ip4(uint8_t *b, const char *src, const char *dst, uint8_t proto, uint8_t ttl,
		  uint16_t payload_len);

/** IPv6 header (40 bytes, traffic class and flow label 0). */
size_t pb_put_ip6(uint8_t *b, const char *src, const char *dst, uint8_t proto, uint8_t hop,
		  uint16_t payload_len);

/**
 * TCP header (20 bytes, no options): sequence 0x01020304, acknowledgement
 * 0x01020305 when @p flags has ACK (else 0: an answer built so acknowledges
 * a SYN built so), window 65535, checksum 0.
 */
size_t pb_put_tcp(uint8_t *b, uint16_t sport, uint16_t dport, uint8_t flags);

/** UDP header (8 bytes), checksum 0; @p len covers header and payload. */
size_t pb_put_udp(uint8_t *b, uint16_t sport, uint16_t dport, uint16_t len);

/** Recompute the IPv4 header checksum of the header at @p ip. */
void pb_fix_ip4_csum(uint8_t *ip);

/**
 * Recompute the L4 checksum (TCP, UDP, ICMP, ICMPv6) of the IP packet at
 * @p ip, over the length its header gives (IPv6: no extension headers).
 */
void pb_fix_l4_csum(uint8_t *ip);

/** 0 when the IPv4 header checksum and the L4 checksum of the packet at @p ip are right. */
int pb_check_csums(const uint8_t *ip);

/**
 * An IP packet (IPv4 or IPv6, by @p src) carrying a TCP segment with @p flags
 * (see pb_put_tcp()) and @p len bytes of @p payload, checksums computed.
 */
size_t pb_ip_tcp(uint8_t *b, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		 uint8_t flags, uint8_t ttl, const void *payload, size_t len);

/** An IP packet (IPv4 or IPv6, by @p src, TTL 64) carrying a UDP datagram, checksums computed. */
size_t pb_ip_udp(uint8_t *b, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		 const void *payload, size_t len);

/** Outer headers of @p t followed by a copy of @p inner (which must not overlap @p b). */
size_t pb_put_tunnel(uint8_t *b, const struct pb_tunnel *t, const uint8_t *inner, size_t inner_len);

/** Ethernet (@p l2) around a copy of the IP packet @p ip; the EtherType follows its version. */
size_t pb_frame_ip(uint8_t *b, const struct pb_eth *l2, const uint8_t *ip, size_t len);

/** Ethernet (@p l2) around the tunnel @p t around a copy of @p inner. */
size_t pb_frame_tunnel(uint8_t *b, const struct pb_eth *l2, const struct pb_tunnel *t,
		       const uint8_t *inner, size_t inner_len);

/** Ethernet + IPv4 + TCP, @p payload bytes of 'x'. */
size_t pb_frame_tcp4(uint8_t *b, const struct pb_eth *l2, const char *src, const char *dst,
		     uint16_t sport, uint16_t dport, uint8_t flags, uint8_t ttl, size_t payload);

/** Ethernet + IPv4 (TTL 64) + UDP, @p payload bytes of 'u'. */
size_t pb_frame_udp4(uint8_t *b, const struct pb_eth *l2, const char *src, const char *dst,
		     uint16_t sport, uint16_t dport, size_t payload);

/** Ethernet + IPv6 + TCP, @p payload bytes of 'y'. */
size_t pb_frame_tcp6(uint8_t *b, const struct pb_eth *l2, const char *src, const char *dst,
		     uint16_t sport, uint16_t dport, uint8_t flags, uint8_t hop, size_t payload);

/** Ethernet + IPv4 + ICMP echo of @p type (id 0x1234, sequence 1), payload bytes 0, 1, 2... */
size_t pb_frame_icmp4_echo(uint8_t *b, const struct pb_eth *l2, const char *src, const char *dst,
			   uint8_t type, size_t payload);

/** Ethernet + IPv6 + ICMPv6 echo of @p type (id 0x5678, sequence 2), payload 0xa0, 0xa1... */
size_t pb_frame_icmp6_echo(uint8_t *b, const struct pb_eth *l2, const char *src, const char *dst,
			   uint8_t type, size_t payload);

/** ARP for IPv4 over Ethernet, from @p sha to @p eth_dst, padded to 60 bytes. */
size_t pb_frame_arp(uint8_t *b, uint16_t op, const char *sha, const char *sip, const char *tha,
		    const char *tip, const char *eth_dst);

/**
 * IPv6 neighbour solicitation for @p target from @p src to its solicited-node
 * multicast address, with a source link-layer option when @p slla is set;
 * the Ethernet source is @p slla, else @p eth_src.
 */
size_t pb_frame_ns(uint8_t *b, const char *eth_src, const char *src, const char *target,
		   const char *slla);

/** Hex dump of @p b on @p f, 16 bytes a line, under the title @p what. */
void pb_hexdump(FILE *f, const char *what, const uint8_t *b, size_t len);

/**
 * Compare @p got with @p want: 0 when equal, else print both as hex dumps and
 * the differing offsets on @p f and return -1.
 */
int pb_diff(FILE *f, const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len);

#endif /* PKTBUILD_H */
