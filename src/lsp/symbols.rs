//! Document symbols, the editor's outline: parts → steps → action blocks, as `runbook`
//! reads the guide (a heading with sub-headings is a part, one without is a step).

use lsp_types::{DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, SymbolKind};

use crate::lsp::documents::{Documents, Open};
use crate::parse::document::{Block, Section};
use crate::parse::parser;
use crate::parse::source::{Source, Span};

pub fn symbols(
    documents: &Documents,
    params: DocumentSymbolParams,
) -> Option<DocumentSymbolResponse> {
    let open = documents.get(&params.text_document.uri)?;
    Some(DocumentSymbolResponse::Nested(outline(open)))
}

/// name, detail, kind, range, selection range, children.
type MakeSymbol<'a> = dyn Fn(
        String,
        Option<String>,
        SymbolKind,
        Span,
        Span,
        Option<Vec<DocumentSymbol>>,
    ) -> DocumentSymbol
    + 'a;

pub fn outline(open: &Open) -> Vec<DocumentSymbol> {
    let source = Source::new("", open.text.as_str());
    let parsed = parser::parse(&source);
    let symbol =
        |name: String, detail: Option<String>, kind, range: Span, selection: Span, children| {
            #[allow(deprecated)] // `deprecated` is a field every DocumentSymbol must still set.
            DocumentSymbol {
                name,
                detail,
                kind,
                tags: None,
                deprecated: None,
                range: open.lines.range(&open.text, range.range()),
                selection_range: open.lines.range(&open.text, selection.range()),
                children,
            }
        };
    let blocks = |blocks: &[Block<'_>]| -> Vec<DocumentSymbol> {
        blocks
            .iter()
            .filter_map(|block| match block {
                Block::Action(action) => Some(symbol(
                    action.name.to_string(),
                    action
                        .attribute("id")
                        .and_then(|id| id.value)
                        .map(|id| format!("id={id}")),
                    SymbolKind::METHOD,
                    action.span,
                    action.name_span,
                    None,
                )),
                Block::Prose(_) => None,
            })
            .collect()
    };
    fn tree(
        list: &[Section<'_>],
        blocks: &dyn Fn(&[Block<'_>]) -> Vec<DocumentSymbol>,
        symbol: &MakeSymbol<'_>,
    ) -> Vec<DocumentSymbol> {
        list.iter()
            .map(|section| {
                let mut children = blocks(&section.blocks);
                children.extend(tree(&section.children, blocks, symbol));
                let (kind, detail) = if section.is_leaf() {
                    (SymbolKind::FUNCTION, "step")
                } else {
                    (SymbolKind::NAMESPACE, "part")
                };
                symbol(
                    section.heading.text.clone(),
                    Some(detail.to_string()),
                    kind,
                    section.span,
                    section.heading.span,
                    Some(children),
                )
            })
            .collect()
    }
    let mut found = blocks(&parsed.document.intro);
    found.extend(tree(&parsed.document.sections, &blocks, &symbol));
    found
}
