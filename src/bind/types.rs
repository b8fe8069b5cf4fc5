//! Types of expressions and templates, checked before anything runs: a comparison of an
//! integer with a string, a list put into a text parameter, a misspelled field of a list
//! item, a condition that is not true-or-false — each is a diagnostic with a span, not a
//! surprise at run time.

use std::fmt;
use std::ops::Range;

use crate::bind::action::{Field, Output, OutputType};
use crate::parse::expr::{BinOp, Expr, Kind};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    Str,
    Int,
    Bool,
    /// RFC 3339 text; compares in time order.
    Time,
    List(Box<Type>),
    /// A list item with declared fields.
    Record(&'static [Field]),
    None,
    /// Not known here (an undefined name, already reported): anything goes.
    Any,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Str => f.write_str("a string"),
            Type::Int => f.write_str("an integer"),
            Type::Bool => f.write_str("a boolean"),
            Type::Time => f.write_str("a timestamp"),
            Type::List(item) => match item.as_ref() {
                Type::Record(_) => f.write_str("a list of records"),
                Type::Any => f.write_str("a list"),
                item => write!(f, "a list of {}", plural(item)),
            },
            Type::Record(_) => f.write_str("a record"),
            Type::None => f.write_str("none"),
            Type::Any => f.write_str("a value"),
        }
    }
}

fn plural(item: &Type) -> &'static str {
    match item {
        Type::Str => "strings",
        Type::Int => "integers",
        Type::Bool => "booleans",
        Type::Time => "timestamps",
        _ => "values",
    }
}

impl Type {
    pub fn of_output(output: &Output) -> Type {
        match output.ty {
            OutputType::List if !output.items.is_empty() => {
                Type::List(Box::new(Type::Record(output.items)))
            }
            ty => Type::scalar(ty),
        }
    }

    fn scalar(ty: OutputType) -> Type {
        match ty {
            OutputType::String => Type::Str,
            OutputType::Integer => Type::Int,
            OutputType::Boolean => Type::Bool,
            OutputType::Timestamp => Type::Time,
            OutputType::List => Type::List(Box::new(Type::Any)),
        }
    }

    fn is_any(&self) -> bool {
        matches!(self, Type::Any)
    }

    /// Strings and timestamps are both text.
    fn texty(&self) -> bool {
        matches!(self, Type::Str | Type::Time | Type::Any)
    }

    fn scalar_like(&self) -> bool {
        matches!(
            self,
            Type::Str | Type::Int | Type::Bool | Type::Time | Type::None | Type::Any
        )
    }

    /// Whether values of the two types can be compared for equality meaningfully.
    fn comparable(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Any, _) | (_, Type::Any) | (Type::None, _) | (_, Type::None) => true,
            (a, b) if a.texty() && b.texty() => true,
            (Type::List(a), Type::List(b)) => a.comparable(b),
            (a, b) => a == b,
        }
    }
}

/// What a name in an expression is.
#[derive(Clone, Debug)]
pub enum Named {
    /// An input's value.
    Value(Type),
    /// An action's outputs, as fields of its id.
    Fields(&'static [Output]),
    /// A `for_each` action's outputs: each `id.<name>` is the list of every item's value.
    Collected(&'static [Output]),
}

/// A type problem: where (in the expression's text), what, and what to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    pub code: &'static str,
    pub message: String,
    pub span: Range<usize>,
    pub help: String,
}

/// What an expression must give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// `when` and `expect`: true or false.
    Condition,
    /// A `{{ }}` in text: something with a text form.
    Text,
    /// `for_each`: a list.
    List,
}

/// The filters expressions may use: the name, the types of value it takes (as words),
/// and what it gives.
pub const FILTERS: &[(&str, &str)] = &[
    (
        "length",
        "the number of items of a list, or characters of a string",
    ),
    ("lower", "a string in lower case"),
    ("upper", "a string in upper case"),
    ("trim", "a string without surrounding white space"),
    (
        "join",
        "the items of a list joined by a separator: `names|join(', ')`",
    ),
    ("first", "the first item of a list"),
    ("last", "the last item of a list"),
    (
        "default",
        "the value, or the argument when it is none or empty: `x|default('none')`",
    ),
    ("string", "a value's text"),
    ("int", "a string of digits as an integer"),
];

