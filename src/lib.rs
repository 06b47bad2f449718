//! threatc: a threat-model compiler.
//!
//! ```text
//! model.yaml ─load─▶ files (spans kept) ─schema─▶ v1 types ─resolve─▶ Resolved ─analyse─▶ Analysis ─emit─▶ outputs
//! ```
//!
//! [`compile`] runs the pipeline up to the analysis; [`emit::build`] renders every
//! output in memory and [`emit::write_build`] writes them atomically.

// No panics on user data: unwrap, expect and slice indexing are denied outside tests.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod analysis;
pub mod catalog;
pub mod date;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod escape;
pub mod fsio;
pub mod gitrepo;
pub mod import;
pub mod migrate;
pub mod model;
pub mod resolve;
pub mod source;
pub mod suggest;
pub mod technique_id;
pub mod words;

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
    /// Treat expired decisions as errors.
    pub deny_expired_decisions: bool,
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

/// How long one stage took, and the peak resident memory after it (Linux).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageTiming {
    /// Stage name, as printed (nested stages are indented with two spaces).
    pub stage: &'static str,
    /// Wall time.
    pub elapsed: std::time::Duration,
    /// Peak resident set size so far in kB (`VmHWM`), when the system says.
    pub peak_kb: Option<u64>,
    /// CPU time of the process's threads so far (Linux schedstat), when the system says:
    /// with the wall times, it shows which stages keep both cores busy.
    pub cpu: Option<std::time::Duration>,
}

/// Stage timings of a run, for benchmarks (`THREATC_TIMINGS`). The library records
/// them; the caller decides whether and how to show them. A disabled collector
/// records nothing and reads nothing.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    enabled: bool,
    stages: Vec<StageTiming>,
}

impl Timings {
    /// A collector that records when `enabled`.
    pub fn new(enabled: bool) -> Self {
        Timings {
            enabled,
            stages: Vec::new(),
        }
    }

    /// Records that `stage` ran from `since` until now.
    pub fn record(&mut self, stage: &'static str, since: std::time::Instant) {
        if !self.enabled {
            return;
        }
        self.record_duration(stage, since.elapsed());
    }

    /// Records that `stage` took `elapsed` (measured by the caller, e.g. on another
    /// thread).
    pub fn record_duration(&mut self, stage: &'static str, elapsed: std::time::Duration) {
        if !self.enabled {
            return;
        }
        self.stages.push(StageTiming {
            stage,
            elapsed,
            peak_kb: peak_kb(),
            cpu: cpu_time(),
        });
    }

    /// Takes the stages recorded so far, in order.
    pub fn take(&mut self) -> Vec<StageTiming> {
        std::mem::take(&mut self.stages)
    }
}

/// Peak resident memory so far in kB (Linux `VmHWM`), to see which stage sets the peak.
fn peak_kb() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
}

/// CPU time of this process's live threads so far: the sum of the first field (time on
/// a CPU, in ns) of `/proc/self/task/*/schedstat`.
fn cpu_time() -> Option<std::time::Duration> {
    let mut ns: u64 = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        ns += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(std::time::Duration::from_nanos(ns))
}

/// A model's files as loaded, with what its `attack:` section names: the first step of
/// [`compile`], shared with `migrate` and `attack changes`.
pub struct LoadedModel {
    /// The root file and its includes.
    pub loaded: model::load::Loaded,
    /// The domain the root file names (`attack.domain`), if any.
    pub domain: Option<Domain>,
    /// The ATT&CK bundle the root file names (`attack.data`), resolved against its folder,
    /// with where it is named.
    pub attack_data: Option<(PathBuf, source::Span)>,
}

impl From<model::v1::DomainName> for Domain {
    fn from(d: model::v1::DomainName) -> Self {
        match d {
            model::v1::DomainName::Enterprise => Domain::Enterprise,
            model::v1::DomainName::Mobile => Domain::Mobile,
            model::v1::DomainName::Ics => Domain::Ics,
        }
    }
}

impl LoadedModel {
    /// The catalog the model is compiled against: `--attack-data`, else the model's
    /// `attack.data`, else the embedded one of its domain (Enterprise by default).
    pub fn catalog(&self, opts: &CompileOptions) -> Result<CatalogRef, Diagnostic> {
        load_catalog(
            self.domain.unwrap_or(Domain::Enterprise),
            opts,
            self.attack_data.as_ref().map(|(p, s)| (p.as_path(), *s)),
            &self.loaded.root_dir,
        )
    }
}

