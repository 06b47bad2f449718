//! `threatc history`: the model built at past git revisions, as trend.csv and trend.svg.
//!
//! Each revision is read with the `diff --git` machinery ([`GitSnapshot`]: `git archive`
//! of the commit into a private temporary folder, git run without discovery, the work
//! tree never touched) and compiled in memory; nothing is written per revision. The
//! catalog is parsed once (the embedded one is shared by every build; a bundle named by
//! `--attack-data`, or by the model's `attack.data` at a revision, is read once per
//! distinct file), and revisions are built in parallel.

use super::gitsnap::{self, GitSnapshot};
use super::{exit, Ctx};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use threatc::catalog::Catalog;
use threatc::diag::{Code, Diagnostic, Diagnostics, OutputFormat};
use threatc::emit::trend::{self, TrendFigures, TrendPoint};
use threatc::gitrepo::Repo;

/// `threatc history MODEL --out DIR`
#[derive(clap::Args, Debug)]
#[command(after_help = "\
One point per commit on the first-parent history of --rev (default HEAD) that changed
the model, a file it includes, a folder or file it imports rules from, or the ATT&CK
bundle it names (as the model at --rev names them); with --every week|month, one point
per week (Monday to Sunday, UTC) or calendar month: the last commit of the period.
Each revision is read with `git archive` into a private temporary folder (the work
tree is not touched) and built in memory, in parallel. A revision whose model fails to
build is a point marked failed with its first error's code; revisions without the model
give no point. Dates are the commits' committer dates (UTC).

Writes trend.csv and trend.svg into --out. Give trend.csv to
`threatc build --history FILE` for the plan's \"Coverage over time\" section.

Exit codes: 0 done (also with failed points), 3 usage, git or I/O error.")]
pub struct HistoryArgs {
    /// The model file (in a git repository).
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Write trend.csv and trend.svg here.
    #[arg(long, short, default_value = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// One point per commit that changed the model (change), or per week or month.
    #[arg(long, value_enum, default_value = "change", value_name = "PERIOD")]
    pub every: Every,
    /// Only commits of this day (YYYY-MM-DD, UTC) or later.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// At most this many points: the newest.
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,
    /// The newest revision (a commit, branch or tag).
    #[arg(long, default_value = "HEAD", value_name = "REV")]
    pub rev: String,
}

/// `--every`: how revisions are picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Every {
    /// Every commit that changed the model or the files it reads.
    Change,
    /// The last commit of each week (Monday to Sunday, UTC).
    Week,
    /// The last commit of each calendar month (UTC).
    Month,
}

/// A commit to build: its id and committer time (seconds since 1970, UTC).
#[derive(Debug, Clone)]
struct Commit {
    id: String,
    time: i64,
}

/// Runs `history`.
pub fn run(ctx: &mut Ctx, args: &HistoryArgs) -> i32 {
    match run_inner(ctx, args) {
        Ok(code) => code,
        Err(ds) => {
            ctx.report(&ds.sorted(), OutputFormat::Human);
            super::failure_code(&ds)
        }
    }
}

fn input_error(msg: String, help: &str) -> Diagnostics {
    Diagnostic::error(Code::HistoryInput, msg)
        .with_help(help.to_string())
        .into()
}

