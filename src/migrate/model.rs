//! Rewriting a YAML model (and its included fragments) for the catalog in use: revoked ids
//! become their replacements and `attack.version` becomes the catalog's release.
//!
//! The text is edited at the byte spans the loader recorded, never re-serialized, so comments,
//! key order, quoting and layout stay exactly as they were.

use crate::catalog::Catalog;
use crate::diag::Code;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::load::{display_path, Loaded};
use crate::source::{SourceMap, Span, Spanned};
use crate::technique_id::is_technique_id;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One file's text before and after migration.
#[derive(Debug, Clone)]
pub struct FileEdit {
    /// Where it was read from.
    pub path: PathBuf,
    /// The name shown to the user.
    pub name: String,
    /// The original text.
    pub old: String,
    /// The migrated text (equal to `old` when nothing changed).
    pub new: String,
}

/// The result of migrating a model.
#[derive(Debug, Default)]
pub struct ModelMigration {
    /// Every model file, root first.
    pub files: Vec<FileEdit>,
    /// Notes and warnings (replacements, deprecated ids, duplicates, imports left alone).
    pub diags: Diagnostics,
    /// `(old id, new id)` pairs replaced, in file order.
    pub replaced: Vec<(String, String)>,
    /// Whether `attack.version` was changed.
    pub version_changed: bool,
}

impl ModelMigration {
    /// Whether any file changed.
    pub fn changed(&self) -> bool {
        self.files.iter().any(|f| f.old != f.new)
    }
}

/// The technique-id lists of one model file: each list is checked for duplicates on its own.
pub fn technique_lists(content: &crate::model::v1::ModelFile) -> Vec<Vec<&Spanned<String>>> {
    let mut lists: Vec<Vec<&Spanned<String>>> = Vec::new();
    for a in &content.actors {
        if let Some(t) = &a.value.techniques {
            lists.push(t.iter().collect());
        }
        lists.push(a.value.add.iter().collect());
        lists.push(a.value.remove.iter().collect());
    }
    for r in &content.rules {
        if let Some(t) = &r.value.techniques {
            lists.push(t.iter().collect());
        }
    }
    if let Some(p) = &content.plan {
        lists.push(p.value.techniques.keys().collect());
    }
    lists
}

/// Replacements by byte offset: `start → (length, new text)`.
type Edits = BTreeMap<usize, (usize, String)>;

/// Migrates every file of `loaded` to `catalog`.
pub fn migrate(loaded: &Loaded, catalog: &Catalog, sources: &SourceMap) -> ModelMigration {
    let mut out = ModelMigration::default();
    for (index, f) in loaded.files.iter().enumerate() {
        let Some(src) = sources.get(f.file) else {
            continue;
        };
        let text: &str = &src.text;
        let mut edits = Edits::new();
        let mut file = FileMigration {
            catalog,
            text,
            plan: f.content.plan.as_ref().map(|p| &p.value),
            edits: &mut edits,
            out: &mut out,
        };
        for list in technique_lists(&f.content) {
            file.list(&list);
        }
        if index == 0 {
            version_edit(f, catalog, text, &mut edits, &mut out);
        }
        for r in &f.content.rules {
            note_import(r, &mut out);
        }
        out.files.push(FileEdit {
            path: src.path.clone(),
            name: display_path(&src.path),
            old: text.to_string(),
            new: apply(text, &edits),
        });
    }
    out
}

/// The text with the edits made (an edit inside an earlier one is skipped).
fn apply(text: &str, edits: &Edits) -> String {
    let mut new = String::with_capacity(text.len());
    let mut at = 0usize;
    for (start, (len, with)) in edits {
        if *start < at {
            continue;
        }
        new.push_str(text.get(at..*start).unwrap_or(""));
        new.push_str(with);
        at = start + len;
    }
    new.push_str(text.get(at..).unwrap_or(""));
    new
}

/// The technique lists of one model file being migrated.
struct FileMigration<'a> {
    catalog: &'a Catalog,
    text: &'a str,
    plan: Option<&'a crate::model::v1::PlanSettings>,
    edits: &'a mut Edits,
    out: &'a mut ModelMigration,
}

