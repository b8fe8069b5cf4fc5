//! `runbook diff`: the semantic diff of two versions of the real guide, for a dozen kinds
//! of edit (snapshots of the text, Markdown and JSON), against a git revision in a real
//! repository, and the command line's exit codes.

use std::path::Path;
use std::process::Command;

use runbook::bind::check::check_source;
use runbook::diff::{self, GuideStatus, Report};
use runbook::parse::source::Source;
use serde_json::Value;

use crate::harness::{Test, root};

const FILE: &str = "runbooks/aws-mfa.md";

fn guide() -> String {
    std::fs::read_to_string(root().join(FILE)).unwrap()
}

/// `text` with each `from` (found exactly once) replaced by its `to`.
#[track_caller]
fn edit(text: &str, edits: &[(&str, &str)]) -> String {
    let mut text = text.to_string();
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "`{from}` once in the guide");
        text = text.replacen(from, to, 1);
    }
    text
}

/// The section starting at the line that starts with `heading`, up to the next heading.
#[track_caller]
fn section<'t>(text: &'t str, heading: &str) -> &'t str {
    let start = text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| text[i..].starts_with(heading))
        .unwrap_or_else(|| panic!("no heading `{heading}`"));
    let end = text[start + 1..]
        .match_indices("\n#")
        .next()
        .map_or(text.len(), |(i, _)| start + 1 + i + 1);
    &text[start..end]
}

fn report(old: &str, new: &str) -> Report {
    let old = check_source(Source::new(FILE, old));
    let new = check_source(Source::new(FILE, new));
    assert_eq!(new.errors(), 0, "{}", new.render_diagnostics(false));
    Report::new(vec![diff::guide(FILE, Some(&old), Some(&new))])
}

/// All three renderings of the diff, for one snapshot.
fn rendered(report: &Report) -> String {
    format!(
        "== text\n{}\n== markdown\n{}\n== json\n{}",
        diff::text::render(report),
        diff::markdown::render(report),
        report.to_json()
    )
}

#[track_caller]
fn snapshot(name: &str, new: &str) -> Report {
    let report = report(&guide(), new);
    insta::with_settings!({snapshot_suffix => name, prepend_module_to_snapshot => true}, {
        insta::assert_snapshot!("edit", rendered(&report));
    });
    report
}

fn json(report: &Report) -> Value {
    serde_json::from_str(&report.to_json()).unwrap()
}

#[test]
fn prose_only_is_no_automation_change() {
    let new = edit(
        &guide(),
        &[
            (
                "Securing your Amazon Web Services (AWS) account is critical.",
                "Securing your AWS account matters.\n\nIt really does.",
            ),
            ("> **Tip:** You can register", "> **Tip:** You may register"),
        ],
    );
    let report = snapshot("prose-only", &new);
    assert!(!report.changed);
    assert_eq!(report.guides[0].status, GuideStatus::Unchanged);
    assert!(diff::text::render(&report).contains("No automation change"));
}

#[test]
fn rename_a_step() {
    let new = edit(
        &guide(),
        &[(
            "### 3. Set up the authenticator app",
            "### 3. Scan the code with your authenticator app",
        )],
    );
    let report = snapshot("rename-step", &new);
    let step = &json(&report)["guides"][0]["diff"]["steps"][0];
    assert_eq!(step["id"], "scan-the-code-with-your-authenticator-app");
    assert_eq!(step["old_id"], "set-up-the-authenticator-app");
    // Its actions are the same ones: only generated ids follow the step's new id.
    assert!(step.get("actions").is_none(), "{step:#}");
    assert_eq!(
        report.guides[0]
            .diff
            .as_ref()
            .unwrap()
            .summary
            .steps_renamed,
        1
    );
}

#[test]
fn change_a_default() {
    let new = edit(
        &guide(),
        &[(
            "default = \"{{ me.user_name }}-DuoMobile\"",
            "default = \"{{ me.user_name }}-Phone\"",
        )],
    );
    let report = snapshot("change-default", &new);
    let action = &json(&report)["guides"][0]["diff"]["steps"][0]["actions"][0];
    assert_eq!(action["id"], "device_name");
    assert_eq!(action["params"][0]["new"], "{{ me.user_name }}-Phone");
    assert!(report.guides[0].diff.as_ref().unwrap().attention.is_empty());
}