/// Check `expr` (whose spans are relative to its text) and say what it gives; every
/// problem found is pushed to `errors`. `lookup` says what a name is.
pub fn check(
    expr: &Expr,
    want: Want,
    lookup: &dyn Fn(&str) -> Option<Named>,
    errors: &mut Vec<TypeError>,
) -> Type {
    let ty = infer(expr, lookup, errors);
    let wrong = match want {
        Want::Condition => !matches!(ty, Type::Bool | Type::Any),
        Want::Text => !ty.scalar_like(),
        Want::List => !matches!(ty, Type::List(_) | Type::Any),
    };
    if wrong {
        let (code, message, help) = match want {
            Want::Condition => (
                "not-a-condition",
                format!("this condition is {ty}, not true or false"),
                match &ty {
                    Type::List(_) | Type::Str => format!(
                        "compare it, e.g. `{expr_text}|length > 0`",
                        expr_text = short(expr)
                    ),
                    Type::Int => format!("compare it, e.g. `{} >= 1`", short(expr)),
                    _ => "write a comparison, e.g. `count >= 1`, or a boolean output".into(),
                },
            ),
            Want::Text => (
                "not-text",
                format!("{ty} cannot be put into text"),
                not_text_help(&short(expr), &ty),
            ),
            Want::List => (
                "not-a-list",
                format!("`for_each` needs a list; this is {ty}"),
                "give it a list output, e.g. `for_each = \"devices.devices\"` (`runbook actions` shows which outputs are lists)".into(),
            ),
        };
        errors.push(TypeError {
            code,
            message,
            span: expr.span.clone(),
            help,
        });
    }
    ty
}

/// What to write instead of a list or record in text.
pub fn not_text_help(what: &str, ty: &Type) -> String {
    match ty {
        Type::List(item) => match item.as_ref() {
            Type::Record(fields) => {
                let field = fields.first().map_or("field", |f| f.name);
                format!(
                    "pick one item's field (`{what}[0].{field}`) or count them (`{what}|length`)"
                )
            }
            _ => format!(
                "join the items (`{what}|join(', ')`), pick one (`{what}[0]`) or count them (`{what}|length`)"
            ),
        },
        Type::Record(fields) => {
            let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
            format!("refer to one of its fields: {}", names.join(", "))
        }
        _ => "refer to a value with a text form".into(),
    }
}

/// The expression as written, shortened for a help line.
fn short(expr: &Expr) -> String {
    expr.reference().unwrap_or_else(|| "the value".to_string())
}

