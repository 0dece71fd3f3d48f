//! The store facade: one type, a backend per feature, one error kind.

#[cfg(feature = "postgres")]
use crate::postgres::{UNIQUE_VIOLATION, postgres_insert};
#[cfg(feature = "postgres")]
use std::time::Duration;

use crate::counts::NotKeptTally;
use crate::query::{BucketRow, fold, push_filters, push_read_end, push_window, read_bounded};
use crate::record::{Count, ErrorRecord, Filter, GROUP_SCAN, Groups};
use crate::schema::COLUMNS;
use crate::sql::{Columns, Decode, Placeholder, Sql};

/// What went wrong in the store, portable across backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The URL names no backend this build supports.
    UnsupportedUrl,
    /// The database could not be reached or opened.
    Connect,
    /// A schema migration failed.
    Migrate,
    /// A query failed.
    Query,
}

/// An error of the store, with its portable kind.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// The database refused the data itself (see [`StoreError::is_refused_data`]).
    refused: bool,
}

impl StoreError {
    /// The portable kind.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    pub(crate) fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        StoreError {
            kind,
            message: message.into(),
            source: None,
            refused: false,
        }
    }

    pub(crate) fn with_source(
        kind: StoreErrorKind,
        message: impl Into<String>,
        source: Box<dyn std::error::Error + Send + Sync>,
        refused: bool,
    ) -> Self {
        StoreError {
            kind,
            message: message.into(),
            source: Some(source),
            refused,
        }
    }

    /// An error of sqlx (PostgreSQL).
    #[cfg(feature = "postgres")]
    pub(crate) fn from_sqlx(
        kind: StoreErrorKind,
        message: impl Into<String>,
        e: sqlx::Error,
    ) -> Self {
        let refused = refused_by_postgres(&e);
        StoreError::with_source(kind, message, Box::new(e), refused)
    }
}

impl StoreError {
    /// Whether the database refused the data itself (a value it cannot
    /// store, a key too large for an index, a broken constraint) rather
    /// than being unreachable: retrying the same records cannot succeed.
    pub(crate) fn is_refused_data(&self) -> bool {
        self.refused
    }
}

/// Whether PostgreSQL refused the data itself: data exceptions (22…),
/// integrity violations (23…), program limits such as an index row too
/// large (54…).
#[cfg(feature = "postgres")]
fn refused_by_postgres(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = e else {
        return false;
    };
    db.code().is_some_and(|code| {
        code.starts_with("22") || code.starts_with("23") || code.starts_with("54")
    })
}

#[cfg(feature = "postgres")]
pub(crate) fn query_err(e: sqlx::Error) -> StoreError {
    StoreError::from_sqlx(
        StoreErrorKind::Query,
        format!("error log query failed: {e}"),
        e,
    )
}

/// The error log's database.
///
/// ```no_run
/// # async fn run() -> Result<(), errcat_store::StoreError> {
/// let store = errcat_store::Store::connect("sqlite://errcat.db").await?;
/// if let Some(r) = store.by_error_id("0190b6c2-7c1e-7d2a-9f3b-2f6e4c1a9b10").await? {
///     println!("{} {} at {}", r.status, r.code, r.path);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub enum Store {
    /// SQLite (the embedded default).
    #[cfg(feature = "sqlite")]
    Sqlite(crate::sqlite::SqliteStore),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// The default store URL: `sqlite://errcat.db` in the working directory.
pub const DEFAULT_URL: &str = "sqlite://errcat.db";

impl Store {
    /// Opens a store and applies pending migrations. URLs: `sqlite://FILE`,
    /// `sqlite::memory:`, `postgres://…` (or `postgresql://…`).
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = Store::open(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    async fn open(url: &str) -> Result<Store, StoreError> {
        #[cfg(feature = "sqlite")]
        if url.starts_with("sqlite:") {
            let target = crate::sqlite::Target::parse(url).map_err(|e| {
                StoreError::new(
                    StoreErrorKind::UnsupportedUrl,
                    format!("cannot open the error log at {url}: {e}"),
                )
            })?;
            let store =
                tokio::task::spawn_blocking(move || crate::sqlite::SqliteStore::open(target))
                    .await
                    .unwrap_or_else(|e| Err(crate::sqlite::stopped(&e)))?;
            return Ok(Store::Sqlite(store));
        }
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await
                .map_err(|e| {
                    StoreError::from_sqlx(
                        StoreErrorKind::Connect,
                        format!("cannot open the error log at {}: {e}", redact_url(url)),
                        e,
                    )
                })?;
            return Ok(Store::Postgres(pool));
        }
        Err(StoreError::new(
            StoreErrorKind::UnsupportedUrl,
            format!(
                "unsupported error log URL `{}`: use sqlite://FILE{}",
                redact_url(url),
                if cfg!(feature = "postgres") {
                    " or postgres://…"
                } else {
                    " (PostgreSQL needs the `postgres` feature)"
                }
            ),
        ))
    }

