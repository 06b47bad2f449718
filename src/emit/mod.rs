//! Emitters: everything a build writes, rendered in memory first, then written
//! atomically so that a failed build leaves the previous outputs as they were.

pub mod diff;
pub mod navigator;
pub mod plan;
pub mod tables;

use crate::analysis::Analysis;
use serde_json::json;
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

/// A share as a percentage with one decimal (`83.3%`).
pub fn pct(x: f64) -> String {
    format!("{:.1}%", (x * 1000.0).round() / 10.0)
}

/// One output file, relative to the output folder.
#[derive(Debug, Clone)]
pub struct Output {
    /// Relative path with `/`.
    pub path: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// The whole of report.json, for its JSON Schema.
#[derive(schemars::JsonSchema)]
#[schemars(title = "threatc report, format 1")]
#[allow(dead_code)]
struct ReportDoc {
    #[serde(flatten)]
    analysis: Analysis,
    /// Report format version (1).
    report_format: u32,
    /// The threatc that wrote it.
    generator: String,
    /// Files the build wrote, relative to the output folder.
    files: Vec<String>,
}

/// The JSON Schema of report.json, as committed in `schemas/`.
pub fn report_schema_json() -> String {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.meta_schema = Some("https://json-schema.org/draft/2020-12/schema".into());
    let schema = settings
        .into_generator()
        .into_root_schema_for::<ReportDoc>();
    let mut v = serde_json::to_value(&schema).unwrap_or_default();
    if let serde_json::Value::Object(m) = &mut v {
        m.insert(
            "$id".into(),
            json!("https://threatc.dev/schemas/threatc-report-v1.schema.json"),
        );
    }
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// Writes a build: the rendered outputs, and report.json (listing every file written)
/// streamed from the analysis, all atomically.
pub fn write_build(
    out_dir: &Path,
    outputs: &[Output],
    a: &Analysis,
) -> Result<Vec<String>, String> {
    let mut files: Vec<String> = outputs.iter().map(|o| o.path.clone()).collect();
    files.push("report.json".into());
    files.sort();
    let write = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
        write_report(a, &files, w)?;
        w.write_all(b"\n")
    };
    write_all_with(out_dir, outputs, Some(("report.json", &write)))?;
    Ok(files)
}

fn write_report(a: &Analysis, files: &[String], w: &mut dyn std::io::Write) -> std::io::Result<()> {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        report_format: u32,
        generator: String,
        #[serde(flatten)]
        analysis: &'a Analysis,
        files: &'a [String],
    }
    let out = Out {
        report_format: 1,
        generator: format!("threatc {}", env!("CARGO_PKG_VERSION")),
        analysis: a,
        files,
    };
    serde_json::to_writer_pretty(w, &out).map_err(std::io::Error::other)
}

/// Writes outputs atomically: each to a temporary file in its folder, then all renamed
/// into place. Files listed by the previous report.json that this build does not write
/// are removed, so stale actor layers do not linger.
pub fn write_all(out_dir: &Path, outputs: &[Output]) -> Result<(), String> {
    write_all_with(out_dir, outputs, None)
}

/// A file written straight from its data into its temporary file, never held in memory
/// whole (report.json of a large inventory is tens of MB).
pub type Streamed<'a> = (
    &'a str,
    &'a dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>,
);

