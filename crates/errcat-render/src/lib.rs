//! Render errcat errors as HTTP responses: status, headers and body bytes,
//! in RFC 9457 `problem+json`, Google AIP-193, or any custom envelope the
//! catalog declares.
//!
//! Rendering is a pure function of the catalog, the [`Error`] and the
//! [`RenderOptions`]; it writes straight into a byte buffer. It has no HTTP,
//! database or async dependency.
//!
//! ```
//! use errcat_catalog::Catalog;
//! use errcat_render::{Error, RenderOptions, Renderer};
//!
//! let catalog = Catalog::from_str(r#"
//! [api]
//! name = "Extole"
//! envelope = "extole"
//! error_id = "decimal63"
//!
//! [envelopes.extole]
//! body = '{"unique_id": "$error_id", "http_status_code": "$status", "code": "$code", "message": "$message", "parameters": "$details"}'
//!
//! [[errors]]
//! code = "missing_access_token"
//! standard = "missing_token"
//! status = 403
//! message = "No access_token was provided with this request."
//! "#, "errors.toml")?;
//!
//! let renderer = Renderer::new(catalog);
//! let out = renderer.render(
//!     &Error::new("missing_access_token"),
//!     &RenderOptions { error_id: Some("6941049359794271324"), ..Default::default() },
//! );
//! assert_eq!(out.status, 403);
//! assert_eq!(
//!     std::str::from_utf8(&out.body).unwrap(),
//!     r#"{"unique_id":"6941049359794271324","http_status_code":403,"code":"missing_access_token","message":"No access_token was provided with this request.","parameters":{}}"#
//! );
//! # Ok::<(), errcat_catalog::Report>(())
//! ```

#[cfg(feature = "axum")]
mod axum_impl;
mod builtin;
mod envelope;
mod error;
pub mod id;
mod json;
mod render;
mod value;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

use errcat_catalog::{Catalog, ErrorDef, Message, Segment};

#[cfg(feature = "axum")]
pub use axum_impl::Raised;
pub use errcat_catalog::FieldViolation;
/// The reason phrase of an HTTP status, for status lines and `$reason_phrase`.
pub use errcat_catalog::template::reason_phrase;
pub use error::{Error, ParamValue};

/// Which envelope a response uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EnvelopeKind {
    Problem,
    Google,
    Custom(usize),
}

/// Per-request choices for [`Renderer::render`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions<'a> {
    /// The envelope's name; `None` uses the catalog's default.
    pub envelope: Option<&'a str>,
    /// The client's preferred locale (`de`, `pt-BR`); falls back to the
    /// catalog's own texts.
    pub locale: Option<&'a str>,
    /// The error id; `None` makes a new one in the catalog's scheme.
    pub error_id: Option<&'a str>,
    /// The request id, echoed in the body where the envelope has a place for it.
    pub request_id: Option<&'a str>,
    /// The RFC 9457 `instance`: usually the request path.
    pub instance: Option<&'a str>,
    /// The time of the error; `None` is now.
    pub timestamp: Option<SystemTime>,
    /// A status that replaces the entry's, for a response whose status has
    /// no entry of its own (a 451 from a proxy rendered as a 4xx error).
    pub status: Option<u16>,
    /// The request method (`$method`).
    pub method: Option<&'a str>,
    /// Request headers the envelope echoes (`$request_header.NAME`), by
    /// name; [`Renderer::request_headers_used`] lists the names it reads.
    pub request_headers: &'a [(&'a str, &'a str)],
}

/// A rendered error response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The HTTP status sent: the error's, unless the envelope sends every
    /// error with one status (an API answering errors with 200).
    pub status: u16,
    /// The error's own status, for logs and metrics.
    pub error_status: u16,
    /// The `Content-Type`.
    pub content_type: Arc<str>,
    /// Other headers, in order (`Retry-After`, `WWW-Authenticate`, `Allow`, …).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The code that was rendered (an unknown code renders as the catalog's
    /// internal error).
    pub code: Arc<str>,
    /// The error id in the body.
    pub error_id: String,
}

/// Values of one catalog entry computed once, so rendering copies bytes.
#[derive(Debug)]
struct Prepared {
    code_str: Arc<str>,
    code: Box<[u8]>,
    category: Box<[u8]>,
    title: Box<[u8]>,
    /// The RFC 9457 `type`: the error's doc URL, or `about:blank`.
    type_uri: Box<[u8]>,
    doc_url: Option<String>,
}

/// Renders errors of one catalog. Build it once and share it.
#[derive(Debug, Clone)]
pub struct Renderer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct MediaTypes {
    problem: Arc<str>,
    json: Arc<str>,
}

#[derive(Debug)]
struct Inner {
    media_types: MediaTypes,
    catalog: Catalog,
    prepared: Vec<Prepared>,
    envelopes: Vec<envelope::Compiled>,
    default_envelope: EnvelopeKind,
    fallback: usize,
    /// Request headers the envelopes read (`$request_header.NAME`).
    request_headers_used: Vec<String>,
}

