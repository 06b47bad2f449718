//! `threatc attack changes`: what changed between two ATT&CK releases, for every technique or
//! only those a model uses.

use super::{exit, Ctx};
use std::path::{Path, PathBuf};
use threatc::catalog::{Catalog, Domain, EMBEDDED_RELEASE};
use threatc::migrate::changes::{compare, Change, ChangeKind};
use threatc::model::load::display_path;
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
    #[arg(long, default_value = "enterprise", value_name = "DOMAIN")]
    pub domain: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ChangesFormat,
}

fn catalog_for(
    domain: Domain,
    release: &str,
    data: Option<&Path>,
    flag: &str,
) -> Result<CatalogRef, String> {
    let release = release.trim_start_matches(['v', 'V']);
    match data {
        Some(p) => threatc::catalog::load_bundle_file(p, Some(release))
            .map(|c| CatalogRef::Owned(Box::new(c)))
            .map_err(|e| format!("cannot use ATT&CK data `{}`: {e}", display_path(p))),
        None if release == EMBEDDED_RELEASE => threatc::catalog::embedded(domain)
            .map(CatalogRef::Embedded)
            .map_err(|e| format!("embedded catalog: {e}")),
        None => Err(format!(
            "ATT&CK {release} is not embedded (only {EMBEDDED_RELEASE} is); pass its bundle with {flag} FILE (e.g. enterprise-attack-{release}.json)"
        )),
    }
}

/// Runs `attack changes`.
pub fn run(ctx: &mut Ctx, args: &ChangesArgs) -> i32 {
    let err = |m: String| {
        super::eprint_line(&format!("error: {m}"));
        exit::USAGE
    };
    let mut domain = match args.domain.parse::<Domain>() {
        Ok(d) => d,
        Err(e) => return err(e.to_string()),
    };
    let mut ids: Option<Vec<String>> = None;
    if let Some(m) = &args.model {
        let loaded = match threatc::model::load::load(
            m,
            &mut ctx.sources,
            &threatc::model::load::LoadOptions {
                allow_outside_root: ctx.global.allow_outside_root,
            },
        ) {
            Ok(l) => l,
            Err(ds) => {
                ctx.report(&ds.sorted(), threatc::diag::OutputFormat::Human);
                return exit::INVALID;
            }
        };
        if let Some(d) = loaded
            .files
            .first()
            .and_then(|f| f.content.attack.as_ref())
            .and_then(|a| a.value.domain.as_ref())
        {
            domain = match d.value {
                threatc::model::v1::DomainName::Enterprise => Domain::Enterprise,
                threatc::model::v1::DomainName::Mobile => Domain::Mobile,
                threatc::model::v1::DomainName::Ics => Domain::Ics,
            };
        }
        let mut list = Vec::new();
        for f in &loaded.files {
            for l in threatc::migrate::model::technique_lists(&f.content) {
                list.extend(l.iter().map(|t| t.value.trim().to_string()));
            }
        }
        ids = Some(list);
    }
    let old = match catalog_for(domain, &args.from, args.from_data.as_deref(), "--from-data") {
        Ok(c) => c,
        Err(e) => return err(e),
    };
    let new = match (&args.to, &args.to_data, &ctx.global.attack_data) {
        (to, Some(p), _) => catalog_for(
            domain,
            to.as_deref().unwrap_or(EMBEDDED_RELEASE),
            Some(p),
            "--to-data",
        ),
        (None, None, Some(p)) => {
            threatc::catalog::load_bundle_file(p, ctx.global.attack_release.as_deref())
                .map(|c| CatalogRef::Owned(Box::new(c)))
                .map_err(|e| format!("cannot use ATT&CK data `{}`: {e}", display_path(p)))
        }
        (to, None, _) => catalog_for(
            domain,
            to.as_deref().unwrap_or(EMBEDDED_RELEASE),
            None,
            "--to-data",
        ),
    };
    let new = match new {
        Ok(c) => c,
        Err(e) => return err(e),
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
        "ATT&CK {} {} → {}: {} change{}\n",
        new.domain,
        old.release,
        new.release,
        changes.len(),
        if changes.len() == 1 { "" } else { "s" }
    );
    let name_of = |id: &str| {
        new.technique(id)
            .map(|t| t.name.clone())
            .unwrap_or_default()
    };
    for label in ["revoked", "deprecated", "renamed", "moved", "new"] {
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
