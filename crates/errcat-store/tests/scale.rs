//! What keeps the log's queries the same cost as it grows, on every
//! backend: the grouped view reads a bounded number of the newest errors
//! and says where it stopped; stats in hours read the hourly counts and
//! give what the minutes give; retention deletes in small steps beside a
//! writer.

mod common;

use std::collections::BTreeMap;

use errcat_store::{ErrorRecord, Filter, GROUP_READ, GROUP_SCAN};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;

fn rec(tag: &str, i: usize, ts: i64, code: &str) -> ErrorRecord {
    let mut r = ErrorRecord::new(format!("{tag}-{i:06}"), format!("req-{tag}-{i}"), code, 404);
    r.timestamp_ms = ts;
    r.route = Some(format!("/r{}/{{id}}", i % 3));
    r.path = format!("/r{}/{i}", i % 3);
    r.message = Some(format!("{code} happened"));
    r
}

#[tokio::test]
async fn grouping_reads_the_newest_errors_and_says_where_it_stopped() {
    let over = 500;
    let n = GROUP_READ as usize + over;
    let ts = |i: usize| 1_000 * i as i64;
    for t in common::all().await {
        let s = &t.store;
        // One a second, two codes taking turns; every tenth a 500.
        let records: Vec<ErrorRecord> = (0..n)
            .map(|i| {
                let mut r = rec("g", i, ts(i), ["A", "B"][i % 2]);
                if i % 10 == 5 {
                    r.status = 500;
                }
                r
            })
            .collect();
        for chunk in records.chunks(5_000) {
            s.insert_batch(chunk).await.unwrap();
        }
        let window = Filter {
            since_ms: Some(0),
            limit: Some(100),
            ..Filter::default()
        };
        let groups = |f: Filter| async move { s.groups(&f, HOUR).await.unwrap() };
        let all = groups(window.clone()).await;
        // The newest GROUP_SCAN.
        let first_read = n - GROUP_SCAN as usize;
        assert_eq!(all.errors, GROUP_SCAN, "{}", t.name);
        assert_eq!(all.cut_ms, Some(ts(first_read)), "{}", t.name);
        assert_eq!((all.groups.len(), all.all_groups), (6, 6), "{}", t.name);
        let two = groups(Filter {
            limit: Some(2),
            ..window.clone()
        })
        .await;
        assert_eq!(
            (two.groups.len(), two.all_groups, two.errors),
            (2, 6, GROUP_SCAN),
            "{}",
            t.name
        );
        assert_eq!(two.groups[..], all.groups[..2], "{}", t.name);
        let counted: i64 = all.groups.iter().map(|g| g.count).sum();
        assert_eq!(counted, GROUP_SCAN, "{}", t.name);
        let bucketed: i64 = all
            .groups
            .iter()
            .flat_map(|g| g.buckets.iter().map(|b| b.1))
            .sum();
        assert_eq!(bucketed, GROUP_SCAN, "{}: the sparklines", t.name);
        assert!(
            all.groups.iter().all(|g| g.first_ms >= ts(first_read)),
            "{}",
            t.name
        );
        // Most recently seen first; the status the highest of the group's.
        let last: Vec<i64> = all.groups.iter().map(|g| g.last_ms).collect();
        assert!(last.windows(2).all(|w| w[0] >= w[1]), "{last:?}");
        assert!(all.groups.iter().any(|g| g.status == 500), "{}", t.name);
        // One code, through its index: the newest GROUP_SCAN of it.
        let one = groups(Filter {
            code: Some("A".into()),
            ..window.clone()
        })
        .await;
        assert_eq!(
            (one.errors, one.cut_ms),
            (GROUP_SCAN, Some(ts(n - 2 * GROUP_SCAN as usize))),
            "{}",
            t.name
        );
        // A status has no index: the window's newest GROUP_READ are read, a
        // tenth of them match, and the groups count from the first read.
        let rare = groups(Filter {
            status: Some(500..=500),
            ..window.clone()
        })
        .await;
        assert_eq!(
            (rare.errors, rare.cut_ms),
            (GROUP_READ / 10, Some(ts(over))),
            "{}",
            t.name
        );
        // A window the grouping reads whole: every match, nothing cut.
        let recent = groups(Filter {
            status: Some(500..=500),
            since_ms: Some(ts(n - 1_000)),
            ..window.clone()
        })
        .await;
        assert_eq!((recent.errors, recent.cut_ms), (100, None), "{}", t.name);
        // A window with nothing in it.
        let none = groups(Filter {
            since_ms: Some(ts(n) + 1),
            ..window.clone()
        })
        .await;
        assert_eq!((none.groups.len(), none.errors, none.cut_ms), (0, 0, None));
        t.cleanup().await;
    }
}