fn infer(expr: &Expr, lookup: &dyn Fn(&str) -> Option<Named>, errors: &mut Vec<TypeError>) -> Type {
    match &expr.kind {
        Kind::Str(_) => Type::Str,
        Kind::Int(_) => Type::Int,
        Kind::Bool(_) => Type::Bool,
        Kind::None => Type::None,
        Kind::Name(name) => match lookup(name) {
            Some(Named::Value(ty)) => ty,
            // `duo` alone, for an action: its outputs are `duo.<name>`; reported elsewhere.
            Some(Named::Fields(_) | Named::Collected(_)) | None => Type::Any,
        },
        Kind::Attr(value, name, name_span) => {
            if let Kind::Name(root) = &value.kind
                && let Some(Named::Fields(outputs)) = lookup(root)
            {
                // Unknown outputs are reported with the reference checks.
                return outputs
                    .iter()
                    .find(|output| output.name == name)
                    .map_or(Type::Any, Type::of_output);
            }
            if let Kind::Name(root) = &value.kind
                && let Some(Named::Collected(outputs)) = lookup(root)
            {
                return outputs
                    .iter()
                    .find(|output| output.name == name)
                    .map_or(Type::Any, |output| {
                        Type::List(Box::new(Type::of_output(output)))
                    });
            }
            match infer(value, lookup, errors) {
                Type::Record(fields) => match fields.iter().find(|f| f.name == name) {
                    Some(field) => Type::scalar(field.ty),
                    None => {
                        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
                        let suggestion =
                            crate::parse::diagnostic::did_you_mean(name, names.iter().copied());
                        err(
                            errors,
                            "unknown-field",
                            format!("the items have no field `{name}`"),
                            name_span,
                            match suggestion {
                                Some(s) => format!(
                                    "did you mean `{s}`? the fields are: {}",
                                    names.join(", ")
                                ),
                                None => format!("the fields are: {}", names.join(", ")),
                            },
                        )
                    }
                },
                Type::List(item) => err(
                    errors,
                    "type-mismatch",
                    format!(
                        "`{}` is a list: its items have fields, it has none",
                        short(value)
                    ),
                    name_span,
                    match item.as_ref() {
                        Type::Record(fields) if fields.iter().any(|f| f.name == name) => format!(
                            "pick an item first: `{}[0].{name}`, or loop over them with `for_each`",
                            short(value)
                        ),
                        _ => format!("pick an item first: `{}[0]`", short(value)),
                    },
                ),
                Type::Any => Type::Any,
                other => err(
                    errors,
                    "type-mismatch",
                    format!("{other} has no field `{name}`"),
                    name_span,
                    "only list items (records) have fields".into(),
                ),
            }
        }
        Kind::Index(value, index) => {
            let container = infer(value, lookup, errors);
            let at = infer(index, lookup, errors);
            if !matches!(at, Type::Int | Type::Any) {
                err(
                    errors,
                    "type-mismatch",
                    format!("an index must be an integer, not {at}"),
                    &index.span,
                    "items are numbered from 0: `devices[0]`".into(),
                );
            }
            match container {
                Type::List(item) => *item,
                Type::Str => Type::Str,
                Type::Any => Type::Any,
                other => err(
                    errors,
                    "type-mismatch",
                    format!("{other} has no items to index"),
                    &value.span,
                    "only lists (and strings) can be indexed".into(),
                ),
            }
        }
        Kind::List(items) => {
            let mut item_type = Type::Any;
            for item in items {
                let ty = infer(item, lookup, errors);
                if item_type.is_any() {
                    item_type = ty;
                } else if !ty.is_any() && !item_type.comparable(&ty) {
                    err(
                        errors,
                        "type-mismatch",
                        format!("a list of {} with {ty} in it", plural(&item_type)),
                        &item.span,
                        "keep a list's items of one type".into(),
                    );
                }
            }
            Type::List(Box::new(item_type))
        }
        Kind::Not(inner) => {
            let ty = infer(inner, lookup, errors);
            if !matches!(ty, Type::Bool | Type::Any) {
                err(
                    errors,
                    "type-mismatch",
                    format!("`not` needs true or false, and this is {ty}"),
                    &inner.span,
                    match ty {
                        Type::List(_) | Type::Str => {
                            format!("write `{}|length == 0`", short(inner))
                        }
                        Type::Int => format!("write `{} == 0`", short(inner)),
                        _ => "compare it first".into(),
                    },
                );
            }
            Type::Bool
        }
        Kind::Neg(inner) => {
            let ty = infer(inner, lookup, errors);
            if !matches!(ty, Type::Int | Type::Any) {
                err(
                    errors,
                    "type-mismatch",
                    format!("`-` needs an integer, and this is {ty}"),
                    &inner.span,
                    "negate integers only".into(),
                );
            }
            Type::Int
        }
        Kind::Binary(op, left, right) => {
            let l = infer(left, lookup, errors);
            let r = infer(right, lookup, errors);
            binary(*op, left, &l, right, &r, errors)
        }
        Kind::If {
            then,
            cond,
            otherwise,
        } => {
            let c = infer(cond, lookup, errors);
            if !matches!(c, Type::Bool | Type::Any) {
                err(
                    errors,
                    "not-a-condition",
                    format!("the condition after `if` is {c}, not true or false"),
                    &cond.span,
                    "write a comparison, e.g. `count >= 1`".into(),
                );
            }
            let t = infer(then, lookup, errors);
            match otherwise {
                Some(otherwise) => {
                    let o = infer(otherwise, lookup, errors);
                    if t.is_any() {
                        o
                    } else if o.is_any() || t.comparable(&o) {
                        t
                    } else {
                        err(
                            errors,
                            "type-mismatch",
                            format!("one branch gives {t}, the other {o}"),
                            &otherwise.span,
                            "make both branches the same type".into(),
                        )
                    }
                }
                None => t,
            }
        }
        Kind::Filter {
            value,
            name,
            name_span,
            args,
        } => {
            let input = infer(value, lookup, errors);
            let arg_types: Vec<Type> = args.iter().map(|a| infer(a, lookup, errors)).collect();
            filter(name, name_span, value, &input, args, &arg_types, errors)
        }
    }
}

