"""The cases of the pcap replay test, as a table (Katran-fixture style).

Each case: a description, its input packet(s), the packet(s) the data plane
must send (an empty list: dropped), the counters it moves (checked against
/sg/stats after the run), and optionally a golden file for outputs that
cannot be computed here (the SYN cookie's MAC). Expected packets are built
from the addresses of appliance.yaml and the rules of doc/dataplane.md, not
from the data plane's code. Cases run in order through one worker, so the
NAT source ports are the allocator's first ones (nat.ports 20000-20999), in
each NAT address's own pool.
"""
import os
import re

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Ether, ICMPv6EchoReply, ICMPv6EchoRequest,
                       IPv6, IPv6ExtHdrHopByHop, Raw)

from flowhash import flow_hash


def _wire_define(name):
    """A constant of include/sessiongate/sg_wire.h, the one definition of the tunnel ports."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..",
                        "include", "sessiongate", "sg_wire.h")
    with open(path) as f:
        return int(re.search(r"#define\s+%s\s+(\d+)" % name, f.read()).group(1))


# appliance.yaml
DP_MAC = "02:70:63:61:70:00"  # net_pcap0's MAC (DPDK: "\x02pcap" + port index)
DP4, DP6 = "198.18.1.2", "2001:2:0:1::2"
GW4, GW6, GW_MAC = "198.18.1.1", "2001:2:0:1::1", "02:00:00:00:00:01"
NAT4, NAT6 = "198.18.1.100", "2001:2:0:1::100"
NAT_PORT0 = 20000
GUE_PORT = _wire_define("SG_WIRE_GUE_PORT")  # appliance.yaml: gue_port: 6080
VIP_DSR, VIP_NAT, VIP_BRK = "198.18.10.1", "198.18.10.2", "198.18.10.3"
VIP6_DSR, VIP6_NAT = "2001:2:0:10::1", "2001:2:0:10::2"
MEMBERS = {  # member -> its MAC (static neighbours, --test-neigh)
    "198.18.1.11": "02:00:00:00:01:11",  # dsr-ipip
    "198.18.1.12": "02:00:00:00:01:12",  # dsr-gue
    "198.18.1.13": "02:00:00:00:01:13",  # nat (port 8080)
    "198.18.1.14": "02:00:00:00:01:14",  # brokered (never reached here)
    "2001:2:0:1::11": "02:00:00:00:01:21",  # dsr6-ipip
    "2001:2:0:1::13": "02:00:00:00:01:23",  # nat6 (port 8080)
}
NEIGHBOURS = dict(MEMBERS, **{GW4: GW_MAC, GW6: GW_MAC})

# the outside world: clients behind the gateway, their frames from its MAC
CLI4, CLI6 = "198.18.2.10", "2001:2:0:2::10"
ASKER_MAC = "02:00:00:00:02:99"  # an on-link station asking for our address

# the client's brokered SYN (its options decide the cookie's MSS index and TSval)
BRK_ISN, BRK_TSVAL = 0x10203040, 0x00abcdef
BRK_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (BRK_TSVAL, 0)), ("WScale", 7)]
BRK_ISN2 = 0x0a0b0c0d  # the second brokered SYN: no options at all


def from_gw(l3):
    return Ether(src=GW_MAC, dst=DP_MAC) / l3


def out_to(mac, l3):
    return Ether(src=DP_MAC, dst=mac) / l3


def tcp4(src, dst, sport, dport, flags, seq=1000, ack=0, ttl=64, **kw):
    return IP(src=src, dst=dst, ttl=ttl, id=7, flags="DF", **kw) / TCP(
        sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=64240)


def tcp6(src, dst, sport, dport, flags, seq=1000, ack=0, hlim=64):
    return IPv6(src=src, dst=dst, hlim=hlim) / TCP(sport=sport, dport=dport, flags=flags,
                                                   seq=seq, ack=ack, window=64240)


def ipip4(member, inner, proto=4):
    """DSR IPIP with an IPv4 underlay: TTL 64, ID 0, DF clear, TOS copied."""
    tos = inner.tos if inner.version == 4 else inner.tc
    return out_to(MEMBERS[member], IP(src=DP4, dst=member, ttl=64, id=0, flags=0, tos=tos,
                                      proto=proto) / inner)


def ip6ip6(member, inner, h):
    """DSR IPIP with an IPv6 underlay: hop limit 64, flow label = flow hash."""
    return out_to(MEMBERS[member], IPv6(src=DP6, dst=member, hlim=64, tc=inner.tc,
                                        fl=h & 0xFFFFF, nh=41) / inner)


def gue4(member, inner, h):
    """GUE variant 1 over IPv4: UDP to gue_port, source port 0xc000 | hash, no checksum."""
    udp = UDP(sport=0xC000 | (h & 0x3FFF), dport=GUE_PORT, chksum=0)
    return out_to(MEMBERS[member], IP(src=DP4, dst=member, ttl=64, id=0, flags=0,
                                      tos=inner.tos) / udp / inner)


def nat_rewrite(l3, src, sport, dst, dport):
    """Full NAT: both addresses and ports, TTL / hop limit - 1, checksums redone."""
    p = l3.copy()
    p.src, p.dst = src, dst
    p[TCP].sport, p[TCP].dport = sport, dport
    if p.version == 4:
        p.ttl -= 1
        del p.chksum
    else:
        p.hlim -= 1
    del p[TCP].chksum
    return p


def nat_fwd(inner, member, mport, nat_addr, nat_port):
    """The client's packet, rewritten towards the member."""
    return out_to(MEMBERS[member], nat_rewrite(inner, nat_addr, nat_port, member, mport))


