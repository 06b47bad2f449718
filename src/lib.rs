//! threatc: a threat-model compiler.
//!
//! ```text
//! model.yaml ─load─▶ files (spans kept) ─schema─▶ v1 types ─resolve─▶ Resolved ─analyse─▶ Analysis ─emit─▶ outputs
//! ```
//!
//! [`compile`] runs the pipeline up to the analysis; [`emit::build_outputs`] renders
//! every output in memory and [`emit::write_all`] writes them atomically.

// No panics on user data: unwrap, expect and slice indexing are denied outside tests.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod analysis;
pub mod catalog;
pub mod cli;
pub mod date;
pub mod diag;
pub mod emit;
pub mod escape;
pub mod fsio;
pub mod gitrepo;
pub mod import;
pub mod migrate;
pub mod model;
pub mod resolve;
pub mod source;

use crate::diag::Code;
use catalog::{Catalog, Domain};
use diag::{Diagnostic, Diagnostics};
use source::SourceMap;
use std::path::{Path, PathBuf};

/// Options shared by the commands that compile a model.
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// A STIX bundle to use instead of the embedded catalog.
    pub attack_data: Option<PathBuf>,
    /// Its release, when the file does not say.
    pub attack_release: Option<String>,
    /// The bundle of the model's own release, to report techniques renamed or moved since.
    pub from_attack_data: Option<PathBuf>,
    /// Let include and import paths leave the repository root.
    pub allow_outside_root: bool,
    /// Treat problems in imported rule files as errors.
    pub deny_import_errors: bool,
}

/// The catalog in use: the embedded one or one read from a bundle file.
pub enum CatalogRef {
    /// Embedded in the binary.
    Embedded(&'static Catalog),
    /// Read from a file.
    Owned(Box<Catalog>),
}

impl std::ops::Deref for CatalogRef {
    type Target = Catalog;
    fn deref(&self) -> &Catalog {
        match self {
            CatalogRef::Embedded(c) => c,
            CatalogRef::Owned(c) => c,
        }
    }
}

/// A compiled model.
pub struct Compiled {
    /// The catalog used.
    pub catalog: CatalogRef,
    /// The resolved model.
    pub resolved: resolve::Resolved,
    /// Its analysis.
    pub analysis: analysis::Analysis,
    /// Warnings and notes.
    pub warnings: Diagnostics,
}

/// Loads the catalog for a domain: `--attack-data`, else the model's `attack.data`,
/// else the embedded one.
///
/// `--attack-data` is the operator's choice ([`fsio::Confine::named`]); a model's
/// `attack.data` is untrusted and confined to the model's repository root (`model_root`).
pub fn load_catalog(
    domain: Domain,
    opts: &CompileOptions,
    model_data: Option<(&Path, source::Span)>,
    model_root: &Path,
) -> Result<CatalogRef, Diagnostic> {
    let (path, span) = match (&opts.attack_data, model_data) {
        (Some(p), _) => (Some(p.clone()), None),
        (None, Some((p, s))) => (Some(p.to_path_buf()), Some(s)),
        (None, None) => (None, None),
    };
    match path {
        None => catalog::embedded(domain)
            .map(CatalogRef::Embedded)
            .map_err(|e| Diagnostic::error(Code::AttackData, format!("embedded catalog: {e}"))),
        Some(p) => {
            let confine = match span {
                Some(_) => fsio::Confine::new(model_root, opts.allow_outside_root),
                None => fsio::Confine::named(&p),
            };
            let c = catalog::stix::load_bundle_confined(&p, opts.attack_release.as_deref(), &confine).map_err(|e| {
                let d = Diagnostic::error(
                    Code::AttackData,
                    format!("cannot use ATT&CK data `{}`: {e}", model::load::display_path(&p)),
                )
                .with_help("give an ATT&CK STIX bundle (e.g. enterprise-attack-18.1.json); name its release with --attack-release when the file name does not say");
                match span {
                    Some(s) => d.with_label(s, "named here"),
                    None => d,
                }
            })?;
            Ok(CatalogRef::Owned(Box::new(c)))
        }
    }
}

/// Prints a stage's duration to stderr when `THREATC_TIMINGS` is set (for benchmarks).
pub fn timing(stage: &str, since: std::time::Instant) {
    if std::env::var_os("THREATC_TIMINGS").is_some() {
        // Peak resident memory so far (Linux), to see which stage sets the peak.
        let hwm = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_string())
            })
            .unwrap_or_default();
        eprintln!(
            "timing: {stage:<10} {:>8.2} ms  peak {hwm} kB",
            since.elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// Runs the pipeline on one model up to the analysis.
pub fn compile(
    path: &Path,
    opts: &CompileOptions,
    sources: &mut SourceMap,
) -> Result<Compiled, Diagnostics> {
    let t = std::time::Instant::now();
    let loaded = model::load::load(
        path,
        sources,
        &model::load::LoadOptions {
            allow_outside_root: opts.allow_outside_root,
        },
    )?;
    let root = loaded.files.first().ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(
            Code::EmptyModel,
            "no model file was read",
        ))
    })?;
    let attack = root.content.attack.as_ref().map(|a| &a.value);
    let domain = match attack.and_then(|a| a.domain.as_ref()).map(|d| d.value) {
        Some(model::v1::DomainName::Mobile) => Domain::Mobile,
        Some(model::v1::DomainName::Ics) => Domain::Ics,
        _ => Domain::Enterprise,
    };
    let data_path = attack
        .and_then(|a| a.data.as_ref())
        .map(|d| (root.dir.join(&d.value), d.span));
    timing("load", t);
    let t = std::time::Instant::now();
    let catalog = load_catalog(
        domain,
        opts,
        data_path.as_ref().map(|(p, s)| (p.as_path(), *s)),
        &loaded.root_dir,
    )?;
    timing("catalog", t);
    let t = std::time::Instant::now();
    let ropts = resolve::ResolveOptions {
        allow_outside_root: opts.allow_outside_root,
        quiet_version: false,
        deny_import_errors: opts.deny_import_errors,
    };
    let (mut resolved, mut warnings) = resolve::resolve(&loaded, &catalog, sources, &ropts)?;
    timing("resolve", t);
    let t = std::time::Instant::now();
    warnings.extend(migrate::changes::release_notes(&loaded, &catalog, opts)?);
    let import_diags = resolve::imports::run(&loaded, &catalog, sources, &ropts, &mut resolved);
    let mut import_errors = Diagnostics::new();
    for d in import_diags {
        if d.is_error() {
            import_errors.push(d);
        } else {
            warnings.push(d);
        }
    }
    if import_errors.has_errors() {
        import_errors.extend(warnings);
        return Err(import_errors);
    }
    timing("import", t);
    let t = std::time::Instant::now();
    // The parsed files are not needed past this point: free them before the analysis.
    drop(loaded);
    let analysis = analysis::analyse(&resolved, &catalog);
    timing("analyse", t);
    Ok(Compiled {
        catalog,
        resolved,
        analysis,
        warnings,
    })
}
