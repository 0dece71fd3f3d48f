//! Hostile and broken input: any bytes, any header values, huge bodies,
//! absurd `Retry-After` values. Always an `ApiError` or a clear failure,
//! never a panic or an unbounded wait.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use errcat_catalog::Catalog;
use errcat_client::parse::{MAX_PARSE_BYTES, MAX_RAW_BYTES};
use errcat_client::retry::{
    Decision, Failure, FixedJitter, RecordingSleeper, StopReason, parse_retry_after, server_delay,
};
use errcat_client::{Client, ClientError, Format, Parser, RetryPolicy};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;

fn parsers() -> &'static [Parser] {
    static PARSERS: std::sync::OnceLock<Vec<Parser>> = std::sync::OnceLock::new();
    PARSERS.get_or_init(load)
}

fn load() -> Vec<Parser> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/catalogs");
    let mut out: Vec<Parser> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| Parser::new(&Catalog::from_path(&p).unwrap()))
        .collect();
    out.push(Parser::generic());
    out
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_any_headers_never_panic(
        status in any::<u16>(),
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            // JSON-ish bytes reach deeper into the readers.
            "[{}\\[\\]\":,a-z0-9$ \\\\-]{0,200}".prop_map(String::into_bytes),
        ],
        headers in prop::collection::vec(
            (prop::sample::select(vec!["retry-after", "ratelimit", "ratelimit-remaining", "ratelimit-reset", "x-request-id", "request-id"]),
             prop::collection::vec(any::<u8>(), 0..40)),
            0..5,
        ),
    ) {
        let mut map = HeaderMap::new();
        for (n, v) in headers {
            if let Ok(v) = HeaderValue::from_bytes(&v) {
                map.append(HeaderName::from_static(n), v);
            }
        }
        for p in parsers() {
            let e = p.parse_at(status, &map, &body, now());
            prop_assert_eq!(e.status, status);
            prop_assert!(e.raw.len() <= MAX_RAW_BYTES);
            let _ = e.to_string();
        }
    }

    #[test]
    fn json_shaped_bodies_never_panic(v in arb_json()) {
        let body = serde_json::to_vec(&serde_json::json!({"error": v.clone(), "code": v.clone(), "details": v})).unwrap();
        for p in parsers() {
            let _ = p.parse_body(400, &body);
        }
    }
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "\\PC{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "code", "message", "details", "error", "path", "field", "@type", "reason",
                        "metadata", "status", "x"
                    ]),
                    inner
                ),
                0..6
            )
            .prop_map(|kv| serde_json::Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

#[test]
fn deep_nesting_is_a_parse_failure_not_a_stack_overflow() {
    for body in [
        "{\"a\":".repeat(100_000).into_bytes(),
        format!("{{\"error\":{}", "[".repeat(100_000)).into_bytes(),
        format!("{{\"details\":{}1{}}}", "[".repeat(200), "]".repeat(200)).into_bytes(),
    ] {
        for p in parsers() {
            let e = p.parse_body(500, &body);
            assert_eq!(e.status, 500);
        }
    }
}

#[test]
fn a_100_mb_body_is_not_parsed() {
    let body = vec![b'{'; 100 << 20];
    for p in parsers() {
        let e = p.parse_body(500, &body);
        assert_eq!(e.format, Format::Unreadable);
        assert_eq!(e.raw.len(), MAX_RAW_BYTES);
    }
}

#[test]
fn non_utf8_and_binary_bodies_are_unreadable() {
    let p = Parser::generic();
    assert_eq!(
        p.parse_body(500, b"\xff\xfe\x00").format,
        Format::Unreadable
    );
    assert_eq!(
        p.parse_body(500, b"{\"message\": \"\xff\"}").format,
        Format::Unreadable
    );
    assert_eq!(p.parse_body(500, b"   ").format, Format::Empty);
    let long = "é".repeat(5000);
    let e = p.parse_body(503, long.as_bytes());
    assert_eq!(e.format, Format::Text);
    assert!(e.message.unwrap().len() <= 1024);
}

#[test]
fn retry_after_values() {
    let t = now();
    let p = |v: &str| parse_retry_after(v, t);
    assert_eq!(p("0"), Some(Duration::ZERO));
    assert_eq!(p(" 7 "), Some(Duration::from_secs(7)));
    assert_eq!(p("315360000"), Some(Duration::from_secs(315_360_000)));
    // Too long to fit in u64: still "very long", never a wrap-around.
    assert_eq!(
        p("99999999999999999999999"),
        Some(Duration::from_secs(u64::MAX))
    );
    assert_eq!(p("-1"), None);
    assert_eq!(p("1.5"), None);
    assert_eq!(p("soon"), None);
    assert_eq!(p(""), None);
    let date = |d: SystemTime| httpdate::fmt_http_date(d);
    assert_eq!(
        p(&date(t + Duration::from_secs(90))),
        Some(Duration::from_secs(90))
    );
    assert_eq!(p(&date(t - Duration::from_secs(90))), Some(Duration::ZERO));
}

#[test]
fn ratelimit_fields() {
    let h = |pairs: &[(&'static str, &'static str)]| {
        let mut m = HeaderMap::new();
        for (n, v) in pairs {
            m.append(HeaderName::from_static(n), HeaderValue::from_static(v));
        }
        server_delay(&m, now())
    };
    assert_eq!(
        h(&[("ratelimit", "\"per-ip\";r=0;t=30, \"per-key\";r=5;t=1")]),
        Some(Duration::from_secs(30))
    );
    assert_eq!(h(&[("ratelimit", "\"per-ip\";r=3;t=30")]), None);
    assert_eq!(
        h(&[("ratelimit", "limit=100, remaining=0, reset=50")]),
        Some(Duration::from_secs(50))
    );
    assert_eq!(
        h(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "12")]),
        Some(Duration::from_secs(12))
    );
    assert_eq!(
        h(&[("ratelimit-remaining", "4"), ("ratelimit-reset", "12")]),
        None
    );
    // Retry-After wins; garbage is skipped.
    assert_eq!(
        h(&[
            ("retry-after", "x"),
            ("retry-after", "3"),
            ("ratelimit", "\"a\";r=0;t=9")
        ]),
        Some(Duration::from_secs(3))
    );
    assert_eq!(h(&[("ratelimit", ";;;r=0;t=-4,,=,")]), None);
}

