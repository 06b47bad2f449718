//! ATT&CK v19 on the synthetic v19-shaped bundle that `scripts/make_v19_bundle.py` makes from
//! the v18.1 bundles (../shared/attack) and the facts of MITRE's v19.0 release notes: the
//! bundle's shape, `check`, `build`, `attack changes`, `diff` across releases, `migrate`
//! 18.1 → 19 of models and layers, imports of v19-tagged rules.
//!
//! The expected figures come from the release notes (17 revocations, 15 tactics), not from
//! threatc's output.

mod common;

use common::{copy_dir, root, stderr, stdout, threatc, v19_bundle, v19_bundles};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// The revocations of the v19.0 release notes: (revoked, replacement).
const REVOKED: [(&str, &str); 17] = [
    ("T1562", "T1685"),
    ("T1562.001", "T1685"),
    ("T1562.002", "T1685.001"),
    ("T1562.008", "T1685.002"),
    ("T1562.011", "T1685.003"),
    ("T1562.012", "T1685.004"),
    ("T1070.001", "T1685.005"),
    ("T1070.002", "T1685.006"),
    ("T1562.006", "T1685"),
    ("T1562.004", "T1686"),
    ("T1562.007", "T1686.001"),
    ("T1562.013", "T1686.002"),
    ("T1562.009", "T1688"),
    ("T1562.010", "T1689"),
    ("T1562.003", "T1690"),
    ("T1672", "T1684.002"),
    ("T1656", "T1684.001"),
];

