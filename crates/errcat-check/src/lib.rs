//! The conformance probe behind `errcat check`, for a running API in any
//! language.
//!
//! Each probe sends one request a conformant API must refuse in a known
//! way (an unknown route, a wrong method, broken JSON…) and checks the
//! answer against the catalog: the status, the envelope and its code, the
//! request id, the `Content-Type`, and that nothing internal leaks. The
//! rules are in `docs/check.md`.
//!
//! ```no_run
//! let catalog = errcat_catalog::Catalog::from_path("errors.toml").unwrap();
//! let options = errcat_check::Options::new("http://127.0.0.1:8080");
//! let passed = errcat_check::run(&options, catalog, "errors.toml", &mut std::io::stdout())?;
//! # Ok::<(), errcat_check::CheckError>(())
//! ```
//!
//! [`run`] blocks: it runs the probes on a runtime of its own. The `clap`
//! feature derives `clap::Args` for [`Options`] (the CLI's flags).

mod openapi;
mod options;
mod plan;
mod report;
#[cfg(feature = "rustls")]
mod tls;
mod transport;
mod verify;

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use errcat_catalog::Catalog;
use errcat_client::Parser;
use reqwest::{Method, Url};
use serde_json::Value;

pub use options::{Options, OutputFormat};
use options::{expectations, names};
use plan::{
    Probe, Step, burst_target, credentials, plan_spec, plan_without_spec, probe, with_options,
};
use report::{Row, Verdict, internal_row, report};
use transport::{Failure, Request, seconds};
use verify::{Expect, Reply};

/// The most bytes read of any response body.
const MAX_READ: usize = 1024 * 1024;
/// The most JSON operations probed with bad bodies.
const MAX_BODY_OPS: usize = 12;
/// Concurrent requests of the burst.
const BURST_WORKERS: usize = 16;

/// What every probe task shares.
struct Ctx {
    client: reqwest::Client,
    /// A client that never reuses a connection: a probe whose kept-alive
    /// connection the server had closed is sent once more on it.
    fresh: reqwest::Client,
    /// https: the oversized probe's own connection uses it too.
    #[cfg(feature = "rustls")]
    tls: Arc<rustls::ClientConfig>,
    rule: verify::RequestIdRule,
    catalog: Catalog,
    parser: Parser,
    timeout: Duration,
    deadline: tokio::time::Instant,
    time_limit: Duration,
}

/// Probes the API and writes the report to `out`; true when every probe
/// passed (or was skipped). `catalog_label` says which catalog this is
/// and how it was found, for the report's first line.
///
/// # Errors
///
/// [`CheckError::Usage`] for a bad URL, option or spec, or an API that
/// cannot be reached at all; I/O errors of `out`.
pub fn run(
    args: &Options,
    catalog: Catalog,
    catalog_label: &str,
    out: &mut dyn Write,
) -> Result<bool, CheckError> {
    let base = base_url(&args.url)?;
    expectations(args)?;
    let label = format!(
        "{catalog_label}: {} errors, envelope `{}`",
        catalog.errors.len(),
        catalog.api.envelope
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let started = Instant::now();
    let rule = match (&args.request_id_header, &catalog.api) {
        (Some(h), _) if h.eq_ignore_ascii_case("none") => verify::RequestIdRule::None,
        (Some(h), _) => verify::RequestIdRule::Required(h.clone()),
        (None, api) if api.request_id_header_declared => match &api.request_id_header {
            Some(h) => verify::RequestIdRule::Required(h.clone()),
            None => verify::RequestIdRule::None,
        },
        (None, _) => verify::RequestIdRule::Usual("X-Request-Id".to_owned()),
    };
    let rows = runtime.block_on(check(args, base.clone(), catalog, rule.clone()))?;
    let elapsed = started.elapsed();
    // Do not wait for requests still hanging on a hostile server.
    runtime.shutdown_background();
    let mut warnings = Vec::new();
    if args.insecure && base.scheme() == "https" {
        warnings.push(
            "--insecure: the API's TLS certificate was not verified; anyone on the path could have answered"
                .to_owned(),
        );
    }
    let missing = rows.iter().filter(|r| r.missing_request_id).count();
    if missing > 0
        && let verify::RequestIdRule::Usual(name) = &rule
    {
        warnings.push(format!(
            "no {name} header on {missing} of {} responses: support cannot match a customer's report to a request; \
             if the API sends its request id under another header, or none, say so with [api] request_id_header or --request-id-header",
            rows.iter().filter(|r| r.status.is_some()).count()
        ));
    }
    report(args, &base, &label, &warnings, &rows, elapsed, out)?;
    Ok(!rows.iter().any(|r| r.verdict == Verdict::Fail))
}

/// Why a check could not be run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// A bad URL, option or spec, or an API that cannot be reached: the
    /// message names the fix.
    #[error("{0}")]
    Usage(String),
    /// The report could not be written, or the runtime could not start.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Http(#[from] reqwest::Error),
}

