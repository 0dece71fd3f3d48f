//! Secrets never reach the database: distinct secrets are sent in headers
//! and bodies, and the raw bytes of the SQLite file (and a PostgreSQL dump)
//! are scanned for them.

#![cfg(feature = "axum")]

mod common;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::post;
use errcat_axum::{ErrcatLayer, Json};
use errcat_store::{ErrorLog, WriterConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRETS: &[&str] = &[
    "hdr-auth-Q7x1",
    "hdr-cookie-Q7x2",
    "hdr-apikey-Q7x3",
    "hdr-shopify-Q7x4",
    "hdr-stripe-Q7x5",
    "body-password-Q7x6",
    "body-token-Q7x7",
    "body-apikey-Q7x8",
    "4111111111Q7x9",
    "form-secret-Q7y1",
];

async fn serve(log: ErrorLog) -> SocketAddr {
    let catalog =
        errcat_catalog::Catalog::from_str("[api]\nname = \"t\"\n", "errors.toml").unwrap();
    let app = Router::new()
        .route(
            "/login",
            post(|Json(_): Json<serde_json::Value>| async {
                Err::<String, _>(errcat_render::Error::standard("invalid_credentials"))
            }),
        )
        .route(
            "/form",
            post(|_body: String| async {
                Err::<String, _>(errcat_render::Error::standard("forbidden"))
            }),
        )
        .layer(ErrcatLayer::new(errcat_render::Renderer::new(catalog)).observer(log));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

async fn send(addr: SocketAddr, path: &str, content_type: &str, body: &str) -> String {
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Authorization: Bearer {}\r\nCookie: session={}\r\nX-API-Key: {}\r\nX-Shopify-Hmac-Sha256: {}\r\nStripe-Signature: t=1,v1={}\r\n\r\n{body}",
        body.len(),
        SECRETS[0],
        SECRETS[1],
        SECRETS[2],
        SECRETS[3],
        SECRETS[4],
    );
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

async fn exercise(log: ErrorLog) {
    let addr = serve(log.clone()).await;
    let json = format!(
        r#"{{"email": "ann@example.com", "password": "{}", "refresh_token": "{}", "nested": {{"api_key": "{}", "card_number": "{}"}}}}"#,
        SECRETS[5], SECRETS[6], SECRETS[7], SECRETS[8]
    );
    let reply = send(addr, "/login", "application/json", &json).await;
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    let reply = send(
        addr,
        "/form",
        "application/x-www-form-urlencoded",
        &format!("user=ann&client_secret={}", SECRETS[9]),
    )
    .await;
    assert!(reply.starts_with("HTTP/1.1 403"), "{reply}");
    let stats = log.shutdown().await;
    assert_eq!(stats.written, 2, "{stats:?}");
}

fn assert_clean(what: &str, bytes: &[u8]) {
    for s in SECRETS {
        assert!(
            !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
            "{what} contains the secret {s}"
        );
    }
    assert!(
        bytes.windows(10).any(|w| w == b"[REDACTED]"),
        "{what} holds the redacted records"
    );
}

#[tokio::test]
async fn sqlite_file_holds_no_secret() {
    let t = common::sqlite().await;
    exercise(ErrorLog::spawn(t.store.clone(), WriterConfig::default())).await;
    let records = t
        .store
        .list(&errcat_store::Filter::default())
        .await
        .unwrap();
    assert_eq!(records.len(), 2);
    t.store.close().await;
    let path = t.url.trim_start_matches("sqlite://").to_owned();
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
        bytes.extend(wal);
    }
    assert_clean("the SQLite file", &bytes);
}

#[tokio::test]
async fn postgres_dump_holds_no_secret() {
    let Some(t) = common::postgres().await else {
        return;
    };
    exercise(ErrorLog::spawn(t.store.clone(), WriterConfig::default())).await;
    let base = common::postgres_url().unwrap();
    let schema = t.schema.clone().unwrap();
    let out = std::process::Command::new("pg_dump")
        .args([
            "--dbname",
            &base,
            "--schema",
            &schema,
            "--data-only",
            "--inserts",
        ])
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_clean("the PostgreSQL dump", &out.stdout);
    t.cleanup().await;
}
