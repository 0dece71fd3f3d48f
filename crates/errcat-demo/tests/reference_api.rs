//! The reference API over real HTTP: every code of its catalog answered by
//! some request, in the catalog's envelope, with ids, leaking nothing.

mod common;

use std::collections::BTreeSet;

use common::{Api, Case, Reply, bearer, claims, hmac_b64, hmac_hex, now, operation, sign, start};
use errcat_demo::{
    AUDIENCE, Audience, Config, DEMO_API_KEY, DEMO_JWT_SECRET, DEMO_PASSWORD,
    DEMO_READ_ONLY_API_KEY, DEMO_SHOPIFY_SECRET, DEMO_STRIPE_SECRET, TokenClaims,
};
use reqwest::Method;
use serde_json::{Value, json};

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
    api.run(basics()).await;
    api.run(tokens()).await;
    let carol = revocation(&api).await;
    let bob = bearer(&api.login("bob@acme.test").await);
    let alice = bearer(&api.login("alice@acme.test").await);
    let dave = bearer(&api.login("dave@globex.test").await);
    api.run(templates(&carol, &bob, &alice)).await;
    api.run(objects(&bob)).await;
    let event = json!({"events": [{"type": "page_view", "user_id": "u1", "timestamp": 1}]});
    api.run(events(&event)).await;
    api.run(incoming_webhooks()).await;
    outgoing_calls(&api, &alice, &bob).await;
    tenant_isolation(&api, &bob, &dave).await;
    api.run(panic_and_maintenance(&alice, &bob)).await;
    rate_limits(&api, &event).await;

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

    answers_are_documented(&api).await;
    internals_go_to_observers(&api);
}

/// Health, the spec, routing, bodies and signing in.
fn basics() -> Vec<Case> {
    let login = |name, content_type: &str, body: Vec<u8>| {
        Case::new(name, Method::POST, "/api/auth/login")
            .header("content-type", content_type)
            .body(body)
    };
    vec![
        Case::get("health", "/api/health").check("the body is {status: ok}", |r| {
            r.json() == json!({"status": "ok"})
        }),
        Case::get("the spec", "/api/openapi.json")
            .check("OpenAPI 3.1.0", |r| r.json()["openapi"] == "3.1.0"),
        Case::get("an unknown route", "/api/nope").fails(404, "NOT_FOUND"),
        Case::new("a method the route lacks", Method::DELETE, "/api/health")
            .fails(405, "METHOD_NOT_ALLOWED")
            .check("Allow names GET", |r| {
                r.headers["allow"].to_str().unwrap().contains("GET")
            }),
        login("cut JSON", "application/json", b"{\"email\": ".to_vec()).fails(400, "INVALID_JSON"),
        login("a text body", "text/plain", b"hello".to_vec()).fails(415, "UNSUPPORTED_MEDIA_TYPE"),
        login("a 300 KiB body", "application/json", vec![b' '; 300 * 1024])
            .fails(413, "PAYLOAD_TOO_LARGE"),
        Case::post(
            "a wrong password",
            "/api/auth/login",
            &json!({"email": "bob@acme.test", "password": "wrong"}),
        )
        .fails(401, "INVALID_CREDENTIALS"),
        Case::post(
            "an unknown personal access token",
            "/api/auth/token",
            &json!({"personal_access_token": "pat_nope"}),
        )
        .fails(401, "INVALID_PERSONAL_ACCESS_TOKEN")
        .check("a token exchange has no email or password", |r| {
            !r.text().contains("email") && !r.text().contains("password")
        }),
        Case::post(
            "a personal access token",
            "/api/auth/token",
            &json!({"personal_access_token": "pat_demo_bob_5e2a"}),
        )
        .check("it expires in an hour", |r| r.json()["expires_in"] == 3600),
    ]
}

