//! plan.xlsx: the sheets Summary, Targets, Gaps, Gap pairs, Assets, Actors,
//! Investments and Priority factors, Candidates when the model names candidate libraries,
//! Decisions when it has decisions, and Schedule when it sets `plan.capacity`.

use super::technique_url;
use super::workbook::{Sheet, Workbook};
use crate::analysis::{Analysis, Gap, Tier};
use crate::diag::{Code, Diagnostic};
use crate::emit::tables;

/// plan.xlsx: sheets Summary, Targets, Gaps, Gap pairs, Assets, Actors, Investments
/// (the first two are what a reader opens it for). Dates are Excel dates with a `yyyy-mm-dd` format, so
/// they sort and filter as dates. Deterministic: the creation time is the
/// model's assessed date (2000-01-01 without one, or when Excel cannot hold it).
pub fn plan_xlsx(a: &Analysis) -> Result<Vec<u8>, Diagnostic> {
    let mut wb = Workbook::new(&a.model.title, a.model.assessed);
    let mut sheets: Vec<(&'static str, Fill)> = vec![
        ("Summary", summary_sheet),
        ("Targets", targets_sheet),
        ("Gaps", gaps_sheet),
        ("Gap pairs", gap_pairs_sheet),
        ("Assets", assets_sheet),
        ("Actors", actors_sheet),
        ("Investments", investments_sheet),
        ("Priority factors", factors_sheet),
    ];
    if !a.candidate_imports.is_empty() {
        sheets.push(("Candidates", candidates_sheet));
    }
    if !a.decisions.is_empty() {
        sheets.push(("Decisions", decisions_sheet));
    }
    if a.schedule.is_some() {
        sheets.push(("Schedule", schedule_sheet));
    }
    for (name, fill) in sheets {
        let mut sheet = Sheet::new(name);
        fill(&mut sheet, a);
        wb.push(sheet);
    }
    wb.save()
        .map_err(|e| Diagnostic::error(Code::OutputError, format!("cannot render plan.xlsx: {e}")))
}

/// Writes one sheet's cells.
type Fill = for<'a> fn(&mut Sheet<'a>, &'a Analysis);

/// The header row, in bold.
fn header(ws: &mut Sheet<'_>, cols: &[&str]) {
    for (c, h) in cols.iter().enumerate() {
        ws.write_bold(0, c as u16, h.to_string());
    }
}

/// Summary: the model, the ATT&CK release, coverage, weighted coverage and the gaps by
/// tier, one labelled row each.
fn summary_sheet<'a>(ws: &mut Sheet<'a>, a: &'a Analysis) {
    header(ws, &["item", "value"]);
    let text_rows = [
        ("model", a.model.name.as_str()),
        ("title", a.model.title.as_str()),
        ("attack_domain", a.attack.domain.as_str()),
        ("attack_release", a.attack.release.as_str()),
    ];
    let mut r = 1u32;
    for (k, v) in text_rows {
        ws.write_string(r, 0, k);
        ws.write_string(r, 1, v);
        r += 1;
    }
    ws.write_string(r, 0, "assessed");
    ws.write_date(r, 1, a.model.assessed);
    r += 1;
    ws.write_string(r, 0, "coverage");
    ws.write_percent(r, 1, a.summary.coverage);
    r += 1;
    ws.write_string(r, 0, "weighted_coverage");
    ws.write_percent(r, 1, a.summary.weighted_coverage);
    r += 1;
    let counts = [
        ("in_scope", a.summary.in_scope),
        ("covered", a.summary.covered),
        ("gaps", a.summary.gaps),
    ];
    for (k, n) in counts {
        ws.write_string(r, 0, k);
        ws.write_number(r, 1, n as f64);
        r += 1;
    }
    for t in [Tier::P1, Tier::P2, Tier::P3] {
        let n = a.gaps.iter().filter(|g| g.tier == t).count();
        ws.write_string(r, 0, format!("gaps_{}", t.as_str()));
        ws.write_number(r, 1, n as f64);
        r += 1;
    }
    ws.set_column_width(0, 20);
    ws.set_column_width(1, 40);
}

