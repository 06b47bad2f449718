//! threatc: a threat-model compiler.

pub mod cli;
pub mod date;
pub mod diag;
pub mod model;
pub mod source;
