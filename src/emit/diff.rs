//! Coverage diffs: what changed between two builds of a model (a pull request's base
//! and head). Both sides are read through [`DiffInput`], a typed view of report.json,
//! so a side may be a model compiled now or a report.json of an earlier build.

use super::{fmt_num, pct};
use crate::escape::pr_comment_text as md_cell;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The most characters the Markdown summary may have (GitHub comments allow 65,536).
pub const MD_LIMIT: usize = 60_000;
/// Lists longer than this are folded in `<details>`.
const FOLD_AFTER: usize = 10;
/// Changes smaller than this are noise from rounding.
const EPS: f64 = 1e-9;

/// Colour of techniques that gained coverage.
pub const GAINED_COLOR: &str = "#1a9850";
/// Colour of techniques that lost coverage.
pub const LOST_COLOR: &str = "#d73027";
/// Colour of gaps that appeared (new threat techniques without coverage).
pub const NEW_GAP_COLOR: &str = "#fc8d59";
/// Colour of gaps open on both sides.
pub const OPEN_GAP_COLOR: &str = "#fee08b";

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

    /// The view of a parsed report.json.
    pub fn from_value(v: Value) -> Result<Self, String> {
        if v.get("report_format").is_none() && v.get("techniques").is_none() {
            return Err("not a threatc report.json (no `report_format`)".into());
        }
        serde_json::from_value(v).map_err(|e| e.to_string())
    }
}

/// A figure before and after.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    /// Base.
    pub before: f64,
    /// Head.
    pub after: f64,
}

impl Change {
    fn new(before: f64, after: f64) -> Self {
        Change { before, after }
    }
    /// After is lower than before.
    pub fn dropped(&self) -> bool {
        self.after + EPS < self.before
    }
    fn changed(&self) -> bool {
        (self.after - self.before).abs() > EPS
    }
}

/// An actor's coverage on both sides (None: absent on that side).
#[derive(Debug, Clone, Serialize)]
pub struct ActorDiff {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Coverage before (None: actor added).
    pub before: Option<f64>,
    /// Coverage after (None: actor removed).
    pub after: Option<f64>,
    /// Covered / in scope, before.
    pub counts_before: Option<(usize, usize)>,
    /// Covered / in scope, after.
    pub counts_after: Option<(usize, usize)>,
}

/// A target on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct TargetDiff {
    /// Id.
    pub id: String,
    /// Required share (head's, else base's).
    pub required: f64,
    /// Weighted.
    pub weighted: bool,
    /// Current share before.
    pub before: Option<f64>,
    /// Current share after.
    pub after: Option<f64>,
    /// Met before.
    pub met_before: Option<bool>,
    /// Met after.
    pub met_after: Option<bool>,
    /// Went from met to unmet.
    pub broke: bool,
}

/// A technique whose coverage changed.
#[derive(Debug, Clone, Serialize)]
pub struct TechniqueChange {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// What it was on the base side: `covered`, `gap`, `out-of-scope` or `absent`.
    pub before: String,
    /// Rules that started (newly covered) or stopped (newly uncovered) covering it.
    pub rules: Vec<String>,
}

/// A gap that appeared or closed.
#[derive(Debug, Clone, Serialize)]
pub struct GapChange {
    /// Technique.
    pub technique: String,
    /// Name.
    pub name: String,
    /// Tier (on the side where it is a gap).
    pub tier: String,
    /// Score.
    pub score: f64,
    /// Actors using it.
    pub actors: Vec<String>,
    /// Why it closed or appeared.
    pub reason: String,
}

/// A rule added, removed or changed.
#[derive(Debug, Clone, Serialize)]
pub struct RuleChange {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Status before (None: added).
    pub status_before: Option<String>,
    /// Status after (None: removed).
    pub status_after: Option<String>,
    /// Techniques it names (head's, else base's).
    pub techniques: Vec<String>,
}

