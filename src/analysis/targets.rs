//! Where each target stands: the share of its actors' in-scope techniques covered
//! (weighted by the target's actors when `weighted`) — or, for a target with `assets:`
//! or `state:`, the share of those techniques' (technique, asset) pairs on its assets at
//! or above its state — met or not, and the smallest set of techniques whose closing
//! meets it (the heaviest first, then by priority score).

use super::{r4, wshare, Gap, State, TargetStatus, TechniqueRow};
use crate::resolve::{Resolved, Target};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

/// The status of every target, in model order. The gaps a decision accepts or transfers
/// (`accepted`) are never among a target's gaps to close: the plan will not close them.
pub(super) fn statuses(
    model: &Resolved,
    rows: &[TechniqueRow],
    gaps: &[Gap],
    accepted: &[Gap],
) -> Vec<TargetStatus> {
    let row_of: HashMap<&str, &TechniqueRow> = rows.iter().map(|r| (r.id.as_str(), r)).collect();
    let gap_score: HashMap<&str, f64> = gaps
        .iter()
        .map(|g| (g.technique.as_str(), g.score))
        .collect();
    let decided: BTreeSet<&str> = accepted.iter().map(|g| g.technique.as_str()).collect();
    model
        .targets
        .iter()
        .map(|t| status(model, t, &row_of, &gap_score, &decided))
        .collect()
}

/// What a target measures on one technique: the weight it could have and has.
struct Unit<'r> {
    row: &'r TechniqueRow,
    total: f64,
    have: f64,
    /// Pairs (or 1, measured on techniques) and of those met.
    n: usize,
    met: usize,
}

/// A technique's unit: on techniques, covered or not; on pairs, its pairs on the
/// target's assets at or above the target's state.
fn unit<'r>(t: &Target, r: &'r TechniqueRow, weight: f64) -> Unit<'r> {
    match t.state {
        None => {
            let met = usize::from(r.covered);
            Unit {
                row: r,
                total: weight,
                have: weight * met as f64,
                n: 1,
                met,
            }
        }
        Some(least) => {
            let on: Vec<State> = r
                .states
                .iter()
                .filter(|s| t.assets.is_empty() || t.assets.contains(&s.asset))
                .map(|s| s.state)
                .collect();
            let met = on.iter().filter(|s| **s >= least).count();
            Unit {
                row: r,
                total: weight * on.len() as f64,
                have: weight * met as f64,
                n: on.len(),
                met,
            }
        }
    }
}

fn status(
    model: &Resolved,
    t: &Target,
    row_of: &HashMap<&str, &TechniqueRow>,
    gap_score: &HashMap<&str, f64>,
    decided: &BTreeSet<&str>,
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
    let units: Vec<Unit<'_>> = set
        .iter()
        .filter_map(|id| row_of.get(id).copied())
        .filter(|r| r.in_scope)
        .map(|r| unit(t, r, weight_in(r)))
        .filter(|u| u.n > 0)
        .collect();
    let total: f64 = units.iter().map(|u| u.total).sum();
    let mut have: f64 = units.iter().map(|u| u.have).sum();
    let current = wshare(have, total);
    let met = total > 0.0 && have / total + 1e-9 >= t.share || total == 0.0 && t.share <= 0.0;
    let mut open: Vec<&Unit<'_>> = units
        .iter()
        .filter(|u| u.met < u.n && !decided.contains(u.row.id.as_str()))
        .collect();
    let missing = |u: &Unit<'_>| u.total - u.have;
    open.sort_by(|a, b| {
        missing(b)
            .partial_cmp(&missing(a))
            .unwrap_or(Ordering::Equal)
            .then(
                gap_score
                    .get(b.row.id.as_str())
                    .partial_cmp(&gap_score.get(a.row.id.as_str()))
                    .unwrap_or(Ordering::Equal),
            )
            .then(a.row.id.cmp(&b.row.id))
    });
    let mut to_close = Vec::new();
    if !met && total > 0.0 {
        for u in open {
            if have / total + 1e-9 >= t.share {
                break;
            }
            have += missing(u);
            to_close.push(u.row.id.clone());
        }
    }
    TargetStatus {
        id: t.id.clone(),
        actors: t.actors.clone(),
        required: r4(t.share),
        current,
        weighted: t.weighted,
        assets: t.assets.clone(),
        state: t.state,
        met,
        by: t.by,
        in_scope: units.iter().map(|u| u.n).sum(),
        covered: units.iter().map(|u| u.met).sum(),
        to_close,
    }
}
