//! Completion: action names after ```, attributes after the name, a body's parameters (not
//! yet set, required first, with type and doc) and enum values, and inside `{{ … }}`,
//! `when` and `expect` the ids in scope, their outputs and list items' fields.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse, Documentation,
    MarkupContent, MarkupKind,
};

use crate::actions;
use crate::bind::action::{ActionDef, Exports, Output};
use crate::bind::binder::{AS, ATTRIBUTES, EXPECT, FOR_EACH, WHEN};
use crate::lsp::documents::{Documents, Open};
use crate::lsp::navigation;
use crate::lsp::outline::{self, Action};

pub fn completion(documents: &Documents, params: CompletionParams) -> Option<CompletionResponse> {
    let at = params.text_document_position;
    let open = documents.get(&at.text_document.uri)?;
    let offset = open.lines.offset(&open.text, at.position);
    let items = complete_at(open, offset);
    (!items.is_empty()).then_some(CompletionResponse::Array(items))
}

/// What may be typed at byte `offset`.
pub fn complete_at(open: &Open, offset: usize) -> Vec<CompletionItem> {
    let text = open.text.as_str();
    let actions = open.actions();
    let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let block = actions
        .iter()
        .find(|action| action.span.start <= offset && offset <= action.span.end);
    // The info string: on a block's first line, or on a fence not yet an action block.
    let on_info_line = block.is_none_or(|block| {
        text[..block.span.start].rfind('\n').map_or(0, |i| i + 1) == line_start
    });
    let fence = before.trim_start();
    let fence = fence
        .strip_prefix("```")
        .or_else(|| fence.strip_prefix("~~~"))
        .map(|rest| rest.trim_start_matches(['`', '~']))
        .filter(|_| on_info_line);
    match (block, fence) {
        // The info string: the action's name, then its attributes.
        (_, Some(info)) if !info.contains(char::is_whitespace) => action_names(),
        (Some(block), Some(info)) => attributes(block, info),
        (Some(block), None) => {
            let body_line = before.trim_start();
            let expression = navigation::body_key(text, block, line_start)
                .is_some_and(|key| key == WHEN || key == EXPECT || key == FOR_EACH);
            if in_template(before) || expression && in_string(before) {
                references(actions, Some(block), offset, before)
            } else if let Some((key, _)) = body_line.split_once('=') {
                enum_values(block, key.trim())
            } else {
                keys(text, block)
            }
        }
        (None, None) if in_template(before) => references(actions, None, offset, before),
        (None, _) => Vec::new(),
    }
}