/// Targets: each coverage target's required share, the share reached, whether it is
/// met and its due date.
fn targets_sheet<'a>(ws: &mut Sheet<'a>, a: &'a Analysis) {
    let cols = [
        "target", "share", "reached", "met", "due", "measure", "actors", "to_close",
    ];
    header(ws, &cols);
    for (i, t) in a.targets.iter().enumerate() {
        let r = (i + 1) as u32;
        ws.write_string(r, 0, &t.id);
        ws.write_percent(r, 1, t.required);
        ws.write_percent(r, 2, t.current);
        ws.write_boolean(r, 3, t.met);
        ws.write_date(r, 4, t.by);
        ws.write_string(r, 5, if t.weighted { "weighted" } else { "techniques" });
        ws.write_string(r, 6, t.actors.join("; "));
        ws.write_string(r, 7, t.to_close.join("; "));
    }
    ws.set_column_width(4, 12);
    ws.freeze_header_row();
}

/// Gaps: one row per gap in rank order, with the plan notes, where it is covered and
/// where not, and one column per asset (`asset:<id>`: the technique's state there on the
/// ladder, empty where it does not apply); filterable, header frozen.
fn gaps_sheet<'a>(ws: &mut Sheet<'a>, a: &'a Analysis) {
    let mut fixed = vec![
        "rank",
        "technique",
        "name",
        "tactics",
        "actors",
        "assets",
        "score",
        "tier",
        "due",
        "effort",
        "approach",
        "owner",
        "ticket",
        "url",
        "covered_on",
        "uncovered_on",
        "decision",
        "decision_owner",
        "decision_expiry",
        "decision_expired",
    ];
    if a.schedule.is_some() {
        fixed.extend(SCHEDULE_COLUMNS);
    }
    let assets: Vec<&str> = a.assets.iter().map(|x| x.id.as_str()).collect();
    let names: Vec<String> = fixed
        .iter()
        .map(|c| c.to_string())
        .chain(assets.iter().map(|id| tables::asset_column(id)))
        .collect();
    let cols: Vec<&str> = names.iter().map(String::as_str).collect();
    header(ws, &cols);
    for (i, g) in a.gaps.iter().enumerate() {
        let r = (i + 1) as u32;
        gap_row(ws, r, g);
        ws.write_string(r, 14, g.covered_on.join("; "));
        ws.write_string(r, 15, g.uncovered_on.join("; "));
        let [kind, owner, _, expired] = tables::decision_columns(g);
        ws.write_string(r, 16, kind);
        ws.write_string(r, 17, owner);
        ws.write_date(r, 18, g.decision.as_ref().and_then(|d| d.expiry));
        ws.write_string(r, 19, expired);
        if a.schedule.is_some() {
            gap_schedule_cells(ws, r, 20, g);
        }
        let marks = tables::asset_marks(g);
        for (j, id) in assets.iter().enumerate() {
            if let Some(m) = marks.iter().find(|m| m.asset == *id) {
                ws.write_string(r, (fixed.len() + j) as u16, m.state);
            }
        }
    }
    ws.set_column_width(2, 48);
    ws.set_column_width(8, 12);
    ws.freeze_header_row();
    if !a.gaps.is_empty() {
        ws.autofilter(a.gaps.len() as u32, (cols.len() - 1) as u16);
    }
}

fn gap_row<'a>(ws: &mut Sheet<'a>, r: u32, g: &'a Gap) {
    let note = g.note.as_ref();
    ws.write_number(r, 0, g.rank as f64);
    ws.write_string(r, 1, &g.technique);
    ws.write_string(r, 2, &g.name);
    ws.write_string(r, 3, g.tactics.join("; "));
    let actors: Vec<&str> = g.actors.iter().map(|x| x.id.as_str()).collect();
    ws.write_string(r, 4, actors.join("; "));
    ws.write_string(r, 5, g.assets.join("; "));
    ws.write_number(r, 6, g.score);
    ws.write_string(r, 7, g.tier.as_str());
    ws.write_date(r, 8, g.due);
    let effort = note.map(tables::note_effort).unwrap_or_default();
    ws.write_string(r, 9, effort);
    let approach = note.and_then(|n| n.approach.as_deref());
    ws.write_string(r, 10, approach.unwrap_or_default());
    let owner = note.and_then(|n| n.owner.as_deref());
    ws.write_string(r, 11, owner.unwrap_or_default());
    let ticket = note.and_then(|n| n.ticket.as_deref());
    ws.write_string(r, 12, ticket.unwrap_or_default());
    ws.write_string(r, 13, technique_url(&g.technique));
}

