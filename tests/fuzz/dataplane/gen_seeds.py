#!/usr/bin/env python3
"""Write the seed corpus of fuzz_packet: valid frames of every path the
data plane serves (addresses of tests/unit/dataplane/dp_test.c)."""
import ipaddress
import os
import struct
import sys

PORT0 = bytes.fromhex("020000000001")
PORT1 = bytes.fromhex("020000000002")
GW = bytes.fromhex("020000000101")
HOST1 = bytes.fromhex("020000000311")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def a(x):
    return ipaddress.ip_address(x).packed


def eth(dst, src, t):
    return dst + src + struct.pack("!H", t)


def ip4(src, dst, proto, payload, ttl=64):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, ttl, proto, 0, a(src), a(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h, payload


def l4sum4(src, dst, proto, seg):
    return csum(a(src) + a(dst) + struct.pack("!BBH", 0, proto, len(seg)) + seg)


def l4sum6(src, dst, proto, seg):
    return csum(a(src) + a(dst) + struct.pack("!IxxxB", len(seg), proto) + seg)


def tcp(sport, dport, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 65535, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def with_sum(seg, off, s):
    return seg[:off] + struct.pack("!H", s) + seg[off + 2:]


def v4(src, dst, proto, seg, dmac=PORT0, smac=GW, ttl=64):
    off = {6: 16, 17: 6, 1: 2}[proto]
    s = csum(seg) if proto == 1 else l4sum4(src, dst, proto, seg)
    seg = with_sum(seg, off, s)
    h, p = ip4(src, dst, proto, seg, ttl)
    return eth(dmac, smac, 0x0800) + h + p


def v6(src, dst, proto, seg, hop=64, dmac=PORT0, smac=GW):
    off = {6: 16, 17: 6, 58: 2}[proto]
    seg = with_sum(seg, off, l4sum6(src, dst, proto, seg))
    h = struct.pack("!IHBB16s16s", 6 << 28, len(seg), proto, hop, a(src), a(dst))
    return eth(dmac, smac, 0x86DD) + h + seg


def arp(op, sha, sip, tip):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, a(sip), b"\0" * 6, a(tip))
    f = eth(b"\xff" * 6, sha, 0x0806) + body
    return f + b"\0" * (60 - len(f))


def ns(src, target):
    t = a(target)
    dst = "ff02::1:ff" + t[13:].hex()[:2] + ":" + t[14:].hex()
    body = struct.pack("!BBHI", 135, 0, 0, 0) + t + struct.pack("!BB6s", 1, 1, GW)
    return v6(src, dst, 58, body, hop=255, dmac=b"\x33\x33\xff" + t[13:])


seeds = {
    "dsr_syn": v4("198.18.0.50", "198.18.10.1", 6, tcp(40000, 80, 0x02)),
    "dsr_ack": v4("198.18.0.50", "198.18.10.1", 6, tcp(40000, 80, 0x10, b"GET / HTTP/1.0\r\n\r\n")),
    "dsr_fin": v4("198.18.0.50", "198.18.10.1", 6, tcp(40000, 80, 0x11)),
    "gue_udp": v4("198.18.0.50", "198.18.10.1", 17, udp(5000, 5353, b"query")),
    "nat_syn": v4("198.18.0.50", "198.18.10.2", 6, tcp(40000, 80, 0x02)),
    "nat_udp": v4("198.18.0.50", "198.18.10.2", 17, udp(5000, 53, b"q")),
    "nat_return": v4("198.18.1.11", "198.18.1.100", 6, tcp(80, 1024, 0x12), dmac=PORT1, smac=HOST1),
    "nat_return_odd": v4("198.18.1.11", "198.18.1.100", 6, tcp(80, 1025, 0x12), dmac=PORT1, smac=HOST1),
    "v6_dsr": v6("2001:2:0:99::50", "2001:2:0:10::1", 6, tcp(40000, 80, 0x02)),
    "v6_nat": v6("2001:2:0:99::50", "2001:2:0:10::2", 6, tcp(40000, 80, 0x02)),
    "icmp_echo": v4("198.18.0.50", "198.18.10.1", 1, struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping"),
    "icmp6_echo": v6("2001:2:0:99::50", "2001:2:0:10::1", 58, struct.pack("!BBHHH", 128, 0, 0, 1, 1) + b"ping"),
    "arp_request": arp(1, GW, "198.18.2.1", "198.18.10.1"),
    "arp_reply": arp(2, bytes.fromhex("020000000277"), "198.18.2.77", "198.18.2.2"),
    "nd_ns": ns("2001:2:0:2::1", "2001:2:0:10::1"),
}
big = v4("198.18.0.50", "198.18.10.1", 6, tcp(40001, 80, 0x10, b"x" * 1460))
seeds["dsr_big_df"] = big[:20] + b"\x40" + big[21:24] + b"\0\0" + big[26:]
h = bytearray(seeds["dsr_big_df"])
h[24:26] = struct.pack("!H", csum(bytes(h[14:34])))
seeds["dsr_big_df"] = bytes(h)
seeds["v6_big"] = v6("2001:2:0:99::50", "2001:2:0:10::1", 6, tcp(40001, 80, 0x10, b"y" * 1440))
vlan = seeds["dsr_syn"]
seeds["vlan_syn"] = vlan[:12] + b"\x81\x00\x00\x0a" + vlan[12:]

# IPv4 with protocol 58 (what the worker once took for IPv6 ND), TTL 255, ID 0xFFFF
for t in (135, 136):
    f = bytearray(v4("198.18.1.12", "198.18.1.2", 1, bytes([t]) + bytes(31), dmac=PORT1, smac=HOST1,
                     ttl=255))
    f[14 + 4:14 + 6] = b"\xff\xff"
    f[14 + 9] = 58
    f[14 + 10:14 + 12] = b"\0\0"
    f[14 + 10:14 + 12] = struct.pack("!H", csum(bytes(f[14:34])))
    seeds["nd_over_ipv4_%d" % t] = bytes(f)
seeds["icmp6_in_ipv6_short"] = v6("2001:2:0:99::50", "2001:2:0:10::1", 58, bytes([135, 0, 0, 0]) + bytes(4),
                                  hop=255)


def quote(frame):
    """The IP packet of @frame with 8 bytes of its L4 header (what an ICMP error quotes)."""
    ip = frame[14:]
    hl = 20 if ip[0] >> 4 == 4 else 40
    return ip[:hl + 8]


# ICMP errors quoting flows the seeds above create (frag-needed, time exceeded, too big)
ret4 = v4("198.18.10.2", "198.18.0.50", 6, tcp(80, 40000, 0x12))
ret_dsr = v4("198.18.10.1", "198.18.0.50", 6, tcp(80, 40000, 0x10))
ret6 = v6("2001:2:0:10::2", "2001:2:0:99::50", 6, tcp(80, 40000, 0x12))
fwd4 = v4("198.18.1.100", "198.18.1.11", 6, tcp(1024, 80, 0x02))
seeds["icmp_fragneeded_nat"] = v4("198.18.2.1", "198.18.10.2", 1,
                                  struct.pack("!BBHHH", 3, 4, 0, 0, 1280) + quote(ret4))
seeds["icmp_fragneeded_dsr"] = v4("198.18.2.1", "198.18.10.1", 1,
                                  struct.pack("!BBHHH", 3, 4, 0, 0, 1280) + quote(ret_dsr))
seeds["icmp_timeexc_nat"] = v4("198.18.2.1", "198.18.10.2", 1,
                               struct.pack("!BBHI", 11, 0, 0, 0) + quote(ret4))
seeds["icmp_fragneeded_nataddr"] = v4("198.18.1.1", "198.18.1.100", 1,
                                      struct.pack("!BBHHH", 3, 4, 0, 0, 1280) + quote(fwd4),
                                      dmac=PORT1, smac=HOST1)
seeds["icmp6_toobig_nat"] = v6("2001:2:0:2::1", "2001:2:0:10::2", 58,
                               struct.pack("!BBHI", 2, 0, 0, 1280) + quote(ret6))
# structured inputs (fuzz_packet.c): 0xa5, kind, type, code, port, rest
for kind in range(6 * 2):
    for t, c in ((3, 4), (11, 0), (2, 0), (135, 0), (136, 0), (0, 0), (8, 0), (128, 0), (5, 1)):
        seeds["struct_%d_%d_%d" % (kind, t, c)] = bytes([0xA5, kind, t, c, 0x9C, 0x40]) + bytes(range(48))

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus-packet")
os.makedirs(out, exist_ok=True)
for name, frame in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(frame)
print("%d seeds in %s" % (len(seeds), out))
