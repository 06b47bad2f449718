//! DeTT&CT files named by the model, mapped onto it (README, "DeTT&CT in and out").
//!
//! - `rules: - import: dettect, path: FILE` reads a technique administration file: each
//!   technique's latest detection score per `applicable_to` of 1 (basic) or more becomes
//!   a production rule on the matching assets (−1 none and 0 forensics/context detect
//!   nothing); its `threatc_tests` become the rule's validations; each latest visibility
//!   score becomes a [`VisibilityClaim`] on the matching assets, which the ladder uses
//!   where the asset declares no telemetry (0: blind, 1–4: visible).
//! - `telemetry: - import: dettect, path: FILE` reads a data source administration file:
//!   each data source available (some data quality above 0) per `applicable_to` is an
//!   ATT&CK data component collected on the matching assets, and every asset the file
//!   names (in `systems` or an `applicable_to`) declares telemetry.
//!
//! `applicable_to` values match the import entry's own `applicable_to` map, else an asset
//! by id, name or slug (`domain controllers` → `domain-controllers`, any case); `all` is
//! every asset. What cannot map is a warning at its place in the DeTT&CT file (an error
//! under `--deny import-errors`).

use super::context::Resolver;
use super::{Asset, ImportSummary, ResolveOptions, Rule, RuleSource, RuleStatus, Telemetry};
use super::{TestResult, Validation};
use crate::date::Date;
use crate::diag::{Code, Diagnostic, Severity};
use crate::import::dettect::{self as dt, Scored};
use crate::model::load::{Loaded, LoadedFile};
use crate::model::v1::AssetSelection;
use crate::model::yaml::Node;
use crate::source::{Span, Spanned};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A DeTT&CT visibility score of a technique on an asset (the latest of its
/// `visibility` object for an `applicable_to` that matches the asset).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct VisibilityClaim {
    /// Technique id.
    pub technique: String,
    /// Asset id.
    pub asset: String,
    /// 0 none … 4 excellent.
    pub score: u8,
    /// The logbook entry's date.
    pub date: Option<Date>,
    /// Where: `FILE:LINE`.
    pub source: String,
}

/// DeTT&CT's own data sources (not ATT&CK data components), as its data source
/// administration files name them.
const OWN_DATA_SOURCES: [&str; 4] = ["Internal DNS", "Web", "Email", "DHCP"];

/// The placeholder system name of DeTT&CT's editor (`systems: [{applicable_to: default}]`).
const DEFAULT_SYSTEM: &str = "default";

/// What the technique administration imports gave.
#[derive(Default)]
pub(super) struct Techniques {
    pub rules: Vec<Rule>,
    pub claims: Vec<VisibilityClaim>,
    pub summaries: Vec<ImportSummary>,
}

/// The DeTT&CT problems of a file: warnings, errors under `--deny import-errors`.
fn push(r: &mut Resolver<'_>, ds: Vec<Diagnostic>, deny: bool) {
    for mut d in ds {
        if deny && d.severity == Severity::Warning {
            d.severity = Severity::Error;
        }
        r.diags.push(d);
    }
}

fn warn(r: &mut Resolver<'_>, deny: bool, d: Diagnostic) {
    push(r, vec![d], deny);
}

/// Reads a DeTT&CT file an entry names, through the confined opener; its YAML tree and
/// its name as shown (relative to the root model's folder).
fn open(
    r: &mut Resolver<'_>,
    loaded: &Loaded,
    f: &LoadedFile,
    path: &Spanned<String>,
    opts: &ResolveOptions,
) -> Option<(Node, String)> {
    let confine = crate::fsio::Confine::new(&loaded.root_dir, opts.allow_outside_root);
    let model_dir = loaded
        .files
        .first()
        .map(|f| f.dir.clone())
        .unwrap_or_default();
    let abs = crate::model::load::normalize(&f.dir.join(&path.value));
    let shown = crate::model::load::relative_to(&abs, &model_dir);
    // Diagnostics name the file as the user reaches it (from the working folder, as
    // for imported rule files); outputs name it from the root model's folder.
    let file = match crate::model::load::read_source(
        &abs,
        crate::model::load::display_path(&abs),
        r.sources,
        Some(path.span),
        &confine,
    ) {
        Ok(id) => id,
        Err(d) => {
            r.diags.push(d);
            return None;
        }
    };
    let src = r.sources.get(file)?;
    match crate::model::yaml::parse(file, src) {
        Ok(n) => Some((n, shown)),
        Err(d) => {
            r.diags.push(d.with_label(path.span, "named here"));
            None
        }
    }
}

