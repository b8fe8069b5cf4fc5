//! The action blocks of a document as parsed (not bound, so a guide with errors still has
//! them): each block's action, its `id=` and where they are. What hover, definition and
//! references look things up in.

use crate::actions;
use crate::bind::action::{ActionDef, Output};
use crate::bind::binder::{AS, FOR_EACH};
use crate::parse::document::{Block, Section};
use crate::parse::parser;
use crate::parse::source::{Source, Span};

/// One action block.
#[derive(Clone)]
pub struct Action {
    pub name: String,
    pub name_span: Span,
    /// `duo` of `id=duo`, and the span of `duo`.
    pub id: Option<(String, Span)>,
    /// The whole fenced block.
    pub span: Span,
    /// `None` for an unknown action (check reports it).
    pub def: Option<&'static dyn ActionDef>,
    /// `as = "device"` and `for_each = "devices.devices"`: the loop's item name and list.
    pub loop_over: Option<(String, String)>,
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Action")
            .field("name", &self.name)
            .field("id", &self.id)
            .field("span", &self.span)
            .finish_non_exhaustive()
    }
}

impl Action {
    pub fn output(&self, name: &str) -> Option<&'static Output> {
        self.def?
            .outputs()
            .iter()
            .find(|output| output.name == name)
    }
}

/// Every action block, in file order.
pub fn actions(source: &Source) -> Vec<Action> {
    let parsed = parser::parse(source);
    let mut found = Vec::new();
    let mut push = |block: &Block<'_>| {
        if let Block::Action(block) = block {
            let id = block.attribute("id").and_then(|attribute| {
                let value = attribute.value?;
                let start = attribute.span.start + source.slice(attribute.span).find(value)?;
                Some((value.to_string(), Span::new(start, start + value.len())))
            });
            found.push(Action {
                name: block.name.to_string(),
                name_span: block.name_span,
                id,
                span: block.span,
                def: actions::find(block.name),
                loop_over: loop_over(block.body),
            });
        }
    };
    parsed.document.intro.iter().for_each(&mut push);
    fn walk(sections: &[Section<'_>], push: &mut dyn FnMut(&Block<'_>)) {
        for section in sections {
            section.blocks.iter().for_each(&mut *push);
            walk(&section.children, push);
        }
    }
    walk(&parsed.document.sections, &mut push);
    found.sort_by_key(|action| action.span.start);
    found
}

/// A body's `as` and `for_each`, when both are simple strings on their own lines.
fn loop_over(body: &str) -> Option<(String, String)> {
    let value = |key: &str| {
        body.lines().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches(['"', '\'']).to_string())
        })
    };
    Some((value(AS)?, value(FOR_EACH)?))
}

/// The list a loop goes over (`devices.devices`): the output that declares its items.
pub fn loop_list(actions: &[Action], list: &str) -> Option<&'static Output> {
    let (id, output) = list.split_once('.')?;
    defining(actions, id.trim())?.output(output.trim())
}

/// The first block with this id (a second one is check's `duplicate-id`).
pub fn defining<'a>(actions: &'a [Action], id: &str) -> Option<&'a Action> {
    actions
        .iter()
        .find(|action| action.id.as_ref().is_some_and(|(name, _)| name == id))
}

/// The dotted name under byte `offset` (`duo.serial_number`, `devices[0].serial_number`
/// as `devices.serial_number`), with its span and the segment the offset is in.
pub fn word_at(text: &str, offset: usize) -> Option<(Vec<&str>, Span, usize)> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let is_name = |c: char| is_word(c) || c == '.' || c == '[' || c == ']';
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return None;
    }
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_name(c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|&(_, c)| !is_name(c))
        .map_or(text.len(), |(i, _)| offset + i);
    if start == end {
        return None;
    }
    let mut segments = Vec::new();
    let mut at = 0;
    let mut position = start;
    for segment in text[start..end].split('.') {
        let name = segment.split('[').next().unwrap_or_default();
        if !name.is_empty() && name.chars().all(is_word) {
            if position + segment.len() < offset {
                at += 1;
            }
            segments.push(name);
        }
        position += segment.len() + 1;
    }
    let at = at.min(segments.len().saturating_sub(1));
    (!segments.is_empty()).then(|| (segments, Span::new(start, end), at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_with_ids() {
        let source = Source::new(
            "r.md",
            "# T\n\n## One\n\n```sts.get-caller-identity id=me\n```\n\n```nope.x\n```\n",
        );
        let found = actions(&source);
        assert_eq!(found.len(), 2);
        let (id, span) = found[0].id.clone().unwrap();
        assert_eq!((id.as_str(), source.slice(span)), ("me", "me"));
        assert_eq!(source.slice(found[0].name_span), "sts.get-caller-identity");
        assert!(found[0].def.is_some() && found[1].def.is_none());
        assert!(found[0].output("user_name").is_some());
    }

    #[test]
    fn words_and_their_segments() {
        let text = "x {{ duo.serial_number }} y";
        let at = text.find("serial").unwrap();
        let (segments, span, segment) = word_at(text, at).unwrap();
        assert_eq!(segments, ["duo", "serial_number"]);
        assert_eq!(&text[span.range()], "duo.serial_number");
        assert_eq!(segment, 1);
        assert_eq!(word_at(text, text.find("duo").unwrap()).unwrap().2, 0);
        let (segments, _, _) = word_at("devices[0].serial", 12).unwrap();
        assert_eq!(segments, ["devices", "serial"]);
        assert!(word_at("a  b", 2).is_none());
    }
}
