//! Webhook signatures over a real TCP listener: the raw body is verified,
//! and every failure is the catalog's `invalid_webhook_signature` with the
//! reason in the log only.

#![cfg(feature = "webhook")]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use axum::routing::post;
use axum::{Extension, Router};
use base64::Engine as _;
use common::{Events, Reply, send, serve};
use errcat_axum::ErrcatLayer;
use errcat_axum::webhook::{Encoding, VerifiedBody, WebhookVerifier};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SECRET: &str = "shpss_0123456789abcdef";
const STRIPE_SECRET: &str = "whsec_test_abcdef";
/// The fixed "now" of the route with an injected clock.
const FIXED_NOW: u64 = 1_700_000_000;

/// Whitespace and key order a re-serialization would not keep.
const BODY: &[u8] = b"{\"id\": 820982911946154508,  \"email\":\"jon@example.com\"}\n";

fn hmac(secret: &str, payload: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(payload);
    m.finalize().into_bytes().to_vec()
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn stripe_header(secret: &str, t: u64, body: &[u8]) -> String {
    let mut payload = format!("{t}.").into_bytes();
    payload.extend_from_slice(body);
    format!("t={t},v1={}", hex::encode(hmac(secret, &payload)))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn echo(VerifiedBody(body): VerifiedBody) -> axum::body::Bytes {
    body
}

async fn start() -> (SocketAddr, Events) {
    let events = Events::default();
    let app = Router::new()
        .route(
            "/shopify",
            post(echo).layer(Extension(WebhookVerifier::shopify(SECRET))),
        )
        .route(
            "/hex",
            post(echo).layer(Extension(WebhookVerifier::hmac_sha256(
                "X-Signature",
                SECRET,
                Encoding::Hex,
            ))),
        )
        .route(
            "/github",
            post(echo).layer(Extension(WebhookVerifier::github(SECRET))),
        )
        .route(
            "/stripe",
            post(echo).layer(Extension(WebhookVerifier::stripe(STRIPE_SECRET))),
        )
        .route(
            "/stripe-fixed-clock",
            post(echo)
                .layer(Extension(WebhookVerifier::stripe(STRIPE_SECRET).clock(
                    || SystemTime::UNIX_EPOCH + Duration::from_secs(FIXED_NOW),
                ))),
        )
        .route("/unconfigured", post(echo))
        .layer(events.layer(ErrcatLayer::new(common::renderer())));
    (serve(app).await, events)
}

/// Checks a refusal and returns the reason the observers saw.
fn refused(r: &Reply, events: &Events) -> String {
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let v = r.json();
    assert_eq!(v["code"], "INVALID_WEBHOOK_SIGNATURE");
    assert_eq!(v["detail"], "Webhook signature verification failed");
    // RFC 9110 §15.5.2: every 401 names a challenge.
    assert_eq!(r.header("www-authenticate"), Some("Signature"));
    let events = events.take();
    assert_eq!(events.len(), 1);
    let reason = events[0].causes.join(" / ");
    // The reason is for the log, never for the client.
    assert!(!r.text().contains(&reason), "{}", r.text());
    assert!(!r.text().contains("mismatch") && !r.text().contains("tolerance"));
    reason
}

#[tokio::test]
async fn valid_hex_and_base64_signatures_yield_the_raw_body() {
    let (addr, events) = start().await;
    let sig = hmac(SECRET, BODY);

    let r = send(
        addr,
        "POST",
        "/hex",
        &[("X-Signature", &hex::encode(&sig))],
        BODY,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, BODY);

    let r = send(
        addr,
        "POST",
        "/shopify",
        &[("X-Shopify-Hmac-Sha256", &base64(&sig))],
        BODY,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, BODY);

    let github = format!("sha256={}", hex::encode(&sig));
    let r = send(
        addr,
        "POST",
        "/github",
        &[("X-Hub-Signature-256", &github)],
        BODY,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(events.take().is_empty());
}

#[tokio::test]
async fn tampered_body_wrong_secret_missing_or_garbled_header_are_refused() {
    let (addr, events) = start().await;
    let good = base64(&hmac(SECRET, BODY));

    // One byte of the body changed.
    let mut tampered = BODY.to_vec();
    tampered[7] = b'9';
    let r = send(
        addr,
        "POST",
        "/shopify",
        &[("X-Shopify-Hmac-Sha256", &good)],
        &tampered,
    )
    .await;
    assert_eq!(refused(&r, &events), "signature mismatch");

    // Signed with another secret.
    let other = base64(&hmac("shpss_someone_else", BODY));
    let r = send(
        addr,
        "POST",
        "/shopify",
        &[("X-Shopify-Hmac-Sha256", &other)],
        BODY,
    )
    .await;
    assert_eq!(refused(&r, &events), "signature mismatch");

    let r = send(addr, "POST", "/shopify", &[], BODY).await;
    assert_eq!(
        refused(&r, &events),
        "missing signature header x-shopify-hmac-sha256"
    );

    let r = send(
        addr,
        "POST",
        "/shopify",
        &[("X-Shopify-Hmac-Sha256", "not base64!")],
        BODY,
    )
    .await;
    assert_eq!(refused(&r, &events), "malformed signature: not base64");

    // The hex route does not take base64.
    let r = send(addr, "POST", "/hex", &[("X-Signature", &good)], BODY).await;
    assert_eq!(refused(&r, &events), "malformed signature: not hex");

    // GitHub's signature without its prefix.
    let bare = hex::encode(hmac(SECRET, BODY));
    let r = send(
        addr,
        "POST",
        "/github",
        &[("X-Hub-Signature-256", &bare)],
        BODY,
    )
    .await;
    assert_eq!(
        refused(&r, &events),
        "malformed signature: no sha256= prefix"
    );
}

#[tokio::test]
async fn stripe_signatures_with_replay_tolerance() {
    let (addr, events) = start().await;

    let header = stripe_header(STRIPE_SECRET, now(), BODY);
    let r = send(
        addr,
        "POST",
        "/stripe",
        &[("Stripe-Signature", &header)],
        BODY,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, BODY);

    // A captured request replayed ten minutes later.
    let old = now() - 600;
    let header = stripe_header(STRIPE_SECRET, old, BODY);
    let r = send(
        addr,
        "POST",
        "/stripe",
        &[("Stripe-Signature", &header)],
        BODY,
    )
    .await;
    let reason = refused(&r, &events);
    assert!(
        reason.starts_with(&format!("signature timestamp {old} is 60")),
        "{reason}"
    );
    assert!(
        reason.ends_with("outside the tolerance of 300 s"),
        "{reason}"
    );

    // Changing the timestamp breaks the signature.
    let forged = header.replace(&format!("t={old}"), &format!("t={}", now()));
    let r = send(
        addr,
        "POST",
        "/stripe",
        &[("Stripe-Signature", &forged)],
        BODY,
    )
    .await;
    assert_eq!(refused(&r, &events), "signature mismatch");

    let r = send(
        addr,
        "POST",
        "/stripe",
        &[("Stripe-Signature", "v1=abc")],
        BODY,
    )
    .await;
    assert_eq!(refused(&r, &events), "malformed signature: no t= timestamp");
}

#[tokio::test]
async fn stripe_with_several_v1_signatures_accepts_the_one_that_matches() {
    let (addr, events) = start().await;
    let t = now();
    let valid = stripe_header(STRIPE_SECRET, t, BODY);
    let stale = stripe_header("whsec_old_secret", t, BODY);
    let stale_v1 = stale.split_once(",v1=").unwrap().1;
    let valid_v1 = valid.split_once(",v1=").unwrap().1;
    let header = format!(
        "t={t},v1={stale_v1},v1={valid_v1},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
    );
    let r = send(
        addr,
        "POST",
        "/stripe",
        &[("Stripe-Signature", &header)],
        BODY,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, BODY);

    // None of them matches.
    let header = format!("t={t},v1={stale_v1},v1={}", "0".repeat(64));
    let r = send(
        addr,
        "POST",
        "/stripe",
        &[("Stripe-Signature", &header)],
        BODY,
    )
    .await;
    assert_eq!(refused(&r, &events), "signature mismatch");
}

#[tokio::test]
async fn an_injected_clock_decides_the_tolerance() {
    let (addr, events) = start().await;
    let header = stripe_header(STRIPE_SECRET, FIXED_NOW - 299, BODY);
    let r = send(
        addr,
        "POST",
        "/stripe-fixed-clock",
        &[("Stripe-Signature", &header)],
        BODY,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());

    let header = stripe_header(STRIPE_SECRET, FIXED_NOW - 301, BODY);
    let r = send(
        addr,
        "POST",
        "/stripe-fixed-clock",
        &[("Stripe-Signature", &header)],
        BODY,
    )
    .await;
    assert_eq!(
        refused(&r, &events),
        format!(
            "signature timestamp {} is 301 s from now ({FIXED_NOW}), outside the tolerance of 300 s",
            FIXED_NOW - 301
        )
    );
}

#[tokio::test]
async fn a_route_without_a_verifier_is_a_server_error() {
    let (addr, events) = start().await;
    let r = send(addr, "POST", "/unconfigured", &[], BODY).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["code"], "INTERNAL_ERROR");
    assert!(events.take()[0].causes[0].contains("WebhookVerifier"));
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_it_is_verified() {
    let app = Router::new()
        .route(
            "/shopify",
            post(echo).layer(Extension(WebhookVerifier::shopify(SECRET))),
        )
        .layer(ErrcatLayer::new(common::renderer()).body_limit(16));
    let addr = serve(app).await;
    let sig = base64(&hmac(SECRET, BODY));
    let r = send(
        addr,
        "POST",
        "/shopify",
        &[("X-Shopify-Hmac-Sha256", &sig)],
        BODY,
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.json()["code"], "PAYLOAD_TOO_LARGE");
}
