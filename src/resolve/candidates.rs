//! `candidates:`: rule libraries the team may deploy from (a SigmaHQ checkout, Elastic or
//! Splunk content). Entries have the shape of rule imports and run through the same
//! importers and confined opener; their rules are kept apart from `rules` and never count
//! as coverage. The analysis ([`crate::analysis`]) lists the best few per gap and asset.

use super::context::Resolver;
use super::imports::{Entry, Extra};
use super::{Rule, RuleStatus};
use crate::diag::{Code, Diagnostic};
use crate::fsio;
use crate::model::load::{relative_to, Loaded};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A rule of a candidate library.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Candidate {
    /// The rule as the importers read it (its status is the source status mapped as for
    /// an import; it does not count).
    pub rule: Rule,
    /// Its file, relative to the model's repository when it lies there, else to the
    /// repository (`.git`) that holds the library, else to the folder the entry's `path:`
    /// names; `/`-separated.
    pub path: String,
    /// The source's own status, verbatim (Sigma `stable`, Elastic `production`…).
    pub source_status: Option<String>,
    /// False-positive notes its source lists (Sigma `falsepositives`, Elastic
    /// `false_positives`; placeholders such as `Unknown` left out).
    pub false_positives: usize,
}

impl Candidate {
    /// Whether it may be proposed at all: not retired (deprecated at its source).
    pub fn usable(&self) -> bool {
        self.rule.status != RuleStatus::Retired
    }
}

/// The `candidates:` entries of every model file, checked like rule imports (an entry
/// must be an import: `import:` and `path:`).
pub(super) fn entries(
    r: &mut Resolver<'_>,
    loaded: &Loaded,
    asset_ids: &BTreeSet<&str>,
) -> Vec<Entry> {
    let mut out = Vec::new();
    for f in &loaded.files {
        for e in &f.content.candidates {
            let Some(fmt) = &e.value.import else {
                r.diags.push(
                    Diagnostic::error(
                        Code::InvalidCandidate,
                        "a candidate entry needs `import:` (and `path:`)",
                    )
                    .with_label(e.span, "not an import")
                    .with_help("write `- import: sigma` with `path: ../sigma/rules`; candidate libraries are imports of rule files, never inline rules"),
                );
                continue;
            };
            out.extend(super::rules::import_entry(
                r,
                f,
                e,
                fmt,
                asset_ids,
                Code::InvalidCandidate,
            ));
        }
    }
    out
}

/// The candidate rules of the imports, with their display paths; a rule read twice (the
/// same file and id from two entries) is kept once.
pub(super) fn collect(loaded: &Loaded, rules: Vec<Rule>, extras: Vec<Extra>) -> Vec<Candidate> {
    let model_root = fsio::normalize(&fsio::absolute(&loaded.root_dir));
    let mut roots: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut out = Vec::new();
    for (rule, extra) in rules.into_iter().zip(extras) {
        let path = shown_path(&extra.file, &model_root, &extra.library, &mut roots);
        if !seen.insert((path.clone(), rule.id.clone())) {
            continue;
        }
        out.push(Candidate {
            rule,
            path,
            source_status: extra.source_status,
            false_positives: extra.false_positives,
        });
    }
    out.sort_by(|a, b| {
        (&a.path, a.rule.source.clone(), &a.rule.id).cmp(&(
            &b.path,
            b.rule.source.clone(),
            &b.rule.id,
        ))
    });
    out
}

/// A candidate file's path as shown: repository-relative (see [`Candidate::path`]).
fn shown_path(
    file: &Path,
    model_root: &Path,
    library: &Path,
    roots: &mut HashMap<PathBuf, Option<PathBuf>>,
) -> String {
    let abs = fsio::normalize(&fsio::absolute(file));
    if abs.starts_with(model_root) {
        return relative_to(&abs, model_root);
    }
    let parent = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let root = roots
        .entry(parent.clone())
        .or_insert_with(|| {
            let root = fsio::repo_root(&parent);
            root.join(".git").symlink_metadata().is_ok().then_some(root)
        })
        .clone();
    match root {
        Some(root) => relative_to(&abs, &root),
        None => relative_to(&abs, &fsio::normalize(&fsio::absolute(library))),
    }
}
