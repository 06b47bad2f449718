//! The schedule (issue 15, point 3): `plan.capacity` effort points a month, an effort per
//! gap (the team's note or a default from actionability), gaps in priority order filling
//! the months, the telemetry a gap needs onboarded before it, due dates following the
//! schedule; and (point 4) how many candidate rules a telemetry unit would activate.

mod common;

use common::{repo_with, threatc, threatc_ok, InlineModel};
use threatc::analysis::schedule::ItemKind;
use threatc::analysis::{Analysis, Gap};

/// Four Sigma candidates: two read Process Access on Windows, one Process Access on
/// Linux, one Process Creation on Windows.
const SIGMA: &str = r#"title: LSASS access
id: 11111111-1111-1111-1111-111111111111
status: stable
level: high
logsource: {product: windows, category: process_access}
tags: [attack.t1003.001]
---
title: Other access
id: 22222222-2222-2222-2222-222222222222
status: test
level: medium
logsource: {product: windows, category: process_access}
tags: [attack.t1055]
---
title: Linux access
id: 33333333-3333-3333-3333-333333333333
status: test
level: medium
logsource: {product: linux, category: process_access}
tags: [attack.t1003.007]
---
title: Creation
id: 44444444-4444-4444-4444-444444444444
status: test
level: medium
logsource: {product: windows, category: process_creation}
tags: [attack.t1059.001]
"#;

/// One actor, six techniques on one Windows asset that collects only network flows (so
/// every gap needs telemetry onboarded), the Sigma candidates, and `plan` spliced in.
fn model(plan: &str) -> String {
    format!(
        r#"threatc: 1
model:
  name: sched
  assessed: 2026-11-15
actors:
  - id: x
    weight: 4
    techniques: [T1003.001, T1059.001, T1547.001, T1105, T1021.002, T1486]
assets:
  - id: ws
    platforms: [Windows]
    criticality: high
telemetry:
  - data_components: [Network Traffic Flow]
    assets: [ws]
candidates:
  - import: sigma
    path: sigma/rules.yml
{plan}
"#
    )
}

fn analysis(plan: &str) -> Analysis {
    InlineModel::new(&[("model.yaml", &model(plan)), ("sigma/rules.yml", SIGMA)]).analysis()
}

fn gap<'a>(a: &'a Analysis, id: &str) -> &'a Gap {
    a.gaps
        .iter()
        .find(|g| g.technique == id)
        .unwrap_or_else(|| panic!("no gap {id}"))
}

/// The items of the schedule in order: (kind, rank, month index).
fn sequence(a: &Analysis) -> Vec<(ItemKind, usize, usize)> {
    let s = a.schedule.as_ref().expect("a schedule");
    s.months
        .iter()
        .flat_map(|m| m.items.iter().map(move |i| (i.kind, i.rank, m.index)))
        .collect()
}

#[test]
fn capacity_fills_months_in_priority_order() {
    // Telemetry costs nothing here, so the gaps alone fill the months: defaults 1 (a
    // candidate rule exists), 5 (data to onboard); T1486's note says 20 points.
    let a = analysis(
        "plan:\n  capacity: 8\n  effort: {telemetry: 0}\n  techniques:\n    T1486: {effort: 20}\n",
    );
    let s = a.schedule.as_ref().expect("a schedule");
    assert_eq!(s.capacity, 8.0);
    let ranks: Vec<&str> = a.gaps.iter().map(|g| g.technique.as_str()).collect();
    assert_eq!(
        ranks,
        [
            "T1059.001",
            "T1105",
            "T1021.002",
            "T1003.001",
            "T1547.001",
            "T1486"
        ]
    );
    let effort: Vec<f64> = a
        .gaps
        .iter()
        .map(|g| g.schedule.effort_points.unwrap())
        .collect();
    assert_eq!(effort, [1.0, 5.0, 5.0, 1.0, 5.0, 20.0]);
    let months: Vec<&str> = a
        .gaps
        .iter()
        .map(|g| g.schedule.month.as_deref().unwrap())
        .collect();
    // 1 + 5 in November; 5 does not fit the 2 left: December, with the next 1; 5 more:
    // January; 20 points spill over February, March and April.
    assert_eq!(
        months,
        ["2026-11", "2026-11", "2026-12", "2026-12", "2027-01", "2027-04"]
    );
    let due: Vec<String> = a.gaps.iter().map(|g| g.due.unwrap().to_string()).collect();
    assert_eq!(due[0], "2026-11-30");
    assert_eq!(due[2], "2026-12-31");
    assert_eq!(due[5], "2027-04-30");
    // Months never run over capacity; what they hold adds up to their use.
    for m in &s.months {
        assert!(m.used <= s.capacity, "{}", m.month);
        let sum: f64 = m.items.iter().map(|i| i.points).sum();
        assert!((sum - m.used).abs() < 1e-9, "{}", m.month);
    }
    // The 20-point gap is said to spill over: three months of its own.
    assert_eq!(s.spills, 1);
    let spill: Vec<(String, f64, bool)> = s
        .months
        .iter()
        .flat_map(|m| {
            m.items
                .iter()
                .filter(|i| i.id == "T1486")
                .map(|i| (m.month.clone(), i.points, i.continues))
        })
        .collect();
    assert_eq!(
        spill,
        [
            ("2027-02".to_string(), 8.0, true),
            ("2027-03".to_string(), 8.0, true),
            ("2027-04".to_string(), 4.0, false)
        ]
    );
    // Gaps come in rank order: months never go back.
    let gap_months: Vec<usize> = sequence(&a)
        .into_iter()
        .filter(|(k, ..)| *k == ItemKind::Gap)
        .map(|(_, _, m)| m)
        .collect();
    assert!(gap_months.windows(2).all(|w| w[0] <= w[1]));
    // Tiers stay by threshold.
    assert_eq!(gap(&a, "T1059.001").tier, threatc::analysis::Tier::P1);
}

