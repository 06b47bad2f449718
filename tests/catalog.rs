//! The ATT&CK catalog against the real v18.1 bundles in `../shared/attack`.
//!
//! Tests that need `../shared/attack` skip with a message when it is absent, and fail instead
//! when `THREATC_REQUIRE_SHARED=1` (as CI sets it).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use threatc::catalog::{self, CatalogError, Domain, GroupLookup, UseSource};

/// `../shared/attack` if present; otherwise skips (returns `None`) or, under
/// `THREATC_REQUIRE_SHARED=1`, fails.
fn shared_attack() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/attack");
    if dir.join("enterprise-attack-18.1.json").is_file() {
        return Some(dir);
    }
    if std::env::var("THREATC_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!(
            "THREATC_REQUIRE_SHARED=1 but {} holds no ATT&CK bundles",
            dir.display()
        );
    }
    eprintln!(
        "skipping: {} is absent (set THREATC_REQUIRE_SHARED=1 to make this a failure)",
        dir.display()
    );
    None
}

macro_rules! require_shared {
    () => {
        match shared_attack() {
            Some(dir) => dir,
            None => return,
        }
    };
}

fn enterprise() -> &'static catalog::Catalog {
    catalog::embedded(Domain::Enterprise).expect("embedded enterprise catalog decodes")
}

/// The raw Enterprise v18.1 bundle as `serde_json::Value`, parsed once.
fn raw_enterprise(dir: &Path) -> &'static Value {
    static RAW: OnceLock<Value> = OnceLock::new();
    RAW.get_or_init(|| {
        let bytes = std::fs::read(dir.join("enterprise-attack-18.1.json")).expect("read bundle");
        serde_json::from_slice(&bytes).expect("bundle is JSON")
    })
}

// ---------------------------------------------------------------------------------------------
// Drift and round trip

#[test]
fn embedded_catalogs_match_the_bundles() {
    let dir = require_shared!();
    let out = tempfile::tempdir().expect("tempdir");
    let written = catalog::build_embedded(&dir, out.path()).expect("build catalogs");
    assert_eq!(written.len(), 3);
    for domain in Domain::all() {
        let name = catalog::embedded_file_name(domain, catalog::EMBEDDED_RELEASE);
        let fresh = std::fs::read(out.path().join(&name)).expect("fresh file");
        let committed = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("data/catalog")
                .join(&name),
        )
        .expect("committed file");
        assert!(
            fresh == committed,
            "data/catalog/{name} is stale; regenerate with \
             `cargo run --release --features maintainer --bin build-catalog -- ../shared/attack`"
        );
    }
}

#[test]
fn encoding_round_trips_byte_for_byte() {
    for domain in Domain::all() {
        let c = catalog::embedded(domain).expect("decodes");
        assert_eq!(c.domain, domain);
        assert_eq!(c.release, catalog::EMBEDDED_RELEASE);
        let again = catalog::decode(Box::leak(catalog::encode(c).into_boxed_slice()))
            .expect("decodes again");
        assert_eq!(catalog::encode(&again), catalog::encode(c));
    }
}

