//! Renderers: human (miette), JSON, SARIF 2.1.0 and GitHub workflow commands.

use super::{Diagnostic, Severity};
use crate::escape::{self, OffsetMap};
use crate::source::{FileId, SourceMap, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use serde_json::{json, Value};
use std::collections::HashMap;

/// How diagnostics (and command summaries) are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Human-readable text with labelled source snippets.
    #[default]
    Human,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…,line=…::`).
    Github,
}

fn location_json(sources: &SourceMap, span: Span) -> Value {
    let Some(f) = sources.get(span.file) else {
        return Value::Null;
    };
    let (line, column) = f.line_col(span.start as usize);
    let (end_line, end_column) = f.line_col(span.end());
    json!({
        "file": f.name,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
    })
}

/// Diagnostics as one JSON document (stable key order).
pub fn render_json(diags: &[&Diagnostic], sources: &SourceMap) -> String {
    let items: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut o = serde_json::Map::new();
            o.insert("severity".into(), json!(d.severity.as_str()));
            o.insert("code".into(), json!(d.code));
            o.insert("message".into(), json!(d.message));
            if let Some(p) = d.primary() {
                if let Value::Object(loc) = location_json(sources, p) {
                    o.extend(loc);
                }
            }
            let labels: Vec<Value> = d
                .labels
                .iter()
                .map(|l| {
                    let mut v = location_json(sources, l.span);
                    if let Value::Object(m) = &mut v {
                        m.insert("message".into(), json!(l.message));
                    }
                    v
                })
                .collect();
            o.insert("labels".into(), Value::Array(labels));
            o.insert("help".into(), json!(d.help));
            Value::Object(o)
        })
        .collect();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let doc = json!({ "diagnostics": items, "errors": errors, "warnings": warnings });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// Diagnostics as text with labelled snippets. `color` adds ANSI colours.
///
/// Every user-written part is escaped for a terminal ([`escape::terminal`]): the
/// message, labels, help, file names, and the source lines of the snippets (spans move
/// with the escapes). The caller still passes the result through
/// [`escape::workflow_command_guard`] before printing it.
pub fn render_human(diags: &[&Diagnostic], sources: &SourceMap, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_context_lines(1);
    let mut escaped_sources: HashMap<FileId, Option<(String, OffsetMap)>> = HashMap::new();
    let mut out = String::new();
    for d in diags {
        out.push_str(&render_one(&handler, d, sources, &mut escaped_sources));
        out.push('\n');
    }
    out
}

fn render_one(
    handler: &GraphicalReportHandler,
    d: &Diagnostic,
    sources: &SourceMap,
    escaped_sources: &mut HashMap<FileId, Option<(String, OffsetMap)>>,
) -> String {
    let severity = match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    };
    // A file read from outside the repository root (`hidden`) is never quoted: its
    // labels become `see FILE:LINE:COL` lines, as labels in other files do.
    // An empty file (one that could not be read gets an empty source for its name)
    // has no line to quote: no source frame, just the message.
    let primary_file = d.primary().map(|s| s.file).filter(|f| {
        sources
            .get(*f)
            .is_some_and(|x| !x.hidden && !x.text.is_empty())
    });
    let file = primary_file.and_then(|f| sources.get(f));
    // Source text with its control characters made visible, computed once per file.
    let escaped = match (primary_file, file) {
        (Some(id), Some(f)) => escaped_sources
            .entry(id)
            .or_insert_with(|| escape::terminal_source(&f.text))
            .as_ref(),
        _ => None,
    };
    let mut md = MietteDiagnostic::new(escape::terminal(&d.message).into_owned())
        .with_code(d.code.as_str())
        .with_severity(severity);
    let mut elsewhere = Vec::new();
    for (i, l) in d.labels.iter().enumerate() {
        if Some(l.span.file) == primary_file {
            let text = (!l.message.is_empty()).then(|| escape::terminal(&l.message).into_owned());
            let (start, end) = match escaped {
                Some((_, map)) => (map.map(l.span.start as usize), map.map(l.span.end())),
                None => (l.span.start as usize, l.span.end()),
            };
            let span = (start, end.saturating_sub(start));
            let ls = if i == 0 {
                LabeledSpan::new_primary_with_span(text, span)
            } else {
                LabeledSpan::new_with_span(text, span)
            };
            md = md.and_label(ls);
        } else if l.message.is_empty()
            && sources.get(l.span.file).is_some_and(|f| f.text.is_empty())
        {
            // The name of an unreadable file is in the message already.
        } else if let Some((name, line, col)) = sources.locate(l.span) {
            elsewhere.push(format!(
                "{}:{line}:{col}: {}",
                escape::terminal(name),
                escape::terminal(&l.message)
            ));
        }
    }
    let mut help = d
        .help
        .as_deref()
        .map(|h| escape::terminal(h).into_owned())
        .unwrap_or_default();
    for e in elsewhere {
        if !help.is_empty() {
            help.push('\n');
        }
        help.push_str("see ");
        help.push_str(&e);
    }
    if !help.is_empty() {
        md = md.with_help(help);
    }
    let mut out = String::new();
    let result = match file {
        Some(f) => {
            let text = match escaped {
                Some((t, _)) => t.clone(),
                None => f.text.to_string(),
            };
            let report = miette::Report::new(md)
                .with_source_code(NamedSource::new(escape::terminal(&f.name), text));
            handler.render_report(&mut out, report.as_ref())
        }
        None => handler.render_report(&mut out, &md),
    };
    if result.is_err() {
        out = format!(
            "{}[{}]: {}\n",
            d.severity.as_str(),
            d.code,
            escape::terminal(&d.message)
        );
    }
    out
}

/// Diagnostics as GitHub Actions workflow commands, one per line.
pub fn render_github(diags: &[&Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let cmd = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = vec![format!(
            "title={}",
            escape::workflow_property(d.code.as_str())
        )];
        if let Some(span) = d.primary() {
            if let Some(f) = sources.get(span.file) {
                let (line, col) = f.line_col(span.start as usize);
                let (end_line, end_col) = f.line_col(span.end());
                props.insert(0, format!("file={}", escape::workflow_property(&f.name)));
                props.insert(1, format!("line={line}"));
                props.insert(2, format!("col={col}"));
                props.insert(3, format!("endLine={end_line}"));
                if end_line == line {
                    props.insert(4, format!("endColumn={end_col}"));
                }
            }
        }
        // User text inside the message is made visible first (a line break in a rule
        // status shows as `\n`), then the message is encoded as GitHub decodes it.
        let mut msg = escape::terminal(&d.message).into_owned();
        if let Some(h) = &d.help {
            msg.push_str("\nhelp: ");
            msg.push_str(&escape::terminal(h));
        }
        out.push_str(&format!(
            "::{cmd} {}::{}\n",
            props.join(","),
            escape::workflow_data(&msg)
        ));
    }
    out
}

/// Diagnostics as a SARIF 2.1.0 log with one run.
pub fn render_sarif(diags: &[&Diagnostic], sources: &SourceMap) -> String {
    let mut rule_ids: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let info = super::CODES.iter().find(|c| c.code == *id);
            let text = info.map(|c| c.meaning).unwrap_or(id);
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": text },
                "helpUri": format!("https://github.com/threatc/threatc#diagnostic-codes"),
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            };
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(" (help: ");
                text.push_str(h);
                text.push(')');
            }
            let locations: Vec<Value> = d
                .primary()
                .and_then(|span| {
                    let f = sources.get(span.file)?;
                    let (line, col) = f.line_col(span.start as usize);
                    let (end_line, end_col) = f.line_col(span.end());
                    Some(json!({
                        "physicalLocation": {
                            "artifactLocation": { "uri": escape::uri_path(&f.name) },
                            "region": {
                                "startLine": line,
                                "startColumn": col,
                                "endLine": end_line,
                                "endColumn": end_col.max(col + usize::from(end_line == line && end_col == col)),
                            }
                        }
                    }))
                })
                .into_iter()
                .collect();
            let rule_index = rule_ids.iter().position(|r| *r == d.code.as_str()).unwrap_or(0);
            json!({
                "ruleId": d.code,
                "ruleIndex": rule_index,
                "level": level,
                "message": { "text": text },
                "locations": locations,
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "threatc",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/threatc/threatc",
                "rules": rules,
            }},
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
