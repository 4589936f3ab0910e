#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Direct server return through the host agent's tc-BPF datapath, with real
namespaces and a real HTTP server:

  client ns (sgha-dsr-PID-cli)      host ns (sgha-dsr-PID: this script)      VM ns (sgha-dsr-PID-vm)
  cl0 198.18.50.7 --- veth --- up0 198.18.50.1   vm0 198.18.2.1 --- veth --- v0 198.18.2.10
  curl http://198.18.100.1/         sg-hostagent: decap IPIP/GUE,             python3 -m http.server
  egress: test encap (IPIP/GUE)     VIP:80 -> 198.18.2.10:8080, reply         8080, no VIP configured
                                    rewritten 198.18.2.10:8080 -> VIP:80

The client's request goes encapsulated (as sg-dataplane's DSR mode sends
it); the VM's answer goes straight back to the client, from the VIP.
Then: a flow installed over the control protocol, the agent killed
(datapath keeps forwarding), restarted (pinned maps reused, counters kept).
Usage: test_dsr_netns.py SG_HOSTAGENT ENCAP_IPIP.o ENCAP_GUE.o"""
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import time

# The GUE port, from its one definition (include/sessiongate/sg_wire.h).
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                       "include", "sessiongate", "sg_wire.h")) as _f:
    GUE_PORT = int(re.search(r"#define SG_WIRE_GUE_PORT (\d+)", _f.read()).group(1))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from ctlpeer import A, STATUS, Server, enc_addr  # noqa: E402
from harness import check, fail, step  # noqa: E402

harness.enter_netns("dsr")
binary = os.path.abspath(sys.argv[1])
encap_ipip = os.path.abspath(sys.argv[2])
encap_gue = os.path.abspath(sys.argv[3])
base = os.environ["SGHA_IN_NETNS"]  # sgha-dsr-<pid>: this (host) namespace
CLI, VM = f"{base}-cli", f"{base}-vm"
wd = harness.workdir("dsr")
bpffs = os.path.join(wd, "bpffs")
procs = []


def sh(*cmd, ns=None, check_rc=True, timeout=10):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    p = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
    if check_rc and p.returncode != 0:
        fail(f"{' '.join(full)}: rc {p.returncode}: {p.stderr.strip()}")
    return p


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    for ns in (CLI, VM):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    subprocess.run(["umount", bpffs], capture_output=True)
    shutil.rmtree(wd, True)


atexit.register(cleanup)

step("namespaces, veths, addresses, routes")
for ns in (CLI, VM):
    sh("ip", "netns", "add", ns)
    sh("ip", "link", "set", "lo", "up", ns=ns)
sh("ip", "link", "add", "up0", "type", "veth", "peer", "name", "cl0", "netns", CLI)
sh("ip", "link", "add", "vm0", "type", "veth", "peer", "name", "v0", "netns", VM)
sh("ip", "addr", "add", "198.18.50.1/24", "dev", "up0")
sh("ip", "addr", "add", "198.18.2.1/24", "dev", "vm0")
sh("ip", "addr", "add", "198.18.50.7/24", "dev", "cl0", ns=CLI)
sh("ip", "addr", "add", "198.18.2.10/24", "dev", "v0", ns=VM)
for dev, ns in (("up0", None), ("vm0", None), ("cl0", CLI), ("v0", VM)):
    sh("ip", "link", "set", dev, "up", ns=ns)
    # Software checksums everywhere: a wrong incremental update is then a drop.
    sh("ethtool", "-K", dev, "tx", "off", ns=ns)
for a, dev, ns in (("2001:2::50:1/112", "up0", None), ("2001:2::2:1/112", "vm0", None),
                   ("2001:2::50:7/112", "cl0", CLI), ("2001:2::2:10/112", "v0", VM)):
    sh("ip", "-6", "addr", "add", a, "dev", dev, "nodad", ns=ns)
sh("ip", "route", "add", "198.18.100.0/24", "via", "198.18.50.1", ns=CLI)
sh("ip", "-6", "route", "add", "2001:2::100:0/112", "via", "2001:2::50:1", ns=CLI)
sh("ip", "-6", "route", "add", "default", "via", "2001:2::2:1", ns=VM)
sh("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
sh("ip", "route", "add", "default", "via", "198.18.2.1", ns=VM)
sh("sysctl", "-qw", "net.ipv4.ip_forward=1")
for ns in (None, CLI, VM):
    sh("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0", ns=ns)
    sh("sysctl", "-qw", "net.ipv4.conf.default.rp_filter=0", ns=ns)
sh("tc", "qdisc", "add", "dev", "cl0", "clsact", ns=CLI)
sh("tc", "filter", "add", "dev", "cl0", "egress", "bpf", "direct-action", "object-file",
   encap_ipip, "section", "tc", ns=CLI)
os.makedirs(bpffs)
sh("mount", "-t", "bpf", "bpf", bpffs)

step("HTTP server in the VM namespace (no VIP there)")
www = os.path.join(wd, "www")
os.makedirs(www)
with open(os.path.join(www, "hello.txt"), "w") as f:
    f.write("hello from the VM\n")
big = os.urandom(4 << 20)
with open(os.path.join(www, "big.bin"), "wb") as f:
    f.write(big)
http = subprocess.Popen(["ip", "netns", "exec", VM, sys.executable, "-m", "http.server", "8080",
                         "--bind", "::", "--directory", www],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
procs.append(http)
vm_addrs = sh("ip", "-o", "addr", "show", ns=VM).stdout
check("198.18.100." not in vm_addrs and "2001:2::100:" not in vm_addrs,
      f"the VM namespace has a VIP: {vm_addrs}")

KEY = b"sgha-dsr-key-0123456789abcdef!!"
harness.write_key(os.path.join(wd, "key"), KEY)
srv = Server(KEY)
config = f"""
host: host-d
admin_socket: "@ADMIN@"
libvirt:
  uri: "test://{harness.DATA}/node.xml"
