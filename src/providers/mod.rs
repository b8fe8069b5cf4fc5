//! Every side effect sits behind a trait here: AWS IAM and STS, the clock, and the
//! person at the terminal. Core code never reads the clock, the terminal or the network
//! directly, so tests can script all of them.

pub mod aws;
pub mod aws_config_file;
pub mod aws_error;
pub mod clock;
pub mod hid_key;
pub mod local_file;
pub mod prompt;
pub mod sandbox;
pub mod security_key;
pub mod software_key;

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

#[cfg(test)]
mod tests {
    use super::*;

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
