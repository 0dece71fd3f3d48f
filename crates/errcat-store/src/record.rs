//! What is recorded per error.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One error, as stored. Secrets are redacted before a record is made (the
/// boundary layer's `Capture` does it on the request's task).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorRecord {
    /// The error id in the response body.
    pub error_id: String,
    /// The request id (`X-Request-Id`).
    pub request_id: String,
    /// The trace id, if any.
    pub trace_id: Option<String>,
    /// When it happened, in milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// The catalog code.
    pub code: String,
    /// The HTTP status sent.
    pub status: u16,
    /// The code's category.
    pub category: String,
    /// The request method.
    pub method: String,
    /// The route template, if known.
    pub route: Option<String>,
    /// The raw path, without the query.
    pub path: String,
    /// The tenant, if known.
    pub tenant: Option<String>,
    /// Who called (a user or key id), if known.
    pub principal: Option<String>,
    /// The client's IP address, possibly truncated.
    pub client_ip: Option<String>,
    /// The `User-Agent`.
    pub user_agent: Option<String>,
    /// Selected request headers, redacted.
    pub headers: Vec<(String, String)>,
    /// The start of the request body, redacted.
    pub body_excerpt: Option<String>,
    /// The internal cause chain.
    pub causes: Vec<String>,
    /// The panic message, if the handler panicked.
    pub panic_message: Option<String>,
    /// The panic location.
    pub panic_location: Option<String>,
    /// Time from request to response, in microseconds.
    pub latency_us: i64,
    /// Where the error came from (`raised`, `rewritten`, `panic`, `timeout`).
    pub source: String,
    /// The message sent, as text in the catalog's locale (`None` in records
    /// written before errcat kept it).
    pub message: Option<String>,
    /// What the client received (`None` in records written before errcat
    /// kept it).
    pub response: Option<SentResponse>,
    /// The field violations the response listed.
    pub violations: Vec<Violation>,
    /// How many errors this record stands for: 1, or more when it was kept
    /// by sampling (one kept in 100 stands for 100).
    pub weight: i64,
}

/// The response an error was sent as.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SentResponse {
    /// The status on the wire.
    pub status: u16,
    /// The headers errcat set, in order (secrets redacted).
    pub headers: Vec<(String, String)>,
    /// The body as sent, up to [`MAX_BODY_BYTES`] (secrets redacted).
    pub body: String,
    /// The whole body's length in bytes: more than `body`'s when the body
    /// was cut.
    pub body_bytes: u64,
}

impl SentResponse {
    /// Whether the body was cut to [`MAX_BODY_BYTES`].
    pub fn body_cut(&self) -> bool {
        self.body_bytes > self.body.len() as u64
    }
}

/// The most bytes of a response body a record keeps (8 KiB); a longer body
/// is cut at a character boundary, and [`SentResponse::body_cut`] says so.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// One field violation a response listed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Violation {
    /// The path from the body's root, dotted (`events.0.type`).
    pub path: String,
    /// What is wrong with it.
    pub message: String,
    /// A machine-readable reason, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The time `ms` milliseconds after the Unix epoch.
pub fn from_unix_ms(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// A duration as support types it for the log's time filters: a whole
/// number and `s`, `m`, `h` or `d` (`90s`, `15m`, `24h`, `7d`); `None`
/// otherwise, or when it overflows.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(errcat_store::parse_duration("15m"), Some(Duration::from_secs(900)));
/// assert_eq!(errcat_store::parse_duration("2 weeks"), None);
/// ```
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = num.parse().ok()?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(mult).map(Duration::from_secs)
}

impl ErrorRecord {
    /// A record with the given ids, code and status, and empty details: a
    /// starting point for tests and for callers outside axum.
    pub fn new(
        error_id: impl Into<String>,
        request_id: impl Into<String>,
        code: impl Into<String>,
        status: u16,
    ) -> Self {
        ErrorRecord {
            error_id: error_id.into(),
            request_id: request_id.into(),
            trace_id: None,
            timestamp_ms: unix_ms(SystemTime::now()),
            code: code.into(),
            status,
            category: String::new(),
            method: "GET".to_owned(),
            route: None,
            path: "/".to_owned(),
            tenant: None,
            principal: None,
            client_ip: None,
            user_agent: None,
            headers: Vec::new(),
            body_excerpt: None,
            causes: Vec::new(),
            panic_message: None,
            panic_location: None,
            latency_us: 0,
            source: "raised".to_owned(),
            message: None,
            response: None,
            violations: Vec::new(),
            weight: 1,
        }
    }

