//! The distribution side, tried locally (GitHub cannot be reached from CI): the GitHub
//! Action's shell logic (`action/run.sh`) against temporary git repositories with fake
//! runner files and a fake `gh`, the download of a release asset (made by
//! `scripts/package-release.sh`, served from a `file://` URL) with its SHA-256 check, the
//! GitLab CI example's lines, and `action.yml` and every workflow validated against
//! GitHub's published JSON Schemas (SchemaStore, vendored in tests/data).

mod common;
use common::*;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_threatc");
const MARKER: &str = "<!-- threatc-diff -->";

/// A runner: the work folder (the checked-out repository), fake runner files and a fake
/// `gh` that records its calls and serves the comment listing from `gh/page-*.json`.
struct Runner {
    tmp: tempfile::TempDir,
    repo: PathBuf,
}

impl Runner {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        for d in ["bin", "gh", "runner", "home"] {
            std::fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        let gh = tmp.path().join("bin/gh");
        std::fs::write(
            &gh,
            r#"#!/usr/bin/env bash
# fake gh: records the call, serves the listing, keeps what is posted
dir="$FAKE_GH_DIR"
printf '%s\n' "$*" >> "$dir/calls"
case "$*" in
  *--paginate*) cat "$dir"/page-*.json 2> /dev/null || echo '[]' ;;
  *"--method PATCH"*) cat > "$dir/patched.json" ;;
  *"--method POST"*) cat > "$dir/posted.json"; echo 99 ;;
  *) exit 1 ;;
esac
"#,
        )
        .unwrap();
        make_executable(&gh);
        std::fs::write(
            tmp.path().join("runner/event.json"),
            r#"{"pull_request": {"number": 7}}"#,
        )
        .unwrap();
        Runner { tmp, repo }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }

    /// Runs `run.sh SUB` in the repository with a clean environment (a pull request event
    /// against `main`, the real threatc as the input `threatc`) plus `env`; returns the
    /// output and what the step wrote to GITHUB_OUTPUT.
    fn step(&self, sub: &str, env: &[(&str, &str)]) -> (Output, BTreeMap<String, String>) {
        let out_file = self.path(&format!("runner/output-{sub}"));
        std::fs::write(&out_file, "").unwrap();
        let mut c = Command::new("bash");
        c.arg(root().join("action/run.sh"))
            .arg(sub)
            .current_dir(&self.repo)
            .env_clear()
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    self.path("bin").display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("HOME", self.path("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env("GITHUB_OUTPUT", &out_file)
            .env("GITHUB_STEP_SUMMARY", self.path("runner/summary.md"))
            .env("GITHUB_PATH", self.path("runner/path"))
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_EVENT_PATH", self.path("runner/event.json"))
            .env("GITHUB_BASE_REF", "main")
            .env("GITHUB_REPOSITORY", "acme/models")
            .env("GITHUB_ACTION_PATH", root())
            .env("RUNNER_TEMP", self.path("runner"))
            .env("FAKE_GH_DIR", self.path("gh"))
            .env("INPUT_THREATC", BIN)
            .env("INPUT_MODEL", "models/financial/model.yaml");
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        let outputs = std::fs::read_to_string(&out_file)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        (o, outputs)
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.path("runner/summary.md")).unwrap_or_default()
    }

    fn gh_calls(&self) -> String {
        std::fs::read_to_string(self.path("gh/calls")).unwrap_or_default()
    }
}

fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn comment(id: u64, login: &str, kind: &str, body: &str) -> Value {
    serde_json::json!({"id": id, "user": {"login": login, "type": kind}, "body": body})
}

/// The pull request of a model repository checked out as actions/checkout does by default
/// (depth 1, only the pull request's branch): the base branch `main` holds the financial
/// example, the pull request lowers its coverage (`version_b`).
fn pull_request_repository(r: &Runner) {
    let upstream = r.path("upstream");
    copy_dir(
        &root().join("models/financial"),
        &upstream.join("models/financial"),
    );
    git(&upstream, &["init", "-q", "-b", "main"]);
    git(&upstream, &["add", "."]);
    git(&upstream, &["commit", "-q", "-m", "base"]);
    git(&upstream, &["checkout", "-q", "-b", "pr"]);
    let m = upstream.join("models/financial/model.yaml");
    std::fs::write(&m, version_b(&std::fs::read_to_string(&m).unwrap())).unwrap();
    git(
        &upstream,
        &["commit", "-q", "-am", "add APT41, retire a rule"],
    );
    std::fs::remove_dir_all(&r.repo).unwrap();
    let url = format!("file://{}", upstream.display());
    git(
        r.tmp.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--single-branch",
            "--branch",
            "pr",
            &url,
            r.repo.to_str().unwrap(),
        ],
    );
}

