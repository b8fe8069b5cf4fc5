//! The transcript of a test run: step by step, each action with its resolved non-secret
//! parameters, the AWS calls and security-key operations it made with their results, the
//! questions it asked, its outputs, its assertions and how it ended; then cleanup and the
//! run's result. Nondeterministic values become stable placeholders ([`normalise`]):
//! the same guide gives the same bytes on any machine, any day.
//!
//! Recording is done by wrappers around the real providers ([`RecordingAws`],
//! [`RecordingKeys`]; questions are recorded by [`crate::testing::answers::ScriptedAnswers`]) and
//! by the run's JSON events. A record belongs to the action that was running: the first
//! one, in run order, that the run's journal (saved after every action) does not list
//! yet (info steps, never journaled, are not counted). A step whose `when` is false is
//! one line with its reason. Secrets never reach a record: the providers' types keep
//! them in [`Secret`]s, which are never formatted here.
//!
//! ```text
//! step choose-authenticator-app: 2. Choose Authenticator App
//!   action duo: iam.create-virtual-mfa-device (changes AWS)
//!     when not me.is_root: true
//!     param name = "alice-DuoMobile"
//!     param user = "alice"
//!     aws iam ListMFADevices user=alice → 0 devices
//!     aws iam CreateVirtualMFADevice name=alice-DuoMobile → serial_number=arn:aws:iam::<account>:mfa/alice-DuoMobile seed=<secret>
//!     output serial_number = "arn:aws:iam::<account>:mfa/alice-DuoMobile"
//!     output seed = <secret>
//!     done, changed AWS
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value as Json;

use crate::bind::action::Exports;
use crate::bind::runbook::{BoundAction, Runbook, Step, StepKind};
use crate::providers::security_key::{
    Assertion, Credential, KeyDescriptor, KeyError, KeyInfo, SecurityKeys,
};
use crate::providers::{AccessKey, AccessKeyStatus, LoginProfile};
use crate::providers::{
    AccountSummary, Assignment, AwsError, CallerIdentity, CreatedDevice, Iam, MfaDevice,
    MfaDeviceDetails, SessionToken, Sts, VirtualMfaDevice,
};
use crate::providers::{AttachedPolicy, ManagedPolicy};
use crate::run::journal::{Journal, JournalFile};
use crate::run::values::{Outputs, Scope, Value};
use crate::secret::Secret;
// Users and credentials (audit)
use crate::providers::{CredentialReport, IamUser, ReportState};
use crate::testing::answers::{Answers, Phone};

/// The records of each loop item, by (journal item, loop item).
type LoopRecords = BTreeMap<(usize, usize), Vec<String>>;

/// The first line of every transcript; bumped when the format changes.
pub const HEADER: &str = "runbook test transcript, format 1";

/// What happened during the run, in order, each line tagged with the action (journal
/// item) that was running.
pub struct Recorder {
    journal: JournalFile,
    items: Vec<String>,
    /// The ids of `for_each` actions.
    loops: BTreeSet<String>,
    /// Each line with its item and, inside a `for_each`, the loop item (`id[n]`).
    records: RefCell<Vec<(usize, Option<usize>, String)>>,
}

/// The run order of what the journal records: each action's id, or `step:<id>` for a
/// manual step. An info step is never journaled (nothing is done or confirmed), so it is
/// no item: were it one, it would look unfinished, and so running, until the run's end.
pub fn journal_items(runbook: &Runbook) -> Vec<String> {
    runbook
        .steps
        .iter()
        .flat_map(|step| match step.kind() {
            StepKind::Info if step.actions.is_empty() => Vec::new(),
            _ if step.actions.is_empty() => vec![format!("step:{}", step.id)],
            _ => step.actions.iter().map(|a| a.id.clone()).collect(),
        })
        .collect()
}

impl Recorder {
    /// A recorder for a run of `runbook` whose journal is saved at `journal`.
    pub fn new(runbook: &Runbook, journal: JournalFile) -> Recorder {
        Recorder {
            journal,
            items: journal_items(runbook),
            loops: runbook
                .actions()
                .filter(|(_, action)| action.for_each.is_some())
                .map(|(_, action)| action.id.clone())
                .collect(),
            records: RefCell::new(Vec::new()),
        }
    }

    /// The item running now: the first one the journal does not list; inside a loop
    /// (whose own entry comes after all its items), the loop item too: as many as the
    /// journal holds of it.
    fn current(&self) -> (usize, Option<usize>) {
        let finished: BTreeSet<String> = self
            .journal
            .peek()
            .map(|journal| journal.actions.into_iter().map(|entry| entry.id).collect())
            .unwrap_or_default();
        let item = self
            .items
            .iter()
            .position(|id| !finished.contains(id))
            .unwrap_or(self.items.len());
        let loop_item = self.items.get(item).and_then(|id| {
            let prefix = format!("{id}[");
            let done = finished.iter().filter(|f| f.starts_with(&prefix)).count();
            (done > 0 || self.looping(id)).then_some(done)
        });
        (item, loop_item)
    }

    /// Whether the journal item `id` is a `for_each` action (set by [`Recorder::new`]).
    fn looping(&self, id: &str) -> bool {
        self.loops.contains(id)
    }

    /// Record one line for the action running now.
    pub fn note(&self, line: String) {
        let (item, loop_item) = self.current();
        self.records.borrow_mut().push((item, loop_item, line));
    }

    fn by_item(&self) -> (Vec<Vec<String>>, LoopRecords) {
        let mut grouped = vec![Vec::new(); self.items.len() + 1];
        let mut looped: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
        for (item, loop_item, line) in self.records.borrow().iter() {
            match loop_item {
                Some(n) => looped.entry((*item, *n)).or_default().push(line.clone()),
                None => grouped[*item].push(line.clone()),
            }
        }
        (grouped, looped)
    }

    fn count(&self, prefix: &str) -> usize {
        self.records
            .borrow()
            .iter()
            .filter(|(_, _, line)| line.starts_with(prefix))
            .count()
    }
}

