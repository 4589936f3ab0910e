#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A member for sg-control's health-check test (test_health.c): real servers.

  health_peer.py http  ADDR PORT BODY            HTTP/1.1 server, GET -> 200 BODY
  health_peer.py https ADDR PORT BODY CERT KEY   the same over TLS
  health_peer.py udp   ADDR PORT REPLY           answers every datagram with REPLY
  health_peer.py tcp   ADDR PORT                 accepts and closes
Hostile members (tests/adversarial/health-hostile-member.sh):
  health_peer.py flood    ADDR PORT   200, then a body that never ends
  health_peer.py slow     ADDR PORT   a status line, then one byte per 100 ms
  health_peer.py bighdr   ADDR PORT   200, then 1 MiB of header lines
  health_peer.py garbage  ADDR PORT   random bytes to whatever comes (bad TLS, bad HTTP)
  health_peer.py udpflood ADDR PORT   100 datagrams of 8 KiB for every one received
"""
import http.server
import os
import socket
import socketserver
import ssl
import sys


def listener(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    return s


def main():
    kind, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind in ("http", "https"):
        body = sys.argv[4].encode()

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        socketserver.TCPServer.allow_reuse_address = True
        srv = http.server.ThreadingHTTPServer((addr, port), H)
        if kind == "https":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(sys.argv[5], sys.argv[6])
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        srv.serve_forever()
    elif kind in ("flood", "slow", "bighdr", "garbage"):
        s = listener(addr, port)
        while True:
            c, _ = s.accept()
            if os.fork() == 0:
                hostile(kind, c)
                os._exit(0)
            c.close()
            try:
                while os.waitpid(-1, os.WNOHANG)[0] > 0:
                    pass
            except ChildProcessError:
                pass
    elif kind == "udpflood":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))
        while True:
            _, peer = s.recvfrom(2048)
            for _ in range(100):
                s.sendto(b"z" * 8192, peer)
    elif kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))
        while True:
            _, peer = s.recvfrom(2048)
            s.sendto(sys.argv[4].encode(), peer)
    else:
        s = listener(addr, port)
        while True:
            c, _ = s.accept()
            c.close()


def hostile(kind, c):
    """One connection of a hostile member; ends when the checker goes (bounded: 30 s)."""
    import time
    c.settimeout(30)
    try:
        if kind != "garbage":
            c.recv(4096)
        if kind == "flood":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
            for _ in range(100000):
                c.sendall(b"x" * 4096)
        elif kind == "slow":
            c.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(300):
                c.sendall(b"X")
                time.sleep(0.1)
        elif kind == "bighdr":
            c.sendall(b"HTTP/1.1 200 OK\r\n")
            for i in range(16384):
                c.sendall(b"X-Pad-%d: %s\r\n" % (i, b"y" * 50))
            c.sendall(b"\r\nhealthy")
        else:
            for _ in range(256):
                c.sendall(os.urandom(1024))
    except OSError:
        pass


if __name__ == "__main__":
    main()
