//! The verdict rules: what every response of a probe must be.

use errcat_catalog::Catalog;
use errcat_client::{Format, Parser};
use http::HeaderMap;

/// The seven standard categories.
const STANDARD_CATEGORIES: [&str; 7] = [
    "VALIDATION",
    "AUTH",
    "NOT_FOUND",
    "CONFLICT",
    "RATE_LIMIT",
    "EXTERNAL_SERVICE",
    "INTERNAL",
];

/// What a probe expects.
#[derive(Debug, Clone, Default)]
pub(super) struct Expect {
    /// Accepted statuses; empty: any status below 500.
    pub(super) statuses: Vec<u16>,
    /// Accepted categories of the code (for error statuses).
    pub(super) categories: Vec<&'static str>,
}

impl Expect {
    pub(super) fn new(statuses: &[u16], categories: &[&'static str]) -> Self {
        Expect {
            statuses: statuses.to_vec(),
            categories: categories.to_vec(),
        }
    }

    /// Also accepts 401/403 with an `AUTH` code.
    pub(super) fn or_auth(mut self) -> Self {
        self.statuses.extend([401, 403]);
        self.categories.push("AUTH");
        self
    }
}

/// A response, read up to the body limit.
#[derive(Debug)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
    /// The body was longer than the limit; reading stopped.
    pub(super) truncated: bool,
}

/// How the request id header is expected.
#[derive(Debug, Clone)]
pub(super) enum RequestIdRule {
    /// The catalog or `--request-id-header` names it: every response must carry it.
    Required(String),
    /// Nothing names it: `X-Request-Id` is looked for, and its absence is one
    /// summary warning, not a failure.
    Usual(String),
    /// `request_id_header = false` or `--request-id-header none`.
    None,
}

impl RequestIdRule {
    fn name(&self) -> Option<&str> {
        match self {
            RequestIdRule::Required(n) | RequestIdRule::Usual(n) => Some(n),
            RequestIdRule::None => None,
        }
    }
}

/// What a response was found to be.
#[derive(Debug, Default)]
pub(super) struct Finding {
    /// The code it carries.
    pub(super) code: Option<String>,
    /// Broken rules (each one fails the row).
    pub(super) reasons: Vec<String>,
    /// What the reader had to do to tell (a code found by the message or
    /// the status), shown with the row.
    pub(super) notes: Vec<String>,
    /// The usual request id header was missing (a summary warning).
    pub(super) missing_request_id: bool,
}

/// Checks a response.
pub(super) fn verify(
    catalog: &Catalog,
    parser: &Parser,
    rule: &RequestIdRule,
    max_read: usize,
    expect: &Expect,
    r: &Reply,
) -> Finding {
    let mut f = Finding::default();
    // An envelope that sends every error with one status (200 and
    // `ok: false`): the status that counts is the one its code has.
    let wire = catalog
        .envelope(&catalog.api.envelope)
        .and_then(|e| e.status)
        .filter(|&w| w == r.status && !r.truncated);
    let wire_code = wire.and_then(|_| parser.parse_body(r.status, &r.body).code);
    let status = wire_code
        .as_deref()
        .and_then(|c| catalog.get(c)?.status)
        .unwrap_or(r.status);
    // With such an envelope a 200 is an error when it carries a code, or
    // when the probe asked for one.
    let is_error = status >= 400
        || wire.is_some() && (wire_code.is_some() || expect.statuses.iter().any(|&s| s >= 400));
    let v = &mut f.reasons;
    if expect.statuses.is_empty() {
        if status >= 500 {
            v.push(format!("expected a status below 500, got {status}"));
        }
    } else if !expect.statuses.contains(&status) {
        let list: Vec<String> = expect.statuses.iter().map(u16::to_string).collect();
        if status == 429 {
            v.push(format!(
                "expected {}, got 429: rate limited (re-run after Retry-After, or check --burst separately)",
                list.join("/")
            ));
        } else {
            v.push(format!("expected {}, got {status}", list.join("/")));
        }
    }
    let status_wrong = !v.is_empty();
    let header = |name: &str| {
        r.headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .map(str::trim)
            .filter(|h| !h.is_empty())
    };
    if status == 405 && header("allow").is_none() {
        v.push("405 without an Allow header".to_owned());
    }
    if status == 429 && header("retry-after").is_none() {
        v.push("429 without a Retry-After header".to_owned());
    }
    let request_id = rule.name().and_then(header);
    match rule {
        RequestIdRule::Required(name) if request_id.is_none() => {
            v.push(format!("no {name} header"));
        }
        RequestIdRule::Usual(_) if request_id.is_none() => f.missing_request_id = true,
        _ => {}
    }
    if r.truncated {
        v.push(format!(
            "body larger than {max_read} bytes, stopped reading"
        ));
    } else if is_error {
        let seen = Seen {
            request_id,
            id_header: rule.name().unwrap_or("X-Request-Id"),
            status,
            status_wrong,
        };
        envelope(catalog, parser, expect, r, &seen, &mut f);
    }
    leaks(r, &mut f.reasons);
    f
}