/// Differences that come from a different ATT&CK release, not from the model.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ReleaseChanges {
    /// Base release.
    pub before: String,
    /// Head release.
    pub after: String,
    /// Techniques whose name changed: (id, old name, new name).
    pub renamed: Vec<(String, String, String)>,
    /// Threat techniques of the base that the head release no longer has
    /// (revoked, deprecated or moved): (id, name, was covered).
    pub gone: Vec<(String, String, bool)>,
    /// Threat techniques new with the head release: (id, name, covered).
    pub new: Vec<(String, String, bool)>,
}

/// Everything that changed.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageDiff {
    /// Model name.
    pub model: String,
    /// Model version before → after.
    pub version: (Option<String>, Option<String>),
    /// ATT&CK domain (head's).
    pub domain: String,
    /// ATT&CK release before → after.
    pub attack: (String, String),
    /// Overall coverage.
    pub coverage: Change,
    /// Weighted coverage.
    pub weighted_coverage: Change,
    /// Covered in-scope techniques.
    pub covered: (usize, usize),
    /// In-scope techniques.
    pub in_scope: (usize, usize),
    /// Gaps.
    pub gaps: (usize, usize),
    /// Per actor (base order, then added ones).
    pub actors: Vec<ActorDiff>,
    /// Per target: broken ones first.
    pub targets: Vec<TargetDiff>,
    /// Techniques newly covered.
    pub newly_covered: Vec<TechniqueChange>,
    /// Techniques newly uncovered (still a threat technique on the head side).
    pub newly_uncovered: Vec<TechniqueChange>,
    /// Gaps that appeared.
    pub gaps_opened: Vec<GapChange>,
    /// Gaps that closed.
    pub gaps_closed: Vec<GapChange>,
    /// Rules added.
    pub rules_added: Vec<RuleChange>,
    /// Rules removed.
    pub rules_removed: Vec<RuleChange>,
    /// Rules whose status changed.
    pub rules_changed: Vec<RuleChange>,
    /// ATT&CK release changes (None when both sides use the same release).
    pub release: Option<ReleaseChanges>,
    /// Why this is a regression (empty: it is not).
    pub regressions: Vec<String>,
    /// Technique id → tactics (for the layer; not serialised).
    #[serde(skip)]
    tactics: BTreeMap<String, Vec<String>>,
    /// Gaps open on both sides (for the layer).
    #[serde(skip)]
    open_gaps: Vec<(String, String)>,
}

fn state(t: Option<&InTechnique>) -> &'static str {
    match t {
        None => "absent",
        Some(t) if !t.in_scope => "out-of-scope",
        Some(t) if t.covered => "covered",
        Some(_) => "gap",
    }
}

fn rule_ids(t: Option<&InTechnique>) -> BTreeSet<&str> {
    t.map(|t| t.rules.iter().map(|r| r.id.as_str()).collect())
        .unwrap_or_default()
}

