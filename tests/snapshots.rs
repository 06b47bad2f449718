//! Snapshot tests (insta) of every rendered output, so that a restructuring of resolve,
//! analysis, emit or cli can prove it changed no output byte (issue #12).
//!
//! - `check__CASE__FORMAT`: `threatc check` of every case in tests/check/, in the
//!   human, json, sarif and github formats;
//! - `check-model__MODEL__FORMAT`: `threatc check` of the example models;
//! - `build__MODEL__*`: `threatc build` of the example models: the summary (human and
//!   json), the text outputs in full, and a manifest with the size and hash of every
//!   output file (report.json, plan.html, matrix.svg, plan.xlsx and every layer);
//! - `diff__financial__*`: `threatc diff` between two versions of the financial model.
//!
//! Only the embedded catalog is used (nothing from ../shared). Every snapshot shows the
//! exit code and each stream or file with its size and FNV-1a hash, because insta
//! compares text with trailing whitespace trimmed and CRLF read as LF: the size and hash
//! catch what that normalisation would hide. Temp folders and the checkout's path are
//! redacted, and so is threatc's own version (a release bump is not an output change).
//!
//! Review and update: `INSTA_UPDATE=always cargo test --test snapshots`, then `git diff
//! tests/snapshots`, or `cargo insta review`. Change a snapshot only on purpose, and
//! say why in the commit. Under CI=true insta never writes snapshots: a changed or
//! missing one fails.

mod common;
use common::*;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CHECK_FORMATS: &[&str] = &["human", "json", "sarif", "github"];
const MODELS: &[&str] = &["financial", "cloud"];
/// Build outputs snapshotted in full, as (model, file); every other output file is in
/// the manifest only (report.json alone is 600 kB).
const BUILD_FILES: &[(&str, &str)] = &[
    ("financial", "gaps.md"),
    ("financial", "gaps.csv"),
    ("financial", "gap_pairs.csv"),
    ("financial", "plan.md"),
    ("financial", "layers/coverage.json"),
    ("financial", "layers/actor-carbanak.json"),
    ("financial", "layers/index.json"),
    ("financial", "layers/detection.json"),
    ("cloud", "gaps.md"),
    ("cloud", "gaps.csv"),
    ("cloud", "plan.md"),
    ("cloud", "layers/coverage.json"),
    ("cloud", "layers/actor-rogue-admin.json"),
    ("cloud", "dettect/techniques.yaml"),
    ("cloud", "dettect/data-sources.yaml"),
];
const DIFF_SNAPSHOTS: &[&str] = &[
    "markdown",
    "json",
    "out",
    "report-vs-model__markdown",
    "git__markdown",
];

/// Runs threatc with a clean environment for its own variables and no colour.
fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_threatc"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("THREATC_ATTACK_DATA")
        .env_remove("THREATC_FROM_ATTACK_DATA")
        .env_remove("THREATC_TIMINGS")
        .output()
        .expect("threatc runs")
}

/// FNV-1a, 64 bits: a dependency-free fingerprint (not a security property).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Replaces machine-specific text: the given folders (as given and canonical), the
/// checkout, and threatc's version.
struct Redact {
    /// Folder paths, longest first, so that a folder inside another goes as a whole.
    paths: Vec<(String, String)>,
    /// Plain text replacements.
    text: Vec<(String, String)>,
}

impl Redact {
    fn new(folders: &[(&Path, &str)]) -> Redact {
        let mut paths = Vec::new();
        let root = root();
        for (dir, name) in folders.iter().copied().chain([(root.as_path(), "[ROOT]")]) {
            for p in [dir.to_path_buf(), dir.canonicalize().unwrap()] {
                paths.push((p.to_string_lossy().into_owned(), name.to_string()));
            }
        }
        paths.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.cmp(b)));
        paths.dedup();
        let v = env!("CARGO_PKG_VERSION");
        let text = vec![
            (format!("threatc {v}"), "threatc [VERSION]".into()),
            (
                format!("\"name\": \"threatc\",\n          \"version\": \"{v}\""),
                "\"name\": \"threatc\",\n          \"version\": \"[VERSION]\"".into(),
            ),
        ];
        Redact { paths, text }
    }

    fn text(&self, bytes: &[u8], what: &str) -> String {
        let mut s = String::from_utf8(bytes.to_vec())
            .unwrap_or_else(|e| panic!("{what} is not UTF-8: {e}"));
        for (from, to) in &self.paths {
            s = replace_path(&s, from, to);
        }
        for (from, to) in &self.text {
            s = s.replace(from.as_str(), to);
        }
        s
    }

    /// A titled section: size and hash of the redacted bytes, then the text.
    fn section(&self, title: &str, bytes: &[u8]) -> String {
        if bytes.is_empty() {
            return format!("=== {title}: empty\n");
        }
        let text = self.text(bytes, title);
        let mut out = format!(
            "=== {title}: {} bytes, fnv1a {:016x}\n{text}",
            text.len(),
            fnv1a(text.as_bytes())
        );
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out
    }

    /// Exit code, stdout and stderr of a run.
    fn output(&self, o: &Output) -> String {
        format!(
            "exit code: {}\n{}{}",
            o.status
                .code()
                .map_or_else(|| "killed".into(), |c| c.to_string()),
            self.section("stdout", &o.stdout),
            self.section("stderr", &o.stderr)
        )
    }

    /// Every file under `dir`: path, size and hash (text files redacted first).
    fn manifest(&self, dir: &Path) -> String {
        let mut out = String::new();
        for (rel, bytes) in snapshot(dir) {
            let bytes = if rel.ends_with(".xlsx") {
                bytes
            } else {
                self.text(&bytes, &rel).into_bytes()
            };
            out.push_str(&format!(
                "{rel}  {} bytes  fnv1a {:016x}\n",
                bytes.len(),
                fnv1a(&bytes)
            ));
        }
        out
    }
}

