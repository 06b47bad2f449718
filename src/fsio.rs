//! The one opener for files a user names: models, includes, imported rule files,
//! templates, ATT&CK data and the trees `diff --git` extracts.
//!
//! A model may come from a pull request, so every path in it, and every file reached
//! through a folder or a symbolic link it names, is untrusted. [`read`] resolves the path,
//! confines it to a root folder (the repository), refuses anything that is not a regular
//! file or that lies inside a `.git` folder, and caps the size, all *before* the file is
//! opened. A refused file is never read, so no diagnostic can quote it; the [`Refusal`]
//! says why in words that never include the file's content or the target of a link.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Where a file may be read from.
#[derive(Debug, Clone)]
pub struct Confine {
    /// The folder every file must resolve under (canonicalised by [`Confine::new`]).
    root: PathBuf,
    /// The root as given, for messages.
    shown_root: PathBuf,
    /// Let files resolve outside the root (`--allow-outside-root`).
    pub allow_outside_root: bool,
}

impl Confine {
    /// Files under `root` (usually the repository root).
    pub fn new(root: &Path, allow_outside_root: bool) -> Confine {
        let abs = absolute(root);
        Confine {
            root: std::fs::canonicalize(&abs).unwrap_or_else(|_| normalize(&abs)),
            shown_root: root.to_path_buf(),
            allow_outside_root,
        }
    }

    /// A file the operator named on the command line (`--attack-data`, `--templates`):
    /// where they put it is trusted, but a path inside a repository (which a pull request
    /// writes) must resolve inside that repository, so a committed link cannot lead out.
    pub fn named(path: &Path) -> Confine {
        let abs = normalize(&absolute(path));
        let start = abs.parent().unwrap_or(&abs);
        let root = repo_root(start);
        let in_repo = root.join(".git").symlink_metadata().is_ok();
        Confine::new(&root, !in_repo)
    }

    /// The canonical root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root as given.
    pub fn shown_root(&self) -> &Path {
        &self.shown_root
    }

    /// Is this canonical path under the root?
    pub fn contains(&self, canonical: &Path) -> bool {
        canonical.starts_with(&self.root)
    }
}

/// Why a file was not read. The texts name the path as the user wrote it, never what
/// the file holds or where a link points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing at that path.
    NotFound,
    /// The path, or a link on the way, leads outside the root.
    OutsideRoot,
    /// The path is inside a `.git` folder (which holds credentials and hooks).
    GitInternals,
    /// A folder.
    Folder,
    /// A device, pipe, socket or other non-regular file (`/dev/zero`, `/dev/stdin`).
    NotRegular,
    /// Larger than the cap.
    TooLarge {
        /// Size found (at least cap + 1 when the file grew while being read).
        len: u64,
        /// The cap.
        cap: u64,
    },
    /// Symbolic links that lead back into themselves.
    Loop,
    /// Permission denied.
    Permission,
    /// Any other I/O error (its kind, in words).
    Io(String),
}

impl Refusal {
    /// A lowercase phrase for messages: "resolves outside the repository root".
    pub fn phrase(&self) -> String {
        match self {
            Refusal::NotFound => "does not exist".into(),
            Refusal::OutsideRoot => "resolves outside the repository root (`..` and symbolic links are resolved first); not read".into(),
            Refusal::GitInternals => "is inside a `.git` folder; not read".into(),
            Refusal::Folder => "is a folder, not a file".into(),
            Refusal::NotRegular => "is not a regular file (a device, pipe or socket); not read".into(),
            Refusal::TooLarge { len, cap } => format!(
                "is {} bytes, over the limit of {} MiB",
                len,
                cap >> 20
            ),
            Refusal::Loop => "is a symbolic link that leads back into itself".into(),
            Refusal::Permission => "cannot be read: permission denied".into(),
            Refusal::Io(e) => format!("cannot be read: {e}"),
        }
    }
}

/// A file read through [`read`].
#[derive(Debug)]
pub struct Opened {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its canonical path.
    pub canonical: PathBuf,
    /// True when it lies outside the root (read under `allow_outside_root`): its content
    /// must not be shown in diagnostics.
    pub outside_root: bool,
}

