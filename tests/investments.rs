//! Telemetry investments answer "what do we onboard next" (issue 13, point 6): a unit is
//! a data component on a platform, with its log sources as alternatives; what is
//! collected (declared, or inferred from the counting rules) is excluded; rows are
//! ranked by greedy marginal cover, so their pairs and weights add up.

mod common;

use common::InlineModel;
use std::collections::BTreeSet;
use threatc::analysis::Analysis;

/// The columns add up: every (gap, asset) pair is unlocked by one row only, the pairs
/// of the rows sum to the distinct pairs unlocked, and the weights to the last
/// cumulative weight; one row per (data component, platform).
fn assert_adds_up(a: &Analysis) {
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut units: BTreeSet<(String, String)> = BTreeSet::new();
    let mut weight = 0.0;
    for inv in &a.investments {
        assert!(
            units.insert((inv.data_component.clone(), inv.platform.clone())),
            "{} on {} is ranked twice",
            inv.data_component_name,
            inv.platform
        );
        let mut n = 0;
        for t in &inv.techniques {
            let assets = if t.assets.is_empty() {
                vec![String::new()]
            } else {
                t.assets.clone()
            };
            for asset in assets {
                n += 1;
                assert!(
                    seen.insert((t.technique.clone(), asset.clone())),
                    "{} on `{asset}` unlocked twice (rank {})",
                    t.technique,
                    inv.rank
                );
            }
        }
        assert_eq!(n, inv.pairs, "rank {}", inv.rank);
        weight = ((weight + inv.weight) * 10.0_f64).round() / 10.0;
        assert!(
            (weight - inv.cumulative_weight).abs() < 0.01,
            "rank {}",
            inv.rank
        );
        assert!(inv.pairs > 0 || !inv.with.is_empty(), "rank {}", inv.rank);
    }
    let pairs: usize = a.investments.iter().map(|i| i.pairs).sum();
    assert_eq!(pairs, seen.len());
    let t = &a.investment_totals;
    assert_eq!(t.unlockable, seen.len());
    assert_eq!(t.open, t.ready + t.no_analytic + t.unlockable);
    // The weight never exceeds the gap scores it shares out.
    let scores: f64 = a.gaps.iter().map(|g| g.score).sum();
    assert!(t.weight <= scores + 0.01);
}

/// No row asks for a data component an asset it names already collects (`collected`:
/// asset id and what it collects).
fn assert_not_collected(a: &Analysis, collected: &[(String, Vec<String>)]) {
    let of = |id: &str| {
        collected
            .iter()
            .find(|(a, _)| a == id)
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    };
    for inv in &a.investments {
        for asset in &inv.assets {
            assert!(
                !of(asset).contains(&inv.data_component_name),
                "rank {}: {} is collected on {asset}",
                inv.rank,
                inv.data_component_name
            );
        }
    }
}

