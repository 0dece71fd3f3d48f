//! Reading error responses back: the catalog's envelope template read
//! backwards, then RFC 9457, Google AIP-193, common JSON shapes and plain text.
//!
//! A [`Parser`] compiles each envelope template once into a reader. Reading
//! walks the template and the body together with `serde`: where the template
//! has `"$code"`, the body's value at that position is the code; every other
//! value is skipped without being built. Nothing here is async.

use std::collections::HashMap;

/// Code lookups on every parse: a fast hasher (codes come from the catalog
/// and the body; foldhash's random state resists flooding).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime};

use errcat_catalog::template;
use errcat_catalog::{Catalog, FieldViolation, Message, Segment};
use http::{HeaderMap, HeaderName};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::retry;

/// Bodies larger than this are not parsed as JSON (the [`ApiError`] keeps
/// the status, the headers' values and a prefix of the body).
pub const MAX_PARSE_BYTES: usize = 1024 * 1024;

/// The most body bytes an [`ApiError`] keeps in [`ApiError::raw`].
pub const MAX_RAW_BYTES: usize = 64 * 1024;

/// The most bytes of a plain-text body kept as the message.
const MAX_TEXT_MESSAGE: usize = 1024;

/// How a body was understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// One of the catalog's custom envelopes (its index in `Catalog::envelopes`).
    Custom(usize),
    /// RFC 9457 `problem+json`.
    Problem,
    /// Google AIP-193 (`google.rpc.Status`).
    Google,
    /// Some other JSON object with recognizable members (`code`, `message`, `error`…).
    Json,
    /// A plain-text body: its text is the message.
    Text,
    /// An empty body.
    Empty,
    /// A body that could not be read (not UTF-8, not JSON, or too large).
    Unreadable,
}

/// An error response, parsed.
///
/// [`Parser::parse`] always returns one, whatever the body: fields the body
/// does not carry are `None`, and [`ApiError::format`] tells how the body was
/// read.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The catalog code, as sent (or found from the numeric code or, for an
    /// envelope without codes, the message). See [`ApiError::code_as`].
    pub code: Option<String>,
    /// The numeric code, for APIs that have them.
    pub numeric_code: Option<i64>,
    /// The category.
    pub category: Option<String>,
    /// The short title.
    pub title: Option<String>,
    /// The human-readable message (do not parse it: use the code).
    pub message: Option<String>,
    /// Field violations.
    pub violations: Vec<FieldViolation>,
    /// The details object, if the body has one that is not a field violation.
    pub details: Option<Value>,
    /// The error id, for support.
    pub error_id: Option<String>,
    /// The request id: the `X-Request-Id` header, else the body's.
    pub request_id: Option<String>,
    /// How long the server asks to wait: `Retry-After` (seconds or HTTP-date),
    /// else the body's `retry_after`, else an exhausted IETF `RateLimit`.
    /// Uncapped: the retry policy caps it.
    pub retry_after: Option<Duration>,
    /// Whether the catalog marks the code retryable (false when unknown).
    pub retryable: bool,
    /// How the body was read.
    pub format: Format,
    /// The body (its first [`MAX_RAW_BYTES`] bytes).
    pub raw: Vec<u8>,
}

impl ApiError {
    /// An error with only a status, for building by hand.
    pub fn new(status: u16) -> Self {
        ApiError {
            status,
            code: None,
            numeric_code: None,
            category: None,
            title: None,
            message: None,
            violations: Vec::new(),
            details: None,
            error_id: None,
            request_id: None,
            retry_after: None,
            retryable: false,
            format: Format::Empty,
            raw: Vec::new(),
        }
    }

    /// The code as a typed value, such as the `Code` enum the `errcat::catalog!`
    /// macro generates (its `FromStr` never fails: a code this build does not
    /// know becomes `Code::Unknown`). `None` when the body has no code.
    ///
    /// ```
    /// # use errcat_client::ApiError;
    /// let mut e = ApiError::new(404);
    /// e.code = Some("42".into());
    /// assert_eq!(e.code_as::<u32>(), Some(42));
    /// ```
    pub fn code_as<C: FromStr>(&self) -> Option<C> {
        self.code.as_deref().and_then(|c| c.parse().ok())
    }

