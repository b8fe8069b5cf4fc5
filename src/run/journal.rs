//! The run journal: which actions finished, with their non-secret outputs, so that a run
//! interrupted by Ctrl-C, a crash or `kill -9` resumes without repeating side effects.
//!
//! One JSON file per runbook content and target (account profile, endpoint, sandbox),
//! mode 0600 in a 0700 folder, replaced atomically (write to a temporary file, fsync,
//! rename) after every action. Secrets are never written: the types here cannot hold a
//! [`crate::secret::Secret`].
//!
//! A journal is trusted only as written by this program: it carries an HMAC-SHA256 under
//! a key kept in the state folder (`journal.key`, 0600, made on first use), and is
//! resumed only when its version, its MAC, and the runbook hash and target it names all
//! check out. One run at a time holds a journal's lock (`locks/<journal>.lock`, an
//! advisory `flock` with the holder's pid), and temporary files a killed save left behind
//! are removed by the next run that holds the lock.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version 2 added the integrity check (`mac`).
pub const JOURNAL_VERSION: u32 = 2;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub action: String,
    /// `done`, `already-done`, `skipped` (its `when` was false, or it proved nothing) or
    /// `not-run` (a value it needs was missing: tried again by the next run).
    pub status: String,
    /// Non-secret outputs only.
    pub outputs: BTreeMap<String, serde_json::Value>,
    /// Names of secret outputs that were produced but, by design, not kept.
    pub secrets: Vec<String>,
    /// Why it was skipped, for skipped actions.
    pub reason: Option<String>,
    /// What its `expect = [{ check, finding }]` found, for the run's report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FoundProblem>,
}

/// A finding an action's check reported: the check, the finding, and the values it saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FoundProblem {
    pub check: String,
    pub finding: String,
    pub values: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    #[error("the journal `{}` was written by {} runbook (journal version {found}; this one reads version {JOURNAL_VERSION}), so it is not resumed", path.display(), if *found > u64::from(JOURNAL_VERSION) { "a newer" } else { "an older" })]
    Version { path: PathBuf, found: u64 },
    #[error("the journal `{}` was changed outside runbook ({why}), so it is not trusted to resume from", path.display())]
    Tampered { path: PathBuf, why: String },
    #[error("cannot use the state folder `{}`: {error}", path.display())]
    State {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("another run of this guide against the same target is in progress{}", pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default())]
    Locked { pid: Option<u32>, lock: PathBuf },
}

impl JournalError {
    /// What to do about it.
    pub fn next_step(&self) -> String {
        match self {
            JournalError::Version { .. } | JournalError::Tampered { .. } => "pass --restart to start over: finished changes are found again (an enabled device is left alone, an unassigned one of ours is offered for deletion)".to_string(),
            JournalError::Locked { pid, lock } => format!(
                "wait for it to finish{}; this run changed nothing (the lock is {})",
                pid.map(|pid| format!(", or stop it (`kill {pid}`)"))
                    .unwrap_or_default(),
                lock.display()
            ),
            JournalError::State { .. } => "check the folder's permissions, or pass --state-dir".to_string(),
            _ => "delete the file, or pass --restart".to_string(),
        }
    }
}

/// The key journals are sealed with, from `<state>/journal.key`.
#[derive(Clone)]
pub struct JournalKey([u8; 32]);

impl std::fmt::Debug for JournalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JournalKey([redacted])")
    }
}

impl JournalKey {
    /// The state folder's key, made (32 random bytes, mode 0600) on first use. The folder
    /// is created 0700.
    pub fn open(state_dir: &Path) -> Result<JournalKey, JournalError> {
        let path = state_dir.join("journal.key");
        let failed = |error| JournalError::State {
            path: path.clone(),
            error,
        };
        private_dir(state_dir).map_err(failed)?;
        Self::read_or_make(&path, true)?.ok_or_else(|| failed(std::io::Error::other("no key")))
    }

    /// The state folder's key if there is one (nothing is created: `--dry-run`).
    pub fn existing(state_dir: &Path) -> Result<Option<JournalKey>, JournalError> {
        Self::read_or_make(&state_dir.join("journal.key"), false)
    }

