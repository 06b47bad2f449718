//! Rendering of coverage diffs ([`crate::diff`]): the Markdown pull-request comment, the
//! JSON document and the Navigator layer of the difference.

use super::navigator::{self, Layer, PlainEntry};
use super::{fmt_num, pct};
use crate::diff::{Change, CoverageDiff, GapChange, PairChange, TechniqueChange, EPS};
use crate::escape::pr_comment_text as md_cell;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The most characters the Markdown summary may have (GitHub comments allow 65,536).
pub const MD_LIMIT: usize = 60_000;
/// Lists longer than this are folded in `<details>`.
const FOLD_AFTER: usize = 10;
/// The comment shows at most this many (technique, asset) state changes, then `+N more`
/// (coverage-diff.json has them all).
pub const PAIRS_SHOWN: usize = 50;

/// Colour of techniques that gained coverage (a build layer's covered colour).
pub const GAINED_COLOR: &str = navigator::COVERED_COLOR;
/// Colour of techniques that lost coverage (a P1 gap's).
pub const LOST_COLOR: &str = navigator::P1_COLOR;
/// Colour of gaps that appeared (new threat techniques without coverage; a P2 gap's).
pub const NEW_GAP_COLOR: &str = navigator::P2_COLOR;
/// Colour of gaps open on both sides (a P3 gap's).
pub const OPEN_GAP_COLOR: &str = navigator::P3_COLOR;

/// The whole diff as pretty JSON.
pub fn json(d: &CoverageDiff) -> String {
    let mut v = serde_json::to_value(d).unwrap_or_default();
    if let Value::Object(m) = &mut v {
        m.insert("diff_format".into(), json!(1));
        m.insert("regression".into(), json!(d.is_regression()));
    }
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

fn arrow(c: &Change) -> String {
    let d = (c.after - c.before) * 100.0;
    if c.changed() {
        format!(
            "{} → **{}** ({}{:.1} pts)",
            pct(c.before),
            pct(c.after),
            if d > 0.0 { "+" } else { "" },
            d
        )
    } else {
        format!("{} (unchanged)", pct(c.after))
    }
}

fn opt_pct(x: Option<f64>) -> String {
    x.map(pct).unwrap_or_else(|| "—".into())
}

/// A list section: a table header and rows, folded when long.
fn section(out: &mut String, title: &str, header: &str, rows: &[String]) {
    section_of(out, title, header, rows, rows.len());
}

/// A list section of `total` items, of which `rows` are shown.
fn section_of(out: &mut String, title: &str, header: &str, rows: &[String], total: usize) {
    if rows.is_empty() {
        return;
    }
    out.push_str(&format!("\n### {title} ({total})\n\n"));
    let fold = rows.len() > FOLD_AFTER;
    if fold {
        out.push_str(&format!(
            "<details><summary>{} rows</summary>\n\n",
            rows.len()
        ));
    }
    out.push_str(header);
    for r in rows {
        out.push_str(r);
        out.push('\n');
    }
    if fold {
        out.push_str("\n</details>\n");
    }
}

fn ids(v: &[String]) -> String {
    if v.is_empty() {
        "—".into()
    } else {
        v.iter().map(|s| md_cell(s)).collect::<Vec<_>>().join(", ")
    }
}

/// Rules by name (title): a Sigma rule's id is a UUID; the rule table below gives the ids of
/// rules added, removed or changed.
fn names(d: &CoverageDiff, rules: &[String]) -> String {
    let named: Vec<String> = rules.iter().map(|r| d.rule_name(r).to_string()).collect();
    ids(&named)
}

fn code(s: &str) -> String {
    md_cell(s)
}

/// A regression text (README): generated words, with ids quoted in backticks. The
/// quoted ids stay code spans when every one is a plain id; anything else (a backtick
/// or a mention inside an id of a hand-written report.json) is escaped as text.
fn regression_line(r: &str) -> String {
    let parts: Vec<&str> = r.split('`').collect();
    let plain_id = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/'))
    };
    let balanced = parts.len() % 2 == 1;
    if !balanced || !parts.iter().skip(1).step_by(2).all(|p| plain_id(p)) {
        return md_cell(r);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 1 {
                // As before: the id, Markdown-escaped, between backticks.
                format!("`{}`", crate::escape::markdown_text(p))
            } else {
                md_cell(p)
            }
        })
        .collect()
}

