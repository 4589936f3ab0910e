#!/usr/bin/env python3
"""A stand-in peer appliance on the state-sync channel (sync.sh,
tests/adversarial/sync-forgery.sh): it speaks include/sessiongate/sg_sync.h
(v2) with the shared key, and it forges what an attacker on the sync link
could send. Every command is bounded in time; the result is one JSON line.

  syncpeer.py --key FILE --bind ADDR:PORT --to ADDR:PORT [--node N] [--workers W]
              [--state FILE] [--boot B] CMD ...

--state keeps the boot and the last sequence number between runs (one
peer's life across commands); --boot B starts another one.

  listen SECS            receive the data plane's datagrams, check each
                         MAC, count by type (and answer nothing)
  answer-dump SECS N     HELLO every 0.2 s; on the data plane's DUMP_REQ,
                         N records then DUMP_DONE with its dump id
  records N              N valid ADD records (NAT, TCP) for worker 0
  ask-dump SECS          DUMP_REQ, then wait for DUMP_DONE: the records in
                         between, and the time it took
  forge CASE...          one forged datagram of each CASE (see forged())
  flood N CASE [SECS]    N forged datagrams of CASE over SECS (3) seconds
  replay                 a good datagram, then the same bytes again
"""

import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import time

MAGIC = 0x53475359
VERSION = 2
MAC_LEN = 16
REC_SIZE = 128
REC_MAX = 11
HDR = struct.Struct("!IBBBBIHHQII")
REC = struct.Struct("!BBBBBBBBb3sIQIIHHHHHHI16s16s16s16s16s")
T_RECORDS, T_HELLO, T_DUMP_REQ, T_DUMP_DONE = 1, 2, 3, 4
OP_ADD, OP_DEL, OP_DUMP_END = 1, 2, 3
assert HDR.size == 32 and REC.size == REC_SIZE


def addr16(a):
    return socket.inet_aton(a) + bytes(12)


def record(i, op=OP_ADD, worker=0, proto=6, family=4, mode=2, state=1):
    """A NAT flow 198.18.0.2:(20000+i) -> 198.18.10.2:80 via 198.18.1.11:80,
    NAT 198.18.1.100:(40000+i)."""
    return REC.pack(op, worker, proto, family, mode, state, 0, 0, 0, bytes(3), 10, 0, 0, 0,
                    20000 + i % 40000, 80, 80, 40000 + i % 20000, 0, 0, 300,
                    addr16("198.18.0.2"), addr16("198.18.10.2"), addr16("198.18.1.11"),
                    addr16("198.18.1.100"), bytes(16))


