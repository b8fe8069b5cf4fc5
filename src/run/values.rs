//! What actions produce at run time, and how templates see it. Plain values are JSON;
//! secrets stay [`Secret`]s and reach only parameters that accept them; a value can also
//! be unavailable (its action was skipped, or a secret was not kept across a resume),
//! with the reason.

use std::collections::BTreeMap;

use crate::parse::{expr, template};
use crate::run::eval;
use crate::secret::Secret;

#[derive(Clone, Debug)]
pub enum Value {
    Plain(serde_json::Value),
    Secret(Secret),
    Unavailable(String),
}

impl Value {
    pub fn plain(value: impl Into<serde_json::Value>) -> Value {
        Value::Plain(value.into())
    }
}

/// The largest value one template may render to: far more than any AWS parameter (a name
/// is at most 128 characters, an ARN 2,048), far less than memory.
pub const MAX_RENDERED_BYTES: usize = 64 * 1024;

/// The scope as the evaluator sees it: the action's own outputs first (in `expect`),
/// then everything defined so far; secrets are never values of an expression.
struct Names<'a> {
    scope: &'a Scope,
    own: Option<&'a Outputs>,
    /// The template or expression, for messages.
    what: &'a str,
}

impl eval::Lookup for Names<'_> {
    fn reference(&self, reference: &str) -> Result<serde_json::Value, eval::EvalError> {
        let root = reference.split('.').next().unwrap_or(reference);
        let value = match self.own.and_then(|outputs| outputs.get(root)) {
            Some(value) if root == reference => value,
            _ => self.scope.lookup(reference).map_err(|error| match error {
                ResolveError::Unavailable { reference, reason } => {
                    eval::EvalError::Unavailable { reference, reason }
                }
                ResolveError::Template { message, .. } => eval::EvalError::Invalid(message),
            })?,
        };
        match value {
            Value::Plain(value) => Ok(value.clone()),
            Value::Secret(_) => Err(eval::EvalError::Invalid(format!(
                "`{reference}` is secret and cannot be part of plain text or a condition (in `{}`)",
                self.what
            ))),
            Value::Unavailable(reason) => Err(eval::EvalError::Unavailable {
                reference: reference.to_string(),
                reason: reason.clone(),
            }),
        }
    }
}

fn resolve_error(error: eval::EvalError, what: &str) -> ResolveError {
    match error {
        eval::EvalError::Unavailable { reference, reason } => {
            ResolveError::Unavailable { reference, reason }
        }
        eval::EvalError::Invalid(message) => ResolveError::Template {
            template: what.to_string(),
            message,
        },
    }
}

/// Why a dry run skipped an action that would change something.
pub const DRY_RUN_SKIPPED: &str = "--dry-run changes nothing";

/// The outputs of one action, by name.
pub type Outputs = BTreeMap<String, Value>;

/// Everything defined so far in a run: inputs (one value) and actions (named outputs).
#[derive(Clone, Debug, Default)]
pub struct Scope {
    entries: BTreeMap<String, Entry>,
}

#[derive(Clone, Debug)]
enum Entry {
    Value(Value),
    Fields(Outputs),
    /// The action did not run; every reference to it is unavailable for this reason.
    Skipped(String),
}

/// Why a template could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("`{reference}` is not available: {reason}")]
    Unavailable { reference: String, reason: String },
    #[error("cannot resolve `{template}`: {message}")]
    Template { template: String, message: String },
}

impl Scope {
    pub fn set_value(&mut self, id: &str, value: Value) {
        self.entries.insert(id.to_string(), Entry::Value(value));
    }

    pub fn set_outputs(&mut self, id: &str, outputs: Outputs) {
        self.entries.insert(id.to_string(), Entry::Fields(outputs));
    }

