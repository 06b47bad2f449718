//! What a diff reads of each side: [`DiffInput`], a typed view of report.json, built
//! from a report.json of an earlier build or from an analysis made now.

use serde::Deserialize;
use serde_json::Value;

/// The part of report.json a diff reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DiffInput {
    /// Model identity.
    pub model: InModel,
    /// ATT&CK data used.
    pub attack: InAttack,
    /// Headline figures.
    pub summary: InSummary,
    /// Per actor.
    pub actors: Vec<InActor>,
    /// Threat techniques.
    pub techniques: Vec<InTechnique>,
    /// Gaps.
    pub gaps: Vec<InGap>,
    /// Targets.
    pub targets: Vec<InTarget>,
    /// Rule inventory.
    pub rules: Vec<InRule>,
    /// The gaps a decision accepts or transfers (off the to-do list).
    pub accepted: Vec<InGap>,
    /// The model's decisions (`decisions:`).
    pub decisions: Vec<InDecision>,
    /// The techniques this side's catalog revoked: id → replacement. Not in report.json:
    /// filled when the side is compiled now ([`DiffInput::with_catalog`]).
    #[serde(skip)]
    pub revoked_by: std::collections::BTreeMap<String, String>,
    /// Set on an empty base: the model does not exist at this git revision (it is new in
    /// the change). Not in report.json.
    #[serde(skip)]
    pub absent_at: Option<String>,
}

/// Model identity.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InModel {
    /// Slug.
    pub name: String,
    /// Title.
    pub title: String,
    /// Version.
    pub version: Option<String>,
}

/// ATT&CK data.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InAttack {
    /// Domain.
    pub domain: String,
    /// Release.
    pub release: String,
}

/// Headline figures.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InSummary {
    /// In-scope techniques.
    pub in_scope: usize,
    /// Covered.
    pub covered: usize,
    /// Gaps.
    pub gaps: usize,
    /// Share covered.
    pub coverage: f64,
    /// Weighted share covered.
    pub weighted_coverage: f64,
    /// Gaps accepted: absent from a report.json written before decisions, which then
    /// shows no decision change (see [`DiffInput::knows_decisions`]).
    pub accepted: Option<usize>,
}

/// One actor.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InActor {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// In scope.
    pub in_scope: usize,
    /// Covered.
    pub covered: usize,
    /// Share.
    pub coverage: f64,
}

/// A rule reference in a technique row.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InRuleRef {
    /// Rule id.
    pub id: String,
}

/// One threat technique.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InTechnique {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Tactic short names.
    pub tactics: Vec<String>,
    /// In scope.
    pub in_scope: bool,
    /// Covered.
    pub covered: bool,
    /// Covering rules.
    pub rules: Vec<InRuleRef>,
    /// Per asset, its state on the ladder (absent from a report.json older than the
    /// ladder: then no pair of this technique is compared).
    pub states: Vec<InAssetState>,
    /// Assets where it is detected or validated.
    pub covered_on: Vec<String>,
    /// Assets where it is not.
    pub uncovered_on: Vec<String>,
}

/// One asset's state of a technique, as report.json has it. The state stays a string
/// here: an unknown name (a hand-written report) is skipped, not an error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InAssetState {
    /// Asset id.
    pub asset: String,
    /// `blind`, `unknown`, `visible`, `detected` or `validated`.
    pub state: String,
}

/// An actor use in a gap.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InUse {
    /// Actor id.
    pub id: String,
}

/// One gap.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InGap {
    /// Technique id.
    pub technique: String,
    /// Name.
    pub name: String,
    /// Tier.
    pub tier: String,
    /// Score.
    pub score: f64,
    /// Actors.
    pub actors: Vec<InUse>,
    /// The decision on it, if any.
    pub decision: Option<InDecision>,
}

/// One risk decision, as report.json has it. Kinds and dates stay strings: a
/// hand-written report's odd value is shown as written, not an error.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct InDecision {
    /// Technique id.
    pub technique: String,
    /// Assets it is decided on (empty: every asset).
    pub assets: Vec<String>,
    /// `detect`, `mitigate`, `accept` or `transfer`.
    pub decision: String,
    /// Mitigations relied on.
    pub mitigations: Vec<String>,
    /// Owner.
    pub owner: Option<String>,
    /// Approver.
    pub approver: Option<String>,
    /// Reason.
    pub reason: Option<String>,
    /// Date decided.
    pub date: Option<String>,
    /// Expiry.
    pub expiry: Option<String>,
    /// Expired at that side's assessed date.
    pub expired: bool,
}

/// One target.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InTarget {
    /// Id.
    pub id: String,
    /// Required share.
    pub required: f64,
    /// Current share.
    pub current: f64,
    /// Weighted.
    pub weighted: bool,
    /// Met.
    pub met: bool,
}

/// One rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InRule {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Counts toward coverage.
    pub counts: bool,
    /// Techniques.
    pub techniques: Vec<String>,
}

impl DiffInput {
    /// The view of a fresh analysis.
    pub fn from_analysis(a: &crate::analysis::Analysis) -> Result<Self, String> {
        let v = serde_json::to_value(a).map_err(|e| e.to_string())?;
        Self::from_value(v)
    }

    /// The view of a model compiled now, with its catalog's revocations.
    pub fn from_compiled(c: &crate::Compiled) -> Result<Self, String> {
        Ok(Self::from_analysis(&c.analysis)?.with_catalog(&c.catalog))
    }

    /// This side with the revocations of the catalog it was built against, so that a diff
    /// across releases compares a revoked technique with its replacement.
    pub fn with_catalog(mut self, catalog: &crate::catalog::Catalog) -> Self {
        self.revoked_by = super::compute::catalog_revocations(catalog);
        self
    }

    /// An empty base for a model that does not exist at revision `rev`: no actor, rule,
    /// technique or target, with the head's model and ATT&CK identity (so that no release
    /// change is reported). Everything the head has is new, and nothing can regress.
    pub fn absent(rev: &str, head: &DiffInput) -> Self {
        DiffInput {
            model: InModel {
                version: None,
                ..head.model.clone()
            },
            attack: head.attack.clone(),
            absent_at: Some(rev.to_string()),
            ..Default::default()
        }
    }

    /// Whether this side records decisions: a build since decisions existed (its summary
    /// has `accepted`), or the empty base of a new model.
    pub fn knows_decisions(&self) -> bool {
        self.summary.accepted.is_some() || self.absent_at.is_some()
    }

    /// The view of a parsed report.json.
    pub fn from_value(v: Value) -> Result<Self, String> {
        if v.get("report_format").is_none() && v.get("techniques").is_none() {
            return Err("not a threatc report.json (no `report_format`)".into());
        }
        serde_json::from_value(v).map_err(|e| e.to_string())
    }
}
