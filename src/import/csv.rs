//! CSV tables: a header row with `id`, `name` and `techniques` columns (any case) and an
//! optional `status` column; other columns are ignored. `techniques` holds ids separated
//! by `;`, `,` or white space. A `status` of `deprecated` (any case) marks the rule deprecated.
//! Optional `platforms` (ATT&CK platform names) and `data_components` (ATT&CK v18 data
//! component names or ids) columns are separated by `;` or `,` (names hold spaces);
//! resolve checks them against the catalog. Optional `validation_date` (YYYY-MM-DD),
//! `validation_result` (detected, the default, or not-detected), `validation_method` and
//! `validation_reference` columns record the rule's latest test.

use crate::diag::Code;
use crate::words::plural;
use std::path::Path;

use super::{
    file_stem, lower_first, one_line, FileOutcome, ImportProblem, ImportedRule, TechniqueCollector,
};

/// Where the columns are (by index).
struct Columns {
    id: usize,
    name: usize,
    techniques: usize,
    status: Option<usize>,
    platforms: Option<usize>,
    data_components: Option<usize>,
    /// `validation_date`, `validation_result`, `validation_method`, `validation_reference`.
    validation: [Option<usize>; 4],
}

pub(crate) fn parse(path: &Path, text: &str) -> FileOutcome {
    let mut out = FileOutcome::default();
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let columns = match reader.headers() {
        Ok(h) => columns(path, h),
        Err(e) => Err(csv_problem(path, &e)),
    };
    let columns = match columns {
        Ok(c) => c,
        Err(problem) => {
            out.problems.push(problem);
            return out;
        }
    };
    let stem = file_stem(path);
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.problems.push(csv_problem(path, &e));
                return out;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let rule = row(path, &stem, &columns, &record, &mut out.problems);
        out.rules.push(rule);
    }
    out
}

/// Finds the columns by name (any case, a byte-order mark ignored); a problem naming
/// the missing ones.
fn columns(path: &Path, headers: &::csv::StringRecord) -> Result<Columns, ImportProblem> {
    let find = |name: &str| {
        headers.iter().position(|h| {
            h.trim()
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(name)
        })
    };
    let (id_col, name_col, tech_col, status) =
        (find("id"), find("name"), find("techniques"), find("status"));
    if let (Some(id), Some(name), Some(techniques)) = (id_col, name_col, tech_col) {
        return Ok(Columns {
            id,
            name,
            techniques,
            status,
            platforms: find("platforms"),
            data_components: find("data_components"),
            validation: [
                find("validation_date"),
                find("validation_result"),
                find("validation_method"),
                find("validation_reference"),
            ],
        });
    }
    let missing: Vec<&str> = [("id", id_col), ("name", name_col), ("techniques", tech_col)]
        .iter()
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect();
    let found: Vec<String> = headers
        .iter()
        .map(|h| format!("`{}`", one_line(h)))
        .collect();
    Err(ImportProblem::new(
        path,
        Code::ImportMissingColumn,
        format!(
            "csv header lacks the {} `{}`",
            plural(missing.len(), "column", "columns"),
            missing.join("`, `")
        ),
    )
    .at(Some(1), Some(1))
    .help(format!(
        "the first row must name the columns `id`, `name` and `techniques` (found {})",
        if found.is_empty() {
            "none".to_string()
        } else {
            found.join(", ")
        }
    ))
    .fatal())
}

