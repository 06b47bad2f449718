//! The root model's sections: `model`, `attack`, `coverage` and `plan`, and the check
//! that fragments (included files) do not set them.

use super::context::Resolver;
use super::{CoverageSettings, Meta, PlanSettings, ResolveOptions, RuleStatus, SubtechniqueMode};
use crate::diag::{Code, Diagnostic};
use crate::model::load::{Loaded, LoadedFile};
use crate::source::Span;
use std::collections::BTreeMap;

/// Sections only the root model may set, reported where a fragment sets them.
pub(super) fn root_only_sections(r: &mut Resolver<'_>, loaded: &Loaded) {
    for f in loaded.files.iter().skip(1) {
        let c = &f.content;
        let plan_key = |key: fn(&crate::model::v1::PlanSettings) -> Option<Span>| {
            c.plan.as_ref().and_then(|p| key(&p.value))
        };
        let checks: [(&str, Option<Span>); 9] = [
            (
                "plan.capacity",
                plan_key(|p| p.capacity.as_ref().map(|x| x.span)),
            ),
            (
                "plan.effort",
                plan_key(|p| p.effort.as_ref().map(|x| x.span)),
            ),
            ("model", c.model.as_ref().map(|m| m.span)),
            ("attack", c.attack.as_ref().map(|m| m.span)),
            ("coverage", c.coverage.as_ref().map(|m| m.span)),
            (
                "plan.due",
                c.plan
                    .as_ref()
                    .and_then(|p| p.value.due.as_ref().map(|d| d.span)),
            ),
            (
                "plan.candidates",
                c.plan
                    .as_ref()
                    .and_then(|p| p.value.candidates.as_ref().map(|d| d.span)),
            ),
            (
                "plan.weights",
                plan_key(|p| p.weights.as_ref().map(|w| w.span)),
            ),
            (
                "plan.intel_half_life",
                plan_key(|p| p.intel_half_life.as_ref().map(|w| w.span)),
            ),
        ];
        for (name, span) in checks {
            if let Some(span) = span {
                let mut d = Diagnostic::error(
                    Code::FragmentSection,
                    format!("`{name}` may only be set in the root model"),
                )
                .with_label(span, "in an included fragment");
                if let Some(at) = f.included_at {
                    d = d.with_label(at, "included here");
                }
                r.diags.push(
                    d.with_help("fragments hold actors, assets, rules, targets and plan notes"),
                );
            }
        }
    }
}

/// The `model:` section (required). `attack_version` is filled by [`attack`].
pub(super) fn meta(r: &mut Resolver<'_>, root: &LoadedFile) -> Option<Meta> {
    let Some(m) = &root.content.model else {
        let span = r
            .sources
            .get(root.file)
            .map(|_| Span::new(root.file, 0, 0))
            .unwrap_or_default();
        r.diags.push(
            Diagnostic::error(Code::MissingModel, "the model has no `model:` section")
                .with_label(span, "")
                .with_help("add `model:` with at least `name:` (a slug such as `acme-finance`)"),
        );
        return None;
    };
    let m = &m.value;
    let assessed = m.assessed.as_ref().and_then(|a| r.date(a, "`assessed`"));
    Some(Meta {
        name: m.name.value.clone(),
        title: m.title.clone(),
        version: m.version.as_ref().map(|v| v.value.text()),
        owner: m.owner.clone(),
        assessed,
        description: m.description.clone(),
        attack_version: None,
    })
}

/// The `attack:` section: its domain must be the catalog's; a release other than the
/// catalog's is a warning. Returns the release the model names.
pub(super) fn attack(
    r: &mut Resolver<'_>,
    root: &LoadedFile,
    opts: &ResolveOptions,
) -> Option<String> {
    let a = root.content.attack.as_ref()?;
    let catalog = r.catalog;
    if let Some(d) = &a.value.domain {
        let want = crate::catalog::Domain::from(d.value).as_str();
        if want != catalog.domain.as_str() {
            r.diags.push(
                Diagnostic::error(
                    Code::AttackDomainMismatch,
                    format!(
                        "the model is for ATT&CK {want} but the ATT&CK data in use is {}",
                        catalog.domain
                    ),
                )
                .with_label(d.span, "model domain")
                .with_help("supply the bundle of the model's domain with --attack-data"),
            );
        }
    }
    let v = a.value.version.as_ref()?;
    let text = v.value.text();
    // A model of a newer release than the catalog (19.0 on the embedded 18.1): its ids
    // cannot be checked, so this is an error saying how to supply that release.
    if let Some((msg, help)) = crate::catalog::newer::newer_model_release(catalog, &text) {
        r.diags.push(
            Diagnostic::error(Code::AttackReleaseUnavailable, msg)
                .with_label(v.span, format!("catalog is {}", catalog.release))
                .with_help(help),
        );
        return Some(text);
    }
    if text != catalog.release && !opts.quiet_version {
        r.diags.push(
            Diagnostic::warning(
                Code::AttackVersionMismatch,
                format!("the model is written against ATT&CK {text} but the catalog in use is {}", catalog.release),
            )
            .with_label(v.span, format!("catalog is {}", catalog.release))
            .with_help(format!(
                "run `threatc migrate` to update the model to {}, or pass the {text} bundle with --attack-data",
                catalog.release
            )),
        );
    }
    Some(text)
}

/// The `coverage:` section, with its defaults (production counts; exact ids).
pub(super) fn coverage(root: &LoadedFile) -> CoverageSettings {
    let mut coverage = CoverageSettings {
        count: [RuleStatus::Production].into_iter().collect(),
        subtechniques: SubtechniqueMode::Exact,
        validation_max_age: super::DEFAULT_MAX_AGE_DAYS,
        tests_as_of: crate::date::Date::today(),
    };
    if let Some(c) = &root.content.coverage {
        if let Some(count) = &c.value.count {
            coverage.count = count.iter().map(|s| RuleStatus::from(s.value)).collect();
        }
        if let Some(m) = &c.value.subtechniques {
            coverage.subtechniques = m.value.into();
        }
    }
    coverage
}

/// The `plan:` sections: due days (root only) and the notes of every file.
pub(super) fn plan(r: &mut Resolver<'_>, loaded: &Loaded) -> PlanSettings {
    let mut plan = PlanSettings {
        due_days: [30, 60, 90],
        notes: BTreeMap::new(),
        candidates_shown: 3,
        capacity: None,
        effort: super::effort::EffortPoints::default(),
        weights: crate::analysis::Weights::default(),
        intel_half_life: super::priority_inputs::DEFAULT_INTEL_HALF_LIFE_DAYS,
    };
    (plan.capacity, plan.effort) = super::effort::capacity(r, loaded);
    let shown = loaded
        .files
        .first()
        .and_then(|root| root.content.plan.as_ref())
        .and_then(|p| p.value.candidates.as_ref());
    if let Some(n) = shown {
        plan.candidates_shown = usize::try_from(n.value).unwrap_or(3);
    }
    let due = loaded
        .files
        .first()
        .and_then(|root| root.content.plan.as_ref())
        .and_then(|p| p.value.due.as_ref());
    if let Some(d) = due {
        plan.due_days = [
            d.value.p1.unwrap_or(30),
            d.value.p2.unwrap_or(60),
            d.value.p3.unwrap_or(90),
        ];
    }
    for f in &loaded.files {
        if let Some(p) = &f.content.plan {
            for (k, note) in &p.value.techniques {
                if let Some(id) = r.technique(k, "`plan.techniques`") {
                    let note = super::effort::note(r, &note.value);
                    plan.notes.insert(id, note);
                }
            }
        }
    }
    plan
}
