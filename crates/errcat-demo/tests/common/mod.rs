//! The reference API under test: a server on a loopback port, a client
//! that checks every error answer against the catalog, and the table of
//! request cases the tour sends.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use errcat_axum::jwt::JwtAuth;
use errcat_client::Parser;
use errcat_demo::{AUDIENCE, Config, DEMO_PASSWORD, ISSUER, TokenClaims};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

/// A running reference API and what its requests answered.
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub parser: Parser,
    pub seen: Arc<Mutex<BTreeSet<String>>>,
    /// Every (method, path, status) answered, to check against the OpenAPI document.
    pub answered: Arc<Mutex<Vec<(String, String, u16)>>>,
    pub observed: Arc<Mutex<Vec<errcat_axum::ErrorEvent>>>,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
    pub code: Option<String>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub async fn start(config: Config) -> Api {
    let observed: Arc<Mutex<Vec<errcat_axum::ErrorEvent>>> = Arc::default();
    let sink = Arc::clone(&observed);
    let app = errcat_demo::router(config, move |layer| {
        layer.observer(move |e: &errcat_axum::ErrorEvent| sink.lock().unwrap().push(e.clone()))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(errcat_demo::serve(
        listener,
        app,
        errcat_axum::serve::ServeConfig::default(),
        std::future::pending(),
    ));
    Api {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
        parser: Parser::new(&errcat_demo::catalog()),
        seen: Arc::default(),
        answered: Arc::default(),
        observed,
    }
}

impl Api {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        self.answered.lock().unwrap().push((
            method.as_str().to_ascii_lowercase(),
            path.split('?').next().unwrap_or(path).to_owned(),
            status,
        ));
        let headers = resp.headers().clone();
        let body = resp.bytes().await.unwrap().to_vec();
        let code = (status >= 400).then(|| self.check_error(path, status, &headers, &body));
        assert!(
            headers.contains_key("x-request-id"),
            "{path}: no X-Request-Id"
        );
        Reply {
            status,
            headers,
            body,
            code,
        }
    }

    /// Checks an error answer: the catalog's envelope and media type, both
    /// ids, the catalog's status for its code, nothing internal, a
    /// challenge on a 401; records and returns its code.
    fn check_error(
        &self,
        path: &str,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> String {
        let http_headers = to_http(headers);
        let e = self.parser.parse(status, &http_headers, body);
        let text = String::from_utf8_lossy(body);
        assert_eq!(
            headers["content-type"], "application/problem+json",
            "{path}: {text}"
        );
        let c = e
            .code
            .clone()
            .unwrap_or_else(|| panic!("{path}: no code in {text}"));
        let def = errcat_demo::errors::CATALOG
            .get(&c)
            .unwrap_or_else(|| panic!("{path}: {c} is not in the catalog"));
        assert_eq!(def.status, Some(status), "{path}: {text}");
        assert!(e.error_id.is_some(), "{path}: no error_id in {text}");
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            v["request_id"].as_str(),
            headers["x-request-id"].to_str().ok(),
            "{path}: {text}"
        );
        for leak in [
            "panicked",
            ".rs:",
            "src/",
            "reqwest",
            "mailchimp.test",
            "index out of bounds",
        ] {
            assert!(!text.contains(leak), "{path}: leaked {leak:?}: {text}");
        }
        // RFC 9110 §15.5.2: a 401 names at least one challenge.
        if status == 401 {
            let challenge = headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("{path}: 401 {c} without WWW-Authenticate"));
            assert!(!challenge.trim().is_empty(), "{path}: {c}");
        }
        self.seen.lock().unwrap().insert(c.clone());
        c
    }

    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.call(Method::GET, path, headers, None).await
    }

    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: Value) -> Reply {
        let mut h = vec![("content-type", "application/json")];
        h.extend_from_slice(headers);
        self.call(Method::POST, path, &h, Some(body.to_string().into_bytes()))
            .await
    }

    pub async fn login(&self, email: &str) -> String {
        let r = self
            .post(
                "/api/auth/login",
                &[],
                json!({"email": email, "password": DEMO_PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["access_token"].as_str().unwrap().to_owned()
    }
}

pub fn to_http(h: &reqwest::header::HeaderMap) -> http::HeaderMap {
    let mut out = http::HeaderMap::new();
    for (k, v) in h {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_str().as_bytes()),
            http::HeaderValue::from_bytes(v.as_bytes()),
        ) {
            out.append(k, v);
        }
    }
    out
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn claims() -> TokenClaims {
    let now = now();
    TokenClaims {
        sub: "bob@acme.test".into(),
        team: "acme".into(),
        role: "editor".into(),
        aud: AUDIENCE.into(),
        iss: ISSUER.into(),
        exp: now + 600,
        nbf: now,
        iat: now,
        jti: "crafted".into(),
    }
}

pub fn sign(secret: &[u8], claims: &TokenClaims) -> String {
    JwtAuth::hs256(secret).issue(claims).unwrap()
}

pub fn hmac_b64(secret: &str, body: &[u8]) -> String {
    use base64::Engine as _;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A further check of a reply.
pub type Check = fn(&Reply) -> bool;

/// One request of the tour and the answer it must get.
pub struct Case {
    /// Names the case when it fails.
    pub name: &'static str,
    pub method: Method,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
    /// The status it must answer; 200 unless set.
    pub status: u16,
    /// The catalog code of an error answer; `None` for a success.
    pub code: Option<&'static str>,
    /// A further check of the reply, and what it checks.
    pub check: Option<(&'static str, Check)>,
}

impl Case {
    pub fn new(name: &'static str, method: Method, path: impl Into<String>) -> Self {
        Self {
            name,
            method,
            path: path.into(),
            headers: Vec::new(),
            body: None,
            status: 200,
            code: None,
            check: None,
        }
    }

    pub fn get(name: &'static str, path: impl Into<String>) -> Self {
        Self::new(name, Method::GET, path)
    }

    /// A `POST` of a JSON body.
    pub fn post(name: &'static str, path: impl Into<String>, body: &Value) -> Self {
        Self::new(name, Method::POST, path)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// With this `Authorization` header value.
    pub fn auth(self, credentials: &str) -> Self {
        self.header("authorization", credentials)
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Answered with this success status.
    pub fn ok(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Answered with this error of the catalog.
    pub fn fails(mut self, status: u16, code: &'static str) -> Self {
        self.status = status;
        self.code = Some(code);
        self
    }

    /// And the reply passes `check`, which checks `what`.
    pub fn check(mut self, what: &'static str, check: Check) -> Self {
        self.check = Some((what, check));
        self
    }
}

impl Api {
    /// Sends the cases in order, checking each answer against its case (a
    /// failure names the case); the replies, in the same order.
    pub async fn run(&self, cases: Vec<Case>) -> Vec<Reply> {
        let mut replies = Vec::with_capacity(cases.len());
        for case in cases {
            let headers: Vec<(&str, &str)> =
                case.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = self
                .call(case.method, &case.path, &headers, case.body)
                .await;
            assert_eq!(
                (r.status, r.code.as_deref()),
                (case.status, case.code),
                "case {:?}: {}",
                case.name,
                r.text()
            );
            if let Some((what, check)) = case.check {
                assert!(check(&r), "case {:?}: {what}: {}", case.name, r.text());
            }
            replies.push(r);
        }
        replies
    }
}

/// The operation of the OpenAPI document that `method path` is a request to.
pub fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> Option<&'a Value> {
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()?
        .iter()
        .find_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            let fits = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s);
            fits.then(|| item.get(method)).flatten()
        })
}
