//! The error log as it grows: the same queries on a log of 1,000,000 and of
//! 10,000,000 errors (spread over 30 days, 200 codes, 50 routes, 20
//! tenants), on SQLite and, when `ERRCAT_TEST_POSTGRES_URL` is set,
//! PostgreSQL. For each: p50/p99 of lookups by error, request and trace id;
//! the console's recent list and its grouped view (24 h), each without a
//! filter and with each filter; stats per code over 1 h, 24 h and 30 d; and
//! retention deleting the oldest 10% while a writer commits a batch every
//! 20 ms (the batches' latency, against the same writer without retention
//! in the same run). Then each figure of the largest log against the
//! smallest's, with the targets.
//!
//! `cargo bench -p errcat-store --features postgres --bench growth`
//! (`ERRCAT_BENCH_SIZES=1000000,10000000` the logs' sizes,
//! `ERRCAT_BENCH_QUERIES=200` queries per figure). The logs are kept
//! (`target/errcat-bench-growth-N.db`, PostgreSQL schemas
//! `errcat_bench_growth_N`) and built again only when incomplete; the
//! records retention deletes are written back afterwards.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use errcat_store::{ErrorRecord, Filter, SentResponse, Store};

const DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
const CODES: u64 = 200;
const ROUTES: u64 = 50;
const TENANTS: u64 = 20;
/// The statuses a code may have; each code has one.
const STATUSES: [u16; 8] = [400, 401, 403, 404, 409, 422, 429, 500];
/// A figure stops after this long once it has this many queries.
const BUDGET: Duration = Duration::from_secs(20);
const MIN_QUERIES: usize = 20;
/// The end of every log: its newest error is at this time (fixed, so that a
/// log built on another day answers the same windows).
const END_MS: i64 = 1_790_000_000_000;

