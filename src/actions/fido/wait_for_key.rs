//! `fido.wait-for-key`: waits until a security key is plugged in.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, Output, OutputType, Problem};
use crate::providers::security_key::KeyError;
use crate::run::context::{Context, Outcome, RunError};

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

    /// Polls once a second until a key is plugged in or the time is up; with several
    /// keys, a person chooses (an unattended run takes the first). A dry run looks once
    /// and, with no key plugged in, says it would wait.
    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let timeout = u64::from(params.timeout_seconds.unwrap_or(120));
        let deadline = ctx.clock().now() + timeout;
        let mut told = false;
        let keys = loop {
            let keys = ctx.keys().list()?;
            if !keys.is_empty() {
                break keys;
            }
            if ctx.mode().dry_run {
                return Err(RunError::DryRun {
                    what: "wait for a security key (none is plugged in)".into(),
                });
            }
            if !told {
                ctx.ui()
                    .text("  Insert your security key into a USB port.\n");
                told = true;
            }
            let now = ctx.clock().now();
            if now >= deadline {
                return Err(RunError::Key(KeyError::NoKey));
            }
            let remaining = deadline - now;
            ctx.sleep(1, |_| {
                format!("Waiting for a security key… ({remaining} s left; Ctrl-C to stop)")
            })?;
        };
        let key = if keys.len() == 1 || ctx.unattended() {
            keys[0].clone()
        } else {
            let names: Vec<String> = keys
                .iter()
                .enumerate()
                .map(|(n, k)| format!("{}. {} ({})", n + 1, k.product, k.path))
                .collect();
            ctx.ui().text(&format!(
                "  Several keys are plugged in:\n    {}\n",
                names.join("\n    ")
            ));
            loop {
                let answer = ctx.prompt().text("Which key? (number)", Some("1"))?;
                match answer.trim().parse::<usize>() {
                    Ok(n) if (1..=keys.len()).contains(&n) => break keys[n - 1].clone(),
                    _ => ctx
                        .ui()
                        .warn(&format!("answer a number from 1 to {}", keys.len())),
                }
            }
        };
        ctx.choose_key(key.clone());
        let label = super::label(ctx);
        Ok(
            Outcome::new(format!("{label}found {} at {}", key.product, key.path))
                .output("product", key.product)
                .output("path", key.path),
        )
    }
}
