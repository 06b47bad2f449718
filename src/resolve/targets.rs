//! Coverage targets: the actors they name (by id, group name, alias or ATT&CK id), the
//! share they require, their due date.

use super::context::Resolver;
use super::{find_actor, Actor, Target};
use crate::date::Date;
use crate::diag::{Code, Diagnostic};
use crate::model::load::Loaded;
use crate::model::v1;
use crate::source::{Span, Spanned};
use std::collections::{BTreeSet, HashMap};

/// Every target of every file, in model order; duplicates reported and dropped.
pub(super) fn resolve(
    r: &mut Resolver<'_>,
    loaded: &Loaded,
    actors: &[Actor],
    asset_ids: &BTreeSet<&str>,
    assessed: Option<Date>,
) -> Vec<Target> {
    let mut targets = Vec::new();
    let mut ids: HashMap<String, Span> = HashMap::new();
    for f in &loaded.files {
        for t in &f.content.targets {
            let tv = &t.value;
            if let Some(first) = ids.get(&tv.id.value) {
                r.duplicate("target", &tv.id.value, *first, tv.id.span);
                continue;
            }
            ids.insert(tv.id.value.clone(), tv.id.span);
            let mut t = target(r, tv, actors, assessed);
            for a in tv.assets.iter().flatten() {
                let what = format!("target `{}`", tv.id.value);
                if let Some(id) = super::evidence::asset(r, &a.value, a.span, asset_ids, &what) {
                    t.assets.push(id);
                }
            }
            t.assets.sort();
            t.assets.dedup();
            t.state = match (tv.state, tv.assets.is_some()) {
                (Some(v1::TargetState::Visible), _) => Some(crate::analysis::State::Visible),
                (Some(v1::TargetState::Detected), _) | (None, true) => {
                    Some(crate::analysis::State::Detected)
                }
                (Some(v1::TargetState::Validated), _) => Some(crate::analysis::State::Validated),
                (None, false) => None,
            };
            targets.push(t);
        }
    }
    targets
}

fn target(
    r: &mut Resolver<'_>,
    tv: &v1::Target,
    actors: &[Actor],
    assessed: Option<Date>,
) -> Target {
    let mut ids = target_actors(r, tv, actors);
    let share = parse_share(r, &tv.coverage);
    let by = tv.by.as_ref().and_then(|b| r.date(b, "`by`"));
    if let (Some(by), Some(assessed), Some(b)) = (by, assessed, &tv.by) {
        if by < assessed {
            r.diags.push(
                Diagnostic::note(
                    Code::TargetAfterAssessed,
                    format!(
                        "target `{}` was due before the assessment date",
                        tv.id.value
                    ),
                )
                .with_label(b.span, format!("before {assessed}")),
            );
        }
    }
    let all_actors = tv.actors.is_none();
    if all_actors {
        ids = actors.iter().map(|a| a.id.clone()).collect();
    }
    Target {
        id: tv.id.value.clone(),
        actors: ids,
        all_actors,
        share: share.unwrap_or(0.0),
        weighted: tv.weighted.unwrap_or(false),
        assets: Vec::new(),
        state: None,
        by,
        description: tv.description.clone(),
        span: tv.coverage.span,
    }
}

/// The model ids of the actors a target names, in its order, each once.
fn target_actors(r: &mut Resolver<'_>, tv: &v1::Target, actors: &[Actor]) -> Vec<String> {
    let mut ids = Vec::new();
    for a in tv.actors.iter().flatten() {
        if let Some(id) = find_actor(actors, &a.value) {
            if !ids.contains(&id) {
                ids.push(id);
            }
            continue;
        }
        let known: BTreeSet<&str> = actors.iter().map(|x| x.id.as_str()).collect();
        let d = Diagnostic::error(
            Code::UndefinedActor,
            format!(
                "target `{}` names `{}`, which is not an actor of this model",
                tv.id.value, a.value
            ),
        )
        .with_label(a.span, "no such actor");
        r.diags
            .push(match crate::suggest::nearest(&a.value, known) {
                Some(n) => d.with_help(format!(
                    "did you mean `{n}`? targets name actors by id, group name, alias or ATT&CK id"
                )),
                None => d.with_help("add the actor under `actors:`, or name one the model has"),
            });
    }
    ids
}

/// A share: `80%` or a fraction between 0 and 1.
fn parse_share(r: &mut Resolver<'_>, s: &Spanned<v1::Scalar>) -> Option<f64> {
    let v = match &s.value {
        v1::Scalar::Int(i) if *i == 0 || *i == 1 => Some(*i as f64),
        v1::Scalar::Float(f) if (0.0..=1.0).contains(f) => Some(*f),
        v1::Scalar::Text(t) => t
            .trim()
            .strip_suffix('%')
            .and_then(|n| n.trim().parse::<f64>().ok())
            .filter(|n| (0.0..=100.0).contains(n))
            .map(|n| n / 100.0),
        _ => None,
    };
    if let Some(why) = v.and_then(|_| ambiguous_share(&s.value)) {
        r.diags.push(
            Diagnostic::warning(
                Code::CoverageAmbiguous,
                format!("`{}` {why}", s.value.text()),
            )
            .with_label(s.span, "is this the share you mean?"),
        );
    }
    if v.is_none() {
        r.diags.push(
            Diagnostic::error(
                Code::InvalidCoverage,
                format!("`{}` is not a coverage share", s.value.text()),
            )
            .with_label(s.span, "expected a percentage or a fraction")
            .with_help(
                "write a percentage such as `80%` or a fraction between 0 and 1 such as `0.8`",
            ),
        );
    }
    v
}

/// Why a valid share is likely not the one meant: a percentage under 1% (`0.8%`, a
/// fraction written with `%`) or the bare integer `1` (100%, perhaps meant as 1%).
fn ambiguous_share(v: &v1::Scalar) -> Option<String> {
    match v {
        v1::Scalar::Int(1) => {
            Some("means 100% (a fraction): write `100%` to say so, or `1%` if that is meant".into())
        }
        v1::Scalar::Text(t) => {
            let n = t.trim().strip_suffix('%')?.trim().parse::<f64>().ok()?;
            (n > 0.0 && n < 1.0).then(|| {
                format!(
                    "is under 1%: did you mean `{}%` (the fraction {n} as a percentage)?",
                    (n * 10_000.0).round() / 100.0
                )
            })
        }
        _ => None,
    }
}
