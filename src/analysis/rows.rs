//! The threat techniques (the union of the actors' techniques), one row each: who uses
//! it, which assets it applies to, whether it is in scope, and which rules cover it
//! fully or partially under the model's sub-technique mode.
//!
//! The counting rule: a rule counts on an asset only where it applies there
//! ([`Rule::applies_to`]: the assets it names, the platforms it runs on). A technique is
//! covered when it is covered on every asset it applies to (a model without assets
//! keeps the plain meaning: some counting rule names it).

use super::ladder::{self, AssetState, Reads, TestRef};
use super::{r4, technique_name, ActorUse, RuleRef, TechniqueRow, PARTIAL_SHOWN};
use crate::catalog::Catalog;
use crate::resolve::{Asset, Provenance, Resolved, Rule, SubtechniqueMode};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Which technique ids a rule covers under a mode.
pub(super) fn rule_covers(rule_tech: &str, target: &str, mode: SubtechniqueMode) -> bool {
    if rule_tech == target {
        return true;
    }
    let parent_of = |s: &str| s.split_once('.').map(|(p, _)| p.to_string());
    match mode {
        SubtechniqueMode::Exact => false,
        SubtechniqueMode::ParentCoversSub => parent_of(target).as_deref() == Some(rule_tech),
        SubtechniqueMode::SubCoversParent => parent_of(rule_tech).as_deref() == Some(target),
        SubtechniqueMode::Both => {
            parent_of(target).as_deref() == Some(rule_tech)
                || parent_of(rule_tech).as_deref() == Some(target)
        }
    }
}

pub(super) fn family(id: &str) -> &str {
    id.split_once('.').map(|(p, _)| p).unwrap_or(id)
}

/// Rules by technique family (T1059 for T1059.001), with the id each names.
type ByFamily<'m> = HashMap<&'m str, Vec<(&'m Rule, &'m str)>>;

/// Recent tests (not stale), each with the assets it was run on (empty: all).
type Tests<'m> = HashMap<&'m str, Vec<(&'m [String], TestRef)>>;

/// What every row reads.
struct Ctx<'m> {
    model: &'m Resolved,
    catalog: &'m Catalog,
    by_family: ByFamily<'m>,
    /// Data component id → name.
    names: HashMap<&'m str, &'m str>,
    /// Recent evidence rows by technique id.
    evidence: Tests<'m>,
    /// Recent validations by rule id.
    validations: Tests<'m>,
}

/// The recent tests of the model: evidence rows by technique, validations by rule.
fn tests(model: &Resolved) -> (Tests<'_>, Tests<'_>) {
    let mut evidence: Tests<'_> = HashMap::new();
    for e in model.evidence.iter().filter(|e| !e.stale) {
        evidence.entry(e.technique.as_str()).or_default().push((
            e.assets.as_slice(),
            TestRef {
                date: e.date,
                result: e.result,
                method: e.method.clone(),
                reference: e.reference.clone(),
                source: e.source.clone(),
            },
        ));
    }
    let mut validations: Tests<'_> = HashMap::new();
    for r in &model.rules {
        for v in r.validations.iter().filter(|v| !v.stale) {
            validations.entry(r.id.as_str()).or_default().push((
                v.assets.as_slice(),
                TestRef {
                    date: v.date,
                    result: v.result,
                    method: v.method.clone(),
                    reference: v.reference.clone(),
                    source: format!("rule {}", r.id),
                },
            ));
        }
    }
    (evidence, validations)
}

/// One row per threat technique, sorted by id.
pub(super) fn technique_rows(model: &Resolved, catalog: &Catalog) -> Vec<TechniqueRow> {
    let mut by_family: ByFamily<'_> = HashMap::new();
    for r in &model.rules {
        for t in &r.techniques {
            by_family
                .entry(family(t))
                .or_default()
                .push((r, t.as_str()));
        }
    }
    let names = ladder::component_names(catalog);
    let (evidence, validations) = tests(model);
    let ctx = Ctx {
        model,
        catalog,
        by_family,
        names,
        evidence,
        validations,
    };
    // Each row reads the model and the catalog only: built on all cores, in id order.
    use rayon::prelude::*;
    let uses: Vec<(&str, Vec<ActorUse>)> = uses(model).into_iter().collect();
    uses.into_par_iter()
        .map(|(tid, actors)| row(&ctx, tid, actors))
        .collect()
}

/// Each threat technique with the actors using it.
fn uses(model: &Resolved) -> BTreeMap<&str, Vec<ActorUse>> {
    let mut uses: BTreeMap<&str, Vec<ActorUse>> = BTreeMap::new();
    for a in &model.actors {
        for (t, provs) in &a.techniques {
            let procedure = provs.iter().find_map(|p| match p {
                Provenance::Group { procedure } | Provenance::Campaign { procedure, .. }
                    if !procedure.is_empty() =>
                {
                    Some(procedure.clone())
                }
                _ => None,
            });
            uses.entry(t.as_str()).or_default().push(ActorUse {
                id: a.id.clone(),
                weight: a.weight,
                via: provs
                    .iter()
                    .map(|p| p.label())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                procedure,
            });
        }
    }
    uses
}