fn binary(
    op: BinOp,
    left: &Expr,
    l: &Type,
    right: &Expr,
    r: &Type,
    errors: &mut Vec<TypeError>,
) -> Type {
    let mut mismatch = |message: String, span: Range<usize>, help: String| {
        err(errors, "type-mismatch", message, &span, help);
    };
    let both = left.span.start..right.span.end;
    match op {
        BinOp::And | BinOp::Or => {
            for (side, ty) in [(left, l), (right, r)] {
                if !matches!(ty, Type::Bool | Type::Any) {
                    mismatch(
                        format!("`{}` joins conditions, and this is {ty}", op.symbol()),
                        side.span.clone(),
                        "compare it first, e.g. `count >= 1`".into(),
                    );
                }
            }
            Type::Bool
        }
        BinOp::Eq | BinOp::Ne => {
            if !l.comparable(r) {
                mismatch(
                    format!("this compares {l} with {r}: it is never equal"),
                    both,
                    compare_help(left, l, right, r),
                );
            }
            Type::Bool
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ordered = |t: &Type| matches!(t, Type::Int | Type::Str | Type::Time | Type::Any);
            if !ordered(l) || !ordered(r) {
                let (side, ty) = if ordered(l) { (right, r) } else { (left, l) };
                mismatch(
                    format!(
                        "`{}` orders integers, strings or timestamps, not {ty}",
                        op.symbol()
                    ),
                    side.span.clone(),
                    match ty {
                        Type::List(_) => format!("compare its length: `{}|length`", short(side)),
                        _ => "compare counts, names or dates".into(),
                    },
                );
            } else if !(l.is_any() || r.is_any() || l == r || (l.texty() && r.texty())) {
                mismatch(
                    format!("this compares {l} with {r}"),
                    both,
                    compare_help(left, l, right, r),
                );
            }
            Type::Bool
        }
        BinOp::In | BinOp::NotIn => {
            match r {
                Type::List(item) if !item.comparable(l) => mismatch(
                    format!("looks for {l} in {r}"),
                    both,
                    "look for a value of the list's item type".into(),
                ),
                Type::Str | Type::Time if !l.texty() => mismatch(
                    format!("looks for {l} in a string"),
                    left.span.clone(),
                    "look for a string in a string".into(),
                ),
                Type::List(_) | Type::Str | Type::Time | Type::Any => {}
                other => mismatch(
                    format!("`in` looks in a list or a string, not {other}"),
                    right.span.clone(),
                    "write `x in [\"a\", \"b\"]`".into(),
                ),
            }
            Type::Bool
        }
        BinOp::Concat => {
            for (side, ty) in [(left, l), (right, r)] {
                if !ty.scalar_like() {
                    mismatch(
                        format!("`~` joins text, and this is {ty}"),
                        side.span.clone(),
                        format!("join a list's items with `{}|join(', ')`", short(side)),
                    );
                }
            }
            Type::Str
        }
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::FloorDiv | BinOp::Mod => {
            for (side, ty) in [(left, l), (right, r)] {
                if !matches!(ty, Type::Int | Type::Any) {
                    mismatch(
                        format!("`{}` works on integers, and this is {ty}", op.symbol()),
                        side.span.clone(),
                        if matches!(ty, Type::Str) && op == BinOp::Add {
                            "join text with `~`".into()
                        } else {
                            "use integers (counts) here".into()
                        },
                    );
                }
            }
            Type::Int
        }
    }
}

fn compare_help(left: &Expr, l: &Type, right: &Expr, r: &Type) -> String {
    let literal = |e: &Expr| match &e.kind {
        Kind::Str(text) if text.parse::<i64>().is_ok() => Some(text.clone()),
        _ => None,
    };
    match (l, r) {
        (Type::Int, Type::Str) => match literal(right) {
            Some(digits) => format!("compare with the number itself: `{digits}`, without quotes"),
            None => format!("turn the text into a number: `{}|int`", short(right)),
        },
        (Type::Str, Type::Int) => match literal(left) {
            Some(digits) => format!("compare with the number itself: `{digits}`, without quotes"),
            None => format!("turn the text into a number: `{}|int`", short(left)),
        },
        (Type::List(_), _) | (_, Type::List(_)) => "compare a list's length: `x|length`".into(),
        _ => "compare values of the same type".into(),
    }
}

