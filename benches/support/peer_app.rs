//! The peer the load harness and the layer bench compare errcat's error
//! path with (included with `#[path]`, after `shop_app`): `GET /err` answers
//! the same problem with `http-api-problem`, alone (`peer_router`) or with
//! two fresh UUIDv7 ids and errcat's headers (`peer_ids_router`).

#![allow(dead_code)]

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use errcat_catalog::IdScheme;
use errcat_render::id::new_id;
use http_api_problem::HttpApiProblem;

use super::shop_app::{TEMPLATE_ID, base_router};

fn peer_problem() -> HttpApiProblem {
    HttpApiProblem::new(StatusCode::NOT_FOUND)
        .type_url("https://shop.example/errors#TEMPLATE_NOT_FOUND")
        .title("Template not found")
        .detail(format!("Template {TEMPLATE_ID} not found"))
        .instance("/err")
        .value("code", &"TEMPLATE_NOT_FOUND")
        .value("numeric_code", &4041)
        .value("category", &"NOT_FOUND")
}

/// `/ok` and the peer's `/err`.
pub(crate) fn peer_router() -> Router {
    base_router().route("/err", get(|| async { peer_problem() }))
}

/// `/ok` and the peer's `/err` with an error id, a request id (body and
/// `X-Request-Id`) and `Cache-Control: no-store`, as errcat answers.
pub(crate) fn peer_ids_router() -> Router {
    base_router().route(
        "/err",
        get(|| async {
            let request_id = new_id(IdScheme::UuidV7);
            let mut res = peer_problem()
                .value("error_id", &new_id(IdScheme::UuidV7))
                .value("request_id", &request_id)
                .into_response();
            let headers = res.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                headers.insert("x-request-id", v);
            }
            res
        }),
    )
}
