//! `threatc init [DIR]`: a ready model repository (model, rule folders, .gitignore and a
//! CI workflow using the threatc GitHub Action), from flags or a few questions.

use super::{exit, Ctx};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use threatc::catalog::{Catalog, Domain, GroupLookup};
use threatc::diag::{Code, Diagnostic, OutputFormat};

/// `threatc init`
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Writes DIR/model.yaml (with the schema modeline for editors), DIR/rules/local.yaml (inline
rules), DIR/detections/sigma/ (for Sigma rules), DIR/.gitignore (out/, threatc-out/) and
DIR/.github/workflows/threatc.yml (the threatc GitHub Action: check with annotations,
build, the pull-request diff comment and the regression gate). An existing file is never
overwritten: init refuses (exit 3) and writes nothing.

Without flags, in a terminal, init asks for the groups, a search and the platforms.

Examples:
  threatc init my-model --group \"Wizard Spider\" --group FIN12 --platforms Windows,Linux
  threatc init --search healthcare ransomware")]
pub struct InitArgs {
    /// The folder of the model repository (created when missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// An ATT&CK group to defend against, by name, alias or id (repeatable).
    #[arg(long = "group", value_name = "NAME")]
    pub groups: Vec<String>,
    /// Also every group whose name, aliases or description match all these words.
    #[arg(long, num_args = 1.., value_name = "WORDS")]
    pub search: Vec<String>,
    /// The platforms of the estate, comma-separated (ATT&CK names: Windows,Linux,macOS,…).
    #[arg(long, value_delimiter = ',', value_name = "PLATFORMS")]
    pub platforms: Vec<String>,
    /// The model's name, a slug (default: the folder's name).
    #[arg(long, value_name = "SLUG")]
    pub name: Option<String>,
    /// Ask the questions even when stdin is not a terminal (one answer per line).
    #[arg(long)]
    pub interactive: bool,
}

/// What the generated model says.
#[derive(Debug, Default)]
struct Answers {
    groups: Vec<String>,
    search: Vec<String>,
    platforms: Vec<String>,
    name: Option<String>,
}

/// The workflow of a team's model repository, as shipped in examples/.
const WORKFLOW: &str = include_str!("../../examples/model-repo-workflow.yml");

fn usage(ctx: &Ctx, d: Diagnostic) -> i32 {
    ctx.report(&[&d], OutputFormat::Human);
    exit::USAGE
}

