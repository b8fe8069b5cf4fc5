//! The AWS config file editor (`aws-config.set-profile`). The input's first byte picks a
//! profile and the settings to set; the rest is the file. Whatever the file holds, setting
//! a profile never panics, and when it succeeds: every byte outside the profile's section
//! is kept (the section's prefix and suffix; a new section only appends), each setting
//! reads back as set, setting the same again changes nothing, and nothing is written
//! that holds credentials.

#![no_main]

use libfuzzer_sys::fuzz_target;
use runbook::providers::aws_config_file::{self, FORBIDDEN_KEYS};

const PROFILES: [&str; 4] = ["mfa", "default", "team", "a.b-c@d"];
const SETTINGS: [(&str, &str); 6] = [
    ("mfa_serial", "arn:aws:iam::123456789012:mfa/alice"),
    ("role_arn", "arn:aws:iam::123456789012:role/Admin"),
    ("source_profile", "default"),
    ("region", "eu-west-1"),
    ("duration_seconds", "3600"),
    ("output", "json"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let profile = PROFILES[usize::from(pick & 3)];
    let settings: Vec<(&str, &str)> = SETTINGS
        .iter()
        .enumerate()
        .filter(|(i, _)| i == &0 || pick & (4 << (i - 1)) != 0)
        .map(|(_, s)| *s)
        .collect();
    let span = aws_config_file::section_span(text, profile);
    let Ok(out) = aws_config_file::set_profile(text, profile, &settings) else {
        return;
    };
    match &span {
        Some(span) => {
            assert_eq!(
                &out[..span.start],
                &text[..span.start],
                "bytes before the section changed"
            );
            assert!(
                out.ends_with(&text[span.end..]),
                "bytes after the section changed"
            );
        }
        None => assert!(
            out.starts_with(text),
            "the file changed before the new section"
        ),
    }
    for (key, value) in &settings {
        assert_eq!(
            aws_config_file::get(&out, profile, key).as_deref(),
            Some(*value),
            "{key} does not read back"
        );
    }
    let again =
        aws_config_file::set_profile(&out, profile, &settings).expect("edits its own output");
    assert_eq!(again, out, "not idempotent");
    for line in out.lines() {
        let key = line
            .split(['=', ':'])
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if FORBIDDEN_KEYS.contains(&key.as_str()) {
            assert!(text.contains(line), "wrote a credential line: {line}");
        }
    }
});
