//! Risk decisions applied to the gaps: a holding (unexpired) `accept` or `transfer`
//! moves a gap off the to-do list into the accepted and transferred risks; other
//! decisions (`mitigate`, an expired one) stay on the gap for the tables to show.

use super::Gap;
use crate::model::v1::DecisionKind;
use crate::resolve::{Decision, Resolved};

/// Whether a decision removes the gap: an unexpired accept or transfer on every asset
/// the gap is on (no `assets:`, or all of the gap's assets below detected).
fn removes(d: &Decision, g: &Gap) -> bool {
    matches!(d.decision, DecisionKind::Accept | DecisionKind::Transfer)
        && !d.expired
        && (d.assets.is_empty() || g.uncovered_on.iter().all(|a| d.assets.contains(a)))
}

/// Splits the gaps into the to-do list (re-ranked) and the accepted and transferred
/// risks (in their former rank order). Each gap carries the decision that applies.
pub(super) fn split(model: &Resolved, gaps: Vec<Gap>) -> (Vec<Gap>, Vec<Gap>) {
    let mut todo = Vec::new();
    let mut decided = Vec::new();
    for mut g in gaps {
        let on: Vec<&Decision> = model
            .decisions
            .iter()
            .filter(|d| d.technique == g.technique)
            .collect();
        if let Some(d) = on.iter().find(|d| removes(d, &g)) {
            g.decision = Some((*d).clone());
            decided.push(g);
            continue;
        }
        g.decision = on
            .iter()
            .find(|d| d.decision != DecisionKind::Detect)
            .map(|d| (*d).clone());
        todo.push(g);
    }
    for (i, g) in todo.iter_mut().enumerate() {
        g.rank = i + 1;
    }
    (todo, decided)
}
