//! An action block's TOML body, parsed into toml's own values ([`DeValue`]) with spans.
//!
//! Bodies are a few `key = "value"` lines, yet toml's full parser (a lexer, an event
//! stream, a recovering parser, string decoding) spent about a third of `runbook check`'s
//! binding time on them. [`parse`] reads the common subset directly: bare keys, strings
//! without escapes (basic or literal, one line), `true`/`false`, one-line arrays of those,
//! comments and blank lines. It builds exactly the entries toml builds for such a body, spans
//! included; for anything else (numbers, dates, tables, dotted or quoted keys, escapes,
//! multi-line values, duplicate keys, any error) it hands the body to toml, so every
//! diagnostic comes from toml as before.

use std::borrow::Cow;

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{IntoDeserializer, Visitor};
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

/// A parsed body: its keys and values in toml's order (by key), spans relative to the body.
///
/// A list rather than toml's own table (a `BTreeMap`): a body has a handful of keys, and
/// the map's one node per body was a 1 KB allocation, the largest `check` made per block.
#[derive(Debug, Default)]
pub struct Body<'b> {
    entries: Vec<(Spanned<Cow<'b, str>>, Spanned<DeValue<'b>>)>,
}

impl<'b> Body<'b> {
    pub fn iter(&self) -> impl Iterator<Item = (&Spanned<Cow<'b, str>>, &Spanned<DeValue<'b>>)> {
        self.entries.iter().map(|(key, value)| (key, value))
    }

    pub fn get(&self, key: &str) -> Option<&Spanned<DeValue<'b>>> {
        self.position(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn remove(&mut self, key: &str) -> Option<Spanned<DeValue<'b>>> {
        let i = self.position(key).ok()?;
        Some(self.entries.remove(i).1)
    }

    /// toml's own table of the same entries, for toml's deserializer.
    pub fn into_table(self) -> Spanned<DeTable<'b>> {
        // toml gives the document itself an empty span.
        Spanned::new(0..0, self.entries.into_iter().collect())
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(existing, _)| existing.get_ref().as_ref().cmp(key))
    }
}

/// `DeTable::parse_recoverable`, with a fast path for simple bodies.
pub fn parse(body: &str) -> (Body<'_>, Vec<toml::de::Error>) {
    match simple(body) {
        Some(table) => (table, Vec::new()),
        None => {
            let (table, errors) = DeTable::parse_recoverable(body);
            let entries = table.into_inner().into_iter().collect();
            (Body { entries }, errors)
        }
    }
}

/// The table of a body in the simple subset, or `None`.
fn simple(body: &str) -> Option<Body<'_>> {
    let bytes = body.as_bytes();
    // At most one entry per line: sized once rather than grown.
    let lines = 1 + bytes.iter().filter(|&&b| b == b'\n').count();
    let mut table = Body {
        entries: Vec::with_capacity(lines),
    };
    let mut at = 0;
    loop {
        at = skip_blanks(bytes, at);
        match bytes.get(at) {
            None => break,
            Some(b'\n' | b'\r' | b'#') => {
                at = line_end(bytes, at)?;
                continue;
            }
            _ => {}
        }
        let key_end = at
            + bytes[at..]
                .iter()
                .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                .count();
        if key_end == at {
            return None;
        }
        let key = &body[at..key_end];
        let equals = skip_blanks(bytes, key_end);
        if bytes.get(equals) != Some(&b'=') {
            return None;
        }
        let (value, value_end) = value(body, skip_blanks(bytes, equals + 1), true)?;
        // A duplicate key is an error, which toml reports.
        let i = table.position(key).err()?;
        table
            .entries
            .insert(i, (Spanned::new(at..key_end, Cow::Borrowed(key)), value));
        at = line_end(bytes, value_end)?;
    }
    Some(table)
}

/// Past spaces and tabs.
fn skip_blanks(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    at
}

/// After a value: blanks, an optional comment and the end of the line (or of the body).
/// Returns where the next line starts.
fn line_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut at = skip_blanks(bytes, at);
    if bytes.get(at) == Some(&b'#') {
        at += 1;
        while let Some(&b) = bytes.get(at) {
            if b == b'\n' || b == b'\r' {
                break;
            }
            if !plain(bytes, at) {
                return None;
            }
            at += 1;
        }
    }
    match bytes.get(at) {
        None => Some(at),
        Some(b'\n') => Some(at + 1),
        Some(b'\r') if bytes.get(at + 1) == Some(&b'\n') => Some(at + 2),
        _ => None,
    }
}

/// Whether the byte at `at` may appear in a string or comment as it is: a tab, printable
/// ASCII, or part of a non-ASCII character other than a C1 control (which this subset
/// leaves to toml).
fn plain(bytes: &[u8], at: usize) -> bool {
    match bytes[at] {
        b'\t' | b' '..=b'~' => true,
        0xC2 => !matches!(bytes.get(at + 1), Some(0x80..=0x9F)),
        b => b >= 0x80,
    }
}

