//! `console.handoff`: the user acts in the AWS console; the engine waits, then verifies.

use schemars::JsonSchema;
use serde::Deserialize;

use std::collections::BTreeSet;

use crate::bind::action::{Action, Output, OutputType, Problem};
use crate::run::context::{Context, Outcome, RunError};
use crate::secret::Secret;

/// The IAM page where a user manages their own MFA devices.
pub const SECURITY_CREDENTIALS_URL: &str =
    "https://console.aws.amazon.com/iam/home#/security_credentials";

pub struct Handoff;

/// How the journal's pending record of a hand-off starts; the serials follow.
const BASELINE: &str = "baseline: ";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The console page to open (default: the IAM security credentials page).
    pub url: Option<String>,
    /// What to verify through the API once the user is done.
    pub verify: Verify,
    /// The IAM user whose devices are polled for `security-key` and `virtual-mfa` (default: the caller).
    pub user: Option<String>,
    /// How long to wait for the change to show up, in seconds (default 600).
    pub timeout_seconds: Option<u32>,
    /// Seconds between polls (default 5).
    pub poll_seconds: Option<u32>,
}

/// The change the console step makes, and so what to poll for.
#[derive(Debug, Deserialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Verify {
    /// A new security key (`arn:aws:iam::<account>:u2f/…`) on the user, via `iam list-mfa-devices`.
    SecurityKey,
    /// A new virtual device on the user, via `iam list-mfa-devices`.
    VirtualMfa,
    /// The root user has MFA (`AccountMFAEnabled`), via `iam get-account-summary`.
    AccountMfa,
}

impl Action for Handoff {
    type Params = Params;
    const NAME: &'static str = "console.handoff";
    const SUMMARY: &'static str = "Hands a step to the AWS console, waits for the user, then polls the API until the change shows.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "serial_number",
            OutputType::String,
            "The new device's serial; empty for `account-mfa`.",
        ),
        Output::new(
            "enable_date",
            OutputType::Timestamp,
            "When the new device was enabled; empty for `account-mfa`.",
        ),
    ];

    fn check(params: &Params) -> Vec<Problem> {
        let mut problems = Vec::new();
        if let (Some(timeout), Some(poll)) = (params.timeout_seconds, params.poll_seconds)
            && poll > timeout
        {
            problems.push(Problem::new(
                "poll_seconds",
                "must not exceed `timeout_seconds`",
            ));
        }
        if params.timeout_seconds == Some(0) {
            problems.push(Problem::new("timeout_seconds", "must be at least 1 second"));
        }
        problems
    }

    /// Baseline first (what exists now), then the hand-off, then polling the API until
    /// the change shows or the time is up. In the sandbox, a labelled stand-in does the
    /// console's part through the emulator.
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let user = ctx.opt_text(params.user.as_ref())?;
        let url = ctx
            .opt_text(params.url.as_ref())?
            .unwrap_or_else(|| SECURITY_CREDENTIALS_URL.to_string());
        let timeout = u64::from(params.timeout_seconds.unwrap_or(600));
        let poll = u64::from(params.poll_seconds.unwrap_or(5)).max(1);
        let what = match params.verify {
            Verify::SecurityKey => "a new security key",
            Verify::VirtualMfa => "a new virtual MFA device",
            Verify::AccountMfa => "MFA on the root user",
        };
        // The baseline outlives a crash: a resumed run compares with what existed before
        // the hand-off, so a device registered meanwhile counts (and is not made twice).
        let resumed = ctx
            .pending_detail()
            .and_then(|detail| detail.strip_prefix(BASELINE))
            .map(|serials| Snapshot {
                devices: serials
                    .split_whitespace()
                    .map(|serial| (serial.to_string(), String::new()))
                    .collect(),
                account_mfa: false,
            });
        let was_resumed = resumed.is_some();
        let before = match resumed {
            Some(before) => before,
            None => snapshot(ctx, params.verify, user.as_deref())?,
        };
        if params.verify == Verify::AccountMfa && before.account_mfa {
            return Ok(Outcome::new(
                "the root user already has MFA: nothing to do in the console",
            ));
        }
        if ctx.mode().dry_run {
            return Err(RunError::DryRun {
                what: format!("hand off to the AWS console ({url}) and wait for {what}"),
            });
        }
        let serials: Vec<&str> = before.devices.iter().map(|(s, _)| s.as_str()).collect();
        ctx.pending(&format!("{BASELINE}{}", serials.join(" ")))?;
        let done_meanwhile = was_resumed && {
            let now = snapshot(ctx, params.verify, user.as_deref())?;
            now.account_mfa || new_device(&before, &now, params.verify).is_some()
        };
        if done_meanwhile {
            ctx.ui()
                .ok("the console step was done before this run resumed: not handing off again");
        } else if ctx.mode().sandbox {
            stand_in(ctx, params.verify, user.as_deref())?;
            crate::run::context::fault(&format!("called:{}", ctx.action().id));
        } else if ctx.unattended() {
            return Err(RunError::failed(
                format!("this step is done in the AWS console, by a person: {what}"),
                "run it in a terminal without --yes, or do it in the console first and run again",
            ));
        } else {
            ctx.ui().text(&format!(
                "\n  This step happens in the AWS console, which the API cannot do for you.\n  Open {url}\n  and follow the steps above. The run then checks through the API that it worked.\n\n"
            ));
            ctx.prompt().wait("Done in the console?")?;
        }
        let deadline = ctx.clock().now() + timeout;
        loop {
            let after = snapshot(ctx, params.verify, user.as_deref())?;
            if params.verify == Verify::AccountMfa {
                if after.account_mfa {
                    return Ok(Outcome::new(
                        "verified: the root user now has MFA (AccountMFAEnabled = 1)",
                    )
                    .output("serial_number", "")
                    .output("enable_date", ""));
                }
            } else if let Some((serial, enable_date)) = new_device(&before, &after, params.verify) {
                return Ok(Outcome::new(format!(
                    "verified through the API: {serial} is registered"
                ))
                .output("serial_number", serial.clone())
                .output("enable_date", enable_date.clone()));
            }
            let now = ctx.clock().now();
            if now >= deadline {
                return Err(RunError::failed(
                    format!("{what} did not show up in IAM within {timeout} s"),
                    format!(
                        "finish the steps in the console ({url}), then run again: the run resumes at this step"
                    ),
                ));
            }
            let (remaining, wait) = (deadline - now, poll.min(deadline - now));
            ctx.sleep(wait, |left| {
                let left = remaining - (wait - left);
                format!("Waiting for {what} to show up in IAM… ({left} s left; Ctrl-C to stop)")
            })?;
        }
    }
}

