//! Assets: ids unique, platforms canonical ATT&CK platform names, ATT&CK for ICS asset
//! types resolved to `A…` ids; a warning for an asset no technique of any actor applies
//! to, and one for ICS assets without asset types (every ICS technique applies to them).

use super::context::Resolver;
use super::{Actor, Asset, Criticality};
use crate::diag::{Code, Diagnostic};
use crate::model::load::Loaded;

use crate::source::{Span, Spanned};
use crate::words::plural;
use std::collections::{BTreeSet, HashMap};

/// Every asset of every file, in model order; duplicates reported and dropped.
pub(super) fn resolve(r: &mut Resolver<'_>, loaded: &Loaded) -> Vec<Asset> {
    let mut assets: Vec<Asset> = Vec::new();
    let mut ids: HashMap<String, Span> = HashMap::new();
    for f in &loaded.files {
        for a in &f.content.assets {
            let av = &a.value;
            if let Some(first) = ids.get(&av.id.value) {
                r.duplicate("asset", &av.id.value, *first, av.id.span);
                continue;
            }
            ids.insert(av.id.value.clone(), av.id.span);
            let mut platforms = Vec::new();
            for p in &av.platforms {
                if let Some(canon) = platform(r, p) {
                    if !platforms.contains(&canon) {
                        platforms.push(canon);
                    }
                }
            }
            let mut asset_types = Vec::new();
            for t in &av.asset_types {
                for id in asset_type(r, t) {
                    if !asset_types.contains(&id) {
                        asset_types.push(id);
                    }
                }
            }
            assets.push(Asset {
                id: av.id.value.clone(),
                name: av.name.clone().unwrap_or_else(|| av.id.value.clone()),
                platforms,
                asset_types,
                criticality: av
                    .criticality
                    .as_ref()
                    .map(|c| c.value.into())
                    .unwrap_or(Criticality::Medium),
                collects: None,
                span: a.span,
            });
        }
    }
    assets
}

/// The canonical name of a platform, or a diagnostic.
fn platform(r: &mut Resolver<'_>, p: &Spanned<String>) -> Option<String> {
    let catalog = r.catalog;
    if let Some(canon) = catalog.is_platform(&p.value) {
        return Some(canon.to_string());
    }
    let near = crate::suggest::platform(&p.value, &catalog.platforms);
    let d = Diagnostic::error(
        Code::UnknownPlatform,
        format!("`{}` is not an ATT&CK {} platform", p.value, catalog.domain),
    )
    .with_label(p.span, "unknown platform");
    let d = match near {
        _ if catalog.platforms.is_empty() => d.with_help(format!(
            "ATT&CK {} gives its techniques no platforms: write `platforms: []` and the asset applies to every technique",
            catalog.domain
        )),
        Some(n) => d.with_help(format!(
            "did you mean `{n}`? platforms: {}",
            catalog.platforms.join(", ")
        )),
        None => d.with_help(format!(
            "platforms of this domain: {}",
            catalog.platforms.join(", ")
        )),
    };
    r.diags.push(d);
    None
}

