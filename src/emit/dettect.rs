//! The model's visibility and detection as DeTT&CT administration files (build outputs
//! `dettect/techniques.yaml` and `dettect/data-sources.yaml`; README, "DeTT&CT in and
//! out").
//!
//! The scores encode the ladder, not a quality grade threatc cannot know: detection 1
//! (basic) where a counting rule applies (detected), 3 (good) where the latest test also
//! passed (validated; the test under threatc's `threatc_tests` key, which DeTT&CT
//! ignores), −1 elsewhere; visibility 0 where the asset's telemetry is read by none of
//! the technique's analytics (blind), 1 where it is (visible), the imported DeTT&CT score
//! where that decided, and nothing for pairs whose visibility is unknown. Reading the
//! files back with `import: dettect` gives the same state on every pair. Every user
//! string is a YAML double-quoted scalar ([`crate::escape::yaml_string`]); entries are
//! sorted (techniques by id, data sources by name, assets in model order).

use crate::analysis::{AssetState, State, TechniqueRow};
use crate::escape::yaml_string as q;
use crate::resolve::Asset;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Detection score of a detected pair.
pub const DETECTED_SCORE: i64 = 1;
/// Detection score of a validated pair.
pub const VALIDATED_SCORE: i64 = 3;

/// `techniques.yaml`: a DeTT&CT technique administration file (version 1.2).
pub fn techniques(c: &crate::Compiled) -> String {
    let (a, m) = (&c.analysis, &c.resolved);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# DeTT&CT technique administration file written by threatc {} from the model {}.",
        env!("CARGO_PKG_VERSION"),
        q(&a.model.name)
    );
    out.push_str("# Scores encode threatc's ladder (README, \"DeTT&CT in and out\"): detection 1 detected,\n");
    out.push_str(
        "# 3 validated (its test under threatc_tests), -1 not detected; visibility 0 blind,\n",
    );
    out.push_str(
        "# 1 visible (or the DeTT&CT score imported); pairs of unknown visibility are left out.\n",
    );
    out.push_str("version: 1.2\nfile_type: technique-administration\n");
    let _ = writeln!(out, "name: {}", q(&a.model.name));
    let _ = writeln!(out, "domain: {}", c.catalog.domain.stix_name());
    let _ = writeln!(out, "platform: {}", flow(&platforms(&m.assets)));
    let mut rows: Vec<&TechniqueRow> = a.techniques.iter().filter(|t| t.in_scope).collect();
    rows.sort_by(|x, y| x.id.cmp(&y.id));
    if rows.is_empty() {
        out.push_str("techniques: []\n");
        return out;
    }
    out.push_str("techniques:\n");
    let date = m.meta.assessed.map(|d| d.to_string()).unwrap_or_default();
    for t in rows {
        let _ = writeln!(out, "- technique_id: {}", t.id);
        let _ = writeln!(out, "  technique_name: {}", q(&t.name));
        detection(&mut out, t, &date);
        visibility(&mut out, t, &date);
    }
    out
}

/// The DeTT&CT platform names of the assets (`all` when none names one).
fn platforms(assets: &[Asset]) -> Vec<String> {
    let set: BTreeSet<&str> = assets
        .iter()
        .flat_map(|a| a.platforms.iter().map(String::as_str))
        .collect();
    if set.is_empty() {
        vec!["all".into()]
    } else {
        set.into_iter().map(String::from).collect()
    }
}

/// A value after `key:`: a space and the value, or nothing (null) when empty.
fn spaced(v: &str) -> String {
    if v.is_empty() {
        String::new()
    } else {
        format!(" {v}")
    }
}

/// A flow sequence of quoted strings.
fn flow(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// A pair's detection score and the deciding test when it is validated.
type DetectionKey<'s> = (i64, Option<&'s crate::analysis::TestRef>);

