//! `iam.get-account-summary`: account-wide counts, including whether root has MFA.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, AwsCli, Output, OutputType};
use crate::run::context::{Context, Outcome, RunError};

pub struct GetAccountSummary;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Action for GetAccountSummary {
    type Params = Params;
    const NAME: &'static str = "iam.get-account-summary";
    const SUMMARY: &'static str =
        "Reads the account summary: whether the root user has MFA, and MFA device counts.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "account_mfa_enabled",
            OutputType::Boolean,
            "Whether the root user has an MFA device (`AccountMFAEnabled`).",
        ),
        Output::new(
            "mfa_devices",
            OutputType::Integer,
            "MFA devices in the account (`MFADevices`).",
        ),
        Output::new(
            "mfa_devices_in_use",
            OutputType::Integer,
            "MFA devices assigned to users (`MFADevicesInUse`).",
        ),
    ];

    fn aws_cli(_: &Params) -> Option<AwsCli> {
        Some(AwsCli::new("iam", "get-account-summary"))
    }

    fn run(_: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let summary = ctx.wait("Reading the account summary…", |ctx| {
            ctx.iam().get_account_summary()
        })?;
        let root = if summary.account_mfa_enabled {
            "has"
        } else {
            "does not have"
        };
        Ok(Outcome::new(format!(
            "the root user {root} MFA; {} of {} MFA devices in use",
            summary.mfa_devices_in_use, summary.mfa_devices
        ))
        .output("account_mfa_enabled", summary.account_mfa_enabled)
        .output("mfa_devices", summary.mfa_devices)
        .output("mfa_devices_in_use", summary.mfa_devices_in_use))
    }
}
