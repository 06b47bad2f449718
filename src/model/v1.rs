//! Model format v1: the types a model file deserializes into. Their doc comments
//! become the descriptions of `schemas/threatc-model-v1.schema.json`.

use crate::source::Spanned;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A threatc model file, format v1: the root model, or a fragment it includes.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "threatc model, format v1")]
pub struct ModelFile {
    /// Model format version; this threatc reads format 1.
    #[schemars(range(min = 1, max = 1))]
    pub threatc: Spanned<u64>,
    /// What the model is and who owns it. Required in the root model, not allowed in fragments.
    #[serde(default)]
    pub model: Option<Spanned<ModelMeta>>,
    /// Fragment files whose actors, assets, rules, targets and plan notes are added to this
    /// model. Paths are relative to the including file.
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    /// The ATT&CK knowledge base the model is written against.
    #[serde(default)]
    pub attack: Option<Spanned<AttackSection>>,
    /// The adversaries the model defends against.
    #[serde(default)]
    pub actors: Vec<Spanned<Actor>>,
    /// What the team defends.
    #[serde(default)]
    pub assets: Vec<Spanned<Asset>>,
    /// The detection inventory: inline rules and imports of rule files.
    #[serde(default)]
    pub rules: Vec<Spanned<RuleEntry>>,
    /// Rule libraries to choose from (a SigmaHQ checkout, Elastic or Splunk content):
    /// import entries (`import`, `path`, `exclude`, `follow_revoked`, `assets`, `status`)
    /// whose rules never count as coverage. The plan lists the best few per gap and asset.
    #[serde(default)]
    pub candidates: Vec<Spanned<RuleEntry>>,
    /// Coverage the team commits to, by when.
    #[serde(default)]
    pub targets: Vec<Spanned<Target>>,
    /// What is collected where: log sources (as ATT&CK names them) or data components,
    /// per asset. An asset that some entry names counts only the rules whose data it
    /// collects; an asset no entry names keeps "visibility unknown".
    #[serde(default)]
    pub telemetry: Vec<Spanned<TelemetryEntry>>,
    /// Test results from outside the model: CSV or JSON files of rows `technique`,
    /// `asset` (or `all`), `date`, `result`, `method`, `reference`. A technique tested on
    /// an asset and not detected does not count as detected there, whatever rules claim.
    #[serde(default)]
    pub evidence: Vec<Spanned<EvidenceEntry>>,
    /// Risk decisions per technique (optionally per asset): `detect` (the default),
    /// `mitigate` (with the ATT&CK mitigations relied on), `accept` or `transfer`.
    /// Accepted and transferred gaps leave the to-do list but stay in their own table.
    #[serde(default)]
    pub decisions: Vec<Spanned<Decision>>,
    /// The organisation's own intelligence: techniques seen in its incidents, red-team
    /// findings or threat-intelligence reports, each with a date. It raises the
    /// technique's priority, fading with `plan.intel_half_life`.
    #[serde(default)]
    pub intel: Vec<Spanned<IntelEntry>>,
    /// Mitigations in place (ATT&CK mitigations, by id or name) and the assets they are
    /// in place on. They lower the priority of the techniques they mitigate there
    /// (residual risk); they never count as coverage.
    #[serde(default)]
    pub mitigations: Vec<Spanned<MitigationEntry>>,
    /// How coverage is counted.
    #[serde(default)]
    pub coverage: Option<Spanned<CoverageSettings>>,
    /// Settings and notes for the remediation plan.
    #[serde(default)]
    pub plan: Option<Spanned<PlanSettings>>,
}

/// What the model is.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelMeta {
    /// Short name: lower-case letters, digits, `-`, `_` and `.`.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9._-]{0,63}$"))]
    pub name: Spanned<String>,
    /// Human title shown in reports.
    #[serde(default)]
    pub title: Option<String>,
    /// The model's own version, free text (quote it: "2026.11").
    #[serde(default)]
    pub version: Option<Spanned<Scalar>>,
    /// Who owns the model (a team or an address).
    #[serde(default)]
    pub owner: Option<String>,
    /// Date of the assessment (YYYY-MM-DD); due dates count from it.
    #[serde(default)]
    pub assessed: Option<Spanned<Scalar>>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// A string or a number written where text is meant (`version: 2026.11`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number.
    Float(f64),
}

