//! Loading a model: read the root file and every file it includes, parse, check each
//! against the schema, and deserialize into the v1 types.

use super::v1::ModelFile;
use super::{de, schema, yaml};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap, Span, Spanned};
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

/// The nearest ancestor of `start` holding `.git`; else `start`.
pub fn find_repo_root(start: &Path) -> PathBuf {
    let mut cur = Some(start);
    while let Some(dir) = cur {
        if dir.join(".git").exists() {
            return dir.to_path_buf();
        }
        cur = dir.parent();
    }
    start.to_path_buf()
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

/// Reads a text file into the source map, checking size and encoding.
pub fn read_source(
    path: &Path,
    name: String,
    sources: &mut SourceMap,
    at: Option<Span>,
) -> Result<FileId, Diagnostic> {
    // A file that cannot be read still gets its name (and line 1) in the diagnostic,
    // plus the `include:` that named it.
    let located = |sources: &mut SourceMap, d: Diagnostic| {
        let id = sources.add(name.clone(), path, "");
        let d = d.with_label(Span::new(id, 0, 0), "");
        match at {
            Some(s) => d.with_label(s, "included here"),
            None => d,
        }
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            let d = Diagnostic::error("io-error", format!("cannot read `{name}`: {}", io_text(&e)));
            return Err(match at {
                Some(s) => d.with_label(s, "included here"),
                None => located(sources, d),
            });
        }
    };
    if meta.is_dir() {
        return Err(located(
            sources,
            Diagnostic::error(
                "io-error",
                format!("`{name}` is a folder, not a model file"),
            ),
        ));
    }
    if meta.len() > MAX_MODEL_BYTES {
        return Err(located(
            sources,
            Diagnostic::error(
                "yaml-limit",
                format!(
                    "`{name}` is {} MiB; model files are limited to {} MiB",
                    meta.len() >> 20,
                    MAX_MODEL_BYTES >> 20
                ),
            )
            .with_help("split the model with `include:`, or keep large inventories in rule files and import them"),
        ));
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return Err(located(
                sources,
                Diagnostic::error("io-error", format!("cannot read `{name}`: {}", io_text(&e))),
            ))
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let b = e.as_bytes();
            let what = if b.starts_with(&[0xFF, 0xFE]) || b.starts_with(&[0xFE, 0xFF]) {
                "is UTF-16 text"
            } else if b.contains(&0) {
                "is binary data"
            } else {
                "is not UTF-8 text"
            };
            let off = e.utf8_error().valid_up_to();
            // Keep the valid prefix so the label can show where the bad byte is.
            let prefix = String::from_utf8_lossy(b.get(..off).unwrap_or(&[])).into_owned();
            let id = sources.add(name.clone(), path, prefix);
            return Err(Diagnostic::error("not-utf8", format!("`{name}` {what}"))
                .with_label(Span::new(id, off, 0), format!("byte {off} is not UTF-8"))
                .with_help("save model files as UTF-8"));
        }
    };
    if text.contains('\0') {
        let off = text.find('\0').unwrap_or(0);
        let id = sources.add(name.clone(), path, text);
        return Err(
            Diagnostic::error("not-utf8", format!("`{name}` is binary data"))
                .with_label(Span::new(id, off, 1), "NUL byte")
                .with_help("save model files as UTF-8 text"),
        );
    }
    Ok(sources.add(name, path, text))
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
        return Err(Diagnostic::error("io-error", "internal error: unknown source file").into());
    };
    let node = yaml::parse(file, src).map_err(Diagnostics::from)?;
    if !matches!(node.value, yaml::Value::Map(_)) {
        return Err(Diagnostic::error(
            "schema-type",
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
        Diagnostic::error("schema-value", yaml::lowercase_first(&e.message))
            .with_label(e.span.unwrap_or(node.span), "")
            .into()
    })
}

/// Is `p` (made absolute and normalised) under `root`?
pub fn is_under(p: &Path, root: &Path) -> bool {
    let canon = |x: &Path| std::fs::canonicalize(x).unwrap_or_else(|_| normalize(x));
    canon(p).starts_with(canon(root))
}

/// Lexical normalisation (`a/./b/../c` → `a/c`).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Loads a root model and its includes.
pub fn load(
    path: &Path,
    sources: &mut SourceMap,
    opts: &LoadOptions,
) -> Result<Loaded, Diagnostics> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|c| c.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let abs = normalize(&abs);
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let root_dir = find_repo_root(&dir);
    let mut loaded = Loaded {
        files: Vec::new(),
        root_dir,
    };
    let mut diags = Diagnostics::new();
    let mut stack: Vec<PathBuf> = Vec::new();
    load_rec(
        &abs,
        None,
        sources,
        opts,
        &mut loaded,
        &mut stack,
        &mut diags,
    );
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(loaded)
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| normalize(p))
}

fn load_rec(
    abs: &Path,
    at: Option<Span>,
    sources: &mut SourceMap,
    opts: &LoadOptions,
    loaded: &mut Loaded,
    stack: &mut Vec<PathBuf>,
    diags: &mut Diagnostics,
) {
    let canon = canonical(abs);
    let file = match read_source(abs, display_path(abs), sources, at) {
        Ok(f) => f,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    let content = match parse_file(file, sources) {
        Ok(c) => c,
        Err(ds) => {
            diags.extend(ds);
            return;
        }
    };
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let includes: Vec<Spanned<String>> = content.include.clone();
    loaded.files.push(LoadedFile {
        file,
        dir: dir.clone(),
        content,
        included_at: at,
    });
    stack.push(canon);
    for inc in includes {
        let target = normalize(&dir.join(&inc.value));
        if !opts.allow_outside_root && !is_under(&target, &loaded.root_dir) {
            diags.push(
                Diagnostic::error(
                    "path-outside-root",
                    format!("include `{}` leaves the repository root", inc.value),
                )
                .with_label(inc.span, "outside the repository")
                .with_help(format!(
                    "paths must stay under `{}`; pass --allow-outside-root to allow it",
                    display_path(&loaded.root_dir)
                )),
            );
            continue;
        }
        if !target.is_file() {
            diags.push(
                Diagnostic::error(
                    "include-not-found",
                    format!("included file `{}` does not exist", inc.value),
                )
                .with_label(inc.span, "not found")
                .with_help("paths are relative to the including file"),
            );
            continue;
        }
        let tcanon = canonical(&target);
        if stack.contains(&tcanon) {
            diags.push(
                Diagnostic::error(
                    "include-cycle",
                    format!(
                        "`{}` is already being included: an include cycle",
                        inc.value
                    ),
                )
                .with_label(inc.span, "this include closes the cycle")
                .with_help("a file may not include itself, directly or through other files"),
            );
            continue;
        }
        if loaded
            .files
            .iter()
            .any(|f| sources.get(f.file).map(|s| canonical(&s.path)) == Some(tcanon.clone()))
        {
            // Included twice through different paths (a diamond): read once.
            continue;
        }
        load_rec(&target, Some(inc.span), sources, opts, loaded, stack, diags);
    }
    stack.pop();
}