/// What the envelope rules compare the body with.
struct Seen<'a> {
    /// The request id header's value.
    request_id: Option<&'a str>,
    /// Its name.
    id_header: &'a str,
    /// The error's status (the code's, for an envelope sent with one status).
    status: u16,
    /// The status was already reported wrong (so the category is not too).
    status_wrong: bool,
}

/// The shape of a JSON body, for saying what was received instead of an
/// envelope: `{"detail": array}`, `{"error": {"code": string, …}}`.
fn shape(body: &[u8]) -> Option<String> {
    fn kind(v: &serde_json::Value, depth: u8) -> String {
        use serde_json::Value;
        match v {
            Value::Null => "null".into(),
            Value::Bool(_) => "boolean".into(),
            Value::Number(_) => "number".into(),
            Value::String(_) => "string".into(),
            Value::Array(_) => "array".into(),
            Value::Object(m) if depth == 0 => {
                let mut parts: Vec<String> = m
                    .iter()
                    .take(6)
                    .map(|(k, v)| format!("\"{k}\": {}", kind(v, depth + 1)))
                    .collect();
                if m.len() > 6 {
                    parts.push("…".into());
                }
                format!("{{{}}}", parts.join(", "))
            }
            Value::Object(_) => "object".into(),
        }
    }
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some(match &v {
        serde_json::Value::Object(m) => {
            let mut parts: Vec<String> = m
                .iter()
                .take(6)
                .map(|(k, v)| format!("\"{k}\": {}", kind(v, 0)))
                .collect();
            if m.len() > 6 {
                parts.push("…".into());
            }
            format!("{{{}}}", parts.join(", "))
        }
        other => kind(other, 1),
    })
}

/// Whether a body is an HTML page.
fn is_html(r: &Reply) -> bool {
    let ct = r
        .headers
        .get("content-type")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let start = String::from_utf8_lossy(&r.body[..r.body.len().min(64)]).to_ascii_lowercase();
    let start = start.trim_start();
    ct.to_ascii_lowercase().starts_with("text/html")
        || start.starts_with("<!doctype html")
        || start.starts_with("<html")
}

