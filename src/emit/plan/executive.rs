//! The executive page that opens plan.md and plan.html: one page for leadership with
//! where we stand against each target and by when (met, on track, at risk), the trend
//! (from a history file, when given), the three telemetry investments that move the most,
//! and the accepted and transferred risks with their owners and expiry. Everything here
//! is figures and plain words; the templates lay it out (`executive` in the context).
//!
//! A target's status: `met` when its share is reached; otherwise, with an assessed date
//! and a target date, `at-risk` when the date has passed, else `on-track` or `at-risk`
//! by the pace of the history (techniques covered per week between its first and last
//! built revision, enough to close the target's gaps to close by its date?) or, without
//! a history, by the plan's due dates (all its gaps to close due by its date?). Without
//! either date: `not-met`.

use crate::analysis::{r1, r4, Analysis, TargetStatus};
use crate::date::Date;
use crate::emit::trend::{TrendFigures, TrendPoint};
use crate::model::v1::DecisionKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most targets the page lists (the rest are counted: the summary has them all).
pub const TARGETS_SHOWN: usize = 6;
/// Most accepted, transferred or expired risks the page lists.
pub const RISKS_SHOWN: usize = 6;
/// Investments the page lists.
pub const INVESTMENTS_SHOWN: usize = 3;

/// The executive page's data.
#[derive(Debug, Clone, Serialize)]
pub struct Executive {
    /// The model's assessed date (none: not dated).
    pub as_of: Option<String>,
    /// Headline figures.
    pub headline: Headline,
    /// The first [`TARGETS_SHOWN`] targets, model order.
    pub targets: Vec<ExecTarget>,
    /// Targets not listed.
    pub targets_more: usize,
    /// The trend, from the history file (none: no history given).
    pub trend: Option<ExecTrend>,
    /// The first [`INVESTMENTS_SHOWN`] telemetry investments.
    pub investments: Vec<ExecInvestment>,
    /// Accepted and transferred risks (holding first, then expired ones), at most
    /// [`RISKS_SHOWN`].
    pub risks: Vec<ExecRisk>,
    /// Risks not listed.
    pub risks_more: usize,
}

/// Headline figures.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    /// Share of in-scope threat techniques detected everywhere they apply.
    pub coverage: f64,
    /// Weighted by actor weight.
    pub weighted_coverage: f64,
    /// Detected techniques.
    pub covered: usize,
    /// In-scope threat techniques.
    pub in_scope: usize,
    /// Gaps on the to-do list.
    pub gaps: usize,
    /// Of those, P1.
    pub urgent: usize,
    /// When the last P1 gap is due (none without an assessed date or P1 gap): the P1
    /// due date, or with `plan.capacity` the end of the last P1 gap's month.
    pub urgent_due: Option<String>,
    /// Accepted gaps.
    pub accepted: usize,
    /// Transferred gaps.
    pub transferred: usize,
    /// Targets met, of all.
    pub targets_met: usize,
    /// Targets.
    pub targets: usize,
}

/// One target, in plain words.
#[derive(Debug, Clone, Serialize)]
pub struct ExecTarget {
    /// Target id.
    pub id: String,
    /// What it asks, e.g. `80.0% of the techniques FIN7, APT38 use`.
    pub goal: String,
    /// Current share.
    pub current: f64,
    /// Required share.
    pub required: f64,
    /// By when (none: no date).
    pub by: Option<String>,
    /// `met`, `on-track`, `at-risk` or `not-met` (no date to judge by).
    pub status: &'static str,
    /// The status in words: `met`, `on track`, `at risk`, `not met`.
    pub label: &'static str,
    /// Why, in a sentence (empty when met).
    pub why: String,
}

/// The trend of the history file.
#[derive(Debug, Clone, Serialize)]
pub struct ExecTrend {
    /// A small line chart of coverage (inline SVG, numbers only).
    pub sparkline: String,
    /// Revisions in the file.
    pub revisions: usize,
    /// Of those, failed to build.
    pub failed: usize,
    /// First and last built revision's date.
    pub from: String,
    /// Last.
    pub to: String,
    /// Coverage at the first and last built revision.
    pub first: f64,
    /// Last.
    pub last: f64,
    /// Techniques detected at the first and last built revision.
    pub covered_first: usize,
    /// Last.
    pub covered_last: usize,
    /// Techniques detected per week between them (none: one point, or one day).
    pub per_week: Option<f64>,
    /// That pace in words (empty without one): `2.5 more detected a week`.
    pub pace: String,
}

