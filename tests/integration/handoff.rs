//! The console hand-off: the root user's console path verified through the account
//! summary, and a security key polled for until it appears or the time is up — with a
//! fixed clock, so waiting takes no time.

use std::cell::Cell;

use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::operation::get_account_summary::GetAccountSummaryOutput;
use aws_sdk_iam::operation::list_mfa_devices::ListMfaDevicesOutput;
use aws_sdk_iam::primitives::DateTime;
use aws_sdk_iam::types::{MfaDevice as SdkMfaDevice, SummaryKeyType};
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use runbook::providers::aws::AwsProvider;
use runbook::providers::{AccessKey, AccessKeyStatus, LoginProfile};
use runbook::providers::{
    AccountSummary, Assignment, AwsError, CreatedDevice, FixedClock, Iam, MfaDevice,
    MfaDeviceDetails, ScriptedPrompt, VirtualMfaDevice,
};
use runbook::providers::{AttachedPolicy, ManagedPolicy};
use runbook::run::context::Mode;
use runbook::run::executor::Selection;
use runbook::secret::Secret;
// Users and credentials (audit)
use runbook::providers::{CredentialReport, IamUser, ReportState};

use crate::harness::root;
use crate::inprocess::run_text;
use crate::moto::user;

const KEY_STEP: &str = "# Security key

## Who am I

```sts.get-caller-identity id=me
```

## Register the key in the console

```console.handoff id=key
verify = \"security-key\"
user = \"{{ me.user_name }}\"
timeout_seconds = 60
poll_seconds = 5
```
";

/// The emulator, counting `ListMFADevices` calls, and registering a security key on the
/// user at the `appear_at`-th call (as a person in the console would, while we poll).
struct Console<'a> {
    real: &'a AwsProvider,
    lists: Cell<usize>,
    appear_at: Option<usize>,
    serial: String,
}

impl Iam for Console<'_> {
    fn create_virtual_mfa_device(
        &self,
        name: &str,
        path: Option<&str>,
    ) -> Result<CreatedDevice, AwsError> {
        self.real.create_virtual_mfa_device(name, path)
    }
    fn enable_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &Secret,
        code2: &Secret,
    ) -> Result<(), AwsError> {
        self.real.enable_mfa_device(user, serial, code1, code2)
    }
    fn resync_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &Secret,
        code2: &Secret,
    ) -> Result<(), AwsError> {
        self.real.resync_mfa_device(user, serial, code1, code2)
    }
    fn deactivate_mfa_device(&self, user: &str, serial: &str) -> Result<(), AwsError> {
        self.real.deactivate_mfa_device(user, serial)
    }
    fn delete_virtual_mfa_device(&self, serial: &str) -> Result<(), AwsError> {
        self.real.delete_virtual_mfa_device(serial)
    }
    fn list_mfa_devices(&self, user: Option<&str>) -> Result<Vec<MfaDevice>, AwsError> {
        self.lists.set(self.lists.get() + 1);
        if Some(self.lists.get()) == self.appear_at {
            let code = Secret::new("000000");
            self.real
                .enable_mfa_device(user.unwrap(), &self.serial, &code, &code)?;
        }
        self.real.list_mfa_devices(user)
    }
    fn list_virtual_mfa_devices(
        &self,
        assignment: Assignment,
    ) -> Result<Vec<VirtualMfaDevice>, AwsError> {
        self.real.list_virtual_mfa_devices(assignment)
    }
    fn get_mfa_device(
        &self,
        serial: &str,
        user: Option<&str>,
    ) -> Result<MfaDeviceDetails, AwsError> {
        self.real.get_mfa_device(serial, user)
    }
    fn get_account_summary(&self) -> Result<AccountSummary, AwsError> {
        self.real.get_account_summary()
    }
    // Sign-in credentials (offboarding)
    fn get_login_profile(&self, user: &str) -> Result<Option<LoginProfile>, AwsError> {
        self.real.get_login_profile(user)
    }
    fn delete_login_profile(&self, user: &str) -> Result<(), AwsError> {
        self.real.delete_login_profile(user)
    }
    fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKey>, AwsError> {
        self.real.list_access_keys(user)
    }
    fn update_access_key(
        &self,
        user: &str,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<(), AwsError> {
        self.real.update_access_key(user, access_key_id, status)
    }
    // Users and credentials (audit)
    fn list_users(&self, path_prefix: Option<&str>) -> Result<Vec<IamUser>, AwsError> {
        self.real.list_users(path_prefix)
    }
    fn generate_credential_report(&self) -> Result<ReportState, AwsError> {
        self.real.generate_credential_report()
    }
    fn get_credential_report(&self) -> Result<CredentialReport, AwsError> {
        self.real.get_credential_report()
    }

    // Managed policies (require MFA)
    fn create_policy(
        &self,
        name: &str,
        path: Option<&str>,
        document: &str,
        description: Option<&str>,
    ) -> Result<ManagedPolicy, AwsError> {
        self.real.create_policy(name, path, document, description)
    }
    fn get_policy(&self, arn: &str) -> Result<ManagedPolicy, AwsError> {
        self.real.get_policy(arn)
    }
    fn get_policy_version(&self, arn: &str, version_id: &str) -> Result<String, AwsError> {
        self.real.get_policy_version(arn, version_id)
    }
    fn attach_user_policy(&self, user: &str, arn: &str) -> Result<(), AwsError> {
        self.real.attach_user_policy(user, arn)
    }
    fn attach_group_policy(&self, group: &str, arn: &str) -> Result<(), AwsError> {
        self.real.attach_group_policy(group, arn)
    }
    fn list_attached_user_policies(&self, user: &str) -> Result<Vec<AttachedPolicy>, AwsError> {
        self.real.list_attached_user_policies(user)
    }
    fn list_attached_group_policies(&self, group: &str) -> Result<Vec<AttachedPolicy>, AwsError> {
        self.real.list_attached_group_policies(group)
    }
}

