//! [`ErrcatLayer`]: ids, rendering, and the capture of every other error.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::response::Response;
use errcat_render::{Error, Raised, RenderOptions, Renderer};
use futures_util::FutureExt;
use http::header::{self, HeaderName, HeaderValue};
use http::{Request, StatusCode};
use ipnet::IpNet;
use tracing::Instrument;

use crate::capture::{Capture, ErrorContext, Tee};
use crate::client_ip::{self, ClientIp};
use crate::event::{ErrorEvent, ErrorObserver, ObserveFuture, Source};
use crate::request_id::RequestId;
use crate::{BodyLimit, negotiate, panic};

/// The header that carries the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The default body limit of errcat's extractors: 2 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Marks a 4xx/5xx response that the layer must leave as it is.
#[derive(Clone, Copy, Debug)]
pub struct Passthrough;

#[derive(Clone)]
struct Shared {
    renderer: Renderer,
    timeout: Option<Duration>,
    timeout_role: String,
    rewrite_foreign: bool,
    body_limit: usize,
    trusted_proxies: Vec<IpNet>,
    observers: Vec<Arc<dyn ErrorObserver>>,
    capture: Capture,
}

/// Puts every error response of the services it wraps into the catalog's
/// envelope, with request and error ids.
///
/// Apply it with [`axum::Router::layer`], so that it also sees the route
/// template, unknown routes (404) and wrong methods (405):
///
/// ```
/// use axum::{Router, routing::get};
/// use errcat_axum::ErrcatLayer;
///
/// let catalog = errcat_catalog::Catalog::from_str("[api]\nname = \"Shop\"\n", "errors.toml").unwrap();
/// let app: Router = Router::new()
///     .route("/health", get(|| async { "ok" }))
///     .layer(ErrcatLayer::new(errcat_render::Renderer::new(catalog)));
/// ```
///
/// What it does, in order:
/// - gives the request a [`RequestId`] (the inbound `X-Request-Id` if it is
///   safe, else a new one), a [`ClientIp`] and the extractors' [`BodyLimit`];
/// - runs the service inside a tracing span with the request id, catching
///   panics and stopping it after the timeout;
/// - renders an [`Error`] a handler returned; rewrites any other 4xx/5xx
///   into the catalog error of its status, never copying its body;
/// - sets `X-Request-Id` on every response, logs each error once (WARN for
///   4xx, ERROR for 5xx) and hands it to the observers.
#[derive(Clone)]
pub struct ErrcatLayer {
    shared: Arc<Shared>,
}

impl ErrcatLayer {
    /// A layer rendering with `renderer`; a 30 s timeout answered with the
    /// catalog's `upstream_timeout` (504).
    pub fn new(renderer: Renderer) -> Self {
        panic::install_hook();
        ErrcatLayer {
            shared: Arc::new(Shared {
                renderer,
                timeout: Some(Duration::from_secs(30)),
                timeout_role: "upstream_timeout".to_owned(),
                rewrite_foreign: true,
                body_limit: DEFAULT_BODY_LIMIT,
                trusted_proxies: Vec::new(),
                observers: Vec::new(),
                capture: Capture::default(),
            }),
        }
    }

    fn shared_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.shared)
    }

    /// Sets the handler timeout (`None`: no timeout).
    #[must_use]
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.shared_mut().timeout = timeout;
        self
    }

    /// The standard role answered on timeout (`upstream_timeout`, 504, by
    /// default; `service_unavailable` for a 503).
    #[must_use]
    pub fn timeout_error(mut self, role: &str) -> Self {
        self.shared_mut().timeout_role = role.to_owned();
        self
    }

    /// Whether 4xx/5xx responses from outside errcat are rewritten (default: yes).
    #[must_use]
    pub fn rewrite_foreign(mut self, yes: bool) -> Self {
        self.shared_mut().rewrite_foreign = yes;
        self
    }

    /// The body limit of errcat's extractors (default 2 MiB).
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.shared_mut().body_limit = bytes;
        self
    }

    /// Proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges).
    #[must_use]
    pub fn trusted_proxies(mut self, proxies: impl IntoIterator<Item = IpNet>) -> Self {
        self.shared_mut().trusted_proxies = proxies.into_iter().collect();
        self
    }

    /// What is recorded of requests for the observers, and what is redacted
    /// (see [`Capture`]). Nothing is captured while there is no observer.
    #[must_use]
    pub fn capture(mut self, capture: Capture) -> Self {
        self.shared_mut().capture = capture;
        self
    }

    /// Adds an observer of every error (the error log, metrics).
    #[must_use]
    pub fn observer(mut self, observer: impl ErrorObserver) -> Self {
        self.shared_mut().observers.push(Arc::new(observer));
        self
    }
}

