//! Buckets in Redis, shared by every process that uses the same server and
//! prefix.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, Client, RedisError, Script};
use futures_util::future::BoxFuture;

use super::{Backend, BackendError, BucketKey, Decision, Policy};

/// GCRA in one atomic step, on the server's clock.
///
/// KEYS[1]: the bucket. ARGV[1]: the interval (µs per request). ARGV[2]:
/// the quota. The bucket holds its theoretical arrival time (µs since the
/// epoch) and expires when it would be full again.
/// Returns `{allowed, remaining, reset_µs}`.
const GCRA: &str = r"
local interval = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if redis.replicate_commands then pcall(redis.replicate_commands) end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local burst = interval * limit
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst
if allow_at > now then
  return {0, 0, allow_at - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
local room = now + burst - new_tat
local remaining = math.floor(room / interval)
return {1, remaining, (remaining + 1) * interval - room}
";

enum Link {
    Up(MultiplexedConnection),
    /// Down since the last attempt to connect (`None`: try at once).
    Down(Option<Instant>),
}

struct Inner {
    client: Client,
    prefix: String,
    timeout: Duration,
    retry_every: Duration,
    link: Mutex<Link>,
    script: Script,
}

/// Buckets in Redis: several processes (or hosts) that use the same Redis
/// and key prefix share one quota per client.
///
/// The algorithm is GCRA, like [`MemoryBackend`](super::MemoryBackend),
/// in a Lua script that reads and charges a bucket atomically, on the Redis
/// server's clock (so the processes' clocks need not agree). A bucket is one
/// string key, `<prefix><policy>:<bucket>` (`errcat:rl:per-ip:ip:192.0.2.7`,
/// `errcat:rl:per-key:key:<fingerprint>`), that expires when it is full again.
///
/// The connection is made on first use and remade after a failure, at most
/// once a second; a check that takes longer than the timeout (default
/// 250 ms), or finds Redis down, is a backend failure: the layer lets the
/// request through and logs a WARN (see [`RateLimitLayer::fail_open`](super::RateLimitLayer::fail_open)).
///
/// ```no_run
/// use errcat_axum::rate_limit::{Policy, Quota, RateLimitLayer, RedisBackend};
///
/// # async fn run() -> Result<(), redis::RedisError> {
/// let redis = RedisBackend::open("redis://127.0.0.1:6379")?.prefix("shop:rl:");
/// redis.connect().await?; // optional: fail at startup rather than open later
/// let limits = RateLimitLayer::new(redis).policy(Policy::per_ip("per-ip", Quota::per_minute(600)));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisBackend {
    inner: Arc<Inner>,
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackend")
            .field("prefix", &self.inner.prefix)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisBackend {
    /// A backend on `client`; nothing is connected yet.
    pub fn new(client: Client) -> Self {
        RedisBackend {
            inner: Arc::new(Inner {
                client,
                prefix: "errcat:rl:".to_owned(),
                timeout: Duration::from_millis(250),
                retry_every: Duration::from_secs(1),
                link: Mutex::new(Link::Down(None)),
                script: Script::new(GCRA),
            }),
        }
    }

    /// A backend on the server at `url` (`redis://host:6379/0`,
    /// `rediss://…` if the `redis` crate has TLS); nothing is connected yet.
    ///
    /// # Errors
    ///
    /// If the URL is not a Redis URL.
    pub fn open(url: &str) -> Result<Self, RedisError> {
        Ok(RedisBackend::new(Client::open(url)?))
    }

    fn inner_mut(&mut self) -> &mut Inner {
        Arc::get_mut(&mut self.inner).expect("configure a RedisBackend before cloning it")
    }

    /// The prefix of the bucket keys (default `errcat:rl:`). Processes that
    /// share quotas use the same prefix; different services on one Redis use
    /// different ones.
    ///
    /// # Panics
    ///
    /// If the backend was cloned already.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.inner_mut().prefix = prefix.into();
        self
    }

    /// How long a check may take, connecting included (default 250 ms).
    ///
    /// # Panics
    ///
    /// If the backend was cloned already.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.inner_mut().timeout = timeout;
        self
    }

    /// Connects now and checks that the server answers, rather than on the
    /// first request.
    ///
    /// # Errors
    ///
    /// If Redis cannot be reached or does not answer `PING`.
    pub async fn connect(&self) -> Result<(), RedisError> {
        let mut conn = self.inner.dial().await?;
        let _: String = ::redis::cmd("PING").query_async(&mut conn).await?;
        *self.inner.lock() = Link::Up(conn);
        Ok(())
    }

    async fn decide(&self, policy: &Policy, key: &BucketKey) -> Result<Decision, BackendError> {
        let inner = &*self.inner;
        let mut conn = inner.connection().await?;
        let quota = policy.quota;
        let interval = u64::try_from(quota.interval().as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let name = format!("{}{}:{key}", inner.prefix, policy.name);
        let reply: Result<(i64, i64, i64), RedisError> = inner
            .script
            .key(name)
            .arg(interval)
            .arg(quota.limit())
            .invoke_async(&mut conn)
            .await;
        match reply {
            Ok((allowed, remaining, reset)) => Ok(Decision {
                allowed: allowed == 1,
                remaining: u32::try_from(remaining.max(0)).unwrap_or(u32::MAX),
                reset: Duration::from_micros(u64::try_from(reset.max(0)).unwrap_or(0)),
            }),
            Err(e) => {
                if e.is_io_error()
                    || e.is_connection_dropped()
                    || e.is_timeout()
                    || e.is_unrecoverable_error()
                {
                    *inner.lock() = Link::Down(None);
                }
                Err(e.into())
            }
        }
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Link> {
        self.link.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn dial(&self) -> Result<MultiplexedConnection, RedisError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }

    /// The connection; at most one attempt to make it per `retry_every`,
    /// the other requests meanwhile fail at once.
    async fn connection(&self) -> Result<MultiplexedConnection, BackendError> {
        {
            let mut link = self.lock();
            match &*link {
                Link::Up(conn) => return Ok(conn.clone()),
                Link::Down(Some(at)) if at.elapsed() < self.retry_every => {
                    return Err("Redis is unreachable (waiting before the next attempt)".into());
                }
                Link::Down(_) => *link = Link::Down(Some(Instant::now())),
            }
        }
        let conn = self.dial().await?;
        *self.lock() = Link::Up(conn.clone());
        Ok(conn)
    }
}

impl Backend for RedisBackend {
    fn check<'a>(
        &'a self,
        policy: &'a Policy,
        key: &'a BucketKey,
    ) -> BoxFuture<'a, Result<Decision, BackendError>> {
        Box::pin(async move {
            match tokio::time::timeout(self.inner.timeout, self.decide(policy, key)).await {
                Ok(decision) => decision,
                Err(_) => Err(format!(
                    "Redis did not answer within {} ms",
                    self.inner.timeout.as_millis()
                )
                .into()),
            }
        })
    }
}
