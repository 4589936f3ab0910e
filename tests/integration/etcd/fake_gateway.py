#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A hostile etcd gateway for test_etcd_client: the first path segment of a
request names how it answers (the client's endpoint is
http://127.0.0.1:PORT/<mode>), whatever the call. Prints its port once it
listens; exits when stdin closes."""
import base64
import http.server
import json
import socket
import sys
import threading
import time

HDR = {"header": {"revision": "7"}}


def b64(s):
    return base64.b64encode(s.encode()).decode()


def body_of(mode, call):
    """(status, bytes) for a synchronous call in @mode."""
    if mode == "garbage":
        return 200, b"this is not json {"
    if mode == "empty":
        return 200, b""
    if mode == "array":
        return 200, b"[1, 2, 3]"
    if mode == "deep":
        return 200, b"[" * 100000 + b"]" * 100000
    if mode == "big":
        return 200, b'{"header":{"revision":"1"},"kvs":[{"key":"' + b"A" * (17 << 20) + b'"}]}'
    if mode == "types":
        return 200, json.dumps({"header": {"revision": {"x": 1}}, "kvs": "no", "succeeded": "yes",
                                "ID": [1], "TTL": True, "result": 5, "more": "x"}).encode()
    if mode == "noheader":
        return 200, json.dumps({"kvs": [], "ID": "5", "TTL": "5", "succeeded": True}).encode()
    if mode == "http500":
        return 500, b"\x00\xffnot json"
    if mode == "http404":
        return 404, json.dumps({"error": 5, "message": ["x"], "code": "five"}).encode()
    if mode == "badkv":
        # a valid header, then every field a reader looks at is wrong
        kvs = {"/v3/kv/range": [{"key": "!!notb64!!", "value": "@@", "mod_revision": "x"}],
               "/v3/lease/grant": None, "/v3/lease/keepalive": None, "/v3/kv/txn": None}
        d = dict(HDR)
        if call == "/v3/kv/range":
            d["kvs"] = kvs[call]
            d["more"] = True
        elif call == "/v3/lease/grant":
            d.update({"ID": "-3", "TTL": "abc"})
        elif call == "/v3/lease/keepalive":
            d = {"result": {"header": {"revision": "7"}, "ID": "99999999999999999999999", "TTL": "1"}}
        elif call == "/v3/kv/txn":
            d["succeeded"] = "true"
        return 200, json.dumps(d).encode()
    if mode == "otherkey":
        # well-formed, but keys outside what was asked
        d = dict(HDR)
        d["kvs"] = [{"key": b64("/elsewhere/x"), "value": b64("v"), "mod_revision": "3"}]
        return 200, json.dumps(d).encode()
    if mode == "longval":
        d = dict(HDR)
        d["kvs"] = [{"key": b64("/t/k"), "value": b64("v" * (64 * 1024 + 1)), "mod_revision": "3"}]
        return 200, json.dumps(d).encode()
    return 400, b"unknown mode"


def watch_lines(mode):
    """Lines a watch stream sends in @mode (then it stays open a while)."""
    ev = {"kv": {"key": b64("/t/a"), "value": b64("1"), "mod_revision": "5"}}
    if mode == "good":  # the control: a well-formed stream
        return [json.dumps({"result": {"header": {"revision": "4"}, "created": True}}).encode()
                + b"\n", json.dumps({"result": {"header": {"revision": "5"},
                                                 "events": [ev]}}).encode() + b"\n"]
    if mode == "garbage":
        return [b"}}}{{{\n", b"\x00\x01\x02\n", b"[]\n", b'{"result":5}\n']
    if mode == "types":
        return [json.dumps({"result": {"header": {"revision": "2"}, "events": "x"}}).encode() + b"\n",
                json.dumps({"result": {"header": {"revision": "2"},
                                       "events": [{"type": 7, "kv": ev["kv"]}]}}).encode() + b"\n"]
    if mode == "badkv":
        bad = [{"kv": {"key": "!!", "mod_revision": "5"}},
               {"type": "DELETE", "kv": {"key": b64("/elsewhere"), "mod_revision": "6"}},
               {"type": "EXPLODE", "kv": ev["kv"]}]
        return [json.dumps({"result": {"header": {"revision": "9"}, "events": [e]}}).encode() + b"\n"
                for e in bad]
    if mode == "order":
        late = {"kv": {"key": b64("/t/b"), "value": b64("2"), "mod_revision": "4"}}
        return [json.dumps({"result": {"header": {"revision": "9"},
                                       "events": [ev, late]}}).encode() + b"\n"]
    if mode == "big":
        return [b'{"result":{"x":"' + b"A" * (17 << 20)]
    return [b"nonsense\n"]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(min(n, 1 << 20))
        parts = self.path.split("/", 2)
        mode, call = parts[1], "/" + (parts[2] if len(parts) > 2 else "")
        if mode == "slow":
            time.sleep(3)
            return self.reply(200, b"{}")
        if call == "/v3/watch":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for line in watch_lines(mode):
                    self.wfile.write(line)
                    self.wfile.flush()
                time.sleep(0.3)
            except OSError:
                pass
            self.close_connection = True
            return None
        return self.reply(*body_of(mode, call))

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.handle_error = lambda *args: None  # clients that hang up on a lie are expected
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(srv.server_address[1], flush=True)
    sys.stdin.read()  # until the test closes our stdin
    srv.shutdown()


if __name__ == "__main__":
    main()
