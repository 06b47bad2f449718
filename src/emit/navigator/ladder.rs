//! The ladder layers (#13 point 7): detection and visibility scored by the
//! per-(technique, asset) state ladder, each threat technique at its weakest asset, and
//! the overlay of both.

use super::{layer, layer_name, Cell, LayerFile, LayerSpec};
use crate::analysis::{Analysis, AssetState, State, TechniqueRow};
use crate::catalog::Catalog;
use std::collections::BTreeMap;

/// The ladder's colours, lowest state first (blind, unknown, visible, detected,
/// validated): the gradient of the detection layer over scores 0–4, one stop per
/// state, so that a parent's `min` aggregate gets its state's colour too.
pub const STATE_COLORS: [&str; 5] = ["#d73027", "#bdbdbd", "#fdae61", "#a6d96a", "#1a9850"];

/// A state's score in the detection layer: its place on the ladder, 0 (blind) to 4
/// (validated).
pub fn state_score(s: State) -> f64 {
    State::ALL.iter().position(|x| *x == s).unwrap_or(0) as f64
}

/// What collected telemetry shows of a technique on an asset, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Visibility {
    /// The asset declares telemetry, and none of it is read by the technique's
    /// analytics for the asset's platforms.
    Blind,
    /// The asset declares no telemetry.
    Unknown,
    /// It collects a data component one of the technique's analytics reads.
    Visible,
}

impl Visibility {
    /// Every visibility, lowest first.
    pub const ALL: [Visibility; 3] = [Visibility::Blind, Visibility::Unknown, Visibility::Visible];

    /// The visibility of a pair, from what the asset collects (rules play no part), or
    /// where it declares no telemetry from an imported DeTT&CT visibility score.
    pub fn of(s: &AssetState) -> Self {
        match s.visible_by.as_deref() {
            None => match s.dettect_visibility {
                None => Visibility::Unknown,
                Some(0) => Visibility::Blind,
                Some(_) => Visibility::Visible,
            },
            Some([]) => Visibility::Blind,
            Some(_) => Visibility::Visible,
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Blind => "blind",
            Visibility::Unknown => "unknown",
            Visibility::Visible => "visible",
        }
    }

    /// Score in the visibility layer: 0 blind, 1 unknown, 2 visible.
    fn score(self) -> f64 {
        match self {
            Visibility::Blind => 0.0,
            Visibility::Unknown => 1.0,
            Visibility::Visible => 2.0,
        }
    }
}

/// Colours of the visibility layer: blind, unknown, visible (scores 0–2).
pub const VISIBILITY_COLORS: [&str; 3] = ["#d73027", "#bdbdbd", "#4575b4"];

/// The overlay's combinations of detection and visibility, worst first: (label, colour).
pub const OVERLAY: [(&str, &str); 6] = [
    ("blind and not detected", "#d73027"),
    ("visibility unknown and not detected", "#bdbdbd"),
    ("visible but not detected (write the rule)", "#fdae61"),
    ("detected but blind (check the rule's data)", "#762a83"),
    (
        "detected with unknown visibility (check the rule's data)",
        "#c2a5cf",
    ),
    ("detected and visible", "#1a9850"),
];

/// A pair's overlay combination (index into [`OVERLAY`]).
pub fn overlay_category(state: State, vis: Visibility) -> usize {
    match (state.is_detected(), vis) {
        (false, Visibility::Blind) => 0,
        (false, Visibility::Unknown) => 1,
        (false, Visibility::Visible) => 2,
        (true, Visibility::Blind) => 3,
        (true, Visibility::Unknown) => 4,
        (true, Visibility::Visible) => 5,
    }
}

/// One (technique, asset) pair: the asset ("" in a model without assets), its state
/// and its visibility.
type Pair = (String, State, Visibility);

/// A technique's pairs, one per asset it applies to. In a model without assets there
/// are none: the technique stands as one pair, detected when a counting rule names it
/// and unknown otherwise, its visibility unknown.
fn pairs_of(t: &TechniqueRow) -> Vec<Pair> {
    if t.states.is_empty() {
        let s = if t.covered {
            State::Detected
        } else {
            State::Unknown
        };
        return vec![(String::new(), s, Visibility::Unknown)];
    }
    t.states
        .iter()
        .map(|s| (s.asset.clone(), s.state, Visibility::of(s)))
        .collect()
}

