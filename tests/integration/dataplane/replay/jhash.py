"""DPDK's rte_jhash() (Bob Jenkins' lookup3 hashlittle2, as in rte_jhash.h),
and the data plane's flow hash over struct sg_dp_flow_key
(dataplane/sg_dp_internal.h, sg_dp_flow_hash()): computed here on its own,
so that GUE source ports and IPv6 flow labels are expected independently.
"""
import socket
import struct

M32 = 0xFFFFFFFF
FLOW_HASH_INIT = 0x53476470  # sg_dp_flow_hash()
AF = {4: socket.AF_INET, 6: socket.AF_INET6}  # the flow key's family encoding


def _rot(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


def _mix(a, b, c):
    for s1, s2, s3 in ((4, 6, 8), (16, 19, 4)):
        a = (a - c) & M32; a ^= _rot(c, s1); c = (c + b) & M32
        b = (b - a) & M32; b ^= _rot(a, s2); a = (a + c) & M32
        c = (c - b) & M32; c ^= _rot(b, s3); b = (b + a) & M32
    return a, b, c


def _final(a, b, c):
    for x, y, k in (("c", "b", 14), ("a", "c", 11), ("b", "a", 25), ("c", "b", 16),
                    ("a", "c", 4), ("b", "a", 14), ("c", "b", 24)):
        v = {"a": a, "b": b, "c": c}
        v[x] ^= v[y]
        v[x] = (v[x] - _rot(v[y], k)) & M32
        a, b, c = v["a"], v["b"], v["c"]
    return a, b, c


def jhash(data, initval):
    """rte_jhash(data, len(data), initval) for an aligned key (little endian)."""
    length = len(data)
    a = b = c = (0xDEADBEEF + length + initval) & M32
    data = data + b"\0" * (-length % 4)
    k = struct.unpack("<%dI" % (len(data) // 4), data)
    i = 0
    while length > 12:
        a = (a + k[i]) & M32
        b = (b + k[i + 1]) & M32
        c = (c + k[i + 2]) & M32
        a, b, c = _mix(a, b, c)
        i += 3
        length -= 12
    if length == 0:
        return c
    words = [a, b, c]
    for j in range((length + 3) // 4):  # trailing bytes are zero-padded
        words[j] = (words[j] + k[i + j]) & M32
    a, b, c = _final(*words)
    return c


def flow_hash(ver, src, dst, sport, dport, proto):
    """sg_dp_flow_hash() of the client -> VIP 5-tuple."""
    fam = AF[ver]
    key = (socket.inet_pton(fam, src).ljust(16, b"\0") + socket.inet_pton(fam, dst).ljust(16, b"\0")
           + struct.pack("!HH", sport, dport) + struct.pack("BB", proto, fam) + b"\0\0")
    return jhash(key, FLOW_HASH_INIT)
