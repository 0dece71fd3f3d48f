//! What the layer takes from a request before the handler runs: its id,
//! what an error response needs (cheap clones only), and what observers
//! need when there are some.

#[allow(clippy::wildcard_imports)]
use super::*;

/// The request's id: one another layer gave it (tower-http's
/// `SetRequestIdLayer`), else a safe inbound header, else a new one.
pub(super) fn request_id(shared: &Shared, req: &Request<Body>) -> RequestId {
    let inbound = shared
        .request_id_header
        .as_ref()
        .and_then(|h| req.headers().get(h));
    #[cfg(feature = "tower-http-request-id")]
    let inbound = req
        .extensions()
        .get::<tower_http::request_id::RequestId>()
        .map(tower_http::request_id::RequestId::header_value)
        .or(inbound);
    match inbound {
        Some(v) if RequestId::is_safe(v.as_bytes()) => RequestId::inbound(v.clone()),
        _ => RequestId::generate(shared.renderer.catalog().api.error_id),
    }
}

/// What an error response needs of the request. Only cheap clones here
/// (header values and the URI share their bytes): the strings are made
/// when an error needs them.
pub(super) fn request_info(
    shared: &Shared,
    req: &Request<Body>,
    id: RequestId,
    client_ip: Option<std::net::IpAddr>,
) -> RequestInfo {
    RequestInfo {
        id,
        method: req.method().clone(),
        path: req.uri().path_and_query().cloned(),
        route: req.extensions().get::<MatchedPath>().cloned(),
        accept: req.headers().get(header::ACCEPT).cloned(),
        accept_language: req.headers().get(header::ACCEPT_LANGUAGE).cloned(),
        client_ip,
        started: Instant::now(),
        echoed: (!shared.echoed.is_empty()).then(|| {
            shared
                .echoed
                .iter()
                .filter_map(|h| Some((h.clone(), req.headers().get(h)?.clone())))
                .collect()
        }),
        body_read: None,
        traceparent: {
            let mut all = req.headers().get_all(crate::trace::TRACEPARENT).iter();
            match (all.next(), all.next()) {
                (Some(one), None) => Some(one.clone()),
                _ => None,
            }
        },
        trace_id: crate::trace::from_extension(req.extensions()),
        observed: None,
    }
}

/// What the observers need: the handler's `ErrorContext`, the recorded
/// headers, and a copy of the body's start as the handler reads it.
pub(super) fn for_observers(
    shared: &Shared,
    mut req: Request<Body>,
    info: &mut RequestInfo,
) -> Request<Body> {
    let context = ErrorContext::default();
    req.extensions_mut().insert(context.clone());
    let mut observed = ForObservers {
        user_agent: req.headers().get(header::USER_AGENT).cloned(),
        headers: shared.captured_headers.pick(req.headers()),
        content_type: req.headers().get(header::CONTENT_TYPE).cloned(),
        kept: None,
        context,
    };
    // A request without a body (most GETs) has nothing to keep.
    if shared.capture.body_excerpt > 0 && !http_body::Body::is_end_stream(req.body()) {
        req = req.map(|body| {
            let (tee, kept) = Tee::wrap(body, shared.capture.body_excerpt);
            observed.kept = Some(kept);
            tee
        });
    }
    info.observed = Some(Box::new(observed));
    req
}
