//! Turn a path spec (file, folder or glob) into a sorted list of files to read, refusing
//! anything that resolves outside the repository root.
//!
//! A model may come from a pull request, so its import paths are untrusted: `..`, absolute
//! paths and symbolic links are all resolved (canonicalised) and checked against the root
//! before a file is opened or a folder is listed. Folder walks remember the canonical
//! folders on the current branch, so a link back to an ancestor ends with a problem
//! instead of a hang.

use crate::diag::Code;
use crate::fsio::is_loop;
use std::collections::HashSet;
use std::io;
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::{lower_first, Format, ImportOptions, ImportProblem};

/// Folder walks stop at this depth.
const MAX_DEPTH: usize = 64;

/// A file to read: where it was found (for messages) and where to open it.
#[derive(Debug, Clone)]
pub(crate) struct FoundFile {
    /// The path as discovered, relative to the base folder when the spec was relative.
    pub display: PathBuf,
    /// The path to open (base folder joined).
    pub real: PathBuf,
}

#[derive(Debug, Default)]
pub(crate) struct Discovery {
    pub files: Vec<FoundFile>,
    pub problems: Vec<ImportProblem>,
}

/// The nearest ancestor of `start` (itself included) that holds `.git`, else `start`.
pub fn find_root(start: &Path) -> PathBuf {
    crate::fsio::repo_root(start)
}

struct Walker<'a> {
    format: Format,
    opts: &'a ImportOptions,
    root: PathBuf,
    exclude: GlobSet,
    /// When walking for a glob, the glob that picks files (instead of extensions).
    pick: Option<GlobSet>,
    /// Canonical folders on the current walk branch (for loop detection).
    stack: Vec<PathBuf>,
    /// Canonical folders already walked (a second link to one is not walked again).
    visited: HashSet<PathBuf>,
    out: Discovery,
}

/// The files `spec` names, confined to `root` (the canonical root of the import's
/// [`crate::fsio::Confine`], so that it is resolved once for the walk and the reads).
pub(crate) fn discover(format: Format, spec: &str, opts: &ImportOptions, root: &Path) -> Discovery {
    let root = root.to_path_buf();
    let mut problems = Vec::new();
    let exclude = build_globset(&opts.exclude, spec, &mut problems);
    let mut walker = Walker {
        format,
        opts,
        root,
        exclude,
        pick: None,
        stack: Vec::new(),
        visited: HashSet::new(),
        out: Discovery {
            files: Vec::new(),
            problems,
        },
    };

    let spec_trimmed = spec.trim();
    let spec_path = clean(Path::new(spec_trimmed));
    if spec_trimmed.is_empty() {
        walker.out.problems.push(
            ImportProblem::new(
                Path::new(""),
                Code::ImportPathNotFound,
                "import path is empty",
            )
            .fatal(),
        );
        return walker.out;
    }
    if walker.spec_escapes_root(&spec_path) {
        return walker.out;
    }
    if is_glob(spec_trimmed) {
        if !walker.glob(spec_trimmed, &spec_path) {
            return walker.out;
        }
    } else {
        walker.named(spec_trimmed, &spec_path);
    }
    finish(walker.out, format, spec_trimmed, &spec_path, opts)
}

/// The files found, sorted and deduplicated; "matched no file" when there is none and
/// no fatal problem says why.
fn finish(
    mut out: Discovery,
    format: Format,
    spec_trimmed: &str,
    spec_path: &Path,
    opts: &ImportOptions,
) -> Discovery {
    if out.files.is_empty() && !out.problems.iter().any(|p| p.fatal_for_file) {
        let exts = format.extensions().join(", .");
        out.problems.push(
            ImportProblem::new(
                spec_path,
                Code::ImportPathNotFound,
                format!("import path `{spec_trimmed}` matched no {format} file"),
            )
            .help(format!(
                "paths are relative to `{}`; folders are searched for .{exts} files",
                opts.base_dir.display()
            ))
            .fatal(),
        );
    }
    out.files.sort_by(|a, b| a.display.cmp(&b.display));
    out.files.dedup_by(|a, b| a.display == b.display);
    out
}

