//! A figure's file: where an image a runbook shows may come from, and what it must be.
//!
//! `runbook render` copies every local image next to the page, so an image path is a
//! request to read a file and publish it. Only files that are plainly a guide's figures
//! qualify:
//!
//! - inside the **guide's tree**: the Git work tree the runbook is in (the nearest folder
//!   above it with a `.git`), or, outside Git, the runbook's own folder;
//! - named by a **relative** path (no `/etc/…`, no `C:\…`), that does not climb out of the
//!   tree with `..`, and whose real path (symbolic links followed) is still inside it;
//! - a **regular file** (not a device, a FIFO or `/proc` magic) of at most
//!   [`MAX_IMAGE_BYTES`] whose first bytes are those of an image format browsers show
//!   (PNG, JPEG, GIF, WebP, AVIF, SVG).
//!
//! `runbook check` reports anything else as an error with the image's span, and the
//! renderers copy only the bytes [`read`] verified, so nothing else ever reaches `--out`.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Whether a URL names a file next to the runbook (not a web address, data or anchor).
pub fn is_local(url: &str) -> bool {
    !(url.is_empty()
        || url.contains("://")
        || url.starts_with("data:")
        || url.starts_with('#')
        || url.starts_with("//")
        || has_scheme(url))
}

/// `mailto:`, `https:` … — a scheme is letters, digits, `+`, `-`, `.` before a colon.
pub fn has_scheme(url: &str) -> bool {
    url.split_once(':').is_some_and(|(scheme, _)| {
        scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// The largest image a page may carry: far above any screenshot, far below a disk image.
pub const MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;

/// The image formats a page may show, recognised by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Gif,
    WebP,
    Avif,
    Svg,
}

impl ImageKind {
    /// What the first bytes of a file say it is, if an image.
    pub fn sniff(head: &[u8]) -> Option<ImageKind> {
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(ImageKind::Png);
        }
        if head.starts_with(&[0xff, 0xd8, 0xff]) {
            return Some(ImageKind::Jpeg);
        }
        if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            return Some(ImageKind::Gif);
        }
        if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            return Some(ImageKind::WebP);
        }
        if head.len() >= 12 && &head[4..8] == b"ftyp" && matches!(&head[8..12], b"avif" | b"avis") {
            return Some(ImageKind::Avif);
        }
        if is_svg(head) {
            return Some(ImageKind::Svg);
        }
        None
    }
}

/// An SVG file: optional BOM, then XML prolog, comments or a doctype, then `<svg`.
fn is_svg(head: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(head).or_else(|error| {
        // The head may end inside a multi-byte character.
        std::str::from_utf8(&head[..error.valid_up_to()])
    }) else {
        return false;
    };
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if rest.starts_with("<svg") {
            return true;
        }
        let close = if rest.starts_with("<?xml") {
            "?>"
        } else if rest.starts_with("<!--") {
            "-->"
        } else if rest.starts_with("<!DOCTYPE") || rest.starts_with("<!doctype") {
            ">"
        } else {
            return false;
        };
        match rest.find(close) {
            Some(at) => rest = &rest[at + close.len()..],
            None => return false,
        }
    }
}

/// How many bytes [`ImageKind::sniff`] looks at.
const HEAD: usize = 4096;

/// A folder as the user knows it: relative to the current one when that is inside it
/// (`../..`), else as it is.
fn shown(folder: &Path) -> String {
    let Ok(cwd) = std::env::current_dir().and_then(|cwd| cwd.canonicalize()) else {
        return folder.display().to_string();
    };
    match cwd.strip_prefix(folder) {
        Ok(inside) => {
            let up = inside.components().count();
            if up == 0 {
                ".".to_string()
            } else {
                vec![".."; up].join("/")
            }
        }
        Err(_) => folder.display().to_string(),
    }
}