/// A value starting at `at`, and where it ends.
fn value(body: &str, at: usize, array: bool) -> Option<(Spanned<DeValue<'_>>, usize)> {
    let bytes = body.as_bytes();
    match *bytes.get(at)? {
        quote @ (b'"' | b'\'') => {
            // `"""` and `'''` open multi-line strings.
            if bytes.get(at + 1) == Some(&quote) && bytes.get(at + 2) == Some(&quote) {
                return None;
            }
            let mut end = at + 1;
            loop {
                // Skip the bytes that need no thought (printable ASCII, most non-ASCII).
                end += bytes[end..].iter().position(|&b| {
                    b == quote || b == b'\\' || b < b' ' || b == 0x7F || b == 0xC2
                })?;
                match bytes[end] {
                    b if b == quote => break,
                    b'\\' if quote == b'"' => return None,
                    _ if !plain(bytes, end) => return None,
                    _ => end += 1,
                }
            }
            let text = Cow::Borrowed(&body[at + 1..end]);
            Some((Spanned::new(at..end + 1, DeValue::String(text)), end + 1))
        }
        b't' | b'f' => {
            let (word, truth) = if bytes[at] == b't' {
                ("true", true)
            } else {
                ("false", false)
            };
            let end = at + word.len();
            let delimited = matches!(
                bytes.get(end),
                None | Some(b' ' | b'\t' | b'\n' | b'\r' | b'#' | b',' | b']')
            );
            (bytes[at..].starts_with(word.as_bytes()) && delimited)
                .then(|| (Spanned::new(at..end, DeValue::Boolean(truth)), end))
        }
        b'[' if array => {
            let mut items = DeArray::new();
            let mut next = skip_blanks(bytes, at + 1);
            loop {
                if bytes.get(next) == Some(&b']') {
                    break;
                }
                let (item, end) = value(body, next, false)?;
                items.push(item);
                next = skip_blanks(bytes, end);
                match bytes.get(next) {
                    Some(b',') => next = skip_blanks(bytes, next + 1),
                    Some(b']') => break,
                    _ => return None,
                }
            }
            Some((Spanned::new(at..next + 1, DeValue::Array(items)), next + 1))
        }
        _ => None,
    }
}

/// Whether a body holds only strings, booleans and lists of them: the values [`deserialize`]
/// reads exactly as toml's deserializer does.
pub fn is_plain(body: &Body<'_>) -> bool {
    let scalar = |value: &DeValue<'_>| matches!(value, DeValue::String(_) | DeValue::Boolean(_));
    body.iter().all(|(_, value)| match value.get_ref() {
        DeValue::Array(items) => items.iter().all(|item| scalar(item.get_ref())),
        other => scalar(other),
    })
}

/// Deserialises an action's params from a plain body (see [`is_plain`]) straight from the
/// table, with serde's own map and sequence deserializers: the quickest way to typed params,
/// with no JSON or toml value built on the way. Errors carry no span; where this fails, the
/// binder asks toml's deserializer, which says where and why.
pub fn deserialize<T: serde::de::DeserializeOwned>(
    body: &Body<'_>,
) -> Result<T, serde::de::value::Error> {
    T::deserialize(MapDeserializer::new(
        body.iter()
            .map(|(key, value)| (key.get_ref().as_ref(), Plain(value.get_ref()))),
    ))
}

/// One value of a plain body, as a serde deserializer.
#[derive(Clone, Copy)]
struct Plain<'a, 'de>(&'a DeValue<'de>);

impl<'de> IntoDeserializer<'de, serde::de::value::Error> for Plain<'_, '_> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> serde::Deserializer<'de> for Plain<'_, '_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            DeValue::String(text) => visitor.visit_str(text),
            DeValue::Boolean(truth) => visitor.visit_bool(*truth),
            DeValue::Array(items) => visitor.visit_seq(SeqDeserializer::new(
                items.iter().map(|item| Plain(item.get_ref())),
            )),
            other => Err(serde::de::Error::custom(format!(
                "{} is not a plain value",
                other.type_str()
            ))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            // A unit variant, by name.
            DeValue::String(text) => {
                let text: &str = text;
                text.into_deserializer()
                    .deserialize_enum(name, variants, visitor)
            }
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// A body as JSON, in toml's order.
pub fn to_json(body: &Body<'_>) -> serde_json::Value {
    object(body.iter())
}

fn object<'a, 'b: 'a>(
    entries: impl Iterator<Item = (&'a Spanned<Cow<'b, str>>, &'a Spanned<DeValue<'b>>)>,
) -> serde_json::Value {
    fn value(item: &DeValue<'_>) -> serde_json::Value {
        match item {
            DeValue::String(s) => serde_json::Value::String(s.to_string()),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).map_or_else(
                |_| serde_json::Value::String(i.to_string()),
                serde_json::Value::from,
            ),
            DeValue::Float(f) => f
                .as_str()
                .parse::<f64>()
                .map_or(serde_json::Value::Null, serde_json::Value::from),
            DeValue::Boolean(b) => serde_json::Value::Bool(*b),
            DeValue::Datetime(d) => serde_json::Value::String(d.to_string()),
            DeValue::Array(items) => items.iter().map(|item| value(item.get_ref())).collect(),
            DeValue::Table(table) => object(table.iter()),
        }
    }
    serde_json::Value::Object(
        entries
            .map(|(key, item)| (key.get_ref().to_string(), value(item.get_ref())))
            .collect(),
    )
}

