//! The git repository a model sits in, and git run against it with no discovery.
//!
//! A pull request writes the model's folder, so it can commit a fake repository there (a
//! bare repository's `HEAD`, `config`, `objects/` and `refs/`), and CI may run with
//! `GIT_DIR` or `GIT_CONFIG_*` in its environment. Letting git discover its repository
//! from the model's folder would then read the attacker's history and configuration.
//! So the repository is found here, the way the loader finds the repository root: the
//! nearest folder above the model (by its lexical, absolute path: a model that is a
//! symbolic link is not followed out of the tree) that holds a `.git` entry, which a
//! checkout can never contain below its root. Git is then run with that `--git-dir` and
//! `--work-tree`, an environment without any `GIT_*` variable of the caller, and no
//! system or global configuration: only the repository's own `.git/config` applies.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A repository: its work-tree root and its git folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// The folder holding `.git`.
    pub root: PathBuf,
    /// The git folder: `<root>/.git`, or where a `gitdir:` file points.
    pub git_dir: PathBuf,
}

/// Why no repository was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoError {
    /// No folder above the path holds `.git`.
    NotInRepo,
    /// The nearest `.git` is neither a folder nor a `gitdir:` file naming a git folder.
    BadDotGit {
        /// The `.git` entry.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
}

impl std::fmt::Display for RepoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RepoError::NotInRepo => write!(f, "no folder above it holds `.git`"),
            RepoError::BadDotGit { path, why } => write!(f, "`{}` {why}", path.display()),
        }
    }
}

/// `path` made absolute against the working directory and normalised lexically
/// (`a/./b/../c` → `a/c`), without following links.
pub fn absolute_lexical(path: &Path) -> PathBuf {
    crate::fsio::normalize(&crate::fsio::absolute(path))
}

/// Largest `.git` file read (a `gitdir:` line is one path).
const GITFILE_CAP: u64 = 4096;

/// The repository holding `file` (a path to a file; made absolute and normalised
/// lexically first): the nearest ancestor folder with a `.git` entry. That entry must be
/// a folder, or a file `gitdir: PATH` (worktrees, submodules) naming a git folder;
/// anything else (a link, a file of another shape) is refused rather than skipped, so
/// that no repository further up is used by mistake.
pub fn find(file: &Path) -> Result<Repo, RepoError> {
    let abs = absolute_lexical(file);
    let start = abs.parent().unwrap_or(&abs);
    for dir in start.ancestors() {
        let dot_git = dir.join(".git");
        let Ok(meta) = dot_git.symlink_metadata() else {
            continue;
        };
        let bad = |why: &str| RepoError::BadDotGit {
            path: dot_git.clone(),
            why: why.to_string(),
        };
        let ft = meta.file_type();
        if ft.is_dir() {
            return Ok(Repo {
                root: dir.to_path_buf(),
                git_dir: dot_git,
            });
        }
        if !ft.is_file() {
            return Err(bad(
                "is neither a folder nor a `gitdir:` file (a symbolic link is not followed)",
            ));
        }
        if meta.len() > GITFILE_CAP {
            return Err(bad("is too large for a `gitdir:` file"));
        }
        let text =
            std::fs::read_to_string(&dot_git).map_err(|e| bad(&format!("cannot be read: {e}")))?;
        let target = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("gitdir:"))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| bad("is a file that does not start with `gitdir: PATH`"))?;
        let target = Path::new(target);
        let git_dir = if target.is_absolute() {
            target.to_path_buf()
        } else {
            dir.join(target)
        };
        let git_dir = std::fs::canonicalize(&git_dir)
            .map_err(|_| bad("names a git folder that does not exist"))?;
        let is_git_dir = git_dir.is_dir()
            && git_dir.join("HEAD").is_file()
            && (git_dir.join("objects").is_dir() || git_dir.join("commondir").is_file());
        if !is_git_dir {
            return Err(bad("names a folder that is not a git folder"));
        }
        return Ok(Repo {
            root: dir.to_path_buf(),
            git_dir,
        });
    }
    Err(RepoError::NotInRepo)
}

/// Is this environment variable one that steers git (to be removed from its
/// environment)?
fn is_git_var(key: &OsStr) -> bool {
    key.to_str().is_none_or(|k| {
        let k = k.to_ascii_uppercase();
        k.starts_with("GIT_") || k == "EDITOR" || k == "VISUAL" || k == "PAGER"
    })
}

