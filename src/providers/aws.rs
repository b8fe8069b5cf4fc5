//! The real IAM and STS, on the AWS SDK for Rust. The async SDK stays inside this module:
//! each call is driven to completion on a private single-threaded runtime.

use std::future::Future;
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_iam::types::{AssignmentStatusType, StatusType, SummaryKeyType};

use super::{AccessKey, AccessKeyStatus, LoginProfile};
use super::{
    AccountSummary, Assignment, AwsError, CallerIdentity, CreatedDevice, ErrorKind, Iam, MfaDevice,
    MfaDeviceDetails, SessionToken, Sts, VirtualMfaDevice,
};
use super::{AssumeRoleRequest, AssumedRole};
use super::{AttachedPolicy, ManagedPolicy};
use crate::secret::Secret;
// Users and credentials (audit)
use super::{CredentialReport, IamUser, ReportState};
use aws_sdk_iam::types::ReportStateType;

/// Where and as whom to call AWS.
#[derive(Clone, Debug, Default)]
pub struct AwsOptions {
    /// `--region`; IAM is global, so this only picks the STS endpoint. Default: the
    /// environment, then the profile, then `us-east-1`.
    pub region: Option<String>,
    /// `--profile`: a named profile from `~/.aws/config` (SSO and credential_process work).
    pub profile: Option<String>,
    /// `--endpoint-url` (also `AWS_ENDPOINT_URL`): e.g. the local emulator.
    pub endpoint_url: Option<String>,
    /// Fixed credentials instead of the default chain (the sandbox's own user).
    pub credentials: Option<(String, Secret)>,
    /// Attempts per call, with exponential backoff on throttling and 5xx (default 4).
    pub max_attempts: Option<u32>,
    /// How long one attempt of a call may take before it is abandoned (and retried, while
    /// attempts are left); default [`DEFAULT_CALL_TIMEOUT`]. A hung endpoint then ends in
    /// an error that says so, not in a run that waits forever.
    pub call_timeout: Option<Duration>,
    /// Never go through a proxy (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`): the sandbox and
    /// `runbook test` talk to their emulator on 127.0.0.1 directly. Loopback endpoints are
    /// always reached directly.
    pub direct: bool,
}

/// The default of [`AwsOptions::call_timeout`]: IAM answers in well under a second.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest answer read from IAM or STS. Their answers are a few kilobytes (a page of
/// 100 devices is about 30 KB; a credential report for thousands of users, a few MB); an
/// endpoint or proxy sending more is not read into memory.
pub const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// The words that mark an answer cut off at [`MAX_RESPONSE_BYTES`].
pub const TOO_LARGE: &str = "response larger than the 16 MB any IAM or STS answer fits in";

/// Refuses answers larger than [`MAX_RESPONSE_BYTES`]: by their `Content-Length` before
/// anything is read, and otherwise while the body is read (chunked answers).
#[derive(Debug)]
pub struct ResponseSizeLimit;

impl aws_smithy_runtime_api::client::interceptors::Intercept for ResponseSizeLimit {
    fn name(&self) -> &'static str {
        "ResponseSizeLimit"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let response = context.response_mut();
        let declared = response
            .headers()
            .get("content-length")
            .and_then(|length| length.trim().parse::<u64>().ok());
        if declared.is_some_and(|length| length > MAX_RESPONSE_BYTES) {
            return Err(format!(
                "{TOO_LARGE} (Content-Length {})",
                declared.unwrap_or_default()
            )
            .into());
        }
        let body = response.take_body();
        let limited = http_body_util::Limited::new(body, MAX_RESPONSE_BYTES as usize);
        *response.body_mut() =
            aws_smithy_types::body::SdkBody::from_body_1_x(http_body_util::BodyExt::map_err(
                limited,
                |error| -> aws_smithy_runtime_api::box_error::BoxError {
                    if error.is::<http_body_util::LengthLimitError>() {
                        TOO_LARGE.into()
                    } else {
                        error
                    }
                },
            ));
        Ok(())
    }
}

/// An HTTPS client like the SDK's default one, but that never goes through a proxy,
/// whatever `HTTP_PROXY`, `HTTPS_PROXY` or `ALL_PROXY` say.
pub fn direct_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https()
}

