//! `threatc build`: check, analyse, and write layers, gap tables, report and plan.

use super::{exit, print_out, Ctx};
use std::path::PathBuf;
use threatc::diag::Code;
use threatc::diag::{Diagnostic, OutputFormat};
use threatc::emit;
use threatc::words::plural;

/// `threatc build MODEL --out DIR`
#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// The model file.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Output folder.
    #[arg(long, short, default_value = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// Summary and diagnostics format (json: a summary document on stdout).
    #[arg(long, value_enum, default_value = "human")]
    pub format: super::FormatArg,
    /// Exit with code 1 when any coverage target is unmet.
    #[arg(long)]
    pub fail_under_targets: bool,
    /// Folder of templates overriding the embedded ones by file name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Make problems of a kind fatal: `import-errors` (malformed or unreadable rule files),
    /// `expired-decisions` (decisions whose expiry is before the assessed date).
    #[arg(long, value_enum, value_name = "KIND")]
    pub deny: Vec<super::Deny>,
    /// The trend.csv of `threatc history`: the plan gains a "Coverage over time" section.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}

/// Largest history file read (bytes).
const MAX_HISTORY_BYTES: u64 = 64 * 1024 * 1024;

/// Reads `--history`: the points of a trend.csv, or a `history-input` (or `io-error`)
/// diagnostic at the offending line.
fn read_history(
    ctx: &mut Ctx,
    path: &std::path::Path,
) -> Result<Vec<threatc::emit::trend::TrendPoint>, Diagnostic> {
    let shown = threatc::model::load::display_path(path);
    // The operator's path, through the confined opener: a regular file, size-capped;
    // inside a repository it must resolve inside it.
    let confine = threatc::fsio::Confine::named(path);
    let (text, _) = threatc::fsio::read_text(path, &confine, MAX_HISTORY_BYTES)
        .map_err(|e| Diagnostic::error(Code::IoError, format!("`{shown}` {}", e.phrase())))?;
    let points = threatc::emit::trend::parse_csv(&text);
    let id = ctx.sources.add(shown.clone(), path, text);
    let e = match points {
        Ok(p) if !p.is_empty() => return Ok(p),
        Ok(_) => threatc::emit::trend::TrendError {
            message: "holds no point".into(),
            line: 1,
        },
        Err(e) => e,
    };
    let span = ctx
        .sources
        .get(id)
        .map(|f| f.line_span(id, e.line))
        .unwrap_or_default();
    Err(Diagnostic::error(
        Code::HistoryInput,
        format!("history file `{shown}`: {}", e.message),
    )
    .with_label(span, "here")
    .with_help("give the trend.csv that `threatc history MODEL --out DIR` writes"))
}

/// Runs `build`.
pub fn run(ctx: &mut Ctx, args: &BuildArgs) -> i32 {
    let format = OutputFormat::from(args.format);
    let history = match args.history.as_deref().map(|p| read_history(ctx, p)) {
        None => None,
        Some(Ok(points)) => Some(points),
        Some(Err(d)) => {
            let ds = threatc::diag::Diagnostics::from(d);
            ctx.report(&ds.sorted(), format);
            return super::failure_code(&ds);
        }
    };
    let mut opts = ctx.compile_options(args.deny.contains(&super::Deny::ImportErrors));
    opts.deny_expired_decisions = args.deny.contains(&super::Deny::ExpiredDecisions);
    let compiled = match ctx.compile(&args.model, &opts) {
        Ok(c) => c,
        Err(ds) => {
            ctx.report(&ds.sorted(), format);
            return super::failure_code(&ds);
        }
    };
    let files = match emit_and_write(ctx, args, &compiled, history.as_deref(), format) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let a = &compiled.analysis;
    let out = threatc::model::load::display_path(&args.out);
    let mut warnings = compiled.warnings.clone();
    warnings.extend(super::target_warnings(&compiled));
    match format {
        OutputFormat::Json => {
            ctx.report(&warnings.sorted(), OutputFormat::Human);
            print_out(&json_summary(a, &out, &files));
        }
        other => {
            ctx.report(&warnings.sorted(), other);
            super::eprint_line(human_summary(a, &out, &files).trim_end());
        }
    }
    let code = if args.fail_under_targets && a.targets.iter().any(|t| !t.met) {
        exit::FINDINGS
    } else {
        exit::OK
    };
    // The process exits next, which frees everything at once: taking the model and its
    // analysis apart piece by piece would only add time to every build.
    std::mem::forget(compiled);
    code
}

