//! `runbook lsp` in process: a client on the other end of an in-memory connection sends
//! what an editor sends, and gets `runbook check`'s diagnostics and hovers back.

use std::thread::JoinHandle;
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::Position;
use serde_json::{Value, json};

use runbook::bind::check::check_source;
use runbook::parse::source::Source;

use crate::harness::root;

struct Client {
    connection: Connection,
    server: Option<JoinHandle<Result<(), runbook::lsp::LspError>>>,
    next_id: i32,
}

impl Client {
    fn start() -> Client {
        let (server, connection) = Connection::memory();
        let server = std::thread::spawn(move || runbook::lsp::serve(&server));
        let mut client = Client {
            connection,
            server: Some(server),
            next_id: 0,
        };
        let result = client.request("initialize", json!({ "capabilities": {} }));
        assert_eq!(
            result["capabilities"]["positionEncoding"], "utf-16",
            "{result}"
        );
        assert_eq!(result["capabilities"]["textDocumentSync"], 2, "{result}");
        client.notify("initialized", json!({}));
        client
    }

    fn notify(&self, method: &str, params: Value) {
        let notification = Notification::new(method.to_string(), params);
        self.connection.sender.send(notification.into()).unwrap();
    }

    fn receive(&self) -> Message {
        self.connection
            .receiver
            .recv_timeout(Duration::from_secs(10))
            .expect("the server answers within 10 s")
    }

    fn response(&mut self, method: &str, params: Value) -> Response {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        let request = Request::new(id.clone(), method.to_string(), params);
        self.connection.sender.send(request.into()).unwrap();
        loop {
            if let Message::Response(response) = self.receive()
                && response.id == id
            {
                return response;
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.response(method, params);
        match response.response_result {
            Ok(result) => result,
            Err(error) => panic!("{method}: {error:?}"),
        }
    }

    /// The next `publishDiagnostics`.
    fn diagnostics(&self) -> Value {
        loop {
            if let Message::Notification(n) = self.receive()
                && n.method == "textDocument/publishDiagnostics"
            {
                return n.params;
            }
        }
    }

    fn open(&self, uri: &str, text: &str) -> Value {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": {
                "uri": uri, "languageId": "markdown", "version": 1, "text": text
            }}),
        );
        self.diagnostics()
    }

    fn hover(&mut self, uri: &str, position: Position) -> Value {
        self.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": position }),
        )
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let server = self.server.take().unwrap();
        server.join().unwrap().expect("the server stops cleanly");
    }
}

fn aws_mfa() -> String {
    std::fs::read_to_string(root().join("runbooks/aws-mfa.md")).unwrap()
}

/// `file:///…/runbooks/NAME`: the guide's real folder, so its images are found.
fn uri(name: &str) -> String {
    format!("file://{}", root().join("runbooks").join(name).display())
}

/// The LSP position of a byte offset, counted the way the protocol says: lines, then
/// UTF-16 code units.
fn position(text: &str, offset: usize) -> Position {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    Position::new(line as u32, before[start..].encode_utf16().count() as u32)
}

