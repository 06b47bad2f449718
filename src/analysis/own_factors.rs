//! The organisation's own priority factors (#15, point 2): its intelligence (`intel:`),
//! which raises a gap with a half-life, and the mitigations in place (`mitigations:`),
//! which lower a gap's residual risk on the assets they are in place on. Neither is
//! coverage: they change scores, never what is detected.

use super::priority::criticality_value;
use crate::catalog::Catalog;
use crate::date::Date;
use crate::resolve::Resolved;

/// An `intel:` entry that raises a gap, with its weight today.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct IntelRef {
    /// When it was seen.
    pub date: Date,
    /// Where it comes from (`incident`, `red-team`, `threat-intel`… or free text).
    pub source: String,
    /// A ticket, report or link.
    pub reference: Option<String>,
    /// Days from `date` to `model.assessed` (0 when after).
    pub age_days: i64,
    /// `2^(−age / plan.intel_half_life)`, 0–1.
    pub weight: f64,
}

/// A mitigation in place on some of the assets a gap is on.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct MitigatedBy {
    /// ATT&CK mitigation id (M1026).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The assets of the gap it is in place on (empty in a model without assets).
    pub assets: Vec<String>,
}

/// The weight of an intel entry seen on `date`, `as_of` days later, with half-life
/// `half_life` days: `2^(−age/half_life)`, 1 when seen on or after `as_of`.
pub fn intel_weight(date: Date, as_of: Date, half_life: u32) -> (i64, f64) {
    let age = date.days_until(as_of).max(0);
    let h = f64::from(half_life.max(1));
    (age, (-(age as f64) / h).exp2())
}

/// The intel factor of technique `id` on the assets `on` (0–1): the noisy-or of the
/// weights of its entries that concern one of those assets, `1 − Π(1 − weightᵢ)`; and
/// those entries, newest first.
pub fn intel(model: &Resolved, id: &str, on: &[String]) -> (f64, Vec<IntelRef>) {
    let as_of = model.coverage.tests_as_of;
    let mut refs: Vec<IntelRef> = model
        .intel
        .iter()
        .filter(|e| e.technique == id)
        .filter(|e| e.assets.is_empty() || on.is_empty() || e.assets.iter().any(|a| on.contains(a)))
        .map(|e| {
            let (age_days, weight) = intel_weight(e.date, as_of, model.plan.intel_half_life);
            IntelRef {
                date: e.date,
                source: e.source.clone(),
                reference: e.reference.clone(),
                age_days,
                weight: super::r4(weight),
            }
        })
        .collect();
    refs.sort_by(|a, b| {
        b.date
            .cmp(&a.date)
            .then(a.source.cmp(&b.source))
            .then(a.reference.cmp(&b.reference))
    });
    let miss: f64 = refs
        .iter()
        .map(|r| 1.0 - intel_weight(r.date, as_of, model.plan.intel_half_life).1)
        .product();
    (1.0 - miss, refs)
}

/// The mitigated factor of technique `id` on the assets `on` (0–1): the criticality-
/// weighted share of those assets on which a mitigation in place mitigates it (the
/// catalog's `mitigates` relationships); in a model without assets, 1 when one does.
/// And those mitigations, by id.
pub fn mitigated(
    model: &Resolved,
    catalog: &Catalog,
    id: &str,
    on: &[String],
) -> (f64, Vec<MitigatedBy>) {
    let Some(t) = catalog.technique(id) else {
        return (0.0, Vec::new());
    };
    let mut by: Vec<MitigatedBy> = Vec::new();
    for m in &model.mitigations {
        if !t.mitigations.iter().any(|x| x.id == m.id) {
            continue;
        }
        let assets: Vec<String> = on.iter().filter(|a| m.on(a)).cloned().collect();
        if !on.is_empty() && assets.is_empty() {
            continue;
        }
        match by.iter_mut().find(|b| b.id == m.id) {
            Some(b) => {
                b.assets.extend(assets);
                b.assets.sort();
                b.assets.dedup();
            }
            None => by.push(MitigatedBy {
                id: m.id.clone(),
                name: m.name.clone(),
                assets,
            }),
        }
    }
    by.sort_by(|a, b| a.id.cmp(&b.id));
    if by.is_empty() {
        return (0.0, by);
    }
    if on.is_empty() || model.assets.is_empty() {
        return (1.0, by);
    }
    let crit = |a: &String| {
        model
            .assets
            .iter()
            .find(|x| &x.id == a)
            .map(|x| criticality_value(x.criticality))
            .unwrap_or(0.0)
    };
    let total: f64 = on.iter().map(crit).sum();
    let covered: f64 = on
        .iter()
        .filter(|a| by.iter().any(|b| b.assets.contains(a)))
        .map(crit)
        .sum();
    let share = if total > 0.0 { covered / total } else { 0.0 };
    (share, by)
}

/// "M1026 Privileged Account Management on swift-servers, domain-controllers; …".
pub fn mitigated_text(by: &[MitigatedBy]) -> String {
    by.iter()
        .map(|b| {
            if b.assets.is_empty() {
                format!("{} {}", b.id, b.name)
            } else {
                format!("{} {} on {}", b.id, b.name, b.assets.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// "incident 2026-10-02 (INC-1234), weight 0.87; …".
pub fn intel_text(refs: &[IntelRef]) -> String {
    refs.iter()
        .map(|r| {
            let reference = r
                .reference
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default();
            format!(
                "{} {}{reference}, weight {}",
                r.source,
                r.date,
                crate::emit::fmt_num(r.weight)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
