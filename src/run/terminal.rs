//! A step's prose for the terminal: headings, lists, emphasis, quotes and code, with
//! images shown as their caption and path, links as their text and URL, tables as aligned
//! columns, and paragraphs wrapped at word boundaries to the terminal's width. Action
//! blocks are not shown: they run.

use anstyle::{Effects, Style};
use pulldown_cmark::{Alignment, Event, HeadingLevel, Parser, Tag, TagEnd};
use textwrap::core::display_width;

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
/// With a `width` (a terminal's columns), text is wrapped at word boundaries to fit it.
pub fn step_prose(source: &Source, prose: &[Span], width: Option<usize>) -> String {
    let mut out = String::new();
    for span in prose {
        out.push_str(&markdown_to_terminal(source.slice(*span), width));
        out.push('\n');
    }
    out
}

/// One prose block's text (its references already filled in, [`crate::run::prose::fill`])
/// as styled terminal text, as [`step_prose`] shows each block.
pub fn prose_block(text: &str, width: Option<usize>) -> String {
    markdown_to_terminal(text, width) + "\n"
}

/// A line of text that may be wrapped: where it starts in the output, where its words
/// start (after a quote bar, an indent, a bullet), and what goes before each further line.
struct Wrappable {
    line: usize,
    words: usize,
    hang: String,
}

/// A table being read: its columns' alignments, the rows so far (each cell's styled
/// text), the row being read, and where the current cell's text starts in the output.
struct Table {
    alignments: Vec<Alignment>,
    rows: Vec<Vec<String>>,
    row: Vec<String>,
    cell: usize,
}

/// Where the line being written starts in `out`.
fn current_line(out: &str) -> usize {
    out.rfind('\n').map_or(0, |i| i + 1)
}

/// What goes before the continuation lines of a line written so far: its quote bars,
/// then spaces as wide as the rest of its prefix (indent, bullet or number).
fn hang_for(out: &str, quote: usize) -> Wrappable {
    let line = current_line(out);
    let bars = quote.min(markdown::MAX_SHOWN_DEPTH);
    let prefix = display_width(&out[line..]);
    Wrappable {
        line,
        words: out.len(),
        hang: "│ ".repeat(bars) + &" ".repeat(prefix.saturating_sub(2 * bars)),
    }
}

/// Render a Markdown fragment for a terminal, wrapped to `width` columns if given.
pub fn markdown_to_terminal(text: &str, width: Option<usize>) -> String {
    let mut wrappable: Vec<Wrappable> = Vec::new();
    let mut links: Vec<(usize, String)> = Vec::new();
    let mut table: Option<Table> = None;
    // The hang of the block being written, for its hard line breaks.
    let mut hang = String::new();
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
                let line = hang_for(&out, quote);
                hang.clone_from(&line.hang);
                wrappable.push(line);
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
                if lists.is_empty() && table.is_none() {
                    line_start(&mut out, quote);
                    let line = hang_for(&out, quote);
                    hang.clone_from(&line.hang);
                    wrappable.push(line);
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
                if depth < markdown::MAX_SHOWN_DEPTH {
                    let line = hang_for(&out, quote);
                    hang.clone_from(&line.hang);
                    wrappable.push(line);
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
            Event::HardBreak => {
                line_start(&mut out, 0);
                out.push_str(&hang);
                wrappable.push(Wrappable {
                    line: current_line(&out),
                    words: out.len(),
                    hang: hang.clone(),
                });
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                links.push((out.len(), dest_url.into_string()));
            }
            Event::End(TagEnd::Link) => {
                if let Some((start, url)) = links.pop() {
                    let shown = anstream::adapter::strip_str(&out[start..]).to_string();
                    let url_shown = escape(&url);
                    let same = shown.trim() == url_shown
                        || url.strip_prefix("mailto:") == Some(shown.trim());
                    if !url.is_empty() && !same {
                        out.push_str(&format!(" ({url_shown})"));
                    }
                }
            }
            Event::Start(Tag::Table(alignments)) => {
                block_start(&mut out, &mut blank, &lists, quote);
                table = Some(Table {
                    alignments,
                    rows: Vec::new(),
                    row: Vec::new(),
                    cell: out.len(),
                });
            }
            Event::Start(Tag::TableCell) => {
                if let Some(table) = &mut table {
                    table.cell = out.len();
                }
            }
            Event::End(TagEnd::TableCell) => {
                if let Some(table) = &mut table {
                    let cell = out.split_off(table.cell.min(out.len()));
                    table.row.push(cell);
                }
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                if let Some(table) = &mut table {
                    let row = std::mem::take(&mut table.row);
                    table.rows.push(row);
                }
            }
            Event::End(TagEnd::Table) => {
                if let Some(table) = table.take() {
                    for line in table_lines(&table) {
                        line_start(&mut out, quote);
                        out.push_str(&line);
                        out.push('\n');
                    }
                }
                blank = top;
            }
            Event::Rule => {
                block_start(&mut out, &mut blank, &lists, quote);
                line_start(&mut out, quote);
                out.push_str("────────\n");
                blank = top;
            }
            _ => {}
        }
    }
    if let Some(width) = width {
        out = wrap(&out, &wrappable, width);
    }
    let trimmed = out.trim_end_matches('\n').to_string();
    trimmed + "\n"
}

