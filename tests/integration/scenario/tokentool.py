#!/usr/bin/env python3
"""User tokens (include/sessiongate/sg_token.h v1) written independently of
lib/token, for scenario-identity: read a token's claims, sign claims with a
key file (the right one or a wrong one), alter one character.

  tokentool.py decode TOKEN                       -> JSON claims (no key needed)
  tokentool.py sign KEYFILE KEY_ID USER APP EXPIRES -> a token (USER/APP: hex or
                                                 decimal IDs, EXPIRES: Unix s)
  tokentool.py resign TOKEN KEYFILE [--user ID] [--app ID] [--expires T] [--key-id N]
                                              -> TOKEN's claims, changed as
                                                 asked, signed with KEYFILE
  tokentool.py alter TOKEN POS                    -> TOKEN with the character at
                                                 POS replaced (still base32)

Binary form: version(1) key_id(1) user_id(8) app_id(8) expires(4)
mac(12) = HMAC-SHA256(key, first 22 bytes)[:12]; text: base32, lower
case, no padding, 55 characters. Key files: hex text (64..128 digits).
"""
import argparse
import base64
import hashlib
import hmac
import json
import struct
import sys

VERSION, BIN_LEN, SIGNED_LEN, MAC_LEN, TEXT_LEN = 1, 34, 22, 12, 55


def encode(raw):
    return base64.b32encode(raw).decode().rstrip("=").lower()


def decode(text):
    if len(text) != TEXT_LEN:
        raise ValueError("a token has %d characters, not %d" % (TEXT_LEN, len(text)))
    raw = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    if len(raw) != BIN_LEN or raw[0] != VERSION:
        raise ValueError("not a version %d token" % VERSION)
    return raw


def claims(raw):
    _, key_id, user, app, expires = struct.unpack("!BBQQI", raw[:SIGNED_LEN])
    return {"key_id": key_id, "user_id": "0x%016x" % user, "app_id": "0x%016x" % app,
            "expires": expires}


def read_key(path):
    text = open(path, "rb").read().strip()
    try:
        return bytes.fromhex(text.decode())
    except (UnicodeDecodeError, ValueError):
        return text


def sign(key, key_id, user, app, expires):
    body = struct.pack("!BBQQI", VERSION, key_id, user, app, expires)
    return encode(body + hmac.new(key, body, hashlib.sha256).digest()[:MAC_LEN])


def num(text):
    return int(text, 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("decode")
    p.add_argument("token")
    p = sub.add_parser("sign")
    for a in ("keyfile", "key_id", "user", "app", "expires"):
        p.add_argument(a)
    p = sub.add_parser("resign")
    p.add_argument("token")
    p.add_argument("keyfile")
    p.add_argument("--user")
    p.add_argument("--app")
    p.add_argument("--expires")
    p.add_argument("--key-id")
    p = sub.add_parser("alter")
    p.add_argument("token")
    p.add_argument("pos", type=int)
    a = ap.parse_args()
    if a.cmd == "decode":
        print(json.dumps(claims(decode(a.token))))
    elif a.cmd == "sign":
        print(sign(read_key(a.keyfile), num(a.key_id), num(a.user), num(a.app), num(a.expires)))
    elif a.cmd == "resign":
        c = claims(decode(a.token))
        print(sign(read_key(a.keyfile), num(a.key_id) if a.key_id else c["key_id"],
                   num(a.user) if a.user else num(c["user_id"]),
                   num(a.app) if a.app else num(c["app_id"]),
                   num(a.expires) if a.expires else c["expires"]))
    else:
        t = list(a.token)
        t[a.pos] = "b" if t[a.pos] != "b" else "c"
        print("".join(t))


if __name__ == "__main__":
    try:
        main()
    except (ValueError, OSError) as e:
        print("tokentool.py: %s" % e, file=sys.stderr)
        sys.exit(2)
