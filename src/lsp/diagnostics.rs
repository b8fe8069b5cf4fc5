//! `runbook check`'s diagnostics as LSP diagnostics: the same codes and spans, the first
//! definition of a duplicate as related information, the help line as the message's
//! second part.

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range,
    Uri,
};

use crate::lsp::lines::Lines;
use crate::parse::diagnostic::{Diagnostic, Severity};

/// What the client shows as the diagnostic's source.
pub const SOURCE: &str = "runbook";

pub fn to_lsp(
    diagnostic: &Diagnostic,
    uri: &Uri,
    text: &str,
    lines: &Lines,
) -> lsp_types::Diagnostic {
    let range = |span: crate::parse::source::Span| lines.range(text, span.range());
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    for note in &diagnostic.notes {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .secondary
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), range(label.span)),
            message: label.text.clone(),
        })
        .collect();
    lsp_types::Diagnostic {
        range: diagnostic.primary.as_ref().map_or(
            Range::new(Position::new(0, 0), Position::new(0, 0)),
            |label| range(label.span),
        ),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.to_string())),
        source: Some(SOURCE.to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}
