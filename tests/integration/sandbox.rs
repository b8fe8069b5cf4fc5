//! The README's main job: the whole guide, unattended, in the sandbox (local emulator,
//! software security key, stand-ins for the phone and the console), ending with both MFA
//! methods verified through the emulator's API; run again, it is a new, whole run on a new
//! emulator (each sandbox run has its own).

use serde_json::Value;

use crate::harness::{Test, root};

fn sandbox(state: &std::path::Path, extra: &[&str]) -> crate::harness::Output {
    Test::new()
        .current_dir(root())
        .args([
            "run",
            "runbooks/aws-mfa.md",
            "--sandbox",
            "--yes",
            "--output",
            "json",
            "--state-dir",
        ])
        .args([state.to_str().unwrap()])
        .args(extra.iter().copied())
        // A fixed clock: the sign-in check's wait for a fresh code then takes no time.
        .env("RUNBOOK_FAKE_CLOCK", "1700000001")
        // Whatever AWS settings the machine has, the sandbox must not use them.
        .env("AWS_PROFILE", "a-profile-that-does-not-exist")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .run()
}

fn action<'e>(events: &'e [Value], id: &str) -> &'e Value {
    events
        .iter()
        .find(|e| e["event"] == "action" && e["id"] == id)
        .unwrap_or_else(|| panic!("no action `{id}` in the events"))
}

#[test]
fn the_whole_guide_runs_in_the_sandbox_and_again_from_the_start() {
    let state = tempfile::tempdir().unwrap();
    let output = sandbox(state.path(), &[]);
    output.assert_code(0);
    let events: Vec<Value> = output
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert_eq!(events.last().unwrap()["status"], "ok", "{}", output.stderr);

    assert_eq!(action(&events, "enabled")["changed"], true);
    assert_eq!(action(&events, "self_test")["outputs"]["verified"], true);
    assert_eq!(
        action(&events, "self_test")["outputs"]["algorithm"],
        "ES256"
    );
    let key = action(&events, "security_key")["outputs"]["serial_number"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        key.starts_with("arn:aws:iam::123456789012:u2f/user/runbook-sandbox/"),
        "{key}"
    );
    assert_eq!(action(&events, "session")["status"], "done");
    let last = action(&events, "final");
    assert_eq!(last["outputs"]["virtual_count"], 1);
    assert_eq!(last["outputs"]["security_key_count"], 1);
    let serials: Vec<&str> = last["outputs"]["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serial_number"].as_str().unwrap())
        .collect();
    assert!(serials.contains(&key.as_str()), "{serials:?}");
    // moto has no GetMFADevice: the sandbox's labelled stand-in answers it, from the
    // devices the emulator lists.
    let details = action(&events, "key_details");
    assert_eq!(
        details["outputs"]["user_name"], "runbook-sandbox",
        "{details}"
    );
    assert_eq!(details["outputs"]["serial_number"], key.as_str());
    assert!(
        format!("{}{}", output.stdout, output.stderr)
            .contains("[sandbox stand-in: moto has no GetMFADevice]"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("[sandbox stand-in for the AWS console]"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("[sandbox stand-in key]"),
        "{}",
        output.stderr
    );

    // Each sandbox run has a new, empty emulator: the second run is a fresh, whole run
    // (not "nothing to do", which would describe an emulator that is gone), and says why.
    let again = sandbox(state.path(), &[]);
    again.assert_code(0);
    let events: Vec<Value> = again
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert_eq!(events.last().unwrap()["status"], "ok", "{}", again.stderr);
    assert_eq!(
        action(&events, "enabled")["changed"],
        true,
        "{}",
        again.stdout
    );
    assert_eq!(action(&events, "final")["outputs"]["virtual_count"], 1);
    assert!(
        again
            .stderr
            .contains("a sandbox run starts a new, empty emulator each time"),
        "{}",
        again.stderr
    );
    assert!(
        again.stderr.contains("local AWS emulator at"),
        "{}",
        again.stderr
    );
}
