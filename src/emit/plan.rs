//! The remediation plan: plan.md and plan.html rendered from templates (embedded,
//! overridable from a folder), the matrix heatmap as SVG, and plan.xlsx.
//!
//! Templates see the analysis (the data of report.json) at the top level plus
//! precomputed plan data under `plan` (what to build per gap) and the heatmap as
//! `matrix_svg`. See README, "Plan templates".

use super::tables::md_cell;
use crate::analysis::{Analysis, Tier};
use crate::catalog::Catalog;
use crate::diag::Code;
use crate::diag::Diagnostic;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The templates embedded in the binary, by file name.
pub const EMBEDDED_TEMPLATES: &[(&str, &str)] = &[
    ("plan.md.j2", include_str!("../../templates/plan.md.j2")),
    ("plan.html.j2", include_str!("../../templates/plan.html.j2")),
    ("macros.j2", include_str!("../../templates/macros.j2")),
];

/// A log source an analytic reads.
#[derive(Debug, Clone, Serialize)]
pub struct PlanLogSource {
    /// Log name, e.g. `WinEventLog:Security`.
    pub name: String,
    /// Channel, e.g. `EventCode=5140` (may be empty).
    pub channel: String,
    /// Data component id.
    pub data_component: String,
    /// Data component name.
    pub data_component_name: String,
}

/// An analytic for an in-scope platform.
#[derive(Debug, Clone, Serialize)]
pub struct PlanAnalytic {
    /// `AN…` id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Platforms.
    pub platforms: Vec<String>,
    /// Log sources.
    pub log_sources: Vec<PlanLogSource>,
}

/// A detection strategy of a technique.
#[derive(Debug, Clone, Serialize)]
pub struct PlanStrategy {
    /// `DET…` id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its analytics for the platforms in scope.
    pub analytics: Vec<PlanAnalytic>,
}

/// A mitigation of a technique.
#[derive(Debug, Clone, Serialize)]
pub struct PlanMitigation {
    /// `M…` id.
    pub id: String,
    /// Name.
    pub name: String,
    /// How it applies to the technique.
    pub text: String,
}

/// What to build to close one gap.
#[derive(Debug, Clone, Serialize)]
pub struct GapBuild {
    /// ATT&CK page of the technique.
    pub url: String,
    /// Detection strategies.
    pub detection_strategies: Vec<PlanStrategy>,
    /// Mitigations.
    pub mitigations: Vec<PlanMitigation>,
}

/// One tier's line of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct TierInfo {
    /// `P1`, `P2`, `P3`.
    pub tier: String,
    /// Days to due.
    pub days: u32,
    /// Gaps in the tier.
    pub count: usize,
}

/// Precomputed plan data (the `plan` key of the template context).
#[derive(Debug, Clone, Serialize)]
pub struct PlanData {
    /// What to build, by gap technique id.
    pub build: BTreeMap<String, GapBuild>,
    /// Technique display names, by id (every threat technique).
    pub technique_names: BTreeMap<String, String>,
    /// Tactic display names, by short name.
    pub tactic_names: BTreeMap<String, String>,
    /// Actor display names, by actor id.
    pub actor_names: BTreeMap<String, String>,
    /// Tiers with their due days and gap counts.
    pub tiers: Vec<TierInfo>,
    /// Platforms in scope (empty: all).
    pub platforms: Vec<String>,
}

/// ATT&CK page of a technique (`T1059.001` → `…/techniques/T1059/001/`).
pub fn technique_url(id: &str) -> String {
    format!(
        "https://attack.mitre.org/techniques/{}/",
        id.replace('.', "/")
    )
}

fn in_scope_platforms(a: &Analysis) -> BTreeSet<String> {
    a.assets
        .iter()
        .flat_map(|x| x.platforms.iter().cloned())
        .collect()
}

