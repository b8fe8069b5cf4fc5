//! The generated guides the benches share (benches/check.rs, benches/lsp.rs).

/// A valid runbook of at least `min_bytes`, the same bytes every time: a title, an identity
/// step, then parts of steps in the guide's style (prose, lists, links, images, shell
/// examples, a tip) whose action blocks use templates referring to earlier outputs. Every
/// step id and block id is unique.
pub fn generate(min_bytes: usize) -> String {
    let mut out = String::with_capacity(min_bytes + 4096);
    out.push_str("# Generated benchmark runbook: many MFA devices\n\n");
    out.push_str(
        "This runbook is generated for benchmarks. It reads like the guide: prose with \
         **bold**, *emphasis*, `code` and [links](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html), \
         lists, images and action blocks.\n\n",
    );
    out.push_str("## Prerequisites\n\nYou need permission to manage MFA devices.\n\n");
    out.push_str("```sts.get-caller-identity id=me\n```\n\n");
    let mut n = 0usize;
    let mut part = 0usize;
    while out.len() < min_bytes {
        if n.is_multiple_of(20) {
            part += 1;
            out.push_str(&format!(
                "## Part {part} – Devices {} to {}\n\nThis part sets up twenty devices. \
                 Each one is created, enabled with two consecutive codes and listed.\n\n",
                n + 1,
                n + 20
            ));
        }
        n += 1;
        step(&mut out, n);
    }
    out.push_str("## Summary\n\nEvery device above is enabled.\n\n");
    out.push_str(
        "```iam.list-mfa-devices id=final\nuser = \"{{ me.user_name }}\"\nexpect = [\"virtual_count >= 1\"]\n```\n",
    );
    out
}

/// One step, about 1.5 KB; every fourth is manual, every fourth has a shell example.
fn step(out: &mut String, n: usize) {
    let kind = n % 4;
    out.push_str(&format!(
        "### {n}. Set up the *virtual* device number {n}\n\n\
         1. In the **Select MFA Device** interface, enter a device name (e.g., `Device-{n}`).\n\
         2. Select **Authenticator App** as the MFA device type, then click **Next**.\n\
         3. See [the IAM documentation](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html#step-{n}) for details.\n\n\
         Multi‑factor authentication adds a second factor to your password — if one device \
         isn’t available, you can still sign in with another. Device {n} is one of many.\n\n"
    ));
    if kind == 0 {
        out.push_str(&format!(
            "![Screenshot of step {n}](https://docs.aws.amazon.com/images/IAM/latest/UserGuide/step{n}.png)\n\n\
             > **Tip:** This step is manual: do it in the console, then confirm.\n\n"
        ));
        return;
    }
    out.push_str(&format!(
        "```input.text id=name_{n}\n\
         prompt = \"Name for virtual MFA device {n}\"\n\
         default = \"{{{{ me.user_name }}}}-device-{n}\"\n\
         pattern = '[A-Za-z0-9+=,.@_-]{{1,64}}'\n\
         help = \"IAM device names allow letters, digits and +=,.@_- but no spaces.\"\n\
         ```\n\n\
         ```iam.create-virtual-mfa-device id=dev_{n}\n\
         name = \"{{{{ name_{n} }}}}\"\n\
         user = \"{{{{ me.user_name }}}}\"\n\
         when = \"not me.is_root\"\n\
         ```\n\n\
         ```totp.consecutive-codes id=codes_{n}\n\
         seed = \"{{{{ dev_{n}.seed }}}}\"\n\
         app = \"Duo Mobile\"\n\
         when = \"not me.is_root\"\n\
         ```\n\n\
         ```iam.enable-mfa-device id=enabled_{n}\n\
         user = \"{{{{ me.user_name }}}}\"\n\
         serial_number = \"{{{{ dev_{n}.serial_number }}}}\"\n\
         code1 = \"{{{{ codes_{n}.code1 }}}}\"\n\
         code2 = \"{{{{ codes_{n}.code2 }}}}\"\n\
         when = \"not me.is_root\"\n\
         ```\n\n"
    ));
    if kind == 2 {
        out.push_str(&format!(
            "The same with the AWS CLI:\n\n\
             ```sh\n\
             aws iam list-mfa-devices --user-name \"$USER_{n}\" --query 'MFADevices[].SerialNumber'\n\
             ```\n\n"
        ));
    }
    out.push_str(&format!(
        "```iam.list-mfa-devices id=list_{n}\n\
         user = \"{{{{ me.user_name }}}}\"\n\
         expect = [\"virtual_count >= 1\", \"count < 8\"]\n\
         ```\n\n\
         | field | value |\n|---|---|\n| device | `{{{{ name_{n} }}}}` |\n| step | {n} |\n\n"
    ));
}
