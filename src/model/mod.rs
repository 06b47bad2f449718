//! The threat model: format v1 types, loading (YAML, includes), schema validation.

pub mod de;
pub mod load;
pub mod schema;
pub mod v1;
pub mod yaml;