/// The envelope rules for an error response.
fn envelope(
    catalog: &Catalog,
    parser: &Parser,
    expect: &Expect,
    r: &Reply,
    seen: &Seen<'_>,
    f: &mut Finding,
) {
    let (status, request_id) = (seen.status, seen.request_id);
    let e = parser.parse_body(r.status, &r.body);
    let declared = catalog.api.envelope.as_str();
    let v = &mut f.reasons;
    let closest = |v: &mut Vec<String>| closest(parser, e.message.as_deref(), status, v);
    let (name, media, carries_id) = match e.format {
        Format::Problem => ("problem", "application/problem+json", true),
        Format::Google => ("google", "application/json", true),
        Format::Custom(i) => match catalog.envelopes.get(i) {
            Some(env) => (
                env.name.as_str(),
                env.media_type.as_str(),
                env.body_tpl.uses(&errcat_catalog::template::Var::RequestId),
            ),
            None => ("custom", "application/json", false),
        },
        Format::Empty => {
            v.push("empty body, not a catalog envelope".to_owned());
            return;
        }
        Format::Text if is_html(r) => {
            v.push("an HTML page, not a catalog envelope".to_owned());
            return;
        }
        Format::Text => {
            v.push("plain-text body, not a catalog envelope".to_owned());
            return;
        }
        _ => {
            let got = shape(&r.body).map_or_else(String::new, |s| format!(": received {s}"));
            v.push(format!(
                "body is not the `{declared}` envelope, nor problem+json{got}"
            ));
            closest(v);
            return;
        }
    };
    if !e.complete {
        let got = shape(&r.body).map_or_else(String::new, |s| format!("; received {s}"));
        v.push(format!(
            "body has only part of the `{name}` envelope's shape{got}"
        ));
        closest(v);
        return;
    }
    media_type(r, name, media, v);
    match (&e.request_id, request_id) {
        (Some(body), Some(head)) if body != head => v.push(format!(
            "request id in the body (`{body}`) differs from {} (`{head}`)",
            seen.id_header
        )),
        (None, _) if carries_id => v.push("no request id in the body".to_owned()),
        _ => {}
    }
    let Some(code) = e.code.clone() else {
        v.push(format!("{name} envelope without a code"));
        closest(v);
        return;
    };
    match e.identified_by {
        Some(errcat_client::Identified::Message) => f.notes.push(format!(
            "`{code}` told by its message: the body has no code"
        )),
        Some(errcat_client::Identified::Status) => f.notes.push(format!(
            "`{code}` told by the status (codes_by_status): the body has no code"
        )),
        _ => {}
    }
    f.code = Some(code.clone());
    catalog_code(catalog, expect, seen, &code, &mut f.reasons);
}

/// The catalog entry a body without a code looks like, by its message.
fn closest(parser: &Parser, message: Option<&str>, status: u16, v: &mut Vec<String>) {
    if let Some(m) = message
        && let Some((code, s)) = parser.codes_matching(m).first().copied()
    {
        v.push(match s {
            Some(s) if s != status => {
                format!("its message matches `{code}`, whose status is {s}; got {status}")
            }
            _ => format!("its message matches `{code}`"),
        });
    }
}

/// The `Content-Type` is the envelope's media type.
fn media_type(r: &Reply, name: &str, media: &str, v: &mut Vec<String>) {
    let content_type = r
        .headers
        .get("content-type")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != media.to_ascii_lowercase() {
        if content_type.is_empty() {
            v.push(format!("no Content-Type; the {name} envelope is `{media}`"));
        } else {
            v.push(format!(
                "Content-Type is `{content_type}`; the {name} envelope is `{media}`"
            ));
        }
    }
}

/// The code is the catalog's, with the response's status and, unless the
/// status is already wrong, an expected category.
fn catalog_code(
    catalog: &Catalog,
    expect: &Expect,
    seen: &Seen<'_>,
    code: &str,
    v: &mut Vec<String>,
) {
    let status = seen.status;
    let Some(def) = catalog.get(code) else {
        v.push(format!("code `{code}` is not in the catalog"));
        return;
    };
    match def.status {
        Some(s) if s == status => {}
        Some(s) => v.push(format!(
            "`{code}` has status {s} in the catalog, the response {status}"
        )),
        None => v.push(format!("`{code}` has no status in the catalog")),
    }
    // A wrong status is one root cause: the category is not reported too.
    if !seen.status_wrong
        && def.status == Some(status)
        && !expect.categories.is_empty()
        && !category_fits(catalog, &def.category, status, expect)
    {
        v.push(format!(
            "`{code}` is in category {}, expected {}",
            def.category,
            expect.categories.join(" or ")
        ));
    }
}

