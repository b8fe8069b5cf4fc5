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
    // Managed policies (require MFA)
    /// The policy document is not valid IAM policy grammar.
    MalformedPolicyDocument,
    /// An AWS service role policy, which cannot be attached to users or groups.
    PolicyNotAttachable,
    /// IAM failed internally (HTTP 500 with a code).
    ServiceFailure,
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
            _ => kind_of(code.as_deref(), status),
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
        if let Some((what, _)) = self.policy_advice() {
            return what;
        }
        match self.kind {
            ErrorKind::EntityAlreadyExists => "it already exists",
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
            ErrorKind::MalformedPolicyDocument => "AWS rejected the policy document",
            ErrorKind::PolicyNotAttachable => "that policy cannot be attached to users or groups",
            ErrorKind::ServiceFailure => "IAM failed internally",
        }
    }

    /// What to do next.
    pub fn next_step(&self) -> &'static str {
        if let Some((_, next)) = self.policy_advice() {
            return next;
        }
        match self.kind {
            ErrorKind::EntityAlreadyExists => {
                "pick another name, or run again: an unassigned device of the same name is offered for deletion"
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
                "check that the phone's clock is set automatically, then enter two new consecutive codes; if the device drifted, use `iam.resync-mfa-device`"
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
            ErrorKind::Other | ErrorKind::ServiceFailure => {
                "run again to resume; if it keeps failing, the AWS message above says why"
            }
            ErrorKind::MalformedPolicyDocument => {
                "fix the policy's ```json block in the guide (the AWS message above names the problem), then run again"
            }
            ErrorKind::PolicyNotAttachable => {
                "attach a customer managed policy (`arn:aws:iam::<account>:policy/…`), not an AWS service role policy"
            }
        }
    }
}

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
        Some("Throttling" | "ThrottlingException" | "RequestLimitExceeded") => {
            ErrorKind::Throttling
        }
        Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation") => {
            ErrorKind::AccessDenied
        }
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
        assert_eq!(failure.what(), "IAM failed internally");
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
}