    /// The route errors are counted under: the template, else `""` (no
    /// route matched; the raw path would make the counts unbounded).
    pub(crate) fn count_route(&self) -> &str {
        self.route.as_deref().unwrap_or("")
    }
}

/// Errors of one code, route and status in one minute that the log did not
/// keep (sampled out, or dropped with the queue full): counted in the
/// log's per-minute counts, though their records were not written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotKept {
    /// The minute (ms since the epoch, a multiple of 60,000).
    pub minute_ms: i64,
    /// The code.
    pub code: String,
    /// The route template (`""` when no route matched).
    pub route: String,
    /// The status.
    pub status: u16,
    /// How many errors like these were not kept that minute.
    pub count: i64,
    /// How many errors like these there were that minute in all.
    pub total: i64,
}

/// The minute of a time in ms since the epoch.
pub(crate) fn minute_of(ms: i64) -> i64 {
    ms.saturating_sub(ms.rem_euclid(60_000))
}

/// Filters of [`crate::Store::list`]; every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this code.
    pub code: Option<String>,
    /// Only statuses in this range (`404..=404`, `400..=499`).
    pub status: Option<std::ops::RangeInclusive<u16>>,
    /// Only this category.
    pub category: Option<String>,
    /// Only this route: a template (`/users/{id}`), or a concrete path
    /// (`/users/42`), which matches errors on that path.
    pub route: Option<String>,
    /// Only this tenant, compared without case (ASCII).
    pub tenant: Option<String>,
    /// Only errors sent with this message.
    pub message: Option<String>,
    /// At or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Before this time (ms since the epoch).
    pub until_ms: Option<i64>,
    /// Page size (default 50, at most 1000).
    pub limit: Option<u32>,
    /// Continue after this `(timestamp_ms, error_id)` of the previous page's last record.
    pub after: Option<(i64, String)>,
}

/// Errors alike — one code, one route, one message — as one line of an
/// issue list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The code.
    pub code: String,
    /// The route template, else the path.
    pub route: String,
    /// The message sent (`None` for records written before errcat kept it).
    pub message: Option<String>,
    /// The status (the highest, should one code have been sent with several).
    pub status: u16,
    /// How many errors.
    pub count: i64,
    /// The first one's time (ms since the epoch).
    pub first_ms: i64,
    /// The last one's time.
    pub last_ms: i64,
    /// One error id of the group.
    pub sample_error_id: String,
    /// Errors per time bucket, `(bucket start, count)`, oldest first; empty
    /// buckets left out.
    pub buckets: Vec<(i64, i64)>,
}

/// The grouped view of a window: its groups, and how much of the window
/// they cover.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Groups {
    /// The groups, most recently seen first.
    pub groups: Vec<Group>,
    /// The errors read: of every group, those past the limit too.
    pub errors: i64,
    /// How many groups those errors make, those past the limit too.
    pub all_groups: usize,
    /// When a grouping read less than the whole window (more than
    /// [`GROUP_SCAN`] errors match, or a filter without an index of its own
    /// met fewer among the window's newest [`GROUP_READ`]): the time from
    /// which the groups and their counts cover the window.
    pub cut_ms: Option<i64>,
}

/// The matching errors a grouping reads at most, the newest first: so that
/// the grouped view costs the same on a log of any size.
pub const GROUP_SCAN: i64 = 10_000;

/// The errors of the window a grouping reads at most when its filter has no
/// index of its own (a status, a category, a message, a concrete path): it
/// groups the ones of those that match. A code, a tenant or a route template
/// finds its errors through an index, and reads [`GROUP_SCAN`] at most.
pub const GROUP_READ: i64 = 50_000;

/// Errors of one code in one time bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    /// The bucket's start (ms since the epoch).
    pub bucket_ms: i64,
    /// The code.
    pub code: String,
    /// How many.
    pub count: i64,
}
