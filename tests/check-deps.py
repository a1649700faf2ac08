#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check-deps.py: berth's dependency rule, read from every #include "...".

Folders form layers (docs/architecture.md):
    cli -> profiles -> builder -> runner -> (objects, netns, fusefs) -> image -> lib
A file may include its own folder's headers and those of the folders its
folder may use (ALLOWED below); fusefs may use image/'s layer-metadata
headers only. And no circle between files: a file and its header are one
unit, and no unit may reach itself through the headers of others.
Prints one line per problem, FILE:LINE and what is wrong, as TAP; exits 1
when there is one. tests/check-deps.allow lists problems known and being
removed (one "FILE -> TARGET" a line, a circle as "circle UNIT <-> ..."):
those are reported as TODO, not failures, and a listed one that no longer
occurs is a failure (the list only shrinks).
Usage: check-deps.py [ROOT]
"""
import os
import re
import sys

ALLOWED = {
    "lib": {"lib"},
    "image": {"lib", "image"},
    "objects": {"lib", "image", "objects"},
    "netns": {"lib", "netns"},
    "fusefs": {"lib", "fusefs"},
    "runner": {"lib", "image", "objects", "netns", "runner"},
    "builder": {"lib", "image", "objects", "netns", "runner", "builder"},
    "profiles": {"lib", "image", "objects", "netns", "runner", "builder", "profiles"},
    "cli": {"lib", "image", "objects", "netns", "runner", "builder", "profiles", "cli"},
}
# the one door between two peers: berth-fs reads the store's layer format
EXTRA = {"fusefs": {"image/meta.h", "image/layers.h"}}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def sources(root):
    for top in sorted(ALLOWED):
        d = os.path.join(root, top)
        for dirpath, _, names in os.walk(d):
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, n), root)


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    root = os.path.abspath(root)
    problems, edges = [], {}
    for f in sources(root):
        folder = f.split("/")[0]
        unit = os.path.splitext(f)[0]
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = os.path.normpath(os.path.join(os.path.dirname(f), m.group(1)))
                if not os.path.exists(os.path.join(root, target)):
                    continue  # config.h and the build's own
                tfolder = target.split("/")[0]
                key = f"{f} -> {target}"
                if tfolder not in ALLOWED:
                    problems.append((key, f"{f}:{lineno}: includes {target}, outside berth's folders"))
                elif tfolder not in ALLOWED[folder] and target not in EXTRA.get(folder, ()):
                    problems.append((key, f"{f}:{lineno}: {folder}/ may not include {target} "
                                          f"({folder} uses {', '.join(sorted(ALLOWED[folder]))})"))
                elif (folder == "cli" and tfolder == "cli" and os.path.basename(f).startswith("cmd-")
                      and os.path.basename(target).startswith("cmd-")
                      and tunit_of(target) != unit):
                    problems.append((key, f"{f}:{lineno}: a verb's file includes another verb's "
                                          f"header {target} (what two verbs share is the engine's)"))
                tunit = os.path.splitext(target)[0]
                if tunit != unit:
                    edges.setdefault(unit, {}).setdefault(tunit, (f, lineno))
    problems += circles(edges)
    allow = read_allow(root)
    seen, n, bad = set(), 0, 0
    for key, text in problems:
        n += 1
        if key in allow:
            seen.add(key)
            print(f"not ok {n} - {text} # TODO known, in tests/check-deps.allow")
        else:
            bad += 1
            print(f"not ok {n} - {text}")
    for key in sorted(allow - seen):
        n += 1
        bad += 1
        print(f"not ok {n} - tests/check-deps.allow: \"{key}\" no longer occurs: remove the line")
    if n == 0:
        print("ok 1 - every include goes down the layers, and no file circle")
        n = 1
    print(f"1..{n}")
    return 1 if bad else 0


def read_allow(root):
    path = os.path.join(root, "tests", "check-deps.allow")
    keys = set()
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.split("#", 1)[0].strip()
                if line:
                    keys.add(line)
    return keys


def tunit_of(path):
    return os.path.splitext(path)[0]


def circles(edges):
    """Tarjan's strongly connected components: each with more than one
    unit is a circle, reported with one include that closes it."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comp.sort()
                a = comp[0]
                b = next(w for w in comp if w in edges.get(a, {}))
                f, line = edges[a][b]
                out.append((f"circle {' <-> '.join(comp)}",
                            f"{f}:{line}: a circle of includes: {' <-> '.join(comp)}"))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv))
