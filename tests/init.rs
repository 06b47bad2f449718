//! `threatc init`: the generated repository checks and builds cleanly, existing files are
//! never overwritten, and the questions can be answered through a pipe.

mod common;
use common::*;
use std::io::Write;

#[test]
fn init_from_flags_checks_and_builds_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    threatc_ok(
        &[
            "init",
            "hospital",
            "--group",
            "Wizard Spider",
            "--group",
            "FIN12", // an alias of Wizard Spider (G0102) in ATT&CK 18.1: listed once
            "--group",
            "G0102", // Wizard Spider again, by id: listed once
            "--platforms",
            "windows,Linux",
        ],
        tmp.path(),
    );
    let dir = tmp.path().join("hospital");
    let model = std::fs::read_to_string(dir.join("model.yaml")).unwrap();
    assert!(
        model.starts_with("# yaml-language-server: $schema=https://"),
        "{model}"
    );
    assert!(model.contains("schemas/threatc-model-v1.schema.json"));
    assert!(model.contains("name: hospital"));
    assert_eq!(model.matches("group: Wizard Spider").count(), 1, "{model}");
    assert!(model.contains("platforms: [Windows, Linux]"), "{model}");
    assert!(dir.join("rules/local.yaml").is_file());
    assert!(dir.join("detections/sigma").is_dir());
    assert_eq!(
        std::fs::read_to_string(dir.join(".gitignore")).unwrap(),
        "out/\nthreatc-out/\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(".github/workflows/threatc.yml")).unwrap(),
        std::fs::read_to_string(root().join("examples/model-repo-workflow.yml")).unwrap(),
        "the workflow is the model-repository example"
    );

    let o = threatc_ok(&["check", "hospital/model.yaml"], tmp.path());
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    let o = threatc_ok(
        &["build", "hospital/model.yaml", "--out", "hospital/out"],
        tmp.path(),
    );
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    assert!(dir.join("out/report.json").is_file());
}

#[test]
fn init_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join(".gitignore"), "mine\n").unwrap();
    let o = threatc(&["init", ".", "--group", "FIN7"], tmp.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("init-exists"), "{}", stderr(&o));
    assert!(stderr(&o).contains(".gitignore"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join(".gitignore")).unwrap(),
        "mine\n"
    );
    assert!(
        !tmp.path().join("model.yaml").exists(),
        "nothing is written"
    );
}

#[test]
fn init_rejects_unknown_names_with_suggestions() {
    let tmp = tempfile::tempdir().unwrap();
    let o = threatc(
        &["init", "m", "--group", "FIN7", "--platforms", "Azure AD"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("did you mean `Identity Provider`?"),
        "{}",
        stderr(&o)
    );
    let o = threatc(&["init", "m", "--group", "Wizard Spyder"], tmp.path());
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("Wizard Spider"), "{}", stderr(&o));
    assert!(!tmp.path().join("m").exists());
}

#[test]
fn init_by_search_and_by_piped_answers() {
    let tmp = tempfile::tempdir().unwrap();
    threatc_ok(&["init", "s", "--search", "healthcare"], tmp.path());
    let model = std::fs::read_to_string(tmp.path().join("s/model.yaml")).unwrap();
    assert!(model.contains("group: "), "{model}");

    let mut child = spawn_piped(&["init", "q", "--interactive"], tmp.path());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"acme-hospital\nFIN7, APT29\nWindows, macOS\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("ATT&CK groups"), "{}", stderr(&o));
    let model = std::fs::read_to_string(tmp.path().join("q/model.yaml")).unwrap();
    assert!(model.contains("name: acme-hospital"), "{model}");
    assert!(model.contains("group: FIN7") && model.contains("group: APT29"));
    assert!(model.contains("platforms: [Windows, macOS]"), "{model}");
    threatc_ok(&["check", "q/model.yaml"], tmp.path());
}
