//! The local emulator's IAM and STS, with stand-ins for the two calls moto lacks:
//! `ResyncMFADevice` and `GetMFADevice` (moto answers both with HTTP 500), and for the MFA
//! check moto skips: it takes any code in `GetSessionToken` and `AssumeRole`.
//!
//! [`EmulatorAws`] passes every other call to the emulator. It keeps, in memory only, the
//! seed of each virtual MFA device created through it (the sandbox run's own, or a
//! `runbook test` set-up's): AWS knows the seeds of its devices, and the stand-in plays
//! AWS. With them it answers
//!
//! - `ResyncMFADevice` as AWS does: the device must be assigned to the user, both codes
//!   must be 6 digits, and they must be the device's codes for two consecutive 30-second
//!   windows within [`RESYNC_WINDOWS`] windows of its clock (AWS does not publish its own
//!   resync window; this one is wider than sign-in's one window either side, as a resync
//!   must be). Otherwise `InvalidAuthenticationCode` (HTTP 403), `NoSuchEntity` (404) or
//!   `ValidationError` (400), as AWS answers.
//! - `GetMFADevice` from the user's devices as the emulator lists them (serial, user,
//!   enable date; no certifications: nobody certified the sandbox's software key).
//!
//! - `GetSessionToken` and `AssumeRole` with an MFA device's serial and code: the code is
//!   checked against the device's seed first (one window either side of its clock, shifted
//!   by the drift its last resync found, as AWS remembers it), and a wrong code, or a
//!   device whose seed the stand-in does not know (a security key has no codes), is
//!   refused with AWS's `AccessDenied` (HTTP 403); a right one goes on to the emulator.
//!   So the guides' sign-in proof proves something in the sandbox too.
//!
//! Every answer is labelled ([`RESYNC_STAND_IN`], [`GET_STAND_IN`], [`SIGN_IN_STAND_IN`]) through
//! [`Iam::stand_in`], so the run's output and a test's transcript say who answered.
//!
//! It can only ever stand in for the emulator: its one constructor takes an [`Emulator`],
//! which exists only for `http://127.0.0.1:PORT` ([`Emulator::start`], or
//! [`Emulator::attach`], which refuses anything else), and it checks the endpoint again
//! before connecting. A real run (`runbook run` without `--sandbox`, any `--endpoint-url`)
//! uses [`super::aws::AwsProvider`] alone, so a real endpoint's answers are never replaced.
//! Seeds and codes never leave it: they are [`Secret`]s, never formatted, and its error
//! messages name neither.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use super::aws::{AwsOptions, AwsProvider};
use super::sandbox::{Emulator, SandboxError, SandboxUser, sandbox_options};
use super::{AccessKey, AccessKeyStatus, LoginProfile};
use super::{
    AccountSummary, Assignment, AwsError, CallerIdentity, Clock, CreatedDevice, ErrorKind, Iam,
    MfaDevice, MfaDeviceDetails, SessionToken, Sts, VirtualMfaDevice,
};
use super::{AssumeRoleRequest, AssumedRole};
use super::{AttachedPolicy, ManagedPolicy};
use super::{CredentialReport, IamUser, ReportState};
use crate::secret::Secret;
use crate::totp::{self, Seed};

/// How the stand-in for `ResyncMFADevice` labels its answers.
pub const RESYNC_STAND_IN: &str = "[sandbox stand-in: moto has no ResyncMFADevice]";

/// How the stand-in for `GetMFADevice` labels its answers.
pub const GET_STAND_IN: &str = "[sandbox stand-in: moto has no GetMFADevice]";

/// How the stand-in that checks sign-in codes labels the answers of `GetSessionToken` and
/// `AssumeRole`.
pub const SIGN_IN_STAND_IN: &str = "[sandbox stand-in: moto takes any MFA code; this one checks MFA codes against the device's seed]";

/// How many 30-second windows either side of the device's clock a sign-in code may be
/// from (AWS's own tolerance is not published; one window each way is what TOTP allows).
pub const SIGN_IN_WINDOWS: u64 = 1;