/// Runs `init`.
pub fn run(ctx: &mut Ctx, args: &InitArgs) -> i32 {
    let flags = !args.groups.is_empty() || !args.search.is_empty() || !args.platforms.is_empty();
    let answers = if args.interactive || (!flags && std::io::stdin().is_terminal()) {
        match ask(&args.dir) {
            Ok(a) => a,
            Err(e) => {
                return usage(
                    ctx,
                    Diagnostic::error(Code::IoError, format!("cannot read the answers: {e}")),
                )
            }
        }
    } else {
        Answers {
            groups: args.groups.clone(),
            search: args.search.clone(),
            platforms: args.platforms.clone(),
            name: args.name.clone(),
        }
    };
    let name = answers
        .name
        .clone()
        .or_else(|| args.name.clone())
        .unwrap_or_else(|| slug_of(&args.dir));
    if !is_slug(&name) {
        return usage(
            ctx,
            Diagnostic::error(Code::SchemaValue, format!("`{name}` is not a model name"))
                .with_help(
                    "a slug: lower-case letters, digits, `.`, `_` or `-`, e.g. `acme-hospital`",
                ),
        );
    }
    let cat = match threatc::load_catalog(
        Domain::Enterprise,
        &ctx.compile_options(false),
        None,
        Path::new("."),
    ) {
        Ok(c) => c,
        Err(e) => return usage(ctx, e),
    };
    let groups = match pick_groups(&cat, &answers) {
        Ok(g) => g,
        Err(d) => return usage(ctx, *d),
    };
    let platforms = match pick_platforms(&cat, &answers.platforms) {
        Ok(p) => p,
        Err(d) => return usage(ctx, *d),
    };
    let files = files(&name, &groups, &platforms, &cat.release);
    let existing: Vec<String> = files
        .iter()
        .map(|(p, _)| args.dir.join(p))
        .filter(|p| std::fs::symlink_metadata(p).is_ok())
        .map(|p| threatc::model::load::display_path(&p))
        .collect();
    if !existing.is_empty() {
        return usage(
            ctx,
            Diagnostic::error(
                Code::InitExists,
                format!(
                    "init would overwrite {}: {}",
                    threatc::words::plural(existing.len(), "a file", "files"),
                    existing.join(", ")
                ),
            )
            .with_help("nothing was written: init into an empty folder, or move these files away"),
        );
    }
    for (rel, text) in &files {
        let path = args.dir.join(rel);
        if let Err(e) = write_new(&path, text) {
            return usage(
                ctx,
                Diagnostic::error(
                    Code::IoError,
                    format!(
                        "cannot write `{}`: {e}",
                        threatc::model::load::display_path(&path)
                    ),
                ),
            );
        }
    }
    let model = threatc::model::load::display_path(&args.dir.join("model.yaml"));
    let mut msg = format!(
        "created {model} ({} {}: {}), rules/local.yaml, detections/sigma/, .gitignore and .github/workflows/threatc.yml",
        groups.len(),
        threatc::words::plural(groups.len(), "group", "groups"),
        groups
            .iter()
            .map(|(id, n)| format!("{n} {id}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    msg.push_str(&format!(
        "\nnext: threatc check {model} && threatc build {model} --out out"
    ));
    super::eprint_line(&msg);
    exit::OK
}

/// Asks the questions on stderr and reads one answer per line from stdin.
fn ask(dir: &Path) -> std::io::Result<Answers> {
    let stdin = std::io::stdin();
    // Piped answers are echoed, so that a log shows each answer after its question.
    let echo = !stdin.is_terminal();
    let mut lines = stdin.lock().lines();
    let mut question = |q: &str| -> std::io::Result<String> {
        let mut err = std::io::stderr();
        write!(err, "{q}")?;
        err.flush()?;
        let answer = lines
            .next()
            .transpose()?
            .unwrap_or_default()
            .trim()
            .to_string();
        if echo {
            writeln!(err, "{}", threatc::escape::terminal_output(&answer))?;
        }
        Ok(answer)
    };
    let list = |s: &str| -> Vec<String> {
        s.split(',')
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect()
    };
    let default_name = slug_of(dir);
    let name = question(&format!("Model name [{default_name}]: "))?;
    let groups = list(&question(
        "ATT&CK groups to defend against (names, aliases or ids, comma-separated; empty to search): ",
    )?);
    let search = if groups.is_empty() {
        question(
            "Words that describe your sector, to find its groups (e.g. healthcare ransomware): ",
        )?
        .split_whitespace()
        .map(str::to_string)
        .collect()
    } else {
        Vec::new()
    };
    let platforms = list(&question(
        "Platforms of your estate (comma-separated, e.g. Windows, Linux; empty for all): ",
    )?);
    Ok(Answers {
        groups,
        search,
        platforms,
        name: (!name.is_empty()).then_some(name),
    })
}

/// The groups named or searched for, as (id, name), once each, in the order given.
fn pick_groups(cat: &Catalog, a: &Answers) -> Result<Vec<(String, String)>, Box<Diagnostic>> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |id: &str, name: &str| {
        if !out.iter().any(|(i, _)| i == id) {
            out.push((id.to_string(), name.to_string()));
        }
    };
    for q in &a.groups {
        match cat.find_group(q.trim()) {
            Some(GroupLookup::Active(g)) => push(&g.id, &g.name),
            Some(GroupLookup::Replaced { by, .. }) => push(&by.id, &by.name),
            Some(GroupLookup::Retired(r)) => {
                return Err(Box::new(Diagnostic::error(
                    Code::RevokedGroup,
                    format!("`{q}` ({}) is deprecated in ATT&CK {}", r.id, cat.release),
                )))
            }
            None => {
                let mut d = Diagnostic::error(
                    Code::UnknownGroup,
                    format!(
                        "`{q}` is not a group in ATT&CK {} {}",
                        cat.domain, cat.release
                    ),
                );
                if let Some(g) = cat.nearest_groups(q, 1).first() {
                    d = d.with_help(format!("did you mean `{}` ({})?", g.name, g.id));
                }
                return Err(Box::new(d));
            }
        }
    }
    let words: Vec<&str> = a.search.iter().flat_map(|w| w.split_whitespace()).collect();
    if !words.is_empty() {
        let found = cat.search_groups(&words);
        if found.is_empty() {
            return Err(Box::new(
                Diagnostic::error(
                    Code::UnknownGroup,
                    format!("no group of ATT&CK {} matches `{}`", cat.release, words.join(" ")),
                )
                .with_help("try fewer or other words (`threatc attack groups --search WORDS`), or name groups with --group"),
            ));
        }
        for (g, _) in found {
            push(&g.id, &g.name);
        }
    }
    if out.is_empty() {
        return Err(Box::new(
            Diagnostic::error(Code::NoActors, "init needs at least one group to defend against")
                .with_help("give --group NAME (repeatable) or --search WORDS, or run `threatc init` in a terminal to be asked"),
        ));
    }
    Ok(out)
}

