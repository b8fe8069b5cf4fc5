//! The `Action` trait every action implements, and the one generic implementation
//! ([`Typed`]) that turns a TOML body into an action's typed parameters and describes the
//! action (parameters, outputs, CLI equivalent) for checking, planning and docs.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::parse::template;
use crate::run::context::{Context, Outcome, RunError};

/// What an action's output holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputType {
    String,
    Integer,
    Boolean,
    /// RFC 3339 date and time.
    Timestamp,
    /// A list of records with declared fields ([`Output::items`]).
    List,
}

impl fmt::Display for OutputType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputType::String => "string",
            OutputType::Integer => "integer",
            OutputType::Boolean => "boolean",
            OutputType::Timestamp => "timestamp",
            OutputType::List => "list",
        })
    }
}

/// One declared output of an action: later actions refer to it as `{{ id.name }}`.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Output {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: OutputType,
    /// Secret outputs (the TOTP seed, codes) are never printed, journaled or serialised,
    /// and can only be passed to parameters that accept secrets.
    pub secret: bool,
    #[serde(skip)]
    pub description: &'static str,
    /// For a list: the fields of each item (`devices[0].serial_number`).
    #[serde(skip)]
    pub items: &'static [Field],
}

/// One field of a list output's items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: OutputType,
    #[serde(skip)]
    pub description: &'static str,
}

impl Field {
    pub const fn new(name: &'static str, ty: OutputType, description: &'static str) -> Field {
        Field {
            name,
            ty,
            description,
        }
    }
}

impl Output {
    pub const fn new(name: &'static str, ty: OutputType, description: &'static str) -> Output {
        Output {
            name,
            ty,
            secret: false,
            description,
            items: &[],
        }
    }

    pub const fn secret(name: &'static str, description: &'static str) -> Output {
        Output {
            name,
            ty: OutputType::String,
            secret: true,
            description,
            items: &[],
        }
    }

    /// A list whose items are records with these fields.
    pub const fn list(
        name: &'static str,
        items: &'static [Field],
        description: &'static str,
    ) -> Output {
        Output {
            name,
            ty: OutputType::List,
            secret: false,
            description,
            items,
        }
    }
}

/// How an action's outputs are seen by later actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exports {
    /// As fields of the action's id: `{{ duo.serial_number }}`.
    Fields,
    /// As one value named by the action's id: an input `id=device_name` is `{{ device_name }}`.
    Value,
}

/// An action a runbook can use. Implement this for a unit struct, give it a `Params` type
/// (serde + schemars, `deny_unknown_fields`), and add `&Typed::<YourAction>::DEF` to its
/// namespace's list.
pub trait Action: Send + Sync + 'static {
    type Params: DeserializeOwned + JsonSchema + fmt::Debug + Send + Sync + 'static;
    /// `namespace.action`, kebab-case, named after the API operation where there is one.
    const NAME: &'static str;
    /// One line: what the action does.
    const SUMMARY: &'static str;
    /// Whether running it changes anything outside this process.
    const MUTATING: bool;
    /// What a mutating action changes, for "changes AWS" in the plan and transcripts.
    const CHANGES: &'static str = "AWS";
    const OUTPUTS: &'static [Output];
    const EXPORTS: Exports = Exports::Fields;
    /// Whether a block must name it with `id=` (inputs, whose id is the variable name).
    const NEEDS_ID: bool = false;

    /// The AWS CLI command that does the same by hand, for IAM/STS actions.
    fn aws_cli(_params: &Self::Params) -> Option<AwsCli> {
        None
    }

    /// Checks beyond types (ranges, patterns, literal names AWS would reject), run by
    /// `runbook check`. Template values are checked when they are resolved at run time.
    fn check(_params: &Self::Params) -> Vec<Problem> {
        Vec::new()
    }

    /// The parameters that name a document block of the guide (```` ```json id=NAME ````,
    /// see [`crate::bind::documents`]), with the name each gives: the binder checks each
    /// block exists and is valid JSON, and the action reads its text with
    /// [`Context::document`].
    fn documents(_params: &Self::Params) -> Vec<(&'static str, &str)> {
        Vec::new()
    }

    /// Do it. Parameters are resolved through `ctx` (lazily, so an action can find out
    /// first whether there is anything to do); a mutating action calls
    /// [`Context::confirm_change`] before it changes anything.
    fn run(_params: &Self::Params, _ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        Err(RunError::NotImplemented(Self::NAME))
    }
}

/// A parameter value that has the right type but is still wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The parameter, so the diagnostic can point at it.
    pub param: &'static str,
    pub message: String,
    /// Where in the parameter's string value the problem is (byte offsets into the
    /// value), when the check knows: the diagnostic then points at those bytes.
    pub within: Option<std::ops::Range<usize>>,
    /// What to do about it, when the message alone does not say.
    pub help: Option<String>,
}

