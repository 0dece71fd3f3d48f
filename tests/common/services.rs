//! The servers some tests need on loopback: PostgreSQL for the error log and
//! Redis for shared rate limits, chosen as errcat-store's and errcat-axum's
//! tests choose them.
//!
//! PostgreSQL: `ERRCAT_TEST_POSTGRES_URL`, else, under `CI=true`, the local
//! server at `postgres://postgres@127.0.0.1:5432/test`. Redis:
//! `ERRCAT_REDIS_URL`, else `redis://127.0.0.1:6379`, if it answers `PING`.
//! Without them, outside CI, a test prints why it is skipped and returns;
//! under `CI=true` a missing server fails it.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whether the tests run under CI (`CI=true`), where nothing may be skipped.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Says why `test` is skipped, on the process's stderr itself: the test
/// harness captures `eprintln!`, and a skip should show in every run.
pub fn skip(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "skipped: {test}: {why}");
}

/// A name no other run uses: `{stem}_{pid}_{nanoseconds}`.
pub fn unique(stem: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{stem}_{}_{nanos}", std::process::id())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The PostgreSQL database to test against, or `None` after printing why
/// `test` is skipped.
pub fn postgres_url(test: &str) -> Option<String> {
    if let Ok(url) = std::env::var("ERRCAT_TEST_POSTGRES_URL") {
        return Some(url);
    }
    if ci() {
        return Some("postgres://postgres@127.0.0.1:5432/test".to_owned());
    }
    skip(
        test,
        "no PostgreSQL (set ERRCAT_TEST_POSTGRES_URL, or CI=true for the local server)",
    );
    None
}

/// A fresh schema of the test database, dropped (with what is in it) on drop.
pub struct PgSchema {
    base: String,
    /// The schema's name.
    pub name: String,
    /// The database's URL with the schema as its search path: an error log
    /// URL for `--store`.
    pub url: String,
}

async fn execute(base: &str, sql: &str) -> Result<(), sqlx::Error> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect(base)
        .await?;
    let done = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&pool)
        .await;
    pool.close().await;
    done.map(drop)
}

impl PgSchema {
    /// Creates a schema named `{stem}_{pid}_{nanoseconds}` in the database
    /// at `base`.
    ///
    /// # Panics
    ///
    /// If PostgreSQL cannot be reached there.
    pub fn create(base: &str, stem: &str) -> PgSchema {
        let name = unique(stem);
        runtime()
            .block_on(execute(base, &format!("CREATE SCHEMA {name}")))
            .unwrap_or_else(|e| panic!("PostgreSQL at {base}: {e}"));
        let sep = if base.contains('?') { '&' } else { '?' };
        PgSchema {
            url: format!("{base}{sep}options=-c%20search_path%3D{name}"),
            base: base.to_owned(),
            name,
        }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        if let Err(e) = runtime().block_on(execute(&self.base, &sql)) {
            eprintln!("could not drop the test schema {}: {e}", self.name);
        }
    }
}

/// The Redis to test against, or `None` after printing why `test` is
/// skipped; under `CI=true` a Redis that does not answer fails the test.
#[cfg(feature = "redis")]
pub fn redis_url(test: &str) -> Option<String> {
    use errcat_axum::rate_limit::RedisBackend;
    let url =
        std::env::var("ERRCAT_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let probe = async {
        let backend = RedisBackend::open(&url)?.timeout(Duration::from_secs(2));
        backend.connect().await
    };
    let why = match runtime()
        .block_on(async { tokio::time::timeout(Duration::from_secs(3), probe).await })
    {
        Ok(Ok(())) => return Some(url),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 3 s".to_owned(),
    };
    assert!(
        !ci(),
        "CI=true but no Redis at {url} ({why}); start one or set ERRCAT_REDIS_URL"
    );
    skip(test, &format!("no Redis at {url} ({why})"));
    None
}