    /// The body as text (lossy), for logs.
    pub fn raw_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.raw)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(c) = &self.code {
            write!(f, " {c}")?;
        } else if let Some(n) = self.numeric_code {
            write!(f, " {n}")?;
        }
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A variable of a template, as read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Var {
    Code,
    NumericCode,
    Status,
    Title,
    Message,
    Category,
    /// `$details`: a details object, or the first violation.
    Details,
    /// RFC 9457 `details`: always the details object.
    DetailsRaw,
    FieldViolations,
    ErrorId,
    RequestId,
    RetryAfter,
    /// AIP-193's `details` array.
    GoogleDetails,
    Path,
    /// `$message` in a violation template.
    ViolationMessage,
    Reason,
}

impl Var {
    /// What the reader does with a template variable: the catalog's
    /// variables it reads back, plus two of its own built-in templates use;
    /// `None` for what it skips (`$type`, `$instance`, `$timestamp`,
    /// `$doc_url`) and for unknown names.
    fn parse(name: &str, violation: bool) -> Option<Var> {
        use errcat_catalog::template::Var as T;
        match (name, violation) {
            ("details_raw", false) => return Some(Var::DetailsRaw),
            ("google_details", false) => return Some(Var::GoogleDetails),
            _ => {}
        }
        Some(match T::parse(name, violation)? {
            T::Code => Var::Code,
            T::NumericCode => Var::NumericCode,
            T::Status => Var::Status,
            T::Title => Var::Title,
            T::Message => Var::Message,
            T::Category => Var::Category,
            T::Details => Var::Details,
            T::FieldViolations => Var::FieldViolations,
            T::ErrorId => Var::ErrorId,
            T::RequestId => Var::RequestId,
            T::RetryAfter => Var::RetryAfter,
            T::Path => Var::Path,
            T::ViolationMessage => Var::ViolationMessage,
            T::Reason => Var::Reason,
            T::Type | T::Instance | T::Timestamp | T::DocUrl => return None,
        })
    }
}

/// A compiled template: where the variables are.
#[derive(Clone, Debug)]
enum Node {
    Skip,
    Var(Var),
    Object(Vec<(Box<str>, Node)>),
    Array(Vec<Node>),
}

fn compile(v: &Value, violation: bool, required: &mut u32) -> Node {
    match v {
        Value::String(s) => match template::var_ref(s) {
            Some(r) => match Var::parse(r.name, violation) {
                Some(var) => {
                    if !r.optional {
                        *required += 1;
                    }
                    Node::Var(var)
                }
                None => Node::Skip,
            },
            None => Node::Skip,
        },
        Value::Object(map) => {
            let members: Vec<(Box<str>, Node)> = map
                .iter()
                .map(|(k, v)| (Box::from(k.as_str()), compile(v, violation, required)))
                .filter(|(_, n)| !matches!(n, Node::Skip))
                .collect();
            Node::Object(members)
        }
        Value::Array(items) => Node::Array(
            items
                .iter()
                .map(|i| compile(i, violation, required))
                .collect(),
        ),
        _ => Node::Skip,
    }
}

/// One envelope, compiled for reading.
#[derive(Clone, Debug)]
struct Reader {
    format: Format,
    body: Node,
    violation: Node,
    /// Keys of the violation template, and how many of its variables are required.
    violation_keys: Vec<Box<str>>,
    violation_required: u32,
    /// Non-optional variables of the body template.
    required: u32,
    /// The template's top-level keys, literal ones included.
    top_keys: Vec<Box<str>>,
}

impl Reader {
    fn new(format: Format, body: &Value, violation: &Value) -> Self {
        let mut required = 0;
        let body_node = compile(body, false, &mut required);
        let mut violation_required = 0;
        let violation_node = compile(violation, true, &mut violation_required);
        let violation_keys = match violation {
            Value::Object(m) => m.keys().map(|k| Box::from(k.as_str())).collect(),
            _ => Vec::new(),
        };
        let top_keys = match body {
            Value::Object(m) => m.keys().map(|k| Box::from(k.as_str())).collect(),
            _ => Vec::new(),
        };
        Reader {
            format,
            top_keys,
            body: body_node,
            violation: violation_node,
            violation_keys,
            violation_required,
            required,
        }
    }

