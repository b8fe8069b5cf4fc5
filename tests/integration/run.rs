//! `runbook run` against a real local emulator (moto): Part 1 of the guide unattended,
//! re-runs, orphans, dry runs, JSON events, and crashes at every boundary.

use serde_json::Value;

use crate::moto::user;

const GUIDE: &str = "runbooks/aws-mfa.md";
const PART1: &str = "tests/fixtures/run/part1.md";
const TO_PART1_END: [&str; 3] = ["--yes", "--to", "set-up-the-authenticator-app"];

#[test]
fn part1_of_the_guide_enables_exactly_one_device() {
    let user = user("part1");
    let state = tempfile::tempdir().unwrap();
    let output = user.run(GUIDE, state.path(), &TO_PART1_END, &[]);
    output.assert_code(0);
    assert!(
        output
            .stdout
            .contains("created arn:aws:iam::123456789012:mfa/part1-DuoMobile"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("enabled arn:aws:iam::123456789012:mfa/part1-DuoMobile for part1"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("part1 has 1 MFA device(s): 1 virtual"),
        "{}",
        output.stdout
    );
    user.assert_one_device("after Part 1");
    // Unattended against an endpoint, the enrolment key went to the run's --seed-file.
    let handed = user.seed_files();
    assert_eq!(handed.len(), 1, "{handed:?}");
    assert!(handed[0].starts_with("otpauth://totp/AWS:part1%40123456789012?"));
}

#[test]
fn a_finished_guide_run_again_has_nothing_to_do() {
    let user = user("again");
    let state = tempfile::tempdir().unwrap();
    user.run(PART1, state.path(), &["--yes"], &[])
        .assert_code(0);
    let second = user.run(PART1, state.path(), &["--yes", "--output", "json"], &[]);
    second.assert_code(0);
    let events: Vec<Value> = second
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        events.last().unwrap()["status"],
        "nothing-to-do",
        "{}",
        second.stdout
    );
    assert!(second.stderr.contains("Nothing to do"), "{}", second.stderr);
    user.assert_one_device("after the second run");
}

#[test]
fn without_a_journal_a_rerun_changes_nothing() {
    let user = user("rerun");
    let state = tempfile::tempdir().unwrap();
    user.run(PART1, state.path(), &["--yes"], &[])
        .assert_code(0);
    let again = user.run(
        PART1,
        state.path(),
        &["--yes", "--restart", "--output", "json"],
        &[],
    );
    again.assert_code(0);
    let changed: Vec<Value> = again
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "action" && e["changed"] == true)
        .collect();
    assert!(
        changed.is_empty(),
        "a re-run changed something: {changed:?}"
    );
    assert!(
        again.stderr.contains("is already enabled for rerun"),
        "{}",
        again.stderr
    );
    user.assert_one_device("after --restart");
}

