//! `threatc diff`: what a change to a model does to coverage, for pull requests.

use super::{exit, print_out, Ctx};
use std::path::{Path, PathBuf};
use std::process::Command;
use threatc::diag::Code;
use threatc::diag::{Diagnostic, Diagnostics, OutputFormat};
use threatc::diff::DiffInput;
use threatc::emit::report::REPORT_FORMAT;
use threatc::emit::{self, Output};

/// `threatc diff BASE HEAD` or `threatc diff --git REV MODEL`
#[derive(clap::Args, Debug)]
#[command(after_help = "\
BASE and HEAD are each a model file or the report.json of an earlier build (a .json
file). With --git REV, BASE is MODEL (and every file it includes) as committed at REV,
read with `git archive` into a temporary folder: the work tree is not touched. When
MODEL does not exist at REV (the change adds it), the base is empty: everything is new,
the comment says so, and there is no regression. The
repository is the nearest folder above MODEL holding .git; git's own discovery and
GIT_* variables are not used.

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

/// Runs `diff`. A failure's exit code comes from its diagnostics' codes (README, "Exit
/// codes"): an unreadable input, a git problem or an unwritable output is a usage error
/// (3), an invalid model 2.
pub fn run(ctx: &mut Ctx, args: &DiffArgs) -> i32 {
    match run_inner(ctx, args) {
        Ok(code) => code,
        Err(ds) => {
            ctx.report(&ds.sorted(), OutputFormat::Human);
            super::failure_code(&ds)
        }
    }
}

