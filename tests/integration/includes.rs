//! Includes between guides (`<!-- runbook: include = "FILE#STEP" -->`): included steps
//! are checked, planned, run and rendered in place, and every problem with an include is
//! a `check` error pointing into both files where there are two. The fixtures are in
//! tests/fixtures/includes/; each broken one's whole message is snapshotted.

use crate::harness::{Test, root};

fn fixtures() -> std::path::PathBuf {
    root().join("tests/fixtures/includes")
}

fn check(name: &str) -> crate::harness::Output {
    Test::new()
        .current_dir(fixtures())
        .args(["check", name])
        .run()
}

/// Each broken guide, the codes it must give, and where (`file:line:col`).
const BROKEN: &[(&str, &[(&str, &str)])] = &[
    // `me` in the guide, and again in the included step: the second use is in the other
    // file, the first in the guide.
    ("dup.md", &[("duplicate-id", "shared.md:5:28")]),
    ("cycle-a.md", &[("include-cycle", "cycle-b.md:4:25")]),
    ("self.md", &[("include-cycle", "self.md:8:25")]),
    (
        "paths.md",
        &[
            ("include-not-found", "paths.md:9:26"),
            ("include-step-not-found", "paths.md:9:37"),
            ("include-absolute-path", "paths.md:9:66"),
            ("include-outside-folder", "paths.md:9:81"),
            ("include-outside-folder", "paths.md:9:100"),
            ("invalid-include", "paths.md:9:117"),
        ],
    ),
    // The mistake is in the included file; the guide's include is labelled too.
    (
        "broken-ref.md",
        &[("undefined-reference", "broken-shared.md:6:12")],
    ),
    // One step included twice would define its ids twice.
    ("twice.md", &[("include-twice", "twice.md:12:25")]),
    // The included step wants `me.user_name`; this guide's `me` is a plain string.
    ("wrong-type.md", &[("unknown-output", "shared.md:11:12")]),
];

#[test]
fn include_problems_are_check_errors_pointing_into_both_files() {
    for (name, expected) in BROKEN {
        let output = check(name);
        output.assert_code(1);
        assert_eq!(
            output.stderr.matches("error[").count(),
            expected.len(),
            "{name}:\n{}",
            output.stderr
        );
        for (code, at) in *expected {
            let found = output
                .stderr
                .split("\n\n")
                .any(|d| d.contains(&format!("error[{code}]")) && d.contains(&format!("--> {at}")));
            assert!(
                found,
                "{name}: no error[{code}] at {at} in:\n{}",
                output.stderr
            );
        }
        insta::with_settings!({ snapshot_suffix => *name }, {
            insta::assert_snapshot!(output.stderr);
        });
    }
}

/// Both sides of a cycle name it, and each shows the other file's include.
#[test]
fn a_cycle_is_reported_with_both_includes() {
    for (name, primary, other) in [
        ("cycle-a.md", "--> cycle-b.md:4:25", "::: cycle-a.md:4:25"),
        ("cycle-b.md", "--> cycle-a.md:4:25", "::: cycle-b.md:4:25"),
    ] {
        let output = check(name);
        output.assert_code(1);
        assert!(
            output.stderr.contains(primary),
            "{name}:\n{}",
            output.stderr
        );
        assert!(output.stderr.contains(other), "{name}:\n{}", output.stderr);
        assert!(
            output
                .stderr
                .contains("help: a guide never includes itself"),
            "{}",
            output.stderr
        );
    }
}