def nat_back(reply, vip, cli, cport):
    """The member's reply, rewritten back to the client through the gateway."""
    return out_to(GW_MAC, nat_rewrite(reply, vip, 80, cli, cport))


def member_frame(member, l3):
    return Ether(src=MEMBERS[member], dst=DP_MAC) / l3


def _bad_ihl():
    raw = bytearray(bytes(tcp4(CLI4, VIP_DSR, 40100, 80, "S")))
    raw[0] = 0x44  # IHL 4: shorter than the fixed header
    return Ether(src=GW_MAC, dst=DP_MAC, type=0x0800) / Raw(bytes(raw))


def _bad_csum():
    p = tcp4(CLI4, VIP_DSR, 40101, 80, "S")
    p.chksum = 0x1234
    return from_gw(p)


def _truncated():
    raw = bytes(from_gw(tcp4(CLI4, VIP_DSR, 40102, 80, "S")))
    return Ether(raw[:14 + 30])  # total_length says 40, the frame carries 30 bytes of IP


def _short_ip():
    return Ether(bytes(from_gw(tcp4(CLI4, VIP_DSR, 40103, 80, "S")))[:14 + 12])


def cases():
    """The table: list of dicts (desc, inp, out, counters[, golden])."""
    t = []

    def case(desc, inp, out, counters, golden=None):
        t.append({"desc": desc, "inp": inp, "out": out, "counters": counters,
                  "golden": golden})

    # ---- ARP / ICMP -------------------------------------------------------
    req = Ether(src=ASKER_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=ASKER_MAC, psrc="198.18.1.99", pdst=DP4)
    rep = Ether(src=DP_MAC, dst=ASKER_MAC) / ARP(
        op=2, hwsrc=DP_MAC, psrc=DP4, hwdst=ASKER_MAC, pdst="198.18.1.99")
    case("ARP request for the port's address -> reply", [req], [rep], {"arp_reply": 1})
    req = Ether(src=ASKER_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=ASKER_MAC, psrc="198.18.1.99", pdst=VIP_NAT)
    rep = Ether(src=DP_MAC, dst=ASKER_MAC) / ARP(
        op=2, hwsrc=DP_MAC, psrc=VIP_NAT, hwdst=ASKER_MAC, pdst="198.18.1.99")
    case("ARP request for a VIP -> reply", [req], [rep], {"arp_reply": 1})
    req = Ether(src=ASKER_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=ASKER_MAC, psrc="198.18.1.99", pdst="198.18.1.77")
    case("ARP request for someone else -> dropped", [req], [], {"drop_not_local": 1})

    echo = IP(src=CLI4, dst=VIP_DSR, ttl=60, id=99, flags="DF") / ICMP(id=0x77, seq=1) / (
        b"sessiongate-ping")
    back = IP(src=VIP_DSR, dst=CLI4, ttl=64, id=99, flags="DF") / ICMP(
        type=0, id=0x77, seq=1) / b"sessiongate-ping"
    case("ICMP echo to a VIP -> reply", [from_gw(echo)], [out_to(GW_MAC, back)],
         {"icmp_reply": 1})
    echo = IPv6(src=CLI6, dst=VIP6_DSR, hlim=60) / ICMPv6EchoRequest(id=0x66, seq=2,
                                                                     data=b"sg6")
    back = IPv6(src=VIP6_DSR, dst=CLI6, hlim=64) / ICMPv6EchoReply(id=0x66, seq=2, data=b"sg6")
    case("ICMPv6 echo to a VIP -> reply", [from_gw(echo)], [out_to(GW_MAC, back)],
         {"icmp_reply": 1})

    # ---- DSR --------------------------------------------------------------
    syn = tcp4(CLI4, VIP_DSR, 40000, 80, "S", seq=5000, tos=0x10)
    ack = tcp4(CLI4, VIP_DSR, 40000, 80, "A", seq=5001, ack=1, tos=0x10)
    case("DSR IPIP: client SYN and ACK -> encapsulated to the member",
         [from_gw(syn), from_gw(ack)],
         [ipip4("198.18.1.11", syn), ipip4("198.18.1.11", ack)], {"flow_new": 1})
    syn = tcp4(CLI4, VIP_DSR, 40001, 443, "S", seq=6000)
    ack = tcp4(CLI4, VIP_DSR, 40001, 443, "A", seq=6001, ack=1)
    h = flow_hash(4, CLI4, VIP_DSR, 40001, 443, 6)
    case("DSR GUE: client SYN and ACK -> UDP/6080 to the member",
         [from_gw(syn), from_gw(ack)],
         [gue4("198.18.1.12", syn, h), gue4("198.18.1.12", ack, h)], {"flow_new": 1})
    syn = tcp6(CLI6, VIP6_DSR, 40002, 80, "S", seq=7000)
    ack = tcp6(CLI6, VIP6_DSR, 40002, 80, "A", seq=7001, ack=1)
    h = flow_hash(6, CLI6, VIP6_DSR, 40002, 80, 6)
    case("DSR IPv6 IPIP: client SYN and ACK -> IPv6-in-IPv6 to the member",
         [from_gw(syn), from_gw(ack)],
         [ip6ip6("2001:2:0:1::11", syn, h), ip6ip6("2001:2:0:1::11", ack, h)],
         {"flow_new": 1})

    # ---- NAT --------------------------------------------------------------
    syn = tcp4(CLI4, VIP_NAT, 40003, 80, "S", seq=8000)
    sa = tcp4("198.18.1.13", NAT4, 8080, NAT_PORT0, "SA", seq=90000, ack=8001)
    case("NAT: client SYN -> member, member SYN-ACK -> client",
         [from_gw(syn), member_frame("198.18.1.13", sa)],
         [nat_fwd(syn, "198.18.1.13", 8080, NAT4, NAT_PORT0),
          nat_back(sa, VIP_NAT, CLI4, 40003)], {"flow_new": 1})
    syn = tcp6(CLI6, VIP6_NAT, 40004, 80, "S", seq=9000)
    sa = tcp6("2001:2:0:1::13", NAT6, 8080, NAT_PORT0, "SA", seq=91000, ack=9001)
    case("NAT IPv6: client SYN -> member, member SYN-ACK -> client",
         [from_gw(syn), member_frame("2001:2:0:1::13", sa)],
         [nat_fwd(syn, "2001:2:0:1::13", 8080, NAT6, NAT_PORT0),
          nat_back(sa, VIP6_NAT, CLI6, 40004)], {"flow_new": 1})
    ack = tcp4(CLI4, VIP_NAT, 40005, 80, "A", seq=1, ack=1)
    case("NAT: ACK without a flow -> dropped", [from_gw(ack)], [], {"drop_no_flow": 1})

    # ---- brokered (golden: the cookie's MAC cannot be computed here) ------
    syn = IP(src=CLI4, dst=VIP_BRK, ttl=64, id=7, flags="DF") / TCP(
        sport=40006, dport=80, flags="S", seq=BRK_ISN, window=64240, options=BRK_OPTS)
    case("brokered: client SYN (MSS, SACK, TS, WS) -> SYN-ACK with a SYN cookie",
         [from_gw(syn)], None, {"syncookie": 1}, golden="brokered_synack.pcap")
    syn = IP(src=CLI4, dst=VIP_BRK, ttl=64, id=7, flags="DF") / TCP(
        sport=40007, dport=80, flags="S", seq=BRK_ISN2, window=64240)
    case("brokered: client SYN without options -> SYN-ACK with a SYN cookie",
         [from_gw(syn)], None, {"syncookie": 1}, golden="brokered_synack_noopt.pcap")

    # ---- malformed: no output ---------------------------------------------
    case("truncated IPv4 (frame shorter than total_length) -> dropped", [_truncated()], [],
         {"drop_ip_len": 1})
    case("IPv4 header cut short -> dropped", [_short_ip()], [], {"drop_trunc_l3": 1})
    case("IPv4 IHL 4 -> dropped", [_bad_ihl()], [], {"drop_ip_ihl": 1})
    case("IPv4 bad header checksum -> dropped", [_bad_csum()], [], {"drop_ip_csum": 1})
    case("IPv4 fragment -> dropped",
         [from_gw(IP(src=CLI4, dst=VIP_DSR, flags="MF", id=3) / TCP(sport=40104, dport=80))],
         [], {"drop_ip_frag": 1})
    case("IPv4 TTL 0 -> dropped", [from_gw(tcp4(CLI4, VIP_DSR, 40105, 80, "S", ttl=0))], [],
         {"drop_ip_ttl": 1})
    case("IPv4 source 127.0.0.1 -> dropped", [from_gw(tcp4("127.0.0.1", VIP_DSR, 40106, 80,
                                                           "S"))], [], {"drop_ip_src": 1})
    case("TCP SYN+FIN -> dropped", [from_gw(tcp4(CLI4, VIP_DSR, 40107, 80, "SF"))], [],
         {"drop_tcp_flags": 1})
    case("IPv6 hop-by-hop header -> dropped",
         [from_gw(IPv6(src=CLI6, dst=VIP6_DSR) / IPv6ExtHdrHopByHop() /
                  TCP(sport=40108, dport=80, flags="S"))], [], {"drop_ip_options": 1})
    case("unknown ethertype -> dropped",
         [Ether(src=GW_MAC, dst=DP_MAC, type=0x88B5) / Raw(b"\0" * 46)], [],
         {"drop_ethertype": 1})
    case("unicast frame for another MAC -> dropped",
         [Ether(src=GW_MAC, dst="02:00:00:00:09:99") / tcp4(CLI4, VIP_DSR, 40109, 80, "S")],
         [], {"drop_not_local": 1})
    case("TCP to a VIP port without a service -> dropped",
         [from_gw(tcp4(CLI4, VIP_DSR, 40110, 81, "S"))], [], {"drop_no_vs": 1})
    return t
