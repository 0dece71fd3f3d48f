//! `errcat demo`: the reference API with its error log, docs and console.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use errcat_demo::{Config, DEMO_API_KEY, DEMO_JWT_SECRET, DEMO_PASSWORD, DEMO_USERS};
use errcat_store::{ErrorLog, Sampling, Store, WriterConfig};

use crate::{Outcome, UsageError};

/// Arguments of `errcat demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The error log (`sqlite://FILE` or `postgres://…`); default `sqlite://errcat.db`, created if missing.
    #[arg(long, value_name = "URL", env = "ERRCAT_STORE")]
    store: Option<String>,
    /// The console's access token; required, and generated if absent, when
    /// listening on a non-loopback address.
    #[arg(long, env = "ERRCAT_CONSOLE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(flatten)]
    limits: crate::serve::LimitArgs,
    /// Requests per minute per client IP before 429 (raise it for fuzzers and load tests).
    #[arg(long, value_name = "N", default_value_t = Config::default().per_ip_per_minute)]
    per_ip_per_minute: u32,
    /// Requests per minute per API key before 429.
    #[arg(long, value_name = "N", default_value_t = Config::default().per_key_per_minute)]
    per_key_per_minute: u32,
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(serve(args, out, started))?;
    Ok(Outcome::Ok)
}

/// What the demo serves and how to try it: the addresses (with the
/// console's token in `query`), the demo's credentials, a few requests.
fn banner(
    out: &mut dyn Write,
    base: &str,
    query: &str,
    url: &str,
    started: Instant,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "errcat demo: the reference API, its error log and its error reference (ready in {} ms)\n",
        started.elapsed().as_millis()
    )?;
    writeln!(
        out,
        "  API        {base}/api   (OpenAPI: {base}/api/openapi.json)"
    )?;
    writeln!(out, "  Errors     {base}/errors{query}")?;
    writeln!(
        out,
        "  Console    {base}/console{query}   (look up any error_id or request id)"
    )?;
    writeln!(out, "  Error log  {}\n", errcat_store::redact_url(url))?;
    writeln!(
        out,
        "  API key    {DEMO_API_KEY}   (X-API-Key, for POST /api/events)"
    )?;
    let users: Vec<String> = DEMO_USERS
        .iter()
        .map(|u| format!("{} ({} of {})", u.email, u.role, u.team))
        .collect();
    writeln!(
        out,
        "  Users      {}, password {DEMO_PASSWORD}",
        users.join(", ")
    )?;
    writeln!(
        out,
        "  JWT secret {:?} (public, so you can craft expired or foreign tokens)\n",
        String::from_utf8_lossy(DEMO_JWT_SECRET)
    )?;
    writeln!(out, "Try:")?;
    writeln!(
        out,
        "  curl -i {base}/api/events -H 'X-API-Key: {DEMO_API_KEY}' -H 'Content-Type: application/json' -d '{{\"events\": [{{\"type\": \"teleport\", \"user_id\": \"u1\", \"timestamp\": 1}}]}}'"
    )?;
    writeln!(
        out,
        "  curl -i {base}/api/auth/login -H 'Content-Type: application/json' -d '{{\"email\": \"bob@acme.test\", \"password\": '"
    )?;
    writeln!(out, "  curl -i {base}/api/debug/panic")?;
    writeln!(
        out,
        "\nthen paste the error_id of a response into the console. Ctrl-C stops."
    )?;
    Ok(())
}

/// The error log's settings: the catalog's codes with `retain = "always"`
/// are recorded in an error storm too.
fn writer_config(catalog: &errcat_catalog::Catalog) -> WriterConfig {
    let always = catalog
        .errors
        .iter()
        .filter(|e| e.retain == errcat_catalog::Retain::Always)
        .map(|e| e.code.clone())
        .collect();
    WriterConfig {
        sampling: Sampling {
            always,
            ..Sampling::default()
        },
        ..WriterConfig::default()
    }
}

async fn serve(args: &Args, out: &mut dyn Write, started: Instant) -> anyhow::Result<()> {
    let url = args
        .store
        .clone()
        .unwrap_or_else(|| errcat_store::DEFAULT_URL.to_owned());
    let store = Store::connect(&url).await.map_err(|e| {
        UsageError(format!(
            "cannot open the error log {}: {e} (pass --store sqlite://FILE or postgres://…)",
            errcat_store::redact_url(&url)
        ))
    })?;
    let catalog = Arc::new(errcat_demo::catalog());
    let log = ErrorLog::spawn(store.clone(), writer_config(&catalog));
    let config = Config {
        per_ip_per_minute: args.per_ip_per_minute.max(1),
        per_key_per_minute: args.per_key_per_minute.max(1),
        ..Config::default()
    };
    let api = errcat_demo::router(config, {
        let log = log.clone();
        move |layer| layer.observer(log)
    });
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| {
            UsageError(format!(
                "cannot listen on {}: {e} (pass another --addr, e.g. 127.0.0.1:0 for any free port)",
                args.addr
            ))
        })?;
    let addr = listener.local_addr()?;
    let (token, generated) = crate::serve::console_token(addr, args.token.clone());
    let mut console = errcat_console::Console::new(store.clone(), catalog);
    if let Some(t) = &token {
        console = console.token(t.clone());
    }
    let app = console.router().fallback_service(api);
    let base = format!("http://{addr}");
    let query = token
        .as_deref()
        .map(|t| format!("?token={}", errcat_console::percent_encode(t)))
        .unwrap_or_default();
    if generated {
        eprintln!(
            "errcat: note: {addr} is reachable beyond this machine, so the console needs the token \
             generated for this run (in the addresses below); choose one with --token"
        );
    }
    writeln!(out, "listening on {base}")?;
    banner(out, &base, &query, &url, started)?;
    out.flush()?;

    let served = errcat_demo::serve(
        listener,
        app,
        args.limits.config(),
        crate::serve::shutdown_signal(),
    )
    .await;
    let stats = log.shutdown().await;
    store.close().await;
    writeln!(
        out,
        "stopped: {} errors recorded, {} dropped",
        stats.written, stats.dropped
    )?;
    served.map_err(Into::into)
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_retained_always_are_kept_in_a_storm() {
        let config = super::writer_config(&errcat_demo::catalog());
        assert!(
            config
                .sampling
                .always
                .contains("INVALID_PERSONAL_ACCESS_TOKEN")
        );
        assert!(!config.sampling.always.contains("TEMPLATE_NOT_FOUND"));
    }
}