/// A value in a record: bare when it has no spaces or quotes, else JSON-quoted.
fn arg(value: &str) -> String {
    if value.is_empty() || value.contains(|c: char| c.is_whitespace() || c == '"') {
        quote(value)
    } else {
        value.to_string()
    }
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialise")
}

fn args(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!(" {name}={value}"))
        .collect()
}

fn aws_error(error: &AwsError) -> String {
    let mut text = format!("error {:?}", error.kind);
    if let Some(code) = &error.code
        && code != &format!("{:?}", error.kind)
    {
        let _ = write!(text, " ({code})");
    }
    if let Some(status) = error.status {
        let _ = write!(text, " [HTTP {status}]");
    }
    text
}

fn count_of(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn mfa_devices(devices: &[MfaDevice]) -> String {
    let mut text = count_of(devices.len(), "device");
    for (n, device) in devices.iter().enumerate() {
        let _ = write!(
            text,
            "{} {} (enabled {})",
            if n == 0 { ":" } else { "," },
            device.serial_number,
            device.enable_date
        );
    }
    text
}

// Managed policies (require MFA)
fn managed_policy(policy: &ManagedPolicy) -> String {
    format!(
        "arn={} default_version_id={} attachment_count={}",
        arg(&policy.arn),
        arg(&policy.default_version_id),
        policy.attachment_count
    )
}

fn attached_policies(policies: &[AttachedPolicy]) -> String {
    let mut text = match policies.len() {
        1 => "1 policy".to_string(),
        n => format!("{n} policies"),
    };
    for (n, policy) in policies.iter().enumerate() {
        let _ = write!(
            text,
            "{} {} ({})",
            if n == 0 { ":" } else { "," },
            policy.name,
            policy.arn
        );
    }
    text
}

fn virtual_devices(devices: &[VirtualMfaDevice]) -> String {
    let mut text = count_of(devices.len(), "device");
    for (n, device) in devices.iter().enumerate() {
        let state = match (&device.user_name, &device.enable_date) {
            (Some(user), Some(date)) => format!("assigned to {user}, enabled {date}"),
            (Some(user), None) => format!("assigned to {user}"),
            (None, _) => "unassigned".to_string(),
        };
        let _ = write!(
            text,
            "{} {} ({state})",
            if n == 0 { ":" } else { "," },
            device.serial_number
        );
    }
    text
}

/// IAM and STS, recorded: each call with its key parameters and its result (secrets as
/// `<secret>`). The seed of a device created is handed to the test's [`Phone`].
pub struct RecordingAws<'a> {
    pub iam: &'a dyn Iam,
    pub sts: &'a dyn Sts,
    pub recorder: &'a Recorder,
    pub phone: &'a Phone,
}

impl RecordingAws<'_> {
    fn record<T>(
        &self,
        call: &str,
        params: &[(&str, String)],
        result: &Result<T, AwsError>,
        ok: impl FnOnce(&T) -> String,
    ) {
        let mut outcome = match result {
            Ok(value) => ok(value),
            Err(error) => aws_error(error),
        };
        // Who answered, when not the service: `[sandbox stand-in: …]`.
        let operation = call.rsplit(' ').next().unwrap_or(call);
        if let Some(label) = self.iam.stand_in(operation) {
            outcome.push(' ');
            outcome.push_str(label);
        }
        self.recorder
            .note(format!("aws {call}{} → {outcome}", args(params)));
    }
}

const SECRET: &str = "<secret>";