fn run_inner(ctx: &mut Ctx, args: &HistoryArgs) -> Result<i32, Diagnostics> {
    let since = match &args.since {
        Some(s) => Some(threatc::date::Date::parse(s).ok_or_else(|| {
            input_error(
                format!("--since `{}` is not a date", threatc::escape::terminal(s)),
                "write the day as YYYY-MM-DD",
            )
        })?),
        None => None,
    };
    let (repo, rel) = gitsnap::repository_of(&args.model)?;
    let head = gitsnap::commit_of(&repo, &args.rev)?;
    let opts = ctx.compile_options(false);
    let watched = watched_paths(&repo, &head, &rel, &opts);
    let mut commits = list_commits(&repo, &head, &watched, args.every)?;
    if let Some(day) = since {
        // Days as YYYY-MM-DD compare as text.
        let day = day.to_string();
        commits.retain(|c| day_of(c.time) >= day);
    }
    if let Some(n) = args.max {
        commits.truncate(n);
    }
    commits.reverse();
    let catalogs = Catalogs::new(&opts)?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() * 2)
        .unwrap_or(2)
        .clamp(2, 16);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| input_error(format!("cannot start threads: {e}"), "retry"))?;
    let points: Vec<TrendPoint> = pool.install(|| {
        commits
            .par_iter()
            .filter_map(|c| point(&repo, c, &rel, &opts, &catalogs))
            .collect()
    });
    if points.is_empty() {
        return Err(input_error(
            format!(
                "no revision of `{}` to build (from `{}`)",
                threatc::model::load::display_path(&args.model),
                threatc::escape::terminal(&args.rev)
            ),
            "commit the model first, or widen --since",
        ));
    }
    write(args, &points)?;
    Ok(exit::OK)
}

/// The UTC day of a commit time, `YYYY-MM-DD`.
fn day_of(time: i64) -> String {
    threatc::date::Date::parse("1970-01-01")
        .map(|epoch| epoch.add_days(time.div_euclid(86_400)).to_string())
        .unwrap_or_default()
}

/// Writes trend.csv and trend.svg, and says what was written.
fn write(args: &HistoryArgs, points: &[TrendPoint]) -> Result<(), Diagnostics> {
    let title = threatc::model::load::display_path(&args.model);
    let outputs = vec![
        threatc::emit::Output {
            path: "trend.csv".into(),
            bytes: trend::csv(points).into_bytes(),
        },
        threatc::emit::Output {
            path: "trend.svg".into(),
            bytes: trend::svg(points, &title).into_bytes(),
        },
    ];
    threatc::emit::write_all(&args.out, &outputs).map_err(|e| {
        Diagnostics::from(
            Diagnostic::error(Code::OutputError, e)
                .with_help("nothing was replaced: the previous outputs are as they were"),
        )
    })?;
    super::eprint_line(&format!(
        "history {title}: {} → {}",
        trend::describe(points),
        threatc::model::load::display_path(&args.out)
    ));
    Ok(())
}

/// The paths (git's, from the repository root) whose changes make a point: the model
/// file, the files it includes, what its imports name (the folder of a glob), and the
/// ATT&CK bundle it names, as the model at `head` names them. When that model cannot
/// be loaded, its folder.
fn watched_paths(
    repo: &Repo,
    head: &str,
    rel: &Path,
    opts: &threatc::CompileOptions,
) -> Vec<String> {
    let folder = rel.parent().map(gitsnap::git_path).unwrap_or_default();
    let fallback = vec![if folder.is_empty() {
        ".".into()
    } else {
        folder
    }];
    let Ok(Some(snap)) = GitSnapshot::at_commit(repo, head, rel, head) else {
        return fallback;
    };
    let mut sources = threatc::source::SourceMap::new();
    let Ok(model) = threatc::load_model(&snap.model, opts, &mut sources) else {
        return fallback;
    };
    let root = threatc::gitrepo::absolute_lexical(&snap.root());
    let mut paths: Vec<PathBuf> = Vec::new();
    for f in &model.loaded.files {
        if let Some(sf) = sources.get(f.file) {
            paths.push(sf.path.clone());
        }
        for entry in &f.content.rules {
            if let (Some(_), Some(p)) = (&entry.value.import, &entry.value.path) {
                paths.push(f.dir.join(glob_base(&p.value)));
            }
        }
    }
    if let Some((p, _)) = &model.attack_data {
        paths.push(p.clone());
    }
    let set: BTreeSet<String> = paths
        .iter()
        .filter_map(|p| {
            let abs = threatc::gitrepo::absolute_lexical(p);
            let rel = abs.strip_prefix(&root).ok()?;
            Some(if rel.as_os_str().is_empty() {
                ".".to_string()
            } else {
                gitsnap::git_path(rel)
            })
        })
        .collect();
    if set.is_empty() {
        fallback
    } else {
        set.into_iter().collect()
    }
}

