//! Model + catalog → resolved model: every name looked up, every reference checked,
//! every actor turned into a technique set with provenance. Semantic diagnostics are
//! collected here; a resolved model is valid by construction.

use crate::catalog::{Catalog, UseSource};
use crate::date::Date;
use crate::diag::Code;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::load::Loaded;
use crate::model::v1::{
    self, Criticality, RuleStatus, StatusSpec, SubtechniqueMode, TechniqueNote,
};
use crate::source::{Span, Spanned};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub mod imports;

/// Where an actor's technique came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Provenance {
    /// The group uses it directly (ATT&CK procedure text).
    Group {
        /// Procedure text, shortened.
        procedure: String,
    },
    /// A campaign attributed to the group uses it.
    Campaign {
        /// Campaign id (C0001).
        id: String,
        /// Procedure text, shortened.
        procedure: String,
    },
    /// Software the group uses has it.
    Software {
        /// Software id (S0001).
        id: String,
    },
    /// Listed by the model (`techniques:` of a custom actor or `add:`).
    Local,
}

impl Provenance {
    /// Short label for layer comments: `group`, `campaign C0001`, `software S0002`, `local`.
    pub fn label(&self) -> String {
        match self {
            Provenance::Group { .. } => "group".into(),
            Provenance::Campaign { id, .. } => format!("campaign {id}"),
            Provenance::Software { id } => format!("software {id}"),
            Provenance::Local => "local".into(),
        }
    }
}

/// What kind of actor.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ActorKind {
    /// An ATT&CK group.
    Group {
        /// G id.
        group_id: String,
        /// ATT&CK name.
        group_name: String,
        /// ATT&CK aliases.
        aliases: Vec<String>,
    },
    /// The team's own intelligence.
    Custom,
}

/// An actor with its technique set.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Actor {
    /// Model id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Group or custom.
    #[serde(flatten)]
    pub kind: ActorKind,
    /// Weight (default 1).
    pub weight: f64,
    /// Whether software techniques are included.
    pub software: bool,
    /// Technique id → where it came from (sorted).
    pub techniques: BTreeMap<String, Vec<Provenance>>,
    /// Where the actor was declared.
    #[serde(skip)]
    pub span: Span,
}

/// An asset.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Asset {
    /// Model id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Canonical ATT&CK platform names.
    pub platforms: Vec<String>,
    /// Criticality.
    pub criticality: Criticality,
    /// Where declared.
    #[serde(skip)]
    pub span: Span,
}

/// Where a rule was written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RuleSource {
    /// In a model file.
    Inline {
        /// Model file (display path).
        file: String,
        /// Line.
        line: usize,
    },
    /// From an imported rule file.
    Imported {
        /// Format name.
        format: String,
        /// The rule file (display path).
        file: String,
        /// Line, when known.
        line: Option<u32>,
    },
}

/// A detection rule.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Rule {
    /// Rule id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Technique ids (normalised, sorted, unique).
    pub techniques: Vec<String>,
    /// Status in the model's terms.
    pub status: RuleStatus,
    /// Asset scope (empty: all assets).
    pub assets: Vec<String>,
    /// Where it was written.
    pub source: RuleSource,
}

/// A coverage target.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Target {
    /// Id.
    pub id: String,
    /// Actor ids (all actors when the model named none).
    pub actors: Vec<String>,
    /// Whether the model named actors.
    pub all_actors: bool,
    /// Required share, 0–1.
    pub share: f64,
    /// Weighted by actor weight.
    pub weighted: bool,
    /// Due date.
    pub by: Option<Date>,
    /// Free text.
    pub description: Option<String>,
}

/// Model metadata.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Meta {
    /// Slug.
    pub name: String,
    /// Title.
    pub title: Option<String>,
    /// Model version.
    pub version: Option<String>,
    /// Owner.
    pub owner: Option<String>,
    /// Assessment date.
    pub assessed: Option<Date>,
    /// Description.
    pub description: Option<String>,
    /// ATT&CK release the model says it was written against.
    pub attack_version: Option<String>,
}

/// Coverage-counting settings.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CoverageSettings {
    /// Statuses that count.
    pub count: BTreeSet<RuleStatus>,
    /// Sub-technique mode.
    pub subtechniques: SubtechniqueMode,
}