impl JsonSchema for Scalar {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Scalar".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": ["string", "number"] })
    }
}

impl Scalar {
    /// The value as text.
    pub fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
        }
    }
}

/// The ATT&CK knowledge base.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttackSection {
    /// ATT&CK domain.
    #[serde(default)]
    pub domain: Option<Spanned<DomainName>>,
    /// The ATT&CK release the model is written against, e.g. "18.1".
    #[serde(default)]
    pub version: Option<Spanned<Scalar>>,
    /// A STIX bundle file to use instead of the embedded catalog (relative to the model);
    /// `--attack-data` overrides it.
    #[serde(default)]
    pub data: Option<Spanned<String>>,
}

/// ATT&CK domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DomainName {
    /// Enterprise ATT&CK.
    Enterprise,
    /// Mobile ATT&CK.
    Mobile,
    /// ATT&CK for ICS.
    Ics,
}

/// An adversary: an ATT&CK group (`group:`) or the team's own intelligence (`id:` with
/// `techniques:`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// An ATT&CK group by name, alias or ID (FIN7, Carbanak, G0046).
    #[serde(default)]
    pub group: Option<Spanned<String>>,
    /// The actor's id in this model. Required for a custom actor; for a group it defaults to
    /// the group's name in lower case with `-` for spaces (`lazarus-group`).
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"))]
    pub id: Option<Spanned<String>>,
    /// Display name (custom actors).
    #[serde(default)]
    pub name: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// The techniques of a custom actor.
    #[serde(default)]
    pub techniques: Option<Vec<Spanned<String>>>,
    /// How much this actor matters (default 1).
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1000.0))]
    pub weight: Option<Spanned<f64>>,
    /// Also count the techniques of the group's software (default false).
    #[serde(default)]
    pub software: Option<bool>,
    /// Techniques to add from local intelligence.
    #[serde(default)]
    pub add: Vec<Spanned<String>>,
    /// Techniques to remove (not relevant to this organisation).
    #[serde(default)]
    pub remove: Vec<Spanned<String>>,
}

/// Something the team defends.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    /// The asset's id.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"))]
    pub id: Spanned<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// ATT&CK platform names of the model's domain (Windows, Linux, macOS, IaaS, SaaS, …).
    pub platforms: Vec<Spanned<String>>,
    /// ATT&CK for ICS asset types (the catalog's assets) by id, name, abbreviation or a
    /// related asset's name (`[Safety Controller, A0007, HMI, Engineering Workstation]`): an
    /// ICS technique applies to the asset only when ATT&CK's `targets` relationships link it
    /// to one of them. ICS models only.
    #[serde(default)]
    pub asset_types: Vec<Spanned<String>>,
    /// How critical the asset is (default medium).
    #[serde(default)]
    pub criticality: Option<Spanned<Criticality>>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// Asset criticality.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Criticality {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// A detection rule written inline (`id`, `techniques`) or an import of rule files
