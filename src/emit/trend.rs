//! Coverage over time: the points `threatc history` computes at past revisions of a
//! model, written as trend.csv and drawn as trend.svg, and read back by
//! `threatc build --history trend.csv` for the plan's "Coverage over time" section.
//!
//! Everything here is deterministic: a point carries its commit id and the commit's
//! own date, never the time of the run. Commit subjects are attacker-controlled text
//! (anyone who can push writes them): CSV cells go through [`escape::csv_cell`], SVG
//! text through [`escape::xml_text`].

use crate::analysis::{r4, Analysis};
use crate::escape;
use std::collections::{BTreeMap, BTreeSet};

/// The figures of one revision whose model built.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrendFigures {
    /// covered / in scope (0–1).
    pub coverage: f64,
    /// Weighted coverage (0–1).
    pub weighted_coverage: f64,
    /// Criticality-weighted share of (technique, asset) pairs detected or above (0–1).
    pub pair_coverage: f64,
    /// Criticality-weighted share of (technique, asset) pairs validated (0–1).
    pub pair_validated: f64,
    /// In-scope threat techniques.
    pub in_scope: usize,
    /// Of those, covered.
    pub covered: usize,
    /// Gaps.
    pub gaps: usize,
    /// Gaps of tier P1, P2, P3.
    pub gaps_by_tier: [usize; 3],
    /// Rules in the inventory.
    pub rules: usize,
    /// Rules whose status counts.
    pub rules_counting: usize,
    /// Targets met.
    pub targets_met: usize,
    /// Targets.
    pub targets: usize,
    /// Coverage per actor id (0–1).
    pub actors: BTreeMap<String, f64>,
    /// Coverage per asset id (0–1).
    pub assets: BTreeMap<String, f64>,
}

impl TrendFigures {
    /// The figures of an analysis.
    pub fn of(a: &Analysis) -> TrendFigures {
        let s = &a.summary;
        let tier = |t: &str| s.gaps_by_tier.get(t).copied().unwrap_or(0);
        TrendFigures {
            coverage: r4(s.coverage),
            weighted_coverage: r4(s.weighted_coverage),
            pair_coverage: r4(s.pair_coverage),
            pair_validated: r4(s.pair_validated),
            in_scope: s.in_scope,
            covered: s.covered,
            gaps: s.gaps,
            gaps_by_tier: [tier("P1"), tier("P2"), tier("P3")],
            rules: s.rules,
            rules_counting: s.rules_counting,
            targets_met: s.targets_met,
            targets: s.targets,
            actors: a
                .actors
                .iter()
                .map(|x| (x.id.clone(), r4(x.coverage)))
                .collect(),
            assets: a
                .assets
                .iter()
                .map(|x| (x.id.clone(), r4(x.coverage)))
                .collect(),
        }
    }
}

/// One point of the series: a commit and what its model gave.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// Full commit id.
    pub commit: String,
    /// The commit's date (committer date, UTC), `YYYY-MM-DD`.
    pub date: String,
    /// The commit's subject line (untrusted text).
    pub subject: String,
    /// The figures, or the code of the first error when the model failed to build.
    pub outcome: Result<TrendFigures, String>,
}

impl TrendPoint {
    /// The first 12 characters of the commit id.
    pub fn short(&self) -> &str {
        self.commit.get(..12).unwrap_or(&self.commit)
    }
}

/// The fixed columns of trend.csv, before the `actor:ID` and `asset:ID` columns and the
/// final `subject`.
pub const CSV_COLUMNS: [&str; 18] = [
    "commit",
    "date",
    "status",
    "code",
    "coverage",
    "weighted_coverage",
    "pair_coverage",
    "pair_validated",
    "in_scope",
    "covered",
    "gaps",
    "gaps_p1",
    "gaps_p2",
    "gaps_p3",
    "rules",
    "rules_counting",
    "targets_met",
    "targets",
];

/// The actor and asset ids of every point, sorted.
fn ids(points: &[TrendPoint]) -> (BTreeSet<&str>, BTreeSet<&str>) {
    let mut actors = BTreeSet::new();
    let mut assets = BTreeSet::new();
    for p in points {
        if let Ok(f) = &p.outcome {
            actors.extend(f.actors.keys().map(String::as_str));
            assets.extend(f.assets.keys().map(String::as_str));
        }
    }
    (actors, assets)
}

