//! `fido.self-test`: a local make-credential and assertion, signature verified.

use schemars::JsonSchema;
use serde::Deserialize;

use sha2::{Digest, Sha256};

use crate::bind::action::{Action, Output, OutputType};
use crate::fido::verify;
use crate::providers::security_key::KeyError;
use crate::run::context::{Context, Outcome, RunError};
use crate::secret::Secret;

pub struct SelfTest;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The relying party id used for the throwaway test credential (default `runbook.invalid`).
    pub rp_id: Option<String>,
}

impl Action for SelfTest {
    type Params = Params;
    const NAME: &'static str = "fido.self-test";
    const SUMMARY: &'static str = "Makes a test credential and an assertion with one touch, and verifies the signature locally.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "verified",
            OutputType::Boolean,
            "Whether the assertion's signature verified with the credential's public key.",
        ),
        Output::new(
            "algorithm",
            OutputType::String,
            "The signature algorithm, e.g. `ES256`.",
        ),
    ];

    /// A throwaway credential for a relying party no website uses, then an assertion with
    /// it; the signature is checked here with p256, independently of the key's library.
    /// A dry run does not wait for the touches: it says what it would do.
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        if ctx.mode().dry_run {
            return Err(RunError::DryRun {
                what: "make a test credential and an assertion with the security key (two touches), and verify the signature".into(),
            });
        }
        let key = ctx.key()?;
        let rp_id = ctx
            .opt_text(params.rp_id.as_ref())?
            .unwrap_or_else(|| "runbook.invalid".to_string());
        let info = ctx.keys().info(&key)?;
        let mut pin: Option<Secret> = None;
        if info.pin_set {
            pin = Some(ask_pin(ctx, info.pin_retries)?);
        }
        let create_hash = client_data_hash(ctx, "webauthn.create", &rp_id);
        ctx.ui()
            .text("  Touch the security key when it blinks (1 of 2)…\n");
        let credential = loop {
            match ctx
                .keys()
                .make_credential(&key, &rp_id, &create_hash, pin.as_ref())
            {
                Ok(credential) => break credential,
                Err(KeyError::PinRequired) if pin.is_none() => pin = Some(ask_pin(ctx, None)?),
                Err(KeyError::WrongPin { retries }) if retries > 0 && !ctx.unattended() => {
                    ctx.ui()
                        .warn(&format!("wrong PIN, {retries} attempts left"));
                    pin = Some(ask_pin(ctx, Some(retries))?);
                }
                Err(error) => return Err(error.into()),
            }
        };
        let get_hash = client_data_hash(ctx, "webauthn.get", &rp_id);
        ctx.ui().text("  Touch the security key again (2 of 2)…\n");
        let assertion =
            ctx.keys()
                .get_assertion(&key, &rp_id, &get_hash, &credential.id, pin.as_ref())?;
        let signed = ctx.keys().signed_hash(&get_hash);
        let checked = verify::verify_es256(
            &credential.public_key_cose,
            &assertion.authenticator_data,
            &signed,
            &assertion.signature,
        );
        let present = verify::authenticator_flags(&assertion.authenticator_data)
            .is_ok_and(|f| f.user_present);
        let rp_ok = verify::rp_id_hash_matches(&assertion.authenticator_data, &rp_id);
        let label = super::label(ctx);
        let (verified, note) = match (&checked, present, rp_ok) {
            (Ok(()), true, true) => (
                true,
                format!(
                    "{label}made a credential and an assertion; the ES256 signature verified (p256), user presence confirmed"
                ),
            ),
            (Err(error), _, _) => (
                false,
                format!("{label}the signature did NOT verify: {error}"),
            ),
            (Ok(()), false, _) => (
                false,
                format!("{label}the assertion does not show a touch (user presence)"),
            ),
            (Ok(()), true, false) => (
                false,
                format!("{label}the assertion is for another relying party"),
            ),
        };
        Ok(Outcome::new(note)
            .output("verified", verified)
            .output("algorithm", "ES256"))
    }
}

fn ask_pin(ctx: &mut Context<'_>, retries: Option<u32>) -> Result<Secret, RunError> {
    if ctx.unattended() {
        return Err(KeyError::PinRequired.into());
    }
    if retries == Some(0) {
        return Err(KeyError::PinBlocked.into());
    }
    let question = match retries {
        Some(retries) => format!("Security key PIN ({retries} attempts left)"),
        None => "Security key PIN".to_string(),
    };
    Ok(ctx.prompt().secret(&question)?)
}

/// The hash of a WebAuthn-style client data for this self-test. The challenge needs to
/// be fresh, not secret: it mixes the time, the process and a counter.
fn client_data_hash(ctx: &Context<'_>, kind: &str, rp_id: &str) -> [u8; 32] {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let challenge =
        Sha256::digest(format!("{}:{}:{n}", ctx.clock().now(), std::process::id()).as_bytes());
    let challenge: String = challenge.iter().map(|b| format!("{b:02x}")).collect();
    let client_data =
        format!(r#"{{"type":"{kind}","challenge":"{challenge}","origin":"https://{rp_id}"}}"#);
    Sha256::digest(client_data.as_bytes()).into()
}
