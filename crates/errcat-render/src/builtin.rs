//! The built-in envelopes, written field by field: RFC 9457
//! `problem+json` and Google AIP-193.

use errcat_catalog::{Catalog, FieldViolation};

use crate::{Ctx, json};

/// Writes field violations as an array of `{PATH_KEY path, MESSAGE_KEY
/// message, "reason": reason}` (the reason only when set).
fn write_violations(
    buf: &mut Vec<u8>,
    violations: &[FieldViolation],
    path_key: &[u8],
    message_key: &[u8],
) {
    buf.push(b'[');
    for (i, v) in violations.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(path_key);
        json::str(buf, &v.path);
        buf.extend_from_slice(message_key);
        json::str(buf, &v.message);
        if let Some(r) = &v.reason {
            buf.extend_from_slice(b",\"reason\":");
            json::str(buf, r);
        }
        buf.push(b'}');
    }
    buf.push(b']');
}

/// RFC 9457: `type`, `title`, `status`, `detail`, `instance`, then the
/// extension members `code`, `numeric_code`, `category`, `error_id`,
/// `request_id`, `errors`, `details`, `retry_after`.
pub(crate) fn write_problem(buf: &mut Vec<u8>, ctx: &Ctx<'_>, translated: bool) {
    let p = ctx.prepared;
    buf.extend_from_slice(b"{\"type\":");
    buf.extend_from_slice(&p.type_uri);
    buf.extend_from_slice(b",\"title\":");
    if translated {
        json::str(buf, ctx.title);
    } else {
        buf.extend_from_slice(&p.title);
    }
    buf.extend_from_slice(b",\"status\":");
    json::int(buf, ctx.status);
    buf.extend_from_slice(b",\"detail\":");
    ctx.write_message(buf);
    if let Some(instance) = ctx.instance {
        buf.extend_from_slice(b",\"instance\":");
        json::str(buf, instance);
    }
    buf.extend_from_slice(b",\"code\":");
    buf.extend_from_slice(&p.code);
    if let Some(n) = ctx.def.numeric_code {
        buf.extend_from_slice(b",\"numeric_code\":");
        json::int(buf, n);
    }
    buf.extend_from_slice(b",\"category\":");
    buf.extend_from_slice(&p.category);
    buf.extend_from_slice(b",\"error_id\":");
    json::str(buf, ctx.error_id);
    if let Some(rid) = ctx.request_id {
        buf.extend_from_slice(b",\"request_id\":");
        json::str(buf, rid);
    }
    let violations = ctx.violations();
    if !violations.is_empty() {
        buf.extend_from_slice(b",\"errors\":");
        write_violations(buf, violations, b"{\"path\":", b",\"message\":");
    }
    if let Some(d) = ctx.err.details() {
        buf.extend_from_slice(b",\"details\":");
        json::value(buf, d);
    }
    if let Some(s) = ctx.retry_after {
        buf.extend_from_slice(b",\"retry_after\":");
        json::int(buf, s);
    }
    buf.push(b'}');
}

/// The `google.rpc.Code` name for an HTTP status (AIP-193).
fn google_status(status: u16) -> &'static str {
    match status {
        400 | 413 | 415 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 | 410 => "NOT_FOUND",
        409 => "ABORTED",
        412 | 422 | 423 => "FAILED_PRECONDITION",
        416 => "OUT_OF_RANGE",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 | 405 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 | 408 => "DEADLINE_EXCEEDED",
        500..=599 => "INTERNAL",
        _ => "UNKNOWN",
    }
}

