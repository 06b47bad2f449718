//! Telemetry investments: "what do we onboard next". A unit of investment is one ATT&CK
//! v18 data component on one platform (collected on the assets of that platform that
//! lack it), with the log sources that provide it there as alternatives.
//!
//! What is already collected on an asset is its declared telemetry
//! ([`Asset::collects`]); an asset that declares none is taken to collect the data
//! components read by the counting rules that apply to it ([`Rule::data_components`]).
//!
//! A (gap, asset) pair — a threat technique not detected on an asset — is *unlocked*
//! when one of the technique's analytics for a platform of the asset (ATT&CK v18:
//! technique → detection strategies → analytics → log source references → data
//! components) has every data component it reads collected there. Pairs unlocked
//! already (ready: they need a rule, not data) and pairs no analytic reads data for
//! are not counted.
//!
//! Ranking is greedy marginal cover: each row is the unit that unlocks the most gap
//! weight not unlocked by the rows above (per unit of declared cost when the model
//! states costs), and counts only what it adds, so the columns add up. When no single
//! unit unlocks anything more (every remaining analytic misses two or more data
//! components), the smallest set of units completing an analytic is taken as
//! consecutive rows naming each other (`with`).
//!
//! Weight: a gap's priority score (0–100) is shared among the assets it is open on in
//! proportion to their criticality; a row's weight is the sum of the shares of the
//! (gap, asset) pairs it unlocks. A gap unlocked on all its assets contributes its
//! whole score, so the weights of all rows add up to at most the sum of gap scores.

use super::priority::criticality_value;
use super::{r1, r4, Gap};
use crate::catalog::Catalog;
use crate::resolve::{Asset, Resolved};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A gap (on some assets) an investment unlocks.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InvestmentGap {
    /// Technique id.
    pub technique: String,
    /// Its priority score (0–100).
    pub score: f64,
    /// The assets it is unlocked on by this row (empty in a model without assets).
    pub assets: Vec<String>,
    /// The share of its score this row earns (the criticality-weighted share of those
    /// assets among the assets the gap is open on).
    pub weight: f64,
}

/// One log source that provides an investment's data component on its platform.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LogSourceOption {
    /// Log name as ATT&CK's analytics write it, e.g. `WinEventLog:Sysmon`.
    pub name: String,
    /// Its channels for this data component, deduplicated (event codes merged into one
    /// `EventCode=…` entry), shortest first, at most [`CHANNELS_SHOWN`].
    pub channels: Vec<String>,
    /// How many distinct channels there are in all.
    pub channels_total: usize,
    /// Assets of the investment that already collect this log source (for other event
    /// codes or channels): extending it there may be the cheapest way.
    pub collected_on: Vec<String>,
}

/// How many channels a log source option lists.
pub const CHANNELS_SHOWN: usize = 5;

/// A data component to collect on a platform, and what it unlocks after the rows above.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Investment {
    /// Rank (1 = onboard first).
    pub rank: usize,
    /// Data component id, e.g. `DC0035`.
    pub data_component: String,
    /// Data component name, e.g. `Process Access`.
    pub data_component_name: String,
    /// The ATT&CK platform to collect it on.
    pub platform: String,
    /// The assets of that platform that lack it (empty in a model without assets).
    pub assets: Vec<String>,
    /// The log sources that provide it there, as alternatives (most used by ATT&CK's
    /// analytics first).
    pub log_sources: Vec<LogSourceOption>,
    /// (gap, asset) pairs it unlocks that the rows above did not (adds up down the table).
    pub pairs: usize,
    /// Gaps among those pairs (a gap open on several assets may be unlocked by several
    /// rows, so this column does not add up).
    pub gaps: usize,
    /// Gap weight it unlocks that the rows above did not: the sum of the shares of gap
    /// scores of its pairs, to one decimal (adds up; see the module documentation).
    pub weight: f64,
    /// The weight of this row and all rows above (the sum of their rounded weights).
    pub cumulative_weight: f64,
    /// Ranks of the rows it must be collected with: the analytics it completes also read
    /// their data components (empty for a unit that unlocks pairs alone).
    pub with: Vec<usize>,
    /// The gaps it unlocks, by score.
    pub techniques: Vec<InvestmentGap>,
    /// Candidate rules (`candidates:`) it would activate: those running on its platform
    /// that read its data component. Absent when the model has no candidate rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidates: Option<usize>,
    /// Effort points of onboarding it (`plan.effort.telemetry`), with `plan.capacity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort_points: Option<f64>,
    /// The month (`YYYY-MM`) the schedule onboards it in, with `plan.capacity` (absent
    /// beyond the schedule's horizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
}

