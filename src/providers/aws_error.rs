//! AWS errors, classified: what happened, in words, and what to do next.

use std::fmt;

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

/// The kinds of failure the guide's calls can meet (DESIGN.md §3), plus transport ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    EntityAlreadyExists,
    LimitExceeded,
    ConcurrentModification,
    EntityTemporarilyUnmodifiable,
    DeleteConflict,
    InvalidAuthenticationCode,
    NoSuchEntity,
    InvalidInput,
    Throttling,
    AccessDenied,
    /// The credentials are missing, invalid or expired.
    Credentials,
    /// The service does not implement the call (the local emulator lacks some).
    NotImplemented,
    /// The endpoint could not be reached.
    Network,
    /// No answer within the call timeout (`--aws-timeout`).
    Timeout,
    /// The answer was larger than any IAM or STS answer ([`super::aws::MAX_RESPONSE_BYTES`]).
    ResponseTooLarge,
    /// Anything else the service said.
    Other,
    // Users and credentials (audit)
    /// `GetCredentialReport` before any report was generated.
    ReportNotPresent,
    /// The last credential report is older than 4 hours.
    ReportExpired,
    /// The credential report is still being generated.
    ReportInProgress,
    // Managed policies (require MFA)
    /// The policy document is not valid IAM policy grammar.
    MalformedPolicyDocument,
    /// An AWS service role policy, which cannot be attached to users or groups.
    PolicyNotAttachable,
    /// IAM failed internally (`ServiceFailure`, HTTP 500).
    ServiceFailure,
    // Use MFA from the AWS CLI (aws-cli-mfa)
    /// STS is not activated in the region of the endpoint (`RegionDisabledException`).
    RegionDisabled,
    /// A session policy AWS refused (`MalformedPolicyDocument`, `PackedPolicyTooLarge`).
    SessionPolicy,
}

/// A failed AWS call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    /// The API operation, e.g. `EnableMFADevice`.
    pub operation: &'static str,
    pub kind: ErrorKind,
    /// The error code AWS sent, if any.
    pub code: Option<String>,
    /// AWS's own message, if any.
    pub message: Option<String>,
    pub status: Option<u16>,
}

impl std::error::Error for AwsError {}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.operation, self.what())?;
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => write!(f, " (AWS: {code}: {message})")?,
            (Some(code), None) => write!(f, " (AWS: {code})")?,
            (None, Some(message)) => write!(f, " ({message})")?,
            (None, None) => {}
        }
        if let Some(status) = self.status {
            write!(f, " [HTTP {status}]")?;
        }
        Ok(())
    }
}

impl AwsError {
    pub fn new(operation: &'static str, kind: ErrorKind) -> AwsError {
        AwsError {
            operation,
            kind,
            code: None,
            message: None,
            status: None,
        }
    }

