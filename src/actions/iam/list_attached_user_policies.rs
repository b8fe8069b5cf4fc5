//! `iam.list-attached-user-policies`: the managed policies attached to an IAM user.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, AwsCli, Field, Output, OutputType, Problem};
use crate::run::context::{Context, Outcome, RunError};

pub struct ListAttachedUserPolicies;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The IAM user (1 to 64 letters, digits or `+=,.@_-`).
    pub user: String,
    /// A policy ARN to look for among them (e.g. `{{ policy.arn }}`): gives `attached`.
    pub policy_arn: Option<String>,
}

impl Action for ListAttachedUserPolicies {
    type Params = Params;
    const NAME: &'static str = "iam.list-attached-user-policies";
    const SUMMARY: &'static str =
        "Lists the managed policies attached to an IAM user (not its inline policies).";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::list(
            "policies",
            &[
                Field::new("policy_name", OutputType::String, "The policy's name."),
                Field::new("policy_arn", OutputType::String, "The policy's ARN."),
            ],
            "Each attached policy's `policy_name` and `policy_arn`.",
        ),
        Output::new("count", OutputType::Integer, "How many are attached."),
        Output::new(
            "attached",
            OutputType::Boolean,
            "Whether `policy_arn` is among them; only with `policy_arn`.",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(AwsCli::new("iam", "list-attached-user-policies").arg("--user-name", &params.user))
    }

    fn check(params: &Params) -> Vec<Problem> {
        [
            super::check_name("user", &params.user),
            params
                .policy_arn
                .as_deref()
                .and_then(|arn| super::policy::check_policy_arn("policy_arn", arn)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let user = ctx.text(&params.user)?;
        let wanted = ctx.opt_text(params.policy_arn.as_ref())?;
        let policies = ctx.wait("Listing attached policies…", |ctx| {
            ctx.iam().list_attached_user_policies(&user)
        })?;
        for policy in &policies {
            ctx.ui()
                .detail(&format!("{} ({})", policy.name, policy.arn));
        }
        let list: Vec<serde_json::Value> = policies
            .iter()
            .map(|policy| {
                serde_json::json!({
                    "policy_name": policy.name,
                    "policy_arn": policy.arn,
                })
            })
            .collect();
        let outcome = match &wanted {
            Some(arn) => Outcome::new("")
                .output("attached", policies.iter().any(|policy| &policy.arn == arn)),
            None => {
                Outcome::new("").unavailable("attached", "no `policy_arn` was given to look for")
            }
        };
        let note = format!(
            "the user {user} has {} managed polic{} attached",
            policies.len(),
            if policies.len() == 1 { "y" } else { "ies" }
        );
        let mut outcome = outcome
            .output("policies", list)
            .output("count", policies.len());
        outcome.note = note;
        Ok(outcome)
    }
}
