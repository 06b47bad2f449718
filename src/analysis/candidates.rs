//! Candidate rules per gap and asset: the rules of the model's `candidates:` libraries
//! that would cover the gap's technique there, best first. They never count as coverage:
//! this pass runs after coverage and priorities, and only reads them.
//!
//! A candidate matches a gap on an asset when it covers the technique under the model's
//! sub-technique mode, is not retired (deprecated at its source) and reaches the asset
//! ([`Rule::reaches`]: the entry's `assets:`, its platforms). The best come first:
//! reading telemetry the asset collects, then telemetry not declared, then telemetry the
//! asset lacks (said as "needs X"); a named platform before none; the highest status
//! (production/stable, testing/test, planned/experimental); the highest level; the fewest
//! false-positive notes; the technique itself before a parent or sub-technique; then
//! path, line and id.

use super::rows::{family, rule_covers};
use super::Gap;
use crate::resolve::{Asset, Candidate, Resolved, Rule, RuleSource, RuleStatus};
use serde::Serialize;
use std::collections::HashMap;

/// Whether a candidate reads telemetry an asset collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CandidateTelemetry {
    /// The asset collects every data component the rule reads.
    Collected,
    /// Not known: the asset declares no telemetry, or the rule names no data component.
    Unknown,
    /// The asset declares telemetry that lacks some of what the rule reads (`needs`).
    Missing,
}

impl CandidateTelemetry {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateTelemetry::Collected => "collected",
            CandidateTelemetry::Unknown => "unknown",
            CandidateTelemetry::Missing => "missing",
        }
    }
}

/// A candidate rule for one gap on one asset.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CandidateRef {
    /// The rule's id at its source (a UUID for Sigma).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its file: repository-relative (see README, "Candidate rules").
    pub path: String,
    /// Line of the rule in the file, when known.
    pub line: Option<u32>,
    /// Format of the library (`sigma`, `elastic`, `splunk`, `csv`, `navigator`).
    pub format: String,
    /// The technique id the rule names (the gap's, or a parent or sub-technique that
    /// covers it under the model's mode).
    pub via: String,
    /// Its status in the model's terms (as an import would map it).
    pub status: RuleStatus,
    /// Its source's status, verbatim (Sigma `stable`, `test`, `experimental`).
    pub source_status: Option<String>,
    /// Sigma `level`, verbatim.
    pub level: Option<String>,
    /// False-positive notes its source lists.
    pub false_positives: usize,
    /// ATT&CK platforms it runs on (empty: not known).
    pub platforms: Vec<String>,
    /// Whether the asset collects what it reads.
    pub telemetry: CandidateTelemetry,
    /// The data components it reads that the asset does not collect (telemetry `missing`).
    pub needs: Vec<String>,
}

/// The candidate rules for one gap on one asset.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct GapCandidates {
    /// The asset (null in a model without assets).
    pub asset: Option<String>,
    /// How many candidate rules match there.
    pub total: usize,
    /// The best of them, at most `plan.candidates` (default 3), best first.
    pub best: Vec<CandidateRef>,
}

/// Candidates (their index in the model's list) by technique family (T1059 for
/// T1059.001), with the id each names.
type Index<'m> = HashMap<&'m str, Vec<(usize, &'m str)>>;

/// The usable candidates by technique family, as [`attach`] and [`Counter`] read them.
fn index(model: &Resolved) -> Index<'_> {
    let mut index: Index<'_> = HashMap::new();
    for (i, c) in model.candidates.iter().enumerate() {
        if !c.usable() {
            continue;
        }
        for t in &c.rule.techniques {
            index.entry(family(t)).or_default().push((i, t.as_str()));
        }
    }
    index
}

/// Counts the candidate rules that could close a gap, for the actionability factor: the
/// public analytics a team can deploy count as well as ATT&CK's own.
pub(super) struct Counter<'m> {
    model: &'m Resolved,
    index: Index<'m>,
}

impl<'m> Counter<'m> {
    /// None when the model names no candidate libraries.
    pub(super) fn new(model: &'m Resolved) -> Option<Self> {
        if model.candidates.is_empty() {
            return None;
        }
        Some(Counter {
            model,
            index: index(model),
        })
    }

    /// The usable candidates covering `technique` that run on at least one of the assets
    /// `on` (every candidate in a model without assets), each counted once.
    pub(super) fn count(&self, technique: &str, on: &[String]) -> usize {
        let assets: Vec<&Asset> = self
            .model
            .assets
            .iter()
            .filter(|a| on.contains(&a.id))
            .collect();
        matching(self.model, &self.index, technique)
            .iter()
            .filter(|(c, _)| assets.is_empty() || assets.iter().any(|a| c.rule.reaches(a)))
            .count()
    }
}

