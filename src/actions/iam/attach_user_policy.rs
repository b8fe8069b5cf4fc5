//! `iam.attach-user-policy`: attaches a managed policy to an IAM user, unless it is
//! attached already.

use schemars::JsonSchema;
use serde::Deserialize;

use super::policy::check_policy_arn;
use crate::bind::action::{Action, AwsCli, Output, Problem};
use crate::run::context::{Context, Outcome, RunError};

pub struct AttachUserPolicy;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The IAM user (1 to 64 letters, digits or `+=,.@_-`).
    pub user: String,
    /// The managed policy's ARN, e.g. `{{ policy.arn }}`.
    pub policy_arn: String,
}

impl Action for AttachUserPolicy {
    type Params = Params;
    const NAME: &'static str = "iam.attach-user-policy";
    const SUMMARY: &'static str =
        "Attaches a managed policy to an IAM user; one already attached is left as it is.";
    const MUTATING: bool = true;
    const OUTPUTS: &'static [Output] = &[];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("iam", "attach-user-policy")
                .arg("--user-name", &params.user)
                .arg("--policy-arn", &params.policy_arn),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        [
            super::check_name("user", &params.user),
            check_policy_arn("policy_arn", &params.policy_arn),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let user = ctx.text(&params.user)?;
        let arn = ctx.text(&params.policy_arn)?;
        let attached = ctx.wait("Listing the user's attached policies…", |ctx| {
            ctx.iam().list_attached_user_policies(&user)
        })?;
        if attached.iter().any(|policy| policy.arn == arn) {
            return Ok(Outcome::new(format!(
                "{arn} is already attached to the user {user}: nothing to do"
            )));
        }
        ctx.confirm_change(&format!("attach {arn} to the user {user}"))?;
        ctx.wait("Attaching the policy…", |ctx| {
            ctx.iam().attach_user_policy(&user, &arn)
        })?;
        Ok(Outcome::new(format!("attached {arn} to the user {user}")).changed())
    }
}
