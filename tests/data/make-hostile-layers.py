#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generate hostile images about layer contents and manifest shapes, for
t-security-layers: deep and wide layers, decompression bombs, whiteout
names, and manifests that are ambiguous or carry unknown media types.

Usage:
    make-hostile-layers.py [--base TAR] OUTDIR
        write every case into OUTDIR, and OUTDIR/refused.tsv (file,
        substring of the error, description) for those a load refuses
    make-hostile-layers.py [--base TAR] --deep N OUT
        one OCI layout: N nested directories d/d/.../d, a file at the bottom
    make-hostile-layers.py [--base TAR] --wide N OUT
        one OCI layout: N empty files in /w
    make-hostile-layers.py --bomb MIB OUT
        one OCI layout: a gzip layer holding one file of MIB MiB of zeros
    make-hostile-layers.py --deep-slow N MIB OUT
        N nested directories and a file of MIB MiB of zeros at the bottom

--base TAR puts the uncompressed tar TAR (a root filesystem with a
static busybox: lib.sh's tools_image writes one) under every image that
is meant to run, so a container can look at it from inside.

The image builders and tar writer are make-hostile.py's (imported, so
both scripts make images the same way). Output is deterministic.
"""

import hashlib
import importlib.util
import io
import os
import sys
import tarfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "make_hostile", os.path.join(HERE, "make-hostile.py"))
mh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mh)

D, F, S, mktar, layer = mh.D, mh.F, mh.S, mh.mktar, mh.layer

BASE_TAR = None  # --base: the tools root filesystem, uncompressed


def build(fname, layers, runnable=True, **hooks):
    """make-hostile's build(), with the tools layer first when runnable."""
    if runnable and BASE_TAR is not None:
        layers = [layer(BASE_TAR, compress=False)] + list(layers)
    return mh.build(fname, layers, **hooks)


def gz_fast(data):
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def gz_layer(tar):
    return layer(tar, blob=gz_fast(tar))


def deep_entries(n, name="d"):
    """n nested directories d/d/.../d and a file at the bottom."""
    out = []
    path = ""
    for _ in range(n):
        path = path + "/" + name if path else name
        out.append(D(path))
    out.append(F(path + "/bottom", b"bottom\n"))
    return out


