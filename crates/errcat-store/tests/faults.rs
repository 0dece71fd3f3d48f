//! Faults: a server killed with SIGKILL under load, PostgreSQL connections
//! cut mid-run, and hostile requests — the log stays consistent and loses
//! at most what it counted as dropped.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use errcat_store::{ErrorLog, ErrorRecord, Filter, Store, WriterConfig};

/// The environment variable that makes `crash_child_process` the writer.
const CHILD_URL: &str = "ERRCAT_CRASH_CHILD_URL";

/// This test binary, run as the child of the SIGKILL test: its one ignored
/// test, which then writes to the log at `url`.
fn crash_child(url: &str) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["crash_child_process", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_URL, url);
    c
}

/// The child of `sigkill_under_load_leaves_every_committed_batch` (not a
/// test of its own: run by it, with the log's URL): writes records as fast
/// as it can and prints `committed N` after each commit, until it is
/// killed.
#[test]
#[ignore = "the child process of sigkill_under_load_leaves_every_committed_batch, which runs it"]
fn crash_child_process() {
    let url = std::env::var(CHILD_URL).expect("run by the SIGKILL test, with the log's URL");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::connect(&url).await.expect("store");
        let log = ErrorLog::spawn(
            store,
            WriterConfig {
                batch: 200,
                ..WriterConfig::default()
            },
        );
        let mut i = 0u64;
        let mut last = 0;
        loop {
            for _ in 0..100 {
                let mut r = ErrorRecord::new(
                    format!("crash-{i:09}"),
                    format!("r-{i}"),
                    "INTERNAL_ERROR",
                    500,
                );
                r.body_excerpt = Some("x".repeat(300));
                log.record(r);
                i += 1;
            }
            let written = log.stats().written;
            if written != last {
                println!("committed {written}");
                last = written;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
}

#[tokio::test]
async fn sigkill_under_load_leaves_every_committed_batch() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("errcat.db").display());
    let mut child = crash_child(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut committed = 0u64;
    while committed < 5_000 {
        let Some(Ok(line)) = lines.next() else {
            panic!("the child stopped early")
        };
        if let Some(n) = line.strip_prefix("committed ") {
            committed = n.parse().unwrap();
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let store = Store::connect(&url).await.unwrap();
    if let Store::Sqlite(db) = &store {
        let conn = rusqlite::Connection::open(db.path().expect("a SQLite file")).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM errcat_errors", [], |r| r.get(0))
            .unwrap();
        assert!(
            n as u64 >= committed,
            "{n} records, {committed} reported committed"
        );
    }
    // The log opens and takes new records.
    store
        .insert_batch(&[ErrorRecord::new("after", "r", "NOT_FOUND", 404)])
        .await
        .unwrap();
    assert!(store.by_error_id("after").await.unwrap().is_some());
}

#[tokio::test]
async fn postgres_connections_cut_mid_run() {
    let Some(t) = common::postgres().await else {
        return;
    };
    let app = format!("errcat_cut_{}", std::process::id());
    let url = format!("{}&application_name={app}", t.url);
    let store = Store::connect(&url).await.unwrap();
    let log = ErrorLog::spawn(
        store.clone(),
        WriterConfig {
            batch: 50,
            retry_initial: Duration::from_millis(20),
            ..WriterConfig::default()
        },
    );
    let admin = Store::connect(&common::postgres_url().unwrap())
        .await
        .unwrap();
    let Store::Postgres(admin_pool) = &admin else {
        unreachable!()
    };
    for round in 0..10 {
        for i in 0..100 {
            log.record(ErrorRecord::new(
                format!("cut-{round}-{i}"),
                "r",
                "INTERNAL_ERROR",
                500,
            ));
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        if round % 3 == 1 {
            // The writer reconnects after the previous cut at its own pace
            // (retry backoff, a loaded machine): wait for its connection,
            // then cut it.
            let mut killed: Vec<bool> = Vec::new();
            for _ in 0..250 {
                killed = sqlx::query_scalar("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1")
                    .bind(&app)
                    .fetch_all(admin_pool)
                    .await
                    .unwrap();
                if !killed.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            assert!(
                !killed.is_empty(),
                "round {round}: no connection to cut within 5 s"
            );
        }
    }
    let stats = log.shutdown().await;
    assert_eq!(stats.accepted + stats.dropped, 1000);
    assert_eq!(stats.written, stats.accepted, "{stats:?}");
    let stored = store
        .list(&Filter {
            limit: Some(1000),
            ..Filter::default()
        })
        .await
        .unwrap()
        .len();
    assert_eq!(stored as u64, stats.written);
    admin.close().await;
    store.close().await;
    t.cleanup().await;
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn hostile_requests_are_stored_bounded() {
    use axum::Router;
    use axum::routing::post;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let t = common::sqlite().await;
    let log = ErrorLog::spawn(t.store.clone(), WriterConfig::default());
    let catalog =
        errcat_catalog::Catalog::from_str("[api]\nname = \"t\"\n", "errors.toml").unwrap();
    let app = Router::new()
        .route(
            "/upload",
            post(|body: axum::body::Bytes| async move {
                Err::<String, _>(
                    errcat_render::Error::standard("conflict").with_param("n", body.len() as u64),
                )
            }),
        )
        .layer(
            errcat_axum::ErrcatLayer::new(errcat_render::Renderer::new(catalog))
                .body_limit(8 << 20)
                .observer(log.clone()),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let body: Vec<u8> = (0..1_500_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let mut req = format!(
        "POST /upload HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nUser-Agent: ",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(b"bad\xff\xfe agent\r\nAccept-Language: \xc3\x28\r\n\r\n");
    req.extend_from_slice(&body);
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(&req).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    assert!(
        out.starts_with(b"HTTP/1.1 409"),
        "{}",
        String::from_utf8_lossy(&out[..out.len().min(200)])
    );
    log.shutdown().await;
    let r = &t.store.list(&Filter::default()).await.unwrap()[0];
    let excerpt = r.body_excerpt.as_deref().unwrap();
    assert!(excerpt.len() <= 2048 * 3, "{}", excerpt.len());
    assert_eq!(r.user_agent.as_deref(), Some("bad\u{fffd}\u{fffd} agent"));
}
