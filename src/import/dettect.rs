//! DeTT&CT administration files (rabobank-cdc/DeTTECT), read from their spanned YAML
//! tree into typed records: the technique administration file (`file_type:
//! technique-administration`, version 1.2) and the data source administration file
//! (`file_type: data-source-administration`, version 1.1).
//!
//! This is the reading half: structure, types, score ranges and dates are checked here,
//! each problem a diagnostic at the value's place (`dettect-file`, `dettect-invalid`,
//! `dettect-score`). What the records mean for a model (techniques against the catalog,
//! `applicable_to` against the assets, data sources against the data components) is
//! [`crate::resolve`]'s DeTT&CT pass. Keys DeTT&CT does not define are ignored, as
//! DeTT&CT ignores them, except threatc's own `threatc_tests` (see [`Test`]).

use crate::date::Date;
use crate::diag::{Code, Diagnostic};
use crate::model::yaml::{Node, Value};
use crate::source::{Span, Spanned};

/// `file_type` of a technique administration file.
pub const TECHNIQUE_FILE_TYPE: &str = "technique-administration";
/// `file_type` of a data source administration file.
pub const DATA_SOURCE_FILE_TYPE: &str = "data-source-administration";
/// The technique administration version read (DeTT&CT's
/// `FILE_TYPE_TECHNIQUE_ADMINISTRATION_VERSION`).
pub const TECHNIQUE_VERSION: f64 = 1.2;
/// The data source administration version read (DeTT&CT's
/// `FILE_TYPE_DATA_SOURCE_ADMINISTRATION_VERSION`).
pub const DATA_SOURCE_VERSION: f64 = 1.1;

/// Detection scores: −1 none, 0 forensics/context, 1 basic, 2 fair, 3 good, 4 very good,
/// 5 excellent.
pub const DETECTION_SCORES: [&str; 7] = [
    "None",
    "Forensics/Context",
    "Basic",
    "Fair",
    "Good",
    "Very good",
    "Excellent",
];
/// Visibility scores: 0 none, 1 minimal, 2 medium, 3 good, 4 excellent.
pub const VISIBILITY_SCORES: [&str; 5] = ["None", "Minimal", "Medium", "Good", "Excellent"];

/// DeTT&CT's name of a detection score (−1…5).
pub fn detection_label(score: i64) -> &'static str {
    usize::try_from(score + 1)
        .ok()
        .and_then(|i| DETECTION_SCORES.get(i))
        .copied()
        .unwrap_or("?")
}

/// DeTT&CT's name of a visibility score (0…4).
pub fn visibility_label(score: i64) -> &'static str {
    usize::try_from(score)
        .ok()
        .and_then(|i| VISIBILITY_SCORES.get(i))
        .copied()
        .unwrap_or("?")
}

/// A technique administration file.
#[derive(Debug, Clone, Default)]
pub struct TechniqueAdmin {
    /// `name`.
    pub name: Option<String>,
    /// `techniques`, in file order.
    pub techniques: Vec<Technique>,
}

/// One technique of a technique administration file.
#[derive(Debug, Clone)]
pub struct Technique {
    /// `technique_id`, as written.
    pub id: Spanned<String>,
    /// `detection` objects (one object or a list of them).
    pub detection: Vec<Scored>,
    /// `visibility` objects.
    pub visibility: Vec<Scored>,
}

/// A detection or visibility object: its `applicable_to` and its latest score.
#[derive(Debug, Clone)]
pub struct Scored {
    /// `applicable_to` values, as written (`all` or names of systems).
    pub applicable_to: Vec<Spanned<String>>,
    /// `location` (detection only): where the detection lives.
    pub location: Vec<String>,
    /// The latest valid `score_logbook` entry (by date; an undated entry only when none
    /// is dated), if any.
    pub latest: Option<LogEntry>,
    /// threatc's own `threatc_tests` (detection only): tests of the detection.
    pub tests: Vec<Test>,
    /// The object.
    pub span: Span,
}

/// A `score_logbook` entry.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// `date`, when given.
    pub date: Option<Date>,
    /// `score`, in range.
    pub score: Spanned<i64>,
    /// `comment`.
    pub comment: Option<String>,
}

