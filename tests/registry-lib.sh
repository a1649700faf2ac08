# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the registry tests, after tests/lib.sh: Debian's
# docker-registry (distribution 2.8) started on a free loopback port
# with a config the test writes, its readiness, its seeding from the
# fixtures' OCI layouts, and its end at the test's exit. Nothing here
# talks to anything but 127.0.0.1.

REGISTRY=${BERTH_TEST_REGISTRY:-/usr/bin/docker-registry}
# processes the test started (registries, token services, proxies),
# ended by registry_cleanup
REG_PIDS=""

# registry_require: skip the whole test when the registry is missing
registry_require() {
	if [ ! -x "$REGISTRY" ]; then
		skip "$REGISTRY is missing (Debian's docker-registry: contrib/install-deps.sh installs it)"
		finish
		exit
	fi
}

# free_port: a TCP port on 127.0.0.1 nothing listens on now
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# registry_config DATA PORT: the config of a registry storing in DATA and
# listening on 127.0.0.1:PORT, on stdout; a test appends its auth: or
# tls: lines (http: is the last key, indented by two spaces)
registry_config() {
	cat <<YML
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $1
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$2
YML
}

# registry_serve CONFIG LOG: start a registry in the background
registry_serve() {
	"$REGISTRY" serve "$1" >"$2" 2>&1 &
	REG_PIDS="$REG_PIDS $!"
}

# registry_start_or_end DIR PORT: registry_start, or the test ends
# there with a failing check and the end of the registry's log
registry_start_or_end() {
	registry_start "$1" "$2" && return 0
	ok 1 "the registry answers on 127.0.0.1:$2"
	tail -20 "$1/log" | sed 's/^/#   /'
	finish
	exit
}

# registry_token_service DIR PORT [USER:PASSWORD]: a token service on
# 127.0.0.1:PORT (tests/integration/token-server.py, docker's token
# protocol: RS256 tokens signed with a key made in DIR, given only for
# USER's credentials when they are named); its log is DIR/token.log
registry_token_service() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/token.key" -out "$1/token.crt" \
		-days 1 -subj /CN=berth-test-token >/dev/null 2>&1 || return 1
	python3 "$SRCDIR/tests/integration/token-server.py" "$2" "$1/token.key" "$1/token.crt" \
		berth-test-issuer ${3:+"$3"} 2>"$1/token.log" &
	REG_PIDS="$REG_PIDS $!"
}

# registry_token_yml DIR PORT: the auth: lines of a registry that takes
# the tokens of registry_token_service DIR PORT (after registry_config's)
registry_token_yml() {
	cat <<YML
auth:
  token:
    realm: http://127.0.0.1:$2/token
    service: berth-test
    issuer: berth-test-issuer
    rootcertbundle: $1/token.crt
YML
}

# on_tty CMD...: CMD as the test user on a pseudo-terminal (progress is
# drawn for a terminal only); what it printed goes to $HOME/tty.out
on_tty() {
	as_user python3 -c '
import os, pty, sys
out = bytearray()
def rd(fd):
    d = os.read(fd, 65536)
    out.extend(d)
    return d
st = pty.spawn(sys.argv[1:], rd)
open(os.environ["HOME"] + "/tty.out", "wb").write(out)
sys.exit(os.waitstatus_to_exitcode(st))' "$@" </dev/null >/dev/null
}

# registry_cleanup: end what the test started (call from pre_cleanup)
registry_cleanup() {
	[ -n "$REG_PIDS" ] || return 0
	kill $REG_PIDS 2>/dev/null
	wait $REG_PIDS 2>/dev/null
	REG_PIDS=""
}

# http_answers URL [CAFILE]: the server at URL answers HTTP (any status)
http_answers() {
	python3 -c "
import ssl, sys, urllib.error, urllib.request as u
h = [u.ProxyHandler({})]
if len(sys.argv) > 2: h.append(u.HTTPSHandler(context=ssl.create_default_context(cafile=sys.argv[2])))
try: u.build_opener(*h).open(sys.argv[1], timeout=2)
except urllib.error.HTTPError: pass" "$@" 2>/dev/null
}

# registry_seed BASE LAYOUT REPO TAG [INDEX]: push a fixture's OCI layout
# (under $FIXTURES) to the registry at BASE; prints the manifest digest
registry_seed() {
	python3 "$SRCDIR/tests/integration/registry-seed.py" "$1" "$FIXTURES/$2" "$3" "$4" ${5:+"$5"}
}

# registry_tls DIR HOST: a test CA (DIR/ca.crt, DIR/ca.key) and a server
# certificate for HOST (an IP address or a DNS name) that it signed
# (DIR/server.crt, DIR/server.key), and a client certificate it signed
# (DIR/client.cert, DIR/client.key), with openssl
registry_tls() {
	local d=$1 host=$2 san
	case $host in
	*[!0-9.]*) san="DNS:$host" ;;
	*) san="IP:$host" ;;
	esac
	mkdir -p "$d" &&
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" \
			-days 1 -subj /CN=berth-test-ca >/dev/null 2>&1 &&
		openssl req -newkey rsa:2048 -nodes -keyout "$d/server.key" -out "$d/server.csr" \
			-subj "/CN=$host" >/dev/null 2>&1 &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -days 1 -out "$d/server.crt" \
			-extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san") \
			>/dev/null 2>&1 &&
		openssl req -newkey rsa:2048 -nodes -keyout "$d/client.key" -out "$d/client.csr" \
			-subj /CN=berth-test-client >/dev/null 2>&1 &&
		openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -days 1 -out "$d/client.cert" \
			-extfile <(printf 'extendedKeyUsage=clientAuth\n') >/dev/null 2>&1
}

