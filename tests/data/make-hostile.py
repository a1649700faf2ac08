#!/usr/bin/env python3
"""Generate hostile container image archives for berth's importer tests.

Usage:
    make-hostile.py OUTDIR              write all images into OUTDIR
    make-hostile.py --write-tsv DIR     (re)write hostile-cases.tsv and
                                        hostile-contained.tsv into DIR

Every image in hostile-cases.tsv must be REFUSED by a correct importer with
an error message containing the expected (lowercase) substring.  Every image
in hostile-contained.tsv must LOAD, must write nothing outside the store, and
the listed path must exist in the merged image view (the hostile symlink is
resolved inside the rootfs).  valid.oci is a control image with /etc/ok.

Output is deterministic: fixed tar mtimes/owners, gzip mtime 0, sorted JSON.
Only the Python standard library is used.
"""

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

MTIME = 1700000000  # 2023-11-14T22:13:20Z
CREATED = "2023-11-14T22:13:20Z"

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
REF_ANN = "org.opencontainers.image.ref.name"
REPO = "localhost/hostile"

HERE = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------
# primitives

def sha(data):
    return hashlib.sha256(data).hexdigest()


def jdump(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def gz(data, mtime=0):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf,
                       compresslevel=9, mtime=mtime) as f:
        f.write(data)
    return buf.getvalue()


def pseudo_random(n, seed=b"berth"):
    """Deterministic incompressible bytes."""
    out = bytearray()
    block = seed
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


def D(name):
    return {"name": name, "kind": "dir"}


def F(name, data=b""):
    return {"name": name, "kind": "file", "data": data}


def S(name, target):
    return {"name": name, "kind": "symlink", "link": target}


def H(name, target):
    return {"name": name, "kind": "hardlink", "link": target}


def mktar(entries):
    """Build an uncompressed PAX tar from entry dicts; names are written
    verbatim (no normalisation), which is the whole point."""
    buf = io.BytesIO()
    tf = tarfile.TarFile(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
    for e in entries:
        ti = tarfile.TarInfo(e["name"])
        ti.mtime = MTIME
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        fobj = None
        kind = e["kind"]
        if kind == "dir":
            ti.type = tarfile.DIRTYPE
            ti.mode = 0o755
        elif kind == "symlink":
            ti.type = tarfile.SYMTYPE
            ti.linkname = e["link"]
            ti.mode = 0o777
        elif kind == "hardlink":
            ti.type = tarfile.LNKTYPE
            ti.linkname = e["link"]
            ti.mode = 0o644
        else:
            ti.type = tarfile.REGTYPE
            ti.mode = 0o644
            ti.size = len(e["data"])
            fobj = io.BytesIO(e["data"])
        tf.addfile(ti, fobj)
    tf.close()
    return buf.getvalue()


def layer(tar, compress=True, blob=None, media_type=None, diff_id=None):
    """A layer: uncompressed tar -> blob bytes + media type + diff_id.
    blob/media_type/diff_id may be overridden to build broken layers."""
    if blob is None:
        blob = gz(tar) if compress else tar
    if media_type is None:
        media_type = MT_LAYER_GZ if compress else MT_LAYER_TAR
    if diff_id is None:
        diff_id = "sha256:" + sha(tar)
    return {"tar": tar, "blob": blob, "mediaType": media_type,
            "diff_id": diff_id}


def base_config(diff_ids, name):
    return {
        "architecture": "amd64",
        "os": "linux",
        "created": CREATED,
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": [{"created": CREATED, "created_by": "make-hostile " + name}
                    for _ in diff_ids],
    }


# --------------------------------------------------------------------------
# image builders.  Each returns a list of (path, bytes) in archive order.
# Hooks: hook(obj, ctx) may mutate obj in place or return a replacement
# (a dict/list, or raw bytes to be stored verbatim).

