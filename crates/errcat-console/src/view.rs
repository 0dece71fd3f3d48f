//! The console's HTML: minijinja templates (in `templates/`, compiled into
//! the binary) that escape every value by default, and the views they are
//! given. Everything from the error log is attacker-controlled: it reaches
//! a page only as a template value, escaped there; the only markup passed
//! through is made here (catalog prose with code spans, SVG of numbers).

use std::sync::OnceLock;

use errcat_catalog::Catalog;
use errcat_store::{ErrorRecord, from_unix_ms};
use minijinja::{Environment, Value};
use serde::Serialize;

use crate::html::{esc, esc_into, pct};
use crate::support;

/// The templates, loaded once.
fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, text) in [
            ("base.html", include_str!("../templates/base.html")),
            ("macros.html", include_str!("../templates/macros.html")),
            ("home.html", include_str!("../templates/home.html")),
            ("lookup.html", include_str!("../templates/lookup.html")),
            (
                "not_found.html",
                include_str!("../templates/not_found.html"),
            ),
            ("recent.html", include_str!("../templates/recent.html")),
            ("chart.html", include_str!("../templates/chart.html")),
            ("problem.html", include_str!("../templates/problem.html")),
        ] {
            env.add_template(name, text)
                .unwrap_or_else(|e| panic!("console template {name}: {e:#}"));
        }
        env.add_filter("pct", |s: &str| pct(s));
        // Every value escaped, as in the reference (control characters
        // shown as U+FFFD, `/` left readable).
        env.set_formatter(errcat_docs::html_formatter);
        env
    })
}

/// What every page shows: the API's name, the title, the current nav entry
/// and the lookup box's value.
#[derive(Serialize)]
pub(crate) struct Frame<'a> {
    pub(crate) api: &'a str,
    pub(crate) title: &'a str,
    pub(crate) nav: &'a str,
    pub(crate) lookup_value: &'a str,
}

/// Renders `template` with the frame's values and `values`. A template
/// error (a bug, caught by the tests) is a plain page saying so.
pub(crate) fn render(template: &str, frame: &Frame<'_>, values: Value) -> String {
    let ctx = minijinja::context! { ..ser(frame), ..values };
    match env().get_template(template).and_then(|t| t.render(ctx)) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), template, "errcat console: template failed");
            "<!doctype html><title>errcat console</title><p>This page could not be shown.</p>"
                .to_owned()
        }
    }
}

/// A value for a template, from anything serializable.
pub(crate) fn ser<T: Serialize + ?Sized>(v: &T) -> Value {
    Value::from_serialize(v)
}

/// Markup made here, passed through unescaped.
pub(crate) fn safe(html: String) -> Value {
    Value::from_safe_string(html)
}

/// A record as a row of a table.
#[derive(Serialize)]
pub(crate) struct Row {
    time: String,
    ago: String,
    status: u16,
    code: String,
    request: String,
    request_short: String,
    route: String,
    tenant: String,
    error_id: String,
}

impl Row {
    pub(crate) fn of(r: &ErrorRecord, now: i64) -> Row {
        let request = format!("{} {}", r.method, r.path);
        let request_short = if request.chars().count() > 80 {
            request.chars().take(79).chain(['…']).collect()
        } else {
            request.clone()
        };
        Row {
            time: rfc3339(r.timestamp_ms).replace('T', " "),
            ago: ago(now, r.timestamp_ms),
            status: r.status,
            code: r.code.clone(),
            request,
            request_short,
            route: r.route.clone().unwrap_or_default(),
            tenant: r.tenant.clone().unwrap_or_default(),
            error_id: r.error_id.clone(),
        }
    }
}

/// The response the client received, as shown.
#[derive(Serialize)]
struct Sent {
    status: u16,
    reason: &'static str,
    headers: Vec<(String, String)>,
    body: String,
    cut: bool,
    shown: String,
    total: String,
}

#[derive(Serialize)]
struct ViolationView {
    path: String,
    message: String,
}

/// A record as the support page shows it, in reading order: the summary,
/// what the client received, the server-side cause, the request, guidance.
#[derive(Serialize)]
pub(crate) struct RecordView {
    error_id: String,
    request_id: String,
    trace_id: Option<String>,
    time: String,
    ago: String,
    status: u16,
    status_class: u16,
    code: String,
    category: String,
    title: Option<String>,
    party: &'static str,
    party_label: String,
    summary: String,
    response: Option<Sent>,
    violations: Vec<ViolationView>,
    panic: Option<String>,
    panic_location: String,
    causes: Vec<String>,
    method: String,
    path: String,
    route: Option<String>,
    tenant: Option<String>,
    principal: Option<String>,
    client_ip: Option<String>,
    user_agent: Option<String>,
    latency: String,
    source: String,
    headers: Vec<(String, String)>,
    body_excerpt: Option<String>,
    guidance: String,
    known: bool,
    description: Option<Value>,
    resolution: Vec<Value>,
}

