//! Navigator layers of a build (#13 point 7, #16 point 5): links to attack.mitre.org on
//! every technique entry, one layer per asset, the actor-overlap layer, aggregate
//! scores, and layers/index.json listing every layer written.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

fn build(dir: &Path, model: &str) -> std::process::Output {
    threatc(&["build", model, "--out", "out"], dir)
}

/// Two Windows assets, a custom actor and a rule scoped to `assets` (YAML list).
fn model(assets: &str) -> String {
    format!(
        r#"threatc: 1
model:
  name: lay
actors:
  - id: crew
    techniques: [T1003.001, T1059.001, T1021.002]
  - id: other
    techniques: [T1003.001]
assets:
  - id: dc
    platforms: [Windows]
    criticality: critical
  - id: ws
    platforms: [Windows]
rules:
  - id: lsass
    name: LSASS access
    techniques: [T1003.001]
    platforms: [Windows]
    assets: {assets}
  - id: ps
    name: PowerShell download cradle
    techniques: [T1059.001]
    platforms: [Windows]
"#
    )
}

/// The entries of a layer for one technique.
fn entries<'a>(layer: &'a Value, id: &str) -> Vec<&'a Value> {
    layer["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["techniqueID"] == id)
        .collect()
}

/// Checks that every technique entry carries exactly its attack.mitre.org link.
fn assert_links(layer: &Value, what: &str) -> usize {
    let techs = layer["techniques"].as_array().unwrap();
    for t in techs {
        let id = t["techniqueID"].as_str().unwrap();
        let url = match id.split_once('.') {
            Some((p, s)) => format!("https://attack.mitre.org/techniques/{p}/{s}/"),
            None => format!("https://attack.mitre.org/techniques/{id}/"),
        };
        let links = t["links"]
            .as_array()
            .unwrap_or_else(|| panic!("{what} {id}: no links"));
        assert_eq!(links.len(), 1, "{what} {id}");
        assert_eq!(links[0]["url"], url.as_str(), "{what} {id}");
        assert!(
            links[0]["label"].as_str().unwrap().contains(id),
            "{what} {id}"
        );
    }
    techs.len()
}

#[test]
fn every_technique_entry_of_every_layer_links_to_attack_mitre_org() {
    for m in ["models/financial/model.yaml", "models/cloud/model.yaml"] {
        let dir = tempfile::tempdir().unwrap();
        let o = threatc(
            &[
                "build",
                root().join(m).to_str().unwrap(),
                "--out",
                dir.path().join("out").to_str().unwrap(),
            ],
            &root(),
        );
        assert_eq!(o.status.code(), Some(0), "{m}: {}", stderr(&o));
        let layers = dir.path().join("out/layers");
        let mut checked = 0;
        let mut subs = 0;
        for e in std::fs::read_dir(&layers).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            if name == "index.json" {
                continue;
            }
            let doc = json(&layers.join(&name));
            let docs: Vec<Value> = match doc {
                Value::Array(a) => a,
                one => vec![one],
            };
            for l in &docs {
                checked += assert_links(l, &format!("{m} {name}"));
                subs += l["techniques"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|t| t["techniqueID"].as_str().unwrap().contains('.'))
                    .count();
            }
        }
        assert!(checked > 1000, "{m}: only {checked} entries");
        assert!(subs > 100, "{m}: sub-technique links checked");
    }
    // The diff layer too.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), model("[dc, ws]")).unwrap();
    std::fs::write(dir.path().join("b.yaml"), model("[ws]")).unwrap();
    let o = threatc(&["diff", "a.yaml", "b.yaml", "--out", "d"], dir.path());
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
    let l = json(&dir.path().join("d/diff-layer.json"));
    assert!(assert_links(&l, "diff-layer") > 0);
}

