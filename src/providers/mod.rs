//! Every side effect sits behind a trait here: AWS IAM and STS, the clock, and the
//! person at the terminal. Core code never reads the clock, the terminal or the network
//! directly, so tests can script all of them.

pub mod aws;
pub mod aws_config_file;
pub mod aws_error;
pub mod clock;
pub mod credential_report;
pub mod git;
#[cfg(feature = "usb")]
pub mod hid_key;
pub mod local_file;
pub mod prompt;
pub mod sandbox;
pub mod security_key;
pub mod software_key;
pub mod stand_in;
pub mod usb_unavailable;

pub use aws_error::{AwsError, ErrorKind};
pub use clock::{Clock, FixedClock, SystemClock};
pub use prompt::{Prompt, ScriptedPrompt, TerminalPrompt};

use crate::secret::Secret;

/// Who the credentials belong to (`sts get-caller-identity`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

impl CallerIdentity {
    /// The account's root user: `arn:aws:iam::<account>:root`.
    pub fn is_root(&self) -> bool {
        self.arn.ends_with(":root")
    }

    /// The IAM user name for `arn:aws:iam::<account>:user/<path/>name`; empty otherwise.
    pub fn user_name(&self) -> String {
        match self.arn.split_once(":user/") {
            Some((_, path_and_name)) => path_and_name.rsplit('/').next().unwrap_or("").to_string(),
            None => String::new(),
        }
    }
}

/// A virtual MFA device just created: its serial and its seed (returned only once).
#[derive(Debug)]
pub struct CreatedDevice {
    pub serial_number: String,
    pub seed: Secret,
}

/// An MFA device assigned to a user (`iam list-mfa-devices`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaDevice {
    pub serial_number: String,
    pub user_name: String,
    /// RFC 3339.
    pub enable_date: String,
}

/// A virtual MFA device in the account (`iam list-virtual-mfa-devices`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualMfaDevice {
    pub serial_number: String,
    /// The user it is assigned to; `None` when unassigned.
    pub user_name: Option<String>,
    pub enable_date: Option<String>,
}

/// `iam get-mfa-device`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaDeviceDetails {
    pub serial_number: String,
    pub user_name: String,
    pub enable_date: String,
    /// e.g. `FIDO: L1`.
    pub certifications: Vec<String>,
}

/// The parts of `iam get-account-summary` the guide uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSummary {
    pub account_mfa_enabled: bool,
    pub mfa_devices: i64,
    pub mfa_devices_in_use: i64,
}

/// Temporary credentials from `sts get-session-token` (and `sts assume-role`): the secret
/// parts only as [`Secret`]s.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionToken {
    pub access_key_id: String,
    /// RFC 3339.
    pub expiration: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
}

/// Which virtual devices to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assignment {
    Assigned,
    Unassigned,
    Any,
}

/// AWS IAM, as the guide uses it.
pub trait Iam {
    /// The label of the stand-in that answers `operation` (e.g. `ResyncMFADevice`) in
    /// place of the service, when one does ([`stand_in::EmulatorAws`]); `None`: the
    /// service itself answers.
    fn stand_in(&self, _operation: &str) -> Option<&'static str> {
        None
    }
    fn create_virtual_mfa_device(
        &self,
        name: &str,
        path: Option<&str>,
    ) -> Result<CreatedDevice, AwsError>;
    fn enable_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &Secret,
        code2: &Secret,
    ) -> Result<(), AwsError>;
    fn resync_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &Secret,
        code2: &Secret,
    ) -> Result<(), AwsError>;
    fn deactivate_mfa_device(&self, user: &str, serial: &str) -> Result<(), AwsError>;
    fn delete_virtual_mfa_device(&self, serial: &str) -> Result<(), AwsError>;
    /// `user` `None` means the caller.
    fn list_mfa_devices(&self, user: Option<&str>) -> Result<Vec<MfaDevice>, AwsError>;
    fn list_virtual_mfa_devices(
        &self,
        assignment: Assignment,
    ) -> Result<Vec<VirtualMfaDevice>, AwsError>;
    fn get_mfa_device(
        &self,
        serial: &str,
        user: Option<&str>,
    ) -> Result<MfaDeviceDetails, AwsError>;
    fn get_account_summary(&self) -> Result<AccountSummary, AwsError>;

    // Sign-in credentials (offboarding)
    /// The user's console password, `None` when they have none (AWS answers
    /// NoSuchEntity for the login profile; a missing user stays an error).
    fn get_login_profile(&self, user: &str) -> Result<Option<LoginProfile>, AwsError>;
    fn delete_login_profile(&self, user: &str) -> Result<(), AwsError>;
    /// The user's access keys (metadata only: AWS never returns a secret key here).
    fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKey>, AwsError>;
    fn update_access_key(
        &self,
        user: &str,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<(), AwsError>;
    // Users and credentials (audit)
    /// Every IAM user in the account (under `path_prefix`, if given), all pages.
    fn list_users(&self, path_prefix: Option<&str>) -> Result<Vec<IamUser>, AwsError>;
    /// Starts (or finds) the credential report; its state.
    fn generate_credential_report(&self) -> Result<ReportState, AwsError>;
    /// The last credential report generated: its CSV and when it was made.
    fn get_credential_report(&self) -> Result<CredentialReport, AwsError>;
    // Managed policies (require MFA)
    /// `iam create-policy`; `path` `None` means `/`.
    fn create_policy(
        &self,
        name: &str,
        path: Option<&str>,
        document: &str,
        description: Option<&str>,
    ) -> Result<ManagedPolicy, AwsError>;
    fn get_policy(&self, arn: &str) -> Result<ManagedPolicy, AwsError>;
    /// The version's document, URL-decoded (AWS sends it URL-encoded).
    fn get_policy_version(&self, arn: &str, version_id: &str) -> Result<String, AwsError>;
    fn attach_user_policy(&self, user: &str, arn: &str) -> Result<(), AwsError>;
    fn attach_group_policy(&self, group: &str, arn: &str) -> Result<(), AwsError>;
    fn list_attached_user_policies(&self, user: &str) -> Result<Vec<AttachedPolicy>, AwsError>;
    fn list_attached_group_policies(&self, group: &str) -> Result<Vec<AttachedPolicy>, AwsError>;
}