fn run_inner(ctx: &mut Ctx, args: &DiffArgs) -> Result<i32, Diagnostics> {
    let (base, head) = match (&args.git, &args.head) {
        (Some(rev), None) => {
            // Both sides are compiled from the model: the base from the revision's
            // tree, never from a report.json found in it or in the work tree.
            match GitSnapshot::new(rev, &args.base)? {
                Some(snapshot) => {
                    let base = load(ctx, &snapshot.model, Side::Model)?;
                    drop(snapshot);
                    (base, load(ctx, &args.base, Side::Model)?)
                }
                None => {
                    // The change adds the model: compare against an empty base.
                    let head = load(ctx, &args.base, Side::Model)?;
                    super::eprint_line(&format!(
                        "note: no base: the model is new at `{rev}` (`{}` does not exist there); every technique, rule and gap counts as new",
                        threatc::model::load::display_path(&args.base)
                    ));
                    (DiffInput::absent(rev, &head), head)
                }
            }
        }
        (None, Some(head)) => (
            load(ctx, &args.base, Side::ByExtension)?,
            load(ctx, head, Side::ByExtension)?,
        ),
        (Some(_), Some(_)) => {
            return Err(Diagnostics::from(
                Diagnostic::error(Code::DiffInput, "--git takes one model, not two inputs")
                    .with_help("use `threatc diff --git REV MODEL` or `threatc diff BASE HEAD`"),
            ))
        }
        (None, None) => {
            return Err(Diagnostics::from(
                Diagnostic::error(Code::DiffInput, "a diff needs a base and a head")
                    .with_help("use `threatc diff BASE HEAD` or `threatc diff --git REV MODEL`"),
            ))
        }
    };
    let d = threatc::diff::diff(&base, &head);
    let md = emit::diff::markdown(&d);
    let js = emit::diff::json(&d);
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
            Diagnostics::from(
                Diagnostic::error(Code::OutputError, e)
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
                    args.out.as_deref().map(threatc::model::load::display_path).unwrap_or_default()
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

/// How to read one side of a diff.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// A `.json` file is a report.json (and must be one); anything else is a model.
    ByExtension,
    /// Always a model, compiled now (`--git`).
    Model,
}

/// Largest report.json `diff` reads (bytes); a 50,000-rule build writes about 40 MB.
const MAX_REPORT_BYTES: u64 = 1024 * 1024 * 1024;

/// Reads one side: a report.json (a `.json` file, when allowed), or a model compiled
/// now. What a file contains never decides: a model quoting `"report_format"` is still
/// a model.
fn load(ctx: &mut Ctx, path: &Path, side: Side) -> Result<DiffInput, Diagnostics> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let io_error = |e: std::io::Error| {
        Diagnostics::from(Diagnostic::error(
            Code::IoError,
            format!(
                "cannot read `{}`: {e}",
                threatc::model::load::display_path(path)
            ),
        ))
    };
    if side == Side::ByExtension && is_json {
        // Through the confined opener: a regular file, size-capped; inside a repository
        // it must resolve inside it.
        let confine = threatc::fsio::Confine::named(path);
        let text = match threatc::fsio::read_text(path, &confine, MAX_REPORT_BYTES) {
            Ok((t, _)) => t,
            Err(e) => {
                let why = e.phrase();
                return Err(Diagnostics::from(Diagnostic::error(
                    Code::IoError,
                    format!("`{}` {why}", threatc::model::load::display_path(path)),
                )));
            }
        };
        let bad = |e: String| {
            Diagnostics::from(
                Diagnostic::error(
                    Code::DiffInput,
                    format!(
                        "`{}` is not a threatc report.json: {e}",
                        threatc::model::load::display_path(path)
                    ),
                )
                .with_help("give a model file or the report.json written by `threatc build`"),
            )
        };
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if v.get("report_format").and_then(serde_json::Value::as_u64) != Some(REPORT_FORMAT.into())
        {
            return Err(bad(format!("no `report_format: {REPORT_FORMAT}`")));
        }
        return DiffInput::from_value(v).map_err(bad);
    }
    std::fs::metadata(path).map_err(io_error)?;
    let opts = ctx.compile_options(false);
    let compiled = ctx.compile(path, &opts)?;
    // With its catalog's revocations, so that a head on a newer release compares a
    // revoked base technique with its replacement.
    DiffInput::from_compiled(&compiled).map_err(|e| {
        Diagnostics::from(Diagnostic::error(
            Code::DiffInput,
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

fn git_error(msg: String, help: &str) -> Diagnostics {
    Diagnostic::error(Code::DiffGit, msg)
        .with_help(help.to_string())
        .into()
}

/// A new, private temporary folder (never one that already exists).
fn private_temp_dir() -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut last = None;
    for attempt in 0..100u32 {
        let dir = base.join(format!(
            "threatc-diff-{}-{nanos}-{attempt}",
            std::process::id()
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

impl GitSnapshot {
    /// Extracts the repository of `model` as committed at `rev`; None when the model does
    /// not exist at `rev` (the change adds it).
    fn new(rev: &str, model: &Path) -> Result<Option<Self>, Diagnostics> {
        let (repo, rel) = repository_of(model)?;
        let rel_git = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let commit = commit_of(&repo, rev)?;
        let Ok(kind) = repo.git(&["cat-file", "-t", &format!("{commit}:{rel_git}")]) else {
            return Ok(None);
        };
        if kind != "blob" {
            return Err(git_error(
                format!("`{rel_git}` is a {kind}, not a file, at revision `{rev}`"),
                "give the path of the model file",
            ));
        }
        let tmp = private_temp_dir().map_err(|e| {
            git_error(
                format!("cannot create a temporary folder: {e}"),
                "check the temporary folder",
            )
        })?;
        // From here the folder is removed on drop, also when extracting fails.
        let snap = GitSnapshot {
            model: tmp.join("src").join(&rel),
            dir: tmp,
        };
        snap.extract(&repo, &commit, rev)?;
        Ok(Some(snap))
    }

    /// `git archive` of the commit, unpacked into `src/` (marked as a repository root).
    fn extract(
        &self,
        repo: &threatc::gitrepo::Repo,
        commit: &str,
        rev: &str,
    ) -> Result<(), Diagnostics> {
        let tar = self.dir.join("base.tar");
        let mut out_arg = std::ffi::OsString::from("--output=");
        out_arg.push(tar.as_os_str());
        // No --worktree-attributes: only the committed .gitattributes of the revision
        // (export-ignore, export-subst) apply.
        repo.git(&[
            std::ffi::OsStr::new("archive"),
            std::ffi::OsStr::new("--format=tar"),
            &out_arg,
            std::ffi::OsStr::new(commit),
            std::ffi::OsStr::new("--"),
        ])
        .map_err(|e| {
            git_error(
                format!("git archive of `{rev}` failed: {e}"),
                "check the repository",
            )
        })?;
        let src = self.dir.join("src");
        // A `.git` folder marks the repository root for include and import checks.
        std::fs::create_dir_all(src.join(".git")).map_err(|e| {
            git_error(
                format!("cannot create `{}`: {e}", src.display()),
                "check the temporary folder",
            )
        })?;
        // git archive writes no absolute or `..` member names; tar refuses them anyway,
        // and creates files as the current user with the umask's permissions.
        let status = Command::new("tar")
            .arg("--no-same-owner")
            .arg("--no-same-permissions")
            .arg("-xf")
            .arg(&tar)
            .arg("-C")
            .arg(&src)
            .stdin(std::process::Stdio::null())
            .status()
            .map_err(|e| git_error(format!("cannot run tar: {e}"), "install tar"))?;
        if !status.success() {
            return Err(git_error(
                format!("cannot extract the archive of `{rev}`"),
                "check the temporary folder",
            ));
        }
        let _ = std::fs::remove_file(&tar);
        Ok(())
    }
}

/// The repository of `model` and the model's path inside it.
///
/// The repository is the nearest folder above the model (its lexical path: a linked
/// model is not followed) with a `.git` entry, never what git would discover from the
/// model's folder, where a pull request may have committed a fake repository.
fn repository_of(model: &Path) -> Result<(threatc::gitrepo::Repo, PathBuf), Diagnostics> {
    let shown = threatc::model::load::display_path(model);
    let abs = threatc::gitrepo::absolute_lexical(model);
    let repo = threatc::gitrepo::find(&abs).map_err(|e| match e {
        threatc::gitrepo::RepoError::NotInRepo => git_error(
            format!("`{shown}` is not in a git repository: {e}"),
            "run `threatc diff --git` inside a clone, or compare two files with `threatc diff BASE HEAD`",
        ),
        threatc::gitrepo::RepoError::BadDotGit { .. } => git_error(
            format!("cannot use the repository of `{shown}`: {e}"),
            "`.git` must be the repository's folder, or a worktree's or submodule's `gitdir:` file",
        ),
    })?;
    let rel = abs
        .strip_prefix(&repo.root)
        .ok()
        .filter(|r| !r.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            git_error(
                format!("`{shown}` is outside its repository"),
                "give a model inside the repository",
            )
        })?;
    Ok((repo, rel))
}

/// The commit `rev` names (never read as an option), as a full object id.
fn commit_of(repo: &threatc::gitrepo::Repo, rev: &str) -> Result<String, Diagnostics> {
    let unknown = || {
        git_error(
            format!("unknown revision `{rev}`"),
            "name a commit, branch or tag",
        )
    };
    if rev.starts_with('-') || rev.is_empty() {
        return Err(unknown());
    }
    let commit = repo
        .git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ])
        .map_err(|_| git_error(format!("unknown revision `{rev}`"), "name a commit, branch or tag; in CI fetch the full history (actions/checkout with fetch-depth: 0)"))?;
    if !is_object_id(&commit) {
        return Err(unknown());
    }
    Ok(commit)
}

/// A full hexadecimal object id (SHA-1 or SHA-256), as `rev-parse --verify` prints.
fn is_object_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Drop for GitSnapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
