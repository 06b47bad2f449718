//! Analysis: what the resolved model means. Coverage per actor, tactic, asset and
//! overall; gaps with explained priority scores and tiers; target status; telemetry
//! investments. The result is the data of `report.json` and of every template.
//!
//! [`analyse`] composes one pass per concept: [`rows`] (every threat technique with the
//! rules that cover it), [`priority`] (gaps, their scores and tiers), [`coverage`] (per
//! actor, tactic and asset, and the headline figures), [`targets`] and [`investments`].

mod candidates;
mod coverage;
pub mod ctid;
mod decisions;
mod investments;
pub mod ladder;
pub mod own_factors;
pub mod priority;
pub mod recency;
mod rows;
pub mod schedule;
pub mod sensitivity;
mod targets;

pub use candidates::{CandidateRef, CandidateTelemetry, GapCandidates};
pub use investments::{
    Investment, InvestmentGap, InvestmentTotals, LogSourceOption, CHANNELS_SHOWN,
};
pub use ladder::{AssetState, State, TestRef};
pub use priority::{
    criticality_value, Weights, P1_MIN, P2_MIN, W_ACTIONABILITY, W_ACTORS, W_CHOKE_POINT,
    W_CRITICALITY, W_KILL_CHAIN, W_PREVALENCE,
};
pub use schedule::{EffortBasis, GapSchedule, Schedule};

use crate::catalog::Catalog;
use crate::date::Date;
use crate::resolve::{Criticality, RuleStatus, SubtechniqueMode};
use crate::resolve::{Resolved, RuleSource};
use serde::Serialize;
use std::collections::BTreeMap;

/// Rounds to 4 decimals so that outputs are stable across platforms; never -0.0
/// (an empty `f64` sum is -0.0), which JSON and percentages would show as `-0`.
pub fn r4(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    (x * 10_000.0).round() / 10_000.0 + 0.0
}

/// Rounds to 1 decimal (scores); never -0.0.
pub fn r1(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    (x * 10.0).round() / 10.0 + 0.0
}

pub(crate) fn share(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        r4(n as f64 / d as f64)
    }
}

pub(crate) fn wshare(n: f64, d: f64) -> f64 {
    if d <= 0.0 {
        0.0
    } else {
        r4(n / d)
    }
}

/// Priority tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub enum Tier {
    /// Score ≥ 70.
    P1,
    /// Score ≥ 55.
    P2,
    /// The rest.
    P3,
}

impl Tier {
    /// "P1", "P2", "P3".
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::P1 => "P1",
            Tier::P2 => "P2",
            Tier::P3 => "P3",
        }
    }
    pub(crate) fn index(self) -> usize {
        match self {
            Tier::P1 => 0,
            Tier::P2 => 1,
            Tier::P3 => 2,
        }
    }
}

/// The model's identity, as reported.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ModelInfo {
    /// Slug.
    pub name: String,
    /// Title (the name when none).
    pub title: String,
    /// Model version.
    pub version: Option<String>,
    /// Owner.
    pub owner: Option<String>,
    /// Assessment date.
    pub assessed: Option<Date>,
    /// Description.
    pub description: Option<String>,
}

/// The ATT&CK data used.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AttackInfo {
    /// Domain.
    pub domain: String,
    /// Release of the catalog in use.
    pub release: String,
    /// Release the model says it was written against.
    pub model_release: Option<String>,
}

/// Settings used.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Settings {
    /// Rule statuses that count.
    pub count: Vec<RuleStatus>,
    /// Sub-technique mode.
    pub subtechniques: SubtechniqueMode,
    /// Days to due per tier.
    pub due_days: [u32; 3],
    /// Days a test stays valid (`coverage.validation_max_age`).
    pub validation_max_age: u32,
    /// The day tests are aged from (`model.assessed`, or the day of the build).
    pub tests_as_of: Date,
    /// Weights of the priority factors (`plan.weights`; the six base weights sum to 1).
    pub weights: Weights,
    /// Days after which an `intel:` entry weighs half (`plan.intel_half_life`).
    pub intel_half_life: u32,
}

