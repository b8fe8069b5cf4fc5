//! `fido.blink`: makes the key's light blink so the user knows which one is meant.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, Output};
use crate::run::context::{Context, Outcome, RunError};

pub struct Blink;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {}

impl Action for Blink {
    type Params = Params;
    const NAME: &'static str = "fido.blink";
    const SUMMARY: &'static str =
        "Makes the security key blink (CTAPHID wink), to tell it apart from others.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[];

    fn run(_: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let key = super::key_or_dry_run(ctx, "make the security key blink")?;
        ctx.keys().wink(&key)?;
        let label = super::label(ctx);
        Ok(Outcome::new(format!(
            "{label}{} is blinking: that is the key to use",
            key.product
        )))
    }
}
