//! Runs a model's import entries and turns what the importers found into rules and
//! diagnostics: unknown, revoked and deprecated technique ids once per id with the
//! number of rules carrying them; status mapping; what yielded nothing.

use super::{ImportSummary, ResolveOptions, Rule, RuleSource, RuleStatus};
use crate::catalog::Catalog;
use crate::diag::Code;
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::fsio::Confine;
use crate::import::{self, Format, ImportOptions, ImportResult};
use crate::model::load::{display_path, find_repo_root, Loaded};
use crate::model::v1::{self, ImportFormat, StatusSpec};
use crate::source::{SourceMap, Span, Spanned};
use crate::words::plural;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// An import entry of the model, checked by the rules pass: what to run.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The folder of the model file that holds it.
    dir: PathBuf,
    format: Format,
    /// The path, glob or folder as written.
    path: Spanned<String>,
    /// Source status (lower-case) → model status.
    status_map: BTreeMap<String, RuleStatus>,
    follow_revoked: bool,
    exclude: Vec<String>,
    /// The assets its rules apply to (`assets:`; empty for all).
    assets: Vec<String>,
    /// The whole entry.
    span: Span,
}

impl Entry {
    pub(super) fn new(
        dir: PathBuf,
        format: ImportFormat,
        path: Spanned<String>,
        e: &v1::RuleEntry,
        span: Span,
        assets: Vec<String>,
    ) -> Option<Self> {
        let status_map = match e.status.as_ref().map(|s| &s.value) {
            Some(StatusSpec::Map(m)) => m
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), RuleStatus::from(*v)))
                .collect(),
            _ => BTreeMap::new(),
        };
        Some(Entry {
            dir,
            format: format_of(format)?,
            path,
            status_map,
            follow_revoked: e.follow_revoked.unwrap_or(false),
            exclude: e.exclude.iter().map(|x| x.value.clone()).collect(),
            assets,
            span,
        })
    }
}

/// The default map from a format's statuses to model statuses.
pub fn default_status(format: Format, source: Option<&str>) -> Option<RuleStatus> {
    let s = source.map(|s| s.trim().to_ascii_lowercase());
    let s = s.as_deref();
    Some(match (format, s) {
        (_, None) => RuleStatus::Production,
        (_, Some("production" | "stable")) => RuleStatus::Production,
        (_, Some("testing" | "test" | "development")) => RuleStatus::Testing,
        // `planned` means planned in every format; only Sigma's `experimental` is not yet
        // a working rule (Sigma's own ladder is experimental → test → stable).
        (_, Some("planned")) => RuleStatus::Planned,
        (_, Some("experimental")) => {
            if format == Format::Sigma {
                RuleStatus::Planned
            } else {
                RuleStatus::Testing
            }
        }
        (_, Some("retired" | "deprecated" | "unsupported")) => RuleStatus::Retired,
        _ => return None,
    })
}

/// The importer of a rule format; `None` for DeTT&CT files, which [`super::dettect`]
/// reads (they are not rule inventories).
fn format_of(f: ImportFormat) -> Option<Format> {
    Some(match f {
        ImportFormat::Sigma => Format::Sigma,
        ImportFormat::Splunk => Format::Splunk,
        ImportFormat::Elastic => Format::Elastic,
        ImportFormat::Navigator => Format::Navigator,
        ImportFormat::Csv => Format::Csv,
        ImportFormat::Dettect => return None,
    })
}

/// A span for a line/column in an imported file, reading it into the source map once.
///
/// The file is read through the confined opener with the root enforced even under
/// `--allow-outside-root`: a file outside the repository (or refused for any reason) gets
/// no snippet, so a diagnostic can never quote it.
fn span_in(
    sources: &mut SourceMap,
    path: &Path,
    line: Option<u32>,
    column: Option<u32>,
    confine: &Confine,
) -> Option<Span> {
    let id = match sources.find(path) {
        Some(id) => id,
        None => {
            let (text, _) =
                crate::fsio::read_text(path, confine, crate::import::MAX_FILE_BYTES).ok()?;
            sources.add(display_path(path), path, text)
        }
    };
    if sources.get(id).is_some_and(|f| f.hidden) {
        return None;
    }
    let f = sources.get(id)?;
    match line {
        Some(l) if l > 0 => {
            let start = f.offset_of(l as usize, column.unwrap_or(1) as usize);
            let rest = f.text.get(start..).unwrap_or("");
            let len = rest.find(['\n', ',', ']', '"']).unwrap_or(rest.len());
            Some(Span::new(id, start, len.max(1).min(rest.len())))
        }
        _ => Some(Span::new(id, 0, 0)),
    }
}

