//! Risk decisions (`decisions:`) between base and head: added, removed, changed (kind,
//! owner, expiry, mitigations) and newly expired. A decision is keyed by its technique
//! and its assets (sorted); the first of a key on a side wins. A side that does not
//! record decisions (a report.json written before them) makes the comparison
//! meaningless: [`decision_changes`] then returns none, and the diff has no such section.

use super::input::{DiffInput, InDecision};
use serde::Serialize;
use std::collections::BTreeMap;

/// One side of a changed decision: what the reader needs to see.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DecisionSide {
    /// `detect`, `mitigate`, `accept` or `transfer`.
    pub decision: String,
    /// Owner.
    pub owner: Option<String>,
    /// Expiry (`YYYY-MM-DD`).
    pub expiry: Option<String>,
    /// Expired at that side's assessed date.
    pub expired: bool,
    /// Mitigations relied on (`mitigate`).
    pub mitigations: Vec<String>,
}

/// A decision added, removed, changed or expired.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DecisionChange {
    /// Technique id.
    pub technique: String,
    /// Technique name (head's, else base's; empty when neither side has the row).
    pub name: String,
    /// Assets it is decided on (empty: every asset).
    pub assets: Vec<String>,
    /// `expired` (holds on the base side, expired on the head side), `added`,
    /// `changed` or `removed`.
    pub change: &'static str,
    /// Which of `decision`, `owner`, `expiry`, `mitigations` differ (both sides present).
    pub fields: Vec<&'static str>,
    /// Base side (none: added).
    pub before: Option<DecisionSide>,
    /// Head side (none: removed).
    pub after: Option<DecisionSide>,
}

fn side(d: &InDecision) -> DecisionSide {
    DecisionSide {
        decision: d.decision.clone(),
        owner: d.owner.clone(),
        expiry: d.expiry.clone(),
        expired: d.expired,
        mitigations: d.mitigations.clone(),
    }
}

/// A decision's key: technique, then its assets sorted.
fn key(d: &InDecision) -> (String, Vec<String>) {
    let mut assets = d.assets.clone();
    assets.sort();
    assets.dedup();
    (d.technique.clone(), assets)
}

fn keyed(side: &DiffInput) -> BTreeMap<(String, Vec<String>), &InDecision> {
    let mut m = BTreeMap::new();
    for d in &side.decisions {
        m.entry(key(d)).or_insert(d);
    }
    m
}

/// The fields of a decision that differ between the sides.
fn fields(b: &InDecision, h: &InDecision) -> Vec<&'static str> {
    let mut out = Vec::new();
    if b.decision != h.decision {
        out.push("decision");
    }
    if b.owner != h.owner {
        out.push("owner");
    }
    if b.expiry != h.expiry {
        out.push("expiry");
    }
    let (mut bm, mut hm) = (b.mitigations.clone(), h.mitigations.clone());
    bm.sort();
    hm.sort();
    if bm != hm {
        out.push("mitigations");
    }
    out
}

/// Order of the kinds of change in the diff: what needs attention first.
fn order(change: &str) -> u8 {
    match change {
        "expired" => 0,
        "added" => 1,
        "changed" => 2,
        _ => 3,
    }
}

/// The technique's name on the head side, else the base side.
fn name(base: &DiffInput, head: &DiffInput, id: &str) -> String {
    head.techniques
        .iter()
        .chain(base.techniques.iter())
        .find(|t| t.id == id && !t.name.is_empty())
        .map(|t| t.name.clone())
        .unwrap_or_default()
}

/// The decisions added, removed, changed and newly expired between base and head, expired
/// first, then added, changed, removed, each by technique and assets. None when a side
/// does not record decisions (a report.json older than them).
pub fn decision_changes(base: &DiffInput, head: &DiffInput) -> Option<Vec<DecisionChange>> {
    if !base.knows_decisions() || !head.knows_decisions() {
        return None;
    }
    let (b, h) = (keyed(base), keyed(head));
    let mut out = Vec::new();
    let mut push = |k: &(String, Vec<String>), change, fields, before, after| {
        out.push(DecisionChange {
            technique: k.0.clone(),
            name: name(base, head, &k.0),
            assets: k.1.clone(),
            change,
            fields,
            before,
            after,
        });
    };
    for (k, hd) in &h {
        match b.get(k) {
            None => push(k, "added", Vec::new(), None, Some(side(hd))),
            Some(bd) => {
                let f = fields(bd, hd);
                let change = if hd.expired && !bd.expired {
                    "expired"
                } else if !f.is_empty() || bd.expired != hd.expired {
                    "changed"
                } else {
                    continue;
                };
                push(k, change, f, Some(side(bd)), Some(side(hd)));
            }
        }
    }
    for (k, bd) in &b {
        if !h.contains_key(k) {
            push(k, "removed", Vec::new(), Some(side(bd)), None);
        }
    }
    out.sort_by(|x, y| {
        order(x.change)
            .cmp(&order(y.change))
            .then_with(|| x.technique.cmp(&y.technique))
            .then_with(|| x.assets.cmp(&y.assets))
    });
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(t: &str, kind: &str, owner: &str, expiry: &str, expired: bool) -> InDecision {
        InDecision {
            technique: t.into(),
            decision: kind.into(),
            owner: Some(owner.into()),
            expiry: Some(expiry.into()),
            expired,
            ..Default::default()
        }
    }

    fn side_with(ds: Vec<InDecision>) -> DiffInput {
        let mut d = DiffInput::default();
        d.summary.accepted = Some(0);
        d.decisions = ds;
        d
    }

    #[test]
    fn added_changed_expired_removed() {
        let base = side_with(vec![
            dec("T1", "accept", "ciso", "2027-01-01", false),
            dec("T2", "accept", "ciso", "2027-01-01", false),
            dec("T3", "transfer", "it", "2027-01-01", false),
        ]);
        let head = side_with(vec![
            dec("T1", "accept", "ciso", "2027-01-01", true),
            dec("T2", "transfer", "cfo", "2027-01-01", false),
            dec("T4", "accept", "ciso", "2027-01-01", false),
        ]);
        let c = decision_changes(&base, &head).unwrap();
        let got: Vec<(&str, &str, Vec<&str>)> = c
            .iter()
            .map(|x| (x.technique.as_str(), x.change, x.fields.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("T1", "expired", vec![]),
                ("T4", "added", vec![]),
                ("T2", "changed", vec!["decision", "owner"]),
                ("T3", "removed", vec![]),
            ]
        );
    }

    #[test]
    fn an_old_report_has_no_decision_section() {
        let mut base = side_with(Vec::new());
        base.summary.accepted = None;
        let head = side_with(vec![dec("T1", "accept", "ciso", "2027-01-01", false)]);
        assert_eq!(decision_changes(&base, &head), None);
        assert_eq!(decision_changes(&head, &base), None);
    }
}
