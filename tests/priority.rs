//! Priorities are local (#15, point 1): on the bank example, adding, removing or
//! re-weighting an actor changes the scores of only the techniques that actor uses, and
//! adding an asset changes only the gaps on that asset.

mod common;

use common::InlineModel;
use std::collections::BTreeMap;
use threatc::analysis::{Analysis, Tier};

/// The financial example, in a repository of its own, with `edit` applied to model.yaml.
fn bank(edit: impl Fn(&str) -> String) -> Analysis {
    InlineModel::bank(|text| {
        let edited = edit(&text);
        assert_ne!(edited, text, "the edit applies");
        edited
    })
    .analysis()
}

fn unchanged(text: &str) -> String {
    format!("{text}\n")
}

/// Each gap's score and tier, by technique.
fn scores(a: &Analysis) -> BTreeMap<String, (f64, Tier)> {
    a.gaps
        .iter()
        .map(|g| (g.technique.clone(), (g.score, g.tier)))
        .collect()
}

/// Adds an actor (YAML lines at two spaces' indent) as the first actor.
fn add_actor(actor: &'static str) -> impl Fn(&str) -> String {
    move |text: &str| text.replacen("actors:\n", &format!("actors:\n{actor}"), 1)
}

/// The gaps whose score or tier differ, with both values.
fn moved(
    before: &BTreeMap<String, (f64, Tier)>,
    after: &BTreeMap<String, (f64, Tier)>,
) -> Vec<String> {
    before
        .iter()
        .filter(|(t, v)| after.get(*t) != Some(*v))
        .map(|(t, v)| format!("{t}: {v:?} → {:?}", after.get(t)))
        .collect()
}

#[test]
fn an_insider_moves_only_its_own_techniques() {
    let before = scores(&bank(unchanged));
    // The insider: two techniques, weight 3. T1005 (Data from Local System) is a
    // gap of the example; T1052.001 (Exfiltration over USB) is used by no actor.
    let after_a = bank(add_actor(
        "  - id: insider\n    weight: 3\n    techniques: [T1005, T1052.001]\n",
    ));
    let after = scores(&after_a);
    let insider = ["T1005", "T1052.001"];
    let others = |m: &BTreeMap<String, (f64, Tier)>| -> BTreeMap<String, (f64, Tier)> {
        m.iter()
            .filter(|(t, _)| !insider.contains(&t.as_str()))
            .map(|(t, v)| (t.clone(), *v))
            .collect()
    };
    assert_eq!(
        moved(&others(&before), &others(&after)),
        Vec::<String>::new()
    );
    assert_eq!(
        others(&after).len(),
        others(&before).len(),
        "no gap came or went"
    );
    // The insider's techniques did move: T1005 gained weight 3, T1052.001 is a new gap.
    let (b, a) = (before["T1005"], after["T1005"]);
    assert!(a.0 > b.0, "T1005 {b:?} → {a:?}");
    assert!(after.contains_key("T1052.001"));
}

#[test]
fn reweighting_or_removing_an_actor_moves_only_its_techniques() {
    let before_a = bank(unchanged);
    let before = scores(&before_a);
    let fin8: Vec<String> = before_a
        .gaps
        .iter()
        .filter(|g| g.actors.iter().any(|u| u.id == "fin8"))
        .map(|g| g.technique.clone())
        .collect();
    assert!(!fin8.is_empty());
    let heavier = scores(&bank(|t| {
        t.replacen(
            "group: FIN8\n    weight: 2",
            "group: FIN8\n    weight: 5",
            1,
        )
    }));
    let removed = scores(&bank(|t| {
        t.replacen("  - group: FIN8\n    weight: 2\n", "", 1)
    }));
    for after in [&heavier, &removed] {
        let others = |m: &BTreeMap<String, (f64, Tier)>| -> BTreeMap<String, (f64, Tier)> {
            m.iter()
                .filter(|(t, _)| !fin8.contains(t))
                .map(|(t, v)| (t.clone(), *v))
                .collect()
        };
        assert_eq!(
            moved(&others(&before), &others(after)),
            Vec::<String>::new()
        );
    }
    // FIN8's techniques did move.
    assert!(fin8.iter().any(|t| heavier.get(t) != before.get(t)));
}

#[test]
fn a_new_asset_moves_only_the_gaps_on_it() {
    let before = bank(unchanged);
    let after = bank(|t| {
        t.replacen(
            "assets:\n",
            "assets:\n  - id: macs\n    name: Design studio Macs\n    platforms: [macOS]\n    criticality: low\n",
            1,
        )
    });
    let on_macs: Vec<&str> = after
        .gaps
        .iter()
        .filter(|g| g.assets.iter().any(|a| a == "macs"))
        .map(|g| g.technique.as_str())
        .collect();
    assert!(!on_macs.is_empty());
    let others = |a: &Analysis| -> BTreeMap<String, (f64, Tier)> {
        scores(a)
            .into_iter()
            .filter(|(t, _)| !on_macs.contains(&t.as_str()))
            .collect()
    };
    assert_eq!(
        moved(&others(&before), &others(&after)),
        Vec::<String>::new()
    );
}

#[test]
fn criticality_is_that_of_the_assets_the_gap_is_on() {
    let a = bank(unchanged);
    let crit: Vec<f64> = a.gaps.iter().map(|g| g.factors.criticality).collect();
    let (lo, hi) = crit
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &c| (l.min(c), h.max(c)));
    assert!(lo < hi, "criticality is not a constant: {lo}..{hi}");
    for g in a.gaps.iter() {
        let want = a
            .assets
            .iter()
            .filter(|s| g.uncovered_on.contains(&s.id))
            .map(|s| threatc::analysis::criticality_value(s.criticality) / 4.0)
            .fold(0.0, f64::max);
        assert_eq!(g.factors.criticality, want, "{}", g.technique);
    }
}