/// Computes the plan data.
pub fn plan_data(a: &Analysis, catalog: &Catalog) -> PlanData {
    let platforms = in_scope_platforms(a);
    let mut build = BTreeMap::new();
    for g in a.gaps.iter() {
        let mut strategies = Vec::new();
        let mut mitigations = Vec::new();
        if let Some(t) = catalog.technique(&g.technique) {
            for det in &t.detection_strategies {
                let Some(ds) = catalog.detection_strategy(det) else {
                    continue;
                };
                let analytics = ds
                    .analytics
                    .iter()
                    .filter_map(|id| catalog.analytic(id))
                    .filter(|an| {
                        platforms.is_empty() || an.platforms.iter().any(|p| platforms.contains(p))
                    })
                    .map(|an| PlanAnalytic {
                        id: an.id.clone(),
                        name: an.name.clone(),
                        platforms: an.platforms.clone(),
                        log_sources: an
                            .log_sources
                            .iter()
                            .map(|ls| PlanLogSource {
                                name: ls.name.clone(),
                                channel: ls.channel.clone(),
                                data_component: ls.data_component.clone(),
                                data_component_name: catalog
                                    .data_component(&ls.data_component)
                                    .map(|d| d.name.clone())
                                    .unwrap_or_default(),
                            })
                            .collect(),
                    })
                    .collect();
                strategies.push(PlanStrategy {
                    id: ds.id.clone(),
                    name: ds.name.clone(),
                    analytics,
                });
            }
            for m in &t.mitigations {
                mitigations.push(PlanMitigation {
                    id: m.id.clone(),
                    name: catalog
                        .mitigation(&m.id)
                        .map(|x| x.name.clone())
                        .unwrap_or_default(),
                    text: m.text.clone(),
                });
            }
        }
        build.insert(
            g.technique.clone(),
            GapBuild {
                url: technique_url(&g.technique),
                detection_strategies: strategies,
                mitigations,
            },
        );
    }
    let tiers = [Tier::P1, Tier::P2, Tier::P3]
        .iter()
        .zip(a.settings.due_days.iter())
        .map(|(t, d)| TierInfo {
            tier: t.as_str().to_string(),
            days: *d,
            count: a.gaps.iter().filter(|g| g.tier == *t).count(),
        })
        .collect();
    PlanData {
        build,
        technique_names: a
            .techniques
            .iter()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect(),
        tactic_names: catalog
            .tactics
            .iter()
            .map(|t| (t.shortname.clone(), t.name.clone()))
            .collect(),
        actor_names: a
            .actors
            .iter()
            .map(|x| (x.id.clone(), x.name.clone()))
            .collect(),
        tiers,
        platforms: platforms.into_iter().collect(),
    }
}

// ---------------------------------------------------------------- matrix

/// State of a matrix cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellState {
    Covered,
    Gap(Tier),
    OutOfScope,
    NotInThreat,
}

impl CellState {
    fn fill(self) -> &'static str {
        match self {
            CellState::Covered => "#a6d96a",
            CellState::Gap(Tier::P1) => "#d73027",
            CellState::Gap(Tier::P2) => "#fc8d59",
            CellState::Gap(Tier::P3) => "#fee08b",
            CellState::OutOfScope => "#bdbdbd",
            CellState::NotInThreat => "#ffffff",
        }
    }
    fn ink(self) -> &'static str {
        match self {
            CellState::Gap(Tier::P1) => "#ffffff",
            CellState::NotInThreat => "#595959",
            _ => "#1a1a1a",
        }
    }
    fn marker(self) -> &'static str {
        match self {
            CellState::Covered => "✓",
            CellState::Gap(Tier::P1) => "1",
            CellState::Gap(Tier::P2) => "2",
            CellState::Gap(Tier::P3) => "3",
            CellState::OutOfScope => "–",
            CellState::NotInThreat => "",
        }
    }
    fn label(self) -> &'static str {
        match self {
            CellState::Covered => "covered",
            CellState::Gap(Tier::P1) => "gap P1",
            CellState::Gap(Tier::P2) => "gap P2",
            CellState::Gap(Tier::P3) => "gap P3",
            CellState::OutOfScope => "in threat, out of scope",
            CellState::NotInThreat => "not in threat",
        }
    }
}

/// Text for the SVG: escaped, and characters XML forbids replaced (titles come from
/// the model and from ATT&CK data it may point at).
fn xml(s: &str) -> String {
    crate::escape::xml_text(s).into_owned()
}

const COL_W: usize = 128;
const GAP_X: usize = 6;
const HEAD_H: usize = 40;
const ROW_H: usize = 16;
const SUB: usize = 11;
const SUBS_PER_ROW: usize = 11;
const LEGEND_H: usize = 34;

