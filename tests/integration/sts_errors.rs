//! The errors AWS documents for `AssumeRole` and `GetSessionToken`, which the local
//! emulator cannot produce (it checks neither codes nor trust policies), through
//! aws-smithy-mocks: each is classified, says what happened and gives a next step; and
//! through a whole run, the person sees both and no code or credential.

use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::operation::assume_role::AssumeRoleOutput;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use aws_sdk_sts::primitives::DateTime;
use aws_sdk_sts::types::{AssumedRoleUser, Credentials};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use runbook::providers::aws::AwsProvider;
use runbook::providers::{AssumeRoleRequest, ErrorKind, FixedClock, ScriptedPrompt, Sts};
use runbook::run::context::Mode;
use runbook::run::executor::Selection;
use runbook::secret::Secret;

use crate::inprocess::run_text;

const ROLE: &str = "arn:aws:iam::123456789012:role/Admin";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice-DuoMobile";

fn sts_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-3</RequestId></ErrorResponse>"
    )
}

fn sts_client(rules: &[&Rule]) -> aws_sdk_sts::Client {
    mock_client!(aws_sdk_sts, RuleMode::MatchAny, rules, |config| config
        .retry_config(RetryConfig::disabled()))
}

fn iam_client() -> aws_sdk_iam::Client {
    mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[])
}

/// `AssumeRole` failing with `code` (HTTP `status`).
fn assume_role_failing(status: u16, code: &str, message: &str) -> Rule {
    let body = sts_error(code, message);
    mock!(aws_sdk_sts::Client::assume_role)
        .sequence()
        .http_status(status, Some(body))
        .build()
}

fn assume(provider: &AwsProvider) -> runbook::providers::AwsError {
    let code = Secret::new("123456");
    provider
        .assume_role(&AssumeRoleRequest {
            role_arn: ROLE,
            session_name: "alice-cli",
            mfa: Some((SERIAL, &code)),
            duration_seconds: None,
        })
        .unwrap_err()
}

#[test]
fn every_documented_assume_role_error_has_a_message_and_a_next_step() {
    // AssumeRole's documented errors (STS API reference), and the sign-in failures.
    let cases = [
        (
            403,
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
            ErrorKind::AccessDenied,
            "trust policy",
        ),
        (
            403,
            "ExpiredTokenException",
            "The security token included in the request is expired",
            ErrorKind::Credentials,
            "source_profile",
        ),
        (
            403,
            "RegionDisabledException",
            "STS is not activated in this region for account:123456789012.",
            ErrorKind::RegionDisabled,
            "--region",
        ),
        (
            400,
            "MalformedPolicyDocument",
            "The policy is not in the valid JSON format.",
            ErrorKind::SessionPolicy,
            "--endpoint-url",
        ),
        (
            400,
            "PackedPolicyTooLarge",
            "The inline session policy is too large.",
            ErrorKind::SessionPolicy,
            "--endpoint-url",
        ),
        (
            400,
            "ValidationError",
            "1 validation error detected: Value 'x' at 'durationSeconds'",
            ErrorKind::InvalidInput,
            "runbook actions",
        ),
        (
            400,
            "Throttling",
            "Rate exceeded",
            ErrorKind::Throttling,
            "run again",
        ),
    ];
    for (status, code, message, kind, next) in cases {
        let rule = assume_role_failing(status, code, message);
        let provider = AwsProvider::from_clients(iam_client(), sts_client(&[&rule]));
        let error = assume(&provider);
        assert_eq!(error.kind, kind, "{code}");
        assert_eq!(error.operation, "AssumeRole");
        assert_eq!(error.code.as_deref(), Some(code));
        let shown = error.to_string();
        assert!(shown.starts_with("AssumeRole failed: "), "{shown}");
        assert!(shown.contains(message), "{shown}");
        assert!(
            error.next_step().contains(next),
            "{code}: `{next}` not in the next step `{}`",
            error.next_step()
        );
        assert_eq!(rule.num_calls(), 1, "{code}");
    }
}