/// The included step is a step of the guide, after the guide's own, using the guide's
/// `me`; the plan says which file it came from, with that file's line numbers.
#[test]
fn included_steps_are_checked_and_planned_in_place() {
    let output = check("ok.md");
    output.assert_code(0);
    assert!(
        output.stdout.contains("ok: ok.md (2 steps, 2 actions)"),
        "{}",
        output.stdout
    );
    let plan = Test::new()
        .current_dir(fixtures())
        .args(["plan", "ok.md", "--format", "json"])
        .run();
    plan.assert_code(0);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let steps = plan["steps"].as_array().unwrap();
    let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["who-am-i", "list-the-devices"]);
    assert!(steps[0].get("file").is_none(), "{}", steps[0]);
    assert_eq!(steps[1]["file"], "shared.md");
    assert_eq!(steps[1]["part"], "Devices");
    assert_eq!(steps[1]["line"], 8);
    assert_eq!(steps[1]["actions"][0]["id"], "devices");
    assert_eq!(steps[1]["actions"][0]["line"], 10);
    assert_eq!(
        steps[1]["actions"][0]["params"]["user"],
        "{{ me.user_name }}"
    );
    let text = Test::new()
        .current_dir(fixtures())
        .args(["plan", "ok.md"])
        .run();
    assert!(
        text.stdout
            .contains("[step list-the-devices, included from shared.md, line 8]"),
        "{}",
        text.stdout
    );
}

/// The page says where an included step comes from: a link in HTML; in Markdown the
/// included section in place, one level below the including heading, under a "From" line.
#[test]
fn render_says_where_included_steps_come_from() {
    let out = tempfile::tempdir().unwrap();
    for format in ["html", "markdown"] {
        Test::new()
            .current_dir(fixtures())
            .args(["render", "ok.md", "--format", format, "--out"])
            .args([out.path().to_str().unwrap()])
            .run()
            .assert_code(0);
    }
    let html = std::fs::read_to_string(out.path().join("ok.html")).unwrap();
    assert!(
        html.contains(r#"from <a href="shared.md#list-the-devices">shared.md</a>"#),
        "{html}"
    );
    let markdown = std::fs::read_to_string(out.path().join("ok.md")).unwrap();
    let from = markdown
        .find("*From [shared.md](shared.md#list-the-devices):*")
        .expect(&markdown);
    let heading = markdown.find("\n### List the devices\n").expect(&markdown);
    let own = markdown.find("The caller's devices").expect(&markdown);
    assert!(own < from && from < heading, "{markdown}");
    // Only the included step, not the rest of shared.md.
    assert!(!markdown.contains("Shared steps"), "{markdown}");
}

/// `runbooks/replace-mfa-device.md` in the sandbox: the new device is set up by
/// aws-mfa.md's steps, run in place (in the including parts), and the sign-in check
/// included from aws-mfa.md passes with the new device.
#[test]
fn the_replace_guide_runs_aws_mfa_steps_in_place() {
    let state = tempfile::tempdir().unwrap();
    let output = Test::new()
        .current_dir(root())
        .args([
            "run",
            "runbooks/replace-mfa-device.md",
            "--sandbox",
            "--yes",
        ])
        .args([
            "--output",
            "json",
            "--state-dir",
            state.path().to_str().unwrap(),
        ])
        .run();
    output.assert_code(0);
    let events: Vec<serde_json::Value> = output
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect(line))
        .collect();
    let done: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["event"] == "action" && e["status"] == "done")
        .map(|e| (e["step"].as_str().unwrap(), e["id"].as_str().unwrap()))
        .collect();
    for expected in [
        ("choose-authenticator-app", "duo"),
        ("set-up-the-authenticator-app", "enabled"),
        ("using-mfa-at-login", "session"),
    ] {
        assert!(done.contains(&expected), "{expected:?} not done: {done:?}");
    }
    let parts: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["event"] == "step_started" && e["part"].is_string())
        .map(|e| (e["step"].as_str().unwrap(), e["part"].as_str().unwrap()))
        .collect();
    assert_eq!(
        parts,
        [
            ("choose-authenticator-app", "Set up a new authenticator app"),
            (
                "set-up-the-authenticator-app",
                "Set up a new authenticator app"
            ),
            ("using-mfa-at-login", "Sign in with the new app"),
        ]
    );
    let skipped: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "step_skipped")
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["select-security-key"]);
    assert_eq!(events.last().unwrap()["status"], "ok");
}