/// (line, character, code) of each diagnostic, as published.
fn published(params: &Value) -> Vec<(u64, u64, String)> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["character"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What `runbook check` reports for the same text: (line, character, code), from its
/// spans.
fn checked(path: &str, text: &str) -> Vec<(u64, u64, String)> {
    let checked = check_source(Source::new(path, text));
    checked
        .diagnostics
        .iter()
        .map(|d| {
            let p = position(text, d.primary.as_ref().map_or(0, |l| l.span.start));
            (p.line as u64, p.character as u64, d.code.to_string())
        })
        .collect()
}

#[test]
fn diagnostics_on_open_are_checks() {
    let text = aws_mfa().replace("duo.serial_number", "duo.serial_numbr");
    let client = Client::start();
    let params = client.open(&uri("aws-mfa.md"), &text);
    assert_eq!(params["version"], 1);
    let found = published(&params);
    let line = |needle: &str| text[..text.find(needle).unwrap()].matches('\n').count() as u64;
    // Two references with the typo, on the lines `check` shows (70 and 152, 1-based), at
    // column 21 (1-based): the reference's start.
    assert_eq!(
        found,
        vec![
            (69, 20, "unknown-output".to_string()),
            (151, 20, "unknown-output".to_string())
        ],
        "{params:#}"
    );
    assert_eq!(found, checked("runbooks/aws-mfa.md", &text));
    assert_eq!(line("{{ duo.serial_numbr }}"), 69);
    let first = &params["diagnostics"][0];
    assert_eq!(first["severity"], 1);
    assert_eq!(first["source"], "runbook");
    assert_eq!(
        first["range"]["end"]["character"], 36,
        "the span ends after `duo.serial_numbr`"
    );
    let message = first["message"].as_str().unwrap();
    assert_eq!(
        message.lines().collect::<Vec<_>>(),
        [
            "`iam.create-virtual-mfa-device` has no output `serial_numbr`",
            "help: did you mean `duo.serial_number`?",
            "note: `duo` (`iam.create-virtual-mfa-device`) outputs `serial_number` and `seed`",
        ]
    );
    client.stop();
}

/// Characters are UTF-16 code units: `é` is one, `😀` two, though 2 and 4 bytes.
#[test]
fn positions_count_utf16_units() {
    let text = "# T\n\n## Step\n\nCafé 😀 {{ nobody.here }} and ```x``` prose.\n\n```sts.get-caller-identity\n```\n";
    let client = Client::start();
    let found = published(&client.open("file:///tmp/utf16.md", text));
    // 11 units before `nobody`: `Café ` 5, `😀` 2, ` {{ ` 4.
    assert_eq!(found, vec![(4, 11, "undefined-reference".to_string())]);
    assert_eq!(found, checked("/tmp/utf16.md", text));
    // `check` counts 1-based characters, where the emoji is one: column 11, not 12.
    let at = text.find("nobody").unwrap();
    assert_eq!(Source::new("x", text).position(at).column, 11);
    client.stop();
}

#[test]
fn incremental_changes_recheck() {
    let text = aws_mfa();
    let client = Client::start();
    let uri = uri("aws-mfa.md");
    assert_eq!(published(&client.open(&uri, &text)), vec![]);
    // Break the first `duo.serial_number`: replace `number` by `numbr`.
    let at = text.find("duo.serial_number").unwrap() + "duo.serial_".len();
    let edit = |version: i32, start: usize, end: usize, new: &str| {
        json!({
            "textDocument": { "uri": uri, "version": version },
            "contentChanges": [{
                "range": { "start": position(&text, start), "end": position(&text, end) },
                "text": new
            }]
        })
    };
    client.notify("textDocument/didChange", edit(2, at, at + 6, "numbr"));
    let params = client.diagnostics();
    assert_eq!(params["version"], 2);
    assert_eq!(
        published(&params),
        vec![(69, 20, "unknown-output".to_string())]
    );
    // Undo it (the range is in the text as it is now: `numbr` is 5 bytes).
    client.notify("textDocument/didChange", edit(3, at, at + 5, "number"));
    assert_eq!(published(&client.diagnostics()), vec![]);
    // A full-text change replaces everything: Markdown that is not a runbook (no action
    // block, no directive) gets no diagnostics, as `runbook mdbook` leaves such chapters
    // alone; one action block makes it a runbook again.
    let full = |version: i32, text: &str| {
        json!({
            "textDocument": { "uri": uri, "version": version },
            "contentChanges": [{ "text": text }]
        })
    };
    client.notify("textDocument/didChange", full(4, "Just notes.\n"));
    assert_eq!(published(&client.diagnostics()), vec![]);
    client.notify(
        "textDocument/didChange",
        full(5, "Notes.\n\n```iam.lst-users\n```\n"),
    );
    let codes: Vec<String> = published(&client.diagnostics())
        .into_iter()
        .map(|d| d.2)
        .collect();
    assert!(codes.contains(&"missing-title".to_string()), "{codes:?}");
    assert!(
        codes.contains(&"action-outside-step".to_string()),
        "{codes:?}"
    );
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(published(&client.diagnostics()), vec![]);
    client.stop();
}

#[test]
fn a_duplicate_points_at_its_first_definition() {
    let text = "# T\n\n## A\n\n```sts.get-caller-identity id=me\n```\n\n## B\n\n```sts.get-caller-identity id=me\n```\n";
    let client = Client::start();
    let params = client.open("file:///tmp/dup.md", text);
    let diagnostic = &params["diagnostics"][0];
    assert_eq!(diagnostic["code"], "duplicate-id", "{params:#}");
    assert_eq!(diagnostic["range"]["start"]["line"], 9, "{params:#}");
    let related = &diagnostic["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], "file:///tmp/dup.md");
    assert_eq!(
        related["location"]["range"]["start"]["line"], 4,
        "{params:#}"
    );
    client.stop();
}

#[test]
fn hover_shows_actions_and_references() {
    let text = aws_mfa();
    let mut client = Client::start();
    let uri = uri("aws-mfa.md");
    client.open(&uri, &text);
    let at = |needle: &str, plus: usize| position(&text, text.find(needle).unwrap() + plus);

    // An action name: its catalogue entry.
    let hover = client.hover(&uri, at("iam.create-virtual-mfa-device id=duo", 4));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("### `iam.create-virtual-mfa-device`"),
        "{value}"
    );
    assert!(
        value.contains("aws iam create-virtual-mfa-device"),
        "{value}"
    );
    assert!(value.contains("| `serial_number` | string"), "{value}");
    assert_eq!(
        hover["range"]["start"],
        json!(at("iam.create-virtual-mfa-device id=duo", 0))
    );

    // A reference to an output: its type, secrecy and origin.
    let hover = client.hover(&uri, at("{{ duo.serial_number }}", 9));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("**`duo.serial_number`**: string (not secret) — from the `iam.create-virtual-mfa-device id=duo` block on line 42"),
        "{value}"
    );
    let hover = client.hover(&uri, at("{{ duo.seed }}", 4));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("**`duo.seed`**: string (secret: never shown"),
        "{value}"
    );

    // An input's value, referred to by its id alone.
    let hover = client.hover(&uri, at("{{ device_name }}", 5));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("from the `input.text id=device_name` block"),
        "{value}"
    );

    // A name in a `when` expression.
    let hover = client.hover(&uri, at("not me.is_root", 8));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.starts_with("**`me.is_root`**: boolean"), "{value}");

    // Prose outside `{{ … }}` has nothing to show.
    let hover = client.hover(&uri, at("Securing your", 2));
    assert_eq!(hover, Value::Null);
    client.stop();
}

