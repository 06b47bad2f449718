//! `threatc attack changes`: what changed between two ATT&CK releases, for every technique or
//! only those a model uses.

use super::{exit, Ctx};
use std::path::{Path, PathBuf};
use threatc::catalog::{Catalog, Domain, EMBEDDED_RELEASE};
use threatc::diag::{Code, Diagnostic, OutputFormat};
use threatc::migrate::changes::{compare, Change, ChangeKind};
use threatc::model::load::display_path;
use threatc::words::plural;
use threatc::CatalogRef;

/// Output formats of `attack changes`.
#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum ChangesFormat {
    /// Readable text.
    Text,
    /// JSON.
    Json,
}

/// `threatc attack changes --from RELEASE [--to RELEASE] [--model MODEL]`
#[derive(clap::Args, Debug)]
pub struct ChangesArgs {
    /// The old release. Releases other than the embedded 18.1 need their bundle (--from-data).
    #[arg(long, value_name = "RELEASE")]
    pub from: String,
    /// The new release (default: the catalog in use, i.e. --attack-data or the embedded 18.1).
    #[arg(long, value_name = "RELEASE")]
    pub to: Option<String>,
    /// The STIX bundle of the old release.
    #[arg(long, value_name = "FILE")]
    pub from_data: Option<PathBuf>,
    /// The STIX bundle of the new release.
    #[arg(long, value_name = "FILE")]
    pub to_data: Option<PathBuf>,
    /// Only the techniques this model (and its fragments) uses; new techniques are not listed.
    #[arg(long, value_name = "MODEL")]
    pub model: Option<PathBuf>,
    /// The ATT&CK domain when no model says it.
    #[arg(long, value_enum, default_value = "enterprise", ignore_case = true)]
    pub domain: super::DomainArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ChangesFormat,
}

fn catalog_for(
    domain: Domain,
    release: &str,
    data: Option<&Path>,
    flag: &str,
) -> Result<CatalogRef, Diagnostic> {
    let release = release.trim_start_matches(['v', 'V']);
    match data {
        Some(p) => bundle(p, Some(release)),
        None if release == EMBEDDED_RELEASE => threatc::catalog::embedded(domain)
            .map(CatalogRef::Embedded)
            .map_err(|e| Diagnostic::error(Code::AttackData, format!("embedded catalog: {e}"))),
        None => Err(Diagnostic::error(
            Code::AttackData,
            format!("ATT&CK {release} is not embedded (only {EMBEDDED_RELEASE} is)"),
        )
        .with_help(format!(
            "pass its bundle with {flag} FILE (e.g. enterprise-attack-{release}.json)"
        ))),
    }
}

/// A bundle the operator named on the command line.
fn bundle(path: &Path, release: Option<&str>) -> Result<CatalogRef, Diagnostic> {
    threatc::catalog::load_bundle_file(path, release)
        .map(|c| CatalogRef::Owned(Box::new(c)))
        .map_err(|e| {
            Diagnostic::error(
                Code::AttackData,
                format!("cannot use ATT&CK data `{}`: {e}", display_path(path)),
            )
        })
}

/// Runs `attack changes`.
pub fn run(ctx: &mut Ctx, args: &ChangesArgs) -> i32 {
    let mut domain = Domain::from(args.domain);
    let mut ids: Option<Vec<String>> = None;
    if let Some(m) = &args.model {
        // The model's own domain wins over --domain.
        let model = match threatc::load_model(m, &ctx.compile_options(false), &mut ctx.sources) {
            Ok(l) => l,
            Err(ds) => {
                ctx.report(&ds.sorted(), OutputFormat::Human);
                return exit::INVALID;
            }
        };
        domain = model.domain.unwrap_or(domain);
        let mut list = Vec::new();
        for f in &model.loaded.files {
            for l in threatc::migrate::model::technique_lists(&f.content) {
                list.extend(l.iter().map(|t| t.value.trim().to_string()));
            }
        }
        ids = Some(list);
    }
    let catalogs = catalog_for(domain, &args.from, args.from_data.as_deref(), "--from-data")
        .and_then(|old| {
            let new = match (&args.to, &args.to_data, &ctx.global.attack_data) {
                (to, Some(p), _) => catalog_for(
                    domain,
                    to.as_deref().unwrap_or(EMBEDDED_RELEASE),
                    Some(p),
                    "--to-data",
                ),
                (None, None, Some(p)) => bundle(p, ctx.global.attack_release.as_deref()),
                (to, None, _) => catalog_for(
                    domain,
                    to.as_deref().unwrap_or(EMBEDDED_RELEASE),
                    None,
                    "--to-data",
                ),
            }?;
            Ok((old, new))
        });
    let (old, new) = match catalogs {
        Ok(c) => c,
        Err(d) => {
            ctx.report(&[&d], OutputFormat::Human);
            return exit::USAGE;
        }
    };
    let changes = compare(&old, &new, ids.as_deref());
    let out = match args.format {
        ChangesFormat::Json => render_json(&old, &new, &changes),
        ChangesFormat::Text => render_text(&old, &new, &changes),
    };
    super::print_out(&out);
    exit::OK
}

fn render_json(old: &Catalog, new: &Catalog, changes: &[Change]) -> String {
    let v = serde_json::json!({
        "domain": new.domain,
        "from": old.release,
        "to": new.release,
        "changes": changes,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

fn render_text(old: &Catalog, new: &Catalog, changes: &[Change]) -> String {
    let mut s = format!(
        "ATT&CK {} {} → {}: {} {}\n",
        new.domain,
        old.release,
        new.release,
        changes.len(),
        plural(changes.len(), "change", "changes")
    );
    let name_of = |id: &str| {
        new.technique(id)
            .map(|t| t.name.clone())
            .unwrap_or_default()
    };
    for label in [
        "tactic-renamed",
        "revoked",
        "deprecated",
        "renamed",
        "moved",
        "new",
    ] {
        let of: Vec<&Change> = changes.iter().filter(|c| c.kind.label() == label).collect();
        if of.is_empty() {
            continue;
        }
        s.push_str(&format!("\n{label} ({}):\n", of.len()));
        for c in of {
            let line = match &c.kind {
                ChangeKind::Revoked { by: Some(by) } => {
                    format!("{} {} → {by} ({})", c.id, c.name, name_of(by))
                }
                ChangeKind::Revoked { by: None } => format!("{} {} (no replacement)", c.id, c.name),
                ChangeKind::Deprecated | ChangeKind::New => format!("{} {}", c.id, c.name),
                ChangeKind::Renamed { from, to } => format!("{} {from} → {to}", c.id),
                ChangeKind::TacticRenamed {
                    from_name,
                    to_name,
                    from,
                    to,
                } => format!("{} {from_name} → {to_name} ({from} → {to})", c.id),
                ChangeKind::Moved { from, to } => format!(
                    "{} {}: {} → {}",
                    c.id,
                    c.name,
                    from.join(", "),
                    to.join(", ")
                ),
            };
            s.push_str(&format!("  {line}\n"));
        }
    }
    s
}