fn filter(
    name: &str,
    name_span: &Range<usize>,
    value: &Expr,
    input: &Type,
    args: &[Expr],
    arg_types: &[Type],
    errors: &mut Vec<TypeError>,
) -> Type {
    let arity = |n: usize, errors: &mut Vec<TypeError>| {
        if args.len() != n {
            mismatch(
                errors,
                format!(
                    "`{name}` takes {} argument{}, not {}",
                    n,
                    if n == 1 { "" } else { "s" },
                    args.len()
                ),
                name_span.clone(),
                "see the filters in README's format section".into(),
            );
            return false;
        }
        true
    };
    let item = |t: &Type| match t {
        Type::List(item) => Some((**item).clone()),
        Type::Any => Some(Type::Any),
        _ => None,
    };
    match name {
        "length" | "count" => {
            arity(0, errors);
            if !matches!(input, Type::List(_) | Type::Str | Type::Any) {
                mismatch(
                    errors,
                    format!("`length` counts a list's items or a string's characters, not {input}"),
                    value.span.clone(),
                    "use it on a list output, e.g. `devices|length`".into(),
                );
            }
            Type::Int
        }
        "lower" | "upper" | "trim" => {
            arity(0, errors);
            if !input.texty() {
                mismatch(
                    errors,
                    format!("`{name}` works on a string, not {input}"),
                    value.span.clone(),
                    "use it on text".into(),
                );
            }
            Type::Str
        }
        "join" => {
            if args.len() > 1 {
                arity(1, errors);
            }
            match item(input) {
                Some(item) if item.scalar_like() => {}
                Some(_) => {
                    mismatch(
                        errors,
                        "`join` joins a list of strings or integers; these items are records"
                            .into(),
                        value.span.clone(),
                        "join one field of each item, e.g. with `for_each`".into(),
                    );
                }
                None => {
                    mismatch(
                        errors,
                        format!("`join` joins a list, not {input}"),
                        value.span.clone(),
                        "use it on a list".into(),
                    );
                }
            }
            if let Some(sep) = arg_types.first()
                && !sep.texty()
            {
                mismatch(
                    errors,
                    format!("the separator must be a string, not {sep}"),
                    args[0].span.clone(),
                    "e.g. `join(', ')`".into(),
                );
            }
            Type::Str
        }
        "first" | "last" => {
            arity(0, errors);
            match item(input) {
                Some(item) => item,
                None if matches!(input, Type::Str) => Type::Str,
                None => mismatch(
                    errors,
                    format!("`{name}` takes an item of a list, not of {input}"),
                    value.span.clone(),
                    "use it on a list".into(),
                ),
            }
        }
        "default" | "d" => {
            if arity(1, errors) {
                let fallback = &arg_types[0];
                if !input.comparable(fallback) {
                    mismatch(
                        errors,
                        format!("the default is {fallback}, the value {input}"),
                        args[0].span.clone(),
                        "give a default of the value's type".into(),
                    );
                }
            }
            if input.is_any() {
                arg_types.first().cloned().unwrap_or(Type::Any)
            } else {
                input.clone()
            }
        }
        "string" => {
            arity(0, errors);
            if !input.scalar_like() {
                mismatch(
                    errors,
                    format!("{input} has no single text form"),
                    value.span.clone(),
                    "join a list's items with `|join(', ')`".into(),
                );
            }
            Type::Str
        }
        "int" => {
            arity(0, errors);
            if !matches!(input, Type::Str | Type::Int | Type::Any) {
                mismatch(
                    errors,
                    format!("`int` reads a number from a string, not {input}"),
                    value.span.clone(),
                    "use it on text of digits".into(),
                );
            }
            Type::Int
        }
        _ => {
            let names: Vec<&str> = FILTERS.iter().map(|(n, _)| *n).collect();
            let suggestion = crate::parse::diagnostic::did_you_mean(name, names.iter().copied());
            errors.push(TypeError {
                code: "unknown-filter",
                message: format!("there is no filter `{name}`"),
                span: name_span.clone(),
                help: match suggestion {
                    Some(s) => format!("did you mean `{s}`? filters: {}", names.join(", ")),
                    None => format!("filters: {}", names.join(", ")),
                },
            });
            Type::Any
        }
    }
}

fn err(
    errors: &mut Vec<TypeError>,
    code: &'static str,
    message: String,
    span: &Range<usize>,
    help: String,
) -> Type {
    errors.push(TypeError {
        code,
        message,
        span: span.clone(),
        help,
    });
    Type::Any
}

