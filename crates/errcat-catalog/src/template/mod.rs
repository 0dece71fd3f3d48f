//! Envelope templates: the JSON a custom envelope declares, compiled into a
//! [`Tpl`] tree once, when the catalog is loaded.
//!
//! A template is JSON copied as written, except for:
//!
//! - a string that is `"$EXPR"`: the expression's value with its JSON type
//!   (`"$status"` → `404`); `"$EXPR?"` leaves the member (or array element)
//!   out when the value is null or empty;
//! - a string with `${EXPR}` parts: text built from values
//!   (`"[ERROR] ${message}"`, `"${status}"` → `"404"`); `$${` is a literal
//!   `${`, and a leading `$$` a literal `$`;
//! - an object with a `$each` key: one item per field violation, as an array
//!   or keyed by field ([`Each`]);
//! - an object with a `$if` key: a part that is there only when a value is
//!   ([`If`]).
//!
//! An expression is a variable with filters (`code|kebab`, `path|pointer`,
//! `timestamp|format:%Y-%m-%dT%H:%M:%S`), and `??` falls back to the next
//! one when a value is null (`reason ?? code`, `request_id ?? 'none'`).
//! The whole language is described in `docs/catalog.md`; [`build`] turns
//! JSON into a [`Tpl`] and reports every mistake with its place.

mod build;
mod expr;
pub mod value;

pub use build::{Problem, Scope, build, build_text};
pub use value::TimeFormat;

/// Variables of a body template.
pub const BODY_VARS: &[&str] = &[
    "code",
    "numeric_code",
    "status",
    "reason_phrase",
    "title",
    "message",
    "category",
    "details",
    "field_violations",
    "violations",
    "params",
    "error_id",
    "request_id",
    "type",
    "instance",
    "method",
    "retry_after",
    "timestamp",
    "doc_url",
];

/// Variables of a field-violation template (the body's are there too).
pub const VIOLATION_VARS: &[&str] = &["path", "message", "reason"];

/// Prefixed variables: `params.NAME` (one parameter, with its type) and
/// `request_header.NAME` (a request header's value, or null).
pub const PREFIXED_VARS: &[&str] = &["params.", "request_header."];

/// A variable of a template: what a name in an expression stands for.
/// Renderers and readers match on this instead of on names, so a variable
/// added here is a compile error wherever it is not handled yet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Var {
    /// `code`.
    Code,
    /// `numeric_code`.
    NumericCode,
    /// `status`: the error's status (the catalog's, also when the envelope
    /// sends every error with another HTTP status).
    Status,
    /// `reason_phrase`: the status's reason phrase (`Not Found`).
    ReasonPhrase,
    /// `title`.
    Title,
    /// `message` in a body template: the error's message.
    Message,
    /// `category`.
    Category,
    /// `details`.
    Details,
    /// `field_violations`: every violation, shaped by the `violation` template.
    FieldViolations,
    /// `violations`: the field violations, as a condition (`$if`) or a
    /// collection (`$each`).
    Violations,
    /// `params`: the error's parameters, as an object.
    Params,
    /// `params.NAME`: one parameter, with its type; null when not given.
    Param(String),
    /// `request_header.NAME`: a request header (lower case name); null when
    /// the request has none.
    RequestHeader(String),
    /// `error_id`.
    ErrorId,
    /// `request_id`.
    RequestId,
    /// `type`: the doc URL, else `about:blank`.
    Type,
    /// `instance`: usually the request path.
    Instance,
    /// `method`: the request method.
    Method,
    /// `retry_after`.
    RetryAfter,
    /// `timestamp`.
    Timestamp,
    /// `doc_url`.
    DocUrl,
    /// `path` of a field violation.
    Path,
    /// `message` in a violation's scope: the violation's message (the
    /// error's where the item stands for the error itself).
    ViolationMessage,
    /// `reason` of a field violation.
    Reason,
}

