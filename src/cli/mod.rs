//! The command line: clap definitions and one module per subcommand. Only this layer
//! prints.

pub mod attack;
mod build;
mod changes;
mod check;
mod diff;
mod gitsnap;
mod history;
mod import;
mod init;
pub mod migrate;

use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use threatc::diag::{self, Diagnostic, OutputFormat};
use threatc::source::SourceMap;

/// Exit codes. Documented in README and `--help`.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// The run worked but found what the user asked to fail on (unmet targets with
    /// `--fail-under-targets`, a coverage regression with `--fail-on-regression`).
    pub const FINDINGS: i32 = 1;
    /// The model (or an imported rule file under `--deny import-errors`) is invalid.
    pub const INVALID: i32 = 2;
    /// Usage or I/O error: bad arguments, unreadable input, unwritable output.
    pub const USAGE: i32 = 3;
    /// A bug in threatc.
    pub const INTERNAL: i32 = 4;
}

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  findings you asked to fail on (--fail-under-targets, --fail-on-regression)
  2  invalid model: the diagnostics say where
  3  usage or I/O error (bad arguments, unreadable input, unwritable output)
  4  internal error (a bug: please report it)";

/// threatc compiles a declarative ATT&CK threat model into Navigator layers, gap tables
/// and a prioritised detection plan.
#[derive(Parser, Debug)]
#[command(name = "threatc", version, about, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes. Listed apart, under "Global options", in every command's
/// help, so that a command's own options come first and are not lost among them.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Use this ATT&CK STIX bundle instead of the embedded catalog (e.g. a v19 release).
    #[arg(long, global = true, env = "THREATC_ATTACK_DATA", value_name = "FILE")]
    pub attack_data: Option<PathBuf>,
    /// The release of --attack-data when its file name does not say (e.g. 19.0).
    #[arg(long, global = true, value_name = "VERSION")]
    pub attack_release: Option<String>,
    /// The bundle of the release the model is written against, when it is not the catalog's:
    /// techniques renamed or moved since are reported.
    #[arg(
        long,
        global = true,
        env = "THREATC_FROM_ATTACK_DATA",
        value_name = "FILE"
    )]
    pub from_attack_data: Option<PathBuf>,
    /// Colour: auto, always or never.
    #[arg(long, global = true, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,
    /// Let include and import paths leave the repository root.
    #[arg(long, global = true)]
    pub allow_outside_root: bool,
}

