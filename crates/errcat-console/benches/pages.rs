//! Server time of the support console's pages on a large error log: the
//! lookup page of an error id and the grouped recent view, over a log of
//! 1,000,000 errors (spread over 30 days, 200 codes, 50 routes, 20 tenants)
//! that the benchmark builds, on SQLite and, when `ERRCAT_TEST_POSTGRES_URL`
//! is set, PostgreSQL.
//!
//! The same-run control is the store query each page starts from
//! (`by_error_id`; `groups` over the same window), so the page's own cost
//! (templates, escaping) reads as the difference.
//!
//! `cargo bench -p errcat-console --bench pages` (`ERRCAT_BENCH_ROWS` sets
//! the log's size; the SQLite log is kept in `target/errcat-bench-pages.db`
//! and rebuilt only when its size differs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use errcat_catalog::Catalog;
use errcat_console::Console;
use errcat_store::{ErrorRecord, Filter, SentResponse, Store, Violation, unix_ms};
use tower::ServiceExt as _;

const DAYS: i64 = 30;
const CODES: usize = 200;
const ROUTES: usize = 50;
const TENANTS: usize = 20;
const QUERIES: usize = 200;

fn record(i: usize, now: i64, span_ms: i64, n: usize) -> ErrorRecord {
    // A cheap mix: the same i gives the same record on every run.
    let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let code = format!("CODE_{:03}", h as usize % CODES);
    let status = 400 + (h as usize / 7 % 30) as u16;
    let mut r = ErrorRecord::new(
        format!("{:08x}-bench-{i:010}", h >> 32),
        format!("req-{i:010}"),
        code.clone(),
        status,
    );
    // Oldest first, evenly over the span.
    r.timestamp_ms = now - span_ms + (i as i64 * span_ms) / n as i64;
    r.category = "VALIDATION".into();
    let route = h as usize / 13 % ROUTES;
    r.route = Some(format!("/api/r{route}/{{id}}"));
    r.path = format!("/api/r{route}/{}", i % 1000);
    r.tenant = Some(format!("tenant-{}", h as usize / 17 % TENANTS));
    r.user_agent = Some("bench/1.0".into());
    r.headers = vec![
        ("content-type".into(), "application/json".into()),
        ("authorization".into(), "[REDACTED]".into()),
    ];
    r.body_excerpt = Some(r#"{"name":"x","password":"[REDACTED]"}"#.into());
    r.message = Some(format!("{code} happened ({})", h as usize / 19 % 3));
    r.response = Some(SentResponse {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-request-id".into(), r.request_id.clone()),
        ],
        body: format!(
            r#"{{"error":{{"code":"{code}","message":"{code} happened","request_id":"{}"}}}}"#,
            r.request_id
        ),
        body_bytes: 120,
    });
    r.violations = vec![Violation {
        path: "events.0.type".into(),
        message: "unknown variant".into(),
        reason: None,
    }];
    r.latency_us = 900;
    r
}

fn catalog() -> Catalog {
    let mut toml = String::from("[api]\nname = \"Bench\"\n");
    for c in 0..CODES {
        toml.push_str(&format!(
            "\n[[errors]]\ncode = \"CODE_{c:03}\"\nstatus = 400\nmessage = \"m\"\ndescription = \"d\"\nresolution = \"r\"\n"
        ));
    }
    Catalog::from_str(&toml, "bench.toml")
        .map_err(|r| r.to_string())
        .unwrap()
}

async fn build(store: &Store, n: usize) -> Duration {
    let now = unix_ms(std::time::SystemTime::now());
    let span = DAYS * 86_400_000;
    let t = Instant::now();
    let mut batch = Vec::with_capacity(5000);
    for i in 0..n {
        batch.push(record(i, now, span, n));
        if batch.len() == 5000 {
            store.insert_batch(&batch).await.unwrap();
            batch.clear();
        }
    }
    store.insert_batch(&batch).await.unwrap();
    t.elapsed()
}

async fn rows(store: &Store) -> usize {
    let f = Filter {
        limit: Some(1),
        ..Filter::default()
    };
    // The newest id carries the log's size in its number when it was built
    // by this benchmark.
    store
        .list(&f)
        .await
        .unwrap()
        .first()
        .and_then(|r| r.request_id.strip_prefix("req-")?.parse::<usize>().ok())
        .map_or(0, |last| last + 1)
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort_unstable();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

struct Timing {
    p50: Duration,
    p99: Duration,
}

async fn time<F, Fut>(mut f: F) -> Timing
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for i in 0..5 {
        f(i).await;
    }
    let mut v = Vec::with_capacity(QUERIES);
    for i in 0..QUERIES {
        let t = Instant::now();
        f(i * 7919).await;
        v.push(t.elapsed());
    }
    Timing {
        p50: percentile(&mut v, 0.5),
        p99: percentile(&mut v, 0.99),
    }
}

