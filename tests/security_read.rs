//! Security issue: every file a model names goes through one confined opener. Each attack
//! a pull request could mount on the reading side is rebuilt in a temporary repository,
//! and the secret it aims at must appear in no output: stdout, stderr or written files.

mod common;
use common::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A value that must never be printed.
const SECRET: &str = "ghp_SECRETVALUE0123456789";

/// A temporary repository (with `.git`) holding `model.yaml`, and a secret file beside
/// it, outside the repository.
struct Repo {
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    secret: PathBuf,
}

fn repo(model: &str) -> Repo {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    let secret = tmp.path().join("secret.txt");
    std::fs::write(
        &secret,
        format!("token: {SECRET}\n\"{SECRET}\": [\n{SECRET}\n"),
    )
    .unwrap();
    std::fs::write(repo.join("model.yaml"), model).unwrap();
    Repo {
        _tmp: tmp,
        repo,
        secret,
    }
}

/// Runs threatc with the secret in its environment too (as a CI token would be).
fn run(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_threatc"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("CI_TOKEN", SECRET)
        .env_remove("THREATC_ATTACK_DATA")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The secret is nowhere: not on stdout or stderr, not in any output under `dir/out`.
fn assert_no_secret(o: &std::process::Output, dir: &Path) {
    let all = format!("{}{}", stdout(o), stderr(o));
    assert!(!all.contains(SECRET), "secret leaked:\n{all}");
    assert!(!all.contains("SECRETVALUE"), "secret leaked:\n{all}");
    // Files threatc wrote (links planted by the test are not followed).
    fn walk(d: &Path) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(meta) = p.symlink_metadata() else {
                continue;
            };
            if meta.is_dir() && e.file_name() != ".git" {
                walk(&p);
            } else if meta.is_file() {
                let text = std::fs::read(&p).unwrap();
                assert!(
                    !String::from_utf8_lossy(&text).contains("SECRETVALUE"),
                    "secret written to {}",
                    p.display()
                );
            }
        }
    }
    walk(&dir.join("out"));
}

#[cfg(unix)]
fn link(target: &Path, at: &Path) {
    std::os::unix::fs::symlink(target, at).unwrap();
}

const HEAD: &str = "threatc: 1\nmodel:\n  name: t\nactors:\n  - group: FIN7\n";

/// A `rules:` section importing the Sigma rules of the repository's `rules/` folder.
const IMPORT_RULES: &str = "rules:\n  - import: sigma\n    path: rules\n";

/// `rules/x.yml` in the repository: a link to the secret outside it.
#[cfg(unix)]
fn link_secret_as_rule(r: &Repo) {
    std::fs::create_dir_all(r.repo.join("rules")).unwrap();
    link(&r.secret, &r.repo.join("rules/x.yml"));
}

#[test]
fn import_outside_root_is_not_read_for_a_snippet() {
    for path in [
        "../../../../../../../../proc/self/environ",
        "../secret.txt",
        "/proc/self/environ",
    ] {
        let r = repo(&format!(
            "{HEAD}rules:\n  - import: sigma\n    path: {path}\n"
        ));
        let o = run(&["check", "model.yaml"], &r.repo);
        assert_eq!(o.status.code(), Some(2), "{path}: {}", stderr(&o));
        assert!(stderr(&o).contains("import-outside-root"), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("--allow-outside-root"),
            "{}",
            stderr(&o)
        );
        assert_no_secret(&o, &r.repo);
    }
}

#[cfg(unix)]
#[test]
fn committed_links_out_of_the_repository_are_refused() {
    // An imported rule file that is a link to a secret.
    let r = repo(&format!("{HEAD}{IMPORT_RULES}"));
    link_secret_as_rule(&r);
    let o = run(&["check", "model.yaml", "--format", "json"], &r.repo);
    assert!(stdout(&o).contains("import-outside-root"), "{}", stdout(&o));
    assert_no_secret(&o, &r.repo);

    // An include that is a link to a secret.
    let r = repo(&format!("{HEAD}include:\n  - frag.yaml\n"));
    link(&r.secret, &r.repo.join("frag.yaml"));
    let o = run(&["check", "model.yaml"], &r.repo);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("path-outside-root"), "{}", stderr(&o));
    assert_no_secret(&o, &r.repo);

    // The root model itself is a link to a secret.
    let r = repo(HEAD);
    link(&r.secret, &r.repo.join("linked.yaml"));
    let o = run(&["check", "linked.yaml"], &r.repo);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("path-outside-root"), "{}", stderr(&o));
    assert_no_secret(&o, &r.repo);
}

