//! The console's pages. Every value from the error log is escaped with
//! [`esc`] or encoded with [`pct`]; nothing here writes to the log.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use errcat_catalog::Catalog;
use errcat_store::{ErrorRecord, Filter, StoreError, from_unix_ms, parse_duration, unix_ms};

use crate::Shared;
use crate::chart::{self, Axis};
use crate::html::{
    Nav, esc, esc_into, page, param, parse_query, pct, query_string, reference_link,
};

/// The longest id the lookup accepts; longer is "not found".
const MAX_ID: usize = 200;
/// Rows per page of recent errors.
const PAGE: u32 = 50;

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

/// A page saying what went wrong, with `status`.
pub(crate) fn error_page(shared: &Shared, status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<section class=\"problem\"><h1>{} {}</h1><p>{}</p></section>",
        status.as_u16(),
        esc(title),
        esc(text)
    );
    html(
        status,
        page(&shared.catalog.api.name, title, Nav::None, "", &body),
    )
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
        let mut b = String::from(
            "<h1>Look up an error</h1>\n<p class=\"lead\">Paste the <b>error id</b> from an error response \
             body, or the <b>request id</b> from its <code>X-Request-Id</code> header, into the box above.</p>\n",
        );
        b.push_str("<h2>Latest errors</h2>\n");
        if latest.is_empty() {
            b.push_str("<p class=\"empty\">The error log is empty.</p>\n");
        } else {
            table_into(&mut b, &latest, now_ms());
            b.push_str("<p><a href=\"/console/recent\">All recent errors →</a></p>\n");
        }
        Ok(html(
            StatusCode::OK,
            page(&shared.catalog.api.name, "Lookup", Nav::Lookup, "", &b),
        ))
    }
    .await;
    finish(&shared, r)
}

pub(crate) async fn lookup(State(shared): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let q = parse_query(q.as_deref());
    let Some(id) = param(&q, "id") else {
        return home(State(shared)).await;
    };
    let r = lookup_page(&shared, id).await;
    finish(&shared, r)
}

async fn lookup_page(shared: &Shared, id: &str) -> Page {
    let api = &shared.catalog.api.name;
    let now = now_ms();
    if id.len() <= MAX_ID {
        if let Some(r) = shared.store.by_error_id(id).await? {
            let mut b = String::new();
            record_into(&mut b, &r, &shared.catalog, now);
            let title = format!("{} {}", r.status, r.code);
            return Ok(html(StatusCode::OK, page(api, &title, Nav::Lookup, id, &b)));
        }
        let mut all = shared.store.by_request_id(id).await?;
        let mut what = ("Request", "request id");
        if all.is_empty() {
            // A W3C trace id finds the errors of its trace the same way.
            all = shared.store.by_trace_id(id).await?;
            what = ("Trace", "trace id");
        }
        if !all.is_empty() {
            let mut b = String::new();
            let _ = write!(
                b,
                "<h1>{} <code>{}</code></h1>\n<p class=\"lead\">{} error(s) recorded for this {}.</p>\n",
                what.0,
                esc(id),
                all.len(),
                what.1
            );
            table_into(&mut b, &all, now);
            for r in &all {
                b.push_str("<hr>\n");
                record_into(&mut b, r, &shared.catalog, now);
            }
            return Ok(html(
                StatusCode::OK,
                page(api, &format!("Request {id}"), Nav::Lookup, id, &b),
            ));
        }
    }
    let b = format!(
        "<section class=\"problem\"><h1>Not found</h1><p>No error id or request id <code>{}</code> \
         in the error log.</p><p>Check that the whole id was copied; errors older than the log's \
         retention are deleted.</p></section>",
        esc(id)
    );
    Ok(html(
        StatusCode::NOT_FOUND,
        page(api, "Not found", Nav::Lookup, id, &b),
    ))
}

