//! Where an imported rule runs and what it reads: ATT&CK platforms and v18 data
//! components, looked up in data tables kept in the repository (`data/*.tsv`, embedded
//! at build time and parsed once), not in code branches:
//!
//! - `data/sigma-logsources.tsv`: Sigma `logsource` (product, category, service);
//! - `data/splunk-data-sources.tsv`: Splunk ESCU `data_source` names, generated from
//!   ESCU's own data-source definitions by `scripts/gen_splunk_data_sources.py`;
//! - `data/elastic-sources.tsv`: Elastic `OS:` and `Data Source:` tags and `index` patterns.
//!
//! Each table documents its columns in its header. A rule whose source names no OS (a
//! network sensor, an application's own log, a source no table knows) gets no platform
//! and a reason ([`Unscoped`]): it is counted everywhere and reported.

use serde::Serialize;
use std::sync::OnceLock;

const SIGMA: &str = include_str!("../../data/sigma-logsources.tsv");
const SPLUNK: &str = include_str!("../../data/splunk-data-sources.tsv");
const ELASTIC: &str = include_str!("../../data/elastic-sources.tsv");

/// Why a rule has no platform (it then counts on every asset, and is reported).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Unscoped {
    /// A network sensor (proxy, firewall, DNS server, Zeek…): it sees traffic, not an OS.
    /// Counted on every asset until the model says which assets a sensor watches.
    NetworkSensor,
    /// An application's own log (web server, JVM…): the OS it runs on is not known.
    ApplicationLog,
    /// The source names a log the mapping tables do not know.
    UnmappedSource,
    /// The source says nothing of where the rule runs (a Navigator layer, a CSV row or
    /// an inline rule without `platforms`).
    NoPlatform,
}

impl Unscoped {
    /// The kebab-case key of report.json: `network-sensor`.
    pub fn key(self) -> &'static str {
        match self {
            Unscoped::NetworkSensor => "network-sensor",
            Unscoped::ApplicationLog => "application-log",
            Unscoped::UnmappedSource => "unmapped-source",
            Unscoped::NoPlatform => "no-platform",
        }
    }

    /// Words for messages: `network sensor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unscoped::NetworkSensor => "network sensor",
            Unscoped::ApplicationLog => "application log",
            Unscoped::UnmappedSource => "unmapped log source",
            Unscoped::NoPlatform => "no platform",
        }
    }
}

/// What a table row says of a log source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// ATT&CK platform names (empty for a network sensor or an application log).
    pub platforms: Vec<String>,
    /// ATT&CK v18 data component names.
    pub data_components: Vec<String>,
    /// Why there is no platform, when there is none.
    pub unscoped: Option<Unscoped>,
}

impl Reach {
    /// Nothing is known: an unmapped source.
    pub fn unmapped() -> Reach {
        Reach {
            unscoped: Some(Unscoped::UnmappedSource),
            ..Reach::default()
        }
    }

    /// Nothing is said: no platform.
    pub fn none() -> Reach {
        Reach {
            unscoped: Some(Unscoped::NoPlatform),
            ..Reach::default()
        }
    }

    /// Adds another source's platforms and components (a rule reading several sources
    /// runs where any of them is collected).
    fn merge(&mut self, other: &Reach) {
        for p in &other.platforms {
            if !self.platforms.contains(p) {
                self.platforms.push(p.clone());
            }
        }
        for c in &other.data_components {
            if !self.data_components.contains(c) {
                self.data_components.push(c.clone());
            }
        }
        self.unscoped = match (self.unscoped, other.unscoped) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// Sets `unscoped` from the platforms: none when there are platforms.
    fn settle(mut self) -> Reach {
        if !self.platforms.is_empty() {
            self.unscoped = None;
        } else if self.unscoped.is_none() {
            self.unscoped = Some(Unscoped::UnmappedSource);
        }
        self
    }
}

/// A `,`-separated list, trimmed, empties dropped.
fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// A row's reach from its scope, platforms and components columns.
fn reach_of(scope: &str, platforms: &str, components: &str) -> Reach {
    let unscoped = match scope.trim() {
        "network" => Some(Unscoped::NetworkSensor),
        "application" => Some(Unscoped::ApplicationLog),
        _ => None,
    };
    Reach {
        platforms: list(platforms),
        data_components: list(components),
        unscoped,
    }
}

/// The data lines of a table, split on tabs (comments and blank lines left out).
fn rows(table: &str) -> impl Iterator<Item = Vec<&str>> {
    table
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
}

fn col<'a>(cols: &[&'a str], i: usize) -> &'a str {
    cols.get(i).copied().unwrap_or("").trim()
}

/// A row field of the Sigma table: `-` absent, `*` any, else a value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Absent,
    Any,
    Is(String),
}

impl Field {
    fn parse(s: &str) -> Field {
        match s {
            "-" | "" => Field::Absent,
            "*" => Field::Any,
            v => Field::Is(v.to_ascii_lowercase()),
        }
    }