/// What stats in `bucket` since `since` should say: the records counted
/// by bucket and code.
fn expected(records: &[ErrorRecord], since: i64, bucket: i64) -> Vec<(i64, String, i64)> {
    let since_minute = since / MINUTE * MINUTE;
    let mut m: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for r in records.iter().filter(|r| r.timestamp_ms >= since_minute) {
        *m.entry((r.timestamp_ms / bucket * bucket, r.code.clone()))
            .or_default() += 1;
    }
    m.into_iter().map(|((b, c), n)| (b, c, n)).collect()
}

#[tokio::test]
async fn stats_in_hours_are_the_minutes_added_up() {
    for t in common::all().await {
        let s = &t.store;
        // Five hours, an error every 37 s, three codes; in two batches
        // whose hours overlap (the hourly counts are added to).
        let base = 480_000 * HOUR;
        let records: Vec<ErrorRecord> = (0..500)
            .map(|i| rec("h", i, base + 37_000 * i as i64, ["A", "B", "C"][i % 3]))
            .collect();
        s.insert_batch(&records[..250]).await.unwrap();
        s.insert_batch(&records[250..]).await.unwrap();
        for (since, bucket) in [
            (base, HOUR),
            (base + 17 * MINUTE + 5_000, HOUR),
            (base + 2 * HOUR - MINUTE, HOUR),
            (base + 59 * MINUTE, 2 * HOUR),
            (base - 24 * HOUR, 24 * HOUR),
            (base + 17 * MINUTE, MINUTE),
            (base + 3 * HOUR + 30 * MINUTE, 10 * MINUTE),
        ] {
            let got: Vec<(i64, String, i64)> = s
                .counts(since, bucket)
                .await
                .unwrap()
                .into_iter()
                .map(|c| (c.bucket_ms, c.code, c.count))
                .collect();
            assert_eq!(
                got,
                expected(&records, since, bucket),
                "{}: since {since} bucket {bucket}",
                t.name
            );
        }
        t.cleanup().await;
    }
}

#[tokio::test]
async fn retention_deletes_in_steps_beside_a_writer() {
    for t in common::all().await {
        let s = &t.store;
        // 2,500 old errors (more than one step deletes) over 5 minutes,
        // then new ones written while retention runs.
        let old: Vec<ErrorRecord> = (0..2_500)
            .map(|i| rec("old", i, 100 * HOUR + 120 * i as i64, "OLD"))
            .collect();
        s.insert_batch(&old).await.unwrap();
        let cutoff = 103 * HOUR;
        let writer = {
            let s = s.clone();
            tokio::spawn(async move {
                for b in 0..20 {
                    let batch: Vec<ErrorRecord> = (0..50)
                        .map(|j| {
                            let i = b * 50 + j;
                            rec("new", i, cutoff + 1_000 * i as i64, "NEW")
                        })
                        .collect();
                    s.insert_batch(&batch).await.unwrap();
                    tokio::task::yield_now().await;
                }
            })
        };
        let deleted = s.delete_older_than(cutoff).await.unwrap();
        writer.await.unwrap();
        assert_eq!(deleted, 2_500, "{}", t.name);
        let left = s
            .list(&Filter {
                limit: Some(1000),
                ..Filter::default()
            })
            .await
            .unwrap();
        assert_eq!(left.len(), 1000, "{}", t.name);
        assert!(left.iter().all(|r| r.code == "NEW"), "{}", t.name);
        // The counts of the deleted minutes and hours are gone; the new
        // ones are all there, in minutes and in hours.
        for bucket in [MINUTE, HOUR] {
            let counts = s.counts(0, bucket).await.unwrap();
            let codes: Vec<(&str, i64)> =
                counts.iter().map(|c| (c.code.as_str(), c.count)).collect();
            let total: i64 = codes.iter().map(|c| c.1).sum();
            assert!(
                codes.iter().all(|c| c.0 == "NEW") && total == 1000,
                "{}: {bucket}: {codes:?}",
                t.name
            );
        }
        t.cleanup().await;
    }
}