/// Compares two builds.
pub fn diff(base: &DiffInput, head: &DiffInput) -> CoverageDiff {
    let release_differs = base.attack.release != head.attack.release;
    let b_rows: BTreeMap<&str, &InTechnique> =
        base.techniques.iter().map(|t| (t.id.as_str(), t)).collect();
    let h_rows: BTreeMap<&str, &InTechnique> =
        head.techniques.iter().map(|t| (t.id.as_str(), t)).collect();
    let covered = |t: Option<&&InTechnique>| t.is_some_and(|t| t.in_scope && t.covered);

    // ATT&CK release changes: a technique present on one side only is a release
    // change when the releases differ and the id is unknown to the other release.
    // Without catalogs at hand, "unknown to the other release" is approximated by:
    // not a threat technique on the other side.
    let mut release = None;
    let mut release_only: BTreeSet<&str> = BTreeSet::new();
    if release_differs {
        let mut rc = ReleaseChanges {
            before: base.attack.release.clone(),
            after: head.attack.release.clone(),
            ..Default::default()
        };
        for (id, b) in &b_rows {
            match h_rows.get(id) {
                Some(h) if h.name != b.name => {
                    rc.renamed
                        .push((id.to_string(), b.name.clone(), h.name.clone()))
                }
                Some(_) => {}
                None => {
                    rc.gone
                        .push((id.to_string(), b.name.clone(), b.in_scope && b.covered));
                    release_only.insert(id);
                }
            }
        }
        for (id, h) in &h_rows {
            if !b_rows.contains_key(id) {
                rc.new
                    .push((id.to_string(), h.name.clone(), h.in_scope && h.covered));
                release_only.insert(id);
            }
        }
        release = Some(rc);
    }

    let mut newly_covered = Vec::new();
    let mut newly_uncovered = Vec::new();
    for (id, h) in &h_rows {
        let b = b_rows.get(id);
        if release_only.contains(id) {
            continue;
        }
        let hb = rule_ids(Some(h));
        let bb = rule_ids(b.copied());
        if covered(Some(h)) && !covered(b) {
            newly_covered.push(TechniqueChange {
                id: id.to_string(),
                name: h.name.clone(),
                before: state(b.copied()).into(),
                rules: hb.difference(&bb).map(|s| s.to_string()).collect(),
            });
        } else if !covered(Some(h)) && covered(b) {
            newly_uncovered.push(TechniqueChange {
                id: id.to_string(),
                name: h.name.clone(),
                before: "covered".into(),
                rules: bb.difference(&hb).map(|s| s.to_string()).collect(),
            });
        }
    }

    let b_gaps: BTreeMap<&str, &InGap> = base
        .gaps
        .iter()
        .map(|g| (g.technique.as_str(), g))
        .collect();
    let h_gaps: BTreeMap<&str, &InGap> = head
        .gaps
        .iter()
        .map(|g| (g.technique.as_str(), g))
        .collect();
    let gap_change = |g: &InGap, reason: String| GapChange {
        technique: g.technique.clone(),
        name: g.name.clone(),
        tier: g.tier.clone(),
        score: g.score,
        actors: g.actors.iter().map(|a| a.id.clone()).collect(),
        reason,
    };
    let mut gaps_opened = Vec::new();
    for g in &head.gaps {
        if b_gaps.contains_key(g.technique.as_str()) || release_only.contains(g.technique.as_str())
        {
            continue;
        }
        let reason = match state(b_rows.get(g.technique.as_str()).copied()) {
            "covered" => "lost coverage",
            "out-of-scope" => "came into scope",
            _ => "new threat technique",
        };
        gaps_opened.push(gap_change(g, reason.into()));
    }
    let mut gaps_closed = Vec::new();
    for g in &base.gaps {
        if h_gaps.contains_key(g.technique.as_str()) || release_only.contains(g.technique.as_str())
        {
            continue;
        }
        let reason = match state(h_rows.get(g.technique.as_str()).copied()) {
            "covered" => "covered",
            "out-of-scope" => "went out of scope",
            _ => "no longer a threat technique",
        };
        gaps_closed.push(gap_change(g, reason.into()));
    }
    let open_gaps = head
        .gaps
        .iter()
        .filter(|g| b_gaps.contains_key(g.technique.as_str()))
        .map(|g| (g.technique.clone(), g.tier.clone()))
        .collect();
    gaps_opened.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.technique.cmp(&b.technique))
    });
    gaps_closed.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.technique.cmp(&b.technique))
    });

    // Actors.
    let h_actors: BTreeMap<&str, &InActor> =
        head.actors.iter().map(|a| (a.id.as_str(), a)).collect();
    let b_actor_ids: BTreeSet<&str> = base.actors.iter().map(|a| a.id.as_str()).collect();
    let mut actors: Vec<ActorDiff> = base
        .actors
        .iter()
        .map(|b| {
            let h = h_actors.get(b.id.as_str());
            ActorDiff {
                id: b.id.clone(),
                name: h.map(|h| h.name.clone()).unwrap_or_else(|| b.name.clone()),
                before: Some(b.coverage),
                after: h.map(|h| h.coverage),
                counts_before: Some((b.covered, b.in_scope)),
                counts_after: h.map(|h| (h.covered, h.in_scope)),
            }
        })
        .collect();
    for h in head
        .actors
        .iter()
        .filter(|h| !b_actor_ids.contains(h.id.as_str()))
    {
        actors.push(ActorDiff {
            id: h.id.clone(),
            name: h.name.clone(),
            before: None,
            after: Some(h.coverage),
            counts_before: None,
            counts_after: Some((h.covered, h.in_scope)),
        });
    }

    // Targets: broken ones first, then the others in base order, then added ones.
    let h_targets: BTreeMap<&str, &InTarget> =
        head.targets.iter().map(|t| (t.id.as_str(), t)).collect();
    let b_target_ids: BTreeSet<&str> = base.targets.iter().map(|t| t.id.as_str()).collect();
    let mut targets: Vec<TargetDiff> = base
        .targets
        .iter()
        .map(|b| {
            let h = h_targets.get(b.id.as_str());
            TargetDiff {
                id: b.id.clone(),
                required: h.map(|h| h.required).unwrap_or(b.required),
                weighted: h.map(|h| h.weighted).unwrap_or(b.weighted),
                before: Some(b.current),
                after: h.map(|h| h.current),
                met_before: Some(b.met),
                met_after: h.map(|h| h.met),
                broke: b.met && h.is_some_and(|h| !h.met),
            }
        })
        .collect();
    for h in head
        .targets
        .iter()
        .filter(|h| !b_target_ids.contains(h.id.as_str()))
    {
        targets.push(TargetDiff {
            id: h.id.clone(),
            required: h.required,
            weighted: h.weighted,
            before: None,
            after: Some(h.current),
            met_before: None,
            met_after: Some(h.met),
            broke: false,
        });
    }
    targets.sort_by_key(|t| !t.broke);

    // Rules.
    let b_rules: BTreeMap<&str, &InRule> = base.rules.iter().map(|r| (r.id.as_str(), r)).collect();
    let h_rules: BTreeMap<&str, &InRule> = head.rules.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut rules_added = Vec::new();
    let mut rules_changed = Vec::new();
    for (id, h) in &h_rules {
        match b_rules.get(id) {
            None => rules_added.push(RuleChange {
                id: id.to_string(),
                name: h.name.clone(),
                status_before: None,
                status_after: Some(h.status.clone()),
                techniques: h.techniques.clone(),
            }),
            Some(b) if b.status != h.status => rules_changed.push(RuleChange {
                id: id.to_string(),
                name: h.name.clone(),
                status_before: Some(b.status.clone()),
                status_after: Some(h.status.clone()),
                techniques: h.techniques.clone(),
            }),
            Some(_) => {}
        }
    }
    let rules_removed = b_rules
        .iter()
        .filter(|(id, _)| !h_rules.contains_key(*id))
        .map(|(id, b)| RuleChange {
            id: id.to_string(),
            name: b.name.clone(),
            status_before: Some(b.status.clone()),
            status_after: None,
            techniques: b.techniques.clone(),
        })
        .collect();

    let coverage = Change::new(base.summary.coverage, head.summary.coverage);
    let weighted_coverage = Change::new(
        base.summary.weighted_coverage,
        head.summary.weighted_coverage,
    );
    let mut regressions = Vec::new();
    if coverage.dropped() {
        regressions.push(format!(
            "overall coverage dropped {} → {}",
            pct(coverage.before),
            pct(coverage.after)
        ));
    }
    if weighted_coverage.dropped() {
        regressions.push(format!(
            "weighted coverage dropped {} → {}",
            pct(weighted_coverage.before),
            pct(weighted_coverage.after)
        ));
    }
    for a in &actors {
        if let (Some(b), Some(h)) = (a.before, a.after) {
            if h + EPS < b {
                regressions.push(format!(
                    "actor `{}` coverage dropped {} → {}",
                    a.id,
                    pct(b),
                    pct(h)
                ));
            }
        }
    }
    for t in &targets {
        if t.broke {
            regressions.push(format!("target `{}` went from met to unmet", t.id));
        }
        if let (Some(b), Some(h)) = (t.before, t.after) {
            if h + EPS < b {
                regressions.push(format!(
                    "target `{}` coverage dropped {} → {}",
                    t.id,
                    pct(b),
                    pct(h)
                ));
            }
        }
    }

    let mut tactics: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in base.techniques.iter().chain(head.techniques.iter()) {
        tactics
            .entry(t.id.clone())
            .or_insert_with(|| t.tactics.clone());
    }

    CoverageDiff {
        model: if head.model.name.is_empty() {
            base.model.name.clone()
        } else {
            head.model.name.clone()
        },
        version: (base.model.version.clone(), head.model.version.clone()),
        domain: if head.attack.domain.is_empty() {
            base.attack.domain.clone()
        } else {
            head.attack.domain.clone()
        },
        attack: (base.attack.release.clone(), head.attack.release.clone()),
        coverage,
        weighted_coverage,
        covered: (base.summary.covered, head.summary.covered),
        in_scope: (base.summary.in_scope, head.summary.in_scope),
        gaps: (base.summary.gaps, head.summary.gaps),
        actors,
        targets,
        newly_covered,
        newly_uncovered,
        gaps_opened,
        gaps_closed,
        rules_added,
        rules_removed,
        rules_changed,
        release,
        regressions,
        tactics,
        open_gaps,
    }
}