/// How an import's `applicable_to` values name assets: the model's assets, the entry's
/// own `applicable_to` map (lower-case name → asset ids), and what `all` stands for.
struct Systems<'a> {
    assets: &'a [Asset],
    map: BTreeMap<String, Vec<String>>,
    /// A data source file's `all`: the systems it administers (None: every asset).
    all_of: Option<BTreeSet<String>>,
    deny: bool,
}

impl<'a> Systems<'a> {
    /// The entry's `applicable_to` map checked: each value `all` or asset ids
    /// (undefined ones are `undefined-asset` errors with a did-you-mean).
    fn new(
        r: &mut Resolver<'_>,
        assets: &'a [Asset],
        map: Option<&Spanned<BTreeMap<String, AssetSelection>>>,
        deny: bool,
    ) -> Self {
        let ids: BTreeSet<&str> = assets.iter().map(|a| a.id.as_str()).collect();
        let mut out = BTreeMap::new();
        for (name, sel) in map.map(|m| &m.value).into_iter().flatten() {
            let named: Vec<&str> = match sel {
                AssetSelection::One(s) => vec![s.as_str()],
                AssetSelection::Many(v) => v.iter().map(String::as_str).collect(),
            };
            let mut on = Vec::new();
            for n in named.into_iter().map(str::trim) {
                if n.eq_ignore_ascii_case("all") {
                    on.extend(assets.iter().map(|a| a.id.clone()));
                } else if ids.contains(n) {
                    on.push(n.to_string());
                } else if let Some(m) = map {
                    super::evidence::asset(r, n, m.span, &ids, "`applicable_to`");
                }
            }
            out.insert(key(name), on);
        }
        Systems {
            assets,
            map: out,
            all_of: None,
            deny,
        }
    }

    /// The assets an `applicable_to` list names (model order): `all` every asset (or
    /// every system of the file); otherwise the entry's map, else an asset's id, name or
    /// slug (any case). Values that name none are warned about (with a did-you-mean) and
    /// left out.
    fn resolve(&self, r: &mut Resolver<'_>, values: &[Spanned<String>]) -> Vec<String> {
        let mut out: BTreeSet<&str> = BTreeSet::new();
        for v in values {
            let name = v.value.trim();
            if name.eq_ignore_ascii_case("all") {
                let all_of = self.all_of.as_ref();
                out.extend(
                    self.assets
                        .iter()
                        .filter(|a| all_of.is_none_or(|s| s.contains(&a.id)))
                        .map(|a| a.id.as_str()),
                );
            } else if let Some(ids) = self.map.get(&key(name)) {
                out.extend(ids.iter().map(String::as_str));
            } else if let Some(a) = match_asset(name, self.assets) {
                out.insert(a.id.as_str());
            } else {
                self.unknown(r, name, v.span);
            }
        }
        self.assets
            .iter()
            .filter(|a| out.contains(a.id.as_str()))
            .map(|a| a.id.clone())
            .collect()
    }

    fn unknown(&self, r: &mut Resolver<'_>, name: &str, span: Span) {
        let d = Diagnostic::warning(
            Code::DettectApplicableTo,
            format!("`applicable_to` value `{name}` names no asset of the model; its scores are not imported for it"),
        )
        .with_label(span, "no such asset");
        let help = match crate::suggest::nearest(name, self.assets.iter().map(|a| a.id.as_str())) {
            Some(n) => format!("did you mean `{n}`? values match an asset's id, name or slug (`domain controllers` → `domain-controllers`), or `all`; map other names on the import: `applicable_to: {{{name}: [{n}]}}`"),
            None => format!("name the asset as the model does (its id, name or slug), write `all`, or map the name on the import: `applicable_to: {{{name}: [ASSET, …]}}`"),
        };
        warn(r, self.deny, d.with_help(help));
    }
}

