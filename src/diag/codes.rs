//! The registry of diagnostic codes: each code's default severity and meaning.
//! README's table is checked against it by a test.

use super::Severity;

/// A documented diagnostic code.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    /// The stable kebab-case code.
    pub code: &'static str,
    /// Its usual severity.
    pub severity: Severity,
    /// What it means.
    pub meaning: &'static str,
}

const fn c(code: &'static str, severity: Severity, meaning: &'static str) -> CodeInfo {
    CodeInfo {
        code,
        severity,
        meaning,
    }
}

use Severity::{Error as E, Note as N, Warning as W};

/// Every code threatc can emit.
pub static CODES: &[CodeInfo] = &[
    // loading
    c("io-error", E, "a file could not be read or written"),
    c("not-utf8", E, "a model file is not UTF-8 text (UTF-16 files and binary data are rejected)"),
    c("yaml-syntax", E, "the file is not valid YAML"),
    c("yaml-duplicate-key", E, "a mapping has the same key twice"),
    c("yaml-limit", E, "the file exceeds a safety limit (nesting depth, alias expansion, node count or size)"),
    c("empty-model", E, "the model file holds no document"),
    c("include-cycle", E, "a file includes itself, directly or through others"),
    c("include-not-found", E, "an included file does not exist"),
    c("path-outside-root", E, "a model, include or import path (or a symbolic link on the way) leaves the model's repository root; the file is not opened"),
    c("path-refused", E, "a named file is inside a `.git` folder or is not a regular file (a device, pipe or socket); it is not opened"),
    c("include-too-deep", E, "includes nest more than 64 levels deep"),
    // schema
    c("schema-type", E, "a value has the wrong type"),
    c("schema-unknown-key", E, "a mapping has a key the model format does not define"),
    c("schema-missing-key", E, "a required key is missing"),
    c("schema-value", E, "a value is outside what the model format allows (enum, pattern, range)"),
    c("unsupported-version", E, "the `threatc:` format version is not one this threatc reads"),
    // meaning
    c("bad-technique-id", E, "a technique id is not of the form T1234 or T1234.567"),
    c("unknown-technique", E, "a technique id is not in the ATT&CK catalog in use"),
    c("revoked-technique", E, "a technique was revoked by ATT&CK; the diagnostic names its replacement"),
    c("deprecated-technique", W, "a technique is deprecated in ATT&CK and has no replacement"),
    c("unknown-group", E, "an actor names an ATT&CK group that the catalog does not know"),
    c("revoked-group", E, "an actor names a group that ATT&CK revoked; the diagnostic names its replacement"),
    c("duplicate-id", E, "two actors, assets, rules or targets share an id"),
    c("undefined-asset", E, "a rule names an asset the model does not define"),
    c("undefined-actor", E, "a target names an actor the model does not define"),
    c("unknown-platform", E, "an asset names a platform that is not in the model's ATT&CK domain"),
    c("invalid-actor", E, "an actor entry mixes the keys of a group actor and a custom actor, or lacks both"),
    c("invalid-rule", E, "a rule entry lacks what an inline rule or an import needs"),
    c("invalid-date", E, "a date is not an ISO date (YYYY-MM-DD)"),
    c("invalid-coverage", E, "a coverage share is not a percentage or a fraction between 0 and 1"),
    c("fragment-section", E, "an included fragment holds a section only the root model may hold"),
    c("missing-model", E, "the root model has no `model:` section"),
    c("attack-version-mismatch", W, "the model was written against another ATT&CK release than the catalog in use"),
    c("attack-domain-mismatch", E, "the ATT&CK data supplied is for another domain than the model's"),
    c("technique-changed", N, "a technique the model uses was renamed or moved to other tactics between the model's release and the catalog's"),
    c("unused-asset", W, "no technique of any actor applies to an asset's platforms"),
    c("empty-actor", W, "an actor has no techniques after add/remove"),
    c("no-actors", W, "the model declares no actor, so there is nothing to cover"),
    c("target-after-assessed", N, "a target's date is already past at the model's assessed date"),
    c("rule-no-techniques", W, "a rule maps to no technique"),
    c("remove-not-used", W, "an actor removes a technique that it does not use"),
    c("attack-data", E, "the ATT&CK data file could not be read"),
    // imports
    c("import-parse-error", W, "an imported rule file is malformed; the import continues with the other files"),
    c("import-missing-field", W, "an imported rule lacks a field (id or title); a stand-in is used"),
    c("import-bad-technique-id", W, "an imported rule carries a tag that is not a technique id"),
    c("import-unknown-technique", W, "imported rules carry a technique id the catalog does not know"),
    c("import-revoked-technique", W, "imported rules carry a revoked technique id"),
    c("import-deprecated-technique", W, "imported rules carry a deprecated technique id"),
    c("import-unmapped-status", W, "imported rules have a source status the import's `status` map does not map; they count as planned"),
    c("import-no-rules", W, "an import entry yielded no rule"),
    c("import-no-technique", N, "imported rules carry no technique tag and are not counted"),
    c("import-deprecated-rule", N, "imported rules are deprecated at their source and are not counted"),
    c("import-outside-root", E, "an import path leaves the model's repository root"),
    c("import-symlink-loop", W, "a symbolic-link loop was found while walking an import folder"),
    c("import-path-not-found", W, "an import path matches no file"),
    c("import-file-too-large", W, "an imported file is larger than the 10 MiB limit"),
    c("import-read-error", W, "an imported file could not be read"),
    c("import-not-utf8", W, "an imported file is not UTF-8 text"),
    c("import-empty-file", W, "an imported file is empty"),
    c("import-no-rule", W, "an imported file holds no rule"),
    c("import-missing-column", W, "a CSV inventory lacks a required column (id, name, techniques)"),
    c("import-bad-glob", E, "an import path or exclude pattern is not a valid glob"),
    c("import-navigator-unscored", W, "a Navigator layer has no technique with a score above 0"),
    c("import-too-deep", W, "an import folder is nested deeper than 64 levels"),
    c("import-too-many-problems", W, "a file has more problems than are reported one by one"),
    // build / templates
    c("output-error", E, "an output could not be written (or a folder inside the output folder is a symbolic link); earlier outputs are left as they were"),
    c("template-error", E, "a report template failed to render"),
    c("target-unmet", W, "a coverage target is not met"),
    // diff
    c("diff-input", E, "a `threatc diff` input is neither a model nor a threatc report.json, or the arguments do not name two sides"),
    c("diff-git", E, "`threatc diff --git` could not read the base: no `.git` above the model (or a `.git` that is not a repository), unknown revision, or the model is missing at that revision"),
    // migrate
    c("migrate-deprecated", W, "a deprecated technique has no replacement and was left in place"),
    c("migrate-revoked", N, "a revoked technique id was replaced by its successor"),
    c("migrate-no-replacement", W, "a revoked technique has no replacement in ATT&CK and was left in place"),
    c("migrate-duplicate", N, "after migration a technique is listed twice (the compiler de-duplicates; layers keep the first entry)"),
    c("migrate-version", N, "`attack.version` was set to the catalog's release"),
    c("migrate-no-version", N, "the model has no `attack.version`, so migrate cannot record the new release"),
    c("migrate-import", N, "imported rule files are foreign files and are not rewritten"),
    c("migrate-tactic", N, "a layer entry's tactic was changed because the technique is no longer under it"),
    c("migrate-release", E, "`migrate --to` names another release than the catalog in use"),
    c("migrate-layer", E, "a file given to migrate as a layer is not a JSON object"),
];
