//! The runtime error value.

use std::borrow::Cow;
use std::fmt;

use errcat_catalog::FieldViolation;

/// The value of one message parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// Text.
    Str(Cow<'static, str>),
    /// An integer.
    Int(i64),
    /// A number.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl ParamValue {
    /// Appends the value as message text.
    pub fn write_text(&self, out: &mut String) {
        match self {
            ParamValue::Str(s) => out.push_str(s),
            ParamValue::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
            ParamValue::Float(f) => {
                use fmt::Write;
                let _ = write!(out, "{f}");
            }
            ParamValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        }
    }

    /// The value as message text.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write_text(&mut s);
        s
    }

    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ParamValue::Str(s) => serde_json::Value::String(s.to_string()),
            ParamValue::Int(i) => (*i).into(),
            ParamValue::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            ParamValue::Bool(b) => (*b).into(),
        }
    }

    /// A parameter value from JSON (strings, numbers and booleans; anything
    /// else becomes its JSON text).
    pub fn from_json(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::String(s) => ParamValue::Str(Cow::Owned(s.clone())),
            serde_json::Value::Bool(b) => ParamValue::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => ParamValue::Int(i),
                None => ParamValue::Float(n.as_f64().unwrap_or(0.0)),
            },
            other => ParamValue::Str(Cow::Owned(other.to_string())),
        }
    }
}

macro_rules! from_impls {
    ($($t:ty => $arm:ident($conv:expr)),* $(,)?) => {
        $(impl From<$t> for ParamValue {
            fn from(v: $t) -> Self {
                ParamValue::$arm($conv(v))
            }
        })*
    };
}

from_impls! {
    &'static str => Str(Cow::Borrowed),
    String => Str(Cow::Owned),
    Cow<'static, str> => Str(std::convert::identity),
    i64 => Int(std::convert::identity),
    i32 => Int(i64::from),
    u32 => Int(i64::from),
    u16 => Int(i64::from),
    f64 => Float(std::convert::identity),
    bool => Bool(std::convert::identity),
}

impl From<u64> for ParamValue {
    fn from(v: u64) -> Self {
        i64::try_from(v).map_or_else(|_| ParamValue::Float(v as f64), ParamValue::Int)
    }
}

impl From<usize> for ParamValue {
    fn from(v: usize) -> Self {
        ParamValue::from(v as u64)
    }
}

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

struct Inner {
    code: Cow<'static, str>,
    role: Option<&'static str>,
    params: Vec<(Cow<'static, str>, ParamValue)>,
    violations: Vec<FieldViolation>,
    details: Option<serde_json::Value>,
    retry_after: Option<u64>,
    headers: Vec<(Cow<'static, str>, String)>,
    source: Option<Cause>,
}

/// An error raised by an errcat service: a catalog code with its parameters,
/// field violations and details, plus an internal cause chain that is logged
/// but never rendered.
///
/// It is one pointer wide, so `Result<T, Error>` stays small.
///
/// ```
/// use errcat_render::Error;
///
/// let io = std::io::Error::other("connection reset by 10.0.0.7");
/// let e = Error::new("TEMPLATE_NOT_FOUND")
///     .with_param("template_id", "tpl_42")
///     .with_source(io);
/// assert_eq!(e.code(), "TEMPLATE_NOT_FOUND");
/// assert_eq!(e.to_string(), "TEMPLATE_NOT_FOUND");
/// assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
/// // The cause is there for logs, not for clients.
/// assert!(std::error::Error::source(&e).unwrap().to_string().contains("10.0.0.7"));
/// ```
pub struct Error(Box<Inner>);

impl Error {
    /// An error with a catalog code.
    pub fn new(code: impl Into<Cow<'static, str>>) -> Self {
        Error(Box::new(Inner {
            code: code.into(),
            role: None,
            params: Vec::new(),
            violations: Vec::new(),
            details: None,
            retry_after: None,
            headers: Vec::new(),
            source: None,
        }))
    }

    /// The catalog's error for a standard role (`invalid_json`, `not_found`,
    /// …), whatever code the catalog gives it: the code is looked up when the
    /// error is rendered. Until then [`Error::code`] is the role in upper case.
    ///
    /// ```
    /// let e = errcat_render::Error::standard("invalid_json");
    /// assert_eq!((e.code(), e.role()), ("INVALID_JSON", Some("invalid_json")));
    /// ```
    pub fn standard(role: &'static str) -> Self {
        let mut e = Error::new(role.to_ascii_uppercase());
        e.0.role = Some(role);
        e
    }

    /// The standard role this error was raised by, if any.
    pub fn role(&self) -> Option<&'static str> {
        self.0.role
    }

    /// Sets a message parameter.
    #[must_use]
    pub fn with_param(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<ParamValue>,
    ) -> Self {
        let name = name.into();
        let value = value.into();
        match self.0.params.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.params.push((name, value)),
        }
        self
    }

    /// Adds a field violation.
    #[must_use]
    pub fn with_violation(mut self, path: impl Into<String>, message: impl Into<String>) -> Self {
        self.0.violations.push(FieldViolation::new(path, message));
        self
    }

    /// Adds field violations.
    #[must_use]
    pub fn with_violations(mut self, violations: impl IntoIterator<Item = FieldViolation>) -> Self {
        self.0.violations.extend(violations);
        self
    }

    /// Sets the details object.
    #[must_use]
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.0.details = Some(details);
        self
    }

    /// Sets the delay before a retry, in seconds (the `Retry-After` header).
    #[must_use]
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.0.retry_after = Some(seconds);
        self
    }

    /// Adds a response header. Line breaks in the value are replaced by spaces.
    #[must_use]
    pub fn with_header(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
    ) -> Self {
        self.0
            .headers
            .push((name.into(), sanitize_header(value.into())));
        self
    }

    /// Sets the internal cause. It is never rendered.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<Cause>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// The catalog code.
    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// The parameters, in the order set.
    pub fn params(&self) -> &[(Cow<'static, str>, ParamValue)] {
        &self.0.params
    }

    /// The parameter named `name`.
    pub fn param(&self, name: &str) -> Option<&ParamValue> {
        self.0
            .params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The field violations.
    pub fn violations(&self) -> &[FieldViolation] {
        &self.0.violations
    }

    /// The details object.
    pub fn details(&self) -> Option<&serde_json::Value> {
        self.0.details.as_ref()
    }

    /// The retry delay set on this error.
    pub fn retry_after(&self) -> Option<u64> {
        self.0.retry_after
    }

    /// Headers set on this error.
    pub fn headers(&self) -> &[(Cow<'static, str>, String)] {
        &self.0.headers
    }

    /// The internal cause chain, outermost first, as text for logs.
    pub fn cause_chain(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut next = std::error::Error::source(self);
        while let Some(e) = next {
            out.push(e.to_string());
            next = e.source();
        }
        out
    }
}

/// Replaces characters that would break a header line.
pub(crate) fn sanitize_header(value: String) -> String {
    if value.chars().any(|c| c.is_control() && c != '\t') {
        value
            .chars()
            .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
            .collect()
    } else {
        value
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("code", &self.0.code);
        if !self.0.params.is_empty() {
            d.field("params", &self.0.params);
        }
        if !self.0.violations.is_empty() {
            d.field("violations", &self.0.violations);
        }
        if let Some(details) = &self.0.details {
            d.field("details", details);
        }
        if let Some(source) = &self.0.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    /// The code only: messages come from the catalog, causes stay internal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.code)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|s| &**s as &(dyn std::error::Error + 'static))
    }
}
