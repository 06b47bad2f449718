//! ATT&CK release upgrades: what changed between two catalogs, and rewriting models and
//! Navigator layers for the catalog in use without disturbing anything else in the file.

pub mod changes;
pub mod diff;
pub mod layer;
pub mod model;

pub use changes::{compare, Change, ChangeKind};
