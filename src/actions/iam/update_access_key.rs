//! `iam.update-access-key`: makes an access key inactive (or active again).

use schemars::JsonSchema;
use serde::Deserialize;

use super::{check_access_key_id, check_name};
use crate::bind::action::{Action, AwsCli, Output, Problem};
use crate::providers::AccessKeyStatus;
use crate::run::context::{Context, Outcome, RunError};

pub struct UpdateAccessKey;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The IAM user the key belongs to.
    pub user: String,
    /// The key's id (`AKIA…`), e.g. `{{ key.access_key_id }}` from `iam.list-access-keys`.
    pub access_key_id: String,
    /// `Inactive`: the key can no longer sign requests (it can be made `Active` again);
    /// `Active`: it can again.
    pub status: AccessKeyStatus,
}

impl Action for UpdateAccessKey {
    type Params = Params;
    const NAME: &'static str = "iam.update-access-key";
    const SUMMARY: &'static str = "Sets an access key's status: `Inactive` stops it signing requests without deleting it; `Active` allows it again.";
    const MUTATING: bool = true;
    const OUTPUTS: &'static [Output] = &[];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("iam", "update-access-key")
                .arg("--user-name", &params.user)
                .arg("--access-key-id", &params.access_key_id)
                .arg("--status", params.status.as_str()),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        [
            check_name("user", &params.user),
            check_access_key_id("access_key_id", &params.access_key_id),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Idempotent: a key already in that status is left alone. A key the user does not
    /// have is an error (it was listed earlier, so someone deleted it, or the id is wrong).
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let user = ctx.text(&params.user)?;
        let id = ctx.text(&params.access_key_id)?;
        let status = params.status.as_str();
        let keys = ctx.wait("Checking the user's access keys…", |ctx| {
            ctx.iam().list_access_keys(&user)
        })?;
        let Some(key) = keys.iter().find(|key| key.access_key_id == id) else {
            return Err(RunError::failed(
                format!("{user} has no access key {id}"),
                format!(
                    "check the key id and the user name (`aws iam list-access-keys --user-name {user}`); a key deleted meanwhile needs no deactivation"
                ),
            ));
        };
        if key.status == params.status {
            return Ok(Outcome::new(format!(
                "{id} of {user} is {status} already: nothing to do"
            )));
        }
        let what = match params.status {
            AccessKeyStatus::Inactive => {
                format!("deactivate the access key {id} of {user} (it can no longer sign requests)")
            }
            AccessKeyStatus::Active => {
                format!("activate the access key {id} of {user} (it can sign requests again)")
            }
        };
        ctx.confirm_change(&what)?;
        ctx.wait("Updating the access key…", |ctx| {
            ctx.iam().update_access_key(&user, &id, params.status)
        })?;
        Ok(Outcome::new(format!("{id} of {user} is {status} now")).changed())
    }
}