fn mix(i: u64) -> u64 {
    let mut h = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

fn code(c: u64) -> String {
    format!("CODE_{c:03}")
}

fn error_id(i: u64) -> String {
    format!("{:016x}-{i:010}", mix(i))
}

fn request_id(i: u64) -> String {
    format!("req-{i:010}")
}

/// Four errors per trace.
fn trace_id(i: u64) -> String {
    format!("{:016x}{:016x}", mix(i / 4 + 1), mix(i / 4 + 2))
}

fn start_ms() -> i64 {
    END_MS - DAYS * DAY_MS
}

/// Error `i` of a log of `n`: the same record on every run.
fn record(i: u64, n: u64) -> ErrorRecord {
    let h = mix(i);
    let c = h % CODES;
    let status = STATUSES[(mix(c) % STATUSES.len() as u64) as usize];
    let route = h / 7 % ROUTES;
    let mut r = ErrorRecord::new(error_id(i), request_id(i), code(c), status);
    // Oldest first, evenly over the span; the last one at END_MS.
    r.timestamp_ms = start_ms() + ((i + 1) as i128 * (DAYS * DAY_MS) as i128 / n as i128) as i64;
    r.trace_id = Some(trace_id(i));
    r.category = if status >= 500 {
        "INTERNAL"
    } else {
        "INVALID_REQUEST"
    }
    .into();
    r.route = Some(format!("/api/r{route}/{{id}}"));
    r.path = format!("/api/r{route}/{}", h / 11 % 10_000);
    r.tenant = Some(format!("tenant-{}", h / 13 % TENANTS));
    r.client_ip = Some("203.0.113.7".into());
    r.user_agent = Some("bench/1.0".into());
    r.headers = vec![
        ("content-type".into(), "application/json".into()),
        ("authorization".into(), "[REDACTED]".into()),
    ];
    r.body_excerpt = Some(r#"{"name":"x","password":"[REDACTED]"}"#.into());
    let message = format!("{} happened ({})", r.code, h / 17 % 3);
    r.response = Some(SentResponse {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-request-id".into(), r.request_id.clone()),
        ],
        body: format!(
            r#"{{"error":{{"code":"{}","message":"{message}","request_id":"{}"}}}}"#,
            r.code, r.request_id
        ),
        body_bytes: 110,
    });
    r.message = Some(message);
    r.latency_us = 900;
    r
}

async fn insert_range(store: &Store, range: std::ops::Range<u64>, n: u64) {
    let mut batch = Vec::with_capacity(5000);
    for i in range {
        batch.push(record(i, n));
        if batch.len() == 5000 {
            store.insert_batch(&batch).await.unwrap();
            batch.clear();
        }
    }
    store.insert_batch(&batch).await.unwrap();
}

/// Whether the log holds its first and last record (retention, the only
/// thing that deletes, writes back what it deleted).
async fn complete(store: &Store, n: u64) -> bool {
    for i in [0, n / 10, n - 1] {
        if store
            .by_error_id(&error_id(i))
            .await
            .ok()
            .flatten()
            .is_none()
        {
            return false;
        }
    }
    true
}

#[derive(Clone, Copy)]
struct Timing {
    p50: Duration,
    p99: Duration,
    max: Duration,
    n: usize,
    /// The rows an answer had on average (records, counts; for a grouping
    /// the errors it counted): what any implementation must at least read.
    rows: f64,
}

impl Timing {
    fn of(mut v: Vec<Duration>) -> Timing {
        v.sort_unstable();
        let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
        Timing {
            p50: at(0.5),
            p99: at(0.99),
            max: v[v.len() - 1],
            n: v.len(),
            rows: 0.0,
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `queries` calls of `f` (after three to warm up), each with its index.
async fn time<F, Fut>(queries: usize, mut f: F) -> Timing
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    for i in 0..3 {
        f(i + 1_000_000).await;
    }
    let started = Instant::now();
    let mut v = Vec::with_capacity(queries);
    let mut rows_seen = 0;
    for i in 0..queries as u64 {
        let t = Instant::now();
        let rows = f(i).await;
        v.push(t.elapsed());
        assert!(rows > 0, "a query found nothing");
        rows_seen += rows;
        if v.len() >= MIN_QUERIES && started.elapsed() > BUDGET {
            break;
        }
    }
    let n = v.len();
    Timing {
        rows: rows_seen as f64 / n as f64,
        ..Timing::of(v)
    }
}

/// The filters of the console's recent page, the `i`th value of each.
fn filters(i: u64) -> Vec<(&'static str, Filter)> {
    let h = mix(i + 7);
    let c = code(h % CODES);
    vec![
        ("no filter", Filter::default()),
        (
            "code",
            Filter {
                code: Some(c.clone()),
                ..Filter::default()
            },
        ),
        (
            "status",
            Filter {
                status: Some(STATUSES[(h % 7) as usize]..=STATUSES[(h % 7) as usize]),
                ..Filter::default()
            },
        ),
        (
            "route",
            Filter {
                route: Some(format!("/api/r{}/{{id}}", h % ROUTES)),
                ..Filter::default()
            },
        ),
        (
            "tenant",
            Filter {
                tenant: Some(format!("TENANT-{}", h % TENANTS)),
                ..Filter::default()
            },
        ),
        (
            "message",
            Filter {
                message: Some(format!("{c} happened ({})", h % 3)),
                ..Filter::default()
            },
        ),
    ]
}

type Figures = BTreeMap<String, Timing>;

async fn measure(store: &Store, n: u64, queries: usize) -> Figures {
    let mut out = Figures::new();
    let pick = |i: u64| mix(i ^ 0xABCD) % n;
    let t = time(queries, |i| async move {
        usize::from(
            store
                .by_error_id(&error_id(pick(i)))
                .await
                .unwrap()
                .is_some(),
        )
    })
    .await;
    out.insert("lookup error id".into(), t);
    let t = time(queries, |i| async move {
        store
            .by_request_id(&request_id(pick(i)))
            .await
            .unwrap()
            .len()
    })
    .await;
    out.insert("lookup request id".into(), t);
    let t = time(queries, |i| async move {
        store.by_trace_id(&trace_id(pick(i))).await.unwrap().len()
    })
    .await;
    out.insert("lookup trace id".into(), t);
    for (k, (what, _)) in filters(0).into_iter().enumerate() {
        let t = time(queries, |i| async move {
            let mut f = filters(i).swap_remove(k).1;
            f.limit = Some(51);
            store.list(&f).await.unwrap().len()
        })
        .await;
        out.insert(format!("recent list, {what}"), t);
        let t = time(queries, |i| async move {
            let mut f = filters(i).swap_remove(k).1;
            f.since_ms = Some(END_MS - DAY_MS);
            f.limit = Some(100);
            // What a grouping must read: the errors it counts.
            store.groups(&f, DAY_MS / 24).await.unwrap().errors as usize
        })
        .await;
        out.insert(format!("recent grouped 24 h, {what}"), t);
    }
    for (what, span, bucket) in [
        ("stats 1 h (1 min buckets)", HOUR_MS, 60_000),
        ("stats 24 h (1 h buckets)", DAY_MS, HOUR_MS),
        ("stats 30 d (1 d buckets)", DAYS * DAY_MS, DAY_MS),
    ] {
        // Windows ending at the log's end, a minute apart.
        let t = time(queries, |i| async move {
            let since = END_MS - span - (i as i64 % 60) * 60_000;
            store.counts(since, bucket).await.unwrap().len()
        })
        .await;
        out.insert(what.into(), t);
    }
    out
}

/// A writer's batches of 100 records every 20 ms, newer than the log,
/// until `stop`; the latency of each.
async fn writer(store: Store, tag: u64, stop: tokio::sync::watch::Receiver<bool>) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let mut k = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    while !*stop.borrow() {
        tick.tick().await;
        let batch: Vec<ErrorRecord> = (0..100)
            .map(|j| {
                let mut r = record(k + j, 1_000_000);
                r.error_id = format!("w{tag}-{:010}", k + j);
                r.request_id = format!("w{tag}-{:010}", k + j);
                r.timestamp_ms = END_MS + 3 * HOUR_MS + (k + j) as i64;
                r
            })
            .collect();
        k += 100;
        let t = Instant::now();
        store.insert_batch(&batch).await.unwrap();
        latencies.push(t.elapsed());
    }
    latencies
}

struct Retention {
    deleted: u64,
    took: Duration,
    control: Timing,
    during: Timing,
}

async fn retention(store: &Store, n: u64) -> Retention {
    // The same writer alone for three seconds: the control.
    let (tx, rx) = tokio::sync::watch::channel(false);
    let w = tokio::spawn(writer(store.clone(), 1, rx));
    tokio::time::sleep(Duration::from_secs(3)).await;
    tx.send(true).unwrap();
    let control = Timing::of(w.await.unwrap());
    let (tx, rx) = tokio::sync::watch::channel(false);
    let w = tokio::spawn(writer(store.clone(), 2, rx));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cutoff = start_ms() + DAYS * DAY_MS / 10;
    let t = Instant::now();
    let deleted = store.delete_older_than(cutoff).await.unwrap();
    let took = t.elapsed();
    tx.send(true).unwrap();
    let during = Timing::of(w.await.unwrap());
    // Put the log back as it was: the writer's records out, the deleted
    // records in.
    remove_writer_records(store).await;
    let kept_from = (0..n)
        .find(|&i| record(i, n).timestamp_ms >= cutoff)
        .unwrap_or(n);
    insert_range(store, 0..kept_from, n).await;
    Retention {
        deleted,
        took,
        control,
        during,
    }
}

/// Deletes what the writer wrote (every row after the log's end).
async fn remove_writer_records(store: &Store) {
    let statements = [
        format!(
            "DELETE FROM errcat_errors WHERE ts_ms > {}",
            END_MS + HOUR_MS
        ),
        format!(
            "DELETE FROM errcat_counts WHERE minute_ms > {}",
            END_MS + HOUR_MS
        ),
    ];
    match store {
        Store::Sqlite(db) => {
            let conn = rusqlite::Connection::open(db.path().unwrap()).unwrap();
            conn.busy_timeout(Duration::from_secs(30)).unwrap();
            for s in &statements {
                conn.execute(s, []).unwrap();
            }
            let hourly: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM sqlite_master WHERE name = 'errcat_counts_hourly'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            if hourly == 1 {
                conn.execute(
                    &format!("DELETE FROM errcat_counts_hourly WHERE hour_ms > {END_MS}"),
                    [],
                )
                .unwrap();
            }
        }
        #[cfg(feature = "postgres")]
        Store::Postgres(pool) => {
            for s in statements {
                sqlx::raw_sql(sqlx::AssertSqlSafe(s))
                    .execute(pool)
                    .await
                    .unwrap();
            }
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DELETE FROM errcat_counts_hourly WHERE hour_ms > {END_MS}"
            )))
            .execute(pool)
            .await;
        }
    }
}

