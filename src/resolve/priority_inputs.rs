//! What the model says about priorities beyond the threat (#15, point 2): the factor
//! weights (`plan.weights`), the organisation's own intelligence (`intel:`, fading with
//! `plan.intel_half_life`) and the mitigations in place (`mitigations:`).

use super::context::Resolver;
use super::{Actor, Asset};
use crate::analysis::priority::Weights;
use crate::date::Date;
use crate::diag::{Code, Diagnostic};
use crate::model::load::{Loaded, LoadedFile};
use crate::model::v1;
use crate::source::{Span, Spanned};

/// Default `plan.intel_half_life`, in days.
pub const DEFAULT_INTEL_HALF_LIFE_DAYS: u32 = 180;

/// One `intel:` entry, resolved.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Intel {
    /// Technique id.
    pub technique: String,
    /// When it was seen.
    pub date: Date,
    /// Where it comes from (`incident`, `red-team`, `threat-intel`… or free text).
    pub source: String,
    /// A ticket, report or link.
    pub reference: Option<String>,
    /// Free text.
    pub note: Option<String>,
    /// The assets it concerns, in model order (empty: every asset).
    pub assets: Vec<String>,
}

/// One `mitigations:` entry, resolved.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct MitigationInPlace {
    /// ATT&CK mitigation id (M1026).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The assets it is in place on, in model order (empty: every asset).
    pub assets: Vec<String>,
    /// A ticket, policy or link.
    pub reference: Option<String>,
    /// Free text.
    pub note: Option<String>,
}

impl MitigationInPlace {
    /// Whether it is in place on the asset.
    pub fn on(&self, asset: &str) -> bool {
        self.assets.is_empty() || self.assets.iter().any(|a| a == asset)
    }
}

/// `plan.weights`: the defaults with the model's values; errors for negative or
/// non-finite weights; base weights that do not sum to 1 are divided by their sum,
/// with a `weights-normalised` warning.
pub(super) fn weights(r: &mut Resolver<'_>, root: &LoadedFile) -> Weights {
    let d = Weights::default();
    let Some(ws) = root
        .content
        .plan
        .as_ref()
        .and_then(|p| p.value.weights.as_ref())
    else {
        return d;
    };
    let w = &ws.value;
    let mut ok = true;
    let mut take = |name: &str, v: &Option<Spanned<f64>>, default: f64, max: Option<f64>| {
        let Some(v) = v else { return default };
        let bad = !v.value.is_finite() || v.value < 0.0 || max.is_some_and(|m| v.value > m);
        if bad {
            ok = false;
            let range = if max.is_some() {
                "a number from 0 to 1"
            } else {
                "a finite number, 0 or more"
            };
            r.diags.push(
                Diagnostic::error(
                    Code::InvalidWeights,
                    format!("`plan.weights.{name}` is {}, not {range}", v.value),
                )
                .with_label(v.span, format!("{name} weight"))
                .with_help(format!("write {range}; the default is {default}")),
            );
            return default;
        }
        v.value
    };
    let base = [
        take("actors", &w.actors, d.actors, None),
        take("criticality", &w.criticality, d.criticality, None),
        take("prevalence", &w.prevalence, d.prevalence, None),
        take("choke_point", &w.choke_point, d.choke_point, None),
        take("actionability", &w.actionability, d.actionability, None),
        take("kill_chain", &w.kill_chain, d.kill_chain, None),
    ];
    let intel = take("intel", &w.intel, d.intel, Some(1.0));
    let mitigation = take("mitigation", &w.mitigation, d.mitigation, Some(1.0));
    let out = Weights {
        intel,
        mitigation,
        ..d
    };
    if !ok {
        return out;
    }
    normalised(r, ws.span, out.with_base(base))
}

