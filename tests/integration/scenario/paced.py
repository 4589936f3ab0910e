#!/usr/bin/env python3
"""Paced HTTP client of the scenario tests, and the analysis of its log.

paced.py run --vip NAME=HOST:PORT [--vip ...] --log FILE [--interval-ms 20]
             [--duration S] [--timeout S] [--path /] [--stop-file F] [--port-base P]
             [--host HOSTHDR]
    One new connection every --interval-ms to each VIP (a fixed schedule:
    a slow attempt does not delay the next), for --duration seconds (at most
    120) or until --stop-file exists. Each attempt sends one GET with
    "Connection: close" and reads the whole answer; one JSON line per
    attempt in --log: {"t": start (epoch s), "end": epoch s, "vip": NAME,
    "ok": bool, "member": X-Backend or null, "err": reason or null, "port":
    the client's port once connected, or null}.
    Prints a summary (JSON) at the end. --port-base P: the attempts to the
    i-th VIP use the client ports P + i * 12000 + 0, 1, 2, ... (each 4-tuple
    new within a run: no TIME_WAIT or old flow entry of an earlier
    connection on it; keep the kernel's ephemeral range clear of them).
    --host: the Host header of every request (default: the VIP's address).

paced.py window --log FILE --member NAME --kill T [--restart T] [--listen T] [--until T]
    The failover figures of one member's stop (T: epoch seconds):
    window_ms (kill -> start of the last failed attempt that began before
    --restart; attempts in flight at the kill count as its failures),
    failures that ended before the kill, failures after the last one of
    the window, attempts answered by the member between kill and restart,
    first_back_ms (restart -> first attempt the member answered) and
    first_back_listen_ms (from --listen: its server listening). JSON out.
"""
import argparse
import asyncio
import json
import os
import sys
import time

MAX_DURATION = 120.0
PORT_BLOCK = 12000  # client ports per VIP with --port-base (120 s at 10 ms)


def backend_of(head):
    """The X-Backend of an HTTP response head (bytes, without the blank
    line) that must be a 200; None without the header; ValueError else."""
    lines = head.decode(errors="replace").split("\r\n")
    if not lines[0].startswith("HTTP/1.1 200"):
        raise ValueError("status " + lines[0][:40])
    member = None
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "x-backend":
            member = v.strip()
    return member


async def attempt(name, host, port, path, timeout, out, lport=0, hosthdr=None):
    rec = {"t": time.time(), "vip": name, "ok": False, "member": None, "err": None,
           "port": None}
    w = None
    try:
        local = (("::" if ":" in host else "0.0.0.0"), lport) if lport else None
        r, w = await asyncio.wait_for(asyncio.open_connection(host, port, local_addr=local),
                                      timeout)
        rec["port"] = w.get_extra_info("sockname")[1]
        req = "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, hosthdr or host)
        w.write(req.encode())
        await w.drain()
        data = await asyncio.wait_for(r.read(), timeout)
        head, _, body = data.partition(b"\r\n\r\n")
        rec["member"] = backend_of(head)
        if rec["member"] is None or body.strip().decode(errors="replace") != rec["member"]:
            raise ValueError("answer without a member name")
        rec["ok"] = True
    except Exception as e:  # noqa: BLE001 - every failure is logged by kind
        rec["err"] = type(e).__name__ + (": " + str(e)[:60] if str(e) else "")
    finally:
        if w is not None:
            w.close()
    rec["end"] = time.time()
    out.write(json.dumps(rec) + "\n")
    return rec


