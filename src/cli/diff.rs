//! `threatc diff`: what a change to a model does to coverage, for pull requests.

use super::{exit, print_out, Ctx};
use crate::diag::{Diagnostic, OutputFormat};
use crate::emit::{self, diff::DiffInput, Output};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `threatc diff BASE HEAD` or `threatc diff --git REV MODEL`
#[derive(clap::Args, Debug)]
#[command(after_help = "\
BASE and HEAD are each a model file or the report.json of an earlier build.
With --git REV, BASE is MODEL (and every file it includes) as committed at REV, read
with `git archive` into a temporary folder: the work tree is not touched.

--fail-on-regression exits with code 1 when overall or weighted coverage drops, any
actor's or target's coverage drops, or a target goes from met to unmet.

Exit codes: 0 done (no regression, or not asked), 1 regression with --fail-on-regression,
2 a model is invalid, 3 usage, git or I/O error.")]
pub struct DiffArgs {
    /// The base (model or report.json), or with --git the model in the work tree.
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// The head (model or report.json). Not given with --git.
    #[arg(value_name = "HEAD")]
    pub head: Option<PathBuf>,
    /// Compare the model with itself as it was at this git revision.
    #[arg(long, value_name = "REV")]
    pub git: Option<String>,
    /// Write coverage-diff.md, coverage-diff.json and diff-layer.json here.
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: DiffFormat,
    /// Exit with code 1 when coverage regresses.
    #[arg(long)]
    pub fail_on_regression: bool,
}

/// Output format of `diff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// A pull-request comment.
    Markdown,
    /// The whole diff as JSON.
    Json,
}

enum Fail {
    Usage(Diagnostic),
    Invalid(crate::diag::Diagnostics),
}

/// Runs `diff`.
pub fn run(ctx: &mut Ctx, args: &DiffArgs) -> i32 {
    match run_inner(ctx, args) {
        Ok(code) => code,
        Err(Fail::Usage(d)) => {
            ctx.report(&[&d], OutputFormat::Human);
            exit::USAGE
        }
        Err(Fail::Invalid(ds)) => {
            ctx.report(&ds.sorted(), OutputFormat::Human);
            exit::INVALID
        }
    }
}

fn run_inner(ctx: &mut Ctx, args: &DiffArgs) -> Result<i32, Fail> {
    let (base, head) = match (&args.git, &args.head) {
        (Some(rev), None) => {
            let snapshot = GitSnapshot::new(rev, &args.base)?;
            let base = load(ctx, &snapshot.model)?;
            drop(snapshot);
            (base, load(ctx, &args.base)?)
        }
        (None, Some(head)) => (load(ctx, &args.base)?, load(ctx, head)?),
        (Some(_), Some(_)) => {
            return Err(Fail::Usage(
                Diagnostic::error("diff-input", "--git takes one model, not two inputs")
                    .with_help("use `threatc diff --git REV MODEL` or `threatc diff BASE HEAD`"),
            ))
        }
        (None, None) => {
            return Err(Fail::Usage(
                Diagnostic::error("diff-input", "a diff needs a base and a head")
                    .with_help("use `threatc diff BASE HEAD` or `threatc diff --git REV MODEL`"),
            ))
        }
    };
    let d = emit::diff::diff(&base, &head);
    let md = emit::diff::markdown(&d);
    let js = d.to_json();
    if let Some(out) = &args.out {
        let layer = serde_json::to_string_pretty(&emit::diff::layer(&d)).unwrap_or_default() + "\n";
        let outputs = vec![
            Output {
                path: "coverage-diff.json".into(),
                bytes: js.clone().into_bytes(),
            },
            Output {
                path: "coverage-diff.md".into(),
                bytes: md.clone().into_bytes(),
            },
            Output {
                path: "diff-layer.json".into(),
                bytes: layer.into_bytes(),
            },
        ];
        emit::write_all(out, &outputs).map_err(|e| {
            Fail::Usage(
                Diagnostic::error("output-error", e)
                    .with_help("nothing was replaced: the previous outputs are as they were"),
            )
        })?;
    }
    match args.format {
        DiffFormat::Json => print_out(&js),
        DiffFormat::Markdown => {
            if args.out.is_none() {
                print_out(&md);
            } else {
                super::eprint_line(&format!(
                    "diff {}: coverage {} → {}, weighted {} → {}; {} newly covered, {} newly uncovered{} → {}",
                    d.model,
                    emit::pct(d.coverage.before),
                    emit::pct(d.coverage.after),
                    emit::pct(d.weighted_coverage.before),
                    emit::pct(d.weighted_coverage.after),
                    d.newly_covered.len(),
                    d.newly_uncovered.len(),
                    if d.is_regression() { "; REGRESSION" } else { "" },
                    args.out.as_deref().map(crate::model::load::display_path).unwrap_or_default()
                ));
            }
        }
    }
    if args.fail_on_regression && d.is_regression() {
        for r in &d.regressions {
            super::eprint_line(&format!("regression: {r}"));
        }
        return Ok(exit::FINDINGS);
    }
    Ok(exit::OK)
}

