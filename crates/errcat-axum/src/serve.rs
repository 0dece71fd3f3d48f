//! Serving a router over HTTP/1.1 with the limits a server facing untrusted
//! clients needs, which `axum::serve` does not set (it runs hyper without a
//! timer, so no header timeout applies):
//!
//! - a **header read timeout**: a connection must deliver a request's
//!   whole head within it, counted from when the server starts waiting for
//!   that head — from the accept, and on a keep-alive connection from the
//!   end of the previous response. It is therefore also the **idle
//!   keep-alive timeout**: a connection idle that long is closed. Slowloris
//!   connections that trickle header bytes are closed when it runs out;
//! - a **connection cap**: beyond it, connections wait in the listen backlog
//!   until one closes, so that slow clients cannot take every socket;
//! - graceful shutdown: on `shutdown`, the listener closes, idle connections
//!   close, requests in flight finish (up to [`ServeConfig::drain`]).
//!
//! Each request carries the peer address as
//! `axum::extract::ConnectInfo<SocketAddr>` (for per-IP rate limits and the
//! error log's client IP).
//!
//! ```no_run
//! # async fn run(app: axum::Router) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! # let shutdown = std::future::pending::<()>();
//! // `shutdown`: a future that completes on Ctrl-C or SIGTERM.
//! errcat_axum::serve::serve(listener, app, errcat_axum::serve::ServeConfig::default(), shutdown)
//!     .await
//! # }
//! ```
//!
//! Built on hyper's HTTP/1.1 connection builder and hyper-util's Tokio timer
//! and graceful shutdown: the accept loop is the only code of its own.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower_service::Service as _;

/// The limits of [`serve`].
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The longest a connection may take to send a request's head, and the
    /// longest a keep-alive connection may stay idle (default 10 s).
    pub header_read_timeout: Duration,
    /// The most connections served at once (default 1024); more wait in the
    /// listen backlog.
    pub max_connections: usize,
    /// The largest request head, in bytes (default 64 KiB; larger answers
    /// 431).
    pub max_header_size: usize,
    /// How long shutdown waits for requests in flight (default 10 s).
    pub drain: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_header_size: 64 * 1024,
            drain: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` with the limits of `config` until
/// `shutdown` completes (see the [module](self)).
///
/// # Errors
///
/// Never on a connection's failure (it is logged at DEBUG and dropped);
/// `Ok` once shut down.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_header_size(config.max_header_size)
        .keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A permit first: at the cap, the next connection waits in the
        // backlog rather than being accepted and left unserved.
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, retry.
                    tracing::debug!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let mut router = router.clone();
                async move { router.call(req.map(axum::body::Body::new)).await }
            });
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection from {peer}: {e}");
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(config.drain, graceful.shutdown()).await;
    Ok(())
}
