# SPDX-License-Identifier: BSD-3-Clause
"""Hostile ends of the host agent protocol (doc/hostagent.md), for
agent-impersonate.sh. Speaks the version the peer speaks (1: untagged,
2: every message after AUTH_OK tagged), so the same attack runs against
old and new code.

  agentpeer.py claim CTL PORT HOST KEYFILE
      an agent that holds KEYFILE's key and says it is HOST; prints
      "accepted" (AUTH_OK seen) or "refused".
  agentpeer.py hostile CTL PORT HOST KEYFILE VM
      a compromised agent: HOST's own key (accepted), then, tagged, the
      version-4 messages of a hostile peer about VM (another host's):
      forged RESULTs to VM_DEFINEs and requests never sent, VM_STATE saved /
      crashed, types only sg-control sends, and last a garbled start kind
      (closes the link); prints "sent N" (N messages).
  agentpeer.py mitm LISTEN_PORT CTL PORT VM
      a TCP relay between an agent and sg-control that injects, 2 s after
      the link came up, a VM_STATE "running" for VM into the agent ->
      control stream of the first link, a FLOW_ADD into the control ->
      agent stream of the second, and relays every later link untouched.
"""
import hashlib
import hmac
import os
import socket
import struct
import sys
import threading
import time

HDR = struct.Struct(">HBBIII")  # magic, version, type, length, seq, flags
MAGIC, TAG_LEN, FLAG_TAG = 0x5347, 32, 1
HELLO, CHALLENGE, AUTH, AUTH_OK, VM_STATE, FLOW_ADD = 1, 2, 3, 4, 12, 14
A_HOST, A_NONCE, A_MAC, A_VM_NAME, A_VM_STATE = 1, 2, 3, 6, 8
A_VIP, A_VIP_PORT, A_PROTO, A_ADDR, A_PORT = 12, 13, 14, 9, 10


def frame(ver, mtype, attrs, flags=0, seq=0):
    body = b"".join(struct.pack(">HH", t, len(v)) + v for t, v in attrs)
    return HDR.pack(MAGIC, ver, mtype, len(body), seq, flags) + body


def frame_len(buf):
    """Bytes of the first whole frame in buf, or 0."""
    if len(buf) < HDR.size:
        return 0
    _, _, _, n, _, flags = HDR.unpack_from(buf)
    total = HDR.size + n + (TAG_LEN if flags & FLAG_TAG else 0)
    return total if len(buf) >= total else 0


def attrs_of(buf):
    out, off, n = {}, HDR.size, HDR.unpack_from(buf)[3]
    while off < HDR.size + n:
        t, ln = struct.unpack_from(">HH", buf, off)
        out[t] = buf[off + 4:off + 4 + ln]
        off += 4 + ln
    return out


def recv_frame(s, buf):
    while not frame_len(buf):
        d = s.recv(65536)
        if not d:
            return None, buf
        buf += d
    n = frame_len(buf)
    return buf[:n], buf[n:]


def claim(ctl, port, host, keyfile):
    key = open(keyfile, "rb").read().rstrip(b"\r\n")
    s = socket.create_connection((ctl, port), timeout=5)
    na, buf = os.urandom(32), b""
    for ver in (4, 3, 2, 1):  # the newest the peer accepts
        try:
            s.sendall(frame(ver, HELLO, [(A_HOST, host.encode()), (A_NONCE, na)]))
            ch, buf = recv_frame(s, buf)
        except OSError:
            ch = None
        if ch is not None and ch[3] == CHALLENGE:
            break
        s.close()
        s, buf = socket.create_connection((ctl, port), timeout=5), b""
    else:
        print("refused (no CHALLENGE)")
        return
    nc = attrs_of(ch)[A_NONCE]
    m = hmac.new(key, b"sg-agent\0" + nc + na + host.encode(), hashlib.sha256).digest()
    s.sendall(frame(ver, AUTH, [(A_MAC, m)]))
    try:
        ok, buf = recv_frame(s, buf)
    except OSError:
        ok = None
    print("accepted" if ok is not None and ok[3] == AUTH_OK else "refused")
    return s, key, na, nc, ver, ok is not None and ok[3] == AUTH_OK


