#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sg-hostagent's pushed inventory, SAVE / resume and crash reporting against
libvirt's test driver (in-process, test:///<node.xml>), driven by the test
peer playing sg-control (protocol version 4):

* VM_DEFINE of VMs from a named template with vars, hostile VM_DEFINEs
  (unknown template, bad flags, bad protocol, a YAML VM's name, a VIP of the
  other family, a bad name, unknown attributes skipped), the 257th VM (E_FULL);
* ENSURE_RUNNING reports START_KIND boot, SAVE -> saved, the next
  ENSURE_RUNNING START_KIND resume (without the simulated boot), a failing
  restore falls back to a cold boot (counter resume_fallbacks);
* a crash event (test-crash: the lifecycle event of a killed qemu) is
  reported crashed at once and answers a waiting ENSURE_RUNNING E_LIBVIRT;
* a changed definition of a running VM applies at its next start;
* VM_UNDEFINE and INVENTORY forget pushed VMs (VM_STATE undefined), the full
  inventory after a reconnect includes pushed VMs.
Usage: test_inventory.py SG_HOSTAGENT_BINARY"""
import atexit
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from ctlpeer import A, START_KINDS, STATUS, VMF_PROBE, Server, enc_addr  # noqa: E402
from harness import check, step  # noqa: E402

BOOT_DELAY_MS = 800
KEY = b"sgha-test-key-0123456789abcdef"

harness.enter_netns("inv")
binary = os.path.abspath(sys.argv[1])
wd = harness.workdir("inv")
atexit.register(shutil.rmtree, wd, True)
harness.write_key(os.path.join(wd, "key"), KEY)
srv = Server(KEY)
D = harness.DATA
agent = harness.Agent(binary, wd, f"""
host: host-inv
admin_socket: "@ADMIN@"
test_hooks: true
libvirt:
  uri: "test://{D}/node.xml"
  boot_delay_ms: {BOOT_DELAY_MS}
  stop_timeout_ms: 2000
control:
  address: 127.0.0.1
  port: {srv.port}
  key_file: "{wd}/key"
templates:
  - name: guest
    path: "{D}/template-vars.xml"
    vars: {{MEMORY_KB: "131072", BRIDGE: br-inv}}
  - name: broken
    path: "{D}/template-unknown.xml"
vms:
  - name: vm-web
    address: 198.18.2.10
    port: 80
