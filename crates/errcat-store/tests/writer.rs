//! The writer: batching, flushing on shutdown, dropping when full, waiting,
//! sampling, and retrying while the database is unavailable.

mod common;

use std::time::Duration;

use errcat_store::{Backpressure, ErrorLog, ErrorRecord, Filter, Recorded, Sampling, WriterConfig};

fn rec(i: usize, status: u16) -> ErrorRecord {
    let mut r = ErrorRecord::new(
        format!("e{i}"),
        format!("r{i}"),
        if status >= 500 {
            "INTERNAL_ERROR"
        } else {
            "NOT_FOUND"
        },
        status,
    );
    r.category = "X".into();
    r
}

async fn count(t: &common::TestStore) -> usize {
    t.store
        .list(&Filter {
            limit: Some(1000),
            ..Filter::default()
        })
        .await
        .unwrap()
        .len()
        + if t
            .store
            .list(&Filter {
                limit: Some(1000),
                ..Filter::default()
            })
            .await
            .unwrap()
            .len()
            == 1000
        {
            1
        } else {
            0
        }
}

#[tokio::test]
async fn shutdown_flushes_every_accepted_record() {
    for t in common::all().await {
        let log = ErrorLog::spawn(
            t.store.clone(),
            WriterConfig {
                batch: 64,
                ..WriterConfig::default()
            },
        );
        for i in 0..700 {
            assert_eq!(log.record(rec(i, 500)), Recorded::Queued);
        }
        let stats = log.shutdown().await;
        assert_eq!(
            (stats.accepted, stats.written, stats.dropped),
            (700, 700, 0),
            "{}",
            t.name
        );
        assert_eq!(count(&t).await, 700);
        // After shutdown nothing is accepted, and it says so.
        assert_eq!(log.record(rec(9999, 500)), Recorded::Dropped);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_full_queue_drops_and_counts_and_the_writer_retries_until_the_database_is_back() {
    let t = common::sqlite().await;
    // Take the table away: every write of the log fails until it is back.
    on_another_connection(
        &t,
        "DROP TABLE errcat_errors; DROP TABLE errcat_counts; DROP TABLE errcat_counts_hourly; DELETE FROM errcat_schema",
    )
    .await;

    let log = ErrorLog::spawn(
        t.store.clone(),
        WriterConfig {
            capacity: 8,
            batch: 4,
            linger: Duration::from_millis(1),
            retry_initial: Duration::from_millis(10),
            retry_max: Duration::from_millis(50),
            ..WriterConfig::default()
        },
    );
    let mut outcomes = Vec::new();
    for i in 0..40 {
        outcomes.push(log.record(rec(i, 500)));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let queued = outcomes.iter().filter(|o| **o == Recorded::Queued).count();
    let dropped = outcomes.iter().filter(|o| **o == Recorded::Dropped).count();
    assert!(
        dropped > 0 && queued >= 8,
        "queued {queued}, dropped {dropped}"
    );
    assert_eq!(log.stats().dropped as usize, dropped);

    // The table comes back: everything accepted is written.
    tokio::time::sleep(Duration::from_millis(100)).await;
    t.store.migrate().await.unwrap();
    let stats = log.shutdown().await;
    assert_eq!(stats.written as usize, queued, "{stats:?}");
    assert!(stats.failed_writes > 0, "{stats:?}");
    assert_eq!(count(&t).await, queued);
}

#[tokio::test]
async fn waiting_backpressure_loses_nothing() {
    let t = common::sqlite().await;
    let log = ErrorLog::spawn(
        t.store.clone(),
        WriterConfig {
            capacity: 2,
            batch: 2,
            backpressure: Backpressure::Wait,
            ..WriterConfig::default()
        },
    );
    for i in 0..300 {
        assert_eq!(log.record_wait(rec(i, 404)).await, Recorded::Queued);
    }
    let stats = log.shutdown().await;
    assert_eq!((stats.written, stats.dropped), (300, 0));
}

#[tokio::test]
async fn sampling_keeps_every_5xx() {
    let t = common::sqlite().await;
    let mut sampling = Sampling::default();
    sampling.per_code.insert("NOT_FOUND".into(), 0.0);
    sampling.per_category.insert("X".into(), 0.5);
    let log = ErrorLog::spawn(
        t.store.clone(),
        WriterConfig {
            sampling,
            ..WriterConfig::default()
        },
    );
    let mut kept_4xx = 0;
    for i in 0..200 {
        assert_eq!(log.record(rec(i, 500)), Recorded::Queued);
        assert_eq!(log.record(rec(1000 + i, 404)), Recorded::SampledOut);
        let mut other = rec(2000 + i, 409);
        other.code = "CONFLICT".into();
        if log.record(other) == Recorded::Queued {
            kept_4xx += 1;
        }
    }
    assert!(
        (60..140).contains(&kept_4xx),
        "about half of the category's 4xx: {kept_4xx}"
    );
    let stats = log.shutdown().await;
    assert_eq!(stats.written, 200 + kept_4xx);
    assert_eq!(stats.sampled_out, 200 + (200 - kept_4xx));
}

/// A record the database refuses as data (here a request id too large for
/// PostgreSQL's index) is set aside and counted; it does not block the
/// records around it, and the writer keeps writing.
#[tokio::test]
async fn a_refused_record_is_set_aside_and_the_rest_written() {
    let Some(t) = common::postgres().await else {
        return;
    };
    // Hex of pseudo-random bytes compresses poorly: well over the ~2.7 kB
    // a btree index entry may hold.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let huge: String = (0..12_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b"0123456789abcdef"[(x & 15) as usize])
        })
        .collect();
    refused_record_is_set_aside(&t, huge).await;
    t.cleanup().await;
}

/// The same on SQLite, whose log writes from a thread of its own: a record
/// the database refuses (here by a trigger, as a constraint) is set aside,
/// the records around it are written.
#[tokio::test]
async fn sqlite_a_refused_record_is_set_aside_and_the_rest_written() {
    let t = common::sqlite().await;
    on_another_connection(
        &t,
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON errcat_errors \
         WHEN NEW.request_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )
    .await;
    refused_record_is_set_aside(&t, "poison".to_owned()).await;
}

/// Runs `sql` on the SQLite test store from a connection of its own.
async fn on_another_connection(t: &common::TestStore, sql: &'static str) {
    let path = t.url.trim_start_matches("sqlite://");
    let other = rusqlite::Connection::open(path).unwrap();
    other.execute_batch(sql).unwrap();
}

/// Logs 40 records, the 18th (`e17`) with `request_id` set to `refused`,
/// which the database refuses: it is set aside and counted, the other 39
/// are written.
async fn refused_record_is_set_aside(t: &common::TestStore, refused: String) {
    let log = ErrorLog::spawn(
        t.store.clone(),
        WriterConfig {
            batch: 50,
            linger: Duration::from_millis(50),
            retry_initial: Duration::from_millis(10),
            ..WriterConfig::default()
        },
    );
    for i in 0..40 {
        let mut r = rec(i, 500);
        if i == 17 {
            r.request_id = refused.clone();
        }
        assert_eq!(log.record(r), Recorded::Queued);
    }
    let stats = log.shutdown().await;
    assert_eq!((stats.written, stats.rejected), (39, 1), "{stats:?}");
    assert_eq!(count(t).await, 39);
    assert!(t.store.by_error_id("e17").await.unwrap().is_none());
    assert!(t.store.by_error_id("e18").await.unwrap().is_some());
}

/// An endless `linger` is taken as an hour (no overflowing deadline), an
/// endless batch reserves no endless room, an endless queue is as long as
/// tokio allows, and shutting down still writes the partial batch at once.
#[tokio::test]
async fn an_endless_linger_or_batch_still_flushes_on_shutdown() {
    for t in common::all().await {
        let log = ErrorLog::spawn(
            t.store.clone(),
            WriterConfig {
                linger: Duration::MAX,
                batch: usize::MAX,
                capacity: usize::MAX,
                ..WriterConfig::default()
            },
        );
        for i in 0..3 {
            assert_eq!(log.record(rec(i, 500)), Recorded::Queued);
        }
        let stats = tokio::time::timeout(Duration::from_secs(10), log.shutdown())
            .await
            .unwrap_or_else(|_| panic!("{}: shutdown waited for the linger", t.name));
        assert_eq!((stats.written, stats.dropped), (3, 0), "{}", t.name);
        assert_eq!(count(&t).await, 3);
        t.cleanup().await;
    }
}
