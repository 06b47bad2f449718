//! Splunk ESCU detections: one YAML document per file with `name`, `id`, `status`
//! (production / experimental / deprecated) and `tags.mitre_attack_id: [T1003.001, …]`.
//!
//! Ids are recorded exactly as listed: ESCU usually lists both a sub-technique and its
//! parent, and both are kept; nothing is added.

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::sigma::{span_of, yaml_options, yaml_problem};
use super::{file_stem, FileOutcome, ImportProblem, ImportedRule, TechniqueCollector};

#[derive(Debug, Default, Deserialize)]
struct SplunkDoc {
    name: Option<String>,
    id: Option<String>,
    status: Option<String>,
    tags: Option<SplunkTags>,
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
                "import-missing-field",
                "file holds no splunk detection",
            )
            .help("a detection is a YAML mapping with `name`, `id` and `tags.mitre_attack_id`"),
        );
        return out;
    };
    let (line, column) = span_of(&doc);
    let doc = doc.value;
    let stem = file_stem(path);

    let id = match doc.id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => {
            out.problems.push(
                ImportProblem::new(
                    path,
                    "import-missing-field",
                    format!("splunk detection has no `id`; using `{stem}`"),
                )
                .at(line, column),
            );
            stem.clone()
        }
    };
    let title = match doc.name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => {
            out.problems.push(
                ImportProblem::new(
                    path,
                    "import-missing-field",
                    format!("splunk detection `{id}` has no `name`; using `{stem}`"),
                )
                .at(line, column),
            );
            stem.clone()
        }
    };
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
    let status = doc.status.map(|s| s.trim().to_string());
    let deprecated = status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("deprecated"));
    out.rules.push(ImportedRule {
        source: path.to_path_buf(),
        line,
        column,
        id,
        title,
        status,
        techniques: techniques.refs,
        deprecated,
    });
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
}