/// The domain's matrix as a heatmap: one column per tactic (matrix order), one cell per
/// technique, its sub-techniques as small marked squares under it. Deterministic.
pub fn matrix_svg(a: &Analysis, catalog: &Catalog) -> String {
    let mut state: BTreeMap<&str, CellState> = BTreeMap::new();
    let tier_of: BTreeMap<&str, Tier> = a
        .gaps
        .iter()
        .map(|g| (g.technique.as_str(), g.tier))
        .collect();
    for t in a.techniques.iter() {
        let s = if !t.in_scope {
            CellState::OutOfScope
        } else if t.covered {
            CellState::Covered
        } else {
            tier_of
                .get(t.id.as_str())
                .map(|x| CellState::Gap(*x))
                .unwrap_or(CellState::Gap(Tier::P3))
        };
        state.insert(t.id.as_str(), s);
    }
    let st = |id: &str| state.get(id).copied().unwrap_or(CellState::NotInThreat);
    let tactics: Vec<_> = catalog.tactics.iter().filter(|t| !t.deprecated).collect();
    let mut columns: Vec<String> = Vec::new();
    let mut max_h = 0usize;
    for (ci, tac) in tactics.iter().enumerate() {
        let x0 = ci * (COL_W + GAP_X);
        let mut body = String::new();
        let mut y = HEAD_H;
        let mut parents: Vec<_> = catalog
            .active_techniques()
            .filter(|t| t.parent.is_none() && t.tactics.iter().any(|s| s == &tac.shortname))
            .collect();
        parents.sort_by(|p, q| p.name.cmp(&q.name).then_with(|| p.id.cmp(&q.id)));
        for p in parents {
            let s = st(&p.id);
            let subs: Vec<_> = catalog
                .subtechniques(&p.id)
                .into_iter()
                .filter(|t| t.is_active())
                .collect();
            let sub_rows = subs.len().div_ceil(SUBS_PER_ROW);
            let h = ROW_H + sub_rows * (SUB + 1) + if sub_rows > 0 { 2 } else { 0 };
            let marker = s.marker();
            body.push_str(&format!(
                "<g class=\"t\"><title>{id} {name}: {label}</title><rect x=\"{x0}\" y=\"{y}\" width=\"{COL_W}\" height=\"{h}\" fill=\"{fill}\" stroke=\"#8c8c8c\" stroke-width=\"0.5\"/><text x=\"{tx}\" y=\"{ty}\" fill=\"{ink}\">{mk}{id} {short}</text></g>",
                id = xml(&p.id),
                name = xml(&p.name),
                label = s.label(),
                fill = s.fill(),
                tx = x0 + 3,
                ty = y + 11,
                ink = s.ink(),
                mk = if marker.is_empty() { String::new() } else { format!("[{marker}] ") },
                short = xml(&truncate(&p.name, if marker.is_empty() { 15 } else { 11 })),
            ));
            for (i, sub) in subs.iter().enumerate() {
                let ss = st(&sub.id);
                let sx = x0 + 3 + (i % SUBS_PER_ROW) * SUB;
                let sy = y + ROW_H + (i / SUBS_PER_ROW) * (SUB + 1);
                body.push_str(&format!(
                    "<g class=\"s\"><title>{id} {pname}: {name}: {label}</title><rect x=\"{sx}\" y=\"{sy}\" width=\"{w}\" height=\"{w}\" fill=\"{fill}\" stroke=\"#595959\" stroke-width=\"0.5\"/><text x=\"{cx}\" y=\"{cy}\" fill=\"{ink}\" class=\"m\">{mk}</text></g>",
                    id = xml(&sub.id),
                    pname = xml(&p.name),
                    name = xml(&sub.name),
                    label = ss.label(),
                    w = SUB - 1,
                    fill = ss.fill(),
                    cx = sx + (SUB - 1) / 2,
                    cy = sy + 8,
                    ink = ss.ink(),
                    mk = ss.marker(),
                ));
            }
            y += h + 1;
        }
        max_h = max_h.max(y);
        columns.push(format!(
            "<g class=\"col\" aria-label=\"{name}\"><rect x=\"{x0}\" y=\"0\" width=\"{COL_W}\" height=\"{hh}\" fill=\"#1f3a5f\"/><text x=\"{tx}\" y=\"16\" fill=\"#ffffff\" class=\"h\">{short}</text><text x=\"{tx}\" y=\"31\" fill=\"#dbe4ee\">{id}</text>{body}</g>",
            name = xml(&tac.name),
            short = xml(&truncate(&tac.name, 18)),
            id = xml(&tac.id),
            hh = HEAD_H - 4,
            tx = x0 + 4,
        ));
    }
    let width = tactics.len().max(1) * (COL_W + GAP_X);
    let legend_y = max_h + 10;
    let height = legend_y + LEGEND_H;
    let mut legend = String::new();
    let states = [
        CellState::Covered,
        CellState::Gap(Tier::P1),
        CellState::Gap(Tier::P2),
        CellState::Gap(Tier::P3),
        CellState::OutOfScope,
        CellState::NotInThreat,
    ];
    for (i, s) in states.iter().enumerate() {
        let lx = i * 200;
        let mk = s.marker();
        legend.push_str(&format!(
            "<rect x=\"{lx}\" y=\"{ly}\" width=\"16\" height=\"16\" fill=\"{fill}\" stroke=\"#595959\"/><text x=\"{cx}\" y=\"{ty}\" fill=\"{ink}\" class=\"m\">{mk}</text><text x=\"{tx}\" y=\"{ty}\" fill=\"#1a1a1a\">{label}</text>",
            ly = legend_y,
            fill = s.fill(),
            cx = lx + 8,
            ink = s.ink(),
            tx = lx + 22,
            ty = legend_y + 12,
            label = s.label(),
        ));
    }
    let covered = a
        .techniques
        .iter()
        .filter(|t| t.in_scope && t.covered)
        .count();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"matrix\" role=\"img\" aria-labelledby=\"mx-title mx-desc\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" font-size=\"10\"><title id=\"mx-title\">ATT&amp;CK {domain} {release} matrix heatmap of {model}</title><desc id=\"mx-desc\">{n} tactics as columns in matrix order; each technique is a cell and its sub-techniques small squares under it. Markers: ✓ covered, 1/2/3 gap of tier P1/P2/P3, – in the threat but out of scope, none not in the threat. {covered} of {in_scope} in-scope threat techniques covered, {gaps} gaps.</desc><style>.h{{font-weight:bold;font-size:10px}} .m{{text-anchor:middle;font-size:8px;font-weight:bold}}</style>{cols}<g class=\"legend\">{legend}</g></svg>\n",
        domain = xml(&a.attack.domain),
        release = xml(&a.attack.release),
        model = xml(&a.model.title),
        n = tactics.len(),
        in_scope = a.summary.in_scope,
        gaps = a.summary.gaps,
        cols = columns.concat(),
    )
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