/// (`import`, `path`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleEntry {
    /// The rule's id (inline rules).
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"))]
    pub id: Option<Spanned<String>>,
    /// The rule's name.
    #[serde(default)]
    pub name: Option<String>,
    /// ATT&CK technique ids the rule detects (T1003.006).
    #[serde(default)]
    pub techniques: Option<Vec<Spanned<String>>>,
    /// Inline rule: its status (default production). Import: a map from the source's
    /// statuses to model statuses (`{stable: production, test: testing}`).
    #[serde(default)]
    pub status: Option<Spanned<StatusSpec>>,
    /// Assets the rule applies to (default: all). On an import entry: the assets its
    /// rules apply to.
    #[serde(default)]
    pub assets: Option<Vec<Spanned<String>>>,
    /// Inline rule: ATT&CK platforms it runs on (`[Windows]`); it counts on an asset only
    /// where one of them is among the asset's. Without it (and without `assets`), the rule
    /// is unscoped: it counts everywhere, and is reported.
    #[serde(default)]
    pub platforms: Option<Vec<Spanned<String>>>,
    /// Inline rule: ATT&CK v18 data components it reads (`[Process Creation]` or `DC0032`).
    #[serde(default)]
    pub data_components: Option<Vec<Spanned<String>>>,
    /// Inline rule: tests of the rule (atomic-red-team, purple-team, BAS…), each with a
    /// date and a result; the latest recent one decides whether the rule's detection is
    /// validated (or, `not-detected`, overridden) on the assets it names.
    #[serde(default)]
    pub validations: Option<Vec<Spanned<Validation>>>,
    /// Who maintains the rule.
    #[serde(default)]
    pub owner: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Import: the format of the rule files.
    #[serde(default)]
    pub import: Option<Spanned<ImportFormat>>,
    /// Import: a file, a folder (read recursively) or a glob, relative to this model file.
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    /// Import: globs of files to leave out, relative to this model file.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Import: count a revoked technique id as the technique that replaced it (default false).
    #[serde(default)]
    pub follow_revoked: Option<bool>,
    /// `import: dettect` only: the model's assets for DeTT&CT `applicable_to` names that
    /// are not an asset's id, name or slug (`{client endpoints: [workstations], servers:
    /// [linux-servers, swift-servers]}`; a value may be `all`).
    #[serde(default)]
    pub applicable_to: Option<Spanned<BTreeMap<String, AssetSelection>>>,
}

/// A rule's status, or for an import a mapping of source statuses.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StatusSpec {
    /// One status.
    One(RuleStatus),
    /// Source status → model status.
    Map(BTreeMap<String, RuleStatus>),
}

/// A rule's life-cycle status.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    JsonSchema,
    serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// Deployed and alerting.
    Production,
    /// Deployed, being tuned.
    Testing,
    /// Not built yet.
    Planned,
    /// Switched off.
    Retired,
}

impl RuleStatus {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Production => "production",
            RuleStatus::Testing => "testing",
            RuleStatus::Planned => "planned",
            RuleStatus::Retired => "retired",
        }
    }
}

/// A test of an inline rule.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    /// When it was run (YYYY-MM-DD).
    pub date: Spanned<Scalar>,
    /// How: `atomic-red-team`, `purple-team`, `bas`, `red-team`, `pentest`, `manual`, or
    /// your own word.
    #[serde(default)]
    pub method: Option<String>,
    /// A ticket, report or link.
    #[serde(default)]
    pub reference: Option<String>,
    /// What it found (default detected).
    #[serde(default)]
    pub result: Option<TestResult>,
    /// The assets it was run on (default: every asset the rule counts on).
    #[serde(default)]
    pub assets: Option<Vec<Spanned<String>>>,
}

/// What a test found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TestResult {
    /// The technique was run and detected.
    Detected,
    /// The technique was run and not detected.
    NotDetected,
}

/// A file of test results.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceEntry {
    /// A CSV file (header row `technique,asset,date,result,method,reference`) or a JSON
    /// file (an array of objects with those keys), relative to this model file.
    pub path: Spanned<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// Rule file formats threatc imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    /// Sigma rules (YAML).
    Sigma,
    /// Splunk ESCU detections (YAML).
    Splunk,
    /// Elastic detection-rules (TOML).
    Elastic,
    /// An ATT&CK Navigator layer (JSON).
    Navigator,
    /// A CSV inventory.
    Csv,
    /// A DeTT&CT technique administration file (YAML, `file_type:
    /// technique-administration`, version 1.2): each technique's latest detection score
    /// per `applicable_to` becomes a rule on the matching assets, its latest visibility
    /// score the pair's visibility where the model declares no telemetry.
    Dettect,
}

