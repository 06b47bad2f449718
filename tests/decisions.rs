//! Risk decisions (issue 16, point 1): accepted and transferred gaps leave the to-do
//! list but stay visible and are not covered; expired ones are warnings (errors under
//! `--deny expired-decisions`) and no longer remove the gap.

mod common;

use common::{codes, stdout, threatc, InlineModel};

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
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let expired = DECISIONS.replace("expiry: 2027-10-01", "expiry: 2026-11-01");
    std::fs::write(dir.path().join("model.yaml"), model(&expired)).unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("model.yaml"), model(DECISIONS)).unwrap();
    let out = threatc(&["build", "model.yaml", "-o", "out"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
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
