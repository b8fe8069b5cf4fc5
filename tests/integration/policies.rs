//! The managed-policy actions and `runbooks/require-mfa.md`: against the emulator (created,
//! found again with nothing to do, a dry run that changes nothing), and through
//! aws-smithy-mocks for what the emulator cannot do (AWS's URL-encoded documents, the
//! errors it never returns).

use std::collections::BTreeMap;

use aws_sdk_iam::operation::create_policy::CreatePolicyOutput;
use aws_sdk_iam::operation::get_policy::GetPolicyOutput;
use aws_sdk_iam::operation::get_policy_version::GetPolicyVersionOutput;
use aws_sdk_iam::operation::list_attached_user_policies::ListAttachedUserPoliciesOutput;
use aws_sdk_iam::types::{AttachedPolicy, Policy, PolicyVersion};
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use runbook::providers::aws::AwsProvider;
use runbook::providers::{ErrorKind, FixedClock, Iam, ScriptedPrompt};
use runbook::run::context::Mode;
use runbook::run::executor::Selection;

use crate::harness::{Test, root};
use crate::inprocess::{Ran, run_text};
use crate::moto::user;

const ARN: &str = "arn:aws:iam::123456789012:policy/RequireMFA";

fn guide() -> String {
    std::fs::read_to_string(root().join("runbooks/require-mfa.md")).unwrap()
}

/// The guide's policy document, exactly as in its ```json block.
fn guide_document() -> String {
    let text = guide();
    let start = text.find("```json id=require-mfa-policy\n").unwrap();
    let body = &text[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

fn mode(yes: bool, dry_run: bool, vars: &[(&str, &str)]) -> Mode {
    Mode {
        yes,
        dry_run,
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        ..Mode::default()
    }
}

fn run_guide(provider: &AwsProvider, mode: Mode) -> Ran {
    let clock = FixedClock::new(1_700_000_000);
    let mut prompt = ScriptedPrompt::default();
    run_text(
        &guide(),
        provider,
        provider,
        &clock,
        &mut prompt,
        mode,
        Selection::default(),
    )
}

#[test]
fn the_guide_creates_and_attaches_then_finds_nothing_to_do() {
    let user = user("policy-rerun");
    let provider = user.provider();
    let vars = [("policy_name", "RequireMFA-rerun")];
    let first = run_guide(&provider, mode(true, false, &vars));
    assert!(first.result.is_ok(), "{:?}\n{}", first.result, first.output);
    assert!(
        first.output.contains("created arn:aws:iam::"),
        "{}",
        first.output
    );
    assert!(
        first.output.contains("attached arn:aws:iam::"),
        "{}",
        first.output
    );

    // What AWS holds: the guide's exact text, attached to the user.
    let attached = provider.list_attached_user_policies(&user.name).unwrap();
    let policy = attached
        .iter()
        .find(|p| p.name == "RequireMFA-rerun")
        .expect("attached");
    let stored = provider.get_policy(&policy.arn).unwrap();
    let document = provider
        .get_policy_version(&policy.arn, &stored.default_version_id)
        .unwrap();
    assert_eq!(document, guide_document());

    let second = run_guide(&provider, mode(true, false, &vars));
    assert!(
        second.result.is_ok(),
        "{:?}\n{}",
        second.result,
        second.output
    );
    assert!(
        second
            .output
            .contains("is the guide's document: nothing to do"),
        "{}",
        second.output
    );
    assert!(
        second.output.contains("is already attached to the user"),
        "{}",
        second.output
    );
    assert!(!second.output.contains("created arn:"), "{}", second.output);
    assert_eq!(
        provider
            .list_attached_user_policies(&user.name)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_dry_run_shows_the_changes_and_makes_none() {
    let user = user("policy-dry-run");
    let provider = user.provider();
    let ran = run_guide(
        &provider,
        mode(true, true, &[("policy_name", "RequireMFA-dry")]),
    );
    assert!(ran.result.is_ok(), "{:?}\n{}", ran.result, ran.output);
    assert!(
        ran.output
            .contains("would create the policy RequireMFA-dry"),
        "{}",
        ran.output
    );
    let account = user_account(&provider);
    let error = provider
        .get_policy(&format!("arn:aws:iam::{account}:policy/RequireMFA-dry"))
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::NoSuchEntity);
    assert!(
        provider
            .list_attached_user_policies(&user.name)
            .unwrap()
            .is_empty()
    );
}

fn user_account(provider: &AwsProvider) -> String {
    use runbook::providers::Sts;
    provider.get_caller_identity().unwrap().account
}

// aws-smithy-mocks: what the emulator cannot produce.

fn iam_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
    )
}

fn caller() -> Rule {
    mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
        GetCallerIdentityOutput::builder()
            .account("123456789012")
            .arn("arn:aws:iam::123456789012:user/alice")
            .user_id("AIDAEXAMPLE")
            .build()
    })
}