#[test]
fn git_internals_are_never_read() {
    let r = repo(&format!(
        "{HEAD}include:\n  - .git/config\nrules:\n  - import: csv\n    path: .git/config\n"
    ));
    std::fs::write(
        r.repo.join(".git/config"),
        format!("[http]\n\textraheader = AUTHORIZATION: basic {SECRET}\n"),
    )
    .unwrap();
    let o = run(&["check", "model.yaml"], &r.repo);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("path-refused"), "{}", stderr(&o));
    assert_no_secret(&o, &r.repo);
}

#[test]
fn attack_data_in_a_model_is_confined_and_never_echoed() {
    // Outside the root: refused.
    let r = repo(&format!("{HEAD}attack:\n  data: ../secret.txt\n"));
    let o = run(&["check", "model.yaml", "--format", "json"], &r.repo);
    assert_ne!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("outside the repository root"),
        "{}",
        stdout(&o)
    );
    assert_no_secret(&o, &r.repo);

    // Inside, but not a bundle: its values are not quoted.
    let r = repo(&format!("{HEAD}attack:\n  data: data.json\n"));
    std::fs::write(
        r.repo.join("data.json"),
        format!("{{\"type\": \"{SECRET}\", \"objects\": 3}}"),
    )
    .unwrap();
    let o = run(&["check", "model.yaml"], &r.repo);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("attack-data"), "{}", stderr(&o));
    assert_no_secret(&o, &r.repo);
    std::fs::write(
        r.repo.join("data.json"),
        format!("{{\"type\": \"bundle\", \"objects\": \"{SECRET}\"}}"),
    )
    .unwrap();
    let o = run(&["check", "model.yaml"], &r.repo);
    assert_ne!(o.status.code(), Some(0));
    assert_no_secret(&o, &r.repo);
}

#[cfg(target_os = "linux")]
#[test]
fn devices_are_refused_without_reading() {
    // /dev/zero would grow memory without end; refused even when outside files are allowed.
    let r = repo(&format!(
        "{HEAD}rules:\n  - import: csv\n    path: /dev/zero\nattack:\n  data: /dev/zero\n"
    ));
    let o = run(&["check", "model.yaml", "--allow-outside-root"], &r.repo);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
}

/// Waits for a child, killing it (and failing) if it is still running after a generous
/// bound: a guard against a hang, not a timing assertion.
fn wait_or_kill(mut child: std::process::Child) -> std::process::Output {
    for _ in 0..1200 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("threatc did not finish: it is reading a file that never ends");
}

#[cfg(target_os = "linux")]
#[test]
fn stdin_is_not_read() {
    let r = repo(&format!(
        "{HEAD}rules:\n  - import: csv\n    path: /dev/stdin\n"
    ));
    // stdin is a pipe that stays open: reading it would hang.
    let mut child = spawn_piped(&["check", "model.yaml", "--allow-outside-root"], &r.repo);
    let stdin = child.stdin.take();
    let o = wait_or_kill(child);
    drop(stdin);
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
}

#[test]
fn files_outside_the_root_are_not_quoted_even_when_allowed() {
    // --allow-outside-root reads the file, but a problem in it is located, not quoted.
    let r = repo(&format!(
        "{HEAD}rules:\n  - import: sigma\n    path: ../secret.txt\n"
    ));
    let o = run(&["check", "model.yaml", "--allow-outside-root"], &r.repo);
    assert!(
        stderr(&o).contains("outside the repository root"),
        "{}",
        stderr(&o)
    );
    assert_no_secret(&o, &r.repo);
    let o = run(
        &[
            "check",
            "model.yaml",
            "--allow-outside-root",
            "--format",
            "json",
        ],
        &r.repo,
    );
    assert_no_secret(&o, &r.repo);
}

#[test]
fn include_outside_the_root_with_an_error_shows_no_snippet() {
    let r = repo(&format!("{HEAD}include:\n  - ../frag.yaml\n"));
    let frag = r.repo.parent().unwrap().join("frag.yaml");
    std::fs::write(
        &frag,
        format!("threatc: 1\nactors:\n  - group: {SECRET}\n    weight: [\n"),
    )
    .unwrap();
    let o = run(&["check", "model.yaml", "--allow-outside-root"], &r.repo);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("frag.yaml"), "{}", stderr(&o));
    assert_no_secret(&o, &r.repo);
    for format in ["json", "sarif", "github"] {
        let o = run(
            &[
                "check",
                "model.yaml",
                "--allow-outside-root",
                "--format",
                format,
            ],
            &r.repo,
        );
        assert_no_secret(&o, &r.repo);
    }
}