#[test]
fn decode_rejects_garbage() {
    for bytes in [
        &b""[..],
        b"TCAT",
        b"TCAT\x01\xff\xff",
        b"{\"type\":\"bundle\"}",
    ] {
        assert!(matches!(
            catalog::decode(bytes),
            Err(CatalogError::Decode { .. })
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Group semantics, computed independently from the raw bundle

fn is_active(o: &Value) -> bool {
    !o["revoked"].as_bool().unwrap_or(false) && !o["x_mitre_deprecated"].as_bool().unwrap_or(false)
}

fn attack_id(o: &Value) -> Option<String> {
    o["external_references"].as_array()?.iter().find_map(|r| {
        let source = r["source_name"].as_str()?;
        if ["mitre-attack", "mitre-mobile-attack", "mitre-ics-attack"].contains(&source) {
            r["external_id"].as_str().map(str::to_string)
        } else {
            None
        }
    })
}

#[test]
fn every_group_matches_mitre_semantics() {
    let dir = require_shared!();
    let raw = raw_enterprise(&dir);
    let objects = raw["objects"].as_array().expect("objects");
    let by_id: HashMap<&str, &Value> = objects
        .iter()
        .filter_map(|o| Some((o["id"].as_str()?, o)))
        .collect();
    // Active relationships: (type, source, target) with an active target object.
    let mut out_edges: HashMap<&str, Vec<(&str, &Value)>> = HashMap::new();
    for r in objects
        .iter()
        .filter(|o| o["type"] == "relationship" && is_active(o))
    {
        let (Some(kind), Some(src), Some(dst)) = (
            r["relationship_type"].as_str(),
            r["source_ref"].as_str(),
            r["target_ref"].as_str(),
        ) else {
            continue;
        };
        if let Some(target) = by_id.get(dst).filter(|t| is_active(t)) {
            out_edges.entry(src).or_default().push((kind, target));
        }
    }
    let edges = |src: &str, kind: &str, types: &[&str]| -> Vec<&Value> {
        out_edges
            .get(src)
            .into_iter()
            .flatten()
            .filter(|(k, t)| *k == kind && t["type"].as_str().is_some_and(|ty| types.contains(&ty)))
            .map(|(_, t)| *t)
            .collect()
    };
    // Campaigns attributed to each group.
    let mut campaigns_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for c in objects
        .iter()
        .filter(|o| o["type"] == "campaign" && is_active(o))
    {
        let cid = c["id"].as_str().expect("campaign id");
        for g in edges(cid, "attributed-to", &["intrusion-set"]) {
            campaigns_of
                .entry(g["id"].as_str().expect("id"))
                .or_default()
                .push(cid);
        }
    }
    let ids =
        |v: Vec<&Value>| -> BTreeSet<String> { v.into_iter().filter_map(attack_id).collect() };

    let cat = enterprise();
    let mut checked = 0;
    for g in objects
        .iter()
        .filter(|o| o["type"] == "intrusion-set" && is_active(o))
    {
        let gid = g["id"].as_str().expect("id");
        let attack = attack_id(g).expect("group id");
        let actors: Vec<&str> = std::iter::once(gid)
            .chain(campaigns_of.get(gid).into_iter().flatten().copied())
            .collect();
        let mut techniques = BTreeSet::new();
        let mut software = Vec::new();
        for a in &actors {
            techniques.extend(ids(edges(a, "uses", &["attack-pattern"])));
            software.extend(edges(a, "uses", &["malware", "tool"]));
        }
        let mut software_techniques = BTreeSet::new();
        for s in &software {
            software_techniques.extend(ids(edges(
                s["id"].as_str().expect("id"),
                "uses",
                &["attack-pattern"],
            )));
        }
        let software_ids = ids(software);

        let group = cat
            .group(&attack)
            .unwrap_or_else(|| panic!("{attack} missing"));
        let got: BTreeSet<String> = group
            .techniques
            .iter()
            .map(|u| u.technique.to_string())
            .collect();
        assert_eq!(got, techniques, "techniques of {attack} {}", group.name);
        let got: BTreeSet<String> = group
            .software_techniques
            .iter()
            .map(|u| u.technique.to_string())
            .collect();
        assert_eq!(got, software_techniques, "software techniques of {attack}");
        let got: BTreeSet<String> = group.software.iter().map(|s| s.to_string()).collect();
        assert_eq!(got, software_ids, "software of {attack}");
        checked += 1;
    }
    assert_eq!(checked, 172);
    assert_eq!(cat.groups.len(), 172);
}

// ---------------------------------------------------------------------------------------------
// Spot checks with real values

#[test]
fn enterprise_counts_and_tactics() {
    let c = enterprise();
    let active: Vec<_> = c.active_techniques().collect();
    assert_eq!(active.iter().filter(|t| !t.is_subtechnique()).count(), 216);
    assert_eq!(active.iter().filter(|t| t.is_subtechnique()).count(), 475);
    assert_eq!(
        c.techniques.len(),
        835,
        "revoked and deprecated techniques are kept"
    );
    assert_eq!(c.groups.len(), 172);
    assert_eq!(c.software.len(), 784);
    assert_eq!(c.campaigns.len(), 52);
    assert_eq!(c.mitigations.len(), 44);
    assert_eq!(c.detection_strategies.len(), 691);
    assert_eq!(c.analytics.len(), 1739);
    assert_eq!(c.data_components.len(), 106);
    let tactics: Vec<&str> = c.tactics.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        tactics,
        [
            "TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005", "TA0006",
            "TA0007", "TA0008", "TA0009", "TA0011", "TA0010", "TA0040"
        ]
    );
    assert_eq!(
        c.tactics.first().map(|t| t.name.as_str()),
        Some("Reconnaissance")
    );
    assert_eq!(c.tactics.last().map(|t| t.name.as_str()), Some("Impact"));
    assert_eq!(
        c.tactic("initial-access").map(|t| t.id.as_str()),
        Some("TA0001")
    );
    assert_eq!(
        c.tactic("ta0040").map(|t| t.shortname.as_str()),
        Some("impact")
    );
    // Sorted by id, sub-techniques right after their parent.
    assert!(c.techniques.windows(2).all(|w| w[0].id < w[1].id));
    let i = c
        .techniques
        .iter()
        .position(|t| t.id == "T1003")
        .expect("T1003");
    assert_eq!(c.techniques[i + 1].id, "T1003.001");
    assert_eq!(
        c.platforms,
        [
            "Containers",
            "ESXi",
            "IaaS",
            "Identity Provider",
            "Linux",
            "Network Devices",
            "Office Suite",
            "PRE",
            "SaaS",
            "Windows",
            "macOS"
        ]
    );
    assert_eq!(c.is_platform("windows"), Some("Windows"));
    assert_eq!(c.is_platform("MACOS"), Some("macOS"));
    assert_eq!(
        c.is_platform("Office 365"),
        None,
        "only active techniques' platforms"
    );
}

#[test]
fn technique_details() {
    let c = enterprise();
    let t = c.technique("t1003.001").expect("case-insensitive id");
    assert_eq!(t.name, "LSASS Memory");
    assert_eq!(t.parent.as_deref(), Some("T1003"));
    assert_eq!(t.tactics, ["credential-access"]);
    assert!(t.platforms.iter().any(|p| p == "Windows"));
    let subs: Vec<&str> = c
        .subtechniques("T1003")
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert!(
        subs.len() >= 8 && subs.iter().all(|s| s.starts_with("T1003.")),
        "{subs:?}"
    );
    // Several tactics, in matrix order.
    let valid = c.technique("T1078").expect("Valid Accounts");
    assert_eq!(
        valid.tactics,
        [
            "initial-access",
            "persistence",
            "privilege-escalation",
            "defense-evasion"
        ]
    );
    // Mitigations are active M ids with text.
    assert!(!valid.mitigations.is_empty());
    assert!(valid
        .mitigations
        .iter()
        .all(|m| m.id.starts_with('M') && c.mitigation(&m.id).is_some()));
    assert!(c.group_prevalence("T1059.001") > 20);
    assert_eq!(c.group_prevalence("T9999"), 0);
    assert_eq!(
        c.nearest_techniques("T1003.01", 3)
            .first()
            .map(|t| t.id.as_str()),
        Some("T1003.001")
    );
    assert_eq!(
        c.nearest_techniques("lsass memory", 1)
            .first()
            .map(|t| t.id.as_str()),
        Some("T1003.001")
    );
}

#[test]
fn revoked_techniques_name_their_final_replacement() {
    let c = enterprise();
    let t = c.technique("T1066").expect("revoked technique kept");
    assert!(t.revoked && !t.is_active());
    assert_eq!(t.revoked_by.as_deref(), Some("T1027.005"));
    // T1150 → T1547.011 → T1647: the chain is followed to its end.
    assert_eq!(
        c.technique("T1150").and_then(|t| t.revoked_by.as_deref()),
        Some("T1647")
    );
    assert!(c.active_techniques().all(|t| t.revoked_by.is_none()));
}

#[test]
fn detection_chain_for_smb_admin_shares() {
    let c = enterprise();
    let t = c.technique("T1021.002").expect("SMB/Windows Admin Shares");
    assert_eq!(t.detection_strategies, ["DET0530"]);
    let det = c.detection_strategy("DET0530").expect("strategy");
    assert!(det.techniques.iter().any(|x| x == "T1021.002"));
    let an = c.analytic("AN1468").expect("analytic");
    assert!(det.analytics.iter().any(|a| a == "AN1468"));
    assert_eq!(an.platforms, ["Windows"]);
    let security = an
        .log_sources
        .iter()
        .find(|l| l.name == "WinEventLog:Security")
        .expect("security log");
    assert_eq!(security.channel, "EventCode=4624, 4648");
    assert_eq!(security.data_component, "DC0067");
    assert!(c.data_component("DC0067").is_some());
    // Every analytic reference and data component reference resolves.
    for d in &c.detection_strategies {
        assert!(
            d.analytics.iter().all(|a| c.analytic(a).is_some()),
            "{}",
            d.id
        );
    }
    for a in &c.analytics {
        assert!(
            a.log_sources
                .iter()
                .all(|l| c.data_component(&l.data_component).is_some()),
            "{}",
            a.id
        );
    }
}

#[test]
fn groups_by_name_alias_and_old_id() {
    let c = enterprise();
    let fin7 = match c.find_group("fin7") {
        Some(GroupLookup::Active(g)) => g,
        other => panic!("FIN7: {other:?}"),
    };
    assert_eq!(fin7.id, "G0046");
    assert!(fin7.aliases.iter().any(|a| a == "Carbon Spider"));
    assert!(
        !fin7.aliases.iter().any(|a| a == "FIN7"),
        "the name is not an alias"
    );
    assert!(!fin7.description.contains("(Citation:"));
    assert!(!fin7.description.contains("](http"));
    // In v18.1 Carbanak is its own group (G0008, alias Anunak), not an alias of FIN7.
    assert!(!fin7.aliases.iter().any(|a| a == "Carbanak"));
    match c.find_group("CARBANAK") {
        Some(GroupLookup::Active(g)) => {
            assert_eq!(g.id, "G0008");
            assert_eq!(g.aliases, ["Anunak"]);
        }
        other => panic!("Carbanak: {other:?}"),
    }
    assert!(
        matches!(c.find_group("Carbon Spider"), Some(GroupLookup::Active(g)) if g.id == "G0046")
    );
    // A revoked group id names its replacement; a deprecated one says so.
    match c.find_group("G0057") {
        Some(GroupLookup::Replaced { retired, by }) => {
            assert_eq!(retired.name, "APT34");
            assert_eq!(by.id, "G0049");
        }
        other => panic!("G0057: {other:?}"),
    }
    assert!(
        matches!(c.find_group("g0014"), Some(GroupLookup::Retired(r)) if r.name == "Night Dragon")
    );
    assert!(c.group("G0057").is_none());
    assert!(c.find_group("no such group").is_none());
    assert_eq!(
        c.nearest_groups("FIN 7", 3).first().map(|g| g.id.as_str()),
        Some("G0046")
    );
    assert_eq!(
        c.nearest_groups("Lazarus Grp", 1)
            .first()
            .map(|g| g.id.as_str()),
        Some("G0032")
    );
    let hits = c.search_groups(&["carbanak"]);
    assert_eq!(hits.first().map(|(g, _)| g.id.as_str()), Some("G0008"));
    let korea: Vec<&str> = c
        .search_groups(&["NORTH", "korea"])
        .iter()
        .map(|(g, _)| g.id.as_str())
        .collect();
    assert!(korea.contains(&"G0032"), "{korea:?}");
    assert!(c.search_groups(&["carbanak", "no-such-word"]).is_empty());
}

#[test]
fn group_evidence_kinds() {
    let c = enterprise();
    // Lazarus Group has Operation Dream Job (C0022) attributed.
    let lazarus = c.group("G0032").expect("Lazarus");
    assert!(lazarus.campaigns.iter().any(|x| x == "C0022"));
    assert!(lazarus.techniques.iter().any(|u| u
        .sources
        .iter()
        .any(|s| matches!(s, UseSource::Campaign { id, .. } if id == "C0022"))));
    assert!(lazarus.techniques.iter().all(|u| !u.sources.is_empty()));
    for u in lazarus.techniques.iter().flat_map(|u| &u.sources) {
        if let UseSource::Direct { procedure } | UseSource::Campaign { procedure, .. } = u {
            assert!(procedure.chars().count() <= 240);
            assert!(!procedure.contains("(Citation:"));
        }
    }
    assert!(lazarus
        .software_techniques
        .iter()
        .flat_map(|u| &u.sources)
        .all(|s| matches!(s, UseSource::Software { id } if c.software(id).is_some())));
    let campaign = c.campaign("C0022").expect("campaign");
    assert_eq!(campaign.groups, ["G0032"]);
    // JSON keeps the internally tagged shape.
    let json = serde_json::to_value(&lazarus.techniques[0].sources[0]).expect("json");
    assert!(json["kind"].is_string(), "{json}");
}

#[test]
fn mobile_and_ics_load() {
    let m = catalog::embedded(Domain::Mobile).expect("mobile");
    assert_eq!(m.domain, Domain::Mobile);
    let active: Vec<&str> = m.active_tactics().map(|t| t.id.as_str()).collect();
    assert_eq!(active.first(), Some(&"TA0027"));
    assert_eq!(active.len(), 12);
    // Deprecated tactics of the deprecated second matrix come last, flagged.
    assert!(m.tactics.iter().skip(12).all(|t| t.deprecated));
    assert!(m.platforms.iter().any(|p| p == "Android"));
    assert!(m.technique("T1406").is_some());

    let i = catalog::embedded(Domain::Ics).expect("ics");
    assert_eq!(i.domain, Domain::Ics);
    assert_eq!(i.tactics.len(), 12);
    assert_eq!(i.tactics.first().map(|t| t.id.as_str()), Some("TA0108"));
    let det = i.detection_strategy("DET0748").expect("DET0748");
    assert!(det.analytics.is_empty(), "DET0748 has no analytic refs");
    assert!(!i.groups.is_empty());
}

#[test]
fn truncated_and_mistyped_bundles_are_errors() {
    let dir = require_shared!();
    let bytes = std::fs::read(dir.join("ics-attack-18.1.json")).expect("read");
    // The file ends with a newline: cut into the closing brackets.
    for cut in [1, 100, bytes.len() / 2, bytes.len() - 3] {
        let err = catalog::read_bundle(bytes.get(..cut).unwrap_or_default(), Some("18.1"));
        assert!(
            matches!(err, Err(CatalogError::NotJson { .. })),
            "cut at {cut}"
        );
    }
    let mistyped =
        br#"{"type":"bundle","objects":[{"type":"attack-pattern","id":"x","revoked":"yes"}]}"#;
    assert!(matches!(
        catalog::read_bundle(mistyped, Some("1")),
        Err(CatalogError::NotABundle { .. })
    ));
}

#[test]
fn older_release_loads_from_file() {
    let dir = require_shared!();
    let path = dir.join("enterprise-attack-15.1.json");
    let c = catalog::load_bundle_file(&path, Some("15.1")).expect("v15.1 loads");
    assert_eq!(c.domain, Domain::Enterprise);
    assert_eq!(c.release, "15.1");
    assert!(
        c.detection_strategies.is_empty(),
        "no detection strategies before v18"
    );
    assert!(c.technique("T1003.001").is_some_and(|t| t.is_active()));
    // Without an argument, the file name says the release.
    let c = catalog::load_bundle_file(&path, None).expect("release from file name");
    assert_eq!(c.release, "15.1");
}

#[test]
fn json_that_is_not_a_bundle_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("obj.json", "{\"hello\": 1}"),
        ("arr.json", "[1, 2, 3]"),
        ("str.json", "\"bundle\""),
        ("bad-objects.json", "{\"type\":\"bundle\",\"objects\":[1]}"),
        ("nested.json", "{\"type\":\"bundle\",\"objects\":{\"a\":1}}"),
    ];
    for (name, text) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let err = catalog::load_bundle_file(&path, Some("18.1")).expect_err(name);
        assert!(
            matches!(err, CatalogError::NotABundle { .. }),
            "{name}: {err}"
        );
        assert!(
            err.to_string().starts_with("not an ATT&CK STIX bundle"),
            "{err}"
        );
    }
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\n  \"type\": \"bundle\",\n  \"objects\": [,]\n}").expect("write");
    match catalog::load_bundle_file(&path, Some("18.1")) {
        Err(CatalogError::NotJson { line, column, .. }) => assert_eq!((line, column), (3, 15)),
        other => panic!("{other:?}"),
    }
    let err = catalog::load_bundle_file(&dir.path().join("missing.json"), None).expect_err("io");
    // Read through the confined opener: a missing file is refused before any open.
    assert!(matches!(
        err,
        CatalogError::Refused {
            refusal: threatc::fsio::Refusal::NotFound,
            ..
        }
    ));
}

