//! Effort and capacity for the schedule: `plan.capacity` (effort points per month),
//! `plan.effort` (points per size and per telemetry unit) and the `effort` of a
//! technique note (a size or a number of points). Each value is checked here: a
//! capacity that is not a positive number is `invalid-capacity`, an effort that is not a
//! number from 0 to [`MAX_POINTS`] is `invalid-effort`, at the value's file, line and
//! column.

use super::context::Resolver;
use super::kinds::{Effort, TechniqueNote};
use crate::diag::{Code, Diagnostic};
use crate::model::load::Loaded;
use crate::model::v1;
use crate::source::Spanned;
use serde::Serialize;

/// Default points of a `low` gap (a candidate rule exists for it).
pub const DEFAULT_LOW: f64 = 1.0;
/// Default points of a `medium` gap (an ATT&CK analytic reads data already collected).
pub const DEFAULT_MEDIUM: f64 = 3.0;
/// Default points of a `high` gap (data must be onboarded first, or no analytic).
pub const DEFAULT_HIGH: f64 = 5.0;
/// Default points of onboarding one telemetry unit (a data component on a platform).
pub const DEFAULT_TELEMETRY: f64 = 5.0;
/// The largest effort a gap, a size or a telemetry unit may take.
pub const MAX_POINTS: f64 = 10_000.0;
/// The largest capacity per month.
pub const MAX_CAPACITY: f64 = 100_000.0;
/// The smallest capacity per month (keeps a schedule of thousands of gaps finite).
pub const MIN_CAPACITY: f64 = 0.1;

/// Effort points per size, and per telemetry unit onboarded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct EffortPoints {
    /// A `low` gap (default 1).
    pub low: f64,
    /// A `medium` gap (default 3).
    pub medium: f64,
    /// A `high` gap (default 5).
    pub high: f64,
    /// One telemetry unit (default 5).
    pub telemetry: f64,
}

impl Default for EffortPoints {
    fn default() -> Self {
        EffortPoints {
            low: DEFAULT_LOW,
            medium: DEFAULT_MEDIUM,
            high: DEFAULT_HIGH,
            telemetry: DEFAULT_TELEMETRY,
        }
    }
}

impl EffortPoints {
    /// The points of a size.
    pub fn of(&self, e: Effort) -> f64 {
        match e {
            Effort::Low => self.low,
            Effort::Medium => self.medium,
            Effort::High => self.high,
        }
    }
}

/// `plan.capacity` and `plan.effort` of the root model.
pub(super) fn capacity(r: &mut Resolver<'_>, loaded: &Loaded) -> (Option<f64>, EffortPoints) {
    let plan = loaded
        .files
        .first()
        .and_then(|root| root.content.plan.as_ref());
    let Some(plan) = plan else {
        return (None, EffortPoints::default());
    };
    let capacity = plan.value.capacity.as_ref().and_then(|c| {
        let v = c.value;
        if v.is_finite() && (MIN_CAPACITY..=MAX_CAPACITY).contains(&v) {
            return Some(v);
        }
        r.diags.push(
            Diagnostic::error(
                Code::InvalidCapacity,
                format!("`plan.capacity` is {}, not effort points per month", show(v)),
            )
            .with_label(c.span, format!("a number from {MIN_CAPACITY} to {MAX_CAPACITY}"))
            .with_help(
                "capacity is the effort points the team can spend per month, e.g. `capacity: 20`; leave it out for due dates by tier",
            ),
        );
        None
    });
    let mut points = EffortPoints::default();
    if let Some(e) = &plan.value.effort {
        let e = &e.value;
        let mut set = |v: &Option<Spanned<f64>>, key: &str, slot: &mut f64| {
            if let Some(p) = v.as_ref().and_then(|v| self::points(r, v, key)) {
                *slot = p;
            }
        };
        set(&e.low, "plan.effort.low", &mut points.low);
        set(&e.medium, "plan.effort.medium", &mut points.medium);
        set(&e.high, "plan.effort.high", &mut points.high);
        set(&e.telemetry, "plan.effort.telemetry", &mut points.telemetry);
    }
    (capacity, points)
}

/// A number as the diagnostics write it (`-1`, `0.5`, `NaN`).
fn show(v: f64) -> String {
    if v.is_finite() {
        crate::emit::fmt_num(v)
    } else {
        format!("{v}")
    }
}

/// A number of effort points, from 0 to [`MAX_POINTS`]; else `invalid-effort`.
fn points(r: &mut Resolver<'_>, v: &Spanned<f64>, key: &str) -> Option<f64> {
    if v.value.is_finite() && (0.0..=MAX_POINTS).contains(&v.value) {
        return Some(v.value);
    }
    r.diags.push(
        Diagnostic::error(
            Code::InvalidEffort,
            format!(
                "`{key}` is {}, not a number of effort points",
                show(v.value)
            ),
        )
        .with_label(v.span, format!("a number from 0 to {MAX_POINTS}"))
        .with_help("effort is in the same points as `plan.capacity` (points per month), e.g. `3`"),
    );
    None
}

/// A technique note, its `effort` checked: a size (`low`, `medium`, `high`) or a number
/// of points.
pub(super) fn note(r: &mut Resolver<'_>, n: &v1::TechniqueNote) -> TechniqueNote {
    let mut out = TechniqueNote {
        effort: None,
        points: None,
        approach: n.approach.clone(),
        owner: n.owner.clone(),
        ticket: n.ticket.clone(),
    };
    let Some(e) = &n.effort else {
        return out;
    };
    let number = match &e.value {
        v1::Scalar::Int(i) => Some(*i as f64),
        v1::Scalar::Float(f) => Some(*f),
        v1::Scalar::Text(t) => {
            match t.trim().to_ascii_lowercase().as_str() {
                "low" => out.effort = Some(Effort::Low),
                "medium" => out.effort = Some(Effort::Medium),
                "high" => out.effort = Some(Effort::High),
                _ => {
                    let mut d = Diagnostic::error(
                        Code::InvalidEffort,
                        format!(
                            "`{t}` is not an effort: `low`, `medium`, `high` or a number of points"
                        ),
                    )
                    .with_label(e.span, "effort");
                    if let Some(n) = crate::suggest::nearest(t, ["low", "medium", "high"]) {
                        d = d.with_help(format!("did you mean `{n}`?"));
                    }
                    r.diags.push(d);
                }
            }
            None
        }
    };
    if let Some(v) = number {
        let spanned = Spanned {
            value: v,
            span: e.span,
        };
        out.points = points(r, &spanned, "effort");
    }
    out
}
