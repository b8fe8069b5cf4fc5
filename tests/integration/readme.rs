//! The README teaches the format by example, and its examples cannot rot: every fenced
//! block tagged ```` ```markdown runbook-example ```` is a whole guide that `runbook check`
//! must accept; one tagged `runbook-example error=CODE` shows a mistake, and `check` must
//! reject it with `error[CODE]` and nothing else. A ```` ```text runbook-output ```` block
//! right after an example is what `runbook check guide.md` prints for it. GitHub reads only
//! the first word of an info string (`markdown`), so the examples are highlighted as
//! Markdown there.

use std::collections::BTreeSet;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::harness::{Test, root};

/// The README section whose Markdown examples must all be checked guides.
const FORMAT_SECTION: &str = "The runbook format, by example";

/// The condition and expression errors the format section explains, each with an example.
const EXPLAINED_ERRORS: &[&str] = &[
    "invalid-directive",
    "info-with-actions",
    "directive-outside-step",
    "type-mismatch",
    "not-text",
    "unknown-field",
    "unknown-filter",
    "not-a-condition",
    "invalid-expression",
    "possibly-skipped",
];

/// One fenced block of the README.
struct Block {
    /// 1-based line of its opening fence.
    line: usize,
    /// The `##` section it is in.
    section: String,
    /// Its info string's words.
    words: Vec<String>,
    text: String,
}

impl Block {
    fn is_output(&self) -> bool {
        self.words == ["text", "runbook-output"]
    }

    fn is_example(&self) -> bool {
        self.words.first().map(String::as_str) == Some("markdown")
            && self.words.iter().any(|w| w == "runbook-example")
    }

    /// The error code the example must produce (`error=CODE`), if any; a word of the tag
    /// that means nothing is a mistake in the README, reported as such.
    fn expected_error(&self) -> Result<Option<String>, String> {
        let mut error = None;
        for word in &self.words[1..] {
            match word.split_once('=') {
                None if word == "runbook-example" => {}
                Some(("error", code)) if !code.is_empty() && error.is_none() => {
                    error = Some(code.to_string());
                }
                _ => {
                    return Err(format!(
                        "README.md:{}: `{word}` in the example's tag: write `markdown runbook-example` or `markdown runbook-example error=CODE`",
                        self.line
                    ));
                }
            }
        }
        Ok(error)
    }
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// Every fenced code block of `text`, with the `##` section it is in.
fn fenced_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut section = String::new();
    let mut heading: Option<String> = None;
    let mut current: Option<Block> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => {
                section = heading.take().unwrap_or_default();
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                current = Some(Block {
                    line: 1 + text[..range.start].matches('\n').count(),
                    section: section.clone(),
                    words: info.split_whitespace().map(str::to_string).collect(),
                    text: String::new(),
                });
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            Event::Text(piece) | Event::Code(piece) => {
                if let Some(block) = current.as_mut() {
                    block.text.push_str(&piece);
                } else if let Some(heading) = heading.as_mut() {
                    heading.push_str(&piece);
                }
            }
            _ => {}
        }
    }
    blocks
}

/// The codes of the errors `check` reported (`error[CODE]: …`).
fn error_codes(stderr: &str) -> Vec<&str> {
    stderr
        .match_indices("error[")
        .filter_map(|(at, _)| {
            let rest = &stderr[at + "error[".len()..];
            rest.find(']').map(|end| &rest[..end])
        })
        .collect()
}

