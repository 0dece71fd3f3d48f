//! `errcat lookup`, `errcat errors`, `errcat stats`: the error log for support.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use errcat_catalog::Catalog;
use errcat_store::{ErrorRecord, Filter, Store, from_unix_ms, unix_ms};

use crate::{Outcome, UsageError, catalog_arg};

/// Output formats.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Format {
    /// For people.
    Human,
    /// For tools.
    Json,
}

/// Where the log is.
#[derive(Debug, clap::Args)]
pub(crate) struct StoreArg {
    /// The error log (`sqlite://FILE` or `postgres://…`); default `$ERRCAT_STORE`, else `sqlite://errcat.db`.
    #[arg(long, value_name = "URL", env = "ERRCAT_STORE")]
    store: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Arguments of `errcat lookup`.
#[derive(Debug, clap::Args)]
pub(crate) struct LookupArgs {
    /// An error id, a request id or a W3C trace id.
    id: String,
    #[command(flatten)]
    store: StoreArg,
    /// The catalog, for the resolution steps (default `errors.toml`, else the standard catalog).
    #[arg(long, short, value_name = "FILE")]
    catalog: Option<PathBuf>,
}

/// Arguments of `errcat errors`.
#[derive(Debug, clap::Args)]
pub(crate) struct ErrorsArgs {
    /// Only this code.
    #[arg(long)]
    code: Option<String>,
    /// Only this status, class or range: `404`, `4xx`, `500-504`.
    #[arg(long)]
    status: Option<String>,
    /// Only this category.
    #[arg(long)]
    category: Option<String>,
    /// Only this route template, or a concrete path.
    #[arg(long)]
    route: Option<String>,
    /// Only this tenant (any case).
    #[arg(long)]
    tenant: Option<String>,
    /// Since when: a duration ago (`30m`, `2h`, `7d`) or a UTC time (`2026-01-31T09:00Z`).
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// How many (at most 1000).
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[command(flatten)]
    store: StoreArg,
}

/// Arguments of `errcat stats`.
#[derive(Debug, clap::Args)]
pub(crate) struct StatsArgs {
    /// How far back: `30s`, `15m`, `1h`, `7d`.
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    since: String,
    /// Bucket size.
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    bucket: String,
    #[command(flatten)]
    store: StoreArg,
}

/// Parses `90s`, `15m`, `1h`, `7d`.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, UsageError> {
    let bad = || {
        UsageError(format!(
            "`{s}` is not a duration: use a number and s, m, h or d (`15m`, `24h`)"
        ))
    };
    errcat_store::parse_duration(s).ok_or_else(bad)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Opens an existing error log: a missing SQLite file is a usage error
/// (an empty log created by a typo helps nobody).
pub(crate) async fn open(url: Option<&str>) -> anyhow::Result<Store> {
    let url = url.unwrap_or(errcat_store::DEFAULT_URL);
    if let Some(path) = url.strip_prefix("sqlite://")
        && !path.contains(":memory:")
        && !std::path::Path::new(path.split('?').next().unwrap_or(path)).exists()
    {
        return Err(UsageError(format!(
            "no error log at {url} (pass --store URL or set ERRCAT_STORE; `errcat demo` writes errcat.db here)"
        ))
        .into());
    }
    Store::connect(url)
        .await
        .map_err(|e| UsageError(e.to_string()).into())
}

/// A stored value made safe for a terminal: every control character (C0 but
/// newline and tab, DEL, C1) is written visibly as `\u{1b}`, so a hostile body
/// or header cannot retitle, clear or rewrite the support engineer's terminal.
/// `multiline` keeps newlines (indenting what follows them under the field, so
/// a stored value cannot forge a line of the page); one-line fields escape them.
fn visible(s: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' if multiline => out.push_str("\n              "),
            '\t' => out.push('\t'),
            c if c.is_control() => out.extend(c.escape_debug()),
            c => out.push(c),
        }
    }
    out
}

fn opt_visible(s: Option<&str>, none: &str) -> String {
    s.map_or_else(|| none.to_owned(), |s| visible(s, false))
}

