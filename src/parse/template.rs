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

/// The deepest a template's `{{ … }}` tag or a `when`/`expect` expression may nest: at
/// most this many operators (`not`, `-`, `~`, `.`, `|`, `and`, a bracket…), each of which
/// can add a level to the syntax tree minijinja builds and walks recursively. Far more
/// than any runbook needs (`not me.is_root` has 2); 10,000 `not`s overflowed the stack.
pub const MAX_NESTING: usize = 64;

/// What a template or expression may not hold, found before any parser sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Limit {
    /// More than [`MAX_NESTING`] operators in one tag or expression; `at` is the byte
    /// offset of the first operator over the limit.
    TooDeep { at: usize },
    /// A `{% … %}` statement (`for`, `set`, `if`…): templates are expressions only.
    Statement { range: Range<usize> },
}

impl Limit {
    pub fn message(&self) -> String {
        match self {
            Limit::TooDeep { .. } => format!(
                "this expression nests more than {MAX_NESTING} levels deep (each operator, bracket or `not` is a level)"
            ),
            Limit::Statement { .. } => {
                "templates are expressions only: `{% … %}` statements are not allowed".to_string()
            }
        }
    }

    /// The byte range in the template or expression text it is about.
    pub fn range(&self) -> Range<usize> {
        match self {
            Limit::TooDeep { at } => *at..*at + 1,
            Limit::Statement { range } => range.clone(),
        }
    }
}

impl From<Limit> for TemplateError {
    fn from(limit: Limit) -> TemplateError {
        TemplateError {
            message: limit.message(),
            range: Some(limit.range()),
        }
    }
}

/// Check a template string against [`Limit`]: no statement, and no tag deeper than
/// [`MAX_NESTING`]. One pass over the bytes, no recursion, so any text can be checked
/// before minijinja (whose parser recurses once per `not` or `-`) is handed it.
pub fn template_limits(text: &str) -> Result<(), Limit> {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(i) = bytes[at..].iter().position(|&b| b == b'{') {
        let open = at + i;
        match bytes.get(open + 1) {
            Some(b'{') => at = nesting(bytes, open + 2, true)?,
            Some(b'%') => {
                let end = find_from(bytes, open + 2, b"%}").map_or(bytes.len(), |i| i + 2);
                return Err(Limit::Statement { range: open..end });
            }
            Some(b'#') => {
                at = find_from(bytes, open + 2, b"#}").map_or(bytes.len(), |i| i + 2);
            }
            _ => at = open + 1,
        }
    }
    Ok(())
}

/// Check a bare expression (`when`, `expect`) against [`MAX_NESTING`].
pub fn expression_limits(expr: &str) -> Result<(), Limit> {
    nesting(expr.as_bytes(), 0, false).map(|_| ())
}

fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, needle).map(|i| from + i)
}

/// Count the operators of an expression starting at `at`, up to the end of the text or,
/// in a tag, its closing `}}` (outside strings, as minijinja's lexer reads it). Returns
/// where the tag ends, or where the operator over the limit is.
fn nesting(bytes: &[u8], mut at: usize, tag: bool) -> Result<usize, Limit> {
    let mut count = 0usize;
    while let Some(&b) = bytes.get(at) {
        let step = match b {
            b'}' if tag && bytes.get(at + 1) == Some(&b'}') => return Ok(at + 2),
            b'"' | b'\'' => {
                // A string: to its closing quote, past escapes (unclosed: to the end).
                at = string_end(bytes, at);
                continue;
            }
            b if b.is_ascii_whitespace() || matches!(b, b',' | b':' | b')' | b']' | b'}') => 1,
            b if b.is_ascii_alphanumeric() || b == b'_' || !b.is_ascii() => {
                let len = bytes[at..]
                    .iter()
                    .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_' || !c.is_ascii())
                    .count();
                if matches!(
                    &bytes[at..at + len],
                    b"not" | b"and" | b"or" | b"in" | b"is" | b"if" | b"else"
                ) {
                    count += 1;
                }
                len
            }
            // Any other punctuation is an operator or an opening bracket.
            _ => {
                count += 1;
                1
            }
        };
        if count > MAX_NESTING {
            return Err(Limit::TooDeep { at });
        }
        at += step;
    }
    Ok(at)
}

