//! Gaps and their priority: [`score`] is the README's formula on plain factors (no
//! catalog, no model); [`gaps`] gathers each gap's factors and ranks the gaps.

use super::{r1, r4, Factors, Gap, RuleRef, TechniqueRow, Tier};
use crate::catalog::Catalog;
use crate::resolve::{Criticality, Resolved};
use std::collections::HashMap;

/// Weights of the priority score's factors (they sum to 1). See README, "Priority score".
pub const W_ACTORS: f64 = 0.40;
/// Weight of asset criticality.
pub const W_CRITICALITY: f64 = 0.25;
/// Weight of prevalence across ATT&CK groups.
pub const W_PREVALENCE: f64 = 0.20;
/// Weight of kill-chain position.
pub const W_KILL_CHAIN: f64 = 0.15;
/// Score at or above which a gap is P1.
pub const P1_MIN: f64 = 75.0;
/// Score at or above which a gap is P2.
pub const P2_MIN: f64 = 60.0;

/// Numeric factor of a criticality (low 1 … critical 4).
pub fn criticality_value(c: Criticality) -> f64 {
    match c {
        Criticality::Low => 1.0,
        Criticality::Medium => 2.0,
        Criticality::High => 3.0,
        Criticality::Critical => 4.0,
    }
}

/// Actor weight at which an actor alone makes the actors factor 0.5 (see [`actors_factor`]).
pub const ACTOR_HALF_WEIGHT: f64 = 2.0;

/// The actors factor of a technique whose actors' weights sum to `threat_weight`: the
/// noisy-or of the actors, each of weight `w` counting as an independent chance
/// `1 − 2^(−w/2)` that the technique is used against the organisation, which is
/// `1 − 2^(−Σw/2)`. Absolute: it depends only on the weights of the actors that use the
/// technique, never on the model's other actors (weight 2 → 0.5, 4 → 0.75, 6 → 0.875).
pub fn actors_factor(threat_weight: f64) -> f64 {
    if !threat_weight.is_finite() || threat_weight <= 0.0 {
        return 0.0;
    }
    1.0 - (-threat_weight / ACTOR_HALF_WEIGHT).exp2()
}

/// The factors of a priority score, each 0–1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inputs {
    /// [`actors_factor`] of the summed weight of the actors using the technique.
    pub actors: f64,
    /// Highest criticality of the assets it is uncovered on / 4 (0.5 without assets).
    pub criticality: f64,
    /// Groups of the domain using it / the most any technique has.
    pub prevalence: f64,
    /// 1 for the first tactic of the matrix down to 0.5 for the last.
    pub kill_chain: f64,
}

/// A priority score (0–100, one decimal) and its tier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// The score.
    pub score: f64,
    /// P1 at or above [`P1_MIN`], P2 at or above [`P2_MIN`], else P3.
    pub tier: Tier,
}

/// `100 × (0.40 actors + 0.25 criticality + 0.20 prevalence + 0.15 kill chain)`, rounded
/// to one decimal, and its tier.
pub fn score(i: Inputs) -> Score {
    let score = r1(100.0
        * (W_ACTORS * i.actors
            + W_CRITICALITY * i.criticality
            + W_PREVALENCE * i.prevalence
            + W_KILL_CHAIN * i.kill_chain));
    Score {
        score,
        tier: tier(score),
    }
}

/// The tier of a score.
pub fn tier(score: f64) -> Tier {
    if score >= P1_MIN {
        Tier::P1
    } else if score >= P2_MIN {
        Tier::P2
    } else {
        Tier::P3
    }
}

/// The kill-chain factor of the earliest tactic position `first` (0-based) in a matrix
/// of `n_tactics` (at least 2): 1 for the first, 0.5 for the last.
pub fn kill_chain(first: usize, n_tactics: usize) -> f64 {
    1.0 - 0.5 * first as f64 / (n_tactics - 1) as f64
}

