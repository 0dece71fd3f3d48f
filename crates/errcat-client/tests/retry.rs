//! The client against real errcat servers on loopback: waits are recorded by
//! an injected sleeper, never taken.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use errcat_catalog::Catalog;
use errcat_client::retry::{FixedJitter, RecordingSleeper};
use errcat_client::{Client, ClientError, DebugLog, Format, Parser, RetryPolicy};
use errcat_render::Error;

fn catalog() -> Catalog {
    common::example_catalog("catalogs/003-saas.toml")
}

async fn serve(app: Router) -> SocketAddr {
    common::serve_with(catalog(), app).await
}

/// A handler that fails with `err()` the first `fails` times, then says "ok".
fn flaky(
    fails: u32,
    err: fn() -> Error,
) -> (
    Arc<AtomicU32>,
    impl Fn() -> std::future::Ready<Result<&'static str, Error>> + Clone + Send + 'static,
) {
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let handler = move || {
        let n = c.fetch_add(1, Ordering::SeqCst);
        std::future::ready(if n < fails { Err(err()) } else { Ok("ok") })
    };
    (calls, handler)
}

fn client(addr: SocketAddr, policy: RetryPolicy) -> (Client, Arc<RecordingSleeper>) {
    let sleeper = Arc::new(RecordingSleeper::new());
    let c = Client::new(format!("http://{addr}"), Parser::new(&catalog()), policy)
        .with_sleeper(sleeper.clone())
        .with_jitter(Arc::new(FixedJitter(1.0)));
    (c, sleeper)
}

