//! AWS error paths the local emulator cannot produce, through aws-smithy-mocks: each
//! gives a message that says what happened and what to do, and leaves nothing behind.

use std::time::Duration;

use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::operation::create_virtual_mfa_device::CreateVirtualMfaDeviceOutput;
use aws_sdk_iam::operation::delete_login_profile::DeleteLoginProfileOutput;
use aws_sdk_iam::operation::delete_virtual_mfa_device::DeleteVirtualMfaDeviceOutput;
use aws_sdk_iam::operation::enable_mfa_device::EnableMfaDeviceOutput;
use aws_sdk_iam::operation::get_login_profile::GetLoginProfileOutput;
use aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput;
use aws_sdk_iam::operation::list_mfa_devices::ListMfaDevicesOutput;
use aws_sdk_iam::operation::list_virtual_mfa_devices::ListVirtualMfaDevicesOutput;
use aws_sdk_iam::operation::update_access_key::UpdateAccessKeyOutput;
use aws_sdk_iam::primitives::Blob;
use aws_sdk_iam::types::{
    AccessKeyMetadata, AssignmentStatusType, LoginProfile, StatusType, VirtualMfaDevice,
};
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use runbook::providers::Iam;
use runbook::providers::aws::AwsProvider;
use runbook::providers::{FixedClock, ScriptedPrompt};
use runbook::run::context::Mode;
use runbook::run::executor::Selection;

use crate::harness::root;
use crate::inprocess::{Ran, run_text};

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice-DuoMobile";
const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn iam_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
    )
}

fn sts_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-2</RequestId></ErrorResponse>"
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

fn no_devices() -> Rule {
    mock!(aws_sdk_iam::Client::list_mfa_devices)
        .sequence()
        .output(|| {
            ListMfaDevicesOutput::builder()
                .set_mfa_devices(Some(vec![]))
                .build()
                .unwrap()
        })
        .repeatedly()
        .build()
}

fn device() -> VirtualMfaDevice {
    VirtualMfaDevice::builder()
        .serial_number(SERIAL)
        .base32_string_seed(Blob::new(SEED))
        .build()
        .unwrap()
}

/// `ListVirtualMFADevices` answers: nothing assigned; unassigned: first nothing, then
/// (after creation) the device, so cleanup finds it.
fn virtual_devices() -> (Rule, Rule) {
    let assigned = mock!(aws_sdk_iam::Client::list_virtual_mfa_devices)
        .match_requests(|r| r.assignment_status() == Some(&AssignmentStatusType::Assigned))
        .sequence()
        .output(|| {
            ListVirtualMfaDevicesOutput::builder()
                .set_virtual_mfa_devices(Some(vec![]))
                .build()
                .unwrap()
        })
        .repeatedly()
        .build();
    let unassigned = mock!(aws_sdk_iam::Client::list_virtual_mfa_devices)
        .match_requests(|r| r.assignment_status() == Some(&AssignmentStatusType::Unassigned))
        .sequence()
        .output(|| {
            ListVirtualMfaDevicesOutput::builder()
                .set_virtual_mfa_devices(Some(vec![]))
                .build()
                .unwrap()
        })
        .output(|| {
            ListVirtualMfaDevicesOutput::builder()
                .set_virtual_mfa_devices(Some(vec![device()]))
                .build()
                .unwrap()
        })
        .repeatedly()
        .build();
    (assigned, unassigned)
}

fn create_ok() -> Rule {
    mock!(aws_sdk_iam::Client::create_virtual_mfa_device).then_output(|| {
        CreateVirtualMfaDeviceOutput::builder()
            .virtual_mfa_device(device())
            .build()
    })
}

fn delete_ok() -> Rule {
    mock!(aws_sdk_iam::Client::delete_virtual_mfa_device)
        .then_output(|| DeleteVirtualMfaDeviceOutput::builder().build())
}

fn run(iam: aws_sdk_iam::Client, sts: aws_sdk_sts::Client) -> Ran {
    let text = std::fs::read_to_string(root().join("tests/fixtures/run/part1.md")).unwrap();
    let provider = AwsProvider::from_clients(iam, sts);
    let clock = FixedClock::new(1_700_000_000);
    // Unattended, against "AWS": the new device's enrolment key goes to a file.
    let seeds = tempfile::tempdir().unwrap();
    let mode = Mode {
        yes: true,
        seed_file: Some(seeds.path().join("seed.uri")),
        ..Mode::default()
    };
    let mut prompt = ScriptedPrompt::default();
    run_text(
        &text,
        &provider,
        &provider,
        &clock,
        &mut prompt,
        mode,
        Selection::default(),
    )
}