/// Whether an endpoint URL names this machine (`127.0.0.1`, `localhost`, `[::1]`).
pub fn is_loopback(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = host.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(host, _)| host)
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|address| address.is_loopback())
}

/// IAM and STS clients with the runtime that drives them.
pub struct AwsProvider {
    runtime: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a single-threaded tokio runtime always builds")
}

impl AwsProvider {
    /// Load the SDK configuration (credentials chain, profile, region) and make clients.
    /// Nothing is sent until the first call.
    pub fn connect(options: &AwsOptions) -> AwsProvider {
        let runtime = runtime();
        let config = runtime.block_on(async {
            let mut loader = aws_config::defaults(BehaviorVersion::latest())
                .retry_config(
                    RetryConfig::standard().with_max_attempts(options.max_attempts.unwrap_or(4)),
                )
                .timeout_config(
                    TimeoutConfig::builder()
                        .operation_attempt_timeout(
                            options.call_timeout.unwrap_or(DEFAULT_CALL_TIMEOUT),
                        )
                        .build(),
                );
            let mut profile_region = aws_config::profile::ProfileFileRegionProvider::builder();
            if let Some(profile) = &options.profile {
                profile_region = profile_region.profile_name(profile);
                loader = loader.profile_name(profile);
            }
            // Not the SDK's default region chain: it ends by asking the EC2 metadata service.
            let region = RegionProviderChain::first_try(options.region.clone().map(Region::new))
                .or_else(aws_config::environment::EnvironmentVariableRegionProvider::new())
                .or_else(profile_region.build())
                .or_else(Region::from_static("us-east-1"));
            loader = loader.region(region);
            if let Some(url) = &options.endpoint_url {
                loader = loader.endpoint_url(url);
            }
            let endpoint = options
                .endpoint_url
                .clone()
                .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
            if options.direct || endpoint.as_deref().is_some_and(is_loopback) {
                loader = loader.http_client(direct_http_client());
            }
            if let Some((key, secret)) = &options.credentials {
                loader = loader.credentials_provider(Credentials::new(
                    key,
                    secret.expose(),
                    None,
                    None,
                    "runbook",
                ));
            }
            loader.load().await
        });
        AwsProvider {
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(&config)
                    .interceptor(ResponseSizeLimit)
                    .build(),
            ),
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(&config)
                    .interceptor(ResponseSizeLimit)
                    .build(),
            ),
            runtime,
        }
    }

    /// Wrap existing clients (tests use mocked ones).
    pub fn from_clients(iam: aws_sdk_iam::Client, sts: aws_sdk_sts::Client) -> AwsProvider {
        AwsProvider {
            runtime: runtime(),
            iam,
            sts,
        }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The IAM client, for setting up the sandbox (creating its user).
    pub fn iam_client(&self) -> &aws_sdk_iam::Client {
        &self.iam
    }

    /// Run an async SDK call to completion.
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        self.block_on(future)
    }
}

fn date(value: Option<&aws_sdk_iam::primitives::DateTime>) -> String {
    value
        .and_then(|d| d.fmt(aws_smithy_types_format()).ok())
        .unwrap_or_default()
}

fn aws_smithy_types_format() -> aws_sdk_iam::primitives::DateTimeFormat {
    aws_sdk_iam::primitives::DateTimeFormat::DateTime
}

macro_rules! call {
    ($operation:literal, $future:expr) => {
        $future
            .await
            .map_err(|error| AwsError::from_sdk($operation, &error))
    };
}

impl Iam for AwsProvider {
    fn create_virtual_mfa_device(
        &self,
        name: &str,
        path: Option<&str>,
    ) -> Result<CreatedDevice, AwsError> {
        let output = self.block_on(async {
            call!(
                "CreateVirtualMFADevice",
                self.iam
                    .create_virtual_mfa_device()
                    .virtual_mfa_device_name(name)
                    .set_path(path.map(str::to_string))
                    .send()
            )
        })?;
        let invalid = |what: &str| AwsError {
            message: Some(format!("the response had no {what}")),
            ..AwsError::new("CreateVirtualMFADevice", ErrorKind::Other)
        };
        let device = output
            .virtual_mfa_device()
            .ok_or_else(|| invalid("device"))?;
        let seed = device
            .base32_string_seed()
            .and_then(|blob| std::str::from_utf8(blob.as_ref()).ok())
            .ok_or_else(|| invalid("seed"))?;
        Ok(CreatedDevice {
            serial_number: device.serial_number().to_string(),
            seed: Secret::new(seed),
        })
    }

