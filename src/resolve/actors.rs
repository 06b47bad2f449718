//! Actors: an ATT&CK group (its techniques with MITRE's semantics, optionally its
//! software's) or a custom actor (its own technique list), then `add` and `remove`.

use super::context::Resolver;
use super::{slug, Actor, ActorKind, Provenance};
use crate::catalog::{Group, GroupLookup, UseSource};
use crate::diag::{Code, Diagnostic};
use crate::model::load::{Loaded, LoadedFile};
use crate::model::v1;
use crate::source::{Span, Spanned};
use std::collections::{BTreeMap, HashMap};

type Techniques = BTreeMap<String, Vec<Provenance>>;

/// Every actor of every file, in model order; duplicates reported and dropped.
pub(super) fn resolve(r: &mut Resolver<'_>, loaded: &Loaded) -> Vec<Actor> {
    let mut actors: Vec<Actor> = Vec::new();
    let mut ids: HashMap<String, (Span, Option<String>)> = HashMap::new();
    // Group actors that leave `software` unset: (actor index, the `group:` span).
    let mut software_unset: Vec<(usize, Span)> = Vec::new();
    for f in &loaded.files {
        for a in &f.content.actors {
            if let Some(actor) = actor(r, a) {
                let named = a.value.group.as_ref().map(|g| g.value.clone());
                if let Some((first, first_named)) = ids.get(&actor.id) {
                    duplicate(
                        r,
                        &actor,
                        (*first, first_named.as_deref()),
                        (a.span, named.as_deref()),
                    );
                    continue;
                }
                ids.insert(actor.id.clone(), (a.span, named));
                if a.value.software.is_none() {
                    if let Some(g) = &a.value.group {
                        software_unset.push((actors.len(), g.span));
                    }
                }
                actors.push(actor);
            }
        }
    }
    if !r.diags.has_errors() {
        note_hidden_software_techniques(r, &actors, &software_unset);
    }
    actors
}

/// An actor id defined twice; when both name the same ATT&CK group (`Wizard Spider` and its
/// alias `FIN12`), the message says so.
fn duplicate(
    r: &mut Resolver<'_>,
    actor: &Actor,
    first: (Span, Option<&str>),
    again: (Span, Option<&str>),
) {
    let ActorKind::Group {
        group_id,
        group_name,
        ..
    } = &actor.kind
    else {
        r.duplicate("actor", &actor.id, first.0, again.0);
        return;
    };
    let (Some(a), Some(b)) = (first.1, again.1) else {
        r.duplicate("actor", &actor.id, first.0, again.0);
        return;
    };
    let is_name = |n: &str| n.eq_ignore_ascii_case(group_name) || n.eq_ignore_ascii_case(group_id);
    let alias = |n: &str| {
        if is_name(n) {
            format!("`{n}` is {group_id} {group_name}")
        } else {
            format!("`{n}` is an alias of {group_id} {group_name}")
        }
    };
    let why = if a.eq_ignore_ascii_case(b) {
        format!("`{b}` is listed twice")
    } else if is_name(a) {
        alias(b)
    } else {
        format!("{} and {}", alias(a), alias(b))
    };
    r.diags.push(
        Diagnostic::error(
            Code::DuplicateId,
            format!("actor id `{}` is defined twice: {why}", actor.id),
        )
        .with_label(again.0, format!("{group_id} again"))
        .with_label(first.0, "first defined here")
        .with_help(format!(
            "list {group_name} once (give `id:` to keep two entries of one group apart)"
        )),
    );
}

/// A note when group actors without `software:` use techniques only through their software
/// (Wizard Spider and T1486, through Ryuk): how many `software: true` would add, one example.
fn note_hidden_software_techniques(
    r: &mut Resolver<'_>,
    actors: &[Actor],
    unset: &[(usize, Span)],
) {
    let catalog = r.catalog;
    let in_threat: std::collections::BTreeSet<&str> = actors
        .iter()
        .flat_map(|a| a.techniques.keys().map(String::as_str))
        .collect();
    let mut hidden: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut first_span = None;
    for (i, span) in unset {
        let Some(actor) = actors.get(*i) else {
            continue;
        };
        let ActorKind::Group { group_id, .. } = &actor.kind else {
            continue;
        };
        let Some(group) = catalog.group(group_id) else {
            continue;
        };
        for u in &group.software_techniques {
            let active = catalog
                .technique(&u.technique)
                .is_some_and(|t| t.is_active());
            if active && !in_threat.contains(u.technique.as_str()) {
                first_span.get_or_insert(*span);
                hidden
                    .entry(u.technique.as_str())
                    .or_default()
                    .push(actor.id.as_str());
            }
        }
    }
    let Some(span) = first_span else { return };
    // The example: the latest in the kill chain (impact last), then the most used by groups.
    let position = |id: &str| {
        catalog
            .technique(id)
            .and_then(|t| {
                t.tactics
                    .iter()
                    .filter_map(|x| catalog.tactics.iter().position(|c| &c.shortname == x))
                    .max()
            })
            .unwrap_or(0)
    };
    let Some((example, by)) = hidden.iter().max_by(|a, b| {
        position(a.0)
            .cmp(&position(b.0))
            .then(
                catalog
                    .group_prevalence(a.0)
                    .cmp(&catalog.group_prevalence(b.0)),
            )
            .then(b.0.cmp(a.0))
    }) else {
        return;
    };
    let name = crate::analysis::technique_name(catalog, example);
    let n = hidden.len();
    let mut actors_unset: Vec<&str> = hidden.values().flatten().copied().collect();
    actors_unset.sort_unstable();
    actors_unset.dedup();
    r.diags.push(
        Diagnostic::note(
            Code::SoftwareTechniquesHidden,
            format!(
                "`software: true` would add {n} {} that actors use only through their software, e.g. {example} {name} ({})",
                crate::words::plural(n, "technique", "techniques"),
                by.join(", ")
            ),
        )
        .with_label(span, "no `software:` here")
        .with_help(format!(
            "set `software: true` on {} to count the techniques of the group's software as threat (or `software: false` to silence this note)",
            actors_unset.join(", ")
        )),
    );
}