/// How a gap's (gap, asset) pairs stand for telemetry: what the schedule's default
/// effort reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Pairs an analytic can already read (a rule is missing, not data).
    pub ready: usize,
    /// Pairs that need data not yet collected (an investment unlocks them).
    pub locked: usize,
    /// Pairs no analytic reads data for.
    pub no_analytic: usize,
}

/// The (gap, asset) pairs the investments start from.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct InvestmentTotals {
    /// (gap, asset) pairs: a gap and an asset it is open on (a model without assets: one
    /// per gap).
    pub open: usize,
    /// Of those, ready: one of the technique's analytics for the asset's platforms has
    /// every data component it reads collected there (a rule is missing, not data). This
    /// is stricter than the ladder's `visible` (one component read is enough there).
    pub ready: usize,
    /// Of those, no analytic of the technique for the asset's platforms names a data
    /// component (no telemetry investment can help).
    pub no_analytic: usize,
    /// Of those, the ones the investments unlock (the sum of their `pairs`).
    pub unlockable: usize,
    /// The weight of those (the sum of their `weight`).
    pub weight: f64,
    /// Assets whose collected data components are inferred from their counting rules,
    /// because they declare no telemetry.
    pub inferred: Vec<String>,
}

/// A unit: (data component id, platform).
type Unit = (String, String);

/// A (gap, asset) pair still to unlock.
struct Pair {
    gap: usize,
    asset: Option<usize>,
    weight: f64,
    /// For each analytic (and platform) that could read it: the units it misses.
    options: Vec<Vec<usize>>,
    unlocked: bool,
}

/// Ranks data components on platforms by the gap weight they unlock, greedily.
pub fn compute(
    model: &Resolved,
    catalog: &Catalog,
    gaps: &[Gap],
) -> (Vec<Investment>, InvestmentTotals, Vec<Readiness>) {
    let mut readiness = vec![Readiness::default(); gaps.len()];
    let collected = collected(model, catalog);
    let mut totals = InvestmentTotals {
        inferred: model
            .assets
            .iter()
            .filter(|a| a.collects.is_none())
            .map(|a| a.id.clone())
            .collect(),
        ..Default::default()
    };
    let mut units: Vec<Unit> = Vec::new();
    let mut index: HashMap<Unit, usize> = HashMap::new();
    let mut pairs = Vec::new();
    for (gi, g) in gaps.iter().enumerate() {
        let on = open_assets(model, g);
        let total: f64 = on.iter().map(|a| a.map_or(1.0, |i| crit(model, i))).sum();
        for a in on {
            let share = a.map_or(1.0, |i| crit(model, i)) / total.max(f64::MIN_POSITIVE);
            let asset = a.and_then(|i| model.assets.get(i));
            let have = match a {
                Some(i) => collected.get(i),
                None => collected.last(),
            };
            let Some(have) = have else { continue };
            totals.open += 1;
            let options = options(catalog, &g.technique, asset, have, &mut units, &mut index);
            let Some(ready) = readiness.get_mut(gi) else {
                continue;
            };
            if options.is_empty() {
                totals.no_analytic += 1;
                ready.no_analytic += 1;
                continue;
            }
            if options.iter().any(Vec::is_empty) {
                totals.ready += 1;
                ready.ready += 1;
                continue;
            }
            ready.locked += 1;
            pairs.push(Pair {
                gap: gi,
                asset: a,
                weight: g.score * share,
                options,
                unlocked: false,
            });
        }
    }
    let order = greedy(&mut pairs);
    let rows = rows(model, catalog, gaps, &collected, &units, &pairs, &order);
    totals.unlockable = rows.iter().map(|r| r.pairs).sum();
    totals.weight = rows.last().map_or(0.0, |r| r.cumulative_weight);
    (rows, totals, readiness)
}