    fn enable_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &Secret,
        code2: &Secret,
    ) -> Result<(), AwsError> {
        self.block_on(async {
            call!(
                "EnableMFADevice",
                self.iam
                    .enable_mfa_device()
                    .user_name(user)
                    .serial_number(serial)
                    .authentication_code1(code1.expose())
                    .authentication_code2(code2.expose())
                    .send()
            )
        })
        .map(|_| ())
    }

    fn resync_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &Secret,
        code2: &Secret,
    ) -> Result<(), AwsError> {
        self.block_on(async {
            call!(
                "ResyncMFADevice",
                self.iam
                    .resync_mfa_device()
                    .user_name(user)
                    .serial_number(serial)
                    .authentication_code1(code1.expose())
                    .authentication_code2(code2.expose())
                    .send()
            )
        })
        .map(|_| ())
    }

    fn deactivate_mfa_device(&self, user: &str, serial: &str) -> Result<(), AwsError> {
        self.block_on(async {
            call!(
                "DeactivateMFADevice",
                self.iam
                    .deactivate_mfa_device()
                    .user_name(user)
                    .serial_number(serial)
                    .send()
            )
        })
        .map(|_| ())
    }

    fn delete_virtual_mfa_device(&self, serial: &str) -> Result<(), AwsError> {
        self.block_on(async {
            call!(
                "DeleteVirtualMFADevice",
                self.iam
                    .delete_virtual_mfa_device()
                    .serial_number(serial)
                    .send()
            )
        })
        .map(|_| ())
    }

    fn list_mfa_devices(&self, user: Option<&str>) -> Result<Vec<MfaDevice>, AwsError> {
        let devices: Vec<aws_sdk_iam::types::MfaDevice> = self.block_on(async {
            self.iam
                .list_mfa_devices()
                .set_user_name(user.map(str::to_string))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|error| AwsError::from_sdk("ListMFADevices", &error))
        })?;
        Ok(devices
            .iter()
            .map(|d| MfaDevice {
                serial_number: d.serial_number().to_string(),
                user_name: d.user_name().to_string(),
                enable_date: date(Some(d.enable_date())),
            })
            .collect())
    }

    fn list_virtual_mfa_devices(
        &self,
        assignment: Assignment,
    ) -> Result<Vec<VirtualMfaDevice>, AwsError> {
        let status = match assignment {
            Assignment::Assigned => AssignmentStatusType::Assigned,
            Assignment::Unassigned => AssignmentStatusType::Unassigned,
            Assignment::Any => AssignmentStatusType::Any,
        };
        let devices: Vec<aws_sdk_iam::types::VirtualMfaDevice> = self.block_on(async {
            self.iam
                .list_virtual_mfa_devices()
                .assignment_status(status)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|error| AwsError::from_sdk("ListVirtualMFADevices", &error))
        })?;
        // The seed some services return here is ignored: it is not ours to keep.
        Ok(devices
            .iter()
            .map(|d| VirtualMfaDevice {
                serial_number: d.serial_number().to_string(),
                user_name: d.user().map(|u| u.user_name().to_string()),
                enable_date: d.enable_date().map(|e| date(Some(e))),
            })
            .collect())
    }

    fn get_mfa_device(
        &self,
        serial: &str,
        user: Option<&str>,
    ) -> Result<MfaDeviceDetails, AwsError> {
        let output = self.block_on(async {
            call!(
                "GetMFADevice",
                self.iam
                    .get_mfa_device()
                    .serial_number(serial)
                    .set_user_name(user.map(str::to_string))
                    .send()
            )
        })?;
        let mut certifications: Vec<String> = output
            .certifications()
            .map(|map| {
                map.iter()
                    .map(|(key, value)| format!("{key}: {value}"))
                    .collect()
            })
            .unwrap_or_default();
        certifications.sort();
        Ok(MfaDeviceDetails {
            serial_number: output.serial_number().to_string(),
            user_name: output.user_name().unwrap_or_default().to_string(),
            enable_date: date(output.enable_date()),
            certifications,
        })
    }

    fn get_account_summary(&self) -> Result<AccountSummary, AwsError> {
        let output = self.block_on(async {
            call!("GetAccountSummary", self.iam.get_account_summary().send())
        })?;
        let map = output.summary_map();
        let get = |key: SummaryKeyType| map.and_then(|m| m.get(&key)).copied().unwrap_or(0) as i64;
        Ok(AccountSummary {
            account_mfa_enabled: get(SummaryKeyType::AccountMfaEnabled) == 1,
            mfa_devices: get(SummaryKeyType::MfaDevices),
            mfa_devices_in_use: get(SummaryKeyType::MfaDevicesInUse),
        })
    }

    // Sign-in credentials (offboarding)
    fn get_login_profile(&self, user: &str) -> Result<Option<LoginProfile>, AwsError> {
        let output = self.block_on(async {
            call!(
                "GetLoginProfile",
                self.iam.get_login_profile().user_name(user).send()
            )
        });
        match output {
            Ok(output) => Ok(output.login_profile().map(|profile| LoginProfile {
                create_date: date(Some(profile.create_date())),
                password_reset_required: profile.password_reset_required(),
            })),
            Err(error) if no_login_profile(&error) => Ok(None),
            Err(error) => Err(error),
        }
    }

    fn delete_login_profile(&self, user: &str) -> Result<(), AwsError> {
        self.block_on(async {
            call!(
                "DeleteLoginProfile",
                self.iam.delete_login_profile().user_name(user).send()
            )
        })
        .map(|_| ())
    }

    fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKey>, AwsError> {
        let keys: Vec<aws_sdk_iam::types::AccessKeyMetadata> = self.block_on(async {
            self.iam
                .list_access_keys()
                .user_name(user)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|error| AwsError::from_sdk("ListAccessKeys", &error))
        })?;
        Ok(keys
            .iter()
            .map(|key| AccessKey {
                access_key_id: key.access_key_id().unwrap_or_default().to_string(),
                status: match key.status() {
                    Some(StatusType::Active) => AccessKeyStatus::Active,
                    _ => AccessKeyStatus::Inactive,
                },
                create_date: date(key.create_date()),
            })
            .collect())
    }

    fn update_access_key(
        &self,
        user: &str,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<(), AwsError> {
        let status = match status {
            AccessKeyStatus::Active => StatusType::Active,
            AccessKeyStatus::Inactive => StatusType::Inactive,
        };
        self.block_on(async {
            call!(
                "UpdateAccessKey",
                self.iam
                    .update_access_key()
                    .user_name(user)
                    .access_key_id(access_key_id)
                    .status(status)
                    .send()
            )
        })
        .map(|_| ())
    }

    // Users and credentials (audit)
    fn list_users(&self, path_prefix: Option<&str>) -> Result<Vec<IamUser>, AwsError> {
        let users: Vec<aws_sdk_iam::types::User> = self.block_on(async {
            self.iam
                .list_users()
                .set_path_prefix(path_prefix.map(str::to_string))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|error| AwsError::from_sdk("ListUsers", &error))
        })?;
        Ok(users
            .iter()
            .map(|u| IamUser {
                user_name: u.user_name().to_string(),
                arn: u.arn().to_string(),
                create_date: date(Some(u.create_date())),
                password_last_used: u.password_last_used().map(|d| date(Some(d))),
            })
            .collect())
    }

    fn generate_credential_report(&self) -> Result<ReportState, AwsError> {
        let output = self.block_on(async {
            call!(
                "GenerateCredentialReport",
                self.iam.generate_credential_report().send()
            )
        })?;
        Ok(match output.state() {
            Some(ReportStateType::Complete) => ReportState::Complete,
            Some(ReportStateType::Started) => ReportState::Started,
            _ => ReportState::InProgress,
        })
    }

    fn get_credential_report(&self) -> Result<CredentialReport, AwsError> {
        let output = self.block_on(async {
            call!(
                "GetCredentialReport",
                self.iam.get_credential_report().send()
            )
        })?;
        let content = output
            .content()
            .map(|blob| String::from_utf8_lossy(blob.as_ref()).into_owned())
            .ok_or_else(|| AwsError {
                message: Some("the response had no report".into()),
                ..AwsError::new("GetCredentialReport", ErrorKind::Other)
            })?;
        Ok(CredentialReport {
            content,
            generated_time: date(output.generated_time()),
        })
    }

    // Managed policies (require MFA)
    fn create_policy(
        &self,
        name: &str,
        path: Option<&str>,
        document: &str,
        description: Option<&str>,
    ) -> Result<ManagedPolicy, AwsError> {
        let output = self.block_on(async {
            call!(
                "CreatePolicy",
                self.iam
                    .create_policy()
                    .policy_name(name)
                    .set_path(path.map(str::to_string))
                    .policy_document(document)
                    .set_description(description.map(str::to_string))
                    .send()
            )
        })?;
        output.policy().map(managed_policy).ok_or_else(|| AwsError {
            message: Some("the response had no policy".into()),
            ..AwsError::new("CreatePolicy", ErrorKind::Other)
        })
    }

    fn get_policy(&self, arn: &str) -> Result<ManagedPolicy, AwsError> {
        let output = self
            .block_on(async { call!("GetPolicy", self.iam.get_policy().policy_arn(arn).send()) })?;
        output.policy().map(managed_policy).ok_or_else(|| AwsError {
            message: Some("the response had no policy".into()),
            ..AwsError::new("GetPolicy", ErrorKind::Other)
        })
    }

    fn get_policy_version(&self, arn: &str, version_id: &str) -> Result<String, AwsError> {
        let output = self.block_on(async {
            call!(
                "GetPolicyVersion",
                self.iam
                    .get_policy_version()
                    .policy_arn(arn)
                    .version_id(version_id)
                    .send()
            )
        })?;
        let document = output
            .policy_version()
            .and_then(|version| version.document())
            .ok_or_else(|| AwsError {
                message: Some("the response had no document".into()),
                ..AwsError::new("GetPolicyVersion", ErrorKind::Other)
            })?;
        decode_policy_document(document).ok_or_else(|| AwsError {
            message: Some("the document was not URL-encoded UTF-8".into()),
            ..AwsError::new("GetPolicyVersion", ErrorKind::Other)
        })
    }

    fn attach_user_policy(&self, user: &str, arn: &str) -> Result<(), AwsError> {
        self.block_on(async {
            call!(
                "AttachUserPolicy",
                self.iam
                    .attach_user_policy()
                    .user_name(user)
                    .policy_arn(arn)
                    .send()
            )
        })
        .map(|_| ())
    }

    fn attach_group_policy(&self, group: &str, arn: &str) -> Result<(), AwsError> {
        self.block_on(async {
            call!(
                "AttachGroupPolicy",
                self.iam
                    .attach_group_policy()
                    .group_name(group)
                    .policy_arn(arn)
                    .send()
            )
        })
        .map(|_| ())
    }

    fn list_attached_user_policies(&self, user: &str) -> Result<Vec<AttachedPolicy>, AwsError> {
        let policies: Vec<aws_sdk_iam::types::AttachedPolicy> = self.block_on(async {
            self.iam
                .list_attached_user_policies()
                .user_name(user)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|error| AwsError::from_sdk("ListAttachedUserPolicies", &error))
        })?;
        Ok(policies.iter().map(attached_policy).collect())
    }

    fn list_attached_group_policies(&self, group: &str) -> Result<Vec<AttachedPolicy>, AwsError> {
        let policies: Vec<aws_sdk_iam::types::AttachedPolicy> = self.block_on(async {
            self.iam
                .list_attached_group_policies()
                .group_name(group)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|error| AwsError::from_sdk("ListAttachedGroupPolicies", &error))
        })?;
        Ok(policies.iter().map(attached_policy).collect())
    }
}

