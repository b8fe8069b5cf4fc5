//! No core dumps: a `runbook` process that holds a seed must never write its memory to
//! disk, whatever the core size limit it was started with.

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{BIN, root};

#[test]
fn a_crashing_run_dumps_no_core() {
    // An endpoint that accepts and never answers: the run waits in its first AWS call.
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(BIN);
    command
        .args([
            "run",
            "tests/fixtures/run/part1.md",
            "--yes",
            "--aws-timeout",
            "120",
        ])
        .args(["--endpoint-url", &format!("http://127.0.0.1:{port}")])
        .args(["--state-dir", dir.path().to_str().unwrap()])
        .current_dir(root())
        .env("AWS_ACCESS_KEY_ID", "TESTACCESSKEYID00000")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-secret")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // Started as a user who allows core dumps of any size would.
    unsafe {
        command.pre_exec(|| {
            let unlimited = libc::rlimit {
                rlim_cur: libc::RLIM_INFINITY,
                rlim_max: libc::RLIM_INFINITY,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &unlimited);
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    let pid = child.id();
    // Wait until it is in the call (it has opened its connection), then read its limits.
    let deadline = Instant::now() + Duration::from_secs(30);
    let limits = loop {
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let connected = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|fds| {
                fds.flatten().any(|fd| {
                    std::fs::read_link(fd.path())
                        .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
                })
            })
            .unwrap_or(false);
        if connected || Instant::now() > deadline {
            break limits;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let core = limits
        .lines()
        .find(|line| line.starts_with("Max core file size"))
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>();
    assert_eq!(&core[4..6], ["0", "0"], "{limits}");
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(pid as i32, libc::SIGABRT);
    }
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGABRT), "{stderr}");
    assert!(!status.core_dumped(), "a core was dumped");
    assert!(!root().join("core").exists() && !root().join(format!("core.{pid}")).exists());
}
