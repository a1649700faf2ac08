#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tree-walk.py ROOT: list a mounted tree in the fixtures' EXPECTED TSV
# format (path, type, mode, uid, gid, size, link, sha256, hardlink group,
# xattrs), from lstat/readlink/read/listxattr through the mount itself.
import hashlib
import os
import stat
import sys

root = sys.argv[1]


def esc(b):
    out = []
    for c in b:
        if c == 0x5C:
            out.append("\\\\")
        elif c == 9:
            out.append("\\t")
        elif c == 10:
            out.append("\\n")
        elif c == 13:
            out.append("\\r")
        elif c < 0x20 or c == 0x7F:
            out.append("\\x%02x" % c)
        else:
            out.append(chr(c))
    return "".join(out).encode("latin-1").decode("utf-8", "surrogateescape")


rows = []
inodes = {}
rootb = os.fsencode(root)
for dirpath, dirnames, filenames in os.walk(rootb):
    for name in sorted(dirnames + filenames):
        full = os.path.join(dirpath, name)
        rel = full[len(rootb):]
        st = os.lstat(full)
        m = st.st_mode
        t = {stat.S_IFDIR: "d", stat.S_IFREG: "f", stat.S_IFLNK: "l", stat.S_IFIFO: "p",
             stat.S_IFCHR: "c", stat.S_IFBLK: "b", stat.S_IFSOCK: "s"}[stat.S_IFMT(m)]
        size, link, digest = "-", "-", "-"
        if t == "f":
            with open(full, "rb") as f:
                data = f.read()
            size, digest = str(len(data)), hashlib.sha256(data).hexdigest()
            inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
        elif t == "l":
            target = os.readlink(full)
            size, link = str(len(target)), esc(target)
        elif t != "d":
            size = "0"
        xs = []
        if t != "l":
            for x in sorted(os.listxattr(full)):
                v = os.getxattr(full, x)
                xs.append(x + "=" + esc(v))
        rows.append([rel, t, "%04o" % (0o777 if t == "l" else stat.S_IMODE(m)), str(st.st_uid),
                     str(st.st_gid), size, link, digest, (st.st_dev, st.st_ino) if t == "f" else None,
                     ";".join(xs) or "-"])
groups = {k: min(v) for k, v in inodes.items() if len(v) > 1}
sys.stdout.write("# path\ttype\tmode\tuid\tgid\tsize\tlink_target\tsha256\thardlink_group\txattrs\n")
for r in rows:
    g = groups.get(r[8])
    r[8] = esc(g) if g else "-"
    r[0] = esc(r[0])
    sys.stdout.write("\t".join(r) + "\n")
