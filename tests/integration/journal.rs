//! The journal is trusted only as this program wrote it, and used by one run at a time:
//! a journal edited by hand (an output changed, an unknown version) is refused before any
//! AWS call; a second run of the same guide and target says which run holds it; a save
//! killed half-way leaves no temporary file behind for good; state folders are 0700.

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{BIN, root};
use crate::moto::user;

const PART1: &str = "tests/fixtures/run/part1.md";

fn journal_of(state: &std::path::Path) -> std::path::PathBuf {
    let journals: Vec<_> = std::fs::read_dir(state.join("journals"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(journals.len(), 1, "{journals:?}");
    journals[0].clone()
}

/// Run Part 1 as `user` until `me` is journaled (then SIGKILL), and edit the journal it
/// left with `edit`.
fn killed_after_me_then_edited(
    user: &crate::moto::User,
    state: &std::path::Path,
    edit: impl FnOnce(&mut serde_json::Value),
) {
    let killed = user.run(
        PART1,
        state,
        &["--yes"],
        &[("RUNBOOK_FAULT", "journaled:me")],
    );
    assert_eq!(killed.signal, Some(libc::SIGKILL));
    let path = journal_of(state);
    let mut journal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut journal);
    std::fs::write(&path, serde_json::to_vec_pretty(&journal).unwrap()).unwrap();
}

#[test]
fn an_edited_journal_is_refused_before_any_aws_call() {
    let user = user("tamper");
    let state = tempfile::tempdir().unwrap();
    // Stop after `me` is journaled: the resume would send its user_name to IAM.
    killed_after_me_then_edited(&user, state.path(), |journal| {
        assert_eq!(journal["actions"][0]["outputs"]["user_name"], "tamper");
        journal["actions"][0]["outputs"]["user_name"] = "victim".into();
    });
    let refused = user.run(PART1, state.path(), &["--yes"], &[]);
    refused.assert_code(1);
    assert!(
        refused.stdout.contains(
            "was changed outside runbook (its integrity check does not match its contents"
        ),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stdout.contains("next: pass --restart"),
        "{}",
        refused.stdout
    );
    assert!(
        !refused.stdout.contains("victim-DuoMobile"),
        "{}",
        refused.stdout
    );
    assert!(user.devices().is_empty() && user.orphans().is_empty());
    // --restart starts over from the account itself.
    user.run(PART1, state.path(), &["--yes", "--restart"], &[])
        .assert_code(0);
    user.assert_one_device("after --restart");
}

#[test]
fn a_journal_of_an_unknown_version_is_refused() {
    let user = user("version");
    let state = tempfile::tempdir().unwrap();
    killed_after_me_then_edited(&user, state.path(), |journal| {
        journal["version"] = 99.into();
        journal["from_the_future"] = true.into();
    });
    let refused = user.run(PART1, state.path(), &["--yes"], &[]);
    refused.assert_code(1);
    assert!(
        refused.stdout.contains("was written by a newer runbook (journal version 99; this one reads version 2), so it is not resumed"),
        "{}",
        refused.stdout
    );
    assert!(user.devices().is_empty() && user.orphans().is_empty());
}

#[test]
fn state_folders_are_private_and_stale_temporary_files_go() {
    let user = user("private");
    let state = tempfile::tempdir().unwrap();
    let state = state.path().join("state");
    let killed = user.run(
        PART1,
        &state,
        &["--yes"],
        &[("RUNBOOK_FAULT", "journaled:me")],
    );
    assert_eq!(killed.signal, Some(libc::SIGKILL));
    for dir in [state.clone(), state.join("journals"), state.join("locks")] {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
    // What a save killed between writing and renaming leaves.
    let path = journal_of(&state);
    let stale = path.with_file_name(format!(
        ".{}.k1ll3d",
        path.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&stale, "{ half a journal").unwrap();
    user.run(PART1, &state, &["--yes"], &[]).assert_code(0);
    assert!(!stale.exists(), "the stale temporary file is still there");
    user.assert_one_device("after the resume");
}

#[test]
fn a_second_run_of_the_same_guide_and_target_says_which_run_holds_it() {
    // An endpoint that accepts and never answers: the first run waits in its first call.
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let endpoint = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let state = tempfile::tempdir().unwrap();
    let command = |timeout: &str, extra: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .args([
                "run",
                PART1,
                "--yes",
                "--aws-timeout",
                timeout,
                "--endpoint-url",
                &endpoint,
            ])
            .args(["--state-dir", state.path().to_str().unwrap()])
            .args(extra)
            .current_dir(root())
            .env("NO_COLOR", "1")
            .env("AWS_ACCESS_KEY_ID", "TESTACCESSKEYID00000")
            .env("AWS_SECRET_ACCESS_KEY", "not-a-secret")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .stdin(Stdio::null());
        command
    };
    let mut first = command("120", &[]).stdout(Stdio::piped()).spawn().unwrap();
    let pid = first.id();
    // Wait until it holds the lock (its pid is in the lock file).
    let locks = state.path().join("locks");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_dir(&locks).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            std::fs::read_to_string(entry.path()).is_ok_and(|text| text.trim() == pid.to_string())
        })
    }) {
        assert!(
            Instant::now() < deadline,
            "the first run never took the lock"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = command("120", &[]).output().unwrap();
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert_eq!(second.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "another run of this guide against the same target is in progress (pid {pid})"
        )),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("`kill {pid}`")), "{stdout}");
    assert!(!stdout.contains("pick another name") && !stdout.contains("choose another name"));
    // A dry run only reads: it is not locked out.
    let dry = command("1", &["--dry-run"]).output().unwrap();
    let dry_out = String::from_utf8_lossy(&dry.stdout);
    assert!(!dry_out.contains("in progress"), "{dry_out}");
    assert!(dry_out.contains("AWS did not answer in time"), "{dry_out}");
    // Once the holder dies, however it dies, the lock is free.
    first.kill().unwrap();
    first.wait().unwrap();
    let mut rest = String::new();
    first
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut rest)
        .unwrap();
    let third = command("1", &[]).output().unwrap();
    let stdout = String::from_utf8_lossy(&third.stdout);
    assert!(!stdout.contains("in progress"), "{stdout}");
    assert!(
        stdout.contains("AWS did not answer in time"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&third.stderr)
    );
}