/// Headline figures.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// Distinct techniques of all actors.
    pub threat_techniques: usize,
    /// Of those, in scope (platforms meet the assets').
    pub in_scope: usize,
    /// In-scope techniques covered.
    pub covered: usize,
    /// In-scope techniques not covered.
    pub gaps: usize,
    /// Threat techniques out of scope.
    pub out_of_scope: usize,
    /// covered / in_scope.
    pub coverage: f64,
    /// Covered threat weight / in-scope threat weight.
    pub weighted_coverage: f64,
    /// In-scope (technique, asset) pairs: each threat technique on each asset it applies
    /// to (0 without assets).
    pub pairs: usize,
    /// Pairs per state of the ladder (every state, lowest first).
    pub pairs_by_state: BTreeMap<State, usize>,
    /// Criticality-weighted share of pairs at detected or above: each pair weighs its
    /// asset's criticality (low 1 … critical 4). Falls when a critical asset loses its
    /// only detection of a technique even if the technique stays detected elsewhere.
    pub pair_coverage: f64,
    /// Criticality-weighted share of pairs validated (detected, and a passing test no
    /// older than `coverage.validation_max_age`).
    pub pair_validated: f64,
    /// Test records: rules' validations and evidence rows.
    pub tests: usize,
    /// Of those, older than `coverage.validation_max_age` (they decide nothing).
    pub tests_stale: usize,
    /// Gaps per tier.
    pub gaps_by_tier: BTreeMap<String, usize>,
    /// Rules in the inventory.
    pub rules: usize,
    /// Rules whose status counts.
    pub rules_counting: usize,
    /// Techniques named by counting rules (in or out of the threat).
    pub techniques_detected: usize,
    /// Rules naming neither platforms nor assets: they count on every asset (see each
    /// import's `unscoped` for the reasons).
    pub rules_unscoped: usize,
    /// Platforms that threat techniques name but no asset declares, with the number of
    /// threat techniques naming each (empty without assets).
    pub undeclared_platforms: BTreeMap<String, usize>,
    /// Gaps accepted (`decisions:`, unexpired): off the to-do list, not covered.
    pub accepted: usize,
    /// Gaps transferred likewise.
    pub transferred: usize,
    /// Targets met / all.
    pub targets_met: usize,
    /// Targets.
    pub targets: usize,
}

/// Coverage of one actor.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ActorCoverage {
    /// Actor id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// ATT&CK group id for group actors.
    pub group_id: Option<String>,
    /// Weight.
    pub weight: f64,
    /// Software techniques included.
    pub software: bool,
    /// Techniques of the actor.
    pub techniques: usize,
    /// In scope.
    pub in_scope: usize,
    /// Covered.
    pub covered: usize,
    /// covered / in_scope.
    pub coverage: f64,
    /// In-scope gaps (technique ids, by priority rank).
    pub gaps: Vec<String>,
}

/// Coverage of one tactic.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TacticCoverage {
    /// TA id.
    pub id: String,
    /// Short name.
    pub shortname: String,
    /// Name.
    pub name: String,
    /// In-scope threat techniques under the tactic.
    pub in_scope: usize,
    /// Covered.
    pub covered: usize,
    /// Share.
    pub coverage: f64,
    /// Weighted share.
    pub weighted_coverage: f64,
}

/// Coverage of one asset.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AssetCoverage {
    /// Asset id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Criticality.
    pub criticality: Criticality,
    /// Platforms.
    pub platforms: Vec<String>,
    /// The ATT&CK v18 data components collected on it (`telemetry:`); null when the
    /// model declares none for it (visibility unknown: every rule that reaches it counts).
    pub collects: Option<Vec<String>>,
    /// Threat techniques that apply to it.
    pub in_scope: usize,
    /// Of those, covered by a rule that applies to this asset.
    pub covered: usize,
    /// Share.
    pub coverage: f64,
    /// Weighted share.
    pub weighted_coverage: f64,
    /// Its in-scope threat techniques per state of the ladder (every state, lowest first).
    pub by_state: BTreeMap<State, usize>,
    /// Of its in-scope threat techniques, the share validated.
    pub validated: f64,
}

/// A rule that touches a technique.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord, schemars::JsonSchema)]
pub struct RuleRef {
    /// Rule id.
    pub id: String,
    /// Rule name.
    pub name: String,
    /// Status.
    pub status: RuleStatus,
    /// The technique id the rule names (may be a parent or sibling).
    pub via: String,
}