    fn matches(&self, v: Option<&str>) -> bool {
        match (self, v) {
            (Field::Any, _) => true,
            (Field::Absent, None) => true,
            (Field::Is(a), Some(b)) => a.eq_ignore_ascii_case(b.trim()),
            _ => false,
        }
    }
}

struct SigmaRow {
    keys: [Field; 3],
    reach: Reach,
}

fn sigma_rows() -> &'static [SigmaRow] {
    static ROWS: OnceLock<Vec<SigmaRow>> = OnceLock::new();
    ROWS.get_or_init(|| {
        rows(SIGMA)
            .map(|c| SigmaRow {
                keys: [
                    Field::parse(col(&c, 0)),
                    Field::parse(col(&c, 1)),
                    Field::parse(col(&c, 2)),
                ],
                reach: reach_of(col(&c, 3), col(&c, 4), col(&c, 5)),
            })
            .collect()
    })
}

/// A Sigma `logsource`: the most specific row of `data/sigma-logsources.tsv` that
/// matches (fewest `*`; the first on a tie), or an unmapped source.
pub fn sigma(product: Option<&str>, category: Option<&str>, service: Option<&str>) -> Reach {
    fn blank(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    let (product, category, service) = (blank(product), blank(category), blank(service));
    if product.is_none() && category.is_none() && service.is_none() {
        return Reach::none();
    }
    let values = [product, category, service];
    let mut best: Option<(usize, &SigmaRow)> = None;
    for row in sigma_rows() {
        if !row.keys.iter().zip(values).all(|(k, v)| k.matches(v)) {
            continue;
        }
        let wild = row.keys.iter().filter(|k| **k == Field::Any).count();
        if best.is_none_or(|(w, _)| wild < w) {
            best = Some((wild, row));
        }
    }
    best.map_or_else(Reach::unmapped, |(_, r)| r.reach.clone().settle())
}

fn splunk_rows() -> &'static [(String, Reach)] {
    static ROWS: OnceLock<Vec<(String, Reach)>> = OnceLock::new();
    ROWS.get_or_init(|| {
        rows(SPLUNK)
            .map(|c| {
                (
                    col(&c, 0).to_ascii_lowercase(),
                    reach_of(col(&c, 1), col(&c, 2), col(&c, 3)),
                )
            })
            .collect()
    })
}

/// Splunk ESCU `data_source` names, through ESCU's data-source definitions. A detection
/// reading several sources runs where any of them is collected.
pub fn splunk<'a>(names: impl IntoIterator<Item = &'a str>) -> Reach {
    let mut out: Option<Reach> = None;
    for name in names {
        let key = name.trim().to_ascii_lowercase();
        let r = splunk_rows()
            .iter()
            .find(|(n, _)| *n == key)
            .map_or_else(Reach::unmapped, |(_, r)| r.clone().settle());
        match &mut out {
            Some(o) => o.merge(&r),
            None => out = Some(r),
        }
    }
    out.map_or_else(Reach::none, Reach::settle)
}

/// Whether `text` matches `pattern`, where `*` matches any text (case-insensitive).
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    let t = text.trim().to_ascii_lowercase();
    let mut parts = p.split('*');
    let Some(first) = parts.next() else {
        return t.is_empty();
    };
    let Some(mut rest) = t.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for m in middle {
        match rest.find(m) {
            Some(i) => rest = rest.get(i + m.len()..).unwrap_or(""),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

struct ElasticRow {
    kind: String,
    pattern: String,
    reach: Reach,
}

fn elastic_rows() -> &'static [ElasticRow] {
    static ROWS: OnceLock<Vec<ElasticRow>> = OnceLock::new();
    ROWS.get_or_init(|| {
        rows(ELASTIC)
            .map(|c| ElasticRow {
                kind: col(&c, 0).to_string(),
                pattern: col(&c, 1).to_string(),
                reach: reach_of(col(&c, 2), col(&c, 3), col(&c, 4)),
            })
            .collect()
    })
}

fn elastic_row(kind: &str, value: &str) -> Option<&'static Reach> {
    elastic_rows()
        .iter()
        .find(|r| r.kind == kind && glob_match(&r.pattern, value))
        .map(|r| &r.reach)
}

/// An Elastic rule's `tags` and `index` patterns: its `OS:` tags decide the platforms
/// when it has any; else its `Data Source:` tags and index patterns.
pub fn elastic<'a>(
    tags: impl IntoIterator<Item = &'a str>,
    indexes: impl IntoIterator<Item = &'a str>,
) -> Reach {
    let mut os = Reach::default();
    let mut other = Reach::default();
    let mut seen = false;
    for tag in tags {
        let Some((k, v)) = tag.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        let kind = match k.as_str() {
            "os" => "os",
            "data source" => "source",
            _ => continue,
        };
        seen = true;
        let r = elastic_row(kind, v)
            .cloned()
            .unwrap_or_else(Reach::unmapped);
        if kind == "os" {
            os.merge(&r);
        } else {
            other.merge(&r);
        }
    }
    for index in indexes {
        seen = true;
        let r = elastic_row("index", index)
            .cloned()
            .unwrap_or_else(Reach::unmapped);
        other.merge(&r);
    }
    if !seen {
        return Reach::none();
    }
    if !os.platforms.is_empty() {
        os.data_components = other.data_components;
        return os.settle();
    }
    other.settle()
}