/// The `A…` ids an `asset_types` entry names ([`crate::catalog::Catalog::find_asset_types`]:
/// id, name, abbreviation or related asset name; several for a related name they share),
/// or a diagnostic and none.
fn asset_type(r: &mut Resolver<'_>, t: &Spanned<String>) -> Vec<String> {
    let catalog = r.catalog;
    let found: Vec<String> = catalog
        .find_asset_types(&t.value)
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    if !found.is_empty() {
        return found;
    }
    let d = if catalog.asset_types.is_empty() {
        Diagnostic::error(
            Code::UnknownAssetType,
            format!(
                "ATT&CK {} has no asset types: `asset_types` names ATT&CK for ICS assets",
                catalog.domain
            ),
        )
        .with_label(t.span, "not in this domain")
        .with_help("use `asset_types` in a model with `attack: {domain: ics}`; elsewhere, `platforms` scope an asset")
    } else {
        let d = Diagnostic::error(
            Code::UnknownAssetType,
            format!(
                "`{}` is not an ATT&CK {} {} asset",
                t.value, catalog.domain, catalog.release
            ),
        )
        .with_label(t.span, "unknown asset type");
        match catalog.nearest_asset_type(&t.value) {
            Some(a) => d.with_help(format!("did you mean `{}` ({})?", a.name, a.id)),
            None => d.with_help(format!(
                "asset types: {}",
                catalog
                    .asset_types
                    .iter()
                    .map(|a| format!("{} {}", a.id, a.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    };
    r.diags.push(d);
    Vec::new()
}

impl Asset {
    /// Whether a threat technique applies to the asset: one of the technique's platforms
    /// is the asset's (an asset without platforms, as in ATT&CK for ICS, takes every
    /// platform), and, when the asset names ATT&CK for ICS asset types, the catalog's
    /// `targets` relationships link the technique to one of them. A technique that
    /// targets no asset type (ICS Impact outcomes such as T0880 Loss of Safety) applies
    /// to every asset.
    pub fn takes(&self, technique: Option<&crate::catalog::Technique>) -> bool {
        let (platforms, targets) = match technique {
            Some(t) => (t.platforms.as_slice(), t.asset_types.as_slice()),
            None => (&[][..], &[][..]),
        };
        let on_platform = self.platforms.is_empty()
            || self
                .platforms
                .iter()
                .any(|p| platforms.iter().any(|x| x == p));
        let on_type = self.asset_types.is_empty()
            || targets.is_empty()
            || self
                .asset_types
                .iter()
                .any(|a| targets.iter().any(|x| x == a));
        on_platform && on_type
    }
}

/// The `untyped-asset` warning: in ATT&CK for ICS (whose techniques name no platform),
/// assets that name no asset types take every threat technique.
pub(super) fn warn_untyped(r: &mut Resolver<'_>, assets: &[Asset], actors: &[Actor]) {
    if r.catalog.asset_types.is_empty() || actors.is_empty() || r.diags.has_errors() {
        return;
    }
    let untyped: Vec<&Asset> = assets.iter().filter(|a| a.asset_types.is_empty()).collect();
    let Some(first) = untyped.first() else {
        return;
    };
    let ids: Vec<String> = untyped.iter().map(|a| format!("`{}`", a.id)).collect();
    let n = untyped.len();
    r.diags.push(
        Diagnostic::warning(
            Code::UntypedAsset,
            format!(
                "{} {} {} no ATT&CK for ICS asset types: every ICS threat technique applies to {}",
                plural(n, "asset", "assets"),
                ids.join(", "),
                plural(n, "names", "name"),
                plural(n, "it", "them"),
            ),
        )
        .with_label(first.span, "no `asset_types`")
        .with_help("ICS techniques name no platform; add `asset_types:` (e.g. `[Safety Controller]`, `[HMI, Control Server]`) so a technique applies only where ATT&CK's targets relationships link it to one of them (`threatc attack show --domain ics A0010` lists those of A0010)"),
    );
}

/// Warns of assets no technique of any actor applies to.
pub(super) fn warn_unused(r: &mut Resolver<'_>, assets: &[Asset], actors: &[Actor]) {
    let used: BTreeSet<&str> = actors
        .iter()
        .flat_map(|a| a.techniques.keys().map(String::as_str))
        .collect();
    for a in assets {
        let applies = used.iter().any(|t| a.takes(r.catalog.technique(t)));
        let scoped = !a.platforms.is_empty() || !a.asset_types.is_empty();
        if !applies && !actors.is_empty() && scoped {
            r.diags.push(
                Diagnostic::warning(
                    Code::UnusedAsset,
                    format!("no technique of any actor applies to asset `{}`", a.id),
                )
                .with_label(a.span, unused_label(a))
                .with_help(if a.asset_types.is_empty() {
                    "check the asset's platforms, or add actors that target them"
                } else {
                    "check the asset's asset types, or add actors whose techniques target them"
                }),
            );
        }
    }
}

fn unused_label(a: &Asset) -> String {
    if a.asset_types.is_empty() {
        format!("platforms: {}", a.platforms.join(", "))
    } else {
        format!("asset types: {}", a.asset_types.join(", "))
    }
}
