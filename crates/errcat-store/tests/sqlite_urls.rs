//! The SQLite URLs the store opens, and the clear errors for those it
//! cannot: every connection (the readers' and the writer's) opens the same
//! database with the same settings.

use errcat_store::{ErrorRecord, Store, StoreErrorKind};

fn record(id: &str) -> ErrorRecord {
    let mut r = ErrorRecord::new(id.to_owned(), "req-1".to_owned(), "NOT_FOUND", 404);
    r.timestamp_ms = 1_700_000_000_000;
    r
}

#[tokio::test]
async fn an_in_memory_log_is_one_database_per_store() {
    let a = Store::connect("sqlite::memory:").await.unwrap();
    let b = Store::connect("sqlite://:memory:").await.unwrap();
    // The insert connection and the readers see the same database…
    a.insert_batch(&[record("err-a")]).await.unwrap();
    let found = a.by_error_id("err-a").await.unwrap().expect("stored");
    assert_eq!((found.code.as_str(), found.status), ("NOT_FOUND", 404));
    assert_eq!(
        a.schema_version().await.unwrap(),
        errcat_store::SCHEMA_VERSION
    );
    // …and another in-memory store is another database.
    assert!(b.by_error_id("err-a").await.unwrap().is_none());
    let Store::Sqlite(db) = &a else {
        unreachable!("a SQLite URL")
    };
    assert_eq!(db.path(), None);
}

#[tokio::test]
async fn a_file_log_is_in_wal_mode_and_shared_by_its_connections() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("log.db");
    for url in [
        format!("sqlite://{}", file.display()),
        format!("sqlite:{}?mode=rwc", file.display()),
    ] {
        let store = Store::connect(&url).await.unwrap();
        store.insert_batch(&[record(&url)]).await.unwrap();
        assert!(store.by_error_id(&url).await.unwrap().is_some(), "{url}");
        store.close().await;
    }
    let conn = rusqlite::Connection::open(&file).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM errcat_errors", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn urls_it_cannot_open_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let cases = [
        (
            format!("sqlite://{}?mode=rw", missing.display()),
            StoreErrorKind::Connect,
            format!("cannot open the error log at {}: ", missing.display()),
        ),
        (
            format!("sqlite://{}", dir.path().display()),
            StoreErrorKind::Connect,
            format!("cannot open the error log at {}: ", dir.path().display()),
        ),
        (
            "sqlite://x.db?cache=private".to_owned(),
            StoreErrorKind::UnsupportedUrl,
            "cannot open the error log at sqlite://x.db?cache=private: unsupported option \
             `cache=private` (supported: mode=rwc, mode=rw, mode=memory)"
                .to_owned(),
        ),
        (
            "sqlite://".to_owned(),
            StoreErrorKind::UnsupportedUrl,
            "cannot open the error log at sqlite://: no file named (use sqlite://FILE)".to_owned(),
        ),
    ];
    for (url, kind, message) in cases {
        let e = Store::connect(&url).await.expect_err(&url);
        assert_eq!(e.kind(), kind, "{url}: {e}");
        assert!(e.to_string().starts_with(&message), "{url}: {e}");
    }
    assert!(!missing.exists(), "mode=rw created the file");
}

#[tokio::test]
async fn a_closed_log_refuses_queries_and_inserts() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    store.insert_batch(&[record("err-1")]).await.unwrap();
    store.close().await;
    let e = store.by_error_id("err-1").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.to_string().as_str()),
        (StoreErrorKind::Connect, "the error log is closed")
    );
    let e = store.insert_batch(&[record("err-2")]).await.unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Connect);
}
