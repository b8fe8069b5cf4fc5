//! `iam.enable-mfa-device`: assigns the virtual device to the user with two consecutive codes.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{check_code, check_name, check_serial};
use crate::action::{Action, AwsCli, Output, OutputType, Problem};
use crate::template::SecretTemplate;

pub struct EnableMfaDevice;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The IAM user to enable the device for.
    pub user: String,
    /// The device's serial number (ARN).
    pub serial_number: String,
    /// The first code (30-second window T).
    pub code1: SecretTemplate,
    /// The second code, from the next window (T+1).
    pub code2: SecretTemplate,
}

impl Action for EnableMfaDevice {
    type Params = Params;
    const NAME: &'static str = "iam.enable-mfa-device";
    const SUMMARY: &'static str = "Enables the MFA device for the user with two consecutive codes; a failure deletes the device just created.";
    const MUTATING: bool = true;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "serial_number",
            OutputType::String,
            "The serial number of the enabled device.",
        ),
        Output::new(
            "enable_date",
            OutputType::Timestamp,
            "When the device was enabled.",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("iam", "enable-mfa-device")
                .arg("--user-name", &params.user)
                .arg("--serial-number", &params.serial_number)
                .arg("--authentication-code1", &params.code1.0)
                .arg("--authentication-code2", &params.code2.0),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        [
            check_name("user", &params.user),
            check_serial("serial_number", &params.serial_number),
            check_code("code1", &params.code1.0),
            check_code("code2", &params.code2.0),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
