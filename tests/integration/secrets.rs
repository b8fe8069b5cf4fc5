//! No seed and no code ever reaches stdout, stderr, the JSON events or any file a run
//! writes (the journal): the run is scanned byte for byte for every form of the seed and
//! for every code of the windows around it.

use std::path::Path;

use runbook::providers::Iam;
use runbook::totp;

use crate::moto::user;

const START: u64 = 1_700_000_000;

fn files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
}

/// Whether `needle` occurs in `haystack` as a token of its own (not inside a longer run
/// of digits, nor as the fractional seconds of a timestamp).
fn contains_code(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .enumerate()
        .any(|(i, window)| {
            let before = i.checked_sub(1).map(|j| haystack[j]);
            let after = haystack.get(i + needle.len()).copied();
            window == needle
                && !before.is_some_and(|b| b.is_ascii_digit() || b == b'.')
                && !after.is_some_and(|a| a.is_ascii_digit())
        })
}

#[test]
fn no_seed_or_code_is_printed_or_written() {
    let user = user("leak");
    let state = tempfile::tempdir().unwrap();
    let fake_clock = START.to_string();
    let env = [("RUNBOOK_FAKE_CLOCK", fake_clock.as_str())];
    let json = user.run(
        "tests/fixtures/run/login.md",
        state.path(),
        &["--yes", "--output", "json"],
        &env,
    );
    json.assert_code(0);
    assert!(json.stderr.contains("signed in with"), "{}", json.stderr);
    // The same run again, in human form, for its own output.
    let human = user.run(
        "tests/fixtures/run/login.md",
        state.path(),
        &["--yes", "--restart"],
        &env,
    );
    human.assert_code(0);

    // The emulator (unlike AWS) lists seeds: the test's way to know what to look for.
    let provider = user.provider();
    let device = provider
        .run(provider.iam_client().list_virtual_mfa_devices().send())
        .unwrap()
        .virtual_mfa_devices()
        .iter()
        .find(|d| d.serial_number().ends_with(":mfa/leak-DuoMobile"))
        .cloned()
        .expect("the device exists");
    let seed_text =
        String::from_utf8(device.base32_string_seed().unwrap().as_ref().to_vec()).unwrap();
    let seed = totp::parse_seed(&seed_text).unwrap();
    assert_eq!(provider.list_mfa_devices(Some("leak")).unwrap().len(), 1);

    let raw = decode_base32(&seed_text);
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let needles: Vec<(String, Vec<u8>)> = vec![
        ("seed (base32)".into(), seed_text.clone().into_bytes()),
        (
            "seed (lowercase)".into(),
            seed_text.to_lowercase().into_bytes(),
        ),
        (
            "seed (manual-entry groups)".into(),
            seed.manual_entry_key().expose().as_bytes().to_vec(),
        ),
        (
            "seed (first 16 chars)".into(),
            seed_text.as_bytes()[..16].to_vec(),
        ),
        ("seed (raw bytes)".into(), raw.clone()),
        ("seed (hex)".into(), hex.clone().into_bytes()),
        ("seed (HEX)".into(), hex.to_uppercase().into_bytes()),
    ];
    let codes: Vec<String> = (0..12)
        .map(|n| seed.code_at(START - 90 + n * 30).expose().to_string())
        .collect();

    let mut haystacks = vec![
        ("json stdout".to_string(), json.stdout.clone().into_bytes()),
        ("json stderr".to_string(), json.stderr.clone().into_bytes()),
        (
            "human stdout".to_string(),
            human.stdout.clone().into_bytes(),
        ),
        (
            "human stderr".to_string(),
            human.stderr.clone().into_bytes(),
        ),
    ];
    files(state.path(), &mut haystacks);
    assert!(haystacks.len() > 4, "the run wrote its journal");
    for (place, bytes) in &haystacks {
        for (what, needle) in &needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "{what} found in {place}"
            );
        }
        for code in &codes {
            assert!(
                !contains_code(bytes, code.as_bytes()),
                "a TOTP code found in {place}"
            );
        }
    }
    for (place, _) in haystacks.iter().skip(4) {
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(place).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "{place} is readable by others");
    }
}

fn decode_base32(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let value = ALPHABET.iter().position(|a| *a == c).expect("base32") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

#[test]
fn the_login_check_waits_for_a_fresh_window() {
    let user = user("login");
    let state = tempfile::tempdir().unwrap();
    // Start 1 s into a window: the codes used to enable take it, so the sign-in code
    // must come from the next one, 29 s later on the (fixed) clock.
    let start = (START / 30) * 30 + 1;
    let output = user.run(
        "tests/fixtures/run/login.md",
        state.path(),
        &["--yes"],
        &[("RUNBOOK_FAKE_CLOCK", &start.to_string())],
    );
    output.assert_code(0);
    assert!(
        output
            .stdout
            .contains("a fresh code computed from the seed"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("signed in with arn:aws:iam::123456789012:mfa/login-DuoMobile"),
        "{}",
        output.stdout
    );
}
