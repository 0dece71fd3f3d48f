//! [`ErrorLog`] as an observer of the boundary layer.

use std::time::Duration;

use errcat_axum::{ErrorEvent, ErrorObserver, Source};

use crate::admission::Head;
use crate::record::{ErrorRecord, MAX_BODY_BYTES, SentResponse, Violation, unix_ms};
use crate::writer::{Backpressure, ErrorLog};

/// The record of an [`ErrorEvent`] (already redacted by the layer).
pub fn record_of(e: &ErrorEvent) -> ErrorRecord {
    record_from(e.clone())
}

/// The most characters of a request path a record keeps; a longer one is
/// cut and ends in `…` (a path can carry a parameter of any length).
pub const MAX_PATH_CHARS: usize = 2048;

/// `s` cut to `max` characters, with an ellipsis when cut.
fn bounded(mut s: String, max: usize) -> String {
    if let Some((end, _)) = s.char_indices().nth(max) {
        s.truncate(end);
        s.push('…');
    }
    s
}

/// The response as recorded: the body as text, cut to [`MAX_BODY_BYTES`]
/// at a character boundary.
fn sent(r: errcat_axum::SentResponse) -> SentResponse {
    let text = String::from_utf8_lossy(&r.body);
    let mut end = text.len().min(MAX_BODY_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    SentResponse {
        status: r.status,
        headers: r.headers,
        body: text[..end].to_owned(),
        body_bytes: r.body.len() as u64,
    }
}

/// The record of an [`ErrorEvent`], keeping its strings.
fn record_from(e: ErrorEvent) -> ErrorRecord {
    ErrorRecord {
        error_id: e.error_id,
        request_id: e.request_id.to_string(),
        trace_id: e.trace_id,
        timestamp_ms: unix_ms(e.timestamp),
        code: e.code.to_string(),
        status: e.status,
        category: e.category,
        method: e.method.to_string(),
        route: e.route,
        path: bounded(e.path, MAX_PATH_CHARS),
        tenant: e.tenant,
        principal: e.principal,
        client_ip: e.client_ip.map(|ip| ip.to_string()),
        user_agent: e.user_agent,
        headers: e.request_headers,
        body_excerpt: e.body_excerpt,
        causes: e.causes,
        panic_message: e.panic_message,
        panic_location: e.panic_location,
        latency_us: i64::try_from(e.latency.min(Duration::from_secs(86_400)).as_micros())
            .unwrap_or(i64::MAX),
        source: match e.source {
            Source::Raised => "raised",
            Source::Rewritten => "rewritten",
            Source::Panic => "panic",
            Source::Timeout => "timeout",
            _ => "other",
        }
        .to_owned(),
        message: Some(e.message),
        response: Some(sent(e.response)),
        violations: e
            .violations
            .into_iter()
            .map(|v| Violation {
                path: v.path,
                message: v.message,
                reason: v.reason,
            })
            .collect(),
        weight: 1,
    }
}

impl ErrorObserver for ErrorLog {
    /// Records the event, keeping its strings when it is the log's to take
    /// (the log is the layer's last observer); with
    /// [`Backpressure::Wait`] the response waits for room in the queue.
    /// The event is admitted (kept, or sampled out in an error storm and
    /// only counted) before its record is made.
    fn observe(&self, event: errcat_axum::Observed<'_>) -> Option<errcat_axum::ObserveFuture> {
        let head = Head {
            error_id: &event.error_id,
            code: &event.code,
            category: &event.category,
            route: event.route.as_deref().unwrap_or(""),
            status: event.status,
            timestamp_ms: unix_ms(event.timestamp),
        };
        let Ok((tx, weight)) = self.admit(&head) else {
            return None;
        };
        let mut record = record_from(event.into_owned());
        record.weight = weight;
        if self.backpressure() != Backpressure::Wait {
            self.enqueue(&tx, record);
            return None;
        }
        let log = self.clone();
        Some(Box::pin(async move {
            log.enqueue_wait(&tx, record).await;
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_paths_are_cut_with_an_ellipsis() {
        let long = format!("/templates/{}", "x".repeat(5000));
        let cut = bounded(long.clone(), MAX_PATH_CHARS);
        assert_eq!(cut.chars().count(), MAX_PATH_CHARS + 1);
        assert!(cut.ends_with('…') && long.starts_with(cut.trim_end_matches('…')));
        assert_eq!(bounded("/a/é".to_owned(), 3), "/a/…");
        assert_eq!(bounded("/short".to_owned(), MAX_PATH_CHARS), "/short");
    }

    #[test]
    fn a_long_body_is_cut_at_a_character_boundary_and_says_so() {
        let body = format!("{{\"m\":\"{}\"}}", "é".repeat(MAX_BODY_BYTES));
        let mut r = errcat_axum::SentResponse::default();
        r.status = 400;
        r.body = bytes::Bytes::from(body.clone());
        let s = sent(r);
        assert!(
            s.body_cut() && s.body.len() <= MAX_BODY_BYTES && s.body.len() > MAX_BODY_BYTES - 4
        );
        assert!(body.starts_with(&s.body));
        assert_eq!(s.body_bytes, body.len() as u64);
    }
}
