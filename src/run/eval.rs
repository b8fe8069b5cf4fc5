//! Evaluating the expression language ([`crate::parse::expr`]) at run time, on JSON values.
//! `and`, `or` and `if … else` evaluate only the side they need, so `not me.is_root and
//! account.x` never looks at `account` when the caller is not root — a reference to an
//! action that was skipped matters only when it is evaluated.
//!
//! There are no loops or repetition in the language, so evaluation is bounded by the size
//! of the expression and of the values it refers to.

use serde_json::Value as Json;

use crate::parse::expr::{BinOp, Expr, Kind};

/// Why an expression could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// A value it needs is not there (its action was skipped, a secret was not kept);
    /// what [`Lookup`] said.
    Unavailable { reference: String, reason: String },
    /// The values did not fit the expression (which `check` rules out where it can).
    Invalid(String),
}

/// What the names of an expression are, at run time.
pub trait Lookup {
    /// The value of a dotted reference (`duo.serial_number`, `device_name`, or in `expect`
    /// an output of the action itself: `count`).
    fn reference(&self, reference: &str) -> Result<Json, EvalError>;
}

fn invalid(message: impl Into<String>) -> EvalError {
    EvalError::Invalid(message.into())
}

pub fn evaluate(expr: &Expr, names: &dyn Lookup) -> Result<Json, EvalError> {
    // `input` and `id.output` are names; deeper fields are fields of their values.
    if let Some(reference) = expr.reference()
        && reference.matches('.').count() <= 1
    {
        return names.reference(&reference);
    }
    match &expr.kind {
        Kind::Str(text) => Ok(Json::String(text.clone())),
        Kind::Int(value) => Ok(Json::from(*value)),
        Kind::Bool(value) => Ok(Json::Bool(*value)),
        Kind::None => Ok(Json::Null),
        Kind::Name(_) => unreachable!("a name is a reference"),
        Kind::Attr(value, name, _) => match evaluate(value, names)? {
            Json::Object(map) => map
                .get(name)
                .cloned()
                .ok_or_else(|| invalid(format!("the item has no field `{name}`"))),
            other => Err(invalid(format!("{} has no field `{name}`", kind(&other)))),
        },
        Kind::Index(value, index) => {
            let container = evaluate(value, names)?;
            let at = evaluate(index, names)?;
            let at = at.as_i64().ok_or_else(|| {
                invalid(format!("an index must be an integer, not {}", kind(&at)))
            })?;
            match container {
                Json::Array(items) => {
                    let position = if at < 0 { items.len() as i64 + at } else { at };
                    usize::try_from(position)
                        .ok()
                        .and_then(|i| items.get(i).cloned())
                        .ok_or_else(|| {
                            invalid(format!(
                                "there is no item {at}: the list has {} item(s)",
                                items.len()
                            ))
                        })
                }
                Json::String(text) => {
                    let chars: Vec<char> = text.chars().collect();
                    let position = if at < 0 { chars.len() as i64 + at } else { at };
                    usize::try_from(position)
                        .ok()
                        .and_then(|i| chars.get(i))
                        .map(|c| Json::String(c.to_string()))
                        .ok_or_else(|| invalid(format!("there is no character {at}")))
                }
                other => Err(invalid(format!("{} has no items", kind(&other)))),
            }
        }
        Kind::List(items) => items
            .iter()
            .map(|item| evaluate(item, names))
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array),
        Kind::Not(inner) => Ok(Json::Bool(!truth(&evaluate(inner, names)?)?)),
        Kind::Neg(inner) => {
            let value = integer(&evaluate(inner, names)?)?;
            value
                .checked_neg()
                .map(Json::from)
                .ok_or_else(|| invalid("the number is too large"))
        }
        Kind::Binary(BinOp::And, left, right) => {
            if !truth(&evaluate(left, names)?)? {
                return Ok(Json::Bool(false));
            }
            Ok(Json::Bool(truth(&evaluate(right, names)?)?))
        }
        Kind::Binary(BinOp::Or, left, right) => {
            if truth(&evaluate(left, names)?)? {
                return Ok(Json::Bool(true));
            }
            Ok(Json::Bool(truth(&evaluate(right, names)?)?))
        }
        Kind::Binary(op, left, right) => {
            let l = evaluate(left, names)?;
            let r = evaluate(right, names)?;
            binary(*op, &l, &r)
        }
        Kind::If {
            then,
            cond,
            otherwise,
        } => {
            if truth(&evaluate(cond, names)?)? {
                evaluate(then, names)
            } else {
                otherwise
                    .as_ref()
                    .map_or(Ok(Json::Null), |otherwise| evaluate(otherwise, names))
            }
        }
        Kind::Filter {
            value, name, args, ..
        } => {
            let input = evaluate(value, names)?;
            let args = args
                .iter()
                .map(|arg| evaluate(arg, names))
                .collect::<Result<Vec<_>, _>>()?;
            filter(name, input, &args)
        }
    }
}

/// The references an expression reads (`count`, `me.is_root`), in order, each once: what
/// a failed expectation shows the values of.
pub fn references(expr: &Expr) -> Vec<String> {
    expr.references()
}

