//! The output folder is untrusted (a pull request can commit it): a build removes only
//! files it could have written itself, never follows a link inside the folder, and
//! never writes through a file planted at a temporary name; `diff` removes nothing and
//! tells a report.json from a model by the file's extension, not its text.

mod common;

use common::{snapshot, stderr, stdout, threatc};
use std::path::Path;

const MODEL: &str = r#"
threatc: 1
model:
  name: small
  assessed: 2026-01-01
actors:
  - id: a1
    weight: 3
    techniques: [T1059.001, T1003.001, T1566.001]
  - id: old
    techniques: [T1021.002]
assets:
  - id: ws
    platforms: [Windows]
    criticality: high
rules:
  - id: r1
    techniques: [T1059.001]
"#;

/// The model without the actor `old`.
fn without_old() -> String {
    let t = MODEL.replace("  - id: old\n    techniques: [T1021.002]\n", "");
    assert_ne!(t, MODEL);
    t
}

fn write(p: &Path, text: &str) {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(p, text).unwrap();
}

fn build(dir: &Path, out: &str) -> std::process::Output {
    threatc(&["build", "model.yaml", "--out", out], dir)
}

/// A folder that looks like a repository: a model, a source file, `.git/HEAD`.
fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(&d.join("model.yaml"), MODEL);
    write(&d.join("src/x.rs"), "fn main() {}\n");
    write(&d.join(".git/HEAD"), "ref: refs/heads/main\n");
    tmp
}

fn planted_report(files: &[&str]) -> String {
    serde_json::json!({"report_format": 1, "generator": "threatc 0.1.0", "files": files})
        .to_string()
}

#[test]
fn a_planted_report_json_cannot_delete_files() {
    let tmp = project();
    let d = tmp.path();
    let before = snapshot(d);
    write(
        &d.join("out/report.json"),
        &planted_report(&[
            "../model.yaml",
            "../src/x.rs",
            "../.git/HEAD",
            "/etc/hostname",
            "layers/../../model.yaml",
        ]),
    );
    let o = build(d, "out");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let after: Vec<_> = snapshot(d)
        .into_iter()
        .filter(|(p, _)| !p.starts_with("out/"))
        .collect();
    assert_eq!(after, before, "nothing outside out/ changed");

    // With `--out .`, the list names files of the folder itself.
    write(
        &d.join("report.json"),
        &planted_report(&[
            "model.yaml",
            "src/x.rs",
            ".git/HEAD",
            "out/report.json",
            "layers/../model.yaml",
        ]),
    );
    let o = build(d, ".");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(d.join("model.yaml")).unwrap(),
        MODEL
    );
    assert!(d.join("src/x.rs").is_file());
    assert!(d.join(".git/HEAD").is_file());
    assert!(d.join("out/report.json").is_file());
    // The build replaced the planted report with its own.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["model"]["name"], "small");
}

#[test]
fn every_file_a_build_writes_is_one_it_may_remove_later() {
    let tmp = project();
    let o = build(tmp.path(), "out");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("out/report.json")).unwrap())
            .unwrap();
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files.contains(&"layers/actor-old.json"));
    for f in &files {
        assert!(threatc::emit::is_build_output(f), "{f}");
    }
    for f in [
        "../x.json",
        "layers/actor-.json",
        "layers/actor-a/b.json",
        "model.yaml",
    ] {
        assert!(!threatc::emit::is_build_output(f), "{f}");
    }
}

