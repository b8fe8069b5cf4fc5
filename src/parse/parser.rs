//! Markdown → [`Document`]: syntax only. Uses pulldown-cmark's offset iterator so every
//! heading, block, image and action block keeps the exact bytes it came from.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use crate::parse::diagnostic::Diagnostic;
use crate::parse::document::{
    ActionBlock, Attribute, Block, Directive, Document, Heading, Image, Prose, ProseKind, Section,
};
use crate::parse::markdown;
use crate::parse::source::{Source, Span};

/// A document and the syntax problems found while reading it.
#[derive(Debug)]
pub struct Parsed<'s> {
    pub document: Document<'s>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether a fenced block's info string names an action (`namespace.action`), as opposed
/// to a language (`toml`, `sh`) or anything else shown as code.
pub fn is_action_name(word: &str) -> bool {
    let Some(dot) = word.bytes().position(|b| b == b'.') else {
        return false;
    };
    let (namespace, action) = (&word[..dot], &word[dot + 1..]);
    // Bytes rather than chars: every byte of a non-ASCII char fails the test, as the char would.
    let ident = |part: &str| {
        part.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    };
    ident(namespace) && ident(action)
}

enum Item<'s> {
    Heading(Heading),
    Block(Block<'s>),
    Directive(Directive<'s>),
}

/// A top-level HTML block that is a `<!-- runbook … -->` comment, as a directive.
fn directive<'s>(source: &'s Source, span: Span) -> Option<Directive<'s>> {
    let text = source.slice(span);
    let inner = text.trim().strip_prefix("<!--")?.strip_suffix("-->")?;
    let after = inner.trim_start().strip_prefix("runbook")?;
    if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return None;
    }
    let after = after.strip_prefix(':').unwrap_or(after);
    // Where `after` starts and ends in the file.
    let inner_start = span.start + text.find("<!--")? + 4;
    let start = inner_start + (inner.len() - after.len());
    let end = start + after.len();
    Some(Directive {
        body: &source.text()[start..end],
        body_span: Span::new(start, end),
        span,
    })
}

/// What the parser is inside of at the top level.
enum Current {
    None,
    Heading {
        level: u8,
        text: String,
        start: usize,
    },
    Prose {
        kind: ProseKind,
        images: Vec<Image>,
    },
    Fence(Fence),
}

struct Fence {
    range: std::ops::Range<usize>,
    action: bool,
    body: Option<(usize, usize)>,
}

struct ImageInProgress {
    url: String,
    alt: String,
    start: usize,
    end: usize,
}

/// Parse a runbook; for a guide with includes (a source of several files,
/// [`Source::segments`]), every file, with the included sections put in place
/// ([`crate::parse::include::splice`]).
pub fn parse(source: &Source) -> Parsed<'_> {
    if source.segments().is_empty() {
        parse_file(source)
    } else {
        crate::parse::include::splice(source)
    }
}

