#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# check-config.py EXPECTED.config.json: compare `berth inspect` JSON on
# stdin with a fixture's expected image config; print differences.
import json
import sys

want = json.load(open(sys.argv[1]))
got = json.load(sys.stdin)[0]
bad = []
for k, gk in (("architecture", "Architecture"), ("os", "Os"), ("variant", "Variant")):
    if want.get(k) != got.get(gk):
        bad.append(f"{k}: want {want.get(k)!r} got {got.get(gk)!r}")
if want.get("layers") != len(got["RootFS"]["Layers"]):
    bad.append(f"layers: want {want.get('layers')} got {len(got['RootFS']['Layers'])}")
cfg = got.get("Config") or {}
for k in ("User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "StopSignal"):
    w = want.get("config", {}).get(k)
    g = cfg.get(k)
    if g in ("", [], {}):
        g = None
    if w != g:
        bad.append(f"config.{k}: want {w!r} got {g!r}")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