/// Bearer tokens: each failure its own code.
fn tokens() -> Vec<Case> {
    let me = |name, credentials: &str| Case::get(name, "/api/me").auth(credentials);
    let with = |edit: fn(&mut TokenClaims)| {
        let mut c = claims();
        edit(&mut c);
        bearer(&sign(DEMO_JWT_SECRET, &c))
    };
    let forged = bearer(&sign(b"another secret, not the demo's one!!", &claims()));
    vec![
        Case::get("no token", "/api/me")
            .fails(401, "MISSING_TOKEN")
            .check("the challenge is Bearer", |r| {
                r.headers["www-authenticate"]
                    .to_str()
                    .unwrap()
                    .starts_with("Bearer")
            }),
        // Basic credentials are no bearer token; the answer does not claim
        // the header is missing.
        me("Basic credentials", "Basic Ym9iOnNlY3JldA==")
            .fails(401, "MISSING_TOKEN")
            .check("the header is not called missing", |r| {
                !r.text().contains("No authorization header")
            }),
        me("a token that is no JWT", "Bearer abc").fails(401, "MALFORMED_TOKEN"),
        me("a token signed with another key", &forged).fails(401, "INVALID_TOKEN_SIGNATURE"),
        me("an expired token", &with(|c| c.exp = now() - 10)).fails(401, "EXPIRED_TOKEN"),
        me("a token not yet valid", &with(|c| c.nbf = now() + 3600))
            .fails(401, "TOKEN_NOT_YET_VALID"),
        me("another audience", &with(|c| c.aud = "another-api".into()))
            .fails(401, "INVALID_TOKEN_AUDIENCE"),
        // RFC 7519 §4.1.3: `aud` may be an array; it is accepted when it
        // names this API, refused when it does not.
        me(
            "an audience array naming this API",
            &with(|c| c.aud = Audience::Many(vec!["another-api".into(), AUDIENCE.into()])),
        )
        .check("Bob is signed in", |r| r.json()["email"] == "bob@acme.test"),
        me(
            "an audience array not naming this API",
            &with(|c| c.aud = Audience::Many(vec!["another-api".into(), "a-third".into()])),
        )
        .fails(401, "INVALID_TOKEN_AUDIENCE"),
        me("another issuer", &with(|c| c.iss = "someone-else".into()))
            .fails(401, "INVALID_TOKEN_ISSUER"),
        me("a token signed with the demo's key", &with(|_| {})),
    ]
}

/// Refresh tokens serve once and a revoked access token is refused;
/// returns the viewer Carol's `Authorization` value.
async fn revocation(api: &Api) -> String {
    let login = json!({"email": "carol@acme.test", "password": DEMO_PASSWORD});
    let pair = api.post("/api/auth/login", &[], login).await.json();
    let access = bearer(pair["access_token"].as_str().unwrap());
    let refresh = json!({"refresh_token": pair["refresh_token"].as_str().unwrap()});
    let first = Case::post("a refresh", "/api/auth/refresh", &refresh);
    let second = api.run(vec![first]).await.remove(0).json();
    let access2 = bearer(second["access_token"].as_str().unwrap());
    let refresh2 = json!({"refresh_token": second["refresh_token"]});
    api.run(vec![
        Case::post("a refresh token used twice", "/api/auth/refresh", &refresh)
            .fails(401, "INVALID_REFRESH_TOKEN"),
        Case::new("revoking a token", Method::POST, "/api/auth/revoke")
            .auth(&access2)
            .ok(204),
        Case::get("a revoked token", "/api/me")
            .auth(&access2)
            .fails(401, "REVOKED_TOKEN"),
        Case::post(
            "the refresh token of a revoked pair",
            "/api/auth/refresh",
            &refresh2,
        )
        .fails(401, "INVALID_REFRESH_TOKEN"),
        Case::get("the token of the first pair", "/api/me")
            .auth(&access)
            .check("Carol is a viewer", |r| r.json()["role"] == "viewer"),
    ])
    .await;
    access
}

/// Templates: roles, then content.
fn templates(carol: &str, bob: &str, alice: &str) -> Vec<Case> {
    let schema = json!({"name": "Watch", "schema": {"serial": "string"}});
    let create = |name, body: &Value| Case::post(name, "/api/templates", body);
    vec![
        create("a viewer creating a template", &schema)
            .auth(carol)
            .fails(403, "INSUFFICIENT_ROLE"),
        // Permission before content: a viewer sending an invalid body, or a
        // body that is not JSON, is told 403, not what a valid body looks like.
        create(
            "a viewer sending an invalid body",
            &json!({"name": "", "schema": 5}),
        )
        .auth(carol)
        .fails(403, "INSUFFICIENT_ROLE"),
        create("a viewer sending an array", &json!([1, 2]))
            .auth(carol)
            .fails(403, "INSUFFICIENT_ROLE"),
        Case::new("a viewer sending no JSON", Method::POST, "/api/templates")
            .auth(carol)
            .header("content-type", "application/json")
            .body("{not json")
            .fails(403, "INSUFFICIENT_ROLE"),
        create("an editor creating a template", &schema)
            .auth(bob)
            .ok(201),
        create("a template name taken", &schema)
            .auth(bob)
            .fails(409, "DUPLICATE_TEMPLATE_NAME"),
        create(
            "an unknown field type",
            &json!({"name": "Bad", "schema": {"serial": "uuid"}}),
        )
        .auth(bob)
        .fails(400, "INVALID_TEMPLATE_SCHEMA"),
        create("a number for a name", &json!({"name": 7, "schema": {}}))
            .auth(bob)
            .fails(400, "VALIDATION_ERROR"),
        Case::get("a limit that is no number", "/api/templates?limit=abc")
            .auth(bob)
            .fails(400, "VALIDATION_ERROR")
            .check("the violation is at `limit`", |r| {
                r.json()["errors"][0]["path"] == "limit"
            }),
        Case::get("an unknown template", "/api/templates/tpl_9")
            .auth(bob)
            .fails(404, "TEMPLATE_NOT_FOUND"),
        Case::new(
            "deleting a template in use",
            Method::DELETE,
            "/api/templates/tpl_1",
        )
        .auth(alice)
        .fails(409, "TEMPLATE_IN_USE"),
    ]
}

