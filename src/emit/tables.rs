//! The gap table as CSV, JSON and Markdown, and gap_pairs.csv: one row per (technique,
//! asset) the gap is on.

use crate::analysis::{Analysis, Gap};

/// Escapes text for a Markdown table cell: pipes, HTML, Markdown punctuation, line
/// breaks, bidi controls (see [`crate::escape::markdown_text`]).
pub fn md_cell(s: &str) -> String {
    crate::escape::markdown_text(s)
}

fn actors_text(g: &Gap) -> String {
    g.actors
        .iter()
        .map(|a| format!("{} ({})", a.id, super::fmt_num(a.weight)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `; +N more` when the partial-coverage list was cut at [`crate::analysis::PARTIAL_SHOWN`].
pub fn partial_more(g: &Gap) -> String {
    match g.partial_total.saturating_sub(g.partial.len()) {
        0 => String::new(),
        n => format!("; +{n} more"),
    }
}

/// A rule's title, then its id in parentheses (the key, a UUID for Sigma) unless they are
/// the same.
fn titled(r: &crate::analysis::RuleRef) -> String {
    if r.name.is_empty() || r.name == r.id {
        r.id.clone()
    } else {
        format!("{} ({})", r.name, r.id)
    }
}

/// gaps.md's partial coverage: `Title (id) [status on T…]`, `; +N more` when cut.
fn partial_text(g: &Gap) -> String {
    let listed: Vec<String> = g
        .partial
        .iter()
        .map(|r| format!("{} [{} on {}]", titled(r), r.status.as_str(), r.via))
        .collect();
    listed.join("; ") + &partial_more(g)
}

/// gaps.csv's partial coverage, by title (`Title [status on T…]`, `; +N more` when cut); the
/// ids are in the next column.
fn partial_names(g: &Gap) -> String {
    let listed: Vec<String> = g
        .partial
        .iter()
        .map(|r| {
            let name = if r.name.is_empty() { &r.id } else { &r.name };
            format!("{name} [{} on {}]", r.status.as_str(), r.via)
        })
        .collect();
    listed.join("; ") + &partial_more(g)
}

/// gaps.csv's partial-coverage rule ids, in the order of the names.
fn partial_ids(g: &Gap) -> String {
    let ids: Vec<&str> = g.partial.iter().map(|r| r.id.as_str()).collect();
    ids.join(";")
}

/// How a gap's technique stands on one of its assets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetMark<'a> {
    /// Asset id.
    pub asset: &'a str,
    /// Its state there on the ladder: `blind`, `unknown`, `visible`, `detected` or
    /// `validated`.
    pub state: &'static str,
    /// The gap is there (below detected).
    pub lacking: bool,
}

/// The gap's assets, in model order, with the state of its technique on each (from
/// `Gap.states`; an asset without a state there reads as covered or not from
/// `covered_on`).
pub fn asset_marks(g: &Gap) -> Vec<AssetMark<'_>> {
    g.assets
        .iter()
        .map(|a| {
            let state = g.states.iter().find(|s| &s.asset == a).map(|s| s.state);
            let covered = state.map_or_else(|| g.covered_on.contains(a), |s| s.is_detected());
            let fallback = if covered { "detected" } else { "unknown" };
            AssetMark {
                asset: a,
                state: state.map_or(fallback, |s| s.as_str()),
                lacking: !covered,
            }
        })
        .collect()
}

/// Where a gap is, in words: the assets it is validated and detected on, then those it is
/// not, grouped by state (highest first, the state after each group): `detected on
/// workstations, domain-controllers; not on swift-servers (visible)`, `not on a, b
/// (visible), c (blind)`. `not on …` alone when detected nowhere; empty without assets.
/// Plain text: each output escapes it for where it lands.
pub fn where_text(g: &Gap) -> String {
    let marks = asset_marks(g);
    let mut parts = Vec::new();
    for state in ["validated", "detected"] {
        let on: Vec<&str> = marks
            .iter()
            .filter(|m| m.state == state)
            .map(|m| m.asset)
            .collect();
        if !on.is_empty() {
            parts.push(format!("{state} on {}", on.join(", ")));
        }
    }
    // The assets it is not detected on, grouped by state, highest first, each group's
    // state after it: `not on a, b (visible), c (blind)`.
    let not: Vec<String> = ["visible", "unknown", "blind"]
        .iter()
        .filter_map(|state| {
            let on: Vec<&str> = marks
                .iter()
                .filter(|m| m.lacking && m.state == *state)
                .map(|m| m.asset)
                .collect();
            (!on.is_empty()).then(|| format!("{} ({state})", on.join(", ")))
        })
        .collect();
    if !not.is_empty() {
        parts.push(format!("not on {}", not.join(", ")));
    }
    parts.join("; ")
}

/// Column names of gaps.csv before the per-asset columns (`asset:<id>`, one per asset
/// of the model, in model order).
pub const CSV_COLUMNS: &[&str] = &[
    "rank",
    "technique",
    "name",
    "tactics",
    "actors",
    "assets",
    "score",
    "actor_factor",
    "criticality_factor",
    "prevalence_factor",
    "groups_using",
    "choke_point_factor",
    "ctid_id",
    "actionability_factor",
    "kill_chain_factor",
    "tier",
    "due",
    "partial_coverage",
    "partial_coverage_ids",
    "effort",
    "approach",
    "owner",
    "decision",
    "decision_owner",
    "decision_expiry",
    "decision_expired",
    "candidates",
    "covered_on",
    "uncovered_on",
    "intel_factor",
    "intel_from",
    "mitigated_factor",
    "mitigated_by",
    "recency_factor",
    "recency_from",
];

/// gaps.csv's candidate rules: per asset, `asset (N): Title <path>` for the best ones
/// (`, needs X` when the asset lacks what it reads), `; ` between rules and ` | ` between
/// assets; empty without `candidates:`.
pub fn candidates_text(g: &Gap) -> String {
    let per_asset: Vec<String> = g
        .candidates
        .iter()
        .filter(|c| c.total > 0)
        .map(|c| {
            let rules: Vec<String> = c
                .best
                .iter()
                .map(|r| {
                    let needs = if r.needs.is_empty() {
                        String::new()
                    } else {
                        format!(", needs {}", r.needs.join(" + "))
                    };
                    format!("{} <{}>{needs}", r.title, r.path)
                })
                .collect();
            let asset = c.asset.as_deref().unwrap_or("all");
            format!("{asset} ({}): {}", c.total, rules.join("; "))
        })
        .collect();
    per_asset.join(" | ")
}

/// The decision columns of a gap (gaps.csv, plan.xlsx): its decision's kind (with the
/// mitigations of a `mitigate`: `mitigate M1032 M1026`), owner, expiry, and `true` when it
/// has expired; empty without a decision.
pub fn decision_columns(g: &Gap) -> [String; 4] {
    let Some(d) = &g.decision else {
        return Default::default();
    };
    let mut kind = d.decision.as_str().to_string();
    for m in &d.mitigations {
        kind.push(' ');
        kind.push_str(m);
    }
    [
        kind,
        d.owner.clone().unwrap_or_default(),
        d.expiry.map(|e| e.to_string()).unwrap_or_default(),
        if d.expired {
            "true".into()
        } else {
            String::new()
        },
    ]
}

/// Columns of gaps.csv after [`CSV_COLUMNS`] when the model sets `plan.capacity`: the
/// gap's effort in points, where it comes from, the month the schedule does it in and
/// the investment ranks it waits for.
pub const SCHEDULE_COLUMNS: &[&str] = &["effort_points", "effort_basis", "month", "after"];

/// A gap's cells of [`SCHEDULE_COLUMNS`].
fn schedule_cells(g: &Gap) -> [String; 4] {
    let s = &g.schedule;
    let after: Vec<String> = s.after.iter().map(usize::to_string).collect();
    [
        s.effort_points.map(super::fmt_num).unwrap_or_default(),
        s.effort_basis
            .map(|b| b.as_str().to_string())
            .unwrap_or_default(),
        s.month.clone().unwrap_or_default(),
        after.join(";"),
    ]
}

/// A note's effort as written: `low`, `medium`, `high` or its points; empty without.
pub fn note_effort(n: &crate::resolve::TechniqueNote) -> String {
    match (n.effort, n.points) {
        (Some(e), _) => format!("{e:?}").to_lowercase(),
        (None, Some(p)) => super::fmt_num(p),
        (None, None) => String::new(),
    }
}

/// gaps.csv's per-asset column of asset `id`.
pub fn asset_column(id: &str) -> String {
    format!("asset:{id}")
}

/// gaps.csv (RFC 4180, `\n` line ends).
pub fn gaps_csv(a: &Analysis) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let assets: Vec<&str> = a.assets.iter().map(|x| x.id.as_str()).collect();
    let scheduled = a.schedule.is_some();
    let sched_cols: &[&str] = if scheduled { SCHEDULE_COLUMNS } else { &[] };
    let header = CSV_COLUMNS
        .iter()
        .chain(sched_cols)
        .map(|c| c.to_string())
        .chain(assets.iter().map(|id| asset_column(id)));
    let _ = w.write_record(header.map(|c| csv_safe(&c)));
    for g in a.gaps.iter() {
        let note = g.note.as_ref();
        let decision_cells = decision_columns(g);
        let marks = asset_marks(g);
        // Per asset of the model: the technique's state there, empty where it does not
        // apply.
        let per_asset = assets.iter().map(|id| {
            marks
                .iter()
                .find(|m| m.asset == *id)
                .map(|m| m.state.to_string())
                .unwrap_or_default()
        });
        let row = [
            g.rank.to_string(),
            g.technique.clone(),
            g.name.clone(),
            g.tactics.join(";"),
            actors_text(g),
            g.assets.join(";"),
            super::fmt_num(g.score),
            super::fmt_num(g.factors.actors),
            super::fmt_num(g.factors.criticality),
            super::fmt_num(g.factors.prevalence),
            g.factors.groups_using.to_string(),
            super::fmt_num(g.factors.choke_point),
            g.factors.ctid.clone().unwrap_or_default(),
            super::fmt_num(g.factors.actionability),
            super::fmt_num(g.factors.kill_chain),
            g.tier.as_str().to_string(),
            g.due.map(|d| d.to_string()).unwrap_or_default(),
            partial_names(g),
            partial_ids(g),
            note.map(note_effort).unwrap_or_default(),
            note.and_then(|n| n.approach.clone()).unwrap_or_default(),
            note.and_then(|n| n.owner.clone()).unwrap_or_default(),
            decision_cells[0].clone(),
            decision_cells[1].clone(),
            decision_cells[2].clone(),
            decision_cells[3].clone(),
            candidates_text(g),
            g.covered_on.join(";"),
            g.uncovered_on.join(";"),
            super::fmt_num(g.factors.intel),
            crate::analysis::own_factors::intel_text(&g.factors.intel_from),
            super::fmt_num(g.factors.mitigated),
            crate::analysis::own_factors::mitigated_text(&g.factors.mitigated_by),
            super::fmt_num(g.factors.recency),
            crate::analysis::recency::recency_text(&g.factors.recency_from),
        ];
        // Cells a spreadsheet would run as a formula (= + - @ tab CR, unless a plain
        // number) get a leading `'`.
        let sched = scheduled.then(|| schedule_cells(g)).into_iter().flatten();
        let row: Vec<String> = row
            .into_iter()
            .chain(sched)
            .chain(per_asset)
            .map(|c| csv_safe(&c))
            .collect();
        let _ = w.write_record(&row);
    }
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Column names of gap_pairs.csv.
pub const PAIR_COLUMNS: &[&str] = &[
    "rank",
    "technique",
    "name",
    "tier",
    "score",
    "due",
    "asset",
    "asset_name",
    "criticality",
    "state",
];

/// gap_pairs.csv: one row per (gap, asset it is on), in gap rank then model order of the
/// assets, so that a spreadsheet filtered on one asset lists that asset's gaps. A gap of
/// a model without assets is one row with an empty asset.
pub fn gap_pairs_csv(a: &Analysis) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = w.write_record(PAIR_COLUMNS);
    for g in a.gaps.iter() {
        for (asset, state) in gap_pairs(g) {
            let info = a.assets.iter().find(|x| x.id == asset);
            let row = [
                g.rank.to_string(),
                g.technique.clone(),
                g.name.clone(),
                g.tier.as_str().to_string(),
                super::fmt_num(g.score),
                g.due.map(|d| d.to_string()).unwrap_or_default(),
                asset.to_string(),
                info.map(|x| x.name.clone()).unwrap_or_default(),
                info.map(|x| criticality_name(x.criticality).to_string())
                    .unwrap_or_default(),
                state.to_string(),
            ];
            let row: Vec<String> = row.into_iter().map(|c| csv_safe(&c)).collect();
            let _ = w.write_record(&row);
        }
    }
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// A criticality as the model writes it (`low` … `critical`).
pub fn criticality_name(c: crate::resolve::Criticality) -> &'static str {
    use crate::resolve::Criticality;
    match c {
        Criticality::Low => "low",
        Criticality::Medium => "medium",
        Criticality::High => "high",
        Criticality::Critical => "critical",
    }
}