#[cfg(unix)]
#[test]
fn templates_that_link_out_are_refused() {
    let r = repo(HEAD);
    let t = r.repo.join("templates");
    std::fs::create_dir_all(&t).unwrap();
    link(&r.secret, &t.join("plan.md.j2"));
    let o = run(
        &[
            "build",
            "model.yaml",
            "--out",
            "out",
            "--templates",
            "templates",
        ],
        &r.repo,
    );
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("template"), "{}", stderr(&o));
    assert!(!r.repo.join("out/plan.md").exists());
    assert_no_secret(&o, &r.repo);
}

#[test]
fn templates_without_end_run_out_of_fuel() {
    let r = repo(HEAD);
    let t = r.repo.join("templates");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(
        t.join("plan.md.j2"),
        "{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}x{% endfor %}{% endfor %}{% endfor %}",
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_threatc"))
        .args([
            "build",
            "model.yaml",
            "--out",
            "out",
            "--templates",
            "templates",
        ])
        .current_dir(&r.repo)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let o = wait_or_kill(child);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("template-error"), "{}", stderr(&o));
    assert!(stderr(&o).contains("fuel"), "{}", stderr(&o));
    assert!(!r.repo.join("out").exists(), "nothing is written");
}

#[test]
fn a_deep_include_chain_is_a_diagnostic_not_a_crash() {
    let r = repo(&format!("{HEAD}include:\n  - f0.yaml\n"));
    for i in 0..5000 {
        let mut f = std::fs::File::create(r.repo.join(format!("f{i}.yaml"))).unwrap();
        writeln!(f, "threatc: 1\ninclude:\n  - f{}.yaml", i + 1).unwrap();
    }
    std::fs::write(r.repo.join("f5000.yaml"), "threatc: 1\nactors: []\n").unwrap();
    let o = run(&["check", "model.yaml"], &r.repo);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("include-too-deep"), "{}", stderr(&o));
    assert!(stderr(&o).contains("64"), "{}", stderr(&o));
}

#[test]
fn many_includes_load_each_file_once() {
    // 600 fragments, each including one shared file (a diamond 600 wide): each file is
    // read once, the shared one included once.
    let n = 600;
    let mut root = String::from(HEAD);
    root.push_str("include:\n");
    for i in 0..n {
        root.push_str(&format!("  - f{i}.yaml\n"));
    }
    let r = repo(&root);
    for i in 0..n {
        std::fs::write(
            r.repo.join(format!("f{i}.yaml")),
            format!("threatc: 1\nassets:\n  - id: a{i}\n    name: A{i}\n    platforms: [Windows]\ninclude:\n  - ./shared.yaml\n"),
        )
        .unwrap();
    }
    std::fs::write(
        r.repo.join("shared.yaml"),
        "threatc: 1\nassets:\n  - id: shared\n    name: Shared\n    platforms: [Linux]\n",
    )
    .unwrap();
    let o = run(&["check", "model.yaml"], &r.repo);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Read twice, `shared` would be a duplicate asset id.
    assert!(!stderr(&o).contains("duplicate-id"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("{} assets", n + 1)),
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn the_base_revision_is_read_through_the_same_opener() {
    // The base revision (what `diff --git` extracts) holds a committed link to a secret;
    // the head replaced it with a real rule file. The extracted tree is confined too.
    let r = repo(&format!("{HEAD}{IMPORT_RULES}"));
    std::fs::remove_dir_all(r.repo.join(".git")).unwrap();
    git(&r.repo, &["init", "-q"]);
    link_secret_as_rule(&r);
    git(&r.repo, &["add", "-A"]);
    git(&r.repo, &["commit", "-qm", "base"]);
    std::fs::remove_file(r.repo.join("rules/x.yml")).unwrap();
    std::fs::write(
        r.repo.join("rules/x.yml"),
        "title: t\nid: 00000000-0000-0000-0000-000000000001\nstatus: stable\ntags: [attack.t1059]\nlogsource: {product: windows}\ndetection: {sel: {a: b}, condition: sel}\n",
    )
    .unwrap();
    git(&r.repo, &["add", "-A"]);
    git(&r.repo, &["commit", "-qm", "head"]);
    let o = run(&["diff", "--git", "HEAD~1", "model.yaml"], &r.repo);
    assert!(
        stderr(&o).contains("import-outside-root") || stdout(&o).contains("import-outside-root"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    assert_no_secret(&o, &r.repo);
}
