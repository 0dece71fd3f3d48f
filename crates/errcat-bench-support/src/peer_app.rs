//! The peer the load harness and the layer bench compare errcat's error
//! path with: `GET /err` answers
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

use crate::shop_app::{TEMPLATE_ID, base_router};

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
pub fn peer_router() -> Router {
    base_router().route("/err", get(|| async { peer_problem() }))
}

/// `/ok` and the peer's `/err` with an error id, a request id (body and
/// `X-Request-Id`) and `Cache-Control: no-store`, as errcat answers.
pub fn peer_ids_router() -> Router {
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

/// UUIDv7 request ids from errcat's own generator, for tower-http's layers.
#[derive(Clone, Copy)]
struct MakeUuidV7;

impl tower_http::request_id::MakeRequestId for MakeUuidV7 {
    fn make_request_id<B>(
        &mut self,
        _: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        HeaderValue::from_str(&new_id(IdScheme::UuidV7))
            .ok()
            .map(tower_http::request_id::RequestId::new)
    }
}

/// `/ok` with request ids and nothing else, the way axum services commonly
/// get them: tower-http's `SetRequestIdLayer` (an inbound `X-Request-Id`
/// kept, else a new UUIDv7, in the request's headers and extensions) and
/// `PropagateRequestIdLayer` (the id on the response), applied like
/// errcat's layer. What errcat's success path costs beyond this is its own.
pub fn ids_router() -> Router {
    base_router()
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            MakeUuidV7,
        ))
        .with_state(())
}

/// The least a request id layer can do: a new UUIDv7 for each request, in
/// its extensions and on the response, nothing else (no inbound id, no
/// catalog, no panic or timeout handling, no error path). Applied like
/// errcat's layer, it is the floor of any layer that gives every response
/// an id: what it costs over bare axum no such layer can avoid.
#[derive(Clone)]
pub struct FloorLayer;

impl<S> tower::Layer<S> for FloorLayer {
    type Service = Floor<S>;

    fn layer(&self, inner: S) -> Floor<S> {
        Floor(inner)
    }
}

/// The service of [`FloorLayer`].
#[derive(Clone)]
pub struct Floor<S>(S);

/// The id the floor layer puts in the request's extensions: its text,
/// inline (no allocation of its own, no shared reference count).
#[derive(Clone, Copy)]
pub struct FloorId([u8; 36]);

impl<S> tower::Service<axum::http::Request<axum::body::Body>> for Floor<S>
where
    S: tower::Service<axum::http::Request<axum::body::Body>, Response = axum::response::Response>,
{
    type Response = axum::response::Response;
    type Error = S::Error;
    type Future = FloorFuture<S::Future>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut req: axum::http::Request<axum::body::Body>) -> Self::Future {
        let mut id = [0; 36];
        errcat_render::id::uuid_v7()
            .hyphenated()
            .encode_lower(&mut id);
        req.extensions_mut().insert(FloorId(id));
        FloorFuture {
            fut: self.0.call(req),
            id: Some(id),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`Floor`]: sets the id's header.
    pub struct FloorFuture<F> {
        #[pin]
        fut: F,
        id: Option<[u8; 36]>,
    }
}

impl<F, E> std::future::Future for FloorFuture<F>
where
    F: std::future::Future<Output = Result<axum::response::Response, E>>,
{
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.project();
        let mut res = std::task::ready!(this.fut.poll(cx))?;
        if let Some(value) = this
            .id
            .take()
            .and_then(|id| HeaderValue::from_bytes(&id).ok())
        {
            res.headers_mut().insert("x-request-id", value);
        }
        std::task::Poll::Ready(Ok(res))
    }
}

/// The least a handler can do to answer errcat's `/err` response: the same
/// 331-byte body formatted in one pass (the parameter, the path, a fresh
/// error id and the floor layer's request id) and the same headers.
async fn floor_err(req: axum::extract::Request) -> axum::response::Response {
    let Some(FloorId(request_id)) = req.extensions().get::<FloorId>().copied() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut error_id = [0; 36];
    errcat_render::id::uuid_v7()
        .hyphenated()
        .encode_lower(&mut error_id);
    let text = |id: &[u8; 36]| std::str::from_utf8(id).unwrap_or_default().to_owned();
    let body = format!(
        concat!(
            r#"{{"type":"https://shop.example/errors#TEMPLATE_NOT_FOUND","title":"Template not found","#,
            r#""status":404,"detail":"Template {} not found","instance":"{}","code":"TEMPLATE_NOT_FOUND","#,
            r#""numeric_code":4041,"category":"NOT_FOUND","error_id":"{}","request_id":"{}"}}"#
        ),
        TEMPLATE_ID,
        req.uri().path(),
        text(&error_id),
        text(&request_id),
    );
    (
        StatusCode::NOT_FOUND,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

/// `/ok` and [`floor_err`]'s `/err` behind [`FloorLayer`].
pub fn floor_router() -> Router {
    base_router()
        .route("/err", get(floor_err))
        .layer(FloorLayer)
        .with_state(())
}

/// `/ok` behind a layer that does nothing (it hands the response back as
/// it is): what axum charges for a layer applied with `Router::layer` at all.
pub fn noop_router() -> Router {
    base_router()
        .layer(tower::util::MapResponseLayer::new(
            std::convert::identity::<axum::response::Response>,
        ))
        .with_state(())
}
