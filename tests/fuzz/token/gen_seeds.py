#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of fuzz_token (corpus-token/): one byte (key type |
clock << 3), then an L7 key carrying a token signed with the target's keys
(hmac/base64 of Python's standard library, as tests/unit/token/vectors.py).
usage: gen_seeds.py OUT_DIR"""
import base64
import hashlib
import hmac
import os
import struct
import sys

K7 = bytes(range(32))
K9 = bytes(0xA5 ^ i for i in range(64))
USER, APP, EXP = (0x0D << 56) | 12, (0x0F << 56) | 3, 1900000000


def mint(key, kid, user=USER, app=APP, exp=EXP):
    body = struct.pack(">BBQQI", 1, kid, user, app, exp)
    mac = hmac.new(key, body, hashlib.sha256).digest()[:12]
    return base64.b32encode(body + mac).decode().rstrip("=").lower()


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    good, rot = mint(K7, 7), mint(K9, 9)
    seeds = {
        "cookie": (3, f"sgtoken={good}"), "header": (7, f"X-SG-Token: {rot}"),
        "host": (1, f"{good}.desk.example:8443"), "sni": (4, f"{rot.upper()}.desk.example"),
        "path": (2, f"/{good}/index.html?a=b"), "rdp": (5, f"mstshash={good}"),
        "rdp_msts": (5, f"msts={rot}"), "expired": (3 | 1 << 3, f"s={good}"),
        "other_app": (3, f"s={mint(K7, 7, app=APP + 1)}"),
        "far": (3, f"s={mint(K7, 7, exp=0xFFFFFFFF)}"),
        "forged": (3, f"s={mint(bytes(32), 7)}"), "raw": (6, good),
        "long": (3, "c=" + "a" * 200),
    }
    for name, (b0, key) in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([b0]) + key.encode())


if __name__ == "__main__":
    main()
