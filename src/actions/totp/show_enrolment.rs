//! `totp.show-enrolment`: the QR code (and, on request, the manual-entry key) to scan.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, Output};
use crate::parse::template::SecretTemplate;
use crate::run::context::{Context, Outcome, RunError};
use crate::run::handover;
use crate::totp;

pub struct ShowEnrolment;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The base32 seed from `iam.create-virtual-mfa-device`.
    pub seed: SecretTemplate,
    /// The account label the app shows (e.g. `alice@123456789012`).
    pub account: String,
    /// The issuer the app shows above the account (default `AWS`).
    pub issuer: Option<String>,
}

impl Action for ShowEnrolment {
    type Params = Params;
    const NAME: &'static str = "totp.show-enrolment";
    const SUMMARY: &'static str = "Draws the enrolment QR code in the terminal for the authenticator app to scan; the manual-entry key on request.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[];

    /// The QR code and the manual-entry key are written only to a terminal, never to a
    /// pipe, a file, the journal or JSON events. When a person is there, they are shown
    /// on the terminal's alternate screen and cleared once the app has the account.
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let seed = super::seed(ctx, &params.seed)?;
        let account = ctx.text(&params.account)?;
        let issuer = ctx
            .opt_text(params.issuer.as_ref())?
            .unwrap_or_else(|| totp::DEFAULT_ISSUER.to_string());
        let uri = seed.otpauth_uri(&issuer, &account).map_err(|error| {
            RunError::failed(
                format!("cannot make the enrolment QR code: {error}"),
                "check `account` and `issuer`",
            )
        })?;
        let qr = totp::qr_terminal(&uri);
        let screen = format!(
            "\nScan this with Duo Mobile (or any authenticator app): “{}: {}”\n{qr}\n",
            crate::sanitize::escape(&issuer),
            crate::sanitize::escape(&account)
        );
        if ctx.unattended() {
            // Nobody answers questions: draw it inline, for a person who may still scan it.
            if !ctx.ui().show_secret(&screen) {
                return not_drawn(ctx);
            }
            return Ok(Outcome::new(format!(
                "enrolment QR code shown for {issuer}: {account}"
            )));
        }
        if !ctx.ui().enter_private_screen() {
            return not_drawn(ctx);
        }
        let shown = show_until_scanned(ctx, &seed, &screen);
        ctx.ui().leave_private_screen();
        shown?;
        Ok(Outcome::new(format!(
            "enrolment QR code shown for {issuer}: {account}, then cleared from the screen"
        )))
    }
}

/// The QR code could not be drawn: fine when someone else takes the seed (the sandbox's
/// stand-in app, or `--seed-file`); otherwise a failure, so the device is never enabled
/// (and this run's device is deleted again).
fn not_drawn(ctx: &Context<'_>) -> Result<Outcome, RunError> {
    let reason = ctx
        .ui
        .secret_blocked()
        .unwrap_or("the terminal could not be written to");
    if let Some(path) = &ctx.mode().seed_file {
        return Ok(Outcome::new(format!(
            "QR code not drawn ({reason}); the enrolment key went to {}",
            path.display()
        )));
    }
    if ctx.mode().sandbox || ctx.mode().stand_in_phone {
        return Ok(Outcome::new(format!(
            "QR code not drawn ({reason}); the sandbox stand-in app reads the seed directly"
        )));
    }
    Err(handover::no_taker(reason, true))
}

fn show_until_scanned(
    ctx: &mut Context<'_>,
    seed: &totp::Seed,
    screen: &str,
) -> Result<(), RunError> {
    ctx.ui().show_secret(screen);
    if ctx
        .prompt()
        .confirm("Can't scan it? Show the key for manual entry?", false)?
    {
        let key = seed.manual_entry_key();
        ctx.ui().show_secret(&format!(
            "\n  Key for manual entry (time-based, 6 digits): {}\n\n",
            key.expose()
        ));
    }
    ctx.ui()
        .show_secret("  This screen is cleared when you go on, so the code leaves no trace.\n\n");
    ctx.prompt().wait("Once the app shows the new account")?;
    Ok(())
}
