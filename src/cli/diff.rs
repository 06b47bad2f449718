//! `threatc diff`: what a change to a model does to coverage, for pull requests.

use super::gitsnap::GitSnapshot;
use super::{exit, print_out, Ctx};
use std::path::{Path, PathBuf};
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
