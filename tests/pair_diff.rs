//! `threatc diff`'s per-(technique, asset) state changes (#13, point 5): a rule scoped to
//! one more asset moves exactly that pair; a change that moves no pair shows none; a
//! report.json older than the ladder (no `states`) diffs fine and shows none.

mod common;
use common::{copy_dir, replace_once, threatc};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A temp copy of models/financial.
fn fixture() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("financial");
    copy_dir(&common::root().join("models/financial"), &dir);
    (tmp, dir)
}

/// Model B: model A's text changed by `edit`, written beside it.
fn variant(dir: &Path, edit: impl Fn(&str) -> String) -> PathBuf {
    let a = std::fs::read_to_string(dir.join("model.yaml")).unwrap();
    let b = dir.join("model-b.yaml");
    std::fs::write(&b, edit(&a)).unwrap();
    b
}

/// `threatc diff BASE HEAD --out OUT`: (coverage-diff.json, coverage-diff.md).
fn diff(dir: &Path, base: &Path, head: &Path) -> (Value, String) {
    let out = dir.join("diff-out");
    let o = threatc(
        &[
            "diff",
            base.to_str().unwrap(),
            head.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir,
    );
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "diff failed: {}",
        common::stderr(&o)
    );
    let js = std::fs::read_to_string(out.join("coverage-diff.json")).unwrap();
    let md = std::fs::read_to_string(out.join("coverage-diff.md")).unwrap();
    (serde_json::from_str(&js).unwrap(), md)
}

fn pairs(d: &Value) -> Vec<(String, String, String, String)> {
    d["pair_changes"]
        .as_array()
        .expect("pair_changes in coverage-diff.json")
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_string();
            (s("technique"), s("asset"), s("before"), s("after"))
        })
        .collect()
}

/// LNX-cron-persist (T1053.003) scoped to swift-servers as well as linux-servers.
fn cron_on_swift(a: &str) -> String {
    replace_once(
        a,
        "    status: production\n    assets: [linux-servers]\n    validations:",
        "    status: production\n    assets: [linux-servers, swift-servers]\n    validations:",
    )
}

#[test]
fn one_more_asset_moves_exactly_that_pair() {
    let (_tmp, dir) = fixture();
    let a = dir.join("model.yaml");
    let b = variant(&dir, cron_on_swift);
    let (d, md) = diff(&dir, &a, &b);
    let p = pairs(&d);
    assert_eq!(p.len(), 1, "exactly one pair moves: {p:?}");
    let (t, asset, before, after) = &p[0];
    assert_eq!((t.as_str(), asset.as_str()), ("T1053.003", "swift-servers"));
    assert_eq!(after, "detected");
    assert!(
        before != "detected" && before != "validated",
        "it was not covered there: {before}"
    );
    assert!(md.contains("### State changes per asset (1)"), "{md}");
    assert!(
        md.contains(&format!(
            "| T1053.003 | Scheduled Task/Job: Cron | swift-servers | {before} → detected ✓ |"
        )),
        "{md}"
    );
    // And back: the same pair, the other way, marked as lost.
    let (d, md) = diff(&dir, &b, &a);
    assert_eq!(
        pairs(&d),
        vec![(
            "T1053.003".into(),
            "swift-servers".into(),
            "detected".into(),
            before.clone()
        )]
    );
    assert!(md.contains(&format!("swift-servers | detected → {before} ✗ |")));
}

#[test]
fn a_change_that_moves_no_pair_shows_none() {
    let (_tmp, dir) = fixture();
    let a = dir.join("model.yaml");
    let b = variant(&dir, |t| {
        replace_once(t, "version: \"2026.11\"", "version: \"2026.12\"")
    });
    let (d, md) = diff(&dir, &a, &b);
    assert_eq!(d["version"][1], "2026.12", "the diff saw the change");
    assert!(pairs(&d).is_empty(), "{:?}", pairs(&d));
    assert!(!md.contains("State changes per asset"), "{md}");
}

