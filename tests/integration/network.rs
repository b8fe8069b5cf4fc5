//! What crosses the network, and how much of it is read: the sandbox and `runbook test`
//! talk to their emulator on 127.0.0.1 directly whatever proxy the environment names, and
//! an endpoint that answers with gigabytes is cut off, not read into memory.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::harness::{Output, Test, root};

/// A listener on 127.0.0.1 that counts the connections made to it and closes each.
struct Counter {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Counter {
    fn start() -> Counter {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                seen.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Counter { port, connections }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Every proxy variable curl, the SDK and Python know, pointing at `counter`.
fn with_proxies(mut test: Test, counter: &Counter) -> Test {
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        test = test
            .env(name, counter.url())
            .env(&name.to_lowercase(), counter.url());
    }
    test.env_remove("NO_PROXY").env_remove("no_proxy")
}

#[test]
fn the_sandbox_ignores_proxies() {
    let counter = Counter::start();
    let state = tempfile::tempdir().unwrap();
    let output: Output = with_proxies(Test::new(), &counter)
        .current_dir(root())
        .args([
            "run",
            "runbooks/aws-mfa.md",
            "--sandbox",
            "--yes",
            "--state-dir",
        ])
        .args([state.path().to_str().unwrap()])
        .env("RUNBOOK_FAKE_CLOCK", "1700000001")
        .run();
    output.assert_code(0);
    assert!(output.stdout.contains("Done:"), "{}", output.stdout);
    assert_eq!(counter.connections.load(Ordering::SeqCst), 0);
}

#[test]
fn runbook_test_ignores_proxies() {
    let counter = Counter::start();
    let output = with_proxies(Test::new(), &counter)
        .current_dir(root())
        .args(["test", "runbooks/aws-mfa.md"])
        .env("CI", "true")
        .run();
    output.assert_code(0);
    assert_eq!(counter.connections.load(Ordering::SeqCst), 0);
}

/// An "endpoint" that answers every request with `head`, then `chunk` over and over, up
/// to 2 GB of body (or until the client hangs up).
fn flood(head: String, chunk: Vec<u8>) -> u16 {
    const TOTAL: usize = 2 << 30;
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (head, chunk) = (head.clone(), chunk.clone());
            std::thread::spawn(move || {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for _ in 0..TOTAL.div_ceil(chunk.len()) {
                    if stream.write_all(&chunk).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// A megabyte of body.
const MEGABYTE: usize = 1 << 20;

/// `runbook run` of Part 1 against `port`, with its memory capped at 1 GB: reading a
/// 2 GB answer into memory would abort it.
fn run_against(port: u16) -> Output {
    let state = tempfile::tempdir().unwrap();
    let command = format!(
        "ulimit -v 1048576; exec {} run tests/fixtures/run/part1.md --yes --endpoint-url http://127.0.0.1:{port} --aws-timeout 60 --state-dir {}",
        crate::harness::BIN,
        state.path().display()
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &command])
        .current_dir(root())
        .env("AWS_ACCESS_KEY_ID", "TESTACCESSKEYID00000")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-secret")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Output {
        code: output.status.code().unwrap_or(-1),
        signal: std::os::unix::process::ExitStatusExt::signal(&output.status),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[track_caller]
fn assert_refused_unread(output: &Output) {
    output.assert_code(1);
    assert!(
        output
            .stdout
            .contains("the answer was far larger than any IAM or STS answer, so it was not read"),
        "{}\n{}",
        output.stdout,
        output.stderr
    );
    assert!(
        output.stdout.contains("next: check that --endpoint-url"),
        "{}",
        output.stdout
    );
}

#[test]
fn a_2_gb_answer_with_its_length_is_refused_unread() {
    let total: u64 = 2 << 30;
    let port = flood(
        format!("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {total}\r\n\r\n"),
        vec![b'0'; MEGABYTE],
    );
    assert_refused_unread(&run_against(port));
}

#[test]
fn a_2_gb_chunked_answer_is_cut_off() {
    // Chunked: no length up front, so the limit applies while reading.
    let mut chunk = format!("{MEGABYTE:x}\r\n").into_bytes();
    chunk.extend(vec![b'0'; MEGABYTE]);
    chunk.extend(b"\r\n");
    let port = flood(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n".into(),
        chunk,
    );
    assert_refused_unread(&run_against(port));
}

#[test]
fn the_sandbox_attaches_to_nothing_but_a_local_emulator() {
    for args in [
        &["run", "tests/fixtures/run/part1.md", "--sandbox", "--yes"][..],
        &["test", "runbooks/aws-mfa.md"][..],
    ] {
        let state = tempfile::tempdir().unwrap();
        let output = Test::new()
            .current_dir(root())
            .args(args.iter().copied())
            .env("RUNBOOK_STATE_DIR", state.path().to_str().unwrap())
            .env("RUNBOOK_SANDBOX_ENDPOINT", "https://iam.amazonaws.com")
            .run();
        output.assert_code(1);
        let said = format!("{}{}", output.stdout, output.stderr);
        assert!(
            said.contains("the sandbox only talks to a local emulator at http://127.0.0.1:PORT, not `https://iam.amazonaws.com`"),
            "{args:?}: {said}"
        );
    }
}