async fn get(app: &Router, uri: &str) -> usize {
    let res = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(res.status().is_success(), "{uri}: {}", res.status());
    axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .len()
}

fn line(what: &str, t: &Timing, control: &Timing) {
    println!(
        "  {what:<34} p50 {:>8.2} ms  p99 {:>8.2} ms   (store query p50 {:.2} ms, p99 {:.2} ms; page/query p50 {:.2}x)",
        t.p50.as_secs_f64() * 1e3,
        t.p99.as_secs_f64() * 1e3,
        control.p50.as_secs_f64() * 1e3,
        control.p99.as_secs_f64() * 1e3,
        t.p50.as_secs_f64() / control.p50.as_secs_f64().max(1e-9)
    );
}

async fn measure(name: &str, store: Store, n: usize) {
    let app: Router = Console::new(store.clone(), Arc::new(catalog())).router();
    let id = |i: usize| record(i % n, 0, 1, n).error_id;
    println!("{name}: {n} errors");
    let page = time(|i| {
        let app = &app;
        let uri = format!("/console/lookup?id={}", id(i));
        async move {
            get(app, &uri).await;
        }
    })
    .await;
    let query = time(|i| {
        let store = &store;
        let id = id(i);
        async move {
            assert!(store.by_error_id(&id).await.unwrap().is_some());
        }
    })
    .await;
    line("lookup page (error id)", &page, &query);
    let now = unix_ms(std::time::SystemTime::now());
    let window = Filter {
        since_ms: Some(now - 86_400_000),
        limit: Some(100),
        ..Filter::default()
    };
    for (what, uri, filter) in [
        (
            "recent, grouped (24 h)",
            "/console/recent".to_owned(),
            window.clone(),
        ),
        (
            "recent, grouped, one code (24 h)",
            "/console/recent?code=CODE_007".to_owned(),
            Filter {
                code: Some("CODE_007".into()),
                ..window.clone()
            },
        ),
        (
            "recent, grouped, one tenant (24 h)",
            "/console/recent?tenant=TENANT-3".to_owned(),
            Filter {
                tenant: Some("tenant-3".into()),
                ..window.clone()
            },
        ),
    ] {
        let page = time(|_| {
            let app = &app;
            let uri = uri.clone();
            async move {
                get(app, &uri).await;
            }
        })
        .await;
        let query = time(|_| {
            let store = &store;
            let f = filter.clone();
            async move {
                store.groups(&f, 3_600_000).await.unwrap();
            }
        })
        .await;
        line(what, &page, &query);
    }
}

async fn postgres(base: &str, n: usize) -> Store {
    let admin = Store::connect(base).await.expect("PostgreSQL");
    let schema = "errcat_bench_pages";
    if let Store::Postgres(pool) = &admin {
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'errcat_bench_pages' AND table_name = 'errcat_errors'",
        )
        .fetch_optional(pool)
        .await
        .unwrap();
        if exists != Some(1) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}"
            )))
            .execute(pool)
            .await
            .unwrap();
        }
    }
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let store = Store::connect(&format!("{base}{sep}options=-c%20search_path%3D{schema}"))
        .await
        .unwrap();
    if rows(&store).await != n {
        if let Store::Postgres(pool) = &store {
            sqlx::raw_sql("TRUNCATE errcat_errors")
                .execute(pool)
                .await
                .unwrap();
        }
        let took = build(&store, n).await;
        if let Store::Postgres(pool) = &store {
            sqlx::raw_sql("ANALYZE errcat_errors")
                .execute(pool)
                .await
                .unwrap();
        }
        println!("built the PostgreSQL log in {took:.1?}");
    }
    store
}

fn main() {
    let n: usize = std::env::var("ERRCAT_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/errcat-bench-pages.db");
        let url = format!("sqlite://{}", path.display());
        let mut store = Store::connect(&url).await.unwrap();
        if rows(&store).await != n {
            store.close().await;
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            store = Store::connect(&url).await.unwrap();
            let took = build(&store, n).await;
            println!("built the SQLite log in {took:.1?}");
        }
        measure("SQLite", store, n).await;
        match std::env::var("ERRCAT_TEST_POSTGRES_URL") {
            Ok(base) => measure("PostgreSQL", postgres(&base, n).await, n).await,
            Err(_) => println!("PostgreSQL: skipped (set ERRCAT_TEST_POSTGRES_URL)"),
        }
    });
}
