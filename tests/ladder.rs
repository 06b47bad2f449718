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
