# SPDX-License-Identifier: BSD-3-Clause
"""Shared plumbing of the sg-hostagent integration tests: a private network
namespace (sgha-<test>-<pid>) so that every socket stays in it, the agent
process, its admin socket, and cleanup that runs even on failure."""
import atexit
import glob
import shutil
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def step(msg):
    print(f"--- {msg}", file=sys.stderr, flush=True)


def require_root():
    if os.geteuid() != 0:
        fail("needs root (network namespaces, BPF); this test never skips")


def enter_netns(tag):
    """Re-run this script inside a fresh netns; the outer process cleans up."""
    if os.environ.get("SGHA_IN_NETNS"):
        signal.signal(signal.SIGTERM, lambda s, f: sys.exit(1))
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return
    require_root()
    ns = f"sgha-{tag}-{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", ns]).returncode != 0:
        fail(f"cannot create network namespace {ns}")
    env = dict(os.environ, SGHA_IN_NETNS=ns)
    child = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable] + sys.argv, env=env)

    def forward(signum, frame):  # meson's timeout: let the test clean up itself first
        child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        try:
            rc = child.wait(timeout=int(os.environ.get("SGHA_TIMEOUT", "240")))
        except subprocess.TimeoutExpired:
            print("FAIL: test timed out", file=sys.stderr)
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            rc = 1
    finally:
        # The test's own namespaces are named "<ns>-<role>"; its files "/tmp/<ns>-*".
        names = [n.split()[0] for n in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                                      text=True).stdout.splitlines() if n]
        mine = [n for n in names if n == ns or n.startswith(ns + "-")]
        for n in mine:
            for pid in subprocess.run(["ip", "netns", "pids", n], capture_output=True,
                                      text=True).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        for n in mine:
            subprocess.run(["ip", "netns", "del", n])
        # Processes the test started carry its temp dir in their command line.
        mark = os.path.join(tempfile.gettempdir(), ns + "-").encode()
        for pid in os.listdir("/proc"):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if mark in f.read():
                        os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        for d in glob.glob(os.path.join(tempfile.gettempdir(), ns + "-*")):
            shutil.rmtree(d, True)
    sys.exit(rc)


class Agent:
    """One sg-hostagent process with a generated config."""

    def __init__(self, binary, workdir, config_text, name="agent"):
        self.binary = binary
        self.workdir = workdir
        self.config = os.path.join(workdir, f"{name}.yaml")
        self.admin = os.path.join(workdir, f"{name}.sock")
        self.logpath = os.path.join(workdir, f"{name}.log")
        with open(self.config, "w") as f:
            f.write(config_text.replace("@ADMIN@", self.admin))
        self.proc = None
        atexit.register(self.kill)

    def start(self, extra_env=None):
        self.log = open(self.logpath, "ab")
        env = dict(os.environ, **(extra_env or {}))
        self.proc = subprocess.Popen([self.binary, "-c", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.admin):
            if self.proc.poll() is not None:
                self.dump()
                fail(f"agent exited with {self.proc.returncode} at start")
            if time.monotonic() > deadline:
                fail("agent admin socket did not appear")
            time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("agent did not stop within 10 s of SIGTERM")
        self.log.close()
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def alive(self):
        return self.proc.poll() is None

    def dump(self):
        try:
            with open(self.logpath, "rb") as f:
                sys.stderr.write("----- agent log -----\n" + f.read().decode(errors="replace")[-6000:])
        except OSError:
            pass

    def cmd(self, line, timeout=3.0):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(self.admin)
        s.sendall(line.encode() + b"\n")
        out = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
        s.close()
        return out.decode()

    def counters(self):
        c = {}
        for line in self.cmd("counters").splitlines():
            p = line.split()
            if len(p) == 2:
                c[p[0]] = int(p[1])
        return c

    def vm_states(self):
        return {p[1]: p[2] for p in (l.split() for l in self.cmd("status").splitlines())
                if p and p[0] == "vm"}


def workdir(tag):
    """A temp dir named after the test's namespace (removed by the outer process too)."""
    return tempfile.mkdtemp(prefix=os.environ.get("SGHA_IN_NETNS", f"sgha-{tag}") + "-")


def write_key(path, key):
    with open(path, "wb") as f:
        f.write(key + b"\n")
    os.chmod(path, 0o600)


def check(cond, msg, agent=None):
    if not cond:
        if agent:
            agent.dump()
        fail(msg)
