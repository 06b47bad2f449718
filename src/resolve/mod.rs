//! Model + catalog → resolved model: every name looked up, every reference checked,
//! every actor turned into a technique set with provenance, every import run. Semantic
//! diagnostics are collected here; a resolved model is valid by construction and holds
//! none of the file format's types (those end here, see [`kinds`]).
//!
//! [`resolve`] composes one pass per concept: [`settings`] (root-only sections, `model`,
//! `attack`, `coverage`, `plan`), [`assets`], [`actors`], [`rules`] (inline rules and
//! import entries), [`targets`], then ATT&CK release notes and [`imports`]. The passes
//! share a [`context::Resolver`] (catalog, source map, diagnostics).

use crate::catalog::Catalog;
use crate::date::Date;
use crate::diag::Code;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::load::Loaded;
use crate::source::{SourceMap, Span};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

mod actors;
mod assets;
pub mod candidates;
pub(crate) mod context;
pub mod decisions;
pub mod dettect;
pub mod effort;
mod evidence;
mod evidence_file;
pub mod imports;
mod kinds;
pub mod priority_inputs;
mod rules;
mod scope;
mod settings;
mod targets;
mod telemetry;

pub use crate::import::Unscoped;
pub use crate::technique_id::is_technique_id;
pub use actors::find_actor;
pub use candidates::Candidate;
pub use decisions::Decision;
pub use dettect::VisibilityClaim;
pub use evidence::{DEFAULT_MAX_AGE_DAYS, KNOWN_METHODS};
pub use kinds::{Criticality, Effort, RuleStatus, SubtechniqueMode, TechniqueNote, TestResult};
pub use priority_inputs::{Intel, MitigationInPlace};

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
    /// ATT&CK for ICS asset types (`A…` ids, model order): an ICS technique applies to
    /// the asset only when it targets one of them ([`Asset::takes`]). Empty: every
    /// technique (of its platforms) applies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asset_types: Vec<String>,
    /// Criticality.
    pub criticality: Criticality,
    /// The ATT&CK v18 data components collected on it (sorted), when some `telemetry:`
    /// entry names it; `None`: the model says nothing of its telemetry (visibility
    /// unknown, every rule that reaches it counts).
    pub collects: Option<Vec<String>>,
    /// Where declared.
    #[serde(skip)]
    pub span: Span,
}

/// Data components a network sensor provides: a network-sensor rule without data
/// components counts on an asset with declared telemetry only where one of them is
/// collected.
pub const NETWORK_COMPONENTS: [&str; 2] = ["Network Traffic Content", "Network Traffic Flow"];

/// One `telemetry:` entry, resolved.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Telemetry {
    /// Display name (the log source or the data components when none was given).
    pub name: String,
    /// The ATT&CK log source, as the catalog's analytics name it.
    pub log_source: Option<String>,
    /// The event codes of the log source it is narrowed to (empty: all).
    pub event_codes: Vec<u32>,
    /// The channel of the log source it is narrowed to.
    pub channel: Option<String>,
    /// The ATT&CK v18 data components it provides (sorted).
    pub data_components: Vec<String>,
    /// The assets it is collected on, in model order.
    pub assets: Vec<String>,
    /// Days kept.
    pub retention: Option<u32>,
    /// Cost, in the team's own unit.
    pub cost: Option<f64>,
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
    /// Asset scope (empty: all assets): the rule's own `assets:` or its import entry's.
    pub assets: Vec<String>,
    /// ATT&CK platforms it runs on (canonical names of the catalog's domain; empty: not
    /// known). It counts on an asset only where one of these is among the asset's.
    pub platforms: Vec<String>,
    /// ATT&CK v18 data components it reads (canonical names; may be empty). On an asset
    /// that declares telemetry, the rule counts only if every one of them is collected.
    pub data_components: Vec<String>,
    /// Sigma `level`, verbatim.
    pub level: Option<String>,
    /// Why it names neither platforms nor assets, when it does not: it then counts on
    /// every asset, and is reported.
    pub unscoped: Option<Unscoped>,
    /// Its tests (`validations:`), oldest first.
    pub validations: Vec<Validation>,
    /// Where it was written.
    pub source: RuleSource,
    /// Its id in the model file (inline rules).
    #[serde(skip)]
    pub span: Option<Span>,
}

impl Rule {
    /// Whether the rule counts on an asset: it reaches the asset ([`Rule::reaches`]) and
    /// is not blind there ([`Rule::blind_on`]).
    pub fn applies_to(&self, asset: &Asset) -> bool {
        self.reaches(asset) && self.blind_on(asset).is_empty()
    }

    /// Whether the rule runs where the asset is: the asset is among those it names (when
    /// it names any), and one of its platforms is among the asset's (when both have
    /// platforms; an asset without platforms, as in ATT&CK for ICS, takes every rule).
    pub fn reaches(&self, asset: &Asset) -> bool {
        (self.assets.is_empty() || self.assets.contains(&asset.id))
            && (self.platforms.is_empty()
                || asset.platforms.is_empty()
                || self.platforms.iter().any(|p| asset.platforms.contains(p)))
    }