/// The Markdown summary for a pull-request comment, at most [`MD_LIMIT`] characters.
pub fn markdown(d: &CoverageDiff) -> String {
    let mut out = String::new();
    heading(&mut out, d);
    summary(&mut out, d);
    section(
        &mut out,
        "Targets",
        "| target | required | coverage | status |\n|---|---|---|---|\n",
        &target_rows(d),
    );
    section(
        &mut out,
        "Actors",
        "| actor | before | after |\n|---|---|---|\n",
        &actor_rows(d),
    );
    section(
        &mut out,
        "Newly uncovered techniques",
        "| technique | name | before | rules that stopped covering it |\n|---|---|---|---|\n",
        &technique_rows(d, &d.newly_uncovered),
    );
    section(
        &mut out,
        "Newly covered techniques",
        "| technique | name | before | rules that started covering it |\n|---|---|---|---|\n",
        &technique_rows(d, &d.newly_covered),
    );
    let gh = "| technique | name | tier | score | actors | why |\n|---|---|---|---|---|---|\n";
    section(&mut out, "Gaps opened", gh, &gap_rows(&d.gaps_opened));
    section(&mut out, "Gaps closed", gh, &gap_rows(&d.gaps_closed));
    section(
        &mut out,
        "Rules",
        "| rule | name | change | status | techniques |\n|---|---|---|---|---|\n",
        &rule_rows(d),
    );
    super::diff_decisions::section(&mut out, d);
    pair_section(&mut out, d);
    release_changes(&mut out, d);
    if nothing_changed(d) {
        out.push_str("\nNo technique, gap or rule changed.\n");
    }
    out.push_str("\n<sub>Generated by threatc diff; the layer `diff-layer.json` shows the change in ATT&amp;CK Navigator.</sub>\n");
    truncate(out)
}

/// The marker, the title and the regression warning.
fn heading(out: &mut String, d: &CoverageDiff) {
    out.push_str("<!-- threatc-diff -->\n");
    out.push_str(&format!(
        "## threatc coverage diff: {}\n\n",
        md_cell(&d.model)
    ));
    if let Some(rev) = &d.no_base {
        out.push_str(&format!(
            "No base: the model is new at `{}`, so everything below is new; the next pull request will compare against it.\n\n",
            crate::escape::markdown_text(rev)
        ));
    }
    if d.is_regression() {
        out.push_str("> [!WARNING]\n> **Coverage regression**\n");
        for r in &d.regressions {
            // The texts quote ids (slugs) in backticks: keep those code spans.
            out.push_str(&format!("> - {}\n", regression_line(r)));
        }
        out.push('\n');
    }
}

/// The before/after table and the two coverage lines.
fn summary(out: &mut String, d: &CoverageDiff) {
    out.push_str("| | before | after |\n|---|---|---|\n");
    out.push_str(&format!(
        "| model version | {} | {} |\n",
        opt_cell(&d.version.0),
        opt_cell(&d.version.1)
    ));
    out.push_str(&format!(
        "| ATT&amp;CK release | {} | {} |\n",
        md_cell(&d.attack.0),
        md_cell(&d.attack.1)
    ));
    out.push_str(&format!(
        "| covered / in scope | {} / {} | {} / {} |\n",
        d.covered.0, d.in_scope.0, d.covered.1, d.in_scope.1
    ));
    out.push_str(&format!("| gaps | {} | {} |\n\n", d.gaps.0, d.gaps.1));
    out.push_str(&format!("**Coverage** {}  \n", arrow(&d.coverage)));
    out.push_str(&format!(
        "**Weighted coverage** {}\n",
        arrow(&d.weighted_coverage)
    ));
}

/// An optional text as a cell, `—` when absent.
fn opt_cell(x: &Option<String>) -> String {
    x.as_deref().map(md_cell).unwrap_or_else(|| "—".into())
}

fn target_rows(d: &CoverageDiff) -> Vec<String> {
    let met = |m: Option<bool>| match m {
        Some(true) => "met",
        Some(false) => "unmet",
        None => "—",
    };
    d.targets
        .iter()
        .map(|t| {
            format!(
                "| {}{} | {} | {} → {} | {} → {} |",
                if t.broke { "⚠️ " } else { "" },
                code(&t.id),
                pct(t.required),
                opt_pct(t.before),
                opt_pct(t.after),
                met(t.met_before),
                if t.broke {
                    "**unmet**"
                } else {
                    met(t.met_after)
                }
            )
        })
        .collect()
}

