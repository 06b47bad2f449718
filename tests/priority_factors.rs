//! The factors of #15 point 2 each move only what they should, on the bank example:
//! `intel:` raises only its technique and halves at one half-life; `mitigations:` lower
//! only the techniques they mitigate on their assets and never change coverage;
//! `plan.weights` changes scores; bad weights are diagnosed at their line.

mod common;

use common::InlineModel;
use std::collections::BTreeMap;
use threatc::analysis::{Analysis, Tier};

/// The financial example with its `intel:` and `mitigations:` sections removed, then
/// `edit` applied to model.yaml.
fn bank_with(edit: impl Fn(&str) -> String) -> Result<Analysis, Vec<(String, String)>> {
    let mut m = InlineModel::bank(|text| edit(&strip_own(&text)));
    match m.resolve() {
        Ok((r, _)) => Ok(threatc::analysis::analyse(&r, InlineModel::catalog())),
        Err(e) => Err(e
            .iter()
            .map(|d| (d.code.as_str().to_string(), d.message.clone()))
            .collect()),
    }
}

fn bank(edit: impl Fn(&str) -> String) -> Analysis {
    bank_with(edit).unwrap_or_else(|e| panic!("does not resolve: {e:?}"))
}

/// The model without its `intel:` and `mitigations:` sections (each runs to the next
/// blank line).
fn strip_own(text: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line == "intel:" || line == "mitigations:" {
            skipping = true;
            continue;
        }
        if skipping && line.trim().is_empty() {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(!out.contains("\nintel:") && !out.contains("\nmitigations:"));
    out
}

fn append(section: &'static str) -> impl Fn(&str) -> String {
    move |t: &str| format!("{t}\n{section}")
}

fn same(t: &str) -> String {
    t.to_string()
}

fn scores(a: &Analysis) -> BTreeMap<String, (f64, Tier)> {
    a.gaps
        .iter()
        .map(|g| (g.technique.clone(), (g.score, g.tier)))
        .collect()
}

/// The techniques whose score differs.
fn changed(a: &Analysis, b: &Analysis) -> Vec<String> {
    let (x, y) = (scores(a), scores(b));
    assert_eq!(
        x.keys().collect::<Vec<_>>(),
        y.keys().collect::<Vec<_>>(),
        "same gaps"
    );
    x.iter()
        .filter(|(t, v)| y.get(*t).map(|w| w.0) != Some(v.0))
        .map(|(t, _)| t.clone())
        .collect()
}

fn gap<'a>(a: &'a Analysis, t: &str) -> &'a threatc::analysis::Gap {
    a.gaps.iter().find(|g| g.technique == t).unwrap()
}

#[test]
fn intel_raises_only_its_technique_and_halves_at_one_half_life() {
    let before = bank(same);
    // The bank is assessed on 2026-11-15; a half-life of 100 days.
    let fresh = bank(append(
        "intel:\n  - {technique: T1486, date: 2026-11-15, source: incident, reference: INC-1}\n",
    ));
    assert_eq!(changed(&before, &fresh), vec!["T1486".to_string()]);
    let g = gap(&fresh, "T1486");
    assert_eq!(g.factors.intel, 1.0);
    assert_eq!(g.factors.intel_from.len(), 1);
    assert_eq!(g.factors.intel_from[0].source, "incident");
    // Fresh: + 100 × 0.20 × 1 points (the default intel weight).
    let b = gap(&before, "T1486").score;
    assert!((g.score - (b + 20.0)).abs() <= 0.1, "{b} → {}", g.score);
    // 180 days (the default half-life) before the assessed date: weight 0.5, +10 points.
    let half = bank(append(
        "intel:\n  - {technique: Data Encrypted for Impact, date: 2026-05-19, source: red-team}\n",
    ));
    let h = gap(&half, "T1486");
    assert_eq!(h.factors.intel, 0.5);
    assert_eq!(h.factors.intel_from[0].age_days, 180);
    assert!((h.score - (b + 10.0)).abs() <= 0.1, "{b} → {}", h.score);
    // With `plan.intel_half_life: 90d` the same entry is two half-lives old: 0.25.
    let quarter =
        bank(|t: &str| {
            append("intel:\n  - {technique: T1486, date: 2026-05-19, source: red-team}\n")(t)
                .replacen("plan:\n", "plan:\n  intel_half_life: 90d\n", 1)
        });
    assert_eq!(gap(&quarter, "T1486").factors.intel, 0.25);
    // Intel on assets the gap is not on raises nothing.
    let elsewhere = bank(append(
        "intel:\n  - {technique: T1486, date: 2026-11-15, source: incident, assets: [m365]}\n",
    ));
    assert!(changed(&before, &elsewhere).is_empty());
    // Coverage never moves.
    assert_eq!(fresh.summary.coverage, before.summary.coverage);
    assert_eq!(fresh.summary.pair_coverage, before.summary.pair_coverage);
}

