#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""token-server.py PORT KEY CERT ISSUER [USER:PASSWORD]

docker's token protocol on 127.0.0.1:PORT, for the registry tests: GET
/token?service=S&scope=repository:NAME:ACTIONS answers {"token": JWT}, a
JWT signed RS256 with KEY (by openssl) whose x5c header carries CERT,
which the registry trusts (auth.token.rootcertbundle); it grants every
scope asked, to anyone, or with USER:PASSWORD only to a request whose
basic credentials are those (else 401 with a Basic challenge). One line
per request on stderr: the scopes (and "user=NAME" when it gave one)."""
import base64
import http.server
import json
import subprocess
import sys
import time
import urllib.parse

port, key, cert, issuer = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
wanted = sys.argv[5] if len(sys.argv) > 5 else None
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                     capture_output=True, check=True).stdout


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(service, scopes):
    access = []
    for s in scopes:
        typ, name, actions = s.split(":")
        access.append({"type": typ, "name": name, "actions": actions.split(",")})
    now = int(time.time())
    claims = {"iss": issuer, "sub": "anonymous", "aud": service, "exp": now + 300,
              "nbf": now - 10, "iat": now, "jti": f"{now}-{time.monotonic_ns()}",
              "access": access}
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(),
                         capture_output=True, check=True).stdout
    return signing + "." + b64url(sig)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        scopes = q.get("scope", [])
        if wanted is not None:
            got = self.headers.get("Authorization", "")
            pair = ""
            if got.startswith("Basic "):
                try:
                    pair = base64.b64decode(got[6:]).decode()
                except ValueError:
                    pass
            if pair != wanted:
                print("token refused", file=sys.stderr, flush=True)
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="berth-test"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            print("token user=" + pair.split(":")[0] + " " + " ".join(scopes),
                  file=sys.stderr, flush=True)
        else:
            print("token " + " ".join(scopes), file=sys.stderr, flush=True)
        body = json.dumps({"token": token(q.get("service", [""])[0], scopes),
                           "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