    /// Classify any SDK error by its code and HTTP status.
    pub fn from_sdk<E, R>(operation: &'static str, error: &SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: HttpStatus + fmt::Debug,
    {
        let code = error.code().map(str::to_string);
        let message = error.message().map(str::to_string);
        let status = error.raw_response().map(HttpStatus::status);
        let kind = match error {
            _ if source_chain(error).contains(super::aws::TOO_LARGE) => ErrorKind::ResponseTooLarge,
            SdkError::TimeoutError(_) => ErrorKind::Timeout,
            SdkError::DispatchFailure(_) => {
                if source_chain(error).contains("credentials") {
                    ErrorKind::Credentials
                } else {
                    ErrorKind::Network
                }
            }
            SdkError::ConstructionFailure(_) => {
                // Missing credentials surface here, before anything is sent.
                ErrorKind::Credentials
            }
            // From STS, a malformed policy is the session policy (IAM's: a managed policy).
            _ => match kind_of(code.as_deref(), status) {
                ErrorKind::MalformedPolicyDocument
                    if matches!(operation, "AssumeRole" | "GetSessionToken") =>
                {
                    ErrorKind::SessionPolicy
                }
                kind => kind,
            },
        };
        let message = message.or_else(|| match error {
            _ if kind == ErrorKind::ResponseTooLarge => Some(source_chain(error)),
            SdkError::DispatchFailure(_)
            | SdkError::TimeoutError(_)
            | SdkError::ConstructionFailure(_) => Some(source_chain(error)),
            _ => None,
        });
        AwsError {
            operation,
            kind,
            code,
            message,
            status,
        }
    }

    /// What happened, in words.
    pub fn what(&self) -> &'static str {
        if let Some((what, _)) = sign_in_credentials(self.operation, self.kind)
            .or_else(|| self.policy_advice())
            .or_else(|| resync(self.operation, self.kind))
        {
            return what;
        }
        match self.kind {
            ErrorKind::EntityAlreadyExists => "it already exists",
            ErrorKind::LimitExceeded if self.operation == "GenerateCredentialReport" => {
                "IAM is already generating as many credential reports as it allows"
            }
            ErrorKind::LimitExceeded => "an IAM limit was reached (at most 8 MFA devices per user)",
            ErrorKind::ConcurrentModification => {
                "another change to the same entity was in progress"
            }
            ErrorKind::EntityTemporarilyUnmodifiable => {
                "the user or device cannot be changed right now"
            }
            ErrorKind::DeleteConflict => "the device is still assigned to a user",
            ErrorKind::InvalidAuthenticationCode => "AWS rejected the MFA codes",
            ErrorKind::NoSuchEntity => "it does not exist",
            ErrorKind::InvalidInput => "AWS rejected a parameter",
            ErrorKind::Throttling => "AWS is throttling requests",
            ErrorKind::AccessDenied => "access denied",
            ErrorKind::Credentials => "no valid AWS credentials",
            ErrorKind::NotImplemented => "the service does not implement this call",
            ErrorKind::Network => "AWS could not be reached",
            ErrorKind::Timeout => "AWS did not answer in time",
            ErrorKind::ResponseTooLarge => {
                "the answer was far larger than any IAM or STS answer, so it was not read"
            }
            ErrorKind::Other => "AWS returned an error",
            ErrorKind::ReportNotPresent => "no credential report has been generated yet",
            ErrorKind::ReportExpired => "the credential report is more than 4 hours old",
            ErrorKind::ReportInProgress => "the credential report is still being generated",
            ErrorKind::ServiceFailure => "IAM failed to handle the request (an internal error)",
            ErrorKind::MalformedPolicyDocument => "AWS rejected the policy document",
            ErrorKind::PolicyNotAttachable => "that policy cannot be attached to users or groups",
            ErrorKind::RegionDisabled => "STS is not activated in this region for the account",
            ErrorKind::SessionPolicy => "AWS refused the session policy",
        }
    }