impl Problem {
    pub fn new(param: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            param,
            message: message.into(),
            within: None,
            help: None,
        }
    }

    /// The problem is at `range` (byte offsets) inside the parameter's string value.
    pub fn within(mut self, range: std::ops::Range<usize>) -> Problem {
        self.within = Some(range);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }
}

/// One parameter, as documented and checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Param {
    pub name: String,
    /// `string`, `integer`, `boolean`, `"a" | "b"`, `list of string`, …
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
    /// Accepts secret outputs (`{{ duo.seed }}`).
    pub secret: bool,
    pub description: String,
}

/// Parameters after binding: the typed value, kept opaque until the action runs.
pub type BoundParams = std::sync::Arc<dyn Any + Send + Sync>;

/// The object-safe face of an [`Action`], what the registry holds.
pub trait ActionDef: Sync {
    fn name(&self) -> &'static str;
    fn summary(&self) -> &'static str;
    fn mutating(&self) -> bool;
    /// What it changes when it is mutating: `AWS`, `a local file`.
    fn changes(&self) -> &'static str;
    fn outputs(&self) -> &'static [Output];
    fn exports(&self) -> Exports;
    fn needs_id(&self) -> bool;
    /// Parameters in declaration order, from the `Params` type's schema.
    fn params(&self) -> Vec<Param>;
    /// The JSON Schema (draft 2020-12) of the `Params` type, subschemas inlined.
    fn params_schema(&self) -> serde_json::Value;
    /// Deserialise a body into typed params. Errors carry spans relative to the body.
    fn bind(&self, body: toml::de::Deserializer<'_>) -> Result<BoundParams, toml::de::Error>;
    /// [`ActionDef::bind`] straight from a plain body's table ([`crate::parse::body::is_plain`]:
    /// only strings, booleans and lists of them): for those both give the same params, and
    /// this is the quicker. `None` when it fails; then `bind` says why.
    fn bind_plain(&self, _body: &crate::parse::body::Body<'_>) -> Option<BoundParams> {
        None
    }
    /// Bound params, `Debug`-formatted, for tests comparing bindings.
    #[cfg(test)]
    fn debug_params(&self, params: &BoundParams) -> String;
    /// The CLI equivalent of bound params (the ones `bind` returned).
    fn aws_cli(&self, params: &BoundParams) -> Option<AwsCli>;
    /// [`Action::check`] on bound params.
    fn check(&self, params: &BoundParams) -> Vec<Problem>;
    /// [`Action::run`] on bound params.
    fn run(&self, params: &BoundParams, ctx: &mut Context<'_>) -> Result<Outcome, RunError>;
    /// [`Action::documents`] on bound params.
    fn documents(&self, params: &BoundParams) -> Vec<(&'static str, String)>;

    fn namespace(&self) -> &'static str {
        self.name()
            .split_once('.')
            .map_or("", |(namespace, _)| namespace)
    }

    fn output(&self, name: &str) -> Option<&'static Output> {
        self.outputs().iter().find(|output| output.name == name)
    }
}

/// The generic implementation of [`ActionDef`] for every [`Action`].
pub struct Typed<A>(PhantomData<fn() -> A>);

impl<A: Action> Typed<A> {
    pub const DEF: Typed<A> = Typed(PhantomData);
}

impl<A: Action> ActionDef for Typed<A> {
    fn name(&self) -> &'static str {
        A::NAME
    }

