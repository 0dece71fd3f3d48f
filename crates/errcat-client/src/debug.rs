//! Debug mode: one line per request and per response on stderr (or any
//! writer), with credentials and secret-looking fields redacted.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::HeaderMap;
use serde_json::Value;

/// What replaces a redacted value.
pub const REDACTED: &str = "[REDACTED]";

/// The most body bytes a log line shows.
pub const EXCERPT_BYTES: usize = 512;

/// Where debug lines go.
#[derive(Clone)]
pub struct DebugLog {
    out: Arc<Mutex<dyn Write + Send>>,
}

impl std::fmt::Debug for DebugLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DebugLog")
    }
}

impl DebugLog {
    /// Logs to stderr.
    pub fn stderr() -> Self {
        DebugLog::to_writer(std::io::stderr())
    }

    /// Logs to a writer (a `Vec<u8>` behind [`DebugLog::shared`] in tests).
    pub fn to_writer(w: impl Write + Send + 'static) -> Self {
        DebugLog {
            out: Arc::new(Mutex::new(w)),
        }
    }

    /// Logs into a shared buffer that the caller can read.
    pub fn shared(buf: Arc<Mutex<Vec<u8>>>) -> Self {
        DebugLog::to_writer(SharedBuf(buf))
    }

    fn line(&self, s: &str) {
        if let Ok(mut w) = self.out.lock() {
            let _ = writeln!(w, "{s}");
        }
    }

    /// Logs a request about to be sent.
    pub fn request(
        &self,
        attempt: u32,
        method: &str,
        url: &str,
        headers: &HeaderMap,
        body: Option<&[u8]>,
    ) {
        let mut s = format!(
            "errcat-client --> {method} {} (attempt {attempt})",
            redact_url(url)
        );
        write_headers(&mut s, headers);
        if let Some(b) = body.filter(|b| !b.is_empty()) {
            let _ = write!(s, " body={}", excerpt(b));
        }
        self.line(&s);
    }

    /// Logs a response.
    pub fn response(
        &self,
        method: &str,
        url: &str,
        status: u16,
        elapsed: Duration,
        headers: &HeaderMap,
        body: Option<&[u8]>,
    ) {
        let mut s = format!(
            "errcat-client <-- {status} {method} {} in {}ms",
            redact_url(url),
            elapsed.as_millis()
        );
        if let Some(rid) = headers.get("x-request-id").and_then(|v| v.to_str().ok()) {
            let _ = write!(s, " request_id={rid}");
        }
        write_headers(&mut s, headers);
        if let Some(b) = body.filter(|b| !b.is_empty()) {
            let _ = write!(s, " body={}", excerpt(b));
        }
        self.line(&s);
    }

    /// Logs a transport failure or a retry decision.
    pub fn note(&self, what: &str) {
        self.line(&format!("errcat-client --- {what}"));
    }
}

struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether a header or field name looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace(['-', '_'], "");
    if n == "idempotencykey" {
        return false;
    }
    [
        "authorization",
        "cookie",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "signature",
        "credential",
        "privatekey",
        "accesskey",
        "session",
    ]
    .iter()
    .any(|s| n.contains(s))
}

fn write_headers(s: &mut String, headers: &HeaderMap) {
    for (name, value) in headers {
        let v = if is_secret_name(name.as_str()) {
            REDACTED.into()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        let _ = write!(s, " {}={:?}", name.as_str(), v);
    }
}

/// A URL with its query string's secret-looking parameters redacted.
pub fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let q: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if is_secret_name(k) => format!("{k}={REDACTED}"),
            _ => p.to_owned(),
        })
        .collect();
    format!("{base}?{}", q.join("&"))
}

/// A body excerpt: JSON with secret-looking members redacted, else text,
/// cut at [`EXCERPT_BYTES`].
pub fn excerpt(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            redact_json(&mut v, 0);
            v.to_string()
        }
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(EXCERPT_BYTES * 4)]).into_owned(),
    };
    let mut end = text.len().min(EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let more = if end < text.len() { "…" } else { "" };
    format!("{:?}{more}", &text[..end])
}

fn redact_json(v: &mut Value, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if is_secret_name(k) && !v.is_null() {
                    *v = Value::String(REDACTED.into());
                } else {
                    redact_json(v, depth + 1);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| redact_json(i, depth + 1)),
        _ => {}
    }
}
