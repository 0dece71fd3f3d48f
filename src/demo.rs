//! `errcat demo`: the reference API with its error log, docs and console.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use errcat_demo::{
    Config, DEMO_API_KEY, DEMO_JWT_SECRET, DEMO_PASSWORD, DEMO_USERS, RateLimitStore,
};
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
    /// Where the rate limits count: `memory` (this process alone) or `redis://HOST:PORT[/DB]`,
    /// one quota shared by every process that uses the same Redis and prefix.
    #[arg(
        long,
        value_name = "URL",
        env = "ERRCAT_RATE_LIMIT_STORE",
        default_value = "memory"
    )]
    rate_limit_store: String,
    /// The prefix of the rate limit keys in Redis: processes that share quotas use the same one.
    #[arg(
        long,
        value_name = "PREFIX",
        env = "ERRCAT_RATE_LIMIT_PREFIX",
        default_value = "errcat:demo:rl:"
    )]
    rate_limit_prefix: String,
}

/// How long starting the demo waits for Redis to answer.
#[cfg(feature = "redis")]
const REDIS_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// The rate limits' store named by `--rate-limit-store`; a shared one is
/// reached before the demo listens, so that a wrong URL or a Redis that is
/// down stops it at once.
async fn rate_limit_store(args: &Args) -> anyhow::Result<RateLimitStore> {
    let url = args.rate_limit_store.trim();
    if url.is_empty() || url == "memory" {
        return Ok(RateLimitStore::Memory);
    }
    let shown = errcat_store::redact_url(url);
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err(UsageError(format!(
            "`{shown}` is not a rate limit store: pass --rate-limit-store memory (the default) or redis://HOST:PORT"
        ))
        .into());
    }
    redis_store(url, &shown, &args.rate_limit_prefix).await
}

#[cfg(feature = "redis")]
async fn redis_store(url: &str, shown: &str, prefix: &str) -> anyhow::Result<RateLimitStore> {
    use errcat_axum::rate_limit::RedisBackend;
    let backend = RedisBackend::open(url)
        .map_err(|e| {
            UsageError(format!(
                "`{shown}` is not a Redis URL: {e} (pass --rate-limit-store redis://HOST:PORT[/DB])"
            ))
        })?
        .prefix(prefix);
    let unreachable = |why: String| {
        UsageError(format!(
            "cannot reach the rate limit store at {shown}: {why} (start Redis there, pass another \
             --rate-limit-store, or leave it out to count in this process's memory)"
        ))
    };
    match tokio::time::timeout(REDIS_CONNECT_TIMEOUT, backend.connect()).await {
        Ok(Ok(())) => Ok(RateLimitStore::Shared(Arc::new(backend))),
        Ok(Err(e)) => Err(unreachable(e.to_string()).into()),
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            REDIS_CONNECT_TIMEOUT.as_secs()
        ))
        .into()),
    }
}

#[cfg(not(feature = "redis"))]
async fn redis_store(_url: &str, shown: &str, _prefix: &str) -> anyhow::Result<RateLimitStore> {
    Err(UsageError(format!(
        "cannot use the rate limit store {shown}: this errcat was built without the `redis` feature \
         (rebuild with --features redis, or leave --rate-limit-store out to count in memory)"
    ))
    .into())
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

/// The rate limits, for the banner.
struct Limits {
    per_ip: u32,
    per_key: u32,
    /// The Redis that counts them (its URL with any password hidden, and
    /// the key prefix), if they are shared.
    shared: Option<(String, String)>,
}

/// What the demo serves and how to try it: the addresses (with the
/// console's token in `query`), the demo's credentials, a few requests.
fn banner(
    out: &mut dyn Write,
    base: &str,
    query: &str,
    url: &str,
    limits: &Limits,
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
    writeln!(out, "  Error log  {}", errcat_store::redact_url(url))?;
    writeln!(
        out,
        "  Limits     {}/min per IP, {}/min per API key, {}\n",
        limits.per_ip,
        limits.per_key,
        match &limits.shared {
            Some((redis, prefix)) => format!("shared through {redis} (keys {prefix}…)"),
            None => "in this process's memory".to_owned(),
        }
    )?;
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
    let rate_limit_store = rate_limit_store(args).await?;
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
    let limits = Limits {
        per_ip: args.per_ip_per_minute.max(1),
        per_key: args.per_key_per_minute.max(1),
        shared: matches!(rate_limit_store, RateLimitStore::Shared(_)).then(|| {
            (
                errcat_store::redact_url(args.rate_limit_store.trim()),
                args.rate_limit_prefix.clone(),
            )
        }),
    };
    let catalog = Arc::new(errcat_demo::catalog());
    let log = ErrorLog::spawn(store.clone(), writer_config(&catalog));
    let config = Config {
        per_ip_per_minute: limits.per_ip,
        per_key_per_minute: limits.per_key,
        rate_limit_store,
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
    banner(out, &base, &query, &url, &limits, started)?;
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