    /// What to do next.
    pub fn next_step(&self) -> &'static str {
        if let Some(step) = self.sts_next_step() {
            return step;
        }
        if let Some((_, next)) = sign_in_credentials(self.operation, self.kind)
            .or_else(|| self.policy_advice())
            .or_else(|| resync(self.operation, self.kind))
        {
            return next;
        }
        match self.kind {
            ErrorKind::EntityAlreadyExists => {
                "pick another name, or run again: an unassigned device of the same name is offered for deletion"
            }
            ErrorKind::LimitExceeded if self.operation == "GenerateCredentialReport" => {
                "wait a minute and run again: the run resumes at this step"
            }
            ErrorKind::LimitExceeded => {
                "remove an MFA device you no longer use (IAM console, or `aws iam deactivate-mfa-device` then `aws iam delete-virtual-mfa-device`), then run again"
            }
            ErrorKind::ConcurrentModification | ErrorKind::EntityTemporarilyUnmodifiable => {
                "wait a minute and run again; the run resumes where it stopped"
            }
            ErrorKind::DeleteConflict => {
                "deactivate the device first (`aws iam deactivate-mfa-device`); runbook never deletes an assigned device"
            }
            ErrorKind::InvalidAuthenticationCode => {
                "check that the phone's clock is set automatically, then enter two new consecutive codes; if an enabled device drifted, resynchronise it (runbooks/resync-mfa-device.md)"
            }
            ErrorKind::NoSuchEntity => {
                "check the user name and serial number; `runbook plan` shows which values the step uses"
            }
            ErrorKind::InvalidInput => {
                "check the parameter values in the runbook against `runbook actions`"
            }
            ErrorKind::Throttling => {
                "wait a little and run again; the run resumes where it stopped"
            }
            ErrorKind::AccessDenied if AUDIT_READS.contains(&self.operation) => {
                "use credentials allowed to read IAM (iam:ListUsers, iam:GenerateCredentialReport, iam:GetCredentialReport, iam:ListMFADevices; the AWS managed policy SecurityAudit has them), e.g. with --profile"
            }
            ErrorKind::AccessDenied => {
                "use credentials allowed to manage your own MFA devices (iam:CreateVirtualMFADevice, iam:EnableMFADevice, iam:ListMFADevices, …), e.g. with --profile"
            }
            ErrorKind::Credentials => {
                "configure credentials (`aws configure`, `aws sso login`, or AWS_PROFILE) or try it without an account: --sandbox"
            }
            ErrorKind::NotImplemented => {
                "this call is skipped where the emulator lacks it; against real AWS it works"
            }
            ErrorKind::Network => {
                "check the network and --endpoint-url/--region; then run again to resume"
            }
            ErrorKind::Timeout => {
                "run again to resume (a change the call may have made is checked first); --aws-timeout allows slower answers"
            }
            ErrorKind::ResponseTooLarge => {
                "check that --endpoint-url (or AWS_ENDPOINT_URL) and any proxy in between are AWS or an emulator you trust; then run again to resume"
            }
            ErrorKind::Other => {
                "run again to resume; if it keeps failing, the AWS message above says why"
            }
            ErrorKind::ReportNotPresent | ErrorKind::ReportExpired => {
                "run `iam.generate-credential-report` in a step before this one (`aws iam generate-credential-report`), then run again"
            }
            ErrorKind::ReportInProgress => {
                "wait a minute and run again (the run resumes at this step); `iam.generate-credential-report` before it waits until the report is ready"
            }
            ErrorKind::ServiceFailure => {
                "wait a little and run again (the run resumes where it stopped); if it persists, check the AWS Health Dashboard"
            }
            ErrorKind::MalformedPolicyDocument => {
                "fix the policy's ```json block in the guide (the AWS message above names the problem), then run again"
            }
            ErrorKind::PolicyNotAttachable => {
                "attach a customer managed policy (`arn:aws:iam::<account>:policy/…`), not an AWS service role policy"
            }
            ErrorKind::RegionDisabled => {
                "activate STS for the region (IAM console › Account settings › Security Token Service regions), or use another one with --region"
            }
            ErrorKind::SessionPolicy => {
                "runbook sends no session policy, so check what --endpoint-url points at; then run again"
            }
        }
    }

    // Use MFA from the AWS CLI (aws-cli-mfa)
    /// The next step where the STS sign-in calls need another one than IAM calls do.
    fn sts_next_step(&self) -> Option<&'static str> {
        match (self.operation, self.kind) {
            ("AssumeRole", ErrorKind::AccessDenied) => Some(
                "check the role ARN, that the role's trust policy lets you assume it (with MFA), and type a fresh code from the device named by `serial_number` (a code works once per 30 seconds)",
            ),
            ("GetSessionToken", ErrorKind::AccessDenied) => Some(
                "type a fresh code from the device named by `serial_number` (a code works once per 30 seconds), and check the phone's clock is set automatically",
            ),
            ("AssumeRole" | "GetSessionToken", ErrorKind::Credentials) => Some(
                "temporary credentials cannot ask for more: sign in with the long-term access keys of your IAM user (the profile's `source_profile`), e.g. with --profile",
            ),
            _ => None,
        }
    }
}

// Resynchronise a virtual MFA device (resync-mfa-device)

/// What happened and what to do when `ResyncMFADevice` fails, where the general words
/// (about enabling a device) would send the person in a circle.
fn resync(operation: &str, kind: ErrorKind) -> Option<(&'static str, &'static str)> {
    if operation != "ResyncMFADevice" {
        return None;
    }
    Some(match kind {
        ErrorKind::InvalidAuthenticationCode => (
            "AWS did not accept the two codes, so the device was not resynchronised",
            "type two new codes: the one the app shows now, then wait until it changes and type the next one (codes from the app entry for this account and this device's serial number); if AWS still refuses them, the device is too far off to resynchronise: remove it (runbooks/remove-mfa-devices.md) and set up a new one (runbooks/aws-mfa.md)",
        ),
        ErrorKind::NoSuchEntity => (
            "the user has no MFA device with that serial number",
            "check the user name and the serial number (`aws iam list-mfa-devices --user-name USER`); a device removed meanwhile cannot be resynchronised",
        ),
        ErrorKind::InvalidInput => (
            "AWS refused the codes: each must be 6 digits",
            "type the 6 digits the app shows, without anything else",
        ),
        ErrorKind::AccessDenied => (
            "access denied",
            "use credentials allowed to resynchronise your own MFA device (iam:ResyncMFADevice), e.g. with --profile",
        ),
        _ => return None,
    })
}

// Sign-in credentials (offboarding)