/// Resolves `path` (relative to the working directory) and checks it without opening it.
/// Returns the canonical path and whether it lies outside the root.
pub fn check(path: &Path, confine: &Confine) -> Result<(PathBuf, bool), Refusal> {
    let abs = absolute(path);
    // Refuse an escaping path before touching the file system, so that nothing outside
    // the root is even probed for existence.
    let lexical = normalize(&abs);
    if !confine.allow_outside_root && !lexical.starts_with(&confine.root) {
        // The root may itself be reached through a link (e.g. /tmp → /private/tmp): compare
        // with the root as given, lexically, too.
        let shown = normalize(&absolute(&confine.shown_root));
        if !lexical.starts_with(&shown) {
            return Err(Refusal::OutsideRoot);
        }
    }
    let canonical = match std::fs::canonicalize(&abs) {
        Ok(c) => c,
        Err(e) => return Err(io_refusal(&e)),
    };
    let outside = !confine.contains(&canonical);
    if outside && !confine.allow_outside_root {
        return Err(Refusal::OutsideRoot);
    }
    if in_git_dir(&canonical, &confine.root) {
        return Err(Refusal::GitInternals);
    }
    let meta = std::fs::metadata(&canonical).map_err(|e| io_refusal(&e))?;
    if meta.is_dir() {
        return Err(Refusal::Folder);
    }
    if !meta.is_file() {
        return Err(Refusal::NotRegular);
    }
    Ok((canonical, outside))
}

/// Reads a user-named file: confined to the root, a regular file, at most `cap` bytes.
pub fn read(path: &Path, confine: &Confine, cap: u64) -> Result<Opened, Refusal> {
    let (canonical, outside_root) = check(path, confine)?;
    let file = open_no_follow(&canonical).map_err(|e| io_refusal(&e))?;
    // The file may have been swapped between the check and the open: check what was
    // actually opened.
    let meta = file.metadata().map_err(|e| io_refusal(&e))?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular);
    }
    if meta.len() > cap {
        return Err(Refusal::TooLarge {
            len: meta.len(),
            cap,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // Read at most one byte past the cap: /proc files report size 0 and a file may grow.
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_refusal(&e))?;
    if bytes.len() as u64 > cap {
        return Err(Refusal::TooLarge {
            len: bytes.len() as u64,
            cap,
        });
    }
    Ok(Opened {
        bytes,
        canonical,
        outside_root,
    })
}

/// [`read`], then UTF-8 (a leading byte-order mark is kept; callers strip it).
pub fn read_text(path: &Path, confine: &Confine, cap: u64) -> Result<(String, Opened), TextError> {
    let mut opened = read(path, confine, cap).map_err(TextError::Refused)?;
    let bytes = std::mem::take(&mut opened.bytes);
    match String::from_utf8(bytes) {
        Ok(t) => Ok((t, opened)),
        Err(e) => Err(TextError::NotUtf8 {
            valid_up_to: e.utf8_error().valid_up_to(),
        }),
    }
}

/// Why [`read_text`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// Not read at all.
    Refused(Refusal),
    /// Read, but not UTF-8 from this byte on.
    NotUtf8 {
        /// Bytes of valid UTF-8 before the first bad one.
        valid_up_to: usize,
    },
}

impl TextError {
    /// A lowercase phrase for messages after the file's name: "is not UTF-8 text", or
    /// the refusal's phrase.
    pub fn phrase(&self) -> String {
        match self {
            TextError::Refused(r) => r.phrase(),
            TextError::NotUtf8 { .. } => "is not UTF-8 text".to_string(),
        }
    }
}

#[cfg(unix)]
fn open_no_follow(p: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NOFOLLOW: the canonical path holds no link, so a link here was planted after the
    // check. O_NONBLOCK: a FIFO swapped in after the check cannot hang the open.
    const O_NOFOLLOW: i32 = if cfg!(target_os = "linux") {
        0o400000
    } else {
        0x0100
    };
    const O_NONBLOCK: i32 = if cfg!(target_os = "linux") {
        0o4000
    } else {
        0x0004
    };
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NOFOLLOW | O_NONBLOCK)
        .open(p)
}

