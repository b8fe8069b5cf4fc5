//! `iam.create-virtual-mfa-device`: creates the virtual device and receives its seed.

use schemars::JsonSchema;
use serde::Deserialize;

use super::check_name;
use crate::action::{Action, AwsCli, Output, OutputType, Problem};

pub struct CreateVirtualMfaDevice;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The device name: 1–64 letters, digits or `+=,.@_-`. It becomes the end of the serial ARN.
    pub name: String,
    /// The IAM path for the device (default `/`).
    pub path: Option<String>,
    /// The IAM user the device is for. An unassigned device of the same name that this
    /// user's earlier run left behind is offered for deletion and re-created.
    pub user: Option<String>,
}

impl Action for CreateVirtualMfaDevice {
    type Params = Params;
    const NAME: &'static str = "iam.create-virtual-mfa-device";
    const SUMMARY: &'static str =
        "Creates a virtual MFA device and receives its secret seed (returned only once).";
    const MUTATING: bool = true;
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "serial_number",
            OutputType::String,
            "The device's ARN, `arn:aws:iam::<account>:mfa/<path><name>`.",
        ),
        Output::secret(
            "seed",
            "The base32 TOTP seed: shown only as a QR code and manual-entry key, never stored.",
        ),
    ];

    fn aws_cli(params: &Params) -> Option<AwsCli> {
        Some(
            AwsCli::new("iam", "create-virtual-mfa-device")
                .arg("--virtual-mfa-device-name", &params.name)
                .opt("--path", params.path.as_ref())
                .arg("--outfile", "qr-code.png")
                .arg("--bootstrap-method", "QRCodePNG"),
        )
    }

    fn check(params: &Params) -> Vec<Problem> {
        let mut problems: Vec<Problem> = check_name("name", &params.name).into_iter().collect();
        if let Some(path) = &params.path
            && !crate::template::is_template(path)
            && !(path.starts_with('/') && path.ends_with('/'))
        {
            problems.push(Problem::new(
                "path",
                format!("`{path}` must start and end with `/`"),
            ));
        }
        problems
    }
}
