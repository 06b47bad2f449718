//! Recency (#15, point 2): how recent the evidence is that an actor uses a technique.
//! Each actor's weight in the actors factor is multiplied by `0.5 + 0.5 × 2^(−age/3 years)`,
//! `age` being the days from the latest evidence to `model.assessed`: when ATT&CK recorded
//! the group's (or its software's) use of the technique (the `created` date of the `uses`
//! relationship), or when a campaign using it was last seen.

use super::ActorUse;
use crate::catalog::Catalog;
use crate::date::Date;
use crate::resolve::{ActorKind, Provenance, Resolved};

/// Days after which evidence weighs half of what it can lose (3 years).
pub const RECENCY_HALF_LIFE_DAYS: u32 = 1095;
/// The least an actor's evidence counts: cumulative reporting is still evidence.
pub const RECENCY_FLOOR: f64 = 0.5;

/// The latest evidence of one actor's use of a technique.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct RecencyRef {
    /// Actor id.
    pub actor: String,
    /// The date of the latest evidence (none: undated, counts in full).
    pub date: Option<Date>,
    /// Where it comes from: `group G0046` (relationship recorded), `campaign C0027` (last
    /// seen), `software S0002` (relationship recorded), `local` (the model, counts in full).
    pub source: String,
    /// `0.5 + 0.5 × 2^(−age/1095 days)` (1 for local or undated evidence).
    pub factor: f64,
}

/// The recency factor of evidence dated `date`, at `as_of`.
pub fn recency(date: Option<Date>, as_of: Date) -> f64 {
    let Some(d) = date else { return 1.0 };
    let age = d.days_until(as_of).max(0) as f64;
    RECENCY_FLOOR + (1.0 - RECENCY_FLOOR) * (-age / f64::from(RECENCY_HALF_LIFE_DAYS)).exp2()
}

fn day(s: Option<&str>) -> Option<Date> {
    s.and_then(|s| s.get(..10)).and_then(Date::parse)
}

/// The dated evidence of one provenance of technique `t`, and its label.
fn evidence(
    catalog: &Catalog,
    kind: &ActorKind,
    t: &str,
    p: &Provenance,
) -> (Option<Date>, String) {
    let reported = |uses: &[crate::catalog::TechniqueUse]| {
        day(uses
            .iter()
            .find(|u| u.technique == t)
            .and_then(|u| u.reported.as_deref()))
    };
    match p {
        Provenance::Group { .. } => match kind {
            ActorKind::Group { group_id, .. } => (
                catalog
                    .group(group_id)
                    .and_then(|g| reported(&g.techniques)),
                format!("group {group_id}"),
            ),
            ActorKind::Custom => (None, "local".into()),
        },
        Provenance::Campaign { id, .. } => (
            catalog
                .campaign(id)
                .and_then(|c| day(c.last_seen.as_deref())),
            format!("campaign {id}"),
        ),
        Provenance::Software { id } => (
            catalog.software(id).and_then(|s| reported(&s.techniques)),
            format!("software {id}"),
        ),
        Provenance::Local => (None, "local".into()),
    }
}

/// The actors' weights multiplied by the recency of their evidence (`Σ wₐ × recencyₐ`),
/// and each actor's latest evidence (in the order of `uses`).
pub fn weigh(
    model: &Resolved,
    catalog: &Catalog,
    t: &str,
    uses: &[ActorUse],
) -> (f64, Vec<RecencyRef>) {
    let as_of = model.coverage.tests_as_of;
    let mut total = 0.0;
    let mut refs = Vec::new();
    for u in uses {
        let Some(actor) = model.actors.iter().find(|a| a.id == u.id) else {
            total += u.weight;
            continue;
        };
        let provs = actor.techniques.get(t).map_or(&[][..], Vec::as_slice);
        // Local evidence counts in full; otherwise the latest date (undated: in full).
        let found: Vec<(Option<Date>, String)> = provs
            .iter()
            .map(|p| evidence(catalog, &actor.kind, t, p))
            .collect();
        let best = found
            .iter()
            .find(|(d, s)| d.is_none() && s == "local")
            .or_else(|| {
                found
                    .iter()
                    .filter(|(d, _)| d.is_some())
                    .max_by_key(|(d, _)| *d)
            })
            .or_else(|| found.first())
            .cloned()
            .unwrap_or((None, "local".into()));
        let factor = recency(best.0, as_of);
        total += u.weight * factor;
        refs.push(RecencyRef {
            actor: u.id.clone(),
            date: best.0,
            source: best.1,
            factor: super::r4(factor),
        });
    }
    (total, refs)
}

/// "fin7 group G0046 2020-10-12 (0.6); insider local (1)".
pub fn recency_text(refs: &[RecencyRef]) -> String {
    refs.iter()
        .map(|r| {
            let date = r.date.map(|d| format!(" {d}")).unwrap_or_default();
            format!(
                "{} {}{date} ({})",
                r.actor,
                r.source,
                crate::emit::fmt_num(r.factor)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