/// One of the investments that move the most: a row of the investments table, or rows
/// that must be collected together (their names joined: `A, B and C`).
#[derive(Debug, Clone, Serialize)]
pub struct ExecInvestment {
    /// Rank in the investments table (of the first row).
    pub rank: usize,
    /// What to collect (the data components' names).
    pub what: String,
    /// On which platform.
    pub platform: String,
    /// On which assets.
    pub assets: Vec<String>,
    /// The log source most analytics read it from (empty: none named).
    pub source: String,
    /// Gaps it helps close.
    pub gaps: usize,
    /// Its share of the open risk (the gaps' priority scores), 0–1.
    pub share: f64,
    /// With `plan.capacity`: the month (`YYYY-MM`) the schedule onboards it in (the
    /// latest of rows collected together); none without a schedule or beyond its horizon.
    pub month: Option<String>,
}

/// An accepted, transferred or expired risk.
#[derive(Debug, Clone, Serialize)]
pub struct ExecRisk {
    /// Technique id.
    pub technique: String,
    /// Technique name.
    pub name: String,
    /// `accept` or `transfer`.
    pub decision: &'static str,
    /// Owner.
    pub owner: String,
    /// Expiry (empty: none).
    pub expiry: String,
    /// The decision has expired: the gap is back on the to-do list.
    pub expired: bool,
}

