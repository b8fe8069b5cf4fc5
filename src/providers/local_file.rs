//! Local files replaced safely: the new contents go to a temporary file in the same
//! folder, which is flushed to disk (`fsync`) and renamed over the old one, so a crash
//! leaves the old file or the new one, never half of either. The old file is kept as a
//! backup first, and the file keeps its permissions.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The path of the backup [`replace`] keeps of `path`: `config` → `config.runbook-backup`.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".runbook-backup");
    path.with_file_name(name)
}

/// Where a write to `path` lands: the file a symbolic link points at (dotfile managers
/// link `~/.aws/config`), so the link itself stays.
pub fn resolve(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The file's text, or `None` when it does not exist.
pub fn read(path: &Path) -> io::Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the file is not UTF-8 text")),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Replace `path` (resolved through links) with `contents`, atomically. An existing file
/// is first copied to [`backup_path`] (mode 0600) and the new one keeps its mode; a new
/// file gets `new_mode`, and a missing folder is created with 0700. Returns the backup's
/// path, if there was a file to back up.
pub fn replace(path: &Path, contents: &str, new_mode: u32) -> io::Result<Option<PathBuf>> {
    let path = resolve(path);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let (mode, backup) = match fs::metadata(&path) {
        Ok(metadata) => {
            let backup = backup_path(&path);
            let old = fs::read(&path)?;
            write_synced(&backup, &old, 0o600)?;
            (metadata.permissions().mode() & 0o7777, Some(backup))
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => (new_mode, None),
        Err(error) => return Err(error),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".runbook-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(contents.as_bytes())?;
    temp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))?;
    temp.as_file().sync_all()?;
    temp.persist(&path).map_err(|error| error.error)?;
    File::open(dir)?.sync_all()?;
    Ok(backup)
}

/// Write `bytes` to `path` (replacing it), with `mode`, flushed to disk.
fn write_synced(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)?;
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_keeps_the_mode_and_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aws").join("config");
        assert_eq!(replace(&path, "one\n", 0o600).unwrap(), None);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let backup = replace(&path, "two\n", 0o600).unwrap().unwrap();
        assert_eq!(read(&path).unwrap().unwrap(), "two\n");
        assert_eq!(read(&backup).unwrap().unwrap(), "one\n");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(
            fs::metadata(&backup).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_link_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("dotfiles-config");
        fs::write(&target, "old\n").unwrap();
        let link = dir.path().join("config");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        replace(&link, "new\n", 0o600).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&target).unwrap(), "new\n");
        assert_eq!(read(&dir.path().join("nothing")).unwrap(), None);
    }
}
