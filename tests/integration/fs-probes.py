#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# fs-probes.py PROBE FILE: small filesystem behaviours checked by t-fs-rw.
#   seek   write 4 KiB, extend to 1 MiB, fallocate past the end; print
#          SEEK_DATA and SEEK_HOLE from 0 and the size
#   lock   a POSIX lock held here refuses a second process; flock works
#   mmap   a shared writable mapping reaches the file
import fcntl
import mmap
import os
import sys

probe, path = sys.argv[1], sys.argv[2]
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
if probe == "seek":
    os.pwrite(fd, b"x" * 4096, 0)
    os.ftruncate(fd, 1 << 20)
    os.posix_fallocate(fd, 1 << 20, 4096)
    print(os.lseek(fd, 0, os.SEEK_DATA), os.lseek(fd, 0, os.SEEK_HOLE), os.fstat(fd).st_size)
elif probe == "lock":
    fcntl.lockf(fd, fcntl.LOCK_EX)
    pid = os.fork()
    if pid == 0:
        try:
            fcntl.lockf(os.open(path, os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB)
            os._exit(1)  # the lock should have been refused
        except OSError:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    sys.exit(os.waitstatus_to_exitcode(status))
elif probe == "mmap":
    os.ftruncate(fd, 4096)
    m = mmap.mmap(fd, 4096, mmap.MAP_SHARED)
    m[0:5] = b"mmapd"
    m.flush()
    m.close()
    with open(path, "rb") as f:
        sys.exit(0 if f.read(5) == b"mmapd" else 1)
else:
    sys.exit(f"unknown probe {probe}")
