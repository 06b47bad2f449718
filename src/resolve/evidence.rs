//! Evidence: tests of techniques on assets. Inline rules carry `validations:` (a test of
//! the rule: date, method, reference, result, assets); `evidence:` names CSV or JSON
//! files of rows (technique, asset or `all`, date, result, method, reference), opened
//! through the confined opener like includes. `coverage.validation_max_age` ages tests
//! out: a test older than it (counted back from `model.assessed`, or the day of the build)
//! is *stale* and decides nothing (`evidence-stale` says how many). The analysis
//! ([`crate::analysis::ladder`]) takes the latest recent test on a (technique, asset)
//! pair: passing, a detected pair is validated; `not-detected`, the pair is not detected.

use super::context::Resolver;
use super::{Asset, Evidence, Resolved, TestResult, Validation};
use crate::date::Date;
use crate::diag::{Code, Diagnostic};
use crate::model::load::{Loaded, LoadedFile};
use crate::model::v1::{self, Scalar};
use crate::source::{Span, Spanned};
use std::collections::BTreeSet;

/// Default `coverage.validation_max_age`, in days.
pub const DEFAULT_MAX_AGE_DAYS: u32 = 365;

/// Methods documented for `method` (others are kept as written).
pub const KNOWN_METHODS: [&str; 7] = [
    "atomic-red-team",
    "purple-team",
    "bas",
    "red-team",
    "pentest",
    "manual",
    "incident",
];

impl From<v1::TestResult> for TestResult {
    fn from(t: v1::TestResult) -> Self {
        match t {
            v1::TestResult::Detected => TestResult::Detected,
            v1::TestResult::NotDetected => TestResult::NotDetected,
        }
    }
}

/// An inline rule's `validations:`, checked (dates, assets).
pub(super) fn validations(
    r: &mut Resolver<'_>,
    ev: &v1::RuleEntry,
    asset_ids: &BTreeSet<&str>,
) -> Vec<Validation> {
    let mut out = Vec::new();
    for v in ev.validations.iter().flatten() {
        let vv = &v.value;
        let date = r.date(&vv.date, "a validation's `date`");
        let mut assets = Vec::new();
        for a in vv.assets.iter().flatten() {
            if let Some(id) = asset(r, &a.value, a.span, asset_ids, "a validation") {
                assets.push(id);
            }
        }
        assets.sort();
        assets.dedup();
        if let Some(date) = date {
            out.push(Validation {
                date,
                result: vv
                    .result
                    .map(TestResult::from)
                    .unwrap_or(TestResult::Detected),
                method: vv.method.as_deref().map(method),
                reference: vv.reference.clone(),
                assets,
                stale: false,
            });
        }
    }
    out.sort_by_key(|v| v.date);
    out
}

/// A method as kept: trimmed, lower case when it is one of [`KNOWN_METHODS`] in another
/// case or with spaces (`Atomic Red Team`).
pub(super) fn method(m: &str) -> String {
    let norm = m.trim().to_lowercase().replace([' ', '_'], "-");
    if KNOWN_METHODS.contains(&norm.as_str()) {
        norm
    } else {
        m.trim().to_string()
    }
}

/// An asset id an evidence row, a validation or a target names, checked (did-you-mean).
pub(super) fn asset(
    r: &mut Resolver<'_>,
    name: &str,
    span: Span,
    asset_ids: &BTreeSet<&str>,
    what: &str,
) -> Option<String> {
    let name = name.trim();
    if asset_ids.contains(name) {
        return Some(name.to_string());
    }
    let d = Diagnostic::error(
        Code::UndefinedAsset,
        format!("{what} names undefined asset `{name}`"),
    )
    .with_label(span, "no such asset");
    r.diags.push(
        match crate::suggest::nearest(name, asset_ids.iter().copied()) {
            Some(n) => d.with_help(format!("did you mean `{n}`?")),
            None => d.with_help("define it under `assets:`"),
        },
    );
    None
}