/// [`write_all`], plus one streamed file.
pub fn write_all_with(
    out_dir: &Path,
    outputs: &[Output],
    streamed: Option<Streamed<'_>>,
) -> Result<(), String> {
    #[derive(serde::Deserialize)]
    struct Previous {
        #[serde(default)]
        files: Vec<String>,
    }
    let previous: Vec<String> = std::fs::read_to_string(out_dir.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Previous>(&t).ok())
        .map(|p| p.files)
        .unwrap_or_default();
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create `{}`: {e}", out_dir.display()))?;
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let cleanup = |staged: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for o in outputs {
        let dest = out_dir.join(&o.path);
        if let Some(parent) = dest.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                cleanup(&staged);
                return Err(format!("cannot create `{}`: {e}", parent.display()));
            }
        }
        let tmp = dest.with_file_name(format!(
            ".{}.threatc-tmp-{}",
            dest.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        if let Err(e) = std::fs::write(&tmp, &o.bytes) {
            cleanup(&staged);
            let _ = std::fs::remove_file(&tmp);
            return Err(format!("cannot write `{}`: {e}", dest.display()));
        }
        staged.push((tmp, dest));
    }
    if let Some((path, write)) = streamed {
        let dest = out_dir.join(path);
        let tmp = dest.with_file_name(format!(".{path}.threatc-tmp-{}", std::process::id()));
        let result = std::fs::File::create(&tmp).and_then(|f| {
            let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
            write(&mut w)?;
            std::io::Write::flush(&mut w)
        });
        if let Err(e) = result {
            cleanup(&staged);
            let _ = std::fs::remove_file(&tmp);
            return Err(format!("cannot write `{}`: {e}", dest.display()));
        }
        staged.push((tmp, dest));
    }
    for (tmp, dest) in &staged {
        if let Err(e) = std::fs::rename(tmp, dest) {
            cleanup(&staged);
            return Err(format!("cannot write `{}`: {e}", dest.display()));
        }
    }
    for old in previous {
        if old.contains("..") || old.starts_with('/') {
            continue;
        }
        if !outputs.iter().any(|o| o.path == old) && streamed.map(|(p, _)| p) != Some(old.as_str())
        {
            let _ = std::fs::remove_file(out_dir.join(&old));
        }
    }
    Ok(())
}

/// Renders every output of a build in memory. Fails (with a diagnostic) before
/// anything is written.
pub fn build_outputs(
    c: &crate::Compiled,
    templates: Option<&Path>,
) -> Result<Vec<Output>, crate::diag::Diagnostic> {
    let a = &c.analysis;
    let mut outputs = Vec::new();
    let t = std::time::Instant::now();
    let layers = navigator::layers(a, &c.catalog, &c.resolved);
    crate::timing("  layers", t);
    let t = std::time::Instant::now();
    // Layers are independent: render them on all cores; all.json reuses the texts.
    use rayon::prelude::*;
    let texts: Vec<(String, String)> = layers
        .par_iter()
        .map(|(name, v)| {
            (
                name.clone(),
                serde_json::to_string_pretty(v).unwrap_or_default(),
            )
        })
        .collect();
    let mut all = String::with_capacity(texts.iter().map(|(_, t)| t.len() + 8).sum::<usize>() + 4);
    all.push('[');
    for (i, (_, text)) in texts.iter().enumerate() {
        all.push_str(if i == 0 { "\n  " } else { ",\n  " });
        all.push_str(&text.replace('\n', "\n  "));
    }
    all.push_str("\n]\n");
    for (name, text) in texts {
        outputs.push(Output {
            path: format!("layers/{name}"),
            bytes: (text + "\n").into_bytes(),
        });
    }
    outputs.push(Output {
        path: "layers/all.json".into(),
        bytes: all.into_bytes(),
    });
    crate::timing("  layerjson", t);
    let t = std::time::Instant::now();
    outputs.push(Output {
        path: "gaps.csv".into(),
        bytes: tables::gaps_csv(a).into_bytes(),
    });
    outputs.push(Output {
        path: "gaps.json".into(),
        bytes: tables::gaps_json(a).into_bytes(),
    });
    outputs.push(Output {
        path: "gaps.md".into(),
        bytes: tables::gaps_md(a).into_bytes(),
    });
    crate::timing("  gaps", t);
    let t = std::time::Instant::now();
    for (path, bytes) in plan::render_plan(a, &c.catalog, templates)? {
        outputs.push(Output { path, bytes });
    }
    #[cfg(feature = "xlsx")]
    outputs.push(Output {
        path: "plan.xlsx".into(),
        bytes: plan::plan_xlsx(a)?,
    });
    crate::timing("  plan", t);
    outputs.sort_by(|x, y| x.path.cmp(&y.path));
    Ok(outputs)
}