/// Where an id was first seen: file, line, column.
type At = (PathBuf, Option<u32>, Option<u32>);

/// What an imported rule's source said beyond the model rule: for candidate rules.
#[derive(Debug, Clone)]
pub(super) struct Extra {
    /// The rule file, absolute.
    pub file: PathBuf,
    /// The folder the entry's `path:` names (its literal part, before any glob).
    pub library: PathBuf,
    /// The source's status, verbatim.
    pub source_status: Option<String>,
    /// False-positive notes the source lists.
    pub false_positives: usize,
}

/// What running the imports gave.
pub(super) struct Ran {
    /// Imported rules, in entry order.
    pub rules: Vec<Rule>,
    /// What else each rule's source said, one per rule of `rules`, in the same order.
    pub extras: Vec<Extra>,
    /// One summary per entry, sorted by format and path.
    pub summaries: Vec<ImportSummary>,
    /// Their diagnostics (errors among them only for broken files under
    /// `--deny import-errors`, or for problems that are always errors).
    pub diags: Diagnostics,
}

/// The rules of a model: inline and imported, sorted by id then source.
pub(super) fn merge(mut inline: Vec<Rule>, imported: Vec<Rule>) -> Vec<Rule> {
    inline.extend(imported);
    // Outputs must not depend on the order files are listed or included in.
    inline.sort_by(|a, b| a.id.cmp(&b.id).then(a.source.cmp(&b.source)));
    inline
}

/// What the import entries share while they run.
struct Run<'a, 's> {
    catalog: &'a Catalog,
    /// Whether some asset declares platforms (else scoping means nothing, and unscoped
    /// rules are not reported).
    platform_assets: bool,
    sources: &'s mut SourceMap,
    opts: &'a ResolveOptions,
    diags: Diagnostics,
    /// The entries are `candidates:` (their rules never count, so "count on every asset"
    /// is not said of them).
    candidates: bool,
}

/// Runs every import entry of the model.
pub(super) fn run(
    catalog: &Catalog,
    sources: &mut SourceMap,
    opts: &ResolveOptions,
    loaded: &Loaded,
    entries: &[Entry],
    assets: &[super::Asset],
    candidates: bool,
) -> Ran {
    let mut cx = Run {
        catalog,
        platform_assets: assets.iter().any(|a| !a.platforms.is_empty()),
        sources,
        opts,
        diags: Diagnostics::new(),
        candidates,
    };
    let model_dir = loaded
        .files
        .first()
        .map(|f| f.dir.clone())
        .unwrap_or_default();
    let mut rules: Vec<Rule> = Vec::new();
    let mut extras: Vec<Extra> = Vec::new();
    let mut summaries = Vec::new();
    for entry in entries {
        summaries.push(run_entry(
            &mut cx,
            entry,
            &loaded.root_dir,
            &model_dir,
            (&mut rules, &mut extras),
        ));
    }
    summaries.sort_by(|a: &ImportSummary, b| a.format.cmp(&b.format).then(a.path.cmp(&b.path)));
    Ran {
        rules,
        extras,
        summaries,
        diags: cx.diags,
    }
}

fn run_entry(
    cx: &mut Run<'_, '_>,
    entry: &Entry,
    root: &Path,
    model_dir: &Path,
    (rules, extras): (&mut Vec<Rule>, &mut Vec<Extra>),
) -> ImportSummary {
    let dir = &entry.dir;
    let iopts = ImportOptions {
        base_dir: dir.clone(),
        root: if root.as_os_str().is_empty() {
            find_repo_root(dir)
        } else {
            root.to_path_buf()
        },
        allow_outside_root: cx.opts.allow_outside_root,
        exclude: entry.exclude.clone(),
    };
    let confine = Confine::new(&iopts.root, iopts.allow_outside_root);
    let res = import::import_confined(entry.format, &entry.path.value, &iopts, &confine);
    // Snippets of the rule files are quoted only from inside the root.
    let mut snippets = confine;
    snippets.allow_outside_root = false;
    problems(cx, entry, &res, &snippets);
    let mut tally = Tally::default();
    let library = library_dir(&entry.dir, &entry.path.value);
    for r in &res.rules {
        rules.push(tally.rule(cx.catalog, entry, r, model_dir));
        extras.push(Extra {
            file: absolute(&entry.dir, &r.source),
            library: library.clone(),
            source_status: r.status.clone(),
            false_positives: r.false_positives,
        });
    }
    tally.report(cx, entry, &res, &snippets);
    ImportSummary {
        format: entry.format.as_str().to_string(),
        path: entry.path.value.clone(),
        files: res.files_read,
        rules: tally.count,
        no_technique: res.skipped.no_technique,
        deprecated: tally.deprecated_rules,
        unscoped: tally
            .unscoped
            .iter()
            .map(|(k, n)| (k.key().to_string(), *n))
            .collect(),
        assets: entry.assets.clone(),
    }
}

