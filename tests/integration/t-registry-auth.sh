#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Credentials and TLS against real registries: Debian's docker-registry
# (distribution 2.8) on 127.0.0.1 over TLS with a CA this test makes,
# behind htpasswd basic auth; the same storage behind a registry that
# requires a client certificate, and behind bearer tokens whose service
# checks basic credentials. certs.d, --tls-verify=false, --cert-dir;
# login (wrong password: one line, nothing written; right: the auth file
# 0600), --password-stdin, --get-login, logout; credentials from
# ~/.docker/config.json's auths and from a credHelper, which never sees
# a secret in its argv or environment. No secret in anything berth
# prints or in its command line.
. "$(dirname "$0")/../lib.sh"
require_fixtures

. "$SRCDIR/tests/registry-lib.sh"
registry_require

USER_NAME=tester
PASSWORD='s3cret-Pa55-9f2c'
reg=$(mktemp -d /tmp/berth-regauth.XXXXXX)
oport=$(free_port) # open, plain HTTP: the seeding's way in
port=$(free_port)  # TLS + htpasswd
cport=$(free_port) # TLS + client certificates
aport=$(free_port) # TLS + tokens from a service checking basic credentials
tport=$(free_port)
# a CA the test adds to the system's hashed CA directory, if any
sys_ca_link=""
pre_cleanup() {
	registry_cleanup
	[ -z "$sys_ca_link" ] || rm -f "$sys_ca_link"
	rm -rf "$reg"
}
registry_tls "$reg/tls" 127.0.0.1
registry_htpasswd "$reg/htpasswd" "$USER_NAME" "$PASSWORD"
tls_yml() {
	cat <<YML
  tls:
    certificate: $reg/tls/server.crt
    key: $reg/tls/server.key
YML
}
registry_config "$reg/data" "$oport" >"$reg/open.yml"
{
	registry_config "$reg/data" "$port"
	tls_yml
	cat <<YML
auth:
  htpasswd:
    realm: berth-test
    path: $reg/htpasswd
YML
} >"$reg/basic.yml"
{
	registry_config "$reg/data" "$cport"
	tls_yml
	printf '    clientcas:\n      - %s\n' "$reg/tls/ca.crt"
} >"$reg/client.yml"
registry_token_service "$reg" "$tport" "$USER_NAME:$PASSWORD"
{
	registry_config "$reg/data" "$aport"
	tls_yml
	registry_token_yml "$reg" "$tport"
} >"$reg/token.yml"
registry_serve "$reg/open.yml" "$reg/open.log"
registry_serve "$reg/basic.yml" "$reg/basic.log"
registry_serve "$reg/client.yml" "$reg/client.log"
registry_serve "$reg/token.yml" "$reg/token-reg.log"
if ! wait_for 30 http_answers "http://127.0.0.1:$oport/v2/" ||
	! wait_for 30 http_answers "https://127.0.0.1:$port/v2/" "$reg/tls/ca.crt" ||
	! wait_for 30 http_answers "http://127.0.0.1:$tport/token"; then
	ok 1 "the registries answer"
	sed 's/^/#   /' "$reg"/*.log | tail -20
	finish
	exit
fi
check "seed the registry from a fixture's OCI layout" -- \
	registry_seed "http://127.0.0.1:$oport" podman-bb.oci-dir bb latest
R=127.0.0.1:$port
IMG=$R/bb:latest

# what the test user may read: the CA and the client pair
install -m 0644 "$reg/tls/ca.crt" "$reg/tls/client.cert" "$reg/tls/client.key" "$T/"
chmod 0644 "$T/client.key"
CERTS=$T/.config/berth/certs.d
AUTH=$T/.config/berth/auth.json
as_user mkdir -p "$T/.config/berth" "$T/bin"

# run ARGS...: berth ARGS, stdout to $T/out, stderr to $T/err
run_b() { as_user env PATH="$T/bin:$PATH" "$BERTH" "$@" >"$T/out" 2>"$T/err"; }
pull_ok() { run_b pull "$@" || { cat "$T/err" >&2; return 1; }; }
# the error is one line (pull's progress lines aside)
one_line() { test "$(grep -c '^berth' "$T/ef.err")" = 1 || { cat "$T/ef.err" >&2; return 1; }; }
# fails_one_line SUBSTRING ARGS...: berth ARGS fails with one line saying SUBSTRING
fails_one_line() { local w=$1; shift; expect_fail "$w" berth "$@" && one_line; }
no_secret() { ! grep -rqF -- "$PASSWORD" "$@"; }
secret_b64=$(printf '%s:%s' "$USER_NAME" "$PASSWORD" | base64 -w0)
no_secret_anywhere() { no_secret "$T/out" "$T/err" "$T/ef.out" "$T/ef.err" && ! grep -rqF -- "$secret_b64" "$T/out" "$T/err" "$T/ef.err"; }

# --- TLS
check "TLS without the test's CA fails in one line naming the certificate problem" -- \
	fails_one_line "certificate" pull "$IMG"
# the system's CAs: berth has OpenSSL read them from their hashed
# directory (lib/http.c, lazy_system_cas); a CA put there under its
# hash, as update-ca-certificates names them, must verify the registry
if [ -d /etc/ssl/certs ] && [ -w /etc/ssl/certs ]; then
	h=$(openssl x509 -hash -noout -in "$reg/tls/ca.crt")
	n=0
	while [ -e "/etc/ssl/certs/$h.$n" ]; do n=$((n + 1)); done
	sys_ca_link=/etc/ssl/certs/$h.$n
	install -m 0644 "$reg/tls/ca.crt" "$sys_ca_link" # the test user reads it
	check "a CA among the system's (its hashed directory) verifies the registry" -- \
		fails_one_line "authentication required (berth login $R)" pull "$IMG"
	rm -f "$sys_ca_link"
	sys_ca_link=""
else
	skip "no writable /etc/ssl/certs: the system CAs' directory not checked"
fi
as_user mkdir -p "$CERTS/$R"
as_user cp "$T/ca.crt" "$CERTS/$R/ca.crt"
check "with the CA in certs.d/HOST:PORT, TLS works: the registry asks for credentials" -- \
	fails_one_line "authentication required (berth login $R)" pull "$IMG"

# --- login
# login_with REGISTRY PASSWORD: login -u $USER_NAME --password-stdin
login_with() { printf '%s\n' "$2" | as_user "$BERTH" login -u "$USER_NAME" --password-stdin "$1" >"$T/ef.out" 2>"$T/ef.err"; }
wrong_login() { ! login_with "$1" wrong-password && test "$(wc -l <"$T/ef.err")" = 1 && grep -q "$2" "$T/ef.err" || { cat "$T/ef.err" >&2; return 1; }; }
check "login with a wrong password fails in one line, saying so and naming the registry" -- \
	wrong_login "$R" "registry $R: wrong user name or password"
check "... and writes no auth file" -- test ! -e "$AUTH"
check "... nor a temporary one" -- bash -c "! ls -A '$T/.config/berth' | grep -v '^certs.d$'"
login_stdin() { login_with "$R" "$PASSWORD" && cp "$T/ef.out" "$T/out" && cp "$T/ef.err" "$T/err"; }
check "login --password-stdin with the right password" -- login_stdin
check "... says Login Succeeded" -- grep -qx "Login Succeeded" "$T/out"
check "... writes the auth file, mode 0600" -- test "$(stat -c %a "$AUTH" 2>/dev/null)" = 600
check "... podman's auth.json format: auths, the registry, base64 USER:PASSWORD" -- \
	python3 -c "import json,sys; a=json.load(open(sys.argv[1]))['auths'][sys.argv[2]]['auth']; assert a == sys.argv[3]" "$AUTH" "$R" "$secret_b64"
check "... and nothing it printed holds the password" -- no_secret_anywhere
fresh_dir() { printf '%s\n' "$PASSWORD" | as_user env BERTH_AUTH_FILE="$T/fresh/berth/auth.json" "$BERTH" login -u "$USER_NAME" --password-stdin "$R" >/dev/null 2>&1 && test "$(stat -c %a "$T/fresh/berth")" = 700 && test "$(stat -c %a "$T/fresh/berth/auth.json")" = 600; }
check "... the directories login makes for it are 0700" -- fresh_dir
check "pull with the stored credentials" -- pull_ok "$IMG"
check "... prints the image ID" -- grep -Eqx 'sha256:[0-9a-f]{64}' "$T/out"
check "... and no secret" -- no_secret_anywhere
info_shows() { berth info >"$T/info" 2>&1 && grep -q "credentials: $AUTH: auths: $R" "$T/info" && grep -q "certs.d: *$CERTS: $R" "$T/info" && no_secret "$T/info" && ! grep -qF "$secret_b64" "$T/info"; }
check "info lists the auth file's registries and certs.d's, no secret" -- info_shows
get_login_is() { test "$(berth login --get-login "$R")" = "$1"; }
check "login --get-login prints the user" -- get_login_is "$USER_NAME"
# push needs the login: over TLS, with the stored credentials
push_ok() { run_b push "$@" || { cat "$T/err" >&2; return 1; }; }
check "push over TLS with the stored credentials" -- push_ok "$IMG" "$R/pushed:v1"
check "... the registry stored its manifest (its log)" -- grep -q '"PUT /v2/pushed/manifests/v1' "$reg/basic.log"
check "... and no secret in what berth printed" -- no_secret_anywhere

# on a terminal: the user and the password asked, the password not echoed
cat >"$T/tty-login.py" <<'PY'
import os, pty, sys, time
user, password = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[3], sys.argv[3:])
seen = b""
def until(what, secs=20):
    global seen
    end = time.monotonic() + secs
    while what not in seen and time.monotonic() < end:
        try:
            seen += os.read(fd, 4096)
        except OSError:
            break
    return what in seen
ok = until(b"Username: ")
os.write(fd, user.encode() + b"\n")
ok = ok and until(b"Password: ")
os.write(fd, password.encode() + b"\n")
until(b"Login Succeeded")
try:
    while True:
        b = os.read(fd, 4096)
        if not b:
            break
        seen += b
except OSError:
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(0 if ok and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 1)
PY
tty_login() { as_user python3 "$T/tty-login.py" "$USER_NAME" "$PASSWORD" "$BERTH" login "$R" >"$T/tty.out" 2>&1 || { cat "$T/tty.out" >&2; return 1; }; }
check "login on a terminal asks the user and the password" -- tty_login
check "... and succeeds" -- grep -q "Login Succeeded" "$T/tty.out"
check "... the password not echoed" -- no_secret "$T/tty.out"

# --- TLS set-ups, with the credentials stored
as_user mv "$CERTS/$R" "$T/saved-certs"
export BERTH_ROOT="$T/store-noverify"
check "without the CA, --tls-verify=false pulls" -- pull_ok --tls-verify=false "$IMG"
check "... and without it the same pull is refused" -- fails_one_line "certificate" pull "$IMG"
check "push takes --tls-verify=false too" -- push_ok --tls-verify=false "$IMG" "$R/pushed:v2"
check "... and without it the same push is refused" -- fails_one_line "certificate" push "$IMG" "$R/pushed:v3"
export BERTH_ROOT="$T/store-certdir"
as_user mkdir -p "$T/certdir"
as_user cp "$T/ca.crt" "$T/certdir/ca.crt"
check "--cert-dir DIR gives the CA instead of certs.d" -- pull_ok --cert-dir "$T/certdir" "$IMG"
check "--cert-dir must be a directory" -- expect_fail "--cert-dir" berth pull --cert-dir "$T/nowhere" "$IMG"
check "push takes --cert-dir" -- push_ok --cert-dir "$T/certdir" "$IMG" "$R/pushed:v4"

C=127.0.0.1:$cport
export BERTH_ROOT="$T/store-client"
check "a registry that requires a client certificate refuses a pull without one" -- \
	fails_one_line "registry $C" pull --cert-dir "$T/certdir" "$C/bb:latest"
as_user cp "$T/client.cert" "$T/client.key" "$T/certdir/"
check "... and takes --cert-dir's client.cert and client.key" -- pull_ok --cert-dir "$T/certdir" "$C/bb:latest"
as_user mkdir -p "$CERTS/$C"
as_user cp "$T/certdir/ca.crt" "$T/certdir/client.cert" "$T/certdir/client.key" "$CERTS/$C/"
export BERTH_ROOT="$T/store-client2"
check "... and certs.d's, as docker lays them out" -- pull_ok "$C/bb:latest"
as_user rm "$CERTS/$C/client.key"
check "a client certificate without its key is one line naming it" -- fails_one_line "without its key" pull "$C/bb:latest"
as_user mv "$T/saved-certs" "$CERTS/$R"

# --- logout
export BERTH_ROOT="$T/store-logout"
logout_says() { berth logout "$R" | grep -qx "Removing login credentials for $R"; }
check "logout removes the stored credentials" -- logout_says
check "... from the auth file" -- bash -c "! grep -q '$R' '$AUTH'"
check "... then a pull is refused in one line" -- fails_one_line "authentication required (berth login $R)" pull "$IMG"
check "... and logout again says it is not logged in" -- fails_one_line "not logged in to $R" logout "$R"
check "login --get-login says so too" -- fails_one_line "not logged in to $R" login --get-login "$R"

# --- ~/.docker/config.json
as_user mkdir -p "$T/.docker"
printf '{"auths": {"https://%s/v1/": {"auth": "%s"}}}\n' "$R" "$secret_b64" >"$T/config.json"
as_user cp "$T/config.json" "$T/.docker/config.json"
export BERTH_ROOT="$T/store-docker"
check "credentials from ~/.docker/config.json's auths (docker's https://HOST/v1/ key)" -- pull_ok "$IMG"
check "... --get-login finds them" -- get_login_is "$USER_NAME"
check "... logout leaves docker's file alone, and says so" -- fails_one_line "$T/.docker/config.json" logout "$R"

# --- a credential helper
cat >"$T/helper" <<SH
#!/bin/sh
# docker-credential-btest: records how it was run, answers the test's credentials
rec=$T/helper-rec
echo "argv: \$0 \$*" >>"\$rec"
env >>"\$rec"
cat /proc/\$PPID/cmdline | tr '\0' ' ' >>"\$rec"; echo >>"\$rec"
server=\$(cat)
echo "stdin: \$server" >>"\$rec"
if [ "\$1" = get ] && [ "\$server" = "$R" ]; then
	printf '{"ServerURL": "%s", "Username": "%s", "Secret": "%s"}\n' "\$server" "$USER_NAME" "$PASSWORD"
	exit 0
fi
echo "credentials not found in native keychain"
exit 1
SH
as_user cp "$T/helper" "$T/bin/docker-credential-btest"
as_user chmod 0755 "$T/bin/docker-credential-btest"
printf '{"auths": {}, "credHelpers": {"%s": "btest"}}\n' "$R" >"$T/config.json"
as_user cp "$T/config.json" "$T/.docker/config.json"
export BERTH_ROOT="$T/store-helper"
check "credentials from a credHelper (docker-credential-NAME get)" -- pull_ok "$IMG"
check "... which was asked for the registry on stdin, with the verb get alone" -- \
	bash -c "grep -qx 'stdin: $R' '$T/helper-rec' && grep -q '^argv: .*docker-credential-btest get$' '$T/helper-rec'"
check "... and had no secret in its argv, environment, or berth's command line" -- no_secret "$T/helper-rec"
check "... nor berth's environment beyond the listed variables" -- bash -c "! grep -q '^BERTH_ROOT=' '$T/helper-rec'"
check "... and no secret in what berth printed" -- no_secret_anywhere
printf '{"credsStore": "btest"}\n' >"$T/config.json"
as_user cp "$T/config.json" "$T/.docker/config.json"
export BERTH_ROOT="$T/store-store"
check "credentials from credsStore" -- pull_ok "$IMG"
printf '{"credHelpers": {"%s": "missing"}}\n' "$R" >"$T/config.json"
as_user cp "$T/config.json" "$T/.docker/config.json"
check "a credHelper that is not installed is one line naming it" -- fails_one_line "docker-credential-missing" pull "$IMG"
as_user rm "$T/.docker/config.json"

# --- tokens from a service that checks basic credentials
A=127.0.0.1:$aport
as_user mkdir -p "$CERTS/$A"
as_user cp "$T/ca.crt" "$CERTS/$A/ca.crt"
export BERTH_ROOT="$T/store-token"
check "token set-up: without credentials the token service refuses, one line" -- \
	fails_one_line "token service refused" pull "$A/bb:latest"
check "... login with a wrong password fails in one line" -- wrong_login "$A" "wrong or missing credentials"
check "... login with the right one" -- login_with "$A" "$PASSWORD"
check "... the token service checked them" -- grep -q "^token user=$USER_NAME" "$reg/token.log"
check "... pull with a token got with the stored credentials" -- pull_ok "$A/bb:latest"
check "... for the repository's pull scope" -- grep -q "^token user=$USER_NAME repository:bb:pull$" "$reg/token.log"
check "... push with the stored credentials" -- push_ok "$A/bb:latest" "$A/pushed:v1"
check "... with a token for the pull,push scope" -- grep -q "^token user=$USER_NAME repository:pushed:pull,push" "$reg/token.log"
check "... and no secret or token in what berth printed" -- bash -c "! grep -qi 'bearer\|eyJ\|$PASSWORD' '$T/out' '$T/err'"

# --- a registry whose HTTPS answer redirects to plain HTTP
cat >"$T/redirect.py" <<'PY'
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/v2/":
            self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
            self.wfile.write(b"{}")
            return
        self.send_response(307)
        self.send_header("Location", "http://127.0.0.1:%s%s" % (sys.argv[2], self.path))
        self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a):
        print("GET " + self.path, file=sys.stderr, flush=True)
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[3], sys.argv[4])
s.socket = c.wrap_socket(s.socket, server_side=True)
s.serve_forever()
PY
rport=$(free_port)
python3 "$T/redirect.py" "$rport" "$oport" "$reg/tls/server.crt" "$reg/tls/server.key" 2>"$reg/redirect.log" &
REG_PIDS="$REG_PIDS $!"
RR=127.0.0.1:$rport
as_user mkdir -p "$CERTS/$RR"
as_user cp "$T/ca.crt" "$CERTS/$RR/ca.crt"
export BERTH_ROOT="$T/store-redirect"
if wait_for 30 http_answers "https://$RR/v2/" "$reg/tls/ca.crt"; then
	check "a redirect from HTTPS to plain HTTP is refused in one line naming the host" -- \
		fails_one_line "$RR redirected from HTTPS to plain HTTP: refused" pull "$RR/bb:latest"
	check "... and the plain HTTP registry was never asked" -- bash -c "! grep -q 'GET /v2/bb/manifests' '$reg/open.log'"
else
	ok 1 "the redirecting server answers"
fi

# --- -p: warned, and out of /proc/PID/cmdline once read
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' >"$T/hang.port" &
hang=$!
REG_PIDS="$REG_PIDS $hang"
wait_for 10 test -s "$T/hang.port"
H=127.0.0.1:$(cat "$T/hang.port")
as_user "$BERTH" login -u "$USER_NAME" -p "$PASSWORD" "$H" >"$T/p.out" 2>"$T/p.err" &
lp=$!
berth_pid() { pgrep -u "$(as_user id -u)" -f "^berth login" | head -1; }
has_pid() { test -n "$(berth_pid)"; }
wait_for 10 has_pid
sleep 0.5
bp=$(berth_pid)
cmdline_clean() { test -n "$bp" && test -r "/proc/$bp/cmdline" && ! tr '\0' ' ' <"/proc/$bp/cmdline" | grep -qF -- "$PASSWORD"; }
check "login -p: the password is not in berth's /proc/PID/cmdline" -- cmdline_clean
[ -n "$bp" ] && kill "$bp" 2>/dev/null
wait $lp 2>/dev/null
check "... and -p is warned about, as docker does" -- grep -q "WARNING! Using --password via the CLI is insecure" "$T/p.err"
finish
