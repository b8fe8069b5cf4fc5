//! `totp.show-enrolment`: the QR code (and, on request, the manual-entry key) to scan.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::action::{Action, Output};
use crate::template::SecretTemplate;

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
}
