//! The errcat boundary layer for axum: every response a service sends
//! speaks the catalog.
//!
//! - [`ErrcatLayer`] gives every request an id, renders the errcat errors
//!   handlers return, and rewrites every other error response (unknown
//!   route, wrong method, body limit, a panic, a timeout, another layer's
//!   4xx/5xx) into the catalog's envelope, without copying bodies.
//! - [`Json`], [`Query`] and [`Path`] reject bad input with catalog errors:
//!   `invalid_json` with the line and column, `validation_error` with field
//!   violations whose paths are dotted from the root (`events.0.type`),
//!   `unsupported_media_type`, `payload_too_large`.
//!
//! ## Features
//!
//! | feature | module | what |
//! |---|---|---|
//! | `jwt` | [`jwt`] | Bearer JWTs: missing, malformed, bad signature, expired, not yet valid, wrong audience or issuer, revoked |
//! | `api-key` | [`api_key`] | API keys in a header, checked against SHA-256 hashes in constant time |
//! | `rate-limit` | [`rate_limit`] | quotas per client IP and per key with `governor`; 429 with `Retry-After` and `RateLimit` headers |
//! | `redis` | [`rate_limit`] | the same quotas shared by several processes through Redis |
//! | `webhook` | [`webhook`] | HMAC-SHA256 (hex, base64) and Stripe-style signatures with replay tolerance |
//! | `metrics` | [`metrics`] | `errcat_errors_total{code,status,route}` for Prometheus |
//! | `garde` | [`validation`] | `garde` reports as field violations |
//!
//! [`roles`] (ordered roles, tenant scope), [`upstream`] (outgoing calls)
//! and [`serve`] (HTTP/1.1 with a header read timeout, an idle keep-alive
//! timeout and a connection cap, which `axum::serve` lacks) need no feature.
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use errcat_axum::{ErrcatLayer, Json};
//!
//! #[derive(serde::Deserialize)]
//! struct NewTemplate { name: String }
//!
//! async fn create(Json(t): Json<NewTemplate>) -> Result<String, errcat_render::Error> {
//!     if t.name == "taken" {
//!         return Err(errcat_render::Error::new("DUPLICATE_TEMPLATE_NAME"));
//!     }
//!     Ok(t.name)
//! }
//!
//! # async fn run() {
//! let catalog = errcat_catalog::Catalog::from_path("errors.toml").unwrap();
//! let app = Router::new()
//!     .route("/templates", post(create))
//!     .layer(ErrcatLayer::new(errcat_render::Renderer::new(catalog)));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.unwrap();
//! # let shutdown = std::future::pending::<()>();
//! let limits = errcat_axum::serve::ServeConfig::default();
//! errcat_axum::serve::serve(listener, app, limits, shutdown).await.unwrap();
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "api-key")]
#[cfg_attr(docsrs, doc(cfg(feature = "api-key")))]
pub mod api_key;
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub mod jwt;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics;
#[cfg(feature = "rate-limit")]
#[cfg_attr(docsrs, doc(cfg(feature = "rate-limit")))]
pub mod rate_limit;
pub mod roles;
pub mod serve;
pub mod trace;
pub mod upstream;
#[cfg(feature = "garde")]
#[cfg_attr(docsrs, doc(cfg(feature = "garde")))]
pub mod validation;
#[cfg(feature = "webhook")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhook")))]
pub mod webhook;

mod capture;
mod client_ip;
mod event;
mod extract;
mod layer;
mod negotiate;
mod panic;
mod request_id;

pub use capture::{Capture, ErrorContext, NESTED_JSON_DEPTH, REDACTED};
pub use client_ip::ClientIp;
pub use event::{ErrorEvent, ErrorObserver, ObserveFuture, Observed, SentResponse, Source};
pub use extract::{BodyLimit, Json, Path, Query, from_json_slice};
pub use layer::{
    DEFAULT_BODY_LIMIT, ErrcatLayer, ErrcatService, Passthrough, REQUEST_ID, ResponseFuture,
};
pub use request_id::RequestId;
