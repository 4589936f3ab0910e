#!/usr/bin/env python3
"""The ratios issue 17 asks for, from one bench-dataplane.sh run.

bench_targets.py RESULTS.jsonl WORKERS [OUT.json]

RESULTS.jsonl: one line per case and round (the script's). Prints each
ratio as the ratio of the medians and the median of the per-round ratios,
its target and PASS / MISS (the per-round median decides: the box drifts
between rounds); the latency the data plane adds at half the ceiling's
rate (lat_est - lat_ceiling, p50 and p99, per round, median), with what
each delivered of its offer, and the same at NN % (lat_estNN -
lat_ceilingNN) and with idle mode (lat_est_idle); the bytes
per flow-table entry (heap bytes of two cases that differ only in their
flow table). With OUT.json (written by the script before), adds all of it
under "targets", "latency" and "memory".
"""
import json
import statistics
import sys

# (name, numerator, denominator, target or None: reported only)
RATIOS = [
    ("gen_txonly/ceiling_txonly", "gen_txonly", "ceiling_txonly", 1.0),
    ("ceiling/ceiling_slow", "ceiling", "ceiling_slow", None),
    ("est1/ceiling", "est1", "ceiling", None),
    ("est1m/ceiling", "est1m", "ceiling", None),
    ("new/est1m", "new", "est1m", 0.5),
    ("nat_est1m/ceiling", "nat_est1m", "ceiling", 0.6),
    # testpmd's csum forward (parse, checksums, no table) on the same harness
    ("ceiling_csum/ceiling", "ceiling_csum", "ceiling", None),
    ("nat_est1m/ceiling_csum", "nat_est1m", "ceiling_csum", None),
    ("nat_new/nat_est1m", "nat_new", "nat_est1m", 0.3),
    ("syn/est1", "syn", "est1", 0.8),
    ("brok/est1", "brok", "est1", 0.1),
    ("udp_est1m/est1m", "udp_est1m", "est1m", None),
    ("v6_est1m/est1m", "v6_est1m", "est1m", None),
    ("gue_est1m/est1m", "gue_est1m", "est1m", None),
]
# cases whose configuration differs only in flow_table_size (DSR)
DSR = ("est1", "est10k", "est1m", "new", "udp_est1m", "gue_est1m", "v6_est1m")
NAT = ("nat_est10k", "nat_est1m", "nat_new")


def rate(r):
    """packets (connections for brok) per second of a row"""
    if r["case"] == "brok":
        return r.get("conn_per_s", 0.0)
    if r["case"] == "gen_txonly":
        return r["tx_mpps"] * 1e6
    return r["rx_mpps"] * 1e6


def ratios(rows):
    by, per_round = {}, {}
    for r in rows:
        by.setdefault(r["case"], []).append(rate(r))
        per_round.setdefault(r["case"], {})[r.get("round")] = rate(r)
    out = {}
    print("\n%-26s %9s %9s %8s  %s" % ("ratio (issue 17)", "medians", "rounds", "target", ""))
    for name, a, b, target in RATIOS:
        if a not in by or b not in by:
            continue
        mb = statistics.median(by[b])
        of_medians = statistics.median(by[a]) / mb if mb else None
        rs = [per_round[a][k] / per_round[b][k] for k in per_round[a]
              if per_round[b].get(k)]
        rounds = statistics.median(rs) if rs else None
        verdict = "" if target is None or rounds is None else \
            ("PASS" if rounds >= target else "MISS")
        out[name] = {"ratio_of_medians": of_medians, "ratio_per_round": rs,
                     "ratio_median_of_rounds": rounds, "target": target, "verdict": verdict}
        print("%-26s %9s %9s %8s  %s" % (name, "-" if of_medians is None else "%.3f" % of_medians,
                                          "-" if rounds is None else "%.3f" % rounds,
                                          "-" if target is None else ">= %.2f" % target, verdict))
    print("  (medians: ratio of the cases' medians; rounds: median of the per-round ratios,"
          " which decides PASS / MISS; brok: connections/s against packets/s)")
    return out


def lat_pair(name):
    """lat_estNN[_idle|_catchup] -> (lat_ceilingNN[_catchup], NN): the testpmd io
    case of the same rate and pace (the ceiling has no idle mode)"""
    rest = name[len("lat_est"):]
    pct = "".join(c for c in rest[:2] if c.isdigit())
    tail = "_catchup" if rest.endswith("_catchup") else ""
    return "lat_ceiling" + pct + tail, int(pct) if pct else 50


def delivered(r):
    """received against offered (sg-pktgen's offered_mpps: taken + refused)"""
    off = r.get("offered_mpps")
    return r["rx_mpps"] / off if off else None


