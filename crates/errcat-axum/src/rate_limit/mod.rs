//! Rate limits per client IP and per API key, answered with the catalog's
//! `rate_limited` error (429), `Retry-After` and the IETF `RateLimit`
//! headers.
//!
//! [`RateLimitLayer`] checks every request against its [`Policy`]s, each a
//! [`Quota`] (100 per minute, 600 per minute, …) applied to one bucket per
//! client: per client IP ([`Policy::per_ip`], from the [`ClientIp`] that
//! [`ErrcatLayer`](crate::ErrcatLayer) puts on the request) or per key
//! ([`Policy::per_key`], from a closure over the request head; [`header`]
//! and [`bearer_token`] are ready-made). The buckets live in a [`Backend`]:
//! [`MemoryBackend`] (one process, with `governor`) or, with the `redis`
//! feature, `RedisBackend` (several processes sharing one quota).
//!
//! Apply it *inside* the errcat layer, so that it sees the client IP and its
//! 429 is rendered with the catalog:
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use errcat_axum::ErrcatLayer;
//! use errcat_axum::rate_limit::{self, Policy, Quota, RateLimitLayer};
//!
//! # async fn run() {
//! let catalog = errcat_catalog::Catalog::from_path("errors.toml").unwrap();
//! let limits = RateLimitLayer::memory()
//!     .policy(Policy::per_ip("per-ip", Quota::per_minute(600)))
//!     .policy(Policy::per_key("per-key", Quota::per_minute(100), rate_limit::header("x-api-key")));
//! let app = Router::new()
//!     .route("/events", get(|| async { "ok" }))
//!     .layer(limits)
//!     .layer(ErrcatLayer::new(errcat_render::Renderer::new(catalog)));
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await.unwrap();
//! axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
//!     .await
//!     .unwrap();
//! # }
//! ```
//!
//! ## The algorithm
//!
//! Both backends run GCRA (the generic cell rate algorithm, a token bucket
//! without a timer): a quota of `q` per window `w` lets a fresh client send
//! `q` requests at once, then gives back one request every `w / q`
//! (100 per minute: one every 0.6 s). There is no window edge at which a
//! client could send `2q` requests in a row, as with fixed windows. A
//! rejected request costs nothing.
//!
//! The policies are checked in the order they were added; the first one
//! that is exhausted answers 429 and the later ones are not charged.
//! A per-key policy whose closure finds no key, or a per-IP policy on a
//! request without a [`ClientIp`] (a server started without
//! `into_make_service_with_connect_info`), does not apply to the request.
//!
//! ## The headers
//!
//! Every response, successful or not, carries the policies that applied,
//! in the structured-field syntax of
//! [draft-ietf-httpapi-ratelimit-headers](https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/)
//! (revision 10 and the editor's draft that followed):
//!
//! ```text
//! RateLimit-Policy: "per-ip";q=600;w=60, "per-key";q=100;w=60
//! RateLimit: "per-ip";r=599;t=1, "per-key";r=99;t=1
//! ```
//!
//! - `q` is the quota and `w` the window in seconds;
//! - `r` is the number of requests left right now;
//! - `t` is the number of seconds until at least one more request is
//!   available (rounded up, so never early). On a 429 it equals
//!   `Retry-After`, which is at least 1 and at most the window.
//!
//! The 429 itself is `Error::standard("rate_limited")` with the delay as
//! `Retry-After`, as the `retry_after` parameter (the message) and as the
//! `retry_after` member of the body. Errors that handlers return (rendered
//! by the errcat layer) keep the headers too; a 4xx/5xx that the errcat
//! layer rewrites from outside errcat does not.
//!
//! ## Keys are not kept
//!
//! The value a per-key closure returns (an API key, a token) is hashed as
//! soon as it is extracted: the buckets, in memory and in Redis, are named
//! by a 128-bit fingerprint (SipHash-2-4, keyed by
//! [`RateLimitLayer::key_secret`]), never by the key. The closure's `String`
//! is dropped at once; the header itself stays in the request for the
//! handler, as it must.
//!
//! A key the client chooses freely gets a fresh bucket each time it
//! changes. Pair per-key policies with a per-IP one, or derive the key from
//! what authentication established (the closure sees the request's
//! extensions).
//!
//! ## When the backend fails
//!
//! If the backend cannot answer (Redis unreachable or slow), the request is
//! let through without that policy's headers, and a WARN is logged (at most
//! once every 10 s per layer): a rate limiter should not take the API down
//! with it. [`RateLimitLayer::fail_open`]`(false)` answers
//! `service_unavailable` (503) instead.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use axum::response::{IntoResponse, Response};
use errcat_render::{Error, Raised};
use futures_util::future::BoxFuture;
use http::request::Parts;
use http::{HeaderName, HeaderValue, Request};

