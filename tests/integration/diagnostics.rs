//! Every broken input is rejected with exit 1 and a `file:line:column` diagnostic that
//! points at the right place. Each fixture in tests/fixtures/invalid/ states what it
//! expects in a comment (`<!-- expect: CODE LINE:COL -->`); its full message is snapshotted.

use crate::harness::{Test, root};

/// `(code, "line:col")` pairs a fixture declares.
fn expectations(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("<!-- expect:"))
        .map(|rest| {
            let mut words = rest.trim_end_matches("-->").split_whitespace();
            let code = words.next().expect("expect: CODE").to_string();
            let at = words.next().expect("expect: CODE LINE:COL").to_string();
            (code, at)
        })
        .collect()
}

#[test]
fn invalid_runbooks_are_rejected_where_the_problem_is() {
    let dir = root().join("tests/fixtures/invalid");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 20, "only {} fixtures", fixtures.len());
    for path in fixtures {
        let name = path.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = expectations(&text);
        assert!(
            !expected.is_empty(),
            "{name} declares no `<!-- expect: CODE LINE:COL -->`"
        );
        let output = Test::new().current_dir(&dir).args(["check", name]).run();
        output.assert_code(1);
        let errors = output.stderr.matches("error[").count();
        assert_eq!(
            errors,
            expected.len(),
            "{name}: expected {} errors, got:\n{}",
            expected.len(),
            output.stderr
        );
        for (code, at) in &expected {
            let location = format!("--> {name}:{at}");
            let found = output
                .stderr
                .split("\n\n")
                .any(|d| d.contains(&format!("error[{code}]")) && d.contains(&location));
            assert!(
                found,
                "{name}: no `error[{code}]` at `{location}` in:\n{}",
                output.stderr
            );
        }
        assert!(
            output.stdout.is_empty(),
            "{name}: check printed to stdout: {}",
            output.stdout
        );
        insta::with_settings!({ snapshot_suffix => name, input_file => &path }, {
            insta::assert_snapshot!(output.stderr);
        });
    }
}

#[test]
fn missing_file() {
    let output = Test::new().args(["check", "nope.md"]).run();
    output.assert_code(1);
    insta::assert_snapshot!(output.stderr, @r"
    error[file-not-found]: `nope.md` does not exist
    --> nope.md
     = help: check the path; `runbook check runbooks/*.md` checks every runbook
    nope.md: 1 error
    ");
}

#[test]
fn directory_instead_of_file() {
    let test = Test::new().file("runbooks/a.md", "# A\n\n## S\n");
    let output = test.args(["check", "runbooks"]).run();
    output.assert_code(1);
    insta::assert_snapshot!(output.stderr, @r"
    error[file-is-directory]: `runbooks` is a directory, not a runbook file
    --> runbooks
     = help: pass the Markdown files themselves, e.g. `runbooks/*.md`
    runbooks: 1 error
    ");
}

#[test]
fn not_utf8_points_at_the_first_bad_byte() {
    let output = Test::new()
        .file("latin1.md", b"# Title\n\n## Caf\xe9 step\n")
        .args(["check", "latin1.md"])
        .run();
    output.assert_code(1);
    assert!(
        output.stderr.contains("--> latin1.md:3:7"),
        "{}",
        output.stderr
    );
    insta::assert_snapshot!(output.stderr);
}

/// A UTF-8 byte-order mark before the title is not text: the title is found (no
/// `missing-title`) and positions are counted from the first character after it.
#[test]
fn a_byte_order_mark_is_not_part_of_the_guide() {
    let output = Test::new()
        .file("bom.md", "\u{feff}# Title\n\n## Step\n\nDo it.\n")
        .args(["check", "bom.md"])
        .run();
    output.assert_code(0);
    assert!(
        !output.stderr.contains("missing-title"),
        "{}",
        output.stderr
    );
    let output = Test::new()
        .file("bom.md", "\u{feff}# Title\n\n## Step\n\n```iam.nope\n```\n")
        .args(["check", "bom.md"])
        .run();
    output.assert_code(1);
    assert!(
        output.stderr.contains("error[unknown-action]"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("--> bom.md:5:4"),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.contains('\u{feff}'), "{}", output.stderr);
    assert_eq!(
        output.stderr.matches("error[").count(),
        1,
        "{}",
        output.stderr
    );
}

#[test]
fn empty_and_blank_files() {
    for contents in ["", "\n\n   \n"] {
        let output = Test::new()
            .file("empty.md", contents)
            .args(["check", "empty.md"])
            .run();
        output.assert_code(1);
        assert!(
            output
                .stderr
                .contains("error[empty-runbook]: the runbook is empty"),
            "{}",
            output.stderr
        );
        assert!(
            output.stderr.contains("--> empty.md:1:1"),
            "{}",
            output.stderr
        );
    }
}

#[test]
fn every_file_is_checked_even_after_a_failure() {
    let output = Test::new()
        .file("bad.md", "# T\n\n## S\n\n```iam.nope\n```\n")
        .file("good.md", "# T\n\n## S\n\nDo it.\n")
        .args(["check", "bad.md", "good.md"])
        .run();
    output.assert_code(1);
    assert!(
        output.stderr.contains("--> bad.md:5:4"),
        "{}",
        output.stderr
    );
    assert!(
        output.stdout.contains("ok: good.md (1 step, 0 actions)"),
        "{}",
        output.stdout
    );
}

#[test]
fn missing_image_is_a_warning() {
    let output = Test::new()
        .file("r.md", "# T\n\n## S\n\n![A figure](images2/none.png)\n")
        .args(["check", "r.md"])
        .run();
    output.assert_code(0);
    assert!(
        output
            .stderr
            .contains("warning[missing-image]: image `images2/none.png` not found"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("--> r.md:5:1"), "{}", output.stderr);
    assert!(output.stdout.contains("1 warning"), "{}", output.stdout);
}

#[test]
fn present_image_is_fine() {
    let output = Test::new()
        .file("r.md", "# T\n\n## S\n\n![A figure](img/a.png)\n")
        .file("img/a.png", b"\x89PNG\r\n\x1a\n")
        .args(["check", "r.md"])
        .run();
    output.assert_code(0);
    assert!(output.stderr.is_empty(), "{}", output.stderr);
}
