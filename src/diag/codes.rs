//! The registry of diagnostic codes: [`Code`] is the type every diagnostic carries, with
//! its kebab-case name, default severity, meaning and exit class. README's table is
//! checked against it by a test, and a test checks every code is emitted somewhere.

use super::Severity;
use std::fmt;

/// What a failing diagnostic means for the exit code (README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// The input is invalid (exit 2).
    Invalid,
    /// An I/O or usage problem: a file that cannot be read or written, bad arguments (exit 3).
    Usage,
    /// A finding the user asked to fail on (exit 1).
    Findings,
}

/// A documented diagnostic code (the registry's view of a [`Code`]).
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    /// The stable kebab-case code.
    pub code: &'static str,
    /// Its usual severity.
    pub severity: Severity,
    /// What it means.
    pub meaning: &'static str,
}

use Severity::{Error as E, Note as N, Warning as W};

macro_rules! codes {
    ($( $variant:ident = $name:literal, $sev:ident, $class:ident, $meaning:literal; )*) => {
        /// Every code threatc can emit. `Display` and `FromStr` use the kebab-case name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( #[doc = $meaning] $variant, )*
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable kebab-case name.
            pub const fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }

            /// Its usual severity.
            pub const fn severity(self) -> Severity {
                match self { $( Code::$variant => $sev, )* }
            }

            /// What it means (README's table).
            pub const fn meaning(self) -> &'static str {
                match self { $( Code::$variant => $meaning, )* }
            }

            /// What it means for the exit code when it fails a run.
            pub const fn exit_class(self) -> ExitClass {
                match self { $( Code::$variant => ExitClass::$class, )* }
            }
        }
    };
}

impl Code {
    /// Every code, in registry order.
    pub fn iter() -> impl Iterator<Item = Code> {
        Code::ALL.iter().copied()
    }

