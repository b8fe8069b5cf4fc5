//! `aws-config.set-profile`: writes an MFA profile into the AWS CLI's config file, after
//! showing the exact change and asking.

use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::actions::iam::check_serial;
use crate::actions::sts::assume_role::check_role_arn;
use crate::bind::action::{Action, Output, OutputType, Problem};
use crate::parse::template;
use crate::providers::aws_config_file::{self, FORBIDDEN_KEYS};
use crate::providers::local_file;
use crate::run::context::{Context, Outcome, RunError};

pub struct SetProfile;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The profile's name: `[profile NAME]` in the file, `--profile NAME` on the command
    /// line (`default` is the `[default]` section).
    pub profile: String,
    /// The ARN of the virtual MFA device the AWS CLI asks a code for
    /// (`arn:aws:iam::<account>:mfa/<name>`).
    pub mfa_serial: String,
    /// A role the profile assumes with MFA (`arn:aws:iam::<account>:role/<name>`); give
    /// `source_profile` with it.
    pub role_arn: Option<String>,
    /// The profile holding the long-term access keys that assume the role.
    pub source_profile: Option<String>,
    /// The region the profile's commands use (e.g. `eu-west-1`).
    pub region: Option<String>,
    /// How long the role's temporary credentials last, 900 to 43200 seconds.
    pub duration_seconds: Option<u32>,
}

impl Params {
    /// The settings in the order they are written, templates not yet resolved.
    fn settings(&self) -> Vec<(&'static str, String)> {
        let mut settings = Vec::new();
        if let Some(role) = &self.role_arn {
            settings.push(("role_arn", role.clone()));
        }
        if let Some(source) = &self.source_profile {
            settings.push(("source_profile", source.clone()));
        }
        settings.push(("mfa_serial", self.mfa_serial.clone()));
        if let Some(region) = &self.region {
            settings.push(("region", region.clone()));
        }
        if let Some(seconds) = self.duration_seconds {
            settings.push(("duration_seconds", seconds.to_string()));
        }
        settings
    }
}

impl Action for SetProfile {
    type Params = Params;
    const NAME: &'static str = "aws-config.set-profile";
    const SUMMARY: &'static str = "Sets an MFA profile in the AWS CLI's config file (`~/.aws/config`, or `$AWS_CONFIG_FILE`), showing the diff first and keeping every other line as it is (by hand: `aws configure set mfa_serial ARN --profile NAME`, which rewrites the file).";
    const MUTATING: bool = true;
    const CHANGES: &'static str = "a local file";
    const OUTPUTS: &'static [Output] = &[
        Output::new(
            "file",
            OutputType::String,
            "The config file the profile is in (in the sandbox, the sandbox's own).",
        ),
        Output::new(
            "backup",
            OutputType::String,
            "Where the file as it was before is kept (`<file>.runbook-backup`); empty when nothing was written or there was no file.",
        ),
    ];

    fn check(params: &Params) -> Vec<Problem> {
        let mut problems = Vec::new();
        let literal = |value: &str| !template::is_template(value);
        if literal(&params.profile) && !aws_config_file::valid_profile_name(&params.profile) {
            problems.push(
                Problem::new("profile", format!("`{}` is not a valid profile name", params.profile))
                    .help("use letters, digits and `-_.@+=,:/`, e.g. `mfa`: the name goes between brackets and after --profile"),
            );
        }
        if let Some(source) = &params.source_profile
            && literal(source)
            && !aws_config_file::valid_profile_name(source)
        {
            problems.push(
                Problem::new(
                    "source_profile",
                    format!("`{source}` is not a valid profile name"),
                )
                .help("name the profile holding your access keys, e.g. `default`"),
            );
        }
        problems.extend(check_serial("mfa_serial", &params.mfa_serial));
        if literal(&params.mfa_serial) && params.mfa_serial.contains(":u2f/") {
            problems.push(
                Problem::new("mfa_serial", "a security key cannot be used from the AWS CLI")
                    .help("name a virtual MFA device (`arn:aws:iam::<account>:mfa/<name>`): the CLI asks for its 6-digit code"),
            );
        }
        if let Some(role) = &params.role_arn {
            problems.extend(check_role_arn("role_arn", role));
        }
        match (&params.role_arn, &params.source_profile) {
            (Some(_), None) => problems.push(
                Problem::new("role_arn", "`role_arn` is given without `source_profile`")
                    .help("add `source_profile = \"default\"` (the profile with your long-term access keys): the AWS CLI assumes the role with them"),
            ),
            (None, Some(_)) => problems.push(
                Problem::new("source_profile", "`source_profile` is given without `role_arn`")
                    .help("add the role to assume as `role_arn`, or remove `source_profile`"),
            ),
            _ => {}
        }
        if let Some(region) = &params.region
            && literal(region)
            && !is_region(region)
        {
            problems.push(
                Problem::new("region", format!("`{region}` is not an AWS region name"))
                    .help("write it as AWS does, e.g. `us-east-1` or `eu-west-1`"),
            );
        }
        if let Some(seconds) = params.duration_seconds
            && !(900..=43_200).contains(&seconds)
        {
            problems.push(
                Problem::new(
                    "duration_seconds",
                    format!("{seconds} is outside 900 to 43200 seconds"),
                )
                .help("AWS allows 900 (15 minutes) to 43200 (12 hours); the role's maximum session duration may cap it lower"),
            );
        }
        problems
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let profile = ctx.text(&params.profile)?;
        let mut settings = Vec::new();
        for (key, value) in params.settings() {
            settings.push((key, ctx.text(&value)?));
        }
        let path = match &ctx.mode().aws_config_file {
            Some(path) => path.clone(),
            None => aws_config_file::default_path().ok_or_else(|| {
                RunError::failed(
                    "cannot tell where the AWS config file is: neither AWS_CONFIG_FILE nor HOME is set",
                    "set AWS_CONFIG_FILE to the file the AWS CLI reads, then run again",
                )
            })?,
        };
        let shown = path.display().to_string();
        let old = local_file::read(&local_file::resolve(&path))
            .map_err(|error| file_error("read", &path, &error))?;
        let old_text = old.clone().unwrap_or_default();
        let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let new_text =
            aws_config_file::set_profile(&old_text, &profile, &pairs).map_err(|error| {
                RunError::failed(
                    format!("cannot set [profile {profile}] in {shown}: {error}"),
                    "fix the file or the step's values as the message says, then run again",
                )
            })?;
        let outcome = |note: String, backup: &str| {
            Outcome::new(note)
                .output("file", shown.clone())
                .output("backup", backup.to_string())
        };
        if old.is_some() && new_text == old_text {
            return Ok(outcome(
                format!(
                    "{shown} already has these settings in its {profile} profile: nothing to do"
                ),
                "",
            ));
        }
        ctx.ui()
            .text(&diff(&old_text, &new_text, &shown, old.is_none()));
        let verb = if old.is_none() { "create" } else { "change" };
        ctx.confirm_change(&format!(
            "{verb} {shown}: the {profile} profile as shown above"
        ))?;
        let backup = local_file::replace(&path, &new_text, 0o600)
            .map_err(|error| file_error("write", &path, &error))?;
        let backup = backup.map(|b| b.display().to_string()).unwrap_or_default();
        let kept = if backup.is_empty() {
            String::new()
        } else {
            format!(" (the file as it was: {backup})")
        };
        Ok(outcome(
            format!("wrote the {profile} profile to {shown}{kept}"),
            &backup,
        )
        .changed())
    }
}