#[test]
fn an_asset_losing_a_rule_changes_its_own_layer_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), model("[dc, ws]")).unwrap();
    let o = build(dir.path(), "m.yaml");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let read = |f: &str| std::fs::read(dir.path().join("out/layers").join(f)).unwrap();
    let (dc1, ws1) = (read("asset-dc.json"), read("asset-ws.json"));
    let dc: Value = serde_json::from_slice(&dc1).unwrap();
    let lsass = entries(&dc, "T1003.001");
    assert_eq!(lsass.len(), 1);
    assert_eq!(lsass[0]["score"], 1);
    assert!(lsass[0]["comment"]
        .as_str()
        .unwrap()
        .contains("detected on dc by: LSASS access"));
    assert_eq!(dc["filters"]["platforms"], serde_json::json!(["Windows"]));
    assert!(dc["description"]
        .as_str()
        .unwrap()
        .contains("criticality critical"));
    assert!(dc["legendItems"].as_array().unwrap().len() >= 2);

    // The rule no longer runs on the domain controllers.
    std::fs::write(dir.path().join("m.yaml"), model("[ws]")).unwrap();
    let o = build(dir.path(), "m.yaml");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (dc2, ws2) = (read("asset-dc.json"), read("asset-ws.json"));
    assert_ne!(dc1, dc2, "the DC layer shows the lost detection");
    assert_eq!(ws1, ws2, "the workstations' layer is unchanged");
    let dc: Value = serde_json::from_slice(&dc2).unwrap();
    let lsass = entries(&dc, "T1003.001");
    assert_eq!(lsass[0]["score"], 0);
    assert_ne!(lsass[0]["color"], entries(&dc, "T1059.001")[0]["color"]);
    assert_eq!(
        lsass[0]["comment"], "not detected on dc; detected on: ws",
        "detection elsewhere is named, not counted"
    );
}

#[test]
fn index_lists_every_layer_written_and_stale_asset_layers_go() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), model("[dc, ws]")).unwrap();
    let o = build(dir.path(), "m.yaml");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("out");
    let on_disk = |skip_index: bool| -> BTreeSet<String> {
        std::fs::read_dir(out.join("layers"))
            .unwrap()
            .map(|e| format!("layers/{}", e.unwrap().file_name().to_string_lossy()))
            .filter(|f| !(skip_index && f == "layers/index.json"))
            .collect()
    };
    let index = json(&out.join("layers/index.json"));
    let listed: Vec<&str> = index["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["file"].as_str().unwrap())
        .collect();
    let listed_set: BTreeSet<String> = listed.iter().map(|s| s.to_string()).collect();
    assert_eq!(listed.len(), listed_set.len(), "no file twice");
    assert_eq!(listed_set, on_disk(true));
    for want in [
        "layers/threat.json",
        "layers/overlap.json",
        "layers/coverage.json",
        "layers/detection.json",
        "layers/visibility.json",
        "layers/overlay.json",
        "layers/gaps.json",
        "layers/asset-dc.json",
        "layers/asset-ws.json",
        "layers/actor-crew.json",
        "layers/actor-other.json",
        "layers/all.json",
    ] {
        assert!(listed_set.contains(want), "{want} listed");
    }
    // report.json lists them too, and index.json.
    let report = json(&out.join("report.json"));
    let files: BTreeSet<String> = serde_json::from_value(report["files"].clone()).unwrap();
    assert!(on_disk(false).is_subset(&files));
    for l in index["layers"].as_array().unwrap() {
        assert!(!l["purpose"].as_str().unwrap().is_empty(), "{l}");
        assert!(!l["title"].as_str().unwrap().is_empty(), "{l}");
        let f = l["file"].as_str().unwrap();
        if f != "layers/all.json" {
            let layer = json(&out.join(f));
            assert_eq!(layer["name"], l["title"], "{f}");
            assert_eq!(layer["description"], l["description"], "{f}");
        }
    }
    // all.json holds the same layers in the index's order.
    let all = json(&out.join("layers/all.json"));
    let names: Vec<&Value> = all.as_array().unwrap().iter().map(|l| &l["name"]).collect();
    let titles: Vec<&Value> = index["layers"].as_array().unwrap()[..names.len()]
        .iter()
        .map(|l| &l["title"])
        .collect();
    assert_eq!(names, titles);

    // An asset leaves the model: its layer goes, a user's file of a similar name stays.
    std::fs::write(out.join("layers/asset-notes.txt"), "mine").unwrap();
    std::fs::write(out.join("layers/assets.json"), "mine").unwrap();
    let m = model("[dc]").replace("  - id: ws\n    platforms: [Windows]\n", "");
    std::fs::write(dir.path().join("m.yaml"), m).unwrap();
    let o = build(dir.path(), "m.yaml");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        !out.join("layers/asset-ws.json").exists(),
        "stale asset layer removed"
    );
    assert!(out.join("layers/asset-dc.json").exists());
    assert!(out.join("layers/asset-notes.txt").exists());
    assert!(out.join("layers/assets.json").exists());
    let index = json(&out.join("layers/index.json"));
    assert!(!index.to_string().contains("asset-ws.json"));
}

