//! `threatc import FORMAT PATH`: what an import yields, without a model.

use super::{exit, print_out, Ctx};
use serde_json::json;
use std::path::PathBuf;
use threatc::import::{self, Format, ImportOptions};
use threatc::words::plural;

/// `threatc import FORMAT PATH`
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The rule format.
    #[arg(value_enum, ignore_case = true, value_name = "FORMAT")]
    pub rules: super::ImportFormatArg,
    /// A file, folder or glob.
    pub path: String,
    /// Globs to leave out.
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Output format (`--format-out` is the old name, still accepted).
    #[arg(long, value_enum, default_value = "text", alias = "format-out")]
    pub format: super::attack::QueryFormat,
    /// Print every technique's rule count.
    #[arg(long)]
    pub techniques: bool,
}

/// Runs `import`.
pub fn run(ctx: &mut Ctx, args: &ImportArgs) -> i32 {
    let format = Format::from(args.rules);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let opts = ImportOptions {
        base_dir: cwd.clone(),
        root: threatc::model::load::find_repo_root(&cwd),
        allow_outside_root: true,
        exclude: args.exclude.clone(),
    };
    let _ = &ctx.sources;
    let res = import::import(format, &args.path, &opts);
    let summary = import::summarize(&res);
    match args.format {
        super::attack::QueryFormat::Json => {
            let problems: Vec<_> = res
                .problems
                .iter()
                .map(|p| json!({"file": p.path.display().to_string(), "line": p.line, "column": p.column, "code": p.code, "message": p.message}))
                .collect();
            print_out(
                &(serde_json::to_string_pretty(&json!({
                    "format": format.as_str(),
                    "files": summary.files,
                    "rules": summary.rules,
                    "deprecated": summary.deprecated,
                    "no_technique": summary.no_technique,
                    "techniques": summary.techniques,
                    "problems": problems,
                }))
                .unwrap_or_default()
                    + "\n"),
            );
        }
        super::attack::QueryFormat::Text => {
            let n = summary.techniques.len();
            let np = res.problems.len();
            let mut s = format!(
                "{} {}: {} {}, {} {} ({} deprecated, {} without a technique), {n} {}, {np} {}\n",
                format.as_str(),
                threatc::escape::terminal(&args.path),
                summary.files,
                plural(summary.files, "file", "files"),
                summary.rules,
                plural(summary.rules, "rule", "rules"),
                summary.deprecated,
                summary.no_technique,
                plural(n, "technique", "techniques"),
                plural(np, "problem", "problems"),
            );
            let mut top: Vec<(&String, &usize)> = summary.techniques.iter().collect();
            top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let shown = if args.techniques {
                top.len()
            } else {
                top.len().min(10)
            };
            if shown > 0 {
                s.push_str(if args.techniques {
                    "techniques:\n"
                } else {
                    "top techniques:\n"
                });
            }
            for (t, n) in top.iter().take(shown) {
                s.push_str(&format!("  {:<10} {n}\n", threatc::escape::terminal(t)));
            }
            for p in &res.problems {
                let loc = match (p.line, p.column) {
                    (Some(l), Some(c)) => format!(":{l}:{c}"),
                    (Some(l), None) => format!(":{l}"),
                    _ => String::new(),
                };
                s.push_str(&format!(
                    "{}{}: {}[{}]: {}\n",
                    threatc::escape::terminal(&p.path.display().to_string()),
                    loc,
                    if p.fatal_for_file { "error" } else { "warning" },
                    p.code,
                    threatc::escape::terminal(&p.message)
                ));
            }
            print_out(&s);
        }
    }
    // Nothing could be read at the path itself (missing, refused, a bad glob): a usage
    // error, so a script or CI step does not go on as if the inventory were empty.
    if summary.files == 0 && res.problems.iter().any(|p| p.fatal_for_file) {
        return exit::USAGE;
    }
    exit::OK
}
