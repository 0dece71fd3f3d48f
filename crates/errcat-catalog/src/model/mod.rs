//! The resolved catalog: what every other part of errcat reads.
//!
//! Just over 600 lines on purpose: the model's types refer to one another
//! and are read together; their tests live in `tests.rs` files beside it.

use std::collections::HashMap;

/// A hash map with a fast, DoS-resistant hasher, for code lookups on every render.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::ops::Range;

/// How error ids are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum IdScheme {
    /// RFC 9562 UUID version 7 (time-ordered), e.g. `0190b6c2-…`.
    #[default]
    UuidV7,
    /// A ULID, e.g. `01J2Z8…`.
    Ulid,
    /// A decimal string of a positive 63-bit integer, e.g. `6941047907334948670`.
    Decimal63,
}

impl IdScheme {
    /// The name used in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            IdScheme::UuidV7 => "uuidv7",
            IdScheme::Ulid => "ulid",
            IdScheme::Decimal63 => "decimal63",
        }
    }

    pub(crate) const NAMES: &'static [&'static str] = &["uuidv7", "ulid", "decimal63"];

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "uuidv7" => Some(IdScheme::UuidV7),
            "ulid" => Some(IdScheme::Ulid),
            "decimal63" => Some(IdScheme::Decimal63),
            _ => None,
        }
    }
}

/// The `[api]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct Api {
    /// The API's name.
    pub name: String,
    /// The API's version.
    pub version: Option<String>,
    /// Base URL of the error reference: `type` URIs and doc links are
    /// `{docs_url}#{code}`.
    pub docs_url: Option<String>,
    /// The domain reported in AIP-193 `ErrorInfo` (defaults to the name).
    pub domain: Option<String>,
    /// The envelope used when a request does not ask for another one.
    pub envelope: String,
    /// How error ids are made.
    pub error_id: IdScheme,
    /// The locale of the catalog's own texts.
    pub locale: String,
    /// Whether the standard errors that this catalog does not override appear
    /// in its public reference.
    pub standard_public: bool,
    /// The header that carries the request id (`X-Request-Id`); `None`
    /// sends no request id header.
    pub request_id_header: Option<String>,
    /// Whether the catalog says `request_id_header` itself (tools that
    /// check an API hold it to a header only then).
    pub request_id_header_declared: bool,
    /// The doc URL of one error, as a template (`https://docs.example.com/errors/${code|kebab}`);
    /// `None`: `{docs_url}#{code}`.
    pub doc_url: Option<crate::template::Tpl>,
}

/// A category of errors, such as `VALIDATION` or `AUTH`.
#[derive(Clone, Debug, PartialEq)]
pub struct Category {
    /// The name used in error entries and in responses.
    pub name: String,
    /// What the category means.
    pub description: String,
    /// Statuses expected of errors in this category; empty means any.
    pub statuses: Vec<StatusRange>,
    /// Where it was declared, if in the user catalog.
    pub span: Option<Range<usize>>,
}

/// An inclusive range of HTTP statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusRange {
    /// First status of the range.
    pub from: u16,
    /// Last status of the range.
    pub to: u16,
}

impl StatusRange {
    /// Whether `status` is in the range.
    pub fn contains(self, status: u16) -> bool {
        (self.from..=self.to).contains(&status)
    }
}

impl std::fmt::Display for StatusRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else if self.from.is_multiple_of(100) && self.to == self.from + 99 {
            write!(f, "{}xx", self.from / 100)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// The type of a message parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamType {
    /// Any text.
    String,
    /// A signed 64-bit integer.
    Integer,
    /// A floating-point number.
    Number,
    /// `true` or `false`.
    Boolean,
}

impl ParamType {
    /// The name used in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Number => "number",
            ParamType::Boolean => "boolean",
        }
    }

    pub(crate) const NAMES: &'static [&'static str] = &["string", "integer", "number", "boolean"];

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "string" => Some(ParamType::String),
            "integer" => Some(ParamType::Integer),
            "number" => Some(ParamType::Number),
            "boolean" => Some(ParamType::Boolean),
            _ => None,
        }
    }
}

/// A named, typed parameter of an error's message.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The name used in `{name}` placeholders.
    pub name: String,
    /// Its type.
    pub ty: ParamType,
    /// What it is.
    pub description: Option<String>,
    /// An example value, used in rendered examples.
    pub example: Option<serde_json::Value>,
}

/// A part of a [`Message`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Literal text.
    Text(String),
    /// A `{name}` placeholder.
    Param(String),
}

