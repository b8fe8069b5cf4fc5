//! A step's prose for the terminal: headings, lists, emphasis, quotes and code, with
//! images shown as their caption and path. Action blocks are not shown: they run.

use anstyle::{Effects, Style};
use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::parse::markdown;
use crate::parse::source::{Source, Span};
use crate::sanitize::escape;

const BOLD: Style = Style::new().effects(Effects::BOLD);
const ITALIC: Style = Style::new().effects(Effects::ITALIC);
const CODE: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(anstyle::AnsiColor::Cyan)));
const DIM: Style = Style::new().effects(Effects::DIMMED);

/// A step's prose blocks (not its action blocks), as styled terminal text. Styles are
/// ANSI escapes; the writer strips them when colours are off. The runbook's own text is
/// escaped ([`crate::sanitize::escape`]): only our styles reach the terminal as escapes.
pub fn step_prose(source: &Source, prose: &[Span]) -> String {
    let mut out = String::new();
    for span in prose {
        out.push_str(&markdown_to_terminal(source.slice(*span)));
        out.push('\n');
    }
    out
}

/// One prose block's text (its references already filled in, [`crate::run::prose::fill`])
/// as styled terminal text, as [`step_prose`] shows each block.
pub fn prose_block(text: &str) -> String {
    markdown_to_terminal(text) + "\n"
}

/// Render a Markdown fragment for a terminal.
pub fn markdown_to_terminal(text: &str) -> String {
    let mut out = String::new();
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut quote = 0usize;
    let mut styles: Vec<Style> = Vec::new();
    let mut image_url = String::new();
    let mut code_block = false;
    // A blank line goes between top-level blocks.
    let mut blank = false;
    let line_start = |out: &mut String, quote: usize| {
        if !out.ends_with('\n') && !out.is_empty() {
            out.push('\n');
        }
        // Deeper quotes are shown at the deepest shown level.
        for _ in 0..quote.min(markdown::MAX_SHOWN_DEPTH) {
            out.push_str("│ ");
        }
    };
    fn block_start(out: &mut String, blank: &mut bool, lists: &[Option<u64>], quote: usize) {
        if lists.is_empty() && quote == 0 && std::mem::take(blank) {
            out.push('\n');
        }
    }
    for event in Parser::new_ext(text, markdown::options()) {
        let top = lists.is_empty() && quote == 0;
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                block_start(&mut out, &mut blank, &lists, quote);
                line_start(&mut out, quote);
                let style = if level <= HeadingLevel::H2 {
                    BOLD.underline()
                } else {
                    BOLD
                };
                styles.push(style);
                out.push_str(&style.render().to_string());
            }
            Event::End(TagEnd::Heading(_)) => {
                styles.pop();
                out.push_str(&anstyle::Reset.render().to_string());
                out.push('\n');
                blank = top;
            }
            Event::Start(Tag::Paragraph) => {
                block_start(&mut out, &mut blank, &lists, quote);
                if lists.is_empty() {
                    line_start(&mut out, quote);
                }
            }
            Event::End(TagEnd::Paragraph) => {
                if lists.is_empty() {
                    out.push('\n');
                }
                blank = top;
            }
            Event::Start(Tag::List(start)) => {
                block_start(&mut out, &mut blank, &lists, quote);
                lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                if lists.is_empty() {
                    line_start(&mut out, 0);
                    blank = quote == 0;
                }
            }
            Event::Start(Tag::Item) => {
                let depth = lists.len().saturating_sub(1);
                if depth < markdown::MAX_SHOWN_DEPTH {
                    line_start(&mut out, quote);
                    out.push_str(&"   ".repeat(depth));
                } else {
                    // Deeper lists are shown flat: their items follow on the same line.
                    out.push(' ');
                }
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("• "),
                }
            }
            Event::Start(Tag::BlockQuote(_)) => {
                block_start(&mut out, &mut blank, &lists, quote);
                quote += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                quote = quote.saturating_sub(1);
                blank = lists.is_empty() && quote == 0;
            }
            Event::Start(Tag::CodeBlock(_)) => {
                block_start(&mut out, &mut blank, &lists, quote);
                code_block = true;
                line_start(&mut out, 0);
            }
            Event::End(TagEnd::CodeBlock) => {
                code_block = false;
                blank = top;
            }
            Event::Start(Tag::Strong) => push_style(&mut out, &mut styles, BOLD),
            Event::Start(Tag::Emphasis) => push_style(&mut out, &mut styles, ITALIC),
            Event::End(TagEnd::Strong | TagEnd::Emphasis) => pop_style(&mut out, &mut styles),
            Event::Start(Tag::Image { dest_url, .. }) => {
                image_url = escape(&dest_url).into_owned();
                out.push_str(&DIM.render().to_string());
                out.push_str("[figure: ");
            }
            Event::End(TagEnd::Image) => {
                out.push_str(&format!(" — {image_url}]"));
                out.push_str(&anstyle::Reset.render().to_string());
                reapply(&mut out, &styles);
            }
            Event::Text(text) => {
                if code_block {
                    for line in text.lines() {
                        out.push_str("    ");
                        out.push_str(&CODE.render().to_string());
                        out.push_str(&escape(line));
                        out.push_str(&anstyle::Reset.render().to_string());
                        out.push('\n');
                    }
                } else {
                    out.push_str(&escape(&text));
                }
            }
            Event::Code(code) => {
                out.push_str(&CODE.render().to_string());
                out.push_str(&escape(&code));
                out.push_str(&anstyle::Reset.render().to_string());
                reapply(&mut out, &styles);
            }
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => line_start(&mut out, quote),
            Event::Rule => {
                block_start(&mut out, &mut blank, &lists, quote);
                line_start(&mut out, quote);
                out.push_str("────────\n");
                blank = top;
            }
            _ => {}
        }
    }
    let trimmed = out.trim_end_matches('\n').to_string();
    trimmed + "\n"
}

