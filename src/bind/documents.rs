//! Documents a guide shows and an action sends: a fenced block with an `id=` after its
//! language (```` ```json id=require-mfa-policy ````), which the reader sees as ordinary
//! code, and an action parameter that names it (`document = "require-mfa-policy"`). The
//! action sends the block's text exactly as shown; `runbook check` verifies that the block
//! exists and is valid JSON.

use crate::parse::diagnostic::{Diagnostic, did_you_mean, list};
use crate::parse::document::{Block, Document, ProseKind, Section};
use crate::parse::source::{Source, Span};

/// A fenced block with an `id=`.
#[derive(Clone, Debug)]
pub struct DocumentBlock<'s> {
    pub id: &'s str,
    /// The `id=…` in the info string.
    pub id_span: Span,
    /// The first word of the info string: `json`.
    pub language: &'s str,
    /// The text between the fences, exactly as in the file.
    pub text: &'s str,
    pub text_span: Span,
}

/// Every fenced block with an `id=` in its info string, in file order.
pub fn collect<'s>(source: &'s Source, document: &Document) -> Vec<DocumentBlock<'s>> {
    let mut found = Vec::new();
    let mut visit = |blocks: &[Block]| {
        for block in blocks {
            if let Block::Prose(prose) = block
                && prose.kind == ProseKind::Code
                && let Some(block) = read(source, prose.span)
            {
                found.push(block);
            }
        }
    };
    visit(&document.intro);
    fn walk(sections: &[Section], visit: &mut dyn FnMut(&[Block])) {
        for section in sections {
            visit(&section.blocks);
            walk(&section.children, visit);
        }
    }
    walk(&document.sections, &mut visit);
    found
}

/// A fenced code block's language, `id=` and text; `None` for one without an `id=` (or
/// an indented code block, which has no info string).
fn read(source: &Source, span: Span) -> Option<DocumentBlock<'_>> {
    let text = source.slice(span);
    let indent = text.len() - text.trim_start_matches(' ').len();
    let fence_char = text[indent..]
        .chars()
        .next()
        .filter(|c| *c == '`' || *c == '~')?;
    let fence_len = text[indent..]
        .chars()
        .take_while(|c| *c == fence_char)
        .count();
    let first_line_end = text.find('\n').unwrap_or(text.len());
    let info_start = indent + fence_len;
    // A CRLF file's lines end in `\r`: not part of the id.
    let info = text[info_start..first_line_end].trim_end_matches('\r');
    let mut language = "";
    let mut id = None;
    let mut offset = info_start;
    for word in info.split(' ') {
        if !word.is_empty() {
            if language.is_empty() && !word.contains('=') {
                language = word;
            } else if let Some(value) = word.strip_prefix("id=") {
                id = Some((
                    value,
                    Span::new(span.start + offset, span.start + offset + word.len()),
                ));
            }
        }
        offset += word.len() + 1;
    }
    let (id, id_span) = id.filter(|(value, _)| !value.is_empty())?;
    // The body: after the opening line, up to the closing fence's line (when closed).
    let body_start = (first_line_end + 1).min(text.len());
    let last_line_start = text.rfind('\n').map_or(text.len(), |i| i + 1);
    let closing = text[last_line_start..]
        .trim_start_matches(' ')
        .trim_end_matches('\r');
    let body_end = if last_line_start >= body_start
        && closing.len() >= fence_len
        && closing.chars().all(|c| c == fence_char)
    {
        last_line_start
    } else {
        text.len()
    };
    let body_end = body_end.max(body_start);
    Some(DocumentBlock {
        id,
        id_span,
        language,
        text: &text[body_start..body_end],
        text_span: Span::new(span.start + body_start, span.start + body_end),
    })
}

/// The block `name` refers to, checked: it exists, once, and is valid JSON. `reference`
/// is where the action names it.
pub fn resolve<'b, 's>(
    blocks: &'b [DocumentBlock<'s>],
    name: &str,
    reference: Span,
) -> Result<&'b DocumentBlock<'s>, Box<Diagnostic>> {
    let mut matching = blocks.iter().filter(|block| block.id == name);
    let Some(block) = matching.next() else {
        let ids: Vec<&str> = blocks.iter().map(|block| block.id).collect();
        let help = match did_you_mean(name, ids.iter().copied()) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None if ids.is_empty() => format!(
                "show the document in the guide as a fenced block tagged ```json id={name}, then name it here"
            ),
            None => format!(
                "the guide's document blocks are {}; or add one tagged ```json id={name}",
                list(ids.iter())
            ),
        };
        return Err(Box::new(
            Diagnostic::error(
                "unknown-document",
                format!("no ```json block with `id={name}` in the guide"),
            )
            .label(reference, "names a block that does not exist")
            .help(help),
        ));
    };
    if let Some(again) = matching.next() {
        return Err(Box::new(
            Diagnostic::error(
                "duplicate-document",
                format!("two blocks have `id={name}`: which one is sent would be a guess"),
            )
            .label(again.id_span, "second block with this id")
            .secondary(block.id_span, "first block")
            .secondary(reference, "named here")
            .help("give each document block its own id"),
        ));
    }
    if block.language != "json" {
        return Err(Box::new(
            Diagnostic::error(
                "invalid-document",
                format!(
                    "the block `id={name}` is tagged `{}`, not `json`",
                    if block.language.is_empty() {
                        "with no language"
                    } else {
                        block.language
                    }
                ),
            )
            .label(block.id_span, "not a ```json block")
            .secondary(reference, "named here")
            .help("tag the block ```json: policy documents are JSON"),
        ));
    }
    if let Err(error) = serde_json::from_str::<serde_json::Value>(block.text) {
        let mut within = offset_of(block.text, error.line(), error.column());
        if error.to_string().starts_with("trailing comma") {
            // serde_json stops at the bracket after the comma: point at the comma itself.
            within = block.text[..within].trim_end().len().saturating_sub(1);
        }
        let at = block.text_span.start + within;
        let end = (at + 1).min(block.text_span.end.max(at));
        let message = error.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(text, _)| text);
        return Err(Box::new(Diagnostic::error(
            "invalid-document",
            format!("the block `id={name}` is not valid JSON: {message}"),
        )
        .label(Span::new(at, end), "here")
        .secondary(reference, "sent by this action")
        .help(
            "fix the JSON (a policy document is one JSON object: no comments, no trailing commas)",
        )));
    }
    Ok(block)
}

