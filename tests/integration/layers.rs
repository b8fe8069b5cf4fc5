//! The pipeline's direction, held: every `crate::…` path in a stage's files (code, not
//! comments) names only what that stage may use. A stage uses those before it, never one
//! after it (like casey/just's `bin/forbid`, a plain scan of the source).

use std::path::{Path, PathBuf};

use regex::Regex;

use crate::harness::root;

/// A top-level part of the crate (`src/<part>/` or `src/<part>.rs`) and what its code must
/// never name. The leaves (`secret`, `sanitize`, `totp`, `fido`) may be used by any part.
const RULES: &[(&str, &[&str])] = &[
    // parse uses nothing above it.
    (
        "parse",
        &[
            "bind",
            "run",
            "render",
            "testing",
            "diff",
            "actions",
            "providers",
            "cli",
            "lsp",
        ],
    ),
    // bind never calls a provider; of run it names only the `Context` actions run with.
    (
        "bind",
        &[
            "providers",
            "render",
            "testing",
            "diff",
            "cli",
            "lsp",
            "run::executor",
            "run::runner",
            "run::journal",
            "run::ui",
            "run::values",
            "run::terminal",
            "run::handover",
        ],
    ),
    // render shows the runbook; it never runs it.
    (
        "render",
        &["run", "providers", "testing", "cli", "lsp", "diff"],
    ),
    // diff compares two plans (with render's Markdown words); it never runs anything.
    (
        "diff",
        &["run", "providers", "testing", "actions", "cli", "lsp"],
    ),
    // providers are side effects only: they know nothing of runbooks.
    (
        "providers",
        &[
            "parse", "bind", "run", "render", "testing", "actions", "cli", "lsp", "diff",
        ],
    ),
    ("run", &["testing", "cli", "lsp", "diff"]),
    ("actions", &["render", "testing", "cli", "lsp", "diff"]),
    ("testing", &["cli", "lsp", "diff"]),
    // The leaves use only each other.
    (
        "secret",
        &[
            "parse",
            "bind",
            "run",
            "render",
            "testing",
            "diff",
            "actions",
            "providers",
            "cli",
            "lsp",
        ],
    ),
    (
        "sanitize",
        &[
            "parse",
            "bind",
            "run",
            "render",
            "testing",
            "diff",
            "actions",
            "providers",
            "cli",
            "lsp",
        ],
    ),
    (
        "totp",
        &[
            "parse",
            "bind",
            "run",
            "render",
            "testing",
            "diff",
            "actions",
            "providers",
            "cli",
            "lsp",
        ],
    ),
    (
        "fido",
        &[
            "parse",
            "bind",
            "run",
            "render",
            "testing",
            "diff",
            "actions",
            "providers",
            "cli",
            "lsp",
        ],
    ),
    // lsp answers an editor from parse, bind and check; it never runs or renders.
    (
        "lsp",
        &["run", "providers", "render", "testing", "diff", "cli"],
    ),
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// Every `crate::a::b` a file's code names (comments left out), with its line number.
fn paths_named(text: &str) -> Vec<(usize, String)> {
    let path = Regex::new(r"crate::([a-z_]+(?:::[a-z_]+)?)").unwrap();
    let mut named = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        for found in path.captures_iter(code) {
            named.push((number + 1, found[1].to_string()));
        }
    }
    named
}

/// The rule a path breaks, if any: `forbidden` lists parts (`run`) or modules (`run::ui`).
fn broken<'r>(named: &str, forbidden: &[&'r str]) -> Option<&'r str> {
    forbidden
        .iter()
        .copied()
        .find(|rule| named == *rule || named.starts_with(&format!("{rule}::")))
}

/// Every use of a part a stage must not use, as `file:line: names crate::x (rule)`.
fn violations(src: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for (part, forbidden) in RULES {
        let mut files = Vec::new();
        rust_files(&src.join(part), &mut files);
        rust_files(&src.join(format!("{part}.rs")), &mut files);
        assert!(!files.is_empty(), "no src/{part}/ or src/{part}.rs");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (line, named) in paths_named(&text) {
                if let Some(rule) = broken(&named, forbidden) {
                    found.push(format!(
                        "{}:{line}: `{part}` names crate::{named}, but must not use `{rule}`",
                        file.strip_prefix(src).unwrap_or(&file).display()
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn every_stage_uses_only_what_comes_before_it() {
    let found = violations(&root().join("src"));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_scan_catches_a_forbidden_use() {
    // A copy of the tree with parse using the run stage's output, and render a provider.
    let copy = tempfile::tempdir().unwrap();
    let copied = copy.path().join("src");
    copy_tree(&root().join("src"), &copied);
    let source = copied.join("parse/source.rs");
    let text = std::fs::read_to_string(&source).unwrap();
    std::fs::write(&source, format!("use crate::run::ui::Ui;\n{text}")).unwrap();
    let html = copied.join("render/html.rs");
    let text = std::fs::read_to_string(&html).unwrap();
    std::fs::write(
        &html,
        format!("{text}\nfn clock() -> crate::providers::SystemClock {{ todo!() }}\n"),
    )
    .unwrap();
    // A comment naming another stage is not a use.
    let document = copied.join("parse/document.rs");
    let text = std::fs::read_to_string(&document).unwrap();
    std::fs::write(&document, format!("// see crate::run::executor\n{text}")).unwrap();
    let found = violations(&copied);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].starts_with("parse/source.rs:1: `parse` names crate::run::ui"),
        "{found:#?}"
    );
    assert!(
        found[1].contains("render/html.rs")
            && found[1].contains("names crate::providers, but must not use `providers`"),
        "{found:#?}"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