impl<S> tower_layer::Layer<S> for ErrcatLayer {
    type Service = ErrcatService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ErrcatService {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The service made by [`ErrcatLayer`].
#[derive(Clone)]
pub struct ErrcatService<S> {
    inner: S,
    shared: Arc<Shared>,
}

/// The response future of [`ErrcatService`].
pub struct ResponseFuture {
    inner: Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>,
}

impl Future for ResponseFuture {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

/// What the layer needs from the request once the response is there.
struct RequestInfo {
    id: RequestId,
    method: http::Method,
    uri: http::Uri,
    route: Option<MatchedPath>,
    accept: Option<HeaderValue>,
    accept_language: Option<HeaderValue>,
    client_ip: Option<std::net::IpAddr>,
    user_agent: Option<HeaderValue>,
    started: Instant,
    /// Recorded headers (redacted), when there are observers.
    headers: Vec<(String, String)>,
    content_type: Option<HeaderValue>,
    kept: Option<Arc<std::sync::Mutex<Vec<u8>>>>,
    context: Option<ErrorContext>,
}

impl RequestInfo {
    fn path(&self) -> &str {
        self.uri.path()
    }

    fn route(&self) -> Option<&str> {
        self.route.as_ref().map(MatchedPath::as_str)
    }
}

enum Outcome {
    Response(Response),
    Panicked(String, Option<String>),
    TimedOut,
}

impl<S> tower_service::Service<Request<Body>> for ErrcatService<S>
where
    S: tower_service::Service<Request<Body>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let shared = Arc::clone(&self.shared);
        let (mut parts, mut body) = req.into_parts();
        let id = match parts.headers.get(REQUEST_ID) {
            Some(v) if RequestId::is_safe(v.as_bytes()) => RequestId(v.clone()),
            _ => RequestId::generated(errcat_render::id::new_id(
                shared.renderer.catalog().api.error_id,
            )),
        };
        let client_ip = client_ip::resolve(&parts, &shared.trusted_proxies);
        // Only cheap clones here (header values and the URI share their
        // bytes): the strings are made when an error needs them.
        let info = RequestInfo {
            id: id.clone(),
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            route: parts.extensions.get::<MatchedPath>().cloned(),
            accept: parts.headers.get(header::ACCEPT).cloned(),
            accept_language: parts.headers.get(header::ACCEPT_LANGUAGE).cloned(),
            client_ip,
            user_agent: parts.headers.get(header::USER_AGENT).cloned(),
            started: Instant::now(),
            headers: Vec::new(),
            content_type: None,
            kept: None,
            context: None,
        };
        let mut info = info;
        if !shared.observers.is_empty() {
            info.headers = shared.capture.select_headers(&parts.headers);
            info.content_type = parts.headers.get(header::CONTENT_TYPE).cloned();
            let context = ErrorContext::default();
            parts.extensions.insert(context.clone());
            info.context = Some(context);
            if shared.capture.body_excerpt > 0 {
                let (tee, kept) = Tee::wrap(body, shared.capture.body_excerpt);
                body = tee;
                info.kept = Some(kept);
            }
        }
        parts.extensions.insert(id);
        parts.extensions.insert(BodyLimit(shared.body_limit));
        if let Some(ip) = client_ip {
            parts.extensions.insert(ClientIp(ip));
        }
        let span = tracing::info_span!(
            "request",
            request_id = %info.id,
            method = %info.method,
            route = info.route.as_ref().map_or(info.uri.path(), MatchedPath::as_str),
            error_id = tracing::field::Empty,
        );
        // Take the service that was driven to readiness; leave a clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let fut = inner.call(Request::from_parts(parts, body));
        let timeout = shared.timeout;
        let task = async move {
            let guarded = AssertUnwindSafe(fut).catch_unwind();
            let caught = match timeout {
                Some(limit) => tokio::time::timeout(limit, guarded).await.ok(),
                None => Some(guarded.await),
            };
            let outcome = match caught {
                None => Outcome::TimedOut,
                Some(Ok(Ok(res))) => Outcome::Response(res),
                Some(Ok(Err(never))) => match never {},
                Some(Err(payload)) => {
                    Outcome::Panicked(panic::message(&*payload), panic::take_location())
                }
            };
            let (res, pending) = finish(&shared, outcome, &info);
            for wait in pending {
                wait.await;
            }
            Ok(res)
        };
        ResponseFuture {
            inner: Box::pin(task.instrument(span)),
        }
    }
}

/// The standard role a foreign status is rewritten to, and whether the
/// status must be kept over the role's own.
#[allow(clippy::match_overlapping_arm)] // Specific statuses first, then their class.
fn role_for(status: StatusCode) -> (&'static str, bool) {
    match status.as_u16() {
        400 => ("validation_error", false),
        401 => ("missing_token", false),
        403 => ("forbidden", false),
        404 => ("not_found", false),
        405 => ("method_not_allowed", false),
        408 => ("upstream_timeout", true),
        409 => ("conflict", false),
        413 => ("payload_too_large", false),
        415 => ("unsupported_media_type", false),
        422 => ("validation_error", true),
        429 => ("rate_limited", false),
        500 => ("internal_error", false),
        502 => ("external_service_error", false),
        503 => ("service_unavailable", false),
        504 => ("upstream_timeout", false),
        400..=499 => ("validation_error", true),
        _ => ("internal_error", true),
    }
}

fn finish(shared: &Shared, outcome: Outcome, info: &RequestInfo) -> (Response, Vec<ObserveFuture>) {
    let (err, source, keep_status, panic_info) =
        match outcome {
            Outcome::Response(mut res) => {
                if let Some(Raised(err)) = res.extensions_mut().remove::<Raised>() {
                    (err, Source::Raised, None, None)
                } else if (res.status().is_client_error() || res.status().is_server_error())
                    && shared.rewrite_foreign
                    && res.extensions().get::<Passthrough>().is_none()
                {
                    let (role, keep) = role_for(res.status());
                    let err = foreign_error(shared, role, &res);
                    (
                        Arc::new(err),
                        Source::Rewritten,
                        keep.then_some(res.status().as_u16()),
                        None,
                    )
                } else {
                    set_request_id(&mut res, &info.id);
                    return (res, Vec::new());
                }
            }
            Outcome::Panicked(message, location) => {
                let err = shared.renderer.standard("internal_error");
                (
                    Arc::new(err),
                    Source::Panic,
                    None,
                    Some((message, location)),
                )
            }
            Outcome::TimedOut => {
                let limit = shared.timeout.unwrap_or_default().as_secs();
                let err = shared.renderer.standard(&shared.timeout_role).with_source(
                    std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("handler ran longer than {limit} s"),
                    ),
                );
                (Arc::new(err), Source::Timeout, None, None)
            }
        };
    render(shared, &err, source, keep_status, panic_info, info)
}