impl Iam for RecordingAws<'_> {
    fn stand_in(&self, operation: &str) -> Option<&'static str> {
        self.iam.stand_in(operation)
    }

    fn create_virtual_mfa_device(
        &self,
        name: &str,
        path: Option<&str>,
    ) -> Result<CreatedDevice, AwsError> {
        let result = self.iam.create_virtual_mfa_device(name, path);
        if let Ok(device) = &result {
            self.phone.scan(&device.seed);
        }
        let mut params = vec![("name", arg(name))];
        if let Some(path) = path {
            params.push(("path", arg(path)));
        }
        self.record("iam CreateVirtualMFADevice", &params, &result, |device| {
            format!("serial_number={} seed={SECRET}", device.serial_number)
        });
        result
    }

    fn enable_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &Secret,
        code2: &Secret,
    ) -> Result<(), AwsError> {
        let result = self.iam.enable_mfa_device(user, serial, code1, code2);
        let params = [
            ("user", arg(user)),
            ("serial_number", arg(serial)),
            ("code1", SECRET.into()),
            ("code2", SECRET.into()),
        ];
        self.record("iam EnableMFADevice", &params, &result, |()| "ok".into());
        result
    }

    fn resync_mfa_device(
        &self,
        user: &str,
        serial: &str,
        code1: &Secret,
        code2: &Secret,
    ) -> Result<(), AwsError> {
        let result = self.iam.resync_mfa_device(user, serial, code1, code2);
        let params = [
            ("user", arg(user)),
            ("serial_number", arg(serial)),
            ("code1", SECRET.into()),
            ("code2", SECRET.into()),
        ];
        self.record("iam ResyncMFADevice", &params, &result, |()| "ok".into());
        result
    }

    fn deactivate_mfa_device(&self, user: &str, serial: &str) -> Result<(), AwsError> {
        let result = self.iam.deactivate_mfa_device(user, serial);
        let params = [("user", arg(user)), ("serial_number", arg(serial))];
        self.record("iam DeactivateMFADevice", &params, &result, |()| {
            "ok".into()
        });
        result
    }

    fn delete_virtual_mfa_device(&self, serial: &str) -> Result<(), AwsError> {
        let result = self.iam.delete_virtual_mfa_device(serial);
        let params = [("serial_number", arg(serial))];
        self.record("iam DeleteVirtualMFADevice", &params, &result, |()| {
            "ok".into()
        });
        result
    }

    fn list_mfa_devices(&self, user: Option<&str>) -> Result<Vec<MfaDevice>, AwsError> {
        let result = self.iam.list_mfa_devices(user);
        let params: Vec<(&str, String)> =
            user.map(|user| ("user", arg(user))).into_iter().collect();
        self.record("iam ListMFADevices", &params, &result, |devices| {
            mfa_devices(devices)
        });
        result
    }

    fn list_virtual_mfa_devices(
        &self,
        assignment: Assignment,
    ) -> Result<Vec<VirtualMfaDevice>, AwsError> {
        let result = self.iam.list_virtual_mfa_devices(assignment);
        let status = match assignment {
            Assignment::Assigned => "assigned",
            Assignment::Unassigned => "unassigned",
            Assignment::Any => "any",
        };
        self.record(
            "iam ListVirtualMFADevices",
            &[("assignment", status.into())],
            &result,
            |devices| virtual_devices(devices),
        );
        result
    }

    fn get_mfa_device(
        &self,
        serial: &str,
        user: Option<&str>,
    ) -> Result<MfaDeviceDetails, AwsError> {
        let result = self.iam.get_mfa_device(serial, user);
        let mut params = vec![("serial_number", arg(serial))];
        if let Some(user) = user {
            params.push(("user", arg(user)));
        }
        self.record("iam GetMFADevice", &params, &result, |details| {
            format!(
                "user={} enable_date={} certifications={}",
                arg(&details.user_name),
                arg(&details.enable_date),
                quote(&details.certifications.join(", "))
            )
        });
        result
    }

    fn get_account_summary(&self) -> Result<AccountSummary, AwsError> {
        let result = self.iam.get_account_summary();
        self.record("iam GetAccountSummary", &[], &result, |summary| {
            format!(
                "account_mfa_enabled={} mfa_devices={} mfa_devices_in_use={}",
                summary.account_mfa_enabled, summary.mfa_devices, summary.mfa_devices_in_use
            )
        });
        result
    }

    // Sign-in credentials (offboarding)
    fn get_login_profile(&self, user: &str) -> Result<Option<LoginProfile>, AwsError> {
        let result = self.iam.get_login_profile(user);
        self.record(
            "iam GetLoginProfile",
            &[("user", arg(user))],
            &result,
            |profile| match profile {
                Some(profile) => format!(
                    "create_date={} password_reset_required={}",
                    arg(&profile.create_date),
                    profile.password_reset_required
                ),
                None => "no login profile".into(),
            },
        );
        result
    }

    fn delete_login_profile(&self, user: &str) -> Result<(), AwsError> {
        let result = self.iam.delete_login_profile(user);
        self.record(
            "iam DeleteLoginProfile",
            &[("user", arg(user))],
            &result,
            |()| "ok".into(),
        );
        result
    }

    fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKey>, AwsError> {
        let result = self.iam.list_access_keys(user);
        self.record(
            "iam ListAccessKeys",
            &[("user", arg(user))],
            &result,
            |keys| {
                let mut text = count_of(keys.len(), "key");
                for (n, key) in keys.iter().enumerate() {
                    let _ = write!(
                        text,
                        "{} {} ({}, created {})",
                        if n == 0 { ":" } else { "," },
                        key.access_key_id,
                        key.status.as_str(),
                        key.create_date
                    );
                }
                text
            },
        );
        result
    }

    fn update_access_key(
        &self,
        user: &str,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<(), AwsError> {
        let result = self.iam.update_access_key(user, access_key_id, status);
        let params = [
            ("user", arg(user)),
            ("access_key_id", arg(access_key_id)),
            ("status", status.as_str().into()),
        ];
        self.record("iam UpdateAccessKey", &params, &result, |()| "ok".into());
        result
    }

    // Users and credentials (audit)
    fn list_users(&self, path_prefix: Option<&str>) -> Result<Vec<IamUser>, AwsError> {
        let result = self.iam.list_users(path_prefix);
        let params: Vec<(&str, String)> = path_prefix
            .map(|prefix| ("path_prefix", arg(prefix)))
            .into_iter()
            .collect();
        self.record("iam ListUsers", &params, &result, |users| {
            let mut text = count_of(users.len(), "user");
            for (n, user) in users.iter().enumerate() {
                let _ = write!(
                    text,
                    "{} {}",
                    if n == 0 { ":" } else { "," },
                    user.user_name
                );
            }
            text
        });
        result
    }

    fn generate_credential_report(&self) -> Result<ReportState, AwsError> {
        let result = self.iam.generate_credential_report();
        self.record("iam GenerateCredentialReport", &[], &result, |state| {
            format!("state={state:?}")
        });
        result
    }

    fn get_credential_report(&self) -> Result<CredentialReport, AwsError> {
        let result = self.iam.get_credential_report();
        self.record("iam GetCredentialReport", &[], &result, |report| {
            format!(
                "{} line(s), generated_time={}",
                report.content.lines().count(),
                arg(&report.generated_time)
            )
        });
        result
    }

    // Managed policies (require MFA)
    fn create_policy(
        &self,
        name: &str,
        path: Option<&str>,
        document: &str,
        description: Option<&str>,
    ) -> Result<ManagedPolicy, AwsError> {
        let result = self.iam.create_policy(name, path, document, description);
        let mut params = vec![("name", arg(name))];
        if let Some(path) = path {
            params.push(("path", arg(path)));
        }
        params.push(("document", format!("<{} bytes>", document.len())));
        self.record("iam CreatePolicy", &params, &result, managed_policy);
        result
    }

    fn get_policy(&self, arn: &str) -> Result<ManagedPolicy, AwsError> {
        let result = self.iam.get_policy(arn);
        self.record(
            "iam GetPolicy",
            &[("arn", arg(arn))],
            &result,
            managed_policy,
        );
        result
    }

    fn get_policy_version(&self, arn: &str, version_id: &str) -> Result<String, AwsError> {
        let result = self.iam.get_policy_version(arn, version_id);
        let params = [("arn", arg(arn)), ("version_id", arg(version_id))];
        self.record("iam GetPolicyVersion", &params, &result, |document| {
            format!("document=<{} bytes>", document.len())
        });
        result
    }

    fn attach_user_policy(&self, user: &str, arn: &str) -> Result<(), AwsError> {
        let result = self.iam.attach_user_policy(user, arn);
        let params = [("user", arg(user)), ("arn", arg(arn))];
        self.record("iam AttachUserPolicy", &params, &result, |()| "ok".into());
        result
    }

    fn attach_group_policy(&self, group: &str, arn: &str) -> Result<(), AwsError> {
        let result = self.iam.attach_group_policy(group, arn);
        let params = [("group", arg(group)), ("arn", arg(arn))];
        self.record("iam AttachGroupPolicy", &params, &result, |()| "ok".into());
        result
    }

    fn list_attached_user_policies(&self, user: &str) -> Result<Vec<AttachedPolicy>, AwsError> {
        let result = self.iam.list_attached_user_policies(user);
        self.record(
            "iam ListAttachedUserPolicies",
            &[("user", arg(user))],
            &result,
            |policies| attached_policies(policies),
        );
        result
    }

    fn list_attached_group_policies(&self, group: &str) -> Result<Vec<AttachedPolicy>, AwsError> {
        let result = self.iam.list_attached_group_policies(group);
        self.record(
            "iam ListAttachedGroupPolicies",
            &[("group", arg(group))],
            &result,
            |policies| attached_policies(policies),
        );
        result
    }
}