fn row(ctx: &Ctx<'_>, tid: &str, mut actors: Vec<ActorUse>) -> TechniqueRow {
    let (model, catalog) = (ctx.model, ctx.catalog);
    let tech = catalog.technique(tid);
    let platforms: Vec<String> = tech
        .map(|t| t.platforms.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    let tactics: Vec<String> = tech
        .map(|t| t.tactics.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    let assets: Vec<&Asset> = model
        .assets
        .iter()
        // Platforms, and ATT&CK for ICS asset types (targets relationships): Asset::takes.
        .filter(|a| a.takes(tech))
        .collect();
    let asset_ids: Vec<String> = assets.iter().map(|a| a.id.clone()).collect();
    let has_assets = !model.assets.is_empty();
    let in_scope = !has_assets || !asset_ids.is_empty();
    let found = rules_of(model, &ctx.by_family, tid, &assets);
    let states = states(ctx, tid, &assets, &found.on);
    let covered_on: Vec<String> = states
        .iter()
        .filter(|s| s.state.is_detected())
        .map(|s| s.asset.clone())
        .collect();
    let covered = if assets.is_empty() {
        !found.rules.is_empty()
    } else {
        covered_on.len() == assets.len()
    };
    let uncovered_on: Vec<String> = asset_ids
        .iter()
        .filter(|a| !covered_on.contains(a))
        .cloned()
        .collect();
    actors.sort_by(|a, b| a.id.cmp(&b.id));
    TechniqueRow {
        id: tid.to_string(),
        name: technique_name(catalog, tid),
        tactics,
        platforms,
        threat_weight: r4(actors.iter().map(|a| a.weight).sum()),
        actors,
        assets: asset_ids,
        in_scope,
        covered,
        covered_on,
        uncovered_on,
        states,
        rules: found.rules,
        partial: found.partial,
        partial_total: found.partial_total,
    }
}

/// The rules found for one technique.
struct Found {
    /// Counting rules that cover it on at least one of its assets (or anywhere, in a
    /// model without assets).
    rules: Vec<RuleRef>,
    /// The others of its family, or that count on none of its assets (at most
    /// [`PARTIAL_SHOWN`], the first by id).
    partial: Vec<RuleRef>,
    /// How many of those there are.
    partial_total: usize,
    /// Per asset of the technique (same order): the counting rules that apply there.
    on: Vec<Vec<String>>,
}

/// The ladder state on each asset, in the order of `assets`.
fn states(ctx: &Ctx<'_>, tid: &str, assets: &[&Asset], on: &[Vec<String>]) -> Vec<AssetState> {
    let reads = Reads::of(ctx.catalog, &ctx.names, tid);
    assets
        .iter()
        .zip(on)
        .map(|(a, rules)| {
            let visible_by = reads.visible_by(a);
            let on_asset =
                |(assets, _): &&(&[String], TestRef)| assets.is_empty() || assets.contains(&a.id);
            let of_rules = rules
                .iter()
                .filter_map(|r| ctx.validations.get(r.as_str()))
                .flatten();
            let test = ladder::deciding(
                ctx.evidence
                    .get(tid)
                    .into_iter()
                    .flatten()
                    .chain(of_rules)
                    .filter(on_asset)
                    .map(|(_, t)| t),
            );
            // Without declared telemetry, a DeTT&CT visibility score says what is
            // visible (0: blind, 1–4: visible); declared telemetry always decides.
            let claim = visible_by
                .is_none()
                .then(|| claimed(ctx.model, tid, &a.id))
                .flatten();
            let seen: Option<&[String]> =
                claim.map(|score| if score == 0 { &[][..] } else { VISIBLE });
            AssetState {
                asset: a.id.clone(),
                state: ladder::state(rules, visible_by.as_deref().or(seen), test),
                rules: rules.clone(),
                visible_by,
                dettect_visibility: claim,
                test: test.cloned(),
            }
        })
        .collect()
}

/// What the ladder reads as "something is visible" for a DeTT&CT visibility score of 1–4
/// (0 reads as blind: nothing).
const VISIBLE: &[String] = &[String::new()];

/// The DeTT&CT visibility score of the pair, if a technique administration import gave
/// one.
fn claimed(model: &Resolved, tid: &str, asset: &str) -> Option<u8> {
    model
        .visibility_claims
        .binary_search_by(|c| (c.technique.as_str(), c.asset.as_str()).cmp(&(tid, asset)))
        .ok()
        .and_then(|i| model.visibility_claims.get(i))
        .map(|c| c.score)
}

/// The counting rules that cover a technique and the assets they cover it on, the
/// others of its family (at most [`PARTIAL_SHOWN`], the first by id) and how many of
/// those there are.
fn rules_of(model: &Resolved, by_family: &ByFamily<'_>, tid: &str, assets: &[&Asset]) -> Found {
    let has_assets = !model.assets.is_empty();
    let mut rules = Vec::new();
    let mut partial = Vec::new();
    let mut on: Vec<Vec<String>> = vec![Vec::new(); assets.len()];
    for (r, via) in by_family.get(family(tid)).map(Vec::as_slice).unwrap_or(&[]) {
        let rr = RuleRef {
            id: r.id.clone(),
            name: r.name.clone(),
            status: r.status,
            via: via.to_string(),
        };
        let matches = rule_covers(via, tid, model.coverage.subtechniques)
            && model.coverage.count.contains(&r.status);
        let mut applies = !has_assets || (assets.is_empty() && r.assets.is_empty());
        if matches {
            for (i, a) in assets.iter().enumerate() {
                if r.applies_to(a) {
                    applies = true;
                    if let Some(c) = on.get_mut(i) {
                        c.push(r.id.clone());
                    }
                }
            }
        }
        if matches && applies {
            rules.push(rr);
        } else {
            partial.push(rr);
        }
    }
    for c in &mut on {
        c.sort();
        c.dedup();
    }
    rules.sort();
    rules.dedup_by(|a, b| a.id == b.id);
    let covering: HashSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    partial.retain(|p| !covering.contains(p.id.as_str()));
    partial.sort();
    partial.dedup_by(|a, b| a.id == b.id);
    let partial_total = partial.len();
    partial.truncate(PARTIAL_SHOWN);
    Found {
        rules,
        partial,
        partial_total,
        on,
    }
}