/// trend.csv: a header, then one row per point, oldest first. A failed point has
/// `status` `failed`, its code, and empty figures; an actor or asset a revision does
/// not have is an empty cell.
pub fn csv(points: &[TrendPoint]) -> String {
    let (actors, assets) = ids(points);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let mut header: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend(actors.iter().map(|a| format!("actor:{a}")));
    header.extend(assets.iter().map(|a| format!("asset:{a}")));
    header.push("subject".into());
    let cells = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|c| escape::csv_cell(&c).into_owned())
            .collect()
    };
    let _ = w.write_record(cells(header));
    for p in points {
        let mut row = vec![p.commit.clone(), p.date.clone()];
        match &p.outcome {
            Ok(f) => {
                row.extend(["ok".to_string(), String::new()]);
                row.extend([
                    fmt(f.coverage),
                    fmt(f.weighted_coverage),
                    fmt(f.pair_coverage),
                    fmt(f.pair_validated),
                ]);
                let [p1, p2, p3] = f.gaps_by_tier;
                for n in [f.in_scope, f.covered, f.gaps, p1, p2, p3] {
                    row.push(n.to_string());
                }
                for n in [f.rules, f.rules_counting, f.targets_met, f.targets] {
                    row.push(n.to_string());
                }
                row.extend(
                    actors
                        .iter()
                        .map(|a| f.actors.get(*a).map(|x| fmt(*x)).unwrap_or_default()),
                );
                row.extend(
                    assets
                        .iter()
                        .map(|a| f.assets.get(*a).map(|x| fmt(*x)).unwrap_or_default()),
                );
            }
            Err(code) => {
                row.extend(["failed".to_string(), code.clone()]);
                row.extend(std::iter::repeat_n(
                    String::new(),
                    CSV_COLUMNS.len() - 4 + actors.len() + assets.len(),
                ));
            }
        }
        row.push(p.subject.clone());
        let _ = w.write_record(cells(row));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn fmt(x: f64) -> String {
    super::fmt_num(x)
}

/// Why a history file cannot be read: the message and the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendError {
    /// What is wrong.
    pub message: String,
    /// The line (1 for the header).
    pub line: usize,
}

/// Most points a history file may hold.
pub const MAX_POINTS: usize = 100_000;

/// Reads trend.csv back (as `threatc history` writes it; columns found by name).
pub fn parse_csv(text: &str) -> Result<Vec<TrendPoint>, TrendError> {
    let err = |line: usize, message: String| TrendError { message, line };
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = r.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(err(1, format!("the header is not CSV: {e}"))),
        None => return Err(err(1, "the file is empty".into())),
    };
    let names: Vec<String> = header.iter().map(str::to_string).collect();
    for c in CSV_COLUMNS.iter().chain(std::iter::once(&"subject")) {
        if !names.iter().any(|n| n == c) {
            return Err(err(
                1,
                format!("no `{c}` column: not a trend.csv of `threatc history`"),
            ));
        }
    }
    let mut points = Vec::new();
    for rec in records {
        let line = points.len() + 2;
        let rec = rec.map_err(|e| err(line, format!("not CSV: {e}")))?;
        if points.len() >= MAX_POINTS {
            return Err(err(line, format!("more than {MAX_POINTS} points")));
        }
        let row: BTreeMap<&str, &str> = names.iter().map(String::as_str).zip(rec.iter()).collect();
        points.push(parse_row(&row).map_err(|m| err(line, m))?);
    }
    Ok(points)
}

/// A cell `csv` escaped against formulas, as written: the leading `'` removed.
fn unescape(s: &str) -> String {
    match s.strip_prefix('\'') {
        Some(rest) if escape::csv_cell(rest) != rest => rest.to_string(),
        _ => s.to_string(),
    }
}

