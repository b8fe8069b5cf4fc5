//! A scenario's `[setup]`: the state the emulator is put in before the run — other IAM
//! users (with access keys and MFA devices of their own), a console password, unassigned
//! devices, an enabled virtual MFA device whose seed the stand-in phone knows, registered
//! security keys, groups and managed policies. Each thing done becomes a
//! `setup:` line of the transcript (never a seed, code or password).

use crate::bind::runbook::Runbook;
use crate::providers::sandbox::{self, Emulator};
use crate::providers::stand_in::EmulatorAws;
use crate::providers::{Iam, Sts};
use crate::secret::Secret;
use crate::testing::answers::{Answers, Phone};
use crate::totp::{self, STEP_SECONDS};

/// Put the emulator in the state `answers.setup` describes, acting as the run's user
/// through `aws` (or as the emulator's administrator for users and passwords). Returns
/// the transcript's `setup:` lines.
pub fn prepare(
    emulator: &Emulator,
    aws: &EmulatorAws<'_>,
    answers: &Answers,
    answers_label: &str,
    phone: &Phone,
    runbook: &Runbook,
) -> Result<Vec<String>, String> {
    let setup = &answers.setup;
    let user = answers.user.as_str();
    let mut lines = Vec::new();
    let failed = |what: String, error: &dyn std::fmt::Display| {
        format!("{answers_label}: [setup] could not {what}: {error}")
    };
    if setup.console_password {
        sandbox::give_console_password(emulator, user)
            .map_err(|error| failed(format!("give `{user}` a console password"), &error))?;
        lines.push(format!("gave the IAM user {user} a console password"));
    }
    for other in &setup.users {
        sandbox::create_other_user(emulator, &other.name, other.console_password)
            .map_err(|error| failed(format!("create the IAM user `{}`", other.name), &error))?;
        lines.push(format!(
            "created the IAM user {}{}",
            other.name,
            if other.console_password {
                " with a console password"
            } else {
                ""
            }
        ));
        for status in &other.access_keys {
            sandbox::give_access_key(emulator, &other.name, *status)
                .map_err(|error| failed(format!("give `{}` an access key", other.name), &error))?;
            lines.push(format!(
                "gave {} an access key ({})",
                other.name,
                status.as_str()
            ));
        }
        for device in &other.virtual_devices {
            let serial = enable_virtual_device(aws, &other.name, device, answers.clock)
                .map_err(|error| failed(format!("enable the device `{device}`"), &error))?;
            lines.push(format!(
                "enabled the virtual MFA device {serial} on {}",
                other.name
            ));
        }
        for key in &other.security_keys {
            let serial = register_security_key(aws, &other.name, key)
                .map_err(|error| failed(format!("register the security key `{key}`"), &error))?;
            lines.push(format!(
                "registered the security key {serial} on {}",
                other.name
            ));
        }
    }
    for name in &setup.unassigned_devices {
        let device = aws
            .create_virtual_mfa_device(name, None)
            .map_err(|error| failed(format!("create the device `{name}`"), &error))?;
        lines.push(format!(
            "created the unassigned virtual MFA device {}",
            device.serial_number
        ));
    }
    for name in &setup.virtual_devices {
        let device = aws
            .create_virtual_mfa_device(name, None)
            .map_err(|error| failed(format!("create the device `{name}`"), &error))?;
        phone.scan(&device.seed);
        let seed = totp::parse_seed(device.seed.expose())
            .map_err(|error| failed(format!("read the seed of `{name}`"), &error))?;
        // Two consecutive codes from before the run's clock, so the run's own codes are new.
        let now = answers.clock;
        let (code1, code2) = (
            seed.code_at(now.saturating_sub(2 * STEP_SECONDS)),
            seed.code_at(now.saturating_sub(STEP_SECONDS)),
        );
        aws.enable_mfa_device(user, &device.serial_number, &code1, &code2)
            .map_err(|error| failed(format!("enable the device `{name}`"), &error))?;
        lines.push(format!(
            "enabled the virtual MFA device {} on {user} (the stand-in phone has its seed)",
            device.serial_number
        ));
    }
    if setup.phone_clock_offset != 0 {
        phone.set_clock_offset(setup.phone_clock_offset);
        let offset = setup.phone_clock_offset;
        lines.push(format!(
            "the stand-in phone's clock runs {} s {} of the test's clock",
            offset.unsigned_abs(),
            if offset > 0 { "ahead" } else { "behind" }
        ));
    }
    if !setup.security_keys.is_empty() {
        let account = aws
            .get_caller_identity()
            .map_err(|error| failed("find the account".to_string(), &error))?
            .account;
        for name in &setup.security_keys {
            // Real IAM registers a security key only through the console (WebAuthn); the
            // emulator takes a `u2f` serial through EnableMFADevice, with codes it ignores.
            let serial = format!("arn:aws:iam::{account}:u2f/user/{user}/{name}");
            let unused = Secret::new("000000");
            aws.enable_mfa_device(user, &serial, &unused, &unused)
                .map_err(|error| failed(format!("register the security key `{name}`"), &error))?;
            lines.push(format!("registered the security key {serial} on {user}"));
        }
    }
    prepare_policies(aws, answers, runbook, &failed, &mut lines)?;
    Ok(lines)
}

