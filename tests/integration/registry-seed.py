#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""registry-seed.py BASE LAYOUT REPO TAG [REFNAME]

Push the image that an OCI layout's index.json names REFNAME (else its
first entry) to the registry at BASE (http://127.0.0.1:PORT) as REPO:TAG,
over the distribution API: each blob the registry lacks by a monolithic
upload (POST, then PUT ?digest=), an index's manifests by digest, the top
document by TAG, each with its media type. Prints the top document's
digest (the registry's digest of the same bytes)."""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

base, layout, repo, tag = sys.argv[1:5]
refname = sys.argv[5] if len(sys.argv) > 5 else None
# the test registry is on loopback: no proxy of the environment applies
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def read_blob(digest):
    path = os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1])
    with open(path, "rb") as f:
        return f.read()


def call(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    return opener.open(req, timeout=30)


def push_blob(digest):
    try:
        call("HEAD", f"{base}/v2/{repo}/blobs/{digest}")
        return
    except urllib.error.HTTPError as e:
        if e.code != 404:
            raise
    r = call("POST", f"{base}/v2/{repo}/blobs/uploads/")
    loc = urllib.parse.urljoin(base, r.headers["Location"])
    sep = "&" if "?" in loc else "?"
    call("PUT", f"{loc}{sep}digest={urllib.parse.quote(digest)}", read_blob(digest),
         {"Content-Type": "application/octet-stream"})


def push_manifest(desc, ref):
    body = read_blob(desc["digest"])
    doc = json.loads(body)
    media_type = desc.get("mediaType") or doc.get("mediaType")
    if "manifests" in doc:
        for m in doc["manifests"]:
            push_manifest(m, m["digest"])
    else:
        push_blob(doc["config"]["digest"])
        for layer in doc["layers"]:
            push_blob(layer["digest"])
    call("PUT", f"{base}/v2/{repo}/manifests/{ref}", body, {"Content-Type": media_type})


with open(os.path.join(layout, "index.json")) as f:
    entries = json.load(f)["manifests"]
if refname:
    entries = [e for e in entries
               if e.get("annotations", {}).get("org.opencontainers.image.ref.name") == refname]
push_manifest(entries[0], tag)
print(entries[0]["digest"])
