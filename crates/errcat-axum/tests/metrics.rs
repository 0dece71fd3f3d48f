//! `errcat_errors_total{code,status,route}` over a real TCP listener.

#![cfg(feature = "metrics")]

mod common;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::{get, post};
use common::{get as http_get, post_json, send, serve};
use errcat_axum::metrics::{CONTENT_TYPE, Metrics, UNMATCHED};
use errcat_axum::{ErrcatLayer, Json, Path};
use errcat_render::Error;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Batch {
    events: Vec<u32>,
}

async fn boom() -> &'static str {
    panic!("metrics test panic")
}

async fn app(metrics: &Metrics) -> SocketAddr {
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route(
            "/events",
            post(|Json(b): Json<Batch>| async move { b.events.len().to_string() }),
        )
        .route(
            "/templates/{id}",
            get(|Path(id): Path<String>| async move {
                Err::<String, _>(Error::new("TEMPLATE_NOT_FOUND").with_param("template_id", id))
            }),
        )
        .route("/panic", get(boom))
        .merge(metrics.router())
        .layer(ErrcatLayer::new(common::renderer()).observer(metrics.clone()));
    serve(app).await
}

/// The sample lines of the exposition (no comments).
fn samples(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

#[tokio::test]
async fn counts_errors_by_code_status_and_route_template() {
    let metrics = Metrics::new();
    let addr = app(&metrics).await;

    for path in ["/nope", "/nope/deeper", "/other?x=1"] {
        assert_eq!(http_get(addr, path).await.status, 404);
    }
    for id in ["tpl_1", "tpl_2"] {
        let r = http_get(addr, &format!("/templates/{id}")).await;
        assert_eq!(
            (r.status, r.json()["code"].as_str()),
            (404, Some("TEMPLATE_NOT_FOUND"))
        );
    }
    let r = post_json(addr, "/events", br#"{"events": ["x"]}"#).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("VALIDATION_ERROR"))
    );
    let r = http_get(addr, "/panic").await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (500, Some("INTERNAL_ERROR"))
    );
    let r = send(addr, "DELETE", "/health", &[], b"").await;
    assert_eq!(r.status, 405);
    // Successes are not counted.
    assert_eq!(http_get(addr, "/health").await.status, 200);

    let r = http_get(addr, "/metrics").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some(CONTENT_TYPE));
    let text = r.text();
    assert!(text.contains("# TYPE errcat_errors counter\n"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
    let mut got = samples(&text);
    got.sort_unstable();
    let mut want = vec![
        r#"errcat_errors_total{code="NOT_FOUND",status="404",route="unmatched"} 3"#,
        r#"errcat_errors_total{code="TEMPLATE_NOT_FOUND",status="404",route="/templates/{id}"} 2"#,
        r#"errcat_errors_total{code="VALIDATION_ERROR",status="400",route="/events"} 1"#,
        r#"errcat_errors_total{code="INTERNAL_ERROR",status="500",route="/panic"} 1"#,
        r#"errcat_errors_total{code="METHOD_NOT_ALLOWED",status="405",route="/health"} 1"#,
    ];
    want.sort_unstable();
    assert_eq!(got, want, "{text}");
    // Raw paths never become labels.
    for raw in ["/nope", "tpl_1", "x=1"] {
        assert!(!text.contains(raw), "{raw} in {text}");
    }

    // The shared counters are readable in process, too.
    assert_eq!(metrics.count("NOT_FOUND", 404, UNMATCHED), 3);
    assert_eq!(
        metrics.count("TEMPLATE_NOT_FOUND", 404, "/templates/{id}"),
        2
    );
    assert_eq!(
        metrics.count("TEMPLATE_NOT_FOUND", 404, "/templates/tpl_1"),
        0
    );
    // Asking did not add a series.
    assert_eq!(samples(&metrics.render()).len(), 5);
}

#[tokio::test]
async fn concurrent_errors_are_all_counted() {
    let metrics = Metrics::new();
    let addr = app(&metrics).await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            tokio::spawn(async move { http_get(addr, &format!("/templates/t{i}")).await.status })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 404);
    }
    let text = http_get(addr, "/metrics").await.text();
    assert_eq!(
        samples(&text),
        [
            r#"errcat_errors_total{code="TEMPLATE_NOT_FOUND",status="404",route="/templates/{id}"} 40"#
        ],
        "{text}"
    );
}

#[tokio::test]
async fn exposes_the_services_own_registry_too() {
    let mut registry = Registry::default();
    let queue = Gauge::<i64>::default();
    registry.register("jobs_queued", "Jobs waiting", queue.clone());
    queue.set(7);
    let metrics = Metrics::with_registry(registry);
    let addr = app(&metrics).await;
    assert_eq!(http_get(addr, "/nope").await.status, 404);

    let text = http_get(addr, "/metrics").await.text();
    let mut got = samples(&text);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            r#"errcat_errors_total{code="NOT_FOUND",status="404",route="unmatched"} 1"#,
            "jobs_queued 7",
        ],
        "{text}"
    );

    // Or the other way round: errcat's counters in the service's registry.
    let mut own = Registry::default();
    metrics.register(&mut own);
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &own).unwrap();
    assert!(
        out.contains(r#"errcat_errors_total{code="NOT_FOUND",status="404",route="unmatched"} 1"#),
        "{out}"
    );
}

#[tokio::test]
async fn empty_before_any_error() {
    let metrics = Metrics::new();
    let addr = app(&metrics).await;
    let r = http_get(addr, "/metrics").await;
    assert_eq!(r.status, 200);
    assert!(samples(&r.text()).is_empty(), "{}", r.text());
    assert_eq!(metrics.render(), r.text());
}
