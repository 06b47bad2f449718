//! Gaps and their priority: [`score`] is the README's formula on plain factors (no
//! catalog, no model); [`gaps`] gathers each gap's factors and ranks the gaps.

use super::{ctid, own_factors, r1, r4, recency, Factors, Gap, RuleRef, TechniqueRow, Tier};
use crate::catalog::Catalog;
use crate::resolve::{Criticality, Resolved};
use std::collections::HashMap;

/// Default weight of the actors factor. The weights sum to 1; see README, "Priority score".
pub const W_ACTORS: f64 = 0.30;
/// Default weight of asset criticality.
pub const W_CRITICALITY: f64 = 0.15;
/// Default weight of observed prevalence (CTID Sightings).
pub const W_PREVALENCE: f64 = 0.20;
/// Default weight of the choke point (CTID).
pub const W_CHOKE_POINT: f64 = 0.15;
/// Default weight of actionability (ATT&CK analytics and mitigations).
pub const W_ACTIONABILITY: f64 = 0.10;
/// Default weight of kill-chain position.
pub const W_KILL_CHAIN: f64 = 0.10;
/// Default weight of the organisation's intelligence (`intel:`): a fresh entry adds
/// 100 × this many points. Apart from the six base weights (not normalised).
pub const W_INTEL: f64 = 0.20;
/// Default weight of mitigations in place (`mitigations:`): a gap mitigated on every
/// asset it is on loses this share of its score. Apart from the base weights.
pub const W_MITIGATION: f64 = 0.20;

/// The weights of the factors.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Weights {
    /// Actors.
    pub actors: f64,
    /// Criticality.
    pub criticality: f64,
    /// Prevalence.
    pub prevalence: f64,
    /// Choke point.
    pub choke_point: f64,
    /// Actionability.
    pub actionability: f64,
    /// Kill chain.
    pub kill_chain: f64,
    /// The organisation's intelligence: points per 100 a fresh `intel:` entry adds.
    pub intel: f64,
    /// Mitigations in place: the share of the score a full mitigation takes off.
    pub mitigation: f64,
}

impl Weights {
    /// The six base weights in order (actors, criticality, prevalence, choke point,
    /// actionability, kill chain), with their names as `plan.weights` writes them.
    pub fn base(&self) -> [(&'static str, f64); 6] {
        [
            ("actors", self.actors),
            ("criticality", self.criticality),
            ("prevalence", self.prevalence),
            ("choke_point", self.choke_point),
            ("actionability", self.actionability),
            ("kill_chain", self.kill_chain),
        ]
    }

    /// These weights with the base weights replaced by `base` (same order as [`Weights::base`]).
    pub fn with_base(&self, base: [f64; 6]) -> Weights {
        let [actors, criticality, prevalence, choke_point, actionability, kill_chain] = base;
        Weights {
            actors,
            criticality,
            prevalence,
            choke_point,
            actionability,
            kill_chain,
            ..*self
        }
    }
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            actors: W_ACTORS,
            criticality: W_CRITICALITY,
            prevalence: W_PREVALENCE,
            choke_point: W_CHOKE_POINT,
            actionability: W_ACTIONABILITY,
            kill_chain: W_KILL_CHAIN,
            intel: W_INTEL,
            mitigation: W_MITIGATION,
        }
    }
}

/// Score at or above which a gap is P1.
pub const P1_MIN: f64 = 70.0;
/// Score at or above which a gap is P2.
pub const P2_MIN: f64 = 55.0;

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
    /// √ of CTID's observed prevalence (Sightings 2019–2021).
    pub prevalence: f64,
    /// CTID's choke-point score.
    pub choke_point: f64,
    /// How actionable: ATT&CK analytics for the gap's platforms and mitigations.
    pub actionability: f64,
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

/// `100 × Σ weight × factor`, rounded to one decimal, and its tier (the default weights:
/// `0.30 actors + 0.15 criticality + 0.20 prevalence + 0.15 choke point + 0.10
/// actionability + 0.10 kill chain`).
pub fn score(i: Inputs, w: &Weights) -> Score {
    score_with(i, Adjust::default(), w)
}

/// The organisation's own factors, which adjust the base score (0–1 each).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Adjust {
    /// Intelligence (`intel:`): the noisy-or of its entries' decayed weights.
    pub intel: f64,
    /// Mitigations in place (`mitigations:`): the criticality-weighted share of the gap's
    /// assets on which one mitigates the technique.
    pub mitigated: f64,
}

/// The base score `Σ weight × factor` (0–1) before the organisation's own factors.
fn base(i: Inputs, w: &Weights) -> f64 {
    w.actors * i.actors
        + w.criticality * i.criticality
        + w.prevalence * i.prevalence
        + w.choke_point * i.choke_point
        + w.actionability * i.actionability
        + w.kill_chain * i.kill_chain
}

