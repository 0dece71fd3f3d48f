//! `/console/chart?range=24h`: errors per code over time, as inline SVG.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use errcat_store::parse_duration;
use serde::Serialize;

use super::{Fail, Page, finish, frame, html, now_ms, query};
use crate::Shared;
use crate::chart::{self, Axis};
use crate::html::param;
use crate::view;

const RANGES: [(&str, u64, u64); 5] = [
    ("1h", 3600, 300),
    ("6h", 6 * 3600, 900),
    ("24h", 86_400, 3600),
    ("7d", 7 * 86_400, 6 * 3600),
    ("30d", 30 * 86_400, 86_400),
];

#[derive(Serialize)]
struct Total {
    code: String,
    title: String,
    count: i64,
}

pub(crate) async fn chart(State(shared): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let q = query(q);
    let r = chart_page(&shared, &q).await;
    finish(&shared, r)
}

async fn chart_page(shared: &Shared, q: &[(String, String)]) -> Page {
    let now = now_ms();
    let range = param(q, "range").unwrap_or("24h");
    let span = parse_duration(range)
        .filter(|d| !d.is_zero() && d.as_secs() <= 366 * 86_400)
        .ok_or_else(|| {
            Fail::BadRequest(format!(
                "range `{range}` is not a duration of at most a year: use a number and s, m, h or d (`24h`)"
            ))
        })?;
    let bucket = match param(q, "bucket") {
        Some(b) => parse_duration(b)
            .filter(|d| !d.is_zero())
            .ok_or_else(|| Fail::BadRequest(format!("bucket `{b}` is not a duration")))?,
        None => Duration::from_secs(
            RANGES
                .iter()
                .find(|r| r.1 >= span.as_secs())
                .map_or(86_400, |r| r.2),
        ),
    };
    // At most 400 bars per code.
    let bucket_ms = i64::try_from(bucket.as_millis())
        .unwrap_or(i64::MAX)
        .max(i64::try_from(span.as_millis() / 400).unwrap_or(1))
        .max(1000);
    let since_ms = now - i64::try_from(span.as_millis()).unwrap_or(0);
    let counts = shared.store.counts(since_ms, bucket_ms).await?;
    let axis = Axis::covering(since_ms, now, bucket_ms);
    let totals: Vec<Total> = chart::totals(&counts)
        .into_iter()
        .map(|(code, count)| Total {
            title: shared
                .catalog
                .get(&code)
                .map_or_else(String::new, |d| d.title.clone()),
            code,
            count,
        })
        .collect();
    let bucket_text =
        humantime::format_duration(Duration::from_millis(u64::try_from(bucket_ms).unwrap_or(0)))
            .to_string();
    let ranges: Vec<&str> = RANGES.iter().map(|r| r.0).collect();
    let body = view::render(
        "chart.html",
        &frame(shared, "Chart", "chart", ""),
        minijinja::context! {
            range,
            ranges,
            bucket => bucket_text,
            svg => view::safe(chart::svg(&counts, axis)),
            totals => view::ser(&totals),
        },
    );
    Ok(html(StatusCode::OK, body))
}
