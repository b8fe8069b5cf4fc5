//! `totp.*`: the authenticator app side of a virtual MFA device (RFC 6238 codes).

use crate::bind::action::{ActionDef, Typed};

use crate::run::context::{Context, RunError};
use crate::totp::{self, Seed};

pub mod consecutive_codes;
pub mod read_code;
pub mod show_enrolment;

pub const ACTIONS: &[&dyn ActionDef] = &[
    &Typed::<consecutive_codes::ConsecutiveCodes>::DEF,
    &Typed::<read_code::ReadCode>::DEF,
    &Typed::<show_enrolment::ShowEnrolment>::DEF,
];

/// Typed codes get this many tries before the step fails.
pub const ATTEMPTS: usize = 3;

/// Codes may come from one window either side of now (phone clocks drift a little).
pub const SKEW: u64 = 1;

/// The seed behind a secret parameter, parsed.
pub fn seed(
    ctx: &Context<'_>,
    template: &crate::parse::template::SecretTemplate,
) -> Result<Seed, RunError> {
    let secret = ctx.secret(template)?;
    totp::parse_seed(secret.expose()).map_err(|error| {
        RunError::failed(
            format!("the seed is not usable: {error}"),
            "the seed comes from `iam.create-virtual-mfa-device`; check the runbook passes it unchanged",
        )
    })
}

/// Whether codes are computed from the seed rather than typed: unattended runs, and the
/// sandbox, where a stand-in plays the authenticator app.
pub fn computed(ctx: &Context<'_>) -> bool {
    ctx.mode().sandbox || ctx.unattended()
}
