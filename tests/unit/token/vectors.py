#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Known-answer vectors for user tokens (include/sessiongate/sg_token.h),
computed here with Python's standard library only (hmac, hashlib, base64,
struct: nothing of lib/token), checked against the sg-token CLI both ways:

  * sg-token mint --expires gives exactly the token computed here, for keys
    of 32, 48 and 64 bytes in raw, hex and hex+newline files;
  * tokens computed here verify with sg-token verify (lower and upper case),
    and tokens signed with another key, expired, of another app, or of
    another key id are refused with the right reason;
  * sg-token mint --ttl writes an expiry of now + ttl;
  * sg-token find agrees with the header's table for each key type.

usage: vectors.py PATH/TO/sg-token
"""
import base64
import hashlib
import hmac
import os
import struct
import subprocess
import sys
import tempfile
import time

VERSION = 1
T_USER, T_VAPP = 0x0D, 0x0F


def sg_id(typ, serial):
    return (typ << 56) | serial


def mint(key, key_id, user, app, expires, version=VERSION):
    body = struct.pack(">BBQQI", version, key_id, user, app, expires)
    mac = hmac.new(key, body, hashlib.sha256).digest()[:12]
    return base64.b32encode(body + mac).decode().rstrip("=").lower()


def decode(tok):
    raw = base64.b32decode(tok.upper() + "=" * (-len(tok) % 8))
    return struct.unpack(">BBQQI", raw[:22])


class Checker:
    def __init__(self, exe, tmp):
        self.exe, self.tmp, self.failed, self.n = exe, tmp, 0, 0

    def run(self, *args, stdin=None):
        p = subprocess.run([self.exe, *args], input=stdin, capture_output=True, text=True,
                           timeout=10, check=False)
        return p.returncode, p.stdout.strip(), p.stderr.strip()

    def expect(self, what, got, want):
        self.n += 1
        if got != want:
            self.failed += 1
            print(f"FAIL {what}: got {got!r}, want {want!r}")

    def keyfile(self, name, data, mode=0o600):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return path


def idtext(typ, serial):
    return {T_USER: "user", T_VAPP: "vapp"}[typ] + f"#{serial}"


def check_mint(c):
    """sg-token mint --expires == the token computed here."""
    cases = [
        (bytes(range(32)), 7, (T_USER, 12), (T_VAPP, 3), 1900000000),
        (bytes(range(100, 148)), 1, (T_USER, 1), (T_VAPP, 1), 1),
        (hashlib.sha512(b"sessiongate").digest(), 255, (T_USER, (1 << 56) - 1),
         (T_VAPP, 0xABCDEF), 0xFFFFFFFF),
        (b"\xff" * 33, 42, (T_USER, 999999), (T_VAPP, 77), 1765000000),
    ]
    for i, (key, kid, user, app, exp) in enumerate(cases):
        want = mint(key, kid, sg_id(*user), sg_id(*app), exp)
        forms = {"raw": key, "hex": key.hex().encode(), "hexnl": key.hex().upper().encode() + b"\n"}
        for form, data in forms.items():
            path = c.keyfile(f"k{i}{form}", data)
            rc, out, err = c.run("mint", "--key-file", path, "--key-id", str(kid),
                                 "--user-id", idtext(*user), "--app-id", idtext(*app),
                                 "--expires", str(exp))
            c.expect(f"mint case {i} {form} ({err})", (rc, out), (0, want))
        # hex IDs are the same IDs
        rc, out, _ = c.run("mint", "--key-file", c.keyfile(f"k{i}raw", key), "--key-id",
                           str(kid), "--user-id", f"0x{sg_id(*user):016x}", "--app-id",
                           f"0x{sg_id(*app):016x}", "--expires", str(exp))
        c.expect(f"mint case {i} hex ids", (rc, out), (0, want))


def check_verify(c):
    key, other = bytes(range(32)), bytes(range(1, 33))
    user, app = sg_id(T_USER, 12), sg_id(T_VAPP, 3)
    exp, now = 1900000000, 1899990000
    path = c.keyfile("v", key)
    base = ["verify", "--key-file", path, "--key-id", "7", "--app-id", "vapp#3", "--now",
            str(now)]
    good = mint(key, 7, user, app, exp)
    rc, out, _ = c.run(*base, good)
    c.expect("verify good", (rc, out), (0, f"valid: user user#12 app vapp#3 key 7 expires {exp}"))
    c.expect("verify upper case", c.run(*base, good.upper())[0], 0)
    c.expect("verify stdin", c.run(*base, "-", stdin=good + "\n")[0], 0)
    refused = {
        "mac": mint(other, 7, user, app, exp),
        "key": mint(key, 8, user, app, exp),
        "expired": mint(key, 7, user, app, now - 1),
        "app": mint(key, 7, user, sg_id(T_VAPP, 4), exp),
        "format": mint(key, 7, user, app, exp, version=2),
    }
    for why, tok in refused.items():
        rc, out, _ = c.run(*base, tok)
        c.expect(f"verify refuses {why}", (rc, out.splitlines()[-1]), (1, f"refused: {why}"))
    # rotation: the old key (7) and the new one (9) both verify
    rot = ["--key-file", c.keyfile("new", other), "--key-id", "9"]
    c.expect("rotation old key", c.run(*base, *rot, good)[0], 0)
    c.expect("rotation new key", c.run(*base, *rot, mint(other, 9, user, app, exp))[0], 0)
    # a key file others may read is refused before anything is verified
    rc, _, err = c.run("verify", "--key-file", c.keyfile("open", key, 0o644), "--key-id", "7",
                       "--app-id", "vapp#3", good)
    c.expect("verify 0644 key file", (rc, "chmod 600" in err), (2, True))


def check_ttl(c):
    path = c.keyfile("t", bytes(range(32)))
    t0 = int(time.time())
    rc, out, _ = c.run("mint", "--key-file", path, "--key-id", "1", "--user-id", "user#5",
                       "--app-id", "vapp#6", "--ttl", "3600")
    t1 = int(time.time())
    ver, kid, user, app, exp = decode(out)
    c.expect("mint --ttl", (rc, ver, kid, user, app, t0 + 3600 <= exp <= t1 + 3600),
             (0, 1, 1, sg_id(T_USER, 5), sg_id(T_VAPP, 6), True))
    c.expect("mint --ttl token", out, mint(bytes(range(32)), 1, user, app, exp))
    for bad in (["--ttl", "0"], ["--ttl", "31622401"], ["--ttl", "-1"], ["--expires", "x"]):
        rc, _, _ = c.run("mint", "--key-file", path, "--key-id", "1", "--user-id", "user#5",
                         "--app-id", "vapp#6", *bad)
        c.expect(f"mint {bad}", rc, 2)
    for ids in (["--user-id", "vapp#5", "--app-id", "vapp#6"],
                ["--user-id", "user#5", "--app-id", "user#6"],
                ["--user-id", "user#0", "--app-id", "vapp#6"]):
        rc, _, _ = c.run("mint", "--key-file", path, "--key-id", "1", "--ttl", "60", *ids)
        c.expect(f"mint {ids}", rc, 2)


def check_find(c):
    tok = mint(bytes(range(32)), 7, sg_id(T_USER, 12), sg_id(T_VAPP, 3), 1900000000)
    cases = [
        ("http_cookie", f"sgtoken={tok}"), ("http_header", f"X-SG-Token: {tok}"),
        ("http_host", f"{tok}.desk.example:8443"), ("tls_sni", f"{tok}.desk.example"),
        ("http_path", f"/{tok}/index.html?x=1"), ("rdp_cookie", f"mstshash={tok}"),
        ("rdp_cookie", f"msts={tok}"),
    ]
    for typ, key in cases:
        c.expect(f"find {typ} {key}", c.run("find", "--type", typ, key)[:2], (0, tok))
    for typ, key in [("http_cookie", "sgtoken="), ("http_path", "/"), ("prefix", tok),
                     ("rdp_cookie", tok), ("http_cookie", "c=" + "a" * 200)]:
        c.expect(f"find {typ} {key[:20]} (none)", c.run("find", "--type", typ, key)[0], 1)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(prefix="sg-token-vectors-") as tmp:
        c = Checker(sys.argv[1], tmp)
        for f in (check_mint, check_verify, check_ttl, check_find):
            f(c)
    print(f"{c.n - c.failed} of {c.n} checks passed")
    return 1 if c.failed or c.n < 40 else 0


if __name__ == "__main__":
    sys.exit(main())