    /// The registry entry.
    pub const fn info(self) -> CodeInfo {
        CodeInfo {
            code: self.as_str(),
            severity: self.severity(),
            meaning: self.meaning(),
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode(pub String);

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a diagnostic code", self.0)
    }
}

impl std::error::Error for UnknownCode {}

impl std::str::FromStr for Code {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Code, UnknownCode> {
        Code::iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_string()))
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Every code with its severity and meaning, in registry order.
#[allow(clippy::indexing_slicing)] // const evaluation: an index out of bounds fails the build
pub static CODES: &[CodeInfo] = &{
    let mut out = [CodeInfo {
        code: "",
        severity: E,
        meaning: "",
    }; Code::ALL.len()];
    let mut i = 0;
    while i < Code::ALL.len() {
        out[i] = Code::ALL[i].info();
        i += 1;
    }
    out
};

codes! {
    // loading
    IoError = "io-error", E, Usage, "a file could not be read or written";
    NotUtf8 = "not-utf8", E, Invalid, "a model file is not UTF-8 text (UTF-16 files and binary data are rejected)";
    YamlSyntax = "yaml-syntax", E, Invalid, "the file is not valid YAML";
    YamlDuplicateKey = "yaml-duplicate-key", E, Invalid, "a mapping has the same key twice";
    YamlLimit = "yaml-limit", E, Invalid, "the file exceeds a safety limit (nesting depth, alias expansion, node count or size)";
    EmptyModel = "empty-model", E, Invalid, "the model file holds no document";
    IncludeCycle = "include-cycle", E, Invalid, "a file includes itself, directly or through others";
    IncludeNotFound = "include-not-found", E, Invalid, "an included file does not exist";
    PathOutsideRoot = "path-outside-root", E, Invalid, "a model, include or import path (or a symbolic link on the way) leaves the model's repository root; the file is not opened";
    PathRefused = "path-refused", E, Invalid, "a named file is inside a `.git` folder or is not a regular file (a device, pipe or socket); it is not opened";
    IncludeTooDeep = "include-too-deep", E, Invalid, "includes nest more than 64 levels deep";
    // schema
    SchemaType = "schema-type", E, Invalid, "a value has the wrong type";
    SchemaUnknownKey = "schema-unknown-key", E, Invalid, "a mapping has a key the model format does not define";
    SchemaMissingKey = "schema-missing-key", E, Invalid, "a required key is missing";
    SchemaValue = "schema-value", E, Invalid, "a value is outside what the model format allows (enum, pattern, range)";
    UnsupportedVersion = "unsupported-version", E, Invalid, "the `threatc:` format version is not one this threatc reads";
    // meaning
    BadTechniqueId = "bad-technique-id", E, Invalid, "a technique id is not of the form T1234 or T1234.567";
    UnknownTechnique = "unknown-technique", E, Invalid, "a technique id is not in the ATT&CK catalog in use";
    RevokedTechnique = "revoked-technique", E, Invalid, "a technique was revoked by ATT&CK; the diagnostic names its replacement";
    DeprecatedTechnique = "deprecated-technique", W, Invalid, "a technique is deprecated in ATT&CK and has no replacement";
    UnknownGroup = "unknown-group", E, Invalid, "an actor names an ATT&CK group that the catalog does not know";
    RevokedGroup = "revoked-group", E, Invalid, "an actor names a group that ATT&CK revoked; the diagnostic names its replacement";
    DuplicateId = "duplicate-id", E, Invalid, "two actors, assets, rules or targets share an id";
    UndefinedAsset = "undefined-asset", E, Invalid, "a rule names an asset the model does not define";
    UndefinedActor = "undefined-actor", E, Invalid, "a target names an actor the model does not define";
    UnknownPlatform = "unknown-platform", E, Invalid, "an asset or a rule names a platform that is not in the model's ATT&CK domain";
    UnknownDataComponent = "unknown-data-component", E, Invalid, "a rule or a telemetry entry names a data component that is not in the ATT&CK catalog in use (names as in ATT&CK v18, or DC ids)";
    UnknownLogSource = "unknown-log-source", E, Invalid, "a telemetry entry names a log source, an event code or a channel that no analytic of the ATT&CK catalog in use reads";
    InvalidTelemetry = "invalid-telemetry", E, Invalid, "a telemetry entry names neither a log source nor data components, or both";
    InvalidActor = "invalid-actor", E, Invalid, "an actor entry mixes the keys of a group actor and a custom actor, or lacks both";
    InvalidRule = "invalid-rule", E, Invalid, "a rule entry lacks what an inline rule or an import needs";
    InvalidCandidate = "invalid-candidate", E, Invalid, "a `candidates:` entry is not an import of rule files (`import:` and `path:`), or has keys only inline rules have";
    InvalidDate = "invalid-date", E, Invalid, "a date is not an ISO date (YYYY-MM-DD)";
    InvalidCoverage = "invalid-coverage", E, Invalid, "a coverage share is not a percentage or a fraction between 0 and 1";
    CoverageAmbiguous = "coverage-ambiguous", W, Invalid, "a coverage share is valid but likely not the one meant: a percentage under 1% (`0.8%`) or the bare number `1` (100%)";
    FragmentSection = "fragment-section", E, Invalid, "an included fragment holds a section only the root model may hold";
    MissingModel = "missing-model", E, Invalid, "the root model has no `model:` section";
    AttackVersionMismatch = "attack-version-mismatch", W, Invalid, "the model was written against another ATT&CK release than the catalog in use";
    AttackReleaseUnavailable = "attack-release-unavailable", E, Invalid, "the model names a newer ATT&CK release than the catalog in use; supply its bundle with --attack-data or embed it";
    AttackDomainMismatch = "attack-domain-mismatch", E, Invalid, "the ATT&CK data supplied is for another domain than the model's";
    TechniqueChanged = "technique-changed", N, Invalid, "a technique the model uses was renamed or moved to other tactics between the model's release and the catalog's";
    UnusedAsset = "unused-asset", W, Invalid, "no technique of any actor applies to an asset's platforms or ATT&CK for ICS asset types";
    UnknownAssetType = "unknown-asset-type", E, Invalid, "an asset's `asset_types` names no ATT&CK for ICS asset of the catalog in use (ids A0001…, names, abbreviations or related asset names), or the model's domain has none";
    UntypedAsset = "untyped-asset", W, Invalid, "ATT&CK for ICS assets name no `asset_types`: every ICS threat technique applies to them";
    ScopeDropped = "scope-dropped", W, Invalid, "threat techniques run on platforms no asset declares (PRE, Network Devices, ESXi…): those wholly on them are out of scope";
    RuleBlind = "rule-blind", W, Invalid, "rules read a data component an asset that declares telemetry does not collect (a network sensor: no network data component): they do not count there";
    RuleUnscoped = "rule-unscoped", W, Invalid, "rules name neither platforms nor assets (a network sensor, an application log, an unmapped log source, no platform given): they count on every asset";
    SoftwareTechniquesHidden = "software-techniques-hidden", N, Invalid, "group actors without `software:` use techniques only through their software (T1486 through Ryuk); the note says how many `software: true` would add";
    EmptyActor = "empty-actor", W, Invalid, "an actor has no techniques after add/remove";
    NoActors = "no-actors", W, Invalid, "the model declares no actor, so there is nothing to cover";
    TargetAfterAssessed = "target-after-assessed", N, Invalid, "a target's date is already past at the model's assessed date";
    RuleNoTechniques = "rule-no-techniques", W, Invalid, "a rule maps to no technique";
    InvalidEvidence = "invalid-evidence", E, Invalid, "an evidence file is not a CSV or JSON table of rows, or a row lacks `technique`, `asset` or `date`, or its `result` is neither detected nor not-detected";
    EvidenceStale = "evidence-stale", W, Invalid, "tests (rules' validations, evidence rows) are older than `coverage.validation_max_age`: they no longer validate, nor override, a detection";
    UnknownMitigation = "unknown-mitigation", E, Invalid, "a decision or a `mitigations:` entry names a mitigation that is not an active ATT&CK mitigation of the catalog";
    DecisionIncomplete = "decision-incomplete", E, Invalid, "an `accept` or `transfer` decision lacks its `owner` or `reason`, or `mitigations` are given to a decision other than `mitigate`";
    DecisionExpiryBeforeDate = "decision-expiry-before-date", E, Invalid, "a decision's `expiry` is before its `date`";
    DecisionExpired = "decision-expired", W, Invalid, "a decision's `expiry` is before the model's assessed date (or the day of the build without one): an expired accept or transfer no longer removes the gap; an error under `--deny expired-decisions`";
    InvalidCapacity = "invalid-capacity", E, Invalid, "`plan.capacity` is not a number of effort points per month from 0.1 to 100000";
    InvalidEffort = "invalid-effort", E, Invalid, "an effort (a technique note's `effort`, a `plan.effort` value) is not `low`, `medium`, `high` or a number of effort points from 0 to 10000";
    InvalidDuration = "invalid-duration", E, Invalid, "`coverage.validation_max_age` or `plan.intel_half_life` is not a number of days or a duration such as `180d`, `26w`, `6m`, `1y`";
    InvalidWeights = "invalid-weights", E, Invalid, "a weight of `plan.weights` is negative or not a finite number (`intel` and `mitigation` above 1), or the six base weights are all 0";
    WeightsNormalised = "weights-normalised", W, Invalid, "the six base weights of `plan.weights` do not sum to 1: they are divided by their sum";
    InvalidIntel = "invalid-intel", E, Invalid, "an `intel:` entry has an empty `source`";
    IntelOutsideThreat = "intel-outside-threat", W, Invalid, "an `intel:` entry names a technique no actor of the model uses: it raises no gap";
    RemoveNotUsed = "remove-not-used", W, Invalid, "an actor removes a technique that it does not use";
    AttackData = "attack-data", E, Usage, "the ATT&CK data file could not be read";
    // imports
    ImportParseError = "import-parse-error", W, Invalid, "an imported rule file is malformed; the import continues with the other files";
    ImportMissingField = "import-missing-field", W, Invalid, "an imported rule lacks a field (id or title); a stand-in is used";
    ImportBadTechniqueId = "import-bad-technique-id", W, Invalid, "an imported rule carries a tag that is not a technique id";
    ImportUnknownTechnique = "import-unknown-technique", W, Invalid, "imported rules carry a technique id the catalog does not know";
    ImportRevokedTechnique = "import-revoked-technique", W, Invalid, "imported rules carry a revoked technique id";
    ImportDeprecatedTechnique = "import-deprecated-technique", W, Invalid, "imported rules carry a deprecated technique id";
    ImportUnmappedStatus = "import-unmapped-status", W, Invalid, "imported rules have a source status the import's `status` map does not map; they count as planned";
    ImportNoRules = "import-no-rules", W, Invalid, "an import entry yielded no rule";
    ImportUnknownPlatform = "import-unknown-platform", W, Invalid, "imported rules name a platform or data component the catalog does not know; the name is ignored";
    ImportNoTechnique = "import-no-technique", N, Invalid, "imported rules carry no technique tag and are not counted";
    ImportDeprecatedRule = "import-deprecated-rule", N, Invalid, "imported rules are deprecated at their source and are not counted";
    ImportOutsideRoot = "import-outside-root", E, Invalid, "an import path leaves the model's repository root";
    ImportSymlinkLoop = "import-symlink-loop", W, Invalid, "a symbolic-link loop was found while walking an import folder";
    ImportPathNotFound = "import-path-not-found", W, Invalid, "an import path matches no file";
    ImportFileTooLarge = "import-file-too-large", W, Invalid, "an imported file is larger than the 10 MiB limit";
    ImportReadError = "import-read-error", W, Invalid, "an imported file could not be read";
    ImportNotUtf8 = "import-not-utf8", W, Invalid, "an imported file is not UTF-8 text";
    ImportEmptyFile = "import-empty-file", W, Invalid, "an imported file is empty";
    ImportNoRule = "import-no-rule", W, Invalid, "an imported file holds no rule";
    ImportMissingColumn = "import-missing-column", W, Invalid, "a CSV inventory lacks a required column (id, name, techniques)";
    ImportBadGlob = "import-bad-glob", E, Invalid, "an import path or exclude pattern is not a valid glob";
    ImportNavigatorUnscored = "import-navigator-unscored", W, Invalid, "a Navigator layer has no technique with a score above 0";
    ImportTooDeep = "import-too-deep", W, Invalid, "an import folder is nested deeper than 64 levels";
    ImportTooManyProblems = "import-too-many-problems", W, Invalid, "a file has more problems than are reported one by one";
    DettectFile = "dettect-file", W, Invalid, "a DeTT&CT file is not one threatc reads: not a mapping, another `file_type`, or a version other than technique administration 1.2 or data source administration 1.1; nothing of it is imported";
    DettectInvalid = "dettect-invalid", W, Invalid, "an entry of a DeTT&CT file is malformed (no `technique_id`, `data_source_name` or `applicable_to`, a value of the wrong type); it is skipped";
    DettectScore = "dettect-score", W, Invalid, "a DeTT&CT score is out of range (detection -1 to 5, visibility 0 to 4, data quality 0 to 5) or a logbook date is not YYYY-MM-DD; the entry is skipped";
    DettectApplicableTo = "dettect-applicable-to", W, Invalid, "a DeTT&CT `applicable_to` value names no asset of the model (by id, name or slug); its scores are not imported for it";
    DettectUnknownDataSource = "dettect-unknown-data-source", W, Invalid, "a DeTT&CT data source is not an ATT&CK data component of the catalog in use (DeTT&CT's own data sources included); it is not imported";
    // build / templates
    OutputError = "output-error", E, Usage, "an output could not be written (or a folder inside the output folder is a symbolic link); earlier outputs are left as they were";
    TemplateError = "template-error", E, Invalid, "a report template failed to render";
    TargetUnmet = "target-unmet", W, Findings, "a coverage target is not met";
    // diff
    DiffInput = "diff-input", E, Usage, "a `threatc diff` input is neither a model nor a threatc report.json, or the arguments do not name two sides";
    DiffGit = "diff-git", E, Usage, "`threatc diff --git` or `threatc history` could not read a revision: no `.git` above the model (or a `.git` that is not a repository), unknown revision, or the model's path is not a file at that revision";
    // history
    HistoryInput = "history-input", E, Usage, "`threatc history` has nothing to build or a bad `--since`, or the history file given to `threatc build --history` is not a trend.csv of `threatc history`";
    // catalog queries
    UnknownEntry = "unknown-entry", E, Usage, "`threatc attack show` found nothing by that id, name or alias (or several entries share the name)";
    // init
    InitExists = "init-exists", E, Usage, "`threatc init` would overwrite an existing file; nothing was written";
    // migrate
    MigrateDeprecated = "migrate-deprecated", W, Invalid, "a deprecated technique has no replacement and was left in place";
    MigrateRevoked = "migrate-revoked", N, Invalid, "a revoked technique id was replaced by its successor";
    MigrateNoReplacement = "migrate-no-replacement", W, Invalid, "a revoked technique has no replacement in ATT&CK and was left in place";
    MigrateDuplicate = "migrate-duplicate", N, Invalid, "after migration a technique is listed twice (the compiler de-duplicates; layers keep the first entry)";
    MigrateVersion = "migrate-version", N, Invalid, "`attack.version` was set to the catalog's release";
    MigrateNoVersion = "migrate-no-version", N, Invalid, "the model has no `attack.version`, so migrate cannot record the new release";
    MigrateImport = "migrate-import", N, Invalid, "imported rule files are foreign files and are not rewritten";
    MigrateTactic = "migrate-tactic", N, Invalid, "a layer entry's tactic was changed because the technique is no longer under it";
    MigrateRelease = "migrate-release", E, Usage, "`migrate --to` names another release than the catalog in use";
    MigrateLayer = "migrate-layer", E, Invalid, "a file given to migrate as a layer is not a JSON object";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::iter() {
            let name = c.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            assert_eq!(name.parse::<Code>(), Ok(c));
            assert_eq!(c.to_string(), name);
            assert!(!c.meaning().is_empty());
        }
        assert_eq!(CODES.len(), Code::ALL.len());
        assert!("no-such-code".parse::<Code>().is_err());
    }
}
