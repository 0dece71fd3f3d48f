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
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```

mod client_ip;
mod event;
mod extract;
mod layer;
mod negotiate;
mod panic;
mod request_id;

pub use client_ip::ClientIp;
pub use event::{ErrorEvent, ErrorObserver, Source};
pub use extract::{BodyLimit, Json, Path, Query, from_json_slice};
pub use layer::{
    DEFAULT_BODY_LIMIT, ErrcatLayer, ErrcatService, Passthrough, REQUEST_ID, ResponseFuture,
};
pub use request_id::RequestId;
