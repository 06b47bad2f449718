#!/usr/bin/env python3
"""Writes a benchmark model: every Enterprise group (software on) and N inline rules.

Usage: python3 scripts/gen_bench_model.py N [EXE] [ASSETS] > /tmp/bench-N.yaml
With ASSETS > 1 (issue 13's budget model has 10), the assets split the platforms with
mixed criticalities and every rule names the platform it runs on, so rules count per asset.
Group ids come from `threatc attack groups --format json`; rule techniques cycle through
the active techniques of `threatc attack show` output is not needed: a fixed id list is
derived from the groups' own techniques so every rule maps to real, active ids.
"""
import json
import subprocess
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
exe = sys.argv[2] if len(sys.argv) > 2 else "target/release/threatc"
n_assets = int(sys.argv[3]) if len(sys.argv) > 3 else 1
groups = json.loads(subprocess.check_output([exe, "attack", "groups", "--format", "json"]))["groups"]
techs = set()
for g in groups[:40]:
    info = json.loads(subprocess.check_output([exe, "attack", "show", g["id"], "--format", "json"]))
    techs.update(info["techniques"])
techs = sorted(techs)
out = ["threatc: 1", "model:", "  name: bench", "  assessed: 2026-11-15", "actors:"]
for i, g in enumerate(groups):
    out.append(f"  - group: {g['id']}\n    software: true\n    weight: {1 + i % 3}")
platforms = ["Windows", "Linux", "macOS", "IaaS", "SaaS", "Office Suite", "Identity Provider", "Network Devices", "Containers", "ESXi"]
if n_assets <= 1:
    out.append("assets:\n  - id: all\n    platforms: [" + ", ".join(platforms) + "]\n    criticality: high")
else:
    out.append("assets:")
    crit = ["critical", "high", "medium", "low"]
    for a in range(n_assets):
        # Each asset runs two platforms, so every platform is on some asset.
        ps = sorted({platforms[a % len(platforms)], platforms[(a * 3 + 1) % len(platforms)]})
        out.append(f"  - id: asset-{a:02d}\n    platforms: [{', '.join(ps)}]\n    criticality: {crit[a % 4]}")
out.append("rules:")
statuses = ["production", "production", "testing", "planned"]
for i in range(n):
    t = techs[i % len(techs)]
    t2 = techs[(i * 7 + 3) % len(techs)]
    scope = f"\n    platforms: [{platforms[i % len(platforms)]}]" if n_assets > 1 else ""
    out.append(f"  - id: R{i:06d}\n    name: Rule number {i}\n    techniques: [{t}, {t2}]\n    status: {statuses[i % 4]}{scope}")
out.append("targets:\n  - id: all\n    coverage: 80%")
print("\n".join(out))