/// Plan settings.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PlanSettings {
    /// Days to the due date for P1, P2, P3.
    pub due_days: [u32; 3],
    /// Notes per technique.
    pub notes: BTreeMap<String, TechniqueNote>,
}

/// What one import entry yielded.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ImportSummary {
    /// Format.
    pub format: String,
    /// The path as written in the model.
    pub path: String,
    /// Files read.
    pub files: usize,
    /// Rules yielded (counted and not).
    pub rules: usize,
    /// Rules without a technique.
    pub no_technique: usize,
    /// Rules deprecated at their source.
    pub deprecated: usize,
}

/// A resolved model.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Resolved {
    /// Metadata.
    pub meta: Meta,
    /// Actors, in model order.
    pub actors: Vec<Actor>,
    /// Assets, in model order.
    pub assets: Vec<Asset>,
    /// Rules: inline in model order, then imported sorted by source.
    pub rules: Vec<Rule>,
    /// Targets.
    pub targets: Vec<Target>,
    /// Coverage settings.
    pub coverage: CoverageSettings,
    /// Plan settings.
    pub plan: PlanSettings,
    /// Import summaries.
    pub imports: Vec<ImportSummary>,
    /// Import entries still to run: (folder of the model file, entry).
    #[serde(skip)]
    pub import_entries: Vec<(std::path::PathBuf, Spanned<v1::RuleEntry>)>,
}

/// Options of resolution.
#[derive(Debug, Clone, Default)]
pub struct ResolveOptions {
    /// Let import paths leave the repository root.
    pub allow_outside_root: bool,
    /// The catalog's release differs from the model's and that was already said.
    pub quiet_version: bool,
    /// Problems in imported rule files are errors.
    pub deny_import_errors: bool,
}

/// The slug a group actor gets as its id: `Lazarus Group` → `lazarus-group`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// True when `s` has the shape of a technique id (T1234 or T1234.567).
pub fn is_technique_id(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    match b.len() {
        5 => b.first() == Some(&b'T') && digits(1..5),
        9 => b.first() == Some(&b'T') && digits(1..5) && b.get(5) == Some(&b'.') && digits(6..9),
        _ => false,
    }
}

pub(crate) struct Resolver<'a> {
    pub catalog: &'a Catalog,
    pub diags: Diagnostics,
}

impl<'a> Resolver<'a> {
    /// Checks a technique reference; returns the canonical id when usable.
    pub fn technique(&mut self, t: &Spanned<String>, what: &str) -> Option<String> {
        let raw = t.value.trim();
        if !is_technique_id(raw) {
            let upper = raw.to_ascii_uppercase();
            let mut d = Diagnostic::error(
                Code::BadTechniqueId,
                format!("`{raw}` is not a technique id"),
            )
            .with_label(t.span, format!("{what} takes ATT&CK technique ids"));
            if is_technique_id(&upper) {
                d = d.with_help(format!("write `{upper}`"));
            } else if let Some(n) = self.catalog.nearest_techniques(raw, 1).first() {
                d = d.with_help(format!(
                    "technique ids look like T1059 or T1059.001; did you mean `{}` ({})?",
                    n.id, n.name
                ));
            } else {
                d = d.with_help("technique ids look like T1059 or T1059.001");
            }
            self.diags.push(d);
            return None;
        }
        let Some(tech) = self.catalog.technique(raw) else {
            let near = self.catalog.nearest_techniques(raw, 3);
            let mut d = Diagnostic::error(
                Code::UnknownTechnique,
                format!(
                    "unknown technique `{raw}` in ATT&CK {} {}",
                    self.catalog.domain, self.catalog.release
                ),
            )
            .with_label(t.span, "not in the catalog");
            if let Some(n) = near.first() {
                d = d.with_help(format!("did you mean `{}` ({})?", n.id, n.name));
            }
            self.diags.push(d);
            return None;
        };
        if tech.revoked {
            let msg = match &tech.revoked_by {
                Some(r) => {
                    let name = self
                        .catalog
                        .technique(r)
                        .map(|x| x.name.as_str())
                        .unwrap_or("");
                    (
                        format!("technique `{raw}` was revoked; replaced by `{r}` ({name})"),
                        format!("write `{r}`, or run `threatc migrate` to update the model"),
                    )
                }
                None => (
                    format!("technique `{raw}` was revoked"),
                    "remove it".to_string(),
                ),
            };
            self.diags.push(
                Diagnostic::error(Code::RevokedTechnique, msg.0)
                    .with_label(
                        t.span,
                        format!("revoked in ATT&CK {}", self.catalog.release),
                    )
                    .with_help(msg.1),
            );
            return None;
        }
        if tech.deprecated {
            self.diags.push(
                Diagnostic::warning(Code::DeprecatedTechnique, format!("technique `{raw}` ({}) is deprecated", tech.name))
                    .with_label(t.span, format!("deprecated in ATT&CK {}", self.catalog.release))
                    .with_help("ATT&CK no longer maintains it and no group uses it; remove it or map to a current technique"),
            );
        }
        Some(tech.id.clone())
    }

