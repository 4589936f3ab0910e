"""The data plane's flow hash over struct sg_dp_flow_key (dataplane/core/flow.h,
sg_dp_flow_hash()): CRC32C over the 40-byte key (rte_hash_crc(), initial
value 0, no final inversion), then murmur3's 32-bit finalizer. Computed here
on its own, so that GUE source ports and IPv6 flow labels are expected
independently.
"""
import socket
import struct

M32 = 0xFFFFFFFF
FLOW_HASH_XOR = 0x53476470  # sg_dp_flow_hash_sig()
AF = {4: socket.AF_INET, 6: socket.AF_INET6}  # the flow key's family encoding
_POLY = 0x82F63B78  # CRC32C (Castagnoli), reflected


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        t.append(c)
    return t


_T = _table()


def crc32c(data, init=0):
    """What the SSE4.2 crc32 instruction chain of rte_hash_crc() gives (no inversions)."""
    c = init
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c


def fmix(h):
    h ^= FLOW_HASH_XOR
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    h ^= h >> 16
    return h


def flow_hash(ver, src, dst, sport, dport, proto):
    """sg_dp_flow_hash() of the client -> VIP 5-tuple."""
    fam = AF[ver]
    key = (socket.inet_pton(fam, src).ljust(16, b"\0") + socket.inet_pton(fam, dst).ljust(16, b"\0")
           + struct.pack("!HH", sport, dport) + struct.pack("BB", proto, fam) + b"\0\0")
    return fmix(crc32c(key))
