//! Questions the rest of the compiler asks the catalog. Ids and names are matched
//! case-insensitively; "did you mean" suggestions use string similarity.

use std::collections::HashMap;

use super::index::{id_key, name_key};
use super::model::*;

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
                .chain(g.aliases.iter().map(String::as_str))
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

    /// Active groups matching every word (in name, aliases or description), with a relevance
    /// score (name beats alias beats description), best first, then by id.
    pub fn search_groups(&self, words: &[&str]) -> Vec<(&Group, u32)> {
        let words: Vec<String> = words
            .iter()
            .map(|w| w.trim().to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(&Group, u32)> = self
            .groups
            .iter()
            .filter_map(|g| {
                let name = g.name.to_lowercase();
                let aliases: Vec<String> = g.aliases.iter().map(|a| a.to_lowercase()).collect();
                let description = g.description.to_lowercase();
                let mut score = 0;
                for w in &words {
                    score += if name == *w {
                        8
                    } else if aliases.iter().any(|a| a == w) {
                        6
                    } else if name.contains(w.as_str()) {
                        4
                    } else if aliases.iter().any(|a| a.contains(w.as_str())) {
                        3
                    } else if description.contains(w.as_str()) {
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
        get_by_name(&self.platforms, &self.index().platforms, name).map(String::as_str)
    }
}