/// One row as a rule; a row without an id gets `<file stem>:<line>`.
fn row(
    path: &Path,
    stem: &str,
    columns: &Columns,
    record: &::csv::StringRecord,
    problems: &mut Vec<ImportProblem>,
) -> ImportedRule {
    let line = record.position().and_then(|p| u32::try_from(p.line()).ok());
    let field = |i: usize| record.get(i).map(str::trim).unwrap_or("");
    let id = match field(columns.id) {
        "" => {
            let stand_in = format!("{stem}:{}", line.unwrap_or(0));
            problems.push(
                ImportProblem::new(
                    path,
                    Code::ImportMissingField,
                    format!("csv row has no `id`; using `{stand_in}`"),
                )
                .at(line, Some(1)),
            );
            stand_in
        }
        id => id.to_string(),
    };
    let title = match field(columns.name) {
        "" => id.clone(),
        n => n.to_string(),
    };
    let mut techniques = TechniqueCollector::new(path, &id);
    for raw in field(columns.techniques)
        .split(|c: char| c == ';' || c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        techniques.add(raw, line, None);
    }
    problems.append(&mut techniques.problems);
    let mut rule = ImportedRule::from_parts(
        path,
        (line, Some(1)),
        id,
        title,
        columns.status.map(field).filter(|s| !s.is_empty()),
        techniques.refs,
    );
    let names = |c: Option<usize>| -> Vec<String> {
        c.map(field)
            .unwrap_or("")
            .split([';', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    rule.reach.platforms = names(columns.platforms);
    rule.reach.data_components = names(columns.data_components);
    if !rule.reach.platforms.is_empty() {
        rule.reach.unscoped = None;
    }
    let [date, result, method, reference] = columns.validation.map(|c| c.map(field).unwrap_or(""));
    if !date.is_empty() {
        match validation(date, result) {
            Ok((date, detected)) => rule.validations.push(super::ImportedValidation {
                date,
                detected,
                method: (!method.is_empty()).then(|| method.to_string()),
                reference: (!reference.is_empty()).then(|| reference.to_string()),
            }),
            Err(why) => problems.push(
                ImportProblem::new(
                    path,
                    Code::ImportParseError,
                    format!("row of `{}`: {why}; the validation is ignored", rule.id),
                )
                .at(line, Some(1)),
            ),
        }
    }
    rule
}

/// A validation's date and result (detected or not).
fn validation(date: &str, result: &str) -> Result<(crate::date::Date, bool), String> {
    let Some(d) = crate::date::Date::parse(date) else {
        return Err(match crate::date::Date::impossible(date) {
            Some(why) => format!(
                "`validation_date` `{}` is not a date: {why}",
                one_line(date)
            ),
            None => format!(
                "`validation_date` `{}` is not a date (YYYY-MM-DD)",
                one_line(date)
            ),
        });
    };
    match result.to_lowercase().replace([' ', '_'], "-").as_str() {
        "" | "detected" | "pass" | "passed" => Ok((d, true)),
        "not-detected" | "fail" | "failed" | "missed" => Ok((d, false)),
        _ => Err(format!(
            "`validation_result` `{}` is neither detected nor not-detected",
            one_line(result)
        )),
    }
}

fn csv_problem(path: &Path, e: &::csv::Error) -> ImportProblem {
    let line = e.position().and_then(|p| u32::try_from(p.line()).ok());
    ImportProblem::new(
        path,
        Code::ImportParseError,
        format!("invalid CSV: {}", lower_first(&e.to_string())),
    )
    .at(line, None)
    .fatal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows() {
        let text = "\u{feff}ID,Name,Techniques,Status,owner\nr1,One,\"T1059.001; t1003,T1110\",Deprecated,x\nr2,Two,,,\nr3,Three,T10,,\n";
        let out = parse(Path::new("rules.csv"), text);
        assert_eq!(out.rules.len(), 3);
        let r1 = &out.rules[0];
        assert!(r1.deprecated);
        assert_eq!(r1.line, Some(2));
        let ids: Vec<_> = r1.techniques.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["T1059.001", "T1003", "T1110"]);
        assert!(out.rules[1].techniques.is_empty());
        assert_eq!(out.problems.len(), 1);
        assert_eq!(out.problems[0].code, Code::ImportBadTechniqueId);
        assert_eq!(out.problems[0].line, Some(4));
    }

    #[test]
    fn platforms_and_data_components_columns() {
        let text = "id,name,techniques,platforms,data_components\nr1,One,T1003.001,\"Windows; Linux\",\"Process Access,DC0032\"\nr2,Two,T1486,,\n";
        let out = parse(Path::new("rules.csv"), text);
        assert_eq!(out.rules[0].reach.platforms, ["Windows", "Linux"]);
        assert_eq!(
            out.rules[0].reach.data_components,
            ["Process Access", "DC0032"]
        );
        assert_eq!(out.rules[0].reach.unscoped, None);
        assert!(out.rules[1].reach.platforms.is_empty());
        assert_eq!(
            out.rules[1].reach.unscoped,
            Some(crate::import::Unscoped::NoPlatform)
        );
    }

    #[test]
    fn validation_columns() {
        let text = "id,name,techniques,validation_date,validation_result,validation_method\nr1,One,T1003.001,2026-10-01,not detected,BAS\nr2,Two,T1003,2026-02-30,,\nr3,Three,T1003,,,\n";
        let out = parse(Path::new("rules.csv"), text);
        let v = &out.rules[0].validations;
        assert_eq!(v.len(), 1);
        assert!(!v[0].detected);
        assert_eq!(v[0].method.as_deref(), Some("BAS"));
        assert!(out.rules[1].validations.is_empty());
        assert!(out.rules[2].validations.is_empty());
        assert_eq!(out.problems.len(), 1);
        assert_eq!(out.problems[0].line, Some(3));
        assert!(out.problems[0]
            .message
            .contains("February 2026 has 28 days"));
    }

    #[test]
    fn missing_column() {
        let out = parse(Path::new("r.csv"), "id,title\n1,x\n");
        assert_eq!(out.problems[0].code, Code::ImportMissingColumn);
        assert!(out.problems[0].message.contains("`name`, `techniques`"));
    }
}
