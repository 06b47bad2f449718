//! YAML text → a spanned value tree ([`Node`]).
//!
//! serde-saphyr does the parsing (YAML 1.2, duplicate keys rejected, alias bombs
//! and nesting bounded); this module keeps a span for every node so that the schema
//! stage and the semantic stage can label the exact value they reject.

use crate::diag::Code;
use crate::diag::Diagnostic;
use crate::source::{FileId, SourceFile, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A YAML value with its span.
#[derive(Clone, Debug)]
pub struct Node {
    /// Where the value was written.
    pub span: Span,
    /// The value.
    pub value: Value,
}

/// A YAML value.
#[derive(Clone, Debug)]
pub enum Value {
    /// `null`, `~` or empty.
    Null,
    /// `true` / `false` (YAML 1.2 spellings only).
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    /// A float.
    Float(f64),
    /// A string (quoted or plain).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key node of `key` in a mapping.
    pub fn key_node(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))
                .map(|(k, _)| k),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A JSON value for schema validation. Keys that are not strings are written as
    /// their YAML text so that the schema reports them as unknown keys.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::UInt(u) => J::from(*u),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or_else(|| J::String(f.to_string())),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut m = serde_json::Map::with_capacity(entries.len());
                for (k, v) in entries {
                    m.insert(k.key_text(), v.to_json());
                }
                J::Object(m)
            }
        }
    }

    /// [`Node::to_json`] of a mapping without one of its keys.
    pub fn to_json_without(&self, key: &str) -> serde_json::Value {
        match &self.value {
            Value::Map(entries) => {
                let mut m = serde_json::Map::with_capacity(entries.len());
                for (k, v) in entries {
                    if k.as_str() != Some(key) {
                        m.insert(k.key_text(), v.to_json());
                    }
                }
                serde_json::Value::Object(m)
            }
            _ => self.to_json(),
        }
    }

    /// The text of a key node.
    pub fn key_text(&self) -> String {
        match &self.value {
            Value::Str(s) => s.clone(),
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Seq(_) => "[…]".into(),
            Value::Map(_) => "{…}".into(),
        }
    }

    /// Follows a JSON pointer (`/actors/0/group`) as far as it goes; returns the
    /// deepest node reached.
    pub fn at_pointer(&self, pointer: &str) -> &Node {
        let mut node = self;
        for seg in pointer.split('/').skip(1) {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            let next = match &node.value {
                Value::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k.key_text() == seg)
                    .map(|(_, v)| v),
                Value::Seq(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node
    }

    /// A short name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::UInt(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// What serde-saphyr deserializes. Children are turned into [`Node`]s as soon as they
/// are read, so the tree exists once in memory (a 50,000-rule model is millions of
/// values).
struct Raw(Value);

thread_local! {
    /// The file being parsed, for the spans of the nodes built while it is read.
    static PARSING: std::cell::Cell<FileId> = const { std::cell::Cell::new(0) };
}

fn node_of(raw: serde_saphyr::Spanned<Raw>) -> Node {
    let file = PARSING.with(|f| f.get());
    let s = raw.referenced.span();
    let span = match (s.byte_offset(), s.byte_len()) {
        (Some(off), Some(len)) => Span::new(file, off as usize, len as usize),
        _ => Span::new(file, 0, 0),
    };
    Node {
        span,
        value: raw.value.0,
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw(Value::Null))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
                Raw::deserialize(d)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Raw, E> {
                Ok(Raw(Value::Bool(b)))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Raw, E> {
                Ok(Raw(Value::Int(i)))
            }
            fn visit_i128<E: de::Error>(self, i: i128) -> Result<Raw, E> {
                match i64::try_from(i) {
                    Ok(i) => Ok(Raw(Value::Int(i))),
                    Err(_) => Ok(Raw(Value::Float(i as f64))),
                }
            }
            fn visit_u64<E>(self, u: u64) -> Result<Raw, E> {
                Ok(match i64::try_from(u) {
                    Ok(i) => Raw(Value::Int(i)),
                    Err(_) => Raw(Value::UInt(u)),
                })
            }
            fn visit_u128<E: de::Error>(self, u: u128) -> Result<Raw, E> {
                match u64::try_from(u) {
                    Ok(u) => self.visit_u64(u),
                    Err(_) => Ok(Raw(Value::Float(u as f64))),
                }
            }
            fn visit_f64<E>(self, f: f64) -> Result<Raw, E> {
                Ok(Raw(Value::Float(f)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
                Ok(Raw(Value::Str(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Raw, E> {
                Ok(Raw(Value::Str(s)))
            }
            fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<Raw, E> {
                Ok(Raw(Value::Str(String::from_utf8_lossy(b).into_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(item) = seq.next_element::<serde_saphyr::Spanned<Raw>>()? {
                    items.push(node_of(item));
                }
                items.shrink_to_fit();
                Ok(Raw(Value::Seq(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
                let mut entries = Vec::new();
                while let Some(k) = map.next_key::<serde_saphyr::Spanned<Raw>>()? {
                    let v = map.next_value::<serde_saphyr::Spanned<Raw>>()?;
                    entries.push((node_of(k), node_of(v)));
                }
                entries.shrink_to_fit();
                Ok(Raw(Value::Map(entries)))
            }
        }
        d.deserialize_any(V)
    }
}

fn span_of(file: FileId, src: &SourceFile, loc: &serde_saphyr::Location) -> Span {
    let s = loc.span();
    match (s.byte_offset(), s.byte_len()) {
        (Some(off), Some(len)) => Span::new(file, off as usize, len as usize),
        _ => {
            let off = src.offset_of(loc.line() as usize, loc.column() as usize);
            Span::new(file, off, 0)
        }
    }
}

/// Shifts spans past a byte-order mark and gives collections (whose span is their
/// start) the length of their first line, so that a label underlines something visible.
fn finish(node: &mut Node, src: &SourceFile, by: u32) {
    node.span.start = node.span.start.saturating_add(by);
    if node.span.len == 0 || matches!(node.value, Value::Seq(_) | Value::Map(_)) {
        let rest = src.text.get(node.span.start as usize..).unwrap_or("");
        let line_len = rest.find('\n').unwrap_or(rest.len());
        let len = rest
            .get(..line_len)
            .map(|l| l.trim_end().len())
            .unwrap_or(0);
        node.span.len = u32::try_from(len.max(1).min(rest.len())).unwrap_or(0);
    }
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| finish(n, src, by)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            finish(k, src, by);
            finish(v, src, by);
        }),
        _ => {}
    }
}

/// Parser options: strict booleans, duplicate keys rejected, and limits that fit real
/// inventories (a 50,000-rule model) while bounding hostile input.
pub fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = 40_000_000;
    budget.max_nodes = 10_000_000;
    budget.max_total_scalar_bytes = 256 * 1024 * 1024;
    budget.max_depth = 64;
    budget.max_aliases = 10_000;
    budget.max_anchors = 10_000;
    budget.max_recorded_anchor_events = 100_000;
    let mut options = serde_saphyr::options! {
        budget: Some(budget),
        strict_booleans: true,
    };
    options.alias_limits.max_total_replayed_events = 100_000;
    options
}

/// Parses one YAML document into a spanned tree.
pub fn parse(file: FileId, src: &SourceFile) -> Result<Node, Diagnostic> {
    let text: &str = &src.text;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = src.text.len() - text.len();
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(
            Diagnostic::error(Code::EmptyModel, "the file holds no YAML document")
                .with_label(Span::new(file, 0, 0), "empty")
                .with_help("a model starts with `threatc: 1` and a `model:` section"),
        );
    }
    PARSING.with(|f| f.set(file));
    match serde_saphyr::from_str_with_options::<serde_saphyr::Spanned<Raw>>(text, options()) {
        Ok(raw) => {
            let mut node = node_of(raw);
            finish(&mut node, src, bom as u32);
            Ok(node)
        }
        Err(e) => Err(yaml_error(file, src, &e, bom)),
    }
}

fn yaml_error(file: FileId, src: &SourceFile, e: &serde_saphyr::Error, bom: usize) -> Diagnostic {
    let full = e.to_string();
    let mut message = full
        .lines()
        .next()
        .unwrap_or("invalid YAML")
        .trim()
        .to_string();
    // serde-saphyr writes "error: line L column C: …" or "… at line L, column C"; the
    // label says where.
    if let Some(rest) = message.strip_prefix("error: ") {
        message = rest.to_string();
    }
    if message.starts_with("line ") {
        if let Some(i) = message.find(": ") {
            message = message.get(i + 2..).unwrap_or("").to_string();
        }
    }
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    if let Some(i) = message.find(", set DuplicateKeyPolicy") {
        message.truncate(i);
    }
    if message.contains("budget breached") {
        let what = message
            .split("budget breached:")
            .nth(1)
            .unwrap_or("")
            .trim();
        let what = what.split([' ', '{']).next().unwrap_or("").to_string();
        message = format!("the YAML exceeds a safety limit ({what})");
    }
    let lower = message.to_lowercase();
    let code = if lower.contains("duplicate") {
        Code::YamlDuplicateKey
    } else if lower.contains("budget")
        || lower.contains("limit")
        || lower.contains("depth")
        || lower.contains("alias")
        || lower.contains("too many")
        || lower.contains("exceed")
    {
        Code::YamlLimit
    } else {
        Code::YamlSyntax
    };
    let mut message = lowercase_first(message.trim_end_matches('.'));
    if let Some(key) = message.strip_prefix("duplicate mapping key: ") {
        message = format!("duplicate key `{key}`");
    }
    let mut d = Diagnostic::error(code, message);
    let mut labels = Vec::new();
    if let Some(loc) = e.location() {
        if loc.line() > 0 {
            let mut span = span_of(file, src, &loc);
            span.start = span.start.saturating_add(bom as u32);
            if span.len == 0 {
                span.len = 1;
            }
            labels.push(span);
        }
    }
    match labels.first() {
        Some(span) => d = d.with_label(*span, "here"),
        None => d = d.with_label(Span::new(file, 0, 0), ""),
    }
    if code == Code::YamlDuplicateKey {
        if let Some(first) = labels.first().and_then(|s| first_occurrence(src, *s)) {
            d = d.with_label(first, "first defined here");
        }
        d = d.with_help("each key may appear once in a mapping; merge the two entries");
    } else if code == Code::YamlLimit {
        d = d.with_help("threatc bounds nesting (64 levels), aliases and document size to stay safe on hostile input");
    }
    d
}

/// For a duplicate key in block style, the earlier line of the same mapping that holds
/// the same key: same indentation, nothing less indented in between.
fn first_occurrence(src: &SourceFile, dup: Span) -> Option<Span> {
    let text: &str = &src.text;
    let start = dup.start as usize;
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..)?.lines().next()?;
    let indent = line.len() - line.trim_start().len();
    let key = line
        .trim_start()
        .trim_start_matches("- ")
        .split(':')
        .next()?
        .trim();
    if key.is_empty() {
        return None;
    }
    let mut offset = line_start;
    for prev in text.get(..line_start)?.lines().rev() {
        offset = offset.checked_sub(prev.len() + 1)?;
        let trimmed = prev.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let pind = prev.len() - trimmed.len();
        if pind < indent {
            return None;
        }
        if pind == indent {
            let pkey = trimmed.split(':').next().unwrap_or("").trim();
            if pkey == key
                && trimmed
                    .get(pkey.len()..)
                    .is_some_and(|r| r.trim_start().starts_with(':'))
            {
                return Some(Span::new(dup.file, offset + pind, pkey.len()));
            }
            if trimmed.starts_with("- ") {
                return None;
            }
        }
    }
    None
}

/// Upper-cases nothing: makes the first letter lower-case, as diagnostics are written.
pub fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
