//! Each file in tests/check/ is a model that must give exactly the diagnostics its
//! `# expect: CODE LINE:COL` header lines name (errors and warnings; notes are
//! ignored), with exit code 2 when any is an error and 0 otherwise.

mod common;
use common::*;

#[test]
fn every_bad_input_gives_its_diagnostic_at_the_right_place() {
    let dir = root().join("tests/check");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the corpus shrank");
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let mut expected: Vec<(String, u64, u64)> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .map(|l| {
                let (code, pos) = l.split_once(' ').unwrap();
                let (line, col) = pos.trim().split_once(':').unwrap();
                (
                    code.to_string(),
                    line.parse().unwrap(),
                    col.parse().unwrap(),
                )
            })
            .collect();
        expected.sort();
        let out = threatc(&["check", "--format", "json", f.to_str().unwrap()], &root());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: bad json: {e}\n{}", f.display(), stdout(&out)));
        let mut got: Vec<(String, u64, u64)> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] != "note")
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["line"].as_u64().unwrap_or(0),
                    d["column"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        got.sort();
        let has_error = v["errors"].as_u64().unwrap() > 0;
        let want_code = if has_error { 2 } else { 0 };
        if got != expected || out.status.code() != Some(want_code) {
            failures.push(format!(
                "{}: expected {expected:?}, got {got:?} (exit {:?})",
                f.display(),
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn human_diagnostics_show_file_line_and_a_labelled_snippet() {
    let f = root().join("tests/check/unknown-technique.yaml");
    let out = threatc(&["check", f.to_str().unwrap()], &root());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("unknown-technique"), "{err}");
    assert!(err.contains("unknown-technique.yaml:10:29"), "{err}");
    assert!(err.contains("T9999"), "{err}");
    assert!(err.contains("not in the catalog"), "{err}");
}

#[test]
fn revoked_technique_names_its_replacement_and_unknown_group_suggests() {
    let out = threatc(&["check", "tests/check/revoked-technique.yaml"], &root());
    let err = stderr(&out);
    assert!(err.contains("replaced by `T1059.001`"), "{err}");
    let out = threatc(&["check", "tests/check/unknown-group.yaml"], &root());
    let err = stderr(&out);
    assert!(err.contains("did you mean `FIN7`"), "{err}");
}

#[test]
fn usage_and_io_errors_have_their_own_exit_code() {
    let out = threatc(&["check", "does/not/exist.yaml"], &root());
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("no such file"));
    let out = threatc(&["check"], &root());
    assert_eq!(out.status.code(), Some(3));
    let out = threatc(&["frobnicate"], &root());
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn example_models_are_valid() {
    for m in ["models/financial/model.yaml", "models/cloud/model.yaml"] {
        let out = threatc(&["check", m], &root());
        assert_eq!(out.status.code(), Some(0), "{m}: {}", stderr(&out));
        assert!(stderr(&out).contains("valid"), "{}", stderr(&out));
    }
}

#[test]
fn all_diagnostics_of_a_file_come_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.yaml");
    std::fs::write(
        &p,
        "threatc: 1\nmodel:\n  name: t\nactors:\n  - group: FIN77\n  - id: a\n    techniques: [T9999, T1086]\nrules:\n  - id: r\n    techniques: [T1059.001]\n    assets: [nope]\n",
    )
    .unwrap();
    let out = threatc(
        &["check", "--format", "json", p.to_str().unwrap()],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes = json_codes(&v);
    for c in [
        "unknown-group",
        "unknown-technique",
        "revoked-technique",
        "undefined-asset",
    ] {
        assert!(codes.contains(&c), "{c} missing from {codes:?}");
    }
}

#[test]
fn a_duplicate_key_is_shown_at_both_places() {
    let out = threatc(
        &[
            "check",
            "--format",
            "json",
            "tests/check/duplicate-key.yaml",
        ],
        &root(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["message"], "duplicate key `actors`");
    let lines: Vec<u64> = d["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [6, 5]);
}
