//! The expression language of `when`, `expect` and `{{ … }}`: a small, typed subset of
//! minijinja's expressions, parsed here into a tree with a span on every node, so `check`
//! can type every expression and `run` can evaluate it with short-circuiting.
//!
//! ```text
//! expr     := or ("if" or ("else" expr)?)?
//! or       := and ("or" and)*
//! and      := not ("and" not)*
//! not      := "not" not | compare
//! compare  := concat (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") concat)?
//! concat   := sum ("~" sum)*
//! sum      := product (("+" | "-") product)*
//! product  := unary (("*" | "//" | "%") unary)*
//! unary    := "-" unary | postfix
//! postfix  := primary ("." name | "[" expr "]" | "|" name ("(" args ")")?)*
//! primary  := name | integer | string | "true" | "false" | "none" | "(" expr ")" | "[" args "]"
//! ```
//!
//! Spans are byte ranges in the text given to [`parse_expression`] (or, for templates, in
//! the whole string given to [`parse_template`]).

use std::fmt;
use std::ops::Range;

/// How deeply expressions may nest here (the binder reports deeper ones first, with
/// `nesting-too-deep`; this guard keeps the recursive parser safe on any input).
pub const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: Kind,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A name: an input, an action id, or (in `expect`) the action's own output.
    Name(String),
    /// `value.name`; the span of `name` is kept for diagnostics.
    Attr(Box<Expr>, String, Range<usize>),
    /// `value[index]`.
    Index(Box<Expr>, Box<Expr>),
    Str(String),
    Int(i64),
    Bool(bool),
    None,
    List(Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `then if cond else otherwise` (no `else`: none).
    If {
        then: Box<Expr>,
        cond: Box<Expr>,
        otherwise: Option<Box<Expr>>,
    },
    /// `value | name(args)`; the span of `name` is kept.
    Filter {
        value: Box<Expr>,
        name: String,
        name_span: Range<usize>,
        args: Vec<Expr>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Concat,
    Add,
    Sub,
    Mul,
    FloorDiv,
    Mod,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Concat => "~",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge
                | BinOp::In
                | BinOp::NotIn
        )
    }
}

/// A syntax error, with where and what to write instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Range<usize>,
    pub help: Option<String>,
}

