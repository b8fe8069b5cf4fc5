//! `iam.list-users`: every IAM user in the account, all pages.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, AwsCli, Field, Output, OutputType, Problem};
use crate::parse::template;
use crate::run::context::{Context, Outcome, RunError};

pub struct ListUsers;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Only users whose path starts with this, e.g. `/engineering/` (default `/`: all).
    pub path_prefix: Option<String>,
}

impl Action for ListUsers {
    type Params = Params;
    const NAME: &'static str = "iam.list-users";
    const SUMMARY: &'static str =
        "Lists every IAM user in the account (all pages), with when each last used a password.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::list(
            "users",
            &[
                Field::new("user_name", OutputType::String, "The user's name."),
                Field::new("arn", OutputType::String, "The user's ARN."),
                Field::new("create_date", OutputType::Timestamp, "When it was created."),
                Field::new(
                    "password_last_used",
                    OutputType::Timestamp,
                    "When the console password was last used; empty if never (or no password).",
                ),
            ],
            "Each user's `user_name`, `arn`, `create_date` and `password_last_used` (empty when never used).",
        ),
        Output::new("count", OutputType::Integer, "How many users there are."),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(AwsCli::new("iam", "list-users").opt("--path-prefix", params.path_prefix.as_ref()))
    }

    fn check(params: &Params) -> Vec<Problem> {
        params
            .path_prefix
            .as_deref()
            .and_then(check_path_prefix)
            .into_iter()
            .collect()
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let prefix = ctx.opt_text(params.path_prefix.as_ref())?;
        if let Some(problem) = prefix.as_deref().and_then(check_path_prefix) {
            return Err(RunError::failed(
                problem.message,
                "write a path such as `/` or `/engineering/`",
            ));
        }
        let users = ctx.wait("Listing IAM users…", |ctx| {
            ctx.iam().list_users(prefix.as_deref())
        })?;
        let list: Vec<serde_json::Value> = users
            .iter()
            .map(|u| {
                serde_json::json!({
                    "user_name": u.user_name,
                    "arn": u.arn,
                    "create_date": u.create_date,
                    "password_last_used": u.password_last_used.clone().unwrap_or_default(),
                })
            })
            .collect();
        for user in &users {
            ctx.ui().detail(&format!(
                "{} (created {}{})",
                user.user_name,
                user.create_date,
                match &user.password_last_used {
                    Some(date) => format!(", password last used {date}"),
                    None => String::new(),
                }
            ));
        }
        Ok(
            Outcome::new(format!("the account has {} IAM user(s)", users.len()))
                .output("users", list)
                .output("count", users.len()),
        )
    }
}

/// IAM paths start and end with `/` and hold printable ASCII (at most 512 characters).
fn check_path_prefix(value: &str) -> Option<Problem> {
    if template::is_template(value) {
        return None;
    }
    let valid = value.starts_with('/')
        && value.ends_with('/')
        && value.len() <= 512
        && value.chars().all(|c| c.is_ascii_graphic());
    (!valid).then(|| {
        Problem::new(
            "path_prefix",
            format!(
                "`{value}` is not an IAM path: it starts and ends with `/`, e.g. `/engineering/`"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_prefixes_follow_iam_rules() {
        assert!(check_path_prefix("/").is_none());
        assert!(check_path_prefix("/engineering/").is_none());
        assert!(check_path_prefix("{{ team }}").is_none());
        assert!(check_path_prefix("engineering").is_some());
        assert!(check_path_prefix("/engineering").is_some());
        assert!(check_path_prefix("/a b/").is_some());
    }
}
