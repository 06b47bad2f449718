//! `threatc migrate` and `threatc attack changes` against the real ATT&CK bundles: a model and
//! a Navigator layer written for v15.1 are migrated to the embedded v18.1.
//!
//! The expected replacements are computed here, independently of threatc's catalog, from the
//! raw STIX of the v18.1 bundle. Bundles are loaded as few times as possible (one test).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/attack");
    let ok = dir.join("enterprise-attack-18.1.json").is_file()
        && dir.join("enterprise-attack-15.1.json").is_file();
    if ok {
        return Some(dir);
    }
    if std::env::var("THREATC_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!(
            "THREATC_REQUIRE_SHARED=1 but the ATT&CK bundles are not in {}",
            dir.display()
        );
    }
    eprintln!("skipping: the ATT&CK bundles are not in {}", dir.display());
    None
}

fn threatc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_threatc"))
        .args(args)
        .current_dir(dir)
        .env_remove("THREATC_ATTACK_DATA")
        .env_remove("THREATC_FROM_ATTACK_DATA")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `threatc attack changes --from 15.1 --from-data b15 --model model.yaml --format json`
/// run in `dir`.
fn changes_since_15_1(dir: &Path, b15: &str) -> Output {
    threatc(
        dir,
        &[
            "attack",
            "changes",
            "--from",
            "15.1",
            "--from-data",
            b15,
            "--model",
            "model.yaml",
            "--format",
            "json",
        ],
    )
}

/// A technique as the raw bundle says it.
struct RawTech {
    id: String,
    revoked: bool,
    deprecated: bool,
    tactics: Vec<String>,
}

/// ATT&CK id → technique, and STIX id → ATT&CK id, plus `revoked-by` edges (STIX ids).
struct Raw {
    techs: BTreeMap<String, RawTech>,
    stix_to_id: BTreeMap<String, String>,
    revoked_by: BTreeMap<String, String>,
}