/// How far from its clock, in 30-second windows either side, the `ResyncMFADevice`
/// stand-in looks for the two codes: 10 windows, five minutes.
pub const RESYNC_WINDOWS: u64 = totp::MAX_SKEW_WINDOWS;

/// A virtual MFA device the stand-in knows the seed of.
struct KnownDevice {
    seed: Secret,
    /// How many windows ahead of the clock (negative: behind) the device's clock was at
    /// its last resync: the window of the second code, less the current one (0 before).
    drift_windows: i64,
}

/// IAM and STS on the local emulator, with the stand-ins (see the module's text).
pub struct EmulatorAws<'c> {
    aws: AwsProvider,
    clock: &'c dyn Clock,
    devices: RefCell<BTreeMap<String, KnownDevice>>,
}

/// `options`, if they point at a local emulator (`http://127.0.0.1:PORT`) and nowhere
/// else; the stand-in is never put in front of anything else.
fn local_only(options: AwsOptions) -> Result<AwsOptions, SandboxError> {
    Emulator::attach(options.endpoint_url.as_deref().unwrap_or_default())?;
    Ok(options)
}

impl<'c> EmulatorAws<'c> {
    /// IAM and STS on `emulator` as `user` (see [`sandbox_options`]), each call given
    /// `call_timeout` (default: the SDK client's), the stand-ins reading `clock`.
    pub fn connect(
        emulator: &Emulator,
        user: &SandboxUser,
        call_timeout: Option<Duration>,
        clock: &'c dyn Clock,
    ) -> Result<EmulatorAws<'c>, SandboxError> {
        let options = local_only(AwsOptions {
            call_timeout,
            ..sandbox_options(emulator, user)
        })?;
        Ok(EmulatorAws {
            aws: AwsProvider::connect(&options),
            clock,
            devices: RefCell::new(BTreeMap::new()),
        })
    }

    /// The emulator's own clients, for a test's set-up (calls no guide makes).
    pub fn emulator(&self) -> &AwsProvider {
        &self.aws
    }

    /// Whether the stand-in knows the seed of the device `serial` (it never hands it out).
    pub fn knows(&self, serial: &str) -> bool {
        self.devices.borrow().contains_key(serial)
    }

    /// The device's drift found by its last resync, in windows (0 before any).
    pub fn drift_windows(&self, serial: &str) -> Option<i64> {
        self.devices.borrow().get(serial).map(|d| d.drift_windows)
    }

    /// The user's device `serial` as the emulator lists it, or AWS's `NoSuchEntity`.
    fn assigned(
        &self,
        operation: &'static str,
        label: &str,
        user: &str,
        serial: &str,
    ) -> Result<MfaDevice, AwsError> {
        let devices = self
            .aws
            .list_mfa_devices(Some(user))
            .map_err(|error| AwsError { operation, ..error })?;
        devices
            .into_iter()
            .find(|device| device.serial_number == serial)
            .ok_or_else(|| {
                stand_in_error(
                    operation,
                    ErrorKind::NoSuchEntity,
                    404,
                    format!(
                        "{label} the user {user} has no MFA device with serial number {serial}"
                    ),
                )
            })
    }

    fn resync(
        &self,
        user: &str,
        serial: &str,
        code1: &Secret,
        code2: &Secret,
    ) -> Result<(), AwsError> {
        const OPERATION: &str = "ResyncMFADevice";
        for (which, code) in [(1, code1), (2, code2)] {
            let code = code.expose();
            if code.len() != totp::DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(stand_in_error(
                    OPERATION,
                    ErrorKind::InvalidInput,
                    400,
                    format!(
                        "{RESYNC_STAND_IN} authenticationCode{which} must be {} digits",
                        totp::DIGITS
                    ),
                ));
            }
        }
        self.assigned(OPERATION, RESYNC_STAND_IN, user, serial)?;
        let mut devices = self.devices.borrow_mut();
        let Some(device) = devices.get_mut(serial) else {
            return Err(AwsError {
                message: Some(format!(
                    "{RESYNC_STAND_IN} the stand-in knows no seed for {serial}: it answers only for virtual devices created in this sandbox run or test set-up (a security key cannot be resynchronised)"
                )),
                ..AwsError::new(OPERATION, ErrorKind::NotImplemented)
            });
        };
        let seed = totp::parse_seed(device.seed.expose()).map_err(|_| {
            stand_in_error(
                OPERATION,
                ErrorKind::ServiceFailure,
                500,
                format!("{RESYNC_STAND_IN} the device's seed is not usable"),
            )
        })?;
        let now = self.clock.now();
        match seed.verify_consecutive(code1, code2, now, RESYNC_WINDOWS) {
            Ok((_, second)) => {
                let drift = i64::try_from(second).unwrap_or(i64::MAX)
                    - i64::try_from(Seed::window(now)).unwrap_or(i64::MAX);
                device.drift_windows = drift;
                Ok(())
            }
            // The stand-in says why (no code in it); AWS itself says only the first part.
            Err(why) => Err(stand_in_error(
                OPERATION,
                ErrorKind::InvalidAuthenticationCode,
                403,
                format!(
                    "{RESYNC_STAND_IN} Authentication code for device is not valid: {}",
                    reason(&why)
                ),
            )),
        }
    }

    /// The sign-in check AWS makes and moto does not: `code` must be the device's code for
    /// now (its drift allowed for), within [`SIGN_IN_WINDOWS`].
    fn check_sign_in(
        &self,
        operation: &'static str,
        serial: &str,
        code: &Secret,
    ) -> Result<(), AwsError> {
        let refused = |why: &str| {
            stand_in_error(
                operation,
                ErrorKind::AccessDenied,
                403,
                format!(
                    "{SIGN_IN_STAND_IN} MultiFactorAuthentication failed with invalid MFA one time pass code: {why}"
                ),
            )
        };
        let devices = self.devices.borrow();
        let Some(device) = devices.get(serial) else {
            return Err(refused(
                "the stand-in knows no seed for this device (only virtual devices created in this sandbox run or test set-up have codes it can check; a security key has none)",
            ));
        };
        let seed = totp::parse_seed(device.seed.expose())
            .map_err(|_| refused("the device's seed is not usable"))?;
        let shift = device.drift_windows.saturating_mul(30);
        let now = self.clock.now().saturating_add_signed(shift);
        seed.verify(code, now, SIGN_IN_WINDOWS)
            .map(|_| ())
            .map_err(|_| refused("the code is not the device's code for now"))
    }

    fn details(&self, serial: &str, user: Option<&str>) -> Result<MfaDeviceDetails, AwsError> {
        const OPERATION: &str = "GetMFADevice";
        let user = match user {
            Some(user) => user.to_string(),
            None => self
                .aws
                .get_caller_identity()
                .map_err(|error| AwsError {
                    operation: OPERATION,
                    ..error
                })?
                .user_name(),
        };
        let device = self.assigned(OPERATION, GET_STAND_IN, &user, serial)?;
        Ok(MfaDeviceDetails {
            serial_number: device.serial_number,
            user_name: device.user_name,
            enable_date: device.enable_date,
            certifications: Vec::new(),
        })
    }
}

