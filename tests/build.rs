//! `threatc build` end to end: the example models, hand-checked figures, layer and
//! report schemas, determinism, atomic outputs, group semantics in actor layers.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn build(model: &Path, out: &Path, cwd: &Path) -> std::process::Output {
    threatc(
        &[
            "build",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        cwd,
    )
}

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn validator(schema_file: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas").join(schema_file)).unwrap(),
    )
    .unwrap();
    jsonschema::options().build(&schema).unwrap()
}

const HAND: &str = r#"
threatc: 1
model:
  name: hand
  assessed: 2026-01-01
actors:
  - id: a1
    weight: 3
    techniques: [T1059.001, T1003.001, T1566.001, T1530]
  - id: a2
    weight: 1
    techniques: [T1059.001, T1021.002]
assets:
  - id: ws
    platforms: [Windows]
    criticality: high
rules:
  - id: r1
    techniques: [T1059.001]
  - id: r2
    techniques: [T1003]
  - id: r3
    techniques: [T1021.002]
    status: testing
targets:
  - id: t1
    actors: [a1]
    coverage: 50%
  - id: t2
    coverage: 0.3
    weighted: true
"#;

#[test]
fn hand_checked_figures() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.yaml");
    std::fs::write(&m, HAND).unwrap();
    let out = dir.path().join("out");
    let o = build(&m, &out, dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&out.join("report.json"));
    let s = &r["summary"];
    // 5 threat techniques; T1530 (IaaS/SaaS/Office Suite) is out of scope for a Windows-only estate.
    assert_eq!(s["threat_techniques"], 5);
    assert_eq!(s["in_scope"], 4);
    assert_eq!(s["out_of_scope"], 1);
    assert_eq!(r["out_of_scope"][0]["technique"], "T1530");
    // Only r1 counts (r2 names the parent T1003 in exact mode; r3 is testing).
    assert_eq!(s["covered"], 1);
    assert_eq!(s["gaps"], 3);
    assert_eq!(s["coverage"], 0.25);
    // Weighted: T1059.001 carries 3+1 of 3+1 (T1059.001) + 3 (T1003.001) + 3 (T1566.001) + 1 (T1021.002) = 11.
    assert_eq!(s["weighted_coverage"], 0.3636);
    let a1 = &r["actors"][0];
    assert_eq!(
        (
            a1["in_scope"].as_u64(),
            a1["covered"].as_u64(),
            a1["coverage"].as_f64()
        ),
        (Some(3), Some(1), Some(0.3333))
    );
    let a2 = &r["actors"][1];
    assert_eq!(
        (
            a2["in_scope"].as_u64(),
            a2["covered"].as_u64(),
            a2["coverage"].as_f64()
        ),
        (Some(2), Some(1), Some(0.5))
    );
    // Target t1: a1 has 1 of 3 covered; 50% needs one more, the heaviest gap first.
    let t1 = &r["targets"][0];
    assert_eq!(t1["met"], false);
    assert_eq!(t1["current"], 0.3333);
    assert_eq!(t1["to_close"].as_array().unwrap().len(), 1);
    // Target t2 (weighted 30%): 4/11 = 36.4% is met.
    let t2 = &r["targets"][1];
    assert_eq!(t2["met"], true);
    assert_eq!(t2["to_close"].as_array().unwrap().len(), 0);
    // Gaps: factors and the documented formula.
    let gaps = r["gaps"].as_array().unwrap();
    let find = |id: &str| gaps.iter().find(|g| g["technique"] == id).unwrap().clone();
    let g = find("T1021.002");
    assert_eq!(g["factors"]["actors"], 0.2929); // weight 1: 1 − 2^(−1/2)
    assert_eq!(g["factors"]["criticality"], 0.75); // high = 3 of 4
    assert_eq!(g["factors"]["kill_chain"], 0.6538); // lateral movement: 10th of 14 tactics
    assert_eq!(g["partial"][0]["id"], "r3");
    let g2 = find("T1003.001");
    assert_eq!(g2["partial"][0]["id"], "r2");
    assert_eq!(g2["partial"][0]["via"], "T1003");
    for g in gaps {
        let f = &g["factors"];
        let expect = 100.0
            * (0.30 * f["actors"].as_f64().unwrap()
                + 0.15 * f["criticality"].as_f64().unwrap()
                + 0.20 * f["prevalence"].as_f64().unwrap()
                + 0.15 * f["choke_point"].as_f64().unwrap()
                + 0.10 * f["actionability"].as_f64().unwrap()
                + 0.10 * f["kill_chain"].as_f64().unwrap());
        let score = g["score"].as_f64().unwrap();
        assert!(
            (score - (expect * 10.0).round() / 10.0).abs() < 0.051,
            "{g}"
        );
        let tier = if score >= 70.0 {
            "P1"
        } else if score >= 55.0 {
            "P2"
        } else {
            "P3"
        };
        assert_eq!(g["tier"], tier);
        let days = match tier {
            "P1" => "2026-01-31",
            "P2" => "2026-03-02",
            _ => "2026-04-01",
        };
        assert_eq!(g["due"], days);
    }
    // Ranks follow scores.
    let scores: Vec<f64> = gaps.iter().map(|g| g["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
    // gaps.csv has a header and one row per gap.
    let csv = std::fs::read_to_string(out.join("gaps.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.starts_with("rank,technique,name,tactics,actors,assets,score"));
    // The coverage layer scores T1059.001 with one rule; the gaps layer colours 3 techniques.
    let cov = json(&out.join("layers/coverage.json"));
    let t = cov["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["techniqueID"] == "T1059.001")
        .unwrap()
        .clone();
    assert_eq!(t["score"], 1);
    assert!(t["comment"].as_str().unwrap().contains("r1"));
    let gl = json(&out.join("layers/gaps.json"));
    let ids: BTreeSet<&str> = gl["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t.get("score").is_some())
        .map(|t| t["techniqueID"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["T1003.001", "T1021.002", "T1566.001"]
            .into_iter()
            .collect()
    );
    // Unmet target: --fail-under-targets exits 1.
    let o = threatc(
        &[
            "build",
            m.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--fail-under-targets",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn examples_build_and_every_output_validates() {
    let layer_schema = validator("navigator-layer-4.5.schema.json");
    let report_schema = validator("threatc-report-v1.schema.json");
    for m in ["models/financial/model.yaml", "models/cloud/model.yaml"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let o = build(&root().join(m), &out, &root());
        assert_eq!(o.status.code(), Some(0), "{m}: {}", stderr(&o));
        let report = json(&out.join("report.json"));
        let errs: Vec<String> = report_schema
            .iter_errors(&report)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errs.is_empty(), "{m} report: {errs:?}");
        let files: Vec<String> = serde_json::from_value(report["files"].clone()).unwrap();
        for f in &files {
            assert!(out.join(f).is_file(), "{f} listed but not written");
        }
        let mut layers = 0;
        for f in files.iter().filter(|f| {
            f.starts_with("layers/") && *f != "layers/all.json" && *f != "layers/index.json"
        }) {
            let l = json(&out.join(f));
            let errs: Vec<String> = layer_schema
                .iter_errors(&l)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errs.is_empty(), "{m} {f}: {errs:?}");
            assert_eq!(l["versions"]["attack"], "18");
            assert_eq!(l["versions"]["layer"], "4.5");
            // Sub-techniques with data sit under expanded parents.
            let techs = l["techniques"].as_array().unwrap();
            for t in techs
                .iter()
                .filter(|t| t["techniqueID"].as_str().unwrap().contains('.'))
            {
                let parent = t["techniqueID"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .next()
                    .unwrap();
                assert!(
                    techs
                        .iter()
                        .any(|p| p["techniqueID"] == parent && p["showSubtechniques"] == true),
                    "{f}: parent of {t} not expanded"
                );
            }
            layers += 1;
        }
        let all = json(&out.join("layers/all.json"));
        assert_eq!(all.as_array().unwrap().len(), layers);
        for l in all.as_array().unwrap() {
            assert!(layer_schema.is_valid(l));
        }
    }
}

#[test]
fn financial_example_figures() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = build(&root().join("models/financial/model.yaml"), &out, &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&out.join("report.json"));
    let actors: Vec<&str> = r["actors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors,
        ["fin7", "fin8", "carbanak", "apt38", "lazarus-group"]
    );
    // Inline rules from the root and both fragments, plus the 4 Sigma rules.
    assert_eq!(r["imports"][0]["rules"], 4);
    assert_eq!(r["summary"]["rules"], 7 + 22 + 8 + 4);
    // Lazarus Group's removed technique is not in its layer.
    let laz = json(&out.join("layers/actor-lazarus-group.json"));
    assert!(!laz["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["techniqueID"] == "T1561.002" && t.get("score").is_some()));
    // FIN7's local add is labelled local.
    let fin7 = json(&out.join("layers/actor-fin7.json"));
    let t1486 = fin7["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["techniqueID"] == "T1486")
        .unwrap()
        .clone();
    assert!(t1486["comment"].as_str().unwrap().contains("local"));
    // Coverage: every covered technique has a rule, and an in-scope technique is covered
    // exactly when it is covered on every asset it applies to (issue 13).
    for t in r["techniques"].as_array().unwrap() {
        let covered = t["covered"].as_bool().unwrap();
        if covered {
            assert!(!t["rules"].as_array().unwrap().is_empty());
        }
        if t["in_scope"].as_bool().unwrap() {
            assert_eq!(covered, t["uncovered_on"].as_array().unwrap().is_empty());
        }
    }
    // Accepted and transferred gaps (decisions:) are counted apart, and not covered.
    let s = &r["summary"];
    assert_eq!(
        (
            s["accepted"].as_u64().unwrap(),
            s["transferred"].as_u64().unwrap()
        ),
        (1, 1)
    );
    assert_eq!(
        s["covered"].as_u64().unwrap()
            + s["gaps"].as_u64().unwrap()
            + s["accepted"].as_u64().unwrap()
            + s["transferred"].as_u64().unwrap(),
        s["in_scope"].as_u64().unwrap()
    );
}

#[test]
fn outputs_are_byte_identical_across_runs_and_working_directories() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let model = root().join("models/financial/model.yaml");
    let o1 = build(&model, &a.path().join("out"), &root());
    assert_eq!(o1.status.code(), Some(0));
    // Same model from another working directory, with a relative path.
    let rel = pathdiff(&model, b.path());
    let o2 = threatc(&["build", &rel, "--out", "out"], b.path());
    assert_eq!(o2.status.code(), Some(0), "{}", stderr(&o2));
    let s1 = snapshot(&a.path().join("out"));
    let s2 = snapshot(&b.path().join("out"));
    assert_eq!(s1.len(), s2.len());
    for ((n1, c1), (n2, c2)) in s1.iter().zip(&s2) {
        assert_eq!(n1, n2);
        assert!(c1 == c2, "{n1} differs between runs");
        let text = String::from_utf8_lossy(c1);
        assert!(
            !text.contains(a.path().to_str().unwrap()) && !text.contains("/work/"),
            "{n1} holds an absolute path"
        );
    }
}

fn pathdiff(target: &Path, from: &Path) -> String {
    let up = from.components().count() - 1;
    let mut s = String::new();
    for _ in 0..up {
        s.push_str("../");
    }
    s.push_str(target.to_str().unwrap().trim_start_matches('/'));
    s
}

#[test]
fn a_failed_build_leaves_earlier_outputs_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.yaml");
    std::fs::write(&m, HAND).unwrap();
    let out = dir.path().join("out");
    assert_eq!(build(&m, &out, dir.path()).status.code(), Some(0));
    let before = snapshot(&out);
    std::fs::write(&m, HAND.replace("T1021.002]", "T9999]")).unwrap();
    let o = build(&m, &out, dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(snapshot(&out), before);
    // Stale files of a removed actor are cleaned up by the next good build.
    std::fs::write(
        &m,
        HAND.replace(
            "  - id: a2\n    weight: 1\n    techniques: [T1059.001, T1021.002]\n",
            "",
        ),
    )
    .unwrap();
    assert_eq!(build(&m, &out, dir.path()).status.code(), Some(0));
    assert!(!out.join("layers/actor-a2.json").exists());
    assert!(out.join("layers/actor-a1.json").exists());
}

#[test]
fn committed_schemas_match_the_code() {
    let model =
        std::fs::read_to_string(root().join("schemas/threatc-model-v1.schema.json")).unwrap();
    assert!(model == threatc::model::v1::schema_json(), "schemas/threatc-model-v1.schema.json is stale: run `threatc schema model > schemas/threatc-model-v1.schema.json`");
    let report =
        std::fs::read_to_string(root().join("schemas/threatc-report-v1.schema.json")).unwrap();
    assert!(report == threatc::emit::report_schema_json(), "schemas/threatc-report-v1.schema.json is stale: run `threatc schema report > schemas/threatc-report-v1.schema.json`");
}

#[test]
fn actor_layers_equal_catalog_group_semantics_for_every_enterprise_group() {
    let cat = threatc::catalog::embedded(threatc::catalog::Domain::Enterprise).unwrap();
    let mut yaml = String::from("threatc: 1\nmodel:\n  name: all-groups\nactors:\n");
    for (i, g) in cat.groups.iter().enumerate() {
        // Half with software, half without, to check both sets.
        yaml.push_str(&format!(
            "  - group: {}\n    software: {}\n",
            g.id,
            i % 2 == 0
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.yaml");
    std::fs::write(&m, yaml).unwrap();
    let out = dir.path().join("out");
    let o = build(&m, &out, dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(cat.groups.len() >= 170);
    for (i, g) in cat.groups.iter().enumerate() {
        let id = threatc::resolve::slug(&g.name);
        let l = json(&out.join(format!("layers/actor-{id}.json")));
        let got: BTreeSet<String> = l["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t.get("score").is_some())
            .map(|t| t["techniqueID"].as_str().unwrap().to_string())
            .collect();
        let mut want: BTreeSet<String> = g
            .techniques
            .iter()
            .map(|t| t.technique.to_string())
            .collect();
        if i % 2 == 0 {
            want.extend(
                g.software_techniques
                    .iter()
                    .map(|t| t.technique.to_string()),
            );
        }
        assert_eq!(got, want, "{} ({})", g.name, g.id);
    }
}

#[test]
fn listing_files_in_another_order_gives_the_same_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    copy_dir(&root().join("models/financial"), a.path());
    copy_dir(&root().join("models/financial"), b.path());
    // Both import the Sigma rules as two entries; b lists the entries and the included
    // fragments in the other order (same line count, so rule line numbers agree).
    let import = "  - import: sigma\n    path: detections/sigma\n    status: {stable: production, test: production, experimental: testing}\n";
    let first = "  - import: sigma\n    path: detections/sigma/proc_*.yml\n    status: {stable: production, test: production, experimental: testing}\n";
    let second = "  - import: sigma\n    path: detections/sigma/win_*.yml\n    status: {stable: production, test: production, experimental: testing}\n";
    for (dir, swapped) in [(a.path(), false), (b.path(), true)] {
        let m = dir.join("model.yaml");
        let mut text = std::fs::read_to_string(&m).unwrap();
        assert!(text.contains(import));
        let both = if swapped {
            format!("{second}{first}")
        } else {
            format!("{first}{second}")
        };
        text = text.replace(import, &both);
        if swapped {
            text = text.replace(
                "  - rules/endpoint.yaml\n  - rules/identity.yaml\n",
                "  - rules/identity.yaml\n  - rules/endpoint.yaml\n",
            );
        }
        std::fs::write(&m, text).unwrap();
    }
    for d in [a.path(), b.path()] {
        let o = threatc(&["build", "model.yaml", "--out", "out"], d);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let sa = snapshot(&a.path().join("out"));
    let sb = snapshot(&b.path().join("out"));
    for ((n1, c1), (n2, c2)) in sa.iter().zip(&sb) {
        assert_eq!(n1, n2);
        assert!(
            c1 == c2,
            "{n1} differs when files are listed in another order"
        );
    }
}

#[test]
fn mobile_and_ics_models_build_with_valid_layers() {
    let layer_schema = validator("navigator-layer-4.5.schema.json");
    let cases = [
        (
            "mobile-attack",
            "threatc: 1\nmodel:\n  name: m\nattack:\n  domain: mobile\nactors:\n  - group: PROMETHIUM\nassets:\n  - id: phones\n    platforms: [Android, iOS]\nrules:\n  - id: r\n    techniques: [T1437.001]\n",
        ),
        (
            "ics-attack",
            // ICS techniques name no platforms: an asset with `platforms: []` applies to all.
            "threatc: 1\nmodel:\n  name: i\nattack:\n  domain: ics\nactors:\n  - group: Sandworm Team\nassets:\n  - id: plant\n    platforms: []\n    criticality: critical\nrules:\n  - id: r\n    techniques: [T0855]\n    assets: [plant]\n",
        ),
    ];
    for (domain, model) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("m.yaml"), model).unwrap();
        let o = threatc(&["build", "m.yaml", "--out", "out"], dir.path());
        assert_eq!(o.status.code(), Some(0), "{domain}: {}", stderr(&o));
        let r = json(&dir.path().join("out/report.json"));
        assert!(r["summary"]["in_scope"].as_u64().unwrap() > 10, "{domain}");
        assert_eq!(r["summary"]["covered"], 1, "{domain}");
        assert_eq!(r["summary"]["out_of_scope"], 0, "{domain}");
        for f in ["threat", "coverage", "gaps"] {
            let l = json(&dir.path().join(format!("out/layers/{f}.json")));
            assert_eq!(l["domain"], domain);
            let errs: Vec<String> = layer_schema
                .iter_errors(&l)
                .map(|e| e.to_string())
                .collect();
            assert!(errs.is_empty(), "{domain} {f}: {errs:?}");
        }
    }
}

/// report.json is rendered in memory alongside the other outputs for ordinary models and
/// streamed into its file at write time for large ones
/// (`emit::REPORT_IN_MEMORY_MAX_RULES`): both ways write the same bytes.
#[test]
fn report_json_is_the_same_rendered_or_streamed() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/financial/model.yaml");
    let mut sources = threatc::source::SourceMap::new();
    let c = threatc::compile(&model, &threatc::CompileOptions::default(), &mut sources)
        .expect("the bank example compiles");
    let tmp = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    for in_memory in [true, false] {
        let out = tmp.path().join(format!("out-{in_memory}"));
        let built =
            threatc::emit::build_with(&c, None, None, &mut threatc::Timings::default(), in_memory)
                .expect("renders");
        let files = threatc::emit::write_build(&out, built).expect("writes");
        assert!(files.contains(&"report.json".to_string()));
        written.push(std::fs::read(out.join("report.json")).unwrap());
    }
    assert_eq!(
        written[0], written[1],
        "report.json differs between the two ways"
    );
    let report: Value = serde_json::from_slice(&written[0]).unwrap();
    assert_eq!(report["files"].as_array().map(Vec::len), Some(30));
    assert!(written[0].ends_with(b"\n  ]\n}\n"));
}
