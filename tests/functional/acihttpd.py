#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A scriptable HTTP(S) server for the fetch and trust tests, run as its own process (so a
test can start it in a private network namespace, where it may take port 443 or 80).

    acihttpd.py CONFIG.json

CONFIG: {"listen": [["127.0.0.1", PORT, "https"|"http"], ...], "cert": PEM, "key": PEM,
"routes": {PATH: [RESPONSE, ...]}, "log": FILE, "ready": FILE}. A request for PATH (without
its query) gets the next RESPONSE of the list (the last one repeats); paths without a route
get 404. RESPONSE: {"status": N, "headers": {..}, "body": TEXT, "file": PATH, "ranges": bool
(answer Range requests with 206), "auth": VALUE (401 unless the Authorization header is VALUE),
"mode": MODE, "cut": N, "hold": FILE (answer only once FILE exists), "pause": FILE (mode
normal: "cut" bytes of the body, the rest once FILE exists)}. MODE: "normal";
"stall" (headers, "cut" bytes of the body, then silence until the client leaves); "short"
(Content-Length of the whole body, only "cut" bytes sent, then the connection closes);
"endless" (chunked, no end). Each request is logged as one JSON line {"method", "path",
"headers"}. The server writes READY once it listens, and serves until killed. Loopback
only: it refuses to listen anywhere else."""
import http.server
import json
import os
import ssl
import sys
import threading
import time


def main():
    cfg = json.load(open(sys.argv[1]))
    routes = {k: list(v) for k, v in cfg.get("routes", {}).items()}
    lock = threading.Lock()
    log_path = cfg["log"]

    def next_response(path):
        with lock:
            lst = routes.get(path)
            if not lst:
                return None
            return lst.pop(0) if len(lst) > 1 else lst[0]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def record(self):
            with lock, open(log_path, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "headers": dict(self.headers)}) + "\n")

        def do_HEAD(self):
            self.handle_any(head=True)

        def do_GET(self):
            self.handle_any(head=False)

        def body_of(self, r):
            if "file" in r:
                with open(r["file"], "rb") as f:
                    return f.read()
            b = r.get("body", "")
            return b.encode() if isinstance(b, str) else bytes(b)

        def handle_any(self, head):
            self.record()
            r = next_response(self.path.split("?")[0])
            if r is None:
                r = {"status": 404, "body": "not found"}
            while "hold" in r and not os.path.exists(r["hold"]):
                time.sleep(0.02)  # the test creates the file when this answer may go
            if "auth" in r and self.headers.get("Authorization") != r["auth"]:
                r = {"status": 401, "body": "unauthorized"}
            body = self.body_of(r)
            status = r.get("status", 200)
            headers = dict(r.get("headers", {}))
            rng = self.headers.get("Range")
            if r.get("ranges") and rng and rng.startswith("bytes=") and status == 200:
                start = int(rng[6:].split("-")[0])
                if start >= len(body):
                    status, body = 416, b""
                else:
                    headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
                    status, body = 206, body[start:]
            if r.get("ranges"):
                headers.setdefault("Accept-Ranges", "bytes")
            mode = r.get("mode", "normal")
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if mode == "endless":
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if head or status == 304:
                return
            try:
                self.send_body(mode, body, r.get("cut", 0), r.get("pause"))
            except OSError:
                pass

        def send_body(self, mode, body, cut, pause=None):
            if mode == "normal" and pause:
                self.wfile.write(body[:cut])
                self.wfile.flush()
                while not os.path.exists(pause):
                    time.sleep(0.02)  # the test creates the file when the rest may go
                self.wfile.write(body[cut:])
            elif mode == "normal":
                self.wfile.write(body)
            elif mode == "short":
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
            elif mode == "stall":
                self.wfile.write(body[:cut])
                self.wfile.flush()
                time.sleep(300)  # the test kills the server long before
                self.close_connection = True
            elif mode == "endless":
                chunk = b"x" * 65536
                for _ in range(1 << 20):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.close_connection = True

    servers = []
    for host, port, scheme in cfg["listen"]:
        if not host.startswith("127."):
            sys.exit("acihttpd: loopback only")
        srv = http.server.ThreadingHTTPServer((host, port), Handler)
        srv.daemon_threads = True
        if scheme == "https":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cfg["cert"], cfg["key"])
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    with open(cfg["ready"], "w") as f:
        f.write(json.dumps([s.server_address[1] for s in servers]))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        os._exit(0)
