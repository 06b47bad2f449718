//! Schema validation: the model's JSON Schema (generated from the v1 types) checked
//! with `jsonschema`, each error turned into a diagnostic at the offending node.

use super::yaml::{Node, Value};
use crate::diag::Code;
use crate::diag::Diagnostic;
use crate::source::Span;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value as J;
use std::sync::OnceLock;

struct Compiled {
    schema: J,
    validator: jsonschema::Validator,
}

struct Schemas {
    /// The whole model file.
    file: Compiled,
    /// One entry of `rules:` (the `RuleEntry` definition), validated one at a time.
    rule: Compiled,
}

fn compile(schema: J) -> Option<Compiled> {
    let validator = jsonschema::options()
        .should_validate_formats(false)
        .build(&schema)
        .ok()?;
    Some(Compiled { schema, validator })
}

/// `schemas/threatc-model-v1.schema.json`.
const COMMITTED_SCHEMA: &str = include_str!("../../schemas/threatc-model-v1.schema.json");

fn compiled() -> Option<&'static Schemas> {
    static C: OnceLock<Option<Schemas>> = OnceLock::new();
    C.get_or_init(|| {
        // The committed schema, which tests/build.rs keeps equal to what the v1 types
        // generate (`threatc schema model`): parsing it is a quarter of generating it.
        let schema: J = serde_json::from_str(COMMITTED_SCHEMA).ok()?;
        let rule = serde_json::json!({
            "$defs": reachable_defs(&schema, "RuleEntry"),
            "$ref": "#/$defs/RuleEntry",
        });
        Some(Schemas {
            file: compile(schema)?,
            rule: compile(rule)?,
        })
    })
    .as_ref()
}

/// The `$defs` of `schema` that `root` reaches through `$ref`s, itself included: the rule
/// validator needs 7 of the 29, and compiling (and checking against the meta-schema) the
/// other 22 cost every run a millisecond.
fn reachable_defs(schema: &J, root: &str) -> J {
    fn refs<'s>(v: &'s J, out: &mut Vec<&'s str>) {
        match v {
            J::Object(m) => {
                for (k, x) in m {
                    match (
                        k.as_str(),
                        x.as_str().and_then(|r| r.strip_prefix("#/$defs/")),
                    ) {
                        ("$ref", Some(name)) => out.push(name),
                        _ => refs(x, out),
                    }
                }
            }
            J::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let Some(defs) = schema.get("$defs").and_then(J::as_object) else {
        return J::Null;
    };
    let mut kept = serde_json::Map::new();
    let mut todo = vec![root];
    while let Some(name) = todo.pop() {
        if kept.contains_key(name) {
            continue;
        }
        if let Some(d) = defs.get(name) {
            kept.insert(name.to_string(), d.clone());
            refs(d, &mut todo);
        }
    }
    J::Object(kept)
}

/// Validates a parsed file against the model schema; returns all problems.
pub fn validate(root: &Node) -> Vec<Diagnostic> {
    let Some(c) = compiled() else {
        return vec![Diagnostic::error(
            Code::SchemaValue,
            "internal error: the model schema did not compile",
        )];
    };
    let mut out = Vec::new();
    // Large inventories: validate the file without its rules, then each rule on its
    // own, so the JSON copy of a 50,000-rule model never exists whole.
    let rules = match &root.value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, v)| k.as_str() == Some("rules") && matches!(v.value, Value::Seq(_)))
            .map(|(_, v)| v),
        _ => None,
    };
    let mut json = match rules {
        Some(_) => root.to_json_without("rules"),
        None => root.to_json(),
    };
    for e in c.file.validator.iter_errors(&json) {
        out.extend(convert(&c.file, root, "", &e));
    }
    if let (Some(rules), J::Object(m)) = (rules, &mut json) {
        m.clear();
        if let Value::Seq(items) = &rules.value {
            for (i, item) in items.iter().enumerate() {
                let j = item.to_json();
                let prefix = format!("/rules/{i}");
                if c.rule.validator.is_valid(&j) {
                    continue;
                }
                for e in c.rule.validator.iter_errors(&j) {
                    out.extend(convert(&c.rule, root, &prefix, &e));
                }
            }
        }
    }
    out.sort_by_key(|d| d.primary().map(|s| s.start));
    out.dedup_by(|a, b| a.message == b.message && a.primary() == b.primary());
    out
}