/// Base weights divided by their sum when it is not 1 (warning); all zero is an error.
fn normalised(r: &mut Resolver<'_>, span: Span, w: Weights) -> Weights {
    let sum: f64 = w.base().iter().map(|(_, v)| v).sum();
    if sum <= 0.0 {
        r.diags.push(
            Diagnostic::error(
                Code::InvalidWeights,
                "the base weights of `plan.weights` are all 0: no factor would count",
            )
            .with_label(span, "weights")
            .with_help("give at least one of actors, criticality, prevalence, choke_point, actionability, kill_chain a positive weight"),
        );
        return Weights::default();
    }
    if (sum - 1.0).abs() <= 1e-9 {
        return w;
    }
    let scaled = w.base().map(|(_, v)| v / sum);
    let text: Vec<String> = w
        .base()
        .iter()
        .zip(scaled)
        .map(|((n, _), v)| format!("{n} {}", crate::analysis::r4(v)))
        .collect();
    r.diags.push(
        Diagnostic::warning(
            Code::WeightsNormalised,
            format!(
                "the base weights of `plan.weights` sum to {}, not 1: divided by their sum ({})",
                crate::analysis::r4(sum),
                text.join(", ")
            ),
        )
        .with_label(span, format!("sum {}", crate::analysis::r4(sum)))
        .with_help("make actors + criticality + prevalence + choke_point + actionability + kill_chain = 1 (keys left out keep their defaults)"),
    );
    w.with_base(scaled)
}

/// `plan.intel_half_life` in days (at least 1).
pub(super) fn half_life(r: &mut Resolver<'_>, root: &LoadedFile) -> u32 {
    let Some(s) = root
        .content
        .plan
        .as_ref()
        .and_then(|p| p.value.intel_half_life.as_ref())
    else {
        return DEFAULT_INTEL_HALF_LIFE_DAYS;
    };
    match super::evidence::parse_days(&s.value) {
        Some(d) if d > 0 => d,
        _ => {
            r.diags.push(
                Diagnostic::error(
                    Code::InvalidDuration,
                    format!("`{}` is not a positive number of days", s.value.text()),
                )
                .with_label(s.span, "`intel_half_life` is a duration")
                .with_help("write days (`180`) or a duration: `180d`, `26w`, `6m`, `1y` (more than 0, at most 100 years)"),
            );
            DEFAULT_INTEL_HALF_LIFE_DAYS
        }
    }
}

/// A technique named by id (`T1486`) or by name (`Data Encrypted for Impact`, or
/// `Parent: Sub` for a sub-technique whose name is shared).
fn technique(r: &mut Resolver<'_>, t: &Spanned<String>, what: &str) -> Option<String> {
    let raw = t.value.trim();
    if crate::technique_id::is_technique_id(&raw.to_ascii_uppercase()) {
        return r.technique(t, what);
    }
    let catalog = r.catalog;
    let hits: Vec<&str> = catalog
        .active_techniques()
        .filter(|x| {
            x.name.eq_ignore_ascii_case(raw)
                || crate::analysis::technique_name(catalog, &x.id).eq_ignore_ascii_case(raw)
        })
        .map(|x| x.id.as_str())
        .collect();
    match hits.as_slice() {
        [one] => Some(one.to_string()),
        [] => r.technique(t, what),
        many => {
            r.diags.push(
                Diagnostic::error(
                    Code::UnknownTechnique,
                    format!(
                        "`{raw}` names {} techniques: {}",
                        many.len(),
                        many.join(", ")
                    ),
                )
                .with_label(t.span, "ambiguous technique name")
                .with_help("write the technique id, or `Parent: Sub`"),
            );
            None
        }
    }
}

/// The asset ids an entry names (`all` or none: every asset, as an empty list).
fn assets(
    r: &mut Resolver<'_>,
    named: Option<&Spanned<v1::AssetSelection>>,
    all: &[Asset],
    what: &str,
) -> Vec<String> {
    let Some(sel) = named else {
        return Vec::new();
    };
    let names: Vec<&str> = match &sel.value {
        v1::AssetSelection::One(s) => vec![s.as_str()],
        v1::AssetSelection::Many(v) => v.iter().map(String::as_str).collect(),
    };
    if names.iter().any(|a| a.trim().eq_ignore_ascii_case("all")) {
        return Vec::new();
    }
    let ids: std::collections::BTreeSet<&str> = all.iter().map(|a| a.id.as_str()).collect();
    let picked: Vec<String> = names
        .iter()
        .filter_map(|a| super::evidence::asset(r, a, sel.span, &ids, what))
        .collect();
    all.iter()
        .filter(|a| picked.contains(&a.id))
        .map(|a| a.id.clone())
        .collect()
}