fn read_raw(path: &Path) -> Raw {
    let bundle: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut raw = Raw {
        techs: BTreeMap::new(),
        stix_to_id: BTreeMap::new(),
        revoked_by: BTreeMap::new(),
    };
    for o in bundle["objects"].as_array().unwrap() {
        match o["type"].as_str() {
            Some("attack-pattern") => {
                let Some(id) = o["external_references"]
                    .as_array()
                    .and_then(|refs| refs.iter().find(|r| r["source_name"] == "mitre-attack"))
                    .and_then(|r| r["external_id"].as_str())
                else {
                    continue;
                };
                let tactics = o["kill_chain_phases"]
                    .as_array()
                    .map(|p| {
                        p.iter()
                            .filter_map(|k| k["phase_name"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                raw.stix_to_id
                    .insert(o["id"].as_str().unwrap().to_string(), id.to_string());
                raw.techs.insert(
                    id.to_string(),
                    RawTech {
                        id: id.to_string(),
                        revoked: o["revoked"].as_bool().unwrap_or(false),
                        deprecated: o["x_mitre_deprecated"].as_bool().unwrap_or(false),
                        tactics,
                    },
                );
            }
            Some("relationship") if o["relationship_type"] == "revoked-by" => {
                raw.revoked_by.insert(
                    o["source_ref"].as_str().unwrap().to_string(),
                    o["target_ref"].as_str().unwrap().to_string(),
                );
            }
            _ => {}
        }
    }
    raw
}

impl Raw {
    fn active(&self, id: &str) -> bool {
        self.techs
            .get(id)
            .is_some_and(|t| !t.revoked && !t.deprecated)
    }
}

/// Ids active in v15.1 and revoked in v18.1, with the active technique their `revoked-by`
/// relationship names.
fn expected_replacements(old: &Raw, new: &Raw) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (stix, id) in &new.stix_to_id {
        let t = &new.techs[id];
        if !t.revoked || !old.active(id) {
            continue;
        }
        let Some(target) = new.revoked_by.get(stix).and_then(|s| new.stix_to_id.get(s)) else {
            continue;
        };
        if new.active(target) {
            out.insert(t.id.clone(), target.clone());
        }
    }
    out
}

fn model_texts(revoked: &[&str]) -> (String, String) {
    let first = revoked[0];
    let flow: Vec<String> = revoked.iter().map(|id| format!("\"{id}\"")).collect();
    let block: String = revoked
        .iter()
        .map(|id| format!("      - {id}      # kept comment\n"))
        .collect();
    let frag_list: Vec<String> = revoked.iter().map(|id| format!("'{id}'")).collect();
    let root =
        r#"# A model written for ATT&CK v15.1: comments, odd quoting and layout must survive.
threatc: 1
model:
  name: legacy-model   # slug
  assessed: 2024-05-02
attack:
  domain: enterprise
  version: "15.1"    # assessed against this release

include:
  - rules/legacy.yaml

actors:
  - id: crew
    name: Our local crew
    techniques: [T1059.001,   FLOW, T1112 ]   # flow list
  - id: others
    name: Others
    techniques:
      - T1021.002
BLOCK
assets:
  - id: ws
    platforms: [Windows]

rules:
  - id: EDR-1
    name: "Odd: quoted name"
    techniques: [ FIRST ,T1059.001]
    status: production

plan:
  techniques:
    FIRST:
      effort: low
      approach: 'Look at it'
"#
        .replace("FLOW", &flow.join(", "))
        .replace("BLOCK\n", &block)
        .replace("FIRST", first);
    let frag = r#"threatc: 1
# a fragment, kept by another team
rules:
  - id: FRAG-1
    techniques: [LIST]
  - id: FRAG-2
    techniques:
    - T1112
    - "FIRST"
"#
    .replace("LIST", &frag_list.join(" , "))
    .replace("FIRST", first);
    (root, frag)
}

/// Every line either equal, or equal once the revoked ids and the version are replaced.
fn assert_only_ids_changed(old: &str, new: &str, map: &BTreeMap<String, String>) {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    assert_eq!(a.len(), b.len(), "line count changed:\n{new}");
    assert_eq!(old.ends_with('\n'), new.ends_with('\n'));
    for (x, y) in a.iter().zip(&b) {
        if x == y {
            continue;
        }
        let mut want = x.replace("version: \"15.1\"", "version: \"18.1\"");
        for (from, to) in map {
            want = want.replace(from.as_str(), to);
        }
        assert_eq!(&want, y, "unexpected change of line `{x}`");
    }
    for from in map.keys() {
        assert!(!new.contains(from.as_str()), "`{from}` left in:\n{new}");
    }
}

#[test]
fn migrate_model_and_layer_from_15_1_to_18_1() {
    let Some(shared) = shared() else { return };
    let b15 = shared.join("enterprise-attack-15.1.json");
    let b15s = b15.to_str().unwrap();
    let old = read_raw(&b15);
    let new = read_raw(&shared.join("enterprise-attack-18.1.json"));
    let map = expected_replacements(&old, &new);
    assert!(
        !map.is_empty(),
        "no technique revoked between 15.1 and 18.1?"
    );
    eprintln!("revoked between 15.1 and 18.1: {map:?}");
    let revoked: Vec<&str> = map.keys().map(String::as_str).collect();

    // ---- model ----
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    let (root, frag) = model_texts(&revoked);
    std::fs::write(dir.join("model.yaml"), &root).unwrap();
    std::fs::write(dir.join("rules/legacy.yaml"), &frag).unwrap();

    // Valid for 15.1; against 18.1 the revoked ids are errors; with the 15.1 data at hand,
    // renamed or moved techniques are reported.
    let o = threatc(dir, &["--attack-data", b15s, "check", "model.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = threatc(dir, &["check", "model.yaml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("revoked-technique"), "{}", text(&o));

    // Dry run: a diff, nothing written.
    let o = threatc(dir, &["migrate", "model.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let diff = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        diff.contains("--- a/model.yaml\n+++ b/model.yaml\n@@ "),
        "{diff}"
    );
    assert!(
        diff.contains("--- a/rules/legacy.yaml\n+++ b/rules/legacy.yaml\n"),
        "{diff}"
    );
    for (from, to) in &map {
        assert!(
            diff.contains(&format!(
                "-      - {from}      # kept comment\n+      - {to}      # kept comment\n"
            )),
            "{diff}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("model.yaml")).unwrap(),
        root
    );

    // --to must be the catalog's release.
    let o = threatc(dir, &["migrate", "model.yaml", "--to", "19.0", "--write"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("--attack-data"), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("model.yaml")).unwrap(),
        root
    );

    let o = threatc(dir, &["migrate", "model.yaml", "--to", "18.1", "--write"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let root2 = std::fs::read_to_string(dir.join("model.yaml")).unwrap();
    let frag2 = std::fs::read_to_string(dir.join("rules/legacy.yaml")).unwrap();
    assert_only_ids_changed(&root, &root2, &map);
    assert_only_ids_changed(&frag, &frag2, &map);
    assert!(root2.contains("  version: \"18.1\"    # assessed against this release\n"));
    for to in map.values() {
        assert!(
            root2.contains(&format!("    {to}:\n      effort: low")),
            "{root2}"
        );
        assert!(
            frag2.contains(&format!("'{to}'")) && frag2.contains(&format!("\"{to}\"")),
            "{frag2}"
        );
    }

    let o = threatc(dir, &["check", "model.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        !text(&o).contains("attack-version-mismatch"),
        "{}",
        text(&o)
    );

    let o = threatc(dir, &["migrate", "model.yaml", "--write"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("nothing to migrate"), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("model.yaml")).unwrap(),
        root2
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("rules/legacy.yaml")).unwrap(),
        frag2
    );

    // ---- technique-changed notes: a 15.1 model checked against 18.1 with the 15.1 data ----
    let moved: Vec<&RawTech> = old
        .techs
        .values()
        .filter(|t| old.active(&t.id) && new.active(&t.id))
        .filter(|t| new.techs[&t.id].tactics != t.tactics)
        .collect();
    assert!(!moved.is_empty());
    let list: Vec<&str> = moved.iter().map(|t| t.id.as_str()).collect();
    std::fs::write(
        dir.join("current.yaml"),
        format!(
            "threatc: 1\nmodel:\n  name: current\nattack:\n  version: '15.1'\nactors:\n  - id: a\n    techniques: [{}]\n",
            list.join(", ")
        ),
    )
    .unwrap();
    let o = threatc(dir, &["--from-attack-data", b15s, "check", "current.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for id in &list {
        assert!(
            text(&o).contains(&format!("technique `{id}`")),
            "{id}: {}",
            text(&o)
        );
    }
    assert!(text(&o).contains("technique-changed"), "{}", text(&o));

    // ---- Navigator layer written for v15 ----
    let entries: Vec<Value> = map
        .keys()
        .enumerate()
        .map(|(i, id)| {
            serde_json::json!({
                "techniqueID": id,
                "tactic": old.techs[id].tactics[0],
                "score": i + 1,
                "color": "#ff6666",
                "comment": format!("seen {i}"),
                "enabled": true,
                "metadata": [{"name": "owner", "value": "soc"}],
                "links": [{"label": "wiki", "url": "https://wiki.example/x"}],
                "showSubtechniques": false
            })
        })
        .chain([serde_json::json!({"techniqueID": "T1059.001", "tactic": "execution", "score": 9})])
        .collect();
    let layer = serde_json::json!({
        "name": "legacy",
        "versions": {"attack": "15", "navigator": "5.0.0", "layer": "4.5"},
        "domain": "enterprise-attack",
        "techniques": entries,
        "gradient": {"colors": ["#ffffff", "#ff0000"], "minValue": 0, "maxValue": 10}
    });
    // Compact, as Navigator exports often are.
    let compact = serde_json::to_string(&layer).unwrap();
    std::fs::write(dir.join("layer.json"), &compact).unwrap();
    let o = threatc(dir, &["migrate", "layer.json", "--write"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let migrated = std::fs::read_to_string(dir.join("layer.json")).unwrap();
    assert!(
        migrated
            .starts_with("{\n  \"name\": \"legacy\",\n  \"versions\": {\n    \"attack\": \"18\","),
        "{migrated}"
    );
    let got: Value = serde_json::from_str(&migrated).unwrap();
    let techs = got["techniques"].as_array().unwrap();
    assert_eq!(techs.len(), map.len() + 1);
    for (i, (from, to)) in map.iter().enumerate() {
        let e = &techs[i];
        assert_eq!(e["techniqueID"], to.as_str(), "{from}");
        let tactic = e["tactic"].as_str().unwrap();
        assert!(
            new.techs[to].tactics.iter().any(|t| t == tactic),
            "{from} → {to}: {tactic}"
        );
        let was = &layer["techniques"][i];
        for k in [
            "score",
            "color",
            "comment",
            "enabled",
            "metadata",
            "links",
            "showSubtechniques",
        ] {
            assert_eq!(e[k], was[k], "{k}");
        }
    }
    assert_eq!(techs[map.len()], layer["techniques"][map.len()]);
    assert_eq!(got["gradient"], layer["gradient"]);
    assert_eq!(got["versions"]["navigator"], "5.0.0");
    let o = threatc(dir, &["migrate", "layer.json", "--write"]);
    assert!(text(&o).contains("nothing to migrate"), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("layer.json")).unwrap(),
        migrated
    );

    // ---- attack changes ----
    let o = threatc(
        dir,
        &[
            "attack",
            "changes",
            "--from",
            "15.1",
            "--to",
            "18.1",
            "--from-data",
            b15s,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    for (from, to) in &map {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(from.as_str())
                    && l.contains(&format!("→ {to} "))),
            "{from}: {out}"
        );
    }
    let o = changes_since_15_1(dir, b15s);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The migrated model uses none of the revoked ids any more.
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(j["changes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["kind"] != "revoked"));
    std::fs::write(dir.join("model.yaml"), &root).unwrap();
    let o = changes_since_15_1(dir, b15s);
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (j["from"].as_str(), j["to"].as_str()),
        (Some("15.1"), Some("18.1"))
    );
    let revoked_listed: BTreeMap<String, String> = j["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "revoked")
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["by"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(revoked_listed, map);
    assert!(j["changes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["kind"] != "new"));
    let ids: BTreeSet<&str> = j["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(ids.contains("T1112"), "T1112 moved tactics: {j}");

    // Another release without its bundle: a clear error.
    let o = threatc(dir, &["attack", "changes", "--from", "16.0"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("--from-data"), "{}", text(&o));
}
