//! `iam.deactivate-mfa-device`: detaches an MFA device from its user.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{check_name, check_serial};
use crate::bind::action::{Action, AwsCli, Output, Problem};
use crate::run::context::{Context, Outcome, RunError};

pub struct DeactivateMfaDevice;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The IAM user the device belongs to.
    pub user: String,
    /// The device's serial number (ARN).
    pub serial_number: String,
}

impl Action for DeactivateMfaDevice {
    type Params = Params;
    const NAME: &'static str = "iam.deactivate-mfa-device";
    const SUMMARY: &'static str =
        "Deactivates an MFA device, so the user no longer signs in with it.";
    const MUTATING: bool = true;
    const OUTPUTS: &'static [Output] = &[];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("iam", "deactivate-mfa-device")
                .arg("--user-name", &params.user)
                .arg("--serial-number", &params.serial_number),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        [
            check_name("user", &params.user),
            check_serial("serial_number", &params.serial_number),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let user = ctx.text(&params.user)?;
        let serial = ctx.text(&params.serial_number)?;
        let assigned = ctx.wait("Checking the user's MFA devices…", |ctx| {
            ctx.iam().list_mfa_devices(Some(&user))
        })?;
        if !assigned.iter().any(|d| d.serial_number == serial) {
            return Ok(Outcome::new(format!(
                "{serial} is not active for {user}: nothing to deactivate"
            )));
        }
        // A dry run stops at the confirmation: what follows must know the device would be
        // deactivated by then.
        ctx.deactivation_shown(&user, &serial);
        ctx.confirm_change(&format!("deactivate {serial} for {user}"))?;
        ctx.wait("Deactivating the MFA device…", |ctx| {
            ctx.iam().deactivate_mfa_device(&user, &serial)
        })?;
        Ok(Outcome::new(format!("deactivated {serial}")).changed())
    }
}