use crate::ClientIp;

mod memory;
mod policy;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
pub use self::redis::RedisBackend;
pub use memory::MemoryBackend;

/// The error a [`Backend`] reports when it cannot decide.
pub type BackendError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The `RateLimit-Policy` header.
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// The `RateLimit` header.
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

pub use policy::{Policy, Quota};

/// Writes an sf-string (RFC 9651 §3.3.3).
fn sf_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Keeps the first `bits` bits of an IPv6 address; IPv4 addresses (and
/// IPv4-mapped IPv6 ones) are kept whole.
fn mask(ip: IpAddr, bits: u8) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let bits = u32::from(bits.min(128));
            let keep = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            IpAddr::V6((u128::from(v6) & keep).into())
        }
    }
}

/// Whom a bucket belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BucketKey {
    /// A client address (IPv6 cut to the policy's prefix).
    Ip(IpAddr),
    /// The fingerprint of a key (see [`RateLimitLayer::key_secret`]).
    Key(u128),
}

impl fmt::Display for BucketKey {
    /// `ip:203.0.113.9`, `ip:2001:db8::`, `key:<32 hex digits>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BucketKey::Ip(ip) => write!(f, "ip:{ip}"),
            BucketKey::Key(fp) => write!(f, "key:{fp:032x}"),
        }
    }
}

/// The 128-bit fingerprint of a key: two SipHash-2-4 runs under keys
/// derived from the secret.
#[derive(Clone, Copy)]
struct Fingerprint([u64; 4]);

impl Fingerprint {
    // SipHash-2-4 as `std::hash::SipHasher`: deprecated only in favour of
    // `DefaultHasher`, whose algorithm may change between Rust releases. The
    // Redis backend needs every process, whatever it was built with, to
    // name a key's bucket the same way.
    #[allow(deprecated)]
    fn sip(k0: u64, k1: u64, bytes: &[u8]) -> u64 {
        use std::hash::Hasher;
        let mut h = std::hash::SipHasher::new_with_keys(k0, k1);
        h.write(bytes);
        h.finish()
    }

    fn new(secret: &[u8]) -> Self {
        const SEEDS: [u64; 4] = [
            0x6572_7263_6174_2d72,
            0x6c2d_6b65_792d_6670,
            0x9e37_79b9_7f4a_7c15,
            0xbf58_476d_1ce4_e5b9,
        ];
        Fingerprint([
            Self::sip(SEEDS[0], SEEDS[1], secret),
            Self::sip(SEEDS[1], SEEDS[2], secret),
            Self::sip(SEEDS[2], SEEDS[3], secret),
            Self::sip(SEEDS[3], SEEDS[0], secret),
        ])
    }

    fn of(&self, key: &[u8]) -> u128 {
        let [a, b, c, d] = self.0;
        (u128::from(Self::sip(a, b, key)) << 64) | u128::from(Self::sip(c, d, key))
    }
}

/// A backend's answer for one request under one policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may go on (and was charged).
    pub allowed: bool,
    /// Requests left in the bucket after this one.
    pub remaining: u32,
    /// When allowed: the time until one more request is available. When
    /// not: the time until the request would be allowed.
    pub reset: Duration,
}

/// Where the buckets live.
///
/// A backend checks a request against a policy for a bucket and, if the
/// bucket has room, charges it — atomically: two requests at the same
/// time must not both take the last unit.
pub trait Backend: Send + Sync + 'static {
    /// Checks and charges one request.
    fn check<'a>(
        &'a self,
        policy: &'a Policy,
        key: &'a BucketKey,
    ) -> BoxFuture<'a, Result<Decision, BackendError>>;
}

impl<B: Backend + ?Sized> Backend for Arc<B> {
    fn check<'a>(
        &'a self,
        policy: &'a Policy,
        key: &'a BucketKey,
    ) -> BoxFuture<'a, Result<Decision, BackendError>> {
        (**self).check(policy, key)
    }
}