fn interactive() -> Mode {
    Mode::default()
}

#[test]
fn a_security_key_registered_while_polling_is_found() {
    let user = user("console");
    let provider = user.provider();
    let serial = "arn:aws:iam::123456789012:u2f/user/console/yubikey-AB12".to_string();
    let console = Console {
        real: &provider,
        lists: Cell::new(0),
        appear_at: Some(4),
        serial: serial.clone(),
    };
    let clock = FixedClock::new(1_700_000_000);
    let mut prompt = ScriptedPrompt::new([""]);
    let ran = run_text(
        KEY_STEP,
        &console,
        &provider,
        &clock,
        &mut prompt,
        interactive(),
        Selection::default(),
    );
    ran.result.unwrap();
    assert!(
        ran.output
            .contains(&format!("verified through the API: {serial} is registered")),
        "{}",
        ran.output
    );
    assert!(
        ran.output
            .contains("Open https://console.aws.amazon.com/iam/home#/security_credentials"),
        "{}",
        ran.output
    );
    assert_eq!(prompt.asked, ["Done in the console?"]);
    // One baseline list, then polls every 5 s until the fourth call saw the key.
    assert_eq!(console.lists.get(), 4);
    assert_eq!(
        clock_seconds(&clock),
        10,
        "two 5-second waits between the three polls"
    );
}

fn clock_seconds(clock: &FixedClock) -> u64 {
    use runbook::providers::Clock;
    clock.now() - 1_700_000_000
}

#[test]
fn no_security_key_times_out_with_what_to_do() {
    let user = user("timeout");
    let provider = user.provider();
    let console = Console {
        real: &provider,
        lists: Cell::new(0),
        appear_at: None,
        serial: String::new(),
    };
    let clock = FixedClock::new(1_700_000_000);
    let mut prompt = ScriptedPrompt::new([""]);
    let ran = run_text(
        KEY_STEP,
        &console,
        &provider,
        &clock,
        &mut prompt,
        interactive(),
        Selection::default(),
    );
    let error = ran.result.unwrap_err();
    assert_eq!(
        error.to_string(),
        "a new security key did not show up in IAM within 60 s"
    );
    assert!(
        error
            .next_step()
            .unwrap()
            .contains("the run resumes at this step")
    );
    assert_eq!(clock_seconds(&clock), 60);
    // The baseline, then a poll at 0, 5, …, 60 s.
    assert_eq!(console.lists.get(), 14);
}

