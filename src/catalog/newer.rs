//! ATT&CK ids newer than the embedded catalog, from MITRE's release notes
//! (`data/releases/attack-newer-ids.tsv`, embedded): what threatc says about an id the catalog
//! in use does not know, or a model written against a release it does not have.
//!
//! The table only explains; it never stands in for the release's data. Counting `T1685`
//! needs the v19 bundle (`--attack-data enterprise-attack-19.0.json`).

use std::sync::OnceLock;

use super::model::{Catalog, Domain};

static TABLE: &str = include_str!("../../data/releases/attack-newer-ids.tsv");

/// Where MITRE publishes the STIX bundles of every release.
pub const BUNDLES_URL: &str = "https://github.com/mitre-attack/attack-stix-data";

/// Whether a row names a technique or a tactic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A technique or sub-technique (`T1685`, `T1685.001`).
    Technique,
    /// A tactic (`TA0112`); its short name is its name in lower case with dashes.
    Tactic,
}

/// One id of a release newer than the embedded catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewerId {
    /// The release that introduced it (`19.0`).
    pub release: &'static str,
    /// Its domain.
    pub domain: Domain,
    /// Technique or tactic.
    pub kind: Kind,
    /// The ATT&CK id (`T1685`, `TA0112`).
    pub id: &'static str,
    /// Its name in that release.
    pub name: &'static str,
    /// The ids it revoked (`T1562`, `T1562.001`, …).
    pub replaces: Vec<&'static str>,
}

impl NewerId {
    /// The tactic short name (`defense-impairment`) for a tactic row.
    pub fn shortname(&self) -> String {
        self.name.to_ascii_lowercase().replace(' ', "-")
    }

    /// The major release (`19`).
    pub fn major(&self) -> &'static str {
        self.release.split('.').next().unwrap_or(self.release)
    }
}

/// Every row of the table, in file order.
pub fn newer_ids() -> &'static [NewerId] {
    static ROWS: OnceLock<Vec<NewerId>> = OnceLock::new();
    ROWS.get_or_init(|| parse(TABLE))
}

fn parse(text: &'static str) -> Vec<NewerId> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            let release = f.next()?;
            let domain = f.next()?.parse::<Domain>().ok()?;
            let kind = match f.next()? {
                "tactic" => Kind::Tactic,
                "technique" => Kind::Technique,
                _ => return None,
            };
            let id = f.next()?;
            let name = f.next()?;
            let replaces = match f.next()?.trim() {
                "-" | "" => Vec::new(),
                r => r.split(' ').collect(),
            };
            Some(NewerId {
                release,
                domain,
                kind,
                id,
                name,
                replaces,
            })
        })
        .collect()
}

/// `18.1` → `[18, 1]`, for comparing releases; non-numbers count as 0.
fn release_key(release: &str) -> Vec<u32> {
    release
        .trim_start_matches(['v', 'V'])
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// Whether release `a` is newer than release `b` (`19.0` > `18.1`; `19` = `19.0`).
pub fn is_newer(a: &str, b: &str) -> bool {
    let (mut x, mut y) = (release_key(a), release_key(b));
    let n = x.len().max(y.len());
    x.resize(n, 0);
    y.resize(n, 0);
    x > y
}

/// The row for a technique id (any case) of `catalog`'s domain that a newer release than
/// `catalog`'s introduced, when `catalog` does not know it.
pub fn newer_technique(catalog: &Catalog, id: &str) -> Option<&'static NewerId> {
    let id = id.trim().to_ascii_uppercase();
    if catalog.technique(&id).is_some() {
        return None;
    }
    newer_ids().iter().find(|r| {
        r.kind == Kind::Technique
            && r.domain == catalog.domain
            && r.id == id
            && is_newer(r.release, &catalog.release)
    })
}

/// The tactic row whose short name, name or id is `name` (any case: `stealth`,
/// `Defense Impairment`, `TA0112`), whatever the catalog in use.
pub fn newer_tactic(name: &str) -> Option<&'static NewerId> {
    let name = name.trim();
    newer_ids().iter().find(|r| {
        r.kind == Kind::Tactic
            && (r.id.eq_ignore_ascii_case(name)
                || r.name.eq_ignore_ascii_case(name)
                || r.shortname().eq_ignore_ascii_case(name))
    })
}