/// Everything one render needs, borrowed.
pub(crate) struct Ctx<'a> {
    def: &'a ErrorDef,
    /// The entry's index in the catalog (for `Compiled::statics`).
    def_idx: usize,
    prepared: &'a Prepared,
    err: &'a Error,
    status: u16,
    title: &'a str,
    template: &'a Message,
    error_id: &'a str,
    request_id: Option<&'a str>,
    instance: Option<&'a str>,
    retry_after: Option<u64>,
    timestamp: std::cell::OnceCell<SystemTime>,
    locale: &'a str,
    method: Option<&'a str>,
    request_headers: &'a [(&'a str, &'a str)],
}

/// The most field violations a response lists (those after are left out),
/// so that a body stays bounded whatever a request provoked.
pub const MAX_VIOLATIONS: usize = 1000;

/// The most characters of a text parameter a response shows; a longer one
/// is cut and ends in `…`.
pub const MAX_PARAM_CHARS: usize = 256;

/// The most characters of the request path (`instance`) a response
/// shows; a longer one is cut and ends in `…`.
pub const MAX_INSTANCE_CHARS: usize = 1024;

/// A text parameter, cut to [`MAX_PARAM_CHARS`].
pub(crate) fn bounded(s: &str) -> Cow<'_, str> {
    cut(s, MAX_PARAM_CHARS)
}

/// `s` cut to `max` characters, with an ellipsis when cut.
fn cut(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    match s.char_indices().nth(max) {
        Some((end, _)) => Cow::Owned(format!("{}…", &s[..end])),
        None => Cow::Borrowed(s),
    }
}

impl Ctx<'_> {
    /// Writes the message as a JSON string, filling placeholders straight
    /// into the buffer.
    fn write_message(&self, buf: &mut Vec<u8>) {
        buf.push(b'"');
        self.write_message_text(buf);
        buf.push(b'"');
    }

    /// The message as text.
    fn message_string(&self) -> String {
        let mut buf = Vec::with_capacity(64);
        self.write_message(&mut buf);
        serde_json::from_slice(&buf).unwrap_or_default()
    }

    /// The field violations a response lists.
    fn violations(&self) -> &[FieldViolation] {
        let all = self.err.violations();
        &all[..all.len().min(MAX_VIOLATIONS)]
    }

    /// The time of the error (the same for every use in one response).
    fn now(&self) -> SystemTime {
        *self.timestamp.get_or_init(SystemTime::now)
    }

    /// Writes the message's text, escaped, without quotes.
    fn write_message_text(&self, buf: &mut Vec<u8>) {
        for s in &self.template.segments {
            match s {
                Segment::Text(t) => json::escape(buf, t),
                Segment::Param(p) => match self.err.param(p) {
                    Some(ParamValue::Str(v)) => json::escape(buf, &bounded(v)),
                    Some(ParamValue::Int(i)) => json::int(buf, *i),
                    Some(v) => json::escape(buf, &v.to_text()),
                    None if p == "retry_after" && self.retry_after.is_some() => {
                        json::int(buf, self.retry_after.unwrap_or_default());
                    }
                    None => {
                        buf.push(b'{');
                        json::escape(buf, p);
                        buf.push(b'}');
                    }
                },
            }
        }
    }
}

