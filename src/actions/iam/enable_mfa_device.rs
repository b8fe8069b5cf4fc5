//! `iam.enable-mfa-device`: assigns the virtual device to the user with two consecutive codes.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{check_code, check_name, check_serial};
use crate::bind::action::{Action, AwsCli, Output, OutputType, Problem};
use crate::parse::template::SecretTemplate;
use crate::run::context::{Context, Outcome, RunError};

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

    /// Idempotent: a device already enabled for the user is left alone, without
    /// touching the codes. If enabling fails, the run's cleanup deletes the device this
    /// run created.
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let user = ctx.text(&params.user)?;
        let serial = ctx.text(&params.serial_number)?;
        let assigned = ctx.wait("Checking the user's MFA devices…", |ctx| {
            ctx.iam().list_mfa_devices(Some(&user))
        })?;
        if let Some(device) = assigned.iter().find(|d| d.serial_number == serial) {
            ctx.enabled_device(&serial)?;
            return Ok(
                Outcome::new(format!("{serial} is already enabled for {user}"))
                    .output("serial_number", serial)
                    .output("enable_date", device.enable_date.clone()),
            );
        }
        let code1 = ctx.secret(&params.code1)?;
        let code2 = ctx.secret(&params.code2)?;
        ctx.confirm_change(&format!("enable {serial} for {user} with the two codes"))?;
        ctx.pending(&format!("enable {serial}"))?;
        ctx.wait("Enabling the MFA device…", |ctx| {
            ctx.iam().enable_mfa_device(&user, &serial, &code1, &code2)
        })?;
        // Believe the listing, not the answer: a garbled or forged success must not mark
        // the device enabled (and spare it from the cleanup of unenabled devices).
        let listed = ctx.wait("Checking the device is enabled…", |ctx| {
            ctx.iam().list_mfa_devices(Some(&user))
        })?;
        let Some(device) = listed.into_iter().find(|d| d.serial_number == serial) else {
            return Err(RunError::failed(
                format!(
                    "AWS answered that {serial} was enabled, but it is not among {user}'s MFA devices"
                ),
                "run again: the device this run created is deleted and set up anew; if this keeps happening, check --endpoint-url and any proxy in between",
            ));
        };
        ctx.enabled_device(&serial)?;
        let enable_date = device.enable_date;
        Ok(Outcome::new(format!("enabled {serial} for {user}"))
            .changed()
            .output("serial_number", serial)
            .output("enable_date", enable_date))
    }
}
