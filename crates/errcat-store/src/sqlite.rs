//! The SQLite backend: sqlx's pool for migrations and queries, and one
//! connection of its own (rusqlite, the same libsqlite3) for inserts, used
//! from blocking code: the error log's writer thread binds each field
//! straight from the records, without async hops or per-field copies.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::record::ErrorRecord;
use crate::schema::{COLUMNS, write_json};
use crate::store::{StoreError, StoreErrorKind};

/// An SQLite error log: the pool, and the insert connection (opened on the
/// first insert, reopened after a failure).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: sqlx::SqlitePool,
    inserts: Arc<Mutex<Inserter>>,
}

impl SqliteStore {
    pub(crate) fn new(pool: sqlx::SqlitePool, target: Target) -> Self {
        SqliteStore {
            pool,
            inserts: Arc::new(Mutex::new(Inserter { target, conn: None })),
        }
    }

    /// The sqlx pool (migrations, queries, retention).
    pub fn pool(&self) -> &sqlx::SqlitePool {
        &self.pool
    }

    /// Inserts records in one transaction, blocking the calling thread.
    pub(crate) fn insert_blocking(&self, records: &[ErrorRecord]) -> Result<(), StoreError> {
        self.inserts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(records)
    }

    /// Closes the insert connection (the pool is closed by the caller).
    pub(crate) fn close_inserts(&self) {
        self.inserts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .conn = None;
    }
}

/// Which database the insert connection opens: the pool's file, or its
/// shared-cache in-memory database.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) filename: PathBuf,
    pub(crate) in_memory: bool,
}

#[derive(Debug)]
struct Inserter {
    target: Target,
    conn: Option<Connection>,
}

/// Rows of the largest INSERT statement (a power of two). A batch is split
/// into statements of 512, 256, …, 1 rows: at most ten distinct statements,
/// each prepared once per connection and then reused.
const MAX_ROWS: usize = 512;
const FIELDS: usize = 24;

/// The multi-row INSERT of `rows` rows (a power of two up to `MAX_ROWS`).
fn insert_sql(rows: usize) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    let all = SQL.get_or_init(|| {
        let row = format!("({})", vec!["?"; FIELDS].join(","));
        (0..=MAX_ROWS.trailing_zeros())
            .map(|k| {
                let values = vec![row.as_str(); 1 << k].join(",");
                format!(
                    "INSERT INTO errcat_errors ({COLUMNS}) VALUES {values} ON CONFLICT (error_id) DO NOTHING"
                )
            })
            .collect()
    });
    debug_assert!(rows.is_power_of_two() && rows <= MAX_ROWS);
    &all[rows.trailing_zeros() as usize]
}

fn sqlite_err(e: rusqlite::Error) -> StoreError {
    let refused = matches!(
        e.sqlite_error_code(),
        Some(
            rusqlite::ErrorCode::TooBig
                | rusqlite::ErrorCode::ConstraintViolation
                | rusqlite::ErrorCode::TypeMismatch
        )
    );
    StoreError::with_source(
        StoreErrorKind::Query,
        format!("error log query failed: {e}"),
        Box::new(e),
        refused,
    )
}

impl Inserter {
    fn connection(&mut self) -> Result<&mut Connection, StoreError> {
        if self.conn.is_none() {
            let t = &self.target;
            let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            if t.in_memory {
                flags |= OpenFlags::SQLITE_OPEN_MEMORY | OpenFlags::SQLITE_OPEN_SHARED_CACHE;
            }
            let conn = Connection::open_with_flags(&t.filename, flags).map_err(|e| {
                StoreError::with_source(
                    StoreErrorKind::Connect,
                    format!("cannot open the error log at {}: {e}", t.filename.display()),
                    Box::new(e),
                    false,
                )
            })?;
            conn.busy_timeout(Duration::from_secs(5))
                .map_err(sqlite_err)?;
            // WAL is the database's (set by the pool); synchronous is per
            // connection: NORMAL, as the pool's.
            if !t.in_memory {
                conn.pragma_update(None, "synchronous", "NORMAL")
                    .map_err(sqlite_err)?;
            }
            conn.set_prepared_statement_cache_capacity(16);
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("opened above"))
    }

    fn insert(&mut self, records: &[ErrorRecord]) -> Result<(), StoreError> {
        let result = insert(self.connection()?, records);
        if let Err(e) = &result
            && !e.is_refused_data()
        {
            // The database may be gone (a deleted file, a closed handle):
            // open it again on the next attempt.
            self.conn = None;
        }
        result
    }
}

fn insert(conn: &mut Connection, records: &[ErrorRecord]) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sqlite_err)?;
    // Bound text is copied by SQLite, so one buffer serves every JSON field.
    let mut json = String::new();
    let mut rest = records;
    while !rest.is_empty() {
        // The largest power of two that fits: 512, 256, …, 1.
        let n = if rest.len() >= MAX_ROWS {
            MAX_ROWS
        } else {
            1 << rest.len().ilog2()
        };
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        let mut stmt = tx.prepare_cached(insert_sql(n)).map_err(sqlite_err)?;
        let mut i = 0;
        let mut bind = |v: &dyn rusqlite::ToSql| {
            i += 1;
            stmt.raw_bind_parameter(i, v).map_err(sqlite_err)
        };
        for r in chunk {
            bind(&r.error_id)?;
            bind(&r.request_id)?;
            bind(&r.trace_id)?;
            bind(&r.timestamp_ms)?;
            bind(&r.code)?;
            bind(&r.status)?;
            bind(&r.category)?;
            bind(&r.method)?;
            bind(&r.route)?;
            bind(&r.path)?;
            bind(&r.tenant)?;
            bind(&r.principal)?;
            bind(&r.client_ip)?;
            bind(&r.user_agent)?;
            write_json(&mut json, &r.headers);
            bind(&json.as_str())?;
            bind(&r.body_excerpt)?;
            write_json(&mut json, &r.causes);
            bind(&json.as_str())?;
            bind(&r.panic_message)?;
            bind(&r.panic_location)?;
            bind(&r.latency_us)?;
            bind(&r.source)?;
            bind(&r.message)?;
            match &r.response {
                Some(sent) => {
                    write_json(&mut json, sent);
                    bind(&json.as_str())?;
                }
                None => bind(&rusqlite::types::Null)?,
            }
            write_json(&mut json, &r.violations);
            bind(&json.as_str())?;
        }
        stmt.raw_execute().map_err(sqlite_err)?;
    }
    tx.commit().map_err(sqlite_err)
}