impl FileMigration<'_> {
    /// One list: revoked ids replaced, and an entry that becomes a second copy of one
    /// already listed removed (or noted, in `plan.techniques`).
    fn list(&mut self, list: &[&Spanned<String>]) {
        // `plan.techniques` is a mapping: its keys cannot be removed or doubled.
        let plan = self.plan;
        let is_plan = plan.is_some_and(|p| {
            list.first()
                .is_some_and(|t| p.techniques.keys().any(|k| k.span == t.span))
        });
        let mut seen: BTreeMap<String, (Span, bool)> = BTreeMap::new();
        for t in list {
            let raw = t.value.trim();
            let taken = |by: &str| {
                is_plan
                    && (plan.is_some_and(|p| p.techniques.keys().any(|k| k.value.trim() == by))
                        || seen.contains_key(by))
            };
            let replaced = self.replace(t, raw, &taken);
            let migrated = replaced.is_some();
            let result = replaced.unwrap_or_else(|| raw.to_string());
            match seen.get(&result) {
                Some((first, first_migrated)) if migrated || *first_migrated => {
                    self.listed_twice(t, raw, &result, *first, is_plan);
                }
                Some(_) => {}
                None => {
                    seen.insert(result, (t.span, migrated));
                }
            }
        }
    }

    /// Replaces a revoked id by its replacement (unless `taken` says the plan already has
    /// it); notes deprecated ids and revoked ones without a replacement. The new id, when
    /// replaced.
    fn replace(
        &mut self,
        t: &Spanned<String>,
        raw: &str,
        taken: &dyn Fn(&str) -> bool,
    ) -> Option<String> {
        if !is_technique_id(raw) {
            return None;
        }
        let catalog = self.catalog;
        let tech = catalog.technique(raw)?;
        let diags = &mut self.out.diags;
        if tech.deprecated && !tech.revoked {
            diags.push(
                Diagnostic::warning(
                    Code::MigrateDeprecated,
                    format!(
                        "`{raw}` ({}) is deprecated and has no replacement; left in place",
                        tech.name
                    ),
                )
                .with_label(t.span, format!("deprecated in ATT&CK {}", catalog.release))
                .with_help("remove it or map it to a current technique by hand"),
            );
        }
        if !tech.revoked {
            return None;
        }
        match &tech.revoked_by {
            // A mapping key may not appear twice: plan notes for both the old and the new
            // id have to be merged by hand.
            Some(by) if taken(by) => {
                diags.push(
                    Diagnostic::warning(Code::MigrateDuplicate, format!("`{raw}` is revoked (replaced by `{by}`) but `plan.techniques` already has `{by}`; left as is"))
                        .with_label(t.span, "left in place")
                        .with_help(format!("merge the notes of `{raw}` into `{by}` by hand")),
                );
                None
            }
            Some(by) => {
                let (start, len) = id_range(self.text, t.span, raw)?;
                self.edits.insert(start, (len, by.to_string()));
                let name = catalog.technique(by).map(|x| x.name.as_str()).unwrap_or("");
                diags.push(
                    Diagnostic::note(
                        Code::MigrateRevoked,
                        format!(
                            "`{raw}` ({}) is revoked; replaced by `{by}` ({name})",
                            tech.name
                        ),
                    )
                    .with_label(t.span, format!("becomes `{by}`")),
                );
                self.out.replaced.push((raw.to_string(), by.to_string()));
                Some(by.to_string())
            }
            None => {
                diags.push(
                    Diagnostic::warning(Code::MigrateNoReplacement, format!("`{raw}` ({}) is revoked and ATT&CK names no replacement; left in place", tech.name))
                        .with_label(t.span, "left in place")
                        .with_help("remove it or map it to a current technique by hand"),
                );
                None
            }
        }
    }

    /// `result` would be listed twice (two revoked ids with one replacement, or a revoked
    /// id whose replacement is listed): the later entry goes, the list keeps one; in
    /// `plan.techniques`, or where the entry cannot be cut out, it is only noted.
    fn listed_twice(
        &mut self,
        t: &Spanned<String>,
        raw: &str,
        result: &str,
        first: Span,
        is_plan: bool,
    ) {
        if let Some((start, len, with)) = (!is_plan).then(|| removal(self.text, t.span)).flatten() {
            self.edits.retain(|at, _| *at < start || *at >= start + len);
            self.edits.insert(start, (len, with));
            self.out.diags.push(
                Diagnostic::note(Code::MigrateDuplicate, format!("after migration `{result}` would be listed twice here (`{raw}` and the entry already here); the later entry is removed"))
                    .with_label(t.span, "removed")
                    .with_label(first, format!("`{result}` after migration")),
            );
            return;
        }
        self.out.diags.push(
            Diagnostic::note(Code::MigrateDuplicate, format!("after migration `{result}` is listed twice here; left as is (the compiler de-duplicates)"))
                .with_label(t.span, format!("`{result}` after migration"))
                .with_label(first, "already here"),
        );
    }
}