/// Every platform and data component name the tables use (for a test against the
/// catalog).
pub fn table_names() -> (Vec<String>, Vec<String>) {
    let all = sigma_rows()
        .iter()
        .map(|r| &r.reach)
        .chain(splunk_rows().iter().map(|(_, r)| r))
        .chain(elastic_rows().iter().map(|r| &r.reach));
    let mut platforms = Vec::new();
    let mut components = Vec::new();
    for r in all {
        platforms.extend(r.platforms.iter().cloned());
        components.extend(r.data_components.iter().cloned());
    }
    platforms.sort();
    platforms.dedup();
    components.sort();
    components.dedup();
    (platforms, components)
}

/// Whether a Sigma logsource has a row of its own or of its product (not only a
/// product-less catch-all): for the fixture-coverage test.
pub fn sigma_is_mapped(
    product: Option<&str>,
    category: Option<&str>,
    service: Option<&str>,
) -> bool {
    sigma(product, category, service).unscoped != Some(Unscoped::UnmappedSource)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(r: &Reach) -> Vec<&str> {
        r.platforms.iter().map(String::as_str).collect()
    }

    #[test]
    fn sigma_windows_linux_aws_proxy() {
        let w = sigma(Some("windows"), Some("process_creation"), None);
        assert_eq!(p(&w), ["Windows"]);
        assert_eq!(w.data_components, ["Process Creation"]);
        assert_eq!(w.unscoped, None);
        let l = sigma(Some("linux"), None, Some("auditd"));
        assert_eq!(p(&l), ["Linux"]);
        assert_eq!(l.data_components, ["Command Execution"]);
        let a = sigma(Some("aws"), None, Some("cloudtrail"));
        assert_eq!(p(&a), ["IaaS"]);
        let x = sigma(None, Some("proxy"), None);
        assert!(x.platforms.is_empty());
        assert_eq!(x.unscoped, Some(Unscoped::NetworkSensor));
        assert_eq!(x.data_components, ["Network Traffic Content"]);
        // A Windows service no row names falls back to the product row.
        let s = sigma(Some("Windows"), None, Some("some-new-channel"));
        assert_eq!(p(&s), ["Windows"]);
        assert!(s.data_components.is_empty());
        assert_eq!(
            sigma(Some("plan9"), None, None).unscoped,
            Some(Unscoped::UnmappedSource)
        );
        assert_eq!(sigma(None, None, None).unscoped, Some(Unscoped::NoPlatform));
    }

    #[test]
    fn splunk_data_sources() {
        let r = splunk(["Sysmon EventID 1", "Windows Event Log Security 4688"]);
        assert_eq!(p(&r), ["Windows"]);
        assert_eq!(r.data_components, ["Process Creation"]);
        let r = splunk(["Linux Auditd Execve"]);
        assert_eq!(p(&r), ["Linux"]);
        let r = splunk(["AWS CloudTrail DeleteTrail"]);
        assert_eq!(p(&r), ["IaaS"]);
        assert_eq!(
            splunk(["No Such Source"]).unscoped,
            Some(Unscoped::UnmappedSource)
        );
        assert_eq!(splunk([]).unscoped, Some(Unscoped::NoPlatform));
        // An unmapped source beside a mapped one leaves the mapped platforms.
        assert_eq!(p(&splunk(["Nope", "Sysmon EventID 10"])), ["Windows"]);
    }

    #[test]
    fn elastic_tags_and_indexes() {
        let r = elastic(
            ["Domain: Endpoint", "OS: Windows", "Data Source: Sysmon"],
            ["winlogbeat-*"],
        );
        assert_eq!(p(&r), ["Windows"]);
        assert_eq!(r.data_components, ["Process Creation"]);
        let r = elastic(
            ["Domain: Endpoint"],
            ["auditbeat-*", "logs-endpoint.events.process*"],
        );
        assert_eq!(p(&r), ["Linux"]);
        let r = elastic(
            ["Data Source: Amazon Web Services"],
            ["logs-aws.cloudtrail-*"],
        );
        assert_eq!(p(&r), ["IaaS"]);
        let r = elastic([], ["packetbeat-*"]);
        assert_eq!(r.unscoped, Some(Unscoped::NetworkSensor));
        assert_eq!(elastic([], []).unscoped, Some(Unscoped::NoPlatform));
    }

    #[test]
    fn globs() {
        assert!(glob_match("logs-aws*", "logs-aws.cloudtrail-*"));
        assert!(glob_match("aws*", "AWS IAM"));
        assert!(glob_match("winlogbeat-*", "winlogbeat-*"));
        assert!(!glob_match(
            "logs-azure.signinlogs-*",
            "logs-azure.activitylogs-*"
        ));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b", "ab-c"));
    }
}
