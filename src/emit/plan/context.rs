//! The template context: the analysis at the top level and the precomputed plan data
//! (what to build per gap, display names, tiers) under `plan`.

use super::technique_url;
use crate::analysis::{Analysis, Tier};
use crate::catalog::Catalog;
use minijinja::Value;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A log source an analytic reads.
#[derive(Debug, Clone, Serialize)]
pub struct PlanLogSource {
    /// Log name, e.g. `WinEventLog:Security`.
    pub name: String,
    /// Channel, e.g. `EventCode=5140` (may be empty).
    pub channel: String,
    /// Data component id.
    pub data_component: String,
    /// Data component name.
    pub data_component_name: String,
}

/// An analytic for an in-scope platform.
#[derive(Debug, Clone, Serialize)]
pub struct PlanAnalytic {
    /// `AN…` id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Platforms.
    pub platforms: Vec<String>,
    /// Log sources.
    pub log_sources: Vec<PlanLogSource>,
}

/// A detection strategy of a technique.
#[derive(Debug, Clone, Serialize)]
pub struct PlanStrategy {
    /// `DET…` id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its analytics for the platforms in scope.
    pub analytics: Vec<PlanAnalytic>,
}

/// A mitigation of a technique.
#[derive(Debug, Clone, Serialize)]
pub struct PlanMitigation {
    /// `M…` id.
    pub id: String,
    /// Name.
    pub name: String,
    /// How it applies to the technique.
    pub text: String,
}

/// What to build to close one gap.
#[derive(Debug, Clone, Serialize)]
pub struct GapBuild {
    /// ATT&CK page of the technique.
    pub url: String,
    /// Detection strategies.
    pub detection_strategies: Vec<PlanStrategy>,
    /// Mitigations.
    pub mitigations: Vec<PlanMitigation>,
    /// The names of the log sources its analytics read, each once, in the order of
    /// `detection_strategies` (templates sort them; gathering them in a template is the
    /// slowest part of the plan).
    pub log_source_names: Vec<String>,
}

/// One tier's line of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct TierInfo {
    /// `P1`, `P2`, `P3`.
    pub tier: String,
    /// Days to due.
    pub days: u32,
    /// Gaps in the tier.
    pub count: usize,
}

/// Precomputed plan data (the `plan` key of the template context).
#[derive(Debug, Clone, Serialize)]
pub struct PlanData {
    /// What to build, by gap technique id.
    pub build: BTreeMap<String, GapBuild>,
    /// Technique display names, by id (every threat technique).
    pub technique_names: BTreeMap<String, String>,
    /// Tactic display names, by short name.
    pub tactic_names: BTreeMap<String, String>,
    /// Actor display names, by actor id.
    pub actor_names: BTreeMap<String, String>,
    /// Tiers with their due days and gap counts.
    pub tiers: Vec<TierInfo>,
    /// Platforms in scope (empty: all).
    pub platforms: Vec<String>,
    /// The matrix as data (plan.html lays it out as a grid): one column per tactic.
    pub matrix: Vec<super::svg::MatrixColumn>,
    /// Where each gap is, by technique id: `covered on A, B; not on C` (empty without
    /// assets; see [`crate::emit::tables::where_text`]).
    pub gap_where: BTreeMap<String, String>,
    /// Each gap's tactics by name, joined with `, ` (what `macros.j2`'s `tactics_list`
    /// writes), by technique id: the gap tables read it instead of calling the macro on
    /// every row.
    pub gap_tactics: BTreeMap<String, String>,
    /// Each gap's actors by name, joined with `, ` (what `actors_list` writes), by
    /// technique id.
    pub gap_actors: BTreeMap<String, String>,
    /// The gaps on each asset, by asset id: every asset of the model.
    pub asset_gaps: BTreeMap<String, AssetGaps>,
    /// The best candidate rule per gap and group of assets it is best on, gaps by rank
    /// (empty without `candidates:`).
    pub candidates: Vec<CandidateRow>,
}

/// One line of the plan's candidate table: a gap's best candidate rule on some assets.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateRow {
    /// Gap rank.
    pub rank: usize,
    /// Technique id.
    pub technique: String,
    /// Tier.
    pub tier: String,
    /// The assets it is the best candidate on (in the gap's order; empty: the model has
    /// no assets).
    pub assets: Vec<String>,
    /// The rule.
    pub best: crate::analysis::CandidateRef,
    /// The most candidates any of those assets has.
    pub total: usize,
}