fn policy_attached_to(count: i32) -> Policy {
    Policy::builder()
        .arn(ARN)
        .policy_name("RequireMFA")
        .path("/")
        .default_version_id("v1")
        .attachment_count(count)
        .build()
}

fn policy() -> Policy {
    policy_attached_to(1)
}

fn no_policy() -> Rule {
    mock!(aws_sdk_iam::Client::get_policy)
        .sequence()
        .http_status(
            404,
            Some(iam_error(
                "NoSuchEntity",
                "Policy RequireMFA was not found.",
            )),
        )
        .build()
}

fn created() -> Rule {
    mock!(aws_sdk_iam::Client::create_policy).then_output(|| {
        CreatePolicyOutput::builder()
            .policy(policy_attached_to(0))
            .build()
    })
}

fn nothing_attached() -> Rule {
    mock!(aws_sdk_iam::Client::list_attached_user_policies).then_output(|| {
        ListAttachedUserPoliciesOutput::builder()
            .set_attached_policies(Some(vec![]))
            .build()
    })
}

fn run_mocked(rules: &[&Rule]) -> Ran {
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, rules, |config| config
        .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled()));
    let caller = caller();
    let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&caller]);
    let provider = AwsProvider::from_clients(iam, sts);
    run_guide(&provider, mode(true, false, &[("target_name", "alice")]))
}

#[test]
fn an_url_encoded_document_is_decoded_and_compared() {
    let encoded = percent_encoding::utf8_percent_encode(
        &guide_document(),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    assert!(encoded.starts_with("%7B"), "{encoded}");
    let get = mock!(aws_sdk_iam::Client::get_policy)
        .then_output(|| GetPolicyOutput::builder().policy(policy()).build());
    let version = mock!(aws_sdk_iam::Client::get_policy_version).then_output(move || {
        GetPolicyVersionOutput::builder()
            .policy_version(
                PolicyVersion::builder()
                    .version_id("v1")
                    .is_default_version(true)
                    .document(encoded.clone())
                    .build(),
            )
            .build()
    });
    let attached = mock!(aws_sdk_iam::Client::list_attached_user_policies).then_output(|| {
        ListAttachedUserPoliciesOutput::builder()
            .attached_policies(
                AttachedPolicy::builder()
                    .policy_name("RequireMFA")
                    .policy_arn(ARN)
                    .build(),
            )
            .build()
    });
    let create = created();
    let ran = run_mocked(&[&get, &version, &attached, &create]);
    assert!(ran.result.is_ok(), "{:?}\n{}", ran.result, ran.output);
    assert!(
        ran.output
            .contains("is the guide's document: nothing to do"),
        "{}",
        ran.output
    );
    assert!(
        ran.output
            .contains("5 statement(s), denies what is not allowed without MFA")
    );
    assert_eq!(create.num_calls(), 0);
}

#[test]
fn a_malformed_document_is_reported_with_what_to_fix() {
    let (missing, attached) = (no_policy(), nothing_attached());
    let create = mock!(aws_sdk_iam::Client::create_policy)
        .sequence()
        .http_status(
            400,
            Some(iam_error(
                "MalformedPolicyDocument",
                "Syntax errors in policy.",
            )),
        )
        .build();
    let ran = run_mocked(&[&missing, &create, &attached]);
    let error = ran.result.unwrap_err();
    assert_eq!(
        error.to_string(),
        "CreatePolicy failed: AWS rejected the policy document (AWS: MalformedPolicyDocument: Syntax errors in policy.) [HTTP 400]"
    );
    assert!(error.next_step().unwrap().contains("```json block"));
    assert_eq!(
        attached.num_calls(),
        0,
        "nothing attached after a failed create"
    );
}

#[test]
fn too_many_attached_policies_says_which_to_detach() {
    let (missing, create, attached) = (no_policy(), created(), nothing_attached());
    let attach = mock!(aws_sdk_iam::Client::attach_user_policy)
        .sequence()
        .http_status(
            409,
            Some(iam_error(
                "LimitExceeded",
                "Cannot exceed quota for PoliciesPerUser: 10",
            )),
        )
        .build();
    let ran = run_mocked(&[&missing, &create, &attached, &attach]);
    let error = ran.result.unwrap_err();
    assert!(
        error.to_string().starts_with(
            "AttachUserPolicy failed: the user or group already has the most managed policies"
        ),
        "{error}"
    );
    assert!(error.next_step().unwrap().contains("detach-user-policy"));
    assert_eq!(create.num_calls(), 1);
}

#[test]
fn a_policy_that_cannot_be_attached_and_access_denied_say_what_to_do() {
    let (missing, create, attached) = (no_policy(), created(), nothing_attached());
    let attach = mock!(aws_sdk_iam::Client::attach_user_policy)
        .sequence()
        .http_status(
            400,
            Some(iam_error(
                "PolicyNotAttachable",
                "Policy is a service role policy",
            )),
        )
        .build();
    let ran = run_mocked(&[&missing, &create, &attached, &attach]);
    let error = ran.result.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("cannot be attached to users or groups"),
        "{error}"
    );
    assert!(
        error
            .next_step()
            .unwrap()
            .contains("customer managed policy")
    );

    // Denied at the first look-up: nothing is created.
    let denied = mock!(aws_sdk_iam::Client::get_policy)
        .sequence()
        .http_status(
            403,
            Some(iam_error(
                "AccessDenied",
                "User is not authorized to perform: iam:GetPolicy",
            )),
        )
        .build();
    let create = created();
    let ran = run_mocked(&[&denied, &create]);
    let error = ran.result.unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("GetPolicy failed: access denied"),
        "{error}"
    );
    assert!(error.next_step().unwrap().contains("iam:CreatePolicy"));
    assert_eq!(create.num_calls(), 0);
}

