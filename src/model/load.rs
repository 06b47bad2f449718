//! Loading a model: read the root file and every file it includes, parse, check each
//! against the schema, and deserialize into the v1 types.

use super::v1::ModelFile;
use super::{de, schema, yaml};
use crate::diag::Code;
use crate::diag::{Diagnostic, Diagnostics};
use crate::fsio::{self, Confine, Refusal, TextError};
use crate::source::{FileId, SourceMap, Span, Spanned};
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

/// Largest model file read (bytes).
pub const MAX_MODEL_BYTES: u64 = 16 * 1024 * 1024;

/// One parsed model file.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    /// Its id in the source map.
    pub file: FileId,
    /// The folder it is in: its relative paths start here.
    pub dir: PathBuf,
    /// Its content.
    pub content: ModelFile,
    /// The `include:` entry that brought it in (None for the root).
    pub included_at: Option<Span>,
}

/// A root model and its includes, root first, in include order.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The files.
    pub files: Vec<LoadedFile>,
    /// The repository root that include and import paths must stay under.
    pub root_dir: PathBuf,
}

/// Options for loading.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Allow include and import paths outside the repository root.
    pub allow_outside_root: bool,
}

/// The nearest ancestor of `start` holding `.git`; else `start` (see [`fsio::repo_root`]).
pub fn find_repo_root(start: &Path) -> PathBuf {
    fsio::repo_root(start)
}

