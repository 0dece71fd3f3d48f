//! Webhook signatures, checked over the raw body: HMAC-SHA256 in hex or
//! base64 (`X-Shopify-Hmac-Sha256`, `X-Hub-Signature-256`, …) and
//! Stripe-style `t=…,v1=…` with a tolerance against replays.
//!
//! Every failure is the catalog's `invalid_webhook_signature` (401); the
//! reason (a missing header, bad encoding, a mismatch, a stale timestamp) is
//! the error's internal cause, a [`SignatureError`], for the log only.
//! Signatures are compared in constant time.
//!
//! [`VerifiedBody`] is an extractor that checks the request with the
//! [`WebhookVerifier`] in its extensions (installed with
//! [`axum::Extension`]) and yields the raw body:
//!
//! ```no_run
//! use axum::{Extension, Router, routing::post};
//! use errcat_axum::ErrcatLayer;
//! use errcat_axum::webhook::{VerifiedBody, WebhookVerifier};
//!
//! async fn orders(VerifiedBody(body): VerifiedBody) -> &'static str {
//!     // `body` is exactly what Shopify signed; parse it now.
//!     let _order: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
//!     "ok"
//! }
//!
//! # async fn run() {
//! let catalog = errcat_catalog::Catalog::from_path("errors.toml").unwrap();
//! let secret = std::env::var("SHOPIFY_WEBHOOK_SECRET").unwrap();
//! let app = Router::new()
//!     .route("/webhooks/orders", post(orders))
//!     .layer(Extension(WebhookVerifier::shopify(secret)))
//!     .layer(ErrcatLayer::new(errcat_render::Renderer::new(catalog)));
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```
//!
//! The functions [`verify_hmac_sha256`] and [`verify_stripe`] do the same
//! checks without axum.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{FromRequest, Request};
use base64::Engine as _;
use bytes::Bytes;
use errcat_render::Error;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::BodyLimit;
use crate::layer::DEFAULT_BODY_LIMIT;

type HmacSha256 = Hmac<Sha256>;

/// The default tolerance of Stripe-style timestamps: 5 minutes.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// How an HMAC signature is written in its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Hexadecimal, either case (`X-Hub-Signature-256`, after its `sha256=`).
    Hex,
    /// Standard base64 with padding (`X-Shopify-Hmac-Sha256`).
    Base64,
}

/// Why a signature was refused: the internal cause of the
/// `invalid_webhook_signature` error, never sent to the client.
#[derive(Debug)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature header is not in the request.
    MissingHeader(HeaderName),
    /// The header is there but cannot be read: not text, not hex or base64,
    /// without its prefix, or (Stripe) without a timestamp or a `v1`
    /// signature.
    Malformed(Cow<'static, str>),
    /// The signature does not match the body and secret.
    Mismatch,
    /// The signature matches, but its timestamp is too far from now: a
    /// replay, or a clock far off.
    OutsideTolerance {
        /// The signed timestamp (seconds since the epoch).
        timestamp: i64,
        /// The time of the check (seconds since the epoch).
        now: i64,
        /// The tolerance.
        tolerance: Duration,
    },
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::MissingHeader(name) => write!(f, "missing signature header {name}"),
            SignatureError::Malformed(why) => write!(f, "malformed signature: {why}"),
            SignatureError::Mismatch => f.write_str("signature mismatch"),
            SignatureError::OutsideTolerance {
                timestamp,
                now,
                tolerance,
            } => write!(
                f,
                "signature timestamp {timestamp} is {} s from now ({now}), outside the tolerance of {} s",
                now.abs_diff(*timestamp),
                tolerance.as_secs()
            ),
        }
    }
}

impl std::error::Error for SignatureError {}

fn refuse(reason: SignatureError) -> Error {
    Error::standard("invalid_webhook_signature").with_source(reason)
}

fn mac(secret: &[u8]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length")
}

fn decode(signature: &str, encoding: Encoding) -> Result<Vec<u8>, SignatureError> {
    let s = signature.trim();
    match encoding {
        Encoding::Hex => hex::decode(s).map_err(|_| SignatureError::Malformed("not hex".into())),
        Encoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|_| SignatureError::Malformed("not base64".into())),
    }
}

fn check_hmac(
    secrets: &[Arc<[u8]>],
    body: &[u8],
    signature: &str,
    encoding: Encoding,
) -> Result<(), SignatureError> {
    let given = decode(signature, encoding)?;
    let mut ok = subtle::Choice::from(0);
    for secret in secrets {
        let mut m = mac(secret);
        m.update(body);
        ok |= m.finalize().into_bytes()[..].ct_eq(&given[..]);
    }
    if bool::from(ok) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Checks an HMAC-SHA256 signature of `body` under `secret`, written in the
/// header as `encoding`.
///
/// ```
/// use errcat_axum::webhook::{Encoding, verify_hmac_sha256};
///
/// let body = br#"{"id": 820982911946154508}"#;
/// let signature = "uGGfOb+XoECYuM+RY9Y3WocU+ijbVAGZNvXJ58KRFBA=";
/// assert!(verify_hmac_sha256(b"hush", body, signature, Encoding::Base64).is_ok());
/// let err = verify_hmac_sha256(b"hush", b"{}", signature, Encoding::Base64).unwrap_err();
/// assert_eq!(err.code(), "INVALID_WEBHOOK_SIGNATURE");
/// assert_eq!(err.cause_chain(), ["signature mismatch"]);
/// ```
///
/// # Errors
///
/// `invalid_webhook_signature` if the signature is not in `encoding` or
/// does not match.
pub fn verify_hmac_sha256(
    secret: &[u8],
    body: &[u8],
    signature: &str,
    encoding: Encoding,
) -> Result<(), Error> {
    check_hmac(&[Arc::from(secret)], body, signature, encoding).map_err(refuse)
}

