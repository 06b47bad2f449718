//! `threatc attack groups|show` and `threatc import`: the catalog and importers from the
//! command line, in text and JSON.

mod common;
use common::*;

#[test]
fn groups_are_found_by_words_of_their_description() {
    let o = threatc(
        &[
            "attack",
            "groups",
            "--search",
            "financial",
            "--format",
            "json",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    for g in ["G0046", "G0061", "G0008", "G0082"] {
        assert!(ids.contains(&g), "{g} not in {ids:?}");
    }
    assert!(v["groups"][0]["techniques"].as_u64().unwrap() > 0);
    // Every word must match.
    let o = threatc(
        &["attack", "groups", "--search", "financial", "banks"],
        &root(),
    );
    let text = stdout(&o);
    assert!(text.contains("APT38"), "{text}");
    assert!(!text.contains("FIN8 "), "{text}");
}

#[test]
fn show_finds_groups_by_alias_and_techniques_with_detections() {
    let o = threatc(
        &["attack", "show", "Carbon Spider", "--format", "json"],
        &root(),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["id"], "G0046");
    let o = threatc(&["attack", "show", "t1021.002"], &root());
    let text = stdout(&o);
    assert!(text.contains("SMB/Windows Admin Shares"), "{text}");
    assert!(text.contains("WinEventLog:Security"), "{text}");
    assert!(text.contains("M1035"), "{text}");
    let o = threatc(&["attack", "show", "FIN77"], &root());
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("did you mean `FIN7`"), "{}", stderr(&o));
}

#[test]
fn import_command_summarises_a_rule_folder() {
    let o = threatc(
        &[
            "import",
            "sigma",
            "models/financial/detections/sigma",
            "--format-out",
            "json",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["rules"], 4);
    assert_eq!(v["techniques"]["T1021.002"], 1);
    assert_eq!(v["techniques"]["T1572"], 1);
}

#[test]
fn import_of_a_path_that_yields_nothing_is_a_usage_error() {
    // Exit 0 with "0 files" let a CI step go on as if the inventory were empty.
    let o = threatc(&["import", "sigma", "no/such/folder"], &root());
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 files, 0 rules"), "{}", stdout(&o));
    assert!(stdout(&o).contains(", 1 problem\n"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("import-path-not-found"),
        "{}",
        stdout(&o)
    );
}

/// `attack show` by name or alias finds every kind of entry, not only groups (#17, point 5).
#[test]
fn show_finds_software_techniques_mitigations_and_detection_strategies() {
    let show = |q: &str| {
        let o = threatc(&["attack", "show", q, "--format", "json"], &root());
        assert_eq!(o.status.code(), Some(0), "{q}: {}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    for (q, ty, id) in [
        ("Ryuk", "software", "S0446"),
        ("trickbot", "software", "S0266"),
        ("Totbrick", "software", "S0266"),
        ("Mimikatz", "software", "S0002"),
        ("Cobalt Strike", "software", "S0154"),
        ("Data Encrypted for Impact", "technique", "T1486"),
        ("Account Discovery: Local Account", "technique", "T1087.001"),
        ("M1053", "mitigation", "M1053"),
        ("Data Backup", "mitigation", "M1053"),
        ("det0001", "detection-strategy", "DET0001"),
        ("FIN12", "group", "G0102"),
    ] {
        let v = show(q);
        assert_eq!(
            (v["type"].as_str(), v["id"].as_str()),
            (Some(ty), Some(id)),
            "{q}"
        );
    }
    // Software lists the groups using it, a mitigation the techniques it applies to, a
    // detection strategy the techniques it detects, all by name and id.
    let ryuk = show("Ryuk");
    assert!(ryuk["groups"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!({"id": "G0102", "name": "Wizard Spider"})));
    let backup = show("M1053");
    assert!(backup["techniques"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!({"id": "T1490", "name": "Inhibit System Recovery"})));
    assert!(show("DET0001")["techniques"][0]["name"].as_str().is_some());
    // A group's software by name and id; descriptions whole in JSON (Wizard Spider's ends
    // with "hospitals.", past the old 400-character cut for longer ones).
    let ws = show("Wizard Spider");
    assert!(ws["software"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!({"id": "S0446", "name": "Ryuk"})));
    let fin7 = show("FIN7");
    let d = fin7["description"].as_str().unwrap();
    assert!(d.chars().count() > 400 && !d.ends_with('…'), "{d}");
    let text = stdout(&threatc(&["attack", "show", "Wizard Spider"], &root()));
    assert!(text.contains("Ryuk (S0446)"), "{text}");
    assert!(
        text.contains("ranging from major corporations to hospitals."),
        "{text}"
    );
}

#[test]
fn show_suggests_entries_of_every_kind_and_lists_shared_names() {
    let o = threatc(&["attack", "show", "Ryk"], &root());
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(err.contains("unknown-entry"), "{err}");
    assert!(
        err.contains("did you mean `Ryuk` (software S0446)"),
        "{err}"
    );
    let o = threatc(&["attack", "show", "Data Encryptd for Impact"], &root());
    assert!(
        stderr(&o).contains("`Data Encrypted for Impact` (technique T1486)"),
        "{}",
        stderr(&o)
    );
    let o = threatc(&["attack", "show", "Local Account"], &root());
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("T1087.001") && err.contains("T1136.001"),
        "{err}"
    );
    assert!(err.contains("give the id"), "{err}");
}

/// ATT&CK for ICS assets are entries too: by id, name, abbreviation or a related asset's
/// name, with the techniques that target them; a technique lists its asset types (#13, point 8).
#[test]
fn show_finds_ics_assets_and_the_techniques_targeting_them() {
    let show = |q: &str| {
        let o = threatc(
            &["attack", "show", q, "--domain", "ics", "--format", "json"],
            &root(),
        );
        assert_eq!(o.status.code(), Some(0), "{q}: {}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let sis = show("A0010");
    assert_eq!(sis["type"], "asset");
    assert_eq!(sis["name"], "Safety Controller");
    assert_eq!(sis["techniques"].as_array().map(Vec::len), Some(47));
    assert_eq!(sis["techniques"][0]["id"], "T0800");
    assert_eq!(show("Engineering Workstation")["id"], "A0001");
    assert_eq!(show("hmi")["id"], "A0002");
    let t = show("T0800");
    let types: Vec<&str> = t["asset_types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert!(
        types.contains(&"A0010") && !types.contains(&"A0001"),
        "{types:?}"
    );
    let o = threatc(
        &["attack", "show", "Safety Controler", "--domain", "ics"],
        &root(),
    );
    assert!(
        stderr(&o).contains("`Safety Controller` (asset A0010)"),
        "{}",
        stderr(&o)
    );
}

/// Group search compares whole, stemmed words (#17, point 5).
#[test]
fn group_search_matches_whole_stemmed_words() {
    let ids = |words: &[&str]| -> Vec<String> {
        let mut args = vec!["attack", "groups", "--format", "json", "--search"];
        args.extend_from_slice(words);
        let o = threatc(&args, &root());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_string())
            .collect()
    };
    let hospital = ids(&["hospital"]);
    // Wizard Spider's description says "hospitals"; FIN6's only "hospitality".
    assert!(hospital.contains(&"G0102".to_string()), "{hospital:?}");
    assert!(!hospital.contains(&"G0037".to_string()), "{hospital:?}");
    assert!(ids(&["hospitality"]).contains(&"G0037".to_string()));
    assert_eq!(ids(&["healthcare"]), hospital);
    assert_eq!(ids(&["health", "care"]), hospital);
    assert_eq!(ids(&["hospitals"]), hospital);
    // The init search is the same matcher.
    let tmp = tempfile::tempdir().unwrap();
    let o = threatc(&["init", "h", "--search", "healthcare"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let model = std::fs::read_to_string(tmp.path().join("h/model.yaml")).unwrap();
    assert!(model.contains("G0102"), "{model}");
}

#[test]
fn a_commands_own_options_come_before_the_global_ones() {
    // `schema --help` listed --allow-outside-root among its own options (#17).
    let o = threatc(&["schema", "--help"], &root());
    let help = stdout(&o);
    let own = help.find("Options:").unwrap();
    let global = help.find("Global options:").unwrap();
    let outside = help.find("--allow-outside-root").unwrap();
    assert!(own < global && global < outside, "{help}");
}
