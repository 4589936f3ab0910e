#!/usr/bin/env python3
"""An interactive HTTP client for scenario-qemu's crash check (qemu.sh e).

GET PATH from ADDR:80 with a Host header, reading at most RATE bytes/s into
a file; whenever nothing has arrived for POKE seconds it sends a byte (an
interactive client's keystroke): the data plane resets an aborted session
from the next segment it sees (session/abort.c), so a client that only waits
for data is never told. Prints "reset BYTES", "eof BYTES" or "timeout BYTES"
and exits 0, 2 or 3.
"""
import argparse
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("host")
    ap.add_argument("path")
    ap.add_argument("out")
    ap.add_argument("--rate", type=int, default=100000)
    ap.add_argument("--poke", type=float, default=0.3)
    ap.add_argument("--timeout", type=float, default=60.0)
    a = ap.parse_args()
    # a small receive buffer: what the client holds unread is read within
    # a fraction of a second, so its poke follows the server's last segment
    # closely (an aborted flow answers segments with RST for 1 s only)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    s.settimeout(a.timeout)
    s.connect((a.addr, 80))
    s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (a.path, a.host)).encode())
    s.settimeout(a.poke)
    got, t0 = 0, time.monotonic()
    with open(a.out, "wb") as f:
        while time.monotonic() - t0 < a.timeout:
            try:
                b = s.recv(min(16384, a.rate // 10 or 1))
            except socket.timeout:
                try:
                    s.send(b"\n")
                except OSError:
                    print("reset %d" % got)
                    return 0
                continue
            except ConnectionResetError:
                print("reset %d" % got)
                return 0
            if not b:
                print("eof %d" % got)
                return 2
            f.write(b)
            f.flush()
            got += len(b)
            # keep to RATE bytes/s
            ahead = got / a.rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
    print("timeout %d" % got)
    return 3


if __name__ == "__main__":
    sys.exit(main())