fn json_type(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "a list",
        J::Object(_) => "a mapping",
    }
}

fn type_word(t: &str) -> &'static str {
    match t {
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean (true or false)",
        "array" => "a list",
        "object" => "a mapping",
        "null" => "null",
        _ => "a value",
    }
}

/// The schema object that the keyword at `schema_path` belongs to, following `$ref`s.
fn schema_at<'a>(schema: &'a J, evaluation_path: &str) -> Option<&'a J> {
    let mut cur = schema;
    let segs: Vec<String> = evaluation_path
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    // Drop the final keyword itself.
    let upto = segs.len().saturating_sub(1);
    for seg in segs.iter().take(upto) {
        if seg == "$ref" {
            let r = cur.get("$ref")?.as_str()?;
            cur = resolve_ref(schema, r)?;
            continue;
        }
        cur = match cur {
            J::Object(m) => m.get(seg.as_str())?,
            J::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    if let Some(r) = cur.get("$ref").and_then(J::as_str) {
        if cur.get("properties").is_none() {
            return resolve_ref(schema, r);
        }
    }
    Some(cur)
}

fn resolve_ref<'a>(schema: &'a J, r: &str) -> Option<&'a J> {
    let path = r.strip_prefix('#')?;
    schema.pointer(path)
}

fn property_names(s: &J) -> Vec<String> {
    s.get("properties")
        .and_then(J::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The nearest key or value, on a tie the first in the schema's order.
fn nearest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    crate::suggest::nearest(word, candidates.iter().map(String::as_str))
}

fn key_span(node: &Node, key: &str) -> Span {
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.key_text() == key)
            .map(|(k, _)| k.span)
            .unwrap_or(node.span),
        _ => node.span,
    }
}

fn last_segment(pointer: &str) -> String {
    pointer
        .rsplit('/')
        .next()
        .unwrap_or("")
        .replace("~1", "/")
        .replace("~0", "~")
}

/// Where a validation error points in the model: the node, its JSON pointer (with the
/// prefix of a rule validated on its own) and its last segment (a key, or a list index).
struct At<'a> {
    node: &'a Node,
    path: String,
    field: String,
}

fn convert(
    c: &Compiled,
    root: &Node,
    prefix: &str,
    e: &jsonschema::ValidationError<'_>,
) -> Vec<Diagnostic> {
    let path = format!("{prefix}{}", e.instance_path().as_str());
    let at = At {
        node: root.at_pointer(&path),
        field: last_segment(&path),
        path,
    };
    let value = e.instance();
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            unknown_keys(c, &at, e.evaluation_path().as_str(), unexpected)
        }
        ValidationErrorKind::Required { property } => vec![missing_key(&at, property)],
        ValidationErrorKind::Type { kind } => vec![wrong_type(&at, kind, value)],
        ValidationErrorKind::Enum { options } => {
            vec![enum_error(at.node, &at.field, value, &strings(options))]
        }
        ValidationErrorKind::Pattern { .. } => vec![wrong_shape(&at, value)],
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            vec![out_of_range(
                &at,
                value,
                "below the minimum",
                limit,
                "too small",
            )]
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            vec![out_of_range(
                &at,
                value,
                "above the maximum",
                limit,
                "too large",
            )]
        }
        ValidationErrorKind::Format { format } => vec![Diagnostic::error(
            Code::SchemaValue,
            format!("`{value}` is not a valid {format}"),
        )
        .with_label(at.node.span, "")],
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            no_branch_matches(c, root, prefix, &at, value, context)
        }
        _ => {
            let msg = super::yaml::lowercase_first(&e.to_string());
            vec![Diagnostic::error(Code::SchemaValue, msg).with_label(at.node.span, "")]
        }
    }
}

/// Keys the section does not have, each with the nearest key or the list of keys.
fn unknown_keys(c: &Compiled, at: &At, eval: &str, unexpected: &[String]) -> Vec<Diagnostic> {
    let allowed = schema_at(&c.schema, eval)
        .map(property_names)
        .unwrap_or_default();
    unexpected
        .iter()
        .map(|k| {
            let mut d = Diagnostic::error(Code::SchemaUnknownKey, format!("unknown key `{k}`"))
                .with_label(key_span(at.node, k), "not a key of this section");
            let help = match nearest(k, &allowed) {
                Some(n) => format!("did you mean `{n}`?"),
                None if !allowed.is_empty() => {
                    format!("the keys here are: {}", allowed.join(", "))
                }
                None => String::new(),
            };
            if !help.is_empty() {
                d = d.with_help(help);
            }
            d
        })
        .collect()
}

