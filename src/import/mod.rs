//! Import: read foreign detection-rule inventories (Sigma, Splunk ESCU, Elastic
//! detection-rules, ATT&CK Navigator layers, CSV) into neutral [`ImportedRule`] records.
//!
//! This module is self-contained: it depends on no other threatc module, so the model
//! loader and the CLI can both call it. It never prints; everything it finds goes into
//! the returned [`ImportResult`], sorted so that the same input gives the same output.
//!
//! Problem codes (stable, kebab-case):
//!
//! | code | meaning | fatal for the file |
//! | --- | --- | --- |
//! | `import-path-not-found` | the path, folder or glob matched no file | - |
//! | `import-outside-root` | a file or folder resolves outside the repository root | yes |
//! | `import-symlink-loop` | a symbolic link leads back to a folder being walked | yes |
//! | `import-too-deep` | a folder walk went deeper than the limit | yes |
//! | `import-read-error` | the file could not be read | yes |
//! | `import-not-utf8` | the file is not UTF-8 text | yes |
//! | `import-file-too-large` | the file is over 10 MiB | yes |
//! | `import-empty-file` | the file holds nothing (or only white space) | - |
//! | `import-no-rule` | the file parsed but holds no rule | - |
//! | `import-bad-glob` | an import path or exclude pattern is not a valid glob | yes |
//! | `import-parse-error` | the file is not valid YAML / TOML / JSON / CSV | yes |
//! | `import-missing-field` | a rule lacks its id or title; a stand-in is used | no |
//! | `import-missing-column` | a CSV header lacks a required column | yes |
//! | `import-bad-technique-id` | a technique reference is not `T####` or `T####.###` | no |
//! | `import-navigator-unscored` | a layer lists techniques but none counts (score > 0) | no |
//! | `import-too-many-problems` | further problems in one file were not listed | no |

mod csv;
pub mod dettect;
mod elastic;
mod navigator;
mod paths;
pub mod reach;
mod sigma;
mod splunk;

use crate::diag::Code;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rayon::prelude::*;

pub use paths::find_root;
pub use reach::{Reach, Unscoped};

/// Files above this size are not read.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// At most this many problems are listed for one file; the rest are summarised.
const MAX_PROBLEMS_PER_FILE: usize = 200;

/// A foreign rule-inventory format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Sigma rules (YAML, possibly several documents per file).
    Sigma,
    /// Splunk ESCU detections (YAML with `tags.mitre_attack_id`).
    Splunk,
    /// Elastic detection-rules (TOML with `[[rule.threat]]`).
    Elastic,
    /// ATT&CK Navigator layer (JSON, layer format 4.x).
    Navigator,
    /// A CSV table with `id`, `name`, `techniques` and optional `status` columns.
    Csv,
}

impl Format {
    /// Every format, in a stable order.
    pub const ALL: [Format; 5] = [
        Format::Sigma,
        Format::Splunk,
        Format::Elastic,
        Format::Navigator,
        Format::Csv,
    ];

