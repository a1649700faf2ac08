# SPDX-License-Identifier: GPL-2.0-or-later
# A service on the host's loopback for the network tests: an HTTP server
# on 127.0.0.1, on a port the kernel picks, written to the file named by
# argv[1]; every GET answers "hello from the host".
import http.server
import socketserver
import sys


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from the host\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


with socketserver.TCPServer(("127.0.0.1", 0), Hello) as server:
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()
