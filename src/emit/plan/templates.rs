//! The template environment: the embedded templates, overridden by file name from
//! `--templates DIR` (read through the confined opener), the Markdown escaping, the
//! filters and the fuel limit; and rendering with a `template-error` diagnostic.

use super::technique_url;
use crate::diag::{Code, Diagnostic};
use crate::emit::tables::md_cell;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use std::path::{Path, PathBuf};

/// The templates embedded in the binary, by file name.
pub const EMBEDDED_TEMPLATES: &[(&str, &str)] = &[
    ("plan.md.j2", include_str!("../../../templates/plan.md.j2")),
    (
        "plan.html.j2",
        include_str!("../../../templates/plan.html.j2"),
    ),
    ("macros.j2", include_str!("../../../templates/macros.j2")),
];

fn escape_kind(name: &str) -> AutoEscape {
    let base = name.strip_suffix(".j2").unwrap_or(name);
    if base.ends_with(".html")
        || base.ends_with(".htm")
        || base.ends_with(".xml")
        || base.ends_with(".svg")
    {
        AutoEscape::Html
    } else if base.ends_with(".md") {
        AutoEscape::Custom("markdown".into())
    } else {
        AutoEscape::None
    }
}

fn embedded(name: &str) -> Option<&'static str> {
    EMBEDDED_TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
}

fn fmt_value(v: &Value) -> std::borrow::Cow<'_, str> {
    match v.as_str() {
        Some(s) => s.into(),
        None if v.is_none() || v.is_undefined() => "".into(),
        None => v.to_string().into(),
    }
}

/// Instructions one template render may run. The embedded plan templates use a small
/// share of it on a 50,000-rule inventory (README, "Plan templates"); a template that
/// loops without end stops with `template-error` instead of hanging the build.
pub const TEMPLATE_FUEL: u64 = 50_000_000;

/// Largest template file read (bytes).
const MAX_TEMPLATE_BYTES: u64 = 4 * 1024 * 1024;

/// Where templates from `--templates DIR` may resolve: inside the repository that holds
/// the folder (a pull request writes it), else inside the folder itself.
fn template_confine(dir: &Path) -> crate::fsio::Confine {
    let abs = crate::fsio::normalize(&crate::fsio::absolute(dir));
    let root = crate::fsio::repo_root(&abs);
    if root.join(".git").symlink_metadata().is_ok() {
        crate::fsio::Confine::new(&root, false)
    } else {
        crate::fsio::Confine::new(&abs, false)
    }
}

/// The template environment: embedded templates, overridden by file name from `dir`.
pub fn environment(dir: Option<&Path>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Templates from `--templates` are untrusted: nested loops must end. Each render
    // gets this many instructions (see `TEMPLATE_FUEL`).
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_auto_escape_callback(escape_kind);
    env.set_formatter(|out, state, value| {
        if matches!(state.auto_escape(), AutoEscape::Custom(k) if k == "markdown")
            && !value.is_safe()
        {
            let text = fmt_value(value);
            out.write_str(&crate::escape::markdown_text_cow(&text))
                .map_err(|_| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "cannot write output")
                })
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    let dir: Option<(PathBuf, crate::fsio::Confine)> =
        dir.map(|d| (d.to_path_buf(), template_confine(d)));
    env.set_loader(move |name: &str| {
        // Plain file names only: a template cannot reach outside the folder.
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Ok(None);
        }
        if let Some((d, confine)) = &dir {
            let p = d.join(name);
            if p.symlink_metadata().is_ok() {
                // Through the confined opener: a template that is a link out of the
                // folder (to /proc/self/environ, say) is refused, never read.
                return match crate::fsio::read_text(&p, confine, MAX_TEMPLATE_BYTES) {
                    Ok((text, _)) => Ok(Some(text)),
                    Err(e) => {
                        let why = e.phrase();
                        Err(minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("template `{name}` {why}"),
                        ))
                    }
                };
            }
        }
        Ok(embedded(name).map(str::to_string))
    });
    env.add_filter("md", |v: Value| md_cell(&fmt_value(&v)));
    env.add_filter("pct", |x: f64| crate::emit::pct(x));
    env.add_filter("num", |x: f64| crate::emit::fmt_num(x));
    env.add_filter("url", |id: String| technique_url(&id));
    env
}

fn template_diag(e: &minijinja::Error, fallback: &str) -> Diagnostic {
    let name = e.name().unwrap_or(fallback).to_string();
    let line = e.line().map(|l| format!(" line {l}")).unwrap_or_default();
    let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
    Diagnostic::error(
        Code::TemplateError,
        format!("template `{name}`{line}: {}{detail}", e.kind()),
    )
    .with_help("fix the template (README, section Plan templates, lists the context keys); nothing was written")
}

/// Renders one template by name.
pub fn render(env: &Environment<'_>, name: &str, ctx: &Value) -> Result<String, Diagnostic> {
    let t = env
        .get_template(name)
        .map_err(|e| template_diag(&e, name))?;
    let mut s = t.render(ctx).map_err(|e| template_diag(&e, name))?;
    if !s.ends_with('\n') {
        s.push('\n');
    }
    Ok(s)
}
