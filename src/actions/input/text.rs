//! `input.text`: a text value from `--var`, a prompt or its default.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use regex::Regex;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, Exports, Output, OutputType, Problem};
use crate::run::context::{Context, Outcome, RunError};

pub struct Text;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The question asked on a terminal.
    pub prompt: String,
    /// The value used when the user presses Enter, and in unattended runs. May refer to
    /// earlier outputs: `"{{ me.user_name }}-phone"`.
    pub default: Option<String>,
    /// A regular expression the whole value must match.
    pub pattern: Option<String>,
    /// A hint shown with the prompt (e.g. which characters are allowed).
    pub help: Option<String>,
}

/// Why a `pattern` is not a regex, in the author's terms: what is wrong and where in the
/// pattern as written (byte offsets), when the parser says.
#[derive(Clone, Debug)]
struct PatternError {
    message: String,
    at: Option<Range<usize>>,
}

/// The regex that matches a whole value against `pattern`. The author's pattern is parsed
/// on its own first, so an error names it and points into it, never into the anchored
/// form `^(?:…)$` that is compiled (in which `a)|(b` would even be valid).
fn compile_whole_match(pattern: &str) -> Result<Regex, PatternError> {
    let syntax = |kind: String, span: &regex_syntax::ast::Span| PatternError {
        at: Some(span.start.offset..span.end.offset),
        message: format!(
            "{kind} (at character {} of the pattern)",
            pattern[..span.start.offset].chars().count() + 1
        ),
    };
    match regex_syntax::Parser::new().parse(pattern) {
        Ok(_) => {}
        Err(regex_syntax::Error::Parse(error)) => {
            return Err(syntax(error.kind().to_string(), error.span()));
        }
        Err(regex_syntax::Error::Translate(error)) => {
            return Err(syntax(error.kind().to_string(), error.span()));
        }
        Err(error) => {
            return Err(PatternError {
                message: error.to_string(),
                at: None,
            });
        }
    }
    Regex::new(&format!("^(?:{pattern})$")).map_err(|error| PatternError {
        message: match error {
            regex::Error::CompiledTooBig(limit) => {
                format!("it compiles to more than the {limit} bytes a pattern may take")
            }
            other => other.to_string(),
        },
        at: None,
    })
}

/// `f` on the regex that matches a whole value against `pattern` (or on why it is not a
/// regex), compiled once per distinct pattern: a runbook typically repeats one pattern in
/// many inputs, and compiling a regex costs far more than checking the rest of a block. The
/// cache holds at most [`CACHED_PATTERNS`] entries and starts over when full.
fn with_whole_match<R>(pattern: &str, f: impl FnOnce(Result<&Regex, &PatternError>) -> R) -> R {
    type Cache = HashMap<String, Result<Regex, PatternError>>;
    static CACHE: Mutex<Option<Cache>> = Mutex::new(None);
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    let cache = cache.get_or_insert_with(HashMap::new);
    if !cache.contains_key(pattern) {
        if cache.len() >= CACHED_PATTERNS {
            cache.clear();
        }
        cache.insert(pattern.to_string(), compile_whole_match(pattern));
    }
    f(cache[pattern].as_ref())
}

const CACHED_PATTERNS: usize = 64;

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
        with_whole_match(pattern, |compiled| match compiled {
            Err(error) => {
                let problem = Problem::new(
                    "pattern",
                    format!(
                        "`{pattern}` is not a valid regular expression: {}",
                        error.message
                    ),
                )
                .help(
                    "`pattern` is a regular expression in the syntax of Rust's `regex` crate \
                     (https://docs.rs/regex/latest/regex/#syntax), matched against the whole value",
                );
                vec![match &error.at {
                    Some(at) => problem.within(at.clone()),
                    None => problem,
                }]
            }
            Ok(regex) => match &params.default {
                Some(default)
                    if !crate::parse::template::is_template(default)
                        && !regex.is_match(default) =>
                {
                    vec![Problem::new(
                        "default",
                        format!("the default `{default}` does not match the pattern `{pattern}`"),
                    )]
                }
                _ => Vec::new(),
            },
        })
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let id = ctx.action().id.clone();
        let pattern = match &params.pattern {
            Some(pattern) => Some(
                with_whole_match(pattern, |compiled| compiled.cloned().map_err(Clone::clone))
                    .map_err(|error| {
                        RunError::failed(
                            format!("invalid pattern `{pattern}`: {}", error.message),
                            "fix the runbook",
                        )
                    })?,
            ),
            None => None,
        };
        let matches = |value: &str| pattern.as_ref().is_none_or(|regex| regex.is_match(value));
        let rule = || {
            params.help.clone().unwrap_or_else(|| {
                format!(
                    "it must match `{}`",
                    params.pattern.as_deref().unwrap_or("")
                )
            })
        };
        let default = ctx.opt_text(params.default.as_ref())?;
        let (value, source) = if let Some(value) = ctx.mode().vars.get(&id).cloned() {
            (value, "from --var")
        } else if ctx.unattended() {
            let value = default.clone().ok_or_else(|| {
                RunError::failed(
                    format!("input `{id}` has no value and no default"),
                    format!("pass --var {id}=VALUE"),
                )
            })?;
            (value, "default")
        } else {
            if let Some(help) = &params.help {
                ctx.ui().detail(help);
            }
            loop {
                let answer = ctx.prompt().text(&params.prompt, default.as_deref())?;
                if matches(&answer) {
                    break (answer, "answered");
                }
                ctx.ui()
                    .warn(&format!("`{answer}` is not valid: {}", rule()));
            }
        };
        if !matches(&value) {
            return Err(RunError::failed(
                format!("`{value}` is not a valid value for `{id}`"),
                rule(),
            ));
        }
        Ok(Outcome::new(format!("{id} = {value} ({source})")).output("value", value))
    }
}
