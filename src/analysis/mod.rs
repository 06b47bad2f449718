//! Analysis: what the resolved model means. Coverage per actor, tactic, asset and
//! overall; gaps with explained priority scores and tiers; target status; telemetry
//! investments. The result is the data of `report.json` and of every template.

mod investments;

pub use investments::{Investment, InvestmentGap};

use crate::catalog::Catalog;
use crate::date::Date;
use crate::resolve::{ActorKind, Resolved, Rule, RuleSource};
use crate::resolve::{Criticality, RuleStatus, SubtechniqueMode};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Weights of the priority score's factors (they sum to 1). See README, "Priority score".
pub const W_ACTORS: f64 = 0.40;
/// Weight of asset criticality.
pub const W_CRITICALITY: f64 = 0.25;
/// Weight of prevalence across ATT&CK groups.
pub const W_PREVALENCE: f64 = 0.20;
/// Weight of kill-chain position.
pub const W_KILL_CHAIN: f64 = 0.15;
/// Score at or above which a gap is P1.
pub const P1_MIN: f64 = 60.0;
/// Score at or above which a gap is P2.
pub const P2_MIN: f64 = 45.0;

/// Rounds to 4 decimals so that outputs are stable across platforms.
pub fn r4(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    (x * 10_000.0).round() / 10_000.0
}

/// Rounds to 1 decimal (scores).
pub fn r1(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    (x * 10.0).round() / 10.0
}

fn share(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        r4(n as f64 / d as f64)
    }
}

fn wshare(n: f64, d: f64) -> f64 {
    if d <= 0.0 {
        0.0
    } else {
        r4(n / d)
    }
}

/// Numeric factor of a criticality (low 1 … critical 4).
pub fn criticality_value(c: Criticality) -> f64 {
    match c {
        Criticality::Low => 1.0,
        Criticality::Medium => 2.0,
        Criticality::High => 3.0,
        Criticality::Critical => 4.0,
    }
}

/// Priority tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub enum Tier {
    /// Score ≥ 60.
    P1,
    /// Score ≥ 45.
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
    fn index(self) -> usize {
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
    /// Gaps per tier.
    pub gaps_by_tier: BTreeMap<String, usize>,
    /// Rules in the inventory.
    pub rules: usize,
    /// Rules whose status counts.
    pub rules_counting: usize,
    /// Techniques named by counting rules (in or out of the threat).
    pub techniques_detected: usize,
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
    /// Threat techniques that apply to it.
    pub in_scope: usize,
    /// Of those, covered by a rule that applies to this asset.
    pub covered: usize,
    /// Share.
    pub coverage: f64,
    /// Weighted share.
    pub weighted_coverage: f64,
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
    /// Covered.
    pub covered: bool,
    /// Counting rules that cover it.
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
    /// Summed weight of the actors using it / total actor weight (0–1).
    pub actors: f64,
    /// Highest criticality of the assets it applies to / 4 (0.25–1; 0.5 without assets).
    pub criticality: f64,
    /// Groups in the domain using it / the most any technique has (0–1).
    pub prevalence: f64,
    /// Number of ATT&CK groups in the domain using it.
    pub groups_using: usize,
    /// Kill-chain position: 1 for the first tactic, 0.5 for the last (0.5–1).
    pub kill_chain: f64,
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
    /// Met.
    pub met: bool,
    /// Due date.
    pub by: Option<Date>,
    /// In-scope techniques of the target's actors.
    pub in_scope: usize,
    /// Of those, covered.
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
    /// Source.
    pub source: RuleSource,
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
    /// Gaps, by rank.
    pub gaps: std::sync::Arc<Vec<Gap>>,
    /// Out of scope.
    pub out_of_scope: Vec<OutOfScope>,
    /// Targets.
    pub targets: Vec<TargetStatus>,
    /// Rules.
    pub rules: std::sync::Arc<Vec<RuleRow>>,
    /// Imports.
    pub imports: Vec<crate::resolve::ImportSummary>,
    /// Telemetry investments, by gap weight unlocked.
    pub investments: Vec<Investment>,
}