fn mismatch(
    errors: &mut Vec<TypeError>,
    message: String,
    span: Range<usize>,
    help: String,
) -> Type {
    err(errors, "type-mismatch", message, &span, help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::expr::parse_expression;

    const DEVICE: &[Field] = &[
        Field::new("serial_number", OutputType::String, ""),
        Field::new("kind", OutputType::String, ""),
    ];
    const OUTPUTS: &[Output] = &[
        Output::list("devices", DEVICE, ""),
        Output::new("count", OutputType::Integer, ""),
        Output::new("is_root", OutputType::Boolean, ""),
        Output::new("user_name", OutputType::String, ""),
    ];

    fn lookup(name: &str) -> Option<Named> {
        match name {
            "final" | "me" => Some(Named::Fields(OUTPUTS)),
            "team" => Some(Named::Value(Type::Str)),
            _ => None,
        }
    }

    fn problems(text: &str, want: Want) -> Vec<(String, String)> {
        let expr = parse_expression(text).unwrap();
        let mut errors = Vec::new();
        check(&expr, want, &lookup, &mut errors);
        errors
            .into_iter()
            .map(|e| (e.message, text[e.span].to_string()))
            .collect()
    }

    #[test]
    fn well_typed_expressions_pass() {
        for text in [
            "not me.is_root",
            "final.count >= 1 and team == 'web'",
            "final.devices|length > 0",
            "final.devices[0].serial_number != ''",
            "'virtual' in ['virtual', 'security-key']",
            "(final.devices|first).kind == 'virtual'",
            "team|lower == 'web' or undefined_name",
            "(final.count // 2) + 1 == 3",
            "team|default('x') == 'x'",
            "final.devices[final.count - 1].kind == 'virtual'",
        ] {
            assert_eq!(problems(text, Want::Condition), Vec::new(), "{text}");
        }
        for text in [
            "me.user_name",
            "final.count",
            "final.devices|length",
            "team ~ '-' ~ final.count",
        ] {
            assert_eq!(problems(text, Want::Text), Vec::new(), "{text}");
        }
    }

    #[test]
    fn integer_and_string_comparisons_are_reported_with_the_fix() {
        let expr = parse_expression("final.count >= '1'").unwrap();
        let mut errors = Vec::new();
        check(&expr, Want::Condition, &lookup, &mut errors);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].message, "this compares an integer with a string");
        assert_eq!(
            errors[0].help,
            "compare with the number itself: `1`, without quotes"
        );
        assert_eq!(
            problems("final.count == 'one'", Want::Condition),
            [(
                "this compares an integer with a string: it is never equal".to_string(),
                "final.count == 'one'".to_string()
            )]
        );
    }

    #[test]
    fn lists_in_text_and_unknown_fields_are_reported() {
        assert_eq!(
            problems("final.devices", Want::Text),
            [(
                "a list of records cannot be put into text".to_string(),
                "final.devices".to_string()
            )]
        );
        let expr = parse_expression("final.devices[0].serail_number").unwrap();
        let mut errors = Vec::new();
        check(&expr, Want::Text, &lookup, &mut errors);
        assert_eq!(errors[0].code, "unknown-field");
        assert_eq!(errors[0].message, "the items have no field `serail_number`");
        assert!(
            errors[0].help.starts_with("did you mean `serial_number`?"),
            "{:?}",
            errors[0]
        );
        assert_eq!(
            problems("final.devices.serial_number", Want::Text)[0].0,
            "`final.devices` is a list: its items have fields, it has none"
        );
    }

    #[test]
    fn conditions_must_be_true_or_false() {
        assert_eq!(
            problems("final.devices", Want::Condition)[0].0,
            "this condition is a list of records, not true or false"
        );
        assert_eq!(
            problems("final.count", Want::Condition)[0].0,
            "this condition is an integer, not true or false"
        );
        assert_eq!(
            problems("not final.count", Want::Condition)[0].0,
            "`not` needs true or false, and this is an integer"
        );
        assert_eq!(
            problems("team and me.is_root", Want::Condition)[0].0,
            "`and` joins conditions, and this is a string"
        );
        assert_eq!(
            problems("final.devices|lenght > 0", Want::Condition)[0].0,
            "there is no filter `lenght`"
        );
        assert_eq!(
            problems("team + 1 == 2", Want::Condition)[0].0,
            "`+` works on integers, and this is a string"
        );
    }
}
