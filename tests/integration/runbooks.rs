//! Every runbook shipped in runbooks/ passes `check`, and the guide keeps every sentence
//! of the original.

use crate::harness::{Test, root};

#[test]
fn every_runbook_passes_check() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("runbooks"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .map(|path| format!("runbooks/{}", path.file_name().unwrap().to_str().unwrap()))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let output = Test::new()
        .current_dir(root())
        .args(["check"])
        .args(files.clone())
        .run();
    output.assert_code(0);
    assert!(!output.stderr.contains("error["), "{}", output.stderr);
    for file in files {
        assert!(
            output.stdout.contains(&format!("ok: {file} (")),
            "{}",
            output.stdout
        );
    }
}

#[test]
fn aws_mfa_keeps_every_line_of_the_original_guide() {
    let runbook = std::fs::read_to_string(root().join("runbooks/aws-mfa.md")).unwrap();
    let original = include_str!("../fixtures/aws-mfa-original.md");
    let lines: Vec<&str> = runbook.lines().collect();
    let images: Vec<&str> = lines.iter().filter_map(|line| image_target(line)).collect();
    for line in original.lines().filter(|l| !l.trim().is_empty()) {
        // The figures live in runbooks/images/ (the original had them in images2/).
        let expected = line.replace("](images2/", "](images/");
        // A figure keeps its file; its caption says what the figure really shows (a
        // capture of the engine's sandbox run, not the console), so it may differ.
        let kept = match image_target(&expected) {
            Some(target) => images.contains(&target),
            None => lines.contains(&expected.as_str()),
        };
        assert!(kept, "the runbook lost this line of the guide:\n{line}");
    }
}

/// The target of a line that is just an image, `![alt](target)`.
fn image_target(line: &str) -> Option<&str> {
    line.strip_prefix("![")?
        .strip_suffix(')')?
        .rsplit_once("](")
        .map(|(_, target)| target)
}

/// The guides of `runbooks/`, as `runbooks/NAME.md`, sorted.
fn guides() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("runbooks"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("runbooks/{name}"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_readme_lists_every_guide() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let guides = guides();
    for guide in [
        "runbooks/audit-my-mfa.md",
        "runbooks/aws-cli-mfa.md",
        "runbooks/remove-mfa-devices.md",
    ] {
        assert!(guides.contains(&guide.to_string()), "{guides:?}");
    }
    for guide in guides {
        assert!(
            readme.contains(&format!("]({guide})")),
            "README.md does not link to {guide}"
        );
    }
}

/// `runbook run GUIDE --sandbox --yes --output json` in a fresh state folder, and its
/// JSON events.
fn sandbox_json(guide: &str) -> (crate::harness::Output, Vec<serde_json::Value>) {
    let state = tempfile::tempdir().unwrap();
    let output = Test::new()
        .current_dir(root())
        .args(["run", guide, "--sandbox", "--yes", "--output", "json"])
        .args(["--state-dir", state.path().to_str().unwrap()])
        .run();
    let events = output
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect(line))
        .collect();
    (output, events)
}

fn of_kind<'e>(events: &'e [serde_json::Value], kind: &str) -> Vec<&'e serde_json::Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// The audit, unattended in the sandbox: the sandbox user has no MFA device, so each rule
/// of the policy is a finding, the run goes on to the end (exit 4), the root-only step is
/// skipped, nothing in AWS changes, and the closing prose has the run's values in it.
#[test]
fn audit_my_mfa_reports_each_gap_as_a_finding_and_changes_nothing() {
    let (output, events) = sandbox_json("runbooks/audit-my-mfa.md");
    output.assert_code(4);
    let findings: Vec<&str> = of_kind(&events, "finding")
        .iter()
        .map(|f| f["finding"].as_str().unwrap())
        .collect();
    assert_eq!(
        findings,
        [
            "no virtual MFA device (authenticator app)",
            "no security key",
            "fewer than two MFA methods"
        ],
        "{}",
        output.stdout
    );
    let finished = events.last().unwrap();
    assert_eq!(finished["event"], "run_finished");
    assert_eq!(finished["status"], "findings");
    assert_eq!(finished["findings"].as_array().unwrap().len(), 3);
    let skipped = of_kind(&events, "step_skipped");
    assert_eq!(skipped.len(), 1, "{}", output.stdout);
    assert_eq!(skipped[0]["step"], "check-the-root-users-mfa");
    assert!(of_kind(&events, "error").is_empty(), "{}", output.stdout);
    for action in of_kind(&events, "action") {
        assert_eq!(action["changed"], false, "{action}");
    }
    // Human text goes to stderr with --output json: the closing step's values filled in.
    assert!(
        output.stderr.contains(
            "arn:aws:iam::123456789012:user/runbook-sandbox has 0 MFA device(s): \
             0 virtual device(s) and 0 security key(s)."
        ),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.contains("{{"), "{}", output.stderr);
}

