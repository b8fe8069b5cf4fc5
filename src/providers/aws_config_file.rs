//! The AWS CLI's configuration file (`~/.aws/config`), edited line by line: one profile's
//! settings are set, and every other byte of the file (comments, blank lines, other
//! profiles, line endings, the order of everything) stays exactly as it was.
//!
//! No INI crate does this: the format-preserving ones only tokenise (ini-roundtrip, which
//! also drops the kind of line ending) and the editing ones rewrite the whole file and lose
//! comments. The AWS format is also not plain INI: a setting followed by indented lines is
//! a nested block (`s3 =` then `  max_concurrent_requests = 10`), or a value continued on
//! the next lines, which generic parsers read as settings of their own. The rules here are
//! those of botocore's parser (Python's `configparser`, which the AWS CLI v1 uses):
//!
//! - a section header is a line whose first character is `[`; the name is what is between
//!   the brackets, trimmed; a profile is `[profile NAME]`, and `[default]` is the default;
//! - a line starting with `#` or `;` (after spaces) is a comment; a blank line is blank;
//! - a setting is `key = value` (or `key: value`) at column 0, its key case-insensitive;
//!   an indented line after a setting belongs to it.
//!
//! Only the settings asked for are written; nothing secret ever is ([`FORBIDDEN_KEYS`]).

use std::ops::Range;

/// Settings that hold credentials: never written to the config file by runbook (they
/// belong in `~/.aws/credentials`, or nowhere for temporary ones).
pub const FORBIDDEN_KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
];

/// Why the file cannot be edited safely.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "`{0}` is not a valid profile name: use letters, digits and `-_.@+=,:/` (no spaces or brackets)"
    )]
    ProfileName(String),
    #[error("`{0}` holds credentials, which runbook never writes into the AWS config file")]
    Forbidden(String),
    #[error("`{0}` is not a setting name the AWS CLI reads (lowercase letters, digits and `_`)")]
    Key(String),
    #[error(
        "the value of `{key}` spans lines or starts or ends with spaces, which the AWS config file cannot hold"
    )]
    Value { key: String },
    #[error(
        "the file has [{section}] {count} times (lines {lines}); the AWS CLI refuses such a file: merge them by hand first"
    )]
    Duplicate {
        section: String,
        count: usize,
        lines: String,
    },
}

/// One line of the file, with its terminator (`\n`, `\r\n` or none at the end).
struct Line<'a> {
    text: &'a str,
    /// The line without its terminator.
    body: &'a str,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    text.split_inclusive('\n')
        .map(|text| Line {
            text,
            body: text
                .strip_suffix('\n')
                .map_or(text, |t| t.strip_suffix('\r').unwrap_or(t)),
        })
        .collect()
}

/// The section name of a header line (`[profile mfa]` → `profile mfa`).
fn header(body: &str) -> Option<String> {
    let rest = body.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    Some(rest[..end].split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The key of a setting line at column 0 (`mfa_serial = …` → `mfa_serial`).
fn setting_key(body: &str) -> Option<&str> {
    if body.starts_with([' ', '\t', '#', ';', '[']) {
        return None;
    }
    let end = body.find(['=', ':'])?;
    let key = body[..end].trim_end();
    (!key.is_empty()).then_some(key)
}

/// An indented line that is not blank and not a comment: part of the setting above it.
fn is_continuation(body: &str) -> bool {
    body.starts_with([' ', '\t']) && !is_comment_or_blank(body)
}

fn is_comment_or_blank(body: &str) -> bool {
    let trimmed = body.trim_start();
    trimmed.is_empty() || trimmed.starts_with(['#', ';'])
}

/// The file the AWS CLI reads: `$AWS_CONFIG_FILE`, else `~/.aws/config`.
pub fn default_path() -> Option<std::path::PathBuf> {
    match std::env::var_os("AWS_CONFIG_FILE") {
        Some(file) if !file.is_empty() => Some(file.into()),
        _ => std::env::var_os("HOME")
            .filter(|home| !home.is_empty())
            .map(|home| std::path::Path::new(&home).join(".aws").join("config")),
    }
}

/// The section name a profile has in the config file.
pub fn section_name(profile: &str) -> String {
    if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    }
}

/// Whether `name` can be a profile name in a header runbook writes.
pub fn valid_profile_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@+=,:/".contains(c))
}

fn check(profile: &str, settings: &[(&str, &str)]) -> Result<(), ConfigError> {
    if !valid_profile_name(profile) {
        return Err(ConfigError::ProfileName(profile.to_string()));
    }
    for (key, value) in settings {
        if FORBIDDEN_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
            return Err(ConfigError::Forbidden(key.to_string()));
        }
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(ConfigError::Key(key.to_string()));
        }
        if value.contains(['\n', '\r']) || value.trim() != *value {
            return Err(ConfigError::Value {
                key: key.to_string(),
            });
        }
    }
    Ok(())
}

