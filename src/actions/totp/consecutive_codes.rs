//! `totp.consecutive-codes`: the two codes from adjacent windows that enabling needs.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::action::{Action, Output};
use crate::template::SecretTemplate;

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
}
