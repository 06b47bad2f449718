//! A model's repository as committed at a revision, extracted into a private temporary
//! folder with `git archive` (the work tree is never touched): shared by `diff --git`
//! and `history`. Git runs through [`threatc::gitrepo::Repo`]: no discovery, no `GIT_*`
//! variable of the caller, no system or global configuration.

use std::path::{Path, PathBuf};
use std::process::Command;
use threatc::diag::Code;
use threatc::diag::{Diagnostic, Diagnostics};

/// A model's repository as committed at a revision, extracted into a temporary
/// folder that is removed on drop.
pub(super) struct GitSnapshot {
    dir: PathBuf,
    /// The model file inside the extracted tree.
    pub(super) model: PathBuf,
}

/// A `diff-git` error with its help.
pub(super) fn git_error(msg: String, help: &str) -> Diagnostics {
    Diagnostic::error(Code::DiffGit, msg)
        .with_help(help.to_string())
        .into()
}

/// A new, private temporary folder (never one that already exists).
fn private_temp_dir() -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut last = None;
    for attempt in 0..100u32 {
        let dir = base.join(format!(
            "threatc-git-{}-{nanos}-{attempt}",
            std::process::id()
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

impl GitSnapshot {
    /// Extracts the repository of `model` as committed at `rev`; None when the model does
    /// not exist at `rev` (the change adds it).
    pub(super) fn new(rev: &str, model: &Path) -> Result<Option<Self>, Diagnostics> {
        let (repo, rel) = repository_of(model)?;
        let commit = commit_of(&repo, rev)?;
        Self::at_commit(&repo, &commit, &rel, rev)
    }

    /// [`GitSnapshot::new`] for a commit already resolved to its full id; `rev` is how
    /// messages name it.
    pub(super) fn at_commit(
        repo: &threatc::gitrepo::Repo,
        commit: &str,
        rel: &Path,
        rev: &str,
    ) -> Result<Option<Self>, Diagnostics> {
        let rel_git = git_path(rel);
        let Ok(kind) = repo.git(&["cat-file", "-t", &format!("{commit}:{rel_git}")]) else {
            return Ok(None);
        };
        if kind != "blob" {
            return Err(git_error(
                format!("`{rel_git}` is a {kind}, not a file, at revision `{rev}`"),
                "give the path of the model file",
            ));
        }
        let tmp = private_temp_dir().map_err(|e| {
            git_error(
                format!("cannot create a temporary folder: {e}"),
                "check the temporary folder",
            )
        })?;
        // From here the folder is removed on drop, also when extracting fails.
        let snap = GitSnapshot {
            model: tmp.join("src").join(rel),
            dir: tmp,
        };
        snap.extract(repo, commit, rev)?;
        Ok(Some(snap))
    }

    /// `git archive` of the commit, unpacked into `src/` (marked as a repository root).
    fn extract(
        &self,
        repo: &threatc::gitrepo::Repo,
        commit: &str,
        rev: &str,
    ) -> Result<(), Diagnostics> {
        let tar = self.dir.join("base.tar");
        let mut out_arg = std::ffi::OsString::from("--output=");
        out_arg.push(tar.as_os_str());
        // No --worktree-attributes: only the committed .gitattributes of the revision
        // (export-ignore, export-subst) apply.
        repo.git(&[
            std::ffi::OsStr::new("archive"),
            std::ffi::OsStr::new("--format=tar"),
            &out_arg,
            std::ffi::OsStr::new(commit),
            std::ffi::OsStr::new("--"),
        ])
        .map_err(|e| {
            git_error(
                format!("git archive of `{rev}` failed: {e}"),
                "check the repository",
            )
        })?;
        let src = self.dir.join("src");
        // A `.git` folder marks the repository root for include and import checks.
        std::fs::create_dir_all(src.join(".git")).map_err(|e| {
            git_error(
                format!("cannot create `{}`: {e}", src.display()),
                "check the temporary folder",
            )
        })?;
        // git archive writes no absolute or `..` member names; tar refuses them anyway,
        // and creates files as the current user with the umask's permissions.
        let status = Command::new("tar")
            .arg("--no-same-owner")
            .arg("--no-same-permissions")
            .arg("-xf")
            .arg(&tar)
            .arg("-C")
            .arg(&src)
            .stdin(std::process::Stdio::null())
            .status()
            .map_err(|e| git_error(format!("cannot run tar: {e}"), "install tar"))?;
        if !status.success() {
            return Err(git_error(
                format!("cannot extract the archive of `{rev}`"),
                "check the temporary folder",
            ));
        }
        let _ = std::fs::remove_file(&tar);
        Ok(())
    }
}

/// A path inside the repository as git names it (`/`-separated).
pub(super) fn git_path(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The snapshot's root folder (the extracted tree).
impl GitSnapshot {
    pub(super) fn root(&self) -> PathBuf {
        self.dir.join("src")
    }
}

/// The repository of `model` and the model's path inside it.
///
/// The repository is the nearest folder above the model (its lexical path: a linked
/// model is not followed) with a `.git` entry, never what git would discover from the
/// model's folder, where a pull request may have committed a fake repository.
pub(super) fn repository_of(
    model: &Path,
) -> Result<(threatc::gitrepo::Repo, PathBuf), Diagnostics> {
    let shown = threatc::model::load::display_path(model);
    let abs = threatc::gitrepo::absolute_lexical(model);
    let repo = threatc::gitrepo::find(&abs).map_err(|e| match e {
        threatc::gitrepo::RepoError::NotInRepo => git_error(
            format!("`{shown}` is not in a git repository: {e}"),
            "run `threatc diff --git` inside a clone, or compare two files with `threatc diff BASE HEAD`",
        ),
        threatc::gitrepo::RepoError::BadDotGit { .. } => git_error(
            format!("cannot use the repository of `{shown}`: {e}"),
            "`.git` must be the repository's folder, or a worktree's or submodule's `gitdir:` file",
        ),
    })?;
    let rel = abs
        .strip_prefix(&repo.root)
        .ok()
        .filter(|r| !r.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            git_error(
                format!("`{shown}` is outside its repository"),
                "give a model inside the repository",
            )
        })?;
    Ok((repo, rel))
}

/// The commit `rev` names (never read as an option), as a full object id.
pub(super) fn commit_of(repo: &threatc::gitrepo::Repo, rev: &str) -> Result<String, Diagnostics> {
    let unknown = || {
        git_error(
            format!("unknown revision `{rev}`"),
            "name a commit, branch or tag",
        )
    };
    if rev.starts_with('-') || rev.is_empty() {
        return Err(unknown());
    }
    let commit = repo
        .git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ])
        .map_err(|_| git_error(format!("unknown revision `{rev}`"), "name a commit, branch or tag; in CI fetch the full history (actions/checkout with fetch-depth: 0)"))?;
    if !is_object_id(&commit) {
        return Err(unknown());
    }
    Ok(commit)
}

/// A full hexadecimal object id (SHA-1 or SHA-256), as `rev-parse --verify` prints.
pub(super) fn is_object_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Drop for GitSnapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
