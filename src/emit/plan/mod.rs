//! The remediation plan: plan.md and plan.html rendered from templates (embedded,
//! overridable from a folder), the matrix heatmap as SVG, and plan.xlsx.
//!
//! Templates see the analysis (the data of report.json) at the top level plus
//! precomputed plan data under `plan` (what to build per gap) and the heatmap as
//! `matrix_svg`. See README, "Plan templates".
//!
//! Files: `context.rs` (the plan data and the template context), `templates.rs` (the
//! template environment: embedded templates, `--templates`, filters), `svg.rs` (the
//! matrix heatmap), `xlsx.rs` (plan.xlsx), `executive.rs` (the executive page that
//! opens the plan).

mod context;
pub mod executive;
mod svg;
mod templates;
#[cfg(feature = "xlsx")]
mod workbook;
#[cfg(feature = "xlsx")]
mod xlsx;

pub use context::{
    context, context_with_history, plan_data, GapBuild, PlanAnalytic, PlanData, PlanLogSource,
    PlanMitigation, PlanStrategy, TierInfo, HISTORY_SHOWN,
};
pub use svg::{matrix_columns, matrix_svg, MatrixCell, MatrixColumn};
pub use templates::{environment, render, EMBEDDED_TEMPLATES, TEMPLATE_FUEL};
#[cfg(feature = "xlsx")]
pub use xlsx::plan_xlsx;

use crate::analysis::Analysis;
use crate::catalog::Catalog;
use crate::diag::Diagnostic;
use std::path::Path;

/// ATT&CK page of a technique (`T1059.001` → `…/techniques/T1059/001/`).
pub fn technique_url(id: &str) -> String {
    crate::emit::navigator::technique_url(id)
}

/// plan.md, plan.html and matrix.svg.
pub fn render_plan(
    a: &Analysis,
    catalog: &Catalog,
    templates: Option<&Path>,
) -> Result<Vec<(String, Vec<u8>)>, Diagnostic> {
    render_plan_with_history(a, catalog, templates, None)
}

/// [`render_plan`] with the points of a history file: the plan gains its "Coverage over
/// time" section.
pub fn render_plan_with_history(
    a: &Analysis,
    catalog: &Catalog,
    templates: Option<&Path>,
    history: Option<&[crate::emit::trend::TrendPoint]>,
) -> Result<Vec<(String, Vec<u8>)>, Diagnostic> {
    // The plan data and the heatmap are independent: side by side.
    let (plan, svg) = rayon::join(|| plan_data(a, catalog), || matrix_svg(a, catalog));
    let env = environment(templates);
    let ctx = context_with_history(a, &plan, &svg, history);
    // The two renderings share the context and are independent: side by side.
    let (md, html) = rayon::join(
        || render(&env, "plan.md.j2", &ctx),
        || render(&env, "plan.html.j2", &ctx),
    );
    let (md, html) = (md?, html?);
    Ok(vec![
        ("plan.md".into(), md.into_bytes()),
        ("plan.html".into(), html.into_bytes()),
        ("matrix.svg".into(), svg.into_bytes()),
    ])
}
