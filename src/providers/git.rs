//! Reading a file as it was in a git revision (`git show REV:./FILE`), with the real
//! `git` found on PATH, run in the file's folder so the path is relative to it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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
        .stdin(Stdio::null())
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

/// The bytes of `file` in revision `rev`, at most `limit + 1` of them (so a caller with a
/// size limit sees that it is exceeded without holding a huge blob); `None` when the file
/// is not in that revision (a guide the change adds).
pub fn show(rev: &str, file: &Path, limit: u64) -> Result<Option<Vec<u8>>, GitError> {
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
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["show", "--no-textconv", &spec])
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(GitError::Spawn)?;
    let mut bytes = Vec::new();
    let read = child
        .stdout
        .take()
        .expect("piped")
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes);
    if bytes.len() as u64 > limit {
        // Enough to say it is too large: the rest is not wanted.
        let _ = child.kill();
        let _ = child.wait();
        return Ok(Some(bytes));
    }
    let shown = child.wait_with_output().map_err(GitError::Spawn)?;
    read.map_err(GitError::Spawn)?;
    if shown.status.success() {
        Ok(Some(bytes))
    } else {
        Err(GitError::Show {
            spec,
            message: message(&shown),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn shows_a_committed_file_up_to_the_limit() {
        let repo = tempfile::tempdir().unwrap();
        let text = "x".repeat(2000);
        std::fs::create_dir(repo.path().join("sub")).unwrap();
        std::fs::write(repo.path().join("sub/a.md"), &text).unwrap();
        run(repo.path(), &["init", "-q"]);
        run(repo.path(), &["add", "."]);
        run(repo.path(), &["commit", "-q", "-m", "a"]);
        std::fs::write(repo.path().join("sub/a.md"), "changed").unwrap();
        let file = repo.path().join("sub/a.md");
        assert_eq!(
            show("HEAD", &file, 10_000).unwrap().unwrap(),
            text.as_bytes()
        );
        // Past the limit: one byte more than it, and no more.
        assert_eq!(show("HEAD", &file, 100).unwrap().unwrap().len(), 101);
        assert_eq!(
            show("HEAD", &repo.path().join("sub/b.md"), 100).unwrap(),
            None
        );
        assert!(matches!(
            show("-x", &file, 100),
            Err(GitError::BadRevision { .. })
        ));
        assert!(matches!(
            show("nope", &file, 100),
            Err(GitError::BadRevision { .. })
        ));
    }
}