/// Without a virtual device, the CLI guide stops at its precondition (exit 1, no finding),
/// after telling the reader to run aws-mfa.md, and before showing any profile lines or
/// asking for a code.
#[test]
fn aws_cli_mfa_without_a_device_stops_at_its_precondition() {
    let (output, events) = sandbox_json("runbooks/aws-cli-mfa.md");
    output.assert_code(1);
    assert!(of_kind(&events, "finding").is_empty(), "{}", output.stdout);
    let errors = of_kind(&events, "error");
    assert_eq!(errors.len(), 1, "{}", output.stdout);
    assert_eq!(errors[0]["step"], "find-your-virtual-mfa-device");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("`virtual_count >= 1` (virtual_count = 0)"),
        "{}",
        errors[0]
    );
    assert_eq!(events.last().unwrap()["status"], "failed");
    let hint = output
        .stderr
        .find("set one up with aws-mfa.md (runbook run runbooks/aws-mfa.md)")
        .unwrap_or_else(|| panic!("{}", output.stderr));
    let failure = output.stderr.find("✗ expectation failed").unwrap();
    assert!(hint < failure, "{}", output.stderr);
    assert!(!output.stderr.contains("mfa_serial"), "{}", output.stderr);
    assert!(
        of_kind(&events, "action")
            .iter()
            .all(|a| a["id"] != "code" && a["id"] != "session"),
        "{}",
        output.stdout
    );
}

/// With a virtual device enabled (by aws-mfa.md's Part 1), the CLI guide writes the
/// profile (the defaults: `mfa`, no role) into the AWS config file after showing the diff,
/// and proves the device with a typed code; the code and the temporary credentials are
/// shown nowhere. (The role profile, read by the real AWS CLI: aws_cli.rs.)
#[test]
fn aws_cli_mfa_with_a_device_writes_the_profile_and_gets_a_session() {
    let user = crate::moto::user("climfa");
    let state = tempfile::tempdir().unwrap();
    let part1 = user.run(
        "runbooks/aws-mfa.md",
        state.path(),
        &["--yes", "--to", "set-up-the-authenticator-app"],
        &[],
    );
    part1.assert_code(0);
    let serial = format!("arn:aws:iam::123456789012:mfa/{}-DuoMobile", user.name);
    let config = state.path().join("aws").join("config");
    let config_env = config.display().to_string();
    // A person takes the three inputs' defaults (Enter), says yes to the change, then
    // types a code: the emulator accepts any well-formed code, and without a seed the
    // guide passes it on unchecked.
    let cli = user.run(
        "runbooks/aws-cli-mfa.md",
        state.path(),
        &[],
        &[
            ("RUNBOOK_ANSWERS", "\n\n\ny\n314159\n"),
            ("AWS_CONFIG_FILE", config_env.as_str()),
        ],
    );
    cli.assert_code(0);
    let text = format!("{}{}", cli.stdout, cli.stderr);
    for line in [
        format!("--- /dev/null\n+++ {config_env}\n"),
        "+[profile mfa]\n".to_string(),
        format!("+mfa_serial = {serial}\n"),
        format!("aws sts get-session-token --serial-number {serial} --token-code CODE"),
        format!("wrote the mfa profile to {config_env}"),
    ] {
        assert!(text.contains(&line), "no `{line}` in:\n{text}");
    }
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        format!("[profile mfa]\nmfa_serial = {serial}\n")
    );
    assert!(text.contains("AWS accepted the code"), "{text}");
    assert!(text.contains("skipped (when: role_name != '')"), "{text}");
    assert!(!text.contains("{{"), "{text}");
    assert!(!text.contains("314159"), "the code was shown:\n{text}");
    assert!(
        !text.contains("ASIA"),
        "a temporary access key id was shown:\n{text}"
    );
}