#[test]
fn an_orphaned_device_is_deleted_and_created_anew() {
    let user = user("orphan");
    let provider = user.provider();
    use runbook::providers::Iam;
    let orphan = provider
        .create_virtual_mfa_device("orphan-DuoMobile", None)
        .unwrap();
    assert_eq!(user.orphans(), std::slice::from_ref(&orphan.serial_number));
    let state = tempfile::tempdir().unwrap();
    let output = user.run(PART1, state.path(), &["--yes"], &[]);
    output.assert_code(0);
    assert!(
        output.stdout.contains("exists but was never enabled"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains(&format!("deleted the unassigned {}", orphan.serial_number)),
        "{}",
        output.stdout
    );
    user.assert_one_device("after orphan recovery");
}

#[test]
fn declining_the_orphan_deletion_keeps_it_and_stops() {
    let user = user("keep");
    let provider = user.provider();
    use runbook::providers::Iam;
    provider
        .create_virtual_mfa_device("keep-DuoMobile", None)
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    // Answers: the device name (default), then "no" to deleting the orphan.
    let output = user.run(PART1, state.path(), &[], &[("RUNBOOK_ANSWERS", "\nn\n")]);
    output.assert_code(1);
    assert!(
        output
            .stdout
            .contains("already exists, unassigned, and was kept"),
        "{}",
        output.stdout
    );
    assert_eq!(user.orphans().len(), 1, "the orphan was kept");
    assert!(user.devices().is_empty());
}

#[test]
fn declining_the_change_creates_nothing() {
    let user = user("decline");
    let state = tempfile::tempdir().unwrap();
    let output = user.run(PART1, state.path(), &[], &[("RUNBOOK_ANSWERS", "\nn\n")]);
    output.assert_code(1);
    assert!(
        output
            .stdout
            .contains("was not confirmed, so nothing was changed"),
        "{}",
        output.stdout
    );
    assert!(user.devices().is_empty());
    assert!(user.orphans().is_empty());
}

#[test]
fn dry_run_changes_nothing_and_writes_no_journal() {
    let user = user("dry");
    let state = tempfile::tempdir().unwrap();
    let output = user.run(
        GUIDE,
        state.path(),
        &["--dry-run", "--yes", "--to", "set-up-the-authenticator-app"],
        &[],
    );
    output.assert_code(0);
    assert!(
        output
            .stdout
            .contains("would create the virtual MFA device `dry-DuoMobile`"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains(
            "$ aws iam create-virtual-mfa-device --virtual-mfa-device-name dry-DuoMobile"
        ),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("Dry run: nothing was changed."),
        "{}",
        output.stdout
    );
    assert!(user.devices().is_empty());
    assert!(user.orphans().is_empty());
    assert!(
        !state.path().join("journals").exists(),
        "a dry run wrote a journal"
    );
}

#[test]
fn dry_run_of_the_whole_guide_does_not_wait_for_a_security_key() {
    // No key is plugged into the test machine: the USB provider finds none, and a dry
    // run says what it would do instead of waiting (up to 120 s) for one.
    let user = user("dry-key");
    let state = tempfile::tempdir().unwrap();
    let output = user.run_within(
        std::time::Duration::from_secs(60),
        GUIDE,
        state.path(),
        &["--dry-run"],
    );
    output.assert_code(0);
    for expected in [
        "fido.wait-for-key key: would wait for a security key (none is plugged in)",
        "fido.blink select-security-key-2: would make the security key blink",
        "fido.key-info key_info: would read the security key's info",
        "fido.self-test self_test: would make a test credential and an assertion",
        "console.handoff security_key: would hand off to the AWS console",
        "Dry run: nothing was changed.",
    ] {
        assert!(
            output.stdout.contains(expected),
            "{expected}\n{}",
            output.stdout
        );
    }
    assert!(
        !output.stdout.contains("Insert your security key"),
        "{}",
        output.stdout
    );
    assert!(user.devices().is_empty());
    assert!(user.orphans().is_empty());
}

#[test]
fn json_events_are_one_object_per_line() {
    let user = user("json");
    let state = tempfile::tempdir().unwrap();
    let output = user.run(PART1, state.path(), &["--yes", "--output", "json"], &[]);
    output.assert_code(0);
    let events: Vec<Value> = output
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"run_started"));
    assert_eq!(kinds.last(), Some(&"run_finished"));
    assert!(kinds.contains(&"step_started") && kinds.contains(&"step_finished"));
    let create = events
        .iter()
        .find(|e| e["action"] == "iam.create-virtual-mfa-device")
        .unwrap();
    assert_eq!(create["changed"], true);
    assert!(
        create["outputs"]["serial_number"]
            .as_str()
            .unwrap()
            .ends_with(":mfa/json-DuoMobile")
    );
    assert!(
        create["outputs"].get("seed").is_none(),
        "secret in JSON: {create}"
    );
    let codes = events
        .iter()
        .find(|e| e["action"] == "totp.consecutive-codes")
        .unwrap();
    assert_eq!(codes["outputs"], serde_json::json!({}));
}

