//! Markdown → [`Document`]: syntax only. Uses pulldown-cmark's offset iterator so every
//! heading, block, image and action block keeps the exact bytes it came from.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use crate::diagnostic::Diagnostic;
use crate::document::{
    ActionBlock, Attribute, Block, Document, Heading, Image, Prose, ProseKind, Section,
};
use crate::markdown;
use crate::source::{Source, Span};

/// A document and the syntax problems found while reading it.
#[derive(Debug)]
pub struct Parsed {
    pub document: Document,
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether a fenced block's info string names an action (`namespace.action`), as opposed
/// to a language (`toml`, `sh`) or anything else shown as code.
pub fn is_action_name(word: &str) -> bool {
    let Some((namespace, action)) = word.split_once('.') else {
        return false;
    };
    let ident = |part: &str| {
        part.starts_with(|c: char| c.is_ascii_alphabetic())
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    };
    ident(namespace) && ident(action)
}

enum Item {
    Heading(Heading),
    Block(Block),
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

pub fn parse(source: &Source) -> Parsed {
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

    let mut items = Vec::new();
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
                            text: String::new(),
                            start: range.start,
                        },
                        Tag::CodeBlock(kind) => {
                            let info = match kind {
                                CodeBlockKind::Fenced(info) => info.to_string(),
                                CodeBlockKind::Indented => String::new(),
                            };
                            let fenced = matches!(kind, CodeBlockKind::Fenced(_));
                            let action = fenced && is_action_name(first_word(&info));
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
                        items.push(item);
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
            Event::Rule if depth == 0 => items.push(Item::Block(Block::Prose(Prose {
                kind: ProseKind::Rule,
                span: range.into(),
                images: Vec::new(),
            }))),
            _ => {}
        }
    }

    let document = build_tree(source, items, &mut diagnostics);
    Parsed {
        document,
        diagnostics,
    }
}

fn finish(
    source: &Source,
    current: Current,
    range: std::ops::Range<usize>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Item> {
    match current {
        Current::None => None,
        Current::Heading { level, text, start } => Some(Item::Heading(Heading {
            level,
            text: text.trim().to_string(),
            span: Span::new(start, trim_end(source, range.end)),
        })),
        Current::Prose { kind, images } => Some(Item::Block(Block::Prose(Prose {
            kind,
            span: Span::new(range.start, trim_end(source, range.end)),
            images,
        }))),
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
            let column = fence.range.start - source.line_start(fence.range.start);
            let (info, info_start) = info_span(source, fence.range.start);
            let tokens = tokens(source.slice(info), info_start);
            let (name, name_span) = tokens.first().cloned().unwrap_or_default();
            if column > 0 {
                diagnostics.push(
                    Diagnostic::error(
                        "indented-action",
                        format!("action block `{name}` must start at column 0"),
                    )
                    .label(
                        Span::new(source.line_start(fence.range.start), name_span.end),
                        "indented fence",
                    )
                    .help("remove the spaces before the opening fence"),
                );
                return None;
            }
            if !closed {
                return None;
            }
            let attributes = tokens[1..]
                .iter()
                .map(|(token, span)| match token.split_once('=') {
                    Some((key, value)) => Attribute {
                        key: key.to_string(),
                        value: Some(value.to_string()),
                        span: *span,
                    },
                    None => Attribute {
                        key: token.clone(),
                        value: None,
                        span: *span,
                    },
                })
                .collect();
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
                body: source.slice(body_span).to_string(),
                body_span,
                span,
            })))
        }
    }
}

/// Report a fenced block that runs to the end of the file. Returns whether it is closed.
fn check_fence_closed(
    source: &Source,
    range: std::ops::Range<usize>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let block = &source.text()[range.clone()];
    let mut lines = block.lines();
    let opening = lines.next().unwrap_or("").trim_start();
    let fence_char = opening.chars().next().unwrap_or('`');
    let fence_len = opening.len() - opening.trim_start_matches(fence_char).len();
    let closed = block.lines().count() > 1
        && block.lines().last().is_some_and(|last| {
            // Inside a block quote every line keeps its `>` markers.
            let last = last
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
fn tokens(text: &str, offset: usize) -> Vec<(String, Span)> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                tokens.push((text[s..i].to_string(), Span::new(offset + s, offset + i)));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    tokens
}

fn first_word(info: &str) -> &str {
    info.split_whitespace().next().unwrap_or("")
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

/// Nest the flat list of headings and blocks into sections.
fn build_tree(source: &Source, items: Vec<Item>, diagnostics: &mut Vec<Diagnostic>) -> Document {
    let mut document = Document::default();
    let mut stack: Vec<Section> = Vec::new();

    fn close(stack: &mut Vec<Section>, document: &mut Document, end: usize) {
        let mut section = stack.pop().expect("close on an empty stack");
        section.span.end = end;
        match stack.last_mut() {
            Some(parent) => parent.children.push(section),
            None => document.sections.push(section),
        }
    }

    for item in items {
        match item {
            Item::Heading(heading) if heading.level == 1 && document.title.is_none() => {
                if let Some(first) = stack.first() {
                    diagnostics.push(
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
                    diagnostics.push(
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
                while stack
                    .last()
                    .is_some_and(|top| top.heading.level >= heading.level)
                {
                    close(&mut stack, &mut document, heading.span.start);
                }
                stack.push(Section {
                    span: heading.span,
                    heading,
                    blocks: Vec::new(),
                    children: Vec::new(),
                });
            }
            Item::Block(block) => match stack.last_mut() {
                Some(section) if section.children.is_empty() => section.blocks.push(block),
                Some(section) => {
                    // Text after a sub-section that the next heading didn't close can't
                    // happen: a block always belongs to the innermost open section.
                    section.blocks.push(block)
                }
                None => document.intro.push(block),
            },
        }
    }
    while !stack.is_empty() {
        close(&mut stack, &mut document, source.text().len());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Parsed {
        parse(&Source::new("t.md", text))
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
