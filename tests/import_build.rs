//! Imports through a model: the real Sigma inventory built into coverage, checked
//! against an independent reading of the rule files; `--deny import-errors`.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Counts rules per technique tag with a plain line scan (no YAML parser, not threatc's
/// importer): each `- attack.tNNNN[.NNN]` tag once per file, files whose status is
/// deprecated left out (threatc counts them as retired).
fn independent_counts(dir: &Path, out: &mut BTreeMap<String, usize>) {
    for p in sorted_entries(dir) {
        if p.is_dir() {
            independent_counts(&p, out);
            continue;
        }
        if !matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        if text.lines().any(|l| l.trim_end() == "status: deprecated") {
            continue;
        }
        let mut seen = std::collections::BTreeSet::new();
        for line in text.lines() {
            let l = line.split('#').next().unwrap().trim();
            let Some(tag) = l.strip_prefix("- ") else {
                continue;
            };
            let tag = tag
                .trim()
                .trim_matches(|c| c == '\'' || c == '"')
                .to_ascii_lowercase();
            let Some(id) = tag.strip_prefix("attack.t") else {
                continue;
            };
            let ok = (id.len() == 4 && id.chars().all(|c| c.is_ascii_digit()))
                || (id.len() == 8
                    && id[..4].chars().all(|c| c.is_ascii_digit())
                    && &id[4..5] == "."
                    && id[5..].chars().all(|c| c.is_ascii_digit()));
            if ok {
                seen.insert(format!("T{}", id.to_ascii_uppercase()));
            }
        }
        for t in seen {
            *out.entry(t).or_default() += 1;
        }
    }
}

#[test]
fn sigma_inventory_coverage_equals_an_independent_count() {
    let Some(shared) = shared() else { return };
    let sigma = shared.join("fixtures/sigma");
    let sigma = std::fs::canonicalize(sigma).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        format!(
            "threatc: 1\nmodel:\n  name: sigma\nactors:\n  - group: FIN7\nrules:\n  - import: sigma\n    path: {}\n    status: {{stable: production, test: production, experimental: production, unsupported: production}}\n",
            sigma.display()
        ),
    )
    .unwrap();
    let o = threatc(
        &["build", "m.yaml", "--out", "out", "--allow-outside-root"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(report["imports"][0]["files"], 3748);
    let layer: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/layers/coverage.json")).unwrap(),
    )
    .unwrap();
    let mut got: BTreeMap<String, usize> = BTreeMap::new();
    for t in layer["techniques"].as_array().unwrap() {
        if let Some(s) = t["score"].as_u64() {
            got.insert(t["techniqueID"].as_str().unwrap().to_string(), s as usize);
        }
    }
    let mut want = BTreeMap::new();
    independent_counts(&sigma, &mut want);
    // Ids v18.1 does not know or revoked are reported, not counted.
    let cat = threatc::catalog::embedded(threatc::catalog::Domain::Enterprise).unwrap();
    want.retain(|id, _| cat.technique(id).is_some_and(|t| !t.revoked));
    assert!(want.len() > 300, "{}", want.len());
    assert_eq!(got, want);
}

#[test]
fn deny_import_errors_makes_a_malformed_rule_file_fatal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/good.yml"),
        "title: Good\nid: 11111111-1111-1111-1111-111111111111\nstatus: stable\ntags: [attack.t1059.001]\nlogsource: {product: windows}\ndetection: {sel: {a: b}, condition: sel}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules/bad.yml"),
        "title: Bad\ntags: [attack.t1003\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "threatc: 1\nmodel:\n  name: t\nactors:\n  - group: FIN7\nrules:\n  - import: sigma\n    path: rules\n",
    )
    .unwrap();
    let o = threatc(&["check", "m.yaml", "--format", "json"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let bad = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "import-parse-error")
        .unwrap()
        .clone();
    assert_eq!(bad["severity"], "warning");
    assert!(bad["file"].as_str().unwrap().ends_with("bad.yml"), "{bad}");
    assert!(bad["line"].as_u64().unwrap() >= 2);
    let o = threatc(&["check", "m.yaml", "--deny", "import-errors"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // The good file was still imported.
    let o = threatc(&["build", "m.yaml", "--out", "out"], dir.path());
    assert_eq!(o.status.code(), Some(0));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(report["imports"][0]["rules"], 1);
}
