//! `iam.delete-virtual-mfa-device`: deletes an unassigned virtual device.

use schemars::JsonSchema;
use serde::Deserialize;

use super::check_serial;
use crate::action::{Action, AwsCli, Output, Problem};

pub struct DeleteVirtualMfaDevice;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The device's serial number (ARN). An assigned device is never deleted: deactivate it first.
    pub serial_number: String,
}

impl Action for DeleteVirtualMfaDevice {
    type Params = Params;
    const NAME: &'static str = "iam.delete-virtual-mfa-device";
    const SUMMARY: &'static str = "Deletes a virtual MFA device that is not assigned to any user.";
    const MUTATING: bool = true;
    const OUTPUTS: &'static [Output] = &[];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("iam", "delete-virtual-mfa-device")
                .arg("--serial-number", &params.serial_number),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        check_serial("serial_number", &params.serial_number)
            .into_iter()
            .collect()
    }
}
