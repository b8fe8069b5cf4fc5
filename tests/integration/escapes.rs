//! Terminal escape sequences in text that is not ours — a runbook's title, headings,
//! prose, prompts and defaults, `--var` values, AWS error messages — are shown escaped,
//! never sent to the terminal raw: no window title set, no screen cleared, no hidden
//! link, no C1 control, no reordered text. With colours off no escape byte at all is
//! printed; on a real terminal (tmux, colours on) only our own styles are. JSON keeps the
//! data exact.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Output, Test};
use crate::moto::user;
use crate::terminal::{Tmux, quote, run_script_around};

/// OSC 0: set the window title; terminated by BEL.
const TITLE: &str = "\u{1b}]0;pwned\u{7}";
/// CSI 2 J: clear the screen.
const CLEAR: &str = "\u{1b}[2J";
/// OSC 8: a link whose target is not shown.
const LINK: &str = "\u{1b}]8;;http://evil.example/\u{7}innocent\u{1b}]8;;\u{7}";
/// C1 CSI (U+009B), then SGR 8: hidden text.
const C1: &str = "\u{9b}8m";
/// Right-to-left override.
const RLO: &str = "\u{202e}";

/// A runbook with escapes everywhere a runbook can put them. The default holds a real
/// ESC (a TOML escape); the pattern makes sure the value taken is the real default, not
/// the escaped text shown.
fn hostile_runbook() -> String {
    format!(
        "# Guide {TITLE}title\n\n## Step {CLEAR}one\n\nClick {LINK}, then {C1}hidden and {RLO}txet.\n\n\
```input.text id=name\n\
prompt = \"Name \\u001b]0;prompt-pwned\\u0007\"\n\
default = \"x\\u001b[2Jy\"\n\
pattern = 'x\\x1b\\[2Jy'\n\
help = \"help \\u009b8m\"\n\
```\n\n\
```input.text id=other\n\
prompt = \"Other\"\n\
```\n\n\
## Who am I\n\n\
```sts.get-caller-identity id=me\n\
```\n"
    )
}

/// The `--var` value.
fn hostile_var() -> String {
    format!("other=v{TITLE}{CLEAR}{C1}{RLO}")
}

/// The message of the AWS error. XML 1.0 (IAM's and STS's answers) cannot hold C0
/// controls, not even as `&#27;`, but it can hold DEL, C1 controls and bidi controls: a
/// title set with C1 OSC (U+009D … U+009C), the screen cleared with C1 CSI.
fn hostile_aws_message() -> String {
    format!("denied\u{9d}0;pwned\u{9c}\u{9b}2J\u{7f}{RLO}")
}

/// An endpoint on 127.0.0.1 that answers every call with AccessDenied and a message full
/// of escapes.
fn hostile_aws() -> String {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let xml = format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
                 <Code>AccessDenied</Code><Message>{}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>",
                hostile_aws_message()
            );
            let _ = write!(
                stream,
                "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                xml.len()
            );
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// The raw controls that must never be printed: ESC and BEL (colours are off, so even
/// our own styles are not printed), any C1 control, the bidi controls.
#[track_caller]
fn assert_no_raw_controls(what: &str, text: &str) {
    for (i, c) in text.char_indices() {
        let bad = matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(!bad, "{what}: raw {c:?} at byte {i}:\n{text}");
    }
}

fn run(endpoint: &str, args: &[&str]) -> Output {
    let state = tempfile::tempdir().unwrap();
    Test::new()
        .file("hostile.md", hostile_runbook())
        .args([
            "run",
            "hostile.md",
            "--endpoint-url",
            endpoint,
            "--state-dir",
        ])
        .args([state.path().to_str().unwrap()])
        .args(["--var".to_string(), hostile_var()])
        .args(args.iter().copied())
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_MAX_ATTEMPTS", "1")
        .run()
}

#[test]
fn a_run_shows_the_escapes_of_the_runbook_the_var_and_aws_escaped() {
    let endpoint = hostile_aws();
    let output = run(&endpoint, &[]);
    output.assert_code(1);
    assert_no_raw_controls("stdout", &output.stdout);
    assert_no_raw_controls("stderr", &output.stderr);
    let all = format!("{}{}", output.stdout, output.stderr);
    for shown in [
        // The heading, the prose (a hidden link, a C1 CSI, a right-to-left override).
        "━━ Step \\x1b[2Jone",
        "Click \\x1b]8;;http://evil.example/\\x07innocent\\x1b]8;;\\x07, then \\u{9b}8mhidden and \\u{202e}txet.",
        // The default, and the `--var` value, echoed.
        "name = x\\x1b[2Jy (default)",
        "other = v\\x1b]0;pwned\\x07\\x1b[2J\\u{9b}8m\\u{202e} (from --var)",
        // AWS's message.
        "(AWS: AccessDenied: denied\\u{9d}0;pwned\\u{9c}\\u{9b}2J\\x7f\\u{202e})",
    ] {
        assert!(all.contains(shown), "not shown: {shown}\n{all}");
    }
}

