//! The STIX reader: an ATT&CK STIX bundle (2.0 as in mitre/cti, or 2.1 as in attack-stix-data)
//! to a typed [`Catalog`]. The only module that knows STIX.
//!
//! Objects are deserialized into one flat, lenient struct that ignores unknown fields, which is
//! several times faster than `serde_json::Value` on the 33 MB Enterprise bundle.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::{Deserialize, Deserializer};

use super::error::CatalogError;
use super::model::*;
use super::text;
use super::Str;

/// Source names whose `external_id` is an ATT&CK id.
const ATTACK_SOURCES: [&str; 3] = ["mitre-attack", "mitre-mobile-attack", "mitre-ics-attack"];

/// Reads an ATT&CK STIX bundle into a catalog.
///
/// `release` names the ATT&CK release (e.g. `"18.1"`); without it, the bundle's
/// `x-mitre-collection` object must say it, else [`CatalogError::UnknownRelease`].
pub fn read_bundle(bytes: &[u8], release: Option<&str>) -> Result<Catalog, CatalogError> {
    read_with_fallback(bytes, release, None)
}

/// Reads a bundle file (for `--attack-data FILE`). The release comes from `release`, else the
/// bundle's collection object, else the file name (see [`release_from_file_name`]).
///
/// The file is one the operator named (`--attack-data`): it may lie anywhere, but when it
/// lies inside a repository it must resolve inside it ([`crate::fsio::Confine::named`]).
pub fn load_bundle_file(path: &Path, release: Option<&str>) -> Result<Catalog, CatalogError> {
    load_bundle_confined(path, release, &crate::fsio::Confine::named(path))
}

/// Largest ATT&CK bundle read (bytes); Enterprise 18.1 is 33 MB.
pub const MAX_BUNDLE_BYTES: u64 = 512 * 1024 * 1024;

/// [`load_bundle_file`] for a file a model names (`attack.data`): read through the
/// confined opener, so it must lie under the model's repository root.
pub fn load_bundle_confined(
    path: &Path,
    release: Option<&str>,
    confine: &crate::fsio::Confine,
) -> Result<Catalog, CatalogError> {
    let opened = crate::fsio::read(path, confine, MAX_BUNDLE_BYTES).map_err(|refusal| {
        CatalogError::Refused {
            path: path.to_path_buf(),
            refusal,
        }
    })?;
    let from_name = release_from_file_name(path);
    read_with_fallback(&opened.bytes, release, from_name.as_deref())
}

/// The release a file name states: `enterprise-attack-18.1.json` → `18.1`,
/// `enterprise-attack-v19.0.json` → `19.0`, `ics-attack-17.json` → `17`.
pub fn release_from_file_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".json").unwrap_or(name);
    let (_, tail) = stem.rsplit_once('-')?;
    let version = tail
        .strip_prefix('v')
        .or_else(|| tail.strip_prefix('V'))
        .unwrap_or(tail);
    let mut parts = version.split('.');
    let valid = !version.is_empty()
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && version.split('.').count() <= 3;
    valid.then(|| version.to_string())
}

fn read_with_fallback(
    bytes: &[u8],
    release: Option<&str>,
    fallback: Option<&str>,
) -> Result<Catalog, CatalogError> {
    let bundle: RawBundle = serde_json::from_slice(bytes).map_err(json_error)?;
    if bundle.kind.as_deref() != Some("bundle") {
        let found = match bundle.kind.as_deref() {
            None => "no `type` field".to_string(),
            Some(k) if is_plain_word(k) => format!("`{k}`"),
            Some(_) => "another value".to_string(),
        };
        return Err(CatalogError::NotABundle {
            message: format!("expected `\"type\": \"bundle\"`, found {found}"),
        });
    }
    let objects = bundle.objects.ok_or_else(|| CatalogError::NotABundle {
        message: "the bundle has no `objects` array".to_string(),
    })?;
    if !objects
        .iter()
        .any(|o| o.kind == "attack-pattern" || o.kind == "x-mitre-tactic")
    {
        return Err(CatalogError::NoAttackObjects);
    }
    let collection_release = objects
        .iter()
        .find(|o| o.kind == "x-mitre-collection")
        .and_then(|o| o.x_mitre_version.clone());
    let release = release
        .map(str::to_string)
        .or(collection_release)
        .or_else(|| fallback.map(str::to_string))
        .ok_or(CatalogError::UnknownRelease)?;
    Builder::new(&objects).build(release)
}

