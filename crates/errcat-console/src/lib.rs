//! The errcat support console: look up an error by its error id or request id,
//! browse recent errors with filters, chart errors per code over time, and
//! read the catalog's reference next to it.
//!
//! [`Console::router`] serves two trees and nothing else, so it can be merged
//! into an application's own router:
//!
//! | path | what |
//! | --- | --- |
//! | `/console` | the lookup box and the latest errors |
//! | `/console/lookup?id=ID` | an error id as a support page, or all errors of a request id (404 when unknown) |
//! | `/console/recent?code=&status=&route=&tenant=&since=&until=` | recent errors, newest first, paged |
//! | `/console/chart?range=24h` | errors per code over time, as an inline SVG |
//! | `/errors` | the catalog's reference (`errcat docs`'s site) |
//!
//! The console is read-only (GET and HEAD; anything else is 405), sends no
//! script, escapes everything it shows from the error log and sends a strict
//! `Content-Security-Policy`. With a [token](Console::token), every request
//! must present it (`Authorization: Bearer T`, or `?token=T` once, which
//! becomes an `HttpOnly`, `SameSite=Strict` cookie). When the error log cannot
//! be read, pages answer 503 without details. See `docs/console.md`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//!
//! let store = errcat_store::Store::connect("sqlite://errcat.db").await?;
//! let catalog = Arc::new(errcat_catalog::Catalog::from_str("[api]\nname = \"API\"\n", "errors.toml").unwrap());
//! let app: axum::Router = errcat_console::Console::new(store, catalog)
//!     .token(errcat_console::random_token())
//!     .router();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use errcat_catalog::Catalog;
use errcat_store::Store;

mod auth;
mod chart;
mod html;
mod pages;
pub mod support;
mod view;

pub use auth::random_token;
pub use html::pct as percent_encode;

/// The `Content-Security-Policy` of console pages: no script at all, styles
/// from the console's own stylesheet, forms only to the console.
pub const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The `Content-Security-Policy` of the reference at `/errors`: its inline
/// CSS and search script (generated from the catalog, not from the error log),
/// nothing fetched.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; \
     style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; \
     frame-ancestors 'none'";

/// The console over one error log and its catalog.
#[derive(Clone, Debug)]
pub struct Console {
    store: Store,
    catalog: Arc<Catalog>,
    token: Option<String>,
}

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Store,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) token: Option<String>,
    /// The reference site, rendered on first request.
    pub(crate) docs: OnceLock<String>,
}

impl Console {
    /// A console reading `store`, linking to `catalog`'s reference.
    pub fn new(store: Store, catalog: Arc<Catalog>) -> Self {
        Console {
            store,
            catalog,
            token: None,
        }
    }

    /// Require this token on every request (`Authorization: Bearer T`,
    /// `?token=T`, or the cookie `?token=T` sets). An empty token is ignored.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.token = (!token.is_empty()).then_some(token);
        self
    }

    /// The routes: `/console…` and `/errors…`, nothing else.
    pub fn router<S: Clone + Send + Sync + 'static>(self) -> Router<S> {
        let shared = Arc::new(Shared {
            store: self.store,
            catalog: self.catalog,
            token: self.token,
            docs: OnceLock::new(),
        });
        Router::new()
            .route("/console", get(pages::home))
            .route("/console/", get(pages::home))
            .route("/console/lookup", get(pages::lookup))
            .route("/console/recent", get(pages::recent))
            .route("/console/chart", get(pages::chart))
            .route("/console/style.css", get(pages::style))
            .route("/console/favicon.svg", get(pages::favicon))
            .route("/console/{*rest}", get(pages::not_found))
            .route("/errors", get(pages::docs))
            .route("/errors/", get(pages::docs))
            .layer(middleware::from_fn_with_state(shared.clone(), check_token))
            .layer(middleware::from_fn_with_state(shared.clone(), read_only))
            .layer(middleware::from_fn(security_headers))
            .with_state(shared)
    }
}

/// GET and HEAD only.
async fn read_only(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return next.run(req).await;
    }
    let mut res = pages::error_page(
        &shared,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        "The console is read-only: it answers GET and HEAD only.",
    );
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    res
}