#[test]
fn a_rejected_session_token_code_says_to_type_a_fresh_one() {
    let body = sts_error(
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
    );
    let rule = mock!(aws_sdk_sts::Client::get_session_token)
        .sequence()
        .http_status(403, Some(body))
        .build();
    let region = mock!(aws_sdk_sts::Client::get_session_token)
        .sequence()
        .http_status(
            403,
            Some(sts_error(
                "RegionDisabledException",
                "STS is not activated in this region",
            )),
        )
        .build();
    for (rule, kind, next) in [
        (&rule, ErrorKind::AccessDenied, "fresh code"),
        (&region, ErrorKind::RegionDisabled, "--region"),
    ] {
        let provider = AwsProvider::from_clients(iam_client(), sts_client(&[rule]));
        let error = provider
            .get_session_token(SERIAL, &Secret::new("123456"), None)
            .unwrap_err();
        assert_eq!(error.kind, kind);
        assert!(error.next_step().contains(next), "{}", error.next_step());
    }
}

const GUIDE: &str = r#"# Assume the role

## Who am I

```sts.get-caller-identity id=me
```

## Sign in

```totp.read-code id=code
prompt = "Code"
```

```sts.assume-role id=role
role_arn = "arn:aws:iam::{{ me.account }}:role/Admin"
session_name = "alice-cli"
serial_number = "arn:aws:iam::{{ me.account }}:mfa/alice-DuoMobile"
code = "{{ code.code }}"
```
"#;

fn caller() -> Rule {
    mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
        GetCallerIdentityOutput::builder()
            .account("123456789012")
            .arn("arn:aws:iam::123456789012:user/alice")
            .user_id("AIDAEXAMPLE")
            .build()
    })
}

#[test]
fn a_wrong_code_in_a_run_is_reported_with_what_to_do_and_no_code() {
    let caller = caller();
    let denied = assume_role_failing(
        403,
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
    );
    let provider = AwsProvider::from_clients(iam_client(), sts_client(&[&caller, &denied]));
    let mut prompt = ScriptedPrompt::new(["271828"]);
    let ran = run_text(
        GUIDE,
        &provider,
        &provider,
        &FixedClock::new(1_700_000_000),
        &mut prompt,
        Mode::default(),
        Selection::default(),
    );
    let error = ran.result.unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("AssumeRole failed: access denied"),
        "{error}"
    );
    assert!(error.next_step().unwrap().contains("fresh code"), "{error}");
    assert!(ran.output.contains("trust policy"), "{}", ran.output);
    assert!(!ran.output.contains("271828"), "{}", ran.output);
    assert_eq!(denied.num_calls(), 1);
}

#[test]
fn the_assumed_role_keeps_its_credentials_secret() {
    let caller = caller();
    let ok = mock!(aws_sdk_sts::Client::assume_role).then_output(|| {
        AssumeRoleOutput::builder()
            .assumed_role_user(
                AssumedRoleUser::builder()
                    .arn("arn:aws:sts::123456789012:assumed-role/Admin/alice-cli")
                    .assumed_role_id("AROAEXAMPLE:alice-cli")
                    .build()
                    .unwrap(),
            )
            .credentials(
                Credentials::builder()
                    .access_key_id("ASIATESTTESTTESTTEST")
                    .secret_access_key("never-shown-secret-key")
                    .session_token("never-shown-session-token")
                    .expiration(DateTime::from_secs(1_700_003_600))
                    .build()
                    .unwrap(),
            )
            .build()
    });
    let provider = AwsProvider::from_clients(iam_client(), sts_client(&[&caller, &ok]));
    let mut prompt = ScriptedPrompt::new(["271828"]);
    let ran = run_text(
        GUIDE,
        &provider,
        &provider,
        &FixedClock::new(1_700_000_000),
        &mut prompt,
        Mode::default(),
        Selection::default(),
    );
    ran.result.unwrap();
    assert!(
        ran.output
            .contains("as arn:aws:sts::123456789012:assumed-role/Admin/alice-cli"),
        "{}",
        ran.output
    );
    assert!(
        ran.output.contains("2023-11-14T23:13:20Z"),
        "{}",
        ran.output
    );
    for secret in [
        "never-shown-secret-key",
        "never-shown-session-token",
        "271828",
    ] {
        assert!(
            !ran.output.contains(secret),
            "{secret} shown:\n{}",
            ran.output
        );
    }
}