RESULT, SAVE, VM_DEFINE, INVENTORY = 11, 17, 18, 20
A_STATUS, A_TEXT, A_TEMPLATE, A_START_KIND, A_COUNT, A_GENERATION = 4, 5, 18, 20, 16, 15


def hostile(ctl, port, host, keyfile, vm):
    s, key, na, nc, ver, up = claim(ctl, port, host, keyfile)
    if not up or ver < 4:
        return
    ks = hmac.new(key, b"sg-session\0" + na + nc + host.encode(), hashlib.sha256).digest()
    sent = 0

    def send(mtype, attrs, seq=0):
        nonlocal sent
        f = frame(ver, mtype, attrs, FLAG_TAG, seq)
        tag = hmac.new(ks, b"A" + struct.pack(">Q", sent) + f, hashlib.sha256).digest()
        s.sendall(f + tag)
        sent += 1

    name = (A_VM_NAME, vm.encode())
    for slot in range(8):  # "refusals" of VM_DEFINEs never sent (bit 30: a push's id)
        send(RESULT, [(A_STATUS, b"\x00\x04"), (A_TEXT, b"forged refusal")],
             seq=0x40000000 | (5 << 10) | slot)
    send(RESULT, [(A_STATUS, b"\x00\x02"), (A_TEXT, b"forged")], seq=123456)  # no request
    send(RESULT, [(A_STATUS, b"\x00\x02")], seq=0x10000000)  # an id of no kind
    send(VM_STATE, [name, (A_VM_STATE, b"\x09")])  # another host's VM "saved"
    send(VM_STATE, [name, (A_VM_STATE, b"\x07")])  # ... "crashed"
    send(VM_DEFINE, [name, (A_TEMPLATE, b"guest")])  # types only sg-control sends
    send(SAVE, [name])
    send(INVENTORY, [(A_GENERATION, bytes(8)), (A_COUNT, bytes(4))])
    # last: a start kind out of range is a garbled message: the link is closed
    send(VM_STATE, [name, (A_VM_STATE, b"\x04"), (A_START_KIND, b"\xc8")])
    time.sleep(1)
    s.close()
    print(f"sent {sent}")


def relay(src, dst, inject, state):
    """Copy frames src -> dst; inject (bytes) once, at a frame boundary, when due."""
    buf = b""
    while True:
        try:
            d = src.recv(65536)
        except OSError:
            d = b""
        if not d:
            break
        buf += d
        while frame_len(buf):
            n = frame_len(buf)
            if state.get("ver") is None:
                state["ver"] = buf[2]
            if buf[3] == AUTH_OK:
                state["up_at"] = time.monotonic()
            dst.sendall(buf[:n])
            buf = buf[n:]
            if inject and not state.get(inject) and state.get("up_at") and \
                    time.monotonic() - state["up_at"] > 2:
                state[inject] = True
                dst.sendall(state["forge"](inject))
                print(f"mitm: injected {inject}", flush=True)
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def mitm(lport, ctl, port, vm):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", lport))
    ls.listen(4)
    links = 0
    while True:
        a, _ = ls.accept()
        c = socket.create_connection((ctl, port))
        state = {}

        def forge(what, state=state):
            ver = state.get("ver", 1)
            flags, tag = (FLAG_TAG, os.urandom(TAG_LEN)) if ver >= 2 else (0, b"")
            if what == "vm_state":
                return frame(ver, VM_STATE, [(A_VM_NAME, vm.encode()), (A_VM_STATE, b"\x04")],
                             flags) + tag
            return frame(ver, FLOW_ADD, [(A_VIP, b"\x04" + bytes([198, 18, 10, 3])),
                                         (A_VIP_PORT, b"\x1f\x93"), (A_PROTO, b"\x06"),
                                         (A_ADDR, b"\x04" + bytes([198, 18, 1, 99])),
                                         (A_PORT, b"\x00\x50")], flags, seq=77) + tag
        state["forge"] = forge
        links += 1
        up = threading.Thread(target=relay, args=(a, c, "vm_state" if links == 1 else None, state))
        down = threading.Thread(target=relay, args=(c, a, "flow_add" if links == 2 else None, state))
        up.start()
        down.start()


if __name__ == "__main__":
    if sys.argv[1] == "claim":
        claim(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "hostile":
        hostile(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6])
    else:
        mitm(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])
