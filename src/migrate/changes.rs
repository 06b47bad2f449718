//! Comparing two catalogs (an old release and a new one) for a set of technique ids.

use crate::catalog::{Catalog, Str};
use crate::diag::Code;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How a technique's meaning changed between two releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ChangeKind {
    /// Revoked in the new release; `by` is the final replacement, if any.
    Revoked {
        /// The replacing technique.
        by: Option<String>,
    },
    /// Deprecated in the new release (no replacement).
    Deprecated,
    /// Active in both, with another name.
    Renamed {
        /// Old name.
        from: String,
        /// New name.
        to: String,
    },
    /// Active in both, under other tactics.
    Moved {
        /// Old tactic short names.
        from: Vec<String>,
        /// New tactic short names.
        to: Vec<String>,
    },
    /// In the new release only (active).
    New,
    /// A tactic that keeps its id under another name and short name (TA0005 Defense Evasion
    /// → Stealth in v19); `id` is the tactic's. Its techniques are not reported as moved.
    #[serde(rename = "tactic-renamed")]
    TacticRenamed {
        /// Old name.
        from_name: String,
        /// New name.
        to_name: String,
        /// Old short name.
        from: String,
        /// New short name.
        to: String,
    },
}

impl ChangeKind {
    /// A short label: `revoked`, `deprecated`, `renamed`, `moved`, `new`.
    pub fn label(&self) -> &'static str {
        match self {
            ChangeKind::Revoked { .. } => "revoked",
            ChangeKind::Deprecated => "deprecated",
            ChangeKind::Renamed { .. } => "renamed",
            ChangeKind::Moved { .. } => "moved",
            ChangeKind::New => "new",
            ChangeKind::TacticRenamed { .. } => "tactic-renamed",
        }
    }
}

/// One change of one technique id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The technique id (as the old release knew it).
    pub id: String,
    /// The name in the old release (or the new one for a new technique).
    pub name: String,
    /// What changed.
    #[serde(flatten)]
    pub kind: ChangeKind,
}

/// Tactics that keep their id under another short name or name: old short name → the change.
fn tactic_renames(old: &Catalog, new: &Catalog) -> BTreeMap<String, Change> {
    old.tactics
        .iter()
        .filter(|o| !o.deprecated)
        .filter_map(|o| {
            let n = new.tactic(&o.id).filter(|n| !n.deprecated)?;
            if n.shortname == o.shortname && n.name == o.name {
                return None;
            }
            let change = Change {
                id: o.id.to_string(),
                name: o.name.to_string(),
                kind: ChangeKind::TacticRenamed {
                    from_name: o.name.to_string(),
                    to_name: n.name.to_string(),
                    from: o.shortname.to_string(),
                    to: n.shortname.to_string(),
                },
            };
            Some((o.shortname.to_string(), change))
        })
        .collect()
}

/// Whether a technique's tactics changed other than by a tactic's rename: `defense-evasion`
/// → `stealth` when TA0005 was renamed is no move; → `defense-impairment` is.
fn moved(from: &[Str], to: &[Str], renames: &BTreeMap<String, Change>) -> bool {
    let renamed: BTreeSet<&str> = from
        .iter()
        .map(|t| match renames.get(t.as_str()).map(|c| &c.kind) {
            Some(ChangeKind::TacticRenamed { to, .. }) => to.as_str(),
            _ => t.as_str(),
        })
        .collect();
    renamed != to.iter().map(Str::as_str).collect()
}

/// Compares `old` and `new` for `ids` (all techniques of both when `None`; only then are new
/// techniques reported). Ids already revoked or deprecated in `old` are not reported again.
/// Tactics renamed (same id) come first, once each (with `ids`, those the ids' techniques
/// had); then by technique id, then by kind order (revoked, deprecated, renamed, moved, new).
pub fn compare(old: &Catalog, new: &Catalog, ids: Option<&[String]>) -> Vec<Change> {
    let renames = tactic_renames(old, new);
    let mut out: Vec<Change> = renames
        .values()
        .filter(|c| {
            let Some(ids) = ids else { return true };
            let ChangeKind::TacticRenamed { from, .. } = &c.kind else {
                return false;
            };
            ids.iter()
                .filter_map(|id| old.technique(id))
                .any(|t| t.tactics.iter().any(|x| x == from))
        })
        .cloned()
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.extend(compare_techniques(old, new, ids, &renames));
    out
}