#[test]
fn a_gap_that_needs_telemetry_lands_after_its_unit() {
    let a = analysis("plan:\n  capacity: 8\n  effort: {telemetry: 4}\n");
    let seq = sequence(&a);
    let pos = |kind: ItemKind, rank: usize| {
        seq.iter()
            .position(|(k, r, _)| *k == kind && *r == rank)
            .unwrap_or_else(|| panic!("{kind:?} {rank} not scheduled"))
    };
    let mut waited = 0;
    for g in a.gaps.iter() {
        let at = pos(ItemKind::Gap, g.rank);
        for &u in &g.schedule.after {
            waited += 1;
            assert!(
                pos(ItemKind::Telemetry, u) < at,
                "{} before #{u}",
                g.technique
            );
            let inv = a.investments.iter().find(|i| i.rank == u).unwrap();
            assert!(inv.month.as_deref() <= g.schedule.month.as_deref());
            assert_eq!(inv.effort_points, Some(4.0));
        }
        // Every investment that unlocks one of its pairs is among them.
        for inv in &a.investments {
            if inv.techniques.iter().any(|t| t.technique == g.technique) {
                assert!(g.schedule.after.contains(&inv.rank), "{}", g.technique);
            }
        }
    }
    assert!(waited > 0);
    // T1105 needs Process Creation, File Creation and Network Connection Creation
    // collected together (12 points): it lands after them, in March, not November.
    let t1105 = gap(&a, "T1105");
    assert_eq!(t1105.schedule.after, [1, 2, 3]);
    assert_eq!(
        t1105.schedule.effort_basis,
        Some(threatc::analysis::EffortBasis::Onboard)
    );
    assert_eq!(t1105.schedule.month.as_deref(), Some("2027-03"));
    assert_eq!(t1105.due.unwrap().to_string(), "2027-03-31");
    // Each unit is onboarded once, though several gaps may wait for it.
    let units: Vec<usize> = seq
        .iter()
        .filter(|(k, ..)| *k == ItemKind::Telemetry)
        .map(|(_, r, _)| *r)
        .collect();
    let mut dedup = units.clone();
    dedup.sort_unstable();
    dedup.dedup();
    assert_eq!(units.len(), dedup.len());
    assert_eq!(a.schedule.as_ref().unwrap().telemetry, units.len());
}

/// report.json without what the schedule adds (its section, the gaps' and investments'
/// schedule fields, due dates).
fn without_schedule(a: &Analysis) -> serde_json::Value {
    let mut v = serde_json::to_value(a).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("schedule");
    for g in o["gaps"].as_array_mut().unwrap() {
        let g = g.as_object_mut().unwrap();
        for k in ["effort_points", "effort_basis", "month", "after", "due"] {
            g.remove(k);
        }
    }
    for i in o["investments"].as_array_mut().unwrap() {
        let i = i.as_object_mut().unwrap();
        i.remove("effort_points");
        i.remove("month");
    }
    v
}