/// Loads a model and its includes, and reads what its `attack:` section names.
pub fn load_model(
    path: &Path,
    opts: &CompileOptions,
    sources: &mut SourceMap,
) -> Result<LoadedModel, Diagnostics> {
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
    let domain = attack
        .and_then(|a| a.domain.as_ref())
        .map(|d| Domain::from(d.value));
    let attack_data = attack
        .and_then(|a| a.data.as_ref())
        .map(|d| (root.dir.join(&d.value), d.span));
    Ok(LoadedModel {
        loaded,
        domain,
        attack_data,
    })
}

/// The front half of [`compile`]: the model loaded and the catalog it is compiled
/// against.
pub fn load_model_and_catalog(
    path: &Path,
    opts: &CompileOptions,
    sources: &mut SourceMap,
    timings: &mut Timings,
) -> Result<(model::load::Loaded, CatalogRef), Diagnostics> {
    let t = std::time::Instant::now();
    let model = load_model_decoding(path, opts, sources, timings)?;
    timings.record("load", t);
    let t = std::time::Instant::now();
    let catalog = model.catalog(opts)?;
    timings.record("catalog", t);
    Ok((model.loaded, catalog))
}

/// [`load_model`] on a second thread while this one decodes the embedded Enterprise
/// catalog, which most models use: the two are the serial front of every build (about 5
/// and 12 ms on the bank example). The decode runs on the calling thread so that its
/// many allocations come from the main allocator arena rather than a fresh one. A model
/// that turns out to need another catalog only waited for the decode; on one core, or
/// with `--attack-data`, there is nothing to overlap.
fn load_model_decoding(
    path: &Path,
    opts: &CompileOptions,
    sources: &mut SourceMap,
    timings: &mut Timings,
) -> Result<LoadedModel, Diagnostics> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 || opts.attack_data.is_some() {
        return load_model(path, opts, sources);
    }
    let (model, (model_time, decode_time)) = std::thread::scope(|s| {
        let loader = s.spawn(|| {
            let t = std::time::Instant::now();
            let model = load_model(path, opts, sources);
            (model, t.elapsed())
        });
        // An error here is reported by `load_catalog` if the model needs this catalog.
        let t = std::time::Instant::now();
        let _ = catalog::embedded(Domain::Enterprise);
        let decode_time = t.elapsed();
        let (model, model_time) = loader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (model, (model_time, decode_time))
    });
    timings.record_duration("  model", model_time);
    timings.record_duration("  decode", decode_time);
    model
}

/// Runs the pipeline on one model up to the analysis.
pub fn compile(
    path: &Path,
    opts: &CompileOptions,
    sources: &mut SourceMap,
) -> Result<Compiled, Diagnostics> {
    compile_timed(path, opts, sources, &mut Timings::default())
}

/// [`compile`], recording how long each stage takes into `timings`.
pub fn compile_timed(
    path: &Path,
    opts: &CompileOptions,
    sources: &mut SourceMap,
    timings: &mut Timings,
) -> Result<Compiled, Diagnostics> {
    let (loaded, catalog) = load_model_and_catalog(path, opts, sources, timings)?;
    let t = std::time::Instant::now();
    let ropts = resolve::ResolveOptions {
        allow_outside_root: opts.allow_outside_root,
        quiet_version: false,
        deny_import_errors: opts.deny_import_errors,
        deny_expired_decisions: opts.deny_expired_decisions,
        from_attack_data: opts.from_attack_data.clone(),
    };
    // Resolution runs the model's imports too: "resolve" includes them.
    let (resolved, warnings) = resolve::resolve(&loaded, &catalog, sources, &ropts)?;
    timings.record("resolve", t);
    let t = std::time::Instant::now();
    // The parsed files are not needed past this point: free them before the analysis.
    drop(loaded);
    let analysis = analysis::analyse(&resolved, &catalog);
    timings.record("analyse", t);
    Ok(Compiled {
        catalog,
        resolved,
        analysis,
        warnings,
    })
}