/// The detection score of a pair, and the deciding test when it is validated.
fn detection_of(s: &AssetState) -> DetectionKey<'_> {
    match s.state {
        State::Validated => (VALIDATED_SCORE, s.test.as_ref()),
        State::Detected => (DETECTED_SCORE, None),
        _ => (-1, None),
    }
}

/// One detection object per group of assets with the same score (and test).
fn detection(out: &mut String, t: &TechniqueRow, date: &str) {
    out.push_str("  detection:\n");
    if t.states.is_empty() {
        // A model without assets: detected or not, everywhere.
        let score = if t.covered { DETECTED_SCORE } else { -1 };
        let rules: Vec<String> = t.rules.iter().map(|r| r.id.clone()).collect();
        detection_object(out, &["all".to_string()], &rules, score, None, date);
        return;
    }
    let mut groups: Vec<(DetectionKey<'_>, Vec<&AssetState>)> = Vec::new();
    for s in &t.states {
        let key = detection_of(s);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(s),
            None => groups.push((key, vec![s])),
        }
    }
    // Highest score first, then as the assets come.
    groups.sort_by_key(|g| std::cmp::Reverse(g.0 .0));
    for ((score, test), states) in groups {
        let assets: Vec<String> = states.iter().map(|s| s.asset.clone()).collect();
        let rules: BTreeSet<String> = states
            .iter()
            .flat_map(|s| s.rules.iter().cloned())
            .collect();
        let rules: Vec<String> = if score > 0 {
            rules.into_iter().collect()
        } else {
            Vec::new()
        };
        detection_object(out, &assets, &rules, score, test, date);
    }
}

fn detection_object(
    out: &mut String,
    applicable_to: &[String],
    rules: &[String],
    score: i64,
    test: Option<&crate::analysis::TestRef>,
    date: &str,
) {
    let _ = writeln!(out, "  - applicable_to: {}", flow(applicable_to));
    let _ = writeln!(out, "    location: {}", flow(rules));
    out.push_str("    comment: \"\"\n");
    out.push_str("    score_logbook:\n");
    let comment = match (score, test) {
        (s, _) if s < 1 => "threatc: not detected".to_string(),
        (_, Some(t)) => format!(
            "threatc: validated, test of {}{}",
            t.date,
            t.method
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        ),
        _ => "threatc: detected (a counting rule applies)".to_string(),
    };
    let d = if score < 1 { "" } else { date };
    let _ = writeln!(out, "    - date:{}", spaced(d));
    let _ = writeln!(out, "      score: {score}");
    let _ = writeln!(out, "      comment: {}", q(&comment));
    if let Some(t) = test {
        out.push_str("    threatc_tests:\n");
        let _ = writeln!(out, "    - date: {}", t.date);
        let _ = writeln!(
            out,
            "      result: {}",
            match t.result {
                crate::resolve::TestResult::Detected => "detected",
                crate::resolve::TestResult::NotDetected => "not-detected",
            }
        );
        if let Some(m) = &t.method {
            let _ = writeln!(out, "      method: {}", q(m));
        }
        if let Some(r) = &t.reference {
            let _ = writeln!(out, "      reference: {}", q(r));
        }
    }
}

/// The visibility score of a pair: from its telemetry (0 blind, 1 visible), else from an
/// imported DeTT&CT score; `None` when unknown.
fn visibility_of(s: &AssetState) -> Option<u8> {
    match &s.visible_by {
        Some(v) => Some(u8::from(!v.is_empty())),
        None => s.dettect_visibility,
    }
}