/// Renders every output and writes them to the output folder (all or nothing); the
/// files written, or the exit code after reporting why not.
fn emit_and_write(
    ctx: &mut Ctx,
    args: &BuildArgs,
    compiled: &threatc::Compiled,
    history: Option<&[threatc::emit::trend::TrendPoint]>,
    format: OutputFormat,
) -> Result<Vec<String>, i32> {
    let t = std::time::Instant::now();
    let outputs = emit::build(
        compiled,
        args.templates.as_deref(),
        history,
        &mut ctx.timings,
    );
    ctx.show_timings();
    let outputs = match outputs {
        Ok(o) => o,
        Err(d) => {
            let mut all = compiled.warnings.clone();
            all.push(d);
            ctx.report(&all.sorted(), format);
            return Err(exit::INVALID);
        }
    };
    ctx.timings.record("emit", t);
    ctx.show_timings();
    let t = std::time::Instant::now();
    let written = emit::write_build(&args.out, outputs);
    ctx.timings.record("write", t);
    ctx.show_timings();
    written.map_err(|e| {
        let mut all = compiled.warnings.clone();
        all.push(
            Diagnostic::error(Code::OutputError, e)
                .with_help("nothing was replaced: the previous outputs are as they were"),
        );
        ctx.report(&all.sorted(), format);
        exit::USAGE
    })
}

/// `--format json`: the summary document on stdout.
fn json_summary(a: &threatc::analysis::Analysis, out: &str, files: &[String]) -> String {
    let doc = serde_json::json!({
        "model": a.model.name,
        "out": out,
        "summary": a.summary,
        "actors": a.actors.iter().map(|x| serde_json::json!({"id": x.id, "coverage": x.coverage, "in_scope": x.in_scope, "covered": x.covered})).collect::<Vec<_>>(),
        "targets": a.targets.iter().map(|t| serde_json::json!({"id": t.id, "met": t.met, "current": t.current, "required": t.required})).collect::<Vec<_>>(),
        "files": files,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// The summary's schedule line (`plan.capacity`): `schedule: 203 gaps and 65 telemetry
/// units, 1218 points at 40 a month: 2026-11 to 2029-06 (32 months)`.
fn schedule_line(sc: &threatc::analysis::Schedule) -> String {
    let span = match (sc.months.first(), sc.months.last()) {
        (Some(a), Some(b)) => format!(
            ": {} to {} ({} {})",
            a.month,
            b.month,
            sc.months.len(),
            plural(sc.months.len(), "month", "months")
        ),
        _ => String::new(),
    };
    let beyond = match sc.beyond.len() {
        0 => String::new(),
        n => format!("; {n} beyond the 10-year horizon"),
    };
    format!(
        "  schedule: {} {} and {} telemetry {}, {} points at {} a month{span}{beyond}\n",
        sc.gaps,
        plural(sc.gaps, "gap", "gaps"),
        sc.telemetry,
        plural(sc.telemetry, "unit", "units"),
        emit::fmt_num(sc.effort_total),
        emit::fmt_num(sc.capacity),
    )
}

/// The summary for people: what was built, the coverage and each target.
fn human_summary(a: &threatc::analysis::Analysis, out: &str, files: &[String]) -> String {
    let s = &a.summary;
    let mut text = format!(
        "built {} → {} ({} {})\n  ATT&CK {} {} · {} {} · {} {} ({} counting)\n  coverage {} of {} in-scope {} = {} (weighted {}) · {} {} (P1 {}, P2 {}, P3 {}) · {} out of scope{}\n",
        threatc::escape::terminal(&a.model.name),
        threatc::escape::terminal(out),
        files.len(),
        plural(files.len(), "file", "files"),
        a.attack.domain,
        a.attack.release,
        a.actors.len(),
        plural(a.actors.len(), "actor", "actors"),
        s.rules,
        plural(s.rules, "rule", "rules"),
        s.rules_counting,
        s.covered,
        s.in_scope,
        plural(s.in_scope, "technique", "techniques"),
        emit::pct(s.coverage),
        emit::pct(s.weighted_coverage),
        s.gaps,
        plural(s.gaps, "gap", "gaps"),
        s.gaps_by_tier.get("P1").copied().unwrap_or(0),
        s.gaps_by_tier.get("P2").copied().unwrap_or(0),
        s.gaps_by_tier.get("P3").copied().unwrap_or(0),
        s.out_of_scope,
        emit::decided_text(s),
    );
    if s.pairs > 0 {
        let by: Vec<String> = s
            .pairs_by_state
            .iter()
            .map(|(state, n)| format!("{state} {n}"))
            .collect();
        text.push_str(&format!(
            "  technique × asset: {} {} · detected {} · validated {} (criticality-weighted) · {}\n",
            s.pairs,
            plural(s.pairs, "pair", "pairs"),
            emit::pct(s.pair_coverage),
            emit::pct(s.pair_validated),
            by.join(", "),
        ));
    }
    if let Some(sc) = &a.schedule {
        text.push_str(&schedule_line(sc));
    }
    for t in &a.targets {
        text.push_str(&format!(
            "  target {}: {} {} of {}{}\n",
            threatc::escape::terminal(&t.id),
            if t.met { "met" } else { "NOT met" },
            emit::pct(t.current),
            emit::pct(t.required),
            if t.met {
                String::new()
            } else {
                format!(" (close {} more)", t.to_close.len())
            }
        ));
    }
    text
}