fn bank_with(
    sigma: Option<&std::path::Path>,
    telemetry: bool,
) -> (Analysis, Vec<(String, Vec<String>)>) {
    let dir = common::bank_repo(|mut text| {
        if let Some(sigma) = sigma {
            text = common::replace_once(
                &text,
                "path: detections/sigma",
                &format!("path: {}", sigma.display()),
            );
        }
        if !telemetry {
            let from = text.find("\ntelemetry:\n").unwrap();
            let to = text.find("\ntargets:\n").unwrap();
            text.replace_range(from..to, "\n");
        }
        text
    });
    let r = common::resolve_outside_root(&dir.path().join("model.yaml"));
    let cat = InlineModel::catalog();
    // What each asset collects: declared, or read by the counting rules that apply there.
    let collected = r
        .assets
        .iter()
        .map(|a| {
            let c = match &a.collects {
                Some(c) => c.clone(),
                None => r
                    .rules
                    .iter()
                    .filter(|x| r.coverage.count.contains(&x.status) && x.applies_to(a))
                    .flat_map(|x| x.data_components.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            };
            (a.id.clone(), c)
        })
        .collect();
    (threatc::analysis::analyse(&r, cat), collected)
}

fn top(a: &Analysis, n: usize) -> Vec<String> {
    a.investments
        .iter()
        .take(n)
        .map(|i| {
            format!(
                "{} {} on {}: {} pairs, weight {}",
                i.rank, i.data_component_name, i.platform, i.pairs, i.weight
            )
        })
        .collect()
}

/// The bank example as shipped (declared telemetry): nothing collected is proposed, and
/// the columns add up.
#[test]
fn the_bank_example() {
    let (a, collected) = bank_with(None, true);
    eprintln!("bank: {:#?}\n{:?}", top(&a, 5), a.investment_totals);
    assert!(!a.investments.is_empty());
    assert_adds_up(&a);
    assert_not_collected(&a, &collected);
    // Sysmon EventCode=1 is collected on every Windows asset: Process Creation on
    // Windows is not an investment.
    assert!(!a
        .investments
        .iter()
        .any(|i| i.data_component_name == "Process Creation" && i.platform == "Windows"));
}

/// The bank importing SigmaHQ's rules and declaring no telemetry: its process-creation
/// rules say Process Creation is collected, so rank 1 is something else.
#[test]
fn the_bank_importing_sigmahq_without_telemetry() {
    let Some(shared) = common::shared() else {
        return;
    };
    let sigma = shared.join("fixtures/sigma/rules");
    let (a, collected) = bank_with(Some(&sigma), false);
    eprintln!(
        "bank + SigmaHQ, no telemetry: {:#?}\n{:?}",
        top(&a, 5),
        a.investment_totals
    );
    assert_eq!(
        a.investment_totals.inferred,
        [
            "workstations",
            "domain-controllers",
            "swift-servers",
            "linux-servers",
            "m365"
        ]
    );
    let first = a.investments.first().unwrap();
    assert_ne!(first.data_component_name, "Process Creation");
    assert!(!a
        .investments
        .iter()
        .any(|i| i.data_component_name == "Process Creation" && i.platform == "Windows"));
    assert_adds_up(&a);
    assert_not_collected(&a, &collected);
}

const WINDOWS: &str = r#"threatc: 1
model:
  name: inv
actors:
  - group: FIN7
assets:
  - id: hosts
    platforms: [Windows]
"#;

/// Sysmon EventCode=1 and Security EventCode=4688 are alternatives of one Process
/// Creation unit, each channel written once.
#[test]
fn process_creation_is_one_unit_with_alternatives() {
    let mut m = InlineModel::new(&[("model.yaml", WINDOWS)]);
    let a = m.analysis();
    assert_adds_up(&a);
    let pc: Vec<_> = a
        .investments
        .iter()
        .filter(|i| i.data_component_name == "Process Creation")
        .collect();
    assert_eq!(pc.len(), 1, "{:#?}", top(&a, 10));
    let pc = pc[0];
    assert_eq!(pc.platform, "Windows");
    assert_eq!(pc.assets, ["hosts"]);
    let sysmon = pc
        .log_sources
        .iter()
        .find(|l| l.name == "WinEventLog:Sysmon")
        .unwrap();
    assert_eq!(sysmon.channels, ["EventCode=1"]);
    let security = pc
        .log_sources
        .iter()
        .find(|l| l.name == "WinEventLog:Security")
        .unwrap();
    assert!(
        security.channels.iter().any(|c| c.contains("4688")),
        "{security:?}"
    );
    for inv in &a.investments {
        for l in &inv.log_sources {
            let set: BTreeSet<&String> = l.channels.iter().collect();
            assert_eq!(set.len(), l.channels.len(), "{l:?}");
            assert!(
                l.channels
                    .iter()
                    .filter(|c| c.starts_with("EventCode="))
                    .count()
                    <= 1,
                "{l:?}"
            );
            assert!(!l.channels.iter().any(|c| c == "None"));
        }
    }
}

/// T1003.001's only Windows analytic (AN1030) reads five data components: with
/// Process Creation alone collected, no single component unlocks it, so the four
/// missing ones come as consecutive rows naming each other, and only the last is
/// credited; with four collected, the fifth alone unlocks it.
#[test]
fn a_multi_source_analytic_needs_all_it_reads() {
    let model = |codes: &str| {
        format!(
            r#"threatc: 1
model:
  name: inv
actors:
  - id: x
    techniques: [T1003.001]
assets:
  - id: hosts
    platforms: [Windows]
telemetry:
  - log_source: WinEventLog:Sysmon
    event_codes: [{codes}]
    assets: all
"#
        )
    };
    let mut m = InlineModel::new(&[("model.yaml", &model("1"))]);
    let a = m.analysis();
    assert_adds_up(&a);
    let rows: Vec<(usize, Vec<usize>)> = a
        .investments
        .iter()
        .map(|i| (i.pairs, i.with.clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (0, vec![2, 3, 4]),
            (0, vec![1, 3, 4]),
            (0, vec![1, 2, 4]),
            (1, vec![1, 2, 3])
        ],
        "{:#?}",
        a.investments
    );
    let gap_score = a.gaps[0].score;
    assert!((a.investments[3].weight - gap_score).abs() < 0.06);

    let mut m = InlineModel::new(&[("model.yaml", &model("1, 10, 11, 13"))]);
    let a = m.analysis();
    assert_adds_up(&a);
    assert_eq!(a.investments.len(), 1, "{:#?}", a.investments);
    assert_eq!(a.investments[0].data_component, "DC0013");
    assert_eq!(a.investments[0].pairs, 1);
    assert!(a.investments[0].with.is_empty());
}

/// One gap (T1003.001) open on a medium (`a`) and a critical (`b`) Windows asset, both
/// collecting Sysmon process events.
const SHARED_GAP: &str = r#"threatc: 1
model:
  name: inv
actors:
  - id: x
    techniques: [T1003.001]
assets:
  - id: a
    platforms: [Windows]
    criticality: medium
  - id: b
    platforms: [Windows]
    criticality: critical
telemetry:
  - log_source: WinEventLog:Sysmon
    event_codes: [1, 10, 11, 13]
    assets: all
"#;

/// A gap's score is shared among the assets it is open on by criticality: a
/// medium and a critical asset get one third and two thirds.
#[test]
fn a_gap_score_is_shared_by_criticality() {
    let mut m = InlineModel::new(&[("model.yaml", SHARED_GAP)]);
    let a = m.analysis();
    let score = a.gaps[0].score;
    let inv = &a.investments[0];
    assert_eq!(inv.pairs, 2);
    assert_eq!(inv.assets, ["a", "b"]);
    assert!((inv.weight - score).abs() < 0.06);
    assert_eq!(inv.techniques[0].assets, ["a", "b"]);
    // Only b's share when a already collects it.
    let with_security = format!(
        "{SHARED_GAP}  - log_source: WinEventLog:Security\n    event_codes: [4673]\n    assets: [a]\n"
    );
    let mut m = InlineModel::new(&[("model.yaml", &with_security)]);
    let a = m.analysis();
    let inv = &a.investments[0];
    assert_eq!(inv.assets, ["b"]);
    assert_eq!(inv.pairs, 1);
    assert!((inv.weight - score * 2.0 / 3.0).abs() < 0.06, "{inv:#?}");
    assert_eq!(a.investment_totals.ready, 1);
}
