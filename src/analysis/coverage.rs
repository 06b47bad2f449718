//! Coverage per actor, per tactic and per asset, the headline figures, the
//! out-of-scope list and the rule list as reported.

use super::priority::criticality_value;
use super::State;
use super::{
    share, wshare, ActorCoverage, AssetCoverage, Gap, OutOfScope, RuleRow, Summary, TacticCoverage,
    TargetStatus, TechniqueRow,
};
use crate::catalog::Catalog;
use crate::resolve::{ActorKind, Resolved};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// covered / in scope, and the same weighted by threat weight, over `rows` with
/// `covered` deciding what counts as covered.
fn shares(rows: &[&TechniqueRow], covered: impl Fn(&TechniqueRow) -> bool) -> (usize, f64, f64) {
    let n = rows.iter().filter(|r| covered(r)).count();
    let w: f64 = rows.iter().map(|r| r.threat_weight).sum();
    let wc: f64 = rows
        .iter()
        .filter(|r| covered(r))
        .map(|r| r.threat_weight)
        .sum();
    (n, share(n, rows.len()), wshare(wc, w))
}

/// Per actor: its in-scope techniques, how many are covered, its gaps by rank.
pub(super) fn per_actor(
    model: &Resolved,
    rows: &[TechniqueRow],
    gaps: &[Gap],
) -> Vec<ActorCoverage> {
    let row_of: HashMap<&str, &TechniqueRow> = rows.iter().map(|r| (r.id.as_str(), r)).collect();
    let rank_of: HashMap<&str, usize> = gaps
        .iter()
        .map(|g| (g.technique.as_str(), g.rank))
        .collect();
    model
        .actors
        .iter()
        .map(|a| {
            let in_scope: Vec<&TechniqueRow> = a
                .techniques
                .keys()
                .filter_map(|t| row_of.get(t.as_str()).copied())
                .filter(|r| r.in_scope)
                .collect();
            let covered = in_scope.iter().filter(|r| r.covered).count();
            let mut gaps: Vec<&str> = in_scope
                .iter()
                .filter(|r| !r.covered)
                .map(|r| r.id.as_str())
                .collect();
            gaps.sort_by_key(|g| rank_of.get(g).copied().unwrap_or(usize::MAX));
            ActorCoverage {
                id: a.id.clone(),
                name: a.name.clone(),
                group_id: match &a.kind {
                    ActorKind::Group { group_id, .. } => Some(group_id.clone()),
                    ActorKind::Custom => None,
                },
                weight: a.weight,
                software: a.software,
                techniques: a.techniques.len(),
                in_scope: in_scope.len(),
                covered,
                coverage: share(covered, in_scope.len()),
                gaps: gaps.into_iter().map(str::to_string).collect(),
            }
        })
        .collect()
}

/// Per tactic of the matrix (deprecated ones left out), in matrix order.
pub(super) fn per_tactic(catalog: &Catalog, rows: &[TechniqueRow]) -> Vec<TacticCoverage> {
    catalog
        .tactics
        .iter()
        .filter(|t| !t.deprecated)
        .map(|t| {
            let under: Vec<&TechniqueRow> = rows
                .iter()
                .filter(|r| r.in_scope && r.tactics.iter().any(|x| *x == t.shortname))
                .collect();
            let (covered, coverage, weighted_coverage) = shares(&under, |r| r.covered);
            TacticCoverage {
                id: t.id.to_string(),
                shortname: t.shortname.to_string(),
                name: t.name.to_string(),
                in_scope: under.len(),
                covered,
                coverage,
                weighted_coverage,
            }
        })
        .collect()
}

/// Per asset: covered by a counting rule that applies to this asset (the assets it
/// names, the platforms it runs on).
pub(super) fn per_asset(model: &Resolved, rows: &[TechniqueRow]) -> Vec<AssetCoverage> {
    model
        .assets
        .iter()
        .map(|a| {
            let under: Vec<&TechniqueRow> =
                rows.iter().filter(|r| r.assets.contains(&a.id)).collect();
            let covered_here = |r: &TechniqueRow| r.covered_on.contains(&a.id);
            let (covered, coverage, weighted_coverage) = shares(&under, covered_here);
            let by_state = count_states(
                under
                    .iter()
                    .flat_map(|r| r.states.iter().filter(|s| s.asset == a.id).map(|s| s.state)),
            );
            let validated = by_state.get(&State::Validated).copied().unwrap_or(0);
            AssetCoverage {
                id: a.id.clone(),
                name: a.name.clone(),
                criticality: a.criticality,
                platforms: a.platforms.clone(),
                collects: a.collects.clone(),
                in_scope: under.len(),
                covered,
                coverage,
                weighted_coverage,
                by_state,
                validated: share(validated, under.len()),
            }
        })
        .collect()
}

/// How many of some states there are of each (every state, lowest first).
fn count_states(states: impl Iterator<Item = State>) -> BTreeMap<State, usize> {
    let mut out: BTreeMap<State, usize> = State::ALL.iter().map(|s| (*s, 0)).collect();
    for s in states {
        *out.entry(s).or_insert(0) += 1;
    }
    out
}

/// The pair figures: in-scope (technique, asset) pairs, per state, and the
/// criticality-weighted shares at detected or above and validated.
struct Pairs {
    pairs: usize,
    by_state: BTreeMap<State, usize>,
    coverage: f64,
    validated: f64,
}