/// The (asset, state) pairs a gap is on: its assets where it is below detected, in model
/// order; one pair with an empty asset and state when the model has no assets.
pub fn gap_pairs(g: &Gap) -> Vec<(&str, &'static str)> {
    if g.assets.is_empty() {
        return vec![("", "")];
    }
    asset_marks(g)
        .into_iter()
        .filter(|m| m.lacking)
        .map(|m| (m.asset, m.state))
        .collect()
}

/// Prefixes a cell that a spreadsheet would run as a formula (see
/// [`crate::escape::csv_cell`]).
pub fn csv_safe(s: &str) -> String {
    crate::escape::csv_cell(s).into_owned()
}

/// gaps.json.
pub fn gaps_json(a: &Analysis) -> String {
    /// The document, serialized straight from the analysis (no JSON tree in between).
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        model: &'a str,
        attack: String,
        gaps: &'a [crate::analysis::Gap],
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        accepted: &'a [crate::analysis::Gap],
    }
    let doc = Doc {
        model: &a.model.name,
        attack: format!("{} {}", a.attack.domain, a.attack.release),
        gaps: &a.gaps,
        accepted: &a.accepted,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// gaps.md.
pub fn gaps_md(a: &Analysis) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "# Detection gaps: {}\n\n",
        md_cell(&a.model.title)
    ));
    s.push_str(&format!(
        "ATT&CK {} {} · {} gaps of {} in-scope techniques · coverage {} (weighted {})\n\n",
        a.attack.domain,
        a.attack.release,
        a.summary.gaps,
        a.summary.in_scope,
        super::pct(a.summary.coverage),
        super::pct(a.summary.weighted_coverage)
    ));
    if a.gaps.is_empty() {
        s.push_str("No gaps: every in-scope technique is covered.\n");
        s.push_str(&accepted_md(a));
        return s;
    }
    s.push_str("| # | Technique | Name | Tactics | Actors | Assets | Score | Factors (actors · criticality · prevalence · choke point · actionability · kill chain) | Intel · mitigated | Tier | Due | Partial coverage | Notes |\n");
    s.push_str("|---:|---|---|---|---|---|---:|---|---|---|---|---|---|\n");
    for g in a.gaps.iter() {
        let note = g
            .note
            .as_ref()
            .map(|n| {
                let mut parts = Vec::new();
                if n.effort.is_some() || n.points.is_some() {
                    parts.push(format!("effort {}", note_effort(n)));
                }
                if let Some(ap) = &n.approach {
                    parts.push(ap.clone());
                }
                if let Some(o) = &n.owner {
                    parts.push(format!("owner {o}"));
                }
                parts.join("; ")
            })
            .into_iter()
            .chain(g.decision.as_ref().map(decision_text))
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        s.push_str(&format!(
            "| {} | [{}](https://attack.mitre.org/techniques/{}/) | {} | {} | {} | {} | {} | {} · {} · {} · {} · {} · {} | {} | {} | {} | {} | {} |\n",
            g.rank,
            g.technique,
            g.technique.replace('.', "/"),
            md_cell(&g.name),
            md_cell(&g.tactics.join(", ")),
            md_cell(&actors_text(g)),
            md_cell(&where_text(g)),
            super::fmt_num(g.score),
            super::fmt_num(g.factors.actors),
            super::fmt_num(g.factors.criticality),
            super::fmt_num(g.factors.prevalence),
            super::fmt_num(g.factors.choke_point),
            super::fmt_num(g.factors.actionability),
            super::fmt_num(g.factors.kill_chain),
            md_cell(&own_factors_text(g)),
            g.tier.as_str(),
            g.due.map(|d| d.to_string()).unwrap_or_default(),
            md_cell(&partial_text(g)),
            md_cell(&note),
        ));
    }
    s.push_str(&accepted_md(a));
    s
}

