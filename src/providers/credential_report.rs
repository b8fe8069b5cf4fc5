//! The IAM credential report (`iam get-credential-report`), parsed from its CSV into
//! typed records. AWS writes `N/A`, `not_supported` and `no_information` where a value
//! does not apply or is unknown; here they become `false` (flags) or an empty string
//! (dates). The row of the account's root user is `<root_account>`.

use serde::{Deserialize, Deserializer};

/// The user name AWS gives the root user's row.
pub const ROOT_ACCOUNT: &str = "<root_account>";

/// One row of the report: one IAM user, or the root user.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CredentialRecord {
    /// The user name; [`ROOT_ACCOUNT`] for the root user.
    pub user: String,
    pub arn: String,
    /// RFC 3339; empty if unknown.
    #[serde(deserialize_with = "date")]
    pub user_creation_time: String,
    /// The user has a console password (`not_supported` for the root user: `false`).
    #[serde(deserialize_with = "flag")]
    pub password_enabled: bool,
    /// RFC 3339; empty when never used, unknown or not applicable.
    #[serde(deserialize_with = "date")]
    pub password_last_used: String,
    #[serde(deserialize_with = "date")]
    pub password_last_changed: String,
    #[serde(deserialize_with = "flag")]
    pub mfa_active: bool,
    #[serde(deserialize_with = "flag")]
    pub access_key_1_active: bool,
    #[serde(deserialize_with = "date")]
    pub access_key_1_last_used_date: String,
    #[serde(deserialize_with = "flag")]
    pub access_key_2_active: bool,
    #[serde(deserialize_with = "date")]
    pub access_key_2_last_used_date: String,
    #[serde(deserialize_with = "flag")]
    pub cert_1_active: bool,
    #[serde(deserialize_with = "flag")]
    pub cert_2_active: bool,
}

impl CredentialRecord {
    pub fn is_root(&self) -> bool {
        self.user == ROOT_ACCOUNT
    }

    /// How many of the user's two access keys are active.
    pub fn active_access_keys(&self) -> usize {
        usize::from(self.access_key_1_active) + usize::from(self.access_key_2_active)
    }
}

/// A report that is not the CSV IAM documents.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the credential report could not be read (line {line}): {message}")]
pub struct ReportError {
    pub line: u64,
    pub message: String,
}

/// Every row of the report, in its order.
pub fn parse(csv_text: &str) -> Result<Vec<CredentialRecord>, ReportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    reader
        .deserialize::<CredentialRecord>()
        .map(|row| {
            row.map_err(|error| ReportError {
                line: error.position().map_or(1, csv::Position::line),
                message: match error.kind() {
                    csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
                    _ => error.to_string(),
                },
            })
        })
        .collect()
}

/// `true`/`false`; the words AWS uses for "does not apply" are `false`.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.as_str() {
        "true" | "TRUE" | "True" => Ok(true),
        "false" | "FALSE" | "False" | "N/A" | "not_supported" | "no_information" | "" => Ok(false),
        other => Err(serde::de::Error::custom(format!(
            "`{other}` is not true, false, N/A, not_supported or no_information"
        ))),
    }
}

/// A date, or empty for the words AWS uses when there is none.
fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.as_str() {
        "N/A" | "not_supported" | "no_information" | "" => Ok(String::new()),
        _ if looks_like_a_date(&text) => Ok(text),
        other => Err(serde::de::Error::custom(format!(
            "`{other}` is not a date, N/A, not_supported or no_information"
        ))),
    }
}

/// `YYYY-MM-DDTHH:MM:SS…`, as IAM writes them.
fn looks_like_a_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 19
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
            .iter()
            .all(|&i| bytes[i].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    /// A report in the format real AWS writes (root row, `not_supported`, `N/A`,
    /// `no_information`), captured in tests/fixtures/credential-report/aws.csv.
    #[test]
    fn an_aws_report_parses_with_its_placeholders() {
        let rows = parse(include_str!(
            "../../tests/fixtures/credential-report/aws.csv"
        ))
        .unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r.user.as_str()).collect();
        assert_eq!(names, ["<root_account>", "alice", "bob", "ci-deploy"]);
        let root = &rows[0];
        assert!(root.is_root());
        assert!(!root.password_enabled, "not_supported is false");
        assert_eq!(root.password_last_used, "2024-05-01T08:12:44+00:00");
        assert_eq!(root.password_last_changed, "", "not_supported is empty");
        assert!(!root.mfa_active);
        let alice = &rows[1];
        assert!(!alice.is_root());
        assert!(alice.password_enabled && alice.mfa_active);
        assert_eq!(alice.active_access_keys(), 1);
        assert_eq!(
            alice.access_key_1_last_used_date,
            "2024-05-02T13:00:00+00:00"
        );
        let bob = &rows[2];
        assert!(bob.password_enabled && !bob.mfa_active);
        assert_eq!(bob.password_last_used, "", "no_information is empty");
        assert_eq!(bob.arn, "arn:aws:iam::123456789012:user/ops/bob");
        let ci = &rows[3];
        assert!(!ci.password_enabled);
        assert_eq!(ci.password_last_used, "", "N/A is empty");
        assert_eq!(ci.active_access_keys(), 2);
        assert_eq!(ci.access_key_2_last_used_date, "");
    }

    #[test]
    fn a_bad_flag_names_its_line_and_value() {
        let text = format!(
            "{HEADER}\nbob,arn:aws:iam::123456789012:user/bob,2024-01-01T00:00:00+00:00,maybe,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
        );
        let error = parse(&text).unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("`maybe`"), "{error}");
    }

    #[test]
    fn a_missing_column_is_an_error() {
        let error = parse("user,arn\nbob,arn:aws:iam::123456789012:user/bob\n").unwrap_err();
        assert!(
            error.message.contains("missing field `user_creation_time`"),
            "{error}"
        );
    }

    #[test]
    fn a_report_of_only_a_header_has_no_rows() {
        assert_eq!(parse(&format!("{HEADER}\n")).unwrap(), vec![]);
    }

    #[test]
    fn dates_are_checked() {
        assert!(looks_like_a_date("2024-01-01T00:00:00+00:00"));
        assert!(!looks_like_a_date("yesterday"));
        assert!(!looks_like_a_date("2024-01-01"));
    }
}
