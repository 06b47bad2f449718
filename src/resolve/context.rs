//! The context every resolve pass shares: the catalog, the source map and the
//! diagnostics found so far, with the checks several passes make (a technique
//! reference, a date, a duplicate id).

use crate::catalog::Catalog;
use crate::date::Date;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::v1;
use crate::source::{SourceMap, Span, Spanned};
use crate::technique_id::is_technique_id;

pub(crate) struct Resolver<'a> {
    pub catalog: &'a Catalog,
    pub sources: &'a mut SourceMap,
    pub diags: Diagnostics,
}

impl<'a> Resolver<'a> {
    pub fn new(catalog: &'a Catalog, sources: &'a mut SourceMap) -> Self {
        Resolver {
            catalog,
            sources,
            diags: Diagnostics::new(),
        }
    }

    /// Checks a technique reference; returns the canonical id when usable.
    pub fn technique(&mut self, t: &Spanned<String>, what: &str) -> Option<String> {
        let raw = t.value.trim();
        if !is_technique_id(raw) {
            let upper = raw.to_ascii_uppercase();
            let mut d = Diagnostic::error(
                Code::BadTechniqueId,
                format!("`{raw}` is not a technique id"),
            )
            .with_label(t.span, format!("{what} takes ATT&CK technique ids"));
            if is_technique_id(&upper) {
                d = d.with_help(format!("write `{upper}`"));
            } else if let Some(n) = self.catalog.nearest_techniques(raw, 1).first() {
                d = d.with_help(format!(
                    "technique ids look like T1059 or T1059.001; did you mean `{}` ({})?",
                    n.id, n.name
                ));
            } else {
                d = d.with_help("technique ids look like T1059 or T1059.001");
            }
            self.diags.push(d);
            return None;
        }
        let Some(tech) = self.catalog.technique(raw) else {
            // An id of a newer release (T1685 against 18.1): say so, and how to supply it.
            if let Some((msg, help)) =
                crate::catalog::newer::unknown_technique_hint(self.catalog, raw)
            {
                self.diags.push(
                    Diagnostic::error(Code::UnknownTechnique, msg)
                        .with_label(t.span, "not in the catalog in use")
                        .with_help(help),
                );
                return None;
            }
            let near = self.catalog.nearest_techniques(raw, 3);
            let mut d = Diagnostic::error(
                Code::UnknownTechnique,
                format!(
                    "unknown technique `{raw}` in ATT&CK {} {}",
                    self.catalog.domain, self.catalog.release
                ),
            )
            .with_label(t.span, "not in the catalog");
            if let Some(n) = near.first() {
                d = d.with_help(format!("did you mean `{}` ({})?", n.id, n.name));
            }
            self.diags.push(d);
            return None;
        };
        if tech.revoked {
            let msg = match &tech.revoked_by {
                Some(r) => {
                    let name = self
                        .catalog
                        .technique(r)
                        .map(|x| x.name.as_str())
                        .unwrap_or("");
                    (
                        format!("technique `{raw}` was revoked; replaced by `{r}` ({name})"),
                        format!("write `{r}`, or run `threatc migrate` to update the model"),
                    )
                }
                None => (
                    format!("technique `{raw}` was revoked"),
                    "remove it".to_string(),
                ),
            };
            self.diags.push(
                Diagnostic::error(Code::RevokedTechnique, msg.0)
                    .with_label(
                        t.span,
                        format!("revoked in ATT&CK {}", self.catalog.release),
                    )
                    .with_help(msg.1),
            );
            return None;
        }
        if tech.deprecated {
            self.diags.push(
                Diagnostic::warning(Code::DeprecatedTechnique, format!("technique `{raw}` ({}) is deprecated", tech.name))
                    .with_label(t.span, format!("deprecated in ATT&CK {}", self.catalog.release))
                    .with_help("ATT&CK no longer maintains it and no group uses it; remove it or map to a current technique"),
            );
        }
        Some(tech.id.to_string())
    }

