//! Runs a model's import entries and turns what the importers found into rules and
//! diagnostics: unknown, revoked and deprecated technique ids once per id with the
//! number of rules carrying them; status mapping; what yielded nothing.

use super::{ResolveOptions, Resolved, Rule, RuleSource};
use crate::catalog::Catalog;
use crate::diag::Code;
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::fsio::Confine;
use crate::import::{self, Format, ImportOptions};
use crate::model::load::{display_path, find_repo_root, Loaded};
use crate::model::v1::{ImportFormat, RuleStatus, StatusSpec};
use crate::source::{SourceMap, Span};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The default map from a format's statuses to model statuses.
pub fn default_status(format: Format, source: Option<&str>) -> Option<RuleStatus> {
    let s = source.map(|s| s.trim().to_ascii_lowercase());
    let s = s.as_deref();
    Some(match (format, s) {
        (_, None) => RuleStatus::Production,
        (_, Some("production" | "stable")) => RuleStatus::Production,
        (_, Some("testing" | "test" | "development")) => RuleStatus::Testing,
        (_, Some("planned" | "experimental")) => {
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

fn format_of(f: ImportFormat) -> Format {
    match f {
        ImportFormat::Sigma => Format::Sigma,
        ImportFormat::Splunk => Format::Splunk,
        ImportFormat::Elastic => Format::Elastic,
        ImportFormat::Navigator => Format::Navigator,
        ImportFormat::Csv => Format::Csv,
    }
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
type At = (std::path::PathBuf, Option<u32>, Option<u32>);

/// Runs every import entry of the model; adds the rules to `resolved`.
pub fn run(
    loaded: &Loaded,
    catalog: &Catalog,
    sources: &mut SourceMap,
    opts: &ResolveOptions,
    resolved: &mut Resolved,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let entries = std::mem::take(&mut resolved.import_entries);
    let root = loaded.root_dir.clone();
    let model_dir = loaded
        .files
        .first()
        .map(|f| f.dir.clone())
        .unwrap_or_default();
    let mut imported: Vec<Rule> = Vec::new();
    for (dir, entry) in &entries {
        let e = &entry.value;
        let (Some(fmt), Some(path)) = (&e.import, &e.path) else {
            continue;
        };
        let format = format_of(fmt.value);
        let status_map: BTreeMap<String, RuleStatus> = match e.status.as_ref().map(|s| &s.value) {
            Some(StatusSpec::Map(m)) => m
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), *v))
                .collect(),
            _ => BTreeMap::new(),
        };
        let follow = e.follow_revoked.unwrap_or(false);
        let iopts = ImportOptions {
            base_dir: dir.clone(),
            root: if root.as_os_str().is_empty() {
                find_repo_root(dir)
            } else {
                root.clone()
            },
            allow_outside_root: opts.allow_outside_root,
            exclude: e.exclude.iter().map(|x| x.value.clone()).collect(),
        };
        let snippets = Confine::new(&iopts.root, false);
        let res = import::import(format, &path.value, &iopts);
        for p in &res.problems {
            let abs = if p.path.is_absolute() {
                p.path.clone()
            } else {
                dir.join(&p.path)
            };
            let code = p.code;
            // Problems with the rule files themselves are warnings (the import goes on with
            // the other files) unless `--deny import-errors` makes them fatal.
            let severity = match code.severity() {
                Severity::Error => Severity::Error,
                _ if opts.deny_import_errors => Severity::Error,
                s => s,
            };
            let mut d =
                Diagnostic::new(severity, code, p.message.clone()).with_help_opt(p.help.clone());
            match span_in(sources, &abs, p.line, p.column, &snippets) {
                Some(s) => d = d.with_label(s, display_path(&abs)),
                _ => d = d.with_label(path.span, format!("while importing `{}`", path.value)),
            }
            if severity == Severity::Error {
                d = d.with_label(path.span, "import entry");
            }
            diags.push(d);
        }
        // Technique ids: unknown, revoked, deprecated, once per id.
        let mut unknown: BTreeMap<String, (usize, Option<At>)> = BTreeMap::new();
        let mut revoked: BTreeMap<String, (usize, Option<String>, Option<At>)> = BTreeMap::new();
        let mut deprecated: BTreeMap<String, usize> = BTreeMap::new();
        let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
        let mut deprecated_rules = 0usize;
        let mut count = 0usize;
        for r in &res.rules {
            let mut techs: BTreeSet<String> = BTreeSet::new();
            let abs = if r.source.is_absolute() {
                r.source.clone()
            } else {
                dir.join(&r.source)
            };
            for t in &r.techniques {
                match catalog.technique(&t.id) {
                    None => {
                        let u = unknown.entry(t.id.clone()).or_insert((0, None));
                        u.0 += 1;
                        if u.1.is_none() {
                            u.1 = Some((abs.clone(), t.line, t.column));
                        }
                    }
                    Some(tech) if tech.revoked => {
                        let e = revoked.entry(t.id.clone()).or_insert((
                            0,
                            tech.revoked_by.clone(),
                            None,
                        ));
                        e.0 += 1;
                        if e.2.is_none() {
                            e.2 = Some((abs.clone(), t.line, t.column));
                        }
                        if follow {
                            if let Some(n) = &tech.revoked_by {
                                techs.insert(n.clone());
                            }
                        }
                    }
                    Some(tech) => {
                        if tech.deprecated {
                            *deprecated.entry(t.id.clone()).or_default() += 1;
                        }
                        techs.insert(tech.id.clone());
                    }
                }
            }
            let status = if r.deprecated {
                deprecated_rules += 1;
                RuleStatus::Retired
            } else {
                let key = r.status.as_deref().map(str::to_ascii_lowercase);
                match key.as_ref().and_then(|k| status_map.get(k)) {
                    Some(s) => *s,
                    None => match default_status(format, r.status.as_deref()) {
                        Some(s) => s,
                        None => {
                            *unmapped
                                .entry(r.status.clone().unwrap_or_default())
                                .or_default() += 1;
                            RuleStatus::Planned
                        }
                    },
                }
            };
            count += 1;
            imported.push(Rule {
                id: r.id.clone(),
                name: r.title.clone(),
                techniques: techs.into_iter().collect(),
                status,
                assets: Vec::new(),
                source: RuleSource::Imported {
                    format: format.as_str().to_string(),
                    file: crate::model::load::relative_to(&abs, &model_dir),
                    line: r.line,
                },
            });
        }
        let release = format!("ATT&CK {} {}", catalog.domain, catalog.release);
        for (id, (n, at)) in unknown {
            let mut d = Diagnostic::warning(
                Code::ImportUnknownTechnique,
                format!("`{id}` is not a technique of {release} ({n} imported rule{})", if n == 1 { "" } else { "s" }),
            )
            .with_help("these rules do not count for it; the id may be from a newer ATT&CK release (use --attack-data) or a typo");
            if let Some((p, l, c)) = at {
                if let Some(s) = span_in(sources, &p, l, c, &snippets) {
                    d = d.with_label(s, "first seen here");
                }
            }
            diags.push(d);
        }
        for (id, (n, by, at)) in revoked {
            let by_text = by
                .as_deref()
                .map(|b| format!("; replaced by `{b}`"))
                .unwrap_or_default();
            let mut d = Diagnostic::warning(
                Code::ImportRevokedTechnique,
                format!("`{id}` was revoked in {release}{by_text} ({n} imported rule{})", if n == 1 { "" } else { "s" }),
            )
            .with_help(if follow {
                "counted as its replacement (`follow_revoked: true`)".to_string()
            } else {
                "not counted; set `follow_revoked: true` on the import to count revoked ids as their replacement, or update the rules".to_string()
            });
            if let Some((p, l, c)) = at {
                if let Some(s) = span_in(sources, &p, l, c, &snippets) {
                    d = d.with_label(s, "first seen here");
                }
            }
            diags.push(d);
        }
        for (id, n) in deprecated {
            diags.push(
                Diagnostic::warning(
                    Code::ImportDeprecatedTechnique,
                    format!(
                        "`{id}` is deprecated in {release} ({n} imported rule{})",
                        if n == 1 { "" } else { "s" }
                    ),
                )
                .with_label(path.span, format!("imported by `{}`", path.value)),
            );
        }
        for (status, n) in unmapped {
            diags.push(
                Diagnostic::warning(
                    Code::ImportUnmappedStatus,
                    format!("source status `{status}` has no model status ({n} rule{}); counted as planned", if n == 1 { "" } else { "s" }),
                )
                .with_label(entry.span, "")
                .with_help(format!("map it: `status: {{{status}: production}}`")),
            );
        }
        if res.skipped.no_technique > 0 {
            diags.push(
                Diagnostic::note(
                    Code::ImportNoTechnique,
                    format!(
                        "{} rule{} from `{}` carry no ATT&CK technique and are not counted",
                        res.skipped.no_technique,
                        if res.skipped.no_technique == 1 {
                            ""
                        } else {
                            "s"
                        },
                        path.value
                    ),
                )
                .with_label(path.span, ""),
            );
        }
        if deprecated_rules > 0 {
            diags.push(
                Diagnostic::note(
                    Code::ImportDeprecatedRule,
                    format!("{deprecated_rules} rule{} from `{}` are deprecated at their source and counted as retired", if deprecated_rules == 1 { "" } else { "s" }, path.value),
                )
                .with_label(path.span, ""),
            );
        }
        if count == 0 {
            diags.push(
                Diagnostic::warning(
                    Code::ImportNoRules,
                    format!("import of `{}` yielded no rule", path.value),
                )
                .with_label(path.span, format!("{} file(s) read", res.files_read))
                .with_help("check the path, the format and `exclude`"),
            );
        }
        resolved.imports.push(super::ImportSummary {
            format: format.as_str().to_string(),
            path: path.value.clone(),
            files: res.files_read,
            rules: count,
            no_technique: res.skipped.no_technique,
            deprecated: deprecated_rules,
        });
    }
    resolved.rules.extend(imported);
    // Outputs must not depend on the order files are listed or included in.
    resolved
        .rules
        .sort_by(|a, b| a.id.cmp(&b.id).then(a.source.cmp(&b.source)));
    resolved
        .imports
        .sort_by(|a, b| a.format.cmp(&b.format).then(a.path.cmp(&b.path)));
    diags
}
