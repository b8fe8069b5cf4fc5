//! `sts.get-session-token`: proves a virtual MFA device works by signing in with a code.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::actions::iam::{check_code, check_serial};
use crate::bind::action::{Action, AwsCli, Output, OutputType, Problem};
use crate::parse::template::SecretTemplate;
use crate::run::context::{Context, Outcome, RunError};

pub struct GetSessionToken;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The ARN of the virtual MFA device (`arn:aws:iam::<account>:mfa/<name>`).
    pub serial_number: String,
    /// A current code from the device; a code cannot be reused within its 30-second window.
    pub code: SecretTemplate,
    /// How long the temporary credentials last, 900 to 129600 seconds (default 900).
    pub duration_seconds: Option<u32>,
}

impl Action for GetSessionToken {
    type Params = Params;
    const NAME: &'static str = "sts.get-session-token";
    const SUMMARY: &'static str =
        "Requests temporary credentials with an MFA code, proving the device works at sign-in.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "expiration",
            OutputType::Timestamp,
            "When the temporary credentials expire.",
        ),
        Output::new(
            "access_key_id",
            OutputType::String,
            "The temporary access key id (not a secret on its own).",
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
            AwsCli::new("sts", "get-session-token")
                .arg("--serial-number", &params.serial_number)
                .arg("--token-code", &params.code.0)
                .opt(
                    "--duration-seconds",
                    params.duration_seconds.map(|s| s.to_string()),
                ),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        let mut problems: Vec<Problem> = [
            check_serial("serial_number", &params.serial_number),
            check_code("code", &params.code.0),
        ]
        .into_iter()
        .flatten()
        .collect();
        if let Some(seconds) = params.duration_seconds
            && !(900..=129_600).contains(&seconds)
        {
            problems.push(Problem::new(
                "duration_seconds",
                format!("{seconds} is outside 900 to 129600 seconds"),
            ));
        }
        problems
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let serial = ctx.text(&params.serial_number)?;
        let code = ctx.secret(&params.code)?;
        let token = ctx.wait("Signing in with the MFA code…", |ctx| {
            ctx.sts()
                .get_session_token(&serial, &code, params.duration_seconds)
        })?;
        Ok(Outcome::new(format!(
            "signed in with {serial}: temporary credentials until {} (a security key works only at console sign-in, not with the CLI or API)",
            token.expiration
        ))
        .output("expiration", token.expiration)
        .output("access_key_id", token.access_key_id)
        .secret("secret_access_key", token.secret_access_key)
        .secret("session_token", token.session_token))
    }
}