#[test]
fn json_events_keep_the_data_exact_and_the_human_text_escaped() {
    let endpoint = hostile_aws();
    let output = run(&endpoint, &["--output", "json"]);
    output.assert_code(1);
    assert_no_raw_controls("stderr", &output.stderr);
    let events: Vec<Value> = output
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let value = |id: &str| {
        events
            .iter()
            .find(|e| e["event"] == "action" && e["id"] == id)
            .map(|e| e["outputs"]["value"].clone())
    };
    assert_eq!(value("name"), Some(Value::from("x\u{1b}[2Jy")));
    assert_eq!(
        value("other"),
        Some(Value::from(format!("v{TITLE}{CLEAR}{C1}{RLO}")))
    );
    let error = events.iter().find(|e| e["event"] == "error").unwrap();
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains(&hostile_aws_message()),
        "{error}"
    );
}

#[test]
fn plan_text_shows_the_escapes_escaped() {
    let output = Test::new()
        .file("hostile.md", hostile_runbook())
        .args(["plan", "hostile.md"])
        .run();
    output.assert_code(0);
    assert_no_raw_controls("stdout", &output.stdout);
    assert_no_raw_controls("stderr", &output.stderr);
    assert!(
        output.stdout.contains("Guide \\x1b]0;pwned\\x07title"),
        "{}",
        output.stdout
    );
}

#[test]
fn check_shows_a_bad_line_with_escapes_escaped() {
    let text = format!("# T\n\n## S\n\n```sts.get-caller-identity id=a{TITLE}{C1}{RLO}\n```\n");
    let output = Test::new()
        .file(&format!("bad{C1}.md"), &text)
        .args(["check".to_string(), format!("bad{C1}.md")])
        .run();
    output.assert_code(1);
    assert_no_raw_controls("stdout", &output.stdout);
    assert_no_raw_controls("stderr", &output.stderr);
    // The message quotes the id, escaped; the source line shows every control as a
    // visible character (one column each, so the caret stays under the right bytes).
    assert!(
        output
            .stderr
            .contains("`a\\x1b]0;pwned\\x07\\u{9b}8m\\u{202e}` is not a valid id"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("--> bad\\u{9b}8m.md:5:28"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("```sts.get-caller-identity id=a␛]0;pwned␇�8m�"),
        "{}",
        output.stderr
    );
}

/// The bytes the pane's program wrote, from `tmux pipe-pane`.
fn raw_output(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

#[test]
fn on_a_real_terminal_only_our_own_escapes_are_sent() {
    let user = user("escapes");
    let dir = tempfile::tempdir().unwrap();
    let runbook = dir.path().join("hostile.md");
    std::fs::write(&runbook, hostile_runbook()).unwrap();
    let go = dir.path().join("go");
    let raw = dir.path().join("raw");
    // The run starts once the test listens to the pane's output.
    let before = format!(
        "while [ ! -e {} ]; do sleep 0.05; done",
        quote(&go.display().to_string())
    );
    let var = hostile_var();
    let script = run_script_around(
        dir.path(),
        &user,
        &[runbook.to_str().unwrap(), "--var", &var],
        &before,
        "",
    );
    let tmux = Tmux::start(
        dir.path(),
        "escapes",
        &format!("sh {}", quote(&script.display().to_string())),
    );
    let piped = tmux.command(&[
        "pipe-pane",
        "-O",
        "-t",
        "escapes",
        &format!("cat > {}", quote(&raw.display().to_string())),
    ]);
    assert!(
        piped.status.success(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    std::fs::write(&go, "").unwrap();

    // The prompt and its default, escaped; Enter takes the real default (the pattern
    // accepts nothing else).
    let prompt = "Name \\x1b]0;prompt-pwned\\x07 [x\\x1b[2Jy]:";
    let screen = tmux.wait_for_prompt(prompt);
    assert!(screen.contains("help \\u{9b}8m"), "{screen}");
    tmux.press("Enter");
    let screen = tmux.wait_until("the run to end", |screen| {
        screen.lines().any(|line| line.starts_with("EXIT:"))
    });
    assert!(screen.lines().any(|line| line == "EXIT:0"), "{screen}");
    for shown in [
        "━━ Step \\x1b[2Jone",
        "Click \\x1b]8;;http://evil.example/\\x07innocent\\x1b]8;;\\x07, then \\u{9b}8mhidden and \\u{202e}txet.",
        "Name \\x1b]0;prompt-pwned\\x07: x\\x1b[2Jy\n",
        "name = x\\x1b[2Jy (answered)",
        "other = v\\x1b]0;pwned\\x07\\x1b[2J\\u{9b}8m\\u{202e} (from --var)",
        "Done: “Guide \\x1b]0;pwned\\x07title”.",
    ] {
        assert!(screen.contains(shown), "not shown: {shown}\n{screen}");
    }
    assert!(!tmux.format("#{pane_title}").contains("pwned"));

    // What reached the terminal: our styles and the prompt's cursor moves, nothing else.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut bytes = raw_output(&raw);
    while !bytes.contains("EXIT:") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        bytes = raw_output(&raw);
    }
    assert!(bytes.contains("EXIT:0"), "{bytes:?}");
    for forbidden in ["\u{1b}]", "\u{7}", CLEAR, "\u{9b}", RLO] {
        assert!(
            !bytes.contains(forbidden),
            "{forbidden:?} reached the terminal: {bytes:?}"
        );
    }
    assert!(bytes.contains("\u{1b}[1m"), "colours were on: {bytes:?}");
}