def latency_case(rows, name):
    base_name, pct = lat_pair(name)
    base = {r.get("round"): r for r in rows if r["case"] == base_name and "lat_p50_ns" in r}
    runs = []
    for r in rows:
        b = base.get(r.get("round"))
        if r["case"] != name or b is None or "lat_p50_ns" not in r:
            continue
        runs.append({"round": r.get("round"), "rate_pps": r.get("rate_pps"),
                     "ceiling_p50_ns": b["lat_p50_ns"], "ceiling_p99_ns": b.get("lat_p99_ns"),
                     "dp_p50_ns": r["lat_p50_ns"], "dp_p99_ns": r.get("lat_p99_ns"),
                     "added_p50_ns": r["lat_p50_ns"] - b["lat_p50_ns"],
                     "added_p99_ns": r.get("lat_p99_ns", 0) - b.get("lat_p99_ns", 0),
                     "samples": r.get("lat_n"), "rx_mpps": r["rx_mpps"],
                     "ceiling_rx_mpps": b["rx_mpps"],
                     "offered_mpps": r.get("offered_mpps"),
                     "ceiling_offered_mpps": b.get("offered_mpps"),
                     "delivered": delivered(r), "ceiling_delivered": delivered(b),
                     "gen_cpu": r.get("gen_cpu"), "fwd_cpu": r.get("fwd_cpu"),
                     "ceiling_gen_cpu": b.get("gen_cpu"), "ceiling_fwd_cpu": b.get("fwd_cpu")})
    if not runs:
        return None
    out = {"runs": runs, "percent_of_ceiling": pct, "baseline": base_name,
           "added_p50_ns": statistics.median(x["added_p50_ns"] for x in runs),
           "added_p99_ns": statistics.median(x["added_p99_ns"] for x in runs)}
    d = [x["delivered"] for x in runs if x["delivered"] is not None]
    dc = [x["ceiling_delivered"] for x in runs if x["ceiling_delivered"] is not None]
    out["delivered"] = statistics.median(d) if d else None
    out["ceiling_delivered"] = statistics.median(dc) if dc else None
    print("\nadded latency at %d %% of the ceiling's rate (UDP, 10k flows; %s - %s)" % (
        pct, name, base_name))
    for x in runs:
        print("  round %s: %.3f Mpps paced: testpmd io p50 %.0f / p99 %.0f ns, sg-dataplane"
              " p50 %.0f / p99 %.0f ns: added p50 %+.0f ns, p99 %+.0f ns" % (
                  x["round"], (x["rate_pps"] or 0) / 1e6, x["ceiling_p50_ns"],
                  x["ceiling_p99_ns"] or 0, x["dp_p50_ns"], x["dp_p99_ns"] or 0,
                  x["added_p50_ns"], x["added_p99_ns"]))
        if x["delivered"] is not None and x["ceiling_delivered"] is not None:
            print("    delivered/offered: testpmd io %.3f (%.3f Mpps offered), sg-dataplane %.3f"
                  " (%.3f Mpps offered); CPU share (generator / forwarder): %s / %s and %s / %s" % (
                      x["ceiling_delivered"], x["ceiling_offered_mpps"], x["delivered"],
                      x["offered_mpps"], x["ceiling_gen_cpu"], x["ceiling_fwd_cpu"],
                      x["gen_cpu"], x["fwd_cpu"]))
    print("  median: added p50 %+.0f ns, p99 %+.0f ns%s" % (
        out["added_p50_ns"], out["added_p99_ns"],
        "; delivered/offered %.3f (testpmd io %.3f)" % (out["delivered"], out["ceiling_delivered"])
        if out["delivered"] is not None and out["ceiling_delivered"] is not None else ""))
    return out


def latency(rows):
    """lat_est (50 %: the issue's figure) and any lat_estNN / lat_est*_idle beside it"""
    names = sorted({r["case"] for r in rows if r["case"].startswith("lat_est")},
                   key=lambda n: (lat_pair(n)[1], n))
    sweep = {n: latency_case(rows, n) for n in names}
    sweep = {n: v for n, v in sweep.items() if v is not None}
    if not sweep:
        return None
    out = dict(sweep.get("lat_est") or {})
    out["sweep"] = sweep
    return out


def memory(rows, workers):
    out = {}
    for kind, cases in (("dsr", DSR), ("nat", NAT)):
        heaps = {}
        for r in rows:
            if r["case"] in cases and isinstance(r.get("heap_alloc"), int):
                heaps.setdefault(r["flow_table"], []).append(r["heap_alloc"])
        if len(heaps) < 2:
            continue
        lo, hi = min(heaps), max(heaps)
        hb, lb = statistics.median(heaps[hi]), statistics.median(heaps[lo])
        per = (hb - lb) / ((hi - lo) * workers)
        out[kind] = {"bytes_per_entry": per, "tables": {str(k): statistics.median(v)
                                                        for k, v in heaps.items()}}
        print("\nbytes per flow-table entry (%s): %.1f  (heap %d B with %d entries per worker,"
              " %d B with %d; (difference) / (entries x %d workers))" % (
                  kind, per, hb, hi, lb, lo, workers))
    return out


def main():
    rows = [json.loads(x) for x in open(sys.argv[1]) if x.strip()]
    workers = int(sys.argv[2])
    res = {"targets": ratios(rows), "latency": latency(rows), "memory": memory(rows, workers)}
    if len(sys.argv) > 3 and sys.argv[3]:
        try:
            with open(sys.argv[3]) as f:
                summary = json.load(f)
        except (OSError, ValueError):
            summary = {}
        summary.update(res)
        with open(sys.argv[3], "w") as f:
            json.dump(summary, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