/// Parse one file's text, includes left as they are written.
pub fn parse_file(source: &Source) -> Parsed<'_> {
    let text = source.text();
    let mut diagnostics = Vec::new();
    if text.trim().is_empty() {
        diagnostics.push(
            Diagnostic::error("empty-runbook", "the runbook is empty")
                .label(Span::point(0), "nothing here")
                .help("start with a title (`# How to …`) and a `##` heading for each step"),
        );
        return Parsed {
            document: Document::default(),
            diagnostics,
        };
    }

    // CommonMark also ends a line at a carriage return alone, but positions (and a fence's
    // closing line) are found by line feeds: such a file would get a false `unclosed-fence`
    // and every position on line 1. Said once, at the first such line.
    if let Some(cr) = bare_cr(text) {
        diagnostics.push(
            Diagnostic::error("bare-cr", "this line ends with a bare carriage return (CR)")
                .label(Span::point(cr), "CR without LF")
                .help("runbook reads LF and CRLF line endings; save the file with LF endings (one that uses CR alone: `tr '\\r' '\\n' < FILE > FIXED.md`)"),
        );
        return Parsed {
            document: Document::default(),
            diagnostics,
        };
    }

    // Headings and blocks go into the tree as they are read, rather than into a list
    // nested afterwards: on a large runbook that list was the biggest allocation of all.
    let mut tree = Tree::default();
    let mut depth = 0usize;
    let mut containers: Vec<&'static str> = Vec::new();
    let mut current = Current::None;
    let mut image: Option<ImageInProgress> = None;

    for (event, range) in Parser::new_ext(text, markdown::options()).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                if depth == 0 {
                    current = match &tag {
                        Tag::Heading { level, .. } => Current::Heading {
                            level: *level as u8,
                            // The text is (almost always) no longer than the heading's source.
                            text: String::with_capacity(range.len()),
                            start: range.start,
                        },
                        Tag::CodeBlock(kind) => {
                            let action = match kind {
                                CodeBlockKind::Fenced(info) => is_action_name(first_word(info)),
                                CodeBlockKind::Indented => false,
                            };
                            Current::Fence(Fence {
                                range: range.clone(),
                                action,
                                body: None,
                            })
                        }
                        other => Current::Prose {
                            kind: prose_kind(other),
                            images: Vec::new(),
                        },
                    };
                } else if let Tag::CodeBlock(CodeBlockKind::Fenced(info)) = &tag {
                    check_fence_closed(source, range.clone(), &mut diagnostics);
                    let name = first_word(info);
                    if is_action_name(name) {
                        let container = containers.last().copied().unwrap_or("another block");
                        let name_span = info_span(source, range.start).0;
                        diagnostics.push(
                            Diagnostic::error(
                                "nested-action",
                                format!("action block `{name}` is nested in a {container}"),
                            )
                            .label(name_span, format!("inside a {container}, so it would never run"))
                            .help("move the block out of the list or quote and start its fence at column 0"),
                        );
                    }
                }
                match &tag {
                    Tag::List(_) => containers.push("list"),
                    Tag::BlockQuote(_) => containers.push("block quote"),
                    Tag::FootnoteDefinition(_) => containers.push("footnote"),
                    Tag::Table(_) => containers.push("table"),
                    Tag::Image { dest_url, .. } => {
                        image = Some(ImageInProgress {
                            url: dest_url.to_string(),
                            alt: String::new(),
                            start: range.start,
                            end: range.end,
                        })
                    }
                    _ => {}
                }
                depth += 1;
            }
            Event::End(tag) => {
                depth -= 1;
                match tag {
                    TagEnd::List(_)
                    | TagEnd::BlockQuote(_)
                    | TagEnd::FootnoteDefinition
                    | TagEnd::Table => {
                        containers.pop();
                    }
                    TagEnd::Image => {
                        if let Some(done) = image.take() {
                            let image = Image {
                                alt: done.alt,
                                url: done.url,
                                span: Span::new(done.start, done.end),
                            };
                            if let Current::Prose { images, .. } = &mut current {
                                images.push(image);
                            }
                        }
                    }
                    _ => {}
                }
                if depth == 0 {
                    let finished = std::mem::replace(&mut current, Current::None);
                    if let Some(item) = finish(source, finished, range, &mut diagnostics) {
                        tree.push(item);
                    }
                }
            }
            Event::Text(fragment) | Event::Code(fragment) => {
                if let Some(image) = &mut image {
                    image.alt.push_str(&fragment);
                } else if let Current::Heading { text, .. } = &mut current {
                    text.push_str(&fragment);
                } else if let Current::Fence(fence) = &mut current {
                    let (start, end) = fence.body.unwrap_or((range.start, range.end));
                    fence.body = Some((start.min(range.start), end.max(range.end)));
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Current::Heading { text, .. } = &mut current {
                    text.push(' ');
                }
            }
            Event::Rule if depth == 0 => tree.push(Item::Block(Block::Prose(Prose {
                kind: ProseKind::Rule,
                span: range.into(),
                images: Vec::new(),
            }))),
            _ => {}
        }
    }

    let document = tree.finish(source, &mut diagnostics);
    Parsed {
        document,
        diagnostics,
    }
}

