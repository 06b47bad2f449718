//! Emitters: everything a build writes, rendered in memory first, then written
//! atomically so that a failed build leaves the previous outputs as they were.

pub mod dettect;
pub mod diff;
pub mod diff_decisions;
pub mod navigator;
pub mod plan;
pub mod report;
pub mod tables;
pub mod trend;

pub use report::report_schema_json;

use crate::analysis::Analysis;
use std::path::{Path, PathBuf};

/// A number as text without trailing zeros (3, 2.5, 0.1234).
pub fn fmt_num(x: f64) -> String {
    let r = crate::analysis::r4(x);
    if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        let s = format!("{r:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A share as a percentage with one decimal (`83.3%`); a negative zero, or a
/// share that rounds to zero from below, is `0.0%`, never `-0.0%`.
pub fn pct(x: f64) -> String {
    // `+ 0.0` turns -0.0 into 0.0.
    format!("{:.1}%", (x * 1000.0).round() / 10.0 + 0.0)
}

/// One output file, relative to the output folder.
#[derive(Debug, Clone)]
pub struct Output {
    /// Relative path with `/`.
    pub path: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// Every output of a build rendered in memory: the files, and report.json up to the list
/// of files it names (or, for a large model, the analysis it is streamed from).
#[derive(Debug)]
pub struct Built<'a> {
    /// The outputs other than report.json.
    pub outputs: Vec<Output>,
    report: Report<'a>,
}

#[derive(Debug)]
enum Report<'a> {
    /// Rendered while the other outputs were; finished with the list of files.
    Head(report::Head),
    /// Streamed into its file when the build is written, never whole in memory.
    Streamed(&'a Analysis),
}

/// Up to this many rules, report.json is rendered in memory while the other outputs are
/// (the bank's 1.4 MB fills the time the output groups leave a core idle); beyond, it is
/// streamed into its file when the build is written (50,000 rules make 37 MB of it).
pub const REPORT_IN_MEMORY_MAX_RULES: usize = 5_000;

/// Renders a build's outputs (and report.json, see [`REPORT_IN_MEMORY_MAX_RULES`]).
/// Fails (with a diagnostic) before anything is written.
pub fn build<'a>(
    c: &'a crate::Compiled,
    templates: Option<&Path>,
    history: Option<&[trend::TrendPoint]>,
    timings: &mut crate::Timings,
) -> Result<Built<'a>, crate::diag::Diagnostic> {
    let in_memory = c.resolved.rules.len() <= REPORT_IN_MEMORY_MAX_RULES;
    build_with(c, templates, history, timings, in_memory)
}

/// [`build`], with report.json rendered in memory alongside the other outputs or streamed
/// at write time as asked; both give the same bytes.
pub fn build_with<'a>(
    c: &'a crate::Compiled,
    templates: Option<&Path>,
    history: Option<&[trend::TrendPoint]>,
    timings: &mut crate::Timings,
    report_in_memory: bool,
) -> Result<Built<'a>, crate::diag::Diagnostic> {
    if !report_in_memory {
        let outputs = build_outputs_with_history(c, templates, history, timings)?;
        return Ok(Built {
            outputs,
            report: Report::Streamed(&c.analysis),
        });
    }
    let (outputs, (head, took)) = rayon::join(
        || build_outputs_with_history(c, templates, history, timings),
        || timed(|| report::head(&c.analysis)),
    );
    let outputs = outputs?;
    timings.record_duration("  report", took);
    Ok(Built {
        outputs,
        report: Report::Head(head),
    })
}

/// Writes a build: the rendered outputs and report.json (listing every file written),
/// all atomically; then removes build outputs this build did not write (see
/// [`remove_stale`]).
pub fn write_build(out_dir: &Path, built: Built<'_>) -> Result<Vec<String>, String> {
    let Built {
        mut outputs,
        report,
    } = built;
    let mut files: Vec<String> = outputs.iter().map(|o| o.path.clone()).collect();
    files.push("report.json".into());
    files.sort();
    match report {
        Report::Head(head) => {
            outputs.push(Output {
                path: "report.json".into(),
                bytes: report::finish(head, &files)?,
            });
            write_all(out_dir, &outputs)?;
        }
        Report::Streamed(a) => {
            let write = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
                report::write(a, &files, w)?;
                w.write_all(b"\n")
            };
            write_all_with(out_dir, &outputs, Some(("report.json", &write)))?;
        }
    }
    remove_stale(out_dir, &files);
    Ok(files)
}

