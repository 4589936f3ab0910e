# SPDX-License-Identifier: BSD-3-Clause
"""A test peer that plays sg-control's end of the host agent protocol.

Written from doc/hostagent.md alone (a second, independent implementation
of the codec and the HMAC handshake), so the tests check the documented
protocol, not just the agent against its own code.
"""
import hashlib
import hmac
import os
import select
import socket
import struct
import time

MAGIC = 0x5347
VERSION = 4
FLAG_TAG = 1  # after AUTH_OK: a 32-byte tag follows the payload
TAG_LEN = 32
HDR = struct.Struct(">HBBIII")  # magic, version, type, length, seq, flags
MSG_MAX = 4096

T = dict(HELLO=1, CHALLENGE=2, AUTH=3, AUTH_OK=4, ERROR=5, PING=6, PONG=7,
         ENSURE_RUNNING=8, STOP=9, STATUS=10, RESULT=11, VM_STATE=12, SYNC=13,
         FLOW_ADD=14, FLOW_DEL=15, COUNTERS=16, SAVE=17, VM_DEFINE=18, VM_UNDEFINE=19,
         INVENTORY=20)
TN = {v: k for k, v in T.items()}
A = dict(HOST=1, NONCE=2, MAC=3, STATUS=4, TEXT=5, VM_NAME=6, VM_UUID=7,
         VM_STATE=8, ADDR=9, PORT=10, DEADLINE_MS=11, VIP=12, VIP_PORT=13,
         PROTO=14, GENERATION=15, COUNT=16, COUNTER=17, TEMPLATE=18, FLAGS=19,
         START_KIND=20, LIBVIRT_MS=21, READY_MS=22)
AN = {v: k for k, v in A.items()}
STATUS = dict(OK=0, NO_SUCH_VM=1, LIBVIRT=2, TIMEOUT=3, BAD_REQUEST=4, AUTH=5,
              UNAVAILABLE=6, FULL=7, INTERNAL=8)
STATES = ["unknown", "undefined", "shutoff", "booting", "running", "stopping",
          "paused", "crashed", "app_down", "saved"]
START_KINDS = ["none", "boot", "resume"]
VMF_PROBE = 1


def enc_addr(text):
    if ":" in text:
        return bytes([6]) + socket.inet_pton(socket.AF_INET6, text)
    return bytes([4]) + socket.inet_pton(socket.AF_INET, text)


def dec_addr(b):
    if b[0] == 4:
        return socket.inet_ntop(socket.AF_INET, b[1:5])
    return socket.inet_ntop(socket.AF_INET6, b[1:17])


def encode(mtype, seq=0, attrs=(), flags=0):
    """attrs: list of (attr type, value bytes)."""
    body = b"".join(struct.pack(">HH", t, len(v)) + v for t, v in attrs)
    return HDR.pack(MAGIC, VERSION, mtype, len(body), seq, flags) + body


def session_key(key, na, nc, host):
    return hmac.new(key, b"sg-session\0" + na + nc + host, hashlib.sha256).digest()


def tag(ks, from_ctl, n, frame):
    """HMAC(Ks, dir | seq64 | header | payload) of a frame whose flags say FLAG_TAG."""
    return hmac.new(ks, (b"C" if from_ctl else b"A") + struct.pack(">Q", n) + frame,
                    hashlib.sha256).digest()


class Msg:
    def __init__(self, mtype, seq, attrs):
        self.type = mtype
        self.seq = seq
        self.attrs = attrs  # dict name -> bytes (COUNTER: list)

    @property
    def name(self):
        return TN.get(self.type, str(self.type))

    def s(self, key):
        return self.attrs[key].decode() if key in self.attrs else None

    def u(self, key):
        v = self.attrs.get(key)
        return int.from_bytes(v, "big") if v is not None else None

    @property
    def vm(self):
        return self.s("VM_NAME")

    @property
    def state(self):
        v = self.u("VM_STATE")
        return STATES[v] if v is not None else None

    @property
    def status(self):
        return self.u("STATUS")

    @property
    def addr(self):
        return dec_addr(self.attrs["ADDR"]) if "ADDR" in self.attrs else None

    def counters(self):
        return {v[8:].decode(): int.from_bytes(v[:8], "big")
                for v in self.attrs.get("COUNTER", [])}

    def __repr__(self):
        parts = [f"{self.name} seq={self.seq}"]
        for k in ("VM_NAME", "TEXT"):
            if k in self.attrs:
                parts.append(f"{k}={self.s(k)!r}")
        if "VM_STATE" in self.attrs:
            parts.append(f"state={self.state}")
        if "STATUS" in self.attrs:
            parts.append(f"status={self.status}")
        return "<" + " ".join(parts) + ">"


def decode(buf):
    magic, ver, mtype, length, seq, flags = HDR.unpack_from(buf)
    assert magic == MAGIC and ver == VERSION and flags in (0, FLAG_TAG), "bad header"
    if flags:
        buf = buf[:-TAG_LEN]
    attrs, off = {}, HDR.size
    while off < len(buf):
        t, n = struct.unpack_from(">HH", buf, off)
        v = buf[off + 4: off + 4 + n]
        assert len(v) == n, "truncated attribute"
        off += 4 + n
        name = AN.get(t, str(t))
        if name == "COUNTER":
            attrs.setdefault(name, []).append(v)
        else:
            attrs[name] = v
    return Msg(mtype, seq, attrs)


