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
    /// Threat techniques of the base that the head release revoked into another technique:
    /// the base technique is compared with its replacement, not listed as gone.
    pub revoked: Vec<Revocation>,
}

/// A base technique revoked, in the head's release, into another one (`T1070.001` →
/// `T1685.005`): the two are compared as one technique.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Revocation {
    /// The base's technique id.
    pub id: String,
    /// Its name on the base side.
    pub name: String,
    /// The technique that replaced it.
    pub by: String,
    /// The replacement's name on the head side (empty: not a threat technique there).
    pub by_name: String,
    /// The release that revoked it.
    pub release: String,
}

impl Revocation {
    /// `T1070.001 → T1685.005 (revoked in 19.0)`.
    pub fn line(&self) -> String {
        format!("{} → {} (revoked in {})", self.id, self.by, self.release)
    }
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
    /// (technique, asset) pairs whose state changed, of techniques and assets present on
    /// both sides (sorted by technique, then asset).
    pub pair_changes: Vec<super::pairs::PairChange>,
    /// Risk decisions added, changed, expired or removed (none: a side does not record
    /// decisions, a report.json written before them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Vec<super::decisions::DecisionChange>>,
    /// ATT&CK release changes (None when both sides use the same release).
    pub release: Option<ReleaseChanges>,
    /// Why this is a regression (empty: it is not).
    pub regressions: Vec<String>,
    /// The git revision at which the model did not exist (the base is empty: everything
    /// is new, and nothing can regress).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_base: Option<String>,
    /// Technique id → tactics (for the layer; not serialised).
    #[serde(skip)]
    pub(crate) tactics: BTreeMap<String, Vec<String>>,
    /// Gaps open on both sides (for the layer).
    #[serde(skip)]
    pub(crate) open_gaps: Vec<(String, String)>,
    /// Rule id → name (the head's name where both sides have the rule), so that the PR
    /// comment and the layer name rules by title (a Sigma id is a UUID); not serialised.
    #[serde(skip)]
    pub(crate) rule_names: BTreeMap<String, String>,
}

impl CoverageDiff {
    /// A rule's name (title), else its id.
    pub fn rule_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.rule_names
            .get(id)
            .map(String::as_str)
            .filter(|n| !n.is_empty())
            .unwrap_or(id)
    }
}

/// What a technique was on one side, from the rows it is compared with there (none, one,
/// or the rows of several base techniques revoked into one head technique).
fn state(rows: &[&InTechnique]) -> &'static str {
    if rows.is_empty() {
        "absent"
    } else if rows.iter().any(|t| t.in_scope && t.covered) {
        "covered"
    } else if rows.iter().any(|t| t.in_scope) {
        "gap"
    } else {
        "out-of-scope"
    }
}

fn covered(rows: &[&InTechnique]) -> bool {
    rows.iter().any(|t| t.in_scope && t.covered)
}

fn rule_ids<'a>(rows: &[&'a InTechnique]) -> BTreeSet<&'a str> {
    rows.iter()
        .flat_map(|t| t.rules.iter().map(|r| r.id.as_str()))
        .collect()
}

