#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# fs-stress.py MOUNT SECONDS: 4 concurrent workers on one berth-fs mount
# for SECONDS: two writers (create, append, truncate, unlink), one renamer
# (files and directories, within and across directories) and one reader
# (lower files and the others' trees). Each changing worker owns a
# subtree and keeps a model of it; at the end the mounted subtrees must
# equal the models exactly. Exit 1 with the differences otherwise.
import multiprocessing as mp
import os
import random
import sys
import time

root, seconds = sys.argv[1], float(sys.argv[2])


def tree(base):
    out = {}
    for dp, dns, fns in os.walk(base):
        rel = os.path.relpath(dp, base)
        for d in dns:
            out[os.path.normpath(os.path.join(rel, d))] = None
        for f in fns:
            with open(os.path.join(dp, f), "rb") as fh:
                out[os.path.normpath(os.path.join(rel, f))] = fh.read()
    return out


def writer(idx, q):
    rnd = random.Random(idx)
    base = os.path.join(root, f"w{idx}")
    os.mkdir(base)
    model, ops, end = {}, 0, time.time() + seconds
    while time.time() < end:
        name = f"f{rnd.randrange(40)}"
        p = os.path.join(base, name)
        op = rnd.randrange(4)
        if op == 0:
            data = os.urandom(rnd.randrange(1, 5000))
            with open(p, "wb") as f:
                f.write(data)
            model[name] = data
        elif op == 1 and name in model:
            data = os.urandom(rnd.randrange(1, 300))
            with open(p, "ab") as f:
                f.write(data)
            model[name] += data
        elif op == 2 and name in model:
            n = rnd.randrange(len(model[name]) + 1)
            os.truncate(p, n)
            model[name] = model[name][:n]
        elif op == 3 and name in model:
            os.unlink(p)
            del model[name]
        ops += 1
    q.put((f"w{idx}", model, ops))


def renamer(q):
    rnd = random.Random(99)
    base = os.path.join(root, "r")
    os.mkdir(base)
    model, ops, end = {}, 0, time.time() + seconds
    for d in ("a", "b"):
        os.mkdir(os.path.join(base, d))
        model[d] = None
    while time.time() < end:
        op = rnd.randrange(3)
        dirs = ["a" if "a" in model else "c", "b"]
        src = f"{rnd.choice(dirs)}/n{rnd.randrange(20)}"
        dst = f"{rnd.choice(dirs)}/n{rnd.randrange(20)}"
        if op == 0:
            data = os.urandom(rnd.randrange(1, 200))
            with open(os.path.join(base, src), "wb") as f:
                f.write(data)
            model[src] = data
        elif op == 1 and src in model and src != dst:
            os.rename(os.path.join(base, src), os.path.join(base, dst))
            model[dst] = model.pop(src)
        elif op == 2:
            # a directory moving back and forth with its content
            d1, d2 = ("a", "c") if "a" in model else ("c", "a")
            if "b" in model and d1 in model:
                os.rename(os.path.join(base, d1), os.path.join(base, d2))
                for k in [k for k in model if k == d1 or k.startswith(d1 + "/")]:
                    model[d2 + k[len(d1):]] = model.pop(k)
        ops += 1
    q.put(("r", model, ops))


def reader(q):
    ops, end = 0, time.time() + seconds
    while time.time() < end:
        for dp, dns, fns in os.walk(root):
            for f in fns[:20]:
                try:
                    with open(os.path.join(dp, f), "rb") as fh:
                        fh.read()
                except OSError:
                    pass  # the others delete and rename all the time
            ops += 1
    q.put(("reader", None, ops))


def main():
    q = mp.Queue()
    procs = [mp.Process(target=writer, args=(0, q)), mp.Process(target=writer, args=(1, q)),
             mp.Process(target=renamer, args=(q,)), mp.Process(target=reader, args=(q,))]
    for p in procs:
        p.start()
    results = [q.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    bad = 0
    total = 0
    for name, model, ops in results:
        total += ops
        if model is None:
            continue
        got = tree(os.path.join(root, name))
        if got != model:
            bad += 1
            missing = sorted(set(model) - set(got))[:5]
            extra = sorted(set(got) - set(model))[:5]
            differ = sorted(k for k in set(got) & set(model) if got[k] != model[k])[:5]
            print(f"{name}: missing {missing} extra {extra} differ {differ}")
    print(f"{total} operations by {len(procs)} workers in {seconds:.0f} s")
    sys.exit(1 if bad else 0)


main()
