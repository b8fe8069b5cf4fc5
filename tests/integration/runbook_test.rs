//! `runbook test`: the guide against its committed snapshots, a changed parameter shown as
//! a diff naming the step and the call (and accepted with `--update`), new snapshots
//! written but refused in CI, byte-identical transcripts across runs, and the transcripts
//! of failure scenarios (tests/fixtures/test/) as insta snapshots.
//!
//! Every run starts its own emulator (as `runbook test` does); guides are copied to a
//! temporary directory so nothing in the repository is written.

use std::path::{Path, PathBuf};

use crate::harness::{Output, Test, root};

const GUIDE: &str = "runbooks/aws-mfa.md";

/// `runbook test ARGS` in `dir`, with the project's emulator and `CI` as given.
fn runbook_test(dir: &Path, args: &[&str], ci: &str) -> Output {
    Test::new()
        .current_dir(dir)
        .env("RUNBOOK_VENV", root().join(".venv").display().to_string())
        .env("CI", ci)
        .args(["test"])
        .args(args.iter().copied())
        .run()
}

/// A temporary directory holding `name.md` and, when given, the other files.
fn scratch(name: &str, guide: &str, files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(format!("{name}.md")), guide).unwrap();
    for (file, text) in files {
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    dir
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|error| panic!("{}: {error}", path.as_ref().display()))
}

fn committed(extension: &str) -> String {
    read(root().join(format!("runbooks/aws-mfa.{extension}")))
}

/// The guide and its answers file, plus (when `snapshots`) its committed snapshots.
fn guide_copy(guide: &str, snapshots: bool) -> tempfile::TempDir {
    let mut files = vec![("aws-mfa.test.toml", committed("test.toml"))];
    if snapshots {
        files.push(("aws-mfa.transcript", committed("transcript")));
        files.push(("aws-mfa.plan.json", committed("plan.json")));
    }
    scratch("aws-mfa", guide, &files)
}

