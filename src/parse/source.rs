//! Source text of a runbook: where it came from, and the mapping from byte offsets to
//! 1-based line:column positions that every diagnostic uses.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A byte range in a [`Source`]. Every node of the parsed document carries one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        debug_assert!(start <= end, "span {start}..{end} is reversed");
        Span { start, end }
    }

    /// A zero-width span at `offset`.
    pub fn point(offset: usize) -> Span {
        Span::new(offset, offset)
    }

    /// This span moved right by `offset` bytes (from body-relative to file-relative).
    pub fn shift(self, offset: usize) -> Span {
        Span::new(self.start + offset, self.end + offset)
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(range: Range<usize>) -> Span {
        Span::new(range.start, range.end)
    }
}

/// A 1-based line and column (counted in characters) in a source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The text of one runbook and the name it is reported under.
///
/// A guide that includes steps of other guides (`<!-- runbook: include = "…" -->`, see
/// [`crate::parse::include`]) is one `Source` holding every file involved, one after the
/// other (each after a line feed): its [`Segment`]s. Offsets stay plain byte offsets into
/// [`Source::text`], so every stage works on included steps as on any other; only
/// positions ([`Source::position`], [`Source::line`]) and names ([`Source::name_at`]) are
/// counted per file.
#[derive(Clone, Debug)]
pub struct Source {
    path: PathBuf,
    text: String,
    line_starts: Vec<usize>,
    /// Empty for a single file; otherwise every file, the guide itself first.
    segments: Vec<Segment>,
    /// The includes to splice in, in file order.
    includes: Vec<Include>,
}

/// One file of a [`Source`] made of several: where its text is in the whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub path: PathBuf,
    pub start: usize,
    pub end: usize,
    /// The 0-based line of the whole text the file starts on.
    first_line: usize,
}

/// One checked `include = "FILE#STEP"`: the parser puts the named section (or, without
/// `#STEP`, every section of the file) under the section whose directive names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    /// The whole `<!-- runbook … -->` comment the include is in.
    pub directive: Span,
    /// The quoted path, `"aws-mfa.md#set-up-the-authenticator-app"`.
    pub value: Span,
    /// The path as written (relative to the including file).
    pub written: String,
    /// Which [`Segment`] the included file is.
    pub segment: usize,
    /// The step id or heading anchor after `#`, if any.
    pub anchor: Option<String>,
}

impl Source {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Source {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            path: path.into(),
            text,
            line_starts,
            segments: Vec::new(),
            includes: Vec::new(),
        }
    }

    /// A source made of several files (`files[0]` is the guide itself), each after a line
    /// feed, with the includes between them. Spans in `includes` are offsets in the whole.
    pub fn with_files(files: Vec<(PathBuf, String)>, includes: Vec<Include>) -> Source {
        let main = files[0].0.clone();
        let mut text = String::with_capacity(files.iter().map(|f| f.1.len() + 1).sum());
        let mut bounds = Vec::with_capacity(files.len());
        for (i, (path, file)) in files.into_iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            let start = text.len();
            text.push_str(&file);
            bounds.push((path, start, text.len()));
        }
        let mut source = Source::new(main, text);
        source.segments = bounds
            .into_iter()
            .map(|(path, start, end)| Segment {
                first_line: source.line_starts.partition_point(|&s| s <= start) - 1,
                path,
                start,
                end,
            })
            .collect();
        source.includes = includes;
        source
    }

    /// Every file of a source made of several (empty for a single file).
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn includes(&self) -> &[Include] {
        &self.includes
    }

    /// Which segment holds `offset` (0 for a single file).
    pub fn segment_of(&self, offset: usize) -> usize {
        if self.segments.is_empty() {
            return 0;
        }
        self.segments
            .partition_point(|segment| segment.start <= offset)
            .saturating_sub(1)
    }

    /// The file `offset` is in, as shown in diagnostics.
    pub fn name_at(&self, offset: usize) -> String {
        match self.segments.get(self.segment_of(offset)) {
            Some(segment) if self.segment_of(offset) > 0 => segment.path.display().to_string(),
            _ => self.name(),
        }
    }

    /// For an offset in an included file, that file's path relative to the guide's folder
    /// (`aws-mfa.md`), the same wherever the guide is checked from; `None` in the guide.
    pub fn included_name_at(&self, offset: usize) -> Option<String> {
        let segment = self.segment_of(offset);
        if segment == 0 {
            return None;
        }
        let path = &self.segments.get(segment)?.path;
        let folder = self.path.parent().unwrap_or(Path::new(""));
        let relative = path.strip_prefix(folder).unwrap_or(path);
        Some(relative.display().to_string())
    }

    /// The 0-based line the file holding `offset` starts on (0 for a single file).
    fn first_line(&self, offset: usize) -> usize {
        self.segments
            .get(self.segment_of(offset))
            .map_or(0, |segment| segment.first_line)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path as shown in diagnostics (`runbooks/aws-mfa.md`).
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn slice(&self, span: Span) -> &str {
        &self.text[span.range()]
    }

    /// 1-based line and column of a byte offset. Offsets past the end map to the end.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let column = self.text[start..floor_char_boundary(&self.text, offset)]
            .chars()
            .count()
            + 1;
        Position {
            line: line + 1 - self.first_line(offset),
            column,
        }
    }

    /// 1-based line number of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.position(offset).line
    }

    /// [`Source::line`] of an offset at or after the start of line `from`, found by
    /// searching forward from that line: when offsets come in file order this touches only
    /// nearby line starts, where a binary search over all of a large file's lines misses
    /// the cache on every call. Any other offset gets a plain [`Source::line`].
    pub fn line_from(&self, from: usize, offset: usize) -> usize {
        if !self.segments.is_empty() {
            return self.line(offset);
        }
        let offset = offset.min(self.text.len());
        let Some(mut low) = from.checked_sub(1).filter(|&i| {
            self.line_starts
                .get(i)
                .is_some_and(|&start| start <= offset)
        }) else {
            return self.line(offset);
        };
        // Gallop to a line starting after `offset` (or the end), then bisect.
        let mut step = 1;
        let high = loop {
            match self.line_starts.get(low + step) {
                Some(&start) if start <= offset => {
                    low += step;
                    step *= 2;
                }
                _ => break (low + step).min(self.line_starts.len()),
            }
        };
        low + 1 + self.line_starts[low + 1..high].partition_point(|&start| start <= offset)
    }

    /// Byte offset where the line holding `offset` starts.
    pub fn line_start(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        self.line_starts[line]
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let source = Source::new("x.md", "ab\nc–d\n\nlast");
        assert_eq!(source.position(0), Position { line: 1, column: 1 });
        assert_eq!(source.position(2), Position { line: 1, column: 3 });
        assert_eq!(source.position(3), Position { line: 2, column: 1 });
        // The en dash is three bytes but one column.
        let d = source.text().find('d').unwrap();
        assert_eq!(source.position(d), Position { line: 2, column: 3 });
        assert_eq!(source.position(source.text().len()).line, 4);
        assert_eq!(source.position(usize::MAX).line, 4);
    }

    #[test]
    fn line_from_agrees_with_line() {
        let text: String = (0..200)
            .map(|i| format!("{}\n", "x".repeat(i % 7)))
            .collect();
        let source = Source::new("x.md", text);
        let len = source.text().len();
        for from in [0, 1, 2, 5, 40, 199, 200, 201, 202, 1000] {
            for offset in (0..len + 3).step_by(3) {
                assert_eq!(
                    source.line_from(from, offset),
                    source.line(offset),
                    "from {from}, offset {offset}"
                );
            }
        }
    }

    #[test]
    fn line_start_finds_the_beginning_of_the_line() {
        let source = Source::new("x.md", "one\ntwo\n");
        assert_eq!(source.line_start(5), 4);
        assert_eq!(source.line_start(0), 0);
    }
}

