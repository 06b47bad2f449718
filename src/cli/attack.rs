//! `threatc attack …`: look things up in the ATT&CK catalog.

use super::{exit, print_out, Ctx};
use serde_json::json;
use threatc::catalog::{Catalog, Domain};
use threatc::diag::Code;
use threatc::diag::Diagnostic;

/// `threatc attack`
#[derive(clap::Args, Debug)]
pub struct AttackArgs {
    #[command(subcommand)]
    pub command: AttackCommand,
}

/// Catalog queries.
#[derive(clap::Subcommand, Debug)]
pub enum AttackCommand {
    /// List groups, or find them by name, alias or words in their description.
    Groups(GroupsArgs),
    /// Show a group, technique, software or campaign by id or name.
    Show(ShowArgs),
    /// What changed between two ATT&CK releases, for all techniques or those a model uses.
    Changes(super::changes::ChangesArgs),
    /// Rebuild the embedded catalog files from ATT&CK STIX bundles (for maintainers).
    #[command(hide = true)]
    BuildCatalog(BuildCatalogArgs),
}

/// Output format of queries.
#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum QueryFormat {
    /// Plain text.
    Text,
    /// JSON.
    Json,
}

/// `threatc attack groups`
#[derive(clap::Args, Debug)]
pub struct GroupsArgs {
    /// Words that must all match the name, an alias or the description (e.g. `financial banks`).
    #[arg(long, num_args = 1.., value_name = "WORDS")]
    pub search: Vec<String>,
    /// ATT&CK domain.
    #[arg(long, value_enum, default_value = "enterprise", ignore_case = true)]
    pub domain: super::DomainArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: QueryFormat,
}

/// `threatc attack show ID`
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// A group (G0046, FIN7, an alias), technique (T1059.001), software (S0154) or campaign (C0022).
    pub id: String,
    /// ATT&CK domain.
    #[arg(long, value_enum, default_value = "enterprise", ignore_case = true)]
    pub domain: super::DomainArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: QueryFormat,
}

/// `threatc attack build-catalog DIR`
#[derive(clap::Args, Debug)]
pub struct BuildCatalogArgs {
    /// Folder holding the bundles of the embedded release (`threatc::catalog::EMBEDDED_RELEASE`).
    #[arg(help = format!(
        "Folder holding enterprise-attack-{r}.json, mobile-attack-{r}.json, ics-attack-{r}.json (the embedded release, {r})",
        r = threatc::catalog::EMBEDDED_RELEASE
    ))]
    pub attack_dir: std::path::PathBuf,
    /// Where to write the compact catalogs.
    #[arg(long, default_value = "data/catalog")]
    pub out: std::path::PathBuf,
}

fn catalog(ctx: &Ctx, domain: super::DomainArg) -> Result<threatc::CatalogRef, i32> {
    let d = Domain::from(domain);
    threatc::load_catalog(
        d,
        &ctx.compile_options(false),
        None,
        std::path::Path::new("."),
    )
    .map_err(|e| {
        ctx.report(&[&e], threatc::diag::OutputFormat::Human);
        exit::USAGE
    })
}

/// Runs `attack`.
pub fn run(ctx: &mut Ctx, args: &AttackArgs) -> i32 {
    match &args.command {
        AttackCommand::Groups(a) => groups(ctx, a),
        AttackCommand::Show(a) => show(ctx, a),
        AttackCommand::Changes(a) => super::changes::run(ctx, a),
        AttackCommand::BuildCatalog(a) => {
            match threatc::catalog::build_embedded(&a.attack_dir, &a.out) {
                Ok(files) => {
                    for f in files {
                        super::eprint_line(&format!("wrote {}", f.display()));
                    }
                    exit::OK
                }
                Err(e) => {
                    ctx.report(
                        &[&Diagnostic::error(
                            Code::AttackData,
                            format!("cannot build the embedded catalog: {e}"),
                        )],
                        threatc::diag::OutputFormat::Human,
                    );
                    exit::USAGE
                }
            }
        }
    }
}

fn groups(ctx: &Ctx, a: &GroupsArgs) -> i32 {
    let cat = match catalog(ctx, a.domain) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let words: Vec<&str> = a.search.iter().flat_map(|w| w.split_whitespace()).collect();
    let found: Vec<&threatc::catalog::Group> = if words.is_empty() {
        cat.groups.iter().collect()
    } else {
        cat.search_groups(&words)
            .into_iter()
            .map(|(g, _)| g)
            .collect()
    };
    match a.format {
        QueryFormat::Json => {
            let v: Vec<_> = found
                .iter()
                .map(|g| {
                    json!({"id": g.id, "name": g.name, "aliases": g.aliases, "techniques": g.techniques.len(),
                           "software_techniques": g.software_techniques.len(), "description": g.description})
                })
                .collect();
            print_out(
                &(serde_json::to_string_pretty(
                    &json!({"attack": format!("{} {}", cat.domain, cat.release), "groups": v}),
                )
                .unwrap_or_default()
                    + "\n"),
            );
        }
        QueryFormat::Text => {
            let mut s = String::new();
            for g in &found {
                let aliases = if g.aliases.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", g.aliases.join(", "))
                };
                s.push_str(&format!(
                    "{:<6} {}{} — {} techniques, {} via software\n",
                    g.id,
                    g.name,
                    aliases,
                    g.techniques.len(),
                    g.software_techniques.len()
                ));
            }
            s.push_str(&format!(
                "{} group(s) in ATT&CK {} {}\n",
                found.len(),
                cat.domain,
                cat.release
            ));
            print_out(&s);
        }
    }
    exit::OK
}

