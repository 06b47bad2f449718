//! The schedule (`plan.capacity`): the to-do list spread over months of the team's
//! capacity. Gaps are taken in priority order (rank); before a gap come the telemetry
//! units (investment rows) that unlock its (gap, asset) pairs, with the rows they must
//! be collected with, each onboarded once. Every item has an effort in points; items fill
//! the months from `model.assessed`'s month (the day of the build without one) in that
//! order, without reordering: an item that does not fit what is left of a month starts
//! the next one, and an item larger than a month's capacity starts a month of its own
//! and spills over the months it needs (said in the plan). A gap's due date is the last
//! day of the month it is done in. Items done after [`HORIZON`] months are left out of
//! the months and listed as beyond the horizon (no month, no due date).
//!
//! A gap's effort is its note's (`effort: low|medium|high` as `plan.effort` says, or a
//! number of points), else a default from how actionable it is: `low` when a candidate
//! rule (`candidates:`) matches it on an asset it is open on, else `high` when some of
//! its pairs need data not yet collected, else `medium` when an ATT&CK analytic reads
//! data collected on each of its open pairs, else `high` (no analytic to start from).

use super::investments::Readiness;
use super::{r1, Gap, Investment, Tier};
use crate::date::Date;
use crate::resolve::effort::EffortPoints;
use crate::resolve::Resolved;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How many months a schedule runs at most (ten years).
pub const HORIZON: usize = 120;

/// Tolerance of the sums of efforts (points are decimals).
const EPS: f64 = 1e-9;

/// Where a gap's effort comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EffortBasis {
    /// The team's note (`plan.techniques`: `effort`).
    Note,
    /// A candidate rule matches it on an asset it is open on: `low`.
    Candidate,
    /// Some of its pairs need data not yet collected (onboarded first): `high`.
    Onboard,
    /// An ATT&CK analytic reads data collected on each of its pairs: `medium`.
    Analytic,
    /// No ATT&CK analytic reads data for it: `high`.
    NoAnalytic,
}

impl EffortBasis {
    /// Kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EffortBasis::Note => "note",
            EffortBasis::Candidate => "candidate",
            EffortBasis::Onboard => "onboard",
            EffortBasis::Analytic => "analytic",
            EffortBasis::NoAnalytic => "no-analytic",
        }
    }
}

/// A gap's place in the schedule (with `plan.capacity`; every field absent without it).
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct GapSchedule {
    /// Its effort in points: the note's, or the default of its basis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort_points: Option<f64>,
    /// Where the effort comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort_basis: Option<EffortBasis>,
    /// The month (`YYYY-MM`) it is done in; its due date is that month's last day
    /// (absent beyond the schedule's horizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
    /// The investment rows (ranks) scheduled before it: the telemetry its pairs need.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<usize>,
}

/// What an item of the schedule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A gap: build a detection.
    Gap,
    /// A telemetry unit: onboard a data component on a platform (an investment row).
    Telemetry,
}

/// One item of a month: a gap or a telemetry unit, with the points spent on it that
/// month.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Item {
    /// Gap or telemetry unit.
    pub kind: ItemKind,
    /// Its rank: the gap's priority rank, or the investment row's rank.
    pub rank: usize,
    /// The technique id (gap), or the data component id (telemetry).
    pub id: String,
    /// The technique's name, or `Data Component on Platform`.
    pub name: String,
    /// The gap's tier (absent for telemetry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    /// Its whole effort, in points.
    pub effort: f64,
    /// The points spent on it this month (less than `effort` when it spills over).
    pub points: f64,
    /// Started in an earlier month (it spills over into this one).
    pub continued: bool,
    /// Goes on in the next month.
    pub continues: bool,
}

/// One month of the schedule.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Month {
    /// 1 for the first month.
    pub index: usize,
    /// `YYYY-MM`.
    pub month: String,
    /// Its last day: the due date of the gaps done in it.
    pub ends: Date,
    /// Points used (at most `capacity`).
    pub used: f64,
    /// Its items, in schedule order.
    pub items: Vec<Item>,
}

/// The schedule of the to-do list over months of capacity.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Schedule {
    /// Effort points per month (`plan.capacity`).
    pub capacity: f64,
    /// Points per size and per telemetry unit (`plan.effort`, with its defaults).
    pub effort: EffortPoints,
    /// The first month, `YYYY-MM` (`model.assessed`'s, or the build day's).
    pub start: String,
    /// The months, first to last (up to [`HORIZON`]).
    pub months: Vec<Month>,
    /// Gaps scheduled in the months (not beyond the horizon).
    pub gaps: usize,
    /// Telemetry units scheduled in the months.
    pub telemetry: usize,
    /// Points of every item, in the months and beyond the horizon.
    pub effort_total: f64,
    /// Items larger than a month's capacity (they spill over several months).
    pub spills: usize,
    /// Items done after [`HORIZON`] months: not in the months, no due date.
    pub beyond: Vec<Item>,
}