/// A user with a virtual device and a security key: the removal guide's dry run shows
/// each deactivation and changes nothing; the run deactivates both
/// devices, deletes the virtual one (the key is skipped by the item's `when`), checks that
/// none is left, and leaves no unassigned device behind.
#[test]
fn remove_mfa_devices_deactivates_each_device_and_deletes_the_virtual_ones() {
    use runbook::providers::{Assignment, Iam};
    use runbook::secret::Secret;
    let user = crate::moto::user("offboarded");
    let iam = user.provider();
    let phone = iam
        .create_virtual_mfa_device(&format!("{}-phone", user.name), None)
        .unwrap()
        .serial_number;
    // The emulator takes any well-formed codes, and a `u2f` serial through
    // EnableMFADevice (real IAM registers a security key only in the console).
    let (one, two) = (Secret::new("123456"), Secret::new("654321"));
    iam.enable_mfa_device(&user.name, &phone, &one, &two)
        .unwrap();
    let key = format!("arn:aws:iam::123456789012:u2f/user/{0}/{0}-key", user.name);
    iam.enable_mfa_device(&user.name, &key, &one, &two).unwrap();
    assert_eq!(user.devices().len(), 2);

    let events = |output: &crate::harness::Output| -> Vec<serde_json::Value> {
        output
            .stdout
            .lines()
            .map(|line| serde_json::from_str(line).expect(line))
            .collect()
    };
    // (id, status) of each action event of a loop item, in order.
    let items = |events: &[serde_json::Value], id: &str| -> Vec<String> {
        of_kind(events, "action")
            .iter()
            .filter(|a| a["id"].as_str().unwrap().starts_with(&format!("{id}[")))
            .map(|a| {
                format!(
                    "{} {}",
                    a["id"].as_str().unwrap(),
                    a["status"].as_str().unwrap()
                )
            })
            .collect()
    };
    let var = format!("user_name={}", user.name);
    let args = ["--yes", "--output", "json", "--var", var.as_str()];
    let guide = "runbooks/remove-mfa-devices.md";

    // The dry run shows each deactivation, with the real serial numbers, then the
    // deletion of the virtual device as a real run would make it (the device is still
    // assigned, as the deactivation was only shown), and changes nothing; the final
    // `count == 0` is "not yet", not a failure.
    let dry_state = tempfile::tempdir().unwrap();
    let mut dry_args = vec!["--dry-run"];
    dry_args.extend_from_slice(&args);
    let dry = user.run(guide, dry_state.path(), &dry_args, &[]);
    dry.assert_code(0);
    let dry_events = events(&dry);
    assert_eq!(
        items(&dry_events, "deactivate"),
        ["deactivate[0] would-run", "deactivate[1] would-run"],
        "{}",
        dry.stdout
    );
    for serial in [&phone, &key] {
        assert!(
            dry.stderr.contains(&format!(
                "$ aws iam deactivate-mfa-device --user-name {} --serial-number {serial}",
                user.name
            )),
            "{}",
            dry.stderr
        );
    }
    assert_eq!(
        items(&dry_events, "delete"),
        ["delete[0] would-run", "delete[1] skipped"],
        "{}",
        dry.stdout
    );
    assert!(
        dry.stderr.contains(&format!(
            "delete[0]: would delete {phone} once the deactivation above is made\n    $ aws iam delete-virtual-mfa-device --serial-number {phone}\n"
        )),
        "{}",
        dry.stderr
    );
    assert!(
        dry.stderr.contains(
            "expects `count == 0`: not yet, since this dry run made none of the changes before it"
        ),
        "{}",
        dry.stderr
    );
    assert!(of_kind(&dry_events, "error").is_empty(), "{}", dry.stdout);
    assert_eq!(
        dry_events.last().unwrap()["status"],
        "dry-run",
        "{}",
        dry.stdout
    );
    assert_eq!(user.devices().len(), 2, "the dry run changed something");
    assert!(
        iam.list_virtual_mfa_devices(Assignment::Any)
            .unwrap()
            .iter()
            .any(|device| device.serial_number == phone),
        "the dry run deleted the virtual device"
    );

    let state = tempfile::tempdir().unwrap();
    let run = user.run(guide, state.path(), &args, &[]);
    run.assert_code(0);
    let run_events = events(&run);
    assert_eq!(
        items(&run_events, "deactivate"),
        ["deactivate[0] done", "deactivate[1] done"],
        "{}",
        run.stdout
    );
    assert_eq!(
        items(&run_events, "delete"),
        ["delete[0] done", "delete[1] skipped"],
        "{}",
        run.stdout
    );
    let after = of_kind(&run_events, "action")
        .into_iter()
        .find(|a| a["id"] == "after")
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert_eq!(after["outputs"]["count"], 0, "{after}");
    assert_eq!(run_events.last().unwrap()["status"], "ok", "{}", run.stdout);
    assert!(
        run.stderr
            .contains(&format!("{} has 0 MFA device(s) now.", user.name)),
        "{}",
        run.stderr
    );
    assert!(user.devices().is_empty(), "{:?}", user.devices());
    let left: Vec<String> = iam
        .list_virtual_mfa_devices(Assignment::Any)
        .unwrap()
        .into_iter()
        .map(|device| device.serial_number)
        .filter(|serial| serial == &phone)
        .collect();
    assert!(
        left.is_empty(),
        "the virtual device was not deleted: {left:?}"
    );
}