#[test]
fn an_old_report_without_states_diffs_fine() {
    let (tmp, dir) = fixture();
    let a = dir.join("model.yaml");
    let out = tmp.path().join("out-a");
    let o = threatc(
        &["build", a.to_str().unwrap(), "--out", out.to_str().unwrap()],
        &dir,
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let mut report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let mut stripped = 0;
    for t in report["techniques"].as_array_mut().unwrap() {
        let m = t.as_object_mut().unwrap();
        for k in ["states", "covered_on", "uncovered_on"] {
            stripped += usize::from(m.remove(k).is_some());
        }
    }
    assert!(stripped > 0, "report.json had per-asset fields to strip");
    let old = tmp.path().join("old-report.json");
    std::fs::write(&old, serde_json::to_string(&report).unwrap()).unwrap();
    let b = variant(&dir, cron_on_swift);
    let (d, md) = diff(&dir, &old, &b);
    assert!(
        pairs(&d).is_empty(),
        "no states on the base: no pair compared"
    );
    assert!(!md.contains("State changes per asset"));
    // The same head against the full report does show the pair.
    let (d, _) = diff(&dir, &out.join("report.json"), &b);
    assert_eq!(pairs(&d).len(), 1);
}

#[test]
fn long_lists_are_capped_in_the_comment_not_in_json() {
    let (_tmp, dir) = fixture();
    let a = dir.join("model.yaml");
    // NetFlow and Sysmon no longer collected on the hosts: many pairs fall.
    let b = variant(&dir, |t| {
        let t = replace_once(
            t,
            "    log_source: NSM:Flow\n    assets: all\n",
            "    log_source: NSM:Flow\n    assets: [m365]\n",
        );
        replace_once(
            &t,
            "    event_codes: [1, 3, 7, 10, 11, 13]\n    assets: [workstations, domain-controllers, swift-servers]\n",
            "    event_codes: [1, 3, 7, 10, 11, 13]\n    assets: [m365]\n",
        )
    });
    let (d, md) = diff(&dir, &a, &b);
    let n = pairs(&d).len();
    let shown = threatc::emit::diff::PAIRS_SHOWN;
    let p = pairs(&d);
    let mut sorted = p.clone();
    sorted.sort();
    assert_eq!(p, sorted, "sorted by technique, then asset");
    assert!(
        n > shown,
        "the edit moves more pairs than the comment shows: {n}"
    );
    assert!(md.contains(&format!("| +{} more |", n - shown)), "{md}");
    assert!(md.contains(&format!("### State changes per asset ({n})")));
    let rows = md
        .lines()
        .filter(|l| l.contains(" → ") && l.contains("| T1"))
        .count();
    assert_eq!(rows, shown, "{md}");
}

/// A minimal hand-written report.json with one technique's states.
fn report(states: &[(&str, &str)]) -> Value {
    let states: Vec<Value> = states
        .iter()
        .map(|(a, s)| serde_json::json!({"asset": a, "state": s}))
        .collect();
    serde_json::json!({
        "report_format": 1,
        "model": {"name": "m", "title": "m"},
        "techniques": [{"id": "T1486", "name": "Data <b>Encrypted</b> | for Impact", "states": states}],
    })
}

#[test]
fn hand_written_reports_are_escaped_and_unknown_states_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base.json");
    let head = tmp.path().join("head.json");
    let hostile = "esxi|<img src=x onerror=alert(1)>";
    let b = report(&[(hostile, "unknown"), ("odd", "unknown"), ("gone", "blind")]);
    let h = report(&[
        (hostile, "detected"),
        ("odd", "sort-of"),
        ("new", "detected"),
    ]);
    std::fs::write(&base, b.to_string()).unwrap();
    std::fs::write(&head, h.to_string()).unwrap();
    let (d, md) = diff(tmp.path(), &base, &head);
    assert_eq!(
        pairs(&d),
        vec![(
            "T1486".into(),
            hostile.into(),
            "unknown".into(),
            "detected".into()
        )],
        "only assets on both sides with known states"
    );
    let row = md
        .lines()
        .find(|l| l.contains("unknown → detected ✓"))
        .expect("the row");
    assert!(!row.contains("<img"), "{row}");
    assert!(!row.contains("<b>"), "{row}");
    assert_eq!(row.matches(" | ").count(), 3, "four cells: {row}");
}