impl SyntaxError {
    fn new(message: impl Into<String>, span: Range<usize>) -> SyntaxError {
        SyntaxError {
            message: message.into(),
            span,
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> SyntaxError {
        self.help = Some(help.into());
        self
    }

    /// The same error with its span moved by `offset` (an expression inside a template).
    pub fn shifted(mut self, offset: usize) -> SyntaxError {
        self.span = self.span.start + offset..self.span.end + offset;
        self
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token<'t> {
    Name(&'t str),
    Int(i64),
    Str(String),
    Op(&'static str),
    End,
}

/// The operator at the start of `rest`, longest first (`<=` before `<`).
fn operator(rest: &[u8]) -> Option<&'static str> {
    let two = match rest {
        [b'=', b'=', ..] => Some("=="),
        [b'!', b'=', ..] => Some("!="),
        [b'<', b'=', ..] => Some("<="),
        [b'>', b'=', ..] => Some(">="),
        [b'/', b'/', ..] => Some("//"),
        _ => None,
    };
    two.or(match rest.first()? {
        b'<' => Some("<"),
        b'>' => Some(">"),
        b'=' => Some("="),
        b'+' => Some("+"),
        b'-' => Some("-"),
        b'*' => Some("*"),
        b'/' => Some("/"),
        b'%' => Some("%"),
        b'~' => Some("~"),
        b'.' => Some("."),
        b',' => Some(","),
        b'|' => Some("|"),
        b'(' => Some("("),
        b')' => Some(")"),
        b'[' => Some("["),
        b']' => Some("]"),
        b'!' => Some("!"),
        b'{' => Some("{"),
        b'}' => Some("}"),
        _ => None,
    })
}

fn lex(text: &str, offset: usize) -> Result<Vec<(Token<'_>, Range<usize>)>, SyntaxError> {
    let bytes = text.as_bytes();
    // Conditions are short: about one token per three bytes, without growing.
    let mut tokens = Vec::with_capacity(text.len() / 3 + 2);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push((Token::Name(&text[start..i]), start + offset..i + offset));
            continue;
        }
        if c.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                i += 1;
            }
            if i < bytes.len()
                && (bytes[i] == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
            {
                return Err(SyntaxError::new(
                    "numbers here are whole numbers",
                    start + offset..i + offset + 1,
                )
                .help("compare counts and other integers, e.g. `count >= 2`"));
            }
            let digits = &text[start..i];
            let value = if digits.contains('_') {
                digits.replace('_', "").parse::<i64>()
            } else {
                digits.parse::<i64>()
            };
            let value = value.map_err(|_| {
                SyntaxError::new("this number is too large", start + offset..i + offset)
            })?;
            tokens.push((Token::Int(value), start + offset..i + offset));
            continue;
        }
        if c == b'\'' || c == b'"' {
            let quote = c;
            i += 1;
            let mut value = String::new();
            loop {
                let Some(&b) = bytes.get(i) else {
                    return Err(SyntaxError::new(
                        "this string is not closed",
                        start + offset..text.len() + offset,
                    )
                    .help(format!("end it with {}", quote as char)));
                };
                if b == quote {
                    i += 1;
                    break;
                }
                if b == b'\\' {
                    let escaped = text[i + 1..].chars().next();
                    match escaped {
                        Some('n') => value.push('\n'),
                        Some('t') => value.push('\t'),
                        Some('\\') => value.push('\\'),
                        Some('\'') => value.push('\''),
                        Some('"') => value.push('"'),
                        Some(other) => {
                            value.push('\\');
                            value.push(other);
                        }
                        None => {
                            return Err(SyntaxError::new(
                                "this string is not closed",
                                start + offset..text.len() + offset,
                            ));
                        }
                    }
                    i += 1 + escaped.map_or(0, char::len_utf8);
                    continue;
                }
                let ch = text[i..].chars().next().expect("in bounds");
                value.push(ch);
                i += ch.len_utf8();
            }
            tokens.push((Token::Str(value), start + offset..i + offset));
            continue;
        }
        let Some(op) = operator(&bytes[i..]) else {
            let ch = text[i..].chars().next().expect("in bounds");
            return Err(SyntaxError::new(
                format!("`{}` cannot appear in an expression", ch.escape_debug()),
                start + offset..start + offset + ch.len_utf8(),
            ));
        };
        i += op.len();
        tokens.push((Token::Op(op), start + offset..i + offset));
    }
    tokens.push((Token::End, text.len() + offset..text.len() + offset));
    Ok(tokens)
}

struct Parser<'t> {
    tokens: Vec<(Token<'t>, Range<usize>)>,
    at: usize,
    depth: usize,
    text: &'t str,
    offset: usize,
}

/// Parse a whole expression (`when`, `expect`, the inside of `{{ }}`).
pub fn parse_expression(text: &str) -> Result<Expr, SyntaxError> {
    parse_at(text, 0)
}

/// Parse `text`, which starts at byte `offset` of the string the spans refer to.
pub fn parse_at(text: &str, offset: usize) -> Result<Expr, SyntaxError> {
    let tokens = lex(text, offset)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
        text,
        offset,
    };
    if matches!(parser.peek(), Token::End) {
        return Err(
            SyntaxError::new("the expression is empty", offset..offset + text.len())
                .help("write a condition, e.g. `not me.is_root` or `count >= 1`"),
        );
    }
    let expr = parser.expr()?;
    match parser.peek().clone() {
        Token::End => Ok(expr),
        Token::Op("=") => Err(parser.single_equals()),
        token => Err(SyntaxError::new(
            format!("unexpected {} after the expression", describe(&token)),
            parser.span(),
        )
        .help("an expression is one condition or value; join conditions with `and` / `or`")),
    }
}

fn describe(token: &Token<'_>) -> String {
    match token {
        Token::Name(name) => format!("`{name}`"),
        Token::Int(value) => format!("`{value}`"),
        Token::Str(_) => "a string".to_string(),
        Token::Op(op) => format!("`{op}`"),
        Token::End => "end".to_string(),
    }
}