#[test]
fn stale_actor_layers_are_removed_and_nothing_else() {
    let tmp = project();
    let d = tmp.path();
    let o = build(d, "out");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(d.join("out/layers/actor-old.json").is_file());
    // Files threatc does not write, in the output folder and its layers folder.
    for f in [
        "out/layers/notes.txt",
        "out/layers/actor-x.txt",
        "out/layers/my-actor-x.json",
        "out/keep.md",
    ] {
        write(&d.join(f), "mine\n");
    }
    write(&d.join("model.yaml"), &without_old());
    let o = build(d, "out");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        !d.join("out/layers/actor-old.json").exists(),
        "the layer of a removed actor is removed"
    );
    assert!(d.join("out/layers/actor-a1.json").is_file());
    for f in [
        "out/layers/notes.txt",
        "out/layers/actor-x.txt",
        "out/layers/my-actor-x.json",
        "out/keep.md",
    ] {
        assert_eq!(std::fs::read_to_string(d.join(f)).unwrap(), "mine\n", "{f}");
    }
}

#[cfg(unix)]
#[test]
fn a_link_inside_the_output_folder_fails_the_build_and_writes_nothing() {
    let tmp = project();
    let d = tmp.path();
    write(&d.join("elsewhere/threat.json"), "precious\n");
    write(&d.join("elsewhere/actor-gone.json"), "precious too\n");
    let elsewhere = snapshot(&d.join("elsewhere"));
    std::fs::create_dir_all(d.join("out")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", d.join("out/layers")).unwrap();
    let o = build(d, "out");
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("output-error"), "{err}");
    assert!(
        err.contains("out/layers") && err.contains("symbolic link"),
        "{err}"
    );
    assert!(
        !err.contains("elsewhere"),
        "the link's target is not shown: {err}"
    );
    assert_eq!(snapshot(&d.join("elsewhere")), elsewhere);
    let names: Vec<String> = std::fs::read_dir(d.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["layers"], "nothing was written");

    // After a good build, the same link: the earlier outputs stay as they were.
    std::fs::remove_file(d.join("out/layers")).unwrap();
    let o = build(d, "out");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::rename(d.join("out/layers"), d.join("old-layers")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", d.join("out/layers")).unwrap();
    let earlier = snapshot(&d.join("out"));
    write(&d.join("model.yaml"), &without_old());
    let o = build(d, "out");
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(snapshot(&d.join("out")), earlier);
    assert_eq!(snapshot(&d.join("elsewhere")), elsewhere);
}

#[cfg(unix)]
#[test]
fn the_output_folder_itself_may_be_a_link() {
    let tmp = project();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("real-out")).unwrap();
    std::os::unix::fs::symlink("real-out", d.join("out")).unwrap();
    let o = build(d, "out");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(d.join("real-out/layers/actor-a1.json").is_file());
}

