//! `iam.get-mfa-device`: details of one device, e.g. a security key's FIDO certification.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{check_name, check_serial};
use crate::action::{Action, AwsCli, Output, OutputType, Problem};

pub struct GetMfaDevice;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The device's serial number (ARN).
    pub serial_number: String,
    /// The IAM user the device belongs to (default: the caller).
    pub user: Option<String>,
}

impl Action for GetMfaDevice {
    type Params = Params;
    const NAME: &'static str = "iam.get-mfa-device";
    const SUMMARY: &'static str =
        "Shows an MFA device's details, including a security key's FIDO certifications.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "serial_number",
            OutputType::String,
            "The device's serial number.",
        ),
        Output::new(
            "user_name",
            OutputType::String,
            "The user the device is assigned to.",
        ),
        Output::new(
            "enable_date",
            OutputType::Timestamp,
            "When the device was enabled.",
        ),
        Output::new(
            "certifications",
            OutputType::String,
            "Certifications such as `FIDO: L1`, comma-separated; empty when none or unknown.",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("iam", "get-mfa-device")
                .arg("--serial-number", &params.serial_number)
                .opt("--user-name", params.user.as_ref()),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        let user = params
            .user
            .as_deref()
            .and_then(|user| check_name("user", user));
        [check_serial("serial_number", &params.serial_number), user]
            .into_iter()
            .flatten()
            .collect()
    }
}