/// The category is an expected one, or a custom category whose statuses
/// include the response's.
fn category_fits(catalog: &Catalog, category: &str, status: u16, expect: &Expect) -> bool {
    if expect.categories.contains(&category) {
        return true;
    }
    if STANDARD_CATEGORIES.contains(&category) {
        return false;
    }
    catalog.category(category).is_some_and(|c| {
        c.statuses.is_empty() || c.statuses.iter().any(|range| range.contains(status))
    })
}

/// Signs of internals: stack traces, SQL, file paths.
fn leaks(r: &Reply, v: &mut Vec<String>) {
    let body = String::from_utf8_lossy(&r.body);
    if let Some(what) = leak(&body) {
        v.push(format!("leaks internals: {what} in the body"));
    }
    for (name, value) in &r.headers {
        let text = String::from_utf8_lossy(value.as_bytes());
        if let Some(what) = leak(&text) {
            v.push(format!("leaks internals: {what} in the {name} header"));
        }
    }
}

/// The first sign of internals in `text`, described.
pub(super) fn leak(text: &str) -> Option<String> {
    const PLAIN: [(&str, &str); 13] = [
        ("panicked at", "a Rust panic"),
        ("stack backtrace:", "a Rust backtrace"),
        ("Traceback (most recent call last)", "a Python traceback"),
        ("java.lang.", "a Java exception"),
        ("Exception in thread", "a Java exception"),
        ("syntax error at or near", "an SQL error"),
        ("SQLSTATE", "an SQL error"),
        ("INSERT INTO ", "SQL"),
        (".py\", line", "a Python file path"),
        ("node_modules/", "a Node.js file path"),
        ("/home/", "a file path"),
        ("/usr/src/", "a file path"),
        ("C:\\", "a Windows file path"),
    ];
    for (needle, what) in PLAIN {
        if text.contains(needle) {
            return Some(format!("{what} (`{}`)", needle.trim()));
        }
    }
    if let Some(i) = text.find("SELECT ")
        && text[i..].contains(" FROM ")
    {
        return Some("SQL (`SELECT … FROM`)".to_owned());
    }
    for ext in [".rs:", ".go:", ".js:", ".ts:", ".java:", ".rb:", ".php:"] {
        let mut from = 0;
        while let Some(i) = text[from..].find(ext) {
            let at = from + i;
            let after = &text[at + ext.len()..];
            let before = &text[..at];
            let named = before
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            if named && after.starts_with(|c: char| c.is_ascii_digit()) {
                return Some(format!("a source location (`{ext}N`)"));
            }
            from = at + ext.len();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::leak;

    #[test]
    fn finds_leaks_and_not_ordinary_text() {
        for (text, found) in [
            (
                "thread 'main' panicked at src/db.rs:12:5",
                "a Rust panic (`panicked at`)",
            ),
            ("at src/db.rs:12", "a source location (`.rs:N`)"),
            (
                "ERROR: syntax error at or near \"FROM\"",
                "an SQL error (`syntax error at or near`)",
            ),
            ("SELECT id FROM users", "SQL (`SELECT … FROM`)"),
            (
                "File \"/app/x.py\", line 3",
                "a Python file path (`.py\", line`)",
            ),
            ("C:\\app\\x.cs", "a Windows file path (`C:\\`)"),
            ("/usr/src/app/main.go:1", "a file path (`/usr/src/`)"),
        ] {
            assert_eq!(leak(text).as_deref(), Some(found), "{text}");
        }
        for text in [
            "Template tpl_1 not found",
            "Select a plan from the list",
            "https://docs.example.com/errors#NOT_FOUND",
            "Expected a request with Content-Type application/json",
            "invalid JSON at line 1 column 12",
        ] {
            assert_eq!(leak(text), None, "{text}");
        }
    }
}