fn missing_key(at: &At, property: &J) -> Diagnostic {
    let p = property.as_str().unwrap_or("?");
    let where_ = if at.field.parse::<usize>().is_ok() {
        "this entry".to_string()
    } else if at.path.is_empty() {
        "the model".to_string()
    } else {
        format!("`{}`", at.field)
    };
    Diagnostic::error(
        Code::SchemaMissingKey,
        format!("missing required key `{p}` in {where_}"),
    )
    .with_label(at.node.span, format!("`{p}` is required here"))
}

/// A value of the wrong type, with a hint for the usual YAML slips (`yes`, an empty
/// value, a single value where a list is expected).
fn wrong_type(at: &At, kind: &jsonschema::error::TypeKind, value: &J) -> Diagnostic {
    let expected = match kind {
        jsonschema::error::TypeKind::Single(t) => type_word(&t.to_string()).to_string(),
        jsonschema::error::TypeKind::Multiple(ts) => {
            let v: Vec<&str> = ts.iter().map(|t| type_word(&t.to_string())).collect();
            v.join(" or ")
        }
    };
    let found = json_type(value);
    let field = &at.field;
    let d = Diagnostic::error(
        Code::SchemaType,
        format!("expected {expected}, found {found}"),
    )
    .with_label(at.node.span, format!("`{field}` must be {expected}"));
    if found == "a string" && expected.contains("boolean") {
        d.with_help("booleans are written `true` or `false` (YAML 1.2); `yes`, `no`, `on` and `off` are strings")
    } else if found == "null" {
        d.with_help("the value is empty; write a value or remove the key")
    } else if found == "a string" && expected.contains("list") {
        d.with_help(format!(
            "write a list: `{field}: [{}]`",
            at.node.as_str().unwrap_or("…")
        ))
    } else {
        d
    }
}

