//! Coverage targets: a share that is likely not the one meant is warned about
//! (`coverage-ambiguous`), and each unmet target is a `target-unmet` warning at its
//! `coverage:` line in check and build, so that `--fail-under-targets --format github`
//! annotates why the job fails.

mod common;
use common::*;

fn model(dir: &std::path::Path, first: &str, second: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("models/financial/model.yaml")).unwrap();
    let text = replace_once(&text, "coverage: 80%", &format!("coverage: {first}"));
    let text = replace_once(&text, "coverage: 0.5", &format!("coverage: {second}"));
    copy_dir(&root().join("models/financial"), dir);
    let p = dir.join("model.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn ambiguous_shares_are_warned() {
    let tmp = tempfile::tempdir().unwrap();
    model(tmp.path(), "0.8%", "1");
    let o = threatc(&["check", "--format", "json", "model.yaml"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let amb: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "coverage-ambiguous")
        .collect();
    assert_eq!(amb.len(), 2, "{v:#}");
    assert_eq!(amb[0]["severity"], "warning");
    assert!(amb[0]["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `80%`"));
    assert!(amb[1]["message"].as_str().unwrap().contains("means 100%"));

    // Plain shares are not.
    let tmp = tempfile::tempdir().unwrap();
    model(tmp.path(), "80%", "1.0");
    let o = threatc(&["check", "--format", "json", "model.yaml"], tmp.path());
    assert!(!stdout(&o).contains("coverage-ambiguous"), "{}", stdout(&o));
}

#[test]
fn unmet_targets_are_annotated() {
    let tmp = tempfile::tempdir().unwrap();
    model(tmp.path(), "80%", "0.5");
    let o = threatc(
        &[
            "build",
            "model.yaml",
            "--out",
            "out",
            "--fail-under-targets",
            "--format",
            "github",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o)
        .lines()
        .filter(|l| l.contains("title=target-unmet"))
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 2, "{}", stdout(&o));
    // At the first target's `coverage:` line, wherever the example model puts it.
    let text = std::fs::read_to_string(tmp.path().join("model.yaml")).unwrap();
    let line = 1 + text
        .lines()
        .position(|l| l.trim_start().starts_with("coverage: 80%"))
        .unwrap();
    assert!(
        lines[0].starts_with(&format!("::warning file=model.yaml,line={line},")),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("target `priority-actors` is not met"));
    assert!(
        lines[0].contains("closing"),
        "says what meets it: {}",
        lines[0]
    );
    // check says the same.
    let o = threatc(&["check", "--format", "github", "model.yaml"], tmp.path());
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o).matches("title=target-unmet").count(), 2);
    // A met target is silent.
    let tmp = tempfile::tempdir().unwrap();
    model(tmp.path(), "1%", "0.01");
    let o = threatc(&["check", "--format", "github", "model.yaml"], tmp.path());
    assert!(!stdout(&o).contains("target-unmet"), "{}", stdout(&o));
}