/// One visibility object per group of assets with the same score; none when every
/// pair's visibility is unknown.
fn visibility(out: &mut String, t: &TechniqueRow, date: &str) {
    let mut groups: BTreeMap<std::cmp::Reverse<u8>, Vec<String>> = BTreeMap::new();
    for s in &t.states {
        if let Some(score) = visibility_of(s) {
            groups
                .entry(std::cmp::Reverse(score))
                .or_default()
                .push(s.asset.clone());
        }
    }
    if groups.is_empty() {
        out.push_str("  visibility: []\n");
        return;
    }
    out.push_str("  visibility:\n");
    for (std::cmp::Reverse(score), assets) in groups {
        let _ = writeln!(out, "  - applicable_to: {}", flow(&assets));
        out.push_str("    comment: \"\"\n");
        out.push_str("    score_logbook:\n");
        let _ = writeln!(out, "    - date:{}", spaced(date));
        let _ = writeln!(out, "      score: {score}");
        let what = if score == 0 { "blind" } else { "visible" };
        let _ = writeln!(out, "      comment: {}", q(&format!("threatc: {what}")));
        out.push_str("      auto_generated: true\n");
    }
}

/// `data-sources.yaml`: a DeTT&CT data source administration file (version 1.1): a
/// system per asset that declares telemetry, a data source per data component collected.
pub fn data_sources(c: &crate::Compiled) -> String {
    let m = &c.resolved;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# DeTT&CT data source administration file written by threatc {} from the model {}.",
        env!("CARGO_PKG_VERSION"),
        q(&m.meta.name)
    );
    out.push_str(
        "# One system per asset that declares telemetry; data quality is not known to threatc:\n",
    );
    out.push_str("# 1 on every dimension marks a data source available (DeTT&CT counts 0 everywhere as not).\n");
    out.push_str("version: 1.1\nfile_type: data-source-administration\n");
    let _ = writeln!(out, "name: {}", q(&m.meta.name));
    let _ = writeln!(out, "domain: {}", c.catalog.domain.stix_name());
    let declared: Vec<&Asset> = m.assets.iter().filter(|a| a.collects.is_some()).collect();
    if declared.is_empty() {
        out.push_str("systems: []\ndata_sources: []\n");
        return out;
    }
    out.push_str("systems:\n");
    for a in &declared {
        let _ = writeln!(out, "- applicable_to: {}", q(&a.id));
        let p = if a.platforms.is_empty() {
            vec!["all".to_string()]
        } else {
            a.platforms.clone()
        };
        let _ = writeln!(out, "  platform: {}", flow(&p));
    }
    let mut by_component: BTreeMap<&str, Vec<&Asset>> = BTreeMap::new();
    for a in &declared {
        for dc in a.collects.iter().flatten() {
            by_component.entry(dc.as_str()).or_default().push(a);
        }
    }
    if by_component.is_empty() {
        out.push_str("data_sources: []\n");
        return out;
    }
    out.push_str("data_sources:\n");
    let date = m.meta.assessed.map(|d| d.to_string()).unwrap_or_default();
    for (dc, assets) in by_component {
        let ids: Vec<String> = assets.iter().map(|a| a.id.clone()).collect();
        let products: BTreeSet<String> = m
            .telemetry
            .iter()
            .filter(|t| {
                t.data_components.iter().any(|x| x == dc)
                    && t.assets.iter().any(|x| ids.contains(x))
            })
            .map(|t| t.log_source.clone().unwrap_or_else(|| t.name.clone()))
            .collect();
        let products: Vec<String> = products.into_iter().collect();
        let _ = writeln!(out, "- data_source_name: {}", q(dc));
        out.push_str("  data_source:\n");
        let _ = writeln!(out, "  - applicable_to: {}", flow(&ids));
        let _ = writeln!(out, "    date_registered:{}", spaced(&date));
        out.push_str("    date_connected:\n");
        let _ = writeln!(out, "    products: {}", flow(&products));
        out.push_str("    available_for_data_analytics: true\n");
        out.push_str("    comment: \"threatc: collected\"\n");
        out.push_str("    data_quality:\n");
        for dim in [
            "device_completeness",
            "data_field_completeness",
            "timeliness",
            "consistency",
            "retention",
        ] {
            let _ = writeln!(out, "      {dim}: 1");
        }
    }
    out
}