#[test]
fn add_a_mutating_action_is_flagged_first() {
    let new = edit(
        &guide(),
        &[(
            "```iam.get-account-summary id=account",
            "```iam.deactivate-mfa-device id=off\nuser = \"{{ me.user_name }}\"\nserial_number = \"{{ duo.serial_number }}\"\nwhen = \"not me.is_root\"\n```\n\n```iam.delete-login-profile id=gone\nuser = \"{{ me.user_name }}\"\n```\n\n```iam.get-account-summary id=account",
        )],
    );
    let report = snapshot("add-mutating-action", &new);
    let diff = report.guides[0].diff.as_ref().unwrap();
    let flagged: Vec<(&str, &str)> = diff
        .attention
        .iter()
        .map(|a| (a.action.as_str(), serde_plain(&a.kind)))
        .collect();
    // Both change AWS; only the unguarded one may run as root; changes come first.
    assert_eq!(
        flagged,
        [
            ("off", "changes-aws"),
            ("gone", "changes-aws"),
            ("gone", "runs-as-root")
        ]
    );
    let text = diff::text::render(&report);
    assert!(
        text.find("Needs attention").unwrap() < text.find("Steps:").unwrap(),
        "{text}"
    );
    assert!(
        text.contains("$ aws iam delete-login-profile --user-name <me-user-name>"),
        "{text}"
    );
}

fn serde_plain<T: serde::Serialize>(value: &T) -> &'static str {
    match serde_json::to_value(value).unwrap().as_str().unwrap() {
        "changes-aws" => "changes-aws",
        "runs-as-root" => "runs-as-root",
        other => panic!("unexpected kind {other}"),
    }
}

#[test]
fn an_action_that_becomes_mutating_is_flagged() {
    let new = edit(
        &guide(),
        &[(
            "```iam.list-mfa-devices id=before_key\nuser = \"{{ me.user_name }}\"\n```",
            "```iam.deactivate-mfa-device id=before_key\nuser = \"{{ me.user_name }}\"\nserial_number = \"arn:aws:iam::123456789012:mfa/old-phone\"\n```",
        )],
    );
    let report = snapshot("now-mutating", &new);
    let diff = report.guides[0].diff.as_ref().unwrap();
    let kinds: Vec<&str> = diff
        .attention
        .iter()
        .map(|a| serde_plain(&a.kind))
        .collect();
    assert_eq!(
        kinds,
        ["changes-aws", "runs-as-root"],
        "{:#?}",
        diff.attention
    );
    assert_eq!(
        diff.attention[0].why,
        "now `iam.deactivate-mfa-device`, was `iam.list-mfa-devices`"
    );
    let action = &diff.steps[0].actions[0];
    assert_eq!(action.old_action, Some("iam.list-mfa-devices"));
}

#[test]
fn remove_an_expectation() {
    let new = edit(
        &guide(),
        &[(
            "expect = [\"virtual_count >= 1\", \"security_key_count >= 1\"]",
            "expect = [\"virtual_count >= 1\"]",
        )],
    );
    let report = snapshot("remove-expectation", &new);
    let summary = &report.guides[0].diff.as_ref().unwrap().summary;
    assert_eq!(summary.expectations_removed, 1);
    assert_eq!(summary.expectations_added, 0);
}

#[test]
fn reorder_steps() {
    let text = guide();
    let first = section(&text, "### 1. Return");
    let second = section(&text, "### 2. Select");
    let new = edit(
        &text,
        &[(&format!("{first}{second}"), &format!("{second}{first}"))],
    );
    let report = snapshot("reorder-steps", &new);
    let diff = report.guides[0].diff.as_ref().unwrap();
    assert_eq!(diff.summary.steps_moved, 1);
    assert_eq!(diff.summary.steps_added + diff.summary.steps_removed, 0);
}

#[test]
fn reorder_actions_in_a_step() {
    let new = edit(
        &guide(),
        &[(
            "```fido.blink\n```\n\n```fido.key-info id=key_info\n```",
            "```fido.key-info id=key_info\n```\n\n```fido.blink\n```",
        )],
    );
    let report = snapshot("reorder-actions", &new);
    let diff = report.guides[0].diff.as_ref().unwrap();
    assert_eq!(diff.summary.actions_moved, 1);
    assert_eq!(diff.summary.actions_added + diff.summary.actions_removed, 0);
}

