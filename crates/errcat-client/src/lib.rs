//! The errcat client: parse any errcat error response back into a typed
//! error, and retry the way the server asks.
//!
//! - [`Parser`] reads an error body with the catalog's own envelope template
//!   (the same template the server renders with, read backwards), falling
//!   back to RFC 9457, Google AIP-193, common JSON shapes and plain text. It
//!   never fails: every body gives an [`ApiError`].
//! - [`Client`] wraps `reqwest`: error responses become
//!   [`ClientError::Api`], and failed attempts are retried by a
//!   [`RetryPolicy`]: 408/409/429/5xx and connection errors, exponential
//!   backoff with full jitter, `Retry-After` (seconds or HTTP-date) and the
//!   IETF `RateLimit` fields honored up to a cap, non-idempotent requests
//!   only with an `Idempotency-Key`.
//! - [`DebugLog`] logs each request and response to stderr with credentials
//!   redacted.
//!
//! ```
//! use errcat_catalog::Catalog;
//! use errcat_client::{Format, Parser};
//!
//! let catalog = Catalog::from_str(r#"
//! [api]
//! name = "DUAL"
//! envelope = "dual"
//!
//! [envelopes.dual]
//! body = '{"error": {"code": "$numeric_code", "message": "$message", "details": "$details"}}'
//! violation = '{"field": "$path", "reason": "$message"}'
//!
//! [[errors]]
//! code = "TEMPLATE_NOT_FOUND"
//! numeric_code = 4041
//! status = 404
//! message = "Template {template_id} not found"
//! params = { template_id = "string" }
//! "#, "errors.toml")?;
//!
//! let parser = Parser::new(&catalog);
//! let mut headers = http::HeaderMap::new();
//! headers.insert("x-request-id", "req-1".parse().unwrap());
//! let e = parser.parse(
//!     404,
//!     &headers,
//!     br#"{"error":{"code":4041,"message":"Template tpl_42 not found","details":{}}}"#,
//! );
//! assert_eq!(e.format, Format::Custom(0));
//! assert_eq!(e.code.as_deref(), Some("TEMPLATE_NOT_FOUND")); // from the numeric code
//! assert_eq!(e.numeric_code, Some(4041));
//! assert_eq!(e.message.as_deref(), Some("Template tpl_42 not found"));
//! assert_eq!(e.request_id.as_deref(), Some("req-1"));
//!
//! // Any other body still gives an error value.
//! let text = parser.parse(502, &http::HeaderMap::new(), b"Bad Gateway");
//! assert_eq!((text.format, text.message.as_deref()), (Format::Text, Some("Bad Gateway")));
//! # Ok::<(), errcat_catalog::Report>(())
//! ```
//!
//! With the `errcat::catalog!` macro compiled in, [`ApiError::code_as`]
//! gives the generated `Code` enum; a code this build does not know becomes
//! `Code::Unknown(..)`, so a newer server never breaks an older client.
//!
//! The guide is `docs/client.md`.

mod client;
pub mod debug;
pub mod parse;
pub mod retry;
#[cfg(feature = "rustls")]
pub mod tls;

pub use client::{Client, ClientError, idempotency_key};
pub use debug::DebugLog;
pub use errcat_catalog::FieldViolation;
pub use parse::{ApiError, Format, Identified, Parser};
pub use retry::{RetryPolicy, Sleeper};