fn parse_row(row: &BTreeMap<&str, &str>) -> Result<TrendPoint, String> {
    let get = |k: &str| row.get(k).copied().unwrap_or("");
    let commit = get("commit");
    if commit.len() < 7 || commit.len() > 64 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`commit` is not a commit id: `{}`",
            short_text(commit)
        ));
    }
    let date = get("date");
    if crate::date::Date::parse(date).is_none() {
        return Err(format!(
            "`date` is not a YYYY-MM-DD date: `{}`",
            short_text(date)
        ));
    }
    let outcome = match get("status") {
        "ok" => Ok(parse_figures(row)?),
        "failed" => Err(unescape(get("code"))),
        other => {
            return Err(format!(
                "`status` is `{}`, not `ok` or `failed`",
                short_text(other)
            ))
        }
    };
    Ok(TrendPoint {
        commit: commit.to_ascii_lowercase(),
        date: date.to_string(),
        subject: unescape(get("subject")),
        outcome,
    })
}

fn short_text(s: &str) -> String {
    let cut: String = s.chars().take(40).collect();
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

fn parse_figures(row: &BTreeMap<&str, &str>) -> Result<TrendFigures, String> {
    let share = |k: &str| -> Result<f64, String> {
        let v = row.get(k).copied().unwrap_or("");
        v.parse::<f64>()
            .ok()
            .filter(|x| (0.0..=1.0).contains(x))
            .ok_or_else(|| format!("`{k}` is not a share from 0 to 1: `{}`", short_text(v)))
    };
    let count = |k: &str| -> Result<usize, String> {
        let v = row.get(k).copied().unwrap_or("");
        v.parse::<usize>()
            .map_err(|_| format!("`{k}` is not a count: `{}`", short_text(v)))
    };
    let mut actors = BTreeMap::new();
    let mut assets = BTreeMap::new();
    for (k, v) in row {
        let (map, id) = if let Some(id) = k.strip_prefix("actor:") {
            (&mut actors, id)
        } else if let Some(id) = k.strip_prefix("asset:") {
            (&mut assets, id)
        } else {
            continue;
        };
        if !v.is_empty() {
            map.insert(id.to_string(), share(k)?);
        }
    }
    Ok(TrendFigures {
        coverage: share("coverage")?,
        weighted_coverage: share("weighted_coverage")?,
        pair_coverage: share("pair_coverage")?,
        pair_validated: share("pair_validated")?,
        in_scope: count("in_scope")?,
        covered: count("covered")?,
        gaps: count("gaps")?,
        gaps_by_tier: [count("gaps_p1")?, count("gaps_p2")?, count("gaps_p3")?],
        rules: count("rules")?,
        rules_counting: count("rules_counting")?,
        targets_met: count("targets_met")?,
        targets: count("targets")?,
        actors,
        assets,
    })
}

const W: f64 = 760.0;
const H: f64 = 300.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 44.0;
const COVERAGE_INK: &str = "#2166ac";
const WEIGHTED_INK: &str = "#b35806";
const FAILED_INK: &str = "#d73027";
const VALIDATED_INK: &str = "#1b7837";

fn x_of(i: usize, n: usize) -> f64 {
    let pw = W - LEFT - RIGHT;
    if n <= 1 {
        LEFT + pw / 2.0
    } else {
        LEFT + pw * i as f64 / (n - 1) as f64
    }
}

fn y_of(v: f64) -> f64 {
    TOP + (H - TOP - BOTTOM) * (1.0 - v.clamp(0.0, 1.0))
}

/// The indices whose dates label the x axis: at most six, first and last included.
fn ticks(n: usize) -> Vec<usize> {
    if n <= 6 {
        return (0..n).collect();
    }
    let mut v: Vec<usize> = (0..6).map(|k| k * (n - 1) / 5).collect();
    v.dedup();
    v
}

/// One series as polylines (broken at failed points) and point markers with tooltips.
fn series(
    points: &[TrendPoint],
    value: fn(&TrendFigures) -> f64,
    ink: &str,
    dash: &str,
    label: &str,
) -> String {
    let n = points.len();
    let mut out = String::new();
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, out: &mut String| {
        if run.len() > 1 {
            out.push_str(&format!(
                "<polyline fill=\"none\" stroke=\"{ink}\" stroke-width=\"2\"{dash} points=\"{}\"/>",
                run.join(" ")
            ));
        }
        run.clear();
    };
    for (i, p) in points.iter().enumerate() {
        match &p.outcome {
            Ok(f) => run.push(format!("{:.1},{:.1}", x_of(i, n), y_of(value(f)))),
            Err(_) => flush(&mut run, &mut out),
        }
    }
    flush(&mut run, &mut out);
    for (i, p) in points.iter().enumerate() {
        if let Ok(f) = &p.outcome {
            out.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{ink}\"><title>{} {} {label} {}: {}</title></circle>",
                x_of(i, n),
                y_of(value(f)),
                p.date,
                p.short(),
                super::pct(value(f)),
                escape::xml_text(&p.subject),
            ));
        }
    }
    out
}

