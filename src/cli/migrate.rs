//! `threatc migrate`: rewrite a model (and its fragments) or a Navigator layer for the ATT&CK
//! catalog in use. Prints a unified diff, or writes the files with `--write`.

use super::{exit, Ctx};
use std::path::{Path, PathBuf};
use threatc::catalog::Domain;
use threatc::diag::Code;
use threatc::diag::{Diagnostic, Diagnostics, OutputFormat};
use threatc::migrate;
use threatc::model::load::display_path;

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
    let opts = ctx.compile_options(false);
    let loaded = match threatc::model::load::load(
        &args.path,
        &mut ctx.sources,
        &threatc::model::load::LoadOptions {
            allow_outside_root: opts.allow_outside_root,
        },
    ) {
        Ok(l) => l,
        Err(ds) => {
            ctx.report(&ds.sorted(), OutputFormat::Human);
            return exit::INVALID;
        }
    };
    let Some(root) = loaded.files.first() else {
        return fail(
            ctx,
            Diagnostic::error(Code::EmptyModel, "no model file was read"),
            exit::INVALID,
        );
    };
    let attack = root.content.attack.as_ref().map(|a| &a.value);
    let domain = match attack.and_then(|a| a.domain.as_ref()).map(|d| d.value) {
        Some(threatc::model::v1::DomainName::Mobile) => Domain::Mobile,
        Some(threatc::model::v1::DomainName::Ics) => Domain::Ics,
        _ => Domain::Enterprise,
    };
    let data = attack
        .and_then(|a| a.data.as_ref())
        .map(|d| (root.dir.join(&d.value), d.span));
    let catalog = match threatc::load_catalog(
        domain,
        &opts,
        data.as_ref().map(|(p, s)| (p.as_path(), *s)),
        &loaded.root_dir,
    ) {
        Ok(c) => c,
        Err(d) => return fail(ctx, d, exit::USAGE),
    };
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
    finish(args, &files, result.replaced.len(), &catalog.release)
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
            let why = match e {
                threatc::fsio::TextError::Refused(r) => r.phrase(),
                threatc::fsio::TextError::NotUtf8 { .. } => "is not UTF-8 text".to_string(),
            };
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
    finish(args, &files, result.replaced.len(), &catalog.release)
}

/// Prints the diffs or writes the files.
fn finish(
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
            "{} file{} would change ({replaced} technique id{} replaced); run with --write to apply",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            if replaced == 1 { "" } else { "s" }
        ));
        return exit::OK;
    }
    for (path, name, _, new) in files {
        if let Err(e) = write_atomic(path, new) {
            super::eprint_line(&format!("error: cannot write `{name}`: {e}"));
            return exit::USAGE;
        }
        super::eprint_line(&format!("migrated {name} to ATT&CK {release}"));
    }
    exit::OK
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`.
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let tmp = dir.join(format!(".{name}.threatc-migrate.{}", std::process::id()));
    // Created new (O_EXCL): a file or link already at the temporary name is neither
    // written through nor removed.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    let result = (|| {
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        drop(file);
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