/// Every `intel:` entry of every file, in model order. An entry on a technique no actor
/// uses changes nothing (`intel-outside-threat`).
pub(super) fn intel(
    r: &mut Resolver<'_>,
    loaded: &Loaded,
    all: &[Asset],
    actors: &[Actor],
) -> Vec<Intel> {
    let mut out = Vec::new();
    for f in &loaded.files {
        for e in &f.content.intel {
            let v = &e.value;
            let what = format!("the intel entry on `{}`", v.technique.value.trim());
            let t = technique(r, &v.technique, "an intel entry");
            let date = r.date(&v.date, "an intel entry's `date`");
            let on = assets(r, v.assets.as_ref(), all, &what);
            let source = v.source.value.trim().to_string();
            if source.is_empty() {
                r.diags.push(
                    Diagnostic::error(Code::InvalidIntel, format!("{what} has an empty `source`"))
                        .with_label(v.source.span, "empty")
                        .with_help("say where it comes from: incident, red-team, threat-intel, pentest, or your own words"),
                );
            }
            let (Some(t), Some(date), false) = (t, date, source.is_empty()) else {
                continue;
            };
            if !actors.iter().any(|a| a.techniques.contains_key(&t)) {
                r.diags.push(
                    Diagnostic::warning(
                        Code::IntelOutsideThreat,
                        format!("{what}: no actor of the model uses `{t}`, so it raises no gap"),
                    )
                    .with_label(v.technique.span, "not in the threat")
                    .with_help("add it to the actor seen using it (`add:`), or to a custom actor"),
                );
            }
            out.push(Intel {
                technique: t,
                date,
                source: super::evidence::method(&source),
                reference: v.reference.clone(),
                note: v.note.clone(),
                assets: on,
            });
        }
    }
    out
}

/// An ATT&CK mitigation by id or name, with did-you-mean.
fn mitigation(r: &mut Resolver<'_>, m: &Spanned<String>) -> Option<(String, String)> {
    let raw = m.value.trim();
    let catalog = r.catalog;
    let found = catalog.mitigation(&raw.to_ascii_uppercase()).or_else(|| {
        catalog
            .mitigations
            .iter()
            .find(|x| x.name.eq_ignore_ascii_case(raw))
    });
    if let Some(x) = found {
        return Some((x.id.to_string(), x.name.to_string()));
    }
    let known = catalog
        .mitigations
        .iter()
        .flat_map(|x| [x.id.as_str(), x.name.as_str()]);
    let d = Diagnostic::error(
        Code::UnknownMitigation,
        format!("`mitigations:` names `{raw}`, not an ATT&CK mitigation"),
    )
    .with_label(m.span, "no such mitigation");
    r.diags.push(match crate::suggest::nearest(raw, known) {
        Some(n) => d.with_help(format!("did you mean `{n}`?")),
        None => d.with_help(
            "name ATT&CK mitigations by id or name, e.g. M1026 or Privileged Account Management",
        ),
    });
    None
}

/// Every `mitigations:` entry of every file, in model order.
pub(super) fn mitigations(
    r: &mut Resolver<'_>,
    loaded: &Loaded,
    all: &[Asset],
) -> Vec<MitigationInPlace> {
    let mut out = Vec::new();
    for f in &loaded.files {
        for e in &f.content.mitigations {
            let v = &e.value;
            let what = format!("the mitigation `{}`", v.mitigation.value.trim());
            let found = mitigation(r, &v.mitigation);
            let on = assets(r, v.assets.as_ref(), all, &what);
            if let Some((id, name)) = found {
                out.push(MitigationInPlace {
                    id,
                    name,
                    assets: on,
                    reference: v.reference.clone(),
                    note: v.note.clone(),
                });
            }
        }
    }
    out
}
