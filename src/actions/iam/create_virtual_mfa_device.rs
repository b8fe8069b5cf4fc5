//! `iam.create-virtual-mfa-device`: creates the virtual device and receives its seed.

use schemars::JsonSchema;
use serde::Deserialize;

use super::check_name;
use crate::bind::action::{Action, AwsCli, Output, OutputType, Problem};
use crate::providers::Assignment;
use crate::run::context::{Context, Outcome, RunError};
use crate::run::handover::{self, SeedFile, Taker};
use crate::totp;

pub struct CreateVirtualMfaDevice;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The device name: 1–64 letters, digits or `+=,.@_-`. It becomes the end of the serial ARN.
    pub name: String,
    /// The IAM path for the device (default `/`).
    pub path: Option<String>,
    /// The IAM user the device is for. An unassigned device of the same name that this
    /// user's earlier run left behind is offered for deletion and re-created.
    pub user: Option<String>,
}

impl Action for CreateVirtualMfaDevice {
    type Params = Params;
    const NAME: &'static str = "iam.create-virtual-mfa-device";
    const SUMMARY: &'static str =
        "Creates a virtual MFA device and receives its secret seed (returned only once).";
    const MUTATING: bool = true;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "serial_number",
            OutputType::String,
            "The device's ARN, `arn:aws:iam::<account>:mfa/<path><name>`.",
        ),
        Output::secret(
            "seed",
            "The base32 TOTP seed: shown only as a QR code and manual-entry key, never stored.",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("iam", "create-virtual-mfa-device")
                .arg("--virtual-mfa-device-name", &params.name)
                .opt("--path", params.path.as_ref())
                .arg("--outfile", "qr-code.png")
                .arg("--bootstrap-method", "QRCodePNG"),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        let mut problems: Vec<Problem> = check_name("name", &params.name).into_iter().collect();
        if let Some(path) = &params.path
            && !crate::parse::template::is_template(path)
            && !(path.starts_with('/') && path.ends_with('/'))
        {
            problems.push(Problem::new(
                "path",
                format!("`{path}` must start and end with `/`"),
            ));
        }
        problems
    }

    /// Idempotent: a device of this name already assigned to the user means there is
    /// nothing to do; an unassigned one (an orphan of an interrupted setup) is deleted,
    /// after confirmation, and created anew; AWS's limit of 8 devices is checked first.
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let name = ctx.text(&params.name)?;
        if let Some(problem) = check_name("name", &name) {
            return Err(RunError::failed(
                problem.message,
                "choose another name, e.g. --var device_name=DuoMobile",
            ));
        }
        let path = ctx
            .opt_text(params.path.as_ref())?
            .unwrap_or_else(|| "/".to_string());
        let user = ctx.opt_text(params.user.as_ref())?;
        let suffix = super::serial_suffix(&path, &name);
        if let Some(user) = &user {
            let assigned = ctx.wait("Checking the user's MFA devices…", |ctx| {
                ctx.iam().list_mfa_devices(Some(user))
            })?;
            if let Some(device) = assigned.iter().find(|d| d.serial_number.ends_with(&suffix)) {
                return Ok(Outcome::new(format!(
                    "{} is already enabled for {user} (since {}): nothing to create",
                    device.serial_number, device.enable_date
                ))
                .output("serial_number", device.serial_number.clone())
                .unavailable(
                    "seed",
                    "the device was set up earlier, and AWS shows a seed only once, when it is created",
                ));
            }
            if assigned.len() >= 8 {
                return Err(RunError::failed(
                    format!(
                        "{user} already has {} MFA devices, the most AWS allows",
                        assigned.len()
                    ),
                    "remove a device you no longer use, then run again",
                ));
            }
        }
        let unassigned = ctx.wait("Looking for an unfinished earlier setup…", |ctx| {
            ctx.iam().list_virtual_mfa_devices(Assignment::Unassigned)
        })?;
        let taken = ctx.wait("Checking the name is free…", |ctx| {
            ctx.iam().list_virtual_mfa_devices(Assignment::Assigned)
        })?;
        if let Some(device) = taken.iter().find(|d| d.serial_number.ends_with(&suffix)) {
            let owner = device.user_name.as_deref().unwrap_or("another user");
            return Err(RunError::failed(
                format!(
                    "{} is already the device of {owner}: device names are unique in an account",
                    device.serial_number
                ),
                "choose another name, e.g. --var device_name=<your-name>-DuoMobile",
            ));
        }
        // AWS shows the seed once: create the device only if someone can take it.
        let seed_file = match handover::taker(ctx) {
            Ok(Taker::File(path)) if !ctx.mode().dry_run => Some(SeedFile::open(&path)?),
            Ok(_) => None,
            Err(error) if ctx.mode().dry_run => {
                ctx.ui()
                    .warn(&format!("a real run would stop here: {error}"));
                None
            }
            Err(error) => return Err(error),
        };
        if let Some(orphan) = unassigned
            .iter()
            .find(|d| d.serial_number.ends_with(&suffix))
        {
            let serial = orphan.serial_number.clone();
            let ours = ctx.created_by_us(&serial) || ctx.was_pending(&format!("create {suffix}"));
            let origin = if ours {
                "this guide's interrupted run"
            } else {
                "an unfinished setup"
            };
            ctx.ui().warn(&format!(
                "{serial} exists but was never enabled: left by {origin}"
            ));
            if !ctx.confirm(&format!(
                "Delete the unassigned {serial} and create it anew?"
            ))? {
                return Err(RunError::failed(
                    format!("{serial} already exists, unassigned, and was kept"),
                    "delete it yourself (`aws iam delete-virtual-mfa-device`) or choose another name with --var",
                ));
            }
            ctx.pending(&format!("delete {serial}"))?;
            ctx.wait("Deleting the unassigned device…", |ctx| {
                ctx.iam().delete_virtual_mfa_device(&serial)
            })?;
            ctx.deleted_device(&serial)?;
            ctx.ui().ok(&format!("deleted the unassigned {serial}"));
        }
        ctx.confirm_change(&format!("create the virtual MFA device `{name}`"))?;
        ctx.pending(&format!("create {suffix}"))?;
        let created = ctx.wait("Creating the virtual MFA device…", |ctx| {
            ctx.iam()
                .create_virtual_mfa_device(&name, params.path.as_ref().map(|_| path.as_str()))
        })?;
        ctx.created_device(&created.serial_number)?;
        let mut note = format!("created {}", created.serial_number);
        if let Some(file) = seed_file {
            let label = handover::account_label(&created.serial_number, user.as_deref(), &name);
            let uri = totp::parse_seed(created.seed.expose())
                .and_then(|seed| seed.otpauth_uri(totp::DEFAULT_ISSUER, &label))
                .map_err(|error| {
                    RunError::failed(
                        format!("AWS returned a seed that can't be used: {error}"),
                        "run again; the device this run created is deleted again",
                    )
                })?;
            note.push_str(&format!(
                "; its enrolment key went to {}",
                file.path().display()
            ));
            file.write(&uri)?;
        }
        Ok(Outcome::new(note)
            .changed()
            .output("serial_number", created.serial_number)
            .secret("seed", created.seed))
    }
}
