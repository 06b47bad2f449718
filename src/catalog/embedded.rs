//! The compact catalog form committed under `data/catalog/` and embedded in the binary, so a
//! fresh clone works offline. Built from the STIX bundles by [`build_embedded`]; a test keeps the
//! committed files in step with the bundles.
//!
//! Layout: the magic bytes `TCAT`, one format-version byte, then the postcard encoding of
//! [`CatalogData`]. Every collection in it is a sorted `Vec`, so the bytes are deterministic.

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
const FORMAT_VERSION: u8 = 3;

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

/// Encodes a catalog into the compact form.
pub fn encode(catalog: &Catalog) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 << 20);
    out.extend_from_slice(MAGIC);
    out.push(FORMAT_VERSION);
    // Serializing plain vectors, strings and enums into a Vec cannot fail.
    match postcard::to_extend(&**catalog, out) {
        Ok(out) => out,
        Err(_) => unreachable!("postcard serialization into a Vec is infallible"),
    }
}

/// Decodes the compact form (and builds the lookup indexes).
pub fn decode(bytes: &[u8]) -> Result<Catalog, CatalogError> {
    let body = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| CatalogError::Decode {
            message: "not a threatc catalog (bad magic bytes)".to_string(),
        })?;
    let (version, body) = body.split_first().ok_or_else(|| CatalogError::Decode {
        message: "truncated header".to_string(),
    })?;
    if *version != FORMAT_VERSION {
        return Err(CatalogError::Decode {
            message: format!("format version {version}, expected {FORMAT_VERSION}"),
        });
    }
    let (data, rest): (CatalogData, &[u8]) =
        postcard::take_from_bytes(body).map_err(|e| CatalogError::Decode {
            message: e.to_string(),
        })?;
    if !rest.is_empty() {
        return Err(CatalogError::Decode {
            message: format!("{} trailing bytes", rest.len()),
        });
    }
    Ok(Catalog::new(data))
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