fn technique_json(cat: &Catalog, id: &str) -> Option<serde_json::Value> {
    let t = cat.technique(id)?;
    let dets: Vec<_> = t
        .detection_strategies
        .iter()
        .filter_map(|d| cat.detection_strategy(d))
        .map(|d| {
            let analytics: Vec<_> = d
                .analytics
                .iter()
                .filter_map(|a| cat.analytic(a))
                .map(|a| json!({"id": a.id, "platforms": a.platforms, "log_sources": a.log_sources.iter().map(|l| json!({"name": l.name, "channel": l.channel, "data_component": l.data_component})).collect::<Vec<_>>()}))
                .collect();
            json!({"id": d.id, "name": d.name, "analytics": analytics})
        })
        .collect();
    Some(json!({
        "type": "technique", "id": t.id, "name": threatc::analysis::technique_name(cat, &t.id), "tactics": t.tactics, "platforms": t.platforms,
        "revoked": t.revoked, "revoked_by": t.revoked_by, "deprecated": t.deprecated,
        "groups_using": cat.group_prevalence(&t.id),
        "detection_strategies": dets,
        "mitigations": t.mitigations.iter().map(|m| json!({"id": m.id, "name": cat.mitigation(&m.id).map(|x| x.name.clone()), "text": m.text})).collect::<Vec<_>>(),
    }))
}

fn show(ctx: &Ctx, a: &ShowArgs) -> i32 {
    let cat = match catalog(ctx, a.domain) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let q = a.id.trim();
    let upper = q.to_ascii_uppercase();
    let doc = if let Some(v) = technique_json(&cat, &upper) {
        Some(v)
    } else if let Some(s) = cat.software(&upper) {
        Some(
            json!({"type": "software", "id": s.id, "name": s.name, "kind": s.kind, "aliases": s.aliases, "platforms": s.platforms,
            "techniques": s.techniques.iter().map(|t| t.technique.clone()).collect::<Vec<_>>()}),
        )
    } else if let Some(c) = cat.campaign(&upper) {
        Some(
            json!({"type": "campaign", "id": c.id, "name": c.name, "description": c.description, "groups": c.groups,
            "first_seen": c.first_seen, "last_seen": c.last_seen, "software": c.software,
            "techniques": c.techniques.iter().map(|t| t.technique.clone()).collect::<Vec<_>>()}),
        )
    } else {
        match cat.find_group(q) {
            Some(threatc::catalog::GroupLookup::Active(g)) => Some(json!({
                "type": "group", "id": g.id, "name": g.name, "aliases": g.aliases, "description": g.description,
                "campaigns": g.campaigns, "software": g.software,
                "techniques": g.techniques.iter().map(|t| t.technique.clone()).collect::<Vec<_>>(),
                "software_techniques": g.software_techniques.iter().map(|t| t.technique.clone()).collect::<Vec<_>>(),
            })),
            Some(threatc::catalog::GroupLookup::Replaced { retired, by }) => Some(
                json!({"type": "group", "id": retired.id, "name": retired.name, "revoked": true, "replaced_by": by.id}),
            ),
            Some(threatc::catalog::GroupLookup::Retired(r)) => {
                Some(json!({"type": "group", "id": r.id, "name": r.name, "deprecated": true}))
            }
            None => None,
        }
    };
    let Some(doc) = doc else {
        let mut d = Diagnostic::error(
            Code::UnknownGroup,
            format!(
                "`{q}` is not a group, technique, software or campaign in ATT&CK {} {}",
                cat.domain, cat.release
            ),
        );
        if let Some(g) = cat.nearest_groups(q, 1).first() {
            d = d.with_help(format!("did you mean `{}` ({})?", g.name, g.id));
        } else if let Some(t) = cat.nearest_techniques(q, 1).first() {
            d = d.with_help(format!("did you mean `{}` ({})?", t.id, t.name));
        }
        ctx.report(&[&d], threatc::diag::OutputFormat::Human);
        return exit::USAGE;
    };
    match a.format {
        QueryFormat::Json => {
            print_out(&(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"))
        }
        QueryFormat::Text => print_out(&text_of(&doc, "")),
    }
    exit::OK
}

fn text_of(v: &serde_json::Value, indent: &str) -> String {
    let mut s = String::new();
    let serde_json::Value::Object(m) = v else {
        return s;
    };
    for (k, val) in m {
        match val {
            serde_json::Value::Array(items) if items.iter().all(|i| !i.is_object()) => {
                if items.is_empty() {
                    continue;
                }
                let parts: Vec<String> = items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| i.to_string())
                    })
                    .collect();
                s.push_str(&format!("{indent}{k}: {}\n", parts.join(", ")));
            }
            serde_json::Value::Array(items) => {
                s.push_str(&format!("{indent}{k}:\n"));
                let inner_indent = format!("{indent}    ");
                for i in items {
                    let inner = text_of(i, &inner_indent);
                    // The first line of an item hangs on its dash.
                    let inner = inner.strip_prefix(inner_indent.as_str()).unwrap_or(&inner);
                    s.push_str(&format!("{indent}  - {inner}"));
                }
            }
            serde_json::Value::Null => {}
            serde_json::Value::String(t) => s.push_str(&format!("{indent}{k}: {t}\n")),
            other => s.push_str(&format!("{indent}{k}: {other}\n")),
        }
    }
    s
}
