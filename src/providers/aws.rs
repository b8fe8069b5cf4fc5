//! The real IAM and STS, on the AWS SDK for Rust. The async SDK stays inside this module:
//! each call is driven to completion on a private single-threaded runtime.

use std::future::Future;
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_iam::types::{AssignmentStatusType, SummaryKeyType};

use super::{
    AccountSummary, Assignment, AwsError, CallerIdentity, CreatedDevice, ErrorKind, Iam, MfaDevice,
    MfaDeviceDetails, SessionToken, Sts, VirtualMfaDevice,
};
use crate::secret::Secret;

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
}

/// The default of [`AwsOptions::call_timeout`]: IAM answers in well under a second.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

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
            iam: aws_sdk_iam::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
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
        let credentials = output.credentials();
        Ok(SessionToken {
            access_key_id: credentials
                .map(|c| c.access_key_id().to_string())
                .unwrap_or_default(),
            expiration: credentials
                .map(|c| date(Some(c.expiration())))
                .unwrap_or_default(),
        })
    }
}
