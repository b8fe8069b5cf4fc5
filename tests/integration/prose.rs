//! A step's prose as `runbook run` prints it: tables as aligned columns, links with their
//! URL, and on a terminal (a pty from `script`, 40 columns) wrapped at word boundaries to
//! its width; into a pipe, not wrapped.

use std::process::Command;

use crate::harness::{BIN, Test};

const GUIDE: &str = "# T\n\n## Look\n\nOpen [the console](https://console.aws.amazon.com/) and read the long sentence that goes on and on past the edge of a narrow terminal window.\n\n| Kind | Serial number |\n|---|---|\n| virtual | arn:aws:iam::1:mfa/x |\n";

const SENTENCE: &str = "Open the console (https://console.aws.amazon.com/) and read the long sentence that goes on and on past the edge of a narrow terminal window.";

const TABLE: &str =
    "Kind     Serial number\n───────  ────────────────────\nvirtual  arn:aws:iam::1:mfa/x\n";

#[test]
fn into_a_pipe_prose_is_laid_out_but_not_wrapped() {
    let output = Test::new()
        .file("g.md", GUIDE)
        .args(["run", "g.md", "--yes", "--state-dir", "state"])
        .run();
    // The step is manual, so an unattended run stops there, after showing it.
    output.assert_code(1);
    assert!(output.stdout.contains(SENTENCE), "{}", output.stdout);
    assert!(output.stdout.contains(TABLE), "{}", output.stdout);
}

#[test]
fn on_a_terminal_prose_is_wrapped_at_word_boundaries_to_its_width() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("g.md"), GUIDE).unwrap();
    let command = format!("stty rows 24 cols 40; exec {BIN} run g.md --yes --state-dir state");
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("script (util-linux) runs");
    let screen = String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n");
    let start = screen.find("Open the").expect("the prose is shown");
    let end = start + screen[start..].find("\n\n").expect("a blank line after it");
    let prose = &screen[start..end];
    assert!(prose.lines().count() >= 4, "{screen}");
    for line in prose.lines() {
        assert!(line.chars().count() <= 40, "{line:?} in\n{screen}");
    }
    let words: Vec<&str> = prose.split_whitespace().collect();
    assert_eq!(words, SENTENCE.split_whitespace().collect::<Vec<_>>());
    assert!(screen.contains(TABLE), "{screen}");
}
