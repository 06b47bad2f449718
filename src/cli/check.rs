//! `threatc check`: validate models, write nothing.

use super::{exit, Ctx};
use crate::diag::{Diagnostics, OutputFormat};
use crate::model::load::{load, LoadOptions};
use std::path::PathBuf;

/// `threatc check MODEL...`
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Model files.
    #[arg(required = true, value_name = "MODEL")]
    pub models: Vec<PathBuf>,
    /// Diagnostics format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: OutputFormat,
}

/// Runs `check`.
pub fn run(ctx: &mut Ctx, args: &CheckArgs) -> i32 {
    let mut all = Diagnostics::new();
    let opts = LoadOptions {
        allow_outside_root: ctx.global.allow_outside_root,
    };
    for m in &args.models {
        match load(m, &mut ctx.sources, &opts) {
            Ok(_loaded) => {}
            Err(ds) => all.extend(ds),
        }
    }
    let sorted = all.sorted();
    ctx.report(&sorted, args.format);
    if all.has_errors() {
        exit::INVALID
    } else {
        exit::OK
    }
}