#[test]
fn actor_overlap_counts_actors_and_aggregates_on_parents() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), model("[dc, ws]")).unwrap();
    let o = build(dir.path(), "m.yaml");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let l = json(&dir.path().join("out/layers/overlap.json"));
    assert_eq!(entries(&l, "T1003.001")[0]["score"], 2);
    assert_eq!(entries(&l, "T1059.001")[0]["score"], 1);
    assert!(entries(&l, "T1003.001")[0]["comment"]
        .as_str()
        .unwrap()
        .starts_with("used by 2 of 2 actors: crew, other"));
    assert_eq!(l["gradient"]["maxValue"], 2);
    assert_eq!(l["layout"]["aggregateFunction"], "max");
    assert_eq!(l["layout"]["showAggregateScores"], true);
    // The parent is shown (expanded) to carry the aggregate.
    assert_eq!(entries(&l, "T1003")[0]["showSubtechniques"], true);
    // Layers whose score has no meaning summed over a family show no aggregate.
    for f in ["coverage.json", "actor-crew.json", "asset-dc.json"] {
        let l = json(&dir.path().join("out/layers").join(f));
        assert_eq!(l["layout"]["showAggregateScores"], false, "{f}");
    }
}

#[test]
fn asset_layer_file_names_are_safe_and_unique_ignoring_case() {
    use threatc::emit::navigator::asset_layer_files;
    assert_eq!(
        asset_layer_files(&["DC", "dc", "a b", "../x", "dc-2"]),
        [
            "asset-DC.json",
            "asset-dc-2.json",
            "asset-a-b.json",
            "asset-x..-x.json",
            "asset-dc-2-2.json"
        ]
    );
    for f in asset_layer_files(&["DC", "a b", "../x", &"y".repeat(64)]) {
        assert!(threatc::emit::is_asset_layer_name(&f), "{f}");
        assert!(
            threatc::emit::is_build_output(&format!("layers/{f}")),
            "{f}"
        );
    }
}

/// The two-asset model with Sysmon Process Access (EventCode 10, what LSASS-dumping
/// analytics read) collected on the workstations only, and the LSASS rule on the DCs:
/// T1003.001 is detected on dc and only visible on ws.
fn ladder_model() -> String {
    format!(
        "{}telemetry:\n  - log_source: WinEventLog:Sysmon\n    event_codes: [10]\n    assets: [ws]\n",
        model("[dc]")
    )
}

