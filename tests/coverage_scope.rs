//! Coverage you can trust (issue 13): a rule counts on an asset only where it can see
//! (its platforms, or the assets it or its import names); a technique is covered when it
//! is covered on every asset it applies to; scope says what it drops.

mod common;

use common::{codes, InlineModel};

/// A Windows process-creation Sigma rule tagged `tag`.
fn sigma_windows(id: &str, title: &str, tag: &str, category: &str) -> String {
    format!(
        "title: {title}\nid: {id}\nstatus: stable\nlevel: high\nlogsource:\n  product: windows\n  category: {category}\ntags:\n  - attack.{tag}\ndetection:\n  sel:\n    Image|endswith: x.exe\n  condition: sel\n"
    )
}

fn row<'a>(a: &'a threatc::analysis::Analysis, id: &str) -> &'a threatc::analysis::TechniqueRow {
    a.techniques.iter().find(|r| r.id == id).unwrap()
}

fn asset<'a>(a: &'a threatc::analysis::Analysis, id: &str) -> &'a threatc::analysis::AssetCoverage {
    a.assets.iter().find(|x| x.id == id).unwrap()
}

const LINUX_MODEL: &str = r#"threatc: 1
model:
  name: scope
actors:
  - id: x
    techniques: [T1003, T1003.001]
assets:
  - id: workstations
    platforms: [Windows]
  - id: linux-servers
    platforms: [Linux]
  - id: swift
    platforms: [Windows, Linux]
    criticality: critical
rules:
  - import: sigma
    path: sigma
"#;

#[test]
fn a_windows_rule_does_not_cover_linux() {
    let mut m = InlineModel::new(&[
        ("model.yaml", LINUX_MODEL),
        (
            "sigma/dump.yml",
            &sigma_windows("r1", "Procdump", "t1003", "process_creation"),
        ),
        (
            "sigma/lsass.yml",
            &sigma_windows("r2", "LSASS access", "t1003.001", "process_access"),
        ),
    ]);
    let r = m.resolved();
    let rule = r.rules.iter().find(|x| x.id == "r1").unwrap();
    assert_eq!(rule.platforms, ["Windows"]);
    assert_eq!(rule.data_components, ["Process Creation"]);
    assert_eq!(rule.level.as_deref(), Some("high"));
    assert_eq!(rule.unscoped, None);
    let a = m.analysis();
    // T1003 (Linux, macOS, Windows): covered on the Windows assets, not on Linux.
    let t = row(&a, "T1003");
    assert!(!t.covered);
    assert_eq!(t.covered_on, ["workstations", "swift"]);
    assert_eq!(t.uncovered_on, ["linux-servers"]);
    let gap = a.gaps.iter().find(|g| g.technique == "T1003").unwrap();
    assert_eq!(gap.uncovered_on, ["linux-servers"]);
    assert!(gap.partial.iter().any(|p| p.id == "r1"));
    // T1003.001 (Windows only): the Windows rule covers it everywhere it applies.
    let t = row(&a, "T1003.001");
    assert!(t.covered);
    assert_eq!(t.assets, ["workstations", "swift"]);
    assert_eq!(asset(&a, "linux-servers").covered, 0);
    assert_eq!(asset(&a, "linux-servers").in_scope, 1);
    assert_eq!(asset(&a, "workstations").covered, 2);
    assert_eq!(a.summary.covered, 1);
    assert_eq!(a.summary.rules_unscoped, 0);
}

const ESXI_MODEL: &str = r#"threatc: 1
model:
  name: esxi
actors:
  - id: ransom
    techniques: [T1486]
assets:
  - id: esxi
    platforms: [ESXi]
    criticality: critical
rules:
  - import: sigma
    path: sigma
"#;