#[derive(Clone)]
struct Shared {
    backend: Arc<dyn Backend>,
    policies: Vec<Policy>,
    fingerprint: Fingerprint,
    fail_open: bool,
    /// When the last backend failure was logged (seconds since the epoch).
    last_warning: Arc<AtomicU64>,
}

/// Applies rate limit [`Policy`]s to the services it wraps (see the
/// [module docs](self)).
#[derive(Clone)]
pub struct RateLimitLayer {
    shared: Arc<Shared>,
}

impl fmt::Debug for RateLimitLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitLayer")
            .field("policies", &self.shared.policies)
            .field("fail_open", &self.shared.fail_open)
            .finish_non_exhaustive()
    }
}

impl RateLimitLayer {
    /// A layer without policies whose buckets live in `backend`.
    pub fn new(backend: impl Backend) -> Self {
        RateLimitLayer {
            shared: Arc::new(Shared {
                backend: Arc::new(backend),
                policies: Vec::new(),
                fingerprint: Fingerprint::new(b""),
                fail_open: true,
                last_warning: Arc::new(AtomicU64::new(0)),
            }),
        }
    }

    /// A layer whose buckets live in this process's memory.
    pub fn memory() -> Self {
        RateLimitLayer::new(MemoryBackend::new())
    }

    fn shared_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.shared)
    }

    /// Adds a policy; policies are checked in the order they are added.
    ///
    /// # Panics
    ///
    /// If a policy of the same name was already added.
    #[must_use]
    pub fn policy(mut self, policy: Policy) -> Self {
        assert!(
            self.shared.policies.iter().all(|p| p.name != policy.name),
            "two rate limit policies are named {:?}",
            policy.name
        );
        self.shared_mut().policies.push(policy);
        self
    }

    /// The secret under which keys are fingerprinted. Without one the
    /// fingerprints are still one-way, but anyone who reads the buckets could
    /// test guesses of a key against them; with a secret they cannot.
    /// Processes that share a Redis backend must use the same secret.
    #[must_use]
    pub fn key_secret(mut self, secret: &[u8]) -> Self {
        self.shared_mut().fingerprint = Fingerprint::new(secret);
        self
    }

    /// Whether a request goes through when the backend fails (default:
    /// yes, with a WARN; no: `service_unavailable`, 503).
    #[must_use]
    pub fn fail_open(mut self, yes: bool) -> Self {
        self.shared_mut().fail_open = yes;
        self
    }
}

impl<S> tower_layer::Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimit {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The service made by [`RateLimitLayer`].
#[derive(Clone)]
pub struct RateLimit<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: fmt::Debug> fmt::Debug for RateLimit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("inner", &self.inner)
            .field("policies", &self.shared.policies)
            .finish_non_exhaustive()
    }
}

/// The response future of [`RateLimit`].
pub struct ResponseFuture<E> {
    inner: BoxFuture<'static, Result<Response, E>>,
}

impl<E> Future for ResponseFuture<E> {
    type Output = Result<Response, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<E> fmt::Debug for ResponseFuture<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<S, B> tower_service::Service<Request<B>> for RateLimit<S>
where
    S: tower_service::Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // Take the service that was driven to readiness; leave a clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let shared = Arc::clone(&self.shared);
        ResponseFuture {
            inner: Box::pin(async move {
                let (parts, body) = req.into_parts();
                let checked = match shared.check(&parts).await {
                    Ok(checked) => checked,
                    Err(refusal) => return Ok(refusal),
                };
                let mut res = inner.call(Request::from_parts(parts, body)).await?;
                if !checked.is_empty() {
                    add_headers(&mut res, &checked);
                }
                Ok(res)
            }),
        }
    }
}

/// The policies that applied to a request, with their decisions.
type Checked<'a> = Vec<(&'a Policy, Decision)>;

