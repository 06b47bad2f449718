//! ATT&CK Navigator layers (format 4.5): actor layers, the threat heatmap, coverage,
//! the ladder's detection, visibility and overlay layers, gaps, asset layers, and all
//! of them in one file.

use crate::analysis::{Analysis, Tier};
use crate::catalog::Catalog;
use serde_json::{json, Value};
use std::collections::BTreeMap;

mod ladder;
pub use ladder::{
    overlay_category, state_score, Visibility, OVERLAY, STATE_COLORS, VISIBILITY_COLORS,
};

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
    /// Platforms of the layer filter, when not the assets' (a per-asset layer).
    pub platforms: Option<Vec<String>>,
    /// How Navigator aggregates a parent's score with its sub-techniques' (`min`, `max`,
    /// `average`, `sum`), for layers where that has a meaning; None shows no aggregate.
    pub aggregate: Option<&'static str>,
}

/// A link of a technique entry (Navigator shows it in the technique's context menu).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Link {
    /// Label.
    pub label: String,
    /// Address.
    pub url: String,
}

/// The technique's page on attack.mitre.org: `T1003.001` → `/techniques/T1003/001/`
/// (Enterprise, Mobile and ICS techniques all live under `/techniques/`).
pub fn technique_url(id: &str) -> String {
    TechniqueLink(id).url().to_string()
}

/// The links of a technique entry: its page on attack.mitre.org.
pub fn technique_links(id: &str) -> Vec<Link> {
    let link = TechniqueLink(id);
    vec![Link {
        label: link.label().to_string(),
        url: link.url().to_string(),
    }]
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
        return catalog.platforms.iter().map(|s| s.to_string()).collect();
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

/// One (technique, tactic) entry of a layer. Written by hand (see its `Serialize`):
/// keys at the layer format's defaults are left out, and the link to attack.mitre.org
/// is written from the id instead of being stored with every entry.
#[derive(Debug, Clone)]
pub struct Entry {
    technique_id: String,
    tactic: String,
    score: Option<Num>,
    color: String,
    comment: String,
    metadata: Vec<Meta>,
    enabled: bool,
    show_subtechniques: bool,
}

impl serde::Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("Entry", 10)?;
        m.serialize_field("techniqueID", &self.technique_id)?;
        m.serialize_field("tactic", &self.tactic)?;
        if let Some(score) = &self.score {
            m.serialize_field("score", score)?;
        }
        // Keys at the layer format's defaults (no colour, no comment, no metadata,
        // enabled) are left out: a layer lists every technique of the matrix, and the
        // defaults made up a third of its bytes.
        if !self.color.is_empty() {
            m.serialize_field("color", &self.color)?;
        }
        if !self.comment.is_empty() {
            m.serialize_field("comment", &self.comment)?;
        }
        if !self.metadata.is_empty() {
            m.serialize_field("metadata", &self.metadata)?;
        }
        if !self.enabled {
            m.serialize_field("enabled", &false)?;
        }
        m.serialize_field("links", &[TechniqueLink(&self.technique_id)])?;
        m.serialize_field("showSubtechniques", &self.show_subtechniques)?;
        m.end()
    }
}

/// A technique's link to attack.mitre.org, by its id: the one place its label and
/// address are spelled ([`technique_links`], [`technique_url`]; a layer entry writes it
/// without storing the strings).
struct TechniqueLink<'a>(&'a str);

impl<'a> TechniqueLink<'a> {
    /// `T1003.001 on attack.mitre.org`.
    fn label(&self) -> LinkLabel<'a> {
        LinkLabel(self.0)
    }

    /// `https://attack.mitre.org/techniques/T1003/001/`.
    fn url(&self) -> LinkUrl<'a> {
        LinkUrl(self.0)
    }
}

impl serde::Serialize for TechniqueLink<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("Link", 2)?;
        m.serialize_field("label", &format_args!("{}", self.label()))?;
        m.serialize_field("url", &format_args!("{}", self.url()))?;
        m.end()
    }
}

/// [`TechniqueLink::label`].
struct LinkLabel<'a>(&'a str);