/// A system name as the `applicable_to` map matches it: its slug (`Linux-Servers`, `linux
/// servers` → `linux-servers`), or in lower case when it has no letter or digit.
fn key(name: &str) -> String {
    let slug = super::slug(name);
    if slug.is_empty() {
        name.trim().to_lowercase()
    } else {
        slug
    }
}

/// The asset a DeTT&CT system name stands for: by id, name or slug, any case.
fn match_asset<'a>(name: &str, assets: &'a [Asset]) -> Option<&'a Asset> {
    let slug = super::slug(name);
    assets.iter().find(|a| {
        a.id.eq_ignore_ascii_case(name)
            || a.name.eq_ignore_ascii_case(name)
            || (!slug.is_empty() && a.id.eq_ignore_ascii_case(&slug))
    })
}

/// 1-based line of a span.
fn line_of(r: &Resolver<'_>, span: Span) -> usize {
    r.sources
        .get(span.file)
        .map(|f| f.line_col(span.start as usize).0)
        .unwrap_or(1)
}

/// Every telemetry import (`telemetry: - import: dettect`) of every model file: the
/// telemetry entries they give, already applied to the assets' `collects`.
pub(super) fn telemetry(
    r: &mut Resolver<'_>,
    loaded: &Loaded,
    assets: &mut [Asset],
    opts: &ResolveOptions,
) -> Vec<Telemetry> {
    let deny = opts.deny_import_errors;
    let mut out = Vec::new();
    let mut declared: BTreeSet<String> = BTreeSet::new();
    for f in &loaded.files {
        for e in &f.content.telemetry {
            let ev = &e.value;
            if ev.import.is_none() && ev.path.is_none() && ev.applicable_to.is_none() {
                continue;
            }
            let Some(path) = telemetry_entry_ok(r, e) else {
                continue;
            };
            let Some((root, shown)) = open(r, loaded, f, path, opts) else {
                continue;
            };
            let (admin, problems) = dt::data_sources(&root);
            push(r, problems, deny);
            let mut sys = Systems::new(r, assets, ev.applicable_to.as_ref(), deny);
            let mut systems: BTreeSet<String> = BTreeSet::new();
            for s in &admin.systems {
                if s.value.trim().eq_ignore_ascii_case(DEFAULT_SYSTEM) {
                    continue;
                }
                systems.extend(sys.resolve(r, std::slice::from_ref(s)));
            }
            declared.extend(systems.iter().cloned());
            // `all` is every system the file administers (every asset when it names none).
            sys.all_of = (!systems.is_empty()).then_some(systems);
            let file = File {
                shown: &shown,
                sys: &sys,
            };
            for ds in &admin.data_sources {
                data_source(r, ds, &file, (&mut out, &mut declared));
            }
        }
    }
    for a in assets.iter_mut().filter(|a| declared.contains(&a.id)) {
        a.collects.get_or_insert_with(Vec::new);
    }
    super::telemetry::apply(assets, &out);
    out
}

/// A telemetry import entry's `path`, after checking it has no keys of a telemetry entry.
fn telemetry_entry_ok<'e>(
    r: &mut Resolver<'_>,
    e: &'e Spanned<crate::model::v1::TelemetryEntry>,
) -> Option<&'e Spanned<String>> {
    let ev = &e.value;
    let mut bad = Vec::new();
    for (k, set) in [
        ("log_source", ev.log_source.is_some()),
        ("event_codes", ev.event_codes.is_some()),
        ("channel", ev.channel.is_some()),
        ("data_components", ev.data_components.is_some()),
        ("assets", ev.assets.is_some()),
        ("retention", ev.retention.is_some()),
        ("cost", ev.cost.is_some()),
    ] {
        if set {
            bad.push(k);
        }
    }
    if !bad.is_empty() {
        r.diags.push(
            Diagnostic::error(Code::InvalidTelemetry, format!("a telemetry import cannot have {}", bad.join(", ")))
                .with_label(e.span, "an import")
                .with_help("the DeTT&CT file says which data sources are collected where; write other telemetry as separate entries"),
        );
    }
    match (&ev.import, &ev.path) {
        (Some(_), Some(p)) => Some(p),
        (None, _) => {
            r.diags.push(
                Diagnostic::error(Code::InvalidTelemetry, "`path` and `applicable_to` belong to a telemetry import")
                    .with_label(e.span, "no `import:`")
                    .with_help("write `import: dettect` with `path:` a DeTT&CT data source administration file"),
            );
            None
        }
        (Some(i), None) => {
            r.diags.push(
                Diagnostic::error(Code::SchemaMissingKey, "a telemetry import needs `path`")
                    .with_label(i.span, "import without a path")
                    .with_help("name the DeTT&CT data source administration file, relative to this model file"),
            );
            None
        }
    }
}