/// serde_json's message with every quoted value replaced by `…`: a bundle may be any file
/// (a link to a secret, a config file), so its values are never echoed.
fn redact_quoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut open: Option<char> = None;
    for ch in msg.chars() {
        match open {
            Some(q) if ch == q => {
                out.push('…');
                out.push(ch);
                open = None;
            }
            Some(_) => {}
            None if ch == '"' || ch == '`' => {
                out.push(ch);
                open = Some(ch);
            }
            None => out.push(ch),
        }
    }
    if open.is_some() {
        out.push('…');
    }
    out
}

/// A short lowercase word such as a STIX type or domain name: safe to echo (a token or
/// password from a file that is not a bundle is not).
fn is_plain_word(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn json_error(err: serde_json::Error) -> CatalogError {
    use serde_json::error::Category;
    let message = redact_quoted(&err.to_string());
    match err.classify() {
        Category::Syntax | Category::Eof => CatalogError::NotJson {
            message,
            line: err.line(),
            column: err.column(),
        },
        Category::Data | Category::Io => CatalogError::NotABundle { message },
    }
}

// ---------------------------------------------------------------------------------------------
// Raw STIX shapes

/// `null` and absent both mean the default.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct RawBundle {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    objects: Option<Vec<RawObject>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawObject {
    #[serde(rename = "type", deserialize_with = "nullable")]
    kind: String,
    #[serde(deserialize_with = "nullable")]
    id: String,
    name: Option<String>,
    description: Option<String>,
    revoked: Option<bool>,
    x_mitre_deprecated: Option<bool>,
    #[serde(deserialize_with = "nullable")]
    external_references: Vec<RawExternalRef>,
    #[serde(deserialize_with = "nullable")]
    kill_chain_phases: Vec<RawKillChainPhase>,
    #[serde(deserialize_with = "nullable")]
    x_mitre_platforms: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    aliases: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    x_mitre_aliases: Vec<String>,
    x_mitre_shortname: Option<String>,
    #[serde(deserialize_with = "nullable")]
    tactic_refs: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    x_mitre_domains: Vec<String>,
    relationship_type: Option<String>,
    source_ref: Option<String>,
    target_ref: Option<String>,
    #[serde(deserialize_with = "nullable")]
    x_mitre_analytic_refs: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    x_mitre_log_source_references: Vec<RawLogSourceRef>,
    first_seen: Option<String>,
    last_seen: Option<String>,
    created: Option<String>,
    x_mitre_version: Option<String>,
    #[serde(deserialize_with = "nullable")]
    x_mitre_sectors: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    x_mitre_related_assets: Vec<RawRelatedAsset>,
}

impl RawObject {
    fn is_active(&self) -> bool {
        !self.revoked.unwrap_or(false) && !self.x_mitre_deprecated.unwrap_or(false)
    }

    /// The ATT&CK id (`T1003`, `G0046`, `enterprise-attack` for a matrix, …).
    fn attack_id(&self) -> Option<&str> {
        self.external_references
            .iter()
            .find(|r| {
                r.source_name
                    .as_deref()
                    .is_some_and(|s| ATTACK_SOURCES.contains(&s))
                    && r.external_id.is_some()
            })
            .and_then(|r| r.external_id.as_deref())
    }

    fn name(&self) -> String {
        self.name.clone().unwrap_or_default()
    }