/// Gap pairs: one row per (gap, asset it is on), as gap_pairs.csv, so that a filter on
/// one asset lists its gaps.
fn gap_pairs_sheet<'a>(ws: &mut Sheet<'a>, a: &'a Analysis) {
    let cols = tables::PAIR_COLUMNS;
    header(ws, cols);
    let mut r = 0u32;
    for g in a.gaps.iter() {
        for (asset, state) in tables::gap_pairs(g) {
            r += 1;
            let info = a.assets.iter().find(|x| x.id == asset);
            ws.write_number(r, 0, g.rank as f64);
            ws.write_string(r, 1, &g.technique);
            ws.write_string(r, 2, &g.name);
            ws.write_string(r, 3, g.tier.as_str());
            ws.write_number(r, 4, g.score);
            ws.write_date(r, 5, g.due);
            ws.write_string(r, 6, asset);
            let name = info.map(|x| x.name.as_str()).unwrap_or_default();
            ws.write_string(r, 7, name);
            let crit = info.map(|x| tables::criticality_name(x.criticality));
            ws.write_string(r, 8, crit.unwrap_or_default());
            ws.write_string(r, 9, state);
        }
    }
    ws.set_column_width(2, 48);
    ws.set_column_width(5, 12);
    ws.freeze_header_row();
    if r > 0 {
        ws.autofilter(r, (cols.len() - 1) as u16);
    }
}

/// Assets: per asset of the model, its criticality, platforms, the threat techniques
/// that apply to it, how many are covered there, the gaps on it, and its techniques per
/// state of the ladder.
fn assets_sheet<'a>(ws: &mut Sheet<'a>, a: &'a Analysis) {
    let cols = [
        "asset",
        "name",
        "criticality",
        "platforms",
        "in_scope",
        "covered",
        "coverage",
        "weighted_coverage",
        "gaps",
        "gaps_P1",
        "telemetry_declared",
        "blind",
        "unknown",
        "visible",
        "detected",
        "validated",
    ];
    header(ws, &cols);
    for (i, x) in a.assets.iter().enumerate() {
        let r = (i + 1) as u32;
        let on_it = a
            .gaps
            .iter()
            .filter(|g| tables::gap_pairs(g).iter().any(|(asset, _)| *asset == x.id));
        let p1 = on_it.clone().filter(|g| g.tier == Tier::P1).count();
        ws.write_string(r, 0, &x.id);
        ws.write_string(r, 1, &x.name);
        ws.write_string(r, 2, tables::criticality_name(x.criticality));
        ws.write_string(r, 3, x.platforms.join("; "));
        ws.write_number(r, 4, x.in_scope as f64);
        ws.write_number(r, 5, x.covered as f64);
        ws.write_percent(r, 6, x.coverage);
        ws.write_percent(r, 7, x.weighted_coverage);
        ws.write_number(r, 8, on_it.count() as f64);
        ws.write_number(r, 9, p1 as f64);
        ws.write_boolean(r, 10, x.collects.is_some());
        for (j, st) in crate::analysis::State::ALL.iter().enumerate() {
            let n = x.by_state.get(st).copied().unwrap_or_default();
            ws.write_number(r, (11 + j) as u16, n as f64);
        }
    }
    ws.set_column_width(1, 36);
    ws.freeze_header_row();
}