/// The token, when one is set.
async fn check_token(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let Some(expected) = shared.token.as_deref() else {
        return next.run(req).await;
    };
    if matches!(
        req.uri().path(),
        "/console/style.css" | "/console/favicon.svg"
    ) {
        return next.run(req).await;
    }
    let raw = req.uri().query().unwrap_or("");
    let pairs: Vec<&str> = raw.split('&').filter(|p| !p.is_empty()).collect();
    let is_token = |p: &&str| html::pct_decode(p.split_once('=').map_or(*p, |(n, _)| n)) == "token";
    if let Some(given) = pairs.iter().find(|p| is_token(p)) {
        let given = html::pct_decode(given.split_once('=').map_or("", |(_, v)| v));
        if !auth::token_eq(&given, expected) {
            return unauthorized(&shared);
        }
        // Remember it in a cookie and drop it from the address bar (and history).
        let rest: Vec<&str> = pairs.iter().copied().filter(|p| !is_token(p)).collect();
        let mut location = same_origin_path(req.uri().path()).to_owned();
        if !rest.is_empty() {
            location.push('?');
            location.push_str(&rest.join("&"));
        }
        let mut res = StatusCode::SEE_OTHER.into_response();
        if let (Ok(loc), Ok(cookie)) = (
            HeaderValue::from_str(&location),
            HeaderValue::from_str(&auth::set_cookie(expected)),
        ) {
            res.headers_mut().insert(header::LOCATION, loc);
            res.headers_mut().insert(header::SET_COOKIE, cookie);
            return res;
        }
        return unauthorized(&shared);
    }
    match auth::presented(req.headers()) {
        Some(given) if auth::token_eq(&given, expected) => next.run(req).await,
        _ => unauthorized(&shared),
    }
}

/// `path` when a browser reads it as a path on this origin, else `/console`.
/// A `Location` of `//host/…` (or `/\\host/…`, which browsers treat alike) is
/// a network-path reference: it would send the visitor, just given the token
/// cookie, to another host (an open redirect).
fn same_origin_path(path: &str) -> &str {
    let one_slash = path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\");
    if one_slash { path } else { "/console" }
}

fn unauthorized(shared: &Shared) -> Response {
    let mut res = pages::error_page(
        shared,
        StatusCode::UNAUTHORIZED,
        "Token needed",
        "This console needs its token. Open the address errcat serve printed (it ends in ?token=…), \
         or send the header Authorization: Bearer TOKEN.",
    );
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"errcat console\""),
    );
    res
}