/// A test recorded under threatc's extension key `threatc_tests` of a detection object
/// (`{date, result, method, reference}`), which DeTT&CT ignores like any key it does not
/// define. threatc's DeTT&CT export writes it for validated pairs, so that an export read
/// back keeps them validated; a DeTT&CT score alone is never a test.
#[derive(Debug, Clone)]
pub struct Test {
    /// When it was run.
    pub date: Date,
    /// `result: detected` (default) or `not-detected`.
    pub detected: bool,
    /// How.
    pub method: Option<String>,
    /// A ticket, report or link.
    pub reference: Option<String>,
}

/// A data source administration file.
#[derive(Debug, Clone, Default)]
pub struct DataSourceAdmin {
    /// `name`.
    pub name: Option<String>,
    /// The `applicable_to` of each of `systems` (the kinds of system the file
    /// administers), as written.
    pub systems: Vec<Spanned<String>>,
    /// `data_sources`, in file order.
    pub data_sources: Vec<DataSource>,
}

/// One data source of a data source administration file.
#[derive(Debug, Clone)]
pub struct DataSource {
    /// `data_source_name`, as written.
    pub name: Spanned<String>,
    /// `data_source` objects, one per group of systems.
    pub entries: Vec<DataSourceEntry>,
}

/// A `data_source` object: the data source on some systems.
#[derive(Debug, Clone)]
pub struct DataSourceEntry {
    /// `applicable_to`, as written.
    pub applicable_to: Vec<Spanned<String>>,
    /// `products`.
    pub products: Vec<String>,
    /// Whether it is available: some `data_quality` dimension scores above 0 (DeTT&CT's
    /// rule: a data source whose data quality is 0 on every dimension is not available).
    pub available: bool,
    /// `available_for_data_analytics`.
    pub analytics: bool,
    /// `comment`.
    pub comment: Option<String>,
    /// The object.
    pub span: Span,
}

/// Problems found while reading, as diagnostics (warnings; the caller may make them
/// errors).
pub type Problems = Vec<Diagnostic>;

/// Checks `file_type` and `version` of a file's root; `false` (with a `dettect-file`
/// problem) when it is not one threatc reads.
fn header(root: &Node, file_type: &str, version: f64, p: &mut Problems) -> bool {
    if !matches!(root.value, Value::Map(_)) {
        p.push(
            Diagnostic::warning(
                Code::DettectFile,
                format!(
                    "a DeTT&CT file is a mapping, not {}; nothing of it is imported",
                    root.type_name()
                ),
            )
            .with_label(root.span, "not a mapping"),
        );
        return false;
    }
    let Some(ft) = root.get("file_type") else {
        p.push(
            Diagnostic::warning(
                Code::DettectFile,
                "the file has no `file_type`; nothing of it is imported",
            )
            .with_label(root.span, "not a DeTT&CT administration file")
            .with_help(format!(
                "a DeTT&CT file starts with `version:` and `file_type: {file_type}`"
            )),
        );
        return false;
    };
    if ft.as_str() != Some(file_type) {
        p.push(
            Diagnostic::warning(
                Code::DettectFile,
                format!(
                    "`file_type` is `{}`, not `{file_type}`; nothing of it is imported",
                    scalar_text(ft).unwrap_or_default()
                ),
            )
            .with_label(ft.span, "another kind of file")
            .with_help(if file_type == TECHNIQUE_FILE_TYPE {
                "import a technique administration file under `rules:`, a data source administration file under `telemetry:`"
            } else {
                "import a data source administration file under `telemetry:`, a technique administration file under `rules:`"
            }),
        );
        return false;
    }
    let v = root.get("version");
    let read = v.and_then(number);
    if read.is_some_and(|x| (x - version).abs() < 1e-9) {
        return true;
    }
    let shown = v.and_then(scalar_text).unwrap_or_else(|| "missing".into());
    p.push(
        Diagnostic::warning(
            Code::DettectFile,
            format!("`{file_type}` version `{shown}` is not {version}, the version threatc reads; nothing of it is imported"),
        )
        .with_label(v.map_or(ft.span, |n| n.span), "version")
        .with_help(if read.is_some_and(|x| x < version) {
            "open and save the file with DeTT&CT (`python dettect.py editor`, or any dettect.py command on it): it offers to upgrade older files"
        } else {
            "this DeTT&CT version is newer than threatc knows; report it"
        }),
    );
    false
}

