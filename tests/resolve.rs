//! The resolve stage in-process: small models written into a temporary repository,
//! resolved against the embedded catalog, with assertions on the typed result.

mod common;

use common::{codes, InlineModel};
use threatc::resolve::{ActorKind, Criticality, Provenance, RuleSource, RuleStatus};

const MODEL: &str = r#"threatc: 1
model:
  name: tiny
  assessed: 2026-01-15
attack:
  domain: enterprise
assets:
  - id: laptops
    platforms: [windows, macOS]
    criticality: high
  - id: web
    platforms: [Linux]
actors:
  - group: FIN7
  - id: insider
    name: Insider
    weight: 2
    techniques: [T1059.001, T1566.001, T1003.001]
    remove: [T1003.001]
rules:
  - id: edr-ps
    name: PowerShell
    techniques: [T1059.001, T1059.001]
    assets: [laptops]
  - id: mail
    techniques: [T1566.001]
    status: testing
targets:
  - id: insider-half
    actors: [Insider]
    coverage: 50%
    by: 2026-06-30
"#;

#[test]
fn a_group_actor_resolves_to_its_attack_techniques() {
    let mut m = InlineModel::new(&[("model.yaml", MODEL)]);
    let r = m.resolved();
    let fin7 = r
        .actors
        .iter()
        .find(|a| a.id == "fin7")
        .expect("FIN7 gets the slug fin7");
    let ActorKind::Group {
        group_id,
        group_name,
        ..
    } = &fin7.kind
    else {
        panic!("FIN7 is a group actor");
    };
    assert_eq!((group_id.as_str(), group_name.as_str()), ("G0046", "FIN7"));
    assert_eq!(fin7.weight, 1.0);
    assert!(!fin7.software);
    let group = InlineModel::catalog().group("G0046").unwrap();
    let want: Vec<&str> = group
        .techniques
        .iter()
        .map(|u| u.technique.as_str())
        .collect();
    let got: Vec<&str> = fin7.techniques.keys().map(String::as_str).collect();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    want_sorted.dedup();
    assert_eq!(
        got, want_sorted,
        "the group's own and its campaigns' techniques"
    );
    assert!(fin7
        .techniques
        .values()
        .all(|p| p.iter().all(|p| !matches!(p, Provenance::Local))));
}

#[test]
fn a_custom_actor_resolves_to_its_listed_techniques_after_remove() {
    let mut m = InlineModel::new(&[("model.yaml", MODEL)]);
    let r = m.resolved();
    let insider = r.actors.iter().find(|a| a.id == "insider").unwrap();
    assert!(matches!(insider.kind, ActorKind::Custom));
    assert_eq!(insider.name, "Insider");
    assert_eq!(insider.weight, 2.0);
    let ids: Vec<&str> = insider.techniques.keys().map(String::as_str).collect();
    assert_eq!(ids, ["T1059.001", "T1566.001"], "T1003.001 removed");
    assert_eq!(insider.techniques["T1059.001"], vec![Provenance::Local]);
}

#[test]
fn assets_get_canonical_platforms_and_their_criticality() {
    let mut m = InlineModel::new(&[("model.yaml", MODEL)]);
    let r = m.resolved();
    let laptops = &r.assets[0];
    assert_eq!(laptops.id, "laptops");
    assert_eq!(laptops.platforms, ["Windows", "macOS"]);
    assert_eq!(laptops.criticality, Criticality::High);
    assert_eq!(r.assets[1].platforms, ["Linux"]);
    assert_eq!(r.assets[1].criticality, Criticality::Medium, "the default");
}

#[test]
fn rules_are_mapped_deduplicated_and_sorted() {
    let mut m = InlineModel::new(&[("model.yaml", MODEL)]);
    let r = m.resolved();
    let ids: Vec<&str> = r.rules.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["edr-ps", "mail"]);
    let ps = &r.rules[0];
    assert_eq!(ps.techniques, ["T1059.001"]);
    assert_eq!(ps.status, RuleStatus::Production);
    assert_eq!(ps.assets, ["laptops"]);
    assert!(matches!(&ps.source, RuleSource::Inline { file, line: 21 } if file == "model.yaml"));
    assert_eq!(r.rules[1].status, RuleStatus::Testing);
    assert_eq!(r.rules[1].name, "mail", "the id when no name");
    assert_eq!(
        r.coverage.count.iter().collect::<Vec<_>>(),
        [&RuleStatus::Production]
    );
}

#[test]
fn a_target_names_actors_by_name_and_parses_its_share() {
    let mut m = InlineModel::new(&[("model.yaml", MODEL)]);
    let r = m.resolved();
    let t = &r.targets[0];
    assert_eq!(t.id, "insider-half");
    assert_eq!(t.actors, ["insider"]);
    assert!(!t.all_actors);
    assert_eq!(t.share, 0.5);
    assert_eq!(t.by.map(|d| d.to_string()).as_deref(), Some("2026-06-30"));
    assert_eq!(
        r.meta.assessed.map(|d| d.to_string()).as_deref(),
        Some("2026-01-15")
    );
}

#[test]
fn imports_run_inside_resolve() {
    let csv =
        "id,name,techniques,status\nc1,Rule one,T1059.001,production\nc2,Rule two,T1486,testing\n";
    let model = MODEL.replace(
        "targets:",
        "  - import: csv\n    path: rules/*.csv\ntargets:",
    );
    let mut m = InlineModel::new(&[("model.yaml", &model), ("rules/a.csv", csv)]);
    let r = m.resolved();
    assert_eq!(r.imports.len(), 1);
    assert_eq!((r.imports[0].files, r.imports[0].rules), (1, 2));
    let c2 = r
        .rules
        .iter()
        .find(|x| x.id == "c2")
        .expect("imported rule");
    assert_eq!(c2.techniques, ["T1486"]);
    assert_eq!(c2.status, RuleStatus::Testing);
    assert!(matches!(&c2.source, RuleSource::Imported { format, .. } if format == "csv"));
}

#[test]
fn errors_are_all_collected_in_model_order() {
    let bad = r#"threatc: 1
model:
  name: bad
assets:
  - id: a
    platforms: [Windwos]
actors:
  - group: NoSuchGroupAnywhere
  - id: x
    techniques: [T9999, t1059]
rules:
  - id: r
    techniques: [T1059]
    assets: [b]
targets:
  - id: t
    actors: [y]
    coverage: 120%
"#;
    let mut m = InlineModel::new(&[("model.yaml", bad)]);
    let errs = m.resolve().expect_err("the model is invalid");
    assert_eq!(
        codes(&errs),
        [
            "unknown-platform",
            "unknown-group",
            "unknown-technique",
            "bad-technique-id",
            "undefined-asset",
            "undefined-actor",
            "invalid-coverage",
        ]
    );
    let platform = errs.iter().next().unwrap();
    assert_eq!(
        platform
            .help
            .as_deref()
            .map(|h| h.starts_with("did you mean `Windows`?")),
        Some(true)
    );
}