/// What the factors of every gap need from the catalog and the model.
struct Context<'a> {
    model: &'a Resolved,
    catalog: &'a Catalog,
    max_prevalence: usize,
    tactic_pos: HashMap<&'a str, usize>,
    n_tactics: usize,
}

impl Context<'_> {
    fn inputs(&self, r: &TechniqueRow) -> (Inputs, usize) {
        // The assets the gap is on: a gap covered on the workstations but not on the
        // SWIFT servers weighs as a SWIFT-server gap.
        let on: &[String] = if r.uncovered_on.is_empty() {
            &r.assets
        } else {
            &r.uncovered_on
        };
        let criticality = if self.model.assets.is_empty() {
            0.5
        } else {
            self.model
                .assets
                .iter()
                .filter(|a| on.contains(&a.id))
                .map(|a| criticality_value(a.criticality))
                .fold(0.0, f64::max)
                / 4.0
        };
        let groups_using = self.catalog.group_prevalence(&r.id);
        let first = r
            .tactics
            .iter()
            .filter_map(|t| self.tactic_pos.get(t.as_str()))
            .min()
            .copied()
            .unwrap_or(self.n_tactics - 1);
        let inputs = Inputs {
            actors: actors_factor(r.threat_weight),
            criticality,
            prevalence: groups_using as f64 / self.max_prevalence as f64,
            kill_chain: kill_chain(first, self.n_tactics),
        };
        (inputs, groups_using)
    }

    fn gap(&self, r: &TechniqueRow) -> Gap {
        let (i, groups_using) = self.inputs(r);
        let Score { score, tier } = score(i);
        let days = self
            .model
            .plan
            .due_days
            .get(tier.index())
            .copied()
            .unwrap_or(90);
        // Rules covering it on some of its assets are partial coverage of the gap.
        let mut partial: Vec<RuleRef> = r.rules.clone();
        partial.extend(r.partial.iter().cloned());
        partial.truncate(crate::analysis::PARTIAL_SHOWN);
        let partial_total = r.rules.len() + r.partial_total;
        Gap {
            rank: 0,
            technique: r.id.clone(),
            name: r.name.clone(),
            tactics: r.tactics.clone(),
            actors: r.actors.clone(),
            assets: r.assets.clone(),
            covered_on: r.covered_on.clone(),
            uncovered_on: r.uncovered_on.clone(),
            states: r.states.clone(),
            score,
            factors: Factors {
                actors: r4(i.actors),
                criticality: r4(i.criticality),
                prevalence: r4(i.prevalence),
                groups_using,
                kill_chain: r4(i.kill_chain),
            },
            tier,
            due: self
                .model
                .meta
                .assessed
                .map(|d| d.add_days(i64::from(days))),
            partial,
            partial_total,
            candidates: Vec::new(),
            decision: None,
            note: self.model.plan.notes.get(&r.id).cloned(),
        }
    }
}

/// The in-scope techniques no rule covers, scored and ranked (highest score first,
/// then by id).
/// The tactics of the matrix in order, without deprecated ones.
fn live_tactics(catalog: &Catalog) -> impl Iterator<Item = &crate::catalog::Tactic> {
    catalog.tactics.iter().filter(|t| !t.deprecated)
}