/// AIP-193: `google.rpc.Status` with `ErrorInfo`, `BadRequest`, `RetryInfo`,
/// `RequestInfo`, `Help` and `LocalizedMessage` details.
pub(crate) fn write_google(buf: &mut Vec<u8>, ctx: &Ctx<'_>, catalog: &Catalog) {
    buf.extend_from_slice(b"{\"error\":{\"code\":");
    json::int(buf, ctx.status);
    buf.extend_from_slice(b",\"message\":");
    ctx.write_message(buf);
    buf.extend_from_slice(b",\"status\":\"");
    buf.extend_from_slice(google_status(ctx.status).as_bytes());
    buf.extend_from_slice(b"\",\"details\":[");
    write_error_info(buf, ctx, catalog);
    let violations = ctx.violations();
    if !violations.is_empty() {
        google_detail(buf, b"BadRequest\",\"fieldViolations\":");
        write_violations(buf, violations, b"{\"field\":", b",\"description\":");
        buf.push(b'}');
    }
    if let Some(s) = ctx.retry_after {
        google_detail(buf, b"RetryInfo\",\"retryDelay\":\"");
        json::int(buf, s);
        buf.extend_from_slice(b"s\"}");
    }
    if let Some(rid) = ctx.request_id {
        google_detail(buf, b"RequestInfo\",\"requestId\":");
        json::str(buf, rid);
        buf.extend_from_slice(b",\"servingData\":");
        json::str(buf, &format!("error_id={}", ctx.error_id));
        buf.push(b'}');
    }
    if ctx.prepared.doc_url.is_some() || !ctx.def.links.is_empty() {
        write_help(buf, ctx);
    }
    google_detail(buf, b"LocalizedMessage\",\"locale\":");
    json::str(buf, ctx.locale);
    buf.extend_from_slice(b",\"message\":");
    ctx.write_message(buf);
    buf.extend_from_slice(b"}]}}");
}

/// `,{"@type":"type.googleapis.com/google.rpc.` and then `rest`: a detail
/// after the first.
fn google_detail(buf: &mut Vec<u8>, rest: &[u8]) {
    buf.extend_from_slice(b",");
    google_type(buf, rest);
}

/// `{"@type":"type.googleapis.com/google.rpc.` and then `rest`.
fn google_type(buf: &mut Vec<u8>, rest: &[u8]) {
    buf.extend_from_slice(b"{\"@type\":\"type.googleapis.com/google.rpc.");
    buf.extend_from_slice(rest);
}

/// The first detail, `ErrorInfo`: the code as its reason, the API's domain,
/// and the parameters, category, error id and numeric code as metadata.
fn write_error_info(buf: &mut Vec<u8>, ctx: &Ctx<'_>, catalog: &Catalog) {
    let p = ctx.prepared;
    google_type(buf, b"ErrorInfo\",\"reason\":");
    buf.extend_from_slice(&p.code);
    buf.extend_from_slice(b",\"domain\":");
    json::str(
        buf,
        catalog.api.domain.as_deref().unwrap_or(&catalog.api.name),
    );
    buf.extend_from_slice(b",\"metadata\":{");
    let mut first = true;
    for (name, value) in ctx.err.params() {
        if !std::mem::take(&mut first) {
            buf.push(b',');
        }
        json::str(buf, name);
        buf.push(b':');
        json::str(buf, &value.to_text());
    }
    json::key(buf, &mut first, b"category");
    buf.extend_from_slice(&p.category);
    json::key(buf, &mut first, b"error_id");
    json::str(buf, ctx.error_id);
    if let Some(n) = ctx.def.numeric_code {
        json::key(buf, &mut first, b"numeric_code");
        json::str(buf, itoa::Buffer::new().format(n));
    }
    buf.extend_from_slice(b"}}");
}

/// `Help`: the entry's reference page, then its links.
fn write_help(buf: &mut Vec<u8>, ctx: &Ctx<'_>) {
    google_detail(buf, b"Help\",\"links\":[");
    let mut first = true;
    if let Some(url) = &ctx.prepared.doc_url {
        first = false;
        buf.extend_from_slice(b"{\"description\":");
        json::str(buf, &format!("{} reference", ctx.def.code));
        buf.extend_from_slice(b",\"url\":");
        json::str(buf, url);
        buf.push(b'}');
    }
    for l in &ctx.def.links {
        if !std::mem::take(&mut first) {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"description\":");
        json::str(buf, &l.title);
        buf.extend_from_slice(b",\"url\":");
        json::str(buf, &l.url);
        buf.push(b'}');
    }
    buf.extend_from_slice(b"]}");
}
