//! The compact catalog form committed under `data/catalog/` and embedded in the binary, so a
//! fresh clone works offline. Built from the STIX bundles by [`build_embedded`]; a test keeps the
//! committed files in step with the bundles.
//!
//! Layout: the magic bytes `TCAT`, one format-version byte, then the fields of
//! [`CatalogData`] in eight parts, each a 4-byte little-endian length and its postcard
//! encoding (see [`encode`]), decoded side by side. Every collection in it is a sorted
//! `Vec`, so the bytes are deterministic.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::error::CatalogError;
use super::model::{Catalog, CatalogData, Domain};
use super::stix;

/// The release embedded (one place: `EMBEDDED_RELEASE` and the file names below follow it).
/// To embed another release, change it, put that release's bundles
/// (`enterprise-attack-<release>.json`, …) in a folder and run
/// `threatc attack build-catalog FOLDER` (README, "The ATT&CK catalog").
macro_rules! embedded_release {
    () => {
        "18.1"
    };
}

/// The ATT&CK release embedded in the binary.
pub const EMBEDDED_RELEASE: &str = embedded_release!();

const MAGIC: &[u8; 4] = b"TCAT";
/// Bump when the layout of [`CatalogData`] changes (and regenerate the files).
const FORMAT_VERSION: u8 = 4;

static ENTERPRISE: &[u8] = include_bytes!(concat!(
    "../../data/catalog/enterprise-",
    embedded_release!(),
    ".bin"
));
static MOBILE: &[u8] = include_bytes!(concat!(
    "../../data/catalog/mobile-",
    embedded_release!(),
    ".bin"
));
static ICS: &[u8] = include_bytes!(concat!(
    "../../data/catalog/ics-",
    embedded_release!(),
    ".bin"
));

/// Encodes a catalog into the compact form: after the header, the catalog's fields in
/// [`PARTS`] parts, each a 4-byte little-endian length and the part's postcard encoding,
/// so that [`decode`] can decode the parts side by side.
pub fn encode(catalog: &Catalog) -> Vec<u8> {
    let d: &CatalogData = catalog;
    let mut out = Vec::with_capacity(1 << 20);
    out.extend_from_slice(MAGIC);
    out.push(FORMAT_VERSION);
    let head = (
        d.domain,
        &d.release,
        &d.tactics,
        &d.platforms,
        &d.retired_groups,
        &d.mitigations,
        &d.asset_types,
    );
    push_part(&mut out, &head);
    push_part(&mut out, &d.techniques);
    push_part(&mut out, &d.groups);
    push_part(&mut out, &d.software);
    push_part(&mut out, &d.campaigns);
    push_part(&mut out, &d.detection_strategies);
    push_part(&mut out, &d.analytics);
    push_part(&mut out, &d.data_components);
    out
}

/// How many parts the body has.
const PARTS: usize = 8;

/// Appends one part: its length and its postcard encoding.
fn push_part<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Serializing plain vectors, strings and enums into a Vec cannot fail.
    let bytes = match postcard::to_stdvec(value) {
        Ok(b) => b,
        Err(_) => unreachable!("postcard serialization into a Vec is infallible"),
    };
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&bytes);
}

fn decode_error(message: impl Into<String>) -> CatalogError {
    CatalogError::Decode {
        message: message.into(),
    }
}

/// Splits the body into its [`PARTS`] parts.
fn split_parts(mut body: &'static [u8]) -> Result<[&'static [u8]; PARTS], CatalogError> {
    let mut parts: [&[u8]; PARTS] = [&[]; PARTS];
    for part in parts.iter_mut() {
        let (len, rest) = body
            .split_first_chunk::<4>()
            .ok_or_else(|| decode_error("truncated part length"))?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err(decode_error("truncated part"));
        }
        let (this, rest) = rest.split_at(len);
        *part = this;
        body = rest;
    }
    if !body.is_empty() {
        return Err(decode_error(format!("{} trailing bytes", body.len())));
    }
    Ok(parts)
}

/// Decodes one part, which must be read to its end.
fn part<T: serde::Deserialize<'static>>(bytes: &'static [u8]) -> Result<T, CatalogError> {
    let (value, rest): (T, &[u8]) =
        postcard::take_from_bytes(bytes).map_err(|e| decode_error(e.to_string()))?;
    if !rest.is_empty() {
        return Err(decode_error(format!(
            "{} trailing bytes in a part",
            rest.len()
        )));
    }
    Ok(value)
}

