//! `iam.resync-mfa-device`: brings a device whose clock drifted back in sync.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{check_code, check_name, check_serial};
use crate::bind::action::{Action, AwsCli, Output, Problem};
use crate::parse::template::SecretTemplate;
use crate::run::context::{Context, Outcome, RunError};

pub struct ResyncMfaDevice;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The IAM user the device belongs to.
    pub user: String,
    /// The device's serial number (ARN).
    pub serial_number: String,
    /// A current code from the device.
    pub code1: SecretTemplate,
    /// The next code from the device.
    pub code2: SecretTemplate,
}

impl Action for ResyncMfaDevice {
    type Params = Params;
    const NAME: &'static str = "iam.resync-mfa-device";
    const SUMMARY: &'static str =
        "Resynchronises an MFA device with AWS using two consecutive codes.";
    const MUTATING: bool = true;
    const OUTPUTS: &'static [Output] = &[];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("iam", "resync-mfa-device")
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

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let user = ctx.text(&params.user)?;
        let serial = ctx.text(&params.serial_number)?;
        let code1 = ctx.secret(&params.code1)?;
        let code2 = ctx.secret(&params.code2)?;
        ctx.confirm_change(&format!("resynchronise {serial} for {user}"))?;
        ctx.wait("Resynchronising the MFA device…", |ctx| {
            ctx.iam().resync_mfa_device(&user, &serial, &code1, &code2)
        })?;
        // In the sandbox and in `runbook test`, a labelled stand-in answers (moto lacks the call).
        let by = match ctx.iam().stand_in("ResyncMFADevice") {
            Some(label) => format!("{label} "),
            None => String::new(),
        };
        Ok(Outcome::new(format!("{by}resynchronised {serial}")).changed())
    }
}
