//! The errcat error log: every error the boundary layer answers is recorded
//! — safely, with secrets redacted before the record leaves the request —
//! and support finds it again from one id.
//!
//! - [`Store`]: the database facade, SQLite (embedded default, WAL mode,
//!   `sqlite://errcat.db`) or PostgreSQL (`postgres://…`) behind features,
//!   with versioned migrations applied on connect and one error kind
//!   ([`StoreErrorKind`]).
//! - [`ErrorLog`]: a bounded queue and a background writer that batches
//!   records into transactions, drops and counts (or waits) when full,
//!   retries while the database is down, and flushes on shutdown.
//! - Queries by error id, by request id, filtered pages, counts per code per
//!   time bucket, and retention.
//!
//! | feature | what |
//! |---|---|
//! | `sqlite` (default) | the SQLite backend |
//! | `postgres` | the PostgreSQL backend |
//! | `axum` | [`ErrorLog`] as an observer of `errcat_axum::ErrcatLayer` |

mod admission;
mod counts;
mod delivery;
#[cfg(feature = "axum")]
mod observer;
#[cfg(feature = "postgres")]
mod postgres;
mod query;
mod record;
mod retention;
mod schema;
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;
mod writer;

#[cfg(feature = "axum")]
pub use observer::{MAX_PATH_CHARS, record_of};
pub use record::{
    Count, ErrorRecord, Filter, GROUP_READ, GROUP_SCAN, Group, Groups, MAX_BODY_BYTES, NotKept,
    SentResponse, Violation, from_unix_ms, parse_duration, unix_ms,
};
pub use retention::DELETE_STEP;
pub use schema::SCHEMA_VERSION;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use store::{DEFAULT_URL, Store, StoreError, StoreErrorKind, redact_url};
pub use writer::{Backpressure, ErrorLog, Recorded, Sampling, StatsSnapshot, Storm, WriterConfig};

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("errcat-store needs a backend: enable `sqlite` or `postgres`");