/// The data source file being read.
struct File<'f> {
    shown: &'f str,
    sys: &'f Systems<'f>,
}

/// One data source: its data component checked, a telemetry entry per available
/// `data_source` object; every asset named is `declared`.
fn data_source(
    r: &mut Resolver<'_>,
    ds: &dt::DataSource,
    file: &File<'_>,
    (out, declared): (&mut Vec<Telemetry>, &mut BTreeSet<String>),
) {
    let (shown, deny) = (file.shown, file.sys.deny);
    let name = ds.name.value.trim();
    let bare = name.trim_end_matches("[DeTT&CT data source]").trim();
    let canon = match super::context::component_name(r.catalog, bare) {
        Ok(c) => Some(c),
        Err(help) => {
            let own = OWN_DATA_SOURCES
                .iter()
                .any(|o| o.eq_ignore_ascii_case(bare));
            let d = if own {
                Diagnostic::warning(
                    Code::DettectUnknownDataSource,
                    format!("`{bare}` is one of DeTT&CT's own data sources, not an ATT&CK data component; it is not imported"),
                )
                .with_help("add what it provides as ATT&CK data components in a `telemetry:` entry (e.g. `data_components: [Network Traffic Content]`)")
            } else {
                Diagnostic::warning(
                    Code::DettectUnknownDataSource,
                    format!("`{bare}` is not an ATT&CK {} data component of the catalog in use; it is not imported", r.catalog.domain),
                )
                .with_help(help)
            };
            warn(r, deny, d.with_label(ds.name.span, "unknown data source"));
            None
        }
    };
    // An unknown data source says nothing of the assets (their telemetry stays as the
    // rest of the file and the model declare it).
    let Some(canon) = canon else {
        return;
    };
    for e in &ds.entries {
        let on = file.sys.resolve(r, &e.applicable_to);
        declared.extend(on.iter().cloned());
        if !e.available || on.is_empty() {
            continue;
        }
        let products = if e.products.is_empty() {
            String::new()
        } else {
            format!(" ({})", e.products.join(", "))
        };
        out.push(Telemetry {
            name: format!("DeTT&CT {shown}:{}: {canon}{products}", line_of(r, e.span)),
            log_source: None,
            event_codes: Vec::new(),
            channel: None,
            data_components: vec![canon.clone()],
            assets: on,
            retention: None,
            cost: None,
        });
    }
}

/// Every technique administration import (`rules: - import: dettect`) of every model
/// file.
pub(super) fn techniques(
    r: &mut Resolver<'_>,
    loaded: &Loaded,
    assets: &[Asset],
    opts: &ResolveOptions,
) -> Techniques {
    let mut out = Techniques::default();
    let mut claims: BTreeMap<(String, String), VisibilityClaim> = BTreeMap::new();
    let mut ids: BTreeSet<String> = BTreeSet::new();
    for f in &loaded.files {
        for e in &f.content.rules {
            let Some(fmt) = &e.value.import else {
                continue;
            };
            if fmt.value != crate::model::v1::ImportFormat::Dettect {
                continue;
            }
            let Some(path) = rule_entry_ok(r, e, fmt.span) else {
                continue;
            };
            let Some((root, shown)) = open(r, loaded, f, path, opts) else {
                continue;
            };
            let (admin, problems) = dt::techniques(&root);
            push(r, problems, opts.deny_import_errors);
            let before = out.rules.len();
            let sys = Systems::new(
                r,
                assets,
                e.value.applicable_to.as_ref(),
                opts.deny_import_errors,
            );
            for t in &admin.techniques {
                let cx = Cx {
                    r: &mut *r,
                    sys: &sys,
                    shown: &shown,
                };
                technique(cx, t, &mut ids, &mut out.rules, &mut claims);
            }
            out.summaries.push(ImportSummary {
                format: "dettect".into(),
                path: path.value.clone(),
                files: 1,
                rules: out.rules.len() - before,
                no_technique: 0,
                deprecated: 0,
                unscoped: BTreeMap::new(),
                assets: Vec::new(),
            });
        }
    }
    out.claims = claims.into_values().collect();
    out
}