    fn short_description(&self) -> String {
        self.description
            .as_deref()
            .map(text::description)
            .unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawExternalRef {
    source_name: Option<String>,
    external_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawKillChainPhase {
    kill_chain_name: Option<String>,
    phase_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawRelatedAsset {
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawLogSourceRef {
    x_mitre_data_component_ref: Option<String>,
    name: Option<String>,
    channel: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Building the catalog

/// A `uses` edge target with its procedure text.
struct Use<'a> {
    target: &'a RawObject,
    procedure: String,
    /// The relationship's `created` date (`YYYY-MM-DD`).
    created: Option<&'a str>,
}

struct Builder<'a> {
    objects: &'a [RawObject],
    by_stix_id: HashMap<&'a str, &'a RawObject>,
    /// Active relationships, by type.
    uses: HashMap<&'a str, Vec<Use<'a>>>,
    attributed_to: HashMap<&'a str, Vec<&'a RawObject>>,
    revoked_by: HashMap<&'a str, &'a str>,
}

impl<'a> Builder<'a> {
    fn new(objects: &'a [RawObject]) -> Builder<'a> {
        let by_stix_id: HashMap<&str, &RawObject> = objects
            .iter()
            .filter(|o| !o.id.is_empty())
            .map(|o| (o.id.as_str(), o))
            .collect();
        let mut uses: HashMap<&str, Vec<Use>> = HashMap::new();
        let mut attributed_to: HashMap<&str, Vec<&RawObject>> = HashMap::new();
        let mut revoked_by = HashMap::new();
        for rel in objects.iter().filter(|o| o.kind == "relationship") {
            let (Some(kind), Some(src), Some(dst)) = (
                rel.relationship_type.as_deref(),
                rel.source_ref.as_deref(),
                rel.target_ref.as_deref(),
            ) else {
                continue;
            };
            if kind == "revoked-by" {
                revoked_by.insert(src, dst);
                continue;
            }
            if !rel.is_active() {
                continue;
            }
            let Some(target) = by_stix_id.get(dst).copied() else {
                continue;
            };
            match kind {
                "uses" => uses.entry(src).or_default().push(Use {
                    target,
                    created: rel.created.as_deref().and_then(|c| c.get(..10)),
                    procedure: rel
                        .description
                        .as_deref()
                        .map(text::procedure)
                        .unwrap_or_default(),
                }),
                "attributed-to" => attributed_to.entry(src).or_default().push(target),
                _ => {}
            }
        }
        Builder {
            objects,
            by_stix_id,
            uses,
            attributed_to,
            revoked_by,
        }
    }

    fn of_type(&self, kind: &'a str) -> impl Iterator<Item = &'a RawObject> + 'a {
        self.objects.iter().filter(move |o| o.kind == kind)
    }

    /// Active objects of one type that have an ATT&CK id.
    fn active(&self, kinds: &'a [&'a str]) -> impl Iterator<Item = (&'a str, &'a RawObject)> + 'a {
        self.objects
            .iter()
            .filter(move |o| kinds.contains(&o.kind.as_str()) && o.is_active())
            .filter_map(|o| o.attack_id().map(|id| (id, o)))
    }

    /// Follows `revoked-by` from `stix_id` to the last object of the chain.
    fn final_replacement(&self, stix_id: &str) -> Option<&'a RawObject> {
        let mut current = *self.revoked_by.get(stix_id)?;
        for _ in 0..64 {
            match self.revoked_by.get(current) {
                Some(next) if *next != current => current = next,
                _ => break,
            }
        }
        self.by_stix_id.get(current).copied()
    }

    fn uses_of(&self, stix_id: &str) -> &[Use<'a>] {
        self.uses.get(stix_id).map_or(&[], Vec::as_slice)
    }

    /// Active techniques used by `stix_id`, with procedures.
    fn technique_uses(&self, stix_id: &str) -> impl Iterator<Item = (&'a str, &Use<'a>)> + '_ {
        self.uses_of(stix_id)
            .iter()
            .filter(|u| u.target.kind == "attack-pattern" && u.target.is_active())
            .filter_map(|u| u.target.attack_id().map(|id| (id, u)))
    }

    /// Active software used by `stix_id`.
    fn software_uses(&self, stix_id: &str) -> impl Iterator<Item = &'a RawObject> + '_ {
        self.uses_of(stix_id)
            .iter()
            .map(|u| u.target)
            .filter(|t| (t.kind == "malware" || t.kind == "tool") && t.is_active())
            .filter(|t| t.attack_id().is_some())
    }

    fn detect_domain(&self) -> Result<Domain, CatalogError> {
        let mut first_found = None;
        for matrix in self.of_type("x-mitre-matrix") {
            if let Some(id) = matrix.attack_id() {
                match id.parse::<Domain>() {
                    Ok(d) => return Ok(d),
                    Err(_) => first_found = first_found.or(Some(id.to_string())),
                }
            }
        }
        let mut votes: BTreeMap<Domain, usize> = BTreeMap::new();
        for o in self
            .of_type("attack-pattern")
            .chain(self.of_type("x-mitre-tactic"))
        {
            for d in &o.x_mitre_domains {
                match d.parse::<Domain>() {
                    Ok(d) => *votes.entry(d).or_default() += 1,
                    Err(_) => first_found = first_found.or(Some(d.clone())),
                }
            }
            for k in &o.kill_chain_phases {
                if let Some(d) = Domain::all()
                    .into_iter()
                    .find(|d| k.kill_chain_name.as_deref() == Some(d.kill_chain_name()))
                {
                    *votes.entry(d).or_default() += 1;
                }
            }
        }
        votes
            .into_iter()
            .max_by_key(|(d, n)| (*n, std::cmp::Reverse(*d)))
            .map(|(d, _)| d)
            .ok_or(CatalogError::UnknownDomain {
                found: first_found.filter(|f| is_plain_word(f)),
            })
    }

    fn build(&self, release: String) -> Result<Catalog, CatalogError> {
        let domain = self.detect_domain()?;
        let tactics = self.tactics(domain);
        let techniques = self.techniques(&tactics);
        let platforms: BTreeSet<Str> = techniques
            .iter()
            .filter(|t| t.is_active())
            .flat_map(|t| t.platforms.iter())
            .filter(|p| p.as_str() != "None")
            .cloned()
            .collect();
        let (groups, retired_groups) = self.groups();
        let data = CatalogData {
            domain,
            release: release.into(),
            tactics,
            techniques,
            groups,
            retired_groups,
            software: self.software(),
            campaigns: self.campaigns(),
            mitigations: sorted(
                self.active(&["course-of-action"])
                    .map(|(id, o)| Mitigation {
                        id: id.into(),
                        name: o.name().into(),
                        description: o.short_description().into(),
                    })
                    .collect(),
                |m| &m.id,
            ),
            detection_strategies: self.detection_strategies(),
            analytics: self.analytics(),
            data_components: sorted(
                self.active(&["x-mitre-data-component"])
                    .map(|(id, o)| DataComponent {
                        id: id.into(),
                        name: o.name().into(),
                        description: o.short_description().into(),
                    })
                    .collect(),
                |d| &d.id,
            ),
            asset_types: self.asset_types(),
            platforms: platforms.into_iter().collect(),
        };
        Ok(Catalog::new(data))
    }

    fn tactics(&self, domain: Domain) -> Vec<Tactic> {
        let mut matrices: Vec<&RawObject> = self.of_type("x-mitre-matrix").collect();
        // The domain's own, non-deprecated matrix first; others only add tactics not yet seen.
        matrices.sort_by_key(|m| {
            (
                !m.is_active(),
                m.attack_id() != Some(domain.stix_name()),
                std::cmp::Reverse(m.tactic_refs.len()),
                m.id.as_str(),
            )
        });
        let mut order: Vec<&RawObject> = Vec::new();
        let mut seen = BTreeSet::new();
        let refs = matrices
            .iter()
            .flat_map(|m| m.tactic_refs.iter())
            .filter_map(|r| self.by_stix_id.get(r.as_str()).copied());
        let mut rest: Vec<&RawObject> = self.of_type("x-mitre-tactic").collect();
        rest.sort_by_key(|t| t.attack_id());
        for tactic in refs.chain(rest) {
            if tactic.kind == "x-mitre-tactic" && seen.insert(tactic.id.as_str()) {
                order.push(tactic);
            }
        }
        // Active tactics keep matrix order; deprecated ones go last.
        order.sort_by_key(|t| !t.is_active());
        order
            .into_iter()
            .filter_map(|t| {
                Some(Tactic {
                    id: t.attack_id()?.into(),
                    name: t.name().into(),
                    shortname: t.x_mitre_shortname.clone()?.into(),
                    deprecated: !t.is_active(),
                })
            })
            .collect()
    }

    /// Technique STIX id → detection strategy ids, and → mitigations with their notes.
    #[allow(clippy::type_complexity)]
    fn detections_and_mitigations(
        &self,
    ) -> (
        HashMap<&'a str, BTreeSet<&'a str>>,
        HashMap<&'a str, BTreeSet<(&'a str, String)>>,
    ) {
        let mut detections: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        let mut mitigations: HashMap<&str, BTreeSet<(&str, String)>> = HashMap::new();
        for rel in self.of_type("relationship").filter(|r| r.is_active()) {
            let (Some(kind), Some(src), Some(dst)) = (
                rel.relationship_type.as_deref(),
                rel.source_ref.as_deref(),
                rel.target_ref.as_deref(),
            ) else {
                continue;
            };
            let Some(source) = self.by_stix_id.get(src).filter(|s| s.is_active()) else {
                continue;
            };
            let Some(source_id) = source.attack_id() else {
                continue;
            };
            match (kind, source.kind.as_str()) {
                ("detects", "x-mitre-detection-strategy") => {
                    detections.entry(dst).or_default().insert(source_id);
                }
                ("mitigates", "course-of-action") => {
                    let note = rel
                        .description
                        .as_deref()
                        .map(text::procedure)
                        .unwrap_or_default();
                    mitigations
                        .entry(dst)
                        .or_default()
                        .insert((source_id, note));
                }
                _ => {}
            }
        }
        (detections, mitigations)
    }

