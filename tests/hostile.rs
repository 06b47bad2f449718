//! The hostile-input corpus: malformed, hostile or inconsistent inputs. Each must give
//! its diagnostic (code, and line where there is one), its exit code, and leave an
//! earlier build's outputs exactly as they were.

mod common;
use common::*;
use std::path::Path;

const GOOD: &str = "threatc: 1\nmodel:\n  name: t\nactors:\n  - group: FIN7\n";

struct Case {
    name: &'static str,
    content: Vec<u8>,
    code: &'static str,
    line: Option<u64>,
    exit: i32,
}

fn case(
    name: &'static str,
    content: impl Into<Vec<u8>>,
    code: &'static str,
    line: Option<u64>,
    exit: i32,
) -> Case {
    Case {
        name,
        content: content.into(),
        code,
        line,
        exit,
    }
}

fn cases() -> Vec<Case> {
    let mut utf16 = vec![0xFF, 0xFE];
    for b in GOOD.bytes() {
        utf16.extend([b, 0]);
    }
    let mut binary = Vec::new();
    for i in 0..4096u32 {
        binary.push((i.wrapping_mul(2_654_435_761) >> 13) as u8);
    }
    let mut bomb =
        String::from("threatc: 1\nmodel:\n  name: t\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..20 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    let deep = format!(
        "threatc: 1\nmodel:\n  name: t\nx: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let big = {
        let mut s = String::from("threatc: 1\nmodel:\n  name: t\n  description: \"");
        s.push_str(&"x".repeat(50 * 1024 * 1024));
        s.push_str("\"\n");
        s
    };
    vec![
        case("empty", "", "empty-model", Some(1), 2),
        case("comments-only", "# nothing here\n", "empty-model", Some(1), 2),
        case("not-yaml", "threatc: 1\nmodel: [unclosed\n  name: t\n", "yaml-syntax", None, 2),
        case("binary", binary, "not-utf8", Some(1), 2),
        case("utf16", utf16, "not-utf8", Some(1), 2),
        case("tabs", "threatc: 1\nmodel:\n\tname: t\n", "yaml-syntax", Some(3), 2),
        case("alias-bomb", bomb, "yaml-limit", None, 2),
        case("deep-nesting", deep, "yaml-limit", Some(4), 2),
        case("fifty-mb", big, "yaml-limit", None, 2),
        case("duplicate-keys", "threatc: 1\nmodel:\n  name: t\n  name: u\n", "yaml-duplicate-key", Some(4), 2),
        case("top-level-list", "- threatc: 1\n", "schema-type", Some(1), 2),
        case("model-is-string", "threatc: 1\nmodel: acme\n", "schema-type", Some(2), 2),
        case("actors-is-map", "threatc: 1\nmodel:\n  name: t\nactors:\n  group: FIN7\n", "schema-type", Some(5), 2),
        case("actor-is-string", "threatc: 1\nmodel:\n  name: t\nactors:\n  - FIN7\n", "schema-type", Some(5), 2),
        case("platforms-is-string", "threatc: 1\nmodel:\n  name: t\nassets:\n  - id: a\n    platforms: Windows\n", "schema-type", Some(6), 2),
        case("rule-techniques-number", "threatc: 1\nmodel:\n  name: t\nrules:\n  - id: r\n    techniques: [1059]\n", "schema-type", Some(6), 2),
        case("unknown-top-key", "threatc: 1\nmodel:\n  name: t\nactrs: []\n", "schema-unknown-key", Some(4), 2),
        case("negative-weight", "threatc: 1\nmodel:\n  name: t\nactors:\n  - group: FIN7\n    weight: -5\n", "schema-value", Some(6), 2),
        case("huge-weight", "threatc: 1\nmodel:\n  name: t\nactors:\n  - group: FIN7\n    weight: 99999999999999999999999\n", "schema-value", Some(6), 2),
        case("infinite-weight", "threatc: 1\nmodel:\n  name: t\nactors:\n  - group: FIN7\n    weight: 1e400\n", "yaml-syntax", Some(6), 2),
        case("huge-version", "threatc: 18446744073709551616\nmodel:\n  name: t\n", "unsupported-version", Some(1), 2),
        case("negative-due", "threatc: 1\nmodel:\n  name: t\nplan:\n  due: {p1: -3}\n", "schema-value", Some(5), 2),
        case("bad-date", "threatc: 1\nmodel:\n  name: t\n  assessed: 15/11/2026\n", "invalid-date", Some(4), 2),
        case("bad-target-date", "threatc: 1\nmodel:\n  name: t\ntargets:\n  - id: x\n    coverage: 50%\n    by: 2027-13-01\n", "invalid-date", Some(7), 2),
        case("id-wrong-shape", "threatc: 1\nmodel:\n  name: t\nassets:\n  - id: \"domain controllers\"\n    platforms: [Windows]\n", "schema-value", Some(5), 2),
        case("rule-id-wrong-shape", "threatc: 1\nmodel:\n  name: t\nrules:\n  - id: \"-x\"\n    techniques: [T1059]\n", "schema-value", Some(5), 2),
        case("technique-wrong-shape", "threatc: 1\nmodel:\n  name: t\nrules:\n  - id: r\n    techniques: [\"T1059.1\"]\n", "bad-technique-id", Some(6), 2),
        case("dangling-asset", "threatc: 1\nmodel:\n  name: t\nrules:\n  - id: r\n    techniques: [T1059]\n    assets: [nowhere]\n", "undefined-asset", Some(7), 2),
        case("dangling-actor", "threatc: 1\nmodel:\n  name: t\ntargets:\n  - id: x\n    actors: [ghost]\n    coverage: 50%\n", "undefined-actor", Some(6), 2),
        case("include-missing", "threatc: 1\nmodel:\n  name: t\ninclude: [nope.yaml]\n", "include-not-found", Some(4), 2),
        case("include-escape", "threatc: 1\nmodel:\n  name: t\ninclude: [../../../../../../etc/passwd]\n", "path-outside-root", Some(4), 2),
        case("import-escape", "threatc: 1\nmodel:\n  name: t\nrules:\n  - import: sigma\n    path: ../../../../../../etc\n", "import-outside-root", None, 2),
        case("include-self", "threatc: 1\nmodel:\n  name: t\ninclude: [m.yaml]\n", "include-cycle", Some(4), 2),
    ]
}