impl Var {
    /// The variable `name` stands for, in a body's scope or, when
    /// `violation`, in a field violation's; `None` for an unknown name.
    ///
    /// ```
    /// use errcat_catalog::template::Var;
    ///
    /// assert_eq!(Var::parse("message", false), Some(Var::Message));
    /// assert_eq!(Var::parse("message", true), Some(Var::ViolationMessage));
    /// assert_eq!(Var::parse("code", true), Some(Var::Code));
    /// assert_eq!(Var::parse("path", false), None);
    /// assert_eq!(Var::parse("params.id", false), Some(Var::Param("id".into())));
    /// ```
    pub fn parse(name: &str, violation: bool) -> Option<Var> {
        if let Some(p) = name.strip_prefix("params.") {
            return valid_suffix(p).then(|| Var::Param(p.to_owned()));
        }
        if let Some(h) = name.strip_prefix("request_header.") {
            return valid_suffix(h).then(|| Var::RequestHeader(h.to_ascii_lowercase()));
        }
        Some(match (name, violation) {
            ("path", true) => Var::Path,
            ("message", true) => Var::ViolationMessage,
            ("reason", true) => Var::Reason,
            ("code", _) => Var::Code,
            ("numeric_code", _) => Var::NumericCode,
            ("status", _) => Var::Status,
            ("reason_phrase", _) => Var::ReasonPhrase,
            ("title", _) => Var::Title,
            ("message", _) => Var::Message,
            ("category", _) => Var::Category,
            ("details", _) => Var::Details,
            ("field_violations", _) => Var::FieldViolations,
            ("violations", _) => Var::Violations,
            ("params", _) => Var::Params,
            ("error_id", _) => Var::ErrorId,
            ("request_id", _) => Var::RequestId,
            ("type", _) => Var::Type,
            ("instance", _) => Var::Instance,
            ("method", _) => Var::Method,
            ("retry_after", _) => Var::RetryAfter,
            ("timestamp", _) => Var::Timestamp,
            ("doc_url", _) => Var::DocUrl,
            _ => return None,
        })
    }

    /// The name as written in a template.
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        use std::borrow::Cow;
        Cow::Borrowed(match self {
            Var::Code => "code",
            Var::NumericCode => "numeric_code",
            Var::Status => "status",
            Var::ReasonPhrase => "reason_phrase",
            Var::Title => "title",
            Var::Message | Var::ViolationMessage => "message",
            Var::Category => "category",
            Var::Details => "details",
            Var::FieldViolations => "field_violations",
            Var::Violations => "violations",
            Var::Params => "params",
            Var::Param(p) => return Cow::Owned(format!("params.{p}")),
            Var::RequestHeader(h) => return Cow::Owned(format!("request_header.{h}")),
            Var::ErrorId => "error_id",
            Var::RequestId => "request_id",
            Var::Type => "type",
            Var::Instance => "instance",
            Var::Method => "method",
            Var::RetryAfter => "retry_after",
            Var::Timestamp => "timestamp",
            Var::DocUrl => "doc_url",
            Var::Path => "path",
            Var::Reason => "reason",
        })
    }

    /// Whether the value is an object or an array, which cannot be part of
    /// a string.
    pub fn is_structured(&self) -> bool {
        matches!(
            self,
            Var::Details | Var::FieldViolations | Var::Violations | Var::Params
        )
    }

    /// Whether the variable belongs to a field violation.
    pub fn is_violation(&self) -> bool {
        matches!(self, Var::Path | Var::ViolationMessage | Var::Reason)
    }
}

fn valid_suffix(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A compiled template.
#[derive(Clone, Debug, PartialEq)]
pub enum Tpl {
    /// JSON copied as written (with `$$` already unescaped).
    Lit(serde_json::Value),
    /// `"$EXPR"`: the value with its JSON type.
    Value {
        /// The expression.
        expr: Expr,
        /// `"$EXPR?"`: left out when null or empty.
        optional: bool,
    },
    /// A string with `${EXPR}` parts.
    Text(Text),
    /// An array; elements that are left out leave no gap.
    Array(Vec<Tpl>),
    /// An object, members in the order written.
    Object(Vec<(String, Tpl)>),
    /// `{"$each": "violations", …}`.
    Each(Box<Each>),
    /// `{"$if": …, "then": …}`.
    If(Box<If>),
}

/// A string built from literal text and values.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    /// The parts, in order.
    pub pieces: Vec<Piece>,
    /// The string is a URL (its text starts with `scheme://`): values are
    /// percent-encoded unless an expression ends in `|raw`.
    pub url: bool,
}

impl Text {
    /// The literal text, if the string has no values.
    pub fn as_literal(&self) -> Option<&str> {
        match self.pieces.as_slice() {
            [] => Some(""),
            [Piece::Lit(s)] => Some(s),
            _ => None,
        }
    }
}

/// One part of a [`Text`].
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    /// Literal text.
    Lit(String),
    /// `${EXPR}`.
    Expr(Expr),
}