#[tokio::test]
async fn a_rate_limited_endpoint_makes_the_client_wait_as_told() {
    let (calls, h) = flaky(1, || Error::standard("rate_limited").with_retry_after(2));
    let addr = serve(Router::new().route("/limited", get(h))).await;
    let (c, sleeper) = client(addr, RetryPolicy::default());
    let res = c.send(c.get("/limited")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(sleeper.waits(), [Duration::from_secs(2)]);
}

#[tokio::test]
async fn a_500_backs_off_and_succeeds() {
    let (calls, h) = flaky(2, || Error::standard("internal_error"));
    let addr = serve(Router::new().route("/flaky", get(h))).await;
    let policy = RetryPolicy {
        base: Duration::from_millis(100),
        ..RetryPolicy::default()
    };
    let (c, sleeper) = client(addr, policy);
    let res = c.send(c.get("/flaky")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // Full jitter at its ceiling: base, then twice the base.
    assert_eq!(
        sleeper.waits(),
        [Duration::from_millis(100), Duration::from_millis(200)]
    );
}

#[tokio::test]
async fn backoff_with_real_jitter_stays_within_the_ceiling() {
    let (_, h) = flaky(1, || Error::standard("internal_error"));
    let addr = serve(Router::new().route("/flaky", get(h))).await;
    let sleeper = Arc::new(RecordingSleeper::new());
    let c = Client::new(
        format!("http://{addr}"),
        Parser::new(&catalog()),
        RetryPolicy::default(),
    )
    .with_sleeper(sleeper.clone());
    c.send(c.get("/flaky")).await.unwrap();
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 1);
    assert!(waits[0] <= RetryPolicy::default().base, "{waits:?}");
}

#[tokio::test]
async fn a_400_is_not_retried_and_parses() {
    let (calls, h) = flaky(9, || {
        Error::standard("validation_error").with_violation("events.0.type", "Invalid enum value")
    });
    let addr = serve(Router::new().route("/bad", get(h))).await;
    let (c, sleeper) = client(addr, RetryPolicy::default());
    let err = c.send(c.get("/bad")).await.unwrap_err();
    let ClientError::Api(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status, 400);
    assert_eq!(e.format, Format::Custom(0));
    assert_eq!(e.code.as_deref(), Some("VALIDATION_ERROR"));
    assert_eq!(e.violations[0].path, "events.0.type");
    assert!(e.request_id.is_some(), "the layer's X-Request-Id");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn a_post_without_an_idempotency_key_is_not_retried() {
    let (calls, h) = flaky(1, || Error::standard("internal_error"));
    let addr = serve(Router::new().route("/events", post(h))).await;
    let (c, sleeper) = client(addr, RetryPolicy::default());
    let err = c.send(c.post("/events").body("{}")).await.unwrap_err();
    assert_eq!(err.api().unwrap().status, 500);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn a_post_with_an_idempotency_key_is_retried() {
    let (calls, h) = flaky(1, || Error::standard("internal_error"));
    let addr = serve(Router::new().route("/events", post(h))).await;
    let (c, sleeper) = client(addr, RetryPolicy::default());
    let res = c
        .send(
            c.post("/events")
                .header("Idempotency-Key", "k-1")
                .body("{}"),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(sleeper.waits().len(), 1);
}

#[tokio::test]
async fn the_client_can_add_idempotency_keys() {
    // Fails the first attempt of each request, recording every key it sees.
    let keys = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
    let seen = keys.clone();
    let h = move |headers: axum::http::HeaderMap| {
        let mut seen = seen.lock().unwrap();
        seen.push(
            headers
                .get("idempotency-key")
                .map(|v| v.to_str().unwrap().to_owned()),
        );
        std::future::ready(if seen.len() % 2 == 1 {
            Err(Error::standard("internal_error"))
        } else {
            Ok("ok")
        })
    };
    let addr = serve(Router::new().route("/events", post(h))).await;
    let policy = RetryPolicy {
        auto_idempotency_key: true,
        ..RetryPolicy::default()
    };
    let (c, _) = client(addr, policy);
    let res = c.send(c.post("/events").body("{}")).await.unwrap();
    assert_eq!(res.status(), 200);
    let own = c.post("/events").header("Idempotency-Key", "mine-1");
    assert_eq!(c.send(own).await.unwrap().status(), 200);

    let keys = keys.lock().unwrap().clone();
    let added = keys[0].clone().expect("a key added");
    let id = uuid::Uuid::parse_str(&added).expect("a UUID");
    assert_eq!(id.get_version_num(), 4, "{added}");
    // The retry repeats the key; the caller's own key is kept as it is.
    let mine = Some("mine-1".to_owned());
    assert_eq!(keys, [Some(added), keys[0].clone(), mine.clone(), mine]);
}

#[tokio::test]
async fn an_absurd_retry_after_is_not_waited_for() {
    const TEN_YEARS: u64 = 10 * 365 * 24 * 3600;
    let (calls, h) = flaky(9, || {
        Error::standard("rate_limited").with_retry_after(TEN_YEARS)
    });
    let addr = serve(Router::new().route("/limited", get(h))).await;
    let (c, sleeper) = client(addr, RetryPolicy::default());
    let err = c.send(c.get("/limited")).await.unwrap_err();
    let e = err.api().unwrap();
    assert_eq!(e.status, 429);
    assert_eq!(e.retry_after, Some(Duration::from_secs(TEN_YEARS)));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn attempts_are_capped() {
    let (calls, h) = flaky(99, || {
        Error::standard("service_unavailable").with_retry_after(1)
    });
    let addr = serve(Router::new().route("/down", get(h))).await;
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let (c, sleeper) = client(addr, policy);
    let err = c.send(c.get("/down")).await.unwrap_err();
    assert_eq!(err.api().unwrap().status, 503);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(sleeper.waits(), [Duration::from_secs(1); 2]);
}

#[tokio::test]
async fn the_time_budget_is_kept() {
    let (calls, h) = flaky(99, || {
        Error::standard("service_unavailable").with_retry_after(40)
    });
    let addr = serve(Router::new().route("/down", get(h))).await;
    let policy = RetryPolicy {
        max_attempts: 10,
        budget: Duration::from_secs(100),
        ..RetryPolicy::default()
    };
    let (c, sleeper) = client(addr, policy);
    c.send(c.get("/down")).await.unwrap_err();
    // 40 + 40 fits in 100 s, a third 40 does not.
    assert_eq!(sleeper.waits(), [Duration::from_secs(40); 2]);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn connection_errors_are_retried_with_backoff() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let policy = RetryPolicy {
        max_attempts: 3,
        base: Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    let (c, sleeper) = client(addr, policy);
    let err = c.send(c.post("/x").body("{}")).await.unwrap_err();
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
    // A refused connection sent nothing, so even a POST is retried.
    assert_eq!(
        sleeper.waits(),
        [Duration::from_millis(50), Duration::from_millis(100)]
    );
}

#[tokio::test]
async fn debug_mode_logs_with_credentials_redacted() {
    let (_, h) = flaky(1, || Error::standard("rate_limited").with_retry_after(1));
    let addr = serve(Router::new().route("/limited", post(h))).await;
    let buf = Arc::new(Mutex::new(Vec::new()));
    let (c, _) = client(addr, RetryPolicy::default());
    let c = c.with_debug(DebugLog::shared(buf.clone()));
    c.send(
        c.post("/limited?api_key=sk_live_query&page=2")
            .header("Authorization", "Bearer sk_live_header")
            .header("X-API-Key", "sk_live_key")
            .header("Idempotency-Key", "idem-1")
            .body(r#"{"name":"x","password":"hunter2","nested":{"client_secret":"s3"}}"#),
    )
    .await
    .unwrap();
    let log = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    for secret in ["sk_live", "hunter2", "\\\"s3\\\""] {
        assert!(!log.contains(secret), "{secret} leaked:\n{log}");
    }
    assert!(log.contains("--> POST"), "{log}");
    assert!(log.contains("<-- 429 POST"), "{log}");
    assert!(log.contains("<-- 200 POST"), "{log}");
    assert!(log.contains("request_id="), "{log}");
    assert!(log.contains("idem-1"), "{log}");
    assert!(log.contains("page=2"), "{log}");
    assert!(log.contains("RATE_LIMITED"), "the body excerpt:\n{log}");
}

/// Records each wait, then really takes it.
#[derive(Default)]
struct RecordThenSleep(RecordingSleeper);

impl errcat_client::Sleeper for RecordThenSleep {
    fn sleep(
        &self,
        d: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        drop(self.0.sleep(d));
        Box::pin(tokio::time::sleep(d))
    }
}

#[tokio::test]
async fn the_rate_limit_layers_headers_are_honored() {
    use errcat_axum::rate_limit::{Policy, Quota, RateLimitLayer};
    let limits = RateLimitLayer::memory().policy(Policy::per_ip("per-ip", Quota::per_second(1)));
    let addr = serve(
        Router::new()
            .route("/events", get(|| async { "ok" }))
            .layer(limits),
    )
    .await;
    let sleeper = Arc::new(RecordThenSleep::default());
    let c = Client::new(
        format!("http://{addr}"),
        Parser::new(&catalog()),
        RetryPolicy::default(),
    )
    .with_sleeper(sleeper.clone());
    c.send(c.get("/events")).await.unwrap();
    // The quota is spent: the second call is told to wait about a second.
    let res = c.send(c.get("/events")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(sleeper.0.waits(), [Duration::from_secs(1)]);
}