def mac(key, role_ctl, na, nc, host):
    if role_ctl:
        data = b"sg-ctl\0" + na + nc + host
    else:
        data = b"sg-agent\0" + nc + na + host
    return hmac.new(key, data, hashlib.sha256).digest()


class Conn:
    def __init__(self, sock, key):
        self.sock = sock
        self.key = key
        self.buf = b""
        self.seq = 100
        self.log = []  # every message received, in order
        self.host = None
        self.ks = None  # session key once AUTH_OK is sent: every message tagged
        self.tx = self.rx = 0

    def seal(self, frame):
        """Tag an encoded message (the next of ours), as sg-control does once up."""
        frame = frame[:12] + struct.pack(">I", FLAG_TAG) + frame[16:]
        t = tag(self.ks, True, self.tx, frame)
        self.tx += 1
        self.last = frame + t  # for the replay tests
        return frame + t

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, mtype, attrs=(), seq=None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        frame = encode(T[mtype], seq, attrs)
        self.send_raw(self.seal(frame) if self.ks is not None else frame)
        return seq

    def recv(self, timeout=5.0):
        """Next message, or None on EOF. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= HDR.size:
                length, flags = HDR.unpack_from(self.buf)[3], HDR.unpack_from(self.buf)[5]
                assert length <= MSG_MAX - HDR.size, "agent sent an oversized message"
                total = HDR.size + length + (TAG_LEN if flags & FLAG_TAG else 0)
                if len(self.buf) >= total:
                    frame, self.buf = self.buf[:total], self.buf[total:]
                    if self.ks is not None:  # every message of the agent tagged, in order
                        assert flags & FLAG_TAG, "untagged message after AUTH_OK"
                        assert hmac.compare_digest(
                            frame[-TAG_LEN:], tag(self.ks, False, self.rx, frame[:-TAG_LEN])), \
                            "wrong tag"
                        self.rx += 1
                    else:
                        assert not flags, "tagged message before AUTH_OK"
                    m = decode(frame)
                    if m.name == "PING":  # answer keepalives transparently
                        try:
                            self.send("PONG", seq=m.seq)
                        except OSError:
                            return None
                        continue
                    self.log.append(m)
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from the agent")
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                return None
            self.buf += data

    def wait(self, pred, timeout=5.0, what="message"):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"timed out waiting for {what}")
            m = self.recv(left)
            if m is None:
                raise ConnectionError(f"agent closed while waiting for {what}")
            if pred(m):
                return m

    def wait_closed(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                m = self.recv(deadline - time.monotonic())
            except TimeoutError:
                break
            if m is None:
                return True
        return False

    def handshake(self, check_agent=True):
        hello = self.recv(5.0)
        assert hello is not None and hello.name == "HELLO", f"expected HELLO, got {hello}"
        self.host = hello.attrs["HOST"]
        na = hello.attrs["NONCE"]
        nc = os.urandom(32)
        self.send("CHALLENGE", [(A["NONCE"], nc),
                                (A["MAC"], mac(self.key, True, na, nc, self.host))], seq=0)
        auth = self.recv(5.0)
        if auth is None:
            return False  # the agent refused our MAC
        assert auth.name == "AUTH", f"expected AUTH, got {auth}"
        if check_agent and not hmac.compare_digest(
                auth.attrs["MAC"], mac(self.key, False, na, nc, self.host)):
            self.send("ERROR", [(A["STATUS"], struct.pack(">H", STATUS["AUTH"])),
                                (A["TEXT"], b"bad MAC")], seq=0)
            return False
        self.send("AUTH_OK", seq=0)
        self.ks = session_key(self.key, na, nc, self.host)
        self.tx = self.rx = 0
        return True

    def inventory(self, timeout=5.0):
        """Collect VM_STATE messages up to the next SYNC: {vm: state}, sync msg."""
        states = {}
        while True:
            m = self.wait(lambda x: x.name in ("VM_STATE", "SYNC"), timeout, "inventory")
            if m.name == "SYNC":
                return states, m
            states[m.vm] = m.state

    def command(self, mtype, vm=None, attrs=(), timeout=10.0):
        a = list(attrs)
        if vm is not None:
            a.insert(0, (A["VM_NAME"], vm.encode()))
        seq = self.send(mtype, a)
        return self.wait(lambda x: x.name == "RESULT" and x.seq == seq, timeout,
                         f"RESULT of {mtype} {vm or ''} seq {seq}")


class Server:
    def __init__(self, key, addr="127.0.0.1", port=0):
        self.key = key
        self.sock = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, port))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]

    def accept(self, timeout=10.0):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            raise TimeoutError("the agent did not connect")
        s, _ = self.sock.accept()
        return Conn(s, self.key)

    def close(self):
        self.sock.close()