/// The plan's candidate rows: per gap, the assets grouped by their best candidate.
fn candidate_rows(a: &Analysis) -> Vec<CandidateRow> {
    let mut rows = Vec::new();
    for g in a.gaps.iter() {
        let mut mine: Vec<CandidateRow> = Vec::new();
        for c in &g.candidates {
            let Some(best) = c.best.first() else {
                continue;
            };
            let same = mine
                .iter_mut()
                .find(|r| r.best.path == best.path && r.best.id == best.id);
            match same {
                Some(r) => {
                    r.assets.extend(c.asset.clone());
                    r.total = r.total.max(c.total);
                }
                None => mine.push(CandidateRow {
                    rank: g.rank,
                    technique: g.technique.clone(),
                    tier: g.tier.as_str().to_string(),
                    assets: c.asset.iter().cloned().collect(),
                    best: best.clone(),
                    total: c.total,
                }),
            }
        }
        rows.extend(mine);
    }
    rows
}

/// The gaps on one asset: the gap techniques not covered there.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AssetGaps {
    /// Gaps on the asset.
    pub gaps: usize,
    /// Of those, P1.
    pub p1: usize,
    /// The first gaps on it, by rank (at most 5).
    pub top: Vec<String>,
}

/// The gaps on each asset of the model.
fn asset_gaps(a: &Analysis) -> BTreeMap<String, AssetGaps> {
    let mut out: BTreeMap<String, AssetGaps> = a
        .assets
        .iter()
        .map(|x| (x.id.clone(), AssetGaps::default()))
        .collect();
    for g in a.gaps.iter() {
        for (asset, _) in crate::emit::tables::gap_pairs(g) {
            if let Some(row) = out.get_mut(asset) {
                row.gaps += 1;
                row.p1 += usize::from(g.tier == Tier::P1);
                if row.top.len() < 5 {
                    row.top.push(g.technique.clone());
                }
            }
        }
    }
    out
}

fn in_scope_platforms(a: &Analysis) -> BTreeSet<String> {
    a.assets
        .iter()
        .flat_map(|x| x.platforms.iter().cloned())
        .collect()
}