/// The line range of each section named `name`: from its header to the next header.
fn sections(lines: &[Line<'_>], name: &str) -> Vec<Range<usize>> {
    let headers: Vec<(usize, String)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| header(line.body).map(|h| (i, h)))
        .collect();
    headers
        .iter()
        .enumerate()
        .filter(|(_, (_, h))| h == name)
        .map(|(n, (start, _))| {
            let end = headers.get(n + 1).map_or(lines.len(), |(next, _)| *next);
            *start..end
        })
        .collect()
}

/// The bytes of `profile`'s section in `text` (its header to the next header), when the
/// file has exactly one; [`set_profile`] changes nothing outside them.
pub fn section_span(text: &str, profile: &str) -> Option<Range<usize>> {
    let lines = lines(text);
    let found = sections(&lines, &section_name(profile));
    let [section] = found.as_slice() else {
        return None;
    };
    let offset = |line: usize| lines[..line].iter().map(|l| l.text.len()).sum::<usize>();
    Some(offset(section.start)..offset(section.end))
}

/// The value a profile has for `key`, if the file sets it (the first line's value of a
/// multi-line one).
pub fn get(text: &str, profile: &str, key: &str) -> Option<String> {
    let lines = lines(text);
    let section = sections(&lines, &section_name(profile)).pop()?;
    lines[section].iter().find_map(|line| {
        setting_key(line.body)
            .is_some_and(|k| k.eq_ignore_ascii_case(key))
            .then(|| {
                let end = line.body.find(['=', ':']).unwrap_or(0);
                line.body[end + 1..].trim().to_string()
            })
    })
}