/// One kind of telemetry collected on some assets: a log source as ATT&CK's analytics
/// name it (`log_source: WinEventLog:Sysmon`, optionally narrowed by `event_codes` or
/// `channel`), or data components (`data_components: [Process Creation]`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TelemetryEntry {
    /// Display name (`Sysmon on Windows endpoints`).
    #[serde(default)]
    pub name: Option<String>,
    /// A log source as ATT&CK's analytics name it (`WinEventLog:Sysmon`, `auditd:SYSCALL`,
    /// `NSM:Flow`); it provides the data components the catalog's analytics read from it.
    #[serde(default)]
    pub log_source: Option<Spanned<String>>,
    /// Only these event codes of the log source (`[1, 10]` for Sysmon EventCode=1 and 10).
    #[serde(default)]
    pub event_codes: Option<Vec<Spanned<u32>>>,
    /// Only this channel of the log source, as ATT&CK writes it (`execve`, `conn.log`).
    #[serde(default)]
    pub channel: Option<Spanned<String>>,
    /// ATT&CK v18 data components collected, by name (`Process Creation`) or id (`DC0032`).
    #[serde(default)]
    pub data_components: Option<Vec<Spanned<String>>>,
    /// The assets it is collected on: asset ids, or `all` for every asset. Required,
    /// except on an import entry.
    #[serde(default)]
    pub assets: Option<Spanned<AssetSelection>>,
    /// How many days it is kept.
    #[serde(default)]
    #[schemars(range(min = 0, max = 36500))]
    pub retention: Option<Spanned<u32>>,
    /// What it costs (a number in the team's own unit, e.g. yearly licence or ingest cost).
    #[serde(default)]
    #[schemars(range(min = 0.0))]
    pub cost: Option<Spanned<f64>>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Import telemetry from another tool's file instead (`dettect`: a DeTT&CT data
    /// source administration file, version 1.1), with `path`.
    #[serde(default)]
    pub import: Option<Spanned<TelemetryImport>>,
    /// Import: the file, relative to this model file.
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    /// Import: the model's assets for DeTT&CT `applicable_to` names that are not an
    /// asset's id, name or slug (`{client endpoints: [workstations]}`).
    #[serde(default)]
    pub applicable_to: Option<Spanned<BTreeMap<String, AssetSelection>>>,
}

/// Telemetry file formats threatc imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TelemetryImport {
    /// A DeTT&CT data source administration file (YAML, `file_type:
    /// data-source-administration`, version 1.1): each data source available per
    /// `applicable_to` is a data component collected on the matching assets.
    Dettect,
}

/// The assets a telemetry entry covers: `all`, one asset id, or a list of asset ids.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AssetSelection {
    /// `all` (every asset of the model) or one asset id.
    One(String),
    /// Asset ids.
    Many(Vec<String>),
}

