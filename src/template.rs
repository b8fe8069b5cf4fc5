//! Template values in action parameters: `name = "{{ device_name }}"`. Static analysis
//! (which inputs and outputs a value refers to) and the readable placeholder a value
//! becomes in docs and CLI equivalents (`<device-name>`). Evaluation happens at run time.

use std::borrow::Cow;
use std::ops::Range;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// A template that failed to compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    pub message: String,
    /// Byte range inside the template text, where minijinja knows it.
    pub range: Option<Range<usize>>,
}

fn error(err: minijinja::Error) -> TemplateError {
    TemplateError {
        message: err
            .detail()
            .map_or_else(|| err.kind().to_string(), str::to_string),
        range: err.range(),
    }
}

/// Whether a string holds template syntax at all (most parameters don't).
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// Dotted names a template string refers to (`duo.serial_number`, `device_name`), sorted.
pub fn template_references(text: &str) -> Result<Vec<String>, TemplateError> {
    if !is_template(text) {
        return Ok(Vec::new());
    }
    let env = minijinja::Environment::empty();
    let template = env.template_from_str(text).map_err(error)?;
    Ok(sorted(template.undeclared_variables(true)))
}

/// Dotted names a bare expression refers to (`when`, `expect`), sorted.
pub fn expression_references(expr: &str) -> Result<Vec<String>, TemplateError> {
    let env = minijinja::Environment::empty();
    let expression = env.compile_expression(expr).map_err(error)?;
    Ok(sorted(expression.undeclared_variables(true)))
}

fn sorted(names: std::collections::HashSet<String>) -> Vec<String> {
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort();
    names
}

/// The readable form of a template value for docs and CLI equivalents:
/// `arn:{{ duo.serial_number }}` → `arn:<duo-serial-number>`.
pub fn placeholder(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        out.push('<');
        out.push_str(&kebab(after[..close].split('|').next().unwrap_or("")));
        out.push('>');
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

fn kebab(expr: &str) -> String {
    let mut out = String::new();
    for c in expr.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A string parameter that may carry a secret output (the TOTP seed, a code) into an
/// action that accepts secrets. Ordinary `String` parameters reject secret references.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct SecretTemplate(pub String);

impl JsonSchema for SecretTemplate {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "SecretTemplate".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "x-secret": true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_dotted_and_sorted() {
        assert_eq!(
            template_references("{{ duo.serial_number }}-{{ device_name }}").unwrap(),
            ["device_name", "duo.serial_number"]
        );
        assert_eq!(
            template_references("plain text").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            expression_references("count >= 2 and me.is_root").unwrap(),
            ["count", "me.is_root"]
        );
    }

    #[test]
    fn filters_are_not_references() {
        assert_eq!(template_references("{{ name | upper }}").unwrap(), ["name"]);
    }

    #[test]
    fn syntax_errors_are_reported() {
        let err = template_references("{{ duo.serial_number ").unwrap_err();
        assert!(!err.message.is_empty());
        assert!(expression_references("count >=").is_err());
    }

    #[test]
    fn placeholders_are_readable() {
        assert_eq!(placeholder("{{ device_name }}"), "<device-name>");
        assert_eq!(
            placeholder("x/{{ duo.serial_number | trim }}/y"),
            "x/<duo-serial-number>/y"
        );
        assert_eq!(placeholder("no template"), "no template");
        assert_eq!(placeholder("{{ open"), "{{ open");
    }
}
