//! Assets: ids unique, platforms canonical ATT&CK platform names; and a warning for an
//! asset no technique of any actor applies to.

use super::context::Resolver;
use super::{Actor, Asset, Criticality};
use crate::diag::{Code, Diagnostic};
use crate::model::load::Loaded;

use crate::source::{Span, Spanned};
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
            assets.push(Asset {
                id: av.id.value.clone(),
                name: av.name.clone().unwrap_or_else(|| av.id.value.clone()),
                platforms,
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

/// Warns of assets no technique of any actor applies to.
pub(super) fn warn_unused(r: &mut Resolver<'_>, assets: &[Asset], actors: &[Actor]) {
    let used: BTreeSet<&str> = actors
        .iter()
        .flat_map(|a| a.techniques.keys().map(String::as_str))
        .collect();
    for a in assets {
        let applies = used.iter().any(|t| {
            r.catalog
                .technique(t)
                .is_some_and(|tech| tech.platforms.iter().any(|p| a.platforms.contains(p)))
        });
        if !applies && !actors.is_empty() && !a.platforms.is_empty() {
            r.diags.push(
                Diagnostic::warning(
                    Code::UnusedAsset,
                    format!("no technique of any actor applies to asset `{}`", a.id),
                )
                .with_label(a.span, format!("platforms: {}", a.platforms.join(", ")))
                .with_help("check the asset's platforms, or add actors that target them"),
            );
        }
    }
}