/// A path shown to users: relative to the working directory when below it, with `/`.
pub fn display_path(p: &Path) -> String {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf());
    let mut s = String::new();
    for c in shown.components() {
        match c {
            Component::CurDir => continue,
            Component::RootDir => s.push('/'),
            other => {
                if !s.is_empty() && !s.ends_with('/') {
                    s.push('/');
                }
                s.push_str(&other.as_os_str().to_string_lossy());
            }
        }
    }
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// `path` relative to `base` with `/` separators (`../x` when outside), for outputs that
/// must not depend on where threatc was run from.
pub fn relative_to(path: &Path, base: &Path) -> String {
    let path = normalize(path);
    let base = normalize(base);
    let pc: Vec<Component> = path.components().collect();
    let bc: Vec<Component> = base.components().collect();
    let common = pc.iter().zip(&bc).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = Vec::new();
    for _ in common..bc.len() {
        parts.push("..".into());
    }
    for c in pc.iter().skip(common) {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// Reads a model file into the source map through the confined opener ([`fsio::read`]):
/// inside the repository root, a regular file, at most [`MAX_MODEL_BYTES`]. A refused
/// file is never opened, so its diagnostic shows its name and the `include:` that named
/// it, never its content. A file read from outside the root (`--allow-outside-root`) is
/// marked hidden: diagnostics locate it but show no snippet.
pub fn read_source(
    path: &Path,
    name: String,
    sources: &mut SourceMap,
    at: Option<Span>,
    confine: &Confine,
) -> Result<FileId, Diagnostic> {
    // A file that cannot be read still gets its name (and line 1) in the diagnostic,
    // plus the `include:` that named it.
    let located = |sources: &mut SourceMap, d: Diagnostic| {
        let d = match at {
            Some(s) => return d.with_label(s, "included here"),
            None => d,
        };
        let id = sources.add(name.clone(), path, "");
        d.with_label(Span::new(id, 0, 0), "")
    };
    let (text, opened) = match fsio::read_text(path, confine, MAX_MODEL_BYTES) {
        Ok(t) => t,
        Err(TextError::Refused(r)) => return Err(located(sources, refused(&name, &r, confine))),
        Err(TextError::NotUtf8 { valid_up_to }) => {
            // Read again only to say what kind of file it is and where: the opener has
            // already accepted it, and only its valid prefix is kept.
            let bytes = fsio::read(path, confine, MAX_MODEL_BYTES)
                .map(|o| o.bytes)
                .unwrap_or_default();
            let what = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
                "is UTF-16 text"
            } else if bytes.contains(&0) {
                "is binary data"
            } else {
                "is not UTF-8 text"
            };
            let off = valid_up_to;
            let outside = fsio::check(path, confine).map(|(_, o)| o).unwrap_or(true);
            let prefix = if outside {
                String::new()
            } else {
                String::from_utf8_lossy(bytes.get(..off).unwrap_or(&[])).into_owned()
            };
            let id = sources.add(name.clone(), path, prefix);
            if outside {
                sources.hide(id);
            }
            let d = Diagnostic::error(Code::NotUtf8, format!("`{name}` {what}"))
                .with_label(Span::new(id, off, 0), format!("byte {off} is not UTF-8"))
                .with_help("save model files as UTF-8");
            return Err(match at {
                Some(s) => d.with_label(s, "included here"),
                None => d,
            });
        }
    };
    let hidden = opened.outside_root;
    if text.contains('\0') {
        let off = text.find('\0').unwrap_or(0);
        let id = sources.add(name.clone(), path, text);
        if hidden {
            sources.hide(id);
        }
        return Err(
            Diagnostic::error(Code::NotUtf8, format!("`{name}` is binary data"))
                .with_label(Span::new(id, off, 1), "NUL byte")
                .with_help("save model files as UTF-8 text"),
        );
    }
    let id = sources.add(name, path, text);
    if hidden {
        sources.hide(id);
    }
    Ok(id)
}

/// The diagnostic for a model or include file the opener refused.
fn refused(name: &str, r: &Refusal, confine: &Confine) -> Diagnostic {
    match r {
        Refusal::OutsideRoot => Diagnostic::error(
            Code::PathOutsideRoot,
            format!("`{name}` resolves outside the repository root; not read"),
        )
        .with_help(format!(
            "model files must stay under `{}` (`..` and symbolic links are resolved first); pass --allow-outside-root to allow it",
            display_path(confine.shown_root())
        )),
        Refusal::GitInternals => Diagnostic::error(
            Code::PathRefused,
            format!("`{name}` is inside a `.git` folder; not read"),
        )
        .with_help("a model cannot include git's own files"),
        Refusal::TooLarge { .. } => Diagnostic::error(
            Code::YamlLimit,
            format!("`{name}` {}; model files are limited to {} MiB", r.phrase(), MAX_MODEL_BYTES >> 20),
        )
        .with_help("split the model with `include:`, or keep large inventories in rule files and import them"),
        Refusal::Folder => Diagnostic::error(Code::IoError, format!("`{name}` is a folder, not a model file")),
        Refusal::NotRegular => Diagnostic::error(
            Code::PathRefused,
            format!("`{name}` is not a regular file (a device, pipe or socket); not read"),
        ),
        Refusal::NotFound => Diagnostic::error(Code::IoError, format!("cannot read `{name}`: no such file")),
        Refusal::Permission => Diagnostic::error(Code::IoError, format!("cannot read `{name}`: permission denied")),
        Refusal::Loop | Refusal::Io(_) => {
            Diagnostic::error(Code::IoError, format!("`{name}` {}", r.phrase()))
        }
    }
}

/// Short text of an I/O error.
pub fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => yaml::lowercase_first(&e.to_string()),
    }
}

/// Parses one source file: YAML, schema, types. All schema errors at once.
pub fn parse_file(file: FileId, sources: &SourceMap) -> Result<ModelFile, Diagnostics> {
    let Some(src) = sources.get(file) else {
        return Err(Diagnostic::error(Code::IoError, "internal error: unknown source file").into());
    };
    let node = yaml::parse(file, src).map_err(Diagnostics::from)?;
    if !matches!(node.value, yaml::Value::Map(_)) {
        return Err(Diagnostic::error(
            Code::SchemaType,
            format!(
                "expected a mapping at the top of the model, found {}",
                node.type_name()
            ),
        )
        .with_label(node.span, "")
        .with_help("a model starts with `threatc: 1` and a `model:` section")
        .into());
    }
    let errors = schema::validate(&node);
    if !errors.is_empty() {
        let mut ds = Diagnostics::new();
        ds.extend(errors);
        return Err(ds);
    }
    de::from_node::<ModelFile>(&node).map_err(|e| {
        Diagnostic::error(Code::SchemaValue, yaml::lowercase_first(&e.message))
            .with_label(e.span.unwrap_or(node.span), "")
            .into()
    })
}

/// Lexical normalisation (`a/./b/../c` → `a/c`).
pub fn normalize(p: &Path) -> PathBuf {
    fsio::normalize(p)
}