/// A condition's value: `when` and `expect` are true or false, nothing else.
pub fn truth(value: &Json) -> Result<bool, EvalError> {
    value
        .as_bool()
        .ok_or_else(|| invalid(format!("expected true or false, got {}", kind(value))))
}

fn integer(value: &Json) -> Result<i64, EvalError> {
    value
        .as_i64()
        .ok_or_else(|| invalid(format!("expected an integer, got {}", kind(value))))
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "none",
        Json::Bool(_) => "a boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a record",
    }
}

/// The text form of a value in a template: strings as they are, numbers and booleans
/// written out, none as nothing. Lists and records have none (`check` says so first).
pub fn text(value: &Json) -> Result<String, EvalError> {
    match value {
        Json::String(text) => Ok(text.clone()),
        Json::Number(number) => Ok(number.to_string()),
        Json::Bool(value) => Ok(value.to_string()),
        Json::Null => Ok(String::new()),
        other => Err(invalid(format!("{} cannot be put into text", kind(other)))),
    }
}

fn equal(l: &Json, r: &Json) -> bool {
    match (l.as_i64(), r.as_i64()) {
        (Some(a), Some(b)) => a == b,
        _ => l == r,
    }
}

fn binary(op: BinOp, l: &Json, r: &Json) -> Result<Json, EvalError> {
    let ordering = || -> Result<std::cmp::Ordering, EvalError> {
        match (l, r) {
            (Json::String(a), Json::String(b)) => Ok(a.cmp(b)),
            _ => match (l.as_i64(), r.as_i64()) {
                (Some(a), Some(b)) => Ok(a.cmp(&b)),
                _ => Err(invalid(format!("cannot order {} and {}", kind(l), kind(r)))),
            },
        }
    };
    let arithmetic = |f: fn(i64, i64) -> Option<i64>, what: &str| -> Result<Json, EvalError> {
        let (a, b) = (integer(l)?, integer(r)?);
        f(a, b)
            .map(Json::from)
            .ok_or_else(|| invalid(format!("{what} is not defined for {a} and {b}")))
    };
    Ok(match op {
        BinOp::Eq => Json::Bool(equal(l, r)),
        BinOp::Ne => Json::Bool(!equal(l, r)),
        BinOp::Lt => Json::Bool(ordering()?.is_lt()),
        BinOp::Le => Json::Bool(ordering()?.is_le()),
        BinOp::Gt => Json::Bool(ordering()?.is_gt()),
        BinOp::Ge => Json::Bool(ordering()?.is_ge()),
        BinOp::In | BinOp::NotIn => {
            let found = match r {
                Json::Array(items) => items.iter().any(|item| equal(item, l)),
                Json::String(haystack) => haystack.contains(text(l)?.as_str()),
                other => {
                    return Err(invalid(format!(
                        "`in` looks in a list or a string, not {}",
                        kind(other)
                    )));
                }
            };
            Json::Bool(found == (op == BinOp::In))
        }
        BinOp::Concat => Json::String(text(l)? + &text(r)?),
        BinOp::Add => arithmetic(i64::checked_add, "adding")?,
        BinOp::Sub => arithmetic(i64::checked_sub, "subtracting")?,
        BinOp::Mul => arithmetic(i64::checked_mul, "multiplying")?,
        BinOp::FloorDiv => arithmetic(|a, b| (b != 0).then(|| a.div_euclid(b)), "dividing")?,
        BinOp::Mod => arithmetic(|a, b| (b != 0).then(|| a.rem_euclid(b)), "the remainder")?,
        BinOp::And | BinOp::Or => unreachable!("short-circuited above"),
    })
}

