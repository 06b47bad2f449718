//! `threatc attack …`: look things up in the ATT&CK catalog.

use super::{exit, print_out, Ctx};
use serde_json::json;
use threatc::catalog::{Catalog, Domain, Entry, GroupLookup};
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
    /// Show a group, technique, software, campaign, mitigation, detection strategy or ICS asset by id, name or alias.
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
    /// An id, name or alias: group (G0046, FIN7, Carbon Spider), technique (T1486, Data Encrypted
    /// for Impact), software (S0446, Ryuk), campaign (C0022), mitigation (M1053), detection
    /// strategy (DET0001) or ATT&CK for ICS asset (`--domain ics A0010`, Safety Controller).
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
                    "{:<6} {}{} — {} {}, {} via software\n",
                    g.id,
                    g.name,
                    aliases,
                    g.techniques.len(),
                    threatc::words::plural(g.techniques.len(), "technique", "techniques"),
                    g.software_techniques.len()
                ));
            }
            s.push_str(&format!(
                "{} {} in ATT&CK {} {}\n",
                found.len(),
                threatc::words::plural(found.len(), "group", "groups"),
                cat.domain,
                cat.release
            ));
            print_out(&s);
        }
    }
    exit::OK
}

/// `[{"id", "name"}]` of ids the catalog names (an unknown id keeps an empty name).
fn named(
    ids: impl IntoIterator<Item = impl AsRef<str>>,
    name: impl Fn(&str) -> Option<String>,
) -> serde_json::Value {
    ids.into_iter()
        .map(|id| {
            let id = id.as_ref();
            json!({"id": id, "name": name(id).unwrap_or_default()})
        })
        .collect()
}

fn group_names(cat: &Catalog, ids: &[threatc::catalog::Str]) -> serde_json::Value {
    named(ids, |id| cat.group(id).map(|g| g.name.to_string()))
}

fn software_names(cat: &Catalog, ids: &[threatc::catalog::Str]) -> serde_json::Value {
    named(ids, |id| cat.software(id).map(|s| s.name.to_string()))
}

fn technique_names<'a>(cat: &Catalog, ids: impl IntoIterator<Item = &'a str>) -> serde_json::Value {
    named(ids, |id| Some(threatc::analysis::technique_name(cat, id)))
}

fn detection_json(cat: &Catalog, d: &threatc::catalog::DetectionStrategy) -> serde_json::Value {
    let analytics: Vec<_> = d
        .analytics
        .iter()
        .filter_map(|a| cat.analytic(a))
        .map(|a| json!({"id": a.id, "platforms": a.platforms, "log_sources": a.log_sources.iter().map(|l| json!({"name": l.name, "channel": l.channel, "data_component": l.data_component})).collect::<Vec<_>>()}))
        .collect();
    json!({"id": d.id, "name": d.name, "analytics": analytics})
}

fn technique_json(cat: &Catalog, t: &threatc::catalog::Technique) -> serde_json::Value {
    let dets: Vec<_> = t
        .detection_strategies
        .iter()
        .filter_map(|d| cat.detection_strategy(d))
        .map(|d| detection_json(cat, d))
        .collect();
    json!({
        "type": "technique", "id": t.id, "name": threatc::analysis::technique_name(cat, &t.id), "tactics": t.tactics, "platforms": t.platforms,
        "revoked": t.revoked, "revoked_by": t.revoked_by, "deprecated": t.deprecated,
        "groups_using": cat.group_prevalence(&t.id),
        "detection_strategies": dets,
        "mitigations": t.mitigations.iter().map(|m| json!({"id": m.id, "name": cat.mitigation(&m.id).map(|x| x.name.clone()), "text": m.text})).collect::<Vec<_>>(),
        "asset_types": named(&t.asset_types, |id| cat.asset_type(id).map(|a| a.name.to_string())),
    })
}

/// The document `attack show` prints for one entry (JSON, or text through [`text_of`]).
fn entry_json(cat: &Catalog, e: Entry<'_>) -> serde_json::Value {
    let ids = |uses: &[threatc::catalog::TechniqueUse]| -> Vec<String> {
        uses.iter().map(|t| t.technique.to_string()).collect()
    };
    match e {
        Entry::Technique(t) => technique_json(cat, t),
        Entry::Group(g) => json!({
            "type": "group", "id": g.id, "name": g.name, "aliases": g.aliases, "description": g.description,
            "campaigns": named(&g.campaigns, |id| cat.campaign(id).map(|c| c.name.to_string())),
            "software": software_names(cat, &g.software),
            "techniques": ids(&g.techniques),
            "software_techniques": ids(&g.software_techniques),
        }),
        Entry::Software(s) => json!({
            "type": "software", "id": s.id, "name": s.name, "kind": s.kind, "aliases": s.aliases, "platforms": s.platforms,
            "groups": named(cat.groups_using_software(&s.id).iter().map(|g| g.id.as_str()), |id| cat.group(id).map(|g| g.name.to_string())),
            "techniques": ids(&s.techniques),
        }),
        Entry::Campaign(c) => json!({
            "type": "campaign", "id": c.id, "name": c.name, "description": c.description,
            "groups": group_names(cat, &c.groups),
            "first_seen": c.first_seen, "last_seen": c.last_seen,
            "software": software_names(cat, &c.software),
            "techniques": ids(&c.techniques),
        }),
        Entry::Mitigation(m) => json!({
            "type": "mitigation", "id": m.id, "name": m.name, "description": m.description,
            "techniques": technique_names(cat, cat.mitigated_by(&m.id).iter().map(|t| t.id.as_str())),
        }),
        Entry::AssetType(a) => json!({
            "type": "asset", "id": a.id, "name": a.name, "description": a.description,
            "platforms": a.platforms, "sectors": a.sectors, "related": a.related,
            "techniques": technique_names(cat, cat.targeting(&a.id).iter().map(|t| t.id.as_str())),
        }),
        Entry::DetectionStrategy(d) => {
            let analytics = detection_json(cat, d)
                .get("analytics")
                .cloned()
                .unwrap_or_default();
            json!({
                "type": "detection-strategy", "id": d.id, "name": d.name,
                "techniques": technique_names(cat, d.techniques.iter().map(threatc::catalog::Str::as_str)),
                "analytics": analytics,
            })
        }
    }
}

