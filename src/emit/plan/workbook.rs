//! A small xlsx (SpreadsheetML) writer for plan.xlsx: text, number, boolean and date
//! cells, a bold header row, percentage and date formats, column widths, a frozen header
//! row and autofilters, nothing more.
//!
//! It writes the parts rust_xlsxwriter wrote for plan.xlsx before (the project's earlier
//! writer), byte for byte: the same XML, the same shared-string order, the same zip
//! entries with the same options. rust_xlsxwriter assembles each worksheet on a thread of
//! its own, and each of those threads takes fresh memory: on the bank example that was a
//! sixth of the build's time. This writer does the same work on the calling thread.
//!
//! Cells are kept per row and written in row and column order at [`Workbook::save`]; a
//! later write to the same cell replaces the earlier one. Every text is cut to Excel's
//! cell limit and escaped for XML (Excel's `_xHHHH_` form for control characters). Writes
//! never fail: a cell beyond Excel's 1,048,576 rows or 16,384 columns is an error at
//! [`Workbook::save`], which then writes nothing.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;

use crate::date::Date;
use crate::escape::{xlsx_cell, xlsx_text};

/// Excel's worksheet limits.
const ROW_MAX: u32 = 1_048_576;
const COL_MAX: u16 = 16_384;

/// The formats a cell can have. Each gets its workbook-wide style index on first use,
/// sheet by sheet, as Excel's own writers number them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Bold,
    /// `yyyy-mm-dd`.
    Date,
    /// `0.0%`.
    Percent,
}

impl Style {
    fn num_format(self) -> Option<&'static str> {
        match self {
            Style::Bold => None,
            Style::Date => Some("yyyy-mm-dd"),
            Style::Percent => Some("0.0%"),
        }
    }
}

#[derive(Debug)]
enum Value<'a> {
    Number(f64),
    Text(Cow<'a, str>),
    Bool(bool),
}

#[derive(Debug)]
struct Cell<'a> {
    col: u16,
    style: Option<Style>,
    value: Value<'a>,
}

/// One worksheet: its cells by row, column widths, a frozen header row and an autofilter.
#[derive(Debug)]
pub struct Sheet<'a> {
    name: &'static str,
    rows: Vec<Vec<Cell<'a>>>,
    /// First and last row and column written, when any.
    bounds: Option<(u32, u16, u32, u16)>,
    /// Column widths in pixels, by column.
    widths: Vec<(u16, u32)>,
    freeze_header: bool,
    /// The autofilter's last row and column (it starts at A1).
    filter: Option<(u32, u16)>,
    /// Formats in the order this sheet first used them.
    styles: Vec<Style>,
    /// A write fell outside Excel's limits.
    out_of_range: bool,
}

impl<'a> Sheet<'a> {
    /// An empty sheet named `name` (a name of this program: it is not checked).
    pub fn new(name: &'static str) -> Self {
        Sheet {
            name,
            rows: Vec::new(),
            bounds: None,
            widths: Vec::new(),
            freeze_header: false,
            filter: None,
            styles: Vec::new(),
            out_of_range: false,
        }
    }

    fn put(&mut self, row: u32, col: u16, style: Option<Style>, value: Value<'a>) {
        if row >= ROW_MAX || col >= COL_MAX {
            self.out_of_range = true;
            return;
        }
        self.bounds = Some(match self.bounds {
            None => (row, col, row, col),
            Some((r0, c0, r1, c1)) => (r0.min(row), c0.min(col), r1.max(row), c1.max(col)),
        });
        if let Some(s) = style {
            if !self.styles.contains(&s) {
                self.styles.push(s);
            }
        }
        let r = row as usize;
        if self.rows.len() <= r {
            self.rows.resize_with(r + 1, Vec::new);
        }
        if let Some(cells) = self.rows.get_mut(r) {
            cells.push(Cell { col, style, value });
        }
    }

    fn put_text(&mut self, row: u32, col: u16, style: Option<Style>, text: Cow<'a, str>) {
        // An empty text is no cell (Excel drops it).
        if text.is_empty() {
            return;
        }
        let text = match xlsx_cell(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(cut) => Cow::Owned(cut),
        };
        self.put(row, col, style, Value::Text(text));
    }

    /// A text cell.
    pub fn write_string(&mut self, row: u32, col: u16, text: impl Into<Cow<'a, str>>) {
        self.put_text(row, col, None, text.into());
    }

