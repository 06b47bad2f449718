//! Gaps per (technique, asset) (#13, point 5): gaps.md, gaps.csv, gap_pairs.csv, the plan
//! and plan.xlsx say on which assets each gap is, and `threatc diff` reports changes per
//! technique × asset.

mod common;
use common::*;

use std::path::{Path, PathBuf};

fn build(model: &Path, out: &Path) {
    let o = threatc(
        &[
            "build",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

fn financial(dir: &Path) -> PathBuf {
    let out = dir.join("out");
    build(&root().join("models/financial/model.yaml"), &out);
    out
}

fn read(out: &Path, f: &str) -> String {
    std::fs::read_to_string(out.join(f)).unwrap()
}

/// CSV records as maps from column name to cell.
fn csv_rows(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

/// The bank's LSASS-dumping gap: the rule is scoped to workstations and DCs, so the gap
/// is on the SWIFT servers; a purple-team test validated it on the DCs and a failed one
/// takes the workstations out; every table says so.
#[test]
fn the_bank_gap_tables_say_where_each_gap_is() {
    let dir = tempfile::tempdir().unwrap();
    let out = financial(dir.path());
    let md = read(&out, "gaps.md");
    let line = md
        .lines()
        .find(|l| l.contains("[T1003.001]"))
        .expect("T1003.001 is a gap");
    assert!(
        line.contains(
            "| validated on domain-controllers; not on workstations, swift-servers (visible) |"
        ),
        "{line}"
    );

    let gaps = csv_rows(&read(&out, "gaps.csv"));
    let g = gaps.iter().find(|r| r["technique"] == "T1003.001").unwrap();
    // The model's evidence: validated on the DCs, a failed test on the workstations.
    assert_eq!(g["covered_on"], "domain-controllers");
    assert_eq!(g["uncovered_on"], "workstations;swift-servers");
    assert_eq!(g["asset:domain-controllers"], "validated");
    assert_eq!(g["asset:workstations"], "visible");
    assert_eq!(g["asset:swift-servers"], "visible");
    // LSASS is a Windows technique: the Linux servers and M365 are not its assets.
    assert_eq!(g["asset:linux-servers"], "");
    assert_eq!(g["asset:m365"], "");

    let pairs = csv_rows(&read(&out, "gap_pairs.csv"));
    let lsass: Vec<&str> = pairs
        .iter()
        .filter(|r| r["technique"] == "T1003.001")
        .map(|r| r["asset"].as_str())
        .collect();
    assert_eq!(lsass, ["workstations", "swift-servers"]);
    let row = pairs
        .iter()
        .find(|r| r["technique"] == "T1003.001" && r["asset"] == "swift-servers")
        .unwrap();
    assert_eq!(row["criticality"], "critical");
    assert_eq!(row["asset_name"], "SWIFT Alliance servers");
    assert_eq!(row["state"], "visible");

    // Every (technique, asset) pair below detected is a row, and nothing else: per asset,
    // its rows are its in-scope techniques less those covered there and those of gaps a
    // decision accepts or transfers, and their states are the asset's blind, unknown and
    // visible counts less the accepted pairs'.
    let report: serde_json::Value = serde_json::from_str(&read(&out, "report.json")).unwrap();
    let accepted = report["accepted"].as_array().unwrap();
    assert!(
        !accepted.is_empty(),
        "the bank accepts or transfers some gaps"
    );
    let accepted_state = |id: &str, st: &str| -> u64 {
        accepted
            .iter()
            .flat_map(|g| g["states"].as_array().unwrap())
            .filter(|s| s["asset"] == id && s["state"] == st)
            .count() as u64
    };
    for a in report["assets"].as_array().unwrap() {
        let id = a["id"].as_str().unwrap();
        let n = pairs.iter().filter(|r| r["asset"] == id).count();
        let accepted_here: u64 = ["blind", "unknown", "visible"]
            .iter()
            .map(|st| accepted_state(id, st))
            .sum();
        let expected =
            a["in_scope"].as_u64().unwrap() - a["covered"].as_u64().unwrap() - accepted_here;
        assert_eq!(n as u64, expected, "gap pairs of {id}");
        for st in ["blind", "unknown", "visible"] {
            let n = pairs
                .iter()
                .filter(|r| r["asset"] == id && r["state"] == st)
                .count() as u64;
            let on_asset = a["by_state"][st].as_u64().unwrap();
            assert_eq!(n, on_asset - accepted_state(id, st), "{st} on {id}");
        }
    }
}

/// The plan has a coverage-by-asset table and says, for each gap, where it is.
#[test]
fn the_plan_has_assets_and_where_each_gap_is() {
    let dir = tempfile::tempdir().unwrap();
    let out = financial(dir.path());
    let md = read(&out, "plan.md");
    let assets = md
        .split("## Coverage by asset")
        .nth(1)
        .expect("plan.md has a Coverage by asset section");
    let swift = assets
        .lines()
        .find(|l| l.starts_with("| swift-servers |"))
        .unwrap();
    assert!(swift.contains("| critical | Windows, Linux |"), "{swift}");
    let report: serde_json::Value = serde_json::from_str(&read(&out, "report.json")).unwrap();
    let a = report["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "swift-servers")
        .unwrap();
    let accepted_on = report["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| {
            g["uncovered_on"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x == "swift-servers")
        })
        .count() as u64;
    let gaps_on = a["in_scope"].as_u64().unwrap() - a["covered"].as_u64().unwrap() - accepted_on;
    assert!(swift.contains(&format!("| {gaps_on} (")), "{swift}");
    let lsass = md
        .lines()
        .find(|l| l.contains("[T1003.001]"))
        .expect("plan.md lists the gap T1003.001");
    assert!(
        lsass.contains(
            "validated on domain-controllers; not on workstations, swift-servers (visible)"
        ),
        "the gap T1003.001 says where it is: {lsass}"
    );
    let html = read(&out, "plan.html");
    assert!(html.contains("<h2 id=\"assets\">Coverage by asset</h2>"));
    assert!(html.contains(
        "<td class=\"opt\">validated on domain-controllers; not on workstations, swift-servers (visible)</td>"
    ));
}

/// An asset name is user text: escaped in gap_pairs.csv (no formula), plan.md (no table
/// break) and plan.html (no markup).
#[test]
fn asset_names_are_escaped_where_they_land() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "=HYPERLINK(\"http://x\") | <script>alert(1)</script>";
    std::fs::write(
        dir.path().join("m.yaml"),
        format!(
            "threatc: 1\nmodel:\n  name: t\nactors:\n  - group: FIN7\nassets:\n  - id: hosts\n    name: {}\n    platforms: [Windows]\n    criticality: high\n",
            serde_json::to_string(evil).unwrap()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    build(&dir.path().join("m.yaml"), &out);
    let pairs = csv_rows(&read(&out, "gap_pairs.csv"));
    assert!(!pairs.is_empty());
    for r in &pairs {
        assert_eq!(r["asset"], "hosts");
        assert_eq!(r["asset_name"], format!("'{evil}"));
    }
    let md = read(&out, "plan.md");
    let row = md.lines().find(|l| l.starts_with("| hosts |")).unwrap();
    assert!(!row.contains("<script>"), "{row}");
    assert!(row.contains("\\|"), "{row}");
    let html = read(&out, "plan.html");
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("&lt;script&gt;alert(1)"));
}
