//! The code paths the fuzz targets exercise, shared with `tests/fuzz_regressions.rs` so the
//! regression test replays inputs through exactly what the fuzzer ran.

use std::path::Path;
use threatc::diag::{render_github, render_human, render_json, render_sarif, Diagnostic};
use threatc::source::SourceMap;

/// `model` target: UTF-8 text → YAML → schema → v1 types; every diagnostic rendered
/// (human, JSON, and also SARIF and GitHub since they are cheap).
pub fn model(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = SourceMap::new();
    let id = sources.add("fuzz.yaml", Path::new("fuzz.yaml"), text);
    if let Err(diags) = threatc::model::load::parse_file(id, &sources) {
        let all: Vec<&Diagnostic> = diags.iter().collect();
        let _ = render_human(&all, &sources, false);
        let _ = render_human(&all, &sources, true);
        let _ = render_json(&all, &sources);
        let _ = render_sarif(&all, &sources);
        let _ = render_github(&all, &sources);
    }
}

/// `stix` target: bytes → an ATT&CK STIX bundle → catalog.
pub fn stix(data: &[u8]) {
    let _ = threatc::catalog::read_bundle(data, Some("18.1"));
}