/// Replaces `path` where it stands as a whole path: not inside a longer one (a checkout
/// at `/app` leaves `/data/app/x` alone).
fn replace_path(s: &str, path: &str, to: &str) -> String {
    let part = |c: char| c.is_alphanumeric() || "_-./~".contains(c);
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(path) {
        let (before, after) = (&rest[..i], &rest[i + path.len()..]);
        let whole = !before.chars().next_back().is_some_and(part)
            && after.chars().next().is_none_or(|c| c == '/' || !part(c));
        out.push_str(before);
        out.push_str(if whole { to } else { path });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Asserts snapshots, going on after a mismatch so that one run shows every one.
#[derive(Default)]
struct Snaps(Vec<String>);

impl Snaps {
    fn assert(&mut self, name: &str, command: &str, content: &str) {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_description(command);
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(name, content));
        }));
        if r.is_err() {
            self.0.push(name.to_string());
        }
    }

    fn finish(self) {
        assert!(
            self.0.is_empty(),
            "snapshots differ or are missing: {}",
            self.0.join(", ")
        );
    }
}

/// The case names of tests/check/, sorted.
fn check_cases() -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(root().join("tests/check"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "the corpus shrank");
    cases
}

fn check_corpus(format: &str) {
    let redact = Redact::new(&[]);
    let mut snaps = Snaps::default();
    for case in check_cases() {
        let file = format!("tests/check/{case}.yaml");
        let mut args = vec!["check"];
        if format != "human" {
            args.extend(["--format", format]);
        }
        args.push(&file);
        let o = run(&args, &root());
        snaps.assert(
            &format!("check__{case}__{format}"),
            &format!("threatc {}", args.join(" ")),
            &redact.output(&o),
        );
    }
    snaps.finish();
}

#[test]
fn check_corpus_human() {
    check_corpus("human");
}

#[test]
fn check_corpus_json() {
    check_corpus("json");
}

#[test]
fn check_corpus_sarif() {
    check_corpus("sarif");
}

#[test]
fn check_corpus_github() {
    check_corpus("github");
}

#[test]
fn check_example_models() {
    let redact = Redact::new(&[]);
    let mut snaps = Snaps::default();
    for model in MODELS {
        let file = format!("models/{model}/model.yaml");
        for format in ["human", "json"] {
            let args = ["check", "--format", format, &file];
            let o = run(&args, &root());
            snaps.assert(
                &format!("check-model__{model}__{format}"),
                &format!("threatc {}", args.join(" ")),
                &redact.output(&o),
            );
        }
    }
    snaps.finish();
}