fn finish<'s>(
    source: &'s Source,
    current: Current,
    range: std::ops::Range<usize>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Item<'s>> {
    match current {
        Current::None => None,
        Current::Heading { level, text, start } => Some(Item::Heading(Heading {
            level,
            text: trim(text),
            span: Span::new(start, trim_end(source, range.end)),
        })),
        Current::Prose { kind, images } => {
            let span = Span::new(range.start, trim_end(source, range.end));
            if kind == ProseKind::Html
                && let Some(directive) = directive(source, span)
            {
                return Some(Item::Directive(directive));
            }
            Some(Item::Block(Block::Prose(Prose { kind, span, images })))
        }
        Current::Fence(fence) => {
            let span = Span::new(fence.range.start, trim_end(source, fence.range.end));
            let closed = check_fence_closed(source, fence.range.clone(), diagnostics);
            if !fence.action {
                return Some(Item::Block(Block::Prose(Prose {
                    kind: ProseKind::Code,
                    span,
                    images: Vec::new(),
                })));
            }
            // `Source::line_start`, found by looking back from the fence rather than by a
            // binary search over every line of a large file.
            let line_start = source.text()[..fence.range.start]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let column = fence.range.start - line_start;
            let (info, info_start) = info_span(source, fence.range.start);
            let mut tokens = tokens(source.slice(info), info_start);
            let (name, name_span) = tokens.next().unwrap_or_default();
            if column > 0 {
                diagnostics.push(
                    Diagnostic::error(
                        "indented-action",
                        format!("action block `{name}` must start at column 0"),
                    )
                    .label(Span::new(line_start, name_span.end), "indented fence")
                    .help("remove the spaces before the opening fence"),
                );
                return None;
            }
            if !closed {
                return None;
            }
            // Exactly as many as there are: a document holds one list per action.
            let mut attributes = Vec::with_capacity(tokens.clone().count());
            attributes.extend(tokens.map(|(token, span)| match token.split_once('=') {
                Some((key, value)) => Attribute {
                    key,
                    value: Some(value),
                    span,
                },
                None => Attribute {
                    key: token,
                    value: None,
                    span,
                },
            }));
            let body_start = source.text()[info.end..]
                .find('\n')
                .map_or(source.text().len(), |i| info.end + i + 1);
            let body_span = match fence.body {
                Some((start, end)) => Span::new(start, end),
                None => Span::point(body_start),
            };
            Some(Item::Block(Block::Action(ActionBlock {
                name,
                name_span,
                attributes,
                body: source.slice(body_span),
                body_span,
                span,
            })))
        }
    }
}

/// `text.trim()`, in place.
fn trim(mut text: String) -> String {
    let end = text.trim_end().len();
    text.truncate(end);
    let start = text.len() - text.trim_start().len();
    text.drain(..start);
    text
}

/// Report a fenced block that runs to the end of the file. Returns whether it is closed.
fn check_fence_closed(
    source: &Source,
    range: std::ops::Range<usize>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let block = &source.text()[range.clone()];
    let opening = block.split('\n').next().unwrap_or("").trim_start();
    let fence_char = opening.chars().next().unwrap_or('`');
    let fence_len = opening.len() - opening.trim_start_matches(fence_char).len();
    // The block has a second line (as `str::lines` counts them: a final newline ends the
    // last line rather than starting another), and its last line is a closing fence.
    let unterminated = block.strip_suffix('\n').unwrap_or(block);
    let closed = unterminated.rfind('\n').is_some_and(|newline| {
        // Inside a block quote every line keeps its `>` markers.
        let last = unterminated[newline + 1..]
            .trim_start_matches(|c: char| c == '>' || c.is_whitespace())
            .trim_end();
        last.len() >= fence_len && last.chars().all(|c| c == fence_char)
    });
    if !closed {
        let line_end = block.find('\n').map_or(range.end, |i| range.start + i);
        let fence = fence_char.to_string().repeat(fence_len);
        diagnostics.push(
            Diagnostic::error("unclosed-fence", "this code fence is never closed")
                .label(
                    Span::new(range.start, line_end),
                    "opened here, runs to the end of the file",
                )
                .help(format!(
                    "add a closing line of {fence} where the block ends"
                )),
        );
    }
    closed
}

