#!/usr/bin/env python3
"""A member that accepts TCP and resets every connection (the passive
detection scenario): accept, SO_LINGER {1, 0}, close -> RST, no byte sent.

rstserver.py ADDR PORT: prints "rstserver: serving" once listening, then
counts the connections it reset (one line per 100 on stdout).
"""
import socket
import struct
import sys


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1024)
    print("rstserver: serving", flush=True)
    n = 0
    while True:
        c, _ = s.accept()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        n += 1
        if n % 100 == 0:
            print("rstserver: %d reset" % n, flush=True)


if __name__ == "__main__":
    sys.exit(main())