/// A text with `{name}` placeholders (`{{` and `}}` are literal braces).
///
/// ```
/// use errcat_catalog::{Message, Segment};
///
/// let m = Message::parse("Template {template_id} not found").unwrap();
/// assert_eq!(m.placeholders().collect::<Vec<_>>(), ["template_id"]);
/// assert_eq!(m.format(|_| Some("tpl_1".into())), "Template tpl_1 not found");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The text as written.
    pub raw: String,
    /// The parsed parts.
    pub segments: Vec<Segment>,
}

impl Message {
    /// Parses a message template; the error names the byte offset of the problem.
    pub fn parse(raw: &str) -> Result<Self, (usize, String)> {
        let segments = Message::segments(raw)?;
        Ok(Message {
            raw: raw.to_owned(),
            segments,
        })
    }

    /// [`Message::parse`] of a string the caller already owns.
    pub(crate) fn parse_owned(raw: String) -> Result<Self, (usize, String)> {
        let segments = Message::segments(&raw)?;
        Ok(Message { raw, segments })
    }

    fn segments(raw: &str) -> Result<Vec<Segment>, (usize, String)> {
        let bytes = raw.as_bytes();
        // Without braces the whole text is one segment.
        if !bytes.iter().any(|&b| b == b'{' || b == b'}') {
            return Ok(if raw.is_empty() {
                Vec::new()
            } else {
                vec![Segment::Text(raw.to_owned())]
            });
        }
        let mut segments = Vec::new();
        let mut text = String::new();
        // `{` and `}` are ASCII, so every index where one is found is a
        // character boundary; the text between them is copied in one go.
        let mut literal_from = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'{' | b'}' if bytes.get(i + 1) == Some(&bytes[i]) => {
                    text.push_str(&raw[literal_from..=i]);
                    i += 2;
                    literal_from = i;
                }
                b'{' => {
                    text.push_str(&raw[literal_from..i]);
                    let rest = &raw[i + 1..];
                    let Some(end) = rest.find('}') else {
                        return Err((i, "unclosed `{` (write `{{` for a literal brace)".into()));
                    };
                    let name = &rest[..end];
                    if name.is_empty()
                        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        || name.starts_with(|c: char| c.is_ascii_digit())
                    {
                        return Err((
                            i,
                            format!(
                                "`{{{name}}}` is not a placeholder: names are letters, digits and `_`"
                            ),
                        ));
                    }
                    if !text.is_empty() {
                        segments.push(Segment::Text(std::mem::take(&mut text)));
                    }
                    segments.push(Segment::Param(name.to_owned()));
                    i += 1 + end + 1;
                    literal_from = i;
                }
                b'}' => return Err((i, "unmatched `}` (write `}}` for a literal brace)".into())),
                _ => i += 1,
            }
        }
        text.push_str(&raw[literal_from..]);
        if !text.is_empty() {
            segments.push(Segment::Text(text));
        }
        Ok(segments)
    }

    /// A message without placeholders.
    pub fn literal(text: &str) -> Self {
        Message {
            raw: text.replace('{', "{{").replace('}', "}}"),
            segments: if text.is_empty() {
                Vec::new()
            } else {
                vec![Segment::Text(text.to_owned())]
            },
        }
    }

    /// Names of the placeholders, in order of appearance.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param(p) => Some(p.as_str()),
            Segment::Text(_) => None,
        })
    }

    /// Fills the placeholders; a placeholder without a value stays `{name}`.
    pub fn format(&self, mut value: impl FnMut(&str) -> Option<String>) -> String {
        let mut out = String::with_capacity(self.raw.len() + 16);
        for s in &self.segments {
            match s {
                Segment::Text(t) => out.push_str(t),
                Segment::Param(p) => match value(p) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('{');
                        out.push_str(p);
                        out.push('}');
                    }
                },
            }
        }
        out
    }
}

/// A help link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The link text.
    pub title: String,
    /// Where it goes.
    pub url: String,
}

/// A title and message in another locale.
#[derive(Clone, Debug, PartialEq)]
pub struct Translation {
    /// A BCP 47 tag such as `de` or `pt-BR`.
    pub locale: String,
    /// The translated title.
    pub title: Option<String>,
    /// The translated message template.
    pub message: Option<Message>,
}

/// One field violation of a validation error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldViolation {
    /// The path from the body's root, dotted: `events.0.type`.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
    /// A machine-readable reason, if any (`missing_field`, `invalid_type`).
    pub reason: Option<String>,
}

impl FieldViolation {
    /// A violation without a reason code.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldViolation {
            path: path.into(),
            message: message.into(),
            reason: None,
        }
    }
}