/// Where the first carriage return not followed by a line feed is.
fn bare_cr(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    text.match_indices('\r')
        .map(|(i, _)| i)
        .find(|&i| bytes.get(i + 1) != Some(&b'\n'))
}

/// The span of the info string on a fence's first line, and where it starts.
fn info_span(source: &Source, fence_start: usize) -> (Span, usize) {
    let text = source.text();
    let line_end = text[fence_start..]
        .find('\n')
        .map_or(text.len(), |i| fence_start + i);
    let line = &text[fence_start..line_end];
    let indent = line.len() - line.trim_start().len();
    let after_indent = &line[indent..];
    let fence_char = after_indent.chars().next().unwrap_or('`');
    let fence_len = after_indent.len() - after_indent.trim_start_matches(fence_char).len();
    let rest = &after_indent[fence_len..];
    let lead = rest.len() - rest.trim_start().len();
    let start = fence_start + indent + fence_len + lead;
    let end = fence_start + line.trim_end().len();
    let span = Span::new(start, end.max(start));
    (span, start)
}

/// Whitespace-separated words with their file spans.
fn tokens(text: &str, offset: usize) -> impl Iterator<Item = (&str, Span)> + Clone {
    let mut rest = text;
    std::iter::from_fn(move || {
        let word = trim_start(rest);
        if word.is_empty() {
            return None;
        }
        let len = word_len(word);
        let start = text.len() - word.len();
        rest = &word[len..];
        Some((
            &word[..len],
            Span::new(offset + start, offset + start + len),
        ))
    })
}

fn first_word(info: &str) -> &str {
    let info = trim_start(info);
    &info[..word_len(info)]
}

/// `str::trim_start`, quicker on ASCII.
fn trim_start(text: &str) -> &str {
    let ascii = text
        .bytes()
        .take_while(|&b| matches!(b, b' ' | b'\t'..=b'\r'))
        .count();
    // A non-ASCII character may be whitespace too.
    text[ascii..].trim_start()
}

/// The length of `text` up to its first whitespace (`char::is_whitespace`), quicker on ASCII.
fn word_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii() {
            if matches!(b, b' ' | b'\t'..=b'\r') {
                return i;
            }
            i += 1;
        } else {
            let c = text[i..].chars().next().expect("a char starts here");
            if c.is_whitespace() {
                return i;
            }
            i += c.len_utf8();
        }
    }
    i
}

/// Block ranges from pulldown-cmark include the trailing newline; spans end before it.
fn trim_end(source: &Source, end: usize) -> usize {
    let text = &source.text()[..end];
    text.trim_end_matches(['\n', '\r']).len()
}

fn prose_kind(tag: &Tag<'_>) -> ProseKind {
    match tag {
        Tag::Paragraph => ProseKind::Paragraph,
        Tag::List(_) => ProseKind::List,
        Tag::BlockQuote(_) => ProseKind::Quote,
        Tag::Table(_) => ProseKind::Table,
        Tag::HtmlBlock => ProseKind::Html,
        _ => ProseKind::Other,
    }
}

/// Nests headings and blocks into sections, in document order.
#[derive(Default)]
struct Tree<'s> {
    document: Document<'s>,
    stack: Vec<Section<'s>>,
    /// The blocks of the innermost open section so far, moved into it when its blocks are
    /// complete (at the next heading): one allocation per section rather than a list grown
    /// block by block.
    blocks: Vec<Block<'s>>,
    /// Problems with the headings, reported after every other syntax problem.
    diagnostics: Vec<Diagnostic>,
}