    /// The lowercase name used on the command line and in models.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Sigma => "sigma",
            Format::Splunk => "splunk",
            Format::Elastic => "elastic",
            Format::Navigator => "navigator",
            Format::Csv => "csv",
        }
    }

    /// File extensions (lowercase, without dot) picked when walking a folder.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Sigma | Format::Splunk => &["yml", "yaml"],
            Format::Elastic => &["toml"],
            Format::Navigator => &["json"],
            Format::Csv => &["csv"],
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of [`Format::from_str`]: the name is not a known format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown import format `{}` (expected one of: sigma, splunk, elastic, navigator, csv)",
            self.0
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == lower)
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// One detection rule read from a foreign inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedRule {
    /// Path of the file as discovered, relative to the base folder when it lies under it.
    pub source: PathBuf,
    /// Line where the rule starts (1-based), when known.
    pub line: Option<u32>,
    /// Column where the rule starts (1-based), when known.
    pub column: Option<u32>,
    /// The rule's own id (Sigma `id`, Splunk `id`, Elastic `rule.rule_id`, CSV `id`,
    /// Navigator `<layer file stem>:<technique>`).
    pub id: String,
    /// The rule's title (Sigma `title`, Splunk `name`, Elastic `rule.name`, CSV `name`).
    pub title: String,
    /// The source's status, verbatim (Elastic: `[metadata] maturity`).
    pub status: Option<String>,
    /// Distinct technique ids, in the order the source lists them.
    pub techniques: Vec<TechniqueRef>,
    /// The source marks the rule deprecated.
    pub deprecated: bool,
    /// Where it runs and what it reads (Sigma `logsource`, Splunk `data_source`, Elastic
    /// tags and indexes, CSV `platforms`/`data_components` columns), as the source names
    /// them: resolve checks the names against the catalog.
    pub reach: Reach,
    /// Sigma `level` (informational, low, medium, high, critical), verbatim.
    pub level: Option<String>,
    /// False-positive notes the source lists (Sigma `falsepositives`, Elastic
    /// `false_positives`), placeholders such as `Unknown` or `None` left out.
    pub false_positives: usize,
    /// Tests of the rule the source records (CSV `validation_date` and companions).
    pub validations: Vec<ImportedValidation>,
}

/// A test of an imported rule, as its source records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedValidation {
    /// When it was run.
    pub date: crate::date::Date,
    /// Whether the rule detected it (false: `not-detected`).
    pub detected: bool,
    /// How, verbatim.
    pub method: Option<String>,
    /// A ticket, report or link.
    pub reference: Option<String>,
}

/// A technique id named by a rule, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechniqueRef {
    /// Normalised, upper-case id: `T1059` or `T1059.001`.
    pub id: String,
    /// Line of the tag / value (1-based), when known.
    pub line: Option<u32>,
    /// Column of the tag / value (1-based), when known.
    pub column: Option<u32>,
}

/// Something wrong with an input file or path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// The file (or path spec) concerned.
    pub path: PathBuf,
    /// Line (1-based), when known.
    pub line: Option<u32>,
    /// Column (1-based), when known.
    pub column: Option<u32>,
    /// Stable code; see the module documentation.
    pub code: Code,
    /// One line, lowercase start, user input in backticks, no trailing period.
    pub message: String,
    /// Advice, when there is any.
    pub help: Option<String>,
    /// The file (or path) was not imported at all.
    pub fatal_for_file: bool,
}

/// The trimmed text of a field every rule should have, or `stand_in` with an
/// `import-missing-field` problem at the rule (the same for every format).
pub(crate) fn field_or(
    value: Option<&str>,
    stand_in: &str,
    missing: impl FnOnce() -> ImportProblem,
    problems: &mut Vec<ImportProblem>,
) -> String {
    match value.map(str::trim) {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => {
            problems.push(missing());
            stand_in.to_string()
        }
    }
}

/// A rule's id and title, each the file stem with an `import-missing-field` problem at the
/// rule when the source lacks it. `kind` names the record ("splunk detection"), the
/// `*_key`s the source's field names.
pub(crate) fn id_and_title(
    path: &Path,
    (line, column): (Option<u32>, Option<u32>),
    kind: &str,
    (id, id_key): (Option<&str>, &str),
    (title, title_key): (Option<&str>, &str),
    problems: &mut Vec<ImportProblem>,
) -> (String, String) {
    let stem = file_stem(path);
    let missing = |what: String| {
        ImportProblem::new(
            path,
            Code::ImportMissingField,
            format!("{what}; using `{stem}`"),
        )
        .at(line, column)
    };
    let id = field_or(
        id,
        &stem,
        || missing(format!("{kind} has no `{id_key}`")),
        problems,
    );
    let title = field_or(
        title,
        &stem,
        || missing(format!("{kind} `{id}` has no `{title_key}`")),
        problems,
    );
    (id, title)
}