/// trend.svg: coverage and weighted coverage per point (oldest left), failed builds
/// marked with a red cross on the axis, dates under the axis. `title` names the model.
pub fn svg(points: &[TrendPoint], title: &str) -> String {
    let n = points.len();
    let mut body = String::new();
    for k in 0..=4 {
        let v = k as f64 / 4.0;
        let y = y_of(v);
        body.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#d9d9d9\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}%</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            k * 25
        ));
    }
    for i in ticks(n) {
        if let Some(p) = points.get(i) {
            body.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x_of(i, n),
                H - BOTTOM + 18.0,
                escape::xml_text(&p.date)
            ));
        }
    }
    body.push_str(&series(
        points,
        |f| f.coverage,
        COVERAGE_INK,
        "",
        "coverage",
    ));
    body.push_str(&series(
        points,
        |f| f.weighted_coverage,
        WEIGHTED_INK,
        " stroke-dasharray=\"6 4\"",
        "weighted coverage",
    ));
    body.push_str(&series(
        points,
        |f| f.pair_validated,
        VALIDATED_INK,
        " stroke-dasharray=\"2 3\"",
        "validated",
    ));
    for (i, p) in points.iter().enumerate() {
        if let Err(code) = &p.outcome {
            let (x, y) = (x_of(i, n), y_of(0.0));
            body.push_str(&format!(
                "<path d=\"M{:.1} {:.1}l8 8m0 -8l-8 8\" stroke=\"{FAILED_INK}\" stroke-width=\"2\"><title>{} {} failed to build ({}): {}</title></path>",
                x - 4.0,
                y - 4.0,
                p.date,
                p.short(),
                escape::xml_text(code),
                escape::xml_text(&p.subject),
            ));
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trend\" role=\"img\" aria-labelledby=\"tr-title tr-desc\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" font-size=\"11\"><title id=\"tr-title\">Coverage over time of {title}</title><desc id=\"tr-desc\">{desc}</desc><rect width=\"{W}\" height=\"{H}\" fill=\"#ffffff\"/>{legend}{body}</svg>\n",
        title = escape::xml_text(title),
        desc = escape::xml_text(&describe(points)),
        legend = legend(),
    )
}

fn legend() -> String {
    format!(
        "<g class=\"legend\"><line x1=\"{LEFT}\" y1=\"16\" x2=\"{:.1}\" y2=\"16\" stroke=\"{COVERAGE_INK}\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"20\">coverage</text><line x1=\"{:.1}\" y1=\"16\" x2=\"{:.1}\" y2=\"16\" stroke=\"{WEIGHTED_INK}\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/><text x=\"{:.1}\" y=\"20\">weighted coverage</text><line x1=\"{:.1}\" y1=\"16\" x2=\"{:.1}\" y2=\"16\" stroke=\"{VALIDATED_INK}\" stroke-width=\"2\" stroke-dasharray=\"2 3\"/><text x=\"{:.1}\" y=\"20\">validated (pairs)</text><path d=\"M{:.1} 12l8 8m0 -8l-8 8\" stroke=\"{FAILED_INK}\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"20\">model failed to build</text></g>",
        LEFT + 24.0,
        LEFT + 30.0,
        LEFT + 110.0,
        LEFT + 134.0,
        LEFT + 140.0,
        LEFT + 260.0,
        LEFT + 284.0,
        LEFT + 290.0,
        LEFT + 410.0,
        LEFT + 424.0,
    )
}