fn epoch_secs(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

fn check_stripe(
    secrets: &[Arc<[u8]>],
    body: &[u8],
    header: &str,
    tolerance: Duration,
    now: SystemTime,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for item in header.split(',') {
        let Some((k, v)) = item.split_once('=') else {
            continue;
        };
        match k.trim() {
            "t" if timestamp.is_none() => timestamp = Some(v.trim()),
            // Other schemes (`v0`) are ignored; bad hex cannot match anyway.
            "v1" => candidates.extend(hex::decode(v.trim()).ok()),
            _ => {}
        }
    }
    let t_text = timestamp.ok_or(SignatureError::Malformed("no t= timestamp".into()))?;
    let t: i64 = t_text
        .parse()
        .map_err(|_| SignatureError::Malformed("the timestamp is not a number".into()))?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed("no v1= signature".into()));
    }
    let mut ok = subtle::Choice::from(0);
    for secret in secrets {
        let mut m = mac(secret);
        m.update(t_text.as_bytes());
        m.update(b".");
        m.update(body);
        let expected = m.finalize().into_bytes();
        for candidate in &candidates {
            ok |= expected[..].ct_eq(&candidate[..]);
        }
    }
    if !bool::from(ok) {
        return Err(SignatureError::Mismatch);
    }
    let now = epoch_secs(now);
    if now.abs_diff(t) > tolerance.as_secs() {
        return Err(SignatureError::OutsideTolerance {
            timestamp: t,
            now,
            tolerance,
        });
    }
    Ok(())
}

/// Checks a Stripe-style signature header, `t=<unix time>,v1=<hex>[,v1=…]`:
/// an HMAC-SHA256 of `<t>.<body>` under `secret` (Stripe's `whsec_…`
/// string, as it is). Any one `v1` may match (Stripe sends several while a
/// secret is rolled). The timestamp must be within `tolerance` of `now`,
/// either way, so that a captured request cannot be replayed later.
///
/// # Errors
///
/// `invalid_webhook_signature` if the header has no timestamp or no `v1`,
/// no `v1` matches, or the timestamp is outside the tolerance.
pub fn verify_stripe(
    secret: &[u8],
    body: &[u8],
    header: &str,
    tolerance: Duration,
    now: SystemTime,
) -> Result<(), Error> {
    check_stripe(&[Arc::from(secret)], body, header, tolerance, now).map_err(refuse)
}

#[derive(Clone, Copy, Debug)]
enum Scheme {
    Hmac(Encoding),
    Stripe,
}

type Clock = dyn Fn() -> SystemTime + Send + Sync;

/// How webhooks to a route are signed: the secret, the header and the
/// scheme. Install it with [`axum::Extension`] for [`VerifiedBody`].
#[derive(Clone)]
pub struct WebhookVerifier {
    secrets: Vec<Arc<[u8]>>,
    header: HeaderName,
    scheme: Scheme,
    prefix: Option<Cow<'static, str>>,
    tolerance: Duration,
    clock: Arc<Clock>,
}

