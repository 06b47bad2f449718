//! report.json: its envelope (format version and generator), its JSON Schema and its
//! writer. The envelope is built here only: every output that names the report format
//! or the threatc that wrote it calls [`Envelope::current`] or [`generator`].

use crate::analysis::Analysis;
use serde::Serialize;
use serde_json::json;

/// The report format this threatc writes (and `diff` reads).
pub const REPORT_FORMAT: u32 = 1;

/// `threatc VERSION`: the generator named in report.json, layers and plans.
pub fn generator() -> String {
    format!("threatc {}", env!("CARGO_PKG_VERSION"))
}

/// The header of report.json.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Envelope {
    /// Report format version (1).
    pub report_format: u32,
    /// The threatc that wrote it.
    pub generator: String,
}

impl Envelope {
    /// This threatc's envelope.
    pub fn current() -> Self {
        Envelope {
            report_format: REPORT_FORMAT,
            generator: generator(),
        }
    }
}

/// The whole of report.json, for its JSON Schema.
#[derive(schemars::JsonSchema)]
#[schemars(title = "threatc report, format 1")]
#[allow(dead_code)]
struct ReportDoc {
    #[serde(flatten)]
    analysis: Analysis,
    #[serde(flatten)]
    envelope: Envelope,
    /// Files the build wrote, relative to the output folder.
    files: Vec<String>,
}

/// The JSON Schema of report.json, as committed in `schemas/`.
pub fn report_schema_json() -> String {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.meta_schema = Some("https://json-schema.org/draft/2020-12/schema".into());
    let schema = settings
        .into_generator()
        .into_root_schema_for::<ReportDoc>();
    let mut v = serde_json::to_value(&schema).unwrap_or_default();
    if let serde_json::Value::Object(m) = &mut v {
        m.insert(
            "$id".into(),
            json!("https://threatc.dev/schemas/threatc-report-v1.schema.json"),
        );
    }
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// report.json up to its last key, `files` (the files of the build, which are known only
/// once every other output is rendered): rendered while the other outputs are, and
/// finished by [`finish`].
#[derive(Debug)]
pub struct Head(Vec<u8>);

/// How the report rendered with no files ends: what [`finish`] replaces.
const NO_FILES: &[u8] = b"\"files\": []\n}";

/// Renders report.json without its `files` list.
pub fn head(a: &Analysis) -> Head {
    let mut v = Vec::with_capacity(1 << 20);
    // Writing into a Vec cannot fail.
    let _ = write(a, &[], &mut v);
    Head(v)
}

/// report.json (with a final line feed): the head and the list of `files`, byte for byte
/// what [`write`] writes.
pub fn finish(head: Head, files: &[String]) -> Result<Vec<u8>, String> {
    let mut v = head.0;
    if !v.ends_with(NO_FILES) {
        return Err("report.json did not render (internal error)".to_string());
    }
    v.truncate(v.len() - NO_FILES.len());
    #[derive(Serialize)]
    struct Files<'a> {
        files: &'a [String],
    }
    // `{\n  "files": [ … ]\n}`: from `"files"` on, as it appears at the report's end.
    let tail = serde_json::to_vec_pretty(&Files { files }).map_err(|e| e.to_string())?;
    v.extend_from_slice(tail.get(4..).unwrap_or_default());
    v.push(b'\n');
    Ok(v)
}

/// Writes report.json: the envelope, the analysis, the files of the build.
pub fn write(a: &Analysis, files: &[String], w: &mut dyn std::io::Write) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Out<'a> {
        #[serde(flatten)]
        envelope: Envelope,
        #[serde(flatten)]
        analysis: &'a Analysis,
        files: &'a [String],
    }
    let out = Out {
        envelope: Envelope::current(),
        analysis: a,
        files,
    };
    serde_json::to_writer_pretty(w, &out).map_err(std::io::Error::other)
}
