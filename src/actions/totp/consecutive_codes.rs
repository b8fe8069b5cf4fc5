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
    pub seed: SecretTemplate,
    /// The label shown when asking for the codes (default `the authenticator app`).
    pub app: Option<String>,
}

impl Action for ConsecutiveCodes {
    type Params = Params;
    const NAME: &'static str = "totp.consecutive-codes";
    const SUMMARY: &'static str = "Reads two consecutive codes typed from the app and checks them against the seed before AWS sees them.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::secret("code1", "The code for window T."),
        Output::secret("code2", "The code for window T+1."),
    ];

    /// Typed codes are checked against the seed (adjacent windows, in order) before AWS
    /// sees them; unattended and sandbox runs compute the previous and the current code,
    /// the pair a person would type.
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let seed = super::seed(ctx, &params.seed)?;
        let app = ctx
            .opt_text(params.app.as_ref())?
            .unwrap_or_else(|| "the authenticator app".to_string());
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
