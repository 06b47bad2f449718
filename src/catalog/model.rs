//! The typed ATT&CK catalog: the only view of ATT&CK the rest of the project sees.
//!
//! Everything here is plain data, sorted deterministically (by ATT&CK id; a sub-technique sorts
//! right after its parent because ids are fixed-width), so that the encoded form is
//! byte-for-byte reproducible. STIX never leaks past `stix.rs`.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::index::Index;
use super::Str;

/// An ATT&CK domain (one matrix family, one STIX bundle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    /// Enterprise ATT&CK (`enterprise-attack`).
    Enterprise,
    /// Mobile ATT&CK (`mobile-attack`).
    Mobile,
    /// ATT&CK for ICS (`ics-attack`).
    Ics,
}

impl Domain {
    /// Every domain, in a fixed order.
    pub fn all() -> [Domain; 3] {
        [Domain::Enterprise, Domain::Mobile, Domain::Ics]
    }

    /// Short lowercase name: `enterprise`, `mobile` or `ics`.
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Enterprise => "enterprise",
            Domain::Mobile => "mobile",
            Domain::Ics => "ics",
        }
    }

    /// The name STIX uses (`x_mitre_domains`, matrix external id): `enterprise-attack`, ….
    pub fn stix_name(self) -> &'static str {
        match self {
            Domain::Enterprise => "enterprise-attack",
            Domain::Mobile => "mobile-attack",
            Domain::Ics => "ics-attack",
        }
    }

    /// The kill-chain name used by this domain's techniques.
    pub(crate) fn kill_chain_name(self) -> &'static str {
        match self {
            Domain::Enterprise => "mitre-attack",
            Domain::Mobile => "mitre-mobile-attack",
            Domain::Ics => "mitre-ics-attack",
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The error of parsing a [`Domain`] from a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDomain(pub String);

impl fmt::Display for UnknownDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown ATT&CK domain `{}` (expected enterprise, mobile or ics)",
            self.0
        )
    }
}

impl std::error::Error for UnknownDomain {}

impl FromStr for Domain {
    type Err = UnknownDomain;

    /// Accepts `enterprise`, `enterprise-attack`, `mobile`, `mobile-attack`, `ics`, `ics-attack`,
    /// case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Domain::all()
            .into_iter()
            .find(|d| lower == d.as_str() || lower == d.stix_name())
            .ok_or_else(|| UnknownDomain(s.to_string()))
    }
}

/// The serialized content of a [`Catalog`]: every field, no lookup index.
///
/// A [`Catalog`] dereferences to this, so `catalog.techniques` reads naturally while the
/// catalog's index can never go stale (there is no mutable access).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct CatalogData {
    /// The domain this catalog describes.
    pub domain: Domain,
    /// The ATT&CK release, e.g. `"18.1"`.
    pub release: Str,
    /// The domain's tactics in matrix order (deprecated tactics, if any, last and flagged).
    pub tactics: Vec<Tactic>,
    /// All techniques and sub-techniques, revoked and deprecated ones included (flagged).
    pub techniques: Vec<Technique>,
    /// Active groups (intrusion sets); revoked and deprecated ones are in `retired_groups`.
    pub groups: Vec<Group>,
    /// Groups that are revoked (with their replacement) or deprecated.
    pub retired_groups: Vec<RetiredGroup>,
    /// Active software (malware and tools).
    pub software: Vec<Software>,
    /// Active campaigns.
    pub campaigns: Vec<Campaign>,
    /// Active mitigations (courses of action).
    pub mitigations: Vec<Mitigation>,
    /// Active detection strategies (ATT&CK v18 and later).
    pub detection_strategies: Vec<DetectionStrategy>,
    /// Active analytics (ATT&CK v18 and later).
    pub analytics: Vec<Analytic>,
    /// Active data components.
    pub data_components: Vec<DataComponent>,
    /// Active asset types (`x-mitre-asset`, ATT&CK for ICS only: `A0010` Safety Controller).
    pub asset_types: Vec<AssetType>,
    /// The domain's platform names (from active techniques), sorted. ICS's placeholder
    /// platform `None` is left out.
    pub platforms: Vec<Str>,
}

/// An ATT&CK catalog for one domain and release, with lookup indexes.
///
/// Build one with [`Catalog::new`], the STIX reader or [`super::decode`]. Fields are read through
/// `Deref<Target = CatalogData>`.
#[derive(Debug, Clone)]
pub struct Catalog {
    data: CatalogData,
    index: Index,
}

