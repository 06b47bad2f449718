//! Questions the rest of the compiler asks the catalog. Ids and names are matched
//! case-insensitively; "did you mean" suggestions use string similarity.

use std::collections::HashMap;

use super::index::{id_key, name_key};
use super::model::*;
use super::Str;

/// The outcome of looking a group up by name, alias or id, retired groups included.
#[derive(Debug, Clone, Copy)]
pub enum GroupLookup<'a> {
    /// An active group.
    Active(&'a Group),
    /// A revoked group and the active group that replaced it.
    Replaced {
        /// The revoked group as the data names it.
        retired: &'a RetiredGroup,
        /// Its replacement.
        by: &'a Group,
    },
    /// A deprecated (or revoked without replacement) group.
    Retired(&'a RetiredGroup),
}

fn get<'a, T>(items: &'a [T], index: &HashMap<String, usize>, id: &str) -> Option<&'a T> {
    index.get(&id_key(id)).and_then(|&i| items.get(i))
}

fn get_by_name<'a, T>(items: &'a [T], index: &HashMap<String, usize>, name: &str) -> Option<&'a T> {
    index.get(&name_key(name)).and_then(|&i| items.get(i))
}

/// Anything `threatc attack show` can show.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    /// A group (retired ones through [`Catalog::find_group`] only).
    Group(&'a Group),
    /// A technique or sub-technique.
    Technique(&'a Technique),
    /// A piece of software.
    Software(&'a Software),
    /// A campaign.
    Campaign(&'a Campaign),
    /// A mitigation.
    Mitigation(&'a Mitigation),
    /// A detection strategy.
    DetectionStrategy(&'a DetectionStrategy),
    /// An asset type (ATT&CK for ICS asset, `A0010`).
    AssetType(&'a AssetType),
}

impl Entry<'_> {
    /// Its ATT&CK id.
    pub fn id(&self) -> &str {
        match self {
            Entry::Group(x) => &x.id,
            Entry::Technique(x) => &x.id,
            Entry::Software(x) => &x.id,
            Entry::Campaign(x) => &x.id,
            Entry::Mitigation(x) => &x.id,
            Entry::DetectionStrategy(x) => &x.id,
            Entry::AssetType(x) => &x.id,
        }
    }

    /// Its display name (a sub-technique's own name).
    pub fn name(&self) -> &str {
        match self {
            Entry::Group(x) => &x.name,
            Entry::Technique(x) => &x.name,
            Entry::Software(x) => &x.name,
            Entry::Campaign(x) => &x.name,
            Entry::Mitigation(x) => &x.name,
            Entry::DetectionStrategy(x) => &x.name,
            Entry::AssetType(x) => &x.name,
        }
    }

    /// What kind of entry it is, in words (`group`, `software`, `detection strategy`…).
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Group(_) => "group",
            Entry::Technique(_) => "technique",
            Entry::Software(_) => "software",
            Entry::Campaign(_) => "campaign",
            Entry::Mitigation(_) => "mitigation",
            Entry::DetectionStrategy(_) => "detection strategy",
            Entry::AssetType(_) => "asset",
        }
    }

    /// The names it is found by: id, name, aliases (a sub-technique also as `Parent: Name`).
    fn names<'c>(&self, cat: &'c Catalog) -> Vec<String>
    where
        Self: 'c,
    {
        let mut out = vec![self.id().to_string(), self.name().to_string()];
        match self {
            Entry::Group(g) => out.extend(g.aliases.iter().map(|a| a.to_string())),
            Entry::Software(s) => out.extend(s.aliases.iter().map(|a| a.to_string())),
            Entry::AssetType(a) => out.extend(a.own_names().into_iter().skip(1)),
            Entry::Technique(t) => {
                if let Some(p) = t.parent.as_deref().and_then(|p| cat.technique(p)) {
                    out.push(format!("{}: {}", p.name, t.name));
                }
            }
            _ => {}
        }
        out
    }
}

impl Catalog {
    /// A technique or sub-technique by id (revoked and deprecated ones included).
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        get(&self.techniques, &self.index().techniques, id)
    }

    /// An active group by id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        get(&self.groups, &self.index().groups, id)
    }

    /// A group by id, name or alias; a retired id or name says what became of it.
    pub fn find_group(&self, query: &str) -> Option<GroupLookup<'_>> {
        if let Some(g) = self
            .group(query)
            .or_else(|| get_by_name(&self.groups, &self.index().group_names, query))
        {
            return Some(GroupLookup::Active(g));
        }
        let index = &self.index().retired_groups;
        let retired = get(&self.retired_groups, index, query)
            .or_else(|| get_by_name(&self.retired_groups, index, query))?;
        Some(
            match retired.replaced_by.as_deref().and_then(|id| self.group(id)) {
                Some(by) => GroupLookup::Replaced { retired, by },
                None => GroupLookup::Retired(retired),
            },
        )
    }

    /// Up to `n` active groups whose id, name or an alias is closest to `query`, best first.
    pub fn nearest_groups(&self, query: &str, n: usize) -> Vec<&Group> {
        fn names(g: &Group) -> Vec<&str> {
            std::iter::once(g.id.as_str())
                .chain(std::iter::once(g.name.as_str()))
                .chain(g.aliases.iter().map(Str::as_str))
                .collect()
        }
        crate::suggest::ranked(query, self.groups.iter(), names, |g| &g.id, n)
    }

    /// Up to `n` active techniques whose id or name is closest to `query`, best first.
    pub fn nearest_techniques(&self, query: &str, n: usize) -> Vec<&Technique> {
        fn names(t: &Technique) -> Vec<&str> {
            vec![t.id.as_str(), t.name.as_str()]
        }
        crate::suggest::ranked(query, self.active_techniques(), names, |t| &t.id, n)
    }

    /// Active groups matching every word of `words` (in name, aliases or description), with a
    /// relevance score (name beats alias beats description), best first, then by id. Words match
    /// whole words only, after [`search_words`] (so `hospital` finds `hospitals` but not
    /// `hospitality`, and `healthcare` finds `health care` and `hospitals`).
    pub fn search_groups(&self, words: &[&str]) -> Vec<(&Group, u32)> {
        let query = search_words(&words.join(" "));
        if query.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(&Group, u32)> = self
            .groups
            .iter()
            .filter_map(|g| {
                let name = search_words(&g.name);
                let aliases: Vec<Vec<String>> = g.aliases.iter().map(|a| search_words(a)).collect();
                let description = search_words(&g.description);
                let exact_name = name == query;
                let exact_alias = aliases.contains(&query);
                let mut score = if exact_name {
                    8 * query.len() as u32
                } else if exact_alias {
                    6 * query.len() as u32
                } else {
                    0
                };
                if score > 0 {
                    return Some((g, score));
                }
                for w in &query {
                    score += if name.contains(w) {
                        4
                    } else if aliases.iter().any(|a| a.contains(w)) {
                        3
                    } else if description.contains(w) {
                        1
                    } else {
                        return None;
                    };
                }
                Some((g, score))
            })
            .collect();
        hits.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id)));
        hits
    }

    /// An active asset type (ATT&CK for ICS asset) by id.
    pub fn asset_type(&self, id: &str) -> Option<&AssetType> {
        get(&self.asset_types, &self.index().asset_types, id)
    }

    /// The asset types a model's word names, by id: the one with that id, else those whose
    /// own name (or its abbreviation, [`AssetType::own_names`]) it is, else those a related
    /// asset of that name is listed under (`Engineering Workstation` → `A0001`
    /// Workstation; `Field Device / Controller` → four controllers). Empty: none.
    pub fn find_asset_types(&self, query: &str) -> Vec<&AssetType> {
        if let Some(a) = self.asset_type(query) {
            return vec![a];
        }
        let key = query
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let index = self.index();
        let hits = index
            .asset_type_names
            .get(&key)
            .or_else(|| index.asset_type_related.get(&key));
        hits.into_iter()
            .flatten()
            .filter_map(|&i| self.asset_types.get(i))
            .collect()
    }

    /// The asset type name nearest to `query` (id, name or a related name), for "did you
    /// mean".
    pub fn nearest_asset_type(&self, query: &str) -> Option<&AssetType> {
        fn names(a: &AssetType) -> Vec<&str> {
            std::iter::once(a.id.as_str())
                .chain(std::iter::once(a.name.as_str()))
                .chain(a.related.iter().map(Str::as_str))
                .collect()
        }
        crate::suggest::ranked(query, self.asset_types.iter(), names, |a| &a.id, 1)
            .into_iter()
            .next()
    }

    /// The active techniques that target an asset type, by id.
    pub fn targeting(&self, asset_type_id: &str) -> Vec<&Technique> {
        let key = id_key(asset_type_id);
        self.active_techniques()
            .filter(|t| t.asset_types.iter().any(|a| id_key(a) == key))
            .collect()
    }

    /// Every active group, technique, software, campaign, mitigation, detection strategy
    /// and asset type.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> + '_ {
        self.groups
            .iter()
            .map(Entry::Group)
            .chain(self.active_techniques().map(Entry::Technique))
            .chain(self.software.iter().map(Entry::Software))
            .chain(self.campaigns.iter().map(Entry::Campaign))
            .chain(self.mitigations.iter().map(Entry::Mitigation))
            .chain(
                self.detection_strategies
                    .iter()
                    .map(Entry::DetectionStrategy),
            )
            .chain(self.asset_types.iter().map(Entry::AssetType))
    }

    /// The entries whose id, name or an alias is `query` (case-insensitive), by id; several
    /// when a name is shared (sub-techniques named `Local Account`, a group and its software).
    /// Revoked and deprecated techniques are found by id only.
    pub fn find_entries(&self, query: &str) -> Vec<Entry<'_>> {
        let q = name_key(query);
        if let Some(t) = self.technique(query) {
            return vec![Entry::Technique(t)];
        }
        let mut found: Vec<Entry<'_>> = self
            .entries()
            .filter(|e| e.names(self).iter().any(|n| name_key(n) == q))
            .collect();
        if found.is_empty() {
            // An asset type by a related asset's name (`Engineering Workstation`).
            found = self
                .find_asset_types(query)
                .into_iter()
                .map(Entry::AssetType)
                .collect();
        }
        found.sort_by(|a, b| a.id().cmp(b.id()));
        found
    }

    /// Up to `n` entries of every kind whose id, name or an alias is closest to `query`, best
    /// first.
    pub fn nearest_entries(&self, query: &str, n: usize) -> Vec<Entry<'_>> {
        let entries: Vec<(Entry<'_>, Vec<String>)> =
            self.entries().map(|e| (e, e.names(self))).collect();
        crate::suggest::ranked(
            query,
            entries.iter(),
            |(_, names)| names.iter().map(String::as_str).collect(),
            |(e, _)| e.id(),
            n,
        )
        .into_iter()
        .map(|(e, _)| *e)
        .collect()
    }

    /// The techniques a mitigation applies to, by id.
    pub fn mitigated_by(&self, mitigation_id: &str) -> Vec<&Technique> {
        let key = id_key(mitigation_id);
        self.active_techniques()
            .filter(|t| t.mitigations.iter().any(|m| id_key(&m.id) == key))
            .collect()
    }

    /// The active groups that use a piece of software, by id.
    pub fn groups_using_software(&self, software_id: &str) -> Vec<&Group> {
        let key = id_key(software_id);
        self.groups
            .iter()
            .filter(|g| g.software.iter().any(|s| id_key(s) == key))
            .collect()
    }

    /// Active software by id.
    pub fn software(&self, id: &str) -> Option<&Software> {
        get(&self.software, &self.index().software, id)
    }

    /// An active campaign by id.
    pub fn campaign(&self, id: &str) -> Option<&Campaign> {
        get(&self.campaigns, &self.index().campaigns, id)
    }

    /// A tactic by id (`TA0001`) or short name (`initial-access`).
    pub fn tactic(&self, id_or_shortname: &str) -> Option<&Tactic> {
        get(&self.tactics, &self.index().tactics, id_or_shortname)
    }

    /// An active mitigation by id.
    pub fn mitigation(&self, id: &str) -> Option<&Mitigation> {
        get(&self.mitigations, &self.index().mitigations, id)
    }

    /// An active detection strategy by id.
    pub fn detection_strategy(&self, id: &str) -> Option<&DetectionStrategy> {
        get(
            &self.detection_strategies,
            &self.index().detection_strategies,
            id,
        )
    }

    /// An active analytic by id.
    pub fn analytic(&self, id: &str) -> Option<&Analytic> {
        get(&self.analytics, &self.index().analytics, id)
    }

    /// An active data component by id.
    pub fn data_component(&self, id: &str) -> Option<&DataComponent> {
        get(&self.data_components, &self.index().data_components, id)
    }

    /// The sub-techniques of a technique (all of them, revoked and deprecated included), by id.
    pub fn subtechniques(&self, parent_id: &str) -> Vec<&Technique> {
        self.index()
            .subtechniques
            .get(&id_key(parent_id))
            .map(|ix| ix.iter().filter_map(|&i| self.techniques.get(i)).collect())
            .unwrap_or_default()
    }

    /// Techniques and sub-techniques that are neither revoked nor deprecated, by id.
    pub fn active_techniques(&self) -> impl Iterator<Item = &Technique> + '_ {
        self.techniques.iter().filter(|t| t.is_active())
    }

    /// Tactics that are not deprecated, in matrix order.
    pub fn active_tactics(&self) -> impl Iterator<Item = &Tactic> + '_ {
        self.tactics.iter().filter(|t| !t.deprecated)
    }

    /// How many active groups use the technique (directly or through attributed campaigns).
    pub fn group_prevalence(&self, technique_id: &str) -> usize {
        let index = self.index();
        index
            .techniques
            .get(&id_key(technique_id))
            .and_then(|&i| index.prevalence.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// The canonical spelling of a platform of this domain, matched case-insensitively.
    pub fn is_platform(&self, name: &str) -> Option<&str> {
        get_by_name(&self.platforms, &self.index().platforms, name).map(Str::as_str)
    }
}

/// Compound words written apart or together (`health care`, `healthcare`): the search joins
/// them before splitting into words.
pub const SEARCH_COMPOUNDS: &[(&str, &str)] = &[("health care", "healthcare")];

/// Words of one family: a search for any of them finds the others (each stands for the first).
pub const SEARCH_FAMILIES: &[&[&str]] = &[&["healthcare", "health", "hospital", "medical"]];

/// The words a group search compares: lower-cased; [`SEARCH_COMPOUNDS`] joined; split at every
/// character that is not a letter, digit or `$`; each word reduced by [`stem`]; a word of a
/// [`SEARCH_FAMILIES`] family replaced by the family's first.
pub fn search_words(text: &str) -> Vec<String> {
    let mut lower = text.to_lowercase();
    for (apart, together) in SEARCH_COMPOUNDS {
        lower = lower.replace(apart, together);
    }
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '$'))
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = stem(w);
            SEARCH_FAMILIES
                .iter()
                .find(|f| f.contains(&w.as_str()))
                .and_then(|f| f.first())
                .map_or(w, |first| (*first).to_string())
        })
        .collect()
}