/// The folder an import path names: its components before the first glob character;
/// the parent when that is a file.
fn library_dir(dir: &Path, spec: &str) -> PathBuf {
    let mut out = dir.to_path_buf();
    for part in Path::new(spec).components() {
        if part
            .as_os_str()
            .to_string_lossy()
            .contains(['*', '?', '[', '{'])
        {
            return out;
        }
        out.push(part);
    }
    if out.is_file() {
        out.pop();
    }
    out
}

/// `path` of a file an importer named, absolute (they name them relative to `dir`).
fn absolute(dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        dir.join(path)
    }
}

/// The importer's problems with the rule files, as diagnostics.
fn problems(cx: &mut Run<'_, '_>, entry: &Entry, res: &ImportResult, snippets: &Confine) {
    let path = &entry.path;
    for p in &res.problems {
        let abs = absolute(&entry.dir, &p.path);
        let code = p.code;
        // Problems with the rule files themselves are warnings (the import goes on with
        // the other files) unless `--deny import-errors` makes them fatal.
        let severity = match code.severity() {
            Severity::Error => Severity::Error,
            _ if cx.opts.deny_import_errors => Severity::Error,
            s => s,
        };
        let mut d =
            Diagnostic::new(severity, code, p.message.clone()).with_help_opt(p.help.clone());
        match span_in(cx.sources, &abs, p.line, p.column, snippets) {
            Some(s) => d = d.with_label(s, display_path(&abs)),
            _ => d = d.with_label(path.span, format!("while importing `{}`", path.value)),
        }
        if severity == Severity::Error {
            d = d.with_label(path.span, "import entry");
        }
        cx.diags.push(d);
    }
}

/// What one entry's rules carried: technique ids the catalog does not have (unknown,
/// revoked, deprecated), once per id with the number of rules; statuses without a
/// model status.
#[derive(Default)]
struct Tally {
    unknown: BTreeMap<String, (usize, Option<At>)>,
    revoked: BTreeMap<String, (usize, Option<String>, Option<At>)>,
    deprecated: BTreeMap<String, usize>,
    unmapped: BTreeMap<String, usize>,
    deprecated_rules: usize,
    count: usize,
    /// Rules without platforms (and the entry without assets), by reason.
    unscoped: BTreeMap<import::Unscoped, usize>,
    /// Platform and data component names the catalog does not know (CSV columns), with
    /// the number of rules naming them.
    unknown_names: BTreeMap<(&'static str, String), usize>,
}

impl Tally {
    /// One imported rule as a model rule, counting what is wrong with it.
    fn rule(
        &mut self,
        catalog: &Catalog,
        entry: &Entry,
        r: &import::ImportedRule,
        model_dir: &Path,
    ) -> Rule {
        let abs = absolute(&entry.dir, &r.source);
        let mut techs: BTreeSet<String> = BTreeSet::new();
        for t in &r.techniques {
            let at = || Some((abs.clone(), t.line, t.column));
            match catalog.technique(&t.id) {
                None => {
                    let u = self.unknown.entry(t.id.clone()).or_insert((0, None));
                    u.0 += 1;
                    if u.1.is_none() {
                        u.1 = at();
                    }
                }
                Some(tech) if tech.revoked => {
                    let e = self.revoked.entry(t.id.clone()).or_insert((
                        0,
                        tech.revoked_by.as_deref().map(str::to_string),
                        None,
                    ));
                    e.0 += 1;
                    if e.2.is_none() {
                        e.2 = at();
                    }
                    if entry.follow_revoked {
                        if let Some(n) = &tech.revoked_by {
                            techs.insert(n.to_string());
                        }
                    }
                }
                Some(tech) => {
                    if tech.deprecated {
                        *self.deprecated.entry(t.id.clone()).or_default() += 1;
                    }
                    techs.insert(tech.id.to_string());
                }
            }
        }
        let status = self.status(entry, r);
        self.count += 1;
        let (platforms, data_components) = self.reach(catalog, entry, &r.reach);
        let unscoped = if platforms.is_empty() && entry.assets.is_empty() {
            let why = r.reach.unscoped.unwrap_or(import::Unscoped::NoPlatform);
            *self.unscoped.entry(why).or_default() += 1;
            Some(why)
        } else {
            None
        };
        Rule {
            id: r.id.clone(),
            name: r.title.clone(),
            techniques: techs.into_iter().collect(),
            status,
            assets: entry.assets.clone(),
            platforms,
            data_components,
            level: r.level.clone(),
            unscoped,
            validations: r
                .validations
                .iter()
                .map(|v| super::Validation {
                    date: v.date,
                    result: if v.detected {
                        super::TestResult::Detected
                    } else {
                        super::TestResult::NotDetected
                    },
                    method: v.method.as_deref().map(super::evidence::method),
                    reference: v.reference.clone(),
                    assets: Vec::new(),
                    stale: false,
                })
                .collect(),
            span: None,
            source: RuleSource::Imported {
                format: entry.format.as_str().to_string(),
                file: crate::model::load::relative_to(&abs, model_dir),
                line: r.line,
            },
        }
    }

