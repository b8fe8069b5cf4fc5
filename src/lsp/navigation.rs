//! Go to definition, find references and rename, for block ids: the `id=duo` that
//! defines one, and every `duo` that refers to it in `{{ … }}`, `when`, `expect` and the
//! other strings of a block's body.

use std::collections::HashMap;

use lsp_types::{
    GotoDefinitionParams, GotoDefinitionResponse, Location, ReferenceParams, RenameParams,
    TextEdit, Uri, WorkspaceEdit,
};

use crate::bind::binder::{EXPECT, FOR_EACH, WHEN, is_identifier};
use crate::lsp::documents::{Documents, Open};
use crate::lsp::outline::{self, Action};
use crate::parse::source::Span;

/// The id at byte `offset`: on its `id=` or on a reference to it.
pub fn id_at(open: &Open, actions: &[Action], offset: usize) -> Option<String> {
    let within = |span: Span| span.start <= offset && offset <= span.end;
    if let Some((id, _)) = actions
        .iter()
        .filter_map(|action| action.id.as_ref())
        .find(|(_, span)| within(*span))
    {
        return Some(id.clone());
    }
    let (segments, span, _) = outline::word_at(&open.text, offset)?;
    let root = segments[0];
    // Only on the root segment: `duo` of `duo.seed`, not `seed`.
    if offset > span.start + root.len() || !is_reference(&open.text, actions, span.start) {
        return None;
    }
    outline::defining(actions, root).map(|_| root.to_string())
}

/// Whether the name starting at `at` is in a place references are: inside `{{ … }}`, or
/// in a string of a block's `when`, `expect` or `for_each` (expressions, not templates).
pub fn is_reference(text: &str, actions: &[Action], at: usize) -> bool {
    let line_start = text[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let before = &text[line_start..at];
    let in_template = match (before.rfind("{{"), before.rfind("}}")) {
        (Some(open), Some(close)) => open > close,
        (Some(_), None) => true,
        _ => false,
    };
    in_template
        || (before.matches('"').count() % 2 == 1 || before.matches('\'').count() % 2 == 1)
            && actions
                .iter()
                .find(|action| action.name_span.end < line_start && line_start < action.span.end)
                .and_then(|action| body_key(text, action, line_start))
                .is_some_and(|key| key == WHEN || key == EXPECT || key == FOR_EACH)
}

/// The key of the body line starting at `line_start`: its own `key =`, or for a line
/// inside a multi-line array, the key the array belongs to.
pub fn body_key<'t>(text: &'t str, action: &Action, line_start: usize) -> Option<&'t str> {
    let body_start = text[action.name_span.end..].find('\n')? + action.name_span.end + 1;
    let lines = text.get(
        body_start
            ..line_start
                + text[line_start..]
                    .find('\n')
                    .unwrap_or(text.len() - line_start),
    )?;
    lines.lines().rev().find_map(|line| {
        let (key, _) = line.split_once('=')?;
        let key = key.trim();
        key.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            .then_some(key)
            .filter(|key| !key.is_empty())
    })
}

/// Every place `id` is defined (`id=`) or referred to, in file order.
pub fn occurrences(text: &str, actions: &[Action], id: &str) -> Vec<Span> {
    let mut found: Vec<Span> = actions
        .iter()
        .filter_map(|action| action.id.as_ref())
        .filter(|(name, _)| name == id)
        .map(|(_, span)| *span)
        .collect();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let bytes = text.as_bytes();
    for at in memchr::memmem::find_iter(bytes, id.as_bytes()) {
        let end = at + id.len();
        let before_ok = at == 0 || !(is_word(bytes[at - 1]) || bytes[at - 1] == b'.');
        let after_ok = end == bytes.len() || !is_word(bytes[end]);
        if before_ok
            && after_ok
            && !found.iter().any(|span| span.start == at)
            && is_reference(text, actions, at)
        {
            found.push(Span::new(at, end));
        }
    }
    found.sort_by_key(|span| span.start);
    found
}

fn at<'d>(
    documents: &'d Documents,
    uri: &Uri,
    position: lsp_types::Position,
) -> Option<(&'d Open, &'d [Action], String)> {
    let open = documents.get(uri)?;
    let actions = open.actions();
    let offset = open.lines.offset(&open.text, position);
    let id = id_at(open, actions, offset)?;
    Some((open, actions, id))
}

pub fn definition(
    documents: &Documents,
    params: GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
    let at_ = params.text_document_position_params;
    let uri = at_.text_document.uri;
    let (open, actions, id) = at(documents, &uri, at_.position)?;
    let (_, span) = outline::defining(actions, &id)?.id.as_ref()?;
    let range = open.lines.range(&open.text, span.range());
    Some(GotoDefinitionResponse::Scalar(Location::new(uri, range)))
}

pub fn references(documents: &Documents, params: ReferenceParams) -> Option<Vec<Location>> {
    let at_ = params.text_document_position;
    let uri = at_.text_document.uri;
    let (open, actions, id) = at(documents, &uri, at_.position)?;
    let definitions: Vec<Span> = actions
        .iter()
        .filter_map(|action| action.id.as_ref())
        .filter(|(name, _)| *name == id)
        .map(|(_, span)| *span)
        .collect();
    let locations = occurrences(&open.text, actions, &id)
        .into_iter()
        .filter(|span| params.context.include_declaration || !definitions.contains(span))
        .map(|span| Location::new(uri.clone(), open.lines.range(&open.text, span.range())))
        .collect();
    Some(locations)
}

/// Why a rename cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum RenameError {
    #[error("`{0}` is not a valid id: use ASCII letters, digits and `_`, starting with a letter")]
    Invalid(String),
    #[error("`{0}` is already the id of another block")]
    Taken(String),
}

pub fn rename(
    documents: &Documents,
    params: RenameParams,
) -> Result<Option<WorkspaceEdit>, RenameError> {
    let at_ = params.text_document_position;
    let uri = at_.text_document.uri;
    let Some((open, actions, id)) = at(documents, &uri, at_.position) else {
        return Ok(None);
    };
    let new = params.new_name;
    if !is_identifier(&new) {
        return Err(RenameError::Invalid(new));
    }
    if new != id && outline::defining(actions, &new).is_some() {
        return Err(RenameError::Taken(new));
    }
    let edits = occurrences(&open.text, actions, &id)
        .into_iter()
        .map(|span| TextEdit::new(open.lines.range(&open.text, span.range()), new.clone()))
        .collect();
    Ok(Some(WorkspaceEdit::new(HashMap::from([(uri, edits)]))))
}
