//! `/console/recent`: errors matching filters, grouped like an issue list
//! (code, route, message) or one by one, newest first and paged. Filters
//! read as support types them; a bad one re-shows the form with the reason.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use errcat_store::Filter;
use serde::Serialize;

use super::{Page, finish, frame, html, now_ms, query};
use crate::Shared;
use crate::html::{param, query_string};
use crate::support;
use crate::view::{self, Row};

/// Rows per page of the list.
const PAGE: u32 = 50;
/// Groups shown.
const GROUPS: u32 = 100;
/// The grouped view's window when no `since` is given.
const DEFAULT_WINDOW_MS: i64 = 24 * 3_600_000;
/// Bars of a group's sparkline.
const SPARK_BARS: i64 = 24;

/// The filters, as typed.
const FIELDS: [(&str, &str, &str); 7] = [
    ("code", "Code", ""),
    ("status", "Status", "404, 4xx, 500-504"),
    ("route", "Route or path", "/users/{id}"),
    ("tenant", "Tenant", ""),
    ("message", "Message", ""),
    ("since", "Since", "2h, 7d or a date"),
    ("until", "Until", "1h or a date"),
];

#[derive(Serialize)]
struct Field {
    name: &'static str,
    label: &'static str,
    placeholder: String,
    value: String,
    invalid: bool,
}

#[derive(Serialize)]
struct GroupView {
    last: String,
    last_ago: String,
    first: String,
    count: i64,
    status: u16,
    code: String,
    route: String,
    message: Option<String>,
    spark: minijinja::Value,
    open: String,
    open_text: String,
}

pub(crate) async fn recent(State(shared): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let q = query(q);
    let r = recent_page(&shared, &q).await;
    finish(&shared, r)
}

/// The filter the query asks for, or the first field that is wrong and why.
fn filter_of(
    shared: &Shared,
    q: &[(String, String)],
    now: i64,
) -> Result<Filter, (&'static str, String)> {
    let mut f = Filter {
        code: param(q, "code").map(|c| support::catalog_code(&shared.catalog, c)),
        route: param(q, "route").map(str::to_owned),
        tenant: param(q, "tenant").map(str::to_owned),
        message: param(q, "message").map(str::to_owned),
        ..Filter::default()
    };
    if let Some(s) = param(q, "status") {
        f.status = Some(support::parse_status(s).map_err(|e| ("status", e))?);
    }
    if let Some(s) = param(q, "since") {
        f.since_ms = Some(support::parse_time(s, now).map_err(|e| ("since", e))?);
    }
    if let Some(s) = param(q, "until") {
        f.until_ms = Some(support::parse_time(s, now).map_err(|e| ("until", e))?);
    }
    if let (Some(a), Some(b)) = (f.since_ms, f.until_ms)
        && a >= b
    {
        return Err(("until", "`until` is not after `since`".to_owned()));
    }
    if let Some(a) = param(q, "after") {
        f.after = Some(
            a.split_once(':')
                .and_then(|(ts, id)| Some((ts.parse::<i64>().ok()?, id.to_owned())))
                .ok_or(("after", "the page cursor is malformed".to_owned()))?,
        );
    }
    Ok(f)
}

async fn recent_page(shared: &Shared, q: &[(String, String)]) -> Page {
    let now = now_ms();
    let view = if param(q, "view") == Some("list") {
        "list"
    } else {
        "grouped"
    };
    let filter = filter_of(shared, q, now);
    let bad_field = filter.as_ref().err().map(|(f, _)| *f);
    let fields: Vec<Field> = FIELDS
        .iter()
        .map(|(name, label, placeholder)| Field {
            name,
            label,
            // The code's example is one of this catalog's.
            placeholder: if *name == "code" {
                shared
                    .catalog
                    .errors
                    .first()
                    .map_or_else(String::new, |e| e.code.clone())
            } else {
                (*placeholder).to_owned()
            },
            value: param(q, name).unwrap_or("").to_owned(),
            invalid: bad_field == Some(*name),
        })
        .collect();
    let codes: Vec<String> = shared
        .catalog
        .errors
        .iter()
        .map(|e| e.code.clone())
        .collect();
    let frame = frame(shared, "Recent errors", "recent", "");
    let filter = match filter {
        Ok(f) => f,
        Err((_, problem)) => {
            let body = view::render(
                "recent.html",
                &frame,
                minijinja::context! {
                    fields => view::ser(&fields),
                    codes,
                    view,
                    // `code` spans as <code>, the rest escaped.
                    problem => view::safe(view::inline_code(&problem)),
                },
            );
            return Ok(html(StatusCode::BAD_REQUEST, body));
        }
    };
    // The filters as given, for links that keep them.
    let kept: Vec<(&str, &str)> = FIELDS
        .iter()
        .filter_map(|(n, _, _)| Some((*n, param(q, n)?)))
        .collect();
    let values = if view == "grouped" {
        grouped(shared, filter, now).await?
    } else {
        list(shared, filter, &kept, now).await?
    };
    let body = view::render(
        "recent.html",
        &frame,
        minijinja::context! { fields => view::ser(&fields), codes, view, ..values },
    );
    Ok(html(StatusCode::OK, body))
}