/// A sentence on the series: its span and how coverage moved (for the SVG's `desc`
/// and the plan).
pub fn describe(points: &[TrendPoint]) -> String {
    let ok: Vec<(&TrendPoint, &TrendFigures)> = points
        .iter()
        .filter_map(|p| p.outcome.as_ref().ok().map(|f| (p, f)))
        .collect();
    let failed = points.len() - ok.len();
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return "No points.".into();
    };
    let mut s = format!(
        "{} {} from {} to {}",
        points.len(),
        crate::words::plural(points.len(), "revision", "revisions"),
        first.date,
        last.date
    );
    if let (Some((_, a)), Some((_, b))) = (ok.first(), ok.last()) {
        s.push_str(&format!(
            ": coverage {} → {}, weighted {} → {}",
            super::pct(a.coverage),
            super::pct(b.coverage),
            super::pct(a.weighted_coverage),
            super::pct(b.weighted_coverage)
        ));
    }
    if failed > 0 {
        s.push_str(&format!(
            "; {failed} {} failed to build",
            crate::words::plural(failed, "revision", "revisions")
        ));
    }
    s.push('.');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(commit: char, date: &str, subject: &str, cov: Option<f64>) -> TrendPoint {
        TrendPoint {
            commit: std::iter::repeat_n(commit, 40).collect(),
            date: date.into(),
            subject: subject.into(),
            outcome: match cov {
                Some(c) => Ok(TrendFigures {
                    coverage: c,
                    weighted_coverage: c / 2.0,
                    pair_coverage: c,
                    pair_validated: 0.0,
                    in_scope: 10,
                    covered: 3,
                    gaps: 7,
                    gaps_by_tier: [1, 2, 4],
                    rules: 5,
                    rules_counting: 4,
                    targets_met: 0,
                    targets: 1,
                    actors: [("fin7".to_string(), 0.5)].into_iter().collect(),
                    assets: [("ws".to_string(), c)].into_iter().collect(),
                }),
                None => Err("parse-error".into()),
            },
        }
    }

    #[test]
    fn csv_round_trips_and_escapes() {
        let pts = vec![
            point('a', "2026-01-01", "=HYPERLINK(\"x\")", Some(0.25)),
            point('b', "2026-01-02", "broken, \"quoted\"\nline", None),
            point('c', "2026-01-03", "+cmd", Some(0.5)),
        ];
        let text = csv(&pts);
        assert!(text.contains("\"'=HYPERLINK"), "{text}");
        assert!(text.contains(",'+cmd"), "{text}");
        assert!(
            text.starts_with("commit,date,status,code,coverage,"),
            "{text}"
        );
        assert!(text.contains("actor:fin7,asset:ws,subject\n"), "{text}");
        assert_eq!(parse_csv(&text).unwrap(), pts);
    }

    #[test]
    fn bad_files_name_the_line() {
        let e = parse_csv("").unwrap_err();
        assert_eq!(e.line, 1);
        let text = csv(&[point('a', "2026-01-01", "x", Some(0.25))]);
        let bad = text.replace("2026-01-01", "2026-02-30");
        let e = parse_csv(&bad).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("date"), "{}", e.message);
        let bad = text.replacen(",0.25,", ",1.5,", 1);
        assert!(parse_csv(&bad).unwrap_err().message.contains("coverage"));
    }

    #[test]
    fn svg_escapes_subjects_and_breaks_lines_at_failures() {
        let pts = vec![
            point(
                'a',
                "2026-01-01",
                "<script>alert(1)</script> & \u{1}",
                Some(0.25),
            ),
            point('b', "2026-01-02", "x", None),
            point('c', "2026-01-03", "y", Some(0.5)),
            point('d', "2026-01-04", "z", Some(0.75)),
        ];
        let s = svg(&pts, "A & <B>");
        assert!(!s.contains("<script>"));
        assert!(s.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; \u{FFFD}"));
        assert!(s.contains("Coverage over time of A &amp; &lt;B&gt;"));
        // One polyline per series (the run c–d); the lone point a has a marker only.
        assert_eq!(s.matches("<polyline").count(), 3);
        assert!(s.contains("failed to build (parse-error)"));
        assert!(describe(&pts).contains("coverage 25.0% → 75.0%"));
    }
}
