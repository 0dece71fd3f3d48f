//! The console's pages: each handler reads the error log, builds a view and
//! renders a template (`crate::view`), which escapes every value. Nothing
//! here writes to the log.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use errcat_store::{Filter, StoreError, unix_ms};

use crate::Shared;
use crate::html::parse_query;
use crate::view::{self, Frame, Row};

mod chart;
mod lookup;
mod recent;

pub(crate) use chart::chart;
pub(crate) use lookup::lookup;
pub(crate) use recent::recent;

const CSS: &str = include_str!("../style.css");

type Page = Result<Response, Fail>;

/// Why a page could not be shown.
pub(crate) enum Fail {
    /// 400 with this explanation.
    BadRequest(String),
    /// 503: the error log is unavailable (details go to the server's log only).
    Unavailable(StoreError),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Unavailable(e)
    }
}

fn finish(shared: &Shared, page: Page) -> Response {
    match page {
        Ok(r) => r,
        Err(Fail::BadRequest(why)) => {
            error_page(shared, StatusCode::BAD_REQUEST, "Bad request", &why)
        }
        Err(Fail::Unavailable(e)) => {
            tracing::error!(error = %e, "errcat console: the error log query failed");
            let mut res = error_page(
                shared,
                StatusCode::SERVICE_UNAVAILABLE,
                "Error log unavailable",
                "The error log is unavailable. Try again in a moment.",
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            res
        }
    }
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The frame of a page of this console.
fn frame<'a>(shared: &'a Shared, title: &'a str, nav: &'a str, lookup: &'a str) -> Frame<'a> {
    Frame {
        api: &shared.catalog.api.name,
        title,
        nav,
        lookup_value: lookup,
    }
}

/// A page saying what went wrong, with `status`.
pub(crate) fn error_page(shared: &Shared, status: StatusCode, title: &str, text: &str) -> Response {
    let body = view::render(
        "problem.html",
        &frame(shared, title, "", ""),
        minijinja::context! { status => status.as_u16(), heading => title.to_owned(), paragraphs => vec![text.to_owned()] },
    );
    html(status, body)
}

pub(crate) async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        CSS,
    )
        .into_response()
}

pub(crate) async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#2952a3\"/><rect x=\"3\" y=\"9\" width=\"2\" height=\"4\" fill=\"#fff\"/><rect x=\"7\" y=\"5\" width=\"2\" height=\"8\" fill=\"#fff\"/><rect x=\"11\" y=\"3\" width=\"2\" height=\"10\" fill=\"#fff\"/></svg>",
    )
        .into_response()
}

pub(crate) async fn docs(State(shared): State<Arc<Shared>>) -> Response {
    let site = shared
        .docs
        .get_or_init(|| errcat_docs::site(&shared.catalog));
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        site.clone(),
    )
        .into_response()
}

pub(crate) async fn not_found(State(shared): State<Arc<Shared>>) -> Response {
    error_page(
        &shared,
        StatusCode::NOT_FOUND,
        "No such page",
        "The console has Lookup, Recent and Chart; the reference is at /errors.",
    )
}

pub(crate) async fn home(State(shared): State<Arc<Shared>>) -> Response {
    let r = async {
        let latest = shared
            .store
            .list(&Filter {
                limit: Some(10),
                ..Filter::default()
            })
            .await?;
        let now = now_ms();
        let rows: Vec<Row> = latest.iter().map(|r| Row::of(r, now)).collect();
        let body = view::render(
            "home.html",
            &frame(&shared, "Lookup", "lookup", ""),
            minijinja::context! { rows => view::ser(&rows) },
        );
        Ok(html(StatusCode::OK, body))
    }
    .await;
    finish(&shared, r)
}

/// The query of a request, decoded.
fn query(q: Option<String>) -> Vec<(String, String)> {
    parse_query(q.as_deref())
}

fn now_ms() -> i64 {
    unix_ms(SystemTime::now())
}

#[cfg(test)]
mod tests;