#[test]
fn a_mitigation_lowers_only_its_techniques_on_its_assets_never_coverage() {
    let before = bank(same);
    let after = bank(append(
        "mitigations:\n  - {mitigation: M1032, assets: [m365]}\n",
    ));
    let catalog = InlineModel::catalog();
    let moved = changed(&before, &after);
    assert!(!moved.is_empty());
    for t in &moved {
        // Every technique that moved is mitigated by M1032, is open on m365, and fell.
        let tech = catalog.technique(t).unwrap();
        assert!(tech.mitigations.iter().any(|m| m.id == "M1032"), "{t}");
        let g = gap(&after, t);
        assert!(g.uncovered_on.contains(&"m365".to_string()), "{t}");
        assert!(g.score < gap(&before, t).score, "{t}");
        assert_eq!(g.factors.mitigated_by[0].id, "M1032");
        assert_eq!(g.factors.mitigated_by[0].assets, vec!["m365".to_string()]);
    }
    // Every gap M1032 mitigates that is open on m365 moved; the others did not.
    for g in after.gaps.iter() {
        let tech = catalog.technique(&g.technique).unwrap();
        let should = tech.mitigations.iter().any(|m| m.id == "M1032")
            && g.uncovered_on.contains(&"m365".to_string());
        assert_eq!(moved.contains(&g.technique), should, "{}", g.technique);
    }
    // Coverage figures are the same: a mitigation is not a detection.
    let s = (&before.summary, &after.summary);
    assert_eq!(s.0.covered, s.1.covered);
    assert_eq!(s.0.gaps, s.1.gaps);
    assert_eq!(s.0.coverage, s.1.coverage);
    assert_eq!(s.0.weighted_coverage, s.1.weighted_coverage);
    assert_eq!(s.0.pair_coverage, s.1.pair_coverage);
    assert_eq!(s.0.pairs_by_state, s.1.pairs_by_state);
    // A gap mitigated on every asset it is on loses the mitigation weight (0.2) of its
    // score: T1110.003 (Password Spraying) is open on linux-servers and m365 (high, high).
    let all = bank(append(
        "mitigations:\n  - {mitigation: Multi-factor Authentication, assets: all}\n",
    ));
    let (b, a) = (gap(&before, "T1110.003"), gap(&all, "T1110.003"));
    assert_eq!(a.factors.mitigated, 1.0);
    assert!(
        (a.score - b.score * 0.8).abs() <= 0.1,
        "{} → {}",
        b.score,
        a.score
    );
}

#[test]
fn plan_weights_change_scores_and_bad_weights_are_diagnosed() {
    let before = bank(same);
    let heavier = bank(|t: &str| {
        t.replacen(
            "plan:\n",
            "plan:\n  weights: {actors: 0.5, criticality: 0.1, prevalence: 0.1, choke_point: 0.1, actionability: 0.1, kill_chain: 0.1}\n",
            1,
        )
    });
    assert_eq!(heavier.settings.weights.actors, 0.5);
    assert!(changed(&before, &heavier).len() > 100);
    // Weights that do not sum to 1 are divided by their sum, with a warning: doubling
    // every weight changes nothing.
    let mut m = InlineModel::bank(|text| {
        text.replacen(
            "plan:\n",
            "plan:\n  weights: {actors: 0.6, criticality: 0.3, prevalence: 0.4, choke_point: 0.3, actionability: 0.2, kill_chain: 0.2}\n",
            1,
        )
    });
    let (r, warnings) = m.resolve().unwrap();
    assert!(common::codes(&warnings).contains(&"weights-normalised"));
    assert!((r.plan.weights.actors - 0.3).abs() < 1e-12);
    // A negative weight, an unknown key, an all-zero set: errors at the weight's line.
    for (weights, code, line) in [
        ("{actors: -0.1}", "invalid-weights", "actors"),
        ("{intel: 2}", "invalid-weights", "intel"),
        ("{actors: .nan}", "yaml-syntax", "nan"),
        (
            "{actors: 0, criticality: 0, prevalence: 0, choke_point: 0, actionability: 0, kill_chain: 0}",
            "invalid-weights",
            "",
        ),
    ] {
        let errs = bank_with(|t: &str| {
            t.replacen("plan:\n", &format!("plan:\n  weights: {weights}\n"), 1)
        })
        .err()
        .unwrap_or_else(|| panic!("{weights} resolves"));
        assert!(
            errs.iter().any(|(c, m)| c == code && m.contains(line)),
            "{weights}: {errs:?}"
        );
    }
    let errs = bank_with(|t: &str| t.replacen("plan:\n", "plan:\n  weights: {actor: 0.3}\n", 1));
    assert!(errs.is_err(), "an unknown key is an error");
}

