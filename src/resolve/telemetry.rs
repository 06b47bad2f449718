//! Telemetry: what is collected where (`telemetry:`). Each entry names a log source as
//! the catalog's analytics name it (narrowed by event codes or a channel) or data
//! components, and the assets it is collected on. A log source provides the data
//! components the catalog's analytics associate with it. Each asset an entry names gets
//! the union of the data components collected on it ([`Asset::collects`]); the counting
//! rule ([`super::Rule::applies_to`]) reads it, and [`warn_blind`] reports the rules
//! that do not count where they would run for want of telemetry (`rule-blind`).

use super::context::Resolver;
use super::{Asset, Resolved, Rule, Telemetry};
use crate::catalog::Catalog;
use crate::diag::{Code, Diagnostic};
use crate::model::load::Loaded;
use crate::model::v1::{self, AssetSelection};
use crate::source::Spanned;
use std::collections::{BTreeMap, BTreeSet};

/// Every entry of every file, in model order; each asset it names gets its data
/// components.
pub(super) fn resolve(
    r: &mut Resolver<'_>,
    loaded: &Loaded,
    assets: &mut [Asset],
) -> Vec<Telemetry> {
    let mut out = Vec::new();
    for f in &loaded.files {
        for e in &f.content.telemetry {
            // Imports (`import: dettect`) are read by `super::dettect`.
            if e.value.import.is_some() || e.value.path.is_some() || e.value.applicable_to.is_some()
            {
                continue;
            }
            if let Some(t) = entry(r, e, assets) {
                out.push(t);
            }
        }
    }
    apply(assets, &out);
    out
}

/// Each asset an entry names gets its data components ([`Asset::collects`]).
pub(super) fn apply(assets: &mut [Asset], entries: &[Telemetry]) {
    for t in entries {
        for a in assets.iter_mut().filter(|a| t.assets.contains(&a.id)) {
            let collects = a.collects.get_or_insert_with(Vec::new);
            collects.extend(t.data_components.iter().cloned());
            collects.sort();
            collects.dedup();
        }
    }
}

fn entry(
    r: &mut Resolver<'_>,
    e: &Spanned<v1::TelemetryEntry>,
    assets: &[Asset],
) -> Option<Telemetry> {
    let ev = &e.value;
    let Some(sel) = &ev.assets else {
        r.diags.push(
            Diagnostic::error(Code::SchemaMissingKey, "a telemetry entry needs `assets`")
                .with_label(e.span, "collected where?")
                .with_help(
                    "name the assets it is collected on (`assets: [workstations]`) or `all`",
                ),
        );
        return None;
    };
    let on = selection(r, sel, assets);
    let components = match (&ev.log_source, &ev.data_components) {
        (Some(ls), None) => log_source(r, ls, ev)?,
        (None, Some(dcs)) => {
            if ev.event_codes.is_some() || ev.channel.is_some() {
                r.diags.push(
                    Diagnostic::error(
                        Code::InvalidTelemetry,
                        "`event_codes` and `channel` narrow a `log_source`",
                    )
                    .with_label(e.span, "no log source")
                    .with_help(
                        "name the log source (`log_source: WinEventLog:Sysmon`) or leave them out",
                    ),
                );
            }
            let mut out = BTreeSet::new();
            for c in dcs {
                if let Some(canon) = r.data_component(c) {
                    out.insert(canon);
                }
            }
            out
        }
        (Some(ls), Some(_)) => {
            r.diags.push(
                Diagnostic::error(
                    Code::InvalidTelemetry,
                    "a telemetry entry names a log source or data components, not both",
                )
                .with_label(ls.span, "a log source")
                .with_help("the log source already says which data components it provides; write the data components as a separate entry"),
            );
            return None;
        }
        (None, None) => {
            r.diags.push(
                Diagnostic::error(
                    Code::InvalidTelemetry,
                    "a telemetry entry needs `log_source` or `data_components`",
                )
                .with_label(e.span, "collects nothing")
                .with_help("write `log_source: WinEventLog:Sysmon` (as ATT&CK names log sources) or `data_components: [Process Creation]`"),
            );
            return None;
        }
    };
    let on = on?;
    let data_components: Vec<String> = components.into_iter().collect();
    let name = ev.name.clone().unwrap_or_else(|| match &ev.log_source {
        Some(ls) => ls.value.clone(),
        None => data_components.join(", "),
    });
    let mut event_codes: Vec<u32> = ev.event_codes.iter().flatten().map(|c| c.value).collect();
    event_codes.sort_unstable();
    event_codes.dedup();
    Some(Telemetry {
        name,
        log_source: ev
            .log_source
            .as_ref()
            .map(|l| canonical_source(r.catalog, &l.value)),
        event_codes,
        channel: ev.channel.as_ref().map(|c| c.value.clone()),
        data_components,
        assets: on,
        retention: ev.retention.as_ref().map(|x| x.value),
        cost: ev.cost.as_ref().map(|x| x.value),
    })
}