impl From<serde_json::Error> for CheckError {
    fn from(e: serde_json::Error) -> Self {
        CheckError::Io(e.into())
    }
}

/// Parses URL: http, and https with the `rustls` feature.
fn base_url(url: &str) -> Result<Url, CheckError> {
    let parsed = Url::parse(url).map_err(|e| {
        CheckError::Usage(format!(
            "`{url}` is not a URL ({e}); pass the API's base URL, e.g. http://127.0.0.1:8080"
        ))
    })?;
    match parsed.scheme() {
        "http" => {}
        "https" if cfg!(feature = "rustls") => {}
        "https" => {
            return Err(CheckError::Usage(format!(
                "cannot check {url}: https is not supported, this errcat is built without TLS; \
                 check the API over plain http (e.g. http://127.0.0.1:PORT) or through a local TLS-terminating proxy"
            )));
        }
        other => {
            return Err(CheckError::Usage(format!(
                "cannot check {url}: unsupported scheme `{other}`; pass an http:// or https:// URL"
            )));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(CheckError::Usage(format!("`{url}` has no host")));
    }
    Ok(parsed)
}

/// The URL of `path` (from the spec, after its server prefix): joined to
/// the base URL's path, unless the spec's paths already start with it
/// (`http://host/api` and `/api/items`). An empty path is the base URL.
fn join(base: &Url, prefix: &str, path: &str) -> Url {
    if prefix.is_empty() && path.is_empty() {
        return base.clone();
    }
    let mut url = base.clone();
    let base_path = base.path().trim_end_matches('/');
    let full = format!("{prefix}{path}");
    let joined = if !base_path.is_empty()
        && (full == base_path || full.starts_with(&format!("{base_path}/")))
    {
        full
    } else {
        let prefix = if base_path.ends_with(prefix) {
            ""
        } else {
            prefix
        };
        format!("{base_path}{prefix}{path}")
    };
    url.set_path(if joined.is_empty() { "/" } else { &joined });
    url.set_query(None);
    url
}

/// Plans the probes (the base URL first: it tells whether the API is there
/// at all), runs them at once, then the burst.
async fn check(
    args: &Options,
    base: Url,
    catalog: Catalog,
    rule: verify::RequestIdRule,
) -> Result<Vec<Row>, CheckError> {
    let ctx = context(args, catalog, rule)?;
    let (spec, spec_doc) = match &args.openapi {
        Some(s) => {
            let doc = load_spec(&ctx, s).await?;
            let spec = openapi::parse(&doc)
                .map_err(|e| CheckError::Usage(format!("cannot use the OpenAPI spec {s}: {e}")))?;
            (Some(spec), doc)
        }
        None => (None, Value::Null),
    };
    let creds = credentials(args, spec.as_ref());
    let mut base_probe = probe("base", Method::GET, &base, "", "", Expect::default(), None);
    base_probe.request.headers = creds.all();
    let (base_row, base_reply) = match run_probe(&ctx, &base_probe).await {
        Err(f) if f.certificate => return Err(CheckError::Usage(f.reason)),
        Err(f) if f.connect => {
            return Err(CheckError::Usage(format!(
                "cannot reach {base}: {} (is the API running?)",
                f.reason
            )));
        }
        r => finish(&ctx, &base_probe, r),
    };
    let mut planned: Vec<Step> = Vec::new();
    let prefix = spec.as_ref().map_or("", |s| s.prefix.as_str());
    let unknown = format!("/errcat-check-{:016x}", random());
    planned.push(Step::Probe(probe(
        "unknown-route",
        Method::GET,
        &base,
        prefix,
        &unknown,
        Expect::new(&[404], &["NOT_FOUND"]),
        None,
    )));
    match &spec {
        Some(spec) => plan_spec(args, &base, spec, &spec_doc, &creds, &mut planned),
        None => plan_without_spec(&base, base_reply, &creds, &mut planned),
    }
    let expect = expectations(args)?;
    let mut rows = vec![base_row];
    rows.extend(run_steps(&ctx, with_options(planned, args, &expect)).await);
    if args.burst && args.skip.iter().any(|s| s == "burst") {
        rows.push(Row::skip("burst", "skipped (--skip)"));
    } else if args.burst {
        let mut target = burst_target(&base, spec.as_ref(), &creds);
        if let Some((_, statuses)) = expect.iter().find(|(n, _)| n == "burst") {
            target.expect.statuses.clone_from(statuses);
        }
        rows.push(burst(&ctx, target, args.burst_max).await);
    }
    Ok(rows)
}

/// The clients (one keeping connections, one opening a new one for each
/// request), the parser and the limits every probe shares.
fn context(
    args: &Options,
    catalog: Catalog,
    rule: verify::RequestIdRule,
) -> Result<Arc<Ctx>, CheckError> {
    #[cfg(feature = "rustls")]
    let tls = tls::config(args)?;
    let builder = || {
        let b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(args.timeout)
            .user_agent("errcat-check");
        #[cfg(feature = "rustls")]
        let b = b.tls_backend_preconfigured(rustls::ClientConfig::clone(&tls));
        b
    };
    let client = builder().build()?;
    let fresh = builder().pool_max_idle_per_host(0).build()?;
    let parser = Parser::new(&catalog);
    Ok(Arc::new(Ctx {
        client,
        fresh,
        #[cfg(feature = "rustls")]
        tls,
        rule,
        catalog,
        parser,
        timeout: args.timeout,
        deadline: tokio::time::Instant::now() + args.time_limit,
        time_limit: args.time_limit,
    }))
}

/// Runs the probes at once, each in its own task; the rows in plan order.
async fn run_steps(ctx: &Arc<Ctx>, planned: Vec<Step>) -> Vec<Row> {
    let handles: Vec<_> = planned
        .into_iter()
        .map(|step| match step {
            Step::Probe(p) => {
                let ctx = ctx.clone();
                Ok(tokio::spawn(async move {
                    let r = run_probe(&ctx, &p).await;
                    finish(&ctx, &p, r).0
                }))
            }
            Step::Skip(row) => Err(Box::new(row)),
        })
        .collect();
    let mut rows = Vec::with_capacity(handles.len());
    for h in handles {
        rows.push(match h {
            Ok(h) => h.await.unwrap_or_else(|e| internal_row(&e)),
            Err(row) => *row,
        });
    }
    rows
}

/// A random number for the unknown route, without a dependency.
fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

async fn load_spec(ctx: &Ctx, spec: &str) -> Result<Value, CheckError> {
    const MAX_SPEC: usize = 16 * 1024 * 1024;
    let text = if spec.starts_with("http://") || spec.starts_with("https://") {
        let url = base_url(spec)?;
        let req = Request {
            method: Method::GET,
            url,
            headers: vec![("Accept".to_owned(), "application/json".to_owned())],
            body: None,
        };
        let r = transport::send(
            &ctx.client,
            &req,
            ctx.timeout.max(Duration::from_secs(5)).min(ctx.time_limit),
            MAX_SPEC,
        )
        .await
        .map_err(|f| {
            CheckError::Usage(format!(
                "cannot fetch the OpenAPI spec {spec}: {}",
                f.reason
            ))
        })?;
        if r.status != 200 {
            return Err(CheckError::Usage(format!(
                "cannot fetch the OpenAPI spec {spec}: status {}",
                r.status
            )));
        }
        r.body
    } else {
        std::fs::read(spec)
            .map_err(|e| CheckError::Usage(format!("cannot read the OpenAPI spec {spec}: {e}")))?
    };
    serde_json::from_slice(&text).map_err(|e| {
        CheckError::Usage(format!(
            "the OpenAPI spec {spec} is not JSON ({e}); YAML is not supported, convert it to JSON"
        ))
    })
}

/// Sends one probe within the time limit.
async fn run_probe(ctx: &Ctx, p: &Probe) -> Result<Reply, Failure> {
    let send = async {
        match p.oversized {
            Some(size) => {
                #[cfg(feature = "rustls")]
                let tls = Some(ctx.tls.clone());
                #[cfg(not(feature = "rustls"))]
                let tls = None;
                transport::send_oversized(&p.request, tls, size, ctx.timeout, MAX_READ).await
            }
            None => {
                match transport::send(&ctx.client, &p.request, ctx.timeout, MAX_READ).await {
                    // A kept-alive connection the server had closed (after
                    // a 500, say): once more, on a connection of its own.
                    Err(f) if f.reused_connection_lost() => {
                        transport::send(&ctx.fresh, &p.request, ctx.timeout, MAX_READ).await
                    }
                    r => r,
                }
            }
        }
    };
    match tokio::time::timeout_at(ctx.deadline, send).await {
        Ok(r) => r,
        Err(_) => Err(Failure::new(format!(
            "not finished: the time limit of {} was reached",
            seconds(ctx.time_limit)
        ))),
    }
}

/// The row of a probe, and the status it got.
fn finish(ctx: &Ctx, p: &Probe, r: Result<Reply, Failure>) -> (Row, Option<u16>) {
    let mut row = Row {
        probe: p.name.clone(),
        method: p.request.method.to_string(),
        path: p.path.clone(),
        status: None,
        code: None,
        verdict: Verdict::Ok,
        reasons: Vec::new(),
        note: p.note.clone(),
        missing_request_id: false,
    };
    match r {
        Ok(reply) => {
            let mut f = verify::verify(
                &ctx.catalog,
                &ctx.parser,
                &ctx.rule,
                MAX_READ,
                &p.expect,
                &reply,
            );
            if reply.truncated && echoes(p, &reply.body) {
                for r in &mut f.reasons {
                    if r.starts_with("body larger than") {
                        r.push_str("; the body echoes the request's");
                    }
                }
            }
            row.status = Some(reply.status);
            row.code = f.code;
            row.reasons = f.reasons;
            row.missing_request_id = f.missing_request_id;
            if !f.notes.is_empty() {
                let notes = f.notes.join("; ");
                row.note = Some(match row.note.take() {
                    Some(n) => format!("{n}; {notes}"),
                    None => notes,
                });
            }
        }
        Err(f) => row.reasons.push(f.reason),
    }
    if !row.reasons.is_empty() {
        row.verdict = Verdict::Fail;
    }
    let status = row.status;
    (row, status)
}

/// Whether a response body repeats what the probe sent (an app that echoes
/// a body back in its error).
fn echoes(p: &Probe, body: &[u8]) -> bool {
    let sent: &[u8] = match (&p.request.body, p.oversized) {
        (_, Some(_)) => transport::OVERSIZED_START,
        (Some(b), None) => &b[..b.len().min(64)],
        (None, None) => return false,
    };
    sent.len() >= 8 && body.windows(sent.len()).any(|w| w == sent)
}

/// Many concurrent requests to one endpoint until a 429 arrives.
async fn burst(ctx: &Arc<Ctx>, p: Probe, max: usize) -> Row {
    let sent = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let limited: Arc<Mutex<Option<Result<Reply, Failure>>>> = Arc::new(Mutex::new(None));
    let failures = Arc::new(Mutex::new((0usize, None::<String>)));
    let p = Arc::new(p);
    let workers: Vec<_> = (0..BURST_WORKERS)
        .map(|_| {
            let (ctx, p, sent, stop) = (ctx.clone(), p.clone(), sent.clone(), stop.clone());
            let (limited, failures) = (limited.clone(), failures.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) && sent.fetch_add(1, Ordering::SeqCst) < max {
                    match transport::send(&ctx.client, &p.request, ctx.timeout, MAX_READ).await {
                        Ok(r) if r.status == 429 => {
                            stop.store(true, Ordering::SeqCst);
                            if let Ok(mut l) = limited.lock() {
                                l.get_or_insert(Ok(r));
                            }
                        }
                        Ok(_) => {}
                        Err(f) => {
                            if let Ok(mut fl) = failures.lock() {
                                fl.0 += 1;
                                fl.1.get_or_insert(f.reason);
                                // A server that fails every request will not say 429.
                                if fl.0 >= 8 {
                                    stop.store(true, Ordering::SeqCst);
                                }
                            }
                        }
                    }
                }
            })
        })
        .collect();
    let all = async {
        for w in workers {
            let _ = w.await;
        }
    };
    let timed_out = tokio::time::timeout_at(ctx.deadline, all).await.is_err();
    stop.store(true, Ordering::SeqCst);
    let count = sent.load(Ordering::SeqCst).min(max);
    let found = limited.lock().ok().and_then(|mut l| l.take());
    let (failed, first_failure) = failures
        .lock()
        .map(|f| (f.0, f.1.clone()))
        .unwrap_or_default();
    let mut p = (*p).clone();
    p.note = Some(format!("{count} requests, {BURST_WORKERS} at a time"));
    match found {
        Some(r) => finish(ctx, &p, r).0,
        None => {
            let mut why = format!("no 429 after {count} requests");
            if timed_out {
                why.push_str(&format!(
                    " (the time limit of {} was reached)",
                    seconds(ctx.time_limit)
                ));
            } else if count >= max {
                why.push_str(" (--burst-max)");
            }
            if let Some(f) = first_failure {
                why.push_str(&format!("; {failed} failed: {f}"));
            }
            finish(ctx, &p, Err(Failure::new(why))).0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_base_prefix_and_path() {
        let base = Url::parse("http://h:1/api/").unwrap();
        assert_eq!(join(&base, "", "/items").as_str(), "http://h:1/api/items");
        assert_eq!(
            join(&base, "/api", "/items").as_str(),
            "http://h:1/api/items"
        );
        assert_eq!(
            join(&base, "/v1", "/items").as_str(),
            "http://h:1/api/v1/items"
        );
        assert_eq!(
            join(&base, "", "/api/items").as_str(),
            "http://h:1/api/items"
        );
        assert_eq!(join(&base, "", "").as_str(), "http://h:1/api/");
        let root = Url::parse("http://h:1").unwrap();
        assert_eq!(join(&root, "", "").as_str(), "http://h:1/");
        assert_eq!(join(&root, "/v1", "/items").as_str(), "http://h:1/v1/items");
    }

    #[test]
    fn takes_https_with_tls_and_refuses_other_schemes() {
        let https = base_url("https://api.example.com");
        if cfg!(feature = "rustls") {
            assert_eq!(https.unwrap().as_str(), "https://api.example.com/");
        } else {
            let e = https.unwrap_err().to_string();
            assert!(
                e.contains("https is not supported") && e.contains("without TLS"),
                "{e}"
            );
        }
        assert!(
            base_url("ftp://x")
                .unwrap_err()
                .to_string()
                .contains("`ftp`")
        );
        assert!(base_url("nope").is_err());
    }
}
