//! The error log as the boundary layer's observer.

#![cfg(feature = "axum")]

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::post;
use errcat_axum::ErrcatLayer;
use errcat_store::{ErrorLog, WriterConfig};
use tower::ServiceExt;

/// The error log keeps the event's own strings when it is the layer's last
/// observer and copies them otherwise: either way, in both backpressure
/// modes, the stored record is the one another observer saw.
#[tokio::test]
async fn the_log_records_what_other_observers_see_first_or_last() {
    for (log_last, backpressure) in [
        (true, errcat_store::Backpressure::Drop),
        (false, errcat_store::Backpressure::Drop),
        (true, errcat_store::Backpressure::Wait),
        (false, errcat_store::Backpressure::Wait),
    ] {
        let t = common::sqlite().await;
        let log = ErrorLog::spawn(
            t.store.clone(),
            WriterConfig {
                backpressure,
                ..WriterConfig::default()
            },
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let collect = move |e: &errcat_axum::ErrorEvent| sink.lock().unwrap().push(e.clone());
        let catalog =
            errcat_catalog::Catalog::from_str("[api]\nname = \"t\"\n", "errors.toml").unwrap();
        let layer = ErrcatLayer::new(errcat_render::Renderer::new(catalog));
        let layer = if log_last {
            layer.observer(collect).observer(log.clone())
        } else {
            layer.observer(log.clone()).observer(collect)
        };
        let app = Router::new()
            .route(
                "/login",
                post(|| async {
                    Err::<String, _>(errcat_render::Error::standard("invalid_credentials"))
                }),
            )
            .layer(layer);
        let req = axum::http::Request::post("/login")
            .header("user-agent", "suite")
            .body(axum::body::Body::from("{}"))
            .unwrap();
        let res = app.oneshot(req).await.unwrap();
        assert_eq!(res.status(), 401);
        log.shutdown().await;
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1, "log last: {log_last}");
        let stored = t
            .store
            .by_error_id(&seen[0].error_id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("log last: {log_last}, {backpressure:?}: not stored"));
        assert_eq!(
            stored,
            errcat_store::record_of(&seen[0]),
            "log last: {log_last}"
        );
        assert_eq!(stored.user_agent.as_deref(), Some("suite"));
    }
}

/// The record keeps what the client received: the status, the headers
/// errcat set (`Retry-After` here), the exact body bytes, the message and
/// the field violations as data.
#[tokio::test]
async fn the_record_keeps_the_response_the_client_saw() {
    let t = common::sqlite().await;
    let log = ErrorLog::spawn(t.store.clone(), WriterConfig::default());
    let catalog = errcat_catalog::Catalog::from_str(
        "[api]\nname = \"t\"\n\n[[errors]]\ncode = \"BAD_EVENTS\"\nstatus = 400\nmessage = \"{count} events are invalid\"\nparams = { count = \"integer\" }\nretry_after = 30\n",
        "errors.toml",
    )
    .unwrap();
    let layer = ErrcatLayer::new(errcat_render::Renderer::new(catalog)).observer(log.clone());
    let app = Router::new()
        .route(
            "/events",
            post(|| async {
                Err::<String, _>(
                    errcat_render::Error::new("BAD_EVENTS")
                        .with_param("count", 2)
                        .with_violation("events.0.type", "unknown variant `teleport`")
                        .with_violation("events.1.at", "not a date"),
                )
            }),
        )
        .layer(layer);
    let res = app
        .oneshot(
            axum::http::Request::post("/events")
                .body(axum::body::Body::from("{}"))
                .unwrap(),
        )
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    log.shutdown().await;
    let stored = t.store.by_request_id(&id).await.unwrap().remove(0);
    let sent = stored.response.expect("the response is recorded");
    assert_eq!(sent.status, 400);
    assert_eq!(sent.body.as_bytes(), &body[..], "the exact body");
    assert!(!sent.body_cut());
    assert!(
        sent.headers
            .iter()
            .any(|(n, v)| n == "retry-after" && v == "30"),
        "{:?}",
        sent.headers
    );
    assert!(
        sent.headers
            .iter()
            .any(|(n, v)| n == "x-request-id" && *v == id)
    );
    assert_eq!(stored.message.as_deref(), Some("2 events are invalid"));
    let paths: Vec<&str> = stored.violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(paths, ["events.0.type", "events.1.at"]);
    assert_eq!(stored.violations[0].message, "unknown variant `teleport`");
}
