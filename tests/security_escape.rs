//! Issue #11: every user string is escaped for where it lands. Each test builds a hostile
//! model in a fresh git repository and checks one destination: human diagnostics and CI
//! annotations (no forged workflow command, no terminal control), `--format github`
//! (one annotation per diagnostic), gaps.csv (no formula), plan.xlsx (no cell over
//! Excel's limit), matrix.svg (well-formed XML), the pull-request comment (no mention,
//! reference, link or bidi control) and SARIF (percent-encoded URIs).

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

/// A temporary git repository root.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ok = std::process::Command::new("git")
        .args(["init", "-q", "."])
        .current_dir(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        // No git on this machine: a `.git` folder marks the root just as well.
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    }
    dir
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A Sigma rule on `technique` with the given status and id.
fn sigma_rule(id: &str, status: &str, technique: &str) -> String {
    format!(
        "title: a rule\nid: {}\nstatus: {}\ntags: [attack.{}]\nlogsource: {{product: windows}}\ndetection: {{sel: {{a: b}}, condition: sel}}\n",
        serde_json::to_string(id).unwrap(),
        serde_json::to_string(status).unwrap(),
        technique.to_lowercase()
    )
}

/// Lines as the GitHub Actions runner reads them (a line ends at `\n` or `\r`), with
/// the white space it trims (and zero-width characters) removed.
fn runner_lines(text: &str) -> Vec<&str> {
    text.split(['\n', '\r'])
        .map(|l| l.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{200B}'))
        .collect()
}

/// Fails when a line would be run as a workflow command.
fn assert_no_workflow_command(text: &str, what: &str) {
    for l in runner_lines(text) {
        assert!(
            !l.starts_with("::"),
            "{what}: forged workflow command: {l:?}"
        );
    }
    assert!(!text.contains("##["), "{what}: legacy workflow command");
}

/// Control characters a terminal acts on (ESC, C1, bidi).
fn assert_no_terminal_controls(text: &str, what: &str) {
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        assert!(!bad, "{what}: raw control U+{:04X}", u32::from(c));
    }
}

/// Status payloads: a line break, then workflow commands; and a status long enough to
/// wrap, whose zero-width space lets the renderer break right before `::`.
const STATUS_NEWLINE: &str = "stable\n::error::fake from status\n::add-mask::secret";
const WRAPPED: &str = "pad pad pad pad pad pad pad pad pad pad pad pad pad pad \u{200B}::error::wrapped into a line of its own";

fn annotation_model(dir: &Path) {
    write(
        dir,
        "m.yaml",
        "threatc: 1\nmodel:\n  name: t\nactors:\n  - group: FIN7\nrules:\n  - import: sigma\n    path: sigma\n",
    );
    write(
        dir,
        "sigma/a.yml",
        &sigma_rule("r-a", STATUS_NEWLINE, "T1059.001"),
    );
    write(
        dir,
        "sigma/b.yml",
        &sigma_rule("r-b", &format!("stable {WRAPPED}"), "T1059.003"),
    );
}

#[test]
fn human_diagnostics_forge_no_annotation_from_a_rule_status() {
    let tmp = repo();
    annotation_model(tmp.path());
    let o = threatc_ok(&["check", "--format", "human", "m.yaml"], tmp.path());
    let err = stderr(&o);
    // The warnings are there, with their user text visibly escaped.
    assert!(err.contains("import-unmapped-status"), "{err}");
    assert!(
        err.contains("stable\\n::error::fake from status\\n::add-mask::secret"),
        "{err}"
    );
    assert_no_workflow_command(&err, "check stderr");
    assert_no_workflow_command(&stdout(&o), "check stdout");
    assert_no_terminal_controls(&err, "check stderr");
    // The same with colours: escape sequences of our own do not hide a `::`.
    let o = threatc(
        &["check", "--format", "human", "--color", "always", "m.yaml"],
        tmp.path(),
    );
    let err = stderr(&o);
    let plain: String = {
        // Drop SGR sequences, then check as the runner would.
        let mut s = String::new();
        let mut it = err.chars().peekable();
        while let Some(c) = it.next() {
            if c == '\u{1b}' && it.peek() == Some(&'[') {
                for d in it.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                s.push(c);
            }
        }
        s
    };
    assert!(plain.contains("import-unmapped-status"));
    assert_no_workflow_command(&plain, "check stderr (colour)");
}

/// Number of diagnostics `check --format json` reports.
fn diagnostic_count(dir: &Path, model: &str) -> usize {
    let o = threatc(&["check", "--format", "json", model], dir);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["diagnostics"].as_array().unwrap().len()
}

