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
                let v = if *secret {
                    REDACTED.to_owned()
                } else {
                    String::from_utf8_lossy(value.as_bytes())
                        .chars()
                        .take(512)
                        .collect()
                };
                Some((name.as_str().to_owned(), v))
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

    /// The body excerpt with secret fields redacted, or `None` when there is
    /// nothing to keep. JSON is redacted field by field (a cut-off JSON text
    /// too); form bodies pair by pair; any other body is withheld if it
    /// mentions a secret field name.
    pub fn redact_body(&self, body: &[u8], content_type: Option<&str>) -> Option<String> {
        if body.is_empty() || self.body_excerpt == 0 {
            return None;
        }
        let cut = &body[..body.len().min(self.body_excerpt)];
        let text = String::from_utf8_lossy(cut);
        if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(cut) {
            self.redact_json(&mut v);
            return Some(v.to_string());
        }
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        if ct.starts_with("application/x-www-form-urlencoded") {
            let pairs: Vec<String> = form_urlencoded::parse(cut)
                .map(|(k, v)| {
                    let v = if self.is_secret_field(&k) {
                        REDACTED.into()
                    } else {
                        v
                    };
                    format!("{k}={v}")
                })
                .collect();
            return Some(pairs.join("&"));
        }
        if ct.contains("json") || text.trim_start().starts_with(['{', '[']) {
            return Some(self.redact_json_text(&text));
        }
        let lower = text.to_lowercase();
        if self
            .secret_fields
            .iter()
            .any(|f| lower.contains(f.as_str()))
        {
            return Some("[REDACTED: body withheld]".to_owned());
        }
        Some(text.into_owned())
    }

    fn redact_json(&self, v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if self.is_secret_field(k) {
                        *v = serde_json::Value::String(REDACTED.to_owned());
                    } else {
                        self.redact_json(v);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| self.redact_json(i)),
            _ => {}
        }
    }

    /// Redacts a JSON text that does not parse (cut off, or broken): the
    /// value after every secret key is replaced up to the next `,`, `}` or
    /// `]` outside a string, or to the end.
    fn redact_json_text(&self, text: &str) -> String {
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
            out.push_str(literal);
            i = end;
            let mut j = i;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let key = literal.trim_matches('"');
            if j < b.len() && b[j] == b':' && self.is_secret_field(key) {
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
        }
        out
    }
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
mod tests {
    use super::*;

    #[test]
    fn picked_headers_come_in_the_selection_order_with_every_value() {
        use http::header;
        let selection = HeaderSelection::of(&Capture::default());
        let expected = |picked: Vec<(usize, HeaderValue)>| {
            picked
                .into_iter()
                .map(|(i, v)| (selection.0[i].0.as_str().to_owned(), v))
                .collect::<Vec<_>>()
        };
        let v = HeaderValue::from_static;
        // Few names (walked once) and more names than the selection holds
        // (looked up name by name) give the same answer.
        let mut few = HeaderMap::new();
        few.append("x-unselected", v("1"));
        few.append(header::USER_AGENT, v("ua"));
        few.append(header::ACCEPT, v("a/1"));
        few.append("x-forwarded-for", v("1.1.1.1"));
        few.append(header::ACCEPT, v("a/2"));
        few.append(header::CONTENT_TYPE, v("application/json"));
        let want = vec![
            ("content-type".to_owned(), v("application/json")),
            ("accept".to_owned(), v("a/1")),
            ("accept".to_owned(), v("a/2")),
            ("user-agent".to_owned(), v("ua")),
            ("x-forwarded-for".to_owned(), v("1.1.1.1")),
        ];
        assert!(few.keys_len() < selection.0.len());
        assert_eq!(expected(selection.pick(&few)), want);
        let mut many = few.clone();
        for i in 0..selection.0.len() {
            many.append(
                HeaderName::from_bytes(format!("x-other-{i}").as_bytes()).unwrap(),
                v("o"),
            );
        }
        assert!(many.keys_len() >= selection.0.len());
        assert_eq!(expected(selection.pick(&many)), want);
        assert!(selection.pick(&HeaderMap::new()).is_empty());
    }

    #[test]
    fn cut_off_json_is_redacted_by_key() {
        let c = Capture::default();
        let text = r#"{"user": "ann", "api_key": "sk_live_123", "nested": {"refresh_token": {"a": [1, "x"]}, "ok": 1}, "password": "hunt"#;
        assert_eq!(
            c.redact_body(text.as_bytes(), Some("application/json"))
                .unwrap(),
            r#"{"user": "ann", "api_key":"[REDACTED]", "nested": {"refresh_token":"[REDACTED]", "ok": 1}, "password":"[REDACTED]""#
        );
    }

    #[test]
    fn forms_and_other_bodies() {
        let c = Capture::default();
        assert_eq!(
            c.redact_body(
                b"user=ann&password=hunter2",
                Some("application/x-www-form-urlencoded")
            )
            .unwrap(),
            "user=ann&password=[REDACTED]"
        );
        assert_eq!(
            c.redact_body(b"my password is hunter2", Some("text/plain"))
                .unwrap(),
            "[REDACTED: body withheld]"
        );
        assert_eq!(
            c.redact_body(b"hello", Some("text/plain")).unwrap(),
            "hello"
        );
        assert_eq!(c.redact_body(b"", None), None);
    }

    #[test]
    fn secret_headers_are_redacted() {
        let c = Capture::default();
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer eyJ.secret".parse().unwrap());
        h.insert("x-api-key", "key_123".parse().unwrap());
        h.insert("user-agent", "curl/8".parse().unwrap());
        h.insert("x-private", "not recorded".parse().unwrap());
        assert_eq!(
            c.select_headers(&h),
            [
                ("user-agent".to_owned(), "curl/8".to_owned()),
                ("authorization".to_owned(), REDACTED.to_owned()),
                ("x-api-key".to_owned(), REDACTED.to_owned()),
            ]
        );
    }
}
