//! The executive page (issue 16, point 3): plan.md and plan.html open with one page for
//! leadership — targets with met / on track / at risk and their dates, the trend from a
//! history file, the three investments that move the most, the accepted and transferred
//! risks with owners and expiry — and plan.html prints it on its own A4 page.

mod common;

use common::InlineModel;
use threatc::analysis::Analysis;
use threatc::emit::plan::executive::{executive, Executive};
use threatc::emit::trend::{TrendFigures, TrendPoint};

/// Five techniques of actor x (one detected), one of actor y (detected), on Windows;
/// assessed 2026-11-15; P1/P2/P3 due 30/60/90 days later (by 2027-02-13 at the latest).
const MODEL: &str = r#"threatc: 1
model:
  name: ex
  title: Example bank
  assessed: 2026-11-15
actors:
  - id: x
    name: Crew X
    techniques: [T1059.001, T1189, T1105, T1078, T1566.001]
  - id: y
    name: Crew Y
    techniques: [T1059.001]
assets:
  - id: ws
    platforms: [Windows]
rules:
  - id: PS-1
    techniques: [T1059.001]
targets:
  - id: met-one
    actors: [y]
    coverage: 100%
    by: 2027-01-01
  - id: soon
    actors: [x]
    coverage: 80%
    by: 2027-06-30
  - id: tight
    actors: [x]
    coverage: 80%
    by: 2027-01-10
  - id: late
    actors: [x]
    coverage: 60%
    by: 2026-10-01
  - id: undated
    actors: [x]
    coverage: 50%
decisions:
  - technique: T1189
    decision: accept
    owner: ciso
    reason: browser isolation
    expiry: 2027-04-01
  - technique: T1105
    decision: transfer
    owner: head-of-it
    reason: proxy provider
    expiry: 2026-11-01
"#;

fn analysis() -> Analysis {
    InlineModel::new(&[("model.yaml", MODEL)]).analysis()
}

/// A history of two built revisions `days` apart, one more technique detected at the end.
fn history(a: &Analysis, first: &str, last: &str) -> Vec<TrendPoint> {
    let now = TrendFigures::of(a);
    let mut before = now.clone();
    before.covered = now.covered - 1;
    before.coverage = now.coverage / 2.0;
    let point = |date: &str, f: TrendFigures| TrendPoint {
        commit: format!("{:0<40}", date.replace('-', "")),
        date: date.into(),
        subject: "model change".into(),
        outcome: Ok(f),
    };
    vec![
        point(first, before),
        TrendPoint {
            outcome: Err("yaml-syntax".into()),
            ..point("2026-10-01", now.clone())
        },
        point(last, now),
    ]
}

fn status<'a>(x: &'a Executive, id: &str) -> (&'a str, Option<&'a str>, &'a str) {
    let t = x.targets.iter().find(|t| t.id == id).unwrap();
    (t.status, t.by.as_deref(), t.why.as_str())
}

#[test]
fn targets_are_met_on_track_or_at_risk_with_their_dates() {
    let a = analysis();
    let x = executive(&a, None);
    assert_eq!(x.as_of.as_deref(), Some("2026-11-15"));
    assert_eq!(x.targets.len(), 5);
    assert_eq!(status(&x, "met-one").0, "met");
    assert_eq!(status(&x, "met-one").1, Some("2027-01-01"));
    // No history: judged by the plan's due dates. Every gap is due by 2027-02-13, so a
    // target of June is on track, one of 10 January is not.
    let (st, by, why) = status(&x, "soon");
    assert_eq!((st, by), ("on-track", Some("2027-06-30")));
    assert!(why.contains("no history"), "{why}");
    let (st, _, why) = status(&x, "tight");
    assert_eq!(st, "at-risk");
    assert!(why.contains("not due by 2027-01-10"), "{why}");
    // A date before the assessment has passed; no date cannot be judged.
    let (st, _, why) = status(&x, "late");
    assert_eq!(st, "at-risk");
    assert!(why.contains("the date has passed"), "{why}");
    assert_eq!(status(&x, "undated").0, "not-met");
    assert_eq!(status(&x, "undated").1, None);
    // Accepted gaps are no target's gap to close: the gaps to go leave out T1189.
    let soon = a.targets.iter().find(|t| t.id == "soon").unwrap();
    assert!(!soon.to_close.iter().any(|t| t == "T1189"));
}

