//! The error log's schema: its versioned migrations, the columns a record
//! is read and written with, how JSON columns are written, and applying
//! the migrations.

use crate::store::{Store, StoreError, StoreErrorKind};

/// Versioned schema migrations, applied in order on connect.
pub(crate) const MIGRATIONS: &[(i64, &[&str])] = &[
    (
        1,
        &[
            "CREATE TABLE errcat_errors (
            error_id TEXT PRIMARY KEY,
            request_id TEXT NOT NULL,
            trace_id TEXT,
            ts_ms BIGINT NOT NULL,
            code TEXT NOT NULL,
            status BIGINT NOT NULL,
            category TEXT NOT NULL,
            method TEXT NOT NULL,
            route TEXT,
            path TEXT NOT NULL,
            tenant TEXT,
            principal TEXT,
            client_ip TEXT,
            user_agent TEXT,
            headers TEXT NOT NULL,
            body_excerpt TEXT,
            causes TEXT NOT NULL,
            panic_message TEXT,
            panic_location TEXT,
            latency_us BIGINT NOT NULL,
            source TEXT NOT NULL
        )",
            "CREATE INDEX errcat_errors_request ON errcat_errors (request_id)",
            "CREATE INDEX errcat_errors_ts ON errcat_errors (ts_ms, error_id)",
            "CREATE INDEX errcat_errors_code_ts ON errcat_errors (code, ts_ms)",
        ],
    ),
    (
        // Support goes from a trace to its errors. On a prefix: a trace id
        // set by a handler can be any length, and an index row has a size
        // limit (2,704 bytes in PostgreSQL).
        2,
        &["CREATE INDEX errcat_errors_trace ON errcat_errors ((substr(trace_id, 1, 64)))"],
    ),
    (
        // What the client received: the message (errors are grouped by
        // it), the response (JSON: status, headers, body) and the field
        // violations (JSON). Older records have none.
        3,
        &[
            "ALTER TABLE errcat_errors ADD COLUMN message TEXT",
            "ALTER TABLE errcat_errors ADD COLUMN response TEXT",
            "ALTER TABLE errcat_errors ADD COLUMN violations TEXT",
        ],
    ),
    (
        // An error storm: records may be sampled, so a record says how many
        // errors it stands for, and the counts per minute, code, route and
        // status are kept exactly in a table of their own, written with
        // each batch (starting from the records already stored).
        4,
        &[
            "ALTER TABLE errcat_errors ADD COLUMN weight BIGINT NOT NULL DEFAULT 1",
            "CREATE TABLE errcat_counts (
            minute_ms BIGINT NOT NULL,
            code TEXT NOT NULL,
            route TEXT NOT NULL,
            status BIGINT NOT NULL,
            n BIGINT NOT NULL,
            not_kept BIGINT NOT NULL,
            PRIMARY KEY (minute_ms, code, route, status)
        )",
            "INSERT INTO errcat_counts (minute_ms, code, route, status, n, not_kept) \
             SELECT (ts_ms / 60000) * 60000, code, COALESCE(route, ''), status, COUNT(*), 0 \
             FROM errcat_errors GROUP BY 1, 2, 3, 4",
        ],
    ),
    (
        // Stats over days read the counts per hour and code: as many rows
        // a day as codes, however many errors the log holds. Written with
        // each batch beside the per-minute counts (starting from them).
        // Support filters by tenant and by route: each finds its newest
        // errors through an index (on a prefix, as the trace's: a tenant
        // comes from the request and can be any length).
        5,
        &[
            "CREATE INDEX errcat_errors_tenant_ts ON errcat_errors ((substr(lower(tenant), 1, 64)), ts_ms)",
            "CREATE INDEX errcat_errors_route_ts ON errcat_errors ((substr(route, 1, 200)), ts_ms)",
            "CREATE TABLE errcat_counts_hourly (
            hour_ms BIGINT NOT NULL,
            code TEXT NOT NULL,
            n BIGINT NOT NULL,
            PRIMARY KEY (hour_ms, code)
        )",
            "INSERT INTO errcat_counts_hourly (hour_ms, code, n) \
             SELECT (minute_ms / 3600000) * 3600000, code, SUM(n) FROM errcat_counts GROUP BY 1, 2",
        ],
    ),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 5;