const TACTICS_19: [&str; 15] = [
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "stealth",
    "defense-impairment",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

fn ok(o: &std::process::Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
}

/// `threatc diff base head --attack-data bundle --fail-on-regression --format json` run
/// in `cwd`, expecting success: the diff.
fn diff_json(base: &str, head: &str, bundle: &str, cwd: &Path) -> Value {
    let o = threatc(
        &[
            "diff",
            base,
            head,
            "--attack-data",
            bundle,
            "--fail-on-regression",
            "--format",
            "json",
        ],
        cwd,
    );
    ok(&o);
    serde_json::from_str(&stdout(&o)).unwrap()
}

/// A diff's lists of newly covered/uncovered techniques, opened/closed gaps and
/// regressions are all empty.
fn assert_no_changes(d: &Value) {
    for list in [
        "newly_covered",
        "newly_uncovered",
        "gaps_opened",
        "gaps_closed",
        "regressions",
    ] {
        assert!(
            d[list].as_array().unwrap().is_empty(),
            "{list}: {}",
            d[list]
        );
    }
}

/// A diff's `release.revoked` as (revoked id, replacement id) pairs.
fn revoked_pairs(d: &Value) -> Vec<(&str, &str)> {
    d["release"]["revoked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["by"].as_str().unwrap()))
        .collect()
}

/// `threatc attack changes --from 18.1 --to 19.0 --to-data bundle`, then `extra`, run in
/// `cwd`, expecting success.
fn changes_to_19(bundle: &str, extra: &[&str], cwd: &Path) -> std::process::Output {
    let mut args = vec![
        "attack",
        "changes",
        "--from",
        "18.1",
        "--to",
        "19.0",
        "--to-data",
        bundle,
    ];
    args.extend_from_slice(extra);
    let o = threatc(&args, cwd);
    ok(&o);
    o
}

/// `threatc migrate FILE --attack-data bundle --to 19.0 --write` run in `dir`,
/// expecting success.
fn migrate_to_19(file: &str, bundle: &str, dir: &Path) -> std::process::Output {
    let o = threatc(
        &[
            "migrate",
            file,
            "--attack-data",
            bundle,
            "--to",
            "19.0",
            "--write",
        ],
        dir,
    );
    ok(&o);
    o
}

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn the_bundle_has_the_shape_of_v19() {
    let Some((bundle, ics)) = v19_bundles() else {
        return;
    };
    let c = threatc::catalog::load_bundle_file(&bundle, None).unwrap();
    assert_eq!(c.release, "19.0", "the collection object says 19.0");
    let tactics: Vec<&str> = c.tactics.iter().map(|t| t.shortname.as_str()).collect();
    assert_eq!(tactics, TACTICS_19);
    let stealth = c.tactic("TA0005").unwrap();
    assert_eq!(
        (stealth.name.as_str(), stealth.shortname.as_str()),
        ("Stealth", "stealth")
    );
    assert_eq!(c.tactic("TA0112").unwrap().name, "Defense Impairment");
    for (old, new) in REVOKED {
        let t = c.technique(old).unwrap();
        assert!(t.revoked, "{old} is revoked");
        assert_eq!(t.revoked_by.as_deref(), Some(new), "{old}");
        assert!(c.technique(new).unwrap().is_active(), "{new}");
    }
    assert_eq!(
        c.techniques
            .iter()
            .filter(|t| t.revoked && REVOKED.iter().any(|(o, _)| *o == t.id))
            .count(),
        17
    );
    for t in c.techniques.iter() {
        assert!(
            !t.tactics.iter().any(|x| x == "defense-evasion"),
            "{} still names defense-evasion",
            t.id
        );
    }
    let tactic_of = |id: &str| c.technique(id).unwrap().tactics.clone();
    assert_eq!(tactic_of("T1685"), ["defense-impairment"]);
    assert_eq!(tactic_of("T1686.003"), ["defense-impairment"]);
    assert_eq!(tactic_of("T1600"), ["defense-impairment"]);
    assert_eq!(tactic_of("T1027"), ["stealth"]);
    assert_eq!(tactic_of("T1684.001"), ["stealth"]);
    assert_eq!(tactic_of("T1055"), ["privilege-escalation", "stealth"]);
    assert_eq!(
        c.technique("T1211").unwrap().name,
        "Exploitation for Stealth"
    );
    assert_eq!(
        c.technique("T1685.001").unwrap().parent.as_deref(),
        Some("T1685")
    );
    // Groups that used a revoked technique use its replacement (re-pointed `uses`).
    assert!(c.group_prevalence("T1685") > 0);
    assert_eq!(c.group_prevalence("T1562.001"), 0);

    // Labelled as synthetic where the reader would show it.
    let text = std::fs::read_to_string(&bundle).unwrap();
    assert!(text.contains("SYNTHETIC TEST DATA shaped like ATT&CK v19"));

    // ICS: the nine revocations into the new sub-techniques.
    let i = threatc::catalog::load_bundle_file(&ics, None).unwrap();
    assert_eq!(i.release, "19.0");
    for (old, new) in [
        ("T0803", "T1691.001"),
        ("T0857", "T1693.001"),
        ("T0891", "T1694.002"),
    ] {
        assert_eq!(i.technique(old).unwrap().revoked_by.as_deref(), Some(new));
    }
    assert!(i.technique("T0843.002").unwrap().is_active());
}

#[test]
fn the_script_is_deterministic() {
    let Some(bundle) = v19_bundle() else { return };
    let dir = tempfile::tempdir().unwrap();
    let again = dir.path().join("enterprise-attack-19.0.json");
    let o = std::process::Command::new("python3")
        .arg(root().join("scripts/make_v19_bundle.py"))
        .arg(root().join("../shared/attack"))
        .arg(&again)
        .output()
        .unwrap();
    ok(&o);
    assert!(std::fs::read(&bundle).unwrap() == std::fs::read(&again).unwrap());
}

/// The financial example, migrated to the v19 bundle, checks and builds: 15 tactics in
/// matrix order, layers for ATT&CK 19, the kill-chain factor from the bundle's order.
#[test]
fn migrate_check_and_build_the_example_on_v19() {
    let Some(bundle) = v19_bundle() else { return };
    let b = bundle.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m");
    copy_dir(&root().join("models/financial"), &m);

    // Before migration: the revoked T1070.001 is an error naming its replacement.
    let o = threatc(&["check", "model.yaml", "--attack-data", b], &m);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("replaced by `T1685.005`"),
        "{}",
        stderr(&o)
    );

    migrate_to_19("model.yaml", b, &m);
    let rules = std::fs::read_to_string(m.join("rules/endpoint.yaml")).unwrap();
    assert!(rules.contains("techniques: [T1685.005]"));
    let model = std::fs::read_to_string(m.join("model.yaml")).unwrap();
    assert!(model.contains("version: \"19.0\""));
    let o = threatc(&["migrate", "model.yaml", "--attack-data", b], &m);
    ok(&o);
    assert!(stderr(&o).contains("nothing to migrate"), "{}", stderr(&o));

    let o = threatc(&["check", "model.yaml", "--attack-data", b], &m);
    ok(&o);
    let o = threatc(&["build", "model.yaml", "--attack-data", b], &m);
    ok(&o);
    let out = m.join("out");
    let report = json(&out.join("report.json"));
    assert_eq!(report["attack"]["release"], "19.0");
    let tactics: Vec<&str> = report["tactics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["shortname"].as_str().unwrap())
        .collect();
    assert_eq!(tactics, TACTICS_19);

    let mut seen_tactics = BTreeSet::new();
    for e in std::fs::read_dir(out.join("layers")).unwrap() {
        let layer = json(&e.unwrap().path());
        if layer.get("versions").is_none() {
            continue; // all.json: the layer collection
        }
        assert_eq!(layer["versions"]["attack"], "19");
        for t in layer["techniques"].as_array().unwrap() {
            if let Some(x) = t["tactic"].as_str() {
                assert!(TACTICS_19.contains(&x), "{x}");
                seen_tactics.insert(x.to_string());
            }
        }
    }
    assert!(seen_tactics.contains("stealth") && seen_tactics.contains("defense-impairment"));

    // Kill-chain factor: 1 − 0.5 × position / 14 in the bundle's own order.
    let gaps = json(&out.join("gaps.json"));
    for g in gaps["gaps"].as_array().unwrap() {
        let first = g["tactics"][0].as_str().unwrap();
        let pos = TACTICS_19.iter().position(|t| *t == first).unwrap() as f64;
        let want = 1.0 - 0.5 * pos / 14.0;
        let got = g["factors"]["kill_chain"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-4, "{first}: {got} vs {want}");
    }

    let plan = std::fs::read_to_string(out.join("plan.md")).unwrap();
    assert!(plan.contains("| Stealth |") && plan.contains("| Defense Impairment |"));
    assert!(!plan.contains("Defense Evasion"));
    let svg = std::fs::read_to_string(out.join("matrix.svg")).unwrap();
    let (s, d) = (
        svg.find(">Stealth</text>").unwrap(),
        svg.find(">Defense Impairment</text>").unwrap(),
    );
    assert!(
        s < d,
        "Stealth comes before Defense Impairment in the matrix"
    );
    assert!(!svg.contains("Defense Evasion"));

    // plan.xlsx: its gap rows name the new tactics, never the old one (read with Python's
    // zipfile, which the bundle generator already needs).
    let xlsx = out.join("plan.xlsx");
    let o = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(''.join(z.read(n).decode() for n in z.namelist() if n.startswith('xl/') and n.endswith('.xml')))",
            xlsx.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sheets = String::from_utf8_lossy(&o.stdout).to_lowercase();
    assert!(sheets.contains("stealth"), "plan.xlsx names Stealth");
    assert!(
        !sheets.contains("defense evasion") && !sheets.contains("defense-evasion"),
        "plan.xlsx still names Defense Evasion"
    );
}

#[test]
fn attack_changes_from_18_1_to_19() {
    let Some(bundle) = v19_bundle() else { return };
    let b = bundle.to_str().unwrap();
    let from = root().join("../shared/attack/enterprise-attack-18.1.json");
    let f = from.to_str().unwrap();
    let cwd = root();
    // Without, then with, `--from-data` naming the 18.1 bundle.
    for extra in [
        vec!["--format", "json"],
        vec!["--from-data", f, "--format", "json"],
    ] {
        let o = changes_to_19(b, &extra, &cwd);
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(
            (v["from"].as_str(), v["to"].as_str()),
            (Some("18.1"), Some("19.0"))
        );
        let changes = v["changes"].as_array().unwrap();
        let of =
            |kind: &str| -> Vec<&Value> { changes.iter().filter(|c| c["kind"] == kind).collect() };
        let revoked: BTreeSet<(String, String)> = of("revoked")
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_string(),
                    c["by"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want: BTreeSet<(String, String)> = REVOKED
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(revoked, want);
        assert!(of("renamed")
            .iter()
            .any(|c| c["id"] == "T1211" && c["to"] == "Exploitation for Stealth"));
        // TA0005 keeps its id as Stealth: one tactic rename, not a move of each of its
        // techniques; a technique that went to Defense Impairment (and was not revoked) moved.
        let tactic = of("tactic-renamed");
        assert_eq!(tactic.len(), 1, "{tactic:?}");
        assert_eq!(
            *tactic[0],
            serde_json::json!({"id": "TA0005", "name": "Defense Evasion", "kind": "tactic-renamed",
                "from_name": "Defense Evasion", "to_name": "Stealth",
                "from": "defense-evasion", "to": "stealth"})
        );
        assert_eq!(
            changes[0]["kind"], "tactic-renamed",
            "tactic renames come first"
        );
        let moved = of("moved");
        assert!(!moved
            .iter()
            .any(|c| c["id"] == "T1027" || c["id"] == "T1055"));
        assert!(!moved.is_empty() && moved.len() < 10, "{moved:?}");
        for c in &moved {
            assert!(
                c["to"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t == "defense-impairment"),
                "{c}"
            );
        }
        assert!(moved.iter().any(|c| c["id"] == "T1600"
            && c["from"] == serde_json::json!(["defense-evasion"])
            && c["to"] == serde_json::json!(["defense-impairment"])));
        let new: BTreeSet<&str> = of("new")
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        for id in [
            "T1685",
            "T1685.006",
            "T1686.003",
            "T1684",
            "T1690",
            "T1027.018",
        ] {
            assert!(new.contains(id), "{id} is new");
        }
    }
}

/// `attack changes` in text, and for a model's techniques: the tactic rename once, a model
/// using only Stealth techniques sees no move.
#[test]
fn attack_changes_reports_the_stealth_rename_once() {
    let Some(bundle) = v19_bundle() else { return };
    let b = bundle.to_str().unwrap();
    let o = changes_to_19(b, &[], &root());
    let text = stdout(&o);
    assert!(
        text.contains(
            "tactic-renamed (1):\n  TA0005 Defense Evasion → Stealth (defense-evasion → stealth)\n"
        ),
        "{text}"
    );
    assert!(text.contains("  T1600 Weaken Encryption: defense-evasion → defense-impairment\n"));
    assert!(!text.contains("T1027 "), "{text}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("model.yaml"),
        "threatc: 1\nmodel:\n  name: m\nattack:\n  domain: enterprise\n  version: \"18.1\"\nactors:\n  - group: FIN7\nrules:\n  - id: r1\n    name: obfuscation\n    techniques: [T1027, T1059]\n",
    )
    .unwrap();
    let o = changes_to_19(
        b,
        &["--model", "model.yaml", "--format", "json"],
        dir.path(),
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let kinds: Vec<(&str, &str)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("TA0005", "tactic-renamed")]);
}

/// A base built on 18.1 and a head built on 19: the same coverage, no false regression;
/// each base technique the release revoked is compared with its replacement (listed as
/// `T1070.001 → T1685.005 (revoked in 19.0)`), not shown as gone and new.
#[test]
fn diff_between_a_base_on_18_1_and_a_head_on_19() {
    let Some(bundle) = v19_bundle() else { return };
    let b = bundle.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (base, head) = (dir.path().join("base"), dir.path().join("head"));
    copy_dir(&root().join("models/financial"), &base);
    copy_dir(&root().join("models/financial"), &head);
    ok(&threatc(&["build", "model.yaml"], &base));
    ok(&threatc(
        &["migrate", "model.yaml", "--attack-data", b, "--write"],
        &head,
    ));
    ok(&threatc(
        &["build", "model.yaml", "--attack-data", b],
        &head,
    ));
    let base_report = base.join("out/report.json");
    let base_report = base_report.to_str().unwrap();
    // The head as a report.json (the release notes' table says what 19.0 revoked) and as a
    // model compiled now against the bundle.
    let head_report = head.join("out/report.json");
    let head_model = head.join("model.yaml");
    for head_side in [head_report.to_str().unwrap(), head_model.to_str().unwrap()] {
        let d = diff_json(base_report, head_side, b, dir.path());
        assert_eq!(d["attack"], serde_json::json!(["18.1", "19.0"]));
        assert_eq!(d["coverage"]["before"], d["coverage"]["after"]);
        assert_eq!(d["covered"][0], d["covered"][1]);
        assert_no_changes(&d);
        let rc = &d["release"];
        assert!(rc["gone"].as_array().unwrap().is_empty(), "{}", rc["gone"]);
        assert!(rc["new"].as_array().unwrap().is_empty(), "{}", rc["new"]);
        let revoked = revoked_pairs(&d);
        for pair in &revoked {
            assert!(REVOKED.contains(pair), "{pair:?} is not a v19 revocation");
        }
        // The financial example's base techniques that 19.0 revoked.
        assert_eq!(
            revoked,
            [
                ("T1070.001", "T1685.005"),
                ("T1562.001", "T1685"),
                ("T1562.003", "T1690"),
                ("T1562.004", "T1686"),
                ("T1562.009", "T1688"),
                ("T1562.013", "T1686.002"),
                ("T1656", "T1684.001"),
            ]
        );
        assert_eq!(rc["revoked"][0]["release"], "19.0");
        assert_eq!(
            rc["revoked"][0]["by_name"],
            "Disable or Modify Tools: Clear Windows Event Logs"
        );
        // The PR comment lists each pair under the release heading.
        let o = threatc(
            &["diff", base_report, head_side, "--attack-data", b],
            dir.path(),
        );
        ok(&o);
        let md = stdout(&o);
        assert!(md.contains("T1070.001 → T1685.005"), "{md}");
        assert!(md.contains("revoked in 19.0"), "{md}");
        assert!(!md.contains("Newly uncovered"), "{md}");
    }
}

/// Two base techniques revoked into one (T1562 and T1562.001 → T1685), one of them covered
/// and the other a gap: T1685 covered on the head side is neither newly covered nor a gap
/// closed, and the diff is no regression.
#[test]
fn diff_across_19_compares_two_revoked_ids_with_their_one_replacement() {
    let Some(bundle) = v19_bundle() else { return };
    let b = bundle.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (base, head) = (dir.path().join("base"), dir.path().join("head"));
    copy_dir(&root().join("models/financial"), &base);
    let model = std::fs::read_to_string(base.join("model.yaml")).unwrap();
    let model = common::replace_once(&model, "add: [T1486]", "add: [T1486, T1562]");
    std::fs::write(base.join("model.yaml"), model).unwrap();
    let mut rules = std::fs::read_to_string(base.join("rules/endpoint.yaml")).unwrap();
    rules.push_str(
        "  - id: EDR-tamper\n    name: Security tool tampering\n    techniques: [T1562.001]\n",
    );
    std::fs::write(base.join("rules/endpoint.yaml"), rules).unwrap();
    copy_dir(&base, &head);
    ok(&threatc(&["build", "model.yaml"], &base));
    ok(&threatc(
        &["migrate", "model.yaml", "--attack-data", b, "--write"],
        &head,
    ));
    let d = diff_json(
        base.join("out/report.json").to_str().unwrap(),
        head.join("model.yaml").to_str().unwrap(),
        b,
        dir.path(),
    );
    let revoked = revoked_pairs(&d);
    assert!(revoked.contains(&("T1562", "T1685")) && revoked.contains(&("T1562.001", "T1685")));
    assert_no_changes(&d);
    // One covered technique on each side (T1562.001, then T1685); one fewer in scope.
    assert_eq!(d["covered"][0], d["covered"][1]);
    assert_eq!(
        d["in_scope"][0].as_u64().unwrap(),
        d["in_scope"][1].as_u64().unwrap() + 1
    );
}

const MODEL_18: &str = r#"# A model written against 18.1 (comments and layout must survive).
threatc: 1
model:
  name: v19-migration
attack:
  domain: enterprise
  version: "18.1"   # the release we assessed against

actors:
  - group: FIN7
    add: [T1562, T1562.001, T1059]   # two revoked ids, one replacement
    remove:
      - T1562.006       # indicator blocking: a sub-technique revoked into a parent
      - 'T1562.004'

rules:
  - id: EDR-tamper
    name: Security tool tampering
    techniques:
      - T1562.001   # disable or modify tools
      - T1562       # impair defenses
      - T1685
  - id: EDR-fw
    name: Firewall rule change
    techniques: ["T1562.004", T1562.007]
  - id: EDR-logs
    name: Event log cleared
    techniques: [T1070.001, T1070.002, T1656]
"#;

const MODEL_19: &str = r#"# A model written against 18.1 (comments and layout must survive).
threatc: 1
model:
  name: v19-migration
attack:
  domain: enterprise
  version: "19.0"   # the release we assessed against

actors:
  - group: FIN7
    add: [T1685, T1059]   # two revoked ids, one replacement
    remove:
      - T1685       # indicator blocking: a sub-technique revoked into a parent
      - 'T1686'

rules:
  - id: EDR-tamper
    name: Security tool tampering
    techniques:
      - T1685   # disable or modify tools
      # impair defenses
  - id: EDR-fw
    name: Firewall rule change
    techniques: ["T1686", T1686.001]
  - id: EDR-logs
    name: Event log cleared
    techniques: [T1685.005, T1685.006, T1684.001]
"#;

/// migrate 18.1 → 19: revoked ids become their replacements, two ids that collapse onto one
/// leave one entry (with a note), a sub-technique revoked into a parent becomes the parent,
/// comments and quoting stay, and a second run changes nothing.
#[test]
fn migrate_a_model_from_18_1_to_19() {
    let Some(bundle) = v19_bundle() else { return };
    let b = bundle.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model.yaml"), MODEL_18).unwrap();
    let o = migrate_to_19("model.yaml", b, dir.path());
    let err = stderr(&o);
    assert!(err.contains("migrate-duplicate"), "{err}");
    assert!(err.contains("the later entry is removed"), "{err}");
    let migrated = std::fs::read_to_string(dir.path().join("model.yaml")).unwrap();
    assert_eq!(migrated, MODEL_19);

    let o = threatc(&["check", "model.yaml", "--attack-data", b], dir.path());
    assert!(
        !stderr(&o).contains("revoked-technique")
            && !stderr(&o).contains("attack-version-mismatch"),
        "{}",
        stderr(&o)
    );
    let o = threatc(
        &["migrate", "model.yaml", "--attack-data", b, "--write"],
        dir.path(),
    );
    ok(&o);
    assert!(stderr(&o).contains("nothing to migrate"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("model.yaml")).unwrap(),
        MODEL_19
    );
}

/// A Navigator layer of 18.1: revoked entries become their replacements, entries under
/// `defense-evasion` move to the new tactic of each technique (`stealth` or
/// `defense-impairment`), the two entries that collapse onto T1685 leave one, annotations
/// stay, and a second run changes nothing.
#[test]
fn migrate_a_layer_from_18_1_to_19() {
    let Some(bundle) = v19_bundle() else { return };
    let b = bundle.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let layer = serde_json::json!({
        "name": "SOC coverage",
        "versions": {"attack": "18", "navigator": "5.1.0", "layer": "4.5"},
        "domain": "enterprise-attack",
        "techniques": [
            {"techniqueID": "T1562", "tactic": "defense-evasion", "score": 2, "comment": "parent"},
            {"techniqueID": "T1562.001", "tactic": "defense-evasion", "score": 5, "comment": "EDR tamper"},
            {"techniqueID": "T1562.006", "tactic": "defense-evasion", "score": 1},
            {"techniqueID": "T1070.001", "tactic": "defense-evasion", "score": 3, "color": "#ff0000"},
            {"techniqueID": "T1027", "tactic": "defense-evasion", "score": 4},
            {"techniqueID": "T1600", "tactic": "defense-evasion", "score": 1},
            {"techniqueID": "T1055", "tactic": "defense-evasion", "score": 2},
            {"techniqueID": "T1055", "tactic": "privilege-escalation", "score": 2},
            {"techniqueID": "T1078", "tactic": "initial-access", "score": 1}
        ]
    });
    let path = dir.path().join("layer.json");
    std::fs::write(&path, serde_json::to_string_pretty(&layer).unwrap()).unwrap();
    let o = migrate_to_19("layer.json", b, dir.path());
    let v = json(&path);
    assert_eq!(v["versions"]["attack"], "19");
    let got: Vec<(String, String, i64)> = v["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["techniqueID"].as_str().unwrap().to_string(),
                e["tactic"].as_str().unwrap().to_string(),
                e["score"].as_i64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, String, i64)> = [
        ("T1685", "defense-impairment", 2),
        ("T1685.005", "defense-impairment", 3),
        ("T1027", "stealth", 4),
        ("T1600", "defense-impairment", 1),
        ("T1055", "stealth", 2),
        ("T1055", "privilege-escalation", 2),
        ("T1078", "initial-access", 1),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
    .collect();
    assert_eq!(got, want);
    assert_eq!(v["techniques"][0]["comment"], "parent");
    assert_eq!(v["techniques"][1]["color"], "#ff0000");
    assert!(stderr(&o).contains("migrate-duplicate"), "{}", stderr(&o));

    let before = std::fs::read_to_string(&path).unwrap();
    let o = threatc(
        &["migrate", "layer.json", "--attack-data", b, "--write"],
        dir.path(),
    );
    ok(&o);
    assert!(stderr(&o).contains("nothing to migrate"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}

/// The ids of ATT&CK v19 that SigmaHQ's v19 tags use (the release notes' new techniques).
fn v19_ids_in(dir: &Path) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yml") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                for line in text.lines() {
                    let tag = line
                        .trim()
                        .trim_start_matches("- ")
                        .trim()
                        .to_ascii_uppercase();
                    if let Some(id) = tag.strip_prefix("ATTACK.") {
                        let known = threatc::catalog::newer::newer_ids().iter().any(|r| {
                            r.id == id && r.kind == threatc::catalog::newer::Kind::Technique
                        });
                        if known {
                            ids.insert(id.to_string());
                        }
                    }
                }
            }
        }
    }
    ids
}

