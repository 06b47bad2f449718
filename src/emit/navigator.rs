//! ATT&CK Navigator layers (format 4.5): actor layers, the threat heatmap, coverage,
//! gaps, and all of them in one file.

use crate::analysis::{Analysis, Tier};
use crate::catalog::Catalog;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The JSON Schema of layer format 4.5 (written by threatc; MITRE publishes none).
pub const LAYER_SCHEMA: &str = include_str!("../../schemas/navigator-layer-4.5.schema.json");

/// Navigator version the layers are written for.
pub const NAVIGATOR_VERSION: &str = "5.1.0";
/// Layer format version.
pub const LAYER_VERSION: &str = "4.5";

/// Colour of a P1 gap.
pub const P1_COLOR: &str = "#d73027";
/// Colour of a P2 gap.
pub const P2_COLOR: &str = "#fc8d59";
/// Colour of a P3 gap.
pub const P3_COLOR: &str = "#fee08b";
/// Colour of covered techniques.
pub const COVERED_COLOR: &str = "#1a9850";

/// One cell's data.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    /// Score, if any.
    pub score: Option<f64>,
    /// Explicit colour ("" for gradient).
    pub color: String,
    /// Comment.
    pub comment: String,
    /// Metadata name/value pairs.
    pub metadata: Vec<(String, String)>,
}

/// What a layer shows.
pub struct LayerSpec<'a> {
    /// Layer name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Technique id → cell.
    pub cells: BTreeMap<String, Cell>,
    /// Gradient colours and range, or None for explicit colours.
    pub gradient: Option<(Vec<&'a str>, f64, f64)>,
    /// Legend.
    pub legend: Vec<(String, String)>,
}

/// The major release Navigator layers record: `18.1` → `18`.
pub fn major(release: &str) -> &str {
    release.split('.').next().unwrap_or(release)
}

/// Platforms for the layer filter: the assets' platforms, or all the domain's.
fn filter_platforms(analysis: &Analysis, catalog: &Catalog) -> Vec<String> {
    let mut p: Vec<String> = analysis
        .assets
        .iter()
        .flat_map(|a| a.platforms.iter().cloned())
        .collect();
    if p.is_empty() {
        return catalog.platforms.clone();
    }
    // Reconnaissance and resource development happen outside the estate (platform PRE):
    // keep them visible, or Navigator and MITRE's exporters hide those columns.
    if catalog.platforms.iter().any(|x| x == "PRE") {
        p.push("PRE".into());
    }
    p.sort();
    p.dedup();
    p
}

/// Formats a score without trailing zeros (3, 2.5).
pub fn num(x: f64) -> Value {
    let r = crate::analysis::r4(x);
    if r.fract() == 0.0 && r.abs() < 1e15 {
        json!(r as i64)
    } else {
        json!(r)
    }
}

/// A score written without a trailing `.0` (3, 2.5), rounded to 4 decimals.
#[derive(Debug, Clone, Copy)]
pub struct Num(pub f64);

impl serde::Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = crate::analysis::r4(self.0);
        if r.fract() == 0.0 && r.abs() < 1e15 {
            s.serialize_i64(r as i64)
        } else {
            s.serialize_f64(r)
        }
    }
}

/// A name/value pair of layer or technique metadata.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Meta {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// One (technique, tactic) entry of a layer.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    #[serde(rename = "techniqueID")]
    technique_id: String,
    tactic: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<Num>,
    color: String,
    comment: String,
    metadata: Vec<Meta>,
    enabled: bool,
    links: [(); 0],
    show_subtechniques: bool,
}

/// A technique entry of the diff layer: no score, no metadata, and its keys in the
/// order that layer has always written them.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlainEntry {
    #[serde(rename = "techniqueID")]
    technique_id: String,
    tactic: String,
    color: String,
    comment: String,
    enabled: bool,
    metadata: [(); 0],
    links: [(); 0],
    show_subtechniques: bool,
}

impl PlainEntry {
    /// A coloured, commented (technique, tactic) entry.
    pub fn new(technique_id: &str, tactic: &str, color: &str, comment: &str) -> Self {
        PlainEntry {
            technique_id: technique_id.to_string(),
            tactic: tactic.to_string(),
            color: color.to_string(),
            comment: comment.to_string(),
            enabled: true,
            metadata: [],
            links: [],
            show_subtechniques: false,
        }
    }
}