#[test]
fn unknown_requests_are_refused_and_shutdown_is_clean() {
    let mut client = Client::start();
    let response = client.response("textDocument/formatting", json!({}));
    let error = response.response_result.expect_err("an error");
    assert_eq!(error.code, lsp_server::ErrorCode::MethodNotFound as i32);
    // A hover on a document never opened has nothing to show.
    let hover = client.hover("file:///nowhere.md", Position::new(0, 0));
    assert_eq!(hover, Value::Null);
    client.stop();
}

/// The labels offered at `position`.
fn labels(client: &mut Client, uri: &str, position: Position) -> Vec<String> {
    let result = client.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": position }),
    );
    result
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item["label"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn completion_offers_what_fits_the_place() {
    let mut client = Client::start();
    let uri = "file:///tmp/complete.md";
    let text = "# T\n\n## A\n\n```sts.get-caller-identity id=me\n```\n\n```iam.list-mfa-devices id=devices\nuser = \"{{ me.\"\n\n```\n\n```iam.list-mfa-devices \nexpect = [\"count < 8\"]\n```\n\nSee {{ devices.devices[0]. }} and {{  }}.\n";
    client.open(uri, text);
    let after = |needle: &str| position(text, text.find(needle).unwrap() + needle.len());

    // After `{{ me.`: the outputs of `sts.get-caller-identity`.
    let offered = labels(&mut client, uri, after("{{ me."));
    assert!(offered.contains(&"user_name".to_string()), "{offered:?}");
    assert!(offered.contains(&"is_root".to_string()), "{offered:?}");
    assert!(!offered.contains(&"me".to_string()), "{offered:?}");

    // An action name after ```.
    let offered = labels(&mut client, uri, after("```iam.list"));
    assert!(
        offered.contains(&"iam.list-mfa-devices".to_string()),
        "{offered:?}"
    );
    assert!(
        offered.contains(&"sts.get-caller-identity".to_string()),
        "{offered:?}"
    );

    // Attributes after the name.
    let offered = labels(&mut client, uri, after("```iam.list-mfa-devices "));
    assert_eq!(offered, ["id=", "confirm"]);
    // In the middle of `id=…`, nothing.
    assert_eq!(
        labels(&mut client, uri, after("```iam.list-mfa-devices id=")),
        Vec::<String>::new()
    );

    // A body's keys: `user` is set, so not offered again; the common keys follow.
    let line = text.find("user = \"{{ me.\"\n").unwrap() + "user = \"{{ me.\"\n".len();
    let offered = labels(&mut client, uri, position(text, line));
    assert!(!offered.contains(&"user".to_string()), "{offered:?}");
    assert!(offered.contains(&"when".to_string()), "{offered:?}");
    // `expect` is set in the other block, where it is not offered.
    let line = text.find("expect = [").unwrap();
    let offered = labels(&mut client, uri, position(text, line));
    assert!(offered.contains(&"user".to_string()), "{offered:?}");
    assert!(!offered.contains(&"expect".to_string()), "{offered:?}");

    // Inside `expect`: the block's own outputs.
    let offered = labels(&mut client, uri, after("expect = [\"co"));
    assert!(offered.contains(&"count".to_string()), "{offered:?}");

    // A list's item fields, and in prose the ids above.
    let offered = labels(&mut client, uri, after("{{ devices.devices[0]."));
    assert!(
        offered.contains(&"serial_number".to_string()),
        "{offered:?}"
    );
    let offered = labels(&mut client, uri, after("and {{ "));
    assert!(offered.contains(&"me".to_string()), "{offered:?}");
    assert!(offered.contains(&"devices".to_string()), "{offered:?}");
    client.stop();
}

#[test]
fn parameters_come_with_type_and_doc_required_first() {
    let mut client = Client::start();
    let uri = "file:///tmp/params.md";
    let text = "# T\n\n## A\n\n```iam.enable-mfa-device\n\n```\n";
    client.open(uri, text);
    let at = position(text, text.find("device\n").unwrap() + "device\n".len());
    let result = client.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": at }),
    );
    let items = result.as_array().unwrap();
    let serial = items
        .iter()
        .find(|item| item["label"] == "serial_number")
        .expect("serial_number offered");
    assert!(
        serial["detail"]
            .as_str()
            .unwrap()
            .starts_with("string (required"),
        "{serial:#}"
    );
    assert!(serial["documentation"]["value"].as_str().unwrap().len() > 5);
    // Sorted by sortText, the required parameters come before the optional ones.
    let mut sorted: Vec<&Value> = items.iter().collect();
    sorted.sort_by_key(|item| item["sortText"].as_str().unwrap().to_string());
    let required: Vec<bool> = sorted
        .iter()
        .map(|item| item["detail"].as_str().unwrap().contains("(required"))
        .collect();
    assert!(required[0], "{sorted:#?}");
    assert!(required.windows(2).all(|w| w[0] >= w[1]), "{sorted:#?}");
    client.stop();
}

