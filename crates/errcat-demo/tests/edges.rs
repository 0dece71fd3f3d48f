//! The reference API at its edges, over real HTTP: tokens that expire,
//! request ids echoed only when safe, a challenge on every 401, long path
//! parameters cut in the message.

mod common;

use std::time::Duration;

use common::{bearer, start};
use errcat_demo::{Config, DEMO_PASSWORD};
use serde_json::json;

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