fn actor_rows(d: &CoverageDiff) -> Vec<String> {
    let cnt = |c: Option<(usize, usize)>| c.map(|(x, y)| format!(" ({x}/{y})")).unwrap_or_default();
    d.actors
        .iter()
        .map(|a| {
            let note = match (a.before, a.after) {
                (None, _) => " (added)",
                (_, None) => " (removed)",
                (Some(b), Some(h)) if h + EPS < b => " ⚠️",
                _ => "",
            };
            format!(
                "| {} ({}){} | {}{} | {}{} |",
                md_cell(&a.name),
                code(&a.id),
                note,
                opt_pct(a.before),
                cnt(a.counts_before),
                opt_pct(a.after),
                cnt(a.counts_after)
            )
        })
        .collect()
}

fn technique_rows(d: &CoverageDiff, v: &[TechniqueChange]) -> Vec<String> {
    v.iter()
        .map(|t| {
            format!(
                "| {} | {} | {} | {} |",
                code(&t.id),
                md_cell(&t.name),
                md_cell(&t.before),
                names(d, &t.rules)
            )
        })
        .collect()
}

fn gap_rows(v: &[GapChange]) -> Vec<String> {
    v.iter()
        .map(|g| {
            format!(
                "| {} | {} | {} | {} | {} | {} |",
                code(&g.technique),
                md_cell(&g.name),
                md_cell(&g.tier),
                fmt_num(g.score),
                ids(&g.actors),
                md_cell(&g.reason)
            )
        })
        .collect()
}

/// Rules added, removed and with a changed status, in that order.
fn rule_rows(d: &CoverageDiff) -> Vec<String> {
    d.rules_added
        .iter()
        .map(|r| ("added", r))
        .chain(d.rules_removed.iter().map(|r| ("removed", r)))
        .chain(d.rules_changed.iter().map(|r| ("status", r)))
        .map(|(k, r)| {
            format!(
                "| {} | {} | {} | {} → {} | {} |",
                code(&r.id),
                md_cell(&r.name),
                k,
                opt_cell(&r.status_before),
                opt_cell(&r.status_after),
                ids(&r.techniques)
            )
        })
        .collect()
}

/// (technique, asset) pairs whose state changed: `unknown → detected ✓` when the pair
/// became covered, `detected → visible ✗` when it stopped; at most [`PAIRS_SHOWN`].
fn pair_section(out: &mut String, d: &CoverageDiff) {
    let total = d.pair_changes.len();
    let mut rows: Vec<String> = d
        .pair_changes
        .iter()
        .take(PAIRS_SHOWN)
        .map(pair_row)
        .collect();
    if total > PAIRS_SHOWN {
        rows.push(format!(
            "| +{} more | | | see `coverage-diff.json` |",
            total - PAIRS_SHOWN
        ));
    }
    section_of(
        out,
        "State changes per asset",
        "| technique | name | asset | state |\n|---|---|---|---|\n",
        &rows,
        total,
    );
}

fn pair_row(p: &PairChange) -> String {
    let mark = if p.gained() {
        " ✓"
    } else if p.lost() {
        " ✗"
    } else {
        ""
    };
    format!(
        "| {} | {} | {} | {} → {}{mark} |",
        code(&p.technique),
        md_cell(&p.name),
        md_cell(&p.asset),
        p.before,
        p.after
    )
}

/// Changes of the ATT&CK data itself (renamed, gone, new), when the release changed.
fn release_changes(out: &mut String, d: &CoverageDiff) {
    let Some(rc) = &d.release else {
        return;
    };
    out.push_str(&format!(
        "\n### ATT&amp;CK release {} → {}\n\nThese changes come from the ATT&amp;CK data, not from the model; they are not counted above.\n",
        md_cell(&rc.before),
        md_cell(&rc.after)
    ));
    let renamed = rc.renamed.iter().map(|(id, a, b)| {
        format!(
            "| {} | renamed | {} → {} |",
            code(id),
            md_cell(a),
            md_cell(b)
        )
    });
    let gone = rc.gone.iter().map(|(id, n, c)| {
        format!(
            "| {} | gone (revoked, deprecated or moved){} | {} |",
            code(id),
            if *c { ", was covered" } else { "" },
            md_cell(n)
        )
    });
    let new = rc.new.iter().map(|(id, n, c)| {
        format!(
            "| {} | new{} | {} |",
            code(id),
            if *c { ", covered" } else { "" },
            md_cell(n)
        )
    });
    // A base technique the head's release revoked, compared with its replacement:
    // `T1070.001 → T1685.005 (revoked in 19.0)`.
    let revoked = rc.revoked.iter().map(|r| {
        format!(
            "| {} → {} | revoked in {}, compared with its replacement | {} |",
            code(&r.id),
            code(&r.by),
            md_cell(&r.release),
            md_cell(&r.name)
        )
    });
    let all: Vec<String> = renamed.chain(revoked).chain(gone).chain(new).collect();
    section(
        out,
        "Release changes",
        "| technique | change | name |\n|---|---|---|\n",
        &all,
    );
}

