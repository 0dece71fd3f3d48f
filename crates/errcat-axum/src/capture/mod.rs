//! What the layer keeps of a request for the error log — selected headers
//! and a bounded excerpt of the body — with secrets redacted before the
//! record leaves the request.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use http_body::{Body as HttpBody, Frame, SizeHint};

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// What the layer records of a request, and what it redacts.
///
/// ```
/// use errcat_axum::Capture;
///
/// let c = Capture::default();
/// let body = br#"{"email": "a@b.c", "password": "hunter2", "card": {"card_number": "4111111111111111"}}"#;
/// assert_eq!(
///     c.redact_body(body, Some("application/json")).unwrap(),
///     r#"{"email":"a@b.c","password":"[REDACTED]","card":{"card_number":"[REDACTED]"}}"#
/// );
/// ```
#[derive(Clone, Debug)]
pub struct Capture {
    /// Request headers recorded (lower case).
    pub headers: Vec<String>,
    /// Headers whose values are replaced by [`REDACTED`] (lower case).
    pub secret_headers: Vec<String>,
    /// Field names treated as secret: a JSON or form field whose name,
    /// lower-cased without `_` and `-`, contains one of these.
    pub secret_fields: Vec<String>,
    /// The most body bytes kept (0 keeps none).
    pub body_excerpt: usize,
}

impl Default for Capture {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect();
        Capture {
            headers: s(&[
                "content-type",
                "content-length",
                "accept",
                "accept-language",
                "user-agent",
                "origin",
                "referer",
                "x-forwarded-for",
                "idempotency-key",
                "authorization",
                "cookie",
                "x-api-key",
                "x-shopify-hmac-sha256",
                "stripe-signature",
            ]),
            secret_headers: s(&[
                "authorization",
                "proxy-authorization",
                "cookie",
                "set-cookie",
                "x-api-key",
                "api-key",
                "x-auth-token",
                "x-shopify-hmac-sha256",
                "stripe-signature",
                "x-hub-signature",
                "x-hub-signature-256",
                "x-signature",
                "x-webhook-signature",
            ]),
            secret_fields: s(&[
                "password",
                "passwd",
                "secret",
                "token",
                "apikey",
                "authorization",
                "cardnumber",
                "cvv",
                "cvc",
                "ssn",
                "privatekey",
                "credential",
            ]),
            body_excerpt: 2048,
        }
    }
}

/// A header's value as recorded: [`REDACTED`] for a secret header, else
/// the text with URL secrets and card numbers redacted, cut at 512
/// characters.
pub(crate) fn header_text(value: &HeaderValue, secret: bool) -> String {
    if secret {
        return REDACTED.to_owned();
    }
    let text = String::from_utf8_lossy(value.as_bytes());
    redact_cards(&redact_url(&text)).chars().take(512).collect()
}

/// [`Capture::headers`], parsed once: each name with whether its value is
/// secret. A request's headers are picked as cheap clones (values share the
/// request's bytes) and made into text only when an error is recorded.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeaderSelection(Vec<(HeaderName, bool)>);

impl HeaderSelection {
    pub(crate) fn of(capture: &Capture) -> Self {
        HeaderSelection(
            capture
                .headers
                .iter()
                .filter_map(|name| {
                    let parsed = HeaderName::from_bytes(name.as_bytes()).ok()?;
                    let secret = capture
                        .secret_headers
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(parsed.as_str()));
                    Some((parsed, secret))
                })
                .collect(),
        )
    }

    /// The selected headers of a request, as indexes into the selection
    /// with their values, in the selection's order.
    ///
    /// A request usually carries fewer header names than the selection
    /// holds: its headers are then walked once and each name compared with
    /// the selection's (comparing parsed names is cheap), instead of looking
    /// every selected name up in the request's map (a hash of the name and a
    /// probe each). Otherwise the selection is looked up name by name.
    pub(crate) fn pick(&self, headers: &HeaderMap) -> Vec<(usize, HeaderValue)> {
        let mut out = Vec::new();
        if headers.is_empty() {
            return out;
        }
        if headers.keys_len() < self.0.len() {
            // All values of a name come together, in the request's order;
            // the stable sort puts the names in the selection's order.
            for (name, value) in headers {
                if let Some(i) = self.0.iter().position(|(n, _)| n == name) {
                    out.push((i, value.clone()));
                }
            }
            out.sort_by_key(|(i, _)| *i);
            return out;
        }
        for (i, (name, _)) in self.0.iter().enumerate() {
            for value in headers.get_all(name) {
                out.push((i, value.clone()));
            }
        }
        out
    }

    /// Picked headers as recorded: secrets redacted, values cut at 512
    /// characters.
    pub(crate) fn render(&self, picked: &[(usize, HeaderValue)]) -> Vec<(String, String)> {
        picked
            .iter()
            .filter_map(|(i, value)| {
                let (name, secret) = self.0.get(*i)?;
                Some((name.as_str().to_owned(), header_text(value, *secret)))
            })
            .collect()
    }
}