/// What happened and what to do, for the errors AWS documents for the console-password and
/// access-key calls where the general words (about MFA devices) would mislead.
fn sign_in_credentials(operation: &str, kind: ErrorKind) -> Option<(&'static str, &'static str)> {
    let access_keys = matches!(operation, "ListAccessKeys" | "UpdateAccessKey");
    let login_profile = matches!(operation, "GetLoginProfile" | "DeleteLoginProfile");
    if !access_keys && !login_profile {
        return None;
    }
    Some(match kind {
        ErrorKind::NoSuchEntity if access_keys => (
            "the user or the access key does not exist",
            "check the user name (IAM › Users) and the key id (`aws iam list-access-keys --user-name USER`); a key deleted meanwhile needs no deactivation",
        ),
        ErrorKind::NoSuchEntity => (
            "the user or their console password does not exist",
            "check the user name (IAM › Users); a user without a console password has nothing to remove",
        ),
        ErrorKind::LimitExceeded => (
            "too many requests of this kind were made to the account (an IAM limit)",
            "wait a minute and run again; the run resumes where it stopped",
        ),
        ErrorKind::EntityTemporarilyUnmodifiable => (
            "the user's console password cannot be changed right now (the user was just created or changed)",
            "wait a minute and run again; the run resumes where it stopped",
        ),
        ErrorKind::AccessDenied if access_keys => (
            "access denied",
            "use credentials allowed to manage the user's access keys (iam:ListAccessKeys, iam:UpdateAccessKey), e.g. with --profile",
        ),
        ErrorKind::AccessDenied => (
            "access denied",
            "use credentials allowed to manage the user's console password (iam:GetLoginProfile, iam:DeleteLoginProfile), e.g. with --profile",
        ),
        ErrorKind::Other | ErrorKind::ServiceFailure if access_keys => (
            "IAM failed to answer (ServiceFailure) or returned an unexpected error",
            "run again to resume: listing and deactivating keys is safe to repeat; if it keeps failing, the AWS message above says why",
        ),
        ErrorKind::Other | ErrorKind::ServiceFailure => (
            "IAM failed to answer (ServiceFailure) or returned an unexpected error",
            "run again to resume: checking and removing the console password is safe to repeat; if it keeps failing, the AWS message above says why",
        ),
        _ => return None,
    })
}
// Users and credentials (audit)
/// The read-only calls of an account audit, whose permissions differ from MFA management.
const AUDIT_READS: &[&str] = &[
    "ListUsers",
    "GenerateCredentialReport",
    "GetCredentialReport",
];
// Managed policies (require MFA)
impl AwsError {
    /// What happened and what to do, for the managed-policy calls whose errors mean
    /// something else than for MFA devices (a name taken, a limit, a missing entity).
    fn policy_advice(&self) -> Option<(&'static str, &'static str)> {
        let policy_call = matches!(
            self.operation,
            "CreatePolicy"
                | "GetPolicy"
                | "GetPolicyVersion"
                | "AttachUserPolicy"
                | "AttachGroupPolicy"
                | "ListAttachedUserPolicies"
                | "ListAttachedGroupPolicies"
        );
        if !policy_call {
            return None;
        }
        let attach = matches!(self.operation, "AttachUserPolicy" | "AttachGroupPolicy");
        Some(match self.kind {
            ErrorKind::EntityAlreadyExists => (
                "a policy of that name already exists at that path",
                "run again: the existing policy is found and compared with the guide's document",
            ),
            ErrorKind::LimitExceeded if attach => (
                "the user or group already has the most managed policies IAM allows (10 by default)",
                "detach a policy it no longer needs (`aws iam detach-user-policy` or `detach-group-policy`), or ask for a higher quota, then run again",
            ),
            ErrorKind::LimitExceeded => (
                "an IAM limit was reached (customer managed policies per account, or a document larger than 6,144 characters)",
                "delete a customer managed policy the account no longer uses, or shorten the document, then run again",
            ),
            ErrorKind::NoSuchEntity if attach => (
                "the user, group or policy does not exist",
                "check the user or group name and the policy ARN (`runbook plan` shows the values the step uses)",
            ),
            ErrorKind::NoSuchEntity if self.operation == "GetPolicyVersion" => (
                "the policy or that version of it does not exist",
                "use the policy's default version (`iam.get-policy` gives `default_version_id`)",
            ),
            ErrorKind::NoSuchEntity => (
                "the user, group or policy does not exist",
                "check the name or ARN; `runbook plan` shows which values the step uses",
            ),
            ErrorKind::InvalidInput => (
                "AWS rejected a parameter",
                "check the policy name (1 to 128 of letters, digits and `+=,.@-_`), the path (`/` or `/a/b/`) and the ARN",
            ),
            ErrorKind::AccessDenied => (
                "access denied",
                "use credentials allowed to manage policies (iam:CreatePolicy, iam:GetPolicy, iam:GetPolicyVersion, iam:AttachUserPolicy, iam:AttachGroupPolicy, iam:ListAttached*Policies), e.g. an administrator's --profile",
            ),
            ErrorKind::ConcurrentModification => (
                "another change to the same policy was in progress",
                "wait a minute and run again; the run resumes where it stopped",
            ),
            _ => return None,
        })
    }
}

