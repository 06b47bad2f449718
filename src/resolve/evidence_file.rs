//! Reading one `evidence:` file (already in the source map) into rows with spans: a CSV
//! file (by its `.csv` extension) with a header row naming the columns `technique`,
//! `asset`, `date`, `result`, `method`, `reference` (any case and order; others are
//! ignored), or a JSON (or YAML) file holding an array of objects with those keys.

use super::context::Resolver;
use super::evidence::Row;
use crate::diag::{Code, Diagnostic};
use crate::model::yaml::{self, Node, Value};
use crate::source::{FileId, Span, Spanned};

/// The rows of a file; problems with the file as a whole are reported at `at` or in it.
pub(super) fn rows(r: &mut Resolver<'_>, file: FileId, shown: &str, at: Span) -> Vec<Row> {
    let Some(src) = r.sources.get(file) else {
        return Vec::new();
    };
    let text = src.text.clone();
    if shown.to_ascii_lowercase().ends_with(".csv") {
        return csv_rows(r, file, &text);
    }
    let node = match yaml::parse(file, src) {
        Ok(n) => n,
        Err(d) => {
            r.diags.push(d.with_label(at, "named here"));
            return Vec::new();
        }
    };
    let Value::Seq(items) = &node.value else {
        r.diags.push(
            Diagnostic::error(
                Code::InvalidEvidence,
                format!("an evidence file holds an array of rows, not {}", node.type_name()),
            )
            .with_label(node.span, "not an array")
            .with_help("write `[{\"technique\": \"T1003.001\", \"asset\": \"all\", \"date\": \"2026-10-01\", \"result\": \"detected\"}]`, or a .csv file"),
        );
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| node_row(r, &text, item))
        .collect()
}

fn node_row(r: &mut Resolver<'_>, text: &str, item: &Node) -> Option<Row> {
    if !matches!(item.value, Value::Map(_)) {
        r.diags.push(
            Diagnostic::error(
                Code::InvalidEvidence,
                format!("an evidence row is an object, not {}", item.type_name()),
            )
            .with_label(item.span, "not an object"),
        );
        return None;
    }
    let field = |k: &str| -> Option<Spanned<String>> {
        let n = item.get(k)?;
        let s = match &n.value {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::UInt(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        (!s.trim().is_empty()).then(|| Spanned::new(n.span, s))
    };
    let line = line_of(text, item.span.start as usize);
    Some(Row {
        line,
        span: item.span,
        technique: field("technique"),
        asset: field("asset"),
        date: field("date"),
        result: field("result"),
        method: field("method").map(|s| s.value),
        reference: field("reference").map(|s| s.value),
    })
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset)
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The column indexes of a CSV header.
struct Columns {
    technique: Option<usize>,
    asset: Option<usize>,
    date: Option<usize>,
    result: Option<usize>,
    method: Option<usize>,
    reference: Option<usize>,
}

fn csv_rows(r: &mut Resolver<'_>, file: FileId, text: &str) -> Vec<Row> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            r.diags.push(csv_error(file, text, &e));
            return Vec::new();
        }
    };
    let find = |name: &str| {
        headers.iter().position(|h| {
            h.trim()
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(name)
        })
    };
    let cols = Columns {
        technique: find("technique"),
        asset: find("asset"),
        date: find("date"),
        result: find("result"),
        method: find("method"),
        reference: find("reference"),
    };
    if cols.technique.is_none() || cols.asset.is_none() || cols.date.is_none() {
        let header_len = text.find('\n').unwrap_or(text.len());
        r.diags.push(
            Diagnostic::error(
                Code::InvalidEvidence,
                "an evidence CSV needs the columns `technique`, `asset` and `date`",
            )
            .with_label(Span::new(file, 0, header_len), "header row")
            .with_help(
                "the first row names the columns: technique,asset,date,result,method,reference",
            ),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for rec in reader.records() {
        match rec {
            Ok(rec) => out.push(csv_row(file, text, &cols, &rec)),
            Err(e) => r.diags.push(csv_error(file, text, &e)),
        }
    }
    out
}

fn csv_row(file: FileId, text: &str, cols: &Columns, rec: &::csv::StringRecord) -> Row {
    let start = rec
        .position()
        .and_then(|p| usize::try_from(p.byte()).ok())
        .unwrap_or(0);
    let line = rec
        .position()
        .and_then(|p| usize::try_from(p.line()).ok())
        .unwrap_or(1);
    let line_text = text.get(start..).unwrap_or("");
    let line_len = line_text.find('\n').unwrap_or(line_text.len());
    let line_text = line_text.get(..line_len).unwrap_or("");
    let field = |c: Option<usize>| -> Option<Spanned<String>> {
        let v = rec.get(c?)?.trim();
        if v.is_empty() {
            return None;
        }
        // The field's place in the line (its first occurrence; quoted fields too).
        let off = line_text.find(v).unwrap_or(0);
        Some(Spanned::new(
            Span::new(file, start + off, v.len()),
            v.to_string(),
        ))
    };
    Row {
        line,
        span: Span::new(file, start, line_len),
        technique: field(cols.technique),
        asset: field(cols.asset),
        date: field(cols.date),
        result: field(cols.result),
        method: field(cols.method).map(|s| s.value),
        reference: field(cols.reference).map(|s| s.value),
    }
}

fn csv_error(file: FileId, text: &str, e: &::csv::Error) -> Diagnostic {
    let start = e
        .position()
        .and_then(|p| usize::try_from(p.byte()).ok())
        .unwrap_or(0)
        .min(text.len());
    Diagnostic::error(
        Code::InvalidEvidence,
        format!(
            "invalid CSV: {}",
            crate::model::yaml::lowercase_first(&e.to_string())
        ),
    )
    .with_label(Span::new(file, start, 0), "here")
}
