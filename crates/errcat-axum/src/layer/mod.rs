//! [`ErrcatLayer`]: ids, rendering, and the capture of every other error.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::response::Response;
use errcat_render::{Error, Raised, RenderOptions, Renderer};
use http::header::{self, HeaderName, HeaderValue};
use http::{Request, StatusCode};
use ipnet::IpNet;

use crate::capture::{Capture, ErrorContext, HeaderSelection, SecretNames, Tee};
use crate::client_ip::{self, ClientIp};
use crate::event::{ErrorEvent, ErrorObserver, ObserveFuture, Observed, Source};
use crate::request_id::RequestId;
use crate::{BodyLimit, negotiate, panic};

mod guard;
mod render;

use guard::Guarded;
use render::render;

mod request;

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
    /// The header carrying the request id (the catalog's `[api]
    /// request_id_header`); `None`: ids are made but not sent.
    request_id_header: Option<HeaderName>,
    /// Request headers the envelopes echo.
    echoed: Vec<HeaderName>,
    timeout: Option<Duration>,
    timeout_role: String,
    rewrite_foreign: bool,
    body_limit: usize,
    trusted_proxies: Vec<IpNet>,
    observers: Vec<Arc<dyn ErrorObserver>>,
    capture: Capture,
    /// `capture.headers`, parsed.
    captured_headers: HeaderSelection,
    /// The secret field names, to search recorded response bodies for.
    secret_names: SecretNames,
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
///   safe, else a new one), a [`ClientIp`] and the extractors' [`BodyLimit`]
///   (when it is not [`DEFAULT_BODY_LIMIT`], which its readers assume
///   without one);
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
        let request_id_header = match renderer.request_id_header() {
            Some(h) if h.eq_ignore_ascii_case("x-request-id") => Some(REQUEST_ID),
            Some(h) => HeaderName::from_bytes(h.as_bytes()).ok(),
            None => None,
        };
        let echoed = renderer
            .request_headers_used()
            .iter()
            .filter_map(|h| HeaderName::from_bytes(h.as_bytes()).ok())
            .collect();
        ErrcatLayer {
            shared: Arc::new(Shared {
                request_id_header,
                echoed,
                renderer,
                timeout: Some(Duration::from_secs(30)),
                timeout_role: "upstream_timeout".to_owned(),
                rewrite_foreign: true,
                body_limit: DEFAULT_BODY_LIMIT,
                trusted_proxies: Vec::new(),
                observers: Vec::new(),
                captured_headers: HeaderSelection::of(&Capture::default()),
                secret_names: SecretNames::of(&Capture::default()),
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
        let shared = self.shared_mut();
        shared.captured_headers = HeaderSelection::of(&capture);
        shared.secret_names = SecretNames::of(&capture);
        shared.capture = capture;
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

pin_project_lite::pin_project! {
    /// The response future of [`ErrcatService`]: the inner service's
    /// future, guarded against panics and the deadline, then the response
    /// put into the catalog's envelope (and the observers waited for, when
    /// one asks to be). Not boxed: it lives inside whatever holds it.
    pub struct ResponseFuture<F> {
        #[pin]
        guarded: Guarded<F>,
        // Entered on each poll; `None` when no subscriber wants it.
        span: Option<tracing::Span>,
        stage: Stage,
    }
}

enum Stage {
    Running(Arc<Shared>, RequestInfo),
    Observing(Option<Response>, Vec<ObserveFuture>),
    Done,
}

impl<F> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.as_ref().map(tracing::Span::enter);
        if let Stage::Running(..) = this.stage {
            let outcome = match std::task::ready!(this.guarded.poll(cx)) {
                None => Outcome::TimedOut,
                Some(Ok(Ok(res))) => Outcome::Response(res),
                Some(Ok(Err(never))) => match never {},
                Some(Err(payload)) => {
                    Outcome::Panicked(panic::message(&*payload), panic::take_location())
                }
            };
            // Worked on in place: the request's info is dropped where it
            // is, not moved out first.
            let Stage::Running(shared, info) = &*this.stage else {
                unreachable!("matched above")
            };
            let (mut res, pending) = finish(shared, outcome, info);
            if info
                .body_read
                .as_ref()
                .is_some_and(|read| !read.load(Ordering::Acquire))
            {
                // Answered before the body was read (a 413, a 415, a 401
                // from the head): the rest of the body may still be on its
                // way, and hyper closes the connection rather than reuse it.
                // Say so, or a client reusing the connection writes its
                // next request into a closed socket.
                res.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            if pending.is_empty() {
                *this.stage = Stage::Done;
                return Poll::Ready(Ok(res));
            }
            *this.stage = Stage::Observing(Some(res), pending);
        }
        match this.stage {
            Stage::Observing(res, pending) => {
                while let Some(first) = pending.first_mut() {
                    std::task::ready!(first.as_mut().poll(cx));
                    drop(pending.remove(0));
                }
                let res = res.take();
                *this.stage = Stage::Done;
                Poll::Ready(Ok(
                    res.expect("a response is kept until the observers are done")
                ))
            }
            _ => panic!("errcat ResponseFuture polled after it completed"),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request body that records when it has been read to its end.
    struct Watched {
        #[pin]
        inner: Body,
        read: Arc<AtomicBool>,
    }
}

impl http_body::Body for Watched {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let poll = this.inner.poll_frame(cx);
        if matches!(poll, Poll::Ready(None)) {
            this.read.store(true, Ordering::Release);
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        let end = self.inner.is_end_stream();
        if end {
            self.read.store(true, Ordering::Release);
        }
        end
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// What the layer needs from the request once the response is there.
struct RequestInfo {
    id: RequestId,
    method: http::Method,
    /// The request target's path and query (the rest of a URI is not needed).
    path: Option<http::uri::PathAndQuery>,
    route: Option<MatchedPath>,
    accept: Option<HeaderValue>,
    accept_language: Option<HeaderValue>,
    client_ip: Option<std::net::IpAddr>,
    started: Instant,
    /// The request headers the envelopes echo (only when they echo some).
    echoed: Option<Box<[(HeaderName, HeaderValue)]>>,
    /// The request's one `traceparent` header (validated when an error
    /// needs a trace id; two headers are none).
    traceparent: Option<HeaderValue>,
    /// A valid [`TraceId`](crate::trace::TraceId) from the request's
    /// extensions: the trace an outer layer started.
    trace_id: Option<Box<str>>,
    /// Set once the request's body has been read to its end; `None` for a
    /// request without a body.
    body_read: Option<Arc<AtomicBool>>,
    /// Recorded when there are observers (and only then: boxed, so that the
    /// response future stays small without them).
    observed: Option<Box<ForObservers>>,
}

/// What only the observers need of the request.
struct ForObservers {
    user_agent: Option<HeaderValue>,
    /// Recorded headers, picked (redacted when made into text).
    headers: Vec<(usize, HeaderValue)>,
    content_type: Option<HeaderValue>,
    kept: Option<Arc<std::sync::Mutex<Vec<u8>>>>,
    context: ErrorContext,
}

impl RequestInfo {
    fn path(&self) -> &str {
        self.path.as_ref().map_or("", http::uri::PathAndQuery::path)
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
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        let shared = Arc::clone(&self.shared);
        // The request is worked on in place (not split into its parts and
        // put back together): it is large, and each move copies it.
        let id = request::request_id(&shared, &req);
        let client_ip =
            client_ip::resolve(req.extensions(), req.headers(), &shared.trusted_proxies);
        let mut info = request::request_info(&shared, &req, id.clone(), client_ip);
        if !http_body::Body::is_end_stream(req.body()) {
            let read = Arc::new(AtomicBool::new(false));
            info.body_read = Some(Arc::clone(&read));
            req = req.map(|body| Body::new(Watched { inner: body, read }));
        }
        if !shared.observers.is_empty() {
            req = request::for_observers(&shared, req, &mut info);
        }
        let extensions = req.extensions_mut();
        extensions.insert(id);
        // Readers take the default limit when there is none: a request that
        // carries fewer extensions keeps their map at its first size.
        if shared.body_limit != DEFAULT_BODY_LIMIT {
            extensions.insert(BodyLimit(shared.body_limit));
        }
        if let Some(ip) = client_ip {
            extensions.insert(ClientIp(ip));
        }
        let span = tracing::info_span!(
            "request",
            request_id = %info.id,
            method = %info.method,
            route = info.route().unwrap_or(info.path()),
            error_id = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        );
        // `poll_ready` drove `self.inner` to readiness, and the request is
        // handed to it right here: no clone of the service is needed.
        let fut = self.inner.call(req);
        // The deadline counts from the request's arrival, as `info.started`
        // does; a limit too far out to be an instant is no limit.
        let deadline = shared
            .timeout
            .and_then(|limit| tokio::time::Instant::from_std(info.started).checked_add(limit));
        ResponseFuture {
            guarded: Guarded::new(fut, deadline),
            // Without a subscriber that wants the span, entering and leaving
            // it on every poll would do nothing: leave it out.
            span: (!span.is_disabled()).then_some(span),
            stage: Stage::Running(shared, info),
        }
    }
}

/// How a 4xx/5xx made outside errcat is rewritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rewrite {
    /// The standard role of the catalog error it becomes.
    role: &'static str,
    /// Whether the response keeps its own status over the role's (a status
    /// without an entry of its own, such as 422 or 451).
    keep_status: bool,
}

/// The rewrite of a foreign status.
#[allow(clippy::match_overlapping_arm)] // Specific statuses first, then their class.
fn rewrite_for(status: StatusCode) -> Rewrite {
    let (role, keep_status) = match status.as_u16() {
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
    };
    Rewrite { role, keep_status }
}

fn finish(shared: &Shared, outcome: Outcome, info: &RequestInfo) -> (Response, Vec<ObserveFuture>) {
    let (err, source, keep_status, panic_info) =
        match outcome {
            Outcome::Response(mut res) => {
                if let Some(Raised(err)) = res.extensions_mut().remove::<Raised>() {
                    // The raising response is the fallback that `Error`'s
                    // `IntoResponse` made: its parts are reused, its
                    // headers and body replaced.
                    return render(shared, &err, Source::Raised, None, None, info, Some(res));
                } else if (res.status().is_client_error() || res.status().is_server_error())
                    && shared.rewrite_foreign
                    && res.extensions().get::<Passthrough>().is_none()
                {
                    let rewrite = rewrite_for(res.status());
                    let err = foreign_error(shared, rewrite.role, &res);
                    (
                        Arc::new(err),
                        Source::Rewritten,
                        rewrite.keep_status.then_some(res.status().as_u16()),
                        None,
                    )
                } else {
                    set_request_id(shared, &mut res, &info.id);
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
    render(shared, &err, source, keep_status, panic_info, info, None)
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

fn set_request_id(shared: &Shared, res: &mut Response, id: &RequestId) {
    if let Some(h) = &shared.request_id_header {
        res.headers_mut().insert(h.clone(), id.header_value());
    }
}

#[cfg(test)]
mod size {
    use super::*;

    /// The response future wrapping an axum route is allocated once per
    /// request (axum boxes it): it stays well under 1 KiB, the size from
    /// which glibc's allocator takes the slow path (it consolidates its
    /// free lists on each such request).
    #[test]
    fn the_response_future_around_a_route_is_small() {
        type RouteFuture = <axum::routing::Route as tower_service::Service<Request<Body>>>::Future;
        let size = std::mem::size_of::<ResponseFuture<RouteFuture>>();
        println!("ResponseFuture<RouteFuture>: {size} bytes");
        assert!(size < 768, "{size} bytes");
    }
}
