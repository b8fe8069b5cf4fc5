//! What actions produce at run time, and how templates see it. Plain values are JSON;
//! secrets stay [`Secret`]s and reach only parameters that accept them; a value can also
//! be unavailable (its action was skipped, or a secret was not kept across a resume),
//! with the reason.

use std::collections::BTreeMap;

use minijinja::{Environment, ErrorKind, UndefinedBehavior};

use crate::parse::template;
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

/// The fuel one template or expression may burn at run time (minijinja's budget: about
/// one unit per instruction and per 64 bytes it creates, so also about 6 MB of data).
/// A reference costs a handful; seven nested loops over ten characters need ten million.
pub const TEMPLATE_FUEL: u64 = 100_000;

/// The largest value one template may render to: far more than any AWS parameter (a name
/// is at most 128 characters, an ARN 2,048), far less than memory.
pub const MAX_RENDERED_BYTES: usize = 64 * 1024;

/// The environment templates and expressions are evaluated in: strict about undefined
/// names, and with [`TEMPLATE_FUEL`].
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(TEMPLATE_FUEL));
    env
}

/// What a template or expression failed with, saying which limit it ran into.
fn evaluation_error(error: &minijinja::Error, otherwise: &str) -> String {
    match error.kind() {
        ErrorKind::OutOfFuel => format!(
            "evaluating it takes more than the limit of {TEMPLATE_FUEL} steps (template fuel); templates are for references such as `{{{{ id.output }}}}`"
        ),
        _ => error.detail().unwrap_or(otherwise).to_string(),
    }
}

/// Collects rendered output, failing once it is larger than [`MAX_RENDERED_BYTES`].
#[derive(Default)]
struct Bounded {
    out: Vec<u8>,
    exceeded: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + bytes.len() > MAX_RENDERED_BYTES {
            self.exceeded = true;
            return Err(std::io::Error::other("the rendered value is too large"));
        }
        self.out.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

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

    pub fn set_skipped(&mut self, id: &str, reason: impl Into<String>) {
        self.entries
            .insert(id.to_string(), Entry::Skipped(reason.into()));
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
        let references =
            template::template_references(text).map_err(|error| ResolveError::Template {
                template: text.to_string(),
                message: error.message,
            })?;
        let mut context = serde_json::Map::new();
        for reference in &references {
            let value = match self.lookup(reference)? {
                Value::Plain(value) => value.clone(),
                Value::Secret(_) => {
                    return Err(ResolveError::Template {
                        template: text.to_string(),
                        message: format!(
                            "`{reference}` is secret and cannot be part of plain text"
                        ),
                    });
                }
                Value::Unavailable(_) => unreachable!("lookup rejects unavailable values"),
            };
            insert(&mut context, reference, value);
        }
        let env = environment();
        let failed = |message: String| ResolveError::Template {
            template: text.to_string(),
            message,
        };
        let template = env
            .template_from_str(text)
            .map_err(|error| failed(evaluation_error(&error, "invalid template")))?;
        let mut out = Bounded::default();
        let rendered = template
            .render_captured_to(
                minijinja::value::Serde(serde_json::Value::Object(context)),
                &mut out,
            )
            .map(drop);
        if out.exceeded {
            return Err(failed(format!(
                "the value would be larger than the limit of {} KiB for one rendered value",
                MAX_RENDERED_BYTES / 1024
            )));
        }
        rendered.map_err(|error| failed(evaluation_error(&error, "invalid template")))?;
        String::from_utf8(out.out).map_err(|_| failed("the value is not UTF-8 text".to_string()))
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

    /// Evaluate a `when`/`expect` expression; `own` are the action's own outputs.
    pub fn evaluate(&self, expression: &str, own: Option<&Outputs>) -> Result<bool, ResolveError> {
        let references = template::expression_references(expression).map_err(|error| {
            ResolveError::Template {
                template: expression.to_string(),
                message: error.message,
            }
        })?;
        let mut context = serde_json::Map::new();
        for reference in &references {
            let root = reference.split('.').next().unwrap_or(reference);
            let own_value = own.and_then(|outputs| outputs.get(root));
            let value = match own_value {
                Some(Value::Plain(value)) => {
                    context.insert(root.to_string(), value.clone());
                    continue;
                }
                Some(Value::Unavailable(reason)) => {
                    return Err(ResolveError::Unavailable {
                        reference: reference.clone(),
                        reason: reason.clone(),
                    });
                }
                Some(Value::Secret(_)) => {
                    return Err(ResolveError::Template {
                        template: expression.to_string(),
                        message: format!("`{reference}` is secret"),
                    });
                }
                None => match self.lookup(reference)? {
                    Value::Plain(value) => value.clone(),
                    _ => {
                        return Err(ResolveError::Template {
                            template: expression.to_string(),
                            message: format!("`{reference}` is secret"),
                        });
                    }
                },
            };
            insert(&mut context, reference, value);
        }
        let env = environment();
        let compiled =
            env.compile_expression(expression)
                .map_err(|error| ResolveError::Template {
                    template: expression.to_string(),
                    message: error.detail().unwrap_or("invalid expression").to_string(),
                })?;
        compiled
            .eval(minijinja::value::Serde(serde_json::Value::Object(context)))
            .map(|value| value.is_true())
            .map_err(|error| ResolveError::Template {
                template: expression.to_string(),
                message: evaluation_error(&error, "cannot evaluate"),
            })
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

/// Put `value` at the dotted `reference` path inside `context`.
fn insert(
    context: &mut serde_json::Map<String, serde_json::Value>,
    reference: &str,
    value: serde_json::Value,
) {
    let mut parts = reference.split('.').peekable();
    let mut map = context;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            map.insert(part.to_string(), value);
            return;
        }
        let entry = map
            .entry(part.to_string())
            .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
        if !entry.is_object() {
            *entry = serde_json::Value::Object(serde_json::Map::new());
        }
        map = entry.as_object_mut().expect("just made an object");
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

    /// Template bombs end in an error naming the limit, quickly and without the memory
    /// they ask for (issue 11, item 6).
    #[test]
    fn template_bombs_run_out_of_fuel_or_room() {
        let scope = scope();
        // Seven nested loops over ten characters (ten million iterations) and thirty
        // doublings of a string (2 GB): statements, which are rejected before evaluation...
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
            // ...and which the environment's fuel stops anyway.
            let error = environment().render_str(bomb, ()).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::OutOfFuel, "{error}");
        }
        // An expression asking for 100 MB at once, in a value and in a condition.
        let error = scope
            .render("{{ 'x' * 100000000 }}")
            .unwrap_err()
            .to_string();
        assert!(error.contains("limit of 100000 steps"), "{error}");
        let error = scope
            .evaluate("'x' * 100000000 == 'y'", None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("limit of 100000 steps"), "{error}");
        // 100 KB: within the fuel, over the size of one value.
        let error = scope.render("{{ 'x' * 100000 }}").unwrap_err().to_string();
        assert!(error.contains("limit of 64 KiB"), "{error}");
        assert_eq!(
            scope.render("{{ 'x' * 65536 }}").unwrap().len(),
            MAX_RENDERED_BYTES
        );
        // Too deep for minijinja's parser: rejected before it.
        let deep = format!("{{{{ {}me.is_root }}}}", "not ".repeat(10_000));
        let error = scope.render(&deep).unwrap_err().to_string();
        assert!(error.contains("more than 64 levels"), "{error}");
        let deep = format!("{}me.is_root", "not ".repeat(10_000));
        let error = scope.evaluate(&deep, None).unwrap_err().to_string();
        assert!(error.contains("more than 64 levels"), "{error}");
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