#[test]
fn definition_references_and_rename_follow_ids() {
    let text = aws_mfa();
    let mut client = Client::start();
    let uri = uri("aws-mfa.md");
    client.open(&uri, &text);
    let at = |needle: &str, plus: usize| position(&text, text.find(needle).unwrap() + plus);
    let params = |position: Position| {
        json!({ "textDocument": { "uri": uri }, "position": position,
                "context": { "includeDeclaration": true } })
    };

    // From `duo` in `{{ duo.seed }}` to `id=duo`.
    let location = client.request("textDocument/definition", params(at("{{ duo.seed }}", 4)));
    assert_eq!(location["uri"], uri.as_str());
    assert_eq!(location["range"]["start"], json!(at("id=duo", 3)));
    assert_eq!(location["range"]["end"], json!(at("id=duo", 6)));
    // `seed` is an output, not an id: no definition to go to.
    let none = client.request("textDocument/definition", params(at("{{ duo.seed }}", 8)));
    assert_eq!(none, Value::Null);

    // Every `duo`: its definition and the references in templates.
    let found = client.request("textDocument/references", params(at("id=duo", 4)));
    let lines: Vec<u64> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains("id=duo") || line.contains("{{ duo."))
        .map(|(i, _)| i as u64)
        .collect();
    assert_eq!(lines, expected);

    // `me`: also in `when` expressions, but not the word "me" in prose.
    let found = client.request("textDocument/references", params(at("id=me", 3)));
    let count = found.as_array().unwrap().len();
    let expected = text.matches("{{ me.").count()
        + text.matches("when = \"not me.").count()
        + text.matches("when = \"me.").count()
        + 1;
    assert_eq!(count, expected, "{found:#}");

    // Rename `duo` to `phone`: the result checks, and has no `duo` reference left.
    let edit = client.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri }, "position": at("{{ duo.seed }}", 3),
                "newName": "phone" }),
    );
    let edits = edit["changes"][uri.as_str()].as_array().unwrap();
    let mut renamed = text.clone();
    let mut spans: Vec<(usize, usize)> = edits
        .iter()
        .map(|e| {
            let offset = |p: &Value| {
                let line = p["line"].as_u64().unwrap() as usize;
                let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
                let units = p["character"].as_u64().unwrap() as usize;
                let line_text = &text[start..];
                let mut n = 0;
                start
                    + line_text
                        .char_indices()
                        .find(|(_, c)| {
                            let here = n >= units;
                            n += c.len_utf16();
                            here
                        })
                        .unwrap()
                        .0
            };
            (offset(&e["range"]["start"]), offset(&e["range"]["end"]))
        })
        .collect();
    spans.sort();
    for &(start, end) in spans.iter().rev() {
        assert_eq!(&text[start..end], "duo");
        renamed.replace_range(start..end, "phone");
    }
    assert!(!renamed.contains("{{ duo."), "{renamed}");
    assert!(renamed.contains("id=phone"));
    let checked = check_source(Source::new(root().join("runbooks/aws-mfa.md"), renamed));
    assert_eq!(checked.errors(), 0, "{}", checked.render_diagnostics(false));

    // A new name that is not an id, or is another block's, is refused with the reason.
    for (name, reason) in [("2fa", "not a valid id"), ("me", "already the id")] {
        let response = client.response(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri }, "position": at("id=duo", 4),
                    "newName": name }),
        );
        let error = response.response_result.expect_err("refused");
        assert!(error.message.contains(reason), "{}", error.message);
    }
    client.stop();
}