    /// A header cell, in bold.
    pub fn write_bold(&mut self, row: u32, col: u16, text: impl Into<Cow<'a, str>>) {
        self.put_text(row, col, Some(Style::Bold), text.into());
    }

    /// A number; NaN and the infinities become the texts `NAN`, `INF` and `-INF`
    /// (Excel has no such numbers).
    pub fn write_number(&mut self, row: u32, col: u16, x: f64) {
        self.number(row, col, None, x);
    }

    /// A share (0–1) shown as a percentage with one decimal.
    pub fn write_percent(&mut self, row: u32, col: u16, x: f64) {
        self.number(row, col, Some(Style::Percent), x);
    }

    fn number(&mut self, row: u32, col: u16, style: Option<Style>, x: f64) {
        let special = if x.is_nan() {
            "NAN"
        } else if x == f64::INFINITY {
            "INF"
        } else if x == f64::NEG_INFINITY {
            "-INF"
        } else {
            return self.put(row, col, style, Value::Number(x));
        };
        self.put_text(row, col, style, Cow::Borrowed(special));
    }

    /// TRUE or FALSE.
    pub fn write_boolean(&mut self, row: u32, col: u16, b: bool) {
        self.put(row, col, None, Value::Bool(b));
    }

    /// A date, as an Excel date shown `yyyy-mm-dd` (so that it sorts and filters as a
    /// date); a date Excel cannot hold (before 1900 or after 9999) as its text. No cell
    /// without a date.
    pub fn write_date(&mut self, row: u32, col: u16, d: Option<Date>) {
        let Some(d) = d else {
            return;
        };
        match excel_serial(d) {
            Some(serial) => self.put(row, col, Some(Style::Date), Value::Number(serial)),
            None => self.put_text(row, col, None, Cow::Owned(d.to_string())),
        }
    }

    /// Sets a column's width, in characters.
    pub fn set_column_width(&mut self, col: u16, chars: u16) {
        // Excel's pixels for a width: 7 per character and 5 of padding, at most 255
        // characters.
        let px = (u32::from(chars) * 7 + 5).min(1790);
        match self.widths.iter_mut().find(|(c, _)| *c == col) {
            Some(w) => w.1 = px,
            None => self.widths.push((col, px)),
        }
    }

    /// Keeps the first row in view when scrolling.
    pub fn freeze_header_row(&mut self) {
        self.freeze_header = true;
    }

    /// An autofilter over A1 to (`last_row`, `last_col`).
    pub fn autofilter(&mut self, last_row: u32, last_col: u16) {
        self.filter = Some((last_row, last_col));
    }
}

/// A workbook: its sheets in order, a title and a creation date.
#[derive(Debug)]
pub struct Workbook<'a> {
    title: Cow<'a, str>,
    /// The creation date; `None`: 2000-01-01.
    created: Option<Date>,
    sheets: Vec<Sheet<'a>>,
}

impl<'a> Workbook<'a> {
    /// A workbook titled `title`, created on `created` (2000-01-01 without one, or when
    /// Excel cannot hold it). Deterministic: no clock is read.
    pub fn new(title: &'a str, created: Option<Date>) -> Self {
        let created = created.filter(|d| excel_serial(*d).is_some());
        Workbook {
            title: xlsx_cell(title),
            created,
            sheets: Vec::new(),
        }
    }

    /// Adds a sheet after the others.
    pub fn push(&mut self, sheet: Sheet<'a>) {
        self.sheets.push(sheet);
    }

    /// The xlsx file.
    pub fn save(mut self) -> Result<Vec<u8>, String> {
        if let Some(s) = self.sheets.iter().find(|s| s.out_of_range) {
            return Err(format!(
                "sheet `{}` has more than Excel's {ROW_MAX} rows or {COL_MAX} columns",
                s.name
            ));
        }
        for sheet in &mut self.sheets {
            for cells in &mut sheet.rows {
                cells.sort_by_key(|c| c.col);
                // The last write to a cell wins.
                cells.dedup_by(|later, earlier| {
                    if later.col == earlier.col {
                        std::mem::swap(later, earlier);
                        true
                    } else {
                        false
                    }
                });
            }
        }
        let styles = self.styles();
        let strings = self.shared_strings();
        let mut zip = Zip::new();
        let n = self.sheets.len();
        zip.add(
            "[Content_Types].xml",
            &content_types(n, !strings.order.is_empty()),
        )?;
        zip.add("_rels/.rels", ROOT_RELS)?;
        zip.add(
            "xl/_rels/workbook.xml.rels",
            &workbook_rels(n, !strings.order.is_empty()),
        )?;
        zip.add("xl/theme/theme1.xml", THEME)?;
        zip.add("xl/styles.xml", &styles_xml(&styles))?;
        zip.add("xl/workbook.xml", &self.workbook_xml())?;
        let mut buf = String::with_capacity(1 << 18);
        for (i, sheet) in self.sheets.iter().enumerate() {
            buf.clear();
            sheet_xml(&mut buf, sheet, i == 0, &styles, &strings);
            zip.add(&format!("xl/worksheets/sheet{}.xml", i + 1), &buf)?;
        }
        if !strings.order.is_empty() {
            buf.clear();
            strings.xml(&mut buf);
            zip.add("xl/sharedStrings.xml", &buf)?;
        }
        zip.add("docProps/core.xml", &self.core_xml())?;
        zip.add("docProps/app.xml", &self.app_xml())?;
        zip.finish()
    }