// Users and credentials (audit)

/// Create the virtual MFA device `name` and enable it on `user` with two codes from
/// before `clock`; the seed is dropped here. Returns its serial.
fn enable_virtual_device(
    aws: &EmulatorAws<'_>,
    user: &str,
    name: &str,
    clock: u64,
) -> Result<String, String> {
    let device = aws
        .create_virtual_mfa_device(name, None)
        .map_err(|error| error.to_string())?;
    let seed = totp::parse_seed(device.seed.expose()).map_err(|error| error.to_string())?;
    let (code1, code2) = (
        seed.code_at(clock.saturating_sub(2 * STEP_SECONDS)),
        seed.code_at(clock.saturating_sub(STEP_SECONDS)),
    );
    aws.enable_mfa_device(user, &device.serial_number, &code1, &code2)
        .map_err(|error| error.to_string())?;
    Ok(device.serial_number)
}

/// Register the security key `name` on `user` the way the emulator takes one (a `u2f`
/// serial through EnableMFADevice, codes ignored). Returns its serial.
fn register_security_key(aws: &EmulatorAws<'_>, user: &str, name: &str) -> Result<String, String> {
    let account = aws
        .get_caller_identity()
        .map_err(|error| error.to_string())?
        .account;
    let serial = format!("arn:aws:iam::{account}:u2f/user/{user}/{name}");
    let unused = Secret::new("000000");
    aws.enable_mfa_device(user, &serial, &unused, &unused)
        .map_err(|error| error.to_string())?;
    Ok(serial)
}

// Managed policies (require MFA)
/// `groups` and `policies` (created and attached as the run's user: the emulator does not
/// enforce IAM policies).
fn prepare_policies(
    aws: &EmulatorAws<'_>,
    answers: &Answers,
    runbook: &Runbook,
    failed: &dyn Fn(String, &dyn std::fmt::Display) -> String,
    lines: &mut Vec<String>,
) -> Result<(), String> {
    let setup = &answers.setup;
    let user = answers.user.as_str();
    for group in &setup.groups {
        aws.emulator()
            .run(
                aws.emulator()
                    .iam_client()
                    .create_group()
                    .group_name(group)
                    .send(),
            )
            .map_err(|error| {
                let error = crate::providers::AwsError::from_sdk("CreateGroup", &error);
                failed(format!("create the group `{group}`"), &error)
            })?;
        lines.push(format!("created the IAM group {group}"));
    }
    for policy in &setup.policies {
        let (document, from) = match (&policy.document, &policy.json) {
            (Some(id), None) => {
                let text = runbook
                    .actions()
                    .flat_map(|(_, action)| action.documents.iter())
                    .find(|(block, _)| block == id)
                    .map(|(_, text)| text.clone())
                    .ok_or_else(|| {
                        format!(
                            "[setup] policy `{}`: no action of the guide sends a document block `id={id}`",
                            policy.name
                        )
                    })?;
                (text, format!("the guide's `{id}` document"))
            }
            (None, Some(json)) => (json.clone(), "a document of its own".to_string()),
            _ => {
                return Err(format!(
                    "[setup] policy `{}`: give exactly one of `document` (a block id of the guide) and `json`",
                    policy.name
                ));
            }
        };
        let created = aws
            .create_policy(&policy.name, None, &document, None)
            .map_err(|error| failed(format!("create the policy `{}`", policy.name), &error))?;
        lines.push(format!("created the policy {} from {from}", created.arn));
        if policy.attached_to_user {
            aws.attach_user_policy(user, &created.arn)
                .map_err(|error| failed(format!("attach `{}` to {user}", policy.name), &error))?;
            lines.push(format!("attached {} to the user {user}", created.arn));
        }
        for group in &policy.attached_to_groups {
            aws.attach_group_policy(group, &created.arn)
                .map_err(|error| failed(format!("attach `{}` to {group}", policy.name), &error))?;
            lines.push(format!("attached {} to the group {group}", created.arn));
        }
    }
    Ok(())
}
