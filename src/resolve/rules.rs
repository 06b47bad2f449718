//! Rules written in the model: inline rules (id, techniques, status, asset scope) and
//! import entries, checked here and run by [`super::imports`].

use super::context::Resolver;
use super::imports::Entry;
use super::{Rule, RuleSource, RuleStatus};
use crate::diag::{Code, Diagnostic};
use crate::model::load::{Loaded, LoadedFile};
use crate::model::v1::{self, StatusSpec};
use crate::source::{Span, Spanned};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// Inline rules in model order (duplicates reported and dropped), and the import
/// entries to run.
pub(super) fn resolve(
    r: &mut Resolver<'_>,
    loaded: &Loaded,
    asset_ids: &BTreeSet<&str>,
) -> (Vec<Rule>, Vec<Entry>) {
    let model_dir = loaded
        .files
        .first()
        .map(|f| f.dir.as_path())
        .unwrap_or(Path::new(""));
    let mut rules: Vec<Rule> = Vec::new();
    let mut ids: HashMap<String, Span> = HashMap::new();
    let mut entries = Vec::new();
    for f in &loaded.files {
        for e in &f.content.rules {
            if let Some(fmt) = &e.value.import {
                entries.extend(import_entry(r, f, e, fmt));
                continue;
            }
            let Some(id) = rule_id(r, e) else {
                continue;
            };
            if let Some(first) = ids.get(&id.value) {
                r.duplicate("rule", &id.value, *first, id.span);
                continue;
            }
            ids.insert(id.value.clone(), id.span);
            rules.push(inline_rule(r, &e.value, id, asset_ids, model_dir));
        }
    }
    (rules, entries)
}

/// An import entry, checked: no inline-rule keys, a status map, a path.
fn import_entry(
    r: &mut Resolver<'_>,
    f: &LoadedFile,
    e: &Spanned<v1::RuleEntry>,
    fmt: &Spanned<v1::ImportFormat>,
) -> Option<Entry> {
    let ev = &e.value;
    let mut bad = Vec::new();
    if ev.id.is_some() {
        bad.push("id");
    }
    if ev.techniques.is_some() {
        bad.push("techniques");
    }
    if ev.assets.is_some() {
        bad.push("assets");
    }
    if !bad.is_empty() {
        r.diags.push(
            Diagnostic::error(Code::InvalidRule, format!("an import entry cannot have {}", bad.join(", ")))
                .with_label(fmt.span, "this entry is an import")
                .with_help("imported rules carry their own ids and techniques; write inline rules as separate entries"),
        );
    }
    if let Some(s) = ev
        .status
        .as_ref()
        .filter(|s| matches!(s.value, StatusSpec::One(_)))
    {
        r.diags.push(
            Diagnostic::error(
                Code::InvalidRule,
                "an import's `status` maps source statuses to model statuses",
            )
            .with_label(s.span, "a single status")
            .with_help(
                "write e.g. `status: {stable: production, test: testing, experimental: planned}`",
            ),
        );
    }
    let Some(path) = &ev.path else {
        r.diags.push(
            Diagnostic::error(Code::InvalidRule, "an import entry needs `path`")
                .with_label(fmt.span, "import without a path")
                .with_help("name a file, a folder or a glob relative to this model file"),
        );
        return None;
    };
    Some(Entry::new(
        f.dir.clone(),
        fmt.value,
        path.clone(),
        ev,
        e.span,
    ))
}

/// An inline rule's id (required), with a check that it has no import-only keys.
fn rule_id<'e>(r: &mut Resolver<'_>, e: &'e Spanned<v1::RuleEntry>) -> Option<&'e Spanned<String>> {
    let ev = &e.value;
    let Some(id) = &ev.id else {
        r.diags.push(
            Diagnostic::error(
                Code::InvalidRule,
                "a rule needs an `id` (or `import:` and `path:` for an import)",
            )
            .with_label(e.span, "no id")
            .with_help("write `- id: my-rule` with `techniques: [T…]`"),
        );
        return None;
    };
    if ev.path.is_some() || !ev.exclude.is_empty() || ev.follow_revoked.is_some() {
        r.diags.push(
            Diagnostic::error(
                Code::InvalidRule,
                "`path`, `exclude` and `follow_revoked` belong to import entries",
            )
            .with_label(id.span, "an inline rule")
            .with_help("add `import: FORMAT` to import rule files"),
        );
    }
    Some(id)
}