impl ImportedRule {
    /// A rule from its parts; the source status is trimmed and `deprecated` (any case)
    /// marks the rule deprecated, as Sigma, Splunk, Elastic and CSV all spell it.
    pub(crate) fn from_parts(
        path: &Path,
        (line, column): (Option<u32>, Option<u32>),
        id: String,
        title: String,
        status: Option<&str>,
        techniques: Vec<TechniqueRef>,
    ) -> ImportedRule {
        let status = status.map(|s| s.trim().to_string());
        let deprecated = status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("deprecated"));
        ImportedRule {
            source: path.to_path_buf(),
            line,
            column,
            id,
            title,
            status,
            techniques,
            deprecated,
            reach: Reach::none(),
            level: None,
            false_positives: 0,
            validations: Vec::new(),
        }
    }
}

/// A source's false-positive notes, as a list or one text; anything else says nothing.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub(crate) enum FalsePositives {
    /// A list of notes.
    Many(Vec<Option<String>>),
    /// One note.
    One(String),
    /// Something else (a map, a number): not counted.
    Other(#[allow(dead_code)] serde::de::IgnoredAny),
}

impl FalsePositives {
    /// How many notes name a real false positive: placeholders (`Unknown`, `None`,
    /// `Unlikely`, `N/A`, `-`, empty) are left out.
    pub(crate) fn count(&self) -> usize {
        fn real(s: &str) -> bool {
            let t = s.trim().trim_end_matches('.').to_ascii_lowercase();
            !matches!(
                t.as_str(),
                "" | "unknown" | "none" | "unlikely" | "n/a" | "-"
            )
        }
        match self {
            FalsePositives::Many(v) => v.iter().flatten().filter(|s| real(s)).count(),
            FalsePositives::One(s) => usize::from(real(s)),
            FalsePositives::Other(_) => 0,
        }
    }
}

impl ImportProblem {
    pub(crate) fn new(path: &Path, code: Code, message: impl Into<String>) -> Self {
        ImportProblem {
            path: path.to_path_buf(),
            line: None,
            column: None,
            code,
            message: message.into(),
            help: None,
            fatal_for_file: false,
        }
    }

    pub(crate) fn at(mut self, line: Option<u32>, column: Option<u32>) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn fatal(mut self) -> Self {
        self.fatal_for_file = true;
        self
    }

    fn sort_key(&self) -> (&Path, Option<u32>, Option<u32>, &str, &str) {
        (
            &self.path,
            self.line,
            self.column,
            self.code.as_str(),
            self.message.as_str(),
        )
    }
}

/// Counts of rules that were read but need the caller's attention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkipCounts {
    /// Rules without any valid technique id (not in `rules`; listed in `no_technique`).
    pub no_technique: usize,
    /// Rules marked deprecated (kept in `rules` with `deprecated: true`).
    pub deprecated: usize,
}

/// Everything an import found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportResult {
    /// Rules with at least one technique, sorted by (source, line, id).
    pub rules: Vec<ImportedRule>,
    /// Problems, sorted by (path, line, column, code, message).
    pub problems: Vec<ImportProblem>,
    /// Number of files that were opened and parsed (successfully or not).
    pub files_read: usize,
    /// Counts of rules that need attention.
    pub skipped: SkipCounts,
    /// Rules without a technique: (source, id, title), sorted.
    pub no_technique: Vec<(PathBuf, String, String)>,
    /// ATT&CK versions declared by Navigator layers (`versions.attack`), sorted by path.
    pub attack_versions: Vec<(PathBuf, String)>,
}

/// Where to look and what is allowed.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The folder that relative path specs and exclude globs are relative to (the model's folder).
    pub base_dir: PathBuf,
    /// Every file read must lie under this folder (after resolving `..` and links).
    pub root: PathBuf,
    /// Lift the root restriction (for trusted, local use only).
    pub allow_outside_root: bool,
    /// Globs, relative to `base_dir`, of files and folders to leave out (`**/deprecated/**`).
    pub exclude: Vec<String>,
}

