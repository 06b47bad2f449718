//! Sigma rules: YAML, one rule per document, ATT&CK techniques in `tags` as
//! `attack.t1059` / `attack.t1059.001` (any case).
//!
//! Only technique tags count: tactic (`attack.execution`), group (`attack.g0032`) and
//! software (`attack.s0002`) tags and other namespaces (`car.*`, `cve.*`, `detection.*`)
//! are not techniques. A sub-technique tag names only the sub-technique; the parent is not
//! added (this is how `sigma analyze attack` counts). A tag listed twice counts once.
//!
//! Sigma v1 rule collections are supported in their simple form: a document with
//! `action: global` supplies fields missing from the documents after it, `action: reset`
//! drops it, and `action: repeat` starts from the previous rule document.

use crate::diag::Code;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::{DuplicateKeyPolicy, MessageFormatter, Spanned, UserMessageFormatter};

use super::{
    field_or, file_stem, lower_first, FileOutcome, ImportProblem, ImportedRule, TechniqueCollector,
};

#[derive(Debug, Clone, Default, Deserialize)]
struct SigmaDoc {
    title: Option<Spanned<String>>,
    id: Option<Spanned<String>>,
    status: Option<String>,
    tags: Option<Vec<Spanned<String>>>,
    action: Option<String>,
    logsource: Option<LogSource>,
    level: Option<String>,
    falsepositives: Option<super::FalsePositives>,
}

/// A rule's `logsource`: where its events come from.
#[derive(Debug, Clone, Default, Deserialize)]
struct LogSource {
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
}

impl SigmaDoc {
    /// Fields of `self`, falling back to `base` where `self` has none.
    fn over(self, base: Option<&SigmaDoc>) -> SigmaDoc {
        let Some(base) = base else { return self };
        SigmaDoc {
            title: self.title.or_else(|| base.title.clone()),
            id: self.id.or_else(|| base.id.clone()),
            status: self.status.or_else(|| base.status.clone()),
            tags: self.tags.or_else(|| base.tags.clone()),
            action: self.action,
            logsource: self.logsource.or_else(|| base.logsource.clone()),
            level: self.level.or_else(|| base.level.clone()),
            falsepositives: self.falsepositives.or_else(|| base.falsepositives.clone()),
        }
    }
}

/// The YAML reading options shared by the YAML formats: YAML 1.2 booleans only,
/// duplicate keys rejected, the default budget (ample for single rule files).
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: DuplicateKeyPolicy::Error,
        budget: Some(serde_saphyr::Budget::default()),
        with_snippet: false,
    }
}

/// A YAML error as a problem at the error's line and column.
pub(crate) fn yaml_problem(path: &Path, err: &serde_saphyr::Error) -> ImportProblem {
    let (line, column) = err.location().map_or((None, None), |loc| {
        (to_u32(loc.line()), to_u32(loc.column()))
    });
    // The user formatter leaves out internal advice; the location is kept in the fields.
    let text = UserMessageFormatter.format_message(err.without_snippet());
    ImportProblem::new(
        path,
        Code::ImportParseError,
        format!("invalid YAML: {}", lower_first(&text)),
    )
    .at(line, column)
    .fatal()
}

/// A saphyr line or column (0 means unknown) as an `Option<u32>`.
pub(crate) fn to_u32(n: u64) -> Option<u32> {
    if n == 0 {
        None
    } else {
        u32::try_from(n).ok()
    }
}

pub(crate) fn span_of<T>(s: &Spanned<T>) -> (Option<u32>, Option<u32>) {
    (to_u32(s.referenced.line()), to_u32(s.referenced.column()))
}

/// The technique part of an `attack.t…` tag, or `None` for any other tag.
fn technique_tag(tag: &str) -> Option<&str> {
    let (ns, name) = tag.trim().split_once('.')?;
    if !ns.eq_ignore_ascii_case("attack") {
        return None;
    }
    let mut chars = name.chars();
    let first = chars.next()?;
    let second = chars.next()?;
    ((first == 't' || first == 'T') && second.is_ascii_digit()).then_some(name)
}