/// The part of an import path before its first glob component (`rules/**/*.yml` →
/// `rules`).
fn glob_base(path: &str) -> PathBuf {
    Path::new(path)
        .components()
        .take_while(|c| {
            !c.as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '[', '{'])
        })
        .collect()
}

/// The commits to build, newest first: on the first-parent history of `head`, those
/// that changed a watched path, or the newest of each period.
fn list_commits(
    repo: &Repo,
    head: &str,
    watched: &[String],
    every: Every,
) -> Result<Vec<Commit>, Diagnostics> {
    let mut args: Vec<String> = vec![
        "log".into(),
        "--first-parent".into(),
        "--format=%H %ct".into(),
        head.into(),
    ];
    if every == Every::Change {
        args.push("--".into());
        // `:(literal)`: a path from the model is never read as a pathspec pattern.
        args.extend(watched.iter().map(|p| format!(":(literal){p}")));
    }
    let text = repo.git(&args).map_err(|e| {
        gitsnap::git_error(
            format!("git log failed: {}", threatc::escape::terminal(&e)),
            "check the repository",
        )
    })?;
    let commits = text.lines().filter_map(|line| {
        let (id, time) = line.split_once(' ')?;
        let time: i64 = time.trim().parse().ok()?;
        gitsnap::is_object_id(id).then(|| Commit {
            id: id.to_string(),
            time,
        })
    });
    let key = |c: &Commit| -> String {
        let days = c.time.div_euclid(86_400);
        match every {
            Every::Change => c.id.clone(),
            // 1970-01-01 was a Thursday: +3 makes weeks start on Monday.
            Every::Week => format!("w{}", (days + 3).div_euclid(7)),
            Every::Month => day_of(c.time).get(..7).unwrap_or_default().to_string(),
        }
    };
    let mut seen = BTreeSet::new();
    Ok(commits.filter(|c| seen.insert(key(c))).collect())
}

/// The catalog a revision is built against, parsed once.
enum Cat {
    Static(&'static Catalog),
    Shared(Arc<Catalog>),
}

impl std::ops::Deref for Cat {
    type Target = Catalog;
    fn deref(&self) -> &Catalog {
        match self {
            Cat::Static(c) => c,
            Cat::Shared(c) => c,
        }
    }
}

/// The catalogs of the revisions: `--attack-data` read once; a bundle a revision's model
/// names read once per distinct file (its git object id); the embedded ones are shared.
struct Catalogs {
    operator: Option<Arc<Catalog>>,
    by_blob: Mutex<HashMap<String, Arc<Catalog>>>,
}

fn shared(c: threatc::CatalogRef) -> Cat {
    match c {
        threatc::CatalogRef::Embedded(c) => Cat::Static(c),
        threatc::CatalogRef::Owned(c) => Cat::Shared(Arc::new(*c)),
    }
}

impl Catalogs {
    fn new(opts: &threatc::CompileOptions) -> Result<Catalogs, Diagnostics> {
        let operator = match &opts.attack_data {
            Some(_) => match shared(threatc::load_catalog(
                threatc::catalog::Domain::Enterprise,
                opts,
                None,
                Path::new("."),
            )?) {
                Cat::Shared(c) => Some(c),
                Cat::Static(_) => None,
            },
            None => None,
        };
        Ok(Catalogs {
            operator,
            by_blob: Mutex::new(HashMap::new()),
        })
    }