/// One record as a support page section.
pub(crate) fn record_into(b: &mut String, r: &ErrorRecord, catalog: &Catalog, now: i64) {
    let def = catalog.get(&r.code);
    let _ = write!(
        b,
        "<article class=\"record\" id=\"e-{}\">\n<h1><span class=\"status s{}\">{}</span> {}",
        esc(&pct(&r.error_id)),
        r.status / 100,
        r.status,
        reference_link(&r.code)
    );
    if let Some(d) = def {
        let _ = write!(b, " <span class=\"title\">{}</span>", esc(&d.title));
    }
    b.push_str("</h1>\n<dl class=\"fields\">\n");
    let mut field = |name: &str, value: &str| {
        let _ = writeln!(b, "<dt>{}</dt><dd>{}</dd>", esc(name), value);
    };
    field("error id", &format!("<code>{}</code>", esc(&r.error_id)));
    field(
        "request id",
        &format!(
            "<a href=\"/console/lookup?id={}\"><code>{}</code></a>",
            esc(&pct(&r.request_id)),
            esc(&r.request_id)
        ),
    );
    if let Some(t) = &r.trace_id {
        field("trace id", &format!("<code>{}</code>", esc(t)));
    }
    field(
        "time",
        &format!(
            "{} <span class=\"ago\">({})</span>",
            esc(&rfc3339(r.timestamp_ms)),
            esc(&ago(now, r.timestamp_ms))
        ),
    );
    field("code", &reference_link(&r.code));
    field("status", &r.status.to_string());
    field("category", &esc(&r.category));
    field("method", &esc(&r.method));
    field("path", &format!("<code>{}</code>", esc(&r.path)));
    let or_dash = |v: &Option<String>| v.as_deref().map_or_else(|| "—".to_owned(), esc);
    field("route", &or_dash(&r.route));
    field("tenant", &or_dash(&r.tenant));
    field("principal", &or_dash(&r.principal));
    field("client ip", &or_dash(&r.client_ip));
    field("user agent", &or_dash(&r.user_agent));
    field(
        "latency",
        &format!("{:.1} ms", r.latency_us as f64 / 1000.0),
    );
    field("source", &esc(&r.source));
    if let Some(p) = &r.panic_message {
        field(
            "panic",
            &format!(
                "<code>{}</code> at <code>{}</code>",
                esc(p),
                esc(r.panic_location.as_deref().unwrap_or("?"))
            ),
        );
    }
    b.push_str("</dl>\n");
    if !r.causes.is_empty() {
        b.push_str("<h2>Causes</h2>\n<ol class=\"causes\">");
        for c in &r.causes {
            let _ = write!(b, "<li><code>{}</code></li>", esc(c));
        }
        b.push_str("</ol>\n");
    }
    b.push_str("<h2>Request headers <small>(redacted when recorded)</small></h2>\n");
    if r.headers.is_empty() {
        b.push_str("<p class=\"empty\">None recorded.</p>\n");
    } else {
        b.push_str("<table class=\"headers\"><tbody>");
        for (n, v) in &r.headers {
            let _ = write!(
                b,
                "<tr><th scope=\"row\">{}</th><td><code>{}</code></td></tr>",
                esc(n),
                esc(v)
            );
        }
        b.push_str("</tbody></table>\n");
    }
    if let Some(body) = &r.body_excerpt {
        b.push_str("<h2>Body excerpt <small>(redacted)</small></h2>\n<pre class=\"body\">");
        esc_into(b, body);
        b.push_str("</pre>\n");
    }
    if let Some(d) = def {
        if let Some(desc) = &d.description {
            b.push_str("<h2>What it means</h2>\n<p>");
            b.push_str(&inline_code(desc.trim()));
            b.push_str("</p>\n");
        }
        if !d.resolution.is_empty() {
            b.push_str("<h2>Resolution</h2>\n<ol>");
            for s in &d.resolution {
                let _ = write!(b, "<li>{}</li>", inline_code(s));
            }
            b.push_str("</ol>\n");
        }
    } else {
        b.push_str("<p class=\"note\">This code is not in the console's catalog.</p>\n");
    }
    let _ = writeln!(
        b,
        "<p class=\"more\"><a href=\"/console/recent?code={}\">Recent errors with this code →</a></p>\n</article>",
        esc(&pct(&r.code))
    );
}

/// Records as a table, newest first as given.
pub(crate) fn table_into(b: &mut String, records: &[ErrorRecord], now: i64) {
    b.push_str(
        "<table class=\"errors\"><thead><tr><th>Time (UTC)</th><th>Status</th><th>Code</th>\
         <th>Request</th><th>Route</th><th>Tenant</th><th>Error id</th></tr></thead><tbody>\n",
    );
    for r in records {
        let req = format!("{} {}", r.method, r.path);
        let short: String = if req.chars().count() > 80 {
            req.chars().take(79).chain(['…']).collect()
        } else {
            req.clone()
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"time\" title=\"{ago}\">{time}</td><td class=\"num\">{status}</td><td>{code}</td>\
             <td class=\"req\" title=\"{req_t}\"><code>{short}</code></td><td>{route}</td><td>{tenant}</td>\
             <td><a class=\"id\" href=\"/console/lookup?id={id_q}\"><code>{id}</code></a></td></tr>",
            ago = esc(&ago(now, r.timestamp_ms)),
            time = esc(&rfc3339(r.timestamp_ms).replace('T', " ")),
            status = r.status,
            code = reference_link(&r.code),
            req_t = esc(&req),
            short = esc(&short),
            route = esc(r.route.as_deref().unwrap_or("")),
            tenant = esc(r.tenant.as_deref().unwrap_or("")),
            id_q = esc(&pct(&r.error_id)),
            id = esc(&r.error_id),
        );
    }
    b.push_str("</tbody></table>\n");
}

