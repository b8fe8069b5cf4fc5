//! Text that did not come from our own code — a runbook's title, headings, prose, prompts
//! and defaults, `--var` values, AWS messages, what a security key reports, file paths —
//! is shown on the terminal with its control characters escaped, so that it cannot drive
//! the terminal (set the window title, clear the screen, hide a link, move the cursor,
//! reorder what is shown). JSON output keeps the data exact: only text for people is
//! escaped.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` is escaped: C0 controls other than `\n` and `\t` (ESC, BEL, CR, …), DEL,
/// C1 controls (U+0080–U+009F: U+009B is a one-character CSI) and the bidirectional
/// embedding, override and isolate characters (U+202A–U+202E, U+2066–U+2069).
pub fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{b}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// `text` with every [unsafe](is_unsafe) character shown as an escape: `\x1b` for ASCII
/// controls, `\u{9b}` for the others. Everything else, newlines and tabs included, is
/// kept. Borrowed when nothing needs escaping; escaping twice changes nothing more.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        push(&mut out, c);
    }
    Cow::Owned(out)
}

fn push(out: &mut String, c: char) {
    if !is_unsafe(c) {
        out.push(c);
    } else if c.is_ascii() {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_shown_not_obeyed() {
        assert_eq!(
            escape("a\u{1b}]0;title\u{7}b\u{1b}[2Jc"),
            "a\\x1b]0;title\\x07b\\x1b[2Jc"
        );
        assert_eq!(
            escape("\u{1b}]8;;http://evil.example/\u{1b}\\link\u{1b}]8;;\u{1b}\\"),
            "\\x1b]8;;http://evil.example/\\x1b\\link\\x1b]8;;\\x1b\\"
        );
        assert_eq!(escape("\u{9b}31mred\u{85}"), "\\u{9b}31mred\\u{85}");
        assert_eq!(escape("abc\u{202e}fed\u{2066}"), "abc\\u{202e}fed\\u{2066}");
        assert_eq!(escape("\r\u{0}\u{7f}"), "\\x0d\\x00\\x7f");
    }

    #[test]
    fn ordinary_text_is_kept_as_is() {
        let text = "Multi‑factor “MFA”: één, 日本, emoji 🔑\n\tindented";
        assert!(matches!(escape(text), Cow::Borrowed(_)));
        assert_eq!(escape(text), text);
        // Escaping twice changes nothing more.
        let once = escape("\u{1b}[2J").into_owned();
        assert_eq!(escape(&once), once);
    }
}