/// Computes the plan data.
pub fn plan_data(a: &Analysis, catalog: &Catalog) -> PlanData {
    let platforms = in_scope_platforms(a);
    let build = a
        .gaps
        .iter()
        .map(|g| {
            (
                g.technique.clone(),
                gap_build(&g.technique, catalog, &platforms),
            )
        })
        .collect();
    let tiers = [Tier::P1, Tier::P2, Tier::P3]
        .iter()
        .zip(a.settings.due_days.iter())
        .map(|(t, d)| TierInfo {
            tier: t.as_str().to_string(),
            days: *d,
            count: a.gaps.iter().filter(|g| g.tier == *t).count(),
        })
        .collect();
    let tactic_names: BTreeMap<String, String> = catalog
        .tactics
        .iter()
        .map(|t| (t.shortname.to_string(), t.name.to_string()))
        .collect();
    let actor_names: BTreeMap<String, String> = a
        .actors
        .iter()
        .map(|x| (x.id.clone(), x.name.clone()))
        .collect();
    let named = |names: &BTreeMap<String, String>, keys: &mut dyn Iterator<Item = &String>| {
        keys.map(|k| names.get(k).unwrap_or(k).as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let gap_tactics = a
        .gaps
        .iter()
        .map(|g| {
            let text = named(&tactic_names, &mut g.tactics.iter());
            (g.technique.clone(), text)
        })
        .collect();
    let gap_actors = a
        .gaps
        .iter()
        .map(|g| {
            let text = named(&actor_names, &mut g.actors.iter().map(|u| &u.id));
            (g.technique.clone(), text)
        })
        .collect();
    PlanData {
        build,
        technique_names: a
            .techniques
            .iter()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect(),
        tactic_names,
        actor_names,
        gap_tactics,
        gap_actors,
        tiers,
        platforms: platforms.into_iter().collect(),
        matrix: super::svg::matrix_columns(a, catalog),
        candidates: candidate_rows(a),
        gap_where: a
            .gaps
            .iter()
            .map(|g| (g.technique.clone(), crate::emit::tables::where_text(g)))
            .collect(),
        asset_gaps: asset_gaps(a),
    }
}

/// What to build to close the gap of one technique: its detection strategies (with the
/// analytics for the platforms in scope) and its mitigations.
fn gap_build(technique: &str, catalog: &Catalog, platforms: &BTreeSet<String>) -> GapBuild {
    let mut strategies = Vec::new();
    let mut mitigations = Vec::new();
    if let Some(t) = catalog.technique(technique) {
        for det in &t.detection_strategies {
            let Some(ds) = catalog.detection_strategy(det) else {
                continue;
            };
            strategies.push(PlanStrategy {
                id: ds.id.to_string(),
                name: ds.name.to_string(),
                analytics: analytics(&ds.analytics, catalog, platforms),
            });
        }
        for m in &t.mitigations {
            mitigations.push(PlanMitigation {
                id: m.id.to_string(),
                name: (catalog
                    .mitigation(&m.id)
                    .map(|x| x.name.clone())
                    .unwrap_or_default())
                .to_string(),
                text: m.text.to_string(),
            });
        }
    }
    let mut log_source_names: Vec<String> = Vec::new();
    for ls in strategies
        .iter()
        .flat_map(|ds| &ds.analytics)
        .flat_map(|an| &an.log_sources)
    {
        if !log_source_names.contains(&ls.name) {
            log_source_names.push(ls.name.clone());
        }
    }
    GapBuild {
        url: technique_url(technique),
        detection_strategies: strategies,
        mitigations,
        log_source_names,
    }
}

/// The analytics (by id) that run on a platform in scope (any, when none is named).
fn analytics(
    ids: &[crate::catalog::Str],
    catalog: &Catalog,
    platforms: &BTreeSet<String>,
) -> Vec<PlanAnalytic> {
    ids.iter()
        .filter_map(|id| catalog.analytic(id))
        .filter(|an| {
            platforms.is_empty() || an.platforms.iter().any(|p| platforms.contains(p.as_str()))
        })
        .map(|an| PlanAnalytic {
            id: an.id.to_string(),
            name: an.name.to_string(),
            platforms: an.platforms.iter().map(|s| s.to_string()).collect(),
            log_sources: an
                .log_sources
                .iter()
                .map(|ls| PlanLogSource {
                    name: ls.name.to_string(),
                    channel: ls.channel.to_string(),
                    data_component: ls.data_component.to_string(),
                    data_component_name: (catalog
                        .data_component(&ls.data_component)
                        .map(|d| d.name.clone())
                        .unwrap_or_default())
                    .to_string(),
                })
                .collect(),
        })
        .collect()
}

/// A list handed to templates without converting it up front: each item becomes a
/// template value only when a template reads it. The technique rows and the rule list of
/// a 50,000-rule inventory would otherwise cost more than the rest of the build.
#[derive(Debug)]
struct LazySeq<T> {
    items: std::sync::Arc<Vec<T>>,
    /// Each item's value once converted, when `memo` was asked for: the plan's templates
    /// walk the gaps and technique rows several times each (both templates, several
    /// sections), and converting an item is most of the cost of reading it. Not for the
    /// rules, whose 50,000 values would stay in memory.
    memo: Option<Vec<std::sync::OnceLock<Value>>>,
}

impl<T> LazySeq<T> {
    /// Converts each item when read, every time.
    fn new(items: &std::sync::Arc<Vec<T>>) -> Self {
        LazySeq {
            items: std::sync::Arc::clone(items),
            memo: None,
        }
    }

    /// Converts each item when first read and keeps its value.
    fn memoized(items: &std::sync::Arc<Vec<T>>) -> Self {
        LazySeq {
            items: std::sync::Arc::clone(items),
            memo: Some(items.iter().map(|_| std::sync::OnceLock::new()).collect()),
        }
    }
}

impl<T: serde::Serialize + std::fmt::Debug + Send + Sync + 'static> minijinja::value::Object
    for LazySeq<T>
{
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Seq
    }
    fn get_value(self: &std::sync::Arc<Self>, key: &Value) -> Option<Value> {
        let i = key.as_usize()?;
        let item = self.items.get(i)?;
        let convert = || Value::from(minijinja::value::Serde(item));
        match self.memo.as_ref().and_then(|m| m.get(i)) {
            Some(cell) => Some(cell.get_or_init(convert).clone()),
            None => Some(convert()),
        }
    }
    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(self.items.len())
    }
}

/// The template context: the analysis at the top level, plus `plan`, `matrix_svg`
/// and `generator` (`history` none).
pub fn context(a: &Analysis, plan: &PlanData, svg: &str) -> Value {
    context_with_history(a, plan, svg, None)
}

/// How many of the newest points the plan's "Coverage over time" table shows.
pub const HISTORY_SHOWN: usize = 12;

