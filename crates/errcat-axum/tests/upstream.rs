//! Outgoing calls over real TCP: a failing upstream is a 502, a slow one a
//! 504, both in the catalog's envelope, and what the upstream said (its
//! address, its error text) reaches the observers but never the client.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::{Events, get as http_get, serve};
use errcat_axum::ErrcatLayer;
use errcat_axum::upstream::{self, Upstream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A minimal HTTP client: the body of a 200, else an error naming the URL
/// and what the upstream answered.
async fn fetch(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let url = format!("http://{addr}{path}");
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("GET {url}: {e}")))?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw);
    let status = text.split(' ').nth(1).unwrap_or("?");
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    if status == "200" {
        Ok(body.to_owned())
    } else {
        Err(std::io::Error::other(format!(
            "GET {url} answered {status}: {body}"
        )))
    }
}

/// The fake upstream: one route that fails with secrets in its body, one
/// that never answers in time, one that works.
async fn fake_upstream() -> SocketAddr {
    let app = Router::new()
        .route(
            "/charge",
            get(|| async {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "db error: password=hunter2",
                )
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "late"
            }),
        )
        .route("/rates", get(|| async { "EUR=1.08" }));
    serve(app).await
}

/// A port nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

async fn start() -> (SocketAddr, SocketAddr, SocketAddr, Events) {
    let up = fake_upstream().await;
    let closed = closed_port().await;
    let events = Events::default();
    let app = Router::new()
        .route(
            "/checkout",
            get(move || async move {
                upstream::call(Duration::from_secs(2), fetch(up, "/charge")).await
            }),
        )
        .route(
            "/search",
            get(move || async move {
                const SEARCH: Upstream = Upstream::new("search", Duration::from_millis(200));
                SEARCH.call(fetch(up, "/slow")).await
            }),
        )
        .route(
            "/refused",
            get(move || async move {
                Upstream::named(format!("ledger at {closed}"), Duration::from_secs(2))
                    .call(fetch(closed, "/entries"))
                    .await
            }),
        )
        .route(
            "/rates",
            get(move || async move {
                upstream::call(Duration::from_secs(2), fetch(up, "/rates")).await
            }),
        )
        .layer(events.layer(ErrcatLayer::new(common::renderer())));
    (serve(app).await, up, closed, events)
}

#[tokio::test]
async fn a_failing_upstream_is_a_502_whose_cause_stays_in_the_log() {
    let (addr, up, _, events) = start().await;
    let r = http_get(addr, "/checkout").await;
    assert_eq!(r.status, 502, "{}", r.text());
    let v = r.json();
    assert_eq!(v["code"], "EXTERNAL_SERVICE_ERROR");
    assert_eq!(v["detail"], "A service this request depends on failed");
    let body = r.text();
    assert!(!body.contains("hunter2"), "{body}");
    assert!(!body.contains(&up.to_string()), "{body}");

    let events = events.take();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (&*events[0].code, events[0].status),
        ("EXTERNAL_SERVICE_ERROR", 502)
    );
    assert_eq!(
        events[0].causes,
        [
            "upstream call failed".to_owned(),
            format!("GET http://{up}/charge answered 500: db error: password=hunter2"),
        ]
    );
}

#[tokio::test]
async fn a_slow_upstream_is_a_504() {
    let (addr, up, _, events) = start().await;
    let started = std::time::Instant::now();
    let r = http_get(addr, "/search").await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(r.status, 504, "{}", r.text());
    assert_eq!(r.json()["code"], "UPSTREAM_TIMEOUT");
    assert!(!r.text().contains(&up.to_string()));
    let events = events.take();
    assert_eq!(
        events[0].causes,
        [r#"upstream "search" did not finish within 200 ms"#]
    );
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_naming_it_in_the_log() {
    let (addr, _, closed, events) = start().await;
    let r = http_get(addr, "/refused").await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.json()["code"], "EXTERNAL_SERVICE_ERROR");
    assert!(!r.text().contains(&closed.to_string()), "{}", r.text());
    let causes = &events.take()[0].causes;
    assert_eq!(
        causes[0],
        format!(r#"upstream "ledger at {closed}" failed"#)
    );
    assert!(
        causes[1].starts_with(&format!("GET http://{closed}/entries: ")),
        "{causes:?}"
    );
}

#[tokio::test]
async fn a_working_upstream_passes_its_answer_through() {
    let (addr, _, _, events) = start().await;
    let r = http_get(addr, "/rates").await;
    assert_eq!((r.status, r.text().as_str()), (200, "EUR=1.08"));
    assert!(events.take().is_empty());
}