def _apply(hook, obj, ctx):
    if hook is None:
        return obj
    r = hook(obj, ctx)
    return obj if r is None else r


def _ser(obj):
    return obj if isinstance(obj, bytes) else jdump(obj)


def oci_image(tag, layers, config_hook=None, manifest_hook=None,
              index_hook=None, files_hook=None):
    blobs = {}

    def put(data):
        h = sha(data)
        blobs[h] = data
        return h

    ctx = {"put": put, "blobs": blobs, "layers": layers}
    ldescs = []
    for L in layers:
        h = put(L["blob"])
        ldescs.append({"mediaType": L["mediaType"], "digest": "sha256:" + h,
                       "size": len(L["blob"])})
    ctx["layer_digests"] = [d["digest"][7:] for d in ldescs]

    config = _apply(config_hook, base_config([L["diff_id"] for L in layers],
                                             tag), ctx)
    cbytes = _ser(config)
    ch = put(cbytes)
    ctx["config_digest"] = ch

    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "digest": "sha256:" + ch,
                   "size": len(cbytes)},
        "layers": ldescs,
        "annotations": {"dev.berth.test": "hostile"},
    }
    manifest = _apply(manifest_hook, manifest, ctx)
    mbytes = _ser(manifest)
    mh = put(mbytes)
    ctx["manifest_digest"] = mh

    index = {
        "schemaVersion": 2,
        "mediaType": MT_INDEX,
        "manifests": [{
            "mediaType": MT_MANIFEST,
            "digest": "sha256:" + mh,
            "size": len(mbytes),
            "annotations": {REF_ANN: REPO + ":" + tag},
        }],
    }
    index = _apply(index_hook, index, ctx)
    ibytes = _ser(index)

    files = [("oci-layout", jdump({"imageLayoutVersion": "1.0.0"})),
             ("index.json", ibytes)]
    files += [("blobs/sha256/" + h, b) for h, b in sorted(blobs.items())]
    return _apply(files_hook, files, ctx)


def docker_image(tag, layer_tars, config_hook=None, manifest_hook=None,
                 files_hook=None):
    ctx = {}
    files = []
    paths = []
    for t in layer_tars:
        p = sha(t) + "/layer.tar"
        if p not in paths:
            files.append((p, t))
        paths.append(p)
    ctx["layer_paths"] = paths
    config = _apply(config_hook,
                    base_config(["sha256:" + sha(t) for t in layer_tars], tag),
                    ctx)
    cbytes = _ser(config)
    cname = sha(cbytes) + ".json"
    ctx["config_name"] = cname
    manifest = [{"Config": cname, "RepoTags": [REPO + ":" + tag],
                 "Layers": list(paths)}]
    manifest = _apply(manifest_hook, manifest, ctx)
    files.append((cname, cbytes))
    files.append(("manifest.json", _ser(manifest)))
    return _apply(files_hook, files, ctx)


# --------------------------------------------------------------------------
# writers

def rm_rf(path):
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
        return
    if not os.path.isdir(path):
        return
    for root, dirs, files in os.walk(path, topdown=False):
        for f in files:
            os.unlink(os.path.join(root, f))
        for d in dirs:
            p = os.path.join(root, d)
            if os.path.islink(p):
                os.unlink(p)
            else:
                os.rmdir(p)
    os.rmdir(path)


def write_dir(path, files):
    rm_rf(path)
    os.makedirs(path)
    for name, data in files:
        assert not name.startswith("/") and ".." not in name.split("/"), name
        p = os.path.join(path, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)


def write_tar(path, files, with_dirs=True):
    entries = []
    seen = set()
    for name, data in files:
        if with_dirs and ".." not in name.split("/"):
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in seen:
                    seen.add(d)
                    entries.append(D(d))
        entries.append(F(name, data))
    rm_rf(path)
    with open(path, "wb") as f:
        f.write(mktar(entries))


