//! `fido.wait-for-key`: waits until a security key is plugged in.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::action::{Action, Output, OutputType, Problem};

pub struct WaitForKey;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// How long to wait for a key, in seconds (default 120).
    pub timeout_seconds: Option<u32>,
}

impl Action for WaitForKey {
    type Params = Params;
    const NAME: &'static str = "fido.wait-for-key";
    const SUMMARY: &'static str =
        "Waits for a FIDO security key to be plugged in; with several, asks which one to use.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[
        Output::new("product", OutputType::String, "The key's product name."),
        Output::new(
            "path",
            OutputType::String,
            "The key's USB HID path on this machine.",
        ),
    ];

    fn check(params: &Params) -> Vec<Problem> {
        match params.timeout_seconds {
            Some(0) => vec![Problem::new("timeout_seconds", "must be at least 1 second")],
            _ => Vec::new(),
        }
    }
}
