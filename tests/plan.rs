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
    // The matrix (an HTML grid since #17, point 8; matrix.svg keeps the SVG): one column
    // per tactic of the domain with in-scope threat techniques, the others (Enterprise has
    // 14 tactics; ACME Bank's Reconnaissance and Resource Development have none in scope)
    // named in a note instead of taking a "0 of 0" column.
    let columns = html.matches("role=\"listitem\" aria-label=").count();
    assert_eq!(columns, 12);
    assert!(html.contains("style=\"--cols: 12;"));
    assert!(html.contains(
        "Not shown (no in-scope threat technique): Reconnaissance (5 threat techniques, out of scope), Resource Development"
    ));
    assert!(!html.contains("hover for names"));
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

/// plan.html is laid out for a wide screen, a phone and print (#17, point 8): the matrix
/// a grid of equal columns in the page's width with names in full, the phone's tables
/// keeping their key columns, the printed matrix on its own landscape page, due dates
/// never wrapping.
#[test]
fn plan_html_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let out = financial(dir.path());
    let html = std::fs::read_to_string(out.join("plan.html")).unwrap();
    // Wide screen: every column in the width, none scrolls.
    assert!(html.contains("grid-template-columns: repeat(var(--cols), minmax(0, 1fr))"));
    // A P1 gap in the matrix: its tier as a class, a marker and the name in full (which
    // gaps are P1 is the priority's business: the first one found).
    let p1 = html
        .split("<li class=\"c-p1\" title=\"")
        .nth(1)
        .and_then(|rest| rest.split_once(": gap P1\">"))
        .map(|(title, _)| title.to_string())
        .expect("a P1 gap in the matrix");
    let (id, name) = p1.split_once(' ').expect("id and name");
    assert!(html.contains(&format!("<li class=\"c-p1\" title=\"{id} {name}: gap P1\"><span class=\"mk\" aria-label=\"gap P1\">[1]</span> <span class=\"id\">{id}</span> {name}")), "{p1}");
    assert!(html.contains("td.due, .due { white-space: nowrap; }"));
    // The bank schedules its gaps (`plan.capacity`): due at the end of a month.
    assert!(html.contains("<td class=\"due\">2026-11-30</td>"));
    // Phone: a media query hides the optional columns; the gap table keeps technique,
    // name, tier and due.
    assert!(html.contains("@media (max-width: 700px)"));
    assert!(html.contains(".opt { display: none; }"));
    let head = html
        .split("<table class=\"wide sortable\" id=\"gap-table\">")
        .nth(1)
        .and_then(|t| t.split("</tr></thead>").next())
        .unwrap();
    let key: Vec<&str> = head
        .split("<th ")
        .skip(1)
        .filter(|th| !th.contains("opt"))
        .map(|th| th.split('>').nth(1).unwrap().trim_end_matches("</th"))
        .collect();
    assert_eq!(key, ["Technique", "Name", "Tier", "Due"]);
    // Print: the matrix on its own A4 landscape page.
    assert!(html.contains("@page matrix { size: A4 landscape;"));
    assert!(html.contains("#matrix-page { page: matrix;"));
    assert!(html.contains("<section aria-labelledby=\"matrix\" id=\"matrix-page\">"));
}

/// plan.xlsx opens on a Summary and a Targets sheet, and its dates are Excel dates (a
/// number with a date format), not text (#17, point 8).
#[cfg(feature = "xlsx")]
#[test]
fn plan_xlsx_summary_targets_and_dates() {
    let dir = tempfile::tempdir().unwrap();
    let out = financial(dir.path());
    let script = r#"
import sys, zipfile, re
z = zipfile.ZipFile(sys.argv[1])
wb = z.read('xl/workbook.xml').decode()
print('SHEETS', ','.join(re.findall(r'<sheet name="([^"]+)"', wb)))
st = z.read('xl/styles.xml').decode()
print('DATEFMT', 'formatCode="yyyy\-mm\-dd"' in st or 'formatCode="yyyy-mm-dd"' in st)
ss = z.read('xl/sharedStrings.xml').decode()
print('TEXTDATE', '2026-11-30' in ss)
for i in (1, 2, 3):
    x = z.read('xl/worksheets/sheet%d.xml' % i).decode()
    print('SHEET%d' % i, len(re.findall(r'<row ', x)))
targets = z.read('xl/worksheets/sheet2.xml').decode()
print('DUE', '<c r="E2" s="' in targets and '<v>46477</v>' in targets)
"#;
    let o = std::process::Command::new("python3")
        .args(["-c", script, out.join("plan.xlsx").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("SHEETS Summary,Targets,Gaps,Gap pairs,Assets,Actors,Investments"),
        "{text}"
    );
    assert!(text.contains("DATEFMT True"), "{text}");
    assert!(
        text.contains("TEXTDATE False"),
        "due dates are not text: {text}"
    );
    // Targets: the header and ACME Bank's two targets; the first due 2027-03-31
    // (Excel serial 46477).
    assert!(text.contains("SHEET2 3"), "{text}");
    assert!(text.contains("DUE True"), "{text}");
    let r = report(&out);
    let rows = 1 + 4 + 1 + 2 + 3 + 3;
    assert!(r["summary"]["gaps"].as_u64().unwrap() > 0);
    assert!(text.contains(&format!("SHEET1 {rows}")), "{text}");
}
