//! Errors of reading, building and decoding catalogs.

use std::fmt;
use std::path::PathBuf;

/// Why a catalog could not be read, built or decoded.
#[derive(Debug)]
pub enum CatalogError {
    /// The input is not valid JSON.
    NotJson {
        /// serde_json's description of the problem.
        message: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// The input is JSON but not a STIX bundle (or a bundle whose objects have unexpected shapes).
    NotABundle {
        /// What was wrong.
        message: String,
    },
    /// A STIX bundle without ATT&CK techniques or tactics.
    NoAttackObjects,
    /// The ATT&CK domain could not be told from the bundle.
    UnknownDomain {
        /// What was found instead, if anything.
        found: Option<String>,
    },
    /// The ATT&CK release could not be told: neither given, nor in the bundle, nor in the file name.
    UnknownRelease,
    /// Compact catalog bytes that cannot be decoded.
    Decode {
        /// What was wrong.
        message: String,
    },
    /// The confined opener refused the file (outside the repository, not a regular
    /// file, too large); it was not opened.
    Refused {
        /// The file as named.
        path: PathBuf,
        /// Why.
        refusal: crate::fsio::Refusal,
    },
    /// A file could not be read or written.
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatalogError::NotJson {
                message,
                line,
                column,
            } => write!(f, "not valid JSON at line {line}, column {column}: {message}"),
            CatalogError::NotABundle { message } => {
                write!(f, "not an ATT&CK STIX bundle: {message}")
            }
            CatalogError::NoAttackObjects => f.write_str(
                "the STIX bundle holds no ATT&CK techniques or tactics (is it an ATT&CK bundle?)",
            ),
            CatalogError::UnknownDomain { found: Some(found) } => write!(
                f,
                "unknown ATT&CK domain `{found}` (expected enterprise-attack, mobile-attack or ics-attack)"
            ),
            CatalogError::UnknownDomain { found: None } => f.write_str(
                "cannot tell the ATT&CK domain of the bundle (no matrix, no x_mitre_domains)",
            ),
            CatalogError::UnknownRelease => f.write_str(
                "cannot tell the ATT&CK release of the bundle: name it (e.g. `18.1`) or use a file name like `enterprise-attack-18.1.json`",
            ),
            CatalogError::Decode { message } => {
                write!(f, "cannot decode compact catalog: {message}")
            }
            CatalogError::Refused { path, refusal } => {
                write!(f, "`{}` {}", path.display(), refusal.phrase())
            }
            CatalogError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for CatalogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CatalogError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