/// Every guide in runbooks/, as CI runs them: snapshots read-only.
#[test]
fn every_guide_passes_against_its_committed_snapshots() {
    let mut guides: Vec<String> = std::fs::read_dir(root().join("runbooks"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("runbooks/{name}"))
        .collect();
    guides.sort();
    assert!(guides.contains(&GUIDE.to_string()), "{guides:?}");
    let args: Vec<&str> = guides.iter().map(String::as_str).collect();
    let output = runbook_test(&root(), &args, "true");
    output.assert_code(0);
    for guide in &guides {
        assert!(
            output.stdout.contains(&format!("ok: {guide}")),
            "{}",
            output.stdout
        );
    }
    assert!(
        output
            .stdout
            .contains("✓ plan matches runbooks/aws-mfa.plan.json"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("✓ transcript matches runbooks/aws-mfa.transcript"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("ok: runbooks/aws-mfa.md"),
        "{}",
        output.stdout
    );
    // The committed plan snapshot is what `runbook plan --format json` prints.
    let plan = Test::new()
        .current_dir(root())
        .args(["plan", GUIDE, "--format", "json"])
        .run();
    plan.assert_code(0);
    assert_eq!(plan.stdout, committed("plan.json"));
}

#[test]
fn the_committed_transcript_covers_the_whole_guide_without_secrets() {
    let transcript = committed("transcript");
    for expected in [
        "step choose-authenticator-app: 2. Choose Authenticator",
        "aws iam CreateVirtualMFADevice name=alice-DuoMobile → serial_number=arn:aws:iam::<account>:mfa/alice-DuoMobile seed=<secret>",
        "aws iam EnableMFADevice user=alice serial_number=arn:aws:iam::<account>:mfa/alice-DuoMobile code1=<secret> code2=<secret> → ok",
        "expect security_key_count >= 1: ok",
        "result: ok (expected: ok)",
    ] {
        assert!(
            transcript.contains(expected),
            "missing {expected:?}:\n{transcript}"
        );
    }
    assert_no_secrets_or_variables(&transcript);
}

/// No seed (base32), no code (6 digits), no clock or account data.
#[track_caller]
fn assert_no_secrets_or_variables(transcript: &str) {
    let seed = regex::Regex::new(r"[A-Z2-7]{32,}").unwrap();
    assert!(!seed.is_match(transcript), "a seed?\n{transcript}");
    let code = regex::Regex::new(r"\b\d{6}\b").unwrap();
    assert!(!code.is_match(transcript), "a code?\n{transcript}");
    let time = regex::Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}").unwrap();
    assert!(!time.is_match(transcript), "a time\n{transcript}");
    assert!(
        !transcript.contains("123456789012"),
        "an account id\n{transcript}"
    );
    assert!(
        !transcript.contains("127.0.0.1"),
        "the emulator\n{transcript}"
    );
}

#[test]
fn a_changed_parameter_fails_with_a_diff_naming_the_step_and_call_and_update_accepts_it() {
    let original = read(root().join(GUIDE));
    let changed = original.replace(
        "default = \"{{ me.user_name }}-DuoMobile\"",
        "default = \"{{ me.user_name }}-Phone\"",
    );
    assert_ne!(changed, original, "the guide's default device name moved");
    let dir = guide_copy(&changed, true);
    let transcript = dir.path().join("aws-mfa.transcript");

    let output = runbook_test(dir.path(), &["aws-mfa.md"], "false");
    output.assert_code(1);
    let out = &output.stdout;
    assert!(
        out.contains("✗ transcript differs from aws-mfa.transcript, in:"),
        "{out}"
    );
    assert!(
        out.contains(
            "@@ step choose-authenticator-app › action duo: iam.create-virtual-mfa-device (changes AWS)"
        ) || out.contains(
            "@@ step choose-authenticator-app › action device_name: input.text"
        ),
        "no hunk header names the step:\n{out}"
    );
    assert!(
        out.contains("      step choose-authenticator-app › action duo: iam.create-virtual-mfa-device (changes AWS)\n"),
        "{out}"
    );
    assert!(
        out.contains("\n-    aws iam CreateVirtualMFADevice name=alice-DuoMobile → serial_number=arn:aws:iam::<account>:mfa/alice-DuoMobile seed=<secret>\n+    aws iam CreateVirtualMFADevice name=alice-Phone → serial_number=arn:aws:iam::<account>:mfa/alice-Phone seed=<secret>\n"),
        "{out}"
    );
    assert!(
        out.contains("✗ plan differs from aws-mfa.plan.json"),
        "{out}"
    );
    assert!(
        out.contains("+            \"default\": \"{{ me.user_name }}-Phone\","),
        "{out}"
    );
    assert!(out.contains("runbook test aws-mfa.md --update"), "{out}");
    assert_eq!(
        read(&transcript),
        committed("transcript"),
        "written without --update"
    );

    // CI never rewrites a snapshot, --update included.
    let in_ci = runbook_test(dir.path(), &["aws-mfa.md", "--update"], "true");
    in_ci.assert_code(1);
    assert!(
        in_ci
            .stdout
            .contains("CI (CI=true) never rewrites snapshots"),
        "{}",
        in_ci.stdout
    );
    assert_eq!(read(&transcript), committed("transcript"), "written in CI");

    let update = runbook_test(dir.path(), &["aws-mfa.md", "--update"], "false");
    update.assert_code(0);
    assert!(
        update
            .stdout
            .contains("✓ transcript: aws-mfa.transcript updated"),
        "{}",
        update.stdout
    );
    let accepted = read(&transcript);
    assert!(accepted.contains("name=alice-Phone"), "{accepted}");
    assert!(!accepted.contains("DuoMobile"), "{accepted}");
    assert!(read(dir.path().join("aws-mfa.plan.json")).contains("-Phone"));

    let again = runbook_test(dir.path(), &["aws-mfa.md"], "true");
    again.assert_code(0);
    assert!(
        again.stdout.contains("✓ transcript matches"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_missing_snapshot_fails_in_ci_and_is_written_otherwise() {
    let dir = guide_copy(&read(root().join(GUIDE)), false);
    let transcript = dir.path().join("aws-mfa.transcript");
    let plan = dir.path().join("aws-mfa.plan.json");

    let in_ci = runbook_test(dir.path(), &["aws-mfa.md"], "true");
    in_ci.assert_code(1);
    assert!(
        in_ci.stdout.contains(
            "✗ transcript: no snapshot aws-mfa.transcript, and CI (CI=true) does not accept new snapshots"
        ),
        "{}",
        in_ci.stdout
    );
    assert!(
        in_ci
            .stdout
            .contains("✗ plan: no snapshot aws-mfa.plan.json"),
        "{}",
        in_ci.stdout
    );
    assert!(
        !transcript.exists() && !plan.exists(),
        "CI wrote a snapshot"
    );

    let local = runbook_test(dir.path(), &["aws-mfa.md"], "false");
    local.assert_code(0);
    assert!(
        local
            .stdout
            .contains("+ transcript: new snapshot written to aws-mfa.transcript"),
        "{}",
        local.stdout
    );
    // Written in another directory, on another run: the committed bytes exactly.
    assert_eq!(read(&transcript), committed("transcript"));
    assert_eq!(read(&plan), committed("plan.json"));
}

#[test]
fn two_runs_give_byte_identical_transcripts() {
    let guide = read(root().join(GUIDE));
    let first = guide_copy(&guide, false);
    let second = guide_copy(&guide, false);
    runbook_test(first.path(), &["aws-mfa.md"], "false").assert_code(0);
    // Another time zone and locale change nothing either.
    Test::new()
        .current_dir(second.path())
        .env("RUNBOOK_VENV", root().join(".venv").display().to_string())
        .env("CI", "false")
        .env("TZ", "Pacific/Kiritimati")
        .env("LC_ALL", "C")
        .args(["test", "aws-mfa.md"])
        .run()
        .assert_code(0);
    let one = std::fs::read(first.path().join("aws-mfa.transcript")).unwrap();
    let two = std::fs::read(second.path().join("aws-mfa.transcript")).unwrap();
    assert!(!one.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&one),
        String::from_utf8_lossy(&two),
        "two runs differ"
    );
}

#[test]
fn an_answers_file_that_does_not_fit_the_run_fails_and_writes_nothing() {
    let guide = read(root().join("tests/fixtures/test/wrong-code.md"));
    // Too few answers: the run asks a question nobody answers.
    let dir = scratch(
        "short",
        &guide,
        &[(
            "short.test.toml",
            "yes = false\nsandbox = false\nexpect = \"failed\"\n[[answer]]\nvalue = \"\"\n".into(),
        )],
    );
    let output = runbook_test(dir.path(), &["short.md"], "false");
    output.assert_code(1);
    assert!(
        output.stdout.contains(
            "✗ answers: the run asked “Go ahead?” but short.test.toml has no answer left for it"
        ),
        "{}",
        output.stdout
    );
    assert!(!dir.path().join("short.transcript").exists());

    // An answer for another question.
    let dir = scratch(
        "other",
        &guide,
        &[(
            "other.test.toml",
            "yes = false\nsandbox = false\nexpect = \"failed\"\n[[answer]]\nquestion = \"Favourite colour\"\nvalue = \"blue\"\n".into(),
        )],
    );
    let output = runbook_test(dir.path(), &["other.md"], "false");
    output.assert_code(1);
    assert!(
        output.stdout.contains("is for a question containing “Favourite colour”, but the run asked “Name for the virtual MFA device”"),
        "{}",
        output.stdout
    );

    // Answers left over, and a run that ends otherwise than expected.
    let dir = scratch(
        "extra",
        &read(root().join("tests/fixtures/test/orphan.md")),
        &[(
            "extra.test.toml",
            "expect = \"failed\"\n[[answer]]\nvalue = \"y\"\n".into(),
        )],
    );
    let output = runbook_test(dir.path(), &["extra.md"], "false");
    output.assert_code(1);
    assert!(
        output
            .stdout
            .contains("1 answer(s) left that the run never asked for: “y”"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("✗ the run ended `ok`, but extra.test.toml expects `failed`"),
        "{}",
        output.stdout
    );
    assert!(!dir.path().join("extra.transcript").exists());
}

#[test]
fn an_invalid_guide_or_answers_file_fails() {
    let dir = scratch("bad", "# Bad\n\n## Step\n\n```iam.nope\n```\n", &[]);
    let output = runbook_test(dir.path(), &["bad.md"], "false");
    output.assert_code(1);
    assert!(
        output.stderr.contains("unknown-action"),
        "{}",
        output.stderr
    );
    assert!(
        output.stdout.contains("FAILED: bad.md"),
        "{}",
        output.stdout
    );

    let dir = scratch(
        "typo",
        "# Fine\n\n## Who\n\n```sts.get-caller-identity id=me\n```\n",
        &[("typo.test.toml", "yse = true\n".into())],
    );
    let output = runbook_test(dir.path(), &["typo.md"], "false");
    output.assert_code(1);
    assert!(
        output.stdout.contains("typo.test.toml"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("unknown field `yse`"),
        "{}",
        output.stdout
    );
}

/// Run a failure scenario from tests/fixtures/test/ in a scratch copy (where its new
/// transcript is written) and return that transcript.
fn scenario(name: &str) -> String {
    let fixtures = root().join("tests/fixtures/test");
    let files: Vec<(String, String)> = ["test.toml"]
        .iter()
        .map(|ext| {
            (
                format!("{name}.{ext}"),
                read(fixtures.join(format!("{name}.{ext}"))),
            )
        })
        .collect();
    let files: Vec<(&str, String)> = files.iter().map(|(f, t)| (f.as_str(), t.clone())).collect();
    let dir = scratch(name, &read(fixtures.join(format!("{name}.md"))), &files);
    let output = runbook_test(dir.path(), &[&format!("{name}.md")], "false");
    output.assert_code(0);
    assert!(
        output.stdout.contains(&format!(
            "+ transcript: new snapshot written to {name}.transcript"
        )),
        "{}",
        output.stdout
    );
    let path: PathBuf = dir.path().join(format!("{name}.transcript"));
    let transcript = read(path);
    assert_no_secrets_or_variables(&transcript);
    transcript
}

#[test]
fn scenario_wrong_codes_typed() {
    let transcript = scenario("wrong-code");
    assert!(
        transcript.contains("ask secret \"MFA code 1 (from Duo Mobile)\" → \"{{ totp.wrong }}\"")
    );
    assert!(transcript.contains("FAILED: the codes did not match the device"));
    // AWS never saw the codes, and the device created is deleted again.
    assert!(!transcript.contains("EnableMFADevice"), "{transcript}");
    assert!(transcript.contains("cleanup: the run failed after creating a device it never enabled\n  aws iam ListVirtualMFADevices assignment=unassigned → 1 device: arn:aws:iam::<account>:mfa/alice-DuoMobile (unassigned)\n  aws iam DeleteVirtualMFADevice serial_number=arn:aws:iam::<account>:mfa/alice-DuoMobile → ok\n"), "{transcript}");
    insta::assert_snapshot!("wrong_code", transcript);
}

#[test]
fn scenario_orphaned_device_found_and_recreated() {
    let transcript = scenario("orphan");
    assert!(transcript.contains("setup: created the unassigned virtual MFA device arn:aws:iam::<account>:mfa/alice-DuoMobile"));
    assert!(transcript.contains("    aws iam DeleteVirtualMFADevice serial_number=arn:aws:iam::<account>:mfa/alice-DuoMobile → ok\n    aws iam CreateVirtualMFADevice name=alice-DuoMobile"), "{transcript}");
    assert!(transcript.contains("result: ok (expected: ok)"));
    insta::assert_snapshot!("orphan", transcript);
}

#[test]
fn scenario_orphaned_device_kept() {
    let transcript = scenario("orphan-kept");
    assert!(transcript.contains("→ \"n\"\n    FAILED: arn:aws:iam::<account>:mfa/alice-DuoMobile already exists, unassigned, and was kept"), "{transcript}");
    assert!(
        !transcript.contains("DeleteVirtualMFADevice"),
        "{transcript}"
    );
    assert!(
        !transcript.contains("CreateVirtualMFADevice"),
        "{transcript}"
    );
    insta::assert_snapshot!("orphan_kept", transcript);
}

#[test]
fn scenario_security_key_never_registered_times_out() {
    let transcript = scenario("key-timeout");
    assert!(transcript.contains("ask wait \"Done in the console?\" → \"\""));
    // Polled every 5 s on the fixed clock, from 0 to 60 s.
    assert!(
        transcript.contains("aws iam ListMFADevices user=alice → 0 devices (×13)"),
        "{transcript}"
    );
    assert!(transcript.contains("FAILED: a new security key did not show up in IAM within 60 s"));
    assert!(transcript.contains("clock: 60 s passed on the fixed clock"));
    insta::assert_snapshot!("key_timeout", transcript);
}

/// The scenario fixture and its committed snapshots, in a scratch copy.
fn scenarios_copy() -> tempfile::TempDir {
    let fixtures = root().join("tests/fixtures/test");
    let files: Vec<(String, String)> = [
        "test.toml",
        "plan.json",
        "fresh.transcript",
        "with-device.transcript",
        "with-key.transcript",
    ]
    .iter()
    .map(|ext| {
        let name = format!("existing-device.{ext}");
        let text = read(fixtures.join(&name));
        (name, text)
    })
    .collect();
    let files: Vec<(&str, String)> = files.iter().map(|(f, t)| (f.as_str(), t.clone())).collect();
    scratch(
        "existing-device",
        &read(fixtures.join("existing-device.md")),
        &files,
    )
}

/// One guide, three scenarios from different starting states, each against its own
/// committed snapshot (read-only, as in CI).
#[test]
fn scenarios_start_from_their_own_state_and_each_matches_its_snapshot() {
    let dir = scenarios_copy();
    let output = runbook_test(dir.path(), &["existing-device.md"], "true");
    output.assert_code(0);
    for name in ["fresh", "with-device", "with-key"] {
        assert!(
            output.stdout.contains(&format!(
                "  scenario {name}\n  ✓ transcript matches existing-device.{name}.transcript"
            )),
            "{}",
            output.stdout
        );
    }
    assert!(
        output.stdout.contains("ok: existing-device.md"),
        "{}",
        output.stdout
    );
    let fresh = read(dir.path().join("existing-device.fresh.transcript"));
    let device = read(dir.path().join("existing-device.with-device.transcript"));
    let key = read(dir.path().join("existing-device.with-key.transcript"));
    // Without a device the guide enrols one; with one enabled in the set-up it signs in
    // with a code the stand-in phone computed from the set-up device's seed.
    assert!(fresh.contains("scenario: fresh\n"), "{fresh}");
    assert!(
        fresh.contains("aws iam ListMFADevices user=alice → 0 devices\n"),
        "{fresh}"
    );
    assert!(fresh.contains("aws iam CreateVirtualMFADevice"), "{fresh}");
    assert!(!fresh.contains("GetSessionToken"), "{fresh}");
    assert!(device.contains("setup: enabled the virtual MFA device arn:aws:iam::<account>:mfa/alice-DuoMobile on alice (the stand-in phone has its seed)\n"), "{device}");
    assert!(
        device.contains("setup: gave the IAM user alice a console password\n"),
        "{device}"
    );
    assert!(
        device.contains("setup: created the IAM user bob with a console password\n"),
        "{device}"
    );
    assert!(!device.contains("CreateVirtualMFADevice"), "{device}");
    assert!(
        device.contains("ask secret \"Code from Duo Mobile\" → \"{{ totp.current }}\""),
        "{device}"
    );
    assert!(device.contains("aws sts GetSessionToken serial_number=arn:aws:iam::<account>:mfa/alice-DuoMobile code=<secret> → access_key_id=<access-key-id>"), "{device}");
    assert!(key.contains("setup: registered the security key arn:aws:iam::<account>:u2f/user/alice/alice-YubiKey on alice\n"), "{key}");
    assert!(
        key.contains("output security_key_count = 1\n    output virtual_count = 0\n"),
        "{key}"
    );
    assert!(key.contains("aws iam CreateVirtualMFADevice"), "{key}");
    for transcript in [&fresh, &device, &key] {
        assert_no_secrets_or_variables(transcript);
    }
    // Nothing was written next to the snapshots.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(names.len(), 6, "{names:?}");
}

/// A scenario whose snapshot differs fails, names the scenario, and leaves this run's
/// transcript next to it; the other scenarios still pass.
#[test]
fn a_scenario_that_differs_fails_naming_it_and_writes_its_transcript() {
    let dir = scenarios_copy();
    let snapshot = dir.path().join("existing-device.with-device.transcript");
    let stored = read(&snapshot);
    let edited = stored.replace("\"{{ totp.current }}\"", "\"{{ totp.previous }}\"");
    assert_ne!(stored, edited);
    std::fs::write(&snapshot, &edited).unwrap();
    let output = runbook_test(dir.path(), &["existing-device.md"], "true");
    output.assert_code(1);
    let stdout = &output.stdout;
    assert!(
        stdout.contains("✓ transcript matches existing-device.fresh.transcript"),
        "{stdout}"
    );
    assert!(
        stdout.contains("✓ transcript matches existing-device.with-key.transcript"),
        "{stdout}"
    );
    assert!(
        stdout.contains("✗ transcript differs from existing-device.with-device.transcript, in:"),
        "{stdout}"
    );
    assert!(stdout.contains("✗ scenario with-device failed"), "{stdout}");
    assert!(
        stdout.contains("1 of 3 scenarios failed: with-device"),
        "{stdout}"
    );
    assert!(stdout.contains("FAILED: existing-device.md"), "{stdout}");
    assert!(
        stdout.contains(
            "this run's transcript, as far as it got: existing-device.with-device.transcript.new"
        ),
        "{stdout}"
    );
    // The snapshot is untouched; the new file is this run's transcript.
    assert_eq!(read(&snapshot), edited);
    assert_eq!(
        read(
            dir.path()
                .join("existing-device.with-device.transcript.new")
        ),
        stored
    );
    // Once it matches again, the stale .new file goes.
    std::fs::write(&snapshot, &stored).unwrap();
    let output = runbook_test(dir.path(), &["existing-device.md"], "true");
    output.assert_code(0);
    assert!(
        !dir.path()
            .join("existing-device.with-device.transcript.new")
            .exists()
    );
}

/// A run that fails midway leaves how far it got, even with no snapshot to compare.
#[test]
fn a_run_that_fails_midway_leaves_its_partial_transcript() {
    let dir = scenarios_copy();
    let answers = read(dir.path().join("existing-device.test.toml"))
        .replace("virtual_devices = [\"alice-DuoMobile\"]\n", "");
    std::fs::write(dir.path().join("existing-device.test.toml"), answers).unwrap();
    std::fs::remove_file(dir.path().join("existing-device.with-device.transcript")).unwrap();
    let output = runbook_test(dir.path(), &["existing-device.md"], "false");
    output.assert_code(1);
    assert!(
        output.stdout.contains("✗ scenario with-device failed"),
        "{}",
        output.stdout
    );
    // Without the set-up device, the guide enrols instead: a question the script lacks.
    assert!(
        output
            .stdout
            .contains("but the run asked “Name for the virtual MFA device”"),
        "{}",
        output.stdout
    );
    assert!(
        !dir.path()
            .join("existing-device.with-device.transcript")
            .exists()
    );
    let partial = read(
        dir.path()
            .join("existing-device.with-device.transcript.new"),
    );
    assert!(partial.contains("scenario: with-device\n"), "{partial}");
    assert!(
        partial.contains("aws iam ListMFADevices user=alice → 0 devices\n"),
        "{partial}"
    );
    assert!(
        partial.contains("step enrol-a-device: Enrol a device\n  action device_name: input.text\n"),
        "{partial}"
    );
    assert!(
        partial.contains("ask text \"Name for the virtual MFA device\" → no scripted answer"),
        "{partial}"
    );
    assert!(
        partial.contains("result: failed (expected: ok)"),
        "{partial}"
    );
}

/// `[vars]` names that are no input of the guide are refused before anything runs.
#[test]
fn an_unknown_var_is_rejected_with_a_suggestion() {
    let guide = read(root().join("tests/fixtures/test/existing-device.md"));
    let dir = scratch(
        "vars",
        &guide,
        &[(
            "vars.test.toml",
            "[[scenario]]\nname = \"fresh\"\n[scenario.vars]\ndevice_nmae = \"phone\"\n".into(),
        )],
    );
    let output = runbook_test(dir.path(), &["vars.md"], "false");
    output.assert_code(1);
    assert!(
        output.stdout.contains("✗ vars.test.toml, scenario fresh: [vars] `device_nmae` is not an input of vars.md: did you mean `device_name`?"),
        "{}",
        output.stdout
    );
    assert!(!output.stdout.contains("plan"), "{}", output.stdout);
    assert!(!dir.path().join("vars.plan.json").exists());

    let dir = scratch(
        "field",
        &guide,
        &[(
            "field.test.toml",
            "[[scenario]]\nname = \"fresh\"\n[scenario.setup]\nvirtual_device = [\"x\"]\n".into(),
        )],
    );
    let output = runbook_test(dir.path(), &["field.md"], "false");
    output.assert_code(1);
    assert!(
        output.stdout.contains("field.test.toml"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("unknown field `virtual_device`"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("help: did you mean `virtual_devices`?"),
        "{}",
        output.stdout
    );
}

/// A guide with an info step before an action and steps whose `when` is false.
const STEP_KINDS: &str = r#"# Steps of every kind

## Who am I

```sts.get-caller-identity id=me
```

## The policy
<!-- runbook: info = true -->

Only read: nothing to do or confirm.

## Devices

```iam.list-mfa-devices id=devices
user = "{{ me.user_name }}"
```

## Only as root
<!-- runbook: when = "me.is_root" -->

```iam.get-account-summary id=account
```

## By hand, as root
<!-- runbook: when = "me.is_root" -->

Something only the root user does, by hand.

## Afterwards

```iam.list-virtual-mfa-devices id=virtual
```
"#;

fn step_kinds_transcript() -> String {
    let dir = scratch(
        "kinds",
        STEP_KINDS,
        &[(
            "kinds.test.toml",
            "user = \"alice\"\nyes = true\nsandbox = true\nexpect = \"ok\"\n".into(),
        )],
    );
    let output = runbook_test(dir.path(), &["kinds.md"], "false");
    output.assert_code(0);
    read(dir.path().join("kinds.transcript"))
}

/// An info step is shown as one (never as a manual step), and the call made by the
/// action after it is that action's, not the info step's.
#[test]
fn an_info_step_is_shown_as_one_and_the_next_call_is_the_next_actions() {
    let transcript = step_kinds_transcript();
    assert!(
        transcript.contains(
            "step the-policy: The policy\n  info step: read, nothing to do or confirm\n\n\
             step devices: Devices\n  action devices: iam.list-mfa-devices\n    \
             param user = \"alice\"\n    aws iam ListMFADevices user=alice → 0 devices\n    \
             output count = 0\n"
        ),
        "{transcript}"
    );
    assert!(!transcript.contains("  manual step"), "{transcript}");
    // Each call once, under its own action.
    assert_eq!(transcript.matches("aws iam ListMFADevices").count(), 1);
    assert!(
        transcript.contains(
            "  action virtual: iam.list-virtual-mfa-devices\n    \
             aws iam ListVirtualMFADevices assignment=any → 0 devices\n"
        ),
        "{transcript}"
    );
}

/// A step whose `when` is false is one line naming the condition, automated or manual;
/// its actions and calls are not shown.
#[test]
fn a_skipped_step_is_one_line_with_its_reason() {
    let transcript = step_kinds_transcript();
    assert!(
        transcript.contains(
            "\nstep only-as-root: Only as root — skipped (when me.is_root: false)\n\n\
             step by-hand-as-root: By hand, as root — skipped (when me.is_root: false)\n\n\
             step afterwards: Afterwards\n"
        ),
        "{transcript}"
    );
    assert!(!transcript.contains("action account"), "{transcript}");
    assert!(!transcript.contains("GetAccountSummary"), "{transcript}");
}