def wide_tar(n, prefix="w"):
    """n empty files in /PREFIX (TarInfo by hand: fast enough for 10^5)."""
    buf = io.BytesIO()
    tf = tarfile.TarFile(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
    ti = tarfile.TarInfo(prefix)
    ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, mh.MTIME
    tf.addfile(ti)
    for i in range(n):
        ti = tarfile.TarInfo("%s/f%07d" % (prefix, i))
        ti.mode, ti.mtime = 0o644, mh.MTIME
        tf.addfile(ti)
    tf.close()
    return buf.getvalue()


def zeros_layer(mib, head=b"", name="zeros"):
    """A tar: the members in head (a tar without its end), then a file
    name of mib MiB of zeros; gzip-compressed as it is made (the zeros are
    never held in memory)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    h = hashlib.sha256()
    out = []

    def put(b):
        h.update(b)
        out.append(c.compress(b))
    put(head)
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode, ti.mtime = mib << 20, 0o644, mh.MTIME
    put(ti.tobuf(tarfile.PAX_FORMAT))
    zero = bytes(1 << 20)
    for _ in range(mib):
        put(zero)
    put(bytes(1024))  # end of archive
    out.append(c.flush())
    return {"tar": b"", "blob": b"".join(out), "mediaType": mh.MT_LAYER_GZ,
            "diff_id": "sha256:" + h.hexdigest()}


def without_end(tar):
    end = len(tar)
    while end >= 512 and tar[end - 512:end] == bytes(512):
        end -= 512
    return tar[:end]


def deep_slow_layer(n, mib):
    """n nested directories, then a file of mib MiB of zeros at the
    bottom: a load spends its time there with the deep tree staged."""
    head = without_end(mktar(deep_entries(n)[:-1]))
    return zeros_layer(mib, head, "/".join(["d"] * n) + "/zeros")


def busybox_entries():
    """bin/busybox and a few applets, from the base tar: a layer that
    hides everything below it must bring its own tools."""
    if BASE_TAR is None:
        return []
    with tarfile.open(fileobj=io.BytesIO(BASE_TAR)) as tf:
        for m in tf.getmembers():
            if m.name.lstrip("./") == "bin/busybox":
                data = tf.extractfile(m).read()
                break
        else:
            raise SystemExit("make-hostile-layers: no bin/busybox in the base")
    bb = F("bin/busybox", data)
    out = [D("bin"), dict(bb)]
    for a in ("sh", "ls", "find", "cat", "stat", "touch", "mkdir", "mv", "ln",
              "true", "wc", "test"):
        out.append(S("bin/" + a, "busybox"))
    return out


def _exec_mode(entries):
    """mktar makes every file 0644: busybox needs its x bits."""
    tar = mktar(entries)
    buf = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(tar)) as src, \
            tarfile.TarFile(fileobj=buf, mode="w",
                            format=tarfile.PAX_FORMAT) as dst:
        for m in src.getmembers():
            f = src.extractfile(m) if m.isfile() else None
            if m.name == "bin/busybox":
                m.mode = 0o755
            dst.addfile(m, f)
    return buf.getvalue()


BASE = [D("etc"), F("etc/ok", b"ok\n"), F("a", b"a\n"), F("b", b"b\n"),
        D("c"), F("c/x", b"x\n")]

# --------------------------------------------------------------------------
# Cases that must LOAD (what each must show is asserted by the test), and
# cases that must be REFUSED (with a substring of the error).
LOADS = []
REFUSED = []


def loads(fname, desc):
    def deco(fn):
        LOADS.append((fname, desc, fn))
        return fn
    return deco


def refused(fname, want, desc):
    def deco(fn):
        REFUSED.append((fname, want, desc, fn))
        return fn
    return deco


# limits --------------------------------------------------------------------

DEEP = 2000
WIDE = 40000


@loads("deep.oci", "%d nested directories and a file at the bottom" % DEEP)
def _(f):
    return build(f, [gz_layer(mktar(deep_entries(DEEP)))])


@loads("wide.oci", "%d files in one directory" % WIDE)
def _(f):
    return build(f, [gz_layer(wide_tar(WIDE))])


@loads("wide-two.oci", "two layers of 12,000 files each (/w1, /w2)")
def _(f):
    return build(f, [gz_layer(wide_tar(12000, "w1")),
                     gz_layer(wide_tar(12000, "w2"))], runnable=False)


@loads("bomb.oci", "a small gzip layer of 256 MiB of zeros")
def _(f):
    return build(f, [zeros_layer(256)], runnable=False)


@loads("bomb-two.oci", "two layers of 12 MiB of zeros each")
def _(f):
    return build(f, [zeros_layer(12, name="z1"), zeros_layer(12, name="z2")],
                 runnable=False)


@loads("deep-slow.oci",
       "%d nested directories and 512 MiB of zeros at the bottom" % DEEP)
def _(f):
    return build(f, [deep_slow_layer(DEEP, 512)], runnable=False)


# whiteouts -----------------------------------------------------------------

@loads("wh-opaque-root.oci",
       "the top layer has .wh..wh..opq at its root: only its own entries "
       "remain")
def _(f):
    return build(f, [mktar(BASE),
                     _exec_mode([F(".wh..wh..opq")] + busybox_entries() +
                                [F("new", b"new\n"), D("etc2"), D("tmp")])])


@loads("wh-opaque-root-dot.oci",
       "the same, written ./.wh..wh..opq after a ./ entry")
def _(f):
    return build(f, [mktar(BASE),
                     _exec_mode([D("."), F("./.wh..wh..opq")] +
                                busybox_entries() + [F("./new", b"new\n"),
                                                     D("./tmp")])])


@loads("wh-aufs.oci",
       "aufs bookkeeping: .wh..wh.plnk/ with a file in it, .wh..wh.aufs, "
       "c/.wh..wh.orph/x: all ignored, nothing named .wh.* appears")
def _(f):
    return build(f, [mktar(BASE),
                     mktar([D(".wh..wh.plnk"), F(".wh..wh.plnk/123.456", b"p\n"),
                            F(".wh..wh.aufs"), D("c"),
                            D("c/.wh..wh.orph"), F("c/.wh..wh.orph/x", b"o\n"),
                            F("ok2", b"ok\n")])])


@loads("wh-sibling.oci",
       "the top layer whites out /a and /c/x and holds .wh.b next to a new "
       "b (same layer: b stays)")
def _(f):
    return build(f, [mktar(BASE),
                     mktar([F(".wh.a"), D("c"), F("c/.wh.x"), F(".wh.b"),
                            F("b", b"b2\n")])])


@refused("wh-component.oci", ".wh.",
         "entry c/.wh.x/y: a whiteout name used as a directory")
def _(f):
    return build(f, [mktar(BASE), mktar([D("c"), F("c/.wh.x/y", b"y\n")])])


@refused("wh-component-dir.oci", ".wh.",
         "directory entry .wh.dir/ then .wh.dir/f")
def _(f):
    return build(f, [mktar(BASE + [D(".wh.dir"), F(".wh.dir/f", b"f\n")])])


@refused("wh-via-symlink.oci", ".wh.",
         "symlink s -> .wh.hidden, then s/f: resolves to /.wh.hidden/f")
def _(f):
    return build(f, [mktar(BASE + [S("s", ".wh.hidden")]),
                     mktar([F("s/f", b"f\n")])])


@refused("wh-empty.oci", "whiteout",
         "c/.wh. names the directory itself")
def _(f):
    return build(f, [mktar(BASE), mktar([D("c"), F("c/.wh.")])])


# manifests -----------------------------------------------------------------

def _set_layer_mt(mt):
    def hook(m, ctx):
        if mt is None:
            del m["layers"][-1]["mediaType"]
        else:
            m["layers"][-1]["mediaType"] = mt
    return hook


@refused("mt-layer-unknown.oci", "media type",
         "layer descriptor mediaType application/vnd.example.weird")
def _(f):
    return build(f, [mktar(BASE)], runnable=False,
                 manifest_hook=_set_layer_mt("application/vnd.example.weird"))


@refused("mt-layer-foreign.oci", "media type",
         "layer descriptor mediaType is the manifest's own type")
def _(f):
    return build(f, [mktar(BASE)], runnable=False,
                 manifest_hook=_set_layer_mt(mh.MT_MANIFEST))


@refused("mt-layer-missing.oci", "media type",
         "layer descriptor without a mediaType")
def _(f):
    return build(f, [mktar(BASE)], runnable=False,
                 manifest_hook=_set_layer_mt(None))


@refused("mt-config-layer.oci", "media type",
         "config descriptor mediaType is a layer type")
def _(f):
    def hook(m, ctx):
        m["config"]["mediaType"] = mh.MT_LAYER_GZ
    return build(f, [mktar(BASE)], runnable=False, manifest_hook=hook)


@refused("mt-config-missing.oci", "media type",
         "config descriptor without a mediaType")
def _(f):
    def hook(m, ctx):
        del m["config"]["mediaType"]
    return build(f, [mktar(BASE)], runnable=False, manifest_hook=hook)


@refused("ambiguous-manifest.oci", "ambiguous",
         "a manifest that also carries a manifests list (CVE-2021-41190)")
def _(f):
    def hook(m, ctx):
        m["manifests"] = [dict(m["config"], mediaType=mh.MT_MANIFEST)]
    return build(f, [mktar(BASE)], runnable=False, manifest_hook=hook)


@refused("ambiguous-index-layers.oci", "ambiguous",
         "index.json that also carries layers (CVE-2021-41190)")
def _(f):
    def hook(index, ctx):
        d = ctx["layer_digests"][0]
        index["layers"] = [{"mediaType": mh.MT_LAYER_GZ, "digest": "sha256:" + d,
                            "size": len(ctx["blobs"][d])}]
    return build(f, [mktar(BASE)], runnable=False, index_hook=hook)


@refused("ambiguous-index-config.oci", "ambiguous",
         "index.json that also carries a config (CVE-2021-41190)")
def _(f):
    def hook(index, ctx):
        c = ctx["config_digest"]
        index["config"] = {"mediaType": mh.MT_CONFIG, "digest": "sha256:" + c,
                           "size": len(ctx["blobs"][c])}
    return build(f, [mktar(BASE)], runnable=False, index_hook=hook)


@refused("ambiguous-nested-index.oci", "ambiguous",
         "a nested index blob that also carries layers")
def _(f):
    def hook(index, ctx):
        desc = dict(index["manifests"][0])
        ann = desc.pop("annotations")
        nested = {"schemaVersion": 2, "mediaType": mh.MT_INDEX,
                  "manifests": [desc], "layers": []}
        b = mh.jdump(nested)
        index["manifests"] = [{"mediaType": mh.MT_INDEX,
                               "digest": "sha256:" + ctx["put"](b),
                               "size": len(b), "annotations": ann}]
    return build(f, [mktar(BASE)], runnable=False, index_hook=hook)


@refused("mt-manifest-says-index.oci", "media type",
         "index.json names a manifest blob as an index (descriptor and "
         "document disagree)")
def _(f):
    def hook(index, ctx):
        index["manifests"][0]["mediaType"] = mh.MT_INDEX
    return build(f, [mktar(BASE)], runnable=False, index_hook=hook)


def single(kind, args, out):
    name = os.path.basename(out.rstrip("/")) + ".oci"
    if kind == "--deep":
        files = build(name, [gz_layer(mktar(deep_entries(int(args[0]))))])
    elif kind == "--wide":
        files = build(name, [gz_layer(wide_tar(int(args[0])))])
    elif kind == "--bomb":
        files = build(name, [zeros_layer(int(args[0]))], runnable=False)
    else:
        files = build(name, [deep_slow_layer(int(args[0]), int(args[1]))],
                      runnable=False)
    mh.write_dir(out, files)


def main(argv):
    global BASE_TAR
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--base":
        with open(args[1], "rb") as f:
            BASE_TAR = f.read()
        args = args[2:]
    nargs = {"--deep": 1, "--wide": 1, "--bomb": 1, "--deep-slow": 2}
    if args and args[0] in nargs and len(args) == nargs[args[0]] + 2:
        single(args[0], args[1:-1], args[-1])
        return 0
    if len(args) != 1 or args[0].startswith("-"):
        sys.stderr.write(__doc__)
        return 2
    outdir = args[0]
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "refused.tsv"), "w") as t:
        for name, want, desc, fn in REFUSED:
            mh.emit(outdir, name, fn(name))
            t.write("%s\t%s\t%s\n" % (name, want, desc))
    for name, _desc, fn in LOADS:
        mh.emit(outdir, name, fn(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