#[test]
fn unattended_console_steps_need_a_person_or_the_sandbox() {
    let user = user("nobody");
    let provider = user.provider();
    let clock = FixedClock::new(1_700_000_000);
    let mut prompt = ScriptedPrompt::default();
    let mode = Mode {
        yes: true,
        ..Mode::default()
    };
    let ran = run_text(
        KEY_STEP,
        &provider,
        &provider,
        &clock,
        &mut prompt,
        mode,
        Selection::default(),
    );
    let error = ran.result.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("done in the AWS console, by a person"),
        "{error}"
    );
    assert!(
        provider
            .list_mfa_devices(Some("nobody"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_sandbox_stands_in_for_the_console() {
    let user = user("standin");
    let provider = user.provider();
    let clock = FixedClock::new(1_700_000_000);
    let mut prompt = ScriptedPrompt::default();
    let mode = Mode {
        yes: true,
        sandbox: true,
        ..Mode::default()
    };
    let ran = run_text(
        KEY_STEP,
        &provider,
        &provider,
        &clock,
        &mut prompt,
        mode,
        Selection::default(),
    );
    ran.result.unwrap();
    assert!(
        ran.output
            .contains("[sandbox stand-in for the AWS console] registered"),
        "{}",
        ran.output
    );
    let devices = provider.list_mfa_devices(Some("standin")).unwrap();
    assert_eq!(devices.len(), 1);
    assert!(
        devices[0].serial_number.contains(":u2f/user/standin/"),
        "{devices:?}"
    );
}

fn summary(enabled: i32) -> GetAccountSummaryOutput {
    GetAccountSummaryOutput::builder()
        .summary_map(SummaryKeyType::AccountMfaEnabled, enabled)
        .summary_map(SummaryKeyType::MfaDevices, enabled)
        .summary_map(SummaryKeyType::MfaDevicesInUse, enabled)
        .build()
}

/// The guide as the root user: IAM calls that can't enable root MFA are skipped, the
/// console step is handed off, and the account summary proves root MFA is on.
#[test]
fn the_root_user_is_led_through_the_console() {
    let root_identity = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
        GetCallerIdentityOutput::builder()
            .account("123456789012")
            .arn("arn:aws:iam::123456789012:root")
            .user_id("123456789012")
            .build()
    });
    let summaries = mock!(aws_sdk_iam::Client::get_account_summary)
        .sequence()
        .output(|| summary(0))
        .output(|| summary(0))
        .output(|| summary(1))
        .build();
    let root_device = || {
        SdkMfaDevice::builder()
            .user_name("root")
            .serial_number("arn:aws:iam::123456789012:mfa/root-account-mfa-device")
            .enable_date(DateTime::from_secs(1_700_000_000))
            .build()
            .unwrap()
    };
    let lists = mock!(aws_sdk_iam::Client::list_mfa_devices)
        .match_requests(|r| r.user_name().is_none())
        .sequence()
        .output(|| {
            ListMfaDevicesOutput::builder()
                .set_mfa_devices(Some(vec![]))
                .build()
                .unwrap()
        })
        .output(move || {
            ListMfaDevicesOutput::builder()
                .mfa_devices(root_device())
                .build()
                .unwrap()
        })
        .repeatedly()
        .build();
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&summaries, &lists], |c| c
        .retry_config(RetryConfig::disabled()));
    let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&root_identity], |c| c
        .retry_config(RetryConfig::disabled()));
    let provider = AwsProvider::from_clients(iam, sts);
    let text = std::fs::read_to_string(root().join("runbooks/aws-mfa.md")).unwrap();
    let clock = FixedClock::new(1_700_000_000);
    // The device name (default), then "done in the console".
    let mut prompt = ScriptedPrompt::new(["", ""]);
    let selection = Selection {
        to: Some("set-up-the-authenticator-app".into()),
        ..Selection::default()
    };
    let ran = run_text(
        &text,
        &provider,
        &provider,
        &clock,
        &mut prompt,
        interactive(),
        selection,
    );
    ran.result.unwrap_or_else(|e| panic!("{e}\n{}", ran.output));
    assert!(
        ran.output.contains("the root user of account 123456789012"),
        "{}",
        ran.output
    );
    assert!(
        ran.output
            .contains("iam.create-virtual-mfa-device duo: skipped (when: not me.is_root)"),
        "{}",
        ran.output
    );
    assert!(
        ran.output
            .contains("verified: the root user now has MFA (AccountMFAEnabled = 1)"),
        "{}",
        ran.output
    );
    assert_eq!(summaries.num_calls(), 3);
}

#[test]
fn a_dry_run_only_describes_the_hand_off() {
    let user = user("dryconsole");
    let provider = user.provider();
    let clock = FixedClock::new(1_700_000_000);
    let mut prompt = ScriptedPrompt::default();
    let mode = Mode {
        dry_run: true,
        ..Mode::default()
    };
    let ran = run_text(
        KEY_STEP,
        &provider,
        &provider,
        &clock,
        &mut prompt,
        mode,
        Selection::default(),
    );
    ran.result.unwrap();
    assert!(
        ran.output.contains("would hand off to the AWS console"),
        "{}",
        ran.output
    );
    assert!(prompt.asked.is_empty());
}