async fn open(backend: &str, n: u64) -> Store {
    let store = match backend {
        "SQLite" => {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("../../target/errcat-bench-growth-{n}.db"));
            let url = format!("sqlite://{}", path.display());
            let store = Store::connect(&url).await.unwrap();
            if complete(&store, n).await {
                return store;
            }
            store.close().await;
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            Store::connect(&url).await.unwrap()
        }
        _ => postgres(n).await,
    };
    if !complete(&store, n).await {
        let t = Instant::now();
        insert_range(&store, 0..n, n).await;
        #[cfg(feature = "postgres")]
        if let Store::Postgres(pool) = &store {
            sqlx::raw_sql("VACUUM ANALYZE").execute(pool).await.unwrap();
        }
        println!(
            "{backend}: built a log of {n} errors in {:.0} s",
            t.elapsed().as_secs_f64()
        );
    }
    store
}

#[cfg(feature = "postgres")]
async fn postgres(n: u64) -> Store {
    let base = std::env::var("ERRCAT_TEST_POSTGRES_URL").unwrap();
    let schema = format!("errcat_bench_growth_{n}");
    let admin = Store::connect(&base).await.expect("PostgreSQL");
    if let Store::Postgres(pool) = &admin {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}"
        )))
        .execute(pool)
        .await
        .unwrap();
    }
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let store = Store::connect(&format!("{base}{sep}options=-c%20search_path%3D{schema}"))
        .await
        .unwrap();
    if !complete(&store, n).await
        && let Store::Postgres(pool) = &store
    {
        sqlx::raw_sql("TRUNCATE errcat_errors; TRUNCATE errcat_counts")
            .execute(pool)
            .await
            .unwrap();
        let _ = sqlx::raw_sql("TRUNCATE errcat_counts_hourly")
            .execute(pool)
            .await;
    }
    store
}