#[test]
fn move_an_action_to_another_step() {
    let block = "```iam.list-mfa-devices id=before_key\nuser = \"{{ me.user_name }}\"\n```\n\n";
    let new = edit(
        &guide(),
        &[
            (block, ""),
            (
                "```fido.wait-for-key",
                &format!("{block}```fido.wait-for-key"),
            ),
        ],
    );
    let report = snapshot("move-action", &new);
    let value = json(&report);
    let steps = value["guides"][0]["diff"]["steps"].as_array().unwrap();
    let moved = steps
        .iter()
        .flat_map(|s| s["actions"].as_array().into_iter().flatten())
        .find(|a| a["id"] == "before_key")
        .unwrap();
    assert_eq!(
        moved["moved"]["from_step"],
        "return-to-my-security-credentials"
    );
    assert_eq!(moved["change"], "changed");
}

#[test]
fn remove_a_root_guard_is_flagged() {
    let new = edit(
        &guide(),
        &[(
            "name = \"{{ device_name }}\"\nuser = \"{{ me.user_name }}\"\nwhen = \"not me.is_root\"\n",
            "name = \"{{ device_name }}\"\nuser = \"{{ me.user_name }}\"\n",
        )],
    );
    let report = snapshot("remove-root-guard", &new);
    let attention = &report.guides[0].diff.as_ref().unwrap().attention;
    assert_eq!(attention.len(), 1, "{attention:#?}");
    assert_eq!(attention[0].action, "duo");
    assert_eq!(serde_plain(&attention[0].kind), "runs-as-root");
}

#[test]
fn change_a_parameter_shows_the_aws_cli_before_and_after() {
    let new = edit(
        &guide(),
        &[(
            "name = \"{{ device_name }}\"\nuser",
            "name = \"mfa-{{ device_name }}\"\nuser",
        )],
    );
    let report = snapshot("change-parameter", &new);
    let text = diff::text::render(&report);
    assert!(
        text.contains("AWS CLI before: $ aws iam create-virtual-mfa-device"),
        "{text}"
    );
    assert!(
        text.contains("--virtual-mfa-device-name mfa-<device-name>"),
        "{text}"
    );
}

#[test]
fn remove_an_action() {
    let new = edit(&guide(), &[("```fido.blink\n```\n\n", "")]);
    let report = snapshot("remove-action", &new);
    let diff = report.guides[0].diff.as_ref().unwrap();
    assert_eq!(diff.summary.actions_removed, 1);
    // The generated id of the block after it shifted; that is not a change of its own.
    assert_eq!(diff.summary.actions_changed, 0);
}

#[test]
fn add_and_remove_steps() {
    let text = guide();
    let login = section(&text, "## Using MFA at Login");
    let new = edit(
        &text,
        &[
            (login, ""),
            (
                "> **Tip:** You can register multiple security keys for redundancy.\n",
                "> **Tip:** You can register multiple security keys for redundancy.\n\n### 3. Label the key\n\nWrite your name on the key.\n",
            ),
        ],
    );
    let report = snapshot("add-remove-steps", &new);
    let diff = report.guides[0].diff.as_ref().unwrap();
    assert_eq!(
        (diff.summary.steps_added, diff.summary.steps_removed),
        (1, 1)
    );
    assert_eq!(diff.summary.actions_removed, 2);
}

#[test]
fn add_a_condition_to_a_part() {
    let new = edit(
        &guide(),
        &[(
            "phishing‑resistant second factor.\n",
            "phishing‑resistant second factor.\n\n<!-- runbook: when = \"not me.is_root\" -->\n",
        )],
    );
    let report = snapshot("part-condition", &new);
    let diff = report.guides[0].diff.as_ref().unwrap();
    assert_eq!(
        diff.steps.len(),
        2,
        "both steps of part 2: {:#?}",
        diff.steps
    );
    assert!(diff.steps.iter().all(|s| s.when.is_some()));
}