/// A technique administration file from its YAML root.
pub fn techniques(root: &Node) -> (TechniqueAdmin, Problems) {
    let mut p = Problems::new();
    let mut out = TechniqueAdmin::default();
    if !header(root, TECHNIQUE_FILE_TYPE, TECHNIQUE_VERSION, &mut p) {
        return (out, p);
    }
    out.name = root.get("name").and_then(scalar_text);
    for item in list(root, "techniques", &mut p) {
        if let Some(t) = technique(item, &mut p) {
            out.techniques.push(t);
        }
    }
    (out, p)
}

fn technique(item: &Node, p: &mut Problems) -> Option<Technique> {
    let Some(id) = item.get("technique_id").and_then(|n| {
        scalar_text(n)
            .filter(|s| !s.trim().is_empty())
            .map(|s| Spanned::new(n.span, s.trim().to_string()))
    }) else {
        p.push(invalid(
            item.span,
            "a technique has no `technique_id`; it is skipped",
        ));
        return None;
    };
    let mut scored = |key: &str, range: (i64, i64)| -> Vec<Scored> {
        let Some(n) = item.get(key) else {
            return Vec::new();
        };
        let objs: Vec<&Node> = match &n.value {
            Value::Null => Vec::new(),
            Value::Map(_) => vec![n],
            Value::Seq(items) => items.iter().collect(),
            _ => {
                p.push(invalid(
                    n.span,
                    &format!(
                        "`{key}` of `{}` is {}, not an object or a list of objects; it is skipped",
                        id.value,
                        n.type_name()
                    ),
                ));
                Vec::new()
            }
        };
        objs.into_iter()
            .filter_map(|o| scored_object(o, key, range, p))
            .collect()
    };
    let detection = scored("detection", (-1, 5));
    let visibility = scored("visibility", (0, 4));
    Some(Technique {
        id,
        detection,
        visibility,
    })
}

/// A detection (`range` −1…5) or visibility (0…4) object.
fn scored_object(o: &Node, key: &str, range: (i64, i64), p: &mut Problems) -> Option<Scored> {
    if !matches!(o.value, Value::Map(_)) {
        p.push(invalid(
            o.span,
            &format!(
                "a `{key}` entry is {}, not an object; it is skipped",
                o.type_name()
            ),
        ));
        return None;
    }
    let applicable_to = strings(o.get("applicable_to"), p);
    if applicable_to.is_empty() {
        p.push(
            invalid(
                o.span,
                &format!("a `{key}` object has no `applicable_to`; it is skipped"),
            )
            .with_help("write `applicable_to: [all]` or the systems it applies to"),
        );
        return None;
    }
    let mut entries = Vec::new();
    if let Some(book) = o.get("score_logbook") {
        let items: Vec<&Node> = match &book.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Map(_) => vec![book],
            _ => Vec::new(),
        };
        for e in items {
            if let Some(entry) = log_entry(e, key, range, p) {
                entries.push(entry);
            }
        }
    }
    // DeTT&CT's latest score: the latest dated entry; the first when none is dated.
    let latest = entries
        .iter()
        .filter(|e| e.date.is_some())
        .fold(None::<&LogEntry>, |best, e| match best {
            Some(b) if b.date >= e.date => Some(b),
            _ => Some(e),
        })
        .or(entries.first())
        .cloned();
    Some(Scored {
        applicable_to,
        location: strings(o.get("location"), p)
            .into_iter()
            .map(|s| s.value)
            .filter(|s| !s.trim().is_empty())
            .collect(),
        latest,
        tests: tests(o.get("threatc_tests"), p),
        span: o.span,
    })
}