/// `history` of the template context: the chart, a sentence, and the newest
/// [`HISTORY_SHOWN`] points (oldest first).
fn history_value(points: &[crate::emit::trend::TrendPoint], title: &str) -> Value {
    let shown: Vec<serde_json::Value> = points
        .iter()
        .skip(points.len().saturating_sub(HISTORY_SHOWN))
        .map(|p| {
            let f = p.outcome.as_ref().ok();
            serde_json::json!({
                "commit": p.short(),
                "date": p.date,
                // Untrusted text: no control or bidirectional characters (escaping for
                // Markdown or HTML is the template's).
                "subject": p
                    .subject
                    .chars()
                    .filter(|c| !c.is_control() && !crate::escape::is_bidi_control(*c))
                    .collect::<String>(),
                "failed": p.outcome.as_ref().err(),
                "coverage": f.map(|f| f.coverage),
                "weighted_coverage": f.map(|f| f.weighted_coverage),
                "pair_validated": f.map(|f| f.pair_validated),
                "gaps": f.map(|f| f.gaps),
                "gaps_p1": f.map(|f| f.gaps_by_tier[0]),
            })
        })
        .collect();
    let mut m: BTreeMap<String, Value> = BTreeMap::new();
    m.insert(
        "svg".into(),
        Value::from_safe_string(crate::emit::trend::svg(points, title)),
    );
    m.insert(
        "summary".into(),
        Value::from(crate::emit::trend::describe(points)),
    );
    m.insert("total".into(), Value::from(points.len()));
    m.insert(
        "points".into(),
        Value::from(minijinja::value::Serde(&shown)),
    );
    Value::from(m)
}

/// [`context`] with the points of a history file (`threatc build --history`) as
/// `history`, for the plan's "Coverage over time" section.
pub fn context_with_history(
    a: &Analysis,
    plan: &PlanData,
    svg: &str,
    history: Option<&[crate::emit::trend::TrendPoint]>,
) -> Value {
    let mut ctx: BTreeMap<String, Value> = BTreeMap::new();
    ctx.insert(
        "history".into(),
        history.map_or(Value::from(()), |h| history_value(h, &a.model.title)),
    );
    ctx.insert(
        "executive".into(),
        Value::from(minijinja::value::Serde(super::executive::executive(
            a, history,
        ))),
    );
    ctx.insert(
        "model".into(),
        Value::from(minijinja::value::Serde(&a.model)),
    );
    ctx.insert(
        "attack".into(),
        Value::from(minijinja::value::Serde(&a.attack)),
    );
    ctx.insert(
        "settings".into(),
        Value::from(minijinja::value::Serde(&a.settings)),
    );
    ctx.insert(
        "summary".into(),
        Value::from(minijinja::value::Serde(&a.summary)),
    );
    ctx.insert(
        "actors".into(),
        Value::from(minijinja::value::Serde(&a.actors)),
    );
    ctx.insert(
        "tactics".into(),
        Value::from(minijinja::value::Serde(&a.tactics)),
    );
    ctx.insert(
        "assets".into(),
        Value::from(minijinja::value::Serde(&a.assets)),
    );
    ctx.insert(
        "techniques".into(),
        Value::from_object(LazySeq::memoized(&a.techniques)),
    );
    ctx.insert(
        "gaps".into(),
        Value::from_object(LazySeq::memoized(&a.gaps)),
    );
    ctx.insert(
        "accepted".into(),
        Value::from(minijinja::value::Serde(&a.accepted)),
    );
    ctx.insert(
        "out_of_scope".into(),
        Value::from(minijinja::value::Serde(&a.out_of_scope)),
    );
    ctx.insert(
        "targets".into(),
        Value::from(minijinja::value::Serde(&a.targets)),
    );
    ctx.insert("rules".into(), Value::from_object(LazySeq::new(&a.rules)));
    ctx.insert(
        "imports".into(),
        Value::from(minijinja::value::Serde(&a.imports)),
    );
    ctx.insert(
        "investments".into(),
        Value::from(minijinja::value::Serde(&a.investments)),
    );
    ctx.insert(
        "investment_totals".into(),
        Value::from(minijinja::value::Serde(&a.investment_totals)),
    );
    ctx.insert(
        "schedule".into(),
        a.schedule
            .as_ref()
            .map_or(Value::from(()), |s| Value::from(minijinja::value::Serde(s))),
    );
    ctx.insert(
        "sensitivity".into(),
        Value::from(minijinja::value::Serde(&a.sensitivity)),
    );
    ctx.insert("plan".into(), Value::from(minijinja::value::Serde(plan)));
    ctx.insert(
        "matrix_svg".into(),
        Value::from_safe_string(svg.to_string()),
    );
    ctx.insert(
        "generator".into(),
        Value::from(crate::emit::report::generator()),
    );
    Value::from(ctx)
}