/// GetLoginProfile's NoSuchEntity means "no console password", unless it is the user that
/// does not exist (IAM's words: "The user with name … cannot be found").
fn no_login_profile(error: &AwsError) -> bool {
    error.kind == ErrorKind::NoSuchEntity
        && !error
            .message
            .as_deref()
            .is_some_and(|message| message.to_ascii_lowercase().contains("user with name"))
}

impl Sts for AwsProvider {
    fn get_caller_identity(&self) -> Result<CallerIdentity, AwsError> {
        let output = self.block_on(async {
            call!("GetCallerIdentity", self.sts.get_caller_identity().send())
        })?;
        Ok(CallerIdentity {
            account: output.account().unwrap_or_default().to_string(),
            arn: output.arn().unwrap_or_default().to_string(),
            user_id: output.user_id().unwrap_or_default().to_string(),
        })
    }

    fn get_session_token(
        &self,
        serial: &str,
        code: &Secret,
        duration_seconds: Option<u32>,
    ) -> Result<SessionToken, AwsError> {
        let output = self.block_on(async {
            call!(
                "GetSessionToken",
                self.sts
                    .get_session_token()
                    .serial_number(serial)
                    .token_code(code.expose())
                    .set_duration_seconds(duration_seconds.map(|s| s as i32))
                    .send()
            )
        })?;
        Ok(session_token(output.credentials()))
    }