/// The asset ids an entry names (`all`: every asset), in model order; undefined ones
/// reported. `None` when one is undefined.
fn selection(
    r: &mut Resolver<'_>,
    sel: &Spanned<AssetSelection>,
    assets: &[Asset],
) -> Option<Vec<String>> {
    let named: Vec<&str> = match &sel.value {
        AssetSelection::One(s) => vec![s.as_str()],
        AssetSelection::Many(v) => v.iter().map(String::as_str).collect(),
    };
    if named.iter().any(|n| n.eq_ignore_ascii_case("all")) {
        return Some(assets.iter().map(|a| a.id.clone()).collect());
    }
    let mut ok = true;
    for n in &named {
        if assets.iter().any(|a| a.id == *n) {
            continue;
        }
        ok = false;
        let d = Diagnostic::error(
            Code::UndefinedAsset,
            format!("telemetry names undefined asset `{n}`"),
        )
        .with_label(sel.span, "no such asset");
        r.diags.push(
            match crate::suggest::nearest(n, assets.iter().map(|a| a.id.as_str())) {
                Some(near) => {
                    d.with_help(format!("did you mean `{near}`? (or `all` for every asset)"))
                }
                None => d.with_help("define it under `assets:`, or write `all` for every asset"),
            },
        );
    }
    ok.then(|| {
        assets
            .iter()
            .filter(|a| named.contains(&a.id.as_str()))
            .map(|a| a.id.clone())
            .collect()
    })
}

/// The catalog's spelling of a log source name (matched case-insensitively).
fn canonical_source(catalog: &Catalog, name: &str) -> String {
    catalog
        .analytics
        .iter()
        .flat_map(|a| &a.log_sources)
        .find(|l| l.name.eq_ignore_ascii_case(name.trim()))
        .map_or(name.trim(), |l| l.name.as_str())
        .to_string()
}

/// The event codes of a channel written `EventCode=4663, 4670`; empty for other channels.
fn event_codes(channel: &str) -> Vec<u32> {
    let Some(rest) = channel.trim().strip_prefix("EventCode=") else {
        return Vec::new();
    };
    rest.split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect()
}

/// Whether a channel as ATT&CK writes it (`open, write`, `socket/connect`) is or lists
/// the channel asked for.
fn channel_matches(channel: &str, asked: &str) -> bool {
    let asked = asked.trim();
    channel.trim().eq_ignore_ascii_case(asked)
        || channel
            .split([',', '/'])
            .any(|part| part.trim().eq_ignore_ascii_case(asked))
}

/// The data components a log source provides: those of the catalog's analytics' log
/// source references with its name (any case), narrowed to its event codes or channel.
fn log_source(
    r: &mut Resolver<'_>,
    ls: &Spanned<String>,
    ev: &v1::TelemetryEntry,
) -> Option<BTreeSet<String>> {
    let catalog = r.catalog;
    let refs: Vec<&crate::catalog::LogSource> = catalog
        .analytics
        .iter()
        .flat_map(|a| &a.log_sources)
        .filter(|l| l.name.eq_ignore_ascii_case(ls.value.trim()))
        .collect();
    if refs.is_empty() {
        let names: BTreeSet<&str> = catalog
            .analytics
            .iter()
            .flat_map(|a| &a.log_sources)
            .map(|l| l.name.as_str())
            .collect();
        let d = Diagnostic::error(
            Code::UnknownLogSource,
            format!(
                "`{}` is not a log source of ATT&CK {} {}'s analytics",
                ls.value, catalog.domain, catalog.release
            ),
        )
        .with_label(ls.span, "unknown log source");
        let d = match crate::suggest::nearest(&ls.value, names.iter().copied()) {
            Some(n) => d.with_help(format!("did you mean `{n}`? log sources are named as in ATT&CK's analytics (`attack show T1003.001` lists some), or name data components instead")),
            None => d.with_help("log sources are named as in ATT&CK's analytics (`WinEventLog:Sysmon`, `auditd:SYSCALL`, `NSM:Flow`; `attack show T1003.001` lists some), or name data components instead"),
        };
        r.diags.push(d);
        return None;
    }
    let codes: Vec<u32> = ev.event_codes.iter().flatten().map(|c| c.value).collect();
    let mut out = BTreeSet::new();
    let mut missing_codes: BTreeSet<u32> = codes.iter().copied().collect();
    for l in &refs {
        let keep = match (&ev.channel, codes.is_empty()) {
            (Some(ch), _) => channel_matches(&l.channel, &ch.value),
            (None, false) => {
                let its = event_codes(&l.channel);
                let hit: Vec<u32> = its.into_iter().filter(|c| codes.contains(c)).collect();
                for c in &hit {
                    missing_codes.remove(c);
                }
                !hit.is_empty()
            }
            (None, true) => true,
        };
        if keep {
            if let Some(dc) = catalog
                .data_components
                .iter()
                .find(|d| d.id == l.data_component)
            {
                out.insert(dc.name.to_string());
            }
        }
    }
    let name = refs.first().map(|l| l.name.as_str()).unwrap_or("");
    if let Some(ch) = &ev.channel {
        if out.is_empty() {
            let known: BTreeSet<&str> = refs.iter().map(|l| l.channel.trim()).collect();
            let mut list: Vec<&str> = known.into_iter().take(8).collect();
            if refs.len() > 8 {
                list.push("…");
            }
            r.diags.push(
                Diagnostic::error(
                    Code::UnknownLogSource,
                    format!(
                        "no analytic of the catalog reads channel `{}` of `{name}`",
                        ch.value
                    ),
                )
                .with_label(ch.span, "unknown channel")
                .with_help(format!(
                    "channels as ATT&CK writes them: {}",
                    list.join("; ")
                )),
            );
            return None;
        }
    }
    if !missing_codes.is_empty() {
        let known: BTreeSet<u32> = refs.iter().flat_map(|l| event_codes(&l.channel)).collect();
        let missing: Vec<String> = missing_codes.iter().map(u32::to_string).collect();
        let known: Vec<String> = known.iter().map(u32::to_string).collect();
        let span = ev
            .event_codes
            .iter()
            .flatten()
            .find(|c| missing_codes.contains(&c.value))
            .map(|c| c.span)
            .unwrap_or(ls.span);
        r.diags.push(
            Diagnostic::error(
                Code::UnknownLogSource,
                format!(
                    "no analytic of the catalog reads event code {} of `{name}`",
                    missing.join(", ")
                ),
            )
            .with_label(span, "unknown event code")
            .with_help(if known.is_empty() {
                format!("ATT&CK gives `{name}` no event codes: narrow it with `channel:` or leave `event_codes` out")
            } else {
                format!("event codes of `{name}` in ATT&CK: {}", known.join(", "))
            }),
        );
        return None;
    }
    Some(out)
}