#[test]
#[cfg_attr(
    not(feature = "xlsx"),
    ignore = "the snapshots are of a default build, with plan.xlsx"
)]
fn build_example_models() {
    let mut snaps = Snaps::default();
    for model in MODELS {
        // Run from a temp folder with a relative --out, so the summary names `out`.
        let tmp = tempfile::tempdir().unwrap();
        let redact = Redact::new(&[(tmp.path(), "[TMP]")]);
        let file = root().join(format!("models/{model}/model.yaml"));
        let file = file.to_str().unwrap();
        let shown = format!("[ROOT]/models/{model}/model.yaml");

        let o = run(&["build", file, "--out", "out"], tmp.path());
        snaps.assert(
            &format!("build__{model}__summary"),
            &format!("threatc build {shown} --out out"),
            &redact.output(&o),
        );
        let out = tmp.path().join("out");
        for (m, rel) in BUILD_FILES.iter().filter(|(m, _)| m == model) {
            let bytes = std::fs::read(out.join(rel)).unwrap();
            snaps.assert(
                &format!("build__{m}__{}", rel.replace('/', "-")),
                &format!("{rel} of threatc build {shown}"),
                &redact.section(rel, &bytes),
            );
        }
        snaps.assert(
            &format!("build__{model}__manifest"),
            &format!("every file of threatc build {shown}"),
            &redact.manifest(&out),
        );

        let o = run(
            &["build", file, "--out", "out-json", "--format", "json"],
            tmp.path(),
        );
        snaps.assert(
            &format!("build__{model}__summary-json"),
            &format!("threatc build {shown} --out out-json --format json"),
            &redact.output(&o),
        );
        // The same model gives the same bytes.
        assert!(
            snapshot(&out) == snapshot(&tmp.path().join("out-json")),
            "{model}: two builds differ"
        );
    }
    snaps.finish();
}

#[test]
fn diff_of_two_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let redact = Redact::new(&[(tmp.path(), "[TMP]")]);
    let dir: PathBuf = tmp.path().join("financial");
    copy_dir(&root().join("models/financial"), &dir);
    let a = std::fs::read_to_string(dir.join("model.yaml")).unwrap();
    std::fs::write(dir.join("model-b.yaml"), version_b(&a)).unwrap();

    let mut snaps = Snaps::default();
    let mut snap = |name: &str, args: &[&str]| {
        let o = run(args, &dir);
        let mut content = redact.output(&o);
        // --out: also the sizes and hashes of the files (the same texts as on stdout).
        if let Some(i) = args.iter().position(|a| *a == "--out") {
            content.push_str("=== files\n");
            content.push_str(&redact.manifest(&dir.join(args[i + 1])));
        }
        snaps.assert(
            &format!("diff__financial__{name}"),
            &format!("threatc {}", args.join(" ")),
            &content,
        );
    };
    snap("markdown", &["diff", "model.yaml", "model-b.yaml"]);
    snap(
        "json",
        &["diff", "model.yaml", "model-b.yaml", "--format", "json"],
    );
    snap(
        "out",
        &["diff", "model.yaml", "model-b.yaml", "--out", "diff-out"],
    );
    // A report.json of an earlier build as the base.
    let o = run(&["build", "model.yaml", "--out", "out-a"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    snap(
        "report-vs-model__markdown",
        &["diff", "out-a/report.json", "model-b.yaml"],
    );
    // --git: version A committed, version B in the work tree.
    std::fs::remove_dir_all(dir.join("out-a")).unwrap();
    std::fs::remove_dir_all(dir.join("diff-out")).unwrap();
    std::fs::rename(dir.join("model-b.yaml"), tmp.path().join("model-b.yaml")).unwrap();
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "A"]);
    std::fs::rename(tmp.path().join("model-b.yaml"), dir.join("model.yaml")).unwrap();
    snap("git__markdown", &["diff", "--git", "HEAD", "model.yaml"]);
    snaps.finish();
}

/// Every .snap file belongs to a snapshot these tests take: a renamed or removed case
/// leaves no stale snapshot behind.
#[test]
fn no_stale_snapshots() {
    let mut expected = std::collections::BTreeSet::new();
    for case in check_cases() {
        for f in CHECK_FORMATS {
            expected.insert(format!("check__{case}__{f}"));
        }
    }
    for m in MODELS {
        for f in ["human", "json"] {
            expected.insert(format!("check-model__{m}__{f}"));
        }
        for s in ["summary", "summary-json", "manifest"] {
            expected.insert(format!("build__{m}__{s}"));
        }
    }
    for (m, rel) in BUILD_FILES {
        expected.insert(format!("build__{m}__{}", rel.replace('/', "-")));
    }
    for d in DIFF_SNAPSHOTS {
        expected.insert(format!("diff__financial__{d}"));
    }
    let dir = root().join("tests/snapshots");
    let mut stale = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".snap") {
            if !expected.contains(stem) {
                stale.push(name);
            }
        }
    }
    stale.sort();
    assert!(
        stale.is_empty(),
        "snapshots no test takes (delete them): {stale:?}"
    );
}

#[test]
fn redaction_replaces_whole_paths_only() {
    let r = |s: &str| replace_path(s, "/app", "[ROOT]");
    assert_eq!(r("/app/m.yaml, /app: x"), "[ROOT]/m.yaml, [ROOT]: x");
    assert_eq!(r("/data/app/x /apps /app.d"), "/data/app/x /apps /app.d");
}