#[test]
fn absurd_server_waits_stop_instead_of_waiting() {
    let policy = RetryPolicy::default();
    let j = FixedJitter(1.0);
    let f = Failure::Status {
        status: 429,
        retryable_code: true,
    };
    let ten_years = Duration::from_secs(10 * 365 * 24 * 3600);
    assert_eq!(
        policy.decide(1, f, true, Some(ten_years), Duration::ZERO, &j),
        Decision::Stop(StopReason::RetryAfterTooLong)
    );
    assert_eq!(
        policy.decide(1, f, true, Some(Duration::MAX), Duration::ZERO, &j),
        Decision::Stop(StopReason::RetryAfterTooLong)
    );
    assert_eq!(
        policy.decide(
            1,
            f,
            true,
            Some(Duration::from_secs(300)),
            Duration::ZERO,
            &j
        ),
        Decision::Retry(Duration::from_secs(300))
    );
    // A huge retry number saturates at the cap.
    assert_eq!(policy.backoff(u32::MAX, &j), policy.cap);
    assert_eq!(policy.backoff(0, &FixedJitter(f64::NAN)), Duration::ZERO);
    let unbounded = RetryPolicy {
        base: Duration::MAX,
        cap: Duration::MAX,
        ..RetryPolicy::default()
    };
    assert!(unbounded.backoff(3, &j) <= Duration::MAX);
    assert_eq!(
        unbounded.decide(1, f, true, None, Duration::ZERO, &j),
        Decision::Stop(StopReason::Budget)
    );
    // 4xx other than 408/409/429 only when the catalog says so.
    let s = |status, retryable_code| Failure::Status {
        status,
        retryable_code,
    };
    for (status, code, retried) in [
        (400, false, false),
        (404, false, false),
        (422, true, true),
        (408, false, true),
        (409, false, true),
        (501, false, false),
        (502, false, true),
    ] {
        let d = policy.decide(1, s(status, code), true, None, Duration::ZERO, &j);
        assert_eq!(matches!(d, Decision::Retry(_)), retried, "{status}: {d:?}");
    }
}

#[tokio::test]
async fn a_100_mb_error_body_over_the_wire_is_read_only_so_far() {
    let app = Router::new().route(
        "/huge",
        get(|| async { (StatusCode::BAD_REQUEST, vec![b'x'; 100 << 20]) }),
    );
    let addr = errcat_bench_support::loopback::serve(app).await;
    let c = Client::new(
        format!("http://{addr}"),
        Parser::generic(),
        RetryPolicy::default(),
    )
    .with_sleeper(Arc::new(RecordingSleeper::new()));
    let err = c.send(c.get("/huge")).await.unwrap_err();
    let ClientError::Api(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status, 400);
    assert_eq!(e.format, Format::Unreadable);
    assert!(e.raw.len() <= MAX_RAW_BYTES && MAX_RAW_BYTES < MAX_PARSE_BYTES);
}

#[tokio::test]
async fn garbage_retry_after_falls_back_to_backoff() {
    let app = Router::new().route(
        "/busy",
        get(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [("retry-after", "-30")],
                "busy",
            )
        }),
    );
    let addr = errcat_bench_support::loopback::serve(app).await;
    let sleeper = Arc::new(RecordingSleeper::new());
    let policy = RetryPolicy {
        max_attempts: 2,
        base: Duration::from_millis(10),
        ..RetryPolicy::default()
    };
    let c = Client::new(format!("http://{addr}"), Parser::generic(), policy)
        .with_sleeper(sleeper.clone())
        .with_jitter(Arc::new(FixedJitter(1.0)));
    let err = c.send(c.get("/busy")).await.unwrap_err();
    let e = err.api().unwrap();
    assert_eq!(
        (e.format, e.message.as_deref()),
        (Format::Text, Some("busy"))
    );
    assert_eq!(e.retry_after, None);
    assert_eq!(sleeper.waits(), [Duration::from_millis(10)]);
}