/// Fills each row's `candidates`: the usable (not retired) candidate rules that run on
/// its platform and read its data component (rules name data components by their
/// canonical ATT&CK names). Nothing without candidate rules.
pub fn count_candidates(model: &Resolved, rows: &mut [Investment]) {
    if model.candidates.is_empty() {
        return;
    }
    // (platform, data component) → candidates reading it there, each rule once.
    let mut count: HashMap<(&str, &str), usize> = HashMap::new();
    for c in model.candidates.iter().filter(|c| c.usable()) {
        let reads: BTreeSet<&str> = c.rule.data_components.iter().map(String::as_str).collect();
        for p in &c.rule.platforms {
            for dc in &reads {
                *count.entry((p.as_str(), dc)).or_default() += 1;
            }
        }
    }
    for r in rows.iter_mut() {
        let key = (r.platform.as_str(), r.data_component_name.as_str());
        r.candidates = Some(count.get(&key).copied().unwrap_or(0));
    }
}

/// The data components (ids) each asset collects, in model order, then one entry for
/// a model without assets: declared telemetry, or else what its counting rules read.
fn collected(model: &Resolved, catalog: &Catalog) -> Vec<BTreeSet<String>> {
    let id_of = |name: &str| {
        catalog
            .data_components
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.id.to_string())
    };
    let counting = || {
        model
            .rules
            .iter()
            .filter(|r| model.coverage.count.contains(&r.status) && !r.techniques.is_empty())
    };
    let mut out: Vec<BTreeSet<String>> = model
        .assets
        .iter()
        .map(|a| match &a.collects {
            Some(c) => c.iter().filter_map(|n| id_of(n)).collect(),
            None => counting()
                .filter(|r| r.applies_to(a))
                .flat_map(|r| r.data_components.iter())
                .filter_map(|n| id_of(n))
                .collect(),
        })
        .collect();
    out.push(
        counting()
            .flat_map(|r| r.data_components.iter())
            .filter_map(|n| id_of(n))
            .collect(),
    );
    out
}

/// The assets (indexes) a gap is open on; `[None]` in a model without assets.
fn open_assets(model: &Resolved, g: &Gap) -> Vec<Option<usize>> {
    if model.assets.is_empty() {
        return vec![None];
    }
    model
        .assets
        .iter()
        .enumerate()
        .filter(|(_, a)| g.uncovered_on.contains(&a.id))
        .map(|(i, _)| Some(i))
        .collect()
}

fn crit(model: &Resolved, i: usize) -> f64 {
    model
        .assets
        .get(i)
        .map_or(1.0, |a| criticality_value(a.criticality))
}

/// Whether an asset runs a platform (an asset without platforms, or no asset, runs all).
fn runs(asset: Option<&Asset>, platform: &str) -> bool {
    asset.is_none_or(|a| a.platforms.is_empty() || a.platforms.iter().any(|p| p == platform))
}

/// For each analytic of the technique and platform of the asset: the units it misses.
fn options(
    catalog: &Catalog,
    technique: &str,
    asset: Option<&Asset>,
    have: &BTreeSet<String>,
    units: &mut Vec<Unit>,
    index: &mut HashMap<Unit, usize>,
) -> Vec<Vec<usize>> {
    let mut out: BTreeSet<Vec<usize>> = BTreeSet::new();
    let Some(t) = catalog.technique(technique) else {
        return Vec::new();
    };
    for ds in t
        .detection_strategies
        .iter()
        .filter_map(|d| catalog.detection_strategy(d))
    {
        for an in ds.analytics.iter().filter_map(|a| catalog.analytic(a)) {
            let reads: BTreeSet<&str> = an
                .log_sources
                .iter()
                .map(|l| l.data_component.as_str())
                .filter(|d| !d.is_empty())
                .collect();
            if reads.is_empty() {
                continue;
            }
            for p in an.platforms.iter().filter(|p| runs(asset, p)) {
                let mut missing: Vec<usize> = reads
                    .iter()
                    .filter(|d| !have.contains(**d))
                    .map(|d| {
                        let u = (d.to_string(), p.to_string());
                        *index.entry(u.clone()).or_insert_with(|| {
                            units.push(u);
                            units.len() - 1
                        })
                    })
                    .collect();
                missing.sort_unstable();
                out.insert(missing);
            }
        }
    }
    out.into_iter().collect()
}

