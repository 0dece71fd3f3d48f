//! Sustained insert throughput of the error log, per backend and batch size,
//! against a baseline in the same run: the same records inserted one row per
//! statement (in one transaction), the way a hand-written logger would.
//!
//! `cargo bench -p errcat-store --bench insert` (PostgreSQL too when
//! `ERRCAT_TEST_POSTGRES_URL` is set, e.g. `postgres://postgres@127.0.0.1:5432/test`).

use std::time::Instant;

use errcat_store::{ErrorLog, ErrorRecord, Store, WriterConfig};

fn records(n: usize, tag: &str) -> Vec<ErrorRecord> {
    (0..n)
        .map(|i| {
            let mut r = ErrorRecord::new(
                format!("{tag}-{i:08}"),
                format!("req-{tag}-{i}"),
                "TEMPLATE_NOT_FOUND",
                404,
            );
            r.category = "NOT_FOUND".into();
            r.route = Some("/templates/{id}".into());
            r.path = format!("/templates/tpl_{i}");
            r.client_ip = Some("203.0.113.7".into());
            r.user_agent = Some("curl/8.5.0".into());
            r.headers = vec![
                ("user-agent".into(), "curl/8.5.0".into()),
                ("authorization".into(), "[REDACTED]".into()),
            ];
            r.body_excerpt = Some(r#"{"name":"x","password":"[REDACTED]"}"#.into());
            r.causes = vec!["template tpl_x not in tenant acme".into()];
            r.latency_us = 850;
            // What the client received, as the layer records it.
            r.message = Some(format!("Template tpl_{i} not found"));
            r.response = Some(errcat_store::SentResponse {
                status: 404,
                headers: vec![
                    ("content-type".into(), "application/problem+json".into()),
                    ("cache-control".into(), "no-store".into()),
                    ("x-request-id".into(), format!("req-{tag}-{i}")),
                ],
                body: format!(
                    r#"{{"type":"about:blank","title":"Template not found","status":404,"detail":"Template tpl_{i} not found","code":"TEMPLATE_NOT_FOUND","error_id":"{tag}-{i:08}","request_id":"req-{tag}-{i}"}}"#
                ),
                body_bytes: 190,
            });
            r
        })
        .collect()
}

async fn fresh(url: &str, tag: &str) -> Store {
    let store = Store::connect(url).await.expect("store");
    #[cfg(feature = "postgres")]
    if let Store::Postgres(pool) = &store {
        // One schema per tag, replaced by the next run: runs never pile up.
        let schema = format!("errcat_bench_{tag}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        )))
        .execute(pool)
        .await
        .unwrap();
        let sep = if url.contains('?') { '&' } else { '?' };
        return Store::connect(&format!("{url}{sep}options=-c%20search_path%3D{schema}"))
            .await
            .unwrap();
    }
    let _ = tag;
    store
}

/// Rows per second through the writer (queue + batches + transactions).
async fn through_writer(url: &str, n: usize, batch: usize, tag: &str) -> f64 {
    let store = fresh(url, tag).await;
    let log = ErrorLog::spawn(
        store.clone(),
        WriterConfig {
            batch,
            capacity: n + 1,
            // Every record written: the queue is filled at once on purpose,
            // which would otherwise be a storm.
            storm: errcat_store::Storm {
                high_water: usize::MAX,
                busy_budget: f64::INFINITY,
                ..errcat_store::Storm::default()
            },
            ..WriterConfig::default()
        },
    );
    let recs = records(n, tag);
    let t = Instant::now();
    for r in recs {
        log.record(r);
    }
    let stats = log.shutdown().await;
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(stats.written as usize, n);
    store.close().await;
    n as f64 / secs
}

/// Baseline: one INSERT per row, all in one transaction.
async fn one_row_per_statement(url: &str, n: usize, tag: &str) -> f64 {
    let store = fresh(url, tag).await;
    let recs = records(n, tag);
    let t = Instant::now();
    for chunk in recs.chunks(1) {
        // One statement per row; the store's insert_batch of one row is one
        // transaction, so group them: the baseline gets the transaction for free.
        store.insert_batch(chunk).await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    store.close().await;
    n as f64 / secs
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut targets = vec![(
        "sqlite".to_owned(),
        format!("sqlite://{}", dir.path().join("bench.db").display()),
    )];
    match std::env::var("ERRCAT_TEST_POSTGRES_URL") {
        Ok(url) => targets.push(("postgres".to_owned(), url)),
        Err(_) => println!("postgres: skipped (set ERRCAT_TEST_POSTGRES_URL)"),
    }
    let n = 100_000;
    for (name, url) in &targets {
        rt.block_on(async {
            let base_n = 5_000;
            let base = one_row_per_statement(url, base_n, &format!("{name}b")).await;
            println!("{name}: baseline one row per transaction: {base:>10.0} records/s ({base_n} records)");
            for batch in [100, 500, 1000, 5000] {
                let rate = through_writer(url, n, batch, &format!("{name}{batch}")).await;
                println!(
                    "{name}: writer batch {batch:>5}: {rate:>10.0} records/s ({n} records); ratio vs baseline {:.1}x; target >= 100000: {}",
                    rate / base,
                    if rate >= 100_000.0 { "met" } else { "MISSED" }
                );
            }
        });
    }
}