/// When to colour output.
#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    /// When stderr is a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `--format` of `check` and `build`: the command line's name for
/// [`OutputFormat`] (the library does not depend on clap).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// Human-readable text with labelled source snippets.
    Human,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…,line=…::`).
    Github,
}

impl From<FormatArg> for OutputFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Human => OutputFormat::Human,
            FormatArg::Json => OutputFormat::Json,
            FormatArg::Sarif => OutputFormat::Sarif,
            FormatArg::Github => OutputFormat::Github,
        }
    }
}

/// `--deny KIND`: kinds of problem that can be made fatal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Deny {
    /// Malformed or unreadable rule files named by `imports:`.
    ImportErrors,
    /// Decisions (`decisions:`) whose expiry is before the assessed date.
    ExpiredDecisions,
}

/// `--domain`: an ATT&CK domain (the STIX names are accepted too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DomainArg {
    /// Enterprise ATT&CK.
    #[value(alias = "enterprise-attack")]
    Enterprise,
    /// Mobile ATT&CK.
    #[value(alias = "mobile-attack")]
    Mobile,
    /// ATT&CK for ICS.
    #[value(alias = "ics-attack")]
    Ics,
}

impl From<DomainArg> for threatc::catalog::Domain {
    fn from(d: DomainArg) -> Self {
        match d {
            DomainArg::Enterprise => Self::Enterprise,
            DomainArg::Mobile => Self::Mobile,
            DomainArg::Ics => Self::Ics,
        }
    }
}

/// `import FORMAT`: a foreign rule format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormatArg {
    /// Sigma rules (YAML, possibly several documents per file).
    Sigma,
    /// Splunk ESCU detections (YAML with `tags.mitre_attack_id`).
    Splunk,
    /// Elastic detection-rules (TOML with `[[rule.threat]]`).
    Elastic,
    /// ATT&CK Navigator layer (JSON, layer format 4.x).
    Navigator,
    /// A CSV table with `id`, `name`, `techniques` and optional `status` columns.
    Csv,
}

impl From<ImportFormatArg> for threatc::import::Format {
    fn from(f: ImportFormatArg) -> Self {
        match f {
            ImportFormatArg::Sigma => Self::Sigma,
            ImportFormatArg::Splunk => Self::Splunk,
            ImportFormatArg::Elastic => Self::Elastic,
            ImportFormatArg::Navigator => Self::Navigator,
            ImportFormatArg::Csv => Self::Csv,
        }
    }
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate models without writing anything.
    Check(check::CheckArgs),
    /// Check a model and write layers, gap tables, report.json and the plan.
    Build(build::BuildArgs),
    /// Look things up in the ATT&CK catalog (groups, techniques, software, campaigns).
    Attack(attack::AttackArgs),
    /// Show what an import of rule files yields (rules, techniques, problems), without a model.
    Import(import::ImportArgs),
    /// Compare coverage between two builds (or a model and its git history) for a pull request.
    Diff(diff::DiffArgs),
    /// Build the model at past git revisions: coverage over time as trend.csv and trend.svg.
    History(history::HistoryArgs),
    /// Print a JSON Schema: the model format (default), report.json, or a Navigator layer.
    Schema(SchemaArgs),
    /// Rewrite a model or a Navigator layer for the ATT&CK catalog in use.
    Migrate(migrate::MigrateArgs),
    /// Start a model repository: model.yaml, rule folders, .gitignore and a CI workflow.
    Init(init::InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = "\
Install, e.g.:
  bash   threatc completions bash > ~/.local/share/bash-completion/completions/threatc
  zsh    threatc completions zsh > \"${fpath[1]}/_threatc\"
  fish   threatc completions fish > ~/.config/fish/completions/threatc.fish
  pwsh   threatc completions powershell >> $PROFILE")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), of threatc or of one subcommand.
    #[command(
        after_help = "Read it with `threatc man | man -l -`, or install it: `threatc man > threatc.1`."
    )]
    Man(ManArgs),
}

/// `threatc schema`.
#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// Which schema: model (default), report or layer.
    #[arg(value_enum, default_value = "model")]
    pub which: SchemaKind,
}

/// `threatc completions`.
#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `threatc man`.
#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// A subcommand's page instead of threatc's (e.g. `build`).
    #[arg(value_name = "SUBCOMMAND", value_parser = clap::builder::PossibleValuesParser::new(MAN_PAGES))]
    pub subcommand: Option<String>,
}

/// Prints the completion script for a shell.
fn completions(a: &CompletionsArgs) -> i32 {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "threatc", &mut buf);
    write_stdout(&String::from_utf8_lossy(&buf));
    exit::OK
}

/// The subcommands `threatc man` has a page for (a test checks the list is complete).
const MAN_PAGES: &[&str] = &[
    "check",
    "build",
    "attack",
    "import",
    "diff",
    "history",
    "schema",
    "migrate",
    "init",
    "completions",
    "man",
];

/// Prints the manual page of threatc or of a subcommand.
fn man(a: &ManArgs) -> i32 {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    // Building names the subcommands' pages `threatc-build` and so on.
    cmd.build();
    if let Some(word) = &a.subcommand {
        match cmd.find_subcommand(word) {
            Some(sub) => cmd = sub.clone().version(env!("CARGO_PKG_VERSION")),
            None => return exit::INTERNAL,
        }
    }
    let mut buf = Vec::new();
    match clap_mangen::Man::new(cmd).render(&mut buf) {
        Ok(()) => {
            write_stdout(&String::from_utf8_lossy(&buf));
            exit::OK
        }
        Err(e) => {
            eprint_line(&format!(
                "internal error: cannot render the manual page: {e}"
            ));
            exit::INTERNAL
        }
    }
}

/// Schemas threatc publishes.
#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum SchemaKind {
    /// The model format v1.
    Model,
    /// report.json.
    Report,
    /// ATT&CK Navigator layer format 4.5.
    Layer,
}

/// What every subcommand gets: the global options, the sources read so far (for
/// rendering diagnostics) and the stage timings to show.
pub struct Ctx {
    pub global: GlobalArgs,
    pub sources: SourceMap,
    /// Recorded when `THREATC_TIMINGS` is set (for benchmarks).
    pub timings: threatc::Timings,
}

impl Ctx {
    /// Compile options from the global flags.
    pub fn compile_options(&self, deny_import_errors: bool) -> threatc::CompileOptions {
        threatc::CompileOptions {
            attack_data: self.global.attack_data.clone(),
            attack_release: self.global.attack_release.clone(),
            from_attack_data: self.global.from_attack_data.clone(),
            allow_outside_root: self.global.allow_outside_root,
            deny_import_errors,
            deny_expired_decisions: false,
        }
    }

    /// Compiles a model, showing its stage timings.
    pub fn compile(
        &mut self,
        path: &std::path::Path,
        opts: &threatc::CompileOptions,
    ) -> Result<threatc::Compiled, threatc::diag::Diagnostics> {
        let compiled = threatc::compile_timed(path, opts, &mut self.sources, &mut self.timings);
        self.show_timings();
        compiled
    }

    /// Prints the stage timings recorded since the last call to stderr.
    pub fn show_timings(&mut self) {
        for s in self.timings.take() {
            eprintln!(
                "timing: {:<10} {:>8.2} ms  peak {} kB  cpu {} ms",
                s.stage,
                s.elapsed.as_secs_f64() * 1000.0,
                s.peak_kb.map(|k| k.to_string()).unwrap_or_default(),
                s.cpu
                    .map(|c| format!("{:.1}", c.as_secs_f64() * 1000.0))
                    .unwrap_or_default()
            );
        }
    }

    fn color(&self) -> bool {
        match self.global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }

    /// Prints diagnostics in the chosen format: human to stderr; JSON, SARIF and GitHub
    /// to stdout. Only the GitHub format may print lines starting with `::` (its
    /// workflow commands, whose user text `render_github` encodes); everything else
    /// goes through the workflow-command guard.
    pub fn report(&self, diags: &[&Diagnostic], format: OutputFormat) {
        match format {
            OutputFormat::Human => {
                let text = diag::render_human(diags, &self.sources, self.color());
                // Not `terminal_output`: the colours are escape sequences of our own.
                let text = threatc::escape::workflow_command_guard(&text);
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
            OutputFormat::Json => print_out(&diag::render_json(diags, &self.sources)),
            OutputFormat::Sarif => print_out(&diag::render_sarif(diags, &self.sources)),
            OutputFormat::Github => write_stdout(&diag::render_github(diags, &self.sources)),
        }
    }
}

/// A `target-unmet` warning for each unmet target, at its `coverage:` (so that
/// `--format github` annotates the line, and `--fail-under-targets` says why it fails).
pub fn target_warnings(c: &threatc::Compiled) -> Vec<Diagnostic> {
    let a = &c.analysis;
    a.targets
        .iter()
        .filter(|t| !t.met)
        .map(|t| {
            let n = t.to_close.len();
            let mut d = Diagnostic::warning(
                threatc::diag::Code::TargetUnmet,
                format!(
                    "target `{}` is not met: {}{} of {} required ({} of {} in-scope {} covered)",
                    t.id,
                    if t.weighted { "weighted " } else { "" },
                    threatc::emit::pct(t.current),
                    threatc::emit::pct(t.required),
                    t.covered,
                    t.in_scope,
                    threatc::words::plural(t.in_scope, "technique", "techniques"),
                ),
            );
            if let Some(r) = c.resolved.targets.iter().find(|r| r.id == t.id) {
                d = d.with_label(r.span, format!("{} covered", threatc::emit::pct(t.current)));
            }
            if n > 0 {
                d = d.with_help(format!(
                    "closing {n} more {} meets it (first: {}); the plan lists them",
                    threatc::words::plural(n, "gap", "gaps"),
                    t.to_close
                        .iter()
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            d
        })
        .collect()
}

/// Exit code for failed diagnostics: I/O problems (an unreadable model or ATT&CK file)
/// are usage errors (3); anything else means the model is invalid (2).
pub fn failure_code(diags: &threatc::diag::Diagnostics) -> i32 {
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty()
        && errors
            .iter()
            .all(|d| d.code.exit_class() == threatc::diag::ExitClass::Usage)
    {
        exit::USAGE
    } else {
        exit::INVALID
    }
}

/// Writes to stdout, ignoring a closed pipe. The text goes through
/// [`threatc::escape::terminal_output`]: control characters a terminal would act on are
/// shown escaped, and no line can start a GitHub workflow command (README, "How user
/// text is escaped"). JSON stays valid JSON with the same value.
pub fn print_out(s: &str) {
    write_stdout(&threatc::escape::terminal_output(s));
}

/// Writes to stdout as is (the GitHub format's workflow commands), ignoring a closed
/// pipe.
fn write_stdout(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

/// Writes a line to stderr, escaped as [`print_out`] does.
pub fn eprint_line(s: &str) {
    let _ = writeln!(std::io::stderr(), "{}", threatc::escape::terminal_output(s));
}

/// Runs the CLI; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    exit::OK
                }
                _ => exit::USAGE,
            };
            let _ = e.print();
            return code;
        }
    };
    let mut ctx = Ctx {
        global: cli.global.clone(),
        sources: SourceMap::new(),
        timings: threatc::Timings::new(std::env::var_os("THREATC_TIMINGS").is_some()),
    };
    match cli.command {
        Command::Check(a) => check::run(&mut ctx, &a),
        Command::Build(a) => build::run(&mut ctx, &a),
        Command::Attack(a) => attack::run(&mut ctx, &a),
        Command::Import(a) => import::run(&mut ctx, &a),
        Command::Diff(a) => diff::run(&mut ctx, &a),
        Command::History(a) => history::run(&mut ctx, &a),
        Command::Migrate(a) => migrate::run(&mut ctx, &a),
        Command::Init(a) => init::run(&mut ctx, &a),
        Command::Completions(a) => completions(&a),
        Command::Man(a) => man(&a),
        Command::Schema(a) => {
            match a.which {
                SchemaKind::Model => print_out(&threatc::model::v1::schema_json()),
                SchemaKind::Report => print_out(&threatc::emit::report_schema_json()),
                SchemaKind::Layer => print_out(threatc::emit::navigator::LAYER_SCHEMA),
            }
            exit::OK
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn man_pages_name_every_subcommand() {
        let cmd = <super::Cli as clap::CommandFactory>::command();
        let names: Vec<&str> = cmd.get_subcommands().map(clap::Command::get_name).collect();
        assert_eq!(names, super::MAN_PAGES);
    }
}
