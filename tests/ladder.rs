//! The per-(technique, asset) state ladder (issue 13, points 3 and 4): blind, unknown,
//! visible, detected, validated; the pair figures; evidence and its age; targets by
//! asset and state.

mod common;

use common::InlineModel;
use threatc::analysis::{Analysis, AssetState, State, TechniqueRow};

fn row<'a>(a: &'a Analysis, id: &str) -> &'a TechniqueRow {
    a.techniques.iter().find(|r| r.id == id).unwrap()
}

fn state_on<'a>(a: &'a Analysis, tech: &str, asset: &str) -> &'a AssetState {
    row(a, tech)
        .states
        .iter()
        .find(|s| s.asset == asset)
        .unwrap()
}

const BASE: &str = r#"threatc: 1
model:
  name: ladder
  assessed: 2026-11-15
actors:
  - id: x
    techniques: [T1003.001, T1059.001]
assets:
  - id: workstations
    platforms: [Windows]
    criticality: low
  - id: swift
    platforms: [Windows]
    criticality: critical
"#;

/// Both assets detect T1003.001 (a Windows rule) unless `swift_rule` is false: then
/// only a rule scoped to workstations does.
fn model(swift_rule: bool) -> String {
    let assets = if swift_rule {
        "[workstations, swift]"
    } else {
        "[workstations]"
    };
    format!(
        "{BASE}rules:\n  - id: lsass\n    techniques: [T1003.001]\n    platforms: [Windows]\n    assets: {assets}\n  - id: ps\n    techniques: [T1059.001]\n    platforms: [Windows]\n"
    )
}

#[test]
fn states_without_telemetry_are_unknown_or_detected() {
    let a = InlineModel::new(&[("model.yaml", &model(false))]).analysis();
    let on_ws = state_on(&a, "T1003.001", "workstations");
    assert_eq!(on_ws.state, State::Detected);
    assert_eq!(on_ws.rules, ["lsass"]);
    assert_eq!(on_ws.visible_by, None);
    assert_eq!(state_on(&a, "T1003.001", "swift").state, State::Unknown);
    let r = row(&a, "T1003.001");
    assert_eq!(r.covered_on, ["workstations"]);
    assert_eq!(r.uncovered_on, ["swift"]);
    assert!(!r.covered);
    let gap = a.gaps.iter().find(|g| g.technique == "T1003.001").unwrap();
    assert_eq!(gap.states.len(), 2);
    assert_eq!(gap.states[1].state, State::Unknown);
}

#[test]
fn figures_fall_when_a_critical_asset_loses_its_only_detection() {
    let before = InlineModel::new(&[("model.yaml", &model(true))]).analysis();
    let after = InlineModel::new(&[("model.yaml", &model(false))]).analysis();
    // Still detected somewhere…
    assert!(!row(&after, "T1003.001").covered_on.is_empty());
    // …but every headline figure falls.
    let (b, a) = (&before.summary, &after.summary);
    assert_eq!(b.pairs, 4);
    assert_eq!(a.pairs, 4);
    assert_eq!(b.pair_coverage, 1.0);
    // Weights: workstations 1 (low), swift 4 (critical): 1 + 1 + 4 of 10.
    assert_eq!(a.pair_coverage, 0.6);
    assert!(a.coverage < b.coverage);
    assert!(a.weighted_coverage < b.weighted_coverage);
    assert_eq!(b.pairs_by_state[&State::Detected], 4);
    assert_eq!(a.pairs_by_state[&State::Detected], 3);
    assert_eq!(a.pairs_by_state[&State::Unknown], 1);
    let swift = after.assets.iter().find(|x| x.id == "swift").unwrap();
    assert_eq!(swift.by_state[&State::Unknown], 1);
    assert_eq!(swift.coverage, 0.5);
}

#[test]
fn telemetry_makes_pairs_blind_or_visible() {
    let text = format!(
        "{}telemetry:\n  - log_source: WinEventLog:Sysmon\n    event_codes: [10]\n    assets: [swift]\n  - data_components: [Cloud Service Modification]\n    assets: [workstations]\n",
        model(false)
    );
    let a = InlineModel::new(&[("model.yaml", &text)]).analysis();
    // Sysmon EventCode=10 (Process Access) is what LSASS-dumping analytics read.
    let swift = state_on(&a, "T1003.001", "swift");
    assert_eq!(swift.state, State::Visible);
    assert_eq!(
        swift.visible_by.as_deref(),
        Some(&["Process Access".to_string()][..])
    );
    // Workstations collect nothing a Windows analytic of T1059.001 reads; the PowerShell
    // rule (no data components) still counts there.
    assert_eq!(
        state_on(&a, "T1059.001", "workstations").state,
        State::Detected
    );
    let lsass_ws = state_on(&a, "T1003.001", "workstations");
    assert_eq!(lsass_ws.state, State::Detected);
    assert_eq!(lsass_ws.visible_by.as_deref(), Some(&[][..]));
    let text = format!(
        "{}telemetry:\n  - data_components: [Cloud Service Modification]\n    assets: all\n",
        model(false)
    );
    let a = InlineModel::new(&[("model.yaml", &text)]).analysis();
    assert_eq!(state_on(&a, "T1003.001", "swift").state, State::Blind);
    assert_eq!(a.summary.pairs_by_state[&State::Blind], 1);
}