/// JSON for tools, still safe to print: serde_json escapes C0 controls, and
/// DEL and the C1 controls (which it writes raw) become `\u007f`…`\u009f`.
/// They can only occur inside JSON strings, so the text stays valid JSON.
fn write_json(out: &mut impl Write, v: &serde_json::Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    let mut safe = String::with_capacity(text.len());
    for c in text.chars() {
        if ('\u{7f}'..='\u{9f}').contains(&c) {
            safe.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            safe.push(c);
        }
    }
    writeln!(out, "{safe}")?;
    Ok(())
}

fn rfc3339(ms: i64) -> String {
    humantime::format_rfc3339_millis(from_unix_ms(ms.max(0))).to_string()
}

fn record_json(r: &ErrorRecord) -> serde_json::Value {
    serde_json::json!({
        "error_id": r.error_id,
        "request_id": r.request_id,
        "trace_id": r.trace_id,
        "timestamp": rfc3339(r.timestamp_ms),
        "code": r.code,
        "status": r.status,
        "category": r.category,
        "method": r.method,
        "route": r.route,
        "path": r.path,
        "tenant": r.tenant,
        "principal": r.principal,
        "client_ip": r.client_ip,
        "user_agent": r.user_agent,
        "headers": r.headers,
        "body_excerpt": r.body_excerpt,
        "causes": r.causes,
        "panic_message": r.panic_message,
        "panic_location": r.panic_location,
        "latency_us": r.latency_us,
        "source": r.source,
        "message": r.message,
        "response": r.response.as_ref().map(|s| serde_json::json!({
            "status": s.status,
            "headers": s.headers,
            "body": s.body,
            "body_bytes": s.body_bytes,
            "body_cut": s.body_cut(),
        })),
        "violations": r.violations,
        "summary": errcat_console::support::summary(r),
        "next_move": errcat_console::support::party(r).as_str(),
    })
}

pub(crate) fn lookup(args: &LookupArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let rt = runtime()?;
    let records = rt.block_on(async {
        let store = open(args.store.store.as_deref()).await?;
        // The id as pasted: quotes, a `key:` prefix, case and missing
        // dashes do not matter.
        let candidates = errcat_console::support::id_candidates(&args.id);
        let mut found: Vec<ErrorRecord> = Vec::new();
        for c in &candidates {
            found.extend(store.by_error_id(c).await?);
            if found.is_empty() {
                found = store.by_request_id(c).await?;
            }
            if found.is_empty() {
                found = store.by_trace_id(c).await?;
            }
            if !found.is_empty() {
                break;
            }
        }
        // Not found: an error id of a minute whose errors were sampled?
        let mut storm = None;
        if found.is_empty() {
            for c in &candidates {
                storm = errcat_console::support::not_kept(&store.not_kept_near(c).await?);
                if storm.is_some() {
                    break;
                }
            }
        }
        store.close().await;
        anyhow::Ok((found, storm))
    })?;
    let (records, storm) = records;
    if records.is_empty() {
        eprintln!(
            "errcat: no error or request with id `{}` in the error log",
            visible(&args.id, false)
        );
        if let Some((heading, lines)) = storm {
            eprintln!("{}", visible(&heading, false));
            for line in lines {
                eprintln!("  {}", visible(&line, false));
            }
        }
        return Ok(Outcome::Failed);
    }
    if let Format::Json = args.store.format {
        let v: Vec<_> = records.iter().map(record_json).collect();
        write_json(out, &serde_json::Value::from(v))?;
        return Ok(Outcome::Ok);
    }
    let catalog = catalog_arg::load(args.catalog.as_deref()).ok();
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            writeln!(out, "\n{}\n", "-".repeat(72))?;
        }
        support_page(r, catalog.as_ref(), out)?;
    }
    Ok(Outcome::Ok)
}