impl Capture {
    fn is_secret_field(&self, name: &str) -> bool {
        let norm: String = name
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        self.secret_fields.iter().any(|f| norm.contains(f.as_str()))
    }

    /// The recorded headers, secrets redacted, values cut at 512 characters.
    pub fn select_headers(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        let selection = HeaderSelection::of(self);
        selection.render(&selection.pick(headers))
    }

    /// The body excerpt with secrets redacted, or `None` when there is
    /// nothing to keep. JSON is redacted field by field (a cut-off JSON text
    /// too), with keys compared after their escapes are decoded and JSON
    /// inside string values redacted as well (up to [`NESTED_JSON_DEPTH`]
    /// levels); form bodies pair by pair; any other body is withheld if it
    /// mentions a secret field name. Digit runs that look like card numbers
    /// (13–19 digits passing the Luhn check) are redacted under any name.
    pub fn redact_body(&self, body: &[u8], content_type: Option<&str>) -> Option<String> {
        if body.is_empty() || self.body_excerpt == 0 {
            return None;
        }
        let cut = &body[..body.len().min(self.body_excerpt)];
        let text = String::from_utf8_lossy(cut);
        if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(cut) {
            self.redact_json(&mut v, 0);
            return Some(v.to_string());
        }
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        if ct.starts_with("application/x-www-form-urlencoded") {
            let pairs: Vec<String> = form_urlencoded::parse(cut)
                .map(|(k, v)| {
                    let v = if self.is_secret_field(&k) {
                        REDACTED.to_owned()
                    } else if looks_like_json(&v) {
                        self.redact_json_str(&v, 1)
                    } else {
                        redact_cards(&v).into_owned()
                    };
                    format!("{k}={v}")
                })
                .collect();
            return Some(pairs.join("&"));
        }
        if ct.contains("json") || looks_like_json(&text) {
            return Some(redact_cards(&self.redact_json_text(&text, 0)).into_owned());
        }
        let lower = text.to_lowercase();
        if self
            .secret_fields
            .iter()
            .any(|f| lower.contains(f.as_str()))
        {
            return Some("[REDACTED: body withheld]".to_owned());
        }
        Some(redact_cards(&text).into_owned())
    }

