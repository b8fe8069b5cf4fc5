//! Arbitrary bytes as a runbook file: load, parse, bind and check it, render every
//! diagnostic as `runbook check` prints it, and when it is valid, plan it (`runbook plan`),
//! render it as HTML and Markdown (`runbook render`) and print every step's prose as
//! `runbook run` does on a terminal. What each prints stays within a multiple of the input
//! (issue 11: deep nesting once printed megabytes for a few kilobytes).

#![no_main]

use libfuzzer_sys::fuzz_target;
use runbook::bind::check::{check_file, check_source};
use runbook::parse::parser;
use runbook::render::{self, Format, Options, Theme};
use runbook::parse::source::Source;

mod common;

fuzz_target!(|data: &[u8]| {
    let checked = match std::str::from_utf8(data) {
        Ok(text) => {
            let source = Source::new("fuzz/fuzz.md", text);
            let parsed = parser::parse(&source);
            common::assert_document(&source, &parsed.document);
            let checked = check_source(source.clone());
            // The same file gives the same report every time (hash maps are seeded anew).
            let again = check_source(source);
            assert_eq!(checked.diagnostics, again.diagnostics);
            checked
        }
        Err(_) => {
            // Not UTF-8: through a file, so it takes `check_file`'s own path for such files.
            let dir = std::env::temp_dir().join(format!("runbook-fuzz-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("create a scratch directory");
            let file = dir.join("fuzz.md");
            std::fs::write(&file, data).expect("write the scratch file");
            let checked = check_file(&file);
            std::fs::remove_dir_all(&dir).expect("remove the scratch directory");
            assert!(checked.diagnostics.iter().any(|d| d.code == "not-utf8"));
            checked
        }
    };
    common::assert_checked(&checked);
    // Each diagnostic shows a few short windows of the file (labels far apart get one
    // each, long lines are cut): a few KB, plus what its message quotes of the input.
    let diagnostics = checked.render_diagnostics(false);
    assert!(
        diagnostics.len() <= bound(data.len(), 4) + 8_192 * checked.diagnostics.len(),
        "{} bytes of diagnostics for {} bytes",
        diagnostics.len(),
        data.len()
    );
    if checked.runbook.is_some() {
        rendered(&checked, data.len());
        terminal(&checked, data.len());
    }
});

/// What may be printed for `input` bytes: a constant, plus `factor` bytes per input byte.
/// Generous for what a byte can become (an action block of a dozen bytes is a card of a
/// few KB), while anything quadratic in the input exceeds it at a few KB.
fn bound(input: usize, factor: usize) -> usize {
    200_000 + factor * input
}

/// The prose of every step, as `runbook run` prints it.
fn terminal(checked: &runbook::bind::check::Checked, input: usize) {
    let (Some(source), Some(runbook)) = (&checked.source, &checked.runbook) else {
        return;
    };
    let mut printed = 0;
    for step in &runbook.steps {
        for span in &step.prose {
            let text = runbook::run::terminal::step_prose(source, &[*span], Some(40));
            printed += text.len();
        }
    }
    assert!(
        printed <= bound(input, 200),
        "{printed} bytes printed for {input} bytes"
    );
}

/// `runbook render` of a valid runbook (with its figures' own check left out: it only
/// adds diagnostics about image files).
fn rendered(checked: &runbook::bind::check::Checked, input: usize) {
    thread_local! {
        static THEME: Theme = Theme::builtin();
    }
    THEME.with(|theme| {
        for format in [Format::Html, Format::Markdown] {
            let options = Options {
                format,
                allow_html: false,
            };
            let page = render::render(checked, &options, theme).expect("a valid runbook renders");
            assert!(
                page.text.len() <= bound(input, 500),
                "{format:?}: {} bytes for {input} bytes",
                page.text.len()
            );
            if format == Format::Html {
                // Raw HTML in the runbook is escaped: the page's one script is its own.
                let lower = page.text.to_ascii_lowercase();
                assert!(lower.matches("<script").count() <= 1, "{}", page.text);
                for tag in ["<iframe", "<object", "<embed", "<form", "<base"] {
                    assert!(!lower.contains(tag), "{tag} in {}", page.text);
                }
            }
        }
    });
}