// ---------------------------------------------------------------- templates

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

fn fmt_value(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.to_string(),
        None if v.is_none() || v.is_undefined() => String::new(),
        None => v.to_string(),
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
            out.write_str(&md_cell(&fmt_value(value))).map_err(|_| {
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
                        let why = match e {
                            crate::fsio::TextError::Refused(r) => r.phrase(),
                            crate::fsio::TextError::NotUtf8 { .. } => {
                                "is not UTF-8 text".to_string()
                            }
                        };
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
    env.add_filter("pct", |x: f64| super::pct(x));
    env.add_filter("num", |x: f64| super::fmt_num(x));
    env.add_filter("url", |id: String| technique_url(&id));
    env
}

/// A list handed to templates without converting it up front: each item becomes a
/// template value only when a template reads it. The technique rows and the rule list of
/// a 50,000-rule inventory would otherwise cost more than the rest of the build.
#[derive(Debug)]
struct LazySeq<T>(std::sync::Arc<Vec<T>>);

impl<T: serde::Serialize + std::fmt::Debug + Send + Sync + 'static> minijinja::value::Object
    for LazySeq<T>
{
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Seq
    }
    fn get_value(self: &std::sync::Arc<Self>, key: &Value) -> Option<Value> {
        let i = key.as_usize()?;
        self.0
            .get(i)
            .map(|x| Value::from(minijinja::value::Serde(x)))
    }
    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(self.0.len())
    }
}