#[test]
fn the_rendered_guide_shows_the_document_exactly_and_the_cli_equivalents() {
    let site = tempfile::tempdir().unwrap();
    Test::new()
        .current_dir(root())
        .args(["render", "runbooks/require-mfa.md", "--out"])
        .args([site.path().to_str().unwrap()])
        .run()
        .assert_code(0);
    let html = std::fs::read_to_string(site.path().join("require-mfa.html")).unwrap();
    let unescaped = html
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    // The reader sees the very text the action sends, and no `id=` annotation.
    assert!(
        unescaped.contains(&guide_document()),
        "the policy block is not shown as written"
    );
    assert!(!html.contains("id=require-mfa-policy"));
    for command in [
        "aws iam create-policy --policy-name <policy-name> --policy-document file://require-mfa-policy.json",
        "aws iam attach-user-policy --user-name <target-name> --policy-arn <policy-arn>",
        "aws iam attach-group-policy --group-name <target-name> --policy-arn <policy-arn>",
        "aws iam get-policy-version --policy-arn <policy-arn> --version-id <attached-policy-default-version-id>",
    ] {
        assert!(unescaped.contains(command), "no `{command}` in the page");
    }
}

#[test]
fn a_policy_with_another_document_is_left_alone_and_the_differences_named() {
    let user = user("policy-differs");
    let provider = user.provider();
    let older = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "AllowListActions", "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}"#;
    let existing = provider
        .create_policy("RequireMFA-differs", None, older, None)
        .unwrap();
    let ran = run_guide(
        &provider,
        mode(true, false, &[("policy_name", "RequireMFA-differs")]),
    );
    let error = ran.result.unwrap_err();
    assert!(error.to_string().contains("document_matches"), "{error}");
    for line in [
        "statement `AllowListActions` differs",
        "statement `BlockMostAccessUnlessSignedInWithMFA` is only in the guide's",
    ] {
        assert!(ran.output.contains(line), "no {line:?} in:\n{}", ran.output);
    }
    // Nothing changed: the old version is still the one in force, and nothing attached.
    let policy = provider.get_policy(&existing.arn).unwrap();
    assert_eq!(policy.default_version_id, "v1");
    assert_eq!(
        provider.get_policy_version(&existing.arn, "v1").unwrap(),
        older
    );
    assert!(
        provider
            .list_attached_user_policies(&user.name)
            .unwrap()
            .is_empty()
    );
}