/// Whether a string holds template syntax at all (most parameters don't).
pub fn is_template(text: &str) -> bool {
    // `{{`, `{%` or `{#` anywhere, in one pass.
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'{', bytes).any(|i| matches!(bytes.get(i + 1), Some(b'{' | b'%' | b'#')))
}

/// Dotted names a template string refers to (`duo.serial_number`, `device_name`), sorted.
pub fn template_references(text: &str) -> Result<Vec<String>, TemplateError> {
    let mut names = Vec::new();
    for_each_template_reference(text, |name| names.push(name.to_string()))?;
    Ok(names)
}

/// Dotted names a bare expression refers to (`when`, `expect`), sorted.
pub fn expression_references(expr: &str) -> Result<Vec<String>, TemplateError> {
    let mut names = Vec::new();
    for_each_expression_reference(expr, |name| names.push(name.to_string()))?;
    Ok(names)
}

/// `f` on each of [`template_references`] in turn, without allocating for the templates
/// runbooks are made of (what `check` uses: it only looks the names up).
pub fn for_each_template_reference(
    text: &str,
    mut f: impl FnMut(&str),
) -> Result<(), TemplateError> {
    if !is_template(text) {
        return Ok(());
    }
    template_limits(text)?;
    let mut names = simple::Names::default();
    if simple::template_references(text, &mut names).is_some() {
        names.sorted().iter().for_each(|name| f(name));
        return Ok(());
    }
    minijinja_template_references(text)?
        .iter()
        .for_each(|name| f(name));
    Ok(())
}

/// `f` on each of [`expression_references`] in turn, without allocating for simple ones.
pub fn for_each_expression_reference(
    expr: &str,
    mut f: impl FnMut(&str),
) -> Result<(), TemplateError> {
    expression_limits(expr)?;
    let mut names = simple::Names::default();
    if simple::expression_references(expr, &mut names).is_some() {
        names.sorted().iter().for_each(|name| f(name));
        return Ok(());
    }
    minijinja_expression_references(expr)?
        .iter()
        .for_each(|name| f(name));
    Ok(())
}

/// [`template_references`] by minijinja itself: compiling the template is what checks it.
fn minijinja_template_references(text: &str) -> Result<Vec<String>, TemplateError> {
    let env = minijinja::Environment::empty();
    let template = env.template_from_str(text).map_err(error)?;
    Ok(sorted(template.undeclared_variables(true)))
}

/// [`expression_references`] by minijinja itself.
fn minijinja_expression_references(expr: &str) -> Result<Vec<String>, TemplateError> {
    let env = minijinja::Environment::empty();
    let expression = env.compile_expression(expr).map_err(error)?;
    Ok(sorted(expression.undeclared_variables(true)))
}

fn sorted(names: std::collections::HashSet<String>) -> Vec<String> {
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort();
    names
}

/// The references of the templates and expressions runbooks are made of, without compiling
/// them: `{{ id.output }}` in text, and `me.is_root`, `not x`, `count >= 2 and y == 'z'`.
/// Compiling with minijinja costs microseconds per string, which dominated `runbook check`
/// on large runbooks. These scanners accept only a small subset of minijinja's syntax that
/// minijinja is sure to accept, and return exactly what it returns for it; anything else
/// (filters, calls, subscripts, whitespace control, statements, comments, keywords as
/// names, any syntax error) is `None`, and the caller asks minijinja.
mod simple {
    /// The names found so far, without allocating: a template or expression with more than
    /// [`Names::MAX`] is left to minijinja.
    #[derive(Default)]
    pub(super) struct Names<'a> {
        names: [&'a str; Names::MAX],
        len: usize,
    }

    impl<'a> Names<'a> {
        const MAX: usize = 8;

        fn push(&mut self, name: &'a str) -> Option<()> {
            *self.names.get_mut(self.len)? = name;
            self.len += 1;
            Some(())
        }