/// The strings of an enum's options.
fn strings(options: &J) -> Vec<String> {
    options
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A model name or an id that does not match its pattern.
fn wrong_shape(at: &At, value: &J) -> Diagnostic {
    let given = value.as_str().unwrap_or("");
    let help = if at.field == "name" {
        "a model name is a slug: lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit".to_string()
    } else {
        "ids start with a letter or digit and use letters, digits, `.`, `_` and `-` (rule ids also `:` and `/`), at most 64 characters (rules 128)".to_string()
    };
    Diagnostic::error(
        Code::SchemaValue,
        format!("`{given}` is not a valid {}", field_noun(&at.field)),
    )
    .with_label(at.node.span, "wrong shape")
    .with_help(help)
}

/// A number outside its bounds (`threatc:` outside them is a version this threatc does
/// not read).
fn out_of_range(at: &At, value: &J, bound: &str, limit: &J, label: &str) -> Diagnostic {
    if at.path == "/threatc" {
        return unsupported_version(at.node);
    }
    Diagnostic::error(
        Code::SchemaValue,
        format!("`{value}` is {bound} of {limit} for `{}`", at.field),
    )
    .with_label(at.node.span, label)
}

/// No branch of an `anyOf`/`oneOf` matched. A list of constants (an enum with
/// documented variants) is an enum error; otherwise the errors of the branch that got
/// furthest, or a type error of the value.
fn no_branch_matches(
    c: &Compiled,
    root: &Node,
    prefix: &str,
    at: &At,
    value: &J,
    context: &[Vec<jsonschema::ValidationError<'static>>],
) -> Vec<Diagnostic> {
    let consts: Option<Vec<String>> = context
        .iter()
        .map(|b| match b.as_slice() {
            [one] => match one.kind() {
                ValidationErrorKind::Constant { expected_value } => {
                    expected_value.as_str().map(str::to_string)
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    if let Some(opts) = consts.filter(|o| !o.is_empty()) {
        return vec![enum_error(at.node, &at.field, value, &opts)];
    }
    // Errors deeper in the value first, else errors that are not a type mismatch of the
    // value itself.
    let score = |b: &Vec<jsonschema::ValidationError<'static>>| -> u8 {
        if b.iter()
            .any(|be| prefix.len() + be.instance_path().as_str().len() > at.path.len())
        {
            2
        } else if b.iter().all(|be| {
            !(format!("{prefix}{}", be.instance_path().as_str()) == at.path
                && matches!(be.kind(), ValidationErrorKind::Type { .. }))
        }) {
            1
        } else {
            0
        }
    };
    if let Some(best) = context
        .iter()
        .filter(|b| !b.is_empty())
        .max_by_key(|b| score(b))
    {
        if score(best) > 0 {
            return best
                .iter()
                .flat_map(|be| convert(c, root, prefix, be))
                .collect();
        }
    }
    let found = json_type(value);
    vec![Diagnostic::error(
        Code::SchemaType,
        format!("`{}` cannot be {found}", at.field),
    )
    .with_label(at.node.span, "wrong type")
    .with_help(status_help(&at.field))]
}

fn enum_error(node: &Node, field: &str, instance: &J, opts: &[String]) -> Diagnostic {
    let given = instance
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| instance.to_string());
    let mut d = Diagnostic::error(
        Code::SchemaValue,
        format!("`{given}` is not a valid {}", field_noun(field)),
    )
    .with_label(node.span, format!("expected one of: {}", opts.join(", ")));
    if let Some(n) = nearest(&given, opts).or_else(|| completion(&given, opts)) {
        d = d.with_help(format!("did you mean `{n}`?"));
    }
    d
}

/// The one option that `word` (3 letters or more) begins, or that begins with
/// `word`, case-insensitively: a shortened or lengthened value (`test` → `testing`,
/// `prod` → `production`) is too far from its option by edit distance.
fn completion<'a>(word: &str, opts: &'a [String]) -> Option<&'a str> {
    let w = word.trim().to_lowercase();
    if w.chars().count() < 3 {
        return None;
    }
    let mut found = opts.iter().filter(|o| {
        let o = o.to_lowercase();
        o.starts_with(&w) || w.starts_with(&o)
    });
    match (found.next(), found.next()) {
        (Some(o), None) => Some(o.as_str()),
        _ => None,
    }
}

fn status_help(field: &str) -> String {
    if field == "status" {
        "an inline rule's status is one of production, testing, planned, retired; an import's is a mapping such as `{stable: production, test: testing}`".into()
    } else {
        "see schemas/threatc-model-v1.schema.json for what this key takes".into()
    }
}

fn unsupported_version(node: &Node) -> Diagnostic {
    let found = match &node.value {
        Value::Int(i) => i.to_string(),
        _ => node.key_text(),
    };
    Diagnostic::error(
        Code::UnsupportedVersion,
        format!("model format version `{found}` is not supported"),
    )
    .with_label(node.span, "this threatc reads format 1")
    .with_help("write `threatc: 1`, or upgrade threatc")
}

fn field_noun(field: &str) -> String {
    if field.parse::<usize>().is_ok() {
        "value".into()
    } else {
        format!("`{field}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule validator's schema keeps every definition a rule entry reaches, and only
    /// those: each `$ref` in it resolves.
    #[test]
    fn rule_schema_keeps_what_rule_entries_reach() {
        let schema: J = serde_json::from_str(COMMITTED_SCHEMA).unwrap();
        let defs = reachable_defs(&schema, "RuleEntry");
        let kept = defs.as_object().unwrap();
        assert!(kept.contains_key("RuleEntry"));
        assert!(kept.len() < schema["$defs"].as_object().unwrap().len());
        let mut refs = Vec::new();
        fn walk<'s>(v: &'s J, out: &mut Vec<&'s str>) {
            match v {
                J::Object(m) => m.iter().for_each(|(k, x)| match (k.as_str(), x.as_str()) {
                    ("$ref", Some(r)) => out.push(r),
                    _ => walk(x, out),
                }),
                J::Array(a) => a.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        walk(&defs, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            let name = r.strip_prefix("#/$defs/").unwrap();
            assert!(kept.contains_key(name), "{r} not kept");
        }
        assert!(compiled().is_some(), "both validators compile");
    }
}