impl Catalog {
    /// Wraps catalog data, building its lookup indexes.
    pub fn new(data: CatalogData) -> Catalog {
        let index = Index::build(&data);
        Catalog { data, index }
    }

    /// Gives the data back, dropping the indexes.
    pub fn into_data(self) -> CatalogData {
        self.data
    }

    pub(crate) fn index(&self) -> &Index {
        &self.index
    }
}

impl Deref for Catalog {
    type Target = CatalogData;

    fn deref(&self) -> &CatalogData {
        &self.data
    }
}

impl Serialize for Catalog {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.data.serialize(serializer)
    }
}

impl<'de: 'static> Deserialize<'de> for Catalog {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        CatalogData::deserialize(deserializer).map(Catalog::new)
    }
}

/// A tactic: a column of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct Tactic {
    /// ATT&CK id, e.g. `TA0001`.
    pub id: Str,
    /// Display name, e.g. `Initial Access`.
    pub name: Str,
    /// Short name used by techniques' kill-chain phases, e.g. `initial-access`.
    pub shortname: Str,
    /// Whether ATT&CK marks this tactic deprecated.
    pub deprecated: bool,
}

/// A mitigation that applies to a technique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct MitigationRef {
    /// Mitigation id, e.g. `M1036`.
    pub id: Str,
    /// How it applies to this technique (the relationship text, shortened).
    pub text: Str,
}

/// A technique or sub-technique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct Technique {
    /// ATT&CK id, e.g. `T1003` or `T1003.001`.
    pub id: Str,
    /// Display name (a sub-technique's own name, without its parent's).
    pub name: Str,
    /// Tactic short names, in matrix order.
    pub tactics: Vec<Str>,
    /// Platforms, as ATT&CK spells them.
    pub platforms: Vec<Str>,
    /// The parent technique id for a sub-technique.
    pub parent: Option<Str>,
    /// Whether ATT&CK marks it deprecated.
    pub deprecated: bool,
    /// Whether ATT&CK revoked it.
    pub revoked: bool,
    /// For a revoked technique: the final non-revoked technique replacing it (chains followed).
    pub revoked_by: Option<Str>,
    /// Detection strategies (`DET…` ids) that detect it.
    pub detection_strategies: Vec<Str>,
    /// Mitigations that apply to it.
    pub mitigations: Vec<MitigationRef>,
    /// Asset types (`A…` ids, sorted) it targets (ATT&CK for ICS `targets` relationships).
    pub asset_types: Vec<Str>,
}

impl Technique {
    /// Neither revoked nor deprecated.
    pub fn is_active(&self) -> bool {
        !self.revoked && !self.deprecated
    }

    /// Whether this is a sub-technique.
    pub fn is_subtechnique(&self) -> bool {
        self.parent.is_some()
    }
}

/// Where the knowledge that an actor uses a technique comes from.
///
/// In human-readable formats (JSON) it is internally tagged (`{"kind": "direct", …}`); in the
/// compact binary form, which cannot read internally tagged enums, it is externally tagged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum UseSource {
    /// The actor itself uses it (a `uses` relationship).
    Direct {
        /// The procedure example, cleaned and shortened.
        procedure: Str,
    },
    /// A campaign attributed to the group uses it.
    Campaign {
        /// Campaign id, e.g. `C0022`.
        id: Str,
        /// The campaign's procedure example, cleaned and shortened.
        procedure: Str,
    },
    /// Software the actor uses implements it.
    Software {
        /// Software id, e.g. `S0154`.
        id: Str,
    },
}