/// The HTTP status of an SDK response type.
pub trait HttpStatus {
    fn status(&self) -> u16;
}

impl HttpStatus for aws_sdk_iam::config::http::HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

fn kind_of(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    match code {
        Some("EntityAlreadyExists") => ErrorKind::EntityAlreadyExists,
        Some("LimitExceeded") => ErrorKind::LimitExceeded,
        Some("ConcurrentModification") => ErrorKind::ConcurrentModification,
        Some("EntityTemporarilyUnmodifiable") => ErrorKind::EntityTemporarilyUnmodifiable,
        Some("DeleteConflict") => ErrorKind::DeleteConflict,
        Some("MalformedPolicyDocument") => ErrorKind::MalformedPolicyDocument,
        Some("PolicyNotAttachable") => ErrorKind::PolicyNotAttachable,
        Some("ServiceFailure") => ErrorKind::ServiceFailure,
        Some("InvalidAuthenticationCode") => ErrorKind::InvalidAuthenticationCode,
        Some("NoSuchEntity") => ErrorKind::NoSuchEntity,
        Some("InvalidInput" | "ValidationError") => ErrorKind::InvalidInput,
        // Users and credentials (audit)
        Some("ReportNotPresent") => ErrorKind::ReportNotPresent,
        Some("ReportExpired") => ErrorKind::ReportExpired,
        Some("ReportInProgress") => ErrorKind::ReportInProgress,
        Some("Throttling" | "ThrottlingException" | "RequestLimitExceeded") => {
            ErrorKind::Throttling
        }
        Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation") => {
            ErrorKind::AccessDenied
        }
        // Use MFA from the AWS CLI (aws-cli-mfa)
        Some("RegionDisabledException") => ErrorKind::RegionDisabled,
        Some("PackedPolicyTooLarge") => ErrorKind::SessionPolicy,
        Some("ExpiredTokenException") => ErrorKind::Credentials,
        Some(
            "InvalidClientTokenId"
            | "ExpiredToken"
            | "SignatureDoesNotMatch"
            | "MissingAuthenticationToken",
        ) => ErrorKind::Credentials,
        None if matches!(status, Some(500 | 501)) => ErrorKind::NotImplemented,
        _ => ErrorKind::Other,
    }
}

