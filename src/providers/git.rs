//! Reading a file as it was in a git revision (`git show REV:./FILE`), with the real
//! `git` found on PATH, run in the file's folder so the path is relative to it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    #[error("{} is not in a git repository, so there is no `{rev}` to compare with", dir.display())]
    NotARepository { rev: String, dir: PathBuf },
    #[error("`{rev}` is not a revision git knows in {}: {message}", dir.display())]
    BadRevision {
        rev: String,
        dir: PathBuf,
        message: String,
    },
    #[error("`git show {spec}` failed: {message}")]
    Show { spec: String, message: String },
}

impl GitError {
    /// What to do about it, in one line.
    pub fn help(&self) -> &'static str {
        match self {
            GitError::Spawn(_) => "install git, or compare two files: `runbook diff OLD NEW`",
            GitError::NotARepository { .. } => {
                "give a file inside a git work tree, or compare two files: `runbook diff OLD NEW`"
            }
            GitError::BadRevision { .. } => {
                "give a commit, branch or tag of the file's repository, e.g. `--git HEAD` or `--git origin/main` (in CI, fetch it first)"
            }
            GitError::Show { .. } => "check that the file is tracked in that revision",
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<Output, GitError> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(GitError::Spawn)
}

fn message(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr);
    let text = text.trim();
    if text.is_empty() {
        format!("git exited with {}", output.status)
    } else {
        text.lines().next().unwrap_or_default().to_string()
    }
}

/// The bytes of `file` in revision `rev`; `None` when the file is not in that revision
/// (a guide the change adds).
pub fn show(rev: &str, file: &Path) -> Result<Option<Vec<u8>>, GitError> {
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let bad = |message: String| GitError::BadRevision {
        rev: rev.to_string(),
        dir: dir.to_path_buf(),
        message,
    };
    if rev.is_empty() || rev.starts_with('-') || rev.contains(':') {
        return Err(bad(
            "a revision neither starts with `-` nor holds `:`".into()
        ));
    }
    let commit = format!("{rev}^{{commit}}");
    let verified = git(dir, &["rev-parse", "--verify", "--quiet", &commit])?;
    if !verified.status.success() {
        let why = message(&verified);
        if why.contains("not a git repository") {
            return Err(GitError::NotARepository {
                rev: rev.to_string(),
                dir: dir.to_path_buf(),
            });
        }
        return Err(bad(if verified.stderr.is_empty() {
            "no such commit".into()
        } else {
            why
        }));
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let spec = format!("{rev}:./{name}");
    let exists = git(dir, &["cat-file", "-e", &spec])?;
    if !exists.status.success() {
        return Ok(None);
    }
    let shown = git(dir, &["show", "--no-textconv", &spec])?;
    if shown.status.success() {
        Ok(Some(shown.stdout))
    } else {
        Err(GitError::Show {
            spec,
            message: message(&shown),
        })
    }
}