    fn get(
        &self,
        model: &threatc::LoadedModel,
        opts: &threatc::CompileOptions,
        blob: Option<String>,
    ) -> Result<Cat, Diagnostic> {
        if let Some(c) = &self.operator {
            return Ok(Cat::Shared(Arc::clone(c)));
        }
        let (Some(_), Some(blob)) = (&model.attack_data, blob) else {
            return model.catalog(opts).map(shared);
        };
        // Held while loading: the other threads wait for this bundle rather than read it too.
        let mut cache = self
            .by_blob
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = cache.get(&blob) {
            return Ok(Cat::Shared(Arc::clone(c)));
        }
        let cat = shared(model.catalog(opts)?);
        if let Cat::Shared(c) = &cat {
            cache.insert(blob, Arc::clone(c));
        }
        Ok(cat)
    }
}

/// One revision built: its point, or None when the model does not exist there.
fn point(
    repo: &Repo,
    c: &Commit,
    rel: &Path,
    opts: &threatc::CompileOptions,
    catalogs: &Catalogs,
) -> Option<TrendPoint> {
    let subject = repo
        .git(&["log", "-1", "--format=%s", &c.id])
        .unwrap_or_default();
    let outcome = match GitSnapshot::at_commit(repo, &c.id, rel, &c.id) {
        Ok(None) => return None,
        Ok(Some(snap)) => build(repo, &c.id, &snap, opts, catalogs),
        Err(ds) => Err(first_code(&ds)),
    };
    Some(TrendPoint {
        commit: c.id.clone(),
        date: day_of(c.time),
        subject,
        outcome,
    })
}

/// The code of the first error (in the order diagnostics are shown).
fn first_code(ds: &Diagnostics) -> String {
    ds.sorted()
        .iter()
        .find(|d| d.is_error())
        .map(|d| d.code.to_string())
        .unwrap_or_else(|| "error".into())
}

/// The model of a snapshot compiled in memory: its figures, or its first error's code.
fn build(
    repo: &Repo,
    commit: &str,
    snap: &GitSnapshot,
    opts: &threatc::CompileOptions,
    catalogs: &Catalogs,
) -> Result<TrendFigures, String> {
    let mut sources = threatc::source::SourceMap::new();
    let model =
        threatc::load_model(&snap.model, opts, &mut sources).map_err(|ds| first_code(&ds))?;
    let blob = model.attack_data.as_ref().and_then(|(p, _)| {
        let root = threatc::gitrepo::absolute_lexical(&snap.root());
        let rel = threatc::gitrepo::absolute_lexical(p)
            .strip_prefix(&root)
            .ok()
            .map(gitsnap::git_path)?;
        repo.git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{commit}:{rel}"),
        ])
        .ok()
        .filter(|id| gitsnap::is_object_id(id))
    });
    let catalog = catalogs
        .get(&model, opts, blob)
        .map_err(|d| d.code.to_string())?;
    let ropts = threatc::resolve::ResolveOptions {
        allow_outside_root: opts.allow_outside_root,
        quiet_version: true,
        deny_import_errors: opts.deny_import_errors,
        deny_expired_decisions: opts.deny_expired_decisions,
        from_attack_data: opts.from_attack_data.clone(),
    };
    let (resolved, _warnings) =
        threatc::resolve::resolve(&model.loaded, &catalog, &mut sources, &ropts)
            .map_err(|ds| first_code(&ds))?;
    let analysis = threatc::analysis::analyse(&resolved, &catalog);
    Ok(TrendFigures::of(&analysis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_bases() {
        assert_eq!(glob_base("rules/**/*.yml"), PathBuf::from("rules"));
        assert_eq!(
            glob_base("detections/sigma"),
            PathBuf::from("detections/sigma")
        );
        assert_eq!(glob_base("*.yml"), PathBuf::new());
    }

    #[test]
    fn days() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(86_399), "1970-01-01");
        assert_eq!(day_of(1_764_374_400), "2025-11-29");
    }
}
