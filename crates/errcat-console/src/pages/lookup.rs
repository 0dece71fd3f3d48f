//! `/console/lookup?id=…`: an error id as a support page; a request id or a
//! trace id as all of its errors in time order. The id is read as support
//! pastes it (see `support::id_candidates`).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use errcat_store::ErrorRecord;

use super::{Page, finish, frame, home, html, now_ms, query};
use crate::Shared;
use crate::html::param;
use crate::support;
use crate::view::{self, RecordView, Row};

/// The longest input the lookup reads; longer is "not found".
const MAX_ID: usize = 300;

pub(crate) async fn lookup(State(shared): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let q = query(q);
    let Some(id) = param(&q, "id") else {
        return home(State(shared)).await;
    };
    let r = lookup_page(&shared, id).await;
    finish(&shared, r)
}

/// What an id found.
enum Found {
    Error(Box<ErrorRecord>),
    Many(&'static str, String, Vec<ErrorRecord>),
    Nothing(Vec<String>),
}

/// Each candidate spelling as an error id, then as a request id, then as a
/// trace id.
async fn find(shared: &Shared, raw: &str) -> Result<Found, errcat_store::StoreError> {
    let candidates = if raw.len() <= MAX_ID {
        support::id_candidates(raw)
    } else {
        Vec::new()
    };
    for c in &candidates {
        if let Some(r) = shared.store.by_error_id(c).await? {
            return Ok(Found::Error(Box::new(r)));
        }
    }
    for c in &candidates {
        let all = shared.store.by_request_id(c).await?;
        if !all.is_empty() {
            return Ok(Found::Many("Request", c.clone(), all));
        }
    }
    for c in &candidates {
        let all = shared.store.by_trace_id(c).await?;
        if !all.is_empty() {
            return Ok(Found::Many("Trace", c.clone(), all));
        }
    }
    Ok(Found::Nothing(candidates))
}

async fn lookup_page(shared: &Shared, raw: &str) -> Page {
    let now = now_ms();
    match find(shared, raw).await? {
        Found::Error(r) => {
            let title = format!("{} {}", r.status, r.code);
            let records = [RecordView::of(&r, &shared.catalog, now)];
            let body = view::render(
                "lookup.html",
                &frame(shared, &title, "lookup", &r.error_id),
                minijinja::context! { records => view::ser(&records) },
            );
            Ok(html(StatusCode::OK, body))
        }
        Found::Many(what, id, all) => {
            let title = format!("{what} {id}");
            let rows: Vec<Row> = all.iter().map(|r| Row::of(r, now)).collect();
            let records: Vec<RecordView> = all
                .iter()
                .map(|r| RecordView::of(r, &shared.catalog, now))
                .collect();
            let count_text = format!(
                "{} recorded for this {}",
                errcat_docs::plural::count(all.len() as u64, "error", "errors"),
                what.to_lowercase()
            );
            let body = view::render(
                "lookup.html",
                &frame(shared, &title, "lookup", &id),
                minijinja::context! { heading => what, id => id.clone(), rows => view::ser(&rows), records => view::ser(&records), count_text },
            );
            Ok(html(StatusCode::OK, body))
        }
        Found::Nothing(tried) => {
            let shown: String = raw.chars().take(MAX_ID).collect();
            // An error id of a minute whose errors were sampled: say so.
            let mut storm = None;
            for c in &tried {
                storm = support::not_kept(&shared.store.not_kept_near(c).await?);
                if storm.is_some() {
                    break;
                }
            }
            let (storm_heading, storm_lines) = storm.unzip();
            let body = view::render(
                "not_found.html",
                &frame(shared, "Not found", "lookup", &shown),
                minijinja::context! { id => shown.clone(), tried, storm_heading, storm_lines },
            );
            Ok(html(StatusCode::NOT_FOUND, body))
        }
    }
}