/// CSP, nosniff, no referrer, no framing, no caching of error-log pages.
async fn security_headers(req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/errors");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if docs { DOCS_CSP } else { CONSOLE_CSP }),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{HeaderMap, Request};
    use errcat_store::ErrorRecord;
    use tower::ServiceExt as _;

    use super::*;

    const CATALOG: &str = "[api]\nname = \"Test API\"\n\n[[errors]]\ncode = \"AUTH_FAILED\"\nstatus = 401\n\
                           message = \"Authentication failed\"\n";

    async fn console() -> (Console, Store) {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        let mut r = ErrorRecord::new("err-1", "req-1", "AUTH_FAILED", 401);
        r.path = "/<script>alert(1)</script>".to_owned();
        r.headers = vec![("x-a".to_owned(), "\"><img onerror>".to_owned())];
        store.insert_batch(&[r]).await.unwrap();
        let catalog = Catalog::from_str(CATALOG, "t.toml")
            .map_err(|r| r.to_string())
            .unwrap();
        (Console::new(store.clone(), Arc::new(catalog)), store)
    }

    async fn send(
        app: &Router,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, String) {
        let mut req = Request::builder().method(method).uri(uri);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        let res = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = res.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (
            parts.status,
            parts.headers,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    #[tokio::test]
    async fn pages_are_escaped_and_carry_security_headers() {
        let (c, _store) = console().await;
        let app: Router = c.router();
        let (status, h, body) = send(&app, "GET", "/console/lookup?id=err-1", &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], CONSOLE_CSP);
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        assert!(
            body.contains("/&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{body}"
        );
        assert!(body.contains("&quot;&gt;&lt;img onerror&gt;"), "{body}");
        assert!(
            !body.contains("<script") && !body.contains("<img"),
            "{body}"
        );

        let (status, h, body) = send(&app, "GET", "/errors", &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], DOCS_CSP);
        assert!(body.contains("id=\"AUTH_FAILED\""));

        let (status, _, body) = send(&app, "GET", "/console/lookup?id=nope%3Cb%3E", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("<code>nope&lt;b&gt;</code>"), "{body}");

        let (status, _, _) = send(&app, "GET", "/console/nothing/here", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, body) = send(&app, "HEAD", "/console", &[]).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    }

    #[tokio::test]
    async fn read_only() {
        let (c, _store) = console().await;
        let app: Router = c.router();
        for m in ["POST", "PUT", "DELETE", "PATCH"] {
            for uri in ["/console", "/console/lookup?id=err-1", "/errors"] {
                let (status, h, body) = send(&app, m, uri, &[]).await;
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{m} {uri}");
                assert_eq!(h[header::ALLOW], "GET, HEAD");
                assert!(body.contains("read-only"));
            }
        }
    }

    #[tokio::test]
    async fn token_by_bearer_query_and_cookie() {
        let (c, _store) = console().await;
        let app: Router = c.token("s3cret").router();
        let (status, h, body) = send(&app, "GET", "/console/recent", &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            h[header::WWW_AUTHENTICATE],
            "Bearer realm=\"errcat console\""
        );
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], CONSOLE_CSP);
        assert!(!body.contains("AUTH_FAILED"));
        let (status, _, _) = send(&app, "GET", "/errors", &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let wrong = [("authorization", "Bearer s3cre")];
        assert_eq!(
            send(&app, "GET", "/console", &wrong).await.0,
            StatusCode::UNAUTHORIZED
        );
        let wrong = [("cookie", "errcat_console_token=s3cretX")];
        assert_eq!(
            send(&app, "GET", "/console", &wrong).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            send(&app, "GET", "/console?token=nope", &[]).await.0,
            StatusCode::UNAUTHORIZED
        );

        let ok = [("authorization", "Bearer s3cret")];
        let (status, _, body) = send(&app, "GET", "/console/recent", &ok).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("AUTH_FAILED"));

        let (status, h, _) = send(
            &app,
            "GET",
            "/console/recent?code=AUTH_FAILED&token=s3cret&x=%20",
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            h[header::LOCATION],
            "/console/recent?code=AUTH_FAILED&x=%20"
        );
        assert_eq!(
            h[header::SET_COOKIE],
            "errcat_console_token=s3cret; Path=/; HttpOnly; SameSite=Strict"
        );
        let cookie = [("cookie", "errcat_console_token=s3cret")];
        assert_eq!(
            send(&app, "GET", "/console/chart", &cookie).await.0,
            StatusCode::OK
        );
        assert_eq!(
            send(&app, "GET", "/errors", &cookie).await.0,
            StatusCode::OK
        );
        // The stylesheet is public: the 401 page uses it too.
        assert_eq!(
            send(&app, "GET", "/console/style.css", &[]).await.0,
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn token_redirect_stays_on_this_origin() {
        let (c, _store) = console().await;
        let app: Router = c.token("s3cret").router();
        for (target, location) in [
            ("//evil.example/console?token=s3cret", "/console"),
            ("//evil.example/console?token=s3cret&a=1", "/console?a=1"),
            ("/\\evil.example/console?token=s3cret", "/console"),
            ("/console/recent?token=s3cret", "/console/recent"),
        ] {
            let (status, h, _) = send(&app, "GET", target, &[]).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{target}");
            assert_eq!(h[header::LOCATION], location, "{target}");
        }
        assert_eq!(same_origin_path("/console"), "/console");
        assert_eq!(same_origin_path("/"), "/");
        assert_eq!(same_origin_path("//x"), "/console");
        assert_eq!(same_origin_path("/\\x"), "/console");
        assert_eq!(same_origin_path(""), "/console");
        assert_eq!(same_origin_path("x/y"), "/console");
    }

    #[tokio::test]
    async fn store_failure_is_a_503_without_details() {
        let (c, store) = console().await;
        let app: Router = c.router();
        store.close().await;
        for uri in [
            "/console",
            "/console/lookup?id=err-1",
            "/console/recent?code=AUTH_FAILED",
            "/console/chart",
        ] {
            let (status, h, body) = send(&app, "GET", uri, &[]).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
            assert_eq!(h[header::CONTENT_SECURITY_POLICY], CONSOLE_CSP);
            assert!(body.contains("The error log is unavailable."), "{body}");
            assert!(!body.to_lowercase().contains("pool"), "{body}");
            assert!(!body.to_lowercase().contains("sqlite"), "{body}");
        }
        // The reference does not need the error log.
        assert_eq!(send(&app, "GET", "/errors", &[]).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn bad_filters_are_400_pages() {
        let (c, _store) = console().await;
        let app: Router = c.router();
        for uri in [
            "/console/recent?status=abc",
            "/console/recent?since=yesterday",
            "/console/recent?after=zzz",
            "/console/chart?range=forever",
        ] {
            let (status, _, body) = send(&app, "GET", uri, &[]).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        }
        let (status, _, body) = send(
            &app,
            "GET",
            "/console/recent?status=401&since=1h&view=list",
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("err-1"), "{body}");
        let (_, _, body) = send(&app, "GET", "/console/recent?status=500", &[]).await;
        assert!(
            body.contains("No errors match these filters in the last 24 hours."),
            "{body}"
        );
    }
}