#[test]
fn unknown_step_is_a_usage_error() {
    let user = user("usage");
    let state = tempfile::tempdir().unwrap();
    let output = user.run(GUIDE, state.path(), &["--yes", "--only", "nope"], &[]);
    output.assert_code(2);
    assert!(
        output.stdout.contains("there is no step `nope`"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("choose-authenticator-app"),
        "{}",
        output.stdout
    );
}

/// Kill the run with SIGKILL at every boundary between actions and in the middle of each
/// mutating call (after AWS acted, before the run recorded it), then run again: always
/// exactly one enabled device and no orphan.
#[test]
fn kill_9_anywhere_then_resume() {
    let points = [
        "journaled:me",
        "journaled:existing",
        "journaled:device_name",
        "pending:duo",
        "called:duo",
        "journaled:duo",
        "journaled:set-up-the-authenticator-app-1",
        "journaled:codes",
        "pending:enabled",
        "called:enabled",
        "journaled:enabled",
        "journaled:part1",
    ];
    let handles: Vec<_> = points
        .iter()
        .enumerate()
        .map(|(n, point)| {
            let point = point.to_string();
            std::thread::spawn(move || {
                let user = user(&format!("kill{n}"));
                let state = tempfile::tempdir().unwrap();
                let killed = user.run(
                    GUIDE,
                    state.path(),
                    &TO_PART1_END,
                    &[("RUNBOOK_FAULT", &point)],
                );
                assert_eq!(
                    killed.signal,
                    Some(9),
                    "{point}: not killed\n{}\n{}",
                    killed.stdout,
                    killed.stderr
                );
                let resumed = user.run(GUIDE, state.path(), &TO_PART1_END, &[]);
                resumed.assert_code(0);
                // Killed after the last action was recorded, there is nothing left to do.
                let resumed_or_done =
                    resumed.stdout.contains("Resuming") || resumed.stdout.contains("Nothing to do");
                assert!(resumed_or_done, "{point}: {}", resumed.stdout);
                user.assert_one_device(&format!("killed at {point}"));
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}

/// A forged "success" for EnableMFADevice (an empty 200 that never reached the emulator)
/// is not believed: the listing afterwards decides. The run fails, deletes the device it
/// created and never enabled, journals nothing as done, and the next run finishes.
#[test]
fn a_bogus_enable_success_is_a_failure_with_cleanup() {
    use crate::proxy::{Fault, Proxy};
    let user = user("bogus");
    let state = tempfile::tempdir().unwrap();
    let upstream = runbook::providers::sandbox::Emulator::attach(crate::moto::endpoint())
        .unwrap()
        .port();
    let proxy = Proxy::start(upstream, |_, action| {
        if action == "EnableMFADevice" {
            let body = "<EnableMFADeviceResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata><RequestId>forged</RequestId></ResponseMetadata></EnableMFADeviceResponse>";
            Fault::Answer(format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ))
        } else {
            Fault::None
        }
    });
    let seeds = tempfile::tempdir().unwrap();
    let seed_file = seeds.path().join("seed.uri");
    let output = user.run_via(
        &proxy.endpoint(),
        PART1,
        state.path(),
        &["--yes", "--seed-file", seed_file.to_str().unwrap()],
        &[],
    );
    output.assert_code(1);
    assert!(proxy.calls().iter().any(|c| c == "EnableMFADevice"));
    assert!(
        output.stdout.contains(
            "AWS answered that arn:aws:iam::123456789012:mfa/bogus-DuoMobile was enabled, but it is not among bogus's MFA devices"
        ),
        "{}",
        output.stdout
    );
    assert!(
        !output.stdout.contains("✓ iam.enable-mfa-device"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("deleted arn:aws:iam::123456789012:mfa/bogus-DuoMobile: this run created it but never enabled it"),
        "{}",
        output.stdout
    );
    assert!(user.devices().is_empty());
    assert!(user.orphans().is_empty());
    // The journal holds no "done" for enabling, so the next run (straight to the
    // emulator) enables a device and finishes.
    user.run(PART1, state.path(), &["--yes"], &[])
        .assert_code(0);
    user.assert_one_device("after the honest run");
}

/// A resume that lost the seed cannot prove the sign-in: it says which checks did not run
/// and why, ends `unverified` (exit 3, not a plain success), leaves the guide unfinished
/// so the next run tries them again, and a run where a person types the code finishes.
#[test]
fn a_resume_that_cannot_prove_the_sign_in_says_so() {
    let user = user("unproven");
    let state = tempfile::tempdir().unwrap();
    const LOGIN: &str = "tests/fixtures/run/login.md";
    let killed = user.run(
        LOGIN,
        state.path(),
        &["--yes"],
        &[("RUNBOOK_FAULT", "journaled:enabled")],
    );
    assert_eq!(killed.signal, Some(libc::SIGKILL));
    let resumed = user.run(LOGIN, state.path(), &["--yes", "--output", "json"], &[]);
    resumed.assert_code(3);
    let events: Vec<Value> = resumed
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last = events.last().unwrap();
    assert_eq!(last["event"], "run_finished");
    assert_eq!(last["status"], "unverified", "{last}");
    let not_run: Vec<&str> = last["not_run"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(not_run, ["login", "session"], "{last}");
    assert!(
        last["not_run"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("`duo.seed` is not available"),
        "{last}"
    );
    assert!(
        resumed
            .stderr
            .contains("2 of the guide's checks could not run")
    );
    assert!(!resumed.stderr.contains("Done:"), "{}", resumed.stderr);
    // Not finished: run again, and the checks are tried again (and still cannot run).
    let again = user.run(LOGIN, state.path(), &["--yes"], &[]);
    again.assert_code(3);
    assert!(!again.stdout.contains("Nothing to do"), "{}", again.stdout);
    // A person types a code (no seed needed: AWS checks it): the guide finishes.
    let typed = user.run(LOGIN, state.path(), &[], &[("RUNBOOK_ANSWERS", "123456")]);
    typed.assert_code(0);
    assert!(typed.stdout.contains("Done:"), "{}", typed.stdout);
    let done = user.run(LOGIN, state.path(), &["--yes"], &[]);
    done.assert_code(0);
    assert!(done.stdout.contains("Nothing to do"), "{}", done.stdout);
}

/// `and` reads its right side only when the left is true: a condition on an output of a
/// skipped action is fine behind a guard (before, every reference was resolved first, and
/// a change guarded this way failed for want of the skipped action's outputs).
#[test]
fn conditions_short_circuit_past_a_skipped_action() {
    let user = user("shortcircuit");
    let state = tempfile::tempdir().unwrap();
    let output = user.run(
        "tests/fixtures/run/short-circuit.md",
        state.path(),
        &["--yes"],
        &[],
    );
    output.assert_code(0);
    assert!(
        output.stdout.contains(
            "iam.deactivate-mfa-device only-for-a-root-caller-with-account-mfa-on-1: skipped (when: me.is_root and account.account_mfa_enabled)"
        ),
        "{}",
        output.stdout
    );
}

/// A step marked `info` only explains (an unattended run reads past it instead of failing
/// on a "manual step"); a step with a `when` that is false is skipped whole, its actions
/// journaled as skipped; a guarded use of them later is fine; run again: nothing to do.
#[test]
fn informational_and_conditional_steps() {
    let user = user("steps");
    let state = tempfile::tempdir().unwrap();
    let output = user.run("tests/fixtures/run/steps.md", state.path(), &["--yes"], &[]);
    output.assert_code(0);
    assert!(
        output
            .stdout
            .contains("A second factor means a stolen password alone"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("– skipped (step when: me.is_root)"),
        "{}",
        output.stdout
    );
    assert!(
        !output.stdout.contains("Sign in to the console as root"),
        "a skipped step's prose is not shown: {}",
        output.stdout
    );
    assert!(output.stdout.contains("Done:"), "{}", output.stdout);
    let again = user.run("tests/fixtures/run/steps.md", state.path(), &["--yes"], &[]);
    again.assert_code(0);
    assert!(again.stdout.contains("Nothing to do"), "{}", again.stdout);
}

/// Findings are reported with the values their check saw, the run goes on, and it ends
/// `findings` (exit 4), in text and in JSON.
#[test]
fn findings_are_reported_and_the_run_goes_on() {
    let user = user("audited");
    let state = tempfile::tempdir().unwrap();
    let output = user.run(
        "tests/fixtures/run/findings.md",
        state.path(),
        &["--yes", "--output", "json"],
        &[],
    );
    output.assert_code(4);
    let events: Vec<Value> = output
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let found: Vec<&Value> = events.iter().filter(|e| e["event"] == "finding").collect();
    assert_eq!(found.len(), 2, "{}", output.stdout);
    assert_eq!(found[0]["finding"], "no virtual MFA device");
    assert_eq!(found[0]["values"], "virtual_count = 0");
    assert_eq!(found[1]["finding"], "no security key");
    // Each finding follows its action's own event, and in the text its `✓` line.
    let position = |wanted: &dyn Fn(&Value) -> bool| events.iter().position(wanted).unwrap();
    let devices = position(&|e| e["event"] == "action" && e["id"] == "devices");
    let first_finding = position(&|e| e["event"] == "finding");
    assert!(devices < first_finding, "{}", output.stdout);
    assert_eq!(found[0]["id"], "devices");
    let ok_line = output
        .stderr
        .find("✓ iam.list-mfa-devices devices")
        .unwrap_or_else(|| panic!("{}", output.stderr));
    let finding_line = output
        .stderr
        .find("! finding: no virtual MFA device")
        .unwrap();
    let second_line = output.stderr.find("! finding: no security key").unwrap();
    assert!(
        ok_line < finding_line && finding_line < second_line,
        "{}",
        output.stderr
    );
    // The run went on to the last step.
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "action" && e["id"] == "virtual")
    );
    let last = events.last().unwrap();
    assert_eq!(last["status"], "findings", "{last}");
    assert_eq!(last["findings"].as_array().unwrap().len(), 2);
    assert!(
        output
            .stderr
            .contains("finding: no virtual MFA device (`virtual_count >= 1`: virtual_count = 0)"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("Finished with 2 finding(s):"),
        "{}",
        output.stderr
    );
}

/// Every expectation of an action is checked, and each that fails is shown with the
/// values it saw; a failed precondition stops the run.
#[test]
fn failed_expectations_show_their_values() {
    let user = user("precond");
    let state = tempfile::tempdir().unwrap();
    let output = user.run(
        "tests/fixtures/run/preconditions.md",
        state.path(),
        &["--yes"],
        &[],
    );
    output.assert_code(1);
    assert!(
        output.stdout.contains(
            "expectations failed: `count >= 2` (count = 0); `virtual_count >= 1` (virtual_count = 0)"
        ),
        "{}",
        output.stdout
    );
    assert!(
        !output.stdout.contains("iam.list-virtual-mfa-devices"),
        "{}",
        output.stdout
    );
    // A dry run with no change left out before it sees the account as it is: the same
    // failure, not a "not yet" warning.
    let dry = user.run(
        "tests/fixtures/run/preconditions.md",
        state.path(),
        &["--yes", "--dry-run"],
        &[],
    );
    dry.assert_code(1);
    assert!(
        dry.stdout.contains("expectations failed: `count >= 2`") && !dry.stdout.contains("not yet"),
        "{}",
        dry.stdout
    );
}

/// What `run` would refuse for a reason visible in the file or the command line is
/// refused before anything runs, and a re-run with other `--var` values runs again what
/// uses them (item 8 of the format issue).
#[test]
fn vars_are_checked_and_a_changed_var_runs_again() {
    let other = user("vars-second").name;
    let user = user("vars-first");
    let state = tempfile::tempdir().unwrap();
    let file = "tests/fixtures/run/vars.md";
    // A misspelled --var: said at once, with the guide's inputs and a suggestion.
    let typo = user.run(file, state.path(), &["--yes", "--var", "woh=x"], &[]);
    typo.assert_code(2);
    assert!(
        typo.stdout.contains("no input `woh`") && typo.stdout.contains("did you mean `who`?"),
        "{}",
        typo.stdout
    );
    // An expectation naming its own action by id (`devs.count`) works at run time, as
    // `check` says it does.
    let var = format!("who={}", user.name);
    let first = user.run(file, state.path(), &["--yes", "--var", &var], &[]);
    first.assert_code(0);
    let again = user.run(file, state.path(), &["--yes", "--var", &var], &[]);
    again.assert_code(0);
    assert!(again.stdout.contains("Nothing to do"), "{}", again.stdout);
    // Another user: the input and the action that uses it run again, for that user.
    let var = format!("who={}", other);
    let changed = user.run(
        file,
        state.path(),
        &["--yes", "--output", "json", "--var", &var],
        &[],
    );
    changed.assert_code(0);
    assert!(
        !changed.stdout.contains("Nothing to do"),
        "{}",
        changed.stdout
    );
    let events: Vec<Value> = changed
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let devs = events
        .iter()
        .find(|e| e["event"] == "action" && e["id"] == "devs")
        .unwrap_or_else(|| panic!("devs ran again: {}", changed.stdout));
    assert_eq!(devs["status"], "done", "{devs}");
}

/// Prose and code blocks that are not action blocks show the run's values: the caller's
/// name and ARN filled into a `~/.aws/config` snippet, a placeholder for what is not
/// known yet, literal braces where the guide escaped them.
#[test]
fn prose_and_code_blocks_show_the_runs_values() {
    let user = user("prosy");
    let state = tempfile::tempdir().unwrap();
    let output = user.run("tests/fixtures/run/prose.md", state.path(), &["--yes"], &[]);
    output.assert_code(0);
    let stdout = &output.stdout;
    for shown in [
        "Until the check below has run, your name shows as ‹me.user_name›.",
        "Signed in as prosy, account 123456789012.",
        "(written for arn:aws:iam::123456789012:user/prosy):",
        "    [profile prosy-mfa]",
        "    mfa_serial = arn:aws:iam::123456789012:mfa/prosy",
        "Templates elsewhere look like {{ me.user_name }}.",
    ] {
        assert!(stdout.contains(shown), "no {shown:?} in:\n{stdout}");
    }
    assert!(!stdout.contains("{{ me.arn"), "{stdout}");
}

/// `for_each`: a dry run shows every item, a run acts on each (its `when` per item), each
/// item is journaled, and a run killed between two items resumes without repeating the
/// first.
#[test]
fn for_each_acts_on_each_item_and_resumes_between_items() {
    use runbook::providers::Iam;
    let user = user("looper");
    let iam = user.provider();
    let prefix = format!("loop-{}-", std::process::id());
    let serials: Vec<String> = ["a", "b"]
        .iter()
        .map(|n| {
            iam.create_virtual_mfa_device(&format!("{prefix}{n}"), None)
                .unwrap()
                .serial_number
        })
        .collect();
    let state = tempfile::tempdir().unwrap();
    let file = "tests/fixtures/run/loop.md";
    let var = format!("prefix={prefix}");
    let events = |output: &crate::harness::Output| -> Vec<Value> {
        output
            .stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    // The items that are this test's devices (the emulator is shared), by their ids.
    let mine = |events: &[Value], status: &str| -> usize {
        let ids: Vec<&Value> = events
            .iter()
            .filter(|e| {
                e["event"] == "loop_item"
                    && e["item"]["serial_number"]
                        .as_str()
                        .is_some_and(|s| s.contains(&prefix))
            })
            .map(|e| &e["id"])
            .collect();
        events
            .iter()
            .filter(|e| e["event"] == "action" && e["status"] == status && ids.contains(&&e["id"]))
            .count()
    };
    // The dry run shows both deletions and makes neither.
    let dry = user.run(
        file,
        state.path(),
        &["--dry-run", "--yes", "--output", "json", "--var", &var],
        &[],
    );
    dry.assert_code(0);
    assert_eq!(mine(&events(&dry), "would-run"), 2, "{}", dry.stdout);
    // Killed right after the first deletion was journaled.
    let killed = user.run(
        file,
        state.path(),
        &["--yes", "--var", &var],
        &[("RUNBOOK_FAULT", "looped:cleanup:1")],
    );
    assert_eq!(killed.signal, Some(9), "{}{}", killed.stdout, killed.stderr);
    let left = |iam: &runbook::providers::aws::AwsProvider| -> usize {
        iam.list_virtual_mfa_devices(runbook::providers::Assignment::Any)
            .unwrap()
            .iter()
            .filter(|d| serials.contains(&d.serial_number))
            .count()
    };
    assert_eq!(
        left(&iam),
        1,
        "the first item was deleted, the second not yet"
    );
    // The resumed run skips the done item and deletes the other.
    let resumed = user.run(
        file,
        state.path(),
        &["--yes", "--output", "json", "--var", &var],
        &[],
    );
    resumed.assert_code(0);
    let events = events(&resumed);
    assert_eq!(mine(&events, "journaled"), 1, "{}", resumed.stdout);
    assert_eq!(mine(&events, "done"), 1, "{}", resumed.stdout);
    assert_eq!(left(&iam), 0);
}

/// A virtual device still assigned is never deleted: not in a run, and not in a dry run
/// either unless that dry run showed, earlier, the deactivation of that very device
/// (`runbooks/remove-mfa-devices.md` shows that case). Here the guide deactivates one
/// device and then deletes another, still assigned.
#[test]
fn an_assigned_device_is_never_deleted_unless_a_dry_run_showed_its_deactivation() {
    use runbook::providers::{Assignment, Iam};
    use runbook::secret::Secret;
    let user = user("assigned");
    let iam = user.provider();
    let (one, two) = (Secret::new("123456"), Secret::new("654321"));
    let phone = iam
        .create_virtual_mfa_device("assigned-phone", None)
        .unwrap()
        .serial_number;
    iam.enable_mfa_device(&user.name, &phone, &one, &two)
        .unwrap();
    let key = "arn:aws:iam::123456789012:u2f/user/assigned/assigned-key";
    iam.enable_mfa_device(&user.name, key, &one, &two).unwrap();
    let file = "tests/fixtures/run/delete-assigned.md";
    let vars = [
        "--var".to_string(),
        format!("user_name={}", user.name),
        "--var".to_string(),
        format!("deactivated={key}"),
        "--var".to_string(),
        format!("deleted={phone}"),
    ];
    let run = |dry_run: bool| {
        let state = tempfile::tempdir().unwrap();
        let mut args = vec!["--yes", "--output", "json"];
        if dry_run {
            args.push("--dry-run");
        }
        args.extend(vars.iter().map(String::as_str));
        user.run(file, state.path(), &args, &[])
    };
    let refused =
        format!("{phone} is assigned to assigned; runbook never deletes an assigned device");
    let error = |output: &crate::harness::Output| -> Value {
        output
            .stdout
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|event| event["event"] == "error")
            .unwrap_or_else(|| panic!("no error event:\n{}", output.stdout))
    };

    // The dry run shows the key's deactivation, then refuses the phone's deletion.
    let dry = run(true);
    dry.assert_code(1);
    assert!(
        dry.stderr
            .contains(&format!("would deactivate {key} for assigned")),
        "{}",
        dry.stderr
    );
    assert!(!dry.stderr.contains("would delete"), "{}", dry.stderr);
    assert_eq!(error(&dry)["message"], refused, "{}", dry.stdout);
    assert_eq!(user.devices().len(), 2, "the dry run changed something");

    // The run deactivates the key, then refuses to delete the phone, still assigned.
    let real = run(false);
    real.assert_code(1);
    assert_eq!(error(&real)["message"], refused, "{}", real.stdout);
    assert_eq!(
        error(&real)["next_step"],
        "deactivate it first with `iam.deactivate-mfa-device`"
    );
    let left: Vec<String> = user
        .devices()
        .into_iter()
        .map(|device| device.serial_number)
        .collect();
    assert_eq!(left, vec![phone.clone()], "the phone is still assigned");
    assert!(
        iam.list_virtual_mfa_devices(Assignment::Any)
            .unwrap()
            .iter()
            .any(|device| device.serial_number == phone)
    );
}

/// An unattended dry run cannot compute a code without the seed: it says it would ask
/// for one, and what needs the code is shown as it would run, instead of failing.
#[test]
fn a_dry_run_without_a_seed_would_ask_for_the_code() {
    let user = user("dry-code");
    let state = tempfile::tempdir().unwrap();
    let dry = user.run(
        "tests/fixtures/run/code.md",
        state.path(),
        &["--yes", "--dry-run"],
        &[],
    );
    dry.assert_code(0);
    assert!(
        dry.stdout.contains("would ask for a code from the app"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("sts.get-session-token session: would run"),
        "{}",
        dry.stdout
    );
    // A real unattended run still refuses: nobody is there to type the code.
    let real = user.run("tests/fixtures/run/code.md", state.path(), &["--yes"], &[]);
    real.assert_code(1);
    assert!(real.stdout.contains("no code"), "{}", real.stdout);
}

/// A loop's outputs are lists, one value per item that ran, and exist whenever its step
/// runs: `check` types them as lists (a list in text is `not-text`) and does not call a
/// later use possibly-skipped because of the loop's per-item `when`.
#[test]
fn loop_outputs_are_lists_that_always_exist() {
    let file = "tests/fixtures/run/loop-outputs.md";
    let text = std::fs::read_to_string(crate::harness::root().join(file)).unwrap();
    let ok = crate::harness::Test::new()
        .file("guide.md", text.as_str())
        .args(["check", "guide.md"])
        .run();
    ok.assert_code(0);
    let broken = text.replace("{{ per.count | join(', ') }}", "{{ per.count }}");
    let output = crate::harness::Test::new()
        .file("guide.md", broken.as_str())
        .args(["check", "guide.md"])
        .run();
    output.assert_code(1);
    assert!(
        output.stderr.contains("error[not-text]") && output.stderr.contains("guide.md:17:12"),
        "{}",
        output.stderr
    );
}

/// Findings of a loop's items reach the run's report, each marked with its item.
#[test]
fn a_loops_findings_are_reported_per_item() {
    use runbook::providers::Iam;
    let user = user("loop-findings");
    let prefix = format!("lf-{}-", std::process::id());
    for n in ["a", "b"] {
        user.provider()
            .create_virtual_mfa_device(&format!("{prefix}{n}"), None)
            .unwrap();
    }
    let state = tempfile::tempdir().unwrap();
    let var = format!("prefix={prefix}");
    let output = user.run(
        "tests/fixtures/run/loop-findings.md",
        state.path(),
        &["--yes", "--output", "json", "--var", &var],
        &[],
    );
    output.assert_code(4);
    let last: Value = serde_json::from_str(output.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["status"], "findings", "{last}");
    let findings = last["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{last}");
    for found in findings {
        assert_eq!(found["finding"], "an unassigned virtual MFA device");
        let values = found["values"].as_str().unwrap();
        assert!(
            values.starts_with("seen[") && values.contains("device.user_name = \"\""),
            "{values}"
        );
    }
}