/// What the API shows now.
struct Snapshot {
    devices: Vec<(String, String)>,
    account_mfa: bool,
}

fn snapshot(ctx: &Context<'_>, verify: Verify, user: Option<&str>) -> Result<Snapshot, RunError> {
    Ok(match verify {
        Verify::AccountMfa => Snapshot {
            devices: Vec::new(),
            account_mfa: ctx.iam().get_account_summary()?.account_mfa_enabled,
        },
        _ => Snapshot {
            devices: ctx
                .iam()
                .list_mfa_devices(user)?
                .into_iter()
                .map(|d| (d.serial_number, d.enable_date))
                .collect(),
            account_mfa: false,
        },
    })
}

/// A device of the wanted kind that `after` has and `before` had not.
fn new_device(before: &Snapshot, after: &Snapshot, verify: Verify) -> Option<(String, String)> {
    after
        .devices
        .iter()
        .find(|(serial, _)| {
            !before.devices.iter().any(|(known, _)| known == serial) && wanted(verify, serial)
        })
        .cloned()
}

fn wanted(verify: Verify, serial: &str) -> bool {
    match verify {
        Verify::SecurityKey => serial.contains(":u2f/"),
        Verify::VirtualMfa => serial.contains(":mfa/"),
        Verify::AccountMfa => false,
    }
}

/// The sandbox's stand-in for the person in the console: it makes, through the emulator,
/// the change the console would make, so the rest of the step (the API check) is real.
fn stand_in(ctx: &mut Context<'_>, verify: Verify, user: Option<&str>) -> Result<(), RunError> {
    let identity = ctx.sts().get_caller_identity()?;
    let user = user
        .map(str::to_string)
        .unwrap_or_else(|| identity.user_name());
    let taken: BTreeSet<String> = ctx
        .iam()
        .list_mfa_devices(Some(&user))?
        .into_iter()
        .map(|d| d.serial_number)
        .collect();
    let serial = match verify {
        Verify::SecurityKey => (1..)
            .map(|n| {
                format!(
                    "arn:aws:iam::{}:u2f/user/{user}/sandbox-key-{n}",
                    identity.account
                )
            })
            .find(|serial| !taken.contains(serial))
            .expect("an unused name exists"),
        Verify::VirtualMfa => {
            let name = format!("{user}-console-{}", taken.len() + 1);
            ctx.iam()
                .create_virtual_mfa_device(&name, None)?
                .serial_number
        }
        Verify::AccountMfa => {
            return Err(RunError::failed(
                "the sandbox cannot stand in for the root user's console",
                "the sandbox runs as an IAM user; run the guide against a real account as root",
            ));
        }
    };
    // The emulator does not check codes; the console would have checked the key itself.
    let placeholder = Secret::new("000000");
    ctx.iam()
        .enable_mfa_device(&user, &serial, &placeholder, &placeholder)?;
    ctx.ui().ok(&format!(
        "[sandbox stand-in for the AWS console] registered {serial} for {user}"
    ));
    Ok(())
}