pub(crate) const COLUMNS: &str = "error_id, request_id, trace_id, ts_ms, code, status, category, method, route, path, tenant, principal, client_ip, user_agent, headers, body_excerpt, causes, panic_message, panic_location, latency_us, source, message, response, violations, weight";

/// Writes a JSON column's text into `out` (cleared first).
pub(crate) fn write_json<T: serde::Serialize + ?Sized>(out: &mut String, value: &T) {
    let mut buf = std::mem::take(out).into_bytes();
    buf.clear();
    if serde_json::to_writer(&mut buf, value).is_err() {
        buf.clear();
        buf.extend_from_slice(b"[]");
    }
    // serde_json writes UTF-8 only.
    *out = String::from_utf8(buf).unwrap_or_else(|_| "[]".to_owned());
}

/// The schema table, created before anything else.
const SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS errcat_schema (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)";

/// The migrations a database at `current` still needs, or why it cannot
/// be migrated.
fn pending(
    current: i64,
) -> Result<impl Iterator<Item = &'static (i64, &'static [&'static str])>, StoreError> {
    if current > SCHEMA_VERSION {
        return Err(StoreError::new(
            StoreErrorKind::Migrate,
            format!(
                "the error log's schema is version {current}, newer than this errcat ({SCHEMA_VERSION}): upgrade errcat"
            ),
        ));
    }
    Ok(MIGRATIONS.iter().filter(move |(v, _)| *v > current))
}

fn migrate_err(e: &dyn std::fmt::Display) -> String {
    format!("error log migration failed: {e}")
}

impl Store {
    /// Applies pending migrations (done by [`Store::connect`]), in one
    /// transaction. Safe when several processes start at once: SQLite's
    /// write lock, taken first, and PostgreSQL's advisory lock make them
    /// wait for each other.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(db) => {
                db.with_reader(|conn| {
                    let err = |e: rusqlite::Error| {
                        StoreError::with_source(
                            StoreErrorKind::Migrate,
                            migrate_err(&e),
                            Box::new(e),
                            false,
                        )
                    };
                    let tx = conn
                        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                        .map_err(err)?;
                    tx.execute(SCHEMA_TABLE, []).map_err(err)?;
                    let current: Option<i64> = tx
                        .query_row("SELECT MAX(version) FROM errcat_schema", [], |r| r.get(0))
                        .map_err(err)?;
                    for (version, statements) in pending(current.unwrap_or(0))? {
                        for sql in *statements {
                            tx.execute(sql, []).map_err(err)?;
                        }
                        tx.execute(
                            "INSERT INTO errcat_schema (version, applied_ms) VALUES (?1, ?2)",
                            [
                                *version,
                                crate::record::unix_ms(std::time::SystemTime::now()),
                            ],
                        )
                        .map_err(err)?;
                    }
                    tx.commit().map_err(err)
                })
                .await
            }
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => {
                let err = |e: sqlx::Error| {
                    StoreError::from_sqlx(StoreErrorKind::Migrate, migrate_err(&e), e)
                };
                let mut tx = pool.begin().await.map_err(err)?;
                sqlx::query("SELECT pg_advisory_xact_lock(7262691245)")
                    .execute(&mut *tx)
                    .await
                    .map_err(err)?;
                sqlx::query(SCHEMA_TABLE)
                    .execute(&mut *tx)
                    .await
                    .map_err(err)?;
                let current: Option<i64> =
                    sqlx::query_scalar("SELECT MAX(version) FROM errcat_schema")
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(err)?;
                for (version, statements) in pending(current.unwrap_or(0))? {
                    for sql in *statements {
                        sqlx::query(*sql).execute(&mut *tx).await.map_err(err)?;
                    }
                    sqlx::query("INSERT INTO errcat_schema (version, applied_ms) VALUES ($1, $2)")
                        .bind(*version)
                        .bind(crate::record::unix_ms(std::time::SystemTime::now()))
                        .execute(&mut *tx)
                        .await
                        .map_err(err)?;
                }
                tx.commit().await.map_err(err)
            }
        }
    }

    /// The schema version in the database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let q = self.sql("SELECT COALESCE(MAX(version), 0) FROM errcat_schema");
        let v = self.fetch(q, |r| r.int(0)).await?;
        Ok(v.into_iter().next().unwrap_or(0))
    }
}
