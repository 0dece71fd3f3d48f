//! The error path with the error log off and on, for `bench/store_overhead.sh`:
//! port N serves `GET /err` (a catalog error with one parameter) through
//! `ErrcatLayer` alone; port N+1 the same with an `ErrorLog` on a SQLite file
//! as the layer's observer.
//!
//! `cargo run --release -p errcat-store --features axum --example loadtest_store -- 18090 /tmp/errcat-load.db`

use std::net::SocketAddr;

use axum::Router;
use errcat_axum::ErrcatLayer;
use errcat_store::{ErrorLog, Store, WriterConfig};

#[path = "../../../benches/support/shop_app.rs"]
mod shop_app;

use shop_app::errcat_router as app;

async fn serve(port: u16, app: Router) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args.get(1).and_then(|p| p.parse().ok()).unwrap_or(18090);
    let db = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "/tmp/errcat-load.db".to_owned());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let renderer = shop_app::renderer();
        let store = Store::connect(&format!("sqlite://{db}"))
            .await
            .expect("store");
        let log = ErrorLog::spawn(store, WriterConfig::default());
        serve(port, app(ErrcatLayer::new(renderer.clone()))).await;
        serve(
            port + 1,
            app(ErrcatLayer::new(renderer).observer(log.clone())),
        )
        .await;
        println!(
            "ready: off http://127.0.0.1:{port}/err, on http://127.0.0.1:{}/err",
            port + 1
        );
        tokio::signal::ctrl_c().await.ok();
        let stats = log.shutdown().await;
        println!(
            "log: accepted {} written {} dropped {}",
            stats.accepted, stats.written, stats.dropped
        );
    });
}
