//! An error into its response: the envelope negotiated, the catalog's
//! bytes rendered, the request id set, the error logged once and handed to
//! the observers.

#[allow(clippy::wildcard_imports)]
use super::*;

/// The `Content-Type` of a rendered error; the built-in envelopes' media
/// types without parsing or copying.
fn content_type(media_type: &str) -> Option<HeaderValue> {
    match media_type {
        "application/problem+json" => Some(HeaderValue::from_static("application/problem+json")),
        "application/json" => Some(HeaderValue::from_static("application/json")),
        other => HeaderValue::from_str(other).ok(),
    }
}

/// The panic's message and location, when the handler panicked.
pub(super) type PanicInfo = Option<(String, Option<String>)>;

/// Renders `err` as the response to the request `info` describes, logs it
/// once, and hands the error event to the observers: the response, and
/// what the observers want it to wait for.
pub(super) fn render(
    shared: &Shared,
    err: &Error,
    source: Source,
    keep_status: Option<u16>,
    panic_info: PanicInfo,
    info: &RequestInfo,
    reuse: Option<Response>,
) -> (Response, Vec<ObserveFuture>) {
    let (rendered, body) = render_body(shared, err, keep_status, info);
    // `Bytes` clones share the buffer: the error log keeps what was sent.
    let body_copy = info.observed.is_some().then(|| body.clone());
    let res = response(shared, &rendered, body, info, reuse);
    let sent = body_copy.map(|body| {
        shared.capture.sent_response(
            &shared.secret_names,
            res.status().as_u16(),
            res.headers(),
            body,
        )
    });
    tracing::Span::current().record("error_id", rendered.error_id.as_str());
    let context = info.observed.as_deref().map(|o| o.context.snapshot());
    let trace_id = trace_id(info, context.as_ref());
    tracing::Span::current().record("trace_id", trace_id.as_str());
    let causes = err.cause_chain();
    let (panic_message, panic_location) = panic_info.map_or((None, None), |(m, l)| (Some(m), l));
    log_once(
        &rendered,
        info,
        &causes,
        panic_message.as_deref(),
        panic_location.as_deref(),
    );
    let Some(observed) = info.observed.as_deref() else {
        return (res, Vec::new());
    };
    let context = context.unwrap_or_default();
    let event = ErrorEvent {
        trace_id: Some(trace_id),
        tenant: context.tenant,
        principal: context.principal,
        request_headers: shared.captured_headers.render(&observed.headers),
        body_excerpt: body_excerpt(shared, observed),
        category: shared
            .renderer
            .catalog()
            .get(&rendered.code)
            .map(|d| d.category.clone())
            .unwrap_or_default(),
        error_id: rendered.error_id,
        request_id: Arc::from(info.id.as_str()),
        code: rendered.code,
        status: rendered.error_status,
        source,
        method: info.method.clone(),
        route: info.route().map(str::to_owned),
        path: info.path().to_owned(),
        client_ip: info.client_ip,
        user_agent: observed.user_agent.as_ref().map(|ua| {
            String::from_utf8_lossy(ua.as_bytes())
                .chars()
                .take(512)
                .collect()
        }),
        causes,
        panic_message,
        panic_location,
        message: shared.renderer.message(err),
        violations: err
            .violations()
            .iter()
            .take(errcat_render::MAX_VIOLATIONS)
            .cloned()
            .collect(),
        response: sent.unwrap_or_default(),
        latency: info.started.elapsed(),
        timestamp: SystemTime::now(),
    };
    (res, notify(shared, event))
}