/// Technique ids the head's release revoked since the base's: id → (replacement, the
/// release that revoked it), replacements followed to an active technique. From the head
/// side's catalog when it was compiled now ([`DiffInput::with_catalog`]), the embedded
/// catalog when it is the head's release, and the release notes' table
/// ([`crate::catalog::newer`]) for a report.json of a newer release.
fn revocations(base: &DiffInput, head: &DiffInput) -> BTreeMap<String, (String, String)> {
    let mut direct: BTreeMap<String, (String, String)> = BTreeMap::new();
    let (from, to) = (&base.attack.release, &head.attack.release);
    if !crate::catalog::newer::is_newer(to, from) {
        return direct;
    }
    let domain = head.attack.domain.parse::<crate::catalog::Domain>().ok();
    for r in crate::catalog::newer::newer_ids() {
        let in_range = crate::catalog::newer::is_newer(r.release, from)
            && !crate::catalog::newer::is_newer(r.release, to);
        if in_range && Some(r.domain) == domain {
            for old in &r.replaces {
                direct.insert(old.to_string(), (r.id.to_string(), r.release.to_string()));
            }
        }
    }
    let embedded = domain
        .and_then(|d| crate::catalog::embedded(d).ok())
        .filter(|c| &c.release == to)
        .map(catalog_revocations)
        .unwrap_or_default();
    for (old, by) in embedded.into_iter().chain(head.revoked_by.clone()) {
        direct.insert(old, (by, to.clone()));
    }
    // T1 → T2 → T3: compared with T3, the release that revoked T1 kept.
    let mut out = BTreeMap::new();
    for (old, (by, release)) in &direct {
        let mut by = by;
        for _ in 0..8 {
            match direct.get(by) {
                Some((next, _)) if next != old => by = next,
                _ => break,
            }
        }
        out.insert(old.clone(), (by.clone(), release.clone()));
    }
    out
}

/// A catalog's revoked techniques with their replacement: id → replacement.
pub(super) fn catalog_revocations(c: &crate::catalog::Catalog) -> BTreeMap<String, String> {
    c.techniques
        .iter()
        .filter(|t| t.revoked)
        .filter_map(|t| Some((t.id.to_string(), t.revoked_by.as_deref()?.to_string())))
        .collect()
}

/// The two sides' technique rows lined up: each head technique with the base rows it is
/// compared with (its own, or those of the base techniques revoked into it).
struct Rows<'a> {
    /// Head rows by id.
    head: BTreeMap<&'a str, &'a InTechnique>,
    /// Base id → the id it is compared under (itself, or its replacement).
    key: BTreeMap<&'a str, &'a str>,
    /// Compared id → the base rows compared with it.
    base: BTreeMap<&'a str, Vec<&'a InTechnique>>,
    /// Ids on one side only because of the release: not compared.
    release_only: BTreeSet<&'a str>,
}

impl<'a> Rows<'a> {
    /// The base rows compared with head id `id`.
    fn base_of(&self, id: &str) -> &[&'a InTechnique] {
        self.base.get(id).map(Vec::as_slice).unwrap_or_default()
    }
    /// The head row compared with base id `id`.
    fn head_of(&self, id: &str) -> Option<&'a InTechnique> {
        let key = self.key.get(id).copied().unwrap_or(id);
        self.head.get(key).copied()
    }
    /// The id base id `id` is compared under.
    fn key_of(&self, id: &'a str) -> &'a str {
        self.key.get(id).copied().unwrap_or(id)
    }
}

/// Lines the rows up and, when the releases differ, lists the release's changes: renamed,
/// revoked into another technique (compared with it), gone, new.
fn line_up<'a>(base: &'a DiffInput, head: &'a DiffInput) -> (Rows<'a>, Option<ReleaseChanges>) {
    let b_rows: BTreeMap<&str, &InTechnique> =
        base.techniques.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut rows = Rows {
        head: head.techniques.iter().map(|t| (t.id.as_str(), t)).collect(),
        key: BTreeMap::new(),
        base: BTreeMap::new(),
        release_only: BTreeSet::new(),
    };
    let mut release = None;
    if base.attack.release != head.attack.release {
        let revoked = revocations(base, head);
        let mut rc = ReleaseChanges {
            before: base.attack.release.clone(),
            after: head.attack.release.clone(),
            ..Default::default()
        };
        let mut targets: BTreeSet<&str> = BTreeSet::new();
        for (id, b) in &b_rows {
            match (rows.head.get(id), revoked.get(*id)) {
                (Some(h), _) if h.name != b.name => {
                    rc.renamed
                        .push((id.to_string(), b.name.clone(), h.name.clone()))
                }
                (Some(_), _) => {}
                (None, Some((by, release))) => {
                    let h = rows.head.get_key_value(by.as_str());
                    rc.revoked.push(Revocation {
                        id: id.to_string(),
                        name: b.name.clone(),
                        by: by.clone(),
                        by_name: h.map(|(_, h)| h.name.clone()).unwrap_or_default(),
                        release: release.clone(),
                    });
                    match h {
                        Some((by, _)) => {
                            rows.key.insert(id, by);
                            targets.insert(by);
                        }
                        // The replacement is no threat technique of the head: nothing to
                        // compare it with.
                        None => {
                            rows.release_only.insert(id);
                        }
                    }
                }
                (None, None) => {
                    rc.gone
                        .push((id.to_string(), b.name.clone(), b.in_scope && b.covered));
                    rows.release_only.insert(id);
                }
            }
        }
        for (id, h) in &rows.head {
            if !b_rows.contains_key(id) && !targets.contains(id) {
                rc.new
                    .push((id.to_string(), h.name.clone(), h.in_scope && h.covered));
                rows.release_only.insert(id);
            }
        }
        release = Some(rc);
    }
    for (id, b) in &b_rows {
        let key = rows.key_of(id);
        rows.base.entry(key).or_default().push(b);
    }
    (rows, release)
}