/// A mocked IAM client answering with the first matching rule, with no retries.
fn iam_client(rules: &[&Rule]) -> aws_sdk_iam::Client {
    mock_client!(aws_sdk_iam, RuleMode::MatchAny, rules, |config| config
        .retry_config(RetryConfig::disabled()))
}

fn sts_client(rules: &[&Rule]) -> aws_sdk_sts::Client {
    mock_client!(aws_sdk_sts, RuleMode::MatchAny, rules, |config| config
        .retry_config(RetryConfig::disabled()))
}

#[test]
fn invalid_authentication_code_deletes_the_new_device() {
    let (assigned, unassigned) = virtual_devices();
    let (caller, no_devices, create, delete) = (caller(), no_devices(), create_ok(), delete_ok());
    let enable = mock!(aws_sdk_iam::Client::enable_mfa_device)
        .sequence()
        .http_status(
            403,
            Some(iam_error(
                "InvalidAuthenticationCode",
                "Authentication code for device is not valid.",
            )),
        )
        .build();
    let iam = iam_client(&[
        &no_devices,
        &assigned,
        &unassigned,
        &create,
        &enable,
        &delete,
    ]);
    let outcome = run(iam, sts_client(&[&caller]));
    let error = outcome.result.unwrap_err();
    assert_eq!(
        error.to_string(),
        "EnableMFADevice failed: AWS rejected the MFA codes (AWS: InvalidAuthenticationCode: Authentication code for device is not valid.) [HTTP 403]"
    );
    assert!(
        error.next_step().unwrap().contains("clock"),
        "{:?}",
        error.next_step()
    );
    assert_eq!(enable.num_calls(), 1);
    assert_eq!(
        delete.num_calls(),
        1,
        "the device created by the run must be deleted:\n{}",
        outcome.output
    );
    assert!(
        outcome.output.contains(&format!(
            "deleted {SERIAL}: this run created it but never enabled it"
        )),
        "{}",
        outcome.output
    );
}

#[test]
fn entity_temporarily_unmodifiable_also_cleans_up() {
    let (assigned, unassigned) = virtual_devices();
    let (caller, no_devices, create, delete) = (caller(), no_devices(), create_ok(), delete_ok());
    let enable = mock!(aws_sdk_iam::Client::enable_mfa_device)
        .sequence()
        .http_status(
            409,
            Some(iam_error(
                "EntityTemporarilyUnmodifiable",
                "The user is being modified.",
            )),
        )
        .build();
    let iam = iam_client(&[
        &no_devices,
        &assigned,
        &unassigned,
        &create,
        &enable,
        &delete,
    ]);
    let outcome = run(iam, sts_client(&[&caller]));
    let error = outcome.result.unwrap_err();
    assert!(
        error.to_string().contains("cannot be changed right now"),
        "{error}"
    );
    assert!(error.next_step().unwrap().contains("wait a minute"));
    assert_eq!(delete.num_calls(), 1);
}

#[test]
fn limit_exceeded_creates_nothing() {
    let (assigned, unassigned) = virtual_devices();
    let (caller, no_devices, delete) = (caller(), no_devices(), delete_ok());
    let create = mock!(aws_sdk_iam::Client::create_virtual_mfa_device)
        .sequence()
        .http_status(
            409,
            Some(iam_error(
                "LimitExceeded",
                "Cannot exceed quota for MFADevicesPerUser: 8",
            )),
        )
        .build();
    let enable = mock!(aws_sdk_iam::Client::enable_mfa_device)
        .then_output(|| EnableMfaDeviceOutput::builder().build());
    let iam = iam_client(&[
        &no_devices,
        &assigned,
        &unassigned,
        &create,
        &enable,
        &delete,
    ]);
    let outcome = run(iam, sts_client(&[&caller]));
    let error = outcome.result.unwrap_err();
    assert!(
        error.to_string().contains("at most 8 MFA devices per user"),
        "{error}"
    );
    assert!(error.next_step().unwrap().contains("remove an MFA device"));
    assert_eq!(create.num_calls(), 1);
    assert_eq!(enable.num_calls(), 0);
    assert_eq!(
        delete.num_calls(),
        0,
        "nothing was created, so nothing is deleted"
    );
}