#[test]
fn diffs_are_deterministic() {
    let new = edit(&guide(), &[("### 3. Set up", "### 3. Configure")]);
    assert_eq!(
        rendered(&report(&guide(), &new)),
        rendered(&report(&guide(), &new))
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn git_revision_of_the_same_file() {
    let test = Test::new().file("guides/aws-mfa.md", guide()).file(
        "guides/gone.md",
        "# Gone\n\n## Who\n\n```sts.get-caller-identity id=me\n```\n",
    );
    let dir = test.path().to_path_buf();
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "one"]);
    let changed = edit(&guide(), &[("fresh = true\n", "fresh = false\n")]);
    std::fs::write(dir.join("guides/aws-mfa.md"), changed).unwrap();
    // A guide the change removes: in HEAD, gone now.
    std::fs::remove_file(dir.join("guides/gone.md")).unwrap();
    // A guide the change adds: not in HEAD.
    std::fs::write(
        dir.join("guides/new.md"),
        "# New\n\n## Who\n\n```sts.get-caller-identity id=me\n```\n",
    )
    .unwrap();
    // (The scratch folder lives as long as `test`.)
    let test = test
        .args([
            "diff",
            "--git",
            "HEAD",
            "guides/aws-mfa.md",
            "guides/new.md",
            "guides/gone.md",
        ])
        .args(["--format", "json", "--exit-code"]);
    let output = test.run();
    output.assert_code(5);
    let value: Value = serde_json::from_str(&output.stdout).unwrap();
    let guides = value["guides"].as_array().unwrap();
    assert_eq!(guides[0]["file"], "guides/aws-mfa.md");
    let action = &guides[0]["diff"]["steps"][0]["actions"][0];
    assert_eq!(action["id"], "login");
    assert_eq!(action["params"][0]["name"], "fresh");
    assert_eq!(guides[1]["diff"]["new_guide"], true);
    assert_eq!(guides[1]["diff"]["summary"]["steps_added"], 1);
    assert_eq!(guides[2]["file"], "guides/gone.md");
    assert_eq!(guides[2]["diff"]["removed_guide"], true);
    assert_eq!(guides[2]["diff"]["summary"]["steps_removed"], 1);

    // Run from inside the folder: the path is relative to where git runs.
    let inside = Test::new()
        .current_dir(dir.join("guides"))
        .args(["diff", "--git", "HEAD", "aws-mfa.md"])
        .run();
    inside.assert_code(0);
    assert!(
        inside.stdout.contains("fresh: true -> false"),
        "{}",
        inside.stdout
    );

    let bad = Test::new()
        .current_dir(&dir)
        .args(["diff", "--git", "no-such-branch", "guides/aws-mfa.md"])
        .run();
    bad.assert_code(2);
    assert!(
        bad.stderr.contains("`no-such-branch` is not a revision"),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("help: "), "{}", bad.stderr);

    let outside = Test::new()
        .file("a.md", guide())
        .args(["diff", "--git", "HEAD", "a.md"])
        .env(
            "GIT_CEILING_DIRECTORIES",
            std::env::temp_dir().display().to_string(),
        )
        .run();
    outside.assert_code(2);
    assert!(
        outside.stderr.contains("is not in a git repository"),
        "{}",
        outside.stderr
    );
}

#[test]
fn cli_files_exit_codes_and_invalid_versions() {
    let same = guide();
    let invalid = edit(&guide(), &[("```fido.blink", "```fido.blinky")]);
    let test = Test::new()
        .file("old.md", &same)
        .file(
            "new.md",
            edit(&same, &[("timeout_seconds = 120", "timeout_seconds = 60")]),
        )
        .file("same.md", &same)
        .file("bad.md", &invalid);
    let run = |args: &[&str]| {
        let dir = test.path().to_path_buf();
        Test::new()
            .current_dir(dir)
            .args(args.iter().copied())
            .run()
    };
    let unchanged = run(&["diff", "old.md", "same.md", "--exit-code"]);
    unchanged.assert_code(0);
    assert!(unchanged.stdout.contains("No automation change"));
    let changed = run(&["diff", "old.md", "new.md"]);
    changed.assert_code(0);
    assert!(
        changed.stdout.contains("timeout_seconds: 120 -> 60"),
        "{}",
        changed.stdout
    );
    run(&["diff", "old.md", "new.md", "--exit-code"]).assert_code(5);
    let markdown = run(&["diff", "old.md", "new.md", "--format", "markdown"]);
    markdown.assert_code(0);
    assert!(markdown.stdout.starts_with("## Runbook changes\n"));

    let broken = run(&["diff", "old.md", "bad.md", "--format", "markdown"]);
    broken.assert_code(1);
    assert!(broken.stderr.contains("bad.md"), "{}", broken.stderr);
    assert!(
        broken.stdout.contains("does not check"),
        "{}",
        broken.stdout
    );
    assert!(broken.stdout.contains("fido.blinky"), "{}", broken.stdout);

    let one = run(&["diff", "old.md"]);
    one.assert_code(2);
    assert!(one.stderr.contains("give two files"), "{}", one.stderr);
}