    /// An imported rule's platforms and data components, canonical. Names from the
    /// mapping tables are kept as written when the catalog's domain lacks them (a
    /// Windows Sigma rule in a Mobile model still does not count on Android); names from
    /// a CSV inventory must be the catalog's, else they are counted and reported.
    fn reach(
        &mut self,
        catalog: &Catalog,
        entry: &Entry,
        reach: &import::Reach,
    ) -> (Vec<String>, Vec<String>) {
        let user_written = entry.format == Format::Csv;
        let mut platforms: Vec<String> = Vec::new();
        for p in &reach.platforms {
            let canon = match super::context::platform_name(catalog, p) {
                Ok(c) => c,
                Err(_) if !user_written => p.clone(),
                Err(_) => {
                    *self
                        .unknown_names
                        .entry(("platform", p.clone()))
                        .or_default() += 1;
                    continue;
                }
            };
            if !platforms.contains(&canon) {
                platforms.push(canon);
            }
        }
        let mut components: Vec<String> = Vec::new();
        for c in &reach.data_components {
            let canon = match super::context::component_name(catalog, c) {
                Ok(c) => c,
                Err(_) if !user_written => c.clone(),
                Err(_) => {
                    *self
                        .unknown_names
                        .entry(("data component", c.clone()))
                        .or_default() += 1;
                    continue;
                }
            };
            if !components.contains(&canon) {
                components.push(canon);
            }
        }
        (platforms, components)
    }

    /// An imported rule's status: retired when deprecated at its source, else the
    /// entry's map, else the format's default, else planned (and counted as unmapped).
    fn status(&mut self, entry: &Entry, r: &import::ImportedRule) -> RuleStatus {
        if r.deprecated {
            self.deprecated_rules += 1;
            return RuleStatus::Retired;
        }
        let key = r.status.as_deref().map(str::to_ascii_lowercase);
        if let Some(s) = key.as_ref().and_then(|k| entry.status_map.get(k)) {
            return *s;
        }
        default_status(entry.format, r.status.as_deref()).unwrap_or_else(|| {
            *self
                .unmapped
                .entry(r.status.clone().unwrap_or_default())
                .or_default() += 1;
            RuleStatus::Planned
        })
    }

    /// The tallies as diagnostics, then notes on what was skipped or yielded nothing.
    fn report(&self, cx: &mut Run<'_, '_>, entry: &Entry, res: &ImportResult, snippets: &Confine) {
        self.report_ids(cx, entry, snippets);
        let path = &entry.path;
        self.report_scope(cx, entry);
        for (status, n) in &self.unmapped {
            cx.diags.push(
                Diagnostic::warning(
                    Code::ImportUnmappedStatus,
                    format!(
                        "source status `{status}` has no model status ({n} {}); counted as planned",
                        plural(*n, "rule", "rules")
                    ),
                )
                .with_label(entry.span, "")
                .with_help(format!("map it: `status: {{{status}: production}}`")),
            );
        }
        let skipped = res.skipped.no_technique;
        if skipped > 0 {
            cx.diags.push(
                Diagnostic::note(
                    Code::ImportNoTechnique,
                    format!(
                        "{skipped} {} from `{}` carry no ATT&CK technique and are not counted",
                        plural(skipped, "rule", "rules"),
                        path.value
                    ),
                )
                .with_label(path.span, ""),
            );
        }
        let n = self.deprecated_rules;
        if n > 0 {
            cx.diags.push(
                Diagnostic::note(
                    Code::ImportDeprecatedRule,
                    format!(
                        "{n} {} from `{}` are deprecated at their source and counted as retired",
                        plural(n, "rule", "rules"),
                        path.value
                    ),
                )
                .with_label(path.span, ""),
            );
        }
        if self.count == 0 {
            cx.diags.push(
                Diagnostic::warning(
                    Code::ImportNoRules,
                    format!("import of `{}` yielded no rule", path.value),
                )
                .with_label(path.span, format!("{} file(s) read", res.files_read))
                .with_help("check the path, the format and `exclude`"),
            );
        }
    }

