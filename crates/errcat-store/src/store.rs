//! The store facade: one type, a backend per feature, one error kind.

use std::time::Duration;

use sqlx::{QueryBuilder, Row};

use crate::record::{Count, ErrorRecord, Filter};

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
    source: Option<sqlx::Error>,
}

impl StoreError {
    /// The portable kind.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    fn new(kind: StoreErrorKind, message: impl Into<String>, source: Option<sqlx::Error>) -> Self {
        StoreError {
            kind,
            message: message.into(),
            source,
        }
    }
}

fn query_err(e: sqlx::Error) -> StoreError {
    StoreError::new(
        StoreErrorKind::Query,
        format!("error log query failed: {e}"),
        Some(e),
    )
}

/// Versioned schema migrations, applied in order on connect.
const MIGRATIONS: &[(i64, &[&str])] = &[(
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
)];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 1;

const COLUMNS: &str = "error_id, request_id, trace_id, ts_ms, code, status, category, method, route, path, tenant, principal, client_ip, user_agent, headers, body_excerpt, causes, panic_message, panic_location, latency_us, source";

/// Rows per INSERT statement.
const ROWS_PER_STATEMENT: usize = 5_000;

/// Unpacks a JSON array of rows (each an array in `COLUMNS` order).
#[cfg(feature = "sqlite")]
const SQLITE_INSERT: &str = "INSERT INTO errcat_errors (error_id, request_id, trace_id, ts_ms, code, status, category, method, route, path, tenant, principal, client_ip, user_agent, headers, body_excerpt, causes, panic_message, panic_location, latency_us, source) \
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10, \
    value ->> 11, value ->> 12, value ->> 13, value ->> 14, value ->> 15, value ->> 16, value ->> 17, value ->> 18, value ->> 19, value ->> 20 \
    FROM jsonb_each(?1) WHERE true ON CONFLICT (error_id) DO NOTHING";

#[cfg(feature = "postgres")]
const POSTGRES_INSERT: &str = "INSERT INTO errcat_errors (error_id, request_id, trace_id, ts_ms, code, status, category, method, route, path, tenant, principal, client_ip, user_agent, headers, body_excerpt, causes, panic_message, panic_location, latency_us, source) \
    SELECT e ->> 0, e ->> 1, e ->> 2, (e ->> 3)::bigint, e ->> 4, (e ->> 5)::bigint, e ->> 6, e ->> 7, e ->> 8, e ->> 9, e ->> 10, \
    e ->> 11, e ->> 12, e ->> 13, e ->> 14, e ->> 15, e ->> 16, e ->> 17, e ->> 18, (e ->> 19)::bigint, e ->> 20 \
    FROM jsonb_array_elements($1::jsonb) AS e ON CONFLICT (error_id) DO NOTHING";

