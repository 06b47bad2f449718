//! ATT&CK for ICS asset types (#13, point 8): ICS techniques name no platform, so an
//! asset says which ATT&CK for ICS assets it is (`asset_types`), and a technique applies
//! to it only when the catalog's `targets` relationships link the technique to one of
//! them (a technique that targets none, an Impact outcome, applies to every asset).

mod common;
use common::*;

use std::collections::BTreeSet;
use threatc::catalog::{self, Domain};

const PLANT: &str = r#"threatc: 1
model:
  name: plant
attack:
  domain: ics
actors:
  - group: TEMP.Veles            # Triton: goes for safety systems
    software: true
  - id: local
    techniques: [T0800, T0817, T0836, T0880]
assets:
  - id: sis
    platforms: []
    asset_types: [Safety Instrumented System]   # a related name of A0010 Safety Controller
    criticality: critical
  - id: ews
    platforms: []
    asset_types: [Engineering Workstation]      # A0001 Workstation
  - id: plc
    platforms: []
    asset_types: [plc, A0018]
rules:
  - id: fw-update-mode
    techniques: [T0800]
"#;

fn build(model: &str) -> (std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), model).unwrap();
    let o = threatc(
        &["build", "m.yaml", "--out", "out", "--format", "json"],
        dir.path(),
    );
    (o, dir)
}

fn report(dir: &tempfile::TempDir) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.path().join("out/report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_sis_asset_gets_only_the_techniques_targeting_safety_controllers() {
    let (o, dir) = build(PLANT);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report(&dir);
    let ics = catalog::embedded(Domain::Ics).unwrap();
    let sis: BTreeSet<String> = ics
        .targeting("A0010")
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(sis.len(), 47);
    let untargeted = |id: &str| ics.technique(id).is_some_and(|t| t.asset_types.is_empty());
    let rows = r["techniques"].as_array().unwrap();
    assert!(rows.len() > 10, "TEMP.Veles and the local actor");
    let (mut on_sis, mut off_sis) = (0, 0);
    for row in rows {
        let id = row["id"].as_str().unwrap();
        let assets = strings(&row["assets"]);
        let want = sis.contains(id) || untargeted(id);
        assert_eq!(
            assets.contains(&"sis".to_string()),
            want,
            "{id}: {assets:?}"
        );
        if want {
            on_sis += 1;
        } else {
            off_sis += 1;
        }
    }
    assert!(on_sis > 0 && off_sis > 0, "{on_sis} on sis, {off_sis} not");
    let assets_of = |id: &str| {
        let row = rows.iter().find(|x| x["id"] == id).unwrap();
        strings(&row["assets"])
    };
    // Activate Firmware Update Mode: safety controllers and PLCs, not workstations.
    assert_eq!(assets_of("T0800"), ["sis", "plc"]);
    // Drive-by Compromise targets workstations only.
    assert_eq!(assets_of("T0817"), ["ews"]);
    // Modify Parameter: controllers, PLCs and PACs, not safety controllers.
    assert_eq!(assets_of("T0836"), ["plc"]);
    // Loss of Safety targets no asset type: it applies to every asset.
    assert_eq!(assets_of("T0880"), ["sis", "ews", "plc"]);
    // The unscoped rule on T0800 covers it on the two assets it applies to.
    let t0800 = rows.iter().find(|x| x["id"] == "T0800").unwrap();
    assert_eq!(t0800["covered"], true);
    let diags = stdout(&o);
    assert!(!diags.contains("untyped-asset"), "{diags}");
}

#[test]
fn ics_assets_without_asset_types_take_every_technique_and_are_told_so() {
    let model = PLANT.replace(
        "    asset_types: [Engineering Workstation]      # A0001 Workstation\n",
        "",
    );
    let (o, dir) = build(&model);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o) + &stderr(&o);
    assert!(out.contains("untyped-asset"), "{out}");
    assert!(out.contains("`ews`"), "{out}");
    let r = report(&dir);
    for row in r["techniques"].as_array().unwrap() {
        assert!(
            strings(&row["assets"]).contains(&"ews".to_string()),
            "{}",
            row["id"]
        );
    }
}

#[test]
fn unknown_asset_types_are_errors_with_a_suggestion() {
    let model = PLANT.replace("[plc, A0018]", "[Safety Controler, A0099]");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), model).unwrap();
    let o = threatc(&["check", "m.yaml", "--format", "json"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let found: Vec<(String, u64, u64, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "unknown-asset-type")
        .map(|d| {
            (
                d["message"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["help"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].1, found[0].2), (21, 19), "{found:?}");
    assert!(
        found[0]
            .3
            .contains("did you mean `Safety Controller` (A0010)"),
        "{found:?}"
    );
    assert_eq!((found[1].1, found[1].2), (21, 37), "{found:?}");
}

#[test]
fn enterprise_assets_cannot_name_asset_types_and_keep_their_scope() {
    let model = "threatc: 1\nmodel:\n  name: e\nactors:\n  - id: x\n    techniques: [T1003.001, T1059.004]\nassets:\n  - id: ws\n    platforms: [Windows]\n    asset_types: [Workstation]\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), model).unwrap();
    let o = threatc(&["check", "m.yaml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown-asset-type"), "{}", stderr(&o));
    assert!(stderr(&o).contains("ATT&CK enterprise has no asset types"));
    // Without the key, platforms scope as before: T1059.004 (Unix Shell) is not on Windows.
    let (o, dir) = build(&model.replace("    asset_types: [Workstation]\n", ""));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report(&dir);
    let rows = r["techniques"].as_array().unwrap();
    let t = rows.iter().find(|x| x["id"] == "T1059.004").unwrap();
    assert!(strings(&t["assets"]).is_empty());
    let t = rows.iter().find(|x| x["id"] == "T1003.001").unwrap();
    assert_eq!(strings(&t["assets"]), ["ws"]);
    let out = stdout(&o) + &stderr(&o);
    assert!(!out.contains("untyped-asset"), "{out}");
}
