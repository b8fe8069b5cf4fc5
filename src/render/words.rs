//! `when` and `expect` expressions in words, for readers who never run the engine:
//! `not me.is_root` → "`me.is_root` is false", `count < 8` → "`count` is less than 8".
//! Anything beyond simple comparisons joined by `and`/`or` is shown as written.

use std::sync::LazyLock;

use regex::Regex;

use crate::bind::action::Exports;
use crate::bind::runbook::BoundAction;
use crate::parse::template;

/// A piece of a sentence: plain words, or a name or value shown as code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Code(String),
}

fn text(s: &str) -> Piece {
    Piece::Text(s.to_string())
}

fn code(s: &str) -> Piece {
    Piece::Code(s.to_string())
}

static CLAUSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^(not\s+)?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?:\s*(==|!=|>=|<=|>|<)\s*(-?[0-9]+(?:\.[0-9]+)?|true|false|none|"[^"]*"|'[^']*'))?$"#,
    )
    .expect("valid regex")
});

/// An expression as words: "`count` is less than 8 and `verified` is true".
pub fn condition(expr: &str) -> Vec<Piece> {
    let expr = expr.trim();
    let fallback = || vec![code(expr), text(" holds")];
    if expr.contains(['(', ')', '[', ']']) {
        return fallback();
    }
    let mut pieces = Vec::new();
    for (i, (joiner, clause)) in split_joined(expr).into_iter().enumerate() {
        let Some(words) = clause_words(clause) else {
            return fallback();
        };
        if i > 0 {
            pieces.push(text(&format!(" {joiner} ")));
        }
        pieces.extend(words);
    }
    pieces
}

/// `a and b or c` → [("", a), ("and", b), ("or", c)]; quoted strings are not split.
fn split_joined(expr: &str) -> Vec<(&str, &str)> {
    static JOINER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\s+(and|or)\s+").expect("valid regex"));
    // The same bytes with quoted text masked, so a quoted `and` is not a joiner.
    let mut quote = None;
    let masked: String = expr
        .bytes()
        .map(|b| match quote {
            Some(q) if b == q => {
                quote = None;
                'x'
            }
            Some(_) => 'x',
            None if b == b'"' || b == b'\'' => {
                quote = Some(b);
                'x'
            }
            None if b.is_ascii() => b as char,
            None => 'x',
        })
        .collect();
    let mut parts = Vec::new();
    let mut joiner = "";
    let mut start = 0;
    for captures in JOINER.captures_iter(&masked) {
        let (whole, word) = (
            captures.get(0).expect("match"),
            captures.get(1).expect("group"),
        );
        parts.push((joiner, expr[start..whole.start()].trim()));
        joiner = &expr[word.range()];
        start = whole.end();
    }
    parts.push((joiner, expr[start..].trim()));
    parts
}

fn clause_words(clause: &str) -> Option<Vec<Piece>> {
    let captures = CLAUSE.captures(clause)?;
    let negated = captures.get(1).is_some();
    let name = captures.get(2)?.as_str();
    match (captures.get(3), captures.get(4)) {
        (None, _) => Some(vec![
            code(name),
            text(if negated { " is false" } else { " is true" }),
        ]),
        (Some(_), _) if negated => None,
        (Some(op), Some(value)) => {
            let relation = match op.as_str() {
                "==" => " is ",
                "!=" => " is not ",
                ">=" => " is at least ",
                "<=" => " is at most ",
                ">" => " is more than ",
                "<" => " is less than ",
                _ => return None,
            };
            let value = value.as_str();
            let value = if value.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                text(value)
            } else {
                code(value)
            };
            Some(vec![code(name), text(relation), value])
        }
        (Some(_), None) => None,
    }
}

/// Several conditions joined: "a, b and c".
pub fn all_of(exprs: &[String]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for (i, expr) in exprs.iter().enumerate() {
        if i > 0 {
            pieces.push(text(if i + 1 == exprs.len() { " and " } else { ", " }));
        }
        pieces.extend(condition(expr));
    }
    pieces
}

/// The pieces as HTML: text escaped, code in `<code>`.
pub fn to_html(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => escape_html(text),
            Piece::Code(code) => format!("<code>{}</code>", escape_html(code)),
        })
        .collect()
}

/// The pieces as Markdown: text escaped, code in backticks.
pub fn to_markdown(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => escape_markdown(text),
            Piece::Code(code) => code_span(code),
        })
        .collect()
}

/// Escape text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Backslash-escape the characters Markdown would read as markup.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A Markdown code span that survives backticks in its content.
pub fn code_span(code: &str) -> String {
    let longest = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{code}{fence}")
    } else {
        format!("{fence} {code} {fence}")
    }
}

/// What an action does, in one sentence: its summary, or for an input the question it
/// asks and its default.
pub fn summary(action: &BoundAction) -> Vec<Piece> {
    let def = action.def;
    if def.namespace() == "input" && def.exports() == Exports::Value {
        let prompt = action.params()["prompt"].as_str().unwrap_or("a value");
        let mut pieces = vec![text(&format!("Asks “{prompt}”"))];
        if let Some(default) = action.params()["default"].as_str() {
            pieces.push(text(" (default "));
            pieces.push(code(&template::placeholder(default)));
            pieces.push(text(")"));
        }
        pieces.push(text("; later blocks use the answer as "));
        pieces.push(code(&action.id));
        pieces.push(text("."));
        return pieces;
    }
    backticks(def.summary())
}

/// Text with `code` in backticks, as pieces.
pub fn backticks(text: &str) -> Vec<Piece> {
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| {
            if i % 2 == 1 {
                code(part)
            } else {
                Piece::Text(part.to_string())
            }
        })
        .collect()
}

/// Text from the engine's own descriptions with `code` in backticks, as HTML.
pub fn backticks_to_html(text: &str) -> String {
    to_html(&backticks(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(expr: &str) -> String {
        to_markdown(&condition(expr))
    }

    #[test]
    fn simple_conditions_read_as_words() {
        assert_eq!(md("not me.is_root"), "`me.is_root` is false");
        assert_eq!(md("me.is_root"), "`me.is_root` is true");
        assert_eq!(md("count < 8"), "`count` is less than 8");
        assert_eq!(md("virtual_count >= 1"), "`virtual_count` is at least 1");
        assert_eq!(md("a == 'x' and b != 2"), "`a` is `'x'` and `b` is not 2");
        assert_eq!(md("a or not b"), "`a` is true or `b` is false");
    }

    #[test]
    fn anything_else_is_shown_as_written() {
        assert_eq!(md("(a or b) and c"), "`(a or b) and c` holds");
        assert_eq!(md("x is defined"), "`x is defined` holds");
        assert_eq!(md("name == 'a and b'"), "`name` is `'a and b'`");
    }

    #[test]
    fn lists_join_with_and() {
        let exprs = ["a".to_string(), "b < 2".to_string(), "not c".to_string()];
        assert_eq!(
            to_markdown(&all_of(&exprs)),
            "`a` is true, `b` is less than 2 and `c` is false"
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(code_span("a`b"), "`` a`b ``");
        assert_eq!(escape_markdown("*x* <y> {z}!"), "\\*x\\* \\<y\\> {z}!");
        assert_eq!(
            backticks_to_html("use `{{ ID }}` <b>"),
            "use <code>{{ ID }}</code> &lt;b&gt;"
        );
    }
}