/// Actors: weight, technique counts and coverage per actor.
fn actors_sheet<'a>(ws: &mut Sheet<'a>, a: &'a Analysis) {
    let cols = [
        "actor",
        "name",
        "group",
        "weight",
        "techniques",
        "in_scope",
        "covered",
        "coverage",
        "gaps",
    ];
    header(ws, &cols);
    for (i, x) in a.actors.iter().enumerate() {
        let r = (i + 1) as u32;
        ws.write_string(r, 0, &x.id);
        ws.write_string(r, 1, &x.name);
        ws.write_string(r, 2, x.group_id.as_deref().unwrap_or_default());
        ws.write_number(r, 3, x.weight);
        ws.write_number(r, 4, x.techniques as f64);
        ws.write_number(r, 5, x.in_scope as f64);
        ws.write_number(r, 6, x.covered as f64);
        ws.write_number(r, 7, x.coverage);
        ws.write_number(r, 8, x.gaps.len() as f64);
    }
}

/// Investments: the data components to collect on a platform, in greedy rank order
/// (each row counts what it unlocks after the rows above).
fn investments_sheet<'a>(ws: &mut Sheet<'a>, a: &'a Analysis) {
    let cols = [
        "rank",
        "data_component",
        "data_component_name",
        "platform",
        "assets",
        "log_sources",
        "pairs",
        "gaps",
        "gap_score_share",
        "cumulative",
        "with",
        "techniques",
    ];
    let mut cols = cols.to_vec();
    let candidates = a.investments.iter().any(|x| x.candidates.is_some());
    if candidates {
        cols.push("candidates");
    }
    if a.schedule.is_some() {
        cols.extend(["effort_points", "month"]);
    }
    header(ws, &cols);
    for (i, x) in a.investments.iter().enumerate() {
        let r = (i + 1) as u32;
        ws.write_number(r, 0, x.rank as f64);
        ws.write_string(r, 1, &x.data_component);
        ws.write_string(r, 2, &x.data_component_name);
        ws.write_string(r, 3, &x.platform);
        ws.write_string(r, 4, x.assets.join("; "));
        let sources: Vec<String> = x.log_sources.iter().map(log_source_text).collect();
        ws.write_string(r, 5, sources.join("; "));
        ws.write_number(r, 6, x.pairs as f64);
        ws.write_number(r, 7, x.gaps as f64);
        ws.write_number(r, 8, x.weight);
        ws.write_number(r, 9, x.cumulative_weight);
        let with: Vec<String> = x.with.iter().map(usize::to_string).collect();
        ws.write_string(r, 10, with.join("; "));
        let techniques: Vec<&str> = x.techniques.iter().map(|t| t.technique.as_str()).collect();
        ws.write_string(r, 11, techniques.join("; "));
        let mut c = 12;
        if candidates {
            ws.write_number(r, c, x.candidates.unwrap_or(0) as f64);
            c += 1;
        }
        if a.schedule.is_some() {
            if let Some(e) = x.effort_points {
                ws.write_number(r, c, e);
            }
            ws.write_string(r, c + 1, x.month.as_deref().unwrap_or(""));
        }
    }
}

/// Candidates (only when the model names candidate libraries): one row per candidate
/// rule listed for a gap on an asset, gaps by rank, the best first.
fn candidates_sheet<'a>(ws: &mut Sheet<'a>, a: &'a Analysis) {
    let cols = [
        "rank",
        "technique",
        "asset",
        "candidates_on_asset",
        "order",
        "title",
        "path",
        "line",
        "format",
        "via",
        "status",
        "source_status",
        "level",
        "false_positives",
        "telemetry",
        "needs",
        "id",
    ];
    header(ws, &cols);
    let mut r = 1u32;
    for g in a.gaps.iter() {
        for c in &g.candidates {
            for (i, x) in c.best.iter().enumerate() {
                ws.write_number(r, 0, g.rank as f64);
                ws.write_string(r, 1, &g.technique);
                ws.write_string(r, 2, c.asset.as_deref().unwrap_or(""));
                ws.write_number(r, 3, c.total as f64);
                ws.write_number(r, 4, (i + 1) as f64);
                let texts = [
                    (5, x.title.as_str()),
                    (6, x.path.as_str()),
                    (8, x.format.as_str()),
                    (9, x.via.as_str()),
                    (10, x.status.as_str()),
                    (11, x.source_status.as_deref().unwrap_or("")),
                    (12, x.level.as_deref().unwrap_or("")),
                ];
                for (col, t) in texts {
                    ws.write_string(r, col, t);
                }
                if let Some(l) = x.line {
                    ws.write_number(r, 7, f64::from(l));
                }
                ws.write_number(r, 13, x.false_positives as f64);
                ws.write_string(r, 14, x.telemetry.as_str());
                ws.write_string(r, 15, x.needs.join("; "));
                ws.write_string(r, 16, &x.id);
                r += 1;
            }
        }
    }
    ws.set_column_width(5, 50);
    ws.set_column_width(6, 60);
}