/// Rows (the first one the header) as aligned columns under a rule, as a guide's
/// Markdown tables are shown: the run's list of findings. Cells are shown as given.
pub fn columns(rows: Vec<Vec<String>>) -> Vec<String> {
    table_lines(&Table {
        alignments: Vec::new(),
        rows,
        row: Vec::new(),
        cell: 0,
    })
}

/// A table as lines: each column as wide as its widest cell (in columns, styles not
/// counted), two spaces between columns, a rule under the header row.
fn table_lines(table: &Table) -> Vec<String> {
    let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in &table.rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(display_width(cell));
        }
    }
    let mut lines = Vec::with_capacity(table.rows.len() + 1);
    for (index, row) in table.rows.iter().enumerate() {
        let mut line = String::new();
        for (i, width) in widths.iter().enumerate() {
            let cell = row.get(i).map_or("", String::as_str);
            let pad = width - display_width(cell);
            let (before, after) = match table.alignments.get(i) {
                Some(Alignment::Right) => (pad, 0),
                Some(Alignment::Center) => (pad / 2, pad - pad / 2),
                _ => (0, pad),
            };
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(&" ".repeat(before));
            line.push_str(cell);
            line.push_str(&" ".repeat(after));
        }
        lines.push(line.trim_end().to_string());
        if index == 0 {
            let rule: Vec<String> = widths.iter().map(|&w| "─".repeat(w)).collect();
            lines.push(rule.join("  "));
        }
    }
    lines
}