#[cfg(not(feature = "postgres"))]
async fn postgres(_n: u64) -> Store {
    panic!("PostgreSQL needs the feature `postgres`")
}

fn print(backend: &str, n: u64, f: &Figures, r: &Retention) {
    println!("{backend}, {n} errors:");
    for (what, t) in f {
        println!(
            "  {what:<34} p50 {:>9.2} ms  p99 {:>9.2} ms  ({} queries, {:.0} rows an answer)",
            ms(t.p50),
            ms(t.p99),
            t.n,
            t.rows
        );
    }
    println!(
        "  retention: deleted {} (oldest 10%) in {:.1} s; writer batch p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} batches); alone in the same run p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        r.deleted,
        r.took.as_secs_f64(),
        ms(r.during.p50),
        ms(r.during.p99),
        ms(r.during.max),
        r.during.n,
        ms(r.control.p50),
        ms(r.control.p99),
        ms(r.control.max),
    );
}

fn target(what: &str) -> Option<f64> {
    if what.starts_with("lookup") {
        Some(5.0)
    } else if what.starts_with("recent") {
        Some(100.0)
    } else if what.starts_with("stats") {
        Some(250.0)
    } else {
        None
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn main() {
    let sizes: Vec<u64> = std::env::var("ERRCAT_BENCH_SIZES")
        .unwrap_or_else(|_| "1000000,10000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("ERRCAT_BENCH_SIZES: numbers"))
        .collect();
    let queries: usize = std::env::var("ERRCAT_BENCH_QUERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut backends = vec!["SQLite"];
    if cfg!(feature = "postgres") && std::env::var("ERRCAT_TEST_POSTGRES_URL").is_ok() {
        backends.push("PostgreSQL");
    } else {
        println!("PostgreSQL: skipped (needs the feature `postgres` and ERRCAT_TEST_POSTGRES_URL)");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for backend in backends {
            let mut all = Vec::new();
            for &n in &sizes {
                let store = open(backend, n).await;
                let figures = measure(&store, n, queries).await;
                let r = retention(&store, n).await;
                print(backend, n, &figures, &r);
                store.close().await;
                all.push((n, figures, r));
            }
            let (Some((small, f1, r1)), Some((large, f2, r2))) = (all.first(), all.last()) else {
                continue;
            };
            if small == large {
                continue;
            }
            println!("{backend}: {large} errors against {small} (p99; growth target <= 1.5x):");
            for (what, t2) in f2 {
                let t1 = f1[what];
                let growth = ms(t2.p99) / ms(t1.p99).max(1e-6);
                let goal = target(what).unwrap_or(f64::INFINITY);
                println!(
                    "  {what:<34} {:>9.2} ms -> {:>9.2} ms  {growth:>5.2}x  growth {}; p99 < {goal:.0} ms {}; rows an answer {:.0} -> {:.0}",
                    ms(t1.p99),
                    ms(t2.p99),
                    verdict(growth <= 1.5),
                    verdict(ms(t2.p99) < goal),
                    t1.rows,
                    t2.rows,
                );
            }
            let stall = ms(r2.during.p99);
            println!(
                "  retention writer stall p99       {:>9.2} ms -> {stall:>9.2} ms  {:>5.2}x  growth {}; p99 < 100 ms {}",
                ms(r1.during.p99),
                stall / ms(r1.during.p99).max(1e-6),
                verdict(stall / ms(r1.during.p99).max(1e-6) <= 1.5),
                verdict(stall < 100.0),
            );
        }
    });
}