/// A tiny stemmer for search words (lower-case), one step of each, in order, and only when at
/// least four characters remain: `ies` → `y` (companies → company); `sses` → `ss`; a final `s`
/// after anything but `s`, `u` or `i` is dropped (hospitals → hospital; not bus, analysis);
/// then one of `ing`, `ed`, `ly` is dropped (targeting, targeted → target; financially →
/// financial). Nothing else: `hospitality` stays `hospitality`.
pub fn stem(word: &str) -> String {
    let long = |stem: &str| stem.chars().count() >= 4;
    let mut w = word.to_string();
    if let Some(s) = w.strip_suffix("ies").filter(|s| long(s)) {
        w = format!("{s}y");
    } else if let Some(s) = w.strip_suffix("sses").filter(|s| long(s)) {
        w = format!("{s}ss");
    } else if let Some(s) = w
        .strip_suffix('s')
        .filter(|s| long(s) && !s.ends_with(['s', 'u', 'i']))
    {
        w = s.to_string();
    }
    for suffix in ["ing", "ed", "ly"] {
        if let Some(s) = w.strip_suffix(suffix).filter(|s| long(s)) {
            w = s.to_string();
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_plurals_and_common_suffixes_only() {
        assert_eq!(stem("hospitals"), "hospital");
        assert_eq!(stem("hospitality"), "hospitality");
        assert_eq!(stem("companies"), "company");
        assert_eq!(stem("targeting"), "target");
        assert_eq!(stem("targeted"), "target");
        assert_eq!(stem("financially"), "financial");
        assert_eq!(stem("analysis"), "analysis");
        assert_eq!(stem("bus"), "bus");
        assert_eq!(stem("banks"), "bank");
    }

    #[test]
    fn search_words_join_compounds_and_families() {
        assert_eq!(search_words("Health care"), ["healthcare"]);
        assert_eq!(search_words("hospitals"), ["healthcare"]);
        assert_eq!(search_words("LAPSUS$, banks."), ["lapsus$", "bank"]);
    }
}
