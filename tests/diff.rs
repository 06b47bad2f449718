//! `threatc diff`: coverage diffs between two versions of the financial example model,
//! from files, report.json and git history; regression exit codes; the SARIF and
//! GitHub renderings of `check`; and the CI workflow documented in README.

mod common;
use common::{copy_dir, git, replace_once, version_b};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_threatc");

fn repo_root() -> PathBuf {
    common::root()
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// A temp copy of models/financial as version A.
fn fixture() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("financial");
    copy_dir(&repo_root().join("models/financial"), &dir);
    (tmp, dir)
}

fn build(dir: &Path, model: &Path, out: &Path) -> Value {
    let o = run(
        dir,
        &[
            "build",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        o.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn covered(report: &Value) -> BTreeSet<String> {
    report["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["in_scope"] == true && t["covered"] == true)
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

fn row_ids(report: &Value) -> BTreeSet<String> {
    report["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

fn gap_ids(report: &Value) -> BTreeSet<String> {
    report["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["technique"].as_str().unwrap().to_string())
        .collect()
}

fn ids_of(v: &Value, key: &str, field: &str) -> BTreeSet<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap().to_string())
        .collect()
}

fn find<'a>(v: &'a Value, key: &str, field: &str, id: &str) -> &'a Value {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x[field] == id)
        .unwrap_or_else(|| panic!("{id} not in {key}"))
}

/// Builds A and B, returns (tempdir, dir, report A, report B, path of report A, path of model B).
struct Scenario {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    a: Value,
    b: Value,
    report_a: PathBuf,
    model_b: PathBuf,
}

fn scenario() -> Scenario {
    let (tmp, dir) = fixture();
    let model = dir.join("model.yaml");
    let a = build(&dir, &model, &tmp.path().join("out-a"));
    let text = std::fs::read_to_string(&model).unwrap();
    let model_b = dir.join("model-b.yaml");
    std::fs::write(&model_b, version_b(&text)).unwrap();
    let b = build(&dir, &model_b, &tmp.path().join("out-b"));
    Scenario {
        report_a: tmp.path().join("out-a/report.json"),
        _tmp: tmp,
        dir,
        a,
        b,
        model_b,
    }
}

fn diff_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let o = run(dir, &all);
    let code = o.status.code().unwrap();
    assert!(
        code <= 1,
        "diff failed ({code}): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (serde_json::from_slice(&o.stdout).unwrap(), code)
}

fn check_scenario_diff(s: &Scenario, d: &Value) {
    let (ca, cb) = (covered(&s.a), covered(&s.b));
    let rows_b = row_ids(&s.b);
    // Newly covered: covered in B and not in A, from the reports' rows.
    let want_new: BTreeSet<String> = cb.difference(&ca).cloned().collect();
    assert_eq!(ids_of(d, "newly_covered", "id"), want_new);
    // Newly uncovered: covered in A, a threat technique of B, not covered there.
    let want_lost: BTreeSet<String> = ca
        .iter()
        .filter(|t| rows_b.contains(*t) && !cb.contains(*t))
        .cloned()
        .collect();
    assert_eq!(ids_of(d, "newly_uncovered", "id"), want_lost);
    // Gaps that appeared or closed: set differences of the gap lists.
    let (ga, gb) = (gap_ids(&s.a), gap_ids(&s.b));
    assert_eq!(
        ids_of(d, "gaps_opened", "technique"),
        gb.difference(&ga).cloned().collect::<BTreeSet<_>>()
    );
    assert_eq!(
        ids_of(d, "gaps_closed", "technique"),
        ga.difference(&gb).cloned().collect::<BTreeSet<_>>()
    );

    // Hand-checked facts. NET-exfil-volume was the only rule on T1041 and T1048.003.
    for t in ["T1041", "T1048.003"] {
        let x = find(d, "newly_uncovered", "id", t);
        assert_eq!(x["rules"], serde_json::json!(["NET-exfil-volume"]), "{t}");
    }
    let x = find(d, "newly_covered", "id", "T1059.003");
    assert_eq!(x["rules"], serde_json::json!(["EDR-cmd-shell"]));
    assert_eq!(x["before"], "gap");
    assert!(!ids_of(d, "gaps_opened", "technique").contains("T1059.003"));
    assert!(ids_of(d, "gaps_closed", "technique").contains("T1059.003"));
    assert!(ids_of(d, "gaps_opened", "technique").contains("T1041"));
    // APT41's gaps that were not threat techniques in A are all new gaps.
    let apt41 = s.b["actors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "APT41")
        .unwrap();
    let rows_a = row_ids(&s.a);
    let fresh: Vec<&str> = apt41["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .filter(|g| !rows_a.contains(*g))
        .collect();
    assert!(!fresh.is_empty());
    for g in &fresh {
        let x = find(d, "gaps_opened", "technique", g);
        assert_eq!(x["reason"], "new threat technique");
    }
    let actor = find(d, "actors", "id", apt41["id"].as_str().unwrap());
    assert!(actor["before"].is_null());
    assert_eq!(actor["after"], apt41["coverage"]);
    // Rules.
    assert_eq!(
        ids_of(d, "rules_added", "id"),
        BTreeSet::from(["EDR-cmd-shell".to_string()])
    );
    assert!(d["rules_removed"].as_array().unwrap().is_empty());
    let ch = &d["rules_changed"].as_array().unwrap();
    assert_eq!(ch.len(), 1);
    assert_eq!(ch[0]["id"], "NET-exfil-volume");
    assert_eq!(ch[0]["status_before"], "production");
    assert_eq!(ch[0]["status_after"], "retired");
    // Figures and version.
    assert_eq!(d["version"], serde_json::json!(["2026.11", "2026.12"]));
    assert_eq!(d["coverage"]["before"], s.a["summary"]["coverage"]);
    assert_eq!(d["coverage"]["after"], s.b["summary"]["coverage"]);
    assert_eq!(
        d["weighted_coverage"]["after"],
        s.b["summary"]["weighted_coverage"]
    );
    assert!(d["release"].is_null());
    // Per actor: the same figures as the reports.
    for a in s.a["actors"].as_array().unwrap() {
        let x = find(d, "actors", "id", a["id"].as_str().unwrap());
        assert_eq!(x["before"], a["coverage"]);
        assert_eq!(
            x["after"],
            find(&s.b, "actors", "id", a["id"].as_str().unwrap())["coverage"]
        );
    }
}

#[test]
fn diff_of_two_models_and_of_report_against_model() {
    let s = scenario();
    let model_a = s.dir.join("model.yaml");
    let (d, code) = diff_json(
        &s.dir,
        &[model_a.to_str().unwrap(), s.model_b.to_str().unwrap()],
    );
    assert_eq!(code, 0, "no --fail-on-regression: exit 0");
    check_scenario_diff(&s, &d);
    // The base as a report.json of the earlier build gives the same diff.
    let (d2, _) = diff_json(
        &s.dir,
        &[s.report_a.to_str().unwrap(), s.model_b.to_str().unwrap()],
    );
    assert_eq!(d, d2);
}

#[test]
fn markdown_and_files() {
    let s = scenario();
    let out = s.dir.join("diff-out");
    let o = run(
        &s.dir,
        &[
            "diff",
            s.report_a.to_str().unwrap(),
            s.model_b.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(out.join("coverage-diff.md")).unwrap();
    assert!(md.starts_with("<!-- threatc-diff -->\n"));
    assert!(md.contains("2026.11 | 2026.12"));
    assert!(md.contains("### Newly uncovered techniques"));
    assert!(md.contains("| T1041 |"));
    assert!(md.contains("NET-exfil-volume"));
    assert!(md.contains("EDR-cmd-shell"));
    assert!(md.contains("APT41"));
    assert!(
        md.contains("**Coverage regression**"),
        "APT41 lowers overall coverage"
    );
    let js: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("coverage-diff.json")).unwrap())
            .unwrap();
    assert_eq!(js["diff_format"], 1);
    let layer: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("diff-layer.json")).unwrap())
            .unwrap();
    let colour = |id: &str| -> String {
        layer["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["techniqueID"] == id)
            .unwrap()["color"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(colour("T1059.003"), threatc::emit::diff::GAINED_COLOR);
    assert_eq!(colour("T1041"), threatc::emit::diff::LOST_COLOR);
    let legend: Vec<&str> = layer["legendItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["color"].as_str().unwrap())
        .collect();
    assert_eq!(legend.len(), 4);
    assert_eq!(
        legend.iter().collect::<BTreeSet<_>>().len(),
        4,
        "each state its own colour"
    );
    // README shows this very comment: keep it current.
    let docs = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(
        docs.contains(&md),
        "README.md's example comment is stale: paste the output of this scenario"
    );
    // Without --out, markdown on stdout, the same text.
    let o = run(
        &s.dir,
        &[
            "diff",
            s.report_a.to_str().unwrap(),
            s.model_b.to_str().unwrap(),
        ],
    );
    assert_eq!(String::from_utf8(o.stdout).unwrap(), md);
}

#[test]
fn fail_on_regression() {
    let s = scenario();
    let model_a = s.dir.join("model.yaml");
    // B lowers coverage (APT41, a retired rule): exit 1.
    let o = run(
        &s.dir,
        &[
            "diff",
            model_a.to_str().unwrap(),
            s.model_b.to_str().unwrap(),
            "--fail-on-regression",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Only a new rule: no regression, exit 0.
    let text = std::fs::read_to_string(&model_a).unwrap();
    let better = replace_once(
        &text,
        "rules:\n",
        "rules:\n  - id: EDR-cmd-shell\n    name: x\n    techniques: [T1059.003]\n    status: production\n",
    );
    let model_c = s.dir.join("model-c.yaml");
    std::fs::write(&model_c, better).unwrap();
    let o = run(
        &s.dir,
        &[
            "diff",
            model_a.to_str().unwrap(),
            model_c.to_str().unwrap(),
            "--fail-on-regression",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(
        &s.dir,
        &[
            "diff",
            model_a.to_str().unwrap(),
            model_a.to_str().unwrap(),
            "--fail-on-regression",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("No technique, gap or rule changed."));
    // The reverse (C → A) loses T1059.003: a regression.
    let o = run(
        &s.dir,
        &[
            "diff",
            model_c.to_str().unwrap(),
            model_a.to_str().unwrap(),
            "--fail-on-regression",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn diff_against_git_revision() {
    let s = scenario();
    let repo = s.dir.clone();
    std::fs::remove_file(&s.model_b).unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "A"]);
    let model = repo.join("model.yaml");
    let b_text = version_b(&std::fs::read_to_string(&model).unwrap());
    std::fs::write(&model, &b_text).unwrap();
    let status_before = git(&repo, &["status", "--porcelain"]);
    let (d, code) = diff_json(&repo, &["--git", "HEAD", "model.yaml"]);
    assert_eq!(code, 0);
    check_scenario_diff(&s, &d);
    // The work tree is as it was.
    assert_eq!(git(&repo, &["status", "--porcelain"]), status_before);
    assert_eq!(std::fs::read_to_string(&model).unwrap(), b_text);
    assert_eq!(git(&repo, &["worktree", "list"]).lines().count(), 1);
    // From a subfolder, with the path relative to it; and the regression exit code.
    let o = run(
        &repo.join("rules"),
        &[
            "diff",
            "--git",
            "HEAD",
            "../model.yaml",
            "--fail-on-regression",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    // Errors: unknown revision, not a repository.
    let o = run(&repo, &["diff", "--git", "no-such-rev", "model.yaml"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("diff-git"));
    // A model new in the change: an empty base, everything new, no regression.
    std::fs::write(repo.join("new.yaml"), &b_text).unwrap();
    let o = run(
        &repo,
        &[
            "diff",
            "--git",
            "HEAD",
            "new.yaml",
            "--fail-on-regression",
            "--out",
            "new-diff",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("no base: the model is new at `HEAD`"));
    let md = std::fs::read_to_string(repo.join("new-diff/coverage-diff.md")).unwrap();
    assert!(md.contains("No base: the model is new at `HEAD`"), "{md}");
    assert!(!md.contains("Coverage regression"), "{md}");
    let d: Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("new-diff/coverage-diff.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(d["no_base"], "HEAD");
    assert_eq!(d["regression"], false);
    assert_eq!(
        d["release"],
        Value::Null,
        "no release change against an empty base"
    );
    assert_eq!(d["covered"][0], 0);
    assert!(d["covered"][1].as_u64().unwrap() > 0);
    assert_eq!(
        d["newly_covered"].as_array().unwrap().len() as u64,
        d["covered"][1].as_u64().unwrap()
    );
    assert!(d["newly_uncovered"].as_array().unwrap().is_empty());
    // A folder where the model should be: an error.
    let o = run(&repo, &["diff", "--git", "HEAD", "rules"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a file"));
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(plain.path().join("m.yaml"), &b_text).unwrap();
    let o = run(plain.path(), &["diff", "--git", "HEAD", "m.yaml"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not in a git repository"));
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    let (tmp, dir) = fixture();
    let model = dir.join("model.yaml");
    let a = std::fs::read_to_string(&model).unwrap();
    let mut actors = String::from("actors:\n");
    for g in [
        "APT41",
        "APT28",
        "APT29",
        "Turla",
        "OilRig",
        "MuddyWater",
        "Kimsuky",
        "Wizard Spider",
        "menuPass",
        "APT32",
    ] {
        actors.push_str(&format!("  - group: {g}\n    weight: 1\n"));
    }
    let mut rules = String::from("rules:\n");
    for i in 0..1500 {
        rules.push_str(&format!(
            "  - id: BULK-{i:04}\n    name: A long rule name that makes every row of the rule table wide, number {i}\n    techniques: [T1059.003]\n    status: testing\n"
        ));
    }
    let big = replace_once(&replace_once(&a, "actors:\n", &actors), "rules:\n", &rules);
    let model_b = dir.join("big.yaml");
    std::fs::write(&model_b, big).unwrap();
    let o = run(
        &dir,
        &["diff", model.to_str().unwrap(), model_b.to_str().unwrap()],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(md.chars().count() < 60_000, "{} chars", md.chars().count());
    assert!(md.contains("<details>"));
    assert!(md.contains("**Truncated**"));
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    drop(tmp);
}

#[test]
fn user_text_is_escaped_in_markdown() {
    let (_tmp, dir) = fixture();
    let model = dir.join("model.yaml");
    let a = std::fs::read_to_string(&model).unwrap();
    let b = replace_once(
        &a,
        "rules:\n",
        "rules:\n  - id: EDR-cmd-shell\n    name: \"pipe | <script>alert(1)</script> *bold*\"\n    techniques: [T1059.003]\n    status: production\n",
    );
    let model_b = dir.join("b.yaml");
    std::fs::write(&model_b, b).unwrap();
    let o = run(
        &dir,
        &["diff", model.to_str().unwrap(), model_b.to_str().unwrap()],
    );
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(!md.contains("<script>"));
    assert!(md.contains("pipe \\| &lt;script&gt;"));
}

#[test]
fn bad_inputs_are_usage_errors() {
    let (_tmp, dir) = fixture();
    std::fs::write(dir.join("x.json"), "{\"a\": 1}").unwrap();
    let o = run(&dir, &["diff", "x.json", "model.yaml"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("diff-input"));
    let o = run(&dir, &["diff", "model.yaml"]);
    assert_eq!(o.status.code(), Some(3));
    let o = run(&dir, &["diff", "missing.yaml", "model.yaml"]);
    assert_eq!(o.status.code(), Some(3));
}

// ---- check --format sarif | github -------------------------------------------------

fn bad_model(dir: &Path) -> PathBuf {
    let p = dir.join("bad.yaml");
    std::fs::write(
        &p,
        "threatc: 1\nmodel:\n  name: bad\nactors:\n  - group: FIN7\nrules:\n  - id: R1\n    name: r\n    techniques: [T9999]\n    status: production\n  - id: R2\n    name: r2\n    techniques: [T1059.001]\n    status: sometimes\n",
    )
    .unwrap();
    p
}

#[test]
fn check_sarif_is_valid_sarif_2_1_0() {
    let tmp = tempfile::tempdir().unwrap();
    let p = bad_model(tmp.path());
    let o = run(
        tmp.path(),
        &["check", "--format", "sarif", p.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    // The official SARIF 2.1.0 schema (2.1.0-rtm.5, vendored: no network in tests).
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/data/sarif-2.1.0.schema.json")).unwrap(),
    )
    .unwrap();
    // The official schema's `language` patterns have a bare `]`, a literal in ECMAScript
    // regexes but an error for the validator's regex engine: escape it here, leaving the
    // vendored file as published.
    fn escape_bracket(v: &mut Value) -> usize {
        match v {
            Value::Object(m) => {
                let mut n = 0;
                for (k, x) in m.iter_mut() {
                    if k == "pattern" && x == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
                        *x = Value::from("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$");
                        n += 1;
                    } else {
                        n += escape_bracket(x);
                    }
                }
                n
            }
            Value::Array(a) => a.iter_mut().map(escape_bracket).sum(),
            _ => 0,
        }
    }
    assert!(escape_bracket(&mut schema) >= 1);
    let validator = jsonschema::validator_for(&schema).unwrap();
    // The schema does reject what is not SARIF (a run without a tool driver).
    assert!(!validator.is_valid(&serde_json::json!({"version": "2.1.0", "runs": [{"tool": {}}]})));
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert_eq!(r["level"], "error");
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("bad.yaml"));
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn check_github_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let p = bad_model(tmp.path());
    let o = run(
        tmp.path(),
        &["check", "--format", "github", p.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines.is_empty());
    for l in &lines {
        assert!(l.starts_with("::error file="), "{l}");
        let (props, msg) = l.trim_start_matches("::error ").split_once("::").unwrap();
        assert!(!msg.is_empty());
        let keys: Vec<&str> = props
            .split(',')
            .map(|kv| kv.split_once('=').unwrap().0)
            .collect();
        assert_eq!(&keys[..3], &["file", "line", "col"], "{l}");
        assert!(props.contains("bad.yaml"));
        let line: u32 = props
            .split(',')
            .find_map(|kv| kv.strip_prefix("line="))
            .unwrap()
            .parse()
            .unwrap();
        assert!(line >= 1);
    }
}

// ---- the CI workflow of README ------------------------------------------------------

/// Evaluates the small subset of GitHub expressions the workflow's `if:` uses.
fn condition(expr: &str, outputs: &std::collections::BTreeMap<String, (bool, String)>) -> bool {
    expr.split("&&").map(str::trim).all(|term| {
        if term == "always()" || term == "github.event_name == 'pull_request'" {
            return true;
        }
        let (lhs, op, rhs) = if let Some((l, r)) = term.split_once(" == ") {
            (l, true, r)
        } else if let Some((l, r)) = term.split_once(" != ") {
            (l, false, r)
        } else {
            panic!("unsupported condition `{term}`")
        };
        let rhs = rhs.trim_matches('\'');
        let parts: Vec<&str> = lhs.split('.').collect();
        let (ok, out) = outputs
            .get(parts[1])
            .cloned()
            .unwrap_or((false, String::new()));
        let value = match &parts[2..] {
            ["outcome"] => (if ok { "success" } else { "failure" }).to_string(),
            ["outputs", key] => out
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .unwrap_or("")
                .to_string(),
            _ => panic!("unsupported condition `{term}`"),
        };
        (value == rhs) == op
    })
}

#[test]
fn ci_workflow_runs_against_a_pull_request_repository() {
    let text = std::fs::read_to_string(repo_root().join("docs/threatc-workflow.yml")).unwrap();
    assert_eq!(
        text,
        std::fs::read_to_string(repo_root().join(".github/workflows/threatc.yml")).unwrap(),
        "docs/threatc-workflow.yml is the committed workflow"
    );
    // README shows the same workflow, copy-ready.
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(
        readme.contains(text.trim_end()),
        "README's GitHub Actions workflow differs from docs/threatc-workflow.yml"
    );
    let wf: Value = serde_saphyr::from_str(&text).unwrap();
    assert!(wf["on"].get("pull_request").is_some());
    assert_eq!(wf["permissions"]["pull-requests"], "write");
    assert_eq!(wf["permissions"]["security-events"], "write");
    let model = wf["env"]["MODEL"].as_str().unwrap().to_string();
    let steps = wf["jobs"]["threatc"]["steps"].as_array().unwrap();
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(uses.iter().any(|u| u.starts_with("actions/checkout@")));
    assert_eq!(steps[0]["with"]["fetch-depth"], 0);
    assert!(uses
        .iter()
        .any(|u| u.starts_with("github/codeql-action/upload-sarif@")));
    assert!(uses
        .iter()
        .any(|u| u.starts_with("actions/upload-artifact@")));
    let script = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/github-script@"))
        })
        .unwrap()["with"]["script"]
        .as_str()
        .unwrap();
    assert!(
        script.contains("<!-- threatc-diff -->")
            && script.contains("updateComment")
            && script.contains("diff/coverage-diff.md")
    );
    assert!(text.contains("threatc diff --git \"origin/${{ github.base_ref }}\" \"$MODEL\" --out diff --fail-on-regression"));

    // A repository like the user's: the model committed on main (origin/main), changed
    // in the pull request (version B lowers coverage).
    let (tmp, fin) = fixture();
    let repo = tmp.path().join("repo");
    copy_dir(&fin, &repo.join("models/financial"));
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    git(&repo, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    let m = repo.join(&model);
    std::fs::write(&m, version_b(&std::fs::read_to_string(&m).unwrap())).unwrap();
    let runner_temp = tmp.path().join("runner");
    std::fs::create_dir_all(&runner_temp).unwrap();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let mut outputs = std::collections::BTreeMap::new();
    let mut ran = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let Some(run_text) = step["run"].as_str() else {
            continue;
        };
        if run_text.contains("cargo install") {
            continue; // the test's own build stands in for it
        }
        if let Some(cond) = step["if"].as_str() {
            if !condition(cond, &outputs) {
                continue;
            }
        }
        let id = step["id"]
            .as_str()
            .map(str::to_string)
            .unwrap_or(format!("step{i}"));
        let out_file = runner_temp.join(format!("output-{i}"));
        std::fs::write(&out_file, "").unwrap();
        let script = run_text.replace("${{ github.base_ref }}", "main");
        let o = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .current_dir(&repo)
            .env("PATH", &path)
            .env("MODEL", &model)
            .env("RUNNER_TEMP", &runner_temp)
            .env("GITHUB_OUTPUT", &out_file)
            .env("GITHUB_STEP_SUMMARY", runner_temp.join("summary.md"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let name = step["name"].as_str().unwrap_or("").to_string();
        outputs.insert(
            id,
            (
                o.status.success(),
                std::fs::read_to_string(&out_file).unwrap(),
            ),
        );
        ran.push((
            name,
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        ));
    }
    let status = |n: &str| {
        ran.iter()
            .find(|r| r.0 == n)
            .unwrap_or_else(|| panic!("step `{n}` did not run: {ran:#?}"))
            .1
    };
    assert_eq!(
        status("Check the model (SARIF for code scanning)"),
        Some(0),
        "{ran:#?}"
    );
    assert!(ran.iter().all(|r| r.0 != "Fail on an invalid model"));
    assert_eq!(status("Build the head"), Some(0), "{ran:#?}");
    assert!(
        steps.iter().all(|s| s["name"] != "Build the base"),
        "`threatc diff --git` builds the base itself"
    );
    assert_eq!(status("Coverage diff"), Some(0), "{ran:#?}");
    assert_eq!(
        status("Fail on a coverage regression"),
        Some(1),
        "the regression fails the job"
    );
    assert_eq!(outputs["diff"].1.trim(), "code=1");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("threatc.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(repo.join("out/head/report.json").exists());
    assert!(repo.join("diff/diff-layer.json").exists());
    let md = std::fs::read_to_string(repo.join("diff/coverage-diff.md")).unwrap();
    assert!(md.starts_with("<!-- threatc-diff -->"));
    assert_eq!(
        std::fs::read_to_string(runner_temp.join("summary.md")).unwrap(),
        md
    );
    assert_eq!(
        git(&repo, &["worktree", "list"]).lines().count(),
        1,
        "the base worktree is removed"
    );
}

#[test]
fn attack_release_changes_are_listed_apart() {
    let (tmp, dir) = fixture();
    let a = build(&dir, &dir.join("model.yaml"), &tmp.path().join("out-a"));
    // The head as if built against another release: one covered technique gone (revoked),
    // one renamed, one new (and uncovered).
    let mut b = a.clone();
    b["attack"]["release"] = Value::from("19.0");
    let rows = b["techniques"].as_array_mut().unwrap();
    let gone = rows.iter().position(|t| t["id"] == "T1041").unwrap();
    rows.remove(gone);
    let renamed = rows.iter_mut().find(|t| t["id"] == "T1059.001").unwrap();
    renamed["name"] = Value::from("Command and Scripting Interpreter: PowerShell (renamed)");
    let mut new = rows
        .iter()
        .find(|t| t["id"] == "T1059.003")
        .unwrap()
        .clone();
    new["id"] = Value::from("T1999");
    rows.push(new);
    let pa = tmp.path().join("a.json");
    let pb = tmp.path().join("b.json");
    std::fs::write(&pa, serde_json::to_string(&a).unwrap()).unwrap();
    std::fs::write(&pb, serde_json::to_string(&b).unwrap()).unwrap();
    let (d, _) = diff_json(&dir, &[pa.to_str().unwrap(), pb.to_str().unwrap()]);
    let rc = &d["release"];
    assert_eq!(rc["before"], "18.1");
    assert_eq!(rc["after"], "19.0");
    assert_eq!(
        rc["gone"],
        serde_json::json!([["T1041", "Exfiltration Over C2 Channel", true]])
    );
    assert_eq!(rc["renamed"].as_array().unwrap().len(), 1);
    assert_eq!(rc["renamed"][0][0], "T1059.001");
    assert_eq!(rc["new"][0][0], "T1999");
    // None of them is a coverage change.
    assert!(d["newly_uncovered"].as_array().unwrap().is_empty());
    assert!(d["newly_covered"].as_array().unwrap().is_empty());
    assert!(d["gaps_opened"].as_array().unwrap().is_empty());
    let md = run(&dir, &["diff", pa.to_str().unwrap(), pb.to_str().unwrap()]).stdout;
    let md = String::from_utf8(md).unwrap();
    assert!(md.contains("### ATT&amp;CK release 18.1 → 19.0"));
    assert!(md.contains("| T1041 | gone (revoked, deprecated or moved), was covered |"));
}

#[test]
fn broken_target_comes_first_and_is_a_regression() {
    let (tmp, dir) = fixture();
    let a = build(&dir, &dir.join("model.yaml"), &tmp.path().join("out-a"));
    // Base: the second target met; head: the same report with it unmet.
    let mut base = a.clone();
    let t = &mut base["targets"][1];
    t["met"] = Value::from(true);
    t["current"] = Value::from(0.6);
    let pa = tmp.path().join("a.json");
    let pb = tmp.path().join("out-a/report.json");
    std::fs::write(&pa, serde_json::to_string(&base).unwrap()).unwrap();
    let (d, code) = diff_json(
        &dir,
        &[
            pa.to_str().unwrap(),
            pb.to_str().unwrap(),
            "--fail-on-regression",
        ],
    );
    assert_eq!(code, 1);
    let id = a["targets"][1]["id"].as_str().unwrap();
    assert_eq!(
        d["targets"][0]["id"], id,
        "the broken target is listed first"
    );
    assert_eq!(d["targets"][0]["broke"], true);
    assert_eq!(d["targets"][1]["broke"], false);
    assert!(d["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r.as_str().unwrap().contains("went from met to unmet")));
    let md =
        String::from_utf8(run(&dir, &["diff", pa.to_str().unwrap(), pb.to_str().unwrap()]).stdout)
            .unwrap();
    let first_row = md
        .lines()
        .find(|l| {
            l.starts_with("| ") && l.contains(" → ") && l.contains('%') && !l.contains("Coverage")
        })
        .unwrap();
    assert!(
        first_row.starts_with(&format!("| ⚠️ {id} |")),
        "{first_row}"
    );
    assert!(first_row.ends_with("met → **unmet** |"), "{first_row}");
}