#[test]
fn delete_conflict_on_an_orphan_is_reported_and_nothing_is_created() {
    let (caller, no_devices) = (caller(), no_devices());
    let assigned = mock!(aws_sdk_iam::Client::list_virtual_mfa_devices)
        .match_requests(|r| r.assignment_status() == Some(&AssignmentStatusType::Assigned))
        .sequence()
        .output(|| {
            ListVirtualMfaDevicesOutput::builder()
                .set_virtual_mfa_devices(Some(vec![]))
                .build()
                .unwrap()
        })
        .repeatedly()
        .build();
    // An unassigned device of the same name: an orphan, which the run offers to delete.
    let unassigned = mock!(aws_sdk_iam::Client::list_virtual_mfa_devices)
        .match_requests(|r| r.assignment_status() == Some(&AssignmentStatusType::Unassigned))
        .sequence()
        .output(|| {
            ListVirtualMfaDevicesOutput::builder()
                .set_virtual_mfa_devices(Some(vec![device()]))
                .build()
                .unwrap()
        })
        .repeatedly()
        .build();
    let delete = mock!(aws_sdk_iam::Client::delete_virtual_mfa_device)
        .sequence()
        .http_status(
            409,
            Some(iam_error("DeleteConflict", "MFA device is in use.")),
        )
        .build();
    let create = create_ok();
    let iam = iam_client(&[&no_devices, &assigned, &unassigned, &delete, &create]);
    let outcome = run(iam, sts_client(&[&caller]));
    let error = outcome.result.unwrap_err();
    assert!(error.to_string().contains("DeleteConflict"), "{error}");
    assert!(
        error.to_string().contains("still assigned to a user"),
        "{error}"
    );
    assert!(
        error
            .next_step()
            .unwrap()
            .contains("never deletes an assigned device")
    );
    assert_eq!(create.num_calls(), 0);
}

#[test]
fn access_denied_stops_before_any_change() {
    let (assigned, unassigned) = virtual_devices();
    let (no_devices, create) = (no_devices(), create_ok());
    let caller = mock!(aws_sdk_sts::Client::get_caller_identity)
        .sequence()
        .http_status(
            403,
            Some(sts_error(
                "AccessDenied",
                "User is not authorized to perform: sts:GetCallerIdentity",
            )),
        )
        .build();
    let iam = iam_client(&[&no_devices, &assigned, &unassigned, &create]);
    let outcome = run(iam, sts_client(&[&caller]));
    let error = outcome.result.unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("GetCallerIdentity failed: access denied"),
        "{error}"
    );
    assert!(error.next_step().unwrap().contains("--profile"));
    assert_eq!(create.num_calls(), 0);
    assert_eq!(no_devices.num_calls(), 0);
}

#[test]
fn throttling_is_retried_with_backoff() {
    let (assigned, unassigned) = virtual_devices();
    let (caller, create, delete) = (caller(), create_ok(), delete_ok());
    let throttled_then_ok = mock!(aws_sdk_iam::Client::list_mfa_devices)
        .sequence()
        .http_status(400, Some(iam_error("Throttling", "Rate exceeded")))
        .output(|| {
            ListMfaDevicesOutput::builder()
                .set_mfa_devices(Some(vec![]))
                .build()
                .unwrap()
        })
        .repeatedly()
        .build();
    let enable = mock!(aws_sdk_iam::Client::enable_mfa_device)
        .then_output(|| EnableMfaDeviceOutput::builder().build());
    let retry = RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(5));
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [
            &throttled_then_ok,
            &assigned,
            &unassigned,
            &create,
            &enable,
            &delete
        ],
        |c| c.retry_config(retry.clone())
    );
    let outcome = run(iam, sts_client(&[&caller]));
    // The run gets past the throttled call; the mocked list never shows the device, so
    // enabling is not believed: the listing after EnableMFADevice decides.
    let error = outcome.result.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("was enabled, but it is not among alice's MFA devices"),
        "{error}: {}",
        outcome.output
    );
    assert!(
        throttled_then_ok.num_calls() >= 2,
        "the throttled call was retried"
    );
    assert_eq!(enable.num_calls(), 1);
}

#[test]
fn throttling_without_retries_left_says_wait() {
    let (assigned, unassigned) = virtual_devices();
    let caller = caller();
    let throttled = mock!(aws_sdk_iam::Client::list_mfa_devices)
        .sequence()
        .http_status(400, Some(iam_error("Throttling", "Rate exceeded")))
        .repeatedly()
        .build();
    let iam = iam_client(&[&throttled, &assigned, &unassigned]);
    let outcome = run(iam, sts_client(&[&caller]));
    let error = outcome.result.unwrap_err();
    assert!(
        error.to_string().contains("AWS is throttling requests"),
        "{error}"
    );
    assert!(
        error
            .next_step()
            .unwrap()
            .contains("resumes where it stopped")
    );
}

// Sign-in credentials (offboarding)