/// Objects, wallets and idempotent transfers.
fn objects(bob: &str) -> Vec<Case> {
    let transfer = |name, object: &str, to: &str| {
        Case::post(
            name,
            format!("/api/objects/{object}/transfer"),
            &json!({"to_wallet": to}),
        )
        .auth(bob)
    };
    let properties = json!({"template_id": "tpl_1", "wallet": "wal_acme_1", "properties": {"serial": 5, "color": "red"}});
    vec![
        Case::get("an unknown object", "/api/objects/obj_9")
            .auth(bob)
            .fails(404, "OBJECT_NOT_FOUND"),
        transfer("a locked object", "obj_2", "wal_acme_2").fails(422, "OBJECT_LOCKED"),
        transfer("an unknown wallet", "obj_1", "wal_nowhere").fails(422, "WALLET_NOT_FOUND"),
        transfer("a burned object", "obj_3", "wal_acme_1").fails(422, "STATE_VIOLATION"),
        transfer("a transfer with an idempotency key", "obj_1", "wal_acme_2")
            .header("idempotency-key", "k-1"),
        transfer("the same transfer again", "obj_1", "wal_acme_2")
            .header("idempotency-key", "k-1")
            .check("the object is in wal_acme_2", |r| {
                r.json()["wallet"].as_str() == Some("wal_acme_2")
            }),
        transfer("another transfer under the same key", "obj_1", "wal_acme_1")
            .header("idempotency-key", "k-1")
            .fails(409, "CONFLICT"),
        Case::post("properties of the wrong type", "/api/objects", &properties)
            .auth(bob)
            .fails(400, "VALIDATION_ERROR")
            .check("violations at properties.serial and .color", |r| {
                let body = r.json();
                let paths: Vec<&str> = body["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v["path"].as_str().unwrap())
                    .collect();
                paths == ["properties.serial", "properties.color"]
            }),
    ]
}

/// Events with API keys (violation paths dotted from the root).
fn events(event: &Value) -> Vec<Case> {
    let post = |name, key: &str, body: &Value| {
        Case::post(name, "/api/events", body).header("x-api-key", key)
    };
    vec![
        Case::post("no API key", "/api/events", event).fails(401, "MISSING_API_KEY"),
        post("an unknown API key", "ek_wrong", event).fails(401, "INVALID_API_KEY"),
        post("a read-only key", DEMO_READ_ONLY_API_KEY, event).fails(403, "FORBIDDEN"),
        // Valid JSON with a number where an event type belongs is a
        // violation at its path, not INVALID_JSON.
        post("a number for an event type", DEMO_API_KEY, &json!({"events": [{"type": 1}]}))
            .fails(400, "VALIDATION_ERROR")
            .check("the violation is at events.0.type", |r| {
                r.json()["errors"][0]["path"] == "events.0.type"
            }),
        // A read-only key learns nothing about the body's validation.
        post(
            "a read-only key with an invalid body",
            DEMO_READ_ONLY_API_KEY,
            &json!({"events": [{"type": "teleport"}]}),
        )
        .fails(403, "FORBIDDEN"),
        post("an event", DEMO_API_KEY, event).ok(202),
        post(
            "an unknown event type",
            DEMO_API_KEY,
            &json!({"events": [{"type": "page_view", "user_id": "u1", "timestamp": 1}, {"type": "teleport", "user_id": "u1", "timestamp": 1}]}),
        )
        .fails(400, "VALIDATION_ERROR")
        .check("the violation is at events.1.type", |r| {
            r.json()["errors"][0]["path"] == "events.1.type"
        }),
        post(
            "an empty user id",
            DEMO_API_KEY,
            &json!({"events": [{"type": "click", "user_id": "", "timestamp": 1}]}),
        )
        .fails(400, "VALIDATION_ERROR")
        .check("the violation is at events.0.user_id", |r| {
            r.json()["errors"][0]["path"] == "events.0.user_id"
        }),
    ]
}

/// Incoming webhooks, signed and not.
fn incoming_webhooks() -> Vec<Case> {
    let payload = br#"{"id": 1, "topic": "orders/create"}"#;
    let hook = |name, path: &str, header: &'static str, signature: &str| {
        Case::new(name, Method::POST, path)
            .header(header, signature)
            .body(payload.to_vec())
    };
    let shopify = "x-shopify-hmac-sha256";
    let t = now().to_string();
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(payload);
    let stripe = format!("t={t},v1={}", hmac_hex(DEMO_STRIPE_SECRET, &signed));
    vec![
        hook(
            "a Shopify webhook with a wrong signature",
            "/api/webhooks/shopify",
            shopify,
            "bm90IGEgc2lnbmF0dXJl",
        )
        .fails(401, "INVALID_WEBHOOK_SIGNATURE"),
        hook(
            "a signed Shopify webhook",
            "/api/webhooks/shopify",
            shopify,
            &hmac_b64(DEMO_SHOPIFY_SECRET, payload),
        ),
        hook(
            "a signed Stripe webhook",
            "/api/webhooks/stripe",
            "stripe-signature",
            &stripe,
        ),
    ]
}