    fn date(&mut self, s: &Spanned<v1::Scalar>, what: &str) -> Option<Date> {
        let text = s.value.text();
        match Date::parse(text.trim()) {
            Some(d) => Some(d),
            None => {
                self.diags.push(
                    Diagnostic::error(Code::InvalidDate, format!("`{text}` is not a valid date"))
                        .with_label(s.span, format!("{what} is a date"))
                        .with_help("write an ISO date: YYYY-MM-DD, e.g. 2027-03-31"),
                );
                None
            }
        }
    }

    fn duplicate(&mut self, kind: &str, id: &str, first: Span, again: Span) {
        self.diags.push(
            Diagnostic::error(
                Code::DuplicateId,
                format!("{kind} id `{id}` is defined twice"),
            )
            .with_label(again, "defined again here")
            .with_label(first, "first defined here")
            .with_help(format!(
                "{kind} ids must be unique across the model and its includes"
            )),
        );
    }
}

fn nearest_ids<'x>(word: &str, ids: impl Iterator<Item = &'x str>) -> Option<&'x str> {
    ids.map(|c| {
        (
            strsim::damerau_levenshtein(&word.to_lowercase(), &c.to_lowercase()),
            c,
        )
    })
    .filter(|(d, c)| *d <= 2.max(c.len() / 3))
    .min_by_key(|(d, c)| (*d, *c))
    .map(|(_, c)| c)
}