/// Example values used to render an error's example response.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Example {
    /// Parameter values.
    pub params: Vec<(String, serde_json::Value)>,
    /// Details object.
    pub details: Option<serde_json::Value>,
    /// Field violations.
    pub violations: Vec<FieldViolation>,
}

/// Who can see an error in the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Visibility {
    /// Listed in the reference and OpenAPI.
    #[default]
    Public,
    /// Raised and rendered like any other error, but not documented.
    Internal,
}

/// Whether the error log keeps every error of a code in an error storm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Retain {
    /// 4xx may be sampled when the log's writer falls behind (5xx never are).
    #[default]
    Sampled,
    /// Every error is recorded, in a storm too (an audit-worthy 4xx, say).
    Always,
}

/// Where an error entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// errcat's standard catalog, unchanged.
    Standard,
    /// The user's catalog (possibly overriding a standard entry).
    User,
}

/// Byte spans of an entry's fields in the user catalog.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ErrorSpans {
    /// The whole entry.
    pub entry: Option<Range<usize>>,
    /// The `code` value.
    pub code: Option<Range<usize>>,
    /// The `numeric_code` value.
    pub numeric_code: Option<Range<usize>>,
    /// The `status` value.
    pub status: Option<Range<usize>>,
    /// The `category` value.
    pub category: Option<Range<usize>>,
    /// The `message` value.
    pub message: Option<Range<usize>>,
    /// The `params` table.
    pub params: Option<Range<usize>>,
    /// The `replaced_by` value.
    pub replaced_by: Option<Range<usize>>,
    /// The `standard` value.
    pub standard: Option<Range<usize>>,
}

/// One error of the catalog.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorDef {
    /// The code sent to clients, in the API's own style.
    pub code: String,
    /// A numeric code, for APIs that have them (DUAL's `4001`).
    pub numeric_code: Option<i64>,
    /// The HTTP status; `None` for errors that are documented but never sent
    /// by the server (browser-side or background errors).
    pub status: Option<u16>,
    /// The category's name.
    pub category: String,
    /// A short, stable title.
    pub title: String,
    /// The message template sent to clients.
    pub message: Message,
    /// The message's parameters.
    pub params: Vec<Param>,
    /// A longer explanation for the reference.
    pub description: Option<String>,
    /// Likely causes.
    pub causes: Vec<String>,
    /// Steps that fix it.
    pub resolution: Vec<String>,
    /// Guidance for support staff reading this error in the log (the
    /// console, `errcat lookup`); never sent to clients nor shown in the
    /// public reference. Without it, support sees a default for the
    /// error's category.
    pub support: Option<String>,
    /// Further reading.
    pub links: Vec<Link>,
    /// Whether retrying the same request can succeed.
    pub retryable: bool,
    /// The default delay before a retry, in seconds.
    pub retry_after: Option<u64>,
    /// Advice on retrying, in words.
    pub retry_advice: Option<String>,
    /// Headers the response carries; values may use `{param}` placeholders
    /// and `{retry_after}`.
    pub headers: Vec<(String, Message)>,
    /// The API version that introduced it.
    pub since: Option<String>,
    /// The API version that deprecated it, or `Some("")` when deprecated
    /// without a version.
    pub deprecated: Option<String>,
    /// The code that replaces it.
    pub replaced_by: Option<String>,
    /// Example values for its example response.
    pub example: Example,
    /// Titles and messages in other locales.
    pub translations: Vec<Translation>,
    /// Whether it is documented.
    pub visibility: Visibility,
    /// Whether the error log keeps every one of them in an error storm.
    pub retain: Retain,
    /// Its own doc URL (a template), over the catalog's.
    pub doc_url: Option<crate::template::Tpl>,
    /// The standard errors this entry plays (their roles), such as
    /// `not_found`: framework errors of those roles are raised with its code.
    pub standard: Vec<String>,
    /// Where it came from.
    pub origin: Origin,
    /// Where its fields are in the user catalog.
    pub spans: ErrorSpans,
}

impl ErrorDef {
    /// The translation for `locale`: an exact tag, then its language, else `None`.
    pub fn translation(&self, locale: &str) -> Option<&Translation> {
        self.translations
            .iter()
            .find(|t| t.locale.eq_ignore_ascii_case(locale))
            .or_else(|| {
                let lang = locale.split(['-', '_']).next()?;
                self.translations
                    .iter()
                    .find(|t| t.locale.eq_ignore_ascii_case(lang))
            })
    }

