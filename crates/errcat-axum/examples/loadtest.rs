//! The load-test server behind `bench/load.sh`: the same two endpoints in
//! seven stacks, each on its own loopback port, all on one tokio runtime
//! with a fixed number of worker threads.
//!
//! | port | stack | `GET /ok` | `GET /err` |
//! |---|---|---|---|
//! | base | bare axum | `{"status":"ok"}` | 404 with a pre-serialized static body, as long as errcat's |
//! | base+1 | axum + [`ErrcatLayer`] (request ids, default 30 s timeout, no store, no tracing subscriber) | same handler | `TEMPLATE_NOT_FOUND` with `template_id`, rendered per request |
//! | base+2 | axum + `http-api-problem` (its `IntoResponse`) | same handler | an `HttpApiProblem` with the same members but the ids, built per request |
//! | base+3 | the same peer, made to answer like errcat | same handler | as base+2 plus a fresh error id and request id, `X-Request-Id`, `Cache-Control` |
//! | base+4 | axum + tower-http's request id layers (`SetRequestIdLayer`, `PropagateRequestIdLayer`; UUIDv7s from errcat's generator) | same handler | none (404) |
//! | base+5 | axum + the least a request id layer can do (a new UUIDv7 in the extensions and on the response) | same handler | errcat's bytes and headers, formatted in one pass with a fresh error id and the layer's request id |
//! | base+6 | axum + a layer that does nothing | same handler | none (404) |
//!
//! ```text
//! cargo run --release -p errcat-axum --example loadtest -- [--threads 1] [--port 18080]
//! ```
//!
//! It prints one `ready` line per stack, with the `/err` body of each, and
//! serves until killed.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use errcat_axum::ErrcatLayer;
use tower::ServiceExt;

use errcat_bench_support::peer_app;
use errcat_bench_support::shop_app;

use peer_app::{floor_router, ids_router, noop_router, peer_ids_router, peer_router};
use shop_app::{bare_router, errcat_router};

/// http-api-problem's idiom for the same error, built per request: the
/// catalog body's members, without the ids it has no notion of.
async fn first_body(app: Router) -> (StatusCode, Vec<u8>) {
    let req = Request::get("/err").body(Body::empty()).expect("request");
    let res = app.oneshot(req).await.expect("infallible");
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, body.to_vec())
}

async fn serve(name: &str, port: u16, app: Router) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| panic!("bind 127.0.0.1:{port}: {e}"));
    let (status, body) = first_body(app.clone()).await;
    println!(
        "ready {name} http://127.0.0.1:{port} err_status={} err_body_bytes={} err_body={}",
        status.as_u16(),
        body.len(),
        String::from_utf8_lossy(&body)
    );
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads: usize = arg(&args, "--threads").map_or(1, |v| v.parse().expect("--threads N"));
    let port: u16 = arg(&args, "--port").map_or(18080, |v| v.parse().expect("--port N"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let errcat = errcat_router(ErrcatLayer::new(shop_app::renderer()));
        // The bare stack answers with a body of errcat's size, made once.
        let (_, sample) = first_body(errcat.clone()).await;
        let static_body: &'static [u8] = Box::leak(sample.into_boxed_slice());
        serve("bare", port, bare_router(static_body)).await;
        serve("errcat", port + 1, errcat).await;
        serve("peer", port + 2, peer_router()).await;
        serve("peer-ids", port + 3, peer_ids_router()).await;
        serve("ids", port + 4, ids_router()).await;
        serve("floor", port + 5, floor_router()).await;
        serve("noop", port + 6, noop_router()).await;
        println!("serving with {threads} tokio worker thread(s)");
        loop {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}