/// Why the stand-in refused two codes, in a few words (never a code).
fn reason(error: &totp::TotpError) -> &'static str {
    use totp::TotpError;
    match error {
        TotpError::SameCodeTwice => "the two codes are the same",
        TotpError::FirstCodeWrong => {
            "code 1 is none of the device's codes within five minutes of now"
        }
        TotpError::SecondCodeWrong => {
            "code 2 is none of the device's codes within five minutes of now"
        }
        TotpError::NotConsecutive { .. } => {
            "both are the device's codes, but not from two consecutive 30-second windows"
        }
        _ => "neither code is one of the device's codes within five minutes of now",
    }
}

/// An error as AWS would send it: its code (the kind's name) and HTTP status, and a
/// message that starts with the stand-in's label.
fn stand_in_error(
    operation: &'static str,
    kind: ErrorKind,
    status: u16,
    message: String,
) -> AwsError {
    let code = match kind {
        ErrorKind::InvalidInput => "ValidationError".to_string(),
        kind => format!("{kind:?}"),
    };
    AwsError {
        operation,
        kind,
        code: Some(code),
        message: Some(message),
        status: Some(status),
    }
}

impl Iam for EmulatorAws<'_> {
    fn stand_in(&self, operation: &str) -> Option<&'static str> {
        match operation {
            "ResyncMFADevice" => Some(RESYNC_STAND_IN),
            "GetMFADevice" => Some(GET_STAND_IN),
            "GetSessionToken" | "AssumeRole" => Some(SIGN_IN_STAND_IN),
            _ => None,
        }
    }

    fn create_virtual_mfa_device(
        &self,
        name: &str,
        path: Option<&str>,
    ) -> Result<CreatedDevice, AwsError> {
        let device = self.aws.create_virtual_mfa_device(name, path)?;
        self.devices.borrow_mut().insert(
            device.serial_number.clone(),
            KnownDevice {
                seed: device.seed.clone(),
                drift_windows: 0,
            },
        );
        Ok(device)
    }

    fn enable_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &Secret,
        code2: &Secret,
    ) -> Result<(), AwsError> {
        self.aws.enable_mfa_device(user, serial, code1, code2)
    }

    fn resync_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &Secret,
        code2: &Secret,
    ) -> Result<(), AwsError> {
        self.resync(user, serial, code1, code2)
    }

    fn deactivate_mfa_device(&self, user: &str, serial: &str) -> Result<(), AwsError> {
        self.aws.deactivate_mfa_device(user, serial)
    }

    fn delete_virtual_mfa_device(&self, serial: &str) -> Result<(), AwsError> {
        self.aws.delete_virtual_mfa_device(serial)?;
        self.devices.borrow_mut().remove(serial);
        Ok(())
    }

    fn list_mfa_devices(&self, user: Option<&str>) -> Result<Vec<MfaDevice>, AwsError> {
        self.aws.list_mfa_devices(user)
    }

    fn list_virtual_mfa_devices(
        &self,
        assignment: Assignment,
    ) -> Result<Vec<VirtualMfaDevice>, AwsError> {
        self.aws.list_virtual_mfa_devices(assignment)
    }

    fn get_mfa_device(
        &self,
        serial: &str,
        user: Option<&str>,
    ) -> Result<MfaDeviceDetails, AwsError> {
        self.details(serial, user)
    }

    fn get_account_summary(&self) -> Result<AccountSummary, AwsError> {
        self.aws.get_account_summary()
    }

    fn get_login_profile(&self, user: &str) -> Result<Option<LoginProfile>, AwsError> {
        self.aws.get_login_profile(user)
    }

    fn delete_login_profile(&self, user: &str) -> Result<(), AwsError> {
        self.aws.delete_login_profile(user)
    }

    fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKey>, AwsError> {
        self.aws.list_access_keys(user)
    }

    fn update_access_key(
        &self,
        user: &str,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<(), AwsError> {
        self.aws.update_access_key(user, access_key_id, status)
    }

    fn list_users(&self, path_prefix: Option<&str>) -> Result<Vec<IamUser>, AwsError> {
        self.aws.list_users(path_prefix)
    }

    fn generate_credential_report(&self) -> Result<ReportState, AwsError> {
        self.aws.generate_credential_report()
    }

    fn get_credential_report(&self) -> Result<CredentialReport, AwsError> {
        self.aws.get_credential_report()
    }

    fn create_policy(
        &self,
        name: &str,
        path: Option<&str>,
        document: &str,
        description: Option<&str>,
    ) -> Result<ManagedPolicy, AwsError> {
        self.aws.create_policy(name, path, document, description)
    }

    fn get_policy(&self, arn: &str) -> Result<ManagedPolicy, AwsError> {
        self.aws.get_policy(arn)
    }

    fn get_policy_version(&self, arn: &str, version_id: &str) -> Result<String, AwsError> {
        self.aws.get_policy_version(arn, version_id)
    }

    fn attach_user_policy(&self, user: &str, arn: &str) -> Result<(), AwsError> {
        self.aws.attach_user_policy(user, arn)
    }

    fn attach_group_policy(&self, group: &str, arn: &str) -> Result<(), AwsError> {
        self.aws.attach_group_policy(group, arn)
    }

    fn list_attached_user_policies(&self, user: &str) -> Result<Vec<AttachedPolicy>, AwsError> {
        self.aws.list_attached_user_policies(user)
    }

    fn list_attached_group_policies(&self, group: &str) -> Result<Vec<AttachedPolicy>, AwsError> {
        self.aws.list_attached_group_policies(group)
    }
}

