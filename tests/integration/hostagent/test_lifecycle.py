#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sg-hostagent VM lifecycle against libvirt's test driver (in-process,
test:///<node.xml>), driven through the documented protocol by a test peer
playing sg-control. Usage: test_lifecycle.py SG_HOSTAGENT_BINARY"""
import atexit
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from ctlpeer import A, STATUS, Server  # noqa: E402
from harness import check, step  # noqa: E402

BOOT_DELAY_MS = 1500
RESYNC_MS = 2000
CHECK_MS, FALL, RISE = 300, 2, 2  # app_check of running VMs with probe: true
KEY = b"sgha-test-key-0123456789abcdef"

harness.enter_netns("life")
binary = os.path.abspath(sys.argv[1])
wd = harness.workdir("life")
atexit.register(shutil.rmtree, wd, True)
harness.write_key(os.path.join(wd, "key"), KEY)

# A service the readiness probe of vm-api connects to (opened later).
probe_port = 18080
srv = Server(KEY)
D = harness.DATA
config = f"""
host: host-a
admin_socket: "@ADMIN@"
test_hooks: true
app_check:
  interval_ms: {CHECK_MS}
  timeout_ms: 200
  fall: {FALL}
  rise: {RISE}
libvirt:
  uri: "test://{D}/node.xml"
  boot_delay_ms: {BOOT_DELAY_MS}
  resync_ms: {RESYNC_MS}
  reconnect_min_ms: 1000
  reconnect_max_ms: 4000
  stop_timeout_ms: 3000
control:
  address: 127.0.0.1
  port: {srv.port}
  key_file: "{wd}/key"
  ping_ms: 1000
  timeout_ms: 5000
vms:
  - name: vm-web
    address: 198.18.2.10
    port: 80
  - name: vm-db
    uuid: 5a7e0001-0000-4000-8000-000000000003
    address: 198.18.2.12
    port: 5432
  - name: vm-api
    address: 127.0.0.1
    port: {probe_port}
    probe: true
  - name: vm-new
    uuid: 5a7e0001-0000-4000-8000-0000000000aa
    template: "{D}/template-good.xml"
    disk: /var/lib/sessiongate/vm-new.qcow2
    address: 198.18.2.20
    port: 80
  - name: vm-bad
    template: "{D}/template-bad.xml"
    address: 198.18.2.21
    port: 80