impl Sts for RecordingAws<'_> {
    fn get_caller_identity(&self) -> Result<CallerIdentity, AwsError> {
        let result = self.sts.get_caller_identity();
        self.record("sts GetCallerIdentity", &[], &result, |identity| {
            format!(
                "account={} arn={} user_id={}",
                identity.account,
                identity.arn,
                redact_field("user_id", &identity.user_id)
            )
        });
        result
    }

    fn get_session_token(
        &self,
        serial: &str,
        code: &Secret,
        duration_seconds: Option<u32>,
    ) -> Result<SessionToken, AwsError> {
        let result = self.sts.get_session_token(serial, code, duration_seconds);
        let mut params = vec![("serial_number", arg(serial)), ("code", SECRET.into())];
        if let Some(seconds) = duration_seconds {
            params.push(("duration_seconds", seconds.to_string()));
        }
        self.record("sts GetSessionToken", &params, &result, |token| {
            format!(
                "access_key_id={} expiration={}",
                redact_field("access_key_id", &token.access_key_id),
                arg(&token.expiration)
            )
        });
        result
    }

    fn assume_role(
        &self,
        request: &crate::providers::AssumeRoleRequest<'_>,
    ) -> Result<crate::providers::AssumedRole, AwsError> {
        let result = self.sts.assume_role(request);
        let mut params = vec![
            ("role_arn", arg(request.role_arn)),
            ("session_name", arg(request.session_name)),
        ];
        if let Some((serial, _)) = request.mfa {
            params.push(("serial_number", arg(serial)));
            params.push(("code", SECRET.into()));
        }
        if let Some(seconds) = request.duration_seconds {
            params.push(("duration_seconds", seconds.to_string()));
        }
        self.record("sts AssumeRole", &params, &result, |role| {
            format!(
                "arn={} access_key_id={} expiration={}",
                arg(&role.arn),
                redact_field("access_key_id", &role.credentials.access_key_id),
                arg(&role.credentials.expiration)
            )
        });
        result
    }
}

/// Security keys, recorded: each operation and its non-secret result (never a
/// credential id, public key or signature: they change every run).
pub struct RecordingKeys<'a> {
    pub keys: &'a dyn SecurityKeys,
    pub recorder: &'a Recorder,
}

impl RecordingKeys<'_> {
    fn record<T>(
        &self,
        operation: &str,
        key: Option<&KeyDescriptor>,
        params: &[(&str, String)],
        result: &Result<T, KeyError>,
        ok: impl FnOnce(&T) -> String,
    ) {
        let outcome = match result {
            Ok(value) => ok(value),
            Err(error) => format!("error: {error}"),
        };
        let key = key
            .map(|k| format!(" {}", arg(&k.path)))
            .unwrap_or_default();
        self.recorder
            .note(format!("key {operation}{key}{} → {outcome}", args(params)));
    }
}

fn pin(pin: Option<&Secret>) -> String {
    if pin.is_some() { SECRET } else { "none" }.to_string()
}

impl SecurityKeys for RecordingKeys<'_> {
    fn list(&self) -> Result<Vec<KeyDescriptor>, KeyError> {
        let result = self.keys.list();
        self.record("list", None, &[], &result, |keys| {
            let mut text = count_of(keys.len(), "key");
            for (n, key) in keys.iter().enumerate() {
                let _ = write!(
                    text,
                    "{} {} ({})",
                    if n == 0 { ":" } else { "," },
                    key.path,
                    key.product
                );
            }
            text
        });
        result
    }

    fn info(&self, key: &KeyDescriptor) -> Result<KeyInfo, KeyError> {
        let result = self.keys.info(key);
        self.record("info", Some(key), &[], &result, |info| {
            format!(
                "aaguid={} versions={} pin_set={} pin_retries={}",
                info.aaguid,
                info.versions.join(","),
                info.pin_set,
                info.pin_retries
                    .map_or_else(|| "none".to_string(), |n| n.to_string())
            )
        });
        result
    }

    fn wink(&self, key: &KeyDescriptor) -> Result<(), KeyError> {
        let result = self.keys.wink(key);
        self.record("wink", Some(key), &[], &result, |()| "ok".into());
        result
    }

    fn make_credential(
        &self,
        key: &KeyDescriptor,
        rp_id: &str,
        client_data_hash: &[u8; 32],
        pin_value: Option<&Secret>,
    ) -> Result<Credential, KeyError> {
        let result = self
            .keys
            .make_credential(key, rp_id, client_data_hash, pin_value);
        let params = [("rp_id", arg(rp_id)), ("pin", pin(pin_value))];
        self.record("make-credential", Some(key), &params, &result, |c| {
            format!("credential algorithm={}", c.algorithm)
        });
        result
    }

    fn get_assertion(
        &self,
        key: &KeyDescriptor,
        rp_id: &str,
        client_data_hash: &[u8; 32],
        credential_id: &[u8],
        pin_value: Option<&Secret>,
    ) -> Result<Assertion, KeyError> {
        let result =
            self.keys
                .get_assertion(key, rp_id, client_data_hash, credential_id, pin_value);
        let params = [("rp_id", arg(rp_id)), ("pin", pin(pin_value))];
        self.record("get-assertion", Some(key), &params, &result, |_| {
            "assertion".into()
        });
        result
    }
}