    /// The data components the rule reads that the asset does not collect (empty when
    /// the asset declares no telemetry, or the rule names no data component). A
    /// network-sensor rule without data components needs one of
    /// [`NETWORK_COMPONENTS`]: when the asset collects neither, both are returned.
    pub fn blind_on(&self, asset: &Asset) -> Vec<&str> {
        let Some(collects) = &asset.collects else {
            return Vec::new();
        };
        let has = |c: &str| collects.iter().any(|x| x == c);
        if self.data_components.is_empty() {
            if self.unscoped == Some(Unscoped::NetworkSensor)
                && !NETWORK_COMPONENTS.iter().any(|c| has(c))
            {
                return NETWORK_COMPONENTS.to_vec();
            }
            return Vec::new();
        }
        self.data_components
            .iter()
            .map(String::as_str)
            .filter(|c| !has(c))
            .collect()
    }
}

/// A test of a rule (`validations:`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Validation {
    /// When it was run.
    pub date: Date,
    /// What it found.
    pub result: TestResult,
    /// How (`atomic-red-team`, `purple-team`, `bas`…).
    pub method: Option<String>,
    /// A ticket, report or link.
    pub reference: Option<String>,
    /// The assets it was run on (empty: every asset the rule counts on).
    pub assets: Vec<String>,
    /// Older than `coverage.validation_max_age`: it decides nothing.
    pub stale: bool,
}

/// A row of an `evidence:` file: a test of a technique on assets.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Evidence {
    /// Technique id.
    pub technique: String,
    /// The asset it was run on (empty: `all`).
    pub assets: Vec<String>,
    /// When it was run.
    pub date: Date,
    /// What it found.
    pub result: TestResult,
    /// How.
    pub method: Option<String>,
    /// A ticket, report or link.
    pub reference: Option<String>,
    /// Where it is recorded: `FILE:LINE` (the file relative to the root model's folder).
    pub source: String,
    /// Older than `coverage.validation_max_age`: it decides nothing.
    pub stale: bool,
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
    /// Measured on (technique, asset) pairs of these assets (empty: every asset).
    pub assets: Vec<String>,
    /// Measured on pairs: the least state a pair must reach (`None`: measured on
    /// techniques, as covered or not).
    pub state: Option<crate::analysis::State>,
    /// Due date.
    pub by: Option<Date>,
    /// Free text.
    pub description: Option<String>,
    /// Where the model states the required share (`coverage:`), for `target-unmet`.
    #[serde(skip)]
    #[schemars(skip)]
    pub span: crate::source::Span,
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
    /// Days a test stays valid (`coverage.validation_max_age`).
    pub validation_max_age: u32,
    /// The day tests are aged from: `model.assessed`, or the day of the build.
    pub tests_as_of: Date,
}

/// Plan settings.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PlanSettings {
    /// Days to the due date for P1, P2, P3.
    pub due_days: [u32; 3],
    /// Notes per technique.
    pub notes: BTreeMap<String, TechniqueNote>,
    /// Candidate rules listed per gap and asset (`plan.candidates`, default 3).
    pub candidates_shown: usize,
    /// Effort points per month (`plan.capacity`): with it, the plan has a schedule.
    pub capacity: Option<f64>,
    /// Effort points per size and per telemetry unit (`plan.effort`).
    pub effort: effort::EffortPoints,
    /// Weights of the priority factors (`plan.weights`; base weights normalised to 1).
    pub weights: crate::analysis::Weights,
    /// Days after which an `intel:` entry weighs half (`plan.intel_half_life`).
    pub intel_half_life: u32,
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
    /// Rules naming neither platforms nor assets (counted on every asset), by reason
    /// (`network-sensor`, `application-log`, `unmapped-source`, `no-platform`).
    pub unscoped: BTreeMap<String, usize>,
    /// Asset scope of the entry (`assets:`), empty for all.
    pub assets: Vec<String>,
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
    /// What is collected where (`telemetry:`), in model order.
    pub telemetry: Vec<Telemetry>,
    /// Rows of the `evidence:` files, in model order.
    pub evidence: Vec<Evidence>,
    /// Rules of the candidate libraries (`candidates:`), sorted by path: never coverage.
    pub candidates: Vec<Candidate>,
    /// One summary per `candidates:` entry, sorted by format and path.
    pub candidate_imports: Vec<ImportSummary>,
    /// Risk decisions (`decisions:`), in model order.
    pub decisions: Vec<Decision>,
    /// The organisation's own intelligence (`intel:`), in model order.
    pub intel: Vec<Intel>,
    /// Mitigations in place (`mitigations:`), in model order.
    pub mitigations: Vec<MitigationInPlace>,
    /// DeTT&CT visibility scores per (technique, asset) from technique administration
    /// imports, sorted: the ladder's visibility where the asset declares no telemetry.
    #[serde(skip)]
    pub visibility_claims: Vec<VisibilityClaim>,
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
    /// Expired decisions are errors.
    pub deny_expired_decisions: bool,
    /// The bundle of the model's own release, to report techniques renamed or moved since.
    pub from_attack_data: Option<std::path::PathBuf>,
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