    pub fn date(&mut self, s: &Spanned<v1::Scalar>, what: &str) -> Option<Date> {
        let text = s.value.text();
        match Date::parse(text.trim()) {
            Some(d) => Some(d),
            None => {
                let help = match Date::impossible(text.trim()) {
                    Some(why) => why,
                    None => "write an ISO date: YYYY-MM-DD, e.g. 2027-03-31".to_string(),
                };
                self.diags.push(
                    Diagnostic::error(Code::InvalidDate, format!("`{text}` is not a valid date"))
                        .with_label(s.span, format!("{what} is a date"))
                        .with_help(help),
                );
                None
            }
        }
    }

    pub fn duplicate(&mut self, kind: &str, id: &str, first: Span, again: Span) {
        self.diags.push(
            Diagnostic::error(
                Code::DuplicateId,
                format!("{kind} id `{id}` is defined twice"),
            )
            .with_label(again, "defined again here")
            .with_label(first, "first defined here")
            .with_help(format!(
                "{kind} ids must be unique across the model and its includes"
            )),
        );
    }

    /// Checks a rule's platform name against the catalog; the canonical name, or an
    /// `unknown-platform` error with a did-you-mean.
    pub fn rule_platform(&mut self, p: &Spanned<String>) -> Option<String> {
        let found = platform_name(self.catalog, &p.value);
        self.known(p, found, Code::UnknownPlatform, "platform")
    }

    /// Checks a rule's data component (name or `DC` id) against the catalog; the
    /// canonical name, or an `unknown-data-component` error with a did-you-mean.
    pub fn data_component(&mut self, c: &Spanned<String>) -> Option<String> {
        let found = component_name(self.catalog, &c.value);
        self.known(c, found, Code::UnknownDataComponent, "data component")
    }

    /// The canonical name a catalog lookup found, or (pushing a `code` error saying
    /// the value is not an ATT&CK `what` of the domain, with the lookup's advice) None.
    fn known(
        &mut self,
        v: &Spanned<String>,
        found: Result<String, String>,
        code: Code,
        what: &str,
    ) -> Option<String> {
        match found {
            Ok(canon) => Some(canon),
            Err(help) => {
                self.diags.push(
                    Diagnostic::error(
                        code,
                        format!(
                            "`{}` is not an ATT&CK {} {what}",
                            v.value, self.catalog.domain
                        ),
                    )
                    .with_label(v.span, format!("unknown {what}"))
                    .with_help(help),
                );
                None
            }
        }
    }
}

/// The canonical spelling of a platform of the catalog's domain, or advice (a
/// did-you-mean and the domain's platforms).
pub(crate) fn platform_name(catalog: &Catalog, name: &str) -> Result<String, String> {
    if let Some(canon) = catalog.is_platform(name.trim()) {
        return Ok(canon.to_string());
    }
    if catalog.platforms.is_empty() {
        return Err(format!(
            "ATT&CK {} gives its techniques no platforms: leave `platforms` out",
            catalog.domain
        ));
    }
    let all = catalog.platforms.join(", ");
    Err(
        match crate::suggest::nearest(
            name,
            catalog.platforms.iter().map(crate::catalog::Str::as_str),
        ) {
            Some(n) => format!("did you mean `{n}`? platforms: {all}"),
            None => format!("platforms of this domain: {all}"),
        },
    )
}

/// The canonical name of a data component given by name (any case) or `DC` id, or
/// advice (a did-you-mean).
pub(crate) fn component_name(catalog: &Catalog, name: &str) -> Result<String, String> {
    let name = name.trim();
    if let Some(c) = catalog
        .data_components
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(name) || c.name.eq_ignore_ascii_case(name))
    {
        return Ok(c.name.to_string());
    }
    Err(
        match crate::suggest::nearest(name, catalog.data_components.iter().map(|c| c.name.as_str())) {
            Some(n) => format!("did you mean `{n}`? data components are named as in ATT&CK v18 (`Process Creation`) or by id (`DC0032`)"),
            None => "data components are named as in ATT&CK v18 (`Process Creation`) or by id (`DC0032`)".to_string(),
        },
    )
}
