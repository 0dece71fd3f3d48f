//! The SQLite backend, on one driver (rusqlite): a small pool of reading
//! connections (r2d2) used from tokio's blocking threads, and one
//! connection of its own for inserts, used from blocking code: the error
//! log's writer thread binds each field straight from the records, without
//! async hops or per-field copies. Every connection is opened by
//! [`open`], so the settings live in one place.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

use crate::counts::{
    NotKeptTally, SQLITE_HOURLY_UPSERT, SQLITE_UPSERT, batch_counts, hour_counts, only_new,
};
use crate::record::ErrorRecord;
use crate::schema::{COLUMNS, write_json};
use crate::sql::{Columns, Decode, Param, Sql};
use crate::store::{StoreError, StoreErrorKind};

/// How long a connection waits for another's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Reading connections at most (SQLite readers do not block the writer in
/// WAL mode).
const READERS: u32 = 4;

/// An SQLite error log: the readers' pool, and the insert connection
/// (opened on the first insert, reopened after a failure).
#[derive(Clone)]
pub struct SqliteStore {
    target: Arc<Target>,
    /// `None` once the store is closed.
    readers: Arc<std::sync::RwLock<Option<r2d2::Pool<SqliteConnectionManager>>>>,
    inserts: Arc<Mutex<Inserter>>,
    /// An in-memory database lives while a connection to it is open.
    anchor: Arc<Mutex<Option<Connection>>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// Which database the connections open.
#[derive(Debug)]
pub(crate) struct Target {
    /// The file, or the shared in-memory database's URI.
    filename: PathBuf,
    in_memory: bool,
    /// Opening may create the file.
    create: bool,
}

impl Target {
    /// The database a `sqlite:` URL names: `sqlite://FILE`, `sqlite:FILE`,
    /// `sqlite::memory:`, with an optional `?mode=rwc` (create if missing,
    /// the default), `?mode=rw` (must exist) or `?mode=memory`.
    pub(crate) fn parse(url: &str) -> Result<Target, String> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or("not a sqlite: URL")?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut mode = "rwc";
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("mode", m @ ("rwc" | "rw" | "memory"))) => mode = m,
                _ => {
                    return Err(format!(
                        "unsupported option `{pair}` (supported: mode=rwc, mode=rw, mode=memory)"
                    ));
                }
            }
        }
        if path == ":memory:" || mode == "memory" {
            static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(Target {
                filename: PathBuf::from(format!(
                    "file:errcat-memory-{}-{n}?mode=memory&cache=shared",
                    std::process::id()
                )),
                in_memory: true,
                create: true,
            });
        }
        if path.is_empty() {
            return Err("no file named (use sqlite://FILE)".to_owned());
        }
        Ok(Target {
            filename: PathBuf::from(path),
            in_memory: false,
            create: mode == "rwc",
        })
    }
}

/// Opens a connection to `t` with the log's settings: a busy timeout, and
/// for a file `synchronous = NORMAL` (WAL is the database's, set once by
/// [`SqliteStore::open`]).
fn open(t: &Target) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open_with_flags(&t.filename, flags(t))?;
    configure(&conn, t.in_memory)?;
    Ok(conn)
}

fn flags(t: &Target) -> OpenFlags {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if t.create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    if t.in_memory {
        flags |= OpenFlags::SQLITE_OPEN_MEMORY | OpenFlags::SQLITE_OPEN_SHARED_CACHE;
    }
    flags
}

fn configure(conn: &Connection, in_memory: bool) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if !in_memory {
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    conn.set_prepared_statement_cache_capacity(16);
    Ok(())
}

impl SqliteStore {
    /// Opens the database (creating the file unless `mode=rw`), puts it in
    /// WAL mode, and sets up the readers' pool.
    pub(crate) fn open(target: Target) -> Result<SqliteStore, StoreError> {
        let first = open(&target).map_err(|e| connect_err(&target, e))?;
        if !target.in_memory {
            first
                .pragma_update(None, "journal_mode", "WAL")
                .map_err(|e| connect_err(&target, e))?;
        }
        let in_memory = target.in_memory;
        let manager = SqliteConnectionManager::file(&target.filename)
            .with_flags(flags(&target))
            .with_init(move |c| configure(c, in_memory));
        // Readers are opened as needed and closed after ten idle minutes;
        // an in-memory database's first connection is kept for its life.
        let readers = r2d2::Pool::builder()
            .max_size(if in_memory { 1 } else { READERS })
            .min_idle(Some(0))
            .idle_timeout(Some(Duration::from_secs(600)))
            .max_lifetime(Some(Duration::from_secs(1800)))
            .connection_timeout(BUSY_TIMEOUT)
            .build_unchecked(manager);
        Ok(SqliteStore {
            target: Arc::new(target),
            readers: Arc::new(std::sync::RwLock::new(Some(readers))),
            inserts: Arc::new(Mutex::new(Inserter {
                conn: None,
                closed: false,
            })),
            anchor: Arc::new(Mutex::new(in_memory.then_some(first))),
        })
    }

