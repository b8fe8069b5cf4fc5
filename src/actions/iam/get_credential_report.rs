//! `iam.get-credential-report`: the account's credential report, one typed record per
//! IAM user and one for the root user (`<root_account>`).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, AwsCli, Field, Output, OutputType};
use crate::providers::credential_report::{self, CredentialRecord};
use crate::run::context::{Context, Outcome, RunError};

pub struct GetCredentialReport;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Action for GetCredentialReport {
    type Params = Params;
    const NAME: &'static str = "iam.get-credential-report";
    const SUMMARY: &'static str = "Reads the credential report (run `iam.generate-credential-report` first): each user's password, MFA and access-key state.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::list(
            "users",
            &[
                Field::new(
                    "user",
                    OutputType::String,
                    "The user name; `<root_account>` for the root user.",
                ),
                Field::new("arn", OutputType::String, "The user's ARN."),
                Field::new(
                    "is_root",
                    OutputType::Boolean,
                    "Whether this row is the root user.",
                ),
                Field::new(
                    "user_creation_time",
                    OutputType::Timestamp,
                    "When the user was created.",
                ),
                Field::new(
                    "password_enabled",
                    OutputType::Boolean,
                    "Whether the user has a console password (always `false` for the root user, for which AWS writes `not_supported`).",
                ),
                Field::new(
                    "password_last_used",
                    OutputType::Timestamp,
                    "When the password was last used; empty if never, unknown or not applicable.",
                ),
                Field::new(
                    "password_last_changed",
                    OutputType::Timestamp,
                    "When the password was last set; empty if not applicable.",
                ),
                Field::new(
                    "mfa_active",
                    OutputType::Boolean,
                    "Whether an MFA device (of any kind) is assigned.",
                ),
                Field::new(
                    "access_key_1_active",
                    OutputType::Boolean,
                    "Whether the first access key is active.",
                ),
                Field::new(
                    "access_key_1_last_used_date",
                    OutputType::Timestamp,
                    "When the first access key was last used; empty if never.",
                ),
                Field::new(
                    "access_key_2_active",
                    OutputType::Boolean,
                    "Whether the second access key is active.",
                ),
                Field::new(
                    "access_key_2_last_used_date",
                    OutputType::Timestamp,
                    "When the second access key was last used; empty if never.",
                ),
                Field::new(
                    "active_access_keys",
                    OutputType::Integer,
                    "How many of the two access keys are active.",
                ),
            ],
            "One record per row: `user`, `arn`, `is_root`, `user_creation_time`, `password_enabled`, `password_last_used`, `password_last_changed`, `mfa_active`, `access_key_1_active`, `access_key_1_last_used_date`, `access_key_2_active`, `access_key_2_last_used_date`, `active_access_keys`. `N/A`, `not_supported` and `no_information` are `false` or empty.",
        ),
        Output::new(
            "user_count",
            OutputType::Integer,
            "How many IAM users the report lists (the root user not counted).",
        ),
        Output::new(
            "root_in_report",
            OutputType::Boolean,
            "Whether the report has a row for the root user (AWS always writes one; the local emulator does not).",
        ),
        Output::new(
            "root_mfa_active",
            OutputType::Boolean,
            "The root user's `mfa_active`; `false` when the report has no root row.",
        ),
        Output::new(
            "generated_time",
            OutputType::Timestamp,
            "When IAM made the report: it can be up to 4 hours old.",
        ),
    ];

    fn aws_cli(_: &Params) -> Option<AwsCli> {
        Some(AwsCli::new("iam", "get-credential-report"))
    }

    fn run(_: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let report = ctx.wait("Reading the credential report…", |ctx| {
            ctx.iam().get_credential_report()
        })?;
        let records = credential_report::parse(&report.content).map_err(|error| {
            RunError::failed(
                error.to_string(),
                "run again; if it keeps failing, compare the report (`aws iam get-credential-report`) with the columns AWS documents",
            )
        })?;
        let root = records.iter().find(|r| r.is_root());
        let users: Vec<&CredentialRecord> = records.iter().filter(|r| !r.is_root()).collect();
        for record in &records {
            ctx.ui().detail(&format!(
                "{}: password {}, MFA {}, {} active access key(s)",
                record.user,
                if record.password_enabled { "yes" } else { "no" },
                if record.mfa_active { "yes" } else { "no" },
                record.active_access_keys()
            ));
        }
        let list: Vec<serde_json::Value> = records.iter().map(record_json).collect();
        Ok(Outcome::new(format!(
            "the credential report of {} lists {} IAM user(s){}",
            report.generated_time,
            users.len(),
            if root.is_some() {
                " and the root user"
            } else {
                ""
            }
        ))
        .output("users", list)
        .output("user_count", users.len())
        .output("root_in_report", root.is_some())
        .output("root_mfa_active", root.is_some_and(|r| r.mfa_active))
        .output("generated_time", report.generated_time))
    }
}

fn record_json(r: &CredentialRecord) -> serde_json::Value {
    serde_json::json!({
        "user": r.user,
        "arn": r.arn,
        "is_root": r.is_root(),
        "user_creation_time": r.user_creation_time,
        "password_enabled": r.password_enabled,
        "password_last_used": r.password_last_used,
        "password_last_changed": r.password_last_changed,
        "mfa_active": r.mfa_active,
        "access_key_1_active": r.access_key_1_active,
        "access_key_1_last_used_date": r.access_key_1_last_used_date,
        "access_key_2_active": r.access_key_2_active,
        "access_key_2_last_used_date": r.access_key_2_last_used_date,
        "active_access_keys": r.active_access_keys(),
    })
}
