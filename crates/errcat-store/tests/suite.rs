//! One suite, every backend: SQLite always, PostgreSQL when configured.

mod common;

use errcat_store::{ErrorRecord, Filter, StoreErrorKind};

fn rec(i: usize, ts: i64, code: &str, status: u16) -> ErrorRecord {
    let mut r = ErrorRecord::new(
        format!("err-{i:05}"),
        format!("req-{}", i / 2),
        code,
        status,
    );
    r.timestamp_ms = ts;
    r.category = if status >= 500 {
        "INTERNAL"
    } else {
        "VALIDATION"
    }
    .to_owned();
    r.route = Some(if i.is_multiple_of(3) { "/a/{id}" } else { "/b" }.to_owned());
    r.path = format!("/a/{i}");
    r.tenant = Some(if i.is_multiple_of(2) { "t1" } else { "t2" }.to_owned());
    r.headers = vec![
        ("user-agent".into(), "curl/8".into()),
        ("authorization".into(), "[REDACTED]".into()),
    ];
    r.causes = vec!["db: timeout".into(), "pool exhausted".into()];
    r.body_excerpt = Some(r#"{"a":1}"#.into());
    r.latency_us = 1234;
    r
}

#[tokio::test]
async fn store_round_trips_and_queries() {
    for t in common::all().await {
        let s = &t.store;
        assert_eq!(
            s.schema_version().await.unwrap(),
            errcat_store::SCHEMA_VERSION,
            "{}",
            t.name
        );
        let records: Vec<ErrorRecord> = (0..40)
            .map(|i| {
                rec(
                    i,
                    1_000_000 + (i as i64) * 1000,
                    if i.is_multiple_of(4) {
                        "INTERNAL_ERROR"
                    } else {
                        "NOT_FOUND"
                    },
                    if i.is_multiple_of(4) { 500 } else { 404 },
                )
            })
            .collect();
        s.insert_batch(&records).await.unwrap();
        // A retried batch does not duplicate.
        s.insert_batch(&records[..5]).await.unwrap();

        let got = s.by_error_id("err-00007").await.unwrap().unwrap();
        assert_eq!(got, records[7], "{}", t.name);
        assert_eq!(s.by_error_id("nope").await.unwrap(), None);
        let by_req = s.by_request_id("req-3").await.unwrap();
        assert_eq!(
            by_req
                .iter()
                .map(|r| r.error_id.as_str())
                .collect::<Vec<_>>(),
            ["err-00006", "err-00007"]
        );

        // Newest first, filtered, paginated.
        let f = Filter {
            code: Some("NOT_FOUND".into()),
            tenant: Some("t1".into()),
            limit: Some(5),
            ..Filter::default()
        };
        let page1 = s.list(&f).await.unwrap();
        let ids: Vec<&str> = page1.iter().map(|r| r.error_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "err-00038",
                "err-00034",
                "err-00030",
                "err-00026",
                "err-00022"
            ],
            "{}",
            t.name
        );
        let last = page1.last().unwrap();
        let page2 = s
            .list(&Filter {
                after: Some((last.timestamp_ms, last.error_id.clone())),
                ..f.clone()
            })
            .await
            .unwrap();
        let ids: Vec<&str> = page2.iter().map(|r| r.error_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "err-00018",
                "err-00014",
                "err-00010",
                "err-00006",
                "err-00002"
            ]
        );
        let ranged = s
            .list(&Filter {
                status: Some(500),
                since_ms: Some(1_010_000),
                until_ms: Some(1_020_000),
                ..Filter::default()
            })
            .await
            .unwrap();
        assert_eq!(
            ranged
                .iter()
                .map(|r| r.error_id.as_str())
                .collect::<Vec<_>>(),
            ["err-00016", "err-00012"]
        );
        let routed = s
            .list(&Filter {
                route: Some("/a/{id}".into()),
                category: Some("INTERNAL".into()),
                limit: Some(100),
                ..Filter::default()
            })
            .await
            .unwrap();
        assert_eq!(routed.len(), 4, "{}", t.name);

        // Counts per code per 10 s bucket.
        let counts = s.counts(1_000_000, 10_000).await.unwrap();
        let view: Vec<(i64, &str, i64)> = counts
            .iter()
            .map(|c| (c.bucket_ms, c.code.as_str(), c.count))
            .collect();
        assert_eq!(
            view,
            [
                (1_000_000, "INTERNAL_ERROR", 3),
                (1_000_000, "NOT_FOUND", 7),
                (1_010_000, "INTERNAL_ERROR", 2),
                (1_010_000, "NOT_FOUND", 8),
                (1_020_000, "INTERNAL_ERROR", 3),
                (1_020_000, "NOT_FOUND", 7),
                (1_030_000, "INTERNAL_ERROR", 2),
                (1_030_000, "NOT_FOUND", 8),
            ],
            "{}",
            t.name
        );

        // Retention.
        assert_eq!(s.delete_older_than(1_020_000).await.unwrap(), 20);
        assert_eq!(
            s.list(&Filter {
                limit: Some(1000),
                ..Filter::default()
            })
            .await
            .unwrap()
            .len(),
            20
        );

        // Migrations are idempotent.
        s.migrate().await.unwrap();
        assert_eq!(s.schema_version().await.unwrap(), 1);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn bad_urls_are_clear_errors() {
    let e = errcat_store::Store::connect("mysql://x").await.unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::UnsupportedUrl);
    assert_eq!(
        e.to_string(),
        "unsupported error log URL `mysql://x`: use sqlite://FILE or postgres://…"
    );
    let e = errcat_store::Store::connect("postgres://u:hunter2@127.0.0.1:1/db")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Connect);
    assert!(!e.to_string().contains("hunter2"), "{e}");
    assert!(
        e.to_string()
            .starts_with("cannot open the error log at postgres://u:***@127.0.0.1:1/db: "),
        "{e}"
    );
}

#[tokio::test]
async fn several_processes_migrate_one_database() {
    let Some(t) = common::postgres().await else {
        return;
    };
    // Many pools connecting at once to a fresh schema must not race.
    let mut joins = Vec::new();
    for _ in 0..6 {
        let url = t.url.clone();
        joins.push(tokio::spawn(async move {
            errcat_store::Store::connect(&url).await.map(|_| ())
        }));
    }
    for j in joins {
        j.await.unwrap().unwrap();
    }
    assert_eq!(t.store.schema_version().await.unwrap(), 1);
    t.cleanup().await;
}