    /// The database file (`None` for an in-memory log).
    pub fn path(&self) -> Option<&Path> {
        (!self.target.in_memory).then_some(self.target.filename.as_path())
    }

    /// Runs `f` with a reading connection on tokio's blocking pool.
    pub(crate) async fn with_reader<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let readers = self
            .readers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(closed)?;
        tokio::task::spawn_blocking(move || {
            let mut conn = readers.get().map_err(|e| {
                StoreError::with_source(
                    StoreErrorKind::Connect,
                    format!("no error log connection: {e}"),
                    Box::new(e),
                    false,
                )
            })?;
            f(&mut conn)
        })
        .await
        .unwrap_or_else(|e| Err(stopped(&e)))
    }

    /// The rows of `q`, each read by `decode`.
    pub(crate) async fn fetch<T: Send + 'static>(
        &self,
        q: Sql,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        self.with_reader(move |conn| {
            let mut stmt = prepare(conn, &q)?;
            let mut rows = stmt.raw_query();
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(sqlite_err)? {
                out.push(decode(row as &dyn Columns)?);
            }
            Ok(out)
        })
        .await
    }

    /// Inserts records, and adds them and the errors not kept to the
    /// counts, in one transaction, blocking the calling thread.
    pub(crate) fn insert_blocking(
        &self,
        records: &[ErrorRecord],
        not_kept: &NotKeptTally,
    ) -> Result<(), StoreError> {
        self.inserts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(&self.target, records, not_kept)
    }

    /// Runs `q`, a change, on the writing connection (the one the writer's
    /// inserts use, so the two take turns instead of waiting on the
    /// database's lock); returns how many rows it changed.
    pub(crate) async fn write(&self, q: Sql) -> Result<u64, StoreError> {
        let inserts = self.inserts.clone();
        let target = self.target.clone();
        tokio::task::spawn_blocking(move || {
            inserts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .run(&target, &q)
        })
        .await
        .unwrap_or_else(|e| Err(stopped(&e)))
    }

    /// Closes the store: its connections are closed (the readers' as they
    /// are given back), and every later query or insert fails.
    pub(crate) fn close(&self) {
        let mut inserts = self.inserts.lock().unwrap_or_else(PoisonError::into_inner);
        inserts.conn = None;
        inserts.closed = true;
        drop(inserts);
        *self.readers.write().unwrap_or_else(PoisonError::into_inner) = None;
        *self.anchor.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

fn connect_err(t: &Target, e: rusqlite::Error) -> StoreError {
    StoreError::with_source(
        StoreErrorKind::Connect,
        format!("cannot open the error log at {}: {e}", t.filename.display()),
        Box::new(e),
        false,
    )
}

fn closed() -> StoreError {
    StoreError::new(StoreErrorKind::Connect, "the error log is closed")
}

/// A blocking task that did not finish (a panic, or the runtime shutting
/// down).
pub(crate) fn stopped(e: &dyn std::fmt::Display) -> StoreError {
    StoreError::new(
        StoreErrorKind::Query,
        format!("error log query stopped: {e}"),
    )
}

/// `q` prepared (from the connection's cache) with its values bound.
fn prepare<'c>(conn: &'c Connection, q: &Sql) -> Result<rusqlite::CachedStatement<'c>, StoreError> {
    let mut stmt = conn.prepare_cached(&q.text).map_err(sqlite_err)?;
    for (i, p) in q.params.iter().enumerate() {
        match p {
            Param::Text(v) => stmt.raw_bind_parameter(i + 1, v.as_str()),
            Param::Int(v) => stmt.raw_bind_parameter(i + 1, v),
        }
        .map_err(sqlite_err)?;
    }
    Ok(stmt)
}

#[derive(Debug)]
struct Inserter {
    conn: Option<Connection>,
    closed: bool,
}