    fn summary(&self) -> &'static str {
        A::SUMMARY
    }

    fn mutating(&self) -> bool {
        A::MUTATING
    }

    fn changes(&self) -> &'static str {
        A::CHANGES
    }

    fn outputs(&self) -> &'static [Output] {
        A::OUTPUTS
    }

    fn exports(&self) -> Exports {
        A::EXPORTS
    }

    fn needs_id(&self) -> bool {
        A::NEEDS_ID
    }

    fn params(&self) -> Vec<Param> {
        params_from_schema(&self.params_schema())
    }

    fn params_schema(&self) -> serde_json::Value {
        schemars::generate::SchemaSettings::draft2020_12()
            .with(|settings| settings.inline_subschemas = true)
            .into_generator()
            .into_root_schema_for::<A::Params>()
            .to_value()
    }

    fn bind(&self, body: toml::de::Deserializer<'_>) -> Result<BoundParams, toml::de::Error> {
        let params: A::Params = serde::Deserialize::deserialize(body)?;
        Ok(std::sync::Arc::new(params))
    }

    fn bind_plain(&self, body: &crate::parse::body::Body<'_>) -> Option<BoundParams> {
        let params: A::Params = crate::parse::body::deserialize(body).ok()?;
        Some(std::sync::Arc::new(params))
    }

    #[cfg(test)]
    fn debug_params(&self, params: &BoundParams) -> String {
        format!("{:?}", params.downcast_ref::<A::Params>())
    }

    fn aws_cli(&self, params: &BoundParams) -> Option<AwsCli> {
        params.downcast_ref::<A::Params>().and_then(A::aws_cli)
    }

    fn check(&self, params: &BoundParams) -> Vec<Problem> {
        params
            .downcast_ref::<A::Params>()
            .map(A::check)
            .unwrap_or_default()
    }

    fn documents(&self, params: &BoundParams) -> Vec<(&'static str, String)> {
        params
            .downcast_ref::<A::Params>()
            .map(|params| {
                A::documents(params)
                    .into_iter()
                    .map(|(param, name)| (param, name.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn run(&self, params: &BoundParams, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let params = params
            .downcast_ref::<A::Params>()
            .expect("bound params always have the action's own type");
        A::run(params, ctx)
    }
}

fn params_from_schema(schema: &serde_json::Value) -> Vec<Param> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|names| names.iter().filter_map(|n| n.as_str()).collect())
        .unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| Param {
            name: name.clone(),
            ty: type_name(property),
            required: required.contains(&name.as_str()),
            secret: property["x-secret"].as_bool().unwrap_or(false),
            description: property["description"]
                .as_str()
                .unwrap_or("")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect()
}

fn type_name(property: &serde_json::Value) -> String {
    if let Some(constant) = property.get("const") {
        return constant.to_string();
    }
    if let Some(values) = property["enum"].as_array() {
        return values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if let Some(variants) = property["oneOf"]
        .as_array()
        .or(property["anyOf"].as_array())
    {
        let names: Vec<String> = variants
            .iter()
            .filter(|v| v["type"] != "null")
            .map(type_name)
            .collect();
        return names.join(" | ");
    }
    let ty = match &property["type"] {
        serde_json::Value::String(ty) => ty.clone(),
        serde_json::Value::Array(types) => types
            .iter()
            .filter_map(|t| t.as_str())
            .find(|t| *t != "null")
            .unwrap_or("any")
            .to_string(),
        _ => property["const"]
            .as_str()
            .map_or("any".into(), |c| format!("\"{c}\"")),
    };
    if ty == "array" {
        format!("list of {}", type_name(&property["items"]))
    } else {
        ty
    }
}

/// An AWS CLI command line: `aws iam enable-mfa-device --user-name <user> …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsCli {
    service: &'static str,
    operation: &'static str,
    args: Vec<(&'static str, Option<String>)>,
}

impl AwsCli {
    pub fn new(service: &'static str, operation: &'static str) -> AwsCli {
        AwsCli {
            service,
            operation,
            args: Vec::new(),
        }
    }

    /// `--flag value`; template values show as placeholders, literals are shell-quoted.
    pub fn arg(mut self, flag: &'static str, value: impl AsRef<str>) -> AwsCli {
        self.args.push((flag, Some(value.as_ref().to_string())));
        self
    }

    /// `--flag value` when the value is set.
    pub fn opt(self, flag: &'static str, value: Option<impl AsRef<str>>) -> AwsCli {
        match value {
            Some(value) => self.arg(flag, value),
            None => self,
        }
    }

    /// A bare `--flag`.
    pub fn flag(mut self, flag: &'static str) -> AwsCli {
        self.args.push((flag, None));
        self
    }
}

impl AwsCli {
    /// The command with template values resolved where `resolve` can (and shell-quoted);
    /// the rest, secrets included, stay `<placeholders>`.
    pub fn resolved(&self, resolve: impl Fn(&str) -> Option<String>) -> String {
        let mut out = format!("aws {} {}", self.service, self.operation);
        for (flag, value) in &self.args {
            out.push(' ');
            out.push_str(flag);
            if let Some(value) = value {
                let resolved = if template::is_template(value) {
                    resolve(value)
                } else {
                    Some(value.clone())
                };
                out.push(' ');
                match resolved {
                    Some(text) => out.push_str(&quote(&text)),
                    None => out.push_str(&template::placeholder(value)),
                }
            }
        }
        out
    }
}

fn quote(text: &str) -> String {
    shlex::try_quote(text).map_or_else(|_| text.to_string(), |quoted| quoted.into_owned())
}

impl fmt::Display for AwsCli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.resolved(|_| None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_shows_placeholders_and_quotes_literals() {
        let cli = AwsCli::new("iam", "create-virtual-mfa-device")
            .arg("--virtual-mfa-device-name", "{{ device_name }}")
            .arg("--path", "/team a/")
            .opt("--tags", None::<&str>)
            .flag("--no-cli-pager");
        assert_eq!(
            cli.to_string(),
            "aws iam create-virtual-mfa-device --virtual-mfa-device-name <device-name> --path '/team a/' --no-cli-pager"
        );
    }
}
