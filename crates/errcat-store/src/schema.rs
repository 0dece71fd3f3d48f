//! The error log's schema: its versioned migrations, the columns a record
//! is read and written with, and how JSON columns are written.

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
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 3;

pub(crate) const COLUMNS: &str = "error_id, request_id, trace_id, ts_ms, code, status, category, method, route, path, tenant, principal, client_ip, user_agent, headers, body_excerpt, causes, panic_message, panic_location, latency_us, source, message, response, violations";

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