/// Rows of the largest INSERT statement (a power of two). A batch is split
/// into statements of 512, 256, …, 1 rows: at most ten distinct statements,
/// each prepared once per connection and then reused.
const MAX_ROWS: usize = 512;
const FIELDS: usize = 25;

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

pub(crate) fn sqlite_err(e: rusqlite::Error) -> StoreError {
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
    /// Runs `f` on the writing connection, opened if it is not. After a
    /// failure that is not the data's (a deleted file, a closed handle) the
    /// connection is dropped, to be opened again on the next call.
    fn with_conn<T>(
        &mut self,
        target: &Target,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.closed {
            return Err(closed());
        }
        if self.conn.is_none() {
            self.conn = Some(open(target).map_err(|e| connect_err(target, e))?);
        }
        let result = f(self.conn.as_mut().expect("opened above"));
        if let Err(e) = &result
            && !e.is_refused_data()
        {
            self.conn = None;
        }
        result
    }

    fn run(&mut self, target: &Target, q: &Sql) -> Result<u64, StoreError> {
        self.with_conn(target, |conn| {
            let n = prepare(conn, q)?.raw_execute().map_err(sqlite_err)?;
            Ok(n as u64)
        })
    }

    fn insert(
        &mut self,
        target: &Target,
        records: &[ErrorRecord],
        not_kept: &NotKeptTally,
    ) -> Result<(), StoreError> {
        self.with_conn(target, |conn| insert_new(conn, records, not_kept))
    }
}

/// Inserts the records not stored yet, and adds them and `not_kept` to the
/// counts, in one transaction. A batch rarely holds a stored error id (a
/// retry after a lost commit reply, a duplicate record): when the insert
/// changes fewer rows than it has records, it is rolled back and made again
/// of the new records only, so the counts never count a record twice.
fn insert_new(
    conn: &mut Connection,
    records: &[ErrorRecord],
    not_kept: &NotKeptTally,
) -> Result<(), StoreError> {
    if insert(conn, records, not_kept, true)? {
        return Ok(());
    }
    let stored = stored_ids(conn, records)?;
    insert(conn, &only_new(records, &stored), not_kept, false).map(|_| ())
}

/// The error ids among `records` already stored.
fn stored_ids(
    conn: &Connection,
    records: &[ErrorRecord],
) -> Result<std::collections::HashSet<String>, StoreError> {
    let mut stored = std::collections::HashSet::new();
    for chunk in records.chunks(MAX_ROWS) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut stmt = conn
            .prepare(&format!(
                "SELECT error_id FROM errcat_errors WHERE error_id IN ({marks})"
            ))
            .map_err(sqlite_err)?;
        let ids = stmt
            .query_map(
                rusqlite::params_from_iter(chunk.iter().map(|r| r.error_id.as_str())),
                |row| row.get::<_, String>(0),
            )
            .map_err(sqlite_err)?;
        for id in ids {
            stored.insert(id.map_err(sqlite_err)?);
        }
    }
    Ok(stored)
}

/// One transaction of [`insert_new`]; with `strict`, rolled back (and
/// `false` returned) when a record was already stored.
fn insert(
    conn: &mut Connection,
    records: &[ErrorRecord],
    not_kept: &NotKeptTally,
    strict: bool,
) -> Result<bool, StoreError> {
    let mut changed = 0;
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
            bind(&r.weight)?;
        }
        changed += stmt.raw_execute().map_err(sqlite_err)?;
    }
    if strict && changed < records.len() {
        return Ok(false); // rolled back as `tx` drops
    }
    let counts = batch_counts(records, not_kept);
    let mut upsert = tx.prepare_cached(SQLITE_UPSERT).map_err(sqlite_err)?;
    for c in &counts {
        upsert
            .execute(rusqlite::params![
                c.minute_ms,
                c.code,
                c.route,
                c.status,
                c.n,
                c.not_kept
            ])
            .map_err(sqlite_err)?;
    }
    drop(upsert);
    let mut upsert = tx
        .prepare_cached(SQLITE_HOURLY_UPSERT)
        .map_err(sqlite_err)?;
    for h in hour_counts(&counts) {
        upsert
            .execute(rusqlite::params![h.hour_ms, h.code, h.n])
            .map_err(sqlite_err)?;
    }
    drop(upsert);
    tx.commit().map_err(sqlite_err)?;
    Ok(true)
}
