//! Replays fuzz inputs through the fuzz targets' code paths (`fuzz/harness.rs`): every
//! crash the fuzzer found (`tests/fuzz-regressions/<target>/`) and the whole committed
//! seed and found corpus (`fuzz/corpus/<target>/`). Each input must return (a catalog,
//! a model or diagnostics) without panicking. See README, "Fuzzing".

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn inputs(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn replay(dir: &str, target: fn(&[u8])) -> usize {
    let files = inputs(dir);
    for path in &files {
        let bytes = std::fs::read(path).expect("read input");
        let ok = std::panic::catch_unwind(|| target(&bytes)).is_ok();
        assert!(ok, "{} panicked", path.display());
    }
    files.len()
}

#[test]
fn model_regressions() {
    replay("tests/fuzz-regressions/model", harness::model);
}

#[test]
fn stix_regressions() {
    replay("tests/fuzz-regressions/stix", harness::stix);
}

#[test]
fn model_corpus() {
    let n = replay("fuzz/corpus/model", harness::model);
    assert!(n > 0, "fuzz/corpus/model is empty");
}

#[test]
fn stix_corpus() {
    let n = replay("fuzz/corpus/stix", harness::stix);
    assert!(n > 0, "fuzz/corpus/stix is empty");
}

#[test]
fn stix_seed_bundle_reads() {
    // The hand-cut seed must stay a valid bundle, or the fuzzer starts from errors only.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/stix/seed-ics-cut.json");
    let bytes = std::fs::read(path).expect("read seed");
    let cat = threatc::catalog::read_bundle(&bytes, Some("18.1"));
    assert!(cat.is_ok(), "{:?}", cat.err());
}
