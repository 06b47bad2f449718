//! Lookup indexes of a catalog, rebuilt whenever a [`Catalog`](super::Catalog) is made, never
//! serialized. Values are positions in the catalog's vectors. Id keys are ASCII-uppercased (the
//! data's own spelling, so building needs no case folding per use); name keys are lowercased.

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
    /// Tactic ids and short names (both uppercased).
    pub tactics: HashMap<String, usize>,
    pub mitigations: HashMap<String, usize>,
    pub detection_strategies: HashMap<String, usize>,
    pub analytics: HashMap<String, usize>,
    pub data_components: HashMap<String, usize>,
    pub platforms: HashMap<String, usize>,
    pub asset_types: HashMap<String, usize>,
    /// Asset types by their own names' forms ([`super::AssetType::own_names`]).
    pub asset_type_names: HashMap<String, Vec<usize>>,
    /// Asset types by their related assets' names' forms (a related name several share
    /// leads to each).
    pub asset_type_related: HashMap<String, Vec<usize>>,
    /// Number of active groups using each technique, by technique position.
    pub prevalence: Vec<usize>,
}

/// The key an id is indexed and looked up under.
pub(crate) fn id_key(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}

/// The key a name or alias is indexed and looked up under.
pub(crate) fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

fn by_id<T>(items: &[T], id: impl Fn(&T) -> &str) -> HashMap<String, usize> {
    let mut map = HashMap::with_capacity(items.len());
    for (i, t) in items.iter().enumerate() {
        map.entry(id_key(id(t))).or_insert(i);
    }
    map
}

impl Index {
    pub fn build(data: &CatalogData) -> Index {
        let mut subtechniques: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, t) in data.techniques.iter().enumerate() {
            if let Some(parent) = &t.parent {
                subtechniques.entry(id_key(parent)).or_default().push(i);
            }
        }
        let mut group_names = HashMap::new();
        for (i, g) in data.groups.iter().enumerate() {
            for name in std::iter::once(&g.name).chain(&g.aliases) {
                group_names.entry(name_key(name)).or_insert(i);
            }
        }
        let mut retired_groups = HashMap::new();
        for (i, g) in data.retired_groups.iter().enumerate() {
            retired_groups.entry(id_key(&g.id)).or_insert(i);
            retired_groups.entry(name_key(&g.name)).or_insert(i);
        }
        let mut tactics = by_id(&data.tactics, |t| &t.id);
        for (i, t) in data.tactics.iter().enumerate() {
            tactics.entry(id_key(&t.shortname)).or_insert(i);
        }
        let techniques = by_id(&data.techniques, |t| &t.id);
        let mut prevalence = vec![0; data.techniques.len()];
        for g in data.groups.iter().filter(|g| !g.revoked && !g.deprecated) {
            for u in &g.techniques {
                // Ids in built data are already in key form; fold only if not.
                let pos = techniques
                    .get(u.technique.as_str())
                    .or_else(|| techniques.get(&id_key(&u.technique)));
                if let Some(n) = pos.and_then(|&i| prevalence.get_mut(i)) {
                    *n += 1;
                }
            }
        }
        let mut platforms = HashMap::new();
        for (i, p) in data.platforms.iter().enumerate() {
            platforms.entry(name_key(p)).or_insert(i);
        }
        let mut asset_type_names: HashMap<String, Vec<usize>> = HashMap::new();
        let mut asset_type_related: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, a) in data.asset_types.iter().enumerate() {
            for n in a.own_names() {
                asset_type_names.entry(n).or_default().push(i);
            }
            for n in a.related_names() {
                asset_type_related.entry(n).or_default().push(i);
            }
        }
        Index {
            techniques,
            subtechniques,
            groups: by_id(&data.groups, |g| &g.id),
            group_names,
            retired_groups,
            software: by_id(&data.software, |s| &s.id),
            campaigns: by_id(&data.campaigns, |c| &c.id),
            tactics,
            mitigations: by_id(&data.mitigations, |m| &m.id),
            detection_strategies: by_id(&data.detection_strategies, |d| &d.id),
            analytics: by_id(&data.analytics, |a| &a.id),
            data_components: by_id(&data.data_components, |d| &d.id),
            platforms,
            asset_types: by_id(&data.asset_types, |a| &a.id),
            asset_type_names,
            asset_type_related,
            prevalence,
        }
    }
}
