//! The store facade: one type, a backend per feature, one error kind.

#[cfg(feature = "postgres")]
use crate::postgres::{
    POSTGRES_INSERT, POSTGRES_INSERT_SKIPPING, UNIQUE_VIOLATION, postgres_insert,
};
use std::time::Duration;

use sqlx::{QueryBuilder, Row};

use crate::query::{BucketRow, add_buckets, push_filters};
use crate::record::{Count, ErrorRecord, Filter, Group};
use crate::schema::COLUMNS;

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

    pub(crate) fn new(
        kind: StoreErrorKind,
        message: impl Into<String>,
        source: Option<sqlx::Error>,
    ) -> Self {
        let refused = source.as_ref().is_some_and(refused_by_sqlx);
        StoreError {
            kind,
            message: message.into(),
            source: source.map(|e| Box::new(e) as _),
            refused,
        }
    }

    #[cfg(feature = "sqlite")]
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
}

impl StoreError {
    /// Whether the database refused the data itself (a value it cannot
    /// store, a key too large for an index, a broken constraint) rather
    /// than being unreachable: retrying the same records cannot succeed.
    pub(crate) fn is_refused_data(&self) -> bool {
        self.refused
    }
}

/// Whether sqlx's error is the database refusing the data itself.
fn refused_by_sqlx(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = e else {
        return false;
    };
    // PostgreSQL: data exceptions (22…), integrity violations (23…),
    // program limits such as an index row too large (54…).
    #[cfg(feature = "postgres")]
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        let code = pg.code();
        return code.starts_with("22") || code.starts_with("23") || code.starts_with("54");
    }
    // SQLite: a value too big (18), a constraint (19), a type mismatch
    // (20); extended codes carry the primary code in their low byte.
    let primary = db
        .code()
        .and_then(|c| c.parse::<i32>().ok())
        .map(|c| c & 0xff);
    matches!(primary, Some(18..=20))
}

pub(crate) fn query_err(e: sqlx::Error) -> StoreError {
    StoreError::new(
        StoreErrorKind::Query,
        format!("error log query failed: {e}"),
        Some(e),
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

/// Runs `$body` with `$pool` bound to the backend's pool: one query text
/// and its binds serve both backends, written once.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:block) => {
        match $store {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(db) => {
                let $pool = db.pool();
                $body
            }
            #[cfg(feature = "postgres")]
            Store::Postgres(pg) => {
                let $pool = pg;
                $body
            }
        }
    };
}
pub(crate) use on_pool;