/// Resolves a loaded model against a catalog. Returns the model and its warnings, or
/// every error found.
pub fn resolve(
    loaded: &Loaded,
    catalog: &Catalog,
    sources: &crate::source::SourceMap,
    opts: &ResolveOptions,
) -> Result<(Resolved, Diagnostics), Diagnostics> {
    let mut r = Resolver {
        catalog,
        diags: Diagnostics::new(),
    };
    let Some(root) = loaded.files.first() else {
        return Err(Diagnostic::error(Code::EmptyModel, "no model file was read").into());
    };

    // Root-only sections.
    for f in loaded.files.iter().skip(1) {
        let c = &f.content;
        let checks: [(&str, Option<Span>); 4] = [
            ("model", c.model.as_ref().map(|m| m.span)),
            ("attack", c.attack.as_ref().map(|m| m.span)),
            ("coverage", c.coverage.as_ref().map(|m| m.span)),
            (
                "plan.due",
                c.plan
                    .as_ref()
                    .and_then(|p| p.value.due.as_ref().map(|d| d.span)),
            ),
        ];
        for (name, span) in checks {
            if let Some(span) = span {
                let mut d = Diagnostic::error(
                    Code::FragmentSection,
                    format!("`{name}` may only be set in the root model"),
                )
                .with_label(span, "in an included fragment");
                if let Some(at) = f.included_at {
                    d = d.with_label(at, "included here");
                }
                r.diags.push(
                    d.with_help("fragments hold actors, assets, rules, targets and plan notes"),
                );
            }
        }
    }

    let rc = &root.content;
    let meta = match &rc.model {
        None => {
            let span = sources
                .get(root.file)
                .map(|_| Span::new(root.file, 0, 0))
                .unwrap_or_default();
            r.diags.push(
                Diagnostic::error(Code::MissingModel, "the model has no `model:` section")
                    .with_label(span, "")
                    .with_help(
                        "add `model:` with at least `name:` (a slug such as `acme-finance`)",
                    ),
            );
            None
        }
        Some(m) => {
            let m = &m.value;
            let assessed = m.assessed.as_ref().and_then(|a| r.date(a, "`assessed`"));
            Some(Meta {
                name: m.name.value.clone(),
                title: m.title.clone(),
                version: m.version.as_ref().map(|v| v.value.text()),
                owner: m.owner.clone(),
                assessed,
                description: m.description.clone(),
                attack_version: None,
            })
        }
    };

    // ATT&CK section.
    let mut model_release = None;
    if let Some(a) = &rc.attack {
        if let Some(d) = &a.value.domain {
            let want = match d.value {
                v1::DomainName::Enterprise => "enterprise",
                v1::DomainName::Mobile => "mobile",
                v1::DomainName::Ics => "ics",
            };
            if want != catalog.domain.as_str() {
                r.diags.push(
                    Diagnostic::error(
                        Code::AttackDomainMismatch,
                        format!(
                            "the model is for ATT&CK {want} but the ATT&CK data in use is {}",
                            catalog.domain
                        ),
                    )
                    .with_label(d.span, "model domain")
                    .with_help("supply the bundle of the model's domain with --attack-data"),
                );
            }
        }
        if let Some(v) = &a.value.version {
            let text = v.value.text();
            if text != catalog.release && !opts.quiet_version {
                r.diags.push(
                    Diagnostic::warning(
                        Code::AttackVersionMismatch,
                        format!("the model is written against ATT&CK {text} but the catalog in use is {}", catalog.release),
                    )
                    .with_label(v.span, format!("catalog is {}", catalog.release))
                    .with_help(format!(
                        "run `threatc migrate` to update the model to {}, or pass the {text} bundle with --attack-data",
                        catalog.release
                    )),
                );
            }
            model_release = Some(text);
        }
    }

    // Assets.
    let mut assets: Vec<Asset> = Vec::new();
    let mut asset_ids: HashMap<String, Span> = HashMap::new();
    for f in &loaded.files {
        for a in &f.content.assets {
            let av = &a.value;
            if let Some(first) = asset_ids.get(&av.id.value) {
                let first = *first;
                r.duplicate("asset", &av.id.value, first, av.id.span);
                continue;
            }
            asset_ids.insert(av.id.value.clone(), av.id.span);
            let mut platforms = Vec::new();
            for p in &av.platforms {
                match catalog.is_platform(&p.value) {
                    Some(canon) => {
                        if !platforms.contains(&canon.to_string()) {
                            platforms.push(canon.to_string());
                        }
                    }
                    None => {
                        let near =
                            nearest_ids(&p.value, catalog.platforms.iter().map(String::as_str));
                        let mut d = Diagnostic::error(
                            Code::UnknownPlatform,
                            format!("`{}` is not an ATT&CK {} platform", p.value, catalog.domain),
                        )
                        .with_label(p.span, "unknown platform");
                        d = match near {
                            _ if catalog.platforms.is_empty() => d.with_help(format!(
                                "ATT&CK {} gives its techniques no platforms: write `platforms: []` and the asset applies to every technique",
                                catalog.domain
                            )),
                            Some(n) => d.with_help(format!(
                                "did you mean `{n}`? platforms: {}",
                                catalog.platforms.join(", ")
                            )),
                            None => d.with_help(format!(
                                "platforms of this domain: {}",
                                catalog.platforms.join(", ")
                            )),
                        };
                        r.diags.push(d);
                    }
                }
            }
            assets.push(Asset {
                id: av.id.value.clone(),
                name: av.name.clone().unwrap_or_else(|| av.id.value.clone()),
                platforms,
                criticality: av
                    .criticality
                    .as_ref()
                    .map(|c| c.value)
                    .unwrap_or(Criticality::Medium),
                span: a.span,
            });
        }
    }

    // Actors.
    let mut actors: Vec<Actor> = Vec::new();
    let mut actor_ids: HashMap<String, Span> = HashMap::new();
    for f in &loaded.files {
        for a in &f.content.actors {
            if let Some(actor) = resolve_actor(&mut r, a) {
                if let Some(first) = actor_ids.get(&actor.id) {
                    let first = *first;
                    r.duplicate("actor", &actor.id, first, a.span);
                    continue;
                }
                actor_ids.insert(actor.id.clone(), a.span);
                actors.push(actor);
            }
        }
    }

    // Inline rules (imports are resolved by the import stage).
    let mut rules: Vec<Rule> = Vec::new();
    let mut rule_ids: HashMap<String, Span> = HashMap::new();
    let mut import_entries = Vec::new();
    for f in &loaded.files {
        for e in &f.content.rules {
            let ev = &e.value;
            if let Some(fmt) = &ev.import {
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
                if matches!(
                    ev.status.as_ref().map(|s| &s.value),
                    Some(StatusSpec::One(_))
                ) {
                    if let Some(s) = &ev.status {
                        r.diags.push(
                            Diagnostic::error(Code::InvalidRule, "an import's `status` maps source statuses to model statuses")
                                .with_label(s.span, "a single status")
                                .with_help("write e.g. `status: {stable: production, test: testing, experimental: planned}`"),
                        );
                    }
                }
                match &ev.path {
                    Some(_) => import_entries.push((f.dir.clone(), e.clone())),
                    None => r.diags.push(
                        Diagnostic::error(Code::InvalidRule, "an import entry needs `path`")
                            .with_label(fmt.span, "import without a path")
                            .with_help(
                                "name a file, a folder or a glob relative to this model file",
                            ),
                    ),
                }
                continue;
            }
            let Some(id) = &ev.id else {
                r.diags.push(
                    Diagnostic::error(
                        Code::InvalidRule,
                        "a rule needs an `id` (or `import:` and `path:` for an import)",
                    )
                    .with_label(e.span, "no id")
                    .with_help("write `- id: my-rule` with `techniques: [T…]`"),
                );
                continue;
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
            if let Some(first) = rule_ids.get(&id.value) {
                let first = *first;
                r.duplicate("rule", &id.value, first, id.span);
                continue;
            }
            rule_ids.insert(id.value.clone(), id.span);
            let mut techniques = BTreeSet::new();
            match &ev.techniques {
                Some(ts) => {
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
                            .with_help(
                                "a rule counts as coverage only for the techniques it lists",
                            ),
                        );
                    }
                }
                None => r.diags.push(
                    Diagnostic::error(
                        Code::InvalidRule,
                        format!("rule `{}` has no `techniques`", id.value),
                    )
                    .with_label(id.span, "no techniques")
                    .with_help("list the ATT&CK techniques it detects: `techniques: [T1003.006]`"),
                ),
            }
            let status = match ev.status.as_ref().map(|s| (&s.value, s.span)) {
                None => RuleStatus::Production,
                Some((StatusSpec::One(s), _)) => *s,
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
            };
            let mut scope = Vec::new();
            for a in ev.assets.iter().flatten() {
                if asset_ids.contains_key(&a.value) {
                    scope.push(a.value.clone());
                } else {
                    let near = nearest_ids(&a.value, asset_ids.keys().map(String::as_str));
                    let mut d = Diagnostic::error(
                        Code::UndefinedAsset,
                        format!("rule `{}` names undefined asset `{}`", id.value, a.value),
                    )
                    .with_label(a.span, "no such asset");
                    d = match near {
                        Some(n) => d.with_help(format!("did you mean `{n}`?")),
                        None => d.with_help("define it under `assets:`"),
                    };
                    r.diags.push(d);
                }
            }
            scope.sort();
            scope.dedup();
            let line = sources
                .locate(id.span)
                .map(|(_, l, _)| l)
                .unwrap_or_default();
            let file = sources
                .get(id.span.file)
                .map(|s| crate::model::load::relative_to(&s.path, &root.dir))
                .unwrap_or_default();
            rules.push(Rule {
                id: id.value.clone(),
                name: ev.name.clone().unwrap_or_else(|| id.value.clone()),
                techniques: techniques.into_iter().collect(),
                status,
                assets: scope,
                source: RuleSource::Inline { file, line },
            });
        }
    }

    // Targets.
    let mut targets = Vec::new();
    let mut target_ids: HashMap<String, Span> = HashMap::new();
    for f in &loaded.files {
        for t in &f.content.targets {
            let tv = &t.value;
            if let Some(first) = target_ids.get(&tv.id.value) {
                let first = *first;
                r.duplicate("target", &tv.id.value, first, tv.id.span);
                continue;
            }
            target_ids.insert(tv.id.value.clone(), tv.id.span);
            let mut ids = Vec::new();
            for a in tv.actors.iter().flatten() {
                match find_actor(&actors, &a.value) {
                    Some(id) => {
                        if !ids.contains(&id) {
                            ids.push(id)
                        }
                    }
                    None => {
                        let near = nearest_ids(&a.value, actors.iter().map(|x| x.id.as_str()));
                        let mut d = Diagnostic::error(
                            Code::UndefinedActor,
                            format!(
                                "target `{}` names `{}`, which is not an actor of this model",
                                tv.id.value, a.value
                            ),
                        )
                        .with_label(a.span, "no such actor");
                        d = match near {
                            Some(n) => d.with_help(format!("did you mean `{n}`? targets name actors by id, group name, alias or ATT&CK id")),
                            None => d.with_help("add the actor under `actors:`, or name one the model has"),
                        };
                        r.diags.push(d);
                    }
                }
            }
            let share = parse_share(&mut r, &tv.coverage);
            let by = tv.by.as_ref().and_then(|b| r.date(b, "`by`"));
            if let (Some(by), Some(Some(assessed))) = (by, meta.as_ref().map(|m| m.assessed)) {
                if by < assessed {
                    if let Some(b) = &tv.by {
                        r.diags.push(
                            Diagnostic::note(
                                Code::TargetAfterAssessed,
                                format!(
                                    "target `{}` was due before the assessment date",
                                    tv.id.value
                                ),
                            )
                            .with_label(b.span, format!("before {assessed}")),
                        );
                    }
                }
            }
            let all_actors = tv.actors.is_none();
            if all_actors {
                ids = actors.iter().map(|a| a.id.clone()).collect();
            }
            targets.push(Target {
                id: tv.id.value.clone(),
                actors: ids,
                all_actors,
                share: share.unwrap_or(0.0),
                weighted: tv.weighted.unwrap_or(false),
                by,
                description: tv.description.clone(),
            });
        }
    }

    // Coverage settings.
    let mut coverage = CoverageSettings {
        count: [RuleStatus::Production].into_iter().collect(),
        subtechniques: SubtechniqueMode::Exact,
    };
    if let Some(c) = &rc.coverage {
        if let Some(count) = &c.value.count {
            coverage.count = count.iter().map(|s| s.value).collect();
        }
        if let Some(m) = &c.value.subtechniques {
            coverage.subtechniques = m.value;
        }
    }

    // Plan settings.
    let mut plan = PlanSettings {
        due_days: [30, 60, 90],
        notes: BTreeMap::new(),
    };
    if let Some(p) = &rc.plan {
        if let Some(d) = &p.value.due {
            plan.due_days = [
                d.value.p1.unwrap_or(30),
                d.value.p2.unwrap_or(60),
                d.value.p3.unwrap_or(90),
            ];
        }
    }
    for f in &loaded.files {
        if let Some(p) = &f.content.plan {
            for (k, note) in &p.value.techniques {
                if let Some(id) = r.technique(k, "`plan.techniques`") {
                    plan.notes.insert(id, note.value.clone());
                }
            }
        }
    }

    if actors.is_empty() && !r.diags.has_errors() {
        let span = rc.model.as_ref().map(|m| m.span).unwrap_or_default();
        r.diags.push(
            Diagnostic::warning(Code::NoActors, "the model declares no actor")
                .with_label(span, "")
                .with_help("add ATT&CK groups under `actors:` (find them with `threatc attack groups --search WORDS`)"),
        );
    }

    // Assets no actor technique applies to.
    let used: BTreeSet<&str> = actors
        .iter()
        .flat_map(|a| a.techniques.keys().map(String::as_str))
        .collect();
    for a in &assets {
        let applies = used.iter().any(|t| {
            catalog
                .technique(t)
                .is_some_and(|tech| tech.platforms.iter().any(|p| a.platforms.contains(p)))
        });
        if !applies && !actors.is_empty() && !a.platforms.is_empty() {
            r.diags.push(
                Diagnostic::warning(
                    Code::UnusedAsset,
                    format!("no technique of any actor applies to asset `{}`", a.id),
                )
                .with_label(a.span, format!("platforms: {}", a.platforms.join(", ")))
                .with_help("check the asset's platforms, or add actors that target them"),
            );
        }
    }

    if r.diags.has_errors() {
        return Err(r.diags);
    }
    let Some(mut meta) = meta else {
        return Err(r.diags);
    };
    meta.attack_version = model_release;
    Ok((
        Resolved {
            meta,
            actors,
            assets,
            rules,
            targets,
            coverage,
            plan,
            imports: Vec::new(),
            import_entries,
        },
        r.diags,
    ))
}