/// gaps.md's intel and mitigation cell: `intel 0.87 (incident 2026-10-02) · mitigated
/// 0.5 by M1026 on swift-servers`; empty when neither applies.
pub fn own_factors_text(g: &Gap) -> String {
    let f = &g.factors;
    let mut parts = Vec::new();
    if !f.intel_from.is_empty() {
        let from: Vec<String> = f
            .intel_from
            .iter()
            .map(|i| format!("{} {}", i.source, i.date))
            .collect();
        parts.push(format!(
            "intel {} ({})",
            super::fmt_num(f.intel),
            from.join("; ")
        ));
    }
    if !f.mitigated_by.is_empty() {
        let by: Vec<String> = f
            .mitigated_by
            .iter()
            .map(|m| {
                if m.assets.is_empty() {
                    m.id.clone()
                } else {
                    format!("{} on {}", m.id, m.assets.join(", "))
                }
            })
            .collect();
        parts.push(format!(
            "mitigated {} by {}",
            super::fmt_num(f.mitigated),
            by.join("; ")
        ));
    }
    parts.join(" · ")
}

/// A decision in a few words: `accept (expired 2026-01-31)`, `mitigate M1053, M1040`.
pub fn decision_text(d: &crate::resolve::Decision) -> String {
    let mut t = format!("decision: {}", d.decision.as_str());
    if !d.mitigations.is_empty() {
        t.push_str(&format!(" {}", d.mitigations.join(", ")));
    }
    if !d.assets.is_empty() {
        t.push_str(&format!(" on {}", d.assets.join(", ")));
    }
    if d.expired {
        if let Some(e) = d.expiry {
            t.push_str(&format!(" (expired {e})"));
        }
    }
    t
}