fn pairs(model: &Resolved, rows: &[TechniqueRow]) -> Pairs {
    let weight: HashMap<&str, f64> = model
        .assets
        .iter()
        .map(|a| (a.id.as_str(), criticality_value(a.criticality)))
        .collect();
    let all: Vec<(f64, State)> = rows
        .iter()
        .filter(|r| r.in_scope)
        .flat_map(|r| r.states.iter())
        .map(|s| {
            (
                weight.get(s.asset.as_str()).copied().unwrap_or(0.0),
                s.state,
            )
        })
        .collect();
    let total: f64 = all.iter().map(|(w, _)| w).sum();
    let at = |least: State| -> f64 {
        all.iter()
            .filter(|(_, s)| *s >= least)
            .map(|(w, _)| w)
            .sum()
    };
    Pairs {
        pairs: all.len(),
        by_state: count_states(all.iter().map(|(_, s)| *s)),
        coverage: wshare(at(State::Detected), total),
        validated: wshare(at(State::Validated), total),
    }
}

/// Threat techniques none of whose platforms the assets have.
pub(super) fn out_of_scope(rows: &[TechniqueRow]) -> Vec<OutOfScope> {
    rows.iter()
        .filter(|r| !r.in_scope)
        .map(|r| OutOfScope {
            technique: r.id.clone(),
            name: r.name.clone(),
            platforms: r.platforms.clone(),
            actors: r.actors.iter().map(|a| a.id.clone()).collect(),
        })
        .collect()
}

/// The headline figures.
pub(super) fn summary(
    model: &Resolved,
    rows: &[TechniqueRow],
    gaps: &[Gap],
    targets: &[TargetStatus],
    out_of_scope: usize,
) -> Summary {
    let counting = &model.coverage.count;
    let in_scope: Vec<&TechniqueRow> = rows.iter().filter(|r| r.in_scope).collect();
    let (covered, coverage, weighted_coverage) = shares(&in_scope, |r| r.covered);
    let p = pairs(model, rows);
    let mut gaps_by_tier = BTreeMap::new();
    for t in ["P1", "P2", "P3"] {
        gaps_by_tier.insert(
            t.to_string(),
            gaps.iter().filter(|g| g.tier.as_str() == t).count(),
        );
    }
    let detected: BTreeSet<&str> = model
        .rules
        .iter()
        .filter(|r| counting.contains(&r.status))
        .flat_map(|r| r.techniques.iter().map(String::as_str))
        .collect();
    Summary {
        threat_techniques: rows.len(),
        in_scope: in_scope.len(),
        covered,
        gaps: gaps.len(),
        out_of_scope,
        coverage,
        weighted_coverage,
        pairs: p.pairs,
        pairs_by_state: p.by_state,
        pair_coverage: p.coverage,
        pair_validated: p.validated,
        tests: model.evidence.len()
            + model
                .rules
                .iter()
                .map(|r| r.validations.len())
                .sum::<usize>(),
        tests_stale: model.evidence.iter().filter(|e| e.stale).count()
            + model
                .rules
                .iter()
                .flat_map(|r| &r.validations)
                .filter(|v| v.stale)
                .count(),
        gaps_by_tier,
        rules: model.rules.len(),
        rules_counting: model
            .rules
            .iter()
            .filter(|r| counting.contains(&r.status))
            .count(),
        techniques_detected: detected.len(),
        rules_unscoped: model.rules.iter().filter(|r| r.unscoped.is_some()).count(),
        undeclared_platforms: undeclared_platforms(model, rows),
        accepted: 0,
        transferred: 0,
        targets_met: targets.iter().filter(|t| t.met).count(),
        targets: targets.len(),
    }
}

/// The rules, each with whether its status counts.
pub(super) fn rule_rows(model: &Resolved) -> Vec<RuleRow> {
    model
        .rules
        .iter()
        .map(|r| RuleRow {
            id: r.id.clone(),
            name: r.name.clone(),
            status: r.status,
            counts: model.coverage.count.contains(&r.status),
            techniques: r.techniques.clone(),
            assets: r.assets.clone(),
            platforms: r.platforms.clone(),
            data_components: r.data_components.clone(),
            level: r.level.clone(),
            unscoped: r.unscoped,
            blind_on: model
                .assets
                .iter()
                .filter(|a| r.reaches(a))
                .filter_map(|a| {
                    let missing = r.blind_on(a);
                    (!missing.is_empty()).then(|| super::BlindOn {
                        asset: a.id.clone(),
                        missing: missing.into_iter().map(str::to_string).collect(),
                    })
                })
                .collect(),
            validations: r.validations.clone(),
            source: r.source.clone(),
        })
        .collect()
}

/// Platforms threat techniques name that no asset declares, with the number of threat
/// techniques naming each (nothing without assets, or with an asset without platforms,
/// which takes every technique).
fn undeclared_platforms(model: &Resolved, rows: &[TechniqueRow]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    if model.assets.is_empty() || model.assets.iter().any(|a| a.platforms.is_empty()) {
        return out;
    }
    let declared: BTreeSet<&str> = model
        .assets
        .iter()
        .flat_map(|a| a.platforms.iter().map(String::as_str))
        .collect();
    for r in rows {
        for p in &r.platforms {
            if !declared.contains(p.as_str()) {
                *out.entry(p.clone()).or_insert(0) += 1;
            }
        }
    }
    out
}