control:
  address: 127.0.0.1
  port: {srv.port}
  key_file: "{wd}/key"
datapath:
  uplink: up0
  host_address: 198.18.50.1
  host_address6: "2001:2::50:1"
  gue_port: {GUE_PORT}
  pin_dir: "{bpffs}/host-d"
vms:
  - name: vm-web
    address: 198.18.2.10
    port: 8080
    vip: 198.18.100.1
    vip_port: 80
    device: vm0      # VIP 198.18.100.1: bpf_redirect_neigh to vm0
"""
# VIP 198.18.100.2 (FLOW_ADD without VM_NAME, below): kernel routing after rewrite.
agent = harness.Agent(binary, wd, config)
agent.start()
c = srv.accept()
check(c.handshake(), "handshake", agent)
c.inventory()


def curl(url, expect_ok=True, tries=30):
    """GET from the client namespace; retried while the server starts (bounded)."""
    last = None
    for _ in range(tries):
        p = sh("curl", "-s", "-m", "2", "-o", "-", "-w", "\n%{http_code} %{remote_ip}", url,
               ns=CLI, check_rc=False, timeout=5)
        last = p
        netloc = url.split("/")[2]
        host = netloc[1:netloc.index("]")] if netloc.startswith("[") else netloc.split(":")[0]
        if p.returncode == 0 and p.stdout.strip().endswith("200 " + host):
            return p.stdout
        if not expect_ok:
            return None
        time.sleep(0.2)
    fail(f"curl {url}: rc {last.returncode} out {last.stdout!r} err {last.stderr!r}")


def ctr():
    return agent.counters()


step("IPIP: client -> VIP, answered directly from the VIP")
before = ctr()
out = curl("http://198.18.100.1/hello.txt")
check("hello from the VM" in out, f"body {out!r}", agent)
after = ctr()
check(after["bpf_decap_ipip"] > before["bpf_decap_ipip"], f"no IPIP decap: {after}", agent)
check(after["bpf_return_rewrite"] > before["bpf_return_rewrite"], f"no return rewrite {after}", agent)
vip_line = [l for l in agent.cmd("counters").splitlines() if l.startswith("vip_vm-web")]
print("after IPIP:", vip_line[0] if vip_line else "(no per-VIP line)")
check(vip_line and "rx_packets 0 " not in vip_line[0], f"per-VIP counters {vip_line}", agent)

step("4 MiB download through DSR: many segments, every byte intact")
dl = os.path.join(wd, "big.dl")
p = sh("curl", "-s", "-m", "30", "-o", dl, "-w", "%{http_code} %{speed_download}",
       "http://198.18.100.1/big.bin", ns=CLI, check_rc=False, timeout=40)
check(p.returncode == 0 and p.stdout.startswith("200"), f"download: {p.stdout} {p.stderr}", agent)
with open(dl, "rb") as f:
    check(f.read() == big, "downloaded bytes differ", agent)
print(f"4 MiB via DSR: {float(p.stdout.split()[1]) / 1e6:.1f} MB/s (shared CPUs, software checksums)")

step("4 MiB upload through DSR (client -> VM direction at volume)")
sink_py = os.path.join(wd, "sink.py")
with open(sink_py, "w") as f:
    f.write("import hashlib, socket\n"
            "s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "s.bind(('::', 9000)); s.listen(4)\n"
            "while True:\n"
            "    c, _ = s.accept(); c.settimeout(20); h = hashlib.sha256(); n = 0\n"
            "    while n < 4 << 20:\n"
            "        d = c.recv(65536)\n"
            "        if not d: break\n"
            "        h.update(d); n += len(d)\n"
            "    c.sendall(h.hexdigest().encode()); c.close()\n")
sink = subprocess.Popen(["ip", "netns", "exec", VM, sys.executable, sink_py],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
procs.append(sink)
r = c.command("FLOW_ADD", attrs=[(A["VIP"], enc_addr("198.18.100.1")),
                                 (A["VIP_PORT"], (9000).to_bytes(2, "big")),
                                 (A["PROTO"], bytes([6])),
                                 (A["ADDR"], enc_addr("198.18.2.10")),
                                 (A["PORT"], (9000).to_bytes(2, "big"))])
check(r.status == 0, f"{r}", agent)
up_py = os.path.join(wd, "up.py")
with open(up_py, "w") as f:
    f.write("import hashlib, os, socket, sys, time\n"
            "data = os.urandom(4 << 20)\n"
            "for _ in range(50):\n"
            "    try:\n"
            "        s = socket.create_connection(('198.18.100.1', 9000), timeout=2); break\n"
            "    except OSError: time.sleep(0.1)\n"
            "s.settimeout(30); t = time.monotonic(); s.sendall(data); got = s.recv(100).decode()\n"
            "dt = time.monotonic() - t\n"
            "print(f'{len(data) / dt / 1e6:.1f}')\n"
            "sys.exit(0 if got == hashlib.sha256(data).hexdigest() else 1)\n")
p = sh(sys.executable, up_py, ns=CLI, check_rc=False, timeout=60)
check(p.returncode == 0, f"upload through DSR failed: {p.stdout} {p.stderr}", agent)
print(f"4 MiB upload via DSR: {p.stdout.strip()} MB/s")
r = c.command("FLOW_DEL", attrs=[(A["VIP"], enc_addr("198.18.100.1")),
                                 (A["VIP_PORT"], (9000).to_bytes(2, "big")),
                                 (A["PROTO"], bytes([6]))])
check(r.status == 0, f"{r}", agent)

step(f"GUE: same, with outer UDP to port {GUE_PORT}")
sh("tc", "filter", "replace", "dev", "cl0", "egress", "bpf", "direct-action", "object-file",
   encap_gue, "section", "tc", ns=CLI)
before = ctr()
out = curl("http://198.18.100.1/hello.txt")
check("hello from the VM" in out, f"body {out!r}", agent)
check(ctr()["bpf_decap_gue"] > before["bpf_decap_gue"], "no GUE decap", agent)
sh("tc", "filter", "replace", "dev", "cl0", "egress", "bpf", "direct-action", "object-file",
   encap_ipip, "section", "tc", ns=CLI)

step("IPv6-in-IPv6: flow installed over the protocol, answered from the IPv6 VIP")
r = c.command("FLOW_ADD", attrs=[(A["VIP"], enc_addr("2001:2::100:1")),
                                 (A["VIP_PORT"], (80).to_bytes(2, "big")),
                                 (A["PROTO"], bytes([6])),
                                 (A["ADDR"], enc_addr("2001:2::2:10")),
                                 (A["PORT"], (8080).to_bytes(2, "big"))])
check(r.status == STATUS["OK"], f"{r}", agent)
before = ctr()
out = curl("http://[2001:2::100:1]/hello.txt")
check("hello from the VM" in out, f"body {out!r}", agent)
check(ctr()["bpf_decap_ip6ip6"] > before["bpf_decap_ip6ip6"], "no IPv6 decap", agent)
r = c.command("FLOW_DEL", attrs=[(A["VIP"], enc_addr("2001:2::100:1")),
                                 (A["VIP_PORT"], (80).to_bytes(2, "big")),
                                 (A["PROTO"], bytes([6]))])
check(r.status == 0, f"{r}", agent)

step("a VIP that is not local is dropped and counted")
before = ctr()
curl("http://198.18.100.3/hello.txt", expect_ok=False, tries=1)
check(ctr()["bpf_drop_no_vip"] > before["bpf_drop_no_vip"], "no drop_no_vip", agent)

step("flow installed over the control protocol (FLOW_ADD)")
r = c.command("FLOW_ADD", attrs=[(A["VIP"], enc_addr("198.18.100.2")),
                                 (A["VIP_PORT"], (80).to_bytes(2, "big")),
                                 (A["PROTO"], bytes([6])),
                                 (A["ADDR"], enc_addr("198.18.2.10")),
                                 (A["PORT"], (8080).to_bytes(2, "big"))])
check(r.status == STATUS["OK"], f"{r}", agent)
out = curl("http://198.18.100.2/hello.txt")
check("hello from the VM" in out, f"body {out!r}", agent)
r = c.command("COUNTERS")
cn = r.counters()
check(cn.get("bpf_decap_ipip", 0) > 0, f"COUNTERS over the protocol: {cn}", agent)
check(ctr()["bpf_vip_entries"] == 2, "2 VIP entries", agent)

step("agent killed: installed flows keep working (tc filter + pinned maps stay)")
agent.proc.send_signal(signal.SIGKILL)
agent.proc.wait()
c.close()
out = curl("http://198.18.100.2/hello.txt")
check("hello from the VM" in out, "flow lost when the agent died")
pins = sorted(os.listdir(os.path.join(bpffs, "host-d")))
print("pinned maps:", " ".join(pins))
check("sg_ha_vips" in pins and "sg_ha_ctrs" in pins, f"pins {pins}")
check("sg_ha_ingress" in sh("tc", "filter", "show", "dev", "up0", "ingress").stdout,
      "ingress filter gone")
bt = sh("bpftool", "map", "dump", "pinned", os.path.join(bpffs, "host-d", "sg_ha_ctrs"),
        check_rc=False)
check(bt.returncode == 0 and "value" in bt.stdout, f"bpftool cannot read the counters: {bt.stderr}")

step("agent restarted: maps reused (flows and counters kept), filters replaced")
decap_before = None
agent.start()
c = srv.accept()
check(c.handshake(), "handshake after restart", agent)
c.inventory()
cn = ctr()
check(cn["bpf_vip_entries"] == 2, f"entries after restart {cn['bpf_vip_entries']}", agent)
check(cn["bpf_decap_ipip"] > 0, "counters reset by the restart", agent)
decap_before = cn["bpf_decap_ipip"]
for url in ("http://198.18.100.1/hello.txt", "http://198.18.100.2/hello.txt"):
    out = curl(url)
    check("hello from the VM" in out, f"{url} after restart", agent)
check(ctr()["bpf_decap_ipip"] > decap_before, "new program not in the path", agent)
filters = sh("tc", "filter", "show", "dev", "up0", "ingress").stdout
check(filters.count("handle 0x5347") == 1, f"filters duplicated: {filters}", agent)

step("FLOW_DEL, then detach removes filters and pins")
r = c.command("FLOW_DEL", attrs=[(A["VIP"], enc_addr("198.18.100.2")),
                                 (A["VIP_PORT"], (80).to_bytes(2, "big")),
                                 (A["PROTO"], bytes([6]))])
check(r.status == 0, f"{r}", agent)
check(curl("http://198.18.100.2/hello.txt", expect_ok=False, tries=1) is None,
      "deleted flow still delivered", agent)
check(agent.cmd("detach").startswith("ok"), "detach", agent)
check("sg_ha_ingress" not in sh("tc", "filter", "show", "dev", "up0", "ingress").stdout,
      "filter left after detach", agent)
check(not os.path.exists(os.path.join(bpffs, "host-d", "sg_ha_vips")), "pins left", agent)
check(agent.stop() == 0, "agent exit", agent)
print("PASS test_dsr_netns")
