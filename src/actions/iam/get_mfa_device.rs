//! `iam.get-mfa-device`: details of one device, e.g. a security key's FIDO certification.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{check_name, check_serial};
use crate::bind::action::{Action, AwsCli, Output, OutputType, Problem};
use crate::providers::ErrorKind;
use crate::run::context::{Context, Outcome, RunError};

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

    /// Where the service lacks GetMFADevice (the local emulator), says so and goes on.
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let serial = ctx.text(&params.serial_number)?;
        let user = ctx.opt_text(params.user.as_ref())?;
        match ctx.wait("Reading the device's details…", |ctx| {
            ctx.iam().get_mfa_device(&serial, user.as_deref())
        }) {
            Ok(details) => {
                let certifications = details.certifications.join(", ");
                // In the sandbox and in `runbook test`, a labelled stand-in answers.
                let by = match ctx.iam().stand_in("GetMFADevice") {
                    Some(label) => format!("{label} "),
                    None => String::new(),
                };
                let note = if certifications.is_empty() {
                    format!("{by}{serial}, enabled {}", details.enable_date)
                } else {
                    format!(
                        "{by}{serial}, enabled {}, certified {certifications}",
                        details.enable_date
                    )
                };
                Ok(Outcome::new(note)
                    .output("serial_number", details.serial_number)
                    .output("user_name", details.user_name)
                    .output("enable_date", details.enable_date)
                    .output("certifications", certifications))
            }
            Err(error) if error.kind == ErrorKind::NotImplemented => {
                let reason = "this AWS endpoint does not implement GetMFADevice";
                Ok(
                    Outcome::new(format!("details not available: {reason} (real AWS does)"))
                        .output("serial_number", serial)
                        .unavailable("user_name", reason)
                        .unavailable("enable_date", reason)
                        .unavailable("certifications", reason),
                )
            }
            Err(error) => Err(error.into()),
        }
    }
}
