//! The boundary layer over a real TCP listener: every response speaks the catalog.

mod common;

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use common::{Events, get as http_get, post_json, raw, send, serve};
use errcat_axum::{ErrcatLayer, Json, Path, Query, Source};
use errcat_render::Error;
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Batch {
    events: Vec<Event>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Event {
    #[serde(rename = "type")]
    kind: Kind,
    count: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    PageView,
    Click,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Page {
    limit: u32,
}

async fn boom() -> &'static str {
    panic!("secret panic text: db password hunter2")
}

async fn app_with(layer: ErrcatLayer) -> std::net::SocketAddr {
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route(
            "/events",
            post(|Json(b): Json<Batch>| async move { b.events.len().to_string() }),
        )
        .route(
            "/echo",
            post(|Json(v): Json<serde_json::Value>| async move { v.to_string() }),
        )
        .route(
            "/login",
            post(
                |axum::Extension(ctx): axum::Extension<errcat_axum::ErrorContext>,
                 Json(_): Json<serde_json::Value>| async move {
                    ctx.set_tenant("acme");
                    ctx.set_principal("user_7");
                    Err::<String, _>(Error::standard("invalid_credentials"))
                },
            ),
        )
        .route(
            "/items",
            get(|Query(p): Query<Page>| async move { p.limit.to_string() }),
        )
        .route(
            "/items/{id}",
            get(|Path(id): Path<u64>| async move { id.to_string() }),
        )
        .route(
            "/templates/{id}",
            get(|Path(id): Path<String>| async move {
                Err::<String, _>(
                    Error::new("TEMPLATE_NOT_FOUND")
                        .with_param("template_id", id)
                        .with_source(std::io::Error::other(
                            "SELECT * FROM templates WHERE id = $1: no rows",
                        )),
                )
            }),
        )
        .route("/panic", get(boom))
        .route(
            "/tuple-error",
            get(|| async {
                (
                    StatusCode::ACCEPTED,
                    [
                        ("x-internal-host", "db-7.internal"),
                        ("content-type", "text/plain"),
                    ],
                    Error::new("TEMPLATE_NOT_FOUND").with_param("template_id", "tpl_1"),
                )
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/foreign",
            get(|| async {
                (
                    StatusCode::BAD_GATEWAY,
                    "upstream said: stack trace at /srv/app/main.rs:12",
                )
            }),
        )
        .route(
            "/teapot",
            get(|| async { (StatusCode::IM_A_TEAPOT, "short and stout") }),
        )
        .layer(layer);
    serve(app).await
}

async fn app() -> std::net::SocketAddr {
    app_with(ErrcatLayer::new(common::renderer()).timeout(Some(Duration::from_millis(300)))).await
}

#[tokio::test]
async fn success_carries_a_request_id_and_echoes_a_safe_one() {
    let addr = app().await;
    let r = http_get(addr, "/health").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    let id = r.header("x-request-id").unwrap();
    assert_eq!(id.len(), 36, "a UUIDv7: {id}");

    let r = send(
        addr,
        "GET",
        "/health",
        &[("X-Request-Id", "client-req-42")],
        b"",
    )
    .await;
    assert_eq!(r.header("x-request-id"), Some("client-req-42"));

    for unsafe_id in [
        "has space",
        &"x".repeat(129),
        &"y".repeat(10 * 1024),
        "caf\u{e9}",
    ] {
        let r = send(addr, "GET", "/health", &[("X-Request-Id", unsafe_id)], b"").await;
        let echoed = r.header("x-request-id").unwrap();
        assert_ne!(echoed, unsafe_id);
        assert_eq!(echoed.len(), 36);
    }
    // A CRLF cannot smuggle a header through the id.
    let r = raw(addr, b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Request-Id: abc\r\nX-Injected: 1\r\n\r\n").await;
    assert_eq!(r.header("x-request-id"), Some("abc"));
    assert_eq!(r.header("x-injected"), None);
}

#[tokio::test]
async fn unknown_route_and_wrong_method() {
    let addr = app().await;
    let r = send(addr, "GET", "/nope", &[("X-Request-Id", "r-1")], b"").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let v = r.json();
    assert_eq!(v["code"], "NOT_FOUND");
    assert_eq!(v["request_id"], "r-1");
    assert_eq!(v["instance"], "/nope");
    assert_eq!(v["error_id"].as_str().unwrap().len(), 36);

    let r = send(addr, "DELETE", "/health", &[], b"").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET,HEAD"));
    assert_eq!(r.json()["code"], "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn json_syntax_and_data_errors() {
    let addr = app().await;
    let r = post_json(addr, "/events", b"{\"events\": [").await;
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["code"], "INVALID_JSON");
    assert_eq!(
        v["detail"],
        "The request body is not valid JSON: EOF while parsing a list at line 1 column 12"
    );

    let r = post_json(
        addr,
        "/events",
        br#"{"events": [{"type": "page_view"}, {"type": "scroll"}]}"#,
    )
    .await;
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["code"], "VALIDATION_ERROR");
    assert_eq!(
        v["errors"],
        serde_json::json!([{"path": "events.1.type", "message": "unknown variant `scroll`, expected `page_view` or `click`", "reason": "unknown_variant"}])
    );

    let r = post_json(
        addr,
        "/events",
        br#"{"events": [{"type": "click", "count": -1}]}"#,
    )
    .await;
    assert_eq!(r.json()["errors"][0]["path"], "events.0.count");
    assert_eq!(r.json()["errors"][0]["reason"], "invalid_value");

    let r = post_json(addr, "/events", br#"{"events": [{}]}"#).await;
    assert_eq!(r.json()["errors"][0]["path"], "events.0.type");
    assert_eq!(r.json()["errors"][0]["reason"], "missing_field");

    let r = post_json(addr, "/events", br#"{"events": "many"}"#).await;
    assert_eq!(r.json()["errors"][0]["reason"], "invalid_type");
}

#[tokio::test]
async fn media_type_and_body_limit() {
    let addr = app_with(ErrcatLayer::new(common::renderer()).body_limit(64)).await;
    let r = send(addr, "POST", "/events", &[], b"{}").await;
    assert_eq!(r.status, 415);
    assert_eq!(
        r.json()["detail"],
        "Expected a request with Content-Type application/json"
    );
    let r = send(
        addr,
        "POST",
        "/events",
        &[("Content-Type", "text/plain")],
        b"{}",
    )
    .await;
    assert_eq!(r.status, 415);
    let r = send(
        addr,
        "POST",
        "/events",
        &[("Content-Type", "application/vnd.api+json; charset=utf-8")],
        br#"{"events": []}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());

    let big = format!(
        "{{\"events\": [{}]}}",
        ["{\"type\": \"click\"}"; 10].join(",")
    );
    let r = post_json(addr, "/events", big.as_bytes()).await;
    assert_eq!(r.status, 413);
    assert_eq!(
        r.json()["detail"],
        "The request body is larger than 64 bytes"
    );
    // Chunked, without a Content-Length.
    let r = raw(
        addr,
        format!("POST /events HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n", big.len()).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn query_and_path_errors() {
    let addr = app().await;
    let r = http_get(addr, "/items?limit=ten").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["path"], "limit");
    let r = http_get(addr, "/items").await;
    assert_eq!(r.json()["errors"][0]["path"], "limit");
    assert_eq!(r.json()["errors"][0]["reason"], "missing_field");
    let r = http_get(addr, "/items/abc").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["path"], "id");
    assert_eq!(http_get(addr, "/items?limit=5").await.text(), "5");
}

#[tokio::test]
async fn handler_errors_render_without_their_cause() {
    let events = Events::default();
    let addr = app_with(events.layer(ErrcatLayer::new(common::renderer()))).await;
    let r = send(
        addr,
        "GET",
        "/templates/tpl_9",
        &[("X-Request-Id", "r-9")],
        b"",
    )
    .await;
    assert_eq!(r.status, 404);
    let v = r.json();
    assert_eq!(v["detail"], "Template tpl_9 not found");
    assert!(!r.text().contains("SELECT"), "{}", r.text());
    let e = events.take();
    assert_eq!(e.len(), 1);
    assert_eq!(
        (&*e[0].code, e[0].status, e[0].source),
        ("TEMPLATE_NOT_FOUND", 404, Source::Raised)
    );
    assert_eq!(e[0].route.as_deref(), Some("/templates/{id}"));
    assert_eq!(&*e[0].request_id, "r-9");
    assert_eq!(e[0].error_id, v["error_id"].as_str().unwrap());
    assert_eq!(
        e[0].causes,
        ["SELECT * FROM templates WHERE id = $1: no rows"]
    );
    assert_eq!(e[0].client_ip, Some("127.0.0.1".parse().unwrap()));
}

/// An error returned with a status and headers of the handler's own (a
/// tuple) answers exactly as the error alone: the catalog's status, one
/// Content-Type, and none of the handler's headers.
#[tokio::test]
async fn an_error_answers_alone_whatever_came_with_it() {
    let addr = app().await;
    let tuple = common::get(addr, "/tuple-error").await;
    let alone = common::get(addr, "/templates/tpl_1").await;
    assert_eq!((tuple.status, alone.status), (404, 404));
    let names = |r: &common::Reply| {
        let mut n: Vec<String> = r
            .headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&tuple), names(&alone));
    assert!(!names(&tuple).contains(&"x-internal-host".to_owned()));
    assert_eq!(
        tuple.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(tuple.json()["detail"], alone.json()["detail"]);
}

#[tokio::test]
async fn panics_become_500_and_the_server_keeps_serving() {
    let events = Events::default();
    let addr = app_with(events.layer(ErrcatLayer::new(common::renderer()))).await;
    let r = http_get(addr, "/panic").await;
    assert_eq!(r.status, 500);
    let v = r.json();
    assert_eq!(v["code"], "INTERNAL_ERROR");
    assert_eq!(v["detail"], "An unexpected error occurred");
    assert!(
        !r.text().contains("hunter2") && !r.text().contains("boundary.rs"),
        "{}",
        r.text()
    );
    let e = events.take();
    assert_eq!(e[0].source, Source::Panic);
    assert_eq!(
        e[0].panic_message.as_deref(),
        Some("secret panic text: db password hunter2")
    );
    assert!(
        e[0].panic_location
            .as_deref()
            .unwrap()
            .contains("tests/boundary.rs:"),
        "{:?}",
        e[0].panic_location
    );
    assert_eq!(http_get(addr, "/health").await.status, 200);
}

#[tokio::test]
async fn timeouts_become_504() {
    let events = Events::default();
    let addr = app_with(
        events
            .layer(ErrcatLayer::new(common::renderer()).timeout(Some(Duration::from_millis(200)))),
    )
    .await;
    let r = http_get(addr, "/slow").await;
    assert_eq!(r.status, 504);
    assert_eq!(r.json()["code"], "UPSTREAM_TIMEOUT");
    assert_eq!(events.take()[0].source, Source::Timeout);

    let addr = app_with(
        ErrcatLayer::new(common::renderer())
            .timeout(Some(Duration::from_millis(200)))
            .timeout_error("service_unavailable"),
    )
    .await;
    let r = http_get(addr, "/slow").await;
    assert_eq!((r.status, r.header("retry-after")), (503, Some("30")));
}

#[tokio::test]
async fn foreign_errors_are_rewritten_without_their_body() {
    let addr = app().await;
    let r = http_get(addr, "/foreign").await;
    assert_eq!(r.status, 502);
    assert_eq!(r.json()["code"], "EXTERNAL_SERVICE_ERROR");
    assert!(!r.text().contains("stack trace"), "{}", r.text());
    let r = http_get(addr, "/teapot").await;
    assert_eq!(r.status, 418);
    assert_eq!(
        (r.json()["code"].as_str(), r.json()["status"].as_u64()),
        (Some("VALIDATION_ERROR"), Some(418))
    );
    assert!(!r.text().contains("stout"));
}

#[tokio::test]
async fn negotiation_of_envelope_and_language() {
    let renderer = {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/errors.toml");
        let text = std::fs::read_to_string(path)
            .unwrap()
            .replace("name = \"Shop\"", "name = \"Shop\"\nenvelope = \"saas\"");
        errcat_render::Renderer::new(
            errcat_catalog::Catalog::from_str(&text, "errors.toml").unwrap(),
        )
    };
    let addr = app_with(ErrcatLayer::new(renderer)).await;
    let r = send(addr, "GET", "/nope", &[("X-Request-Id", "r-2")], b"").await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.json(),
        serde_json::json!({"error": {"message": "The requested resource was not found", "statusCode": 404, "code": "NOT_FOUND", "category": "NOT_FOUND", "details": [], "requestId": "r-2"}})
    );
    let r = send(
        addr,
        "GET",
        "/nope",
        &[("Accept", "application/problem+json")],
        b"",
    )
    .await;
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.json()["code"], "NOT_FOUND");
    let r = send(
        addr,
        "GET",
        "/nope",
        &[("Accept-Language", "fr;q=0.5, de-AT")],
        b"",
    )
    .await;
    assert_eq!(
        r.json()["error"]["message"],
        "Die angeforderte Ressource wurde nicht gefunden"
    );
    assert_eq!(r.header("content-language"), Some("de"));
}

/// Header blocks too large for hyper (one 1 MB header; 1 MB over 200
/// headers) are refused by hyper itself, before any service runs: a bare
/// `431` without a body, or the connection closed while the rest is still
/// being sent. Nothing internal comes back, and the server keeps serving.
#[tokio::test]
async fn oversized_header_blocks_are_refused_before_the_service() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app().await;
    let one = format!(
        "GET /health HTTP/1.1\r\nHost: test\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let mut many = String::from("GET /health HTTP/1.1\r\nHost: test\r\n");
    for i in 0..200 {
        many.push_str(&format!("X-H{i}: {}\r\n", "b".repeat(5_000)));
    }
    many.push_str("\r\n");
    for request in [one, many] {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _ = stream.write_all(request.as_bytes()).await;
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf))
            .await
            .expect("answered or closed within 5 s");
        let text = String::from_utf8_lossy(&buf);
        println!("{} bytes back: {:?}", buf.len(), text.lines().next());
        if !buf.is_empty() {
            assert!(text.starts_with("HTTP/1.1 431 "), "{text}");
            let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
            assert_eq!(body, "", "{text}");
        }
        let ok = common::get(addr, "/health").await;
        assert_eq!(ok.status, 200);
        assert!(ok.header("x-request-id").is_some());
    }
}

#[tokio::test]
async fn hostile_bodies() {
    let addr = app().await;
    let deep = "[".repeat(100_000);
    let r = post_json(addr, "/echo", deep.as_bytes()).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("INVALID_JSON"))
    );
    // Not JSON because it is cut off, whatever its depth.
    assert_eq!(
        r.json()["detail"],
        "The request body is not valid JSON: EOF while parsing a list at line 1 column 100000"
    );
    // JSON nested deeper than serde_json's 128 levels is JSON all the same:
    // a violation, not invalid_json.
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let r = post_json(addr, "/echo", deep.as_bytes()).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("VALIDATION_ERROR")),
        "{}",
        r.text()
    );
    assert_eq!(r.json()["errors"][0]["reason"], "too_deep", "{}", r.text());
    let r = post_json(addr, "/events", b"{\"events\": [{\"type\": \"\xff\xfe\"}]}").await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("INVALID_JSON"))
    );
}

