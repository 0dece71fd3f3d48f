//! Rate limits over a real TCP listener: 429 in the catalog's envelope with
//! `Retry-After` and the `RateLimit` headers, per IP and per key.
//!
//! The Redis tests (feature `redis`) use the real server at
//! `redis://127.0.0.1:6379`, or `ERRCAT_REDIS_URL`, with a key prefix unique
//! to the run. Without a reachable Redis they print
//! `skipped: no Redis at <url> (<error>)` to stderr and pass — unless the
//! environment variable `CI` is `true`, where they fail.

#![cfg(feature = "rate-limit")]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use common::{Events, Reply, send, serve};
use errcat_axum::ErrcatLayer;
use errcat_axum::rate_limit::{
    Backend, BackendError, BucketKey, Decision, Policy, Quota, RateLimitLayer, header,
};
use errcat_render::Error;
use futures_util::future::BoxFuture;

fn app(limits: RateLimitLayer, errcat: ErrcatLayer) -> Router {
    Router::new()
        .route("/ping", get(|| async { "pong" }))
        .route(
            "/templates/missing",
            get(|| async {
                Err::<String, _>(Error::new("TEMPLATE_NOT_FOUND").with_param("template_id", "t1"))
            }),
        )
        .layer(limits)
        .layer(errcat)
}

async fn start(limits: RateLimitLayer) -> (SocketAddr, Events) {
    let events = Events::default();
    let errcat = events.layer(ErrcatLayer::new(common::renderer()));
    (serve(app(limits, errcat)).await, events)
}

async fn ping(addr: SocketAddr, headers: &[(&str, &str)]) -> Reply {
    send(addr, "GET", "/ping", headers, b"").await
}

fn retry_after(r: &Reply) -> u64 {
    r.header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .expect("Retry-After in seconds")
}

/// Checks a 429 in the problem envelope and returns its delay.
fn assert_limited(r: &Reply, policy: &str, window: u64) -> u64 {
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let secs = retry_after(r);
    assert!((1..=window).contains(&secs), "Retry-After {secs}");
    let v = r.json();
    assert_eq!(v["code"], "RATE_LIMITED");
    assert_eq!(v["status"], 429);
    assert_eq!(v["retry_after"], secs);
    assert_eq!(
        v["detail"],
        format!("Too many requests, retry after {secs} seconds")
    );
    let limit = r.header("ratelimit").expect("a RateLimit header");
    assert!(
        limit.ends_with(&format!("\"{policy}\";r=0;t={secs}")),
        "{limit}"
    );
    secs
}

