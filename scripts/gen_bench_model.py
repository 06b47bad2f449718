#!/usr/bin/env python3
"""Writes a benchmark model: every Enterprise group (software on) and N inline rules.

Usage: python3 scripts/gen_bench_model.py N > /tmp/bench-N.yaml
Group ids come from `threatc attack groups --format json`; rule techniques cycle through
the active techniques of `threatc attack show` output is not needed: a fixed id list is
derived from the groups' own techniques so every rule maps to real, active ids.
"""
import json
import subprocess
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
exe = sys.argv[2] if len(sys.argv) > 2 else "target/release/threatc"
groups = json.loads(subprocess.check_output([exe, "attack", "groups", "--format", "json"]))["groups"]
techs = set()
for g in groups[:40]:
    info = json.loads(subprocess.check_output([exe, "attack", "show", g["id"], "--format", "json"]))
    techs.update(info["techniques"])
techs = sorted(techs)
out = ["threatc: 1", "model:", "  name: bench", "  assessed: 2026-11-15", "actors:"]
for i, g in enumerate(groups):
    out.append(f"  - group: {g['id']}\n    software: true\n    weight: {1 + i % 3}")
out.append("assets:\n  - id: all\n    platforms: [Windows, Linux, macOS, IaaS, SaaS, Office Suite, Identity Provider, Network Devices, Containers, ESXi]\n    criticality: high")
out.append("rules:")
statuses = ["production", "production", "testing", "planned"]
for i in range(n):
    t = techs[i % len(techs)]
    t2 = techs[(i * 7 + 3) % len(techs)]
    out.append(f"  - id: R{i:06d}\n    name: Rule number {i}\n    techniques: [{t}, {t2}]\n    status: {statuses[i % 4]}")
out.append("targets:\n  - id: all\n    coverage: 80%")
print("\n".join(out))
