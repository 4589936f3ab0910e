#!/usr/bin/python3
"""Driver of the pcap replay test (pcap_replay.sh), on scapy (python3-scapy).

  replay.py gen DIR              in.pcap, expected.pcap, slots.json, neigh.args in DIR
  replay.py wait DIR PREFIX SECS until sg-dataplane has taken every input packet
                                 and accounted for each (telemetry), then stats.json
  replay.py compare DIR          out.pcap against expected.pcap packet by packet,
                                 the counters of the cases, the SYN cookies' fields
  replay.py golden DIR           write the golden files from DIR/out.pcap (once, by
                                 hand, after checking the cookies' fields)
"""
import json
import os
import re
import socket
import sys
import time

from scapy.all import IP, TCP, Ether, IPv6, hexdump, rdpcap, wrpcap

import cases as C

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("SG_SRC", os.path.join(HERE, "..", "..", "..", ".."))
COOKIE_MSS = [536, 1220, 1300, 1360, 1400, 1440, 1460, 8960]  # sg_dp_syncookie_mss[]
PORT_MTU = 1500  # appliance.yaml
BR_WSCALE = 7


def testmode_define(name):
    """A constant of dataplane/testmode.h (the fixed cookie clock)."""
    with open(os.path.join(SRC, "dataplane", "testmode.h")) as f:
        m = re.search(r"#define\s+%s\s+(0x[0-9a-fA-F]+|\d+)u?" % name, f.read())
    if m is None:
        sys.exit("replay.py: %s not found in dataplane/testmode.h" % name)
    return int(m.group(1), 0)


# ---- gen -----------------------------------------------------------------


def gen(d):
    inp, exp, slots, counters = [], [], [], {}
    for i, c in enumerate(C.cases()):
        inp.extend(c["inp"])
        for k, v in c["counters"].items():
            counters[k] = counters.get(k, 0) + v
        if c["golden"] is not None:
            path = os.path.join(HERE, "golden", c["golden"])
            pkt = rdpcap(path)[0] if os.path.exists(path) else None
            if pkt is None:
                print("replay.py: golden %s missing (replay.py golden)" % path, file=sys.stderr)
            slots.append({"case": i, "desc": c["desc"], "golden": c["golden"],
                          "syn": bytes(c["inp"][0]).hex()})
            exp.append(pkt if pkt is not None else Ether(src=C.DP_MAC, dst=C.DP_MAC))
            continue
        for p in c["out"]:
            slots.append({"case": i, "desc": c["desc"], "golden": None})
            exp.append(p)
    wrpcap(os.path.join(d, "in.pcap"), inp)
    wrpcap(os.path.join(d, "expected.pcap"), exp)
    with open(os.path.join(d, "slots.json"), "w") as f:
        json.dump({"n_in": len(inp), "slots": slots, "counters": counters,
                   "cases": [c["desc"] for c in C.cases()]}, f, indent=1)
    with open(os.path.join(d, "neigh.args"), "w") as f:
        for a, mac in C.NEIGHBOURS.items():
            f.write("--test-neigh=%s=%s\n" % (a, mac))
    print("gen: %d cases, %d input packets, %d expected" % (len(C.cases()), len(inp), len(exp)))


# ---- wait ----------------------------------------------------------------


