//! The PostgreSQL side of the error log: a batch as one `INSERT … SELECT
//! FROM UNNEST(…)` of column arrays.

use crate::counts::{NotKeptTally, batch_counts, hour_counts};
use crate::record::ErrorRecord;
use crate::schema::write_json;
use crate::sql::{Param, Sql};

/// `q` as a sqlx query with its values bound.
pub(crate) fn query(
    q: Sql,
) -> sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(q.text));
    for p in q.params {
        query = match p {
            Param::Text(v) => query.bind(v),
            Param::Int(v) => query.bind(v),
        };
    }
    query
}

/// The records' columns, as arrays `$1`…`$25` unnested together.
const RECORDS: &str = "INSERT INTO errcat_errors (error_id, request_id, trace_id, ts_ms, code, status, category, method, route, path, tenant, principal, client_ip, user_agent, headers, body_excerpt, causes, panic_message, panic_location, latency_us, source, message, response, violations, weight) \
    SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
    $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::bigint[], $21::text[], $22::text[], $23::text[], $24::text[], $25::bigint[])";

/// The counts' upsert, arrays `$26`…`$31`.
const COUNTS: &str = "INSERT INTO errcat_counts AS c (minute_ms, code, route, status, n, not_kept) \
    SELECT * FROM UNNEST($26::bigint[], $27::text[], $28::text[], $29::bigint[], $30::bigint[], $31::bigint[]) \
    ON CONFLICT (minute_ms, code, route, status) \
    DO UPDATE SET n = c.n + excluded.n, not_kept = c.not_kept + excluded.not_kept";

/// The hourly counts' upsert, arrays `$32`…`$34`.
const HOURLY: &str = "INSERT INTO errcat_counts_hourly AS h (hour_ms, code, n) \
    SELECT * FROM UNNEST($32::bigint[], $33::text[], $34::bigint[]) \
    ON CONFLICT (hour_ms, code) DO UPDATE SET n = h.n + excluded.n";

/// A batch as one statement (so one transaction): the records inserted in
/// a data-modifying `WITH`, the per-minute counts in another, the hourly
/// counts upserted by the statement itself.
/// A plain INSERT of the records first, without `ON CONFLICT`:
/// PostgreSQL's speculative insertion for `ON CONFLICT` costs about a fifth
/// more per row, and a batch rarely holds a stored error id (a retry after
/// a lost commit reply, a duplicate record). When it does (unique
/// violation, the statement is rolled back), the batch is inserted again
/// with `ON CONFLICT (error_id) DO NOTHING`, which skips the stored ones.
pub(crate) fn insert_sql(skipping: bool) -> &'static str {
    static SQL: std::sync::OnceLock<[String; 2]> = std::sync::OnceLock::new();
    let [plain, skip] = SQL.get_or_init(|| {
        [
            format!("WITH r AS ({RECORDS}), c AS ({COUNTS}) {HOURLY}"),
            format!(
                "WITH r AS ({RECORDS} ON CONFLICT (error_id) DO NOTHING), c AS ({COUNTS}) {HOURLY}"
            ),
        ]
    });
    if skipping { skip } else { plain }
}

/// The error ids among `records` already stored.
pub(crate) async fn stored_ids(
    pool: &sqlx::PgPool,
    records: &[ErrorRecord],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let ids: Vec<String> = records
        .iter()
        .map(|r| pg_text(&r.error_id).into_owned())
        .collect();
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT error_id FROM errcat_errors WHERE error_id = ANY($1)")
            .bind(ids)
            .fetch_all(pool)
            .await?;
    Ok(stored.into_iter().collect())
}

/// PostgreSQL's `unique_violation`.
pub(crate) const UNIQUE_VIOLATION: &str = "23505";

/// A JSON column (`headers`: `[[name, value], …]`, `causes`: `[cause, …]`)
/// as its own text.
fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

/// Text for PostgreSQL, whose `text` cannot hold NUL: each NUL becomes
/// U+FFFD (as the boundary layer does with bytes that are not UTF-8). The
/// JSON columns (headers, causes) are unaffected: JSON escapes NUL.
fn pg_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', "\u{fffd}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The batch and its counts as one statement ([`insert_sql`]).
pub(crate) async fn postgres_insert(
    pool: &sqlx::PgPool,
    skipping: bool,
    records: &[ErrorRecord],
    not_kept: &NotKeptTally,
) -> Result<(), sqlx::Error> {
    let counts = batch_counts(records, not_kept);
    let hours = hour_counts(&counts);
    let sql = insert_sql(skipping);
    use std::borrow::Cow;
    let text = |f: fn(&ErrorRecord) -> &str| -> Vec<Cow<'_, str>> {
        records.iter().map(|r| pg_text(f(r))).collect()
    };
    let opt = |f: fn(&ErrorRecord) -> Option<&str>| -> Vec<Option<Cow<'_, str>>> {
        records.iter().map(|r| f(r).map(pg_text)).collect()
    };
    let int = |f: fn(&ErrorRecord) -> i64| -> Vec<i64> { records.iter().map(f).collect() };
    sqlx::query(sql)
        .bind(text(|r| &r.error_id))
        .bind(text(|r| &r.request_id))
        .bind(opt(|r| r.trace_id.as_deref()))
        .bind(int(|r| r.timestamp_ms))
        .bind(text(|r| &r.code))
        .bind(int(|r| i64::from(r.status)))
        .bind(text(|r| &r.category))
        .bind(text(|r| &r.method))
        .bind(opt(|r| r.route.as_deref()))
        .bind(text(|r| &r.path))
        .bind(opt(|r| r.tenant.as_deref()))
        .bind(opt(|r| r.principal.as_deref()))
        .bind(opt(|r| r.client_ip.as_deref()))
        .bind(opt(|r| r.user_agent.as_deref()))
        .bind(
            records
                .iter()
                .map(|r| json_text(&r.headers))
                .collect::<Vec<_>>(),
        )
        .bind(opt(|r| r.body_excerpt.as_deref()))
        .bind(
            records
                .iter()
                .map(|r| json_text(&r.causes))
                .collect::<Vec<_>>(),
        )
        .bind(opt(|r| r.panic_message.as_deref()))
        .bind(opt(|r| r.panic_location.as_deref()))
        .bind(int(|r| r.latency_us))
        .bind(text(|r| &r.source))
        .bind(opt(|r| r.message.as_deref()))
        .bind(
            records
                .iter()
                .map(|r| r.response.as_ref().map(json_text))
                .collect::<Vec<_>>(),
        )
        .bind(
            records
                .iter()
                .map(|r| json_text(&r.violations))
                .collect::<Vec<_>>(),
        )
        .bind(int(|r| r.weight))
        .bind(counts.iter().map(|c| c.minute_ms).collect::<Vec<_>>())
        .bind(counts.iter().map(|c| pg_text(c.code)).collect::<Vec<_>>())
        .bind(counts.iter().map(|c| pg_text(c.route)).collect::<Vec<_>>())
        .bind(
            counts
                .iter()
                .map(|c| i64::from(c.status))
                .collect::<Vec<_>>(),
        )
        .bind(counts.iter().map(|c| c.n).collect::<Vec<_>>())
        .bind(counts.iter().map(|c| c.not_kept).collect::<Vec<_>>())
        .bind(hours.iter().map(|h| h.hour_ms).collect::<Vec<_>>())
        .bind(hours.iter().map(|h| pg_text(h.code)).collect::<Vec<_>>())
        .bind(hours.iter().map(|h| h.n).collect::<Vec<_>>())
        .execute(pool)
        .await
        .map(|_| ())
}