impl Renderer {
    /// Prepares a catalog for rendering.
    pub fn new(catalog: Catalog) -> Self {
        let prepared = prepare(&catalog);
        let envelopes = compile_envelopes(&catalog, &prepared);
        let request_headers_used = request_headers_used(&catalog);
        let fallback = catalog
            .standard("internal_error")
            .and_then(|e| catalog.index_of(&e.code))
            .unwrap_or(0);
        let mut r = Inner {
            media_types: MediaTypes {
                problem: Arc::from("application/problem+json"),
                json: Arc::from("application/json"),
            },
            default_envelope: EnvelopeKind::Problem,
            request_headers_used,
            catalog,
            prepared,
            envelopes,
            fallback,
        };
        r.default_envelope = r
            .envelope_kind(&r.catalog.api.envelope)
            .unwrap_or(EnvelopeKind::Problem);
        Renderer { inner: Arc::new(r) }
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// The names (lower case) of the request headers the envelopes echo
    /// (`$request_header.NAME`): what a server passes in
    /// [`RenderOptions::request_headers`].
    pub fn request_headers_used(&self) -> &[String] {
        &self.inner.request_headers_used
    }

    /// The response header that carries the request id (`[api]
    /// request_id_header`, `X-Request-Id` by default); `None`: none.
    pub fn request_id_header(&self) -> Option<&str> {
        self.inner.catalog.api.request_id_header.as_deref()
    }

    /// Whether `name` is an envelope of this catalog (`problem`, `google`, or custom).
    pub fn has_envelope(&self, name: &str) -> bool {
        self.inner.envelope_kind(name).is_some()
    }

    /// The media type of an envelope (the default one when `None`).
    pub fn media_type(&self, envelope: Option<&str>) -> &str {
        let kind = envelope
            .and_then(|n| self.inner.envelope_kind(n))
            .unwrap_or(self.inner.default_envelope);
        match kind {
            EnvelopeKind::Problem => "application/problem+json",
            EnvelopeKind::Google => "application/json",
            EnvelopeKind::Custom(i) => &self.inner.envelopes[i].media_type,
        }
    }

    /// An [`Error`] for a standard role (`not_found`, `invalid_json`, …) with
    /// the code this catalog gives it.
    pub fn standard(&self, role: &str) -> Error {
        match self.inner.catalog.standard(role) {
            Some(def) => Error::new(def.code.clone()),
            None => Error::new(self.inner.catalog.errors[self.inner.fallback].code.clone()),
        }
    }
}

/// Each entry's constant JSON fragments.
fn prepare(catalog: &Catalog) -> Vec<Prepared> {
    catalog
        .errors
        .iter()
        .map(|e| {
            let doc_url = catalog.doc_url(&e.code);
            Prepared {
                code_str: Arc::from(e.code.as_str()),
                code: json::quoted(&e.code),
                category: json::quoted(&e.category),
                title: json::quoted(&e.title),
                type_uri: json::quoted(doc_url.as_deref().unwrap_or("about:blank")),
                doc_url,
            }
        })
        .collect()
}

/// The catalog's envelopes compiled into byte runs and slots, with each
/// entry's static values made once.
fn compile_envelopes(catalog: &Catalog, prepared: &[Prepared]) -> Vec<envelope::Compiled> {
    // Each entry as a context of its own, for the envelopes' static
    // expressions.
    let plain: Vec<Error> = catalog
        .errors
        .iter()
        .map(|d| Error::new(d.code.clone()))
        .collect();
    let ctxs: Vec<Ctx<'_>> = catalog
        .errors
        .iter()
        .enumerate()
        .map(|(i, def)| Ctx {
            def,
            def_idx: i,
            prepared: &prepared[i],
            err: &plain[i],
            status: def.status.unwrap_or(500),
            title: &def.title,
            template: &def.message,
            error_id: "",
            request_id: None,
            instance: None,
            retry_after: None,
            timestamp: std::cell::OnceCell::new(),
            locale: &catalog.api.locale,
            method: None,
            request_headers: &[],
        })
        .collect();
    catalog
        .envelopes
        .iter()
        .map(|e| {
            let mut slots = Vec::new();
            let mut c = envelope::Compiled {
                body: envelope::Ops::new(&envelope::compile(&e.body_tpl, &mut slots)),
                violation: envelope::Ops::new(&envelope::compile(&e.violation_tpl, &mut slots)),
                media_type: Arc::from(e.media_type.as_str()),
                status: e.status,
                headers: e
                    .headers
                    .iter()
                    .map(|(n, t)| (n.clone(), envelope::compile(t, &mut slots)))
                    .collect(),
                statics: Vec::new(),
            };
            c.fill_statics(&slots, &ctxs);
            c
        })
        .collect()
}

/// The request headers some envelope reads.
fn request_headers_used(catalog: &Catalog) -> Vec<String> {
    let mut request_headers_used: Vec<String> = Vec::new();
    for e in &catalog.envelopes {
        let mut add = |v: &errcat_catalog::template::Var, _: bool| {
            if let errcat_catalog::template::Var::RequestHeader(h) = v
                && !request_headers_used.contains(h)
            {
                request_headers_used.push(h.clone());
            }
        };
        e.body_tpl.visit_vars(&mut add);
        e.violation_tpl.visit_vars(&mut add);
        for (_, t) in &e.headers {
            t.visit_vars(&mut add);
        }
    }
    request_headers_used
}

impl Inner {
    fn envelope_kind(&self, name: &str) -> Option<EnvelopeKind> {
        match name {
            "problem" => Some(EnvelopeKind::Problem),
            "google" => Some(EnvelopeKind::Google),
            other => self
                .catalog
                .envelopes
                .iter()
                .position(|e| e.name == other)
                .map(EnvelopeKind::Custom),
        }
    }
}

/// An [`Error`] with an error definition's example values, for docs and
/// `errcat explain`.
pub fn example_error(def: &ErrorDef) -> Error {
    let mut e = Error::new(def.code.clone());
    for p in &def.params {
        let value = def
            .example
            .params
            .iter()
            .find(|(n, _)| *n == p.name)
            .map(|(_, v)| ParamValue::from_json(v))
            .or_else(|| p.example.as_ref().map(ParamValue::from_json))
            .unwrap_or_else(|| match p.ty {
                errcat_catalog::ParamType::String => {
                    ParamValue::Str(Cow::Owned(format!("<{}>", p.name)))
                }
                errcat_catalog::ParamType::Integer => ParamValue::Int(1),
                errcat_catalog::ParamType::Number => ParamValue::Float(1.5),
                errcat_catalog::ParamType::Boolean => ParamValue::Bool(true),
            });
        e = e.with_param(p.name.clone(), value);
    }
    e = e.with_violations(def.example.violations.iter().cloned());
    if let Some(d) = &def.example.details {
        e = e.with_details(d.clone());
    }
    e
}

#[cfg(test)]
mod tests;
