//! The comparison: [`diff`] turns two [`DiffInput`]s into a [`CoverageDiff`], the
//! changes and the regressions, ready for the renderers in `emit::diff`.

use super::input::{DiffInput, InActor, InGap, InRule, InTarget, InTechnique};
use crate::emit::pct;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Changes smaller than this are noise from rounding.
pub const EPS: f64 = 1e-9;

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
    /// Before and after differ by more than rounding.
    pub fn changed(&self) -> bool {
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
    pub(crate) tactics: BTreeMap<String, Vec<String>>,
    /// Gaps open on both sides (for the layer).
    #[serde(skip)]
    pub(crate) open_gaps: Vec<(String, String)>,
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
}