    /// The item of a `for_each`: a record's fields as `name.<field>`, anything else as
    /// `name`.
    pub fn set_item(&mut self, name: &str, item: &serde_json::Value) {
        let entry = match item {
            serde_json::Value::Object(fields) => Entry::Fields(
                fields
                    .iter()
                    .map(|(field, value)| (field.clone(), Value::Plain(value.clone())))
                    .collect(),
            ),
            other => Entry::Value(Value::Plain(other.clone())),
        };
        self.entries.insert(name.to_string(), entry);
    }

    pub fn set_skipped(&mut self, id: &str, reason: impl Into<String>) {
        self.entries
            .insert(id.to_string(), Entry::Skipped(reason.into()));
    }

    /// Whether `id` ran (it has outputs or a value, not a skip).
    pub fn lookup_entry_ran(&self, id: &str) -> bool {
        matches!(
            self.entries.get(id),
            Some(Entry::Fields(_) | Entry::Value(_))
        )
    }

    /// Whether a dry run has left out a change so far (an action skipped with
    /// [`DRY_RUN_SKIPPED`]): only then may a false expectation be the effect of a change
    /// not made, rather than the account's real state.
    pub fn dry_run_changes_pending(&self) -> bool {
        self.entries
            .values()
            .any(|entry| matches!(entry, Entry::Skipped(reason) if reason == DRY_RUN_SKIPPED))
    }

    pub fn contains(&self, id: &str) -> bool {
        self.entries.contains_key(id)
    }

    /// The value at `id` or `id.field`.
    pub fn lookup(&self, reference: &str) -> Result<&Value, ResolveError> {
        let (root, field) = match reference.split_once('.') {
            Some((root, field)) => (root, Some(field)),
            None => (reference, None),
        };
        let unavailable = |reason: String| ResolveError::Unavailable {
            reference: reference.to_string(),
            reason,
        };
        match (self.entries.get(root), field) {
            (None, _) => Err(unavailable(format!(
                "`{root}` has not run in this run (with --from or --only, its step must have finished in an earlier run)"
            ))),
            (Some(Entry::Skipped(reason)), _) => Err(unavailable(format!("`{root}` was skipped ({reason})"))),
            (Some(Entry::Value(value)), None) => Ok(value),
            (Some(Entry::Fields(outputs)), Some(field)) => outputs
                .get(field)
                .ok_or_else(|| unavailable(format!("`{root}` has no output `{field}`"))),
            (Some(_), _) => Err(unavailable("wrong shape".to_string())),
        }
        .and_then(|value| match value {
            Value::Unavailable(reason) => Err(unavailable(reason.clone())),
            value => Ok(value),
        })
    }

    /// Render a plain template; secrets are not visible to it.
    pub fn render(&self, text: &str) -> Result<String, ResolveError> {
        if !template::is_template(text) {
            return Ok(text.to_string());
        }
        let failed = |message: String| ResolveError::Template {
            template: text.to_string(),
            message,
        };
        template::template_limits(text).map_err(|limit| failed(limit.message()))?;
        let parts = expr::parse_template(text).map_err(|error| failed(error.message))?;
        let names = Names {
            scope: self,
            own: None,
            what: text,
        };
        let mut out = String::new();
        for part in parts {
            match part {
                expr::Part::Text(range) => out.push_str(&text[range]),
                expr::Part::Expr(expr) => {
                    let value = eval::evaluate(&expr, &names)
                        .map_err(|error| resolve_error(error, text))?;
                    out.push_str(&eval::text(&value).map_err(|error| resolve_error(error, text))?);
                }
            }
            if out.len() > MAX_RENDERED_BYTES {
                return Err(failed(format!(
                    "the value would be larger than the limit of {} KiB for one rendered value",
                    MAX_RENDERED_BYTES / 1024
                )));
            }
        }
        Ok(out)
    }