#[test]
fn symbols_are_parts_steps_and_actions() {
    let text = aws_mfa();
    let mut client = Client::start();
    let uri = uri("aws-mfa.md");
    client.open(&uri, &text);
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let symbols = symbols.as_array().unwrap();
    let names: Vec<&str> = symbols
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "Prerequisites", "{names:?}");
    let part = symbols
        .iter()
        .find(|s| s["name"].as_str().unwrap().starts_with("Part\u{a0}1"))
        .expect("Part 1");
    assert_eq!(part["detail"], "part");
    let step = &part["children"][1];
    assert_eq!(step["name"], "2. Choose Authenticator\u{a0}App", "{part:#}");
    assert_eq!(step["detail"], "step");
    let actions: Vec<(&str, &str)> = step["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("input.text", "id=device_name"),
            ("iam.create-virtual-mfa-device", "id=duo")
        ]
    );
    // The selection is the action's name, inside the block's range.
    let duo = &step["children"][1];
    let line = text.lines().position(|l| l.contains("id=duo")).unwrap();
    assert_eq!(
        duo["selectionRange"]["start"],
        json!({ "line": line, "character": 3 })
    );
    assert_eq!(
        duo["range"]["start"],
        json!({ "line": line, "character": 0 })
    );
    client.stop();
}

