//! How much the tiers depend on the weights (#15, point 2): each of the six base
//! weights moved by ±[`STEP`] in turn, the other five scaled so that they still sum to
//! 1, every gap re-scored from its unrounded factors; the gaps whose tier changes.

use super::priority::{score_with, Weights};
use super::{Gap, Tier};

/// How far each weight is moved.
pub const STEP: f64 = 0.05;
/// How many gaps the sentence names.
pub const NAMED: usize = 5;

/// One weight moved, and the tier a gap then falls in.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct WeightMove {
    /// The weight (`plan.weights` key).
    pub weight: String,
    /// Moved up (+0.05) or down (−0.05).
    pub up: bool,
    /// The gap's tier then.
    pub tier: Tier,
}

/// A gap whose tier changes when one weight moves.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct TierShift {
    /// Technique id.
    pub technique: String,
    /// Its tier now.
    pub tier: Tier,
    /// The moves that change it.
    pub moves: Vec<WeightMove>,
}

/// The sensitivity of the tiers to the weights.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Sensitivity {
    /// How far each weight was moved (0.05).
    pub step: f64,
    /// The gaps whose tier changes, by rank.
    pub shifts: Vec<TierShift>,
    /// The plan's sentence: "Moving any weight by ±0.05 moves N gaps across tiers: …".
    pub line: String,
}

/// The weights with base weight `k` moved by `delta` (not below 0, not above 1) and the
/// other base weights scaled to sum to `1 −` it; `None` when it cannot move.
pub fn moved(w: &Weights, k: usize, delta: f64) -> Option<Weights> {
    let base = w.base().map(|(_, v)| v);
    let old = *base.get(k)?;
    let new = (old + delta).clamp(0.0, 1.0);
    if (new - old).abs() < 1e-12 {
        return None;
    }
    let rest = 1.0 - old;
    let others = base.len() as f64 - 1.0;
    let mut out = base;
    for (i, v) in out.iter_mut().enumerate() {
        *v = if i == k {
            new
        } else if rest > 1e-12 {
            *v * (1.0 - new) / rest
        } else {
            (1.0 - new) / others
        };
    }
    Some(w.with_base(out))
}

fn label(name: &str) -> String {
    name.replace('_', " ")
}

fn signed(up: bool) -> String {
    let step = crate::emit::fmt_num(STEP);
    if up {
        format!("+{step}")
    } else {
        format!("−{step}")
    }
}

/// The gaps (on the to-do list) whose tier changes when any base weight moves by ±STEP.
pub fn compute(gaps: &[Gap], w: &Weights) -> Sensitivity {
    let names = w.base().map(|(n, _)| n);
    let variants: Vec<(&str, f64, Weights)> = (0..names.len())
        .flat_map(|k| [(k, -STEP), (k, STEP)])
        .filter_map(|(k, d)| Some((*names.get(k)?, d, moved(w, k, d)?)))
        .collect();
    let mut shifts = Vec::new();
    for g in gaps {
        let (i, a) = g.inputs;
        let moves: Vec<WeightMove> = variants
            .iter()
            .filter_map(|(n, d, wv)| {
                let t = score_with(i, a, wv).tier;
                (t != g.tier).then(|| WeightMove {
                    weight: n.to_string(),
                    up: *d > 0.0,
                    tier: t,
                })
            })
            .collect();
        if !moves.is_empty() {
            shifts.push(TierShift {
                technique: g.technique.clone(),
                tier: g.tier,
                moves,
            });
        }
    }
    let line = line(&shifts, gaps.len());
    Sensitivity {
        step: STEP,
        shifts,
        line,
    }
}

/// "Moving any weight by ±0.05 moves 4 of 203 gaps across tiers (kill chain −0.05: 3,
/// …); first by rank: T1486 (P1→P2 if kill chain −0.05), …; all in report.json."
fn line(shifts: &[TierShift], total: usize) -> String {
    let step = crate::emit::fmt_num(STEP);
    if shifts.is_empty() {
        return format!(
            "Moving any weight by ±{step} moves none of the {total} gaps across tiers."
        );
    }
    // How many gaps each move shifts, most first (then in weight order).
    let mut per: Vec<(String, usize)> = Vec::new();
    for m in shifts.iter().flat_map(|s| s.moves.iter()) {
        let key = format!("{} {}", label(&m.weight), signed(m.up));
        match per.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => per.push((key, 1)),
        }
    }
    per.sort_by_key(|p| std::cmp::Reverse(p.1));
    let per: Vec<String> = per.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    let named: Vec<String> = shifts
        .iter()
        .take(NAMED)
        .map(|s| {
            let moves: Vec<String> = s
                .moves
                .iter()
                .map(|m| format!("{} {}", label(&m.weight), signed(m.up)))
                .collect();
            let to: Vec<&str> = s.moves.iter().map(|m| m.tier.as_str()).collect();
            let to = if to.iter().all(|t| Some(t) == to.first()) {
                to.first().copied().unwrap_or_default().to_string()
            } else {
                to.join("/")
            };
            format!(
                "{} ({}→{to} if {})",
                s.technique,
                s.tier.as_str(),
                moves.join(" or ")
            )
        })
        .collect();
    let tail = if shifts.len() > NAMED {
        "; all in report.json"
    } else {
        ""
    };
    format!(
        "Moving any weight by ±{step} moves {} of {total} {} across tiers ({}); {}: {}{tail}.",
        shifts.len(),
        crate::words::plural(total, "gap", "gaps"),
        per.join(", "),
        if shifts.len() > NAMED {
            "first by rank"
        } else {
            "by rank"
        },
        named.join(", ")
    )
}
