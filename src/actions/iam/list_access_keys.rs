//! `iam.list-access-keys`: a user's access keys, with their status (never a secret key).

use schemars::JsonSchema;
use serde::Deserialize;

use super::check_name;
use crate::bind::action::{Action, AwsCli, Field, Output, OutputType, Problem};
use crate::providers::AccessKeyStatus;
use crate::run::context::{Context, Outcome, RunError};

pub struct ListAccessKeys;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The IAM user.
    pub user: String,
}

impl Action for ListAccessKeys {
    type Params = Params;
    const NAME: &'static str = "iam.list-access-keys";
    const SUMMARY: &'static str = "Lists a user's access keys (ids, status and creation dates; AWS never returns a secret key here).";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::list(
            "keys",
            &[
                Field::new(
                    "access_key_id",
                    OutputType::String,
                    "The key's id (`AKIA…`; not a secret).",
                ),
                Field::new("status", OutputType::String, "`Active` or `Inactive`."),
                Field::new("create_date", OutputType::Timestamp, "When it was created."),
            ],
            "Each key's `access_key_id`, `status` (`Active` or `Inactive`) and `create_date`.",
        ),
        Output::new(
            "count",
            OutputType::Integer,
            "How many access keys the user has (AWS allows 2).",
        ),
        Output::new(
            "active_count",
            OutputType::Integer,
            "How many of them are `Active` (can sign requests).",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(AwsCli::new("iam", "list-access-keys").arg("--user-name", &params.user))
    }

    fn check(params: &Params) -> Vec<Problem> {
        check_name("user", &params.user).into_iter().collect()
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let user = ctx.text(&params.user)?;
        let keys = ctx.wait("Listing access keys…", |ctx| {
            ctx.iam().list_access_keys(&user)
        })?;
        let active = keys
            .iter()
            .filter(|key| key.status == AccessKeyStatus::Active)
            .count();
        for key in &keys {
            ctx.ui().detail(&format!(
                "{} ({}, created {})",
                key.access_key_id,
                key.status.as_str(),
                key.create_date
            ));
        }
        let list: Vec<serde_json::Value> = keys
            .iter()
            .map(|key| {
                serde_json::json!({
                    "access_key_id": key.access_key_id,
                    "status": key.status.as_str(),
                    "create_date": key.create_date,
                })
            })
            .collect();
        Ok(Outcome::new(format!(
            "{user} has {} access key(s), {active} active",
            keys.len()
        ))
        .output("keys", list)
        .output("count", keys.len())
        .output("active_count", active))
    }
}