pub(crate) async fn recent(State(shared): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let q = parse_query(q.as_deref());
    let r = recent_page(&shared, &q).await;
    finish(&shared, r)
}

async fn recent_page(shared: &Shared, q: &[(String, String)]) -> Page {
    let now = now_ms();
    let code = param(q, "code");
    let status = param(q, "status");
    let route = param(q, "route");
    let tenant = param(q, "tenant");
    let since = param(q, "since");
    let until = param(q, "until");
    let after = param(q, "after");
    let filter = Filter {
        code: code.map(str::to_owned),
        status: status
            .map(|s| {
                s.parse::<u16>()
                    .ok()
                    .filter(|s| (100..=599).contains(s))
                    .ok_or_else(|| {
                        Fail::BadRequest(format!("status `{s}` is not an HTTP status (100–599)"))
                    })
            })
            .transpose()?,
        category: None,
        route: route.map(str::to_owned),
        tenant: tenant.map(str::to_owned),
        since_ms: since.map(|s| parse_time(s, now)).transpose()?,
        until_ms: until.map(|s| parse_time(s, now)).transpose()?,
        limit: Some(PAGE + 1),
        after: after
            .map(|a| {
                a.split_once(':')
                    .and_then(|(ts, id)| Some((ts.parse::<i64>().ok()?, id.to_owned())))
                    .ok_or_else(|| Fail::BadRequest("the page cursor is malformed".to_owned()))
            })
            .transpose()?,
    };
    let mut records = shared.store.list(&filter).await?;
    let more = records.len() > PAGE as usize;
    records.truncate(PAGE as usize);

    let mut b = String::from("<h1>Recent errors</h1>\n");
    b.push_str("<form class=\"filters\" method=\"get\" action=\"/console/recent\">\n");
    let input = |b: &mut String, name: &str, label: &str, value: Option<&str>, extra: &str| {
        let _ = writeln!(
            b,
            "<label>{label}<input name=\"{name}\" value=\"{}\" {extra}></label>",
            esc(value.unwrap_or(""))
        );
    };
    input(
        &mut b,
        "code",
        "Code",
        code,
        "list=\"codes\" autocomplete=\"off\" size=\"20\"",
    );
    input(
        &mut b,
        "status",
        "Status",
        status,
        "inputmode=\"numeric\" size=\"5\" placeholder=\"404\"",
    );
    input(
        &mut b,
        "route",
        "Route",
        route,
        "size=\"15\" placeholder=\"/users/{id}\"",
    );
    input(&mut b, "tenant", "Tenant", tenant, "size=\"10\"");
    input(
        &mut b,
        "since",
        "Since",
        since,
        "size=\"17\" placeholder=\"24h or 2026-01-31\"",
    );
    input(
        &mut b,
        "until",
        "Until",
        until,
        "size=\"17\" placeholder=\"1h or 2026-01-31\"",
    );
    b.push_str("<button type=\"submit\">Apply</button> <a class=\"clear\" href=\"/console/recent\">Clear</a>\n");
    b.push_str("<datalist id=\"codes\">");
    for e in &shared.catalog.errors {
        let _ = write!(b, "<option value=\"{}\">", esc(&e.code));
    }
    b.push_str("</datalist>\n</form>\n");

    if records.is_empty() {
        b.push_str(if after.is_some() {
            "<p class=\"empty\">No older errors match these filters.</p>\n"
        } else {
            "<p class=\"empty\">No errors match these filters.</p>\n"
        });
    } else {
        let _ = writeln!(
            b,
            "<p class=\"count\">{} error(s){}, newest first.</p>",
            records.len(),
            if more { " on this page" } else { "" }
        );
        table_into(&mut b, &records, now);
    }
    let filters: Vec<(&str, &str)> = [
        ("code", code),
        ("status", status),
        ("route", route),
        ("tenant", tenant),
        ("since", since),
        ("until", until),
    ]
    .into_iter()
    .filter_map(|(n, v)| Some((n, v?)))
    .collect();
    b.push_str("<nav class=\"pager\">");
    if after.is_some() {
        let _ = write!(
            b,
            "<a href=\"/console/recent{}\">← Newest</a>",
            esc(&query_string(filters.iter().copied()))
        );
    }
    if more && let Some(last) = records.last() {
        let cursor = format!("{}:{}", last.timestamp_ms, last.error_id);
        let mut next = filters.clone();
        next.push(("after", &cursor));
        let _ = write!(
            b,
            "<a rel=\"next\" href=\"/console/recent{}\">Older →</a>",
            esc(&query_string(next))
        );
    }
    b.push_str("</nav>\n");
    Ok(html(
        StatusCode::OK,
        page(
            &shared.catalog.api.name,
            "Recent errors",
            Nav::Recent,
            "",
            &b,
        ),
    ))
}

