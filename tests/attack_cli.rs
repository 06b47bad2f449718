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
