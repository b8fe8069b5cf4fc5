//! Byte offsets (what every [`Span`](crate::parse::source::Span) holds) to LSP positions
//! and back. LSP counts lines split at `\n`, `\r\n` or a bare `\r`, and characters in
//! UTF-16 code units (the protocol's default encoding, the one every client supports).

use lsp_types::{Position, Range};

/// Where each line of a text starts, by LSP's rules.
#[derive(Clone, Debug)]
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while let Some(found) = memchr::memchr2(b'\n', b'\r', &bytes[i..]) {
            let at = i + found;
            let next = if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
                at + 2
            } else {
                at + 1
            };
            starts.push(next);
            i = next;
        }
        Lines { starts }
    }

    /// The position of byte `offset` (clamped to the text and to a character boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let start = self.starts[line].min(offset);
        let character = text[start..offset].encode_utf16().count();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, text: &str, span: std::ops::Range<usize>) -> Range {
        Range::new(
            self.position(text, span.start),
            self.position(text, span.end),
        )
    }

    /// The byte offset of `position`. A character past the end of its line means the
    /// line's end (before its line break), a line past the end of the text the text's end,
    /// as the protocol says; a position inside a surrogate pair means the character's start.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len();
        };
        let end = self.line_end(text, position.line as usize);
        let mut units = 0;
        for (i, c) in text[start..end].char_indices() {
            let next = units + c.len_utf16();
            if next > position.character as usize {
                return start + i;
            }
            units = next;
        }
        end
    }

    /// The byte offset where line `line`'s text ends (before `\n`, `\r\n` or `\r`).
    fn line_end(&self, text: &str, line: usize) -> usize {
        let Some(&next) = self.starts.get(line + 1) else {
            return text.len();
        };
        let bytes = text.as_bytes();
        let mut end = next;
        if end > 0 && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > self.starts[line] && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_utf16_units_and_every_line_break() {
        // `é` is 2 bytes and 1 unit; `😀` is 4 bytes and 2 units.
        let text = "é😀x\r\nab\rc\n\nend";
        let lines = Lines::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(lines.position(text, x), Position::new(0, 3));
        assert_eq!(lines.offset(text, Position::new(0, 3)), x);
        let c = text.find('c').unwrap();
        assert_eq!(lines.position(text, c), Position::new(2, 0));
        assert_eq!(
            lines.offset(text, Position::new(1, 1)),
            text.find('b').unwrap()
        );
        // Past the end of a line: the line's end, before `\r\n`.
        assert_eq!(lines.offset(text, Position::new(0, 99)), x + 1);
        // Inside the surrogate pair: the emoji's start.
        assert_eq!(lines.offset(text, Position::new(0, 2)), 2);
        // Past the last line: the end.
        assert_eq!(lines.offset(text, Position::new(9, 0)), text.len());
        assert_eq!(lines.position(text, text.len()), Position::new(4, 3));
        // Inside a character: its start.
        assert_eq!(lines.position(text, 1), Position::new(0, 0));
    }
}