/// A `for_each` loop's item (`as = "device"`): completed and explained inside its block,
/// and the list's id is found in `for_each` too.
#[test]
fn loop_items_are_known_in_their_block() {
    let text = std::fs::read_to_string(root().join("runbooks/offboard-user.md")).unwrap();
    let mut client = Client::start();
    let uri = uri("offboard-user.md");
    client.open(&uri, &text);
    let at = |needle: &str, plus: usize| position(&text, text.find(needle).unwrap() + plus);

    let offered = labels(&mut client, &uri, at("{{ device.serial_number", 10));
    assert!(
        offered.contains(&"serial_number".to_string()),
        "{offered:?}"
    );
    assert!(offered.contains(&"kind".to_string()), "{offered:?}");
    let offered = labels(&mut client, &uri, at("{{ device.serial_number", 3));
    assert!(offered.contains(&"device".to_string()), "{offered:?}");
    assert!(offered.contains(&"devices".to_string()), "{offered:?}");

    let hover = client.hover(&uri, at("device.kind == 'virtual'", 8));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("**`device.kind`**: string (a field of each item of `devices.devices`)"),
        "{value}"
    );
    // Anywhere on `device.serial_number`: the whole reference.
    let hover = client.hover(&uri, at("{{ device.serial_number", 4));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("**`device.serial_number`**: string"),
        "{value}"
    );

    let found = client.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": at("{{ devices.count", 4),
                "context": { "includeDeclaration": false } }),
    );
    let lines: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            text.lines()
                .nth(l["range"]["start"]["line"].as_u64().unwrap() as usize)
                .unwrap()
        })
        .collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| **l == "for_each = \"devices.devices\"")
            .count(),
        text.matches("for_each = \"devices.devices\"").count(),
        "{lines:#?}"
    );
    client.stop();
}

/// The binary over stdio, as an editor starts it: framed JSON-RPC in, diagnostics out, exit
/// code 0 after `shutdown` and `exit`.
#[test]
fn the_binary_serves_on_stdio_and_exits_cleanly() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let frame = |value: Value| {
        let text = value.to_string();
        format!("Content-Length: {}\r\n\r\n{text}", text.len())
    };
    let guide = aws_mfa().replace("duo.serial_number", "duo.serial_numbr");
    let input = [
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "capabilities": {} } }),
        json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }),
        json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": {
            "uri": uri("aws-mfa.md"), "languageId": "markdown", "version": 1, "text": guide } } }),
        json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null }),
        json!({ "jsonrpc": "2.0", "method": "exit", "params": null }),
    ]
    .map(frame)
    .concat();
    let mut child = Command::new(crate::harness::BIN)
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("\"method\":\"textDocument/publishDiagnostics\""),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("\"code\":\"unknown-output\"").count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.contains("\"serverInfo\":{\"name\":\"runbook\""),
        "{stdout}"
    );
}
