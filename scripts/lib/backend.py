#!/usr/bin/env python3
"""Test and demo backend: a small HTTP and UDP server that names itself.

HTTP  GET /           -> "<name>\n"
      GET /bytes/N    -> N bytes (N <= 1 GiB), streamed, for long transfers
      GET /bytes/N?rate=R -> the same, sent at R bytes/s (1..1 GiB/s) by the
                         server itself: steady, whatever the buffers
UDP   any datagram    -> "<name> <payload>" sent back from the address it came to

Listens on every --http and --udp ADDR:PORT given (IPv6 in brackets).
"""
import argparse
import http.server
import socket
import socketserver
import sys
import threading
import time

MAX_BYTES = 1 << 30


def split_addr(text):
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    return host, int(port)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sg-backend"

    def log_message(self, fmt, *args):  # quiet: one line per request is noise
        pass

    def do_GET(self):
        name = self.server.sg_name
        if self.path.startswith("/bytes/"):
            path, _, query = self.path.partition("?")
            try:
                n = int(path[len("/bytes/"):])
                rate = int(query[len("rate="):]) if query.startswith("rate=") else 0
            except ValueError:
                n = rate = -1
            if n < 0 or n > MAX_BYTES or rate < 0 or rate > MAX_BYTES or (query and not rate):
                self.send_error(400, "bad size or rate")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.send_header("X-Backend", name)
            self.end_headers()
            if rate:
                self.paced(n, rate)
                return
            chunk = b"x" * 65536
            while n > 0:
                k = min(n, len(chunk))
                self.wfile.write(chunk[:k])
                n -= k
            return
        body = (name + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Backend", name)
        self.end_headers()
        self.wfile.write(body)


    def paced(self, n, rate):
        """n bytes at rate bytes/s: a tenth of a second's worth at a time."""
        step = max(1, rate // 10)
        start, sent = time.monotonic(), 0
        while sent < n:
            k = min(step, n - sent)
            self.wfile.write(b"x" * k)
            sent += k
            delay = start + sent / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 2048

    def __init__(self, addr, name):
        host, _ = addr
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__(addr, Handler)
        self.sg_name = name

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            # [::]:80 beside 0.0.0.0:80: IPv6 only, no dual-stack collision
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


def udp_loop(addr, name):
    host, port = addr
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host, port))
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(name.encode() + b" " + data[:1024], peer)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--http", action="append", default=[])
    ap.add_argument("--udp", action="append", default=[])
    args = ap.parse_args()
    threads = []
    for a in args.http:
        srv = Server(split_addr(a), args.name)
        threads.append(threading.Thread(target=srv.serve_forever, daemon=True))
    for a in args.udp:
        threads.append(threading.Thread(target=udp_loop, args=(split_addr(a), args.name),
                                        daemon=True))
    if not threads:
        ap.error("nothing to serve: give --http and/or --udp")
    for t in threads:
        t.start()
    print("backend %s: serving" % args.name, flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    sys.exit(main())