/// Fills each gap's `candidates`: one entry per asset where its state is below `detected`
/// (blind, unknown, visible), in model order; one without an asset in a model without
/// assets. Nothing when the model has no candidate rules.
pub(super) fn attach(model: &Resolved, gaps: &mut [Gap]) {
    if model.candidates.is_empty() {
        return;
    }
    let index = index(model);
    let assets: HashMap<&str, &Asset> = model.assets.iter().map(|a| (a.id.as_str(), a)).collect();
    let shown = model.plan.candidates_shown;
    for g in gaps.iter_mut() {
        let matching = matching(model, &index, &g.technique);
        if model.assets.is_empty() {
            g.candidates = vec![for_asset(&matching, None, &g.technique, shown)];
            continue;
        }
        // The assets where the gap is open: below `detected` on the state ladder.
        g.candidates = g
            .states
            .iter()
            .filter(|s| s.state < super::State::Detected)
            .filter_map(|s| assets.get(s.asset.as_str()))
            .map(|a| for_asset(&matching, Some(a), &g.technique, shown))
            .collect();
    }
}

/// The usable candidates covering `technique` under the model's mode, each once (with
/// the technique itself as `via` when it names it).
fn matching<'m>(
    model: &'m Resolved,
    index: &Index<'m>,
    technique: &str,
) -> Vec<(&'m Candidate, &'m str)> {
    let mode = model.coverage.subtechniques;
    let mut out: Vec<(usize, &str)> = index
        .get(family(technique))
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter(|(_, via)| rule_covers(via, technique, mode))
        .copied()
        .collect();
    // The same rule may name the technique and its parent: keep the exact one.
    out.sort_by_key(|(i, via)| (*i, *via != technique));
    out.dedup_by_key(|(i, _)| *i);
    out.into_iter()
        .filter_map(|(i, via)| model.candidates.get(i).map(|c| (c, via)))
        .collect()
}

/// How a candidate reads an asset's telemetry, with what it lacks.
fn telemetry(rule: &Rule, asset: Option<&Asset>) -> (CandidateTelemetry, Vec<String>) {
    let Some(asset) = asset else {
        return (CandidateTelemetry::Unknown, Vec::new());
    };
    let needs: Vec<String> = rule.blind_on(asset).into_iter().map(String::from).collect();
    if !needs.is_empty() {
        return (CandidateTelemetry::Missing, needs);
    }
    if asset.collects.is_some() && !rule.data_components.is_empty() {
        return (CandidateTelemetry::Collected, needs);
    }
    (CandidateTelemetry::Unknown, needs)
}

/// Status rank: production (stable) first, then testing, planned, retired.
fn status_rank(s: RuleStatus) -> u8 {
    match s {
        RuleStatus::Production => 0,
        RuleStatus::Testing => 1,
        RuleStatus::Planned => 2,
        RuleStatus::Retired => 3,
    }
}

/// Sigma level rank: critical first; none or unknown last.
fn level_rank(level: Option<&str>) -> u8 {
    match level.map(str::to_ascii_lowercase).as_deref() {
        Some("critical") => 0,
        Some("high") => 1,
        Some("medium") => 2,
        Some("low") => 3,
        Some("informational") => 4,
        _ => 5,
    }
}

/// The candidates of one gap on one asset (all of `matching` that reach it), the best
/// `shown` of them described.
fn for_asset(
    matching: &[(&Candidate, &str)],
    asset: Option<&Asset>,
    technique: &str,
    shown: usize,
) -> GapCandidates {
    let mut found: Vec<_> = matching
        .iter()
        .filter(|(c, _)| asset.is_none_or(|a| c.rule.reaches(a)))
        .map(|(c, via)| {
            let (tele, needs) = telemetry(&c.rule, asset);
            let line = match &c.rule.source {
                RuleSource::Imported { line, .. } => *line,
                RuleSource::Inline { .. } => None,
            };
            let key = (
                tele,
                c.rule.platforms.is_empty(),
                status_rank(c.rule.status),
                level_rank(c.rule.level.as_deref()),
                c.false_positives,
                *via != technique,
            );
            (key, line, *c, *via, needs)
        })
        .collect();
    let total = found.len();
    found.sort_by(|a, b| {
        (a.0, &a.2.path, a.1, &a.2.rule.id).cmp(&(b.0, &b.2.path, b.1, &b.2.rule.id))
    });
    found.truncate(shown);
    let best = found
        .into_iter()
        .map(|((tele, ..), line, c, via, needs)| CandidateRef {
            id: c.rule.id.clone(),
            title: c.rule.name.clone(),
            path: c.path.clone(),
            line,
            format: match &c.rule.source {
                RuleSource::Imported { format, .. } => format.clone(),
                RuleSource::Inline { .. } => String::new(),
            },
            via: via.to_string(),
            status: c.rule.status,
            source_status: c.source_status.clone(),
            level: c.rule.level.clone(),
            false_positives: c.false_positives,
            platforms: c.rule.platforms.clone(),
            telemetry: tele,
            needs,
        })
        .collect();
    GapCandidates {
        asset: asset.map(|a| a.id.clone()),
        total,
        best,
    }
}
