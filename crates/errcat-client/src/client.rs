//! A `reqwest` client that turns error responses into [`ApiError`]s and
//! retries the way the server asks.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{HeaderValue, Method};

use crate::debug::{self, DebugLog};
use crate::parse::{ApiError, MAX_PARSE_BYTES, Parser};
use crate::retry::{self, Decision, Failure, Jitter, RetryPolicy, Sleeper, TokioSleeper, XorShift};

/// Why a call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with an error (after any retries).
    Api(Box<ApiError>),
    /// No response: connection, timeout or body error (after any retries).
    Transport(reqwest::Error),
    /// The request could not be built.
    Build(reqwest::Error),
}

impl ClientError {
    /// The API error, if the server answered.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Api(e) => e.fmt(f),
            ClientError::Transport(e) => write!(f, "transport error: {e}"),
            ClientError::Build(e) => write!(f, "invalid request: {e}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Api(e) => Some(&**e),
            ClientError::Transport(e) | ClientError::Build(e) => Some(e),
        }
    }
}

/// A new `Idempotency-Key` value: a random UUIDv4 (122 bits from the
/// operating system's generator), so that keys are unpredictable and two
/// requests never share one, whatever thread or instant they are made on.
/// [`Client::execute`] adds one to a POST or PATCH without a key when
/// [`RetryPolicy::auto_idempotency_key`] is set; a key the caller set is kept.
///
/// ```
/// let key = errcat_client::idempotency_key();
/// assert_eq!(key.len(), 36);
/// assert_ne!(key, errcat_client::idempotency_key());
/// ```
pub fn idempotency_key() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// An errcat API client: `reqwest` plus the catalog's parser and a retry
/// policy. Cloning is cheap.
///
/// ```no_run
/// use errcat_client::{Client, ClientError, DebugLog, Parser, RetryPolicy};
///
/// # async fn run(catalog: errcat_catalog::Catalog) {
/// let client = Client::new(
///     "http://127.0.0.1:8080",
///     Parser::new(&catalog),
///     RetryPolicy { auto_idempotency_key: true, ..RetryPolicy::default() },
/// )
/// .with_debug(DebugLog::stderr());
/// match client.send(client.post("/templates").body(r#"{"name":"x"}"#)).await {
///     Ok(res) => println!("{}", res.status()),
///     Err(ClientError::Api(e)) => eprintln!("{e} (code {:?})", e.code),
///     Err(e) => eprintln!("{e}"),
/// }
/// # }
/// ```
///
/// With the `rustls` feature (a default), `https` URLs work with the
/// bundled Mozilla roots; [`Client::with_ca_pem`] trusts a CA of your own
/// as well (see [`tls`](crate::tls)). Without it, the crate builds
/// `reqwest` without TLS: pass a client of your own with
/// [`Client::with_http`].
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: Arc<str>,
    parser: Parser,
    policy: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    jitter: Arc<dyn Jitter>,
    debug: Option<DebugLog>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("policy", &self.policy)
            .field("debug", &self.debug.is_some())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the API at `base_url` (paths given to [`Client::get`]
    /// and friends are appended to it).
    pub fn new(base_url: impl Into<String>, parser: Parser, policy: RetryPolicy) -> Self {
        let base: String = base_url.into();
        Client {
            http: default_http(),
            base_url: Arc::from(base.trim_end_matches('/')),
            parser,
            policy,
            sleeper: Arc::new(TokioSleeper),
            jitter: Arc::new(XorShift::from_time()),
            debug: None,
        }
    }

    /// Uses this `reqwest::Client` (timeouts, proxies, TLS).
    pub fn with_http(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// Trusts the CA certificates of `pem` (PEM) in addition to the
    /// bundled roots: a new `reqwest::Client` with [`tls::config`]
    /// (it replaces one given to [`Client::with_http`]; for both, build
    /// reqwest's client yourself with `tls_backend_preconfigured`).
    ///
    /// # Errors
    ///
    /// `pem` holds no certificate, or reqwest cannot build the client.
    ///
    /// [`tls::config`]: crate::tls::config
    #[cfg(feature = "rustls")]
    pub fn with_ca_pem(mut self, pem: &[u8]) -> Result<Self, crate::tls::TlsError> {
        let config = crate::tls::config(Some(pem))?;
        self.http = crate::tls::http(config)
            .build()
            .map_err(|e| crate::tls::TlsError::new(e.to_string()))?;
        Ok(self)
    }

    /// Waits with this sleeper (tests record waits instead of sleeping).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// Draws backoff jitter from this source.
    pub fn with_jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }

    /// Debug mode: logs every request and response (see [`DebugLog`]).
    pub fn with_debug(mut self, log: DebugLog) -> Self {
        self.debug = Some(log);
        self
    }

    /// The parser.
    pub fn parser(&self) -> &Parser {
        &self.parser
    }

    /// The retry policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// A request to `base_url + path`.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base_url))
    }

    /// A GET request to `base_url + path`.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(Method::GET, path)
    }

    /// A POST request to `base_url + path`.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(Method::POST, path)
    }

    /// Builds and sends a request: see [`Client::execute`].
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        self.execute(request.build().map_err(ClientError::Build)?)
            .await
    }

    /// Sends a request, retrying as the policy allows. A success (status
    /// below 400) is returned with its body unread; an error response is
    /// read (at most [`MAX_PARSE_BYTES`]) and parsed.
    ///
    /// With a catalog whose envelope sends every error with one status
    /// (`status = 200` and `ok: false`), a response of that status is read:
    /// a body with a code the catalog knows is an error, retried by that
    /// code's own status; any other is returned as a success with its body
    /// (and without its URL, which `reqwest` does not let a rebuilt
    /// response keep).
    pub async fn execute(
        &self,
        mut request: reqwest::Request,
    ) -> Result<reqwest::Response, ClientError> {
        if self.policy.auto_idempotency_key
            && self.policy.max_attempts > 1
            && matches!(*request.method(), Method::POST | Method::PATCH)
            && !request.headers().contains_key("idempotency-key")
            && let Ok(v) = HeaderValue::from_str(&idempotency_key())
        {
            request.headers_mut().insert("idempotency-key", v);
        }
        let idempotent = retry::is_idempotent(request.method(), request.headers());
        let started = Instant::now();
        // Waits as asked of the sleeper, and as they really took.
        let mut slept = Duration::ZERO;
        let mut slept_real = Duration::ZERO;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            // A body that cannot be cloned (a stream) allows one attempt.
            let next = request.try_clone();
            let method = request.method().as_str().to_owned();
            let url = request.url().to_string();
            if let Some(log) = &self.debug {
                log.request(
                    attempt,
                    &method,
                    &url,
                    request.headers(),
                    request.body().and_then(reqwest::Body::as_bytes),
                );
            }
            let (failure, server, err) = match self.attempt(request, &method, &url).await {
                Attempt::Success(res) => return Ok(res),
                Attempt::Failed {
                    failure,
                    retry_after,
                    err,
                } => (failure, retry_after, err),
            };
            let Some(again) = next else { return Err(err) };
            let spent = started
                .elapsed()
                .saturating_sub(slept_real)
                .saturating_add(slept);
            let decision =
                self.policy
                    .decide(attempt, failure, idempotent, server, spent, &*self.jitter);
            match decision {
                Decision::Retry(wait) => {
                    if let Some(log) = &self.debug {
                        log.note(&format!(
                            "retrying {method} {} in {}ms (attempt {attempt} failed)",
                            debug::redact_url(&url),
                            wait.as_millis()
                        ));
                    }
                    let t = Instant::now();
                    self.sleeper.sleep(wait).await;
                    slept_real += t.elapsed();
                    slept = slept.saturating_add(wait);
                    request = again;
                }
                Decision::Stop(why) => {
                    if let Some(log) = &self.debug
                        && attempt > 1
                    {
                        log.note(&format!(
                            "giving up on {method} {}: {why:?}",
                            debug::redact_url(&url)
                        ));
                    }
                    return Err(err);
                }
            }
        }
    }

    /// Sends the request once; reads and parses an error response.
    async fn attempt(&self, request: reqwest::Request, method: &str, url: &str) -> Attempt {
        let sent = Instant::now();
        let result = self.http.execute(request).await;
        let (failure, retry_after, err) = match result {
            // An API that answers errors with this status (`ok: false`):
            // the body says whether it is one.
            Ok(res) if Some(res.status().as_u16()) == self.parser.wire_status() => {
                let status = res.status().as_u16();
                let version = res.version();
                let headers = res.headers().clone();
                let body = read_bounded(res, MAX_PARSE_BYTES + 1).await;
                if let Some(log) = &self.debug {
                    log.response(method, url, status, sent.elapsed(), &headers, Some(&body));
                }
                let api = self.parser.parse(status, &headers, &body);
                match api.code.as_deref().and_then(|c| self.parser.status_of(c)) {
                    Some(own) => {
                        let failure = Failure::Status {
                            status: own,
                            retryable_code: api.retryable,
                        };
                        (failure, api.retry_after, ClientError::Api(Box::new(api)))
                    }
                    None => return Attempt::Success(rebuilt(status, version, headers, body)),
                }
            }
            Ok(res) if res.status().as_u16() < 400 => {
                if let Some(log) = &self.debug {
                    log.response(
                        method,
                        url,
                        res.status().as_u16(),
                        sent.elapsed(),
                        res.headers(),
                        None,
                    );
                }
                return Attempt::Success(res);
            }
            Ok(res) => {
                let status = res.status().as_u16();
                let headers = res.headers().clone();
                let body = read_bounded(res, MAX_PARSE_BYTES + 1).await;
                if let Some(log) = &self.debug {
                    log.response(method, url, status, sent.elapsed(), &headers, Some(&body));
                }
                let api = self.parser.parse(status, &headers, &body);
                let failure = Failure::Status {
                    status,
                    retryable_code: api.retryable,
                };
                (failure, api.retry_after, ClientError::Api(Box::new(api)))
            }
            Err(e) => {
                if let Some(log) = &self.debug {
                    let shown = debug::redact_url(url);
                    log.note(&format!(
                        "{method} {shown}: {}",
                        e.to_string().replace(url, &shown)
                    ));
                }
                let failure = if e.is_connect() {
                    Failure::Connect
                } else {
                    Failure::Transport
                };
                (failure, None, ClientError::Transport(e))
            }
        };
        Attempt::Failed {
            failure,
            retry_after,
            err,
        }
    }
}

/// What one attempt came to.
enum Attempt {
    /// A response to return as it is.
    Success(reqwest::Response),
    /// A failure the policy may retry, with the wait the server asked for.
    Failed {
        failure: Failure,
        retry_after: Option<Duration>,
        err: ClientError,
    },
}

/// A success response whose body was read to see whether it was an error.
fn rebuilt(
    status: u16,
    version: reqwest::Version,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut res = http::Response::new(body);
    *res.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    *res.version_mut() = version;
    *res.headers_mut() = headers;
    reqwest::Response::from(res)
}

/// Reads at most `limit` bytes of a body; a body that fails midway keeps
/// what arrived.
async fn read_bounded(mut res: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                let take = chunk.len().min(limit - body.len());
                body.extend_from_slice(&chunk[..take]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    body
}

/// reqwest's client: with the `rustls` feature, https with the bundled roots.
fn default_http() -> reqwest::Client {
    #[cfg(feature = "rustls")]
    if let Ok(http) = crate::tls::config(None).and_then(|c| {
        crate::tls::http(c)
            .build()
            .map_err(|e| crate::tls::TlsError::new(e.to_string()))
    }) {
        return http;
    }
    reqwest::Client::new()
}