impl Shared {
    /// Checks every policy; `Err` is the response when one refuses.
    async fn check(&self, parts: &Parts) -> Result<Checked<'_>, Response> {
        let mut checked = Vec::with_capacity(self.policies.len());
        for policy in &self.policies {
            let Some(key) = policy.bucket(parts, &self.fingerprint) else {
                continue;
            };
            match self.backend.check(policy, &key).await {
                Ok(decision) if decision.allowed => checked.push((policy, decision)),
                Ok(decision) => {
                    let retry_after =
                        ceil_secs(decision.reset).clamp(1, policy.quota.window_secs());
                    checked.push((
                        policy,
                        Decision {
                            remaining: 0,
                            reset: Duration::from_secs(retry_after),
                            ..decision
                        },
                    ));
                    let (policy_header, ratelimit_header) = headers(&checked);
                    let cause = std::io::Error::other(format!(
                        "rate limit {:?} ({} per {} s) exhausted for this client",
                        policy.name(),
                        policy.quota.limit(),
                        policy.quota.window_secs(),
                    ));
                    return Err(Error::standard("rate_limited")
                        .with_retry_after(retry_after)
                        .with_param("retry_after", retry_after)
                        .with_header("RateLimit-Policy", policy_header)
                        .with_header("RateLimit", ratelimit_header)
                        .with_source(cause)
                        .into_response());
                }
                Err(e) if self.fail_open => self.warn(policy, &*e),
                Err(e) => {
                    return Err(Error::standard("service_unavailable")
                        .with_source(BackendFailed {
                            policy: policy.name.clone(),
                            source: e,
                        })
                        .into_response());
                }
            }
        }
        Ok(checked)
    }

    /// Logs a backend failure, at most once every 10 s.
    fn warn(&self, policy: &Policy, error: &(dyn std::error::Error + 'static)) {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let last = self.last_warning.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= 10
            && self
                .last_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                policy = policy.name(),
                error = %error,
                "rate limit backend failed; letting requests through (logged at most every 10 s)"
            );
        }
    }
}

/// A backend failure under `fail_open(false)`, as the 503's cause.
#[derive(Debug)]
struct BackendFailed {
    policy: Arc<str>,
    source: BackendError,
}

impl fmt::Display for BackendFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rate limit {:?}: the backend failed", self.policy)
    }
}

impl std::error::Error for BackendFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// The `RateLimit-Policy` and `RateLimit` values for the checked policies.
fn headers(checked: &Checked<'_>) -> (String, String) {
    use fmt::Write;
    let mut policy = String::new();
    let mut limit = String::new();
    for (i, (p, d)) in checked.iter().enumerate() {
        if i > 0 {
            policy.push_str(", ");
            limit.push_str(", ");
        }
        p.policy_item(&mut policy);
        sf_string(&mut limit, &p.name);
        let t = ceil_secs(d.reset).min(p.quota.window_secs());
        let _ = write!(limit, ";r={};t={t}", d.remaining);
    }
    (policy, limit)
}

/// Puts the headers on a response, or on the error it carries to the errcat
/// layer (which renders a new response).
fn add_headers(res: &mut Response, checked: &Checked<'_>) {
    let (policy, limit) = headers(checked);
    if let Some(Raised(err)) = res.extensions_mut().remove::<Raised>() {
        let err = match Arc::try_unwrap(err) {
            Ok(err) => Arc::new(
                err.with_header("RateLimit-Policy", policy)
                    .with_header("RateLimit", limit),
            ),
            Err(shared) => shared,
        };
        res.extensions_mut().insert(Raised(err));
        return;
    }
    if let (Ok(p), Ok(l)) = (
        HeaderValue::from_str(&policy),
        HeaderValue::from_str(&limit),
    ) {
        let headers = res.headers_mut();
        headers.append(RATELIMIT_POLICY, p);
        headers.append(RATELIMIT, l);
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// A per-key closure: the value of the header `name`, trimmed, if present
/// and not empty.
///
/// # Panics
///
/// If `name` is not a valid header name.
pub fn header(name: &str) -> impl Fn(&Parts) -> Option<String> + Clone + Send + Sync + 'static {
    let name = HeaderName::from_bytes(name.as_bytes()).expect("a valid header name");
    move |parts: &Parts| {
        parts
            .headers
            .get(&name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }
}

/// A per-key closure: the token of `Authorization: Bearer <token>`.
pub fn bearer_token() -> impl Fn(&Parts) -> Option<String> + Clone + Send + Sync + 'static {
    |parts: &Parts| {
        let value = parts
            .headers
            .get(http::header::AUTHORIZATION)?
            .to_str()
            .ok()?;
        let (scheme, token) = value.trim().split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
    }
}

#[cfg(test)]
mod tests;
