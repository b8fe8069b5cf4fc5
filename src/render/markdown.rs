//! The guide as plain Markdown, for any wiki: the file as written, with each action block
//! replaced by its readable form (the AWS CLI command in a `sh` block, or a sentence for
//! what has no CLI equivalent) and image paths rewritten to where the figures are copied.

use crate::bind::runbook::BoundAction;
use crate::parse::document::{Block, Document, Section};
use crate::parse::source::Span;
use crate::render::Rendering;
use crate::render::images;
use crate::render::words;

pub fn page(rendering: &Rendering<'_>) -> String {
    page_with(rendering, true, readable_action)
}

/// The file as written, with each action block replaced by `action`'s text for it, prose
/// `{{ … }}` tags by placeholders, and (with `rewrite_images`) image paths by where the
/// figures are copied.
pub fn page_with(
    rendering: &Rendering<'_>,
    rewrite_images: bool,
    mut action: impl FnMut(&BoundAction) -> String,
) -> String {
    let source = rendering.source;
    let text = source.text();
    let mut edits: Vec<(Span, String)> = rendering
        .runbook
        .actions()
        .map(|(_, bound)| (bound.span, action(bound)))
        .collect();
    for image in images::all_images(rendering.document) {
        if !rewrite_images {
            break;
        }
        let Some(target) = rendering.images.get(&image.url) else {
            continue;
        };
        if target == &image.url {
            continue;
        }
        if let Some(span) = url_span(text, image.span, &image.url) {
            edits.push((span, target.clone()));
        }
    }
    // `{{ … }}` in prose: placeholders (no run fills them in here).
    for span in prose_spans(rendering.document) {
        for range in crate::parse::template::prose_tags(&text[span.range()]) {
            let tag = Span::new(span.start + range.start, span.start + range.end);
            edits.push((
                tag,
                crate::parse::template::prose_placeholder(source.slice(tag)),
            ));
        }
    }
    // Included steps: their headings at the level they have here.
    if !source.segments().is_empty() {
        heading_levels(text, &rendering.document.sections, false, &mut edits);
    }
    edits.sort_by_key(|(span, _)| span.start);
    let whole = match source.segments().first() {
        Some(guide) => guide.start..guide.end,
        None => 0..text.len(),
    };
    let mut out = String::with_capacity(text.len());
    with_includes(rendering, whole, &edits, 0, &mut out);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// `range` of the text with `edits` applied, and after each include in it the included
/// sections (themselves with their includes), so the page reads as the run goes.
fn with_includes(
    rendering: &Rendering<'_>,
    range: std::ops::Range<usize>,
    edits: &[(Span, String)],
    depth: usize,
    out: &mut String,
) {
    let text = rendering.source.text();
    let mut at = range.start;
    let mut includes: Vec<_> = rendering
        .source
        .includes()
        .iter()
        .filter(|i| range.start <= i.directive.start && i.directive.end <= range.end)
        .collect();
    includes.sort_by_key(|i| i.directive.start);
    for include in includes {
        // After the including section's own prose, where the parser put them (first
        // among its sub-sections); several includes share that place.
        let place = host_end(&rendering.document.sections, include.directive)
            .unwrap_or(include.directive.end)
            .clamp(include.directive.end, range.end);
        if depth >= 16 || place < at {
            continue;
        }
        if place > at {
            apply(text, at..place, edits, out);
            at = place;
        }
        let mut sections = Vec::new();
        included(&rendering.document.sections, include.value, &mut sections);
        for section in sections {
            let file = include.written.split('#').next().unwrap_or_default();
            out.push_str(&format!("\n\n*From [{file}]({}):*\n\n", include.written));
            with_includes(rendering, section.span.range(), edits, depth + 1, out);
            let trimmed = out.trim_end().len();
            out.truncate(trimmed);
        }
    }
    apply(text, at..range.end, edits, out);
}

/// Where the own blocks of the section holding `directive` end.
fn host_end(sections: &[Section<'_>], directive: Span) -> Option<usize> {
    sections.iter().find_map(|section| {
        if section.directives.iter().any(|d| d.span == directive) {
            let blocks = section.blocks.iter().map(|b| b.span().end);
            Some(blocks.chain([directive.end]).max().unwrap_or(directive.end))
        } else {
            host_end(&section.children, directive)
        }
    })
}

/// `text[range]` with the edits inside it made.
fn apply(text: &str, range: std::ops::Range<usize>, edits: &[(Span, String)], out: &mut String) {
    let mut at = range.start;
    let first = edits.partition_point(|(span, _)| span.start < range.start);
    for (span, replacement) in &edits[first..] {
        if span.end > range.end {
            break;
        }
        if span.start < at {
            continue;
        }
        out.push_str(&text[at..span.start]);
        out.push_str(replacement);
        at = span.end;
    }
    out.push_str(&text[at..range.end]);
}

/// The sections an include put in place (their `origin` is that include).
fn included<'d, 's>(sections: &'d [Section<'s>], value: Span, out: &mut Vec<&'d Section<'s>>) {
    for section in sections {
        if section.origin.as_ref().is_some_and(|o| o.value == value) {
            out.push(section);
        } else {
            included(&section.children, value, out);
        }
    }
}

/// Edits giving each included heading (`### 2. Choose …`) the level it has here.
fn heading_levels(
    text: &str,
    sections: &[Section<'_>],
    inside: bool,
    edits: &mut Vec<(Span, String)>,
) {
    for section in sections {
        let inside = inside || section.origin.is_some();
        let start = section.heading.span.start;
        let hashes = text[start..section.heading.span.end]
            .bytes()
            .take_while(|&b| b == b'#')
            .count();
        if inside && hashes > 0 && hashes != section.heading.level as usize {
            edits.push((
                Span::new(start, start + hashes),
                "#".repeat(section.heading.level as usize),
            ));
        }
        heading_levels(text, &section.children, inside, edits);
    }
}

/// Every prose block of the document (under the title, in parts and in steps).
fn prose_spans(document: &Document<'_>) -> Vec<Span> {
    fn blocks(blocks: &[Block<'_>], out: &mut Vec<Span>) {
        out.extend(blocks.iter().filter_map(|block| match block {
            Block::Prose(prose) => Some(prose.span),
            Block::Action(_) => None,
        }));
    }
    fn section(of: &Section<'_>, out: &mut Vec<Span>) {
        blocks(&of.blocks, out);
        of.children.iter().for_each(|child| section(child, out));
    }
    let mut out = Vec::new();
    blocks(&document.intro, &mut out);
    document.sections.iter().for_each(|s| section(s, &mut out));
    out
}

/// Where an image's URL is written: inside `![alt](url)`, or in the `[label]: url`
/// definition a reference-style image uses.
fn url_span(text: &str, image: Span, url: &str) -> Option<Span> {
    let written = &text[image.range()];
    if let Some(at) = written.rfind(url) {
        return Some(Span::new(image.start + at, image.start + at + url.len()));
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[')
            && let Some(colon) = trimmed.find("]:")
            && let Some(at) = trimmed[colon..].find(url)
        {
            let start = offset + (line.len() - trimmed.len()) + colon + at;
            return Some(Span::new(start, start + url.len()));
        }
        offset += line.len();
    }
    None
}

/// An action block as a reader without the engine would want it.
pub fn readable_action(action: &BoundAction) -> String {
    let def = action.def;
    let mut lead = String::from("**runbook:** ");
    lead.push_str(&words::to_markdown(&words::summary(action)));
    if let Some(when) = &action.when {
        lead.push_str(" Only when ");
        lead.push_str(&words::to_markdown(&words::condition(when)));
        lead.push('.');
    }
    let check = (!action.expect.is_empty()).then(|| {
        format!(
            "Afterwards, check that {}.",
            words::to_markdown(&words::all_of(&action.expect))
        )
    });
    match action.aws_cli() {
        Some(cli) => {
            let change = if def.mutating() {
                " (this changes AWS)"
            } else {
                ""
            };
            let mut out = format!("{lead} With the AWS CLI{change}:\n\n```sh\n{cli}\n```");
            if let Some(check) = check {
                out.push_str("\n\n");
                out.push_str(&check);
            }
            out
        }
        None => match check {
            Some(check) => format!("{lead} {check}"),
            None => lead,
        },
    }
}
