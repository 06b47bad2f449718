//! The per-(technique, asset) state ladder: how far a threat technique is handled on one
//! asset, lowest first — blind, unknown, visible, detected, validated.
//!
//! Visibility comes from the catalog: the technique's ATT&CK v18 detection strategies →
//! their analytics for the asset's platforms → the data components those analytics read
//! (through their log sources), against what the asset collects ([`Asset::collects`]).
//! Detection comes from the counting rules that apply there ([`Rule::applies_to`]);
//! validation from tests (rules' `validations:` and `evidence:` files): the latest test
//! on the pair that is no older than `coverage.validation_max_age` decides — a passing
//! one makes a detected pair validated, a failed one (`not-detected`) means the pair is
//! not detected whatever rules claim.

use crate::catalog::Catalog;
use crate::date::Date;
use crate::resolve::{Asset, TestResult};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// How far a threat technique is handled on one asset, lowest first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The asset declares telemetry, and none of it is read by any of the technique's
    /// ATT&CK v18 analytics for the asset's platforms.
    Blind,
    /// The asset declares no telemetry and no counting rule detects it there.
    Unknown,
    /// Collected telemetry that an analytic of the technique reads, no detection.
    Visible,
    /// A counting rule applies there and no failed test overrides it.
    Detected,
    /// Detected, and a passing test no older than `coverage.validation_max_age`.
    Validated,
}

impl State {
    /// Every state, lowest first.
    pub const ALL: [State; 5] = [
        State::Blind,
        State::Unknown,
        State::Visible,
        State::Detected,
        State::Validated,
    ];

    /// Lower-case name, as in report.json.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Blind => "blind",
            State::Unknown => "unknown",
            State::Visible => "visible",
            State::Detected => "detected",
            State::Validated => "validated",
        }
    }

    /// Whether the pair counts as covered (detected or validated).
    pub fn is_detected(self) -> bool {
        self >= State::Detected
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A test of a technique on an asset: a rule's validation record or an evidence row.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TestRef {
    /// When it was run.
    pub date: Date,
    /// What it found.
    pub result: TestResult,
    /// How it was run (`atomic-red-team`, `purple-team`, `bas`, `manual`…).
    pub method: Option<String>,
    /// A ticket, report or link.
    pub reference: Option<String>,
    /// Where it is recorded: `rule ID` for a rule's validation, `FILE:LINE` for an
    /// evidence row.
    pub source: String,
}

/// Where one threat technique stands on one asset.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AssetState {
    /// Asset id.
    pub asset: String,
    /// Its state on the ladder.
    pub state: State,
    /// The counting rules that apply there (sorted ids; they may be overridden by a
    /// failed test).
    pub rules: Vec<String>,
    /// The data components collected there that one of the technique's analytics for
    /// the asset's platforms reads (sorted); null when the asset declares no telemetry.
    pub visible_by: Option<Vec<String>>,
    /// The DeTT&CT visibility score (0–4) that decides the pair's visibility where the
    /// asset declares no telemetry (a technique administration import); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dettect_visibility: Option<u8>,
    /// The latest test of the technique there no older than `coverage.validation_max_age`
    /// (the one that decides), if any.
    pub test: Option<TestRef>,
}

/// For one technique: its analytics' platforms, each with the names of the data
/// components it reads.
pub(super) struct Reads<'c> {
    analytics: Vec<(&'c [crate::catalog::Str], BTreeSet<&'c str>)>,
}

/// Data component id → name.
pub(super) fn component_names(catalog: &Catalog) -> HashMap<&str, &str> {
    catalog
        .data_components
        .iter()
        .map(|d| (d.id.as_str(), d.name.as_str()))
        .collect()
}

