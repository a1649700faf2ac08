#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""registry-proxy.py: a faulty HTTP proxy on loopback between berth and a
registry, for tests/integration/t-registry-faults.sh.

Usage: registry-proxy.py PORT UPSTREAM MODEFILE LOG
Listens on 127.0.0.1:PORT and forwards each request to UPSTREAM
(http://127.0.0.1:N). Before each request it reads MODEFILE, one line:
  pass            forward as is
  corrupt         flip one byte in the middle of the first blob answer
                  of more than 1000 bytes (once)
  cut N           send N bytes of the first blob answer of more than N
                  bytes, then close the connection (once)
  cut-norange N   the same, and the registry never sees a Range header
                  (as a registry that ignores ranges: a 200, whole)
  cut-502 N       the same cut, then a 502 to the next request of that
                  blob (the registry gone for a moment)
  500             answer 500 to everything
  hang            read the request and never answer
  throttle RATE   forward blob bodies at RATE bytes a second
  tags-page N     serve tags lists N tags a page, each with a Link header
                  to the next (the OCI spec's n and last), from the
                  registry's whole list
Each request is a line of LOG ("GET PATH range=...") and so is each
fault done ("corrupt DIGEST at BYTE", "cut DIGEST after N").
"""
import http.client
import http.server
import json
import re
import socket
import sys
import threading
import time
import urllib.parse

PORT, UPSTREAM, MODEFILE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
UP = urllib.parse.urlsplit(UPSTREAM)
lock = threading.Lock()
done = set()  # the one-shot faults already done
BLOB = re.compile(r"^/v2/.+/blobs/(sha256:[0-9a-f]{64})$")
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-connection", "proxy-authorization", "proxy-authenticate"}


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


def mode():
    try:
        with open(MODEFILE) as f:
            return (f.read().split() or ["pass"])
    except OSError:
        return ["pass"]


def once(what):
    with lock:
        if what in done:
            return False
        done.add(what)
        return True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.forward()

    def do_GET(self):
        self.forward()

    def forward(self):
        m = mode()
        log("%s %s range=%s" % (self.command, self.path, self.headers.get("Range", "-")))
        cut = BLOB.match(self.path)
        if m[0] == "cut-502" and cut and ("cut-502" in done) and once("502"):
            log("502 %s" % cut.group(1))
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if m[0] == "hang":

            time.sleep(3600)
            return
        if m[0] == "500":
            body = b'{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}'
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        path = self.path
        if m[0] == "tags-page" and "/tags/list" in path:
            return self.tags_page(int(m[1]))
        conn = http.client.HTTPConnection(UP.hostname, UP.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        if m[0] == "cut-norange":
            headers = {k: v for k, v in headers.items() if k.lower() != "range"}
        try:
            if m[0] == "throttle":  # little in flight: a killed registry cuts the blob
                conn.sock = socket.socket()
                conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
                conn.sock.settimeout(60)
                conn.sock.connect((UP.hostname, UP.port))
            conn.request(self.command, path, headers=headers)
            r = conn.getresponse()
        except OSError as e:  # the registry is down: a proxy's 502
            log("upstream down: %s" % e)
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if m[0] == "throttle" and BLOB.match(self.path) and self.command == "GET":
            return self.throttled(r, conn, int(m[1]))
        try:
            body = r.read() if self.command != "HEAD" else b""
        except OSError as e:
            log("upstream cut: %s" % e)
            self.close_connection = True
            return
        conn.close()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        length = r.getheader("Content-Length")
        self.send_header("Content-Length", length if self.command == "HEAD" and length
                         else str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        blob = BLOB.match(self.path)
        blob = blob.group(1) if blob and r.status in (200, 206) else None
        if blob and m[0] == "corrupt" and len(body) > 1000 and once("corrupt"):
            at = len(body) // 2
            body = body[:at] + bytes([body[at] ^ 0x55]) + body[at + 1:]
            log("corrupt %s at %d" % (blob, at))
        if blob and m[0] in ("cut", "cut-norange", "cut-502") and len(body) > int(m[1]) and once(m[0]):
            n = int(m[1])
            self.wfile.write(body[:n])
            self.wfile.flush()
            log("cut %s after %d" % (blob, n))
            self.close_connection = True
            return
        self.wfile.write(body)

    def tags_page(self, size):
        """The registry's tags list cut into pages of size tags: the
        tags after ?last=, and a Link to the next page while some are
        left (distribution 2.8 itself answers with one page)."""
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        conn = http.client.HTTPConnection(UP.hostname, UP.port, timeout=60)
        conn.request("GET", u.path, headers={k: v for k, v in self.headers.items()
                                             if k.lower() not in HOP})
        r = conn.getresponse()
        doc = json.loads(r.read() or b"{}")
        conn.close()
        tags = sorted(doc.get("tags") or [])
        if "last" in q:
            tags = [t for t in tags if t > q["last"]]
        page, rest = tags[:size], tags[size:]
        body = json.dumps({"name": doc.get("name"), "tags": page}).encode()
        self.send_response(r.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if rest and page:
            nxt = urllib.parse.urlencode({"n": size, "last": page[-1]})
            self.send_header("Link", '<%s?%s>; rel="next"' % (u.path, nxt))
        self.end_headers()
        self.wfile.write(body)

    def throttled(self, r, conn, rate):
        """The answer streamed from the registry at rate bytes a second;
        a registry that dies meanwhile cuts the client's connection."""
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.end_headers()
        step = max(1, rate // 10)
        sent = 0
        try:
            while True:
                chunk = r.read(step)
                if not chunk:
                    break
                self.wfile.write(chunk)
                self.wfile.flush()
                sent += len(chunk)
                time.sleep(len(chunk) / rate)
        except OSError as e:
            log("throttled %s cut after %d: %s" % (self.path, sent, e))
            self.close_connection = True
        length = r.getheader("Content-Length")
        if length and sent < int(length):  # the registry went away mid-answer
            log("throttled %s cut after %d of %s" % (self.path, sent, length))
            self.close_connection = True
        conn.close()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
