//! ATT&CK Navigator layers (layer format 4.x, JSON).
//!
//! A `techniques[]` entry counts when `enabled` is not `false` **and** its `score` is a
//! number above 0. Colour, comment or mere presence do not count: Navigator exports list
//! every technique a user touched, and an entry with no score is usually a note, not a
//! claim of coverage. Each distinct technique that counts becomes one rule with id
//! `<layer file stem>:<technique id>` (a technique listed under several tactics is one
//! rule), titled with the first line of its comment, else `layer <name>`.
//! `versions.attack` is recorded so the caller can compare it with its catalog.

use crate::diag::Code;
use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::{
    file_stem, line_col, lower_first, one_line, FileOutcome, ImportProblem, ImportedRule,
    TechniqueCollector,
};

#[derive(Debug, Default, Deserialize)]
struct Layer {
    name: Option<String>,
    versions: Option<Versions>,
    techniques: Option<Vec<Entry>>,
}

#[derive(Debug, Default, Deserialize)]
struct Versions {
    attack: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Entry {
    #[serde(rename = "techniqueID")]
    technique_id: Option<String>,
    score: Option<Value>,
    enabled: Option<bool>,
    comment: Option<String>,
}

impl Entry {
    fn counts(&self) -> bool {
        self.enabled != Some(false)
            && self
                .score
                .as_ref()
                .and_then(Value::as_f64)
                .is_some_and(|s| s > 0.0)
    }
}

/// Where a counted technique was first written (line, column) and its title, if any.
type Counted = (Option<u32>, Option<u32>, Option<String>);

pub(crate) fn parse(path: &Path, text: &str) -> FileOutcome {
    let mut out = FileOutcome::default();
    let layer: Layer = match serde_json::from_str(text) {
        Ok(l) => l,
        Err(e) => {
            out.problems.push(json_problem(path, &e));
            return out;
        }
    };
    out.attack_version = layer
        .versions
        .and_then(|v| v.attack)
        .and_then(attack_version);
    let Some(entries) = layer.techniques else {
        out.problems.push(
            ImportProblem::new(
                path,
                Code::ImportMissingField,
                "layer has no `techniques` list",
            )
            .help("is this an ATT&CK Navigator layer file?")
            .fatal(),
        );
        return out;
    };

    let stem = file_stem(path);
    let mut collector = TechniqueCollector::new(path, &stem);
    let mut counted = count_entries(text, &entries, &mut collector);
    out.problems.append(&mut collector.problems);
    if counted.is_empty() && !entries.is_empty() {
        out.problems.push(
            ImportProblem::new(
                path,
                Code::ImportNavigatorUnscored,
                format!(
                    "layer lists {} techniques but none has a score above 0",
                    entries.len()
                ),
            )
            .help("a layer technique counts when `enabled` is not false and `score` is above 0"),
        );
    }

    let layer_title = format!("layer {}", layer.name.as_deref().unwrap_or(&stem).trim());
    for t in &collector.refs {
        let (line, column, title) = counted.remove(&t.id).unwrap_or((None, None, None));
        out.rules.push(ImportedRule {
            source: path.to_path_buf(),
            line,
            column,
            id: format!("{stem}:{}", t.id),
            title: title.unwrap_or_else(|| layer_title.clone()),
            status: None,
            techniques: vec![t.clone()],
            deprecated: false,
            // A layer says nothing of platforms (its `filters` are for display).
            reach: super::Reach::none(),
            level: None,
            false_positives: 0,
            validations: Vec::new(),
        });
    }
    out
}

/// Invalid JSON, at serde's line and column (cut from the message).
fn json_problem(path: &Path, e: &serde_json::Error) -> ImportProblem {
    let msg = e.to_string();
    let msg = msg
        .rfind(" at line ")
        .map_or(msg.as_str(), |i| msg.get(..i).unwrap_or(msg.as_str()));
    ImportProblem::new(
        path,
        Code::ImportParseError,
        format!("invalid JSON: {}", lower_first(msg)),
    )
    .at(u32::try_from(e.line()).ok(), u32::try_from(e.column()).ok())
    .fatal()
}

/// `versions.attack` as text (`"18"` or `18`), if any.
fn attack_version(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// The entries that count, into `collector`; for each distinct technique, where it was
/// first written and the first title (comment) given to it.
fn count_entries(
    text: &str,
    entries: &[Entry],
    collector: &mut TechniqueCollector,
) -> BTreeMap<String, Counted> {
    // Where each entry's `techniqueID` is written, when that can be told unambiguously.
    let marks: Vec<usize> = text
        .match_indices("\"techniqueID\"")
        .map(|(i, _)| i)
        .collect();
    let located = marks.len() == entries.len();
    let mut counted: BTreeMap<String, Counted> = BTreeMap::new();
    for (i, entry) in entries.iter().enumerate() {
        if !entry.counts() {
            continue;
        }
        let (line, column) = if located {
            marks
                .get(i)
                .map_or((None, None), |&offset| line_col(text, offset))
        } else {
            (None, None)
        };
        let raw = entry.technique_id.as_deref().unwrap_or("");
        let before = collector.refs.len();
        collector.add(raw, line, column);
        let title = entry
            .comment
            .as_deref()
            .map(one_line)
            .filter(|c| !c.is_empty());
        if collector.refs.len() > before {
            if let Some(t) = collector.refs.last() {
                counted.insert(t.id.clone(), (line, column, title));
            }
        } else if let Some(existing) =
            super::normalize_technique_id(raw).and_then(|id| counted.get_mut(&id))
        {
            if existing.2.is_none() {
                existing.2 = title;
            }
        }
    }
    counted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_decide() {
        let json = r#"{
  "name": "cov",
  "versions": {"attack": "18", "layer": "4.5"},
  "techniques": [
    {"techniqueID": "T1059", "tactic": "execution", "score": 3, "comment": "edr\nmore"},
    {"techniqueID": "T1059", "tactic": "defense-evasion", "score": 1},
    {"techniqueID": "T1003", "score": 0},
    {"techniqueID": "T1110", "score": 5, "enabled": false},
    {"techniqueID": "T1078"},
    {"techniqueID": "T1566.001", "score": 1.5}
  ]
}"#;
        let out = parse(Path::new("layers/cov.json"), json);
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        assert_eq!(out.attack_version.as_deref(), Some("18"));
        let ids: Vec<_> = out.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["cov:T1059", "cov:T1566.001"]);
        assert_eq!(out.rules[0].title, "edr…");
        assert_eq!(out.rules[0].line, Some(5));
        assert_eq!(out.rules[1].title, "layer cov");
    }

    #[test]
    fn unscored_layer_is_reported() {
        let out = parse(
            Path::new("l.json"),
            r#"{"techniques":[{"techniqueID":"T1059"}]}"#,
        );
        assert!(out.rules.is_empty());
        assert_eq!(out.problems[0].code, Code::ImportNavigatorUnscored);
    }
}
