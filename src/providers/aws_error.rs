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
            ErrorKind::RegionDisabled => "STS is not activated in this region for the account",
            ErrorKind::SessionPolicy => "AWS refused the session policy",
        }
    }

    /// What to do next.
    pub fn next_step(&self) -> &'static str {
        if let Some(step) = self.sts_next_step() {
            return step;
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
            ErrorKind::Other => {
                "run again to resume; if it keeps failing, the AWS message above says why"
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
        Some("InvalidAuthenticationCode") => ErrorKind::InvalidAuthenticationCode,
        Some("NoSuchEntity") => ErrorKind::NoSuchEntity,
        Some("InvalidInput" | "ValidationError") => ErrorKind::InvalidInput,
        Some("Throttling" | "ThrottlingException" | "RequestLimitExceeded") => {
            ErrorKind::Throttling
        }
        Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation") => {
            ErrorKind::AccessDenied
        }
        // Use MFA from the AWS CLI (aws-cli-mfa)
        Some("RegionDisabledException") => ErrorKind::RegionDisabled,
        Some("MalformedPolicyDocument" | "PackedPolicyTooLarge") => ErrorKind::SessionPolicy,
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