/// A folder that is a git repository root (so path checks have a root), with an
/// earlier good build in `out/`.
fn workspace() -> (tempfile::TempDir, Vec<(String, Vec<u8>)>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let m = dir.path().join("m.yaml");
    std::fs::write(&m, GOOD).unwrap();
    threatc_ok(&["build", "m.yaml", "--out", "out"], dir.path());
    std::fs::write(dir.path().join("out/keep.txt"), "a file of the user's").unwrap();
    let snap = snapshot(&dir.path().join("out"));
    (dir, snap)
}

fn run_case(dir: &Path, c: &Case) -> Result<(), String> {
    std::fs::write(dir.join("m.yaml"), &c.content).unwrap();
    let o = threatc(
        &["build", "m.yaml", "--out", "out", "--format", "json"],
        dir,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .map_err(|e| format!("{}: stdout is not JSON ({e}): {}", c.name, stdout(&o)))?;
    let diags = v["diagnostics"].as_array().cloned().unwrap_or_default();
    let hit = diags.iter().find(|d| {
        d["code"] == c.code && (d["severity"] == "error" || c.code.starts_with("import-"))
    });
    let Some(hit) = hit else {
        return Err(format!(
            "{}: no `{}` in {}",
            c.name,
            c.code,
            serde_json::to_string(&diags).unwrap()
        ));
    };
    if let Some(line) = c.line {
        if hit["line"].as_u64() != Some(line) {
            return Err(format!(
                "{}: `{}` at line {:?}, expected {line}",
                c.name, c.code, hit["line"]
            ));
        }
    }
    if hit["file"].as_str().is_none_or(|f| !f.ends_with(".yaml")) && !c.code.starts_with("import-")
    {
        return Err(format!("{}: diagnostic without the file: {hit}", c.name));
    }
    if o.status.code() != Some(c.exit) {
        return Err(format!(
            "{}: exit {:?}, expected {}",
            c.name,
            o.status.code(),
            c.exit
        ));
    }
    Ok(())
}

#[test]
fn hostile_inputs_give_their_diagnostic_and_touch_nothing() {
    let (dir, before) = workspace();
    let mut failures = Vec::new();
    for c in cases() {
        if let Err(e) = run_case(dir.path(), &c) {
            failures.push(e);
        }
        if snapshot(&dir.path().join("out")) != before {
            failures.push(format!("{}: the earlier outputs changed", c.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = vec![0xEF, 0xBB, 0xBF];
    text.extend(GOOD.bytes());
    std::fs::write(dir.path().join("m.yaml"), text).unwrap();
    threatc_ok(&["check", "m.yaml"], dir.path());
}

#[test]
fn include_cycle_through_two_files() {
    let (dir, before) = workspace();
    std::fs::write(dir.path().join("b.yaml"), "threatc: 1\ninclude: [m.yaml]\n").unwrap();
    let c = case(
        "two-file-cycle",
        "threatc: 1\nmodel:\n  name: t\ninclude: [b.yaml]\n",
        "include-cycle",
        None,
        2,
    );
    run_case(dir.path(), &c).unwrap();
    assert_eq!(snapshot(&dir.path().join("out")), before);
}

#[test]
fn an_unwritable_output_folder_is_an_io_error_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), GOOD).unwrap();
    // The output "folder" is a file: it cannot be created or written into.
    std::fs::write(dir.path().join("out"), "precious").unwrap();
    let o = threatc(&["build", "m.yaml", "--out", "out"], dir.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("output-error"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out")).unwrap(),
        "precious"
    );
    // A folder inside it that is a file.
    std::fs::remove_file(dir.path().join("out")).unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/layers"), "precious").unwrap();
    let o = threatc(&["build", "m.yaml", "--out", "out"], dir.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/layers")).unwrap(),
        "precious"
    );
    assert!(!dir.path().join("out/report.json").exists());
}

#[test]
fn a_stix_file_that_is_not_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), GOOD).unwrap();
    for (name, content) in [
        ("not-json.json", "this is not json"),
        ("not-bundle.json", "{\"type\": \"report\"}"),
        ("no-attack.json", "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[{\"type\":\"indicator\",\"id\":\"indicator--1\"}]}"),
        ("list.json", "[1, 2, 3]"),
    ] {
        std::fs::write(dir.path().join(name), content).unwrap();
        let o = threatc(&["check", "m.yaml", "--attack-data", name, "--attack-release", "19.0"], dir.path());
        assert_eq!(o.status.code(), Some(3), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains("attack-data"), "{name}: {}", stderr(&o));
    }
    let o = threatc(
        &["check", "m.yaml", "--attack-data", "missing.json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(3));
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_in_an_import_folder_ends() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let rules = dir.path().join("rules/sub");
    std::fs::create_dir_all(&rules).unwrap();
    std::os::unix::fs::symlink("..", rules.join("loop")).unwrap();
    std::fs::write(
        rules.join("r.yml"),
        "title: T\nid: 11111111-1111-1111-1111-111111111111\nstatus: stable\ntags: [attack.t1059.001]\nlogsource: {product: windows}\ndetection: {sel: {a: b}, condition: sel}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        format!("{GOOD}rules:\n  - import: sigma\n    path: rules\n"),
    )
    .unwrap();
    let o = threatc(&["check", "m.yaml", "--format", "json"], dir.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes = json_codes(&v);
    assert!(codes.contains(&"import-symlink-loop"), "{codes:?}");
}