/// AWS STS, as the guide uses it.
pub trait Sts {
    fn get_caller_identity(&self) -> Result<CallerIdentity, AwsError>;
    fn get_session_token(
        &self,
        serial: &str,
        code: &Secret,
        duration_seconds: Option<u32>,
    ) -> Result<SessionToken, AwsError>;

    // Use MFA from the AWS CLI (aws-cli-mfa)
    /// `sts assume-role`, with an MFA device's serial number and code when given.
    fn assume_role(&self, request: &AssumeRoleRequest<'_>) -> Result<AssumedRole, AwsError>;
}

// Use MFA from the AWS CLI (aws-cli-mfa)

/// What `sts assume-role` is asked.
#[derive(Clone, Copy, Debug)]
pub struct AssumeRoleRequest<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    /// The MFA device's serial number and a current code from it.
    pub mfa: Option<(&'a str, &'a Secret)>,
    pub duration_seconds: Option<u32>,
}

/// `sts assume-role`'s answer: who the session is, and its temporary credentials.
#[derive(Clone, Debug, PartialEq)]
pub struct AssumedRole {
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub arn: String,
    pub assumed_role_id: String,
    pub credentials: SessionToken,
}

// Sign-in credentials (offboarding)

/// A user's console password (`iam get-login-profile`); the password itself is never returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginProfile {
    /// RFC 3339.
    pub create_date: String,
    pub password_reset_required: bool,
}

/// An access key's metadata (`iam list-access-keys`); never its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub status: AccessKeyStatus,
    /// RFC 3339.
    pub create_date: String,
}

/// Whether an access key can sign requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
pub enum AccessKeyStatus {
    Active,
    Inactive,
}

impl AccessKeyStatus {
    /// As AWS writes it: `Active` or `Inactive`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKeyStatus::Active => "Active",
            AccessKeyStatus::Inactive => "Inactive",
        }
    }
}

// Users and credentials (audit)

/// An IAM user (`iam list-users`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IamUser {
    pub user_name: String,
    pub arn: String,
    /// RFC 3339.
    pub create_date: String,
    /// RFC 3339; `None` when the password was never used (or there is none).
    pub password_last_used: Option<String>,
}

/// Where the credential report is (`iam generate-credential-report`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportState {
    Started,
    InProgress,
    Complete,
}

/// The credential report as IAM returns it (`iam get-credential-report`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialReport {
    /// The CSV text; parse it with [`credential_report::parse`].
    pub content: String,
    /// RFC 3339.
    pub generated_time: String,
}

// Managed policies (require MFA)

/// A customer managed policy (`iam get-policy`, `iam create-policy`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub default_version_id: String,
    /// How many users, groups and roles it is attached to.
    pub attachment_count: i64,
}

/// A managed policy attached to a user or group (`iam list-attached-user-policies`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachedPolicy {
    pub name: String,
    pub arn: String,
}

/// The ARN of the customer managed policy `name` at `path` (`/` or `/a/b/`).
pub fn policy_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:policy{path}{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_arns_include_the_path() {
        assert_eq!(
            policy_arn("123456789012", "/", "RequireMFA"),
            "arn:aws:iam::123456789012:policy/RequireMFA"
        );
        assert_eq!(
            policy_arn("123456789012", "/security/", "RequireMFA"),
            "arn:aws:iam::123456789012:policy/security/RequireMFA"
        );
    }

    fn identity(arn: &str) -> CallerIdentity {
        CallerIdentity {
            account: "123456789012".into(),
            arn: arn.into(),
            user_id: "AIDA".into(),
        }
    }

    #[test]
    fn root_and_user_names_come_from_the_arn() {
        let root = identity("arn:aws:iam::123456789012:root");
        assert!(root.is_root());
        assert_eq!(root.user_name(), "");
        let alice = identity("arn:aws:iam::123456789012:user/team/alice");
        assert!(!alice.is_root());
        assert_eq!(alice.user_name(), "alice");
        let role = identity("arn:aws:sts::123456789012:assumed-role/Admin/session");
        assert!(!role.is_root());
        assert_eq!(role.user_name(), "");
    }
}
