//! `runbook mdbook`: guides inside an existing mdBook. mdBook hands each chapter to the
//! preprocessor; a chapter that is a runbook is checked like `runbook render` checks a
//! guide, and its action blocks become the same cards `runbook render` draws (what it does,
//! whether it changes AWS, the AWS CLI equivalent with a copy button). The prose stays the
//! chapter's own Markdown, for mdBook to render with its theme. A chapter with errors
//! fails the book build with `check`'s diagnostics.
//!
//! ```toml
//! # book.toml
//! [preprocessor.runbook]
//! command = "runbook mdbook"
//! ```

use std::path::{Path, PathBuf};

use mdbook_preprocessor::book::{Book, BookItem};

use crate::bind::check::Checked;
use crate::parse::source::Source;
use crate::render::{Format, Options, RenderError, Rendering, Theme, html, markdown};

/// The renderers the cards are made for (`runbook mdbook supports RENDERER`).
pub fn supports(renderer: &str) -> bool {
    renderer == "html"
}

/// What became of a book's chapters.
#[derive(Debug, Default)]
pub struct Preprocessed {
    /// Chapters that are runbooks and were turned into cards.
    pub guides: Vec<PathBuf>,
    /// Chapters that are runbooks with errors (or warnings), as `check` reports them.
    pub checked: Vec<Checked>,
}

impl Preprocessed {
    pub fn errors(&self) -> usize {
        self.checked.iter().map(Checked::errors).sum()
    }
}

/// Turn every runbook chapter of `book` into cards. `src` is the book's source folder
/// (chapter paths are relative to it). A chapter with errors is left as it was and
/// reported in [`Preprocessed::checked`]; the caller fails the build.
pub fn preprocess(book: &mut Book, src: &Path, theme: &Theme) -> Result<Preprocessed, RenderError> {
    let mut done = Preprocessed::default();
    let mut failure = None;
    book.for_each_mut(|item| {
        let BookItem::Chapter(chapter) = item else {
            return;
        };
        let Some(source_path) = &chapter.source_path else {
            return;
        };
        if failure.is_some() || !looks_like_runbook(&chapter.content) {
            return;
        }
        let path = src.join(source_path);
        let checked = crate::render::check_source(Source::new(&path, chapter.content.clone()));
        let options = Options {
            format: Format::MdBook,
            allow_html: true,
        };
        if checked.errors() == 0 {
            match crate::render::render(&checked, &options, theme) {
                Ok(page) => {
                    chapter.content = page.text;
                    done.guides.push(path);
                }
                Err(error) => failure = Some(error),
            }
        }
        if !checked.diagnostics.is_empty() {
            done.checked.push(checked);
        }
    });
    match failure {
        Some(error) => Err(error),
        None => Ok(done),
    }
}

/// Whether a chapter is meant as a runbook (the test `runbook lsp` applies to a file too).
pub use crate::bind::check::looks_like_runbook;

/// The chapter: the runbook's Markdown as written, each action block replaced by its card
/// (an HTML block with no blank line inside, so Markdown leaves it whole), with the cards'
/// style sheet and the copy buttons' script once at the top and the bottom.
pub fn chapter(rendering: &Rendering<'_>) -> Result<String, RenderError> {
    let mut cards = Vec::new();
    for (_, action) in rendering.runbook.actions() {
        cards.push(html::action_card(rendering, action)?);
    }
    let mut cards = cards.into_iter();
    let body = markdown::page_with(rendering, false, |_| {
        let card = cards.next().unwrap_or_default();
        let lines: Vec<&str> = card.lines().filter(|l| !l.trim().is_empty()).collect();
        format!(
            "<div class=\"runbook-card\">\n{}\n</div>\n",
            lines.join("\n")
        )
    });
    let style = rendering
        .theme
        .render("mdbook.css", minijinja::Value::from(()))
        .map_err(|error| html::template_error(rendering, "mdbook.css", error))?;
    let script = rendering
        .theme
        .render("copy.js", minijinja::Value::from(()))
        .map_err(|error| html::template_error(rendering, "copy.js", error))?;
    Ok(format!(
        "<style>\n{}\n</style>\n\n{body}\n<script>\n{}\n</script>\n",
        squeeze(&style),
        squeeze(&script)
    ))
}

/// Without blank lines, so the whole style sheet or script stays one HTML block.
fn squeeze(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_chapters_with_action_blocks_or_directives_are_runbooks() {
        assert!(looks_like_runbook(
            "# T\n\n## S\n\n```iam.list-mfa-devices id=d\n```\n"
        ));
        assert!(looks_like_runbook("# T\n\n~~~ totp.code\n~~~\n"));
        assert!(looks_like_runbook("# T\n\n<!-- runbook: info = true -->\n"));
        assert!(!looks_like_runbook(
            "# Intro\n\n```rust\nfn main() {}\n```\n"
        ));
        assert!(!looks_like_runbook(
            "# Intro\n\n```sh\naws iam list-users\n```\n"
        ));
        assert!(
            !looks_like_runbook("# Intro\n\n```file.txt\n```\n"),
            "a file name"
        );
        assert!(!looks_like_runbook("# Intro\n\nSee `iam.x`.\n"));
        assert!(
            looks_like_runbook("# T\n\n```iam.lst-users\n```\n"),
            "a typo, for check to report"
        );
    }

    #[test]
    fn only_html_is_supported() {
        assert!(supports("html"));
        assert!(!supports("markdown"));
    }
}
