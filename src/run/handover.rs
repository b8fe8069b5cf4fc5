//! Who takes a new virtual MFA device's seed. AWS returns the seed once, when the device
//! is created; a device enabled with codes computed from a seed nobody kept is a lock-out.
//! So, outside the sandbox, a device is created only when someone can take the seed: a
//! person at a terminal (the QR code and manual-entry key), or the file or pipe named by
//! `--seed-file` (a password manager or secret store reading it). Otherwise the run stops
//! before creating anything, saying why.

use std::io::Write;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::run::context::{Context, RunError};
use crate::secret::Secret;

/// Who will take the seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Taker {
    /// The sandbox, or `runbook test`: a stand-in app reads the seed from the emulator's
    /// answer.
    Sandbox,
    /// A person at this terminal, shown the QR code by `totp.show-enrolment`.
    Terminal,
    /// `--seed-file`: written as soon as the device exists (and shown on the terminal too
    /// when there is one).
    File(PathBuf),
}

/// Who can take the seed of a device created now, or why no one can.
pub fn taker(ctx: &Context<'_>) -> Result<Taker, RunError> {
    if let Some(path) = &ctx.mode().seed_file {
        return Ok(Taker::File(path.clone()));
    }
    if ctx.mode().sandbox || ctx.mode().stand_in_phone {
        return Ok(Taker::Sandbox);
    }
    match ctx.ui.secret_blocked() {
        None => Ok(Taker::Terminal),
        Some(reason) => Err(no_taker(reason, false)),
    }
}

/// The failure when no one can take a seed: before the device is created, or after
/// (when the run's cleanup deletes it again, since it was never enabled).
pub fn no_taker(reason: &str, created: bool) -> RunError {
    let then = if created {
        "so it is not enabled, and the device this run created is deleted again"
    } else {
        "so nothing was created"
    };
    RunError::failed(
        format!(
            "no one could take the new device's seed: {reason}, so its QR code can't be shown, and AWS shows a seed only once. Enabling it would leave a device no one can make codes for, {then}"
        ),
        "run in a terminal to scan the QR code, or pass --seed-file PATH (a new file, mode 0600, or a pipe such as >(pass insert -m aws/mfa)) to hand the enrolment key to a password manager or secret store",
    )
}

/// The `--seed-file` target, opened before the device is created (so a path that can't be
/// written stops the run first), and removed again if the device never came to be.
#[derive(Debug)]
pub struct SeedFile {
    file: Option<std::fs::File>,
    path: PathBuf,
    /// Whether we created it (a regular file), rather than opened a pipe.
    created: bool,
}

impl SeedFile {
    /// A new regular file (mode 0600; an existing file is never overwritten or followed
    /// through a link), or an existing pipe.
    pub fn open(path: &Path) -> Result<SeedFile, RunError> {
        let failed = |error: std::io::Error| {
            RunError::failed(
                format!(
                    "cannot hand the enrolment key to `{}`: {error}; nothing was created",
                    path.display()
                ),
                "name a file that does not exist yet, in a folder you can write, or a pipe",
            )
        };
        let is_pipe = std::fs::metadata(path)
            .map(|m| m.file_type().is_fifo())
            .unwrap_or(false);
        let file = if is_pipe {
            std::fs::OpenOptions::new().write(true).open(path)
        } else {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(path)
        }
        .map_err(failed)?;
        Ok(SeedFile {
            file: Some(file),
            path: path.to_path_buf(),
            created: !is_pipe,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write the enrolment URI and keep the file.
    pub fn write(mut self, uri: &Secret) -> Result<(), RunError> {
        let mut file = self.file.take().expect("written once");
        let written = file
            .write_all(uri.expose().as_bytes())
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.flush())
            .and_then(|()| {
                if self.created {
                    file.sync_all()
                } else {
                    Ok(())
                }
            });
        match written {
            Ok(()) => {
                self.created = false;
                Ok(())
            }
            Err(error) => Err(RunError::failed(
                format!(
                    "cannot write the enrolment key to `{}`: {error}",
                    self.path.display()
                ),
                "free some space or name another --seed-file; the device this run created is deleted again",
            )),
        }
    }
}

impl Drop for SeedFile {
    fn drop(&mut self) {
        if self.created {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The label an authenticator app shows for a device: `user@account` (the account from
/// the serial `arn:aws:iam::<account>:mfa/…`), or the device name.
pub fn account_label(serial: &str, user: Option<&str>, name: &str) -> String {
    let account = serial
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split(':').next())
        .filter(|account| !account.is_empty());
    match (user, account) {
        (Some(user), Some(account)) => format!("{user}@{account}"),
        (Some(user), None) => user.to_string(),
        (None, _) => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn seed_files_are_new_private_files_or_pipes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seed.txt");
        let file = SeedFile::open(&path).unwrap();
        file.write(&Secret::new("otpauth://totp/AWS:a?secret=X"))
            .unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "otpauth://totp/AWS:a?secret=X\n"
        );
        // Never overwritten, never followed through a link.
        assert!(SeedFile::open(&path).is_err());
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), dir.path().join("link")).unwrap();
        assert!(SeedFile::open(&dir.path().join("link")).is_err());
        assert!(!dir.path().join("elsewhere").exists());
        // Opened but never written (the device was not created): removed again.
        let unused = dir.path().join("unused.txt");
        drop(SeedFile::open(&unused).unwrap());
        assert!(!unused.exists());
        assert!(SeedFile::open(&dir.path().join("no/such/dir/seed")).is_err());
    }

    #[test]
    fn labels_name_the_user_and_account() {
        let serial = "arn:aws:iam::123456789012:mfa/alice-phone";
        assert_eq!(
            account_label(serial, Some("alice"), "alice-phone"),
            "alice@123456789012"
        );
        assert_eq!(account_label(serial, None, "alice-phone"), "alice-phone");
    }
}