def telemetry(prefix, cmds):
    dirs = ["/var/run/dpdk", os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")]
    path = next((os.path.join(r, prefix, "dpdk_telemetry.v2") for r in dirs
                 if os.path.exists(os.path.join(r, prefix, "dpdk_telemetry.v2"))), None)
    if path is None:
        raise OSError("no telemetry socket for prefix %s" % prefix)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    bufsz = int(json.loads(s.recv(16384).decode()).get("max_output_len", 16384))
    out = {}
    for c in cmds:
        s.send(c.encode())
        out.update(json.loads(s.recv(bufsz).decode()))
    s.close()
    return out


def wait(d, prefix, secs):
    """Every input packet received and accounted for: transmitted, dropped or consumed."""
    with open(os.path.join(d, "slots.json")) as f:
        n_in = json.load(f)["n_in"]
    deadline = time.monotonic() + float(secs)
    last = None
    while time.monotonic() < deadline:
        try:
            t = telemetry(prefix, ["/sg/ports", "/sg/stats"])
            port, st = t["/sg/ports"]["wire"], t["/sg/stats"]
            last = (port["rx_pkts"], port["tx_pkts"], port["drops"], st["consumed"])
            if last[0] == n_in and last[1] + last[2] + last[3] == n_in:
                with open(os.path.join(d, "stats.json"), "w") as f:
                    json.dump(t, f, indent=1, sort_keys=True)
                print("wait: %d packets in, %d out, %d dropped, %d consumed" % last)
                return 0
        except (OSError, ValueError, KeyError) as e:
            last = last or str(e)
        time.sleep(0.05)
    print("FAIL: the data plane did not account for %d input packets in %s s "
          "(rx, tx, drops, consumed = %s)" % (n_in, secs, last), file=sys.stderr)
    return 1


# ---- compare ---------------------------------------------------------------


def cookie_problems(syn_raw, sa, clock):
    """What is wrong with SYN-ACK @sa as the cookie answer to @syn_raw (list of strings)."""
    syn = Ether(bytes.fromhex(syn_raw))
    ip, sip = syn.getlayer(IP) or syn.getlayer(IPv6), sa.getlayer(IP) or sa.getlayer(IPv6)
    th, st = syn[TCP], sa.getlayer(TCP)
    bad = []
    if sip is None or st is None:
        return ["not a TCP packet"]
    if str(st.flags) != "SA":
        bad.append("flags %s, want SA" % st.flags)
    if (sip.src, sip.dst, st.sport, st.dport) != (ip.dst, ip.src, th.dport, th.sport):
        bad.append("addresses/ports not the SYN's swapped")
    if st.ack != (th.seq + 1) & 0xFFFFFFFF:
        bad.append("ack %#x, want seq+1 = %#x" % (st.ack, (th.seq + 1) & 0xFFFFFFFF))
    opts = dict((k, v) for k, v in th.options)
    sopts = dict((k, v) for k, v in st.options)
    v = (st.seq - th.seq) & 0xFFFFFFFF
    mss_in = opts.get("MSS", 0)
    idx = max([i for i, m in enumerate(COOKIE_MSS) if m <= mss_in] or [0])
    if (v >> 24) & 7 != idx:
        bad.append("cookie MSS index %d, want %d (client MSS %d)" % ((v >> 24) & 7, idx, mss_in))
    if v >> 27 != (clock // 64) & 31:
        bad.append("cookie counter %d, want %d" % (v >> 27, (clock // 64) & 31))
    if sopts.get("MSS") != PORT_MTU - (40 + 20 if sip.version == 4 else 60 + 40):
        bad.append("MSS option %s, want the port MTU less headers and the DSR hand-off's "
                   "outer IP header" % sopts.get("MSS"))
    has_ts = "Timestamp" in opts
    if has_ts:
        bits = (opts["WScale"] if "WScale" in opts else 0xF) | (0x10 if "SAckOK" in opts else 0)
        want = (((clock * 1000) & 0xFFFFFFFF) & ~0x1F) | bits
        if sopts.get("Timestamp") != (want, opts["Timestamp"][0]):
            bad.append("Timestamp %s, want %s" % (sopts.get("Timestamp"),
                                                  (want, opts["Timestamp"][0])))
    elif "Timestamp" in sopts:
        bad.append("Timestamp option without the client's")
    if sopts.get("WScale") != (BR_WSCALE if has_ts and "WScale" in opts else None):
        bad.append("WScale %s" % sopts.get("WScale"))
    if ("SAckOK" in sopts) != (has_ts and "SAckOK" in opts):
        bad.append("SAckOK %s" % ("SAckOK" in sopts))
    return bad


def show_diff(i, slot, want, got):
    print("---- first difference: output packet #%d, case %d: %s"
          % (i, slot["case"], slot["desc"]), file=sys.stderr)
    wb, gb = bytes(want), bytes(got)
    off = next((k for k in range(min(len(wb), len(gb))) if wb[k] != gb[k]), min(len(wb), len(gb)))
    print("first differing byte at offset %d (expected %d bytes, got %d)"
          % (off, len(wb), len(gb)), file=sys.stderr)
    for name, p in (("expected", want), ("got", got)):
        print("== %s:" % name, file=sys.stderr)
        print(hexdump(p, dump=True), file=sys.stderr)
        print(p.show2(dump=True), file=sys.stderr)


def compare(d):
    with open(os.path.join(d, "slots.json")) as f:
        meta = json.load(f)
    with open(os.path.join(d, "stats.json")) as f:
        stats = json.load(f)["/sg/stats"]
    exp = rdpcap(os.path.join(d, "expected.pcap"))
    out = rdpcap(os.path.join(d, "out.pcap")) if os.path.getsize(
        os.path.join(d, "out.pcap")) > 0 else []
    clock = testmode_define("SG_DP_TESTMODE_COOKIE_CLOCK_S")
    fails = 0
    for i, slot in enumerate(meta["slots"]):
        if i >= len(out):
            print("FAIL: output has %d packets, expected %d; first missing: case %d: %s"
                  % (len(out), len(exp), slot["case"], slot["desc"]), file=sys.stderr)
            return 1
        if slot["golden"] is not None:
            bad = cookie_problems(slot["syn"], out[i], clock)
            if bad:
                print("FAIL: case %d (%s): SYN cookie: %s" % (slot["case"], slot["desc"],
                                                              "; ".join(bad)), file=sys.stderr)
                fails += 1
            if not os.path.exists(os.path.join(HERE, "golden", slot["golden"])):
                print("FAIL: golden/%s missing" % slot["golden"], file=sys.stderr)
                return 1
        if bytes(out[i]) != bytes(exp[i]):
            show_diff(i, slot, exp[i], out[i])
            return 1
    if len(out) > len(exp):
        print("FAIL: %d unexpected output packets after the expected %d; the first:"
              % (len(out) - len(exp), len(exp)), file=sys.stderr)
        print(out[len(exp)].show2(dump=True), file=sys.stderr)
        return 1
    for k, v in sorted(meta["counters"].items()):
        if stats.get(k) != v:
            print("FAIL: counter %s is %s, the cases want %d" % (k, stats.get(k), v),
                  file=sys.stderr)
            fails += 1
    if fails:
        return 1
    for i, desc in enumerate(meta["cases"]):
        print("ok %d - %s" % (i, desc))
    print("compare: %d output packets identical, %d counters as expected"
          % (len(out), len(meta["counters"])))
    return 0


def golden(d):
    with open(os.path.join(d, "slots.json")) as f:
        meta = json.load(f)
    out = rdpcap(os.path.join(d, "out.pcap"))
    clock = testmode_define("SG_DP_TESTMODE_COOKIE_CLOCK_S")
    os.makedirs(os.path.join(HERE, "golden"), exist_ok=True)
    for i, slot in enumerate(meta["slots"]):
        if slot["golden"] is None:
            continue
        bad = cookie_problems(slot["syn"], out[i], clock)
        if bad:
            sys.exit("golden: output #%d is no cookie answer: %s" % (i, "; ".join(bad)))
        wrpcap(os.path.join(HERE, "golden", slot["golden"]), [out[i]])
        print("golden: wrote golden/%s from output packet #%d" % (slot["golden"], i))
    return 0


def main(argv):
    cmds = {"gen": (gen, 1), "wait": (wait, 3), "compare": (compare, 1), "golden": (golden, 1)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) != 2 + cmds[argv[1]][1]:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return cmds[argv[1]][0](*argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