    /// Reads a violation from a JSON value through the violation template.
    fn violation_from(&self, v: &Value) -> Option<FieldViolation> {
        let mut found = ViolationFound::default();
        walk_value(&self.violation, v, &mut found);
        if found.hits == 0 {
            return None;
        }
        Some(FieldViolation {
            path: found.path.unwrap_or_default(),
            message: found.message.unwrap_or_default(),
            reason: found.reason,
        })
    }

    /// Whether a `$details` value is really a field violation in the
    /// violation template's shape.
    fn looks_like_violation(&self, v: &Value) -> bool {
        let Value::Object(m) = v else { return false };
        !m.is_empty()
            && self.violation_required > 0
            && m.keys()
                .all(|k| self.violation_keys.iter().any(|t| &**t == k.as_str()))
            && self.violation_from(v).is_some()
    }
}

#[derive(Default, Debug)]
struct ViolationFound {
    path: Option<String>,
    message: Option<String>,
    reason: Option<String>,
    hits: u32,
}

fn walk_value(node: &Node, v: &Value, out: &mut ViolationFound) {
    match (node, v) {
        (Node::Var(var), v) => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return,
            };
            let slot = match var {
                Var::Path => &mut out.path,
                Var::ViolationMessage => &mut out.message,
                Var::Reason => &mut out.reason,
                _ => return,
            };
            *slot = Some(s);
            out.hits += 1;
        }
        (Node::Object(members), Value::Object(map)) => {
            for (k, n) in members {
                if let Some(v) = map.get(&**k) {
                    walk_value(n, v, out);
                }
            }
        }
        (Node::Array(items), Value::Array(vs)) => {
            for (n, v) in items.iter().zip(vs) {
                walk_value(n, v, out);
            }
        }
        _ => {}
    }
}

/// Values found in a body.
#[derive(Default, Debug)]
struct Found {
    code: Option<String>,
    numeric: Option<i64>,
    status: Option<u16>,
    title: Option<String>,
    message: Option<String>,
    category: Option<String>,
    details: Option<Value>,
    details_raw: bool,
    error_id: Option<String>,
    request_id: Option<String>,
    retry_after: Option<u64>,
    google: Option<Value>,
    /// The violation being read, and those read (`$field_violations`).
    cur: ViolationFound,
    list: Option<Vec<FieldViolation>>,
    hits: u32,
}

/// A JSON scalar, or a skipped container.
enum Scalar {
    Null,
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Other,
}

impl Scalar {
    fn into_string(self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Float(f) => Some(f.to_string()),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Null | Scalar::Other => None,
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match self {
            Scalar::Int(i) => Some(*i),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

/// Reads the body at one template node.
struct NodeSeed<'a> {
    node: &'a Node,
    violation: &'a Node,
    out: &'a mut Found,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.node {
            Node::Skip => {
                IgnoredAny::deserialize(d)?;
            }
            Node::Var(Var::FieldViolations) => d.deserialize_any(ViolationsVisitor {
                violation: self.violation,
                out: self.out,
            })?,
            Node::Var(var) => read_var(*var, d, self.out)?,
            Node::Object(_) | Node::Array(_) => d.deserialize_any(ContainerVisitor {
                node: self.node,
                violation: self.violation,
                out: self.out,
            })?,
        }
        Ok(())
    }
}

use serde::Deserialize as _;

