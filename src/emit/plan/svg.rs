//! The matrix heatmap (matrix.svg, also inlined in plan.html).

use crate::analysis::{Analysis, Tier};
use crate::catalog::{Catalog, Tactic, Technique};
use std::collections::BTreeMap;
use std::fmt::Write as _;

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
    /// Class suffix for the HTML matrix (`c-…`).
    fn class(self) -> &'static str {
        match self {
            CellState::Covered => "ok",
            CellState::Gap(Tier::P1) => "p1",
            CellState::Gap(Tier::P2) => "p2",
            CellState::Gap(Tier::P3) => "p3",
            CellState::OutOfScope => "out",
            CellState::NotInThreat => "none",
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
fn xml(s: &str) -> std::borrow::Cow<'_, str> {
    crate::escape::xml_text(s)
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
    let states = cell_states(a);
    let st = |id: &str| states.get(id).copied().unwrap_or(CellState::NotInThreat);
    let tactics: Vec<_> = catalog.tactics.iter().filter(|t| !t.deprecated).collect();
    // The columns are written first: the header needs their height.
    let mut cols = String::with_capacity(256 << 10);
    let mut max_h = 0usize;
    for (ci, tac) in tactics.iter().enumerate() {
        let h = column(&mut cols, ci * (COL_W + GAP_X), tac, catalog, &st);
        max_h = max_h.max(h);
    }
    let width = tactics.len().max(1) * (COL_W + GAP_X);
    let legend_y = max_h + 10;
    let height = legend_y + LEGEND_H;
    let covered = a
        .techniques
        .iter()
        .filter(|t| t.in_scope && t.covered)
        .count();
    let mut out = String::with_capacity(cols.len() + 4096);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"matrix\" role=\"img\" aria-labelledby=\"mx-title mx-desc\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" font-size=\"10\"><title id=\"mx-title\">ATT&amp;CK {domain} {release} matrix heatmap of {model}</title><desc id=\"mx-desc\">{n} tactics as columns in matrix order; each technique is a cell and its sub-techniques small squares under it. Markers: ✓ covered, 1/2/3 gap of tier P1/P2/P3, – in the threat but out of scope, none not in the threat. {covered} of {in_scope} in-scope threat techniques covered, {gaps} gaps.</desc><style>.h{{font-weight:bold;font-size:10px}} .m{{text-anchor:middle;font-size:8px;font-weight:bold}}</style>",
        domain = xml(&a.attack.domain),
        release = xml(&a.attack.release),
        model = xml(&a.model.title),
        n = tactics.len(),
        in_scope = a.summary.in_scope,
        gaps = a.summary.gaps,
    );
    out.push_str(&cols);
    out.push_str("<g class=\"legend\">");
    out.push_str(&legend(legend_y));
    out.push_str("</g></svg>\n");
    out
}

/// The state of every threat technique (others are not in the threat).
fn cell_states(a: &Analysis) -> BTreeMap<&str, CellState> {
    // Accepted and transferred gaps are not covered: they keep their tier in the matrix.
    let tier_of: BTreeMap<&str, Tier> = a
        .gaps
        .iter()
        .chain(a.accepted.iter())
        .map(|g| (g.technique.as_str(), g.tier))
        .collect();
    let mut state: BTreeMap<&str, CellState> = BTreeMap::new();
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
    state
}

/// One tactic's column at `x0`, written to `out`: its heading and its techniques by
/// name; returns the column's height.
fn column(
    out: &mut String,
    x0: usize,
    tac: &Tactic,
    catalog: &Catalog,
    st: &dyn Fn(&str) -> CellState,
) -> usize {
    let _ = write!(
        out,
        "<g class=\"col\" aria-label=\"{name}\"><rect x=\"{x0}\" y=\"0\" width=\"{COL_W}\" height=\"{hh}\" fill=\"#1f3a5f\"/><text x=\"{tx}\" y=\"16\" fill=\"#ffffff\" class=\"h\">{short}</text><text x=\"{tx}\" y=\"31\" fill=\"#dbe4ee\">{id}</text>",
        name = xml(&tac.name),
        short = xml(&truncate(&tac.name, 18)),
        id = xml(&tac.id),
        hh = HEAD_H - 4,
        tx = x0 + 4,
    );
    let mut y = HEAD_H;
    let mut parents: Vec<_> = catalog
        .active_techniques()
        .filter(|t| t.parent.is_none() && t.tactics.iter().any(|s| s == &tac.shortname))
        .collect();
    parents.sort_by(|p, q| p.name.cmp(&q.name).then_with(|| p.id.cmp(&q.id)));
    for p in parents {
        let subs: Vec<_> = catalog
            .subtechniques(&p.id)
            .into_iter()
            .filter(|t| t.is_active())
            .collect();
        let sub_rows = subs.len().div_ceil(SUBS_PER_ROW);
        let h = ROW_H + sub_rows * (SUB + 1) + if sub_rows > 0 { 2 } else { 0 };
        technique_cell(out, x0, y, h, p, st(&p.id));
        for (i, sub) in subs.iter().enumerate() {
            let sx = x0 + 3 + (i % SUBS_PER_ROW) * SUB;
            let sy = y + ROW_H + (i / SUBS_PER_ROW) * (SUB + 1);
            subtechnique_cell(out, sx, sy, p, sub, st(&sub.id));
        }
        y += h + 1;
    }
    out.push_str("</g>");
    y
}