/// The byte offset of serde_json's 1-based line and column (the column counts bytes; 0
/// means "at the end of the previous line", as for an unexpected end of input).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let line_text = text[line_start.min(text.len())..]
        .split('\n')
        .next()
        .unwrap_or("");
    let within = column.saturating_sub(1).min(line_text.len());
    let mut at = (line_start + within).min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    // At the end of the text (input ended early), point at its last character.
    if at == text.len() {
        at = text.trim_end().len().saturating_sub(1);
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parser;

    fn blocks(text: &str) -> (Source, Vec<(String, String, String)>) {
        let source = Source::new("guide.md", text.to_string());
        let parsed = parser::parse(&source);
        let found = collect(&source, &parsed.document)
            .into_iter()
            .map(|b| (b.id.to_string(), b.language.to_string(), b.text.to_string()))
            .collect();
        (source, found)
    }

    #[test]
    fn blocks_with_ids_are_found_with_their_exact_text() {
        let (_, found) = blocks(
            "# T\n\n## Step\n\n```json id=policy\n{\"Version\": \"2012-10-17\"}\n```\n\n```json\n{}\n```\n\n~~~~text   id=note\nhello\n~~~~\n",
        );
        assert_eq!(
            found,
            vec![
                (
                    "policy".into(),
                    "json".into(),
                    "{\"Version\": \"2012-10-17\"}\n".into()
                ),
                ("note".into(), "text".into(), "hello\n".into()),
            ]
        );
    }

    #[test]
    fn crlf_lines_keep_the_id_whole() {
        let (_, found) = blocks("# T\r\n\r\n## Step\r\n\r\n```json id=p\r\n{}\r\n```\r\n");
        assert_eq!(found, vec![("p".into(), "json".into(), "{}\r\n".into())]);
    }

    #[test]
    fn odd_blocks_never_panic_and_point_inside_the_file() {
        for text in [
            "# T\n\n## S\n\n```json id=p\n```\n",
            "# T\n\n## S\n\n```json id=p\n{\"é\": 1,\n",
            "# T\n\n## S\n\n~~~json id=p\n[1, 2,]\n~~~\n",
            "# T\n\n## S\n\n```json id=p\n\"\u{1F600}\n```\n",
            "# T\n\n## S\n\n```json id=\n{}\n```\n",
        ] {
            let source = Source::new("guide.md", text.to_string());
            let parsed = parser::parse(&source);
            let found = collect(&source, &parsed.document);
            if let Err(error) = resolve(&found, "p", Span::new(0, 1)) {
                assert!(error.offset() <= text.len(), "{text:?}");
                let _ = error.render(Some(&source), false, "guide.md");
            }
        }
    }

    #[test]
    fn invalid_json_points_at_the_byte() {
        let text = "# T\n\n## Step\n\n```json id=p\n{\n  \"a\": 1,\n}\n```\n";
        let source = Source::new("guide.md", text.to_string());
        let parsed = parser::parse(&source);
        let found = collect(&source, &parsed.document);
        let error = resolve(&found, "p", Span::new(0, 1)).unwrap_err();
        let rendered = error.render(Some(&source), false, "guide.md");
        assert!(rendered.contains("not valid JSON"), "{rendered}");
        // The trailing comma, on line 7 of the file, column 9.
        assert!(rendered.contains("guide.md:7:9"), "{rendered}");
        assert!(resolve(&found, "q", Span::new(0, 1)).is_err());
    }

    #[test]
    fn offsets_follow_serde_json_lines_and_columns() {
        assert_eq!(offset_of("{\n  x\n}", 2, 3), 4);
        // Input that ends early: the last character written.
        assert_eq!(offset_of("{\"a\": ", 1, 7), 4);
    }
}
