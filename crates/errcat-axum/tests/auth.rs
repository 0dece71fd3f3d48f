//! Authentication and authorization over a real TCP listener: bearer JWTs,
//! API keys, ordered roles and tenant scope, each failure its own catalog
//! code with its `WWW-Authenticate` header.

#![cfg(all(feature = "jwt", feature = "api-key"))]

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Router};
use common::{Events, Reply, send, serve};
use errcat_axum::api_key::{ApiKey, ApiKeyRecord, ApiKeys};
use errcat_axum::jwt::{Algorithm, Claims, DecodingKey, EncodingKey, JwtAuth};
use errcat_axum::roles::{RoleOrder, scoped};
use errcat_axum::{ErrcatLayer, Path};
use errcat_render::Error;
use serde::Deserialize;
use serde_json::{Value, json};

const SECRET: &[u8] = b"errcat-test-secret-of-32+-bytes!";
const AUD: &str = "https://api.shop.example";
const ISS: &str = "https://auth.shop.example";
const RSA_PRIVATE: &[u8] = include_bytes!("data/auth_rsa_private.der");
const RSA_PUBLIC: &[u8] = include_bytes!("data/auth_rsa_public.der");
const RSA_PUBLIC_PEM: &[u8] = include_bytes!("data/auth_rsa_public.pem");

const ACME_KEY: &str = "sk_test_acme_8d1f0c6b9e2a4f7d";
const GLOBEX_KEY: &str = "sk_test_globex_53aa9e01c4b2d6f8";