impl Repo {
    /// A `git` command for this repository: explicit git folder and work tree, no
    /// `GIT_*` variable of the caller, no system or global configuration, no terminal
    /// prompt, no fsmonitor, no hooks, no bare-repository discovery, no replace refs.
    /// Add the subcommand and its arguments (with `--` before paths).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new("git");
        for (key, _) in std::env::vars_os() {
            if is_git_var(&key) {
                cmd.env_remove(key);
            }
        }
        cmd.env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_ATTR_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_NO_REPLACE_OBJECTS", "1")
            .env("GIT_OPTIONAL_LOCKS", "0");
        let mut git_dir = OsString::from("--git-dir=");
        git_dir.push(self.git_dir.as_os_str());
        let mut work_tree = OsString::from("--work-tree=");
        work_tree.push(self.root.as_os_str());
        cmd.arg(git_dir)
            .arg(work_tree)
            .args(["-c", "safe.bareRepository=explicit"])
            .args(["-c", "core.fsmonitor=false"])
            .args(["-c", "core.hooksPath=/dev/null"])
            .current_dir(&self.root)
            .stdin(std::process::Stdio::null());
        cmd
    }

    /// Runs git with these arguments; its stdout (trailing newline removed) or its
    /// stderr as the error.
    pub fn git<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String, String> {
        let out = self
            .command()
            .args(args)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "threatc-gitrepo-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn lexical_normalisation() {
        assert_eq!(
            absolute_lexical(Path::new("/a/./b/../c/d.yaml")),
            PathBuf::from("/a/c/d.yaml")
        );
    }

    #[test]
    fn nearest_dot_git_wins_and_shapes_are_checked() {
        let d = tmp("find");
        std::fs::create_dir_all(d.join("repo/.git/objects")).unwrap();
        std::fs::write(d.join("repo/.git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::create_dir_all(d.join("repo/m/sub")).unwrap();
        // A fake bare repository in the model's folder is not a `.git` entry: ignored.
        std::fs::write(d.join("repo/m/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::create_dir_all(d.join("repo/m/objects")).unwrap();
        let r = find(&d.join("repo/m/sub/../model.yaml")).unwrap();
        assert_eq!(r.root, d.join("repo"));
        assert_eq!(r.git_dir, d.join("repo/.git"));
        // A worktree's `gitdir:` file.
        std::fs::create_dir_all(d.join("wt")).unwrap();
        std::fs::write(d.join("wt/.git"), "gitdir: ../repo/.git\n").unwrap();
        let r = find(&d.join("wt/model.yaml")).unwrap();
        assert_eq!(r.root, d.join("wt"));
        assert_eq!(
            r.git_dir,
            std::fs::canonicalize(d.join("repo/.git")).unwrap()
        );
        // A `.git` file of another shape, or naming a folder that is not a git folder.
        std::fs::create_dir_all(d.join("bad1")).unwrap();
        std::fs::write(d.join("bad1/.git"), "hello\n").unwrap();
        assert!(matches!(
            find(&d.join("bad1/model.yaml")),
            Err(RepoError::BadDotGit { .. })
        ));
        std::fs::create_dir_all(d.join("bad2")).unwrap();
        std::fs::write(d.join("bad2/.git"), "gitdir: ../repo/m/sub\n").unwrap();
        assert!(matches!(
            find(&d.join("bad2/model.yaml")),
            Err(RepoError::BadDotGit { .. })
        ));
        #[cfg(unix)]
        {
            std::fs::create_dir_all(d.join("link")).unwrap();
            std::os::unix::fs::symlink(d.join("repo/.git"), d.join("link/.git")).unwrap();
            let e = find(&d.join("link/model.yaml")).unwrap_err();
            assert!(e.to_string().contains("symbolic link"), "{e}");
        }
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn git_vars_are_recognised() {
        assert!(is_git_var(OsStr::new("GIT_DIR")));
        assert!(is_git_var(OsStr::new("GIT_CONFIG_COUNT")));
        assert!(is_git_var(OsStr::new("git_work_tree")));
        assert!(!is_git_var(OsStr::new("PATH")));
        assert!(!is_git_var(OsStr::new("HOME")));
    }
}