/// Techniques newly covered and newly uncovered (still threat techniques on the head side).
fn technique_changes(rows: &Rows) -> (Vec<TechniqueChange>, Vec<TechniqueChange>) {
    let mut newly_covered = Vec::new();
    let mut newly_uncovered = Vec::new();
    for (id, h) in &rows.head {
        if rows.release_only.contains(id) {
            continue;
        }
        let b = rows.base_of(id);
        let h = [*h];
        let (hb, bb) = (rule_ids(&h), rule_ids(b));
        if covered(&h) && !covered(b) {
            newly_covered.push(TechniqueChange {
                id: id.to_string(),
                name: h[0].name.clone(),
                before: state(b).into(),
                rules: hb.difference(&bb).map(|s| s.to_string()).collect(),
            });
        } else if !covered(&h) && covered(b) {
            newly_uncovered.push(TechniqueChange {
                id: id.to_string(),
                name: h[0].name.clone(),
                before: "covered".into(),
                rules: bb.difference(&hb).map(|s| s.to_string()).collect(),
            });
        }
    }
    (newly_covered, newly_uncovered)
}

fn gap_change(g: &InGap, reason: &str) -> GapChange {
    GapChange {
        technique: g.technique.clone(),
        name: g.name.clone(),
        tier: g.tier.clone(),
        score: g.score,
        actors: g.actors.iter().map(|a| a.id.clone()).collect(),
        reason: reason.into(),
    }
}

fn by_score(a: &GapChange, b: &GapChange) -> std::cmp::Ordering {
    b.score
        .partial_cmp(&a.score)
        .unwrap_or(std::cmp::Ordering::Equal)
        .then(a.technique.cmp(&b.technique))
}

/// The kind of the decision that took a technique off a side's to-do list.
fn decided<'a>(side: &'a DiffInput, id: &str) -> Option<&'a str> {
    side.accepted
        .iter()
        .find(|g| g.technique == id)
        .and_then(|g| g.decision.as_ref())
        .map(|d| d.decision.as_str())
}