/// `runbooks/offboard-user.md` for user `bob`, unattended, against mocked IAM whose user
/// has one active access key, a console password and no MFA device.
fn offboard(iam: aws_sdk_iam::Client) -> Ran {
    let text = std::fs::read_to_string(root().join("runbooks/offboard-user.md")).unwrap();
    let sts = sts_client(&[&caller()]);
    let provider = AwsProvider::from_clients(iam, sts);
    let clock = FixedClock::new(1_700_000_000);
    let mode = Mode {
        yes: true,
        vars: [("user_name".to_string(), "bob".to_string())].into(),
        ..Mode::default()
    };
    let mut prompt = ScriptedPrompt::default();
    run_text(
        &text,
        &provider,
        &provider,
        &clock,
        &mut prompt,
        mode,
        Selection::default(),
    )
}

const KEY_ID: &str = "KEYIDFORTESTSONLY1";

fn one_active_key() -> Rule {
    mock!(aws_sdk_iam::Client::list_access_keys).then_output(|| {
        ListAccessKeysOutput::builder()
            .access_key_metadata(
                AccessKeyMetadata::builder()
                    .user_name("bob")
                    .access_key_id(KEY_ID)
                    .status(StatusType::Active)
                    .create_date(aws_sdk_iam::primitives::DateTime::from_secs(1_690_000_000))
                    .build(),
            )
            .build()
            .unwrap()
    })
}

fn a_password() -> Rule {
    mock!(aws_sdk_iam::Client::get_login_profile).then_output(|| {
        GetLoginProfileOutput::builder()
            .login_profile(
                LoginProfile::builder()
                    .user_name("bob")
                    .create_date(aws_sdk_iam::primitives::DateTime::from_secs(1_690_000_000))
                    .build()
                    .unwrap(),
            )
            .build()
    })
}

fn no_mfa_devices() -> Rule {
    mock!(aws_sdk_iam::Client::list_mfa_devices).then_output(|| {
        ListMfaDevicesOutput::builder()
            .set_mfa_devices(Some(vec![]))
            .build()
            .unwrap()
    })
}

#[test]
fn update_access_key_limit_exceeded_says_wait_not_mfa() {
    let (devices, keys, password) = (no_mfa_devices(), one_active_key(), a_password());
    let update = mock!(aws_sdk_iam::Client::update_access_key)
        .sequence()
        .http_status(
            409,
            Some(iam_error("LimitExceeded", "Rate of requests exceeded.")),
        )
        .build();
    let delete = mock!(aws_sdk_iam::Client::delete_login_profile)
        .then_output(|| DeleteLoginProfileOutput::builder().build());
    let outcome = offboard(iam_client(&[&devices, &keys, &password, &update, &delete]));
    let error = outcome.result.unwrap_err();
    assert_eq!(
        error.to_string(),
        "UpdateAccessKey failed: too many requests of this kind were made to the account (an IAM limit) (AWS: LimitExceeded: Rate of requests exceeded.) [HTTP 409]"
    );
    assert!(
        error.next_step().unwrap().contains("wait a minute"),
        "{:?}",
        error.next_step()
    );
    assert_eq!(update.num_calls(), 1);
    assert_eq!(delete.num_calls(), 0, "the run stopped at the failed step");
}

#[test]
fn delete_login_profile_entity_temporarily_unmodifiable_says_wait() {
    let (devices, keys, password) = (no_mfa_devices(), one_active_key(), a_password());
    let update = mock!(aws_sdk_iam::Client::update_access_key)
        .then_output(|| UpdateAccessKeyOutput::builder().build());
    let delete = mock!(aws_sdk_iam::Client::delete_login_profile)
        .sequence()
        .http_status(
            409,
            Some(iam_error(
                "EntityTemporarilyUnmodifiable",
                "Login Profile for User bob cannot be modified while login profile is being created.",
            )),
        )
        .build();
    let outcome = offboard(iam_client(&[&devices, &keys, &password, &update, &delete]));
    let error = outcome.result.unwrap_err();
    assert!(
        error.to_string().starts_with(
            "DeleteLoginProfile failed: the user's console password cannot be changed right now"
        ),
        "{error}"
    );
    assert!(
        error.next_step().unwrap().contains("resumes"),
        "{:?}",
        error.next_step()
    );
    assert_eq!(delete.num_calls(), 1);
}

