//! Stores to run the same suite against: SQLite always, PostgreSQL when a
//! server is configured.
//!
//! PostgreSQL: `ERRCAT_TEST_POSTGRES_URL`, else, under `CI=true`, the local
//! server at `postgres://postgres@127.0.0.1:5432/test`. Without a URL and
//! outside CI the PostgreSQL half of each test prints why it is skipped.

#![allow(dead_code, unreachable_pub)]

use errcat_store::Store;

/// A store in a fresh place, and what to keep alive while it is used.
pub struct TestStore {
    pub store: Store,
    pub url: String,
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
    pub schema: Option<String>,
}

pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("errcat.db").display());
    TestStore {
        store: Store::connect(&url).await.unwrap(),
        url,
        name: "sqlite",
        _dir: Some(dir),
        schema: None,
    }
}

/// The PostgreSQL URL to test against, or `None` (with the reason printed).
pub fn postgres_url() -> Option<String> {
    if let Ok(url) = std::env::var("ERRCAT_TEST_POSTGRES_URL") {
        return Some(url);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        return Some("postgres://postgres@127.0.0.1:5432/test".to_owned());
    }
    eprintln!(
        "skipped: PostgreSQL half (set ERRCAT_TEST_POSTGRES_URL, or CI=true for the local server)"
    );
    None
}

/// A store in a fresh schema of the test database.
pub async fn postgres() -> Option<TestStore> {
    let base = postgres_url()?;
    let schema = format!(
        "errcat_test_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let admin = Store::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {base}: {e}"));
    if let Store::Postgres(pool) = &admin {
        sqlx_exec(pool, &format!("CREATE SCHEMA {schema}")).await;
    }
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    Some(TestStore {
        store: Store::connect(&url).await.unwrap(),
        url,
        name: "postgres",
        _dir: None,
        schema: Some(schema),
    })
}

async fn sqlx_exec(pool: &sqlx::PgPool, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(pool)
        .await
        .unwrap();
}

impl TestStore {
    /// Drops the PostgreSQL schema of this store.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let (Some(schema), Some(base)) = (&self.schema, postgres_url())
            && let Ok(errcat_store::Store::Postgres(pool)) =
                errcat_store::Store::connect(&base).await
        {
            sqlx_exec(&pool, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
            pool.close().await;
        }
    }
}

/// Every backend available here.
pub async fn all() -> Vec<TestStore> {
    let mut v = vec![sqlite().await];
    v.extend(postgres().await);
    v
}

/// Runs one statement on a store's database.
pub async fn execute(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(db) => {
            let path = db.path().expect("a SQLite file");
            rusqlite::Connection::open(path)
                .and_then(|c| c.execute_batch(sql))
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        Store::Postgres(pool) => sqlx_exec(pool, sql).await,
    }
}