    /// Every format used, in the order of first use sheet by sheet: its style index is
    /// its position + 1 (0 is the default).
    fn styles(&self) -> Vec<Style> {
        let mut all = Vec::new();
        for s in self.sheets.iter().flat_map(|sh| &sh.styles) {
            if !all.contains(s) {
                all.push(*s);
            }
        }
        all
    }

    /// The shared strings, numbered in sheet, row and column order.
    fn shared_strings(&self) -> SharedStrings<'_> {
        let mut st = SharedStrings {
            index: HashMap::new(),
            order: Vec::new(),
            count: 0,
        };
        for cell in self.sheets.iter().flat_map(|s| s.rows.iter().flatten()) {
            if let Value::Text(t) = &cell.value {
                st.count += 1;
                let next = st.order.len() as u32;
                if let std::collections::hash_map::Entry::Vacant(e) = st.index.entry(t.as_ref()) {
                    e.insert(next);
                    st.order.push(t.as_ref());
                }
            }
        }
        st
    }

    fn workbook_xml(&self) -> String {
        let mut x = String::with_capacity(2048);
        x.push_str(XML_DECLARATION);
        x.push_str(r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><fileVersion appName="xl" lastEdited="4" lowestEdited="4" rupBuild="4505"/><workbookPr defaultThemeVersion="124226"/><bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/></bookViews><sheets>"#);
        for (i, s) in self.sheets.iter().enumerate() {
            let _ = write!(
                x,
                r#"<sheet name="{}" sheetId="{}" r:id="rId{}"/>"#,
                crate::escape::xml_text(s.name),
                i + 1,
                i + 1
            );
        }
        x.push_str("</sheets>");
        // Each autofilter is a hidden defined name, sorted by its range as Excel does.
        let mut names: Vec<(String, usize)> = self
            .sheets
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let (r, c) = s.filter?;
                Some((
                    format!(
                        "{}!${}$1:${}${}",
                        quote_sheet_name(s.name),
                        column_name(0),
                        column_name(c),
                        r + 1
                    ),
                    i,
                ))
            })
            .collect();
        if !names.is_empty() {
            names.sort();
            x.push_str("<definedNames>");
            for (range, i) in names {
                let _ = write!(
                    x,
                    r#"<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">{}</definedName>"#,
                    xlsx_text(&range)
                );
            }
            x.push_str("</definedNames>");
        }
        x.push_str(r#"<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>"#);
        x
    }

    fn core_xml(&self) -> String {
        let mut x = String::with_capacity(1024);
        x.push_str(XML_DECLARATION);
        x.push_str(r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#);
        if !self.title.is_empty() {
            let _ = write!(x, "<dc:title>{}</dc:title>", xlsx_text(&self.title));
        }
        let when = match self.created {
            Some(d) => format!("{d}T00:00:00Z"),
            None => "2000-01-01T00:00:00Z".to_string(),
        };
        let _ = write!(
            x,
            r#"<dc:creator></dc:creator><cp:lastModifiedBy></cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified></cp:coreProperties>"#
        );
        x
    }

    fn app_xml(&self) -> String {
        let n = self.sheets.len();
        let mut x = String::with_capacity(1024);
        x.push_str(XML_DECLARATION);
        let _ = write!(
            x,
            r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop><HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>{n}</vt:i4></vt:variant></vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="{n}" baseType="lpstr">"#
        );
        for s in &self.sheets {
            let _ = write!(x, "<vt:lpstr>{}</vt:lpstr>", xlsx_text(s.name));
        }
        x.push_str("</vt:vector></TitlesOfParts><Company></Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000</AppVersion></Properties>");
        x
    }
}