fn parse_share(r: &mut Resolver<'_>, s: &Spanned<v1::Scalar>) -> Option<f64> {
    let v = match &s.value {
        v1::Scalar::Int(i) if *i == 0 || *i == 1 => Some(*i as f64),
        v1::Scalar::Float(f) if (0.0..=1.0).contains(f) => Some(*f),
        v1::Scalar::Text(t) => t
            .trim()
            .strip_suffix('%')
            .and_then(|n| n.trim().parse::<f64>().ok())
            .filter(|n| (0.0..=100.0).contains(n))
            .map(|n| n / 100.0),
        _ => None,
    };
    if v.is_none() {
        r.diags.push(
            Diagnostic::error(
                Code::InvalidCoverage,
                format!("`{}` is not a coverage share", s.value.text()),
            )
            .with_label(s.span, "expected a percentage or a fraction")
            .with_help(
                "write a percentage such as `80%` or a fraction between 0 and 1 such as `0.8`",
            ),
        );
    }
    v
}

/// Finds an actor by model id, group id, name or alias (case-insensitive).
pub fn find_actor(actors: &[Actor], reference: &str) -> Option<String> {
    let q = reference.trim().to_lowercase();
    actors
        .iter()
        .find(|a| a.id.to_lowercase() == q)
        .or_else(|| {
            actors.iter().find(|a| match &a.kind {
                ActorKind::Group {
                    group_id,
                    group_name,
                    aliases,
                } => {
                    group_id.to_lowercase() == q
                        || group_name.to_lowercase() == q
                        || aliases.iter().any(|x| x.to_lowercase() == q)
                }
                ActorKind::Custom => a.name.to_lowercase() == q,
            })
        })
        .map(|a| a.id.clone())
}