/// A layer's legend as (label, colour).
fn legend(l: &Value) -> Vec<(String, String)> {
    l["legendItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["label"].as_str().unwrap().to_string(),
                i["color"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn ladder_layers_score_each_technique_at_its_weakest_asset() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), ladder_model()).unwrap();
    let o = build(dir.path(), "m.yaml");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let layers = dir.path().join("out/layers");

    // Detection: one colour per state, lowest first, as the gradient's stops over 0-4.
    let det = json(&layers.join("detection.json"));
    let lg = legend(&det);
    let labels: Vec<&str> = lg.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        [
            "blind (0)",
            "unknown (1)",
            "visible (2)",
            "detected (3)",
            "validated (4)"
        ]
    );
    let colors: Vec<&str> = lg.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(det["gradient"]["colors"], serde_json::json!(colors));
    assert_eq!(det["gradient"]["minValue"], 0);
    assert_eq!(det["gradient"]["maxValue"], 4);
    let distinct: BTreeSet<&str> = colors.iter().copied().collect();
    assert_eq!(distinct.len(), 5, "one colour per state");
    assert_eq!(det["layout"]["aggregateFunction"], "min");
    assert_eq!(det["layout"]["showAggregateScores"], true);
    assert!(det["description"]
        .as_str()
        .unwrap()
        .contains("only as covered as its weakest asset"));
    // Detected on dc, visible on ws: it scores as visible, not detected.
    let lsass = entries(&det, "T1003.001");
    assert_eq!(lsass.len(), 1);
    assert_eq!(lsass[0]["score"], 2);
    assert_eq!(lsass[0]["comment"], "visible: ws; detected: dc");
    assert_eq!(lsass[0]["metadata"][0]["value"], "visible");
    // Detected on both: detected.
    let ps = entries(&det, "T1059.001");
    assert_eq!(ps[0]["score"], 3);
    assert_eq!(ps[0]["comment"], "detected: dc, ws");
    // The parent carries the aggregate.
    assert_eq!(entries(&det, "T1003")[0]["showSubtechniques"], true);

    // Visibility: dc declares no telemetry (unknown), ws collects what the analytics read.
    let vis = json(&layers.join("visibility.json"));
    assert_eq!(legend(&vis).len(), 3);
    assert_eq!(vis["layout"]["aggregateFunction"], "min");
    let lsass = entries(&vis, "T1003.001");
    assert_eq!(lsass[0]["score"], 1, "unknown on dc is the lowest");
    assert_eq!(lsass[0]["comment"], "unknown: dc; visible: ws");

    // Overlay: visible but not detected on ws is the weakest combination (amber).
    let over = json(&layers.join("overlay.json"));
    let lg = legend(&over);
    assert_eq!(lg.len(), 6);
    let amber = &lg[2];
    assert!(amber.0.starts_with("visible but not detected"), "{amber:?}");
    let lsass = entries(&over, "T1003.001");
    assert_eq!(lsass[0]["color"], amber.1.as_str());
    assert_eq!(lsass[0]["score"], 2);
    assert!(lsass[0]["comment"]
        .as_str()
        .unwrap()
        .contains("visible but not detected (write the rule): ws"));
    // Detected everywhere, but dc declares no telemetry: a purple shade, not green.
    let ps = &entries(&over, "T1059.001")[0];
    let label = ps["metadata"][0]["value"].as_str().unwrap();
    assert!(label.starts_with("detected") && label.contains("(check the rule's data)"));
    assert_ne!(ps["color"], lg[5].1.as_str());

    // Every ladder layer has a legend, and the index lists them with a purpose.
    let index = json(&layers.join("index.json"));
    for (f, kind) in [
        ("detection.json", "detection"),
        ("visibility.json", "visibility"),
        ("overlay.json", "overlay"),
    ] {
        let l = json(&layers.join(f));
        assert!(!legend(&l).is_empty(), "{f}");
        let row = index["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["file"] == format!("layers/{f}").as_str())
            .unwrap_or_else(|| panic!("{f} not in index.json"));
        assert_eq!(row["kind"], kind);
        assert!(!row["purpose"].as_str().unwrap().is_empty());
    }
}

#[test]
fn losing_a_detection_on_one_asset_lowers_the_detection_layer() {
    let dir = tempfile::tempdir().unwrap();
    let score = |assets: &str| {
        std::fs::write(dir.path().join("m.yaml"), model(assets)).unwrap();
        let o = build(dir.path(), "m.yaml");
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let det = json(&dir.path().join("out/layers/detection.json"));
        entries(&det, "T1003.001")[0]["score"].clone()
    };
    // Without telemetry: detected on both is 3; on ws only, dc is unknown (1).
    assert_eq!(score("[dc, ws]"), 3);
    assert_eq!(score("[ws]"), 1);
}
