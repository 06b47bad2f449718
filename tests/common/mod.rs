//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared`, or None (with a message) when absent and not required. Panics when
/// absent and THREATC_REQUIRE_SHARED=1, so CI cannot pass by skipping.
pub fn shared() -> Option<PathBuf> {
    let p = root().join("../shared");
    if p.join("attack").is_dir() {
        return Some(p);
    }
    if std::env::var("THREATC_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!(
            "../shared is required (THREATC_REQUIRE_SHARED=1) but {} is missing",
            p.display()
        );
    }
    eprintln!("skipping: ../shared is not beside the checkout");
    None
}

/// Runs the threatc binary.
pub fn threatc(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_threatc"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("THREATC_ATTACK_DATA")
        .output()
        .expect("threatc runs")
}

/// Starts the threatc binary with stdin, stdout and stderr piped (only `NO_COLOR` set).
pub fn spawn_piped(args: &[&str], cwd: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_threatc"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Copies a folder recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// The entries of a folder (files and folders), sorted by path.
pub fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
}

/// Every file under a folder with its bytes, sorted by relative path.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(base: &Path, d: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Runs git in `dir` with a fixed identity and no signing, ignoring the caller's
/// `GIT_DIR`/`GIT_WORK_TREE`; asserts success and returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("git prints UTF-8")
}

/// `text` with `from` (which must occur exactly once) replaced by `to`.
pub fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "expected `{from}` once in the model"
    );
    text.replacen(from, to, 1)
}

/// Version B of the financial example model: APT41 added, NET-exfil-volume retired, a
/// rule on T1059.003 added, version bumped. Used by the diff tests and snapshots.
pub fn version_b(a: &str) -> String {
    let t = replace_once(a, "actors:\n", "actors:\n  - group: APT41\n    weight: 1\n");
    let t = replace_once(
        &t,
        "    techniques: [T1041, T1048.003]\n    status: production\n",
        "    techniques: [T1041, T1048.003]\n    status: retired\n",
    );
    let t = replace_once(
        &t,
        "rules:\n",
        "rules:\n  - id: EDR-cmd-shell\n    name: cmd.exe spawned by an Office application\n    techniques: [T1059.003]\n    status: production\n",
    );
    replace_once(&t, "version: \"2026.11\"", "version: \"2026.12\"")
}

/// The synthetic v19-shaped bundles, generated once per test binary by
/// `scripts/make_v19_bundle.py` into `CARGO_TARGET_TMPDIR/v19-bundle` (overwritten on each
/// run, never committed): `(enterprise, ics)`. None (skip) when ../shared is absent and not
/// required.
pub fn v19_bundles() -> Option<(PathBuf, PathBuf)> {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let shared = shared()?;
    let dir = DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("v19-bundle");
        let o = Command::new("python3")
            .arg(root().join("scripts/make_v19_bundle.py"))
            .arg(shared.join("attack"))
            .arg(dir.join("enterprise-attack-19.0.json"))
            .arg("--ics")
            .arg(dir.join("ics-attack-19.0.json"))
            .output()
            .expect("python3 runs");
        assert!(
            o.status.success(),
            "make_v19_bundle.py failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        dir
    });
    Some((
        dir.join("enterprise-attack-19.0.json"),
        dir.join("ics-attack-19.0.json"),
    ))
}

/// The synthetic v19-shaped Enterprise bundle (see [`v19_bundles`]).
pub fn v19_bundle() -> Option<PathBuf> {
    v19_bundles().map(|(e, _)| e)
}

/// A fresh repository (a temporary folder with `.git`) holding `files` (relative path,
/// text), their folders made.
pub fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// A model written into a fresh repository (a temporary folder with `.git`), loaded and
/// resolved in-process against the embedded Enterprise catalog.
pub struct InlineModel {
    /// The repository (removed on drop).
    pub dir: tempfile::TempDir,
    /// The source map the model was read into.
    pub sources: threatc::source::SourceMap,
}

impl InlineModel {
    /// Writes `files` (relative path, text) into a new repository; the first is the model.
    pub fn new(files: &[(&str, &str)]) -> Self {
        InlineModel {
            dir: repo_with(files),
            sources: threatc::source::SourceMap::default(),
        }
    }

    /// The financial example in a new repository, its model.yaml rewritten by `edit`
    /// (see [`bank_repo`]).
    pub fn bank(edit: impl FnOnce(String) -> String) -> Self {
        InlineModel {
            dir: bank_repo(edit),
            sources: threatc::source::SourceMap::default(),
        }
    }

