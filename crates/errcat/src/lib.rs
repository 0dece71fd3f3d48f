//! errcat: the error system of an HTTP API, defined once in `errors.toml`.
//!
//! Write the catalog once; get typed constructors (this crate's
//! [`catalog!`] macro), responses in RFC 9457 problem+json, Google AIP-193 or
//! your API's own envelope (byte-exact), and from the `errcat` command a lint,
//! explanations and rendered examples.
//!
//! ```
//! mod errors {
//!     errcat::catalog!("tests/data/errors.toml");
//! }
//!
//! let err = errors::template_not_found("tpl_42");
//! let out = errors::RENDERER.render(&err, &errcat::RenderOptions {
//!     error_id: Some("e-1"),
//!     ..Default::default()
//! });
//! assert_eq!(out.status, 404);
//! assert_eq!(
//!     String::from_utf8(out.body).unwrap(),
//!     r#"{"error":{"code":4041,"message":"Template tpl_42 not found","details":{}}}"#
//! );
//! // Codes parse into a typed enum; a newer server's codes are kept, not lost.
//! assert_eq!(errors::Code::parse("TEMPLATE_NOT_FOUND"), errors::Code::TemplateNotFound);
//! assert_eq!(errors::Code::from_numeric(4041), Some(errors::Code::TemplateNotFound));
//! assert_eq!(errors::Code::parse("NEW_CODE"), errors::Code::Unknown("NEW_CODE".into()));
//! ```
//!
//! The crates behind it: [`errcat_catalog`] (the format, loader and lint) and
//! [`errcat_render`] (envelopes). The format is described in `docs/catalog.md`.
//!
//! # One dependency
//!
//! The rest of errcat is here too, behind cargo features, so that a service
//! depends on this crate alone:
//!
//! ```toml
//! errcat = { version = "0.1", features = ["axum", "store-sqlite"] }
//! ```
//!
//! and imports everything from `errcat::` (`errcat::axum::ErrcatLayer`,
//! `errcat::Error`, `errcat::store::ErrorLog`). Default features are empty:
//! the catalog, the [`catalog!`] macro and the renderer, with no HTTP server,
//! database or async runtime. `docs/quickstart.md` goes from `cargo new` to a
//! service with its error log.
//!
//! | feature | what it adds |
//! |---|---|
//! | `axum` | [`axum`]: the boundary layer ([`axum::ErrcatLayer`]), extractors ([`axum::Json`], [`axum::Query`], [`axum::Path`]), [`axum::serve`]; `IntoResponse` for [`Error`] |
//! | `jwt` | `axum::jwt`: bearer JWTs, each failure its own catalog code |
//! | `api-key` | `axum::api_key`: API keys checked against stored SHA-256 hashes |
//! | `rate-limit` | `axum::rate_limit`: per-IP and per-key limits answered with 429 |
//! | `redis` | the same limits shared by several processes through Redis |
//! | `webhook` | `axum::webhook`: HMAC and Stripe-style webhook signatures |
//! | `metrics` | `axum::metrics`: a Prometheus endpoint with `errcat_errors_total` |
//! | `garde` | `axum::validation`: `garde` reports as field violations |
//! | `store-sqlite` | [`store`]: the error log on SQLite (with `axum`, `ErrorLog` is a layer observer) |
//! | `store-postgres` | [`store`]: the error log on PostgreSQL |
//! | `client` | [`client`]: envelopes parsed back into typed errors, retries as the server asks |
//! | `docs` | [`docs`]: the HTML, Markdown and OpenAPI reference |
//! | `utoipa` | `docs::utoipa::ErrorResponses`: a utoipa `Modify` that adds the catalog's error responses and envelope schema to a utoipa `OpenApi`, and to each operation those errcat answers it with (turns `docs` on) |
//!
//! The building blocks (`jwt` … `garde`) turn `axum` on.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use errcat_catalog::{self as catalog_format, Catalog, FieldViolation};
pub use errcat_macros::catalog;
pub use errcat_render::{
    self as render, Error, ParamValue, RenderOptions, Rendered, Renderer, example_error,
    reason_phrase,
};

/// The boundary layer for axum (the `errcat-axum` crate): [`ErrcatLayer`](axum::ErrcatLayer),
/// errcat's extractors, [`serve`](axum::serve) and the layer's building blocks.
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use errcat_axum as axum;

/// The error log (the `errcat-store` crate): [`Store`](store::Store) and the
/// batching writer [`ErrorLog`](store::ErrorLog).
#[cfg(any(feature = "store-sqlite", feature = "store-postgres"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "store-sqlite", feature = "store-postgres")))
)]
pub use errcat_store as store;

/// The client (the `errcat-client` crate): envelopes parsed back into typed
/// errors, retries as the server asks.
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub use errcat_client as client;

/// The reference generators (the `errcat-docs` crate): HTML, Markdown, JSON
/// and OpenAPI.
#[cfg(feature = "docs")]
#[cfg_attr(docsrs, doc(cfg(feature = "docs")))]
pub use errcat_docs as docs;

#[doc(hidden)]
pub mod __private {
    use errcat_catalog::Catalog;

    /// Loads the catalog text the macro embedded; the macro already checked it
    /// with the same code, so this cannot fail unless the file was edited
    /// between the check and the build.
    pub fn load_embedded(text: &str, name: &str) -> Catalog {
        match Catalog::from_str(text, name) {
            Ok(c) => c,
            Err(report) => panic!("errcat: {name} changed after it was checked:\n{report}"),
        }
    }
}

/// The guides of `docs/` as pages of this documentation: the map of the
/// crates first, then one page per part of errcat. (For reading only: the
/// quickstart's and the tracing guide's code is compiled as doctests by
/// `examples/quickstart`.)
#[cfg(all(doc, not(doctest)))]
pub mod guides {
    #[doc = include_str!("../../../docs/architecture.md")]
    pub mod architecture {}
    #[doc = include_str!("../../../docs/quickstart.md")]
    pub mod quickstart {}
    #[doc = include_str!("../../../docs/catalog.md")]
    pub mod catalog {}
    #[doc = include_str!("../../../docs/boundary.md")]
    pub mod boundary {}
    #[doc = include_str!("../../../docs/error-log.md")]
    pub mod error_log {}
    #[doc = include_str!("../../../docs/console.md")]
    pub mod console {}
    #[doc = include_str!("../../../docs/reference.md")]
    pub mod reference {}
    #[doc = include_str!("../../../docs/client.md")]
    pub mod client {}
    #[doc = include_str!("../../../docs/check.md")]
    pub mod check {}
    #[doc = include_str!("../../../docs/demo.md")]
    pub mod demo {}
    #[doc = include_str!("../../../docs/tracing.md")]
    pub mod tracing {}
}
