//! What a parsed error response is: [`ApiError`], and how its body was
//! read ([`Format`]) and its code found ([`Identified`]).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use errcat_catalog::FieldViolation;
use serde_json::Value;

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
    /// The body (its first [`MAX_RAW_BYTES`](crate::parse::MAX_RAW_BYTES) bytes).
    pub raw: Vec<u8>,
    /// Whether the body had every part its envelope always has (false for
    /// a partial read of someone else's JSON).
    pub complete: bool,
    /// How the code was found.
    pub identified_by: Option<Identified>,
}

/// How an [`ApiError`]'s code was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Identified {
    /// The body carries the code.
    Code,
    /// The body carries the numeric code.
    NumericCode,
    /// The body carries the code in another case (`card-declined`).
    FoldedCode,
    /// The message matches the code's message template (no code in the body).
    Message,
    /// The envelope's `codes_by_status` names the code of the status.
    Status,
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
            complete: false,
            identified_by: None,
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
