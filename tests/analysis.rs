//! The analysis in-process: coverage figures of tiny models computed by hand, and a
//! gap's priority factors and tier.

mod common;

use common::InlineModel;
use threatc::analysis::{priority, Tier};

/// Two custom actors, no assets (every technique in scope):
/// - `a` (weight 1): T1059.001, T1566.001, T1003.001, T1486
/// - `b` (weight 3): T1059.001
///
/// Rules: T1059.001 in production (counts), T1566.001 in testing (does not), T1003 (the
/// parent: partial coverage of T1003.001 under the default exact mode).
const MODEL: &str = r#"threatc: 1
model:
  name: tiny
  assessed: 2026-01-01
actors:
  - id: a
    techniques: [T1059.001, T1566.001, T1003.001, T1486]
  - id: b
    weight: 3
    techniques: [T1059.001]
rules:
  - id: ps
    techniques: [T1059.001]
  - id: mail
    techniques: [T1566.001]
    status: testing
  - id: creds
    techniques: [T1003]
targets:
  - id: half-of-a
    actors: [a]
    coverage: 50%
  - id: b-all
    actors: [b]
    coverage: 100%
"#;

#[test]
fn coverage_of_a_tiny_model_by_hand() {
    let a = InlineModel::new(&[("model.yaml", MODEL)]).analysis();
    let s = &a.summary;
    assert_eq!(
        (s.threat_techniques, s.in_scope, s.covered, s.gaps),
        (4, 4, 1, 3)
    );
    assert_eq!(s.out_of_scope, 0);
    // 1 of 4 techniques.
    assert_eq!(s.coverage, 0.25);
    // Threat weights: T1059.001 = 1 + 3 = 4, the others 1 each: 4 / 7.
    assert_eq!(s.weighted_coverage, 0.5714);
    assert_eq!(
        (s.rules, s.rules_counting, s.techniques_detected),
        (3, 2, 2)
    );

    let per_actor: Vec<(&str, usize, usize, f64)> = a
        .actors
        .iter()
        .map(|x| (x.id.as_str(), x.in_scope, x.covered, x.coverage))
        .collect();
    assert_eq!(per_actor, [("a", 4, 1, 0.25), ("b", 1, 1, 1.0)]);

    let row = |id: &str| a.techniques.iter().find(|r| r.id == id).unwrap();
    assert_eq!(row("T1059.001").threat_weight, 4.0);
    assert!(row("T1059.001").covered);
    let mail = row("T1566.001");
    assert!(!mail.covered, "a testing rule does not count");
    assert_eq!(
        mail.partial
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        ["mail"]
    );
    let creds = row("T1003.001");
    assert!(
        !creds.covered,
        "a parent rule does not cover a sub-technique in exact mode"
    );
    assert_eq!(creds.partial[0].via, "T1003");
}

#[test]
fn parent_covers_sub_mode_changes_coverage() {
    let model = MODEL.replace(
        "actors:\n",
        "coverage:\n  subtechniques: parent-covers-sub\nactors:\n",
    );
    let a = InlineModel::new(&[("model.yaml", &model)]).analysis();
    assert_eq!((a.summary.covered, a.summary.coverage), (2, 0.5));
}

#[test]
fn targets_by_hand() {
    let a = InlineModel::new(&[("model.yaml", MODEL)]).analysis();
    let half = &a.targets[0];
    assert_eq!(half.id, "half-of-a");
    assert_eq!(
        (half.in_scope, half.covered, half.current, half.met),
        (4, 1, 0.25, false)
    );
    // One more gap closes it (2 of 4); the heaviest first, then by score.
    assert_eq!(half.to_close.len(), 1);
    let b_all = &a.targets[1];
    assert!(b_all.met);
    assert!(b_all.to_close.is_empty());
    assert_eq!(a.summary.targets_met, 1);
}

#[test]
fn gap_factors_and_tier() {
    let a = InlineModel::new(&[("model.yaml", MODEL)]).analysis();
    let gap = a.gaps.iter().find(|g| g.technique == "T1486").unwrap();
    // Actor `a` only, weight 1: 1 − 2^(−1/2); no assets: criticality 0.5; T1486 is
    // under impact, the last enterprise tactic: kill chain 0.5.
    assert_eq!(gap.factors.actors, 0.2929);
    assert_eq!(gap.factors.criticality, 0.5);
    assert_eq!(gap.factors.kill_chain, 0.5);
    // At most 8.8 + 7.5 + 20 + 15 + 10 + 5 = 66.3 with every CTID and ATT&CK factor full:
    // below P1.
    let want = priority::score(
        priority::Inputs {
            actors: 0.2929,
            criticality: 0.5,
            prevalence: gap.factors.prevalence,
            choke_point: gap.factors.choke_point,
            actionability: gap.factors.actionability,
            kill_chain: 0.5,
        },
        &priority::Weights::default(),
    );
    assert!(
        (gap.score - want.score).abs() <= 0.1,
        "{} vs {}",
        gap.score,
        want.score
    );
    // CTID knows T1486: its own row.
    assert_eq!(gap.factors.ctid.as_deref(), Some("T1486"));
    assert_ne!(gap.tier, Tier::P1);
    let days = if gap.tier == Tier::P2 {
        "2026-03-02"
    } else {
        "2026-04-01"
    };
    assert_eq!(gap.due.map(|d| d.to_string()).as_deref(), Some(days));
    let ranks: Vec<usize> = a.gaps.iter().map(|g| g.rank).collect();
    assert_eq!(ranks, [1, 2, 3]);
}

#[test]
fn a_critical_asset_and_a_sole_actor_make_a_p1() {
    let model = r#"threatc: 1
model:
  name: p1
assets:
  - id: dc
    platforms: [Windows]
    criticality: critical
actors:
  - id: only
    weight: 8
    techniques: [T1059.003]
"#;
    let a = InlineModel::new(&[("model.yaml", model)]).analysis();
    let gap = &a.gaps[0];
    // A sole actor of weight 8: 30 × 0.9375 = 28.1, + 15 (critical) + 9.2 (execution)
    // + 20 (T1059.003 takes the CTID prevalence of T1059, 1.0) ≥ 70.
    assert_eq!((gap.factors.actors, gap.factors.criticality), (0.9375, 1.0));
    assert!(gap.score >= 70.0, "{}", gap.score);
    assert_eq!(gap.tier, Tier::P1);
    assert_eq!(gap.due, None, "no assessment date, no due date");
    assert_eq!(a.assets[0].in_scope, 1);
    assert_eq!(a.assets[0].coverage, 0.0);
}
