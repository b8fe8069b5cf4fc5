//! `runbook lsp` at the protocol boundary: a client on an in-memory connection (what
//! tests/integration/lsp.rs uses) sends an edit and waits for the diagnostics it causes,
//! or asks for completion, on `runbooks/aws-mfa.md` and on the generated 1 MB guide of
//! benches/check.rs. Goals: diagnostics after an edit ≤ 5 ms median for aws-mfa.md,
//! ≤ 50 ms at 1 MB; completion ≤ 5 ms at 1 MB.
//!
//! ```sh
//! cargo bench --bench lsp -- --quick
//! cargo test --bench lsp        # each benchmark once
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Client {
    connection: Connection,
    next: i32,
}

impl Client {
    fn start() -> Client {
        let (server, connection) = Connection::memory();
        std::thread::spawn(move || runbook::lsp::serve(&server));
        let mut client = Client {
            connection,
            next: 0,
        };
        client.request("initialize", json!({ "capabilities": {} }));
        client.notify("initialized", json!({}));
        client
    }

    fn notify(&self, method: &str, params: Value) {
        let message = Notification::new(method.to_string(), params);
        self.connection.sender.send(message.into()).unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        let request = Request::new(id.clone(), method.to_string(), params);
        self.connection.sender.send(request.into()).unwrap();
        loop {
            match self
                .connection
                .receiver
                .recv_timeout(Duration::from_secs(10))
                .unwrap()
            {
                Message::Response(response) if response.id == id => {
                    return response.response_result.unwrap();
                }
                _ => {}
            }
        }
    }

    fn diagnostics(&self) -> Value {
        loop {
            match self
                .connection
                .receiver
                .recv_timeout(Duration::from_secs(10))
                .unwrap()
            {
                Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                    return n.params;
                }
                _ => {}
            }
        }
    }
}

/// Line and UTF-16 character of byte `offset`.
fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": before[start..].encode_utf16().count() })
}

fn bench_guide(c: &mut Criterion, label: &str, text: &str, completion_at: &str) {
    let mut client = Client::start();
    let uri = format!("file:///bench/{label}.md");
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "markdown", "version": 1, "text": text } }),
    );
    client.diagnostics();
    // The edit: a character typed at the end of the last line, then taken away again, so
    // the text (and its diagnostics) alternate between two states.
    let end = position(text, text.len());
    let mut version = 1;
    let mut group = c.benchmark_group("lsp");
    group.sample_size(20);
    group.bench_function(format!("diagnostics-after-edit/{label}"), |b| {
        b.iter(|| {
            version += 1;
            let change = if version % 2 == 0 {
                json!({ "range": { "start": end, "end": end }, "text": "x" })
            } else {
                let after = json!({ "line": end["line"], "character": end["character"].as_u64().unwrap() + 1 });
                json!({ "range": { "start": end, "end": after }, "text": "" })
            };
            client.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": version },
                        "contentChanges": [change] }),
            );
            black_box(client.diagnostics())
        })
    });
    let at = position(
        text,
        text.rfind(completion_at).unwrap() + completion_at.len(),
    );
    let params = json!({ "textDocument": { "uri": uri }, "position": at });
    let offered = client.request("textDocument/completion", params.clone());
    assert!(
        !offered.as_array().unwrap().is_empty(),
        "nothing offered at {at}"
    );
    group.bench_function(format!("completion/{label}"), |b| {
        b.iter(|| black_box(client.request("textDocument/completion", params.clone())))
    });
    group.finish();
}

fn lsp(c: &mut Criterion) {
    let guide = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/aws-mfa.md"),
    )
    .unwrap();
    bench_guide(c, "aws-mfa", &guide, "{{ duo.");
    let big = common::generate(1_000_000);
    bench_guide(c, "1MB", &big, "{{ me.");
}

criterion_group!(benches, lsp);
criterion_main!(benches);
