//! A spanned document tree shared by the TOML and JSON front-ends.
//!
//! The decoder walks this tree instead of deserializing straight into the
//! model so that it can report every problem in one pass, each with the byte
//! span it comes from.

use std::borrow::Cow;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// A value of the catalog document with the byte span it was read from.
#[derive(Clone, Debug)]
pub(crate) struct Node<'a> {
    pub(crate) span: Range<usize>,
    pub(crate) kind: Kind<'a>,
    /// Table rules the TOML front-end needs while it builds the tree (see
    /// `toml_events`); 0 elsewhere.
    pub(crate) flags: u8,
}

/// The value of a [`Node`].
#[derive(Clone, Debug)]
pub(crate) enum Kind<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime(String),
    /// JSON `null` (JSON catalogs only; valid in templates and examples).
    Null,
    Array(Vec<Node<'a>>),
    Table(Vec<Entry<'a>>),
}

/// One `key = value` of a table.
#[derive(Clone, Debug)]
pub(crate) struct Entry<'a> {
    pub(crate) key: Cow<'a, str>,
    pub(crate) key_span: Range<usize>,
    pub(crate) value: Node<'a>,
}

impl Kind<'_> {
    /// The noun used in "expected a string, found an integer".
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Kind::Str(_) => "a string",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a float",
            Kind::Bool(_) => "a boolean",
            Kind::Datetime(_) => "a datetime",
            Kind::Null => "null",
            Kind::Array(_) => "an array",
            Kind::Table(_) => "a table",
        }
    }
}

impl<'a> Node<'a> {
    pub(crate) fn new(span: Range<usize>, kind: Kind<'a>) -> Self {
        Node {
            span,
            kind,
            flags: 0,
        }
    }

    /// Converts the node into plain JSON, keeping key order.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Str(s) => Value::String(s.to_string()),
            Kind::Datetime(s) => Value::String(s.clone()),
            Kind::Int(i) => Value::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Null => Value::Null,
            Kind::Array(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Table(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A syntax error of either front-end.
#[derive(Clone, Debug)]
pub(crate) struct SyntaxError {
    pub(crate) message: String,
    pub(crate) span: Range<usize>,
}

/// Parses TOML text into a [`Node`] tree.
///
/// The fast front-end builds the tree from `toml_parser`'s events; text it
/// does not take (any error, or a very long table) is read with
/// `toml::de::DeTable`, which also gives errors their message and span.
pub(crate) fn parse_toml(text: &str) -> Result<Node<'_>, SyntaxError> {
    match crate::toml_events::parse(text) {
        Some(node) => Ok(node),
        None => parse_detable(text),
    }
}

/// Parses TOML text with `toml::de::DeTable`, then converts the table.
pub(crate) fn parse_detable(text: &str) -> Result<Node<'_>, SyntaxError> {
    let table = DeTable::parse(text).map_err(|e| SyntaxError {
        message: e.message().trim().to_owned(),
        span: e.span().unwrap_or(0..0),
    })?;
    let span = 0..text.len();
    Ok(Node::new(
        span,
        Kind::Table(convert_table(table.into_inner())),
    ))
}

fn convert_table(table: DeTable<'_>) -> Vec<Entry<'_>> {
    table
        .into_iter()
        .map(|(k, v)| {
            let key_span = k.span();
            Entry {
                key: k.into_inner(),
                key_span,
                value: convert_value(v),
            }
        })
        .collect()
}

fn convert_value(value: toml::Spanned<DeValue<'_>>) -> Node<'_> {
    let span = value.span();
    let kind = match value.into_inner() {
        DeValue::String(s) => Kind::Str(s),
        DeValue::Integer(i) => integer_kind(Cow::Borrowed(i.as_str()), i.radix()).into_owned(),
        DeValue::Float(f) => float_kind(f.as_str()).into_owned(),
        DeValue::Boolean(b) => Kind::Bool(b),
        DeValue::Datetime(d) => Kind::Datetime(d.to_string()),
        DeValue::Array(items) => Kind::Array(items.into_iter().map(convert_value).collect()),
        DeValue::Table(t) => Kind::Table(convert_table(t)),
    };
    Node::new(span, kind)
}

/// A decoded TOML integer (digits without prefix, maybe `_`): the number,
/// or the text when it does not fit an `i64`.
pub(crate) fn integer_kind(digits: Cow<'_, str>, radix: u32) -> Kind<'_> {
    let parsed = if digits.contains('_') {
        i64::from_str_radix(&digits.replace('_', ""), radix)
    } else {
        i64::from_str_radix(&digits, radix)
    };
    match parsed {
        Ok(n) => Kind::Int(n),
        Err(_) => Kind::Str(Cow::Owned(digits.into_owned())),
    }
}

/// A decoded TOML float: the number, or the text when it does not parse.
pub(crate) fn float_kind(text: &str) -> Kind<'static> {
    let text: Cow<'_, str> = if text.contains('_') {
        Cow::Owned(text.replace('_', ""))
    } else {
        Cow::Borrowed(text)
    };
    let parsed = match text.as_ref() {
        "inf" | "+inf" => Ok(f64::INFINITY),
        "-inf" => Ok(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => Ok(f64::NAN),
        other => other.parse::<f64>(),
    };
    parsed.map_or_else(|_| Kind::Str(Cow::Owned(text.into_owned())), Kind::Float)
}

impl Kind<'_> {
    /// The same value, owning its text.
    fn into_owned(self) -> Kind<'static> {
        match self {
            Kind::Str(s) => Kind::Str(Cow::Owned(s.into_owned())),
            Kind::Int(i) => Kind::Int(i),
            Kind::Float(f) => Kind::Float(f),
            Kind::Bool(b) => Kind::Bool(b),
            Kind::Datetime(d) => Kind::Datetime(d),
            Kind::Null => Kind::Null,
            Kind::Array(_) | Kind::Table(_) => unreachable!("scalars only"),
        }
    }
}

/// Parses JSON text into a [`Node`] tree, keeping spans.
pub(crate) fn parse_json(text: &str) -> Result<Node<'_>, SyntaxError> {
    let mut p = JsonParser {
        src: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
    };
    p.skip_ws();
    let node = p.value()?;
    p.skip_ws();
    if p.pos != p.src.len() {
        return Err(p.error("trailing characters after the JSON document"));
    }
    Ok(node)
}

