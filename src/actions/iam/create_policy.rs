//! `iam.create-policy`: creates a customer managed policy from a document the guide
//! shows, or finds the one already there and compares it with the guide's.

use schemars::JsonSchema;
use serde::Deserialize;

use super::policy::{check_description, check_document, check_long_name, check_path};
use crate::bind::action::{Action, AwsCli, Output, OutputType, Problem};
use crate::providers::{ErrorKind, policy_arn};
use crate::run::context::{Context, Outcome, RunError};

pub struct CreatePolicy;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The policy's name (1 to 128 letters, digits or `+=,.@_-`).
    pub name: String,
    /// The id of the guide's ```` ```json id=NAME ```` block holding the policy document:
    /// its text is sent exactly as the reader sees it.
    pub document: String,
    /// The policy's path (default `/`), e.g. `/security/`.
    pub path: Option<String>,
    /// A description, shown in the IAM console (it cannot be changed later).
    pub description: Option<String>,
}

impl Action for CreatePolicy {
    type Params = Params;
    const NAME: &'static str = "iam.create-policy";
    const SUMMARY: &'static str = "Creates a customer managed policy from a JSON document shown in the guide; one already there with that name and path is found and its default version compared with the guide's.";
    const MUTATING: bool = true;
    const OUTPUTS: &'static [Output] = &[
        Output::new("arn", OutputType::String, "The policy's ARN."),
        Output::new(
            "default_version_id",
            OutputType::String,
            "Its default version (`v1` for a new policy).",
        ),
        Output::new(
            "created",
            OutputType::Boolean,
            "Whether this run created it (false: it was already there).",
        ),
        Output::new(
            "document_matches",
            OutputType::Boolean,
            "Whether its default version's document is the guide's (compared as JSON; always true when created).",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("iam", "create-policy")
                .arg("--policy-name", &params.name)
                .opt("--path", params.path.as_ref())
                .arg(
                    "--policy-document",
                    format!("file://{}.json", params.document),
                )
                .opt("--description", params.description.as_ref()),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        [
            check_long_name("name", &params.name),
            check_document("document", &params.document),
            params
                .path
                .as_deref()
                .and_then(|path| check_path("path", path)),
            params
                .description
                .as_deref()
                .and_then(|text| check_description("description", text)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn documents(params: &Params) -> Vec<(&'static str, &str)> {
        vec![("document", params.document.as_str())]
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let document = ctx.document(&params.document)?.to_string();
        let name = ctx.text(&params.name)?;
        let path = ctx.opt_text(params.path.as_ref())?;
        let description = ctx.opt_text(params.description.as_ref())?;
        if let Some(problem) = check_long_name("name", &name)
            .or_else(|| path.as_deref().and_then(|p| check_path("path", p)))
        {
            return Err(RunError::failed(
                problem.message,
                "give the guide's inputs valid IAM values",
            ));
        }
        let account = ctx
            .wait("Finding the account…", |ctx| {
                ctx.sts().get_caller_identity()
            })?
            .account;
        let arn = policy_arn(&account, path.as_deref().unwrap_or("/"), &name);
        let existing = ctx.wait("Looking for the policy…", |ctx| {
            ctx.iam().get_policy(&arn)
        });
        match existing {
            Ok(policy) => {
                let current = ctx.wait("Reading its default version…", |ctx| {
                    ctx.iam()
                        .get_policy_version(&policy.arn, &policy.default_version_id)
                })?;
                let matches = same_json(&current, &document);
                if !matches {
                    for line in differences(&current, &document) {
                        ctx.ui().detail(&line);
                    }
                }
                let note = if matches {
                    format!(
                        "{} already exists; its default version {} is the guide's document: nothing to do",
                        policy.arn, policy.default_version_id
                    )
                } else {
                    format!(
                        "{} already exists, but its default version {} differs from the guide's document: it was left as it is",
                        policy.arn, policy.default_version_id
                    )
                };
                Ok(Outcome::new(note)
                    .output("arn", policy.arn)
                    .output("default_version_id", policy.default_version_id)
                    .output("created", false)
                    .output("document_matches", matches))
            }
            Err(error) if error.kind == ErrorKind::NoSuchEntity => {
                ctx.confirm_change(&format!(
                    "create the policy {name} at {} from the guide's `{}` document",
                    path.as_deref().unwrap_or("/"),
                    params.document
                ))?;
                let policy = ctx.wait("Creating the policy…", |ctx| {
                    ctx.iam().create_policy(
                        &name,
                        path.as_deref(),
                        &document,
                        description.as_deref(),
                    )
                })?;
                Ok(Outcome::new(format!("created {}", policy.arn))
                    .changed()
                    .output("arn", policy.arn)
                    .output("default_version_id", policy.default_version_id)
                    .output("created", true)
                    .output("document_matches", true))
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// Whether two policy documents say the same: equal as JSON (whitespace and key order
/// aside); text that is not JSON is compared as it is.
pub fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// How AWS's document differs from the guide's, statement by statement (by `Sid`, or
/// the statement itself when it has none), for people to read.
pub fn differences(aws: &str, guide: &str) -> Vec<String> {
    let statements = |text: &str| -> Vec<serde_json::Value> {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(document) => match &document["Statement"] {
                serde_json::Value::Array(items) => items.clone(),
                serde_json::Value::Null => Vec::new(),
                statement => vec![statement.clone()],
            },
            Err(_) => Vec::new(),
        }
    };
    let label = |statement: &serde_json::Value| match statement["Sid"].as_str() {
        Some(sid) => format!("statement `{sid}`"),
        None => format!("statement {statement}"),
    };
    let (theirs, ours) = (statements(aws), statements(guide));
    let mut lines = Vec::new();
    for statement in &theirs {
        if !ours.contains(statement) {
            let sid = statement["Sid"].as_str();
            let changed = sid.is_some() && ours.iter().any(|o| o["Sid"].as_str() == sid);
            if changed {
                lines.push(format!("{} differs", label(statement)));
            } else {
                lines.push(format!("{} is only in AWS's version", label(statement)));
            }
        }
    }
    for statement in &ours {
        let sid = statement["Sid"].as_str();
        let in_theirs = theirs.contains(statement)
            || (sid.is_some() && theirs.iter().any(|t| t["Sid"].as_str() == sid));
        if !in_theirs {
            lines.push(format!("{} is only in the guide's", label(statement)));
        }
    }
    if lines.is_empty() {
        lines.push("the statements are the same; the rest of the document differs".into());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::{differences, same_json};

    #[test]
    fn differences_name_the_statements() {
        let aws = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"}, {"Sid": "B", "Effect": "Deny", "Action": "*", "Resource": "*"}]}"#;
        let guide = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "B", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}, {"Sid": "C", "Effect": "Deny", "Action": "*", "Resource": "*"}]}"#;
        assert_eq!(
            differences(aws, guide),
            vec![
                "statement `A` is only in AWS's version".to_string(),
                "statement `B` differs".to_string(),
                "statement `C` is only in the guide's".to_string(),
            ]
        );
        let other_version = r#"{"Version": "2008-10-17", "Statement": []}"#;
        let same_statements = r#"{"Version": "2012-10-17", "Statement": []}"#;
        assert_eq!(
            differences(other_version, same_statements),
            vec!["the statements are the same; the rest of the document differs".to_string()]
        );
    }

    #[test]
    fn documents_compare_as_json() {
        assert!(same_json(r#"{"a": 1, "b": [2]}"#, "{\"b\":[2],\n \"a\":1}"));
        assert!(!same_json(r#"{"a": 1}"#, r#"{"a": "1"}"#));
        assert!(!same_json("not json", "not  json"));
    }
}
