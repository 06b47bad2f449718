//! Rewriting an ATT&CK Navigator layer for the catalog in use: revoked technique ids become
//! their replacements, tactics follow the technique, `versions.attack` becomes the catalog's
//! major release. Annotations (score, comment, color, metadata, links, enabled, …) are kept.

use crate::catalog::Catalog;
use crate::diag::Code;
use crate::diag::Diagnostic;
use serde_json::Value;
use std::collections::BTreeSet;

/// The result of migrating a layer.
#[derive(Debug)]
pub struct LayerMigration {
    /// The migrated layer, pretty-printed (2-space indentation, key order kept).
    pub text: String,
    /// Whether the layer's content changed.
    pub changed: bool,
    /// Notes and warnings.
    pub diags: Vec<Diagnostic>,
    /// `(old id, new id)` pairs replaced.
    pub replaced: Vec<(String, String)>,
}

/// The major release Navigator layers record (one definition, shared with the layers
/// threatc writes).
pub use crate::emit::navigator::major;

/// Migrates a layer's JSON text. Errors when the text is not a JSON object.
///
/// The release before is taken to be the embedded one (when the catalog in use is another):
/// its data say where an entry's tactic went (see [`migrate_from`]).
pub fn migrate(text: &str, catalog: &Catalog) -> Result<LayerMigration, String> {
    let previous = crate::catalog::embedded(catalog.domain)
        .ok()
        .filter(|p| p.release != catalog.release);
    migrate_from(text, catalog, previous)
}

/// [`migrate`] with the catalog of the layer's own release, when at hand.
///
/// An entry whose `tactic` is not one of its (new) technique's tactics is moved to, in order:
/// the tactic with the same ATT&CK id in the new release, when the technique is under it
/// (TA0005 `defense-evasion` → `stealth`); else a tactic the technique gained since
/// `previous` (`defense-evasion` → `defense-impairment` for T1562.001 → T1685); else the
/// first of its tactics that no other entry of the technique already has; else its first
/// tactic.
pub fn migrate_from(
    text: &str,
    catalog: &Catalog,
    previous: Option<&Catalog>,
) -> Result<LayerMigration, String> {
    let original: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let mut layer = original.clone();
    let Some(obj) = layer.as_object_mut() else {
        return Err("a Navigator layer is a JSON object".into());
    };
    let mut m = Migrator {
        catalog,
        previous,
        diags: Vec::new(),
        replaced: Vec::new(),
        used: BTreeSet::new(),
        seen: BTreeSet::new(),
    };
    if let Some(Value::Array(entries)) = obj.get_mut("techniques") {
        m.used = used_tactics(catalog, entries);
        let mut kept = Vec::with_capacity(entries.len());
        for mut entry in std::mem::take(entries) {
            if let Some(e) = entry.as_object_mut() {
                if !m.entry(e) {
                    continue;
                }
            }
            kept.push(entry);
        }
        *entries = kept;
    }
    set_version(obj, catalog);
    let changed = layer != original;
    let mut text = serde_json::to_string_pretty(&layer).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(LayerMigration {
        text,
        changed,
        diags: m.diags,
        replaced: m.replaced,
    })
}

/// Tactics the entries already have, valid in the new release, per final technique.
fn used_tactics(catalog: &Catalog, entries: &[Value]) -> BTreeSet<(String, String)> {
    let mut used = BTreeSet::new();
    for e in entries {
        let (Some(id), Some(tactic)) = (
            e.get("techniqueID").and_then(Value::as_str),
            e.get("tactic").and_then(Value::as_str),
        ) else {
            continue;
        };
        let id = final_id(catalog, id);
        if catalog
            .technique(&id)
            .is_some_and(|t| t.tactics.iter().any(|x| x == tactic))
        {
            used.insert((id, tactic.to_string()));
        }
    }
    used
}

/// `versions.attack` becomes the catalog's major release.
fn set_version(obj: &mut serde_json::Map<String, Value>, catalog: &Catalog) {
    let want = Value::String(major(&catalog.release).to_string());
    match obj.get_mut("versions") {
        Some(Value::Object(v)) => {
            v.insert("attack".into(), want);
        }
        _ => {
            let mut v = serde_json::Map::new();
            v.insert("attack".into(), want);
            obj.insert("versions".into(), Value::Object(v));
        }
    }
}

/// The state of one layer's migration, entry by entry.
struct Migrator<'a> {
    catalog: &'a Catalog,
    previous: Option<&'a Catalog>,
    diags: Vec<Diagnostic>,
    replaced: Vec<(String, String)>,
    /// (technique, tactic) pairs the entries have, or were moved to.
    used: BTreeSet<(String, String)>,
    /// (technique, tactic) pairs of the entries kept.
    seen: BTreeSet<(String, Option<String>)>,
}

