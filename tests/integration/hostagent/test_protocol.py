#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sg-hostagent's end of the control protocol under hostile peers: wrong
key, replayed challenge, no handshake, oversized and garbled messages,
messages after the handshake that are untagged, wrongly tagged, replayed or
altered (protocol version 2), silent peer. Each must drop that connection only (the agent lives on,
reconnects with backoff, and the next honest session works).
Usage: test_protocol.py SG_HOSTAGENT_BINARY"""
import atexit
import os
import shutil
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from ctlpeer import A, HDR, MAGIC, STATUS, T, VERSION, Server, encode  # noqa: E402
from harness import check, step  # noqa: E402

KEY = b"sgha-protocol-key-0123456789abcdef"
harness.enter_netns("proto")
binary = os.path.abspath(sys.argv[1])
wd = harness.workdir("proto")
atexit.register(shutil.rmtree, wd, True)
harness.write_key(os.path.join(wd, "key"), KEY)
srv = Server(KEY)
config = f"""
host: host-p
admin_socket: "@ADMIN@"
test_hooks: true
libvirt:
  uri: "test://{harness.DATA}/node.xml"
control:
  address: 127.0.0.1
  port: {srv.port}
  key_file: "{wd}/key"
  ping_ms: 300
  timeout_ms: 1200
libvirt_placeholder: 1
"""
# The agent must refuse a configuration with an unknown key, naming it.
agent = harness.Agent(binary, wd, config, name="bad")
import subprocess  # noqa: E402
p = subprocess.run([binary, "-c", agent.config, "--check"], capture_output=True, text=True)
check(p.returncode != 0 and "libvirt_placeholder" in p.stderr, f"bad config accepted: {p.stderr}")
print(f"config error: {p.stderr.strip()}")

config = config.replace("libvirt_placeholder: 1\n", "") + """
vms:
  - name: vm-web
    address: 198.18.2.10
    port: 80