def emit(outdir, filename, files):
    path = os.path.join(outdir, filename)
    if filename.endswith(".oci"):
        write_dir(path, files)
    elif filename.endswith(".tar"):
        write_tar(path, files)
    else:
        raise ValueError(filename)


def tag_for(filename):
    t = filename
    for suf, rep in ((".oci-archive.tar", "-ociarchive"),
                     (".docker-archive.tar", "-docker"),
                     (".oci", "-oci")):
        if t.endswith(suf):
            t = t[: -len(suf)] + rep
    return t


def build(filename, layers_or_tars, **hooks):
    """Dispatch on the filename suffix.  For OCI formats pass layer() dicts
    (or raw tars, which are gzipped); for docker-archive pass raw tars."""
    tag = tag_for(filename)
    if filename.endswith(".docker-archive.tar"):
        return docker_image(tag, layers_or_tars, **hooks)
    layers = [L if isinstance(L, dict) else layer(L) for L in layers_or_tars]
    return oci_image(tag, layers, **hooks)


# --------------------------------------------------------------------------
# common layer content

BASE = [D("etc"), F("etc/ok", b"ok\n")]
BIG = pseudo_random(16384, b"big-file")


def base_tar():
    return mktar(BASE)


def replace_file(files, path, data):
    return [(n, data if n == path else d) for n, d in files]


def drop_file(files, path):
    out = [(n, d) for n, d in files if n != path]
    assert len(out) == len(files) - 1, path
    return out


# --------------------------------------------------------------------------
# cases: (filename, expected-error-substring, description, files-thunk)

HOSTILE = []
CONTAINED = []


def hostile(filename, expect, desc):
    def deco(fn):
        HOSTILE.append((filename, expect, desc, fn))
        return fn
    return deco


def contained(filename, must_exist):
    def deco(fn):
        CONTAINED.append((filename, must_exist, fn))
        return fn
    return deco


# 1. path traversal in layer entry names ---------------------------------

@hostile("traversal-dotdot.oci", "..",
         "layer entry ../evil after valid entries")
def _(f):
    return build(f, [mktar(BASE + [F("../evil", b"evil\n")])])


@hostile("traversal-nested-dotdot.oci-archive.tar", "..",
         "layer entry a/../../evil (escapes via a nested ..)")
def _(f):
    return build(f, [mktar(BASE + [D("a"), F("a/../../evil", b"evil\n")])])


@hostile("traversal-absolute.oci", "absolute",
         "layer entry with absolute name /etc/evil")
def _(f):
    return build(f, [mktar(BASE + [F("/etc/evil", b"evil\n")])])


@hostile("traversal-dotdot.docker-archive.tar", "..",
         "docker-archive layer entry ../evil")
def _(f):
    return build(f, [mktar(BASE + [F("../evil", b"evil\n")])])


@hostile("traversal-dotdot-dir.oci-archive.tar", "..",
         "directory entry ../evil/ plus file ../evil/x")
def _(f):
    return build(f, [mktar(BASE + [D("../evil"), F("../evil/x", b"x\n")])])


@hostile("whiteout-dotdot.oci", "..",
         "layer 2 whiteout etc/.wh.. (would delete etc/.. i.e. the rootfs)")
def _(f):
    return build(f, [base_tar(), mktar([D("etc"), F("etc/.wh..")])])


# 2. symlink escapes that must be contained (load OK) -----------------------

@contained("symlink-abs-contained.oci", "/tmp/pwned")
def _(f):
    # cross-layer: layer 1 link -> /tmp, layer 2 writes link/pwned
    return build(f, [mktar(BASE + [D("tmp"), S("link", "/tmp")]),
                     mktar([F("link/pwned", b"pwned\n")])])


@contained("symlink-abs-same-layer-contained.oci-archive.tar", "/tmp/pwned2")
def _(f):
    return build(f, [mktar(BASE + [D("tmp"), S("link", "/tmp"),
                                   F("link/pwned2", b"pwned\n")])])