/// gaps.md's "Accepted and transferred risks" (nothing without any).
pub fn accepted_md(a: &Analysis) -> String {
    if a.accepted.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "\n## Accepted and transferred risks\n\n{} accepted, {} transferred: not covered, off the to-do list while the decision holds.\n\n",
        a.summary.accepted, a.summary.transferred
    );
    s.push_str("| Technique | Name | Assets | Decision | Owner | Approver | Reason | Date | Expiry | Score |\n");
    s.push_str("|---|---|---|---|---|---|---|---|---|---:|\n");
    for g in &a.accepted {
        let Some(d) = &g.decision else { continue };
        let assets = if d.assets.is_empty() {
            &g.assets
        } else {
            &d.assets
        };
        s.push_str(&format!(
            "| [{}](https://attack.mitre.org/techniques/{}/) | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            g.technique,
            g.technique.replace('.', "/"),
            md_cell(&g.name),
            md_cell(&assets.join(", ")),
            d.decision.as_str(),
            md_cell(d.owner.as_deref().unwrap_or("")),
            md_cell(d.approver.as_deref().unwrap_or("")),
            md_cell(d.reason.as_deref().unwrap_or("")),
            d.date.map(|x| x.to_string()).unwrap_or_default(),
            d.expiry.map(|x| x.to_string()).unwrap_or_default(),
            super::fmt_num(g.score),
        ));
    }
    s
}