/// SigmaHQ tagged for v19 (`attack.stealth`, `attack.defense-impairment`, `attack.t1685`):
/// against the embedded v18.1 catalog each v19 id gets one warning saying it is new in v19
/// and how to supply the bundle (tactic tags get none); against the v19 bundle the same
/// rules count.
#[test]
fn sigma_rules_tagged_for_v19() {
    let Some(bundle) = v19_bundle() else { return };
    let b = bundle.to_str().unwrap();
    let sigma = root().join("../shared/fixtures/sigma-v19");
    let dir = tempfile::tempdir().unwrap();
    let model = format!(
        "threatc: 1\nmodel:\n  name: sigma-v19\nattack:\n  domain: enterprise\nactors:\n  - group: FIN7\nrules:\n  - import: sigma\n    path: {}\n",
        sigma.display()
    );
    std::fs::write(dir.path().join("model.yaml"), model).unwrap();
    let want = v19_ids_in(&sigma);
    assert!(want.contains("T1685") && want.len() >= 10, "{want:?}");

    let o = threatc(
        &[
            "check",
            "model.yaml",
            "--allow-outside-root",
            "--format",
            "json",
        ],
        dir.path(),
    );
    let text = stdout(&o);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{text}\n{}", stderr(&o)));
    let diags = v["diagnostics"].as_array().unwrap();
    let unknown: Vec<&Value> = diags
        .iter()
        .filter(|d| d["code"] == "import-unknown-technique")
        .collect();
    let mut hinted = BTreeSet::new();
    for d in &unknown {
        let msg = d["message"].as_str().unwrap();
        if msg.contains("is new in ATT&CK v19.0") {
            let id = msg.split('`').nth(1).unwrap().to_string();
            assert!(hinted.insert(id.clone()), "one diagnostic per id: {id}");
            assert!(
                d["help"]
                    .as_str()
                    .unwrap()
                    .contains("--attack-data enterprise-attack-19.0.json"),
                "{d}"
            );
        }
    }
    assert_eq!(hinted, want);
    assert!(!text.contains("stealth") && !text.contains("defense-impairment"));
    eprintln!(
        "sigma-v19 on the embedded 18.1: {} import-unknown-technique warnings, {} of them v19 ids",
        unknown.len(),
        hinted.len()
    );

    let o = threatc(
        &[
            "check",
            "model.yaml",
            "--allow-outside-root",
            "--attack-data",
            b,
            "--format",
            "json",
        ],
        dir.path(),
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let unknown: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "import-unknown-technique")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    for id in &want {
        assert!(
            !unknown.iter().any(|m| m.contains(&format!("`{id}`"))),
            "{id} is known to the v19 bundle: {unknown:?}"
        );
    }
    eprintln!(
        "sigma-v19 on the v19 bundle: {} import-unknown-technique warnings",
        unknown.len()
    );
}