/// A technique administration import entry's `path`, after checking it has only
/// `import` and `path` (and free text).
fn rule_entry_ok<'e>(
    r: &mut Resolver<'_>,
    e: &'e Spanned<crate::model::v1::RuleEntry>,
    at: Span,
) -> Option<&'e Spanned<String>> {
    let ev = &e.value;
    let mut bad = Vec::new();
    for (k, set) in [
        ("id", ev.id.is_some()),
        ("techniques", ev.techniques.is_some()),
        ("status", ev.status.is_some()),
        ("assets", ev.assets.is_some()),
        ("platforms", ev.platforms.is_some()),
        ("data_components", ev.data_components.is_some()),
        ("validations", ev.validations.is_some()),
        ("exclude", !ev.exclude.is_empty()),
        ("follow_revoked", ev.follow_revoked.is_some()),
    ] {
        if set {
            bad.push(k);
        }
    }
    if !bad.is_empty() {
        r.diags.push(
            Diagnostic::error(Code::InvalidRule, format!("a DeTT&CT import cannot have {}", bad.join(", ")))
                .with_label(at, "`import: dettect`")
                .with_help("the technique administration file says which techniques are detected where (`applicable_to`); it takes only `path`"),
        );
    }
    if ev.path.is_none() {
        r.diags.push(
            Diagnostic::error(Code::InvalidRule, "an import entry needs `path`")
                .with_label(at, "import without a path")
                .with_help(
                    "name the DeTT&CT technique administration file, relative to this model file",
                ),
        );
    }
    ev.path.as_ref()
}

/// What one technique's mapping needs.
struct Cx<'r, 'a, 's> {
    r: &'r mut Resolver<'a>,
    sys: &'s Systems<'s>,
    shown: &'s str,
}

/// One technique: its id checked, a rule per detection object scored 1 or more, a claim
/// per asset of each visibility object.
fn technique(
    mut cx: Cx<'_, '_, '_>,
    t: &dt::Technique,
    ids: &mut BTreeSet<String>,
    rules: &mut Vec<Rule>,
    claims: &mut BTreeMap<(String, String), VisibilityClaim>,
) {
    let Some(tid) = technique_id(&mut cx, &t.id) else {
        return;
    };
    for d in &t.detection {
        if let Some(rule) = detection(&mut cx, &tid, d, ids) {
            rules.push(rule);
        }
    }
    for v in &t.visibility {
        let (Some(latest), false) = (&v.latest, cx.sys.assets.is_empty()) else {
            continue;
        };
        let Ok(score) = u8::try_from(latest.score.value) else {
            continue;
        };
        let line = line_of(cx.r, latest.score.span);
        for asset in cx.sys.resolve(cx.r, &v.applicable_to) {
            let claim = VisibilityClaim {
                technique: tid.clone(),
                asset: asset.clone(),
                score,
                date: latest.date,
                source: format!("{}:{line}", cx.shown),
            };
            // Several objects on one pair: the latest date wins, then the higher score.
            let key = (tid.clone(), asset);
            let keep = claims
                .get(&key)
                .is_some_and(|c| (c.date, c.score) >= (claim.date, claim.score));
            if !keep {
                claims.insert(key, claim);
            }
        }
    }
}