/// Warns when the model declares no actor (and has no error that would explain it).
pub(super) fn warn_if_none(r: &mut Resolver<'_>, root: &LoadedFile, actors: &[Actor]) {
    if actors.is_empty() && !r.diags.has_errors() {
        let span = root
            .content
            .model
            .as_ref()
            .map(|m| m.span)
            .unwrap_or_default();
        r.diags.push(
            Diagnostic::warning(Code::NoActors, "the model declares no actor")
                .with_label(span, "")
                .with_help("add ATT&CK groups under `actors:` (find them with `threatc attack groups --search WORDS`)"),
        );
    }
}

/// Finds an actor by model id, group id, name or alias (case-insensitive).
pub fn find_actor(actors: &[Actor], reference: &str) -> Option<String> {
    let q = reference.trim().to_lowercase();
    actors
        .iter()
        .find(|a| a.id.to_lowercase() == q)
        .or_else(|| {
            actors.iter().find(|a| match &a.kind {
                ActorKind::Group {
                    group_id,
                    group_name,
                    aliases,
                } => {
                    group_id.to_lowercase() == q
                        || group_name.to_lowercase() == q
                        || aliases.iter().any(|x| x.to_lowercase() == q)
                }
                ActorKind::Custom => a.name.to_lowercase() == q,
            })
        })
        .map(|a| a.id.clone())
}

/// What the first half of an actor's resolution yields: id, name, kind, software.
struct Head {
    id: String,
    name: String,
    kind: ActorKind,
    software: bool,
}

fn actor(r: &mut Resolver<'_>, a: &Spanned<v1::Actor>) -> Option<Actor> {
    let av = &a.value;
    let errors_before = r.diags.error_count();
    let mut techniques = Techniques::new();
    let head = match (&av.group, &av.techniques) {
        (Some(g), None) => group_actor(r, av, g, &mut techniques)?,
        (None, Some(ts)) => custom_actor(r, a, ts, &mut techniques)?,
        (Some(g), Some(_)) => {
            r.diags.push(
                Diagnostic::error(Code::InvalidActor, format!("actor `{}` has both `group` and `techniques`", g.value))
                    .with_label(g.span, "an ATT&CK group")
                    .with_help("a group's techniques come from ATT&CK; add local ones with `add:` and drop some with `remove:`"),
            );
            return None;
        }
        (None, None) => {
            r.diags.push(
                Diagnostic::error(Code::InvalidActor, "an actor needs `group` (an ATT&CK group) or `id` and `techniques` (a custom actor)")
                    .with_label(a.span, "neither")
                    .with_help("e.g. `- group: FIN7` or `- id: insider` with `techniques: [T1078]`"),
            );
            return None;
        }
    };
    add_remove(r, av, &head.id, &mut techniques);
    for provs in techniques.values_mut() {
        provs.sort();
        provs.dedup();
    }
    if techniques.is_empty() && r.diags.error_count() == errors_before {
        r.diags.push(
            Diagnostic::warning(
                Code::EmptyActor,
                format!("actor `{}` has no techniques", head.id),
            )
            .with_label(a.span, "")
            .with_help("it adds nothing to the threat; check `add`/`remove` or the group"),
        );
    }
    Some(Actor {
        id: head.id,
        name: head.name,
        kind: head.kind,
        weight: av.weight.as_ref().map(|w| w.value).unwrap_or(1.0),
        software: head.software,
        techniques,
        span: a.span,
    })
}

