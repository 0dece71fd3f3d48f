//! `IntoResponse` for [`Error`], so that axum handlers can return it.
//!
//! Rendering needs the catalog and the request (its id, `Accept`,
//! `Accept-Language`), which `IntoResponse` does not see. So the error rides
//! in the response's extensions as [`Raised`] and the errcat layer
//! (`errcat-axum`) renders it. Without the layer the response is a bare 500.

use std::sync::Arc;

use axum_core::response::{IntoResponse, Response};

use crate::Error;

/// An [`Error`] returned by a handler, on its way to the errcat layer.
#[derive(Clone, Debug)]
pub struct Raised(pub Arc<Error>);

/// The body sent when no errcat layer rendered the error: a configuration
/// problem of the server, stated without any detail of the error.
const UNRENDERED: &str =
    r#"{"title":"Internal Server Error","status":500,"detail":"The error could not be rendered."}"#;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut res = Response::new(axum_core::body::Body::from(UNRENDERED));
        *res.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        res.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/problem+json"),
        );
        res.extensions_mut().insert(Raised(Arc::new(self)));
        res
    }
}