/// The Excel serial number of a date (days since 1899-12-30, with Excel's phantom
/// 1900-02-29), or `None` outside Excel's years 1900 to 9999.
fn excel_serial(d: Date) -> Option<f64> {
    let jan1 = Date::parse("1900-01-01")?;
    let march = Date::parse("1900-03-01")?;
    let serial = jan1.days_until(d) + 1 + i64::from(d >= march);
    // 9999-12-31 is Excel's last day.
    (1..=2_958_465).contains(&serial).then_some(serial as f64)
}

struct SharedStrings<'s> {
    index: HashMap<&'s str, u32>,
    order: Vec<&'s str>,
    /// Text cells, repeats included.
    count: u32,
}

impl SharedStrings<'_> {
    fn xml(&self, x: &mut String) {
        x.push_str(XML_DECLARATION);
        let _ = write!(
            x,
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{}" uniqueCount="{}">"#,
            self.count,
            self.order.len()
        );
        let ws = ['\t', '\n', ' '];
        for s in &self.order {
            if s.starts_with(ws) || s.ends_with(ws) {
                x.push_str(r#"<si><t xml:space="preserve">"#);
            } else {
                x.push_str("<si><t>");
            }
            x.push_str(&xlsx_text(s));
            x.push_str("</t></si>");
        }
        x.push_str("</sst>");
    }
}