    fn techniques(&self, tactics: &[Tactic]) -> Vec<Technique> {
        let tactic_pos: HashMap<&str, usize> = tactics
            .iter()
            .enumerate()
            .map(|(i, t)| (t.shortname.as_str(), i))
            .collect();
        let (mut detections, mut mitigations) = self.detections_and_mitigations();
        let mut targets = self.targets();
        let mut out: Vec<Technique> = self
            .of_type("attack-pattern")
            .filter_map(|o| {
                let id = o.attack_id()?;
                let mut phases: Vec<&str> = o
                    .kill_chain_phases
                    .iter()
                    .filter(|k| {
                        k.kill_chain_name
                            .as_deref()
                            .is_some_and(|n| n.starts_with("mitre-"))
                    })
                    .filter_map(|k| k.phase_name.as_deref())
                    .collect();
                phases.sort_by_key(|p| (tactic_pos.get(p).copied().unwrap_or(usize::MAX), *p));
                phases.dedup();
                let revoked = o.revoked.unwrap_or(false);
                let revoked_by = if revoked {
                    self.final_replacement(&o.id)
                        .filter(|r| !r.revoked.unwrap_or(false))
                        .and_then(|r| r.attack_id())
                        .map(str::to_string)
                } else {
                    None
                };
                let mut mits: Vec<MitigationRef> = Vec::new();
                for (mid, note) in mitigations.remove(o.id.as_str()).unwrap_or_default() {
                    // Several relationships for one pair: keep the first text.
                    if mits.last().is_none_or(|m| m.id != mid) {
                        mits.push(MitigationRef {
                            id: mid.into(),
                            text: note.into(),
                        });
                    }
                }
                Some(Technique {
                    id: id.into(),
                    name: o.name().into(),
                    tactics: phases.into_iter().map(Str::from).collect(),
                    platforms: strs(&o.x_mitre_platforms),
                    parent: id
                        .split_once('.')
                        .map(|(p, _)| p.to_string())
                        .map(Str::from),
                    deprecated: o.x_mitre_deprecated.unwrap_or(false),
                    revoked,
                    revoked_by: revoked_by.map(Str::from),
                    detection_strategies: detections
                        .remove(o.id.as_str())
                        .unwrap_or_default()
                        .into_iter()
                        .map(Str::from)
                        .collect(),
                    mitigations: mits,
                    asset_types: targets
                        .remove(o.id.as_str())
                        .unwrap_or_default()
                        .into_iter()
                        .map(Str::from)
                        .collect(),
                })
            })
            .collect();
        // Revoked duplicates of an id (should not happen) sort after active ones and are dropped.
        out.sort_by(|a, b| a.id.cmp(&b.id).then(a.revoked.cmp(&b.revoked)));
        out.dedup_by(|b, a| a.id == b.id);
        out
    }