/// `--format github`: one workflow command per diagnostic, nothing else on stdout.
fn assert_github_annotations(dir: &Path, model: &str) {
    let expected = diagnostic_count(dir, model);
    assert!(expected >= 1);
    let o = threatc(&["check", "--format", "github", model], dir);
    let out = stdout(&o);
    let lines = runner_lines(&out);
    let commands: Vec<&&str> = lines.iter().filter(|l| l.starts_with("::")).collect();
    assert_eq!(commands.len(), expected, "{out}");
    assert_eq!(out.matches('\n').count(), expected, "{out}");
    assert!(!out.contains('\r'));
    for l in commands {
        assert!(
            l.starts_with("::warning ") || l.starts_with("::error ") || l.starts_with("::notice "),
            "{l}"
        );
        // Properties end at the first `::`: no user text can add one.
        let props = l.split("::").nth(1).unwrap();
        assert!(props.split(',').all(|kv| kv.contains('=')), "{l}");
    }
    assert_no_workflow_command(&stderr(&o), "github stderr");
}

#[test]
fn github_format_gives_one_annotation_per_diagnostic() {
    let tmp = repo();
    annotation_model(tmp.path());
    assert_github_annotations(tmp.path(), "m.yaml");
}

#[cfg(unix)]
#[test]
fn imported_file_name_forges_no_annotation() {
    let tmp = repo();
    annotation_model(tmp.path());
    // A malformed rule file whose name holds a line break and a workflow command.
    write(
        tmp.path(),
        "sigma/evil\n::error::fake from file name.yml",
        "title: [unclosed\n",
    );
    let o = threatc(&["check", "--format", "human", "m.yaml"], tmp.path());
    let err = stderr(&o);
    assert!(err.contains("import-parse-error"), "{err}");
    assert!(
        err.contains("evil\\n::error::fake from file name.yml"),
        "{err}"
    );
    assert_no_workflow_command(&err, "check stderr");
    assert_github_annotations(tmp.path(), "m.yaml");
    // `threatc import` prints file names too.
    let o = threatc(&["import", "sigma", "sigma"], tmp.path());
    let out = stdout(&o);
    assert!(out.contains("import-parse-error"), "{out}");
    assert_no_workflow_command(&out, "import stdout");
    assert_no_workflow_command(&stderr(&o), "import stderr");
}

#[test]
fn snippet_source_cannot_drive_the_terminal() {
    let tmp = repo();
    // A model line carrying escape sequences (clear screen, window title) and a bidi
    // override: the YAML reader refuses the raw ESC and shows the line.
    write(
        tmp.path(),
        "m.yaml",
        "threatc: 1\nmodel:\n  name: t\nactors:\n  - group: FIN7\nrules:\n  - id: R1\n    name: \"\u{1b}[2J\u{1b}]0;owned\u{7} \u{202E}txt.exe\"\n    techniques: [T1059]\n",
    );
    let o = threatc(&["check", "m.yaml"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_no_terminal_controls(&err, "check stderr");
    assert_no_workflow_command(&err, "check stderr");
    // The source line is shown with its controls made visible ...
    let line = err
        .lines()
        .find(|l| l.contains("name: \"\\u001b[2J\\u001b]0;owned\\u0007 \\u202etxt.exe\""))
        .unwrap_or_else(|| panic!("{err}"));
    // ... and the label under it still marks the refused character, now `\u001b`.
    let marks = err.lines().skip_while(|l| *l != line).nth(1).unwrap();
    let col = line.chars().position(|c| c == '\\').unwrap();
    let under: String = marks.chars().skip(col).take(6).collect();
    assert_eq!(under, "───┬──", "{err}");
}

/// A model with FIN7, plan notes on T1059.003 and a rule on T1059 from a Sigma file
/// (partial coverage of T1059.003), for the build outputs.
fn build_model(dir: &Path, approach: &str, title: &str, rule_id: &str) {
    write(
        dir,
        "m.yaml",
        &format!(
            "threatc: 1\nmodel:\n  name: t\n  title: {}\nactors:\n  - group: FIN7\nrules:\n  - import: sigma\n    path: sigma\nplan:\n  techniques:\n    T1059.003: {{effort: low, approach: {}, owner: \"=HYPERLINK(\\\"http://x\\\")\"}}\n",
            serde_json::to_string(title).unwrap(),
            serde_json::to_string(approach).unwrap(),
        ),
    );
    write(dir, "sigma/a.yml", &sigma_rule(rule_id, "stable", "T1059"));
}

const CSV_PAYLOAD: &str = "-3+3+cmd|' /C calc'!A0";

#[test]
fn gaps_csv_cells_are_never_formulas() {
    let tmp = repo();
    build_model(tmp.path(), CSV_PAYLOAD, "t", CSV_PAYLOAD);
    threatc_ok(&["build", "m.yaml", "--out", "out"], tmp.path());
    let text = std::fs::read_to_string(tmp.path().join("out/gaps.csv")).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let mut seen = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        for cell in rec.iter() {
            let plain_number = cell.parse::<f64>().is_ok() && !cell.starts_with('+');
            if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                assert!(plain_number, "formula cell {cell:?}");
            }
        }
        if rec.get(col("technique")) == Some("T1059.003") {
            assert_eq!(rec.get(col("approach")), Some("'-3+3+cmd|' /C calc'!A0"));
            assert_eq!(rec.get(col("owner")), Some("'=HYPERLINK(\"http://x\")"));
            // The rule's id is in partial_coverage_ids since rules are named by title (#17).
            let partial = rec.get(col("partial_coverage_ids")).unwrap();
            assert!(partial.starts_with("'-3+3+cmd"), "{partial}");
            seen += 1;
        }
    }
    assert_eq!(seen, 1, "the T1059.003 gap row is in gaps.csv");
}

