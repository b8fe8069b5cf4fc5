//! The command line itself: help that teaches, usage errors exit 2.

use crate::harness::Test;

#[test]
fn help_teaches_with_examples() {
    let output = Test::new().args(["--help"]).run();
    output.assert_code(0);
    for needle in [
        "check",
        "plan",
        "actions",
        "Examples:",
        "runbook plan runbooks/aws-mfa.md",
        "Exit codes",
    ] {
        assert!(
            output.stdout.contains(needle),
            "--help lacks `{needle}`:\n{}",
            output.stdout
        );
    }
}

/// What `--help` says makes a step is what the README's format section says (and what
/// the parser does: every leaf heading is a step), clause by clause.
#[test]
fn help_says_what_a_step_is_as_the_readme_does() {
    let output = Test::new().args(["--help"]).run();
    output.assert_code(0);
    let words = |text: &str| {
        text.replace("**", "")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let help = words(&output.stdout);
    let readme = std::fs::read_to_string(crate::harness::root().join("README.md")).unwrap();
    let statement = readme
        .split("\n- ")
        .find(|item| item.contains("is a **step**"))
        .expect("the README says what a step is");
    // The README's statement, up to the step id rule that follows it.
    let statement = words(statement.split(" A step's id").next().unwrap());
    let statement = statement.trim_end_matches('.');
    let clauses: Vec<&str> = statement.split("; ").collect();
    assert!(clauses.len() >= 2, "{statement}");
    for clause in clauses {
        assert!(
            help.contains(clause),
            "--help does not say, as the README does, `{clause}`:\n{}",
            output.stdout
        );
    }
    assert!(!help.contains("`##`/`###` headings are steps"), "{help}");
}

#[test]
fn subcommand_help_explains_what_it_does() {
    let output = Test::new().args(["check", "--help"]).run();
    output.assert_code(0);
    assert!(
        output.stdout.contains("rustc-style diagnostics"),
        "{}",
        output.stdout
    );
}

#[test]
fn usage_errors_exit_2() {
    Test::new().args(["check"]).run().assert_code(2);
    Test::new().args(["frobnicate"]).run().assert_code(2);
    Test::new()
        .args(["plan", "x.md", "--format", "yaml"])
        .run()
        .assert_code(2);
}

#[test]
fn version_is_printed() {
    let output = Test::new().args(["--version"]).run();
    output.assert_code(0);
    assert!(output.stdout.starts_with("runbook "), "{}", output.stdout);
    // The test build has the default features, USB keys among them.
    assert!(
        output.stdout.contains("\nUSB security keys: yes\n"),
        "{}",
        output.stdout
    );
}

#[test]
fn plan_of_an_invalid_runbook_fails_with_diagnostics() {
    let output = Test::new()
        .file("r.md", "# T\n\n## S\n\n```iam.nope\n```\n")
        .args(["plan", "r.md"])
        .run();
    output.assert_code(1);
    assert!(output.stdout.is_empty(), "{}", output.stdout);
    assert!(
        output.stderr.contains("error[unknown-action]"),
        "{}",
        output.stderr
    );
}