/// `out` with each wrappable line broken at spaces to fit `width` columns (styles not
/// counted); a word longer than a line is left whole rather than cut. Other lines (code,
/// tables, rules) are left as they are.
fn wrap(out: &str, wrappable: &[Wrappable], width: usize) -> String {
    let mut wrapped = String::with_capacity(out.len() + out.len() / 16);
    let mut next = wrappable.iter().peekable();
    let mut start = 0;
    for line in out.split_inclusive('\n') {
        let end = start + line.len();
        // Skip records of lines that ended up empty or merged (no text after them).
        while next.peek().is_some_and(|w| w.line < start) {
            next.next();
        }
        match next.peek() {
            Some(record) if record.line == start && record.words <= end => {
                let (text, newline) = match line.strip_suffix('\n') {
                    Some(text) => (text, "\n"),
                    None => (line, ""),
                };
                let split = (record.words - start).min(text.len());
                let (prefix, words) = text.split_at(split);
                if words.trim().is_empty() {
                    wrapped.push_str(line);
                    next.next();
                    start = end;
                    continue;
                }
                let options = textwrap::Options::new(width.max(1))
                    .initial_indent(prefix)
                    .subsequent_indent(&record.hang)
                    .break_words(false)
                    .word_separator(textwrap::WordSeparator::AsciiSpace)
                    .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
                let lines = textwrap::wrap(words, options);
                wrapped.push_str(&lines.join("\n"));
                wrapped.push_str(newline);
                next.next();
            }
            _ => wrapped.push_str(line),
        }
        start = end;
    }
    wrapped
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
        let styled = markdown_to_terminal(text, None);
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
        let styled = markdown_to_terminal(text, None);
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
    fn tables_are_aligned_columns() {
        let text = "| Kind | Serial number |\n|---|---|\n| virtual | `arn:aws:iam::1:mfa/duo` |\n| security key | arn:aws:iam::1:u2f/x |\n";
        assert_eq!(
            plain(text),
            "Kind          Serial number\n\
             ────────────  ──────────────────────\n\
             virtual       arn:aws:iam::1:mfa/duo\n\
             security key  arn:aws:iam::1:u2f/x\n"
        );
        let right = "| n | name |\n|--:|:-:|\n| 1 | a |\n| 100 | bcd |\n";
        assert_eq!(plain(right), "  n  name\n───  ────\n  1   a\n100  bcd\n");
        // Text around a table keeps its blank lines; the table's own styles count for nothing.
        assert_eq!(
            plain("Before.\n\n| **a** | b |\n|---|---|\n| c | d |\n\nAfter.\n"),
            "Before.\n\na  b\n─  ─\nc  d\n\nAfter.\n"
        );
    }

    #[test]
    fn links_show_their_url_unless_it_is_their_text() {
        assert_eq!(
            plain("Open [the IAM console](https://console.aws.amazon.com/iam/).\n"),
            "Open the IAM console (https://console.aws.amazon.com/iam/).\n"
        );
        assert_eq!(
            plain("See <https://example.com/a> or <ops@example.com>.\n"),
            "See https://example.com/a or ops@example.com.\n"
        );
        assert_eq!(
            plain("[docs][d]\n\n[d]: https://docs.example/x\n"),
            "docs (https://docs.example/x)\n"
        );
        let hostile = markdown_to_terminal("[x](https://e.example/\u{1b}]0;t\u{7})\n", None);
        let hostile = anstream::adapter::strip_str(&hostile).to_string();
        assert!(
            !hostile.chars().any(crate::sanitize::is_unsafe),
            "{hostile:?}"
        );
    }

    fn wrapped(text: &str, width: usize) -> String {
        let styled = markdown_to_terminal(text, Some(width));
        anstream::adapter::strip_str(&styled).to_string()
    }

    #[test]
    fn prose_wraps_at_word_boundaries_to_the_width() {
        let text = "Sign in to the **AWS Management Console** and open the `IAM` console at its usual address.\n";
        let out = wrapped(text, 24);
        for line in out.lines() {
            assert!(line.chars().count() <= 24, "{line:?} in\n{out}");
        }
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(words(&out), words(&plain(text)), "{out}");
        assert!(out.lines().count() >= 4, "{out}");
        // Without a width nothing is wrapped.
        assert_eq!(plain(text).lines().count(), 1);
        // Styles do not count: the bold words fit as if they were plain.
        assert_eq!(wrapped("**aaaa bbbb**\n", 9), "aaaa bbbb\n");
    }

    #[test]
    fn wrapped_lines_keep_their_place_in_lists_and_quotes() {
        assert_eq!(
            wrapped("1. one two three four\n   - five six seven\n", 14),
            "1. one two\n   three four\n   • five six\n     seven\n"
        );
        assert_eq!(
            wrapped("> one two three four\n", 12),
            "│ one two\n│ three four\n"
        );
        // A word longer than the line is left whole, code and tables are not wrapped.
        assert_eq!(
            wrapped("see https://example.com/very/long/path now\n", 10),
            "see\nhttps://example.com/very/long/path\nnow\n"
        );
        assert_eq!(
            wrapped("```\nlong code line here\n```\n", 8),
            "    long code line here\n"
        );
        assert_eq!(
            wrapped("| aaa | bbb |\n|---|---|\n| c | d |\n", 5),
            "aaa  bbb\n───  ───\nc    d\n"
        );
    }

    #[test]
    fn styles_are_ansi_until_stripped() {
        assert!(markdown_to_terminal("**bold**", None).contains("\u{1b}["));
    }
}
