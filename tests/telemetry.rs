//! Telemetry in the model (issue 13, point 2): `telemetry:` says what is collected
//! where; on an asset that declares telemetry a rule counts only when the data components
//! it reads are collected there (`rule-blind` otherwise); assets without telemetry keep
//! "visibility unknown".

mod common;

use common::{codes, InlineModel};

fn row<'a>(a: &'a threatc::analysis::Analysis, id: &str) -> &'a threatc::analysis::TechniqueRow {
    a.techniques.iter().find(|r| r.id == id).unwrap()
}

/// A Linux asset and a Windows asset; `telemetry` and `rules` are spliced in.
fn model(telemetry: &str, rules: &str) -> String {
    format!(
        r#"threatc: 1
model:
  name: telemetry
actors:
  - id: x
    techniques: [T1059.004, T1037.004, T1071.001]
assets:
  - id: linux-servers
    platforms: [Linux]
  - id: workstations
    platforms: [Windows]
{telemetry}
rules:
{rules}
"#
    )
}

const LINUX_RULES: &str = r#"  - id: LNX-shell
    techniques: [T1059.004]
    platforms: [Linux]
    data_components: [Process Creation]
  - id: LNX-rc-registry
    techniques: [T1037.004]
    platforms: [Linux]
    data_components: [Windows Registry Key Modification]"#;

const AUDITD: &str = r#"telemetry:
  - log_source: auditd:EXECVE
    assets: [linux-servers]
    retention: 30
    cost: 100"#;

#[test]
fn a_rule_reading_a_collected_data_component_counts_and_one_reading_another_does_not() {
    let mut m = InlineModel::new(&[("model.yaml", &model(AUDITD, LINUX_RULES))]);
    let (resolved, warnings) = m.resolve().unwrap_or_else(|e| panic!("{e:?}"));
    let linux = resolved
        .assets
        .iter()
        .find(|a| a.id == "linux-servers")
        .unwrap();
    assert!(linux
        .collects
        .as_ref()
        .unwrap()
        .contains(&"Process Creation".to_string()));
    // The rule reading Process Creation counts on the Linux servers.
    let a = threatc::analysis::analyse(&resolved, InlineModel::catalog());
    assert_eq!(row(&a, "T1059.004").covered_on, ["linux-servers"]);
    assert!(row(&a, "T1059.004").covered);
    // The one reading Windows Registry Key Modification does not, and says so.
    assert!(row(&a, "T1037.004").covered_on.is_empty());
    let blind: Vec<&str> = codes(&warnings)
        .into_iter()
        .filter(|c| *c == "rule-blind")
        .collect();
    assert_eq!(
        blind.len(),
        1,
        "one warning for the one (rule, asset, data component) group"
    );
    let w = warnings
        .iter()
        .find(|d| d.code.as_str() == "rule-blind")
        .unwrap();
    for word in [
        "LNX-rc-registry",
        "linux-servers",
        "Windows Registry Key Modification",
    ] {
        assert!(w.message.contains(word), "{word} not in: {}", w.message);
    }
    let blind = a.rules.iter().find(|r| r.id == "LNX-rc-registry").unwrap();
    assert_eq!(blind.blind_on.len(), 1);
    assert_eq!(blind.blind_on[0].asset, "linux-servers");
    assert_eq!(
        blind.blind_on[0].missing,
        ["Windows Registry Key Modification"]
    );
    // report.json carries the entry as written, with its data components.
    assert_eq!(a.telemetry.len(), 1);
    assert_eq!(a.telemetry[0].retention, Some(30));
    assert_eq!(a.telemetry[0].cost, Some(100.0));
    let ws = a.assets.iter().find(|x| x.id == "workstations").unwrap();
    assert!(
        ws.collects.is_none(),
        "no telemetry declared: visibility unknown"
    );
}

#[test]
fn a_log_source_resolves_to_the_data_components_of_its_analytics() {
    let t = r#"telemetry:
  - log_source: winEventLog:sysmon
    event_codes: [1, 10]
    assets: all
  - log_source: auditd:SYSCALL
    channel: execve
    assets: linux-servers"#;
    let mut m = InlineModel::new(&[("model.yaml", &model(t, LINUX_RULES))]);
    let r = m.resolved();
    assert_eq!(
        r.telemetry[0].log_source.as_deref(),
        Some("WinEventLog:Sysmon")
    );
    // Sysmon EventCode=1 is Process Creation, EventCode=10 Process Access in ATT&CK 18.1.
    assert_eq!(
        r.telemetry[0].data_components,
        ["Process Access", "Process Creation"]
    );
    assert_eq!(r.telemetry[0].assets, ["linux-servers", "workstations"]);
    assert!(r.telemetry[1]
        .data_components
        .contains(&"Process Creation".to_string()));
}