impl CoverageDiff {
    /// Is any coverage figure lower, or a target broken?
    pub fn is_regression(&self) -> bool {
        !self.regressions.is_empty()
    }

    /// The whole diff as pretty JSON.
    pub fn to_json(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Value::Object(m) = &mut v {
            m.insert("diff_format".into(), json!(1));
            m.insert("regression".into(), json!(self.is_regression()));
        }
        serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
    }
}

fn arrow(c: &Change) -> String {
    let d = (c.after - c.before) * 100.0;
    if c.changed() {
        format!(
            "{} → **{}** ({}{:.1} pts)",
            pct(c.before),
            pct(c.after),
            if d > 0.0 { "+" } else { "" },
            d
        )
    } else {
        format!("{} (unchanged)", pct(c.after))
    }
}

fn opt_pct(x: Option<f64>) -> String {
    x.map(pct).unwrap_or_else(|| "—".into())
}

/// A list section: a table header and rows, folded when long.
fn section(out: &mut String, title: &str, header: &str, rows: &[String]) {
    if rows.is_empty() {
        return;
    }
    out.push_str(&format!("\n### {title} ({})\n\n", rows.len()));
    let fold = rows.len() > FOLD_AFTER;
    if fold {
        out.push_str(&format!(
            "<details><summary>{} rows</summary>\n\n",
            rows.len()
        ));
    }
    out.push_str(header);
    for r in rows {
        out.push_str(r);
        out.push('\n');
    }
    if fold {
        out.push_str("\n</details>\n");
    }
}