    /// `uses` with when ATT&CK recorded the direct use of each technique by `stix_id`
    /// (the latest `created` date of its relationships to it).
    fn dated(&self, stix_id: &str, uses: Vec<TechniqueUse>) -> Vec<TechniqueUse> {
        let mut latest: HashMap<&str, &str> = HashMap::new();
        for (tid, u) in self.technique_uses(stix_id) {
            if let Some(c) = u.created {
                let e = latest.entry(tid).or_insert(c);
                if c > *e {
                    *e = c;
                }
            }
        }
        uses.into_iter()
            .map(|mut u| {
                u.reported = latest
                    .get(u.technique.as_str())
                    .map(|d| d.to_string())
                    .map(Str::from);
                u
            })
            .collect()
    }

    /// Direct technique uses of an actor.
    fn direct_uses(&self, stix_id: &str, into: &mut BTreeMap<String, BTreeSet<UseSource>>) {
        for (tid, u) in self.technique_uses(stix_id) {
            into.entry(tid.to_string())
                .or_default()
                .insert(UseSource::Direct {
                    procedure: u.procedure.clone().into(),
                });
        }
    }

    fn groups(&self) -> (Vec<Group>, Vec<RetiredGroup>) {
        // Campaign STIX ids attributed to each group STIX id (active campaigns only).
        let mut campaigns_of: HashMap<&str, Vec<&RawObject>> = HashMap::new();
        for campaign in self.of_type("campaign").filter(|c| c.is_active()) {
            for group in self
                .attributed_to
                .get(campaign.id.as_str())
                .into_iter()
                .flatten()
            {
                campaigns_of
                    .entry(group.id.as_str())
                    .or_default()
                    .push(campaign);
            }
        }
        let mut groups = Vec::new();
        let mut retired = Vec::new();
        for o in self.of_type("intrusion-set") {
            let Some(id) = o.attack_id() else { continue };
            if !o.is_active() {
                let replaced_by = self
                    .final_replacement(&o.id)
                    .filter(|r| r.is_active() && r.kind == "intrusion-set")
                    .and_then(|r| r.attack_id())
                    .map(str::to_string);
                retired.push(RetiredGroup {
                    id: id.into(),
                    name: o.name().into(),
                    replaced_by: replaced_by.map(Str::from),
                });
                continue;
            }
            let campaigns: &[&RawObject] =
                campaigns_of.get(o.id.as_str()).map_or(&[], Vec::as_slice);
            let mut techniques = BTreeMap::new();
            self.direct_uses(&o.id, &mut techniques);
            let mut software: BTreeMap<&str, &RawObject> = self
                .software_uses(&o.id)
                .filter_map(|s| Some((s.attack_id()?, s)))
                .collect();
            let mut campaign_ids = BTreeSet::new();
            for c in campaigns {
                let Some(cid) = c.attack_id() else { continue };
                campaign_ids.insert(cid.to_string());
                for (tid, u) in self.technique_uses(&c.id) {
                    techniques
                        .entry(tid.to_string())
                        .or_default()
                        .insert(UseSource::Campaign {
                            id: cid.into(),
                            procedure: u.procedure.clone().into(),
                        });
                }
                software.extend(
                    self.software_uses(&c.id)
                        .filter_map(|s| Some((s.attack_id()?, s))),
                );
            }
            let mut software_techniques: BTreeMap<String, BTreeSet<UseSource>> = BTreeMap::new();
            for (sid, s) in &software {
                for (tid, _) in self.technique_uses(&s.id) {
                    software_techniques
                        .entry(tid.to_string())
                        .or_default()
                        .insert(UseSource::Software { id: (*sid).into() });
                }
            }
            groups.push(Group {
                id: id.into(),
                name: o.name().into(),
                aliases: aliases(o, &o.aliases).into_iter().map(Str::from).collect(),
                description: o.short_description().into(),
                techniques: self.dated(&o.id, to_uses(techniques)),
                software: software.keys().map(|s| Str::from(s.to_string())).collect(),
                campaigns: campaign_ids.into_iter().map(Str::from).collect(),
                software_techniques: to_uses(software_techniques),
                deprecated: false,
                revoked: false,
            });
        }
        (sorted(groups, |g| &g.id), sorted(retired, |g| &g.id))
    }

