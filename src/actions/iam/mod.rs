//! `iam.*`: AWS Identity and Access Management calls for MFA devices and sign-in credentials.

use crate::bind::action::{ActionDef, Problem, Typed};
use crate::parse::template;

pub mod create_virtual_mfa_device;
pub mod deactivate_mfa_device;
pub mod delete_virtual_mfa_device;
pub mod enable_mfa_device;
pub mod get_account_summary;
pub mod get_mfa_device;
pub mod list_mfa_devices;
pub mod list_virtual_mfa_devices;
pub mod resync_mfa_device;
// Sign-in credentials (offboarding)
pub mod delete_login_profile;
pub mod get_login_profile;
pub mod list_access_keys;
pub mod update_access_key;
// Users and credentials (audit)
pub mod generate_credential_report;
pub mod get_credential_report;
pub mod list_users;
// Managed policies (require MFA)
pub mod attach_group_policy;
pub mod attach_user_policy;
pub mod create_policy;
pub mod get_policy;
pub mod get_policy_version;
pub mod list_attached_group_policies;
pub mod list_attached_user_policies;
pub mod policy;

pub const ACTIONS: &[&dyn ActionDef] = &[
    &Typed::<create_virtual_mfa_device::CreateVirtualMfaDevice>::DEF,
    &Typed::<deactivate_mfa_device::DeactivateMfaDevice>::DEF,
    &Typed::<delete_virtual_mfa_device::DeleteVirtualMfaDevice>::DEF,
    &Typed::<enable_mfa_device::EnableMfaDevice>::DEF,
    &Typed::<get_account_summary::GetAccountSummary>::DEF,
    &Typed::<get_mfa_device::GetMfaDevice>::DEF,
    &Typed::<list_mfa_devices::ListMfaDevices>::DEF,
    &Typed::<list_virtual_mfa_devices::ListVirtualMfaDevices>::DEF,
    &Typed::<resync_mfa_device::ResyncMfaDevice>::DEF,
    // Sign-in credentials (offboarding)
    &Typed::<get_login_profile::GetLoginProfile>::DEF,
    &Typed::<delete_login_profile::DeleteLoginProfile>::DEF,
    &Typed::<list_access_keys::ListAccessKeys>::DEF,
    &Typed::<update_access_key::UpdateAccessKey>::DEF,
    &Typed::<list_users::ListUsers>::DEF,
    &Typed::<generate_credential_report::GenerateCredentialReport>::DEF,
    &Typed::<get_credential_report::GetCredentialReport>::DEF,
    &Typed::<create_policy::CreatePolicy>::DEF,
    &Typed::<get_policy::GetPolicy>::DEF,
    &Typed::<get_policy_version::GetPolicyVersion>::DEF,
    &Typed::<attach_user_policy::AttachUserPolicy>::DEF,
    &Typed::<attach_group_policy::AttachGroupPolicy>::DEF,
    &Typed::<list_attached_user_policies::ListAttachedUserPolicies>::DEF,
    &Typed::<list_attached_group_policies::ListAttachedGroupPolicies>::DEF,
];

/// What kind of MFA device a serial number names.
pub fn device_kind(serial: &str) -> &'static str {
    if serial.contains(":mfa/") {
        "virtual"
    } else if serial.contains(":u2f/") {
        "security-key"
    } else {
        "hardware"
    }
}

/// The end of a virtual device's serial ARN: `:mfa/<path-without-leading-slash><name>`.
pub fn serial_suffix(path: &str, name: &str) -> String {
    format!(":mfa{path}{name}")
}

/// IAM's rule for user and MFA device names: 1–64 of letters, digits and `+=,.@_-`.
/// Template values are checked once resolved, at run time.
pub fn check_name(param: &'static str, value: &str) -> Option<Problem> {
    check_name_of_length(param, value, 64)
}

/// IAM's rule for names of 1 to `max` letters, digits or `+=,.@_-` (64 for users and
/// devices, 128 for policies and groups).
pub fn check_name_of_length(param: &'static str, value: &str, max: usize) -> Option<Problem> {
    if template::is_template(value) {
        return None;
    }
    let valid = (1..=max).contains(&value.chars().count())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    (!valid).then(|| {
        Problem::new(
            param,
            format!("`{value}` is not a valid IAM name: use 1 to {max} letters, digits or `+=,.@_-` (no spaces)"),
        )
    })
}

/// MFA serial numbers are ARNs (`arn:aws:iam::<account>:mfa/<name>`), or a hardware
/// device's serial. Template values are checked at run time.
pub fn check_serial(param: &'static str, value: &str) -> Option<Problem> {
    if template::is_template(value) {
        return None;
    }
    let valid = (9..=256).contains(&value.len()) && value.chars().all(|c| c.is_ascii_graphic());
    (!valid).then(|| {
        Problem::new(
            param,
            format!("`{value}` is not an MFA serial number or ARN"),
        )
    })
}

/// One MFA code: six digits. Template values are checked at run time.
pub fn check_code(param: &'static str, value: &str) -> Option<Problem> {
    if template::is_template(value) {
        return None;
    }
    Some(Problem::new(
        param,
        "MFA codes change every 30 seconds; write a reference such as `{{ codes.code1 }}`, never a literal code",
    ))
}

/// Access key ids: 16 to 128 letters, digits or `_` (IAM's pattern `[\w]+`), e.g.
/// `AKIA…`. Template values are checked at run time.
pub fn check_access_key_id(param: &'static str, value: &str) -> Option<Problem> {
    if template::is_template(value) {
        return None;
    }
    let valid = (16..=128).contains(&value.len())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (!valid).then(|| {
        let at = value
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map(|(at, c)| at..at + c.len_utf8());
        let problem = Problem::new(
            param,
            format!("`{value}` is not an access key id: 16 to 128 letters, digits or `_`"),
        )
        .help("copy the id from `aws iam list-access-keys`, or use the item of a loop over `iam.list-access-keys`: `{{ key.access_key_id }}`");
        match at {
            Some(at) => problem.within(at),
            None => problem,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_iam_rules() {
        assert!(check_name("name", "DuoMobile").is_none());
        assert!(check_name("name", "duo-mobile@team.example").is_none());
        assert!(check_name("name", "{{ device_name }}").is_none());
        assert!(check_name("name", "Duo Mobile").is_some());
        assert!(check_name("name", "").is_some());
        assert!(check_name("name", &"x".repeat(65)).is_some());
    }

    #[test]
    fn access_key_ids_follow_iam_rules() {
        assert!(check_access_key_id("access_key_id", "KEYIDFORTESTSONLY1").is_none());
        assert!(check_access_key_id("access_key_id", "{{ key.access_key_id }}").is_none());
        assert!(check_access_key_id("access_key_id", "AKIA123").is_some());
        let problem = check_access_key_id("access_key_id", "KEYI-FORTESTSONLY12").unwrap();
        assert_eq!(problem.within, Some(4..5));
    }

    #[test]
    fn codes_must_be_references() {
        assert!(check_code("code1", "{{ codes.code1 }}").is_none());
        assert!(check_code("code1", "123456").is_some());
    }
}