fn read_var<'de, D: Deserializer<'de>>(var: Var, d: D, out: &mut Found) -> Result<(), D::Error> {
    match var {
        Var::Details | Var::DetailsRaw | Var::GoogleDetails => {
            let v = Value::deserialize(d)?;
            // Only the shape the renderer writes counts: details are
            // objects, violations and AIP-193 details arrays.
            let shaped = match var {
                Var::GoogleDetails => v.is_array(),
                Var::Details => v.is_object(),
                _ => !v.is_null(),
            };
            if !shaped {
                return Ok(());
            }
            match var {
                Var::GoogleDetails => out.google = Some(v),
                _ => {
                    out.details = Some(v);
                    out.details_raw = var == Var::DetailsRaw;
                }
            }
            out.hits += 1;
            return Ok(());
        }
        _ => {}
    }
    let s = d.deserialize_any(ScalarVisitor)?;
    let hit = match var {
        Var::Code => match s {
            Scalar::Str(c) => {
                out.code = Some(c);
                true
            }
            _ => false,
        },
        Var::NumericCode => match (s.as_i64(), s) {
            (Some(n), _) => {
                out.numeric = Some(n);
                true
            }
            // A word where the number goes is still the error's code.
            (None, Scalar::Str(c)) if out.code.is_none() && !c.is_empty() => {
                out.code = Some(c);
                true
            }
            _ => false,
        },
        Var::Status => {
            out.status = s.as_i64().and_then(|i| u16::try_from(i).ok());
            out.status.is_some()
        }
        Var::RetryAfter => {
            out.retry_after = s.as_i64().and_then(|i| u64::try_from(i).ok());
            out.retry_after.is_some()
        }
        Var::Path | Var::ViolationMessage | Var::Reason => {
            let v = s.into_string();
            if v.is_some() {
                out.cur.hits += 1;
            }
            match var {
                Var::Path => out.cur.path = v,
                Var::Reason => out.cur.reason = v,
                _ => out.cur.message = v,
            }
            false
        }
        Var::Title | Var::Message | Var::Category | Var::ErrorId | Var::RequestId => {
            let v = s.into_string();
            let hit = v.is_some();
            let slot = match var {
                Var::Title => &mut out.title,
                Var::Message => &mut out.message,
                Var::Category => &mut out.category,
                Var::ErrorId => &mut out.error_id,
                _ => &mut out.request_id,
            };
            *slot = v;
            hit
        }
        _ => false,
    };
    if hit {
        out.hits += 1;
    }
    Ok(())
}

struct ContainerVisitor<'a> {
    node: &'a Node,
    violation: &'a Node,
    out: &'a mut Found,
}

/// Reads an object key and finds its template member, without allocating.
struct KeySeed<'a>(&'a [(Box<str>, Node)]);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|(k, _)| **k == *key))
    }
}

/// Reads `$field_violations`: an array of violations in the violation
/// template's shape; anything else is skipped.
struct ViolationsVisitor<'a> {
    violation: &'a Node,
    out: &'a mut Found,
}

impl<'de> Visitor<'de> for ViolationsVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of field violations")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut list = Vec::new();
        loop {
            self.out.cur = ViolationFound::default();
            let more = seq
                .next_element_seed(NodeSeed {
                    node: self.violation,
                    violation: self.violation,
                    out: &mut *self.out,
                })?
                .is_some();
            if !more {
                break;
            }
            let cur = std::mem::take(&mut self.out.cur);
            if cur.hits > 0 {
                list.push(FieldViolation {
                    path: cur.path.unwrap_or_default(),
                    message: cur.message.unwrap_or_default(),
                    reason: cur.reason,
                });
            }
        }
        self.out.list = Some(list);
        self.out.hits += 1;
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        ScalarVisitor.visit_map(map).map(drop)
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

