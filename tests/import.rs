//! The importers on real rule inventories (../shared/fixtures) and on broken or hostile
//! inputs made in a temporary folder.
//!
//! Tests that need ../shared fail when `THREATC_REQUIRE_SHARED=1` and it is missing;
//! otherwise they print why they skip.
//!
//! Counting semantics checked against independent readings (none of them uses
//! `threatc::import`):
//! - Sigma: like `sigma analyze attack` (sigma-cli), which appends a rule to the list of
//!   every `attack.*` tag it carries, upper-cased, and does not filter by status: a rule
//!   counts once for each technique tag it has; a sub-technique tag counts for the
//!   sub-technique only, never for its parent (sigma-cli's default `--subtechniques`); tactic,
//!   group and software tags are not techniques (sigma-cli emits them only when they map to a
//!   tactic, which they never do). Deprecated rules are counted (sigma-cli does not drop
//!   them; the fixture has none anyway). A tag listed twice in one rule counts once.
//! - Splunk: each id in `tags.mitre_attack_id` counts for the detection, as listed
//!   (the sample lists parents and sub-techniques side by side); deprecated detections count.
//! - Elastic: each technique and sub-technique id under a `framework = "MITRE ATT&CK"` threat
//!   counts, once per rule, as the TOML lists them.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use threatc::import::{import, summarize, Format, ImportOptions, ImportResult};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/fixtures/<rel>` when present; panics when it must be present.
fn shared(rel: &str) -> Option<PathBuf> {
    let p = crate_dir().join("../shared/fixtures").join(rel);
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("THREATC_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("THREATC_REQUIRE_SHARED=1 but {} is missing", p.display());
    }
    eprintln!(
        "skipping: {} is absent (set THREATC_REQUIRE_SHARED=1 to fail instead)",
        p.display()
    );
    None
}

/// Options for reading ../shared from the crate: the root is the folder holding both.
fn shared_opts() -> ImportOptions {
    let base = crate_dir();
    // The folder holding both the checkout and ../shared, even when ../shared is a link
    // to elsewhere (a git worktree beside a linked ../shared).
    let parent = base
        .parent()
        .map_or_else(|| base.clone(), Path::to_path_buf);
    let shared = fs::canonicalize(base.join("../shared")).unwrap_or_else(|_| parent.clone());
    let root = parent
        .ancestors()
        .find(|a| shared.starts_with(a))
        .map_or(parent.clone(), Path::to_path_buf);
    ImportOptions {
        base_dir: base,
        root,
        allow_outside_root: false,
        exclude: Vec::new(),
    }
}

