//! What the layer knows about each error, for logs, metrics and the error log.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Where an error response came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// A handler or extractor returned an errcat error.
    Raised,
    /// A 4xx/5xx from outside errcat (the router, another layer) was rewritten.
    Rewritten,
    /// The handler panicked.
    Panic,
    /// The handler did not finish in time.
    Timeout,
}

/// One error response, as the layer saw it. Nothing here is sent to the
/// client beyond the code, ids and status.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ErrorEvent {
    /// The error id in the response body.
    pub error_id: String,
    /// The request id (also in `X-Request-Id`).
    pub request_id: Arc<str>,
    /// The catalog code that was rendered.
    pub code: Arc<str>,
    /// The HTTP status sent.
    pub status: u16,
    /// The code's category.
    pub category: String,
    /// Where it came from.
    pub source: Source,
    /// The request method.
    pub method: http::Method,
    /// The route template (`/templates/{id}`), when the layer runs inside the router.
    pub route: Option<String>,
    /// The raw request path (without the query).
    pub path: String,
    /// The trace id, if a handler recorded one (see `ErrorContext`).
    pub trace_id: Option<String>,
    /// The tenant the request acted for, if known.
    pub tenant: Option<String>,
    /// Who called (a user or key id), if known.
    pub principal: Option<String>,
    /// Selected request headers, secrets already redacted (see `Capture`).
    pub request_headers: Vec<(String, String)>,
    /// The start of the request body, secrets already redacted.
    pub body_excerpt: Option<String>,
    /// The client's address (see `ErrcatLayer::trusted_proxies`).
    pub client_ip: Option<IpAddr>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The internal cause chain, outermost first.
    pub causes: Vec<String>,
    /// The panic message, for [`Source::Panic`].
    pub panic_message: Option<String>,
    /// The panic location (`file:line:column`), for [`Source::Panic`].
    pub panic_location: Option<String>,
    /// The message sent, as text in the catalog's locale.
    pub message: String,
    /// The field violations the response listed.
    pub violations: Vec<errcat_render::FieldViolation>,
    /// What the client received: the status on the wire (an envelope may
    /// send every error as 200), the headers errcat set, and the body bytes.
    pub response: SentResponse,
    /// Time from the request to the response.
    pub latency: Duration,
    /// When the response was made.
    pub timestamp: SystemTime,
}

/// The response an error was sent as, as errcat made it (a layer outside
/// errcat's may still add headers).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct SentResponse {
    /// The status on the wire.
    pub status: u16,
    /// The headers, in order (`Content-Type`, `Retry-After`,
    /// `WWW-Authenticate`, the request id, …).
    pub headers: Vec<(String, String)>,
    /// The body, exactly as sent (cheap to clone).
    pub body: bytes::Bytes,
}

/// A future an observer returns when the response must wait for it.
pub type ObserveFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// An [`ErrorEvent`] as an observer receives it: read it through `Deref`,
/// or take it with [`Observed::into_owned`] — moved to the last observer
/// the layer calls (add the error log last), cloned for the others.
#[derive(Debug)]
pub struct Observed<'a>(std::borrow::Cow<'a, ErrorEvent>);

impl<'a> Observed<'a> {
    /// An event lent to the observer.
    pub fn borrowed(event: &'a ErrorEvent) -> Self {
        Observed(std::borrow::Cow::Borrowed(event))
    }

    /// The event itself.
    pub fn owned(event: ErrorEvent) -> Self {
        Observed(std::borrow::Cow::Owned(event))
    }

    /// The event, moved when the observer was handed it, else cloned.
    pub fn into_owned(self) -> ErrorEvent {
        self.0.into_owned()
    }
}

impl std::ops::Deref for Observed<'_> {
    type Target = ErrorEvent;

    fn deref(&self) -> &ErrorEvent {
        &self.0
    }
}

/// Receives every [`ErrorEvent`] (the error log, metrics). Called on the
/// request's task after the response is built: it must not block.
///
/// One method: read the event (`&*event`) or take it
/// ([`Observed::into_owned`]); return a future to make the response wait
/// for it (an error log that waits for room rather than drops), `None`
/// otherwise. A closure `Fn(&ErrorEvent)` is an observer too.
///
/// ```
/// use errcat_axum::{ErrorObserver, ObserveFuture, Observed};
///
/// struct Count(std::sync::atomic::AtomicU64);
///
/// impl ErrorObserver for Count {
///     fn observe(&self, event: Observed<'_>) -> Option<ObserveFuture> {
///         if event.status >= 500 {
///             self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         }
///         None
///     }
/// }
/// ```
pub trait ErrorObserver: Send + Sync + 'static {
    /// Called once per error response.
    fn observe(&self, event: Observed<'_>) -> Option<ObserveFuture>;
}

impl<F> ErrorObserver for F
where
    F: Fn(&ErrorEvent) + Send + Sync + 'static,
{
    fn observe(&self, event: Observed<'_>) -> Option<ObserveFuture> {
        self(&event);
        None
    }
}
