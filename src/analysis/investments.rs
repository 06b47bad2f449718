//! Telemetry investments: which log sources and data components would let the team
//! detect the most gap weight, through ATT&CK v18 detection strategies and analytics.

use super::{r4, Gap};
use crate::catalog::Catalog;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A gap an investment unlocks.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InvestmentGap {
    /// Technique id.
    pub technique: String,
    /// Its priority score.
    pub score: f64,
}

/// A log source (with its data component) and the gaps its analytics address.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Investment {
    /// Rank (1 = most gap weight).
    pub rank: usize,
    /// Log name, e.g. `WinEventLog:Security`.
    pub log_source: String,
    /// Data component id.
    pub data_component: String,
    /// Data component name.
    pub data_component_name: String,
    /// Channels seen for it (e.g. `EventCode=5140`), sorted, at most 8.
    pub channels: Vec<String>,
    /// Number of gaps.
    pub gaps: usize,
    /// Summed gap score.
    pub weight: f64,
    /// The gaps, by score.
    pub techniques: Vec<InvestmentGap>,
}

/// Ranks log sources by the gap score their analytics (for in-scope platforms) touch.
pub fn compute(
    catalog: &Catalog,
    gaps: &[Gap],
    platforms: &BTreeSet<&str>,
    has_assets: bool,
) -> Vec<Investment> {
    // (log name, data component) → (channels, gap technique → score)
    type Channels = BTreeSet<String>;
    type Scores = BTreeMap<String, f64>;
    let mut acc: BTreeMap<(String, String), (Channels, Scores)> = BTreeMap::new();
    for g in gaps {
        let Some(t) = catalog.technique(&g.technique) else {
            continue;
        };
        for det in &t.detection_strategies {
            let Some(ds) = catalog.detection_strategy(det) else {
                continue;
            };
            for an_id in &ds.analytics {
                let Some(an) = catalog.analytic(an_id) else {
                    continue;
                };
                if has_assets && !an.platforms.iter().any(|p| platforms.contains(p.as_str())) {
                    continue;
                }
                for ls in &an.log_sources {
                    let e = acc
                        .entry((ls.name.clone(), ls.data_component.clone()))
                        .or_default();
                    if !ls.channel.is_empty() {
                        e.0.insert(ls.channel.clone());
                    }
                    e.1.insert(g.technique.clone(), g.score);
                }
            }
        }
    }
    let mut out: Vec<Investment> = acc
        .into_iter()
        .map(|((name, dc), (channels, techs))| {
            let mut techniques: Vec<InvestmentGap> = techs
                .into_iter()
                .map(|(technique, score)| InvestmentGap { technique, score })
                .collect();
            techniques.sort_by(|a, b| {
                b.score
                    .partial_cmp(&a.score)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.technique.cmp(&b.technique))
            });
            let weight = r4(techniques.iter().map(|t| t.score).sum());
            Investment {
                rank: 0,
                data_component_name: catalog
                    .data_component(&dc)
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                log_source: name,
                data_component: dc,
                channels: channels.into_iter().take(8).collect(),
                gaps: techniques.len(),
                weight,
                techniques,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.weight
            .partial_cmp(&a.weight)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.gaps.cmp(&a.gaps))
            .then(a.log_source.cmp(&b.log_source))
            .then(a.data_component.cmp(&b.data_component))
    });
    for (i, inv) in out.iter_mut().enumerate() {
        inv.rank = i + 1;
    }
    out
}
