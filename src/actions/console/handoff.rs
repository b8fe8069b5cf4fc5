//! `console.handoff`: the user acts in the AWS console; the engine waits, then verifies.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::action::{Action, Output, OutputType, Problem};

pub struct Handoff;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The console page to open (default: the IAM security credentials page).
    pub url: Option<String>,
    /// What to verify through the API once the user is done.
    pub verify: Verify,
    /// The IAM user whose devices are polled for `security-key` and `virtual-mfa` (default: the caller).
    pub user: Option<String>,
    /// How long to wait for the change to show up, in seconds (default 600).
    pub timeout_seconds: Option<u32>,
    /// Seconds between polls (default 5).
    pub poll_seconds: Option<u32>,
}

/// The change the console step makes, and so what to poll for.
#[derive(Debug, Deserialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Verify {
    /// A new security key (`arn:aws:iam::<account>:u2f/…`) on the user, via `iam list-mfa-devices`.
    SecurityKey,
    /// A new virtual device on the user, via `iam list-mfa-devices`.
    VirtualMfa,
    /// The root user has MFA (`AccountMFAEnabled`), via `iam get-account-summary`.
    AccountMfa,
}

impl Action for Handoff {
    type Params = Params;
    const NAME: &'static str = "console.handoff";
    const SUMMARY: &'static str = "Hands a step to the AWS console, waits for the user, then polls the API until the change shows.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "serial_number",
            OutputType::String,
            "The new device's serial; empty for `account-mfa`.",
        ),
        Output::new(
            "enable_date",
            OutputType::Timestamp,
            "When the new device was enabled; empty for `account-mfa`.",
        ),
    ];

    fn check(params: &Params) -> Vec<Problem> {
        let mut problems = Vec::new();
        if let (Some(timeout), Some(poll)) = (params.timeout_seconds, params.poll_seconds)
            && poll > timeout
        {
            problems.push(Problem::new(
                "poll_seconds",
                "must not exceed `timeout_seconds`",
            ));
        }
        if params.timeout_seconds == Some(0) {
            problems.push(Problem::new("timeout_seconds", "must be at least 1 second"));
        }
        problems
    }
}
