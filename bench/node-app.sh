#!/bin/bash
# bench/node-app.sh: make a node app in the seeds' pattern, as the build
# benchmark (bench/build.sh) and the node test (t-build-node) build it.
#
# Usage: bench/node-app.sh CACHE_DIR [OUT_DIR] [--image IMAGE]
#
# OUT_DIR (default: a new directory under $TMPDIR) becomes a build context:
#   package.json, package-lock.json  express, lodash, rxjs, dayjs and ajv,
#                         pinned: `npm ci` installs about 5,000 files
#   server.js             an HTTP server on port 3000 (PORT) that answers
#                         "GREETING lodash=... express=..." (a source change
#                         edits the GREETING line)
#   npm-cache/            an npm cache holding every tarball the lock names,
#                         so that the install needs no network
#   Dockerfile            FROM IMAGE (default localhost/berth-node:latest),
#                         WORKDIR /app, COPY npm-cache, COPY package*.json,
#                         RUN npm ci --offline, COPY . ., EXPOSE 3000, CMD
# and the script prints OUT_DIR's path.
#
# The npm registry is asked once: the lock and the cache are kept in
# CACHE_DIR/node-app-v1 and copied from there afterwards. When they are not
# there and the registry (npm's configured one) cannot be reached, the script
# says so and exits 77. Nothing else leaves the machine.
set -euo pipefail

NAME=$(basename "$0")
die() { echo "$NAME: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -e/{ /^set -e/d; s/^# \{0,1\}//; p; }' "$0"; exit "${1:-0}"; }

CACHE='' OUT='' IMAGE=localhost/berth-node:latest
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage 0 ;;
	--image) IMAGE=${2:?--image wants a name}; shift ;;
	-*) echo "$NAME: unknown option '$1'" >&2; usage 1 >&2 ;;
	*)
		if [ -z "$CACHE" ]; then CACHE=$1
		elif [ -z "$OUT" ]; then OUT=$1
		else usage 1 >&2; fi ;;
	esac
	shift
done
[ -n "$CACHE" ] || usage 1 >&2
command -v npm >/dev/null || die "npm is not installed (bench/node-image.sh installs Debian's nodejs and npm)"

# The dependencies, pinned: their installed tree is about 5,000 files
# (express 4 and its 60-odd dependencies, lodash, rxjs, dayjs, ajv 8).
PACKAGE_JSON='{
  "name": "berth-node-app",
  "version": "1.0.0",
  "private": true,
  "description": "The build benchmark'"'"'s node app: a small HTTP server with a large install step",
  "main": "server.js",
  "scripts": { "start": "node server.js" },
  "dependencies": {
    "ajv": "8.20.0",
    "dayjs": "1.11.23",
    "express": "4.22.3",
    "lodash": "4.18.1",
    "rxjs": "7.8.2"
  }
}'

KEEP=$CACHE/node-app-v1
mkdir -p "$CACHE"
# one preparer at a time (two test runs may share CACHE_DIR)
exec 9>>"$CACHE/.node-app.lock"
flock 9
if [ ! -s "$KEEP/package-lock.json" ] || [ ! -d "$KEEP/npm-cache/_cacache" ]; then
	registry=$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)
	if ! timeout 30 npm ping --registry "$registry" >/dev/null 2>&1; then
		echo "$NAME: the npm registry $registry cannot be reached, and $KEEP holds no prepared cache" >&2
		exit 77
	fi
	new=$(mktemp -d "$CACHE/node-app.XXXXXX")
	trap 'rm -rf "$new"' EXIT
	mkdir "$new/app"
	printf '%s\n' "$PACKAGE_JSON" >"$new/app/package.json"
	# the lock, then every tarball it names in the cache (an install with
	# scripts off), then a proof that an offline install works from it
	(cd "$new/app" && npm install --package-lock-only --no-audit --no-fund --cache "$new/npm-cache" >/dev/null) ||
		die "npm install --package-lock-only failed"
	(cd "$new/app" && npm ci --ignore-scripts --no-audit --no-fund --cache "$new/npm-cache" >/dev/null) ||
		die "npm ci (filling the cache) failed"
	rm -rf "$new/app/node_modules"
	(cd "$new/app" && npm ci --offline --ignore-scripts --no-audit --no-fund --cache "$new/npm-cache" >/dev/null) ||
		die "npm ci --offline from the new cache failed"
	files=$(find "$new/app/node_modules" -type f | wc -l)
	echo "$NAME: npm ci installs $files files" >&2
	rm -rf "$new/npm-cache/_logs" "$new/npm-cache/_npx" "$new/app/node_modules"
	mkdir -p "$new/keep"
	mv "$new/app/package.json" "$new/app/package-lock.json" "$new/npm-cache" "$new/keep/"
	echo "$files" >"$new/keep/files"
	rm -rf "$KEEP"
	mv "$new/keep" "$KEEP"
	rm -rf "$new"
	trap - EXIT
fi

if [ -z "$OUT" ]; then
	OUT=$(mktemp -d "${TMPDIR:-/tmp}/berth-node-app.XXXXXX")
else
	mkdir -p "$OUT"
fi
cp "$KEEP/package.json" "$KEEP/package-lock.json" "$OUT/"
rm -rf "$OUT/npm-cache"
cp -r "$KEEP/npm-cache" "$OUT/npm-cache"

cat >"$OUT/server.js" <<'EOF'
// The build benchmark's app: an HTTP server whose answer shows that its
// dependencies load.
const express = require("express");
const _ = require("lodash");
const dayjs = require("dayjs");
const Ajv = require("ajv");
const { of } = require("rxjs");

const GREETING = "hello from node v1";

const app = express();
const validate = new Ajv().compile({ type: "object", required: ["n"] });
app.get("/", (req, res) => {
  of(1).subscribe(() => {
    res.type("text/plain").send(
      `${GREETING} lodash=${_.VERSION} express=${require("express/package.json").version}` +
        ` valid=${validate({ n: 1 })} epoch=${dayjs(0).year()}\n`
    );
  });
});
const port = Number(process.env.PORT || 3000);
app.listen(port, "0.0.0.0", () => console.log(`listening on ${port}`));
EOF

cat >"$OUT/Dockerfile" <<EOF
FROM $IMAGE
WORKDIR /app
# the npm cache prepared on the host: the install needs no network
COPY npm-cache /root/.npm
COPY package*.json ./
RUN npm ci --offline --no-audit --no-fund --loglevel=error
COPY . .
EXPOSE 3000
CMD ["node", "server.js"]
EOF
chmod -R a+rX "$OUT"
printf '%s\n' "$OUT"