/// Reads one side: a report.json, or a model compiled now.
fn load(ctx: &mut Ctx, path: &Path) -> Result<DiffInput, Fail> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let text = std::fs::read_to_string(path).map_err(|e| {
        Fail::Usage(Diagnostic::error(
            "io-error",
            format!(
                "cannot read `{}`: {e}",
                crate::model::load::display_path(path)
            ),
        ))
    })?;
    if is_json || text.contains("\"report_format\"") {
        let bad = |e: String| {
            Fail::Usage(
                Diagnostic::error(
                    "diff-input",
                    format!(
                        "`{}` is not a threatc report.json: {e}",
                        crate::model::load::display_path(path)
                    ),
                )
                .with_help("give a model file or the report.json written by `threatc build`"),
            )
        };
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        return DiffInput::from_value(v).map_err(bad);
    }
    let opts = ctx.compile_options(false);
    let compiled = crate::compile(path, &opts, &mut ctx.sources).map_err(Fail::Invalid)?;
    DiffInput::from_analysis(&compiled.analysis).map_err(|e| {
        Fail::Usage(Diagnostic::error(
            "diff-input",
            format!("cannot read the analysis: {e}"),
        ))
    })
}

/// A model's repository as committed at a revision, extracted into a temporary
/// folder that is removed on drop.
struct GitSnapshot {
    dir: PathBuf,
    model: PathBuf,
}

fn git_error(msg: String, help: &str) -> Fail {
    Fail::Usage(Diagnostic::error("diff-git", msg).with_help(help.to_string()))
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

impl GitSnapshot {
    fn new(rev: &str, model: &Path) -> Result<Self, Fail> {
        let shown = crate::model::load::display_path(model);
        let abs = std::fs::canonicalize(model).map_err(|e| {
            Fail::Usage(Diagnostic::error(
                "io-error",
                format!("cannot read `{shown}`: {e}"),
            ))
        })?;
        let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        let top = git(&dir, &["rev-parse", "--show-toplevel"]).map_err(|e| {
            git_error(format!("`{shown}` is not in a git repository: {e}"), "run `threatc diff --git` inside a clone, or compare two files with `threatc diff BASE HEAD`")
        })?;
        let top = std::fs::canonicalize(&top).unwrap_or_else(|_| PathBuf::from(&top));
        let rel = abs
            .strip_prefix(&top)
            .map_err(|_| {
                git_error(
                    format!("`{shown}` is outside its repository `{}`", top.display()),
                    "give a model inside the repository",
                )
            })?
            .to_path_buf();
        let rel_git = rel.to_string_lossy().replace('\\', "/");
        if rev.starts_with('-') {
            return Err(git_error(
                format!("unknown revision `{rev}`"),
                "name a commit, branch or tag",
            ));
        }
        let commit = git(&top, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
            .map_err(|_| git_error(format!("unknown revision `{rev}`"), "name a commit, branch or tag; in CI fetch the full history (actions/checkout with fetch-depth: 0)"))?;
        if git(&top, &["cat-file", "-e", &format!("{commit}:{rel_git}")]).is_err() {
            return Err(git_error(
                format!("`{rel_git}` does not exist at revision `{rev}`"),
                "the model is new in this change: compare against a report.json, or skip the diff",
            ));
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let tmp = std::env::temp_dir().join(format!("threatc-diff-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&tmp).map_err(|e| {
            git_error(
                format!("cannot create `{}`: {e}", tmp.display()),
                "check the temporary folder",
            )
        })?;
        let snap = GitSnapshot {
            model: tmp.join("src").join(&rel),
            dir: tmp,
        };
        let tar = snap.dir.join("base.tar");
        let tar_s = tar.to_string_lossy().to_string();
        git(&top, &["archive", "--format=tar", "-o", &tar_s, &commit]).map_err(|e| {
            git_error(
                format!("git archive of `{rev}` failed: {e}"),
                "check the repository",
            )
        })?;
        let src = snap.dir.join("src");
        // A `.git` folder marks the repository root for include and import checks.
        std::fs::create_dir_all(src.join(".git")).map_err(|e| {
            git_error(
                format!("cannot create `{}`: {e}", src.display()),
                "check the temporary folder",
            )
        })?;
        let status = Command::new("tar")
            .arg("-xf")
            .arg(&tar)
            .arg("-C")
            .arg(&src)
            .status()
            .map_err(|e| git_error(format!("cannot run tar: {e}"), "install tar"))?;
        if !status.success() {
            return Err(git_error(
                format!("cannot extract the archive of `{rev}`"),
                "check the temporary folder",
            ));
        }
        Ok(snap)
    }
}

impl Drop for GitSnapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
