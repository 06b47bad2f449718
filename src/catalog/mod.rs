//! The ATT&CK catalog: typed techniques, tactics, groups, software, campaigns, mitigations and
//! detection data for one domain and release.
//!
//! - [`model`]: the types everything else in threatc sees (never STIX).
//! - [`stix`]: the reader of ATT&CK STIX bundles (2.0 and 2.1).
//! - [`embedded`]: the compact form committed under `data/catalog/` and embedded in the binary.
//! - [`query`]: lookups and "did you mean" suggestions.
//! - [`newer`]: ids of releases newer than the embedded one (from MITRE's release notes), to
//!   explain an id or a model release the catalog in use does not have.

pub mod embedded;
mod error;
mod index;
pub mod model;
pub mod newer;
pub mod query;
pub mod stix;
mod str;
pub mod text;

pub use embedded::{
    build_embedded, decode, embedded, embedded_file_name, encode, EMBEDDED_RELEASE,
};
pub use error::CatalogError;
pub use model::*;
pub use query::{Entry, GroupLookup};
pub use stix::{load_bundle_file, read_bundle, release_from_file_name};
pub use str::Str;