/// Plain words for a list: `a`, `a and b`, `a, b and c`.
fn and_list(xs: &[String]) -> String {
    match xs {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// What a target asks, in plain words.
fn goal(a: &Analysis, t: &TargetStatus) -> String {
    let names: Vec<String> = t
        .actors
        .iter()
        .map(|id| {
            a.actors
                .iter()
                .find(|x| &x.id == id)
                .map_or_else(|| id.clone(), |x| x.name.clone())
        })
        .collect();
    let who = if names.is_empty() || names.len() == a.actors.len() {
        "our threat actors".to_string()
    } else {
        and_list(&names)
    };
    let share = crate::emit::pct(t.required);
    let mut s = match t.state {
        None => format!("detect {share} of the techniques {who} use"),
        Some(state) => {
            let on = if t.assets.is_empty() {
                "every system".to_string()
            } else {
                and_list(&t.assets)
            };
            format!(
                "{share} of the techniques {who} use {} on {on}",
                state.as_str()
            )
        }
    };
    if t.weighted {
        s.push_str(", weighted by actor");
    }
    s
}

/// The pace of a history: techniques detected per day between its first and last built
/// revision (none: fewer than two, or all on one day).
fn pace(points: &[TrendPoint]) -> Option<f64> {
    let ok: Vec<(Date, &TrendFigures)> = points
        .iter()
        .filter_map(|p| Some((Date::parse(&p.date)?, p.outcome.as_ref().ok()?)))
        .collect();
    let ((d0, f0), (d1, f1)) = (ok.first()?, ok.last()?);
    let days = d0.days_until(*d1);
    (days > 0).then(|| (f1.covered as f64 - f0.covered as f64) / days as f64)
}

/// A pace in plain words: `2.5 more detected a week`, `none more detected`,
/// `1 fewer detected a week`.
pub fn pace_words(per_week: f64) -> String {
    let w = r1(per_week);
    if w > 0.0 {
        format!("{} more detected a week", crate::emit::fmt_num(w))
    } else if w < 0.0 {
        format!("{} fewer detected a week", crate::emit::fmt_num(-w))
    } else {
        "no more detected".to_string()
    }
}

/// A target's status and why.
fn target(
    a: &Analysis,
    t: &TargetStatus,
    history: Option<&[TrendPoint]>,
) -> (&'static str, &'static str, String) {
    if t.met {
        return ("met", "met", String::new());
    }
    let n = t.to_close.len();
    let togo = format!(
        "{n} {} to go",
        crate::words::plural(n, "technique", "techniques")
    );
    let (Some(asof), Some(by)) = (a.model.assessed, t.by) else {
        return ("not-met", "not met", format!("{togo}; no date set"));
    };
    if n == 0 {
        // Unmet with nothing to close: what is left is accepted or transferred.
        return (
            "at-risk",
            "at risk",
            "only accepted or transferred gaps are left".to_string(),
        );
    }
    let days = asof.days_until(by);
    if days < 0 {
        return ("at-risk", "at risk", format!("{togo}; the date has passed"));
    }
    let weeks = days as f64 / 7.0;
    let need = if weeks > 0.0 {
        n as f64 / weeks
    } else {
        n as f64
    };
    let mut why = format!(
        "{togo} in {} weeks ({} a week needed)",
        crate::emit::fmt_num(r1(weeks)),
        crate::emit::fmt_num(r1(need))
    );
    let on_track = match history.and_then(pace) {
        Some(p) => {
            why.push_str(&format!("; recently {}", pace_words(p * 7.0)));
            p * days as f64 + 1e-9 >= n as f64
        }
        None => {
            let due: BTreeMap<&str, Option<Date>> = a
                .gaps
                .iter()
                .map(|g| (g.technique.as_str(), g.due))
                .collect();
            let late = t
                .to_close
                .iter()
                .filter(|id| {
                    due.get(id.as_str())
                        .copied()
                        .flatten()
                        .is_none_or(|d| d > by)
                })
                .count();
            if late > 0 {
                why.push_str(&format!(
                    "; {late} of them are not due by {by} in this plan"
                ));
            } else {
                why.push_str(
                    "; this plan's due dates close them in time (no history to check the pace)",
                );
            }
            late == 0
        }
    };
    if on_track {
        ("on-track", "on track", why)
    } else {
        ("at-risk", "at risk", why)
    }
}

/// A small line chart of coverage over the built revisions: 160 × 36, numbers only.
fn sparkline(points: &[TrendPoint]) -> String {
    let ys: Vec<f64> = points
        .iter()
        .filter_map(|p| p.outcome.as_ref().ok().map(|f| f.coverage))
        .collect();
    let (w, h, pad) = (160.0, 36.0, 3.0);
    let max = ys.iter().copied().fold(0.0_f64, f64::max).max(0.01);
    let step = if ys.len() > 1 {
        (w - 2.0 * pad) / (ys.len() - 1) as f64
    } else {
        0.0
    };
    let xy: Vec<(f64, f64)> = ys
        .iter()
        .enumerate()
        .map(|(i, y)| {
            (
                r1(pad + step * i as f64),
                r1(h - pad - (h - 2.0 * pad) * y / max),
            )
        })
        .collect();
    let line: Vec<String> = xy.iter().map(|(x, y)| format!("{x},{y}")).collect();
    let last = xy.last().map_or(String::new(), |(x, y)| {
        format!(r##"<circle cx="{x}" cy="{y}" r="2.5" fill="#1a7f3c"/>"##)
    });
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="coverage over {} revisions"><line x1="0" y1="{}" x2="{w}" y2="{}" stroke="#bbb" stroke-width="1"/><polyline points="{}" fill="none" stroke="#1a7f3c" stroke-width="2"/>{last}</svg>"##,
        ys.len(),
        h - pad,
        h - pad,
        line.join(" ")
    )
}

/// The trend of a history file (none without a built revision).
fn trend(points: &[TrendPoint]) -> Option<ExecTrend> {
    let ok: Vec<(&TrendPoint, &TrendFigures)> = points
        .iter()
        .filter_map(|p| p.outcome.as_ref().ok().map(|f| (p, f)))
        .collect();
    let ((p0, f0), (p1, f1)) = (ok.first()?, ok.last()?);
    Some(ExecTrend {
        sparkline: sparkline(points),
        revisions: points.len(),
        failed: points.len() - ok.len(),
        from: p0.date.clone(),
        to: p1.date.clone(),
        first: f0.coverage,
        last: f1.coverage,
        covered_first: f0.covered,
        covered_last: f1.covered,
        per_week: pace(points).map(|p| r1(p * 7.0)),
        pace: pace(points)
            .map(|p| pace_words(p * 7.0))
            .unwrap_or_default(),
    })
}

/// The investments that move the most: the first rows of the greedy ranking, a set of
/// rows that must be collected together (`with`: only the last is credited) as one.
fn investments(a: &Analysis) -> Vec<ExecInvestment> {
    let open: f64 = a.gaps.iter().map(|g| g.score).sum();
    let mut out: Vec<(ExecInvestment, Vec<usize>, Vec<String>, f64)> = Vec::new();
    for i in &a.investments {
        let joins = out
            .last()
            .is_some_and(|(_, with, _, _)| with.contains(&i.rank));
        if !joins {
            if out.len() == INVESTMENTS_SHOWN {
                break;
            }
            let first = ExecInvestment {
                rank: i.rank,
                what: String::new(),
                platform: i.platform.clone(),
                assets: Vec::new(),
                source: i
                    .log_sources
                    .first()
                    .map(|l| l.name.clone())
                    .unwrap_or_default(),
                gaps: 0,
                share: 0.0,
                month: i.month.clone(),
            };
            out.push((first, i.with.clone(), Vec::new(), 0.0));
        }
        if let Some((x, _, names, weight)) = out.last_mut() {
            names.push(i.data_component_name.clone());
            for asset in &i.assets {
                if !x.assets.contains(asset) {
                    x.assets.push(asset.clone());
                }
            }
            if !x.platform.split(" and ").any(|p| p == i.platform) {
                x.platform = format!("{} and {}", x.platform, i.platform);
            }
            x.gaps += i.gaps;
            *weight += i.weight;
            x.month = match (&x.month, &i.month) {
                (Some(m), Some(n)) => Some(m.max(n).clone()),
                _ => None,
            };
        }
    }
    out.into_iter()
        .map(|(mut x, _, names, weight)| {
            x.what = and_list(&names);
            x.share = if open > 0.0 { r4(weight / open) } else { 0.0 };
            x
        })
        .collect()
}

/// Accepted and transferred risks: those off the to-do list, then expired ones.
fn risks(a: &Analysis) -> Vec<ExecRisk> {
    let kind = |k: DecisionKind| match k {
        DecisionKind::Transfer => "transfer",
        _ => "accept",
    };
    let holding = a.accepted.iter().filter_map(|g| {
        let d = g.decision.as_ref()?;
        Some(ExecRisk {
            technique: g.technique.clone(),
            name: g.name.clone(),
            decision: kind(d.decision),
            owner: d.owner.clone().unwrap_or_default(),
            expiry: d.expiry.map(|e| e.to_string()).unwrap_or_default(),
            expired: false,
        })
    });
    let expired = a
        .decisions
        .iter()
        .filter(|d| {
            d.expired && matches!(d.decision, DecisionKind::Accept | DecisionKind::Transfer)
        })
        .map(|d| ExecRisk {
            technique: d.technique.clone(),
            name: a
                .techniques
                .iter()
                .find(|t| t.id == d.technique)
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            decision: kind(d.decision),
            owner: d.owner.clone().unwrap_or_default(),
            expiry: d.expiry.map(|e| e.to_string()).unwrap_or_default(),
            expired: true,
        });
    holding.chain(expired).collect()
}

/// When the last P1 gap is due: assessed + the P1 days, or with `plan.capacity` the
/// end of the month the schedule does the last one in (none without an assessed date,
/// or when one lies beyond the schedule's horizon). Without P1 gaps: assessed + the P1
/// days.
fn urgent_due(a: &Analysis) -> Option<String> {
    let due: Option<Vec<Date>> = a
        .gaps
        .iter()
        .filter(|g| g.tier == crate::analysis::Tier::P1)
        .map(|g| g.due)
        .collect();
    let fixed = a
        .model
        .assessed
        .zip(a.settings.due_days.first())
        .map(|(d, n)| d.add_days(i64::from(*n)));
    match due?.into_iter().max() {
        Some(last) => Some(last.to_string()),
        None => fixed.map(|d| d.to_string()),
    }
}

/// The executive page's data.
pub fn executive(a: &Analysis, history: Option<&[TrendPoint]>) -> Executive {
    let s = &a.summary;
    let urgent_due = urgent_due(a);
    let targets: Vec<ExecTarget> = a
        .targets
        .iter()
        .take(TARGETS_SHOWN)
        .map(|t| {
            let (status, label, why) = target(a, t, history);
            ExecTarget {
                id: t.id.clone(),
                goal: goal(a, t),
                current: t.current,
                required: t.required,
                by: t.by.map(|d| d.to_string()),
                status,
                label,
                why,
            }
        })
        .collect();
    let mut risks = risks(a);
    let risks_more = risks.len().saturating_sub(RISKS_SHOWN);
    risks.truncate(RISKS_SHOWN);
    Executive {
        as_of: a.model.assessed.map(|d| d.to_string()),
        headline: Headline {
            coverage: s.coverage,
            weighted_coverage: s.weighted_coverage,
            covered: s.covered,
            in_scope: s.in_scope,
            gaps: s.gaps,
            urgent: s.gaps_by_tier.get("P1").copied().unwrap_or(0),
            urgent_due,
            accepted: s.accepted,
            transferred: s.transferred,
            targets_met: s.targets_met,
            targets: s.targets,
        },
        targets_more: a.targets.len().saturating_sub(TARGETS_SHOWN),
        targets,
        trend: history.and_then(trend),
        investments: investments(a),
        risks,
        risks_more,
    }
}
