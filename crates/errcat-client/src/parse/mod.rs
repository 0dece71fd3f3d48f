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
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime};

use errcat_catalog::template::value::fold;
use errcat_catalog::{Catalog, Message, Segment};
use http::{HeaderMap, HeaderName};
use serde::de::DeserializeSeed;
use serde_json::Value;

use crate::retry;

mod error;
mod fallback;
mod stream;
mod visit;
mod walk;

pub use error::{ApiError, Format, Identified};
use fallback::{generic_json, google_details};

use stream::{Found, NodeSeed, Reader};

/// Bodies larger than this are not parsed as JSON (the [`ApiError`] keeps
/// the status, the headers' values and a prefix of the body).
pub const MAX_PARSE_BYTES: usize = 1024 * 1024;

/// The most body bytes an [`ApiError`] keeps in [`ApiError::raw`].
pub const MAX_RAW_BYTES: usize = 64 * 1024;

/// The most bytes of a plain-text body kept as the message.
const MAX_TEXT_MESSAGE: usize = 1024;

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
    /// Codes folded (lower case, letters and digits), for codes written
    /// with a case filter.
    by_folded: FastMap<String, usize>,
    /// The catalog's request id header, when it is not one of the usual two.
    request_id_header: Option<HeaderName>,
    /// The default envelope's one status for every error, if it has one.
    wire_status: Option<u16>,
}

/// Parses error responses of one API. Build it once and share it (cloning
/// is cheap).
#[derive(Clone, Debug)]
pub struct Parser {
    inner: Arc<Inner>,
}