/// A coverage commitment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The target's id.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"))]
    pub id: Spanned<String>,
    /// Actors it is about, by actor id, group name, alias or ID (default: all actors).
    #[serde(default)]
    pub actors: Option<Vec<Spanned<String>>>,
    /// The share of in-scope techniques to cover: `80%` or `0.8`.
    pub coverage: Spanned<Scalar>,
    /// Measure the share weighted by actor weight (default false: plain share).
    #[serde(default)]
    pub weighted: Option<bool>,
    /// Measure on (technique, asset) pairs of these assets (ids; default: every asset).
    /// With `assets` or `state` the target counts pairs, not techniques.
    #[serde(default)]
    pub assets: Option<Vec<Spanned<String>>>,
    /// The least state a pair must reach to count (default detected when `assets` is
    /// given): `visible`, `detected` or `validated`.
    #[serde(default)]
    pub state: Option<TargetState>,
    /// Due date (YYYY-MM-DD).
    #[serde(default)]
    pub by: Option<Spanned<Scalar>>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// A risk decision on one technique.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// ATT&CK technique id (T1486, T1059.001).
    pub technique: Spanned<String>,
    /// The assets (ids) it is decided on (default: every asset).
    #[serde(default)]
    pub assets: Option<Vec<Spanned<String>>>,
    /// What is decided (default `detect`).
    #[serde(default)]
    pub decision: Option<DecisionKind>,
    /// With `mitigate`: the ATT&CK mitigations relied on (M-ids, e.g. M1053).
    #[serde(default)]
    pub mitigations: Option<Vec<Spanned<String>>>,
    /// Who owns the risk (required for `accept` and `transfer`).
    #[serde(default)]
    pub owner: Option<String>,
    /// Who approved the decision.
    #[serde(default)]
    pub approver: Option<String>,
    /// Why (required for `accept` and `transfer`).
    #[serde(default)]
    pub reason: Option<String>,
    /// When it was decided (YYYY-MM-DD).
    #[serde(default)]
    pub date: Option<Spanned<Scalar>>,
    /// When it must be decided again (YYYY-MM-DD); after it, the decision is expired.
    #[serde(default)]
    pub expiry: Option<Spanned<Scalar>>,
}

/// One piece of the organisation's own intelligence about a technique.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntelEntry {
    /// The technique: an ATT&CK id (T1486) or name (`Data Encrypted for Impact`).
    pub technique: Spanned<String>,
    /// When it was seen (YYYY-MM-DD); its weight halves every `plan.intel_half_life`
    /// before `model.assessed`.
    pub date: Spanned<Scalar>,
    /// Where it comes from: `incident`, `red-team`, `threat-intel`, `pentest`, or your
    /// own words.
    pub source: Spanned<String>,
    /// A ticket, report or link.
    #[serde(default)]
    pub reference: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
    /// The assets (ids, or `all`) it concerns (default: every asset). It raises a gap
    /// only when the gap is on one of them.
    #[serde(default)]
    pub assets: Option<Spanned<AssetSelection>>,
}

/// A mitigation in place.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MitigationEntry {
    /// An ATT&CK mitigation by id (M1026) or name (`Privileged Account Management`).
    pub mitigation: Spanned<String>,
    /// The assets (ids, or `all`) it is in place on (default: every asset).
    #[serde(default)]
    pub assets: Option<Spanned<AssetSelection>>,
    /// A ticket, policy or link.
    #[serde(default)]
    pub reference: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// What a decision does with a technique's risk.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DecisionKind {
    /// Build a detection (the default: the gap stays on the to-do list).
    Detect,
    /// Rely on mitigations (the gap stays, showing the decision).
    Mitigate,
    /// Accept the risk (the gap leaves the to-do list while the decision holds).
    Accept,
    /// Transfer the risk (insurance, a provider; leaves the to-do list likewise).
    Transfer,
}

impl DecisionKind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Detect => "detect",
            DecisionKind::Mitigate => "mitigate",
            DecisionKind::Accept => "accept",
            DecisionKind::Transfer => "transfer",
        }
    }
}

/// The least state of the ladder a target asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TargetState {
    /// Collected telemetry that an analytic of the technique reads (or better).
    Visible,
    /// A counting rule applies there and no failed test overrides it (or better).
    Detected,
    /// Detected, and a recent passing test.
    Validated,
}

/// How coverage is counted.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageSettings {
    /// Rule statuses that count as coverage (default: production).
    #[serde(default)]
    pub count: Option<Vec<Spanned<RuleStatus>>>,
    /// How rules on parents and sub-techniques meet actor techniques (default exact).
    #[serde(default)]
    pub subtechniques: Option<Spanned<SubtechniqueMode>>,
    /// How old a test may be and still count, in days (`180`) or written `180d`, `26w`,
    /// `6m`, `1y` (default 365 days), counted back from `model.assessed` (the day of the
    /// build when the model has none).
    #[serde(default)]
    pub validation_max_age: Option<Spanned<Scalar>>,
}