    fn software(&self) -> Vec<Software> {
        let software = self
            .active(&["malware", "tool"])
            .map(|(id, o)| {
                let mut techniques = BTreeMap::new();
                self.direct_uses(&o.id, &mut techniques);
                Software {
                    id: id.into(),
                    name: o.name().into(),
                    kind: o.kind.clone().into(),
                    aliases: aliases(o, &o.x_mitre_aliases)
                        .into_iter()
                        .map(Str::from)
                        .collect(),
                    platforms: strs(&o.x_mitre_platforms),
                    techniques: self.dated(&o.id, to_uses(techniques)),
                }
            })
            .collect();
        sorted(software, |s| &s.id)
    }

    fn campaigns(&self) -> Vec<Campaign> {
        let campaigns = self
            .active(&["campaign"])
            .map(|(id, o)| {
                let mut techniques = BTreeMap::new();
                self.direct_uses(&o.id, &mut techniques);
                let groups: BTreeSet<String> = self
                    .attributed_to
                    .get(o.id.as_str())
                    .into_iter()
                    .flatten()
                    .filter(|g| g.kind == "intrusion-set" && g.is_active())
                    .filter_map(|g| g.attack_id().map(str::to_string))
                    .collect();
                let software: BTreeSet<String> = self
                    .software_uses(&o.id)
                    .filter_map(|s| s.attack_id().map(str::to_string))
                    .collect();
                Campaign {
                    id: id.into(),
                    name: o.name().into(),
                    description: o.short_description().into(),
                    groups: groups.into_iter().map(Str::from).collect(),
                    techniques: self.dated(&o.id, to_uses(techniques)),
                    software: software.into_iter().map(Str::from).collect(),
                    first_seen: o.first_seen.clone().map(Str::from),
                    last_seen: o.last_seen.clone().map(Str::from),
                }
            })
            .collect();
        sorted(campaigns, |c| &c.id)
    }

