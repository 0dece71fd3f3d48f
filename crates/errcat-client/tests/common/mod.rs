//! What the client's tests against real errcat servers share.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::path::Path;

use axum::Router;
use errcat_axum::ErrcatLayer;
use errcat_catalog::Catalog;
use errcat_render::Renderer;

/// A catalog of the repository's examples, by its path under `examples/`.
pub fn example_catalog(path: &str) -> Catalog {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    Catalog::from_path(examples.join(path)).unwrap()
}

/// Serves `app` behind the errcat layer for `catalog` on a fresh loopback
/// port.
pub async fn serve_with(catalog: Catalog, app: Router) -> SocketAddr {
    let app = app.layer(ErrcatLayer::new(Renderer::new(catalog)));
    errcat_bench_support::loopback::serve(app).await
}
