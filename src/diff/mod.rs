//! Coverage diffs: what changed between two builds of a model (a pull request's base and
//! head). Each side is read into a [`DiffInput`] (from a report.json or a fresh
//! analysis), [`diff`] compares them, and `emit::diff` renders the result.

mod compute;
mod decisions;
mod input;
mod pairs;

pub use compute::{
    diff, ActorDiff, Change, CoverageDiff, GapChange, ReleaseChanges, Revocation, RuleChange,
    TargetDiff, TechniqueChange, EPS,
};
pub use decisions::{decision_changes, DecisionChange, DecisionSide};
pub use input::{
    DiffInput, InActor, InAssetState, InAttack, InDecision, InGap, InModel, InRule, InRuleRef,
    InSummary, InTarget, InTechnique, InUse,
};
pub use pairs::{pair_changes, PairChange};