/// How parent techniques and sub-techniques meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubtechniqueMode {
    /// A rule covers exactly the ids it names.
    #[default]
    Exact,
    /// A rule on a parent technique (T1059) also covers its sub-techniques (T1059.001).
    ParentCoversSub,
    /// A rule on a sub-technique (T1059.001) also covers its parent (T1059).
    SubCoversParent,
    /// Both of the above.
    Both,
}

impl SubtechniqueMode {
    /// Kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubtechniqueMode::Exact => "exact",
            SubtechniqueMode::ParentCoversSub => "parent-covers-sub",
            SubtechniqueMode::SubCoversParent => "sub-covers-parent",
            SubtechniqueMode::Both => "both",
        }
    }
}

/// Remediation-plan settings and the team's notes.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanSettings {
    /// Days from `model.assessed` to each tier's due date (default 30, 60, 90).
    #[serde(default)]
    pub due: Option<Spanned<TierDays>>,
    /// Notes per technique id; they appear in the plan and gap tables.
    #[serde(default)]
    pub techniques: BTreeMap<Spanned<String>, Spanned<TechniqueNote>>,
    /// Candidate rules (`candidates:`) listed per gap and asset, best first (default 3;
    /// 0 lists none, though report.json still counts them).
    #[schemars(range(min = 0, max = 100))]
    #[serde(default)]
    pub candidates: Option<Spanned<u32>>,
    /// Effort points per month the team can spend on the plan: gaps and the telemetry
    /// they need are scheduled month by month in priority order, and due dates follow the
    /// schedule (without it, due dates follow the tiers' `due` days).
    #[serde(default)]
    pub capacity: Option<Spanned<f64>>,
    /// Effort points of each size (`low`, `medium`, `high`, as written in a technique
    /// note or taken by default) and of onboarding one telemetry unit (`telemetry`: one
    /// data component on one platform).
    #[serde(default)]
    pub effort: Option<Spanned<EffortPoints>>,
    /// Weights of the priority factors (root model only). The six base weights
    /// (`actors`, `criticality`, `prevalence`, `choke_point`, `actionability`,
    /// `kill_chain`) are non-negative and sum to 1 (otherwise they are divided by their
    /// sum, with a warning); a key left out keeps its default. `intel` (points per 100 a
    /// fresh `intel:` entry adds, 0–1) and `mitigation` (the share of the score a
    /// mitigation in place on every asset of the gap takes off, 0–1) stand apart.
    #[serde(default)]
    pub weights: Option<Spanned<WeightSettings>>,
    /// Half-life of the organisation's intelligence (`intel:`), in days (`180`) or
    /// written `180d`, `26w`, `6m`, `1y` (default 180 days; root model only).
    #[serde(default)]
    pub intel_half_life: Option<Spanned<Scalar>>,
}

/// Effort points per size, for the schedule (`plan.capacity`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EffortPoints {
    /// A `low` gap: a candidate rule exists for it (default 1).
    #[serde(default)]
    pub low: Option<Spanned<f64>>,
    /// A `medium` gap: an ATT&CK analytic reads data already collected (default 3).
    #[serde(default)]
    pub medium: Option<Spanned<f64>>,
    /// A `high` gap: data must be onboarded first, or no analytic exists (default 5).
    #[serde(default)]
    pub high: Option<Spanned<f64>>,
    /// Onboarding one telemetry unit, one data component on one platform (default 5).
    #[serde(default)]
    pub telemetry: Option<Spanned<f64>>,
}

