//! `threatc migrate`: rewrite a model (and its fragments) or a Navigator layer for the ATT&CK
//! catalog in use. Prints a unified diff, or writes the files with `--write`.

use super::{exit, Ctx};
use std::path::{Path, PathBuf};
use threatc::catalog::Domain;
use threatc::diag::Code;
use threatc::diag::{Diagnostic, Diagnostics, OutputFormat};
use threatc::migrate;
use threatc::model::load::display_path;
use threatc::words::plural;

/// `threatc migrate MODEL|LAYER.json [--to RELEASE] [--write]`
#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    /// A model file (its included fragments are migrated too) or a Navigator layer (`.json`).
    #[arg(value_name = "MODEL|LAYER")]
    pub path: PathBuf,
    /// The release to migrate to; must be the release of the catalog in use (the embedded
    /// one, or --attack-data).
    #[arg(long, value_name = "RELEASE")]
    pub to: Option<String>,
    /// Write the migrated files (atomically) instead of printing a diff.
    #[arg(long)]
    pub write: bool,
}

/// Runs `migrate`.
pub fn run(ctx: &mut Ctx, args: &MigrateArgs) -> i32 {
    let is_layer = args
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_layer {
        run_layer(ctx, args)
    } else {
        run_model(ctx, args)
    }
}

fn fail(ctx: &Ctx, d: Diagnostic, code: i32) -> i32 {
    ctx.report(&[&d], OutputFormat::Human);
    code
}

/// Checks `--to` against the catalog's release.
fn check_to(args: &MigrateArgs, release: &str) -> Result<(), Diagnostic> {
    match &args.to {
        Some(to) if to.trim_start_matches(['v', 'V']) != release => Err(Diagnostic::error(
            Code::MigrateRelease,
            format!("cannot migrate to ATT&CK {to}: the catalog in use is {release}"),
        )
        .with_help(format!(
            "pass the {to} bundle with --attack-data (e.g. --attack-data enterprise-attack-{}.json)",
            to.trim_start_matches(['v', 'V'])
        ))),
        _ => Ok(()),
    }
}

fn run_model(ctx: &mut Ctx, args: &MigrateArgs) -> i32 {
    // The front half of `compile`: the model and its catalog. A model that cannot be
    // loaded is invalid (2); a catalog that cannot be read is a usage error (3).
    let opts = ctx.compile_options(false);
    let model = match threatc::load_model(&args.path, &opts, &mut ctx.sources) {
        Ok(m) => m,
        Err(ds) => {
            ctx.report(&ds.sorted(), OutputFormat::Human);
            return exit::INVALID;
        }
    };
    let catalog = match model.catalog(&opts) {
        Ok(c) => c,
        Err(d) => return fail(ctx, d, exit::USAGE),
    };
    let loaded = model.loaded;
    if let Err(d) = check_to(args, &catalog.release) {
        return fail(ctx, d, exit::USAGE);
    }
    let result = migrate::model::migrate(&loaded, &catalog, &ctx.sources);
    let mut diags = Diagnostics::new();
    diags.extend(result.diags.iter().cloned());
    ctx.report(&diags.sorted(), OutputFormat::Human);
    if !result.changed() {
        super::eprint_line(&format!(
            "{}: nothing to migrate (ATT&CK {} {})",
            display_path(&args.path),
            catalog.domain,
            catalog.release
        ));
        return exit::OK;
    }
    let files: Vec<(PathBuf, String, String, String)> = result
        .files
        .iter()
        .filter(|f| f.old != f.new)
        .map(|f| (f.path.clone(), f.name.clone(), f.old.clone(), f.new.clone()))
        .collect();
    finish(ctx, args, &files, result.replaced.len(), &catalog.release)
}

/// Largest layer file `migrate` reads (bytes).
const MAX_LAYER_BYTES: u64 = 64 * 1024 * 1024;

fn run_layer(ctx: &mut Ctx, args: &MigrateArgs) -> i32 {
    let shown = display_path(&args.path);
    // A layer is read through the confined opener: a regular file, size-capped, and a
    // path inside a repository must resolve inside it.
    let confine = threatc::fsio::Confine::named(&args.path);
    let text = match threatc::fsio::read_text(&args.path, &confine, MAX_LAYER_BYTES) {
        Ok((t, _)) => t,
        Err(e) => {
            let why = e.phrase();
            return fail(
                ctx,
                Diagnostic::error(Code::IoError, format!("`{shown}` {why}")),
                exit::USAGE,
            );
        }
    };
    let domain = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("domain")
                .and_then(|d| d.as_str())
                .and_then(|d| d.parse::<Domain>().ok())
        })
        .unwrap_or(Domain::Enterprise);
    let opts = ctx.compile_options(false);
    let catalog = match threatc::load_catalog(domain, &opts, None, Path::new(".")) {
        Ok(c) => c,
        Err(d) => return fail(ctx, d, exit::USAGE),
    };
    if let Err(d) = check_to(args, &catalog.release) {
        return fail(ctx, d, exit::USAGE);
    }
    let result = match migrate::layer::migrate(&text, &catalog) {
        Ok(r) => r,
        Err(e) => {
            return fail(
                ctx,
                Diagnostic::error(
                    Code::MigrateLayer,
                    format!("`{shown}` is not a Navigator layer: {e}"),
                ),
                exit::INVALID,
            )
        }
    };
    let refs: Vec<&Diagnostic> = result.diags.iter().collect();
    ctx.report(&refs, OutputFormat::Human);
    if !result.changed {
        super::eprint_line(&format!(
            "{shown}: nothing to migrate (ATT&CK {} {})",
            catalog.domain, catalog.release
        ));
        return exit::OK;
    }
    let files = vec![(args.path.clone(), shown, text, result.text)];
    finish(ctx, args, &files, result.replaced.len(), &catalog.release)
}

/// Prints the diffs or writes the files.
fn finish(
    ctx: &Ctx,
    args: &MigrateArgs,
    files: &[(PathBuf, String, String, String)],
    replaced: usize,
    release: &str,
) -> i32 {
    if !args.write {
        let mut out = String::new();
        for (_, name, old, new) in files {
            out.push_str(&migrate::diff::unified(name, old, new));
        }
        super::print_out(&out);
        super::eprint_line(&format!(
            "{} {} would change ({replaced} technique {} replaced); run with --write to apply",
            files.len(),
            plural(files.len(), "file", "files"),
            plural(replaced, "id", "ids")
        ));
        return exit::OK;
    }
    for (path, name, _, new) in files {
        if let Err(e) = threatc::emit::write_file_atomic(path, new.as_bytes()) {
            return fail(
                ctx,
                Diagnostic::error(Code::OutputError, format!("cannot write `{name}`: {e}"))
                    .with_help("the file is as it was"),
                exit::USAGE,
            );
        }
        super::eprint_line(&format!("migrated {name} to ATT&CK {release}"));
    }
    exit::OK
}
