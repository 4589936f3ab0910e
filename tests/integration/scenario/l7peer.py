#!/usr/bin/env python3
"""Servers and clients of the L7-key scenario (l7-keys.sh) that are not curl
or openssl.

serve --name N [--tls ADDR:PORT --cert F --key F] [--rdp ADDR:PORT] [--raw ADDR:PORT]
    TLS: after the handshake, sends "N\\n" and closes.
    RDP: reads one X.224 Connection Request (TPKT), answers a fixed X.224
         Connection Confirm (TPKT version 3, RDP negotiation response:
         standard RDP security), then "N\\n", and closes.
    raw: reads up to a newline that ends what the client sent so far (16
         MiB at most), answers "N BYTES\\n" (the newline counted), closes.
    Prints "l7peer N: serving" once every socket listens.

rdp HOST PORT COOKIE   an X.224 Connection Request with "Cookie: COOKIE\\r\\n"
                       (e.g. mstshash=alice; "-": none); prints the server's name, or
                       "RESET" when the connection is reset, "CLOSED" when it
                       closes without a Connection Confirm.
raw HOST PORT TEXT [--pad N]   sends TEXT, N bytes "x" and a newline, prints
                       the answer ("RESET", "CLOSED" as above). It does not
                       shut its side first: a FIN while the session is held
                       counts as the client giving up (RST, doc/sessions.md).

A client exits 0 whatever the answer (the test compares it) and 2 when it
cannot connect or times out (5 s).
"""
import argparse
import socket
import ssl
import struct
import sys
import threading

# X.224 Connection Confirm: TPKT (3, 0, length 19), LI 14, CC 0xD0, DST-REF 0,
# SRC-REF 0x1234, class 0, then an RDP Negotiation Response (type 2, flags 0,
# length 8, selected protocol 0: standard RDP security).
RAW_MAX = 1 << 24
X224_CC = bytes.fromhex("03000013" "0ed000001234" "00" "020008000000" "0000")


def split_addr(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def listen(text):
    host, port = split_addr(text)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host, port))
    s.listen(128)
    return s


def read_tpkt(c):
    """One TPKT packet (version 3, length 11..2048), or None."""
    buf = b""
    while len(buf) < 4:
        d = c.recv(4 - len(buf))
        if not d:
            return None
        buf += d
    if buf[0] != 3:
        return None
    n = struct.unpack("!H", buf[2:4])[0]
    if n < 11 or n > 2048:
        return None
    while len(buf) < n:
        d = c.recv(n - len(buf))
        if not d:
            return None
        buf += d
    return buf


def on_rdp(c, name):
    req = read_tpkt(c)
    if req is not None and req[5] & 0xF0 == 0xE0:  # Connection Request
        c.sendall(X224_CC + name.encode() + b"\n")


def on_raw(c, name):
    n, last = 0, b""
    while n < RAW_MAX and last != b"\n":
        d = c.recv(65536)
        if not d:
            break
        n, last = n + len(d), d[-1:]
    c.sendall(b"%s %d\n" % (name.encode(), n))


def on_tls(c, name, ctx):
    t = ctx.wrap_socket(c, server_side=True)
    t.sendall(name.encode() + b"\n")
    t.unwrap()


def accept_loop(s, handler, *args):
    while True:
        c, _ = s.accept()
        c.settimeout(10)
        threading.Thread(target=serve_one, args=(c, handler) + args, daemon=True).start()


def serve_one(c, handler, *args):
    try:
        handler(c, *args)
    except (OSError, ssl.SSLError):
        pass
    finally:
        c.close()


def serve(args):
    loops = []
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        loops += [(listen(a), on_tls, args.name, ctx) for a in args.tls]
    loops += [(listen(a), on_rdp, args.name) for a in args.rdp]
    loops += [(listen(a), on_raw, args.name) for a in args.raw]
    if not loops:
        sys.exit("l7peer serve: nothing to serve")
    for lp in loops:
        threading.Thread(target=accept_loop, args=lp, daemon=True).start()
    print("l7peer %s: serving" % args.name, flush=True)
    threading.Event().wait()


def client(host, port, payload, want):
    try:
        c = socket.create_connection((host, port), timeout=5)
    except OSError as e:
        print("connect: %s" % e, file=sys.stderr)
        return 2
    buf = b""
    try:
        c.sendall(payload)
        while True:
            d = c.recv(4096)
            if not d:
                break
            buf += d
    except (ConnectionResetError, BrokenPipeError):
        print("RESET")
        return 0
    except socket.timeout:
        print("timeout after %r" % buf, file=sys.stderr)
        return 2
    finally:
        c.close()
    if not buf.startswith(want):
        print("CLOSED" if not buf else "UNEXPECTED %r" % buf)
        return 0
    print(buf[len(want):].decode(errors="replace").strip())
    return 0


def x224_request(cookie):
    """TPKT + X.224 Connection Request with a routing cookie and an RDP
    Negotiation Request (standard security), as mstsc sends it."""
    var = b"" if cookie == "-" else b"Cookie: " + cookie.encode() + b"\r\n"
    var += bytes.fromhex("0100080000000000")
    li = 6 + len(var)
    x224 = bytes([li, 0xE0, 0, 0, 0, 0, 0]) + var
    return struct.pack("!BBH", 3, 0, 4 + len(x224)) + x224


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--name", required=True)
    s.add_argument("--tls", action="append", default=[])
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--rdp", action="append", default=[])
    s.add_argument("--raw", action="append", default=[])
    for cmd in ("rdp", "raw"):
        c = sub.add_parser(cmd)
        c.add_argument("host")
        c.add_argument("port", type=int)
        c.add_argument("text")
        c.add_argument("--pad", type=int, default=0)
    args = ap.parse_args()
    if args.cmd == "serve":
        return serve(args)
    if args.cmd == "rdp":
        return client(args.host, args.port, x224_request(args.text), X224_CC)
    return client(args.host, args.port, args.text.encode() + b"x" * args.pad + b"\n", b"")


if __name__ == "__main__":
    sys.exit(main())