""")
agent.start()
c = srv.accept()
check(c.handshake(), "handshake", agent)
inv, sync = c.inventory()
check(inv == {"vm-web": "shutoff"} and sync.u("COUNT") == 1, f"{inv} {sync}", agent)


def u8(v):
    return bytes([v])


def u16(v):
    return v.to_bytes(2, "big")


def u32(v):
    return v.to_bytes(4, "big")


def define(name, addr="198.18.3.10", port=80, proto=6, template="guest", extra=(), skip=()):
    a = [(A["VM_NAME"], name.encode()), (A["TEMPLATE"], template.encode()),
         (A["ADDR"], enc_addr(addr)), (A["PORT"], u16(port)), (A["PROTO"], u8(proto))]
    a = [x for x in a if x[0] not in skip] + list(extra)
    seq = c.send("VM_DEFINE", a)
    return c.wait(lambda x: x.name == "RESULT" and x.seq == seq, 5, f"RESULT of VM_DEFINE {name}")


def inventory(gen, count):
    seq = c.send("INVENTORY", [(A["GENERATION"], gen.to_bytes(8, "big")),
                               (A["COUNT"], u32(count))])
    return c.wait(lambda x: x.name == "RESULT" and x.seq == seq, 10, "RESULT of INVENTORY")


def reported(vm, state, timeout=3):
    """The VM_STATE of @vm in @state: already received (before a RESULT) or to come."""
    for x in c.log:
        if x.name == "VM_STATE" and x.vm == vm and x.state == state:
            c.log.remove(x)
            return x
    return c.wait(lambda x: x.name == "VM_STATE" and x.vm == vm and x.state == state, timeout,
                  f"{vm} {state}")


def kind(m):
    v = m.u("START_KIND")
    return START_KINDS[v] if v is not None else None


step("VM_DEFINE from a named template: OK, reported undefined, INVENTORY closes the push")
r = define("p1", extra=[(A["FLAGS"], u32(0))])
check(r.status == 0 and r.s("TEXT") == "defined" and r.state == "undefined", f"{r}", agent)
reported("p1", "undefined")
r = inventory(1, 1)
check(r.status == 0 and "0 forgotten" in r.s("TEXT"), f"{r}", agent)
check(agent.vm_states() == {"vm-web": "shutoff", "p1": "undefined"}, agent.vm_states(), agent)

step("hostile VM_DEFINEs: refused with a reason, the agent keeps serving")
before = agent.counters()
for what, kw, want in [
        ("unknown template", dict(template="nope"), "no template named"),
        ("bad flags", dict(extra=[(A["FLAGS"], u32(VMF_PROBE | 0x80))]), "unknown FLAGS"),
        ("bad protocol", dict(proto=1), "PROTO must be"),
        ("port 0", dict(port=0), "PORT"),
        ("a YAML VM's name", dict(name="vm-web"), "own YAML"),
        ("VIP of the other family", dict(extra=[(A["VIP"], enc_addr("2001:2::1")),
                                                (A["VIP_PORT"], u16(80))]), "family"),
        ("no ADDR", dict(skip=(A["ADDR"],)), "needs"),
        ("no TEMPLATE", dict(skip=(A["TEMPLATE"],)), "needs"),
        ("bad name", dict(name="a/b"), "VM_NAME")]:
    kw.setdefault("name", "px")
    r = define(**kw)
    check(r.status == STATUS["BAD_REQUEST"] and want in (r.s("TEXT") or ""),
          f"{what}: {r}", agent)
after = agent.counters()
check(after["vm_define_errors"] == before["vm_define_errors"] + 9, f"{after}", agent)
r = define("p2", template="broken", extra=[(A["FLAGS"], u32(0)), (99, b"garbage-skipped")])
check(r.status == 0, f"unknown attribute type not skipped: {r}", agent)
check("px" not in agent.vm_states() and agent.alive(), "agent state", agent)

step("a template naming an unknown variable is refused at define (libvirt never sees it)")
r = c.command("ENSURE_RUNNING", "p2")
check(r.status == STATUS["LIBVIRT"] and "unknown variable @NOPE@" in r.s("TEXT"), f"{r}", agent)
print(f"p2: {r.s('TEXT')}")

step("VM_UNDEFINE: undefined reported, then gone; YAML VM and unknown VM refused")
r = c.command("VM_UNDEFINE", "p2")
check(r.status == 0, f"{r}", agent)
reported("p2", "undefined")
check(c.command("STATUS", "p2").status == STATUS["NO_SUCH_VM"], "p2 still known", agent)
check(c.command("VM_UNDEFINE", "vm-web").status == STATUS["BAD_REQUEST"], "YAML undefine", agent)
check(c.command("VM_UNDEFINE", "p9").status == STATUS["NO_SUCH_VM"], "unknown undefine", agent)

step("ENSURE_RUNNING of a pushed VM: defined from the template, booted (START_KIND boot)")
t0 = time.monotonic()
r = c.command("ENSURE_RUNNING", "p1", timeout=5)
t_boot = time.monotonic() - t0
check(r.status == 0 and r.state == "running" and r.addr == "198.18.3.10", f"{r}", agent)
check(kind(r) == "boot" and r.u("READY_MS") >= BOOT_DELAY_MS and r.u("LIBVIRT_MS") is not None,
      f"{r.attrs}", agent)
print(f"boot: ready after {r.u('READY_MS')} ms (libvirt {r.u('LIBVIRT_MS')} ms), "
      f"measured {t_boot * 1000:.0f} ms")

step("SAVE: saved; again: already saved; a shut-off VM: nothing to save")
before = agent.counters()
r = c.command("SAVE", "p1", [(A["DEADLINE_MS"], u32(5000))])
check(r.status == 0 and r.state == "saved" and r.s("TEXT").startswith("saved in"), f"{r}", agent)
print(f"managed save (test driver): {r.s('TEXT')}")
r = c.command("SAVE", "p1")
check(r.status == 0 and r.s("TEXT") == "already saved", f"{r}", agent)
r = c.command("SAVE", "vm-web")
check(r.status == 0 and "nothing to save" in r.s("TEXT") and r.state == "shutoff", f"{r}", agent)
check(c.command("STATUS", "p1").state == "saved", "status of a saved VM", agent)
r = c.command("STOP", "p1")
check(r.status == 0 and r.state == "saved" and "image stays" in r.s("TEXT"), f"{r}", agent)
check(agent.counters()["saves"] == before["saves"] + 1, "saves counter", agent)

step("ENSURE_RUNNING of a saved VM: resumed (START_KIND resume, no simulated boot)")
t0 = time.monotonic()
r = c.command("ENSURE_RUNNING", "p1", timeout=5)
t_resume = time.monotonic() - t0
check(r.status == 0 and r.state == "running" and kind(r) == "resume", f"{r} {r.attrs}", agent)
check(r.u("READY_MS") < BOOT_DELAY_MS and "resumed" in r.s("TEXT"), f"{r.attrs}", agent)
m = [x for x in c.log if x.name == "VM_STATE" and x.vm == "p1"][-1]
check(m.state == "running" and kind(m) == "resume" and m.u("READY_MS") is not None, f"{m}", agent)
after = agent.counters()
check(after["resumes"] == before["resumes"] + 1, f"{after}", agent)
print(f"resume: ready after {r.u('READY_MS')} ms (libvirt {r.u('LIBVIRT_MS')} ms), "
      f"measured {t_resume * 1000:.0f} ms")

step("a restore that fails falls back to a cold boot (image removed), counted")
check(c.command("SAVE", "p1").state == "saved", "save again", agent)
check(agent.cmd("test-fail-resume").startswith("ok"), "hook fail-resume", agent)
r = c.command("ENSURE_RUNNING", "p1", timeout=5)
check(r.status == 0 and kind(r) == "boot" and "resume failed" in r.s("TEXT"), f"{r}", agent)
check(agent.counters()["resume_fallbacks"] == before["resume_fallbacks"] + 1, "fallbacks", agent)

step("a crash (the event of a killed qemu) is reported crashed at once, with the reason")
before = agent.counters()
t0 = time.monotonic()
check(agent.cmd("test-crash p1").startswith("ok"), "hook crash", agent)
m = c.wait(lambda x: x.name == "VM_STATE" and x.vm == "p1", 1, "p1 crashed")
check(m.state == "crashed" and "qemu process died" in m.s("TEXT") and
      time.monotonic() - t0 < 0.5, f"{m}", agent)
time.sleep(0.3)  # the destroy's own event must not turn it into a clean stop
check(agent.vm_states()["p1"] == "crashed", f"{agent.vm_states()}", agent)
check(agent.counters()["crashes"] == before["crashes"] + 1, "crashes counter", agent)
check(c.command("STATUS", "p1").state == "crashed", "status after crash", agent)

step("a crash while an ENSURE_RUNNING waits answers it E_LIBVIRT")
seq = c.send("ENSURE_RUNNING", [(A["VM_NAME"], b"vm-web")])
reported("vm-web", "booting")
check(agent.cmd("test-crash vm-web").startswith("ok"), "hook crash vm-web", agent)
r = c.wait(lambda x: x.name == "RESULT" and x.seq == seq, 2, "RESULT of the waiting start")
check(r.status == STATUS["LIBVIRT"] and "crash" in r.s("TEXT"), f"{r}", agent)

step("a crashed VM starts again; a running VM's change applies at its next start")
r = c.command("ENSURE_RUNNING", "p1", timeout=5)
check(r.status == 0 and r.state == "running" and kind(r) == "boot", f"{r}", agent)
r = define("p1", addr="198.18.3.11", port=8080)
check(r.status == 0 and "next start" in r.s("TEXT"), f"{r}", agent)
check(c.command("STATUS", "p1").addr == "198.18.3.10", "change applied while running", agent)
r = c.command("STOP", "p1", timeout=5)
check(r.status == 0 and r.state == "shutoff", f"{r}", agent)
r = c.command("ENSURE_RUNNING", "p1", timeout=5)
check(r.status == 0 and r.addr == "198.18.3.11" and r.u("PORT") == 8080, f"{r}", agent)
r = define("p1", addr="198.18.3.11", port=8080)
check(r.status == 0 and r.s("TEXT") == "unchanged", f"{r}", agent)

step("E_FULL: 256 VMs in all, the 257th refused")
n = 256 - len(agent.vm_states())
for i in range(n):
    r = define(f"bulk-{i}", addr=f"198.18.{4 + i // 250}.{1 + i % 250}")
    check(r.status == 0, f"bulk-{i}: {r}", agent)
r = define("one-too-many")
check(r.status == STATUS["FULL"] and "256" in r.s("TEXT"), f"{r}", agent)
check(len(agent.vm_states()) == 256, "256 VMs", agent)

step("INVENTORY: pushed VMs not defined since the previous one are forgotten")
r = inventory(2, n + 1)
check(r.status == 0 and "0 forgotten" in r.s("TEXT"), f"{r}", agent)
r = define("p1", addr="198.18.3.11", port=8080)
check(r.status == 0, f"{r}", agent)
t0 = time.monotonic()
r = inventory(3, 1)
check(r.status == 0 and f"{n} forgotten" in r.s("TEXT"), f"{r}", agent)
gone = [x for x in c.log if x.name == "VM_STATE" and x.vm.startswith("bulk-")
        and x.state == "undefined"]
check(len(gone) >= n, f"{len(gone)} undefined reports", agent)
check(agent.vm_states() == {"vm-web": agent.vm_states()["vm-web"], "p1": "running"},
      f"{agent.vm_states()}", agent)
print(f"INVENTORY forgot {n} VMs in {(time.monotonic() - t0) * 1000:.0f} ms: {r.s('TEXT')}")

step("the full inventory after a reconnect includes the pushed VMs")
check(agent.cmd("test-control-close").startswith("ok"), "hook control-close")
check(c.wait_closed(2), "not closed", agent)
c.close()
c = srv.accept(timeout=10)
check(c.handshake(), "re-handshake", agent)
inv, sync = c.inventory()
check(inv.get("p1") == "running" and sync.u("COUNT") == 2, f"{inv} {sync}", agent)
r = c.command("COUNTERS")
cn = r.counters()
check(all(k in cn for k in ("saves", "resumes", "resume_fallbacks", "boots", "crashes")),
      f"{cn}", agent)
check(agent.stop() == 0, "agent exit status", agent)
print("PASS test_inventory")