/// An ATT&CK group's techniques (and its software's with `software: true`).
fn group_actor(
    r: &mut Resolver<'_>,
    av: &v1::Actor,
    g: &Spanned<String>,
    techniques: &mut Techniques,
) -> Option<Head> {
    let group = lookup_group(r, g)?;
    let software = av.software.unwrap_or(false);
    for u in &group.techniques {
        let entry = techniques.entry(u.technique.to_string()).or_default();
        for s in &u.sources {
            entry.push(match s {
                UseSource::Direct { procedure } => Provenance::Group {
                    procedure: procedure.to_string(),
                },
                UseSource::Campaign { id, procedure } => Provenance::Campaign {
                    id: id.to_string(),
                    procedure: procedure.to_string(),
                },
                UseSource::Software { id } => Provenance::Software { id: id.to_string() },
            });
        }
    }
    if software {
        for u in &group.software_techniques {
            let entry = techniques.entry(u.technique.to_string()).or_default();
            for s in &u.sources {
                if let UseSource::Software { id } = s {
                    entry.push(Provenance::Software { id: id.to_string() });
                }
            }
            if entry.is_empty() {
                entry.push(Provenance::Software { id: String::new() });
            }
        }
    }
    let id = av
        .id
        .as_ref()
        .map(|i| i.value.clone())
        .unwrap_or_else(|| slug(&group.name));
    Some(Head {
        id,
        name: group.name.to_string(),
        kind: ActorKind::Group {
            group_id: group.id.to_string(),
            group_name: group.name.to_string(),
            aliases: group.aliases.iter().map(|s| s.to_string()).collect(),
        },
        software,
    })
}

/// The active group a `group:` names, or a diagnostic (revoked, deprecated, unknown).
fn lookup_group<'c>(r: &mut Resolver<'c>, g: &Spanned<String>) -> Option<&'c Group> {
    let catalog = r.catalog;
    let d = match catalog.find_group(&g.value) {
        Some(GroupLookup::Active(grp)) => return Some(grp),
        Some(GroupLookup::Replaced { retired, by }) => Diagnostic::error(
            Code::RevokedGroup,
            format!(
                "group `{}` ({}) was revoked; replaced by `{}` ({})",
                g.value, retired.id, by.name, by.id
            ),
        )
        .with_label(
            g.span,
            format!("{} is revoked in ATT&CK {}", retired.id, catalog.release),
        )
        .with_help(format!("write `group: {}`", by.name)),
        Some(GroupLookup::Retired(retired)) => Diagnostic::error(
            Code::RevokedGroup,
            format!(
                "group `{}` ({}) is deprecated in ATT&CK",
                g.value, retired.id
            ),
        )
        .with_label(g.span, "deprecated")
        .with_help("use a custom actor with `techniques:` to keep tracking it"),
        None => {
            let near: Vec<String> = catalog
                .nearest_groups(&g.value, 3)
                .iter()
                .map(|x| format!("`{}` ({})", x.name, x.id))
                .collect();
            let d = Diagnostic::error(
                Code::UnknownGroup,
                format!("unknown ATT&CK group `{}`", g.value),
            )
            .with_label(
                g.span,
                format!(
                    "not a group in ATT&CK {} {}",
                    catalog.domain, catalog.release
                ),
            );
            if near.is_empty() {
                d.with_help("search groups with `threatc attack groups --search WORDS`")
            } else {
                d.with_help(format!("did you mean {}?", near.join(", ")))
            }
        }
    };
    r.diags.push(d);
    None
}

/// A custom actor: an id and its own technique list.
fn custom_actor(
    r: &mut Resolver<'_>,
    a: &Spanned<v1::Actor>,
    ts: &[Spanned<String>],
    techniques: &mut Techniques,
) -> Option<Head> {
    let av = &a.value;
    let Some(id) = &av.id else {
        r.diags.push(
            Diagnostic::error(Code::InvalidActor, "a custom actor needs an `id`")
                .with_label(a.span, "no id")
                .with_help("write `- id: insider` with `name:` and `techniques:`"),
        );
        return None;
    };
    if av.software.is_some() {
        r.diags.push(
            Diagnostic::error(
                Code::InvalidActor,
                format!("custom actor `{}` cannot use `software`", id.value),
            )
            .with_label(id.span, "a custom actor")
            .with_help("`software: true` adds the techniques of an ATT&CK group's software"),
        );
    }
    for t in ts {
        if let Some(tid) = r.technique(t, "`techniques`") {
            techniques.entry(tid).or_default().push(Provenance::Local);
        }
    }
    Some(Head {
        id: id.value.clone(),
        name: av.name.clone().unwrap_or_else(|| id.value.clone()),
        kind: ActorKind::Custom,
        software: false,
    })
}

/// `add:` and `remove:`, applied last.
fn add_remove(r: &mut Resolver<'_>, av: &v1::Actor, id: &str, techniques: &mut Techniques) {
    for t in &av.add {
        if let Some(tid) = r.technique(t, "`add`") {
            let e = techniques.entry(tid).or_default();
            if !e.contains(&Provenance::Local) {
                e.push(Provenance::Local);
            }
        }
    }
    for t in &av.remove {
        if let Some(tid) = r.technique(t, "`remove`") {
            if techniques.remove(&tid).is_none() {
                r.diags.push(
                    Diagnostic::warning(
                        Code::RemoveNotUsed,
                        format!("actor `{id}` does not use `{tid}`"),
                    )
                    .with_label(t.span, "nothing to remove")
                    .with_help(
                        "remove only techniques the actor uses (see `threatc attack show GROUP`)",
                    ),
                );
            }
        }
    }
}