impl fmt::Debug for WebhookVerifier {
    /// Everything but the secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field("header", &self.header)
            .field("scheme", &self.scheme)
            .field("prefix", &self.prefix)
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

impl WebhookVerifier {
    fn with(header: HeaderName, scheme: Scheme, secret: &[u8]) -> Self {
        WebhookVerifier {
            secrets: vec![Arc::from(secret)],
            header,
            scheme,
            prefix: None,
            tolerance: DEFAULT_TOLERANCE,
            clock: Arc::new(SystemTime::now),
        }
    }

    /// HMAC-SHA256 of the body under `secret`, in the header `header`.
    ///
    /// # Panics
    ///
    /// If `header` is not a valid header name.
    pub fn hmac_sha256(header: &str, secret: impl AsRef<[u8]>, encoding: Encoding) -> Self {
        let header = HeaderName::from_bytes(header.as_bytes()).expect("a valid header name");
        WebhookVerifier::with(header, Scheme::Hmac(encoding), secret.as_ref())
    }

    /// Shopify: base64 HMAC-SHA256 in `X-Shopify-Hmac-Sha256`.
    pub fn shopify(secret: impl AsRef<[u8]>) -> Self {
        WebhookVerifier::hmac_sha256("x-shopify-hmac-sha256", secret, Encoding::Base64)
    }

    /// GitHub: `sha256=` and hex HMAC-SHA256 in `X-Hub-Signature-256`.
    pub fn github(secret: impl AsRef<[u8]>) -> Self {
        WebhookVerifier::hmac_sha256("x-hub-signature-256", secret, Encoding::Hex).prefix("sha256=")
    }

    /// Stripe: `t=…,v1=…` in `Stripe-Signature`, with the default tolerance
    /// of 5 minutes.
    pub fn stripe(secret: impl AsRef<[u8]>) -> Self {
        WebhookVerifier::with(
            HeaderName::from_static("stripe-signature"),
            Scheme::Stripe,
            secret.as_ref(),
        )
    }

    /// The header that carries the signature.
    ///
    /// # Panics
    ///
    /// If `name` is not a valid header name.
    #[must_use]
    pub fn header(mut self, name: &str) -> Self {
        self.header = HeaderName::from_bytes(name.as_bytes()).expect("a valid header name");
        self
    }

    /// A prefix the HMAC signature carries before its value (`sha256=`); a
    /// header without it is refused.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<Cow<'static, str>>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Another secret that is accepted too, while secrets are rotated.
    #[must_use]
    pub fn also_accept(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secrets.push(Arc::from(secret.as_ref()));
        self
    }

    /// How far a Stripe-style timestamp may be from now (default 5 minutes).
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Where "now" comes from (default: the system clock); for tests.
    #[must_use]
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(now);
        self
    }

    /// The header that carries the signature.
    pub fn header_name(&self) -> &HeaderName {
        &self.header
    }

    fn signature<'h>(&self, headers: &'h HeaderMap) -> Result<&'h str, SignatureError> {
        let value = headers
            .get(&self.header)
            .ok_or_else(|| SignatureError::MissingHeader(self.header.clone()))?;
        let text = value
            .to_str()
            .map_err(|_| SignatureError::Malformed("the header is not ASCII text".into()))?;
        match &self.prefix {
            Some(p) => text
                .trim()
                .strip_prefix(&**p)
                .ok_or_else(|| SignatureError::Malformed(format!("no {p} prefix").into())),
            None => Ok(text),
        }
    }

    fn check(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
        let signature = self.signature(headers)?;
        match self.scheme {
            Scheme::Hmac(encoding) => check_hmac(&self.secrets, body, signature, encoding),
            Scheme::Stripe => check_stripe(
                &self.secrets,
                body,
                signature,
                self.tolerance,
                (self.clock)(),
            ),
        }
    }

    /// Checks a request's headers and raw body.
    ///
    /// # Errors
    ///
    /// `invalid_webhook_signature`, with the [`SignatureError`] as its cause.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), Error> {
        self.check(headers, body).map_err(refuse)
    }
}