/// The files of a build whose names do not depend on the model. `plan.xlsx` is written
/// only with the `xlsx` feature.
const BUILD_FILES: &[&str] = &[
    "dettect/data-sources.yaml",
    "dettect/techniques.yaml",
    "gap_pairs.csv",
    "gaps.csv",
    "gaps.json",
    "gaps.md",
    "layers/all.json",
    "layers/coverage.json",
    "layers/detection.json",
    "layers/gaps.json",
    "layers/index.json",
    "layers/overlap.json",
    "layers/overlay.json",
    "layers/threat.json",
    "layers/visibility.json",
    "matrix.svg",
    "plan.html",
    "plan.md",
    "plan.xlsx",
    "report.json",
];

/// Is `name` (a file name in `layers/`) an actor layer's, `actor-<actor id>.json`, with
/// an id of the shape the model schema allows (`[A-Za-z0-9][A-Za-z0-9._-]{0,63}`)?
pub fn is_actor_layer_name(name: &str) -> bool {
    is_id_layer_name(name, "actor-")
}

/// Is `name` (a file name in `layers/`) an asset layer's, `asset-<asset id>.json`
/// ([`navigator::asset_layer_files`]), with an id of the shape the model schema allows?
pub fn is_asset_layer_name(name: &str) -> bool {
    is_id_layer_name(name, "asset-")
}

/// `<prefix><id>.json` with an id of the shape the model schema allows.
fn is_id_layer_name(name: &str, prefix: &str) -> bool {
    let Some(id) = name
        .strip_prefix(prefix)
        .and_then(|n| n.strip_suffix(".json"))
    else {
        return false;
    };
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Could a build have written this file (a path relative to the output folder, with
/// `/`)? Only such files are ever removed from an output folder.
pub fn is_build_output(rel: &str) -> bool {
    BUILD_FILES.contains(&rel)
        || rel
            .strip_prefix("layers/")
            .is_some_and(|n| is_actor_layer_name(n) || is_asset_layer_name(n))
}

/// Removes the build outputs a previous build left that this one (which wrote `written`)
/// did not: actor and asset layers of actors and assets no longer in the model (found
/// by listing `layers/`),
/// and fixed names this build does not write (`plan.xlsx` without the xlsx feature).
///
/// The previous report.json is not consulted: the output folder may be committed by a
/// pull request, so its list of files is no more trusted than the folder's listing, and
/// the listing, filtered by the names a build writes, is the simpler of the two. Only
/// regular files and links (the link itself) are removed, and nothing below a folder
/// that is a link. Failures are ignored: a stale file is not worth failing a build.
pub fn remove_stale(out_dir: &Path, written: &[String]) {
    let mut stale: Vec<String> = BUILD_FILES
        .iter()
        .map(|f| (*f).to_string())
        .filter(|f| !written.contains(f))
        .collect();
    let layers = out_dir.join("layers");
    let layers_is_dir = layers
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_dir());
    if layers_is_dir {
        if let Ok(rd) = std::fs::read_dir(&layers) {
            for e in rd.flatten() {
                if let Some(name) = e.file_name().to_str() {
                    let rel = format!("layers/{name}");
                    let per_id = is_actor_layer_name(name) || is_asset_layer_name(name);
                    if per_id && !written.contains(&rel) {
                        stale.push(rel);
                    }
                }
            }
        }
    }
    for rel in stale {
        let Ok(parts) = plain_relative(&rel) else {
            continue;
        };
        if check_folders(out_dir, &parts, false).is_err() {
            continue;
        }
        let path = out_dir.join(&rel);
        let removable = path
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_file() || m.file_type().is_symlink());
        if removable && is_build_output(&rel) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Writes outputs atomically: each to a temporary file in its folder, then all renamed
/// into place. Removes nothing.
pub fn write_all(out_dir: &Path, outputs: &[Output]) -> Result<(), String> {
    write_all_with(out_dir, outputs, None)
}

/// A file written straight from its data into its temporary file, never held in memory
/// whole (report.json of a large inventory is tens of MB).
pub type Streamed<'a> = (
    &'a str,
    &'a (dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()> + Sync),
);

/// The names of a relative output path (`layers/x.json` → `["layers", "x.json"]`), or an
/// error when it could leave the output folder or is not a plain name: absolute, empty,
/// `.`, `..`, a backslash or NUL in a name.
fn plain_relative(rel: &str) -> Result<Vec<&str>, String> {
    let parts: Vec<&str> = rel.split('/').collect();
    let bad = parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\\') || p.contains('\0'));
    if bad || Path::new(rel).is_absolute() {
        return Err(format!(
            "internal error: `{rel}` is not a plain relative output path"
        ));
    }
    Ok(parts)
}

/// Checks the folders between `out_dir` and the file `parts` names: none may be a
/// symbolic link or anything but a folder, and the file itself may not be a folder.
/// With `create`, missing folders are created (each checked again after); without,
/// the check stops at the first missing one. Errors name the path inside the output
/// folder, never where a link points.
fn check_folders(out_dir: &Path, parts: &[&str], create: bool) -> Result<(), String> {
    let Some((file, folders)) = parts.split_last() else {
        return Err("internal error: an empty output path".into());
    };
    let mut cur = out_dir.to_path_buf();
    for name in folders {
        cur.push(name);
        let meta = match cur.symlink_metadata() {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !create {
                    return Ok(());
                }
                match std::fs::create_dir(&cur) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(format!("cannot create `{}`: {e}", cur.display())),
                }
                cur.symlink_metadata()
                    .map_err(|e| format!("cannot create `{}`: {e}", cur.display()))?
            }
            Err(e) => return Err(format!("cannot read `{}`: {e}", cur.display())),
        };
        if meta.file_type().is_symlink() {
            return Err(format!(
                "`{}` is a symbolic link: threatc does not write through links inside the output folder (remove it)",
                cur.display()
            ));
        }
        if !meta.is_dir() {
            return Err(format!(
                "`{}` is not a folder: threatc needs a folder there (remove it)",
                cur.display()
            ));
        }
    }
    cur.push(file);
    if cur.symlink_metadata().is_ok_and(|m| m.is_dir()) {
        return Err(format!(
            "`{}` is a folder: threatc writes a file there (remove it)",
            cur.display()
        ));
    }
    Ok(())
}