"""
config = config.replace('uri: "', 'reconnect_min_ms: 200\n  reconnect_max_ms: 1600\n  uri: "')
agent = harness.Agent(binary, wd, config)
agent.start()


def honest_session():
    c = srv.accept()
    check(c.handshake(), "honest handshake failed", agent)
    c.inventory()
    r = c.command("STATUS", "vm-web")
    check(r.status == STATUS["OK"] and r.state == "shutoff", f"{r}", agent)
    return c


step("honest session")
c = honest_session()
challenge_bytes = None

step("peer with the wrong key is refused by the agent; backoff grows")
c.close()
bad = Server(b"wrong-key-wrong-key-wrong-key!!")
bad.sock.close()
bad.sock = srv.sock  # same listening socket, different key
times = []
for i in range(4):
    cb = bad.accept()
    times.append(time.monotonic())
    check(cb.handshake() is False, "agent accepted a peer with the wrong key", agent)
    check(cb.wait_closed(2), "agent did not close after a wrong MAC", agent)
    cb.close()
gaps = [b - a for a, b in zip(times, times[1:])]
print("reconnect gaps after failures: " + ", ".join(f"{g:.2f}s" for g in gaps))
check(gaps[0] >= 0.15 and gaps[1] > gaps[0] * 1.5 and gaps[2] > gaps[1] * 1.5,
      f"backoff does not grow: {gaps}", agent)
check(agent.counters()["link_auth_failures"] >= 4, "auth failures not counted", agent)
check(agent.alive(), "agent died", agent)

step("the agent's AUTH is checked by the peer (wrong key on the agent's side refused)")
c = srv.accept(timeout=5)
hello = c.recv()
c.key = b"another-key-another-key-another!"  # peer has a different key
na = hello.attrs["NONCE"]
# Build a CHALLENGE the agent can verify only if keys match: they do not -> agent closes.
from ctlpeer import mac  # noqa: E402
c.send("CHALLENGE", [(A["NONCE"], os.urandom(32)), (A["MAC"], mac(c.key, True, na, b"\0" * 32, b"x"))], seq=0)
check(c.wait_closed(2), "agent kept a peer whose MAC is wrong", agent)
c.close()

step("a replayed CHALLENGE from an earlier session is refused")
c = srv.accept(timeout=5)
hello1 = c.recv()
nc = os.urandom(32)
challenge_bytes = encode(T["CHALLENGE"], 0, [(A["NONCE"], nc),
                                              (A["MAC"], mac(KEY, True, hello1.attrs["NONCE"], nc, b"host-p"))])
c.send_raw(challenge_bytes)
auth = c.recv()
check(auth is not None and auth.name == "AUTH", "first use of the challenge", agent)
c.close()  # never sends AUTH_OK; agent reconnects
c = srv.accept(timeout=5)
c.recv()  # new HELLO, new nonce
c.send_raw(challenge_bytes)
check(c.wait_closed(2), "agent accepted a replayed CHALLENGE", agent)
c.close()

step("no handshake: a command before authentication drops the connection, does nothing")
c = srv.accept(timeout=5)
c.recv()
c.send("ENSURE_RUNNING", [(A["VM_NAME"], b"vm-web")])
check(c.wait_closed(2), "agent obeyed an unauthenticated peer", agent)
c.close()
time.sleep(0.3)
check(agent.vm_states()["vm-web"] == "shutoff", "vm-web was started by an unauthenticated peer", agent)


def garbled(name, data, tagged=True):
    """A garbled message after auth; tagged (so the decoder, not the tag, refuses it)
    when its header is one the framing accepts."""
    step(f"garbled after auth: {name}")
    cc = honest_session()
    before = agent.counters()["link_proto_errors"]
    cc.send_raw(cc.seal(data) if tagged else data)
    check(cc.wait_closed(3), f"{name}: connection not dropped", agent)
    cc.close()
    check(agent.counters()["link_proto_errors"] == before + 1, f"{name}: not counted", agent)
    check(agent.alive(), f"{name}: agent died", agent)


garbled("oversized length", HDR.pack(MAGIC, VERSION, T["STATUS"], 1 << 20, 1, 0), False)
garbled("length just over the maximum",
        HDR.pack(MAGIC, VERSION, T["STATUS"], 4096 - 16 + 1, 1, 0) + b"\0" * 4081, False)
garbled("bad magic", HDR.pack(0x1234, VERSION, T["STATUS"], 0, 1, 0), False)
garbled("bad version", HDR.pack(MAGIC, 9, T["STATUS"], 0, 1, 0), False)
garbled("version 1 (untagged protocol)", HDR.pack(MAGIC, 1, T["STATUS"], 0, 1, 0), False)
garbled("unknown flags", HDR.pack(MAGIC, VERSION, T["STATUS"], 0, 1, 7), False)
garbled("unknown type", encode(99, 1))
garbled("attribute beyond the message",
        HDR.pack(MAGIC, VERSION, T["STATUS"], 4, 1, 0) + struct.pack(">HH", A["VM_NAME"], 100))
garbled("VM name with a control character", encode(T["STATUS"], 1, [(A["VM_NAME"], b"vm\x01web")]))
garbled("duplicate attribute", encode(T["STATUS"], 1, [(A["VM_NAME"], b"a"), (A["VM_NAME"], b"b")]))
garbled("wrong attribute size", encode(T["STOP"], 1, [(A["VM_NAME"], b"vm-web"), (A["DEADLINE_MS"], b"\0\0")]))



def injected(name, make):
    """After auth, a message the peer did not tag right: refused by its tag, counted
    link_bad_tags, the connection dropped, the command not run."""
    step(f"injected after auth: {name}")
    cc = honest_session()
    before = agent.counters()["link_bad_tags"]
    cc.send_raw(make(cc))
    check(cc.wait_closed(3), f"{name}: connection not dropped", agent)
    cc.close()
    check(agent.counters()["link_bad_tags"] == before + 1, f"{name}: not counted", agent)
    check(agent.vm_states()["vm-web"] == "shutoff", f"{name}: the command ran", agent)
    check(agent.alive(), f"{name}: agent died", agent)


start = encode(T["ENSURE_RUNNING"], 9, [(A["VM_NAME"], b"vm-web")])
injected("untagged ENSURE_RUNNING (plain TCP injection)", lambda cc: start)


def wrong_tag(cc):
    f = cc.seal(start)
    return f[:-1] + bytes([f[-1] ^ 1])


def altered(cc):  # a byte of the payload changed on the way (MITM)
    f = bytearray(cc.seal(encode(T["STATUS"], 9, [(A["VM_NAME"], b"vm-web")])))
    f[3] = T["ENSURE_RUNNING"]
    return bytes(f)


def replayed(cc):  # the last message the peer sent on this link, byte for byte again
    return cc.last


def other_session(cc):  # tagged with a key of another connection
    ks, cc.ks = cc.ks, os.urandom(32)
    f = cc.seal(start)
    cc.ks = ks
    return f


injected("wrong tag", wrong_tag)
injected("altered in flight (STATUS turned into ENSURE_RUNNING)", altered)
injected("replayed earlier message", replayed)
injected("tagged with another session's key", other_session)

step("largest allowed message, and a message split byte by byte, are accepted")
c = honest_session()
pad = 4096 - 16 - (4 + 6) - 4
big = encode(T["STATUS"], 7, [(A["VM_NAME"], b"vm-web"), (200, b"\xaa" * pad)])
check(len(big) == 4096, f"size {len(big)}")
c.send_raw(c.seal(big))
r = c.wait(lambda x: x.name == "RESULT" and x.seq == 7, 3, "RESULT 7")
check(r.status == 0, f"{r}", agent)
for b in c.seal(encode(T["STATUS"], 8, [(A["VM_NAME"], b"vm-web")])):
    c.send_raw(bytes([b]))
    time.sleep(0.002)
r = c.wait(lambda x: x.name == "RESULT" and x.seq == 8, 3, "RESULT 8")
check(r.status == 0 and r.state == "shutoff", f"{r}", agent)

step("a silent peer (no PONG) is dropped after the timeout, then reconnect works")
before = agent.counters()["link_proto_errors"]
t0 = time.monotonic()
time.sleep(2.0)  # do not read: pings go unanswered
check(c.wait_closed(2), "silent peer not dropped", agent)
c.close()
check(agent.counters()["link_proto_errors"] >= before + 1, "silent peer not counted", agent)
c = honest_session()
check(agent.cmd("status").count("control up") == 1, "status", agent)
check(agent.stop() == 0, "agent exit status", agent)
print("PASS test_protocol")