/// An actor's use of a technique.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ActorUse {
    /// Actor id.
    pub id: String,
    /// Weight.
    pub weight: f64,
    /// Where it came from (`group`, `campaign C0001`, `software S0002`, `local`).
    pub via: Vec<String>,
    /// Procedure text (first one), shortened.
    pub procedure: Option<String>,
}

/// One threat technique, with all that is known of it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TechniqueRow {
    /// Technique id.
    pub id: String,
    /// Name (sub-techniques: "Parent: Sub").
    pub name: String,
    /// Tactic short names.
    pub tactics: Vec<String>,
    /// Platforms.
    pub platforms: Vec<String>,
    /// Actors using it.
    pub actors: Vec<ActorUse>,
    /// Summed actor weight.
    pub threat_weight: f64,
    /// Assets it applies to.
    pub assets: Vec<String>,
    /// In scope.
    pub in_scope: bool,
    /// Covered: on every asset it applies to (without assets: by some counting rule).
    pub covered: bool,
    /// Assets it applies to on which a counting rule covers it (a rule counts on an
    /// asset only where it applies there: the assets it names, its platforms).
    pub covered_on: Vec<String>,
    /// Assets it applies to on which no counting rule covers it.
    pub uncovered_on: Vec<String>,
    /// Its state on each asset of `assets` (same order): blind, unknown, visible,
    /// detected or validated. `covered_on` holds those at detected or above.
    pub states: Vec<AssetState>,
    /// Counting rules that cover it (on at least one of its assets).
    pub rules: Vec<RuleRef>,
    /// Rules on a parent, sibling or sub-technique that do not cover it under the
    /// model's mode, or rules whose status does not count (partial coverage); at most
    /// [`PARTIAL_SHOWN`], the first by id.
    pub partial: Vec<RuleRef>,
    /// How many such rules there are in all.
    pub partial_total: usize,
}

/// How many partial-coverage rules a technique row or gap lists.
pub const PARTIAL_SHOWN: usize = 10;

/// The factors of a gap's priority score.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Factors {
    /// Noisy-or of the weights of the actors using it, `1 − 2^(−Σw/2)` (0–1): absolute,
    /// the model's other actors do not change it.
    pub actors: f64,
    /// Highest criticality of the assets it is uncovered on / 4 (0.25–1; 0.5 without
    /// assets).
    pub criticality: f64,
    /// Observed prevalence: √ of CTID's Sightings prevalence (2019–2021, 0–1) of the
    /// technique, of a technique revoked into it, or (a sub-technique without sightings)
    /// of its parent; 0.16 when CTID's table lacks it.
    pub prevalence: f64,
    /// Number of ATT&CK groups in the domain using it (shown, not scored).
    pub groups_using: usize,
    /// CTID's choke-point score (0–1); 0.1 (the table's median) when it lacks the technique.
    pub choke_point: f64,
    /// The CTID (ATT&CK v14) row of the technique (itself or one revoked into it) the choke
    /// point comes from; null: not in CTID's data, the defaults.
    pub ctid: Option<String>,
    /// The CTID row the prevalence comes from (the parent's for a sub-technique without
    /// sightings); null: the default.
    pub prevalence_ctid: Option<String>,
    /// Actionability (0–1): half the technique's ATT&CK analytics for the platforms of the
    /// assets the gap is on, with the model's candidate rules for them (full at 4), half
    /// its ATT&CK mitigations (full at 4).
    pub actionability: f64,
    /// Those analytics.
    pub analytics: usize,
    /// Those mitigations.
    pub mitigations: usize,
    /// With `candidates:`, the candidate rules for the technique that run on the assets
    /// the gap is on: public analytics the team can deploy, counted with `analytics` in
    /// the detection half (absent without candidate libraries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_rules: Option<usize>,
    /// Kill-chain position: 1 for the first tactic, 0.5 for the last (0.5–1).
    pub kill_chain: f64,
    /// Recency of the actors' evidence (0.5–1): their weights in `actors` are each
    /// multiplied by `0.5 + 0.5 × 2^(−age/1095 days)`, `age` from the latest evidence
    /// (ATT&CK's record of the group's or software's use, a campaign's last-seen date) to
    /// `model.assessed`; this is the weighted mean.
    pub recency: f64,
    /// Each actor's latest evidence, in the order of `actors`.
    pub recency_from: Vec<recency::RecencyRef>,
    /// The organisation's intelligence (`intel:`, 0–1): the noisy-or of the weights of its
    /// entries on the technique (and one of the gap's assets), each `2^(−age/half-life)`;
    /// it adds `100 × plan.weights.intel × intel` points.
    pub intel: f64,
    /// Those entries, newest first (empty: none).
    pub intel_from: Vec<own_factors::IntelRef>,
    /// Mitigations in place (`mitigations:`, 0–1): the criticality-weighted share of the
    /// assets the gap is on where one mitigates the technique; the score is multiplied by
    /// `1 − plan.weights.mitigation × mitigated`. Never coverage.
    pub mitigated: f64,
    /// Those mitigations, with the assets of the gap they are in place on (empty: none).
    pub mitigated_by: Vec<own_factors::MitigatedBy>,
}

