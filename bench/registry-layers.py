#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""registry-layers.py ROOTFS_TAR N OUT_DIR

Make an OCI image layout in OUT_DIR holding one image of N gzip layers cut
from ROOTFS_TAR, for bench/registry.sh's multi-layer pull: every directory
and special file in the first layer, the regular files and symlinks cut in
tar order into N runs of about the same size, each hard link in its
target's layer (podman cannot link across layers). The
layers are compressed by `gzip -n -6` (what a registry usually serves) and
the layout is written under a temporary name and renamed, so an
interrupted run leaves nothing that looks finished. Prints nothing.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile

src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tmp = out + ".partial"
shutil.rmtree(tmp, ignore_errors=True)
blobs = os.path.join(tmp, "blobs", "sha256")
os.makedirs(blobs)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


with tarfile.open(src, "r:") as t:
    members = t.getmembers()
    files = [m for m in members if m.isreg() or m.issym()]
    total = sum(m.size for m in files) or 1
    parts = [[] for _ in range(n)]
    where = {}  # member name -> its layer, for hard links
    done = 0
    for m in members:
        if m.islnk():
            k = where.get(m.linkname.lstrip("./"), 0)
        elif m.isreg() or m.issym():
            k = min(n - 1, done * n // total)
            done += m.size
        else:
            k = 0
        where[m.name.lstrip("./")] = k
        parts[k].append(m)
    layers, diff_ids = [], []
    for i, part in enumerate(parts):
        path = os.path.join(tmp, f"layer{i}.tar")
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as o:
            for m in part:
                o.addfile(m, t.extractfile(m) if m.isreg() else None)
        diff_ids.append("sha256:" + sha256_file(path))
        subprocess.run(["gzip", "-n", "-6", path], check=True)
        gz = path + ".gz"
        d = sha256_file(gz)
        size = os.path.getsize(gz)
        os.rename(gz, os.path.join(blobs, d))
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": "sha256:" + d, "size": size})


def put_json(obj):
    data = json.dumps(obj, separators=(",", ":")).encode()
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}


config = put_json({
    "created": "2026-01-01T00:00:00Z",
    "architecture": "amd64",
    "os": "linux",
    "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
    "rootfs": {"type": "layers", "diff_ids": diff_ids},
    "history": [{"created": "2026-01-01T00:00:00Z",
                 "created_by": f"bench/registry-layers.py, part {i + 1} of {n}"} for i in range(n)],
})
config["mediaType"] = "application/vnd.oci.image.config.v1+json"
manifest = put_json({"schemaVersion": 2,
                     "mediaType": "application/vnd.oci.image.manifest.v1+json",
                     "config": config, "layers": layers})
manifest["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
manifest["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
with open(os.path.join(tmp, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [manifest]}, f)
with open(os.path.join(tmp, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
shutil.rmtree(out, ignore_errors=True)
os.rename(tmp, out)
