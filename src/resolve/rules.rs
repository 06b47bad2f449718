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
                // DeTT&CT technique administration files: read by `super::dettect`.
                if fmt.value == v1::ImportFormat::Dettect {
                    continue;
                }
                entries.extend(import_entry(r, f, e, fmt, asset_ids, Code::InvalidRule));
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

/// An import entry (of `rules:` or `candidates:`), checked: no inline-rule keys, a status
/// map, a path; problems are reported with `code`.
pub(super) fn import_entry(
    r: &mut Resolver<'_>,
    f: &LoadedFile,
    e: &Spanned<v1::RuleEntry>,
    fmt: &Spanned<v1::ImportFormat>,
    asset_ids: &BTreeSet<&str>,
    code: Code,
) -> Option<Entry> {
    let ev = &e.value;
    if fmt.value == v1::ImportFormat::Dettect {
        r.diags.push(
            Diagnostic::error(code, "a DeTT&CT file is not a rule library")
                .with_label(fmt.span, "`dettect` here")
                .with_help("import a DeTT&CT technique administration file under `rules:`; candidates come from sigma, splunk, elastic, navigator or csv"),
        );
        return None;
    }
    let bad: Vec<&str> = [
        ("id", ev.id.is_some()),
        ("techniques", ev.techniques.is_some()),
        ("platforms", ev.platforms.is_some()),
        ("data_components", ev.data_components.is_some()),
        ("validations", ev.validations.is_some()),
        ("applicable_to", ev.applicable_to.is_some()),
    ]
    .into_iter()
    .filter_map(|(key, set)| set.then_some(key))
    .collect();
    if !bad.is_empty() {
        r.diags.push(
            Diagnostic::error(code, format!("an import entry cannot have {}", bad.join(", ")))
                .with_label(fmt.span, "this entry is an import")
                .with_help("imported rules carry their own ids, techniques and platforms (scope an import with `assets:`); write inline rules as separate entries"),
        );
    }
    if let Some(s) = ev
        .status
        .as_ref()
        .filter(|s| matches!(s.value, StatusSpec::One(_)))
    {
        r.diags.push(
            Diagnostic::error(
                code,
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
            Diagnostic::error(code, "an import entry needs `path`")
                .with_label(fmt.span, "import without a path")
                .with_help("name a file, a folder or a glob relative to this model file"),
        );
        return None;
    };
    let what = format!("import of `{}`", path.value);
    let assets = scope(r, ev, &what, asset_ids);
    Entry::new(f.dir.clone(), fmt.value, path.clone(), ev, e.span, assets)
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
    if let Some(a) = &ev.applicable_to {
        r.diags.push(
            Diagnostic::error(
                Code::InvalidRule,
                "`applicable_to` belongs to a DeTT&CT import (`import: dettect`)",
            )
            .with_label(a.span, "on an inline rule")
            .with_help("scope an inline rule with `assets:`"),
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
    let assets = scope(r, ev, &format!("rule `{}`", id.value), asset_ids);
    let mut platforms: Vec<String> = Vec::new();
    for p in ev.platforms.iter().flatten() {
        if let Some(canon) = r.rule_platform(p) {
            if !platforms.contains(&canon) {
                platforms.push(canon);
            }
        }
    }
    let mut data_components: Vec<String> = Vec::new();
    for c in ev.data_components.iter().flatten() {
        if let Some(canon) = r.data_component(c) {
            if !data_components.contains(&canon) {
                data_components.push(canon);
            }
        }
    }
    let validations = super::evidence::validations(r, ev, asset_ids);
    let unscoped =
        (platforms.is_empty() && assets.is_empty()).then_some(crate::import::Unscoped::NoPlatform);
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
        platforms,
        data_components,
        level: None,
        unscoped,
        validations,
        source: RuleSource::Inline { file, line },
        span: Some(id.span),
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

/// The assets an inline rule or an import entry (`what`) is scoped to (sorted, unique);
/// each must be defined.
fn scope(
    r: &mut Resolver<'_>,
    ev: &v1::RuleEntry,
    what: &str,
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
            format!("{what} names undefined asset `{}`", a.value),
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

/// One warning for the inline rules that name neither platforms nor assets, when the
/// model has assets with platforms (without them, scoping means nothing).
pub(super) fn warn_unscoped(r: &mut Resolver<'_>, inline: &[Rule], assets: &[super::Asset]) {
    // Without platforms scoping means nothing; after an error (an undefined asset) the
    // warning would mislead.
    if !assets.iter().any(|a| !a.platforms.is_empty()) || r.diags.has_errors() {
        return;
    }
    let unscoped: Vec<&Rule> = inline.iter().filter(|x| x.unscoped.is_some()).collect();
    let Some(first) = unscoped.first() else {
        return;
    };
    let n = unscoped.len();
    let ids = crate::words::id_list(unscoped.iter().map(|x| x.id.as_str()), 5);
    let mut d = Diagnostic::warning(
        Code::RuleUnscoped,
        format!(
            "{n} inline {} name neither platforms nor assets and count on every asset: {}",
            crate::words::plural(n, "rule", "rules"),
            ids.join(", ")
        ),
    )
    .with_help("add `platforms: [Windows]` (where the rule runs) or `assets: [...]` so that it counts only where it can see");
    if let Some(span) = first.span {
        d = d.with_label(span, "no platforms, no assets");
    }
    r.diags.push(d);
}
