//! Emitters: everything a build writes, rendered in memory first, then written
//! atomically so that a failed build leaves the previous outputs as they were.

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

/// report.json: the analysis, plus what was written.
pub fn report_json(a: &Analysis, files: &[String]) -> String {
    let mut v = serde_json::to_value(a).unwrap_or_default();
    if let serde_json::Value::Object(m) = &mut v {
        m.insert("report_format".into(), json!(1));
        m.insert("generator".into(), json!(format!("threatc {}", env!("CARGO_PKG_VERSION"))));
        m.insert("files".into(), json!(files));
    }
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// Writes outputs atomically: each to a temporary file in its folder, then all renamed
/// into place. Files listed by the previous report.json that this build does not write
/// are removed, so stale actor layers do not linger.
pub fn write_all(out_dir: &Path, outputs: &[Output]) -> Result<(), String> {
    let previous: Vec<String> = std::fs::read_to_string(out_dir.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("files").cloned())
        .and_then(|f| serde_json::from_value::<Vec<String>>(f).ok())
        .unwrap_or_default();
    std::fs::create_dir_all(out_dir).map_err(|e| format!("cannot create `{}`: {e}", out_dir.display()))?;
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
            dest.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
            std::process::id()
        ));
        if let Err(e) = std::fs::write(&tmp, &o.bytes) {
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
        if !outputs.iter().any(|o| o.path == old) {
            let _ = std::fs::remove_file(out_dir.join(&old));
        }
    }
    Ok(())
}

fn json_bytes(v: &serde_json::Value) -> Vec<u8> {
    (serde_json::to_string_pretty(v).unwrap_or_default() + "\n").into_bytes()
}

/// Renders every output of a build in memory. Fails (with a diagnostic) before
/// anything is written.
pub fn build_outputs(
    c: &crate::Compiled,
    templates: Option<&Path>,
) -> Result<Vec<Output>, crate::diag::Diagnostic> {
    let a = &c.analysis;
    let mut outputs = Vec::new();
    let layers = navigator::layers(a, &c.catalog, &c.resolved);
    let all: Vec<serde_json::Value> = layers.iter().map(|(_, v)| v.clone()).collect();
    for (name, v) in &layers {
        outputs.push(Output {
            path: format!("layers/{name}"),
            bytes: json_bytes(v),
        });
    }
    outputs.push(Output {
        path: "layers/all.json".into(),
        bytes: json_bytes(&serde_json::Value::Array(all)),
    });
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
    for (path, bytes) in plan::render_plan(a, &c.catalog, templates)? {
        outputs.push(Output { path, bytes });
    }
    #[cfg(feature = "xlsx")]
    outputs.push(Output {
        path: "plan.xlsx".into(),
        bytes: plan::plan_xlsx(a)?,
    });
    let mut files: Vec<String> = outputs.iter().map(|o| o.path.clone()).collect();
    files.push("report.json".into());
    files.sort();
    outputs.push(Output {
        path: "report.json".into(),
        bytes: report_json(a, &files).into_bytes(),
    });
    outputs.sort_by(|x, y| x.path.cmp(&y.path));
    Ok(outputs)
}
