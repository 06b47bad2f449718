//! The "Decisions" section of the coverage diff's Markdown comment: risk decisions
//! (`decisions:`) added, changed, expired or removed between base and head
//! ([`crate::diff::decision_changes`]). Absent when a side does not record decisions or
//! nothing changed.

use crate::diff::{CoverageDiff, DecisionChange, DecisionSide};
use crate::escape::pr_comment_text as md_cell;

/// Rows shown before the list is folded in `<details>`.
const FOLD_AFTER: usize = 10;

fn or_dash(s: Option<&str>) -> String {
    match s {
        Some(x) if !x.is_empty() => md_cell(x),
        _ => "—".into(),
    }
}

/// A decision's kind with its mitigations: `mitigate M1032, M1026`.
fn kind(s: &DecisionSide) -> String {
    if s.mitigations.is_empty() {
        md_cell(&s.decision)
    } else {
        md_cell(&format!("{} {}", s.decision, s.mitigations.join(", ")))
    }
}

/// One cell: the head's value, `before → after` when it changed.
fn cell(c: &DecisionChange, field: &str, get: impl Fn(&DecisionSide) -> String) -> String {
    match (&c.before, &c.after) {
        (Some(b), Some(h)) if c.fields.contains(&field) => format!("{} → {}", get(b), get(h)),
        (_, Some(h)) => get(h),
        (Some(b), None) => get(b),
        (None, None) => "—".into(),
    }
}

fn row(c: &DecisionChange) -> String {
    let expiry = |s: &DecisionSide| {
        let e = or_dash(s.expiry.as_deref());
        if s.expired {
            format!("{e} (expired)")
        } else {
            e
        }
    };
    let change = match c.change {
        "expired" => "expired ⚠️",
        other => other,
    };
    let kind_cell = match (&c.before, &c.after) {
        (Some(b), Some(h))
            if c.fields.contains(&"decision") || c.fields.contains(&"mitigations") =>
        {
            format!("{} → {}", kind(b), kind(h))
        }
        (_, Some(h)) => kind(h),
        (Some(b), None) => kind(b),
        (None, None) => "—".into(),
    };
    format!(
        "| {} | {} | {} | {change} | {kind_cell} | {} | {} |",
        md_cell(&c.technique),
        md_cell(&c.name),
        if c.assets.is_empty() {
            "all".to_string()
        } else {
            md_cell(&c.assets.join(", "))
        },
        cell(c, "owner", |s| or_dash(s.owner.as_deref())),
        cell(c, "expiry", expiry),
    )
}

/// Appends the section (nothing when there is no change to show).
pub fn section(out: &mut String, d: &CoverageDiff) {
    let Some(changes) = d.decisions.as_ref().filter(|v| !v.is_empty()) else {
        return;
    };
    out.push_str(&format!("\n### Decisions ({})\n\n", changes.len()));
    let fold = changes.len() > FOLD_AFTER;
    if fold {
        out.push_str(&format!(
            "<details><summary>{} rows</summary>\n\n",
            changes.len()
        ));
    }
    out.push_str("| technique | name | assets | change | decision | owner | expiry |\n|---|---|---|---|---|---|---|\n");
    for c in changes {
        out.push_str(&row(c));
        out.push('\n');
    }
    if fold {
        out.push_str("\n</details>\n");
    }
}
