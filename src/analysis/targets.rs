//! Where each target stands: the share of its actors' in-scope techniques covered
//! (weighted by the target's actors when `weighted`), met or not, and the smallest set
//! of gaps whose closing meets it (the heaviest first, then by priority score).

use super::{r4, wshare, Gap, TargetStatus, TechniqueRow};
use crate::resolve::{Resolved, Target};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

/// The status of every target, in model order.
pub(super) fn statuses(model: &Resolved, rows: &[TechniqueRow], gaps: &[Gap]) -> Vec<TargetStatus> {
    let row_of: HashMap<&str, &TechniqueRow> = rows.iter().map(|r| (r.id.as_str(), r)).collect();
    let gap_score: HashMap<&str, f64> = gaps
        .iter()
        .map(|g| (g.technique.as_str(), g.score))
        .collect();
    model
        .targets
        .iter()
        .map(|t| status(model, t, &row_of, &gap_score))
        .collect()
}

fn status(
    model: &Resolved,
    t: &Target,
    row_of: &HashMap<&str, &TechniqueRow>,
    gap_score: &HashMap<&str, f64>,
) -> TargetStatus {
    let set: BTreeSet<&str> = model
        .actors
        .iter()
        .filter(|a| t.actors.contains(&a.id))
        .flat_map(|a| a.techniques.keys().map(String::as_str))
        .collect();
    let weight_in = |r: &TechniqueRow| -> f64 {
        if t.weighted {
            r.actors
                .iter()
                .filter(|u| t.actors.contains(&u.id))
                .map(|u| u.weight)
                .sum()
        } else {
            1.0
        }
    };
    let scoped: Vec<&TechniqueRow> = set
        .iter()
        .filter_map(|id| row_of.get(id).copied())
        .filter(|r| r.in_scope)
        .collect();
    let total: f64 = scoped.iter().map(|r| weight_in(r)).sum();
    let mut have: f64 = scoped
        .iter()
        .filter(|r| r.covered)
        .map(|r| weight_in(r))
        .sum();
    let covered = scoped.iter().filter(|r| r.covered).count();
    let current = wshare(have, total);
    let met = total > 0.0 && have / total + 1e-9 >= t.share || total == 0.0 && t.share <= 0.0;
    let mut open: Vec<&TechniqueRow> = scoped.iter().copied().filter(|r| !r.covered).collect();
    open.sort_by(|a, b| {
        weight_in(b)
            .partial_cmp(&weight_in(a))
            .unwrap_or(Ordering::Equal)
            .then(
                gap_score
                    .get(b.id.as_str())
                    .partial_cmp(&gap_score.get(a.id.as_str()))
                    .unwrap_or(Ordering::Equal),
            )
            .then(a.id.cmp(&b.id))
    });
    let mut to_close = Vec::new();
    if !met && total > 0.0 {
        for r in open {
            if have / total + 1e-9 >= t.share {
                break;
            }
            have += weight_in(r);
            to_close.push(r.id.clone());
        }
    }
    TargetStatus {
        id: t.id.clone(),
        actors: t.actors.clone(),
        required: r4(t.share),
        current,
        weighted: t.weighted,
        met,
        by: t.by,
        in_scope: scoped.len(),
        covered,
        to_close,
    }
}
