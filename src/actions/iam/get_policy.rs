//! `iam.get-policy`: a managed policy's name, default version and attachment count.

use schemars::JsonSchema;
use serde::Deserialize;

use super::policy::check_policy_arn;
use crate::bind::action::{Action, AwsCli, Output, OutputType, Problem};
use crate::run::context::{Context, Outcome, RunError};

pub struct GetPolicy;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The policy's ARN, e.g. `{{ policy.arn }}`.
    pub policy_arn: String,
}

impl Action for GetPolicy {
    type Params = Params;
    const NAME: &'static str = "iam.get-policy";
    const SUMMARY: &'static str = "Gets a managed policy: its name, path, default version and how many entities it is attached to.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new("arn", OutputType::String, "The policy's ARN."),
        Output::new("name", OutputType::String, "The policy's name."),
        Output::new("path", OutputType::String, "Its path (`/` by default)."),
        Output::new(
            "default_version_id",
            OutputType::String,
            "The version in force (`v1`, `v2`, …): give it to `iam.get-policy-version`.",
        ),
        Output::new(
            "attachment_count",
            OutputType::Integer,
            "How many users, groups and roles it is attached to.",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(AwsCli::new("iam", "get-policy").arg("--policy-arn", &params.policy_arn))
    }

    fn check(params: &Params) -> Vec<Problem> {
        check_policy_arn("policy_arn", &params.policy_arn)
            .into_iter()
            .collect()
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let arn = ctx.text(&params.policy_arn)?;
        let policy = ctx.wait("Getting the policy…", |ctx| ctx.iam().get_policy(&arn))?;
        Ok(Outcome::new(format!(
            "{}: default version {}, attached to {} entit{}",
            policy.arn,
            policy.default_version_id,
            policy.attachment_count,
            if policy.attachment_count == 1 {
                "y"
            } else {
                "ies"
            }
        ))
        .output("arn", policy.arn)
        .output("name", policy.name)
        .output("path", policy.path)
        .output("default_version_id", policy.default_version_id)
        .output("attachment_count", policy.attachment_count))
    }
}