impl Walker<'_> {
    /// Refuses an escaping spec before touching the file system, so that a path outside
    /// the root is reported as such even when nothing exists there.
    fn spec_escapes_root(&mut self, spec_path: &Path) -> bool {
        if self.opts.allow_outside_root {
            return false;
        }
        let base_dir = &self.opts.base_dir;
        let base = std::fs::canonicalize(base_dir).unwrap_or_else(|_| base_dir.clone());
        let (prefix, _) = split_glob(spec_path);
        let lexical = normalize_lexically(&base.join(&prefix));
        if lexical.starts_with(&self.root) {
            return false;
        }
        self.inside_root(&lexical, spec_path);
        true
    }

    /// A glob: walks the folder before its first wildcard, picking the files that match.
    /// False (with a problem) when the glob does not compile.
    fn glob(&mut self, spec_trimmed: &str, spec_path: &Path) -> bool {
        let (prefix, _) = split_glob(spec_path);
        let pattern = to_slash(spec_path);
        match GlobBuilder::new(&pattern).literal_separator(true).build() {
            Ok(glob) => {
                let mut b = GlobSetBuilder::new();
                b.add(glob);
                self.pick = b.build().ok();
            }
            Err(e) => {
                self.out.problems.push(
                    ImportProblem::new(
                        spec_path,
                        Code::ImportBadGlob,
                        format!(
                            "import path `{spec_trimmed}` is not a valid glob: {}",
                            lower_first(&e.kind().to_string())
                        ),
                    )
                    .fatal(),
                );
                return false;
            }
        }
        let real = self.opts.base_dir.join(&prefix);
        if real.is_dir() {
            self.walk(&real, &prefix, 0);
        }
        true
    }

    /// A file or folder named directly: a folder is walked, a file read whatever its
    /// extension; anything else is a problem.
    fn named(&mut self, spec_trimmed: &str, spec_path: &Path) {
        let real = self.opts.base_dir.join(spec_path);
        match std::fs::metadata(&real) {
            Ok(meta) if meta.is_dir() => self.walk(&real, spec_path, 0),
            Ok(meta) if !meta.is_file() => self.out.problems.push(
                ImportProblem::new(
                    spec_path,
                    Code::ImportReadError,
                    format!(
                        "`{spec_trimmed}` is not a regular file (a device, pipe or socket); not read"
                    ),
                )
                .fatal(),
            ),
            Ok(_) => self.file(&real, spec_path, false),
            Err(e) if is_loop(&e) => self.loop_problem(spec_path),
            Err(e) if real.symlink_metadata().is_ok() => self.out.problems.push(
                ImportProblem::new(
                    spec_path,
                    Code::ImportReadError,
                    format!(
                        "cannot follow `{spec_trimmed}`: {}",
                        lower_first(&e.to_string())
                    ),
                )
                .fatal(),
            ),
            Err(_) => {}
        }
    }

    fn walk(&mut self, real: &Path, display: &Path, depth: usize) {
        if depth > MAX_DEPTH {
            self.out.problems.push(
                ImportProblem::new(
                    display,
                    Code::ImportTooDeep,
                    format!("folder is more than {MAX_DEPTH} levels deep; not searched"),
                )
                .fatal(),
            );
            return;
        }
        let Some(canon) = self.canonical(real, display) else {
            return;
        };
        if !self.inside_root(&canon, display) {
            return;
        }
        if self.stack.contains(&canon) {
            return self.loop_problem(display);
        }
        if !self.visited.insert(canon.clone()) {
            return; // reached again through another link: already walked
        }
        let entries = match std::fs::read_dir(real) {
            Ok(rd) => {
                let mut names: Vec<_> = rd.filter_map(Result::ok).map(|e| e.file_name()).collect();
                names.sort();
                names
            }
            Err(e) => return self.io_problem(display, &e),
        };
        self.stack.push(canon);
        for name in entries {
            // Hidden entries (.git, .github, editor folders) never hold rules of interest.
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let child_real = real.join(&name);
            let child_display = display.join(&name);
            if self.excluded(&child_display) {
                continue;
            }
            match std::fs::metadata(&child_real) {
                Ok(m) if m.is_dir() => self.walk(&child_real, &child_display, depth + 1),
                Ok(m) if m.is_file() => self.file(&child_real, &child_display, true),
                Ok(_) => {} // sockets, fifos, devices: not rule files
                Err(e) if is_loop(&e) => self.loop_problem(&child_display),
                Err(e) => {
                    if self.wanted(&child_display, true) {
                        self.io_problem(&child_display, &e);
                    }
                }
            }
        }
        self.stack.pop();
    }

    /// The canonical path of a file or folder; None (with a problem) when it cannot be
    /// resolved.
    fn canonical(&mut self, real: &Path, display: &Path) -> Option<PathBuf> {
        match std::fs::canonicalize(real) {
            Ok(c) => Some(c),
            Err(e) if is_loop(&e) => {
                self.loop_problem(display);
                None
            }
            Err(e) => {
                self.io_problem(display, &e);
                None
            }
        }
    }

    /// A file found by a walk (`from_walk`) or named directly.
    fn file(&mut self, real: &Path, display: &Path, from_walk: bool) {
        if !self.wanted(display, from_walk) || self.excluded(display) {
            return;
        }
        let Some(canon) = self.canonical(real, display) else {
            return;
        };
        if self.inside_root(&canon, display) {
            self.out.files.push(FoundFile {
                display: display.to_path_buf(),
                real: real.to_path_buf(),
            });
        }
    }

    /// Whether a file is picked: by the glob when there is one, else by extension
    /// (a file named directly is always picked).
    fn wanted(&self, display: &Path, from_walk: bool) -> bool {
        if let Some(pick) = &self.pick {
            return pick.is_match(to_slash(display));
        }
        if !from_walk {
            return true;
        }
        display
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .is_some_and(|e| self.format.extensions().contains(&e.as_str()))
    }

    fn excluded(&self, display: &Path) -> bool {
        if self.exclude.is_empty() {
            return false;
        }
        let rel = display.strip_prefix(&self.opts.base_dir).unwrap_or(display);
        self.exclude.is_match(to_slash(rel))
    }

    fn inside_root(&mut self, canon: &Path, display: &Path) -> bool {
        if self.opts.allow_outside_root || canon.starts_with(&self.root) {
            return true;
        }
        self.out.problems.push(
            ImportProblem::new(
                display,
                Code::ImportOutsideRoot,
                format!(
                    "`{}` resolves outside the repository root `{}`; not read",
                    display.display(),
                    self.opts.root.display()
                ),
            )
            .help("import only files inside the repository (`..` and symbolic links are resolved before this check), or pass --allow-outside-root for a trusted local run")
            .fatal(),
        );
        false
    }

    fn loop_problem(&mut self, display: &Path) {
        self.out.problems.push(
            ImportProblem::new(
                display,
                Code::ImportSymlinkLoop,
                format!(
                    "`{}` is a symbolic link that leads back into itself; not followed",
                    display.display()
                ),
            )
            .help("remove the link, or exclude it with an `exclude` glob")
            .fatal(),
        );
    }

    fn io_problem(&mut self, display: &Path, e: &io::Error) {
        self.out.problems.push(
            ImportProblem::new(
                display,
                Code::ImportReadError,
                format!(
                    "cannot read `{}`: {}",
                    display.display(),
                    lower_first(&e.to_string())
                ),
            )
            .fatal(),
        );
    }
}