/// A technique's cell, `h` high (room for its sub-technique squares).
fn technique_cell(out: &mut String, x0: usize, y: usize, h: usize, p: &Technique, s: CellState) {
    let marker = s.marker();
    let _ = write!(
        out,
        "<g class=\"t\"><title>{id} {name}: {label}</title><rect x=\"{x0}\" y=\"{y}\" width=\"{COL_W}\" height=\"{h}\" fill=\"{fill}\" stroke=\"#8c8c8c\" stroke-width=\"0.5\"/><text x=\"{tx}\" y=\"{ty}\" fill=\"{ink}\">",
        id = xml(&p.id),
        name = xml(&p.name),
        label = s.label(),
        fill = s.fill(),
        tx = x0 + 3,
        ty = y + 11,
        ink = s.ink(),
    );
    if !marker.is_empty() {
        let _ = write!(out, "[{marker}] ");
    }
    let _ = write!(
        out,
        "{id} {short}</text></g>",
        id = xml(&p.id),
        short = xml(&truncate(&p.name, if marker.is_empty() { 15 } else { 11 })),
    );
}

/// A sub-technique's small square at (`sx`, `sy`), titled with its parent's name.
fn subtechnique_cell(
    out: &mut String,
    sx: usize,
    sy: usize,
    parent: &Technique,
    sub: &Technique,
    ss: CellState,
) {
    let _ = write!(
        out,
        "<g class=\"s\"><title>{id} {pname}: {name}: {label}</title><rect x=\"{sx}\" y=\"{sy}\" width=\"{w}\" height=\"{w}\" fill=\"{fill}\" stroke=\"#595959\" stroke-width=\"0.5\"/><text x=\"{cx}\" y=\"{cy}\" fill=\"{ink}\" class=\"m\">{mk}</text></g>",
        id = xml(&sub.id),
        pname = xml(&parent.name),
        name = xml(&sub.name),
        label = ss.label(),
        w = SUB - 1,
        fill = ss.fill(),
        cx = sx + (SUB - 1) / 2,
        cy = sy + 8,
        ink = ss.ink(),
        mk = ss.marker(),
    );
}

/// The legend row at `legend_y`: every state's colour, marker and meaning.
fn legend(legend_y: usize) -> String {
    let states = [
        CellState::Covered,
        CellState::Gap(Tier::P1),
        CellState::Gap(Tier::P2),
        CellState::Gap(Tier::P3),
        CellState::OutOfScope,
        CellState::NotInThreat,
    ];
    let mut legend = String::new();
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
    legend
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

/// A technique of the HTML matrix (plan.html): its state and its sub-techniques in the
/// threat (the others are counted, not listed).
#[derive(Debug, Clone, serde::Serialize)]
pub struct MatrixCell {
    /// Technique id.
    pub id: String,
    /// Name, in full (the HTML wraps it).
    pub name: String,
    /// `ok`, `p1`, `p2`, `p3`, `out` or `none` (not in the threat).
    pub state: &'static str,
    /// The marker shown with the colour (✓, 1, 2, 3, –, or empty).
    pub marker: &'static str,
    /// The state in words.
    pub label: &'static str,
    /// Sub-techniques in the threat.
    pub subs: Vec<MatrixCell>,
    /// Sub-techniques not in the threat.
    pub other_subs: usize,
}

/// A tactic column of the HTML matrix.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MatrixColumn {
    /// `TA…` id.
    pub id: String,
    /// Name.
    pub name: String,
    /// In-scope threat techniques of the tactic.
    pub in_scope: usize,
    /// Of them covered.
    pub covered: usize,
    /// Threat techniques and sub-techniques of the tactic (in scope or not): the
    /// column's length in print, where techniques outside the threat are left out.
    pub threat: usize,
    /// Its techniques, by name.
    pub techniques: Vec<MatrixCell>,
}

/// The matrix for plan.html: the same columns and states as matrix.svg, as data the
/// template lays out in a CSS grid (names in full, wrapping).
pub fn matrix_columns(a: &Analysis, catalog: &Catalog) -> Vec<MatrixColumn> {
    let states = cell_states(a);
    let st = |id: &str| states.get(id).copied().unwrap_or(CellState::NotInThreat);
    let cell = |t: &Technique, subs: Vec<MatrixCell>, other_subs: usize| {
        let s = st(&t.id);
        MatrixCell {
            id: t.id.to_string(),
            name: t.name.to_string(),
            state: s.class(),
            marker: s.marker(),
            label: s.label(),
            subs,
            other_subs,
        }
    };
    let by_tactic: BTreeMap<&str, &crate::analysis::TacticCoverage> = a
        .tactics
        .iter()
        .map(|t| (t.shortname.as_str(), t))
        .collect();
    let mut out = Vec::new();
    for tac in catalog.tactics.iter().filter(|t| !t.deprecated) {
        let mut parents: Vec<_> = catalog
            .active_techniques()
            .filter(|t| t.parent.is_none() && t.tactics.iter().any(|s| s == &tac.shortname))
            .collect();
        parents.sort_by(|p, q| p.name.cmp(&q.name).then_with(|| p.id.cmp(&q.id)));
        let mut threat = 0usize;
        let mut techniques = Vec::new();
        for p in parents {
            let all: Vec<_> = catalog
                .subtechniques(&p.id)
                .into_iter()
                .filter(|t| t.is_active())
                .collect();
            let subs: Vec<MatrixCell> = all
                .iter()
                .filter(|t| st(&t.id) != CellState::NotInThreat)
                .map(|t| cell(t, Vec::new(), 0))
                .collect();
            threat += subs.len() + usize::from(st(&p.id) != CellState::NotInThreat);
            let other = all.len() - subs.len();
            techniques.push(cell(p, subs, other));
        }
        let cov = by_tactic.get(tac.shortname.as_str());
        out.push(MatrixColumn {
            id: tac.id.to_string(),
            name: tac.name.to_string(),
            in_scope: cov.map_or(0, |c| c.in_scope),
            covered: cov.map_or(0, |c| c.covered),
            threat,
            techniques,
        });
    }
    out
}