/// Values that differ on every run whatever their form, by the name they go by.
fn redact_field(name: &str, value: &str) -> String {
    if value.is_empty() {
        return value.to_string();
    }
    match name {
        "user_id" => "<user-id>".to_string(),
        "access_key_id" => "<access-key-id>".to_string(),
        _ => value.to_string(),
    }
}

fn redact_json(name: &str, value: &Json) -> Json {
    match value {
        Json::String(text) => Json::String(redact_field(name, text)),
        Json::Array(items) => Json::Array(items.iter().map(|v| redact_json(name, v)).collect()),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redact_json(k, v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // RFC 3339 timestamps (enable dates, expirations).
        (
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?",
            "<time>",
        ),
        // Access key ids (long-term and temporary).
        (r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b", "<access-key-id>"),
        // IAM unique ids of users and roles.
        (r"\b(?:AIDA|AROA)[A-Z0-9]{12,}\b", "<user-id>"),
        // The suffix AWS appends to a security key's name.
        (r"(:u2f/\S+?)-[A-Z0-9]{16,}\b", "$1-<suffix>"),
        // Account ids.
        (r"\b\d{12}\b", "<account>"),
        // Local ports (the emulator's).
        (r"\b(127\.0\.0\.1|localhost):\d+\b", "$1:<port>"),
        // Measured durations.
        (r"\b\d+\.\d+ ?(?:ms|s)\b", "<duration>"),
    ]
    .into_iter()
    .map(|(pattern, replacement)| (Regex::new(pattern).expect("valid pattern"), replacement))
    .collect()
});

/// Replace what differs between runs, machines and days with stable placeholders:
/// timestamps `<time>`, account ids `<account>`, access key ids, user ids, security-key
/// name suffixes, local ports, measured durations, and `paths` (temporary directories)
/// with `<tmp>`.
pub fn normalise(text: &str, paths: &[&Path]) -> String {
    let mut text = text.to_string();
    for path in paths {
        let path = path.display().to_string();
        if !path.is_empty() {
            text = text.replace(&path, "<tmp>");
        }
    }
    for (regex, replacement) in RULES.iter() {
        text = regex.replace_all(&text, *replacement).into_owned();
    }
    text
}

/// Consecutive identical records (polling) become one line with `(×N)`.
fn collapse(lines: &[String]) -> Vec<String> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for line in lines {
        match out.last_mut() {
            Some((last, n)) if last == line => *n += 1,
            _ => out.push((line.clone(), 1)),
        }
    }
    out.into_iter()
        .map(|(line, n)| {
            if n > 1 {
                format!("{line} (×{n})")
            } else {
                line
            }
        })
        .collect()
}

/// Everything a transcript is made from.
pub struct Run<'a> {
    pub runbook: &'a Runbook,
    /// The guide's file name (no directory: the transcript is the same wherever it is).
    pub file_name: &'a str,
    /// The scenario's name, for an answers file with `[[scenario]]` tables.
    pub scenario: Option<&'a str>,
    pub answers: &'a Answers,
    /// Lines describing what the answers file's `[setup]` did.
    pub setup: &'a [String],
    /// The run's JSON events.
    pub events: &'a [Json],
    pub recorder: &'a Recorder,
    /// The journal after the run.
    pub journal: &'a Journal,
    /// The fixed clock at the end of the run.
    pub clock_end: u64,
    /// Paths to write as `<tmp>`.
    pub temporary: &'a [&'a Path],
}

/// How the run ended, from its events: `ok`, `failed`, …
pub fn status(events: &[Json]) -> String {
    events
        .iter()
        .rev()
        .find(|e| e["event"] == "run_finished")
        .and_then(|e| e["status"].as_str())
        .unwrap_or("unfinished")
        .to_string()
}