impl<'de> Visitor<'de> for ContainerVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the envelope's shape")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Node::Object(members) = self.node else {
            return Err(de::Error::custom("an object where the envelope has none"));
        };
        while let Some(found) = map.next_key_seed(KeySeed(members))? {
            match found.map(|i| &members[i]) {
                Some((_, node)) => map.next_value_seed(NodeSeed {
                    node,
                    violation: self.violation,
                    out: &mut *self.out,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Node::Array(items) = self.node else {
            return Err(de::Error::custom("an array where the envelope has none"));
        };
        let mut i = 0;
        loop {
            let more = match items.get(i) {
                Some(node) => seq
                    .next_element_seed(NodeSeed {
                        node,
                        violation: self.violation,
                        out: &mut *self.out,
                    })?
                    .is_some(),
                None => seq.next_element::<IgnoredAny>()?.is_some(),
            };
            if !more {
                return Ok(());
            }
            i += 1;
        }
    }
}

/// What the catalog says about one code.
#[derive(Clone, Debug)]
struct Entry {
    code: String,
    numeric: Option<i64>,
    status: Option<u16>,
    category: String,
    title: String,
    retryable: bool,
    message: Message,
}

#[derive(Debug)]
struct Inner {
    readers: Vec<Reader>,
    entries: Vec<Entry>,
    by_code: FastMap<String, usize>,
    by_numeric: FastMap<i64, usize>,
}

/// Parses error responses of one API. Build it once and share it (cloning
/// is cheap).
#[derive(Clone, Debug)]
pub struct Parser {
    inner: Arc<Inner>,
}

fn problem_reader() -> Reader {
    Reader::new(
        Format::Problem,
        &serde_json::json!({
            "type": "$type", "title": "$title", "status": "$status", "detail": "$message",
            "code": "$code", "category": "$category", "error_id": "$error_id",
            "numeric_code": "$numeric_code?", "request_id": "$request_id?",
            "errors": "$field_violations?", "details": "$details_raw?",
            "retry_after": "$retry_after?"
        }),
        &serde_json::json!({"path": "$path", "message": "$message", "reason": "$reason?"}),
    )
}

fn google_reader() -> Reader {
    Reader::new(
        Format::Google,
        &serde_json::json!({"error": {"code": "$status", "message": "$message", "details": "$google_details"}}),
        &Value::Null,
    )
}

impl Parser {
    /// A parser for a catalog's API: its envelopes (the default one first),
    /// then RFC 9457 and AIP-193; codes are completed from the catalog
    /// (numeric code → code, category, title, whether retryable).
    pub fn new(catalog: &Catalog) -> Self {
        let mut readers: Vec<Reader> = catalog
            .envelopes
            .iter()
            .enumerate()
            .map(|(i, e)| Reader::new(Format::Custom(i), &e.body, &e.violation))
            .collect();
        if let Some(pos) = catalog
            .envelopes
            .iter()
            .position(|e| e.name == catalog.api.envelope)
        {
            let r = readers.remove(pos);
            readers.insert(0, r);
        }
        if catalog.api.envelope == "google" {
            readers.push(google_reader());
            readers.push(problem_reader());
        } else {
            readers.push(problem_reader());
            readers.push(google_reader());
        }
        let entries: Vec<Entry> = catalog
            .errors
            .iter()
            .map(|e| Entry {
                code: e.code.clone(),
                numeric: e.numeric_code,
                status: e.status,
                category: e.category.clone(),
                title: e.title.clone(),
                retryable: e.retryable,
                message: e.message.clone(),
            })
            .collect();
        let by_code = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.code.clone(), i))
            .collect();
        let by_numeric = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((e.numeric?, i)))
            .collect();
        Parser {
            inner: Arc::new(Inner {
                readers,
                entries,
                by_code,
                by_numeric,
            }),
        }
    }

    /// A parser without a catalog: RFC 9457, AIP-193, common JSON and text.
    pub fn generic() -> Self {
        Parser {
            inner: Arc::new(Inner {
                readers: vec![problem_reader(), google_reader()],
                entries: Vec::new(),
                by_code: FastMap::default(),
                by_numeric: FastMap::default(),
            }),
        }
    }

    /// Whether the catalog marks `code` retryable.
    pub fn is_retryable(&self, code: &str) -> bool {
        self.inner
            .by_code
            .get(code)
            .is_some_and(|&i| self.inner.entries[i].retryable)
    }

    /// Parses an error response; never fails (see [`ApiError::format`]).
    /// An HTTP-date `Retry-After` is measured from now.
    pub fn parse(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> ApiError {
        self.parse_at(status, headers, body, SystemTime::now())
    }

    /// Like [`Parser::parse`], with the current time given (for HTTP-date
    /// `Retry-After` values).
    pub fn parse_at(
        &self,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> ApiError {
        let mut e = self.parse_body(status, body);
        if let Some(rid) = header_str(headers, &X_REQUEST_ID)
            .or_else(|| header_str(headers, &REQUEST_ID))
            .filter(|s| !s.is_empty())
        {
            e.request_id = Some(rid.to_owned());
        }
        if let Some(d) = retry::server_delay(headers, now) {
            e.retry_after = Some(d);
        }
        e
    }

    /// Parses a body alone (no headers).
    pub fn parse_body(&self, status: u16, body: &[u8]) -> ApiError {
        let mut e = ApiError::new(status);
        e.raw = body[..body.len().min(MAX_RAW_BYTES)].to_vec();
        let trimmed = body.trim_ascii();
        if trimmed.is_empty() {
            e.format = Format::Empty;
        } else if body.len() > MAX_PARSE_BYTES {
            e.format = Format::Unreadable;
        } else if trimmed[0] == b'{' {
            match self.read_json(trimmed) {
                Some((format, found, reader, complete)) => {
                    e.format = format;
                    self.fill(&mut e, found, reader);
                    // A partial read of someone else's JSON: the common
                    // shapes may know more.
                    if !complete && (e.code.is_none() || e.message.is_none()) {
                        let had = e.code.is_some() || e.message.is_some() || e.title.is_some();
                        generic_json(trimmed, &mut e);
                        if !had && (e.code.is_some() || e.message.is_some()) {
                            e.format = Format::Json;
                        }
                    }
                }
                None => e.format = generic_json(trimmed, &mut e),
            }
        } else {
            match std::str::from_utf8(trimmed) {
                Ok(text) if !text.contains('\0') => {
                    let mut end = text.len().min(MAX_TEXT_MESSAGE);
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    e.message = Some(text[..end].to_owned());
                    e.format = Format::Text;
                }
                _ => e.format = Format::Unreadable,
            }
        }
        self.complete(&mut e);
        e
    }

    /// Reads a JSON body with each reader; the first complete read wins,
    /// else the read that found most.
    fn read_json(&self, body: &[u8]) -> Option<(Format, Found, Option<usize>, bool)> {
        let mut best: Option<(Found, usize)> = None;
        // Readers whose template starts a body this way go first: a
        // rendered body starts with its template's first key.
        let readers = &self.inner.readers;
        let key = first_key(body);
        let likely = |r: &Reader| key.is_none_or(|k| r.top_keys.iter().any(|t| &**t == k));
        let order = (0..readers.len())
            .filter(|&i| likely(&readers[i]))
            .chain((0..readers.len()).filter(|&i| !likely(&readers[i])));
        for i in order {
            let r = &readers[i];
            let mut found = Found::default();
            let mut de = serde_json::Deserializer::from_slice(body);
            let ok = NodeSeed {
                node: &r.body,
                violation: &r.violation,
                out: &mut found,
            }
            .deserialize(&mut de)
            .and_then(|()| de.end())
            .is_ok();
            if !ok || found.hits == 0 {
                continue;
            }
            if found.hits >= r.required {
                return Some((r.format, found, Some(i), true));
            }
            if best.as_ref().is_none_or(|(b, _)| found.hits > b.hits) {
                best = Some((found, i));
            }
        }
        best.map(|(f, i)| (self.inner.readers[i].format, f, Some(i), false))
    }

    fn fill(&self, e: &mut ApiError, f: Found, reader: Option<usize>) {
        let reader = reader.map(|i| &self.inner.readers[i]);
        e.code = f.code;
        e.numeric_code = f.numeric;
        e.title = f.title;
        e.message = f.message;
        e.category = f.category;
        e.error_id = f.error_id;
        e.request_id = f.request_id;
        e.retry_after = f.retry_after.map(Duration::from_secs);
        if let Some(list) = f.list {
            e.violations = list;
        }
        if let Some(d) = f.details {
            match reader {
                Some(r) if !f.details_raw && r.looks_like_violation(&d) => {
                    if e.violations.is_empty()
                        && let Some(v) = r.violation_from(&d)
                    {
                        e.violations.push(v);
                    }
                }
                _ if d.as_object().is_some_and(|m| m.is_empty()) && !f.details_raw => {}
                _ => e.details = Some(d),
            }
        }
        if let Some(g) = f.google {
            google_details(&g, e);
        }
        // The body's status only helps recognize the envelope: the HTTP
        // status is the one that counts.
        let _ = f.status;
    }

    /// Completes an error from the catalog.
    fn complete(&self, e: &mut ApiError) {
        let inner = &*self.inner;
        let idx = match (&e.code, e.numeric_code) {
            (Some(c), _) => inner.by_code.get(c.as_str()).copied(),
            (None, Some(n)) => inner.by_numeric.get(&n).copied(),
            (None, None) => e.message.as_deref().and_then(|m| {
                inner
                    .entries
                    .iter()
                    .position(|d| d.status == Some(e.status) && message_matches(&d.message, m))
            }),
        };
        let Some(i) = idx else { return };
        let d = &inner.entries[i];
        if e.code.is_none() {
            e.code = Some(d.code.clone());
        }
        if e.numeric_code.is_none() {
            e.numeric_code = d.numeric;
        }
        if e.category.is_none() {
            e.category = Some(d.category.clone());
        }
        if e.title.is_none() {
            e.title = Some(d.title.clone());
        }
        e.retryable = d.retryable;
    }
}

/// The first member name of a JSON object, if it has no escapes.
fn first_key(body: &[u8]) -> Option<&str> {
    let rest = body.strip_prefix(b"{")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"\"")?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    if rest[end] != b'"' {
        return None;
    }
    std::str::from_utf8(&rest[..end]).ok()
}

