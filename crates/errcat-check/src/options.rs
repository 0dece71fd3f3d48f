//! What to probe and how: [`Options`] (the flags of `errcat check`), and
//! `--skip`/`--expect`.

use std::path::PathBuf;
use std::time::Duration;

use crate::CheckError;

/// What to probe and how: the arguments of `errcat check` (a `clap`
/// argument group with the `clap` feature).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Options {
    /// The base URL of the API (http, or https with the `rustls` feature).
    #[cfg_attr(feature = "clap", arg(value_name = "URL"))]
    pub url: String,
    /// The API's OpenAPI 3.x spec (JSON): a file or an http URL. Without it,
    /// only the base URL and an unknown route are probed.
    #[cfg_attr(feature = "clap", arg(long, value_name = "SPEC"))]
    pub openapi: Option<String>,
    /// An API key, sent in the header the spec names, so authenticated
    /// probes reach validation.
    #[cfg_attr(
        feature = "clap",
        arg(
            long,
            value_name = "KEY",
            env = "ERRCAT_CHECK_API_KEY",
            hide_env_values = true
        )
    )]
    pub api_key: Option<String>,
    /// The header `--api-key` goes in [default: the spec's first `apiKey`
    /// scheme in a header whose name contains "key", else its first, else
    /// `X-API-Key`].
    #[cfg_attr(feature = "clap", arg(long, value_name = "NAME"))]
    pub api_key_header: Option<String>,
    /// A bearer token, sent as `Authorization: Bearer TOKEN`.
    #[cfg_attr(
        feature = "clap",
        arg(
            long,
            value_name = "TOKEN",
            env = "ERRCAT_CHECK_BEARER",
            hide_env_values = true
        )
    )]
    pub bearer: Option<String>,
    /// Also send a burst of concurrent requests to one cheap endpoint until a 429 arrives.
    #[cfg_attr(feature = "clap", arg(long))]
    pub burst: bool,
    /// The most requests of the burst.
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", default_value_t = 300))]
    pub burst_max: usize,
    /// The API's body limit in bytes; the oversized probe sends one byte more.
    #[cfg_attr(feature = "clap", arg(long, value_name = "BYTES", default_value_t = 2 * 1024 * 1024))]
    pub max_body: u64,
    /// The time limit of each request.
    #[cfg_attr(feature = "clap", arg(long, value_name = "DURATION", default_value = "3s", value_parser = humantime::parse_duration))]
    pub timeout: Duration,
    /// The time limit of the whole check.
    #[cfg_attr(feature = "clap", arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration))]
    pub time_limit: Duration,
    /// The header every response must carry the request id in, or `none`
    /// [default: the catalog's `[api] request_id_header`; without one, a
    /// missing `X-Request-Id` is one warning, not a failure].
    #[cfg_attr(feature = "clap", arg(long, value_name = "NAME"))]
    pub request_id_header: Option<String>,
    /// Leave out a probe (`oversized`, `burst`, `invalid-credentials`, …),
    /// for a framework's known defaults. Repeat it for more.
    #[cfg_attr(feature = "clap", arg(long = "skip", value_name = "PROBE"))]
    pub skip: Vec<String>,
    /// Accept other statuses from a probe: `wrong-method=404` or
    /// `malformed-json=400,422`. Repeat it for more.
    #[cfg_attr(feature = "clap", arg(long = "expect", value_name = "PROBE=STATUS"))]
    pub expect: Vec<String>,
    /// A CA certificate (PEM) to trust for https, in addition to the
    /// bundled Mozilla roots: a staging server's, a self-signed one.
    #[cfg_attr(feature = "clap", arg(long, value_name = "FILE"))]
    pub cacert: Option<PathBuf>,
    /// Accept any https certificate, unverified (a warning on every run).
    #[cfg_attr(feature = "clap", arg(long))]
    pub insecure: bool,
    /// Output format.
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value = "table"))]
    pub format: OutputFormat,
}

/// The probes, for `--skip` and `--expect`.
pub(crate) const PROBES: &[&str] = &[
    "base",
    "unknown-route",
    "wrong-method",
    "malformed-json",
    "wrong-type",
    "oversized",
    "missing-credentials",
    "invalid-credentials",
    "burst",
];

/// Whether `--skip`/`--expect`'s `name` means the probe `probe`
/// (`invalid-credentials` means each of `invalid-credentials (bearer)`, …).
pub(crate) fn names(name: &str, probe: &str) -> bool {
    probe == name
        || probe
            .strip_prefix(name)
            .is_some_and(|r| r.starts_with(" ("))
}

/// `--expect` values: probe → statuses.
pub(crate) fn expectations(args: &Options) -> Result<Vec<(String, Vec<u16>)>, CheckError> {
    let mut out = Vec::new();
    for e in &args.expect {
        let bad = || {
            CheckError::Usage(format!(
                "`--expect {e}` is not PROBE=STATUS[,STATUS]; probes are {}",
                PROBES.join(", ")
            ))
        };
        let (probe, statuses) = e.split_once('=').ok_or_else(bad)?;
        let statuses: Vec<u16> = statuses
            .split(',')
            .map(|s| s.trim().parse().ok().filter(|s| (100..=599).contains(s)))
            .collect::<Option<_>>()
            .ok_or_else(bad)?;
        if !PROBES.contains(&probe.trim()) {
            return Err(bad());
        }
        out.push((probe.trim().to_owned(), statuses));
    }
    for s in &args.skip {
        if !PROBES.contains(&s.as_str()) {
            return Err(CheckError::Usage(format!(
                "`--skip {s}`: no such probe; probes are {}",
                PROBES.join(", ")
            )));
        }
    }
    Ok(out)
}

impl Options {
    /// The options of `errcat check URL` with every default: no spec, no
    /// credentials, no burst, a 2 MiB body limit, 3 s per request, 30 s in
    /// all, the bundled roots for https, a table.
    ///
    /// ```
    /// let mut options = errcat_check::Options::new("http://127.0.0.1:8080");
    /// options.format = errcat_check::OutputFormat::Json;
    /// assert_eq!(options.max_body, 2 * 1024 * 1024);
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        Options {
            url: url.into(),
            openapi: None,
            api_key: None,
            api_key_header: None,
            bearer: None,
            burst: false,
            burst_max: 300,
            max_body: 2 * 1024 * 1024,
            timeout: Duration::from_secs(3),
            time_limit: Duration::from_secs(30),
            request_id_header: None,
            skip: Vec::new(),
            expect: Vec::new(),
            cacert: None,
            insecure: false,
            format: OutputFormat::Table,
        }
    }
}

/// How the report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum OutputFormat {
    /// A table for people.
    Table,
    /// JSON for machines.
    Json,
}
