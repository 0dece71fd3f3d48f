//! The error path with the error log off and on, for `bench/store_overhead.sh`:
//!
//! | port | `GET /err` (a catalog error with one parameter) through `ErrcatLayer` … |
//! |---|---|
//! | N | alone (log off) |
//! | N+1 | with an `ErrorLog` on a SQLite file as its observer (log on) |
//! | N+2 | with an observer that drops each event: the layer's own cost of having an observer (the event and the redacted request it carries) |
//! | N+3 | with the least a durable per-error SQLite log can do ([`FloorLog`]) |
//!
//! `cargo run --release -p errcat-store --features axum --example loadtest_store -- 18090 /tmp/errcat-load.db`

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use errcat_axum::{ErrcatLayer, ErrorEvent, ErrorObserver, ObserveFuture};
use errcat_store::{ErrorLog, Store, WriterConfig};

use errcat_bench_support::shop_app;

use shop_app::errcat_router as app;

async fn serve(port: u16, app: Router) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
}

/// One row of [`FloorLog`]: the ids, the code, the status, the time.
type FloorRow = (String, Arc<str>, Arc<str>, u16, i64);

/// The least a durable per-error SQLite log can do: the ids, code, status and
/// time of each error, handed to a thread of its own through a bounded
/// channel (dropped and counted when full) and inserted into a table with a
/// primary key and no other index, in transactions of up to the error log's
/// default batch (1,000) gathered for up to its default linger (20 ms), in
/// WAL mode with `synchronous = NORMAL` (the error log's settings). It
/// records a fraction of what the error log records and keeps no index to
/// find a record by request id, code or time; what it costs, any log that
/// writes a row per error on the server's core costs at least.
struct FloorLog {
    tx: mpsc::SyncSender<FloorRow>,
    counts: Arc<FloorCounts>,
}

#[derive(Default)]
struct FloorCounts {
    written: AtomicU64,
    dropped: AtomicU64,
}

impl FloorLog {
    fn spawn(path: &str) -> (Self, Arc<FloorCounts>) {
        let conn = rusqlite::Connection::open(path).expect("floor database");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("WAL");
        conn.pragma_update(None, "synchronous", "NORMAL")
            .expect("synchronous");
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS errors (error_id TEXT PRIMARY KEY, request_id TEXT NOT NULL, \
             code TEXT NOT NULL, status INTEGER NOT NULL, ts INTEGER NOT NULL)",
        )
        .expect("floor table");
        let (tx, rx) = mpsc::sync_channel::<FloorRow>(WriterConfig::default().capacity);
        let counts = Arc::new(FloorCounts::default());
        let counted = Arc::clone(&counts);
        std::thread::Builder::new()
            .name("floor-log-writer".to_owned())
            .spawn(move || {
                let mut conn = conn;
                let mut batch = Vec::with_capacity(1_000);
                while let Ok(first) = rx.recv() {
                    batch.push(first);
                    let until = Instant::now() + Duration::from_millis(20);
                    while batch.len() < 1_000 {
                        match rx.try_recv() {
                            Ok(row) => batch.push(row),
                            Err(mpsc::TryRecvError::Empty) if Instant::now() < until => {
                                std::thread::sleep(Duration::from_millis(2));
                            }
                            Err(_) => break,
                        }
                    }
                    let n = batch.len() as u64;
                    let t = conn.transaction().expect("begin");
                    {
                        let mut insert = t
                            .prepare_cached("INSERT INTO errors VALUES (?1, ?2, ?3, ?4, ?5)")
                            .expect("prepare");
                        for (error_id, request_id, code, status, ts) in batch.drain(..) {
                            insert
                                .execute(rusqlite::params![
                                    error_id,
                                    &*request_id,
                                    &*code,
                                    status,
                                    ts
                                ])
                                .expect("insert");
                        }
                    }
                    t.commit().expect("commit");
                    counted.written.fetch_add(n, Ordering::Relaxed);
                }
            })
            .expect("floor writer");
        (
            FloorLog {
                tx,
                counts: Arc::clone(&counts),
            },
            counts,
        )
    }
}

impl ErrorObserver for FloorLog {
    fn observe(&self, event: errcat_axum::Observed<'_>) -> Option<ObserveFuture> {
        let event = event.into_owned();
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        let row = (
            event.error_id,
            event.request_id,
            event.code,
            event.status,
            ts,
        );
        if self.tx.try_send(row).is_err() {
            self.counts.dropped.fetch_add(1, Ordering::Relaxed);
        }
        None
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args.get(1).and_then(|p| p.parse().ok()).unwrap_or(18090);
    let db = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "/tmp/errcat-load.db".to_owned());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let renderer = shop_app::renderer();
        let store = Store::connect(&format!("sqlite://{db}"))
            .await
            .expect("store");
        let log = ErrorLog::spawn(store, WriterConfig::default());
        let (floor, floor_counts) = FloorLog::spawn(&format!("{db}.floor"));
        serve(port, app(ErrcatLayer::new(renderer.clone()))).await;
        serve(
            port + 1,
            app(ErrcatLayer::new(renderer.clone()).observer(log.clone())),
        )
        .await;
        serve(
            port + 2,
            app(ErrcatLayer::new(renderer.clone()).observer(|_: &ErrorEvent| {})),
        )
        .await;
        serve(port + 3, app(ErrcatLayer::new(renderer).observer(floor))).await;
        println!(
            "ready: off http://127.0.0.1:{port}/err, on http://127.0.0.1:{}/err, \
             event http://127.0.0.1:{}/err, floor http://127.0.0.1:{}/err",
            port + 1,
            port + 2,
            port + 3
        );
        tokio::signal::ctrl_c().await.ok();
        let stats = log.shutdown().await;
        println!(
            "log: accepted {} written {} dropped {} sampled out {}",
            stats.accepted, stats.written, stats.dropped, stats.sampled_out
        );
        // The floor's queue is not flushed at exit (its sender lives in the
        // served routers): what it wrote by now, after its linger.
        tokio::time::sleep(Duration::from_millis(100)).await;
        println!(
            "floor: written {} dropped {}",
            floor_counts.written.load(Ordering::Relaxed),
            floor_counts.dropped.load(Ordering::Relaxed)
        );
    });
}
