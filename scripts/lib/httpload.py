#!/usr/bin/env python3
"""Concurrent HTTP/1.1 client for tests: open N connections at once.

httpload.py HOST PORT N [--path /] [--timeout S] [--concurrency C] [--host-header H]
Prints one JSON object: {"ok": n, "failed": n, "backends": {name: count},
"errors": {reason: count}}. Each connection sends one GET with
"Connection: close" and reads the whole answer; the backend names itself in
the X-Backend header (scripts/lib/backend.py). Bounded by --timeout.
"""
import argparse
import asyncio
import json
import sys


async def one(host, port, path, timeout, results, sem, hh=None):
    async with sem:
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
            req = "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, hh or host)
            w.write(req.encode())
            await w.drain()
            data = await asyncio.wait_for(r.read(), timeout)
            w.close()
            head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
            if not head.startswith("HTTP/1.1 200"):
                raise ValueError("status " + head.split("\r\n", 1)[0][:40])
            name = "?"
            for line in head.split("\r\n")[1:]:
                k, _, v = line.partition(":")
                if k.lower() == "x-backend":
                    name = v.strip()
            results["ok"] += 1
            results["backends"][name] = results["backends"].get(name, 0) + 1
        except Exception as e:  # noqa: BLE001 - every failure is counted by kind
            results["failed"] += 1
            k = type(e).__name__
            results["errors"][k] = results["errors"].get(k, 0) + 1


async def run(args):
    results = {"ok": 0, "failed": 0, "backends": {}, "errors": {}}
    sem = asyncio.Semaphore(args.concurrency or args.n)
    tasks = [one(args.host, args.port, args.path, args.timeout, results, sem, args.host_header)
             for _ in range(args.n)]
    await asyncio.wait_for(asyncio.gather(*tasks), args.timeout * 4)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("--path", default="/")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--concurrency", type=int, default=0)
    ap.add_argument("--host-header", default=None)
    args = ap.parse_args()
    if args.n < 1 or args.n > 100000:
        ap.error("n must be 1..100000")
    res = asyncio.run(run(args))
    print(json.dumps(res, sort_keys=True))
    return 0 if res["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
