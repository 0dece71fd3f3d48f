//! The log's per-minute counts (`errcat_counts`): every error the log is
//! told of, kept or not, counted by minute, code, route and status, and
//! written in the same transaction as each batch. Charts and stats read
//! them, so they stay exact however many records sampling leaves out; and
//! an id that was not kept is explained from them.

use std::collections::HashMap;

use crate::record::{ErrorRecord, NotKept, minute_of};
use crate::store::{Store, StoreError};

/// The longest code or route the counts keep, in bytes: a longer one is
/// cut at a character boundary (an index entry has a size limit, 2,704
/// bytes in PostgreSQL, and codes and route templates are short).
const MAX_KEY_BYTES: usize = 200;

/// `s` as the counts keep it.
pub(crate) fn key_text(s: &str) -> &str {
    if s.len() <= MAX_KEY_BYTES {
        return s;
    }
    let mut end = MAX_KEY_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The records not stored yet: without those whose error id is in
/// `stored`, and each id once (the first record with it).
pub(crate) fn only_new(
    records: &[ErrorRecord],
    stored: &std::collections::HashSet<String>,
) -> Vec<ErrorRecord> {
    let mut seen = std::collections::HashSet::new();
    records
        .iter()
        .filter(|r| !stored.contains(&r.error_id) && seen.insert(r.error_id.as_str()))
        .cloned()
        .collect()
}

/// What the counts are kept by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CountKey {
    pub(crate) minute_ms: i64,
    pub(crate) code: String,
    pub(crate) route: String,
    pub(crate) status: u16,
}

/// Errors of one key not kept, gathered by the log until the writer adds
/// them to the counts with its next batch.
pub(crate) type NotKeptTally = HashMap<CountKey, i64>;

/// One row added to `errcat_counts`: `n` errors, `not_kept` of them
/// without a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CountRow<'a> {
    pub(crate) minute_ms: i64,
    pub(crate) code: &'a str,
    pub(crate) route: &'a str,
    pub(crate) status: u16,
    pub(crate) n: i64,
    pub(crate) not_kept: i64,
}

/// The rows a batch adds to the counts: its records, one each, and the
/// errors not kept, one row per key.
pub(crate) fn batch_counts<'a>(
    records: &'a [ErrorRecord],
    not_kept: &'a NotKeptTally,
) -> Vec<CountRow<'a>> {
    let mut rows: HashMap<(i64, &str, &str, u16), (i64, i64)> = HashMap::new();
    for r in records {
        let key = (
            minute_of(r.timestamp_ms),
            key_text(&r.code),
            key_text(r.count_route()),
            r.status,
        );
        rows.entry(key).or_default().0 += 1;
    }
    for (k, n) in not_kept {
        let e = rows
            .entry((k.minute_ms, key_text(&k.code), key_text(&k.route), k.status))
            .or_default();
        e.0 += n;
        e.1 += n;
    }
    let mut rows: Vec<CountRow<'a>> = rows
        .into_iter()
        .map(
            |((minute_ms, code, route, status), (n, not_kept))| CountRow {
                minute_ms,
                code,
                route,
                status,
                n,
                not_kept,
            },
        )
        .collect();
    // One order for every writer, so that concurrent upserts take their
    // row locks in the same order (PostgreSQL).
    rows.sort_unstable_by(|a, b| {
        (a.minute_ms, a.code, a.route, a.status).cmp(&(b.minute_ms, b.code, b.route, b.status))
    });
    rows
}

/// One row added to `errcat_counts_hourly`: `n` errors of `code` in the
/// hour starting at `hour_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HourRow<'a> {
    pub(crate) hour_ms: i64,
    pub(crate) code: &'a str,
    pub(crate) n: i64,
}

/// The per-minute rows of a batch added up by hour and code, in one order
/// for every writer (as [`batch_counts`]).
pub(crate) fn hour_counts<'a>(rows: &[CountRow<'a>]) -> Vec<HourRow<'a>> {
    let mut hours: HashMap<(i64, &'a str), i64> = HashMap::new();
    for r in rows {
        *hours.entry((hour_of(r.minute_ms), r.code)).or_default() += r.n;
    }
    let mut hours: Vec<HourRow<'a>> = hours
        .into_iter()
        .map(|((hour_ms, code), n)| HourRow { hour_ms, code, n })
        .collect();
    hours.sort_unstable_by(|a, b| (a.hour_ms, a.code).cmp(&(b.hour_ms, b.code)));
    hours
}