/// The journal is keyed by every file a run reads: resuming after a crash keeps the one
/// journal while nothing changed, and an edit to the included aws-mfa.md (not to the guide
/// itself) starts a new journal rather than resuming a run of different steps.
#[test]
fn an_edited_included_file_starts_a_new_journal() {
    let endpoint = crate::moto::endpoint();
    let dir = tempfile::tempdir().unwrap();
    for name in ["replace-mfa-device.md", "aws-mfa.md"] {
        std::fs::copy(root().join("runbooks").join(name), dir.path().join(name)).unwrap();
    }
    let state = dir.path().join("state");
    let run = |fault: Option<&str>| {
        let mut test = Test::new()
            .current_dir(dir.path())
            .args([
                "run",
                "replace-mfa-device.md",
                "--sandbox",
                "--yes",
                "--state-dir",
            ])
            .args([state.to_str().unwrap()])
            .env("RUNBOOK_SANDBOX_ENDPOINT", endpoint)
            .env("RUNBOOK_SANDBOX_USER", "include-journal")
            .env("RUNBOOK_FAKE_CLOCK", "1700000000");
        if let Some(point) = fault {
            test = test.env("RUNBOOK_FAULT", point);
        }
        test.run()
    };
    let journals = || std::fs::read_dir(state.join("journals")).unwrap().count();
    let killed = run(Some("journaled:before"));
    assert_eq!(killed.signal, Some(libc::SIGKILL), "{}", killed.stderr);
    assert_eq!(journals(), 1);
    let killed = run(Some("journaled:device_name"));
    assert_eq!(killed.signal, Some(libc::SIGKILL), "{}", killed.stderr);
    assert_eq!(journals(), 1, "the resumed run kept its journal");
    let aws_mfa = dir.path().join("aws-mfa.md");
    let text = std::fs::read_to_string(&aws_mfa).unwrap();
    let edited = text.replace(
        "Once completed, AWS will confirm",
        "When it is done, AWS will confirm",
    );
    assert_ne!(edited, text);
    std::fs::write(&aws_mfa, edited).unwrap();
    let finished = run(None);
    assert_eq!(finished.code, 0, "{}\n{}", finished.stdout, finished.stderr);
    assert_eq!(journals(), 2, "an edit to an included file is a new run");
}

/// Includes in included steps are followed: a part of nest-b.md that includes all of
/// nest-c.md puts nest-c.md's steps, with their files, under nest-a.md's heading.
#[test]
fn includes_inside_included_steps_are_followed() {
    let output = check("nest-a.md");
    output.assert_code(0);
    let plan = Test::new()
        .current_dir(fixtures())
        .args(["plan", "nest-a.md", "--format", "json"])
        .run();
    plan.assert_code(0);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let steps: Vec<(&str, &str, &str)> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap(),
                s["file"].as_str().unwrap_or("-"),
                s["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("who-am-i", "-", "automated"),
            ("inner-one", "nest-c.md", "automated"),
            ("inner-two", "nest-c.md", "manual"),
        ]
    );
}

/// A circle through three guides is named whole, with a label at each include.
#[test]
fn a_cycle_through_three_guides_is_named_whole() {
    let output = check("ring-a.md");
    output.assert_code(1);
    assert_eq!(
        output.stderr.matches("error[").count(),
        1,
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains(
            "includes go round in a circle: ring-a.md → ring-b.md → ring-c.md → ring-a.md"
        ),
        "{}",
        output.stderr
    );
    for at in [
        "--> ring-c.md:4:25",
        "::: ring-a.md:4:25",
        "::: ring-b.md:4:25",
    ] {
        assert!(output.stderr.contains(at), "no {at} in\n{}", output.stderr);
    }
}