fn files_with_ext(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for p in common::sorted_entries(dir) {
        if p.is_dir() {
            files_with_ext(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

/// `T####` or `T####.###` (upper-case input).
fn is_technique(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && d(&b[1..]),
        9 => b[0] == b'T' && d(&b[1..5]) && b[5] == b'.' && d(&b[6..]),
        _ => false,
    }
}

/// Independent reading of a Sigma file: the top-level `tags:` block list, line by line.
fn sigma_techniques_by_lines(text: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let mut in_tags = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("tags:") {
            let rest = rest.trim();
            assert!(
                rest.is_empty(),
                "flow-style tags are not read by this scan: {line}"
            );
            in_tags = true;
            continue;
        }
        if !in_tags {
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') && !line.starts_with('-') {
            in_tags = false;
            continue;
        }
        let Some(item) = trimmed.strip_prefix("- ") else {
            in_tags = false;
            continue;
        };
        // A YAML comment starts at `#` after white space.
        let item = item.split(" #").next().unwrap_or(item);
        let item = item.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
        if let Some(name) = item.strip_prefix("attack.") {
            let upper = name.to_ascii_uppercase();
            if is_technique(&upper) {
                set.insert(upper);
            }
        }
    }
    set
}

fn count(per_rule: &[BTreeSet<String>]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for set in per_rule {
        for t in set {
            *m.entry(t.clone()).or_insert(0) += 1;
        }
    }
    m
}

#[test]
fn sigma_counts_match_an_independent_reading() {
    let Some(dir) = shared("sigma") else { return };
    let mut files = Vec::new();
    files_with_ext(&dir, "yml", &mut files);
    assert_eq!(files.len(), 3748, "the fixture holds 3,748 Sigma rules");

    let mut per_rule = Vec::new();
    for f in &files {
        let text = fs::read_to_string(f).unwrap();
        assert!(
            !text.lines().any(|l| l.trim_end() == "---"),
            "multi-document file not covered by this reading: {}",
            f.display()
        );
        per_rule.push(sigma_techniques_by_lines(&text));
    }
    let expected = count(&per_rule);
    let expected_without = per_rule.iter().filter(|s| s.is_empty()).count();

    let res = import(Format::Sigma, "../shared/fixtures/sigma", &shared_opts());
    assert!(res.problems.is_empty(), "{:#?}", res.problems);
    assert_eq!(res.files_read, 3748);
    assert_eq!(res.rules.len() + res.skipped.no_technique, 3748);
    assert_eq!(res.skipped.no_technique, expected_without);
    assert_eq!(res.no_technique.len(), expected_without);
    let summary = summarize(&res);
    assert_eq!(summary.techniques, expected);
    // Sub-technique tags do not count for the parent: T1059 alone is tagged less often
    // than T1059 and its sub-techniques together.
    let family: usize = expected
        .iter()
        .filter(|(k, _)| k.starts_with("T1059"))
        .map(|(_, v)| v)
        .sum();
    assert!(summary.techniques.get("T1059").copied().unwrap_or(0) < family);

    // Every rule id is the rule's own `id:` and every technique has a line.
    for rule in &res.rules {
        assert!(rule.line.is_some());
        assert!(rule
            .techniques
            .iter()
            .all(|t| t.line.is_some() && t.column.is_some()));
        assert!(!rule.id.is_empty() && !rule.title.is_empty());
    }

    // The glob form of the same inventory gives the same result.
    let globbed = import(
        Format::Sigma,
        "../shared/fixtures/sigma/rules*/**/*.yml",
        &shared_opts(),
    );
    assert_eq!(globbed, res);
}

#[test]
fn sigma_technique_lines_point_at_the_tag() {
    let Some(dir) = shared("sigma") else { return };
    let res = import(
        Format::Sigma,
        "../shared/fixtures/sigma/rules/windows",
        &shared_opts(),
    );
    assert!(res.rules.len() > 100);
    for rule in res.rules.iter().take(200) {
        let text = fs::read_to_string(crate_dir().join(&rule.source)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for t in &rule.techniques {
            let line = lines[t.line.unwrap() as usize - 1];
            let col = t.column.unwrap() as usize - 1;
            assert!(
                line[col..]
                    .to_ascii_uppercase()
                    .starts_with(&format!("ATTACK.{}", t.id)),
                "{}:{} `{line}` for {}",
                rule.source.display(),
                t.line.unwrap(),
                t.id
            );
        }
    }
    let _ = dir;
}

#[test]
fn splunk_counts_match_an_independent_reading() {
    let Some(dir) = shared("splunk-escu-sample") else {
        return;
    };
    let mut files = Vec::new();
    files_with_ext(&dir, "yml", &mut files);
    assert_eq!(files.len(), 25);
    let mut per_rule = Vec::new();
    let mut deprecated = 0;
    for f in &files {
        let text = fs::read_to_string(f).unwrap();
        if text.lines().any(|l| l.trim() == "status: deprecated") {
            deprecated += 1;
        }
        let mut set = BTreeSet::new();
        let mut inside = false;
        for line in text.lines() {
            if line.trim_start().starts_with("mitre_attack_id:") {
                inside = true;
                continue;
            }
            if inside {
                match line.trim().strip_prefix("- ") {
                    Some(id) if is_technique(id.trim()) => {
                        set.insert(id.trim().to_string());
                    }
                    _ => inside = false,
                }
            }
        }
        per_rule.push(set);
    }
    let res = import(
        Format::Splunk,
        "../shared/fixtures/splunk-escu-sample",
        &shared_opts(),
    );
    assert!(res.problems.is_empty(), "{:#?}", res.problems);
    assert_eq!(res.files_read, 25);
    assert_eq!(summarize(&res).techniques, count(&per_rule));
    assert_eq!(deprecated, 2);
    assert_eq!(res.skipped.deprecated, deprecated);
    assert_eq!(
        res.rules.iter().filter(|r| r.deprecated).count(),
        deprecated
    );
    for r in &res.rules {
        assert!(matches!(
            r.status.as_deref(),
            Some("production" | "experimental" | "deprecated")
        ));
    }
}

#[test]
fn elastic_counts_match_an_independent_reading() {
    let Some(dir) = shared("elastic-sample") else {
        return;
    };
    let mut files = Vec::new();
    files_with_ext(&dir, "toml", &mut files);
    assert_eq!(files.len(), 25);
    let mut per_rule = Vec::new();
    let mut deprecated = 0;
    for f in &files {
        let value: toml::Value = toml::from_str(&fs::read_to_string(f).unwrap()).unwrap();
        if value["metadata"]["maturity"].as_str() == Some("deprecated") {
            deprecated += 1;
        }
        let mut set = BTreeSet::new();
        let threats = value["rule"]
            .get("threat")
            .and_then(|t| t.as_array())
            .cloned()
            .unwrap_or_default();
        for threat in threats {
            if threat.get("framework").and_then(|f| f.as_str()) != Some("MITRE ATT&CK") {
                continue;
            }
            for tech in threat
                .get("technique")
                .and_then(|t| t.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(id) = tech.get("id").and_then(|i| i.as_str()) {
                    set.insert(id.to_string());
                }
                for sub in tech
                    .get("subtechnique")
                    .and_then(|t| t.as_array())
                    .into_iter()
                    .flatten()
                {
                    if let Some(id) = sub.get("id").and_then(|i| i.as_str()) {
                        set.insert(id.to_string());
                    }
                }
            }
        }
        per_rule.push(set);
    }
    let res = import(
        Format::Elastic,
        "../shared/fixtures/elastic-sample",
        &shared_opts(),
    );
    assert!(res.problems.is_empty(), "{:#?}", res.problems);
    assert_eq!(summarize(&res).techniques, count(&per_rule));
    assert_eq!(
        res.skipped.no_technique,
        per_rule.iter().filter(|s| s.is_empty()).count()
    );
    assert_eq!(res.skipped.deprecated, deprecated);
    // Technique lines point at the `id = "T…"` line.
    for rule in &res.rules {
        let text = fs::read_to_string(crate_dir().join(&rule.source)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for t in &rule.techniques {
            let line = lines[t.line.unwrap() as usize - 1];
            assert!(
                line.contains(&format!("\"{}\"", t.id)),
                "{line} for {}",
                t.id
            );
        }
    }
}

#[test]
fn importing_twice_gives_identical_results() {
    let Some(_) = shared("sigma") else { return };
    let a = import(
        Format::Sigma,
        "../shared/fixtures/sigma/rules",
        &shared_opts(),
    );
    let b = import(
        Format::Sigma,
        "../shared/fixtures/sigma/rules",
        &shared_opts(),
    );
    assert_eq!(a, b);
    let mut keys: Vec<_> = a.rules.iter().map(|r| (&r.source, r.line, &r.id)).collect();
    let sorted = {
        let mut k = keys.clone();
        k.sort();
        k
    };
    assert_eq!(keys, sorted);
    keys.dedup();
    assert_eq!(keys.len(), a.rules.len());
}

#[test]
fn shared_fixtures_stay_outside_the_crate_root() {
    let Some(_) = shared("sigma") else { return };
    // With the crate's own repository as root, ../shared is out of bounds.
    let opts = ImportOptions {
        root: crate_dir(),
        ..shared_opts()
    };
    let res = import(Format::Sigma, "../shared/fixtures/sigma", &opts);
    assert!(res.rules.is_empty());
    assert_eq!(res.files_read, 0);
    assert_eq!(codes(&res), ["import-outside-root"]);
}

// ---- made-up inputs in a temporary folder ----

/// A repository in a temporary folder: `<tmp>/repo` is the root and the base folder.
struct Repo {
    _tmp: tempfile::TempDir,
    outside: PathBuf,
    repo: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().to_path_buf();
        let repo = outside.join("repo");
        fs::create_dir_all(repo.join(".git")).unwrap();
        Repo {
            _tmp: tmp,
            outside,
            repo,
        }
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        let p = self.repo.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }

    fn opts(&self) -> ImportOptions {
        ImportOptions::new(&self.repo)
    }
}

fn codes(res: &ImportResult) -> Vec<&'static str> {
    res.problems.iter().map(|p| p.code.as_str()).collect()
}

const GOOD_SIGMA: &str = "title: Good\nid: good-1\nstatus: test\ntags:\n    - attack.execution\n    - attack.t1059.001\n";

#[test]
fn find_root_finds_the_git_folder() {
    let r = Repo::new();
    fs::create_dir_all(r.repo.join("models/deep")).unwrap();
    let found = threatc::import::find_root(&r.repo.join("models/deep"));
    assert_eq!(
        fs::canonicalize(found).unwrap(),
        fs::canonicalize(&r.repo).unwrap()
    );
}

#[test]
fn malformed_files_are_reported_and_others_still_import() {
    let r = Repo::new();
    r.write("rules/good.yml", GOOD_SIGMA.as_bytes());
    r.write(
        "rules/bad.yml",
        b"title: Bad\nid: bad\ntags:\n  - attack.t1003\n  bad: [unclosed\n",
    );
    r.write("rules/dup.yml", b"title: Dup\nid: a\nid: b\n");
    r.write(
        "rules/binary.yml",
        &[0x74, 0x69, 0x0a, 0xff, 0xfe, 0x00, 0x01],
    );
    r.write("rules/empty.yml", b"");
    r.write(
        "rules/badtag.yml",
        b"title: T\nid: t\ntags:\n  - attack.t10591\n  - attack.t1110\n",
    );
    r.write("rules/notes.txt", b"not a rule");

    let res = import(Format::Sigma, "rules", &r.opts());
    assert_eq!(res.files_read, 6, "{:#?}", res);
    let ids: Vec<_> = res.rules.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["t", "good-1"]);
    assert_eq!(res.rules[1].source, PathBuf::from("rules/good.yml"));

    let by_file: BTreeMap<String, (&str, Option<u32>)> = res
        .problems
        .iter()
        .map(|p| (p.path.display().to_string(), (p.code.as_str(), p.line)))
        .collect();
    let (code, line) = by_file["rules/bad.yml"];
    assert_eq!(code, "import-parse-error");
    assert!(line.is_some_and(|l| l >= 4), "{:#?}", res.problems);
    let (code, line) = by_file["rules/dup.yml"];
    assert_eq!(code, "import-parse-error");
    assert_eq!(line, Some(3), "{:#?}", res.problems);
    assert_eq!(by_file["rules/binary.yml"], ("import-not-utf8", Some(2)));
    assert_eq!(by_file["rules/empty.yml"], ("import-empty-file", Some(1)));
    assert_eq!(
        by_file["rules/badtag.yml"],
        ("import-bad-technique-id", Some(4))
    );
    for p in &res.problems {
        assert!(!p.message.contains('\n'), "{}", p.message);
        assert!(!p.message.ends_with('.'), "{}", p.message);
        assert!(
            p.message.chars().next().is_some_and(|c| !c.is_uppercase()),
            "{}",
            p.message
        );
    }
}

#[test]
fn malformed_toml_json_and_csv() {
    let r = Repo::new();
    r.write("e/good.toml", b"[rule]\nrule_id = \"r\"\nname = \"R\"\n[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[[rule.threat.technique]]\nid = \"T1078\"\n");
    r.write(
        "e/bad.toml",
        b"[rule]\nrule_id = \"x\"\nname = = \"oops\"\n",
    );
    let res = import(Format::Elastic, "e", &r.opts());
    assert_eq!(res.rules.len(), 1);
    assert_eq!(codes(&res), ["import-parse-error"]);
    assert_eq!(res.problems[0].line, Some(3));
    assert_eq!(res.problems[0].path, PathBuf::from("e/bad.toml"));

    r.write(
        "n/bad.json",
        b"{\n  \"techniques\": [\n    {\"techniqueID\": \"T1059\",}\n  ]\n}\n",
    );
    let res = import(Format::Navigator, "n", &r.opts());
    assert_eq!(codes(&res), ["import-parse-error"]);
    assert_eq!(res.problems[0].line, Some(3));

    r.write("c/rules.csv", b"id,name\n1,x\n");
    let res = import(Format::Csv, "c/rules.csv", &r.opts());
    assert_eq!(codes(&res), ["import-missing-column"]);
}

#[test]
fn oversized_files_are_skipped() {
    let r = Repo::new();
    let mut big = GOOD_SIGMA.as_bytes().to_vec();
    big.resize(10 * 1024 * 1024 + 1, b'#');
    r.write("rules/big.yml", &big);
    r.write("rules/good.yml", GOOD_SIGMA.as_bytes());
    let res = import(Format::Sigma, "rules", &r.opts());
    assert_eq!(res.rules.len(), 1);
    assert_eq!(codes(&res), ["import-file-too-large"]);
}

#[test]
fn paths_that_escape_the_root_are_refused() {
    let r = Repo::new();
    fs::write(r.outside.join("secret.yml"), GOOD_SIGMA).unwrap();
    for spec in [
        "../secret.yml",
        "../../etc",
        "../../../../../../etc/passwd",
        "/etc",
    ] {
        let res = import(Format::Sigma, spec, &r.opts());
        assert!(res.rules.is_empty(), "{spec}");
        assert_eq!(res.files_read, 0, "{spec}");
        assert_eq!(codes(&res), ["import-outside-root"], "{spec}");
    }
    // Unless explicitly allowed.
    let opts = ImportOptions {
        allow_outside_root: true,
        ..r.opts()
    };
    let res = import(Format::Sigma, "../secret.yml", &opts);
    assert_eq!(res.rules.len(), 1);
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_root_are_refused() {
    use std::os::unix::fs::symlink;
    let r = Repo::new();
    fs::write(r.outside.join("secret.yml"), GOOD_SIGMA).unwrap();
    fs::create_dir_all(r.outside.join("elsewhere")).unwrap();
    fs::write(r.outside.join("elsewhere/other.yml"), GOOD_SIGMA).unwrap();
    r.write("rules/mine.yml", GOOD_SIGMA.as_bytes());
    symlink(r.outside.join("secret.yml"), r.repo.join("rules/link.yml")).unwrap();
    symlink(r.outside.join("elsewhere"), r.repo.join("rules/dir-link")).unwrap();

    let res = import(Format::Sigma, "rules", &r.opts());
    assert_eq!(res.files_read, 1);
    assert_eq!(res.rules.len(), 1);
    assert_eq!(res.rules[0].source, PathBuf::from("rules/mine.yml"));
    assert_eq!(codes(&res), ["import-outside-root", "import-outside-root"]);

    // Naming the link directly is refused as well.
    let res = import(Format::Sigma, "rules/link.yml", &r.opts());
    assert_eq!(codes(&res), ["import-outside-root"]);
}

#[cfg(unix)]
#[test]
fn symlink_loops_end_with_a_problem() {
    use std::os::unix::fs::symlink;
    let r = Repo::new();
    r.write("rules/sub/a.yml", GOOD_SIGMA.as_bytes());
    // A folder linked to its parent, and a link to itself.
    symlink(r.repo.join("rules"), r.repo.join("rules/sub/up")).unwrap();
    symlink(r.repo.join("rules/self.yml"), r.repo.join("rules/self.yml")).unwrap();

    let (tx, rx) = std::sync::mpsc::channel();
    let opts = r.opts();
    std::thread::spawn(move || {
        let _ = tx.send(import(Format::Sigma, "rules", &opts));
    });
    // A guard against a hang, not a speed check: the walk takes milliseconds.
    let res = rx
        .recv_timeout(Duration::from_secs(300))
        .expect("import of a symlink loop did not finish");
    assert_eq!(res.rules.len(), 1);
    let mut c = codes(&res);
    c.sort();
    assert_eq!(
        c,
        ["import-symlink-loop", "import-symlink-loop"],
        "{:#?}",
        res.problems
    );

    // Through a glob too.
    let res = import(Format::Sigma, "rules/**/*.yml", &r.opts());
    assert_eq!(res.rules.len(), 1);
    assert!(codes(&res).contains(&"import-symlink-loop"));
}

#[test]
fn globs_excludes_and_unmatched_paths() {
    let r = Repo::new();
    r.write("det/win/a.yml", GOOD_SIGMA.as_bytes());
    r.write("det/win/deprecated/old.yml", GOOD_SIGMA.as_bytes());
    r.write("det/linux/b.yaml", GOOD_SIGMA.as_bytes());
    r.write("det/linux/c.yml", GOOD_SIGMA.as_bytes());
    r.write("det/.github/workflow.yml", b"on: push\n");

    let res = import(Format::Sigma, "det", &r.opts());
    assert_eq!(res.files_read, 4, "hidden folders are skipped");

    let res = import(Format::Sigma, "det/**/*.yml", &r.opts());
    assert_eq!(res.files_read, 3);

    let opts = ImportOptions {
        exclude: vec!["**/deprecated/**".into()],
        ..r.opts()
    };
    let res = import(Format::Sigma, "det", &opts);
    let sources: Vec<_> = res.rules.iter().map(|x| x.source.clone()).collect();
    assert_eq!(
        sources,
        ["det/linux/b.yaml", "det/linux/c.yml", "det/win/a.yml"].map(PathBuf::from)
    );

    for spec in ["nothing-here", "det/**/*.toml", "det/win/deprecated"] {
        let res = import(Format::Elastic, spec, &r.opts());
        assert_eq!(codes(&res), ["import-path-not-found"], "{spec}");
    }
}

#[test]
fn navigator_and_csv_inventories() {
    let r = Repo::new();
    r.write(
        "layers/edr.json",
        br#"{"name": "EDR", "versions": {"attack": "18", "layer": "4.5"}, "domain": "enterprise-attack",
  "techniques": [
    {"techniqueID": "T1059.001", "tactic": "execution", "score": 2, "comment": "PowerShell logging"},
    {"techniqueID": "T1003", "tactic": "credential-access", "score": 0},
    {"techniqueID": "T1110", "tactic": "credential-access", "score": 1, "enabled": false}
  ]}"#,
    );
    let res = import(Format::Navigator, "layers", &r.opts());
    assert!(res.problems.is_empty(), "{:#?}", res.problems);
    assert_eq!(
        res.attack_versions,
        [(PathBuf::from("layers/edr.json"), "18".to_string())]
    );
    assert_eq!(res.rules.len(), 1);
    assert_eq!(res.rules[0].id, "edr:T1059.001");
    assert_eq!(res.rules[0].title, "PowerShell logging");

    r.write(
        "inv.csv",
        b"Id,Name,Techniques,Status\nr1,One,T1059.001;T1003,production\nr2,Two,,production\nr3,Three,T1003 T1110,deprecated\n",
    );
    let res = import(Format::Csv, "inv.csv", &r.opts());
    assert!(res.problems.is_empty());
    let s = summarize(&res);
    assert_eq!(s.rules, 2);
    assert_eq!(s.deprecated, 1);
    assert_eq!(s.no_technique, 1);
    assert_eq!(s.techniques["T1003"], 2);
    assert_eq!(
        res.no_technique,
        [(PathBuf::from("inv.csv"), "r2".into(), "Two".into())]
    );
}