/// No technique, gap, rule or (technique, asset) state changed (targets, actors and the
/// release may have).
fn nothing_changed(d: &CoverageDiff) -> bool {
    d.newly_covered.is_empty()
        && d.newly_uncovered.is_empty()
        && d.gaps_opened.is_empty()
        && d.gaps_closed.is_empty()
        && d.rules_added.is_empty()
        && d.rules_removed.is_empty()
        && d.rules_changed.is_empty()
        && d.pair_changes.is_empty()
        && d.decisions.as_ref().is_none_or(Vec::is_empty)
}

/// Cuts the text at a line boundary to fit [`MD_LIMIT`], closing an open `<details>`.
fn truncate(s: String) -> String {
    if s.len() <= MD_LIMIT {
        return s;
    }
    let note = "\n\n**Truncated**: the diff is too long for one comment; see `coverage-diff.md` or `coverage-diff.json` in the build artefacts.\n";
    let budget = MD_LIMIT - note.len() - "\n</details>\n".len();
    let mut cut = String::new();
    for line in s.lines() {
        if cut.len() + line.len() + 1 > budget {
            break;
        }
        cut.push_str(line);
        cut.push('\n');
    }
    if cut.matches("<details>").count() > cut.matches("</details>").count() {
        cut.push_str("\n</details>\n");
    }
    cut.push_str(note);
    cut
}

/// The ATT&CK Navigator layer of the difference.
pub fn layer(d: &CoverageDiff) -> Layer<PlainEntry> {
    let mut cells: BTreeMap<&str, (&str, String)> = BTreeMap::new();
    for (t, tier) in &d.open_gaps {
        cells.insert(t, (OPEN_GAP_COLOR, format!("gap on both sides ({tier})")));
    }
    for g in &d.gaps_opened {
        cells.insert(
            &g.technique,
            (NEW_GAP_COLOR, format!("new gap ({}): {}", g.tier, g.reason)),
        );
    }
    for t in &d.newly_uncovered {
        cells.insert(
            &t.id,
            (
                LOST_COLOR,
                format!(
                    "lost coverage; rules that stopped: {}",
                    rule_list(d, &t.rules)
                ),
            ),
        );
    }
    for t in &d.newly_covered {
        cells.insert(
            &t.id,
            (
                GAINED_COLOR,
                format!("gained coverage; rules: {}", rule_list(d, &t.rules)),
            ),
        );
    }
    let mut techniques = Vec::new();
    for (id, (color, comment)) in &cells {
        for tactic in d.tactics.get(*id).map(Vec::as_slice).unwrap_or(&[]) {
            techniques.push(PlainEntry::new(id, tactic, color, comment));
        }
    }
    navigator::diff_layer(
        format!("{}: coverage diff", d.model),
        &d.attack.1,
        format!("{}-attack", d.domain),
        format!(
            "Coverage {} → {} (weighted {} → {})",
            pct(d.coverage.before),
            pct(d.coverage.after),
            pct(d.weighted_coverage.before),
            pct(d.weighted_coverage.after)
        ),
        techniques,
        &[
            ("gained coverage", GAINED_COLOR),
            ("lost coverage", LOST_COLOR),
            ("new gap", NEW_GAP_COLOR),
            ("gap on both sides", OPEN_GAP_COLOR),
        ],
        &[
            ("model", d.model.clone()),
            ("ATT&CK release", format!("{} → {}", d.attack.0, d.attack.1)),
            ("generator", super::report::generator()),
        ],
    )
}

/// Rules by name, for a layer comment.
fn rule_list(d: &CoverageDiff, rules: &[String]) -> String {
    rules
        .iter()
        .map(|r| d.rule_name(r))
        .collect::<Vec<_>>()
        .join(", ")
}