pub(crate) fn parse(path: &Path, text: &str) -> FileOutcome {
    let mut out = FileOutcome::default();
    let docs: Vec<Spanned<SigmaDoc>> =
        match serde_saphyr::from_str_multiple_with_options(text, yaml_options()) {
            Ok(d) => d,
            Err(e) => {
                out.problems.push(yaml_problem(path, &e));
                return out;
            }
        };

    let stem = file_stem(path);
    let mut global: Option<SigmaDoc> = None;
    let mut previous: Option<SigmaDoc> = None;
    let mut rule_docs = 0usize;

    for spanned in docs {
        let (line, column) = span_of(&spanned);
        let doc = spanned.value;
        let merged = match doc.action.as_deref().map(str::trim) {
            Some("global") => {
                global = Some(doc);
                continue;
            }
            Some("reset") => {
                global = None;
                continue;
            }
            Some("repeat") => doc.over(previous.as_ref()),
            _ => doc.over(global.as_ref()),
        };
        if merged.title.is_none() && merged.id.is_none() && merged.tags.is_none() {
            continue; // not a rule (an empty or unrelated document)
        }
        previous = Some(merged.clone());
        rule_docs += 1;

        let id = match &merged.id {
            Some(id) if !id.value.trim().is_empty() => id.value.trim().to_string(),
            _ => {
                let stand_in = if rule_docs > 1 {
                    format!("{stem}#{rule_docs}")
                } else {
                    stem.clone()
                };
                out.problems.push(
                    ImportProblem::new(
                        path,
                        Code::ImportMissingField,
                        format!("sigma rule has no `id`; using `{stand_in}`"),
                    )
                    .at(line, column)
                    .help("give every rule a unique `id` (a UUID) so reports can track it"),
                );
                stand_in
            }
        };
        let title = field_or(
            merged.title.as_ref().map(|t| t.value.as_str()),
            &stem,
            || {
                ImportProblem::new(
                    path,
                    Code::ImportMissingField,
                    format!("sigma rule `{id}` has no `title`; using `{stem}`"),
                )
                .at(line, column)
            },
            &mut out.problems,
        );

        let mut techniques = TechniqueCollector::new(path, &id);
        for tag in merged.tags.iter().flatten() {
            if let Some(name) = technique_tag(&tag.value) {
                let (l, c) = span_of(tag);
                techniques.add_written(name, tag.value.trim(), l, c);
            }
        }
        out.problems.append(&mut techniques.problems);
        let mut rule = ImportedRule::from_parts(
            path,
            (line, column),
            id,
            title,
            merged.status.as_deref(),
            techniques.refs,
        );
        let ls = merged.logsource.unwrap_or_default();
        rule.reach = super::reach::sigma(
            ls.product.as_deref(),
            ls.category.as_deref(),
            ls.service.as_deref(),
        );
        rule.level = merged
            .level
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty());
        rule.false_positives = merged
            .falsepositives
            .as_ref()
            .map_or(0, super::FalsePositives::count);
        out.rules.push(rule);
    }
    if rule_docs == 0 {
        out.problems.push(
            ImportProblem::new(path, Code::ImportNoRule, "file holds no sigma rule")
                .at(Some(1), Some(1))
                .help("a sigma rule is a YAML document with `title`, `id` and `tags`"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_technique_tags_count() {
        assert_eq!(technique_tag("attack.t1059.001"), Some("t1059.001"));
        assert_eq!(technique_tag("attack.T1003"), Some("T1003"));
        assert_eq!(technique_tag("ATTACK.t1003"), Some("t1003"));
        for other in [
            "attack.execution",
            "attack.g0032",
            "attack.s0002",
            "attack.ta0002",
            "car.2016-04-005",
            "cve.2021-44228",
            "detection.threat-hunting",
            "attack",
        ] {
            assert_eq!(technique_tag(other), None, "{other}");
        }
    }

    #[test]
    fn rule_with_tags_and_lines() {
        let yaml = "title: Test\nid: abc\nstatus: test\ntags:\n  - attack.execution\n  - attack.t1059.001\n  - attack.T1059.001\n  - attack.t1003\n";
        let out = parse(Path::new("r.yml"), yaml);
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let rule = &out.rules[0];
        assert_eq!(rule.id, "abc");
        let ids: Vec<_> = rule.techniques.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["T1059.001", "T1003"]);
        assert_eq!(rule.techniques[0].line, Some(6));
        assert_eq!(rule.techniques[0].column, Some(5));
    }

    #[test]
    fn collections_merge_global() {
        let yaml = "action: global\ntitle: Shared\nstatus: deprecated\ntags: [attack.t1003]\n---\nid: one\n---\nid: two\ntitle: Own\n";
        let out = parse(Path::new("c.yml"), yaml);
        assert_eq!(out.rules.len(), 2);
        assert_eq!(out.rules[0].title, "Shared");
        assert_eq!(out.rules[1].title, "Own");
        assert!(out
            .rules
            .iter()
            .all(|r| r.deprecated && r.techniques.len() == 1));
    }

    #[test]
    fn logsource_and_level() {
        let yaml = "title: T\nid: a\nlevel: high\nfalsepositives: [Admin scripts, Unknown]\nlogsource:\n  product: windows\n  category: process_creation\ntags: [attack.t1003.001]\n---\ntitle: P\nid: b\nlogsource: {category: proxy}\ntags: [attack.t1071]\n";
        let out = parse(Path::new("r.yml"), yaml);
        let w = &out.rules[0];
        assert_eq!(w.level.as_deref(), Some("high"));
        assert_eq!(w.false_positives, 1);
        assert_eq!(w.reach.platforms, ["Windows"]);
        assert_eq!(w.reach.data_components, ["Process Creation"]);
        let p = &out.rules[1];
        assert_eq!(p.false_positives, 0);
        assert!(p.reach.platforms.is_empty());
        assert_eq!(
            p.reach.unscoped,
            Some(super::super::Unscoped::NetworkSensor)
        );
    }

    #[test]
    fn parse_error_has_location() {
        let out = parse(Path::new("bad.yml"), "title: x\ntags: [a, b\nid: 3\n");
        let p = &out.problems[0];
        assert_eq!(p.code, Code::ImportParseError);
        assert!(p.line.is_some(), "{p:?}");
        assert!(!p.message.contains('\n'));
    }
}