/// Gaps opened, gaps closed, and gaps open on both sides (technique, tier; for the layer).
#[allow(clippy::type_complexity)]
fn gap_changes(
    base: &DiffInput,
    head: &DiffInput,
    rows: &Rows,
) -> (Vec<GapChange>, Vec<GapChange>, Vec<(String, String)>) {
    // A base gap is compared under its technique's id on the head side.
    let b_gaps: BTreeSet<&str> = base
        .gaps
        .iter()
        .map(|g| rows.key_of(g.technique.as_str()))
        .collect();
    let h_gaps: BTreeSet<&str> = head.gaps.iter().map(|g| g.technique.as_str()).collect();
    let mut gaps_opened = Vec::new();
    for g in &head.gaps {
        let id = g.technique.as_str();
        if b_gaps.contains(id) || rows.release_only.contains(id) {
            continue;
        }
        let reason = match state(rows.base_of(id)) {
            "covered" => "lost coverage",
            "out-of-scope" => "came into scope",
            // A gap off the base's to-do list: a decision accepted or transferred it.
            "gap" => match &g.decision {
                Some(d) if d.expired => "decision expired",
                _ => "decision withdrawn",
            },
            _ => "new threat technique",
        };
        gaps_opened.push(gap_change(g, reason));
    }
    let mut gaps_closed = Vec::new();
    for g in &base.gaps {
        let id = g.technique.as_str();
        let key = rows.key_of(id);
        if h_gaps.contains(key) || rows.release_only.contains(id) {
            continue;
        }
        let h: Vec<&InTechnique> = rows.head_of(id).into_iter().collect();
        // Revoked into a technique that another base technique already covered: the
        // release merged them, the model changed nothing.
        if key != id && state(rows.base_of(key)) == state(&h) {
            continue;
        }
        let reason = match state(&h) {
            "covered" => "covered",
            "out-of-scope" => "went out of scope",
            // Still a gap, off the head's to-do list: a decision accepts or transfers it.
            "gap" => match decided(head, key) {
                Some("transfer") => "transferred",
                _ => "accepted",
            },
            _ => "no longer a threat technique",
        };
        gaps_closed.push(gap_change(g, reason));
    }
    let open_gaps = head
        .gaps
        .iter()
        .filter(|g| b_gaps.contains(g.technique.as_str()))
        .map(|g| (g.technique.clone(), g.tier.clone()))
        .collect();
    gaps_opened.sort_by(by_score);
    gaps_closed.sort_by(by_score);
    (gaps_opened, gaps_closed, open_gaps)
}

/// Per actor: base order, then added ones.
fn actor_diffs(base: &DiffInput, head: &DiffInput) -> Vec<ActorDiff> {
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
    actors
}

/// Targets: broken ones first, then the others in base order, then added ones.
fn target_diffs(base: &DiffInput, head: &DiffInput) -> Vec<TargetDiff> {
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
    targets
}

/// Rules added, removed, and whose status changed.
fn rule_changes(
    base: &DiffInput,
    head: &DiffInput,
) -> (Vec<RuleChange>, Vec<RuleChange>, Vec<RuleChange>) {
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
    (rules_added, rules_removed, rules_changed)
}

/// Why the change is a regression: a coverage figure dropped, a target broke.
fn regressions(
    coverage: &Change,
    weighted: &Change,
    actors: &[ActorDiff],
    targets: &[TargetDiff],
) -> Vec<String> {
    let mut out = Vec::new();
    let dropped = |what: String, b: f64, h: f64| format!("{what} dropped {} → {}", pct(b), pct(h));
    if coverage.dropped() {
        out.push(dropped(
            "overall coverage".into(),
            coverage.before,
            coverage.after,
        ));
    }
    if weighted.dropped() {
        out.push(dropped(
            "weighted coverage".into(),
            weighted.before,
            weighted.after,
        ));
    }
    for a in actors {
        if let (Some(b), Some(h)) = (a.before, a.after) {
            if h + EPS < b {
                out.push(dropped(format!("actor `{}` coverage", a.id), b, h));
            }
        }
    }
    // One line per target: a target that broke says how far its coverage fell.
    for t in targets {
        let fell = match (t.before, t.after) {
            (Some(b), Some(h)) if h + EPS < b => Some((b, h)),
            _ => None,
        };
        match (t.broke, fell) {
            (true, Some((b, h))) => out.push(format!(
                "target `{}` went from met to unmet (coverage {} → {})",
                t.id,
                pct(b),
                pct(h)
            )),
            (true, None) => out.push(format!("target `{}` went from met to unmet", t.id)),
            (false, Some((b, h))) => out.push(dropped(format!("target `{}` coverage", t.id), b, h)),
            (false, None) => {}
        }
    }
    out
}

/// The head's value, else the base's.
fn head_else_base(base: &str, head: &str) -> String {
    if head.is_empty() { base } else { head }.to_string()
}

