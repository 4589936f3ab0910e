#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sg-hostagent against a real libvirtd (a private, unprivileged session
daemon serving the test driver at test+unix:///default): the hypervisor
state lives outside the agent, so this checks what the in-process driver
cannot:

* agent restart loses no state: a VM the agent started is still running,
  reported running at once, and not started again;
* libvirt reconnect loses no state (the agent drops its connection);
* libvirtd really going away (SIGKILL): close callback, 'unavailable'
  answers, reconnect with backoff once libvirtd is back;
* events caused by another libvirt client (virsh suspend/resume/destroy).

Needs Debian's libvirt-daemon (libvirtd); fails (never skips) without it.
Usage: test_libvirtd.py SG_HOSTAGENT_BINARY"""
import atexit
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from ctlpeer import A, STATUS, Server, enc_addr  # noqa: E402
from harness import check, fail, step  # noqa: E402

harness.enter_netns("lvd")
binary = os.path.abspath(sys.argv[1])
LIBVIRTD = "/usr/sbin/libvirtd"
if not os.access(LIBVIRTD, os.X_OK):
    fail(f"{LIBVIRTD} missing: install Debian's libvirt-daemon (scripts/install-deps.sh)")

wd = harness.workdir("lvd")
os.chmod(wd, 0o755)
lvd_dir = os.path.join(wd, "libvirtd")
sock_dir = os.path.join(lvd_dir, "sock")
os.makedirs(sock_dir)
nobody = pwd.getpwnam("nobody")
for d in (lvd_dir, sock_dir):
    os.chown(d, nobody.pw_uid, nobody.pw_gid)
with open(os.path.join(lvd_dir, "libvirtd.conf"), "w") as f:
    f.write(f'unix_sock_dir = "{sock_dir}"\nunix_sock_rw_perms = "0777"\n'
            'auth_unix_rw = "none"\nauth_unix_ro = "none"\n'
            f'log_outputs = "3:file:{lvd_dir}/libvirtd.log"\n')
SOCK = os.path.join(sock_dir, "libvirt-sock")
URI = f"test+unix:///default?socket={SOCK}"
daemon = None
holder = None


def start_libvirtd():
    global daemon
    if os.path.exists(SOCK):
        os.unlink(SOCK)
    env = dict(HOME=lvd_dir, XDG_RUNTIME_DIR=lvd_dir, XDG_CONFIG_HOME=lvd_dir,
               XDG_CACHE_HOME=lvd_dir, PATH="/usr/sbin:/usr/bin:/sbin:/bin")
    daemon = subprocess.Popen(["runuser", "-u", "nobody", "--", "env"] +
                              [f"{k}={v}" for k, v in env.items()] +
                              [LIBVIRTD, "--config", os.path.join(lvd_dir, "libvirtd.conf")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            fail(f"libvirtd exited with {daemon.returncode}; see {lvd_dir}/libvirtd.log")
        if os.path.exists(SOCK) and virsh("uri", check_rc=False).returncode == 0:
            return
        time.sleep(0.1)
    fail("libvirtd did not come up within 20 s")


def stop_libvirtd(sig=signal.SIGKILL):
    # runuser is the parent; kill the daemon itself (its only child).
    kids = subprocess.run(["pgrep", "-P", str(daemon.pid)], capture_output=True,
                          text=True).stdout.split()
    for k in kids:
        os.kill(int(k), sig)
    daemon.wait(10)


def virsh(*args, check_rc=True):
    p = subprocess.run(["virsh", "-q", "-c", URI] + list(args), capture_output=True, text=True,
                       timeout=15)
    if check_rc and p.returncode != 0:
        fail(f"virsh {' '.join(args)}: {p.stderr.strip()}")
    return p


def start_holder():
    """The test driver's default state lives while a client holds it: hold it."""
    global holder
    holder = subprocess.Popen(["virsh", "-c", URI], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cleanup():
    for p in (holder,):
        if p and p.poll() is None:
            p.kill()
            p.wait()
    if daemon and daemon.poll() is None:
        try:
            stop_libvirtd()
        except Exception:  # noqa: BLE001
            daemon.kill()
    shutil.rmtree(wd, True)


atexit.register(cleanup)

step("private libvirtd (session, user nobody) with the test driver")
start_libvirtd()
start_holder()
time.sleep(0.3)
web_xml = os.path.join(wd, "vm-web.xml")
with open(web_xml, "w") as f:
    f.write('<domain type="test"><name>vm-web</name><memory>262144</memory><vcpu>1</vcpu>'
            '<os><type arch="x86_64">hvm</type></os></domain>')
os.chmod(web_xml, 0o644)
virsh("define", web_xml)

KEY = b"sgha-libvirtd-key-0123456789abc"
harness.write_key(os.path.join(wd, "key"), KEY)
srv = Server(KEY)
config = f"""
host: host-l
admin_socket: "@ADMIN@"
test_hooks: true
libvirt:
  uri: "{URI}"
  keepalive_interval_s: 1
  keepalive_count: 2
  boot_delay_ms: 800
  resync_ms: 3000
  reconnect_min_ms: 300
  reconnect_max_ms: 2400
control:
  address: 127.0.0.1
  port: {srv.port}
  key_file: "{wd}/key"
templates:
  - name: guest
    path: "{harness.DATA}/template-vars.xml"
    vars: {{MEMORY_KB: "131072", BRIDGE: br-l}}
vms:
  - name: vm-web
    address: 198.18.2.10
    port: 80
  - name: vm-tpl
    uuid: 5a7e0001-0000-4000-8000-0000000000bb
    template: "{harness.DATA}/template-good.xml"
    disk: /var/lib/sessiongate/vm-tpl.qcow2
    address: 198.18.2.11
    port: 80
"""
agent = harness.Agent(binary, wd, config)
agent.start()
c = srv.accept()
check(c.handshake(), "handshake", agent)
inv, sync = c.inventory()
check(inv == {"vm-web": "shutoff", "vm-tpl": "undefined"}, f"inventory {inv}", agent)

step("ensure-running through libvirtd: booting, running after the boot delay")
r = c.command("ENSURE_RUNNING", "vm-web", timeout=8)
check(r.status == STATUS["OK"] and r.state == "running", f"{r}", agent)
r = c.command("ENSURE_RUNNING", "vm-tpl", timeout=8)
check(r.status == STATUS["OK"] and r.state == "running", f"{r}", agent)
check("vm-tpl" in virsh("list", "--name").stdout, "vm-tpl not running in libvirtd", agent)

step("events from another libvirt client arrive through the daemon")
t0 = time.monotonic()
virsh("suspend", "vm-web")
m = c.wait(lambda x: x.name == "VM_STATE" and x.vm == "vm-web", 2, "paused event")
check(m.state == "paused" and time.monotonic() - t0 < 1.5, f"{m}", agent)
virsh("resume", "vm-web")
m = c.wait(lambda x: x.name == "VM_STATE" and x.vm == "vm-web" and x.state == "running", 4,
           "running again")

step("agent restart: no state lost, nothing started again")
ids_before = virsh("list").stdout
check(agent.stop() == 0, "agent exit", agent)
c.close()
agent.start()
c = srv.accept()
check(c.handshake(), "handshake after restart", agent)
inv, sync = c.inventory()
check(inv == {"vm-web": "running", "vm-tpl": "running"}, f"inventory after restart {inv}", agent)
check(virsh("list").stdout == ids_before, "domains restarted by the agent restart", agent)
r = c.command("ENSURE_RUNNING", "vm-tpl")
check(r.status == 0 and r.state == "running" and r.s("TEXT") == "running", f"{r}", agent)


def push_pv():
    """sg-control's push after AUTH_OK: VM_DEFINE pv, INVENTORY."""
    r = c.command("VM_DEFINE", "pv", [(A["TEMPLATE"], b"guest"), (A["ADDR"], enc_addr("198.18.2.30")),
                                      (A["PORT"], (80).to_bytes(2, "big")), (A["PROTO"], b"\x06")])
    check(r.status == 0, f"VM_DEFINE pv {r}", agent)
    r = c.command("INVENTORY", None, [(A["GENERATION"], (1).to_bytes(8, "big")),
                                      (A["COUNT"], (1).to_bytes(4, "big"))])
    check(r.status == 0, f"INVENTORY {r}", agent)


step("pushed VM: defined from the named template with its vars, started, restart keeps it running")
push_pv()
r = c.command("ENSURE_RUNNING", "pv", timeout=8)
check(r.status == 0 and r.state == "running" and r.u("START_KIND") == 1, f"{r}", agent)
xml = virsh("dumpxml", "pv").stdout
for want in ("at 198.18.2.30 mac 52:54:00:", "bridge br-l (a literal @ stays)",
             '<memory unit=\'KiB\'>131072</memory>'):
    check(want in xml, f"dumpxml pv lacks {want!r}:\n{xml}", agent)
ids_before = virsh("list").stdout
check(agent.stop() == 0, "agent exit", agent)
c.close()
agent.start()
c = srv.accept()
check(c.handshake(), "handshake after restart", agent)
inv, sync = c.inventory()
check("pv" not in inv, f"pushed VMs live in memory only: {inv}", agent)
push_pv()
r = c.command("STATUS", "pv")
check(r.status == 0 and r.state == "running" and r.u("START_KIND") == 0, f"{r}", agent)
check(virsh("list").stdout == ids_before, "pv restarted by the agent restart", agent)

step("pushed VM through libvirtd: SAVE (managed save image), resume, VM_UNDEFINE removes it")
r = c.command("SAVE", "pv")
check(r.status == 0 and r.state == "saved", f"{r}", agent)
check("Managed save:   yes" in virsh("dominfo", "pv").stdout, "no managed-save image", agent)
r = c.command("ENSURE_RUNNING", "pv", timeout=8)
check(r.status == 0 and r.state == "running" and r.u("START_KIND") == 2, f"{r}", agent)
r = c.command("SAVE", "pv")
check(r.status == 0 and r.state == "saved", f"{r}", agent)
r = c.command("VM_UNDEFINE", "pv")
check(r.status == 0, f"{r}", agent)
check("pv" not in virsh("list", "--all", "--name").stdout.split(), "pv still defined", agent)

step("libvirt reconnect (agent drops its connection): no state lost")
agent.cmd("test-libvirt-close")
inv, sync2 = c.inventory(timeout=5)
check(sync2.u("GENERATION") == sync.u("GENERATION") + 1, f"{sync2}", agent)
check(inv == {"vm-web": "running", "vm-tpl": "running"}, f"after reconnect {inv}", agent)
t0 = time.monotonic()
virsh("destroy", "vm-web")
m = c.wait(lambda x: x.name == "VM_STATE" and x.vm == "vm-web", 2, "event after reconnect")
check(m.state == "shutoff" and time.monotonic() - t0 < 1.5, f"{m}", agent)

step("libvirtd killed: close callback, 'unavailable', reconnect with backoff")
lv_before = agent.counters()["lv_connects"]
stop_libvirtd()
holder.kill()
holder.wait(10)
deadline = time.monotonic() + 5
while "libvirt down" not in agent.cmd("status"):
    check(time.monotonic() < deadline, "agent did not notice libvirtd going away", agent)
    time.sleep(0.05)
r = c.command("ENSURE_RUNNING", "vm-web")
check(r.status == STATUS["UNAVAILABLE"], f"{r}", agent)
time.sleep(1.5)  # a few failed attempts: backoff grows
start_libvirtd()
start_holder()
inv, sync3 = c.inventory(timeout=8)
cn = agent.counters()
check(cn["lv_connects"] == lv_before + 1 and cn["lv_connect_failures"] >= 1, f"{cn}", agent)
# A new libvirtd with the test driver starts empty: the agent reports libvirt's truth.
check(inv == {"vm-web": "undefined", "vm-tpl": "undefined"}, f"{inv}", agent)
r = c.command("ENSURE_RUNNING", "vm-tpl", timeout=8)
check(r.status == 0 and r.state == "running", f"after libvirtd restart {r}", agent)
print(f"libvirtd restart: {cn['lv_connect_failures']} failed reconnect attempt(s) before success")
check(agent.stop() == 0, "agent exit", agent)
print("PASS test_libvirtd")