/// One step of the ranking: the units taken, and the pairs each unlocked.
struct Step {
    unit: usize,
    pairs: Vec<usize>,
    with: Vec<usize>,
}

/// Greedy marginal cover. Returns the steps in rank order.
fn greedy(pairs: &mut [Pair]) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    loop {
        // unit → (weight, pairs) it would unlock alone.
        let mut gain: BTreeMap<usize, (f64, usize)> = BTreeMap::new();
        let mut bundles: BTreeMap<&[usize], f64> = BTreeMap::new();
        for p in pairs.iter().filter(|p| !p.unlocked) {
            let mut seen: Vec<usize> = Vec::new();
            for o in &p.options {
                match o.as_slice() {
                    [u] if !seen.contains(u) => {
                        seen.push(*u);
                        let e = gain.entry(*u).or_default();
                        e.0 += p.weight;
                        e.1 += 1;
                    }
                    [_] => {}
                    more => *bundles.entry(more).or_default() += p.weight,
                }
            }
        }
        let best = gain
            .iter()
            .max_by(|(a, x), (b, y)| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(b.cmp(a)));
        let chosen: Vec<usize> = match best {
            Some((u, _)) => vec![*u],
            None => match bundles
                .iter()
                .max_by(|a, b| {
                    let ra = a.1 / a.0.len() as f64;
                    let rb = b.1 / b.0.len() as f64;
                    ra.total_cmp(&rb).then(b.0.cmp(a.0))
                })
                .map(|(k, _)| k.to_vec())
            {
                Some(b) => b,
                None => break,
            },
        };
        let first = steps.len();
        let ranks: Vec<usize> = (first..first + chosen.len()).collect();
        for (k, &u) in chosen.iter().enumerate() {
            let mut unlocked = Vec::new();
            for (i, p) in pairs.iter_mut().enumerate() {
                for o in &mut p.options {
                    o.retain(|x| *x != u);
                }
                if !p.unlocked && p.options.iter().any(Vec::is_empty) {
                    p.unlocked = true;
                    unlocked.push(i);
                }
            }
            let with = ranks
                .iter()
                .filter(|&&r| r != first + k)
                .map(|r| r + 1)
                .collect();
            steps.push(Step {
                unit: u,
                pairs: unlocked,
                with,
            });
        }
    }
    steps
}

fn rows(
    model: &Resolved,
    catalog: &Catalog,
    gaps: &[Gap],
    collected: &[BTreeSet<String>],
    units: &[Unit],
    pairs: &[Pair],
    steps: &[Step],
) -> Vec<Investment> {
    let mut cumulative = 0.0;
    let mut out = Vec::with_capacity(steps.len());
    for (i, s) in steps.iter().enumerate() {
        let Some((dc, platform)) = units.get(s.unit) else {
            continue;
        };
        let assets: Vec<String> = model
            .assets
            .iter()
            .zip(collected)
            .filter(|(a, have)| runs(Some(a), platform) && !have.contains(dc))
            .map(|(a, _)| a.id.clone())
            .collect();
        let mut by_gap: BTreeMap<usize, (Vec<String>, f64)> = BTreeMap::new();
        for p in s.pairs.iter().filter_map(|&i| pairs.get(i)) {
            let e = by_gap.entry(p.gap).or_default();
            if let Some(a) = p.asset.and_then(|i| model.assets.get(i)) {
                e.0.push(a.id.clone());
            }
            e.1 += p.weight;
        }
        let mut techniques: Vec<InvestmentGap> = by_gap
            .into_iter()
            .filter_map(|(gi, (assets, weight))| {
                gaps.get(gi).map(|g| InvestmentGap {
                    technique: g.technique.clone(),
                    score: g.score,
                    assets,
                    weight: r4(weight),
                })
            })
            .collect();
        techniques.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.technique.cmp(&b.technique))
        });
        let weight: f64 = s
            .pairs
            .iter()
            .filter_map(|&i| pairs.get(i))
            .map(|p| p.weight)
            .sum();
        let weight = r1(weight);
        cumulative = r1(cumulative + weight);
        out.push(Investment {
            rank: i + 1,
            data_component_name: (catalog
                .data_component(dc)
                .map(|d| d.name.clone())
                .unwrap_or_default())
            .to_string(),
            log_sources: log_sources(model, catalog, dc, platform, &assets),
            data_component: dc.clone(),
            platform: platform.clone(),
            assets,
            pairs: s.pairs.len(),
            gaps: techniques.len(),
            weight,
            cumulative_weight: cumulative,
            with: s.with.clone(),
            techniques,
            candidates: None,
            effort_points: None,
            month: None,
        });
    }
    out
}