    /// Unknown platform and data component names; rules that count on every asset.
    fn report_scope(&self, cx: &mut Run<'_, '_>, entry: &Entry) {
        let path = &entry.path;
        for ((what, name), n) in &self.unknown_names {
            let help = match *what {
                "platform" => super::context::platform_name(cx.catalog, name).err(),
                _ => super::context::component_name(cx.catalog, name).err(),
            };
            cx.diags.push(
                Diagnostic::warning(
                    Code::ImportUnknownPlatform,
                    format!(
                        "`{name}` is not an ATT&CK {} {what} ({n} imported {}); ignored",
                        cx.catalog.domain,
                        plural(*n, "rule", "rules")
                    ),
                )
                .with_label(path.span, format!("imported by `{}`", path.value))
                .with_help_opt(help),
            );
        }
        let n: usize = self.unscoped.values().sum();
        if n == 0 || !cx.platform_assets || cx.candidates {
            return;
        }
        let why: Vec<String> = self
            .unscoped
            .iter()
            .map(|(k, c)| format!("{} {c}", k.as_str()))
            .collect();
        cx.diags.push(
            Diagnostic::warning(
                Code::RuleUnscoped,
                format!(
                    "{n} of {} {} from `{}` name no platform and count on every asset ({})",
                    self.count,
                    plural(self.count, "rule", "rules"),
                    path.value,
                    why.join(", ")
                ),
            )
            .with_label(path.span, "unscoped rules")
            .with_help("scope the import with `assets: [...]`; a network sensor counts on every asset until the model says which assets it watches"),
        );
    }

    /// Unknown, revoked and deprecated technique ids, once per id.
    fn report_ids(&self, cx: &mut Run<'_, '_>, entry: &Entry, snippets: &Confine) {
        let release = format!("ATT&CK {} {}", cx.catalog.domain, cx.catalog.release);
        for (id, (n, at)) in &self.unknown {
            // An id of a newer release (from its release notes) says so and how to supply it.
            let d = match crate::catalog::newer::unknown_technique_hint(cx.catalog, id) {
                Some((msg, help)) => Diagnostic::warning(
                    Code::ImportUnknownTechnique,
                    format!("{msg} ({n} imported {} not counted for it)", plural(*n, "rule", "rules")),
                )
                .with_help(help),
                None => Diagnostic::warning(
                    Code::ImportUnknownTechnique,
                    format!("`{id}` is not a technique of {release} ({n} imported {})", plural(*n, "rule", "rules")),
                )
                .with_help("these rules do not count for it; the id may be from a newer ATT&CK release (use --attack-data) or a typo"),
            };
            cx.diags
                .push(first_seen(cx.sources, d, at.as_ref(), snippets));
        }
        for (id, (n, by, at)) in &self.revoked {
            let by_text = by
                .as_deref()
                .map(|b| format!("; replaced by `{b}`"))
                .unwrap_or_default();
            let d = Diagnostic::warning(
                Code::ImportRevokedTechnique,
                format!("`{id}` was revoked in {release}{by_text} ({n} imported {})", plural(*n, "rule", "rules")),
            )
            .with_help(if entry.follow_revoked {
                "counted as its replacement (`follow_revoked: true`)".to_string()
            } else {
                "not counted; set `follow_revoked: true` on the import to count revoked ids as their replacement, or update the rules".to_string()
            });
            cx.diags
                .push(first_seen(cx.sources, d, at.as_ref(), snippets));
        }
        let path = &entry.path;
        for (id, n) in &self.deprecated {
            cx.diags.push(
                Diagnostic::warning(
                    Code::ImportDeprecatedTechnique,
                    format!(
                        "`{id}` is deprecated in {release} ({n} imported {})",
                        plural(*n, "rule", "rules")
                    ),
                )
                .with_label(path.span, format!("imported by `{}`", path.value)),
            );
        }
    }
}

/// `d` labelled where its id was first seen, when that file may be quoted.
fn first_seen(
    sources: &mut SourceMap,
    d: Diagnostic,
    at: Option<&At>,
    snippets: &Confine,
) -> Diagnostic {
    match at.and_then(|(p, l, c)| span_in(sources, p, *l, *c, snippets)) {
        Some(s) => d.with_label(s, "first seen here"),
        None => d,
    }
}
