#!/usr/bin/env python3
"""One commit's change for scripts/bench_history.sh: rewrites MODEL_DIR/rules/bench.yaml
with the inline rules of commit I (rules added and removed from one commit to the next),
flips a rule's status in model.yaml on every third commit, and breaks bench.yaml on every
tenth (a revision whose model fails to build). Deterministic.
Usage: gen_history_commit.py MODEL_DIR I"""
import random
import sys

TECHNIQUES = [
    "T1059.001", "T1003.001", "T1021.001", "T1055", "T1105", "T1071.001", "T1547.001",
    "T1053.005", "T1078", "T1566.001", "T1204.002", "T1486", "T1490", "T1027", "T1112",
    "T1070.004", "T1036.005", "T1082", "T1083", "T1018", "T1569.002", "T1218.011",
    "T1021.002", "T1560.001", "T1048.003", "T1047", "T1543.003", "T1136.001", "T1057",
    "T1016",
]

model_dir, i = sys.argv[1], int(sys.argv[2])
rng = random.Random(i)
count = 5 + (i * 7) % 41
lines = ["threatc: 1", "rules:"]
for n in range(count):
    techs = rng.sample(TECHNIQUES, 2)
    lines += [
        f"  - id: BENCH-{n:03d}",
        f"    name: Bench rule {n} of commit {i}",
        f"    techniques: [{', '.join(techs)}]",
        "    platforms: [Windows]",
        f"    status: {'production' if rng.random() < 0.8 else 'testing'}",
    ]
text = "\n".join(lines) + "\n"
if i % 10 == 9:
    text += "  - id: [broken\n"
open(f"{model_dir}/rules/bench.yaml", "w").write(text)
if i % 3 == 0:
    p = f"{model_dir}/model.yaml"
    s = open(p).read()
    a = "    techniques: [T1071.004, T1572]\n    data_components: [Network Traffic Content]\n    status: testing\n"
    b = a.replace("status: testing", "status: production")
    s = s.replace(a, b, 1) if a in s else s.replace(b, a, 1)
    open(p, "w").write(s)