/// A valid body's parameters as JSON: every key but `skip` (the binder's `when` and
/// `expect`), templates unresolved.
pub fn params_json(body: &str, skip: &[&str]) -> serde_json::Value {
    let (mut table, _) = parse(body);
    for key in skip {
        table.remove(key);
    }
    to_json(&table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// toml's entries for a valid body, as `Debug` shows them (spans included).
    fn toml(body: &str) -> Option<String> {
        let (table, errors) = DeTable::parse_recoverable(body);
        let entries: Vec<_> = table.get_ref().iter().collect();
        (errors.is_empty() && table.span() == (0..0)).then(|| format!("{entries:?}"))
    }

    fn ours(body: &Body<'_>) -> String {
        format!("{:?}", body.iter().collect::<Vec<_>>())
    }

    #[test]
    fn simple_bodies_skip_toml() {
        let body = "user = \"{{ me.user_name }}\"\nexpect = [\"count >= 1\", 'x']\nok = true\n";
        assert!(simple(body).is_some());
        assert_eq!(toml(body), Some(ours(&parse(body).0)));
        assert!(simple("n = 1\n").is_none());
        assert!(simple("a.b = \"x\"\n").is_none());
        assert!(simple("a = \"x\\n\"\n").is_none());
    }

    /// Whenever the fast path answers, toml gives the same table (spans, order and all)
    /// and no error: lines made of pieces of TOML, valid or not, in every combination up to
    /// three, and a pseudo-random sample of longer ones.
    #[test]
    fn simple_bodies_match_toml() {
        const PIECES: &[&str] = &[
            "user = \"bob\"",
            "user=\"bob\"",
            "\tname = 'a\\b'",
            "when = \"not me.is_root\"  # why",
            "expect = [\"count >= 1\", \"x < 2\"]",
            "expect = [ 'a' , \"b\", ]",
            "list = []",
            "list = [ ]",
            "list = [,]",
            "list = [\"a\" \"b\"]",
            "list = [\"a\",\n\"b\"]",
            "list = [[\"a\"]]",
            "list = [true, false]",
            "flag = true",
            "flag = false",
            "flag = truex",
            "flag = True",
            "empty = \"\"",
            "empty = ''",
            "multi = \"\"\"x\"\"\"",
            "multi = '''x'''",
            "esc = \"a\\\"b\"",
            "esc = \"a\\nb\"",
            "esc = \"\\u00e9\"",
            "tab = \"a\tb\"",
            "ctl = \"a\u{1}b\"",
            "del = \"a\u{7f}b\"",
            "c1 = \"a\u{85}b\"",
            "uni = \"Müller — 名前\"",
            "n = 1",
            "f = 1.5",
            "d = 1979-05-27",
            "dotted.key = \"x\"",
            "\"quoted\" = \"x\"",
            "bare-key_1 = \"x\"",
            "1234 = \"x\"",
            "user = \"dup\"",
            "[table]",
            "[[array]]",
            "= \"no key\"",
            "key",
            "key =",
            "key = \"open",
            "key = 'open",
            "inline = { a = \"b\" }",
            "# comment",
            "# comment with ü and \"quotes\"",
            "#\u{1}",
            "# \u{7f} \u{85}",
            "",
            "   ",
            "\u{feff}k = \"bom\"",
            "k = \"x\" junk",
        ];
        const ENDS: &[&str] = &["\n", "\r\n", "\r", ""];
        let mut answered = 0;
        let mut check = |body: &str| {
            if let Some(fast) = simple(body) {
                answered += 1;
                assert_eq!(Some(ours(&fast)), toml(body), "{body:?}");
            }
        };
        for a in PIECES {
            for end in ENDS {
                check(&format!("{a}{end}"));
                for b in PIECES {
                    check(&format!("{a}{end}{b}{end}"));
                    for c in PIECES {
                        check(&format!("{a}\n{b}{end}{c}\n"));
                    }
                }
            }
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            let mut body = String::new();
            for _ in 0..6 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                body.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
                body.push_str(ENDS[((seed >> 32) % ENDS.len() as u64) as usize]);
            }
            check(&body);
        }
        assert!(answered > 10_000, "{answered}");
    }
}