/// The model with the LSASS rule on both assets, `extra` appended (root sections).
fn with(extra: &str) -> String {
    format!("{}{extra}", model(true))
}

#[test]
fn a_recent_passing_validation_validates_and_an_old_one_does_not() {
    let text = model(true).replace(
        "    assets: [workstations, swift]\n",
        "    assets: [workstations, swift]\n    validations:\n      - {date: 2026-10-01, method: Atomic Red Team, reference: ART-T1003.001-1, assets: [swift]}\n      - {date: 2024-01-01, method: purple-team}\n",
    );
    let mut m = InlineModel::new(&[("model.yaml", &text)]);
    let (_, warnings) = m.resolve().unwrap();
    let a = threatc::analysis::analyse(&m.resolved(), InlineModel::catalog());
    let swift = state_on(&a, "T1003.001", "swift");
    assert_eq!(swift.state, State::Validated);
    let test = swift.test.as_ref().unwrap();
    assert_eq!(test.method.as_deref(), Some("atomic-red-team"));
    assert_eq!(test.source, "rule lsass");
    // The workstations' only test is from 2024: stale (365 days before 2026-11-15).
    let ws = state_on(&a, "T1003.001", "workstations");
    assert_eq!(ws.state, State::Detected);
    assert!(ws.test.is_none());
    assert_eq!(a.summary.tests, 2);
    assert_eq!(a.summary.tests_stale, 1);
    let stale: Vec<_> = warnings
        .iter()
        .filter(|d| d.code.as_str() == "evidence-stale")
        .collect();
    assert_eq!(stale.len(), 1);
    assert!(
        stale[0]
            .message
            .starts_with("1 of 2 test records are older than 365 days (before 2025-11-15)"),
        "{}",
        stale[0].message
    );
    // Validated pairs raise the validated share: swift weighs 4 of 10.
    assert_eq!(a.summary.pair_validated, 0.4);
    assert_eq!(a.summary.pairs_by_state[&State::Validated], 1);
    // A longer max age brings the old test back.
    let longer = text + "coverage:\n  validation_max_age: 3y\n";
    let a = InlineModel::new(&[("model.yaml", &longer)]).analysis();
    assert_eq!(
        state_on(&a, "T1003.001", "workstations").state,
        State::Validated
    );
    assert_eq!(a.settings.validation_max_age, 1095);
}

const EVIDENCE_CSV: &str = "technique,asset,date,result,method,reference\nT1003.001,swift,2026-11-01,not-detected,purple-team,PT-42\nT1003.001,swift,2026-09-01,detected,bas,\nT1059.001,all,2026-10-10,detected,atomic-red-team,ART-1\n";

#[test]
fn evidence_not_detected_overrides_rules_and_passing_evidence_validates() {
    let text = with("evidence:\n  - path: tests/results.csv\n");
    let a =
        InlineModel::new(&[("model.yaml", &text), ("tests/results.csv", EVIDENCE_CSV)]).analysis();
    // The latest test on swift failed: not detected, whatever the LSASS rule claims.
    let swift = state_on(&a, "T1003.001", "swift");
    assert_eq!(swift.state, State::Unknown);
    assert_eq!(swift.rules, ["lsass"]);
    assert_eq!(swift.test.as_ref().unwrap().source, "tests/results.csv:2");
    assert_eq!(row(&a, "T1003.001").uncovered_on, ["swift"]);
    assert!(a.gaps.iter().any(|g| g.technique == "T1003.001"));
    assert_eq!(
        state_on(&a, "T1003.001", "workstations").state,
        State::Detected
    );
    // `all`: both assets.
    assert_eq!(
        state_on(&a, "T1059.001", "workstations").state,
        State::Validated
    );
    assert_eq!(state_on(&a, "T1059.001", "swift").state, State::Validated);
    assert_eq!(a.evidence.len(), 3);
    // The same as JSON.
    let json = r#"[{"technique": "T1003.001", "asset": "swift", "date": "2026-11-01", "result": "not-detected"}]"#;
    let text = with("evidence:\n  - path: results.json\n");
    let a = InlineModel::new(&[("model.yaml", &text), ("results.json", json)]).analysis();
    assert_eq!(state_on(&a, "T1003.001", "swift").state, State::Unknown);
}