        /// Sorted and deduplicated, as minijinja's set of names comes out of
        /// [`super::sorted`].
        pub(super) fn sorted(&mut self) -> &[&'a str] {
            let names = &mut self.names[..self.len];
            names.sort_unstable();
            let mut unique = 0;
            for i in 0..names.len() {
                if unique == 0 || names[i] != names[unique - 1] {
                    names[unique] = names[i];
                    unique += 1;
                }
            }
            &names[..unique]
        }
    }

    /// Whitespace minijinja skips between tokens.
    fn skip_space(bytes: &[u8], mut at: usize) -> usize {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        at
    }

    fn ident_len(bytes: &[u8]) -> usize {
        match bytes.first() {
            Some(b) if b.is_ascii_alphabetic() || *b == b'_' => bytes
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count(),
            _ => 0,
        }
    }

    /// The end of `name(.name)*` starting at `at`, or `None` if there is no name there or a
    /// dot is not followed by one (`x.0`, `x .y`).
    fn path_end(bytes: &[u8], at: usize) -> Option<usize> {
        let mut end = at + ident_len(&bytes[at..]);
        if end == at {
            return None;
        }
        while bytes.get(end) == Some(&b'.') {
            let len = ident_len(&bytes[end + 1..]);
            if len == 0 {
                return None;
            }
            end += 1 + len;
        }
        // A name runs on into a non-ASCII letter (minijinja then fails, or, built with
        // `unicode`, reads a longer name).
        bytes.get(end).is_none_or(u8::is_ascii).then_some(end)
    }

    /// `a` of `a.b.c`.
    fn root(path: &str) -> &str {
        &path[..path.bytes().position(|b| b == b'.').unwrap_or(path.len())]
    }

    /// Names that are not variables, or are operators, where a variable could stand.
    fn is_keyword(name: &str) -> bool {
        matches!(
            name,
            "true"
                | "false"
                | "none"
                | "True"
                | "False"
                | "None"
                | "not"
                | "and"
                | "or"
                | "in"
                | "is"
                | "if"
                | "else"
        )
    }

    /// `text {{ a.b }} text {{ c }}`: only `{{ path }}` tags.
    pub(super) fn template_references<'a>(text: &'a str, names: &mut Names<'a>) -> Option<()> {
        let bytes = text.as_bytes();
        let mut at = 0;
        // Like minijinja's lexer: the first `{` followed by `{`, `%` or `#` starts a tag.
        while let Some(i) = bytes[at..].iter().position(|&b| b == b'{') {
            let open = at + i;
            match bytes.get(open + 1) {
                Some(b'{') => {}
                Some(b'%' | b'#') => return None,
                _ => {
                    at = open + 1;
                    continue;
                }
            }
            let start = skip_space(bytes, open + 2);
            let end = path_end(bytes, start)?;
            let path = &text[start..end];
            if is_keyword(root(path)) {
                return None;
            }
            let close = skip_space(bytes, end);
            if !bytes[close..].starts_with(b"}}") {
                return None;
            }
            names.push(path)?;
            at = close + 2;
        }
        Some(())
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Token<'a> {
        /// `name` or `name.name…`.
        Path(&'a str),
        /// An integer, a string without escapes, `true`, `none`, …
        Literal,
        /// `==`, `!=`, `<`, `<=`, `>`, `>=`.
        Compare,
        End,
    }