fn www(description: &str) -> String {
    format!("Bearer error=\"invalid_token\", error_description=\"{description}\"")
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Valid claims for the HS256 verifier, with `changes` merged in (a null
/// removes the claim).
fn claims(changes: Value) -> Value {
    let mut c = json!({
        "sub": "u_1",
        "role": "editor",
        "aud": AUD,
        "iss": ISS,
        "exp": now() + 300,
        "jti": "jti_1",
    });
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn hs_auth() -> JwtAuth {
    JwtAuth::hs256(SECRET)
        .audience([AUD])
        .issuer([ISS])
        .revocation(|jti: Option<&str>, _sub: Option<&str>| jti == Some("jti_revoked"))
}

fn rs_auth() -> JwtAuth {
    JwtAuth::new(DecodingKey::from_rsa_der(RSA_PUBLIC), [Algorithm::RS256])
        .signing_key(EncodingKey::from_rsa_der(RSA_PRIVATE))
        .audience([AUD])
        .issuer([ISS])
}

fn token(changes: Value) -> String {
    hs_auth().issue(&claims(changes)).unwrap()
}

/// A token made of raw base64url parts, HS256-signed with the test secret.
fn signed_raw(header_b64: &str, payload_b64: &str) -> String {
    let message = format!("{header_b64}.{payload_b64}");
    let sig = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(SECRET),
        Algorithm::HS256,
    )
    .unwrap();
    format!("{message}.{sig}")
}

#[derive(Deserialize)]
struct Caller {
    sub: String,
    role: String,
}

#[derive(Clone)]
struct Doc {
    tenant: String,
    title: String,
}

type Docs = Arc<Mutex<HashMap<String, Doc>>>;

fn roles() -> RoleOrder {
    RoleOrder::new(["viewer", "editor", "admin"])
}

async fn me(Claims(c): Claims<Caller>) -> String {
    c.sub
}

async fn admin(Claims(c): Claims<Caller>) -> Result<String, Error> {
    roles().require(&c.role, "admin")?;
    Ok(format!("welcome {}", c.sub))
}

async fn whoami(ApiKey(key): ApiKey) -> String {
    key.id
}

async fn read_doc(
    State(docs): State<Docs>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<String, Error> {
    roles().require(key.role.as_deref().unwrap_or(""), "viewer")?;
    let found = docs.lock().unwrap().get(&id).cloned();
    let doc = scoped(
        found,
        |d: &Doc| &d.tenant,
        key.tenant.as_deref().unwrap_or(""),
    )?;
    Ok(doc.title)
}

async fn delete_doc(
    State(docs): State<Docs>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<&'static str, Error> {
    // Permission before existence: a viewer learns nothing about the id.
    roles().require(key.role.as_deref().unwrap_or(""), "admin")?;
    let found = docs.lock().unwrap().get(&id).cloned();
    scoped(
        found,
        |d: &Doc| &d.tenant,
        key.tenant.as_deref().unwrap_or(""),
    )?;
    docs.lock().unwrap().remove(&id);
    Ok("deleted")
}

fn api_keys() -> ApiKeys {
    ApiKeys::new([
        ApiKeyRecord::new("key_acme", ApiKeys::hash(ACME_KEY))
            .with_tenant("acme")
            .with_role("viewer"),
        ApiKeyRecord::from_hex("key_globex", &ApiKeys::hash_hex(GLOBEX_KEY))
            .unwrap()
            .with_tenant("globex")
            .with_role("viewer"),
    ])
}

struct App {
    addr: SocketAddr,
    docs: Docs,
    events: Events,
}

async fn app_with(auth: JwtAuth, keys: ApiKeys) -> App {
    let docs: Docs = Arc::new(Mutex::new(HashMap::from([(
        "d1".to_owned(),
        Doc {
            tenant: "acme".to_owned(),
            title: "Q3 plan".to_owned(),
        },
    )])));
    let events = Events::default();
    let app = Router::new()
        .route("/me", get(me))
        .route("/admin", get(admin))
        .route("/key", get(whoami))
        .route("/docs/{id}", get(read_doc).delete(delete_doc))
        .with_state(docs.clone())
        .layer(Extension(auth))
        .layer(Extension(keys))
        .layer(events.layer(ErrcatLayer::new(common::renderer())));
    App {
        addr: serve(app).await,
        docs,
        events,
    }
}

async fn app() -> App {
    app_with(hs_auth(), api_keys()).await
}

async fn bearer(addr: SocketAddr, path: &str, token: &str) -> Reply {
    let auth = format!("Bearer {token}");
    send(addr, "GET", path, &[("Authorization", &auth)], b"").await
}

/// Status, code and `WWW-Authenticate` together.
#[track_caller]
fn assert_error(r: &Reply, status: u16, code: &str, www_authenticate: Option<&str>) {
    assert_eq!(
        (
            r.status,
            r.json()["code"].as_str(),
            r.header("www-authenticate")
        ),
        (status, Some(code), www_authenticate),
        "{}",
        r.text()
    );
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
}

#[tokio::test]
async fn a_valid_token_passes() {
    let a = app().await;
    let r = bearer(a.addr, "/me", &token(json!({}))).await;
    assert_eq!((r.status, r.text().as_str()), (200, "u_1"));
    // The scheme is case-insensitive; `aud` may be an array.
    let t = token(json!({"aud": ["other", AUD]}));
    let r = send(
        a.addr,
        "GET",
        "/me",
        &[("Authorization", &format!("bearer {t}"))],
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A leeway lets a just-expired token through.
    let a = app_with(hs_auth().leeway(30), api_keys()).await;
    let r = bearer(a.addr, "/me", &token(json!({"exp": now() - 1}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn missing_or_other_scheme_is_missing_token() {
    let a = app().await;
    let r = send(a.addr, "GET", "/me", &[], b"").await;
    assert_error(&r, 401, "MISSING_TOKEN", Some("Bearer"));
    assert_eq!(r.json()["detail"], "No bearer token provided");
    // Another scheme is no bearer token (RFC 6750 §3: no error code), and the
    // answer does not claim the header is absent.
    let r = send(
        a.addr,
        "GET",
        "/me",
        &[("Authorization", "Basic dXNlcjpwYXNz")],
        b"",
    )
    .await;
    assert_error(&r, 401, "MISSING_TOKEN", Some("Bearer"));
    assert_eq!(r.json()["detail"], "No bearer token provided");
    assert!(
        !r.text().contains("No authorization header"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn undecodable_tokens_are_malformed() {
    let a = app().await;
    let valid = token(json!({}));
    let parts: Vec<&str> = valid.split('.').collect();
    let cases = [
        "abc".to_owned(),
        "a.b".to_owned(),
        format!("{valid}.extra"),
        "!!!.???.***".to_owned(),
        // A header that is not JSON.
        format!("eyJhbGciOg.{}.{}", parts[1], parts[2]),
        // A correctly signed payload that is not JSON.
        signed_raw("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "bm90IGpzb24"),
        // A signature that is not base64url.
        format!("{}.{}.%%%", parts[0], parts[1]),
    ];
    for t in &cases {
        let r = bearer(a.addr, "/me", t).await;
        assert_error(&r, 401, "MALFORMED_TOKEN", Some(&www("malformed token")));
    }
    let r = send(a.addr, "GET", "/me", &[("Authorization", "Bearer ")], b"").await;
    assert_error(&r, 401, "MALFORMED_TOKEN", Some(&www("malformed token")));
    // Signed, but without `exp`, with a non-numeric `exp`, or not fitting the
    // handler's claims.
    for changes in [
        json!({"exp": null}),
        json!({"exp": "tomorrow"}),
        json!({"role": null}),
    ] {
        let r = bearer(a.addr, "/me", &token(changes)).await;
        assert_error(&r, 401, "MALFORMED_TOKEN", Some(&www("malformed token")));
    }
    // A `crit` header naming an extension the API does not know.
    let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
    header.crit = Some(vec!["urn:example:ext".to_owned()]);
    let t = jsonwebtoken::encode(
        &header,
        &claims(json!({})),
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    let r = bearer(a.addr, "/me", &t).await;
    assert_error(&r, 401, "MALFORMED_TOKEN", Some(&www("malformed token")));
}

#[tokio::test]
async fn bad_signatures() {
    let a = app().await;
    let sig = www("invalid signature");
    // Signed with another secret.
    let other = JwtAuth::hs256(b"another-secret-of-32-bytes-or-so")
        .issue(&claims(json!({})))
        .unwrap();
    let r = bearer(a.addr, "/me", &other).await;
    assert_error(&r, 401, "INVALID_TOKEN_SIGNATURE", Some(&sig));
    // A payload swapped in under a valid signature (privilege escalation).
    let mine: Vec<String> = token(json!({})).split('.').map(str::to_owned).collect();
    let forged: Vec<String> = token(json!({"role": "admin"}))
        .split('.')
        .map(str::to_owned)
        .collect();
    let t = format!("{}.{}.{}", mine[0], forged[1], mine[2]);
    let r = bearer(a.addr, "/admin", &t).await;
    assert_error(&r, 401, "INVALID_TOKEN_SIGNATURE", Some(&sig));
    // The event keeps jsonwebtoken's error as the internal cause.
    let events = a.events.take();
    assert_eq!(events.last().unwrap().causes, ["InvalidSignature"]);
}

#[tokio::test]
async fn alg_none_is_refused() {
    let a = app().await;
    let parts: Vec<String> = token(json!({"role": "admin"}))
        .split('.')
        .map(str::to_owned)
        .collect();
    for header in [
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0", // {"alg":"none","typ":"JWT"}
        "eyJhbGciOiJOT05FIiwidHlwIjoiSldUIn0", // {"alg":"NONE","typ":"JWT"}
        "eyJhbGciOiJIUzEiLCJ0eXAiOiJKV1QifQ",  // {"alg":"HS1","typ":"JWT"}
    ] {
        for sig in ["", parts[2].as_str()] {
            let t = format!("{header}.{}.{sig}", parts[1]);
            let r = bearer(a.addr, "/admin", &t).await;
            assert_error(
                &r,
                401,
                "INVALID_TOKEN_SIGNATURE",
                Some(&www("invalid signature")),
            );
        }
    }
}

#[tokio::test]
async fn algorithm_confusion_is_refused() {
    let a = app_with(rs_auth(), api_keys()).await;
    // The RS256 verifier accepts its own tokens.
    let good = rs_auth().issue(&claims(json!({}))).unwrap();
    assert!(
        good.starts_with("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9."),
        "{good}"
    );
    let r = bearer(a.addr, "/me", &good).await;
    assert_eq!((r.status, r.text().as_str()), (200, "u_1"));
    // HS256 tokens "signed" with the public key, as PEM or DER bytes.
    for public in [RSA_PUBLIC_PEM, RSA_PUBLIC] {
        let t = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims(json!({"role": "admin"})),
            &EncodingKey::from_secret(public),
        )
        .unwrap();
        let r = bearer(a.addr, "/admin", &t).await;
        assert_error(
            &r,
            401,
            "INVALID_TOKEN_SIGNATURE",
            Some(&www("invalid signature")),
        );
    }
    let events = a.events.take();
    assert_eq!(events.last().unwrap().causes, ["InvalidAlgorithm"]);
    // Another RSA algorithm than the one allowed.
    let other_alg = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::RS512),
        &claims(json!({})),
        &EncodingKey::from_rsa_der(RSA_PRIVATE),
    )
    .unwrap();
    let r = bearer(a.addr, "/me", &other_alg).await;
    assert_error(
        &r,
        401,
        "INVALID_TOKEN_SIGNATURE",
        Some(&www("invalid signature")),
    );
}

#[tokio::test]
async fn expiry_with_no_leeway() {
    let a = app().await;
    let expired = www("expired");
    for exp in [now() - 1, now(), now() - 3600] {
        let r = bearer(a.addr, "/me", &token(json!({ "exp": exp }))).await;
        assert_error(&r, 401, "EXPIRED_TOKEN", Some(&expired));
        assert_eq!(r.json()["detail"], "JWT token has expired");
    }
    assert_eq!(a.events.take()[2].causes, ["ExpiredSignature"]);
}

#[tokio::test]
async fn not_yet_valid() {
    let a = app().await;
    let r = bearer(a.addr, "/me", &token(json!({"nbf": now() + 120}))).await;
    assert_error(&r, 401, "TOKEN_NOT_YET_VALID", Some(&www("not yet valid")));
    let r = bearer(a.addr, "/me", &token(json!({"nbf": now() - 1}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn wrong_audience_or_issuer() {
    let a = app().await;
    let aud = www("wrong audience");
    for changes in [
        json!({"aud": "https://other.example"}),
        json!({"aud": ["a", "b"]}),
        json!({"aud": null}),
    ] {
        let r = bearer(a.addr, "/me", &token(changes)).await;
        assert_error(&r, 401, "INVALID_TOKEN_AUDIENCE", Some(&aud));
    }
    let iss = www("wrong issuer");
    for changes in [json!({"iss": "https://evil.example"}), json!({"iss": null})] {
        let r = bearer(a.addr, "/me", &token(changes)).await;
        assert_error(&r, 401, "INVALID_TOKEN_ISSUER", Some(&iss));
    }
}

#[tokio::test]
async fn revoked_token() {
    let a = app().await;
    let r = bearer(a.addr, "/me", &token(json!({"jti": "jti_revoked"}))).await;
    assert_error(&r, 401, "REVOKED_TOKEN", Some(&www("revoked")));
    assert_eq!(
        a.events.take()[0].causes,
        ["token revoked (jti jti_revoked, sub u_1)"]
    );
}

#[tokio::test]
async fn extractor_without_its_extension_is_a_server_error() {
    let events = Events::default();
    let app = Router::new()
        .route("/me", get(me))
        .route("/key", get(whoami))
        .layer(events.layer(ErrcatLayer::new(common::renderer())));
    let addr = serve(app).await;
    let r = bearer(addr, "/me", &token(json!({}))).await;
    assert_error(&r, 500, "INTERNAL_ERROR", None);
    let r = send(addr, "GET", "/key", &[("X-API-Key", ACME_KEY)], b"").await;
    assert_error(&r, 500, "INTERNAL_ERROR", None);
    let causes: Vec<String> = events.take().into_iter().flat_map(|e| e.causes).collect();
    assert!(
        causes[0].contains("axum::Extension(jwt_auth)"),
        "{causes:?}"
    );
    assert!(
        causes[1].contains("axum::Extension(api_keys)"),
        "{causes:?}"
    );
}

#[tokio::test]
async fn api_keys_valid_invalid_missing() {
    let a = app().await;
    let r = send(a.addr, "GET", "/key", &[("X-API-Key", ACME_KEY)], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "key_acme"));

    let wrong = "sk_test_acme_8d1f0c6b9e2a4f7e";
    let r = send(a.addr, "GET", "/key", &[("X-API-Key", wrong)], b"").await;
    assert_error(&r, 401, "INVALID_API_KEY", Some("ApiKey"));
    assert_eq!(r.json()["detail"], "The API key is invalid or revoked");
    let whole = format!("{:?}{}", r.headers, r.text());
    assert!(
        !whole.contains(wrong) && !whole.contains("8d1f0c"),
        "{whole}"
    );

    let r = send(a.addr, "GET", "/key", &[], b"").await;
    assert_error(&r, 401, "MISSING_API_KEY", Some("ApiKey"));
    let r = send(a.addr, "GET", "/key", &[("X-API-Key", "")], b"").await;
    assert_error(&r, 401, "MISSING_API_KEY", Some("ApiKey"));
    // The key in another header is not looked at.
    let r = send(a.addr, "GET", "/key", &[("X-Api-Token", ACME_KEY)], b"").await;
    assert_error(&r, 401, "MISSING_API_KEY", Some("ApiKey"));

    // Nor is the key in what the layer logs.
    let logged = format!("{:?}", a.events.take());
    assert!(
        !logged.contains(wrong) && !logged.contains(ACME_KEY),
        "{logged}"
    );
}

#[tokio::test]
async fn api_key_header_is_configurable() {
    let keys = api_keys().header(http::HeaderName::from_static("x-shop-key"));
    let a = app_with(hs_auth(), keys).await;
    let r = send(a.addr, "GET", "/key", &[("X-Shop-Key", GLOBEX_KEY)], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "key_globex"));
    let r = send(a.addr, "GET", "/key", &[("X-API-Key", GLOBEX_KEY)], b"").await;
    assert_error(&r, 401, "MISSING_API_KEY", Some("ApiKey"));
}

#[tokio::test]
async fn insufficient_role_names_the_required_role() {
    let a = app().await;
    let r = bearer(a.addr, "/admin", &token(json!({"role": "editor"}))).await;
    assert_error(&r, 403, "INSUFFICIENT_ROLE", None);
    assert_eq!(r.json()["detail"], "This action requires the admin role");
    // An unknown role has no privilege at all.
    let r = bearer(a.addr, "/admin", &token(json!({"role": "superuser"}))).await;
    assert_error(&r, 403, "INSUFFICIENT_ROLE", None);
    let r = bearer(a.addr, "/admin", &token(json!({"role": "admin"}))).await;
    assert_eq!((r.status, r.text().as_str()), (200, "welcome u_1"));
}

#[tokio::test]
async fn another_tenants_resource_is_answered_like_a_missing_one() {
    let a = app().await;
    let globex = [("X-API-Key", GLOBEX_KEY)];
    let r = send(a.addr, "GET", "/docs/d1", &[("X-API-Key", ACME_KEY)], b"").await;
    assert_eq!((r.status, r.text().as_str()), (200, "Q3 plan"));

    let foreign = send(a.addr, "GET", "/docs/d1", &globex, b"").await;
    assert_error(&foreign, 404, "NOT_FOUND", None);
    a.docs.lock().unwrap().remove("d1");
    let missing = send(a.addr, "GET", "/docs/d1", &globex, b"").await;
    assert_error(&missing, 404, "NOT_FOUND", None);

    let strip = |r: &Reply| {
        let mut v = r.json();
        let o = v.as_object_mut().unwrap();
        assert!(o.remove("error_id").is_some() && o.remove("request_id").is_some());
        v
    };
    assert_eq!(strip(&foreign), strip(&missing));
    let same_headers = |r: &Reply| {
        let mut h: Vec<(String, String)> = r
            .headers
            .iter()
            .filter(|(n, _)| !["x-request-id", "date"].contains(&n.to_ascii_lowercase().as_str()))
            .cloned()
            .collect();
        h.sort();
        h
    };
    assert_eq!(same_headers(&foreign), same_headers(&missing));
    // Only the logs tell them apart.
    let causes: Vec<Vec<String>> = a.events.take().into_iter().map(|e| e.causes).collect();
    assert_eq!(
        causes,
        [
            vec!["the resource belongs to another tenant".to_owned()],
            vec!["no such resource".to_owned()],
        ]
    );
}

#[tokio::test]
async fn permission_is_checked_before_existence() {
    let a = app().await;
    let acme = [("X-API-Key", ACME_KEY)];
    // A viewer may not delete: the same 403 for an existing and a missing id.
    for id in ["d1", "d9"] {
        let r = send(a.addr, "DELETE", &format!("/docs/{id}"), &acme, b"").await;
        assert_error(&r, 403, "INSUFFICIENT_ROLE", None);
        assert_eq!(r.json()["detail"], "This action requires the admin role");
    }
    assert!(a.docs.lock().unwrap().contains_key("d1"));
}