/// The CI recipe, `scripts/ci-guides.sh BASE`, in a real repository with a branch that
/// edits the guide: prose only (passes, "no automation change"), then a default (the
/// plan snapshot differs, so the tests fail, and the report shows the change).
#[test]
fn the_ci_recipe_checks_tests_and_reports_changed_guides() {
    let test = Test::new()
        .file("runbooks/aws-mfa.md", guide())
        .file(
            "runbooks/extra.md",
            "# Extra\n\n## Who\n\n```sts.get-caller-identity id=me\n```\n",
        )
        .file("other.md", "not a guide\n");
    let dir = test.path().to_path_buf();
    for extension in ["test.toml", "transcript", "plan.json"] {
        let name = format!("runbooks/aws-mfa.{extension}");
        std::fs::copy(root().join(&name), dir.join(&name)).unwrap();
    }
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "base"]);
    git(&dir, &["checkout", "-q", "-b", "change"]);
    let recipe = |expected: i32| {
        let status = Command::new(root().join("scripts/ci-guides.sh"))
            .arg("main")
            .current_dir(&dir)
            .env("RUNBOOK", crate::harness::BIN)
            .env("RUNBOOK_VENV", root().join(".venv"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(
            status.status.code(),
            Some(expected),
            "{}\n{}",
            String::from_utf8_lossy(&status.stdout),
            String::from_utf8_lossy(&status.stderr)
        );
        std::fs::read_to_string(dir.join("runbook-diff.md")).unwrap()
    };
    assert!(recipe(0).contains("No guide changed."));

    // Same lines, other words: the plan (with its line numbers) is unchanged.
    let prose = edit(&guide(), &[("is critical.", "matters a lot.")]);
    std::fs::write(dir.join("runbooks/aws-mfa.md"), &prose).unwrap();
    std::fs::remove_file(dir.join("runbooks/extra.md")).unwrap();
    git(&dir, &["commit", "-q", "-am", "prose, and a guide removed"]);
    let report = recipe(0);
    assert!(
        report.contains("### `runbooks/extra.md`: Extra\n\nThe guide is removed"),
        "{report}"
    );
    assert!(
        report.starts_with("## Runbook changes\n\n### `runbooks/aws-mfa.md`"),
        "{report}"
    );
    assert!(report.contains("No automation change"), "{report}");

    let default = edit(&prose, &[("-DuoMobile\"", "-Phone\"")]);
    std::fs::write(dir.join("runbooks/aws-mfa.md"), default).unwrap();
    git(&dir, &["commit", "-q", "-am", "default"]);
    let report = recipe(1);
    assert!(
        report.contains("`\"{{ me.user_name }}-DuoMobile\"` → `\"{{ me.user_name }}-Phone\"`"),
        "{report}"
    );
}

/// A guide's text cannot add markup to the pull-request comment: links, images, HTML and
/// headings are escaped, and backticks in values cannot close their code span.
#[test]
fn markdown_escapes_what_the_guide_says() {
    let old = "# Guide\n\n## Who\n\n```sts.get-caller-identity id=me\n```\n";
    // Headings are plain text (the parser drops links and HTML), but escaped markup in
    // them is their text: it must stay text in the comment.
    let new = "# Guide \\[click\\](https://evil.example) &lt;img src=x onerror=alert(1)&gt;\n\n## Who \\!\\[i\\](https://evil.example/i.png)\n\n```sts.get-caller-identity id=me\n```\n\n## List\n\n```input.text id=name\nprompt = \"a ``` fence and a ` tick\"\n```\n";
    let old = check_source(Source::new("g.md", old));
    let new = check_source(Source::new("g.md", new));
    assert_eq!(new.errors(), 0, "{}", new.render_diagnostics(false));
    let report = Report::new(vec![diff::guide("g.md", Some(&old), Some(&new))]);
    let markdown = diff::markdown::render(&report);
    for raw in [" [click]", " <img", " ![i]", "\n## Who"] {
        assert!(!markdown.contains(raw), "`{raw}` in:\n{markdown}");
    }
    for escaped in [r" \[click\](", r" \<img", r" \!\[i\](", r"alert(1)\>"] {
        assert!(markdown.contains(escaped), "no `{escaped}` in:\n{markdown}");
    }
    // The prompt is in a code span fenced with more backticks than it holds.
    assert!(
        markdown.contains("```` \"a ``` fence and a ` tick\" ````"),
        "{markdown}"
    );
}
