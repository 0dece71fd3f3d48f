//! The reference API over real HTTP: every code of its catalog answered by
//! some request, in the catalog's envelope, with ids, leaking nothing.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use errcat_axum::jwt::JwtAuth;
use errcat_client::Parser;
use errcat_demo::{
    AUDIENCE, Audience, Config, DEMO_API_KEY, DEMO_JWT_SECRET, DEMO_PASSWORD,
    DEMO_READ_ONLY_API_KEY, DEMO_SHOPIFY_SECRET, DEMO_STRIPE_SECRET, ISSUER, TokenClaims,
};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

/// A running reference API and what its requests answered.
struct Api {
    base: String,
    http: reqwest::Client,
    parser: Parser,
    seen: Arc<Mutex<BTreeSet<String>>>,
    /// Every (method, path, status) answered, to check against the OpenAPI document.
    answered: Arc<Mutex<Vec<(String, String, u16)>>>,
    observed: Arc<Mutex<Vec<errcat_axum::ErrorEvent>>>,
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
    code: Option<String>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn start(config: Config) -> Api {
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
    async fn call(
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
        let mut code = None;
        if status >= 400 {
            let http_headers = to_http(&headers);
            let e = self.parser.parse(status, &http_headers, &body);
            code.clone_from(&e.code);
            // Every error: the catalog's envelope and media type, both ids,
            // the catalog's status for its code, nothing internal.
            let text = String::from_utf8_lossy(&body);
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
            let v: Value = serde_json::from_slice(&body).unwrap();
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
            self.seen.lock().unwrap().insert(c);
        }
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

    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.call(Method::GET, path, headers, None).await
    }

    async fn post(&self, path: &str, headers: &[(&str, &str)], body: Value) -> Reply {
        let mut h = vec![("content-type", "application/json")];
        h.extend_from_slice(headers);
        self.call(Method::POST, path, &h, Some(body.to_string().into_bytes()))
            .await
    }

    async fn login(&self, email: &str) -> String {
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

fn to_http(h: &reqwest::header::HeaderMap) -> http::HeaderMap {
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

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims() -> TokenClaims {
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

fn sign(secret: &[u8], claims: &TokenClaims) -> String {
    JwtAuth::hs256(secret).issue(claims).unwrap()
}

fn hmac_b64(secret: &str, body: &[u8]) -> String {
    use base64::Engine as _;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Sends, for every error of the catalog, a request that answers it, and
/// checks each answer; fails if any catalog code was never answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_catalog_error_is_reachable() {
    let config = Config {
        per_ip_per_minute: 1000,
        per_key_per_minute: 1000,
        ..Config::default()
    };
    let api = start(config).await;
    let expect = |r: &Reply, status: u16, code: &str| {
        assert_eq!(
            (r.status, r.code.as_deref()),
            (status, Some(code)),
            "{}",
            r.text()
        );
    };

    // Health and the spec.
    let r = api.get("/api/health", &[]).await;
    assert_eq!((r.status, r.json()), (200, json!({"status": "ok"})));
    let r = api.get("/api/openapi.json", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["openapi"], "3.1.0");

    // Routing.
    let r = api.get("/api/nope", &[]).await;
    expect(&r, 404, "NOT_FOUND");
    let r = api.call(Method::DELETE, "/api/health", &[], None).await;
    expect(&r, 405, "METHOD_NOT_ALLOWED");
    assert!(r.headers["allow"].to_str().unwrap().contains("GET"));

    // Bodies.
    let r = api
        .call(
            Method::POST,
            "/api/auth/login",
            &[("content-type", "application/json")],
            Some(b"{\"email\": ".to_vec()),
        )
        .await;
    expect(&r, 400, "INVALID_JSON");
    let r = api
        .call(
            Method::POST,
            "/api/auth/login",
            &[("content-type", "text/plain")],
            Some(b"hello".to_vec()),
        )
        .await;
    expect(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
    let big = vec![b' '; 300 * 1024];
    let r = api
        .call(
            Method::POST,
            "/api/auth/login",
            &[("content-type", "application/json")],
            Some(big),
        )
        .await;
    expect(&r, 413, "PAYLOAD_TOO_LARGE");

    // Sign-in.
    let r = api
        .post(
            "/api/auth/login",
            &[],
            json!({"email": "bob@acme.test", "password": "wrong"}),
        )
        .await;
    expect(&r, 401, "INVALID_CREDENTIALS");
    let r = api
        .post(
            "/api/auth/token",
            &[],
            json!({"personal_access_token": "pat_nope"}),
        )
        .await;
    expect(&r, 401, "INVALID_PERSONAL_ACCESS_TOKEN");
    assert!(
        !r.text().contains("email") && !r.text().contains("password"),
        "a token exchange has no email or password: {}",
        r.text()
    );
    let r = api
        .post(
            "/api/auth/token",
            &[],
            json!({"personal_access_token": "pat_demo_bob_5e2a"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["expires_in"], 3600);

    // Tokens: each failure its own code.
    let r = api.get("/api/me", &[]).await;
    expect(&r, 401, "MISSING_TOKEN");
    assert!(
        r.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    // Basic credentials are no bearer token; the answer does not claim the
    // header is missing.
    let r = api
        .get("/api/me", &[("authorization", "Basic Ym9iOnNlY3JldA==")])
        .await;
    expect(&r, 401, "MISSING_TOKEN");
    assert!(
        !r.text().contains("No authorization header"),
        "{}",
        r.text()
    );
    let r = api.get("/api/me", &[("authorization", "Bearer abc")]).await;
    expect(&r, 401, "MALFORMED_TOKEN");
    let forged = sign(b"another secret, not the demo's one!!", &claims());
    let r = api
        .get("/api/me", &[("authorization", &bearer(&forged))])
        .await;
    expect(&r, 401, "INVALID_TOKEN_SIGNATURE");
    let mut c = claims();
    c.exp = now() - 10;
    let r = me_with(&api, &c).await;
    expect(&r, 401, "EXPIRED_TOKEN");
    let mut c = claims();
    c.nbf = now() + 3600;
    let r = me_with(&api, &c).await;
    expect(&r, 401, "TOKEN_NOT_YET_VALID");
    let mut c = claims();
    c.aud = "another-api".into();
    let r = me_with(&api, &c).await;
    expect(&r, 401, "INVALID_TOKEN_AUDIENCE");
    // RFC 7519 §4.1.3: `aud` may be an array; it is accepted when it
    // names this API, refused when it does not.
    let mut c = claims();
    c.aud = Audience::Many(vec!["another-api".into(), AUDIENCE.into()]);
    let r = me_with(&api, &c).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["email"], "bob@acme.test");
    c.aud = Audience::Many(vec!["another-api".into(), "a-third".into()]);
    let r = me_with(&api, &c).await;
    expect(&r, 401, "INVALID_TOKEN_AUDIENCE");
    let mut c = claims();
    c.iss = "someone-else".into();
    let r = me_with(&api, &c).await;
    expect(&r, 401, "INVALID_TOKEN_ISSUER");
    let crafted = sign(DEMO_JWT_SECRET, &claims());
    let r = api
        .get("/api/me", &[("authorization", &bearer(&crafted))])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Revocation and refresh tokens.
    let r = api
        .post(
            "/api/auth/login",
            &[],
            json!({"email": "carol@acme.test", "password": DEMO_PASSWORD}),
        )
        .await;
    let pair = r.json();
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let r = api
        .post("/api/auth/refresh", &[], json!({"refresh_token": refresh}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let second = r.json();
    let r = api
        .post("/api/auth/refresh", &[], json!({"refresh_token": refresh}))
        .await;
    expect(&r, 401, "INVALID_REFRESH_TOKEN");
    let access2 = second["access_token"].as_str().unwrap();
    let r = api
        .call(
            Method::POST,
            "/api/auth/revoke",
            &[("authorization", &bearer(access2))],
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let r = api
        .get("/api/me", &[("authorization", &bearer(access2))])
        .await;
    expect(&r, 401, "REVOKED_TOKEN");
    let r = api
        .post(
            "/api/auth/refresh",
            &[],
            json!({"refresh_token": second["refresh_token"]}),
        )
        .await;
    expect(&r, 401, "INVALID_REFRESH_TOKEN");
    let r = api
        .get("/api/me", &[("authorization", &bearer(&access))])
        .await;
    assert_eq!(r.json()["role"], "viewer");

    // Roles and tenants.
    let carol = bearer(&access);
    let bob = bearer(&api.login("bob@acme.test").await);
    let alice = bearer(&api.login("alice@acme.test").await);
    let dave = bearer(&api.login("dave@globex.test").await);
    let schema = json!({"name": "Watch", "schema": {"serial": "string"}});
    let r = api
        .post(
            "/api/templates",
            &[("authorization", &carol)],
            schema.clone(),
        )
        .await;
    expect(&r, 403, "INSUFFICIENT_ROLE");
    // Permission before content: a viewer sending an invalid body, or a
    // body that is not JSON, is told 403, not what a valid body looks like.
    for body in [json!({"name": "", "schema": 5}), json!([1, 2])] {
        let r = api
            .post("/api/templates", &[("authorization", &carol)], body)
            .await;
        expect(&r, 403, "INSUFFICIENT_ROLE");
    }
    let r = api
        .call(
            Method::POST,
            "/api/templates",
            &[
                ("authorization", &carol),
                ("content-type", "application/json"),
            ],
            Some(b"{not json".to_vec()),
        )
        .await;
    expect(&r, 403, "INSUFFICIENT_ROLE");
    let r = api
        .post("/api/templates", &[("authorization", &bob)], schema.clone())
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = api
        .post("/api/templates", &[("authorization", &bob)], schema.clone())
        .await;
    expect(&r, 409, "DUPLICATE_TEMPLATE_NAME");
    let r = api
        .post(
            "/api/templates",
            &[("authorization", &bob)],
            json!({"name": "Bad", "schema": {"serial": "uuid"}}),
        )
        .await;
    expect(&r, 400, "INVALID_TEMPLATE_SCHEMA");
    let r = api
        .post(
            "/api/templates",
            &[("authorization", &bob)],
            json!({"name": 7, "schema": {}}),
        )
        .await;
    expect(&r, 400, "VALIDATION_ERROR");
    let r = api
        .get("/api/templates?limit=abc", &[("authorization", &bob)])
        .await;
    expect(&r, 400, "VALIDATION_ERROR");
    assert_eq!(r.json()["errors"][0]["path"], "limit", "{}", r.text());
    let r = api
        .get("/api/templates/tpl_9", &[("authorization", &bob)])
        .await;
    expect(&r, 404, "TEMPLATE_NOT_FOUND");
    let r = api
        .call(
            Method::DELETE,
            "/api/templates/tpl_1",
            &[("authorization", &alice)],
            None,
        )
        .await;
    expect(&r, 409, "TEMPLATE_IN_USE");

    // Objects and wallets.
    let r = api
        .get("/api/objects/obj_9", &[("authorization", &bob)])
        .await;
    expect(&r, 404, "OBJECT_NOT_FOUND");
    let r = api
        .post(
            "/api/objects/obj_2/transfer",
            &[("authorization", &bob)],
            json!({"to_wallet": "wal_acme_2"}),
        )
        .await;
    expect(&r, 422, "OBJECT_LOCKED");
    let r = api
        .post(
            "/api/objects/obj_1/transfer",
            &[("authorization", &bob)],
            json!({"to_wallet": "wal_nowhere"}),
        )
        .await;
    expect(&r, 422, "WALLET_NOT_FOUND");
    let r = api
        .post(
            "/api/objects/obj_3/transfer",
            &[("authorization", &bob)],
            json!({"to_wallet": "wal_acme_1"}),
        )
        .await;
    expect(&r, 422, "STATE_VIOLATION");
    let idem = [("authorization", bob.as_str()), ("idempotency-key", "k-1")];
    let r = api
        .post(
            "/api/objects/obj_1/transfer",
            &idem,
            json!({"to_wallet": "wal_acme_2"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = api
        .post(
            "/api/objects/obj_1/transfer",
            &idem,
            json!({"to_wallet": "wal_acme_2"}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["wallet"].as_str()),
        (200, Some("wal_acme_2"))
    );
    let r = api
        .post(
            "/api/objects/obj_1/transfer",
            &idem,
            json!({"to_wallet": "wal_acme_1"}),
        )
        .await;
    expect(&r, 409, "CONFLICT");
    let r = api
        .post(
            "/api/objects",
            &[("authorization", &bob)],
            json!({"template_id": "tpl_1", "wallet": "wal_acme_1", "properties": {"serial": 5, "color": "red"}}),
        )
        .await;
    expect(&r, 400, "VALIDATION_ERROR");
    let body = r.json();
    let paths: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["properties.serial", "properties.color"]);

    // Events with API keys (paths dotted from the root).
    let event = json!({"events": [{"type": "page_view", "user_id": "u1", "timestamp": 1}]});
    let r = api.post("/api/events", &[], event.clone()).await;
    expect(&r, 401, "MISSING_API_KEY");
    let r = api
        .post("/api/events", &[("x-api-key", "ek_wrong")], event.clone())
        .await;
    expect(&r, 401, "INVALID_API_KEY");
    let r = api
        .post(
            "/api/events",
            &[("x-api-key", DEMO_READ_ONLY_API_KEY)],
            event.clone(),
        )
        .await;
    expect(&r, 403, "FORBIDDEN");
    // Valid JSON with a number where an event type belongs is a
    // violation at its path, not INVALID_JSON (issue 16, item 9).
    assert_eq!(
        events_violation(&api, json!({"events": [{"type": 1}]})).await,
        "events.0.type"
    );
    // A read-only key learns nothing about the body's validation.
    let r = api
        .post(
            "/api/events",
            &[("x-api-key", DEMO_READ_ONLY_API_KEY)],
            json!({"events": [{"type": "teleport"}]}),
        )
        .await;
    expect(&r, 403, "FORBIDDEN");
    let r = api
        .post("/api/events", &[("x-api-key", DEMO_API_KEY)], event.clone())
        .await;
    assert_eq!(r.status, 202, "{}", r.text());
    for (body, path) in [
        (
            json!({"events": [{"type": "page_view", "user_id": "u1", "timestamp": 1}, {"type": "teleport", "user_id": "u1", "timestamp": 1}]}),
            "events.1.type",
        ),
        (
            json!({"events": [{"type": "click", "user_id": "", "timestamp": 1}]}),
            "events.0.user_id",
        ),
    ] {
        assert_eq!(events_violation(&api, body).await, path);
    }

    // Incoming webhooks.
    let payload = br#"{"id": 1, "topic": "orders/create"}"#.to_vec();
    let r = api
        .call(
            Method::POST,
            "/api/webhooks/shopify",
            &[("x-shopify-hmac-sha256", "bm90IGEgc2lnbmF0dXJl")],
            Some(payload.clone()),
        )
        .await;
    expect(&r, 401, "INVALID_WEBHOOK_SIGNATURE");
    let good = hmac_b64(DEMO_SHOPIFY_SECRET, &payload);
    let r = api
        .call(
            Method::POST,
            "/api/webhooks/shopify",
            &[("x-shopify-hmac-sha256", &good)],
            Some(payload.clone()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = now().to_string();
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(&payload);
    let stripe = format!("t={t},v1={}", hmac_hex(DEMO_STRIPE_SECRET, &signed));
    let r = api
        .call(
            Method::POST,
            "/api/webhooks/stripe",
            &[("stripe-signature", &stripe)],
            Some(payload.clone()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Outgoing webhooks and integrations.
    let sink = |q: &str| format!("{}/api/webhook-sink?{q}", api.base);
    let r = api
        .post(
            "/api/webhook-endpoints",
            &[("authorization", &alice)],
            json!({"url": "https://example.com/hook"}),
        )
        .await;
    expect(&r, 400, "VALIDATION_ERROR");
    let mut ids = Vec::new();
    for (q, timeout) in [
        ("status=200", 2000),
        ("status=500", 2000),
        ("delay_ms=3000", 300),
    ] {
        let r = api
            .post(
                "/api/webhook-endpoints",
                &[("authorization", &alice)],
                json!({"url": sink(q), "timeout_ms": timeout}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    let test = |id: &str| format!("/api/webhook-endpoints/{id}/test");
    let r = api
        .call(
            Method::POST,
            &test(&ids[0]),
            &[("authorization", &alice)],
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = api
        .call(
            Method::POST,
            &test(&ids[1]),
            &[("authorization", &alice)],
            None,
        )
        .await;
    expect(&r, 502, "EXTERNAL_SERVICE_ERROR");
    let r = api
        .call(
            Method::POST,
            &test(&ids[2]),
            &[("authorization", &alice)],
            None,
        )
        .await;
    expect(&r, 504, "UPSTREAM_TIMEOUT");
    let r = api
        .call(
            Method::POST,
            "/api/integrations/mailchimp/sync",
            &[("authorization", &bob)],
            None,
        )
        .await;
    expect(&r, 502, "EXTERNAL_SERVICE_ERROR");
    let r = api
        .call(
            Method::POST,
            "/api/integrations/shopify/sync",
            &[("authorization", &bob)],
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Tenant isolation: another team's object is a missing one, byte for
    // byte apart from the ids it names.
    let foreign = api
        .get("/api/objects/obj_4", &[("authorization", &bob)])
        .await;
    let missing = api
        .get("/api/objects/obj_5", &[("authorization", &bob)])
        .await;
    let strip = |r: &Reply| {
        let mut v = r.json();
        v["error_id"] = Value::Null;
        v["request_id"] = Value::Null;
        v["instance"] = Value::Null;
        let detail = v["detail"]
            .as_str()
            .unwrap()
            .replace("obj_4", "ID")
            .replace("obj_5", "ID");
        v["detail"] = Value::String(detail);
        v
    };
    assert_eq!(strip(&foreign), strip(&missing));
    let r = api
        .get("/api/objects/obj_4", &[("authorization", &dave)])
        .await;
    assert_eq!(r.status, 200);

    // A panic: the catalog's body, and the server keeps serving.
    let r = api.get("/api/debug/panic", &[]).await;
    expect(&r, 500, "INTERNAL_ERROR");
    let r = api.get("/api/health", &[]).await;
    assert_eq!(r.status, 200);

    // Maintenance.
    let on = json!({"enabled": true, "retry_after": 30});
    let r = api
        .call(
            Method::PUT,
            "/api/admin/maintenance",
            &[
                ("authorization", &alice),
                ("content-type", "application/json"),
            ],
            Some(on.to_string().into_bytes()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = api
        .post(
            "/api/templates",
            &[("authorization", &bob)],
            json!({"name": "X", "schema": {"a": "string"}}),
        )
        .await;
    expect(&r, 503, "SERVICE_UNAVAILABLE");
    assert_eq!(r.headers["retry-after"], "30");
    let r = api.get("/api/templates", &[("authorization", &bob)]).await;
    assert_eq!(r.status, 200);

    // Rate limits: per IP and per key, on servers with small quotas.
    let limited = start(Config {
        per_ip_per_minute: 3,
        ..Config::default()
    })
    .await;
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(limited.get("/api/health", &[]).await.status);
    }
    assert_eq!(codes, [200, 200, 200, 429, 429]);
    let r = limited.get("/api/health", &[]).await;
    assert_eq!(r.code.as_deref(), Some("RATE_LIMITED"));
    assert!(r.headers.contains_key("retry-after"));
    api.seen
        .lock()
        .unwrap()
        .extend(limited.seen.lock().unwrap().iter().cloned());
    let by_key = start(Config {
        per_key_per_minute: 2,
        ..Config::default()
    })
    .await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        let r = by_key
            .post("/api/events", &[("x-api-key", DEMO_API_KEY)], event.clone())
            .await;
        codes.push(r.status);
    }
    assert_eq!(codes, [202, 202, 429]);

    // Every code of the catalog was answered.
    let seen = api.seen.lock().unwrap().clone();
    let all: BTreeSet<String> = errcat_demo::errors::CATALOG
        .errors
        .iter()
        .filter(|e| e.status.is_some())
        .map(|e| e.code.clone())
        .collect();
    let never: Vec<&String> = all.difference(&seen).collect();
    assert!(never.is_empty(), "never answered: {never:?}");

    // Every status the server answered a documented operation with is in
    // the OpenAPI document (201, 202 and 204 included).
    let doc = api.get("/api/openapi.json", &[]).await.json();
    let answered = api.answered.lock().unwrap().clone();
    let mut checked = 0;
    for (method, path, status) in &answered {
        let Some(op) = operation(&doc, method, path) else {
            continue;
        };
        checked += 1;
        assert!(
            op["responses"].get(status.to_string()).is_some(),
            "{method} {path} answered {status}, which its operation does not document"
        );
    }
    assert!(checked > 50, "{checked} documented answers");
    for (method, template, success) in [
        ("post", "/api/templates", "201"),
        ("post", "/api/objects", "201"),
        ("post", "/api/webhook-endpoints", "201"),
        ("post", "/api/events", "202"),
        ("post", "/api/auth/revoke", "204"),
        ("delete", "/api/templates/{id}", "204"),
    ] {
        let op = &doc["paths"][template][method];
        assert!(
            op["responses"].get(success).is_some(),
            "{method} {template}"
        );
        assert!(op["responses"].get("200").is_none(), "{method} {template}");
    }

    // The panic's message and location went to the observers, not the body.
    let events = api.observed.lock().unwrap();
    let panic = events
        .iter()
        .find(|e| e.source == errcat_axum::Source::Panic)
        .expect("the panic was observed");
    assert_eq!(&*panic.code, "INTERNAL_ERROR");
    assert!(
        panic
            .panic_message
            .as_deref()
            .is_some_and(|m| m.contains("index out of bounds")),
        "{:?}",
        panic.panic_message
    );
    let upstream = events
        .iter()
        .find(|e| &*e.code == "EXTERNAL_SERVICE_ERROR" && e.path.contains("mailchimp"))
        .expect("the upstream failure was observed");
    assert!(
        upstream.causes.iter().any(|c| c.contains("503")),
        "{:?}",
        upstream.causes
    );
    let tenant = events
        .iter()
        .find(|e| &*e.code == "OBJECT_LOCKED")
        .expect("observed");
    assert_eq!(
        (tenant.tenant.as_deref(), tenant.principal.as_deref()),
        (Some("acme"), Some("bob@acme.test"))
    );
    // A body rejected before the handler ran is still logged with its key.
    let rejected = events
        .iter()
        .find(|e| e.path == "/api/events" && &*e.code == "VALIDATION_ERROR")
        .expect("observed");
    assert_eq!(
        (rejected.tenant.as_deref(), rejected.principal.as_deref()),
        (Some("acme"), Some("key_acme_full"))
    );
}

/// A token issued with a short lifetime expires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_tokens_expire() {
    let api = start(Config::default()).await;
    let r = api
        .post(
            "/api/auth/login",
            &[],
            json!({"email": "bob@acme.test", "password": DEMO_PASSWORD, "expires_in": 1}),
        )
        .await;
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    let r = api
        .get("/api/me", &[("authorization", &bearer(&token))])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = api
        .get("/api/me", &[("authorization", &bearer(&token))])
        .await;
    assert_eq!(r.code.as_deref(), Some("EXPIRED_TOKEN"), "{}", r.text());
    let r = api
        .post(
            "/api/auth/login",
            &[],
            json!({"email": "bob@acme.test", "password": DEMO_PASSWORD, "expires_in": 0}),
        )
        .await;
    assert_eq!(r.json()["errors"][0]["path"], "expires_in", "{}", r.text());
}

/// Request ids: a safe inbound id is echoed, an unsafe one replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_echoed_only_when_safe() {
    let api = start(Config::default()).await;
    let r = api
        .get("/api/health", &[("x-request-id", "support-123")])
        .await;
    assert_eq!(r.headers["x-request-id"], "support-123");
    let long = "x".repeat(200);
    let r = api.get("/api/nope", &[("x-request-id", &long)]).await;
    let id = r.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(id, long);
    assert_eq!(r.json()["request_id"], id.as_str());
}

/// RFC 9110 §15.5.2: a server generating a 401 sends `WWW-Authenticate`.
/// Every 401 of the catalog (the standard ones included) declares one, so
/// no code path can answer 401 without it.
#[test]
fn every_401_of_the_catalog_names_a_challenge() {
    let catalog = errcat_demo::catalog();
    let unauthorized: Vec<_> = catalog
        .errors
        .iter()
        .filter(|e| e.status == Some(401))
        .collect();
    assert!(unauthorized.len() >= 14, "{}", unauthorized.len());
    for e in unauthorized {
        assert!(
            e.headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("www-authenticate")),
            "{} is a 401 without WWW-Authenticate",
            e.code
        );
    }
}

/// The operation of the OpenAPI document that `method path` is a request to.
fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> Option<&'a Value> {
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

/// The path of the first violation `POST /api/events` answers for `body`,
/// checked to be a `VALIDATION_ERROR`.
async fn events_violation(api: &Api, body: Value) -> String {
    let r = api
        .post("/api/events", &[("x-api-key", DEMO_API_KEY)], body)
        .await;
    assert_eq!(
        (r.status, r.code.as_deref()),
        (400, Some("VALIDATION_ERROR")),
        "{}",
        r.text()
    );
    r.json()["errors"][0]["path"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// `GET /api/me` with a token of these claims, signed with the demo's key.
async fn me_with(api: &Api, claims: &TokenClaims) -> Reply {
    let token = bearer(&sign(DEMO_JWT_SECRET, claims));
    api.get("/api/me", &[("authorization", &token)]).await
}

/// A 5,000-character path parameter is not echoed whole: the message cuts
/// it at 256 characters with an ellipsis, over real TCP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_path_parameters_are_cut_in_the_message() {
    let api = start(Config::default()).await;
    let bob = bearer(&api.login("bob@acme.test").await);
    let long = format!("tpl_{}", "x".repeat(5000));
    let r = api
        .get(
            &format!("/api/templates/{long}"),
            &[("authorization", &bob)],
        )
        .await;
    assert_eq!(
        (r.status, r.code.as_deref()),
        (404, Some("TEMPLATE_NOT_FOUND")),
        "{}",
        r.text()
    );
    let detail = r.json()["detail"].as_str().unwrap().to_owned();
    let shown: String = long.chars().take(errcat_render::MAX_PARAM_CHARS).collect();
    assert!(detail.contains(&format!("{shown}…")), "{detail}");
    assert!(r.body.len() < 2_000, "{} bytes", r.body.len());
}