mod props {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Random bytes as a JSON body never produce a non-catalog response or a 5xx.
        #[test]
        fn random_bodies_get_catalog_errors(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let (status, v) = rt.block_on(async {
                let addr = super::app().await;
                let r = super::post_json(addr, "/events", &body).await;
                (r.status, r.json())
            });
            if status != 200 {
                prop_assert!(matches!(status, 400 | 413), "status {status}");
                let code = v["code"].as_str().unwrap_or_default().to_owned();
                prop_assert!(["INVALID_JSON", "VALIDATION_ERROR"].contains(&code.as_str()), "{v}");
            }
        }
    }
}

#[tokio::test]
async fn events_carry_redacted_request_details() {
    let events = Events::default();
    let addr = app_with(events.layer(ErrcatLayer::new(common::renderer()))).await;
    let body = br#"{"email": "ann@example.com", "password": "pw-Zq81-secret", "card_number": "4111111111111111"}"#;
    let r = send(
        addr,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer tok-Zq81-secret"),
            ("Cookie", "sid=cookie-Zq81"),
        ],
        body,
    )
    .await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (401, Some("INVALID_CREDENTIALS"))
    );
    let e = events.take().remove(0);
    assert_eq!(
        (e.tenant.as_deref(), e.principal.as_deref()),
        (Some("acme"), Some("user_7"))
    );
    assert_eq!(
        e.body_excerpt.as_deref(),
        Some(r#"{"email":"ann@example.com","password":"[REDACTED]","card_number":"[REDACTED]"}"#)
    );
    let headers: Vec<(&str, &str)> = e
        .request_headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        headers,
        [
            ("content-type", "application/json"),
            ("content-length", "93"),
            ("authorization", "[REDACTED]"),
            ("cookie", "[REDACTED]"),
        ]
    );
    let everything = format!("{e:?}");
    assert!(!everything.contains("Zq81"), "{everything}");
}