impl<'t> Parser<'t> {
    fn peek(&self) -> &Token<'t> {
        &self.tokens[self.at].0
    }

    fn span(&self) -> Range<usize> {
        self.tokens[self.at].1.clone()
    }

    fn bump(&mut self) -> (Token<'t>, Range<usize>) {
        let token = self.tokens[self.at].clone();
        if self.at + 1 < self.tokens.len() {
            self.at += 1;
        }
        token
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Token::Op(o) if *o == op)
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Token::Name(name) if *name == word)
    }

    fn nested<T>(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<T, SyntaxError>,
    ) -> Result<T, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError::new(
                format!("the expression nests deeper than {MAX_DEPTH} levels"),
                self.span(),
            )
            .help("split it: conditions in runbooks are short"));
        }
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn single_equals(&self) -> SyntaxError {
        let span = self.span();
        let (left, right) = (span.start - self.offset, span.end - self.offset);
        let fixed = format!(
            "{} == {}",
            self.text[..left].trim(),
            self.text[right..].trim()
        );
        SyntaxError::new("`=` assigns; to compare, write `==`", span)
            .help(format!("write `{fixed}`"))
    }

    fn expr(&mut self) -> Result<Expr, SyntaxError> {
        self.nested(|p| {
            let then = p.or()?;
            if !p.is_keyword("if") {
                return Ok(then);
            }
            p.bump();
            let cond = p.or()?;
            let otherwise = if p.is_keyword("else") {
                p.bump();
                Some(Box::new(p.expr()?))
            } else {
                None
            };
            let end = otherwise.as_ref().map_or(cond.span.end, |o| o.span.end);
            Ok(Expr {
                span: then.span.start..end,
                kind: Kind::If {
                    then: Box::new(then),
                    cond: Box::new(cond),
                    otherwise,
                },
            })
        })
    }

    fn binary(left: Expr, op: BinOp, right: Expr) -> Expr {
        Expr {
            span: left.span.start..right.span.end,
            kind: Kind::Binary(op, Box::new(left), Box::new(right)),
        }
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.and()?;
        while self.is_keyword("or") {
            self.bump();
            let right = self.nested(|p| p.and())?;
            left = Self::binary(left, BinOp::Or, right);
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.not()?;
        while self.is_keyword("and") {
            self.bump();
            let right = self.nested(|p| p.not())?;
            left = Self::binary(left, BinOp::And, right);
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, SyntaxError> {
        if self.is_keyword("not") {
            let (_, span) = self.bump();
            let inner = self.nested(|p| p.not())?;
            return Ok(Expr {
                span: span.start..inner.span.end,
                kind: Kind::Not(Box::new(inner)),
            });
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Expr, SyntaxError> {
        let left = self.concat()?;
        let op = match self.peek() {
            Token::Op("==") => BinOp::Eq,
            Token::Op("!=") => BinOp::Ne,
            Token::Op("<") => BinOp::Lt,
            Token::Op("<=") => BinOp::Le,
            Token::Op(">") => BinOp::Gt,
            Token::Op(">=") => BinOp::Ge,
            Token::Op("=") => return Err(self.single_equals()),
            Token::Name("in") => BinOp::In,
            Token::Name("not")
                if matches!(&self.tokens.get(self.at + 1), Some((Token::Name("in"), _))) =>
            {
                self.bump();
                BinOp::NotIn
            }
            _ => return Ok(left),
        };
        self.bump();
        let right = self.nested(|p| p.concat())?;
        let expr = Self::binary(left, op, right);
        if let Token::Op(next @ ("==" | "!=" | "<" | "<=" | ">" | ">=")) = self.peek() {
            return Err(SyntaxError::new(
                format!("comparisons do not chain: a second `{next}`"),
                self.span(),
            )
            .help("join two comparisons with `and`, e.g. `a < b and b < c`"));
        }
        Ok(expr)
    }

    fn concat(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.sum()?;
        while self.is_op("~") {
            self.bump();
            let right = self.nested(|p| p.sum())?;
            left = Self::binary(left, BinOp::Concat, right);
        }
        Ok(left)
    }

    fn sum(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Token::Op("+") => BinOp::Add,
                Token::Op("-") => BinOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.nested(|p| p.product())?;
            left = Self::binary(left, op, right);
        }
    }

    fn product(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Token::Op("*") => BinOp::Mul,
                Token::Op("//") => BinOp::FloorDiv,
                Token::Op("%") => BinOp::Mod,
                Token::Op("/") => {
                    return Err(SyntaxError::new(
                        "numbers here are whole numbers: `/` would make a fraction",
                        self.span(),
                    )
                    .help("divide with `//` (whole-number division)"));
                }
                _ => return Ok(left),
            };
            self.bump();
            let right = self.nested(|p| p.unary())?;
            left = Self::binary(left, op, right);
        }
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.is_op("-") {
            let (_, span) = self.bump();
            let inner = self.nested(|p| p.unary())?;
            return Ok(Expr {
                span: span.start..inner.span.end,
                kind: Kind::Neg(Box::new(inner)),
            });
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Expr, SyntaxError> {
        let mut value = self.primary()?;
        let mut links = 0usize;
        loop {
            links += 1;
            if links > MAX_DEPTH {
                return Err(SyntaxError::new(
                    format!("more than {MAX_DEPTH} `.`, `[…]` or `|` in a row"),
                    self.span(),
                ));
            }
            if self.is_op(".") {
                self.bump();
                let (token, span) = self.bump();
                let Token::Name(name) = token else {
                    return Err(SyntaxError::new("expected a name after `.`", span)
                        .help("outputs are named like `duo.serial_number`"));
                };
                value = Expr {
                    span: value.span.start..span.end,
                    kind: Kind::Attr(Box::new(value), name.to_string(), span),
                };
            } else if self.is_op("[") {
                self.bump();
                let index = self.nested(|p| p.expr())?;
                let close = self.expect_op("]", "close the index with `]`")?;
                value = Expr {
                    span: value.span.start..close.end,
                    kind: Kind::Index(Box::new(value), Box::new(index)),
                };
            } else if self.is_op("|") {
                self.bump();
                let (token, name_span) = self.bump();
                let Token::Name(name) = token else {
                    return Err(
                        SyntaxError::new("expected a filter name after `|`", name_span)
                            .help("e.g. `devices|length`"),
                    );
                };
                let mut end = name_span.end;
                let mut args = Vec::new();
                if self.is_op("(") {
                    self.bump();
                    args = self.args(")")?;
                    end = self.tokens[self.at - 1].1.end;
                }
                value = Expr {
                    span: value.span.start..end,
                    kind: Kind::Filter {
                        value: Box::new(value),
                        name: name.to_string(),
                        name_span,
                        args,
                    },
                };
            } else {
                return Ok(value);
            }
        }
    }

    fn expect_op(&mut self, op: &str, help: &str) -> Result<Range<usize>, SyntaxError> {
        if self.is_op(op) {
            return Ok(self.bump().1);
        }
        Err(SyntaxError::new(
            format!("expected `{op}`, found {}", describe(self.peek())),
            self.span(),
        )
        .help(help.to_string()))
    }

    /// Comma-separated expressions up to `close` (consumed).
    fn args(&mut self, close: &str) -> Result<Vec<Expr>, SyntaxError> {
        let mut args = Vec::new();
        if self.is_op(close) {
            self.bump();
            return Ok(args);
        }
        loop {
            args.push(self.nested(|p| p.expr())?);
            if self.is_op(",") {
                self.bump();
                if self.is_op(close) {
                    self.bump();
                    return Ok(args);
                }
                continue;
            }
            self.expect_op(
                close,
                &format!("separate items with `,` and end with `{close}`"),
            )?;
            return Ok(args);
        }
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let (token, span) = self.bump();
        let kind = match token {
            Token::Int(value) => Kind::Int(value),
            Token::Str(value) => Kind::Str(value),
            Token::Name(name) => match name {
                "true" | "True" => Kind::Bool(true),
                "false" | "False" => Kind::Bool(false),
                "none" | "None" => Kind::None,
                "and" | "or" | "not" | "in" | "if" | "else" => {
                    return Err(SyntaxError::new(
                        format!("expected a value, found `{name}`"),
                        span,
                    )
                    .help("`and`, `or`, `not`, `in`, `if` and `else` join values; put a value on each side"));
                }
                _ => Kind::Name(name.to_string()),
            },
            Token::Op("(") => {
                let inner = self.nested(|p| p.expr())?;
                let close = self.expect_op(")", "close it with `)`")?;
                return Ok(Expr {
                    span: span.start..close.end,
                    kind: inner.kind,
                });
            }
            Token::Op("[") => {
                let items = self.nested(|p| p.args("]"))?;
                let end = self.tokens[self.at - 1].1.end;
                return Ok(Expr {
                    span: span.start..end,
                    kind: Kind::List(items),
                });
            }
            Token::Op("{") if self.is_op("{") => {
                return Err(SyntaxError::new(
                    "`{{ }}` is for text; in a condition, write the name itself",
                    span,
                )
                .help(self.without_braces()));
            }
            Token::Op("!") => {
                return Err(SyntaxError::new("`!` is not an operator here", span)
                    .help("write `not x`, or `!=` to compare"));
            }
            Token::End => {
                // Point at what it ends with: the operator that has no value after it.
                let last = self
                    .at
                    .checked_sub(1)
                    .and_then(|i| self.tokens.get(i))
                    .filter(|(token, _)| !matches!(token, Token::End));
                let (span, after) = match last {
                    Some((token, span)) => (span.clone(), format!(" after {}", describe(token))),
                    None => (span, String::new()),
                };
                return Err(SyntaxError::new(
                    format!("the expression ends too early{after}"),
                    span,
                )
                .help("put a value after it, e.g. `count >= 1`"));
            }
            Token::Op(op) => {
                return Err(SyntaxError::new(
                    format!("expected a value, found `{op}`"),
                    span,
                ));
            }
        };
        Ok(Expr { kind, span })
    }

    /// The whole expression with `{{ ` and ` }}` taken out, as a suggestion.
    fn without_braces(&self) -> String {
        let fixed = self.text.replace("{{", "").replace("}}", "");
        let fixed = fixed.split_whitespace().collect::<Vec<_>>().join(" ");
        format!("write `{fixed}`")
    }
}

/// One piece of a template string.
#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    /// Literal text (a range of the template string).
    Text(Range<usize>),
    /// `{{ expr }}`.
    Expr(Expr),
}

/// Split a template string into text and `{{ }}` expressions (`{# #}` comments dropped).
/// `{% %}` statements are not part of the language.
pub fn parse_template(text: &str) -> Result<Vec<Part>, SyntaxError> {
    let mut parts = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find('{').map(|i| at + i) {
        let rest = &text[found..];
        let (close, is_expr) = if rest.starts_with("{{") {
            ("}}", true)
        } else if rest.starts_with("{#") {
            ("#}", false)
        } else if rest.starts_with("{%") {
            return Err(SyntaxError::new(
                "`{% %}` statements are not allowed: templates are expressions",
                found..found + 2,
            )
            .help("use `{{ reference }}` to put a value here"));
        } else {
            // A lone `{` is text.
            let next = found + 1;
            if next >= text.len() {
                break;
            }
            at = next;
            continue;
        };
        if found > at {
            parts.push(Part::Text(at..found));
        }
        let inner_start = found + 2;
        let inner_end = if is_expr {
            find_close(text, inner_start).ok_or_else(|| {
                SyntaxError::new("`{{` is not closed", found..found + 2)
                    .help("end the reference with `}}`")
            })?
        } else {
            text[inner_start..]
                .find(close)
                .map(|i| inner_start + i)
                .ok_or_else(|| SyntaxError::new("`{#` is not closed", found..found + 2))?
        };
        if is_expr {
            let mut inner = &text[inner_start..inner_end];
            let mut start = inner_start;
            // Whitespace control (`{{- x -}}`) is accepted and means nothing more here.
            if let Some(stripped) = inner.strip_prefix('-') {
                inner = stripped;
                start += 1;
            }
            let inner = inner.strip_suffix('-').unwrap_or(inner);
            parts.push(Part::Expr(parse_at(inner, start)?));
        }
        at = inner_end + 2;
    }
    if at < text.len() {
        parts.push(Part::Text(at..text.len()));
    }
    Ok(parts)
}

/// Where the `}}` closing the expression that starts at `from` is (strings skipped).
fn find_close(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    let mut quote = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(_) if b == b'\\' => {
                i += 2;
                continue;
            }
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'}' && bytes.get(i + 1) == Some(&b'}') => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

impl fmt::Display for Expr {
    /// The expression written canonically (one space around operators), so two guards
    /// that differ only in spacing compare equal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Name(name) => f.write_str(name),
            Kind::Attr(value, name, _) => write!(f, "{value}.{name}"),
            Kind::Index(value, index) => write!(f, "{value}[{index}]"),
            Kind::Str(text) => write!(f, "{text:?}"),
            Kind::Int(value) => write!(f, "{value}"),
            Kind::Bool(value) => write!(f, "{value}"),
            Kind::None => f.write_str("none"),
            Kind::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Kind::Not(inner) => write!(f, "not ({inner})"),
            Kind::Neg(inner) => write!(f, "-({inner})"),
            Kind::Binary(op, left, right) => write!(f, "({left} {} {right})", op.symbol()),
            Kind::If {
                then,
                cond,
                otherwise,
            } => match otherwise {
                Some(otherwise) => write!(f, "({then} if {cond} else {otherwise})"),
                None => write!(f, "({then} if {cond})"),
            },
            Kind::Filter {
                value, name, args, ..
            } => {
                write!(f, "{value}|{name}")?;
                if !args.is_empty() {
                    f.write_str("(")?;
                    for (i, arg) in args.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{arg}")?;
                    }
                    f.write_str(")")?;
                }
                Ok(())
            }
        }
    }
}

