//! `iam.get-account-summary`: account-wide counts, including whether root has MFA.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::action::{Action, AwsCli, Output, OutputType};

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
}
