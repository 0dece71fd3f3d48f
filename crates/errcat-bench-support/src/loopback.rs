//! An axum app served over plain http on a fresh port of 127.0.0.1, for
//! the tests that talk to a real server: the client's, the probe's and the
//! CLI's.

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

/// Serves `app` on a fresh port of 127.0.0.1 (a task on the current
/// runtime), with the peer address as `ConnectInfo` so that per-IP rate
/// limits and client addresses work as behind a real server.
///
/// # Panics
///
/// When the port cannot be bound.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("the address");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("the server runs");
    });
    addr
}