/// The catalog error for a 4xx/5xx that errcat did not make, with what can
/// be read safely from its headers; the body is dropped.
fn foreign_error(shared: &Shared, role: &str, res: &Response) -> Error {
    let mut err = shared.renderer.standard(role);
    match role {
        "method_not_allowed" => {
            let allow = res
                .headers()
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            err = err.with_param("allow", allow.to_owned());
        }
        "payload_too_large" => err = err.with_param("limit", shared.body_limit as u64),
        "unsupported_media_type" => err = err.with_param("expected", "application/json"),
        "rate_limited" => {
            if let Some(secs) = res
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
            {
                err = err.with_retry_after(secs).with_param("retry_after", secs);
            }
        }
        _ => {}
    }
    err.with_source(std::io::Error::other(format!(
        "{} response from inside the service",
        res.status()
    )))
}

fn set_request_id(res: &mut Response, id: &RequestId) {
    res.headers_mut().insert(REQUEST_ID, id.header_value());
}

fn render(
    shared: &Shared,
    err: &Error,
    source: Source,
    keep_status: Option<u16>,
    panic_info: Option<(String, Option<String>)>,
    info: &RequestInfo,
) -> (Response, Vec<ObserveFuture>) {
    let renderer = &shared.renderer;
    let accept = info.accept.as_ref().and_then(|v| v.to_str().ok());
    let envelope = negotiate::envelope(accept, renderer.media_type(None));
    let locale = info
        .accept_language
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .and_then(negotiate::locale);
    let rendered = renderer.render(
        err,
        &RenderOptions {
            envelope,
            locale,
            error_id: None,
            request_id: Some(info.id.as_str()),
            instance: Some(info.path()),
            timestamp: None,
            status: keep_status,
        },
    );
    let status = StatusCode::from_u16(rendered.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = Response::new(Body::from(rendered.body));
    *res.status_mut() = status;
    let headers = res.headers_mut();
    if let Ok(ct) = HeaderValue::from_str(&rendered.content_type) {
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
    set_request_id(&mut res, &info.id);

    let causes = err.cause_chain();
    let (panic_message, panic_location) = panic_info.map_or((None, None), |(m, l)| (Some(m), l));
    tracing::Span::current().record("error_id", rendered.error_id.as_str());
    let route = info.route().unwrap_or(info.path());
    if status.is_server_error() {
        tracing::error!(
            code = &*rendered.code,
            status = rendered.status,
            error_id = %rendered.error_id,
            request_id = %info.id,
            route,
            causes = ?causes,
            panic = panic_message.as_deref(),
            panic_location = panic_location.as_deref(),
            "request failed"
        );
    } else {
        tracing::warn!(
            code = &*rendered.code,
            status = rendered.status,
            error_id = %rendered.error_id,
            request_id = %info.id,
            route,
            causes = ?causes,
            "request rejected"
        );
    }
    let mut pending = Vec::new();
    if !shared.observers.is_empty() {
        let category = renderer
            .catalog()
            .get(&rendered.code)
            .map(|d| d.category.clone())
            .unwrap_or_default();
        let context = info
            .context
            .as_ref()
            .map(ErrorContext::snapshot)
            .unwrap_or_default();
        let body_excerpt = info.kept.as_ref().and_then(|k| {
            let kept = k.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            shared.capture.redact_body(
                &kept,
                info.content_type.as_ref().and_then(|v| v.to_str().ok()),
            )
        });
        let event = ErrorEvent {
            trace_id: context.trace_id,
            tenant: context.tenant,
            principal: context.principal,
            request_headers: info.headers.clone(),
            body_excerpt,
            error_id: rendered.error_id,
            request_id: Arc::from(info.id.as_str()),
            code: rendered.code,
            status: rendered.status,
            category,
            source,
            method: info.method.clone(),
            route: info.route().map(str::to_owned),
            path: info.path().to_owned(),
            client_ip: info.client_ip,
            user_agent: info.user_agent.as_ref().map(|ua| {
                String::from_utf8_lossy(ua.as_bytes())
                    .chars()
                    .take(512)
                    .collect()
            }),
            causes,
            panic_message,
            panic_location,
            latency: info.started.elapsed(),
            timestamp: SystemTime::now(),
        };
        for o in &shared.observers {
            pending.extend(o.observe_async(&event));
        }
    }
    (res, pending)
}
