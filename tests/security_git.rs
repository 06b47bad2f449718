//! `threatc diff --git` reads the base revision from the repository the model sits in,
//! found by its `.git` entry, never from a repository git would discover in the
//! model's folder (a pull request can commit a fake bare repository there) or one the
//! environment names (`GIT_DIR`).

mod common;

use common::{copy_dir, git, root, stderr, stdout};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn threatc_env(args: &[&str], cwd: &Path, env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_threatc"));
    cmd.args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("THREATC_ATTACK_DATA")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// `threatc diff --git base MODEL --fail-on-regression` run in `cwd` with `env` set.
fn diff_against_base(model: &str, cwd: &Path, env: &[(&str, &Path)]) -> Output {
    threatc_env(
        &["diff", "--git", "base", model, "--fail-on-regression"],
        cwd,
        env,
    )
}

/// Replaces `status: production` by `status: retired` for the rule on `techniques`.
fn retire(text: &str, techniques: &str) -> String {
    let from = format!("    techniques: {techniques}\n    status: production\n");
    assert_eq!(text.matches(&from).count(), 1, "{from}");
    text.replacen(
        &from,
        &format!("    techniques: {techniques}\n    status: retired\n"),
        1,
    )
}

struct Attack {
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    /// The model's folder, which also holds the fake repository.
    fake: PathBuf,
}

/// A repository whose branch `base` holds the financial example, and whose HEAD (the
/// pull request) retires two rules (a regression) and commits, in the model's folder,
/// a fake repository (a bare repository, made to look like a work tree) whose own
/// branch `base` holds a model with every inline rule retired, so that a diff against
/// it would show an improvement.
fn attack() -> Attack {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let m = repo.join("m");
    copy_dir(&root().join("models/financial"), &m);
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    git(&repo, &["branch", "base"]);

    let model = m.join("model.yaml");
    let a = std::fs::read_to_string(&model).unwrap();
    let head = retire(&retire(&a, "[T1041, T1048.003]"), "[T1078, T1021.001]");
    std::fs::write(&model, &head).unwrap();

    // The fake's history, made from a scratch work tree.
    let work = tmp.path().join("work");
    copy_dir(&m, &work);
    std::fs::write(
        work.join("model.yaml"),
        head.replace("status: production", "status: retired"),
    )
    .unwrap();
    git(&repo, &["init", "-q", "--bare", m.to_str().unwrap()]);
    let gd = format!("--git-dir={}", m.display());
    let wt = format!("--work-tree={}", work.display());
    git(&repo, &[&gd, &wt, "add", "-A"]);
    git(&repo, &[&gd, &wt, "commit", "-q", "-m", "fake"]);
    git(&repo, &[&gd, "branch", "base"]);
    git(&repo, &["config", "-f", "m/config", "core.bare", "false"]);
    git(&repo, &["config", "-f", "m/config", "core.worktree", "."]);
    // The pull request commits all of it.
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "pull request"]);
    assert!(
        git(&repo, &["ls-files", "m/HEAD", "m/config"])
            .lines()
            .count()
            == 2,
        "the fake repository is committed"
    );
    // Git itself, left to discover, would use the fake from the model's folder.
    let discovered = git(&m, &["rev-parse", "--absolute-git-dir"]);
    assert_eq!(
        Path::new(discovered.trim()),
        std::fs::canonicalize(&m).unwrap(),
        "the scenario must fool git's discovery"
    );
    Attack {
        _tmp: tmp,
        repo,
        fake: m,
    }
}

fn figures(o: &Output) -> (f64, f64) {
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(o), stderr(o)));
    (
        v["coverage"]["before"].as_f64().unwrap(),
        v["coverage"]["after"].as_f64().unwrap(),
    )
}

#[test]
fn a_fake_repository_in_the_model_folder_is_not_used() {
    let s = attack();
    let o = diff_against_base("m/model.yaml", &s.repo, &[]);
    assert_eq!(o.status.code(), Some(1), "{}\n{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("regression: overall coverage dropped"),
        "{err}"
    );
    assert!(stdout(&o).contains("<!-- threatc-diff -->"));
    // The base is the real `base` (the full example): coverage went down.
    let o = threatc_env(
        &["diff", "--git", "base", "m/model.yaml", "--format", "json"],
        &s.repo,
        &[],
    );
    let (before, after) = figures(&o);
    assert!(after < before, "{before} → {after}");
    // From inside the model's folder (where git would discover the fake) too.
    let o = diff_against_base("model.yaml", &s.fake, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn git_dir_in_the_environment_is_ignored() {
    let s = attack();
    let o = diff_against_base(
        "m/model.yaml",
        &s.repo,
        &[
            ("GIT_DIR", &s.fake),
            ("GIT_WORK_TREE", &s.fake),
            ("GIT_CEILING_DIRECTORIES", &s.repo),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("regression: overall coverage dropped"));
    // GIT_CONFIG_* from the environment cannot swap the repository either.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_threatc"));
    let o = cmd
        .args(["diff", "--git", "base", "m/model.yaml", "--format", "json"])
        .current_dir(&s.repo)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "core.worktree")
        .env("GIT_CONFIG_VALUE_0", &s.fake)
        .env("GIT_OBJECT_DIRECTORY", s.fake.join("objects"))
        .output()
        .unwrap();
    let (before, after) = figures(&o);
    assert!(after < before, "{before} → {after}");
}

#[test]
fn no_repository_above_the_model_is_a_diff_git_error() {
    let tmp = tempfile::tempdir().unwrap();
    // /tmp itself holds no `.git`; make sure no folder above the temp dir does.
    assert!(
        tmp.path()
            .ancestors()
            .all(|d| d.join(".git").symlink_metadata().is_err()),
        "the temporary folder is inside a repository"
    );
    let dir = tmp.path().join("m");
    copy_dir(&root().join("models/financial"), &dir);
    // A fake bare repository in the model's folder does not make it a repository.
    git(tmp.path(), &["init", "-q", "--bare", dir.to_str().unwrap()]);
    let o = threatc_env(&["diff", "--git", "HEAD", "model.yaml"], &dir, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("diff-git"), "{err}");
    assert!(err.contains("not in a git repository"), "{err}");
    // Nor does GIT_DIR naming it.
    let o = threatc_env(
        &["diff", "--git", "HEAD", "model.yaml"],
        &dir,
        &[("GIT_DIR", &dir)],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("diff-git"));
}

#[test]
fn a_dot_git_that_is_not_a_repository_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    copy_dir(&root().join("models/financial"), &dir);
    std::fs::write(dir.join(".git"), "not a gitdir line\n").unwrap();
    let o = threatc_env(&["diff", "--git", "HEAD", "model.yaml"], &dir, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("diff-git") && err.contains("gitdir"), "{err}");
}

#[test]
fn a_worktree_gitdir_file_is_followed() {
    let s = attack();
    let wt = s._tmp.path().join("wt");
    git(
        &s.repo,
        &[
            "worktree",
            "add",
            "-q",
            "--detach",
            wt.to_str().unwrap(),
            "HEAD",
        ],
    );
    assert!(wt.join(".git").is_file());
    let o = diff_against_base("m/model.yaml", &wt, &[]);
    assert_eq!(o.status.code(), Some(1), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("regression: overall coverage dropped"));
}