fn compare_techniques(
    old: &Catalog,
    new: &Catalog,
    ids: Option<&[String]>,
    renames: &BTreeMap<String, Change>,
) -> Vec<Change> {
    let mut wanted: Vec<String> = match ids {
        Some(ids) => ids.to_vec(),
        None => old
            .techniques
            .iter()
            .chain(new.techniques.iter())
            .map(|t| t.id.to_string())
            .collect(),
    };
    wanted.sort();
    wanted.dedup();
    let mut out = Vec::new();
    for id in &wanted {
        let (o, n) = (old.technique(id), new.technique(id));
        match (o, n) {
            (Some(o), Some(n)) => {
                if n.revoked {
                    if !o.revoked {
                        out.push(Change {
                            id: id.clone(),
                            name: o.name.to_string(),
                            kind: ChangeKind::Revoked {
                                by: n.revoked_by.as_deref().map(str::to_string),
                            },
                        });
                    }
                    continue;
                }
                if o.revoked {
                    continue;
                }
                if n.deprecated && !o.deprecated {
                    out.push(Change {
                        id: id.clone(),
                        name: o.name.to_string(),
                        kind: ChangeKind::Deprecated,
                    });
                }
                if o.name != n.name {
                    out.push(Change {
                        id: id.clone(),
                        name: o.name.to_string(),
                        kind: ChangeKind::Renamed {
                            from: o.name.to_string(),
                            to: n.name.to_string(),
                        },
                    });
                }
                if moved(&o.tactics, &n.tactics, renames) && !n.deprecated {
                    out.push(Change {
                        id: id.clone(),
                        name: o.name.to_string(),
                        kind: ChangeKind::Moved {
                            from: o.tactics.iter().map(|s| s.to_string()).collect(),
                            to: n.tactics.iter().map(|s| s.to_string()).collect(),
                        },
                    });
                }
            }
            (None, Some(n)) if ids.is_none() && n.is_active() => out.push(Change {
                id: id.clone(),
                name: n.name.to_string(),
                kind: ChangeKind::New,
            }),
            _ => {}
        }
    }
    out
}

/// Changes of one catalog alone, when the old release is not available: revoked and
/// deprecated ids among `ids`.
pub fn retired(new: &Catalog, ids: &[String]) -> Vec<Change> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    ids.iter()
        .filter_map(|id| {
            let t = new.technique(id)?;
            let kind = if t.revoked {
                ChangeKind::Revoked {
                    by: t.revoked_by.as_deref().map(str::to_string),
                }
            } else if t.deprecated {
                ChangeKind::Deprecated
            } else {
                return None;
            };
            Some(Change {
                id: id.clone(),
                name: t.name.to_string(),
                kind,
            })
        })
        .collect()
}

/// `technique-changed` notes for `check` and `build`: when the model is written against
/// another release than the catalog's and that release's data is at hand (`--from-attack-data`,
/// or the embedded catalog when the model says its release and `--attack-data` is newer), each
/// technique the model uses that was renamed or moved to other tactics is reported at its first
/// use. (Revoked and deprecated ids are reported by resolve.)
pub fn release_notes(
    loaded: &crate::model::load::Loaded,
    catalog: &Catalog,
    opts: &crate::CompileOptions,
) -> Result<Vec<crate::diag::Diagnostic>, crate::diag::Diagnostics> {
    use crate::diag::Diagnostic;
    let Some(root) = loaded.files.first() else {
        return Ok(Vec::new());
    };
    let Some(model_release) = root
        .content
        .attack
        .as_ref()
        .and_then(|a| a.value.version.as_ref())
        .map(|v| v.value.text())
    else {
        return Ok(Vec::new());
    };
    if model_release == catalog.release {
        return Ok(Vec::new());
    }
    let owned;
    let old: &Catalog = match &opts.from_attack_data {
        Some(p) => {
            owned = crate::catalog::load_bundle_file(p, Some(&model_release)).map_err(|e| {
                Diagnostic::error(
                    Code::AttackData,
                    format!(
                        "cannot use ATT&CK data `{}`: {e}",
                        crate::model::load::display_path(p)
                    ),
                )
                .with_help(format!(
                    "--from-attack-data names the bundle of the model's release ({model_release})"
                ))
            })?;
            &owned
        }
        // The model says the embedded release while the catalog in use was read from a bundle
        // (`--attack-data` or the model's `attack.data`).
        None if model_release == crate::catalog::EMBEDDED_RELEASE => {
            match crate::catalog::embedded(catalog.domain) {
                Ok(c) if !std::ptr::eq(c, catalog) => c,
                _ => return Ok(Vec::new()),
            }
        }
        None => return Ok(Vec::new()),
    };
    let mut first: std::collections::BTreeMap<String, crate::source::Span> = Default::default();
    for f in &loaded.files {
        for list in super::model::technique_lists(&f.content) {
            for t in list {
                first.entry(t.value.trim().to_string()).or_insert(t.span);
            }
        }
    }
    let ids: Vec<String> = first.keys().cloned().collect();
    let mut out = Vec::new();
    for c in compare(old, catalog, Some(&ids)) {
        let Some(span) = first.get(&c.id) else {
            continue;
        };
        let (msg, label) = match &c.kind {
            ChangeKind::Renamed { from, to } => (
                format!(
                    "technique `{}` was renamed from `{from}` to `{to}` between ATT&CK {} and {}",
                    c.id, old.release, catalog.release
                ),
                format!("now `{to}`"),
            ),
            ChangeKind::Moved { from, to } => (
                format!(
                    "technique `{}` ({}) moved from tactics {} to {} between ATT&CK {} and {}",
                    c.id,
                    c.name,
                    from.join(", "),
                    to.join(", "),
                    old.release,
                    catalog.release
                ),
                format!("now under {}", to.join(", ")),
            ),
            _ => continue,
        };
        out.push(
            Diagnostic::note(Code::TechniqueChanged, msg)
                .with_label(*span, label)
                .with_help("check that the model still means what it says; run `threatc migrate` to record the new release"),
        );
    }
    Ok(out)
}