/// `coverage.validation_max_age` in days: a whole number of days, or `180d`, `26w`,
/// `6m` (30 days each), `1y` (365 days).
pub(super) fn max_age(r: &mut Resolver<'_>, root: &LoadedFile) -> u32 {
    let Some(s) = root
        .content
        .coverage
        .as_ref()
        .and_then(|c| c.value.validation_max_age.as_ref())
    else {
        return DEFAULT_MAX_AGE_DAYS;
    };
    match parse_days(&s.value) {
        Some(d) => d,
        None => {
            r.diags.push(
                Diagnostic::error(
                    Code::InvalidDuration,
                    format!("`{}` is not a number of days", s.value.text()),
                )
                .with_label(s.span, "`validation_max_age` is a duration")
                .with_help("write days (`180`) or a duration: `180d`, `26w`, `6m`, `1y` (at most 100 years)"),
            );
            DEFAULT_MAX_AGE_DAYS
        }
    }
}

pub(super) fn parse_days(v: &Scalar) -> Option<u32> {
    let days: i64 = match v {
        Scalar::Int(i) => *i,
        Scalar::Float(_) => return None,
        Scalar::Text(t) => {
            let t = t.trim();
            let (num, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
                Some((i, _)) => (t.get(..i)?, t.get(i..)?.trim()),
                None => (t, "d"),
            };
            let n: i64 = num.parse().ok()?;
            let per = match unit.to_ascii_lowercase().as_str() {
                "d" | "day" | "days" => 1,
                "w" | "week" | "weeks" => 7,
                "m" | "month" | "months" => 30,
                "y" | "year" | "years" => 365,
                _ => return None,
            };
            n.checked_mul(per)?
        }
    };
    (0..=36_500).contains(&days).then_some(days as u32)
}

/// The day tests are aged from: `model.assessed`, or today.
pub fn as_of(assessed: Option<Date>) -> Date {
    assessed.unwrap_or_else(Date::today)
}

/// Marks stale the validations and evidence rows older than the maximum age; one
/// `evidence-stale` warning counting them.
pub(super) fn age(model: &mut Resolved) -> Option<Diagnostic> {
    let oldest = model
        .coverage
        .tests_as_of
        .add_days(-i64::from(model.coverage.validation_max_age));
    let mut stale = 0usize;
    let mut total = 0usize;
    let mut passing = 0usize;
    let mut mark = |date: Date, result: TestResult| -> bool {
        total += 1;
        let old = date < oldest;
        if old {
            stale += 1;
            if result == TestResult::Detected {
                passing += 1;
            }
        }
        old
    };
    for rule in &mut model.rules {
        for v in &mut rule.validations {
            v.stale = mark(v.date, v.result);
        }
    }
    for e in &mut model.evidence {
        e.stale = mark(e.date, e.result);
    }
    (stale > 0).then(|| {
        Diagnostic::warning(
            Code::EvidenceStale,
            format!(
                "{stale} of {total} test records are older than {} days (before {oldest}) and no longer count ({passing} of them passed)",
                model.coverage.validation_max_age,
            ),
        )
        .with_help("run the tests again and record the new results, or raise `coverage.validation_max_age`")
    })
}

/// Every `evidence:` file of every model file, in model order.
pub(super) fn resolve(
    r: &mut Resolver<'_>,
    loaded: &Loaded,
    assets: &[Asset],
    allow_outside_root: bool,
) -> Vec<Evidence> {
    let asset_ids: BTreeSet<&str> = assets.iter().map(|a| a.id.as_str()).collect();
    let confine = crate::fsio::Confine::new(&loaded.root_dir, allow_outside_root);
    let model_dir = loaded
        .files
        .first()
        .map(|f| f.dir.clone())
        .unwrap_or_default();
    let mut out = Vec::new();
    for f in &loaded.files {
        for e in &f.content.evidence {
            let path = &e.value.path;
            let abs = crate::model::load::normalize(&f.dir.join(&path.value));
            let shown = crate::model::load::relative_to(&abs, &model_dir);
            let file = match crate::model::load::read_source(
                &abs,
                shown.clone(),
                r.sources,
                Some(path.span),
                &confine,
            ) {
                Ok(id) => id,
                Err(d) => {
                    r.diags.push(d);
                    continue;
                }
            };
            let rows = super::evidence_file::rows(r, file, &shown, path.span);
            for row in rows {
                if let Some(ev) = evidence(r, row, &asset_ids, &shown) {
                    out.push(ev);
                }
            }
        }
    }
    out
}

