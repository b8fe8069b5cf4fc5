//! `iam.delete-login-profile`: removes a user's console password.

use schemars::JsonSchema;
use serde::Deserialize;

use super::check_name;
use crate::bind::action::{Action, AwsCli, Output, Problem};
use crate::providers::ErrorKind;
use crate::run::context::{Context, Outcome, RunError};

pub struct DeleteLoginProfile;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The IAM user whose console password is removed.
    pub user: String,
}

impl Action for DeleteLoginProfile {
    type Params = Params;
    const NAME: &'static str = "iam.delete-login-profile";
    const SUMMARY: &'static str = "Deletes a user's console password, so they can no longer sign in to the console; their access keys are not touched.";
    const MUTATING: bool = true;
    const OUTPUTS: &'static [Output] = &[];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(AwsCli::new("iam", "delete-login-profile").arg("--user-name", &params.user))
    }

    fn check(params: &Params) -> Vec<Problem> {
        check_name("user", &params.user).into_iter().collect()
    }

    /// Idempotent: a user without a console password has nothing to delete.
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let user = ctx.text(&params.user)?;
        let profile = ctx.wait("Looking for a console password…", |ctx| {
            ctx.iam().get_login_profile(&user)
        })?;
        if profile.is_none() {
            return Ok(Outcome::new(format!(
                "{user} has no console password: nothing to delete"
            )));
        }
        ctx.confirm_change(&format!(
            "delete the console password of {user} (they can no longer sign in to the console)"
        ))?;
        match ctx.wait("Deleting the console password…", |ctx| {
            ctx.iam().delete_login_profile(&user)
        }) {
            Ok(()) => Ok(Outcome::new(format!("deleted the console password of {user}")).changed()),
            // Removed by someone else between the look and the deletion: the same end.
            Err(error) if error.kind == ErrorKind::NoSuchEntity => Ok(Outcome::new(format!(
                "the console password of {user} was removed meanwhile: nothing to delete"
            ))),
            Err(error) => Err(error.into()),
        }
    }
}
