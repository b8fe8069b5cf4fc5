//! `runbook lsp` with a real editor: headless Neovim (Debian's `neovim`, which
//! scripts/setup.sh installs) runs tests/integration/neovim/client.lua against the built
//! binary. What Neovim shows must be what `runbook check` prints: the same lines, columns
//! and codes, also after an edit; completion after `{{ duo.` offers duo's outputs; go to
//! definition lands on `id=duo`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use regex::Regex;
use serde_json::Value;

use crate::harness::{BIN, Test, root};

const NVIM: &str = "/usr/bin/nvim";

/// (line, column, code) of each diagnostic `runbook check FILE` prints, in file order.
fn check(dir: &Path, file: &str) -> Vec<(u64, u64, String)> {
    let output = Command::new(BIN)
        .args(["check", file])
        .current_dir(dir)
        .output()
        .unwrap();
    let text =
        String::from_utf8(output.stdout).unwrap() + &String::from_utf8(output.stderr).unwrap();
    let pattern =
        Regex::new(r"(?m)^(?:error|warning)\[([a-z-]+)\]: .*\n\s*--> [^\n]*:(\d+):(\d+)$").unwrap();
    let mut found: Vec<(u64, u64, String)> = pattern
        .captures_iter(&text)
        .map(|c| {
            (
                c[2].parse().unwrap(),
                c[3].parse().unwrap(),
                c[1].to_string(),
            )
        })
        .collect();
    assert!(!found.is_empty(), "{text}");
    found.sort();
    found
}

fn seen(value: &Value) -> Vec<(u64, u64, String)> {
    let mut found: Vec<(u64, u64, String)> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn neovim_shows_what_check_prints() {
    assert!(
        Path::new(NVIM).is_file(),
        "{NVIM} is missing; scripts/setup.sh installs Debian's neovim"
    );
    // aws-mfa.md with a typo in an output reference, twice, and once more in prose after a
    // no-break space, an emoji and a non-breaking hyphen (2, 4 and 3 bytes; 1, 2 and 1
    // UTF-16 units; 1 character each).
    let guide = std::fs::read_to_string(root().join("runbooks/aws-mfa.md")).unwrap();
    let broken = guide
        .replace("duo.serial_number", "duo.serial_numbr")
        .replace(
            "Mobile will generate six‑digit codes.",
            "Mobile 📱 will generate six‑digit codes ({{ duo.serial_numbr }}).",
        );
    assert_ne!(broken, guide);
    let test = Test::new().file("aws-mfa.md", &broken);
    let dir = test.path();
    let opened = check(dir, "aws-mfa.md");
    let unknown = opened.iter().filter(|d| d.2 == "unknown-output").count();
    assert_eq!(unknown, 3, "{opened:?}");
    // What check prints once Neovim has fixed the first typo.
    let fixed = broken.replacen("duo.serial_numbr", "duo.serial_number", 1);
    std::fs::write(dir.join("fixed.md"), &fixed).unwrap();
    let edited = check(dir, "fixed.md");

    let out = dir.join("seen.json");
    let mut nvim = Command::new(NVIM)
        .args(["--headless", "--clean", "-n", "-i", "NONE", "-c"])
        .arg(format!(
            "luafile {}",
            root().join("tests/integration/neovim/client.lua").display()
        ))
        .env("RUNBOOK_BIN", BIN)
        .env("RUNBOOK_FILE", dir.join("aws-mfa.md"))
        .env("RUNBOOK_OUT", &out)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while nvim.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(90) {
            nvim.kill().unwrap();
            panic!("Neovim did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let seen_text = std::fs::read_to_string(&out).expect("Neovim wrote what it saw");
    let seen_json: Value = serde_json::from_str(&seen_text).unwrap();
    assert!(seen_json.get("error").is_none(), "{seen_json:#}");

    assert_eq!(seen(&seen_json["opened"]), opened, "{seen_json:#}");
    assert_eq!(seen(&seen_json["edited"]), edited, "{seen_json:#}");
    assert_eq!(
        seen_json["completion"],
        serde_json::json!(["seed", "serial_number"])
    );
    let definition = &seen_json["definition"];
    assert!(
        definition["uri"].as_str().unwrap().ends_with("/aws-mfa.md"),
        "{definition}"
    );
    let line = seen_json["definition_line"].as_str().unwrap();
    assert_eq!(line, "```iam.create-virtual-mfa-device id=duo");
    assert_eq!(definition["start"]["character"], line.find("duo").unwrap());
}