/// One row of an evidence file, fields with their spans.
pub(super) struct Row {
    /// Line (1-based) for `source`.
    pub line: usize,
    /// The row itself, for a missing field.
    pub span: Span,
    pub technique: Option<Spanned<String>>,
    pub asset: Option<Spanned<String>>,
    pub date: Option<Spanned<String>>,
    pub result: Option<Spanned<String>>,
    pub method: Option<String>,
    pub reference: Option<String>,
}

/// A row checked: every field present, technique and asset known, date and result valid.
fn evidence(
    r: &mut Resolver<'_>,
    row: Row,
    asset_ids: &BTreeSet<&str>,
    file: &str,
) -> Option<Evidence> {
    let missing: Vec<&str> = [
        ("technique", row.technique.is_none()),
        ("asset", row.asset.is_none()),
        ("date", row.date.is_none()),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| *n)
    .collect();
    if !missing.is_empty() {
        r.diags.push(
            Diagnostic::error(
                Code::InvalidEvidence,
                format!("an evidence row lacks `{}`", missing.join("`, `")),
            )
            .with_label(row.span, "incomplete row")
            .with_help("each row names a technique, an asset (or `all`), a date (YYYY-MM-DD) and a result (detected or not-detected)"),
        );
        return None;
    }
    let (Some(t), Some(a), Some(d)) = (row.technique, row.asset, row.date) else {
        return None;
    };
    let technique = r.technique(&t, "an evidence row's `technique`");
    let assets = if a.value.trim().eq_ignore_ascii_case("all") {
        Some(Vec::new())
    } else {
        asset(r, &a.value, a.span, asset_ids, "an evidence row").map(|x| vec![x])
    };
    let date = r.date(
        &Spanned::new(d.span, Scalar::Text(d.value.clone())),
        "`date`",
    );
    let result = match &row.result {
        None => Some(TestResult::Detected),
        Some(s) => test_result(r, s),
    };
    Some(Evidence {
        technique: technique?,
        assets: assets?,
        date: date?,
        result: result?,
        method: row.method.as_deref().map(method),
        reference: row.reference,
        source: format!("{file}:{}", row.line),
        stale: false,
    })
}

/// `detected` (also `pass`, `passed`, `yes`, `true`) or `not-detected` (also `not
/// detected`, `fail`, `failed`, `missed`, `no`, `false`); empty means detected.
fn test_result(r: &mut Resolver<'_>, s: &Spanned<String>) -> Option<TestResult> {
    let norm = s.value.trim().to_lowercase().replace([' ', '_'], "-");
    match norm.as_str() {
        "" | "detected" | "pass" | "passed" | "yes" | "true" => Some(TestResult::Detected),
        "not-detected" | "undetected" | "fail" | "failed" | "missed" | "no" | "false" => {
            Some(TestResult::NotDetected)
        }
        _ => {
            let d = Diagnostic::error(
                Code::InvalidEvidence,
                format!("`{}` is not a test result", s.value.trim()),
            )
            .with_label(s.span, "a result is detected or not-detected");
            r.diags.push(
                match crate::suggest::nearest(&norm, ["detected", "not-detected"]) {
                    Some(n) => d.with_help(format!("did you mean `{n}`?")),
                    None => d.with_help("write `detected` or `not-detected`"),
                },
            );
            None
        }
    }
}