/// The platforms given, spelt as the catalog spells them.
fn pick_platforms(cat: &Catalog, given: &[String]) -> Result<Vec<String>, Box<Diagnostic>> {
    let mut out: Vec<String> = Vec::new();
    for p in given.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        match cat.is_platform(p) {
            Some(c) => {
                if !out.iter().any(|o| o == c) {
                    out.push(c.to_string());
                }
            }
            None => {
                let d = Diagnostic::error(
                    Code::UnknownPlatform,
                    format!(
                        "`{p}` is not a platform of ATT&CK {} {}",
                        cat.domain, cat.release
                    ),
                );
                let all = cat.platforms.join(", ");
                let d = d.with_help(match threatc::suggest::platform(p, &cat.platforms) {
                    Some(s) => format!("did you mean `{s}`? platforms: {all}"),
                    None => format!("platforms: {all}"),
                });
                return Err(Box::new(d));
            }
        }
    }
    Ok(out)
}

/// The folder's name as a slug, or `threat-model`.
fn slug_of(dir: &Path) -> String {
    let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let raw = abs
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut s = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
            s.push(c);
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let s: String = s
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .take(64)
        .collect();
    if is_slug(&s) {
        s
    } else {
        "threat-model".to_string()
    }
}

/// The model format's slug: `^[a-z0-9][a-z0-9._-]{0,63}$`.
fn is_slug(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.len() <= 64
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

/// The schema modeline for editors (yaml-language-server), at this version's tag.
fn modeline() -> String {
    format!(
        "# yaml-language-server: $schema=https://raw.githubusercontent.com/threatc/threatc/v{}/schemas/threatc-model-v1.schema.json\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// Today (UTC), for `assessed:`.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    threatc::date::Date::parse("1970-01-01")
        .map(|d| d.add_days(i64::try_from(days).unwrap_or(0)).to_string())
        .unwrap_or_default()
}

/// A YAML scalar for a group or platform name: plain when safe, else double-quoted.
fn scalar(s: &str) -> String {
    let plain = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '_'))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

/// Every file init writes, relative to DIR.
fn files(
    name: &str,
    groups: &[(String, String)],
    platforms: &[String],
    release: &str,
) -> Vec<(PathBuf, String)> {
    let mut m = modeline();
    m.push_str(&format!(
        "# The threat model: who we defend against, what we defend, and what we detect.\n\
         # `threatc check model.yaml` validates it; `threatc build model.yaml --out out` writes the\n\
         # Navigator layers, gap tables and plan.\n\
         threatc: 1\n\
         model:\n  name: {name}\n  title: {name}\n  assessed: {}\n\
         attack:\n  domain: enterprise\n  version: \"{release}\"\n\n\
         include:\n  - rules/local.yaml\n\nactors:\n",
        today()
    ));
    for (id, g) in groups {
        m.push_str(&format!(
            "  - group: {}    # {id}\n    weight: 1\n    software: true    # also the techniques of its software (ransomware, tools)\n",
            scalar(g)
        ));
    }
    let plats = platforms
        .iter()
        .map(|p| scalar(p))
        .collect::<Vec<_>>()
        .join(", ");
    m.push_str(&format!(
        "\nassets:\n  - id: estate\n    name: Our estate\n    platforms: [{plats}]    # [] applies to every technique\n    criticality: high\n\n\
         # Sigma rules in detections/sigma/ (uncomment once the folder holds rules; inline\n\
         # rules go in rules/local.yaml):\n\
         # rules:\n#   - import: sigma\n#     path: detections/sigma\n#     status: {{stable: production, test: testing, experimental: planned}}\n\n\
         # targets:\n#   - id: all-actors\n#     coverage: 50%\n#     by: 2027-06-30\n"
    ));
    let mut rules = modeline();
    rules.push_str(
        "# Inline detection rules (included by model.yaml).\n\
         threatc: 1\n\
         rules: []\n\
         # - id: SOC-001\n#   name: What the rule detects\n#   techniques: [T1486]\n#   status: production\n",
    );
    vec![
        (PathBuf::from("model.yaml"), m),
        (PathBuf::from("rules/local.yaml"), rules),
        (PathBuf::from("detections/sigma/.gitkeep"), String::new()),
        (
            PathBuf::from(".gitignore"),
            "out/\nthreatc-out/\n".to_string(),
        ),
        (
            PathBuf::from(".github/workflows/threatc.yml"),
            WORKFLOW.to_string(),
        ),
    ]
}

/// Writes a new file (never replacing one), creating its folder.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}