impl Store {
    /// Opens a store and applies pending migrations. URLs: `sqlite://FILE`,
    /// `sqlite::memory:`, `postgres://…` (or `postgresql://…`).
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = Store::open(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    async fn open(url: &str) -> Result<Store, StoreError> {
        let connect_err = |e: sqlx::Error| {
            StoreError::new(
                StoreErrorKind::Connect,
                format!("cannot open the error log at {}: {e}", redact_url(url)),
                Some(e),
            )
        };
        #[cfg(feature = "sqlite")]
        if url.starts_with("sqlite:") {
            use sqlx::sqlite::{
                SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
            };
            use std::str::FromStr;
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(connect_err)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5));
            let memory = url.contains(":memory:");
            let target = crate::sqlite::Target {
                filename: opts.get_filename().to_owned(),
                in_memory: memory,
            };
            let pool = SqlitePoolOptions::new()
                .max_connections(if memory { 1 } else { 4 })
                .min_connections(if memory { 1 } else { 0 })
                .idle_timeout(if memory {
                    None
                } else {
                    Some(Duration::from_secs(600))
                })
                .max_lifetime(if memory {
                    None
                } else {
                    Some(Duration::from_secs(1800))
                })
                .connect_with(opts)
                .await
                .map_err(connect_err)?;
            return Ok(Store::Sqlite(crate::sqlite::SqliteStore::new(pool, target)));
        }
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await
                .map_err(connect_err)?;
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
            None,
        ))
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
    /// stored as JSON, keep theirs escaped).
    pub async fn insert_batch(&self, records: &[ErrorRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(db) => {
                let db = db.clone();
                let records = records.to_vec();
                tokio::task::spawn_blocking(move || db.insert_blocking(&records))
                    .await
                    .unwrap_or_else(|e| {
                        Err(StoreError::new(
                            StoreErrorKind::Query,
                            format!("error log insert stopped: {e}"),
                            None,
                        ))
                    })
            }
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => match postgres_insert(pool, POSTGRES_INSERT, records).await {
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(UNIQUE_VIOLATION) => {
                    postgres_insert(pool, POSTGRES_INSERT_SKIPPING, records)
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
        on_pool!(self, |pool| {
            // The prefix finds the rows through the index; the whole value
            // decides.
            let mut q = QueryBuilder::new(format!(
                "SELECT {COLUMNS} FROM errcat_errors WHERE substr(trace_id, 1, 64) = substr("
            ));
            q.push_bind(trace_id)
                .push(", 1, 64) AND trace_id = ")
                .push_bind(trace_id)
                .push(" ORDER BY ts_ms, error_id LIMIT 1000");
            let rows = q.build().fetch_all(pool).await.map_err(query_err)?;
            rows.iter().map(decode).collect()
        })
    }

    async fn select(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Vec<ErrorRecord>, StoreError> {
        on_pool!(self, |pool| {
            let mut q = QueryBuilder::new(format!(
                "SELECT {COLUMNS} FROM errcat_errors WHERE {column} = "
            ));
            q.push_bind(value)
                .push(" ORDER BY ts_ms, error_id LIMIT 1000");
            let rows = q.build().fetch_all(pool).await.map_err(query_err)?;
            rows.iter().map(decode).collect()
        })
    }

    /// Records matching `filter`, newest first, one page.
    pub async fn list(&self, filter: &Filter) -> Result<Vec<ErrorRecord>, StoreError> {
        let limit = i64::from(filter.limit.unwrap_or(50).clamp(1, 1000));
        on_pool!(self, |pool| {
            let mut q =
                QueryBuilder::new(format!("SELECT {COLUMNS} FROM errcat_errors WHERE 1 = 1"));
            push_filters!(q, filter);
            if let Some((ts, id)) = &filter.after {
                q.push(" AND (ts_ms < ")
                    .push_bind(*ts)
                    .push(" OR (ts_ms = ")
                    .push_bind(*ts)
                    .push(" AND error_id < ")
                    .push_bind(id.as_str())
                    .push("))");
            }
            q.push(" ORDER BY ts_ms DESC, error_id DESC LIMIT ")
                .push_bind(limit);
            let rows = q.build().fetch_all(pool).await.map_err(query_err)?;
            rows.iter().map(decode).collect()
        })
    }

    /// Errors matching `filter` grouped by code, route (the template, else
    /// the path) and message, most recently seen first, at most
    /// `filter.limit` groups (default 50, at most 1000); each with its
    /// counts per `bucket_ms` for a sparkline. Bound the time with
    /// `filter.since_ms`: the query reads every matching row.
    pub async fn groups(&self, filter: &Filter, bucket_ms: i64) -> Result<Vec<Group>, StoreError> {
        let bucket_ms = bucket_ms.max(1);
        let limit = i64::from(filter.limit.unwrap_or(50).clamp(1, 1000));
        // Two queries: the groups seen last, ranked by the database (a
        // window can hold thousands of groups), then the buckets of those
        // groups only.
        let mut groups: Vec<Group> = on_pool!(self, |pool| {
            let mut q = QueryBuilder::new(
                "SELECT code, COALESCE(route, path) AS rt, message, MAX(status) AS st, \
                 COUNT(*) AS n, MIN(ts_ms) AS first_ms, MAX(ts_ms) AS last_ms, \
                 MAX(error_id) AS sample FROM errcat_errors WHERE 1 = 1",
            );
            push_filters!(q, filter);
            q.push(
                " GROUP BY code, COALESCE(route, path), message \
                 ORDER BY last_ms DESC, code, rt LIMIT ",
            )
            .push_bind(limit);
            let rows = q.build().fetch_all(pool).await.map_err(query_err)?;
            rows.iter()
                .map(|r| {
                    let i = |c: &str| r.try_get::<i64, _>(c).map_err(query_err);
                    Ok(Group {
                        code: r.try_get("code").map_err(query_err)?,
                        route: r.try_get("rt").map_err(query_err)?,
                        message: r.try_get("message").map_err(query_err)?,
                        status: u16::try_from(i("st")?).unwrap_or(0),
                        count: i("n")?,
                        first_ms: i("first_ms")?,
                        last_ms: i("last_ms")?,
                        sample_error_id: r.try_get("sample").map_err(query_err)?,
                        buckets: Vec::new(),
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })?;
        if groups.is_empty() {
            return Ok(groups);
        }
        let buckets: Vec<BucketRow> = on_pool!(self, |pool| {
            let mut q = QueryBuilder::new(
                "SELECT code, COALESCE(route, path) AS rt, COALESCE(message, '') AS msg, (ts_ms / ",
            );
            q.push_bind(bucket_ms)
                .push(") * ")
                .push_bind(bucket_ms)
                .push(" AS bucket, COUNT(*) AS n FROM errcat_errors WHERE 1 = 1");
            push_filters!(q, filter);
            q.push(" AND (code, COALESCE(route, path), COALESCE(message, '')) IN (VALUES ");
            for (i, g) in groups.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" })
                    .push_bind(g.code.as_str())
                    .push(", ")
                    .push_bind(g.route.as_str())
                    .push(", ")
                    .push_bind(g.message.as_deref().unwrap_or(""))
                    .push(")");
            }
            q.push(") GROUP BY 1, 2, 3, 4");
            let rows = q.build().fetch_all(pool).await.map_err(query_err)?;
            rows.iter()
                .map(|r| {
                    Ok(BucketRow {
                        code: r.try_get("code").map_err(query_err)?,
                        route: r.try_get("rt").map_err(query_err)?,
                        message: r.try_get("msg").map_err(query_err)?,
                        bucket: r.try_get("bucket").map_err(query_err)?,
                        count: r.try_get("n").map_err(query_err)?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })?;
        add_buckets(&mut groups, buckets);
        Ok(groups)
    }

    /// Errors per code per time bucket since `since_ms`, oldest bucket first.
    pub async fn counts(&self, since_ms: i64, bucket_ms: i64) -> Result<Vec<Count>, StoreError> {
        let bucket_ms = bucket_ms.max(1);
        on_pool!(self, |pool| {
            let mut q = QueryBuilder::new("SELECT (ts_ms / ");
            q.push_bind(bucket_ms)
                .push(") * ")
                .push_bind(bucket_ms)
                .push(" AS bucket, code, COUNT(*) AS n FROM errcat_errors WHERE ts_ms >= ")
                .push_bind(since_ms)
                .push(" GROUP BY bucket, code ORDER BY bucket, code");
            let rows = q.build().fetch_all(pool).await.map_err(query_err)?;
            rows.iter()
                .map(|r| {
                    Ok(Count {
                        bucket_ms: r.try_get("bucket").map_err(query_err)?,
                        code: r.try_get("code").map_err(query_err)?,
                        count: r.try_get("n").map_err(query_err)?,
                    })
                })
                .collect()
        })
    }

    /// Deletes records older than `cutoff_ms`; returns how many.
    pub async fn delete_older_than(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        on_pool!(self, |pool| {
            let mut q = QueryBuilder::new("DELETE FROM errcat_errors WHERE ts_ms < ");
            q.push_bind(cutoff_ms);
            Ok(q.build()
                .execute(pool)
                .await
                .map_err(query_err)?
                .rows_affected())
        })
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(db) => {
                db.close_inserts();
                db.pool().close().await
            }
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => pool.close().await,
        }
    }
}

fn decode<R: Row>(r: &R) -> Result<ErrorRecord, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let s = |c: &str| r.try_get::<String, _>(c).map_err(query_err);
    let o = |c: &str| r.try_get::<Option<String>, _>(c).map_err(query_err);
    let i = |c: &str| r.try_get::<i64, _>(c).map_err(query_err);
    let headers: Vec<(String, String)> =
        serde_json::from_str::<Vec<(String, String)>>(&s("headers")?).unwrap_or_default();
    let causes: Vec<String> = serde_json::from_str(&s("causes")?).unwrap_or_default();
    let response = o("response")?.and_then(|t| serde_json::from_str(&t).ok());
    let violations = o("violations")?
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    Ok(ErrorRecord {
        error_id: s("error_id")?,
        request_id: s("request_id")?,
        trace_id: o("trace_id")?,
        timestamp_ms: i("ts_ms")?,
        code: s("code")?,
        status: u16::try_from(i("status")?).unwrap_or(0),
        category: s("category")?,
        method: s("method")?,
        route: o("route")?,
        path: s("path")?,
        tenant: o("tenant")?,
        principal: o("principal")?,
        client_ip: o("client_ip")?,
        user_agent: o("user_agent")?,
        headers,
        body_excerpt: o("body_excerpt")?,
        causes,
        panic_message: o("panic_message")?,
        panic_location: o("panic_location")?,
        latency_us: i("latency_us")?,
        source: s("source")?,
        message: o("message")?,
        response,
        violations,
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
