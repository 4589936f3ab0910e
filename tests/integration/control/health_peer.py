#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A member for sg-control's health-check test (test_health.c): real servers.

  health_peer.py http  ADDR PORT BODY            HTTP/1.1 server, GET -> 200 BODY
  health_peer.py https ADDR PORT BODY CERT KEY   the same over TLS
  health_peer.py udp   ADDR PORT REPLY           answers every datagram with REPLY
  health_peer.py tcp   ADDR PORT                 accepts and closes
"""
import http.server
import socket
import socketserver
import ssl
import sys


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
    elif kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))
        while True:
            _, peer = s.recvfrom(2048)
            s.sendto(sys.argv[4].encode(), peer)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(64)
        while True:
            c, _ = s.accept()
            c.close()


if __name__ == "__main__":
    main()
