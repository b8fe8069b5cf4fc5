//! Ctrl-C: the run stops at the next safe point (here, while polling for a console
//! change), exits 130, keeps its journal, and the next run resumes; the sandbox's
//! emulator stops with it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{BIN, root};
use crate::moto::{endpoint, user};

fn interrupt(pid: u32) {
    // SAFETY: sending SIGINT to our own child process.
    unsafe {
        libc::kill(pid as i32, libc::SIGINT);
    }
}

/// Start `runbook` with `args`, wait for a stdout line containing `marker`, press Ctrl-C,
/// and return the exit code, the time it took to stop, and everything it printed.
fn run_and_interrupt(
    args: &[&str],
    env: &[(&str, String)],
    marker: &str,
) -> (Option<i32>, Duration, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(root())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(marker) {
            break;
        }
    }
    assert!(seen.contains(marker), "never printed `{marker}`:\n{seen}");
    let pressed = Instant::now();
    interrupt(child.id());
    for line in lines {
        seen.push_str(&line.unwrap());
        seen.push('\n');
    }
    let status = child.wait().unwrap();
    (status.code(), pressed.elapsed(), seen)
}

#[test]
fn ctrl_c_while_polling_stops_keeps_the_journal_and_resumes() {
    let user = user("ctrlc");
    let state = tempfile::tempdir().unwrap();
    let keys = user.keys();
    let args = [
        "run",
        "tests/fixtures/run/console.md",
        "--endpoint-url",
        endpoint(),
        "--state-dir",
        state.path().to_str().unwrap(),
    ];
    let env = [
        ("AWS_ACCESS_KEY_ID", keys.0.clone()),
        ("AWS_SECRET_ACCESS_KEY", keys.1.clone()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        // "Done in the console?" is answered; then the run polls for up to 600 s.
        ("RUNBOOK_ANSWERS", "\n".to_string()),
    ];
    let (code, took, output) = run_and_interrupt(&args, &env, "sts.get-caller-identity me");
    assert_eq!(code, Some(130), "{output}");
    assert!(took < Duration::from_secs(5), "took {took:?} to stop");
    assert!(output.contains("interrupted"), "{output}");
    let journals: Vec<_> = std::fs::read_dir(state.path().join("journals"))
        .unwrap()
        .collect();
    assert_eq!(journals.len(), 1, "the journal was kept");

    // Resume: `me` is not asked again, and (with the sandbox's stand-in absent) the
    // console step is what is left.
    let again = user.run(
        "tests/fixtures/run/console.md",
        state.path(),
        &["--yes"],
        &[],
    );
    again.assert_code(1);
    assert!(
        again
            .stdout
            .contains("sts.get-caller-identity me: finished in an earlier run"),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stdout
            .contains("done in the AWS console, by a person"),
        "{}",
        again.stdout
    );
}

#[test]
fn ctrl_c_in_the_sandbox_stops_the_emulator() {
    let state = tempfile::tempdir().unwrap();
    let args = [
        "run",
        "tests/fixtures/run/login.md",
        "--sandbox",
        "--yes",
        "--state-dir",
        state.path().to_str().unwrap(),
    ];
    let env = [("RUNBOOK_VENV", root().join(".venv").display().to_string())];
    let (code, _, output) = run_and_interrupt(&args, &env, "[sandbox] local AWS emulator at");
    // Ctrl-C may land before the run finishes (130) or, on a fast machine, just after (0).
    assert!(matches!(code, Some(130 | 0)), "{code:?}\n{output}");
    let port: u16 = output
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|port| port.parse().ok())
        .expect("the sandbox printed its port");
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the emulator on port {port} still answers after the run ended"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn ctrl_c_in_json_mode_ends_with_an_interrupted_event() {
    let user = user("ctrlcjson");
    let state = tempfile::tempdir().unwrap();
    let keys = user.keys();
    let args = [
        "run",
        "tests/fixtures/run/console.md",
        "--output",
        "json",
        "--endpoint-url",
        endpoint(),
        "--state-dir",
        state.path().to_str().unwrap(),
    ];
    let env = [
        ("AWS_ACCESS_KEY_ID", keys.0.clone()),
        ("AWS_SECRET_ACCESS_KEY", keys.1.clone()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("RUNBOOK_ANSWERS", "\n".to_string()),
    ];
    let (code, _, output) = run_and_interrupt(&args, &env, "\"id\":\"me\"");
    assert_eq!(code, Some(130), "{output}");
    let last: serde_json::Value = serde_json::from_str(output.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "run_finished", "{output}");
    assert_eq!(last["status"], "interrupted", "{output}");
}
