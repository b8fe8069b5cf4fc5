//! `iam.list-virtual-mfa-devices`: virtual devices in the account, e.g. unassigned orphans.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::action::{Action, AwsCli, Output, OutputType};

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
        Output::new(
            "devices",
            OutputType::List,
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
}
