//! `iam.list-virtual-mfa-devices`: virtual devices in the account, e.g. unassigned orphans.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, AwsCli, Field, Output, OutputType};
use crate::providers::Assignment;
use crate::run::context::{Context, Outcome, RunError};

pub struct ListVirtualMfaDevices;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Which devices to list (default `Any`).
    pub assignment_status: Option<AssignmentStatus>,
}

#[derive(Debug, Deserialize, JsonSchema, Clone, Copy)]
pub enum AssignmentStatus {
    Assigned,
    Unassigned,
    Any,
}

impl AssignmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentStatus::Assigned => "Assigned",
            AssignmentStatus::Unassigned => "Unassigned",
            AssignmentStatus::Any => "Any",
        }
    }
}

impl Action for ListVirtualMfaDevices {
    type Params = Params;
    const NAME: &'static str = "iam.list-virtual-mfa-devices";
    const SUMMARY: &'static str = "Lists the account's virtual MFA devices, e.g. unassigned ones left by an interrupted setup.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::list(
            "devices",
            &[
                Field::new("serial_number", OutputType::String, "The device's ARN."),
                Field::new(
                    "user_name",
                    OutputType::String,
                    "The user it is assigned to; empty when unassigned.",
                ),
                Field::new(
                    "enable_date",
                    OutputType::Timestamp,
                    "When it was enabled; empty when unassigned.",
                ),
            ],
            "Each device's `serial_number`, `user_name` (empty when unassigned) and `enable_date`.",
        ),
        Output::new(
            "count",
            OutputType::Integer,
            "How many devices were listed.",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(AwsCli::new("iam", "list-virtual-mfa-devices").opt(
            "--assignment-status",
            params.assignment_status.map(AssignmentStatus::as_str),
        ))
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let assignment = match params.assignment_status.unwrap_or(AssignmentStatus::Any) {
            AssignmentStatus::Assigned => Assignment::Assigned,
            AssignmentStatus::Unassigned => Assignment::Unassigned,
            AssignmentStatus::Any => Assignment::Any,
        };
        let devices = ctx.wait("Listing virtual MFA devices…", |ctx| {
            ctx.iam().list_virtual_mfa_devices(assignment)
        })?;
        let list: Vec<serde_json::Value> = devices
            .iter()
            .map(|d| {
                serde_json::json!({
                    "serial_number": d.serial_number,
                    "user_name": d.user_name.clone().unwrap_or_default(),
                    "enable_date": d.enable_date.clone().unwrap_or_default(),
                })
            })
            .collect();
        Ok(
            Outcome::new(format!("{} virtual MFA device(s)", devices.len()))
                .output("devices", list)
                .output("count", devices.len()),
        )
    }
}
