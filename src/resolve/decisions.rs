//! Risk decisions (`decisions:`): per technique, optionally per asset, `detect`,
//! `mitigate` (with the mitigations relied on), `accept` or `transfer`, with owner,
//! approver, reason, date and expiry. A decision is expired when its expiry is before
//! the day tests are aged from (`model.assessed`, or the day of the build).

use super::context::Resolver;
use crate::date::Date;
use crate::diag::{Code, Diagnostic};
use crate::model::load::Loaded;
use crate::model::v1::{self, DecisionKind};
use std::collections::BTreeSet;

/// A resolved decision.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Decision {
    /// Technique id.
    pub technique: String,
    /// Assets it is decided on (empty: every asset).
    pub assets: Vec<String>,
    /// What is decided.
    pub decision: DecisionKind,
    /// With `mitigate`: the ATT&CK mitigations relied on (M-ids).
    pub mitigations: Vec<String>,
    /// Owner of the risk.
    pub owner: Option<String>,
    /// Who approved it.
    pub approver: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// When it was decided.
    pub date: Option<Date>,
    /// When it must be decided again.
    pub expiry: Option<Date>,
    /// The expiry is before the assessed date (or the day of the build): an expired
    /// accept or transfer no longer removes the gap.
    pub expired: bool,
}

/// Every decision of every file, in model order.
pub(super) fn resolve(
    r: &mut Resolver<'_>,
    loaded: &Loaded,
    asset_ids: &BTreeSet<&str>,
    as_of: Date,
    deny_expired: bool,
) -> Vec<Decision> {
    let mut out = Vec::new();
    for f in &loaded.files {
        for d in &f.content.decisions {
            if let Some(x) = decision(r, &d.value, d.span, asset_ids, as_of, deny_expired) {
                out.push(x);
            }
        }
    }
    out
}

fn decision(
    r: &mut Resolver<'_>,
    dv: &v1::Decision,
    span: crate::source::Span,
    asset_ids: &BTreeSet<&str>,
    as_of: Date,
    deny_expired: bool,
) -> Option<Decision> {
    let technique = r.technique(&dv.technique, "a decision");
    let what = format!("the decision on `{}`", dv.technique.value);
    let mut assets = Vec::new();
    for a in dv.assets.iter().flatten() {
        if let Some(id) = super::evidence::asset(r, &a.value, a.span, asset_ids, &what) {
            assets.push(id);
        }
    }
    assets.sort();
    assets.dedup();
    let kind = dv.decision.unwrap_or(DecisionKind::Detect);
    let mitigations = mitigations(r, dv, kind, &what);
    if matches!(kind, DecisionKind::Accept | DecisionKind::Transfer) {
        let missing: Vec<&str> = [("owner", &dv.owner), ("reason", &dv.reason)]
            .into_iter()
            .filter(|(_, v)| v.as_deref().is_none_or(|s| s.trim().is_empty()))
            .map(|(k, _)| k)
            .collect();
        if !missing.is_empty() {
            r.diags.push(
                Diagnostic::error(
                    Code::DecisionIncomplete,
                    format!(
                        "{what} ({}) lacks `{}`",
                        kind.as_str(),
                        missing.join("` and `")
                    ),
                )
                .with_label(span, "decision here")
                .with_help("an accepted or transferred risk needs an owner and a reason"),
            );
        }
    }
    let date = dv
        .date
        .as_ref()
        .and_then(|d| r.date(d, "a decision's `date`"));
    let expiry = dv
        .expiry
        .as_ref()
        .and_then(|d| r.date(d, "a decision's `expiry`"));
    if let (Some(d), Some(e), Some(es)) = (date, expiry, &dv.expiry) {
        if e < d {
            r.diags.push(
                Diagnostic::error(
                    Code::DecisionExpiryBeforeDate,
                    format!("{what} expires ({e}) before it was decided ({d})"),
                )
                .with_label(es.span, format!("before {d}")),
            );
        }
    }
    let expired = expiry.is_some_and(|e| e < as_of);
    if let (true, Some(es)) = (expired, &dv.expiry) {
        let msg = format!(
            "{what} ({}) expired on {}, before {as_of}",
            kind.as_str(),
            expiry.map(|e| e.to_string()).unwrap_or_default()
        );
        let d = if deny_expired {
            Diagnostic::error(Code::DecisionExpired, msg)
        } else {
            Diagnostic::warning(Code::DecisionExpired, msg)
        };
        r.diags.push(
            d.with_label(es.span, "expired")
                .with_help("review the decision and set a new `expiry`; an expired accept or transfer counts as a gap again"),
        );
    }
    Some(Decision {
        technique: technique?,
        assets,
        decision: kind,
        mitigations,
        owner: dv.owner.clone(),
        approver: dv.approver.clone(),
        reason: dv.reason.clone(),
        date,
        expiry,
        expired,
    })
}

/// The mitigations a decision relies on, checked against the catalog (did-you-mean).
fn mitigations(
    r: &mut Resolver<'_>,
    dv: &v1::Decision,
    kind: DecisionKind,
    what: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    for m in dv.mitigations.iter().flatten() {
        if kind != DecisionKind::Mitigate {
            r.diags.push(
                Diagnostic::error(
                    Code::DecisionIncomplete,
                    format!("{what} is `{}`, not `mitigate`", kind.as_str()),
                )
                .with_label(m.span, "mitigations belong to `mitigate` decisions"),
            );
            break;
        }
        let id = m.value.trim().to_ascii_uppercase();
        if r.catalog.mitigation(&id).is_some() {
            out.push(id);
            continue;
        }
        let known: Vec<&str> = r
            .catalog
            .mitigations
            .iter()
            .map(|x| x.id.as_str())
            .collect();
        let d = Diagnostic::error(
            Code::UnknownMitigation,
            format!("{what} names `{}`, not an ATT&CK mitigation", m.value),
        )
        .with_label(m.span, "no such mitigation");
        r.diags.push(match crate::suggest::nearest(&id, known) {
            Some(n) => d.with_help(format!("did you mean `{n}`?")),
            None => d.with_help("name ATT&CK mitigations by id, e.g. M1053"),
        });
    }
    out.sort();
    out.dedup();
    out
}