/// One record as a support engineer reads it: what, when, where from, why,
/// and the catalog's description and resolution.
fn support_page(
    r: &ErrorRecord,
    catalog: Option<&Catalog>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let def = catalog.and_then(|c| c.get(&r.code));
    let title = def.map(|d| d.title.as_str()).unwrap_or("");
    let one = |s: &str| visible(s, false);
    writeln!(out, "{} {} {title}", r.status, one(&r.code))?;
    writeln!(
        out,
        "{}",
        visible(&errcat_console::support::summary(r), true)
    )?;
    writeln!(out)?;
    writeln!(out, "  error id    {}", one(&r.error_id))?;
    writeln!(out, "  request id  {}", one(&r.request_id))?;
    if let Some(t) = &r.trace_id {
        writeln!(out, "  trace id    {}", one(t))?;
    }
    let ago = SystemTime::now()
        .duration_since(from_unix_ms(r.timestamp_ms))
        .map(|d| format!(" ({} ago)", short(d)))
        .unwrap_or_default();
    writeln!(out, "  when        {}{ago}", rfc3339(r.timestamp_ms))?;
    let route = r
        .route
        .as_deref()
        .map(|rt| format!("  (route {})", one(rt)))
        .unwrap_or_default();
    writeln!(
        out,
        "  request     {} {}{route}",
        one(&r.method),
        one(&r.path)
    )?;
    if r.client_ip.is_some() || r.user_agent.is_some() {
        writeln!(
            out,
            "  client      {} {}",
            opt_visible(r.client_ip.as_deref(), "-"),
            opt_visible(r.user_agent.as_deref(), "")
        )?;
    }
    if r.tenant.is_some() || r.principal.is_some() {
        writeln!(
            out,
            "  tenant      {}  principal {}",
            opt_visible(r.tenant.as_deref(), "-"),
            opt_visible(r.principal.as_deref(), "-")
        )?;
    }
    writeln!(
        out,
        "  latency     {:.1} ms   source {}",
        r.latency_us as f64 / 1000.0,
        one(&r.source)
    )?;
    sent_response(r, out)?;
    diagnosis(r, out)?;
    if let Some(c) = catalog {
        writeln!(
            out,
            "\nFor support:\n  {}",
            visible(&errcat_console::support::guidance(r, c), true)
        )?;
    }
    if let Some(d) = def {
        if let Some(desc) = &d.description {
            writeln!(out, "\nWhat it means:\n  {}", desc.trim())?;
        }
        if !d.resolution.is_empty() {
            writeln!(out, "\nResolution:")?;
            for (i, s) in d.resolution.iter().enumerate() {
                writeln!(out, "  {}. {s}", i + 1)?;
            }
        }
    }
    Ok(())
}

/// What the log kept to diagnose the error: causes, panic, echoed headers,
/// the body's start; shown visibly, control characters and all.
fn diagnosis(r: &ErrorRecord, out: &mut impl Write) -> anyhow::Result<()> {
    let one = |s: &str| visible(s, false);
    let many = |s: &str| visible(s, true);
    for (i, c) in r.causes.iter().enumerate() {
        writeln!(
            out,
            "  {}  {}",
            if i == 0 { "cause     " } else { "          " },
            many(c)
        )?;
    }
    if let Some(p) = &r.panic_message {
        writeln!(
            out,
            "  panic       {} at {}",
            many(p),
            opt_visible(r.panic_location.as_deref(), "?")
        )?;
    }
    for (n, v) in &r.headers {
        writeln!(out, "  header      {}: {}", one(n), one(v))?;
    }
    if let Some(b) = &r.body_excerpt {
        writeln!(out, "  body        {}", many(b))?;
    }
    Ok(())
}

/// What the client received: status, headers, body, field violations.
fn sent_response(r: &ErrorRecord, out: &mut impl Write) -> anyhow::Result<()> {
    let one = |s: &str| visible(s, false);
    match &r.response {
        Some(s) => {
            writeln!(out, "  sent        HTTP {}", s.status)?;
            for (n, v) in &s.headers {
                writeln!(out, "              {}: {}", one(n), one(v))?;
            }
            writeln!(out, "  sent body   {}", visible(&s.body, true))?;
            if s.body_cut() {
                writeln!(
                    out,
                    "              (cut: the first {} of {} bytes)",
                    s.body.len(),
                    s.body_bytes
                )?;
            }
        }
        None => writeln!(out, "  sent        (not recorded)")?,
    }
    for v in &r.violations {
        writeln!(out, "  violation   {}: {}", one(&v.path), one(&v.message))?;
    }
    Ok(())
}

