//! The app errcat's load harnesses and layer bench serve: `GET /ok` answers `{"status":"ok"}`; `GET /err` raises the
//! catalog's `TEMPLATE_NOT_FOUND` with one parameter, or, in the bare
//! variant, answers a pre-serialized static body.

#![allow(dead_code)]

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use errcat_axum::ErrcatLayer;
use errcat_catalog::Catalog;
use errcat_render::{Error, Renderer};

/// The catalog `/err` renders from.
pub const CATALOG: &str = r#"
[api]
name = "Shop"
docs_url = "https://shop.example/errors"

[[errors]]
code = "TEMPLATE_NOT_FOUND"
numeric_code = 4041
status = 404
message = "Template {template_id} not found"
params = { template_id = "string" }
description = "No template has this id."
resolution = "List the templates to find the id."
"#;

/// The body of `GET /ok`.
pub const OK_BODY: &str = r#"{"status":"ok"}"#;
/// The parameter of the error `GET /err` raises.
pub const TEMPLATE_ID: &str = "tpl_8c1f2a";

/// A renderer of [`CATALOG`].
pub fn renderer() -> Renderer {
    Renderer::new(Catalog::from_str(CATALOG, "errors.toml").expect("catalog"))
}

fn ok() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OK_BODY).into_response()
}

/// `GET /ok` alone.
pub fn base_router() -> Router {
    Router::new().route("/ok", get(|| async { ok() }))
}

/// `/ok` and a raising `/err` behind `layer`. Routes are made once (as
/// `axum::serve` has it), not per request.
pub fn errcat_router(layer: ErrcatLayer) -> Router {
    base_router()
        .route(
            "/err",
            get(|| async {
                Err::<Response, _>(
                    Error::new("TEMPLATE_NOT_FOUND").with_param("template_id", TEMPLATE_ID),
                )
            }),
        )
        .layer(layer)
        .with_state(())
}

/// `/ok` and an `/err` answering `static_body` as a 404 problem, no layer.
pub fn bare_router(static_body: &'static [u8]) -> Router {
    base_router()
        .route(
            "/err",
            get(move || async move {
                (
                    StatusCode::NOT_FOUND,
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/problem+json"),
                    )],
                    static_body,
                )
                    .into_response()
            }),
        )
        .with_state(())
}