#[test]
fn list_access_keys_service_failure_stops_before_any_change() {
    let (devices, password) = (no_mfa_devices(), a_password());
    let keys = mock!(aws_sdk_iam::Client::list_access_keys)
        .sequence()
        .http_status(
            500,
            Some(iam_error(
                "ServiceFailure",
                "The request processing has failed.",
            )),
        )
        .build();
    let update = mock!(aws_sdk_iam::Client::update_access_key)
        .then_output(|| UpdateAccessKeyOutput::builder().build());
    let delete = mock!(aws_sdk_iam::Client::delete_login_profile)
        .then_output(|| DeleteLoginProfileOutput::builder().build());
    let outcome = offboard(iam_client(&[&devices, &keys, &password, &update, &delete]));
    let error = outcome.result.unwrap_err();
    assert!(
        error.to_string().starts_with(
            "ListAccessKeys failed: IAM failed to answer (ServiceFailure) or returned an unexpected error"
        ),
        "{error}"
    );
    assert!(error.next_step().unwrap().contains("safe to repeat"));
    assert_eq!(
        update.num_calls() + delete.num_calls(),
        0,
        "nothing was changed"
    );
}

#[test]
fn get_login_profile_access_denied_names_the_permissions() {
    let (devices, keys) = (no_mfa_devices(), one_active_key());
    let password = mock!(aws_sdk_iam::Client::get_login_profile)
        .sequence()
        .http_status(
            403,
            Some(iam_error(
                "AccessDenied",
                "User is not authorized to perform: iam:GetLoginProfile",
            )),
        )
        .build();
    let update = mock!(aws_sdk_iam::Client::update_access_key)
        .then_output(|| UpdateAccessKeyOutput::builder().build());
    let outcome = offboard(iam_client(&[&devices, &keys, &password, &update]));
    let error = outcome.result.unwrap_err();
    assert!(error.to_string().contains("access denied"), "{error}");
    assert!(
        error.next_step().unwrap().contains("iam:GetLoginProfile"),
        "{:?}",
        error.next_step()
    );
    assert_eq!(update.num_calls(), 0, "the listing comes before any change");
}

/// NoSuchEntity for the login profile is "no console password"; for the user, an error.
#[test]
fn get_login_profile_no_such_entity_is_no_password_unless_the_user_is_missing() {
    let no_profile = mock!(aws_sdk_iam::Client::get_login_profile)
        .sequence()
        .http_status(
            404,
            Some(iam_error(
                "NoSuchEntity",
                "Login Profile for User bob cannot be found.",
            )),
        )
        .build();
    let provider = AwsProvider::from_clients(iam_client(&[&no_profile]), sts_client(&[&caller()]));
    assert_eq!(provider.get_login_profile("bob"), Ok(None));
    let no_user = mock!(aws_sdk_iam::Client::get_login_profile)
        .sequence()
        .http_status(
            404,
            Some(iam_error(
                "NoSuchEntity",
                "The user with name bob cannot be found.",
            )),
        )
        .build();
    let provider = AwsProvider::from_clients(iam_client(&[&no_user]), sts_client(&[&caller()]));
    let error = provider.get_login_profile("bob").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the user or their console password does not exist"),
        "{error}"
    );
}

/// The password removed by someone else between the look and the deletion: nothing to do,
/// and the run goes on to its final check.
#[test]
fn delete_login_profile_no_such_entity_after_the_look_is_nothing_to_delete() {
    let (devices, keys) = (no_mfa_devices(), one_active_key());
    let password = mock!(aws_sdk_iam::Client::get_login_profile)
        .sequence()
        .output(|| {
            GetLoginProfileOutput::builder()
                .login_profile(
                    LoginProfile::builder()
                        .user_name("bob")
                        .create_date(aws_sdk_iam::primitives::DateTime::from_secs(1_690_000_000))
                        .build()
                        .unwrap(),
                )
                .build()
        })
        .times(2)
        .http_status(
            404,
            Some(iam_error(
                "NoSuchEntity",
                "Login Profile for User bob cannot be found.",
            )),
        )
        .repeatedly()
        .build();
    let update = mock!(aws_sdk_iam::Client::update_access_key)
        .then_output(|| UpdateAccessKeyOutput::builder().build());
    let delete = mock!(aws_sdk_iam::Client::delete_login_profile)
        .sequence()
        .http_status(
            404,
            Some(iam_error(
                "NoSuchEntity",
                "Login Profile for User bob cannot be found.",
            )),
        )
        .build();
    let outcome = offboard(iam_client(&[&devices, &keys, &password, &update, &delete]));
    assert_eq!(delete.num_calls(), 1);
    assert!(
        outcome
            .output
            .contains("the console password of bob was removed meanwhile: nothing to delete"),
        "{}",
        outcome.output
    );
    // The mocked key stays `Active` (the mock ignores the update), so the final check
    // fails on the keys, after the password step went through.
    let error = outcome.result.unwrap_err();
    assert!(error.to_string().contains("active_count == 0"), "{error}");
}