fn log_entry(e: &Node, key: &str, (lo, hi): (i64, i64), p: &mut Problems) -> Option<LogEntry> {
    let Some(s) = e.get("score") else {
        p.push(invalid(
            e.span,
            &format!("a `{key}` score logbook entry has no `score`; it is skipped"),
        ));
        return None;
    };
    let score = match s.value {
        Value::Int(i) if (lo..=hi).contains(&i) => i,
        _ => {
            p.push(
                Diagnostic::warning(
                    Code::DettectScore,
                    format!(
                        "`{}` is not a {key} score; the entry is skipped",
                        scalar_text(s).unwrap_or_else(|| s.type_name().to_string())
                    ),
                )
                .with_label(
                    s.span,
                    format!("a {key} score is a whole number from {lo} to {hi}"),
                ),
            );
            return None;
        }
    };
    let date = match e.get("date") {
        None => None,
        Some(d) if matches!(d.value, Value::Null) => None,
        Some(d) => Some(date(d, p)?),
    };
    Some(LogEntry {
        date,
        score: Spanned::new(s.span, score),
        comment: e
            .get("comment")
            .and_then(scalar_text)
            .filter(|c| !c.trim().is_empty()),
    })
}

/// A `date` value: YYYY-MM-DD, or a `dettect-score` problem.
fn date(d: &Node, p: &mut Problems) -> Option<Date> {
    let text = scalar_text(d).unwrap_or_default();
    match Date::parse(text.trim()) {
        Some(x) => Some(x),
        None => {
            p.push(
                Diagnostic::warning(
                    Code::DettectScore,
                    format!("`{text}` is not a date; the entry is skipped"),
                )
                .with_label(d.span, "a date is YYYY-MM-DD")
                .with_help(
                    Date::impossible(text.trim())
                        .unwrap_or_else(|| "write an ISO date, e.g. 2026-10-20".into()),
                ),
            );
            None
        }
    }
}

/// threatc's `threatc_tests` list.
fn tests(n: Option<&Node>, p: &mut Problems) -> Vec<Test> {
    let Some(Value::Seq(items)) = n.map(|n| &n.value) else {
        if let Some(n) = n {
            p.push(invalid(
                n.span,
                "`threatc_tests` is a list of tests; it is skipped",
            ));
        }
        return Vec::new();
    };
    let mut out = Vec::new();
    for t in items {
        let Some(d) = t.get("date") else {
            p.push(invalid(
                t.span,
                "a test in `threatc_tests` has no `date`; it is skipped",
            ));
            continue;
        };
        let Some(date) = date(d, p) else {
            continue;
        };
        let result = t.get("result").and_then(scalar_text).unwrap_or_default();
        let detected = match result.trim() {
            "" | "detected" => true,
            "not-detected" => false,
            other => {
                p.push(invalid(
                    t.get("result").map_or(t.span, |r| r.span),
                    &format!("`{other}` is not a test result (detected or not-detected); the test is skipped"),
                ));
                continue;
            }
        };
        out.push(Test {
            date,
            detected,
            method: t.get("method").and_then(scalar_text),
            reference: t.get("reference").and_then(scalar_text),
        });
    }
    out
}

/// A data source administration file from its YAML root.
pub fn data_sources(root: &Node) -> (DataSourceAdmin, Problems) {
    let mut p = Problems::new();
    let mut out = DataSourceAdmin::default();
    if !header(root, DATA_SOURCE_FILE_TYPE, DATA_SOURCE_VERSION, &mut p) {
        return (out, p);
    }
    out.name = root.get("name").and_then(scalar_text);
    for sys in list(root, "systems", &mut p) {
        match sys.get("applicable_to") {
            Some(a) => out.systems.extend(strings(Some(a), &mut p)),
            None => p.push(invalid(
                sys.span,
                "a system has no `applicable_to`; it is skipped",
            )),
        }
    }
    for item in list(root, "data_sources", &mut p) {
        let Some(name) = item.get("data_source_name").and_then(|n| {
            scalar_text(n)
                .filter(|s| !s.trim().is_empty())
                .map(|s| Spanned::new(n.span, s.trim().to_string()))
        }) else {
            p.push(invalid(
                item.span,
                "a data source has no `data_source_name`; it is skipped",
            ));
            continue;
        };
        let entries = list(item, "data_source", &mut p)
            .into_iter()
            .filter_map(|e| data_source_entry(e, &mut p))
            .collect();
        out.data_sources.push(DataSource { name, entries });
    }
    (out, p)
}