impl std::fmt::Display for LinkLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on attack.mitre.org", self.0)
    }
}

/// [`TechniqueLink::url`]: the id as a path, `T1003.001` → `T1003/001`.
struct LinkUrl<'a>(&'a str);

impl std::fmt::Display for LinkUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("https://attack.mitre.org/techniques/")?;
        match self.0.split_once('.') {
            Some((p, sub)) => write!(f, "{p}/{sub}/"),
            None => write!(f, "{}/", self.0),
        }
    }
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
    links: Vec<Link>,
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
            links: technique_links(technique_id),
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

/// Builds a layer document. The cells' texts move into the entries (a technique in
/// several tactics copies them).
pub fn layer(analysis: &Analysis, catalog: &Catalog, spec: LayerSpec<'_>) -> Layer {
    let LayerSpec {
        name,
        description,
        cells,
        gradient,
        legend,
        platforms,
        aggregate,
    } = spec;
    // Parents of sub-techniques with data are expanded.
    let mut expand: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for id in cells.keys() {
        if let Some((p, _)) = id.split_once('.') {
            expand.insert(p.to_string());
        }
    }
    let mut ids: Vec<(String, Option<Cell>)> = Vec::with_capacity(cells.len() + expand.len());
    for p in &expand {
        if !cells.contains_key(p) {
            ids.push((p.clone(), None));
        }
    }
    ids.extend(cells.into_iter().map(|(id, c)| (id, Some(c))));
    ids.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut techniques = Vec::with_capacity(ids.len() * 2);
    for (id, cell) in ids {
        let Some(tech) = catalog.technique(&id) else {
            continue;
        };
        let show_subtechniques = expand.contains(&id);
        let cell = cell.unwrap_or_default();
        let metadata: Vec<Meta> = cell
            .metadata
            .into_iter()
            .map(|(name, value)| Meta { name, value })
            .collect();
        for tactic in &tech.tactics {
            techniques.push(Entry {
                technique_id: id.clone(),
                tactic: tactic.to_string(),
                score: cell.score.map(Num),
                color: cell.color.clone(),
                comment: cell.comment.clone(),
                metadata: metadata.clone(),
                enabled: true,
                show_subtechniques,
            });
        }
    }
    let gradient = match &gradient {
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
    let platforms = match platforms {
        Some(p) if !p.is_empty() => p,
        _ => filter_platforms(analysis, catalog),
    };
    let mut layer = Layer::frame(
        name,
        &analysis.attack.release,
        catalog.domain.stix_name().to_string(),
        description,
        Some(platforms),
        techniques,
        gradient,
        legend,
        metadata,
    );
    if let Some(f) = aggregate {
        layer.layout.aggregate_function = f;
        layer.layout.show_aggregate_scores = true;
    }
    layer
}

impl<E> Layer<E> {
    /// The layer's name (its title in Navigator).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The layer's description.
    pub fn description(&self) -> &str {
        &self.description
    }

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

/// One layer file of a build, with what a reviewer opens it for (layers/index.json).
pub struct LayerFile {
    /// File name under `layers/`.
    pub file: String,
    /// What kind of layer: `threat`, `overlap`, `coverage`, `detection`, `visibility`,
    /// `overlay`, `gaps`, `asset`, `actor`.
    pub kind: &'static str,
    /// When to open it.
    pub purpose: String,
    /// The document.
    pub layer: Layer,
}

/// Every layer of a build: the model-wide layers, then one per asset, then one per
/// actor (the order of layers/all.json and layers/index.json).
pub fn layers(
    analysis: &Analysis,
    catalog: &Catalog,
    resolved: &crate::resolve::Resolved,
) -> Vec<LayerFile> {
    let mut out = vec![
        threat_layer(analysis, catalog),
        overlap_layer(analysis, catalog),
        coverage_layer(analysis, catalog),
    ];
    out.extend(ladder::ladder_layers(analysis, catalog));
    out.push(gaps_layer(analysis, catalog));
    out.extend(asset_layers(analysis, catalog, resolved));
    out.extend(actor_layers(analysis, catalog, resolved));
    out
}

/// layers/index.json: every layer file written (and all.json), with its title, kind,
/// purpose and description, in the order of all.json.
pub fn index(analysis: &Analysis, files: &[LayerFile]) -> String {
    let mut layers: Vec<Value> = files
        .iter()
        .map(|f| {
            json!({
                "file": format!("layers/{}", f.file),
                "title": f.layer.name(),
                "kind": f.kind,
                "purpose": f.purpose,
                "description": f.layer.description(),
            })
        })
        .collect();
    layers.push(json!({
        "file": "layers/all.json",
        "title": "all layers",
        "kind": "bundle",
        "purpose": "Every layer above as one JSON array, for tools that read several layers at once.",
        "description": "",
    }));
    let doc = json!({
        "model": analysis.model.name,
        "attack": format!("{} {}", analysis.attack.domain, analysis.attack.release),
        "navigator": NAVIGATOR_VERSION,
        "layer_format": LAYER_VERSION,
        "generator": super::report::generator(),
        "layers": layers,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// One layer per actor (in parallel: a model may name every group of the domain).
fn actor_layers(
    analysis: &Analysis,
    catalog: &Catalog,
    resolved: &crate::resolve::Resolved,
) -> Vec<LayerFile> {
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
                platforms: None,
                aggregate: None,
            };
            LayerFile {
                file: format!("actor-{}.json", a.id),
                kind: "actor",
                purpose: format!(
                    "What {} does and where each technique comes from (group, campaign, software, local): open it to brief on this actor.",
                    a.name
                ),
                layer: layer(analysis, catalog, spec),
            }
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
fn threat_layer(analysis: &Analysis, catalog: &Catalog) -> LayerFile {
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
    LayerFile {
        file: "threat.json".into(),
        kind: "threat",
        purpose: "Where the threat is: every technique of the model's actors, by summed actor weight. Start here.".into(),
        layer: layer(
            analysis,
            catalog,
            LayerSpec {
                name: layer_name(&analysis.model.name, "threat"),
                description: "All actors: score = summed actor weight per technique; a parent's aggregate is the highest of its own and its threat sub-techniques' scores".into(),
                cells,
                gradient: Some((vec!["#ffffff", "#ffe766", "#ff6666"], 0.0, max_w)),
                legend: vec![],
                platforms: None,
                aggregate: Some("max"),
            },
        ),
    }
}

/// Detection coverage: the number of counted rules per technique.
fn coverage_layer(analysis: &Analysis, catalog: &Catalog) -> LayerFile {
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
    LayerFile {
        file: "coverage.json".into(),
        kind: "coverage",
        purpose: "Where detection engineering has gone: how many counting rules name each technique, wherever they run (see the asset layers for where they count).".into(),
        layer: layer(
            analysis,
            catalog,
            LayerSpec {
                name: layer_name(&analysis.model.name, "coverage"),
                description: format!(
                    "Detection coverage: score = number of rules ({}) per technique",
                    counted.join(", ")
                ),
                cells,
                gradient: Some((vec!["#ffffff", "#66b1ff"], 0.0, max_r)),
                legend: vec![],
                platforms: None,
                aggregate: None,
            },
        ),
    }
}

/// The gaps, coloured by priority tier.
fn gaps_layer(analysis: &Analysis, catalog: &Catalog) -> LayerFile {
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
    LayerFile {
        file: "gaps.json".into(),
        kind: "gaps",
        purpose: "What to do next: the uncovered in-scope threat techniques, coloured by priority tier (the gap table as a matrix).".into(),
        layer: layer(
            analysis,
            catalog,
            LayerSpec {
                name: layer_name(&analysis.model.name, "gaps"),
                description:
                    "Threat techniques in scope without coverage, coloured by priority tier; score = priority score (0-100), a parent's aggregate is its most urgent gap's".into(),
                cells,
                gradient: None,
                legend: vec![
                    ("P1".into(), P1_COLOR.into()),
                    ("P2".into(), P2_COLOR.into()),
                    ("P3".into(), P3_COLOR.into()),
                ],
                platforms: None,
                aggregate: Some("max"),
            },
        ),
    }
}

/// Up to 20 names, then `and N more`.
fn listed(names: &[&str]) -> String {
    let shown: Vec<&str> = names.iter().take(20).copied().collect();
    let more = names.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// The colour at `t` (0–1) between two `#rrggbb` colours, as Navigator's gradient
/// interpolates it (per RGB channel), for legend items of a gradient layer.
fn mix(from: &str, to: &str, t: f64) -> String {
    let channel = |c: &str, i: usize| {
        c.get(1 + 2 * i..3 + 2 * i)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map_or(0.0, f64::from)
    };
    let t = t.clamp(0.0, 1.0);
    let mut out = String::from("#");
    for i in 0..3 {
        let v = channel(from, i) + (channel(to, i) - channel(from, i)) * t;
        out.push_str(&format!("{:02x}", v.round().clamp(0.0, 255.0) as u8));
    }
    out
}

/// Colour of the most-shared techniques in the actor-overlap layer.
pub const OVERLAP_COLOR: &str = "#08519c";

/// How many of the model's actors use each threat technique.
fn overlap_layer(analysis: &Analysis, catalog: &Catalog) -> LayerFile {
    let n = analysis.actors.len();
    let max = n.max(1) as f64;
    let mut cells = BTreeMap::new();
    for t in analysis.techniques.iter() {
        let ids: Vec<&str> = t.actors.iter().map(|a| a.id.as_str()).collect();
        cells.insert(
            t.id.clone(),
            Cell {
                score: Some(ids.len() as f64),
                color: String::new(),
                comment: format!(
                    "used by {} of {n} actors: {}{}",
                    ids.len(),
                    ids.join(", "),
                    if t.in_scope { "" } else { "; out of scope" }
                ),
                metadata: vec![("actors".into(), ids.len().to_string())],
            },
        );
    }
    let mut legend = vec![(
        "used by 1 actor".to_string(),
        mix("#ffffff", OVERLAP_COLOR, 1.0 / max),
    )];
    if n > 1 {
        legend.push((format!("used by all {n} actors"), OVERLAP_COLOR.into()));
    }
    LayerFile {
        file: "overlap.json".into(),
        kind: "overlap",
        purpose: "Which techniques the actors share: a detection of a technique many actors use pays off against all of them.".into(),
        layer: layer(
            analysis,
            catalog,
            LayerSpec {
                name: layer_name(&analysis.model.name, "actor overlap"),
                description: format!(
                    "Actor overlap: score = how many of the model's {n} actors use the technique (unweighted; see the threat layer for weights); a parent's aggregate is the highest of its own and its threat sub-techniques' counts"
                ),
                cells,
                gradient: Some((vec!["#ffffff", OVERLAP_COLOR], 0.0, max)),
                legend,
                platforms: None,
                aggregate: Some("max"),
            },
        ),
    }
}

/// The file name of each asset's layer, in model order: `asset-<id>.json`, the id
/// reduced to letters, digits, `.`, `_` and `-` (anything else becomes `-`), and made
/// unique ignoring case with a `-2`, `-3`… suffix (ids the schema accepts are already
/// safe; two ids differing only in case would overwrite each other on a
/// case-insensitive file system).
pub fn asset_layer_files(ids: &[&str]) -> Vec<String> {
    let mut taken = std::collections::BTreeSet::new();
    ids.iter()
        .map(|id| {
            let mut base: String = id
                .chars()
                .take(56)
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            if !base.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                base.insert(0, 'x');
            }
            let mut name = base.clone();
            let mut k = 1;
            while !taken.insert(name.to_ascii_lowercase()) {
                k += 1;
                name = format!("{base}-{k}");
            }
            format!("asset-{name}.json")
        })
        .collect()
}

/// Colour of a technique not detected on an asset (asset layers).
pub const UNDETECTED_COLOR: &str = "#d73027";

/// One layer per asset: the threat techniques that apply to it, and whether a counting
/// rule detects each there.
fn asset_layers(
    analysis: &Analysis,
    catalog: &Catalog,
    resolved: &crate::resolve::Resolved,
) -> Vec<LayerFile> {
    let mut rules: std::collections::HashMap<&str, &crate::resolve::Rule> =
        std::collections::HashMap::new();
    for r in &resolved.rules {
        rules.entry(r.id.as_str()).or_insert(r);
    }
    let ids: Vec<&str> = resolved.assets.iter().map(|a| a.id.as_str()).collect();
    resolved
        .assets
        .iter()
        .zip(asset_layer_files(&ids))
        .map(|(asset, file)| asset_layer(analysis, catalog, asset, &rules, file))
        .collect()
}

/// Whether a technique is detected on an asset, and the comment saying by which rules
/// (or on which other assets, when not there).
fn asset_comment(
    t: &crate::analysis::TechniqueRow,
    asset: &crate::resolve::Asset,
    rules: &std::collections::HashMap<&str, &crate::resolve::Rule>,
) -> (bool, String) {
    let on = t.covered_on.contains(&asset.id);
    if on {
        let names: Vec<&str> = t
            .rules
            .iter()
            .filter(|r| {
                rules
                    .get(r.id.as_str())
                    .is_some_and(|x| x.applies_to(asset))
            })
            .map(|r| {
                if r.name.is_empty() {
                    r.id.as_str()
                } else {
                    r.name.as_str()
                }
            })
            .collect();
        return (
            true,
            format!("detected on {} by: {}", asset.id, listed(&names)),
        );
    }
    let elsewhere: Vec<&str> = t
        .covered_on
        .iter()
        .filter(|a| **a != asset.id)
        .map(String::as_str)
        .collect();
    if elsewhere.is_empty() {
        (false, format!("not detected on {}", asset.id))
    } else {
        let list = elsewhere.join(", ");
        (
            false,
            format!("not detected on {}; detected on: {list}", asset.id),
        )
    }
}

fn asset_layer(
    analysis: &Analysis,
    catalog: &Catalog,
    asset: &crate::resolve::Asset,
    rules: &std::collections::HashMap<&str, &crate::resolve::Rule>,
    file: String,
) -> LayerFile {
    let mut cells = BTreeMap::new();
    let (mut n, mut detected) = (0usize, 0usize);
    for t in analysis.techniques.iter() {
        if !t.assets.contains(&asset.id) {
            continue;
        }
        n += 1;
        let (on, comment) = asset_comment(t, asset, rules);
        detected += usize::from(on);
        cells.insert(
            t.id.clone(),
            Cell {
                score: Some(if on { 1.0 } else { 0.0 }),
                color: if on { COVERED_COLOR } else { UNDETECTED_COLOR }.into(),
                comment,
                metadata: vec![("asset".into(), asset.id.clone())],
            },
        );
    }
    let description = format!(
        "Asset {} ({}; criticality {}; platforms {}): the {n} threat techniques that apply to it, {detected} detected there ({}). Green: a counting rule applies on this asset; red: none does (a detection on another asset does not count here)",
        asset.name,
        asset.id,
        criticality_name(asset.criticality),
        if asset.platforms.is_empty() {
            "any".to_string()
        } else {
            asset.platforms.join(", ")
        },
        crate::emit::pct(crate::analysis::share(detected, n)),
    );
    LayerFile {
        file,
        kind: "asset",
        purpose: format!(
            "What is detected on {} ({}): open it to review that asset with its owner.",
            asset.name, asset.id
        ),
        layer: layer(
            analysis,
            catalog,
            LayerSpec {
                name: layer_name(&analysis.model.name, &format!("asset {}", asset.id)),
                description,
                cells,
                gradient: None,
                legend: vec![
                    ("detected on this asset".into(), COVERED_COLOR.into()),
                    ("not detected on this asset".into(), UNDETECTED_COLOR.into()),
                ],
                platforms: Some(asset.platforms.clone()),
                aggregate: None,
            },
        ),
    }
}

/// A criticality as the model writes it.
fn criticality_name(c: crate::resolve::Criticality) -> &'static str {
    use crate::resolve::Criticality::*;
    match c {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
}