/// The assets grouped by what `key` says of them, lowest first: `detected: dc, ws;
/// visible: srv` in ladder order (`label` names a key). A model without assets gets
/// `LABEL (no assets in the model)`.
fn grouped<K: Ord + Copy>(
    pairs: &[Pair],
    key: impl Fn(&Pair) -> K,
    label: impl Fn(K) -> String,
) -> String {
    let mut by: BTreeMap<K, Vec<&str>> = BTreeMap::new();
    for p in pairs {
        by.entry(key(p)).or_default().push(p.0.as_str());
    }
    by.into_iter()
        .map(|(k, assets)| {
            if assets.iter().all(|a| a.is_empty()) {
                format!("{} (no assets in the model)", label(k))
            } else {
                format!("{}: {}", label(k), assets.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A cell with an explicit colour ("" for the gradient's) and one metadata pair.
fn cell(score: f64, color: &str, comment: String, meta: (&str, &str)) -> Cell {
    Cell {
        score: Some(score),
        color: color.to_string(),
        comment,
        metadata: vec![(meta.0.to_string(), meta.1.to_string())],
    }
}

/// The cells of the three layers, and how many in-scope threat techniques fall in each
/// class of each (detection by state, visibility, overlay by combination).
#[derive(Default)]
struct Cells {
    detection: BTreeMap<String, Cell>,
    visibility: BTreeMap<String, Cell>,
    overlay: BTreeMap<String, Cell>,
    by_state: BTreeMap<State, usize>,
    by_visibility: BTreeMap<Visibility, usize>,
    by_overlay: BTreeMap<usize, usize>,
}

/// Every in-scope threat technique at its weakest asset, on each layer.
fn cells(analysis: &Analysis) -> Cells {
    let mut c = Cells::default();
    for t in analysis.techniques.iter().filter(|t| t.in_scope) {
        let pairs = pairs_of(t);
        if let Some(low) = pairs.iter().map(|p| p.1).min() {
            let comment = grouped(&pairs, |p| p.1, |s| s.as_str().to_string());
            let score = state_score(low);
            c.detection.insert(
                t.id.clone(),
                cell(score, "", comment, ("state", low.as_str())),
            );
            *c.by_state.entry(low).or_default() += 1;
        }
        if let Some(low) = pairs.iter().map(|p| p.2).min() {
            let comment = grouped(&pairs, |p| p.2, |v| v.as_str().to_string());
            let meta = ("visibility", low.as_str());
            c.visibility
                .insert(t.id.clone(), cell(low.score(), "", comment, meta));
            *c.by_visibility.entry(low).or_default() += 1;
        }
        if let Some(k) = pairs.iter().map(|p| overlay_category(p.1, p.2)).min() {
            let comment = grouped(
                &pairs,
                |p| overlay_category(p.1, p.2),
                |k| OVERLAY.get(k).map_or("", |o| o.0).to_string(),
            );
            let (label, color) = OVERLAY.get(k).copied().unwrap_or(OVERLAY[0]);
            c.overlay.insert(
                t.id.clone(),
                cell(k as f64, color, comment, ("overlay", label)),
            );
            *c.by_overlay.entry(k).or_default() += 1;
        }
    }
    c
}

/// `blind: 3; unknown: 0; …`: a count for every class, in order.
fn counts<K: Ord + Copy>(all: &[K], by: &BTreeMap<K, usize>, name: impl Fn(K) -> String) -> String {
    all.iter()
        .map(|k| format!("{}: {}", name(*k), by.get(k).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The three ladder layers: detection, visibility and the overlay of both.
pub(super) fn ladder_layers(analysis: &Analysis, catalog: &Catalog) -> Vec<LayerFile> {
    let c = cells(analysis);
    let n = c.detection.len();
    let states = counts(&State::ALL, &c.by_state, |s| s.as_str().to_string());
    let vis = counts(&Visibility::ALL, &c.by_visibility, |v| {
        v.as_str().to_string()
    });
    let over = counts(&[0, 1, 2, 3, 4, 5], &c.by_overlay, |k| {
        OVERLAY.get(k).map_or("", |o| o.0).to_string()
    });
    vec![
        detection_layer(
            analysis,
            catalog,
            c.detection,
            &format!("{n} threat techniques in scope, at their weakest asset: {states}"),
        ),
        visibility_layer(
            analysis,
            catalog,
            c.visibility,
            &format!("{n} threat techniques in scope, at their weakest asset: {vis}"),
        ),
        overlay_layer(
            analysis,
            catalog,
            c.overlay,
            &format!("{n} threat techniques in scope, at their weakest asset: {over}"),
        ),
    ]
}

/// The detection layer: each threat technique's lowest state over its assets.
fn detection_layer(
    analysis: &Analysis,
    catalog: &Catalog,
    cells: BTreeMap<String, Cell>,
    counts: &str,
) -> LayerFile {
    let legend = State::ALL
        .iter()
        .zip(STATE_COLORS)
        .map(|(s, c)| {
            (
                format!("{} ({})", s.as_str(), state_score(*s)),
                c.to_string(),
            )
        })
        .collect();
    LayerFile {
        file: "detection.json".into(),
        kind: "detection",
        purpose: "How far each threat technique is handled at its weakest asset, on the ladder blind, unknown, visible, detected, validated: the layer to report detection coverage from.".into(),
        layer: layer(
            analysis,
            catalog,
            LayerSpec {
                name: layer_name(&analysis.model.name, "detection"),
                description: format!(
                    "Detection by the state ladder: score = the lowest state of the technique over the assets it applies to (a technique is only as covered as its weakest asset): 0 blind, 1 unknown, 2 visible, 3 detected, 4 validated; the comment names the assets in each state. A parent's aggregate is the lowest of its own and its threat sub-techniques' scores. {counts}"
                ),
                cells,
                gradient: Some((STATE_COLORS.to_vec(), 0.0, 4.0)),
                legend,
                platforms: None,
                aggregate: Some("min"),
            },
        ),
    }
}

/// The visibility layer: what collected telemetry shows of each threat technique, at
/// its least visible asset.
fn visibility_layer(
    analysis: &Analysis,
    catalog: &Catalog,
    cells: BTreeMap<String, Cell>,
    counts: &str,
) -> LayerFile {
    let legend = Visibility::ALL
        .iter()
        .zip(VISIBILITY_COLORS)
        .map(|(v, c)| (format!("{} ({})", v.as_str(), v.score()), c.to_string()))
        .collect();
    LayerFile {
        file: "visibility.json".into(),
        kind: "visibility",
        purpose: "What the collected telemetry can see, whatever the rules: where to onboard data before writing detections.".into(),
        layer: layer(
            analysis,
            catalog,
            LayerSpec {
                name: layer_name(&analysis.model.name, "visibility"),
                description: format!(
                    "Visibility from declared telemetry: score = the lowest over the technique's assets of 0 blind (the asset's telemetry holds none of the data components the technique's ATT&CK analytics for its platforms read), 1 unknown (the asset declares no telemetry), 2 visible (it collects one they read); rules play no part; the comment names the assets in each. A parent's aggregate is the lowest of its own and its threat sub-techniques' scores. {counts}"
                ),
                cells,
                gradient: Some((VISIBILITY_COLORS.to_vec(), 0.0, 2.0)),
                legend,
                platforms: None,
                aggregate: Some("min"),
            },
        ),
    }
}

/// The overlay of visibility and detection, one colour per combination.
fn overlay_layer(
    analysis: &Analysis,
    catalog: &Catalog,
    cells: BTreeMap<String, Cell>,
    counts: &str,
) -> LayerFile {
    LayerFile {
        file: "overlay.json".into(),
        kind: "overlay",
        purpose: "Visibility against detection: amber where the data is collected but no rule detects (the next rules to write), purple where a rule counts without telemetry its analytics read (check the rule's data).".into(),
        layer: layer(
            analysis,
            catalog,
            LayerSpec {
                name: layer_name(&analysis.model.name, "overlay"),
                description: format!(
                    "Visibility versus detection per (technique, asset), coloured by the combination at the technique's weakest asset, worst first: 0 blind and not detected (red), 1 visibility unknown and not detected (grey), 2 visible but not detected (amber), 3 detected but blind (purple), 4 detected with unknown visibility (light purple), 5 detected and visible (green); score = that number, validated counts as detected; the comment names the assets in each. {counts}"
                ),
                cells,
                gradient: None,
                legend: OVERLAY
                    .iter()
                    .map(|(l, c)| (l.to_string(), c.to_string()))
                    .collect(),
                platforms: None,
                aggregate: None,
            },
        ),
    }
}