async fn grouped(
    shared: &Shared,
    mut filter: Filter,
    now: i64,
) -> Result<minijinja::Value, super::Fail> {
    let window_text = if filter.since_ms.is_none() {
        filter.since_ms = Some(now - DEFAULT_WINDOW_MS);
        " in the last 24 hours"
    } else {
        ""
    };
    filter.limit = Some(GROUPS);
    let since = filter.since_ms.unwrap_or(now);
    let until = filter.until_ms.unwrap_or(now).max(since + 1);
    let bucket = ((until - since) / SPARK_BARS).max(1000);
    let grouped = shared.store.groups(&filter, bucket).await?;
    let groups = &grouped.groups;
    let count_text = format!(
        "{} {} in {} {}",
        view::digits(grouped.errors),
        if grouped.errors == 1 {
            "error"
        } else {
            "errors"
        },
        view::digits(i64::try_from(grouped.all_groups).unwrap_or(i64::MAX)),
        if grouped.all_groups == 1 {
            "group"
        } else {
            "groups"
        },
    );
    let shown_text = (groups.len() < grouped.all_groups)
        .then(|| format!("The {} seen last are shown.", groups.len()));
    // More errors than a grouping reads: say which ones these are.
    let cut_text = grouped.cut_ms.map(|cut| {
        format!(
            "Grouped from the errors since {} ({}) only: the window holds more than a grouping reads. The chart counts every error; a code, a tenant, a route or a shorter window groups the rest.",
            view::rfc3339(cut).replace('T', " "),
            view::ago(now, cut),
        )
    });
    let views: Vec<GroupView> = groups
        .iter()
        .map(|g| {
            let mut open = vec![
                ("view", "list"),
                ("code", g.code.as_str()),
                ("route", g.route.as_str()),
            ];
            if let Some(m) = &g.message {
                open.push(("message", m.as_str()));
            }
            GroupView {
                last: view::rfc3339(g.last_ms).replace('T', " "),
                last_ago: view::ago(now, g.last_ms),
                first: view::rfc3339(g.first_ms).replace('T', " "),
                count: g.count,
                status: g.status,
                code: g.code.clone(),
                route: g.route.clone(),
                message: g.message.clone(),
                spark: view::safe(view::sparkline(
                    &g.buckets,
                    since,
                    bucket,
                    usize::try_from(SPARK_BARS).unwrap_or(24),
                )),
                open: format!("/console/recent{}", query_string(open)),
                open_text: if g.count == 1 {
                    "open it".to_owned()
                } else {
                    format!("all {}", g.count)
                },
            }
        })
        .collect();
    Ok(
        minijinja::context! { groups => view::ser(&views), count_text, window_text, shown_text, cut_text },
    )
}

async fn list(
    shared: &Shared,
    mut filter: Filter,
    kept: &[(&str, &str)],
    now: i64,
) -> Result<minijinja::Value, super::Fail> {
    filter.limit = Some(PAGE + 1);
    let older = filter.after.is_some();
    let mut records = shared.store.list(&filter).await?;
    let more = records.len() > PAGE as usize;
    records.truncate(PAGE as usize);
    let rows: Vec<Row> = records.iter().map(|r| Row::of(r, now)).collect();
    let mut base: Vec<(&str, &str)> = vec![("view", "list")];
    base.extend_from_slice(kept);
    let newest = older.then(|| format!("/console/recent{}", query_string(base.iter().copied())));
    let cursor = records
        .last()
        .filter(|_| more)
        .map(|last| format!("{}:{}", last.timestamp_ms, last.error_id));
    let next = cursor.as_deref().map(|c| {
        let mut next = base.clone();
        next.push(("after", c));
        format!("/console/recent{}", query_string(next))
    });
    let count_text = format!(
        "{}{}",
        errcat_docs::plural::count(rows.len() as u64, "error", "errors"),
        if more { " on this page" } else { "" }
    );
    Ok(minijinja::context! { rows => view::ser(&rows), count_text, older, newest, next })
}