@contained("symlink-rel-contained.oci", "/escaped")
def _(f):
    # up -> ../../../../.. must clamp at the rootfs
    return build(f, [mktar(BASE + [S("up", "../../../../..")]),
                     mktar([F("up/escaped", b"escaped\n")])])


@contained("symlink-rel-same-layer-contained.oci", "/escaped2")
def _(f):
    return build(f, [mktar(BASE + [S("up", "../../../../.."),
                                   F("up/escaped2", b"escaped\n")])])


@contained("symlink-chain-contained.oci-archive.tar", "/tmp/chained")
def _(f):
    # a -> b -> ../../tmp  (resolves to /tmp inside the rootfs)
    return build(f, [mktar(BASE + [D("tmp"), S("b", "../../tmp"), S("a", "b")]),
                     mktar([F("a/chained", b"chained\n")])])


@contained("symlink-abs-contained.docker-archive.tar", "/etc/pwned")
def _(f):
    return build(f, [mktar(BASE + [S("link", "/etc")]),
                     mktar([F("link/pwned", b"pwned\n")])])


# 3. hardlink escapes -------------------------------------------------------

@hostile("hardlink-dotdot.oci", "..",
         "hardlink h -> ../../../etc/passwd")
def _(f):
    return build(f, [mktar(BASE + [H("h", "../../../etc/passwd")])])


@hostile("hardlink-missing.oci-archive.tar", "hardlink",
         "hardlink h -> nonexistent/file (target not in any layer)")
def _(f):
    return build(f, [mktar(BASE + [H("h", "nonexistent/file")])])


@hostile("hardlink-via-symlink.oci", "hardlink",
         "layer 1 link -> /etc, layer 2 hardlink h -> link/passwd; "
         "resolves to in-rootfs /etc/passwd which does not exist")
def _(f):
    return build(f, [mktar(BASE + [S("link", "/etc")]),
                     mktar([H("h", "link/passwd")])])


@hostile("hardlink-dotdot.docker-archive.tar", "..",
         "docker-archive hardlink h -> ../../../etc/passwd")
def _(f):
    return build(f, [mktar(BASE + [H("h", "../../../etc/passwd")])])


# 4. digest / size / diff_id mismatches ------------------------------------

@hostile("digest-layer-mismatch.oci", "digest",
         "layer blob bytes differ from its digest (same size, same "
         "uncompressed tar, gzip header mtime changed)")
def _(f):
    tar = base_tar()

    def fh(files, ctx):
        h = ctx["layer_digests"][0]
        bad = gz(tar, mtime=1)
        assert len(bad) == len(ctx["blobs"][h]) and bad != ctx["blobs"][h]
        return replace_file(files, "blobs/sha256/" + h, bad)
    return build(f, [tar], files_hook=fh)


@hostile("digest-config-mismatch.oci-archive.tar", "digest",
         "config blob edited (same size, still valid JSON) without "
         "renaming it")
def _(f):
    def fh(files, ctx):
        h = ctx["config_digest"]
        old = ctx["blobs"][h]
        bad = old.replace(b"make-hostile", b"MAKE-HOSTILE")
        assert bad != old and len(bad) == len(old)
        return replace_file(files, "blobs/sha256/" + h, bad)
    return build(f, [base_tar()], files_hook=fh)


@hostile("digest-manifest-mismatch.oci", "digest",
         "manifest blob edited (same size, still valid JSON) without "
         "renaming it")
def _(f):
    def fh(files, ctx):
        h = ctx["manifest_digest"]
        old = ctx["blobs"][h]
        bad = old.replace(b'"hostile"', b'"HOSTILE"')
        assert bad != old and len(bad) == len(old)
        return replace_file(files, "blobs/sha256/" + h, bad)
    return build(f, [base_tar()], files_hook=fh)


@hostile("size-manifest-wrong.oci", "size",
         "index.json manifest descriptor size is actual size - 1")