    fn detection_strategies(&self) -> Vec<DetectionStrategy> {
        let mut detects: HashMap<&str, BTreeSet<String>> = HashMap::new();
        for rel in self.of_type("relationship").filter(|r| r.is_active()) {
            if rel.relationship_type.as_deref() != Some("detects") {
                continue;
            }
            let (Some(src), Some(dst)) = (rel.source_ref.as_deref(), rel.target_ref.as_deref())
            else {
                continue;
            };
            if let Some(tid) = self
                .by_stix_id
                .get(dst)
                .filter(|t| t.kind == "attack-pattern")
                .and_then(|t| t.attack_id())
            {
                detects.entry(src).or_default().insert(tid.to_string());
            }
        }
        let strategies = self
            .active(&["x-mitre-detection-strategy"])
            .map(|(id, o)| {
                let mut analytics: Vec<String> = Vec::new();
                for r in &o.x_mitre_analytic_refs {
                    let an = self
                        .by_stix_id
                        .get(r.as_str())
                        .filter(|a| a.kind == "x-mitre-analytic" && a.is_active())
                        .and_then(|a| a.attack_id());
                    if let Some(an) = an {
                        if !analytics.iter().any(|x| x == an) {
                            analytics.push(an.to_string());
                        }
                    }
                }
                DetectionStrategy {
                    id: id.into(),
                    name: o.name().into(),
                    analytics: analytics.into_iter().map(Str::from).collect(),
                    techniques: detects
                        .remove(o.id.as_str())
                        .unwrap_or_default()
                        .into_iter()
                        .map(Str::from)
                        .collect(),
                }
            })
            .collect();
        sorted(strategies, |d| &d.id)
    }

    /// Technique STIX id → the active asset types (`A…` ids) its active `targets`
    /// relationships name.
    fn targets(&self) -> HashMap<&'a str, BTreeSet<&'a str>> {
        let mut targets: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for rel in self.of_type("relationship").filter(|r| r.is_active()) {
            if rel.relationship_type.as_deref() != Some("targets") {
                continue;
            }
            let (Some(src), Some(dst)) = (rel.source_ref.as_deref(), rel.target_ref.as_deref())
            else {
                continue;
            };
            let asset = self
                .by_stix_id
                .get(dst)
                .filter(|a| a.kind == "x-mitre-asset" && a.is_active())
                .and_then(|a| a.attack_id());
            if let Some(asset) = asset {
                targets.entry(src).or_default().insert(asset);
            }
        }
        targets
    }

