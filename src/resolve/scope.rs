//! Scope that says what it drops: threat techniques on platforms no asset declares
//! (PRE, Network Devices, ESXi, Containers…) are named in a warning with the platforms
//! and counts, not silently left out of scope.

use super::context::Resolver;
use super::{Actor, Asset};
use crate::diag::{Code, Diagnostic};
use crate::words::plural;
use std::collections::{BTreeMap, BTreeSet};

/// Per undeclared platform: threat techniques naming it, and of those the ones out of
/// scope (none of their platforms is an asset's).
pub(crate) fn dropped(
    catalog: &crate::catalog::Catalog,
    assets: &[Asset],
    actors: &[Actor],
) -> (usize, BTreeMap<String, (usize, usize)>) {
    let declared: BTreeSet<&str> = assets
        .iter()
        .flat_map(|a| a.platforms.iter().map(String::as_str))
        .collect();
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut out_of_scope = 0;
    let threat: BTreeSet<&str> = actors
        .iter()
        .flat_map(|a| a.techniques.keys().map(String::as_str))
        .collect();
    for t in threat {
        let Some(tech) = catalog.technique(t) else {
            continue;
        };
        let out = !tech.platforms.iter().any(|p| declared.contains(p.as_str()));
        if out && !tech.platforms.is_empty() {
            out_of_scope += 1;
        }
        for p in &tech.platforms {
            if !declared.contains(p.as_str()) {
                let e = per.entry(p.to_string()).or_default();
                e.0 += 1;
                if out {
                    e.1 += 1;
                }
            }
        }
    }
    (out_of_scope, per)
}

/// The `scope-dropped` warning, when the model declares assets with platforms and
/// threat techniques run on platforms none of them has.
pub(super) fn warn_dropped(r: &mut Resolver<'_>, assets: &[Asset], actors: &[Actor]) {
    // Without assets every technique is in scope; an asset without platforms (ICS)
    // takes every technique.
    // After an error (an asset's misspelt platform) the warning would mislead.
    if assets.is_empty() || assets.iter().any(|a| a.platforms.is_empty()) || r.diags.has_errors() {
        return;
    }
    let (out, per) = dropped(r.catalog, assets, actors);
    if per.is_empty() {
        return;
    }
    let mut by_count: Vec<(&String, &(usize, usize))> = per.iter().collect();
    by_count.sort_by(|a, b| (b.1).1.cmp(&(a.1).1).then((b.1).0.cmp(&(a.1).0)));
    let named: Vec<String> = by_count
        .iter()
        .map(|(p, (all, only))| {
            if *only > 0 {
                format!("{p} ({all}, {only} out of scope)")
            } else {
                format!("{p} ({all})")
            }
        })
        .collect();
    let msg = if out > 0 {
        format!(
            "{out} threat {} out of scope: no asset runs {}",
            plural(out, "technique is", "techniques are"),
            named.join(", ")
        )
    } else {
        format!(
            "no asset runs {}: those threat techniques count only on the other platforms they name",
            named.join(", ")
        )
    };
    let mut d = Diagnostic::warning(Code::ScopeDropped, msg).with_help(
        "the figures are threat techniques naming each platform; out-of-scope techniques are listed under `out_of_scope` in report.json. Declare an asset with those platforms to count them, or leave them out on purpose",
    );
    if let Some(a) = assets.first() {
        d = d.with_label(a.span, "assets declare only their own platforms");
    }
    r.diags.push(d);
}