impl Expr {
    /// The dotted reference this expression is (`duo.serial_number`, `device_name`), if it
    /// is just one.
    pub fn reference(&self) -> Option<String> {
        match &self.kind {
            Kind::Name(name) => Some(name.clone()),
            Kind::Attr(value, name, _) => value.reference().map(|root| format!("{root}.{name}")),
            _ => None,
        }
    }

    /// The references this expression reads (`count`, `me.is_root`: a name and at most
    /// one field), in order, each once: what `check` resolves, and what a failed
    /// expectation shows the values of.
    pub fn references(&self) -> Vec<String> {
        fn walk(expr: &Expr, out: &mut Vec<String>) {
            if let Some(reference) = expr.reference()
                && reference.matches('.').count() <= 1
            {
                if !out.contains(&reference) {
                    out.push(reference);
                }
                return;
            }
            match &expr.kind {
                Kind::Attr(value, _, _) | Kind::Not(value) | Kind::Neg(value) => walk(value, out),
                Kind::Index(value, index) | Kind::Binary(_, value, index) => {
                    walk(value, out);
                    walk(index, out);
                }
                Kind::List(items) => items.iter().for_each(|item| walk(item, out)),
                Kind::If {
                    then,
                    cond,
                    otherwise,
                } => {
                    walk(cond, out);
                    walk(then, out);
                    if let Some(otherwise) = otherwise {
                        walk(otherwise, out);
                    }
                }
                Kind::Filter { value, args, .. } => {
                    walk(value, out);
                    args.iter().for_each(|arg| walk(arg, out));
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// The name at the root of a reference chain (`duo` in `duo.devices[0].kind`).
    pub fn root(&self) -> Option<(&str, Range<usize>)> {
        match &self.kind {
            Kind::Name(name) => Some((name, self.span.clone())),
            Kind::Attr(value, _, _) | Kind::Index(value, _) => value.root(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> String {
        parse_expression(text).unwrap().to_string()
    }

    fn error(text: &str) -> SyntaxError {
        parse_expression(text).unwrap_err()
    }

    #[test]
    fn precedence_follows_minijinja() {
        assert_eq!(shown("not me.is_root"), "not (me.is_root)");
        assert_eq!(shown("a or b and not c"), "(a or (b and not (c)))");
        assert_eq!(
            shown("count >= 1 and x == 'y'"),
            "((count >= 1) and (x == \"y\"))"
        );
        assert_eq!(shown("a ~ b + 1 * 2"), "(a ~ (b + (1 * 2)))");
        assert_eq!(shown("- - 1"), "-(-(1))");
        assert_eq!(
            shown("devices[0].serial_number"),
            "devices[0].serial_number"
        );
        assert_eq!(shown("devices|length > 0"), "(devices|length > 0)");
        assert_eq!(shown("names|join(', ')"), "names|join(\", \")");
        assert_eq!(shown("'a' if x else 'b'"), "(\"a\" if x else \"b\")");
        assert_eq!(shown("x not in [1, 2,]"), "(x not in [1, 2])");
        assert_eq!(shown("(a)"), "a");
        assert_eq!(shown("True and None"), "(true and none)");
    }

    #[test]
    fn spans_cover_their_text() {
        let text = "  me.user_name == 'alice' ";
        let expr = parse_expression(text).unwrap();
        assert_eq!(&text[expr.span.clone()], "me.user_name == 'alice'");
        let Kind::Binary(_, left, right) = &expr.kind else {
            panic!()
        };
        assert_eq!(&text[left.span.clone()], "me.user_name");
        assert_eq!(&text[right.span.clone()], "'alice'");
        let Kind::Attr(_, name, name_span) = &left.kind else {
            panic!()
        };
        assert_eq!(
            (name.as_str(), &text[name_span.clone()]),
            ("user_name", "user_name")
        );
    }

    #[test]
    fn common_mistakes_say_what_to_write() {
        let e = error("team = 'web'");
        assert_eq!(e.message, "`=` assigns; to compare, write `==`");
        assert_eq!(e.help.as_deref(), Some("write `team == 'web'`"));
        assert_eq!(e.span, 5..6);
        let e = error("{{ team }} == 'web'");
        assert!(e.message.contains("`{{ }}` is for text"), "{e:?}");
        assert_eq!(e.help.as_deref(), Some("write `team == 'web'`"));
        assert!(error("").message.contains("empty"));
        assert!(error("a ==").message.contains("ends too early"));
        assert!(error("a < b < c").message.contains("do not chain"));
        assert!(error("1.5 > x").message.contains("whole numbers"));
        assert!(error("a / 2").help.unwrap().contains("//"));
        assert!(error("'open").message.contains("not closed"));
        assert!(error("a b").message.contains("unexpected `b`"));
        assert!(error("!a").help.unwrap().contains("not x"));
    }

    #[test]
    fn nesting_is_bounded_without_recursion_overflow() {
        let deep = "not ".repeat(10_000) + "x";
        assert!(error(&deep).message.contains("nests deeper"));
        let deep = "(".repeat(10_000) + "x" + &")".repeat(10_000);
        assert!(error(&deep).message.contains("nests deeper"));
        let chain = "x".to_string() + &".a".repeat(100);
        assert!(error(&chain).message.contains("in a row"));
        assert!(parse_expression(&("not ".repeat(30) + "x")).is_ok());
    }

    #[test]
    fn templates_split_into_text_and_expressions() {
        let text = "arn:{{ me.account }}/{# note #}{{- x ~ '}}' -}} end {";
        let parts = parse_template(text).unwrap();
        assert_eq!(parts.len(), 5, "{parts:?}");
        assert_eq!(parts[0], Part::Text(0..4));
        let Part::Expr(expr) = &parts[1] else {
            panic!()
        };
        assert_eq!(&text[expr.span.clone()], "me.account");
        assert_eq!(parts[2], Part::Text(20..21));
        let Part::Expr(expr) = &parts[3] else {
            panic!()
        };
        assert_eq!(expr.to_string(), "(x ~ \"}}\")");
        assert_eq!(
            &text[match &parts[4] {
                Part::Text(r) => r.clone(),
                _ => panic!(),
            }],
            " end {"
        );
        assert!(
            parse_template("{% if x %}")
                .unwrap_err()
                .message
                .contains("statements")
        );
        assert!(
            parse_template("{{ x")
                .unwrap_err()
                .message
                .contains("not closed")
        );
        assert_eq!(parse_template("plain").unwrap(), [Part::Text(0..5)]);
        let e = parse_template("a {{ x = 1 }}").unwrap_err();
        assert_eq!(e.span, 7..8, "spans are in the template string");
    }

    #[test]
    fn references_and_roots() {
        let expr = parse_expression("duo.serial_number").unwrap();
        assert_eq!(expr.reference().as_deref(), Some("duo.serial_number"));
        let expr = parse_expression("final.devices[0].kind").unwrap();
        assert_eq!(expr.reference(), None);
        assert_eq!(expr.root().map(|(n, _)| n), Some("final"));
    }
}