    /// The next token after `*at`, or `None` for anything this subset does not lex.
    fn token<'a>(text: &'a str, at: &mut usize) -> Option<Token<'a>> {
        let bytes = text.as_bytes();
        let start = skip_space(bytes, *at);
        let Some(&first) = bytes.get(start) else {
            *at = start;
            return Some(Token::End);
        };
        let (token, end) = match first {
            b'=' | b'!' if bytes.get(start + 1) == Some(&b'=') => (Token::Compare, start + 2),
            b'<' | b'>' if bytes.get(start + 1) == Some(&b'=') => (Token::Compare, start + 2),
            b'<' | b'>' => (Token::Compare, start + 1),
            b'0'..=b'9' => {
                let len = bytes[start..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                // No radix prefix, fraction, exponent, `_` or suffix, and it fits a u64.
                let next = bytes.get(start + len);
                if len > 18
                    || next.is_some_and(|b| {
                        b.is_ascii_alphanumeric() || b"._".contains(b) || !b.is_ascii()
                    })
                {
                    return None;
                }
                (Token::Literal, start + len)
            }
            b'\'' | b'"' => {
                let len = bytes[start + 1..].iter().position(|&b| b == first)?;
                if bytes[start + 1..start + 1 + len].contains(&b'\\') {
                    return None;
                }
                (Token::Literal, start + len + 2)
            }
            _ => {
                let end = path_end(bytes, start)?;
                let path = &text[start..end];
                match path {
                    "true" | "false" | "none" | "True" | "False" | "None" => (Token::Literal, end),
                    _ => (Token::Path(path), end),
                }
            }
        };
        *at = end;
        Some(token)
    }

    /// `[not…] operand [op operand…]`, joined by `and` and `or`, where an operand is a
    /// path or a literal.
    pub(super) fn expression_references<'a>(expr: &'a str, names: &mut Names<'a>) -> Option<()> {
        let mut at = 0;
        loop {
            let mut token = token(expr, &mut at)?;
            let mut nots = 0;
            while token == Token::Path("not") {
                // Deep nesting is for minijinja to judge.
                nots += 1;
                if nots > 8 {
                    return None;
                }
                token = self::token(expr, &mut at)?;
            }
            loop {
                match token {
                    Token::Literal => {}
                    Token::Path(path) if !is_keyword(root(path)) => {
                        names.push(path)?;
                    }
                    _ => return None,
                }
                token = self::token(expr, &mut at)?;
                if token != Token::Compare {
                    break;
                }
                token = self::token(expr, &mut at)?;
            }
            match token {
                Token::End => return Some(()),
                Token::Path("and" | "or") => {}
                _ => return None,
            }
        }
    }
}

/// The `{{ … }}` tags in prose or in a code block that is not an action block, as byte
/// ranges of `text`, each from its `{{` to past its `}}` (an unclosed one runs to the end
/// of the text). Strings inside a tag are skipped, so `{{ '}}' }}` is one tag. `{%` and
/// `{#` mean nothing in prose: only `{{` opens a tag there.
pub fn prose_tags(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut tags = Vec::new();
    let mut at = 0;
    while let Some(i) = find_from(bytes, at, b"{{") {
        let end = tag_end(bytes, i + 2);
        tags.push(i..end);
        at = end;
    }
    tags
}

/// Past the `}}` closing a tag whose expression starts at `at`, outside strings; the end of
/// the text when it is not closed.
fn tag_end(bytes: &[u8], mut at: usize) -> usize {
    while let Some(&b) = bytes.get(at) {
        match b {
            b'}' if bytes.get(at + 1) == Some(&b'}') => return at + 2,
            b'"' | b'\'' => {
                at = string_end(bytes, at);
            }
            _ => at += 1,
        }
    }
    bytes.len()
}

/// What a prose tag (one of [`prose_tags`]) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProseTag<'t> {
    /// `{{ '{{' }}`: a quoted string without escapes, shown as its text. This is how a guide
    /// writes literal braces in prose.
    Literal(&'t str),
    /// Anything else: an expression (`me.user_name`), trimmed, to be filled in at run time
    /// and shown as a placeholder (`‹me.user_name›`) where there is no run.
    Expression(&'t str),
}

pub fn prose_tag(tag: &str) -> ProseTag<'_> {
    let inner = tag.strip_prefix("{{").unwrap_or(tag);
    let inner = inner.strip_suffix("}}").unwrap_or(inner).trim();
    let bytes = inner.as_bytes();
    if let [quote @ (b'\'' | b'"'), middle @ .., last] = bytes
        && last == quote
        && !middle.iter().any(|b| b == quote || *b == b'\\')
    {
        return ProseTag::Literal(&inner[1..inner.len() - 1]);
    }
    ProseTag::Expression(inner)
}

