//! `sts.get-caller-identity`: who the credentials belong to, and whether it is root.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, AwsCli, Output, OutputType};
use crate::run::context::{Context, Outcome, RunError};

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

    fn run(_: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let identity = ctx.wait("Asking AWS who the credentials belong to…", |ctx| {
            ctx.sts().get_caller_identity()
        })?;
        let note = if identity.is_root() {
            format!(
                "the root user of account {} (root MFA is set up in the console; the guide shows how)",
                identity.account
            )
        } else if identity.user_name().is_empty() {
            format!(
                "{} (not an IAM user: MFA devices belong to IAM users)",
                identity.arn
            )
        } else {
            format!(
                "IAM user {} in account {}",
                identity.user_name(),
                identity.account
            )
        };
        Ok(Outcome::new(note)
            .output("account", identity.account.clone())
            .output("arn", identity.arn.clone())
            .output("user_id", identity.user_id.clone())
            .output("user_name", identity.user_name())
            .output("is_root", identity.is_root()))
    }
}
