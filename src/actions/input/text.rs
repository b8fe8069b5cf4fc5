//! `input.text`: a text value from `--var`, a prompt or its default.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::action::{Action, Exports, Output, OutputType, Problem};

pub struct Text;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The question asked on a terminal.
    pub prompt: String,
    /// The value used when the user presses Enter, and in unattended runs.
    pub default: Option<String>,
    /// A regular expression the whole value must match.
    pub pattern: Option<String>,
    /// A hint shown with the prompt (e.g. which characters are allowed).
    pub help: Option<String>,
}

impl Action for Text {
    type Params = Params;
    const NAME: &'static str = "input.text";
    const SUMMARY: &'static str = "Asks for a text value (or takes it from `--var ID=VALUE`); later blocks use it as `{{ ID }}`.";
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[Output::new(
        "value",
        OutputType::String,
        "The value given; referred to by the block's id alone.",
    )];
    const EXPORTS: Exports = Exports::Value;
    const NEEDS_ID: bool = true;

    fn check(params: &Params) -> Vec<Problem> {
        let Some(pattern) = &params.pattern else {
            return Vec::new();
        };
        match regex::Regex::new(&format!("^(?:{pattern})$")) {
            Err(error) => vec![Problem::new(
                "pattern",
                format!("invalid regular expression: {error}"),
            )],
            Ok(regex) => match &params.default {
                Some(default) if !regex.is_match(default) => vec![Problem::new(
                    "default",
                    format!("the default `{default}` does not match the pattern `{pattern}`"),
                )],
                _ => Vec::new(),
            },
        }
    }
}