/// The normalised transcript.
pub fn render(run: &Run<'_>) -> String {
    let mut writer = Writer::new(run);
    writer.write();
    let text = normalise(&writer.out, run.temporary);
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut out = String::new();
    let mut group: Vec<String> = Vec::new();
    let collapsible = |line: &str| {
        ["    aws ", "    key ", "    ask ", "  aws ", "  key "]
            .iter()
            .any(|prefix| line.starts_with(prefix))
    };
    for line in lines {
        if collapsible(&line) {
            group.push(line);
            continue;
        }
        for line in collapse(&std::mem::take(&mut group)) {
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str(&line);
        out.push('\n');
    }
    for line in collapse(&group) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

struct Writer<'r> {
    run: &'r Run<'r>,
    out: String,
    scope: Scope,
    records: Vec<Vec<String>>,
    /// The records of each loop item, by (item, n).
    looped: LoopRecords,
    items: Vec<String>,
    part: Option<String>,
    /// The step being written, and whether any of its actions was.
    step: Option<(String, bool)>,
    deleted: Vec<String>,
    /// The `item …` line of the loop item whose action event comes next.
    pending_item: Option<String>,
}

impl<'r> Writer<'r> {
    fn new(run: &'r Run<'r>) -> Writer<'r> {
        Writer {
            run,
            out: String::new(),
            scope: Scope::default(),
            records: run.recorder.by_item().0,
            looped: run.recorder.by_item().1,
            items: journal_items(run.runbook),
            part: None,
            step: None,
            deleted: Vec::new(),
            pending_item: None,
        }
    }

    fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn write(&mut self) {
        let run = self.run;
        let answers = run.answers;
        self.line(0, HEADER);
        self.line(0, &format!("guide: {}", run.file_name));
        if let Some(name) = run.scenario {
            self.line(0, &format!("scenario: {name}"));
        }
        self.line(0, &format!("title: {}", run.runbook.title));
        let mode = match (answers.sandbox, answers.yes) {
            (true, true) => "sandbox stand-ins, unattended (--yes)",
            (true, false) => "sandbox stand-ins, scripted answers",
            (false, true) => "no stand-ins, unattended (--yes)",
            (false, false) => "no stand-ins, scripted answers",
        };
        self.line(0, &format!("mode: {mode}"));
        self.line(
            0,
            &format!(
                "as: IAM user {} on the local AWS emulator; security key: {}; clock: fixed at {}",
                answers.user,
                if answers.security_key {
                    "software key"
                } else {
                    "none"
                },
                answers.clock
            ),
        );
        for (name, value) in &answers.vars {
            self.line(0, &format!("var {name} = {}", quote(value)));
        }
        for line in run.setup {
            self.line(0, &format!("setup: {line}"));
        }
        let failed_item = self.failed_item();
        let cleanup = self.split_cleanup(failed_item);
        for event in run.events {
            match event["event"].as_str().unwrap_or_default() {
                "step_started" => self.step_started(event),
                "step_skipped" => self.step_skipped(event),
                "action" => self.action(event),
                "loop_item" => self.loop_item(event),
                "step_finished" => self.step_finished(),
                "error" => self.error(event, failed_item),
                "cleanup" => {
                    if let Some(serial) = event["deleted"].as_str() {
                        self.deleted.push(serial.to_string());
                    }
                }
                "run_finished" if !cleanup.is_empty() || !self.deleted.is_empty() => {
                    self.out.push('\n');
                    self.line(
                        0,
                        "cleanup: the run failed after creating a device it never enabled",
                    );
                    for record in &cleanup {
                        self.line(1, record);
                    }
                    for serial in std::mem::take(&mut self.deleted) {
                        self.line(1, &format!("deleted {serial}"));
                    }
                }
                _ => {}
            }
        }
        let status = status(run.events);
        self.out.push('\n');
        self.line(
            0,
            &format!("result: {status} (expected: {})", answers.expect.as_str()),
        );
        self.line(
            0,
            &format!(
                "counts: {}, {}, {}",
                count_of(run.recorder.count("aws "), "AWS call"),
                count_of(run.recorder.count("key "), "security-key operation"),
                count_of(run.recorder.count("ask "), "question"),
            ),
        );
        self.line(
            0,
            &format!(
                "clock: {} s passed on the fixed clock",
                run.clock_end.saturating_sub(answers.clock)
            ),
        );
    }

    /// The item that failed: the first one the journal does not list, if the run failed.
    fn failed_item(&self) -> Option<usize> {
        if status(self.run.events) != "failed" {
            return None;
        }
        let finished: BTreeSet<&str> = self
            .run
            .journal
            .actions
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        self.items
            .iter()
            .position(|id| !finished.contains(id.as_str()))
    }

    /// After a failure, the run deletes the devices it created but never enabled: one
    /// listing of unassigned devices, then deletions. Those are the last records, and
    /// the listing is the last one of the run.
    fn split_cleanup(&mut self, failed: Option<usize>) -> Vec<String> {
        let Some(failed) = failed else {
            return Vec::new();
        };
        let deleted = self
            .run
            .events
            .iter()
            .filter(|e| e["event"] == "cleanup")
            .count();
        if self.run.journal.created.is_empty() && deleted == 0 {
            return Vec::new();
        }
        let records = &mut self.records[failed];
        match records
            .iter()
            .rposition(|line| line.starts_with("aws iam ListVirtualMFADevices"))
        {
            Some(start) => records.split_off(start),
            None => Vec::new(),
        }
    }

    fn step_started(&mut self, event: &Json) {
        self.enter_part(event["part"].as_str().map(str::to_string));
        let id = event["step"].as_str().unwrap_or_default().to_string();
        let title = event["title"].as_str().unwrap_or_default();
        self.out.push('\n');
        self.line(0, &format!("step {id}: {title}"));
        self.step = Some((id, false));
    }

    /// A new part's heading, when the step begins one.
    fn enter_part(&mut self, part: Option<String>) {
        if part.is_some() && part != self.part {
            self.out.push('\n');
            self.line(0, &format!("part: {}", part.as_deref().unwrap_or_default()));
        }
        self.part = part;
    }

    fn find_step(&self, id: &str) -> Option<&'r Step> {
        self.run.runbook.steps.iter().find(|step| step.id == id)
    }

    /// A step that did not run (its `when` is false): one line with the reason, as the
    /// condition and its value when it is one.
    fn step_skipped(&mut self, event: &Json) {
        let id = event["step"].as_str().unwrap_or_default();
        let reason = event["reason"].as_str().unwrap_or_default();
        let Some(step) = self.find_step(id) else {
            return;
        };
        self.enter_part(step.part.clone());
        let why = match reason.strip_prefix("step when: ") {
            Some(condition) => format!("when {condition}: false"),
            None => reason.to_string(),
        };
        self.out.push('\n');
        self.line(0, &format!("step {id}: {} — skipped ({why})", step.title));
        // As in the run: later references to its actions' outputs say why they are missing.
        for action in &step.actions {
            self.scope.set_skipped(&action.id, reason);
        }
        self.step = None;
    }

    fn step_finished(&mut self) {
        let Some((id, false)) = self.step.take() else {
            return;
        };
        if self.find_step(&id).is_some_and(|step| step.info) {
            self.line(1, "info step: read, nothing to do or confirm");
        } else if let Some(item) = self.items.iter().position(|i| i == &format!("step:{id}")) {
            self.line(1, "manual step");
            for record in std::mem::take(&mut self.records[item]) {
                self.line(2, &record);
            }
            self.line(2, "done");
        }
    }

    fn find(&self, id: &str) -> Option<&'r BoundAction> {
        self.run
            .runbook
            .actions()
            .map(|(_, action)| action)
            .find(|action| action.id == id)
    }

    fn action_header(&mut self, action: &BoundAction) {
        let changes = if action.def.mutating() {
            format!(" (changes {})", action.def.changes())
        } else {
            String::new()
        };
        self.line(
            1,
            &format!("action {}: {}{changes}", action.id, action.def.name()),
        );
    }

    fn when(&mut self, action: &BoundAction) {
        if let Some(when) = &action.when {
            let value = match self.scope.evaluate(when, None) {
                Ok(value) => value.to_string(),
                Err(error) => format!("<{error}>"),
            };
            self.line(2, &format!("when {when}: {value}"));
        }
    }

    fn params(&mut self, action: &BoundAction) {
        let secret: BTreeSet<String> = action
            .def
            .params()
            .into_iter()
            .filter(|p| p.secret)
            .map(|p| p.name)
            .collect();
        let Some(params) = action.params().as_object() else {
            return;
        };
        for (name, value) in params {
            let shown = if secret.contains(name) {
                match value {
                    Json::String(text) => format!("<secret {text}>"),
                    _ => SECRET.to_string(),
                }
            } else {
                self.resolve(value)
            };
            self.line(2, &format!("param {name} = {shown}"));
        }
    }

    /// A parameter as the action saw it: templates rendered with the outputs so far.
    fn resolve(&self, value: &Json) -> String {
        fn render(scope: &Scope, value: &Json) -> Result<Json, String> {
            Ok(match value {
                Json::String(text) => Json::String(scope.render(text).map_err(|e| e.to_string())?),
                Json::Array(items) => Json::Array(
                    items
                        .iter()
                        .map(|item| render(scope, item))
                        .collect::<Result<_, _>>()?,
                ),
                Json::Object(map) => Json::Object(
                    map.iter()
                        .map(|(k, v)| Ok((k.clone(), render(scope, v)?)))
                        .collect::<Result<_, String>>()?,
                ),
                other => other.clone(),
            })
        }
        match render(&self.scope, value) {
            Ok(value) => value.to_string(),
            Err(error) => format!("<unresolved: {error}>"),
        }
    }

    fn records(&mut self, item: Option<usize>) {
        if let Some(item) = item {
            for record in std::mem::take(&mut self.records[item]) {
                self.line(2, &record);
            }
        }
    }

    fn item(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|item| item == id)
    }

    /// The action's outputs as the scope will hold them: plain values from the event,
    /// secrets (never seen here) as a stand-in, unavailable values with their reason.
    fn outputs(&self, action: &BoundAction, plain: &serde_json::Map<String, Json>) -> Outputs {
        let mut outputs: Outputs = plain
            .iter()
            .map(|(name, value)| (name.clone(), Value::Plain(value.clone())))
            .collect();
        let hidden = self
            .run
            .journal
            .entry(&action.id)
            .map(|entry| entry.secrets.clone())
            .unwrap_or_default();
        for name in hidden {
            let secret = action.def.output(&name).is_some_and(|o| o.secret);
            outputs.insert(
                name,
                if secret {
                    Value::Secret(Secret::new(""))
                } else {
                    Value::Unavailable("not available in this run".into())
                },
            );
        }
        outputs
    }

    /// Before each item of a `for_each`: the item, in the scope and in the transcript;
    /// the loop's collected outputs (from the journal) for the actions after it.
    fn loop_item(&mut self, event: &Json) {
        let id = event["id"].as_str().unwrap_or_default();
        let base = id.split('[').next().unwrap_or_default();
        let name = event["as"].as_str().unwrap_or("item");
        self.scope.set_item(name, &event["item"]);
        if let Some(entry) = self.run.journal.entry(base) {
            self.scope.set_outputs(
                base,
                entry
                    .outputs
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::Plain(v.clone())))
                    .collect(),
            );
        }
        self.pending_item = Some(format!(
            "item {name} = {}",
            redact_json(name, &event["item"])
        ));
    }

    fn action(&mut self, event: &Json) {
        let id = event["id"].as_str().unwrap_or_default();
        // An item of a `for_each` (`id[n]`): the loop's action, its records of item n.
        let (base, loop_item) = match id.split_once('[') {
            Some((base, rest)) => (base, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (id, None),
        };
        let Some(action) = self.find(base) else {
            return;
        };
        if let Some((_, written)) = &mut self.step {
            *written = true;
        }
        let item = self.item(base);
        if let (Some(item), Some(n)) = (item, loop_item) {
            let lines = self.looped.remove(&(item, n)).unwrap_or_default();
            let at = self.records.len();
            // Written through the usual path: a scratch slot holds this item's records.
            self.records.push(lines);
            self.action_as(event, action, id, Some(at));
            self.records.pop();
            return;
        }
        self.action_as(event, action, id, item);
    }

    fn action_as(&mut self, event: &Json, action: &'r BoundAction, id: &str, item: Option<usize>) {
        let status = event["status"].as_str().unwrap_or_default();
        if id == action.id {
            self.action_header(action);
        } else {
            let changes = if action.def.mutating() {
                format!(" (changes {})", action.def.changes())
            } else {
                String::new()
            };
            self.line(1, &format!("action {id}: {}{changes}", action.def.name()));
        }
        if let Some(line) = self.pending_item.take() {
            self.line(2, &line);
        }
        if status == "skipped" {
            let note = event["note"].as_str().unwrap_or_default();
            match &action.when {
                Some(when) if note == format!("when: {when}") => {
                    self.line(2, &format!("when {when}: false"));
                    self.records(item);
                    self.line(2, "skipped");
                }
                _ => {
                    self.records(item);
                    self.line(2, &format!("skipped: {note}"));
                }
            }
            self.scope.set_skipped(&action.id, note);
            return;
        }
        self.when(action);
        self.params(action);
        self.records(item);
        let empty = serde_json::Map::new();
        let plain = event["outputs"].as_object().unwrap_or(&empty);
        let outputs = self.outputs(action, plain);
        for (name, value) in &outputs {
            let shown = match value {
                Value::Plain(value) => redact_json(name, value).to_string(),
                Value::Secret(_) => SECRET.to_string(),
                Value::Unavailable(_) => "<unavailable>".to_string(),
            };
            self.line(2, &format!("output {name} = {shown}"));
        }
        for expression in &action.expect {
            let outcome = match self.scope.evaluate(expression, Some(&outputs)) {
                Ok(true) => "ok".to_string(),
                Ok(false) => "false".to_string(),
                Err(error) => format!("<{error}>"),
            };
            self.line(2, &format!("expect {expression}: {outcome}"));
        }
        for check in &action.findings {
            let outcome = match self.scope.evaluate(&check.check, Some(&outputs)) {
                Ok(true) => "ok".to_string(),
                Ok(false) => format!(
                    "FINDING: {} ({})",
                    self.scope
                        .render(&check.finding)
                        .unwrap_or_else(|error| format!("<{error}>")),
                    self.scope.explain(&check.check, Some(&outputs))
                ),
                Err(error) => format!("<{error}>"),
            };
            self.line(2, &format!("check {}: {outcome}", check.check));
        }
        let status = match (status, event["changed"].as_bool()) {
            ("done", Some(true)) => format!("done, changed {}", action.def.changes()),
            ("already-done", _) => "already done: nothing to change".to_string(),
            (status, _) => status.to_string(),
        };
        self.line(2, &status);
        match action.def.exports() {
            Exports::Value => {
                let value = outputs
                    .get("value")
                    .cloned()
                    .unwrap_or(Value::Unavailable("no value".into()));
                self.scope.set_value(&action.id, value);
            }
            Exports::Fields => self.scope.set_outputs(&action.id, outputs),
        }
    }

    fn error(&mut self, event: &Json, failed: Option<usize>) {
        let message = event["message"].as_str().unwrap_or_default();
        let next = event["next_step"].as_str();
        let failed_id = failed.map(|item| self.items[item].clone());
        match failed_id.as_deref() {
            Some(id) if id.starts_with("step:") => {
                self.line(1, "manual step");
                self.records(failed);
            }
            Some(id) => match self.find(id) {
                Some(action) => {
                    if let Some((_, written)) = &mut self.step {
                        *written = true;
                    }
                    // A `for_each` fails in an item: the first whose records are left.
                    let looped = failed
                        .and_then(|item| self.looped.keys().find(|(i, _)| *i == item).copied());
                    match looped {
                        Some((item, n)) => {
                            let changes = if action.def.mutating() {
                                " (changes AWS)"
                            } else {
                                ""
                            };
                            let name = action.def.name();
                            self.line(1, &format!("action {}[{n}]: {name}{changes}", action.id));
                            if let Some(line) = self.pending_item.take() {
                                self.line(2, &line);
                            }
                            self.when(action);
                            self.params(action);
                            let lines = self.looped.remove(&(item, n)).unwrap_or_default();
                            let at = self.records.len();
                            self.records.push(lines);
                            self.records(Some(at));
                            self.records.pop();
                        }
                        None => {
                            self.action_header(action);
                            self.when(action);
                            self.params(action);
                            self.records(failed);
                        }
                    }
                    // "expectation(s) failed: `a` (x = 1); `b` (…)": every expectation is
                    // checked, so each is ok or false.
                    let failing: Option<Vec<&str>> = message
                        .strip_prefix("expectation failed: ")
                        .or_else(|| message.strip_prefix("expectations failed: "))
                        .map(|rest| rest.split('`').skip(1).step_by(2).collect());
                    if let Some(failing) = failing {
                        for expression in &action.expect {
                            let outcome = if failing.contains(&expression.as_str()) {
                                "false"
                            } else {
                                "ok"
                            };
                            self.line(2, &format!("expect {expression}: {outcome}"));
                        }
                    }
                }
                None => self.line(1, &format!("action {id}")),
            },
            None => {}
        }
        let indent = if failed.is_some() { 2 } else { 0 };
        self.line(indent, &format!("FAILED: {message}"));
        if let Some(next) = next {
            self.line(indent, &format!("next: {next}"));
        }
        // The step never finishes; its manual part (if any) was written above.
        self.step = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nondeterministic_values_become_placeholders() {
        let text = "arn:aws:iam::123456789012:mfa/alice-DuoMobile enabled 2026-11-27T21:17:28.679842Z \
                    at 2024-01-01T00:00:00+00:00 key ASIAQWERTYUIOPASDFGH user AIDAQWERTYUIOPASDFGH \
                    arn:aws:iam::123456789012:u2f/user/alice/yubikey-ABCDEFGHIJKLMNOPQRSTUVWXYZ \
                    http://127.0.0.1:40123 took 1.25 s in /tmp/xyz/journal.json";
        let normalised = normalise(text, &[Path::new("/tmp/xyz")]);
        assert_eq!(
            normalised,
            "arn:aws:iam::<account>:mfa/alice-DuoMobile enabled <time> \
             at <time> key <access-key-id> user <user-id> \
             arn:aws:iam::<account>:u2f/user/alice/yubikey-<suffix> \
             http://127.0.0.1:<port> took <duration> in <tmp>/journal.json"
        );
    }

    #[test]
    fn deterministic_values_are_kept() {
        let text = "sandbox-key-1 within 600 s; clock 1704067200; code1=<secret>";
        assert_eq!(normalise(text, &[]), text);
    }

    #[test]
    fn polling_collapses_into_one_line() {
        let lines: Vec<String> = ["a", "b", "b", "b", "a"].map(String::from).to_vec();
        assert_eq!(collapse(&lines), ["a", "b (×3)", "a"]);
    }

    #[test]
    fn fields_known_to_vary_are_redacted_by_name() {
        let value = serde_json::json!({"user_id": "rlaxlvb00qouq98gsq94", "arn": "x", "list": [{"access_key_id": "k"}]});
        assert_eq!(
            redact_json("outputs", &value),
            serde_json::json!({"user_id": "<user-id>", "arn": "x", "list": [{"access_key_id": "<access-key-id>"}]})
        );
    }

    #[test]
    fn arguments_are_quoted_only_when_needed() {
        assert_eq!(arg("alice"), "alice");
        assert_eq!(arg("two words"), "\"two words\"");
        assert_eq!(arg(""), "\"\"");
    }
}
