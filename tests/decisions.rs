//! Risk decisions (issue 16, point 1): accepted and transferred gaps leave the to-do
//! list but stay visible and are not covered; expired ones are warnings (errors under
//! `--deny expired-decisions`) and no longer remove the gap.

mod common;

use common::{codes, repo_with, stdout, threatc, threatc_ok, InlineModel};

/// One actor with four techniques on two assets, one rule; `decisions` spliced in.
fn model(decisions: &str) -> String {
    format!(
        r#"threatc: 1
model:
  name: dec
  assessed: 2026-11-15
actors:
  - id: x
    techniques: [T1059.001, T1189, T1105, T1078]
assets:
  - id: ws
    platforms: [Windows]
  - id: lnx
    platforms: [Linux]
rules:
  - id: PS-1
    techniques: [T1059.001]
{decisions}
"#
    )
}

const DECISIONS: &str = r#"decisions:
  - technique: T1189
    decision: accept
    owner: ciso
    approver: board
    reason: browser isolation
    date: 2026-10-01
    expiry: 2027-10-01
  - technique: T1105
    decision: transfer
    owner: it
    reason: managed proxy provider
    expiry: 2027-01-01
  - technique: T1078
    decision: mitigate
    mitigations: [M1032]
"#;

fn gap_ids(a: &threatc::analysis::Analysis) -> Vec<&str> {
    a.gaps.iter().map(|g| g.technique.as_str()).collect()
}

#[test]
fn accepted_and_transferred_gaps_leave_the_list_but_not_the_coverage() {
    let before = InlineModel::new(&[("model.yaml", &model(""))]).analysis();
    let after = InlineModel::new(&[("model.yaml", &model(DECISIONS))]).analysis();
    assert_eq!(gap_ids(&before).len(), 3);
    assert!(gap_ids(&before).contains(&"T1189"));
    // Off the to-do list, re-ranked from 1 …
    assert_eq!(gap_ids(&after), vec!["T1078"]);
    assert_eq!(after.gaps[0].rank, 1);
    // … into their own table, with the decision.
    let accepted: Vec<(&str, &str)> = after
        .accepted
        .iter()
        .map(|g| {
            (
                g.technique.as_str(),
                g.decision.as_ref().unwrap().decision.as_str(),
            )
        })
        .collect();
    assert_eq!(accepted.len(), 2);
    assert!(accepted.contains(&("T1189", "accept")));
    assert!(accepted.contains(&("T1105", "transfer")));
    assert_eq!((after.summary.accepted, after.summary.transferred), (1, 1));
    // Coverage is honest: an accepted technique is not covered.
    assert_eq!(before.summary.covered, after.summary.covered);
    assert_eq!(before.summary.coverage, after.summary.coverage);
    assert_eq!(after.summary.gaps, 1);
    // The mitigate decision stays on its gap.
    let d = after.gaps[0].decision.as_ref().unwrap();
    assert_eq!(d.mitigations, vec!["M1032".to_string()]);
}

#[test]
fn an_accept_on_some_assets_only_keeps_the_gap() {
    let partial = DECISIONS.replace(
        "reason: browser isolation",
        "reason: browser isolation\n    assets: [ws]",
    );
    let a = InlineModel::new(&[("model.yaml", &model(&partial))]).analysis();
    assert!(gap_ids(&a).contains(&"T1189"));
    let both = partial.replace("assets: [ws]", "assets: [ws, lnx]");
    let a = InlineModel::new(&[("model.yaml", &model(&both))]).analysis();
    assert!(!gap_ids(&a).contains(&"T1189"));
}

#[test]
fn an_expired_accept_warns_and_keeps_the_gap() {
    let expired = DECISIONS.replace("expiry: 2027-10-01", "expiry: 2026-11-01");
    let mut m = InlineModel::new(&[("model.yaml", &model(&expired))]);
    let (_, warnings) = m.resolve().unwrap_or_else(|_| panic!("resolves"));
    assert!(codes(&warnings).contains(&"decision-expired"));
    let a = m.analysis();
    assert!(gap_ids(&a).contains(&"T1189"));
    let g = a.gaps.iter().find(|g| g.technique == "T1189").unwrap();
    assert!(g.decision.as_ref().unwrap().expired);
    assert_eq!(a.summary.accepted, 0);
}