fn filter(name: &str, input: Json, args: &[Json]) -> Result<Json, EvalError> {
    fn as_text<'v>(name: &str, value: &'v Json) -> Result<&'v str, EvalError> {
        match value {
            Json::String(text) => Ok(text.as_str()),
            other => Err(invalid(format!(
                "`{name}` works on a string, not {}",
                kind(other)
            ))),
        }
    }
    let as_list = |value: &Json| match value {
        Json::Array(items) => Ok(items.clone()),
        other => Err(invalid(format!(
            "`{name}` works on a list, not {}",
            kind(other)
        ))),
    };
    Ok(match name {
        "length" | "count" => match &input {
            Json::Array(items) => Json::from(items.len()),
            Json::String(text) => Json::from(text.chars().count()),
            other => {
                return Err(invalid(format!(
                    "`length` counts a list or a string, not {}",
                    kind(other)
                )));
            }
        },
        "lower" => Json::String(as_text(name, &input)?.to_lowercase()),
        "upper" => Json::String(as_text(name, &input)?.to_uppercase()),
        "trim" => Json::String(as_text(name, &input)?.trim().to_string()),
        "join" => {
            let separator = match args.first() {
                Some(separator) => text(separator)?,
                None => String::new(),
            };
            let items = as_list(&input)?;
            let texts = items.iter().map(text).collect::<Result<Vec<_>, _>>()?;
            Json::String(texts.join(&separator))
        }
        "first" | "last" => {
            let item = match &input {
                Json::Array(items) if name == "first" => items.first().cloned(),
                Json::Array(items) => items.last().cloned(),
                Json::String(text) if name == "first" => {
                    text.chars().next().map(|c| c.to_string().into())
                }
                Json::String(text) => text.chars().last().map(|c| c.to_string().into()),
                other => {
                    return Err(invalid(format!(
                        "`{name}` works on a list, not {}",
                        kind(other)
                    )));
                }
            };
            item.unwrap_or(Json::Null)
        }
        "default" | "d" => {
            let empty = match &input {
                Json::Null => true,
                Json::String(text) => text.is_empty(),
                _ => false,
            };
            if empty {
                args.first().cloned().unwrap_or(Json::Null)
            } else {
                input
            }
        }
        "string" => Json::String(text(&input)?),
        "int" => match &input {
            Json::String(text) => text
                .trim()
                .parse::<i64>()
                .map(Json::from)
                .map_err(|_| invalid(format!("`{text}` is not a whole number")))?,
            other => Json::from(integer(other)?),
        },
        other => return Err(invalid(format!("there is no filter `{other}`"))),
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::parse::expr::parse_expression;

    /// Names, with every reference looked up recorded.
    struct Names {
        values: BTreeMap<&'static str, Json>,
        looked_up: RefCell<Vec<String>>,
    }

    impl Lookup for Names {
        fn reference(&self, reference: &str) -> Result<Json, EvalError> {
            self.looked_up.borrow_mut().push(reference.to_string());
            self.values
                .get(reference)
                .cloned()
                .ok_or_else(|| EvalError::Unavailable {
                    reference: reference.to_string(),
                    reason: "skipped".into(),
                })
        }
    }

    fn names() -> Names {
        Names {
            values: BTreeMap::from([
                ("me.is_root", json!(false)),
                ("count", json!(2)),
                ("team", json!("web")),
                (
                    "final.devices",
                    json!([{"serial_number": "arn:a", "kind": "virtual"}, {"serial_number": "arn:b", "kind": "security-key"}]),
                ),
            ]),
            looked_up: RefCell::default(),
        }
    }

    fn eval(text: &str, names: &Names) -> Result<Json, EvalError> {
        evaluate(&parse_expression(text).unwrap(), names)
    }

    #[test]
    fn values_and_operators() {
        let n = names();
        for (text, expected) in [
            ("not me.is_root", json!(true)),
            ("count >= 2 and team == 'web'", json!(true)),
            ("count // 3 + count % 3 * 10", json!(20)),
            ("final.devices|length", json!(2)),
            ("final.devices[1].kind", json!("security-key")),
            ("final.devices[-1].serial_number", json!("arn:b")),
            ("'we' in team", json!(true)),
            ("'x' not in ['a', 'b']", json!(true)),
            ("team ~ '-' ~ count", json!("web-2")),
            ("team|upper", json!("WEB")),
            ("['a', 'b']|join(', ')", json!("a, b")),
            ("'yes' if count > 1 else 'no'", json!("yes")),
            ("'' |default('none')", json!("none")),
            ("'42'|int + 1", json!(43)),
        ] {
            assert_eq!(eval(text, &n), Ok(expected), "{text}");
        }
    }

    #[test]
    fn and_or_and_if_evaluate_only_what_they_need() {
        let n = names();
        // `skipped.x` is unavailable: reading it fails, but it is never read.
        assert_eq!(eval("me.is_root and skipped.x", &n), Ok(json!(false)));
        assert_eq!(eval("not me.is_root or skipped.x", &n), Ok(json!(true)));
        assert_eq!(
            eval("skipped.x if me.is_root else 'fine'", &n),
            Ok(json!("fine"))
        );
        assert!(
            !n.looked_up
                .borrow()
                .iter()
                .any(|r| r.starts_with("skipped"))
        );
        // When it is needed, the reason is what the lookup said.
        assert_eq!(
            eval("not me.is_root and skipped.x", &n),
            Err(EvalError::Unavailable {
                reference: "skipped.x".into(),
                reason: "skipped".into()
            })
        );
    }

    #[test]
    fn values_that_do_not_fit_are_errors_not_guesses() {
        let n = names();
        assert!(
            matches!(eval("count >= '1'", &n), Err(EvalError::Invalid(m)) if m.contains("cannot order"))
        );
        assert!(
            matches!(eval("count and true", &n), Err(EvalError::Invalid(m)) if m.contains("true or false"))
        );
        assert!(
            matches!(eval("final.devices[5]", &n), Err(EvalError::Invalid(m)) if m.contains("no item 5"))
        );
        assert!(matches!(eval("count // 0", &n), Err(EvalError::Invalid(_))));
        assert!(matches!(
            eval("9223372036854775807 + 1", &n),
            Err(EvalError::Invalid(_))
        ));
        assert!(text(&json!([1])).is_err());
        assert_eq!(text(&json!(null)), Ok(String::new()));
    }
}