    /// A query for this backend, starting with `text`.
    pub(crate) fn sql(&self, text: impl Into<String>) -> Sql {
        let style = match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(_) => Placeholder::Question,
            #[cfg(feature = "postgres")]
            Store::Postgres(_) => Placeholder::Dollar,
        };
        Sql::new(style, text)
    }

    /// The rows of `q`, each read by `decode`.
    pub(crate) async fn fetch<T: Send + 'static>(
        &self,
        q: Sql,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(db) => db.fetch(q, decode).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => {
                let rows = crate::postgres::query(q)
                    .fetch_all(pool)
                    .await
                    .map_err(query_err)?;
                rows.iter().map(|r| decode(r as &dyn Columns)).collect()
            }
        }
    }

    /// Inserts records in one transaction. A record whose error id is
    /// already stored is skipped, so a retried batch never duplicates.
    ///
    /// SQLite: multi-row `INSERT … ON CONFLICT DO NOTHING` statements of up
    /// to 512 rows with one bound parameter per field, prepared once on the
    /// store's own insert connection (run on tokio's blocking pool here; the
    /// error log's writer thread calls it directly). PostgreSQL: one `INSERT … SELECT FROM UNNEST(arrays)`
    /// statement, one array per column (again with `ON CONFLICT DO NOTHING`
    /// when the batch holds a stored error id). PostgreSQL text cannot hold
    /// NUL: a NUL in a field is stored there as U+FFFD (headers and causes,
    /// stored as JSON, keep theirs escaped). The same transaction adds the
    /// records to the per-minute counts.
    pub async fn insert_batch(&self, records: &[ErrorRecord]) -> Result<(), StoreError> {
        self.insert_with(records, &NotKeptTally::new()).await
    }

    /// Inserts records and adds them and the errors not kept to the
    /// per-minute counts, in one transaction.
    pub(crate) async fn insert_with(
        &self,
        records: &[ErrorRecord],
        not_kept: &NotKeptTally,
    ) -> Result<(), StoreError> {
        if records.is_empty() && not_kept.is_empty() {
            return Ok(());
        }
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(db) => {
                let (db, records, not_kept) = (db.clone(), records.to_vec(), not_kept.clone());
                tokio::task::spawn_blocking(move || db.insert_blocking(&records, &not_kept))
                    .await
                    .unwrap_or_else(|e| Err(crate::sqlite::stopped(&e)))
            }
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => match postgres_insert(pool, false, records, not_kept).await {
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(UNIQUE_VIOLATION) => {
                    // Only the records not stored yet, so the counts never
                    // count one twice.
                    let stored = crate::postgres::stored_ids(pool, records)
                        .await
                        .map_err(query_err)?;
                    let fresh = crate::counts::only_new(records, &stored);
                    postgres_insert(pool, true, &fresh, not_kept)
                        .await
                        .map_err(query_err)
                }
                r => r.map_err(query_err),
            },
        }
    }

    /// The SQLite store, whose inserts the writer makes from a thread.
    #[cfg(feature = "sqlite")]
    pub(crate) fn sqlite_store(&self) -> Option<crate::sqlite::SqliteStore> {
        match self {
            Store::Sqlite(db) => Some(db.clone()),
            #[cfg(feature = "postgres")]
            Store::Postgres(_) => None,
        }
    }

    /// How many batches the writer commits at once: one for SQLite (a single
    /// writer at a time), three for PostgreSQL (each on a connection of its
    /// own; `docs/error-log.md` has the measurements behind the number).
    pub(crate) fn concurrent_batches(&self) -> usize {
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(_) => 1,
            #[cfg(feature = "postgres")]
            Store::Postgres(_) => 3,
        }
    }

    /// The record with this error id.
    pub async fn by_error_id(&self, error_id: &str) -> Result<Option<ErrorRecord>, StoreError> {
        Ok(self.select("error_id", error_id).await?.into_iter().next())
    }

    /// The records of one request, oldest first.
    pub async fn by_request_id(&self, request_id: &str) -> Result<Vec<ErrorRecord>, StoreError> {
        self.select("request_id", request_id).await
    }

    /// The records of one trace (W3C trace id), oldest first.
    pub async fn by_trace_id(&self, trace_id: &str) -> Result<Vec<ErrorRecord>, StoreError> {
        // The prefix finds the rows through the index; the whole value
        // decides.
        let mut q = self.sql(format!(
            "SELECT {COLUMNS} FROM errcat_errors WHERE substr(trace_id, 1, 64) = substr("
        ));
        q.bind(trace_id)
            .push(", 1, 64) AND trace_id = ")
            .bind(trace_id)
            .push(" ORDER BY ts_ms, error_id LIMIT 1000");
        self.fetch(q, decode).await
    }

    async fn select(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Vec<ErrorRecord>, StoreError> {
        let mut q = self.sql(format!(
            "SELECT {COLUMNS} FROM errcat_errors WHERE {column} = "
        ));
        q.bind(value).push(" ORDER BY ts_ms, error_id LIMIT 1000");
        self.fetch(q, decode).await
    }

    /// Records matching `filter`, newest first, one page.
    pub async fn list(&self, filter: &Filter) -> Result<Vec<ErrorRecord>, StoreError> {
        let limit = i64::from(filter.limit.unwrap_or(50).clamp(1, 1000));
        let mut q = self.sql(format!("SELECT {COLUMNS} FROM errcat_errors WHERE 1 = 1"));
        push_filters(&mut q, filter);
        if let Some((ts, id)) = &filter.after {
            q.push(" AND (ts_ms < ")
                .bind(*ts)
                .push(" OR (ts_ms = ")
                .bind(*ts)
                .push(" AND error_id < ")
                .bind(id.as_str())
                .push("))");
        }
        q.push(" ORDER BY ts_ms DESC, error_id DESC LIMIT ")
            .bind(limit);
        self.fetch(q, decode).await
    }

    /// Errors matching `filter` grouped by code, route (the template, else
    /// the path) and message, most recently seen first, at most
    /// `filter.limit` groups (default 50, at most 1000); each with its
    /// counts per `bucket_ms` for a sparkline. The grouping reads a bounded
    /// number of the newest errors of the window ([`GROUP_SCAN`] matching
    /// ones; [`GROUP_READ`](crate::GROUP_READ) for a filter without an index of its own);
    /// bound the time with `filter.since_ms`. When it could not read the
    /// whole window, [`Groups::cut_ms`] says from when the groups count.
    pub async fn groups(&self, filter: &Filter, bucket_ms: i64) -> Result<Groups, StoreError> {
        let bucket_ms = bucket_ms.max(1);
        let limit = filter.limit.unwrap_or(50).clamp(1, 1000) as usize;
        // One query: the window's errors counted per group and bucket (as
        // many rows as errors read at most), folded into groups here.
        let mut q = self.sql("SELECT code, COALESCE(route, path) AS rt, message, (ts_ms / ");
        q.bind(bucket_ms)
            .push(") * ")
            .bind(bucket_ms)
            .push(" AS bucket, MAX(status), COUNT(*), MIN(ts_ms), MAX(ts_ms), MAX(error_id) FROM ");
        push_window(&mut q, filter);
        q.push(" GROUP BY code, COALESCE(route, path), message, bucket");
        let rows = self
            .fetch(q, |r| {
                Ok(BucketRow {
                    code: r.text(0)?,
                    route: r.text(1)?,
                    message: r.opt_text(2)?,
                    bucket: r.int(3)?,
                    status: u16::try_from(r.int(4)?).unwrap_or(0),
                    count: r.int(5)?,
                    first_ms: r.int(6)?,
                    last_ms: r.int(7)?,
                    sample: r.text(8)?,
                })
            })
            .await?;
        let (groups, errors, all_groups, oldest) = fold(rows, limit);
        let mut cut_ms = (errors >= GROUP_SCAN).then_some(oldest);
        if cut_ms.is_none() && read_bounded(filter) {
            // Fewer matched than a grouping takes: did it read the whole
            // window?
            let mut q = self.sql("");
            push_read_end(&mut q, filter);
            cut_ms = self.fetch(q, |r| r.int(0)).await?.into_iter().next();
        }
        Ok(Groups {
            groups,
            errors,
            all_groups,
            cut_ms,
        })
    }

    /// Errors per code per time bucket since `since_ms`, oldest bucket
    /// first. With buckets of whole minutes (the chart's and `errcat
    /// stats`'s) the counts are exact: every error the log was told of, kept
    /// or not, from the per-minute counts (`since_ms` is taken down to its
    /// minute); with buckets of whole hours the whole hours come from the
    /// hourly counts (as many rows an hour as codes, however many errors),
    /// the minutes before the first whole hour from the per-minute ones.
    /// Finer buckets are summed from the records, each counting for the
    /// errors it stands for (its weight): exact unless records were sampled.
    pub async fn counts(&self, since_ms: i64, bucket_ms: i64) -> Result<Vec<Count>, StoreError> {
        use crate::counts::{HOUR_MS, hour_of};
        let bucket_ms = bucket_ms.max(1);
        let since_minute = crate::record::minute_of(since_ms);
        let mut q = self.sql("SELECT (t / ");
        q.bind(bucket_ms).push(") * ").bind(bucket_ms);
        if bucket_ms % HOUR_MS == 0 {
            let first_hour = hour_of(since_minute.saturating_add(HOUR_MS - 60_000));
            q.push(
                " AS bucket, code, CAST(SUM(n) AS BIGINT) AS total FROM (\
                 SELECT minute_ms AS t, code, n FROM errcat_counts WHERE minute_ms >= ",
            )
            .bind(since_minute)
            .push(" AND minute_ms < ")
            .bind(first_hour)
            .push(" UNION ALL SELECT hour_ms, code, n FROM errcat_counts_hourly WHERE hour_ms >= ")
            .bind(first_hour)
            .push(") AS c");
        } else if bucket_ms % 60_000 == 0 {
            q.push(
                " AS bucket, code, CAST(SUM(n) AS BIGINT) AS total FROM \
                 (SELECT minute_ms AS t, code, n FROM errcat_counts) AS c WHERE t >= ",
            )
            .bind(since_minute);
        } else {
            q.push(
                " AS bucket, code, CAST(SUM(weight) AS BIGINT) AS total FROM \
                 (SELECT ts_ms AS t, code, weight FROM errcat_errors) AS c WHERE t >= ",
            )
            .bind(since_ms);
        }
        q.push(" GROUP BY bucket, code ORDER BY bucket, code");
        self.fetch(q, |r| {
            Ok(Count {
                bucket_ms: r.int(0)?,
                code: r.text(1)?,
                count: r.int(2)?,
            })
        })
        .await
    }

    /// Runs `q`, a change to the log (not an insert of records): on SQLite
    /// on the writing connection.
    pub(crate) async fn write(&self, q: Sql) -> Result<u64, StoreError> {
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(db) => db.write(q).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => Ok(crate::postgres::query(q)
                .execute(pool)
                .await
                .map_err(query_err)?
                .rows_affected()),
        }
    }

    /// Closes the store's connections.
    pub async fn close(&self) {
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(db) => db.close(),
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => pool.close().await,
        }
    }
}