/// The raw body of a webhook whose signature was checked with the
/// [`WebhookVerifier`] in the request's extensions.
///
/// Rejections: `invalid_webhook_signature` (401) for a bad or missing
/// signature (checked before the body is read when the header is missing),
/// `payload_too_large` (413) over the [`BodyLimit`], and `internal_error`
/// if no verifier was installed (a server bug, not the client's).
#[derive(Clone, Debug)]
pub struct VerifiedBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for VerifiedBody {
    type Rejection = Error;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let Some(verifier) = parts.extensions.get::<WebhookVerifier>() else {
            return Err(
                Error::standard("internal_error").with_source(std::io::Error::other(
                    "VerifiedBody needs a WebhookVerifier in the request extensions \
                 (add `.layer(axum::Extension(WebhookVerifier::…))`)",
                )),
            );
        };
        // A missing header is refused before the body is read.
        verifier.signature(&parts.headers).map_err(refuse)?;
        let limit = parts
            .extensions
            .get::<BodyLimit>()
            .map_or(DEFAULT_BODY_LIMIT, |l| l.0);
        let too_large = || Error::standard("payload_too_large").with_param("limit", limit as u64);
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(b) => b,
            Err(e) => {
                let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
                while let Some(c) = cause {
                    if c.is::<http_body_util::LengthLimitError>() {
                        return Err(too_large());
                    }
                    cause = c.source();
                }
                return Err(Error::standard("invalid_webhook_signature").with_source(e));
            }
        };
        verifier.verify(&parts.headers, &bytes)?;
        Ok(VerifiedBody(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut m = mac(secret);
        m.update(payload);
        m.finalize().into_bytes().to_vec()
    }

    #[test]
    fn hmac_hex_and_base64() {
        let sig = sign(b"k", b"body");
        let hex_sig = hex::encode(&sig);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&sig);
        assert!(verify_hmac_sha256(b"k", b"body", &hex_sig, Encoding::Hex).is_ok());
        assert!(verify_hmac_sha256(b"k", b"body", &hex_sig.to_uppercase(), Encoding::Hex).is_ok());
        assert!(verify_hmac_sha256(b"k", b"body", &b64, Encoding::Base64).is_ok());
        let reason = |r: Result<(), Error>| r.unwrap_err().cause_chain().join(" / ");
        assert_eq!(
            reason(verify_hmac_sha256(b"k", b"body", &b64, Encoding::Hex)),
            "malformed signature: not hex"
        );
        assert_eq!(
            reason(verify_hmac_sha256(b"k", b"bodx", &hex_sig, Encoding::Hex)),
            "signature mismatch"
        );
        // A truncated signature is not a prefix match.
        assert_eq!(
            reason(verify_hmac_sha256(
                b"k",
                b"body",
                &hex_sig[..32],
                Encoding::Hex
            )),
            "signature mismatch"
        );
    }

    #[test]
    fn stripe_header() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let good = hex::encode(sign(b"whsec_x", b"1700000000.{}"));
        let header = format!("t=1700000000,v1={good}");
        assert!(verify_stripe(b"whsec_x", b"{}", &header, DEFAULT_TOLERANCE, now).is_ok());
        let reason = |h: &str, at: SystemTime| {
            verify_stripe(b"whsec_x", b"{}", h, DEFAULT_TOLERANCE, at)
                .unwrap_err()
                .cause_chain()
                .join(" / ")
        };
        assert_eq!(
            reason("v1=abcd", now),
            "malformed signature: no t= timestamp"
        );
        assert_eq!(
            reason("t=1700000000", now),
            "malformed signature: no v1= signature"
        );
        assert_eq!(
            reason("t=soon,v1=ab", now),
            "malformed signature: the timestamp is not a number"
        );
        assert_eq!(
            reason(&format!("t=1700000001,v1={good}"), now),
            "signature mismatch"
        );
        assert_eq!(
            reason(&header, now + Duration::from_secs(301)),
            "signature timestamp 1700000000 is 301 s from now (1700000301), outside the tolerance of 300 s"
        );
        // From the future as well.
        assert!(reason(&header, now - Duration::from_secs(301)).contains("outside the tolerance"));
        assert!(
            verify_stripe(
                b"whsec_x",
                b"{}",
                &header,
                DEFAULT_TOLERANCE,
                now + Duration::from_secs(300)
            )
            .is_ok()
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let v = WebhookVerifier::stripe("whsec_topsecret").also_accept("whsec_old");
        let text = format!("{v:?}");
        assert!(
            !text.contains("topsecret") && text.contains("2 redacted"),
            "{text}"
        );
    }
}