    /// A JSON text (whole or not) redacted, as text.
    fn redact_json_str(&self, text: &str, depth: usize) -> String {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(mut v) => {
                self.redact_json(&mut v, depth);
                v.to_string()
            }
            Err(_) => redact_cards(&self.redact_json_text(text, depth)).into_owned(),
        }
    }

    fn redact_json(&self, v: &mut serde_json::Value, depth: usize) {
        use serde_json::Value;
        match v {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if self.is_secret_field(k) {
                        *v = Value::String(REDACTED.to_owned());
                    } else {
                        self.redact_json(v, depth);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.redact_json(i, depth)),
            Value::String(text) => {
                if depth < NESTED_JSON_DEPTH && looks_like_json(text) {
                    *text = self.redact_json_str(text, depth + 1);
                } else if let std::borrow::Cow::Owned(clean) = redact_cards(text) {
                    *text = clean;
                }
            }
            Value::Number(n) => {
                if n.as_u64().is_some_and(|n| is_card_number(&n.to_string())) {
                    *v = Value::String(REDACTED.to_owned());
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }

    /// Redacts a JSON text that does not parse (cut off, or broken): the
    /// value after every secret key (its escapes decoded) is replaced up to
    /// the next `,`, `}` or `]` outside a string, or to the end; a string
    /// value holding JSON, even cut off, is redacted the same way within.
    fn redact_json_text(&self, text: &str, depth: usize) -> String {
        let b = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'"' {
                let next = text[i..].find('"').map_or(b.len(), |n| i + n);
                out.push_str(&text[i..next]);
                i = next;
                continue;
            }
            let end = string_end(b, i);
            let literal = &text[i..end];
            i = end;
            let mut j = i;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let is_key = j < b.len() && b[j] == b':';
            if !is_key {
                out.push_str(&self.redact_string_literal(literal, depth));
                continue;
            }
            out.push_str(literal);
            if !self.is_secret_field(&decode_literal(literal).unwrap_or_default()) {
                continue;
            }
            out.push_str(&text[i..=j]);
            out.push_str(&format!("\"{REDACTED}\""));
            // Skip the value.
            let mut k = j + 1;
            while k < b.len() && b[k].is_ascii_whitespace() {
                k += 1;
            }
            if k < b.len() && b[k] == b'"' {
                k = string_end(b, k);
            } else {
                let mut depth = 0i32;
                while k < b.len() {
                    match b[k] {
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' if depth == 0 => break,
                        b'}' | b']' => depth -= 1,
                        b',' if depth == 0 => break,
                        b'"' => {
                            k = string_end(b, k);
                            continue;
                        }
                        _ => {}
                    }
                    k += 1;
                }
            }
            i = k;
        }
        out
    }

    /// A string value of a broken JSON text: JSON inside it is redacted
    /// (bounded by [`NESTED_JSON_DEPTH`]); a literal cut off by the excerpt
    /// stays open.
    fn redact_string_literal(&self, literal: &str, depth: usize) -> String {
        if depth >= NESTED_JSON_DEPTH {
            return literal.to_owned();
        }
        let Some(decoded) = decode_literal(literal) else {
            return literal.to_owned();
        };
        if !looks_like_json(&decoded) {
            return literal.to_owned();
        }
        let redacted = self.redact_json_str(&decoded, depth + 1);
        let mut encoded = serde_json::Value::String(redacted).to_string();
        if !is_closed(literal) {
            encoded.pop();
        }
        encoded
    }
}

/// How many levels of JSON inside JSON strings are redacted
/// (`"data": "{\"password\": …}"` is one level).
pub const NESTED_JSON_DEPTH: usize = 4;

fn looks_like_json(text: &str) -> bool {
    text.trim_start().starts_with(['{', '['])
}

/// Whether a string literal has its closing quote.
fn is_closed(literal: &str) -> bool {
    literal.len() >= 2
        && literal.ends_with('"')
        && literal[1..literal.len() - 1]
            .bytes()
            .rev()
            .take_while(|&c| c == b'\\')
            .count()
            % 2
            == 0
}

/// The text of a JSON string literal, escapes decoded (`"pass\u0077ord"` is
/// `password`); a literal cut off by the excerpt is closed first.
fn decode_literal(literal: &str) -> Option<String> {
    if is_closed(literal) {
        return serde_json::from_str(literal).ok();
    }
    // Cut inside an escape: drop the partial escape before closing it.
    let mut open = literal.to_owned();
    if let Some(at) = open.rfind('\\') {
        let tail = &open[at..];
        if tail == "\\" || (tail.starts_with("\\u") && tail.len() < 6) {
            open.truncate(at);
        }
    }
    open.push('"');
    serde_json::from_str(&open).ok()
}

/// The index just past the JSON string starting at `start` (or the end).
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// A request body that keeps a copy of its first bytes as the handler reads them.
pub(crate) struct Tee {
    inner: Body,
    kept: Arc<Mutex<Vec<u8>>>,
    limit: usize,
}

impl Tee {
    pub(crate) fn wrap(inner: Body, limit: usize) -> (Body, Arc<Mutex<Vec<u8>>>) {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let tee = Tee {
            inner,
            kept: Arc::clone(&kept),
            limit,
        };
        (Body::new(tee), kept)
    }
}

impl HttpBody for Tee {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &poll
            && let Some(data) = frame.data_ref()
        {
            let mut kept = self
                .kept
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let room = self.limit.saturating_sub(kept.len());
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Facts about the request that handlers learn (who is calling, for which
/// tenant, under which trace) and the error log records. Set them through
/// the [`ErrorContext`] in the request's extensions.
#[derive(Clone, Debug, Default)]
pub struct ErrorContext(Arc<Mutex<ContextData>>);

#[derive(Clone, Debug, Default)]
pub(crate) struct ContextData {
    pub(crate) tenant: Option<String>,
    pub(crate) principal: Option<String>,
    pub(crate) trace_id: Option<String>,
}

impl ErrorContext {
    fn with(&self, f: impl FnOnce(&mut ContextData)) {
        f(&mut self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner));
    }

    /// Records the tenant the request acts for.
    pub fn set_tenant(&self, tenant: impl Into<String>) {
        self.with(|d| d.tenant = Some(tenant.into()));
    }

    /// Records who is calling (a user id, an API key id — never a secret).
    pub fn set_principal(&self, principal: impl Into<String>) {
        self.with(|d| d.principal = Some(principal.into()));
    }

    /// Records the trace id of the request.
    pub fn set_trace_id(&self, trace_id: impl Into<String>) {
        self.with(|d| d.trace_id = Some(trace_id.into()));
    }

    pub(crate) fn snapshot(&self) -> ContextData {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests;

mod response;
mod values;

pub(crate) use response::SecretNames;
pub(crate) use values::{is_card_number, redact_cards, redact_url};