/// The file name MITRE gives a release's bundle: `enterprise-attack-19.0.json`.
pub fn bundle_file_name(domain: Domain, release: &str) -> String {
    format!("{}-{}.json", domain.stix_name(), release)
}

/// How to supply a release's bundle, for a diagnostic's help.
pub fn supply_help(domain: Domain, release: &str) -> String {
    format!(
        "supply the ATT&CK {release} bundle: `--attack-data {}` (or THREATC_ATTACK_DATA, or `attack.data` in the model); MITRE publishes it at {BUNDLES_URL}",
        bundle_file_name(domain, release)
    )
}

/// For an id `catalog` does not know but a newer release introduced: the message and help
/// of the one diagnostic about it (`T1685` (Disable or Modify Tools) is new in ATT&CK v19.0 …).
pub fn unknown_technique_hint(catalog: &Catalog, id: &str) -> Option<(String, String)> {
    let row = newer_technique(catalog, id)?;
    let replaces = if row.replaces.is_empty() {
        String::new()
    } else {
        format!(
            "; it replaces {}",
            row.replaces
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Some((
        format!(
            "`{}` ({}) is new in ATT&CK v{}; the catalog in use is ATT&CK {} {}{replaces}",
            row.id, row.name, row.release, catalog.domain, catalog.release
        ),
        supply_help(catalog.domain, row.release),
    ))
}

/// When a model says it is written against `model_release` and the catalog in use is an
/// older release (the embedded one, say): the message and help of the error. None when the
/// catalog is that release or a newer one.
pub fn newer_model_release(catalog: &Catalog, model_release: &str) -> Option<(String, String)> {
    if !is_newer(model_release, &catalog.release) {
        return None;
    }
    Some((
        format!(
            "the model is written against ATT&CK {model_release}, newer than the catalog in use (ATT&CK {} {}); its technique ids cannot be checked",
            catalog.domain, catalog.release
        ),
        format!(
            "{}; or build and embed a catalog of that release with `threatc attack build-catalog FOLDER` (README, \"The ATT&CK catalog\")",
            supply_help(catalog.domain, model_release)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_reads() {
        let rows = newer_ids();
        assert!(rows.len() > 40);
        let t = rows.iter().find(|r| r.id == "T1685").unwrap();
        assert_eq!(t.name, "Disable or Modify Tools");
        assert_eq!(t.replaces, ["T1562", "T1562.001", "T1562.006"]);
        assert_eq!(t.major(), "19");
        assert_eq!(
            newer_tactic("Defense Impairment").map(|r| r.id),
            Some("TA0112")
        );
        assert_eq!(newer_tactic("stealth").map(|r| r.id), Some("TA0005"));
        assert!(newer_tactic("execution").is_none());
    }

    #[test]
    fn releases_compare() {
        assert!(is_newer("19.0", "18.1"));
        assert!(is_newer("19", "18.1"));
        assert!(!is_newer("19", "19.0"));
        assert!(!is_newer("18.1", "18.1"));
        assert!(is_newer("18.10", "18.9"));
    }

    #[test]
    fn hints_against_the_embedded_catalog() {
        let c = crate::catalog::embedded(Domain::Enterprise).unwrap();
        let (msg, help) = unknown_technique_hint(c, "t1685").unwrap();
        assert!(msg.contains("new in ATT&CK v19.0"), "{msg}");
        assert!(
            help.contains("--attack-data enterprise-attack-19.0.json"),
            "{help}"
        );
        assert!(unknown_technique_hint(c, "T1059").is_none());
        assert!(unknown_technique_hint(c, "T9999").is_none());
        let (msg, help) = newer_model_release(c, "19.0").unwrap();
        assert!(msg.contains("19.0") && help.contains("build-catalog"));
        assert!(newer_model_release(c, "18.1").is_none());
        assert!(newer_model_release(c, "15.1").is_none());
    }
}