#[test]
fn xlsx_takes_a_note_over_the_cell_limit() {
    let tmp = repo();
    let long = format!("=cmd {}", "long note ".repeat(4_000));
    assert!(long.chars().count() > 32_767);
    build_model(tmp.path(), &long, "t", "r1");
    threatc_ok(&["build", "m.yaml", "--out", "out"], tmp.path());
    let xlsx = std::fs::read(tmp.path().join("out/plan.xlsx")).unwrap();
    assert!(xlsx.starts_with(b"PK"), "plan.xlsx is a zip archive");
    // The other outputs keep the whole note.
    let report = std::fs::read_to_string(tmp.path().join("out/report.json")).unwrap();
    assert!(report.contains(&long));
}

#[test]
fn matrix_svg_is_well_formed_with_hostile_titles() {
    let tmp = repo();
    let title = "Bank\u{1}\u{b} <script>alert(1)</script> & \"x\" \u{202E}";
    build_model(tmp.path(), "note", title, "r1");
    threatc_ok(&["build", "m.yaml", "--out", "out"], tmp.path());
    let svg = std::fs::read_to_string(tmp.path().join("out/matrix.svg")).unwrap();
    assert!(!svg.contains("<script"));
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!svg.contains('\u{202E}'));
    assert_well_formed_xml(&svg);
}

#[test]
fn diff_comment_pings_links_and_reorders_nothing() {
    let tmp = repo();
    let base = "threatc: 1\nmodel:\n  name: t\nactors:\n  - group: FIN7\n";
    write(tmp.path(), "base.yaml", base);
    let hostile = "cc @octocat and @acme/security-team: fixes #123, owner/repo#1, GH-7; see https://evil.example/x_y and www.evil.example \u{202E}gpj.exe\u{202C} </details><img src=x onerror=alert(1)>";
    let head = format!(
        "{base}  - id: insider\n    name: {}\n    techniques: [T1078]\nrules:\n  - id: R1\n    name: {}\n    techniques: [T1059.003]\n",
        serde_json::to_string(hostile).unwrap(),
        serde_json::to_string(hostile).unwrap(),
    );
    write(tmp.path(), "head.yaml", &head);
    let o = threatc(
        &["diff", "base.yaml", "head.yaml", "--out", "diff"],
        tmp.path(),
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let md = std::fs::read_to_string(tmp.path().join("diff/coverage-diff.md")).unwrap();
    // Both the rule and the actor are in the comment.
    assert!(md.contains("`@octocat`"), "{md}");
    assert!(md.contains("| R1 |"), "{md}");
    assert!(md.contains("(insider)"), "{md}");
    // Outside code spans, nothing pings, references or links.
    let mut outside = String::new();
    let mut in_code = false;
    let mut prev = ' ';
    for c in md.chars() {
        if c == '`' && prev != '\\' {
            in_code = !in_code;
        } else if !in_code {
            outside.push(c);
        }
        prev = c;
    }
    assert!(!in_code, "unbalanced code spans");
    for needle in [
        "@octocat",
        "@acme",
        "#123",
        "repo#1",
        "GH-7",
        "https://evil",
        "www.evil",
    ] {
        assert!(
            !outside.contains(needle),
            "`{needle}` is live in the comment: {md}"
        );
    }
    assert!(!md.contains('\u{202E}') && !md.contains('\u{202C}'));
    assert!(!md.contains("<img"));
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}

#[test]
fn sarif_uris_are_percent_encoded() {
    let tmp = repo();
    write(
        tmp.path(),
        "my models/bank #1.yaml",
        "threatc: 1\nmodel:\n  name: t\nrules:\n  - id: R1\n    techniques: [T9999]\n",
    );
    let o = threatc(
        &["check", "--format", "sarif", "my models/bank #1.yaml"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert_eq!(uri, "my%20models/bank%20%231.yaml");
    }
    // Valid against the SARIF schema with its `uri-reference` formats checked.
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/sarif-2.1.0.schema.json")).unwrap(),
    )
    .unwrap();
    fn escape_bracket(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == "pattern" && x == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
                        *x = Value::from("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$");
                    } else {
                        escape_bracket(x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(escape_bracket),
            _ => {}
        }
    }
    escape_bracket(&mut schema);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
}