/// `plan.weights`: the weights of the priority factors (defaults: actors 0.30,
/// criticality 0.15, prevalence 0.20, choke_point 0.15, actionability 0.10,
/// kill_chain 0.10; intel 0.20; mitigation 0.20).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightSettings {
    /// Actors using the technique.
    #[serde(default)]
    pub actors: Option<Spanned<f64>>,
    /// Criticality of the assets the gap is on.
    #[serde(default)]
    pub criticality: Option<Spanned<f64>>,
    /// Observed prevalence (CTID).
    #[serde(default)]
    pub prevalence: Option<Spanned<f64>>,
    /// Choke point (CTID).
    #[serde(default)]
    pub choke_point: Option<Spanned<f64>>,
    /// Actionability (ATT&CK analytics and mitigations).
    #[serde(default)]
    pub actionability: Option<Spanned<f64>>,
    /// Kill-chain position.
    #[serde(default)]
    pub kill_chain: Option<Spanned<f64>>,
    /// The organisation's intelligence (`intel:`): a fresh entry adds up to this × 100
    /// points (0–1).
    #[serde(default)]
    pub intel: Option<Spanned<f64>>,
    /// Mitigations in place (`mitigations:`): a gap mitigated on all its assets loses
    /// this share of its score (0–1).
    #[serde(default)]
    pub mitigation: Option<Spanned<f64>>,
}

/// Days per tier.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TierDays {
    /// P1 (default 30).
    #[schemars(range(min = 0, max = 3650))]
    #[serde(default)]
    pub p1: Option<u32>,
    /// P2 (default 60).
    #[schemars(range(min = 0, max = 3650))]
    #[serde(default)]
    pub p2: Option<u32>,
    /// P3 (default 90).
    #[schemars(range(min = 0, max = 3650))]
    #[serde(default)]
    pub p3: Option<u32>,
}

/// A team's note on one technique.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TechniqueNote {
    /// Expected effort to build a detection: `low`, `medium`, `high` (points as
    /// `plan.effort` says) or a number of effort points.
    #[serde(default)]
    #[schemars(schema_with = "effort_schema")]
    pub effort: Option<Spanned<Scalar>>,
    /// How the team means to detect it.
    #[serde(default)]
    pub approach: Option<String>,
    /// Who owns the work.
    #[serde(default)]
    pub owner: Option<String>,
    /// A ticket or link.
    #[serde(default)]
    pub ticket: Option<String>,
}

/// The schema of a note's `effort`: a size or a number of points.
fn effort_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "anyOf": [
            { "type": "string", "enum": ["low", "medium", "high"] },
            { "type": "number" }
        ]
    })
}

/// The JSON Schema of model format v1, as committed in `schemas/`.
pub fn schema_json() -> String {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.meta_schema = Some("https://json-schema.org/draft/2020-12/schema".into());
    let generator = settings.into_generator();
    let schema = generator.into_root_schema_for::<ModelFile>();
    let mut v = serde_json::to_value(&schema).unwrap_or_default();
    strip_null(&mut v);
    if let serde_json::Value::Object(m) = &mut v {
        m.insert(
            "$id".into(),
            serde_json::Value::String(
                "https://threatc.dev/schemas/threatc-model-v1.schema.json".into(),
            ),
        );
    }
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// Optional keys may be left out but not written as `null`: drop the `null`
/// alternatives schemars adds for `Option`, so that errors name the real type.
fn strip_null(v: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(m) = v else {
        if let Value::Array(items) = v {
            items.iter_mut().for_each(strip_null);
        }
        return;
    };
    if m.get("default") == Some(&Value::Null) {
        m.remove("default");
    }
    if let Some(Value::Array(types)) = m.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            if let Some(t) = types.pop() {
                m.insert("type".into(), t);
            }
        }
    }
    if let Some(Value::Array(alts)) = m.get("anyOf") {
        let kept: Vec<Value> = alts
            .iter()
            .filter(|a| a.get("type") != Some(&Value::String("null".into())))
            .cloned()
            .collect();
        if kept.len() == 1 {
            m.remove("anyOf");
            if let Some(Value::Object(inner)) = kept.into_iter().next() {
                for (k, val) in inner {
                    m.entry(k).or_insert(val);
                }
            }
        } else {
            m.insert("anyOf".into(), Value::Array(kept));
        }
    }
    for (_, child) in m.iter_mut() {
        strip_null(child);
    }
}