/// A retired group's document, when `q` names one.
fn retired_group_json(cat: &Catalog, q: &str) -> Option<serde_json::Value> {
    match cat.find_group(q)? {
        GroupLookup::Replaced { retired, by } => Some(
            json!({"type": "group", "id": retired.id, "name": retired.name, "revoked": true, "replaced_by": by.id}),
        ),
        GroupLookup::Retired(r) => {
            Some(json!({"type": "group", "id": r.id, "name": r.name, "deprecated": true}))
        }
        GroupLookup::Active(g) => Some(entry_json(cat, Entry::Group(g))),
    }
}

fn show(ctx: &Ctx, a: &ShowArgs) -> i32 {
    let cat = match catalog(ctx, a.domain) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let q = a.id.trim();
    let found = cat.find_entries(q);
    let doc = match found.as_slice() {
        [one] => Ok(entry_json(&cat, *one)),
        [] => retired_group_json(&cat, q).ok_or_else(|| {
            let d = Diagnostic::error(
                Code::UnknownEntry,
                format!(
                    "`{q}` is not the id, name or alias of a group, technique, software, campaign, mitigation, detection strategy or asset in ATT&CK {} {}",
                    cat.domain, cat.release
                ),
            );
            let near: Vec<String> = cat
                .nearest_entries(q, 3)
                .iter()
                .map(|e| format!("`{}` ({} {})", e.name(), e.kind(), e.id()))
                .collect();
            if near.is_empty() {
                d.with_help("`threatc attack groups --search WORDS` finds groups by words of their description")
            } else {
                d.with_help(format!("did you mean {}?", near.join(", ")))
            }
        }),
        several => Err(Diagnostic::error(
            Code::UnknownEntry,
            format!(
                "{} entries of ATT&CK {} {} are named `{q}`: {}",
                several.len(),
                cat.domain,
                cat.release,
                several
                    .iter()
                    .map(|e| format!("{} ({} {})", full_name(&cat, e), e.kind(), e.id()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_help("give the id to pick one")),
    };
    let doc = match doc {
        Ok(doc) => doc,
        Err(d) => {
            ctx.report(&[&d], threatc::diag::OutputFormat::Human);
            return exit::USAGE;
        }
    };
    match a.format {
        QueryFormat::Json => {
            print_out(&(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"))
        }
        QueryFormat::Text => print_out(&text_of(&doc, "")),
    }
    exit::OK
}

/// An entry's name; a sub-technique's with its parent's (`Account Discovery: Local Account`).
fn full_name(cat: &Catalog, e: &Entry<'_>) -> String {
    match e {
        Entry::Technique(t) => threatc::analysis::technique_name(cat, &t.id),
        _ => e.name().to_string(),
    }
}

/// `Name (id)` for an `{"id", "name"}` object, else None.
fn id_and_name(v: &serde_json::Value) -> Option<String> {
    let m = v.as_object()?;
    if m.len() != 2 {
        return None;
    }
    let id = m.get("id")?.as_str()?;
    match m.get("name")?.as_str()? {
        "" => Some(id.to_string()),
        name => Some(format!("{name} ({id})")),
    }
}

fn text_of(v: &serde_json::Value, indent: &str) -> String {
    let mut s = String::new();
    let serde_json::Value::Object(m) = v else {
        return s;
    };
    for (k, val) in m {
        match val {
            serde_json::Value::Array(items)
                if !items.is_empty() && items.iter().all(|i| id_and_name(i).is_some()) =>
            {
                let parts: Vec<String> = items.iter().filter_map(id_and_name).collect();
                s.push_str(&format!("{indent}{k}: {}\n", parts.join(", ")));
            }
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
            serde_json::Value::String(t) => {
                // Later paragraphs of a description hang under their key.
                let t = t.replace("\n\n", &format!("\n\n{indent}  "));
                s.push_str(&format!("{indent}{k}: {t}\n"));
            }
            other => s.push_str(&format!("{indent}{k}: {other}\n")),
        }
    }
    s
}