/// `WinEventLog:Sysmon (EventCode=1)`: a log source alternative and its channels.
fn log_source_text(o: &crate::analysis::LogSourceOption) -> String {
    let mut channels = o.channels.join(", ");
    if o.channels_total > o.channels.len() {
        channels.push_str(&format!(", +{} more", o.channels_total - o.channels.len()));
    }
    if channels.is_empty() {
        o.name.clone()
    } else {
        format!("{} ({channels})", o.name)
    }
}

/// Decisions: every risk decision of the model (`decisions:`), in model order, with
/// whether it took its gap off the to-do list (`off the list`: an accepted or
/// transferred risk), left it there with the decision shown (`on the list`), or applies
/// to a technique that is no gap (`no gap`).
fn decisions_sheet<'a>(ws: &mut Sheet<'a>, a: &'a Analysis) {
    let cols = [
        "technique",
        "name",
        "assets",
        "decision",
        "mitigations",
        "owner",
        "approver",
        "reason",
        "date",
        "expiry",
        "expired",
        "gap",
    ];
    header(ws, &cols);
    for (i, d) in a.decisions.iter().enumerate() {
        let r = (i + 1) as u32;
        let name = a
            .techniques
            .iter()
            .find(|t| t.id == d.technique)
            .map(|t| t.name.as_str())
            .unwrap_or_default();
        let gap = if a.accepted.iter().any(|g| g.technique == d.technique) {
            "off the list"
        } else if a.gaps.iter().any(|g| g.technique == d.technique) {
            "on the list"
        } else {
            "no gap"
        };
        let texts = [
            (0, d.technique.as_str()),
            (1, name),
            (3, d.decision.as_str()),
            (5, d.owner.as_deref().unwrap_or_default()),
            (6, d.approver.as_deref().unwrap_or_default()),
            (7, d.reason.as_deref().unwrap_or_default()),
            (10, if d.expired { "true" } else { "" }),
            (11, gap),
        ];
        for (c, t) in texts {
            ws.write_string(r, c, t);
        }
        ws.write_string(r, 2, d.assets.join("; "));
        ws.write_string(r, 4, d.mitigations.join("; "));
        ws.write_date(r, 8, d.date);
        ws.write_date(r, 9, d.expiry);
    }
    ws.set_column_width(1, 40);
    ws.set_column_width(7, 48);
    ws.freeze_header_row();
}

/// The Gaps sheet's columns of the schedule (with `plan.capacity`).
const SCHEDULE_COLUMNS: [&str; 4] = ["effort_points", "effort_basis", "month", "after"];

/// A gap's schedule cells from column `c`: effort points, basis, month, the investment
/// ranks it waits for.
fn gap_schedule_cells<'a>(ws: &mut Sheet<'a>, r: u32, c: u16, g: &'a Gap) {
    let s = &g.schedule;
    if let Some(e) = s.effort_points {
        ws.write_number(r, c, e);
    }
    let basis = s.effort_basis.map(|b| b.as_str()).unwrap_or_default();
    ws.write_string(r, c + 1, basis);
    ws.write_string(r, c + 2, s.month.as_deref().unwrap_or_default());
    let after: Vec<String> = s.after.iter().map(usize::to_string).collect();
    ws.write_string(r, c + 3, after.join("; "));
}