#[test]
fn names_that_match_nothing_get_a_suggestion() {
    let t = r#"telemetry:
  - data_components: [Proces Creation]
    assets: [linux-servers]
  - log_source: auditd:SYSCAL
    assets: [linux-servers]
  - log_source: WinEventLog:Sysmon
    event_codes: [9999]
    assets: [workstation]"#;
    let mut m = InlineModel::new(&[("model.yaml", &model(t, LINUX_RULES))]);
    let Err(errs) = m.resolve() else {
        panic!("typos are errors")
    };
    let help = |code: &str| {
        errs.iter()
            .find(|d| d.code.as_str() == code)
            .and_then(|d| d.help.clone())
            .unwrap_or_default()
    };
    assert!(help("unknown-data-component").contains("did you mean `Process Creation`?"));
    assert!(help("undefined-asset").contains("did you mean `workstations`?"));
    let sources: Vec<String> = errs
        .iter()
        .filter(|d| d.code.as_str() == "unknown-log-source")
        .map(|d| format!("{} {}", d.message, d.help.clone().unwrap_or_default()))
        .collect();
    assert_eq!(sources.len(), 2, "{sources:?}");
    assert!(sources[0].contains("did you mean `auditd:SYSCALL`?"));
    assert!(
        sources[1].contains("9999") && sources[1].contains("event codes of `WinEventLog:Sysmon`")
    );
}

#[test]
fn an_entry_needs_a_log_source_or_data_components_not_both() {
    let t = r#"telemetry:
  - assets: all
  - log_source: NSM:Flow
    data_components: [Network Traffic Flow]
    assets: all"#;
    let mut m = InlineModel::new(&[("model.yaml", &model(t, LINUX_RULES))]);
    let Err(errs) = m.resolve() else {
        panic!("invalid entries")
    };
    assert_eq!(codes(&errs), ["invalid-telemetry", "invalid-telemetry"]);
}

#[test]
fn assets_without_telemetry_are_unchanged() {
    let without =
        InlineModel::new(&[("model.yaml", &model("", LINUX_RULES))]).analysis_and_warnings();
    assert!(
        row(&without.0, "T1037.004").covered,
        "visibility unknown: the rule counts"
    );
    assert!(!without.1.contains(&"rule-blind"));
    // Telemetry on the Windows asset only leaves the Linux asset as it was.
    let t = "telemetry:\n  - log_source: WinEventLog:Sysmon\n    assets: [workstations]";
    let with = InlineModel::new(&[("model.yaml", &model(t, LINUX_RULES))]).analysis_and_warnings();
    assert!(row(&with.0, "T1037.004").covered);
    assert!(!with.1.contains(&"rule-blind"));
}

#[test]
fn a_rule_without_data_components_is_not_affected_and_network_sensors_need_network_data() {
    let rules = r#"  - id: LNX-shell
    techniques: [T1059.004]
    platforms: [Linux]
  - import: sigma
    path: sigma"#;
    let proxy = "title: C2\nid: p1\nstatus: stable\nlogsource:\n  category: dns\ntags: [attack.t1071.001]\n";
    // Telemetry without network data: the DNS-server rule (a network sensor without
    // data components, or with a network one) does not count on the Linux servers.
    let mut m = InlineModel::new(&[
        ("model.yaml", &model(AUDITD, rules)),
        ("sigma/dns.yml", proxy),
    ]);
    let (r, w) = m.resolve().unwrap_or_else(|e| panic!("{e:?}"));
    let a = threatc::analysis::analyse(&r, InlineModel::catalog());
    assert!(
        row(&a, "T1059.004").covered,
        "no data components: not affected"
    );
    assert_eq!(row(&a, "T1071.001").covered_on, ["workstations"]);
    assert!(codes(&w).contains(&"rule-blind"));
    // With network flow collected everywhere, it counts everywhere.
    let t = format!("{AUDITD}\n  - log_source: NSM:Flow\n    assets: all\n  - data_components: [Network Traffic Content, Passive DNS]\n    assets: all");
    let mut m = InlineModel::new(&[("model.yaml", &model(&t, rules)), ("sigma/dns.yml", proxy)]);
    let a = m.analysis();
    assert_eq!(
        row(&a, "T1071.001").covered_on,
        ["linux-servers", "workstations"]
    );
}

trait AnalysisAndWarnings {
    fn analysis_and_warnings(self) -> (threatc::analysis::Analysis, Vec<&'static str>);
}

impl AnalysisAndWarnings for InlineModel {
    fn analysis_and_warnings(mut self) -> (threatc::analysis::Analysis, Vec<&'static str>) {
        let (r, w) = self.resolve().unwrap_or_else(|e| panic!("{e:?}"));
        let a = threatc::analysis::analyse(&r, InlineModel::catalog());
        (a, codes(&w))
    }
}