/// `100 × min(1, base + w_intel × intel) × (1 − w_mitigation × mitigated)`, rounded to
/// one decimal, and its tier: intelligence adds up to `100 × w_intel` points, mitigations
/// in place take up to the share `w_mitigation` off.
pub fn score_with(i: Inputs, a: Adjust, w: &Weights) -> Score {
    let raised = (base(i, w) + w.intel * a.intel.clamp(0.0, 1.0)).min(1.0);
    let score = r1(100.0 * raised * (1.0 - w.mitigation * a.mitigated.clamp(0.0, 1.0)));
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

/// Analytics (for the gap's platforms) at which detection is fully actionable.
pub const ACTIONABLE_ANALYTICS: usize = 4;
/// Mitigations at which mitigation is fully actionable.
pub const ACTIONABLE_MITIGATIONS: usize = 4;

/// The actionability factor: half detection (analytics for the gap's platforms, with the
/// model's candidate rules for them, full at [`ACTIONABLE_ANALYTICS`]), half mitigation (mitigations, full at
/// [`ACTIONABLE_MITIGATIONS`]), after CTID's detection and mitigation parts.
pub fn actionability(analytics: usize, mitigations: usize) -> f64 {
    let part = |n: usize, full: usize| (n.min(full)) as f64 / full as f64;
    0.5 * part(analytics, ACTIONABLE_ANALYTICS) + 0.5 * part(mitigations, ACTIONABLE_MITIGATIONS)
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
    ctid: ctid::Ctid,
    weights: Weights,
    tactic_pos: HashMap<&'a str, usize>,
    n_tactics: usize,
    /// Candidate rules per technique, when the model names candidate libraries.
    candidates: Option<super::candidates::Counter<'a>>,
}

impl Context<'_> {
    /// The assets the gap is on: a gap covered on the workstations but not on the SWIFT
    /// servers weighs as a workstation gap.
    fn on<'r>(&self, r: &'r TechniqueRow) -> &'r [String] {
        if r.uncovered_on.is_empty() {
            &r.assets
        } else {
            &r.uncovered_on
        }
    }

    fn criticality(&self, on: &[String]) -> f64 {
        if self.model.assets.is_empty() {
            return 0.5;
        }
        self.model
            .assets
            .iter()
            .filter(|a| on.contains(&a.id))
            .map(|a| criticality_value(a.criticality))
            .fold(0.0, f64::max)
            / 4.0
    }

    /// Analytics of the technique's detection strategies for the platforms of the assets
    /// the gap is on (all its analytics when those assets name no platform), its
    /// mitigations, and the candidate rules that run on those assets (None without
    /// `candidates:`).
    fn actionability(&self, r: &TechniqueRow, on: &[String]) -> (usize, usize, Option<usize>) {
        let candidates = self.candidates.as_ref().map(|c| c.count(&r.id, on));
        let platforms: Vec<&str> = self
            .model
            .assets
            .iter()
            .filter(|a| on.contains(&a.id))
            .flat_map(|a| a.platforms.iter().map(String::as_str))
            .collect();
        let Some(t) = self.catalog.technique(&r.id) else {
            return (0, 0, candidates);
        };
        let analytics = t
            .detection_strategies
            .iter()
            .filter_map(|d| self.catalog.detection_strategy(d))
            .flat_map(|d| d.analytics.iter())
            .filter_map(|a| self.catalog.analytic(a))
            .filter(|a| {
                platforms.is_empty() || a.platforms.iter().any(|p| platforms.contains(&p.as_str()))
            })
            .count();
        (analytics, t.mitigations.len(), candidates)
    }

    fn factors(&self, r: &TechniqueRow) -> (Inputs, Adjust, Factors) {
        let on = self.on(r);
        let criticality = self.criticality(on);
        let first = r
            .tactics
            .iter()
            .filter_map(|t| self.tactic_pos.get(t.as_str()))
            .min()
            .copied()
            .unwrap_or(self.n_tactics - 1);
        let ctid = self.ctid.get(self.catalog, &r.id);
        let (prevalence, choke_point) = match &ctid {
            Some(c) => (c.prevalence.sqrt(), c.choke_point),
            None => (ctid::DEFAULT_PREVALENCE, ctid::DEFAULT_CHOKE_POINT),
        };
        let (analytics, mitigations, candidate_rules) = self.actionability(r, on);
        let (intel, intel_refs) = own_factors::intel(self.model, &r.id, on);
        let (mitigated, mitigated_by) = own_factors::mitigated(self.model, self.catalog, &r.id, on);
        let adjust = Adjust { intel, mitigated };
        let (recent_weight, recency_from) =
            recency::weigh(self.model, self.catalog, &r.id, &r.actors);
        let inputs = Inputs {
            actors: actors_factor(recent_weight),
            criticality,
            prevalence,
            choke_point,
            actionability: actionability(analytics + candidate_rules.unwrap_or(0), mitigations),
            kill_chain: kill_chain(first, self.n_tactics),
        };
        let factors = Factors {
            actors: r4(inputs.actors),
            criticality: r4(inputs.criticality),
            prevalence: r4(inputs.prevalence),
            groups_using: self.catalog.group_prevalence(&r.id),
            choke_point: r4(inputs.choke_point),
            prevalence_ctid: ctid.as_ref().map(|c| c.prevalence_source.clone()),
            ctid: ctid.map(|c| c.source),
            actionability: r4(inputs.actionability),
            analytics,
            mitigations,
            candidate_rules,
            kill_chain: r4(inputs.kill_chain),
            recency: if r.threat_weight > 0.0 {
                r4(recent_weight / r.threat_weight)
            } else {
                1.0
            },
            recency_from,
            intel: r4(intel),
            intel_from: intel_refs,
            mitigated: r4(mitigated),
            mitigated_by,
        };
        (inputs, adjust, factors)
    }

    fn gap(&self, r: &TechniqueRow) -> Gap {
        let (i, adjust, factors) = self.factors(r);
        let Score { score, tier } = score_with(i, adjust, &self.weights);
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
            factors,
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
            schedule: Default::default(),
            note: self.model.plan.notes.get(&r.id).cloned(),
            inputs: (i, adjust),
        }
    }
}