/// Resolves a loaded model against a catalog and runs its imports. Returns the model and
/// its warnings, or every error found: the model's own errors stop resolution before the
/// imports run; errors of the imports come first, then every warning.
pub fn resolve(
    loaded: &Loaded,
    catalog: &Catalog,
    sources: &mut SourceMap,
    opts: &ResolveOptions,
) -> Result<(Resolved, Diagnostics), Diagnostics> {
    let Some(root) = loaded.files.first() else {
        return Err(Diagnostic::error(Code::EmptyModel, "no model file was read").into());
    };
    let mut r = context::Resolver::new(catalog, sources);
    settings::root_only_sections(&mut r, loaded);
    let meta = settings::meta(&mut r, root);
    let model_release = settings::attack(&mut r, root, opts);
    let mut assets = assets::resolve(&mut r, loaded);
    let mut telemetry = telemetry::resolve(&mut r, loaded, &mut assets);
    telemetry.extend(dettect::telemetry(&mut r, loaded, &mut assets, opts));
    let actors = actors::resolve(&mut r, loaded);
    let asset_ids: BTreeSet<&str> = assets.iter().map(|a| a.id.as_str()).collect();
    let (inline, entries) = rules::resolve(&mut r, loaded, &asset_ids);
    let dettect = dettect::techniques(&mut r, loaded, &assets, opts);
    let candidate_entries = candidates::entries(&mut r, loaded, &asset_ids);
    let assessed = meta.as_ref().and_then(|m| m.assessed);
    let targets = targets::resolve(&mut r, loaded, &actors, &asset_ids, assessed);
    let mut coverage = settings::coverage(root);
    coverage.validation_max_age = evidence::max_age(&mut r, root);
    coverage.tests_as_of = evidence::as_of(meta.as_ref().and_then(|m| m.assessed));
    let evidence = evidence::resolve(&mut r, loaded, &assets, opts.allow_outside_root);
    let decisions = decisions::resolve(
        &mut r,
        loaded,
        &asset_ids,
        coverage.tests_as_of,
        opts.deny_expired_decisions,
    );
    let mut plan = settings::plan(&mut r, loaded);
    plan.weights = priority_inputs::weights(&mut r, root);
    plan.intel_half_life = priority_inputs::half_life(&mut r, root);
    let intel = priority_inputs::intel(&mut r, loaded, &assets, &actors);
    let mitigations = priority_inputs::mitigations(&mut r, loaded, &assets);
    actors::warn_if_none(&mut r, root, &actors);
    assets::warn_unused(&mut r, &assets, &actors);
    assets::warn_untyped(&mut r, &assets, &actors);
    scope::warn_dropped(&mut r, &assets, &actors);
    rules::warn_unscoped(&mut r, &inline, &assets);
    let (Some(mut meta), false) = (meta, r.diags.has_errors()) else {
        return Err(r.diags);
    };
    meta.attack_version = model_release;
    let mut warnings = r.diags;
    warnings.extend(release_notes(loaded, catalog, opts)?);
    let ran = imports::run(catalog, r.sources, opts, loaded, &entries, &assets, false);
    let cran = imports::run(
        catalog,
        r.sources,
        opts,
        loaded,
        &candidate_entries,
        &assets,
        true,
    );
    let mut errors = Diagnostics::new();
    for d in ran.diags.into_iter().chain(cran.diags) {
        if d.is_error() {
            errors.push(d);
        } else {
            warnings.push(d);
        }
    }
    if errors.has_errors() {
        errors.extend(warnings);
        return Err(errors);
    }
    let mut imported = ran.rules;
    imported.extend(dettect.rules);
    let mut summaries = ran.summaries;
    summaries.extend(dettect.summaries);
    summaries.sort_by(|a, b| a.format.cmp(&b.format).then(a.path.cmp(&b.path)));
    let mut model = Resolved {
        meta,
        actors,
        assets,
        rules: imports::merge(inline, imported),
        targets,
        coverage,
        plan,
        imports: summaries,
        telemetry,
        evidence,
        candidates: candidates::collect(loaded, cran.rules, cran.extras),
        candidate_imports: cran.summaries,
        decisions,
        intel,
        mitigations,
        visibility_claims: dettect.claims,
    };
    warnings.extend(telemetry::warn_blind(&model));
    warnings.extend(evidence::age(&mut model));
    Ok((model, warnings))
}

/// Techniques the model names that were renamed or moved since the model's release.
fn release_notes(
    loaded: &Loaded,
    catalog: &Catalog,
    opts: &ResolveOptions,
) -> Result<Vec<Diagnostic>, Diagnostics> {
    let copts = crate::CompileOptions {
        from_attack_data: opts.from_attack_data.clone(),
        ..Default::default()
    };
    crate::migrate::changes::release_notes(loaded, catalog, &copts)
}