def _(f):
    def ih(index, ctx):
        index["manifests"][0]["size"] -= 1
    return build(f, [base_tar()], index_hook=ih)


@hostile("size-layer-wrong.oci-archive.tar", "size",
         "manifest layer descriptor size is actual size + 7")
def _(f):
    def mh(m, ctx):
        m["layers"][0]["size"] += 7
    return build(f, [base_tar()], manifest_hook=mh)


@hostile("diffid-mismatch.oci", "diff",
         "config diff_id does not match the uncompressed layer")
def _(f):
    def ch(c, ctx):
        c["rootfs"]["diff_ids"][0] = "sha256:" + sha(b"not the layer")
    return build(f, [base_tar()], config_hook=ch)


@hostile("diffid-mismatch.docker-archive.tar", "diff",
         "docker-archive config diff_id does not match layer.tar")
def _(f):
    def ch(c, ctx):
        c["rootfs"]["diff_ids"][0] = "sha256:" + sha(b"not the layer")
    return build(f, [base_tar()], config_hook=ch)


# 5. broken layer streams ---------------------------------------------------

@hostile("layer-truncated-gzip.oci", "layer",
         "gzip layer cut in half; digest/size recomputed over the "
         "truncated bytes so only decompression fails")
def _(f):
    tar = mktar(BASE + [F("big", BIG)])
    blob = gz(tar)
    return build(f, [layer(tar, blob=blob[: len(blob) // 2])])


@hostile("layer-garbage-gzip.oci-archive.tar", "layer",
         "random bytes declared as tar+gzip")
def _(f):
    tar = base_tar()
    return build(f, [layer(tar, blob=pseudo_random(4096, b"garbage"))])


@hostile("layer-zstd-garbage.oci", "layer",
         "zstd magic followed by garbage, declared as tar+gzip")
def _(f):
    tar = base_tar()
    blob = b"\x28\xb5\x2f\xfd" + pseudo_random(2048, b"zstd")
    return build(f, [layer(tar, blob=blob)])


@hostile("layer-gzip-not-tar.oci", "layer",
         "valid gzip whose content is not a tar archive")
def _(f):
    junk = pseudo_random(3000, b"not-a-tar")
    return build(f, [layer(junk, blob=gz(junk))])


@hostile("layer-truncated-tar.oci", "layer",
         "uncompressed tar layer cut in the middle of a file's data; "
         "digest, size and diff_id recomputed over the truncated bytes")
def _(f):
    tar = mktar(BASE + [F("big", BIG)])
    cut = tar.index(BIG[:64]) + 1000
    t = tar[:cut]
    return build(f, [layer(t, compress=False)])


@hostile("layer-truncated-tar.docker-archive.tar", "layer",
         "docker-archive layer.tar cut in the middle of a file's data; "
         "diff_id recomputed over the truncated bytes")
def _(f):
    tar = mktar(BASE + [F("big", BIG)])
    cut = tar.index(BIG[:64]) + 1000
    return build(f, [tar[:cut]])


# 6. invalid JSON -----------------------------------------------------------

@hostile("json-index-invalid.oci", "index.json",
         "index.json is truncated JSON")
def _(f):
    def ih(index, ctx):
        return jdump(index)[:40]
    return build(f, [base_tar()], index_hook=ih)


@hostile("json-manifest-invalid.oci", "manifest",
         "manifest blob is not JSON (digest and size are correct)")
def _(f):
    def mh(m, ctx):
        return b"this is not a manifest {\n"
    return build(f, [base_tar()], manifest_hook=mh)


@hostile("json-config-types.oci-archive.tar", "config",
         'config blob is {"rootfs": 5} (valid JSON, wrong types)')
def _(f):
    def ch(c, ctx):
        return {"rootfs": 5}
    return build(f, [base_tar()], config_hook=ch)


@hostile("json-manifest-invalid.docker-archive.tar", "manifest.json",
         "docker-archive manifest.json is not valid JSON")
def _(f):
    def mh(m, ctx):
        return jdump(m)[:-7]
    return build(f, [base_tar()], manifest_hook=mh)


# 7. missing blobs ----------------------------------------------------------

# a blob the manifest or index names, left out: (file, what, which)
for _name, _what, _key in [
        ("missing-layer-blob.oci", "manifest references a layer blob absent "
         "from blobs/sha256", "layer_digests"),
        ("missing-config-blob.oci-archive.tar", "manifest references a config "
         "blob absent from the archive", "config_digest"),
        ("missing-manifest-blob.oci", "index.json references a manifest blob "
         "absent from blobs/sha256", "manifest_digest")]:
    @hostile(_name, "missing", _what)
    def _(f, key=_key):
        def fh(files, ctx):
            d = ctx[key][0] if key == "layer_digests" else ctx[key]
            return drop_file(files, "blobs/sha256/" + d)
        return build(f, [base_tar()], files_hook=fh)


@hostile("missing-layer.docker-archive.tar", "missing",
         "docker-archive manifest.json lists a layer file not in the tar")
def _(f):
    def mh(m, ctx):
        m[0]["Layers"][0] = sha(b"absent") + "/layer.tar"
    return build(f, [base_tar()], manifest_hook=mh)


# 8. index nesting ----------------------------------------------------------

@hostile("index-nested-too-deep.oci", "index",
         "index.json -> 20 nested image indexes -> manifest; must be "
         "refused as nested too deep")
def _(f):
    def ih(index, ctx):
        desc = dict(index["manifests"][0])
        desc.pop("annotations")
        for _i in range(20):
            nested = {"schemaVersion": 2, "mediaType": MT_INDEX,
                      "manifests": [desc]}
            b = jdump(nested)
            desc = {"mediaType": MT_INDEX, "digest": "sha256:" + ctx["put"](b),
                    "size": len(b)}
        desc["annotations"] = index["manifests"][0]["annotations"]
        index["manifests"] = [desc]
    return build(f, [base_tar()], index_hook=ih)


# 9. absurd sizes / counts --------------------------------------------------

@hostile("size-layer-huge.oci", "size",
         "layer descriptor size 10^15")
def _(f):
    def mh(m, ctx):
        m["layers"][0]["size"] = 10 ** 15
    return build(f, [base_tar()], manifest_hook=mh)


@hostile("size-config-huge.oci-archive.tar", "size",
         "config descriptor size 10^12")
def _(f):
    def mh(m, ctx):
        m["config"]["size"] = 10 ** 12
    return build(f, [base_tar()], manifest_hook=mh)


@hostile("size-negative.oci", "size",
         "layer descriptor size -1")
def _(f):
    def mh(m, ctx):
        m["layers"][0]["size"] = -1
    return build(f, [base_tar()], manifest_hook=mh)


TOO_MANY_OCI = 2000
TOO_MANY_DOCKER = 100000


@hostile("layers-too-many.oci", "layers",
         "manifest lists the same layer %d times, config has %d matching "
         "diff_ids (importer layer limit must be below %d)"
         % (TOO_MANY_OCI, TOO_MANY_OCI, TOO_MANY_OCI))
def _(f):
    def ch(c, ctx):
        c["history"] = []
    return build(f, [base_tar()] * TOO_MANY_OCI, config_hook=ch)


@hostile("layers-too-many.docker-archive.tar", "layers",
         "docker-archive manifest.json lists the member l %d times (config "
         "has 1 diff_id)" % TOO_MANY_DOCKER)
def _(f):
    # shortest possible member name keeps manifest.json ~400 KB
    def mh(m, ctx):
        m[0]["Layers"] = ["l"] * TOO_MANY_DOCKER

    def fh(files, ctx):
        return [("l" if n == ctx["layer_paths"][0] else n, d)
                for n, d in files]
    return build(f, [base_tar()], manifest_hook=mh, files_hook=fh)


# 10. archive-level traversal -----------------------------------------------

@hostile("docker-layer-path-dotdot.docker-archive.tar", "..",
         "docker-archive manifest.json Layers entry ../../etc/passwd")
def _(f):
    def mh(m, ctx):
        m[0]["Layers"][0] = "../../etc/passwd"
    return build(f, [base_tar()], manifest_hook=mh)


@hostile("docker-config-path-dotdot.docker-archive.tar", "..",
         "docker-archive manifest.json Config ../../etc/passwd")
def _(f):
    def mh(m, ctx):
        m[0]["Config"] = "../../etc/passwd"
    return build(f, [base_tar()], manifest_hook=mh)


@hostile("docker-member-dotdot.docker-archive.tar", "..",
         "otherwise valid docker-archive with an extra tar member ../escape")
def _(f):
    def fh(files, ctx):
        return [("../escape", b"escape\n")] + files
    return build(f, [base_tar()], files_hook=fh)


@hostile("oci-archive-member-dotdot.oci-archive.tar", "..",
         "otherwise valid oci-archive with an extra tar member ../escape")
def _(f):
    def fh(files, ctx):
        return files + [("../escape", b"escape\n")]
    return build(f, [base_tar()], files_hook=fh)


# 11. layer count mismatch --------------------------------------------------

@hostile("layers-diffid-count.oci", "layers",
         "config has 2 diff_ids but manifest lists 1 layer")
def _(f):
    def ch(c, ctx):
        c["rootfs"]["diff_ids"].append("sha256:" + sha(b"extra"))
        c["history"].append(dict(c["history"][0]))
    return build(f, [base_tar()], config_hook=ch)


@hostile("layers-diffid-count.docker-archive.tar", "layers",
         "docker-archive config has 2 diff_ids but manifest.json lists "
         "1 layer")
def _(f):
    def ch(c, ctx):
        c["rootfs"]["diff_ids"].append("sha256:" + sha(b"extra"))
        c["history"].append(dict(c["history"][0]))
    return build(f, [base_tar()], config_hook=ch)


# control ------------------------------------------------------------------

VALID = "valid.oci"


def valid_files():
    return build(VALID, [base_tar()])


# --------------------------------------------------------------------------

def write_tsvs(d):
    with open(os.path.join(d, "hostile-cases.tsv"), "w") as f:
        for name, expect, desc, _fn in HOSTILE:
            assert "\t" not in desc and "\n" not in desc
            assert expect == expect.lower()
            f.write("%s\t%s\t%s\n" % (name, expect, desc))
    with open(os.path.join(d, "hostile-contained.tsv"), "w") as f:
        for name, path, _fn in CONTAINED:
            f.write("%s\t%s\n" % (name, path))


def read_tsv_names(path):
    names = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                names.append(line.split("\t")[0])
    return names


def main(argv):
    if len(argv) == 3 and argv[1] == "--write-tsv":
        write_tsvs(argv[2])
        return 0
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)

    names = [h[0] for h in HOSTILE] + [c[0] for c in CONTAINED] + [VALID]
    assert len(names) == len(set(names)), "duplicate case filename"

    for name, _e, _d, fn in HOSTILE:
        emit(outdir, name, fn(name))
    for name, _p, fn in CONTAINED:
        emit(outdir, name, fn(name))
    emit(outdir, VALID, valid_files())

    # self-check: every name listed in the checked-in TSVs was produced
    for tsv in ("hostile-cases.tsv", "hostile-contained.tsv"):
        p = os.path.join(HERE, tsv)
        if os.path.exists(p):
            for n in read_tsv_names(p):
                if not os.path.exists(os.path.join(outdir, n)):
                    sys.stderr.write("make-hostile: %s lists %s but it was "
                                     "not generated\n" % (tsv, n))
                    return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