mod use_source_serde {
    use super::{Str, UseSource};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    #[serde(tag = "kind", rename_all = "lowercase")]
    enum TaggedRef<'a> {
        Direct { procedure: &'a str },
        Campaign { id: &'a str, procedure: &'a str },
        Software { id: &'a str },
    }

    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum PlainRef<'a> {
        Direct { procedure: &'a str },
        Campaign { id: &'a str, procedure: &'a str },
        Software { id: &'a str },
    }

    #[derive(Deserialize)]
    #[serde(tag = "kind", rename_all = "lowercase")]
    #[serde(bound(deserialize = "'de: 'static"))]
    enum Tagged {
        Direct { procedure: Str },
        Campaign { id: Str, procedure: Str },
        Software { id: Str },
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "lowercase")]
    #[serde(bound(deserialize = "'de: 'static"))]
    enum Plain {
        Direct { procedure: Str },
        Campaign { id: Str, procedure: Str },
        Software { id: Str },
    }

    impl Serialize for UseSource {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match (self, s.is_human_readable()) {
                (UseSource::Direct { procedure }, true) => {
                    TaggedRef::Direct { procedure }.serialize(s)
                }
                (UseSource::Campaign { id, procedure }, true) => {
                    TaggedRef::Campaign { id, procedure }.serialize(s)
                }
                (UseSource::Software { id }, true) => TaggedRef::Software { id }.serialize(s),
                (UseSource::Direct { procedure }, false) => {
                    PlainRef::Direct { procedure }.serialize(s)
                }
                (UseSource::Campaign { id, procedure }, false) => {
                    PlainRef::Campaign { id, procedure }.serialize(s)
                }
                (UseSource::Software { id }, false) => PlainRef::Software { id }.serialize(s),
            }
        }
    }

    impl<'de: 'static> Deserialize<'de> for UseSource {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Ok(if d.is_human_readable() {
                match Tagged::deserialize(d)? {
                    Tagged::Direct { procedure } => UseSource::Direct { procedure },
                    Tagged::Campaign { id, procedure } => UseSource::Campaign { id, procedure },
                    Tagged::Software { id } => UseSource::Software { id },
                }
            } else {
                match Plain::deserialize(d)? {
                    Plain::Direct { procedure } => UseSource::Direct { procedure },
                    Plain::Campaign { id, procedure } => UseSource::Campaign { id, procedure },
                    Plain::Software { id } => UseSource::Software { id },
                }
            })
        }
    }
}

/// One technique used by an actor, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct TechniqueUse {
    /// Technique id.
    pub technique: Str,
    /// Evidence, sorted (direct first, then campaigns, then software, each by id).
    pub sources: Vec<UseSource>,
    /// When ATT&CK recorded the direct use (`YYYY-MM-DD`, the latest `created` date of the
    /// active `uses` relationships from the actor itself to the technique); `None` when
    /// the use is only through campaigns or software, or the bundle has no dates.
    pub reported: Option<Str>,
}

/// An active threat group (intrusion set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct Group {
    /// ATT&CK id, e.g. `G0046`.
    pub id: Str,
    /// Display name, e.g. `FIN7`.
    pub name: Str,
    /// Other names, the name itself excluded.
    pub aliases: Vec<Str>,
    /// Short description (first paragraph, citations removed).
    pub description: Str,
    /// Techniques used directly or by campaigns attributed to the group (MITRE's semantics).
    pub techniques: Vec<TechniqueUse>,
    /// Software (`S…` ids) used by the group or its campaigns.
    pub software: Vec<Str>,
    /// Campaigns (`C…` ids) attributed to the group.
    pub campaigns: Vec<Str>,
    /// Techniques of the software used by the group or its campaigns.
    pub software_techniques: Vec<TechniqueUse>,
    /// Always false in a built catalog (kept for readers of the serialized form).
    pub deprecated: bool,
    /// Always false in a built catalog (kept for readers of the serialized form).
    pub revoked: bool,
}

/// A group that ATT&CK revoked or deprecated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct RetiredGroup {
    /// Its old ATT&CK id.
    pub id: Str,
    /// Its old name.
    pub name: Str,
    /// For a revoked group: the active group replacing it (chains followed).
    pub replaced_by: Option<Str>,
}

/// A piece of active software (malware or tool).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct Software {
    /// ATT&CK id, e.g. `S0154`.
    pub id: Str,
    /// Display name.
    pub name: Str,
    /// `malware` or `tool`.
    pub kind: Str,
    /// Other names, the name itself excluded.
    pub aliases: Vec<Str>,
    /// Platforms it runs on.
    pub platforms: Vec<Str>,
    /// Techniques it implements.
    pub techniques: Vec<TechniqueUse>,
}