fn resolve_actor(r: &mut Resolver<'_>, a: &Spanned<v1::Actor>) -> Option<Actor> {
    let av = &a.value;
    let errors_before = r.diags.error_count();
    let weight = av.weight.as_ref().map(|w| w.value).unwrap_or(1.0);
    let mut techniques: BTreeMap<String, Vec<Provenance>> = BTreeMap::new();
    let (id, name, kind, software) = match (&av.group, &av.techniques) {
        (Some(g), None) => {
            let group = match r.catalog.find_group(&g.value) {
                Some(crate::catalog::GroupLookup::Active(grp)) => grp,
                Some(crate::catalog::GroupLookup::Replaced { retired, by }) => {
                    r.diags.push(
                        Diagnostic::error(
                            Code::RevokedGroup,
                            format!(
                                "group `{}` ({}) was revoked; replaced by `{}` ({})",
                                g.value, retired.id, by.name, by.id
                            ),
                        )
                        .with_label(
                            g.span,
                            format!("{} is revoked in ATT&CK {}", retired.id, r.catalog.release),
                        )
                        .with_help(format!("write `group: {}`", by.name)),
                    );
                    return None;
                }
                Some(crate::catalog::GroupLookup::Retired(retired)) => {
                    r.diags.push(
                        Diagnostic::error(
                            Code::RevokedGroup,
                            format!(
                                "group `{}` ({}) is deprecated in ATT&CK",
                                g.value, retired.id
                            ),
                        )
                        .with_label(g.span, "deprecated")
                        .with_help("use a custom actor with `techniques:` to keep tracking it"),
                    );
                    return None;
                }
                None => {
                    let near: Vec<String> = r
                        .catalog
                        .nearest_groups(&g.value, 3)
                        .iter()
                        .map(|x| format!("`{}` ({})", x.name, x.id))
                        .collect();
                    let mut d = Diagnostic::error(
                        Code::UnknownGroup,
                        format!("unknown ATT&CK group `{}`", g.value),
                    )
                    .with_label(
                        g.span,
                        format!(
                            "not a group in ATT&CK {} {}",
                            r.catalog.domain, r.catalog.release
                        ),
                    );
                    d = if near.is_empty() {
                        d.with_help("search groups with `threatc attack groups --search WORDS`")
                    } else {
                        d.with_help(format!("did you mean {}?", near.join(", ")))
                    };
                    r.diags.push(d);
                    return None;
                }
            };
            let software = av.software.unwrap_or(false);
            for u in &group.techniques {
                let entry = techniques.entry(u.technique.clone()).or_default();
                for s in &u.sources {
                    entry.push(match s {
                        UseSource::Direct { procedure } => Provenance::Group {
                            procedure: procedure.clone(),
                        },
                        UseSource::Campaign { id, procedure } => Provenance::Campaign {
                            id: id.clone(),
                            procedure: procedure.clone(),
                        },
                        UseSource::Software { id } => Provenance::Software { id: id.clone() },
                    });
                }
            }
            if software {
                for u in &group.software_techniques {
                    let entry = techniques.entry(u.technique.clone()).or_default();
                    for s in &u.sources {
                        if let UseSource::Software { id } = s {
                            entry.push(Provenance::Software { id: id.clone() });
                        }
                    }
                    if entry.is_empty() {
                        entry.push(Provenance::Software { id: String::new() });
                    }
                }
            }
            let id = av
                .id
                .as_ref()
                .map(|i| i.value.clone())
                .unwrap_or_else(|| slug(&group.name));
            (
                id,
                group.name.clone(),
                ActorKind::Group {
                    group_id: group.id.clone(),
                    group_name: group.name.clone(),
                    aliases: group.aliases.clone(),
                },
                software,
            )
        }
        (None, Some(ts)) => {
            let Some(id) = &av.id else {
                r.diags.push(
                    Diagnostic::error(Code::InvalidActor, "a custom actor needs an `id`")
                        .with_label(a.span, "no id")
                        .with_help("write `- id: insider` with `name:` and `techniques:`"),
                );
                return None;
            };
            if av.software.is_some() {
                r.diags.push(
                    Diagnostic::error(
                        Code::InvalidActor,
                        format!("custom actor `{}` cannot use `software`", id.value),
                    )
                    .with_label(id.span, "a custom actor")
                    .with_help(
                        "`software: true` adds the techniques of an ATT&CK group's software",
                    ),
                );
            }
            for t in ts {
                if let Some(tid) = r.technique(t, "`techniques`") {
                    techniques.entry(tid).or_default().push(Provenance::Local);
                }
            }
            (
                id.value.clone(),
                av.name.clone().unwrap_or_else(|| id.value.clone()),
                ActorKind::Custom,
                false,
            )
        }
        (Some(g), Some(_)) => {
            r.diags.push(
                Diagnostic::error(Code::InvalidActor, format!("actor `{}` has both `group` and `techniques`", g.value))
                    .with_label(g.span, "an ATT&CK group")
                    .with_help("a group's techniques come from ATT&CK; add local ones with `add:` and drop some with `remove:`"),
            );
            return None;
        }
        (None, None) => {
            r.diags.push(
                Diagnostic::error(Code::InvalidActor, "an actor needs `group` (an ATT&CK group) or `id` and `techniques` (a custom actor)")
                    .with_label(a.span, "neither")
                    .with_help("e.g. `- group: FIN7` or `- id: insider` with `techniques: [T1078]`"),
            );
            return None;
        }
    };
    for t in &av.add {
        if let Some(tid) = r.technique(t, "`add`") {
            let e = techniques.entry(tid).or_default();
            if !e.contains(&Provenance::Local) {
                e.push(Provenance::Local);
            }
        }
    }
    for t in &av.remove {
        if let Some(tid) = r.technique(t, "`remove`") {
            if techniques.remove(&tid).is_none() {
                r.diags.push(
                    Diagnostic::warning(
                        Code::RemoveNotUsed,
                        format!("actor `{id}` does not use `{tid}`"),
                    )
                    .with_label(t.span, "nothing to remove")
                    .with_help(
                        "remove only techniques the actor uses (see `threatc attack show GROUP`)",
                    ),
                );
            }
        }
    }
    for provs in techniques.values_mut() {
        provs.sort();
        provs.dedup();
    }
    if techniques.is_empty() && r.diags.error_count() == errors_before {
        r.diags.push(
            Diagnostic::warning(Code::EmptyActor, format!("actor `{id}` has no techniques"))
                .with_label(a.span, "")
                .with_help("it adds nothing to the threat; check `add`/`remove` or the group"),
        );
    }
    Some(Actor {
        id,
        name,
        kind,
        weight,
        software,
        techniques,
        span: a.span,
    })
}