/// Why a runbook file could not be read as text.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("`{}` does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("`{}` is a directory, not a runbook file", path.display())]
    IsDirectory { path: PathBuf },
    /// The file is not UTF-8. `lossy` holds the text with invalid bytes replaced, so the
    /// diagnostic can still show the line; `offset` is the first invalid byte, which is the
    /// same in both texts because everything before it is valid.
    #[error("`{}` is not valid UTF-8 text", lossy.name())]
    NotUtf8 { lossy: Box<Source>, offset: usize },
    /// Larger than [`MAX_FILE_BYTES`] (`size` is what was found: the file's length, or
    /// what could be read of it).
    #[error(
        "`{}` is {size} bytes, more than the {} MiB a runbook may have",
        path.display(),
        MAX_FILE_BYTES / (1024 * 1024)
    )]
    TooLarge { path: PathBuf, size: u64 },
    #[error("cannot read `{}`: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// The largest runbook read: 32 MiB. Real guides are a few KB to a few hundred KB, and
/// checking is linear (about 6 bytes of memory per byte of text), so this bounds what one
/// file can cost (a runbook is untrusted input, e.g. in CI or an editor) far above any
/// real use. Larger files are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// U+FEFF encoded as UTF-8, as some editors put it at the start of a file.
const BYTE_ORDER_MARK: &[u8] = b"\xef\xbb\xbf";

impl Source {
    /// Read a runbook file. Empty files load fine; the parser reports them.
    pub fn read(path: &Path) -> Result<Source, LoadError> {
        use std::io::Read;
        if path.is_dir() {
            return Err(LoadError::IsDirectory { path: path.into() });
        }
        let failed = |error: std::io::Error| match error.kind() {
            std::io::ErrorKind::NotFound => LoadError::NotFound { path: path.into() },
            _ => LoadError::Io {
                path: path.into(),
                error,
            },
        };
        let file = std::fs::File::open(path).map_err(failed)?;
        let too_large = |size| LoadError::TooLarge {
            path: path.into(),
            size,
        };
        let length = file.metadata().map_err(failed)?.len();
        if length > MAX_FILE_BYTES {
            return Err(too_large(length));
        }
        // At most one byte more than the limit, whatever the length said (a file still
        // growing, a pipe, a device).
        let mut bytes = Vec::with_capacity(length as usize);
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(failed)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(too_large(bytes.len() as u64));
        }
        Source::from_bytes(path, bytes)
    }

    /// A runbook's text already read (e.g. from git), reported under `path`: a leading
    /// byte-order mark is dropped, and text that is not UTF-8 is refused as in
    /// [`Source::read`].
    pub fn from_bytes(path: &Path, mut bytes: Vec<u8>) -> Result<Source, LoadError> {
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(LoadError::TooLarge {
                path: path.into(),
                size: bytes.len() as u64,
            });
        }
        // A UTF-8 byte-order mark (some Windows editors write one) is not text: dropped
        // here, before anything is parsed, so every span and line:column is counted from
        // the first character an editor shows (the title on line 1, column 1).
        if bytes.starts_with(BYTE_ORDER_MARK) {
            bytes.drain(..BYTE_ORDER_MARK.len());
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Source::new(path, text)),
            Err(error) => {
                let offset = error.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
                Err(LoadError::NotUtf8 {
                    lossy: Box::new(Source::new(path, lossy)),
                    offset,
                })
            }
        }
    }
}