/// Why an image path is not a figure a page may show.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    #[error("image path `{url}` is absolute")]
    Absolute { url: String },
    #[error("image path `{url}` leaves the guide's folder `{}`", shown(root))]
    Escapes { url: String, root: PathBuf },
    #[error("image `{url}` is a link to `{}`, outside the guide's folder `{}`", real.display(), shown(root))]
    LinkOutside {
        url: String,
        real: PathBuf,
        root: PathBuf,
    },
    #[error("image `{url}` not found")]
    Missing { url: String, path: PathBuf },
    #[error("image `{url}` is not a regular file")]
    NotAFile { url: String },
    #[error("image `{url}` is {} MB, more than a page may carry ({} MB)", size.div_ceil(1024 * 1024), MAX_IMAGE_BYTES / (1024 * 1024))]
    TooLarge { url: String, size: u64 },
    #[error("`{url}` is not an image (not PNG, JPEG, GIF, WebP, AVIF or SVG)")]
    NotAnImage { url: String },
    #[error("cannot read image `{url}`: {error}")]
    Unreadable { url: String, error: std::io::Error },
}

impl FigureError {
    /// The diagnostic code `runbook check` reports it under.
    pub fn code(&self) -> &'static str {
        match self {
            FigureError::Absolute { .. }
            | FigureError::Escapes { .. }
            | FigureError::LinkOutside { .. } => "image-outside-guide",
            FigureError::Missing { .. } => "missing-image",
            FigureError::NotAFile { .. } | FigureError::NotAnImage { .. } => "not-an-image",
            FigureError::TooLarge { .. } => "image-too-large",
            FigureError::Unreadable { .. } => "unreadable-image",
        }
    }

    /// What the author can do about it.
    pub fn help(&self) -> String {
        match self {
            FigureError::Absolute { .. } | FigureError::Escapes { .. } => "figures are published with the page, so they must live in the guide's own folder (its Git work tree): copy the image there and give its path relative to the runbook".to_string(),
            FigureError::LinkOutside { .. } => "a figure may be a symbolic link only to a file inside the guide's folder: copy the image in instead of linking to it".to_string(),
            FigureError::Missing { .. } => "image paths are relative to the runbook's folder".to_string(),
            FigureError::NotAFile { .. } | FigureError::NotAnImage { .. } => "point the image at a PNG, JPEG, GIF, WebP, AVIF or SVG file".to_string(),
            FigureError::TooLarge { .. } => "shrink or crop the image (a screenshot is rarely more than 1 MB)".to_string(),
            FigureError::Unreadable { .. } => "check the file's permissions".to_string(),
        }
    }
}

/// A local image that may be published: its real path inside the guide's tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageFile {
    /// As written in the runbook.
    pub url: String,
    /// The real path (symbolic links resolved).
    pub path: PathBuf,
    pub kind: ImageKind,
}

/// The guide's tree for a runbook in `folder`: the Git work tree it is in, else `folder`
/// itself. Always a real (canonical) path when the folder exists.
pub fn guide_root(folder: &Path) -> PathBuf {
    let folder = non_empty(folder);
    let Ok(real) = folder.canonicalize() else {
        return folder.to_path_buf();
    };
    real.ancestors()
        .find(|dir| dir.join(".git").exists())
        .map_or_else(|| real.clone(), Path::to_path_buf)
}

/// The current folder for a runbook given without one (`r.md`).
fn non_empty(folder: &Path) -> &Path {
    if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    }
}