    fn asset_types(&self) -> Vec<AssetType> {
        let assets = self
            .active(&["x-mitre-asset"])
            .map(|(id, o)| {
                let mut related: Vec<String> = Vec::new();
                for name in o
                    .x_mitre_related_assets
                    .iter()
                    .filter_map(|r| r.name.as_deref())
                {
                    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !name.is_empty() && !related.contains(&name) {
                        related.push(name);
                    }
                }
                AssetType {
                    id: id.into(),
                    name: o.name().into(),
                    description: o.short_description().into(),
                    platforms: strs(&o.x_mitre_platforms),
                    sectors: strs(&o.x_mitre_sectors),
                    related: related.into_iter().map(Str::from).collect(),
                }
            })
            .collect();
        sorted(assets, |a| &a.id)
    }

    fn analytics(&self) -> Vec<Analytic> {
        let analytics = self
            .active(&["x-mitre-analytic"])
            .map(|(id, o)| Analytic {
                id: id.into(),
                name: o.name().into(),
                platforms: strs(&o.x_mitre_platforms),
                description: o.short_description().into(),
                log_sources: o
                    .x_mitre_log_source_references
                    .iter()
                    .map(|l| LogSource {
                        data_component: (l
                            .x_mitre_data_component_ref
                            .as_deref()
                            .and_then(|r| self.by_stix_id.get(r))
                            .and_then(|dc| dc.attack_id())
                            .unwrap_or_default()
                            .to_string())
                        .into(),
                        name: l.name.clone().unwrap_or_default().into(),
                        channel: l.channel.clone().unwrap_or_default().into(),
                    })
                    .collect(),
            })
            .collect();
        sorted(analytics, |a| &a.id)
    }
}

fn aliases(o: &RawObject, list: &[String]) -> Vec<String> {
    let name = o.name.as_deref().unwrap_or_default();
    let mut seen = BTreeSet::new();
    list.iter()
        .filter(|a| a.as_str() != name && seen.insert(a.as_str()))
        .cloned()
        .collect()
}

fn to_uses(map: BTreeMap<String, BTreeSet<UseSource>>) -> Vec<TechniqueUse> {
    map.into_iter()
        .map(|(technique, sources)| TechniqueUse {
            technique: technique.into(),
            sources: sources.into_iter().collect(),
            reported: None,
        })
        .collect()
}

/// Owned catalog texts from a bundle's strings.
fn strs(v: &[String]) -> Vec<Str> {
    v.iter().map(|s| Str::from(s.as_str())).collect()
}

fn sorted<T>(mut items: Vec<T>, key: impl Fn(&T) -> &str) -> Vec<T> {
    items.sort_by(|a, b| key(a).cmp(key(b)));
    items.dedup_by(|b, a| key(a) == key(b));
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_from_names() {
        let r = |s: &str| release_from_file_name(Path::new(s));
        assert_eq!(r("enterprise-attack-18.1.json").as_deref(), Some("18.1"));
        assert_eq!(
            r("/x/enterprise-attack-v19.0.json").as_deref(),
            Some("19.0")
        );
        assert_eq!(r("ics-attack-17.json").as_deref(), Some("17"));
        assert_eq!(r("enterprise-attack.json"), None);
        assert_eq!(r("enterprise-attack-.json"), None);
        assert_eq!(r("enterprise-attack-1..2.json"), None);
    }

    #[test]
    fn not_a_bundle() {
        for input in [
            &b"[1,2]"[..],
            b"{\"type\":\"x\"}",
            b"{\"type\":\"bundle\"}",
            b"42",
        ] {
            let err = read_bundle(input, Some("1")).err();
            assert!(
                matches!(err, Some(CatalogError::NotABundle { .. })),
                "{err:?}"
            );
        }
        let err = read_bundle(b"{\"type\":", Some("1")).err();
        assert!(
            matches!(err, Some(CatalogError::NotJson { line: 1, .. })),
            "{err:?}"
        );
        let err = read_bundle(b"{\"type\":\"bundle\",\"objects\":[]}", Some("1")).err();
        assert!(
            matches!(err, Some(CatalogError::NoAttackObjects)),
            "{err:?}"
        );
    }
}