/// Schedule (with `plan.capacity`): one row per item of each month, in schedule order,
/// then the items beyond the horizon (no month).
fn schedule_sheet<'a>(ws: &mut Sheet<'a>, a: &'a Analysis) {
    let Some(s) = &a.schedule else {
        return;
    };
    let cols = [
        "month",
        "ends",
        "kind",
        "rank",
        "id",
        "name",
        "tier",
        "effort",
        "points",
        "continued",
        "continues",
        "used",
        "capacity",
    ];
    header(ws, &cols);
    let rows = s
        .months
        .iter()
        .flat_map(|m| m.items.iter().map(move |i| (Some(m), i)))
        .chain(s.beyond.iter().map(|i| (None, i)));
    for (n, (m, i)) in rows.enumerate() {
        let r = (n + 1) as u32;
        if let Some(m) = m {
            ws.write_string(r, 0, &m.month);
            ws.write_date(r, 1, Some(m.ends));
            ws.write_number(r, 11, m.used);
        } else {
            ws.write_string(r, 0, "beyond");
        }
        let kind = match i.kind {
            crate::analysis::schedule::ItemKind::Gap => "gap",
            crate::analysis::schedule::ItemKind::Telemetry => "telemetry",
        };
        ws.write_string(r, 2, kind);
        ws.write_number(r, 3, i.rank as f64);
        ws.write_string(r, 4, &i.id);
        ws.write_string(r, 5, &i.name);
        ws.write_string(r, 6, i.tier.map(Tier::as_str).unwrap_or_default());
        ws.write_number(r, 7, i.effort);
        ws.write_number(r, 8, i.points);
        ws.write_boolean(r, 9, i.continued);
        ws.write_boolean(r, 10, i.continues);
        ws.write_number(r, 12, s.capacity);
    }
    ws.set_column_width(1, 12);
    ws.set_column_width(5, 48);
    ws.freeze_header_row();
}

/// Priority factors: one row per gap in rank order, each factor of its score with its
/// source (CTID rows, ATT&CK analytics and mitigations, the model's `intel:` and
/// `mitigations:`), as gaps.csv.
fn factors_sheet<'a>(ws: &mut Sheet<'a>, a: &'a Analysis) {
    use crate::analysis::own_factors::{intel_text, mitigated_text};
    let cols = [
        "rank",
        "technique",
        "score",
        "tier",
        "actors",
        "criticality",
        "prevalence",
        "prevalence_ctid",
        "choke_point",
        "ctid",
        "actionability",
        "analytics",
        "mitigations",
        "kill_chain",
        "groups_using",
        "intel",
        "intel_from",
        "mitigated",
        "mitigated_by",
        "recency",
        "recency_from",
        "candidate_rules",
    ];
    header(ws, &cols);
    for (i, g) in a.gaps.iter().enumerate() {
        let r = (i + 1) as u32;
        let f = &g.factors;
        let nums: [(u16, f64); 11] = [
            (0, g.rank as f64),
            (2, g.score),
            (4, f.actors),
            (5, f.criticality),
            (6, f.prevalence),
            (8, f.choke_point),
            (10, f.actionability),
            (11, f.analytics as f64),
            (12, f.mitigations as f64),
            (13, f.kill_chain),
            (14, f.groups_using as f64),
        ];
        for (c, x) in nums {
            ws.write_number(r, c, x);
        }
        ws.write_number(r, 15, f.intel);
        ws.write_number(r, 17, f.mitigated);
        ws.write_number(r, 19, f.recency);
        // With `candidates:` only: the candidate rules counted in actionability.
        if let Some(n) = f.candidate_rules {
            ws.write_number(r, 21, n as f64);
        }
        let texts: [(u16, String); 7] = [
            (1, g.technique.clone()),
            (3, g.tier.as_str().to_string()),
            (7, f.prevalence_ctid.clone().unwrap_or_default()),
            (9, f.ctid.clone().unwrap_or_default()),
            (16, intel_text(&f.intel_from)),
            (18, mitigated_text(&f.mitigated_by)),
            (20, crate::analysis::recency::recency_text(&f.recency_from)),
        ];
        for (c, t) in texts {
            ws.write_string(r, c, t);
        }
    }
    ws.freeze_header_row();
    if !a.gaps.is_empty() {
        ws.autofilter(a.gaps.len() as u32, (cols.len() - 1) as u16);
    }
}