impl Sts for EmulatorAws<'_> {
    fn get_caller_identity(&self) -> Result<CallerIdentity, AwsError> {
        self.aws.get_caller_identity()
    }

    fn get_session_token(
        &self,
        serial: &str,
        code: &Secret,
        duration_seconds: Option<u32>,
    ) -> Result<SessionToken, AwsError> {
        self.check_sign_in("GetSessionToken", serial, code)?;
        self.aws.get_session_token(serial, code, duration_seconds)
    }

    fn assume_role(&self, request: &AssumeRoleRequest<'_>) -> Result<AssumedRole, AwsError> {
        if let Some((serial, code)) = request.mfa {
            self.check_sign_in("AssumeRole", serial, code)?;
        }
        self.aws.assume_role(request)
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::OnceLock;

    use super::*;
    use crate::providers::FixedClock;
    use crate::providers::sandbox::{self, create_user, ensure_emulator_installed};

    /// The project's emulator, installed on first use.
    fn moto_server() -> PathBuf {
        static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
        INSTALLED
            .get_or_init(|| {
                let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv");
                ensure_emulator_installed(&venv, &mut |message| eprintln!("{message}"))
                    .unwrap_or_else(|error| panic!("{error}"))
            })
            .clone()
    }

    /// 2024-01-01T00:00:00Z, a window's start.
    const NOW: u64 = 1_704_067_200;
    const STEP: u64 = totp::STEP_SECONDS;

    struct Fixture {
        _dir: tempfile::TempDir,
        emulator: Emulator,
        user: SandboxUser,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let emulator = Emulator::start(&moto_server(), &dir.path().join("moto.log"))
            .unwrap_or_else(|error| panic!("{error}"));
        let user = create_user(&emulator, "alice").unwrap();
        Fixture {
            _dir: dir,
            emulator,
            user,
        }
    }

    /// A device created through the stand-in and enabled on alice; its seed.
    fn enabled(aws: &EmulatorAws<'_>, name: &str) -> (String, Seed) {
        let device = aws.create_virtual_mfa_device(name, None).unwrap();
        let seed = totp::parse_seed(device.seed.expose()).unwrap();
        let (code1, code2) = seed.consecutive_codes(NOW - 2 * STEP);
        aws.enable_mfa_device("alice", &device.serial_number, &code1, &code2)
            .unwrap();
        (device.serial_number, seed)
    }

    fn code(seed: &Seed, windows_from_now: i64) -> Secret {
        seed.code_at(
            NOW.checked_add_signed(windows_from_now * STEP as i64)
                .unwrap(),
        )
    }

    #[test]
    fn two_consecutive_codes_resync_the_device_and_its_drift_is_learnt() {
        let fixture = fixture();
        let clock = FixedClock::new(NOW);
        let aws = EmulatorAws::connect(&fixture.emulator, &fixture.user, None, &clock).unwrap();
        let (serial, seed) = enabled(&aws, "alice-phone");
        assert!(aws.knows(&serial));
        assert_eq!(aws.drift_windows(&serial), Some(0));
        assert_eq!(aws.stand_in("ResyncMFADevice"), Some(RESYNC_STAND_IN));
        assert_eq!(aws.stand_in("EnableMFADevice"), None);
        // The phone's clock is two minutes ahead: its codes are those of windows +4, +5.
        aws.resync_mfa_device("alice", &serial, &code(&seed, 4), &code(&seed, 5))
            .unwrap();
        assert_eq!(aws.drift_windows(&serial), Some(5));
        // In sync again, and behind: found too.
        aws.resync_mfa_device("alice", &serial, &code(&seed, -3), &code(&seed, -2))
            .unwrap();
        assert_eq!(aws.drift_windows(&serial), Some(-2));
        aws.resync_mfa_device("alice", &serial, &code(&seed, 0), &code(&seed, 1))
            .unwrap();
        assert_eq!(aws.drift_windows(&serial), Some(1));
    }

    fn assert_refused(error: &AwsError, kind: ErrorKind, status: u16, words: &str) {
        assert_eq!(error.kind, kind, "{error}");
        assert_eq!(error.status, Some(status), "{error}");
        let message = error.message.as_deref().unwrap();
        assert!(
            message.starts_with(RESYNC_STAND_IN)
                || message.starts_with(GET_STAND_IN)
                || message.starts_with(SIGN_IN_STAND_IN),
            "{message}"
        );
        assert!(message.contains(words), "{message}");
    }

    #[test]
    fn sign_in_codes_are_checked_against_the_seed_with_the_drift_a_resync_found() {
        let fixture = fixture();
        let clock = FixedClock::new(NOW);
        let aws = EmulatorAws::connect(&fixture.emulator, &fixture.user, None, &clock).unwrap();
        let (serial, seed) = enabled(&aws, "alice-phone");
        assert_eq!(aws.stand_in("GetSessionToken"), Some(SIGN_IN_STAND_IN));
        assert_eq!(aws.stand_in("AssumeRole"), Some(SIGN_IN_STAND_IN));
        // Now's code, and one window either side: signed in.
        for windows in [-1, 0, 1] {
            aws.get_session_token(&serial, &code(&seed, windows), None)
                .unwrap_or_else(|error| panic!("window {windows}: {error}"));
        }
        // Two windows off, another device's code, or a made-up one: AccessDenied.
        let other = totp::parse_seed("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
        let made_up = (0..1_000_000u32)
            .map(|n| Secret::new(format!("{n:06}")))
            .find(|c| (-2..=2).all(|w| c.expose() != code(&seed, w).expose()))
            .unwrap();
        for wrong in [code(&seed, 2), code(&seed, -2), other.code_at(NOW), made_up] {
            let error = aws.get_session_token(&serial, &wrong, None).unwrap_err();
            assert_refused(
                &error,
                ErrorKind::AccessDenied,
                403,
                "invalid MFA one time pass code",
            );
            assert!(!error.to_string().contains(wrong.expose()), "{error}");
        }
        // AssumeRole with MFA is checked the same way, before the emulator sees it.
        let wrong = code(&seed, 3);
        let error = aws
            .assume_role(&AssumeRoleRequest {
                role_arn: "arn:aws:iam::123456789012:role/Admin",
                session_name: "alice-cli",
                mfa: Some((&serial, &wrong)),
                duration_seconds: None,
            })
            .unwrap_err();
        assert_refused(
            &error,
            ErrorKind::AccessDenied,
            403,
            "invalid MFA one time pass code",
        );
        // A device it knows no seed of (a security key, say).
        let error = aws
            .get_session_token(
                "arn:aws:iam::123456789012:u2f/user/alice/key",
                &code(&seed, 0),
                None,
            )
            .unwrap_err();
        assert_refused(&error, ErrorKind::AccessDenied, 403, "knows no seed");
        // After a resync that found the phone five windows ahead, its codes sign in and
        // now's code no longer does.
        aws.resync_mfa_device("alice", &serial, &code(&seed, 4), &code(&seed, 5))
            .unwrap();
        aws.get_session_token(&serial, &code(&seed, 5), None)
            .unwrap();
        let error = aws
            .get_session_token(&serial, &code(&seed, 0), None)
            .unwrap_err();
        assert_refused(
            &error,
            ErrorKind::AccessDenied,
            403,
            "not the device's code",
        );
    }

    #[test]
    fn wrong_far_or_non_consecutive_codes_are_refused_as_aws_refuses_them() {
        let fixture = fixture();
        let clock = FixedClock::new(NOW);
        let aws = EmulatorAws::connect(&fixture.emulator, &fixture.user, None, &clock).unwrap();
        let (serial, seed) = enabled(&aws, "alice-phone");
        let wrong = (0..1_000_000u32)
            .map(|n| Secret::new(format!("{n:06}")))
            .find(|c| seed.verify(c, NOW, totp::MAX_SKEW_WINDOWS).is_err())
            .unwrap();
        let cases = [
            (
                code(&seed, 0),
                code(&seed, 2),
                "not from two consecutive 30-second windows",
            ),
            (code(&seed, 1), code(&seed, 0), "not from two consecutive"),
            (code(&seed, 0), code(&seed, 0), "the two codes are the same"),
            (
                wrong.clone(),
                code(&seed, 1),
                "code 1 is none of the device's codes",
            ),
            (
                code(&seed, 0),
                wrong.clone(),
                "code 2 is none of the device's codes",
            ),
            // Eleven windows off: beyond what the stand-in searches.
            (code(&seed, 11), code(&seed, 12), "neither code"),
            (code(&seed, -12), code(&seed, -11), "neither code"),
        ];
        for (code1, code2, words) in &cases {
            let error = aws
                .resync_mfa_device("alice", &serial, code1, code2)
                .unwrap_err();
            assert_refused(&error, ErrorKind::InvalidAuthenticationCode, 403, words);
            assert_eq!(error.code.as_deref(), Some("InvalidAuthenticationCode"));
            assert_eq!(error.operation, "ResyncMFADevice");
            // The message names no code and no seed.
            let text = error.to_string();
            assert!(
                !text.contains(code1.expose()) && !text.contains(code2.expose()),
                "{text}"
            );
            assert!(!text.contains(seed.base32().expose()), "{text}");
        }
        assert_eq!(
            aws.drift_windows(&serial),
            Some(0),
            "a refused resync changes nothing"
        );
        for (code1, code2) in [
            ("12345", "123456"),
            ("123456", "12a456"),
            ("1234567", "123456"),
        ] {
            let error = aws
                .resync_mfa_device("alice", &serial, &Secret::new(code1), &Secret::new(code2))
                .unwrap_err();
            assert_refused(&error, ErrorKind::InvalidInput, 400, "must be 6 digits");
            assert_eq!(error.code.as_deref(), Some("ValidationError"));
        }
    }

    #[test]
    fn unknown_serials_users_and_seeds_are_not_resynced() {
        let fixture = fixture();
        let clock = FixedClock::new(NOW);
        let aws = EmulatorAws::connect(&fixture.emulator, &fixture.user, None, &clock).unwrap();
        let (serial, seed) = enabled(&aws, "alice-phone");
        let (code1, code2) = (code(&seed, 0), code(&seed, 1));
        // No such device, or another user's.
        let missing = "arn:aws:iam::123456789012:mfa/nobody-phone";
        let error = aws
            .resync_mfa_device("alice", missing, &code1, &code2)
            .unwrap_err();
        assert_refused(
            &error,
            ErrorKind::NoSuchEntity,
            404,
            "has no MFA device with serial number",
        );
        sandbox::create_other_user(&fixture.emulator, "bob", false).unwrap();
        let error = aws
            .resync_mfa_device("bob", &serial, &code1, &code2)
            .unwrap_err();
        assert_refused(
            &error,
            ErrorKind::NoSuchEntity,
            404,
            "the user bob has no MFA device",
        );
        // No such user: the emulator's own answer.
        let error = aws
            .resync_mfa_device("carol", &serial, &code1, &code2)
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::NoSuchEntity, "{error}");
        assert_eq!(error.operation, "ResyncMFADevice");
        // A device made behind the stand-in's back: its seed is unknown, so nothing is
        // pretended.
        let other = aws
            .emulator()
            .create_virtual_mfa_device("alice-other", None)
            .unwrap();
        let other_seed = totp::parse_seed(other.seed.expose()).unwrap();
        aws.enable_mfa_device("alice", &other.serial_number, &code1, &code2)
            .unwrap();
        assert!(!aws.knows(&other.serial_number));
        let error = aws
            .resync_mfa_device(
                "alice",
                &other.serial_number,
                &code(&other_seed, 0),
                &code(&other_seed, 1),
            )
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::NotImplemented, "{error}");
        assert!(error.to_string().contains("knows no seed"), "{error}");
        // A deleted device is forgotten.
        aws.deactivate_mfa_device("alice", &serial).unwrap();
        aws.delete_virtual_mfa_device(&serial).unwrap();
        assert!(!aws.knows(&serial));
    }

    #[test]
    fn get_mfa_device_answers_from_the_users_devices() {
        let fixture = fixture();
        let clock = FixedClock::new(NOW);
        let aws = EmulatorAws::connect(&fixture.emulator, &fixture.user, None, &clock).unwrap();
        let (serial, _) = enabled(&aws, "alice-phone");
        let listed = aws.list_mfa_devices(Some("alice")).unwrap();
        for user in [Some("alice"), None] {
            let details = aws.get_mfa_device(&serial, user).unwrap();
            assert_eq!(details.serial_number, serial);
            assert_eq!(details.user_name, "alice");
            assert_eq!(details.enable_date, listed[0].enable_date);
            assert!(details.certifications.is_empty());
        }
        assert_eq!(aws.stand_in("GetMFADevice"), Some(GET_STAND_IN));
        let error = aws
            .get_mfa_device("arn:aws:iam::123456789012:mfa/nobody", None)
            .unwrap_err();
        assert_refused(&error, ErrorKind::NoSuchEntity, 404, "has no MFA device");
        assert_eq!(error.operation, "GetMFADevice");
        // The emulator itself has no GetMFADevice: that is why the stand-in exists.
        let error = aws.emulator().get_mfa_device(&serial, None).unwrap_err();
        assert_eq!(error.kind, ErrorKind::NotImplemented, "{error}");
    }

    #[test]
    fn the_stand_in_connects_only_to_a_local_emulator() {
        for endpoint in [
            None,
            Some("https://iam.amazonaws.com"),
            Some("https://sts.us-east-1.amazonaws.com"),
            Some("http://10.0.0.1:5000"),
            Some("http://127.0.0.1.example.com:5000"),
        ] {
            let options = AwsOptions {
                endpoint_url: endpoint.map(str::to_string),
                credentials: Some(("AKIA".into(), Secret::new("s"))),
                ..AwsOptions::default()
            };
            let error = local_only(options).unwrap_err();
            assert!(
                matches!(error, SandboxError::NotLocal { .. }),
                "{endpoint:?}: {error}"
            );
        }
        let options = AwsOptions {
            endpoint_url: Some("http://127.0.0.1:5000".into()),
            ..AwsOptions::default()
        };
        assert!(local_only(options).is_ok());
        // And the real provider has no stand-in: its answers are the service's.
        let real = AwsProvider::connect(&AwsOptions {
            endpoint_url: Some("https://iam.amazonaws.com".into()),
            ..AwsOptions::default()
        });
        assert_eq!(real.stand_in("ResyncMFADevice"), None);
        assert_eq!(real.stand_in("GetMFADevice"), None);
    }
}
