//! The run journal: which actions finished, with their non-secret outputs, so that a run
//! interrupted by Ctrl-C, a crash or `kill -9` resumes without repeating side effects.
//!
//! One JSON file per runbook content and target (account profile, endpoint, sandbox),
//! mode 0600, replaced atomically (write to a temporary file, fsync, rename) after every
//! action. Secrets are never written: the types here cannot hold a [`crate::secret::Secret`].

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const JOURNAL_VERSION: u32 = 1;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    pub version: u32,
    /// The runbook's path as given, for people reading the file.
    pub runbook: String,
    /// SHA-256 of the runbook's bytes: a changed runbook starts a new journal.
    pub content_hash: String,
    /// What the run talks to (`sandbox`, `profile:dev`, `endpoint:http://…`, `default`).
    pub target: String,
    /// The caller's ARN when the run started, to refuse resuming as someone else.
    pub identity: Option<String>,
    /// Finished actions in run order.
    pub actions: Vec<Entry>,
    /// A mutating call that was about to be made: if the process died, its effect may
    /// or may not have happened, and the resuming action checks.
    pub pending: Option<Pending>,
    /// Virtual MFA devices this run created and has not yet enabled: deleted again if the
    /// run fails or is aborted before enabling them.
    pub created: Vec<String>,
    /// Set when the last step finished.
    pub finished: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub action: String,
    /// `done`, `already-done` or `skipped`.
    pub status: String,
    /// Non-secret outputs only.
    pub outputs: BTreeMap<String, serde_json::Value>,
    /// Names of secret outputs that were produced but, by design, not kept.
    pub secrets: Vec<String>,
    /// Why it was skipped, for skipped actions.
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub id: String,
    pub action: String,
    /// What is about to change, e.g. the device name being created.
    pub detail: String,
}

/// Where journals live: `$RUNBOOK_STATE_DIR`, else `$XDG_STATE_HOME/runbook`, else
/// `~/.local/state/runbook`.
pub fn default_state_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RUNBOOK_STATE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME") {
        return PathBuf::from(dir).join("runbook");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/state/runbook"),
        None => PathBuf::from(".runbook"),
    }
}

pub fn content_hash(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The journal file for a runbook and target.
pub fn path(state_dir: &Path, runbook: &Path, content_hash: &str, target: &str) -> PathBuf {
    let stem = runbook
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("runbook")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>();
    let target_hash = hex(&Sha256::digest(target.as_bytes()));
    state_dir.join("journals").join(format!(
        "{stem}-{}-{}.json",
        &content_hash[..16],
        &target_hash[..12]
    ))
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot read the journal `{}`: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("the journal `{}` is damaged ({error}); delete it or pass --restart", path.display())]
    Parse {
        path: PathBuf,
        error: serde_json::Error,
    },
    #[error("cannot write the journal `{}`: {error}", path.display())]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl Journal {
    pub fn new(runbook: &str, content_hash: &str, target: &str) -> Journal {
        Journal {
            version: JOURNAL_VERSION,
            runbook: runbook.to_string(),
            content_hash: content_hash.to_string(),
            target: target.to_string(),
            ..Journal::default()
        }
    }

    /// The journal at `path`, if there is one.
    pub fn load(path: &Path) -> Result<Option<Journal>, JournalError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|error| JournalError::Parse {
                        path: path.into(),
                        error,
                    })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(JournalError::Read {
                path: path.into(),
                error,
            }),
        }
    }

    /// Replace the file atomically, readable only by the user.
    pub fn save(&self, path: &Path) -> Result<(), JournalError> {
        let write = || -> std::io::Result<()> {
            let dir = path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)?;
            let mut file = tempfile::Builder::new()
                .prefix(".journal-")
                .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .tempfile_in(dir)?;
            file.write_all(&serde_json::to_vec_pretty(self).expect("a journal always serialises"))?;
            file.write_all(b"\n")?;
            file.as_file().sync_all()?;
            file.persist(path).map_err(|error| error.error)?;
            if let Ok(dir) = std::fs::File::open(dir) {
                let _ = dir.sync_all();
            }
            Ok(())
        };
        write().map_err(|error| JournalError::Write {
            path: path.into(),
            error,
        })
    }

    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.actions.iter().find(|entry| entry.id == id)
    }

    pub fn record(&mut self, entry: Entry) {
        self.actions.retain(|existing| existing.id != entry.id);
        self.actions.push(entry);
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn saves_atomically_with_mode_0600_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = path(
            dir.path(),
            Path::new("runbooks/aws-mfa.md"),
            &content_hash("x"),
            "sandbox",
        );
        assert!(Journal::load(&path).unwrap().is_none());
        let mut journal = Journal::new("runbooks/aws-mfa.md", &content_hash("x"), "sandbox");
        journal.record(Entry {
            id: "me".into(),
            action: "sts.get-caller-identity".into(),
            status: "done".into(),
            outputs: BTreeMap::from([("account".into(), "123456789012".into())]),
            secrets: Vec::new(),
            reason: None,
        });
        journal.save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(Journal::load(&path).unwrap().unwrap(), journal);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary files left behind");
    }

    #[test]
    fn paths_differ_by_content_and_target() {
        let dir = Path::new("/state");
        let runbook = Path::new("runbooks/aws-mfa.md");
        let a = path(dir, runbook, &content_hash("a"), "sandbox");
        assert_ne!(a, path(dir, runbook, &content_hash("b"), "sandbox"));
        assert_ne!(a, path(dir, runbook, &content_hash("a"), "profile:prod"));
        assert!(a.to_str().unwrap().starts_with("/state/journals/aws-mfa-"));
    }

    #[test]
    fn damaged_journal_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.json");
        std::fs::write(&path, "{not json").unwrap();
        let error = Journal::load(&path).unwrap_err().to_string();
        assert!(error.contains("--restart"), "{error}");
    }
}