/// A gap's effort and where it comes from.
fn gap_effort(g: &Gap, ready: Readiness, points: &EffortPoints) -> (f64, EffortBasis) {
    if let Some(n) = &g.note {
        if let Some(p) = n.points {
            return (p, EffortBasis::Note);
        }
        if let Some(e) = n.effort {
            return (points.of(e), EffortBasis::Note);
        }
    }
    if g.candidates.iter().any(|c| c.total > 0) {
        (points.low, EffortBasis::Candidate)
    } else if ready.locked > 0 {
        (points.high, EffortBasis::Onboard)
    } else if ready.ready > 0 {
        (points.medium, EffortBasis::Analytic)
    } else {
        (points.high, EffortBasis::NoAnalytic)
    }
}

/// Months filled in order: the current month and what is used of it.
struct Filler {
    capacity: f64,
    start: Date,
    month: usize,
    used: f64,
    months: Vec<Month>,
    beyond: Vec<Item>,
    spills: usize,
}

impl Filler {
    fn month_mut(&mut self, i: usize) -> Option<&mut Month> {
        while self.months.len() <= i {
            let n = self.months.len();
            let first = self.start.month_start(n as i64);
            self.months.push(Month {
                index: n + 1,
                month: first.month_label(),
                ends: self.start.month_end(n as i64),
                used: 0.0,
                items: Vec::new(),
            });
        }
        self.months.get_mut(i)
    }

    /// Places an item; returns the index of the month it is done in, or `None` beyond
    /// the horizon (then every later item is beyond too).
    fn place(&mut self, item: Item) -> Option<usize> {
        let (cap, e) = (self.capacity, item.effort);
        let (first, last) = if !self.beyond.is_empty() {
            (HORIZON, HORIZON)
        } else if e <= cap - self.used + EPS {
            (self.month, self.month)
        } else if e <= cap + EPS {
            (self.month + 1, self.month + 1)
        } else {
            let first = self.month + usize::from(self.used > EPS);
            let span = (e / cap - EPS).ceil().max(1.0) as usize;
            (first, first.saturating_add(span - 1))
        };
        if last >= HORIZON {
            self.beyond.push(item);
            return None;
        }
        if last > first {
            self.spills += 1;
        }
        let mut left = e;
        for m in first..=last {
            let room = if m == first && first == self.month {
                cap - self.used
            } else {
                cap
            };
            let points = if m == last { left } else { room.min(left) };
            left -= points;
            let it = Item {
                points: r1(points),
                continued: m > first,
                continues: m < last,
                ..item.clone()
            };
            if let Some(month) = self.month_mut(m) {
                month.used = r1(month.used + points);
                month.items.push(it);
            }
        }
        self.used = if last == self.month {
            self.used + e
        } else {
            e - cap * (last - first) as f64
        };
        self.month = last;
        Some(last)
    }
}

/// The investment rows (indexes) a gap waits for: the rows that unlock its pairs, and
/// the rows they must be collected with, by rank.
fn units_of(investments: &[Investment]) -> BTreeMap<&str, BTreeSet<usize>> {
    let mut out: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for (i, inv) in investments.iter().enumerate() {
        for t in &inv.techniques {
            let e = out.entry(t.technique.as_str()).or_default();
            e.insert(i);
            for w in &inv.with {
                if let Some(j) = investments.iter().position(|x| x.rank == *w) {
                    e.insert(j);
                }
            }
        }
    }
    out
}

fn telemetry_item(inv: &Investment, effort: f64) -> Item {
    Item {
        kind: ItemKind::Telemetry,
        rank: inv.rank,
        id: inv.data_component.clone(),
        name: format!("{} on {}", inv.data_component_name, inv.platform),
        tier: None,
        effort,
        points: 0.0,
        continued: false,
        continues: false,
    }
}