fn inline_rule(
    r: &mut Resolver<'_>,
    ev: &v1::RuleEntry,
    id: &Spanned<String>,
    asset_ids: &BTreeSet<&str>,
    model_dir: &Path,
) -> Rule {
    let techniques = techniques(r, ev, id);
    let status = status(r, ev);
    let assets = scope(r, ev, id, asset_ids);
    let line = r
        .sources
        .locate(id.span)
        .map(|(_, l, _)| l)
        .unwrap_or_default();
    let file = r
        .sources
        .get(id.span.file)
        .map(|s| crate::model::load::relative_to(&s.path, model_dir))
        .unwrap_or_default();
    Rule {
        id: id.value.clone(),
        name: ev.name.clone().unwrap_or_else(|| id.value.clone()),
        techniques,
        status,
        assets,
        source: RuleSource::Inline { file, line },
    }
}

/// The techniques an inline rule lists (required; an empty list is a warning).
fn techniques(r: &mut Resolver<'_>, ev: &v1::RuleEntry, id: &Spanned<String>) -> Vec<String> {
    let mut techniques = BTreeSet::new();
    let Some(ts) = &ev.techniques else {
        r.diags.push(
            Diagnostic::error(
                Code::InvalidRule,
                format!("rule `{}` has no `techniques`", id.value),
            )
            .with_label(id.span, "no techniques")
            .with_help("list the ATT&CK techniques it detects: `techniques: [T1003.006]`"),
        );
        return Vec::new();
    };
    for t in ts {
        if let Some(tid) = r.technique(t, "`techniques`") {
            techniques.insert(tid);
        }
    }
    if ts.is_empty() {
        r.diags.push(
            Diagnostic::warning(
                Code::RuleNoTechniques,
                format!("rule `{}` maps to no technique", id.value),
            )
            .with_label(id.span, "no technique")
            .with_help("a rule counts as coverage only for the techniques it lists"),
        );
    }
    techniques.into_iter().collect()
}

/// An inline rule's status: one status (default production).
fn status(r: &mut Resolver<'_>, ev: &v1::RuleEntry) -> RuleStatus {
    match ev.status.as_ref().map(|s| (&s.value, s.span)) {
        None => RuleStatus::Production,
        Some((StatusSpec::One(s), _)) => (*s).into(),
        Some((StatusSpec::Map(_), span)) => {
            r.diags.push(
                Diagnostic::error(
                    Code::InvalidRule,
                    "an inline rule's `status` is a single status",
                )
                .with_label(span, "a mapping")
                .with_help("one of production, testing, planned, retired"),
            );
            RuleStatus::Production
        }
    }
}

/// The assets an inline rule is scoped to (sorted, unique); each must be defined.
fn scope(
    r: &mut Resolver<'_>,
    ev: &v1::RuleEntry,
    id: &Spanned<String>,
    asset_ids: &BTreeSet<&str>,
) -> Vec<String> {
    let mut scope = Vec::new();
    for a in ev.assets.iter().flatten() {
        if asset_ids.contains(a.value.as_str()) {
            scope.push(a.value.clone());
            continue;
        }
        let d = Diagnostic::error(
            Code::UndefinedAsset,
            format!("rule `{}` names undefined asset `{}`", id.value, a.value),
        )
        .with_label(a.span, "no such asset");
        r.diags.push(
            match crate::suggest::nearest(&a.value, asset_ids.iter().copied()) {
                Some(n) => d.with_help(format!("did you mean `{n}`?")),
                None => d.with_help("define it under `assets:`"),
            },
        );
    }
    scope.sort();
    scope.dedup();
    scope
}