#[test]
fn without_capacity_figures_are_unchanged() {
    let plain = analysis("");
    let scheduled = analysis("plan:\n  capacity: 8\n");
    assert!(plain.schedule.is_none());
    // Due dates by tier: assessed + 30, 60, 90 days.
    for g in plain.gaps.iter() {
        let days = match g.tier {
            threatc::analysis::Tier::P1 => 30,
            threatc::analysis::Tier::P2 => 60,
            threatc::analysis::Tier::P3 => 90,
        };
        let assessed = threatc::date::Date::parse("2026-11-15").unwrap();
        assert_eq!(g.due, Some(assessed.add_days(days)), "{}", g.technique);
        assert!(g.schedule.effort_points.is_none() && g.schedule.month.is_none());
    }
    let json = serde_json::to_string(&plain).unwrap();
    for key in [
        "\"schedule\"",
        "\"effort_points\"",
        "\"month\"",
        "\"after\"",
    ] {
        assert!(!json.contains(key), "{key} without capacity");
    }
    // Every other figure is the same with the schedule.
    assert_eq!(without_schedule(&plain), without_schedule(&scheduled));
    // gaps.csv gains its columns only with the schedule.
    let header = |a: &Analysis| {
        let csv = threatc::emit::tables::gaps_csv(a);
        csv.lines().next().unwrap().to_string()
    };
    assert!(!header(&plain).contains("effort_points"));
    assert!(header(&scheduled).contains(",effort_points,effort_basis,month,after,asset:ws"));
}

#[test]
fn bad_capacity_and_effort_are_diagnosed_where_written() {
    // Non-finite numbers stop at the YAML reader; text is a type error of the schema.
    let cases: [(&str, &str, u64); 8] = [
        ("plan:\n  capacity: 0\n", "invalid-capacity", 20),
        ("plan:\n  capacity: -3\n", "invalid-capacity", 20),
        ("plan:\n  capacity: 1000000\n", "invalid-capacity", 20),
        ("plan:\n  capacity: .inf\n", "yaml-syntax", 20),
        ("plan:\n  capacity: lots\n", "schema-type", 20),
        (
            "plan:\n  capacity: 8\n  effort: {telemetry: -1}\n",
            "invalid-effort",
            21,
        ),
        (
            "plan:\n  capacity: 8\n  techniques:\n    T1486: {effort: 20000}\n",
            "invalid-effort",
            22,
        ),
        (
            "plan:\n  capacity: 8\n  techniques:\n    T1486: {effort: hgh}\n",
            "schema-value",
            22,
        ),
    ];
    for (plan, code, line) in cases {
        let dir = repo_with(&[("model.yaml", &model(plan)), ("sigma/rules.yml", SIGMA)]);
        let o = threatc(&["check", "model.yaml", "--format", "json"], dir.path());
        assert_eq!(o.status.code(), Some(2), "{plan}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let hit = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("no {code} for {plan}: {v}"));
        assert_eq!(hit["file"], "model.yaml", "{plan}");
        assert_eq!(hit["line"].as_u64(), Some(line), "{plan}");
        assert!(hit["column"].as_u64().unwrap() > 1, "{plan}");
    }
    // A fragment may not set the capacity.
    let mut m = InlineModel::new(&[
        (
            "model.yaml",
            &model("include: [more.yaml]\nplan:\n  capacity: 8\n"),
        ),
        ("sigma/rules.yml", SIGMA),
        ("more.yaml", "threatc: 1\nplan:\n  capacity: 4\n"),
    ]);
    let Err(errors) = m.resolve() else {
        panic!("a fragment's capacity resolves");
    };
    assert!(common::codes(&errors).contains(&"fragment-section"));
}

#[test]
fn an_investment_counts_the_candidate_rules_it_activates() {
    let a = analysis("");
    let count = |dc: &str| {
        a.investments
            .iter()
            .find(|i| i.data_component_name == dc && i.platform == "Windows")
            .unwrap_or_else(|| panic!("no investment in {dc}"))
            .candidates
    };
    // Two Windows process_access rules; the Linux one is for another platform.
    assert_eq!(count("Process Access"), Some(2));
    assert_eq!(count("Process Creation"), Some(1));
    assert_eq!(count("File Creation"), Some(0));
    // Without candidate rules the column is absent.
    let none = InlineModel::new(&[(
        "model.yaml",
        &model("").replace(
            "candidates:\n  - import: sigma\n    path: sigma/rules.yml\n",
            "",
        ),
    )])
    .analysis();
    assert!(!none.investments.is_empty());
    assert!(none.investments.iter().all(|i| i.candidates.is_none()));
}

#[test]
fn the_outputs_show_the_schedule() {
    let plan = "plan:\n  capacity: 8\n  effort: {telemetry: 4}\n";
    let dir = repo_with(&[("model.yaml", &model(plan)), ("sigma/rules.yml", SIGMA)]);
    let o = threatc_ok(&["build", "model.yaml", "-o", "out"], dir.path());
    let out = dir.path().join("out");
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    let md = read("plan.md");
    assert!(md.contains("## Schedule\n"), "{md}");
    assert!(md.contains("| Month | Used | Gaps (tier, points) | Telemetry to onboard (points) |"));
    // November: two telemetry units of 4 points, nothing else fits.
    assert!(
        md.contains("| 2026-11 | 8 of 8 |  | #9 Module Load on Windows (4), #10 Process Metadata on Windows (4) |"),
        "{md}"
    );
    assert!(md
        .contains("- Schedule: 2026-12, effort 1 point (candidate), after telemetry #9, #10, #11"));
    assert!(md.contains("| Schedule at 8 effort points a month | 6 gaps and 11 telemetry units, 66 points: 2026-11 to 2027-10 (12 months) |"), "{md}");
    assert!(md.contains("Candidate rules it activates | Month |"));
    let html = read("plan.html");
    assert!(html.contains("<h2 id=\"schedule\">Schedule</h2>"));
    assert!(html.contains("<dt>Schedule</dt><dd>2026-12, effort 1 point (candidate)"));
    // gaps.csv: the month and due date of T1105, after its three units.
    let csv = read("gaps.csv");
    let row = csv.lines().find(|l| l.contains(",T1105,")).unwrap();
    assert!(row.contains(",2027-03-31,"), "{row}");
    assert!(row.contains(",5,onboard,2027-03,1;2;3,"), "{row}");
    let report: serde_json::Value = serde_json::from_str(&read("report.json")).unwrap();
    assert_eq!(report["schedule"]["months"].as_array().unwrap().len(), 12);
    assert_eq!(report["schedule"]["capacity"], 8.0);
    let summary = common::stderr(&o) + &common::stdout(&o);
    assert!(summary.contains("schedule: 6 gaps and 11 telemetry units, 66 points at 8 a month: 2026-11 to 2027-10 (12 months)"), "{summary}");
    // The same outputs twice: deterministic.
    let again = threatc(&["build", "model.yaml", "-o", "out2"], dir.path());
    assert_eq!(again.status.code(), Some(0));
    for f in [
        "plan.md",
        "plan.html",
        "gaps.csv",
        "report.json",
        "plan.xlsx",
    ] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(dir.path().join("out2").join(f)).unwrap(),
            "{f}"
        );
    }
}