/// With no device, both loops run zero times, nothing changes and the run ends ok.
#[test]
fn remove_mfa_devices_with_nothing_to_remove_changes_nothing() {
    let state = tempfile::tempdir().unwrap();
    let output = Test::new()
        .current_dir(root())
        .args([
            "run",
            "runbooks/remove-mfa-devices.md",
            "--sandbox",
            "--yes",
        ])
        .args(["--output", "json", "--var", "user_name=runbook-sandbox"])
        .args(["--state-dir", state.path().to_str().unwrap()])
        .run();
    output.assert_code(0);
    let events: Vec<serde_json::Value> = output
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect(line))
        .collect();
    assert!(
        of_kind(&events, "loop_item").is_empty(),
        "{}",
        output.stdout
    );
    for action in of_kind(&events, "action") {
        assert_eq!(action["changed"], false, "{action}");
        assert!(!action["id"].as_str().unwrap().contains('['), "{action}");
    }
    assert_eq!(events.last().unwrap()["status"], "ok", "{}", output.stdout);
    assert!(
        output
            .stderr
            .contains("runbook-sandbox has 0 MFA device(s) now."),
        "{}",
        output.stderr
    );
}

/// The offboarding guide against the emulator, run by an administrator on another user
/// with a virtual device, a security key, two access keys and a console password: the dry
/// run shows every change with its AWS CLI command and makes none; the run makes them
/// (the keys inactive, not deleted) and its final check passes; run again from the start
/// (`--restart`), every action finds nothing to do.
#[test]
fn offboard_user_removes_every_sign_in_credential_and_only_those() {
    use runbook::providers::sandbox::{self, Emulator};
    use runbook::providers::{AccessKeyStatus, Assignment, Iam};
    use runbook::secret::Secret;
    let admin = crate::moto::user("offb-admin");
    let leaver = crate::moto::user("offb-leaver");
    let emulator = Emulator::attach(crate::moto::endpoint()).unwrap();
    let second =
        sandbox::give_access_key(&emulator, &leaver.name, AccessKeyStatus::Active).unwrap();
    sandbox::give_console_password(&emulator, &leaver.name).unwrap();
    let iam = admin.provider();
    let phone = iam
        .create_virtual_mfa_device("offb-leaver-phone", None)
        .unwrap()
        .serial_number;
    let code = Secret::new("123456");
    iam.enable_mfa_device(&leaver.name, &phone, &code, &code)
        .unwrap();
    let key = "arn:aws:iam::123456789012:u2f/user/offb-leaver/offb-leaver-key";
    iam.enable_mfa_device(&leaver.name, key, &code, &code)
        .unwrap();
    let keys = [leaver.keys().0, second];

    let events = |output: &crate::harness::Output| -> Vec<serde_json::Value> {
        output
            .stdout
            .lines()
            .map(|line| serde_json::from_str(line).expect(line))
            .collect()
    };
    let statuses = |events: &[serde_json::Value]| -> Vec<String> {
        of_kind(events, "action")
            .iter()
            .map(|a| {
                format!(
                    "{} {}",
                    a["id"].as_str().unwrap(),
                    a["status"].as_str().unwrap()
                )
            })
            .collect()
    };
    let var = format!("user_name={}", leaver.name);
    let args = ["--yes", "--output", "json", "--var", var.as_str()];
    let guide = "runbooks/offboard-user.md";

    let dry_state = tempfile::tempdir().unwrap();
    let mut dry_args = vec!["--dry-run"];
    dry_args.extend_from_slice(&args);
    let dry = admin.run(guide, dry_state.path(), &dry_args, &[]);
    dry.assert_code(0);
    let dry_events = events(&dry);
    let shown = statuses(&dry_events);
    for wanted in [
        "deactivate[0] would-run",
        "deactivate[1] would-run",
        "delete[0] would-run",
        "delete[1] skipped",
        "deactivate_key[0] would-run",
        "deactivate_key[1] would-run",
        "remove_password would-run",
    ] {
        assert!(
            shown.iter().any(|s| s == wanted),
            "no `{wanted}` in {shown:?}"
        );
    }
    for key_id in &keys {
        let cli = format!(
            "$ aws iam update-access-key --user-name offb-leaver --access-key-id {key_id} --status Inactive"
        );
        assert!(dry.stderr.contains(&cli), "no `{cli}` in\n{}", dry.stderr);
    }
    assert!(
        dry.stderr
            .contains("$ aws iam delete-login-profile --user-name offb-leaver"),
        "{}",
        dry.stderr
    );
    assert_eq!(dry_events.last().unwrap()["status"], "dry-run");
    assert_eq!(iam.list_mfa_devices(Some("offb-leaver")).unwrap().len(), 2);
    let listed = iam.list_access_keys("offb-leaver").unwrap();
    assert!(
        listed.iter().all(|k| k.status == AccessKeyStatus::Active),
        "the dry run changed a key: {listed:?}"
    );
    assert!(iam.get_login_profile("offb-leaver").unwrap().is_some());

    let state = tempfile::tempdir().unwrap();
    let run = admin.run(guide, state.path(), &args, &[]);
    run.assert_code(0);
    let run_events = events(&run);
    let done = statuses(&run_events);
    for wanted in [
        "deactivate[0] done",
        "deactivate[1] done",
        "delete[0] done",
        "delete[1] skipped",
        "deactivate_key[0] done",
        "deactivate_key[1] done",
        "remove_password done",
        "devices_after done",
        "keys_after done",
        "password_after done",
    ] {
        assert!(
            done.iter().any(|s| s == wanted),
            "no `{wanted}` in {done:?}"
        );
    }
    assert_eq!(run_events.last().unwrap()["status"], "ok", "{}", run.stdout);
    assert!(
        iam.list_mfa_devices(Some("offb-leaver"))
            .unwrap()
            .is_empty()
    );
    let after = iam.list_access_keys("offb-leaver").unwrap();
    let mut ids: Vec<&str> = after.iter().map(|k| k.access_key_id.as_str()).collect();
    ids.sort();
    let mut expected: Vec<&str> = keys.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(ids, expected, "a key was deleted");
    assert!(
        after.iter().all(|k| k.status == AccessKeyStatus::Inactive),
        "{after:?}"
    );
    assert_eq!(iam.get_login_profile("offb-leaver").unwrap(), None);
    assert!(
        !iam.list_virtual_mfa_devices(Assignment::Any)
            .unwrap()
            .iter()
            .any(|d| d.serial_number == phone),
        "the virtual device was not deleted"
    );
    // The administrator's own key is not the leaver's: untouched.
    let own = iam.list_access_keys("offb-admin").unwrap();
    assert!(
        own.iter().all(|k| k.status == AccessKeyStatus::Active),
        "{own:?}"
    );

    let again = admin.run(
        guide,
        state.path(),
        &["--restart", args[0], args[1], args[2], args[3], args[4]],
        &[],
    );
    again.assert_code(0);
    let again_events = events(&again);
    for action in of_kind(&again_events, "action") {
        assert_eq!(action["changed"], false, "{action}");
    }
    assert!(
        again.stderr.contains("is Inactive already: nothing to do"),
        "{}",
        again.stderr
    );
}

