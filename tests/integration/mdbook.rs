//! `runbook mdbook` under the real `mdbook` (crates.io's, installed into target/tools by
//! scripts/setup.sh): a small book with an introduction chapter (prose and a Rust block,
//! which must pass through untouched) and `runbooks/aws-mfa.md` with its figures. The book
//! builds, the guide's chapter has one card per action block, the prose and figures stay;
//! a broken guide fails the build with `check`'s diagnostic. The built page is opened in
//! headless Chromium by `browser::the_guide_in_an_mdbook_in_a_real_browser`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{BIN, root};

/// The mdBook scripts/setup.sh installs.
pub fn mdbook() -> PathBuf {
    let path = root().join("target/tools/bin/mdbook");
    assert!(
        path.is_file(),
        "{} is missing; scripts/setup.sh installs mdBook there",
        path.display()
    );
    path
}

/// A book in a scratch folder: the introduction and the real guide with its figures, the
/// preprocessor registered with this build's binary, and replace-mfa-device.md, which
/// includes aws-mfa.md's steps. `guide` replaces aws-mfa.md's text (and then the other
/// guide is a plain chapter).
pub fn book(guide: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("runbooks/images")).unwrap();
    std::fs::write(
        dir.path().join("book.toml"),
        format!(
            "[book]\ntitle = \"Identity runbooks\"\n\n[preprocessor.runbook]\ncommand = \"{BIN} mdbook\"\n"
        ),
    )
    .unwrap();
    std::fs::write(
        src.join("SUMMARY.md"),
        "# Summary\n\n[Introduction](intro.md)\n\n- [Set up MFA](runbooks/aws-mfa.md)\n- [Replace a device](runbooks/replace-mfa-device.md)\n",
    )
    .unwrap();
    std::fs::write(
        src.join("intro.md"),
        "# Introduction\n\nThe team's identity guides.\n\n```rust\nfn main() { println!(\"{}\", 1); }\n```\n",
    )
    .unwrap();
    let text = match guide {
        Some(text) => text.to_string(),
        None => std::fs::read_to_string(root().join("runbooks/aws-mfa.md")).unwrap(),
    };
    std::fs::write(src.join("runbooks/aws-mfa.md"), text).unwrap();
    // With the real aws-mfa.md, a guide that includes steps of it.
    let replace = src.join("runbooks/replace-mfa-device.md");
    if guide.is_none() {
        std::fs::copy(root().join("runbooks/replace-mfa-device.md"), &replace).unwrap();
    } else {
        std::fs::write(&replace, "# Replace\n\nOnly with the real aws-mfa.md.\n").unwrap();
    }
    for entry in std::fs::read_dir(root().join("runbooks/images")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "png") {
            std::fs::copy(
                &path,
                src.join("runbooks/images").join(path.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    dir
}

pub fn build(book: &Path) -> std::process::Output {
    Command::new(mdbook())
        .arg("build")
        .current_dir(book)
        .env("NO_COLOR", "1")
        .output()
        .expect("run mdbook")
}

#[test]
fn the_guide_builds_into_an_mdbook_with_its_cards() {
    let book = book(None);
    let output = build(book.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "mdbook build failed:\n{stderr}");
    let page = std::fs::read_to_string(book.path().join("book/runbooks/aws-mfa.html")).unwrap();

    // One card per action block, in a card wrapper, with the CLI equivalents.
    let blocks = planned_actions(&root().join("runbooks/aws-mfa.md"));
    assert!(blocks >= 10, "the guide has {blocks} action blocks");
    assert_eq!(
        page.matches("<div class=\"runbook-card\">").count(),
        blocks,
        "one card per action block"
    );
    for expected in [
        "aws sts get-caller-identity",
        "aws iam create-virtual-mfa-device",
        "Equivalent AWS CLI command",
        "Changes AWS",
        "Read-only",
    ] {
        assert!(page.contains(expected), "the chapter lacks {expected:?}");
    }
    // No action block is left as a code block, and the prose is mdBook's rendering of it.
    assert!(
        !page.contains("language-iam."),
        "an action block left as code"
    );
    assert!(page.contains("Securing your Amazon Web Services (AWS) account is critical."));
    // The figures: referenced where they were, and copied by mdBook.
    for n in [1, 3, 7, 9] {
        assert!(
            page.contains(&format!("src=\"images/step{n}.png\"")),
            "figure step{n}"
        );
        assert!(
            book.path()
                .join(format!("book/runbooks/images/step{n}.png"))
                .is_file(),
            "step{n}.png not in the built book"
        );
    }
    // The style sheet and the copy script, once each.
    assert_eq!(page.matches(".runbook-card .action {").count(), 1);
    assert_eq!(page.matches("button[data-copy]").count(), 1);
    // The introduction is not a runbook: untouched.
    let intro = std::fs::read_to_string(book.path().join("book/intro.html")).unwrap();
    assert!(intro.contains("language-rust"), "{intro}");
    assert!(!intro.contains("runbook-card"));
}

/// The number of action blocks `runbook plan` counts in a guide (included ones too).
fn planned_actions(guide: &Path) -> usize {
    let output = Command::new(BIN)
        .args(["plan", "--format", "json"])
        .arg(guide)
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["actions"].as_array().map_or(0, Vec::len))
        .sum()
}

#[test]
fn a_guide_with_includes_gets_the_included_cards_and_a_link_to_their_guide() {
    let book = book(None);
    let output = build(book.path());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let page =
        std::fs::read_to_string(book.path().join("book/runbooks/replace-mfa-device.html")).unwrap();
    let actions = planned_actions(&root().join("runbooks/replace-mfa-device.md"));
    assert_eq!(
        page.matches("<div class=\"runbook-card\">").count(),
        actions,
        "one card per action, the included ones too"
    );
    assert!(
        page.contains("From <a href=\"aws-mfa.html#"),
        "no link from an included section to its guide's page"
    );
    assert!(page.contains("aws iam deactivate-mfa-device"));
}

#[test]
fn prose_that_knows_the_run_shows_placeholders_in_the_book() {
    let guide = "# Who am I\n\n## Ask AWS\n\n```sts.get-caller-identity id=me\n```\n\nYou are signed in as {{ me.arn }}.\n";
    let book = book(Some(guide));
    let output = build(book.path());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let page = std::fs::read_to_string(book.path().join("book/runbooks/aws-mfa.html")).unwrap();
    let line = page
        .lines()
        .find(|line| line.contains("You are signed in as"))
        .expect("the sentence");
    assert!(!line.contains("{{"), "{line}");
    assert!(
        line.contains("me.arn"),
        "the placeholder names the value: {line}"
    );
    assert_eq!(page.matches("<div class=\"runbook-card\">").count(), 1);
}

#[test]
fn a_broken_guide_fails_the_book_build_with_the_diagnostic() {
    let guide = std::fs::read_to_string(root().join("runbooks/aws-mfa.md")).unwrap();
    let broken = guide.replacen("{{ duo.", "{{ duoo.", 1);
    assert_ne!(broken, guide, "the guide refers to duo's outputs");
    let book = book(Some(&broken));
    let output = build(book.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "the book built despite the error:\n{stderr}"
    );
    assert!(stderr.contains("error["), "no diagnostic:\n{stderr}");
    assert!(
        stderr.contains("duoo"),
        "the diagnostic does not name the typo:\n{stderr}"
    );
    assert!(
        stderr.contains("src/runbooks/aws-mfa.md:"),
        "the diagnostic does not point into the chapter's file:\n{stderr}"
    );
    assert!(stderr.contains("runbook check FILE"), "{stderr}");
    assert!(!book.path().join("book/runbooks/aws-mfa.html").exists());
}

#[test]
fn the_preprocessor_answers_mdbooks_supports_query() {
    for (renderer, code) in [("html", 0), ("markdown", 1), ("epub", 1)] {
        let status = Command::new(BIN)
            .args(["mdbook", "supports", renderer])
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(code), "supports {renderer}");
    }
}

#[test]
fn the_preprocessor_outside_mdbook_says_how_to_use_it() {
    let output = Command::new(BIN)
        .arg("mdbook")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("book.toml"), "{stderr}");
    assert!(stderr.contains("mdbook build"), "{stderr}");
}