#[tokio::test]
async fn per_ip_limit_answers_429_with_headers_and_a_catalog_body() {
    let (addr, events) =
        start(RateLimitLayer::memory().policy(Policy::per_ip("per-ip", Quota::per_minute(3))))
            .await;
    // 3 per minute: one request back every 20 s.
    for left in [2, 1, 0] {
        let r = ping(addr, &[]).await;
        assert_eq!((r.status, r.text().as_str()), (200, "pong"));
        assert_eq!(r.header("ratelimit-policy"), Some(r#""per-ip";q=3;w=60"#));
        assert_eq!(
            r.header("ratelimit"),
            Some(format!(r#""per-ip";r={left};t=20"#).as_str())
        );
    }
    let r = ping(addr, &[("X-Request-Id", "req-429")]).await;
    let secs = assert_limited(&r, "per-ip", 20);
    assert!(secs >= 19, "the bucket refills in about 20 s: {secs}");
    assert_eq!(r.header("ratelimit-policy"), Some(r#""per-ip";q=3;w=60"#));
    assert_eq!(r.header("x-request-id"), Some("req-429"));
    assert_eq!(r.json()["request_id"], "req-429");

    let events = events.take();
    assert_eq!(events.len(), 1);
    assert_eq!((&*events[0].code, events[0].status), ("RATE_LIMITED", 429));
    assert_eq!(events[0].client_ip, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(
        events[0].causes,
        [r#"rate limit "per-ip" (3 per 60 s) exhausted for this client"#]
    );

    // Refused requests cost nothing, and stay refused.
    let r = ping(addr, &[]).await;
    assert_limited(&r, "per-ip", 20);
}

#[tokio::test]
async fn errors_from_handlers_carry_the_headers_too() {
    let (addr, _) =
        start(RateLimitLayer::memory().policy(Policy::per_ip("per-ip", Quota::per_minute(10))))
            .await;
    let r = send(addr, "GET", "/templates/missing", &[], b"").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["code"], "TEMPLATE_NOT_FOUND");
    assert_eq!(r.header("ratelimit-policy"), Some(r#""per-ip";q=10;w=60"#));
    assert_eq!(r.header("ratelimit"), Some(r#""per-ip";r=9;t=6"#));
}

#[tokio::test]
async fn per_key_limits_are_independent_per_key() {
    let limits = RateLimitLayer::memory()
        .policy(Policy::per_ip("per-ip", Quota::per_hour(100)))
        .policy(Policy::per_key(
            "per-key",
            Quota::per_minute(2),
            header("x-api-key"),
        ))
        .key_secret(b"test secret");
    let (addr, _) = start(limits).await;
    let key_a = [("X-Api-Key", "sk_test_aaaaaaaa")];
    let key_b = [("X-Api-Key", "sk_test_bbbbbbbb")];

    let r = ping(addr, &key_a).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("ratelimit-policy"),
        Some(r#""per-ip";q=100;w=3600, "per-key";q=2;w=60"#)
    );
    assert_eq!(
        r.header("ratelimit"),
        Some(r#""per-ip";r=99;t=36, "per-key";r=1;t=30"#)
    );
    assert_eq!(ping(addr, &key_a).await.status, 200);
    let r = ping(addr, &key_a).await;
    assert_limited(&r, "per-key", 30);
    // The per-IP policy was charged before the per-key one refused.
    assert!(
        r.header("ratelimit")
            .unwrap()
            .starts_with(r#""per-ip";r=97;t=36, "#),
        "{:?}",
        r.header("ratelimit")
    );

    // Another key has its own bucket.
    let r = ping(addr, &key_b).await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("ratelimit")
            .unwrap()
            .ends_with(r#""per-key";r=1;t=30"#)
    );

    // Without a key, only the per-IP policy applies.
    let r = ping(addr, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("ratelimit-policy"),
        Some(r#""per-ip";q=100;w=3600"#)
    );
}

#[tokio::test]
async fn a_forged_forwarded_for_does_not_change_the_bucket() {
    let limits = || RateLimitLayer::memory().policy(Policy::per_ip("per-ip", Quota::per_minute(2)));
    // No trusted proxies: the socket's address is the client, whatever the header says.
    let (addr, events) = start(limits()).await;
    for (i, forged) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .into_iter()
        .enumerate()
    {
        let r = ping(addr, &[("X-Forwarded-For", forged)]).await;
        if i < 2 {
            assert_eq!(r.status, 200);
        } else {
            assert_limited(&r, "per-ip", 30);
        }
    }
    assert_eq!(
        events.take()[0].client_ip,
        Some("127.0.0.1".parse().unwrap())
    );

    // Behind a trusted proxy the header names the client: one bucket each.
    let events = Events::default();
    let errcat = events.layer(
        ErrcatLayer::new(common::renderer()).trusted_proxies(["127.0.0.1/32".parse().unwrap()]),
    );
    let addr = serve(app(limits(), errcat)).await;
    for forwarded in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        let r = ping(addr, &[("X-Forwarded-For", forwarded)]).await;
        assert_eq!(r.header("ratelimit"), Some(r#""per-ip";r=1;t=30"#));
    }
    let r = ping(addr, &[("X-Forwarded-For", "198.51.100.1")]).await;
    assert_eq!(r.header("ratelimit"), Some(r#""per-ip";r=0;t=30"#));
    let r = ping(addr, &[("X-Forwarded-For", "198.51.100.1")]).await;
    assert_limited(&r, "per-ip", 30);
    assert_eq!(
        events.take()[0].client_ip,
        Some("198.51.100.1".parse().unwrap())
    );
}

/// A backend that is always down.
struct Broken;

impl Backend for Broken {
    fn check<'a>(
        &'a self,
        _: &'a Policy,
        _: &'a BucketKey,
    ) -> BoxFuture<'a, Result<Decision, BackendError>> {
        Box::pin(async { Err("connection refused by 10.0.0.9:6379".into()) })
    }
}

#[tokio::test]
async fn a_failing_backend_fails_open_or_closed() {
    let policy = || Policy::per_ip("per-ip", Quota::per_minute(1));
    let (addr, events) = start(RateLimitLayer::new(Broken).policy(policy())).await;
    for _ in 0..3 {
        let r = ping(addr, &[]).await;
        assert_eq!((r.status, r.text().as_str()), (200, "pong"));
        assert_eq!(r.header("ratelimit"), None);
    }
    assert!(events.take().is_empty());

    let (addr, events) = start(
        RateLimitLayer::new(Arc::new(Broken))
            .policy(policy())
            .fail_open(false),
    )
    .await;
    let r = ping(addr, &[]).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["code"], "SERVICE_UNAVAILABLE");
    assert!(!r.text().contains("10.0.0.9"), "{}", r.text());
    assert_eq!(
        events.take()[0].causes,
        [
            r#"rate limit "per-ip": the backend failed"#,
            "connection refused by 10.0.0.9:6379"
        ]
    );
}

#[cfg(feature = "redis")]
mod redis {
    use std::time::{Duration, Instant, SystemTime};

    use errcat_axum::rate_limit::RedisBackend;

    use super::*;

    /// The Redis to test against, or `None` (after saying so) if there is
    /// none outside CI.
    async fn redis_url() -> Option<String> {
        let url = std::env::var("ERRCAT_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        let probe = async {
            let backend = RedisBackend::open(&url)?.timeout(Duration::from_secs(2));
            backend.connect().await
        };
        let why = match tokio::time::timeout(Duration::from_secs(3), probe).await {
            Ok(Ok(())) => return Some(url),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "no answer within 3 s".to_owned(),
        };
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but no Redis at {url} ({why}); start one or set ERRCAT_REDIS_URL");
        }
        eprintln!("skipped: no Redis at {url} ({why})");
        None
    }

    fn unique_prefix() -> String {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        format!("errcat-test:{}:{nanos}:", std::process::id())
    }

    /// One server, as one process of a deployment would be.
    async fn instance(url: &str, prefix: &str) -> SocketAddr {
        let backend = RedisBackend::open(url).unwrap().prefix(prefix);
        let limits =
            RateLimitLayer::new(backend).policy(Policy::per_ip("per-ip", Quota::per_minute(5)));
        start(limits).await.0
    }

    #[tokio::test]
    async fn two_servers_share_one_quota_through_redis() {
        let Some(url) = redis_url().await else {
            return;
        };
        let prefix = unique_prefix();
        let a = instance(&url, &prefix).await;
        let b = instance(&url, &prefix).await;
        // 5 per minute, one back every 12 s: A, A, A, B, B pass, B is refused.
        let mut left = Vec::new();
        for addr in [a, a, a, b, b] {
            let r = ping(addr, &[]).await;
            assert_eq!(r.status, 200, "{}", r.text());
            assert_eq!(r.header("ratelimit-policy"), Some(r#""per-ip";q=5;w=60"#));
            left.push(r.header("ratelimit").unwrap().to_owned());
        }
        assert_eq!(
            left,
            [4, 3, 2, 1, 0].map(|r| format!(r#""per-ip";r={r};t=12"#))
        );
        let r = ping(b, &[]).await;
        let secs = assert_limited(&r, "per-ip", 12);
        assert!(secs >= 11, "{secs}");
        // And A sees the same empty bucket.
        assert_limited(&ping(a, &[]).await, "per-ip", 12);

        // Another prefix is another quota.
        let c = instance(&url, &unique_prefix()).await;
        assert_eq!(ping(c, &[]).await.status, 200);
    }

    #[tokio::test]
    async fn per_key_buckets_in_redis_hold_fingerprints_not_keys() {
        let Some(url) = redis_url().await else {
            return;
        };
        let prefix = unique_prefix();
        let limits =
            RateLimitLayer::new(RedisBackend::open(&url).unwrap().prefix(&*prefix)).policy(
                Policy::per_key("per-key", Quota::per_minute(1), header("x-api-key")),
            );
        let (addr, _) = start(limits).await;
        let key = [("X-Api-Key", "sk_live_do_not_store_me")];
        assert_eq!(ping(addr, &key).await.status, 200);
        assert_limited(&ping(addr, &key).await, "per-key", 60);
        assert_eq!(
            ping(addr, &[("X-Api-Key", "sk_live_other")]).await.status,
            200
        );

        let client = ::redis::Client::open(url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = ::redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(keys.len(), 2, "{keys:?}");
        for k in &keys {
            let fingerprint = k
                .strip_prefix(&format!("{prefix}per-key:key:"))
                .unwrap_or_else(|| panic!("{k}"));
            assert_eq!(fingerprint.len(), 32, "{k}");
            assert!(!k.contains("sk_live"), "{k}");
            let ttl: i64 = ::redis::cmd("PTTL")
                .arg(k)
                .query_async(&mut conn)
                .await
                .unwrap();
            assert!(ttl > 0 && ttl <= 60_000, "{k} expires in {ttl} ms");
        }
    }

    #[tokio::test]
    async fn an_unreachable_redis_lets_requests_through() {
        // Nothing listens on port 1.
        let backend = RedisBackend::open("redis://127.0.0.1:1/")
            .unwrap()
            .timeout(Duration::from_millis(200));
        let (addr, events) = start(
            RateLimitLayer::new(backend).policy(Policy::per_ip("per-ip", Quota::per_minute(1))),
        )
        .await;
        let started = Instant::now();
        for _ in 0..3 {
            let r = ping(addr, &[]).await;
            assert_eq!((r.status, r.text().as_str()), (200, "pong"));
            assert_eq!(r.header("ratelimit"), None);
        }
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(events.take().is_empty());
    }
}