/// Display name of a technique: sub-techniques get their parent's name first.
pub fn technique_name(catalog: &Catalog, id: &str) -> String {
    let Some(t) = catalog.technique(id) else {
        return id.to_string();
    };
    match t.parent.as_deref().and_then(|p| catalog.technique(p)) {
        Some(p) => format!("{}: {}", p.name, t.name),
        None => t.name.clone(),
    }
}

/// Which technique ids a rule covers under a mode.
fn rule_covers(rule_tech: &str, target: &str, mode: SubtechniqueMode) -> bool {
    if rule_tech == target {
        return true;
    }
    let parent_of = |s: &str| s.split_once('.').map(|(p, _)| p.to_string());
    match mode {
        SubtechniqueMode::Exact => false,
        SubtechniqueMode::ParentCoversSub => parent_of(target).as_deref() == Some(rule_tech),
        SubtechniqueMode::SubCoversParent => parent_of(rule_tech).as_deref() == Some(target),
        SubtechniqueMode::Both => {
            parent_of(target).as_deref() == Some(rule_tech)
                || parent_of(rule_tech).as_deref() == Some(target)
        }
    }
}

fn family(id: &str) -> &str {
    id.split_once('.').map(|(p, _)| p).unwrap_or(id)
}

/// Analyses a resolved model.
pub fn analyse(model: &Resolved, catalog: &Catalog) -> Analysis {
    let counting: &BTreeSet<RuleStatus> = &model.coverage.count;
    let mode = model.coverage.subtechniques;
    let has_assets = !model.assets.is_empty();
    let all_platforms: BTreeSet<&str> = model
        .assets
        .iter()
        .flat_map(|a| a.platforms.iter().map(String::as_str))
        .collect();
    let total_weight: f64 = model.actors.iter().map(|a| a.weight).sum();

    // Rules by technique family, for coverage and partial coverage.
    let mut by_family: HashMap<&str, Vec<(&Rule, &str)>> = HashMap::new();
    for r in &model.rules {
        for t in &r.techniques {
            by_family
                .entry(family(t))
                .or_default()
                .push((r, t.as_str()));
        }
    }

    // Threat techniques.
    let mut uses: BTreeMap<&str, Vec<ActorUse>> = BTreeMap::new();
    for a in &model.actors {
        for (t, provs) in &a.techniques {
            let procedure = provs.iter().find_map(|p| match p {
                crate::resolve::Provenance::Group { procedure }
                | crate::resolve::Provenance::Campaign { procedure, .. }
                    if !procedure.is_empty() =>
                {
                    Some(procedure.clone())
                }
                _ => None,
            });
            uses.entry(t.as_str()).or_default().push(ActorUse {
                id: a.id.clone(),
                weight: a.weight,
                via: provs
                    .iter()
                    .map(|p| p.label())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                procedure,
            });
        }
    }

    let max_prev = catalog
        .active_techniques()
        .map(|t| catalog.group_prevalence(&t.id))
        .max()
        .unwrap_or(0)
        .max(1);
    let tactic_pos: HashMap<&str, usize> = catalog
        .tactics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.shortname.as_str(), i))
        .collect();
    let n_tactics = catalog.tactics.len().max(2);

    let mut rows: Vec<TechniqueRow> = Vec::new();
    for (tid, actors) in &uses {
        let tech = catalog.technique(tid);
        let platforms: Vec<String> = tech.map(|t| t.platforms.clone()).unwrap_or_default();
        let tactics: Vec<String> = tech.map(|t| t.tactics.clone()).unwrap_or_default();
        let asset_ids: Vec<String> = model
            .assets
            .iter()
            // An asset without platforms (ATT&CK for ICS names none) applies to every technique.
            .filter(|a| a.platforms.is_empty() || a.platforms.iter().any(|p| platforms.contains(p)))
            .map(|a| a.id.clone())
            .collect();
        let in_scope = !has_assets || !asset_ids.is_empty();
        let mut rules = Vec::new();
        let mut partial = Vec::new();
        for (r, via) in by_family.get(family(tid)).map(Vec::as_slice).unwrap_or(&[]) {
            let rr = RuleRef {
                id: r.id.clone(),
                name: r.name.clone(),
                status: r.status,
                via: via.to_string(),
            };
            let matches = rule_covers(via, tid, mode);
            let applies = r.assets.is_empty()
                || !has_assets
                || r.assets.iter().any(|a| asset_ids.contains(a));
            if matches && counting.contains(&r.status) && applies {
                rules.push(rr);
            } else {
                partial.push(rr);
            }
        }
        rules.sort();
        rules.dedup_by(|a, b| a.id == b.id);
        let covering: std::collections::HashSet<&str> =
            rules.iter().map(|r| r.id.as_str()).collect();
        partial.retain(|p| !covering.contains(p.id.as_str()));
        partial.sort();
        partial.dedup_by(|a, b| a.id == b.id);
        let partial_total = partial.len();
        partial.truncate(PARTIAL_SHOWN);
        let mut actors = actors.clone();
        actors.sort_by(|a, b| a.id.cmp(&b.id));
        rows.push(TechniqueRow {
            id: tid.to_string(),
            name: technique_name(catalog, tid),
            tactics,
            platforms,
            threat_weight: r4(actors.iter().map(|a| a.weight).sum()),
            actors,
            assets: asset_ids,
            in_scope,
            covered: !rules.is_empty(),
            rules,
            partial,
            partial_total,
        });
    }

    // Gaps with scores.
    let assessed = model.meta.assessed;
    let mut gaps: Vec<Gap> = rows
        .iter()
        .filter(|r| r.in_scope && !r.covered)
        .map(|r| {
            let crit = if has_assets {
                model
                    .assets
                    .iter()
                    .filter(|a| r.assets.contains(&a.id))
                    .map(|a| criticality_value(a.criticality))
                    .fold(0.0, f64::max)
                    / 4.0
            } else {
                0.5
            };
            let groups_using = catalog.group_prevalence(&r.id);
            let prevalence = groups_using as f64 / max_prev as f64;
            let first = r
                .tactics
                .iter()
                .filter_map(|t| tactic_pos.get(t.as_str()))
                .min()
                .copied()
                .unwrap_or(n_tactics - 1);
            let kill_chain = 1.0 - 0.5 * first as f64 / (n_tactics - 1) as f64;
            let actors_f = if total_weight > 0.0 {
                r.threat_weight / total_weight
            } else {
                0.0
            };
            let score = r1(100.0
                * (W_ACTORS * actors_f
                    + W_CRITICALITY * crit
                    + W_PREVALENCE * prevalence
                    + W_KILL_CHAIN * kill_chain));
            let tier = if score >= P1_MIN {
                Tier::P1
            } else if score >= P2_MIN {
                Tier::P2
            } else {
                Tier::P3
            };
            let days = model.plan.due_days.get(tier.index()).copied().unwrap_or(90);
            let due = assessed.map(|d| d.add_days(i64::from(days)));
            Gap {
                rank: 0,
                technique: r.id.clone(),
                name: r.name.clone(),
                tactics: r.tactics.clone(),
                actors: r.actors.clone(),
                assets: r.assets.clone(),
                score,
                factors: Factors {
                    actors: r4(actors_f),
                    criticality: r4(crit),
                    prevalence: r4(prevalence),
                    groups_using,
                    kill_chain: r4(kill_chain),
                },
                tier,
                due,
                partial: r.partial.clone(),
                partial_total: r.partial_total,
                note: model.plan.notes.get(&r.id).cloned(),
            }
        })
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
    let rank_of: HashMap<&str, usize> = gaps
        .iter()
        .map(|g| (g.technique.as_str(), g.rank))
        .collect();

    // Per actor.
    let row_of: HashMap<&str, &TechniqueRow> = rows.iter().map(|r| (r.id.as_str(), r)).collect();
    let actors: Vec<ActorCoverage> = model
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
        .collect();

    // Per tactic.
    let tactics: Vec<TacticCoverage> = catalog
        .tactics
        .iter()
        .filter(|t| !t.deprecated)
        .map(|t| {
            let under: Vec<&TechniqueRow> = rows
                .iter()
                .filter(|r| r.in_scope && r.tactics.contains(&t.shortname))
                .collect();
            let covered = under.iter().filter(|r| r.covered).count();
            let w: f64 = under.iter().map(|r| r.threat_weight).sum();
            let wc: f64 = under
                .iter()
                .filter(|r| r.covered)
                .map(|r| r.threat_weight)
                .sum();
            TacticCoverage {
                id: t.id.clone(),
                shortname: t.shortname.clone(),
                name: t.name.clone(),
                in_scope: under.len(),
                covered,
                coverage: share(covered, under.len()),
                weighted_coverage: wshare(wc, w),
            }
        })
        .collect();

    // Per asset: covered by a counting rule that applies to this asset.
    let rule_by_id: HashMap<&str, &Rule> = model.rules.iter().map(|r| (r.id.as_str(), r)).collect();
    let assets: Vec<AssetCoverage> = model
        .assets
        .iter()
        .map(|a| {
            let under: Vec<&TechniqueRow> =
                rows.iter().filter(|r| r.assets.contains(&a.id)).collect();
            let covered_here = |r: &TechniqueRow| {
                r.rules.iter().any(|rr| {
                    rule_by_id
                        .get(rr.id.as_str())
                        .is_some_and(|x| x.assets.is_empty() || x.assets.contains(&a.id))
                })
            };
            let covered = under.iter().filter(|r| covered_here(r)).count();
            let w: f64 = under.iter().map(|r| r.threat_weight).sum();
            let wc: f64 = under
                .iter()
                .filter(|r| covered_here(r))
                .map(|r| r.threat_weight)
                .sum();
            AssetCoverage {
                id: a.id.clone(),
                name: a.name.clone(),
                criticality: a.criticality,
                platforms: a.platforms.clone(),
                in_scope: under.len(),
                covered,
                coverage: share(covered, under.len()),
                weighted_coverage: wshare(wc, w),
            }
        })
        .collect();

    // Targets.
    let gap_score: HashMap<&str, f64> = gaps
        .iter()
        .map(|g| (g.technique.as_str(), g.score))
        .collect();
    let targets: Vec<TargetStatus> = model
        .targets
        .iter()
        .map(|t| {
            let set: BTreeSet<&str> = model
                .actors
                .iter()
                .filter(|a| t.actors.contains(&a.id))
                .flat_map(|a| a.techniques.keys().map(String::as_str))
                .collect();
            let weight_in = |r: &TechniqueRow| -> f64 {
                if t.weighted {
                    r.actors
                        .iter()
                        .filter(|u| t.actors.contains(&u.id))
                        .map(|u| u.weight)
                        .sum()
                } else {
                    1.0
                }
            };
            let scoped: Vec<&TechniqueRow> = set
                .iter()
                .filter_map(|id| row_of.get(id).copied())
                .filter(|r| r.in_scope)
                .collect();
            let total: f64 = scoped.iter().map(|r| weight_in(r)).sum();
            let mut have: f64 = scoped
                .iter()
                .filter(|r| r.covered)
                .map(|r| weight_in(r))
                .sum();
            let covered = scoped.iter().filter(|r| r.covered).count();
            let current = wshare(have, total);
            let met =
                total > 0.0 && have / total + 1e-9 >= t.share || total == 0.0 && t.share <= 0.0;
            let mut open: Vec<&TechniqueRow> =
                scoped.iter().copied().filter(|r| !r.covered).collect();
            open.sort_by(|a, b| {
                weight_in(b)
                    .partial_cmp(&weight_in(a))
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(
                        gap_score
                            .get(b.id.as_str())
                            .partial_cmp(&gap_score.get(a.id.as_str()))
                            .unwrap_or(std::cmp::Ordering::Equal),
                    )
                    .then(a.id.cmp(&b.id))
            });
            let mut to_close = Vec::new();
            if !met && total > 0.0 {
                for r in open {
                    if have / total + 1e-9 >= t.share {
                        break;
                    }
                    have += weight_in(r);
                    to_close.push(r.id.clone());
                }
            }
            TargetStatus {
                id: t.id.clone(),
                actors: t.actors.clone(),
                required: r4(t.share),
                current,
                weighted: t.weighted,
                met,
                by: t.by,
                in_scope: scoped.len(),
                covered,
                to_close,
            }
        })
        .collect();

    let in_scope_rows: Vec<&TechniqueRow> = rows.iter().filter(|r| r.in_scope).collect();
    let covered = in_scope_rows.iter().filter(|r| r.covered).count();
    let w: f64 = in_scope_rows.iter().map(|r| r.threat_weight).sum();
    let wc: f64 = in_scope_rows
        .iter()
        .filter(|r| r.covered)
        .map(|r| r.threat_weight)
        .sum();
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
    let out_of_scope: Vec<OutOfScope> = rows
        .iter()
        .filter(|r| !r.in_scope)
        .map(|r| OutOfScope {
            technique: r.id.clone(),
            name: r.name.clone(),
            platforms: r.platforms.clone(),
            actors: r.actors.iter().map(|a| a.id.clone()).collect(),
        })
        .collect();
    let summary = Summary {
        threat_techniques: rows.len(),
        in_scope: in_scope_rows.len(),
        covered,
        gaps: gaps.len(),
        out_of_scope: out_of_scope.len(),
        coverage: share(covered, in_scope_rows.len()),
        weighted_coverage: wshare(wc, w),
        gaps_by_tier,
        rules: model.rules.len(),
        rules_counting: model
            .rules
            .iter()
            .filter(|r| counting.contains(&r.status))
            .count(),
        techniques_detected: detected.len(),
        targets_met: targets.iter().filter(|t| t.met).count(),
        targets: targets.len(),
    };
    let rules: Vec<RuleRow> = model
        .rules
        .iter()
        .map(|r| RuleRow {
            id: r.id.clone(),
            name: r.name.clone(),
            status: r.status,
            counts: counting.contains(&r.status),
            techniques: r.techniques.clone(),
            assets: r.assets.clone(),
            source: r.source.clone(),
        })
        .collect();
    let platform_scoped = has_assets && model.assets.iter().all(|a| !a.platforms.is_empty());
    let investments = investments::compute(catalog, &gaps, &all_platforms, platform_scoped);
    Analysis {
        model: ModelInfo {
            name: model.meta.name.clone(),
            title: model
                .meta
                .title
                .clone()
                .unwrap_or_else(|| model.meta.name.clone()),
            version: model.meta.version.clone(),
            owner: model.meta.owner.clone(),
            assessed,
            description: model.meta.description.clone(),
        },
        attack: AttackInfo {
            domain: catalog.domain.as_str().to_string(),
            release: catalog.release.clone(),
            model_release: model.meta.attack_version.clone(),
        },
        settings: Settings {
            count: counting.iter().copied().collect(),
            subtechniques: mode,
            due_days: model.plan.due_days,
        },
        summary,
        actors,
        tactics,
        assets,
        techniques: std::sync::Arc::new(rows),
        gaps: std::sync::Arc::new(gaps),
        out_of_scope,
        targets,
        rules: std::sync::Arc::new(rules),
        imports: model.imports.clone(),
        investments,
    }
}