fn data_source_entry(e: &Node, p: &mut Problems) -> Option<DataSourceEntry> {
    if !matches!(e.value, Value::Map(_)) {
        p.push(invalid(
            e.span,
            &format!(
                "a `data_source` entry is {}, not an object; it is skipped",
                e.type_name()
            ),
        ));
        return None;
    }
    let applicable_to = strings(e.get("applicable_to"), p);
    if applicable_to.is_empty() {
        p.push(invalid(
            e.span,
            "a `data_source` entry has no `applicable_to`; it is skipped",
        ));
        return None;
    }
    let mut available = false;
    if let Some(q) = e.get("data_quality") {
        if let Value::Map(dims) = &q.value {
            for (k, v) in dims {
                match v.value {
                    Value::Int(i) if (0..=5).contains(&i) => available |= i > 0,
                    _ => p.push(
                        Diagnostic::warning(
                            Code::DettectScore,
                            format!(
                                "data quality `{}` is `{}`, not a score from 0 to 5; counted as 0",
                                k.key_text(),
                                scalar_text(v).unwrap_or_else(|| v.type_name().to_string())
                            ),
                        )
                        .with_label(v.span, "a data quality score is 0…5"),
                    ),
                }
            }
        }
    }
    Some(DataSourceEntry {
        applicable_to,
        products: strings(e.get("products"), p)
            .into_iter()
            .map(|s| s.value)
            .filter(|s| !s.trim().is_empty())
            .collect(),
        available,
        analytics: matches!(
            e.get("available_for_data_analytics").map(|n| &n.value),
            Some(Value::Bool(true))
        ),
        comment: e
            .get("comment")
            .and_then(scalar_text)
            .filter(|c| !c.trim().is_empty()),
        span: e.span,
    })
}

/// The items of a list under `key` (missing or null: none; another type: a problem).
fn list<'n>(parent: &'n Node, key: &str, p: &mut Problems) -> Vec<&'n Node> {
    match parent.get(key).map(|n| (n, &n.value)) {
        None | Some((_, Value::Null)) => Vec::new(),
        Some((_, Value::Seq(items))) => items.iter().collect(),
        Some((n, _)) => {
            p.push(invalid(
                n.span,
                &format!("`{key}` is {}, not a list; it is skipped", n.type_name()),
            ));
            Vec::new()
        }
    }
}

/// A list of strings, or one string (`applicable_to: all`); other items are problems.
fn strings(n: Option<&Node>, p: &mut Problems) -> Vec<Spanned<String>> {
    let Some(n) = n else {
        return Vec::new();
    };
    let items: Vec<&Node> = match &n.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        _ => vec![n],
    };
    let mut out = Vec::new();
    for i in items {
        match (&i.value, scalar_text(i)) {
            (Value::Null, _) => {}
            (_, Some(s)) => out.push(Spanned::new(i.span, s)),
            (_, None) => p.push(invalid(
                i.span,
                &format!("{} where a name was expected; it is ignored", i.type_name()),
            )),
        }
    }
    out
}

/// A scalar's text (strings, numbers, booleans).
fn scalar_text(n: &Node) -> Option<String> {
    Some(match &n.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    })
}

/// A number written as a number or as text (`version: 1.2`, `version: "1.2"`).
fn number(n: &Node) -> Option<f64> {
    match &n.value {
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(*i as f64),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn invalid(span: Span, message: &str) -> Diagnostic {
    Diagnostic::warning(Code::DettectInvalid, message.to_string()).with_label(span, "here")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(detection_label(-1), "None");
        assert_eq!(detection_label(0), "Forensics/Context");
        assert_eq!(detection_label(5), "Excellent");
        assert_eq!(detection_label(6), "?");
        assert_eq!(visibility_label(4), "Excellent");
        assert_eq!(visibility_label(-1), "?");
    }
}