#[cfg(unix)]
#[test]
fn a_link_planted_at_a_temporary_name_is_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let out = d.join("out");
    write(&d.join("victim.txt"), "victim\n");
    std::fs::create_dir_all(out.join("layers")).unwrap();
    let pid = std::process::id();
    // The temporary names this process would use first.
    let planted_1 = out.join(format!(".gaps.csv.threatc-tmp-{pid}"));
    let planted_2 = out.join(format!("layers/.x.json.threatc-tmp-{pid}"));
    std::os::unix::fs::symlink(d.join("victim.txt"), &planted_1).unwrap();
    std::os::unix::fs::symlink(d.join("created.txt"), &planted_2).unwrap();
    // A link at a destination is replaced, not written through.
    std::os::unix::fs::symlink(d.join("victim.txt"), out.join("gaps.md")).unwrap();
    let outputs = vec![
        threatc::emit::Output {
            path: "gaps.csv".into(),
            bytes: b"a,b\n".to_vec(),
        },
        threatc::emit::Output {
            path: "gaps.md".into(),
            bytes: b"# gaps\n".to_vec(),
        },
        threatc::emit::Output {
            path: "layers/x.json".into(),
            bytes: b"{}\n".to_vec(),
        },
    ];
    threatc::emit::write_all(&out, &outputs).unwrap();
    assert_eq!(
        std::fs::read_to_string(d.join("victim.txt")).unwrap(),
        "victim\n"
    );
    assert!(!d.join("created.txt").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("gaps.csv")).unwrap(),
        "a,b\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("layers/x.json")).unwrap(),
        "{}\n"
    );
    let md = out.join("gaps.md");
    assert!(!md.symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&md).unwrap(), "# gaps\n");
    // The planted links are left alone, and no temporary file is left behind.
    assert!(planted_1
        .symlink_metadata()
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(planted_2
        .symlink_metadata()
        .unwrap()
        .file_type()
        .is_symlink());
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .chain(std::fs::read_dir(out.join("layers")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("threatc-tmp") && !n.ends_with(&pid.to_string()))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn output_paths_that_leave_the_folder_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for bad in ["../x", "/tmp/x", "a/../../x", "", "a//b", "./a"] {
        let r = threatc::emit::write_all(
            &out,
            &[threatc::emit::Output {
                path: bad.into(),
                bytes: b"x".to_vec(),
            }],
        );
        assert!(r.is_err(), "`{bad}` was accepted");
    }
    assert!(!tmp.path().join("x").exists());
    assert!(!out.exists(), "nothing was created");
}

#[test]
fn diff_out_removes_nothing() {
    let tmp = project();
    let d = tmp.path();
    write(&d.join("b.yaml"), &without_old());
    let before = snapshot(d);
    write(
        &d.join("report.json"),
        &planted_report(&["model.yaml", "b.yaml", "src/x.rs", ".git/HEAD"]),
    );
    let o = threatc(&["diff", "model.yaml", "b.yaml", "--out", "."], d);
    assert!(o.status.code() == Some(0), "{}", stderr(&o));
    for (p, bytes) in &before {
        assert_eq!(&std::fs::read(d.join(p)).unwrap(), bytes, "{p}");
    }
    assert!(d.join("coverage-diff.md").is_file());
    assert!(d.join("report.json").is_file());
}

#[cfg(unix)]
#[test]
fn diff_out_does_not_write_through_links() {
    let tmp = project();
    let d = tmp.path();
    write(&d.join("b.yaml"), &without_old());
    write(&d.join("victim.txt"), "victim\n");
    std::fs::create_dir_all(d.join("diff")).unwrap();
    std::os::unix::fs::symlink("../victim.txt", d.join("diff/coverage-diff.md")).unwrap();
    let o = threatc(&["diff", "model.yaml", "b.yaml", "--out", "diff"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(d.join("victim.txt")).unwrap(),
        "victim\n"
    );
    let md = std::fs::read_to_string(d.join("diff/coverage-diff.md")).unwrap();
    assert!(md.starts_with("<!-- threatc-diff -->"));
}

#[test]
fn a_model_quoting_report_format_is_diffed_as_a_model() {
    let tmp = project();
    let d = tmp.path();
    let quoting = format!("# see \"report_format\": 1 in report.json\n{MODEL}");
    write(&d.join("model.yaml"), &quoting);
    write(
        &d.join("b.yml"),
        &format!("# {{\"report_format\": 1}}\n{}", without_old()),
    );
    let o = threatc(&["diff", "model.yaml", "b.yml", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["model"], "small");
    // A `.json` file must be a report.json.
    write(&d.join("fake.json"), "{\"techniques\": []}");
    let o = threatc(&["diff", "fake.json", "model.yaml"], d);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("diff-input"));
}

#[test]
fn diff_git_compiles_the_base_model_even_when_it_quotes_report_format() {
    let tmp = project();
    let d = tmp.path();
    std::fs::remove_dir_all(d.join(".git")).unwrap();
    let quoting = format!("# \"report_format\": 1\n{MODEL}");
    write(&d.join("model.yaml"), &quoting);
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .current_dir(d)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .env_remove("GIT_DIR")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "base"]);
    write(
        &d.join("model.yaml"),
        &format!("# \"report_format\": 1\n{}", without_old()),
    );
    let o = threatc(
        &["diff", "--git", "HEAD", "model.yaml", "--format", "json"],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let actors = v["actors"].to_string();
    assert!(
        actors.contains("old"),
        "the base (with actor `old`) was compiled: {actors}"
    );
}