impl<'c> Reads<'c> {
    /// What the technique's ATT&CK v18 analytics read.
    pub(super) fn of(catalog: &'c Catalog, names: &HashMap<&str, &'c str>, tid: &str) -> Self {
        let mut analytics = Vec::new();
        let Some(t) = catalog.technique(tid) else {
            return Reads { analytics };
        };
        for ds in t
            .detection_strategies
            .iter()
            .filter_map(|d| catalog.detection_strategy(d))
        {
            for an in ds.analytics.iter().filter_map(|a| catalog.analytic(a)) {
                let dcs: BTreeSet<&str> = an
                    .log_sources
                    .iter()
                    .filter_map(|l| names.get(l.data_component.as_str()).copied())
                    .collect();
                analytics.push((an.platforms.as_slice(), dcs));
            }
        }
        Reads { analytics }
    }

    /// The data components the asset collects that an analytic for its platforms reads
    /// (an asset without platforms takes every analytic); `None` without telemetry.
    pub(super) fn visible_by(&self, asset: &Asset) -> Option<Vec<String>> {
        let collects = asset.collects.as_ref()?;
        let mut out = BTreeSet::new();
        for (platforms, dcs) in &self.analytics {
            let on = asset.platforms.is_empty()
                || platforms.is_empty()
                || platforms
                    .iter()
                    .any(|p| asset.platforms.iter().any(|x| x == p));
            if !on {
                continue;
            }
            for c in collects {
                if dcs.contains(c.as_str()) {
                    out.insert(c.clone());
                }
            }
        }
        Some(out.into_iter().collect())
    }
}

/// The state of a pair from the counting rules there, what is visible and the deciding
/// test.
pub(super) fn state(
    rules: &[String],
    visible_by: Option<&[String]>,
    test: Option<&TestRef>,
) -> State {
    let failed = test.is_some_and(|t| t.result == TestResult::NotDetected);
    if !rules.is_empty() && !failed {
        return if test.is_some() {
            State::Validated
        } else {
            State::Detected
        };
    }
    match visible_by {
        None => State::Unknown,
        Some([]) => State::Blind,
        Some(_) => State::Visible,
    }
}

/// The deciding test among some: the latest; on the same day a failed one wins.
pub(super) fn deciding<'t>(tests: impl Iterator<Item = &'t TestRef>) -> Option<&'t TestRef> {
    tests.max_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then((a.result == TestResult::NotDetected).cmp(&(b.result == TestResult::NotDetected)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(date: &str, result: TestResult) -> TestRef {
        TestRef {
            date: Date::parse(date).expect("a date"),
            result,
            method: None,
            reference: None,
            source: String::new(),
        }
    }

    #[test]
    fn ladder_order_and_states() {
        assert!(State::Blind < State::Unknown && State::Unknown < State::Visible);
        assert!(State::Visible < State::Detected && State::Detected < State::Validated);
        let r = vec!["R1".to_string()];
        let dc = vec!["Process Creation".to_string()];
        assert_eq!(state(&[], None, None), State::Unknown);
        assert_eq!(state(&[], Some(&[]), None), State::Blind);
        assert_eq!(state(&[], Some(&dc), None), State::Visible);
        assert_eq!(state(&r, Some(&[]), None), State::Detected);
        let pass = test("2026-01-01", TestResult::Detected);
        let fail = test("2026-01-01", TestResult::NotDetected);
        assert_eq!(state(&r, None, Some(&pass)), State::Validated);
        assert_eq!(state(&r, None, Some(&fail)), State::Unknown);
        assert_eq!(state(&r, Some(&dc), Some(&fail)), State::Visible);
        assert_eq!(state(&[], None, Some(&pass)), State::Unknown);
    }

    #[test]
    fn latest_test_decides_and_failure_wins_ties() {
        let old_fail = test("2025-01-01", TestResult::NotDetected);
        let new_pass = test("2026-01-01", TestResult::Detected);
        let same_fail = test("2026-01-01", TestResult::NotDetected);
        let tests = [old_fail.clone(), new_pass.clone()];
        assert_eq!(deciding(tests.iter()), Some(&new_pass));
        let tests = [new_pass.clone(), same_fail.clone(), old_fail];
        assert_eq!(deciding(tests.iter()), Some(&same_fail));
    }
}