    // Use MFA from the AWS CLI (aws-cli-mfa)
    fn assume_role(&self, request: &AssumeRoleRequest<'_>) -> Result<AssumedRole, AwsError> {
        let output = self.block_on(async {
            call!(
                "AssumeRole",
                self.sts
                    .assume_role()
                    .role_arn(request.role_arn)
                    .role_session_name(request.session_name)
                    .set_serial_number(request.mfa.map(|(serial, _)| serial.to_string()))
                    .set_token_code(request.mfa.map(|(_, code)| code.expose().to_string()))
                    .set_duration_seconds(request.duration_seconds.map(|s| s as i32))
                    .send()
            )
        })?;
        let user = output.assumed_role_user();
        Ok(AssumedRole {
            arn: user.map(|u| u.arn().to_string()).unwrap_or_default(),
            assumed_role_id: user
                .map(|u| u.assumed_role_id().to_string())
                .unwrap_or_default(),
            credentials: session_token(output.credentials()),
        })
    }
}

// Managed policies (require MFA)

fn managed_policy(policy: &aws_sdk_iam::types::Policy) -> ManagedPolicy {
    ManagedPolicy {
        arn: policy.arn().unwrap_or_default().to_string(),
        name: policy.policy_name().unwrap_or_default().to_string(),
        path: policy.path().unwrap_or("/").to_string(),
        default_version_id: policy.default_version_id().unwrap_or_default().to_string(),
        attachment_count: i64::from(policy.attachment_count().unwrap_or(0)),
    }
}