static X_REQUEST_ID: LazyLock<HeaderName> =
    LazyLock::new(|| HeaderName::from_static("x-request-id"));
static REQUEST_ID: LazyLock<HeaderName> = LazyLock::new(|| HeaderName::from_static("request-id"));

fn header_str<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Whether a message could have been rendered from a template
/// (placeholders match any text).
fn message_matches(template: &Message, text: &str) -> bool {
    fn go(segs: &[Segment], text: &str) -> bool {
        match segs.split_first() {
            None => text.is_empty(),
            Some((Segment::Text(t), rest)) => {
                text.strip_prefix(t.as_str()).is_some_and(|r| go(rest, r))
            }
            Some((Segment::Param(_), rest)) => match rest.first() {
                None => true,
                // Try each place the next literal occurs (bounded by the text's length).
                Some(Segment::Text(t)) => text
                    .match_indices(t.as_str())
                    .take(16)
                    .any(|(i, _)| go(rest, &text[i..])),
                Some(Segment::Param(_)) => go(rest, text),
            },
        }
    }
    go(&template.segments, text)
}

/// AIP-193 details: `ErrorInfo`, `BadRequest`, `RetryInfo`, `RequestInfo`.
fn google_details(details: &Value, e: &mut ApiError) {
    let Value::Array(items) = details else { return };
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    for item in items {
        let ty = item.get("@type").and_then(Value::as_str).unwrap_or("");
        let ty = ty.rsplit('.').next().unwrap_or("");
        match ty {
            "ErrorInfo" => {
                e.code = s(item, "reason");
                if let Some(m) = item.get("metadata") {
                    e.category = s(m, "category");
                    e.error_id = s(m, "error_id");
                    e.numeric_code = s(m, "numeric_code").and_then(|n| n.parse().ok());
                }
            }
            "BadRequest" => {
                if let Some(Value::Array(vs)) = item.get("fieldViolations") {
                    e.violations = vs
                        .iter()
                        .map(|v| FieldViolation {
                            path: s(v, "field").unwrap_or_default(),
                            message: s(v, "description").unwrap_or_default(),
                            reason: s(v, "reason"),
                        })
                        .collect();
                }
            }
            "RetryInfo" => {
                e.retry_after = item
                    .get("retryDelay")
                    .and_then(Value::as_str)
                    .and_then(|d| d.strip_suffix('s'))
                    .and_then(|d| d.parse::<f64>().ok())
                    .filter(|d| d.is_finite() && *d >= 0.0)
                    .map(|d| Duration::from_secs_f64(d.min(1e12)));
            }
            "RequestInfo" => e.request_id = s(item, "requestId"),
            _ => {}
        }
    }
}

/// Some other JSON error: `code`/`error_code`, `message`/`error`/`detail`,
/// `request_id`, at the top or under `error`. Fills only what `e` lacks.
fn generic_json(body: &[u8], e: &mut ApiError) -> Format {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Format::Unreadable;
    };
    let s = |v: &Value, keys: &[&str]| {
        keys.iter().find_map(|k| match v.get(k)? {
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
    };
    let inner = match v.get("error") {
        Some(o @ Value::Object(_)) => o,
        _ => &v,
    };
    if e.code.is_none() {
        e.code = s(inner, &["code", "error_code", "errorCode"]);
    }
    if e.numeric_code.is_none() {
        e.numeric_code = inner.get("code").and_then(Value::as_i64);
    }
    if e.message.is_none() {
        e.message = s(
            inner,
            &[
                "message",
                "detail",
                "error_description",
                "description",
                "title",
            ],
        )
        .or_else(|| s(&v, &["error", "message"]));
    }
    if e.request_id.is_none() {
        e.request_id =
            s(inner, &["request_id", "requestId"]).or_else(|| s(&v, &["request_id", "requestId"]));
    }
    Format::Json
}