    /// Whether the reference lists it.
    pub fn is_public(&self) -> bool {
        self.visibility == Visibility::Public
    }

    /// The declared parameter named `name`.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// A free-form section of the reference page (title + Markdown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guide {
    /// An anchor id.
    pub id: String,
    /// The heading.
    pub title: String,
    /// The Markdown body.
    pub body: String,
    /// The category it belongs with, if any.
    pub category: Option<String>,
}

/// A custom envelope: a JSON template for the body.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvelopeDef {
    /// The name errors and requests select it by.
    pub name: String,
    /// The Content-Type of bodies.
    pub media_type: String,
    /// The body template as written (key order kept).
    pub body: serde_json::Value,
    /// The template of one field violation, as written.
    pub violation: serde_json::Value,
    /// The body template, compiled.
    pub body_tpl: crate::template::Tpl,
    /// The violation template, compiled.
    pub violation_tpl: crate::template::Tpl,
    /// The HTTP status every error of the envelope is sent with (200 for
    /// APIs that answer errors with `ok: false`); `None`: each error's own.
    /// Docs, logs and metrics keep the error's own status.
    pub status: Option<u16>,
    /// Response headers, each a one-string template.
    pub headers: Vec<(String, crate::template::Tpl)>,
    /// The code of a body that carries none, by HTTP status (for readers).
    pub codes_by_status: Vec<(u16, String)>,
    /// Where it was declared.
    pub span: Option<Range<usize>>,
}

/// A loaded, resolved and validated catalog.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// The `[api]` table.
    pub api: Api,
    /// All categories, standard ones first.
    pub categories: Vec<Category>,
    /// All errors: the user's in file order, then the standard ones it did not override.
    pub errors: Vec<ErrorDef>,
    /// Guide sections in file order.
    pub guides: Vec<Guide>,
    /// Custom envelopes in file order.
    pub envelopes: Vec<EnvelopeDef>,
    /// The `[docs]` table: the reference site's layout.
    pub docs: crate::docs::Docs,
    pub(crate) by_code: FastMap<String, usize>,
    pub(crate) by_role: FastMap<String, usize>,
}

impl Catalog {
    /// The error with this code.
    pub fn get(&self, code: &str) -> Option<&ErrorDef> {
        self.by_code.get(code).map(|&i| &self.errors[i])
    }

    /// The index in [`Catalog::errors`] of the error with this code.
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
    }

    /// The error playing a standard role (`not_found`, `invalid_json`, …),
    /// whatever the catalog renamed it to.
    ///
    /// ```
    /// let catalog = errcat_catalog::Catalog::from_str(r#"
    /// [api]
    /// name = "Extole"
    /// [[errors]]
    /// code = "missing_access_token"
    /// standard = "missing_token"
    /// status = 403
    /// message = "No access_token was provided with this request."
    /// "#, "errors.toml").unwrap();
    /// let e = catalog.standard("missing_token").unwrap();
    /// assert_eq!((e.code.as_str(), e.status), ("missing_access_token", Some(403)));
    /// ```
    pub fn standard(&self, role: &str) -> Option<&ErrorDef> {
        self.by_role.get(role).map(|&i| &self.errors[i])
    }

    /// The category named `name`.
    pub fn category(&self, name: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.name == name)
    }

    /// The custom envelope named `name`.
    pub fn envelope(&self, name: &str) -> Option<&EnvelopeDef> {
        self.envelopes.iter().find(|e| e.name == name)
    }

    /// The reference URL of an error: its own `doc_url`, else the
    /// catalog's `doc_url` template, else `{docs_url}#{code}`.
    pub fn doc_url(&self, code: &str) -> Option<String> {
        let def = self.get(code);
        let tpl = def
            .and_then(|d| d.doc_url.as_ref())
            .or(self.api.doc_url.as_ref());
        match (tpl, def) {
            (Some(t), Some(d)) => t.render_text(&mut |var| {
                use crate::template::Var;
                match var {
                    Var::Code => Some(d.code.clone()),
                    Var::NumericCode => d.numeric_code.map(|n| n.to_string()),
                    Var::Category => Some(d.category.clone()),
                    Var::Status => d.status.map(|s| s.to_string()),
                    Var::Title => Some(d.title.clone()),
                    _ => None,
                }
            }),
            (Some(t), None) => t.render_text(&mut |var| {
                (*var == crate::template::Var::Code).then(|| code.to_owned())
            }),
            (None, _) => self
                .api
                .docs_url
                .as_ref()
                .map(|base| format!("{base}#{code}")),
        }
    }
}

#[cfg(test)]
mod message_tests;