fn in_template(before: &str) -> bool {
    match (before.rfind("{{"), before.rfind("}}")) {
        (Some(open), Some(close)) => open > close,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Inside a TOML basic or literal string (an odd number of quotes before, on this line).
fn in_string(before: &str) -> bool {
    before.matches('"').count() % 2 == 1 || before.matches('\'').count() % 2 == 1
}

fn markdown(value: String) -> Option<Documentation> {
    Some(Documentation::MarkupContent(MarkupContent {
        kind: MarkupKind::Markdown,
        value,
    }))
}

fn action_names() -> Vec<CompletionItem> {
    actions::all()
        .into_iter()
        .map(|action| CompletionItem {
            label: action.name().to_string(),
            kind: Some(CompletionItemKind::FUNCTION),
            detail: Some(action.summary().to_string()),
            ..CompletionItem::default()
        })
        .collect()
}

fn attributes(block: &Action, info: &str) -> Vec<CompletionItem> {
    // In the middle of a `key=value`: nothing to offer.
    if info
        .rsplit(char::is_whitespace)
        .next()
        .is_some_and(|word| word.contains('='))
    {
        return Vec::new();
    }
    ATTRIBUTES
        .iter()
        .filter(|name| {
            !info
                .split_whitespace()
                .skip(1)
                .any(|word| word.split('=').next() == Some(**name))
        })
        .map(|&name| {
            let (insert, detail) = match name {
                "id" => (
                    "id=",
                    "the block's id: later blocks refer to its outputs as `{{ ID.output }}`",
                ),
                _ => (
                    "confirm",
                    "ask before running this block even though it changes nothing",
                ),
            };
            let needs = block.def.is_some_and(|def| def.needs_id()) && name == "id";
            CompletionItem {
                label: insert.to_string(),
                kind: Some(CompletionItemKind::PROPERTY),
                detail: Some(if needs {
                    format!("{detail} (required by `{}`)", block.name)
                } else {
                    detail.to_string()
                }),
                ..CompletionItem::default()
            }
        })
        .collect()
}

/// The body keys not yet set: the action's parameters, required first, then the keys
/// every action takes.
fn keys(text: &str, block: &Action) -> Vec<CompletionItem> {
    let body = &text[block.span.range()];
    let set: Vec<&str> = body
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once('=').map(|(key, _)| key.trim()))
        .collect();
    let mut items = Vec::new();
    if let Some(def) = block.def {
        for param in actions::params(def) {
            if set.contains(&param.name.as_str()) {
                continue;
            }
            let required = if param.required {
                "required"
            } else {
                "optional"
            };
            let secret = if param.secret {
                ", accepts secrets"
            } else {
                ""
            };
            items.push(CompletionItem {
                label: param.name.clone(),
                kind: Some(CompletionItemKind::FIELD),
                detail: Some(format!("{} ({required}{secret})", param.ty)),
                documentation: markdown(param.description.clone()),
                sort_text: Some(format!("{}{}", u8::from(!param.required), param.name)),
                insert_text: Some(format!("{} = ", param.name)),
                ..CompletionItem::default()
            });
        }
    }
    let common = [
        (
            WHEN,
            "run this block only when the expression holds: `not me.is_root`",
        ),
        (
            EXPECT,
            "checks on the outputs after it runs: `[\"count < 8\"]`",
        ),
        (
            FOR_EACH,
            "run once per item of a list output: `devices.devices`",
        ),
        (AS, "the name of each item in `for_each`: `device`"),
    ];
    for (key, doc) in common {
        if !set.contains(&key) {
            items.push(CompletionItem {
                label: key.to_string(),
                kind: Some(CompletionItemKind::KEYWORD),
                detail: Some("any action".to_string()),
                documentation: markdown(doc.to_string()),
                sort_text: Some(format!("2{key}")),
                insert_text: Some(format!("{key} = ")),
                ..CompletionItem::default()
            });
        }
    }
    items
}

/// `"a" | "b"` parameter types: their values.
fn enum_values(block: &Action, key: &str) -> Vec<CompletionItem> {
    let Some(param) = block
        .def
        .and_then(|def| actions::params(def).iter().find(|param| param.name == key))
    else {
        return Vec::new();
    };
    param
        .ty
        .split(" | ")
        .filter(|value| value.starts_with('"'))
        .map(|value| CompletionItem {
            label: value.to_string(),
            kind: Some(CompletionItemKind::ENUM_MEMBER),
            detail: Some(format!("`{key}`")),
            ..CompletionItem::default()
        })
        .collect()
}

/// Names in scope at `offset` (`before` is the line up to it): ids of blocks above, the
/// block's own outputs (in its `expect`), then after `id.` that id's outputs and after
/// `id.list[0].` the fields of the list's items.
fn references(
    actions: &[Action],
    block: Option<&Action>,
    offset: usize,
    before: &str,
) -> Vec<CompletionItem> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']');
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_name(c))
        .last()
        .map_or(before.len(), |(i, _)| i);
    let typed = &before[start..];
    let path: Vec<&str> = match typed.rfind('.') {
        Some(dot) => typed[..dot]
            .split('.')
            .map(|segment| segment.split('[').next().unwrap_or_default())
            .collect(),
        None => Vec::new(),
    };
    let above = || {
        actions
            .iter()
            .filter(move |action| action.span.end <= offset)
    };
    match path.as_slice() {
        [] => {
            let mut items: Vec<CompletionItem> = above()
                .filter_map(|action| {
                    let (id, _) = action.id.as_ref()?;
                    let def = action.def?;
                    Some(CompletionItem {
                        label: id.clone(),
                        kind: Some(CompletionItemKind::VARIABLE),
                        detail: Some(match def.exports() {
                            Exports::Value => format!("string, from `{}`", def.name()),
                            Exports::Fields => format!("outputs of `{}`", def.name()),
                        }),
                        ..CompletionItem::default()
                    })
                })
                .collect();
            if let Some((name, list)) = block.and_then(|block| block.loop_over.as_ref()) {
                items.push(CompletionItem {
                    label: name.clone(),
                    kind: Some(CompletionItemKind::VARIABLE),
                    detail: Some(format!("each item of `{list}`")),
                    ..CompletionItem::default()
                });
            }
            if let Some(def) = block.and_then(|block| block.def) {
                items.extend(
                    def.outputs()
                        .iter()
                        .map(|output| output_item(output, "its own output")),
                );
            }
            items
        }
        [name]
            if block
                .and_then(|b| b.loop_over.as_ref())
                .is_some_and(|(n, _)| n == name) =>
        {
            let (_, list) = block.and_then(|b| b.loop_over.as_ref()).expect("matched");
            outline::loop_list(actions, list).map_or_else(Vec::new, fields)
        }
        [id] => {
            let Some(def) = outline::defining(actions, id)
                .filter(|action| action.span.end <= offset)
                .and_then(|action| action.def)
                .filter(|def| def.exports() == Exports::Fields)
            else {
                return Vec::new();
            };
            outputs(def)
        }
        [id, list] => outline::defining(actions, id)
            .filter(|action| action.span.end <= offset)
            .and_then(|action| action.output(list))
            .map_or_else(Vec::new, fields),
        _ => Vec::new(),
    }
}

fn output_item(output: &Output, from: &str) -> CompletionItem {
    let secret = if output.secret { ", secret" } else { "" };
    CompletionItem {
        label: output.name.to_string(),
        kind: Some(CompletionItemKind::FIELD),
        detail: Some(format!("{}{secret} ({from})", output.ty)),
        documentation: markdown(output.description.to_string()),
        ..CompletionItem::default()
    }
}

fn outputs(def: &dyn ActionDef) -> Vec<CompletionItem> {
    def.outputs()
        .iter()
        .map(|output| output_item(output, def.name()))
        .collect()
}

fn fields(output: &Output) -> Vec<CompletionItem> {
    output
        .items
        .iter()
        .map(|field| CompletionItem {
            label: field.name.to_string(),
            kind: Some(CompletionItemKind::FIELD),
            detail: Some(format!("{} (each item of `{}`)", field.ty, output.name)),
            documentation: markdown(field.description.to_string()),
            ..CompletionItem::default()
        })
        .collect()
}