/// An active campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct Campaign {
    /// ATT&CK id, e.g. `C0022`.
    pub id: Str,
    /// Display name.
    pub name: Str,
    /// Short description.
    pub description: Str,
    /// Groups (`G…` ids) it is attributed to.
    pub groups: Vec<Str>,
    /// Techniques it used.
    pub techniques: Vec<TechniqueUse>,
    /// Software (`S…` ids) it used.
    pub software: Vec<Str>,
    /// First seen (STIX timestamp), if known.
    pub first_seen: Option<Str>,
    /// Last seen (STIX timestamp), if known.
    pub last_seen: Option<Str>,
}

/// An active mitigation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct Mitigation {
    /// ATT&CK id, e.g. `M1036`.
    pub id: Str,
    /// Display name.
    pub name: Str,
    /// Short description.
    pub description: Str,
}

/// A detection strategy (v18+): a set of analytics that detect some techniques.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct DetectionStrategy {
    /// ATT&CK id, e.g. `DET0103`.
    pub id: Str,
    /// Display name.
    pub name: Str,
    /// Analytics (`AN…` ids), in the order ATT&CK lists them.
    pub analytics: Vec<Str>,
    /// Techniques it detects.
    pub techniques: Vec<Str>,
}

/// One log source an analytic reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct LogSource {
    /// Data component id, e.g. `DC0001` (empty if the bundle names an unknown component).
    pub data_component: Str,
    /// Log name, e.g. `WinEventLog:Security`.
    pub name: Str,
    /// Channel or event, e.g. `EventCode=5140`.
    pub channel: Str,
}

/// An analytic (v18+): one platform's concrete detection logic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct Analytic {
    /// ATT&CK id, e.g. `AN0110`.
    pub id: Str,
    /// Display name.
    pub name: Str,
    /// Platforms it applies to.
    pub platforms: Vec<Str>,
    /// Short description.
    pub description: Str,
    /// Log sources it reads.
    pub log_sources: Vec<LogSource>,
}

/// An active data component: a kind of telemetry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct DataComponent {
    /// ATT&CK id, e.g. `DC0001`.
    pub id: Str,
    /// Display name.
    pub name: Str,
    /// Short description.
    pub description: Str,
}

/// An ATT&CK for ICS asset (STIX `x-mitre-asset`): a kind of device or system techniques
/// target. threatc calls them *asset types*, as a model's assets are the team's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct AssetType {
    /// ATT&CK id, e.g. `A0010`.
    pub id: Str,
    /// Display name, e.g. `Safety Controller`.
    pub name: Str,
    /// Short description.
    pub description: Str,
    /// Platforms ATT&CK gives it (`Embedded`, `Windows`…; informative: ICS techniques name
    /// none).
    pub platforms: Vec<Str>,
    /// Sectors ATT&CK gives it (`General`, `Electric`…).
    pub sectors: Vec<Str>,
    /// Names of related assets ATT&CK lists under it (`Safety Instrumented System (SIS)
    /// controller`, `Engineering Workstation (EWS)`), in ATT&CK's order.
    pub related: Vec<Str>,
}

impl AssetType {
    /// The names a model may call it by (besides its id), lower-cased: its name and, when
    /// it holds a parenthesised abbreviation, shorter forms ([`name_forms`]:
    /// `Human-Machine Interface (HMI)`: `hmi`, `human-machine interface`).
    pub fn own_names(&self) -> Vec<String> {
        name_forms(&self.name)
    }

    /// The same forms of its related assets' names (`Engineering Workstation (EWS)` of
    /// `A0001` Workstation: `engineering workstation`, `ews`).
    pub fn related_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.related {
            for f in name_forms(r) {
                if !out.contains(&f) {
                    out.push(f);
                }
            }
        }
        out
    }
}

/// A name's forms, lower-cased, whitespace collapsed, without duplicates: the name; with a
/// `(…)` part, also what is inside, the name without it, what comes before it, and the
/// abbreviation with what follows (`Distributed Control System (DCS) Controller`: `dcs`,
/// `distributed control system controller`, `distributed control system`, `dcs controller`).
fn name_forms(name: &str) -> Vec<String> {
    let clean = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let mut out = vec![clean(name)];
    if let Some((before, rest)) = name.split_once('(') {
        if let Some((inside, after)) = rest.split_once(')') {
            for f in [
                clean(inside),
                clean(&format!("{before} {after}")),
                clean(before),
                clean(&format!("{inside} {after}")),
            ] {
                if !f.is_empty() && !out.contains(&f) {
                    out.push(f);
                }
            }
        }
    }
    out
}