fn sheet_xml(
    x: &mut String,
    s: &Sheet<'_>,
    first: bool,
    styles: &[Style],
    strings: &SharedStrings<'_>,
) {
    x.push_str(XML_DECLARATION);
    x.push_str(r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#);
    let dimension = match s.bounds {
        Some((r0, c0, r1, c1)) => cell_range(r0, c0, r1, c1),
        None => "A1".to_string(),
    };
    let _ = write!(
        x,
        r#"<dimension ref="{dimension}"/><sheetViews><sheetView "#
    );
    if first {
        x.push_str(r#"tabSelected="1" "#);
    }
    if s.freeze_header {
        x.push_str(r#"workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>"#);
    } else {
        x.push_str(r#"workbookViewId="0"/>"#);
    }
    x.push_str(r#"</sheetViews><sheetFormatPr defaultRowHeight="15"/>"#);
    cols_xml(x, &s.widths);
    sheet_data_xml(x, s, styles, strings);
    if let Some((r, c)) = s.filter {
        let _ = write!(x, r#"<autoFilter ref="{}"/>"#, cell_range(0, 0, r, c));
    }
    x.push_str(r#"<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>"#);
}

/// `<cols>`: neighbouring columns of the same width share one element.
fn cols_xml(x: &mut String, widths: &[(u16, u32)]) {
    if widths.is_empty() {
        return;
    }
    let mut w = widths.to_vec();
    w.sort_unstable();
    x.push_str("<cols>");
    let mut i = 0;
    while let Some(&(first, px)) = w.get(i) {
        let mut last = first;
        while let Some(&(c, p)) = w.get(i + 1) {
            if c != last + 1 || p != px {
                break;
            }
            last = c;
            i += 1;
        }
        let chars = f64::from(px * 256 / 7) / 256.0;
        let _ = write!(
            x,
            r#"<col min="{}" max="{}" width="{chars}"{}/>"#,
            first + 1,
            last + 1,
            if px == 64 { "" } else { r#" customWidth="1""# }
        );
        i += 1;
    }
    x.push_str("</cols>");
}

fn sheet_data_xml(x: &mut String, s: &Sheet<'_>, styles: &[Style], strings: &SharedStrings<'_>) {
    if s.bounds.is_none() {
        x.push_str("<sheetData/>");
        return;
    }
    x.push_str("<sheetData>");
    // `spans`: the columns used by each block of 16 rows.
    for (block, rows) in s.rows.chunks(16).enumerate() {
        let cols = rows.iter().flatten().map(|c| c.col);
        let (Some(lo), Some(hi)) = (cols.clone().min(), cols.max()) else {
            continue;
        };
        for (j, cells) in rows.iter().enumerate() {
            if cells.is_empty() {
                continue;
            }
            let r = block * 16 + j + 1;
            let _ = write!(x, r#"<row r="{r}" spans="{}:{}">"#, lo + 1, hi + 1);
            for c in cells {
                cell_xml(x, c, r, styles, strings);
            }
            x.push_str("</row>");
        }
    }
    x.push_str("</sheetData>");
}

fn cell_xml(x: &mut String, c: &Cell<'_>, r: usize, styles: &[Style], strings: &SharedStrings<'_>) {
    x.push_str("<c r=\"");
    push_column_name(x, c.col);
    let _ = write!(x, "{r}\"");
    if let Some(i) = c.style.and_then(|s| styles.iter().position(|t| *t == s)) {
        let _ = write!(x, " s=\"{}\"", i + 1);
    }
    match &c.value {
        Value::Number(n) => {
            let _ = write!(x, "><v>{n}</v></c>");
        }
        Value::Bool(b) => {
            let _ = write!(x, " t=\"b\"><v>{}</v></c>", u8::from(*b));
        }
        Value::Text(t) => {
            let i = strings.index.get(t.as_ref()).copied().unwrap_or_default();
            let _ = write!(x, " t=\"s\"><v>{i}</v></c>");
        }
    }
}

fn styles_xml(styles: &[Style]) -> String {
    let mut x = String::with_capacity(2048);
    x.push_str(XML_DECLARATION);
    x.push_str(r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#);
    let formats: Vec<&str> = styles.iter().filter_map(|s| s.num_format()).collect();
    if !formats.is_empty() {
        let _ = write!(x, r#"<numFmts count="{}">"#, formats.len());
        for (i, f) in formats.iter().enumerate() {
            let _ = write!(
                x,
                r#"<numFmt numFmtId="{}" formatCode="{}"/>"#,
                164 + i,
                crate::escape::xml_text(f)
            );
        }
        x.push_str("</numFmts>");
    }
    const FONT: &str = r#"<sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>"#;
    let bold = styles.contains(&Style::Bold);
    let _ = write!(
        x,
        r#"<fonts count="{}"><font>{FONT}"#,
        1 + usize::from(bold)
    );
    if bold {
        let _ = write!(x, "<font><b/>{FONT}");
    }
    x.push_str(r#"</fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#);
    let _ = write!(
        x,
        r#"<cellXfs count="{}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>"#,
        styles.len() + 1
    );
    let mut next_format = 164;
    for s in styles {
        match s.num_format() {
            Some(_) => {
                let _ = write!(
                    x,
                    r#"<xf numFmtId="{next_format}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>"#
                );
                next_format += 1;
            }
            None => x.push_str(
                r#"<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>"#,
            ),
        }
    }
    x.push_str(r#"</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles><dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/></styleSheet>"#);
    x
}

fn content_types(sheets: usize, shared_strings: bool) -> String {
    let mut x = String::with_capacity(4096);
    x.push_str(XML_DECLARATION);
    x.push_str(r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#);
    for i in 1..=sheets {
        let _ = write!(
            x,
            r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        );
    }
    if shared_strings {
        x.push_str(r#"<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"#);
    }
    x.push_str("</Types>");
    x
}

fn workbook_rels(sheets: usize, shared_strings: bool) -> String {
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut x = String::with_capacity(4096);
    x.push_str(XML_DECLARATION);
    x.push_str(
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    let mut id = 0;
    let mut rel = |x: &mut String, kind: &str, target: &str| {
        id += 1;
        let _ = write!(
            x,
            r#"<Relationship Id="rId{id}" Type="{REL}/{kind}" Target="{target}"/>"#
        );
    };
    for i in 1..=sheets {
        rel(&mut x, "worksheet", &format!("worksheets/sheet{i}.xml"));
    }
    rel(&mut x, "theme", "theme/theme1.xml");
    rel(&mut x, "styles", "styles.xml");
    if shared_strings {
        rel(&mut x, "sharedStrings", "sharedStrings.xml");
    }
    x.push_str("</Relationships>");
    x
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/><Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/></Relationships>";

/// Office's default theme (the one Excel and rust_xlsxwriter write).
const THEME: &str = include_str!("workbook/theme1.xml");

/// The zip container, written as rust_xlsxwriter writes it: every part deflated at
/// level 1, dated 1980-01-01, mode 0600.
struct Zip {
    zip: zip::ZipWriter<zip::write::StreamWriter<Vec<u8>>>,
    options: zip::write::SimpleFileOptions,
}

impl Zip {
    fn new() -> Self {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .unix_permissions(0o600)
            .last_modified_time(zip::DateTime::default())
            .large_file(false);
        Zip {
            zip: zip::ZipWriter::new_stream(Vec::with_capacity(1 << 18)),
            options,
        }
    }

    fn add(&mut self, name: &str, text: &str) -> Result<(), String> {
        self.zip
            .start_file(name, self.options)
            .map_err(|e| e.to_string())?;
        self.zip
            .write_all(text.as_bytes())
            .map_err(|e| e.to_string())
    }

    fn finish(self) -> Result<Vec<u8>, String> {
        self.zip
            .finish()
            .map(zip::write::StreamWriter::into_inner)
            .map_err(|e| e.to_string())
    }
}

/// `A`, `B`, …, `Z`, `AA`, … for a zero-based column.
fn column_name(col: u16) -> String {
    let mut s = String::with_capacity(3);
    push_column_name(&mut s, col);
    s
}

fn push_column_name(x: &mut String, col: u16) {
    let mut n = u32::from(col) + 1;
    let mut letters = [0u8; 3];
    let mut i = letters.len();
    while n > 0 && i > 0 {
        i -= 1;
        let rem = ((n - 1) % 26) as u8;
        if let Some(l) = letters.get_mut(i) {
            *l = b'A' + rem;
        }
        n = (n - 1) / 26;
    }
    for &l in letters.get(i..).unwrap_or_default() {
        x.push(char::from(l));
    }
}

/// `A1:B14` (or `A1` for a single cell), zero-based.
fn cell_range(r0: u32, c0: u16, r1: u32, c1: u16) -> String {
    if r0 == r1 && c0 == c1 {
        format!("{}{}", column_name(c0), r0 + 1)
    } else {
        format!(
            "{}{}:{}{}",
            column_name(c0),
            r0 + 1,
            column_name(c1),
            r1 + 1
        )
    }
}

/// A sheet name in a reference: quoted (its `'` doubled) unless it is one word.
fn quote_sheet_name(name: &str) -> Cow<'_, str> {
    let word = name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && !name.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if word {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("'{}'", name.replace('\'', "''")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_ranges() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(28), "AC");
        assert_eq!(column_name(16_383), "XFD");
        assert_eq!(cell_range(0, 0, 203, 28), "A1:AC204");
        assert_eq!(cell_range(4, 2, 4, 2), "C5");
    }

    #[test]
    fn dates_are_excel_serials() {
        let d = |s| Date::parse(s).unwrap();
        assert_eq!(excel_serial(d("2026-11-15")), Some(46341.0));
        assert_eq!(excel_serial(d("1900-01-01")), Some(1.0));
        assert_eq!(excel_serial(d("1900-02-28")), Some(59.0));
        assert_eq!(excel_serial(d("1900-03-01")), Some(61.0));
        assert_eq!(excel_serial(d("1900-01-01").add_days(-1)), None);
        let last = d("2999-12-31").add_days(2_958_465 - 401_768);
        assert_eq!(excel_serial(last), Some(2_958_465.0));
        assert_eq!(excel_serial(last.add_days(1)), None);
    }

    #[test]
    fn sheet_names_are_quoted_in_references() {
        assert_eq!(quote_sheet_name("Gaps"), "Gaps");
        assert_eq!(quote_sheet_name("Gap pairs"), "'Gap pairs'");
    }

    #[test]
    fn a_later_write_replaces_a_cell_and_empty_texts_are_no_cells() {
        let mut wb = Workbook::new("t", Date::parse("2026-01-01"));
        let mut s = Sheet::new("S");
        s.write_string(0, 1, "first");
        s.write_string(0, 0, "a");
        s.write_string(0, 1, "second");
        s.write_string(1, 0, "");
        s.write_number(2, 0, f64::NAN);
        wb.push(s);
        let bytes = wb.save().unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut sheet = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
            &mut sheet,
        )
        .unwrap();
        assert!(sheet.contains(r#"<dimension ref="A1:B3"/>"#), "{sheet}");
        assert!(sheet.contains(r#"<row r="1" spans="1:2"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="3" spans="1:2"><c r="A3" t="s"><v>2</v></c></row>"#), "{sheet}");
        let mut sst = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/sharedStrings.xml").unwrap(), &mut sst)
            .unwrap();
        assert!(
            sst.contains("<si><t>a</t></si><si><t>second</t></si><si><t>NAN</t></si>"),
            "{sst}"
        );
        assert!(!sst.contains("first"));
    }

    #[test]
    fn cells_beyond_excel_limits_fail_the_save() {
        let mut wb = Workbook::new("t", Date::parse("2026-01-01"));
        let mut s = Sheet::new("S");
        s.write_number(ROW_MAX, 0, 1.0);
        wb.push(s);
        assert!(wb.save().unwrap_err().contains("1048576 rows"));
    }
}
