//! `iam.get-policy-version`: one version's document, URL-decoded, its facts, and whether
//! it is the document the guide shows.

use schemars::JsonSchema;
use serde::Deserialize;

use super::create_policy::same_json;
use super::policy::{check_document, check_policy_arn, check_version_id, facts};
use crate::bind::action::{Action, AwsCli, Output, OutputType, Problem};
use crate::run::context::{Context, Outcome, RunError};

pub struct GetPolicyVersion;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The policy's ARN, e.g. `{{ policy.arn }}`.
    pub policy_arn: String,
    /// The version, e.g. `{{ policy.default_version_id }}`.
    pub version_id: String,
    /// The id of a ```` ```json id=NAME ```` block of the guide to compare the version's
    /// document with (as JSON): gives `matches_document`.
    pub compare_with: Option<String>,
}

impl Action for GetPolicyVersion {
    type Params = Params;
    const NAME: &'static str = "iam.get-policy-version";
    const SUMMARY: &'static str = "Gets one version of a managed policy: its document (URL-decoded), what it says about MFA, and whether it is the guide's.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "document",
            OutputType::String,
            "The policy document's text, decoded (AWS sends it URL-encoded).",
        ),
        Output::new(
            "version",
            OutputType::String,
            "The document's policy language `Version` (`2012-10-17`).",
        ),
        Output::new(
            "statement_count",
            OutputType::Integer,
            "How many statements it has.",
        ),
        Output::new(
            "denies_without_mfa",
            OutputType::Boolean,
            "Whether a `Deny` statement applies under `BoolIfExists` `aws:MultiFactorAuthPresent` `false`.",
        ),
        Output::new(
            "matches_document",
            OutputType::Boolean,
            "Whether it equals (as JSON) the `compare_with` block; only with `compare_with`.",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("iam", "get-policy-version")
                .arg("--policy-arn", &params.policy_arn)
                .arg("--version-id", &params.version_id),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        [
            check_policy_arn("policy_arn", &params.policy_arn),
            check_version_id("version_id", &params.version_id),
            params
                .compare_with
                .as_deref()
                .and_then(|name| check_document("compare_with", name)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn documents(params: &Params) -> Vec<(&'static str, &str)> {
        params
            .compare_with
            .as_deref()
            .map(|name| ("compare_with", name))
            .into_iter()
            .collect()
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let arn = ctx.text(&params.policy_arn)?;
        let version_id = ctx.text(&params.version_id)?;
        let document = ctx.wait("Getting the policy version…", |ctx| {
            ctx.iam().get_policy_version(&arn, &version_id)
        })?;
        let parsed: serde_json::Value = serde_json::from_str(&document).map_err(|error| {
            RunError::failed(
                format!("version {version_id} of {arn} is not JSON: {error}"),
                "look at the policy in the IAM console",
            )
        })?;
        let facts = facts(&parsed);
        let mut note = format!(
            "{version_id} of {arn}: {} statement(s), {}",
            facts.statement_count,
            if facts.denies_without_mfa {
                "denies what is not allowed without MFA"
            } else {
                "no deny without MFA"
            }
        );
        let mut outcome = Outcome::new("");
        match &params.compare_with {
            Some(name) => {
                let matches = same_json(&document, ctx.document(name)?);
                note.push_str(if matches {
                    "; it is the guide's document"
                } else {
                    "; it differs from the guide's document"
                });
                outcome = outcome.output("matches_document", matches);
            }
            None => {
                outcome = outcome.unavailable(
                    "matches_document",
                    "no `compare_with` block was given to compare with",
                );
            }
        }
        outcome.note = note;
        Ok(outcome
            .output("document", document)
            .output("version", facts.version)
            .output("statement_count", facts.statement_count)
            .output("denies_without_mfa", facts.denies_without_mfa))
    }
}
