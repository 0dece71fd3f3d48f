//! A writer under load, for the SIGKILL test in `tests/faults.rs` (not a tool): it writes
//! records to the SQLite log named by its argument as fast as it can and
//! prints `committed N` after each commit, until it is killed.

use std::time::Duration;

use errcat_store::{ErrorLog, ErrorRecord, Store, WriterConfig};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let url = std::env::args()
        .nth(1)
        .expect("usage: crash_child sqlite://FILE");
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
}