/// Compares two builds.
pub fn diff(base: &DiffInput, head: &DiffInput) -> CoverageDiff {
    let (rows, release) = line_up(base, head);
    let (newly_covered, newly_uncovered) = technique_changes(&rows);
    let (gaps_opened, gaps_closed, open_gaps) = gap_changes(base, head, &rows);
    let actors = actor_diffs(base, head);
    let targets = target_diffs(base, head);
    let (rules_added, rules_removed, rules_changed) = rule_changes(base, head);
    let coverage = Change::new(base.summary.coverage, head.summary.coverage);
    let weighted_coverage = Change::new(
        base.summary.weighted_coverage,
        head.summary.weighted_coverage,
    );
    let regressions = if base.absent_at.is_some() {
        Vec::new()
    } else {
        regressions(&coverage, &weighted_coverage, &actors, &targets)
    };
    let mut tactics: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in base.techniques.iter().chain(head.techniques.iter()) {
        tactics
            .entry(t.id.clone())
            .or_insert_with(|| t.tactics.clone());
    }
    let rule_names = base
        .rules
        .iter()
        .chain(head.rules.iter())
        .map(|r| (r.id.clone(), r.name.clone()))
        .collect();
    CoverageDiff {
        model: head_else_base(&base.model.name, &head.model.name),
        version: (base.model.version.clone(), head.model.version.clone()),
        domain: head_else_base(&base.attack.domain, &head.attack.domain),
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
        pair_changes: super::pairs::pair_changes(base, head),
        decisions: super::decisions::decision_changes(base, head),
        release,
        regressions,
        no_base: base.absent_at.clone(),
        tactics,
        open_gaps,
        rule_names,
    }
}

impl CoverageDiff {
    /// Is any coverage figure lower, or a target broken?
    pub fn is_regression(&self) -> bool {
        !self.regressions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::InRuleRef;

    fn row(id: &str, covered: bool, rule: &str) -> InTechnique {
        InTechnique {
            id: id.into(),
            name: id.into(),
            in_scope: true,
            covered,
            rules: if covered {
                vec![InRuleRef { id: rule.into() }]
            } else {
                Vec::new()
            },
            ..Default::default()
        }
    }

    fn side(release: &str, rows: Vec<InTechnique>) -> DiffInput {
        let mut d = DiffInput::default();
        d.attack.domain = "enterprise".into();
        d.attack.release = release.into();
        d.techniques = rows;
        d
    }

    /// The head side's catalog revocations (a release the table does not know), followed
    /// through a chain: T1 → T2 → T3 compares T1 with T3.
    #[test]
    fn a_catalog_revocation_pairs_the_rows() {
        let base = side(
            "90.0",
            vec![
                row("T1", true, "r"),
                row("T5", false, ""),
                row("T7", true, "r"),
            ],
        );
        let mut head = side(
            "91.0",
            vec![
                row("T3", true, "r"),
                row("T6", true, "s"),
                row("T8", true, "r"),
            ],
        );
        head.revoked_by = [("T1", "T2"), ("T2", "T3"), ("T5", "T6")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let d = diff(&base, &head);
        let rc = d.release.as_ref().unwrap();
        let lines: Vec<String> = rc.revoked.iter().map(Revocation::line).collect();
        assert_eq!(
            lines,
            ["T1 → T3 (revoked in 91.0)", "T5 → T6 (revoked in 91.0)"]
        );
        assert_eq!(rc.gone, [("T7".to_string(), "T7".to_string(), true)]);
        assert_eq!(rc.new, [("T8".to_string(), "T8".to_string(), true)]);
        // T5 was a gap, T6 is covered: a real change, seen through the revocation.
        let covered: Vec<(&str, &str)> = d
            .newly_covered
            .iter()
            .map(|t| (t.id.as_str(), t.before.as_str()))
            .collect();
        assert_eq!(covered, [("T6", "gap")]);
        assert!(d.newly_uncovered.is_empty());
    }
}
