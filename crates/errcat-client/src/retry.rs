//! When and how long to wait before trying again.
//!
//! [`RetryPolicy`] decides; a [`Sleeper`] waits and a [`Jitter`] draws the
//! random part of exponential backoff, both injectable so that tests can
//! record the waits instead of taking them.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, Method};

static RATELIMIT: LazyLock<HeaderName> = LazyLock::new(|| HeaderName::from_static("ratelimit"));
static RATELIMIT_REMAINING: LazyLock<HeaderName> =
    LazyLock::new(|| HeaderName::from_static("ratelimit-remaining"));
static RATELIMIT_RESET: LazyLock<HeaderName> =
    LazyLock::new(|| HeaderName::from_static("ratelimit-reset"));

/// How a [`Client`](crate::Client) retries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (1 = never retry).
    pub max_attempts: u32,
    /// The first backoff's ceiling; each retry doubles it.
    pub base: Duration,
    /// The largest backoff ceiling.
    pub cap: Duration,
    /// The most time one call may take, waits included; a retry whose wait
    /// would end after it is not made.
    pub budget: Duration,
    /// The longest server-requested wait (`Retry-After`, `RateLimit`) that is
    /// honored; a server asking for more gets its error back instead of an
    /// absurd wait.
    pub max_retry_after: Duration,
    /// Adds a random `Idempotency-Key` to POST and PATCH requests that have
    /// none, so that they can be retried (as Stripe's SDKs do).
    pub auto_idempotency_key: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(20),
            budget: Duration::from_secs(600),
            max_retry_after: Duration::from_secs(300),
            auto_idempotency_key: false,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Give up and return the error.
    Stop(StopReason),
}

/// Why a failed attempt is not retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The status or error is not one that retrying can fix.
    NotRetryable,
    /// The request is not idempotent and carries no `Idempotency-Key`.
    NotIdempotent,
    /// `max_attempts` reached.
    Attempts,
    /// The wait would end after the time budget.
    Budget,
    /// The server asked for a longer wait than `max_retry_after`.
    RetryAfterTooLong,
}

/// What went wrong with one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The connection could not be made: the request was not sent.
    Connect,
    /// The request may have been sent (timeout, reset, broken body).
    Transport,
    /// An error response.
    Status {
        /// The HTTP status.
        status: u16,
        /// Whether the catalog marks its code retryable.
        retryable_code: bool,
    },
}

/// Whether a request can be sent twice without harm: a safe or idempotent
/// method, or one that carries an `Idempotency-Key`.
pub fn is_idempotent(method: &Method, headers: &HeaderMap) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    ) || headers.contains_key("idempotency-key")
}