/// The log sources that provide a data component on a platform, by how many of the
/// catalog's analytics read them there (most first), with their channels deduplicated.
fn log_sources(
    model: &Resolved,
    catalog: &Catalog,
    dc: &str,
    platform: &str,
    assets: &[String],
) -> Vec<LogSourceOption> {
    // name → (analytics reading it, event codes, other channels by lowercase)
    type Acc = (usize, BTreeSet<u32>, BTreeMap<String, String>);
    let mut acc: BTreeMap<&str, Acc> = BTreeMap::new();
    for an in catalog
        .analytics
        .iter()
        .filter(|a| a.platforms.iter().any(|p| p == platform))
    {
        let mut counted: BTreeSet<&str> = BTreeSet::new();
        for ls in an.log_sources.iter().filter(|l| l.data_component == dc) {
            let e = acc.entry(ls.name.as_str()).or_default();
            if counted.insert(ls.name.as_str()) {
                e.0 += 1;
            }
            let ch = ls.channel.trim();
            let codes = event_codes(ch);
            if !codes.is_empty() {
                e.1.extend(codes);
            } else if !ch.is_empty() && !ch.eq_ignore_ascii_case("none") {
                e.2.entry(ch.to_lowercase())
                    .or_insert_with(|| ch.to_string());
            }
        }
    }
    let mut out: Vec<(usize, LogSourceOption)> = acc
        .into_iter()
        .map(|(name, (n, codes, other))| {
            let mut channels: Vec<String> = Vec::new();
            if !codes.is_empty() {
                let list: Vec<String> = codes.iter().map(u32::to_string).collect();
                channels.push(format!("EventCode={}", list.join(", ")));
            }
            let mut other: Vec<String> = other.into_values().collect();
            other.sort_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
            channels.extend(other);
            let channels_total = channels.len();
            channels.truncate(CHANNELS_SHOWN);
            let collected_on = model
                .telemetry
                .iter()
                .filter(|t| {
                    t.log_source
                        .as_deref()
                        .is_some_and(|l| l.eq_ignore_ascii_case(name))
                })
                .flat_map(|t| t.assets.iter())
                .filter(|a| assets.contains(a))
                .cloned()
                .collect::<BTreeSet<String>>()
                .into_iter()
                .collect();
            let opt = LogSourceOption {
                name: name.to_string(),
                channels,
                channels_total,
                collected_on,
            };
            (n, opt)
        })
        .collect();
    out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.name.cmp(&b.1.name)));
    out.into_iter().map(|(_, o)| o).collect()
}

/// The event codes of a channel written `EventCode=4624, 4625` or
/// `EventCode=4778, EventCode=4779` (empty otherwise).
fn event_codes(channel: &str) -> Vec<u32> {
    let Some(rest) = channel.strip_prefix("EventCode=") else {
        return Vec::new();
    };
    let codes: Vec<Option<u32>> = rest
        .split(',')
        .map(|c| {
            let c = c.trim();
            c.strip_prefix("EventCode=")
                .unwrap_or(c)
                .trim()
                .parse()
                .ok()
        })
        .collect();
    if codes.iter().any(Option::is_none) {
        return Vec::new();
    }
    codes.into_iter().flatten().collect()
}