/// The error rendered for this request: the envelope and locale it asks
/// for, its id, path and echoed headers.
fn render_body(
    shared: &Shared,
    err: &Error,
    keep_status: Option<u16>,
    info: &RequestInfo,
) -> (errcat_render::Rendered, bytes::Bytes) {
    let renderer = &shared.renderer;
    let accept = info.accept.as_ref().and_then(|v| v.to_str().ok());
    let envelope = negotiate::envelope(accept, renderer.media_type(None));
    let locale = info
        .accept_language
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .and_then(negotiate::locale);
    let echoed: Vec<(&str, &str)> = info.echoed.as_deref().map_or_else(Vec::new, |e| {
        e.iter()
            .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
            .collect()
    });
    let opts = RenderOptions {
        envelope,
        locale,
        error_id: None,
        request_id: Some(info.id.as_str()),
        instance: Some(info.path()),
        timestamp: None,
        status: keep_status,
        method: Some(info.method.as_str()),
        request_headers: &echoed,
    };
    // Rendered into this thread's buffer and copied out at its exact size:
    // one allocation for the body, where a fresh `Vec` would take two (the
    // vector, and `Bytes`' bookkeeping for its spare capacity).
    thread_local! {
        static BODY: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(1024));
    }
    BODY.with_borrow_mut(|buf| {
        buf.clear();
        let rendered = renderer.render_into(err, &opts, buf);
        let body = bytes::Bytes::copy_from_slice(buf);
        if buf.capacity() > 64 * 1024 {
            *buf = Vec::with_capacity(1024);
        }
        (rendered, body)
    })
}

/// The response: the wire status, the content type and the rendered
/// headers, `Cache-Control: no-store` and the request id; `reuse`'s
/// allocation when given.
fn response(
    shared: &Shared,
    rendered: &errcat_render::Rendered,
    body: bytes::Bytes,
    info: &RequestInfo,
    reuse: Option<Response>,
) -> Response {
    let mut res = match reuse {
        Some(mut res) => {
            res.headers_mut().clear();
            *res.body_mut() = Body::from(body);
            res
        }
        None => Response::new(Body::from(body)),
    };
    *res.status_mut() =
        StatusCode::from_u16(rendered.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = res.headers_mut();
    if let Some(ct) = content_type(&rendered.content_type) {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    for (name, value) in &rendered.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    set_request_id(shared, &mut res, &info.id);
    res
}

/// The trace id: one a handler set, else an outer layer's (`TraceId`),
/// else the inbound `traceparent`'s, else a new one, so that every error
/// has one.
fn trace_id(info: &RequestInfo, context: Option<&crate::capture::ContextData>) -> String {
    context
        .and_then(|c| c.trace_id.clone())
        .or_else(|| info.trace_id.as_deref().map(str::to_owned))
        .or_else(|| crate::trace::inbound(info.traceparent.as_ref()))
        .unwrap_or_else(crate::trace::new_trace_id)
}

/// The error's one log event: ERROR for a 5xx (with the panic), WARN
/// otherwise.
fn log_once(
    rendered: &errcat_render::Rendered,
    info: &RequestInfo,
    causes: &[String],
    panic_message: Option<&str>,
    panic_location: Option<&str>,
) {
    let route = info.route().unwrap_or(info.path());
    // As an `i64`: subscribers that keep integer types (OpenTelemetry's
    // attributes through tracing-opentelemetry) take a `u64` as text.
    let error_status = i64::from(rendered.error_status);
    // The error's own status, which an envelope may send as another (200).
    if (500..600).contains(&rendered.error_status) {
        tracing::error!(
            code = &*rendered.code,
            status = error_status,
            error_id = %rendered.error_id,
            request_id = %info.id,
            route,
            causes = ?causes,
            panic = panic_message,
            panic_location = panic_location,
            "request failed"
        );
    } else {
        tracing::warn!(
            code = &*rendered.code,
            status = error_status,
            error_id = %rendered.error_id,
            request_id = %info.id,
            route,
            causes = ?causes,
            "request rejected"
        );
    }
}

/// The start of the request's body, redacted, when one was kept.
fn body_excerpt(shared: &Shared, observed: &ForObservers) -> Option<String> {
    observed.kept.as_ref().and_then(|k| {
        let kept = k.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        shared.capture.redact_body(
            &kept,
            observed.content_type.as_ref().and_then(|v| v.to_str().ok()),
        )
    })
}

/// The event to every observer: lent to all but the last, moved to the
/// last (add the error log last).
fn notify(shared: &Shared, event: ErrorEvent) -> Vec<ObserveFuture> {
    let mut pending = Vec::new();
    if let Some((last, others)) = shared.observers.split_last() {
        for o in others {
            pending.extend(o.observe(Observed::borrowed(&event)));
        }
        pending.extend(last.observe(Observed::owned(event)));
    }
    pending
}