/// Schedules the to-do list when the model sets `plan.capacity`: fills each gap's
/// `schedule` (effort, its basis, month, the units it waits for) and `due` (the month's
/// last day),
/// and each scheduled investment's `effort_points` and `month`. `None` without capacity
/// (nothing is changed).
pub(super) fn schedule(
    model: &Resolved,
    gaps: &mut [Gap],
    investments: &mut [Investment],
    readiness: &[Readiness],
) -> Option<Schedule> {
    let capacity = model.plan.capacity?;
    let points = model.plan.effort;
    let start = model.meta.assessed.unwrap_or(model.coverage.tests_as_of);
    let mut f = Filler {
        capacity,
        start,
        month: 0,
        used: 0.0,
        months: Vec::new(),
        beyond: Vec::new(),
        spills: 0,
    };
    let waits = units_of(investments);
    let mut unit_month: BTreeMap<usize, Option<usize>> = BTreeMap::new();
    let (mut n_gaps, mut total) = (0, 0.0);
    for (gi, g) in gaps.iter_mut().enumerate() {
        let ready = readiness.get(gi).copied().unwrap_or_default();
        let (effort, basis) = gap_effort(g, ready, &points);
        let units = waits.get(g.technique.as_str()).cloned().unwrap_or_default();
        for &u in &units {
            if unit_month.contains_key(&u) {
                continue;
            }
            let Some(inv) = investments.get(u) else {
                continue;
            };
            let done = f.place(telemetry_item(inv, points.telemetry));
            total += points.telemetry;
            unit_month.insert(u, done);
        }
        let item = Item {
            kind: ItemKind::Gap,
            rank: g.rank,
            id: g.technique.clone(),
            name: g.name.clone(),
            tier: Some(g.tier),
            effort,
            points: 0.0,
            continued: false,
            continues: false,
        };
        let done = f.place(item);
        total += effort;
        n_gaps += usize::from(done.is_some());
        g.schedule = GapSchedule {
            effort_points: Some(effort),
            effort_basis: Some(basis),
            month: done.and_then(|m| f.months.get(m)).map(|m| m.month.clone()),
            after: units
                .iter()
                .filter_map(|&u| investments.get(u).map(|i| i.rank))
                .collect(),
        };
        g.due = done.and_then(|m| f.months.get(m)).map(|m| m.ends);
    }
    for (&u, &done) in &unit_month {
        if let Some(inv) = investments.get_mut(u) {
            inv.effort_points = Some(points.telemetry);
            inv.month = done.and_then(|m| f.months.get(m)).map(|m| m.month.clone());
        }
    }
    let telemetry = unit_month.values().filter(|m| m.is_some()).count();
    Some(Schedule {
        capacity,
        effort: points,
        start: start.month_label(),
        gaps: n_gaps,
        telemetry,
        effort_total: r1(total),
        spills: f.spills,
        months: f.months,
        beyond: f.beyond,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(rank: usize, effort: f64) -> Item {
        Item {
            kind: ItemKind::Gap,
            rank,
            id: format!("T{rank}"),
            name: String::new(),
            tier: None,
            effort,
            points: 0.0,
            continued: false,
            continues: false,
        }
    }

    fn filler(capacity: f64) -> Filler {
        Filler {
            capacity,
            start: Date::parse("2026-11-15").expect("date"),
            month: 0,
            used: 0.0,
            months: Vec::new(),
            beyond: Vec::new(),
            spills: 0,
        }
    }

    #[test]
    fn fills_in_order_and_moves_what_does_not_fit() {
        let mut f = filler(10.0);
        assert_eq!(f.place(item(1, 4.0)), Some(0));
        assert_eq!(f.place(item(2, 6.0)), Some(0));
        assert_eq!(f.place(item(3, 3.0)), Some(1));
        // 8 does not fit the 7 left: the next month, not split.
        assert_eq!(f.place(item(4, 8.0)), Some(2));
        assert_eq!(f.months.len(), 3);
        assert_eq!(f.months[0].used, 10.0);
        assert_eq!(f.months[1].used, 3.0);
        assert_eq!(f.months[0].ends.to_string(), "2026-11-30");
        assert_eq!(f.months[2].month, "2027-01");
        assert_eq!(f.spills, 0);
    }

    #[test]
    fn a_large_item_spills_over_months_of_its_own() {
        let mut f = filler(10.0);
        f.place(item(1, 2.0));
        // 25 points: a fresh month, then two more; 5 points used in the third.
        assert_eq!(f.place(item(2, 25.0)), Some(3));
        assert_eq!(f.spills, 1);
        let pts: Vec<f64> = f.months.iter().map(|m| m.used).collect();
        assert_eq!(pts, vec![2.0, 10.0, 10.0, 5.0]);
        assert!(f.months[1].items[0].continues && !f.months[1].items[0].continued);
        assert!(f.months[3].items[0].continued && !f.months[3].items[0].continues);
        // The next item shares the spill's last month.
        assert_eq!(f.place(item(3, 5.0)), Some(3));
    }

    #[test]
    fn beyond_the_horizon_nothing_is_placed() {
        let mut f = filler(1.0);
        assert_eq!(f.place(item(1, 1000.0)), None);
        assert_eq!(f.place(item(2, 0.5)), None);
        assert_eq!(f.beyond.len(), 2);
        assert!(f.months.is_empty());
    }
}
