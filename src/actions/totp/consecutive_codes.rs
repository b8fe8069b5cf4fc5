//! `totp.consecutive-codes`: the two codes from adjacent windows that enabling needs.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, Output};
use crate::parse::template::SecretTemplate;
use crate::run::context::{Context, Outcome, RunError};
use crate::totp::{self, Seed};

pub struct ConsecutiveCodes;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The base32 seed, to check typed codes locally (or compute them in unattended runs).
    /// Leave it out for a device set up earlier, whose seed only the phone has: the codes
    /// are then checked only as far as that allows (6 digits each, not the same code
    /// twice), and AWS checks that they are the device's, one after the other.
    pub seed: Option<SecretTemplate>,
    /// The label shown when asking for the codes (default `the authenticator app`).
    pub app: Option<String>,
}

impl Action for ConsecutiveCodes {
    type Params = Params;
    const NAME: &'static str = "totp.consecutive-codes";
    const SUMMARY: &'static str = "Reads two consecutive codes typed from the app and checks them (against the seed, when the run has it) before AWS sees them.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::secret("code1", "The code for window T."),
        Output::secret("code2", "The code for window T+1."),
    ];

    /// Typed codes are checked against the seed (adjacent windows, in order) before AWS
    /// sees them; unattended and sandbox runs compute the previous and the current code,
    /// the pair a person would type.
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let app = ctx
            .opt_text(params.app.as_ref())?
            .unwrap_or_else(|| "the authenticator app".to_string());
        let Some(seed) = &params.seed else {
            return without_seed(ctx, &app);
        };
        let seed = super::seed(ctx, seed)?;
        let now = ctx.clock().now();
        if super::computed(ctx) {
            let previous = now.saturating_sub(totp::STEP_SECONDS);
            let (code1, code2) = seed.consecutive_codes(previous);
            ctx.used_code_window(Seed::window(now));
            let who = if ctx.mode().sandbox {
                "[sandbox stand-in for the app]"
            } else {
                "unattended:"
            };
            return Ok(Outcome::new(format!(
                "{who} two consecutive codes computed from the seed"
            ))
            .secret("code1", code1)
            .secret("code2", code2));
        }
        for attempt in 1..=super::ATTEMPTS {
            let code1 = ctx.prompt().secret(&format!("MFA code 1 (from {app})"))?;
            let code2 = ctx.prompt().secret("MFA code 2 (wait for the next code)")?;
            let now = ctx.clock().now();
            match seed.verify_consecutive(&code1, &code2, now, super::SKEW) {
                Ok((_, second)) => {
                    ctx.used_code_window(second);
                    let code1 = totp::normalize_code(code1.expose())
                        .expect("verified codes are well formed");
                    let code2 = totp::normalize_code(code2.expose())
                        .expect("verified codes are well formed");
                    return Ok(
                        Outcome::new("two consecutive codes, checked against the seed")
                            .secret("code1", code1)
                            .secret("code2", code2),
                    );
                }
                Err(error) if attempt < super::ATTEMPTS => {
                    ctx.ui().warn(&format!("{error}; try again"))
                }
                Err(error) => {
                    return Err(RunError::failed(
                        format!("the codes did not match the device: {error}"),
                        "make sure you scanned this run's QR code and that the phone's clock is set automatically",
                    ));
                }
            }
        }
        unreachable!("the last attempt returns")
    }
}

/// Two codes typed for a device whose seed this run does not have (only the phone does):
/// checked for what can be checked without it — 6 digits each, and two different codes
/// (the next code is never the same one) — and passed on for AWS to check the rest.
fn without_seed(ctx: &mut Context<'_>, app: &str) -> Result<Outcome, RunError> {
    if super::computed(ctx) {
        if ctx.mode().dry_run {
            return Ok(
                Outcome::new("would ask for two codes from the app (a dry run has none)")
                    .unavailable("code1", "a dry run reads no codes without the seed")
                    .unavailable("code2", "a dry run reads no codes without the seed"),
            );
        }
        let who = if ctx.mode().sandbox {
            "the sandbox's stand-in app computes codes from the seed"
        } else {
            "an unattended run computes codes from the seed"
        };
        return Err(RunError::failed(
            format!(
                "no codes: {who}, and this run has none (only the phone has this device's seed)"
            ),
            "run in a terminal, without --yes or --sandbox, and type two consecutive codes from the app",
        ));
    }
    for attempt in 1..=super::ATTEMPTS {
        let code1 = ctx.prompt().secret(&format!("MFA code 1 (from {app})"))?;
        let code2 = ctx.prompt().secret("MFA code 2 (wait for the next code)")?;
        let problem = match (
            totp::normalize_code(code1.expose()),
            totp::normalize_code(code2.expose()),
        ) {
            (Err(error), _) => format!("code 1: {error}"),
            (_, Err(error)) => format!("code 2: {error}"),
            (Ok(code1), Ok(code2)) if code1 == code2 => totp::TotpError::SameCodeTwice.to_string(),
            (Ok(code1), Ok(code2)) => {
                return Ok(Outcome::new(
                    "two codes, checked as far as possible without the seed (6 digits each, not the same code twice); AWS checks that they are consecutive",
                )
                .secret("code1", code1)
                .secret("code2", code2));
            }
        };
        if attempt == super::ATTEMPTS {
            return Err(RunError::failed(
                problem,
                "type the code the app shows, wait until it changes, then type the new one",
            ));
        }
        ctx.ui().warn(&format!("{problem}; try again"));
    }
    unreachable!("the last attempt returns")
}
