//! The remediation plan: plan.md, plan.html, matrix.svg and plan.xlsx.

use std::path::{Path, PathBuf};
use std::process::Command;

const EVIL: &str = "<script>alert(1)</script> | x | y |";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn build(model: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_threatc"))
        .arg("build")
        .arg(model)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn build_ok(model: &Path, out: &Path, extra: &[&str]) {
    let o = build(model, out, extra);
    assert!(
        o.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn financial(dir: &Path) -> PathBuf {
    let out = dir.join("out");
    build_ok(&root().join("models/financial/model.yaml"), &out, &[]);
    out
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

#[test]
fn plan_html_structure() {
    let dir = tempfile::tempdir().unwrap();
    let out = financial(dir.path());
    let html = std::fs::read_to_string(out.join("plan.html")).unwrap();
    for h in [
        "<h1>Remediation plan: ACME Bank</h1>",
        ">Summary</h2>",
        ">ATT&amp;CK matrix</h2>",
        ">Coverage by actor</h2>",
        ">Coverage by tactic</h2>",
        ">All gaps</h2>",
        ">Telemetry investments</h2>",
    ] {
        assert!(html.contains(h), "missing {h}");
    }
    assert!(html.contains("<th scope=\"col\""));
    assert!(html.contains("<caption>"));
    assert!(!html.contains("<script src"));
    assert!(!html.contains("<link"));
    assert!(!html.contains("@import"));
    assert!(!html.contains("url(http"));
    assert!(!html.contains("src=\"http"));
    // The matrix: one column per tactic of the domain (Enterprise has 14).
    assert_eq!(html.matches("<g class=\"col\"").count(), 14);
    assert!(html.contains("<title id=\"mx-title\">"));
    // Every P1 gap has its section.
    let r = report(&out);
    let p1: Vec<&str> = r["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["tier"] == "P1")
        .map(|g| g["technique"].as_str().unwrap())
        .collect();
    assert!(!p1.is_empty());
    for t in &p1 {
        assert!(
            html.contains(&format!("<h3 id=\"g-{t}\">")),
            "P1 gap {t} missing"
        );
    }
    // What to build: log sources with channels.
    assert!(html.contains("<code>WinEventLog:Security</code>"));
    let md = std::fs::read_to_string(out.join("plan.md")).unwrap();
    for t in &p1 {
        assert!(md.contains(&format!(
            "[{t}](https://attack.mitre.org/techniques/{}/)",
            t.replace('.', "/")
        )));
    }
    let svg = std::fs::read_to_string(out.join("matrix.svg")).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(svg.matches("<g class=\"col\"").count(), 14);
}

#[test]
fn plan_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let model = root().join("models/cloud/model.yaml");
    build_ok(&model, &a, &[]);
    build_ok(&model, &b, &[]);
    let mut names = vec!["plan.md", "plan.html", "matrix.svg"];
    if cfg!(feature = "xlsx") {
        names.push("plan.xlsx");
    }
    for f in names {
        let x = std::fs::read(a.join(f)).unwrap();
        let y = std::fs::read(b.join(f)).unwrap();
        assert!(!x.is_empty(), "{f} empty");
        assert!(x == y, "{f} differs between two builds");
    }
}

#[cfg(feature = "xlsx")]
#[test]
fn plan_xlsx_is_a_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let out = financial(dir.path());
    let x = std::fs::read(out.join("plan.xlsx")).unwrap();
    assert!(x.len() > 1000);
    assert_eq!(&x[..4], b"PK\x03\x04");
    let has = |needle: &[u8]| x.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"xl/worksheets/sheet1.xml"));
    assert!(has(b"xl/worksheets/sheet3.xml"));
}

fn evil_model(dir: &Path) -> PathBuf {
    let p = dir.join("model.yaml");
    std::fs::write(
        &p,
        format!(
            r#"threatc: 1
model:
  name: evil
  title: "Evil {EVIL}"
  assessed: 2026-11-15
attack:
  domain: enterprise
  version: "18.1"
actors:
  - id: evil
    name: "{EVIL}"
    weight: 1
    techniques: [T1059.001, T1059.003, T1003.001, T1046]
rules:
  - id: r1
    name: "{EVIL}"
    techniques: [T1059.001]
"#
        ),
    )
    .unwrap();
    p
}

/// `|` not preceded by a backslash.
fn cells(line: &str) -> usize {
    let b = line.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
        .count()
}

#[test]
fn injected_names_are_inert() {
    let dir = tempfile::tempdir().unwrap();
    let model = evil_model(dir.path());
    let out = dir.path().join("out");
    build_ok(&model, &out, &[]);
    let html = std::fs::read_to_string(out.join("plan.html")).unwrap();
    let md = std::fs::read_to_string(out.join("plan.md")).unwrap();
    let svg = std::fs::read_to_string(out.join("matrix.svg")).unwrap();
    for (name, text) in [("plan.html", &html), ("plan.md", &md), ("matrix.svg", &svg)] {
        assert!(
            !text.contains("<script>alert"),
            "{name} carries the raw script"
        );
    }
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    // The name did reach the outputs (escaped).
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt; \\| x \\| y \\|"));
    // Every Markdown table keeps its column count.
    let mut header: Option<usize> = None;
    let mut rows = 0;
    for line in md.lines() {
        if line.starts_with('|') {
            match header {
                None => header = Some(cells(line)),
                Some(n) => {
                    assert_eq!(cells(line), n, "broken row: {line}");
                    rows += 1;
                }
            }
        } else {
            header = None;
        }
    }
    assert!(rows > 5);
}

#[test]
fn templates_dir_overrides_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(
        tpl.join("plan.md.j2"),
        "# Custom {{ model.title }}\n{% for g in gaps[:3] %}- {{ g.technique }} {{ plan.build[g.technique].url }}\n{% endfor %}",
    )
    .unwrap();
    let out = dir.path().join("out");
    let model = evil_model(dir.path());
    build_ok(&model, &out, &["--templates", tpl.to_str().unwrap()]);
    let md = std::fs::read_to_string(out.join("plan.md")).unwrap();
    assert!(md.starts_with("# Custom Evil &lt;script&gt;"), "{md}");
    assert!(md.contains("https://attack.mitre.org/techniques/"));
    let html = std::fs::read_to_string(out.join("plan.html")).unwrap();
    assert!(html.contains("<h1>Remediation plan: Evil &lt;script&gt;"));
}

#[test]
fn template_error_is_a_diagnostic_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(
        tpl.join("plan.md.j2"),
        "# Plan\n\n{{ no_such_value.deeper }}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "previous").unwrap();
    let model = evil_model(dir.path());
    let o = build(&model, &out, &["--templates", tpl.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("template-error"), "{err}");
    assert!(err.contains("plan.md.j2"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert_eq!(
        std::fs::read_to_string(out.join("keep.txt")).unwrap(),
        "previous"
    );
}