/// `{"$each": "violations", "do": T}`: one `T` per field violation (each
/// in the violation's scope: `$path`, `$message`, `$reason`, and the body's
/// variables).
#[derive(Clone, Debug, PartialEq)]
pub struct Each {
    /// The template of one item.
    pub item: Tpl,
    /// `"key"`: the items make an object keyed by this string (a
    /// [`Tpl::Value`] or [`Tpl::Text`]) instead of an array.
    pub key: Option<Tpl>,
    /// `"group": true`: with a key, the items of one key are collected in an
    /// array, in order; without it the first item of a key is kept.
    pub group: bool,
    /// `"once_if_empty": true`: without violations, one item for the error
    /// itself (violation variables null, `$message` the error's).
    pub once_if_empty: bool,
    /// `"else"`: what stands in place of the whole when there are no
    /// violations (default `[]`, or `{}` with a key).
    pub otherwise: Option<Tpl>,
}

/// `{"$if": EXPR, "then": T, "else": E}`: `T` when the value is there (not
/// null, false, empty text or empty list), else `E`, else nothing (the
/// member or element is left out).
#[derive(Clone, Debug, PartialEq)]
pub struct If {
    /// The condition.
    pub cond: Expr,
    /// Rendered when the condition holds.
    pub then: Tpl,
    /// Rendered otherwise; `None` leaves the part out.
    pub otherwise: Option<Tpl>,
}

/// An expression: alternatives tried in order until one is not null.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// At least one.
    pub alts: Vec<Alt>,
}

impl Expr {
    /// An expression of one variable without filters.
    pub fn var(var: Var) -> Self {
        Expr {
            alts: vec![Alt::Var {
                var,
                filters: Vec::new(),
            }],
        }
    }

    /// The single variable of an expression without filters or fallbacks.
    pub fn as_plain_var(&self) -> Option<&Var> {
        match self.alts.as_slice() {
            [Alt::Var { var, filters }] if filters.is_empty() => Some(var),
            _ => None,
        }
    }

    /// Whether the value is raw text in a URL (`|raw` on an alternative).
    pub fn is_raw(&self) -> bool {
        self.alts.iter().any(|a| match a {
            Alt::Var { filters, .. } => filters.contains(&Filter::Raw),
            Alt::Lit(_) => false,
        })
    }
}

/// One alternative of an [`Expr`].
#[derive(Clone, Debug, PartialEq)]
pub enum Alt {
    /// A variable and its filters, applied left to right.
    Var {
        /// The variable.
        var: Var,
        /// The filters.
        filters: Vec<Filter>,
    },
    /// `'text'`: a literal string.
    Lit(String),
}

/// A filter: `VAR|name` or `VAR|name:arg`.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// `lower`: lower case.
    Lower,
    /// `upper`: upper case.
    Upper,
    /// `kebab`: `card-declined`.
    Kebab,
    /// `snake`: `card_declined`.
    Snake,
    /// `screaming`: `CARD_DECLINED`.
    Screaming,
    /// `camel`: `cardDeclined`.
    Camel,
    /// `pascal`: `CardDeclined`.
    Pascal,
    /// `pointer`: a dotted path as a JSON Pointer (`/data/attributes/name`).
    Pointer,
    /// `segments` or `segments:PREFIX`: a dotted path as an array of
    /// segments, indices as numbers, after the prefix's segments.
    Segments(Vec<String>),
    /// `url`: percent-encoded (everything but `A-Z a-z 0-9 - . _ ~`).
    Url,
    /// `raw`: not percent-encoded, inside a URL.
    Raw,
    /// `string`: a number or boolean as text.
    String,
    /// `json`: the value's JSON text, as a string.
    Json,
    /// `unix`: a time as Unix seconds (an integer).
    Unix,
    /// `unix_ms`: a time as Unix milliseconds.
    UnixMs,
    /// `format:PATTERN`: a time as text (`%Y-%m-%dT%H:%M:%S%.3f%:z`).
    Format(TimeFormat),
}

impl Filter {
    /// The filter names, for help texts.
    pub const NAMES: &'static [&'static str] = &[
        "lower",
        "upper",
        "kebab",
        "snake",
        "screaming",
        "camel",
        "pascal",
        "pointer",
        "segments",
        "url",
        "raw",
        "string",
        "json",
        "unix",
        "unix_ms",
        "format",
    ];

    /// Whether the filter changes the letters' case (reading back, such a
    /// value is compared with the catalog's codes without regard to case
    /// and separators).
    pub fn folds_case(&self) -> bool {
        matches!(
            self,
            Filter::Lower
                | Filter::Upper
                | Filter::Kebab
                | Filter::Snake
                | Filter::Screaming
                | Filter::Camel
                | Filter::Pascal
        )
    }
}