pub(super) fn gaps(model: &Resolved, catalog: &Catalog, rows: &[TechniqueRow]) -> Vec<Gap> {
    let cx = Context {
        model,
        catalog,
        max_prevalence: catalog
            .active_techniques()
            .map(|t| catalog.group_prevalence(&t.id))
            .max()
            .unwrap_or(0)
            .max(1),
        // Deprecated tactics (Mobile's Network Effects and Remote Service Effects) are
        // no longer in the matrix: they take no position, so the last live tactic is 0.5.
        tactic_pos: live_tactics(catalog)
            .enumerate()
            .map(|(i, t)| (t.shortname.as_str(), i))
            .collect(),
        n_tactics: live_tactics(catalog).count().max(2),
    };
    let mut gaps: Vec<Gap> = rows
        .iter()
        .filter(|r| r.in_scope && !r.covered)
        .map(|r| cx.gap(r))
        .collect();
    gaps.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.technique.cmp(&b.technique))
    });
    for (i, g) in gaps.iter_mut().enumerate() {
        g.rank = i + 1;
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(actors: f64, criticality: f64, prevalence: f64, kill_chain: f64) -> Inputs {
        Inputs {
            actors,
            criticality,
            prevalence,
            kill_chain,
        }
    }

    #[test]
    fn weights_sum_to_one() {
        let sum = W_ACTORS + W_CRITICALITY + W_PREVALENCE + W_KILL_CHAIN;
        assert!((sum - 1.0).abs() < 1e-12);
    }

    #[test]
    fn all_factors_at_one_score_100() {
        assert_eq!(score(inputs(1.0, 1.0, 1.0, 1.0)).score, 100.0);
        assert_eq!(score(inputs(0.0, 0.0, 0.0, 0.0)).score, 0.0);
    }

    #[test]
    fn each_factor_weighs_as_documented() {
        assert_eq!(score(inputs(1.0, 0.0, 0.0, 0.0)).score, 40.0);
        assert_eq!(score(inputs(0.0, 1.0, 0.0, 0.0)).score, 25.0);
        assert_eq!(score(inputs(0.0, 0.0, 1.0, 0.0)).score, 20.0);
        assert_eq!(score(inputs(0.0, 0.0, 0.0, 1.0)).score, 15.0);
    }

    #[test]
    fn tier_boundaries_are_inclusive() {
        // 40 + 25 + 10 = 75: exactly P1.
        assert_eq!(
            score(inputs(1.0, 1.0, 0.5, 0.0)),
            Score {
                score: 75.0,
                tier: Tier::P1
            }
        );
        // 40 + 20 = 60: exactly P2.
        assert_eq!(
            score(inputs(1.0, 0.0, 1.0, 0.0)),
            Score {
                score: 60.0,
                tier: Tier::P2
            }
        );
        assert_eq!(tier(75.0), Tier::P1);
        assert_eq!(tier(74.9), Tier::P2);
        assert_eq!(tier(60.0), Tier::P2);
        assert_eq!(tier(59.9), Tier::P3);
        assert_eq!(tier(0.0), Tier::P3);
    }

    #[test]
    fn score_rounds_to_one_decimal_before_the_tier() {
        // 40 + 25 + 20 × 0.4999 = 74.998, rounded to 75.0: the tier is the rounded score's.
        let s = score(inputs(1.0, 1.0, 0.4999, 0.0));
        assert_eq!(s.score, 75.0);
        assert_eq!(s.tier, Tier::P1);
    }

    #[test]
    fn kill_chain_runs_from_one_to_a_half() {
        assert_eq!(kill_chain(0, 14), 1.0);
        assert_eq!(kill_chain(13, 14), 0.5);
        assert_eq!(kill_chain(1, 3), 0.75);
    }

    #[test]
    fn actors_factor_is_a_noisy_or_of_absolute_weights() {
        assert_eq!(actors_factor(0.0), 0.0);
        assert_eq!(actors_factor(-1.0), 0.0);
        assert_eq!(actors_factor(f64::NAN), 0.0);
        assert_eq!(actors_factor(2.0), 0.5);
        assert_eq!(actors_factor(4.0), 0.75);
        // Two actors of weight 2 and 3 = the noisy-or of each alone.
        let (a, b) = (actors_factor(2.0), actors_factor(3.0));
        assert!((actors_factor(5.0) - (1.0 - (1.0 - a) * (1.0 - b))).abs() < 1e-12);
        assert!(actors_factor(1000.0) <= 1.0);
    }

    #[test]
    fn criticality_values() {
        assert_eq!(criticality_value(Criticality::Low) / 4.0, 0.25);
        assert_eq!(criticality_value(Criticality::Critical) / 4.0, 1.0);
    }
}