/// A Navigator layer document (format 4.5), keys in the order Navigator writes them.
/// `E` is the technique entry: [`Entry`] for build layers, [`PlainEntry`] for the diff
/// layer.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Layer<E = Entry> {
    name: String,
    versions: Versions,
    domain: String,
    description: String,
    /// Left out when the domain names no platforms (ICS lists `None`): Navigator then
    /// shows every technique instead of none.
    #[serde(skip_serializing_if = "Option::is_none")]
    filters: Option<Filters>,
    sorting: u8,
    layout: Layout,
    hide_disabled: bool,
    techniques: Vec<E>,
    gradient: Gradient,
    legend_items: Vec<LegendItem>,
    show_tactic_row_background: bool,
    tactic_row_background: &'static str,
    select_techniques_across_tactics: bool,
    select_subtechniques_with_parent: bool,
    select_visible_techniques: bool,
    metadata: Vec<Meta>,
    links: [(); 0],
}

#[derive(Debug, Clone, serde::Serialize)]
struct Versions {
    attack: String,
    navigator: &'static str,
    layer: &'static str,
}

#[derive(Debug, Clone, serde::Serialize)]
struct Filters {
    platforms: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Layout {
    layout: &'static str,
    aggregate_function: &'static str,
    #[serde(rename = "showID")]
    show_id: bool,
    show_name: bool,
    show_aggregate_scores: bool,
    count_unscored: bool,
    expanded_subtechniques: &'static str,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Gradient {
    colors: Vec<String>,
    min_value: Num,
    max_value: Num,
}

impl Gradient {
    /// The white gradient of layers with explicit colours.
    fn plain() -> Self {
        Gradient {
            colors: vec!["#ffffff".into(), "#ffffff".into()],
            min_value: Num(0.0),
            max_value: Num(1.0),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
struct LegendItem {
    label: String,
    color: String,
}

/// Builds a layer document.
pub fn layer(analysis: &Analysis, catalog: &Catalog, spec: &LayerSpec<'_>) -> Layer {
    let mut techniques = Vec::new();
    // Parents of sub-techniques with data are expanded.
    let mut expand: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for id in spec.cells.keys() {
        if let Some((p, _)) = id.split_once('.') {
            expand.insert(p);
        }
    }
    let mut ids: Vec<&str> = spec.cells.keys().map(String::as_str).collect();
    for p in &expand {
        if !spec.cells.contains_key(*p) {
            ids.push(p);
        }
    }
    ids.sort_unstable();
    for id in ids {
        let Some(tech) = catalog.technique(id) else {
            continue;
        };
        let cell = spec.cells.get(id);
        for tactic in &tech.tactics {
            techniques.push(Entry {
                technique_id: id.to_string(),
                tactic: tactic.clone(),
                score: cell.and_then(|c| c.score).map(Num),
                color: cell.map(|c| c.color.clone()).unwrap_or_default(),
                comment: cell.map(|c| c.comment.clone()).unwrap_or_default(),
                metadata: cell
                    .map(|c| {
                        c.metadata
                            .iter()
                            .map(|(n, v)| Meta {
                                name: n.clone(),
                                value: v.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                enabled: true,
                links: [],
                show_subtechniques: expand.contains(id),
            });
        }
    }
    let gradient = match &spec.gradient {
        Some((colors, min, max)) => Gradient {
            colors: colors.iter().map(|c| c.to_string()).collect(),
            min_value: Num(*min),
            max_value: Num(*max),
        },
        None => Gradient::plain(),
    };
    let meta = |n: &str, v: String| Meta {
        name: n.into(),
        value: v,
    };
    let mut metadata = vec![meta("model", analysis.model.name.clone())];
    if let Some(v) = &analysis.model.version {
        metadata.push(meta("model version", v.clone()));
    }
    metadata.push(meta(
        "ATT&CK release",
        format!("{} {}", analysis.attack.domain, analysis.attack.release),
    ));
    metadata.push(meta("generator", super::report::generator()));
    Layer::frame(
        spec.name.clone(),
        &analysis.attack.release,
        catalog.domain.stix_name().to_string(),
        spec.description.clone(),
        Some(filter_platforms(analysis, catalog)),
        techniques,
        gradient,
        spec.legend.clone(),
        metadata,
    )
}

impl<E> Layer<E> {
    /// The document around the technique entries: everything but the entries and the
    /// texts is the same in every layer threatc writes.
    #[allow(clippy::too_many_arguments)]
    fn frame(
        name: String,
        attack_release: &str,
        domain: String,
        description: String,
        platforms: Option<Vec<String>>,
        techniques: Vec<E>,
        gradient: Gradient,
        legend: Vec<(String, String)>,
        metadata: Vec<Meta>,
    ) -> Self {
        Layer {
            name,
            versions: Versions {
                attack: major(attack_release).to_string(),
                navigator: NAVIGATOR_VERSION,
                layer: LAYER_VERSION,
            },
            domain,
            description,
            filters: platforms
                .filter(|p| !p.is_empty())
                .map(|platforms| Filters { platforms }),
            sorting: 0,
            layout: Layout {
                layout: "side",
                aggregate_function: "average",
                show_id: true,
                show_name: true,
                show_aggregate_scores: false,
                count_unscored: false,
                expanded_subtechniques: "annotated",
            },
            hide_disabled: false,
            techniques,
            gradient,
            legend_items: legend
                .into_iter()
                .map(|(label, color)| LegendItem { label, color })
                .collect(),
            show_tactic_row_background: false,
            tactic_row_background: "#dddddd",
            select_techniques_across_tactics: true,
            select_subtechniques_with_parent: false,
            select_visible_techniques: false,
            metadata,
            links: [],
        }
    }
}

/// The diff layer: explicit colours (no gradient), no platform filter, and the
/// metadata of a comparison.
pub fn diff_layer(
    name: String,
    attack_release: &str,
    domain: String,
    description: String,
    techniques: Vec<PlainEntry>,
    legend: &[(&str, &str)],
    metadata: &[(&str, String)],
) -> Layer<PlainEntry> {
    Layer::frame(
        name,
        attack_release,
        domain,
        description,
        None,
        techniques,
        Gradient::plain(),
        legend
            .iter()
            .map(|(l, c)| (l.to_string(), c.to_string()))
            .collect(),
        metadata
            .iter()
            .map(|(n, v)| Meta {
                name: n.to_string(),
                value: v.clone(),
            })
            .collect(),
    )
}

/// A layer name that MITRE's Excel exporter accepts as a sheet title: model slug and
/// what the layer shows, at most 31 characters, no `: \\ / ? * [ ]`.
pub fn layer_name(model: &str, what: &str) -> String {
    let raw = format!("{model} - {what}");
    raw.chars()
        .map(|c| {
            if matches!(c, ':' | '\\' | '/' | '?' | '*' | '[' | ']') {
                '-'
            } else {
                c
            }
        })
        .take(31)
        .collect()
}

/// Every layer of a build: (file name under layers/, document).
pub fn layers(
    analysis: &Analysis,
    catalog: &Catalog,
    resolved: &crate::resolve::Resolved,
) -> Vec<(String, Layer)> {
    let mut out = actor_layers(analysis, catalog, resolved);
    out.push(threat_layer(analysis, catalog));
    out.push(coverage_layer(analysis, catalog));
    out.push(gaps_layer(analysis, catalog));
    out
}

/// One layer per actor (in parallel: a model may name every group of the domain).
fn actor_layers(
    analysis: &Analysis,
    catalog: &Catalog,
    resolved: &crate::resolve::Resolved,
) -> Vec<(String, Layer)> {
    use rayon::prelude::*;
    resolved
        .actors
        .par_iter()
        .map(|a| {
            let spec = LayerSpec {
                name: layer_name(&analysis.model.name, &a.id),
                description: actor_description(a),
                cells: actor_cells(a),
                gradient: Some((vec!["#ffffff", "#e8575a"], 0.0, 1.0)),
                legend: vec![("used by the actor".into(), "#e8575a".into())],
            };
            (
                format!("actor-{}.json", a.id),
                layer(analysis, catalog, &spec),
            )
        })
        .collect()
}

/// An actor's techniques, each commented with where it came from.
fn actor_cells(a: &crate::resolve::Actor) -> BTreeMap<String, Cell> {
    let mut cells = BTreeMap::new();
    for (t, provs) in &a.techniques {
        let labels: Vec<String> = provs
            .iter()
            .map(|p| p.label())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        cells.insert(
            t.clone(),
            Cell {
                score: Some(1.0),
                color: String::new(),
                comment: format!("from: {}", labels.join(", ")),
                metadata: vec![("actor".into(), a.id.clone())],
            },
        );
    }
    cells
}

fn actor_description(a: &crate::resolve::Actor) -> String {
    match &a.kind {
        crate::resolve::ActorKind::Group { group_id, .. } => format!(
            "Techniques of {} ({group_id}){}, weight {}",
            a.name,
            if a.software { " and its software" } else { "" },
            crate::emit::fmt_num(a.weight)
        ),
        crate::resolve::ActorKind::Custom => format!(
            "Techniques of {} (local intelligence), weight {}",
            a.name,
            crate::emit::fmt_num(a.weight)
        ),
    }
}

/// The threat heatmap: every actor's weight summed per technique.
fn threat_layer(analysis: &Analysis, catalog: &Catalog) -> (String, Layer) {
    let max_w = analysis
        .techniques
        .iter()
        .map(|t| t.threat_weight)
        .fold(0.0, f64::max)
        .max(1.0);
    let mut cells = BTreeMap::new();
    for t in analysis.techniques.iter() {
        let actors: Vec<String> = t
            .actors
            .iter()
            .map(|a| format!("{} ({})", a.id, crate::emit::fmt_num(a.weight)))
            .collect();
        cells.insert(
            t.id.clone(),
            Cell {
                score: Some(t.threat_weight),
                color: String::new(),
                comment: format!(
                    "actors: {}{}",
                    actors.join(", "),
                    if t.in_scope { "" } else { "; out of scope" }
                ),
                metadata: vec![],
            },
        );
    }
    (
        "threat.json".into(),
        layer(
            analysis,
            catalog,
            &LayerSpec {
                name: layer_name(&analysis.model.name, "threat"),
                description: "All actors: score = summed actor weight per technique".into(),
                cells,
                gradient: Some((vec!["#ffffff", "#ffe766", "#ff6666"], 0.0, max_w)),
                legend: vec![],
            },
        ),
    )
}

/// Detection coverage: the number of counted rules per technique.
fn coverage_layer(analysis: &Analysis, catalog: &Catalog) -> (String, Layer) {
    let mut per_tech: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in analysis.rules.iter().filter(|r| r.counts) {
        for t in &r.techniques {
            // By title (a Sigma id is a UUID), the id where the rule has no name.
            let name = if r.name.is_empty() { &r.id } else { &r.name };
            per_tech.entry(t.clone()).or_default().push(name.clone());
        }
    }
    let max_r = per_tech.values().map(Vec::len).max().unwrap_or(1).max(1) as f64;
    let mut cells = BTreeMap::new();
    for (t, rules) in &per_tech {
        if catalog.technique(t).is_none() {
            continue;
        }
        let shown: Vec<&str> = rules.iter().take(20).map(String::as_str).collect();
        let more = rules.len().saturating_sub(shown.len());
        cells.insert(
            t.clone(),
            Cell {
                score: Some(rules.len() as f64),
                color: String::new(),
                comment: format!(
                    "rules: {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ),
                metadata: vec![],
            },
        );
    }
    let counted: Vec<&str> = analysis.settings.count.iter().map(|s| s.as_str()).collect();
    (
        "coverage.json".into(),
        layer(
            analysis,
            catalog,
            &LayerSpec {
                name: layer_name(&analysis.model.name, "coverage"),
                description: format!(
                    "Detection coverage: score = number of rules ({}) per technique",
                    counted.join(", ")
                ),
                cells,
                gradient: Some((vec!["#ffffff", "#66b1ff"], 0.0, max_r)),
                legend: vec![],
            },
        ),
    )
}

/// The gaps, coloured by priority tier.
fn gaps_layer(analysis: &Analysis, catalog: &Catalog) -> (String, Layer) {
    let mut cells = BTreeMap::new();
    for g in analysis.gaps.iter() {
        let color = match g.tier {
            Tier::P1 => P1_COLOR,
            Tier::P2 => P2_COLOR,
            Tier::P3 => P3_COLOR,
        };
        let actors: Vec<&str> = g.actors.iter().map(|a| a.id.as_str()).collect();
        cells.insert(
            g.technique.clone(),
            Cell {
                score: Some(g.score),
                color: color.into(),
                comment: format!(
                    "{} rank {}, score {}; actors: {}{}",
                    g.tier.as_str(),
                    g.rank,
                    crate::emit::fmt_num(g.score),
                    actors.join(", "),
                    g.due.map(|d| format!("; due {d}")).unwrap_or_default()
                ),
                metadata: vec![("tier".into(), g.tier.as_str().into())],
            },
        );
    }
    (
        "gaps.json".into(),
        layer(
            analysis,
            catalog,
            &LayerSpec {
                name: layer_name(&analysis.model.name, "gaps"),
                description:
                    "Threat techniques in scope without coverage, coloured by priority tier".into(),
                cells,
                gradient: None,
                legend: vec![
                    ("P1".into(), P1_COLOR.into()),
                    ("P2".into(), P2_COLOR.into()),
                    ("P3".into(), P3_COLOR.into()),
                ],
            },
        ),
    )
}
