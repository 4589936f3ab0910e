#!/usr/bin/env python3
"""Write the seed corpus of fuzz_l7key: valid first bytes of each protocol
the L7 key extractors read, each behind the two split-point bytes."""
import os
import struct
import sys


def tls_client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    exts = (struct.pack("!HHB2s", 0x002B, 3, 2, b"\x03\x04") + sni_ext
            + struct.pack("!HHHH", 0x000A, 4, 2, 0x001D))
    body = (b"\x03\x03" + bytes(32) + b"\x20" + bytes(range(32))
            + struct.pack("!H", 6) + b"\x13\x01\x13\x02\x13\x03" + b"\x01\x00"
            + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def rdp_request(cookie):
    var = (cookie.encode() + b"\r\n" if cookie else b"") + b"\x01\x00\x08\x00\x03\x00\x00\x00"
    x224 = bytes([6 + len(var), 0xE0, 0, 0, 0, 0, 0]) + var
    return b"\x03\x00" + struct.pack("!H", 4 + len(x224)) + x224


SEEDS = {
    "http_get": b"GET /app/login?x=1 HTTP/1.1\r\nHost: WWW.Example.com:8080\r\n"
                b"User-Agent: seed\r\nCookie: a=1; sid=\"abc\"\r\nX-Tenant: blue\r\n\r\n",
    "http_absolute": b"GET http://h.example/p HTTP/1.0\r\n\r\n",
    "tls_sni": tls_client_hello("vm17.desktops.example"),
    "rdp_mstshash": rdp_request("Cookie: mstshash=jdoe"),
    "rdp_msts": rdp_request("Cookie: msts=3640205228.15629.0000"),
    "rdp_plain": rdp_request(None),
    "tcpopt_linux_syn": bytes.fromhex("020405b40402080a000030390000000001030307"),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus-l7key")
    os.makedirs(out, exist_ok=True)
    for name, payload in SEEDS.items():
        split = len(payload) // 2
        with open(os.path.join(out, name), "wb") as f:
            f.write(struct.pack("<H", split) + payload)


if __name__ == "__main__":
    main()