/// Whether a status is worth retrying: 408, 409, 429 and 5xx (but 501 and
/// 505), or any status whose code the catalog marks retryable.
pub fn retryable_status(status: u16, retryable_code: bool) -> bool {
    match status {
        408 | 409 | 429 => true,
        501 | 505 => false,
        500..=599 => true,
        _ => retryable_code,
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The backoff before retry number `retry` (0 for the first retry):
    /// full jitter, uniformly in `[0, min(cap, base × 2^retry)]`.
    pub fn backoff(&self, retry: u32, jitter: &dyn Jitter) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
            .min(self.cap);
        let f = jitter.fraction();
        // A broken jitter source (NaN, out of range) never panics or overshoots.
        let f = if f.is_finite() {
            f.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Duration::try_from_secs_f64(ceiling.as_secs_f64() * f).map_or(ceiling, |d| d.min(ceiling))
    }

    /// Decides what follows failed attempt number `attempt` (1 for the first)
    /// when `spent` has already gone by; `server` is the wait the server
    /// asked for, if any.
    pub fn decide(
        &self,
        attempt: u32,
        failure: Failure,
        idempotent: bool,
        server: Option<Duration>,
        spent: Duration,
        jitter: &dyn Jitter,
    ) -> Decision {
        let retryable = match failure {
            Failure::Connect => true,
            Failure::Transport => idempotent,
            Failure::Status {
                status,
                retryable_code,
            } => retryable_status(status, retryable_code),
        };
        if !retryable {
            return Decision::Stop(StopReason::NotRetryable);
        }
        if !idempotent && failure != Failure::Connect {
            return Decision::Stop(StopReason::NotIdempotent);
        }
        if attempt >= self.max_attempts {
            return Decision::Stop(StopReason::Attempts);
        }
        let wait = match server {
            Some(d) if d > self.max_retry_after => {
                return Decision::Stop(StopReason::RetryAfterTooLong);
            }
            Some(d) => d,
            None => self.backoff(attempt.saturating_sub(1), jitter),
        };
        if spent.saturating_add(wait) > self.budget {
            return Decision::Stop(StopReason::Budget);
        }
        Decision::Retry(wait)
    }
}

/// The wait a response asks for: `Retry-After` (delay-seconds or an
/// HTTP-date, measured from `now`), else an exhausted IETF `RateLimit`
/// (`"policy";r=0;t=30`) or `RateLimit-Remaining: 0` with `RateLimit-Reset`.
/// Negative or unreadable values are ignored.
pub fn server_delay(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if headers.is_empty() {
        return None;
    }
    if let Some(d) = headers
        .get_all(http::header::RETRY_AFTER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| parse_retry_after(v, now))
    {
        return Some(d);
    }
    let text = |name: &HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(v) = text(&RATELIMIT)
        && let Some(d) = parse_ratelimit(v)
    {
        return Some(d);
    }
    if text(&RATELIMIT_REMAINING).map(str::trim) == Some("0") {
        return text(&RATELIMIT_RESET)
            .and_then(|r| r.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
    }
    None
}

/// A `Retry-After` value: delay-seconds or an HTTP-date.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use errcat_client::retry::parse_retry_after;
///
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), Some(Duration::from_secs(10)));
/// assert_eq!(parse_retry_after("-5", now), None);
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits to fit is still "a very long time".
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(v).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The IETF `RateLimit` field: the longest `t` of the policies with `r=0`
/// (draft-08 and later), or `remaining=0, reset=N` (draft-07).
fn parse_ratelimit(value: &str) -> Option<Duration> {
    let mut wait: Option<u64> = None;
    // draft-07: `limit=100, remaining=0, reset=50`
    if value.contains("remaining=") {
        let get = |k: &str| {
            value.split(',').find_map(|p| {
                let (n, v) = p.trim().split_once('=')?;
                (n.trim() == k).then(|| v.trim().parse::<u64>().ok())?
            })
        };
        return (get("remaining") == Some(0))
            .then(|| get("reset"))
            .flatten()
            .map(Duration::from_secs);
    }
    for item in value.split(',') {
        let mut r = None;
        let mut t = None;
        for param in item.split(';').skip(1) {
            if let Some((k, v)) = param.trim().split_once('=') {
                let n = v.trim().parse::<u64>().ok();
                match k.trim() {
                    "r" => r = n,
                    "t" => t = n,
                    _ => {}
                }
            }
        }
        if r == Some(0)
            && let Some(t) = t
        {
            wait = Some(wait.map_or(t, |w| w.max(t)));
        }
    }
    wait.map(Duration::from_secs)
}

/// Waits. Inject one that records instead of sleeping to test retries
/// without waiting.
pub trait Sleeper: Send + Sync + 'static {
    /// Waits for `d`.
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Sleeps with `tokio::time::sleep`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// Records the waits asked of it and returns at once (for tests).
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    waits: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    /// A sleeper with no waits recorded.
    pub fn new() -> Self {
        RecordingSleeper::default()
    }

    /// The waits so far, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().map(|w| w.clone()).unwrap_or_default()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        if let Ok(mut w) = self.waits.lock() {
            w.push(d);
        }
        Box::pin(std::future::ready(()))
    }
}

/// Draws the random fraction of a full-jitter backoff.
pub trait Jitter: Send + Sync + 'static {
    /// A number in `[0, 1]`.
    fn fraction(&self) -> f64;
}

/// A xorshift64* generator seeded from the clock: not for secrets.
#[derive(Debug)]
pub struct XorShift(AtomicU64);

impl XorShift {
    /// A generator with a fixed seed (0 is replaced by a constant).
    pub fn with_seed(seed: u64) -> Self {
        XorShift(AtomicU64::new(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        }))
    }

    /// A generator seeded from the clock.
    pub fn from_time() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        XorShift::with_seed(nanos ^ (std::process::id() as u64).rotate_left(32))
    }

    /// The next 64 random bits.
    pub fn next_u64(&self) -> u64 {
        let mut x = self.0.load(Ordering::Relaxed);
        loop {
            let mut y = x;
            y ^= y >> 12;
            y ^= y << 25;
            y ^= y >> 27;
            match self
                .0
                .compare_exchange_weak(x, y, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return y.wrapping_mul(0x2545_F491_4F6C_DD1D),
                Err(now) => x = now,
            }
        }
    }
}

impl Default for XorShift {
    fn default() -> Self {
        XorShift::from_time()
    }
}

impl Jitter for XorShift {
    fn fraction(&self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Always the same fraction (for tests: 1.0 waits the full ceiling).
#[derive(Clone, Copy, Debug)]
pub struct FixedJitter(pub f64);

impl Jitter for FixedJitter {
    fn fraction(&self) -> f64 {
        self.0
    }
}