const MAX_DEPTH: usize = 128;

struct JsonParser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> JsonParser<'a> {
    fn error(&self, message: &str) -> SyntaxError {
        let end = (self.pos + 1).min(self.src.len());
        SyntaxError {
            message: message.to_owned(),
            span: self.pos.min(self.src.len())..end,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.src.get(self.pos) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), SyntaxError> {
        if self.src.get(self.pos) == Some(&byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn value(&mut self) -> Result<Node<'a>, SyntaxError> {
        let start = self.pos;
        let kind = match self.src.get(self.pos) {
            None => return Err(self.error("unexpected end of JSON input")),
            Some(b'{') => self.object()?,
            Some(b'[') => self.array()?,
            Some(b'"') => Kind::Str(self.string()?),
            Some(b't') => self.literal("true", Kind::Bool(true))?,
            Some(b'f') => self.literal("false", Kind::Bool(false))?,
            Some(b'n') => self.literal("null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error("expected a JSON value")),
        };
        Ok(Node::new(start..self.pos, kind))
    }

    fn literal(&mut self, word: &str, kind: Kind<'a>) -> Result<Kind<'a>, SyntaxError> {
        if self.src[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(kind)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("JSON nested too deeply"));
        }
        Ok(())
    }

    fn object(&mut self) -> Result<Kind<'a>, SyntaxError> {
        self.enter()?;
        self.pos += 1;
        let mut entries = Vec::new();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Kind::Table(entries));
        }
        loop {
            self.skip_ws();
            if self.src.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a string key"));
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = key_start..self.pos;
            self.skip_ws();
            self.expect(b':', "expected `:` after the key")?;
            self.skip_ws();
            let value = self.value()?;
            entries.push(Entry {
                key,
                key_span,
                value,
            });
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
        self.depth -= 1;
        Ok(Kind::Table(entries))
    }

    fn array(&mut self) -> Result<Kind<'a>, SyntaxError> {
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Kind::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
        self.depth -= 1;
        Ok(Kind::Array(items))
    }

    fn number(&mut self) -> Result<Kind<'a>, SyntaxError> {
        let start = self.pos;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.src.get(self.pos) {
            self.pos += 1;
        }
        let text = &self.text[start..self.pos];
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Kind::Int(i));
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() && serde_json::from_str::<f64>(text).is_ok() => {
                Ok(Kind::Float(f))
            }
            _ => {
                self.pos = start;
                Err(self.error("invalid number"))
            }
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.src.get(self.pos) {
                None => {
                    self.pos = start;
                    return Err(self.error("unterminated string"));
                }
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => self.pos += 2,
                Some(&b) if b < 0x20 => return Err(self.error("control character in string")),
                Some(_) => self.pos += 1,
            }
        }
        let raw = self.text.get(start..self.pos).unwrap_or("\"\"");
        if !raw[1..raw.len() - 1].contains('\\') {
            return Ok(Cow::Borrowed(&raw[1..raw.len() - 1]));
        }
        serde_json::from_str::<String>(raw)
            .map(Cow::Owned)
            .map_err(|e| SyntaxError {
                // serde_json's position is within the string alone; the span says where it is.
                message: format!(
                    "invalid string: {}",
                    e.to_string().split(" at line ").next().unwrap_or_default()
                ),
                span: start..self.pos.min(self.src.len()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_order_and_spans() {
        let text = r#"{"b": 1, "a": ["x", true, 2.5]}"#;
        let node = parse_json(text).unwrap();
        let Kind::Table(entries) = &node.kind else {
            panic!("not a table")
        };
        let keys: Vec<_> = entries.iter().map(|e| e.key.as_ref()).collect();
        assert_eq!(keys, ["b", "a"]);
        assert_eq!(&text[entries[1].key_span.clone()], "\"a\"");
        assert_eq!(&text[entries[1].value.span.clone()], r#"["x", true, 2.5]"#);
    }

    #[test]
    fn json_errors_point_at_the_problem() {
        for (text, at) in [
            ("{\"a\": }", 6),
            ("[1, 2", 5),
            ("{\"a\": \"x", 6),
            ("{\"a\": 1} x", 9),
        ] {
            let err = parse_json(text).unwrap_err();
            assert_eq!(err.span.start, at, "{text}: {}", err.message);
        }
    }

    #[test]
    fn json_depth_is_bounded() {
        let text = "[".repeat(10_000);
        let err = parse_json(&text).unwrap_err();
        assert_eq!(err.message, "JSON nested too deeply");
    }

    #[test]
    fn toml_keeps_spans() {
        let text = "[api]\nname = \"x\"\n";
        let node = parse_toml(text).unwrap();
        let Kind::Table(top) = &node.kind else {
            panic!("not a table")
        };
        let Kind::Table(api) = &top[0].value.kind else {
            panic!("not a table")
        };
        assert_eq!(&text[api[0].key_span.clone()], "name");
        assert_eq!(&text[api[0].value.span.clone()], "\"x\"");
    }
}