class Peer:
    def __init__(self, key, bind, to, node, workers, boot=None):
        self.key = key
        self.to = to
        self.node = node
        self.workers = workers
        self.boot = boot if boot is not None else int(time.time())
        self.seq = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(bind)

    def build(self, typ, recs=b"", n_rec=None, dump_id=0, seq=None, boot=None, node=None,
              magic=MAGIC, version=VERSION, n_workers=None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        n = len(recs) // REC_SIZE if n_rec is None else n_rec
        hdr = HDR.pack(magic, version, typ, self.node if node is None else node, n,
                       self.boot if boot is None else boot,
                       self.workers if n_workers is None else n_workers, 0, seq, dump_id, 0)
        body = hdr + recs
        return body + hmac.new(self.key, body, hashlib.sha256).digest()[:MAC_LEN]

    def send(self, dgram):
        self.sock.sendto(dgram, self.to)

    def records(self, n, start=0, **kw):
        for b in range(0, n, REC_MAX):
            recs = b"".join(record(start + i, **kw) for i in range(b, min(n, b + REC_MAX)))
            self.send(self.build(T_RECORDS, recs))

    def recv(self, timeout):
        """(type, n_rec, dump_id, mac_ok) of the next datagram, or None."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            d, _ = self.sock.recvfrom(2048)
        except socket.timeout:
            return None
        if len(d) < HDR.size + MAC_LEN:
            return ("short", 0, 0, False)
        f = HDR.unpack_from(d)
        good = hmac.compare_digest(
            hmac.new(self.key, d[:-MAC_LEN], hashlib.sha256).digest()[:MAC_LEN], d[-MAC_LEN:])
        return (f[2], f[4], f[9], good)


def cmd_listen(p, secs):
    out = {"hello": 0, "dump_req": 0, "records": 0, "record_dgrams": 0, "dump_done": 0,
           "bad_mac": 0}
    end = time.time() + secs
    while time.time() < end:
        r = p.recv(end - time.time())
        if r is None:
            continue
        if not r[3]:
            out["bad_mac"] += 1
        elif r[0] == T_HELLO:
            out["hello"] += 1
        elif r[0] == T_DUMP_REQ:
            out["dump_req"] += 1
        elif r[0] == T_DUMP_DONE:
            out["dump_done"] += 1
        elif r[0] == T_RECORDS:
            out["record_dgrams"] += 1
            out["records"] += r[1]
    return out


def cmd_answer_dump(p, secs, n):
    out = {"dump_req": 0, "answered": 0}
    end = time.time() + secs
    next_hello = 0
    while time.time() < end:
        if time.time() >= next_hello:
            p.send(p.build(T_HELLO))
            next_hello = time.time() + 0.2
        r = p.recv(0.05)
        if r is None or not r[3] or r[0] != T_DUMP_REQ:
            continue
        out["dump_req"] += 1
        if out["answered"] == 0:
            p.records(n)
            p.send(p.build(T_DUMP_DONE, dump_id=r[2]))
            out["answered"] = 1
            out["dump_id"] = r[2]
            end = min(end, time.time() + 1.5)  # a few HELLOs more, then done
    return out


def cmd_ask_dump(p, secs):
    dump_id = int.from_bytes(os.urandom(4), "big") | 1
    out = {"records": 0, "done": 0}
    start = time.time()
    p.send(p.build(T_DUMP_REQ, dump_id=dump_id))
    while time.time() < start + secs:
        r = p.recv(start + secs - time.time())
        if r is None or not r[3]:
            continue
        if r[0] == T_RECORDS:
            out["records"] += r[1]
        elif r[0] == T_DUMP_DONE and r[2] == dump_id:
            out["done"] = 1
            out["ms"] = int((time.time() - start) * 1000)
            break
    return out


def forged(p, case):
    """One forged datagram of CASE (the counter it must move in comment)."""
    good = record(0)
    if case == "bad-mac":  # rx_bad_mac
        d = bytearray(p.build(T_RECORDS, good))
        d[-1] ^= 0xFF
        return bytes(d)
    if case == "bad-key":  # rx_bad_mac
        d = p.build(T_RECORDS, good)
        return d[:-MAC_LEN] + hmac.new(b"x" * 32, d[:-MAC_LEN], hashlib.sha256).digest()[:16]
    if case == "bad-version":  # rx_bad_version
        return p.build(T_HELLO, version=VERSION + 1)
    if case == "bad-magic":  # rx_bad_magic
        return p.build(T_HELLO, magic=0x12345678)
    if case == "truncated":  # rx_short
        return p.build(T_RECORDS, good)[:-20]
    if case == "oversized":  # rx_short
        return p.build(T_RECORDS, b"".join(record(i) for i in range(REC_MAX)), n_rec=REC_MAX) \
            + bytes(300)
    if case == "n-rec-lies":  # rx_short (MAC valid over what is there)
        return p.build(T_RECORDS, good * 2, n_rec=3)
    if case == "n-rec-huge":  # rx_short
        return p.build(T_RECORDS, good * 2, n_rec=255)
    if case == "bad-records":  # rx_bad, per record
        return p.build(T_RECORDS, record(1, worker=200) + record(2, proto=99) +
                       record(3, op=9) + record(4, family=5) + record(5, mode=7) +
                       record(6, op=OP_DUMP_END))
    if case == "old-boot":  # rx_replay
        return p.build(T_RECORDS, good, boot=p.boot - 100)
    if case == "other-node":  # rx_bad
        return p.build(T_HELLO, node=p.node + 1)
    if case == "seq-zero":  # rx_bad
        return p.build(T_HELLO, seq=0)
    if case == "workers":  # rx_bad
        return p.build(T_RECORDS, good, n_workers=p.workers + 3)
    raise SystemExit("unknown case " + case)


def main(argv):
    a = {"--node": "2", "--workers": "1"}
    while argv and argv[0].startswith("--"):
        a[argv[0]] = argv[1]
        argv = argv[2:]
    with open(a["--key"], "rb") as f:
        key = f.read()

    def hp(s):
        h, port = s.rsplit(":", 1)
        return (h, int(port))

    state = {}
    if "--state" in a and os.path.exists(a["--state"]):
        with open(a["--state"]) as f:
            state = json.load(f)
    boot = int(a["--boot"]) if "--boot" in a else state.get("boot")
    p = Peer(key, hp(a["--bind"]), hp(a["--to"]), int(a["--node"]), int(a["--workers"]), boot)
    p.seq = state.get("seq", 0) if boot == state.get("boot") else 0
    cmd = argv[0]
    out = {}
    if cmd == "listen":
        out = cmd_listen(p, float(argv[1]))
    elif cmd == "answer-dump":
        out = cmd_answer_dump(p, float(argv[1]), int(argv[2]))
    elif cmd == "ask-dump":
        out = cmd_ask_dump(p, float(argv[1]))
    elif cmd == "records":
        p.records(int(argv[1]))
        out = {"sent": int(argv[1])}
    elif cmd == "forge":
        for case in argv[1:]:
            p.send(forged(p, case))
            time.sleep(0.01)
        out = {"sent": len(argv) - 1}
    elif cmd == "replay":
        # a good datagram, then the very same bytes again (rx_replay)
        d = p.build(T_RECORDS, record(0))
        p.send(d)
        p.send(d)
        out = {"sent": 2}
    elif cmd == "flood":
        # N datagrams spread over SECS (default 3), in bursts of 500
        n, case = int(argv[1]), argv[2]
        secs = float(argv[3]) if len(argv) > 3 else 3.0
        d = forged(p, case)
        start = time.time()
        for i in range(n):
            p.send(d)
            if i % 500 == 499:
                ahead = start + secs * (i + 1) / n - time.time()
                if ahead > 0:
                    time.sleep(ahead)
        out = {"sent": n, "secs": round(time.time() - start, 2)}
    else:
        raise SystemExit("unknown command " + cmd)
    out["seq"] = p.seq
    if "--state" in a:
        with open(a["--state"], "w") as f:
            json.dump({"boot": p.boot, "seq": p.seq}, f)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