impl ImportOptions {
    /// Options for a base folder, with the root found from it by [`find_root`].
    pub fn new(base_dir: impl Into<PathBuf>) -> Self {
        let base_dir = base_dir.into();
        let root = find_root(&base_dir);
        ImportOptions {
            base_dir,
            root,
            allow_outside_root: false,
            exclude: Vec::new(),
        }
    }
}

/// What one format parser returns for one file.
#[derive(Debug, Default)]
pub(crate) struct FileOutcome {
    pub rules: Vec<ImportedRule>,
    pub problems: Vec<ImportProblem>,
    pub attack_version: Option<String>,
}

/// Import every file that `path_spec` names.
///
/// `path_spec` is a file, a folder (walked recursively, files picked by the format's
/// extensions, hidden entries skipped) or a glob such as `detections/**/*.yml`, relative
/// to `opts.base_dir`. Files are parsed in parallel; the result does not depend on timing.
pub fn import(format: Format, path_spec: &str, opts: &ImportOptions) -> ImportResult {
    let confine = crate::fsio::Confine::new(&opts.root, opts.allow_outside_root);
    import_confined(format, path_spec, opts, &confine)
}

/// [`import`] with the confinement already made from `opts` (its root and
/// `allow_outside_root`), so that a caller that needs it too resolves the root once.
pub fn import_confined(
    format: Format,
    path_spec: &str,
    opts: &ImportOptions,
    confine: &crate::fsio::Confine,
) -> ImportResult {
    let discovery = paths::discover(format, path_spec, opts, confine.root());
    let mut problems = discovery.problems;

    let outcomes: Vec<FileOutcome> = discovery
        .files
        .par_iter()
        .map(|file| read_and_parse(format, file, confine))
        .collect();

    let files_read = discovery.files.len();
    let mut rules = Vec::new();
    let mut no_technique = Vec::new();
    let mut attack_versions = Vec::new();
    let mut skipped = SkipCounts::default();

    for (file, outcome) in discovery.files.iter().zip(outcomes) {
        let mut file_problems = outcome.problems;
        file_problems.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        if file_problems.len() > MAX_PROBLEMS_PER_FILE {
            let dropped = file_problems.len() - MAX_PROBLEMS_PER_FILE;
            file_problems.truncate(MAX_PROBLEMS_PER_FILE);
            file_problems.push(ImportProblem::new(
                &file.display,
                Code::ImportTooManyProblems,
                format!("{dropped} further problems in this file were not listed"),
            ));
        }
        problems.extend(file_problems);
        if let Some(v) = outcome.attack_version {
            attack_versions.push((file.display.clone(), v));
        }
        for rule in outcome.rules {
            if rule.deprecated {
                skipped.deprecated += 1;
            }
            if rule.techniques.is_empty() {
                skipped.no_technique += 1;
                no_technique.push((rule.source, rule.id, rule.title));
            } else {
                rules.push(rule);
            }
        }
    }

    rules.sort_by(|a, b| {
        (&a.source, a.line, &a.id, a.column).cmp(&(&b.source, b.line, &b.id, b.column))
    });
    problems.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    no_technique.sort();
    attack_versions.sort();

    ImportResult {
        rules,
        problems,
        files_read,
        skipped,
        no_technique,
        attack_versions,
    }
}

fn read_and_parse(
    format: Format,
    file: &paths::FoundFile,
    confine: &crate::fsio::Confine,
) -> FileOutcome {
    let path = &file.display;
    let (text, outside_root) = match read_text(&file.real, path, confine) {
        Ok(t) => t,
        Err(p) => {
            return FileOutcome {
                problems: vec![*p],
                ..FileOutcome::default()
            }
        }
    };
    let mut outcome = parse_text(format, path, &text);
    if outside_root {
        // Read under --allow-outside-root: its problems are located, never quoted.
        for p in &mut outcome.problems {
            p.message = format!(
                "{} in a file outside the repository root (its text is not shown)",
                p.code
            );
            p.help = None;
        }
    }
    outcome
}