# registry_htpasswd FILE USER PASSWORD: an htpasswd file with USER's
# bcrypt hash (distribution takes nothing else): apache2-utils'
# htpasswd, else python3's crypt (libxcrypt does bcrypt)
registry_htpasswd() {
	if command -v htpasswd >/dev/null; then
		htpasswd -Bbn "$2" "$3" >"$1"
	else
		python3 -W ignore -c 'import crypt, sys
print(sys.argv[1] + ":" + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH)))' \
			"$2" "$3" >"$1"
	fi
}

# registry_start DIR PORT: a registry storing in DIR/data on
# 127.0.0.1:PORT (config DIR/config.yml, log DIR/log), ready; its pid in
# REG_PID (for a test that kills it and starts it again)
registry_start() {
	[ -f "$1/config.yml" ] || registry_config "$1/data" "$2" >"$1/config.yml"
	registry_serve "$1/config.yml" "$1/log"
	REG_PID=${REG_PIDS##* }
	wait_for 30 http_answers "http://127.0.0.1:$2/v2/"
}

# registry_proxy_start PORT UPSTREAM MODEFILE LOG: the faulty proxy
# (tests/integration/registry-proxy.py) on 127.0.0.1:PORT in front of
# UPSTREAM; the test writes its mode into MODEFILE; ready
registry_proxy_start() {
	python3 "$SRCDIR/tests/integration/registry-proxy.py" "$@" 2>>"$4.stderr" &
	REG_PIDS="$REG_PIDS $!"
	wait_for 30 http_answers "http://127.0.0.1:$1/v2/"
}

# registry_user_conf TEXT: the test user's registries.conf (printf's
# escapes in TEXT)
registry_user_conf() {
	as_user mkdir -p "$T/.config/berth"
	as_user sh -c "printf '$1' >'$T/.config/berth/registries.conf'"
}

# store_blobs_sound STORE: every blob file of STORE holds what its name
# says (no partial blob), and no stage is left in STORE/tmp
store_blobs_sound() {
	local f
	for f in $(find "$1/blobs" -type f 2>/dev/null); do
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "${f##*/}" ] || { echo "# partial blob $f"; return 1; }
	done
	! ls "$1/tmp" 2>/dev/null | grep -q stage
}

# registry_big_layout DIR MIB: an OCI layout in DIR of an image of one
# uncompressed layer holding MIB MiB of random bytes (larger than what
# sockets buffer, so that a registry killed mid-blob cuts it)
registry_big_layout() {
	python3 - "$1" "$2" <<'PY'
import hashlib, io, json, os, sys, tarfile
d, mib = sys.argv[1], int(sys.argv[2])
os.makedirs(d + "/blobs/sha256", exist_ok=True)
def blob(data):
    h = hashlib.sha256(data).hexdigest()
    open(d + "/blobs/sha256/" + h, "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    payload = os.urandom(mib << 20)
    info = tarfile.TarInfo("big")
    info.size, info.mode = len(payload), 0o644
    t.addfile(info, io.BytesIO(payload))
layer = buf.getvalue()
ldesc = dict(mediaType="application/vnd.oci.image.layer.v1.tar", **blob(layer))
cfg = {"architecture": "amd64", "os": "linux", "config": {},
       "rootfs": {"type": "layers", "diff_ids": [ldesc["digest"]]}}
cdesc = dict(mediaType="application/vnd.oci.image.config.v1+json",
             **blob(json.dumps(cfg).encode()))
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": cdesc, "layers": [ldesc]}
mdesc = dict(mediaType="application/vnd.oci.image.manifest.v1+json",
             **blob(json.dumps(man).encode()))
json.dump({"schemaVersion": 2, "manifests": [mdesc]}, open(d + "/index.json", "w"))
open(d + "/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
print(ldesc["digest"])
PY
}

# registry_two_layers DIR MIB [lie]: an OCI layout in DIR of an image of
# two uncompressed layers, a small one (whose diffID the config gives
# wrong with "lie"), then one of MIB MiB of random bytes; prints the two
# layers' digests
registry_two_layers() {
	python3 - "$1" "$2" "${3:-}" <<'PY'
import hashlib, io, json, os, sys, tarfile
d, mib, lie = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "lie"
os.makedirs(d + "/blobs/sha256", exist_ok=True)
def blob(data):
    h = hashlib.sha256(data).hexdigest()
    open(d + "/blobs/sha256/" + h, "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
def layer(name, payload):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(payload), 0o644
        t.addfile(info, io.BytesIO(payload))
    return dict(mediaType="application/vnd.oci.image.layer.v1.tar", **blob(buf.getvalue()))
small, big = layer("small", b"small\n"), layer("big", os.urandom(mib << 20))
first = "sha256:" + hashlib.sha256(b"not the small layer").hexdigest() if lie else small["digest"]
cfg = {"architecture": "amd64", "os": "linux", "config": {},
       "rootfs": {"type": "layers", "diff_ids": [first, big["digest"]]}}
cdesc = dict(mediaType="application/vnd.oci.image.config.v1+json",
             **blob(json.dumps(cfg).encode()))
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": cdesc, "layers": [small, big]}
mdesc = dict(mediaType="application/vnd.oci.image.manifest.v1+json",
             **blob(json.dumps(man).encode()))
json.dump({"schemaVersion": 2, "manifests": [mdesc]}, open(d + "/index.json", "w"))
open(d + "/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
print(small["digest"], big["digest"])
PY
}
