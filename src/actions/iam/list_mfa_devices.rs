//! `iam.list-mfa-devices`: the MFA devices assigned to a user, virtual and security keys.

use schemars::JsonSchema;
use serde::Deserialize;

use super::check_name;
use crate::bind::action::{Action, AwsCli, Field, Output, OutputType, Problem};
use crate::run::context::{Context, Outcome, RunError};

pub struct ListMfaDevices;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The IAM user (default: the caller).
    pub user: Option<String>,
}

impl Action for ListMfaDevices {
    type Params = Params;
    const NAME: &'static str = "iam.list-mfa-devices";
    const SUMMARY: &'static str =
        "Lists the MFA devices assigned to a user, counting virtual devices and security keys.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::list(
            "devices",
            &[
                Field::new("serial_number", OutputType::String, "The device's ARN."),
                Field::new(
                    "kind",
                    OutputType::String,
                    "`virtual`, `security-key` or `hardware`.",
                ),
                Field::new("enable_date", OutputType::Timestamp, "When it was enabled."),
            ],
            "Each device's `serial_number`, `kind` (`virtual`, `security-key` or `hardware`) and `enable_date`.",
        ),
        Output::new(
            "count",
            OutputType::Integer,
            "How many devices are assigned (AWS allows 8 per user).",
        ),
        Output::new(
            "virtual_count",
            OutputType::Integer,
            "How many are virtual devices (`arn:…:mfa/…`).",
        ),
        Output::new(
            "security_key_count",
            OutputType::Integer,
            "How many are FIDO security keys (`arn:…:u2f/…`).",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(AwsCli::new("iam", "list-mfa-devices").opt("--user-name", params.user.as_ref()))
    }

    fn check(params: &Params) -> Vec<Problem> {
        params
            .user
            .as_deref()
            .and_then(|user| check_name("user", user))
            .into_iter()
            .collect()
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let user = ctx.opt_text(params.user.as_ref())?;
        let devices = ctx.wait("Listing MFA devices…", |ctx| {
            ctx.iam().list_mfa_devices(user.as_deref())
        })?;
        let count = |kind: &str| {
            devices
                .iter()
                .filter(|d| super::device_kind(&d.serial_number) == kind)
                .count()
        };
        let (virtual_count, keys) = (count("virtual"), count("security-key"));
        let list: Vec<serde_json::Value> = devices
            .iter()
            .map(|d| {
                serde_json::json!({
                    "serial_number": d.serial_number,
                    "kind": super::device_kind(&d.serial_number),
                    "enable_date": d.enable_date,
                })
            })
            .collect();
        for device in &devices {
            let kind = super::device_kind(&device.serial_number);
            ctx.ui().detail(&format!(
                "{} ({kind}, enabled {})",
                device.serial_number, device.enable_date
            ));
        }
        let whose = user.as_deref().unwrap_or("the caller");
        Ok(Outcome::new(format!(
            "{whose} has {} MFA device(s): {virtual_count} virtual, {keys} security key(s)",
            devices.len()
        ))
        .output("devices", list)
        .output("count", devices.len())
        .output("virtual_count", virtual_count)
        .output("security_key_count", keys))
    }
}
