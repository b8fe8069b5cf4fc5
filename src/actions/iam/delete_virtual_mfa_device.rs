//! `iam.delete-virtual-mfa-device`: deletes an unassigned virtual device.

use schemars::JsonSchema;
use serde::Deserialize;

use super::check_serial;
use crate::bind::action::{Action, AwsCli, Output, Problem};
use crate::providers::Assignment;
use crate::run::context::{Context, Outcome, RunError};

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

    /// Never deletes an assigned device: that must be deactivated first, on purpose. A dry
    /// run shows the deletion of a device it showed it would deactivate earlier.
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let serial = ctx.text(&params.serial_number)?;
        let devices = ctx.wait("Looking up the device…", |ctx| {
            ctx.iam().list_virtual_mfa_devices(Assignment::Any)
        })?;
        let Some(device) = devices.iter().find(|d| d.serial_number == serial) else {
            return Ok(Outcome::new(format!(
                "{serial} does not exist: nothing to delete"
            )));
        };
        let what = match &device.user_name {
            None => format!("delete the unassigned {serial}"),
            // A dry run showed the deactivation but did not make it; a real run would have
            // by now. Shown as it would run: `confirm_change` stops a dry run.
            Some(user) if ctx.would_be_deactivated(user, &serial) => {
                format!("delete {serial} once the deactivation above is made")
            }
            Some(user) => {
                return Err(RunError::failed(
                    format!(
                        "{serial} is assigned to {user}; runbook never deletes an assigned device"
                    ),
                    "deactivate it first with `iam.deactivate-mfa-device`",
                ));
            }
        };
        ctx.confirm_change(&what)?;
        ctx.wait("Deleting the virtual MFA device…", |ctx| {
            ctx.iam().delete_virtual_mfa_device(&serial)
        })?;
        ctx.deleted_device(&serial)?;
        Ok(Outcome::new(format!("deleted {serial}")).changed())
    }
}