/// Outgoing webhooks and integrations: upstream failures and timeouts.
async fn outgoing_calls(api: &Api, alice: &str, bob: &str) {
    let endpoint = |name, url: &str, timeout: Option<u64>| {
        let mut body = json!({"url": url});
        if let Some(ms) = timeout {
            body["timeout_ms"] = ms.into();
        }
        Case::post(name, "/api/webhook-endpoints", &body).auth(alice)
    };
    let mut cases = vec![
        endpoint(
            "an endpoint off this machine",
            "https://example.com/hook",
            None,
        )
        .fails(400, "VALIDATION_ERROR"),
    ];
    for (name, q, timeout) in [
        ("an endpoint answering 200", "status=200", 2000),
        ("an endpoint answering 500", "status=500", 2000),
        ("an endpoint too slow", "delay_ms=3000", 300),
    ] {
        let url = format!("{}/api/webhook-sink?{q}", api.base);
        cases.push(endpoint(name, &url, Some(timeout)).ok(201));
    }
    let ids: Vec<String> = api.run(cases).await[1..]
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_owned())
        .collect();
    let test = |name, id: &str| {
        Case::new(
            name,
            Method::POST,
            format!("/api/webhook-endpoints/{id}/test"),
        )
        .auth(alice)
    };
    let sync = |name, service: &str| {
        Case::new(
            name,
            Method::POST,
            format!("/api/integrations/{service}/sync"),
        )
        .auth(bob)
    };
    api.run(vec![
        test("testing an endpoint answering 200", &ids[0]),
        test("testing an endpoint answering 500", &ids[1]).fails(502, "EXTERNAL_SERVICE_ERROR"),
        test("testing an endpoint too slow", &ids[2]).fails(504, "UPSTREAM_TIMEOUT"),
        sync("a Mailchimp sync", "mailchimp").fails(502, "EXTERNAL_SERVICE_ERROR"),
        sync("a Shopify sync", "shopify"),
    ])
    .await;
}

/// Another team's object is a missing one, byte for byte apart from the
/// ids it names; its own team reads it.
async fn tenant_isolation(api: &Api, bob: &str, dave: &str) {
    let foreign = api
        .get("/api/objects/obj_4", &[("authorization", bob)])
        .await;
    let missing = api
        .get("/api/objects/obj_5", &[("authorization", bob)])
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
        .get("/api/objects/obj_4", &[("authorization", dave)])
        .await;
    assert_eq!(r.status, 200);
}

/// A panic answers the catalog's body and the server keeps serving;
/// maintenance refuses writes with a `Retry-After`.
fn panic_and_maintenance(alice: &str, bob: &str) -> Vec<Case> {
    let on = json!({"enabled": true, "retry_after": 30});
    vec![
        Case::get("a panic", "/api/debug/panic").fails(500, "INTERNAL_ERROR"),
        Case::get("health after a panic", "/api/health"),
        Case::new("maintenance on", Method::PUT, "/api/admin/maintenance")
            .auth(alice)
            .header("content-type", "application/json")
            .body(on.to_string()),
        Case::post(
            "a write under maintenance",
            "/api/templates",
            &json!({"name": "X", "schema": {"a": "string"}}),
        )
        .auth(bob)
        .fails(503, "SERVICE_UNAVAILABLE")
        .check("Retry-After: 30", |r| r.headers["retry-after"] == "30"),
        Case::get("a read under maintenance", "/api/templates").auth(bob),
    ]
}

/// Rate limits per IP and per key, on servers with small quotas; what they
/// answered counts as answered by `api`.
async fn rate_limits(api: &Api, event: &Value) {
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
}

/// Every status the server answered a documented operation with is in
/// the OpenAPI document (201, 202 and 204 included).
async fn answers_are_documented(api: &Api) {
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
}

/// A panic's message and location, an upstream's cause and who called went
/// to the observers, not the bodies.
fn internals_go_to_observers(api: &Api) {
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
