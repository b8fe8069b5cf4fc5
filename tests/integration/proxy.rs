//! A fault-injecting HTTP proxy on 127.0.0.1, between `runbook` and the emulator. It sees
//! every AWS call (the Query protocol names it in the body: `Action=EnableMFADevice`) and,
//! at a chosen call, kills the client (the rule itself may do more, e.g. stop the emulator).
//! It asks the emulator to close the connection after each answer, so one connection
//! carries one call and the proxy needs no HTTP parsing beyond the request head.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the proxy does with one call.
pub enum Fault {
    /// Pass it on.
    None,
    /// SIGKILL the client before the emulator sees the call.
    KillBefore,
    /// Let the emulator act, then SIGKILL the client before it sees the answer.
    KillAfter,
    /// Never pass it on: answer with this whole HTTP response instead (a bogus reply).
    Answer(String),
}

type Rule = dyn Fn(usize, &str) -> Fault + Send + Sync;

pub struct Proxy {
    port: u16,
    calls: Arc<Mutex<Vec<String>>>,
    victim: Arc<AtomicI32>,
}

impl Proxy {
    /// Listen on a free port of 127.0.0.1 and forward to the emulator on `upstream`,
    /// asking `rule` what to do with call number `n` (from 0) named `action`.
    pub fn start(
        upstream: u16,
        rule: impl Fn(usize, &str) -> Fault + Send + Sync + 'static,
    ) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let victim = Arc::new(AtomicI32::new(0));
        let rule: Arc<Rule> = Arc::new(rule);
        let (shared_calls, shared_victim) = (calls.clone(), victim.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let (calls, victim, rule) =
                    (shared_calls.clone(), shared_victim.clone(), rule.clone());
                std::thread::spawn(move || {
                    let _ = serve(client, upstream, &calls, &victim, rule.as_ref());
                });
            }
        });
        Proxy {
            port,
            calls,
            victim,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The process to kill when a rule says so.
    pub fn set_victim(&self, pid: u32) {
        self.victim.store(pid as i32, Ordering::SeqCst);
    }

    /// The calls seen so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

fn serve(
    mut client: TcpStream,
    upstream: u16,
    calls: &Mutex<Vec<String>>,
    victim: &AtomicI32,
    rule: &Rule,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
        if let Some(value) = text.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        if line == b"\r\n" {
            head.extend_from_slice(b"Connection: close\r\n\r\n");
            break;
        }
        if !text.starts_with("connection:") {
            head.extend_from_slice(&line);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let action = String::from_utf8_lossy(&body)
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action=").map(str::to_string))
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&head)
                .split(' ')
                .nth(1)
                .unwrap_or_default()
                .to_string()
        });
    let index = {
        let mut calls = calls.lock().unwrap();
        calls.push(action.clone());
        calls.len() - 1
    };
    let fault = rule(index, &action);
    let kill_after = matches!(fault, Fault::KillAfter);
    match fault {
        Fault::KillBefore => {
            kill(victim);
            return Ok(());
        }
        Fault::Answer(response) => return client.write_all(response.as_bytes()),
        Fault::None | Fault::KillAfter => {}
    }
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    up.write_all(&head)?;
    up.write_all(&body)?;
    let mut response = Vec::new();
    up.read_to_end(&mut response)?;
    if kill_after {
        kill(victim);
        return Ok(());
    }
    client.write_all(&response)
}

/// SIGKILL the victim (waiting for the test to name it, which it does right after spawn).
fn kill(victim: &AtomicI32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let pid = loop {
        let pid = victim.load(Ordering::SeqCst);
        if pid != 0 || Instant::now() > deadline {
            break pid;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(pid > 0, "the proxy was told to kill, but has no victim");
    // SAFETY: kill(2) on a child process of this test.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}
