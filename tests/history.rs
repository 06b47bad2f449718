//! `threatc history`: the model built at past revisions of its repository, one point per
//! commit that changed it, with the figures `threatc build` gives at that revision; a
//! broken revision is a failed point; the work tree is never touched; commit subjects
//! and ref names are escaped in trend.csv and trend.svg.

mod common;

use common::{assert_well_formed_xml, copy_dir, git, root, snapshot, stderr, threatc, threatc_ok};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// A commit with fixed dates (so that the points' dates are known).
fn commit(repo: &Path, day: &str, message: &str) {
    let date = format!("{day}T12:00:00+00:00");
    let o = Command::new("git")
        .current_dir(repo)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "-a",
            "-m",
            message,
        ])
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `threatc build --format json` of the work tree's model: its summary.
fn built_summary(repo: &Path) -> Value {
    let o = threatc_ok(
        &[
            "build",
            "m/model.yaml",
            "--out",
            "../built",
            "--format",
            "json",
        ],
        repo,
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["summary"].clone()
}

/// `threatc build` of the work tree's model into `../plan` with `--history
/// ../trend/trend.csv` (both beside the repository): its plan.md and plan.html.
fn plan_with_history(repo: &Path) -> (String, String) {
    threatc_ok(
        &[
            "build",
            "m/model.yaml",
            "--out",
            "../plan",
            "--history",
            "../trend/trend.csv",
        ],
        repo,
    );
    let plan = repo.join("../plan");
    let read = |f: &str| std::fs::read_to_string(plan.join(f)).unwrap();
    (read("plan.md"), read("plan.html"))
}

fn read_rows(csv: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn replace(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn one_point_per_change_with_the_figures_of_a_build() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    copy_dir(&root().join("models/financial"), &repo.join("m"));
    std::fs::write(repo.join("README.md"), "notes\n").unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    commit(&repo, "2026-01-05", "first model");
    let mut expected = vec![built_summary(&repo)];

    // A rule retired in the model itself.
    let model = repo.join("m/model.yaml");
    replace(
        &model,
        "    techniques: [T1041, T1048.003]\n    status: production\n",
        "    techniques: [T1041, T1048.003]\n    status: retired\n",
    );
    commit(&repo, "2026-01-12", "retire the exfiltration rule");
    expected.push(built_summary(&repo));

    // A commit that touches nothing the model reads: no point.
    std::fs::write(repo.join("README.md"), "more notes\n").unwrap();
    commit(&repo, "2026-01-13", "notes");

    // A rule dropped from an included file.
    replace(
        &repo.join("m/rules/endpoint.yaml"),
        "  - id: EDR-ps-encoded\n",
        "  - id: EDR-ps-encoded\n    status: retired\n",
    );
    commit(&repo, "2026-02-02", "retire the PowerShell rule");
    expected.push(built_summary(&repo));

    let status_before = git(&repo, &["status", "--porcelain", "--ignored"]);
    // Every file, `.git` included (git status above refreshed the index first).
    let before = snapshot(&repo);
    threatc_ok(&["history", "m/model.yaml", "--out", "../trend"], &repo);
    // The work tree and the index are as they were.
    assert_eq!(snapshot(&repo), before);
    assert_eq!(
        git(&repo, &["status", "--porcelain", "--ignored"]),
        status_before
    );

    let csv = std::fs::read_to_string(tmp.path().join("trend/trend.csv")).unwrap();
    let rows = read_rows(&csv);
    assert_eq!(rows.len(), 3, "{csv}");
    let dates: Vec<&str> = rows.iter().map(|r| r["date"].as_str()).collect();
    assert_eq!(dates, ["2026-01-05", "2026-01-12", "2026-02-02"]);
    for (r, s) in rows.iter().zip(&expected) {
        assert_eq!(r["status"], "ok");
        for k in [
            "coverage",
            "weighted_coverage",
            "pair_coverage",
            "pair_validated",
        ] {
            let got: f64 = r[k].parse().unwrap();
            let want = s[k].as_f64().unwrap();
            assert!((got - want).abs() < 1e-4, "{k}: {got} vs {want}");
        }
        for k in ["in_scope", "covered", "gaps", "rules_counting"] {
            assert_eq!(r[k], s[k].to_string(), "{k}");
        }
        assert_eq!(r["gaps_p1"], s["gaps_by_tier"]["P1"].to_string());
    }
    // Each retirement lowered coverage.
    let cov: Vec<f64> = rows
        .iter()
        .map(|r| r["coverage"].parse().unwrap())
        .collect();
    // The PowerShell rule's technique is already not detected on the workstations (a
    // failed purple-team test), so its retirement moves the pair figure, not the
    // per-technique one.
    let pairs: Vec<f64> = rows
        .iter()
        .map(|r| r["pair_coverage"].parse().unwrap())
        .collect();
    assert!(cov[0] > cov[1] && cov[1] >= cov[2], "{cov:?}");
    assert!(pairs[0] > pairs[1] && pairs[1] > pairs[2], "{pairs:?}");
    assert!(rows[0].contains_key("actor:fin7") && rows[0].contains_key("asset:swift-servers"));
    assert_eq!(rows[2]["subject"], "retire the PowerShell rule");

    // Deterministic: a second run writes the same bytes.
    threatc_ok(&["history", "m/model.yaml", "--out", "../trend2"], &repo);
    assert_eq!(
        std::fs::read(tmp.path().join("trend2/trend.csv")).unwrap(),
        csv.as_bytes()
    );
    assert_eq!(
        std::fs::read(tmp.path().join("trend2/trend.svg")).unwrap(),
        std::fs::read(tmp.path().join("trend/trend.svg")).unwrap()
    );

    // --every month: the last commit of January (the README commit) and of February.
    threatc_ok(
        &[
            "history",
            "m/model.yaml",
            "--out",
            "../monthly",
            "--every",
            "month",
        ],
        &repo,
    );
    let monthly =
        read_rows(&std::fs::read_to_string(tmp.path().join("monthly/trend.csv")).unwrap());
    let subjects: Vec<&str> = monthly.iter().map(|r| r["subject"].as_str()).collect();
    assert_eq!(subjects, ["notes", "retire the PowerShell rule"]);

    // --since and --max pick the newest.
    threatc_ok(
        &[
            "history",
            "m/model.yaml",
            "--out",
            "../late",
            "--since",
            "2026-01-10",
            "--max",
            "1",
        ],
        &repo,
    );
    let late = read_rows(&std::fs::read_to_string(tmp.path().join("late/trend.csv")).unwrap());
    assert_eq!(late.len(), 1);
    assert_eq!(late[0]["date"], "2026-02-02");

    // The plan's "Coverage over time" section, from the history file.
    let (md, html) = plan_with_history(&repo);
    let at = md.find("## Coverage over time").expect("the section");
    assert!(at < md.find("## Coverage by actor").unwrap());
    for (r, line) in rows.iter().zip(md.get(at..).unwrap().lines().skip(6)) {
        assert!(
            line.starts_with(&format!("| {} | {} |", r["date"], &r["commit"][..12])),
            "{line}"
        );
    }
    assert!(
        md.contains("3 revisions from 2026-01-05 to 2026-02-02"),
        "{md}"
    );
    assert!(html.contains("<h2 id=\"history\">Coverage over time</h2>"));
    assert!(html.contains("class=\"trend\" role=\"img\""));
    // Without --history there is no such section.
    let built = std::fs::read_to_string(tmp.path().join("built/plan.md")).unwrap();
    assert!(!built.contains("Coverage over time"));

    // A file that is not a trend.csv: history-input at its line, nothing built.
    let bad = csv.replacen(",ok,", ",maybe,", 1);
    std::fs::write(tmp.path().join("bad.csv"), bad).unwrap();
    let o = threatc(
        &[
            "build",
            "m/model.yaml",
            "--out",
            "../plan2",
            "--history",
            "../bad.csv",
        ],
        &repo,
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("history-input"), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.csv:2:"), "{}", stderr(&o));
    assert!(!tmp.path().join("plan2").exists());

    let o = threatc(&["history", "m/model.yaml", "--since", "2026-02-30"], &repo);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("history-input"), "{}", stderr(&o));
}

#[test]
fn a_broken_revision_is_a_failed_point_and_hostile_text_is_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    copy_dir(&root().join("models/financial"), &repo.join("m"));
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    let hostile = "=HYPERLINK(\"http://evil.example\") <script>alert(1)</script> & \u{1} \u{202E}";
    commit(&repo, "2026-03-01", hostile);
    let model = repo.join("m/model.yaml");
    let good = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, good.replace("actors:\n", "actors: [\n")).unwrap();
    commit(&repo, "2026-03-02", "broken");
    std::fs::write(&model, &good).unwrap();
    commit(&repo, "2026-03-03", "+fixed");
    git(&repo, &["branch", "evil\"<svg>&x"]);

    threatc_ok(
        &[
            "history",
            "m/model.yaml",
            "--out",
            "../trend",
            "--rev",
            "evil\"<svg>&x",
        ],
        &repo,
    );
    let csv = std::fs::read_to_string(tmp.path().join("trend/trend.csv")).unwrap();
    let r = read_rows(&csv);
    assert_eq!(r.len(), 3, "{csv}");
    assert_eq!(r[1]["status"], "failed");
    assert_eq!(r[1]["code"], "yaml-syntax", "{csv}");
    assert_eq!(r[1]["coverage"], "");
    assert_eq!(r[0]["status"], "ok");
    assert_eq!(r[2]["status"], "ok");
    // No cell a spreadsheet would run as a formula.
    assert!(r[0]["subject"].starts_with("'=HYPERLINK"), "{csv}");
    assert_eq!(r[2]["subject"], "'+fixed");
    assert!(!csv.contains("evil\"<svg>"));

    let svg = std::fs::read_to_string(tmp.path().join("trend/trend.svg")).unwrap();
    assert!(!svg.contains("<script"));
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp;"));
    assert!(!svg.contains('\u{202E}'));
    assert!(!svg.contains("<svg>"));
    assert!(svg.contains("failed to build (yaml-syntax)"));
    assert_well_formed_xml(&svg);

    // In the plan: escaped for Markdown and HTML.
    let (md, html) = plan_with_history(&repo);
    assert!(!md.contains("<script"));
    assert!(md.contains("failed: yaml-syntax"), "{md}");
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains('\u{202E}'));
    assert!(html.contains("failed to build: <code>yaml-syntax</code>"));
}

#[test]
fn outside_a_repository_or_before_the_model_it_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&root().join("models/financial"), &tmp.path().join("m"));
    let o = threatc(&["history", "m/model.yaml"], tmp.path());
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("diff-git"), "{}", stderr(&o));
    // A repository whose only commit does not hold the model: nothing to build.
    std::fs::write(tmp.path().join("x.txt"), "x").unwrap();
    git(tmp.path(), &["init", "-q"]);
    git(tmp.path(), &["add", "x.txt"]);
    commit(tmp.path(), "2026-03-01", "x");
    let o = threatc(&["history", "m/model.yaml"], tmp.path());
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("history-input"), "{}", stderr(&o));
}