/// A prose tag as a reader sees it where nothing is filled in: a literal as its text, an
/// expression as `‹me.user_name›`.
pub fn prose_placeholder(tag: &str) -> String {
    match prose_tag(tag) {
        ProseTag::Literal(text) => text.to_string(),
        ProseTag::Expression(expr) => format!("‹{expr}›"),
    }
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

/// Past the string whose quote is at `at`, escapes included (unclosed: the end).
fn string_end(bytes: &[u8], at: usize) -> usize {
    let quote = bytes[at];
    let mut end = at + 1;
    while let Some(&c) = bytes.get(end) {
        if c == b'\\' {
            end += 2;
            continue;
        }
        end += 1;
        if c == quote {
            break;
        }
    }
    end.min(bytes.len())
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

    /// Every string the fast scanners answer for gets minijinja's own answer: pieces of
    /// template and expression syntax (valid or not), joined in every order up to three, and
    /// a pseudo-random sample of longer joins.
    #[test]
    fn simple_scanners_agree_with_minijinja() {
        const TEMPLATE: &[&str] = &[
            "{{ a }}",
            "{{a.b}}",
            "{{ duo.serial_number }}",
            "{{\ta.b_2\n}}",
            "{{ a.b.c }}",
            "{{ true }}",
            "{{ None }}",
            "{{ true.x }}",
            "{{ not }}",
            "{{ and }}",
            "{{ in }}",
            "{{ a | upper }}",
            "{{- a }}",
            "{{ a -}}",
            "{{+ a }}",
            "{% if a %}",
            "{% endif %}",
            "{# c #}",
            "{{ a. b }}",
            "{{ a .b }}",
            "{{ a.0 }}",
            "{{ a[0] }}",
            "{{ a() }}",
            "{{ 1 }}",
            "{{ 'x' }}",
            "{{ é }}",
            "{{ aé }}",
            "{{ a\u{a0}}}",
            "{{ _x }}",
            "{{ a b }}",
            "{{",
            "}}",
            "{{ a",
            "{",
            "}",
            "{{{ a }}",
            "{{ a }}}",
            "x{",
            " ",
            "\n",
            "text",
            "é",
            "-",
            "%}",
            "#}",
        ];
        const EXPRESSION: &[&str] = &[
            "a",
            "a.b",
            "me.is_root",
            "x_1",
            "_",
            "not",
            "and",
            "or",
            "in",
            "is",
            "if",
            "else",
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "=",
            "!",
            "0",
            "1",
            "007",
            "1.5",
            "1e3",
            "0x1",
            "1_0",
            "1a",
            "99999999999999999999",
            "'s'",
            "\"s\"",
            "'a\\'b'",
            "'",
            "true",
            "None",
            "true.x",
            "not.x",
            "a.0",
            "a. b",
            "(",
            ")",
            "-",
            "+",
            "|",
            "é",
            "a\u{a0}",
            "}}",
            "{{",
            "~",
            "[",
            "]",
        ];
        fn joins(parts: &[&str], mut check: impl FnMut(&str)) {
            for a in parts {
                check(a);
                for b in parts {
                    for sep in ["", " "] {
                        check(&format!("{a}{sep}{b}"));
                        for c in parts {
                            check(&format!("{a}{sep}{b}{sep}{c}"));
                        }
                    }
                }
            }
            let mut seed = 0x2545_f491_4f6c_dd1d_u64;
            for _ in 0..20_000 {
                let mut text = String::new();
                for _ in 0..6 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    text.push_str(parts[(seed % parts.len() as u64) as usize]);
                    if seed & 0x100 != 0 {
                        text.push(' ');
                    }
                }
                check(&text);
            }
        }
        let mut answered = 0;
        joins(TEMPLATE, |text| {
            let mut names = simple::Names::default();
            if simple::template_references(text, &mut names).is_some() {
                answered += 1;
                let fast: Vec<String> = names.sorted().iter().map(|n| n.to_string()).collect();
                assert_eq!(Ok(fast), minijinja_template_references(text), "{text:?}");
            }
        });
        assert!(answered > 1000, "{answered}");
        let mut answered = 0;
        joins(EXPRESSION, |expr| {
            let mut names = simple::Names::default();
            if simple::expression_references(expr, &mut names).is_some() {
                answered += 1;
                let fast: Vec<String> = names.sorted().iter().map(|n| n.to_string()).collect();
                assert_eq!(Ok(fast), minijinja_expression_references(expr), "{expr:?}");
            }
        });
        assert!(answered > 1000, "{answered}");
    }

    /// Nesting is bounded before any parser sees the text, statements are refused, and
    /// every template of the usual forms passes.
    #[test]
    fn limits_bound_nesting_and_refuse_statements() {
        for ok in [
            "{{ duo.serial_number }}",
            "arn:{{ me.account }}/{{ device_name | upper }}",
            "{# a comment #}{{ a }}",
            "{{ '}}{%' ~ a }}",
            "{{ \"a\\\"}}\" }}",
            "no template { at all %}",
        ] {
            assert_eq!(template_limits(ok), Ok(()), "{ok:?}");
        }
        for ok in ["not me.is_root", "count >= 2 and me.is_root", "x == '(((('"] {
            assert_eq!(expression_limits(ok), Ok(()), "{ok:?}");
        }
        let at_limit = format!("{}x", "not ".repeat(MAX_NESTING));
        assert_eq!(expression_limits(&at_limit), Ok(()));
        assert!(minijinja_expression_references(&at_limit).is_ok());
        for deep in [
            format!("{}x", "not ".repeat(MAX_NESTING + 1)),
            format!("{}1", "-".repeat(10_000)),
            vec!["a"; 10_000].join(" ~ "),
            format!("a{}", "|upper".repeat(100)),
            format!("{}1{}", "(".repeat(100), ")".repeat(100)),
        ] {
            let Err(Limit::TooDeep { at }) = expression_limits(&deep) else {
                panic!("not too deep: {deep:.40}");
            };
            assert!(at < deep.len(), "{at}");
            // The same inside a tag, and through the reference scanners.
            let tag = format!("x{{{{ {deep} }}}}");
            assert!(matches!(template_limits(&tag), Err(Limit::TooDeep { .. })));
            assert!(
                template_references(&tag)
                    .unwrap_err()
                    .message
                    .contains("64 levels")
            );
            assert!(
                expression_references(&deep)
                    .unwrap_err()
                    .message
                    .contains("64 levels")
            );
        }
        let loops = "a{% for x in 'ab' %}{{ x }}{% endfor %}";
        assert_eq!(
            template_limits(loops),
            Err(Limit::Statement { range: 1..20 })
        );
        assert!(template_references(loops).is_err());
        assert_eq!(
            template_limits("{% set"),
            Err(Limit::Statement { range: 0..6 })
        );
    }

    #[test]
    fn is_template_finds_any_opening() {
        for text in [
            "", "{", "{{", "x{%", "{#", "{ {", "}}", "{x{{", "a{", "{%}", "é{#",
        ] {
            let expected = text.contains("{{") || text.contains("{%") || text.contains("{#");
            assert_eq!(is_template(text), expected, "{text:?}");
        }
    }

    #[test]
    fn prose_tags_and_their_placeholders() {
        let text = "a {{ me.user_name }} b {{ '}}' }} c {% x %} {{ '{{' }} d {{ open";
        let tags: Vec<&str> = prose_tags(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            tags,
            ["{{ me.user_name }}", "{{ '}}' }}", "{{ '{{' }}", "{{ open"]
        );
        assert_eq!(prose_tag(tags[0]), ProseTag::Expression("me.user_name"));
        assert_eq!(prose_tag(tags[2]), ProseTag::Literal("{{"));
        assert_eq!(prose_tag("{{ \"a'b\" }}"), ProseTag::Literal("a'b"));
        assert_eq!(prose_tag("{{ 'a\\'b' }}"), ProseTag::Expression("'a\\'b'"));
        assert_eq!(prose_placeholder(tags[0]), "‹me.user_name›");
        assert_eq!(prose_placeholder(tags[2]), "{{");
        assert!(prose_tags("no tags { here }").is_empty());
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