#[cfg(not(unix))]
fn open_no_follow(p: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(p)
}

fn io_refusal(e: &std::io::Error) -> Refusal {
    if is_loop(e) {
        return Refusal::Loop;
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => Refusal::NotFound,
        std::io::ErrorKind::PermissionDenied => Refusal::Permission,
        _ => Refusal::Io(crate::model::yaml::lowercase_first(&e.kind().to_string())),
    }
}

/// `ELOOP`: too many levels of symbolic links.
pub fn is_loop(e: &std::io::Error) -> bool {
    #[cfg(target_os = "linux")]
    const ELOOP: i32 = 40;
    #[cfg(not(target_os = "linux"))]
    const ELOOP: i32 = 62;
    e.raw_os_error() == Some(ELOOP)
}

/// Does a canonical path go through a `.git` folder (below the root, or anywhere when
/// outside it)?
fn in_git_dir(canonical: &Path, root: &Path) -> bool {
    let rel = canonical.strip_prefix(root).unwrap_or(canonical);
    rel.components()
        .any(|c| matches!(c, Component::Normal(n) if n == ".git"))
}

/// `path` made absolute against the working directory (not resolved).
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|c| c.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Lexical normalisation (`a/./b/../c` → `a/c`), without consulting the file system.
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

/// The nearest ancestor of `start` (itself included) that holds a `.git` entry, found
/// lexically (a link in `start` is not followed out of the tree); else `start`.
pub fn repo_root(start: &Path) -> PathBuf {
    let abs = normalize(&absolute(start));
    abs.ancestors()
        .find(|dir| dir.join(".git").symlink_metadata().is_ok())
        .map_or(abs.clone(), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "threatc-fsio-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(d.join("repo/.git")).unwrap();
        d
    }

    #[test]
    fn refuses_what_it_must() {
        let d = tmp();
        let repo = d.join("repo");
        std::fs::write(repo.join("ok.yaml"), "a: 1").unwrap();
        std::fs::write(repo.join(".git/config"), "secret").unwrap();
        std::fs::write(d.join("secret.txt"), "secret").unwrap();
        std::fs::write(repo.join("big"), vec![b'x'; 100]).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(d.join("secret.txt"), repo.join("link.yaml")).unwrap();
        let c = Confine::new(&repo, false);
        assert_eq!(read(&repo.join("ok.yaml"), &c, 10).unwrap().bytes, b"a: 1");
        assert_eq!(
            read(&repo.join("../secret.txt"), &c, 10).unwrap_err(),
            Refusal::OutsideRoot
        );
        #[cfg(unix)]
        assert_eq!(
            read(&repo.join("link.yaml"), &c, 10).unwrap_err(),
            Refusal::OutsideRoot
        );
        assert_eq!(
            read(&repo.join(".git/config"), &c, 10).unwrap_err(),
            Refusal::GitInternals
        );
        assert_eq!(read(&repo, &c, 10).unwrap_err(), Refusal::Folder);
        assert!(matches!(
            read(&repo.join("big"), &c, 10).unwrap_err(),
            Refusal::TooLarge { len: 100, cap: 10 }
        ));
        assert_eq!(
            read(&repo.join("none"), &c, 10).unwrap_err(),
            Refusal::NotFound
        );
        // Outside the root is allowed only when asked, and then marked.
        let open = Confine::new(&repo, true);
        let o = read(&d.join("secret.txt"), &open, 10).unwrap();
        assert!(o.outside_root);
        #[cfg(target_os = "linux")]
        {
            assert_eq!(
                read(Path::new("/dev/zero"), &open, 10).unwrap_err(),
                Refusal::NotRegular
            );
            // /proc files claim size 0: the cap still holds.
            assert!(matches!(
                read(Path::new("/proc/self/status"), &open, 10).unwrap_err(),
                Refusal::TooLarge { .. }
            ));
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
