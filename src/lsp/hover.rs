//! Hover: over an action's name, its catalogue entry (summary, AWS CLI equivalent,
//! parameters, outputs); over a reference (`{{ duo.serial_number }}`, a `when` or `expect`
//! name), its type, whether it is secret, and the block it comes from.

use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use crate::bind::action::{Exports, Output};
use crate::bind::catalog;
use crate::lsp::documents::{Documents, Open};
use crate::lsp::navigation;
use crate::lsp::outline::{self, Action};
use crate::parse::source::Source;

pub fn hover(documents: &Documents, params: HoverParams) -> Option<Hover> {
    let at = params.text_document_position_params;
    let open = documents.get(&at.text_document.uri)?;
    let offset = open.lines.offset(&open.text, at.position);
    let (markdown, span) = hover_at(open, offset)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(open.lines.range(&open.text, span.range())),
    })
}

/// The hover text at byte `offset` and the span it is about.
pub fn hover_at(open: &Open, offset: usize) -> Option<(String, crate::parse::source::Span)> {
    let source = Source::new("", open.text.as_str());
    let actions = open.actions();
    let within = |span: crate::parse::source::Span| span.start <= offset && offset <= span.end;
    let block = actions.iter().find(|action| within(action.span));
    if let Some(action) = block.filter(|action| within(action.name_span)) {
        return Some((catalog::action_markdown(action.def?), action.name_span));
    }
    if let Some((id, span)) = block.and_then(|action| action.id.clone())
        && within(span)
    {
        return Some((describe_id(&source, block?, &id), span));
    }
    // A reference: in a `{{ … }}` anywhere, or in a block's `when` or `expect`.
    let (segments, span, segment) = outline::word_at(&open.text, offset)?;
    if !navigation::is_reference(&open.text, actions, span.start) {
        return None;
    }
    let root = segments[0];
    if let Some((name, list)) = block.and_then(|block| block.loop_over.as_ref())
        && name == root
    {
        return Some((
            describe_item(&source, actions, name, list, &segments[1..]),
            span,
        ));
    }
    let Some(defining) = outline::defining(actions, root) else {
        // An output of the block itself (`expect = ["count < 8"]`).
        let output = block?.output(root)?;
        let text = describe_output(&source, block?, root, output, &segments[1..]);
        return Some((text, span));
    };
    if segment == 0 && segments.len() == 1 {
        return Some((describe_id(&source, defining, root), span));
    }
    let def = defining.def?;
    let (output, rest) = match def.exports() {
        Exports::Value => (def.outputs().first()?, &segments[1..]),
        Exports::Fields => (defining.output(segments.get(1)?)?, &segments[2..]),
    };
    let name = segments[..segments.len() - rest.len()].join(".");
    Some((
        describe_output(&source, defining, &name, output, rest),
        span,
    ))
}

fn origin(source: &Source, action: &Action) -> String {
    let id = action
        .id
        .as_ref()
        .map_or(String::new(), |(id, _)| format!(" id={id}"));
    format!(
        "from the `{}{id}` block on line {}",
        action.name,
        source.line(action.span.start)
    )
}

fn describe_id(source: &Source, action: &Action, id: &str) -> String {
    let mut text = format!("**`{id}`** — {}", origin(source, action));
    let Some(def) = action.def else {
        return text;
    };
    if def.exports() == Exports::Value {
        if let Some(output) = def.outputs().first() {
            text.push_str(&format!(
                "\n\n`{{{{ {id} }}}}`: {}{} — {}",
                output.ty,
                secrecy(output),
                output.description
            ));
        }
        return text;
    }
    text.push_str("\n\n| output | type | description |\n|---|---|---|");
    for output in def.outputs() {
        text.push_str(&format!(
            "\n| `{id}.{}` | {}{} | {} |",
            output.name,
            output.ty,
            secrecy(output),
            output.description.replace('|', "\\|")
        ));
    }
    text
}

/// The item of a `for_each` loop (`device` of `as = "device"`), or one of its fields.
fn describe_item(
    source: &Source,
    actions: &[Action],
    name: &str,
    list: &str,
    rest: &[&str],
) -> String {
    let output = outline::loop_list(actions, list);
    let from = list
        .split_once('.')
        .and_then(|(id, _)| outline::defining(actions, id))
        .map_or(String::new(), |action| {
            format!(" — {}", origin(source, action))
        });
    match (rest.first(), output) {
        (Some(field), Some(output)) => match output.items.iter().find(|item| item.name == *field) {
            Some(item) => format!(
                "**`{name}.{field}`**: {} (a field of each item of `{list}`){from}\n\n{}",
                item.ty, item.description
            ),
            None => format!("**`{name}`**: each item of `{list}`{from}"),
        },
        (_, output) => {
            let mut text = format!("**`{name}`**: each item of `{list}`, in turn{from}");
            for item in output.map_or(&[][..], |output| output.items) {
                text.push_str(&format!(
                    "\n- `{name}.{}`: {} — {}",
                    item.name, item.ty, item.description
                ));
            }
            text
        }
    }
}

fn secrecy(output: &Output) -> &'static str {
    if output.secret { ", **secret**" } else { "" }
}

fn describe_output(
    source: &Source,
    action: &Action,
    name: &str,
    output: &Output,
    rest: &[&str],
) -> String {
    if let Some(field) = rest
        .first()
        .and_then(|field| output.items.iter().find(|item| item.name == *field))
    {
        return format!(
            "**`{name}[…].{}`**: {} (a field of each item of the list `{name}`) — {}\n\n{}",
            field.name,
            field.ty,
            origin(source, action),
            field.description
        );
    }
    let secret = if output.secret {
        "secret: never shown, journaled or written; only parameters that accept secrets take it"
    } else {
        "not secret"
    };
    let mut text = format!(
        "**`{name}`**: {} ({secret}) — {}\n\n{}",
        output.ty,
        origin(source, action),
        output.description
    );
    if !output.items.is_empty() {
        text.push_str("\n\nEach item has:");
        for item in output.items {
            text.push_str(&format!(
                "\n- `{}`: {} — {}",
                item.name, item.ty, item.description
            ));
        }
    }
    text
}
