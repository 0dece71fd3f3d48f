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
    r.trace_id = Some(format!("{:032x}", i / 4 + 1));
    r.message = Some(format!("Template {i} not found"));
    r.response = Some(errcat_store::SentResponse {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("retry-after".into(), "30".into()),
        ],
        body: format!(r#"{{"error":{{"code":"{code}","message":"Template {i} not found"}}}}"#),
        body_bytes: 60,
    });
    r.violations = vec![errcat_store::Violation {
        path: "events.0.type".into(),
        message: "unknown variant `teleport`".into(),
        reason: Some("invalid_enum".into()),
    }];
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
        // A trace's errors, oldest first.
        let trace = s.by_trace_id(&format!("{:032x}", 3)).await.unwrap();
        let ids: Vec<&str> = trace.iter().map(|r| r.error_id.as_str()).collect();
        assert_eq!(
            ids,
            ["err-00008", "err-00009", "err-00010", "err-00011"],
            "{}",
            t.name
        );
        assert!(
            s.by_trace_id("nope").await.unwrap().is_empty(),
            "{}",
            t.name
        );
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
                status: Some(500..=500),
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
        assert_eq!(
            s.schema_version().await.unwrap(),
            errcat_store::SCHEMA_VERSION
        );
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
    assert_eq!(
        t.store.schema_version().await.unwrap(),
        errcat_store::SCHEMA_VERSION
    );
    t.cleanup().await;
}

/// Field values an attacker controls (body excerpt, user agent, path, causes)
/// survive the insert path byte for byte: tabs, newlines, carriage returns,
/// backslashes (also before `N` and digits, which COPY's text format would
/// read as escapes), quotes, control characters, non-ASCII, very long
/// strings. NUL, which PostgreSQL's text type cannot hold, is kept by SQLite
/// and stored as U+FFFD by PostgreSQL, except in the headers and causes,
/// stored as JSON text where NUL is escaped, and so kept by both.
#[tokio::test]
async fn hostile_field_values_round_trip() {
    let nasty = [
        "tab\there",
        "line\nfeed\r\ncrlf\rcr",
        r"back\slash \N \\N \0 \t \n \x41 \101 \. \",
        "quote' double\" back`tick ; DROP TABLE errcat_errors; --",
        "nul\0in\0the\0middle\0",
        "\0",
        "ctl \u{1} \u{7} \u{8} \u{b} \u{c} \u{1b}[31m \u{1f} \u{7f}",
        "non-ascii é ü ß 漢字 😀 \u{2028} \u{2029} \u{feff} \u{fffd}",
        "",
        "\\.\n\\.",
        "{\"json\": [1, \"x\\u0000\"]}",
    ];
    let long = "x\ty\\z\n\0é".repeat(30_000); // 270 kB
    for t in common::all().await {
        let mut records = Vec::new();
        for (i, v) in nasty.iter().chain([&long.as_str()]).enumerate() {
            let v = v.to_string();
            // The indexed columns (error id, request id, code) stay short:
            // PostgreSQL refuses b-tree keys over about 2.7 kB, and the layer
            // bounds them (generated ids, inbound request ids of at most 128
            // bytes, catalog codes).
            let short = format!("{i}\t{v:.100}");
            let mut r = ErrorRecord::new(
                format!("hostile-{short}"),
                short.clone(),
                short.clone(),
                400,
            );
            r.trace_id = Some(v.clone());
            r.category = v.clone();
            r.method = v.clone();
            r.route = Some(v.clone());
            r.path = v.clone();
            r.tenant = Some(v.clone());
            r.principal = Some(v.clone());
            r.client_ip = Some(v.clone());
            r.user_agent = Some(v.clone());
            r.headers = vec![(v.clone(), v.clone()), ("x-b".into(), v.clone())];
            r.body_excerpt = Some(v.clone());
            r.causes = vec![v.clone(), String::new(), v.clone()];
            r.panic_message = Some(v.clone());
            r.panic_location = Some(v.clone());
            r.source = v.clone();
            r.latency_us = i64::MAX - i as i64;
            r.timestamp_ms = i64::MIN + i as i64;
            records.push(r);
        }
        // Mixed with ordinary records and None fields, in one batch.
        let mut plain = ErrorRecord::new("hostile-plain", "r", "NOT_FOUND", 404);
        plain.status = u16::MAX;
        records.push(plain);
        t.store
            .insert_batch(&records)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        // Retried: skipped, not duplicated, not an error.
        t.store
            .insert_batch(&records)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        for r in &records {
            let expected = if t.name == "postgres" {
                without_nul(r)
            } else {
                r.clone()
            };
            let got = t
                .store
                .by_error_id(&expected.error_id)
                .await
                .unwrap()
                .unwrap_or_else(|| {
                    panic!(
                        "{}: {:?} missing",
                        t.name,
                        &expected.error_id[..expected.error_id.len().min(40)]
                    )
                });
            assert!(
                got == expected,
                "{}: {:?} differs",
                t.name,
                &r.error_id[..r.error_id.len().min(40)]
            );
            let by_req = t.store.by_request_id(&expected.request_id).await.unwrap();
            assert!(by_req.contains(&expected), "{}", t.name);
        }
        let all = t
            .store
            .list(&Filter {
                limit: Some(1000),
                ..Filter::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), records.len(), "{}", t.name);
        t.cleanup().await;
    }
}