/// The account audit, unattended in a fresh sandbox: its only user (the sandbox's, with
/// access keys and no console password) is not a console user, so nothing is a finding
/// (exit 0); the report is polled until ready, the root step is skipped (the emulator's
/// report has no root row), nothing in AWS changes, and the closing prose has the counts.
#[test]
fn audit_account_in_a_fresh_sandbox_finds_nothing_and_changes_nothing() {
    let (output, events) = sandbox_json("runbooks/audit-account.md");
    output.assert_code(0);
    assert!(of_kind(&events, "finding").is_empty(), "{}", output.stdout);
    let finished = events.last().unwrap();
    assert_eq!(finished["event"], "run_finished", "{finished}");
    assert_eq!(finished["status"], "ok", "{finished}");
    let skipped = of_kind(&events, "step_skipped");
    assert_eq!(skipped.len(), 1, "{}", output.stdout);
    assert_eq!(skipped[0]["step"], "the-root-user");
    let report = of_kind(&events, "action")
        .into_iter()
        .find(|a| a["id"] == "report")
        .expect("the report was read");
    assert_eq!(report["outputs"]["user_count"], 1, "{report}");
    for action in of_kind(&events, "action") {
        assert_eq!(action["changed"], false, "{action}");
    }
    assert!(
        output
            .stderr
            .contains("0 of the 1 IAM user(s) sign in to the console with a password"),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.contains("{{"), "{}", output.stderr);
}