/// Check an image path written in a runbook in `folder` (whose tree is `root`, from
/// [`guide_root`]): where it points, and that it is an image a page may carry.
pub fn resolve(root: &Path, folder: &Path, url: &str) -> Result<ImageFile, FigureError> {
    let path = Path::new(url);
    if path.has_root() || path.components().any(|c| matches!(c, Component::Prefix(_))) {
        return Err(FigureError::Absolute { url: url.into() });
    }
    let folder = non_empty(folder);
    // Lexically first: `../../etc/passwd` is refused whether or not it exists.
    let folder_real = folder
        .canonicalize()
        .unwrap_or_else(|_| folder.to_path_buf());
    let joined = lexical(&folder_real.join(path));
    let shown = folder.join(path);
    if !joined.starts_with(root) {
        // Nothing there: only missing (a guide copied without its figures), not a leak.
        if std::fs::symlink_metadata(&shown)
            .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        {
            return Err(FigureError::Missing {
                url: url.into(),
                path: shown,
            });
        }
        return Err(FigureError::Escapes {
            url: url.into(),
            root: root.to_path_buf(),
        });
    }
    let real = match shown.canonicalize() {
        Ok(real) => real,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(FigureError::Missing {
                url: url.into(),
                path: shown,
            });
        }
        Err(error) => {
            return Err(FigureError::Unreadable {
                url: url.into(),
                error,
            });
        }
    };
    if !real.starts_with(root) {
        return Err(FigureError::LinkOutside {
            url: url.into(),
            real,
            root: root.to_path_buf(),
        });
    }
    let (kind, _) = open_checked(url, &real, false)?;
    Ok(ImageFile {
        url: url.into(),
        path: real,
        kind,
    })
}

/// The bytes of a checked image, checked again as they are read (the file may have
/// changed since): a regular file, not a link, at most [`MAX_IMAGE_BYTES`], an image.
pub fn read(image: &ImageFile) -> Result<Vec<u8>, FigureError> {
    let (_, bytes) = open_checked(&image.url, &image.path, true)?;
    Ok(bytes.expect("asked for the whole file"))
}

/// Open `real` without following a final symbolic link, and check it is a regular image
/// file of a bounded size; with `whole`, also return its bytes (read from the same
/// descriptor that was checked).
fn open_checked(
    url: &str,
    real: &Path,
    whole: bool,
) -> Result<(ImageKind, Option<Vec<u8>>), FigureError> {
    use std::os::unix::fs::OpenOptionsExt;
    let unreadable = |error| FigureError::Unreadable {
        url: url.into(),
        error,
    };
    // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: a link swapped
    // in after the check is refused.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(real)
        .map_err(|error| {
            if error.raw_os_error() == Some(libc::ELOOP) {
                FigureError::NotAFile { url: url.into() }
            } else {
                unreadable(error)
            }
        })?;
    let metadata = file.metadata().map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(FigureError::NotAFile { url: url.into() });
    }
    if metadata.len() > MAX_IMAGE_BYTES {
        return Err(FigureError::TooLarge {
            url: url.into(),
            size: metadata.len(),
        });
    }
    let limit = if whole {
        MAX_IMAGE_BYTES + 1
    } else {
        HEAD as u64
    };
    let mut bytes = Vec::new();
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(FigureError::TooLarge {
            url: url.into(),
            size: bytes.len() as u64,
        });
    }
    let kind = ImageKind::sniff(&bytes[..bytes.len().min(HEAD)])
        .ok_or_else(|| FigureError::NotAnImage { url: url.into() })?;
    Ok((kind, whole.then_some(bytes)))
}