"""
agent = harness.Agent(binary, wd, config)
agent.start()

step("connect, authenticate, full inventory")
c = srv.accept()
check(c.handshake(), "handshake with the right key failed", agent)
check(c.host == b"host-a", f"HELLO host {c.host!r}")
inv, sync = c.inventory()
check(sync.u("COUNT") == 5 and len(inv) == 5, f"inventory {inv} sync {sync}", agent)
check(inv["vm-web"] == "shutoff" and inv["vm-api"] == "shutoff", f"inventory {inv}", agent)
check(inv["vm-new"] == "undefined" and inv["vm-bad"] == "undefined", f"inventory {inv}", agent)
check(inv["vm-db"] in ("booting", "running"), f"vm-db {inv['vm-db']}", agent)

step("ensure-running of a stopped VM: booting, then running after the boot delay")
t0 = time.monotonic()
seq = c.send("ENSURE_RUNNING", [(A["VM_NAME"], b"vm-web")])
m = c.wait(lambda x: x.name == "VM_STATE" and x.vm == "vm-web", 3, "vm-web booting")
check(m.state == "booting", f"first state {m}", agent)
m = c.wait(lambda x: x.vm == "vm-web" and x.name == "VM_STATE", 5, "vm-web running")
t_running = time.monotonic() - t0
check(m.state == "running" and m.addr == "198.18.2.10" and m.u("PORT") == 80, f"{m}", agent)
check(t_running >= BOOT_DELAY_MS / 1000 - 0.05, f"running after {t_running:.3f}s < boot delay")
r = c.wait(lambda x: x.name == "RESULT" and x.seq == seq, 3, "RESULT")
check(r.status == STATUS["OK"] and r.state == "running", f"{r}", agent)
print(f"ensure-running: running after {t_running:.3f} s (boot delay {BOOT_DELAY_MS} ms)")

step("idempotent: ensure-running again answers at once; status")
t0 = time.monotonic()
r = c.command("ENSURE_RUNNING", "vm-web")
check(r.status == 0 and r.state == "running" and time.monotonic() - t0 < 0.5, f"{r}", agent)
r = c.command("STATUS", "vm-web")
check(r.status == 0 and r.state == "running" and r.addr == "198.18.2.10", f"{r}", agent)

step("stop: graceful shutdown, shutoff, idempotent")
r = c.command("STOP", "vm-web", [(A["DEADLINE_MS"], (2000).to_bytes(4, "big"))])
check(r.status == 0 and r.state == "shutoff", f"{r}", agent)
r = c.command("STOP", "vm-web")
check(r.status == 0 and r.s("TEXT") == "already stopped", f"{r}", agent)

step("a VM libvirt refuses to start reports libvirt's error")
r = c.command("ENSURE_RUNNING", "vm-bad")
check(r.status == STATUS["LIBVIRT"], f"{r}", agent)
check("Invalid value for attribute 'bus'" in (r.s("TEXT") or ""), f"text {r.s('TEXT')!r}", agent)
print(f"vm-bad: {r.s('TEXT')}")

step("unknown VM, missing attribute")
r = c.command("ENSURE_RUNNING", "vm-nope")
check(r.status == STATUS["NO_SUCH_VM"], f"{r}", agent)
r = c.command("STATUS")
check(r.status == STATUS["BAD_REQUEST"], f"{r}", agent)

step("define + start from a template")
r = c.command("ENSURE_RUNNING", "vm-new", timeout=8)
check(r.status == 0 and r.state == "running", f"{r}", agent)
check(r.attrs.get("VM_UUID", b"").hex() == "5a7e00010000400080000000000000aa",
      f"uuid {r.attrs.get('VM_UUID', b'').hex()}", agent)

step("readiness probe: not ready while the port is closed (timeout), ready once it listens")
r = c.command("ENSURE_RUNNING", "vm-api", [(A["DEADLINE_MS"], (2500).to_bytes(4, "big"))], timeout=8)
check(r.status == STATUS["TIMEOUT"] and r.state == "booting", f"{r}", agent)
lst = socket.socket()
lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind(("127.0.0.1", probe_port))
lst.listen(8)
r = c.command("ENSURE_RUNNING", "vm-api", timeout=5)
check(r.status == 0 and r.state == "running", f"{r}", agent)

step("app check: a running VM whose app port stops answering is app_down, then running again")
before = agent.counters()
t0 = time.monotonic()
lst.close()
window = (FALL * CHECK_MS + 200 + 2 * 100) / 1000  # fall x interval + timeout + 2 ticks
m = c.wait(lambda x: x.name == "VM_STATE" and x.vm == "vm-api", window + 1.0, "vm-api app_down")
t_down = time.monotonic() - t0
check(m.state == "app_down" and t_down <= window, f"{m} after {t_down:.3f} s", agent)
after = agent.counters()
check(after["app_downs"] == before["app_downs"] + 1 and
      after["app_check_failures"] >= before["app_check_failures"] + FALL, f"{after}", agent)
r = c.command("STATUS", "vm-api")
check(r.status == 0 and r.state == "app_down", f"{r}", agent)
lst = socket.socket()
lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind(("127.0.0.1", probe_port))
lst.listen(8)
t0 = time.monotonic()
m = c.wait(lambda x: x.name == "VM_STATE" and x.vm == "vm-api", (RISE + 1) * CHECK_MS / 1000 + 1,
           "vm-api running again")
check(m.state == "running", f"{m}", agent)
print(f"app_down after {t_down:.3f} s (window {window:.3f} s); running again after "
      f"{time.monotonic() - t0:.3f} s (rise {RISE} x {CHECK_MS} ms)")

step("a lost lifecycle event is repaired by the periodic resync")
check(agent.cmd("test-lose-events 1").startswith("ok"), "hook lose-events")
before = agent.counters()
t0 = time.monotonic()
check(agent.cmd("test-destroy vm-new").startswith("ok"), "hook destroy")
check(agent.vm_states()["vm-new"] == "running", "the agent saw the lost event?", agent)
m = c.wait(lambda x: x.name == "VM_STATE" and x.vm == "vm-new", RESYNC_MS / 1000 + 1.0,
           "vm-new repaired by resync")
t_repair = time.monotonic() - t0
check(m.state == "shutoff", f"{m}", agent)
after = agent.counters()
check(after["lv_events_lost"] == before["lv_events_lost"] + 1, f"{after}", agent)
check(after["resync_repairs"] >= before["resync_repairs"] + 1, f"{after}", agent)
print(f"lost event repaired after {t_repair:.3f} s (resync period {RESYNC_MS} ms)")

step("an event that is not lost arrives at once")
t0 = time.monotonic()
check(agent.cmd("test-destroy vm-api").startswith("ok"), "hook destroy vm-api")
m = c.wait(lambda x: x.name == "VM_STATE" and x.vm == "vm-api", 1.0, "vm-api event")
check(m.state == "shutoff" and time.monotonic() - t0 < 0.5, f"{m}", agent)

step("libvirt goes away: commands answer 'unavailable', reconnect with backoff, resync")
check(agent.cmd("test-libvirt-close").startswith("ok"), "hook libvirt-close")
check("libvirt down" in agent.cmd("status"), "status after close", agent)
r = c.command("ENSURE_RUNNING", "vm-web")
check(r.status == STATUS["UNAVAILABLE"], f"{r}", agent)
r = c.command("STATUS", "vm-db")
check(r.status == STATUS["UNAVAILABLE"] and r.state is not None, f"{r}", agent)
inv2, sync2 = c.inventory(timeout=6)
check(sync2.u("GENERATION") == sync.u("GENERATION") + 1, f"sync {sync2}", agent)
check(agent.counters()["lv_connects"] == 2, "lv_connects", agent)
# The test driver re-reads node.xml on a new connection: libvirt's truth is the file's.
check(agent.vm_states() == {"vm-web": "shutoff", "vm-db": agent.vm_states()["vm-db"],
                            "vm-api": "shutoff", "vm-new": "undefined",
                            "vm-bad": "undefined"}, f"{agent.vm_states()}", agent)
step("events are registered again after the reconnect")
r = c.command("ENSURE_RUNNING", "vm-web", timeout=5)
check(r.status == 0 and r.state == "running", f"{r}", agent)
t0 = time.monotonic()
check(agent.cmd("test-destroy vm-web").startswith("ok"), "hook destroy vm-web")
m = c.wait(lambda x: x.name == "VM_STATE" and x.vm == "vm-web", 1.0, "vm-web event")
check(m.state == "shutoff" and time.monotonic() - t0 < 0.5, f"event after reconnect {m}", agent)

step("control link dropped: messages queue, reconnect, queued then inventory")
check(agent.cmd("test-control-close").startswith("ok"), "hook control-close")
check(c.wait_closed(2), "agent did not close the control connection", agent)
c.close()
agent.cmd("test-destroy vm-db")  # a VM_STATE while disconnected: queued
c = srv.accept(timeout=10)
check(c.handshake(), "re-handshake", agent)
m = c.wait(lambda x: x.name == "VM_STATE" and x.vm == "vm-db", 3, "queued vm-db state")
check(m.state == "shutoff", f"{m}", agent)
inv3, sync3 = c.inventory()
check(inv3["vm-db"] == "shutoff" and sync3.u("COUNT") == 5, f"{inv3}", agent)

step("agent restart: clean exit, reconnects, same inventory")
states = agent.vm_states()
check(agent.stop() == 0, "agent exit status", agent)
check(c.wait_closed(3), "connection not closed at exit")
c.close()
agent.start()
c = srv.accept()
check(c.handshake(), "handshake after restart", agent)
inv4, sync4 = c.inventory()
check(sync4.u("COUNT") == 5, f"{sync4}", agent)
print(f"after restart: {inv4}")
r = c.command("COUNTERS")
check(r.status == 0 and r.counters().get("link_connects") == 1, f"{r.counters()}", agent)
check(agent.stop() == 0, "agent exit status", agent)
print("PASS test_lifecycle")