fn parse_text(format: Format, path: &Path, text: &str) -> FileOutcome {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return FileOutcome {
            problems: vec![
                ImportProblem::new(path, Code::ImportEmptyFile, "file is empty")
                    .at(Some(1), Some(1))
                    .help("delete the file or exclude it"),
            ],
            ..FileOutcome::default()
        };
    }
    match format {
        Format::Sigma => sigma::parse(path, text),
        Format::Splunk => splunk::parse(path, text),
        Format::Elastic => elastic::parse(path, text),
        Format::Navigator => navigator::parse(path, text),
        Format::Csv => csv::parse(path, text),
    }
}

/// Read a file as UTF-8 text through the confined opener ([`crate::fsio::read`]):
/// inside the root, a regular file, at most [`MAX_FILE_BYTES`]. A refused file is never
/// opened.
fn read_text(
    real: &Path,
    display: &Path,
    confine: &crate::fsio::Confine,
) -> Result<(String, bool), Box<ImportProblem>> {
    use crate::fsio::Refusal;

    let opened = crate::fsio::read(real, confine, MAX_FILE_BYTES).map_err(|r| {
        let p = match &r {
            Refusal::OutsideRoot => ImportProblem::new(
                display,
                Code::ImportOutsideRoot,
                format!(
                    "`{}` resolves outside the repository root `{}`; not read",
                    display.display(),
                    confine.shown_root().display()
                ),
            )
            .help("import only files inside the repository (`..` and symbolic links are resolved first), or pass --allow-outside-root"),
            Refusal::TooLarge { len, .. } => ImportProblem::new(
                display,
                Code::ImportFileTooLarge,
                format!("file is {len} bytes, over the {MAX_FILE_BYTES}-byte limit"),
            )
            .help("split the inventory or exclude this file"),
            other => ImportProblem::new(
                display,
                Code::ImportReadError,
                format!("`{}` {}", display.display(), other.phrase()),
            ),
        };
        Box::new(p.fatal())
    })?;
    let outside_root = opened.outside_root;
    let bytes = opened.bytes;
    String::from_utf8(bytes)
        .map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let (line, column) = e
                .as_bytes()
                .get(..offset)
                .and_then(|b| std::str::from_utf8(b).ok())
                .map(|prefix| line_col(prefix, prefix.len()))
                .unwrap_or((None, None));
            Box::new(
                ImportProblem::new(
                    display,
                    Code::ImportNotUtf8,
                    format!("file is not UTF-8 text (invalid byte at offset {offset})"),
                )
                .at(line, column)
                .help("save the file as UTF-8, or exclude it if it is not a rule file")
                .fatal(),
            )
        })
        .map(|t| (t, outside_root))
}

/// A technique id, normalised: trimmed, upper-case, `T####` or `T####.###`.
pub fn normalize_technique_id(raw: &str) -> Option<String> {
    crate::technique_id::normalize(raw)
}

/// Collects technique references for one rule: normalises, drops duplicates, and
/// reports ids that are not technique ids.
pub(crate) struct TechniqueCollector<'a> {
    path: &'a Path,
    rule_id: String,
    seen: BTreeSet<String>,
    pub refs: Vec<TechniqueRef>,
    pub problems: Vec<ImportProblem>,
}

impl<'a> TechniqueCollector<'a> {
    pub fn new(path: &'a Path, rule_id: &str) -> Self {
        TechniqueCollector {
            path,
            rule_id: rule_id.to_string(),
            seen: BTreeSet::new(),
            refs: Vec::new(),
            problems: Vec::new(),
        }
    }

