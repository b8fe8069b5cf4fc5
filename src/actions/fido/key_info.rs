//! `fido.key-info`: what the key is and how its PIN is set up.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::action::{Action, Output, OutputType};

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
}