impl Tpl {
    /// Calls `f` for every variable of the template, with whether it is
    /// optional (`"$EXPR?"`, or inside `$if`, `$each` or after `??`).
    pub fn visit_vars(&self, f: &mut impl FnMut(&Var, bool)) {
        self.visit(false, f);
    }

    fn visit(&self, optional: bool, f: &mut impl FnMut(&Var, bool)) {
        let expr = |e: &Expr, optional: bool, f: &mut dyn FnMut(&Var, bool)| {
            for (i, a) in e.alts.iter().enumerate() {
                if let Alt::Var { var, .. } = a {
                    f(var, optional || i > 0 || e.alts.len() > 1);
                }
            }
        };
        match self {
            Tpl::Lit(_) => {}
            Tpl::Value {
                expr: e,
                optional: o,
            } => expr(e, optional || *o, f),
            Tpl::Text(t) => {
                for p in &t.pieces {
                    if let Piece::Expr(e) = p {
                        expr(e, optional, f);
                    }
                }
            }
            Tpl::Array(items) => items.iter().for_each(|i| i.visit(optional, f)),
            Tpl::Object(members) => members.iter().for_each(|(_, v)| v.visit(optional, f)),
            Tpl::Each(each) => {
                f(&Var::Violations, true);
                each.item.visit(true, f);
                if let Some(k) = &each.key {
                    k.visit(true, f);
                }
                if let Some(o) = &each.otherwise {
                    o.visit(true, f);
                }
            }
            Tpl::If(i) => {
                expr(&i.cond, true, f);
                i.then.visit(true, f);
                if let Some(o) = &i.otherwise {
                    o.visit(true, f);
                }
            }
        }
    }

    /// Whether the template uses variable `var` anywhere.
    pub fn uses(&self, var: &Var) -> bool {
        let mut found = false;
        self.visit_vars(&mut |v, _| found |= v == var);
        found
    }

    /// Whether the template is built only of literals, plain `"$var"`
    /// values, arrays and objects (the shapes of the first template
    /// language, which readers can follow without buffering).
    pub fn is_simple(&self) -> bool {
        match self {
            Tpl::Lit(_) => true,
            Tpl::Value { expr, .. } => expr.as_plain_var().is_some(),
            Tpl::Text(t) => t.as_literal().is_some(),
            Tpl::Array(items) => items.iter().all(Tpl::is_simple),
            Tpl::Object(members) => members.iter().all(|(_, v)| v.is_simple()),
            Tpl::Each(_) | Tpl::If(_) => false,
        }
    }
}

impl Tpl {
    /// The text of a one-string template (a header value, a URL), each
    /// variable's text from `lookup`; `None` when it is not a string
    /// template or its value is null. Time filters do not apply here.
    pub fn render_text(&self, lookup: &mut dyn FnMut(&Var) -> Option<String>) -> Option<String> {
        match self {
            Tpl::Lit(serde_json::Value::String(s)) => Some(s.clone()),
            Tpl::Value { expr, .. } => expr.text(lookup),
            Tpl::Text(t) => {
                let mut out = String::new();
                for p in &t.pieces {
                    match p {
                        Piece::Lit(s) => out.push_str(s),
                        Piece::Expr(e) => {
                            let v = e.text(lookup).unwrap_or_default();
                            if t.url && !e.is_raw() {
                                value::percent_encode(&v, &mut out);
                            } else {
                                out.push_str(&v);
                            }
                        }
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }
}

impl Expr {
    /// The text of the first alternative that has a value, its text
    /// filters applied.
    pub fn text(&self, lookup: &mut dyn FnMut(&Var) -> Option<String>) -> Option<String> {
        self.alts.iter().find_map(|a| match a {
            Alt::Lit(s) => Some(s.clone()),
            Alt::Var { var, filters } => lookup(var).map(|v| value::text_filters(filters, v)),
        })
    }
}

/// The reason phrase of an HTTP status (RFC 9110), `""` for one without.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        511 => "Network Authentication Required",
        _ => "",
    }
}

#[cfg(test)]
mod tests;
