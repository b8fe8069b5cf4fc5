//! `totp.read-code`: one fresh code, typed from the app (or computed in unattended runs).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, Output};
use crate::parse::template::SecretTemplate;
use crate::run::context::{Context, Outcome, RunError};
use crate::totp::{self, Seed};

pub struct ReadCode;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The base32 seed, to verify the typed code locally. When absent (e.g. after a
    /// resumed run), the code is passed on unchecked and AWS verifies it.
    pub seed: Option<SecretTemplate>,
    /// What to ask (default `Code from the authenticator app`).
    pub prompt: Option<String>,
    /// Wait for a code from a window not used before in this run (for sign-in after enabling).
    pub fresh: Option<bool>,
}

impl Action for ReadCode {
    type Params = Params;
    const NAME: &'static str = "totp.read-code";
    const SUMMARY: &'static str =
        "Reads one code typed from the authenticator app and verifies it against the seed.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[Output::secret("code", "The six-digit code.")];

    /// With `fresh`, a code from a window this run already used is refused (AWS rejects
    /// a reused code): computed codes wait for the next window, with a countdown.
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let seed = match &params.seed {
            Some(template) => match super::seed(ctx, template) {
                Ok(seed) => Some(seed),
                Err(RunError::Resolve(_)) if !super::computed(ctx) => None,
                Err(error) => return Err(error),
            },
            None => None,
        };
        let fresh = params.fresh.unwrap_or(false);
        let used = ctx.last_code_window().filter(|_| fresh);
        if super::computed(ctx) {
            let Some(seed) = seed else {
                if ctx.mode().dry_run {
                    // Nothing to compute from, and a dry run changes nothing with a code.
                    return Ok(Outcome::new(
                        "would ask for a code from the app (a dry run has none)",
                    )
                    .unavailable("code", "a dry run reads no code without the seed"));
                }
                return Err(RunError::failed(
                    "no code: an unattended run computes codes from the seed, and this run has no seed",
                    "run in a terminal and type a code from the app",
                ));
            };
            let mut now = ctx.clock().now();
            if let Some(used) = used
                && Seed::window(now) <= used
            {
                let left = (used + 1) * totp::STEP_SECONDS - now;
                ctx.sleep(left, |left| {
                    format!("Waiting {left} s for a fresh code (a code can't be used twice)…")
                })?;
                now = ctx.clock().now();
            }
            ctx.used_code_window(Seed::window(now));
            let who = if ctx.mode().sandbox {
                "[sandbox stand-in for the app]"
            } else {
                "unattended:"
            };
            return Ok(
                Outcome::new(format!("{who} a fresh code computed from the seed"))
                    .secret("code", seed.code_at(now)),
            );
        }
        let question = params
            .prompt
            .clone()
            .unwrap_or_else(|| "Code from the authenticator app".to_string());
        for attempt in 1..=super::ATTEMPTS {
            let typed = ctx.prompt().secret(&question)?;
            let code = match totp::normalize_code(typed.expose()) {
                Ok(code) => code,
                Err(error) if attempt < super::ATTEMPTS => {
                    ctx.ui().warn(&format!("{error}; try again"));
                    continue;
                }
                Err(error) => {
                    return Err(RunError::failed(
                        error.to_string(),
                        "type the 6 digits the app shows",
                    ));
                }
            };
            let Some(seed) = &seed else {
                return Ok(Outcome::new(
                    "code taken as typed (no seed in this run to check it; AWS will)",
                )
                .secret("code", code));
            };
            let now = ctx.clock().now();
            let problem = match seed.verify(&code, now, super::SKEW) {
                Ok(window) if used.is_some_and(|used| window <= used) => {
                    "that code was already used in this run; wait for the next one".to_string()
                }
                Ok(window) => {
                    ctx.used_code_window(window);
                    return Ok(Outcome::new("code checked against the seed").secret("code", code));
                }
                Err(error) => error.to_string(),
            };
            if attempt == super::ATTEMPTS {
                return Err(RunError::failed(
                    problem,
                    "check the phone's clock is set automatically",
                ));
            }
            ctx.ui().warn(&format!("{problem}; try again"));
        }
        unreachable!("the last attempt returns")
    }
}