fn file_error(what: &str, path: &Path, error: &std::io::Error) -> RunError {
    RunError::failed(
        format!("could not {what} {}: {error}", path.display()),
        "check the file's and its folder's permissions (or set AWS_CONFIG_FILE to another file), then run again",
    )
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, …
fn is_region(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// The change as a unified diff, for people: a context line that holds credentials (put
/// in the file by someone else) is shown with its value hidden.
pub fn diff(old: &str, new: &str, shown: &str, created: bool) -> String {
    let before = if created {
        "/dev/null".to_string()
    } else {
        shown.to_string()
    };
    let text = similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&before, shown)
        .to_string();
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&hide_credentials(line));
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn hide_credentials(line: &str) -> String {
    let body = line.get(1..).unwrap_or("");
    let key = body.split(['=', ':']).next().unwrap_or("").trim();
    if !line.starts_with("---")
        && !line.starts_with("+++")
        && body.contains(['=', ':'])
        && FORBIDDEN_KEYS.contains(&key.to_ascii_lowercase().as_str())
    {
        let end = if line.ends_with('\n') { "\n" } else { "" };
        format!("{}{key} = <hidden>{end}", &line[..1])
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diff_shows_the_change_and_hides_credentials_around_it() {
        let old = "[default]\naws_secret_access_key = s3cr3t\nregion = x\n";
        let new = aws_config_file::set_profile(
            old,
            "default",
            &[("mfa_serial", "arn:aws:iam::123456789012:mfa/a")],
        )
        .unwrap();
        let shown = diff(old, &new, "config", false);
        assert!(
            shown.contains("+mfa_serial = arn:aws:iam::123456789012:mfa/a\n"),
            "{shown}"
        );
        assert!(
            shown.contains(" aws_secret_access_key = <hidden>\n"),
            "{shown}"
        );
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.starts_with("--- config\n+++ config\n"), "{shown}");
    }

    #[test]
    fn regions() {
        assert!(is_region("us-east-1"));
        assert!(is_region("us-gov-west-1"));
        assert!(!is_region("useast1"));
        assert!(!is_region("US-East-1"));
    }
}