#[test]
fn bad_intel_and_mitigations_are_diagnosed() {
    let errs = bank_with(append(
        "intel:\n  - {technique: Kerberoastng, date: 2026-02-30, source: incident}\nmitigations:\n  - {mitigation: M1o26}\n",
    ))
    .unwrap_err();
    let codes: Vec<&str> = errs.iter().map(|(c, _)| c.as_str()).collect();
    assert!(codes.contains(&"bad-technique-id"), "{errs:?}");
    assert!(codes.contains(&"invalid-date"), "{errs:?}");
    assert!(codes.contains(&"unknown-mitigation"), "{errs:?}");
}

#[test]
fn sensitivity_names_the_gaps_that_change_tier() {
    let a = bank(same);
    let s = &a.sensitivity;
    assert!(s.line.starts_with("Moving any weight by ±0.05 moves "));
    // Each named shift is real: re-scoring with the moved weight gives the other tier.
    for shift in &s.shifts {
        let g = gap(&a, &shift.technique);
        assert_eq!(g.tier, shift.tier);
        for m in &shift.moves {
            assert_ne!(m.tier, g.tier);
        }
    }
    // Deterministic.
    assert_eq!(bank(same).sensitivity, a.sensitivity);
}

#[test]
fn recency_decays_the_actors_evidence_by_its_date() {
    use threatc::analysis::recency::{recency, RECENCY_HALF_LIFE_DAYS};
    use threatc::date::Date;
    let as_of = Date::parse("2026-11-15").unwrap();
    assert_eq!(recency(None, as_of), 1.0);
    assert_eq!(recency(Some(as_of), as_of), 1.0);
    let one = as_of.add_days(-i64::from(RECENCY_HALF_LIFE_DAYS));
    assert_eq!(recency(Some(one), as_of), 0.75);
    assert!((recency(Some(as_of.add_days(-40_000)), as_of) - 0.5).abs() < 1e-6);
    let a = bank(same);
    let catalog = InlineModel::catalog();
    let mut campaigns = 0;
    for g in a.gaps.iter() {
        assert_eq!(
            g.factors.recency_from.len(),
            g.actors.len(),
            "{}",
            g.technique
        );
        assert!((0.5..=1.0).contains(&g.factors.recency), "{}", g.technique);
        for r in &g.factors.recency_from {
            assert_eq!(r.factor, threatc::analysis::r4(recency(r.date, as_of)));
            if let Some(id) = r.source.strip_prefix("campaign ") {
                campaigns += 1;
                let seen = catalog.campaign(id).unwrap().last_seen.clone().unwrap();
                assert_eq!(r.date.unwrap().to_string(), seen[..10]);
            }
            if let Some(id) = r.source.strip_prefix("group ") {
                let u = catalog.group(id).unwrap();
                let used = u
                    .techniques
                    .iter()
                    .find(|x| x.technique == g.technique)
                    .unwrap();
                assert_eq!(
                    r.date.map(|d| d.to_string()),
                    used.reported.as_deref().map(str::to_string),
                    "{} {id}",
                    g.technique
                );
            }
        }
    }
    assert!(campaigns > 0, "some gaps rest on campaigns");
    // FIN7's `add: [T1486]` is the model's own statement: it counts in full.
    let t1486 = gap(&a, "T1486");
    let fin7 = t1486
        .factors
        .recency_from
        .iter()
        .find(|r| r.actor == "fin7")
        .unwrap();
    assert_eq!((fin7.source.as_str(), fin7.factor), ("local", 1.0));
}