/// The fields of the first part.
type Head = (
    Domain,
    super::Str,
    Vec<super::model::Tactic>,
    Vec<super::Str>,
    Vec<super::model::RetiredGroup>,
    Vec<super::model::Mitigation>,
    Vec<super::model::AssetType>,
);

/// Decodes the compact form (and builds the lookup indexes). The parts are decoded side
/// by side on the machine's cores: groups and software, with every technique they use
/// and its procedure text, are most of the Enterprise catalog.
pub fn decode(bytes: &'static [u8]) -> Result<Catalog, CatalogError> {
    let body = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| decode_error("not a threatc catalog (bad magic bytes)"))?;
    let (version, body) = body
        .split_first()
        .ok_or_else(|| decode_error("truncated header"))?;
    if *version != FORMAT_VERSION {
        return Err(decode_error(format!(
            "format version {version}, expected {FORMAT_VERSION}"
        )));
    }
    let [p0, p1, p2, p3, p4, p5, p6, p7] = split_parts(body)?;
    let (mut h, mut t, mut g, mut s, mut c, mut d, mut a, mut dc) =
        (None, None, None, None, None, None, None, None);
    rayon::scope(|sc| {
        sc.spawn(|_| g = Some(part(p2)));
        sc.spawn(|_| s = Some(part(p3)));
        sc.spawn(|_| t = Some(part(p1)));
        sc.spawn(|_| c = Some(part(p4)));
        sc.spawn(|_| a = Some(part(p6)));
        sc.spawn(|_| d = Some(part(p5)));
        sc.spawn(|_| dc = Some(part(p7)));
        h = Some(part::<Head>(p0));
    });
    let missing = || decode_error("a part was not decoded");
    let (domain, release, tactics, platforms, retired_groups, mitigations, asset_types) =
        h.ok_or_else(missing)??;
    Ok(Catalog::new(CatalogData {
        domain,
        release,
        tactics,
        techniques: t.ok_or_else(missing)??,
        groups: g.ok_or_else(missing)??,
        retired_groups,
        software: s.ok_or_else(missing)??,
        campaigns: c.ok_or_else(missing)??,
        mitigations,
        detection_strategies: d.ok_or_else(missing)??,
        analytics: a.ok_or_else(missing)??,
        data_components: dc.ok_or_else(missing)??,
        asset_types,
        platforms,
    }))
}

/// The embedded catalog of a domain, decoded on first use.
///
/// An error here means the committed data is broken: an internal bug, reported rather than
/// panicking.
pub fn embedded(domain: Domain) -> Result<&'static Catalog, CatalogError> {
    static CELLS: [OnceLock<Result<Catalog, String>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let (cell, bytes) = match domain {
        Domain::Enterprise => (&CELLS[0], ENTERPRISE),
        Domain::Mobile => (&CELLS[1], MOBILE),
        Domain::Ics => (&CELLS[2], ICS),
    };
    cell.get_or_init(|| decode(bytes).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|message| CatalogError::Decode {
            message: format!("embedded {domain} catalog: {message}"),
        })
}

/// The file name of a compact catalog: `enterprise-18.1.bin`.
pub fn embedded_file_name(domain: Domain, release: &str) -> String {
    format!("{}-{release}.bin", domain.as_str())
}

/// Reads `<domain>-attack-18.1.json` for each domain from `attack_dir` and writes the compact
/// catalogs into `out_dir`, returning the paths written. Bundles are read in parallel.
pub fn build_embedded(attack_dir: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, CatalogError> {
    use rayon::prelude::*;
    let built: Vec<Result<(PathBuf, Vec<u8>), CatalogError>> = Domain::all()
        .par_iter()
        .map(|&domain| {
            let input = attack_dir.join(format!("{}-{EMBEDDED_RELEASE}.json", domain.stix_name()));
            let catalog = stix::load_bundle_file(&input, Some(EMBEDDED_RELEASE))?;
            if catalog.domain != domain {
                return Err(CatalogError::UnknownDomain {
                    found: Some(format!(
                        "{} in {}",
                        catalog.domain.stix_name(),
                        input.display()
                    )),
                });
            }
            let out = out_dir.join(embedded_file_name(domain, EMBEDDED_RELEASE));
            Ok((out, encode(&catalog)))
        })
        .collect();
    std::fs::create_dir_all(out_dir).map_err(|source| CatalogError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for item in built {
        let (path, bytes) = item?;
        std::fs::write(&path, bytes).map_err(|source| CatalogError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
