//! `errcat serve`: the docs site and the support console for an existing error log.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use errcat_console::Console;

use crate::{Outcome, UsageError, catalog_arg};

/// Arguments of `errcat serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The catalog, for the reference at /errors (default `errors.toml`, else the standard catalog).
    #[arg(long, short, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// The error log (`sqlite://FILE` or `postgres://…`); default `$ERRCAT_STORE`, else `sqlite://errcat.db`.
    #[arg(long, value_name = "URL", env = "ERRCAT_STORE")]
    store: Option<String>,
    /// The address to listen on. Any address but loopback needs a token.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// The token every request must present; generated when listening beyond loopback without one.
    #[arg(
        long,
        value_name = "T",
        env = "ERRCAT_CONSOLE_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The connection limits of `errcat serve` and `errcat demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct LimitArgs {
    /// How long a connection may take to send a request's head, and stay idle between requests.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    header_read_timeout: std::time::Duration,
    /// The most connections served at once; more wait until one closes.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: usize,
}

impl LimitArgs {
    pub(crate) fn config(&self) -> errcat_axum::serve::ServeConfig {
        errcat_axum::serve::ServeConfig {
            header_read_timeout: self.header_read_timeout,
            max_connections: self.max_connections,
            ..errcat_axum::serve::ServeConfig::default()
        }
    }
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let catalog = Arc::new(catalog_arg::load(args.catalog.as_deref())?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        // Everything slow or failing happens before the first line: a caller
        // that read `listening on` can send requests at once.
        let store = crate::log::open(args.store.as_deref()).await?;
        let listener = tokio::net::TcpListener::bind(&args.addr)
            .await
            .map_err(|e| UsageError(format!("cannot listen on {}: {e}", args.addr)))?;
        let local = listener.local_addr()?;
        let (token, generated) = console_token(local, args.token.clone());

        writeln!(out, "listening on http://{local}")?;
        out.flush()?;
        let q = token
            .as_deref()
            .map(|t| format!("?token={}", errcat_console::percent_encode(t)))
            .unwrap_or_default();
        writeln!(out, "console: http://{local}/console{q}")?;
        writeln!(out, "docs:    http://{local}/errors{q}")?;
        out.flush()?;
        if generated {
            eprintln!(
                "errcat: note: {local} is reachable beyond this machine, so the console needs the token \
                 generated for this run (in the addresses above); choose one with --token or \
                 ERRCAT_CONSOLE_TOKEN, and serve it behind TLS"
            );
        }

        let mut console = Console::new(store.clone(), catalog);
        if let Some(t) = token {
            console = console.token(t);
        }
        // `/` leads to the console (keeping `?token=`); the console router
        // itself answers only under /console and /errors.
        let app: axum::Router = console.router().route(
            "/",
            axum::routing::get(|uri: axum::http::Uri| async move {
                let q = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
                axum::response::Redirect::to(&format!("/console{q}"))
            }),
        );
        errcat_axum::serve::serve(listener, app, args.limits.config(), shutdown_signal()).await?;
        store.close().await;
        anyhow::Ok(Outcome::Ok)
    })
}

/// The console's token: the one given, or, listening beyond loopback
/// without one, a new random one (the second value says it was made up).
pub(crate) fn console_token(local: SocketAddr, given: Option<String>) -> (Option<String>, bool) {
    let given = given.filter(|t| !t.is_empty());
    let generated = given.is_none() && !local.ip().is_loopback();
    (
        given.or_else(|| generated.then(errcat_console::random_token)),
        generated,
    )
}

/// Completes on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
