//! `iam.attach-group-policy`: attaches a managed policy to an IAM group, unless it is
//! attached already.

use schemars::JsonSchema;
use serde::Deserialize;

use super::policy::check_policy_arn;
use crate::bind::action::{Action, AwsCli, Output, Problem};
use crate::run::context::{Context, Outcome, RunError};

pub struct AttachGroupPolicy;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The IAM group (1 to 128 letters, digits or `+=,.@_-`).
    pub group: String,
    /// The managed policy's ARN, e.g. `{{ policy.arn }}`.
    pub policy_arn: String,
}

impl Action for AttachGroupPolicy {
    type Params = Params;
    const NAME: &'static str = "iam.attach-group-policy";
    const SUMMARY: &'static str =
        "Attaches a managed policy to an IAM group; one already attached is left as it is.";
    const MUTATING: bool = true;
    const OUTPUTS: &'static [Output] = &[];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("iam", "attach-group-policy")
                .arg("--group-name", &params.group)
                .arg("--policy-arn", &params.policy_arn),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        [
            super::policy::check_long_name("group", &params.group),
            check_policy_arn("policy_arn", &params.policy_arn),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let group = ctx.text(&params.group)?;
        let arn = ctx.text(&params.policy_arn)?;
        let attached = ctx.wait("Listing the group's attached policies…", |ctx| {
            ctx.iam().list_attached_group_policies(&group)
        })?;
        if attached.iter().any(|policy| policy.arn == arn) {
            return Ok(Outcome::new(format!(
                "{arn} is already attached to the group {group}: nothing to do"
            )));
        }
        ctx.confirm_change(&format!("attach {arn} to the group {group}"))?;
        ctx.wait("Attaching the policy…", |ctx| {
            ctx.iam().attach_group_policy(&group, &arn)
        })?;
        Ok(Outcome::new(format!("attached {arn} to the group {group}")).changed())
    }
}