fn ext(id: &str) -> Value {
    serde_json::json!([{ "source_name": "mitre-attack", "external_id": id }])
}

fn small_bundle_21(with_collection: bool) -> Vec<u8> {
    let mut objects = vec![
        serde_json::json!({"type": "x-mitre-matrix", "spec_version": "2.1", "id": "x-mitre-matrix--1",
            "name": "Enterprise ATT&CK", "external_references": ext("enterprise-attack"),
            "tactic_refs": ["x-mitre-tactic--b", "x-mitre-tactic--a"]}),
        serde_json::json!({"type": "x-mitre-tactic", "spec_version": "2.1", "id": "x-mitre-tactic--a",
            "name": "Execution", "x_mitre_shortname": "execution", "external_references": ext("TA0002")}),
        serde_json::json!({"type": "x-mitre-tactic", "spec_version": "2.1", "id": "x-mitre-tactic--b",
            "name": "Initial Access", "x_mitre_shortname": "initial-access", "external_references": ext("TA0001")}),
        serde_json::json!({"type": "attack-pattern", "spec_version": "2.1", "id": "attack-pattern--1",
            "name": "Command and Scripting Interpreter", "external_references": ext("T1059"),
            "x_mitre_platforms": ["Linux", "Windows"],
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"},
                                  {"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}]}),
        serde_json::json!({"type": "attack-pattern", "spec_version": "2.1", "id": "attack-pattern--2",
            "name": "PowerShell", "external_references": ext("T1059.001"), "x_mitre_is_subtechnique": true,
            "x_mitre_platforms": ["Windows"],
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}]}),
        serde_json::json!({"type": "attack-pattern", "spec_version": "2.1", "id": "attack-pattern--3",
            "name": "Old", "external_references": ext("T1086"), "revoked": true}),
        serde_json::json!({"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--1",
            "name": "Test Group", "aliases": ["Test Group", "TG"], "external_references": ext("G9000"),
            "description": "A [group](https://example.org) that tests.(Citation: Test)\n\nMore."}),
        serde_json::json!({"type": "campaign", "spec_version": "2.1", "id": "campaign--1",
            "name": "Test Campaign", "external_references": ext("C9000"), "first_seen": "2024-01-01T00:00:00.000Z"}),
        serde_json::json!({"type": "tool", "spec_version": "2.1", "id": "tool--1",
            "name": "Tooly", "x_mitre_aliases": ["Tooly"], "external_references": ext("S9000")}),
        serde_json::json!({"type": "relationship", "spec_version": "2.1", "id": "relationship--1",
            "relationship_type": "uses", "source_ref": "intrusion-set--1", "target_ref": "attack-pattern--2",
            "description": "[Test Group](https://x) used PowerShell.(Citation: Test)"}),
        serde_json::json!({"type": "relationship", "spec_version": "2.1", "id": "relationship--2",
            "relationship_type": "attributed-to", "source_ref": "campaign--1", "target_ref": "intrusion-set--1"}),
        serde_json::json!({"type": "relationship", "spec_version": "2.1", "id": "relationship--3",
            "relationship_type": "uses", "source_ref": "campaign--1", "target_ref": "tool--1"}),
        serde_json::json!({"type": "relationship", "spec_version": "2.1", "id": "relationship--4",
            "relationship_type": "uses", "source_ref": "tool--1", "target_ref": "attack-pattern--1"}),
        serde_json::json!({"type": "relationship", "spec_version": "2.1", "id": "relationship--5",
            "relationship_type": "revoked-by", "source_ref": "attack-pattern--3", "target_ref": "attack-pattern--2"}),
        serde_json::json!({"type": "relationship", "spec_version": "2.1", "id": "relationship--6",
            "relationship_type": "uses", "source_ref": "intrusion-set--1", "target_ref": "attack-pattern--3",
            "description": "uses a revoked technique: left out"}),
    ];
    if with_collection {
        objects.push(
            serde_json::json!({"type": "x-mitre-collection", "spec_version": "2.1",
            "id": "x-mitre-collection--1", "name": "Enterprise ATT&CK", "x_mitre_version": "19.0"}),
        );
    }
    serde_json::to_vec(
        &serde_json::json!({"type": "bundle", "id": "bundle--1", "objects": objects}),
    )
    .expect("json")
}

#[test]
fn stix_21_bundle_with_collection() {
    let c = catalog::read_bundle(&small_bundle_21(true), None).expect("2.1 bundle reads");
    assert_eq!(c.release, "19.0");
    assert_eq!(c.domain, Domain::Enterprise);
    let tactics: Vec<&str> = c.tactics.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(tactics, ["TA0001", "TA0002"], "matrix order, not id order");
    assert_eq!(
        c.technique("T1059")
            .map(|t| t.tactics.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        Some(vec!["initial-access".to_string(), "execution".to_string()])
    );
    assert_eq!(
        c.technique("T1086").and_then(|t| t.revoked_by.as_deref()),
        Some("T1059.001")
    );
    let g = c.group("G9000").expect("group");
    assert_eq!(g.aliases, ["TG"]);
    // Whole, paragraphs kept apart (`attack show` never cuts a description, #17).
    assert_eq!(g.description, "A group that tests.\n\nMore.");
    let techniques: Vec<&str> = g.techniques.iter().map(|u| u.technique.as_str()).collect();
    assert_eq!(
        techniques,
        ["T1059.001"],
        "no parent added, revoked left out"
    );
    assert_eq!(
        g.techniques[0].sources,
        [UseSource::Direct {
            procedure: ("Test Group used PowerShell.".to_string()).into()
        }]
    );
    assert_eq!(g.campaigns, ["C9000"]);
    assert_eq!(g.software, ["S9000"]);
    let via: Vec<&str> = g
        .software_techniques
        .iter()
        .map(|u| u.technique.as_str())
        .collect();
    assert_eq!(via, ["T1059"]);
    assert_eq!(c.software("S9000").map(|s| s.kind.as_str()), Some("tool"));
    assert!(c.software("S9000").is_some_and(|s| s.aliases.is_empty()));
    assert_eq!(c.platforms, ["Linux", "Windows"]);
    // An explicit release wins over the collection's.
    let c = catalog::read_bundle(&small_bundle_21(true), Some("19.1")).expect("reads");
    assert_eq!(c.release, "19.1");
    // Round trip through the compact form.
    let again =
        catalog::decode(Box::leak(catalog::encode(&c).into_boxed_slice())).expect("decodes");
    assert_eq!(again.groups, c.groups);
}

#[test]
fn release_must_be_known() {
    let err = catalog::read_bundle(&small_bundle_21(false), None).expect_err("no release");
    assert!(matches!(err, CatalogError::UnknownRelease));
    assert!(
        err.to_string().contains("18.1"),
        "the message shows how to name it: {err}"
    );
}

#[test]
fn domain_names() {
    for d in Domain::all() {
        assert_eq!(d.as_str().parse::<Domain>().ok(), Some(d));
        assert_eq!(d.stix_name().parse::<Domain>().ok(), Some(d));
        assert_eq!(d.to_string(), d.as_str());
    }
    assert!("pre".parse::<Domain>().is_err());
}

#[test]
fn ics_asset_types_and_targets_match_the_bundle() {
    let dir = require_shared!();
    let bytes = std::fs::read(dir.join("ics-attack-18.1.json")).expect("read");
    let raw: Value = serde_json::from_slice(&bytes).expect("json");
    let objects = raw["objects"].as_array().expect("objects");
    let active = |o: &Value| o["revoked"] != true && o["x_mitre_deprecated"] != true;
    let by_id: HashMap<&str, &Value> = objects
        .iter()
        .filter_map(|o| Some((o["id"].as_str()?, o)))
        .collect();
    let assets = objects
        .iter()
        .filter(|o| o["type"] == "x-mitre-asset" && active(o))
        .count();
    // Active targets relationships from an active technique to an active asset.
    let mut pairs = BTreeSet::new();
    for r in objects
        .iter()
        .filter(|o| o["relationship_type"] == "targets" && active(o))
    {
        let (Some(s), Some(t)) = (
            r["source_ref"].as_str().and_then(|s| by_id.get(s)),
            r["target_ref"].as_str().and_then(|t| by_id.get(t)),
        ) else {
            continue;
        };
        let (Some(sid), Some(tid)) = (attack_id(s), attack_id(t)) else {
            continue;
        };
        if s["type"] == "attack-pattern" && active(s) && t["type"] == "x-mitre-asset" && active(t) {
            pairs.insert((sid, tid));
        }
    }
    assert_eq!(assets, 18, "ATT&CK for ICS v18.1 has 18 assets");
    assert_eq!(pairs.len(), 685, "and 685 technique → asset targets");

    let i = catalog::embedded(Domain::Ics).expect("ics");
    assert_eq!(i.asset_types.len(), assets);
    let built: BTreeSet<(String, String)> = i
        .active_techniques()
        .flat_map(|t| {
            t.asset_types
                .iter()
                .map(|a| (t.id.to_string(), a.to_string()))
        })
        .collect();
    assert_eq!(built, pairs);
    // 71 of the 83 active techniques target some asset; the 12 others are Impact outcomes.
    let targeting = i.active_techniques().filter(|t| !t.asset_types.is_empty());
    assert_eq!(targeting.count(), 71);
    assert!(i
        .technique("T0880")
        .is_some_and(|t| t.asset_types.is_empty()));
    let sis = i.targeting("A0010");
    assert_eq!(sis.len(), 47);
    assert!(sis.iter().any(|t| t.id == "T0800"));
    let a = i.asset_type("a0010").expect("A0010");
    assert_eq!(a.name, "Safety Controller");
    assert_eq!(a.platforms, ["Embedded"]);
    assert!(a
        .related
        .iter()
        .any(|r| r.starts_with("Safety Instrumented System")));
}

#[test]
fn asset_types_are_found_by_id_name_abbreviation_and_related_name() {
    let i = catalog::embedded(Domain::Ics).expect("ics");
    let ids = |q: &str| -> Vec<String> {
        i.find_asset_types(q)
            .iter()
            .map(|a| a.id.to_string())
            .collect()
    };
    assert_eq!(ids("A0008"), ["A0008"]);
    assert_eq!(ids("Safety Controller"), ["A0010"]);
    assert_eq!(ids("safety instrumented system"), ["A0010"]);
    assert_eq!(ids("SIS"), ["A0010"]);
    assert_eq!(ids("Engineering  Workstation"), ["A0001"]);
    assert_eq!(ids("HMI"), ["A0002"]);
    assert_eq!(ids("DCS Controller"), ["A0017"]);
    assert_eq!(ids("SCADA server"), ["A0007"]);
    assert_eq!(ids("Human-Machine Interface"), ["A0002"]);
    // Its own name wins over other assets' related names.
    assert_eq!(ids("PLC"), ["A0003"]);
    assert_eq!(
        ids("Field Device / Controller"),
        ["A0003", "A0005", "A0017", "A0018"]
    );
    assert!(ids("Toaster").is_empty());
    assert_eq!(
        i.nearest_asset_type("Safety Controler")
            .map(|a| a.id.as_str()),
        Some("A0010")
    );
    let e = catalog::embedded(Domain::Enterprise).expect("enterprise");
    assert!(e.asset_types.is_empty());
    assert!(e.techniques.iter().all(|t| t.asset_types.is_empty()));
}