#[test]
fn deny_expired_decisions_fails_check_and_build_with_exit_2() {
    let expired = DECISIONS.replace("expiry: 2027-10-01", "expiry: 2026-11-01");
    let dir = repo_with(&[("model.yaml", &model(&expired))]);
    let ok = threatc(&["check", "model.yaml"], dir.path());
    assert_eq!(ok.status.code(), Some(0));
    for cmd in [
        vec!["check", "--deny", "expired-decisions", "model.yaml"],
        vec![
            "build",
            "--deny",
            "expired-decisions",
            "model.yaml",
            "-o",
            "out",
        ],
    ] {
        let out = threatc(&cmd, dir.path());
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        assert!(common::stderr(&out).contains("decision-expired"), "{cmd:?}");
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn the_build_summary_and_tables_count_them_apart() {
    let dir = repo_with(&[("model.yaml", &model(DECISIONS))]);
    let out = threatc_ok(&["build", "model.yaml", "-o", "out"], dir.path());
    let summary = common::stderr(&out) + &stdout(&out);
    assert!(
        summary.contains("; 1 gap accepted, 1 transferred"),
        "{summary}"
    );
    let md = std::fs::read_to_string(dir.path().join("out/gaps.md")).unwrap();
    let table = md
        .split("## Accepted and transferred risks")
        .nth(1)
        .unwrap();
    assert!(table.contains("T1189") && table.contains("browser isolation"));
    assert!(!md.split("## Accepted").next().unwrap().contains("[T1189]"));
    let plan = std::fs::read_to_string(dir.path().join("out/plan.md")).unwrap();
    assert!(plan.contains("## Accepted and transferred risks"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/gaps.json")).unwrap())
            .unwrap();
    assert_eq!(json["accepted"].as_array().unwrap().len(), 2);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(report["summary"]["accepted"], 1);
    assert_eq!(report["decisions"].as_array().unwrap().len(), 3);
}

/// The head side of the diff tests: T1189's accept expired, T1105's transfer has a new
/// owner, T1078 turned from mitigate to accept, and a new accept of T1059.001 on `lnx`.
const HEAD_DECISIONS: &str = r#"decisions:
  - technique: T1189
    decision: accept
    owner: ciso
    approver: board
    reason: browser isolation
    date: 2026-10-01
    expiry: 2026-11-01
  - technique: T1105
    decision: transfer
    owner: "@cfo"
    reason: managed proxy provider
    expiry: 2027-01-01
  - technique: T1078
    decision: accept
    owner: iam
    reason: MFA everywhere
    expiry: 2027-03-01
  - technique: T1059.001
    assets: [lnx]
    decision: accept
    owner: linux-team
    reason: no PowerShell on Linux hosts
    expiry: 2027-03-01
"#;

fn diff_input(a: &threatc::analysis::Analysis) -> threatc::diff::DiffInput {
    threatc::diff::DiffInput::from_analysis(a).unwrap()
}

#[test]
fn the_diff_shows_decisions_added_changed_expired_and_removed() {
    let base = InlineModel::new(&[("model.yaml", &model(DECISIONS))]).analysis();
    let head = InlineModel::new(&[("model.yaml", &model(HEAD_DECISIONS))]).analysis();
    let d = threatc::diff::diff(&diff_input(&base), &diff_input(&head));
    let changes = d.decisions.as_ref().expect("both sides record decisions");
    let got: Vec<(&str, &str, Vec<&str>)> = changes
        .iter()
        .map(|c| (c.technique.as_str(), c.change, c.fields.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("T1189", "expired", vec!["expiry"]),
            ("T1059.001", "added", vec![]),
            (
                "T1078",
                "changed",
                vec!["decision", "owner", "expiry", "mitigations"]
            ),
            ("T1105", "changed", vec!["owner"]),
        ]
    );
    assert_eq!(changes[1].assets, ["lnx"]);
    // The gaps moved by decisions say why, not "new threat technique".
    let opened: Vec<(&str, &str)> = d
        .gaps_opened
        .iter()
        .map(|g| (g.technique.as_str(), g.reason.as_str()))
        .collect();
    assert_eq!(opened, [("T1189", "decision expired")]);
    let closed: Vec<(&str, &str)> = d
        .gaps_closed
        .iter()
        .map(|g| (g.technique.as_str(), g.reason.as_str()))
        .collect();
    assert_eq!(closed, [("T1078", "accepted")]);
    // The Markdown comment: one row each, changes as before → after, mentions defused.
    let md = threatc::emit::diff::markdown(&d);
    let section = md
        .split("### Decisions (4)")
        .nth(1)
        .expect("a Decisions section");
    assert!(section.contains("| T1189 | Drive-by Compromise | all | expired ⚠️ | accept | ciso | 2027-10-01 → 2026-11-01 (expired) |"), "{section}");
    assert!(section.contains("| T1059.001 | Command and Scripting Interpreter: PowerShell | lnx | added | accept | linux-team | 2027-03-01 |"), "{section}");
    assert!(
        section.contains("| changed | mitigate M1032 → accept | — → iam | — → 2027-03-01 |"),
        "{section}"
    );
    assert!(section.contains("| it → `@cfo` |"), "{section}");
    // The JSON has them too; the reverse diff removes what was added.
    let json: serde_json::Value = serde_json::from_str(&threatc::emit::diff::json(&d)).unwrap();
    assert_eq!(json["decisions"].as_array().unwrap().len(), 4);
    assert_eq!(json["decisions"][0]["after"]["expired"], true);
    let back = threatc::diff::diff(&diff_input(&head), &diff_input(&base));
    let removed: Vec<String> = back
        .decisions
        .unwrap()
        .into_iter()
        .filter(|c| c.change == "removed")
        .map(|c| c.technique)
        .collect();
    assert_eq!(removed, ["T1059.001"]);
}

#[test]
fn an_old_report_without_decisions_diffs_without_the_section() {
    let base = InlineModel::new(&[("model.yaml", &model(DECISIONS))]).analysis();
    let head = InlineModel::new(&[("model.yaml", &model(HEAD_DECISIONS))]).analysis();
    // A report.json written before decisions: no summary.accepted, no decisions.
    let mut old = serde_json::to_value(&base).unwrap();
    old["summary"].as_object_mut().unwrap().remove("accepted");
    old["summary"]
        .as_object_mut()
        .unwrap()
        .remove("transferred");
    old.as_object_mut().unwrap().remove("decisions");
    old.as_object_mut().unwrap().remove("accepted");
    let old = threatc::diff::DiffInput::from_value(old).unwrap();
    for d in [
        threatc::diff::diff(&old, &diff_input(&head)),
        threatc::diff::diff(&diff_input(&head), &old),
    ] {
        assert!(d.decisions.is_none());
        assert!(!threatc::emit::diff::markdown(&d).contains("### Decisions"));
        let json: serde_json::Value = serde_json::from_str(&threatc::emit::diff::json(&d)).unwrap();
        assert!(json.get("decisions").is_none());
    }
    // Both sides with decisions and none changed: an empty list, no section.
    let same = threatc::diff::diff(&diff_input(&base), &diff_input(&base));
    assert_eq!(same.decisions.as_deref(), Some(&[][..]));
    assert!(!threatc::emit::diff::markdown(&same).contains("### Decisions"));
}

#[test]
#[cfg(feature = "xlsx")]
fn gaps_csv_and_plan_xlsx_carry_the_decision_columns() {
    let expired = DECISIONS.replace("expiry: 2027-10-01", "expiry: 2026-11-01");
    let a = InlineModel::new(&[("model.yaml", &model(&expired))]).analysis();
    let csv = threatc::emit::tables::gaps_csv(&a);
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for r in rows.records() {
        let r = r.unwrap();
        seen.insert(
            r[col("technique")].to_string(),
            [
                r[col("decision")].to_string(),
                r[col("decision_owner")].to_string(),
                r[col("decision_expiry")].to_string(),
                r[col("decision_expired")].to_string(),
            ],
        );
    }
    // The expired accept is back on the list with its decision; mitigate shows its
    // mitigations; a gap without a decision has empty cells.
    assert_eq!(seen["T1189"], ["accept", "ciso", "2026-11-01", "true"]);
    assert_eq!(seen["T1078"], ["mitigate M1032", "", "", ""]);
    assert!(
        !seen.contains_key("T1105"),
        "the transfer holds: off the list"
    );
    // plan.xlsx: the Gaps sheet has the same columns, and a Decisions sheet lists all three.
    let xlsx = threatc::emit::plan::plan_xlsx(&a).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut strings = String::new();
    for part in ["xl/sharedStrings.xml", "xl/workbook.xml"] {
        std::io::Read::read_to_string(&mut zip.by_name(part).unwrap(), &mut strings).unwrap();
    }
    for s in [
        "decision_owner",
        "decision_expiry",
        "Decisions",
        "off the list",
        "on the list",
        "mitigate M1032",
    ] {
        assert!(strings.contains(s), "{s} not in plan.xlsx");
    }
}