/// A model written against 19.0 with only the embedded 18.1: an error saying how to supply
/// the bundle or embed a catalog of that release.
#[test]
fn a_v19_model_without_v19_data_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("model.yaml"),
        "threatc: 1\nmodel:\n  name: m\nattack:\n  domain: enterprise\n  version: \"19.0\"\nactors:\n  - group: FIN7\n",
    )
    .unwrap();
    let o = threatc(&["check", "model.yaml"], dir.path());
    assert_eq!(o.status.code(), Some(2), "invalid: {}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("attack-release-unavailable"), "{err}");
    assert!(!err.contains("attack-version-mismatch"), "{err}");
    assert!(err.contains("newer than the catalog in use"), "{err}");
    assert!(
        err.contains("--attack-data enterprise-attack-19.0.json"),
        "{err}"
    );
    assert!(err.contains("threatc attack build-catalog"), "{err}");
    if let Some(bundle) = v19_bundle() {
        let o = threatc(
            &[
                "check",
                "model.yaml",
                "--attack-data",
                bundle.to_str().unwrap(),
            ],
            dir.path(),
        );
        ok(&o);
    }
}

/// A model's own v19 ids against the embedded 18.1: each is an `unknown-technique` error
/// that says the id is new in v19 and how to supply the bundle, not a did-you-mean.
#[test]
fn a_v19_id_in_a_model_against_18_1_says_it_is_new_in_v19() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("model.yaml"),
        "threatc: 1\nmodel:\n  name: m\nattack:\n  domain: enterprise\nactors:\n  - group: FIN7\n    add: [T1686.003]\nrules:\n  - id: r1\n    name: tamper\n    techniques: [T1685, T1685.005, T9999]\n",
    )
    .unwrap();
    let o = threatc(&["check", "model.yaml", "--format", "json"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let unknown: Vec<&Value> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "unknown-technique")
        .collect();
    assert_eq!(unknown.len(), 4, "{unknown:?}");
    for id in ["T1686.003", "T1685", "T1685.005"] {
        let d = unknown
            .iter()
            .find(|d| d["message"].as_str().unwrap().contains(&format!("`{id}`")))
            .unwrap_or_else(|| panic!("{id}: {unknown:?}"));
        let (msg, help) = (d["message"].as_str().unwrap(), d["help"].as_str().unwrap());
        assert!(msg.contains("is new in ATT&CK v19.0"), "{msg}");
        assert!(
            help.contains("--attack-data enterprise-attack-19.0.json")
                && !help.contains("did you mean"),
            "{help}"
        );
    }
    // T1685 says what it replaces; an id no release knows keeps its did-you-mean.
    assert!(unknown.iter().any(|d| d["message"]
        .as_str()
        .unwrap()
        .contains("it replaces `T1562`, `T1562.001`, `T1562.006`")));
    let other = unknown
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("T9999"))
        .unwrap();
    assert!(
        !other["message"].as_str().unwrap().contains("v19"),
        "{other}"
    );
}