fn push_style(out: &mut String, styles: &mut Vec<Style>, style: Style) {
    styles.push(style);
    out.push_str(&style.render().to_string());
}

fn pop_style(out: &mut String, styles: &mut Vec<Style>) {
    styles.pop();
    out.push_str(&anstyle::Reset.render().to_string());
    reapply(out, styles);
}

/// The open styles again after a reset, as one escape: however deep emphasis nests, each
/// reset costs the same (one escape per open style made nested emphasis around many code
/// spans quadratic).
fn reapply(out: &mut String, styles: &[Style]) {
    if styles.is_empty() {
        return;
    }
    let combined = styles.iter().fold(Style::new(), |all, style| {
        let all = all.effects(all.get_effects() | style.get_effects());
        match style.get_fg_color() {
            Some(color) => all.fg_color(Some(color)),
            None => all,
        }
    });
    out.push_str(&combined.render().to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> String {
        let styled = markdown_to_terminal(text);
        anstream::adapter::strip_str(&styled).to_string()
    }

    #[test]
    fn lists_emphasis_and_images() {
        let text = "1. Sign in to the **AWS Management Console**.\n2. Click *Assign MFA*.\n\n![QR code and codes](images2/step7.png)\n";
        assert_eq!(
            plain(text),
            "1. Sign in to the AWS Management Console.\n2. Click Assign MFA.\n\n[figure: QR code and codes — images2/step7.png]\n"
        );
    }

    #[test]
    fn quotes_and_bullets() {
        assert_eq!(
            plain("> **Tip:** register two keys.\n"),
            "│ Tip: register two keys.\n"
        );
        assert_eq!(plain("- one\n- two\n"), "• one\n• two\n");
    }

    /// Deep nesting is shown flat beyond `MAX_SHOWN_DEPTH`: the output stays a small
    /// multiple of the input (a 16 KB list indented level by level was 96 MB).
    #[test]
    fn deep_nesting_stays_proportional() {
        let list = format!("{}x\n", "- ".repeat(8_000));
        let out = plain(&list);
        assert!(
            out.len() < 4 * list.len(),
            "{} bytes for {}",
            out.len(),
            list.len()
        );
        assert_eq!(out.lines().count(), markdown::MAX_SHOWN_DEPTH);
        assert!(
            out.trim_end().ends_with("• x"),
            "{}",
            &out[out.len() - 20..]
        );
        let quote = format!("{}a  \nb  \nc\n", "> ".repeat(10_000));
        let out = plain(&quote);
        assert!(
            out.len() < 2 * quote.len(),
            "{} bytes for {}",
            out.len(),
            quote.len()
        );
        // Shallow nesting is shown as before.
        assert_eq!(plain("- a\n  - b\n"), "• a\n   • b\n");
        assert_eq!(plain("> > a\n"), "│ │ a\n");
    }

    #[test]
    fn the_runbooks_own_escapes_are_shown_not_obeyed() {
        let text = "# Head\u{1b}]0;title\u{7}\n\nClick \u{1b}]8;;http://evil.example/\u{7}here\u{1b}]8;;\u{7}, `\u{9b}2J`, **\u{202e}bold**\n\n```\n\u{1b}[2J\n```\n\n![a](x\u{1b}.png)\n";
        let styled = markdown_to_terminal(text);
        let plain = anstream::adapter::strip_str(&styled).to_string();
        // Stripping our styles leaves no escape at all: every one left is ours.
        assert!(!plain.chars().any(crate::sanitize::is_unsafe), "{plain:?}");
        assert!(plain.contains("Head\\x1b]0;title\\x07"), "{plain}");
        assert!(
            plain.contains("Click \\x1b]8;;http://evil.example/\\x07here\\x1b]8;;\\x07"),
            "{plain}"
        );
        assert!(plain.contains("\\u{9b}2J"), "{plain}");
        assert!(plain.contains("\\u{202e}bold"), "{plain}");
        assert!(plain.contains("    \\x1b[2J"), "{plain}");
        assert!(plain.contains("x\\x1b.png"), "{plain}");
    }

    #[test]
    fn styles_are_ansi_until_stripped() {
        assert!(markdown_to_terminal("**bold**").contains("\u{1b}["));
    }
}