/// The template context: the analysis at the top level, plus `plan`, `matrix_svg`
/// and `generator`.
pub fn context(a: &Analysis, plan: &PlanData, svg: &str) -> Value {
    let mut ctx: BTreeMap<String, Value> = BTreeMap::new();
    ctx.insert(
        "model".into(),
        Value::from(minijinja::value::Serde(&a.model)),
    );
    ctx.insert(
        "attack".into(),
        Value::from(minijinja::value::Serde(&a.attack)),
    );
    ctx.insert(
        "settings".into(),
        Value::from(minijinja::value::Serde(&a.settings)),
    );
    ctx.insert(
        "summary".into(),
        Value::from(minijinja::value::Serde(&a.summary)),
    );
    ctx.insert(
        "actors".into(),
        Value::from(minijinja::value::Serde(&a.actors)),
    );
    ctx.insert(
        "tactics".into(),
        Value::from(minijinja::value::Serde(&a.tactics)),
    );
    ctx.insert(
        "assets".into(),
        Value::from(minijinja::value::Serde(&a.assets)),
    );
    ctx.insert(
        "techniques".into(),
        Value::from_object(LazySeq(std::sync::Arc::clone(&a.techniques))),
    );
    ctx.insert(
        "gaps".into(),
        Value::from_object(LazySeq(std::sync::Arc::clone(&a.gaps))),
    );
    ctx.insert(
        "out_of_scope".into(),
        Value::from(minijinja::value::Serde(&a.out_of_scope)),
    );
    ctx.insert(
        "targets".into(),
        Value::from(minijinja::value::Serde(&a.targets)),
    );
    ctx.insert(
        "rules".into(),
        Value::from_object(LazySeq(std::sync::Arc::clone(&a.rules))),
    );
    ctx.insert(
        "imports".into(),
        Value::from(minijinja::value::Serde(&a.imports)),
    );
    ctx.insert(
        "investments".into(),
        Value::from(minijinja::value::Serde(&a.investments)),
    );
    ctx.insert("plan".into(), Value::from(minijinja::value::Serde(plan)));
    ctx.insert(
        "matrix_svg".into(),
        Value::from_safe_string(svg.to_string()),
    );
    ctx.insert(
        "generator".into(),
        Value::from(format!("threatc {}", env!("CARGO_PKG_VERSION"))),
    );
    Value::from(ctx)
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

/// plan.md, plan.html and matrix.svg.
pub fn render_plan(
    a: &Analysis,
    catalog: &Catalog,
    templates: Option<&Path>,
) -> Result<Vec<(String, Vec<u8>)>, Diagnostic> {
    let plan = plan_data(a, catalog);
    let svg = matrix_svg(a, catalog);
    let env = environment(templates);
    let ctx = context(a, &plan, &svg);
    let md = render(&env, "plan.md.j2", &ctx)?;
    let html = render(&env, "plan.html.j2", &ctx)?;
    Ok(vec![
        ("plan.md".into(), md.into_bytes()),
        ("plan.html".into(), html.into_bytes()),
        ("matrix.svg".into(), svg.into_bytes()),
    ])
}

// ---------------------------------------------------------------- xlsx

/// plan.xlsx: sheets Gaps, Actors, Investments. Deterministic: the creation time is the
/// model's assessed date (2000-01-01 without one).
#[cfg(feature = "xlsx")]
pub fn plan_xlsx(a: &Analysis) -> Result<Vec<u8>, Diagnostic> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};
    let err = |e: XlsxError| {
        Diagnostic::error(Code::OutputError, format!("cannot render plan.xlsx: {e}"))
    };
    // Every text is written with `write_string` (never as a formula) and cut to Excel's
    // cell limit: a 40,000-character note must not fail the build.
    let cell = |s: &str| crate::escape::xlsx_cell(s).into_owned();
    let mut wb = Workbook::new();
    let created = a
        .model
        .assessed
        .and_then(|d| ExcelDateTime::parse_from_str(&d.to_string()).ok())
        .map_or_else(|| ExcelDateTime::from_ymd(2000, 1, 1), Ok)
        .map_err(err)?;
    let props = DocProperties::new()
        .set_title(cell(&a.model.title))
        .set_creation_datetime(&created);
    wb.set_properties(&props);
    let bold = Format::new().set_bold();

    let ws = wb.add_worksheet();
    ws.set_name("Gaps").map_err(err)?;
    let cols = [
        "rank",
        "technique",
        "name",
        "tactics",
        "actors",
        "assets",
        "score",
        "tier",
        "due",
        "effort",
        "approach",
        "owner",
        "ticket",
        "url",
    ];
    for (c, h) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (i, g) in a.gaps.iter().enumerate() {
        let r = (i + 1) as u32;
        let note = g.note.as_ref();
        ws.write_number(r, 0, g.rank as f64).map_err(err)?;
        ws.write_string(r, 1, cell(&g.technique)).map_err(err)?;
        ws.write_string(r, 2, cell(&g.name)).map_err(err)?;
        ws.write_string(r, 3, cell(&g.tactics.join("; ")))
            .map_err(err)?;
        ws.write_string(
            r,
            4,
            cell(
                &g.actors
                    .iter()
                    .map(|x| x.id.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        )
        .map_err(err)?;
        ws.write_string(r, 5, cell(&g.assets.join("; ")))
            .map_err(err)?;
        ws.write_number(r, 6, g.score).map_err(err)?;
        ws.write_string(r, 7, g.tier.as_str()).map_err(err)?;
        ws.write_string(r, 8, g.due.map(|d| d.to_string()).unwrap_or_default())
            .map_err(err)?;
        let effort = note
            .and_then(|n| n.effort)
            .and_then(|e| serde_json::to_value(e).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        ws.write_string(r, 9, effort).map_err(err)?;
        ws.write_string(
            r,
            10,
            cell(note.and_then(|n| n.approach.as_deref()).unwrap_or_default()),
        )
        .map_err(err)?;
        ws.write_string(
            r,
            11,
            cell(note.and_then(|n| n.owner.as_deref()).unwrap_or_default()),
        )
        .map_err(err)?;
        ws.write_string(
            r,
            12,
            cell(note.and_then(|n| n.ticket.as_deref()).unwrap_or_default()),
        )
        .map_err(err)?;
        ws.write_string(r, 13, technique_url(&g.technique))
            .map_err(err)?;
    }
    ws.set_column_width(2, 48).map_err(err)?;
    ws.set_freeze_panes(1, 0).map_err(err)?;
    if !a.gaps.is_empty() {
        ws.autofilter(0, 0, a.gaps.len() as u32, (cols.len() - 1) as u16)
            .map_err(err)?;
    }

    let ws = wb.add_worksheet();
    ws.set_name("Actors").map_err(err)?;
    let cols = [
        "actor",
        "name",
        "group",
        "weight",
        "techniques",
        "in_scope",
        "covered",
        "coverage",
        "gaps",
    ];
    for (c, h) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (i, x) in a.actors.iter().enumerate() {
        let r = (i + 1) as u32;
        ws.write_string(r, 0, cell(&x.id)).map_err(err)?;
        ws.write_string(r, 1, cell(&x.name)).map_err(err)?;
        ws.write_string(r, 2, cell(x.group_id.as_deref().unwrap_or_default()))
            .map_err(err)?;
        ws.write_number(r, 3, x.weight).map_err(err)?;
        ws.write_number(r, 4, x.techniques as f64).map_err(err)?;
        ws.write_number(r, 5, x.in_scope as f64).map_err(err)?;
        ws.write_number(r, 6, x.covered as f64).map_err(err)?;
        ws.write_number(r, 7, x.coverage).map_err(err)?;
        ws.write_number(r, 8, x.gaps.len() as f64).map_err(err)?;
    }

    let ws = wb.add_worksheet();
    ws.set_name("Investments").map_err(err)?;
    let cols = [
        "rank",
        "log_source",
        "channels",
        "data_component",
        "data_component_name",
        "gaps",
        "weight",
        "techniques",
    ];
    for (c, h) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (i, x) in a.investments.iter().enumerate() {
        let r = (i + 1) as u32;
        ws.write_number(r, 0, x.rank as f64).map_err(err)?;
        ws.write_string(r, 1, cell(&x.log_source)).map_err(err)?;
        ws.write_string(r, 2, cell(&x.channels.join("; ")))
            .map_err(err)?;
        ws.write_string(r, 3, cell(&x.data_component))
            .map_err(err)?;
        ws.write_string(r, 4, cell(&x.data_component_name))
            .map_err(err)?;
        ws.write_number(r, 5, x.gaps as f64).map_err(err)?;
        ws.write_number(r, 6, x.weight).map_err(err)?;
        ws.write_string(
            r,
            7,
            cell(
                &x.techniques
                    .iter()
                    .map(|t| t.technique.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        )
        .map_err(err)?;
    }
    wb.save_to_buffer().map_err(err)
}
