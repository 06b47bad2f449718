#!/usr/bin/env python3
"""Generate a SYNTHETIC ATT&CK Enterprise bundle shaped like ATT&CK v19.0, for tests.

    python3 scripts/make_v19_bundle.py ../shared/attack OUT.json [--ics OUT-ICS.json]

Reads `enterprise-attack-18.1.json` (and `ics-attack-18.1.json` for `--ics`) from the
folder given and writes a bundle that has v19's *shape*, built from the facts in MITRE's
v19 release notes (attack-website `updates-april-2026.md`). It is NOT MITRE's v19 release:
the new objects' texts are placeholders and every description the script writes says so.
MITRE's real bundles come from https://github.com/mitre-attack/attack-stix-data.

What changes from 18.1 (Enterprise):

- TA0005 keeps its STIX id and ATT&CK id but becomes "Stealth" (shortname `stealth`); a new
  tactic TA0112 "Defense Impairment" (`defense-impairment`) follows it in the matrix's
  `tactic_refs`: 15 tactics.
- The new techniques of the release notes (T1682, T1683 + .001/.002, T1684 + .001/.002,
  T1685 + .001-.006, T1686 + .001-.003, T1687, T1688, T1689, T1690, T1027.018), with
  `subtechnique-of` relationships for the sub-techniques.
- The 17 revocations (REVOKED below): the old object gets `revoked: true` and a `revoked-by`
  relationship to its replacement. Relationships that pointed at a revoked technique
  (`uses` from groups, software and campaigns, `detects`, `mitigates`) point at the
  replacement instead, as MITRE re-points them; when two revoked techniques collapse onto
  one (T1562 and T1562.001 -> T1685), the second copy of an identical edge is dropped.
- T1211 "Exploitation for Defense Evasion" is renamed "Exploitation for Stealth".
- Every technique whose kill-chain phases named `defense-evasion` gets `stealth` or
  `defense-impairment` instead. The rule: `defense-impairment` for the techniques that
  replace the Impair Defenses family (T1685*, T1686*, T1688, T1689, T1690), for T1687
  Exploitation for Defense Impairment and for T1600 Weaken Encryption and its
  sub-techniques (an existing, unrevoked technique that turns a defence off, so the
  tactic move of a live technique is exercised too); `stealth` for every other one
  (revoked objects included, so no technique names a tactic the matrix lacks).
- An `x-mitre-collection` object says version 19.0 (the release the reader takes).

With `--ics`, the ICS bundle gets the ICS part of the notes: the new techniques T1691-T1695
with their sub-techniques, T0843.001-.003, T0846.001-.003, T0873.001, and the nine
revocations into them; its collection says 19.0 too.

Output is deterministic: new STIX ids are UUIDv5 of the ATT&CK id, timestamps are fixed,
object order follows the input. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

RELEASE = "19.0"
LABEL = "SYNTHETIC TEST DATA shaped like ATT&CK v19 — not MITRE's release."
STAMP = "2026-04-28T00:00:00.000Z"
NAMESPACE = uuid.UUID("5f0f3d0e-7c3a-4d55-9b8f-19a77ac19019")

# New Enterprise techniques: id -> (name, tactic, platforms or the ids whose platforms it takes).
ENTERPRISE_NEW: dict[str, tuple[str, str, list[str]]] = {
    "T1682": ("Query Public AI Services", "reconnaissance", ["=PRE"]),
    "T1683": ("Generate Content", "resource-development", ["=PRE"]),
    "T1683.001": ("Written Content", "resource-development", ["=PRE"]),
    "T1683.002": ("Audio-Visual Content", "resource-development", ["=PRE"]),
    "T1684": ("Social Engineering", "stealth", ["T1656", "T1672"]),
    "T1684.001": ("Impersonation", "stealth", ["T1656"]),
    "T1684.002": ("Email Spoofing", "stealth", ["T1672"]),
    "T1685": ("Disable or Modify Tools", "defense-impairment", ["T1562", "T1562.001", "T1562.006"]),
    "T1685.001": ("Disable or Modify Windows Event Log", "defense-impairment", ["T1562.002"]),
    "T1685.002": ("Disable or Modify Cloud Log", "defense-impairment", ["T1562.008"]),
    "T1685.003": ("Modify or Spoof Tool UI", "defense-impairment", ["T1562.011"]),
    "T1685.004": ("Disable or Modify Linux Audit System Log", "defense-impairment", ["T1562.012"]),
    "T1685.005": ("Clear Windows Event Logs", "defense-impairment", ["T1070.001"]),
    "T1685.006": ("Clear Linux or Mac System Logs", "defense-impairment", ["T1070.002"]),
    "T1686": ("Disable or Modify System Firewall", "defense-impairment", ["T1562.004"]),
    "T1686.001": ("Cloud Firewall", "defense-impairment", ["T1562.007"]),
    "T1686.002": ("Network Device Firewall", "defense-impairment", ["T1562.013"]),
    "T1686.003": ("Windows Host Firewall", "defense-impairment", ["=Windows"]),
    "T1687": ("Exploitation for Defense Impairment", "defense-impairment", ["T1211"]),
    "T1688": ("Safe Mode Boot", "defense-impairment", ["T1562.009"]),
    "T1689": ("Downgrade Attack", "defense-impairment", ["T1562.010"]),
    "T1690": ("Prevent Command History Logging", "defense-impairment", ["T1562.003"]),
    "T1027.018": ("Invisible Unicode", "stealth", ["T1027"]),
}

# Revoked id -> replacement (release notes, "Revocations").
ENTERPRISE_REVOKED: dict[str, str] = {
    "T1562": "T1685",
    "T1562.001": "T1685",
    "T1562.002": "T1685.001",
    "T1562.008": "T1685.002",
    "T1562.011": "T1685.003",
    "T1562.012": "T1685.004",
    "T1070.001": "T1685.005",
    "T1070.002": "T1685.006",
    "T1562.006": "T1685",
    "T1562.004": "T1686",
    "T1562.007": "T1686.001",
    "T1562.013": "T1686.002",
    "T1562.009": "T1688",
    "T1562.010": "T1689",
    "T1562.003": "T1690",
    "T1672": "T1684.002",
    "T1656": "T1684.001",
}

ENTERPRISE_RENAMED = {"T1211": "Exploitation for Stealth"}

# Existing techniques that move from defense-evasion to defense-impairment (with their
# sub-techniques); every other defense-evasion technique goes to stealth.
IMPAIRMENT_FAMILIES = ("T1600",)

ICS_NEW: dict[str, tuple[str, list[str]]] = {
    "T1691": ("Block Operational Technology Message", ["T0803", "T0804"]),
    "T1691.001": ("Command Message", ["T0803"]),
    "T1691.002": ("Reporting Message", ["T0804"]),
    "T1692": ("Unauthorized Message", ["T0855", "T0856"]),
    "T1692.001": ("Command Message", ["T0855"]),
    "T1692.002": ("Reporting Message", ["T0856"]),
    "T1693": ("Modify Firmware", ["T0857", "T0839"]),
    "T1693.001": ("System Firmware", ["T0857"]),
    "T1693.002": ("Module Firmware", ["T0839"]),
    "T1694": ("Insecure Credentials", ["T0812", "T0891"]),
    "T1694.001": ("Default Credentials", ["T0812"]),
    "T1694.002": ("Hardcoded Credentials", ["T0891"]),
    "T1695": ("Block Communications", ["T0805"]),
    "T1695.001": ("Serial COM", ["T0805"]),
    "T1695.002": ("Ethernet", ["T0805"]),
    "T1695.003": ("Wi-Fi", ["T0805"]),
    "T0843.001": ("Download All", ["T0843"]),
    "T0843.002": ("Online Edit", ["T0843"]),
    "T0843.003": ("Program Append", ["T0843"]),
    "T0846.001": ("Port Scan", ["T0846"]),
    "T0846.002": ("Broadcast Discovery", ["T0846"]),
    "T0846.003": ("Multicast Discovery", ["T0846"]),
    "T0873.001": ("Siemens Project File Format", ["T0873"]),
}

ICS_REVOKED: dict[str, str] = {
    "T0803": "T1691.001",
    "T0804": "T1691.002",
    "T0805": "T1695.001",
    "T0812": "T1694.001",
    "T0891": "T1694.002",
    "T0839": "T1693.002",
    "T0856": "T1692.002",
    "T0857": "T1693.001",
    "T0855": "T1692.001",
}


def stix_id(kind: str, key: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, key)}"


def attack_id(obj: dict) -> str | None:
    for ref in obj.get("external_references") or []:
        if ref.get("source_name", "").startswith("mitre") and ref.get("external_id"):
            return ref["external_id"]
    return None


def technique_url(tid: str) -> str:
    return "https://attack.mitre.org/techniques/" + tid.replace(".", "/")


class Bundle:
    def __init__(self, path: Path, source_name: str, domain: str, kill_chain: str):
        self.data = json.loads(path.read_text(encoding="utf-8"))
        self.objects: list[dict] = self.data["objects"]
        self.source_name = source_name
        self.domain = domain
        self.kill_chain = kill_chain
        self.techniques: dict[str, dict] = {}
        for o in self.objects:
            if o.get("type") == "attack-pattern":
                tid = attack_id(o)
                if tid and not o.get("revoked"):
                    self.techniques[tid] = o
        sample = next(o for o in self.objects if o.get("type") == "x-mitre-tactic")
        self.created_by = sample.get("created_by_ref")
        self.markings = sample.get("object_marking_refs", [])

    def common(self, kind: str, key: str) -> dict:
        o = {"type": kind, "id": stix_id(kind, key), "created": STAMP}
        if self.created_by:
            o["created_by_ref"] = self.created_by
        if self.markings:
            o["object_marking_refs"] = list(self.markings)
        o["modified"] = STAMP
        return o

    def relationship(self, kind: str, src: str, dst: str) -> dict:
        o = self.common("relationship", f"{kind}:{src}:{dst}")
        o.update(
            {
                "relationship_type": kind,
                "source_ref": src,
                "target_ref": dst,
                "x_mitre_deprecated": False,
                "x_mitre_attack_spec_version": "3.3.0",
                "description": LABEL,
            }
        )
        return o

    def new_technique(self, tid: str, name: str, tactics: list[str], platforms: list[str]) -> dict:
        o = self.common("attack-pattern", f"{self.domain}:{tid}")
        o.update(
            {
                "name": name,
                "description": f"{LABEL} New technique {tid} ({name}) of the v19 release notes.",
                "external_references": [
                    {"source_name": self.source_name, "url": technique_url(tid), "external_id": tid}
                ],
                "kill_chain_phases": [{"kill_chain_name": self.kill_chain, "phase_name": t} for t in tactics],
                "revoked": False,
                "x_mitre_deprecated": False,
                "x_mitre_domains": [self.domain],
                "x_mitre_is_subtechnique": "." in tid,
                "x_mitre_platforms": platforms,
                "x_mitre_version": "1.0",
                "x_mitre_attack_spec_version": "3.3.0",
            }
        )
        return o

    def platforms_of(self, sources: list[str]) -> list[str]:
        out: list[str] = []
        for s in sources:
            values = [s[1:]] if s.startswith("=") else self.techniques[s].get("x_mitre_platforms") or []
            for p in values:
                if p not in out:
                    out.append(p)
        return out

    def add_techniques(self, new: dict[str, tuple[str, list[str], list[str]]]) -> None:
        """`new`: id -> (name, tactics, platforms). Parents come before sub-techniques."""
        added: list[dict] = []
        for tid in sorted(new):
            name, tactics, platforms = new[tid]
            obj = self.new_technique(tid, name, tactics, platforms)
            added.append(obj)
            self.techniques[tid] = obj
        for obj in list(added):
            tid = attack_id(obj)
            if tid and "." in tid:
                parent = self.techniques[tid.split(".")[0]]
                added.append(self.relationship("subtechnique-of", obj["id"], parent["id"]))
        self.objects.extend(added)

    def revoke(self, revoked: dict[str, str]) -> None:
        by_stix = {}
        for old, new in revoked.items():
            obj = self.techniques.pop(old)
            obj["revoked"] = True
            obj["modified"] = STAMP
            by_stix[obj["id"]] = self.techniques[new]["id"]
        kept: list[dict] = []
        seen: set[tuple[str, str, str]] = set()
        for o in self.objects:
            if o.get("type") == "relationship" and o.get("relationship_type") not in ("revoked-by", "subtechnique-of"):
                dst = by_stix.get(o.get("target_ref"))
                if dst is not None:
                    o["target_ref"] = dst
                    o["modified"] = STAMP
                key = (o.get("relationship_type"), o.get("source_ref"), o.get("target_ref"))
                if dst is not None and key in seen:
                    continue  # two revoked ids collapsed onto one: keep the first edge
                seen.add(key)
            kept.append(o)
        self.objects[:] = kept
        for old_stix, new_stix in by_stix.items():
            self.objects.append(self.relationship("revoked-by", old_stix, new_stix))

    def add_collection(self, name: str) -> None:
        o = self.common("x-mitre-collection", f"{self.domain}:collection")
        o.update(
            {
                "name": f"{name} ({LABEL})",
                "description": f"{LABEL} Generated by scripts/make_v19_bundle.py from ATT&CK 18.1 and the facts of MITRE's v19.0 release notes.",
                "x_mitre_version": RELEASE,
                "x_mitre_attack_spec_version": "3.3.0",
                "x_mitre_contents": [],
            }
        )
        self.objects.insert(0, o)


def enterprise(attack_dir: Path) -> dict:
    b = Bundle(attack_dir / "enterprise-attack-18.1.json", "mitre-attack", "enterprise-attack", "mitre-attack")
    tactics = {o.get("x_mitre_shortname"): o for o in b.objects if o.get("type") == "x-mitre-tactic"}
    stealth = tactics["defense-evasion"]
    stealth.update(
        {
            "name": "Stealth",
            "x_mitre_shortname": "stealth",
            "description": f"The adversary is trying to avoid being detected. {LABEL} TA0005, formerly Defense Evasion.",
            "modified": STAMP,
        }
    )
    impairment = b.common("x-mitre-tactic", "enterprise-attack:TA0112")
    impairment.update(
        {
            "name": "Defense Impairment",
            "description": f"The adversary is trying to disable or weaken your defenses. {LABEL}",
            "external_references": [
                {"source_name": "mitre-attack", "url": "https://attack.mitre.org/tactics/TA0112", "external_id": "TA0112"}
            ],
            "x_mitre_deprecated": False,
            "x_mitre_domains": ["enterprise-attack"],
            "x_mitre_version": "1.0",
            "x_mitre_attack_spec_version": "3.3.0",
            "x_mitre_shortname": "defense-impairment",
        }
    )
    b.objects.insert(b.objects.index(stealth) + 1, impairment)
    for matrix in (o for o in b.objects if o.get("type") == "x-mitre-matrix"):
        refs = matrix["tactic_refs"]
        if stealth["id"] in refs:
            refs.insert(refs.index(stealth["id"]) + 1, impairment["id"])
            matrix["modified"] = STAMP

    new = {
        tid: (name, [tactic], b.platforms_of(sources))
        for tid, (name, tactic, sources) in ENTERPRISE_NEW.items()
    }
    b.add_techniques(new)
    b.revoke(ENTERPRISE_REVOKED)
    for tid, name in ENTERPRISE_RENAMED.items():
        b.techniques[tid]["name"] = name
        b.techniques[tid]["modified"] = STAMP

    for o in b.objects:
        if o.get("type") != "attack-pattern":
            continue
        tid = attack_id(o) or ""
        impair = tid.split(".")[0] in IMPAIRMENT_FAMILIES
        phases = []
        for k in o.get("kill_chain_phases") or []:
            if k.get("phase_name") == "defense-evasion":
                k = dict(k, phase_name="defense-impairment" if impair else "stealth")
            if k not in phases:
                phases.append(k)
        o["kill_chain_phases"] = phases
    b.add_collection("Enterprise ATT&CK")
    return b.data


def ics(attack_dir: Path) -> dict:
    b = Bundle(attack_dir / "ics-attack-18.1.json", "mitre-ics-attack", "ics-attack", "mitre-ics-attack")
    new = {}
    for tid, (name, sources) in ICS_NEW.items():
        tactics: list[str] = []
        for s in sources:
            for k in b.techniques[s].get("kill_chain_phases") or []:
                if k["phase_name"] not in tactics:
                    tactics.append(k["phase_name"])
        platforms = b.platforms_of(sources)
        new[tid] = (name, tactics, platforms)
    b.add_techniques(new)
    b.revoke(ICS_REVOKED)
    b.add_collection("ICS ATT&CK")
    return b.data


def write(data: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    tmp.replace(out)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("attack_dir", type=Path, help="folder with enterprise-attack-18.1.json (../shared/attack)")
    p.add_argument("out", type=Path, help="where to write the Enterprise bundle (e.g. enterprise-attack-19.0.json)")
    p.add_argument("--ics", type=Path, help="also write the ICS bundle here")
    args = p.parse_args(argv)
    write(enterprise(args.attack_dir), args.out)
    if args.ics:
        write(ics(args.attack_dir), args.ics)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