fn build_globset(globs: &[String], spec: &str, problems: &mut Vec<ImportProblem>) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        match GlobBuilder::new(g).literal_separator(true).build() {
            Ok(glob) => {
                b.add(glob);
            }
            Err(e) => problems.push(
                ImportProblem::new(
                    Path::new(spec),
                    Code::ImportBadGlob,
                    format!(
                        "exclude pattern `{g}` is not a valid glob: {}",
                        lower_first(&e.kind().to_string())
                    ),
                )
                .help("the pattern was ignored"),
            ),
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

fn is_glob(spec: &str) -> bool {
    spec.contains(['*', '?', '[', '{'])
}

/// The leading components of a glob that hold no glob syntax, and the rest.
fn split_glob(spec: &Path) -> (PathBuf, PathBuf) {
    let mut prefix = PathBuf::new();
    let mut rest = PathBuf::new();
    let mut in_rest = false;
    for c in spec.components() {
        if !in_rest && !is_glob(&c.as_os_str().to_string_lossy()) {
            prefix.push(c);
        } else {
            in_rest = true;
            rest.push(c);
        }
    }
    (prefix, rest)
}

/// Drop `.` components, keep everything else as written (`..` is resolved by canonicalising).
fn clean(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// Resolve `.` and `..` without consulting the file system.
fn normalize_lexically(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn to_slash(p: &Path) -> String {
    let s = p.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_prefix_split() {
        let (p, r) = split_glob(Path::new("detections/win/**/*.yml"));
        assert_eq!(p, PathBuf::from("detections/win"));
        assert_eq!(r, PathBuf::from("**/*.yml"));
    }
}