#[test]
fn action_on_a_pull_request_that_lowers_coverage() {
    let r = Runner::new();
    pull_request_repository(&r);
    // The shallow checkout has no origin/main yet: the diff step fetches it.
    assert!(git(&r.repo, &["branch", "-r"])
        .trim()
        .ends_with("origin/pr"));

    let (o, out) = r.step("setup", &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(out["skip-download"], "true");
    assert_eq!(out["path"], BIN);
    assert_eq!(out["version"], env!("CARGO_PKG_VERSION"));

    let (o, out) = r.step("check", &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(out["check-code"], "0");
    assert_eq!(out["sarif"], "threatc-out/threatc.sarif");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(r.repo.join(&out["sarif"])).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");

    let (o, out) = r.step("build", &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(r.repo.join(&out["out"]).join("report.json").is_file());

    let (o, out) = r.step("diff", &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(out["diff-code"], "1", "{}", text(&o));
    assert_eq!(out["regression"], "true");
    assert_eq!(out["no-base"], "false");
    assert_eq!(out["diff-dir"], "threatc-out/diff");
    let md = std::fs::read_to_string(r.repo.join(&out["comment-file"])).unwrap();
    assert!(md.starts_with(MARKER), "{md}");
    assert!(md.contains("Coverage regression"), "{md}");
    assert_eq!(r.summary(), md, "the diff is the job summary");
    assert!(r.repo.join("threatc-out/diff/diff-layer.json").is_file());
    git(&r.repo, &["rev-parse", "--verify", "origin/main"]);

    // The previous comment is the bot's own one with the marker; a user's comment with
    // the marker, the bot's other comment, and a user named like the bot are left alone.
    // Two pages, as `gh api --paginate` prints them.
    let page1 = serde_json::json!([
        comment(1, "mallory", "User", "<!-- threatc-diff -->\nfake"),
        comment(2, "github-actions[bot]", "Bot", "another bot comment"),
    ]);
    let page2 = serde_json::json!([
        comment(
            3,
            "github-actions[bot]",
            "User",
            "<!-- threatc-diff -->\nimpostor"
        ),
        comment(
            4,
            "github-actions[bot]",
            "Bot",
            "<!-- threatc-diff -->\nold diff"
        ),
    ]);
    std::fs::write(r.path("gh/page-1.json"), page1.to_string()).unwrap();
    std::fs::write(r.path("gh/page-2.json"), page2.to_string()).unwrap();
    let comment_file = r.repo.join(&out["comment-file"]);
    let (o, cout) = r.step(
        "comment",
        &[
            ("COMMENT_FILE", comment_file.to_str().unwrap()),
            ("GH_TOKEN", "t"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(cout["comment-id"], "4");
    let calls = r.gh_calls();
    assert!(calls.contains("api --paginate repos/acme/models/issues/7/comments?per_page=100"));
    assert!(
        calls.contains("api --method PATCH repos/acme/models/issues/comments/4 --input -"),
        "{calls}"
    );
    assert!(!calls.contains("POST"), "{calls}");
    let patched: Value =
        serde_json::from_str(&std::fs::read_to_string(r.path("gh/patched.json")).unwrap()).unwrap();
    assert_eq!(patched["body"], md);

    // The gate: fails on the regression unless told not to.
    let (o, _) = r.step(
        "gate",
        &[("REGRESSION", "true"), ("INPUT_FAIL_ON_REGRESSION", "true")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("::error "));
    let (o, _) = r.step(
        "gate",
        &[
            ("REGRESSION", "true"),
            ("INPUT_FAIL_ON_REGRESSION", "false"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let (o, _) = r.step(
        "gate",
        &[
            ("REGRESSION", "false"),
            ("INPUT_FAIL_ON_REGRESSION", "true"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn action_on_the_pull_request_that_adds_the_model() {
    let r = Runner::new();
    std::fs::write(r.repo.join("README.md"), "models\n").unwrap();
    git(&r.repo, &["init", "-q", "-b", "main"]);
    git(&r.repo, &["add", "."]);
    git(&r.repo, &["commit", "-q", "-m", "empty"]);
    git(&r.repo, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    copy_dir(
        &root().join("models/financial"),
        &r.repo.join("models/financial"),
    );

    let (o, _) = r.step("check", &[]);
    assert!(o.status.success(), "{}", text(&o));
    let (o, _) = r.step("build", &[]);
    assert!(o.status.success(), "{}", text(&o));
    let (o, out) = r.step("diff", &[]);
    assert!(
        o.status.success(),
        "the first pull request passes: {}",
        text(&o)
    );
    assert_eq!(out["no-base"], "true");
    assert_eq!(out["regression"], "false");
    assert_eq!(out["diff-code"], "0");
    assert!(String::from_utf8_lossy(&o.stderr).contains("no base: the model is new at"));
    let md = std::fs::read_to_string(r.repo.join(&out["comment-file"])).unwrap();
    assert!(md.starts_with(MARKER), "{md}");
    assert!(
        md.contains("No base: the model is new at `origin/main`"),
        "{md}"
    );
    assert!(md.contains("### Newly covered techniques"), "{md}");
    assert_eq!(r.summary(), md);

    // No previous comment of the bot (only a user's, with the marker): a new one.
    std::fs::write(
        r.path("gh/page-1.json"),
        serde_json::json!([comment(5, "mallory", "User", MARKER)]).to_string(),
    )
    .unwrap();
    let comment_file = r.repo.join(&out["comment-file"]);
    let (o, cout) = r.step(
        "comment",
        &[("COMMENT_FILE", comment_file.to_str().unwrap())],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(cout["comment-id"], "99");
    assert!(r
        .gh_calls()
        .contains("api --method POST repos/acme/models/issues/7/comments --input - --jq .id"));
    let posted: Value =
        serde_json::from_str(&std::fs::read_to_string(r.path("gh/posted.json")).unwrap()).unwrap();
    assert_eq!(posted["body"], md);

    let (o, _) = r.step(
        "gate",
        &[
            ("REGRESSION", &out["regression"]),
            ("INPUT_FAIL_ON_REGRESSION", "true"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn action_annotates_an_invalid_model_and_fails() {
    let r = Runner::new();
    std::fs::copy(
        root().join("tests/check/unknown-technique.yaml"),
        r.repo.join("model.yaml"),
    )
    .unwrap();
    let (o, out) = r.step("check", &[("INPUT_MODEL", "model.yaml")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("::error file=model.yaml,line=10,col=29,")
                && l.contains("title=unknown-technique::")),
        "{stdout}"
    );
    assert!(
        stdout.contains("::error title=threatc action::threatc check found errors in model.yaml")
    );
    assert_eq!(out["check-code"], "2");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(r.repo.join(&out["sarif"])).unwrap())
            .unwrap();
    // Among them (a software-techniques-hidden note may come first).
    assert!(
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ruleId"] == "unknown-technique" && r["level"] == "error"),
        "{sarif}"
    );
    assert!(r.summary().contains("is invalid"));

    // A push (no base branch, no input `base`): no diff, nothing to fail on.
    let (o, out) = r.step(
        "diff",
        &[("GITHUB_BASE_REF", ""), ("GITHUB_EVENT_NAME", "push")],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(out["diff-code"], "skipped");
}

/// A release folder as the release workflow publishes it: `v<version>/<asset>` and
/// `v<version>/SHA256SUMS`, with `threatc` a script (a wrapper of the real binary).
fn fake_release(dir: &Path, version: &str, targets: &[&str]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let exe = dir.join("threatc-build");
    std::fs::write(&exe, format!("#!/bin/sh\nexec \"{BIN}\" \"$@\"\n")).unwrap();
    make_executable(&exe);
    let rel = dir.join(format!("v{version}"));
    for t in targets {
        let o = Command::new("bash")
            .arg(root().join("scripts/package-release.sh"))
            .args([version, t, exe.to_str().unwrap(), rel.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
    }
    let o = Command::new("bash")
        .args(["-c", "sha256sum threatc-* > SHA256SUMS"])
        .current_dir(&rel)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    rel
}

#[test]
fn action_downloads_verifies_and_caches_the_release_binary() {
    let r = Runner::new();
    let version = env!("CARGO_PKG_VERSION");
    let rel = fake_release(
        &r.path("release"),
        version,
        &["x86_64-unknown-linux-musl", "x86_64-pc-windows-msvc"],
    );
    let url = format!("file://{}", r.path("release").display());
    let cache = r.path("toolcache");
    let linux = [
        ("RUNNER_OS", "Linux"),
        ("RUNNER_ARCH", "X64"),
        ("INPUT_THREATC", ""),
        ("RUNNER_TOOL_CACHE", cache.to_str().unwrap()),
        ("INPUT_DOWNLOAD_URL", url.as_str()),
    ];

    // The version comes from the action's own Cargo.toml.
    let (o, setup) = r.step("setup", &linux);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(setup["skip-download"], "false");
    assert_eq!(setup["version"], version);
    assert_eq!(setup["target"], "x86_64-unknown-linux-musl");
    let asset = format!("threatc-{version}-x86_64-unknown-linux-musl.tar.gz");
    assert_eq!(setup["asset"], asset);
    assert!(rel.join(&asset).is_file());
    let dir = &setup["dir"];
    assert_eq!(
        Path::new(dir),
        cache.join(format!("threatc/{version}/x86_64-unknown-linux-musl"))
    );

    let mut env = linux.to_vec();
    env.push(("INSTALL_DIR", dir));
    let (o, out) = r.step("install", &env);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("verified against SHA256SUMS"), "{stdout}");
    assert!(stdout.contains(&format!("threatc {version}")), "{stdout}");
    assert_eq!(out["path"], format!("{dir}/threatc"));
    assert_eq!(
        std::fs::read_to_string(r.path("runner/path")).unwrap(),
        format!("{dir}\n")
    );
    // Restored by actions/cache: not downloaded again.
    let (o, _) = r.step("install", &env);
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("restored from the cache"));

    // The Windows asset is a zip holding threatc.exe.
    let win_dir = r.path("toolcache-win");
    let (o, out) = r.step(
        "install",
        &[
            ("RUNNER_OS", "Windows"),
            ("RUNNER_ARCH", "X64"),
            ("INPUT_DOWNLOAD_URL", url.as_str()),
            ("INSTALL_DIR", win_dir.to_str().unwrap()),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(out["path"].ends_with("/threatc.exe"));

    // A download that does not match SHA256SUMS is refused, and nothing is installed.
    let sums = std::fs::read_to_string(rel.join("SHA256SUMS")).unwrap();
    let bad = sums
        .lines()
        .map(|l| {
            if l.ends_with(&asset) {
                format!("{}{}", "0".repeat(64), &l[64..])
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(rel.join("SHA256SUMS"), bad).unwrap();
    let fresh = r.path("toolcache-2");
    let mut env = linux.to_vec();
    env.push(("INSTALL_DIR", fresh.to_str().unwrap()));
    let (o, _) = r.step("install", &env);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("checksum mismatch"));
    assert!(!fresh.join("threatc").exists());

    // A missing release says which.
    let (o, _) = r.step(
        "install",
        &[
            ("RUNNER_OS", "macOS"),
            ("RUNNER_ARCH", "ARM64"),
            ("INPUT_DOWNLOAD_URL", url.as_str()),
            ("INSTALL_DIR", fresh.to_str().unwrap()),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("aarch64-apple-darwin"));
    // An unknown platform too.
    let (o, _) = r.step(
        "setup",
        &[
            ("RUNNER_OS", "Linux"),
            ("RUNNER_ARCH", "ARM"),
            ("INPUT_THREATC", ""),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("no threatc release binary for Linux/ARM"));
}

// ---- the workflow and action files -------------------------------------------------------

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn validator(schema: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data").join(schema)).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{schema}: {e}"))
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn github_workflows() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
        .map(|n| format!(".github/workflows/{n}"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    files.push("docs/threatc-workflow.yml".into());
    files.push("examples/model-repo-workflow.yml".into());
    files
}

#[test]
fn action_and_workflows_match_githubs_schemas() {
    let action_schema = validator("github-action.schema.json");
    let workflow_schema = validator("github-workflow.schema.json");
    let gitlab_schema = validator("gitlab-ci.schema.json");

    let action = yaml("action.yml");
    assert_eq!(errors(&action_schema, &action), Vec::<String>::new());
    for f in github_workflows() {
        assert_eq!(
            errors(&workflow_schema, &yaml(&f)),
            Vec::<String>::new(),
            "{f}"
        );
        // A workflow is not an action and the other way round: the schemas do reject.
        assert!(!action_schema.is_valid(&yaml(&f)), "{f}");
    }
    assert!(!workflow_schema.is_valid(&action));
    let gitlab = yaml("examples/gitlab-ci.yml");
    assert_eq!(errors(&gitlab_schema, &gitlab), Vec::<String>::new());

    // The schemas catch the mistakes they are there for.
    let mut broken = action.clone();
    broken["runs"]["steps"][0]
        .as_object_mut()
        .unwrap()
        .remove("shell");
    assert!(
        !action_schema.is_valid(&broken),
        "a composite run step needs a shell"
    );
    let mut broken = yaml("examples/model-repo-workflow.yml");
    broken["jobs"]["threatc"]["runs-on"] = Value::Null;
    broken["jobs"]["threatc"]["step"] = Value::from("typo");
    assert!(!workflow_schema.is_valid(&broken));
    let mut broken = gitlab.clone();
    broken["threatc"]["script"] = Value::from(7);
    assert!(!gitlab_schema.is_valid(&broken));
}

/// What the schemas cannot see: no expression inside a script, every step runs an existing
/// subcommand of run.sh, the outputs name real steps, the release builds every target the
/// action downloads under the names it downloads.
#[test]
fn action_wiring_is_consistent() {
    let action = yaml("action.yml");
    let run_sh = std::fs::read_to_string(root().join("action/run.sh")).unwrap();
    assert_eq!(action["inputs"]["model"]["required"], true);
    assert_eq!(action["inputs"]["fail-on-regression"]["default"], "true");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let ids: Vec<&str> = steps.iter().filter_map(|s| s["id"].as_str()).collect();
    for s in steps {
        if let Some(run) = s["run"].as_str() {
            assert!(!run.contains("${{"), "an expression inside a script: {run}");
            let sub = run
                .strip_prefix("bash \"$GITHUB_ACTION_PATH/action/run.sh\" ")
                .unwrap_or_else(|| panic!("{run}"));
            assert!(
                run_sh.contains(&format!("\n  {sub}) cmd_{sub} ;;")),
                "{sub}"
            );
            assert_eq!(s["shell"], "bash");
        }
    }
    let cache = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/cache@"))
        })
        .unwrap();
    let key = cache["with"]["key"].as_str().unwrap();
    for part in ["version", "runner.os", "runner.arch"] {
        assert!(key.contains(part), "{key}");
    }
    for (name, o) in action["outputs"].as_object().unwrap() {
        let value = o["value"].as_str().unwrap();
        let step = value
            .trim_start_matches("${{ steps.")
            .split('.')
            .next()
            .unwrap();
        assert!(ids.contains(&step), "output {name} names step {step}");
    }
    // Every `with:` input a workflow of ours passes exists.
    let example = yaml("examples/model-repo-workflow.yml");
    for s in example["jobs"]["threatc"]["steps"].as_array().unwrap() {
        if s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("threatc/threatc@"))
        {
            for k in s["with"].as_object().unwrap().keys() {
                assert!(action["inputs"].get(k).is_some(), "unknown input {k}");
            }
        }
    }

    let release = yaml(".github/workflows/release.yml");
    let text = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    let targets: Vec<&str> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_str().unwrap())
        .collect();
    for t in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(targets.contains(&t), "release does not build {t}");
        assert!(
            run_sh.contains(&format!("TARGET='{t}'")),
            "action does not map {t}"
        );
    }
    assert!(text.contains("scripts/package-release.sh"));
    assert!(text.contains("sha256sum threatc-* > SHA256SUMS"));
}

#[test]
fn pre_commit_hooks_run_threatc_check_on_models() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().unwrap();
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["threatc-check", "threatc-check-system"]);
    for h in hooks {
        assert_eq!(h["entry"], "threatc check");
        let files = h["files"].as_str().unwrap();
        assert!(files.contains("model"), "{files}");
    }
    assert_eq!(hooks[0]["language"], "rust");
    assert_eq!(hooks[1]["language"], "system");
}

/// examples/gitlab-ci.yml's lines, run by bash as GitLab's shell executor would (less
/// `apk add`), against a release served from a `file://` URL.
fn run_gitlab_job(r: &Runner, base_sha: &str, model: &str) -> Output {
    let ci = yaml("examples/gitlab-ci.yml");
    let job = &ci["threatc"];
    let version = ci["variables"]["THREATC_VERSION"].as_str().unwrap();
    fake_release(&r.path("release"), version, &["x86_64-unknown-linux-musl"]);
    let mut script = String::from("set -eo pipefail\n");
    for (k, v) in ci["variables"].as_object().unwrap() {
        script.push_str(&format!("export {k}='{}'\n", v.as_str().unwrap()));
    }
    script.push_str(&format!(
        "export THREATC_DOWNLOAD_URL='file://{}'\nexport MODEL='{model}'\n",
        r.path("release").display()
    ));
    script.push_str(&format!(
        "export CI_MERGE_REQUEST_DIFF_BASE_SHA='{base_sha}'\n"
    ));
    for part in ["before_script", "script"] {
        for line in job[part].as_array().unwrap() {
            let line = line.as_str().unwrap();
            if !line.starts_with("apk add") {
                script.push_str(line);
                script.push('\n');
            }
        }
    }
    Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script])
        .current_dir(&r.repo)
        .env("HOME", r.path("home"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn gitlab_example_runs_against_a_merge_request() {
    // A merge request that lowers coverage: the job fails, after the report and the diff.
    let r = Runner::new();
    copy_dir(
        &root().join("models/financial"),
        &r.repo.join("models/financial"),
    );
    git(&r.repo, &["init", "-q", "-b", "main"]);
    git(&r.repo, &["add", "."]);
    git(&r.repo, &["commit", "-q", "-m", "base"]);
    let base = git(&r.repo, &["rev-parse", "HEAD"]).trim().to_string();
    let m = r.repo.join("models/financial/model.yaml");
    std::fs::write(&m, version_b(&std::fs::read_to_string(&m).unwrap())).unwrap();
    let o = run_gitlab_job(&r, &base, "models/financial/model.yaml");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("coverage regression"));
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(r.repo.join("gl-code-quality-report.json")).unwrap(),
    )
    .unwrap();
    // The example model is valid: its Code Quality entries are warnings (the platforms no
    // asset declares, the inline rules without platforms: issue 13) and notes (actors
    // without `software:`, issue 17), never errors.
    let entries = report.as_array().unwrap();
    assert!(
        entries
            .iter()
            .all(|e| e["severity"] == "minor" || e["severity"] == "info"),
        "{report}"
    );
    assert!(entries.iter().any(|e| e["check_name"] == "scope-dropped"));
    assert!(r.repo.join("threatc-out/build/report.json").is_file());
    assert!(
        std::fs::read_to_string(r.repo.join("threatc-out/diff/coverage-diff.md"))
            .unwrap()
            .starts_with(MARKER)
    );

    // The merge request that adds the model passes; an invalid model fails with a Code
    // Quality entry on its line.
    let r = Runner::new();
    std::fs::write(r.repo.join("README.md"), "models\n").unwrap();
    git(&r.repo, &["init", "-q", "-b", "main"]);
    git(&r.repo, &["add", "."]);
    git(&r.repo, &["commit", "-q", "-m", "empty"]);
    let base = git(&r.repo, &["rev-parse", "HEAD"]).trim().to_string();
    copy_dir(
        &root().join("models/financial"),
        &r.repo.join("models/financial"),
    );
    let o = run_gitlab_job(&r, &base, "models/financial/model.yaml");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("No base: the model is new at"));

    std::fs::copy(
        root().join("tests/check/unknown-technique.yaml"),
        r.repo.join("bad.yaml"),
    )
    .unwrap();
    let o = run_gitlab_job(&r, &base, "bad.yaml");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(r.repo.join("gl-code-quality-report.json")).unwrap(),
    )
    .unwrap();
    // The error (a software-techniques-hidden note, severity info, may come first).
    let error = report
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["check_name"] == "unknown-technique")
        .unwrap();
    assert_eq!(error["severity"], "major");
    assert_eq!(error["location"]["path"], "bad.yaml");
    assert_eq!(error["location"]["lines"]["begin"], 10);
}
