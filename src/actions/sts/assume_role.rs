//! `sts.assume-role`: takes on a role for an hour or so, signing in with an MFA code.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::actions::iam::{check_code, check_serial};
use crate::bind::action::{Action, AwsCli, Output, OutputType, Problem};
use crate::parse::template::{self, SecretTemplate};
use crate::providers::AssumeRoleRequest;
use crate::run::context::{Context, Outcome, RunError};

pub struct AssumeRole;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The ARN of the role to assume (`arn:aws:iam::<account>:role/<name>`).
    pub role_arn: String,
    /// A name for the session, shown in CloudTrail and in the assumed role's ARN: 2 to 64
    /// letters, digits or `+=,.@-`.
    pub session_name: String,
    /// The ARN of the virtual MFA device the role's trust policy asks for
    /// (`arn:aws:iam::<account>:mfa/<name>`); give `code` with it.
    pub serial_number: Option<String>,
    /// A current code from that device; a code cannot be reused within its 30-second window.
    pub code: Option<SecretTemplate>,
    /// How long the temporary credentials last, 900 to 43200 seconds (default 3600; the
    /// role's maximum session duration caps it).
    pub duration_seconds: Option<u32>,
}

impl Action for AssumeRole {
    type Params = Params;
    const NAME: &'static str = "sts.assume-role";
    const SUMMARY: &'static str = "Assumes an IAM role, with an MFA code when given, proving the role and the device work together.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "arn",
            OutputType::String,
            "The assumed role's ARN (`arn:aws:sts::<account>:assumed-role/<role>/<session>`).",
        ),
        Output::new(
            "access_key_id",
            OutputType::String,
            "The temporary access key id (not a secret on its own).",
        ),
        Output::new(
            "expiration",
            OutputType::Timestamp,
            "When the temporary credentials expire.",
        ),
        Output::secret(
            "secret_access_key",
            "The temporary secret access key: held in memory only, for actions that accept secrets.",
        ),
        Output::secret(
            "session_token",
            "The session token: held in memory only, for actions that accept secrets.",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("sts", "assume-role")
                .arg("--role-arn", &params.role_arn)
                .arg("--role-session-name", &params.session_name)
                .opt("--serial-number", params.serial_number.clone())
                .opt("--token-code", params.code.as_ref().map(|c| c.0.clone()))
                .opt(
                    "--duration-seconds",
                    params.duration_seconds.map(|s| s.to_string()),
                ),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        let mut problems: Vec<Problem> = [
            check_role_arn("role_arn", &params.role_arn),
            check_session_name("session_name", &params.session_name),
            params
                .serial_number
                .as_deref()
                .and_then(|serial| check_serial("serial_number", serial)),
            params
                .code
                .as_ref()
                .and_then(|code| check_code("code", &code.0)),
        ]
        .into_iter()
        .flatten()
        .collect();
        match (&params.serial_number, &params.code) {
            (Some(_), None) => problems.push(
                Problem::new("serial_number", "`serial_number` is given without `code`")
                    .help("add `code = \"{{ code.code }}\"` (e.g. from `totp.read-code`): AWS needs both, or neither"),
            ),
            (None, Some(_)) => problems.push(
                Problem::new("code", "`code` is given without `serial_number`")
                    .help("add the MFA device's ARN as `serial_number`: AWS needs both, or neither"),
            ),
            _ => {}
        }
        if let Some(seconds) = params.duration_seconds
            && !(900..=43_200).contains(&seconds)
        {
            problems.push(
                Problem::new(
                    "duration_seconds",
                    format!("{seconds} is outside 900 to 43200 seconds"),
                )
                .help("AWS allows 900 (15 minutes) to 43200 (12 hours); the role's maximum session duration may cap it lower"),
            );
        }
        problems
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let role_arn = ctx.text(&params.role_arn)?;
        let session_name = ctx.text(&params.session_name)?;
        let serial = ctx.opt_text(params.serial_number.as_ref())?;
        let code = params.code.as_ref().map(|c| ctx.secret(c)).transpose()?;
        let mfa = serial.as_deref().zip(code.as_ref());
        let request = AssumeRoleRequest {
            role_arn: &role_arn,
            session_name: &session_name,
            mfa,
            duration_seconds: params.duration_seconds,
        };
        let role = ctx.wait("Assuming the role…", |ctx| {
            ctx.sts().assume_role(&request)
        })?;
        let with = match &serial {
            Some(serial) => format!(" with {serial}"),
            None => String::new(),
        };
        Ok(Outcome::new(format!(
            "assumed {role_arn}{with} as {}: temporary credentials until {} (not shown, not kept)",
            role.arn, role.credentials.expiration
        ))
        .output("arn", role.arn)
        .output("access_key_id", role.credentials.access_key_id)
        .output("expiration", role.credentials.expiration)
        .secret("secret_access_key", role.credentials.secret_access_key)
        .secret("session_token", role.credentials.session_token))
    }
}

/// A role ARN: `arn:<partition>:iam::<12-digit account>:role/<path/>name`.
pub fn check_role_arn(param: &'static str, value: &str) -> Option<Problem> {
    if template::is_template(value) {
        return None;
    }
    let valid = value.split_once(":iam::").is_some_and(|(prefix, rest)| {
        prefix.starts_with("arn:")
            && rest.split_once(":role/").is_some_and(|(account, name)| {
                account.len() == 12
                    && account.bytes().all(|b| b.is_ascii_digit())
                    && !name.is_empty()
                    && !name.ends_with('/')
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
            })
    });
    (!valid).then(|| {
        Problem::new(param, format!("`{value}` is not an IAM role ARN"))
            .help("write it as `arn:aws:iam::<12-digit account>:role/<name>`, e.g. `arn:aws:iam::{{ me.account }}:role/Admin`")
    })
}

/// AWS's rule for session names: 2 to 64 of letters, digits and `+=,.@-`.
fn check_session_name(param: &'static str, value: &str) -> Option<Problem> {
    if template::is_template(value) {
        return None;
    }
    let valid = (2..=64).contains(&value.chars().count())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c));
    (!valid).then(|| {
        Problem::new(
            param,
            format!("`{value}` is not a valid session name: use 2 to 64 letters, digits or `+=,.@_-` (no spaces)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_are_checked() {
        assert!(check_role_arn("role_arn", "arn:aws:iam::123456789012:role/Admin").is_none());
        assert!(check_role_arn("role_arn", "arn:aws:iam::123456789012:role/team/Admin").is_none());
        assert!(check_role_arn("role_arn", "arn:aws:iam::{{ me.account }}:role/x").is_none());
        assert!(check_role_arn("role_arn", "arn:aws:iam::12345:role/Admin").is_some());
        assert!(check_role_arn("role_arn", "arn:aws:iam::123456789012:user/alice").is_some());
        assert!(check_role_arn("role_arn", "Admin").is_some());
    }

    #[test]
    fn session_names_follow_sts_rules() {
        assert!(check_session_name("session_name", "alice-cli").is_none());
        assert!(check_session_name("session_name", "a").is_some());
        assert!(check_session_name("session_name", "alice cli").is_some());
    }
}