/// The in-scope techniques no rule covers, scored and ranked (highest score first,
/// then by id).
/// The tactics of the matrix in order, without deprecated ones.
fn live_tactics(catalog: &Catalog) -> impl Iterator<Item = &crate::catalog::Tactic> {
    catalog.tactics.iter().filter(|t| !t.deprecated)
}

pub(super) fn gaps(
    model: &Resolved,
    catalog: &Catalog,
    rows: &[TechniqueRow],
    ctid: ctid::Ctid,
) -> Vec<Gap> {
    let cx = Context {
        model,
        catalog,
        ctid,
        weights: model.plan.weights,
        // Deprecated tactics (Mobile's Network Effects and Remote Service Effects) are
        // no longer in the matrix: they take no position, so the last live tactic is 0.5.
        tactic_pos: live_tactics(catalog)
            .enumerate()
            .map(|(i, t)| (t.shortname.as_str(), i))
            .collect(),
        n_tactics: live_tactics(catalog).count().max(2),
        candidates: super::candidates::Counter::new(model),
    };
    // Each gap's score reads the context only: scored on all cores, in row order.
    use rayon::prelude::*;
    let mut gaps: Vec<Gap> = rows
        .par_iter()
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

    /// Inputs with choke point and actionability at 0.
    fn inputs(actors: f64, criticality: f64, prevalence: f64, kill_chain: f64) -> Inputs {
        Inputs {
            actors,
            criticality,
            prevalence,
            choke_point: 0.0,
            actionability: 0.0,
            kill_chain,
        }
    }

    fn sc(i: Inputs) -> Score {
        score(i, &Weights::default())
    }

    #[test]
    fn weights_sum_to_one() {
        let w = Weights::default();
        let sum = w.actors
            + w.criticality
            + w.prevalence
            + w.choke_point
            + w.actionability
            + w.kill_chain;
        assert!((sum - 1.0).abs() < 1e-12);
    }

    #[test]
    fn all_factors_at_one_score_100() {
        let all = Inputs {
            actors: 1.0,
            criticality: 1.0,
            prevalence: 1.0,
            choke_point: 1.0,
            actionability: 1.0,
            kill_chain: 1.0,
        };
        assert_eq!(sc(all).score, 100.0);
        assert_eq!(sc(inputs(0.0, 0.0, 0.0, 0.0)).score, 0.0);
    }

    #[test]
    fn each_factor_weighs_as_documented() {
        assert_eq!(sc(inputs(1.0, 0.0, 0.0, 0.0)).score, 30.0);
        assert_eq!(sc(inputs(0.0, 1.0, 0.0, 0.0)).score, 15.0);
        assert_eq!(sc(inputs(0.0, 0.0, 1.0, 0.0)).score, 20.0);
        assert_eq!(sc(inputs(0.0, 0.0, 0.0, 1.0)).score, 10.0);
        let choke = Inputs {
            choke_point: 1.0,
            ..inputs(0.0, 0.0, 0.0, 0.0)
        };
        assert_eq!(sc(choke).score, 15.0);
        let act = Inputs {
            actionability: 1.0,
            ..inputs(0.0, 0.0, 0.0, 0.0)
        };
        assert_eq!(sc(act).score, 10.0);
    }

    #[test]
    fn tier_boundaries_are_inclusive() {
        assert_eq!(tier(P1_MIN), Tier::P1);
        assert_eq!(tier(P1_MIN - 0.1), Tier::P2);
        assert_eq!(tier(P2_MIN), Tier::P2);
        assert_eq!(tier(P2_MIN - 0.1), Tier::P3);
        assert_eq!(tier(0.0), Tier::P3);
    }

    #[test]
    fn score_rounds_to_one_decimal() {
        // 30 + 15 + 20 × 0.4999 = 54.998, rounded to 55.0.
        assert_eq!(sc(inputs(1.0, 1.0, 0.4999, 0.0)).score, 55.0);
    }

    #[test]
    fn actionability_halves() {
        assert_eq!(actionability(0, 0), 0.0);
        assert_eq!(actionability(4, 0), 0.5);
        assert_eq!(actionability(9, 2), 0.75);
        assert_eq!(actionability(4, 4), 1.0);
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