    pub fn add(&mut self, raw: &str, line: Option<u32>, column: Option<u32>) {
        self.add_written(raw, raw, line, column);
    }

    /// Like [`Self::add`], quoting `written` (e.g. the whole Sigma tag) in a problem.
    pub fn add_written(
        &mut self,
        raw: &str,
        written: &str,
        line: Option<u32>,
        column: Option<u32>,
    ) {
        match normalize_technique_id(raw) {
            Some(id) => {
                if self.seen.insert(id.clone()) {
                    self.refs.push(TechniqueRef { id, line, column });
                }
            }
            None => self.problems.push(
                ImportProblem::new(
                    self.path,
                    Code::ImportBadTechniqueId,
                    format!(
                        "rule `{}` names `{}`, which is not an ATT&CK technique id",
                        self.rule_id,
                        one_line(written.trim())
                    ),
                )
                .at(line, column)
                .help("technique ids look like `T1059` or `T1059.001`"),
            ),
        }
    }
}

/// Line and column (1-based, in characters) of a byte offset in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (Option<u32>, Option<u32>) {
    let Some(prefix) = text.get(..offset) else {
        return (None, None);
    };
    let line = prefix.bytes().filter(|b| *b == b'\n').count() + 1;
    let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
    let column = prefix.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (u32::try_from(line).ok(), u32::try_from(column).ok())
}

/// Cut a user-supplied or library message down to one line for a problem message.
pub(crate) fn one_line(s: &str) -> String {
    const MAX: usize = 200;
    let first = s.lines().next().unwrap_or("").trim();
    let mut out: String = first.chars().take(MAX).collect();
    if first.chars().count() > MAX || s.lines().nth(1).is_some_and(|l| !l.trim().is_empty()) {
        out.push('…');
    }
    out
}

/// Lowercase the first character and drop a trailing period, for problem messages.
pub(crate) fn lower_first(s: &str) -> String {
    let s = one_line(s);
    let s = s.trim_end_matches('.');
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The file name without extension, for stand-in ids and titles.
pub(crate) fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// An overview of an import, for `threatc import FORMAT PATH`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rules with at least one technique (deprecated ones included).
    pub rules: usize,
    /// Of those, rules marked deprecated.
    pub deprecated: usize,
    /// Rules without a technique.
    pub no_technique: usize,
    /// Files read.
    pub files: usize,
    /// Number of rules naming each technique id. A sub-technique counts only for itself,
    /// not for its parent; deprecated rules count (as `sigma analyze attack` counts).
    pub techniques: BTreeMap<String, usize>,
    /// Number of problems.
    pub problems: usize,
}

/// Count rules per technique.
pub fn summarize(res: &ImportResult) -> Summary {
    let mut techniques = BTreeMap::new();
    for rule in &res.rules {
        for t in &rule.techniques {
            *techniques.entry(t.id.clone()).or_insert(0) += 1;
        }
    }
    Summary {
        rules: res.rules.len(),
        deprecated: res.rules.iter().filter(|r| r.deprecated).count(),
        no_technique: res.skipped.no_technique,
        files: res.files_read,
        techniques,
        problems: res.problems.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids_are_normalised() {
        assert_eq!(
            normalize_technique_id(" t1059.001 ").as_deref(),
            Some("T1059.001")
        );
        assert_eq!(normalize_technique_id("T1003").as_deref(), Some("T1003"));
        for bad in [
            "T159",
            "T1059.1",
            "TA0002",
            "T1059.0011",
            "",
            "1059",
            "T1059.",
        ] {
            assert_eq!(normalize_technique_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
        assert_eq!("SIGMA".parse::<Format>(), Ok(Format::Sigma));
        assert!("yaml".parse::<Format>().is_err());
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncé d", 7), (Some(2), Some(4)));
        assert_eq!(line_col("x", 0), (Some(1), Some(1)));
    }
}