impl<'s> Tree<'s> {
    fn flush(&mut self) {
        if let Some(section) = self.stack.last_mut() {
            section.blocks.append(&mut self.blocks);
        }
    }

    fn close(&mut self, end: usize) {
        let mut section = self.stack.pop().expect("close on an empty stack");
        section.span.end = end;
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(section),
            None => self.document.sections.push(section),
        }
    }

    fn push(&mut self, item: Item<'s>) {
        let document = &mut self.document;
        if let Item::Block(Block::Action(_)) = item {
            document.action_blocks += 1;
        }
        match item {
            Item::Heading(heading) if heading.level == 1 && document.title.is_none() => {
                if let Some(first) = self.stack.first() {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "title-not-first",
                            "the title must come before the first section",
                        )
                        .label(heading.span, "title")
                        .secondary(first.heading.span, "first section"),
                    );
                }
                document.title = Some(heading);
            }
            Item::Heading(mut heading) => {
                if heading.level == 1 {
                    let title = document.title.as_ref().map(|t| t.span).unwrap_or_default();
                    self.diagnostics.push(
                        Diagnostic::error(
                            "second-title",
                            "a runbook has one title; this is a second `#` heading",
                        )
                        .label(heading.span, "second title")
                        .secondary(title, "the title")
                        .help("use `##` for parts and steps"),
                    );
                    heading.level = 2;
                }
                self.flush();
                while self
                    .stack
                    .last()
                    .is_some_and(|top| top.heading.level >= heading.level)
                {
                    self.close(heading.span.start);
                }
                self.stack.push(Section {
                    span: heading.span,
                    heading,
                    blocks: Vec::new(),
                    directives: Vec::new(),
                    children: Vec::new(),
                    origin: None,
                });
            }
            // A block belongs to the innermost open section (text after a sub-section that
            // the next heading didn't close can't happen).
            Item::Block(block) if self.stack.is_empty() => document.intro.push(block),
            Item::Block(block) => self.blocks.push(block),
            Item::Directive(directive) => match self.stack.last_mut() {
                Some(section) => section.directives.push(directive),
                None => document.stray_directives.push(directive),
            },
        }
    }

    /// The document, once every item is in; its heading problems go after `diagnostics`.
    fn finish(mut self, source: &Source, diagnostics: &mut Vec<Diagnostic>) -> Document<'s> {
        self.flush();
        while !self.stack.is_empty() {
            self.close(source.text().len());
        }
        diagnostics.append(&mut self.diagnostics);
        let document = self.document;
        if document.title.is_none() {
            let span = document
                .sections
                .first()
                .map_or(Span::point(0), |s| s.heading.span);
            diagnostics.push(
                Diagnostic::error("missing-title", "the runbook has no title")
                    .label(span, "expected a `# Title` heading before this")
                    .help("add a first line like `# AWS MFA setup`"),
            );
        }
        document
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The source lives as long as the test: the document borrows from it.
    fn parse_str(text: &str) -> Parsed<'static> {
        parse(Box::leak(Box::new(Source::new("t.md", text))))
    }

    #[test]
    fn action_names_need_a_namespace() {
        assert!(is_action_name("iam.enable-mfa-device"));
        assert!(is_action_name("totp.read-code"));
        assert!(!is_action_name("toml"));
        assert!(!is_action_name(".x"));
        assert!(!is_action_name("x."));
        assert!(!is_action_name("a/b.c"));
    }

    #[test]
    fn tokens_split_on_any_whitespace() {
        for text in [
            "",
            "  ",
            "iam.x id=a confirm",
            "\u{b}a\u{a0}b\u{3000}c\td\r\n",
            "é\u{2028}ü  x",
            "a\u{85}b",
        ] {
            let words: Vec<(&str, Span)> = tokens(text, 7).collect();
            let expected: Vec<&str> = text.split_whitespace().collect();
            assert_eq!(words.iter().map(|(w, _)| *w).collect::<Vec<_>>(), expected);
            for (word, span) in words {
                assert_eq!(&text[span.start - 7..span.end - 7], word);
            }
            assert_eq!(first_word(text), expected.first().copied().unwrap_or(""));
            assert_eq!(trim_start(text), text.trim_start());
        }
    }

    /// LF and CRLF files read the same; a CR alone is reported once, where it is, and
    /// nothing else is (no false `unclosed-fence`).
    #[test]
    fn line_endings() {
        let lf = "# T\n\n## S\n\n```iam.list-mfa-devices id=x\nuser = \"bob\"\n```\n";
        let crlf = lf.replace('\n', "\r\n");
        let (a, b) = (parse_str(lf), parse_str(&crlf));
        assert!(a.diagnostics.is_empty() && b.diagnostics.is_empty());
        assert_eq!(a.document.sections.len(), b.document.sections.len());
        let Block::Action(action) = &b.document.sections[0].blocks[0] else {
            panic!("not an action block");
        };
        assert_eq!(action.body.trim_end(), "user = \"bob\"");

        let mixed = crlf.replacen("\r\n", "\r", 3);
        let parsed = parse_str(&mixed);
        let codes: Vec<_> = parsed.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["bare-cr"]);
        let at = parsed.diagnostics[0].primary.as_ref().unwrap().span.start;
        assert_eq!(at, 3, "the CR after `# T`");
        assert!(parse_str(&lf.replace('\n', "\r")).diagnostics[0].code == "bare-cr");
    }

    #[test]
    fn sections_nest_by_level() {
        let parsed =
            parse_str("# T\n\nintro\n\n## A\n\n### One\n\ntext\n\n### Two\n\n## B\n\nbody\n");
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let doc = parsed.document;
        assert_eq!(doc.title.unwrap().text, "T");
        assert_eq!(doc.intro.len(), 1);
        assert_eq!(doc.sections.len(), 2);
        assert_eq!(doc.sections[0].children.len(), 2);
        assert_eq!(doc.sections[0].children[0].heading.text, "One");
        assert!(doc.sections[1].is_leaf());
    }

    #[test]
    fn action_block_keeps_exact_spans() {
        let text = "# T\n\n## S\n\n```iam.list-mfa-devices id=x confirm\nuser = \"bob\"\n```\n";
        let parsed = parse_str(text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let Block::Action(action) = &parsed.document.sections[0].blocks[0] else {
            panic!("not an action block");
        };
        assert_eq!(&text[action.name_span.range()], "iam.list-mfa-devices");
        assert_eq!(action.attributes.len(), 2);
        assert_eq!(&text[action.attributes[0].span.range()], "id=x");
        assert_eq!(action.attributes[1].key, "confirm");
        assert_eq!(action.body, "user = \"bob\"\n");
        assert_eq!(&text[action.body_span.range()], action.body);
    }

    #[test]
    fn images_are_collected_with_alt_text() {
        let parsed = parse_str("# T\n\n## S\n\n![An *alt* text](images2/a.png)\n");
        let Block::Prose(prose) = &parsed.document.sections[0].blocks[0] else {
            panic!("not prose");
        };
        assert_eq!(prose.images[0].alt, "An alt text");
        assert_eq!(prose.images[0].url, "images2/a.png");
    }

    #[test]
    fn ordinary_code_is_prose() {
        let parsed = parse_str("# T\n\n## S\n\n```toml\na = 1\n```\n");
        assert!(
            matches!(&parsed.document.sections[0].blocks[0], Block::Prose(p) if p.kind == ProseKind::Code)
        );
    }

    #[test]
    fn empty_body_gets_a_point_span() {
        let text = "# T\n\n## S\n\n```sts.get-caller-identity id=me\n```\n";
        let parsed = parse_str(text);
        let Block::Action(action) = &parsed.document.sections[0].blocks[0] else {
            panic!("not an action block");
        };
        assert_eq!(action.body, "");
        assert_eq!(action.body_span.start, text.find("```\n").unwrap());
    }
}
