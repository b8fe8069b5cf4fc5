//! What the managed-policy actions share: IAM's rules for policy names, paths, group
//! names and policy ARNs (checked by `runbook check` when written literally), and the facts
//! read from a policy document.

use crate::bind::action::Problem;
use crate::parse::template;

/// IAM's rule for policy and group names: 1 to 128 letters, digits or `+=,.@_-`.
pub fn check_long_name(param: &'static str, value: &str) -> Option<Problem> {
    super::check_name_of_length(param, value, 128)
}

/// IAM paths: `/`, or `/` + segments each ending in `/` (`/security/`), at most 512
/// printable ASCII characters.
pub fn check_path(param: &'static str, value: &str) -> Option<Problem> {
    if template::is_template(value) {
        return None;
    }
    let valid = value.len() <= 512
        && value.starts_with('/')
        && value.ends_with('/')
        && !value.contains("//")
        && value.chars().all(|c| c.is_ascii_graphic());
    (!valid).then(|| {
        Problem::new(
            param,
            format!("`{value}` is not an IAM path: write `/` or `/name/` (start and end with `/`)"),
        )
    })
}

/// A managed policy's ARN: `arn:aws:iam::<account>:policy/<path><name>` (or
/// `arn:aws:iam::aws:policy/…` for an AWS managed policy).
pub fn check_policy_arn(param: &'static str, value: &str) -> Option<Problem> {
    if template::is_template(value) {
        return None;
    }
    let valid = value.starts_with("arn:aws")
        && value.contains(":iam::")
        && value.contains(":policy/")
        && value.len() <= 2048
        && value.chars().all(|c| c.is_ascii_graphic());
    (!valid).then(|| {
        Problem::new(
            param,
            format!("`{value}` is not a managed policy ARN (`arn:aws:iam::<account>:policy/<name>`)"),
        )
        .help("use the `arn` output of `iam.create-policy` or `iam.get-policy`, e.g. `{{ policy.arn }}`")
    })
}

/// IAM's rule for a policy description: at most 1,000 characters, from tab, newlines,
/// printable ASCII and Latin-1 (`[\t\n\r\u0020-\u007E\u00A1-\u00FF]`): a typographic
/// apostrophe (`’`) is refused by AWS.
pub fn check_description(param: &'static str, value: &str) -> Option<Problem> {
    if template::is_template(value) {
        return None;
    }
    if value.chars().count() > 1000 {
        return Some(Problem::new(
            param,
            "a policy description is at most 1,000 characters",
        ));
    }
    let allowed =
        |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{A1}'..='\u{FF}');
    let (at, bad) = value.char_indices().find(|(_, c)| !allowed(*c))?;
    Some(
        Problem::new(
            param,
            format!("IAM does not accept {bad:?} in a policy description"),
        )
        .within(at..at + bad.len_utf8())
        .help("use plain ASCII (or Latin-1) characters, e.g. ' for ’"),
    )
}

/// A policy version id: `v1`, `v2`, …
pub fn check_version_id(param: &'static str, value: &str) -> Option<Problem> {
    if template::is_template(value) {
        return None;
    }
    let valid = value.strip_prefix('v').is_some_and(|n| {
        !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && !n.starts_with('0')
    });
    (!valid).then(|| {
        Problem::new(
            param,
            format!("`{value}` is not a policy version id (`v1`, `v2`, …)"),
        )
        .help("use `{{ policy.default_version_id }}` from `iam.get-policy`")
    })
}

/// A document parameter names a block of the guide: a literal id, never a template.
pub fn check_document(param: &'static str, value: &str) -> Option<Problem> {
    let valid = !value.is_empty() && !template::is_template(value);
    (!valid).then(|| {
        Problem::new(
            param,
            format!("`{value}` does not name a document block"),
        )
        .help("write the id of a ```json id=NAME block of the guide, e.g. `document = \"require-mfa-policy\"`")
    })
}

/// The facts of a policy document the guides check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The policy language version, `2012-10-17`.
    pub version: String,
    pub statement_count: usize,
    /// A `Deny` statement under `BoolIfExists` `aws:MultiFactorAuthPresent` `false`:
    /// AWS's pattern for "nothing without MFA".
    pub denies_without_mfa: bool,
}

pub fn facts(document: &serde_json::Value) -> Facts {
    let statements: Vec<&serde_json::Value> = match &document["Statement"] {
        serde_json::Value::Array(items) => items.iter().collect(),
        serde_json::Value::Object(_) => vec![&document["Statement"]],
        _ => Vec::new(),
    };
    let denies_without_mfa = statements.iter().any(|statement| {
        statement["Effect"] == "Deny"
            && statement["Condition"]["BoolIfExists"]
                .as_object()
                .and_then(|conditions| {
                    conditions
                        .iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent"))
                })
                .is_some_and(|(_, value)| is_false(value))
    });
    Facts {
        version: document["Version"].as_str().unwrap_or("").to_string(),
        statement_count: statements.len(),
        denies_without_mfa,
    }
}

fn is_false(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.eq_ignore_ascii_case("false"),
        serde_json::Value::Bool(value) => !value,
        serde_json::Value::Array(items) => items.iter().any(is_false),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_names_paths_and_arns_follow_iam_rules() {
        assert!(check_long_name("name", "RequireMFA").is_none());
        assert!(check_long_name("name", "Require MFA").is_some());
        assert!(check_long_name("name", &"x".repeat(129)).is_some());
        assert!(check_path("path", "/").is_none());
        assert!(check_path("path", "/security/").is_none());
        assert!(check_path("path", "security").is_some());
        assert!(check_path("path", "/a//b/").is_some());
        assert!(
            check_policy_arn("policy_arn", "arn:aws:iam::123456789012:policy/RequireMFA").is_none()
        );
        assert!(check_policy_arn("policy_arn", "{{ policy.arn }}").is_none());
        assert!(check_policy_arn("policy_arn", "RequireMFA").is_some());
        assert!(check_document("document", "require-mfa-policy").is_none());
        assert!(check_document("document", "{{ x }}").is_some());
        assert!(check_description("description", "Denies all but MFA set-up").is_none());
        let curly = check_description("description", "one’s own").unwrap();
        assert_eq!(curly.within, Some(3..6));
        assert!(check_description("description", &"x".repeat(1001)).is_some());
        assert!(check_version_id("version_id", "v12").is_none());
        assert!(check_version_id("version_id", "{{ p.default_version_id }}").is_none());
        assert!(check_version_id("version_id", "1").is_some());
        assert!(check_version_id("version_id", "v0").is_some());
    }

    #[test]
    fn the_mfa_pattern_is_recognised() {
        let document = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "iam:ListMFADevices", "Resource": "*"},
                {"Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*",
                 "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
            ]
        });
        assert_eq!(
            facts(&document),
            Facts {
                version: "2012-10-17".into(),
                statement_count: 2,
                denies_without_mfa: true
            }
        );
        let allow_only = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
        });
        assert!(!facts(&allow_only).denies_without_mfa);
        assert_eq!(facts(&allow_only).statement_count, 1);
    }
}
