//! `errcat_errors_total{code,status,route}` for Prometheus (feature `metrics`).
//!
//! [`Metrics`] is an [`ErrorObserver`]: hand a clone to
//! [`ErrcatLayer::observer`](crate::ErrcatLayer::observer) and serve the
//! other one at `GET /metrics`:
//!
//! ```
//! use axum::{Router, routing::get};
//! use errcat_axum::ErrcatLayer;
//! use errcat_axum::metrics::Metrics;
//!
//! let catalog = errcat_catalog::Catalog::from_str("[api]\nname = \"Shop\"\n", "errors.toml").unwrap();
//! let metrics = Metrics::new();
//! let app: Router = Router::new()
//!     .route("/health", get(|| async { "ok" }))
//!     .merge(metrics.router())
//!     .layer(ErrcatLayer::new(errcat_render::Renderer::new(catalog)).observer(metrics.clone()));
//! ```
//!
//! The labels stay few whatever the traffic: `code` comes from the catalog,
//! `status` is an HTTP status, and `route` is the route template
//! (`/templates/{id}`), never the raw path: a request no route matched is
//! counted under [`UNMATCHED`]. The template is only known when the layer is
//! applied with [`axum::Router::layer`] (not around the whole router).
//!
//! The exposition is OpenMetrics text:
//!
//! ```text
//! # HELP errcat_errors Error responses sent, by catalog code, HTTP status and route template.
//! # TYPE errcat_errors counter
//! errcat_errors_total{code="NOT_FOUND",status="404",route="unmatched"} 2
//! # EOF
//! ```

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use http::header::{self, HeaderValue};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use crate::event::{ErrorEvent, ErrorObserver};

/// The metric's name as registered; OpenMetrics exposes the counter as
/// `errcat_errors_total`.
pub const METRIC_NAME: &str = "errcat_errors";

/// The `route` label of a request that no route matched.
pub const UNMATCHED: &str = "unmatched";

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

const HELP: &str = "Error responses sent, by catalog code, HTTP status and route template.";

/// The labels of `errcat_errors_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// The catalog code rendered (`TEMPLATE_NOT_FOUND`).
    pub code: String,
    /// The HTTP status sent.
    pub status: u16,
    /// The route template (`/templates/{id}`), or [`UNMATCHED`].
    pub route: String,
}

impl ErrorLabels {
    /// The labels of one error response.
    pub fn of(event: &ErrorEvent) -> Self {
        ErrorLabels {
            code: event.code.to_string(),
            status: event.status,
            route: event.route.as_deref().unwrap_or(UNMATCHED).to_owned(),
        }
    }
}

/// Counts error responses by code, status and route template, and exposes
/// them for Prometheus. Clones share the same counters.
#[derive(Clone, Debug)]
pub struct Metrics {
    errors: Family<ErrorLabels, Counter>,
    registry: Arc<Registry>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Counters in a registry of their own.
    pub fn new() -> Self {
        Self::with_registry(Registry::default())
    }

    /// Counters added to `registry`, so that [`Metrics::render`] also
    /// exposes the service's own metrics registered there.
    pub fn with_registry(mut registry: Registry) -> Self {
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(METRIC_NAME, HELP, errors.clone());
        Metrics {
            errors,
            registry: Arc::new(registry),
        }
    }

    /// Registers the same counters in another registry, for a service that
    /// exposes its metrics itself.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(METRIC_NAME, HELP, self.errors.clone());
    }

    /// The counters.
    pub fn errors(&self) -> &Family<ErrorLabels, Counter> {
        &self.errors
    }

    /// The count for one label set (0 if none was seen).
    pub fn count(&self, code: &str, status: u16, route: &str) -> u64 {
        let labels = ErrorLabels {
            code: code.to_owned(),
            status,
            route: route.to_owned(),
        };
        // `get`, not `get_or_create`: asking must not add a series.
        self.errors.get(&labels).map_or(0, |c| c.get())
    }

    /// The exposition, in OpenMetrics text (ending with `# EOF`).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; a metric's encoder could, and
        // then the partial text is still the best answer.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "could not encode the metrics");
        }
        out
    }

    /// The exposition as a response, with the OpenMetrics content type.
    pub fn response(&self) -> Response {
        let mut res = Response::new(Body::from(self.render()));
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }

    /// A `GET` route answering with the exposition, to mount where wanted.
    pub fn route<S>(&self) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let metrics = self.clone();
        get(move || {
            let metrics = metrics.clone();
            async move { metrics.response() }
        })
    }

    /// A router serving the exposition at `GET /metrics`, to merge into the
    /// service's router.
    pub fn router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        Router::new().route("/metrics", self.route())
    }
}

impl ErrorObserver for Metrics {
    fn observe(&self, event: crate::Observed<'_>) -> Option<crate::ObserveFuture> {
        self.errors.get_or_create(&ErrorLabels::of(&event)).inc();
        None
    }
}
