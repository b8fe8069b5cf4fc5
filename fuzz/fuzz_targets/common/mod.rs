//! What every target asserts about a checked runbook, beyond "no panic".

use runbook::bind::check::Checked;
use runbook::parse::diagnostic::Diagnostic;
use runbook::parse::document::{Block, Document, Section};
use runbook::bind::plan::Plan;
use runbook::parse::source::{Source, Span};

/// A span that lies inside the text and starts and ends on character boundaries.
pub fn assert_span(source: &Source, span: Span, what: &str) {
    let text = source.text();
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} outside 0..{}",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} splits a character"
    );
}

/// Every node of the syntax tree has a valid span, and the text it carries is the text
/// its span covers.
pub fn assert_document(source: &Source, document: &Document) {
    fn section(source: &Source, this: &Section) {
        assert_span(source, this.span, "section");
        assert_span(source, this.heading.span, "heading");
        assert!(this.span.start <= this.heading.span.start);
        for b in &this.blocks {
            block(source, b);
        }
        for child in &this.children {
            assert!(child.heading.level > this.heading.level);
            section(source, child);
        }
    }
    fn block(source: &Source, block: &Block) {
        match block {
            Block::Prose(prose) => {
                assert_span(source, prose.span, "prose");
                for image in &prose.images {
                    assert_span(source, image.span, "image");
                }
            }
            Block::Action(action) => {
                assert_span(source, action.span, "action block");
                assert_span(source, action.name_span, "action name");
                assert_span(source, action.body_span, "action body");
                assert_eq!(source.slice(action.name_span), action.name);
                assert_eq!(source.slice(action.body_span), action.body);
                for attribute in &action.attributes {
                    assert_span(source, attribute.span, "attribute");
                    let written = source.slice(attribute.span);
                    assert!(written.starts_with(&attribute.key), "{written:?}");
                }
            }
        }
    }
    if let Some(title) = &document.title {
        assert_span(source, title.span, "title");
    }
    for b in &document.intro {
        block(source, b);
    }
    for s in &document.sections {
        section(source, s);
    }
}

fn assert_diagnostic(source: Option<&Source>, diagnostic: &Diagnostic) {
    assert!(!diagnostic.code.is_empty() && !diagnostic.message.is_empty());
    assert!(
        diagnostic
            .code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "code `{}` is not kebab-case",
        diagnostic.code
    );
    if let Some(source) = source {
        let labels = diagnostic.primary.iter().chain(&diagnostic.secondary);
        for label in labels {
            assert_span(source, label.span, diagnostic.code);
        }
    }
}

/// What `runbook check` (and, for a valid runbook, `runbook plan`) does with the result,
/// and what must hold of it.
pub fn assert_checked(checked: &Checked) {
    let source = checked.source.as_ref();
    for diagnostic in &checked.diagnostics {
        assert_diagnostic(source, diagnostic);
    }
    // Diagnostics are reported in file order.
    assert!(
        checked
            .diagnostics
            .windows(2)
            .all(|pair| pair[0].offset() <= pair[1].offset())
    );
    // A runbook is bound exactly when nothing is wrong with it.
    assert_eq!(checked.runbook.is_some(), checked.errors() == 0);

    let plain = checked.render_diagnostics(false);
    let styled = checked.render_diagnostics(true);
    assert!(styled.len() >= plain.len());
    for diagnostic in &checked.diagnostics {
        let text = diagnostic.render(source, false, &checked.path);
        let head = format!("{}[{}]: ", diagnostic.severity, diagnostic.code);
        assert!(text.starts_with(&head), "{head} missing from:\n{text}");
        assert!(plain.contains(&text));
        // The snippet's `--> file:line:column` is where the primary label starts.
        if let (Some(source), Some(primary)) = (source, &diagnostic.primary) {
            let at = source.position(primary.span.start);
            let location = format!("--> {}:{}:{}", checked.path, at.line, at.column);
            assert!(text.contains(&location), "{location} missing from:\n{text}");
        }
    }

    let (Some(source), Some(runbook)) = (source, &checked.runbook) else {
        return;
    };
    let lines = source.text().lines().count().max(1);
    let mut ids = std::collections::HashSet::new();
    for step in &runbook.steps {
        assert!(!step.id.is_empty());
        assert!(step.line >= 1 && step.line <= lines);
        assert_span(source, step.span, "step");
        for prose in &step.prose {
            assert_span(source, *prose, "step prose");
        }
        for action in &step.actions {
            assert_span(source, action.span, "bound action");
            assert!(action.line >= step.line && action.line <= lines);
            // Outputs are stored, journaled and resumed by action id.
            assert!(
                ids.insert(action.id.clone()),
                "two actions have id `{}`",
                action.id
            );
            assert!(action.params().is_object());
        }
    }
    let plan = Plan::new(runbook);
    let text = plan.to_text();
    assert!(text.starts_with(&runbook.title));
    let json: serde_json::Value =
        serde_json::from_str(&plan.to_json()).expect("the JSON plan parses");
    assert_eq!(
        json["steps"].as_array().map(Vec::len),
        Some(runbook.steps.len())
    );
}