fn note_import(r: &Spanned<crate::model::v1::RuleEntry>, out: &mut ModelMigration) {
    if let (Some(_), Some(p)) = (&r.value.import, &r.value.path) {
        out.diags.push(
            Diagnostic::note(Code::MigrateImport, format!("imported rule files (`{}`) are not rewritten", p.value))
                .with_label(p.span, "left as is")
                .with_help("they are foreign files; update their technique tags at their source (the import warns about revoked ids)"),
        );
    }
}

fn version_edit(
    f: &crate::model::load::LoadedFile,
    catalog: &Catalog,
    text: &str,
    edits: &mut BTreeMap<usize, (usize, String)>,
    out: &mut ModelMigration,
) {
    let version = f
        .content
        .attack
        .as_ref()
        .and_then(|a| a.value.version.as_ref());
    let Some(v) = version else {
        let span = f
            .content
            .attack
            .as_ref()
            .map(|a| a.span)
            .unwrap_or_else(|| Span::new(f.file, 0, 0));
        out.diags.push(
            Diagnostic::note(
                Code::MigrateNoVersion,
                "the model does not say which ATT&CK release it is written against; left as is",
            )
            .with_label(span, "no `attack.version`")
            .with_help(format!(
                "add `version: \"{}\"` under `attack:`",
                catalog.release
            )),
        );
        return;
    };
    if v.value.text() == catalog.release {
        return;
    }
    let (start, end) = (v.span.start as usize, v.span.end());
    let Some(snippet) = text.get(start..end) else {
        return;
    };
    let quoted = snippet.len() >= 2
        && ((snippet.starts_with('"') && snippet.ends_with('"'))
            || (snippet.starts_with('\'') && snippet.ends_with('\'')));
    if quoted {
        edits.insert(start + 1, (snippet.len() - 2, catalog.release.to_string()));
    } else {
        // A plain `18.10` would read back as the number 18.1: quote what does not round-trip.
        let plain_ok = catalog
            .release
            .parse::<f64>()
            .map(|x| x.to_string() == catalog.release)
            .unwrap_or(true);
        let with = if plain_ok {
            catalog.release.to_string()
        } else {
            format!("\"{}\"", catalog.release)
        };
        edits.insert(start, (snippet.len(), with));
    }
    out.version_changed = true;
    out.diags.push(
        Diagnostic::note(
            Code::MigrateVersion,
            format!(
                "`attack.version` {} becomes {}",
                v.value.text(),
                catalog.release
            ),
        )
        .with_label(v.span, format!("becomes {}", catalog.release)),
    );
}

/// What removes the list entry at `span`: `(start, len, replacement)`. A block entry
/// (`  - T1562.001`) loses its line; a comment on that line stays as a line of its own. A
/// flow entry (`[T1685, T1562.001]`) loses itself and the comma before it. None when the
/// entry's surroundings are anything else (the entry is then left in place).
fn removal(text: &str, span: Span) -> Option<(usize, usize, String)> {
    let (start, end) = (span.start as usize, span.end());
    let before = text.get(..start)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let prefix = text.get(line_start..start)?;
    if prefix.trim() == "-" {
        let after = text.get(end..)?;
        let line_end = after.find('\n').map_or(text.len(), |i| end + i + 1);
        let rest = text.get(end..line_end)?.trim();
        let indent: String = prefix.chars().take_while(|c| *c == ' ').collect();
        let with = if rest.is_empty() {
            String::new()
        } else if rest.starts_with('#') {
            format!("{indent}{rest}\n")
        } else {
            return None;
        };
        return Some((line_start, line_end - line_start, with));
    }
    let trimmed = before.trim_end();
    if trimmed.ends_with(',') {
        let comma = trimmed.len() - 1;
        return Some((comma, end - comma, String::new()));
    }
    None
}

/// The byte range of the id characters inside a scalar's span (the span may include quotes).
fn id_range(text: &str, span: Span, id: &str) -> Option<(usize, usize)> {
    let start = span.start as usize;
    let snippet = text.get(start..span.end())?;
    let at = snippet.find(id)?;
    Some((start + at, id.len()))
}
