//! No lock-out: outside the sandbox a virtual MFA device is created only when someone can
//! take its seed (AWS shows it once). Unattended against an endpoint, with output
//! redirected or `--output json` and no terminal, the run stops before creating anything
//! and says why; `--seed-file` hands the enrolment key to a new 0600 file or a pipe.

use std::os::unix::fs::PermissionsExt;

use runbook::totp;

use crate::moto::user;

const GUIDE: &str = "runbooks/aws-mfa.md";
const TO_PART1_END: [&str; 3] = ["--yes", "--to", "set-up-the-authenticator-app"];

/// The emulator's seed for the user's device.
fn emulator_seed(user: &crate::moto::User) -> Option<String> {
    user.emulator_seed(&format!("{}-DuoMobile", user.name))
}

#[track_caller]
fn assert_nothing_created(user: &crate::moto::User) {
    assert!(user.devices().is_empty(), "{:?}", user.devices());
    assert!(user.orphans().is_empty(), "{:?}", user.orphans());
    assert_eq!(emulator_seed(user), None, "a device was created");
}

#[test]
fn unattended_with_output_redirected_creates_nothing_and_says_why() {
    let user = user("nobody");
    let state = tempfile::tempdir().unwrap();
    let output = user.run_as_is(GUIDE, state.path(), &TO_PART1_END, &[]);
    output.assert_code(1);
    assert!(
        output.stdout.contains(
            "no one could take the new device's seed: output is not a terminal (stdout goes to a pipe or a file)"
        ),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("so nothing was created"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("--seed-file PATH"),
        "{}",
        output.stdout
    );
    assert!(!output.stdout.contains("created arn:"), "{}", output.stdout);
    assert_nothing_created(&user);
}

#[test]
fn json_output_without_a_terminal_creates_nothing_and_says_why() {
    let user = user("nobodyjson");
    let state = tempfile::tempdir().unwrap();
    let mut args = TO_PART1_END.to_vec();
    args.extend(["--output", "json"]);
    let output = user.run_as_is(GUIDE, state.path(), &args, &[]);
    output.assert_code(1);
    let error: serde_json::Value = output
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|event| event["event"] == "error")
        .expect("an error event");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("`--output json` keeps stdout for events, and stderr, where the QR code would be drawn, is not a terminal"),
        "{message}"
    );
    assert!(
        !message.contains("output is not a terminal"),
        "the reason must be the true one: {message}"
    );
    assert!(error["next_step"].as_str().unwrap().contains("--seed-file"));
    assert_nothing_created(&user);
}

#[test]
fn a_dry_run_says_a_real_run_would_stop() {
    let user = user("nobodydry");
    let state = tempfile::tempdir().unwrap();
    let mut args = TO_PART1_END.to_vec();
    args.push("--dry-run");
    let output = user.run_as_is(GUIDE, state.path(), &args, &[]);
    output.assert_code(0);
    assert!(
        output
            .stdout
            .contains("a real run would stop here: no one could take the new device's seed"),
        "{}",
        output.stdout
    );
    assert_nothing_created(&user);
}

#[test]
fn the_seed_file_gets_the_enrolment_key_mode_0600() {
    let user = user("seedfile");
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.uri");
    let mut args = vec!["--seed-file", path.to_str().unwrap()];
    args.extend(TO_PART1_END);
    let output = user.run_as_is(GUIDE, state.path(), &args, &[]);
    output.assert_code(0);
    assert!(
        output
            .stdout
            .contains(&format!("its enrolment key went to {}", path.display())),
        "{}",
        output.stdout
    );
    assert_eq!(user.devices().len(), 1);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let uri = std::fs::read_to_string(&path).unwrap();
    assert!(
        uri.starts_with("otpauth://totp/AWS:seedfile%40123456789012?"),
        "{uri}"
    );
    // The very seed AWS (the emulator) holds for the enabled device.
    let secret = uri
        .trim()
        .split(['?', '&'])
        .find_map(|part| part.strip_prefix("secret="))
        .expect("secret= in the URI");
    let emulator = emulator_seed(&user).expect("the device");
    assert_eq!(
        totp::parse_seed(secret)
            .unwrap()
            .code_at(1_700_000_000)
            .expose(),
        totp::parse_seed(&emulator)
            .unwrap()
            .code_at(1_700_000_000)
            .expose()
    );
    assert!(!output.stdout.contains(secret) && !output.stderr.contains(secret));
}

#[test]
fn an_existing_seed_file_is_never_overwritten_and_nothing_is_created() {
    let user = user("seedexists");
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keep.txt");
    std::fs::write(&path, "precious\n").unwrap();
    let mut args = vec!["--seed-file", path.to_str().unwrap()];
    args.extend(TO_PART1_END);
    let output = user.run_as_is(GUIDE, state.path(), &args, &[]);
    output.assert_code(1);
    assert!(
        output.stdout.contains("cannot hand the enrolment key to"),
        "{}",
        output.stdout
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious\n");
    assert_nothing_created(&user);
}

#[test]
fn the_seed_file_may_be_a_pipe_to_a_secret_store() {
    let user = user("seedpipe");
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.fifo");
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    // The "secret store": reads the pipe until the run closes it.
    let reader = {
        let path = path.clone();
        std::thread::spawn(move || std::fs::read_to_string(path).unwrap())
    };
    let mut args = vec!["--seed-file", path.to_str().unwrap()];
    args.extend(TO_PART1_END);
    user.run_as_is(GUIDE, state.path(), &args, &[])
        .assert_code(0);
    let received = reader.join().unwrap();
    assert!(received.starts_with("otpauth://totp/AWS:"), "{received}");
    assert_eq!(user.devices().len(), 1);
}