/// A record from a row of `SELECT {COLUMNS}`.
fn decode(r: &dyn Columns) -> Result<ErrorRecord, StoreError> {
    let json = |i: usize| -> Result<Option<String>, StoreError> { r.opt_text(i) };
    let headers: Vec<(String, String)> = json(14)?
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let causes: Vec<String> = json(16)?
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let response = json(22)?.and_then(|t| serde_json::from_str(&t).ok());
    let violations = json(23)?
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    Ok(ErrorRecord {
        error_id: r.text(0)?,
        request_id: r.text(1)?,
        trace_id: r.opt_text(2)?,
        timestamp_ms: r.int(3)?,
        code: r.text(4)?,
        status: u16::try_from(r.int(5)?).unwrap_or(0),
        category: r.text(6)?,
        method: r.text(7)?,
        route: r.opt_text(8)?,
        path: r.text(9)?,
        tenant: r.opt_text(10)?,
        principal: r.opt_text(11)?,
        client_ip: r.opt_text(12)?,
        user_agent: r.opt_text(13)?,
        headers,
        body_excerpt: r.opt_text(15)?,
        causes,
        panic_message: r.opt_text(17)?,
        panic_location: r.opt_text(18)?,
        latency_us: r.int(19)?,
        source: r.text(20)?,
        message: r.opt_text(21)?,
        response,
        violations,
        weight: r.int(24)?,
    })
}

/// A URL with its password replaced, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
