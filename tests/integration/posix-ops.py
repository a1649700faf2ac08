#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# posix-ops.py DIR: a POSIX conformance run. Performs create, unlink,
# rename, link, symlink, chmod, chown, truncate, utimens, mkfifo and xattr
# operations in the empty directory DIR and prints one line per check:
# the result or the errno name. Run it on a native directory and on a
# berth-fs mount: the outputs must be the same.
import ctypes
import errno
import os
import stat
import sys

os.chdir(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2


def renameat2(a, b, flags):
    if libc.renameat2(-100, a.encode(), -100, b.encode(), flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def check(name, fn):
    try:
        v = fn()
        print(f"{name}: ok{'' if v is None else ' ' + str(v)}")
    except OSError as e:
        print(f"{name}: {errno.errorcode.get(e.errno, e.errno)}")


def write(p, data, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
    fd = os.open(p, flags, 0o644)
    os.write(fd, data)
    os.close(fd)


def read(p):
    with open(p, "rb") as f:
        return f.read()


check("create", lambda: os.close(os.open("f", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)))
check("create excl again", lambda: os.open("f", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
check("write read", lambda: (write("f", b"hello world"), read("f"))[1])
check("append", lambda: (write("f", b"!", os.O_WRONLY | os.O_APPEND), read("f"))[1])
check("truncate down", lambda: (os.truncate("f", 5), os.stat("f").st_size, read("f"))[1:])
check("truncate up", lambda: (os.truncate("f", 8), read("f"))[1])
check("mkdir", lambda: os.mkdir("d", 0o755))
check("mkdir again", lambda: os.mkdir("d"))
check("rmdir a file", lambda: os.rmdir("f"))
check("unlink a dir", lambda: os.unlink("d"))
check("open a dir for writing", lambda: os.open("d", os.O_WRONLY))
check("file as a parent", lambda: os.stat("f/x"))
check("name too long", lambda: os.open("x" * 256, os.O_CREAT | os.O_WRONLY))
check("missing", lambda: os.stat("nope"))
check("rename", lambda: (os.rename("f", "g"), os.path.exists("f"), read("g"))[1:])
check("rename onto itself", lambda: os.rename("g", "g"))
check("mkdir d/sub", lambda: os.mkdir("d/sub"))
check("rename dir into itself", lambda: os.rename("d", "d/sub/x"))
check("rmdir non-empty", lambda: os.rmdir("d"))
check("mkdir e", lambda: os.mkdir("e"))
check("rename dir over non-empty dir", lambda: os.rename("e", "d"))
check("rename file over dir", lambda: os.rename("g", "e"))
check("rename dir over file", lambda: os.rename("e", "g"))
check("rename dir over empty dir", lambda: (os.rename("d", "e"), sorted(os.listdir("e")))[1])
check("noreplace", lambda: renameat2("g", "e", RENAME_NOREPLACE))
check("noreplace ok", lambda: renameat2("g", "g2", RENAME_NOREPLACE))
check("exchange", lambda: (write("x1", b"one"), write("x2", b"two"), renameat2("x1", "x2", RENAME_EXCHANGE),
                           read("x1"), read("x2"))[3:])
check("exchange missing", lambda: renameat2("x1", "nope", RENAME_EXCHANGE))
check("link", lambda: (os.link("g2", "h"), os.stat("g2").st_nlink, os.stat("h").st_ino == os.stat("g2").st_ino)[1:])
check("link to a dir", lambda: os.link("e", "e2"))
check("link exists", lambda: os.link("g2", "h"))
check("unlink one name", lambda: (os.unlink("g2"), read("h"), os.stat("h").st_nlink)[1:])
check("symlink", lambda: (os.symlink("h", "s"), os.readlink("s"), read("s"))[1:])
check("symlink exists", lambda: os.symlink("h", "s"))
check("symlink loop", lambda: (os.symlink("l2", "l1"), os.symlink("l1", "l2"), read("l1")))
check("dangling", lambda: (os.symlink("nowhere", "dang"), os.path.lexists("dang"), os.path.exists("dang"))[1:])
check("chmod", lambda: (os.chmod("h", 0o640), oct(stat.S_IMODE(os.stat("h").st_mode)))[1])
check("chmod setuid", lambda: (os.chmod("h", 0o4755), oct(stat.S_IMODE(os.stat("h").st_mode)))[1])
check("chown to self", lambda: os.chown("h", os.getuid(), os.getgid()))
check("utime", lambda: (os.utime("h", (1000000000, 1234567890)), os.stat("h").st_mtime)[1])
check("symlink mode", lambda: oct(stat.S_IMODE(os.lstat("s").st_mode)))
check("mkfifo", lambda: (os.mkfifo("p", 0o600), stat.S_ISFIFO(os.stat("p").st_mode))[1])
check("mkfifo exists", lambda: os.mkfifo("p"))
check("xattr set get", lambda: (os.setxattr("h", "user.k", b"v1"), os.getxattr("h", "user.k"))[1])
check("xattr list", lambda: sorted(x for x in os.listxattr("h") if x.startswith("user.")))
check("xattr create exists", lambda: os.setxattr("h", "user.k", b"v2", os.XATTR_CREATE))
check("xattr replace missing", lambda: os.setxattr("h", "user.nope", b"v", os.XATTR_REPLACE))
check("xattr remove", lambda: (os.removexattr("h", "user.k"), [x for x in os.listxattr("h") if x.startswith("user.")])[1])
check("xattr remove missing", lambda: os.removexattr("h", "user.k"))


def unlinked_open():
    write("u", b"data")
    fd = os.open("u", os.O_RDWR)
    os.unlink("u")
    os.lseek(fd, 0, 0)
    a = os.read(fd, 10)
    os.pwrite(fd, b"DATA", 0)
    b = os.pread(fd, 10, 0)
    os.close(fd)
    return a, b, os.path.exists("u")


check("unlinked while open", unlinked_open)


def hardlink_coherent():
    # the kernel may cache each name's attributes and pages: a change
    # through one name must show through the other at once
    write("hl1", b"one")
    os.link("hl1", "hl2")
    a = (read("hl1"), os.stat("hl1").st_size)
    write("hl2", b"second", os.O_WRONLY | os.O_APPEND)
    os.chmod("hl2", 0o600)
    b = (read("hl1"), os.stat("hl1").st_size, oct(stat.S_IMODE(os.stat("hl1").st_mode)))
    os.unlink("hl2")
    return a, b, os.stat("hl1").st_nlink


check("hardlinks stay coherent", hardlink_coherent)


def append_then_pwrite():
    # an O_APPEND create must not make every later write append
    a = os.open("ac", os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o644)
    os.write(a, b"abc")
    b = os.open("ac", os.O_WRONLY)
    os.pwrite(b, b"X", 0)
    os.close(a)
    os.close(b)
    return read("ac")


check("pwrite after an O_APPEND create", append_then_pwrite)
check("readdir", lambda: sorted(os.listdir(".")))
check("rmdir dir", lambda: (os.rmdir("e/sub"), os.rmdir("e"), os.path.exists("e"))[2])
