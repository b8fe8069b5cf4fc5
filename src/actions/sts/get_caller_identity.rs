//! `sts.get-caller-identity`: who the credentials belong to, and whether it is root.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::action::{Action, AwsCli, Output, OutputType};

pub struct GetCallerIdentity;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Action for GetCallerIdentity {
    type Params = Params;
    const NAME: &'static str = "sts.get-caller-identity";
    const SUMMARY: &'static str = "Identifies the account and user behind the current credentials, and detects the root user.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "account",
            OutputType::String,
            "The 12-digit AWS account id.",
        ),
        Output::new("arn", OutputType::String, "The ARN of the caller."),
        Output::new(
            "user_id",
            OutputType::String,
            "The unique id of the caller.",
        ),
        Output::new(
            "user_name",
            OutputType::String,
            "The IAM user name; empty for the root user and for roles.",
        ),
        Output::new(
            "is_root",
            OutputType::Boolean,
            "Whether the caller is the account's root user.",
        ),
    ];

    fn aws_cli(_: &Params) -> Option<AwsCli> {
        Some(AwsCli::new("sts", "get-caller-identity"))
    }
}