#[test]
fn every_readme_example_checks_as_it_says() {
    let blocks = fenced_blocks(&readme());
    assert!(
        blocks.iter().any(Block::is_example),
        "no ```markdown runbook-example block in README.md"
    );
    let mut problems = Vec::new();
    let mut shown_errors = BTreeSet::new();
    let mut valid = 0;
    let mut outputs = 0;
    for (i, block) in blocks.iter().enumerate() {
        if block.is_output() && !blocks[..i].last().is_some_and(Block::is_example) {
            problems.push(format!(
                "README.md:{}: a `runbook-output` block must come right after the example it is the output of",
                block.line
            ));
        }
    }
    for (i, example) in blocks.iter().enumerate() {
        if !example.is_example() {
            continue;
        }
        let expected = match example.expected_error() {
            Ok(expected) => expected,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        // Each in a directory of its own, under the name its shown output uses.
        let name = "guide.md";
        let output = Test::new()
            .file(name, &example.text)
            .args(["check", name])
            .run();
        assert!(
            !output.stderr.contains("panicked"),
            "README.md:{}: check panicked:\n{}",
            example.line,
            output.stderr
        );
        let codes = error_codes(&output.stderr);
        let at = format!("--> {name}:");
        match &expected {
            None => {
                valid += 1;
                if output.code != 0 || !output.stderr.is_empty() {
                    problems.push(format!(
                        "README.md:{}: the example should check cleanly, but `runbook check` exited {}:\n{}",
                        example.line, output.code, output.stderr
                    ));
                }
            }
            Some(code) => {
                shown_errors.insert(code.clone());
                if output.code != 1
                    || codes.is_empty()
                    || codes.iter().any(|c| c != code)
                    || !output.stderr.contains(&at)
                {
                    problems.push(format!(
                        "README.md:{}: the example should fail with error[{code}] only, but `runbook check` exited {} with {codes:?}:\n{}{}",
                        example.line, output.code, output.stdout, output.stderr
                    ));
                }
            }
        }
        if let Some(shown) = blocks.get(i + 1).filter(|b| b.is_output()) {
            outputs += 1;
            let printed = format!("{}{}", output.stdout, output.stderr);
            // `check` ends with an empty line, which a fenced block does not show.
            if printed.trim_end() != shown.text.trim_end() {
                problems.push(format!(
                    "README.md:{}: the output shown is not what `runbook check {name}` prints for the example at line {}; it prints:\n{printed}",
                    shown.line, example.line
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(valid > 0, "no README example is a valid guide");
    assert!(outputs > 0, "no README example shows its output");
    let missing: Vec<&&str> = EXPLAINED_ERRORS
        .iter()
        .filter(|code| !shown_errors.contains(**code))
        .collect();
    assert!(
        missing.is_empty(),
        "the format section shows no example of {missing:?}"
    );
}

/// A Markdown example in the format section that is not a checked guide would go stale
/// unnoticed: each one must be tagged `runbook-example`.
#[test]
fn the_format_section_shows_only_checked_examples() {
    let blocks = fenced_blocks(&readme());
    let in_section: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.section == FORMAT_SECTION)
        .collect();
    assert!(
        !in_section.is_empty(),
        "README.md has no `## {FORMAT_SECTION}` section with examples"
    );
    let unchecked: Vec<String> = in_section
        .iter()
        .filter(|b| b.words.first().map(String::as_str) == Some("markdown") && !b.is_example())
        .map(|b| format!("README.md:{}: ```{}", b.line, b.words.join(" ")))
        .collect();
    assert!(
        unchecked.is_empty(),
        "Markdown examples in the format section must be whole guides tagged `markdown runbook-example` (or `… error=CODE`):\n{}",
        unchecked.join("\n")
    );
}

#[test]
fn the_extractor_reads_nested_fences_and_tags() {
    let text = "## A\n\n````markdown runbook-example error=not-text\n# T\n\n## S\n\n```sts.get-caller-identity id=me\n```\n````\n\n```sh\nls\n```\n";
    let blocks = fenced_blocks(text);
    assert_eq!(blocks.len(), 2);
    assert!(blocks[0].is_example());
    assert_eq!(blocks[0].line, 3);
    assert_eq!(blocks[0].section, "A");
    assert_eq!(
        blocks[0].text,
        "# T\n\n## S\n\n```sts.get-caller-identity id=me\n```\n"
    );
    assert_eq!(blocks[0].expected_error(), Ok(Some("not-text".to_string())));
    assert!(!blocks[1].is_example());
    let typo = Block {
        line: 1,
        section: String::new(),
        words: vec!["markdown".into(), "runbook-example".into(), "eror=x".into()],
        text: String::new(),
    };
    assert!(typo.expected_error().is_err());
    assert_eq!(
        error_codes("error[a]: x\n  = help\nerror[b-c]: y"),
        ["a", "b-c"]
    );
}
