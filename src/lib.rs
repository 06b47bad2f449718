//! threatc: a threat-model compiler.