async def run(args):
    vips = []
    for v in args.vip:
        name, _, addr = v.partition("=")
        host, _, port = addr.rpartition(":")
        vips.append((name, host.strip("[]"), int(port)))
    duration = min(args.duration, MAX_DURATION)
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks = []
    summary = {v[0]: {"ok": 0, "failed": 0, "members": {}} for v in vips}
    with open(args.log, "w", buffering=1) as out:
        k = 0
        while True:
            due = start + k * args.interval_ms / 1000.0
            if due - start >= duration or (args.stop_file and os.path.exists(args.stop_file)):
                break
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            for i, (name, host, port) in enumerate(vips):
                lport = 0
                if args.port_base:  # VIP i: its own block of ports, each used once
                    lport = args.port_base + i * PORT_BLOCK + k % PORT_BLOCK
                tasks.append(asyncio.ensure_future(
                    attempt(name, host, port, args.path, args.timeout, out, lport, args.host)))
            tasks = [t for t in tasks if not t.done() or collect(t, summary)]
            k += 1
        for t in await asyncio.gather(*tasks):
            count(t, summary)
    return summary


def count(rec, summary):
    s = summary[rec["vip"]]
    if rec["ok"]:
        s["ok"] += 1
        s["members"][rec["member"]] = s["members"].get(rec["member"], 0) + 1
    else:
        s["failed"] += 1


def collect(task, summary):
    count(task.result(), summary)
    return False


def window(args):
    recs = [json.loads(line) for line in open(args.log)]
    restart = args.restart or float("inf")
    until = args.until or float("inf")
    # an attempt still in flight at the kill (ended after it) is the kill's
    fails = [r for r in recs if not r["ok"] and r["end"] >= args.kill and
             r["t"] < min(restart, until)]
    last = max([args.kill] + [r["t"] for r in fails])
    res = {
        "attempts": len(recs),
        "failed_total": sum(1 for r in recs if not r["ok"]),
        "failed_before_kill": sum(1 for r in recs if not r["ok"] and r["end"] < args.kill),
        "failed_in_window": len(fails),
        "window_ms": round((last - args.kill) * 1000.0, 1),
        "failed_after_window": sum(1 for r in recs if not r["ok"] and r["t"] > last and
                                   r["t"] < until),
        "member_ok_while_down": sum(1 for r in recs if r["ok"] and r["member"] == args.member and
                                    r["end"] > args.kill + 0.05 and r["t"] < restart),
        "errors": sorted({r["err"] for r in fails}),
        # the first 40 failures: ms after the kill, VIP, how long it took
        "fails": ["%+.0f %s %.0fms" % ((r["t"] - args.kill) * 1000.0, r["vip"],
                                       (r["end"] - r["t"]) * 1000.0) for r in fails[:40]],
    }
    if args.restart:
        back = [r["t"] for r in recs if r["ok"] and r["member"] == args.member and
                r["t"] >= args.restart]
        res["member_ok_after_restart"] = len(back)
        res["first_back_ms"] = round((min(back) - args.restart) * 1000.0, 1) if back else None
        if args.listen and back:
            res["first_back_listen_ms"] = round((min(back) - args.listen) * 1000.0, 1)
    print(json.dumps(res))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--vip", action="append", required=True)
    r.add_argument("--log", required=True)
    r.add_argument("--interval-ms", type=float, default=20.0)
    r.add_argument("--duration", type=float, default=30.0)
    r.add_argument("--timeout", type=float, default=2.0)
    r.add_argument("--path", default="/")
    r.add_argument("--stop-file", default=None)
    r.add_argument("--port-base", type=int, default=0)
    r.add_argument("--host", default=None)
    w = sub.add_parser("window")
    w.add_argument("--log", required=True)
    w.add_argument("--member", required=True)
    w.add_argument("--kill", type=float, required=True)
    w.add_argument("--restart", type=float, default=None)
    w.add_argument("--listen", type=float, default=None)
    w.add_argument("--until", type=float, default=None)
    args = ap.parse_args()
    if args.cmd == "window":
        return window(args)
    if args.interval_ms < 1 or args.interval_ms > 10000:
        ap.error("--interval-ms: 1..10000")
    if args.port_base and (args.port_base < 1024 or
                           args.port_base + len(args.vip) * PORT_BLOCK > 65536):
        ap.error("--port-base: the VIPs' port blocks must fit in 1024..65535")
    print(json.dumps(asyncio.run(run(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
