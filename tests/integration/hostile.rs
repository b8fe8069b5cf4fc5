//! Hostile input (issue 11, items 5 and 6), through the binary so that a crash (a stack
//! overflow aborts the process) fails the test: deep nesting, far-apart duplicate
//! headings, deep lists and quotes on the terminal and in HTML, files over the size limit,
//! and template bombs at run time. No timings: each test asserts what bounds the work
//! (a diagnostic instead of a parse, a few lines instead of a megabyte, output a small
//! multiple of the input). `cargo bench --bench hostile` and `benches/hostile.sh` time them.

use std::path::Path;

use crate::harness::{Output, Test};

const TITLE: &str = "# Hostile\n\n## Who am I\n\n```sts.get-caller-identity id=me\n```\n\n";

fn in_dir(dir: &Path, args: &[&str]) -> Output {
    Test::new()
        .current_dir(dir)
        .args(args.iter().copied())
        .run()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// 10,000 `not`s or `-`s in `when`, the same inside `{{ }}`, and a 10,000-long `~` chain
/// overflowed minijinja's parser's stack (exit 134): each is now a `nesting-too-deep`
/// diagnostic, pointing at the level over the limit.
#[test]
fn deep_expressions_are_a_diagnostic_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let bodies = [
        format!("when = \"{}me.is_root\"\n", "not ".repeat(10_000)),
        format!("when = \"{}1\"\n", "-".repeat(10_000)),
        format!(
            "user = \"{{{{ {}me.user_name }}}}\"\n",
            "not ".repeat(10_000)
        ),
        format!("user = \"{{{{ {}1 }}}}\"\n", "-".repeat(10_000)),
        format!(
            "user = \"{{{{ {} }}}}\"\n",
            vec!["me.account"; 10_000].join(" ~ ")
        ),
        format!(
            "expect = [\"{}\"]\n",
            vec!["count < 8"; 10_000].join(" and ")
        ),
    ];
    for (i, body) in bodies.iter().enumerate() {
        let name = format!("deep-{i}.md");
        let mut text = format!("{TITLE}## List\n\n```iam.list-mfa-devices\n{body}");
        if !body.starts_with("user") {
            text.push_str("user = \"alice\"\n");
        }
        text.push_str("```\n");
        write(dir.path(), &name, &text);
        let output = in_dir(dir.path(), &["check", &name]);
        assert_eq!(output.signal, None, "{name} crashed:\n{}", output.stderr);
        output.assert_code(1);
        assert!(
            output.stderr.contains("error[nesting-too-deep]")
                && output.stderr.contains("more than 64 levels"),
            "{name}:\n{}",
            output.stderr
        );
        assert_eq!(
            output.stderr.matches("error[").count(),
            1,
            "{}",
            output.stderr
        );
        assert!(output.stderr.lines().count() < 12, "{}", output.stderr);
    }
}