#[test]
fn with_a_history_the_pace_decides() {
    let a = analysis();
    // One technique in 30 days: about 7.5 by 30 June, enough for the 3 to go.
    let quick = history(&a, "2026-09-01", "2026-10-01");
    let x = executive(&a, Some(&quick));
    let (st, _, why) = status(&x, "soon");
    assert_eq!(st, "on-track", "{why}");
    assert!(why.contains("recently 0.2 more detected a week"), "{why}");
    // One in 300 days: under one by then.
    let slow = history(&a, "2025-12-01", "2026-09-27");
    let x = executive(&a, Some(&slow));
    let (st, _, why) = status(&x, "soon");
    assert_eq!(st, "at-risk", "{why}");
    let t = x.trend.as_ref().unwrap();
    assert_eq!((t.revisions, t.failed), (3, 1));
    assert_eq!(
        (t.from.as_str(), t.to.as_str()),
        ("2025-12-01", "2026-09-27")
    );
    assert_eq!(t.covered_last, t.covered_first + 1);
    assert!(t.sparkline.starts_with("<svg") && t.sparkline.contains("<polyline"));
    // The met target stays met whatever the pace.
    assert_eq!(status(&x, "met-one").0, "met");
}

#[test]
fn risks_list_owners_and_expiry_and_the_expired_ones() {
    let a = analysis();
    let x = executive(&a, None);
    let risks: Vec<(&str, &str, &str, &str, bool)> = x
        .risks
        .iter()
        .map(|r| {
            (
                r.technique.as_str(),
                r.decision,
                r.owner.as_str(),
                r.expiry.as_str(),
                r.expired,
            )
        })
        .collect();
    assert_eq!(
        risks,
        [
            ("T1189", "accept", "ciso", "2027-04-01", false),
            ("T1105", "transfer", "head-of-it", "2026-11-01", true),
        ]
    );
    assert_eq!(x.risks_more, 0);
    assert_eq!(x.headline.accepted, 1);
    assert_eq!(x.headline.transferred, 0);
    assert_eq!(x.headline.urgent_due.as_deref(), Some("2026-12-15"));
}

fn render(a: &Analysis, history: Option<&[TrendPoint]>) -> (String, String) {
    let files =
        threatc::emit::plan::render_plan_with_history(a, InlineModel::catalog(), None, history)
            .unwrap();
    let get = |n: &str| {
        let (_, b) = files.iter().find(|(name, _)| name == n).unwrap();
        String::from_utf8(b.clone()).unwrap()
    };
    (get("plan.md"), get("plan.html"))
}