    fn read_or_make(path: &Path, make: bool) -> Result<Option<JournalKey>, JournalError> {
        let failed = |error| JournalError::State {
            path: path.to_path_buf(),
            error,
        };
        for _ in 0..2 {
            match std::fs::read(path) {
                Ok(bytes) if bytes.len() == 32 => {
                    let mut key = [0; 32];
                    key.copy_from_slice(&bytes);
                    return Ok(Some(JournalKey(key)));
                }
                Ok(_) => {
                    return Err(failed(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "journal.key is not 32 bytes; delete it (and the journals it sealed)",
                    )));
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound && !make => {
                    return Ok(None);
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(failed(error)),
            }
            let mut key = [0; 32];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut random| random.read_exact(&mut key))
                .map_err(failed)?;
            // Two runs may race to make it: the loser reads the winner's.
            let made = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .and_then(|mut file| file.write_all(&key).and_then(|()| file.sync_all()));
            match made {
                Ok(()) => return Ok(Some(JournalKey(key))),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(failed(error)),
            }
        }
        Err(failed(std::io::Error::other("journal.key keeps changing")))
    }

    fn mac(&self, bytes: &[u8]) -> hmac::Hmac<Sha256> {
        let mut mac =
            <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("any key length");
        mac.update(bytes);
        mac
    }
}

/// Create `dir` (and its parents) with mode 0700; an existing folder is left as it is.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// One journal file: where it is, and the key it is sealed with.
#[derive(Clone, Debug)]
pub struct JournalFile {
    pub path: PathBuf,
    /// `None` only for a read-only look (`--dry-run`) in a state folder without a key.
    key: Option<JournalKey>,
}

/// The lock of one journal, held while a run uses it; released when dropped (or when the
/// process dies, however it dies).
#[derive(Debug)]
pub struct RunLock {
    _file: std::fs::File,
}

impl JournalFile {
    /// The journal for a runbook and target under `state_dir` (see [`path`]), with the
    /// state folder's key. Creates the state and journal folders 0700 (and tightens the
    /// journal folder to 0700 if an older version made it 0755), and the key if needed.
    pub fn open(
        state_dir: &Path,
        runbook: &Path,
        content_hash: &str,
        target: &str,
    ) -> Result<JournalFile, JournalError> {
        let key = JournalKey::open(state_dir)?;
        let path = path(state_dir, runbook, content_hash, target);
        let dir = path.parent().unwrap_or(state_dir).to_path_buf();
        let failed = |error| JournalError::State {
            path: dir.clone(),
            error,
        };
        private_dir(&dir).map_err(failed)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(failed)?;
        Ok(JournalFile {
            path,
            key: Some(key),
        })
    }

    /// The same journal, for reading only: nothing is created (`--dry-run`).
    pub fn read_only(
        state_dir: &Path,
        runbook: &Path,
        content_hash: &str,
        target: &str,
    ) -> Result<JournalFile, JournalError> {
        Ok(JournalFile {
            path: path(state_dir, runbook, content_hash, target),
            key: JournalKey::existing(state_dir)?,
        })
    }