/// The executive page follows the schedule: the urgent gaps' date is the last P1 gap's
/// month end (not assessed + the P1 days), each investment names the month the schedule
/// onboards it in, and plan.md's tier headings say "due by the schedule".
#[test]
fn the_executive_page_follows_the_schedule() {
    use threatc::emit::plan::executive::executive;
    let a = analysis("plan:\n  capacity: 8\n  effort: {telemetry: 4}\n");
    let p1: Vec<String> = a
        .gaps
        .iter()
        .filter(|g| g.tier == threatc::analysis::Tier::P1)
        .filter_map(|g| g.due.map(|d| d.to_string()))
        .collect();
    assert!(!p1.is_empty(), "the model has P1 gaps");
    let x = executive(&a, None);
    assert_eq!(x.headline.urgent_due, p1.iter().max().cloned());
    assert_ne!(x.headline.urgent_due.as_deref(), Some("2026-12-15"));
    assert!(!x.investments.is_empty());
    for i in &x.investments {
        let row = a.investments.iter().find(|r| r.rank == i.rank).unwrap();
        assert!(row.month.is_some());
        assert!(i.month >= row.month, "rank {}", i.rank);
    }
    let none = executive(&analysis(""), None);
    assert!(none.investments.iter().all(|i| i.month.is_none()));
    let files =
        threatc::emit::plan::render_plan_with_history(&a, InlineModel::catalog(), None, None)
            .unwrap();
    let md = files
        .iter()
        .find(|(n, _)| n == "plan.md")
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap();
    let due = x.headline.urgent_due.unwrap();
    assert!(
        md.contains(&format!("(the last due {due} on the schedule)")),
        "{md}"
    );
    assert!(
        md.contains("of the open risk; the schedule onboards it in 20"),
        "{md}"
    );
    assert!(!md.contains(": due in "), "{md}");
}
