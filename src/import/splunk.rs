//! Splunk ESCU detections: one YAML document per file with `name`, `id`, `status`
//! (production / experimental / deprecated) and `tags.mitre_attack_id: [T1003.001, …]`.
//!
//! Ids are recorded exactly as listed: ESCU usually lists both a sub-technique and its
//! parent, and both are kept; nothing is added.

use crate::diag::Code;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::sigma::{span_of, yaml_options, yaml_problem};
use super::{id_and_title, FileOutcome, ImportProblem, ImportedRule, TechniqueCollector};

#[derive(Debug, Default, Deserialize)]
struct SplunkDoc {
    name: Option<String>,
    id: Option<String>,
    status: Option<String>,
    tags: Option<SplunkTags>,
    data_source: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
struct SplunkTags {
    mitre_attack_id: Option<Vec<Spanned<String>>>,
}

pub(crate) fn parse(path: &Path, text: &str) -> FileOutcome {
    let mut out = FileOutcome::default();
    let doc: Option<Spanned<SplunkDoc>> =
        match serde_saphyr::from_str_with_options(text, yaml_options()) {
            Ok(d) => d,
            Err(e) => {
                out.problems.push(yaml_problem(path, &e));
                return out;
            }
        };
    let Some(doc) = doc else {
        out.problems.push(
            ImportProblem::new(
                path,
                Code::ImportMissingField,
                "file holds no splunk detection",
            )
            .help("a detection is a YAML mapping with `name`, `id` and `tags.mitre_attack_id`"),
        );
        return out;
    };
    let (line, column) = span_of(&doc);
    let doc = doc.value;

    let (id, title) = id_and_title(
        path,
        (line, column),
        "splunk detection",
        (doc.id.as_deref(), "id"),
        (doc.name.as_deref(), "name"),
        &mut out.problems,
    );

    let mut techniques = TechniqueCollector::new(path, &id);
    for t in doc
        .tags
        .and_then(|t| t.mitre_attack_id)
        .into_iter()
        .flatten()
    {
        let (l, c) = span_of(&t);
        techniques.add(&t.value, l, c);
    }
    out.problems.append(&mut techniques.problems);
    let mut rule = ImportedRule::from_parts(
        path,
        (line, column),
        id,
        title,
        doc.status.as_deref(),
        techniques.refs,
    );
    rule.reach = super::reach::splunk(doc.data_source.iter().flatten().map(String::as_str));
    out.rules.push(rule);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_escu_fields() {
        let yaml = "name: X\nid: 1-2\nstatus: deprecated\ntags:\n  mitre_attack_id:\n  - T1560.001\n  - T1560\n";
        let out = parse(Path::new("d.yml"), yaml);
        assert!(out.problems.is_empty());
        let r = &out.rules[0];
        assert!(r.deprecated);
        assert_eq!(r.techniques.len(), 2);
        assert_eq!(r.techniques[1].line, Some(7));
    }

    #[test]
    fn data_sources_give_platforms() {
        let yaml = "name: X\nid: 1\ndata_source:\n- Sysmon EventID 1\n- Windows Event Log Security 4688\ntags:\n  mitre_attack_id: [T1003.001]\n";
        let r = &parse(Path::new("d.yml"), yaml).rules[0];
        assert_eq!(r.reach.platforms, ["Windows"]);
        assert_eq!(r.reach.data_components, ["Process Creation"]);
    }
}