/// Includes nest at most this deep.
pub const MAX_INCLUDE_DEPTH: usize = 64;

/// Loads a root model and its includes.
pub fn load(
    path: &Path,
    sources: &mut SourceMap,
    opts: &LoadOptions,
) -> Result<Loaded, Diagnostics> {
    let abs = normalize(&fsio::absolute(path));
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let root_dir = find_repo_root(&dir);
    let confine = Confine::new(&root_dir, opts.allow_outside_root);
    let mut loader = Loader {
        sources,
        confine,
        loaded: Loaded {
            files: Vec::new(),
            root_dir,
        },
        stack: Vec::new(),
        seen: HashSet::new(),
        diags: Diagnostics::new(),
    };
    loader.load(&abs, None);
    if loader.diags.has_errors() {
        Err(loader.diags)
    } else {
        Ok(loader.loaded)
    }
}

/// The state of one load: files are read once each (by canonical path), so a model with
/// many includes loads in time linear in their number, and nesting is bounded.
struct Loader<'a> {
    sources: &'a mut SourceMap,
    confine: Confine,
    loaded: Loaded,
    /// Canonical paths of the files on the current include chain (cycle detection).
    stack: Vec<PathBuf>,
    /// Canonical paths of every file read so far.
    seen: HashSet<PathBuf>,
    diags: Diagnostics,
}

impl Loader<'_> {
    fn load(&mut self, abs: &Path, at: Option<Span>) {
        let file = match read_source(abs, display_path(abs), self.sources, at, &self.confine) {
            Ok(f) => f,
            Err(d) => {
                self.diags.push(d);
                return;
            }
        };
        let canon = fsio::check(abs, &self.confine)
            .map(|(c, _)| c)
            .unwrap_or_else(|_| normalize(abs));
        self.seen.insert(canon.clone());
        let content = match parse_file(file, self.sources) {
            Ok(c) => c,
            Err(ds) => {
                self.diags.extend(ds);
                return;
            }
        };
        let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        let includes: Vec<Spanned<String>> = content.include.clone();
        self.loaded.files.push(LoadedFile {
            file,
            dir: dir.clone(),
            content,
            included_at: at,
        });
        self.stack.push(canon);
        for inc in includes {
            self.include(&dir, &inc);
        }
        self.stack.pop();
    }

    fn include(&mut self, dir: &Path, inc: &Spanned<String>) {
        let target = normalize(&dir.join(&inc.value));
        let tcanon = match fsio::check(&target, &self.confine) {
            Ok((c, _)) => c,
            Err(Refusal::NotFound) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::IncludeNotFound,
                        format!("included file `{}` does not exist", inc.value),
                    )
                    .with_label(inc.span, "not found")
                    .with_help("paths are relative to the including file"),
                );
                return;
            }
            Err(Refusal::OutsideRoot) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::PathOutsideRoot,
                        format!("include `{}` leaves the repository root", inc.value),
                    )
                    .with_label(inc.span, "outside the repository")
                    .with_help(format!(
                        "paths must stay under `{}` (`..` and symbolic links are resolved first); pass --allow-outside-root to allow it",
                        display_path(&self.loaded.root_dir)
                    )),
                );
                return;
            }
            Err(r) => {
                let shown = inc.value.clone();
                let d = refused(&shown, &r, &self.confine);
                self.diags.push(d.with_label(inc.span, "included here"));
                return;
            }
        };
        if self.stack.contains(&tcanon) {
            self.diags.push(
                Diagnostic::error(
                    Code::IncludeCycle,
                    format!(
                        "`{}` is already being included: an include cycle",
                        inc.value
                    ),
                )
                .with_label(inc.span, "this include closes the cycle")
                .with_help("a file may not include itself, directly or through other files"),
            );
            return;
        }
        if self.seen.contains(&tcanon) {
            // Included twice through different paths (a diamond): read once.
            return;
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.diags.push(
                Diagnostic::error(
                    Code::IncludeTooDeep,
                    format!(
                        "`{}` would be included more than {MAX_INCLUDE_DEPTH} levels deep; not read",
                        inc.value
                    ),
                )
                .with_label(inc.span, "too deep")
                .with_help("flatten the include chain: a root model may include many fragments directly"),
            );
            return;
        }
        self.load(&target, Some(inc.span));
    }
}
