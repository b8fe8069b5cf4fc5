//! `totp.read-code`: one fresh code, typed from the app (or computed in unattended runs).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::action::{Action, Output};
use crate::template::SecretTemplate;

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
}