impl Migrator<'_> {
    /// Migrates one entry in place; false when it duplicates an earlier one and goes.
    fn entry(&mut self, e: &mut serde_json::Map<String, Value>) -> bool {
        let Some(id) = e
            .get("techniqueID")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return true;
        };
        let new_id = self.technique(e, &id);
        self.tactic(e, &id, &new_id);
        let tactic = e.get("tactic").and_then(Value::as_str).map(str::to_string);
        let key = (new_id.clone(), tactic.clone());
        if !self.seen.insert(key) {
            self.diags.push(Diagnostic::note(
                Code::MigrateDuplicate,
                format!(
                    "after migration `{new_id}`{} appears twice; the first entry is kept",
                    tactic.map(|t| format!(" under `{t}`")).unwrap_or_default()
                ),
            ));
            return false;
        }
        true
    }

    /// A revoked technique becomes its replacement; the entry's id after migration.
    fn technique(&mut self, e: &mut serde_json::Map<String, Value>, id: &str) -> String {
        let Some(t) = self.catalog.technique(id) else {
            return id.to_string();
        };
        if t.revoked {
            match &t.revoked_by {
                Some(by) => {
                    self.diags.push(Diagnostic::note(
                        Code::MigrateRevoked,
                        format!("`{id}` ({}) is revoked; replaced by `{by}`", t.name),
                    ));
                    self.replaced.push((id.to_string(), by.to_string()));
                    e.insert("techniqueID".into(), Value::String(by.to_string()));
                    return by.to_string();
                }
                None => self.diags.push(Diagnostic::warning(
                    Code::MigrateNoReplacement,
                    format!(
                        "`{id}` ({}) is revoked and ATT&CK names no replacement; left in place",
                        t.name
                    ),
                )),
            }
        } else if t.deprecated {
            self.diags.push(Diagnostic::warning(
                Code::MigrateDeprecated,
                format!(
                    "`{id}` ({}) is deprecated and has no replacement; left in place",
                    t.name
                ),
            ));
        }
        id.to_string()
    }

    /// An entry under a tactic its technique is not under moves (see [`migrate_from`]).
    fn tactic(&mut self, e: &mut serde_json::Map<String, Value>, id: &str, new_id: &str) {
        let (Some(t), Some(Value::String(tactic))) =
            (self.catalog.technique(new_id), e.get("tactic"))
        else {
            return;
        };
        if t.revoked || t.tactics.is_empty() || t.tactics.iter().any(|x| x == tactic) {
            return;
        }
        if let Some(to) = new_tactic(self.catalog, self.previous, id, t, tactic, &self.used) {
            self.diags.push(Diagnostic::note(
                Code::MigrateTactic,
                format!(
                    "`{new_id}` is not under `{tactic}` in ATT&CK {}; tactic becomes `{to}`",
                    self.catalog.release
                ),
            ));
            self.used.insert((new_id.to_string(), to.clone()));
            e.insert("tactic".into(), Value::String(to));
        }
    }
}

/// `id` after following its revocation in `catalog` (itself when not revoked).
fn final_id(catalog: &Catalog, id: &str) -> String {
    match catalog.technique(id) {
        Some(t) if t.revoked => t.revoked_by.as_deref().unwrap_or(id).to_string(),
        _ => id.to_string(),
    }
}

/// Where an entry under `tactic` goes (see [`migrate_from`]); `old_id` is the entry's id as
/// written, `t` its technique in the new release.
fn new_tactic(
    catalog: &Catalog,
    previous: Option<&Catalog>,
    old_id: &str,
    t: &crate::catalog::Technique,
    tactic: &str,
    used: &BTreeSet<(String, String)>,
) -> Option<String> {
    let under = |x: &str| t.tactics.iter().any(|y| y == x);
    let free = |x: &str| !used.contains(&(t.id.to_string(), x.to_string()));
    if let Some(p) = previous {
        let same_id = p
            .tactic(tactic)
            .and_then(|old| catalog.tactic(&old.id))
            .map(|new| new.shortname.clone());
        if let Some(s) = same_id.filter(|s| under(s)) {
            return Some(s.to_string());
        }
        if let Some(old) = p.technique(old_id) {
            let gained: Vec<&crate::catalog::Str> = t
                .tactics
                .iter()
                .filter(|x| !old.tactics.contains(*x))
                .collect();
            if let Some(g) = gained.iter().find(|x| free(x)).or(gained.first()) {
                return Some(g.to_string());
            }
        }
    }
    (t.tactics
        .iter()
        .find(|x| free(x))
        .or(t.tactics.first())
        .cloned())
    .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::migrate;
    use crate::catalog::{embedded, Domain};

    #[test]
    fn revoked_entry_replaced_annotations_kept_idempotent() {
        let catalog = embedded(Domain::Enterprise).unwrap();
        // T1086 (PowerShell) was revoked by T1059.001 long before 18.1.
        let layer = r#"{"name":"x","versions":{"attack":"8"},"domain":"enterprise-attack","techniques":[
            {"techniqueID":"T1086","tactic":"execution","score":4,"comment":"ps"},
            {"techniqueID":"T1059.001","tactic":"execution","score":1}]}"#;
        let m = migrate(layer, catalog).unwrap();
        assert!(m.changed);
        let v: serde_json::Value = serde_json::from_str(&m.text).unwrap();
        assert_eq!(v["versions"]["attack"], "18");
        let techs = v["techniques"].as_array().unwrap();
        assert_eq!(techs.len(), 1, "the duplicate keeps the first entry");
        assert_eq!(techs[0]["techniqueID"], "T1059.001");
        assert_eq!(techs[0]["score"], 4);
        assert_eq!(techs[0]["comment"], "ps");
        assert!(m
            .diags
            .iter()
            .any(|d| d.code == crate::diag::Code::MigrateDuplicate));
        let again = migrate(&m.text, catalog).unwrap();
        assert!(!again.changed);
        assert_eq!(again.text, m.text);
    }
}