fn problem_reader() -> Reader {
    Reader::builtin(
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
    Reader::builtin(
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
            .map(|(i, e)| Reader::custom(Format::Custom(i), e))
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
        let mut by_folded = FastMap::default();
        for (i, e) in entries.iter().enumerate() {
            by_folded.entry(fold(&e.code)).or_insert(i);
        }
        let request_id_header = catalog
            .api
            .request_id_header
            .as_deref()
            .and_then(|h| HeaderName::from_bytes(h.as_bytes()).ok())
            .filter(|h| *h != *X_REQUEST_ID && *h != *REQUEST_ID);
        Parser {
            inner: Arc::new(Inner {
                readers,
                entries,
                by_code,
                by_numeric,
                by_folded,
                request_id_header,
                wire_status: catalog
                    .envelope(&catalog.api.envelope)
                    .and_then(|e| e.status),
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
                by_folded: FastMap::default(),
                request_id_header: None,
                wire_status: None,
            }),
        }
    }

    /// The status every error of the catalog's default envelope is sent
    /// with, when it sets one (200 for APIs that answer errors with
    /// `ok: false`): a response with this status may be an error.
    pub fn wire_status(&self) -> Option<u16> {
        self.inner.wire_status
    }

    /// The catalog's own status of an error's code (`None` for a code it
    /// does not know).
    pub fn status_of(&self, code: &str) -> Option<u16> {
        self.inner
            .by_code
            .get(code)
            .and_then(|&i| self.inner.entries[i].status)
    }

    /// The catalog's codes whose message template matches `message`, with
    /// their statuses (for saying which error a body without a code looks
    /// like).
    pub fn codes_matching(&self, message: &str) -> Vec<(&str, Option<u16>)> {
        self.inner
            .entries
            .iter()
            .filter(|d| message_matches(&d.message, message))
            .map(|d| (d.code.as_str(), d.status))
            .collect()
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
        let own = self.inner.request_id_header.as_ref();
        if let Some(rid) = own
            .and_then(|h| header_str(headers, h))
            .or_else(|| header_str(headers, &X_REQUEST_ID))
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
        let mut hint = Hint::default();
        e.raw = body[..body.len().min(MAX_RAW_BYTES)].to_vec();
        let trimmed = body.trim_ascii();
        if trimmed.is_empty() {
            e.format = Format::Empty;
        } else if body.len() > MAX_PARSE_BYTES {
            e.format = Format::Unreadable;
        } else if trimmed[0] == b'{' {
            match self.read_json(trimmed) {
                Some(Read {
                    format,
                    found,
                    reader,
                    complete,
                }) => {
                    e.format = format;
                    e.complete = complete;
                    hint.folded.clone_from(&found.code_folded);
                    hint.reader = reader;
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
        self.complete(&mut e, &hint);
        e
    }

    /// Reads a JSON body with each reader; the first complete read wins,
    /// else the read that found most.
    fn read_json(&self, body: &[u8]) -> Option<Read> {
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
                return Some(Read {
                    format: r.format,
                    found,
                    reader: Some(i),
                    complete: true,
                });
            }
            if best.as_ref().is_none_or(|(b, _)| found.hits > b.hits) {
                best = Some((found, i));
            }
        }
        best.map(|(found, i)| Read {
            format: self.inner.readers[i].format,
            found,
            reader: Some(i),
            complete: false,
        })
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

    /// Completes an error from the catalog: its code from the body's code,
    /// else its numeric code, else a case-changed code, else its message
    /// (among the codes of its status), else the envelope's
    /// `codes_by_status`.
    fn complete(&self, e: &mut ApiError, hint: &Hint) {
        let inner = &*self.inner;
        let reader = hint.reader.map(|i| &inner.readers[i]);
        // An envelope that sends every error with one status (200) says
        // nothing of the error by it.
        let any_status = reader.is_some_and(|r| r.wire_status == Some(e.status));
        let found = match (&e.code, e.numeric_code) {
            (Some(c), _) => inner
                .by_code
                .get(c.as_str())
                .map(|&i| (i, Identified::Code)),
            (None, Some(n)) => inner
                .by_numeric
                .get(&n)
                .map(|&i| (i, Identified::NumericCode)),
            (None, None) => hint
                .folded
                .as_deref()
                .and_then(|c| inner.by_folded.get(&fold(c)))
                .map(|&i| (i, Identified::FoldedCode))
                .or_else(|| {
                    let m = e.message.as_deref()?;
                    let i = inner.entries.iter().position(|d| {
                        (any_status || d.status == Some(e.status)) && message_matches(&d.message, m)
                    })?;
                    Some((i, Identified::Message))
                })
                // A message of another status's error is still that error
                // (sent with the wrong status), when its template has text
                // of its own to match.
                .or_else(|| {
                    let m = e.message.as_deref()?;
                    let i = inner
                        .entries
                        .iter()
                        .position(|d| has_text(&d.message) && message_matches(&d.message, m))?;
                    Some((i, Identified::Message))
                })
                .or_else(|| {
                    let (_, code) = reader?
                        .codes_by_status
                        .iter()
                        .find(|(s, _)| *s == e.status)?;
                    inner
                        .by_code
                        .get(code.as_str())
                        .map(|&i| (i, Identified::Status))
                }),
        };
        if e.code.is_some() && found.is_none() {
            e.identified_by = Some(Identified::Code);
        }
        let Some((i, how)) = found else { return };
        e.identified_by = Some(how);
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

/// A JSON body as one reader read it.
struct Read {
    format: Format,
    found: Found,
    /// The reader's index.
    reader: Option<usize>,
    /// Every part the envelope always has was there.
    complete: bool,
}

/// What reading the body learned that completing the error uses.
#[derive(Default)]
struct Hint {
    /// A code written with a case filter.
    folded: Option<String>,
    /// The reader that read the body.
    reader: Option<usize>,
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

/// Whether a message template has literal text of its own (four letters
/// or more), so that matching it says something.
fn has_text(template: &Message) -> bool {
    template.segments.iter().any(
        |s| matches!(s, Segment::Text(t) if t.chars().filter(|c| c.is_alphanumeric()).count() >= 4),
    )
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
