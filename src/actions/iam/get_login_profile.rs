//! `iam.get-login-profile`: whether a user has a console password.

use schemars::JsonSchema;
use serde::Deserialize;

use super::check_name;
use crate::bind::action::{Action, AwsCli, Output, OutputType, Problem};
use crate::run::context::{Context, Outcome, RunError};

pub struct GetLoginProfile;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The IAM user.
    pub user: String,
}

impl Action for GetLoginProfile {
    type Params = Params;
    const NAME: &'static str = "iam.get-login-profile";
    const SUMMARY: &'static str =
        "Tells whether a user has a console password (a login profile); never reads the password.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "exists",
            OutputType::Boolean,
            "Whether the user can sign in to the console with a password (AWS's NoSuchEntity for the login profile is `false`, not an error).",
        ),
        Output::new(
            "create_date",
            OutputType::String,
            "When the password was set (RFC 3339); empty when there is none.",
        ),
        Output::new(
            "password_reset_required",
            OutputType::Boolean,
            "Whether the user must choose a new password at the next sign-in; `false` when there is none.",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(AwsCli::new("iam", "get-login-profile").arg("--user-name", &params.user))
    }

    fn check(params: &Params) -> Vec<Problem> {
        check_name("user", &params.user).into_iter().collect()
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let user = ctx.text(&params.user)?;
        let profile = ctx.wait("Looking for a console password…", |ctx| {
            ctx.iam().get_login_profile(&user)
        })?;
        let note = match &profile {
            Some(profile) => format!("{user} has a console password, set {}", profile.create_date),
            None => format!("{user} has no console password"),
        };
        Ok(Outcome::new(note)
            .output("exists", profile.is_some())
            .output(
                "create_date",
                profile
                    .as_ref()
                    .map(|p| p.create_date.clone())
                    .unwrap_or_default(),
            )
            .output(
                "password_reset_required",
                profile.is_some_and(|p| p.password_reset_required),
            ))
    }
}
