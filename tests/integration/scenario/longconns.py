#!/usr/bin/env python3
"""Many long HTTP downloads at once, each checked byte for byte.

longconns.py --vip NAME=HOST:PORT [--vip ...] --count N --bytes B --rate R
             [--host HOSTHDR] [--port-base P] [--timeout S] [--ready-file F]
             [--spread S]
    Opens N connections (spread round robin over the VIPs, started within
    --spread seconds), each on a client port of its own (P + i when --port-base
    is given, so every 4-tuple is new and ECMP's L4 hash spreads them), and
    sends "GET /bytes/B?rate=R" (scripts/lib/backend.py: the server sends B
    bytes at R bytes/s). A connection completes when it got status 200, an
    X-Backend header and exactly B bytes of "x" before --timeout seconds
    (at most 120). Writes --ready-file once every connection has its response
    headers (so a test knows they are all established before it kills
    something), meanwhile READY_FILE.progress (headers received per VIP,
    connections ended). Prints one JSON summary: per VIP {n, ok, failed, members},
    total n / ok / pct, and the first 20 failures (vip, port, member, bytes,
    error).
"""
import argparse
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paced import backend_of  # noqa: E402 - the sibling script's response check

MAX_TIMEOUT = 120.0
MAX_COUNT = 2000
HDR_MAX = 8192


async def one(i, vip, args, started):
    name, host, port = vip
    rec = {"vip": name, "port": None, "member": None, "bytes": 0, "ok": False, "err": None}
    w = None
    try:
        local = ("0.0.0.0", args.port_base + i) if args.port_base else None
        r, w = await asyncio.wait_for(asyncio.open_connection(host, port, local_addr=local),
                                      args.timeout)
        rec["port"] = w.get_extra_info("sockname")[1]
        hosthdr = args.host or host
        w.write(("GET /bytes/%d?rate=%d HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" %
                 (args.bytes, args.rate, hosthdr)).encode())
        await w.drain()
        head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), args.timeout)
        if len(head) > HDR_MAX:
            raise ValueError("oversize headers")
        rec["member"] = backend_of(head[:-4])
        started.add(i)
        deadline = time.monotonic() + args.timeout
        while rec["bytes"] < args.bytes:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timeout")
            chunk = await asyncio.wait_for(r.read(65536), left)
            if not chunk:
                raise ConnectionError("closed early")
            if chunk.count(b"x") != len(chunk):
                raise ValueError("corrupt body")
            rec["bytes"] += len(chunk)
        extra = await asyncio.wait_for(r.read(1), 5)
        if extra or rec["member"] is None or rec["bytes"] != args.bytes:
            raise ValueError("bytes %d, extra %r, member %r" % (rec["bytes"], extra, rec["member"]))
        rec["ok"] = True
    except Exception as e:  # noqa: BLE001 - every failure is reported by kind
        rec["err"] = type(e).__name__ + (": " + str(e)[:60] if str(e) else "")
    finally:
        if w is not None:
            w.close()
    return rec


def progress(args, started, tasks, vips):
    """READY_FILE.progress: how far it got, for a test that gives up waiting."""
    if not args.ready_file:
        return
    per = {}
    for i in started:
        per[vips[i % len(vips)][0]] = per.get(vips[i % len(vips)][0], 0) + 1
    with open(args.ready_file + ".progress", "w") as f:
        f.write(json.dumps({"opened": len(tasks), "started": per,
                            "done": sum(t.done() for t in tasks)}) + "\n")


async def ready_watch(args, started, tasks, vips):
    while len(started) < args.count and not all(t.done() for t in tasks):
        progress(args, started, tasks, vips)
        await asyncio.sleep(0.1)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("%d\n" % len(started))


async def run(args, vips):
    started = set()
    tasks = []
    for i in range(args.count):
        tasks.append(asyncio.ensure_future(one(i, vips[i % len(vips)], args, started)))
        if i % 20 == 0:
            progress(args, started, tasks, vips)
        if args.spread:
            await asyncio.sleep(args.spread / args.count)
    watch = asyncio.ensure_future(ready_watch(args, started, tasks, vips))
    recs = await asyncio.gather(*tasks)
    await watch
    return recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vip", action="append", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--bytes", type=int, required=True)
    ap.add_argument("--rate", type=int, required=True)
    ap.add_argument("--host", default=None)
    ap.add_argument("--port-base", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--spread", type=float, default=1.0)
    ap.add_argument("--ready-file", default=None)
    args = ap.parse_args()
    if not 1 <= args.count <= MAX_COUNT:
        ap.error("--count: 1..%d" % MAX_COUNT)
    if args.bytes < 1 or args.rate < 1:
        ap.error("--bytes and --rate must be positive")
    if args.port_base and (args.port_base < 1024 or args.port_base + args.count > 65536):
        ap.error("--port-base: the ports must fit in 1024..65535")
    args.timeout = min(args.timeout, MAX_TIMEOUT)
    vips = []
    for v in args.vip:
        name, _, addr = v.partition("=")
        host, _, port = addr.rpartition(":")
        vips.append((name, host, int(port)))
    recs = asyncio.run(run(args, vips))
    per = {}
    for r in recs:
        s = per.setdefault(r["vip"], {"n": 0, "ok": 0, "failed": 0, "members": {}})
        s["n"] += 1
        s["ok" if r["ok"] else "failed"] += 1
        if r["member"]:
            s["members"][r["member"]] = s["members"].get(r["member"], 0) + 1
    ok = sum(1 for r in recs if r["ok"])
    print(json.dumps({"n": len(recs), "ok": ok, "pct": round(100.0 * ok / len(recs), 2),
                      "vips": per, "fails": [r for r in recs if not r["ok"]][:20]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