    /// Resolve a template that may carry a secret. A template that is exactly one
    /// reference (`{{ duo.seed }}`) is looked up directly, without copying the secret.
    pub fn resolve_secret(&self, text: &str) -> Result<Secret, ResolveError> {
        let trimmed = text.trim();
        if let Some(inner) = trimmed
            .strip_prefix("{{")
            .and_then(|t| t.strip_suffix("}}"))
        {
            let reference = inner.trim();
            if !reference.is_empty()
                && reference
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                return match self.lookup(reference)? {
                    Value::Secret(secret) => Ok(secret.clone()),
                    Value::Plain(serde_json::Value::String(text)) => Ok(Secret::new(text.clone())),
                    Value::Plain(other) => Ok(Secret::new(other.to_string())),
                    Value::Unavailable(_) => unreachable!("lookup rejects unavailable values"),
                };
            }
        }
        if template::is_template(text) {
            return Err(ResolveError::Template {
                template: text.to_string(),
                message: "a secret parameter must be a single reference such as `{{ duo.seed }}`"
                    .to_string(),
            });
        }
        Ok(Secret::new(text))
    }

    /// Evaluate a `when`/`expect` expression; `own` are the action's own outputs. Only
    /// what the expression needs is looked up (`and`, `or` and `if` short-circuit), so a
    /// skipped action matters only where its outputs are read.
    pub fn evaluate(&self, expression: &str, own: Option<&Outputs>) -> Result<bool, ResolveError> {
        self.value(expression, own)
            .and_then(|value| eval::truth(&value).map_err(|error| resolve_error(error, expression)))
    }

    /// What the references of an expression are, for a message: `count = 1, me.is_root =
    /// false`. Long values are cut; secrets and missing values say so.
    pub fn explain(&self, expression: &str, own: Option<&Outputs>) -> String {
        let Ok(parsed) = expr::parse_expression(expression) else {
            return String::new();
        };
        let names = Names {
            scope: self,
            own,
            what: expression,
        };
        eval::references(&parsed)
            .iter()
            .map(|reference| {
                let shown = match eval::Lookup::reference(&names, reference) {
                    Ok(value) => {
                        let text = value.to_string();
                        if text.chars().count() > 80 {
                            let cut: String = text.chars().take(77).collect();
                            format!("{cut}…")
                        } else {
                            text
                        }
                    }
                    Err(eval::EvalError::Unavailable { .. }) => "<not available>".to_string(),
                    Err(eval::EvalError::Invalid(_)) => "<secret>".to_string(),
                };
                format!("{reference} = {shown}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The value of an expression (a condition, or `for_each`'s list).
    pub fn value(
        &self,
        expression: &str,
        own: Option<&Outputs>,
    ) -> Result<serde_json::Value, ResolveError> {
        let failed = |message: String| ResolveError::Template {
            template: expression.to_string(),
            message,
        };
        template::expression_limits(expression).map_err(|limit| failed(limit.message()))?;
        let parsed = expr::parse_expression(expression).map_err(|error| failed(error.message))?;
        let names = Names {
            scope: self,
            own,
            what: expression,
        };
        eval::evaluate(&parsed, &names).map_err(|error| resolve_error(error, expression))
    }

    /// Plain outputs of an action, for the journal and JSON events (secrets left out).
    pub fn plain_outputs(outputs: &Outputs) -> BTreeMap<String, serde_json::Value> {
        outputs
            .iter()
            .filter_map(|(name, value)| match value {
                Value::Plain(value) => Some((name.clone(), value.clone())),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        let mut scope = Scope::default();
        scope.set_value("device_name", Value::plain("DuoMobile"));
        let mut me = Outputs::new();
        me.insert("user_name".into(), Value::plain("alice"));
        me.insert("is_root".into(), Value::plain(false));
        scope.set_outputs("me", me);
        let mut duo = Outputs::new();
        duo.insert(
            "serial_number".into(),
            Value::plain("arn:aws:iam::1:mfa/DuoMobile"),
        );
        duo.insert("seed".into(), Value::Secret(Secret::new("SEEDSEED")));
        scope.set_outputs("duo", duo);
        scope.set_skipped("root", "when: me.is_root");
        scope
    }

    #[test]
    fn renders_plain_templates() {
        let scope = scope();
        assert_eq!(
            scope
                .render("{{ me.user_name }}@{{ device_name }}")
                .unwrap(),
            "alice@DuoMobile"
        );
        assert_eq!(scope.render("no template").unwrap(), "no template");
    }

    #[test]
    fn secrets_never_render_into_plain_text() {
        let error = scope().render("x{{ duo.seed }}").unwrap_err();
        assert!(!error.to_string().contains("SEEDSEED"), "{error}");
    }

    #[test]
    fn secret_references_resolve_directly() {
        assert_eq!(
            scope().resolve_secret("{{ duo.seed }}").unwrap().expose(),
            "SEEDSEED"
        );
        assert!(scope().resolve_secret("x{{ duo.seed }}").is_err());
    }

    #[test]
    fn skipped_actions_explain_themselves() {
        let error = scope().render("{{ root.serial_number }}").unwrap_err();
        assert!(
            error.to_string().contains("was skipped (when: me.is_root)"),
            "{error}"
        );
    }

    /// Template bombs end in an error, quickly and without the memory they ask for
    /// (issue 11, item 6): statements are not part of the language, and there is no
    /// repetition of text or any loop to spend time in.
    #[test]
    fn template_bombs_are_not_part_of_the_language() {
        let scope = scope();
        let loops: String = (0..7)
            .map(|i| format!("{{% for v{i} in '0123456789' %}}"))
            .collect::<String>()
            + "x"
            + &"{% endfor %}".repeat(7);
        let doubling = format!(
            "{{% set s = 'ab' %}}{}{{{{ s }}}}",
            "{% set s = s ~ s %}".repeat(30)
        );
        for bomb in [&loops, &doubling] {
            let error = scope.render(bomb).unwrap_err().to_string();
            assert!(error.contains("statements are not allowed"), "{error}");
        }
        let error = scope
            .render("{{ 'x' * 100000000 }}")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("expected an integer, got a string"),
            "{error}"
        );
        let error = scope
            .evaluate("'x' * 100000000 == 'y'", None)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("expected an integer, got a string"),
            "{error}"
        );
        // Too deep: rejected before the parser.
        let deep = format!("{{{{ {}me.is_root }}}}", "not ".repeat(10_000));
        let error = scope.render(&deep).unwrap_err().to_string();
        assert!(error.contains("more than 64 levels"), "{error}");
        let deep = format!("{}me.is_root", "not ".repeat(10_000));
        let error = scope.evaluate(&deep, None).unwrap_err().to_string();
        assert!(error.contains("more than 64 levels"), "{error}");
    }

    #[test]
    fn a_long_value_stops_at_the_size_limit() {
        let mut scope = scope();
        scope.set_value("long", Value::plain("x".repeat(40 * 1024)));
        let error = scope.render("{{ long ~ long }}").unwrap_err().to_string();
        assert!(error.contains("limit of 64 KiB"), "{error}");
        assert_eq!(scope.render("{{ long }}").unwrap().len(), 40 * 1024);
    }

    #[test]
    fn conditions_short_circuit_past_skipped_actions() {
        let scope = scope();
        assert!(
            !scope
                .evaluate("me.is_root and root.serial_number == 'x'", None)
                .unwrap()
        );
        let error = scope
            .evaluate("not me.is_root and root.serial_number == 'x'", None)
            .unwrap_err();
        assert!(matches!(error, ResolveError::Unavailable { .. }), "{error}");
    }

    #[test]
    fn expressions_see_own_outputs_and_scope() {
        let scope = scope();
        let mut own = Outputs::new();
        own.insert("count".into(), Value::plain(2));
        assert!(
            scope
                .evaluate("count >= 1 and not me.is_root", Some(&own))
                .unwrap()
        );
        assert!(!scope.evaluate("count > 5", Some(&own)).unwrap());
        assert!(scope.evaluate("duo.seed", None).is_err());
    }
}
