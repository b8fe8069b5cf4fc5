//! `fido.key-info`: what the key is and how its PIN is set up.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, Output, OutputType};
use crate::run::context::{Context, Outcome, RunError};

pub struct KeyInfo;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Action for KeyInfo {
    type Params = Params;
    const NAME: &'static str = "fido.key-info";
    const SUMMARY: &'static str =
        "Reads the key's info: product (from its AAGUID), CTAP versions, PIN state and retries.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new("aaguid", OutputType::String, "The authenticator model id."),
        Output::new(
            "product",
            OutputType::String,
            "The product name known for the AAGUID, or `unknown`.",
        ),
        Output::new(
            "versions",
            OutputType::String,
            "Supported protocol versions, e.g. `FIDO_2_0, U2F_V2`.",
        ),
        Output::new("pin_set", OutputType::Boolean, "Whether a PIN is set."),
        Output::new(
            "pin_retries",
            OutputType::Integer,
            "PIN attempts left before the key locks.",
        ),
    ];

    fn run(_: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let key = super::key_or_dry_run(ctx, "read the security key's info")?;
        let info = ctx.wait("Reading the key's info…", |ctx| ctx.keys().info(&key))?;
        let product =
            super::product(&info.aaguid).map_or_else(|| key.product.clone(), str::to_string);
        let versions = info.versions.join(", ");
        let pin = match (info.pin_set, info.pin_retries) {
            (false, _) => "no PIN set".to_string(),
            (true, Some(retries)) => format!("PIN set, {retries} attempts left"),
            (true, None) => "PIN set".to_string(),
        };
        let label = super::label(ctx);
        let outcome = Outcome::new(format!("{label}{product}: {versions}; {pin}"))
            .output("aaguid", info.aaguid)
            .output("product", product)
            .output("versions", versions)
            .output("pin_set", info.pin_set);
        Ok(match info.pin_retries {
            Some(retries) => outcome.output("pin_retries", retries),
            None => outcome.unavailable("pin_retries", "the key has no PIN set, or does not say"),
        })
    }
}