fn short(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

pub(crate) fn errors(args: &ErrorsArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    use errcat_console::support;
    let now = unix_ms(SystemTime::now());
    let since_ms = args
        .since
        .as_deref()
        .map(|s| support::parse_time(s, now))
        .transpose()
        .map_err(UsageError)?;
    let status = args
        .status
        .as_deref()
        .map(support::parse_status)
        .transpose()
        .map_err(UsageError)?;
    let filter = Filter {
        code: args.code.clone(),
        status,
        category: args.category.clone(),
        route: args.route.clone(),
        tenant: args.tenant.clone(),
        since_ms,
        limit: Some(args.limit.clamp(1, 1000)),
        ..Filter::default()
    };
    let rt = runtime()?;
    let records = rt.block_on(async {
        let store = open(args.store.store.as_deref()).await?;
        let r = store.list(&filter).await?;
        store.close().await;
        anyhow::Ok(r)
    })?;
    if let Format::Json = args.store.format {
        let v: Vec<_> = records.iter().map(record_json).collect();
        write_json(out, &serde_json::Value::from(v))?;
        return Ok(Outcome::Ok);
    }
    writeln!(
        out,
        "{:<24}  {:>6}  {:<28}  {:<32}  error id",
        "time", "status", "code", "request"
    )?;
    for r in &records {
        let req: String = visible(&format!("{} {}", r.method, r.path), false)
            .chars()
            .take(32)
            .collect();
        writeln!(
            out,
            "{:<24}  {:>6}  {:<28}  {:<32}  {}",
            rfc3339(r.timestamp_ms),
            r.status,
            visible(&r.code, false),
            req,
            visible(&r.error_id, false)
        )?;
    }
    writeln!(
        out,
        "{}",
        errcat_docs::plural::count(records.len() as u64, "error", "errors")
    )?;
    Ok(Outcome::Ok)
}

pub(crate) fn stats(args: &StatsArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let since = parse_duration(&args.since)?;
    let bucket = parse_duration(&args.bucket)?.max(Duration::from_secs(1));
    let since_ms = unix_ms(SystemTime::now()) - since.as_millis() as i64;
    let rt = runtime()?;
    let counts = rt.block_on(async {
        let store = open(args.store.store.as_deref()).await?;
        let c = store.counts(since_ms, bucket.as_millis() as i64).await?;
        store.close().await;
        anyhow::Ok(c)
    })?;
    let mut totals: Vec<(String, i64)> = Vec::new();
    for c in &counts {
        match totals.iter_mut().find(|(code, _)| *code == c.code) {
            Some((_, n)) => *n += c.count,
            None => totals.push((c.code.clone(), c.count)),
        }
    }
    totals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if let Format::Json = args.store.format {
        let v = serde_json::json!({
            "since": rfc3339(since_ms),
            "bucket_seconds": bucket.as_secs(),
            "totals": totals.iter().map(|(c, n)| serde_json::json!({"code": c, "count": n})).collect::<Vec<_>>(),
            "buckets": counts.iter().map(|c| serde_json::json!({"start": rfc3339(c.bucket_ms), "code": c.code, "count": c.count})).collect::<Vec<_>>(),
        });
        write_json(out, &v)?;
        return Ok(Outcome::Ok);
    }
    writeln!(
        out,
        "errors since {} (last {})",
        rfc3339(since_ms),
        args.since
    )?;
    let max = totals.first().map_or(1, |t| t.1.max(1));
    for (code, n) in &totals {
        let bar = "#".repeat(((n * 40) / max).max(1) as usize);
        writeln!(out, "  {:<32} {n:>8}  {bar}", visible(code, false))?;
    }
    if totals.is_empty() {
        writeln!(out, "  no errors")?;
    }
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86_400));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