/// One `rule-blind` warning per group of counting rules that reach the same assets but
/// do not count there for want of the same data components.
pub(super) fn warn_blind(model: &Resolved) -> Vec<Diagnostic> {
    if model.assets.iter().all(|a| a.collects.is_none()) {
        return Vec::new();
    }
    // (missing data components, assets) → rules.
    let mut groups: BTreeMap<(Vec<String>, Vec<String>), Vec<&Rule>> = BTreeMap::new();
    for rule in model
        .rules
        .iter()
        .filter(|x| model.coverage.count.contains(&x.status) && !x.techniques.is_empty())
    {
        let mut by_missing: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
        for a in model.assets.iter().filter(|a| rule.reaches(a)) {
            let missing = rule.blind_on(a);
            if !missing.is_empty() {
                by_missing
                    .entry(missing.into_iter().map(str::to_string).collect())
                    .or_default()
                    .push(a.id.clone());
            }
        }
        for (missing, assets) in by_missing {
            groups.entry((missing, assets)).or_default().push(rule);
        }
    }
    groups
        .into_iter()
        .map(|((missing, assets), rules)| blind_warning(model, &missing, &assets, &rules))
        .collect()
}

fn blind_warning(
    model: &Resolved,
    missing: &[String],
    assets: &[String],
    rules: &[&Rule],
) -> Diagnostic {
    let n = rules.len();
    let ids = crate::words::id_list(rules.iter().map(|x| x.id.as_str()), 5);
    let network = rules.iter().all(|x| x.data_components.is_empty());
    let what = if network {
        format!("a network data component ({})", missing.join(" or "))
    } else {
        missing.join(", ")
    };
    let on: Vec<String> = assets.iter().map(|a| format!("`{a}`")).collect();
    let mut d = Diagnostic::warning(
        Code::RuleBlind,
        format!(
            "{n} {} {} {what}, not collected on {}: {}; {} not count there",
            crate::words::plural(n, "rule", "rules"),
            if n == 1 { "reads" } else { "read" },
            on.join(", "),
            ids.join(", "),
            if n == 1 { "it does" } else { "they do" },
        ),
    )
    .with_help(format!(
        "collect it there (a `telemetry:` entry naming a log source that provides {what}), or scope the {} with `assets:` to where it is collected",
        crate::words::plural(n, "rule", "rules")
    ));
    let rule_span = rules.iter().find_map(|x| x.span);
    let asset_span = assets
        .first()
        .and_then(|id| model.assets.iter().find(|a| &a.id == id))
        .map(|a| a.span);
    if let Some(span) = rule_span {
        d = d.with_label(span, format!("reads {what}"));
    } else if let Some(span) = asset_span {
        d = d.with_label(span, "its telemetry lacks it");
    }
    d
}
