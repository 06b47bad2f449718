//! `threatc check`: validate models, write nothing.

use super::{exit, Ctx};
use std::path::PathBuf;
use threatc::diag::{Diagnostics, OutputFormat};
use threatc::words::plural;

/// `threatc check MODEL...`
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Model files.
    #[arg(required = true, value_name = "MODEL")]
    pub models: Vec<PathBuf>,
    /// Diagnostics format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: super::FormatArg,
    /// Make problems of a kind fatal: `import-errors` (malformed or unreadable rule files),
    /// `expired-decisions` (decisions whose expiry is before the assessed date).
    #[arg(long, value_enum, value_name = "KIND")]
    pub deny: Vec<super::Deny>,
}

/// Runs `check`.
pub fn run(ctx: &mut Ctx, args: &CheckArgs) -> i32 {
    let format = OutputFormat::from(args.format);
    let mut all = Diagnostics::new();
    let mut failed = false;
    let mut opts = ctx.compile_options(args.deny.contains(&super::Deny::ImportErrors));
    opts.deny_expired_decisions = args.deny.contains(&super::Deny::ExpiredDecisions);
    let mut summaries = Vec::new();
    for m in &args.models {
        match ctx.compile(m, &opts) {
            Ok(c) => {
                summaries.push(format!(
                    "{}: valid ({} {}, {} {}, {} {}, {} {}; ATT&CK {} {})",
                    threatc::escape::terminal(&threatc::model::load::display_path(m)),
                    c.resolved.actors.len(),
                    plural(c.resolved.actors.len(), "actor", "actors"),
                    c.resolved.assets.len(),
                    plural(c.resolved.assets.len(), "asset", "assets"),
                    c.resolved.rules.len(),
                    plural(c.resolved.rules.len(), "rule", "rules"),
                    c.resolved.targets.len(),
                    plural(c.resolved.targets.len(), "target", "targets"),
                    c.catalog.domain,
                    c.catalog.release
                ));
                all.extend(super::target_warnings(&c));
                all.extend(c.warnings);
            }
            Err(ds) => {
                failed = true;
                // With several models, each one's line names its file, the invalid
                // ones too (one model's errors are the total line's).
                if args.models.len() > 1 {
                    summaries.push(format!(
                        "{}: invalid ({} {}, {} {})",
                        threatc::escape::terminal(&threatc::model::load::display_path(m)),
                        ds.error_count(),
                        plural(ds.error_count(), "error", "errors"),
                        ds.warning_count(),
                        plural(ds.warning_count(), "warning", "warnings")
                    ));
                }
                all.extend(ds);
            }
        }
    }
    let sorted = all.sorted();
    ctx.report(&sorted, format);
    if format == OutputFormat::Human {
        for s in &summaries {
            super::eprint_line(s);
        }
        if failed {
            super::eprint_line(&format!(
                "invalid: {} {}, {} {}",
                all.error_count(),
                plural(all.error_count(), "error", "errors"),
                all.warning_count(),
                plural(all.warning_count(), "warning", "warnings")
            ));
        }
    }
    if failed {
        super::failure_code(&all)
    } else {
        exit::OK
    }
}