pub(crate) async fn chart(State(shared): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let q = parse_query(q.as_deref());
    let r = chart_page(&shared, &q).await;
    finish(&shared, r)
}

const RANGES: [(&str, u64, u64); 5] = [
    ("1h", 3600, 300),
    ("6h", 6 * 3600, 900),
    ("24h", 86_400, 3600),
    ("7d", 7 * 86_400, 6 * 3600),
    ("30d", 30 * 86_400, 86_400),
];

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

    let mut b = String::from("<h1>Errors per code</h1>\n<nav class=\"ranges\">Range: ");
    for (name, _, _) in RANGES {
        let cur = if name == range {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            b,
            "<a href=\"/console/chart?range={name}\"{cur}>{name}</a> "
        );
    }
    let _ = writeln!(
        b,
        "</nav>\n<p class=\"count\">Last {}, one bar per {} (bucket starts in UTC).</p>",
        esc(range),
        esc(&humantime::format_duration(Duration::from_millis(
            u64::try_from(bucket_ms).unwrap_or(0)
        ))
        .to_string())
    );
    b.push_str("<figure class=\"chart\">");
    b.push_str(&chart::svg(&counts, axis));
    b.push_str("</figure>\n");
    let totals = chart::totals(&counts);
    if !totals.is_empty() {
        b.push_str(
            "<table class=\"totals\"><thead><tr><th>Code</th><th>Title</th><th class=\"num\">Errors</th><th></th></tr></thead><tbody>\n",
        );
        for (code, n) in &totals {
            let title = shared.catalog.get(code).map_or("", |d| d.title.as_str());
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{n}</td><td><a href=\"/console/recent?code={}&amp;since={}\">list →</a></td></tr>",
                reference_link(code),
                esc(title),
                esc(&pct(code)),
                esc(&pct(range))
            );
        }
        b.push_str("</tbody></table>\n");
    }
    Ok(html(
        StatusCode::OK,
        page(&shared.catalog.api.name, "Chart", Nav::Chart, "", &b),
    ))
}

/// Catalog prose, escaped, with `code` spans as `<code>`.
fn inline_code(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len().is_multiple_of(2) {
        // An unpaired backtick: no spans.
        return esc(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, p) in parts.iter().enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            esc_into(&mut out, p);
            out.push_str("</code>");
        } else {
            esc_into(&mut out, p);
        }
    }
    out
}

fn now_ms() -> i64 {
    unix_ms(SystemTime::now())
}

fn rfc3339(ms: i64) -> String {
    humantime::format_rfc3339_seconds(from_unix_ms(ms.max(0))).to_string()
}

fn ago(now: i64, ms: i64) -> String {
    let s = (now - ms).max(0) / 1000;
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// A duration ago (`24h`) or a UTC time (`2026-01-31T09:00`, `…:00Z`), in ms.
fn parse_time(s: &str, now: i64) -> Result<i64, Fail> {
    if let Some(d) = parse_duration(s) {
        return Ok(now - i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2));
    }
    let mut t = s.trim().replace(' ', "T");
    if t.len() == 10 {
        t.push_str("T00:00");
    }
    if t.len() == 16 {
        t.push_str(":00");
    }
    humantime::parse_rfc3339_weak(t.trim_end_matches('Z'))
        .map(unix_ms)
        .map_err(|_| {
            Fail::BadRequest(format!(
                "`{s}` is not a time: use a duration ago (`24h`, `7d`) or a UTC time (`2026-01-31T09:00`)"
            ))
        })
}

#[cfg(test)]
mod tests;
