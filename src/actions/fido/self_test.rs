//! `fido.self-test`: a local make-credential and assertion, signature verified.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::action::{Action, Output, OutputType};

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
}
