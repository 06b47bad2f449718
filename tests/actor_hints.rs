//! Actor pitfalls say what happened (#17, point 6): a group named twice through an alias, and
//! techniques a group uses only through its software.

mod common;
use common::*;

fn check(dir: &std::path::Path, actors: &str) -> serde_json::Value {
    std::fs::write(
        dir.join("model.yaml"),
        format!("threatc: 1\nmodel:\n  name: t\nactors:\n{actors}"),
    )
    .unwrap();
    let o = threatc(&["check", "--format", "json", "model.yaml"], dir);
    serde_json::from_str(&stdout(&o)).unwrap()
}

fn with_code<'a>(v: &'a serde_json::Value, code: &str) -> Vec<&'a serde_json::Value> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .collect()
}

#[test]
fn a_group_named_again_by_an_alias_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let v = check(tmp.path(), "  - group: Wizard Spider\n  - group: FIN12\n");
    let d = with_code(&v, "duplicate-id");
    assert_eq!(d.len(), 1, "{v:#}");
    let msg = d[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("`FIN12` is an alias of G0102 Wizard Spider"),
        "{msg}"
    );
}

#[test]
fn techniques_only_through_software_get_a_note() {
    let tmp = tempfile::tempdir().unwrap();
    let v = check(tmp.path(), "  - group: Wizard Spider\n");
    let d = with_code(&v, "software-techniques-hidden");
    assert_eq!(d.len(), 1, "{v:#}");
    assert_eq!(d[0]["severity"], "note");
    let msg = d[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("e.g. T1486 Data Encrypted for Impact"),
        "{msg}"
    );
    let n: usize = msg
        .split("would add ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    // As many as the catalog's software techniques the group does not use directly.
    let cat = threatc::catalog::embedded(threatc::catalog::Domain::Enterprise).unwrap();
    let g = cat.group("G0102").unwrap();
    let direct: std::collections::BTreeSet<&str> =
        g.techniques.iter().map(|u| u.technique.as_str()).collect();
    let hidden = g
        .software_techniques
        .iter()
        .filter(|u| !direct.contains(u.technique.as_str()))
        .filter(|u| cat.technique(&u.technique).is_some_and(|t| t.is_active()))
        .count();
    assert_eq!(n, hidden);
    // Either answer silences it.
    for software in ["true", "false"] {
        let v = check(
            tmp.path(),
            &format!("  - group: Wizard Spider\n    software: {software}\n"),
        );
        assert!(
            with_code(&v, "software-techniques-hidden").is_empty(),
            "{v:#}"
        );
    }
}
