//! The resolved model's own enums and notes. The model file format (`model::v1`) has
//! types of the same names; they end here, converted, so that a new file format
//! cannot change the analysis or report.json by accident.

use crate::model::v1;
use serde::Serialize;

/// Asset criticality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
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

/// A rule's life-cycle status.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
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

/// What a test of a technique found.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum TestResult {
    /// The technique was run and detected.
    Detected,
    /// The technique was run and not detected: the pair does not count as detected,
    /// whatever rules claim.
    NotDetected,
}

impl TestResult {
    /// Kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TestResult::Detected => "detected",
            TestResult::NotDetected => "not-detected",
        }
    }
}

/// How parent techniques and sub-techniques meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, schemars::JsonSchema)]
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

/// A team's note on one technique.
// `default` and `deny_unknown_fields` only shape the JSON Schema of report.json, which
// describes these notes as the model file's schema did.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TechniqueNote {
    /// Expected effort to build a detection, as a size.
    #[serde(default)]
    pub effort: Option<Effort>,
    /// Expected effort in effort points, when the note gives a number (`effort: 8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<f64>,
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

/// Effort estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl From<v1::Criticality> for Criticality {
    fn from(c: v1::Criticality) -> Self {
        match c {
            v1::Criticality::Low => Criticality::Low,
            v1::Criticality::Medium => Criticality::Medium,
            v1::Criticality::High => Criticality::High,
            v1::Criticality::Critical => Criticality::Critical,
        }
    }
}

impl From<v1::RuleStatus> for RuleStatus {
    fn from(s: v1::RuleStatus) -> Self {
        match s {
            v1::RuleStatus::Production => RuleStatus::Production,
            v1::RuleStatus::Testing => RuleStatus::Testing,
            v1::RuleStatus::Planned => RuleStatus::Planned,
            v1::RuleStatus::Retired => RuleStatus::Retired,
        }
    }
}

impl From<v1::SubtechniqueMode> for SubtechniqueMode {
    fn from(m: v1::SubtechniqueMode) -> Self {
        match m {
            v1::SubtechniqueMode::Exact => SubtechniqueMode::Exact,
            v1::SubtechniqueMode::ParentCoversSub => SubtechniqueMode::ParentCoversSub,
            v1::SubtechniqueMode::SubCoversParent => SubtechniqueMode::SubCoversParent,
            v1::SubtechniqueMode::Both => SubtechniqueMode::Both,
        }
    }
}