/// Creates a new temporary file beside `dest` (`.NAME.threatc-tmp-PID`, or with a
/// further `-N` when taken). Never opens an existing file or follows a link planted at
/// that name.
fn create_temp(dest: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let name = dest
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let pid = std::process::id();
    let mut last = None;
    for attempt in 0..64u32 {
        let tmp_name = if attempt == 0 {
            format!(".{name}.threatc-tmp-{pid}")
        } else {
            format!(".{name}.threatc-tmp-{pid}-{attempt}")
        };
        let tmp = dest.with_file_name(tmp_name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

/// Replaces one file atomically: the bytes go to a new temporary file beside it
/// ([`create_temp`]: created new, never through a planted link), which takes the old
/// file's permissions and is renamed over it. On failure the temporary file is removed
/// and the old file is as it was. (`migrate --write`.)
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (tmp, mut file) = create_temp(path)?;
    let result = (|| {
        std::io::Write::write_all(&mut file, bytes)?;
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

/// [`write_all`], plus one streamed file.
///
/// The output folder, as named, may be a link (the operator's choice); nothing inside
/// it is followed: a folder on the way to an output that is a link fails the write
/// before anything is written. Temporary files are created new (`O_EXCL`), and the final
/// rename replaces a link at the destination instead of writing through it.
pub fn write_all_with(
    out_dir: &Path,
    outputs: &[Output],
    streamed: Option<Streamed<'_>>,
) -> Result<(), String> {
    let mut paths: Vec<&str> = outputs.iter().map(|o| o.path.as_str()).collect();
    paths.extend(streamed.map(|(p, _)| p));
    let mut checked = Vec::with_capacity(paths.len());
    for rel in &paths {
        checked.push(plain_relative(rel)?);
    }
    if let Ok(m) = std::fs::metadata(out_dir) {
        if !m.is_dir() {
            return Err(format!("`{}` is not a folder", out_dir.display()));
        }
    }
    // Everything is checked before anything is written.
    for parts in &checked {
        check_folders(out_dir, parts, false)?;
    }
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create `{}`: {e}", out_dir.display()))?;
    for parts in &checked {
        check_folders(out_dir, parts, true)?;
    }
    // The files are staged under temporary names, in two halves of about equal size side
    // by side, and a streamed file on a third task.
    let total: usize = outputs.iter().map(|o| o.bytes.len()).sum();
    let mut half = 0;
    let mut size = 0;
    while size < total / 2 {
        size += outputs.get(half).map_or(total, |o| o.bytes.len());
        half += 1;
    }
    let (first, second) = outputs.split_at(half.min(outputs.len()));
    let ((outs, more), streamed) = rayon::join(
        || {
            rayon::join(
                || stage_outputs(out_dir, first),
                || stage_outputs(out_dir, second),
            )
        },
        || streamed.map(|s| stage_streamed(out_dir, s)),
    );
    let (mut staged, result) = outs;
    staged.extend(more.0);
    let result = result.and(more.1);
    let result = match streamed {
        Some((tmp, r)) => {
            staged.extend(tmp);
            result.and(r)
        }
        None => result,
    };
    let cleanup = |staged: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    if let Err(e) = result {
        cleanup(&staged);
        return Err(e);
    }
    for (tmp, dest) in &staged {
        if let Err(e) = std::fs::rename(tmp, dest) {
            cleanup(&staged);
            return Err(format!("cannot write `{}`: {e}", dest.display()));
        }
    }
    Ok(())
}

/// Writes each output to a temporary file beside its destination: the (temporary,
/// destination) pairs staged so far, and the first error.
fn stage_outputs(
    out_dir: &Path,
    outputs: &[Output],
) -> (Vec<(PathBuf, PathBuf)>, Result<(), String>) {
    let mut staged = Vec::with_capacity(outputs.len());
    for o in outputs {
        let dest = out_dir.join(&o.path);
        let result = create_temp(&dest).and_then(|(tmp, mut f)| {
            staged.push((tmp, dest.clone()));
            std::io::Write::write_all(&mut f, &o.bytes)
        });
        if let Err(e) = result {
            return (
                staged,
                Err(format!("cannot write `{}`: {e}", dest.display())),
            );
        }
    }
    (staged, Ok(()))
}

/// Streams a [`Streamed`] file into a temporary file beside its destination: the
/// (temporary, destination) pair once created, and the error if any.
fn stage_streamed(
    out_dir: &Path,
    (path, write): Streamed<'_>,
) -> (Option<(PathBuf, PathBuf)>, Result<(), String>) {
    let dest = out_dir.join(path);
    let mut staged = None;
    let result = create_temp(&dest).and_then(|(tmp, f)| {
        staged = Some((tmp, dest.clone()));
        let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
        write(&mut w)?;
        std::io::Write::flush(&mut w)
    });
    let result = result.map_err(|e| format!("cannot write `{}`: {e}", dest.display()));
    (staged, result)
}

/// Every output but report.json, rendered in memory; with the points of a history file
/// (`threatc build --history`) the plan gains its "Coverage over time" section.
fn build_outputs_with_history(
    c: &crate::Compiled,
    templates: Option<&Path>,
    history: Option<&[trend::TrendPoint]>,
    timings: &mut crate::Timings,
) -> Result<Vec<Output>, crate::diag::Diagnostic> {
    let a = &c.analysis;
    // The four groups of outputs read the analysis and write nothing: build them side by
    // side on the machine's cores (the bank build's emit stage halves on two). Each group
    // is timed on its own thread, so with `THREATC_TIMINGS` their times overlap.
    let ((layers, gaps), (plan, xlsx)) = rayon::join(
        || rayon::join(|| timed(|| layer_outputs(c)), || timed(|| table_outputs(c))),
        || {
            rayon::join(
                || timed(|| plan::render_plan_with_history(a, &c.catalog, templates, history)),
                || timed(|| xlsx_outputs(a)),
            )
        },
    );
    timings.record_duration("  layers", layers.1);
    timings.record_duration("  tables", gaps.1);
    timings.record_duration("  plan", plan.1);
    timings.record_duration("  xlsx", xlsx.1);
    let mut outputs = layers.0;
    outputs.extend(gaps.0);
    for (path, bytes) in plan.0? {
        outputs.push(Output { path, bytes });
    }
    outputs.extend(xlsx.0?);
    outputs.sort_by(|x, y| x.path.cmp(&y.path));
    Ok(outputs)
}

/// Runs `f`, returning its result and how long it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, std::time::Duration) {
    let t = std::time::Instant::now();
    let out = f();
    (out, t.elapsed())
}

/// The Navigator layers, each in its own file, all of them in `layers/all.json`, and the
/// `layers/index.json` manifest.
fn layer_outputs(c: &crate::Compiled) -> Vec<Output> {
    let a = &c.analysis;
    let layers = navigator::layers(a, &c.catalog, &c.resolved);
    // Layers are independent: render them on all cores; all.json reuses the texts.
    use rayon::prelude::*;
    let texts: Vec<(String, String)> = layers
        .par_iter()
        .map(|f| {
            (
                f.file.clone(),
                serde_json::to_string_pretty(&f.layer).unwrap_or_default(),
            )
        })
        .collect();
    let mut outputs = vec![Output {
        path: "layers/index.json".into(),
        bytes: navigator::index(a, &layers).into_bytes(),
    }];
    let mut all = String::with_capacity(
        texts
            .iter()
            .map(|(_, t)| t.len() * 9 / 8 + 8)
            .sum::<usize>()
            + 4,
    );
    all.push('[');
    for (i, (_, text)) in texts.iter().enumerate() {
        all.push_str(if i == 0 { "\n  " } else { ",\n  " });
        // The layer's text indented by two more spaces, line by line.
        for (j, line) in text.split('\n').enumerate() {
            if j > 0 {
                all.push_str("\n  ");
            }
            all.push_str(line);
        }
    }
    all.push_str("\n]\n");
    for (name, mut text) in texts {
        text.push('\n');
        outputs.push(Output {
            path: format!("layers/{name}"),
            bytes: text.into_bytes(),
        });
    }
    outputs.push(Output {
        path: "layers/all.json".into(),
        bytes: all.into_bytes(),
    });
    outputs
}

/// gaps.csv, gaps.json, gaps.md, gap_pairs.csv and the DeTT&CT export
/// (`dettect/techniques.yaml`, `dettect/data-sources.yaml`).
fn table_outputs(c: &crate::Compiled) -> Vec<Output> {
    let a = &c.analysis;
    vec![
        Output {
            path: "dettect/techniques.yaml".into(),
            bytes: dettect::techniques(c).into_bytes(),
        },
        Output {
            path: "dettect/data-sources.yaml".into(),
            bytes: dettect::data_sources(c).into_bytes(),
        },
        Output {
            path: "gaps.csv".into(),
            bytes: tables::gaps_csv(a).into_bytes(),
        },
        Output {
            path: "gaps.json".into(),
            bytes: tables::gaps_json(a).into_bytes(),
        },
        Output {
            path: "gaps.md".into(),
            bytes: tables::gaps_md(a).into_bytes(),
        },
        Output {
            path: "gap_pairs.csv".into(),
            bytes: tables::gap_pairs_csv(a).into_bytes(),
        },
    ]
}

/// plan.xlsx, with the `xlsx` feature.
#[cfg(feature = "xlsx")]
fn xlsx_outputs(a: &Analysis) -> Result<Vec<Output>, crate::diag::Diagnostic> {
    Ok(vec![Output {
        path: "plan.xlsx".into(),
        bytes: plan::plan_xlsx(a)?,
    }])
}

/// Without the `xlsx` feature there is no workbook.
#[cfg(not(feature = "xlsx"))]
fn xlsx_outputs(_: &Analysis) -> Result<Vec<Output>, crate::diag::Diagnostic> {
    Ok(Vec::new())
}

/// The accepted and transferred gaps as a figure's suffix: `; 7 gaps accepted, 1
/// transferred` (empty without any). They are not covered, only off the to-do list.
pub fn decided_text(s: &crate::analysis::Summary) -> String {
    let mut parts = Vec::new();
    if s.accepted > 0 {
        parts.push(format!(
            "{} {} accepted",
            s.accepted,
            crate::words::plural(s.accepted, "gap", "gaps")
        ));
    }
    if s.transferred > 0 {
        parts.push(format!(
            "{} {} transferred",
            s.transferred,
            if parts.is_empty() {
                crate::words::plural(s.transferred, "gap", "gaps")
            } else {
                ""
            }
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join(", ").replace("  ", " "))
    }
}