impl RecordView {
    pub(crate) fn of(r: &ErrorRecord, catalog: &Catalog, now: i64) -> RecordView {
        let def = catalog.get(&r.code);
        let party = support::party(r);
        // The reference's prose for the client, each sentence once: a
        // resolution step repeating the description is left out.
        let description = def.and_then(|d| d.description.as_deref()).map(str::trim);
        let resolution = def.map_or_else(Vec::new, |d| {
            d.resolution
                .iter()
                .filter(|s| description.is_none_or(|desc| !same_text(desc, s)))
                .map(|s| safe(inline_code(s)))
                .collect()
        });
        RecordView {
            error_id: r.error_id.clone(),
            request_id: r.request_id.clone(),
            trace_id: r.trace_id.clone(),
            time: rfc3339(r.timestamp_ms),
            ago: ago(now, r.timestamp_ms),
            status: r.status,
            status_class: r.status / 100,
            code: r.code.clone(),
            category: r.category.clone(),
            title: def.map(|d| d.title.clone()),
            party: party.as_str(),
            party_label: format!("Next move: {}", party.whose_move()),
            summary: support::summary(r),
            response: r.response.as_ref().map(|s| Sent {
                status: s.status,
                reason: reason(s.status),
                headers: s.headers.clone(),
                body: s.body.clone(),
                cut: s.body_cut(),
                shown: s.body.len().to_string(),
                total: errcat_docs::plural::count(s.body_bytes, "byte", "bytes"),
            }),
            violations: r
                .violations
                .iter()
                .map(|v| ViolationView {
                    path: v.path.clone(),
                    message: v.message.clone(),
                })
                .collect(),
            panic: r.panic_message.clone(),
            panic_location: r.panic_location.clone().unwrap_or_else(|| "?".to_owned()),
            causes: r.causes.clone(),
            method: r.method.clone(),
            path: r.path.clone(),
            route: r.route.clone(),
            tenant: r.tenant.clone(),
            principal: r.principal.clone(),
            client_ip: r.client_ip.clone(),
            user_agent: r.user_agent.clone(),
            latency: format!("{:.1} ms", r.latency_us as f64 / 1000.0),
            source: r.source.clone(),
            headers: r.headers.clone(),
            body_excerpt: r.body_excerpt.clone(),
            guidance: support::guidance(r, catalog),
            known: def.is_some(),
            description: description.map(|d| safe(inline_code(d))),
            resolution,
        }
    }
}

/// Whether two catalog sentences say the same (case, spacing and a final
/// period aside).
fn same_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end_matches('.')
            .to_lowercase()
    };
    norm(a) == norm(b)
}

/// The reason phrase of a status, or empty.
fn reason(status: u16) -> &'static str {
    axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// Catalog prose, escaped, with `code` spans as `<code>`.
pub(crate) fn inline_code(s: &str) -> String {
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

/// A time as RFC 3339, to the second, UTC.
/// A count with its thousands apart: `10,000`.
pub(crate) fn digits(n: i64) -> String {
    let text = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(text.len() + text.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in text.chars().enumerate() {
        if i > 0 && (text.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(crate) fn rfc3339(ms: i64) -> String {
    humantime::format_rfc3339_seconds(from_unix_ms(ms.max(0))).to_string()
}

/// How long ago: `1 s ago`, `5 min ago`, `2 h ago`, `3 d ago`.
pub(crate) fn ago(now: i64, ms: i64) -> String {
    let s = (now - ms).max(0) / 1000;
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// A sparkline of counts per bucket: an inline SVG of bars (numbers only,
/// so nothing to escape), one bar per bucket of `axis_ms` from `since_ms`.
pub(crate) fn sparkline(buckets: &[(i64, i64)], since_ms: i64, bucket_ms: i64, n: usize) -> String {
    use std::fmt::Write as _;
    let mut counts = vec![0i64; n.max(1)];
    for (start, count) in buckets {
        let i = usize::try_from((start - since_ms).max(0) / bucket_ms.max(1)).unwrap_or(0);
        if let Some(c) = counts.get_mut(i.min(n.saturating_sub(1))) {
            *c += count;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let (w, h) = (3 * counts.len(), 20);
    let mut svg = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"errors over time\">"
    );
    for (i, c) in counts.iter().enumerate() {
        if *c > 0 {
            let bh = ((c * h as i64) / max).max(1);
            let _ = write!(
                svg,
                "<rect x=\"{}\" y=\"{}\" width=\"2\" height=\"{bh}\"/>",
                i * 3,
                h as i64 - bh
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_grouped_by_thousands() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (10_000, "10,000"),
            (1_234_567, "1,234,567"),
            (-12_345, "-12,345"),
        ] {
            assert_eq!(digits(n), text);
        }
    }

    #[test]
    fn catalog_prose_gets_code_spans() {
        assert_eq!(
            inline_code("Send `X-API-Key: <k>` & retry"),
            "Send <code>X-API-Key: &lt;k&gt;</code> &amp; retry"
        );
        assert_eq!(inline_code("a ` b <"), "a ` b &lt;");
    }

    #[test]
    fn sentences_compare_without_case_spacing_or_period() {
        assert!(same_text("Retry later.", "retry  later"));
        assert!(!same_text("Retry later.", "Retry now."));
    }

    #[test]
    fn sparklines_place_counts_in_their_buckets() {
        let svg = sparkline(&[(0, 5), (2000, 10)], 0, 1000, 4);
        assert_eq!(svg.matches("<rect").count(), 2, "{svg}");
        assert!(
            svg.contains("x=\"6\" y=\"0\" width=\"2\" height=\"20\""),
            "{svg}"
        );
        assert!(
            svg.contains("x=\"0\" y=\"10\" width=\"2\" height=\"10\""),
            "{svg}"
        );
    }
}