fn source_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(inner) = source {
        parts.push(inner.to_string());
        source = inner.source();
    }
    parts.dedup();
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(
            kind_of(Some("DeleteConflict"), Some(409)),
            ErrorKind::DeleteConflict
        );
        assert_eq!(
            kind_of(Some("Throttling"), Some(400)),
            ErrorKind::Throttling
        );
        assert_eq!(kind_of(None, Some(500)), ErrorKind::NotImplemented);
        assert_eq!(kind_of(Some("Weird"), Some(400)), ErrorKind::Other);
    }

    #[test]
    fn sign_in_credential_errors_have_their_own_words() {
        let limit = AwsError::new("UpdateAccessKey", ErrorKind::LimitExceeded);
        assert!(!limit.what().contains("MFA"), "{}", limit.what());
        let missing = AwsError::new("DeleteLoginProfile", ErrorKind::NoSuchEntity);
        assert!(missing.what().contains("console password"));
        let mfa = AwsError::new("EnableMFADevice", ErrorKind::LimitExceeded);
        assert!(mfa.what().contains("MFA devices"));
    }

    #[test]
    fn resync_errors_do_not_send_the_person_back_to_resync() {
        let codes = AwsError::new("ResyncMFADevice", ErrorKind::InvalidAuthenticationCode);
        assert!(
            codes.what().contains("not resynchronised"),
            "{}",
            codes.what()
        );
        assert!(
            !codes.next_step().contains("resync-mfa-device.md"),
            "{}",
            codes.next_step()
        );
        assert!(
            codes.next_step().contains("type two new codes"),
            "{}",
            codes.next_step()
        );
        assert!(
            codes.next_step().contains("aws-mfa.md"),
            "{}",
            codes.next_step()
        );
        let missing = AwsError::new("ResyncMFADevice", ErrorKind::NoSuchEntity);
        assert!(
            missing.next_step().contains("list-mfa-devices"),
            "{}",
            missing.next_step()
        );
        // Enabling keeps its own words, which point at the resync guide.
        let enable = AwsError::new("EnableMFADevice", ErrorKind::InvalidAuthenticationCode);
        assert!(enable.next_step().contains("runbooks/resync-mfa-device.md"));
        assert_eq!(enable.what(), "AWS rejected the MFA codes");
    }

    #[test]
    fn policy_calls_get_their_own_advice() {
        let error = |operation, kind, code: &str| AwsError {
            code: Some(code.into()),
            ..AwsError::new(operation, kind)
        };
        assert_eq!(
            kind_of(Some("MalformedPolicyDocument"), Some(400)),
            ErrorKind::MalformedPolicyDocument
        );
        assert_eq!(
            kind_of(Some("PolicyNotAttachable"), Some(400)),
            ErrorKind::PolicyNotAttachable
        );
        assert_eq!(
            kind_of(Some("ServiceFailure"), Some(500)),
            ErrorKind::ServiceFailure
        );
        let exists = error(
            "CreatePolicy",
            ErrorKind::EntityAlreadyExists,
            "EntityAlreadyExists",
        );
        assert!(exists.next_step().contains("existing policy is found"));
        let limit = error("CreatePolicy", ErrorKind::LimitExceeded, "LimitExceeded");
        assert!(limit.what().contains("customer managed policies"));
        let attach_limit = error(
            "AttachGroupPolicy",
            ErrorKind::LimitExceeded,
            "LimitExceeded",
        );
        assert!(attach_limit.next_step().contains("detach"));
        let version = error("GetPolicyVersion", ErrorKind::NoSuchEntity, "NoSuchEntity");
        assert!(version.next_step().contains("default_version_id"));
        let busy = error(
            "CreatePolicy",
            ErrorKind::ConcurrentModification,
            "ConcurrentModification",
        );
        assert!(busy.next_step().contains("wait a minute"));
        let failure = error("CreatePolicy", ErrorKind::ServiceFailure, "ServiceFailure");
        assert!(
            failure.what().starts_with("IAM failed"),
            "{}",
            failure.what()
        );
        // MFA-device calls keep their own words.
        let device_limit = error(
            "CreateVirtualMFADevice",
            ErrorKind::LimitExceeded,
            "LimitExceeded",
        );
        assert!(device_limit.what().contains("8 MFA devices"));
    }

    #[test]
    fn display_says_what_and_aws_words() {
        let error = AwsError {
            operation: "EnableMFADevice",
            kind: ErrorKind::InvalidAuthenticationCode,
            code: Some("InvalidAuthenticationCode".into()),
            message: Some("Authentication code for device is not valid.".into()),
            status: Some(403),
        };
        assert_eq!(
            error.to_string(),
            "EnableMFADevice failed: AWS rejected the MFA codes (AWS: InvalidAuthenticationCode: Authentication code for device is not valid.) [HTTP 403]"
        );
        assert!(error.next_step().contains("consecutive codes"));
    }

    // Users and credentials (audit)
    #[test]
    fn credential_report_errors_say_what_to_do() {
        for (code, kind) in [
            ("ReportNotPresent", ErrorKind::ReportNotPresent),
            ("ReportExpired", ErrorKind::ReportExpired),
            ("ReportInProgress", ErrorKind::ReportInProgress),
            ("ServiceFailure", ErrorKind::ServiceFailure),
        ] {
            assert_eq!(kind_of(Some(code), Some(410)), kind);
        }
        let not_present = AwsError::new("GetCredentialReport", ErrorKind::ReportNotPresent);
        assert!(
            not_present
                .next_step()
                .contains("iam.generate-credential-report")
        );
        let limit = AwsError::new("GenerateCredentialReport", ErrorKind::LimitExceeded);
        assert!(
            limit.what().contains("credential reports"),
            "{}",
            limit.what()
        );
        let mfa_limit = AwsError::new("CreateVirtualMFADevice", ErrorKind::LimitExceeded);
        assert!(mfa_limit.what().contains("MFA devices"));
        let denied = AwsError::new("ListUsers", ErrorKind::AccessDenied);
        assert!(denied.next_step().contains("iam:ListUsers"));
    }
}