fn without_nul(r: &ErrorRecord) -> ErrorRecord {
    let f = |s: &String| s.replace('\0', "\u{fffd}");
    let o = |s: &Option<String>| s.as_ref().map(f);
    ErrorRecord {
        error_id: f(&r.error_id),
        request_id: f(&r.request_id),
        trace_id: o(&r.trace_id),
        code: f(&r.code),
        category: f(&r.category),
        method: f(&r.method),
        route: o(&r.route),
        path: f(&r.path),
        tenant: o(&r.tenant),
        principal: o(&r.principal),
        client_ip: o(&r.client_ip),
        user_agent: o(&r.user_agent),
        body_excerpt: o(&r.body_excerpt),
        panic_message: o(&r.panic_message),
        panic_location: o(&r.panic_location),
        source: f(&r.source),
        message: o(&r.message),
        ..r.clone()
    }
}

/// A batch holding stored error ids and the same id twice stores each new
/// record once and fails nothing (PostgreSQL's plain INSERT hits a unique
/// violation and the batch is inserted again skipping stored ids).
#[tokio::test]
async fn partly_stored_batches_store_only_the_new_records() {
    for t in common::all().await {
        let s = &t.store;
        let first: Vec<ErrorRecord> = (0..600)
            .map(|i| rec(i, 1_000 + i as i64, "A", 500))
            .collect();
        s.insert_batch(&first).await.unwrap();
        let mut second: Vec<ErrorRecord> = (300..1300)
            .map(|i| rec(i, 1_000 + i as i64, "B", 500))
            .collect();
        second.push(rec(1299, 0, "C", 500)); // the same id twice in one batch
        s.insert_batch(&second).await.unwrap();
        let all = s
            .list(&Filter {
                limit: Some(1000),
                ..Filter::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 1000, "{}", t.name);
        let counts = s.counts(0, 1_000_000).await.unwrap();
        let total: i64 = counts.iter().map(|c| c.count).sum();
        assert_eq!(total, 1300, "{}", t.name);
        // Stored records are kept as first written.
        assert_eq!(s.by_error_id("err-00300").await.unwrap().unwrap().code, "A");
        assert_eq!(s.by_error_id("err-00600").await.unwrap().unwrap().code, "B");
        assert_eq!(s.by_error_id("err-01299").await.unwrap().unwrap().code, "B");
        t.cleanup().await;
    }
}

/// A log written before errcat kept the response (schema version 2) is
/// migrated in place: its records read back without a response, new ones
/// with theirs.
#[tokio::test]
async fn a_version_2_log_gains_the_response_columns_weights_and_counts_by_minute_and_hour() {
    for t in common::all().await {
        let s = &t.store;
        // The log as version 2 left it.
        let downgrade = [
            "ALTER TABLE errcat_errors DROP COLUMN message",
            "ALTER TABLE errcat_errors DROP COLUMN response",
            "ALTER TABLE errcat_errors DROP COLUMN violations",
            "ALTER TABLE errcat_errors DROP COLUMN weight",
            "DROP TABLE errcat_counts",
            "DROP TABLE errcat_counts_hourly",
            "DROP INDEX errcat_errors_tenant_ts",
            "DROP INDEX errcat_errors_route_ts",
            "DELETE FROM errcat_schema WHERE version > 2",
            "INSERT INTO errcat_errors (error_id, request_id, ts_ms, code, status, category, method, path, headers, causes, latency_us, source) \
             VALUES ('old-1', 'req-old', 5, 'NOT_FOUND', 404, 'NOT_FOUND', 'GET', '/x', '[]', '[]', 7, 'raised')",
        ];
        for sql in downgrade {
            common::execute(s, sql).await;
        }
        assert_eq!(s.schema_version().await.unwrap(), 2, "{}", t.name);
        s.migrate().await.unwrap();
        assert_eq!(
            s.schema_version().await.unwrap(),
            errcat_store::SCHEMA_VERSION,
            "{}",
            t.name
        );
        let old = s.by_error_id("old-1").await.unwrap().unwrap();
        assert_eq!(
            (old.message, old.response, old.violations.len(), old.weight),
            (None, None, 0, 1)
        );
        // The counts, per minute and per hour, start from the records stored.
        for bucket in [60_000, 3_600_000] {
            let counts = s.counts(0, bucket).await.unwrap();
            assert_eq!(
                counts
                    .iter()
                    .map(|c| (c.bucket_ms, c.code.as_str(), c.count))
                    .collect::<Vec<_>>(),
                vec![(0, "NOT_FOUND", 1)],
                "{}: {bucket}",
                t.name
            );
        }
        let new = rec(1, 10, "NOT_FOUND", 404);
        s.insert_batch(std::slice::from_ref(&new)).await.unwrap();
        assert_eq!(
            s.by_error_id(&new.error_id).await.unwrap().as_ref(),
            Some(&new),
            "{}",
            t.name
        );
        t.cleanup().await;
    }
}

/// Filters as support types them (a status class, a tenant in another case,
/// a concrete path, a message) and errors grouped like an issue list.
#[tokio::test]
async fn forgiving_filters_and_groups() {
    for t in common::all().await {
        let s = &t.store;
        let mut records = Vec::new();
        for i in 0..30 {
            // 20 alike (two buckets), 10 of another message on one path.
            let mut r = rec(i, 60_000 * (i as i64 / 10), "MISSING_TOKEN", 401);
            r.route = Some("/api/{provider}/sync".into());
            r.path = if i < 20 {
                "/api/shopify/sync"
            } else {
                "/api/stripe/sync"
            }
            .into();
            r.tenant = Some("Acme".into());
            r.message = Some(if i < 20 { "No token" } else { "Token expired" }.into());
            records.push(r);
        }
        let mut other = rec(99, 200_000, "INTERNAL_ERROR", 500);
        other.route = None;
        other.path = "/raw".into();
        other.message = None;
        records.push(other);
        s.insert_batch(&records).await.unwrap();
        let count = |f: Filter| async move {
            s.list(&Filter {
                limit: Some(1000),
                ..f
            })
            .await
            .unwrap()
            .len()
        };
        let tenant = count(Filter {
            tenant: Some("ACME".into()),
            ..Filter::default()
        })
        .await;
        assert_eq!(tenant, 30, "{}", t.name);
        let class = count(Filter {
            status: Some(400..=499),
            ..Filter::default()
        })
        .await;
        assert_eq!(class, 30, "{}", t.name);
        let fives = count(Filter {
            status: Some(500..=599),
            ..Filter::default()
        })
        .await;
        assert_eq!(fives, 1, "{}", t.name);
        let path = count(Filter {
            route: Some("/api/stripe/sync".into()),
            ..Filter::default()
        })
        .await;
        assert_eq!(path, 10, "{}", t.name);
        let template = count(Filter {
            route: Some("/api/{provider}/sync".into()),
            ..Filter::default()
        })
        .await;
        assert_eq!(template, 30, "{}", t.name);
        let message = count(Filter {
            message: Some("Token expired".into()),
            ..Filter::default()
        })
        .await;
        assert_eq!(message, 10, "{}", t.name);

        let grouped = s.groups(&Filter::default(), 60_000).await.unwrap();
        // Every error of the window read: the groups count them all.
        assert_eq!((grouped.errors, grouped.cut_ms), (31, None), "{}", t.name);
        let groups = grouped.groups;
        let summary: Vec<(&str, &str, Option<&str>, i64, usize)> = groups
            .iter()
            .map(|g| {
                (
                    g.code.as_str(),
                    g.route.as_str(),
                    g.message.as_deref(),
                    g.count,
                    g.buckets.len(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("INTERNAL_ERROR", "/raw", None, 1, 1),
                (
                    "MISSING_TOKEN",
                    "/api/{provider}/sync",
                    Some("Token expired"),
                    10,
                    1
                ),
                (
                    "MISSING_TOKEN",
                    "/api/{provider}/sync",
                    Some("No token"),
                    20,
                    2
                ),
            ],
            "{}",
            t.name
        );
        let g = &groups[2];
        assert_eq!((g.first_ms, g.last_ms, g.status), (0, 60_000, 401));
        assert_eq!(g.buckets, [(0, 10), (60_000, 10)]);
        assert_eq!(g.sample_error_id, "err-00019");
        let limited = s
            .groups(
                &Filter {
                    limit: Some(1),
                    status: Some(401..=401),
                    ..Filter::default()
                },
                60_000,
            )
            .await
            .unwrap()
            .groups;
        assert_eq!(limited.len(), 1);
        assert_eq!(limited[0].message.as_deref(), Some("Token expired"));
        t.cleanup().await;
    }
}