fn attached_policy(policy: &aws_sdk_iam::types::AttachedPolicy) -> AttachedPolicy {
    AttachedPolicy {
        name: policy.policy_name().unwrap_or_default().to_string(),
        arn: policy.policy_arn().unwrap_or_default().to_string(),
    }
}

/// AWS returns policy documents URL-encoded (RFC 3986); some emulators send the JSON as
/// is. A document that already starts as JSON is taken as it is: decoding it again would
/// change a literal `%41` inside it.
pub fn decode_policy_document(document: &str) -> Option<String> {
    if document.trim_start().starts_with('{') {
        return Some(document.to_string());
    }
    percent_encoding::percent_decode_str(document)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

// Use MFA from the AWS CLI (aws-cli-mfa)
/// Temporary credentials as the providers hand them on: the secret parts as [`Secret`]s.
fn session_token(credentials: Option<&aws_sdk_sts::types::Credentials>) -> SessionToken {
    SessionToken {
        access_key_id: credentials
            .map(|c| c.access_key_id().to_string())
            .unwrap_or_default(),
        expiration: credentials
            .map(|c| date(Some(c.expiration())))
            .unwrap_or_default(),
        secret_access_key: Secret::new(
            credentials
                .map(|c| c.secret_access_key().to_string())
                .unwrap_or_default(),
        ),
        session_token: Secret::new(
            credentials
                .map(|c| c.session_token().to_string())
                .unwrap_or_default(),
        ),
    }
}

#[cfg(test)]
mod policy_tests {
    use super::decode_policy_document;

    #[test]
    fn policy_documents_are_url_decoded_once() {
        assert_eq!(
            decode_policy_document("%7B%22Version%22%3A%20%222012-10-17%22%7D").as_deref(),
            Some(r#"{"Version": "2012-10-17"}"#)
        );
        assert_eq!(
            decode_policy_document(r#"{"Sid": "100%41"}"#).as_deref(),
            Some(r#"{"Sid": "100%41"}"#)
        );
        assert_eq!(decode_policy_document("%FF%FE"), None);
    }
}