/// Elastic rules whose tactic is Stealth or Defense Impairment, and Splunk detections with
/// v19 ids, import without problems (Elastic's own tooling failed on `Defense Evasion`).
#[test]
fn elastic_and_splunk_rules_with_v19_tactics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rule.toml"),
        r#"[metadata]
maturity = "production"

[rule]
rule_id = "e1"
name = "Security tool disabled"

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1685"
name = "Disable or Modify Tools"
reference = "https://attack.mitre.org/techniques/T1685/"
[rule.threat.tactic]
id = "TA0112"
name = "Defense Impairment"
reference = "https://attack.mitre.org/tactics/TA0112/"

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1027"
name = "Obfuscated Files or Information"
[rule.threat.tactic]
id = "TA0005"
name = "Stealth"
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("det.yml"),
        "name: Firewall disabled\nid: s1\nstatus: production\ntags:\n  mitre_attack_id:\n  - T1686.003\n  - T1686\n",
    )
    .unwrap();
    for (format, file, ids) in [
        ("elastic", "rule.toml", "T1685"),
        ("splunk", "det.yml", "T1686.003"),
    ] {
        let o = threatc(&["import", format, file, "--format", "json"], dir.path());
        ok(&o);
        let out = stdout(&o);
        assert!(out.contains(ids), "{out}");
        assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    }
}

/// `attack build-catalog`'s help names the bundles of the embedded release, whatever it is.
#[test]
fn build_catalog_help_follows_the_embedded_release() {
    let o = threatc(&["attack", "build-catalog", "--help"], &root());
    ok(&o);
    let r = threatc::catalog::EMBEDDED_RELEASE;
    let help = stdout(&o);
    for domain in ["enterprise", "mobile", "ics"] {
        assert!(
            help.contains(&format!("{domain}-attack-{r}.json")),
            "{help}"
        );
    }
}