/// An uncovered in-scope technique.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Gap {
    /// Rank by score (1 = most urgent).
    pub rank: usize,
    /// Technique id.
    pub technique: String,
    /// Name.
    pub name: String,
    /// Tactics.
    pub tactics: Vec<String>,
    /// Actors using it.
    pub actors: Vec<ActorUse>,
    /// Assets it threatens.
    pub assets: Vec<String>,
    /// Of those, the assets a counting rule covers it on (the gap is on the others).
    pub covered_on: Vec<String>,
    /// Of those, the assets no counting rule covers it on.
    pub uncovered_on: Vec<String>,
    /// Its state on each asset of `assets` (same order), as in the technique's row.
    pub states: Vec<AssetState>,
    /// Priority score 0–100.
    pub score: f64,
    /// Its factors.
    pub factors: Factors,
    /// Tier.
    pub tier: Tier,
    /// Due date (assessed + tier days), when the model has an assessed date.
    pub due: Option<Date>,
    /// Partial coverage: rules on a parent/sibling/sub-technique or not counting (at most
    /// [`PARTIAL_SHOWN`]).
    pub partial: Vec<RuleRef>,
    /// How many such rules there are in all.
    pub partial_total: usize,
    /// The team's note.
    pub note: Option<crate::resolve::TechniqueNote>,
    /// Candidate rules (`candidates:`, never coverage) per asset the gap is on, the best
    /// first; absent when the model names no candidate library.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<GapCandidates>,
    /// The risk decision on it (`decisions:`): `mitigate`, an expired one, or, in
    /// `accepted`, the accept or transfer that moved it off the to-do list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<crate::resolve::Decision>,
    /// Its place in the schedule (`plan.capacity`): `effort_points`, `effort_basis`,
    /// `month`, `after`; absent without capacity.
    #[serde(flatten)]
    pub schedule: GapSchedule,
    /// The unrounded factors the score was computed from (for the sensitivity line).
    #[serde(skip)]
    #[schemars(skip)]
    pub inputs: (priority::Inputs, priority::Adjust),
}

/// A threat technique out of scope.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct OutOfScope {
    /// Technique id.
    pub technique: String,
    /// Name.
    pub name: String,
    /// Its platforms (none of which the assets have).
    pub platforms: Vec<String>,
    /// Actors using it.
    pub actors: Vec<String>,
}

/// Where a target stands.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TargetStatus {
    /// Target id.
    pub id: String,
    /// Actor ids.
    pub actors: Vec<String>,
    /// Required share.
    pub required: f64,
    /// Current share.
    pub current: f64,
    /// Measured weighted.
    pub weighted: bool,
    /// Measured on (technique, asset) pairs of these assets (empty: every asset).
    pub assets: Vec<String>,
    /// Measured on pairs at or above this state (null: on techniques, covered or not).
    pub state: Option<State>,
    /// Met.
    pub met: bool,
    /// Due date.
    pub by: Option<Date>,
    /// In-scope techniques of the target's actors (measured on pairs: their pairs on
    /// the target's assets).
    pub in_scope: usize,
    /// Of those, covered (on pairs: at or above the state).
    pub covered: usize,
    /// The smallest set of gaps whose closing meets the target (heaviest first).
    pub to_close: Vec<String>,
}