/// The rows as one JSON array of arrays, in `COLUMNS` order.
fn rows_json(records: &[ErrorRecord]) -> String {
    fn put<T: serde::Serialize + ?Sized>(buf: &mut Vec<u8>, v: &T) {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *buf, v);
        buf.push(b',');
    }
    let mut buf = Vec::with_capacity(records.len() * 400);
    buf.push(b'[');
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.push(b'[');
        put(&mut buf, &r.error_id);
        put(&mut buf, &r.request_id);
        put(&mut buf, &r.trace_id);
        put(&mut buf, &r.timestamp_ms);
        put(&mut buf, &r.code);
        put(&mut buf, &r.status);
        put(&mut buf, &r.category);
        put(&mut buf, &r.method);
        put(&mut buf, &r.route);
        put(&mut buf, &r.path);
        put(&mut buf, &r.tenant);
        put(&mut buf, &r.principal);
        put(&mut buf, &r.client_ip);
        put(&mut buf, &r.user_agent);
        put(&mut buf, &headers_json(&r.headers));
        put(&mut buf, &r.body_excerpt);
        put(
            &mut buf,
            &serde_json::Value::from(r.causes.clone()).to_string(),
        );
        put(&mut buf, &r.panic_message);
        put(&mut buf, &r.panic_location);
        put(&mut buf, &r.latency_us);
        put(&mut buf, &r.source);
        buf.pop();
        buf.push(b']');
    }
    buf.push(b']');
    String::from_utf8(buf).unwrap_or_default()
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
    Sqlite(sqlx::SqlitePool),
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
            return Ok(Store::Sqlite(pool));
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

    /// Applies pending migrations (done by [`Store::connect`]). Safe when
    /// several processes start at once.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mig = |e: sqlx::Error| {
            StoreError::new(
                StoreErrorKind::Migrate,
                format!("error log migration failed: {e}"),
                Some(e),
            )
        };
        macro_rules! run {
            ($pool:expr, $lock:expr) => {{
                let mut tx = $pool.begin().await.map_err(mig)?;
                if let Some(lock) = $lock {
                    sqlx::query(lock).execute(&mut *tx).await.map_err(mig)?;
                }
                sqlx::query("CREATE TABLE IF NOT EXISTS errcat_schema (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)")
                    .execute(&mut *tx)
                    .await
                    .map_err(mig)?;
                let current: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM errcat_schema")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(mig)?;
                let current = current.unwrap_or(0);
                if current > SCHEMA_VERSION {
                    return Err(StoreError::new(
                        StoreErrorKind::Migrate,
                        format!("the error log's schema is version {current}, newer than this errcat ({SCHEMA_VERSION}): upgrade errcat"),
                        None,
                    ));
                }
                for (version, statements) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
                    for sql in *statements {
                        sqlx::query(*sql).execute(&mut *tx).await.map_err(mig)?;
                    }
                    let mut q = QueryBuilder::new("INSERT INTO errcat_schema (version, applied_ms) VALUES (");
                    q.push_bind(*version).push(", ").push_bind(crate::record::unix_ms(std::time::SystemTime::now())).push(")");
                    q.build().execute(&mut *tx).await.map_err(mig)?;
                }
                tx.commit().await.map_err(mig)?;
                Ok(())
            }};
        }
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(pool) => run!(pool, None::<&str>),
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => run!(pool, Some("SELECT pg_advisory_xact_lock(7262691245)")),
        }
    }

    /// The schema version in the database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COALESCE(MAX(version), 0) FROM errcat_schema";
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(pool) => sqlx::query_scalar(sql)
                .fetch_one(pool)
                .await
                .map_err(query_err),
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => sqlx::query_scalar(sql)
                .fetch_one(pool)
                .await
                .map_err(query_err),
        }
    }

    /// Inserts records in one transaction. The batch travels as one JSON
    /// parameter that the database unpacks (`json_each` in SQLite,
    /// `json_array_elements` in PostgreSQL): one statement and one bind per
    /// chunk, whatever its size. A record whose error id is already stored
    /// is skipped, so a retried batch never duplicates.
    pub async fn insert_batch(&self, records: &[ErrorRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        macro_rules! run {
            ($pool:expr, $sql:expr) => {{
                let mut tx = $pool.begin().await.map_err(query_err)?;
                for chunk in records.chunks(ROWS_PER_STATEMENT) {
                    sqlx::query($sql)
                        .bind(rows_json(chunk))
                        .execute(&mut *tx)
                        .await
                        .map_err(query_err)?;
                }
                tx.commit().await.map_err(query_err)
            }};
        }
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(pool) => run!(pool, SQLITE_INSERT),
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => run!(pool, POSTGRES_INSERT),
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

    async fn select(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Vec<ErrorRecord>, StoreError> {
        macro_rules! run {
            ($pool:expr) => {{
                let mut q = QueryBuilder::new(format!(
                    "SELECT {COLUMNS} FROM errcat_errors WHERE {column} = "
                ));
                q.push_bind(value)
                    .push(" ORDER BY ts_ms, error_id LIMIT 1000");
                let rows = q.build().fetch_all($pool).await.map_err(query_err)?;
                rows.iter().map(|r| decode(r)).collect()
            }};
        }
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(pool) => run!(pool),
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => run!(pool),
        }
    }

    /// Records matching `filter`, newest first, one page.
    pub async fn list(&self, filter: &Filter) -> Result<Vec<ErrorRecord>, StoreError> {
        let limit = i64::from(filter.limit.unwrap_or(50).clamp(1, 1000));
        macro_rules! run {
            ($pool:expr) => {{
                let mut q =
                    QueryBuilder::new(format!("SELECT {COLUMNS} FROM errcat_errors WHERE 1 = 1"));
                if let Some(v) = &filter.code {
                    q.push(" AND code = ").push_bind(v.as_str());
                }
                if let Some(v) = filter.status {
                    q.push(" AND status = ").push_bind(i64::from(v));
                }
                if let Some(v) = &filter.category {
                    q.push(" AND category = ").push_bind(v.as_str());
                }
                if let Some(v) = &filter.route {
                    q.push(" AND route = ").push_bind(v.as_str());
                }
                if let Some(v) = &filter.tenant {
                    q.push(" AND tenant = ").push_bind(v.as_str());
                }
                if let Some(v) = filter.since_ms {
                    q.push(" AND ts_ms >= ").push_bind(v);
                }
                if let Some(v) = filter.until_ms {
                    q.push(" AND ts_ms < ").push_bind(v);
                }
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
                let rows = q.build().fetch_all($pool).await.map_err(query_err)?;
                rows.iter().map(|r| decode(r)).collect()
            }};
        }
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(pool) => run!(pool),
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => run!(pool),
        }
    }

    /// Errors per code per time bucket since `since_ms`, oldest bucket first.
    pub async fn counts(&self, since_ms: i64, bucket_ms: i64) -> Result<Vec<Count>, StoreError> {
        let bucket_ms = bucket_ms.max(1);
        macro_rules! run {
            ($pool:expr) => {{
                let mut q = QueryBuilder::new("SELECT (ts_ms / ");
                q.push_bind(bucket_ms)
                    .push(") * ")
                    .push_bind(bucket_ms)
                    .push(" AS bucket, code, COUNT(*) AS n FROM errcat_errors WHERE ts_ms >= ")
                    .push_bind(since_ms)
                    .push(" GROUP BY bucket, code ORDER BY bucket, code");
                let rows = q.build().fetch_all($pool).await.map_err(query_err)?;
                rows.iter()
                    .map(|r| {
                        Ok(Count {
                            bucket_ms: r.try_get("bucket").map_err(query_err)?,
                            code: r.try_get("code").map_err(query_err)?,
                            count: r.try_get("n").map_err(query_err)?,
                        })
                    })
                    .collect()
            }};
        }
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(pool) => run!(pool),
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => run!(pool),
        }
    }

    /// Deletes records older than `cutoff_ms`; returns how many.
    pub async fn delete_older_than(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        macro_rules! run {
            ($pool:expr) => {{
                let mut q = QueryBuilder::new("DELETE FROM errcat_errors WHERE ts_ms < ");
                q.push_bind(cutoff_ms);
                Ok(q.build()
                    .execute($pool)
                    .await
                    .map_err(query_err)?
                    .rows_affected())
            }};
        }
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(pool) => run!(pool),
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => run!(pool),
        }
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(pool) => pool.close().await,
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => pool.close().await,
        }
    }
}

fn headers_json(headers: &[(String, String)]) -> String {
    serde_json::Value::Array(
        headers
            .iter()
            .map(|(n, v)| serde_json::Value::Array(vec![n.clone().into(), v.clone().into()]))
            .collect(),
    )
    .to_string()
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