/// `path` with `.` dropped and `..` applied to what comes before it.
pub fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::ParentDir if out.has_root() => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn formats_are_recognised_by_their_first_bytes() {
        assert_eq!(ImageKind::sniff(PNG), Some(ImageKind::Png));
        assert_eq!(ImageKind::sniff(b"\xff\xd8\xff\xe0"), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(b"GIF89a.."), Some(ImageKind::Gif));
        assert_eq!(
            ImageKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageKind::WebP)
        );
        assert_eq!(
            ImageKind::sniff(b"\0\0\0\x1cftypavif"),
            Some(ImageKind::Avif)
        );
        assert_eq!(
            ImageKind::sniff(b"<?xml version=\"1.0\"?>\n<!-- x -->\n<svg xmlns=\"\">"),
            Some(ImageKind::Svg)
        );
        for text in [
            &b"root:x:0:0:root:/root:/bin/bash\n"[..],
            b"[default]\naws_access_key_id = AKIA\n",
            b"PATH=/usr/bin\0HOME=/root\0",
            b"<html><svg>",
            b"",
        ] {
            assert_eq!(ImageKind::sniff(text), None, "{text:?}");
        }
    }

    #[test]
    fn lexical_paths_never_climb_above_the_root() {
        assert_eq!(lexical(Path::new("/a/b/../c/./d")), Path::new("/a/c/d"));
        assert_eq!(lexical(Path::new("/a/../../../etc")), Path::new("/etc"));
        assert_eq!(lexical(Path::new("a/../../b")), Path::new("../b"));
    }

    #[test]
    fn only_image_files_inside_the_tree_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let guide = root.join("guide");
        std::fs::create_dir_all(guide.join("img")).unwrap();
        std::fs::write(guide.join("img/a.png"), PNG).unwrap();
        std::fs::write(guide.join("notes.png"), b"password=hunter2\n").unwrap();
        std::fs::write(root.join("outside.png"), PNG).unwrap();
        std::os::unix::fs::symlink(root.join("outside.png"), guide.join("link.png")).unwrap();
        std::os::unix::fs::symlink("img/a.png", guide.join("inner.png")).unwrap();
        let file = std::fs::File::create(guide.join("huge.png")).unwrap();
        file.set_len(MAX_IMAGE_BYTES + 1).unwrap();
        let tree = guide_root(&guide);
        assert_eq!(tree, guide, "no .git: the runbook's folder");
        let code = |url: &str| {
            resolve(&tree, &guide, url)
                .map(|f| f.kind)
                .map_err(|e| e.code())
        };
        assert_eq!(code("img/a.png"), Ok(ImageKind::Png));
        assert_eq!(code("./img/../img/a.png"), Ok(ImageKind::Png));
        assert_eq!(code("inner.png"), Ok(ImageKind::Png));
        assert_eq!(code("/etc/passwd"), Err("image-outside-guide"));
        assert_eq!(code("../outside.png"), Err("image-outside-guide"));
        assert_eq!(code("img/../../outside.png"), Err("image-outside-guide"));
        assert_eq!(
            code("../../../../../../etc/passwd"),
            Err("image-outside-guide")
        );
        assert_eq!(code("link.png"), Err("image-outside-guide"));
        assert_eq!(code("notes.png"), Err("not-an-image"));
        assert_eq!(code("img"), Err("not-an-image"));
        assert_eq!(code("huge.png"), Err("image-too-large"));
        assert_eq!(code("none.png"), Err("missing-image"));
        // Outside the tree but not there: missing, not a leak.
        assert_eq!(code("../no-such-dir/none.png"), Err("missing-image"));
        // Inside a Git work tree, the whole tree is the guide's.
        std::fs::create_dir(root.join(".git")).unwrap();
        let tree = guide_root(&guide);
        assert_eq!(tree, root);
        assert!(resolve(&tree, &guide, "../outside.png").is_ok());
        assert!(resolve(&tree, &guide, "link.png").is_ok());
        assert_eq!(
            resolve(&tree, &guide, &("../".repeat(20) + "etc/passwd"))
                .unwrap_err()
                .code(),
            "image-outside-guide"
        );
    }

    #[test]
    fn reading_checks_the_file_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("a.png"), PNG).unwrap();
        let image = resolve(&root, &root, "a.png").unwrap();
        assert_eq!(read(&image).unwrap(), PNG);
        // Replaced by a link to a secret after the check: refused.
        std::fs::write(root.join("secret"), b"aws_secret_access_key = x").unwrap();
        std::fs::remove_file(root.join("a.png")).unwrap();
        std::os::unix::fs::symlink(root.join("secret"), root.join("a.png")).unwrap();
        assert!(read(&image).is_err());
        // Replaced by a text file: refused.
        std::fs::remove_file(root.join("a.png")).unwrap();
        std::fs::write(root.join("a.png"), b"aws_secret_access_key = x").unwrap();
        assert_eq!(read(&image).unwrap_err().code(), "not-an-image");
    }
}