    /// Take this journal's lock, or say which run holds it.
    pub fn lock(&self) -> Result<RunLock, JournalError> {
        let locks = self
            .path
            .parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new("."))
            .join("locks");
        let name = self
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let lock = locks.join(format!("{name}.lock"));
        let failed = |error| JournalError::State {
            path: lock.clone(),
            error,
        };
        private_dir(&locks).map_err(failed)?;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock)
            .map_err(failed)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(JournalError::Locked {
                    pid: holder.trim().parse().ok(),
                    lock,
                });
            }
            Err(std::fs::TryLockError::Error(error)) => return Err(failed(error)),
        }
        file.set_len(0)
            .and_then(|()| file.write_all(format!("{}\n", std::process::id()).as_bytes()))
            .map_err(failed)?;
        self.remove_stale_temporary_files();
        Ok(RunLock { _file: file })
    }

    /// Temporary files of this journal that a save killed half-way left behind (only its
    /// own: the lock says no other run is saving it), and, of the older naming shared by
    /// all journals, those more than an hour old.
    fn remove_stale_temporary_files(&self) {
        let Some(dir) = self.path.parent() else {
            return;
        };
        let own = self.temporary_prefix();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let old_style = name.starts_with(".journal-")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|modified| SystemTime::now().duration_since(modified).ok())
                    .is_some_and(|age| age > Duration::from_secs(3600));
            if name.starts_with(&own) || old_style {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    fn temporary_prefix(&self) -> String {
        format!(
            ".{}.",
            self.path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default()
        )
    }

    /// The journal, if there is one; refused when its version is not this program's, when
    /// it was changed since this program wrote it, or when it names another runbook
    /// content or target than `content_hash` and `target`.
    pub fn load(&self, content_hash: &str, target: &str) -> Result<Option<Journal>, JournalError> {
        let path = &self.path;
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(JournalError::Read {
                    path: path.clone(),
                    error,
                });
            }
        };
        let parse = |error| JournalError::Parse {
            path: path.clone(),
            error,
        };
        let mut value: serde_json::Value = serde_json::from_slice(&bytes).map_err(parse)?;
        let found = value.get("version").and_then(serde_json::Value::as_u64);
        if found != Some(u64::from(JOURNAL_VERSION)) {
            return Err(JournalError::Version {
                path: path.clone(),
                found: found.unwrap_or(0),
            });
        }
        let tampered = |why: &str| JournalError::Tampered {
            path: path.clone(),
            why: why.to_string(),
        };
        let mac = value
            .as_object_mut()
            .and_then(|object| object.remove("mac"))
            .and_then(|mac| mac.as_str().map(str::to_string))
            .ok_or_else(|| tampered("it has no integrity check"))?;
        let journal: Journal = serde_json::from_value(value).map_err(parse)?;
        let expected = unhex(&mac).ok_or_else(|| tampered("its integrity check is not hex"))?;
        let key = self.key.as_ref().ok_or_else(|| {
            tampered("the state folder's journal.key, which vouches for it, is gone")
        })?;
        key.mac(&serde_json::to_vec(&journal).expect("a journal always serialises"))
            .verify_slice(&expected)
            .map_err(|_| {
                tampered("its integrity check does not match its contents, or it was written with another state folder's key")
            })?;
        if journal.content_hash != content_hash {
            return Err(tampered("it belongs to another version of the runbook"));
        }
        if journal.target != target {
            return Err(tampered(&format!(
                "it is for `{}`, not `{target}`",
                journal.target
            )));
        }
        Ok(Some(journal))
    }

    /// Replace the file atomically, readable only by the user, sealed with the key.
    pub fn save(&self, journal: &Journal) -> Result<(), JournalError> {
        let path = &self.path;
        let bytes = serde_json::to_vec(journal).expect("a journal always serialises");
        let key = self.key.as_ref().ok_or_else(|| JournalError::Write {
            path: path.clone(),
            error: std::io::Error::other("opened read-only"),
        })?;
        let mac = hex(&key.mac(&bytes).finalize().into_bytes());
        let mut value = serde_json::to_value(journal).expect("a journal always serialises");
        if let Some(object) = value.as_object_mut() {
            object.insert("mac".into(), mac.into());
        }
        let write = || -> std::io::Result<()> {
            let dir = path.parent().unwrap_or(Path::new("."));
            private_dir(dir)?;
            let mut file = tempfile::Builder::new()
                .prefix(&self.temporary_prefix())
                .permissions(std::fs::Permissions::from_mode(0o600))
                .tempfile_in(dir)?;
            file.write_all(&serde_json::to_vec_pretty(&value).expect("JSON serialises"))?;
            file.write_all(b"\n")?;
            file.as_file().sync_all()?;
            file.persist(path).map_err(|error| error.error)?;
            if let Ok(dir) = std::fs::File::open(dir) {
                let _ = dir.sync_all();
            }
            Ok(())
        };
        write().map_err(|error| JournalError::Write {
            path: path.clone(),
            error,
        })
    }

    /// The journal as it is on disk, unchecked: for `runbook test`'s recorder, which reads
    /// the journal its own run is writing.
    pub fn peek(&self) -> Option<Journal> {
        let mut value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&self.path).ok()?).ok()?;
        value.as_object_mut()?.remove("mac");
        serde_json::from_value(value).ok()
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
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
    use super::*;

    fn entry(id: &str, account: &str) -> Entry {
        Entry {
            id: id.into(),
            action: "sts.get-caller-identity".into(),
            status: "done".into(),
            outputs: BTreeMap::from([("account".into(), account.into())]),
            secrets: Vec::new(),
            reason: None,
            findings: Vec::new(),
        }
    }

    fn open(dir: &Path) -> JournalFile {
        JournalFile::open(
            dir,
            Path::new("runbooks/aws-mfa.md"),
            &content_hash("x"),
            "sandbox",
        )
        .unwrap()
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn saves_atomically_with_mode_0600_in_0700_folders_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let file = open(&state);
        assert!(file.load(&content_hash("x"), "sandbox").unwrap().is_none());
        let mut journal = Journal::new("runbooks/aws-mfa.md", &content_hash("x"), "sandbox");
        journal.record(entry("me", "123456789012"));
        file.save(&journal).unwrap();
        assert_eq!(mode(&file.path), 0o600);
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(file.path.parent().unwrap()), 0o700);
        assert_eq!(mode(&state.join("journal.key")), 0o600);
        assert_eq!(
            file.load(&content_hash("x"), "sandbox").unwrap().unwrap(),
            journal
        );
        let leftovers: Vec<_> = std::fs::read_dir(file.path.parent().unwrap())
            .unwrap()
            .collect();
        assert_eq!(leftovers.len(), 1, "temporary files left behind");
    }

    #[test]
    fn an_older_journal_folder_is_tightened() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("journals")).unwrap();
        std::fs::set_permissions(
            dir.path().join("journals"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        open(dir.path());
        assert_eq!(mode(&dir.path().join("journals")), 0o700);
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
        let file = open(dir.path());
        std::fs::write(&file.path, "{not json").unwrap();
        let error = file.load(&content_hash("x"), "sandbox").unwrap_err();
        assert!(matches!(error, JournalError::Parse { .. }), "{error}");
        assert!(error.to_string().contains("--restart"), "{error}");
    }

    /// Rewrite the saved journal's JSON with `edit`.
    fn edit(file: &JournalFile, edit: impl FnOnce(&mut serde_json::Value)) {
        let mut value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file.path).unwrap()).unwrap();
        edit(&mut value);
        std::fs::write(&file.path, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
    }

    #[test]
    fn a_journal_changed_outside_runbook_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = open(dir.path());
        let mut journal = Journal::new("runbooks/aws-mfa.md", &content_hash("x"), "sandbox");
        journal.record(entry("me", "123456789012"));
        let check = |file: &JournalFile| file.load(&content_hash("x"), "sandbox");
        type Edit = fn(&mut serde_json::Value);
        let edits: [(&str, Edit); 7] = [
            ("an output", |v| {
                v["actions"][0]["outputs"]["account"] = "999999999999".into()
            }),
            ("a status", |v| v["actions"][0]["status"] = "skipped".into()),
            ("the mac", |v| v["mac"] = "00".repeat(32).into()),
            ("no mac", |v| {
                v.as_object_mut().unwrap().remove("mac");
            }),
            ("version 99", |v| v["version"] = 99.into()),
            ("version 1", |v| v["version"] = 1.into()),
            ("an unknown field", |v| v["extra"] = true.into()),
        ];
        for (what, change) in edits {
            file.save(&journal).unwrap();
            assert!(check(&file).is_ok(), "{what}: untouched loads");
            edit(&file, change);
            let error = check(&file).expect_err(what);
            assert!(
                matches!(
                    error,
                    JournalError::Tampered { .. }
                        | JournalError::Version { .. }
                        | JournalError::Parse { .. }
                ),
                "{what}: {error}"
            );
            assert!(error.next_step().contains("--restart"), "{what}");
        }
        // Another state folder's key does not vouch for it.
        file.save(&journal).unwrap();
        let other = tempfile::tempdir().unwrap();
        let foreign = JournalFile {
            path: file.path.clone(),
            key: Some(JournalKey::open(other.path()).unwrap()),
        };
        assert!(matches!(
            foreign.load(&content_hash("x"), "sandbox"),
            Err(JournalError::Tampered { .. })
        ));
        // Nor is a journal resumed for another runbook content or target.
        assert!(file.load(&content_hash("y"), "sandbox").is_err());
        assert!(file.load(&content_hash("x"), "profile:prod").is_err());
    }

    #[test]
    fn one_run_at_a_time_and_stale_temporary_files_go() {
        let dir = tempfile::tempdir().unwrap();
        let file = open(dir.path());
        let journals = file.path.parent().unwrap().to_path_buf();
        let stale = journals.join(format!("{}abc123", file.temporary_prefix()));
        std::fs::write(&stale, "half a save").unwrap();
        let other = journals.join(".other-journal.json.xyz");
        std::fs::write(&other, "another journal's save in progress").unwrap();
        let held = file.lock().unwrap();
        assert!(!stale.exists(), "a killed save's temporary file is removed");
        assert!(other.exists(), "another journal's is not");
        match file.lock() {
            Err(JournalError::Locked { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("{other:?}"),
        }
        drop(held);
        file.lock().unwrap();
    }
}
