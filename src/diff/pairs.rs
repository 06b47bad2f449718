//! Per-(technique, asset) state changes: where a threat technique moved on the ladder
//! (`crate::analysis::State`) on one asset between base and head. Only techniques and
//! assets present on both sides are compared; a side without `states` (a report.json
//! older than the ladder) contributes no pair, so such a diff shows no pair change.

use super::input::{DiffInput, InTechnique};
use crate::analysis::State;
use serde::Serialize;
use std::collections::BTreeMap;

/// One (technique, asset) pair whose state changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PairChange {
    /// Technique id.
    pub technique: String,
    /// Technique name (head's).
    pub name: String,
    /// Asset id.
    pub asset: String,
    /// State on the base side.
    pub before: State,
    /// State on the head side.
    pub after: State,
}

impl PairChange {
    /// The pair stopped counting as covered (detected or validated → lower).
    pub fn lost(&self) -> bool {
        self.before.is_detected() && !self.after.is_detected()
    }
    /// The pair started counting as covered.
    pub fn gained(&self) -> bool {
        !self.before.is_detected() && self.after.is_detected()
    }
}

/// A state name of report.json; anything else (a hand-written report) is no state.
fn parse(s: &str) -> Option<State> {
    State::ALL.into_iter().find(|st| st.as_str() == s)
}

/// Asset → state of one technique row (the first row of an id wins, the first entry of
/// an asset wins: a hand-written report may repeat them).
fn states(t: &InTechnique) -> BTreeMap<&str, State> {
    let mut m = BTreeMap::new();
    for s in &t.states {
        if let Some(st) = parse(&s.state) {
            m.entry(s.asset.as_str()).or_insert(st);
        }
    }
    m
}

fn rows(side: &DiffInput) -> BTreeMap<&str, &InTechnique> {
    let mut m = BTreeMap::new();
    for t in &side.techniques {
        m.entry(t.id.as_str()).or_insert(t);
    }
    m
}

/// Every pair present on both sides whose state differs, sorted by technique id, then
/// asset id.
pub fn pair_changes(base: &DiffInput, head: &DiffInput) -> Vec<PairChange> {
    let before = rows(base);
    let mut out = Vec::new();
    for (id, h) in rows(head) {
        let Some(b) = before.get(id) else {
            continue;
        };
        let bs = states(b);
        for (asset, after) in states(h) {
            match bs.get(asset) {
                Some(&before) if before != after => out.push(PairChange {
                    technique: id.to_string(),
                    name: if h.name.is_empty() {
                        b.name.clone()
                    } else {
                        h.name.clone()
                    },
                    asset: asset.to_string(),
                    before,
                    after,
                }),
                _ => {}
            }
        }
    }
    out
}