/// A rule as reported.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RuleRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Status.
    pub status: RuleStatus,
    /// Whether its status counts.
    pub counts: bool,
    /// Techniques.
    pub techniques: Vec<String>,
    /// Asset scope.
    pub assets: Vec<String>,
    /// ATT&CK platforms it runs on (empty: not known).
    pub platforms: Vec<String>,
    /// ATT&CK v18 data components it reads.
    pub data_components: Vec<String>,
    /// Sigma `level`.
    pub level: Option<String>,
    /// Why it counts on every asset, when it names neither platforms nor assets.
    pub unscoped: Option<crate::resolve::Unscoped>,
    /// Assets it reaches (its assets, its platforms) but does not count on, because their
    /// declared telemetry lacks data components it reads (empty: blind nowhere).
    pub blind_on: Vec<BlindOn>,
    /// Its tests (`validations:`), oldest first.
    pub validations: Vec<crate::resolve::Validation>,
    /// Source.
    pub source: RuleSource,
}

/// Where a rule is blind: an asset whose declared telemetry lacks what it reads.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BlindOn {
    /// Asset id.
    pub asset: String,
    /// The data components it reads that the asset does not collect (for a network-sensor
    /// rule without data components: the network components, one of which it needs).
    pub missing: Vec<String>,
}

/// Everything a build knows.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Analysis {
    /// Model.
    pub model: ModelInfo,
    /// ATT&CK.
    pub attack: AttackInfo,
    /// Settings.
    pub settings: Settings,
    /// Headline figures.
    pub summary: Summary,
    /// Per actor.
    pub actors: Vec<ActorCoverage>,
    /// Per tactic (matrix order).
    pub tactics: Vec<TacticCoverage>,
    /// Per asset.
    pub assets: Vec<AssetCoverage>,
    /// Every threat technique.
    pub techniques: std::sync::Arc<Vec<TechniqueRow>>,
    /// Gaps on the to-do list, by rank.
    pub gaps: std::sync::Arc<Vec<Gap>>,
    /// Accepted and transferred risks: gaps a holding decision took off the to-do list
    /// (each with its `decision`), in priority order. Absent without any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<Gap>,
    /// The model's decisions (`decisions:`), in model order. Absent without any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<crate::resolve::Decision>,
    /// Out of scope.
    pub out_of_scope: Vec<OutOfScope>,
    /// Targets.
    pub targets: Vec<TargetStatus>,
    /// Rules.
    pub rules: std::sync::Arc<Vec<RuleRow>>,
    /// Imports.
    pub imports: Vec<crate::resolve::ImportSummary>,
    /// The imports of candidate libraries (`candidates:`); absent without any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidate_imports: Vec<crate::resolve::ImportSummary>,
    /// Telemetry investments: data components to collect on a platform, in greedy rank
    /// order (each row counts what it unlocks after the rows above).
    pub investments: Vec<Investment>,
    /// The (gap, asset) pairs the investments start from, and what they unlock in all.
    pub investment_totals: InvestmentTotals,
    /// The schedule of the to-do list over months of capacity (`plan.capacity`); absent
    /// without capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// What is collected where (`telemetry:`), in model order.
    pub telemetry: Vec<crate::resolve::Telemetry>,
    /// Rows of the `evidence:` files, in model order.
    pub evidence: Vec<crate::resolve::Evidence>,
    /// The organisation's own intelligence (`intel:`), in model order. Absent without any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intel: Vec<crate::resolve::Intel>,
    /// Mitigations in place (`mitigations:`), in model order. Absent without any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mitigations: Vec<crate::resolve::MitigationInPlace>,
    /// Which gaps change tier when one weight moves by ±0.05.
    pub sensitivity: sensitivity::Sensitivity,
}

/// Display name of a technique: sub-techniques get their parent's name first.
pub fn technique_name(catalog: &Catalog, id: &str) -> String {
    let Some(t) = catalog.technique(id) else {
        return id.to_string();
    };
    match t.parent.as_deref().and_then(|p| catalog.technique(p)) {
        Some(p) => format!("{}: {}", p.name, t.name),
        None => t.name.to_string(),
    }
}