#[test]
fn bad_evidence_rows_are_located_with_did_you_mean() {
    let csv = "technique,asset,date,result\nT1003.01,swift,2026-11-01,detected\nT1003.001,swfit,2026-11-01,detected\nT1003.001,swift,2026-02-30,detected\nT1003.001,swift,2026-11-01,detectd\nT1003.001,,2026-11-01,\n";
    let text = with("evidence:\n  - path: results.csv\n");
    let mut m = InlineModel::new(&[("model.yaml", &text), ("results.csv", csv)]);
    let errs = m.resolve().unwrap_err();
    let found: Vec<(String, usize, usize, Option<String>)> = errs
        .iter()
        .map(|d| {
            let (file, line, col) = m.sources.locate(d.primary().unwrap()).unwrap();
            assert_eq!(file, "results.csv");
            (d.code.as_str().to_string(), line, col, d.help.clone())
        })
        .collect();
    let codes: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        codes,
        [
            "bad-technique-id",
            "undefined-asset",
            "invalid-date",
            "invalid-evidence",
            "invalid-evidence"
        ]
    );
    assert_eq!(
        found.iter().map(|f| f.1).collect::<Vec<_>>(),
        [2, 3, 4, 5, 6]
    );
    assert_eq!(found[1].2, 11, "the asset's column");
    assert!(found[1].3.as_deref().unwrap().contains("`swift`"));
    assert!(found[3].3.as_deref().unwrap().contains("`detected`"));
    assert!(found[2]
        .3
        .as_deref()
        .unwrap()
        .contains("February 2026 has 28 days"));
}

#[test]
fn bad_max_age_and_missing_file_are_errors() {
    let text = with("coverage:\n  validation_max_age: soon\n");
    let errs = InlineModel::new(&[("model.yaml", &text)])
        .resolve()
        .unwrap_err();
    assert!(errs.iter().any(|d| d.code.as_str() == "invalid-duration"));
    let text = with("evidence:\n  - path: nowhere.csv\n");
    let errs = InlineModel::new(&[("model.yaml", &text)])
        .resolve()
        .unwrap_err();
    assert!(!errs.is_empty());
    let text = with("evidence:\n  - path: ../outside.csv\n");
    let errs = InlineModel::new(&[("model.yaml", &text)])
        .resolve()
        .unwrap_err();
    assert!(
        errs.iter().any(|d| d.code.as_str() == "path-outside-root"),
        "{:?}",
        errs.iter().map(|d| d.code.as_str()).collect::<Vec<_>>()
    );
}

#[test]
fn targets_measure_pairs_on_their_assets_at_their_state() {
    let targets = "targets:\n  - id: swift-detected\n    assets: [swift]\n    coverage: 100%\n  - id: all-validated\n    state: validated\n    coverage: 50%\n  - id: techniques\n    coverage: 50%\n  - id: typo\n    assets: [swfit]\n    coverage: 10%\n";
    let mut m = InlineModel::new(&[("model.yaml", &format!("{}{targets}", model(false)))]);
    let errs = m.resolve().unwrap_err();
    let d = errs
        .iter()
        .find(|d| d.code.as_str() == "undefined-asset")
        .unwrap();
    assert!(d.help.as_deref().unwrap().contains("`swift`"));
    let targets = targets.rsplit_once("  - id: typo").unwrap().0;
    let text = format!("{}{targets}", model(false)).replace(
        "techniques: [T1059.001]\n    platforms: [Windows]\n",
        "techniques: [T1059.001]\n    platforms: [Windows]\n    validations: [{date: 2026-10-01}]\n",
    );
    let a = InlineModel::new(&[("model.yaml", &text)]).analysis();
    let t = |id: &str| a.targets.iter().find(|t| t.id == id).unwrap();
    // On swift: T1003.001 unknown (its rule is scoped to workstations), T1059.001 validated.
    let swift = t("swift-detected");
    assert_eq!(swift.state, Some(State::Detected));
    assert_eq!((swift.in_scope, swift.covered), (2, 1));
    assert_eq!(swift.current, 0.5);
    assert!(!swift.met);
    assert_eq!(swift.to_close, ["T1003.001"]);
    // Validated: the PowerShell rule's validation on both assets, 2 of 4 pairs.
    let v = t("all-validated");
    assert_eq!((v.in_scope, v.covered), (4, 2));
    assert!(v.met);
    // Without assets or state: techniques, covered on every asset (T1059.001 only).
    let tech = t("techniques");
    assert_eq!(tech.state, None);
    assert_eq!((tech.in_scope, tech.covered), (2, 1));
    assert!(tech.met);
}

#[test]
fn a_csv_inventory_carries_validations() {
    let text = format!("{BASE}rules:\n  - import: csv\n    path: inventory.csv\n");
    let csv = "id,name,techniques,platforms,validation_date,validation_result,validation_method,validation_reference\nlsass,LSASS,T1003.001,Windows,2026-10-01,detected,Atomic Red Team,ART-1\nps,PowerShell,T1059.001,Windows,2026-10-02,not-detected,bas,BAS-7\n";
    let a = InlineModel::new(&[("model.yaml", &text), ("inventory.csv", csv)]).analysis();
    let s = state_on(&a, "T1003.001", "swift");
    assert_eq!(s.state, State::Validated);
    assert_eq!(
        s.test.as_ref().unwrap().method.as_deref(),
        Some("atomic-red-team")
    );
    assert_eq!(state_on(&a, "T1059.001", "swift").state, State::Unknown);
    let rule = a.rules.iter().find(|r| r.id == "ps").unwrap();
    assert_eq!(rule.validations.len(), 1);
}
