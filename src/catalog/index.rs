//! Lookup indexes of a catalog, rebuilt whenever a [`Catalog`](super::Catalog) is made, never
//! serialized. Keys are lowercased; values are positions in the catalog's vectors.

use std::collections::HashMap;

use super::model::CatalogData;

#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    pub techniques: HashMap<String, usize>,
    pub subtechniques: HashMap<String, Vec<usize>>,
    pub groups: HashMap<String, usize>,
    /// Lowercased group names and aliases → group position (first group wins on a clash).
    pub group_names: HashMap<String, usize>,
    /// Lowercased retired group ids and names → position in `retired_groups`.
    pub retired_groups: HashMap<String, usize>,
    pub software: HashMap<String, usize>,
    pub campaigns: HashMap<String, usize>,
    /// Tactic ids and short names.
    pub tactics: HashMap<String, usize>,
    pub mitigations: HashMap<String, usize>,
    pub detection_strategies: HashMap<String, usize>,
    pub analytics: HashMap<String, usize>,
    pub data_components: HashMap<String, usize>,
    pub platforms: HashMap<String, usize>,
    /// Technique id (lowercased) → number of active groups using it.
    pub prevalence: HashMap<String, usize>,
}

fn by_key<T>(items: &[T], key: impl Fn(&T) -> &str) -> HashMap<String, usize> {
    items
        .iter()
        .enumerate()
        .map(|(i, t)| (key(t).to_lowercase(), i))
        .collect()
}

impl Index {
    pub fn build(data: &CatalogData) -> Index {
        let mut subtechniques: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, t) in data.techniques.iter().enumerate() {
            if let Some(parent) = &t.parent {
                subtechniques
                    .entry(parent.to_lowercase())
                    .or_default()
                    .push(i);
            }
        }
        let mut group_names = HashMap::new();
        for (i, g) in data.groups.iter().enumerate() {
            for name in std::iter::once(&g.name).chain(&g.aliases) {
                group_names.entry(name.to_lowercase()).or_insert(i);
            }
        }
        let mut retired_groups = HashMap::new();
        for (i, g) in data.retired_groups.iter().enumerate() {
            retired_groups.entry(g.id.to_lowercase()).or_insert(i);
            retired_groups.entry(g.name.to_lowercase()).or_insert(i);
        }
        let mut tactics = by_key(&data.tactics, |t| &t.id);
        for (i, t) in data.tactics.iter().enumerate() {
            tactics.entry(t.shortname.to_lowercase()).or_insert(i);
        }
        let mut prevalence: HashMap<String, usize> = HashMap::new();
        for g in data.groups.iter().filter(|g| !g.revoked && !g.deprecated) {
            for u in &g.techniques {
                *prevalence.entry(u.technique.to_lowercase()).or_default() += 1;
            }
        }
        Index {
            techniques: by_key(&data.techniques, |t| &t.id),
            subtechniques,
            groups: by_key(&data.groups, |g| &g.id),
            group_names,
            retired_groups,
            software: by_key(&data.software, |s| &s.id),
            campaigns: by_key(&data.campaigns, |c| &c.id),
            tactics,
            mitigations: by_key(&data.mitigations, |m| &m.id),
            detection_strategies: by_key(&data.detection_strategies, |d| &d.id),
            analytics: by_key(&data.analytics, |a| &a.id),
            data_components: by_key(&data.data_components, |d| &d.id),
            platforms: by_key(&data.platforms, |p| p),
            prevalence,
        }
    }
}
