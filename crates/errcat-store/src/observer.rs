//! [`ErrorLog`] as an observer of the boundary layer.

use std::time::Duration;

use errcat_axum::{ErrorEvent, ErrorObserver, Source};

use crate::record::{ErrorRecord, unix_ms};
use crate::writer::{Backpressure, ErrorLog};

/// The record of an [`ErrorEvent`] (already redacted by the layer).
pub fn record_of(e: &ErrorEvent) -> ErrorRecord {
    ErrorRecord {
        error_id: e.error_id.clone(),
        request_id: e.request_id.to_string(),
        trace_id: e.trace_id.clone(),
        timestamp_ms: unix_ms(e.timestamp),
        code: e.code.to_string(),
        status: e.status,
        category: e.category.clone(),
        method: e.method.to_string(),
        route: e.route.clone(),
        path: e.path.clone(),
        tenant: e.tenant.clone(),
        principal: e.principal.clone(),
        client_ip: e.client_ip.map(|ip| ip.to_string()),
        user_agent: e.user_agent.clone(),
        headers: e.request_headers.clone(),
        body_excerpt: e.body_excerpt.clone(),
        causes: e.causes.clone(),
        panic_message: e.panic_message.clone(),
        panic_location: e.panic_location.clone(),
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
    }
}

impl ErrorObserver for ErrorLog {
    fn observe(&self, event: &ErrorEvent) {
        match self.backpressure() {
            Backpressure::Drop => {
                self.record(record_of(event));
            }
            Backpressure::Wait => {
                // `observe_async` handles this mode; reaching here means the
                // layer called the synchronous hook only.
                self.record(record_of(event));
            }
        }
    }

    fn observe_async(&self, event: &ErrorEvent) -> Option<errcat_axum::ObserveFuture> {
        if self.backpressure() != Backpressure::Wait {
            self.observe(event);
            return None;
        }
        let log = self.clone();
        let record = record_of(event);
        Some(Box::pin(async move {
            log.record_wait(record).await;
        }))
    }
}
