//! Elastic detection-rules: TOML with `[metadata] maturity`, `[rule] rule_id, name` and
//! `[[rule.threat]]` tables.
//!
//! Only threats with `framework = "MITRE ATT&CK"` count. Every id listed is recorded as
//! written: a `[[rule.threat.technique]]` id **and** each of its
//! `[[rule.threat.technique.subtechnique]]` ids. The Elastic inventories always list the
//! parent technique above its sub-techniques (e.g. `T1059` with `T1059.001` and
//! `T1059.003`), meaning the rule is about that technique through those sub-techniques;
//! keeping both lets coverage be read at either level. An id listed under two threats
//! (two tactics) counts once. A rule with maturity `deprecated`, or whose file lies under
//! a `_deprecated` folder, is marked deprecated.

use crate::diag::Code;
use std::path::{Component, Path};

use serde::Deserialize;
use toml::Spanned;

use super::{
    id_and_title, line_col, lower_first, FileOutcome, ImportProblem, ImportedRule,
    TechniqueCollector,
};

#[derive(Debug, Default, Deserialize)]
struct ElasticFile {
    metadata: Option<Metadata>,
    rule: Option<Spanned<Rule>>,
}

#[derive(Debug, Default, Deserialize)]
struct Metadata {
    maturity: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Rule {
    rule_id: Option<String>,
    name: Option<String>,
    #[serde(default)]
    threat: Vec<Threat>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    index: Vec<String>,
    false_positives: Option<super::FalsePositives>,
}

#[derive(Debug, Default, Deserialize)]
struct Threat {
    framework: Option<String>,
    #[serde(default)]
    technique: Vec<Technique>,
}

#[derive(Debug, Default, Deserialize)]
struct Technique {
    id: Option<Spanned<String>>,
    #[serde(default)]
    subtechnique: Vec<SubTechnique>,
}

#[derive(Debug, Default, Deserialize)]
struct SubTechnique {
    id: Option<Spanned<String>>,
}

pub(crate) fn parse(path: &Path, text: &str) -> FileOutcome {
    let mut out = FileOutcome::default();
    let file: ElasticFile = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let (line, column) = e
                .span()
                .map_or((None, None), |span| line_col(text, span.start));
            out.problems.push(
                ImportProblem::new(
                    path,
                    Code::ImportParseError,
                    format!("invalid TOML: {}", lower_first(e.message())),
                )
                .at(line, column)
                .fatal(),
            );
            return out;
        }
    };
    let Some(rule) = file.rule else {
        out.problems.push(
            ImportProblem::new(path, Code::ImportMissingField, "file has no `[rule]` table")
                .help("elastic detection rules keep `rule_id`, `name` and `[[rule.threat]]` under `[rule]`")
                .fatal(),
        );
        return out;
    };
    let (line, column) = line_col(text, rule.span().start);
    let rule = rule.into_inner();

    let (id, title) = id_and_title(
        path,
        (line, column),
        "elastic rule",
        (rule.rule_id.as_deref(), "rule_id"),
        (rule.name.as_deref(), "name"),
        &mut out.problems,
    );

    let reach = super::reach::elastic(
        rule.tags.iter().map(String::as_str),
        rule.index.iter().map(String::as_str),
    );
    let false_positives = rule
        .false_positives
        .as_ref()
        .map_or(0, super::FalsePositives::count);
    let mut techniques = TechniqueCollector::new(path, &id);
    let mut add = |s: &Spanned<String>| {
        let (l, c) = line_col(text, s.span().start);
        techniques.add(s.get_ref(), l, c);
    };
    for threat in &rule.threat {
        if threat.framework.as_deref().map(str::trim) != Some("MITRE ATT&CK") {
            continue;
        }
        for technique in &threat.technique {
            if let Some(id) = &technique.id {
                add(id);
            }
            for sub in &technique.subtechnique {
                if let Some(id) = &sub.id {
                    add(id);
                }
            }
        }
    }
    out.problems.append(&mut techniques.problems);

    let in_deprecated_folder = path
        .components()
        .any(|c| matches!(c, Component::Normal(n) if n == "_deprecated"));
    let maturity = file.metadata.and_then(|m| m.maturity);
    let mut rule = ImportedRule::from_parts(
        path,
        (line, column),
        id,
        title,
        maturity.as_deref(),
        techniques.refs,
    );
    rule.deprecated |= in_deprecated_folder;
    rule.reach = reach;
    rule.false_positives = false_positives;
    out.rules.push(rule);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = r#"[metadata]
maturity = "production"

[rule]
rule_id = "r1"
name = "Rule"

[[rule.threat]]
framework = "MITRE ATT&CK"

[[rule.threat.technique]]
id = "T1059"

[[rule.threat.technique.subtechnique]]
id = "T1059.001"

[[rule.threat]]
framework = "Other"

[[rule.threat.technique]]
id = "T1003"
"#;

    #[test]
    fn technique_and_subtechniques_recorded() {
        let out = parse(Path::new("x.toml"), RULE);
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let r = &out.rules[0];
        let ids: Vec<_> = r.techniques.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["T1059", "T1059.001"]);
        assert_eq!(r.techniques[0].line, Some(12));
        assert_eq!(r.status.as_deref(), Some("production"));
    }

    #[test]
    fn os_tags_and_indexes_give_platforms() {
        let text = RULE.replace(
            "name = \"Rule\"\n",
            "name = \"Rule\"\ntags = [\"OS: Linux\", \"Data Source: Auditd Manager\"]\nindex = [\"auditbeat-*\"]\n",
        );
        let r = &parse(Path::new("x.toml"), &text).rules[0];
        assert_eq!(r.reach.platforms, ["Linux"]);
        assert_eq!(r.reach.data_components, ["Command Execution"]);
        let r = &parse(Path::new("x.toml"), RULE).rules[0];
        assert_eq!(r.reach.unscoped, Some(crate::import::Unscoped::NoPlatform));
    }

    #[test]
    fn deprecated_folder() {
        let out = parse(Path::new("rules/_deprecated/x.toml"), RULE);
        assert!(out.rules[0].deprecated);
    }

    #[test]
    fn bad_toml_has_line() {
        let out = parse(Path::new("x.toml"), "[rule]\nname = \"a\"\nname = \"b\"\n");
        assert_eq!(out.problems[0].code, Code::ImportParseError);
        assert_eq!(out.problems[0].line, Some(3));
    }
}