/// Analyses a resolved model.
pub fn analyse(model: &Resolved, catalog: &Catalog) -> Analysis {
    // CTID's table is matched to the catalog while the rows are built.
    let (rows, ctid) = rayon::join(
        || rows::technique_rows(model, catalog),
        || ctid::Ctid::new(catalog),
    );
    let gaps = priority::gaps(model, catalog, &rows, ctid);
    let (mut gaps, accepted) = decisions::split(model, gaps);
    candidates::attach(model, &mut gaps);
    // The telemetry investments (the longest part) are ranked while the figures are
    // counted: both only read the gaps.
    let ((mut investments, investment_totals, readiness), figures) = rayon::join(
        || {
            let (mut investments, totals, readiness) = investments::compute(model, catalog, &gaps);
            investments::count_candidates(model, &mut investments);
            (investments, totals, readiness)
        },
        || figures(model, catalog, &rows, &gaps, &accepted),
    );
    let Figures {
        actors,
        tactics,
        assets,
        targets,
        out_of_scope,
        summary,
        rules,
        sensitivity,
    } = figures;
    let schedule = schedule::schedule(model, &mut gaps, &mut investments, &readiness);
    Analysis {
        model: model_info(model),
        attack: AttackInfo {
            domain: catalog.domain.as_str().to_string(),
            release: catalog.release.to_string(),
            model_release: model.meta.attack_version.clone(),
        },
        settings: Settings {
            count: model.coverage.count.iter().copied().collect(),
            subtechniques: model.coverage.subtechniques,
            due_days: model.plan.due_days,
            validation_max_age: model.coverage.validation_max_age,
            tests_as_of: model.coverage.tests_as_of,
            weights: model.plan.weights,
            intel_half_life: model.plan.intel_half_life,
        },
        summary,
        actors,
        tactics,
        assets,
        techniques: std::sync::Arc::new(rows),
        gaps: std::sync::Arc::new(gaps),
        accepted,
        decisions: model.decisions.clone(),
        out_of_scope,
        targets,
        rules: std::sync::Arc::new(rules),
        imports: model.imports.clone(),
        candidate_imports: model.candidate_imports.clone(),
        investments,
        investment_totals,
        schedule,
        telemetry: model.telemetry.clone(),
        evidence: model.evidence.clone(),
        intel: model.intel.clone(),
        mitigations: model.mitigations.clone(),
        sensitivity,
    }
}

/// The figures of an analysis that only read its rows and gaps.
struct Figures {
    actors: Vec<ActorCoverage>,
    tactics: Vec<TacticCoverage>,
    assets: Vec<AssetCoverage>,
    targets: Vec<TargetStatus>,
    out_of_scope: Vec<OutOfScope>,
    summary: Summary,
    rules: Vec<RuleRow>,
    sensitivity: sensitivity::Sensitivity,
}

fn figures(
    model: &Resolved,
    catalog: &Catalog,
    rows: &[TechniqueRow],
    gaps: &[Gap],
    accepted: &[Gap],
) -> Figures {
    let targets = targets::statuses(model, rows, gaps, accepted);
    let out_of_scope = coverage::out_of_scope(rows);
    let mut summary = coverage::summary(model, rows, gaps, &targets, out_of_scope.len());
    summary.accepted = count(accepted, crate::model::v1::DecisionKind::Accept);
    summary.transferred = count(accepted, crate::model::v1::DecisionKind::Transfer);
    Figures {
        actors: coverage::per_actor(model, rows, gaps),
        tactics: coverage::per_tactic(catalog, rows),
        assets: coverage::per_asset(model, rows),
        targets,
        out_of_scope,
        summary,
        rules: coverage::rule_rows(model),
        // The sensitivity line compares the tiers of the scores (before the schedule
        // moves due dates).
        sensitivity: sensitivity::compute(gaps, &model.plan.weights),
    }
}

/// Decided gaps of a kind.
fn count(decided: &[Gap], kind: crate::model::v1::DecisionKind) -> usize {
    decided
        .iter()
        .filter(|g| g.decision.as_ref().is_some_and(|d| d.decision == kind))
        .count()
}

fn model_info(model: &Resolved) -> ModelInfo {
    let meta = &model.meta;
    ModelInfo {
        name: meta.name.clone(),
        title: meta.title.clone().unwrap_or_else(|| meta.name.clone()),
        version: meta.version.clone(),
        owner: meta.owner.clone(),
        assessed: meta.assessed,
        description: meta.description.clone(),
    }
}
