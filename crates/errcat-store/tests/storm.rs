//! An error storm: when the writer is behind, 4xx records are sampled —
//! the first of each (code, route) each minute, then one in many with its
//! weight — while every 5xx and every code retained always is kept, the
//! per-minute counts stay exact, and an id that was not kept is explained.

mod common;

use std::collections::HashSet;

use errcat_store::{ErrorLog, ErrorRecord, Filter, Sampling, Storm, WriterConfig};

/// A UUIDv7 made at `ms`, numbered `i`.
fn v7(ms: i64, i: u32) -> String {
    let hex = format!("{ms:012x}7{:03x}8{:015x}", i & 0xfff, i);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn rec(ms: i64, i: u32, code: &str, status: u16, route: &str) -> ErrorRecord {
    let mut r = ErrorRecord::new(v7(ms, i), format!("req-{i}"), code, status);
    r.timestamp_ms = ms;
    r.route = Some(route.to_owned());
    r
}

fn storm_config() -> WriterConfig {
    WriterConfig {
        sampling: Sampling {
            always: HashSet::from(["LOGIN_LOCKED".to_owned()]),
            ..Sampling::default()
        },
        storm: Storm {
            // Sample from the start, as in a storm.
            busy_budget: 0.0,
            ..Storm::default()
        },
        ..WriterConfig::default()
    }
}

#[tokio::test]
async fn a_storm_keeps_every_5xx_and_distinct_error_and_counts_exactly() {
    for t in common::all().await {
        let s = &t.store;
        let log = ErrorLog::spawn(s.clone(), storm_config());
        // The middle of a minute, so every record falls in it.
        let ms = errcat_store::unix_ms(std::time::SystemTime::now()) / 60_000 * 60_000 + 30_000;
        let mut i = 0;
        let mut next = |code: &str, status: u16, route: &str| {
            i += 1;
            rec(ms, i, code, status, route)
        };
        let mut not_kept = None;
        for n in 0..1_000 {
            let r = next("NOT_FOUND", 404, "/a/{id}");
            let id = r.error_id.clone();
            if log.record(r) == errcat_store::Recorded::SampledOut && n == 500 {
                not_kept = Some(id);
            }
        }
        for _ in 0..50 {
            log.record(next("INTERNAL", 500, "/a/{id}"));
        }
        for _ in 0..30 {
            log.record(next("LOGIN_LOCKED", 423, "/login"));
        }
        let stats = log.shutdown().await;
        // 404s: the first 10, then the 110th, 210th, … 910th.
        assert_eq!(
            (stats.written, stats.sampled_out, stats.dropped),
            (10 + 9 + 50 + 30, 981, 0),
            "{}: {stats:?}",
            t.name
        );

        // The counts are exact.
        let counts = s.counts(ms - 60_000, 60_000).await.unwrap();
        let total = |code: &str| -> i64 {
            counts
                .iter()
                .filter(|c| c.code == code)
                .map(|c| c.count)
                .sum()
        };
        assert_eq!(
            (total("NOT_FOUND"), total("INTERNAL"), total("LOGIN_LOCKED")),
            (1_000, 50, 30),
            "{}",
            t.name
        );

        // Each kept 404 says how many it stands for.
        let kept = s
            .list(&Filter {
                code: Some("NOT_FOUND".into()),
                limit: Some(1000),
                ..Filter::default()
            })
            .await
            .unwrap();
        let weights: Vec<i64> = kept.iter().map(|r| r.weight).collect();
        assert_eq!(
            weights.iter().filter(|w| **w == 1).count(),
            10,
            "{}",
            t.name
        );
        assert_eq!(
            weights.iter().filter(|w| **w == 100).count(),
            9,
            "{}",
            t.name
        );

        // An id not kept is not found, and the log says why.
        let id = not_kept.expect("the 501st 404 was not kept");
        assert!(s.by_error_id(&id).await.unwrap().is_none());
        let why = s.not_kept_near(&id).await.unwrap();
        assert_eq!(why.len(), 1, "{}: {why:?}", t.name);
        assert_eq!(
            (
                why[0].code.as_str(),
                why[0].route.as_str(),
                why[0].status,
                why[0].count,
                why[0].total,
                why[0].minute_ms
            ),
            ("NOT_FOUND", "/a/{id}", 404, 981, 1_000, ms - 30_000),
            "{}",
            t.name
        );
        // An id of another minute, or not a UUIDv7, has no such story.
        assert!(
            s.not_kept_near(&v7(ms - 3_600_000, 1))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(s.not_kept_near("err-123").await.unwrap().is_empty());
        t.cleanup().await;
    }
}

#[tokio::test]
async fn in_fair_weather_every_record_is_kept() {
    let t = common::sqlite().await;
    let log = ErrorLog::spawn(t.store.clone(), WriterConfig::default());
    let ms = errcat_store::unix_ms(std::time::SystemTime::now());
    for i in 0..300 {
        log.record(rec(ms, i, "NOT_FOUND", 404, "/a"));
    }
    let stats = log.shutdown().await;
    assert_eq!((stats.written, stats.sampled_out), (300, 0), "{stats:?}");
    let counts = t.store.counts(ms - 60_000, 60_000).await.unwrap();
    assert_eq!(counts.iter().map(|c| c.count).sum::<i64>(), 300);
    assert!(t.store.not_kept_near(&v7(ms, 7)).await.unwrap().is_empty());
}

/// A storm of errors that are all sampled out still reaches the counts
/// promptly: the writer is woken for them, with no record to write.
#[tokio::test]
async fn counts_of_errors_not_kept_are_written_without_a_record() {
    let t = common::sqlite().await;
    let mut config = storm_config();
    config.storm.keep_first = 0;
    config.storm.one_in = 1_000_000;
    let log = ErrorLog::spawn(t.store.clone(), config);
    let ms = errcat_store::unix_ms(std::time::SystemTime::now());
    for i in 0..100 {
        assert_eq!(
            log.record(rec(ms, i, "NOT_FOUND", 404, "/a")),
            errcat_store::Recorded::SampledOut
        );
    }
    // Before shutdown: the writer was woken for them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let counts = t.store.counts(ms - 60_000, 60_000).await.unwrap();
        if counts.iter().map(|c| c.count).sum::<i64>() == 100 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never counted: {counts:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let stats = log.shutdown().await;
    assert_eq!((stats.written, stats.sampled_out), (0, 100), "{stats:?}");
}