fn ids(v: &[String]) -> String {
    if v.is_empty() {
        "—".into()
    } else {
        v.iter().map(|s| md_cell(s)).collect::<Vec<_>>().join(", ")
    }
}

fn code(s: &str) -> String {
    md_cell(s)
}

/// A regression text (README): generated words, with ids quoted in backticks. The
/// quoted ids stay code spans when every one is a plain id; anything else (a backtick
/// or a mention inside an id of a hand-written report.json) is escaped as text.
fn regression_line(r: &str) -> String {
    let parts: Vec<&str> = r.split('`').collect();
    let plain_id = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/'))
    };
    let balanced = parts.len() % 2 == 1;
    if !balanced || !parts.iter().skip(1).step_by(2).all(|p| plain_id(p)) {
        return md_cell(r);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 1 {
                // As before: the id, Markdown-escaped, between backticks.
                format!("`{}`", crate::escape::markdown_text(p))
            } else {
                md_cell(p)
            }
        })
        .collect()
}

/// The Markdown summary for a pull-request comment, at most [`MD_LIMIT`] characters.
pub fn markdown(d: &CoverageDiff) -> String {
    let mut out = String::new();
    out.push_str("<!-- threatc-diff -->\n");
    out.push_str(&format!(
        "## threatc coverage diff: {}\n\n",
        md_cell(&d.model)
    ));
    if d.is_regression() {
        out.push_str("> [!WARNING]\n> **Coverage regression**\n");
        for r in &d.regressions {
            // The texts quote ids (slugs) in backticks: keep those code spans.
            out.push_str(&format!("> - {}\n", regression_line(r)));
        }
        out.push('\n');
    }
    let v = |x: &Option<String>| x.as_deref().map(md_cell).unwrap_or_else(|| "—".into());
    out.push_str("| | before | after |\n|---|---|---|\n");
    out.push_str(&format!(
        "| model version | {} | {} |\n",
        v(&d.version.0),
        v(&d.version.1)
    ));
    out.push_str(&format!(
        "| ATT&amp;CK release | {} | {} |\n",
        md_cell(&d.attack.0),
        md_cell(&d.attack.1)
    ));
    out.push_str(&format!(
        "| covered / in scope | {} / {} | {} / {} |\n",
        d.covered.0, d.in_scope.0, d.covered.1, d.in_scope.1
    ));
    out.push_str(&format!("| gaps | {} | {} |\n\n", d.gaps.0, d.gaps.1));
    out.push_str(&format!("**Coverage** {}  \n", arrow(&d.coverage)));
    out.push_str(&format!(
        "**Weighted coverage** {}\n",
        arrow(&d.weighted_coverage)
    ));

    let target_rows: Vec<String> = d
        .targets
        .iter()
        .map(|t| {
            let met = |m: Option<bool>| match m {
                Some(true) => "met",
                Some(false) => "unmet",
                None => "—",
            };
            format!(
                "| {}{} | {} | {} → {} | {} → {} |",
                if t.broke { "⚠️ " } else { "" },
                code(&t.id),
                pct(t.required),
                opt_pct(t.before),
                opt_pct(t.after),
                met(t.met_before),
                if t.broke {
                    "**unmet**"
                } else {
                    met(t.met_after)
                }
            )
        })
        .collect();
    section(
        &mut out,
        "Targets",
        "| target | required | coverage | status |\n|---|---|---|---|\n",
        &target_rows,
    );

    let actor_rows: Vec<String> = d
        .actors
        .iter()
        .map(|a| {
            let cnt = |c: Option<(usize, usize)>| {
                c.map(|(x, y)| format!(" ({x}/{y})")).unwrap_or_default()
            };
            let note = match (a.before, a.after) {
                (None, _) => " (added)",
                (_, None) => " (removed)",
                (Some(b), Some(h)) if h + EPS < b => " ⚠️",
                _ => "",
            };
            format!(
                "| {} ({}){} | {}{} | {}{} |",
                md_cell(&a.name),
                code(&a.id),
                note,
                opt_pct(a.before),
                cnt(a.counts_before),
                opt_pct(a.after),
                cnt(a.counts_after)
            )
        })
        .collect();
    section(
        &mut out,
        "Actors",
        "| actor | before | after |\n|---|---|---|\n",
        &actor_rows,
    );

    let tech_rows = |v: &[TechniqueChange]| -> Vec<String> {
        v.iter()
            .map(|t| {
                format!(
                    "| {} | {} | {} | {} |",
                    code(&t.id),
                    md_cell(&t.name),
                    md_cell(&t.before),
                    ids(&t.rules)
                )
            })
            .collect()
    };
    section(
        &mut out,
        "Newly uncovered techniques",
        "| technique | name | before | rules that stopped covering it |\n|---|---|---|---|\n",
        &tech_rows(&d.newly_uncovered),
    );
    section(
        &mut out,
        "Newly covered techniques",
        "| technique | name | before | rules that started covering it |\n|---|---|---|---|\n",
        &tech_rows(&d.newly_covered),
    );
    let gap_rows = |v: &[GapChange]| -> Vec<String> {
        v.iter()
            .map(|g| {
                format!(
                    "| {} | {} | {} | {} | {} | {} |",
                    code(&g.technique),
                    md_cell(&g.name),
                    md_cell(&g.tier),
                    fmt_num(g.score),
                    ids(&g.actors),
                    md_cell(&g.reason)
                )
            })
            .collect()
    };
    let gh = "| technique | name | tier | score | actors | why |\n|---|---|---|---|---|---|\n";
    section(&mut out, "Gaps opened", gh, &gap_rows(&d.gaps_opened));
    section(&mut out, "Gaps closed", gh, &gap_rows(&d.gaps_closed));
    let st = |s: &Option<String>| s.as_deref().map(md_cell).unwrap_or_else(|| "—".into());
    let rule_rows: Vec<String> = d
        .rules_added
        .iter()
        .map(|r| ("added", r))
        .chain(d.rules_removed.iter().map(|r| ("removed", r)))
        .chain(d.rules_changed.iter().map(|r| ("status", r)))
        .map(|(k, r)| {
            format!(
                "| {} | {} | {} | {} → {} | {} |",
                code(&r.id),
                md_cell(&r.name),
                k,
                st(&r.status_before),
                st(&r.status_after),
                ids(&r.techniques)
            )
        })
        .collect();
    section(
        &mut out,
        "Rules",
        "| rule | name | change | status | techniques |\n|---|---|---|---|---|\n",
        &rule_rows,
    );

    if let Some(rc) = &d.release {
        out.push_str(&format!(
            "\n### ATT&amp;CK release {} → {}\n\nThese changes come from the ATT&amp;CK data, not from the model; they are not counted above.\n",
            md_cell(&rc.before),
            md_cell(&rc.after)
        ));
        let renamed: Vec<String> = rc
            .renamed
            .iter()
            .map(|(id, a, b)| {
                format!(
                    "| {} | renamed | {} → {} |",
                    code(id),
                    md_cell(a),
                    md_cell(b)
                )
            })
            .collect();
        let gone: Vec<String> = rc
            .gone
            .iter()
            .map(|(id, n, c)| {
                format!(
                    "| {} | gone (revoked, deprecated or moved){} | {} |",
                    code(id),
                    if *c { ", was covered" } else { "" },
                    md_cell(n)
                )
            })
            .collect();
        let new: Vec<String> = rc
            .new
            .iter()
            .map(|(id, n, c)| {
                format!(
                    "| {} | new{} | {} |",
                    code(id),
                    if *c { ", covered" } else { "" },
                    md_cell(n)
                )
            })
            .collect();
        let all: Vec<String> = renamed.into_iter().chain(gone).chain(new).collect();
        section(
            &mut out,
            "Release changes",
            "| technique | change | name |\n|---|---|---|\n",
            &all,
        );
    }
    let nothing = d.newly_covered.is_empty()
        && d.newly_uncovered.is_empty()
        && d.gaps_opened.is_empty()
        && d.gaps_closed.is_empty()
        && d.rules_added.is_empty()
        && d.rules_removed.is_empty()
        && d.rules_changed.is_empty();
    if nothing {
        out.push_str("\nNo technique, gap or rule changed.\n");
    }
    out.push_str("\n<sub>Generated by threatc diff; the layer `diff-layer.json` shows the change in ATT&amp;CK Navigator.</sub>\n");
    truncate(out)
}