#[test]
fn plan_md_and_html_open_with_the_page() {
    let a = analysis();
    let (md, html) = render(&a, None);
    // plan.md: the page comes before the summary, with each of its parts.
    let (page, rest) = md.split_once("## Summary").unwrap();
    assert!(page.contains("## For leadership: where we stand"));
    assert!(page.contains("As of 2026-11-15, we detect **"));
    assert!(page.contains("| soon | detect 80.0% of the techniques Crew X use | 20.0% | 2027-06-30 | **on track**"), "{page}");
    assert!(page.contains("| late | detect 60.0% of the techniques Crew X use | 20.0% | 2026-10-01 | **at risk**: "), "{page}");
    assert!(
        page.contains(
            "| undated | detect 50.0% of the techniques Crew X use | 20.0% | no date | **not met**"
        ),
        "{page}"
    );
    assert!(page.contains("**Trend**: no history given."));
    assert!(
        page.contains("| Drive-by Compromise (T1189) | accepted | ciso | 2027-04-01 |"),
        "{page}"
    );
    assert!(
        page.contains("| head-of-it | 2026-11-01 (expired: back on the to-do list) |"),
        "{page}"
    );
    assert!(!rest.contains("For leadership"));
    // Its investments are the first rows of the investments table.
    let x = executive(&a, None);
    assert!(!x.investments.is_empty() && x.investments.len() <= 3);
    // Rows to collect together are one investment (here the first rows complete an
    // analytic only together): named together, their gaps and share summed.
    assert!(
        !a.investments[0].with.is_empty(),
        "the first investment is a set"
    );
    assert_eq!(x.investments[0].rank, 1);
    assert!(
        x.investments[0].what.contains(" and "),
        "{:?}",
        x.investments[0]
    );
    assert!(x.investments[0].gaps > 0 && x.investments[0].share > 0.0);
    for (i, inv) in x.investments.iter().enumerate() {
        assert!(page.contains(&format!(
            "{}. Collect {} on {}",
            i + 1,
            inv.what,
            inv.platform
        )));
    }
    // plan.html: the section before the summary, printed on A4 with a page break after.
    let exec = html
        .find(r#"<section class="exec" id="executive""#)
        .unwrap();
    let summary = html.find(r#"<h2 id="summary">"#).unwrap();
    assert!(exec < summary);
    assert!(html.contains("@page { size: A4;"));
    assert!(html.contains(".exec { break-after: page;"));
    assert!(html[exec..summary].contains("<span class=\"st st-on-track\">on track</span>"));
    assert!(html[exec..summary].contains("<p>No history given.</p>"));
}

#[test]
fn the_page_shows_the_trend_of_a_history_file() {
    let a = analysis();
    let h = history(&a, "2026-09-01", "2026-10-01");
    let (md, html) = render(&a, Some(&h));
    let page = md.split("## Summary").next().unwrap();
    assert!(
        page.contains("**Trend**: coverage 10.0% on 2026-09-01 → 20.0% on 2026-10-01 (0 → 1 techniques detected: 0.2 more detected a week; 3 revisions, 1 failed to build)."),
        "{page}"
    );
    let exec = html.find(r#"id="executive""#).unwrap();
    let summary = html.find(r#"<h2 id="summary">"#).unwrap();
    assert!(html[exec..summary].contains("<polyline"));
}

#[test]
fn user_text_on_the_page_is_escaped() {
    let evil = MODEL
        .replace("owner: ciso", "owner: \"<b>ciso</b> | x\"")
        .replace("name: Crew X", "name: \"Crew <i>X</i>\"");
    let a = InlineModel::new(&[("model.yaml", &evil)]).analysis();
    let (md, html) = render(&a, None);
    let page = md.split("## Summary").next().unwrap();
    assert!(!page.contains("<b>") && !page.contains("<i>"), "{page}");
    assert!(page.contains(r"\| x"), "{page}");
    let exec = html.find(r#"id="executive""#).unwrap();
    let summary = html.find(r#"<h2 id="summary">"#).unwrap();
    let section = &html[exec..summary];
    assert!(!section.contains("<b>") && !section.contains("<i>"));
    assert!(
        section.contains("&lt;b&gt;ciso&lt;&#x2f;b&gt;")
            || section.contains("&lt;b&gt;ciso&lt;/b&gt;"),
        "{section}"
    );
}

#[test]
fn a_bare_model_gets_a_short_page() {
    // No assessed date, no assets, no target, no decision.
    let bare = r#"threatc: 1
model:
  name: bare
actors:
  - id: x
    techniques: [T1059.001, T1105]
rules:
  - id: PS-1
    techniques: [T1059.001]
"#;
    let a = InlineModel::new(&[("model.yaml", bare)]).analysis();
    let x = executive(&a, None);
    assert!(x.as_of.is_none() && x.targets.is_empty() && x.risks.is_empty());
    assert!(x.headline.urgent_due.is_none());
    let (md, html) = render(&a, None);
    let page = md.split("## Summary").next().unwrap();
    assert!(
        page.contains("\nWe detect **50.0%** of the 2 attack techniques"),
        "{page}"
    );
    assert!(page.contains("**Targets**: none set."));
    assert!(page.contains("**Trend**: no history given."));
    assert!(page.contains("**Accepted and transferred risks**: none."));
    let exec = html.find(r#"id="executive""#).unwrap();
    let summary = html.find(r#"<h2 id="summary">"#).unwrap();
    assert!(html[exec..summary].contains("<p>None set.</p>"));
}

#[test]
fn a_target_only_accepted_gaps_could_meet_is_at_risk() {
    // Crew Y's one other technique is accepted: nothing on the list can meet 100%.
    let m = MODEL.replace(
        "    techniques: [T1059.001]
assets",
        "    techniques: [T1059.001, T1189]
assets",
    );
    let a = InlineModel::new(&[("model.yaml", &m)]).analysis();
    let x = executive(&a, None);
    let (st, _, why) = status(&x, "met-one");
    assert_eq!(st, "at-risk");
    assert_eq!(why, "only accepted or transferred gaps are left");
}