/// An hour, in ms.
pub(crate) const HOUR_MS: i64 = 3_600_000;

/// The start of the hour holding `ms`.
pub(crate) fn hour_of(ms: i64) -> i64 {
    ms.saturating_sub(ms.rem_euclid(HOUR_MS))
}

/// The upsert of one hourly row (SQLite, `?1`…`?3`).
#[cfg(feature = "sqlite")]
pub(crate) const SQLITE_HOURLY_UPSERT: &str = "INSERT INTO errcat_counts_hourly (hour_ms, code, n) \
    VALUES (?1, ?2, ?3) ON CONFLICT (hour_ms, code) DO UPDATE SET n = n + excluded.n";

/// The upsert of one row (SQLite, `?1`…`?6`).
#[cfg(feature = "sqlite")]
pub(crate) const SQLITE_UPSERT: &str = "INSERT INTO errcat_counts (minute_ms, code, route, status, n, not_kept) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (minute_ms, code, route, status) \
    DO UPDATE SET n = n + excluded.n, not_kept = not_kept + excluded.not_kept";

/// The time an error id was made, when it is a UUID version 7 (errcat's
/// ids are): ms since the epoch, from its first 48 bits.
pub(crate) fn uuid_v7_ms(id: &str) -> Option<i64> {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    if hex.as_bytes()[12] != b'7' {
        return None;
    }
    i64::from_str_radix(&hex[..12], 16).ok()
}

impl Store {
    /// Errors the log did not keep in the minute `error_id` was made (when
    /// it is a UUIDv7, as errcat's are): for an id that is not found, why.
    /// Empty when none were left out that minute, or the id tells no time.
    pub async fn not_kept_near(&self, error_id: &str) -> Result<Vec<NotKept>, StoreError> {
        let Some(ms) = uuid_v7_ms(error_id.trim()) else {
            return Ok(Vec::new());
        };
        let mut q = self.sql(
            "SELECT minute_ms, code, route, status, not_kept, n FROM errcat_counts \
             WHERE minute_ms = ",
        );
        q.bind(minute_of(ms))
            .push(" AND not_kept > 0 ORDER BY not_kept DESC, code, route LIMIT 20");
        self.fetch(q, |r| {
            Ok(NotKept {
                minute_ms: r.int(0)?,
                code: r.text(1)?,
                route: r.text(2)?,
                status: u16::try_from(r.int(3)?).unwrap_or(0),
                count: r.int(4)?,
                total: r.int(5)?,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_counts_its_records_and_what_was_not_kept() {
        let mut a = ErrorRecord::new("a", "r", "NOT_FOUND", 404);
        a.timestamp_ms = 120_500;
        a.route = Some("/x/{id}".into());
        let mut b = a.clone();
        b.timestamp_ms = 179_999;
        let mut c = a.clone();
        c.timestamp_ms = 180_000;
        c.route = None;
        let mut not_kept = NotKeptTally::new();
        not_kept.insert(
            CountKey {
                minute_ms: 120_000,
                code: "NOT_FOUND".into(),
                route: "/x/{id}".into(),
                status: 404,
            },
            7,
        );
        let records = [a, b, c];
        let rows = batch_counts(&records, &not_kept);
        assert_eq!(
            rows,
            vec![
                CountRow {
                    minute_ms: 120_000,
                    code: "NOT_FOUND",
                    route: "/x/{id}",
                    status: 404,
                    n: 9,
                    not_kept: 7
                },
                CountRow {
                    minute_ms: 180_000,
                    code: "NOT_FOUND",
                    route: "",
                    status: 404,
                    n: 1,
                    not_kept: 0
                },
            ]
        );
    }

    #[test]
    fn only_a_uuid_v7_tells_its_time() {
        assert_eq!(
            uuid_v7_ms("01a236be-a677-74bc-84c1-4c8254df30d0"),
            Some(0x01a2_36be_a677)
        );
        assert_eq!(
            uuid_v7_ms("01A236BEA67774BC84C14C8254DF30D0"),
            Some(0x01a2_36be_a677)
        );
        // Version 4, too short, not hex.
        assert_eq!(uuid_v7_ms("01a236be-a677-44bc-84c1-4c8254df30d0"), None);
        assert_eq!(uuid_v7_ms("01a236be-a677-74bc"), None);
        assert_eq!(uuid_v7_ms("zza236be-a677-74bc-84c1-4c8254df30d0"), None);
    }
}