/// Two duplicate headings 1 MB apart: a window each (`::: file:3:1` for the first), a
/// few lines in all, rather than one snippet over the megabyte between them (which made
/// thousands of duplicates quadratic).
#[test]
fn far_apart_duplicates_show_two_short_windows() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "# T\n\n## Same\n\n{}## Same\n\nx\n",
        "filler line of prose.\n\n".repeat(45_000)
    );
    write(dir.path(), "dup.md", &text);
    let output = in_dir(dir.path(), &["check", "dup.md"]);
    output.assert_code(1);
    assert!(
        output.stderr.contains("--> dup.md:90005:1"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("::: dup.md:3:1"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.lines().count() < 15, "{}", output.stderr);
}

/// `runbook run` printed a 16 KB nested list as 96 MB (each level indented by its depth):
/// now deeper levels are flat and the output is a small multiple of the input. The same
/// for deep quotes with line breaks, and for the HTML page (a bounded nesting of elements).
#[test]
fn deep_lists_and_quotes_stay_proportional() {
    let dir = tempfile::tempdir().unwrap();
    let list = format!("# Hostile\n\n## Read this\n\n{}x\n", "- ".repeat(8_000));
    let quote = format!(
        "# Hostile\n\n## Read this\n\n{}{}\n",
        "> ".repeat(20_000),
        "line  \n".repeat(200)
    );
    write(dir.path(), "list.md", &list);
    write(dir.path(), "quote.md", &quote);
    for (name, text) in [("list.md", &list), ("quote.md", &quote)] {
        // A manual step: with --yes the run prints its prose, then stops (exit 1).
        let output = in_dir(dir.path(), &["run", name, "--yes", "--state-dir", "state"]);
        assert_eq!(output.signal, None, "{name} crashed");
        output.assert_code(1);
        assert!(
            output.stdout.len() < 4 * text.len(),
            "{name}: {} bytes printed for {} bytes",
            output.stdout.len(),
            text.len()
        );
        in_dir(dir.path(), &["render", name, "--out", "site"]).assert_code(0);
        let html =
            std::fs::read_to_string(dir.path().join("site").join(name.replace(".md", ".html")))
                .unwrap();
        assert!(
            html.matches("<ul").count() <= 16,
            "{name}: {} lists",
            html.matches("<ul").count()
        );
        assert!(html.matches("<blockquote").count() <= 16, "{name}");
    }
}

/// A file over the limit is refused before it is read, with the limit and why.
#[test]
fn files_over_the_size_limit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let limit = runbook::parse::source::MAX_FILE_BYTES as usize;
    let mut text = String::from(TITLE);
    text.push_str(&"Plain prose.\n\n".repeat(limit / 14 + 1));
    write(dir.path(), "big.md", &text);
    let output = in_dir(dir.path(), &["check", "big.md"]);
    output.assert_code(1);
    assert!(
        output.stderr.contains("error[file-too-large]"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("more than the 32 MiB a runbook may have"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.lines().count() < 6, "{}", output.stderr);
}

fn input_default(default: &str) -> String {
    format!(
        "# Bomb\n\n## Name it\n\n```input.text id=name\nprompt = \"Name\"\ndefault = \"{default}\"\n```\n"
    )
}

/// Template bombs: `check` said ok to seven nested loops (25 s of run) and to thirty
/// doublings of a string (an abort for want of 2.7 GB); statements are now refused by
/// `check`. What expressions can still ask for is stopped at run time by the fuel and the
/// size limit, with an error that names the limit.
#[test]
fn template_bombs_are_refused_or_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let loops: String = (0..7)
        .map(|i| format!("{{% for v{i} in '0123456789' %}}"))
        .collect::<String>()
        + "x"
        + &"{% endfor %}".repeat(7);
    let doubling = format!(
        "{{% set s = 'ab' %}}{}{{{{ s|length }}}}",
        "{% set s = s ~ s %}".repeat(30)
    );
    for (name, default) in [("loops.md", &loops), ("doubling.md", &doubling)] {
        write(dir.path(), name, &input_default(default));
        let output = in_dir(dir.path(), &["check", name]);
        output.assert_code(1);
        assert!(
            output.stderr.contains("error[template-statement]"),
            "{}",
            output.stderr
        );
        let output = in_dir(dir.path(), &["run", name, "--yes", "--state-dir", "state"]);
        output.assert_code(1);
        assert!(
            output.stderr.contains("error[template-statement]"),
            "{}",
            output.stderr
        );
    }
    // Repetition (`'x' * 100000000`) is not part of the language: multiplying is for
    // integers, so `check` refuses it, and `run` (which checks first) with it, without
    // evaluating anything.
    let expect = "# Bomb\n\n## Name it\n\n```input.text id=name\nprompt = \"Name\"\ndefault = \"a\"\nexpect = [\"'x' * 100000000 == 'y'\"]\n```\n";
    for (name, text) in [
        ("fuel.md", input_default("{{ 'x' * 100000000 }}")),
        ("size.md", input_default("{{ 'x' * 100000 }}")),
        ("expect.md", expect.to_string()),
    ] {
        write(dir.path(), name, &text);
        let output = in_dir(dir.path(), &["check", name]);
        output.assert_code(1);
        assert!(
            output
                .stderr
                .contains("error[type-mismatch]: `*` works on integers, and this is a string"),
            "{name}: {}",
            output.stderr
        );
        let output = in_dir(dir.path(), &["run", name, "--yes", "--state-dir", "state"]);
        assert_eq!(output.signal, None, "{name} crashed");
        output.assert_code(1);
        let all = format!("{}{}", output.stdout, output.stderr);
        assert!(all.contains("error[type-mismatch]"), "{name}:\n{all}");
        assert!(all.len() < 10_000, "{name}: {} bytes of output", all.len());
    }
}