#[test]
fn a_bitlocker_rule_does_not_cover_esxi_and_a_real_esxi_rule_does() {
    let files = [
        ("model.yaml", ESXI_MODEL.to_string()),
        (
            "sigma/bitlocker.yml",
            sigma_windows(
                "bl",
                "Suspicious Reg Add BitLocker",
                "t1486",
                "process_creation",
            ),
        ),
    ];
    let as_refs = |fs: &[(&'static str, String)]| -> Vec<(&'static str, String)> { fs.to_vec() };
    let before_files = as_refs(&files);
    let mut before = InlineModel::new(
        &before_files
            .iter()
            .map(|(p, t)| (*p, t.as_str()))
            .collect::<Vec<_>>(),
    );
    let a = before.analysis();
    assert!(!row(&a, "T1486").covered);
    assert_eq!(row(&a, "T1486").uncovered_on, ["esxi"]);
    assert_eq!(asset(&a, "esxi").covered, 0);

    let esxi_rule = ESXI_MODEL.to_string()
        + "  - id: esxi-encrypt\n    name: ESXi VM files encrypted\n    techniques: [T1486]\n    platforms: [ESXi]\n    data_components: [File Modification]\n";
    let mut after = InlineModel::new(&[
        ("model.yaml", esxi_rule.as_str()),
        ("sigma/bitlocker.yml", files[1].1.as_str()),
    ]);
    let b = after.analysis();
    assert!(row(&b, "T1486").covered);
    assert_eq!(asset(&b, "esxi").covered, 1);
    let d = threatc::diff::diff(
        &threatc::diff::DiffInput::from_analysis(&a).unwrap(),
        &threatc::diff::DiffInput::from_analysis(&b).unwrap(),
    );
    assert!(
        d.newly_covered.iter().any(|t| t.id == "T1486"),
        "the diff shows T1486 newly covered"
    );
}

#[test]
fn an_import_entry_with_assets_scopes_its_rules() {
    let model = r#"threatc: 1
model:
  name: scoped
actors:
  - id: x
    techniques: [T1003.001]
assets:
  - id: workstations
    platforms: [Windows]
  - id: swift
    platforms: [Windows]
    criticality: critical
rules:
  - import: sigma
    path: sigma
    assets: [workstations]
"#;
    let mut m = InlineModel::new(&[
        ("model.yaml", model),
        (
            "sigma/lsass.yml",
            &sigma_windows("r2", "LSASS access", "t1003.001", "process_access"),
        ),
    ]);
    let r = m.resolved();
    assert_eq!(r.rules[0].assets, ["workstations"]);
    assert_eq!(r.imports[0].assets, ["workstations"]);
    let a = m.analysis();
    let t = row(&a, "T1003.001");
    assert!(!t.covered, "not covered on the SWIFT servers");
    assert_eq!(t.uncovered_on, ["swift"]);
    assert_eq!(asset(&a, "swift").covered, 0);
    assert_eq!(asset(&a, "workstations").covered, 1);
}

#[test]
fn an_import_entry_naming_an_undefined_asset_is_an_error() {
    let model = "threatc: 1\nmodel:\n  name: bad\nassets:\n  - id: ws\n    platforms: [Windows]\nrules:\n  - import: sigma\n    path: sigma\n    assets: [wss]\n";
    let mut m = InlineModel::new(&[("model.yaml", model)]);
    let errs = m.resolve().unwrap_err();
    let d = errs
        .iter()
        .find(|d| d.code.as_str() == "undefined-asset")
        .unwrap();
    assert!(d.message.contains("import of `sigma`"), "{}", d.message);
}

#[test]
fn inline_platforms_and_data_components_are_checked() {
    let model = "threatc: 1\nmodel:\n  name: bad\nrules:\n  - id: r\n    techniques: [T1486]\n    platforms: [Windws]\n    data_components: [Proces Creation]\n";
    let mut m = InlineModel::new(&[("model.yaml", model)]);
    let errs = m.resolve().unwrap_err();
    assert_eq!(codes(&errs), ["unknown-platform", "unknown-data-component"]);
    let helps: Vec<String> = errs.iter().filter_map(|d| d.help.clone()).collect();
    assert!(helps[0].contains("did you mean `Windows`"), "{helps:?}");
    assert!(
        helps[1].contains("did you mean `Process Creation`"),
        "{helps:?}"
    );
}

#[test]
fn unscoped_rules_count_everywhere_and_are_reported() {
    let model = r#"threatc: 1
model:
  name: unscoped
actors:
  - id: x
    techniques: [T1071.001]
assets:
  - id: ws
    platforms: [Windows]
  - id: lin
    platforms: [Linux]
rules:
  - import: sigma
    path: sigma
  - id: beacon
    techniques: [T1071.001]
"#;
    let proxy = "title: C2\nid: p1\nstatus: stable\nlogsource:\n  category: proxy\ntags: [attack.t1071.001]\n";
    let mut m = InlineModel::new(&[("model.yaml", model), ("sigma/proxy.yml", proxy)]);
    let (r, warnings) = m.resolve().unwrap();
    assert_eq!(
        r.imports[0].unscoped.get("network-sensor").copied(),
        Some(1)
    );
    let unscoped: Vec<&threatc::diag::Diagnostic> = warnings
        .iter()
        .filter(|d| d.code.as_str() == "rule-unscoped")
        .collect();
    assert_eq!(
        unscoped.len(),
        2,
        "one for the import, one for inline rules"
    );
    assert!(unscoped
        .iter()
        .any(|d| d.message.contains("1 of 1 rule from `sigma`")
            && d.message.contains("network sensor 1")));
    let a = threatc::analysis::analyse(&r, InlineModel::catalog());
    assert!(row(&a, "T1071.001").covered);
    assert_eq!(a.summary.rules_unscoped, 2);
}

#[test]
fn scope_names_the_platforms_it_drops() {
    let model = r#"threatc: 1
model:
  name: dropped
actors:
  - id: x
    techniques: [T1595.001, T1486, T1059.001]
assets:
  - id: ws
    platforms: [Windows]
"#;
    let mut m = InlineModel::new(&[("model.yaml", model)]);
    let (r, warnings) = m.resolve().unwrap();
    let d = warnings
        .iter()
        .find(|d| d.code.as_str() == "scope-dropped")
        .expect("a scope-dropped warning");
    // T1595.001 is PRE only (out of scope); T1486 also runs on ESXi, IaaS, Linux, macOS.
    assert!(
        d.message.starts_with("1 threat technique is out of scope"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("PRE (1, 1 out of scope)"),
        "{}",
        d.message
    );
    assert!(d.message.contains("ESXi (1)"), "{}", d.message);
    let a = threatc::analysis::analyse(&r, InlineModel::catalog());
    assert_eq!(a.summary.undeclared_platforms.get("PRE"), Some(&1));
    assert_eq!(a.out_of_scope.len(), 1);
}

#[test]
fn a_model_without_assets_keeps_the_plain_meaning() {
    let model = "threatc: 1\nmodel:\n  name: plain\nactors:\n  - id: x\n    techniques: [T1003]\nrules:\n  - import: sigma\n    path: sigma\n";
    let mut m = InlineModel::new(&[
        ("model.yaml", model),
        (
            "sigma/dump.yml",
            &sigma_windows("r1", "Procdump", "t1003", "process_creation"),
        ),
    ]);
    let (r, warnings) = m.resolve().unwrap();
    assert!(!codes(&warnings).contains(&"rule-unscoped"));
    assert!(!codes(&warnings).contains(&"scope-dropped"));
    let a = threatc::analysis::analyse(&r, InlineModel::catalog());
    assert!(row(&a, "T1003").covered);
}

/// The bank example importing SigmaHQ's rules (../shared/fixtures/sigma): coverage
/// before (every rule counted everywhere) and after the counting rule, and the Linux
/// servers' figure. Prints the figures for the record.
#[test]
fn the_bank_importing_sigmahq() {
    let Some(shared) = common::shared() else {
        return;
    };
    let sigma = shared.join("fixtures/sigma/rules");
    let dir = common::bank_repo(|text| {
        common::replace_once(
            &text,
            "path: detections/sigma",
            &format!("path: {}", sigma.display()),
        )
    });
    let mut r = common::resolve_outside_root(&dir.path().join("model.yaml"));
    let cat = InlineModel::catalog();
    let after = threatc::analysis::analyse(&r, cat);
    // Before: every rule counted on every asset, as threatc did until issue 13.
    for rule in &mut r.rules {
        rule.platforms.clear();
    }
    let before = threatc::analysis::analyse(&r, cat);
    let lin = |a: &threatc::analysis::Analysis| {
        let x = asset(a, "linux-servers");
        (x.covered, x.in_scope, x.coverage)
    };
    eprintln!(
        "bank + SigmaHQ rules/: coverage {:.1}% -> {:.1}% ({} -> {} of {} techniques); linux-servers {:?} -> {:?}; unscoped rules {}",
        before.summary.coverage * 100.0,
        after.summary.coverage * 100.0,
        before.summary.covered,
        after.summary.covered,
        after.summary.in_scope,
        lin(&before),
        lin(&after),
        after.summary.rules_unscoped,
    );
    assert!(after.summary.coverage < before.summary.coverage);
    assert!(lin(&after).0 < lin(&before).0);
    // SWIFT servers run Windows and Linux: T1003.001 (Windows only) is on them.
    let swift = asset(&after, "swift-servers");
    assert!(swift.covered <= asset(&before, "swift-servers").covered);
}

/// Every platform and data component the mapping tables name is the Enterprise
/// catalog's (the tables are data: a typo would silently scope rules nowhere).
#[test]
fn mapping_tables_use_catalog_names() {
    let cat = InlineModel::catalog();
    let (platforms, components) = threatc::import::reach::table_names();
    for p in &platforms {
        assert_eq!(cat.is_platform(p), Some(p.as_str()), "platform `{p}`");
    }
    for c in &components {
        assert!(
            cat.data_components.iter().any(|d| &d.name == c),
            "data component `{c}`"
        );
    }
}

/// The Sigma table maps every logsource of SigmaHQ's rules (../shared/fixtures/sigma):
/// no rule falls to "unmapped log source". Prints the shares for README.
#[test]
fn sigma_table_maps_every_fixture_logsource() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = shared.join("fixtures/sigma");
    let mut opts = threatc::import::ImportOptions::new(&dir);
    opts.root = dir.clone();
    let res = threatc::import::import(threatc::import::Format::Sigma, ".", &opts);
    let n = res.rules.len();
    assert!(n > 3000, "{n} rules");
    let mut by: std::collections::BTreeMap<String, usize> = Default::default();
    for r in &res.rules {
        let k = match r.reach.unscoped {
            None => "platforms".to_string(),
            Some(u) => u.key().to_string(),
        };
        *by.entry(k).or_default() += 1;
    }
    let unmapped: Vec<String> = res
        .rules
        .iter()
        .filter(|r| r.reach.unscoped == Some(threatc::import::Unscoped::UnmappedSource))
        .map(|r| r.source.display().to_string())
        .collect();
    eprintln!("sigma fixture: {n} rules with a technique: {by:?}");
    assert!(unmapped.is_empty(), "unmapped logsources: {unmapped:?}");
    let with_platforms = by.get("platforms").copied().unwrap_or(0);
    assert!(with_platforms * 100 / n >= 90, "{with_platforms} of {n}");
}