/// `text` with `settings` set in `profile`'s section (created at the end of the file
/// when missing). Settings already there with the same value are left as written; others
/// are replaced in place (with the lines continuing them); missing ones are added after the
/// section's last setting. Every other byte stays as it was; the result has the file's line
/// ending (`\r\n` if its first line has one).
pub fn set_profile(
    text: &str,
    profile: &str,
    settings: &[(&str, &str)],
) -> Result<String, ConfigError> {
    check(profile, settings)?;
    let lines = lines(text);
    let newline = if lines.first().is_some_and(|l| l.text.ends_with("\r\n")) {
        "\r\n"
    } else {
        "\n"
    };
    let name = section_name(profile);
    let found = sections(&lines, &name);
    if found.len() > 1 {
        return Err(ConfigError::Duplicate {
            section: name,
            count: found.len(),
            lines: found
                .iter()
                .map(|s| (s.start + 1).to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let setting = |key: &str, value: &str| format!("{key} = {value}{newline}");
    let Some(section) = found.into_iter().next() else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        if !out.is_empty() && !out.ends_with("\n\n") && !out.ends_with("\n\r\n") {
            out.push_str(newline);
        }
        out.push_str(&format!("[{name}]{newline}"));
        for (key, value) in settings {
            out.push_str(&setting(key, value));
        }
        return Ok(out);
    };

    let mut out = String::with_capacity(text.len() + 64);
    for line in &lines[..section.start] {
        out.push_str(line.text);
    }
    // The section: replace our settings where they are, note where the last setting ends.
    let mut done = vec![false; settings.len()];
    let mut body: Vec<String> = Vec::new();
    body.push(lines[section.start].text.to_string());
    // Where added settings go: after the header, or after the section's last setting.
    let mut last_setting = body.len();
    let mut i = section.start + 1;
    while i < section.end {
        let line = &lines[i];
        let mut end = i + 1;
        if setting_key(line.body).is_some() {
            while end < section.end && is_continuation(lines[end].body) {
                end += 1;
            }
        }
        let ours = setting_key(line.body).and_then(|key| {
            settings
                .iter()
                .position(|(k, _)| k.eq_ignore_ascii_case(key))
        });
        match ours {
            Some(n) if !done[n] => {
                done[n] = true;
                let (key, value) = settings[n];
                let same = end == i + 1 && get_value(line.body) == value;
                if same {
                    body.push(line.text.to_string());
                } else {
                    body.push(setting(key, value));
                }
                last_setting = body.len();
            }
            _ => {
                for l in &lines[i..end] {
                    body.push(l.text.to_string());
                }
                if !is_comment_or_blank(line.body) {
                    last_setting = body.len();
                }
            }
        }
        i = end;
    }
    // The line before the added settings must end with a newline.
    if last_setting == body.len()
        && let Some(previous) = body.last_mut()
        && !previous.ends_with('\n')
        && settings.iter().zip(&done).any(|(_, d)| !d)
    {
        previous.push_str(newline);
    }
    let added: Vec<String> = settings
        .iter()
        .zip(&done)
        .filter(|(_, done)| !**done)
        .map(|((key, value), _)| setting(key, value))
        .collect();
    body.splice(last_setting..last_setting, added);
    for line in body {
        out.push_str(&line);
    }
    for line in &lines[section.end..] {
        out.push_str(line.text);
    }
    Ok(out)
}

fn get_value(body: &str) -> &str {
    body.find(['=', ':'])
        .map_or("", |end| body[end + 1..].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# My AWS configuration
[default]
region = eu-west-1
output = json

; the team's account
[profile team]
role_arn = arn:aws:iam::123456789012:role/Team
source_profile = default
s3 =
  max_concurrent_requests = 10

[profile mfa]
# set by hand
mfa_serial = arn:aws:iam::123456789012:mfa/old
region = us-east-1

# trailing comment
";

    #[test]
    fn a_new_profile_goes_at_the_end_and_nothing_else_changes() {
        let out = set_profile(FILE, "cli", &[("mfa_serial", "arn:aws:iam::1:mfa/a")]).unwrap();
        assert_eq!(
            out,
            format!("{FILE}\n[profile cli]\nmfa_serial = arn:aws:iam::1:mfa/a\n")
        );
        assert_eq!(
            get(&out, "cli", "mfa_serial").unwrap(),
            "arn:aws:iam::1:mfa/a"
        );
    }

    #[test]
    fn an_existing_profile_is_edited_in_place() {
        let out = set_profile(
            FILE,
            "mfa",
            &[
                ("mfa_serial", "arn:aws:iam::123456789012:mfa/new"),
                ("duration_seconds", "3600"),
                ("region", "us-east-1"),
            ],
        )
        .unwrap();
        let expected = FILE.replace(
            "mfa_serial = arn:aws:iam::123456789012:mfa/old\nregion = us-east-1\n",
            "mfa_serial = arn:aws:iam::123456789012:mfa/new\nregion = us-east-1\nduration_seconds = 3600\n",
        );
        assert_eq!(out, expected);
        // Idempotent: the same settings again change nothing.
        let again = set_profile(
            &out,
            "mfa",
            &[
                ("mfa_serial", "arn:aws:iam::123456789012:mfa/new"),
                ("duration_seconds", "3600"),
                ("region", "us-east-1"),
            ],
        )
        .unwrap();
        assert_eq!(again, out);
    }

    #[test]
    fn a_nested_block_is_replaced_whole_and_others_are_kept() {
        let out = set_profile(FILE, "team", &[("s3", "none"), ("region", "eu-west-2")]).unwrap();
        assert!(
            out.contains(
                "source_profile = default\ns3 = none\nregion = eu-west-2\n\n[profile mfa]"
            ),
            "{out}"
        );
        let out = set_profile(FILE, "team", &[("region", "eu-west-2")]).unwrap();
        assert!(
            out.contains(
                "s3 =\n  max_concurrent_requests = 10\nregion = eu-west-2\n\n[profile mfa]"
            ),
            "{out}"
        );
    }

    #[test]
    fn an_indented_comment_after_a_setting_is_kept() {
        // Found by the aws_config fuzz target: the comment was taken for a continuation
        // of the setting before it, so a second run replaced it with that setting.
        let text = "[profile p]\nregion = x\n  # keep me\n";
        let out = set_profile(text, "p", &[("region", "y")]).unwrap();
        assert_eq!(out, "[profile p]\nregion = y\n  # keep me\n");
        let out = set_profile(text, "p", &[("output", "json")]).unwrap();
        assert_eq!(out, "[profile p]\nregion = x\noutput = json\n  # keep me\n");
        assert_eq!(set_profile(&out, "p", &[("output", "json")]).unwrap(), out);
    }

    #[test]
    fn default_crlf_and_no_final_newline() {
        let out = set_profile("[default]\r\nregion = x", "default", &[("output", "json")]).unwrap();
        assert_eq!(out, "[default]\r\nregion = x\r\noutput = json\r\n");
        let out = set_profile("", "p", &[("region", "x")]).unwrap();
        assert_eq!(out, "[profile p]\nregion = x\n");
        let out = set_profile("[profile p]", "p", &[("region", "x")]).unwrap();
        assert_eq!(out, "[profile p]\nregion = x\n");
    }

    #[test]
    fn secrets_and_bad_input_are_refused() {
        for key in FORBIDDEN_KEYS {
            assert_eq!(
                set_profile(FILE, "mfa", &[(key, "x")]),
                Err(ConfigError::Forbidden(key.to_string()))
            );
        }
        assert!(matches!(
            set_profile(FILE, "mfa", &[("region", "a\n[default]")]),
            Err(ConfigError::Value { .. })
        ));
        assert!(matches!(
            set_profile(FILE, "my profile", &[("region", "x")]),
            Err(ConfigError::ProfileName(_))
        ));
        let twice = "[profile a]\nregion = x\n[profile a]\nregion = y\n";
        assert!(matches!(
            set_profile(twice, "a", &[("region", "z")]),
            Err(ConfigError::Duplicate { count: 2, .. })
        ));
    }
}