/// A technique id checked against the catalog: not an id, unknown or revoked is a
/// warning and the technique is skipped; deprecated is a warning.
fn technique_id(cx: &mut Cx<'_, '_, '_>, id: &Spanned<String>) -> Option<String> {
    let Some(norm) = crate::technique_id::normalize(&id.value) else {
        let d = Diagnostic::warning(
            Code::ImportBadTechniqueId,
            format!(
                "`{}` is not an ATT&CK technique id; the technique is skipped",
                crate::escape::terminal(id.value.trim())
            ),
        )
        .with_label(id.span, "technique ids look like T1059 or T1059.001");
        warn(cx.r, cx.sys.deny, d);
        return None;
    };
    let release = format!("ATT&CK {} {}", cx.r.catalog.domain, cx.r.catalog.release);
    let d = match cx.r.catalog.technique(&norm) {
        None => Diagnostic::warning(
            Code::ImportUnknownTechnique,
            format!("`{norm}` is not a technique of {release}; its scores are not imported"),
        )
        .with_help(
            match crate::catalog::newer::unknown_technique_hint(cx.r.catalog, &norm) {
                Some((msg, help)) => format!("{msg}; {help}"),
                None => {
                    "the id may be from another ATT&CK release (use --attack-data) or a typo".into()
                }
            },
        ),
        Some(t) if t.revoked => Diagnostic::warning(
            Code::ImportRevokedTechnique,
            format!("`{norm}` was revoked in {release}; its scores are not imported"),
        )
        .with_help(match &t.revoked_by {
            Some(b) => format!("DeTT&CT keeps old ids: score `{b}`, which replaced it"),
            None => "score the technique that replaced it".into(),
        }),
        Some(t) => {
            if t.deprecated {
                let d = Diagnostic::warning(
                    Code::ImportDeprecatedTechnique,
                    format!("`{norm}` is deprecated in {release}"),
                )
                .with_label(id.span, "deprecated");
                warn(cx.r, cx.sys.deny, d);
            }
            return Some(t.id.to_string());
        }
    };
    warn(cx.r, cx.sys.deny, d.with_label(id.span, "not imported"));
    None
}

/// A detection object as a rule, when its latest score is 1 or more and it applies to
/// some asset (or the model has none).
fn detection(
    cx: &mut Cx<'_, '_, '_>,
    tid: &str,
    d: &Scored,
    ids: &mut BTreeSet<String>,
) -> Option<Rule> {
    let latest = d.latest.as_ref()?;
    // A model without assets counts detection everywhere: `applicable_to` has nothing
    // to name.
    let on = if cx.sys.assets.is_empty() {
        Vec::new()
    } else {
        cx.sys.resolve(cx.r, &d.applicable_to)
    };
    let score = latest.score.value;
    if score < 1 || (on.is_empty() && !cx.sys.assets.is_empty()) {
        return None;
    }
    let written: Vec<&str> = d.applicable_to.iter().map(|a| a.value.trim()).collect();
    let base = format!("dettect:{tid}:{}", written.join("+"));
    let mut id = base.clone();
    let mut n = 1;
    while !ids.insert(id.clone()) {
        n += 1;
        id = format!("{base}#{n}");
    }
    let location = if d.location.is_empty() {
        String::new()
    } else {
        format!("; location: {}", d.location.join(", "))
    };
    let line = line_of(cx.r, d.span);
    Some(Rule {
        id,
        name: format!(
            "DeTT&CT detection of {tid}, score {score} ({}){location}",
            dt::detection_label(score)
        ),
        techniques: vec![tid.to_string()],
        status: RuleStatus::Production,
        unscoped: on.is_empty().then_some(super::Unscoped::NoPlatform),
        assets: on,
        platforms: Vec::new(),
        data_components: Vec::new(),
        level: None,
        validations: d
            .tests
            .iter()
            .map(|t| Validation {
                date: t.date,
                result: if t.detected {
                    TestResult::Detected
                } else {
                    TestResult::NotDetected
                },
                method: t.method.as_deref().map(super::evidence::method),
                reference: t.reference.clone(),
                assets: Vec::new(),
                stale: false,
            })
            .collect(),
        span: None,
        source: RuleSource::Imported {
            format: "dettect".into(),
            file: cx.shown.to_string(),
            line: u32::try_from(line).ok(),
        },
    })
}
