//! A step's content in document order: its prose blocks and its action blocks,
//! interleaved as written. Shared by every renderer (HTML, Markdown, terminal).

use crate::bind::runbook::{BoundAction, Step};
use crate::parse::source::Span;

/// One piece of a step, in the order it appears in the file.
#[derive(Clone, Copy, Debug)]
pub enum StepItem<'a> {
    /// A run of prose between action blocks (paragraphs, lists, quotes, code, figures…):
    /// its exact bytes in the source, blank lines included. One span per run, so
    /// constructs spanning blocks (raw `<details>` … `</details>`, link definitions) stay
    /// whole.
    Prose(Span),
    /// An action block.
    Action(&'a BoundAction),
}

impl StepItem<'_> {
    pub fn span(&self) -> Span {
        match self {
            StepItem::Prose(span) => *span,
            StepItem::Action(action) => action.span,
        }
    }
}

/// A step's prose and actions in document order, each run of prose blocks between two
/// action blocks joined into one span.
pub fn step_items(step: &Step) -> Vec<StepItem<'_>> {
    let mut items: Vec<StepItem<'_>> = step
        .prose
        .iter()
        .copied()
        .map(StepItem::Prose)
        .chain(step.actions.iter().map(StepItem::Action))
        .collect();
    items.sort_by_key(|item| item.span().start);
    let mut merged: Vec<StepItem<'_>> = Vec::with_capacity(items.len());
    for item in items {
        match (merged.last_mut(), item) {
            (Some(StepItem::Prose(run)), StepItem::Prose(next)) => {
                *run = Span::new(run.start, next.end);
            }
            (_, item) => merged.push(item),
        }
    }
    merged
}

/// The span from the first to the last of some blocks (`None` if there are none).
pub fn run_of(spans: impl IntoIterator<Item = Span>) -> Option<Span> {
    spans.into_iter().fold(None, |run, span| match run {
        None => Some(span),
        Some(run) => Some(Span::new(run.start.min(span.start), run.end.max(span.end))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bind::check::check_source;
    use crate::parse::source::Source;

    #[test]
    fn prose_runs_and_actions_alternate_in_document_order() {
        let text = "# T\n\n## S\n\nOne.\n\n- two\n\n```sts.get-caller-identity id=me\n```\n\nThree.\n\n```iam.list-mfa-devices\n```\n";
        let checked = check_source(Source::new("t.md", text));
        let runbook = checked.runbook.expect("valid");
        let items = step_items(&runbook.steps[0]);
        let shown: Vec<String> = items
            .iter()
            .map(|item| match item {
                StepItem::Prose(span) => format!("prose {:?}", &text[span.range()]),
                StepItem::Action(action) => format!("action {}", action.def.name()),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "prose \"One.\\n\\n- two\"",
                "action sts.get-caller-identity",
                "prose \"Three.\"",
                "action iam.list-mfa-devices",
            ]
        );
    }
}