/// Cuts the text at a line boundary to fit [`MD_LIMIT`], closing an open `<details>`.
fn truncate(s: String) -> String {
    if s.len() <= MD_LIMIT {
        return s;
    }
    let note = "\n\n**Truncated**: the diff is too long for one comment; see `coverage-diff.md` or `coverage-diff.json` in the build artefacts.\n";
    let budget = MD_LIMIT - note.len() - "\n</details>\n".len();
    let mut cut = String::new();
    for line in s.lines() {
        if cut.len() + line.len() + 1 > budget {
            break;
        }
        cut.push_str(line);
        cut.push('\n');
    }
    if cut.matches("<details>").count() > cut.matches("</details>").count() {
        cut.push_str("\n</details>\n");
    }
    cut.push_str(note);
    cut
}

/// The ATT&CK Navigator layer of the difference.
pub fn layer(d: &CoverageDiff) -> Value {
    let mut cells: BTreeMap<&str, (&str, String)> = BTreeMap::new();
    for (t, tier) in &d.open_gaps {
        cells.insert(t, (OPEN_GAP_COLOR, format!("gap on both sides ({tier})")));
    }
    for g in &d.gaps_opened {
        cells.insert(
            &g.technique,
            (NEW_GAP_COLOR, format!("new gap ({}): {}", g.tier, g.reason)),
        );
    }
    for t in &d.newly_uncovered {
        cells.insert(
            &t.id,
            (
                LOST_COLOR,
                format!("lost coverage; rules that stopped: {}", t.rules.join(", ")),
            ),
        );
    }
    for t in &d.newly_covered {
        cells.insert(
            &t.id,
            (
                GAINED_COLOR,
                format!("gained coverage; rules: {}", t.rules.join(", ")),
            ),
        );
    }
    let mut techniques = Vec::new();
    for (id, (color, comment)) in &cells {
        for tactic in d.tactics.get(*id).map(Vec::as_slice).unwrap_or(&[]) {
            techniques.push(json!({
                "techniqueID": id,
                "tactic": tactic,
                "color": color,
                "comment": comment,
                "enabled": true,
                "metadata": [],
                "links": [],
                "showSubtechniques": false,
            }));
        }
    }
    let major = d.attack.1.split('.').next().unwrap_or("").to_string();
    json!({
        "name": format!("{}: coverage diff", d.model),
        "versions": {"attack": major, "navigator": super::navigator::NAVIGATOR_VERSION, "layer": super::navigator::LAYER_VERSION},
        "domain": format!("{}-attack", d.domain),
        "description": format!(
            "Coverage {} → {} (weighted {} → {})",
            pct(d.coverage.before), pct(d.coverage.after), pct(d.weighted_coverage.before), pct(d.weighted_coverage.after)
        ),
        "sorting": 0,
        "layout": {"layout": "side", "aggregateFunction": "average", "showID": true, "showName": true, "showAggregateScores": false, "countUnscored": false, "expandedSubtechniques": "annotated"},
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {"colors": ["#ffffff", "#ffffff"], "minValue": 0, "maxValue": 1},
        "legendItems": [
            {"label": "gained coverage", "color": GAINED_COLOR},
            {"label": "lost coverage", "color": LOST_COLOR},
            {"label": "new gap", "color": NEW_GAP_COLOR},
            {"label": "gap on both sides", "color": OPEN_GAP_COLOR},
        ],
        "showTacticRowBackground": false,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
        "selectVisibleTechniques": false,
        "metadata": [
            {"name": "model", "value": d.model},
            {"name": "ATT&CK release", "value": format!("{} → {}", d.attack.0, d.attack.1)},
            {"name": "generator", "value": format!("threatc {}", env!("CARGO_PKG_VERSION"))},
        ],
        "links": [],
    })
}