    /// The embedded Enterprise catalog.
    pub fn catalog() -> &'static threatc::catalog::Catalog {
        threatc::catalog::embedded(threatc::catalog::Domain::Enterprise).unwrap()
    }

    /// Loads and resolves `model.yaml`: the resolved model and its warnings, or the errors.
    pub fn resolve(
        &mut self,
    ) -> Result<(threatc::resolve::Resolved, threatc::diag::Diagnostics), threatc::diag::Diagnostics>
    {
        let loaded = threatc::model::load::load(
            &self.dir.path().join("model.yaml"),
            &mut self.sources,
            &threatc::model::load::LoadOptions::default(),
        )?;
        threatc::resolve::resolve(
            &loaded,
            Self::catalog(),
            &mut self.sources,
            &threatc::resolve::ResolveOptions::default(),
        )
    }

    /// [`InlineModel::resolve`], expecting success.
    pub fn resolved(&mut self) -> threatc::resolve::Resolved {
        match self.resolve() {
            Ok((r, _)) => r,
            Err(e) => panic!(
                "the model does not resolve: {:?}",
                e.iter().map(|d| d.message.clone()).collect::<Vec<_>>()
            ),
        }
    }

    /// Resolves and analyses the model, expecting success.
    pub fn analysis(&mut self) -> threatc::analysis::Analysis {
        let r = self.resolved();
        threatc::analysis::analyse(&r, Self::catalog())
    }
}

/// The codes of a list of diagnostics, in the order found.
pub fn codes(ds: &threatc::diag::Diagnostics) -> Vec<&'static str> {
    ds.iter().map(|d| d.code.as_str()).collect()
}

/// A small well-formedness check of XML: only allowed characters, known or numeric
/// references, balanced tags.
pub fn assert_well_formed_xml(xml: &str) {
    for c in xml.chars() {
        let ok =
            (c >= ' ' || matches!(c, '\t' | '\n' | '\r')) && !matches!(c, '\u{FFFE}' | '\u{FFFF}');
        assert!(ok, "character U+{:04X} is not allowed in XML", u32::from(c));
    }
    for (i, _) in xml.match_indices('&') {
        let rest = xml.get(i + 1..).unwrap();
        let end = rest.find(';').unwrap();
        let name = rest.get(..end).unwrap();
        let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
            || name
                .strip_prefix('#')
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
        assert!(ok, "bad reference &{name};");
    }
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        let after = rest.get(i + 1..).unwrap();
        let end = after.find('>').unwrap();
        let tag = after.get(..end).unwrap();
        assert!(!tag.contains('<'), "`<` inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "unbalanced </{name}>"
            );
        } else if !tag.ends_with('/') && !tag.starts_with('?') && !tag.starts_with('!') {
            let name = tag.split_whitespace().next().unwrap_or("");
            stack.push(name.to_string());
        }
        rest = after.get(end + 1..).unwrap();
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

/// Runs the threatc binary, expecting exit code 0 (its stderr shown otherwise).
pub fn threatc_ok(args: &[&str], cwd: &Path) -> Output {
    let o = threatc(args, cwd);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    o
}

/// The financial example copied into a fresh repository (a temporary folder with
/// `.git`), its `model.yaml` rewritten by `edit`.
pub fn bank_repo(edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    copy_dir(&root().join("models/financial"), dir.path());
    let model = dir.path().join("model.yaml");
    let text = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, edit(text)).unwrap();
    dir
}

/// Loads and resolves a model file in-process against the embedded Enterprise catalog,
/// with `--allow-outside-root` (for imports from ../shared), expecting success.
pub fn resolve_outside_root(model: &Path) -> threatc::resolve::Resolved {
    let mut sources = threatc::source::SourceMap::default();
    let loaded = threatc::model::load::load(
        model,
        &mut sources,
        &threatc::model::load::LoadOptions::default(),
    )
    .unwrap();
    let opts = threatc::resolve::ResolveOptions {
        allow_outside_root: true,
        ..Default::default()
    };
    let (r, _) =
        threatc::resolve::resolve(&loaded, InlineModel::catalog(), &mut sources, &opts).unwrap();
    r
}

/// The codes of the diagnostics of a `--format json` output, in the order found.
pub fn json_codes(v: &serde_json::Value) -> Vec<&str> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect()
}
